-- Each large group's whole subtree's devices by the status of their last session and the hour it
-- ended: what the console's Overview and customer lists read, so that a distributor's figures
-- are a few hundred rows however many devices lie below it. A device is counted in its group
-- and in every ancestor; `never` (with hour 1970-01-01 00:00) holds those that never reported.
-- Kept up to date in the transactions that add, move, remove and report devices and move groups.
-- A row whose count falls to 0 stays until the roll-up task prunes it (the partial index finds
-- those), so that a report writes two statements, not three.
CREATE TABLE device_tallies (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('never', 'completed', 'failed', 'with_errors', 'aborted')),
    last_hour TIMESTAMP NOT NULL,
    devices BIGINT NOT NULL CHECK (devices >= 0),
    PRIMARY KEY (group_id, status, last_hour)
);
CREATE INDEX device_tallies_empty ON device_tallies (group_id) WHERE devices = 0;
-- The devices already there, counted in each group of their path that keeps tallies: levels 1
-- to 3 (distributor, sub-distributor, reseller), whose subtrees grow large; the few devices of
-- an end-customer or a site are counted when asked.
INSERT INTO device_tallies (group_id, status, last_hour, devices)
SELECT a.id,
       COALESCE(d.status, 'never'),
       COALESCE(date_trunc('hour', d.last_session_at), TIMESTAMP '1970-01-01 00:00:00'),
       COUNT(*)
FROM groups a
JOIN groups g ON g.path >= a.path AND g.path < substr(a.path, 1, length(a.path) - 1) || '0'
JOIN devices d ON d.group_id = g.id
WHERE a.level <= 3
GROUP BY 1, 2, 3;
