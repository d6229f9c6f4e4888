//! The admin API for titles (`/api/v1/title…`), through the real server: authentication, the
//! error shape and status codes PatchServer's tooling relies on, the version lifecycle, and what
//! Jamf Pro is served after each change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    AppOptions, TestApp, TestBackend, backends, fixture, json_body, spawn_app, spawn_app_with,
};

const JAMF_ADMIN: &str = "titles/JamfAdmin.json";
const JAVA: &str = "titles/JavaSEDevelopmentKit8.json";
const VERSION_10_3_0: &str = "versions/JamfAdmin-10.3.0.json";

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
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
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

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test]
async fn every_admin_route_refuses_a_missing_wrong_or_non_bearer_token_with_401() {
    let routes: [(Method, &str); 16] = [
        (Method::GET, "/api/v1/title"),
        (Method::POST, "/api/v1/title"),
        (Method::GET, "/api/v1/title/JamfAdmin"),
        (Method::PUT, "/api/v1/title/JamfAdmin"),
        (Method::DELETE, "/api/v1/title/JamfAdmin"),
        (Method::POST, "/api/v1/title/JamfAdmin/enable"),
        (Method::POST, "/api/v1/title/JamfAdmin/disable"),
        (Method::PUT, "/api/v1/title/JamfAdmin/current-version"),
        (Method::DELETE, "/api/v1/title/JamfAdmin/current-version"),
        (Method::POST, "/api/v1/title/JamfAdmin/version"),
        (Method::GET, "/api/v1/title/JamfAdmin/version/10.2.0"),
        (Method::DELETE, "/api/v1/title/JamfAdmin/version/10.2.0"),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/enable",
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/disable",
        ),
        (Method::GET, "/api/v1/backup"),
        (Method::POST, "/api/v1/restore"),
    ];
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let credentials = [
            None,
            Some("Bearer not-the-token".to_owned()),
            Some(format!("Bearer {}x", app.token)),
            Some(format!("Basic {}", app.token)),
            Some(format!("Token {}", app.token)),
            Some(app.token.clone()),
            Some("Bearer".to_owned()),
            Some("Bearer ".to_owned()),
        ];
        for (method, path) in &routes {
            for credential in &credentials {
                let mut request = app
                    .client
                    .request(method.clone(), app.url(path))
                    .header("content-type", "application/json")
                    .body(fixture(VERSION_10_3_0));
                if let Some(credential) = credential {
                    request = request.header("authorization", credential);
                }
                let response = request.send().await.unwrap();
                let what = format!("{backend:?} {method} {path} with {credential:?}");
                let challenge = response
                    .headers()
                    .get("www-authenticate")
                    .map(|value| value.to_str().unwrap().to_owned());
                expect_error(response, 401, &what).await;
                assert!(
                    challenge
                        .as_deref()
                        .is_some_and(|value| value.starts_with("Bearer")),
                    "{what}: WWW-Authenticate is {challenge:?}"
                );
            }
        }
        // Nothing refused changed anything.
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Creating titles

#[tokio::test]
async fn creating_a_title_answers_201_with_its_location_and_serves_it() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app.create_title(&fixture(JAMF_ADMIN)).await;
        assert_eq!(response.status(), 201, "{backend:?}");
        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().unwrap().to_owned());
        assert_eq!(location.as_deref(), Some("/api/v1/title/JamfAdmin"));
        let created = json_body(response).await;
        assert_eq!(created["id"], "JamfAdmin");
        assert_eq!(created["currentVersion"], "10.2.0");
        assert_eq!(created["enabled"], true);
        assert_eq!(created["served"], true);

        let read = send(&app, Method::GET, location.as_deref().unwrap()).await;
        assert_eq!(read.status(), 200, "{backend:?}: the Location can be read");
        assert_eq!(json_body(read).await["id"], "JamfAdmin");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn creating_a_title_whose_id_exists_is_refused_with_409_and_keeps_the_original() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let mut other: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        other["name"] = json!("Someone Else's Jamf Admin");
        let response = app.create_title(&serde_json::to_vec(&other).unwrap()).await;
        let body = expect_error(response, 409, &format!("{backend:?} duplicate")).await;
        assert!(
            body["message"].as_str().unwrap().contains("JamfAdmin"),
            "{backend:?}: {body}"
        );
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        assert_eq!(
            served(&app, "JamfAdmin").await.unwrap()["name"],
            "Jamf Admin"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_invalid_definition_is_refused_with_a_pointer_for_every_error() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app
            .create_title(&fixture("titles/invalid/StringBooleans.json"))
            .await;
        let body = expect_error(response, 400, &format!("{backend:?} StringBooleans")).await;
        let mut found = pointers(&body);
        found.sort_unstable();
        let mut expected = vec![
            "/requirements/0/and",
            "/patches/0/components/0/criteria/1/and",
            "/patches/0/capabilities/0/type",
            "/patches/1/components/0/criteria/0/and",
            "/patches/1/components/0/criteria/1/name",
            "/patches/2/version",
            "/patches/2/capabilities/0/and",
            "/extensionAttributes/0/value",
        ];
        expected.sort_unstable();
        assert_eq!(found, expected, "{backend:?}: {body:#}");
        assert_eq!(
            body["message"], "the document has 8 errors",
            "{backend:?}: {body}"
        );
        for error in body["errors"].as_array().unwrap() {
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|message| !message.is_empty()),
                "{backend:?}: {error}"
            );
        }
        let and = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|error| error["pointer"] == "/requirements/0/and")
            .unwrap();
        assert!(
            and["message"].as_str().unwrap().contains("boolean"),
            "{backend:?}: {and}"
        );
        // Nothing was stored.
        expect_error(
            send(&app, Method::GET, "/api/v1/title/StringBooleans").await,
            404,
            &format!("{backend:?} GET after refusal"),
        )
        .await;
        assert!(summary(&app, "StringBooleans").await.is_none());
        app.stop().await;
    }
}

