-- Past days whose data changed after their roll-ups (a session reported late: a device that
-- was offline, a queued upload, a backfill): the next roll-up revisits them. `marked_at` is
-- the last change, so a change during a roll-up keeps the mark for the one after.
CREATE TABLE rollup_marks (
    day DATE PRIMARY KEY,
    marked_at TIMESTAMP NOT NULL
);
