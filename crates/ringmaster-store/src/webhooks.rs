//! PatchServer's webhooks, and the queue of their deliveries.
//!
//! Every title write (create, edit, delete) queues, in its own transaction and so all or nothing
//! with it, one `webhook_deliveries` row per enabled webhook (`queue_title_event!`): a write
//! never waits for a receiver, and a queued event is never lost to a crash. A background task at
//! the edge reads the rows that are due ([`Store::due_deliveries`]), sends them, and deletes each
//! one delivered or reschedules it ([`Store::delivery_failed`]) until it is marked dead.
//! Deleting a webhook drops its queued deliveries. Times are Unix milliseconds.

use jiff::Timestamp;
use ringmaster_domain::webhook::{MAX_WEBHOOKS, NewWebhook};

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;

/// A webhook as stored (and as `GET /api/v1/webhooks` lists it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredWebhook {
    pub id: i64,
    pub url: String,
    pub enabled: bool,
    pub verify_ssl: bool,
    pub send_definition: bool,
}

/// What [`Store::insert_webhook`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookInsert {
    Created(i64),
    /// The installation has [`MAX_WEBHOOKS`] already; nothing was written.
    TooMany,
}

/// One queued event for one webhook, with what sending it needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub verify_ssl: bool,
    /// The event's name (`new_title`, …).
    pub event: String,
    pub title_id: String,
    /// The title's current version at the time, if it had one.
    pub version: Option<String>,
    /// When the title was written, in Unix milliseconds.
    pub occurred_at: i64,
    /// The served definition (JSON text), for webhooks with `send_definition`; for a
    /// `release_halted` event, its details (JSON text) for every webhook.
    pub definition: Option<String>,
    /// Attempts made so far.
    pub attempts: i64,
}

/// Queued deliveries, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub dead: i64,
}

/// The largest definition queued with an event (the largest real ones are about 130 KB): a
/// larger one is left out, and its event goes without `patch_definition`, so that one write
/// queues at most this much per webhook.
pub const MAX_QUEUED_DEFINITION_BYTES: usize = 1024 * 1024;

/// One delivery per enabled webhook: `$1` event, `$2` title id, `$3` version, `$4` now (also
/// the first due time), `$5` the definition, kept only for webhooks that send it.
pub(crate) const QUEUE_DELIVERIES: &str = "INSERT INTO webhook_deliveries \
     (webhook_id, event, title_id, version, occurred_at, definition, state, attempts, due_at) \
     SELECT id, $1, $2, $3, $4, CASE WHEN send_definition THEN $5 ELSE NULL END, 'pending', 0, $4 \
     FROM webhooks WHERE enabled";

/// One delivery per enabled webhook of an event that is not about a title (`release_halted`):
/// as [`QUEUE_DELIVERIES`], but `$5`, the event's details (JSON text), is kept for every webhook,
/// in the `definition` column, which such an event has no other use for.
pub(crate) const QUEUE_EVENT_DETAILS: &str = "INSERT INTO webhook_deliveries \
     (webhook_id, event, title_id, version, occurred_at, definition, state, attempts, due_at) \
     SELECT id, $1, $2, $3, $4, $5, 'pending', 0, $4 FROM webhooks WHERE enabled";