#[tokio::test]
async fn malformed_json_is_refused_with_its_line_and_column() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = app
            .create_title(b"{\n  \"id\": \"Broken\",\n  \"name\": \n}")
            .await;
        let body = expect_error(response, 400, &format!("{backend:?} malformed")).await;
        assert_eq!(pointers(&body), [""], "{backend:?}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("line 4") && message.contains("column"),
            "{backend:?}: {message}"
        );

        // The same for a version body.
        assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
        let body = expect_error(
            add_version(&app, "", b"{\"version\": \"10.3.0\",").await,
            400,
            &format!("{backend:?} malformed version"),
        )
        .await;
        assert_eq!(pointers(&body), [""], "{backend:?}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("line 1") && message.contains("column"),
            "{backend:?}: {message}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_declared_as_json_is_refused_with_415() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let cases = [
            (Method::POST, "/api/v1/title", fixture(JAVA)),
            (Method::PUT, "/api/v1/title/JamfAdmin", fixture(JAMF_ADMIN)),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version",
                fixture(VERSION_10_3_0),
            ),
        ];
        for (method, path, body) in cases {
            for content_type in [Some("text/plain"), Some("application/xml"), None] {
                let mut request = app.admin(method.clone(), path).body(body.clone());
                if let Some(content_type) = content_type {
                    request = request.header("content-type", content_type);
                }
                let response = request.send().await.unwrap();
                let what = format!("{backend:?} {method} {path} as {content_type:?}");
                let error = expect_error(response, 415, &what).await;
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap()
                        .contains("application/json"),
                    "{what}: {error}"
                );
            }
        }
        // Nothing was written.
        assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_none());
        // A JSON type with parameters, or a +json type, is JSON.
        for content_type in [
            "application/json; charset=utf-8",
            "application/vnd.jamf.patch+json",
        ] {
            let response = app
                .admin(Method::POST, "/api/v1/title")
                .header("content-type", content_type)
                .body(fixture(JAVA))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            assert!(
                status == 201 || status == 409,
                "{backend:?} POST as {content_type}: {status}"
            );
        }
        assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_some());
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_refused_with_413() {
    for backend in backends() {
        let mut options = AppOptions::default();
        options.http.max_body_bytes = 4096;
        let app = spawn_app_with(backend, options).await;
        // The pretty fixture (5 KB) is over the limit; the same title minified (2.4 KB) is not.
        let pretty = fixture(JAMF_ADMIN);
        assert!(pretty.len() > 4096);
        let response = app.create_title(&pretty).await;
        let body = expect_error(response, 413, &format!("{backend:?} oversized POST")).await;
        assert!(
            body["message"].as_str().unwrap().contains("4096"),
            "{backend:?}: the message names the limit: {body}"
        );
        assert!(summary(&app, "JamfAdmin").await.is_none());

        let value: Value = serde_json::from_slice(&pretty).unwrap();
        let minified = serde_json::to_vec(&value).unwrap();
        assert!(minified.len() < 4096);
        assert_eq!(
            app.create_title(&minified).await.status(),
            201,
            "{backend:?}"
        );

        // Over the limit on the other JSON routes too, multipart included.
        let padded: Vec<u8> = [minified.clone(), vec![b' '; 4096]].concat();
        let response = send_json(&app, Method::PUT, "/api/v1/title/JamfAdmin", &padded).await;
        expect_error(response, 413, &format!("{backend:?} oversized PUT")).await;
        let padded_version: Vec<u8> = [fixture(VERSION_10_3_0), vec![b' '; 4096]].concat();
        let response = add_version(&app, "", &padded_version).await;
        expect_error(response, 413, &format!("{backend:?} oversized version")).await;
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(padded.clone()).file_name("JamfAdmin.json"),
        );
        let response = app
            .admin(Method::PUT, "/api/v1/title/JamfAdmin")
            .multipart(form)
            .send()
            .await
            .unwrap();
        expect_error(response, 413, &format!("{backend:?} oversized multipart")).await;

        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}: refused bodies changed nothing"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_definition_uploaded_as_a_multipart_file_is_accepted() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let form = reqwest::multipart::Form::new()
            .text("note", "PatchServer's upload form sends a file part")
            .part(
                "file",
                reqwest::multipart::Part::bytes(fixture(JAVA))
                    .file_name("JavaSEDevelopmentKit8.json")
                    .mime_str("application/json")
                    .unwrap(),
            );
        let response = app
            .admin(Method::POST, "/api/v1/title")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{backend:?}");
        assert_eq!(
            served(&app, "JavaSEDevelopmentKit8").await.unwrap()["currentVersion"],
            "1.8.162"
        );

        // A multipart upload without a `file` part says what is missing.
        let form = reqwest::multipart::Form::new().part(
            "definition",
            reqwest::multipart::Part::bytes(fixture(JAMF_ADMIN)).file_name("JamfAdmin.json"),
        );
        let response = app
            .admin(Method::POST, "/api/v1/title")
            .multipart(form)
            .send()
            .await
            .unwrap();
        let body = expect_error(response, 400, &format!("{backend:?} no file part")).await;
        assert_eq!(
            body["errors"][0]["parameter"], "file",
            "{backend:?}: {body}"
        );
        assert!(summary(&app, "JamfAdmin").await.is_none());
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Reading, replacing and deleting titles

