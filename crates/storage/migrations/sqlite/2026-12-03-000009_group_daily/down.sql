DROP TABLE group_daily;
DROP INDEX device_history_day;
ALTER TABLE device_history DROP COLUMN sessions_failed;
ALTER TABLE device_history DROP COLUMN sessions_completed;
