//! `/ui/compliance`: compliance per ring (every platform) and per policy, with the devices
//! behind each count: a count links to the policy's devices in that state.

use axum::extract::{Path, Query};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::http::AppState;
use crate::ui::api::{Refused, Ui, encode};
use crate::ui::layout::{self, Section, badge, text};
use crate::ui::overview::{PLATFORMS, STATES, count, rings_chart};

/// The most device lines one page shows.
pub const MAX_LINES: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/compliance", get(page))
        .route("/ui/compliance/policy/{id}", get(policy))
}

async fn page(Extension(ui): Extension<Ui>) -> Result<Response, Refused> {
    let mut parts = Vec::new();
    for platform in PLATFORMS {
        let rings = ui
            .get(&format!(
                "/api/v1/policy-groups/compliance?platform={platform}"
            ))
            .await?;
        parts.push((platform, rings));
    }
    let policies = ui.get("/api/v1/policies").await?;
    let body = html! {
        h1 { "Compliance" }
        @for (platform, rings) in &parts {
            section aria-labelledby=(format!("c-{platform}")) {
                h2 id=(format!("c-{platform}")) { (platform) " rings" }
                (rings_chart(platform, rings))
                p class="muted" { "Devices without a policy: " (text(rings.get("withoutPolicy"))) }
            }
        }
        section aria-labelledby="per-policy" {
            h2 id="per-policy" { "Per policy" }
            ul {
                @for policy in policies.as_array().map(Vec::as_slice).unwrap_or_default() {
                    li { a href=(format!("/ui/compliance/policy/{}", text(policy.get("id")))) { (text(policy.get("name"))) } }
                }
            }
        }
    };
    Ok(layout::page(&ui, Section::Compliance, "Compliance", body))
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    state: String,
}

async fn policy(
    Extension(ui): Extension<Ui>,
    Path(id): Path<i64>,
    Query(query): Query<StateQuery>,
) -> Result<Response, Refused> {
    let wanted = STATES
        .iter()
        .find(|(key, _, _)| *key == query.state)
        .map(|(key, _, _)| *key);
    // Only the lines shown: the API filters by state and stops at the page's size.
    let result = ui
        .get(&format!(
            "/api/v1/policies/{id}/compliance?limit={MAX_LINES}{}",
            wanted
                .map(|state| format!("&state={state}"))
                .unwrap_or_default()
        ))
        .await?;
    let lines: Vec<&Value> = result
        .get("devices")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .collect();
    let total = result
        .get("total")
        .and_then(Value::as_u64)
        .unwrap_or(lines.len() as u64);
    let name = text(result.pointer("/policy/name"));
    let body = html! {
        h1 { "Compliance of " (name) }
        p { a href=(format!("/ui/policies/{id}")) { "The policy" } " · evaluated " (text(result.get("evaluatedAt"))) }
        section aria-labelledby="counts" {
            h2 id="counts" { "Devices per state" }
            ul class="legend" {
                li { a href=(format!("/ui/compliance/policy/{id}")) aria-current=[wanted.is_none().then_some("page")] { "all" } }
                @for (key, label, _) in STATES {
                    li { a href=(format!("/ui/compliance/policy/{id}?state={key}")) aria-current=[(wanted == Some(key)).then_some("page")] { (label) ": " (count(&result, key)) } }
                }
            }
        }
        section aria-labelledby="lines" {
            h2 id="lines" { "Devices" @if let Some(state) = wanted { " " (badge(state)) } }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Device" } th scope="col" { "State" } th scope="col" { "OS" } th scope="col" { "Target" } th scope="col" { "Deadline" } th scope="col" { "Install state" } } }
                    tbody {
                        @for line in &lines {
                            @let device = text(line.get("id"));
                            tr {
                                td { a href=(format!("/ui/devices/{}", encode(&device))) { code { (device) } } }
                                td { (badge(&text(line.get("state")))) }
                                td { (text(line.get("osVersion"))) }
                                td { (text(line.get("targetVersion"))) }
                                td { (text(line.get("deadline"))) }
                                td { (text(line.get("installState"))) }
                            }
                        }
                    }
                }
            }
            @if total > lines.len() as u64 { p class="muted" { "The first " (lines.len()) " of " (total) " devices." } }
            @if lines.is_empty() { p { "No device." } }
        }
    };
    Ok(layout::page(
        &ui,
        Section::Compliance,
        &format!("Compliance of {name}"),
        body,
    ))
}
