//! `/api/v1/devices` and `/api/v1/device-groups`, and what each device is served.
//!
//! - `POST /devices` (201; 409 when the enrollment id exists), `GET /devices?after=&limit=`
//!   (`&search=`: only the devices whose id, model or software-update id contains it, ASCII
//!   letters in either case, at most 100 characters; the same keyset paging), `GET|DELETE
//!   /devices/{id}`;
//! - `GET /devices/{id}/effective-policy?at=`: the policy that wins, why, what it overrules, and
//!   the schedule it gives the device at that instant;
//! - `GET /devices/{id}/declarations?at=`: the DDM declarations the device is served then;
//! - `POST /device-groups` (201; 400 with a pointer per unknown member), `GET /device-groups`,
//!   `GET|PUT|DELETE /device-groups/{id}`;
//! - `GET /devices/{id}/status?at=`: the policy result (target, deadline, install state, failures,
//!   each declaration's validity, legacy conflicts);
//! - `GET|POST /devices/{id}/legacy-mechanisms` (`{"kind": "patchPolicy"|"deferralProfile",
//!   "name"}`) and `DELETE …/{kind}/{name}`: legacy update mechanisms, which conflict with DDM.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ringmaster_domain::ids::{DeviceGroupId, DeviceId};
use ringmaster_domain::inventory::{parse_device, parse_device_group};
use ringmaster_domain::legacy::{LEGACY_KINDS, is_legacy_kind, parse_legacy_mechanism};
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::http::dry_run::{DryRun, preview_answer};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::os_query::{AtQuery, device_path_id, json_body, path_id, path_name};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::os_updates::result_views::{DeviceStatusView, LegacyList, LegacyView};
use crate::os_updates::served_views::{DeclarationsView, EffectivePolicyView};
use crate::os_updates::views::{DeviceGroupView, DevicePage, DeviceView};

/// The most devices one page lists.
pub const MAX_PAGE: u32 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list_devices).post(create_device))
        .route("/devices/{id}", get(get_device).delete(delete_device))
        .route("/devices/{id}/effective-policy", get(effective_policy))
        .route("/devices/{id}/declarations", get(declarations))
        .route("/devices/{id}/status", get(device_status))
        .route(
            "/devices/{id}/legacy-mechanisms",
            get(list_legacy).post(record_legacy),
        )
        .route(
            "/devices/{id}/legacy-mechanisms/{kind}/{name}",
            axum::routing::delete(delete_legacy),
        )
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
    search: Option<String>,
}

/// The longest `search` text, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;

