//! `/ui/titles`: software titles. The list with a search; one title with its versions in
//! order; adding a version (a form based on the newest version, or pasted JSON), placing it
//! before or after another, disabling, pinning and deleting; uploading a definition file.
//! A refusal shows the API's words at the form it came from.

use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::ui::api::{Answer, Problem, Refused, Ui, encode};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, action_button, csrf, problems_summary, text};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui/titles", get(list).post(upload))
        .route("/ui/titles/{id}", get(one))
        .route("/ui/titles/{id}/versions", post(add_version))
        .route("/ui/titles/{id}/do/{action}", post(title_action))
        .route(
            "/ui/titles/{id}/versions/{version}/{action}",
            post(version_action),
        )
}

#[derive(Debug, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

async fn list(
    Extension(ui): Extension<Ui>,
    Query(search): Query<Search>,
) -> Result<Response, Refused> {
    list_page(&ui, &search.q, None).await
}

async fn list_page(ui: &Ui, q: &str, refused: Option<&Answer>) -> Result<Response, Refused> {
    let titles = ui.get("/api/v1/title").await?;
    let needle = q.trim().to_lowercase();
    let shown: Vec<&Value> = titles
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|title| {
            needle.is_empty()
                || ["id", "name", "publisher"].iter().any(|key| {
                    title
                        .get(key)
                        .and_then(Value::as_str)
                        .is_some_and(|value| value.to_lowercase().contains(&needle))
                })
        })
        .collect();
    let body = html! {
        h1 { "Software titles" }
        section {
            form method="get" action="/ui/titles" role="search" class="actions" {
                label for="q" { "Search titles" }
                input id="q" name="q" type="search" value=(q) placeholder="id, name or publisher";
                button type="submit" { "Search" }
            }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Title" } th scope="col" { "Publisher" } th scope="col" { "Current version" } th scope="col" { "Served" } th scope="col" { "Last modified" } } }
                    tbody {
                        @for title in &shown {
                            @let id = text(title.get("id"));
                            tr {
                                td { a href=(format!("/ui/titles/{}", encode(&id))) { (text(title.get("name"))) } br; code class="muted" { (id) } }
                                td { (text(title.get("publisher"))) }
                                td { (text(title.get("currentVersion"))) }
                                td { @if title.get("served") == Some(&Value::Bool(true)) { (layout::badge("served")) } @else { (layout::badge("not served")) } }
                                td { (text(title.get("lastModified"))) }
                            }
                        }
                    }
                }
            }
            p class="muted" { (shown.len()) " of " (titles.as_array().map_or(0, Vec::len)) " titles" }
        }
        @if ui.can(Verb::Post, "/api/v1/title") {
            section aria-labelledby="upload" {
                h2 id="upload" { "Add a title" }
                @if let Some(answer) = refused { (problems_summary(Some(&answer.message()), &answer.problems())) }
                form method="post" action="/ui/titles" enctype="multipart/form-data" {
                    (csrf(ui))
                    div class="field" {
                        label for="file" { "Definition file (JSON)" }
                        input id="file" name="file" type="file" accept="application/json,.json";
                    }
                    div class="field" {
                        label for="definition" { "Or paste the definition" }
                        textarea id="definition" name="definition" {}
                    }
                    button type="submit" { "Add title" }
                }
            }
        }
    };
    let mut response = layout::page(ui, Section::Titles, "Titles", body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

async fn upload(form: UiForm) -> Result<Response, Refused> {
    let bytes = match form.fields.file("file") {
        Some(bytes) => bytes.to_vec(),
        None => form.text("definition").as_bytes().to_vec(),
    };
    let answer = form
        .ui
        .call(
            Method::POST,
            "/api/v1/title",
            Some(("application/json", bytes)),
        )
        .await;
    if answer.ok() {
        let id = text(answer.body.get("id"));
        return Ok(Redirect::to(&format!("/ui/titles/{}", encode(&id))).into_response());
    }
    list_page(&form.ui, "", Some(&answer)).await
}

async fn one(Extension(ui): Extension<Ui>, Path(id): Path<String>) -> Result<Response, Refused> {
    title_page(&ui, &id, None, &Map::new()).await
}

/// The status of one title from the list (enabled, pin, disabled versions).
async fn status_of(ui: &Ui, id: &str) -> Result<Value, Refused> {
    let titles = ui.get("/api/v1/title").await?;
    Ok(titles
        .as_array()
        .and_then(|titles| {
            titles
                .iter()
                .find(|title| title.get("id").and_then(Value::as_str) == Some(id))
        })
        .cloned()
        .unwrap_or(Value::Null))
}

/// Where a refused version form's problems go: the field named by the pointer's first key.
fn field_problem<'a>(problems: &'a [Problem], field: &str) -> Option<&'a Problem> {
    problems.iter().find(|problem| {
        problem.at == format!("/{field}") || problem.at.starts_with(&format!("/{field}/"))
    })
}