#[tokio::test]
async fn listing_titles_shows_each_with_its_state_sorted_by_id() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
        assert_eq!(list, json!([]), "{backend:?}: empty at first");

        for title in [JAVA, JAMF_ADMIN] {
            assert_eq!(app.create_title(&fixture(title)).await.status(), 201);
        }
        let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|title| title["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["JamfAdmin", "JavaSEDevelopmentKit8"], "{backend:?}");
        let jamf = &list[0];
        assert_eq!(jamf["name"], "Jamf Admin");
        assert_eq!(jamf["publisher"], "Jamf");
        assert_eq!(jamf["currentVersion"], "10.2.0");
        assert_eq!(jamf["enabled"], true);
        assert_eq!(jamf["served"], true);
        assert_eq!(strings(&jamf["versions"]), ["10.2.0", "10.1.1", "10.1.0"]);
        assert_eq!(jamf["disabledVersions"], json!([]));
        assert!(jamf["revision"].is_i64(), "{backend:?}: {jamf}");
        assert_eq!(
            jamf["lastModified"],
            summary(&app, "JamfAdmin").await.unwrap()["lastModified"],
            "{backend:?}: the admin list and the feed agree on lastModified"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn reading_a_title_returns_its_full_definition_with_an_etag() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.0/disable"
            )
            .await
            .status(),
            200
        );
        let response = send(&app, Method::GET, "/api/v1/title/JamfAdmin").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let revision = status_of(&app, "JamfAdmin").await["revision"].clone();
        assert_eq!(
            etag(&response),
            format!("\"{revision}\""),
            "{backend:?}: ETag is the revision"
        );
        let definition = json_body(response).await;
        let submitted: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        assert_eq!(
            versions_of(&definition["patches"]),
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}: disabled versions are in the admin definition"
        );
        for key in [
            "name",
            "publisher",
            "appName",
            "bundleId",
            "requirements",
            "id",
        ] {
            assert_eq!(definition[key], submitted[key], "{backend:?}: {key}");
        }
        assert_eq!(
            definition["patches"][0], submitted["patches"][0],
            "{backend:?}"
        );

        for path in ["/api/v1/title/Missing", "/api/v1/title/no%20such%20id"] {
            expect_error(
                send(&app, Method::GET, path).await,
                404,
                &format!("{backend:?} GET {path}"),
            )
            .await;
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn replacing_a_title_serves_the_new_definition() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let mut definition: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        definition["name"] = json!("Jamf Admin (renamed)");
        definition["patches"].as_array_mut().unwrap().remove(0);
        definition["currentVersion"] = json!("10.1.1");
        let response = send_json(
            &app,
            Method::PUT,
            "/api/v1/title/JamfAdmin",
            &serde_json::to_vec(&definition).unwrap(),
        )
        .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let new_etag = etag(&response);
        let status = json_body(response).await;
        assert_eq!(new_etag, format!("\"{}\"", status["revision"]));
        assert_ne!(status["revision"], before["revision"], "{backend:?}");
        assert_eq!(status["name"], "Jamf Admin (renamed)");
        assert_eq!(status["currentVersion"], "10.1.1");

        let feed = served(&app, "JamfAdmin").await.unwrap();
        assert_eq!(feed["name"], "Jamf Admin (renamed)", "{backend:?}");
        assert_eq!(versions_of(&feed["patches"]), ["10.1.1", "10.1.0"]);
        assert_eq!(feed["currentVersion"], "10.1.1");
        let listed = summary(&app, "JamfAdmin").await.unwrap();
        assert_eq!(listed["name"], "Jamf Admin (renamed)");
        assert!(
            listed["lastModified"].as_str() > before["lastModified"].as_str(),
            "{backend:?}: lastModified moved"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn replacing_with_another_id_in_the_body_is_refused_with_pointer_id() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let mut definition: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        definition["id"] = json!("JamfAdmin2");
        let response = send_json(
            &app,
            Method::PUT,
            "/api/v1/title/JamfAdmin",
            &serde_json::to_vec(&definition).unwrap(),
        )
        .await;
        let body = expect_error(response, 400, &format!("{backend:?} id mismatch")).await;
        assert_eq!(pointers(&body), ["/id"], "{backend:?}: {body}");
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "{backend:?}: no new title"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn replacing_an_unknown_title_is_404_and_creates_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let response = send_json(
            &app,
            Method::PUT,
            "/api/v1/title/JamfAdmin",
            &fixture(JAMF_ADMIN),
        )
        .await;
        expect_error(response, 404, &format!("{backend:?} PUT unknown")).await;
        let list = json_body(send(&app, Method::GET, "/api/v1/title").await).await;
        assert_eq!(list, json!([]), "{backend:?}");
        assert!(served(&app, "JamfAdmin").await.is_none());
        app.stop().await;
    }
}

#[tokio::test]
async fn deleting_a_title_answers_204_then_404_and_stops_serving_it() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = send(&app, Method::DELETE, "/api/v1/title/JamfAdmin").await;
        assert_eq!(response.status(), 204, "{backend:?}");
        assert!(response.bytes().await.unwrap().is_empty());
        assert!(served(&app, "JamfAdmin").await.is_none(), "{backend:?}");
        assert!(summary(&app, "JamfAdmin").await.is_none(), "{backend:?}");
        expect_error(
            send(&app, Method::GET, "/api/v1/title/JamfAdmin").await,
            404,
            &format!("{backend:?} GET deleted"),
        )
        .await;
        expect_error(
            send(&app, Method::DELETE, "/api/v1/title/JamfAdmin").await,
            404,
            &format!("{backend:?} DELETE again"),
        )
        .await;
        // The id is free again.
        assert_eq!(app.create_title(&fixture(JAMF_ADMIN)).await.status(), 201);
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Optimistic concurrency

