DROP TABLE device_history;
DROP TABLE device_sessions;
DROP INDEX devices_credential_hash;
ALTER TABLE devices DROP COLUMN credential_hash;
