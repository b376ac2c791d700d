-- A device's own credential (only its SHA-256 is kept; shown once when the device is added or
-- enrols), the backup sessions it reports, and one history row per device and day for charts.
ALTER TABLE devices ADD COLUMN credential_hash TEXT;
CREATE UNIQUE INDEX devices_credential_hash ON devices (credential_hash);

CREATE TABLE device_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'with_errors', 'aborted')),
    selected_bytes BIGINT NOT NULL CHECK (selected_bytes >= 0),
    used_bytes BIGINT NOT NULL CHECK (used_bytes >= 0),
    files BIGINT NOT NULL CHECK (files >= 0),
    errors BIGINT NOT NULL CHECK (errors >= 0),
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX device_sessions_device ON device_sessions (device_id, ended_at);

-- Per device and UTC day: what the charts of the reporting plugin read.
CREATE TABLE device_history (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    sessions BIGINT NOT NULL,
    sessions_with_errors BIGINT NOT NULL,
    selected_bytes BIGINT NOT NULL,
    used_bytes BIGINT NOT NULL,
    PRIMARY KEY (device_id, day)
);
