-- Health gates between rings: a policy group waits for an earlier one (policy_group_gates, configuration),
-- what the evaluation rounds recorded per gated group and release (gate_evaluations: the last
-- percentages, and once, the instant the gate opened), and releases halted for the rings after
-- the one whose failures crossed its successor's gate (release_halts). Every write bumps
-- os_update_counter in its transaction. Times are RFC 3339 UTC text; version_key is the
-- canonical version text.
CREATE TABLE policy_group_gates (
    group_id              BIGINT PRIMARY KEY REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    after_group_id        BIGINT NOT NULL REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    min_installed_percent BIGINT NOT NULL,
    max_failed_percent    BIGINT NOT NULL,
    min_days              BIGINT NOT NULL
);

CREATE TABLE gate_evaluations (
    group_id          BIGINT NOT NULL REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    platform          TEXT NOT NULL,
    version_key       TEXT NOT NULL,
    version           TEXT NOT NULL,
    installed_percent BIGINT NOT NULL,
    failed_percent    BIGINT NOT NULL,
    days              BIGINT NOT NULL,
    evaluated_at      TEXT NOT NULL,
    opened_at         TEXT,
    PRIMARY KEY (group_id, platform, version_key)
);

CREATE TABLE release_halts (
    platform       TEXT NOT NULL,
    version_key    TEXT NOT NULL,
    version        TEXT NOT NULL,
    group_id       BIGINT NOT NULL REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    failed_percent BIGINT NOT NULL,
    halted_at      TEXT NOT NULL,
    PRIMARY KEY (platform, version_key, group_id)
);