/// Queues event `$event` (a [`ringmaster_domain::webhook::TitleEvent`]) about title `$title_id`
/// for every enabled webhook, in transaction `$tx`, at `$now` (a `Timestamp`). `$record` is the
/// title as written (before deletion, for a delete), or `None` when it cannot be read: the
/// event then goes without a version or definition (and without the definition when it is
/// larger than [`MAX_QUEUED_DEFINITION_BYTES`]). Renders the definition only when a webhook
/// sends it; with no enabled webhook, costs one read.
macro_rules! queue_title_event {
    ($tx:ident, $event:expr, $title_id:expr, $record:expr, $now:expr) => {{
        let sends_definition: Vec<bool> =
            sqlx::query_scalar("SELECT send_definition FROM webhooks WHERE enabled")
                .fetch_all(&mut *$tx)
                .await?;
        if !sends_definition.is_empty() {
            let record: Option<&ringmaster_domain::title::record::TitleRecord> = $record;
            let definition: Option<String> = if sends_definition.contains(&true) {
                record
                    .map(|record| ringmaster_domain::title::render::feed_title(record).to_string())
                    .filter(|text| {
                        let fits = text.len() <= $crate::webhooks::MAX_QUEUED_DEFINITION_BYTES;
                        if !fits {
                            tracing::warn!(
                                bytes = text.len(),
                                "webhooks: a definition over 1 MiB is sent without patch_definition"
                            );
                        }
                        fits
                    })
            } else {
                None
            };
            let version: Option<String> = record
                .and_then(|record| record.current_version())
                .map(str::to_owned);
            let event: ringmaster_domain::webhook::TitleEvent = $event;
            let now: jiff::Timestamp = $now;
            sqlx::query($crate::webhooks::QUEUE_DELIVERIES)
                .bind(event.name())
                .bind($title_id)
                .bind(version)
                .bind(now.as_millisecond())
                .bind(definition)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use queue_title_event;

const SELECT_DUE: &str = "SELECT d.id, d.webhook_id, w.url, w.verify_ssl, d.event, d.title_id, \
     d.version, d.occurred_at, d.definition, d.attempts \
     FROM webhook_deliveries AS d JOIN webhooks AS w ON w.id = d.webhook_id \
     WHERE d.state = 'pending' AND d.due_at <= $1 ORDER BY d.due_at, d.id LIMIT $2";

impl Store {
    /// Every webhook, by id.
    pub async fn list_webhooks(&self) -> Result<Vec<StoredWebhook>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, url, enabled, verify_ssl, send_definition FROM webhooks ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Stores a webhook; [`StoreError::AlreadyExists`] when one has its URL, and
    /// [`WebhookInsert::TooMany`] beyond [`MAX_WEBHOOKS`].
    pub async fn insert_webhook(
        &self,
        hook: &NewWebhook,
        now: Timestamp,
    ) -> Result<WebhookInsert, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Takes the write lock first (SQLite), so the count below holds until the commit.
            sqlx::query("DELETE FROM webhooks WHERE id < 0").execute(&mut *tx).await?;
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhooks")
                .fetch_one(&mut *tx)
                .await?;
            if count >= MAX_WEBHOOKS as i64 {
                return Ok(WebhookInsert::TooMany);
            }
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO webhooks (url, enabled, verify_ssl, send_definition, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(hook.url.as_str())
            .bind(hook.enabled)
            .bind(hook.verify_ssl)
            .bind(hook.send_definition)
            .bind(now.to_string())
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(id) => id,
                Err(error) => {
                    let error = StoreError::from(error);
                    return Err(if error.is_unique_violation() {
                        StoreError::AlreadyExists(format!("a webhook for {}", hook.url.as_str()))
                    } else {
                        error
                    });
                }
            };
            tx.commit().await?;
            Ok(WebhookInsert::Created(id))
        })
    }

    /// Deletes a webhook and its queued deliveries; `Ok(false)` if there was none.
    pub async fn delete_webhook(&self, id: i64) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(deleted == 1)
        })
    }

    /// At most `limit` pending deliveries due at `now`, the longest due first.
    pub async fn due_deliveries(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(SELECT_DUE)
                .bind(now.as_millisecond())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        }))
    }

    /// A delivery the receiver took: it leaves the queue.
    pub async fn delivery_sent(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A delivery that failed its `attempts`-th attempt with `error`: due again at `retry_at`,
    /// or, when `None`, marked dead (stamped `now`, so [`Store::prune_dead_deliveries`] can
    /// drop it later).
    pub async fn delivery_failed(
        &self,
        id: i64,
        attempts: i64,
        retry_at: Option<Timestamp>,
        now: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let (state, due_at) = match retry_at {
            Some(at) => ("pending", at.as_millisecond()),
            None => ("dead", now.as_millisecond()),
        };
        let error: String = error.chars().take(500).collect();
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $2, attempts = $3, due_at = $4, \
                 last_error = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(state)
            .bind(attempts)
            .bind(due_at)
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Drops dead deliveries marked before `before`; how many.
    pub async fn prune_dead_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM webhook_deliveries WHERE state = 'dead' AND due_at < $1")
                .bind(before.as_millisecond())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// How many deliveries are queued and dead.
    pub async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        let (pending, dead): (i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) \
                 FROM webhook_deliveries",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(DeliveryCounts { pending, dead })
    }
}
