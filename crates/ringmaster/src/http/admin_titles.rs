//! The admin API for software titles, under `/api/v1/title`.
//!
//! PatchServer's paths and status codes are kept (`POST /title` 201/409/400,
//! `DELETE /title/{id}` 204/404, `POST /title/{id}/version` 201/409) so its tooling keeps working.
//! Beyond them: list, read, replace, positional version inserts, version delete, enable/disable of
//! titles and versions, and pinning `currentVersion`. Reads and writes answer an `ETag` (the
//! title's revision); `PUT` and `DELETE` of a title and `DELETE` of a version honour `If-Match`
//! and answer 412 when the title changed in between. Concurrent edits never lose each other.
//! A version posted without a position goes where version order puts it (`title::version_place`).
//! A replacement whose body names another id is refused by the domain (`IdMismatch`: 400 with
//! pointer `/id`), once the title at the path is found.
//! Every answer is pretty JSON ([`PrettyJson`]); a create answers PatchServer's `database_id` first.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use ringmaster_domain::field_error::FieldError;
use ringmaster_domain::jamf_time::format_last_modified;
use ringmaster_domain::title::edit::Placement;
use ringmaster_domain::title::parse;
use ringmaster_domain::title::render;
use ringmaster_store::title_row::StoredTitle;
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::http::conditional::{if_match, set_etag};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/title", get(list_titles).post(create_title))
        .route(
            "/title/{id}",
            get(get_title).put(replace_title).delete(delete_title),
        )
        .route("/title/{id}/enable", post(enable_title))
        .route("/title/{id}/disable", post(disable_title))
        .route(
            "/title/{id}/current-version",
            put(pin_current_version).delete(unpin_current_version),
        )
        .route("/title/{id}/version", post(add_version))
        .route(
            "/title/{id}/version/{version}",
            get(get_version).delete(delete_version),
        )
        .route("/title/{id}/version/{version}/enable", post(enable_version))
        .route(
            "/title/{id}/version/{version}/disable",
            post(disable_version),
        )
}

/// What the admin API says about a title besides its definition.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TitleStatus {
    pub id: String,
    pub name: String,
    pub publisher: String,
    /// The current version: the pin, or else the newest enabled version ("" when there is none).
    /// Jamf Pro sees it only while `served` is true.
    pub current_version: String,
    pub last_modified: String,
    pub enabled: bool,
    /// Whether Jamf Pro sees the title (enabled, with an enabled version).
    pub served: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned_version: Option<String>,
    /// Every version, newest first.
    pub versions: Vec<String>,
    pub disabled_versions: Vec<String>,
    /// The value to send in `If-Match` for a conditional write.
    pub revision: i64,
}

impl TitleStatus {
    pub fn of(stored: &StoredTitle) -> TitleStatus {
        let record = &stored.record;
        TitleStatus {
            id: record.definition.id.to_string(),
            name: record.definition.name.clone(),
            publisher: record.definition.publisher.clone(),
            current_version: record.current_version().unwrap_or_default().to_owned(),
            last_modified: format_last_modified(record.last_modified),
            enabled: record.enabled,
            served: record.is_served(),
            pinned_version: record.pinned_version.clone(),
            versions: record
                .definition
                .patches
                .iter()
                .map(|patch| patch.version.clone())
                .collect(),
            disabled_versions: record.disabled_versions.iter().cloned().collect(),
            revision: stored.revision,
        }
    }
}

/// The answer to `POST /api/v1/title` and `PUT /api/v1/title/{id}`: the title's status, with
/// PatchServer's `database_id` first on a create (shell tools check that the answer begins
/// `{ "database_id":`) and the warnings of the definition, if any.
#[derive(Debug, Serialize)]
pub struct TitleWritten {
    /// An integer naming this title's creation, as PatchServer's row id did: the title's
    /// revision when it was created. No route takes it; only on a create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_id: Option<i64>,
    #[serde(flatten)]
    pub status: TitleStatus,
    /// Fields accepted but ignored (a `lastModified` that is no date), by JSON pointer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<TitleWarning>,
}

/// One field of a definition that was accepted but ignored.
#[derive(Debug, Serialize)]
pub struct TitleWarning {
    pub pointer: String,
    pub message: String,
}

impl TitleWritten {
    fn of(stored: &StoredTitle, created: bool, warnings: Vec<FieldError>) -> TitleWritten {
        TitleWritten {
            database_id: created.then_some(stored.revision),
            status: TitleStatus::of(stored),
            warnings: warnings
                .into_iter()
                .map(|warning| TitleWarning {
                    pointer: warning.pointer,
                    message: warning.message,
                })
                .collect(),
        }
    }
}

