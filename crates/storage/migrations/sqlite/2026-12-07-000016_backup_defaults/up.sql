-- A group's default backup profile and retention policy: what a device added to the group or
-- below it (by hand or by enrolment) gets when nothing else is said. The nearest group with a
-- default wins, as profiles are inherited. RESTRICT: a setting that is some group's default is
-- not removed under it (the API says which, 409).
CREATE TABLE backup_defaults (
    group_id BIGINT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    profile_id BIGINT REFERENCES backup_settings (id) ON DELETE RESTRICT,
    retention_policy_id BIGINT REFERENCES backup_settings (id) ON DELETE RESTRICT
);
CREATE INDEX backup_defaults_profile ON backup_defaults (profile_id);
CREATE INDEX backup_defaults_retention_policy ON backup_defaults (retention_policy_id);
