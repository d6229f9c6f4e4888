//! `/ui/rings`: the deployment rings (policy groups) with their policies and bindings, the
//! rollout timeline per platform (the API's SVG), loading the default rings, binding a ring to
//! device groups and devices, and the device groups themselves (create, delete). Pausing,
//! gates and halts are [`crate::ui::rollout_control`]'s; every change is previewed first
//! ([`crate::ui::preview`]).

use axum::extract::Path;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::html;
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::ui::api::{Answer, Refused, Ui};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, action_button, csrf, problems_summary, text};
use crate::ui::overview::PLATFORMS;
use crate::ui::preview::{self, Step, Write};
use crate::ui::rollout_control::{self, RolloutState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/rings", get(page))
        .route("/ui/rings/defaults", post(load_defaults))
        .route("/ui/rings/{id}/bindings", post(bind))
        .route("/ui/device-groups", post(create_group))
        .route("/ui/device-groups/{id}/delete", post(delete_group))
}

async fn page(Extension(ui): Extension<Ui>) -> Result<Response, Refused> {
    rings_page(&ui, None).await
}

/// The rings page; `refused` is a refused form's key and the API's answer.
pub async fn rings_page(ui: &Ui, refused: Option<(&str, &Answer)>) -> Result<Response, Refused> {
    let groups = ui.get("/api/v1/policy-groups").await?;
    let groups = groups.as_array().cloned().unwrap_or_default();
    let device_groups = ui.get("/api/v1/device-groups").await?;
    let device_groups = device_groups.as_array().cloned().unwrap_or_default();
    let mut timelines = Vec::new();
    if !groups.is_empty() {
        for platform in PLATFORMS {
            let answer = ui
                .call(
                    Method::GET,
                    &format!("/api/v1/policy-groups/plan?platform={platform}&format=svg"),
                    None,
                )
                .await;
            if answer.ok() && answer.text.contains("<svg") {
                timelines.push((platform, answer.text));
            }
        }
    }
    let rollout = RolloutState::read(ui).await;
    let rings: Vec<(String, String)> = groups
        .iter()
        .map(|group| (text(group.get("id")), text(group.get("name"))))
        .collect();
    let bind = ui.can(Verb::Put, "/api/v1/policy-groups/{id}/bindings");
    let group_name = |id: &Value| {
        device_groups
            .iter()
            .find(|group| group.get("id") == Some(id))
            .map(|group| text(group.get("name")))
            .unwrap_or_else(|| format!("group {}", text(Some(id))))
    };
    let body = html! {
        h1 { "Rings" }
        @if let Some((_, answer)) = refused { (problems_summary(Some(&answer.message()), &answer.problems())) }
        @if groups.is_empty() {
            section {
                p { "No ring yet." }
                @if ui.can(Verb::Post, "/api/v1/policy-groups/defaults") {
                    (action_button(ui, "/ui/rings/defaults", "Load default rings", ""))
                    p class="hint" { "Vanguard, Early Adoption, General Adoption and Late Adoption, with a policy each for macOS and iOS." }
                }
            }
        }
        @for group in &groups {
            @let id = text(group.get("id"));
            @let bound: Vec<Value> = group.pointer("/bindings/deviceGroups").and_then(Value::as_array).cloned().unwrap_or_default();
            @let devices: Vec<String> = group.pointer("/bindings/devices").and_then(Value::as_array).map(|list| list.iter().map(|id| text(Some(id))).collect()).unwrap_or_default();
            section aria-labelledby=(format!("ring-{id}")) {
                h2 id=(format!("ring-{id}")) { (text(group.get("name"))) " " span class="muted" { "(ring " (text(group.get("ringOrder"))) ")" } }
                @let policies = group.get("policies").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                @let policy_ids: Vec<i64> = policies.iter().filter_map(|policy| policy.get("id").and_then(Value::as_i64)).collect();
                (rollout_control::pause_controls(ui, "policyGroup", &id, rollout.active_pause(ui, "policyGroup", &policy_ids), refused))
                (rollout_control::gate_controls(ui, &id, group.get("gate").filter(|gate| !gate.is_null()), &rings, refused))
                h3 { "Policies" }
                ul class="policies" {
                    @for policy in policies {
                        @let policy_id = policy.get("id").and_then(Value::as_i64).unwrap_or_default();
                        li {
                            a href=(format!("/ui/policies/{policy_id}")) { (text(policy.get("name"))) }
                            @for waiting in rollout.waiting(policy_id) { p class="waiting" { "Waiting: " (waiting) } }
                            (rollout_control::pause_controls(ui, "policy", &policy_id.to_string(), rollout.active_pause(ui, "policy", &[policy_id]), refused))
                        }
                    }
                }
                p {
                    "Bound to device groups: "
                    @if bound.is_empty() { "none" }
                    @for (index, group_id) in bound.iter().enumerate() { @if index > 0 { ", " } (group_name(group_id)) }
                    "; devices: " (devices.len())
                }
                @if bind {
                    form method="post" action=(format!("/ui/rings/{id}/bindings")) {
                        (csrf(ui))
                        fieldset {
                            legend { "Bindings of " (text(group.get("name"))) }
                            @if device_groups.is_empty() { p class="hint" { "No device group yet: create one below." } }
                            @for device_group in &device_groups {
                                @let gid = text(device_group.get("id"));
                                @let field = format!("ring-{id}-group-{gid}");
                                div {
                                    input type="checkbox" id=(field) name="deviceGroup" value=(gid) checked[bound.iter().any(|bound| text(Some(bound)) == gid)];
                                    " " label for=(field) { (text(device_group.get("name"))) }
                                }
                            }
                            div class="field" {
                                label for=(format!("ring-{id}-devices")) { "Devices (enrollment ids, one a line)" }
                                textarea id=(format!("ring-{id}-devices")) name="devices" { (devices.join("\n")) }
                            }
                            button type="submit" { "Save bindings" }
                        }
                    }
                }
            }
        }
        @for (platform, svg) in &timelines {
            section aria-labelledby=(format!("timeline-{platform}")) {
                h2 id=(format!("timeline-{platform}")) { (platform) " rollout timeline" }
                div class="chart" role="img" aria-label=(format!("{platform} rollout timeline per ring")) { (layout::svg(svg)) }
            }
        }
        @if !groups.is_empty() { (rollout_control::halts_section(ui, &rollout, &rings)) }
        (device_groups_section(ui, &device_groups))
    };
    let mut response = layout::page(ui, Section::Rings, "Rings", body);
    if let Some((_, answer)) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

fn device_groups_section(ui: &Ui, device_groups: &[Value]) -> maud::Markup {
    html! {
        section aria-labelledby="device-groups" {
            h2 id="device-groups" { "Device groups" }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Group" } th scope="col" { "Devices" } @if ui.can(Verb::Delete, "/api/v1/device-groups/{id}") { th scope="col" { "Actions" } } } }
                    tbody {
                        @for group in device_groups {
                            tr {
                                td { (text(group.get("name"))) }
                                td { (group.get("devices").and_then(Value::as_array).map_or(0, Vec::len)) }
                                @if ui.can(Verb::Delete, "/api/v1/device-groups/{id}") {
                                    td { (action_button(ui, &format!("/ui/device-groups/{}/delete", text(group.get("id"))), "Delete", "danger")) }
                                }
                            }
                        }
                    }
                }
            }
            @if ui.can(Verb::Post, "/api/v1/device-groups") {
                form method="post" action="/ui/device-groups" {
                    (csrf(ui))
                    div class="fields" {
                        div class="field" {
                            label for="group-name" { "Name" }
                            input id="group-name" name="name" type="text" required;
                        }
                        div class="field" {
                            label for="group-devices" { "Devices (enrollment ids, one a line)" }
                            textarea id="group-devices" name="devices" {}
                        }
                    }
                    button type="submit" { "Create device group" }
                }
            }
        }
    }
}

