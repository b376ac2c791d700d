DROP INDEX plugin_records_unique_key;
ALTER TABLE plugin_records DROP COLUMN unique_key;
