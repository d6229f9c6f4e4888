//! The admin API for titles (`/api/v1/title…`), through the real server: authentication, the
//! error shape and status codes PatchServer's tooling relies on, the version lifecycle, and what
//! Jamf Pro is served after each change. The helpers are here; the tests are in the modules below,
//! one per area.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    AppOptions, TestApp, TestBackend, content_type, fixture, json_body, spawn_app, spawn_app_with,
};

const JAMF_ADMIN: &str = "titles/JamfAdmin.json";
const JAVA: &str = "titles/JavaSEDevelopmentKit8.json";
const VERSION_10_3_0: &str = "versions/JamfAdmin-10.3.0.json";

mod authentication_and_creation;
mod read_replace_delete;
mod routing_and_concurrency;
mod states;
mod versions;

// ---------------------------------------------------------------------------------------------
// Helpers

/// A started server with the JamfAdmin fixture stored (versions 10.2.0, 10.1.1, 10.1.0).
async fn app_with_jamf_admin(backend: TestBackend) -> TestApp {
    let app = spawn_app(backend).await;
    let response = app.create_title(&fixture(JAMF_ADMIN)).await;
    assert_eq!(response.status(), 201, "{backend:?} POST {JAMF_ADMIN}");
    app
}

/// Sends an authenticated request without a body.
async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.admin(method.clone(), path)
        .send()
        .await
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
}

/// Sends an authenticated request with a JSON body.
async fn send_json(app: &TestApp, method: Method, path: &str, body: &[u8]) -> reqwest::Response {
    app.admin(method.clone(), path)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
}

/// `POST /api/v1/title/JamfAdmin/version{query}` with one version object.
async fn add_version(app: &TestApp, query: &str, body: &[u8]) -> reqwest::Response {
    send_json(
        app,
        Method::POST,
        &format!("/api/v1/title/JamfAdmin/version{query}"),
        body,
    )
    .await
}

/// The JamfAdmin 10.3.0 version fixture, renumbered.
fn version(number: &str) -> Vec<u8> {
    let mut patch: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
    patch["version"] = json!(number);
    patch["components"][0]["version"] = json!(number);
    patch["components"][0]["criteria"][1]["value"] = json!(number);
    serde_json::to_vec(&patch).unwrap()
}

/// Asserts an error answer: its status, JSON content type and the documented shape.
async fn expect_error(response: reqwest::Response, status: u16, what: &str) -> Value {
    let actual = response.status().as_u16();
    let content_type = content_type(&response);
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "{what}: body {text}");
    assert!(
        content_type.starts_with("application/json"),
        "{what}: error answered as {content_type:?}: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{what}: invalid JSON ({error}): {text}"));
    assert_eq!(body["status"], status, "{what}: {body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|error| !error.is_empty()),
        "{what}: {body}"
    );
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{what}: {body}"
    );
    body
}

/// The `errors[].pointer` values of an error body, in order.
fn pointers(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["pointer"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// What the admin list says about one title.
async fn status_of(app: &TestApp, id: &str) -> Value {
    let list = json_body(send(app, Method::GET, "/api/v1/title").await).await;
    list.as_array()
        .expect("the title list is an array")
        .iter()
        .find(|title| title["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not in the admin list: {list}"))
}

/// What Jamf Pro is served for a title: `Some(full object)` or `None` when 404.
async fn served(app: &TestApp, id: &str) -> Option<Value> {
    let response = app.get(&format!("/v1/patch/{id}")).await;
    match response.status().as_u16() {
        200 => Some(json_body(response).await),
        404 => None,
        other => panic!("GET /v1/patch/{id} answered {other}"),
    }
}

/// The versions Jamf Pro is served for a title, in served order.
async fn served_versions(app: &TestApp, id: &str) -> Vec<String> {
    let title = served(app, id)
        .await
        .unwrap_or_else(|| panic!("{id} is not served"));
    versions_of(&title["patches"])
}

fn versions_of(patches: &Value) -> Vec<String> {
    patches
        .as_array()
        .expect("patches is an array")
        .iter()
        .map(|patch| patch["version"].as_str().expect("version").to_owned())
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item.as_str().expect("a string").to_owned())
        .collect()
}

/// The `/v1/software` summary of a title, or `None` when it is not listed.
async fn summary(app: &TestApp, id: &str) -> Option<Value> {
    let software = json_body(app.get("/v1/software").await).await;
    software
        .as_array()
        .expect("/software is an array")
        .iter()
        .find(|entry| entry["id"] == id)
        .cloned()
}

/// Asserts that every view agrees on a title's `currentVersion`.
async fn assert_current_version_everywhere(app: &TestApp, id: &str, expected: &str, what: &str) {
    let feed = served(app, id)
        .await
        .unwrap_or_else(|| panic!("{what}: {id} is not served"));
    assert_eq!(feed["currentVersion"], expected, "{what}: /v1/patch/{id}");
    let listed = summary(app, id)
        .await
        .unwrap_or_else(|| panic!("{what}: {id} is not in /v1/software"));
    assert_eq!(listed["currentVersion"], expected, "{what}: /v1/software");
    let by_id = json_body(app.get(&format!("/jamf/v1/software/{id}")).await).await;
    assert_eq!(
        by_id[0]["currentVersion"], expected,
        "{what}: /software/{id}"
    );
    assert_eq!(
        status_of(app, id).await["currentVersion"],
        expected,
        "{what}: admin list"
    );
    let definition = json_body(send(app, Method::GET, &format!("/api/v1/title/{id}")).await).await;
    assert_eq!(
        definition["currentVersion"], expected,
        "{what}: admin definition"
    );
}

/// The `Allow` header of a response ("" when absent).
fn allow_header(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("allow")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

fn etag(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("etag")
        .expect("an ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The title's admin-side lastModified, revision, and the `/v1/software` ETag.
async fn fingerprint(app: &TestApp, id: &str) -> (Value, Value, String) {
    let status = status_of(app, id).await;
    let software = app.get("/v1/software").await;
    (
        status["lastModified"].clone(),
        status["revision"].clone(),
        etag(&software),
    )
}
