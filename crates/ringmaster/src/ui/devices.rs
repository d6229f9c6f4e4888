//! `/ui/devices`: devices, a page at a time by the API's keyset paging (`after`, `limit`), so
//! 100,000 devices cost one indexed page read, never a load of all; the search box opens a
//! device by its exact enrollment id, else lists the devices whose id, model or software-update
//! id contains the text (the API's `search`), paged the same way. One device: its effective policy and why,
//! target, deadline, install state, each declaration with its validity and the device's
//! reasons, legacy conflicts, and its exemptions (add, end; previewed first).

use axum::extract::{Path, Query};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::html;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::ui::api::{Answer, Refused, Ui, encode};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, action_button, badge, csrf, problems_summary, text};
use crate::ui::preview::{self, Step, Write};

/// Devices on one page.
pub const PAGE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/devices", get(list))
        .route("/ui/devices/{id}", get(one))
        .route("/ui/devices/{id}/exemptions", post(exempt))
        .route(
            "/ui/devices/{id}/exemptions/{exemption}/end",
            post(end_exemption),
        )
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    after: String,
    #[serde(default)]
    q: String,
}

async fn list(
    Extension(ui): Extension<Ui>,
    Query(query): Query<ListQuery>,
) -> Result<Response, Refused> {
    let q = query.q.trim();
    let after = query.after.as_str();
    // An exact enrollment id opens the device (only from the search box's first page).
    if !q.is_empty() && after.is_empty() {
        let found = ui
            .call(Method::GET, &format!("/api/v1/devices/{}", encode(q)), None)
            .await;
        if found.ok() {
            return Ok(Redirect::to(&format!("/ui/devices/{}", encode(q))).into_response());
        }
    }
    let mut uri = format!("/api/v1/devices?limit={PAGE}&after={}", encode(after));
    if !q.is_empty() {
        uri.push_str(&format!("&search={}", encode(q)));
    }
    let answer = ui.call(Method::GET, &uri, None).await;
    let refused = (!answer.ok()).then(|| answer.clone());
    let page = if answer.ok() {
        answer.body
    } else {
        Value::Null
    };
    let devices = page
        .get("devices")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let next = page.get("next").and_then(Value::as_str);
    let search_problem = refused.as_ref().and_then(|answer| {
        answer
            .problems()
            .into_iter()
            .find(|problem| problem.at == "search")
    });
    let query_of = |after: &str| {
        let mut link = format!("/ui/devices?after={}", encode(after));
        if !q.is_empty() {
            link.push_str(&format!("&q={}", encode(q)));
        }
        link
    };
    let body = html! {
        h1 { "Devices" }
        section {
            form method="get" action="/ui/devices" role="search" class="actions" {
                label for="q" { "Search" }
                input id="q" name="q" type="search" value=(q) maxlength="100"
                    aria-describedby=(if search_problem.is_some() { "q-hint q-error" } else { "q-hint" })
                    aria-invalid=[search_problem.is_some().then_some("true")];
                button type="submit" { "Find" }
            }
            p class="hint" id="q-hint" { "Part of an enrollment id, a model or a software-update id; an exact enrollment id opens the device." }
            @if let Some(problem) = &search_problem { p class="error" id="q-error" { (problem.message) } }
            @else if let Some(answer) = &refused { (problems_summary(Some(&answer.message()), &answer.problems())) }
            @if !q.is_empty() && refused.is_none() { p role="status" id="search-status" { "Devices matching " code { (q) } ":" } }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Device" } th scope="col" { "Platform" } th scope="col" { "OS" } th scope="col" { "Model" } th scope="col" { "Enrollment" } th scope="col" { "Updated" } } }
                    tbody {
                        @for device in devices {
                            @let id = text(device.get("id"));
                            tr {
                                td { a href=(format!("/ui/devices/{}", encode(&id))) { code { (id) } } }
                                td { (text(device.get("platform"))) }
                                td { (text(device.get("osVersion"))) " " span class="muted" { (text(device.get("osBuild"))) } }
                                td { (text(device.get("model"))) }
                                td { (text(device.get("enrollmentType"))) }
                                td { (text(device.get("updatedAt"))) }
                            }
                        }
                    }
                }
            }
            @if devices.is_empty() { p { "No device here." } }
            nav class="pager" aria-label="Pages" {
                @if !after.is_empty() { a href=(query_of("")) { "First page" } }
                @if let Some(next) = next { a href=(query_of(next)) { "Next " (PAGE) } }
            }
        }
    };
    let mut response = layout::page(&ui, Section::Devices, "Devices", body);
    if let Some(answer) = &refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

