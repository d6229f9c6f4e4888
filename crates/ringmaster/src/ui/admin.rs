//! Administration pages, for `admin` tokens as on the API: `/ui/audit` (the audit log with the
//! API's filters: since, object, token, limit) and `/ui/tokens` (list, create with the secret
//! shown once, revoke).

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
use crate::ui::layout::{self, Section, action_button, csrf, problems_summary, text};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/audit", get(audit))
        .route("/ui/tokens", get(tokens).post(create_token))
        .route("/ui/tokens/{name}/revoke", post(revoke_token))
}

/// The audit log's filters, as the API names them.
const FILTERS: [(&str, &str, &str); 4] = [
    ("since", "Since", "an instant, such as 2026-12-01T00:00:00Z"),
    ("object", "Object", "an id, or kind/id such as policy/3"),
    ("token", "Token", "a token's name, or cli"),
    ("limit", "Limit", "1 to 1000, 100 by default"),
];

#[derive(Debug, Default, Deserialize)]
pub struct AuditFilters {
    #[serde(default)]
    since: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    limit: String,
}

impl AuditFilters {
    fn value(&self, key: &str) -> &str {
        match key {
            "since" => &self.since,
            "object" => &self.object,
            "token" => &self.token,
            _ => &self.limit,
        }
    }
}

async fn audit(
    Extension(ui): Extension<Ui>,
    Query(filters): Query<AuditFilters>,
) -> Result<Response, Refused> {
    let query: Vec<String> = FILTERS
        .iter()
        .map(|(key, _, _)| (key, filters.value(key).trim()))
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    let answer = ui
        .call(
            Method::GET,
            &format!("/api/v1/audit?{}", query.join("&")),
            None,
        )
        .await;
    if answer.status.as_u16() == 403 || answer.status.is_server_error() {
        return Err(Refused(answer));
    }
    let problems = answer.problems();
    let entries = answer
        .body
        .get("entries")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let body = html! {
        h1 { "Audit log" }
        section {
            form method="get" action="/ui/audit" role="search" {
                div class="fields" {
                    @for (key, label, hint) in FILTERS {
                        @let problem = problems.iter().find(|problem| problem.at == key);
                        div class="field" {
                            label for=(format!("f-{key}")) { (label) }
                            input id=(format!("f-{key}")) name=(key) type="text" value=(filters.value(key))
                                aria-invalid=[problem.map(|_| "true")] aria-describedby=(format!("f-{key}-hint"));
                            p class="hint" id=(format!("f-{key}-hint")) { (hint) }
                            @if let Some(problem) = problem { p class="error" { (problem.message) } }
                        }
                    }
                }
                button type="submit" { "Filter" }
            }
        }
        section {
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "From" } th scope="col" { "Action" } th scope="col" { "Object" } th scope="col" { "Outcome" } } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (text(entry.get("at"))) }
                                td { (text(entry.pointer("/actor/name"))) " " span class="muted" { (text(entry.pointer("/actor/kind"))) } }
                                td { (text(entry.get("clientAddress"))) }
                                td { code { (text(entry.get("action"))) } }
                                td { (text(entry.pointer("/object/kind"))) " " (text(entry.pointer("/object/id"))) }
                                td { (text(entry.get("outcome"))) " " (text(entry.get("status"))) }
                            }
                        }
                    }
                }
            }
            @if entries.is_empty() { p { "No entry." } }
        }
    };
    Ok(layout::page(&ui, Section::Audit, "Audit log", body))
}

async fn tokens(Extension(ui): Extension<Ui>) -> Result<Response, Refused> {
    tokens_page(&ui, None, None).await
}

