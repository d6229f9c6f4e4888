//! `GET /api/v1/backup` and `POST /api/v1/restore`: PatchServer's zip layout plus ringmaster's
//! state file, faithful round trips into a fresh server (disabled titles and versions, pins),
//! all-or-nothing restores (409 over existing titles unless `?replace=true`, 400 naming the file
//! and pointer of any invalid definition); upload forms and PatchServer's own zips are in
//! [`crate::backup_uploads`]. These use the
//! titles-only backup (`?scope=titles`); `backup_full.rs` covers the full one.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use reqwest::Method;
use serde_json::{Value, json};

use crate::meaning::error_pointers;
use crate::support::{TestApp, TestBackend, fixture, json_body, spawn_app};

pub(crate) const JAMF_ADMIN: &str = "titles/JamfAdmin.json";
pub(crate) const JAVA: &str = "titles/JavaSEDevelopmentKit8.json";
const STRING_BOOLEANS: &str = "titles/invalid/StringBooleans.json";

pub(crate) fn fixture_json(relative: &str) -> Value {
    serde_json::from_slice(&fixture(relative)).expect("fixture JSON")
}

/// JamfAdmin under another id and name (a third title to disable).
fn jamf_admin_copy(id: &str) -> Value {
    let mut copy = fixture_json(JAMF_ADMIN);
    copy["id"] = Value::String(id.into());
    copy["name"] = Value::String(format!("{id} (copy)"));
    copy
}

pub(crate) async fn create(app: &TestApp, definition: &Value) {
    let response = app
        .create_title(&serde_json::to_vec(definition).unwrap())
        .await;
    assert_eq!(response.status(), 201, "create {}", definition["id"]);
}

async fn admin_ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) {
    let mut request = app.admin(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "{path}: {status} {}",
        response.text().await.unwrap()
    );
}

pub(crate) async fn backup(app: &TestApp) -> Vec<u8> {
    let response = app
        .admin(Method::GET, "/api/v1/backup?scope=titles")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/zip",
        "the backup is a zip"
    );
    response.bytes().await.unwrap().to_vec()
}

pub(crate) async fn restore(app: &TestApp, query: &str, zip: Vec<u8>) -> reqwest::Response {
    app.admin(Method::POST, &format!("/api/v1/restore{query}"))
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .unwrap()
}

/// The entries of a zip, by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        if entry.is_dir() {
            continue;
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        entries.insert(entry.name().to_owned(), content);
    }
    entries
}

