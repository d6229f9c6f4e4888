-- The device data's revision: what compliance reads about a device (its row's facts, its
-- merged status, its legacy mechanisms) is not configuration, yet a server keeping compliance in
-- memory must know when and where it changed. Every such write bumps the one-row
-- device_data_counter last in its transaction, after writing (and so locking) the device rows it
-- touches, and stamps those devices in device_data_revisions with the new value: revisions
-- follow commit order, and "revision > r" is exactly what changed after revision r.
-- Neither table is copied by `ringmaster migrate` nor kept in backups: a copy starts afresh
-- (servers read every device when they start), and a restore stamps every device it writes.
CREATE TABLE device_data_counter (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO device_data_counter (id, revision) VALUES (1, 0);

CREATE TABLE device_data_revisions (
    device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    revision  BIGINT NOT NULL
);
CREATE INDEX device_data_revisions_revision ON device_data_revisions (revision);
