//! `/api/v1/catalog`: importing Apple release feeds and listing the catalog.
//!
//! `POST /catalog/import` takes the feed itself as the body (SOFA v1/v2/DMS or gdmf, detected by
//! its keys) and answers what changed; a feed that cannot be read answers 400 with a pointer into
//! the feed for every problem and changes nothing. `GET /catalog/{platform}` lists the releases
//! of `macOS` or `iOS`, newest first. `DELETE /catalog/{platform}/{version}` (`?build=` for one
//! build only) removes a release, so a bad import can be undone: 204, or 404 when none matches.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use ringmaster_domain::platform::Platform;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::os_updates::catalog::ImportReport;
use crate::os_updates::views::{CatalogView, ReleaseView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog/import", post(import_feed))
        .route("/catalog/{platform}", get(list_catalog))
        .route("/catalog/{platform}/{version}", delete(delete_release))
}

/// `?build=` of the delete route.
#[derive(Debug, serde::Deserialize)]
struct DeleteReleaseQuery {
    build: Option<String>,
}

async fn delete_release(
    State(state): State<AppState>,
    ApiPath((platform, version)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DeleteReleaseQuery>,
) -> Result<StatusCode, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    let build = query
        .build
        .as_deref()
        .map(str::trim)
        .filter(|build| !build.is_empty());
    state
        .os_updates
        .delete_release(platform, &version, build)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import_feed(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<PrettyJson<ImportReport>, ApiError> {
    Ok(PrettyJson(
        state
            .os_updates
            .import_feed(&body, state.clock.now())
            .await?,
    ))
}

async fn list_catalog(
    State(state): State<AppState>,
    ApiPath(platform): ApiPath<String>,
) -> Result<PrettyJson<CatalogView>, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    let releases = state.os_updates.releases(Some(platform)).await?;
    Ok(PrettyJson(CatalogView {
        platform,
        releases: releases.iter().map(ReleaseView::of).collect(),
    }))
}
