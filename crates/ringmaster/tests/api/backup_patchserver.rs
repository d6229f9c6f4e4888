//! `GET /api/v1/backup?format=patchserver`: the zip PatchServer restores. Exactly
//! `patch_archive/<id>.json` per served title and no other entry (PatchServer's restore reads
//! every entry as a definition and refuses the archive over any other file), each file what
//! `/jamf/v1/patch/{id}` serves and carrying every key PatchServer's schema requires; ringmaster
//! restores it too; an unknown `format` is a 400 naming the parameter.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use reqwest::Method;
use serde_json::Value;

use crate::support::{TestApp, TestBackend, fixture, json_body, spawn_app};

pub(crate) async fn patchserver_backup(app: &TestApp) -> Vec<u8> {
    let response = app
        .admin(Method::GET, "/api/v1/backup?format=patchserver")
        .send()
        .await
        .expect("GET backup");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"patch_archive.zip\""
    );
    response.bytes().await.expect("body").to_vec()
}

/// Every entry of a zip by name, directory entries included (their content is empty).
pub(crate) fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read entry");
        entries.insert(entry.name().to_owned(), content);
    }
    entries
}

/// The keys and types PatchServer's full-definition schema requires, checked as it would.
fn assert_patchserver_accepts(file: &str, definition: &Value) {
    let object = |value: &Value, at: &str| {
        value
            .as_object()
            .unwrap_or_else(|| panic!("{file}{at}: an object"))
            .clone()
    };
    let string = |value: Option<&Value>, at: &str| {
        assert!(
            value.is_some_and(Value::is_string),
            "{file}{at}: a string, got {value:?}"
        );
    };
    let boolean = |value: Option<&Value>, at: &str| {
        assert!(
            value.is_some_and(Value::is_boolean),
            "{file}{at}: a boolean, got {value:?}"
        );
    };
    let array = |value: Option<&Value>, at: &str| -> Vec<Value> {
        value
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{file}{at}: an array, got {value:?}"))
            .clone()
    };
    let criteria = |value: Option<&Value>, at: &str, and_required: bool| {
        for (index, criterion) in array(value, at).iter().enumerate() {
            let at = format!("{at}/{index}");
            let criterion = object(criterion, &at);
            for key in ["name", "operator", "value", "type"] {
                string(criterion.get(key), &format!("{at}/{key}"));
            }
            if and_required || criterion.contains_key("and") {
                boolean(criterion.get("and"), &format!("{at}/and"));
            }
        }
    };
    let title = object(definition, "");
    for key in ["name", "publisher", "lastModified", "currentVersion", "id"] {
        string(title.get(key), &format!("/{key}"));
    }
    for key in ["appName", "bundleId"] {
        let value = title.get(key);
        assert!(
            value.is_some_and(|value| value.is_string() || value.is_null()),
            "{file}/{key}: a string or null"
        );
    }
    criteria(title.get("requirements"), "/requirements", true);
    for (index, patch) in array(title.get("patches"), "/patches").iter().enumerate() {
        let at = format!("/patches/{index}");
        let patch = object(patch, &at);
        for key in ["version", "releaseDate", "minimumOperatingSystem"] {
            string(patch.get(key), &format!("{at}/{key}"));
        }
        for key in ["standalone", "reboot"] {
            boolean(patch.get(key), &format!("{at}/{key}"));
        }
        for (kill, app) in array(patch.get("killApps"), &format!("{at}/killApps"))
            .iter()
            .enumerate()
        {
            let app = object(app, &format!("{at}/killApps/{kill}"));
            string(
                app.get("bundleId"),
                &format!("{at}/killApps/{kill}/bundleId"),
            );
            string(app.get("appName"), &format!("{at}/killApps/{kill}/appName"));
        }
        for (number, component) in array(patch.get("components"), &format!("{at}/components"))
            .iter()
            .enumerate()
        {
            let component_at = format!("{at}/components/{number}");
            let component = object(component, &component_at);
            string(component.get("name"), &format!("{component_at}/name"));
            string(component.get("version"), &format!("{component_at}/version"));
            criteria(
                component.get("criteria"),
                &format!("{component_at}/criteria"),
                false,
            );
        }
        criteria(
            patch.get("capabilities"),
            &format!("{at}/capabilities"),
            false,
        );
    }
    for (index, attribute) in array(title.get("extensionAttributes"), "/extensionAttributes")
        .iter()
        .enumerate()
    {
        let at = format!("/extensionAttributes/{index}");
        let attribute = object(attribute, &at);
        for key in ["key", "value", "displayName"] {
            string(attribute.get(key), &format!("{at}/{key}"));
        }
    }
}

async fn served(app: &TestApp, id: &str) -> Value {
    let response = app.get(&format!("/jamf/v1/patch/{id}")).await;
    assert_eq!(response.status(), 200, "/jamf/v1/patch/{id}");
    json_body(response).await
}

/// A title with a requirement that leaves `and` out (Jamf reads it as `true`).
fn title_without_and() -> Vec<u8> {
    let mut definition: Value =
        serde_json::from_slice(&fixture("titles/JavaSEDevelopmentKit8.json")).expect("fixture");
    definition["id"] = Value::String("NoAndTitle".into());
    if let Some(Value::Object(first)) = definition.pointer_mut("/requirements/0") {
        first.remove("and");
    }
    serde_json::to_vec(&definition).expect("JSON")
}

