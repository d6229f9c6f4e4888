//! The page shell every page shares: landmarks, the navigation, the stylesheet, the headers.
//!
//! Pages are HTML built with `maud` (escaped at compile time), no script at all, styled by one
//! stylesheet compiled into the binary ([`STYLESHEET`], served at `/ui/style.css`). Every
//! answer carries a Content-Security-Policy allowing only this origin's stylesheet and forms,
//! `no-store`, and refuses framing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use ringmaster_domain::access::Role;

use crate::ui::api::{Problem, Refused, Ui};

/// The stylesheet, compiled into the binary.
pub const STYLESHEET: &str = include_str!("style.css");

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Titles,
    Catalog,
    Policies,
    Rings,
    Devices,
    Compliance,
    Audit,
    Tokens,
}

/// Each section's link, label and the role that sees it.
const NAV: [(Section, &str, &str, Role); 9] = [
    (Section::Overview, "/ui/", "Overview", Role::ReadOnly),
    (Section::Titles, "/ui/titles", "Titles", Role::ReadOnly),
    (
        Section::Catalog,
        "/ui/catalog/macOS",
        "OS catalog",
        Role::ReadOnly,
    ),
    (
        Section::Policies,
        "/ui/policies",
        "Policies",
        Role::ReadOnly,
    ),
    (Section::Rings, "/ui/rings", "Rings", Role::ReadOnly),
    (Section::Devices, "/ui/devices", "Devices", Role::ReadOnly),
    (
        Section::Compliance,
        "/ui/compliance",
        "Compliance",
        Role::ReadOnly,
    ),
    (Section::Audit, "/ui/audit", "Audit log", Role::Admin),
    (Section::Tokens, "/ui/tokens", "Tokens", Role::Admin),
];

/// A signed-in page.
pub fn page(ui: &Ui, section: Section, title: &str, body: Markup) -> Response {
    let token = &ui.session.token;
    let shell = html! {
        a class="skip" href="#main" { "Skip to content" }
        header class="top" {
            a class="brand" href="/ui/" { "ringmaster" }
            nav aria-label="Sections" {
                ul {
                    @for (item, href, label, role) in NAV {
                        @if token.role.includes(role) {
                            li {
                                a href=(href) aria-current=[(item == section).then_some("page")] { (label) }
                            }
                        }
                    }
                }
            }
            form class="who" method="post" action="/ui/sign-out" {
                span { (token.name) " · " (token.role.as_str()) }
                input type="hidden" name="csrf" value=(ui.csrf());
                button type="submit" class="link" { "Sign out" }
            }
        }
        main id="main" { (body) }
    };
    document(title, shell)
}

/// A page outside a session (sign-in).
pub fn bare_page(title: &str, body: Markup) -> Response {
    document(
        title,
        html! {
            header class="top" { a class="brand" href="/ui/" { "ringmaster" } }
            main id="main" { (body) }
        },
    )
}

fn document(title: &str, content: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · ringmaster" }
                link rel="stylesheet" href="/ui/style.css";
            }
            body { (content) }
        }
    };
    html_response(StatusCode::OK, markup.into_string())
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// `GET /ui/style.css`.
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A page that only says why nothing happened, with the status.
pub fn refusal(status: StatusCode, message: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (status.as_u16()) " · ringmaster" }
                link rel="stylesheet" href="/ui/style.css";
            }
            body {
                header class="top" { a class="brand" href="/ui/" { "ringmaster" } }
                main id="main" {
                    h1 { (status.canonical_reason().unwrap_or("Refused")) }
                    p role="alert" { (message) }
                    p { a href="/ui/" { "Back to the overview" } }
                }
            }
        }
    };
    html_response(status, markup.into_string())
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let answer = self.0;
        let mut message = answer.message();
        for problem in answer.problems() {
            message.push_str(&format!(" {}: {}", problem.at, problem.message));
        }
        refusal(answer.status, &message)
    }
}

/// The problems of a refused form that belong to no field shown, as a list at the top.
pub fn problems_summary(message: Option<&str>, problems: &[Problem]) -> Markup {
    html! {
        @if message.is_some() || !problems.is_empty() {
            div class="problems" role="alert" {
                @if let Some(message) = message { p { strong { (message) } } }
                @if !problems.is_empty() {
                    ul {
                        @for problem in problems {
                            li { @if !problem.at.is_empty() { code { (problem.at) } ": " } (problem.message) }
                        }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field of every form.
pub fn csrf(ui: &Ui) -> Markup {
    html! { input type="hidden" name="csrf" value=(ui.csrf()); }
}

/// A small form that posts to `action` with one button (delete, disable, block…).
pub fn action_button(ui: &Ui, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form class="inline" method="post" action=(action) {
            (csrf(ui))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// Text of an optional JSON string or number, `—` when absent.
pub fn text(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".to_owned(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// A badge for a compliance or install state.
pub fn badge(state: &str) -> Markup {
    html! { span class=(format!("badge {}", state_class(state))) { (state) } }
}

fn state_class(state: &str) -> &'static str {
    match state {
        "upToDate" | "up to date" => "good",
        "pending" | "exempt" => "info",
        "overdue" | "failed" | "rejected" | "declarationRejected" => "bad",
        _ => "neutral",
    }
}

/// Raw SVG from the API (the rollout timeline, built by the domain).
pub fn svg(picture: &str) -> Markup {
    PreEscaped(picture.to_owned())
}