async fn tokens_page(
    ui: &Ui,
    refused: Option<&Answer>,
    created: Option<&Value>,
) -> Result<Response, Refused> {
    let tokens = ui.get("/api/v1/tokens").await?;
    let tokens = tokens.as_array().map(Vec::as_slice).unwrap_or_default();
    let create = ui.can(Verb::Post, "/api/v1/tokens");
    let problems = refused.map(Answer::problems).unwrap_or_default();
    let at = |key: &str| {
        problems
            .iter()
            .find(|problem| problem.at == format!("/{key}"))
    };
    let body = html! {
        h1 { "Tokens" }
        @if let Some(created) = created {
            div class="notice" role="status" {
                p { "Token " strong { (text(created.get("name"))) } " created. Copy its secret now: it is not shown again." }
                p { code id="new-secret" { (text(created.get("token"))) } }
            }
        }
        section {
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Titles" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Expires" } th scope="col" { "Revoked" } @if create { th scope="col" { "Actions" } } } }
                    tbody {
                        @for token in tokens {
                            @let name = text(token.get("name"));
                            tr {
                                td { (name) }
                                td { (text(token.get("role"))) }
                                td { (text(token.get("titles"))) }
                                td { (text(token.get("createdAt"))) }
                                td { (text(token.get("lastUsedAt"))) }
                                td { (text(token.get("expiresAt"))) }
                                td { (text(token.get("revokedAt"))) }
                                @if create {
                                    td { @if token.get("revokedAt").is_none_or(Value::is_null) {
                                        (action_button(ui, &format!("/ui/tokens/{}/revoke", encode(&name)), "Revoke", "danger"))
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if create {
            section aria-labelledby="new-token" {
                h2 id="new-token" { "New token" }
                @if let Some(answer) = refused { (problems_summary(Some(&answer.message()), &[])) }
                form method="post" action="/ui/tokens" {
                    (csrf(ui))
                    div class="fields" {
                        div class="field" {
                            label for="t-name" { "Name" }
                            input id="t-name" name="name" type="text" required aria-invalid=[at("name").map(|_| "true")];
                            @if let Some(problem) = at("name") { p class="error" { (problem.message) } }
                        }
                        div class="field" {
                            label for="t-role" { "Role" }
                            select id="t-role" name="role" {
                                option value="readOnly" { "readOnly" }
                                option value="manager" { "manager" }
                                option value="admin" { "admin" }
                            }
                            @if let Some(problem) = at("role") { p class="error" { (problem.message) } }
                        }
                        div class="field" {
                            label for="t-expires" { "Expires in" }
                            input id="t-expires" name="expiresIn" type="text" placeholder="90d" aria-invalid=[at("expiresIn").map(|_| "true")];
                            @if let Some(problem) = at("expiresIn") { p class="error" { (problem.message) } }
                        }
                    }
                    button type="submit" { "Create token" }
                }
            }
        }
    };
    let mut response = layout::page(ui, Section::Tokens, "Tokens", body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

async fn create_token(form: UiForm) -> Result<Response, Refused> {
    let mut body = Map::new();
    body.insert(
        "name".to_owned(),
        Value::String(form.text("name").trim().to_owned()),
    );
    body.insert(
        "role".to_owned(),
        Value::String(form.text("role").to_owned()),
    );
    let expires = form.text("expiresIn").trim();
    if !expires.is_empty() {
        body.insert("expiresIn".to_owned(), Value::String(expires.to_owned()));
    }
    let answer = form
        .ui
        .send_json(Method::POST, "/api/v1/tokens", &Value::Object(body))
        .await;
    if !answer.ok() {
        return tokens_page(&form.ui, Some(&answer), None).await;
    }
    tokens_page(&form.ui, None, Some(&answer.body)).await
}

async fn revoke_token(Path(name): Path<String>, form: UiForm) -> Result<Response, Refused> {
    let answer = form
        .ui
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", encode(&name)),
            None,
        )
        .await;
    if !answer.ok() {
        return tokens_page(&form.ui, Some(&answer), None).await;
    }
    Ok(Redirect::to("/ui/tokens").into_response())
}
