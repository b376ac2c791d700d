-- Messages plugins send (scheduled reports), written in the transaction that decided to send
-- them and delivered afterwards by the server's mailer, which retries with back-off: a crash
-- between deciding and sending loses nothing, and SMTP never runs inside a transaction.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    -- What the message is about, in the plugin's words (`scheduled-report/12`): its history.
    source TEXT NOT NULL,
    -- JSON array of addresses.
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- JSON: the HTML body and the attachments, as the plugin gave them.
    content TEXT NOT NULL,
    -- pending, sent or failed (no more attempts).
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Set while one server's mailer is sending it: the others leave it alone until then.
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
-- The mailer's question: what is pending and due.
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
-- A source's history, newest first (and the cascade when a group goes).
CREATE INDEX mail_outbox_source ON mail_outbox (group_id, plugin, source, id);
-- Due records of a collection across groups (a scheduler's question: sort_key is the next run).
CREATE INDEX plugin_records_due ON plugin_records (plugin, collection, sort_key);
