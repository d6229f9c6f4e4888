//! `/api/v1/policies` and `/api/v1/policy-groups`: DDM update policies, the deployment rings,
//! their bindings, and the rollout plan.
//!
//! - `POST /policies` (201 with `id`, 409 on a duplicate name, 400 with a pointer per problem),
//!   `GET /policies`, `GET|PUT|DELETE /policies/{id}` (`ETag` is the revision; `If-Match` gives
//!   412 on a stale write);
//! - `PUT|GET /policies/{id}/bindings` and `/policy-groups/{id}/bindings` with
//!   `{"devices": [ids], "deviceGroups": [ids]}` (replaces; unknown ids are 400 with pointers);
//! - `POST /policy-groups/defaults`: the four rings (201 when created, 200 when they existed);
//!   `GET /policy-groups`, `GET /policy-groups/{id}`;
//! - `GET /policies/{id}/compliance` and `GET /policy-groups/compliance?platform=` (every ring):
//!   how many devices are up to date, pending, overdue, failed or rejected a declaration, `?at=`;
//! - `GET /policies/{id}/plan` and `GET /policy-groups/plan?platform=` (every ring) with
//!   `?from=&to=` and `?format=svg` for the timeline picture.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ringmaster_domain::catalog::release::Platform;
use ringmaster_domain::inventory::parse_bindings;
use ringmaster_store::os_updates::policies::{BindingSubject, BindingTargets, StoredPolicy};
use serde_json::{Value, json};

use crate::http::AppState;
use crate::http::conditional::{if_match, set_etag};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::os_query::{AtQuery, PlanFormat, PlanQuery, json_body, numeric_id};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::os_updates::result_views;
use crate::os_updates::results::DeviceResult;
use crate::os_updates::service::{PolicyGroupDetail, PolicyRollout};
use crate::os_updates::views;
use crate::patch_source::service::now;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policies", get(list_policies).post(create_policy))
        .route(
            "/policies/{id}",
            get(get_policy).put(replace_policy).delete(delete_policy),
        )
        .route(
            "/policies/{id}/bindings",
            get(get_policy_bindings).put(put_policy_bindings),
        )
        .route("/policies/{id}/plan", get(policy_plan))
        .route("/policies/{id}/compliance", get(policy_compliance))
        .route("/policy-groups/compliance", get(rings_compliance))
        .route("/policy-groups", get(list_policy_groups))
        .route("/policy-groups/defaults", post(load_defaults))
        .route("/policy-groups/plan", get(rings_plan))
        .route("/policy-groups/{id}", get(get_policy_group))
        .route(
            "/policy-groups/{id}/bindings",
            get(get_group_bindings).put(put_group_bindings),
        )
}

async fn list_policies(State(state): State<AppState>) -> Result<PrettyJson<Vec<Value>>, ApiError> {
    let policies = state.os_updates.list_policies().await?;
    Ok(PrettyJson(
        policies
            .iter()
            .map(|policy| views::policy(policy, &[]))
            .collect(),
    ))
}

async fn create_policy(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document = json_body(&body)?;
    let (stored, warnings) = state.os_updates.create_policy(&document, now()).await?;
    let mut response = with_etag(
        StatusCode::CREATED,
        &stored,
        views::policy(&stored, &warnings),
    );
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/policies/{}", stored.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn get_policy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let stored = state.os_updates.policy(numeric_id(&id, "policy")?).await?;
    Ok(with_etag(
        StatusCode::OK,
        &stored,
        views::policy(&stored, &[]),
    ))
}

async fn replace_policy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let id = numeric_id(&id, "policy")?;
    let document = json_body(&body)?;
    let expected = if_match(&headers)?;
    let (stored, warnings) = state
        .os_updates
        .replace_policy(id, &document, expected, now())
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        &stored,
        views::policy(&stored, &warnings),
    ))
}

