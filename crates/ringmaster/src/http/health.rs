//! `GET /healthz`: whether the server can reach its database, and what its cache holds.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::http::AppState;
use crate::http::pretty_json::PrettyJson;

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or `unavailable` when the database cannot be reached.
    pub status: &'static str,
    pub database: DatabaseHealth,
    pub patch_source: PatchSourceHealth,
    pub version: &'static str,
}

/// The database's backend and whether it answers.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseHealth {
    pub backend: &'static str,
    pub reachable: bool,
}

/// What the patch source's cache holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchSourceHealth {
    pub revision: i64,
    pub served_titles: usize,
    pub stored_titles: usize,
}

pub async fn get_health(State(state): State<AppState>) -> (StatusCode, PrettyJson<Health>) {
    let snapshot = state.patch_source.cache.snapshot();
    let reachable = state.store.ping().await.is_ok();
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        PrettyJson(Health {
            status: if reachable { "ok" } else { "unavailable" },
            database: DatabaseHealth {
                backend: state.store.backend().name(),
                reachable,
            },
            patch_source: PatchSourceHealth {
                revision: snapshot.revision,
                served_titles: snapshot.titles.len(),
                stored_titles: snapshot.stored_titles,
            },
            version: env!("CARGO_PKG_VERSION"),
        }),
    )
}
