//! `/ui/catalog/{platform}`: the OS release catalog of macOS or iOS. Releases with builds,
//! dates, expiry, CVEs and actively exploited badges and their blocks; importing a feed from a
//! file, pasted, or from an `https://` URL (fetched by the server, then sent to the import
//! route like a file); blocking, unblocking and deleting a version. Every change is previewed
//! first ([`crate::ui::preview`]): an import's feed is read once and carried to the confirmation.

use axum::extract::Path;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::html;
use serde_json::{Map, Value};

use crate::http::AppState;
use crate::http::roles::Verb;
use crate::os_updates::feed_fetch;
use crate::ui::api::{Answer, Refused, Ui, encode};
use crate::ui::form::UiForm;
use crate::ui::layout::{self, Section, action_button, csrf, problems_summary, text};
use crate::ui::overview::PLATFORMS;
use crate::ui::preview::{self, Step, Write};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/ui/catalog",
            get(|| async { Redirect::to("/ui/catalog/macOS") }),
        )
        .route("/ui/catalog/{platform}", get(page))
        .route("/ui/catalog/{platform}/import", post(import))
        .route("/ui/catalog/{platform}/{version}/block", post(block))
        .route("/ui/catalog/{platform}/{version}/unblock", post(unblock))
        .route("/ui/catalog/{platform}/{version}/delete", post(delete))
}

fn platform_of(platform: &str) -> Option<&'static str> {
    PLATFORMS.iter().copied().find(|known| *known == platform)
}

async fn page(
    Extension(ui): Extension<Ui>,
    Path(platform): Path<String>,
) -> Result<Response, Refused> {
    catalog_page(&ui, &platform, None, None).await
}

