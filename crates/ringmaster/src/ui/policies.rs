//! `/ui/policies`: update policies, automatic and specific-version. The list, a form with every
//! setting for a new policy and for each stored one (the API's refusals at their fields,
//! "Invalid global settings declaration: …" included), its warnings, and delete; every change is
//! previewed first ([`crate::ui::preview`]).

use axum::extract::Path;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::html;
use serde_json::Value;

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::ui::api::{Answer, Refused, Ui};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, action_button, csrf, problems_summary, text};
use crate::ui::policy_form;
use crate::ui::preview::{self, Step, Write};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/policies", get(list).post(create))
        .route("/ui/policies/new", get(new_policy))
        .route("/ui/policies/{id}", get(one).post(replace))
        .route("/ui/policies/{id}/delete", post(delete))
}

async fn list(Extension(ui): Extension<Ui>) -> Result<Response, Refused> {
    let policies = ui.get("/api/v1/policies").await?;
    let policies = policies.as_array().map(Vec::as_slice).unwrap_or_default();
    let body = html! {
        h1 { "Update policies" }
        @if ui.can(Verb::Post, "/api/v1/policies") {
            p { a href="/ui/policies/new" { "New policy" } }
        }
        section {
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Policy" } th scope="col" { "Platform" } th scope="col" { "Kind" } th scope="col" { "Ring" } th scope="col" { "Enforced" } th scope="col" { "Updated" } } }
                    tbody {
                        @for policy in policies {
                            @let id = text(policy.get("id"));
                            tr {
                                td { a href=(format!("/ui/policies/{id}")) { (text(policy.get("name"))) } }
                                td { (text(policy.get("platform"))) }
                                td { (text(policy.get("kind"))) @if let Some(version) = policy.get("targetVersion").and_then(Value::as_str) { " → " (version) } }
                                td { @if let Some(group) = policy.get("policyGroup").filter(|group| !group.is_null()) { a href="/ui/rings" { "ring " (text(Some(group))) } } @else { "—" } }
                                td { (text(policy.pointer("/enforcement/enabled"))) }
                                td { (text(policy.get("updatedAt"))) }
                            }
                        }
                    }
                }
            }
            @if policies.is_empty() { p { "No policy yet." } }
        }
    };
    Ok(layout::page(&ui, Section::Policies, "Policies", body))
}

async fn new_policy(Extension(ui): Extension<Ui>) -> Response {
    form_page(&ui, None, &Value::Null, None)
}

async fn one(Extension(ui): Extension<Ui>, Path(id): Path<i64>) -> Result<Response, Refused> {
    let policy = ui.get(&format!("/api/v1/policies/{id}")).await?;
    Ok(form_page(&ui, Some(id), &policy, None))
}

fn form_page(ui: &Ui, id: Option<i64>, document: &Value, refused: Option<&Answer>) -> Response {
    let problems = refused.map(Answer::problems).unwrap_or_default();
    let (write, action) = match id {
        Some(id) => (
            ui.can(Verb::Put, "/api/v1/policies/{id}"),
            format!("/ui/policies/{id}"),
        ),
        None => (
            ui.can(Verb::Post, "/api/v1/policies"),
            "/ui/policies".to_owned(),
        ),
    };
    let title = match id {
        Some(_) => text(document.get("name")),
        None => "New policy".to_owned(),
    };
    let warnings = document
        .get("warnings")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let body = html! {
        h1 { (title) }
        @if let Some(answer) = refused {
            (problems_summary(Some(&answer.message()), &policy_form::unplaced(&problems)))
        }
        @if !warnings.is_empty() {
            div class="notice" role="status" {
                p { strong { "Warnings" } }
                ul { @for warning in warnings { li { code { (text(warning.get("pointer"))) } ": " (text(warning.get("message"))) } } }
            }
        }
        @if let Some(id) = id {
            p {
                "Ring: " (text(document.get("policyGroup")))
                " · " a href=(format!("/ui/compliance/policy/{id}")) { "Compliance" }
                " · revision " (text(document.get("revision")))
            }
        }
        @if write {
            form method="post" action=(action) novalidate {
                (csrf(ui))
                (policy_form::fields(document, &problems))
                button type="submit" { @if id.is_some() { "Save policy" } @else { "Create policy" } }
            }
            @if let Some(id) = id {
                @if ui.can(Verb::Delete, "/api/v1/policies/{id}") {
                    div class="actions" { (action_button(ui, &format!("/ui/policies/{id}/delete"), "Delete policy", "danger")) }
                }
            }
        } @else {
            section {
                h2 { "Settings" }
                pre { (serde_json::to_string_pretty(document).unwrap_or_default()) }
            }
        }
    };
    let mut response = layout::page(ui, Section::Policies, &title, body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    response
}

async fn create(form: UiForm) -> Response {
    let document = policy_form::document_of(form.fields.pairs());
    let name = text(document.get("name"));
    let write = Write::new(
        Method::POST,
        "/api/v1/policies".to_owned(),
        "/api/v1/policies",
    )
    .json(&document)
    .shown(
        format!("create policy {name}"),
        "/ui/policies",
        Section::Policies,
    );
    match preview::submit(&form, write).await {
        Step::Preview(page) => page,
        Step::Written(answer) => {
            let id = text(answer.body.get("id"));
            Redirect::to(&format!("/ui/policies/{id}")).into_response()
        }
        Step::Refused(answer) => form_page(&form.ui, None, &document, Some(&answer)),
    }
}

async fn replace(Path(id): Path<i64>, form: UiForm) -> Response {
    let document = policy_form::document_of(form.fields.pairs());
    let name = text(document.get("name"));
    let write = Write::new(
        Method::PUT,
        format!("/api/v1/policies/{id}"),
        "/api/v1/policies/{id}",
    )
    .json(&document)
    .shown(
        format!("save policy {name}"),
        format!("/ui/policies/{id}"),
        Section::Policies,
    );
    match preview::submit(&form, write).await {
        Step::Preview(page) => page,
        Step::Written(_) => Redirect::to(&format!("/ui/policies/{id}")).into_response(),
        Step::Refused(answer) => form_page(&form.ui, Some(id), &document, Some(&answer)),
    }
}

async fn delete(Path(id): Path<i64>, form: UiForm) -> Response {
    let write = Write::new(
        Method::DELETE,
        format!("/api/v1/policies/{id}"),
        "/api/v1/policies/{id}",
    )
    .shown(
        format!("delete policy {id}"),
        format!("/ui/policies/{id}"),
        Section::Policies,
    );
    match preview::submit(&form, write).await {
        Step::Preview(page) => page,
        Step::Written(_) => Redirect::to("/ui/policies").into_response(),
        Step::Refused(answer) => {
            let status = answer.status;
            let mut response = layout::refusal(status, &answer.message());
            *response.status_mut() = if status.is_success() {
                StatusCode::OK
            } else {
                status
            };
            response
        }
    }
}
