-- Changes to stored data that SQL alone cannot make (they need the server's own code, such as
-- Unicode normalisation), each run once per database after the migrations and recorded here.
CREATE TABLE data_steps (
    name VARCHAR(100) PRIMARY KEY,
    done_at TIMESTAMP NOT NULL
);
