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
//! Pause, resume and the gate's `PUT` and `DELETE` take `?dryRun=true` ([`super::dry_run`]):
//! the answer is the preview of what the change would do to every device, nothing written, and a
//! refused dry run answers what the real write answers.
//!
//! `GET /api/v1/notifier`: the notifier's last round on this server (when, devices recomputed
//! and notified, failures, the error that ended it).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_store::os_updates::policies::Subject;
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::dry_run::{DryRun, preview_answer};
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
    dry_run: DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    pause(&state, dry_run, group(&id)?, token_name(&token), &body).await
}

async fn pause_policy(
    State(state): State<AppState>,
    dry_run: DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    pause(&state, dry_run, policy(&id)?, token_name(&token), &body).await
}

async fn pause(
    state: &AppState,
    DryRun(dry_run): DryRun,
    subject: Subject,
    by: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_pause(subject, body, by, state.clock.now(), at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let answer: PauseAnswer = state.os_updates.pause(subject, body, by).await?;
    Ok(PrettyJson(answer).into_response())
}

async fn resume_group(
    State(state): State<AppState>,
    dry_run: DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    resume(&state, dry_run, group(&id)?, token_name(&token)).await
}

async fn resume_policy(
    State(state): State<AppState>,
    dry_run: DryRun,
    token: Option<Extension<ApiToken>>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    resume(&state, dry_run, policy(&id)?, token_name(&token)).await
}

async fn resume(
    state: &AppState,
    DryRun(dry_run): DryRun,
    subject: Subject,
    by: Option<&str>,
) -> Result<Response, ApiError> {
    if let Some(at) = dry_run {
        let preview = state
            .os_updates
            .preview_resume(subject, by, state.clock.now(), at)
            .await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let view: PauseView = state.os_updates.resume(subject, by).await?;
    Ok(PrettyJson(view).into_response())
}

async fn set_gate(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let group = path_id(PolicyGroupId::parse(&id))?;
    if let Some(at) = dry_run {
        let preview = state.os_updates.preview_set_gate(group, &body, at).await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    let view: GateView = state.os_updates.set_gate(group, &body).await?;
    Ok(PrettyJson(view).into_response())
}

async fn remove_gate(
    State(state): State<AppState>,
    DryRun(dry_run): DryRun,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let group = path_id(PolicyGroupId::parse(&id))?;
    if let Some(at) = dry_run {
        let preview = state.os_updates.preview_remove_gate(group, at).await?;
        return Ok(preview_answer(&preview, &[]).into_response());
    }
    state.os_updates.remove_gate(group).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
