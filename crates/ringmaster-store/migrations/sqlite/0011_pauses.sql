-- Pauses of a ring (policy group) or of one policy: nothing is enforced while one is in force.
-- One row per subject, its latest pause: pausing again replaces the row, resuming stamps
-- resumed_at (the end the schedule restarts grace periods from). OS-update configuration:
-- every write bumps os_update_counter in its transaction. Times are RFC 3339 UTC text;
-- paused_by / resumed_by: the admin token's name, or NULL (CLI).
CREATE TABLE rollout_pauses (
    policy_id       BIGINT REFERENCES update_policies (id) ON DELETE CASCADE,
    policy_group_id BIGINT REFERENCES update_policy_groups (id) ON DELETE CASCADE,
    reason          TEXT NOT NULL,
    paused_by       TEXT,
    paused_at       TEXT NOT NULL,
    until_at        TEXT,
    resumed_by      TEXT,
    resumed_at      TEXT,
    CHECK ((policy_id IS NULL) <> (policy_group_id IS NULL))
);
CREATE UNIQUE INDEX rollout_pauses_policy ON rollout_pauses (policy_id);
CREATE UNIQUE INDEX rollout_pauses_group ON rollout_pauses (policy_group_id);
