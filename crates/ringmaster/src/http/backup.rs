//! `GET /api/v1/backup` and `POST /api/v1/restore`.
//!
//! The backup is a zip in PatchServer's layout (see [`crate::patch_source::archive`]). A restore
//! validates every file first and writes in one transaction: it either restores everything or
//! changes nothing. Existing titles are replaced only with `?replace=true`; otherwise a restore
//! that would overwrite one is refused with 409, naming them.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_store::titles::ExistingTitles;
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::upload::ZipUpload;
use crate::patch_source::archive;
use crate::patch_source::service::now;

pub fn router() -> Router<AppState> {
    Router::new().route("/backup", get(get_backup))
}

pub fn restore_router() -> Router<AppState> {
    Router::new().route("/restore", post(restore_backup))
}

async fn get_backup(State(state): State<AppState>) -> Result<Response, ApiError> {
    let titles = state.patch_source.list_titles().await?;
    let records: Vec<TitleRecord> = titles.into_iter().map(|stored| stored.record).collect();
    let zip = tokio::task::spawn_blocking(move || archive::write_zip(&records))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let filename = format!(
        "attachment; filename=\"ringmaster-backup-{}.zip\"",
        now().strftime("%Y%m%dT%H%M%SZ")
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

#[derive(Debug, Deserialize)]
struct RestoreQuery {
    #[serde(default)]
    replace: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RestoreReport {
    created: Vec<String>,
    replaced: Vec<String>,
}

async fn restore_backup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RestoreQuery>,
    ZipUpload(body): ZipUpload,
) -> Result<Response, ApiError> {
    let records = tokio::task::spawn_blocking(move || {
        let files = archive::read_zip(&body)?;
        if files.is_empty() {
            return Err(archive::ArchiveError::Empty("the uploaded zip".into()));
        }
        archive::records_from_files(&files, now(), |_| {})
    })
    .await
    .map_err(|error| ApiError::Internal(error.into()))??;
    let existing = if query.replace {
        ExistingTitles::Replace
    } else {
        ExistingTitles::Refuse
    };
    let outcome = state
        .patch_source
        .restore(records, existing)
        .await
        .map_err(|error| match error {
            crate::patch_source::service::TitleError::AlreadyExists(what) => {
                ApiError::Conflict(format!(
                    "{what} already exist; nothing was restored (add ?replace=true to replace them)"
                ))
            }
            other => other.into(),
        })?;
    let status = if outcome.created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(RestoreReport {
            created: outcome.created,
            replaced: outcome.replaced,
        }),
    )
        .into_response())
}
