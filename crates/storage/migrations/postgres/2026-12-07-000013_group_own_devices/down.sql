ALTER TABLE groups DROP COLUMN own_devices;
