//! Software titles: reads, writes with optimistic concurrency, bulk restore, and a change feed.
//!
//! Every write bumps the single `change_counter` row first, in the same transaction, and stamps
//! the written title (or its tombstone) with the new value. That serializes title writes, makes
//! revisions follow commit order, and lets any server sharing the database find what changed
//! since the revision its caches reflect ([`Store::title_changes_since`]). Creates, edits and
//! deletes also queue their webhook events in that transaction (`webhooks`); restores do not.

use jiff::Timestamp;
use ringmaster_domain::title::id::SoftwareTitleId;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::webhook::TitleEvent;

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;
use crate::title_row::{StoredTitle, TitleColumns, TitleRow};
use crate::webhooks::queue_title_event;

pub(crate) const SELECT_TITLE: &str = "SELECT id, enabled, pinned_version, disabled_versions, last_modified, definition, revision FROM titles";

/// Whether a restore may overwrite titles that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingTitles {
    /// Refuse the whole restore if any title exists.
    Refuse,
    /// Replace existing titles.
    Replace,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestoreOutcome {
    pub created: Vec<String>,
    pub replaced: Vec<String>,
}

/// What [`Store::modify_title`] did.
#[derive(Debug)]
pub enum Modified<E> {
    Updated(StoredTitle),
    /// The edit changed nothing; nothing was written.
    Unchanged(StoredTitle),
    NotFound,
    /// The title is no longer at the expected revision.
    Stale {
        found: i64,
    },
    /// The edit refused; nothing was written.
    Refused(E),
}

/// Titles written and deleted after some revision.
#[derive(Debug, Clone, Default)]
pub struct TitleChanges {
    /// The revision these changes bring a reader up to.
    pub revision: i64,
    pub changed: Vec<StoredTitle>,
    pub deleted: Vec<String>,
}

impl Store {
    /// Every title, ordered by id.
    pub async fn list_titles(&self) -> Result<Vec<StoredTitle>, StoreError> {
        let rows: Vec<TitleRow> = on_pool!(self, pool => {
            sqlx::query_as(const_format(SELECT_TITLE, " ORDER BY id")).fetch_all(pool).await?
        });
        rows.into_iter().map(TitleRow::into_stored).collect()
    }

    pub async fn get_title(&self, id: &SoftwareTitleId) -> Result<Option<StoredTitle>, StoreError> {
        let row: Option<TitleRow> = on_pool!(self, pool => {
            sqlx::query_as(const_format(SELECT_TITLE, " WHERE id = $1"))
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(TitleRow::into_stored).transpose()
    }

    /// Stores a new title; [`StoreError::AlreadyExists`] if its id is taken. Queues a
    /// `new_title` event for every enabled webhook, at `now`.
    pub async fn insert_title(
        &self,
        record: &TitleRecord,
        now: Timestamp,
    ) -> Result<StoredTitle, StoreError> {
        let columns = TitleColumns::of(record);
        let revision = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_counter!(tx);
            let result = bind_columns!(sqlx::query(INSERT_TITLE), columns)
                .bind(revision)
                .bind(&columns.last_modified)
                .execute(&mut *tx)
                .await;
            if let Err(error) = result {
                let error = StoreError::from(error);
                return Err(if error.is_unique_violation() {
                    StoreError::AlreadyExists(format!("title {}", columns.id))
                } else {
                    error
                });
            }
            sqlx::query("DELETE FROM title_tombstones WHERE id = $1")
                .bind(&columns.id)
                .execute(&mut *tx)
                .await?;
            queue_title_event!(tx, TitleEvent::NewTitle, &columns.id, Some(record), now);
            tx.commit().await?;
            revision
        });
        Ok(StoredTitle {
            record: record.clone(),
            revision,
        })
    }

