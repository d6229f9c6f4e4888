//! `/api/v1/devices/{id}/exemptions`: `POST` `{"until", "reason"}` exempts a device from
//! enforcement until then (201 with the exemption; 400 by pointer, nothing written; 404 for an
//! unknown device), `GET ?at=` lists its exemptions, `DELETE …/{exemptionId}` ends one early (204).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Extension, Router};
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
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
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<(StatusCode, PrettyJson<ExemptionView>), ApiError> {
    let id = device_path_id(&id)?;
    let by = token.as_ref().map(|Extension(token)| token.name.as_str());
    let view = state.os_updates.add_exemption(id, &body, by).await?;
    Ok((StatusCode::CREATED, PrettyJson(view)))
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
    ApiPath((id, exemption)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = device_path_id(&id)?;
    let exemption = path_id(
        exemption
            .parse::<i64>()
            .map_err(|_| format!("exemption {exemption:?} does not exist")),
    )?;
    state.os_updates.end_exemption(id, exemption).await?;
    Ok(StatusCode::NO_CONTENT)
}
