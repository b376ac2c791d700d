-- One row that /readyz rewrites after a write met a fault (a full disk, a read-only file), to
-- learn whether the database can commit again. Nothing else reads it.
CREATE TABLE readiness_probe (
    id INTEGER PRIMARY KEY,
    probed_at TIMESTAMP NOT NULL
);
