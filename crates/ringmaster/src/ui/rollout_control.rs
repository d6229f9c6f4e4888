//! The rings page's rollout control: pausing and resuming a ring or one policy (reason,
//! optional end), each ring's health gate (set, clear, evaluate now), why a ring waits, and the
//! halted releases.
//!
//! What is shown comes from the API: the latest pauses and the waiting releases in words from
//! the rollout plan (`GET /api/v1/policy-groups/plan`, per platform), each ring's gate from the
//! ring's view, the halts from `GET /api/v1/policy-groups/halts`. Every change goes through the
//! preview ([`crate::ui::preview`]): with the API's dry run when the route has one, else a
//! confirmation page.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Path;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::ui::api::{Answer, Problem, Refused, Ui};
use crate::ui::form::UiForm;
use crate::ui::layout::{Section, action_button, csrf, text};
use crate::ui::overview::PLATFORMS;
use crate::ui::preview::{self, Step, Write};
use crate::ui::rings::rings_page;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/rings/{id}/pause", post(pause_group))
        .route("/ui/rings/{id}/resume", post(resume_group))
        .route("/ui/rings/{id}/gate", post(set_gate))
        .route("/ui/rings/{id}/gate/clear", post(clear_gate))
        .route("/ui/rings/evaluate-gates", post(evaluate))
        .route("/ui/rings/policies/{id}/pause", post(pause_policy))
        .route("/ui/rings/policies/{id}/resume", post(resume_policy))
}

/// A pause as the plan answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanPause {
    pub subject: String,
    pub since: String,
    pub until: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
struct PlanPolicyRef {
    id: i64,
    name: String,
}

/// One policy of the plan: its ring, latest pauses and waiting releases.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanPolicy {
    policy: PlanPolicyRef,
    #[serde(default)]
    ring: Option<String>,
    #[serde(default)]
    paused: Vec<PlanPause>,
    #[serde(default)]
    waiting: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Plan {
    #[serde(default)]
    policies: Vec<PlanPolicy>,
}

/// A halted release as the API answers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Halt {
    pub platform: String,
    pub version: String,
    pub after_group: i64,
    pub failed_percent: u8,
    pub halted_at: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Halts {
    halts: Vec<Halt>,
}

/// What the rings page shows of rollout control, read once per page.
#[derive(Debug, Clone, Default)]
pub struct RolloutState {
    /// Per policy id: its latest pauses (its own and its ring's) and its waiting releases.
    policies: BTreeMap<i64, PlanPolicy>,
    pub halts: Vec<Halt>,
}

impl RolloutState {
    /// Reads the plan of each platform and the halts.
    pub async fn read(ui: &Ui) -> RolloutState {
        let mut state = RolloutState::default();
        for platform in PLATFORMS {
            let answer = ui
                .call(
                    Method::GET,
                    &format!("/api/v1/policy-groups/plan?platform={platform}"),
                    None,
                )
                .await;
            let Ok(plan) = serde_json::from_value::<Plan>(answer.body) else {
                continue;
            };
            for policy in plan.policies {
                state.policies.insert(policy.policy.id, policy);
            }
        }
        if let Ok(halts) = ui.get("/api/v1/policy-groups/halts").await
            && let Ok(halts) = serde_json::from_value::<Halts>(halts)
        {
            state.halts = halts.halts;
        }
        state
    }

    /// The pause of `subject` (`policyGroup` or `policy`) in force now, among `policies`'.
    pub fn active_pause(&self, ui: &Ui, subject: &str, policies: &[i64]) -> Option<&PlanPause> {
        policies
            .iter()
            .filter_map(|id| self.policies.get(id))
            .flat_map(|policy| policy.paused.iter())
            .find(|pause| pause.subject == subject && in_force(ui, pause))
    }

    /// The releases `policy` waits for, in words.
    pub fn waiting(&self, policy: i64) -> &[String] {
        self.policies
            .get(&policy)
            .map(|policy| policy.waiting.as_slice())
            .unwrap_or_default()
    }

