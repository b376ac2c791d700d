DROP INDEX devices_retention_policy;
DROP INDEX devices_profile;
ALTER TABLE devices DROP COLUMN retention_policy_id;
ALTER TABLE devices DROP COLUMN profile_id;
DROP TABLE backup_settings;
