//! The audit log (migration 0009): who changed what through the admin API or the CLI, when,
//! from where, with bounded summaries of before and after.
//!
//! Recording is in two steps around the change, so that a committed change never goes without
//! its entry: [`Store::begin_audit`] writes the entry (outcome `pending`) before the change is
//! attempted, and the caller refuses to make the change when that write fails; afterwards
//! [`Store::complete_audit`] marks it `done` with its status and the summary after, or
//! [`Store::discard_audit`] deletes it when the change was refused. An entry left `pending` is
//! a change whose outcome nobody saw (the process stopped, or the client went away, in
//! between): it may or may not have committed, and the log says so instead of forgetting it.
//!
//! The store keeps what it is given: summaries are redacted and bounded by the edge before they
//! get here, and cut to [`MAX_SUMMARY_BYTES`] here again; the short text columns (actor,
//! action, object, address) are cut and have control characters replaced. Reads are newest first and bounded
//! ([`MAX_AUDIT_LIMIT`]). [`Store::prune_audit`] deletes entries older than a cutoff.

use jiff::Timestamp;

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;

/// The most entries one read returns.
pub const MAX_AUDIT_LIMIT: u32 = 1000;

/// The largest stored summary (before or after), in bytes; the edge keeps them smaller.
pub const MAX_SUMMARY_BYTES: usize = 8 * 1024;

/// The most characters kept of the short text columns (actor, action, object, address).
const MAX_FIELD_CHARS: usize = 300;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    /// An admin API token, by id and name.
    Token { id: i64, name: String },
    /// A CLI command, run by this OS user (`unknown` when the environment does not say).
    Cli { os_user: String },
    /// The server itself, by the task that decided (`gate evaluation`).
    Server { task: String },
}

/// An entry as recorded before its change is attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub occurred_at: Timestamp,
    pub actor: AuditActor,
    /// The client's address, for API changes when it is known.
    pub client_address: Option<String>,
    /// The route (`POST /api/v1/title`) or CLI command (`ringmaster title delete`).
    pub action: String,
    /// The kind of object changed (`title`, `policy`, …) and its id, when they are known.
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// The object before the change (JSON text), when it could be read.
    pub before: Option<String>,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub occurred_at: i64,
    /// `token` or `cli`.
    pub actor_kind: String,
    pub token_id: Option<i64>,
    /// The token's name, or the OS user of a CLI command.
    pub actor: String,
    pub client_address: Option<String>,
    pub action: String,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// `done`, or `pending` (the outcome was never seen).
    pub outcome: String,
    /// The HTTP status answered (CLI commands: none).
    pub status: Option<i64>,
    pub before_summary: Option<String>,
    pub after_summary: Option<String>,
}

/// Which entries a read returns; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// At or after this instant.
    pub since: Option<Timestamp>,
    /// Of this object id, and of this kind when given.
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// By this actor: a token's name, or [`CLI_ACTOR`] for every CLI command.
    pub actor: Option<String>,
    /// At most this many (capped at [`MAX_AUDIT_LIMIT`]).
    pub limit: u32,
}

const SELECT_ENTRIES: &str = "SELECT id, occurred_at, actor_kind, token_id, actor, client_address, \
     action, object_kind, object_id, outcome, status, before_summary, after_summary FROM audit_log";

/// The read for `filter`: only the conditions it sets, so each can use its index (a
/// `$n IS NULL OR …` condition cannot), with their values in parameter order.
fn select_for(filter: &AuditFilter) -> (String, Vec<FilterValue<'_>>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(since) = filter.since {
        values.push(FilterValue::Number(since.as_millisecond()));
        conditions.push(format!("occurred_at >= ${}", values.len()));
    }
    if let Some(kind) = &filter.object_kind {
        values.push(FilterValue::Text(kind));
        conditions.push(format!("object_kind = ${}", values.len()));
    }
    if let Some(id) = &filter.object_id {
        values.push(FilterValue::Text(id));
        conditions.push(format!("object_id = ${}", values.len()));
    }
    match filter.actor.as_deref() {
        None => {}
        Some(CLI_ACTOR) => conditions.push("actor_kind = 'cli'".to_owned()),
        Some(actor) => {
            values.push(FilterValue::Text(actor));
            conditions.push(format!(
                "actor_kind = 'token' AND actor = ${}",
                values.len()
            ));
        }
    }
    let filter_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let limit = i64::from(filter.limit.min(MAX_AUDIT_LIMIT));
    values.push(FilterValue::Number(limit));
    let sql = format!(
        "{SELECT_ENTRIES}{filter_sql} ORDER BY occurred_at DESC, id DESC LIMIT ${}",
        values.len()
    );
    (sql, values)
}

