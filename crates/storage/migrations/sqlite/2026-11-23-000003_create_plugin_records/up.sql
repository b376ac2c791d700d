-- Records plugins keep through the host: scoped by plugin and group, removed with the group
-- (ON DELETE CASCADE: in the same transaction as the group's removal). `data` is JSON text.
CREATE TABLE plugin_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    collection TEXT NOT NULL,
    -- What lists sort and filter by (an activity's date, say); '' when the plugin needs none.
    sort_key TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- group_id first: listings filter on all three names, and removing a group finds its records
-- (the cascade) through the same index.
CREATE INDEX plugin_records_list ON plugin_records (group_id, plugin, collection, sort_key, id);