const VERSION_FIELDS: [(&str, &str, &str); 4] = [
    ("version", "Version", "required, as the app reports it"),
    (
        "releaseDate",
        "Release date",
        "such as 2026-12-01T00:00:00Z",
    ),
    ("minimumOperatingSystem", "Minimum macOS", "such as 13.0"),
    ("reboot", "Needs a restart", "true or false"),
];

async fn title_page(
    ui: &Ui,
    id: &str,
    refused: Option<&Answer>,
    entered: &Map<String, Value>,
) -> Result<Response, Refused> {
    let path = format!("/api/v1/title/{}", encode(id));
    let definition = ui.get(&path).await?;
    let status = status_of(ui, id).await?;
    let disabled: Vec<&str> = status
        .get("disabledVersions")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pinned = status.get("pinnedVersion").and_then(Value::as_str);
    let current = status.get("currentVersion").and_then(Value::as_str);
    let patches = definition
        .get("patches")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let edit = ui.can(Verb::Post, "/api/v1/title/{id}/version");
    let base = format!("/ui/titles/{}", encode(id));
    let problems = refused.map(Answer::problems).unwrap_or_default();
    let name = text(definition.get("name"));
    let body = html! {
        h1 { (name) }
        section {
            dl class="facts" {
                dt { "Id" } dd { code { (id) } }
                dt { "Publisher" } dd { (text(definition.get("publisher"))) }
                dt { "Current version" } dd { (current.unwrap_or("—")) @if pinned.is_some() { " (pinned)" } }
                dt { "Enabled" } dd { (text(status.get("enabled"))) }
                dt { "Served to Jamf Pro" } dd { (text(status.get("served"))) }
                dt { "Last modified" } dd { (text(definition.get("lastModified"))) }
            }
            @if edit {
                div class="actions" {
                    @if status.get("enabled") == Some(&Value::Bool(false)) {
                        (action_button(ui, &format!("{base}/do/enable"), "Enable title", "secondary"))
                    } @else {
                        (action_button(ui, &format!("{base}/do/disable"), "Disable title", "secondary"))
                    }
                    @if pinned.is_some() { (action_button(ui, &format!("{base}/do/unpin"), "Unpin version", "secondary")) }
                    (action_button(ui, &format!("{base}/do/delete"), "Delete title", "danger"))
                }
            }
        }
        section aria-labelledby="versions" {
            h2 id="versions" { "Versions, newest first" }
            @if let Some(answer) = refused.filter(|_| entered.is_empty()) { (problems_summary(Some(&answer.message()), &problems)) }
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Version" } th scope="col" { "Released" } th scope="col" { "Minimum OS" } th scope="col" { "State" } @if edit { th scope="col" { "Actions" } } } }
                    tbody {
                        @for patch in patches {
                            @let version = text(patch.get("version"));
                            @let off = disabled.contains(&version.as_str());
                            @let vbase = format!("{base}/versions/{}", encode(&version));
                            tr {
                                td { (version) }
                                td { (text(patch.get("releaseDate"))) }
                                td { (text(patch.get("minimumOperatingSystem"))) }
                                td {
                                    @if off { (layout::badge("disabled")) } @else { (layout::badge("enabled")) }
                                    @if Some(version.as_str()) == pinned { " " (layout::badge("pinned")) }
                                }
                                @if edit {
                                    td {
                                        @if off { (action_button(ui, &format!("{vbase}/enable"), "Enable", "secondary")) }
                                        @else { (action_button(ui, &format!("{vbase}/disable"), "Disable", "secondary")) }
                                        (action_button(ui, &format!("{vbase}/pin"), "Pin", "secondary"))
                                        (action_button(ui, &format!("{vbase}/delete"), "Delete", "danger"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if edit {
            (version_form(ui, &base, patches, refused.filter(|_| !entered.is_empty()), entered))
        }
    };
    let mut response = layout::page(ui, Section::Titles, &name, body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

fn version_form(
    ui: &Ui,
    base: &str,
    patches: &[Value],
    refused: Option<&Answer>,
    entered: &Map<String, Value>,
) -> Markup {
    let problems = refused.map(Answer::problems).unwrap_or_default();
    let placed: Vec<&Problem> = VERSION_FIELDS
        .iter()
        .filter_map(|(field, _, _)| field_problem(&problems, field))
        .collect();
    let rest: Vec<Problem> = problems
        .iter()
        .filter(|problem| !placed.contains(problem))
        .cloned()
        .collect();
    let value = |key: &str| {
        entered
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    html! {
        section aria-labelledby="add-version" {
            h2 id="add-version" { "Add a version" }
            p class="muted" { "The new version copies the newest version's components, capabilities and apps to quit, with its version replaced; or paste a whole patch as JSON." }
            @if let Some(answer) = refused { (problems_summary(Some(&answer.message()), &rest)) }
            form method="post" action=(format!("{base}/versions")) {
                (csrf(ui))
                div class="fields" {
                    @for (field, label, hint) in VERSION_FIELDS {
                        @let problem = field_problem(&problems, field);
                        div class="field" {
                            label for=(format!("v-{field}")) { (label) }
                            input id=(format!("v-{field}")) name=(field) type="text" value=(value(field))
                                aria-invalid=[problem.map(|_| "true")]
                                aria-describedby=(format!("v-{field}-hint"));
                            p class="hint" id=(format!("v-{field}-hint")) { (hint) }
                            @if let Some(problem) = problem { p class="error" { (problem.message) } }
                        }
                    }
                    div class="field" {
                        label for="v-place" { "Place" }
                        select id="v-place" name="place" {
                            option value="" { "in version order" }
                            @for patch in patches {
                                @let version = text(patch.get("version"));
                                option value=(format!("before:{version}")) { "before " (version) }
                                option value=(format!("after:{version}")) { "after " (version) }
                            }
                        }
                    }
                }
                div class="field" {
                    label for="v-json" { "Or paste the patch (JSON)" }
                    textarea id="v-json" name="json" { (value("json")) }
                }
                button type="submit" { "Add version" }
            }
        }
    }
}

/// The patch the form describes: pasted JSON as it is, else the newest patch with the form's
/// fields in place of its own.
fn patch_of(form: &UiForm, newest: Option<&Value>) -> Vec<u8> {
    let pasted = form.text("json").trim();
    if !pasted.is_empty() {
        return pasted.as_bytes().to_vec();
    }
    let version = form.text("version").trim();
    let mut patch = newest
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let old = patch
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut patch = Value::Object(std::mem::take(&mut patch));
    if !old.is_empty() {
        replace_strings(&mut patch, &old, version);
    }
    let Value::Object(mut patch) = patch else {
        return Vec::new();
    };
    patch.insert("version".to_owned(), Value::String(version.to_owned()));
    for (field, _, _) in &VERSION_FIELDS[1..] {
        let entered = form.text(field).trim();
        if entered.is_empty() {
            continue;
        }
        let value = match (*field, entered) {
            ("reboot", "true") => Value::Bool(true),
            ("reboot", "false") => Value::Bool(false),
            _ => Value::String(entered.to_owned()),
        };
        patch.insert((*field).to_owned(), value);
    }
    serde_json::to_vec(&Value::Object(patch)).unwrap_or_default()
}

/// Every string equal to `old` in `value` becomes `new` (the version in components' criteria).
fn replace_strings(value: &mut Value, old: &str, new: &str) {
    match value {
        Value::String(text) if text == old => *text = new.to_owned(),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_strings(item, old, new)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_strings(item, old, new)),
        _ => {}
    }
}

async fn add_version(Path(id): Path<String>, form: UiForm) -> Result<Response, Refused> {
    let path = format!("/api/v1/title/{}", encode(&id));
    let definition = form.ui.get(&path).await?;
    let newest = definition.pointer("/patches/0");
    let body = patch_of(&form, newest);
    let place = form.text("place");
    let query = match place.split_once(':') {
        Some(("before", version)) => format!("?before={}", encode(version)),
        Some(("after", version)) => format!("?after={}", encode(version)),
        _ => String::new(),
    };
    let answer = form
        .ui
        .call(
            Method::POST,
            &format!("{path}/version{query}"),
            Some(("application/json", body)),
        )
        .await;
    if answer.ok() {
        return Ok(Redirect::to(&format!("/ui/titles/{}", encode(&id))).into_response());
    }
    let mut entered = Map::new();
    for key in [
        "version",
        "releaseDate",
        "minimumOperatingSystem",
        "reboot",
        "json",
    ] {
        entered.insert(key.to_owned(), Value::String(form.text(key).to_owned()));
    }
    title_page(&form.ui, &id, Some(&answer), &entered).await
}

async fn title_action(
    Path((id, action)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let path = format!("/api/v1/title/{}", encode(&id));
    let (method, uri) = match action.as_str() {
        "enable" => (Method::POST, format!("{path}/enable")),
        "disable" => (Method::POST, format!("{path}/disable")),
        "unpin" => (Method::DELETE, format!("{path}/current-version")),
        "delete" => (Method::DELETE, path.clone()),
        _ => return Ok(layout::refusal(StatusCode::NOT_FOUND, "No such action.")),
    };
    let answer = form.ui.call(method, &uri, None).await;
    if !answer.ok() {
        return title_page(&form.ui, &id, Some(&answer), &Map::new()).await;
    }
    let to = if action == "delete" {
        "/ui/titles".to_owned()
    } else {
        format!("/ui/titles/{}", encode(&id))
    };
    Ok(Redirect::to(&to).into_response())
}

async fn version_action(
    Path((id, version, action)): Path<(String, String, String)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let path = format!("/api/v1/title/{}", encode(&id));
    let one = format!("{path}/version/{}", encode(&version));
    let answer = match action.as_str() {
        "enable" => {
            form.ui
                .call(Method::POST, &format!("{one}/enable"), None)
                .await
        }
        "disable" => {
            form.ui
                .call(Method::POST, &format!("{one}/disable"), None)
                .await
        }
        "delete" => form.ui.call(Method::DELETE, &one, None).await,
        "pin" => {
            let mut body = Map::new();
            body.insert("version".to_owned(), Value::String(version.clone()));
            form.ui
                .send_json(
                    Method::PUT,
                    &format!("{path}/current-version"),
                    &Value::Object(body),
                )
                .await
        }
        _ => return Ok(layout::refusal(StatusCode::NOT_FOUND, "No such action.")),
    };
    if !answer.ok() {
        return title_page(&form.ui, &id, Some(&answer), &Map::new()).await;
    }
    Ok(Redirect::to(&format!("/ui/titles/{}", encode(&id))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_patch_has_the_old_version_replaced_everywhere() {
        let mut patch: Value = serde_json::from_str(
            r#"{"version": "1.0", "components": [{"version": "1.0", "criteria": [{"value": "1.0"}, {"value": "x"}]}]}"#,
        )
        .expect("json");
        replace_strings(&mut patch, "1.0", "1.1");
        assert_eq!(
            patch.pointer("/components/0/criteria/0/value"),
            Some(&Value::from("1.1"))
        );
        assert_eq!(
            patch.pointer("/components/0/criteria/1/value"),
            Some(&Value::from("x"))
        );
        assert_eq!(patch.pointer("/version"), Some(&Value::from("1.1")));
    }
}