#[tokio::test]
async fn a_write_with_a_stale_if_match_is_refused_with_412_and_changes_nothing() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let stale = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
        assert!(
            stale.starts_with('"')
                && stale.ends_with('"')
                && stale[1..stale.len() - 1].parse::<i64>().is_ok(),
            "{backend:?}: ETag {stale:?} is not \"N\""
        );
        // Someone else changes the title.
        let changed = send(
            &app,
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.1.0/disable",
        )
        .await;
        assert_eq!(changed.status(), 200);
        let current = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
        assert_ne!(current, stale, "{backend:?}: a write changes the ETag");
        let before = status_of(&app, "JamfAdmin").await;

        let mut renamed: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        renamed["name"] = json!("Renamed");
        let renamed = serde_json::to_vec(&renamed).unwrap();
        let put = app
            .admin(Method::PUT, "/api/v1/title/JamfAdmin")
            .header("content-type", "application/json")
            .header("if-match", &stale)
            .body(renamed.clone())
            .send()
            .await
            .unwrap();
        expect_error(put, 412, &format!("{backend:?} stale PUT")).await;
        for path in [
            "/api/v1/title/JamfAdmin",
            "/api/v1/title/JamfAdmin/version/10.1.1",
        ] {
            let delete = app
                .admin(Method::DELETE, path)
                .header("if-match", &stale)
                .send()
                .await
                .unwrap();
            expect_error(delete, 412, &format!("{backend:?} stale DELETE {path}")).await;
        }
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        assert_eq!(
            served(&app, "JamfAdmin").await.unwrap()["name"],
            "Jamf Admin"
        );

        // With the current tag, each succeeds.
        let put = app
            .admin(Method::PUT, "/api/v1/title/JamfAdmin")
            .header("content-type", "application/json")
            .header("if-match", &current)
            .body(renamed)
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200, "{backend:?} PUT with the current ETag");
        let current = etag(&put);
        assert_eq!(served(&app, "JamfAdmin").await.unwrap()["name"], "Renamed");
        let delete = app
            .admin(Method::DELETE, "/api/v1/title/JamfAdmin/version/10.1.1")
            .header("if-match", &current)
            .send()
            .await
            .unwrap();
        assert_eq!(
            delete.status(),
            204,
            "{backend:?} DELETE version with the current ETag"
        );
        let current = etag(&send(&app, Method::GET, "/api/v1/title/JamfAdmin").await);
        let delete = app
            .admin(Method::DELETE, "/api/v1/title/JamfAdmin")
            .header("if-match", &current)
            .send()
            .await
            .unwrap();
        assert_eq!(
            delete.status(),
            204,
            "{backend:?} DELETE with the current ETag"
        );
        assert!(served(&app, "JamfAdmin").await.is_none());
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Versions