    /// The pauses in force now, each once, in words: what is paused (a ring by its name, a
    /// policy by its name) and the pause.
    pub fn paused(&self, ui: &Ui) -> Vec<(String, &PlanPause)> {
        let mut seen: Vec<(String, &PlanPause)> = Vec::new();
        for policy in self.policies.values() {
            for pause in policy.paused.iter().filter(|pause| in_force(ui, pause)) {
                let what = match (pause.subject.as_str(), &policy.ring) {
                    ("policyGroup", Some(ring)) => format!("ring {ring}"),
                    _ => format!("policy {}", policy.policy.name),
                };
                if !seen.iter().any(|(known, _)| *known == what) {
                    seen.push((what, pause));
                }
            }
        }
        seen
    }
}

fn in_force(ui: &Ui, pause: &PlanPause) -> bool {
    match &pause.until {
        None => true,
        Some(until) => until
            .parse::<jiff::Timestamp>()
            .is_ok_and(|until| until > ui.now),
    }
}

/// A pause in words.
pub fn pause_words(pause: &PlanPause) -> Markup {
    html! {
        span class="badge warn" { "paused" }
        " since " (pause.since)
        @if let Some(until) = &pause.until { " until " (until) } @else { " until resumed" }
        ": " (pause.reason)
    }
}

/// The problems of a refused form, if it is the one named `key`.
fn mine(refused: Option<(&str, &Answer)>, key: &str) -> Vec<Problem> {
    match refused {
        Some((form, answer)) if form == key => answer.problems(),
        _ => Vec::new(),
    }
}

fn field(
    key: &str,
    name: &str,
    label: &str,
    hint: &str,
    problems: &[Problem],
    value: &str,
) -> Markup {
    let id = format!("{key}-{name}");
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|problem| problem.at == format!("/{name}"))
        .collect();
    let described = if errors.is_empty() {
        format!("{id}-hint")
    } else {
        format!("{id}-hint {id}-error")
    };
    html! {
        div class="field" {
            label for=(id) { (label) }
            input id=(id) name=(name) type="text" value=(value) aria-invalid=[(!errors.is_empty()).then_some("true")] aria-describedby=(described);
            p class="hint" id=(format!("{id}-hint")) { (hint) }
            @for error in errors { p class="error" id=(format!("{id}-error")) { (error.message) } }
        }
    }
}

/// The pause state of a ring (`subject` `policyGroup`, at `/ui/rings/{id}`) or a policy (at
/// `/ui/rings/policies/{id}`), with its pause form or resume button.
pub fn pause_controls(
    ui: &Ui,
    subject: &str,
    id: &str,
    pause: Option<&PlanPause>,
    refused: Option<(&str, &Answer)>,
) -> Markup {
    let (base, api) = match subject {
        "policyGroup" => (
            format!("/ui/rings/{id}"),
            "/api/v1/policy-groups/{id}/pause",
        ),
        _ => (
            format!("/ui/rings/policies/{id}"),
            "/api/v1/policies/{id}/pause",
        ),
    };
    let key = format!("pause-{subject}-{id}");
    let problems = mine(refused, &key);
    html! {
        @if let Some(pause) = pause {
            p class="paused" { (pause_words(pause)) }
            @if ui.can(Verb::Post, &api.replace("/pause", "/resume")) {
                (action_button(ui, &format!("{base}/resume"), "Resume", "secondary"))
            }
        } @else if ui.can(Verb::Post, api) {
            details open[!problems.is_empty()] {
                summary { "Pause" }
                form method="post" action=(format!("{base}/pause")) {
                    (csrf(ui))
                    div class="fields" {
                        (field(&key, "reason", "Reason", "required; shown in the audit log", &problems, ""))
                        (field(&key, "until", "Until (optional)", "RFC 3339, such as 2026-12-31T00:00:00Z; empty: until resumed", &problems, ""))
                    }
                    button type="submit" { "Pause" }
                }
            }
        }
    }
}