/// `search` checked: absent or blank is no filter; at most [`MAX_SEARCH_CHARS`] characters,
/// no control character.
fn search_of(search: Option<&str>) -> Result<Option<&str>, ApiError> {
    let Some(search) = search.map(str::trim).filter(|search| !search.is_empty()) else {
        return Ok(None);
    };
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::invalid_parameter(
            "search",
            format!("search is at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if search.chars().any(char::is_control) {
        return Err(ApiError::invalid_parameter(
            "search",
            "search may not contain control characters",
        ));
    }
    Ok(Some(search))
}

async fn create_device(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document =
        parse_device(&json_body(&body)?).map_err(|errors| ApiError::invalid_document(&errors))?;
    let stored = state
        .os_updates
        .create_device(&document, state.clock.now())
        .await?;
    Ok(created(
        &format!("/api/v1/devices/{}", stored.id),
        DeviceView::of(&stored),
    ))
}

async fn list_devices(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<PrettyJson<DevicePage>, ApiError> {
    let limit = page.limit.unwrap_or(MAX_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::invalid_parameter(
            "limit",
            format!("limit is 1 to {MAX_PAGE}"),
        ));
    }
    // The cursor is a device id read as lookups read one (empty means from the start).
    if let Some(after) = page.after.as_deref().filter(|after| !after.is_empty())
        && let Err(why) = DeviceId::parse_stored(after)
    {
        return Err(ApiError::invalid_parameter(
            "after",
            format!("after is a device id: {why}"),
        ));
    }
    let search = search_of(page.search.as_deref())?;
    let devices = match search {
        Some(needle) => {
            state
                .os_updates
                .search_devices(needle, page.after.as_deref(), limit)
                .await?
        }
        None => {
            state
                .os_updates
                .devices(page.after.as_deref(), limit)
                .await?
        }
    };
    let next = (devices.len() == limit as usize)
        .then(|| devices.last().map(|device| device.id.clone()))
        .flatten();
    Ok(PrettyJson(DevicePage {
        devices: devices.iter().map(DeviceView::of).collect(),
        next,
    }))
}

async fn get_device(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<DeviceView>, ApiError> {
    let id = device_path_id(&id)?;
    Ok(PrettyJson(DeviceView::of(
        &state.os_updates.device(id).await?,
    )))
}

async fn delete_device(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = device_path_id(&id)?;
    state.os_updates.delete_device(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn effective_policy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<EffectivePolicyView>, ApiError> {
    let id = device_path_id(&id)?;
    let at = query.instant(state.clock.now())?;
    let served = state.os_updates.device_declarations(id, at).await?;
    Ok(PrettyJson(EffectivePolicyView::of(&served, at)))
}

async fn declarations(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<DeclarationsView>, ApiError> {
    let id = device_path_id(&id)?;
    let at = query.instant(state.clock.now())?;
    let served = state.os_updates.device_declarations(id, at).await?;
    Ok(PrettyJson(DeclarationsView::of(&served, at)))
}

async fn device_status(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<DeviceStatusView>, ApiError> {
    let id = device_path_id(&id)?;
    let at = query.instant(state.clock.now())?;
    let result = state.os_updates.device_result(id, at).await?;
    Ok(PrettyJson(DeviceStatusView::of(&result, at)))
}

async fn list_legacy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<LegacyList>, ApiError> {
    let id = device_path_id(&id)?;
    let result = state
        .os_updates
        .device_result(id, state.clock.now())
        .await?;
    Ok(PrettyJson(LegacyList::of(&result)))
}

async fn record_legacy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let id = device_path_id(&id)?;
    let document = parse_legacy_mechanism(&json_body(&body)?)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let mechanism = state
        .os_updates
        .record_legacy(id, &document.kind, &document.name)
        .await?;
    Ok((StatusCode::CREATED, PrettyJson(LegacyView::of(&mechanism))).into_response())
}

async fn delete_legacy(
    State(state): State<AppState>,
    ApiPath((id, kind, name)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = device_path_id(&id)?;
    let name = path_name(&name, "legacy mechanism")?;
    if !is_legacy_kind(&kind) {
        return Err(ApiError::NotFound(format!(
            "no legacy mechanism kind {kind:?}; the kinds are {}",
            LEGACY_KINDS.join(", ")
        )));
    }
    state.os_updates.delete_legacy(id, &kind, name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_device_group(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document = parse_device_group(&json_body(&body)?)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_create_device_group(&document.name, &document.devices, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let group = state
        .os_updates
        .create_device_group(&document.name, &document.devices, state.clock.now())
        .await?;
    Ok(created(
        &format!("/api/v1/device-groups/{}", group.id),
        DeviceGroupView::of(&group),
    ))
}

async fn list_device_groups(
    State(state): State<AppState>,
) -> Result<PrettyJson<Vec<DeviceGroupView>>, ApiError> {
    let groups = state.os_updates.device_groups().await?;
    Ok(PrettyJson(groups.iter().map(DeviceGroupView::of).collect()))
}

async fn get_device_group(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<DeviceGroupView>, ApiError> {
    let id = path_id(DeviceGroupId::parse(&id))?;
    Ok(PrettyJson(DeviceGroupView::of(
        &state.os_updates.device_group(id).await?,
    )))
}

async fn replace_device_group(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let id = path_id(DeviceGroupId::parse(&id))?;
    let document = parse_device_group(&json_body(&body)?)
        .map_err(|errors| ApiError::invalid_document(&errors))?;
    let now = state.clock.now();
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_replace_device_group(id, &document.name, &document.devices, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let group = state
        .os_updates
        .replace_device_group(id, &document.name, &document.devices, now)
        .await?;
    Ok(PrettyJson(DeviceGroupView::of(&group)).into_response())
}

async fn delete_device_group(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id = path_id(DeviceGroupId::parse(&id))?;
    if let Some(at) = dry_run {
        let preview = state.os_updates.preview_delete_device_group(id, at).await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state.os_updates.delete_device_group(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn created(location: &str, body: impl Serialize) -> Response {
    let mut response = (StatusCode::CREATED, PrettyJson(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