/// A zip of the given entries (a trailing `/` makes a directory entry).
pub(crate) fn make_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        if name.ends_with('/') {
            writer.add_directory(*name, options).unwrap();
        } else {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// Everything a server serves and says about its titles, `lastModified` and revisions left out.
pub(crate) async fn snapshot(app: &TestApp) -> Value {
    let strip = |value: &mut Value, keys: &[&str]| {
        if let Some(object) = value.as_object_mut() {
            for key in keys {
                object.shift_remove(*key);
            }
        }
    };
    let mut software = json_body(app.get("/v1/software").await).await;
    for summary in software.as_array_mut().unwrap() {
        strip(summary, &["lastModified"]);
    }
    let mut titles = json_body(
        app.admin(Method::GET, "/api/v1/title")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut feeds = serde_json::Map::new();
    let mut definitions = serde_json::Map::new();
    for title in titles.as_array_mut().unwrap() {
        strip(title, &["lastModified", "revision"]);
        let id = title["id"].as_str().unwrap().to_owned();
        let feed = app.get(&format!("/v1/patch/{id}")).await;
        let mut feed = if feed.status() == 404 {
            json!("not served")
        } else {
            json_body(feed).await
        };
        strip(&mut feed, &["lastModified"]);
        feeds.insert(id.clone(), feed);
        let mut definition = json_body(
            app.admin(Method::GET, &format!("/api/v1/title/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        strip(&mut definition, &["lastModified"]);
        definitions.insert(id, definition);
    }
    json!({"software": software, "titles": titles, "feeds": feeds, "definitions": definitions})
}

/// `/v1/software` exactly as served (lastModified included): for "nothing changed" checks.
pub(crate) async fn software(app: &TestApp) -> Value {
    json_body(app.get("/v1/software").await).await
}

on_each_backend!(a_backup_restores_into_a_fresh_server_with_its_state);
async fn a_backup_restores_into_a_fresh_server_with_its_state(backend: TestBackend) {
    let source = spawn_app(backend).await;
    create(&source, &fixture_json(JAMF_ADMIN)).await;
    create(&source, &fixture_json(JAVA)).await;
    create(&source, &jamf_admin_copy("JamfAdminDisabled")).await;
    let java_versions: Vec<String> = fixture_json(JAVA)["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|patch| patch["version"].as_str().unwrap().to_owned())
        .collect();
    admin_ok(
        &source,
        Method::POST,
        "/api/v1/title/JamfAdmin/version/10.1.1/disable",
        None,
    )
    .await;
    admin_ok(
        &source,
        Method::PUT,
        "/api/v1/title/JavaSEDevelopmentKit8/current-version",
        Some(json!({"version": java_versions[2]})),
    )
    .await;
    admin_ok(
        &source,
        Method::POST,
        &format!(
            "/api/v1/title/JavaSEDevelopmentKit8/version/{}/disable",
            java_versions[0]
        ),
        None,
    )
    .await;
    admin_ok(
        &source,
        Method::POST,
        "/api/v1/title/JamfAdminDisabled/disable",
        None,
    )
    .await;

    let unauthenticated = source
        .client
        .get(source.url("/api/v1/backup"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401, "{backend:?}");
    let response = source
        .admin(Method::GET, "/api/v1/backup?scope=titles")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{backend:?}");
    assert_eq!(
        response.headers()["content-type"],
        "application/zip",
        "{backend:?}"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".zip"),
        "{backend:?}: {disposition}"
    );
    let zip = response.bytes().await.unwrap().to_vec();

    let entries = unzip(&zip);
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "patch_archive/JamfAdmin.json",
            "patch_archive/JamfAdminDisabled.json",
            "patch_archive/JavaSEDevelopmentKit8.json",
            "ringmaster/state.json",
        ],
        "{backend:?}"
    );
    for id in ["JamfAdmin", "JamfAdminDisabled", "JavaSEDevelopmentKit8"] {
        let archived: Value =
            serde_json::from_slice(&entries[&format!("patch_archive/{id}.json")]).unwrap();
        let definition = json_body(
            source
                .admin(Method::GET, &format!("/api/v1/title/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            archived, definition,
            "{backend:?} {id}: the archive holds the full definition"
        );
    }
    let state: Value = serde_json::from_slice(&entries["ringmaster/state.json"]).unwrap();
    assert!(state.to_string().contains("10.1.1"), "{backend:?}: {state}");

    let before = snapshot(&source).await;
    assert_eq!(
        before["feeds"]["JamfAdminDisabled"], "not served",
        "{backend:?}"
    );

    let target = spawn_app(backend).await;
    let response = restore(&target, "", zip).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let report = json_body(response).await;
    let mut created: Vec<&str> = report["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    created.sort();
    assert_eq!(
        created,
        ["JamfAdmin", "JamfAdminDisabled", "JavaSEDevelopmentKit8"],
        "{backend:?}"
    );
    assert_eq!(report["replaced"], json!([]), "{backend:?}");
    assert_eq!(snapshot(&target).await, before, "{backend:?}");
    source.stop().await;
    target.stop().await;
}

on_each_backend!(restoring_over_existing_titles_conflicts_unless_replace);
async fn restoring_over_existing_titles_conflicts_unless_replace(backend: TestBackend) {
    let app = spawn_app(backend).await;
    create(&app, &fixture_json(JAMF_ADMIN)).await;
    create(&app, &fixture_json(JAVA)).await;
    let zip = backup(&app).await;
    let original = snapshot(&app).await;

    // Change both titles after the backup.
    admin_ok(
        &app,
        Method::POST,
        "/api/v1/title/JamfAdmin/version/10.2.0/disable",
        None,
    )
    .await;
    admin_ok(
        &app,
        Method::POST,
        "/api/v1/title/JavaSEDevelopmentKit8/disable",
        None,
    )
    .await;
    let changed = snapshot(&app).await;
    let changed_software = software(&app).await;

    let response = restore(&app, "", zip.clone()).await;
    assert_eq!(response.status(), 409, "{backend:?}");
    let body = json_body(response).await;
    let message = body["message"].as_str().unwrap();
    for id in ["JamfAdmin", "JavaSEDevelopmentKit8"] {
        assert!(message.contains(id), "{backend:?}: names {id}: {message}");
    }
    assert_eq!(
        snapshot(&app).await,
        changed,
        "{backend:?}: nothing changed"
    );
    assert_eq!(software(&app).await, changed_software, "{backend:?}");

    let response = restore(&app, "?replace=true", zip).await;
    assert_eq!(
        response.status(),
        200,
        "{backend:?}: nothing new was created"
    );
    let report = json_body(response).await;
    assert_eq!(report["created"], json!([]), "{backend:?}");
    assert_eq!(
        report["replaced"].as_array().unwrap().len(),
        2,
        "{backend:?}"
    );
    assert_eq!(
        snapshot(&app).await,
        original,
        "{backend:?}: the backup's state is back"
    );
    app.stop().await;
}

on_each_backend!(a_replacing_restore_moves_last_modified_forward_only_for_titles_it_changes);
async fn a_replacing_restore_moves_last_modified_forward_only_for_titles_it_changes(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    create(&app, &fixture_json(JAMF_ADMIN)).await;
    let zip = backup(&app).await;
    let mut previous = software(&app).await[0]["lastModified"].clone();
    // Three rounds in quick succession: at least one lands in the second of the previous write.
    for round in 1..=3 {
        // A change after the backup, so restoring the backup changes the title back.
        admin_ok(&app, Method::POST, "/api/v1/title/JamfAdmin/disable", None).await;
        let changed = software(&app).await;
        let response = restore(&app, "?replace=true", zip.clone()).await;
        assert_eq!(response.status(), 200, "{backend:?} round {round}");
        let current = software(&app).await[0]["lastModified"].clone();
        assert!(
            current.as_str() > previous.as_str(),
            "{backend:?} round {round}: lastModified moves forward ({previous} -> {current}; \
             after the change {changed})"
        );
        previous = current;
    }
    // The same backup once more: the title is restored exactly as it is stored, so Jamf Pro
    // must not see a change.
    let response = restore(&app, "?replace=true", zip.clone()).await;
    assert_eq!(response.status(), 200, "{backend:?}");
    assert_eq!(
        software(&app).await[0]["lastModified"],
        previous,
        "{backend:?}: an unchanged title keeps its lastModified"
    );
    app.stop().await;
}

on_each_backend!(a_partial_conflict_restores_nothing);
async fn a_partial_conflict_restores_nothing(backend: TestBackend) {
    let source = spawn_app(backend).await;
    create(&source, &fixture_json(JAMF_ADMIN)).await;
    create(&source, &fixture_json(JAVA)).await;
    let zip = backup(&source).await;
    source.stop().await;

    let target = spawn_app(backend).await;
    create(&target, &fixture_json(JAMF_ADMIN)).await;
    let before = software(&target).await;
    let response = restore(&target, "", zip).await;
    assert_eq!(response.status(), 409, "{backend:?}");
    let message = json_body(response).await["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("JamfAdmin"), "{backend:?}: {message}");
    assert!(
        !message.contains("JavaSEDevelopmentKit8"),
        "{backend:?}: only existing titles are named: {message}"
    );
    assert_eq!(
        software(&target).await,
        before,
        "{backend:?}: JavaSEDevelopmentKit8 was not created"
    );
    target.stop().await;
}

on_each_backend!(a_zip_with_one_invalid_definition_restores_nothing);
async fn a_zip_with_one_invalid_definition_restores_nothing(backend: TestBackend) {
    let zip = make_zip(&[
        ("patch_archive/JamfAdmin.json", fixture(JAMF_ADMIN)),
        (
            "patch_archive/StringBooleans.json",
            fixture(STRING_BOOLEANS),
        ),
        ("patch_archive/JavaSEDevelopmentKit8.json", fixture(JAVA)),
    ]);
    let app = spawn_app(backend).await;
    create(&app, &jamf_admin_copy("AlreadyHere")).await;
    let before = software(&app).await;

    let response = restore(&app, "?replace=true", zip.clone()).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    let errors = body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{backend:?}: {body}");
    for error in errors {
        assert_eq!(
            error["file"], "patch_archive/StringBooleans.json",
            "{backend:?}: only the invalid file is named: {body}"
        );
        assert!(error["message"].is_string(), "{backend:?}: {error}");
    }
    assert!(
        error_pointers(&body).contains(&"/patches/0/components/0/criteria/1/and".to_owned()),
        "{backend:?}: {body}"
    );
    assert_eq!(
        software(&app).await,
        before,
        "{backend:?}: nothing was restored"
    );
    for id in ["JamfAdmin", "JavaSEDevelopmentKit8"] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/title/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{backend:?} {id}");
    }

    // Two files defining one title, and a state file naming a version that does not exist.
    let duplicate = make_zip(&[
        ("patch_archive/JamfAdmin.json", fixture(JAMF_ADMIN)),
        ("patch_archive/JamfAdmin-again.json", fixture(JAMF_ADMIN)),
    ]);
    let response = restore(&app, "", duplicate).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|error| { error["pointer"] == "/id" && error["file"].as_str().is_some() }),
        "{backend:?}: {body}"
    );
    let bad_state = make_zip(&[
        ("patch_archive/JamfAdmin.json", fixture(JAMF_ADMIN)),
        (
            "ringmaster/state.json",
            serde_json::to_vec(&json!({
                "format": 1,
                "titles": {"JamfAdmin": {"enabled": true, "disabledVersions": ["0.0.0-missing"]}}
            }))
            .unwrap(),
        ),
    ]);
    let response = restore(&app, "", bad_state).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert!(
        body["errors"][0]["file"]
            .as_str()
            .unwrap_or_default()
            .contains("ringmaster/state.json"),
        "{backend:?}: {body}"
    );
    assert_eq!(
        software(&app).await,
        before,
        "{backend:?}: still nothing restored"
    );
    app.stop().await;
}
