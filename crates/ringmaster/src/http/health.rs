//! `GET /healthz`: whether the server can reach its database, and what its cache holds.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::pretty_json::PrettyJson;

pub async fn get_health(State(state): State<AppState>) -> (StatusCode, PrettyJson<Value>) {
    let snapshot = state.patch_source.cache.snapshot();
    let database = state.patch_source.store.ping().await;
    let status = if database.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        PrettyJson(json!({
            "status": if database.is_ok() { "ok" } else { "unavailable" },
            "database": {
                "backend": state.patch_source.store.backend().name(),
                "reachable": database.is_ok(),
            },
            "patchSource": {
                "revision": snapshot.revision,
                "servedTitles": snapshot.titles.len(),
                "storedTitles": snapshot.stored_titles,
            },
            "version": env!("CARGO_PKG_VERSION"),
        })),
    )
}