/// The ids of a textarea, one a line (commas too), blanks left out.
fn ids(text: &str) -> Vec<Value> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| Value::String(id.to_owned()))
        .collect()
}

async fn load_defaults(form: UiForm) -> Result<Response, Refused> {
    let answer = form
        .ui
        .call(Method::POST, "/api/v1/policy-groups/defaults", None)
        .await;
    if !answer.ok() {
        return rings_page(&form.ui, Some(("defaults", &answer))).await;
    }
    Ok(Redirect::to("/ui/rings").into_response())
}

/// The form's change, previewed first; back to the rings page (at `anchor`) once written.
async fn finish(form: &UiForm, key: &str, write: Write, anchor: &str) -> Result<Response, Refused> {
    match preview::submit(form, write).await {
        Step::Preview(page) => Ok(page),
        Step::Written(_) => Ok(Redirect::to(&format!("/ui/rings{anchor}")).into_response()),
        Step::Refused(answer) => rings_page(&form.ui, Some((key, &answer))).await,
    }
}

async fn bind(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let groups: Vec<Value> = form
        .fields
        .pairs()
        .iter()
        .filter(|(name, _)| name == "deviceGroup")
        .map(|(_, value)| {
            value
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(value.clone()))
        })
        .collect();
    let mut body = Map::new();
    body.insert(
        "devices".to_owned(),
        Value::Array(ids(form.text("devices"))),
    );
    body.insert("deviceGroups".to_owned(), Value::Array(groups));
    let write = Write::new(
        Method::PUT,
        format!("/api/v1/policy-groups/{id}/bindings"),
        "/api/v1/policy-groups/{id}/bindings",
    )
    .json(&Value::Object(body))
    .shown(
        format!(
            "bind ring {}",
            rollout_control::ring_name(&form.ui, id).await
        ),
        "/ui/rings",
        Section::Rings,
    );
    finish(&form, &format!("bind-{id}"), write, "").await
}

async fn create_group(form: UiForm) -> Result<Response, Refused> {
    let mut body = Map::new();
    let name = form.text("name").to_owned();
    body.insert("name".to_owned(), Value::String(name.clone()));
    body.insert(
        "devices".to_owned(),
        Value::Array(ids(form.text("devices"))),
    );
    let write = Write::new(
        Method::POST,
        "/api/v1/device-groups".to_owned(),
        "/api/v1/device-groups",
    )
    .json(&Value::Object(body))
    .shown(
        format!("create device group {name}"),
        "/ui/rings#device-groups",
        Section::Rings,
    );
    finish(&form, "device-group", write, "#device-groups").await
}

async fn delete_group(Path(id): Path<i64>, form: UiForm) -> Result<Response, Refused> {
    let write = Write::new(
        Method::DELETE,
        format!("/api/v1/device-groups/{id}"),
        "/api/v1/device-groups/{id}",
    )
    .shown(
        format!("delete device group {id}"),
        "/ui/rings#device-groups",
        Section::Rings,
    );
    finish(&form, "device-group", write, "#device-groups").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_one_a_line_or_by_commas() {
        assert_eq!(
            ids(" a \n\nb, c\r\n"),
            vec![Value::from("a"), Value::from("b"), Value::from("c")]
        );
    }
}