/// A ring's gate in words, with its form (set, clear).
pub fn gate_controls(
    ui: &Ui,
    id: &str,
    gate: Option<&Value>,
    rings: &[(String, String)],
    refused: Option<(&str, &Answer)>,
) -> Markup {
    let key = format!("gate-{id}");
    let problems = mine(refused, &key);
    let ring_name = |after: &str| {
        rings
            .iter()
            .find(|(ring, _)| ring == after)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| format!("ring {after}"))
    };
    let shown = |name: &str| {
        gate.map(|gate| text(gate.get(name)))
            .filter(|value| value != "—")
            .unwrap_or_default()
    };
    let after = shown("after");
    html! {
        @match gate {
            Some(gate) => p {
                "Gate: waits for " strong { (ring_name(&after)) } ": at least " (text(gate.get("minInstalledPercent")))
                "% installed, at most " (text(gate.get("maxFailedPercent"))) "% failed, "
                (text(gate.get("minDays"))) " days after it became visible there."
            },
            None => p class="muted" { "No health gate." },
        }
        @if ui.can(Verb::Put, "/api/v1/policy-groups/{id}/gate") {
            details open[!problems.is_empty()] {
                summary { @if gate.is_some() { "Change the gate" } @else { "Set a gate" } }
                form method="post" action=(format!("/ui/rings/{id}/gate")) {
                    (csrf(ui))
                    div class="fields" {
                        div class="field" {
                            label for=(format!("{key}-after")) { "After ring" }
                            select id=(format!("{key}-after")) name="after" aria-invalid=[problems.iter().any(|problem| problem.at == "/after").then_some("true")] {
                                @for (ring, name) in rings.iter().filter(|(ring, _)| ring != id) {
                                    option value=(ring) selected[*ring == after] { (name) }
                                }
                            }
                            @for error in problems.iter().filter(|problem| problem.at == "/after") { p class="error" { (error.message) } }
                        }
                        (field(&key, "minInstalledPercent", "Installed at least (%)", "0–100", &problems, &shown("minInstalledPercent")))
                        (field(&key, "maxFailedPercent", "Failed at most (%)", "0–100", &problems, &shown("maxFailedPercent")))
                        (field(&key, "minDays", "Days at least (optional)", "since visible on that ring", &problems, &shown("minDays")))
                    }
                    button type="submit" { "Save gate" }
                }
            }
        }
        @if gate.is_some() && ui.can(Verb::Delete, "/api/v1/policy-groups/{id}/gate") {
            (action_button(ui, &format!("/ui/rings/{id}/gate/clear"), "Clear the gate", "secondary"))
        }
    }
}

/// The halted releases and the "evaluate now" button.
pub fn halts_section(ui: &Ui, state: &RolloutState, rings: &[(String, String)]) -> Markup {
    let ring_name = |after: i64| {
        rings
            .iter()
            .find(|(ring, _)| *ring == after.to_string())
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| format!("ring {after}"))
    };
    html! {
        section aria-labelledby="halts" {
            h2 id="halts" { "Halted releases" }
            @if state.halts.is_empty() {
                p { "No release is halted." }
            } @else {
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Release" } th scope="col" { "Failed on" } th scope="col" { "Failed" } th scope="col" { "Halted at" } } }
                        tbody {
                            @for halt in &state.halts {
                                tr {
                                    td { (halt.platform) " " (halt.version) }
                                    td { (ring_name(halt.after_group)) " (held for every later ring)" }
                                    td { (halt.failed_percent) "%" }
                                    td { (halt.halted_at) }
                                }
                            }
                        }
                    }
                }
            }
            @if ui.can(Verb::Post, "/api/v1/policy-groups/gates/evaluate") {
                (action_button(ui, "/ui/rings/evaluate-gates", "Evaluate gates now", "secondary"))
                p class="hint" { "The server evaluates the gates every minute; this runs a round at once." }
            }
        }
    }
}

/// The body of a pause form: `reason`, and `until` when given.
fn pause_body(form: &UiForm) -> Value {
    let mut body = Map::new();
    body.insert(
        "reason".to_owned(),
        Value::String(form.text("reason").trim().to_owned()),
    );
    let until = form.text("until").trim();
    if !until.is_empty() {
        body.insert("until".to_owned(), Value::String(until.to_owned()));
    }
    Value::Object(body)
}

