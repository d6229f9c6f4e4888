-- Rollout control: releases blocked everywhere, and devices exempt from enforcement for a while.
-- Both are OS-update configuration: every write bumps os_update_counter in its transaction.
-- Times are RFC 3339 UTC text. blocked_by / created_by: the admin token's name, or NULL (CLI).

-- version_key: the canonical version text (26.1 -> 26.1.0); a block covers every build.
CREATE TABLE blocked_releases (
    platform    TEXT NOT NULL,
    version_key TEXT NOT NULL,
    version     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    blocked_by  TEXT,
    blocked_at  TEXT NOT NULL,
    PRIMARY KEY (platform, version_key)
);

-- An exemption ends by itself at until_at; deleting it ends it early.
CREATE TABLE device_exemptions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    until_at   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX device_exemptions_device ON device_exemptions (device_id);
