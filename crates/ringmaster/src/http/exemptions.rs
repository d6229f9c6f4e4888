//! `/api/v1/devices/{id}/exemptions`: `POST` `{"until", "reason"}` exempts a device from
//! enforcement until then (201 with the exemption; 400 by pointer, nothing written; 404 for an
//! unknown device), `GET ?at=` lists its exemptions, `DELETE …/{exemptionId}` ends one early (204).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Extension, Router};
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::dry_run::{DryRun, preview_answer};
use crate::http::error::ApiError;
use crate::http::extract::{ApiBytes, ApiPath, ApiQuery};
use crate::http::os_query::{AtQuery, device_path_id, path_id};
use crate::http::pretty_json::PrettyJson;
use crate::os_updates::exemptions::{ExemptionList, ExemptionView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/devices/{id}/exemptions",
            get(list_exemptions).post(add_exemption),
        )
        .route(
            "/devices/{id}/exemptions/{exemption}",
            delete(end_exemption),
        )
}

async fn add_exemption(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let id = device_path_id(&id)?;
    let by = token.as_ref().map(|Extension(token)| token.name.as_str());
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_add_exemption(id, &body, by, state.clock.now(), at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let view: ExemptionView = state.os_updates.add_exemption(id, &body, by).await?;
    Ok((StatusCode::CREATED, PrettyJson(view)).into_response())
}

async fn list_exemptions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<ExemptionList>, ApiError> {
    let id = device_path_id(&id)?;
    let at = query.instant(state.clock.now())?;
    Ok(PrettyJson(state.os_updates.exemptions(id, at).await?))
}

async fn end_exemption(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath((id, exemption)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let id = device_path_id(&id)?;
    let exemption = path_id(
        exemption
            .parse::<i64>()
            .map_err(|_| format!("exemption {exemption:?} does not exist")),
    )?;
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_end_exemption(id, exemption, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state.os_updates.end_exemption(id, exemption).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
