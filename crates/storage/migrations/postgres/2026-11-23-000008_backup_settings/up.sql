-- Backup profiles and retention policies, owned by a group (used by it and its descendants).
-- `settings` is the JSON of the kind's fields; one row per installation is the default
-- retention policy (owned by the root, not editable).
CREATE TABLE backup_settings (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('profile', 'retention_policy')),
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX backup_settings_group ON backup_settings (group_id, kind, id);
CREATE UNIQUE INDEX backup_settings_one_default ON backup_settings (kind) WHERE is_default;

-- What a device uses. RESTRICT: a setting in use stays (the API answers in_use first).
ALTER TABLE devices ADD COLUMN profile_id BIGINT REFERENCES backup_settings (id) ON DELETE RESTRICT;
ALTER TABLE devices ADD COLUMN retention_policy_id BIGINT REFERENCES backup_settings (id) ON DELETE RESTRICT;
CREATE INDEX devices_profile ON devices (profile_id);
CREATE INDEX devices_retention_policy ON devices (retention_policy_id);
