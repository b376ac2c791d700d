-- What the device API keeps of a device beyond its name: how it came (added by hand or enrolled
-- itself), the state its last backup session left, and a version for If-Match.
ALTER TABLE devices ADD COLUMN enrolled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE devices ADD COLUMN status TEXT CHECK (status IN ('completed', 'failed', 'with_errors', 'aborted'));
ALTER TABLE devices ADD COLUMN selected_bytes BIGINT NOT NULL DEFAULT 0 CHECK (selected_bytes >= 0);
ALTER TABLE devices ADD COLUMN used_bytes BIGINT NOT NULL DEFAULT 0 CHECK (used_bytes >= 0);
ALTER TABLE devices ADD COLUMN last_session_at TIMESTAMP;
ALTER TABLE devices ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE devices ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE devices SET updated_at = created_at;