/// A whole number when it reads as one, else the text (so the API names the mistake).
fn number(text: &str) -> Value {
    let text = text.trim();
    text.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A ring's name for the preview's words (its id when it cannot be read).
pub async fn ring_name(ui: &Ui, id: i64) -> String {
    name_at(ui, &format!("/api/v1/policy-groups/{id}"), id).await
}

/// A policy's name for the preview's words (its id when it cannot be read).
async fn policy_name(ui: &Ui, id: i64) -> String {
    name_at(ui, &format!("/api/v1/policies/{id}"), id).await
}

async fn name_at(ui: &Ui, uri: &str, id: i64) -> String {
    match ui.get(uri).await {
        Ok(object) => object
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| id.to_string(), str::to_owned),
        Err(_) => id.to_string(),
    }
}

async fn finish(form: &UiForm, key: String, write: Write) -> Result<Response, Refused> {
    match preview::submit(form, write).await {
        Step::Preview(page) => Ok(page),
        Step::Written(_) => Ok(Redirect::to("/ui/rings").into_response()),
        Step::Refused(answer) => rings_page(&form.ui, Some((&key, &answer))).await,
    }
}

async fn pause_group(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::POST,
        format!("/api/v1/policy-groups/{id}/pause"),
        "/api/v1/policy-groups/{id}/pause",
    )
    .json(&pause_body(&form))
    .shown(
        format!("pause ring {}", ring_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("pause-policyGroup-{id}"), write).await
}

async fn resume_group(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::POST,
        format!("/api/v1/policy-groups/{id}/resume"),
        "/api/v1/policy-groups/{id}/resume",
    )
    .shown(
        format!("resume ring {}", ring_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("pause-policyGroup-{id}"), write).await
}

async fn pause_policy(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::POST,
        format!("/api/v1/policies/{id}/pause"),
        "/api/v1/policies/{id}/pause",
    )
    .json(&pause_body(&form))
    .shown(
        format!("pause policy {}", policy_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("pause-policy-{id}"), write).await
}

async fn resume_policy(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::POST,
        format!("/api/v1/policies/{id}/resume"),
        "/api/v1/policies/{id}/resume",
    )
    .shown(
        format!("resume policy {}", policy_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("pause-policy-{id}"), write).await
}

async fn set_gate(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let mut body = Map::new();
    body.insert("after".to_owned(), number(form.text("after")));
    for name in ["minInstalledPercent", "maxFailedPercent", "minDays"] {
        let entered = form.text(name).trim();
        if !entered.is_empty() {
            body.insert(name.to_owned(), number(entered));
        }
    }
    let write = Write::new(
        Method::PUT,
        format!("/api/v1/policy-groups/{id}/gate"),
        "/api/v1/policy-groups/{id}/gate",
    )
    .json(&Value::Object(body))
    .shown(
        format!("set the gate of ring {}", ring_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("gate-{id}"), write).await
}

async fn clear_gate(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::DELETE,
        format!("/api/v1/policy-groups/{id}/gate"),
        "/api/v1/policy-groups/{id}/gate",
    )
    .shown(
        format!("clear the gate of ring {}", ring_name(&form.ui, id).await),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, format!("gate-{id}"), write).await
}

async fn evaluate(form: UiForm) -> Result<Response, Refused> {
    let answer = form
        .ui
        .call(Method::POST, "/api/v1/policy-groups/gates/evaluate", None)
        .await;
    if !answer.ok() {
        return rings_page(&form.ui, Some(("evaluate", &answer))).await;
    }
    Ok(Redirect::to("/ui/rings#halts").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_sent_as_numbers_and_the_rest_as_typed() {
        assert_eq!(number(" 20 "), Value::from(20));
        assert_eq!(number("ten"), Value::from("ten"));
    }

    #[test]
    fn the_plan_is_read_for_pauses_and_waiting() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "from": "2026-12-01", "to": "2027-01-01",
            "policies": [{"policy": {"id": 3, "name": "a", "platform": "macOS"}, "ring": "Vanguard",
                "releases": [], "paused": [{"subject": "policyGroup", "since": "2026-12-07T00:00:00Z",
                "until": null, "reason": "VPN"}], "waiting": ["26.2 waits for Vanguard"]}]
        }))
        .expect("plan");
        assert_eq!(plan.policies[0].paused[0].reason, "VPN");
        assert_eq!(plan.policies[0].waiting.len(), 1);
    }
}