#[tokio::test]
async fn adding_a_newer_version_answers_201_and_makes_it_current_everywhere() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = add_version(&app, "", &fixture(VERSION_10_3_0)).await;
        assert_eq!(response.status(), 201, "{backend:?}");
        let status = json_body(response).await;
        assert_eq!(status["currentVersion"], "10.3.0");
        assert_eq!(
            strings(&status["versions"]),
            ["10.3.0", "10.2.0", "10.1.1", "10.1.0"]
        );
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.3.0", "10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}"
        );
        assert_current_version_everywhere(&app, "JamfAdmin", "10.3.0", &format!("{backend:?}"))
            .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn adding_an_existing_version_is_refused_with_409_wherever_it_would_go() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        assert_eq!(
            add_version(&app, "", &fixture(VERSION_10_3_0))
                .await
                .status(),
            201
        );
        let before = status_of(&app, "JamfAdmin").await;
        // AutoPkg's NotifyPatchServer posts the same version again and reads 409 as "already there".
        for query in ["", "?after=10.1.0", "?before=10.2.0"] {
            let body = expect_error(
                add_version(&app, query, &fixture(VERSION_10_3_0)).await,
                409,
                &format!("{backend:?} duplicate 10.3.0 {query}"),
            )
            .await;
            assert!(
                body["message"].as_str().unwrap().contains("10.3.0"),
                "{backend:?}: {body}"
            );
        }
        expect_error(
            add_version(&app, "", &version("10.1.1")).await,
            409,
            &format!("{backend:?} duplicate 10.1.1"),
        )
        .await;
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_older_version_without_a_position_is_inserted_in_version_order() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = add_version(&app, "", &version("10.1.5")).await;
        assert_eq!(response.status(), 201, "{backend:?}");
        let status = status_of(&app, "JamfAdmin").await;
        assert_eq!(
            status["versions"],
            json!(["10.2.0", "10.1.5", "10.1.1", "10.1.0"]),
            "{backend:?}: {status}"
        );
        assert_eq!(status["currentVersion"], "10.2.0", "{backend:?}: {status}");

        let body = expect_error(
            add_version(&app, "", &version("10.02.0")).await,
            400,
            &format!("{backend:?} tie 10.02.0"),
        )
        .await;
        assert_eq!(
            body["errors"][0]["pointer"], "/version",
            "{backend:?}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("10.2.0")
                && message.contains("?after=")
                && message.contains("?before="),
            "{backend:?}: the reason and both ways to place it: {message}"
        );
        assert_eq!(status_of(&app, "JamfAdmin").await, status, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn after_and_before_insert_a_version_at_that_position() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let steps = [
            (
                "?after=10.2.0",
                "10.1.5",
                vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0"],
            ),
            (
                "?before=10.1.0",
                "10.1.0.1",
                vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0.1", "10.1.0"],
            ),
            (
                "?after=10.1.0",
                "9.99",
                vec!["10.2.0", "10.1.5", "10.1.1", "10.1.0.1", "10.1.0", "9.99"],
            ),
        ];
        for (query, number, expected) in steps {
            let response = add_version(&app, query, &version(number)).await;
            assert_eq!(response.status(), 201, "{backend:?} {query} {number}");
            let status = json_body(response).await;
            assert_eq!(
                strings(&status["versions"]),
                expected,
                "{backend:?} admin {query}"
            );
            assert_eq!(
                served_versions(&app, "JamfAdmin").await,
                expected,
                "{backend:?} served after {query}"
            );
            assert_current_version_everywhere(
                &app,
                "JamfAdmin",
                "10.2.0",
                &format!("{backend:?} {query}"),
            )
            .await;
        }
        // Placed above the top, by the curator's choice, it becomes current even if not "newer".
        let response = add_version(&app, "?before=10.2.0", &version("10.2.0 (hotfix)")).await;
        assert_eq!(response.status(), 201, "{backend:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await[..2],
            ["10.2.0 (hotfix)", "10.2.0"]
        );
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.2.0 (hotfix)",
            &format!("{backend:?}"),
        )
        .await;
        // Versions with spaces and parentheses work as path segments and anchors, exactly.
        let read = send(
            &app,
            Method::GET,
            "/api/v1/title/JamfAdmin/version/10.2.0%20(hotfix)",
        )
        .await;
        assert_eq!(read.status(), 200, "{backend:?}");
        assert_eq!(json_body(read).await["version"], "10.2.0 (hotfix)");
        let response = add_version(
            &app,
            "?after=10.2.0%20(hotfix)",
            &version("10.2.0 (hotfix 2)"),
        )
        .await;
        assert_eq!(response.status(), 201, "{backend:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await[..3],
            ["10.2.0 (hotfix)", "10.2.0 (hotfix 2)", "10.2.0"],
            "{backend:?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn giving_both_after_and_before_is_refused_naming_the_parameter() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let body = expect_error(
            add_version(&app, "?after=10.1.1&before=10.2.0", &version("10.1.5")).await,
            400,
            &format!("{backend:?} both"),
        )
        .await;
        let parameter = body["errors"][0]["parameter"].as_str();
        assert!(
            matches!(parameter, Some("after" | "before")),
            "{backend:?}: errors[0].parameter names after or before: {body}"
        );
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_anchor_version_that_does_not_exist_is_refused_naming_the_parameter() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        // "10.2" is not "10.2.0": versions are matched exactly.
        for (parameter, anchor) in [("after", "9.9.9"), ("before", "9.9.9"), ("after", "10.2")] {
            let body = expect_error(
                add_version(&app, &format!("?{parameter}={anchor}"), &version("10.1.5")).await,
                400,
                &format!("{backend:?} ?{parameter}={anchor}"),
            )
            .await;
            assert_eq!(
                body["errors"][0]["parameter"], parameter,
                "{backend:?}: {body}"
            );
            assert!(
                body["message"].as_str().unwrap().contains(anchor),
                "{backend:?}: {body}"
            );
        }
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_version_naming_an_unknown_extension_attribute_is_refused_with_its_pointer() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let before = status_of(&app, "JamfAdmin").await;
        let mut patch: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
        patch["components"][0]["criteria"][1] = json!({
            "name": "jamf-patch-JamfAdmin",
            "operator": "is",
            "value": "10.3.0",
            "type": "extensionAttribute"
        });
        let body = expect_error(
            add_version(&app, "", &serde_json::to_vec(&patch).unwrap()).await,
            400,
            &format!("{backend:?} unknown EA"),
        )
        .await;
        assert_eq!(
            pointers(&body),
            ["/components/0/criteria/1/name"],
            "{backend:?}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("jamf-patch-JamfAdmin"),
            "{backend:?}: {body}"
        );
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_invalid_version_object_is_refused_with_every_error_pointer() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let mut patch: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
        patch.as_object_mut().unwrap().remove("releaseDate");
        patch["reboot"] = json!("false");
        let body = expect_error(
            add_version(&app, "", &serde_json::to_vec(&patch).unwrap()).await,
            400,
            &format!("{backend:?} invalid version"),
        )
        .await;
        let mut found = pointers(&body);
        found.sort_unstable();
        assert_eq!(found, ["/reboot", "/releaseDate"], "{backend:?}: {body}");

        // And to a title that does not exist: 404.
        let response = send_json(
            &app,
            Method::POST,
            "/api/v1/title/Missing/version",
            &fixture(VERSION_10_3_0),
        )
        .await;
        expect_error(
            response,
            404,
            &format!("{backend:?} version of unknown title"),
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn reading_one_version_returns_it_as_submitted() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        assert_eq!(
            add_version(&app, "", &fixture(VERSION_10_3_0))
                .await
                .status(),
            201
        );
        let response = send(&app, Method::GET, "/api/v1/title/JamfAdmin/version/10.3.0").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let read = json_body(response).await;
        let submitted: Value = serde_json::from_slice(&fixture(VERSION_10_3_0)).unwrap();
        assert_eq!(read, submitted, "{backend:?}");

        // A disabled version can still be read by admins.
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.0/disable"
            )
            .await
            .status(),
            200
        );
        let disabled = send(&app, Method::GET, "/api/v1/title/JamfAdmin/version/10.1.0").await;
        assert_eq!(disabled.status(), 200, "{backend:?}");
        assert_eq!(json_body(disabled).await["version"], "10.1.0");

        for path in [
            "/api/v1/title/JamfAdmin/version/10.3",
            "/api/v1/title/JamfAdmin/version/9.9.9",
            "/api/v1/title/Missing/version/10.3.0",
        ] {
            expect_error(
                send(&app, Method::GET, path).await,
                404,
                &format!("{backend:?} GET {path}"),
            )
            .await;
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn deleting_a_version_answers_204_and_stops_serving_it() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = send(
            &app,
            Method::DELETE,
            "/api/v1/title/JamfAdmin/version/10.2.0",
        )
        .await;
        assert_eq!(response.status(), 204, "{backend:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.1.1", "10.1.0"],
            "{backend:?}"
        );
        assert_current_version_everywhere(&app, "JamfAdmin", "10.1.1", &format!("{backend:?}"))
            .await;
        for path in [
            "/api/v1/title/JamfAdmin/version/10.2.0",
            "/api/v1/title/JamfAdmin/version/1.0",
            "/api/v1/title/Missing/version/10.1.1",
        ] {
            expect_error(
                send(&app, Method::DELETE, path).await,
                404,
                &format!("{backend:?} DELETE {path}"),
            )
            .await;
        }
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_pinned_version_can_be_neither_deleted_nor_disabled() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = send_json(
            &app,
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
            br#"{"version": "10.1.1"}"#,
        )
        .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let before = status_of(&app, "JamfAdmin").await;
        let body = expect_error(
            send(
                &app,
                Method::DELETE,
                "/api/v1/title/JamfAdmin/version/10.1.1",
            )
            .await,
            409,
            &format!("{backend:?} delete pinned"),
        )
        .await;
        assert!(
            body["message"].as_str().unwrap().contains("pinned"),
            "{body}"
        );
        expect_error(
            send(
                &app,
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.1/disable",
            )
            .await,
            409,
            &format!("{backend:?} disable pinned"),
        )
        .await;
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Enabling, disabling and pinning

