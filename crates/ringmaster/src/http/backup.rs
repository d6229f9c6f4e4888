//! `GET /api/v1/backup` and `POST /api/v1/restore`.
//!
//! The backup is a zip of the whole installation (see [`crate::backup`]); `?scope=titles` gives
//! the titles-only backup in PatchServer's layout (see [`crate::patch_source::archive`]), and
//! `?format=patchserver` the zip PatchServer itself restores: its layout and nothing else (see
//! [`crate::patch_source::patchserver_archive`]). A
//! restore reads the zip within `--max-restore-bytes` (each entry within its own limit too),
//! validates every file first and writes in one transaction: it either restores everything or
//! changes nothing. Existing titles (and, for a full backup, existing OS-update data) are
//! replaced only with `?replace=true`; otherwise such a restore is refused with 409, naming them.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::backup::restore::{self, RestoreError};
use crate::backup::{self, Scope};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::ZipUpload;
use crate::patch_source::patchserver_archive;
use crate::patch_source::zip_read::ZipLimits;

pub fn router() -> Router<AppState> {
    Router::new().route("/backup", get(get_backup))
}

pub fn restore_router() -> Router<AppState> {
    Router::new().route("/restore", post(restore_backup))
}

#[derive(Debug, Deserialize)]
struct BackupQuery {
    #[serde(default)]
    scope: Option<Scope>,
    #[serde(default)]
    format: Option<BackupFormat>,
}

/// Whose backup format `GET /api/v1/backup` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BackupFormat {
    /// ringmaster's own (the default): restores everything, only into ringmaster.
    Ringmaster,
    /// PatchServer's: the served titles only, which PatchServer (and ringmaster) restore.
    Patchserver,
}

async fn get_backup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<BackupQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or(BackupFormat::Ringmaster);
    if format == BackupFormat::Patchserver && query.scope.is_some() {
        return Err(ApiError::invalid_parameter(
            "scope",
            "format=patchserver holds the served titles only; leave scope out",
        ));
    }
    let scope = query.scope.unwrap_or(Scope::Full);
    if format == BackupFormat::Patchserver {
        return patchserver_backup(&state).await;
    }
    let installation = state
        .store
        .read_backup()
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let at = state.clock.now();
    let zip = tokio::task::spawn_blocking(move || backup::write_backup(&installation, scope, at))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let filename = format!(
        "attachment; filename=\"ringmaster-backup-{}.zip\"",
        at.strftime("%Y%m%dT%H%M%SZ")
    );
    let mut response = zip.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn patchserver_backup(state: &AppState) -> Result<Response, ApiError> {
    let records = state
        .store
        .list_titles()
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let zip = tokio::task::spawn_blocking(move || {
        let records: Vec<_> = records.into_iter().map(|stored| stored.record).collect();
        patchserver_archive::write_patchserver_zip(&records)
    })
    .await
    .map_err(|error| ApiError::Internal(error.into()))?;
    let mut response = zip.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        patchserver_archive::DOWNLOAD_NAME
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct RestoreQuery {
    #[serde(default)]
    replace: bool,
}

async fn restore_backup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RestoreQuery>,
    ZipUpload(body): ZipUpload,
) -> Result<Response, ApiError> {
    let limits = ZipLimits::with_total(state.config.max_restore_bytes as u64);
    let now = state.clock.now();
    let read = tokio::task::spawn_blocking(move || backup::read_backup(&body, &limits, now))
        .await
        .map_err(|error| ApiError::Internal(error.into()))??;
    let full = read.full.is_some();
    let report = restore::restore(&state.store, read, query.replace)
        .await
        .map_err(|error| match error {
            RestoreError::AlreadyExists(what) => ApiError::Conflict(format!(
                "{what} already exist; nothing was restored (add ?replace=true to replace them)"
            )),
            RestoreError::Invalid(invalid) => invalid.into(),
            RestoreError::Store(store) => ApiError::Internal(store.into()),
        })?;
    state.patch_source.refresh_cache().await;
    if full && let Err(error) = state.os_updates.refresh().await {
        tracing::warn!(%error, "OS-update snapshot refresh failed after a restore");
    }
    // 201 when the restore created a title (as a titles-only restore always answered).
    let status = if report.created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, PrettyJson(report)).into_response())
}
