-- Session outcomes per device and day, apart: `sessions_with_errors` keeps counting failed ones
-- too (as before), so a day's sessions are completed + with errors; failed ones are among the
-- latter. Rows written before this split count as completed where they had no errors.
ALTER TABLE device_history ADD COLUMN sessions_completed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE device_history ADD COLUMN sessions_failed BIGINT NOT NULL DEFAULT 0;
UPDATE device_history SET sessions_completed = sessions - sessions_with_errors;
CREATE INDEX device_history_day ON device_history (day, device_id);

-- Each group's whole subtree per UTC day, rolled up from devices and their history: what charts
-- read, so that a distributor's 90 days are 90 rows however many devices lie below it.
CREATE TABLE group_daily (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    devices BIGINT NOT NULL,
    selected_bytes BIGINT NOT NULL,
    used_bytes BIGINT NOT NULL,
    sessions_completed BIGINT NOT NULL,
    sessions_failed BIGINT NOT NULL,
    sessions_with_errors BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    rolled_up_at TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, day)
);