async fn catalog_page(
    ui: &Ui,
    platform: &str,
    refused: Option<&Answer>,
    notice: Option<String>,
) -> Result<Response, Refused> {
    let Some(platform) = platform_of(platform) else {
        return Ok(layout::refusal(
            StatusCode::NOT_FOUND,
            "The platforms are macOS and iOS.",
        ));
    };
    let catalog = ui.get(&format!("/api/v1/catalog/{platform}")).await?;
    let releases = catalog
        .get("releases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let import = ui.can(Verb::Post, "/api/v1/catalog/import");
    let block = ui.can(Verb::Post, "/api/v1/catalog/{platform}/{version}/block");
    let delete = ui.can(Verb::Delete, "/api/v1/catalog/{platform}/{version}");
    let body = html! {
        h1 { (platform) " releases" }
        nav aria-label="Platforms" class="actions" {
            @for other in PLATFORMS {
                a href=(format!("/ui/catalog/{other}")) aria-current=[(other == platform).then_some("page")] { (other) }
            }
        }
        @if let Some(notice) = &notice { p class="notice" role="status" { (notice) } }
        @if let Some(answer) = refused { (problems_summary(Some(&answer.message()), &answer.problems())) }
        section {
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { "Version" } th scope="col" { "Build" } th scope="col" { "Kind" }
                        th scope="col" { "Released" } th scope="col" { "Expires" } th scope="col" { "CVEs" }
                        th scope="col" { "Blocked" }
                        @if block { th scope="col" { "Actions" } }
                    } }
                    tbody {
                        @for release in releases {
                            @let version = text(release.get("version"));
                            @let exploited = release.pointer("/security/activelyExploitedCount").and_then(Value::as_u64).unwrap_or(0);
                            @let blocked = release.get("blocked").filter(|value| !value.is_null());
                            tr {
                                td { (version) }
                                td { (text(release.get("build"))) }
                                td { (text(release.get("kind"))) }
                                td { (text(release.get("releasedOn"))) }
                                td { (text(release.get("expiresOn"))) }
                                td {
                                    (text(release.pointer("/security/cveCount")))
                                    @if exploited > 0 { " " span class="badge bad" { (exploited) " actively exploited" } }
                                }
                                td { @if let Some(blocked) = blocked { (layout::badge("blocked")) " " (text(blocked.get("reason"))) } @else { "—" } }
                                @if block {
                                    td {
                                        @let base = format!("/ui/catalog/{platform}/{}", encode(&version));
                                        @if blocked.is_some() {
                                            (action_button(ui, &format!("{base}/unblock"), "Unblock", "secondary"))
                                            @if delete { (action_button(ui, &format!("{base}/delete"), "Delete", "danger")) }
                                        } @else {
                                            form class="inline" method="post" action=(format!("{base}/block")) {
                                                (csrf(ui))
                                                label for=(format!("reason-{version}")) class="muted" { "Reason " }
                                                input id=(format!("reason-{version}")) name="reason" type="text" required size="16";
                                                " "
                                                button type="submit" class="danger" { "Block" }
                                            }
                                            @if delete { (action_button(ui, &format!("{base}/delete"), "Delete", "danger")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if releases.is_empty() { p { "No release yet." } }
        }
        @if import {
            section aria-labelledby="import" {
                h2 id="import" { "Import a feed" }
                p class="muted" { "Apple's gdmf feed or a SOFA feed (v1, v2, DMS); the kind is found from its keys." }
                form method="post" action=(format!("/ui/catalog/{platform}/import")) enctype="multipart/form-data" {
                    (csrf(ui))
                    div class="field" {
                        label for="feed-file" { "Feed file" }
                        input id="feed-file" name="file" type="file" accept="application/json,.json";
                    }
                    div class="field" {
                        label for="feed-url" { "Or a feed URL" }
                        input id="feed-url" name="url" type="url" placeholder="https://…";
                    }
                    div class="field" {
                        label for="feed-json" { "Or paste the feed" }
                        textarea id="feed-json" name="json" {}
                    }
                    button type="submit" { "Import" }
                }
            }
        }
    };
    let mut response = layout::page(ui, Section::Catalog, &format!("{platform} catalog"), body);
    if let Some(answer) = refused {
        *response.status_mut() = answer.status;
    }
    Ok(response)
}

async fn import(Path(platform): Path<String>, form: UiForm) -> Result<Response, Refused> {
    let url = form.text("url").trim().to_owned();
    let body = if let Some(bytes) = form.fields.file("file") {
        bytes.to_vec()
    } else if !url.is_empty() {
        // Only a URL, never a path on the server, and only for a session the API lets import.
        if !feed_fetch::is_url(&url) || !form.ui.can(Verb::Post, "/api/v1/catalog/import") {
            return Ok(layout::refusal(
                StatusCode::BAD_REQUEST,
                "The feed URL must begin http:// or https://.",
            ));
        }
        match feed_fetch::read_source(&url).await {
            Ok(bytes) => bytes,
            Err(why) => {
                return Ok(layout::refusal(
                    StatusCode::BAD_GATEWAY,
                    &format!("The feed could not be fetched: {why}"),
                ));
            }
        }
    } else {
        form.text("json").as_bytes().to_vec()
    };
    let carried = vec![(
        "json".to_owned(),
        String::from_utf8_lossy(&body).into_owned(),
    )];
    let mut write = Write::new(
        Method::POST,
        "/api/v1/catalog/import".to_owned(),
        "/api/v1/catalog/import",
    )
    .shown(
        "import the feed",
        format!("/ui/catalog/{}", encode(&platform)),
        Section::Catalog,
    );
    write.body = Some(("application/json", body));
    write.carry = Some(carried);
    match preview::submit(&form, write).await {
        Step::Preview(page) => Ok(page),
        Step::Written(answer) => {
            let notice = format!("Imported: {}", summary(&answer.body));
            catalog_page(&form.ui, &platform, None, Some(notice)).await
        }
        Step::Refused(answer) => catalog_page(&form.ui, &platform, Some(&answer), None).await,
    }
}

/// An import report in words: each number it holds, by its key.
fn summary(report: &Value) -> String {
    let Some(object) = report.as_object() else {
        return "done".to_owned();
    };
    let parts: Vec<String> = object
        .iter()
        .filter_map(|(key, value)| match value {
            Value::Number(number) => Some(format!("{key} {number}")),
            Value::String(text) => Some(format!("{key} {text}")),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "done".to_owned()
    } else {
        parts.join(", ")
    }
}

/// A release's change, previewed first; back to the catalog once written.
async fn release_change(form: &UiForm, platform: &str, write: Write) -> Result<Response, Refused> {
    match preview::submit(form, write).await {
        Step::Preview(page) => Ok(page),
        Step::Written(_) => {
            Ok(Redirect::to(&format!("/ui/catalog/{}", encode(platform))).into_response())
        }
        Step::Refused(answer) => catalog_page(&form.ui, platform, Some(&answer), None).await,
    }
}

fn release_write(
    method: Method,
    platform: &str,
    version: &str,
    action: &str,
    route: &'static str,
) -> Write {
    let suffix = if action.is_empty() {
        String::new()
    } else {
        format!("/{action}")
    };
    let verb = if action.is_empty() { "delete" } else { action };
    Write::new(
        method,
        format!(
            "/api/v1/catalog/{}/{}{suffix}",
            encode(platform),
            encode(version)
        ),
        route,
    )
    .shown(
        format!("{verb} {platform} {version}"),
        format!("/ui/catalog/{}", encode(platform)),
        Section::Catalog,
    )
}

async fn block(
    Path((platform, version)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let mut body = Map::new();
    body.insert(
        "reason".to_owned(),
        Value::String(form.text("reason").to_owned()),
    );
    let write = release_write(
        Method::POST,
        &platform,
        &version,
        "block",
        "/api/v1/catalog/{platform}/{version}/block",
    )
    .json(&Value::Object(body));
    release_change(&form, &platform, write).await
}

async fn unblock(
    Path((platform, version)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let write = release_write(
        Method::POST,
        &platform,
        &version,
        "unblock",
        "/api/v1/catalog/{platform}/{version}/unblock",
    );
    release_change(&form, &platform, write).await
}

async fn delete(
    Path((platform, version)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, Refused> {
    let write = release_write(
        Method::DELETE,
        &platform,
        &version,
        "",
        "/api/v1/catalog/{platform}/{version}",
    );
    release_change(&form, &platform, write).await
}
