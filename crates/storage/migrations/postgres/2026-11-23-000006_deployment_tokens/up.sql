-- Quick Installation: tokens a group hands to its machines so that they enrol themselves.
-- Only a SHA-256 of each token is kept. Removed with their group.
CREATE TABLE deployment_tokens (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    name TEXT,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- NULL: any number of enrolments until it expires.
    max_uses BIGINT CHECK (max_uses IS NULL OR max_uses > 0),
    uses BIGINT NOT NULL DEFAULT 0,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX deployment_tokens_hash ON deployment_tokens (token_hash);
CREATE INDEX deployment_tokens_group ON deployment_tokens (group_id, id);