async fn one(Extension(ui): Extension<Ui>, Path(id): Path<String>) -> Result<Response, Refused> {
    device_page(&ui, &id, None).await
}

async fn device_page(ui: &Ui, id: &str, refused: Option<&Answer>) -> Result<Response, Refused> {
    let base = format!("/api/v1/devices/{}", encode(id));
    let device = ui.get(&base).await?;
    let status = ui.get(&format!("{base}/status")).await?;
    let effective = ui.get(&format!("{base}/effective-policy")).await?;
    let exemptions = ui.get(&format!("{base}/exemptions")).await?;
    let declarations = status
        .get("declarations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let exemptions = exemptions
        .get("exemptions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let legacy = status
        .get("legacyMechanisms")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ui_base = format!("/ui/devices/{}", encode(id));
    let body = html! {
        h1 { "Device " code { (id) } }
        @if let Some(answer) = refused { (problems_summary(Some(&answer.message()), &answer.problems())) }
        div class="grid" {
            section aria-labelledby="result" {
                h2 id="result" { "Update" }
                dl class="facts" {
                    dt { "State" } dd { (badge(&text(status.get("state")))) }
                    @if let Some(reason) = status.get("unsupportedReason").filter(|value| !value.is_null()) { dt { "Why" } dd { (text(Some(reason))) } }
                    dt { "Target" } dd { (text(status.get("targetVersion"))) " " span class="muted" { (text(status.get("targetBuild"))) } }
                    dt { "Deadline" } dd id="deadline" { (text(status.get("deadline"))) @if status.get("overdue") == Some(&Value::Bool(true)) { " " (badge("overdue")) } }
                    dt { "Install state" } dd { (text(status.get("installState"))) }
                    @if let Some(failure) = status.get("failure").filter(|value| !value.is_null()) { dt { "Failures" } dd { (text(failure.get("count"))) " " (text(failure.get("reason"))) } }
                    dt { "Explanation" } dd { (text(status.get("explanation"))) }
                    dt { "Reports" } dd { (text(status.get("reports"))) ", last " (text(status.get("lastReportAt"))) }
                    dt { "Legacy conflict" } dd { (text(status.get("legacyConflict"))) }
                }
            }
            section aria-labelledby="device" {
                h2 id="device" { "Device" }
                dl class="facts" {
                    dt { "Platform" } dd { (text(device.get("platform"))) }
                    dt { "OS" } dd { (text(device.get("osVersion"))) " (" (text(device.get("osBuild"))) ")" }
                    dt { "Model" } dd { (text(device.get("model"))) }
                    dt { "Software-update id" } dd { (text(device.get("softwareUpdateDeviceId"))) }
                    dt { "Enrollment" } dd { (text(device.get("enrollmentType"))) }
                }
            }
        }
        section aria-labelledby="effective" {
            h2 id="effective" { "Effective policy" }
            @if let Some(policy) = effective.get("policy").filter(|value| !value.is_null()) {
                p { a href=(format!("/ui/policies/{}", text(policy.get("id")))) { (text(policy.get("name"))) }
                    @if let Some(ring) = policy.get("policyGroup").filter(|value| !value.is_null()) { " in ring " (text(ring.get("name"))) } }
            }
            p { (text(effective.get("reason"))) }
            @let overruled = effective.get("overruled").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            @if !overruled.is_empty() {
                h3 { "Overruled" }
                ul { @for other in overruled { li { (text(other.pointer("/policy/name"))) ": " (text(other.get("reason"))) } } }
            }
        }
        section aria-labelledby="declarations" {
            h2 id="declarations" { "Declarations" }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Kind" } th scope="col" { "Identifier" } th scope="col" { "Valid" } th scope="col" { "Active" } th scope="col" { "Reasons" } } }
                    tbody {
                        @for declaration in declarations {
                            tr {
                                td { (text(declaration.get("kind"))) }
                                td { code { (text(declaration.get("identifier"))) } }
                                td { (text(declaration.get("valid"))) }
                                td { (text(declaration.get("active"))) }
                                td {
                                    @for reason in declaration.get("reasons").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                                        code { (text(reason.get("code"))) } " " (text(reason.get("description"))) br;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if declarations.is_empty() { p { "The device has reported no declaration yet." } }
            @if !legacy.is_empty() {
                h3 { "Legacy update mechanisms" }
                ul { @for mechanism in legacy { li { (text(mechanism.get("kind"))) ": " (text(mechanism.get("name"))) } } }
            }
        }
        section aria-labelledby="exemptions" {
            h2 id="exemptions" { "Exemptions" }
            @if exemptions.is_empty() { p { "None." } }
            ul {
                @for exemption in exemptions {
                    li {
                        "until " (text(exemption.get("until"))) ": " (text(exemption.get("reason")))
                        @if exemption.get("active") == Some(&Value::Bool(true)) { " " (badge("exempt")) }
                        @if ui.can(Verb::Delete, "/api/v1/devices/{id}/exemptions/{exemption}") {
                            " " (action_button(ui, &format!("{ui_base}/exemptions/{}/end", text(exemption.get("id"))), "End", "secondary"))
                        }
                    }
                }
            }
            @if ui.can(Verb::Post, "/api/v1/devices/{id}/exemptions") {
                form method="post" action=(format!("{ui_base}/exemptions")) {
                    (csrf(ui))
                    div class="fields" {
                        div class="field" {
                            label for="until" { "Until" }
                            input id="until" name="until" type="text" placeholder="2026-12-31T00:00:00Z" required;
                        }
                        div class="field" {
                            label for="reason" { "Reason" }
                            input id="reason" name="reason" type="text" required;
                        }
                    }
                    button type="submit" { "Exempt device" }
                }
            }
        }
    };
    let mut response = layout::page(ui, Section::Devices, &format!("Device {id}"), body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

async fn exempt(Path(id): Path<String>, form: UiForm) -> Result<Response, Refused> {
    let mut body = Map::new();
    for key in ["until", "reason"] {
        body.insert(
            key.to_owned(),
            Value::String(form.text(key).trim().to_owned()),
        );
    }
    let write = Write::new(
        Method::POST,
        format!("/api/v1/devices/{}/exemptions", encode(&id)),
        "/api/v1/devices/{id}/exemptions",
    )
    .json(&Value::Object(body))
    .shown(
        format!("exempt device {id}"),
        format!("/ui/devices/{}", encode(&id)),
        Section::Devices,
    );
    device_change(&form, &id, write).await
}

async fn end_exemption(
    Path((id, exemption)): Path<(String, i64)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let write = Write::new(
        Method::DELETE,
        format!("/api/v1/devices/{}/exemptions/{exemption}", encode(&id)),
        "/api/v1/devices/{id}/exemptions/{exemption}",
    )
    .shown(
        format!("end exemption {exemption} of device {id}"),
        format!("/ui/devices/{}", encode(&id)),
        Section::Devices,
    );
    device_change(&form, &id, write).await
}

/// A device's change, previewed first; back to the device once written.
async fn device_change(form: &UiForm, id: &str, write: Write) -> Result<Response, Refused> {
    match preview::submit(form, write).await {
        Step::Preview(page) => Ok(page),
        Step::Written(_) => {
            Ok(Redirect::to(&format!("/ui/devices/{}", encode(id))).into_response())
        }
        Step::Refused(answer) => device_page(&form.ui, id, Some(&answer)).await,
    }
}
