-- Time-limited leases: a background job runs on the one server holding its lease.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL -- Unix milliseconds
);
