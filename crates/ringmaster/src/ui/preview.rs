//! The one way a form changes anything: preview first, then confirm.
//!
//! A page's handler turns its form into a [`Write`] (the API request it means) and hands it to
//! [`submit`]. On the form's first submit, a write whose route is in the API's list of routes
//! that honour `?dryRun=true` is sent with `?dryRun=true`: nothing is written, and the answer
//! (how many devices change target or deadline, how urgently, the table of devices from → to,
//! the warnings) is shown on a preview page. A write without a dry run gets the same page
//! without the counts, saying what will be done. The page's Confirm button posts the same
//! values again, carried in hidden fields with the CSRF secret and a confirmation mark, and
//! only then is the real write sent; Cancel goes back without a request. A refused dry run (or
//! a refused write) comes back to the handler as [`Step::Refused`], so the form is shown again
//! with the API's words at its fields, and nothing changed.

use axum::http::Method;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::http::dry_run::DRY_RUN_ROUTES;
use crate::ui::api::{Answer, Ui, encode};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, csrf};

/// The hidden field that marks a confirmed form.
pub const CONFIRM: &str = "confirmed";

/// One change a form asks the API for.
#[derive(Debug, Clone)]
pub struct Write {
    pub method: Method,
    /// The path to send, its segments encoded.
    pub uri: String,
    /// The route's pattern in the route table (`/api/v1/policies/{id}`), to know whether it
    /// honours `?dryRun=true`.
    pub route: &'static str,
    /// The body: its content type and bytes.
    pub body: Option<(&'static str, Vec<u8>)>,
    /// What the change does, in words ("Bind ring Vanguard").
    pub what: String,
    /// Where Cancel goes.
    pub back: String,
    /// The navigation section of the preview page.
    pub section: Section,
    /// The fields the confirmation posts again; by default the form's own.
    pub carry: Option<Vec<(String, String)>>,
}

impl Write {
    /// A write without a body.
    pub fn new(method: Method, uri: String, route: &'static str) -> Write {
        Write {
            method,
            uri,
            route,
            body: None,
            what: String::new(),
            back: "/ui/".to_owned(),
            section: Section::Overview,
            carry: None,
        }
    }

    /// With a JSON body.
    pub fn json(mut self, document: &Value) -> Write {
        self.body = Some((
            "application/json",
            serde_json::to_vec(document).unwrap_or_default(),
        ));
        self
    }

    /// Described in words, cancelled to `back`, shown in `section`.
    pub fn shown(
        mut self,
        what: impl Into<String>,
        back: impl Into<String>,
        section: Section,
    ) -> Write {
        self.what = what.into();
        self.back = back.into();
        self.section = section;
        self
    }

    /// Whether the API previews this write (`?dryRun=true`).
    pub fn has_dry_run(&self) -> bool {
        DRY_RUN_ROUTES
            .iter()
            .any(|(method, route)| *method == self.method && *route == self.route)
    }

    fn dry_run_uri(&self) -> String {
        let separator = if self.uri.contains('?') { '&' } else { '?' };
        format!("{}{separator}dryRun=true", self.uri)
    }
}

/// Where a submitted form stands.
#[derive(Debug)]
pub enum Step {
    /// Not confirmed yet: the preview page to show.
    Preview(Response),
    /// The API refused the dry run or the write: show the form again with its problems.
    Refused(Answer),
    /// Confirmed and written: the API's answer.
    Written(Answer),
}

/// A form's change: previewed on the first submit, written once confirmed.
pub async fn submit(form: &UiForm, write: Write) -> Step {
    let ui = &form.ui;
    if form.text(CONFIRM) == "yes" {
        let answer = ui
            .call(write.method.clone(), &write.uri, write.body.clone())
            .await;
        return if answer.ok() {
            Step::Written(answer)
        } else {
            Step::Refused(answer)
        };
    }
    let carried = write.carry.clone().unwrap_or_else(|| {
        form.fields
            .pairs()
            .iter()
            .filter(|(name, _)| name != "csrf" && name != CONFIRM)
            .cloned()
            .collect()
    });
    if !write.has_dry_run() {
        return Step::Preview(preview_page(ui, &write, None, &carried));
    }
    let answer = ui
        .call(
            write.method.clone(),
            &write.dry_run_uri(),
            write.body.clone(),
        )
        .await;
    if !answer.ok() {
        return Step::Refused(answer);
    }
    match serde_json::from_value::<PreviewAnswer>(answer.body.clone()) {
        Ok(preview) => Step::Preview(preview_page(ui, &write, Some(&preview), &carried)),
        Err(_) => Step::Refused(answer),
    }
}

/// The API's answer to a dry run, as the preview page reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewAnswer {
    pub at: String,
    pub devices: u64,
    pub changed: u64,
    pub due_within24_hours: u64,
    pub overdue_at_once: u64,
    pub listed: u64,
    pub truncated: bool,
    #[serde(default)]
    pub changes: Vec<ChangeRow>,
    #[serde(default)]
    pub warnings: Vec<WarningRow>,
}

/// One device whose target or deadline would change.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRow {
    pub device_id: String,
    pub change: String,
    pub urgency: String,
    pub from: Option<TargetRow>,
    pub to: Option<TargetRow>,
}

/// An enforced release and its deadline.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRow {
    pub target_version: String,
    pub target_build: Option<String>,
    pub deadline: String,
}

/// A warning of the document, at its pointer.
#[derive(Debug, Clone, Deserialize)]
pub struct WarningRow {
    #[serde(default)]
    pub pointer: String,
    pub message: String,
}

fn change_words(change: &str) -> &str {
    match change {
        "added" => "gets a target",
        "removed" => "loses its target",
        "retargeted" => "new target",
        "rescheduled" => "new deadline",
        other => other,
    }
}

