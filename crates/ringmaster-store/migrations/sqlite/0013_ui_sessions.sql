-- Sessions of the admin web app (/ui/): a signed-in browser holds the session's secret in a
-- cookie; only its SHA-256 is stored, with the token it was opened with and its CSRF secret.
-- Stored here, not in a server's memory, so every server of a cluster knows every session.
-- A session ends at expires_at, when it is signed out (deleted), or when its token is revoked
-- (reads join the live token). Times are RFC 3339 UTC text.
-- Not copied by `ringmaster migrate` nor kept in backups: a moved installation signs in again.
CREATE TABLE ui_sessions (
    session_hash TEXT PRIMARY KEY,
    token_id     INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
