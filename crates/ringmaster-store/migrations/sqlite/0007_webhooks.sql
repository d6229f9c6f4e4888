-- PatchServer's webhooks, and the queue of their deliveries.
-- A delivery is queued in the transaction of the title write it reports, one row per enabled
-- webhook, and sent by a background task (one server of a cluster, under the `webhooks` lease).
-- Times are Unix milliseconds, like leases: the task compares them with "now".
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL UNIQUE,
    enabled         BOOLEAN NOT NULL,
    verify_ssl      BOOLEAN NOT NULL,
    send_definition BOOLEAN NOT NULL,
    created_at      TEXT NOT NULL
);

-- state: 'pending' (sent when due_at has passed) or 'dead' (every attempt failed; kept a while
-- for inspection). A delivered row is deleted. definition: the served definition (JSON text),
-- only for webhooks with send_definition.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    title_id    TEXT NOT NULL,
    version     TEXT,
    occurred_at BIGINT NOT NULL,
    definition  TEXT,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    due_at      BIGINT NOT NULL,
    last_error  TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, due_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
