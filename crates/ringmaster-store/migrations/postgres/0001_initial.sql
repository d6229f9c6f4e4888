-- Software titles served to Jamf Pro, with the state admins control.
CREATE TABLE titles (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    publisher         TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    pinned_version    TEXT,
    disabled_versions TEXT NOT NULL,   -- JSON array of version strings
    last_modified     TEXT NOT NULL,   -- RFC 3339 UTC
    definition        TEXT NOT NULL,   -- the full definition as JSON
    revision          BIGINT NOT NULL, -- value of change_counter at the last write
    created_at        TEXT NOT NULL
);
CREATE INDEX titles_revision ON titles (revision);

-- Titles deleted, so that other servers drop them from their caches.
CREATE TABLE title_tombstones (
    id       TEXT PRIMARY KEY NOT NULL,
    revision BIGINT NOT NULL
);

-- One row; bumped by every write to titles, in the same transaction.
CREATE TABLE change_counter (
    id       SMALLINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO change_counter (id, revision) VALUES (1, 0);

-- Admin API tokens. Only a SHA-256 hash of each token is kept.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
