//! `/api/v1/devices` and `/api/v1/device-groups`, and what each device is served.
//!
//! - `POST /devices` (201; 409 when the enrollment id exists), `GET /devices?after=&limit=`,
//!   `GET|DELETE /devices/{id}`;
//! - `GET /devices/{id}/effective-policy?at=`: the policy that wins, why, what it overrules, and
//!   the schedule it gives the device at that instant;
//! - `GET /devices/{id}/declarations?at=`: the DDM declarations the device is served then;
//! - `POST /device-groups` (201; 400 with a pointer per unknown member), `GET /device-groups`,
//!   `GET|PUT|DELETE /device-groups/{id}`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ringmaster_domain::inventory::{parse_device, parse_device_group};
use ringmaster_store::os_updates::devices::NewDevice;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::os_query::{AtQuery, json_body, numeric_id};
use crate::http::upload::JsonUpload;
use crate::os_updates::views;
use crate::patch_source::service::now;

/// The most devices one page lists.
pub const MAX_PAGE: u32 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list_devices).post(create_device))
        .route("/devices/{id}", get(get_device).delete(delete_device))
        .route("/devices/{id}/effective-policy", get(effective_policy))
        .route("/devices/{id}/declarations", get(declarations))
        .route(
            "/device-groups",
            get(list_device_groups).post(create_device_group),
        )
        .route(
            "/device-groups/{id}",
            get(get_device_group)
                .put(replace_device_group)
                .delete(delete_device_group),
        )
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    after: Option<String>,
    limit: Option<u32>,
}

async fn create_device(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document =
        parse_device(&json_body(&body)?).map_err(|errors| ApiError::invalid_document(&errors))?;
    let device = NewDevice {
        id: document.id,
        platform: document.platform,
        os_version: document.os_version,
        os_build: document.os_build,
        model: document.model,
    };
    let stored = state.os_updates.create_device(&device, now()).await?;
    Ok(created(
        &format!("/api/v1/devices/{}", stored.id),
        views::device(&stored),
    ))
}

async fn list_devices(
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::invalid_parameter(
            "limit",
            format!("limit is 1 to {MAX_PAGE}"),
        ));
    }
    let devices = state
        .os_updates
        .devices(page.after.as_deref(), limit)
        .await?;
    let next = (devices.len() == limit as usize)
        .then(|| devices.last().map(|device| device.id.clone()))
        .flatten();
    Ok(Json(json!({
        "devices": devices.iter().map(views::device).collect::<Vec<_>>(),
        "next": next,
    })))
}

async fn get_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(views::device(&state.os_updates.device(&id).await?)))
}

async fn delete_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.os_updates.delete_device(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn effective_policy(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Json<Value>, ApiError> {
    let at = query.instant()?;
    let served = state.os_updates.device_declarations(&id, at).await?;
    Ok(Json(views::effective_policy(&served, at)))
}

async fn declarations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AtQuery>,
) -> Result<Json<Value>, ApiError> {
    let at = query.instant()?;
    let served = state.os_updates.device_declarations(&id, at).await?;
    Ok(Json(views::declarations(&served, at)))
}

async fn create_device_group(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document = parse_device_group(&json_body(&body)?)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let group = state
        .os_updates
        .create_device_group(&document.name, &document.devices, now())
        .await?;
    Ok(created(
        &format!("/api/v1/device-groups/{}", group.id),
        views::device_group(&group),
    ))
}

async fn list_device_groups(State(state): State<AppState>) -> Result<Json<Vec<Value>>, ApiError> {
    let groups = state.os_updates.device_groups().await?;
    Ok(Json(groups.iter().map(views::device_group).collect()))
}

async fn get_device_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = numeric_id(&id, "device group")?;
    Ok(Json(views::device_group(
        &state.os_updates.device_group(id).await?,
    )))
}

async fn replace_device_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Json<Value>, ApiError> {
    let id = numeric_id(&id, "device group")?;
    let document = parse_device_group(&json_body(&body)?)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let group = state
        .os_updates
        .replace_device_group(id, &document.name, &document.devices, now())
        .await?;
    Ok(Json(views::device_group(&group)))
}

async fn delete_device_group(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = numeric_id(&id, "device group")?;
    state.os_updates.delete_device_group(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn created(location: &str, body: Value) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