fn urgency_words(urgency: &str) -> (&str, &'static str) {
    match urgency {
        "atOnce" => ("overdue at once", "bad"),
        "within24Hours" => ("due within 24 hours", "warn"),
        "later" => ("later", "neutral"),
        "none" => ("nothing enforced", "neutral"),
        other => (other, "neutral"),
    }
}

fn target(row: Option<&TargetRow>) -> Markup {
    html! {
        @match row {
            Some(row) => {
                (row.target_version)
                @if let Some(build) = &row.target_build { " " span class="muted" { "(" (build) ")" } }
                br;
                span class="muted" { "by " (row.deadline) }
            }
            None => span class="muted" { "nothing enforced" },
        }
    }
}

fn counts(preview: &PreviewAnswer) -> Markup {
    html! {
        dl class="facts" id="preview-counts" {
            dt { "Devices evaluated" } dd { (preview.devices) }
            dt { "Would change target or deadline" } dd id="preview-changed" { (preview.changed) }
            dt { "Of those, due within 24 hours" } dd { (preview.due_within24_hours) }
            dt { "Of those, overdue at once" } dd {
                (preview.overdue_at_once)
                @if preview.overdue_at_once > 0 { " " span class="badge bad" { "forced install" } }
            }
            dt { "Evaluated at" } dd { (preview.at) }
        }
    }
}

fn table(preview: &PreviewAnswer) -> Markup {
    html! {
        @if preview.changes.is_empty() {
            p { "No device's target or deadline changes." }
        } @else {
            div class="table-wrap" {
                table id="preview-changes" {
                    caption {
                        "Devices whose target or deadline changes"
                        @if preview.truncated { " (the first " (preview.listed) " of " (preview.changed) ")" }
                    }
                    thead { tr { th scope="col" { "Device" } th scope="col" { "Change" } th scope="col" { "Urgency" } th scope="col" { "From" } th scope="col" { "To" } } }
                    tbody {
                        @for row in &preview.changes {
                            @let (urgency, class) = urgency_words(&row.urgency);
                            tr {
                                td { a href=(format!("/ui/devices/{}", encode(&row.device_id))) { code { (row.device_id) } } }
                                td { (change_words(&row.change)) }
                                td { span class=(format!("badge {class}")) { (urgency) } }
                                td { (target(row.from.as_ref())) }
                                td { (target(row.to.as_ref())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn preview_page(
    ui: &Ui,
    write: &Write,
    preview: Option<&PreviewAnswer>,
    carried: &[(String, String)],
) -> Response {
    let title = format!("Preview: {}", write.what);
    let body = html! {
        h1 { (title) }
        section aria-labelledby="preview-summary" class="preview" {
            h2 id="preview-summary" { "What this change does" }
            p role="status" {
                strong { "Nothing has changed yet." }
                @match preview {
                    Some(_) => " This is the server's dry run of the change; confirm to make it.",
                    None => " This change has no dry run: it is made when you confirm.",
                }
            }
            @if let Some(preview) = preview {
                (counts(preview))
                @if !preview.warnings.is_empty() {
                    div class="notice" role="status" {
                        p { strong { "Warnings" } }
                        ul { @for warning in &preview.warnings { li { @if !warning.pointer.is_empty() { code { (warning.pointer) } ": " } (warning.message) } } }
                    }
                }
                (table(preview))
            }
        }
        form method="post" enctype="multipart/form-data" class="confirm" aria-label="Confirm or cancel" {
            (csrf(ui))
            input type="hidden" name=(CONFIRM) value="yes";
            @for (name, value) in carried {
                input type="hidden" name=(name) value=(value);
            }
            div class="actions" {
                button type="submit" id="confirm" autofocus { "Confirm: " (write.what) }
                a class="button secondary" id="cancel" href=(write.back) { "Cancel" }
            }
        }
    };
    layout::page(ui, write.section, &title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_listed_route_is_sent_as_a_dry_run() {
        let bind = Write::new(
            Method::PUT,
            "/api/v1/policy-groups/3/bindings".to_owned(),
            "/api/v1/policy-groups/{id}/bindings",
        );
        assert!(bind.has_dry_run());
        assert_eq!(
            bind.dry_run_uri(),
            "/api/v1/policy-groups/3/bindings?dryRun=true"
        );
        let tokens = Write::new(Method::POST, "/api/v1/tokens".to_owned(), "/api/v1/tokens");
        assert!(!tokens.has_dry_run());
        let query = Write::new(
            Method::DELETE,
            "/api/v1/policies/3?x=1".to_owned(),
            "/api/v1/policies/{id}",
        );
        assert_eq!(query.dry_run_uri(), "/api/v1/policies/3?x=1&dryRun=true");
    }

    #[test]
    fn the_dry_run_answer_is_read_whole() {
        let answer = serde_json::json!({
            "dryRun": true, "at": "2026-12-07T00:00:00Z", "devices": 3, "changed": 1,
            "dueWithin24Hours": 0, "overdueAtOnce": 1, "listed": 1, "truncated": false,
            "changes": [{"deviceId": "a", "change": "added", "urgency": "atOnce", "from": null,
                "to": {"targetVersion": "26.2", "targetBuild": "25C56", "deadline": "2026-12-07T12:00:00"}}],
            "warnings": [{"pointer": "/targetVersion", "message": "unknown"}]
        });
        let preview: PreviewAnswer = serde_json::from_value(answer).expect("typed");
        assert_eq!(
            preview.changes[0].to.as_ref().expect("to").target_version,
            "26.2"
        );
        assert_eq!(preview.warnings[0].pointer, "/targetVersion");
        assert_eq!(preview.overdue_at_once, 1);
    }
}
