-- The audit log: one row per change made through the admin API or the CLI.
-- A row is written (outcome 'pending') before the change is attempted and completed ('done')
-- once it succeeded, or deleted when it was refused; a row left 'pending' is a change whose
-- outcome nobody saw (the process stopped or the client went away in between).
-- occurred_at is Unix milliseconds (the application clock), like leases and webhooks, so the
-- retention round and the `since` filter compare numbers. Summaries are bounded JSON text with
-- secrets redacted before they reach the database.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    BIGINT NOT NULL,
    actor_kind     TEXT NOT NULL,
    token_id       BIGINT,
    actor          TEXT NOT NULL,
    client_address TEXT,
    action         TEXT NOT NULL,
    object_kind    TEXT,
    object_id      TEXT,
    outcome        TEXT NOT NULL,
    status         BIGINT,
    before_summary TEXT,
    after_summary  TEXT
);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at);
CREATE INDEX audit_log_object ON audit_log (object_id, occurred_at);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor, occurred_at);
CREATE INDEX audit_log_actor_kind ON audit_log (actor_kind, occurred_at);
