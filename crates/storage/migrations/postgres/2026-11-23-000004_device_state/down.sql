ALTER TABLE devices DROP COLUMN updated_at;
ALTER TABLE devices DROP COLUMN version;
ALTER TABLE devices DROP COLUMN last_session_at;
ALTER TABLE devices DROP COLUMN used_bytes;
ALTER TABLE devices DROP COLUMN selected_bytes;
ALTER TABLE devices DROP COLUMN status;
ALTER TABLE devices DROP COLUMN enrolled;