#[tokio::test]
async fn a_disabled_title_is_not_served_but_stays_in_the_admin_list() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        assert_eq!(app.create_title(&fixture(JAVA)).await.status(), 201);
        let response = send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let status = json_body(response).await;
        assert_eq!(status["enabled"], false);
        assert_eq!(status["served"], false);

        assert!(
            summary(&app, "JamfAdmin").await.is_none(),
            "{backend:?}: still in /software"
        );
        assert!(summary(&app, "JavaSEDevelopmentKit8").await.is_some());
        for base in ["/v1", "/jamf/v1"] {
            let response = app.get(&format!("{base}/patch/JamfAdmin")).await;
            let body = expect_error(response, 404, &format!("{backend:?} {base}/patch")).await;
            assert_eq!(body["message"], "Not Found");
            let by_id = json_body(app.get(&format!("{base}/software/JamfAdmin")).await).await;
            assert_eq!(by_id, json!([]), "{backend:?} {base}/software/JamfAdmin");
        }
        let listed = status_of(&app, "JamfAdmin").await;
        assert_eq!(listed["served"], false, "{backend:?}");
        assert_eq!(listed["enabled"], false, "{backend:?}");
        assert_eq!(
            send(&app, Method::GET, "/api/v1/title/JamfAdmin")
                .await
                .status(),
            200,
            "{backend:?}: admins still read it"
        );

        let response = send(&app, Method::POST, "/api/v1/title/JamfAdmin/enable").await;
        assert_eq!(response.status(), 200, "{backend:?}");
        assert_eq!(json_body(response).await["served"], true);
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}"
        );
        for path in [
            "/api/v1/title/Missing/enable",
            "/api/v1/title/Missing/disable",
        ] {
            expect_error(
                send(&app, Method::POST, path).await,
                404,
                &format!("{backend:?} {path}"),
            )
            .await;
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_disabled_version_is_not_served_and_current_version_moves_to_the_next() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = send(
            &app,
            Method::POST,
            "/api/v1/title/JamfAdmin/version/10.2.0/disable",
        )
        .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let status = json_body(response).await;
        assert_eq!(strings(&status["disabledVersions"]), ["10.2.0"]);
        assert_eq!(
            strings(&status["versions"]),
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}: still stored"
        );
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.1.1", "10.1.0"],
            "{backend:?}"
        );
        assert_current_version_everywhere(&app, "JamfAdmin", "10.1.1", &format!("{backend:?}"))
            .await;
        let definition = json_body(send(&app, Method::GET, "/api/v1/title/JamfAdmin").await).await;
        assert_eq!(
            versions_of(&definition["patches"]),
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}: the admin definition keeps disabled versions"
        );

        // Every version disabled: the title is not served at all.
        for number in ["10.1.1", "10.1.0"] {
            let path = format!("/api/v1/title/JamfAdmin/version/{number}/disable");
            assert_eq!(send(&app, Method::POST, &path).await.status(), 200);
        }
        assert!(served(&app, "JamfAdmin").await.is_none(), "{backend:?}");
        assert!(summary(&app, "JamfAdmin").await.is_none(), "{backend:?}");
        assert_eq!(status_of(&app, "JamfAdmin").await["served"], false);

        for number in ["10.1.0", "10.2.0"] {
            let path = format!("/api/v1/title/JamfAdmin/version/{number}/enable");
            assert_eq!(send(&app, Method::POST, &path).await.status(), 200);
        }
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.0"],
            "{backend:?}"
        );
        assert_current_version_everywhere(&app, "JamfAdmin", "10.2.0", &format!("{backend:?}"))
            .await;
        for path in [
            "/api/v1/title/JamfAdmin/version/9.9.9/disable",
            "/api/v1/title/JamfAdmin/version/9.9.9/enable",
        ] {
            expect_error(
                send(&app, Method::POST, path).await,
                404,
                &format!("{backend:?} {path}"),
            )
            .await;
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn pinning_a_version_makes_it_current_everywhere_until_unpinned() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let response = send_json(
            &app,
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version",
            br#"{"version": "10.1.1"}"#,
        )
        .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let status = json_body(response).await;
        assert_eq!(status["pinnedVersion"], "10.1.1");
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.1.1",
            &format!("{backend:?} pinned"),
        )
        .await;
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"],
            "{backend:?}: pinning does not reorder or hide patches"
        );
        // A newer version added on top does not move the pin.
        assert_eq!(
            add_version(&app, "", &fixture(VERSION_10_3_0))
                .await
                .status(),
            201
        );
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.1.1",
            &format!("{backend:?} pinned + new"),
        )
        .await;

        let response = send(
            &app,
            Method::DELETE,
            "/api/v1/title/JamfAdmin/current-version",
        )
        .await;
        assert_eq!(response.status(), 200, "{backend:?}");
        let status = json_body(response).await;
        assert!(
            status.get("pinnedVersion").is_none_or(Value::is_null),
            "{status}"
        );
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.3.0",
            &format!("{backend:?} unpinned"),
        )
        .await;

        // Unpinned with the top version disabled: the first enabled one.
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.3.0/disable"
            )
            .await
            .status(),
            200
        );
        assert_current_version_everywhere(
            &app,
            "JamfAdmin",
            "10.2.0",
            &format!("{backend:?} top disabled"),
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn pinning_a_disabled_unknown_or_missing_version_is_refused() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.0/disable"
            )
            .await
            .status(),
            200
        );
        let before = status_of(&app, "JamfAdmin").await;
        let path = "/api/v1/title/JamfAdmin/current-version";

        let body = expect_error(
            send_json(&app, Method::PUT, path, br#"{"version": "10.1.0"}"#).await,
            400,
            &format!("{backend:?} pin disabled"),
        )
        .await;
        assert!(
            body["message"].as_str().unwrap().contains("disabled"),
            "{body}"
        );
        expect_error(
            send_json(&app, Method::PUT, path, br#"{"version": "9.9.9"}"#).await,
            404,
            &format!("{backend:?} pin unknown"),
        )
        .await;
        for (body, what) in [
            (&br#"{}"#[..], "missing"),
            (br#"{"version": 10}"#, "number"),
        ] {
            let error = expect_error(
                send_json(&app, Method::PUT, path, body).await,
                400,
                &format!("{backend:?} pin body {what}"),
            )
            .await;
            assert_eq!(pointers(&error), ["/version"], "{backend:?}: {error}");
        }
        expect_error(
            send_json(
                &app,
                Method::PUT,
                "/api/v1/title/Missing/current-version",
                br#"{"version": "1"}"#,
            )
            .await,
            404,
            &format!("{backend:?} pin on unknown title"),
        )
        .await;
        assert_eq!(status_of(&app, "JamfAdmin").await, before, "{backend:?}");
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// lastModified

#[tokio::test]
async fn last_modified_moves_forward_with_every_change() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let mut previous = status_of(&app, "JamfAdmin").await["lastModified"]
            .as_str()
            .unwrap()
            .to_owned();
        let pin = br#"{"version": "10.1.1"}"#;
        let mut renamed: Value = serde_json::from_slice(&fixture(JAMF_ADMIN)).unwrap();
        renamed["name"] = json!("Jamf Admin (renamed)");
        let renamed = serde_json::to_vec(&renamed).unwrap();
        let version_10_3_0 = fixture(VERSION_10_3_0);
        let version_10_1_5 = version("10.1.5");
        let changes: Vec<(Method, &str, Option<&[u8]>)> = vec![
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version",
                Some(&version_10_3_0),
            ),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version?after=10.2.0",
                Some(&version_10_1_5),
            ),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.5/disable",
                None,
            ),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.5/enable",
                None,
            ),
            (
                Method::PUT,
                "/api/v1/title/JamfAdmin/current-version",
                Some(pin),
            ),
            (
                Method::DELETE,
                "/api/v1/title/JamfAdmin/current-version",
                None,
            ),
            (
                Method::DELETE,
                "/api/v1/title/JamfAdmin/version/10.1.5",
                None,
            ),
            (Method::PUT, "/api/v1/title/JamfAdmin", Some(&renamed)),
            (Method::POST, "/api/v1/title/JamfAdmin/disable", None),
            (Method::POST, "/api/v1/title/JamfAdmin/enable", None),
        ];
        for (method, path, body) in changes {
            let response = match body {
                Some(body) => send_json(&app, method.clone(), path, body).await,
                None => send(&app, method.clone(), path).await,
            };
            let what = format!("{backend:?} {method} {path}");
            assert!(
                response.status().is_success(),
                "{what}: {}",
                response.status()
            );
            let current = status_of(&app, "JamfAdmin").await["lastModified"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                current > previous,
                "{what}: lastModified {previous} → {current}"
            );
            if let Some(listed) = summary(&app, "JamfAdmin").await {
                assert_eq!(
                    listed["lastModified"],
                    current.as_str(),
                    "{what}: /software"
                );
                assert_eq!(
                    served(&app, "JamfAdmin").await.unwrap()["lastModified"],
                    current.as_str(),
                    "{what}: /patch"
                );
            }
            previous = current;
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn last_modified_and_etags_stay_put_after_a_no_op() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        // Set up a state with a disabled version and a pin (real changes).
        for (method, path, body) in [
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.0/disable",
                None,
            ),
            (
                Method::PUT,
                "/api/v1/title/JamfAdmin/current-version",
                Some(&br#"{"version": "10.1.1"}"#[..]),
            ),
        ] {
            let response = match body {
                Some(body) => send_json(&app, method, path, body).await,
                None => send(&app, method, path).await,
            };
            assert_eq!(response.status(), 200, "{backend:?} {path}");
        }
        let settled = fingerprint(&app, "JamfAdmin").await;
        let patch_etag = etag(&app.get("/v1/patch/JamfAdmin").await);

        let pin = br#"{"version": "10.1.1"}"#;
        let same_definition = fixture(JAMF_ADMIN);
        let no_ops: Vec<(Method, &str, Option<&[u8]>)> = vec![
            (Method::POST, "/api/v1/title/JamfAdmin/enable", None),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.1.0/disable",
                None,
            ),
            (
                Method::POST,
                "/api/v1/title/JamfAdmin/version/10.2.0/enable",
                None,
            ),
            (
                Method::PUT,
                "/api/v1/title/JamfAdmin/current-version",
                Some(pin),
            ),
            (
                Method::PUT,
                "/api/v1/title/JamfAdmin",
                Some(&same_definition),
            ),
        ];
        for (method, path, body) in no_ops {
            let response = match body {
                Some(body) => send_json(&app, method.clone(), path, body).await,
                None => send(&app, method.clone(), path).await,
            };
            let what = format!("{backend:?} {method} {path}");
            assert_eq!(response.status(), 200, "{what}");
            assert_eq!(
                fingerprint(&app, "JamfAdmin").await,
                settled,
                "{what} changed the title"
            );
            assert_eq!(
                etag(&app.get("/v1/patch/JamfAdmin").await),
                patch_etag,
                "{what} changed the served title"
            );
        }

        // Unpinning twice: the second is a no-op.
        assert_eq!(
            send(
                &app,
                Method::DELETE,
                "/api/v1/title/JamfAdmin/current-version"
            )
            .await
            .status(),
            200
        );
        let unpinned = fingerprint(&app, "JamfAdmin").await;
        assert_ne!(unpinned, settled, "{backend:?}: unpinning is a change");
        assert_eq!(
            send(
                &app,
                Method::DELETE,
                "/api/v1/title/JamfAdmin/current-version"
            )
            .await
            .status(),
            200
        );
        assert_eq!(
            fingerprint(&app, "JamfAdmin").await,
            unpinned,
            "{backend:?}: second unpin"
        );

        // Disabling a disabled title twice: the second is a no-op.
        assert_eq!(
            send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable")
                .await
                .status(),
            200
        );
        let disabled = status_of(&app, "JamfAdmin").await;
        assert_eq!(
            send(&app, Method::POST, "/api/v1/title/JamfAdmin/disable")
                .await
                .status(),
            200
        );
        assert_eq!(
            status_of(&app, "JamfAdmin").await,
            disabled,
            "{backend:?}: second disable"
        );
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Routing errors