/// What [`AuditFilter::actor`] says to select every CLI command.
pub const CLI_ACTOR: &str = "cli";

/// One bound value of a filtered read.
#[derive(Debug, Clone, Copy)]
enum FilterValue<'a> {
    Text(&'a str),
    Number(i64),
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// At most [`MAX_FIELD_CHARS`] of `text`, each control character (a NUL, which PostgreSQL
/// cannot store, among them) replaced by U+FFFD: ids come from request paths.
fn short(text: &str) -> String {
    text.chars()
        .take(MAX_FIELD_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

fn bounded(summary: Option<&str>) -> Option<String> {
    summary.map(|text| truncate_bytes(text, MAX_SUMMARY_BYTES).to_owned())
}

impl Store {
    /// Records `entry` as `pending`, before its change is attempted; the entry's id.
    pub async fn begin_audit(&self, entry: &NewAuditEntry) -> Result<i64, StoreError> {
        let (kind, token_id, actor) = match &entry.actor {
            AuditActor::Token { id, name } => ("token", Some(*id), short(name)),
            AuditActor::Cli { os_user } => ("cli", None, short(os_user)),
            AuditActor::Server { task } => ("server", None, short(task)),
        };
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO audit_log (occurred_at, actor_kind, token_id, actor, client_address, \
                 action, object_kind, object_id, outcome, before_summary) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9) RETURNING id",
            )
            .bind(entry.occurred_at.as_millisecond())
            .bind(kind)
            .bind(token_id)
            .bind(actor)
            .bind(entry.client_address.as_deref().map(short))
            .bind(short(&entry.action))
            .bind(entry.object_kind.as_deref().map(short))
            .bind(entry.object_id.as_deref().map(short))
            .bind(bounded(entry.before.as_deref()))
            .fetch_one(pool)
            .await?
        }))
    }

    /// Marks entry `id` done, with the status answered, the summary after the change and the
    /// object's id when only the change made it known (a created policy's id).
    pub async fn complete_audit(
        &self,
        id: i64,
        status: Option<u16>,
        object_id: Option<&str>,
        after: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE audit_log SET outcome = 'done', status = $2, \
                 object_id = COALESCE(object_id, $3), after_summary = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(status.map(i64::from))
            .bind(object_id.map(short))
            .bind(bounded(after))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Deletes entry `id`: its change was refused, so nothing changed.
    pub async fn discard_audit(&self, id: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM audit_log WHERE id = $1 AND outcome = 'pending'")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The entries `filter` selects, newest first, at most `filter.limit` (capped at
    /// [`MAX_AUDIT_LIMIT`]).
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let (sql, values) = select_for(filter);
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for value in &values {
                query = match value {
                    FilterValue::Text(text) => query.bind(*text),
                    FilterValue::Number(number) => query.bind(*number),
                };
            }
            query.fetch_all(pool).await?
        }))
    }

    /// Deletes the entries that occurred before `cutoff`; how many.
    pub async fn prune_audit(&self, cutoff: Timestamp) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM audit_log WHERE occurred_at < $1")
                .bind(cutoff.as_millisecond())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_names_only_the_filters_it_has() {
        let filter = AuditFilter {
            object_id: Some("3".to_owned()),
            actor: Some(CLI_ACTOR.to_owned()),
            limit: 5,
            ..AuditFilter::default()
        };
        let (sql, values) = select_for(&filter);
        assert!(sql.ends_with(
            " WHERE object_id = $1 AND actor_kind = 'cli' ORDER BY occurred_at DESC, id DESC LIMIT $2"
        ));
        assert_eq!(values.len(), 2);
        let (sql, _) = select_for(&AuditFilter::default());
        assert!(!sql.contains("WHERE"));
    }

    #[test]
    fn short_fields_hold_no_control_character() {
        assert_eq!(short("mac\u{0}1\n"), "mac\u{FFFD}1\u{FFFD}");
        assert_eq!(short(&"x".repeat(400)).len(), MAX_FIELD_CHARS);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate_bytes("abc", 5), "abc");
        assert_eq!(truncate_bytes("aé", 2), "a");
        assert_eq!(truncate_bytes("aéb", 3), "aé");
    }
}
