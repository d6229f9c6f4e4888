//! `/api/v1/catalog`: importing Apple release feeds and listing the catalog.
//!
//! `POST /catalog/import` takes the feed itself as the body (SOFA v1/v2/DMS or gdmf, detected by
//! its keys) and answers what changed; a feed that cannot be read answers 400 with a pointer into
//! the feed for every problem and changes nothing. `GET /catalog/{platform}` lists the releases
//! of `macOS` or `iOS`, newest first. `DELETE /catalog/{platform}/{version}` (`?build=` for one
//! build only) removes a release, so a bad import can be undone: 204, or 404 when none matches.
//! `POST /catalog/{platform}/{version}/block` with `{"reason"}` blocks every build of a version
//! everywhere (it answers the block; a bad body answers 400 by pointer and changes nothing), and
//! `POST …/unblock` lifts it (204, or 404 when it is not blocked). The listing shows each
//! release's block and every blocked version of the platform.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use ringmaster_domain::platform::Platform;
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::dry_run::{DryRun, preview_answer};
use crate::http::error::ApiError;
use crate::http::extract::{ApiBytes, ApiPath, ApiQuery};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::os_updates::catalog::ImportReport;
use crate::os_updates::views::{BlockView, CatalogView, ReleaseView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog/import", post(import_feed))
        .route("/catalog/{platform}", get(list_catalog))
        .route("/catalog/{platform}/{version}", delete(delete_release))
        .route("/catalog/{platform}/{version}/block", post(block_release))
        .route(
            "/catalog/{platform}/{version}/unblock",
            post(unblock_release),
        )
}

async fn block_release(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath((platform, version)): ApiPath<(String, String)>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    let by = token.as_ref().map(|Extension(token)| token.name.as_str());
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_block_release(platform, &version, &body, by, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let outcome = state
        .os_updates
        .block_release(platform, &version, &body, by)
        .await?;
    Ok(PrettyJson(BlockView::of(&outcome.block)).into_response())
}

async fn unblock_release(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath((platform, version)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_unblock_release(platform, &version, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state.os_updates.unblock_release(platform, &version).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `?build=` of the delete route.
#[derive(Debug, serde::Deserialize)]
struct DeleteReleaseQuery {
    build: Option<String>,
}

async fn delete_release(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath((platform, version)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DeleteReleaseQuery>,
) -> Result<Response, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    let build = query
        .build
        .as_deref()
        .map(str::trim)
        .filter(|build| !build.is_empty());
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_delete_release(platform, &version, build, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state
        .os_updates
        .delete_release(platform, &version, build)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn import_feed(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_import_feed(&body, state.clock.now(), at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let report: ImportReport = state
        .os_updates
        .import_feed(&body, state.clock.now())
        .await?;
    Ok(PrettyJson(report).into_response())
}

async fn list_catalog(
    State(state): State<AppState>,
    ApiPath(platform): ApiPath<String>,
) -> Result<PrettyJson<CatalogView>, ApiError> {
    let platform = Platform::parse(&platform).map_err(ApiError::NotFound)?;
    let releases = state.os_updates.releases(Some(platform)).await?;
    let blocks = state.os_updates.blocked_releases(Some(platform)).await?;
    Ok(PrettyJson(CatalogView {
        platform,
        releases: releases
            .iter()
            .map(|release| ReleaseView::with_blocks(release, &blocks))
            .collect(),
        blocked: blocks.iter().map(BlockView::of).collect(),
    }))
}
