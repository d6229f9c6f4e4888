//! Pausing and resuming rollouts: `POST /api/v1/policy-groups/{id}/pause` and
//! `/api/v1/policies/{id}/pause` with `{"reason", "until"?}` (200 with the pause and the devices
//! whose deadline is less than two hours away; 400 by pointer, nothing written; 404 for an
//! unknown group or policy), and `POST …/resume` (200 with the pause as ended; 404 when it was
//! never paused).
//!
//! Health gates: `PUT /api/v1/policy-groups/{id}/gate` with `{"after", "minInstalledPercent",
//! "maxFailedPercent", "minDays"?}` (200 with the gate; 400 by pointer, an unknown `after` or a
//! cycle at `/after`), `DELETE …/gate` (204), and `POST /api/v1/policy-groups/gates/evaluate`,
//! which runs an evaluation round now and answers what it recorded. `GET
//! /api/v1/policy-groups/halts` lists the halted releases.
//!
//! `GET /api/v1/notifier`: the notifier's last round on this server (when, devices recomputed
//! and notified, failures, the error that ended it).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_store::os_updates::policies::Subject;
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiBytes, ApiPath};
use crate::http::os_query::path_id;
use crate::http::pretty_json::PrettyJson;
use crate::os_updates::gates::{GateRoundView, GateView, HaltView, HaltsView};
use crate::os_updates::notifier_log::NotifierView;
use crate::os_updates::pauses::{PauseAnswer, PauseView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/policy-groups/{id}/pause", post(pause_group))
        .route("/policy-groups/{id}/resume", post(resume_group))
        .route(
            "/policy-groups/{id}/gate",
            put(set_gate).delete(remove_gate),
        )
        .route("/policy-groups/gates/evaluate", post(evaluate_gates))
        .route("/policy-groups/halts", get(list_halts))
        .route("/notifier", get(notifier))
        .route("/policies/{id}/pause", post(pause_policy))
        .route("/policies/{id}/resume", post(resume_policy))
}

fn group(id: &str) -> Result<Subject, ApiError> {
    Ok(Subject::PolicyGroup(path_id(PolicyGroupId::parse(id))?))
}

fn policy(id: &str) -> Result<Subject, ApiError> {
    Ok(Subject::Policy(path_id(PolicyId::parse(id))?))
}

fn token_name(token: &Option<Extension<ApiToken>>) -> Option<&str> {
    token.as_ref().map(|Extension(token)| token.name.as_str())
}

async fn pause_group(
    State(state): State<AppState>,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<PrettyJson<PauseAnswer>, ApiError> {
    let subject = group(&id)?;
    let answer = state
        .os_updates
        .pause(subject, &body, token_name(&token))
        .await?;
    Ok(PrettyJson(answer))
}

async fn pause_policy(
    State(state): State<AppState>,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<PrettyJson<PauseAnswer>, ApiError> {
    let subject = policy(&id)?;
    let answer = state
        .os_updates
        .pause(subject, &body, token_name(&token))
        .await?;
    Ok(PrettyJson(answer))
}

async fn resume_group(
    State(state): State<AppState>,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<PauseView>, ApiError> {
    let subject = group(&id)?;
    let view = state.os_updates.resume(subject, token_name(&token)).await?;
    Ok(PrettyJson(view))
}

async fn resume_policy(
    State(state): State<AppState>,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
) -> Result<PrettyJson<PauseView>, ApiError> {
    let subject = policy(&id)?;
    let view = state.os_updates.resume(subject, token_name(&token)).await?;
    Ok(PrettyJson(view))
}

async fn set_gate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<PrettyJson<GateView>, ApiError> {
    let group = path_id(PolicyGroupId::parse(&id))?;
    Ok(PrettyJson(state.os_updates.set_gate(group, &body).await?))
}

async fn remove_gate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let group = path_id(PolicyGroupId::parse(&id))?;
    state.os_updates.remove_gate(group).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn evaluate_gates(
    State(state): State<AppState>,
) -> Result<PrettyJson<GateRoundView>, ApiError> {
    Ok(PrettyJson(state.os_updates.evaluate_gates().await?))
}

async fn list_halts(State(state): State<AppState>) -> PrettyJson<HaltsView> {
    PrettyJson(HaltsView {
        halts: state
            .os_updates
            .snapshot()
            .halts
            .iter()
            .map(HaltView::of)
            .collect(),
    })
}

async fn notifier(State(state): State<AppState>) -> PrettyJson<NotifierView> {
    PrettyJson(state.os_updates.notifier_log.view())
}