on_each_backend!(the_patchserver_backup_holds_exactly_the_served_titles_in_patchservers_layout);
async fn the_patchserver_backup_holds_exactly_the_served_titles_in_patchservers_layout(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    for body in [
        fixture("titles/JamfAdmin.json"),
        fixture("titles/JavaSEDevelopmentKit8.json"),
        title_without_and(),
    ] {
        assert_eq!(app.create_title(&body).await.status(), 201, "{backend:?}");
    }
    let hidden = br#"{"id": "HiddenTitle", "name": "Hidden", "publisher": "Acme",
        "appName": "Hidden.app", "bundleId": "com.acme.hidden",
        "requirements": [{"name": "Application Bundle ID", "operator": "is",
            "value": "com.acme.hidden", "type": "recon", "and": true}],
        "patches": [{"version": "1.0", "releaseDate": "2024-01-01T00:00:00Z",
            "standalone": true, "minimumOperatingSystem": "12.0", "reboot": false,
            "killApps": [], "components": [], "capabilities": []}],
        "extensionAttributes": []}"#;
    assert_eq!(app.create_title(hidden).await.status(), 201, "{backend:?}");
    let disable = |path: &str| app.admin(Method::POST, path).send();
    assert_eq!(
        disable("/api/v1/title/HiddenTitle/disable")
            .await
            .unwrap()
            .status(),
        200,
        "{backend:?}"
    );
    assert_eq!(
        disable("/api/v1/title/JamfAdmin/version/10.2.0/disable")
            .await
            .unwrap()
            .status(),
        200,
        "{backend:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let zip = patchserver_backup(&app).await;
    let files = entries(&zip);
    let names: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "patch_archive/JamfAdmin.json",
            "patch_archive/JavaSEDevelopmentKit8.json",
            "patch_archive/NoAndTitle.json",
        ]),
        "{backend:?}: one file per served title and nothing else (no directories, no state)"
    );
    for (name, bytes) in &files {
        let definition: Value = serde_json::from_slice(bytes).expect("JSON");
        assert_patchserver_accepts(name, &definition);
        let id = definition["id"].as_str().expect("id").to_owned();
        assert_eq!(name, &format!("patch_archive/{id}.json"), "{backend:?}");
        let mut expected = served(&app, &id).await;
        if id == "NoAndTitle" {
            assert!(expected.pointer("/requirements/0/and").is_none());
            expected["requirements"][0]["and"] = Value::Bool(true);
        }
        assert_eq!(
            definition, expected,
            "{backend:?}: {name} is what Jamf is served"
        );
    }
    let jamf_admin: Value =
        serde_json::from_slice(&files["patch_archive/JamfAdmin.json"]).expect("JSON");
    assert_eq!(jamf_admin["currentVersion"], "10.1.1", "{backend:?}");
    assert!(
        !jamf_admin.to_string().contains("10.2.0"),
        "{backend:?}: a disabled version is not in PatchServer's backup"
    );

    // ringmaster restores it as any PatchServer backup: the same titles are served.
    let target = spawn_app(backend).await;
    let response = target
        .admin(Method::POST, "/api/v1/restore")
        .header("content-type", "application/zip")
        .body(zip)
        .send()
        .await
        .expect("restore");
    assert_eq!(response.status(), 201, "{backend:?}");
    let report = json_body(response).await;
    assert_eq!(
        report["created"],
        serde_json::json!(["JamfAdmin", "JavaSEDevelopmentKit8", "NoAndTitle"]),
        "{backend:?}: {report}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for (name, bytes) in &files {
        let definition: Value = serde_json::from_slice(bytes).expect("JSON");
        let id = definition["id"].as_str().expect("id");
        assert_eq!(
            served(&target, id).await,
            definition,
            "{backend:?}: {name} round-trips"
        );
    }
    assert_eq!(
        target.get("/jamf/v1/patch/HiddenTitle").await.status(),
        404,
        "{backend:?}"
    );
}

on_each_backend!(an_unknown_backup_format_is_refused_naming_the_parameter);
async fn an_unknown_backup_format_is_refused_naming_the_parameter(backend: TestBackend) {
    let app = spawn_app(backend).await;
    for (query, parameter) in [
        ("format=kinobi", "format"),
        ("format=", "format"),
        ("format=patchserver&scope=full", "scope"),
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/backup?{query}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 400, "{backend:?} {query}");
        let body = json_body(response).await;
        assert_eq!(
            body["errors"][0]["parameter"], parameter,
            "{backend:?} {query}: {body}"
        );
    }
    let ours = app
        .admin(Method::GET, "/api/v1/backup?format=ringmaster")
        .send()
        .await
        .expect("GET");
    assert_eq!(ours.status(), 200, "{backend:?}");
    let names: BTreeSet<String> = entries(&ours.bytes().await.expect("zip"))
        .into_keys()
        .collect();
    assert!(
        names.contains("ringmaster/backup.json"),
        "{backend:?}: format=ringmaster is the full backup: {names:?}"
    );
}