async fn list_titles(
    State(state): State<AppState>,
) -> Result<PrettyJson<Vec<TitleStatus>>, ApiError> {
    let titles = state.patch_source.list_titles().await?;
    Ok(PrettyJson(titles.iter().map(TitleStatus::of).collect()))
}

async fn create_title(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let parsed = parse::software_title_with_warnings(&body)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let stored = state.patch_source.create_title(parsed.title).await?;
    let location = format!("/api/v1/title/{}", stored.record.definition.id);
    let mut response = (
        StatusCode::CREATED,
        PrettyJson(TitleWritten::of(&stored, true, parsed.warnings)),
    )
        .into_response();
    set_etag(&mut response, stored.revision);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn get_title(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = state.patch_source.get_title(&id).await?;
    let mut response = PrettyJson(render::definition(&stored.record)).into_response();
    set_etag(&mut response, stored.revision);
    Ok(response)
}

async fn replace_title(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let if_match = if_match(&headers)?;
    let parse::ParsedTitle {
        title: definition,
        warnings,
    } = parse::software_title_with_warnings(&body)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let stored = state
        .patch_source
        .replace_title(&id, definition, if_match)
        .await?;
    let mut response = PrettyJson(TitleWritten::of(&stored, false, warnings)).into_response();
    set_etag(&mut response, stored.revision);
    Ok(response)
}

async fn delete_title(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let if_match = if_match(&headers)?;
    state.patch_source.delete_title(&id, if_match).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_title(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = state.patch_source.set_title_enabled(&id, true).await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

async fn disable_title(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = state.patch_source.set_title_enabled(&id, false).await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

async fn pin_current_version(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let version =
        parse::pinned_version(&body).map_err(|errors| ApiError::invalid_document(&errors))?;
    let stored = state.patch_source.pin_version(&id, &version).await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

async fn unpin_current_version(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = state.patch_source.unpin_version(&id).await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

#[derive(Debug, Deserialize)]
struct PositionQuery {
    after: Option<String>,
    before: Option<String>,
}

async fn add_version(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(position): ApiQuery<PositionQuery>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let placement = match (position.after, position.before) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "before",
                "give either ?after= or ?before=, not both",
            ));
        }
        (Some(after), None) => Placement::After(after),
        (None, Some(before)) => Placement::Before(before),
        (None, None) => Placement::VersionOrder,
    };
    let patch =
        parse::patch_from_slice(&body).map_err(|errors| ApiError::invalid_document(&errors))?;
    let stored = match state
        .patch_source
        .add_version(&id, patch, placement.clone())
        .await
    {
        Err(crate::patch_source::service::TitleError::Edit(
            ringmaster_domain::title::edit::TitleEditError::VersionNotFound(anchor),
        )) => {
            let parameter = if matches!(placement, Placement::After(_)) {
                "after"
            } else {
                "before"
            };
            return Err(ApiError::invalid_parameter(
                parameter,
                format!("version {anchor:?} does not exist in title {id:?}"),
            ));
        }
        other => other?,
    };
    Ok(with_revision(StatusCode::CREATED, &stored))
}

async fn get_version(
    State(state): State<AppState>,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let stored = state.patch_source.get_title(&id).await?;
    let patch = stored.record.definition.patch(&version).ok_or_else(|| {
        ApiError::NotFound(format!(
            "version {version:?} does not exist in title {id:?}"
        ))
    })?;
    let mut response = PrettyJson(render::patch(patch)).into_response();
    set_etag(&mut response, stored.revision);
    Ok(response)
}

async fn delete_version(
    State(state): State<AppState>,
    ApiPath((id, version)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let if_match = if_match(&headers)?;
    state
        .patch_source
        .remove_version(&id, &version, if_match)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_version(
    State(state): State<AppState>,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let stored = state
        .patch_source
        .set_version_enabled(&id, &version, true)
        .await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

async fn disable_version(
    State(state): State<AppState>,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let stored = state
        .patch_source
        .set_version_enabled(&id, &version, false)
        .await?;
    Ok(with_revision(StatusCode::OK, &stored))
}

fn with_revision(status: StatusCode, stored: &StoredTitle) -> Response {
    let mut response = (status, PrettyJson(TitleStatus::of(stored))).into_response();
    set_etag(&mut response, stored.revision);
    response
}