    /// Reads, edits and writes one title in a single transaction. The change counter is bumped
    /// first, which makes concurrent writers queue (row lock on PostgreSQL, the write lock on
    /// SQLite) instead of racing, so no edit is lost and none needs a retry. With
    /// `expected_revision`, the edit happens only if the title is still at that revision.
    /// Nothing is written unless `edit` reports a change. A change queues a `new_version`
    /// event (the edit added a version) or a `title_updated` one for every enabled webhook, at
    /// `now`.
    pub async fn modify_title<E>(
        &self,
        id: &SoftwareTitleId,
        expected_revision: Option<i64>,
        now: Timestamp,
        edit: impl FnOnce(&mut TitleRecord) -> Result<bool, E>,
    ) -> Result<Modified<E>, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_counter!(tx);
            let row: Option<TitleRow> = sqlx::query_as(const_format(SELECT_TITLE, " WHERE id = $1"))
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(Modified::NotFound);
            };
            let stored = row.into_stored()?;
            if let Some(expected) = expected_revision
                && expected != stored.revision
            {
                return Ok(Modified::Stale { found: stored.revision });
            }
            let mut record = stored.record.clone();
            match edit(&mut record) {
                Err(refusal) => return Ok(Modified::Refused(refusal)),
                Ok(false) => return Ok(Modified::Unchanged(stored)),
                Ok(true) => {}
            }
            let columns = TitleColumns::of(&record);
            bind_columns!(sqlx::query(
                "UPDATE titles SET name = $2, publisher = $3, enabled = $4, pinned_version = $5, \
                 disabled_versions = $6, last_modified = $7, definition = $8, revision = $9 WHERE id = $1",
            ), columns)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
            let event = TitleEvent::of_edit(&stored.record, &record);
            queue_title_event!(tx, event, id.as_str(), Some(&record), now);
            tx.commit().await?;
            Ok(Modified::Updated(StoredTitle { record, revision }))
        })
    }

    /// Deletes a title; `Ok(false)` if there was none. With `expected_revision`, only if the
    /// title is still at that revision. Queues a `title_deleted` event for every enabled
    /// webhook, at `now`, with the title as it was (a row that no longer reads back, stored
    /// before a rule tightened, goes without its version and definition).
    pub async fn delete_title(
        &self,
        id: &SoftwareTitleId,
        expected_revision: Option<i64>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_counter!(tx);
            let row: Option<TitleRow> = sqlx::query_as(const_format(SELECT_TITLE, " WHERE id = $1"))
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            let found = row.revision;
            if let Some(expected) = expected_revision
                && expected != found
            {
                return Err(StoreError::RevisionMismatch {
                    what: format!("title {id}"),
                    expected,
                    found: Some(found),
                });
            }
            sqlx::query("DELETE FROM titles WHERE id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            upsert_tombstone!(tx, id.as_str(), revision);
            let deleted = row.into_stored().ok();
            queue_title_event!(
                tx,
                TitleEvent::TitleDeleted,
                id.as_str(),
                deleted.as_ref().map(|stored| &stored.record),
                now
            );
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Writes many titles in one transaction: all of them or, on any error, none.
    pub async fn restore_titles(
        &self,
        records: &[TitleRecord],
        existing: ExistingTitles,
    ) -> Result<RestoreOutcome, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_counter!(tx);
            let outcome = restore_titles_in!(tx, records, existing, revision);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// The revision of the last write to any title.
    pub async fn title_revision(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT revision FROM change_counter WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Titles written or deleted after `since`. Reads the counter first: revisions at or below it
    /// are committed (the counter row lock orders commits), so nothing is skipped.
    pub async fn title_changes_since(&self, since: i64) -> Result<TitleChanges, StoreError> {
        let revision = self.title_revision().await?;
        if revision <= since {
            return Ok(TitleChanges {
                revision: since,
                ..TitleChanges::default()
            });
        }
        let (rows, deleted): (Vec<TitleRow>, Vec<String>) = on_pool!(self, pool => {
            let rows = sqlx::query_as(const_format(SELECT_TITLE, " WHERE revision > $1 AND revision <= $2 ORDER BY id"))
                .bind(since)
                .bind(revision)
                .fetch_all(pool)
                .await?;
            let deleted = sqlx::query_scalar(
                "SELECT id FROM title_tombstones WHERE revision > $1 AND revision <= $2 ORDER BY id",
            )
            .bind(since)
            .bind(revision)
            .fetch_all(pool)
            .await?;
            (rows, deleted)
        });
        Ok(TitleChanges {
            revision,
            changed: rows
                .into_iter()
                .map(TitleRow::into_stored)
                .collect::<Result<_, _>>()?,
            deleted,
        })
    }
}

const INSERT_TITLE: &str = "INSERT INTO titles (id, name, publisher, enabled, pinned_version, \
     disabled_versions, last_modified, definition, revision, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

pub(crate) const UPSERT_TITLE: &str = "INSERT INTO titles (id, name, publisher, enabled, pinned_version, \
     disabled_versions, last_modified, definition, revision, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, publisher = excluded.publisher, \
     enabled = excluded.enabled, pinned_version = excluded.pinned_version, \
     disabled_versions = excluded.disabled_versions, last_modified = excluded.last_modified, \
     definition = excluded.definition, revision = excluded.revision";

/// Writes `$records` in transaction `$tx` at title revision `$revision` (already bumped), as
/// [`Store::restore_titles`] describes; evaluates to the [`RestoreOutcome`], or returns
/// [`StoreError::AlreadyExists`] from the enclosing function when `$existing` refuses.
macro_rules! restore_titles_in {
    ($tx:ident, $records:expr, $existing:expr, $revision:expr) => {{
        let present: Vec<$crate::title_row::TitleRow> =
            sqlx::query_as($crate::titles::SELECT_TITLE)
                .fetch_all(&mut *$tx)
                .await?;
        let present: std::collections::HashMap<String, $crate::title_row::TitleRow> = present
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        // A title restored exactly as it is stored keeps its lastModified and revision: nothing
        // changed, so Jamf Pro must not see a change. A replaced title that differs gets a
        // lastModified that moves forward, even within one second of its previous write, or
        // Jamf Pro's pollers would miss the change.
        let mut unchanged: std::collections::HashSet<String> = std::collections::HashSet::new();
        let all_columns: Vec<$crate::title_row::TitleColumns> = $records
            .iter()
            .map(|record| {
                let stored = present.get(record.definition.id.as_str());
                let columns = $crate::title_row::TitleColumns::of(record);
                if stored.is_some_and(|row| row.holds_the_same(&columns)) {
                    unchanged.insert(columns.id.clone());
                    return columns;
                }
                let previous =
                    stored.and_then(|row| row.last_modified.parse::<jiff::Timestamp>().ok());
                let mut stamped = record.clone();
                stamped.last_modified = ringmaster_domain::jamf_time::next_last_modified(
                    previous,
                    record.last_modified,
                );
                $crate::title_row::TitleColumns::of(&stamped)
            })
            .collect();
        let mut outcome = $crate::titles::RestoreOutcome::default();
        for columns in &all_columns {
            if present.contains_key(&columns.id) {
                outcome.replaced.push(columns.id.clone());
            } else {
                outcome.created.push(columns.id.clone());
            }
        }
        if $existing == $crate::titles::ExistingTitles::Refuse && !outcome.replaced.is_empty() {
            return Err($crate::error::StoreError::AlreadyExists(format!(
                "titles {}",
                outcome.replaced.join(", ")
            )));
        }
        for columns in all_columns
            .iter()
            .filter(|columns| !unchanged.contains(&columns.id))
        {
            $crate::titles::bind_columns!(sqlx::query($crate::titles::UPSERT_TITLE), columns)
                .bind($revision)
                .bind(&columns.last_modified)
                .execute(&mut *$tx)
                .await?;
            sqlx::query("DELETE FROM title_tombstones WHERE id = $1")
                .bind(&columns.id)
                .execute(&mut *$tx)
                .await?;
        }
        outcome
    }};
}
pub(crate) use restore_titles_in;

/// Binds a title's columns as `$1`..`$8` (id, name, publisher, enabled, pinned_version,
/// disabled_versions, last_modified, definition), the order every title write uses.
macro_rules! bind_columns {
    ($query:expr, $columns:expr) => {
        $query
            .bind(&$columns.id)
            .bind(&$columns.name)
            .bind(&$columns.publisher)
            .bind($columns.enabled)
            .bind(&$columns.pinned_version)
            .bind(&$columns.disabled_versions)
            .bind(&$columns.last_modified)
            .bind(&$columns.definition)
    };
}
pub(crate) use bind_columns;

/// Bumps the change counter inside a transaction and yields the new revision. Always the first
/// statement of a write transaction: on SQLite it takes the write lock before any read, so a
/// concurrent writer waits (busy timeout) instead of failing on a lock upgrade.
macro_rules! bump_counter {
    ($tx:ident) => {
        sqlx::query_scalar::<_, i64>(
            "UPDATE change_counter SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        )
        .fetch_one(&mut *$tx)
        .await?
    };
}
pub(crate) use bump_counter;

macro_rules! upsert_tombstone {
    ($tx:ident, $id:expr, $revision:expr) => {
        sqlx::query(
            "INSERT INTO title_tombstones (id, revision) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision",
        )
        .bind($id)
        .bind($revision)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use upsert_tombstone;

/// Queries must be `&'static str` for sqlx 0.9; the few composed ones are built once and leaked.
fn const_format(head: &'static str, tail: &'static str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<(&'static str, &'static str), &'static str>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry((head, tail))
        .or_insert_with(|| Box::leak(format!("{head}{tail}").into_boxed_str()))
}
