-- Users: each belongs to one group; the username (an email) is unique within its group,
-- compared case-insensitively through username_key. Removing a group removes its users.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('superuser', 'administrator', 'manager', 'operator', 'supporter')),
    security_officer BOOLEAN NOT NULL DEFAULT FALSE CHECK (NOT (security_officer AND role = 'supporter')),
    kind TEXT NOT NULL CHECK (kind IN ('interactive', 'api')),
    -- Argon2 (PHC string); API users have none: they never log in.
    password_hash TEXT CHECK ((kind = 'api') = (password_hash IS NULL)),
    -- Failed logins since first_failed_at; locked_until set once they reach the limit.
    failed_logins INTEGER NOT NULL DEFAULT 0,
    first_failed_at TIMESTAMP,
    locked_until TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
CREATE UNIQUE INDEX users_username ON users (group_id, username_key);

-- Interactive sessions and API tokens alike: only a SHA-256 of the token is kept.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    -- What an API token is for, as its creator described it.
    name TEXT,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    -- Sessions end after a period without use (NULL for API tokens) or at expires_at.
    idle_expires_at TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_user_id ON sessions (user_id);
