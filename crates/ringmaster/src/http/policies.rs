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
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_domain::inventory::parse_bindings;
use ringmaster_store::os_updates::policies::{StoredPolicy, Subject};
use serde::Serialize;

use crate::http::AppState;
use crate::http::conditional::{if_match, set_etag};
use crate::http::dry_run::{DryRun, preview_answer};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::os_query::{AtQuery, PlanFormat, PlanQuery, json_body, path_id};
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::os_updates::result_views::{PolicyComplianceView, RingsComplianceView};
use crate::os_updates::served::PolicyRollout;
use crate::os_updates::views::{
    self, BindingsView, DefaultRingsView, PlanView, PolicyGroupView, PolicyView,
};

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

async fn list_policies(
    State(state): State<AppState>,
) -> Result<PrettyJson<Vec<PolicyView>>, ApiError> {
    let policies = state.os_updates.list_policies().await?;
    Ok(PrettyJson(
        policies
            .iter()
            .map(|policy| PolicyView::of(policy, &[]))
            .collect(),
    ))
}

async fn create_policy(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let document = json_body(&body)?;
    if let Some(at) = dry_run {
        let (preview, warnings) = state
            .os_updates
            .preview_create_policy(&document, at)
            .await?;
        return Ok(preview_answer(&preview, &warnings).into_response());
    }
    let (stored, warnings) = state
        .os_updates
        .create_policy(&document, state.clock.now())
        .await?;
    let mut response = with_etag(
        StatusCode::CREATED,
        &stored,
        PolicyView::of(&stored, &warnings),
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
    let stored = state
        .os_updates
        .policy(path_id(PolicyId::parse(&id))?)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        &stored,
        PolicyView::of(&stored, &[]),
    ))
}

async fn replace_policy(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let id = path_id(PolicyId::parse(&id))?;
    let document = json_body(&body)?;
    let expected = if_match(&headers)?;
    if let Some(at) = dry_run {
        let (preview, warnings) = state
            .os_updates
            .preview_replace_policy(id, &document, expected, at)
            .await?;
        return Ok(preview_answer(&preview, &warnings).into_response());
    }
    let (stored, warnings) = state
        .os_updates
        .replace_policy(id, &document, expected, state.clock.now())
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        &stored,
        PolicyView::of(&stored, &warnings),
    ))
}

async fn delete_policy(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = path_id(PolicyId::parse(&id))?;
    let expected = if_match(&headers)?;
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_delete_policy(id, expected, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state.os_updates.delete_policy(id, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn get_policy_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<BindingsView>, ApiError> {
    let subject = Subject::Policy(path_id(PolicyId::parse(&id))?);
    Ok(PrettyJson(BindingsView::of(
        &state.os_updates.bindings(subject).await?,
    )))
}

async fn put_policy_bindings(
    State(state): State<AppState>,
    dry_run: DryRun,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let subject = Subject::Policy(path_id(PolicyId::parse(&id))?);
    put_bindings(&state, dry_run, subject, &body).await
}

async fn get_group_bindings(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<BindingsView>, ApiError> {
    let subject = Subject::PolicyGroup(path_id(PolicyGroupId::parse(&id))?);
    Ok(PrettyJson(BindingsView::of(
        &state.os_updates.bindings(subject).await?,
    )))
}

async fn put_group_bindings(
    State(state): State<AppState>,
    dry_run: DryRun,
    ApiPath(id): ApiPath<String>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let subject = Subject::PolicyGroup(path_id(PolicyGroupId::parse(&id))?);
    put_bindings(&state, dry_run, subject, &body).await
}

async fn put_bindings(
    state: &AppState,
    DryRun(dry_run): DryRun,
    subject: Subject,
    body: &[u8],
) -> Result<Response, ApiError> {
    let targets =
        parse_bindings(&json_body(body)?).map_err(|errors| ApiError::invalid_document(&errors))?;
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_set_bindings(subject, &targets, at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let written = state.os_updates.set_bindings(subject, &targets).await?;
    Ok(PrettyJson(BindingsView::of(&written)).into_response())
}

async fn list_policy_groups(
    State(state): State<AppState>,
) -> Result<PrettyJson<Vec<PolicyGroupView>>, ApiError> {
    let groups = state.os_updates.policy_groups().await?;
    Ok(PrettyJson(groups.iter().map(PolicyGroupView::of).collect()))
}

async fn get_policy_group(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<PolicyGroupView>, ApiError> {
    let id = path_id(PolicyGroupId::parse(&id))?;
    Ok(PrettyJson(PolicyGroupView::of(
        &state.os_updates.policy_group(id).await?,
    )))
}

async fn load_defaults(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rings = state
        .os_updates
        .load_default_rings(state.clock.now())
        .await?;
    let status = if rings.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let details = state.os_updates.policy_groups().await?;
    Ok((status, PrettyJson(DefaultRingsView::of(&rings, &details))).into_response())
}

async fn policy_compliance(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<PrettyJson<PolicyComplianceView>, ApiError> {
    let id = path_id(PolicyId::parse(&id))?;
    let at = query.instant(state.clock.now())?;
    let compliance = state.os_updates.policy_compliance(id, at).await?;
    Ok(PrettyJson(PolicyComplianceView::of(&compliance, at)))
}

async fn rings_compliance(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<PrettyJson<RingsComplianceView>, ApiError> {
    let platform = query.platform()?;
    let at = query.instant(state.clock.now())?;
    let compliance = state.os_updates.rings_compliance(platform, at).await?;
    Ok(PrettyJson(RingsComplianceView::of(&compliance, at)))
}

async fn policy_plan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Response, ApiError> {
    let id = path_id(PolicyId::parse(&id))?;
    let (from, to) = query.window(state.clock.now())?;
    let format = query.format()?;
    let rollout = state.os_updates.policy_rollout(id, from, to).await?;
    let title = format!("Rollout of {}", rollout.policy.policy.name.as_str());
    Ok(plan_response(&[rollout], &title, from, to, format))
}

async fn rings_plan(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PlanQuery>,
) -> Result<Response, ApiError> {
    let platform = query.platform()?;
    let (from, to) = query.window(state.clock.now())?;
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
        PlanFormat::Json => PrettyJson(PlanView::of(rollouts, from, to)).into_response(),
        PlanFormat::Svg => (
            [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
            views::plan_svg(rollouts, title, from, to),
        )
            .into_response(),
    }
}

fn with_etag(status: StatusCode, stored: &StoredPolicy, body: impl Serialize) -> Response {
    let mut response = (status, PrettyJson(body)).into_response();
    set_etag(&mut response, stored.revision);
    response
}