async fn delete_policy(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = numeric_id(&id, "policy")?;
    state
        .os_updates
        .delete_policy(id, if_match(&headers)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_policy_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<Value>, ApiError> {
    let subject = BindingSubject::Policy(numeric_id(&id, "policy")?);
    Ok(PrettyJson(views::bindings_view(
        &state.os_updates.bindings(subject).await?,
    )))
}

async fn put_policy_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<PrettyJson<Value>, ApiError> {
    let subject = BindingSubject::Policy(numeric_id(&id, "policy")?);
    put_bindings(&state, subject, &body).await
}

async fn get_group_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<Value>, ApiError> {
    let subject = BindingSubject::PolicyGroup(numeric_id(&id, "policy group")?);
    Ok(PrettyJson(views::bindings_view(
        &state.os_updates.bindings(subject).await?,
    )))
}

async fn put_group_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<PrettyJson<Value>, ApiError> {
    let subject = BindingSubject::PolicyGroup(numeric_id(&id, "policy group")?);
    put_bindings(&state, subject, &body).await
}

async fn put_bindings(
    state: &AppState,
    subject: BindingSubject,
    body: &[u8],
) -> Result<PrettyJson<Value>, ApiError> {
    let document =
        parse_bindings(&json_body(body)?).map_err(|errors| ApiError::invalid_document(&errors))?;
    let targets = BindingTargets {
        devices: document.devices,
        device_groups: document.device_groups,
    };
    let written = state.os_updates.set_bindings(subject, &targets).await?;
    Ok(PrettyJson(views::bindings_view(&written)))
}

async fn list_policy_groups(
    State(state): State<AppState>,
) -> Result<PrettyJson<Vec<Value>>, ApiError> {
    let groups = state.os_updates.policy_groups().await?;
    Ok(PrettyJson(groups.iter().map(group_view).collect()))
}

async fn get_policy_group(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<Value>, ApiError> {
    let id = numeric_id(&id, "policy group")?;
    Ok(PrettyJson(group_view(
        &state.os_updates.policy_group(id).await?,
    )))
}

fn group_view(detail: &PolicyGroupDetail) -> Value {
    let policies: Vec<&StoredPolicy> = detail.policies.iter().collect();
    views::policy_group(&detail.group, &policies, &detail.bindings)
}

async fn load_defaults(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rings = state.os_updates.load_default_rings(now()).await?;
    let status = if rings.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let ring_ids: Vec<i64> = rings.rings.iter().map(|ring| ring.group.id).collect();
    let details = state.os_updates.policy_groups().await?;
    let groups: Vec<Value> = ring_ids
        .iter()
        .filter_map(|id| details.iter().find(|detail| detail.group.id == *id))
        .map(group_view)
        .collect();
    Ok((
        status,
        PrettyJson(json!({"created": rings.created, "policyGroups": groups})),
    )
        .into_response())
}

async fn policy_compliance(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<Value>, ApiError> {
    let id = numeric_id(&id, "policy")?;
    let at = query.instant(state.os_updates.clock.now())?;
    let detail = state.os_updates.policy(id).await?;
    let results = state.os_updates.fleet_results(at).await?;
    let mine: Vec<&DeviceResult> = results
        .iter()
        .filter(|result| result.served.policy.as_ref().map(|p| p.id) == Some(id))
        .collect();
    let ring = detail.group_id.and_then(|group| {
        state
            .os_updates
            .snapshot()
            .policy_groups
            .get(&group)
            .map(|g| g.name.clone())
    });
    Ok(PrettyJson(json!({
        "policy": views::policy_ref(&detail),
        "ring": ring,
        "evaluatedAt": at.to_string(),
        "counts": result_views::counts(mine.iter().copied()),
        "devices": mine.iter().map(|result| result_views::device_line(result)).collect::<Vec<_>>(),
    })))
}

async fn rings_compliance(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<PrettyJson<Value>, ApiError> {
    let platform = match &query.platform {
        None => Platform::MacOs,
        Some(text) => {
            Platform::parse(text).map_err(|why| ApiError::invalid_parameter("platform", why))?
        }
    };
    let at = AtQuery {
        at: query.at.clone(),
    }
    .instant(state.os_updates.clock.now())?;
    let results = state.os_updates.fleet_results(at).await?;
    let snapshot = state.os_updates.snapshot();
    let rings: Vec<Value> = snapshot
        .ring_policies(platform)
        .into_iter()
        .map(|(group, policy)| {
            let mine = results
                .iter()
                .filter(|result| result.served.policy.as_ref().map(|p| p.id) == Some(policy.id));
            json!({
                "ring": group.name,
                "ringOrder": group.ring_order,
                "policy": views::policy_ref(policy),
                "counts": result_views::counts(mine),
            })
        })
        .collect();
    let without = results.iter().filter(|result| {
        result.served.policy.is_none() && result.served.device.platform == Some(platform)
    });
    Ok(PrettyJson(json!({
        "platform": platform.as_str(),
        "evaluatedAt": at.to_string(),
        "rings": rings,
        "withoutPolicy": without.count(),
    })))
}

async fn policy_plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Response, ApiError> {
    let id = numeric_id(&id, "policy")?;
    let (from, to) = query.window(state.os_updates.clock.now())?;
    let format = query.format()?;
    let rollout = state.os_updates.policy_rollout(id, from, to).await?;
    let title = format!("Rollout of {}", rollout.policy.policy.name.as_str());
    Ok(plan_response(&[rollout], &title, from, to, format))
}

async fn rings_plan(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Response, ApiError> {
    let platform = match &query.platform {
        None => Platform::MacOs,
        Some(text) => {
            Platform::parse(text).map_err(|why| ApiError::invalid_parameter("platform", why))?
        }
    };
    let (from, to) = query.window(state.os_updates.clock.now())?;
    let format = query.format()?;
    let rollouts = state.os_updates.rings_rollout(platform, from, to).await?;
    let title = format!("{platform} rollout by ring");
    Ok(plan_response(&rollouts, &title, from, to, format))
}

fn plan_response(
    rollouts: &[PolicyRollout],
    title: &str,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    format: PlanFormat,
) -> Response {
    match format {
        PlanFormat::Json => PrettyJson(views::plan(rollouts, from, to)).into_response(),
        PlanFormat::Svg => (
            [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
            views::plan_svg(rollouts, title, from, to),
        )
            .into_response(),
    }
}

fn with_etag(status: StatusCode, stored: &StoredPolicy, body: Value) -> Response {
    let mut response = (status, PrettyJson(body)).into_response();
    set_etag(&mut response, stored.revision);
    response
}
