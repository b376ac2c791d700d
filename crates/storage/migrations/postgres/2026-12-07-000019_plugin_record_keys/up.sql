-- A key a plugin's record holds alone among the plugin's records of its collection, across the
-- installation: a group's white-label login address in the branding plugin's `values`. The
-- unique index keeps two groups from taking one key at once; NULL is no key.
ALTER TABLE plugin_records ADD COLUMN unique_key VARCHAR(200);
CREATE UNIQUE INDEX plugin_records_unique_key ON plugin_records (plugin, collection, unique_key);
