//! `GET /api/v1/audit`: the audit log, newest first (`?since=&object=&token=&limit=`).
//!
//! `since` is an RFC 3339 instant (entries at or after it); `object` an object id, or
//! `kind/id` (`policy/3`, `title/Firefox`); `token` a token's name, or `cli` for CLI commands;
//! `limit` 1 to 1000 (100 by default). A bad value is a 400 naming its parameter. The answer
//! is [`AuditAnswer`]; the CLI (`ringmaster audit`) reads the same filters ([`AuditQuery`]).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use jiff::Timestamp;
use ringmaster_store::audit::{AuditEntry, AuditFilter, MAX_AUDIT_LIMIT};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::pretty_json::PrettyJson;

/// Entries answered when no `limit` is given.
pub const DEFAULT_LIMIT: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list_audit))
}

/// The filters, as given.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub since: Option<String>,
    pub object: Option<String>,
    pub token: Option<String>,
    pub limit: Option<String>,
}

impl AuditQuery {
    /// The store's filter; `Err((parameter, why))` for a bad value.
    pub fn filter(&self) -> Result<AuditFilter, (&'static str, String)> {
        let since = self
            .since
            .as_deref()
            .map(|text| {
                text.parse::<Timestamp>().map_err(|error| {
                    (
                        "since",
                        format!("{text:?} is not an RFC 3339 instant such as 2026-11-24T09:00:00Z: {error}"),
                    )
                })
            })
            .transpose()?;
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<u32>() {
                Ok(limit) if (1..=MAX_AUDIT_LIMIT).contains(&limit) => limit,
                _ => {
                    return Err((
                        "limit",
                        format!("{text:?}: expected a whole number from 1 to {MAX_AUDIT_LIMIT}"),
                    ));
                }
            },
        };
        let (object_kind, object_id) = match self.object.as_deref() {
            None => (None, None),
            Some("") => return Err(("object", "empty: expected an id or kind/id".to_owned())),
            Some(text) => match text.split_once('/') {
                Some((kind, id)) if !kind.is_empty() && !id.is_empty() => {
                    (Some(kind.to_owned()), Some(id.to_owned()))
                }
                Some(_) => {
                    return Err(("object", format!("{text:?}: expected an id or kind/id")));
                }
                None => (None, Some(text.to_owned())),
            },
        };
        if self.token.as_deref() == Some("") {
            return Err(("token", "empty: expected a token's name or cli".to_owned()));
        }
        Ok(AuditFilter {
            since,
            object_kind,
            object_id,
            actor: self.token.clone(),
            limit,
        })
    }
}

/// `GET /api/v1/audit`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditAnswer {
    pub entries: Vec<AuditEntryView>,
}

/// One entry as the API answers it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    /// When, by the application clock (RFC 3339).
    pub at: String,
    pub actor: ActorView,
    pub client_address: Option<String>,
    /// The route (`PUT /api/v1/policies/{id}`) or command (`ringmaster webhook add`).
    pub action: String,
    pub object: ObjectView,
    /// `done`, or `pending` when the change's outcome was never seen.
    pub outcome: String,
    /// The HTTP status answered (none for CLI commands).
    pub status: Option<i64>,
    /// The object before and after (secrets redacted; bounded), when known.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorView {
    /// `token` or `cli`.
    pub kind: String,
    /// The token's id (tokens only).
    pub token_id: Option<i64>,
    /// The token's name, or the OS user of a CLI command.
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectView {
    pub kind: Option<String>,
    pub id: Option<String>,
}

impl AuditEntryView {
    pub fn of(entry: AuditEntry) -> AuditEntryView {
        let at = Timestamp::from_millisecond(entry.occurred_at)
            .map(|at| at.to_string())
            .unwrap_or_else(|_| entry.occurred_at.to_string());
        let json = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
        AuditEntryView {
            id: entry.id,
            at,
            actor: ActorView {
                kind: entry.actor_kind,
                token_id: entry.token_id,
                name: entry.actor,
            },
            client_address: entry.client_address,
            action: entry.action,
            object: ObjectView {
                kind: entry.object_kind,
                id: entry.object_id,
            },
            outcome: entry.outcome,
            status: entry.status,
            before: json(entry.before_summary),
            after: json(entry.after_summary),
        }
    }
}

async fn list_audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<PrettyJson<AuditAnswer>, ApiError> {
    let filter = query
        .filter()
        .map_err(|(parameter, why)| ApiError::invalid_parameter(parameter, why))?;
    let entries = state
        .store
        .audit_entries(&filter)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(PrettyJson(AuditAnswer {
        entries: entries.into_iter().map(AuditEntryView::of).collect(),
    }))
}