#[tokio::test]
async fn an_unsupported_method_on_a_known_path_is_a_json_405() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        let admin_cases = [
            (Method::PATCH, "/api/v1/title/JamfAdmin"),
            (Method::DELETE, "/api/v1/title"),
            (Method::GET, "/api/v1/title/JamfAdmin/enable"),
            (Method::PUT, "/api/v1/title/JamfAdmin/version"),
            (Method::POST, "/api/v1/backup"),
        ];
        for (method, path) in admin_cases {
            let response = send(&app, method.clone(), path).await;
            let allow = allow_header(&response);
            let what = format!("{backend:?} {method} {path}");
            expect_error(response, 405, &what).await;
            assert!(
                !allow.is_empty(),
                "{what}: a 405 must list the allowed methods in Allow"
            );
        }
        for (method, path) in [
            (Method::POST, "/v1/software"),
            (Method::DELETE, "/v1/patch/JamfAdmin"),
            (Method::PUT, "/jamf/v1/software/JamfAdmin"),
        ] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            let allow = allow_header(&response);
            let what = format!("{backend:?} {method} {path}");
            expect_error(response, 405, &what).await;
            assert!(allow.contains("GET"), "{what}: Allow is {allow:?}");
        }
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            ["10.2.0", "10.1.1", "10.1.0"]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    for backend in backends() {
        let app = app_with_jamf_admin(backend).await;
        for path in [
            "/api/v1/titles",
            "/api/v1/title/",
            "/api/v1/title/JamfAdmin/",
            "/api/v1/title/JamfAdmin/versions",
            "/api/v2/title",
            "/v2/software",
            "/nope",
        ] {
            let body = expect_error(
                send(&app, Method::GET, path).await,
                404,
                &format!("{backend:?} GET {path}"),
            )
            .await;
            assert_eq!(body["status"], 404);
        }
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrent admins

#[tokio::test]
async fn concurrent_admins_adding_versions_lose_no_write() {
    const ANCHORS: [&str; 3] = ["10.2.0", "10.1.1", "10.1.0"];
    for backend in backends() {
        let app = std::sync::Arc::new(app_with_jamf_admin(backend).await);
        let tasks: Vec<_> = (0..20)
            .map(|index| {
                let app = app.clone();
                tokio::spawn(async move {
                    let anchor = ANCHORS[index % ANCHORS.len()];
                    let number = format!("{anchor}-build{index}");
                    let response =
                        add_version(&app, &format!("?after={anchor}"), &version(&number)).await;
                    let status = response.status();
                    let text = response.text().await.unwrap_or_default();
                    (anchor, number, status, text)
                })
            })
            .collect();
        let results = futures::future::join_all(tasks).await;
        let mut added = Vec::new();
        for result in results {
            let (anchor, number, status, text) = result.expect("task");
            // Regression: a retry limit on lost optimistic races once answered 409 ("being
            // changed by others too often") here, which AutoPkg reads as "already there".
            assert_eq!(status, 201, "{backend:?} {number} after {anchor}: {text}");
            added.push((anchor, number));
        }

        let status = status_of(&app, "JamfAdmin").await;
        let stored = strings(&status["versions"]);
        assert_eq!(stored.len(), 23, "{backend:?}: {stored:?}");
        assert_eq!(
            served_versions(&app, "JamfAdmin").await,
            stored,
            "{backend:?}"
        );
        // The originals keep their order, and each new version sits between its anchor and the
        // original that followed it.
        let originals: Vec<&String> = stored
            .iter()
            .filter(|v| ANCHORS.contains(&v.as_str()))
            .collect();
        assert_eq!(originals, ANCHORS, "{backend:?}");
        for (anchor, number) in added {
            let at = stored
                .iter()
                .position(|v| *v == number)
                .unwrap_or_else(|| panic!("{backend:?}: {number} is missing from {stored:?}"));
            let owner = stored[..at]
                .iter()
                .rev()
                .find(|v| ANCHORS.contains(&v.as_str()))
                .unwrap();
            assert_eq!(
                owner, anchor,
                "{backend:?}: {number} is not after {anchor}: {stored:?}"
            );
        }
        assert_eq!(status["currentVersion"], "10.2.0");
        let app = std::sync::Arc::try_unwrap(app).expect("no task holds the app");
        app.stop().await;
    }
}
