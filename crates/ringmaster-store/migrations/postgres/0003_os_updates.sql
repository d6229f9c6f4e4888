-- OS updates: the release catalog, update policies and their groups, devices, device groups,
-- and which policies apply to which devices.

-- One row; bumped by every write of OS-update configuration, in the same transaction
-- (separate from titles' change_counter). Device inserts and updates do not bump it.
CREATE TABLE os_update_counter (
    id       SMALLINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO os_update_counter (id, revision) VALUES (1, 0);

-- The release catalog: one row per (platform, version, build).
CREATE TABLE os_releases (
    platform           TEXT NOT NULL,   -- 'macOS' or 'iOS'
    version_key        TEXT NOT NULL,   -- AppleOsVersion::canonical_text ('26.0.0', '26.3.1 (a)')
    build              TEXT NOT NULL,   -- '' when the feed named no build
    version            TEXT NOT NULL,   -- the version as written
    released_on        TEXT NOT NULL,   -- YYYY-MM-DD
    first_seen_at      TEXT,            -- RFC 3339 UTC; NULL when unknown
    expires_on         TEXT,            -- YYYY-MM-DD
    supported_devices  TEXT NOT NULL,   -- JSON array of device identifiers
    security           TEXT,            -- JSON {cveCount, activelyExploitedCount, detailsUrl}
    prerequisite_build TEXT,
    source             TEXT NOT NULL,   -- FeedFormat::as_str
    revision           BIGINT NOT NULL, -- value of os_update_counter at the last write
    PRIMARY KEY (platform, version_key, build)
);

-- Groups of update policies; the default rings have a ring_order.
CREATE TABLE update_policy_groups (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    ring_order INTEGER,
    created_at TEXT NOT NULL
);

-- Update policies, each stored as its API document.
CREATE TABLE update_policies (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    platform   TEXT NOT NULL,   -- 'macOS' or 'iOS'
    document   TEXT NOT NULL,   -- render_policy JSON
    group_id   BIGINT REFERENCES update_policy_groups (id) ON DELETE SET NULL,
    revision   BIGINT NOT NULL, -- value of os_update_counter at the last write
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX update_policies_group ON update_policies (group_id);

-- Managed devices, by enrollment id. Device ids use the "C" collation here and below, so they
-- compare bytewise as in SQLite: both backends order and paginate devices alike.
CREATE TABLE devices (
    id         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    platform   TEXT,            -- 'macOS' or 'iOS'; NULL until a device that enrolled itself reports it
    os_version TEXT,            -- as reported; NULL like platform
    os_build   TEXT,
    model      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE device_groups (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    revision   BIGINT NOT NULL, -- value of os_update_counter at the last write
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE device_group_members (
    group_id  BIGINT NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    device_id TEXT COLLATE "C" NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_device ON device_group_members (device_id);

-- Bindings: a policy or a policy group (exactly one) applies to a device or a device group
-- (exactly one). Deleting either side deletes the binding.
CREATE TABLE update_bindings (
    policy_id       BIGINT REFERENCES update_policies (id) ON DELETE CASCADE,
    policy_group_id BIGINT REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    device_id       TEXT COLLATE "C" REFERENCES devices (id) ON DELETE CASCADE,
    device_group_id BIGINT REFERENCES device_groups (id) ON DELETE CASCADE,
    CHECK ((policy_id IS NULL) <> (policy_group_id IS NULL)),
    CHECK ((device_id IS NULL) <> (device_group_id IS NULL))
);
CREATE UNIQUE INDEX update_bindings_unique ON update_bindings (
    COALESCE(policy_id, 0), COALESCE(policy_group_id, 0),
    COALESCE(device_id, ''), COALESCE(device_group_id, 0)
);
CREATE INDEX update_bindings_policy ON update_bindings (policy_id);
CREATE INDEX update_bindings_policy_group ON update_bindings (policy_group_id);
CREATE INDEX update_bindings_device ON update_bindings (device_id);
CREATE INDEX update_bindings_device_group ON update_bindings (device_group_id);
