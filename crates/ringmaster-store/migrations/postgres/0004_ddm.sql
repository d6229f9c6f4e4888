-- Serving DDM to devices: what each device was last served, what it reported, and the legacy
-- update mechanisms recorded against it.

-- The declaration set a device was last told about (by DeclarationsToken), kept whole so that a
-- declaration it fetches afterwards is exactly the one that token advertised.
CREATE TABLE ddm_served (
    device_id          TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    declarations_token TEXT NOT NULL,
    declarations       TEXT NOT NULL,   -- JSON array of the full declarations
    served_at          TEXT NOT NULL,
    notified_token     TEXT             -- the DeclarationsToken the MDM was last asked to sync
);

-- Each device's status, merged from its reports.
CREATE TABLE device_status (
    device_id           TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    status              TEXT NOT NULL,   -- {"StatusItems": {...}, "Errors": [...]}
    reports             BIGINT NOT NULL, -- reports merged so far
    updated_at          TEXT NOT NULL,
    last_full_report_at TEXT
);

-- Legacy software-update mechanisms (a patch policy, a deferral profile) recorded against a
-- device; DDM and legacy update policies conflict.
CREATE TABLE legacy_mechanisms (
    device_id   TEXT COLLATE "C" NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,   -- 'patchPolicy' or 'deferralProfile'
    name        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (device_id, kind, name)
);

ALTER TABLE devices ADD COLUMN last_check_in_at TEXT;
