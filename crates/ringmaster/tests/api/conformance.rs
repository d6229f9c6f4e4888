//! Conformance against third-party reference data in `../shared/reference/jamf-patch-definitions/`
//! (real definitions from Jamf's feed, CommunityPatch's Xcode title and one invalid definition).
//!
//! Every valid definition is submitted and read back from the Jamf feed; what Jamf Pro is served
//! must mean exactly what was submitted (a normalizer below settles what "the same meaning" is:
//! release dates as instants, `null` names as `""`, absent optional arrays as `[]`). The data is
//! read in place and never copied into the repository; without it these tests skip with a message.
//!
//! The normalizer and the string-boolean walker live in [`crate::meaning`], shared with the CLI
//! and backup tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{CliRun, ringmaster};
use crate::meaning::*;
use crate::support::{TestApp, TestBackend, json_body, shared_reference, spawn_app};

/// The one reference definition whose `lastModified` is a placeholder (`0000-00-000T00:00:00Z`).
const PLACEHOLDER_LAST_MODIFIED_FILE: &str = "AdobeAcrobatReaderDC.json";
const PLACEHOLDER_LAST_MODIFIED: &str = "0000-00-000T00:00:00Z";

/// The valid definitions: every `coreyhonadel/*.json` (not `invalid/`) and CommunityPatch's Xcode.
fn reference_definitions(root: &Path) -> Vec<PathBuf> {
    let mut files = json_files_in(&root.join("coreyhonadel"));
    files.push(root.join("communitypatch").join("Xcode.json"));
    files
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.admin(reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("serialize"))
        .send()
        .await
        .expect("POST")
}

on_each_backend!(every_reference_definition_is_served_with_its_meaning_unchanged);
async fn every_reference_definition_is_served_with_its_meaning_unchanged(backend: TestBackend) {
    let Some(root) = shared_reference("jamf-patch-definitions") else {
        return;
    };
    let files = reference_definitions(&root);
    assert!(
        files.len() >= 27,
        "expected the 26 + 1 reference definitions, found {files:?}"
    );
    let placeholder = read_json(
        &root
            .join("coreyhonadel")
            .join(PLACEHOLDER_LAST_MODIFIED_FILE),
    );
    assert_eq!(
        placeholder["lastModified"], PLACEHOLDER_LAST_MODIFIED,
        "the reference file changed: {PLACEHOLDER_LAST_MODIFIED_FILE} no longer has the placeholder"
    );

    let app = spawn_app(backend).await;
    let mut accepted: BTreeMap<String, Value> = BTreeMap::new();
    for path in &files {
        let name = file_name(path);
        let label = format!("{backend:?} {name}");
        let bytes = std::fs::read(path).expect("read reference file");
        let original: Value = serde_json::from_slice(&bytes).expect("reference JSON");
        let response = app.create_title(&bytes).await;
        let status = response.status();

        if name == PLACEHOLDER_LAST_MODIFIED_FILE {
            let body = json_body(response).await;
            assert_eq!(
                status, 201,
                "{label}: the placeholder lastModified is accepted with a warning: {body}"
            );
            let warned: Vec<&str> = body["warnings"]
                .as_array()
                .map(|all| all.iter().filter_map(|w| w["pointer"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(
                warned,
                ["/lastModified"],
                "{label}: only the placeholder is warned about: {body}"
            );
            let id = original["id"].as_str().expect("id").to_owned();
            accepted.insert(id, original);
            continue;
        }

        let body = response.text().await.expect("body");
        assert_eq!(status, 201, "{label}: {body}");
        let id = original["id"].as_str().expect("id").to_owned();
        assert!(
            accepted.insert(id, original).is_none(),
            "{label}: id defined twice in the reference data"
        );
    }

    for (id, original) in &accepted {
        let label = format!("{backend:?} {id}");
        let response = app.get(&format!("/v1/patch/{id}")).await;
        assert_eq!(response.status(), 200, "{label}");
        let served = json_body(response).await;
        assert_feed_means(&label, original, &served);
        for key in ["appName", "bundleId"] {
            assert!(
                served[key].is_string(),
                "{label}: {key} is served as a string, never null: {}",
                served[key]
            );
        }

        // The admin API's definition keeps `null` names, so the title can be submitted again.
        let definition = json_body(
            app.admin(reqwest::Method::GET, &format!("/api/v1/title/{id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let expected = submitted_meaning(original, NullNames::Kept);
        if let Some(difference) = first_difference(&expected, &served_meaning(&definition), "") {
            panic!("{label}: the admin definition differs from what was submitted: {difference}");
        }
    }

    let software = json_body(app.get("/v1/software").await).await;
    let listed: Vec<&str> = software
        .as_array()
        .expect("an array")
        .iter()
        .map(|summary| summary["id"].as_str().expect("id"))
        .collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "{backend:?}: an id is listed twice: {listed:?}"
    );
    let expected: BTreeSet<&str> = accepted.keys().map(String::as_str).collect();
    assert_eq!(
        unique, expected,
        "{backend:?}: /v1/software lists every accepted title"
    );
    for summary in software.as_array().unwrap() {
        let id = summary["id"].as_str().unwrap();
        assert_eq!(
            summary["currentVersion"], accepted[id]["currentVersion"],
            "{backend:?} {id}: the summary agrees with the definition"
        );
        assert_eq!(summary["name"], accepted[id]["name"], "{backend:?} {id}");
        assert_eq!(
            summary["publisher"], accepted[id]["publisher"],
            "{backend:?} {id}"
        );
    }
    app.stop().await;
}

on_each_backend!(box_sync_string_booleans_are_refused_at_every_location);
async fn box_sync_string_booleans_are_refused_at_every_location(backend: TestBackend) {
    let Some(root) = shared_reference("jamf-patch-definitions") else {
        return;
    };
    let path = root
        .join("coreyhonadel")
        .join("invalid")
        .join("BoxSync.json");
    let bytes = std::fs::read(&path).expect("read BoxSync.json");
    let document: Value = serde_json::from_slice(&bytes).expect("BoxSync.json is JSON");
    let expected: BTreeSet<String> = string_boolean_pointers(&document).into_iter().collect();
    assert!(
        expected
            .iter()
            .any(|pointer| pointer.contains("/components/")),
        "BoxSync.json is the string-boolean fixture: {expected:?}"
    );

    let app = spawn_app(backend).await;
    let response = app.create_title(&bytes).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert_eq!(body["status"], 400);
    let reported: BTreeSet<String> = error_pointers(&body).into_iter().collect();
    assert_eq!(
        reported, expected,
        "{backend:?}: every string boolean is reported, and nothing else: {body}"
    );
    for error in body["errors"].as_array().unwrap() {
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("boolean"),
            "{backend:?}: the message says a boolean is expected: {message}"
        );
    }
    assert_eq!(
        json_body(app.get("/v1/software").await).await,
        serde_json::json!([]),
        "{backend:?}: nothing was stored"
    );
    app.stop().await;
}

on_each_backend!(the_xcode_version_object_is_added_and_served);
async fn the_xcode_version_object_is_added_and_served(backend: TestBackend) {
    let Some(root) = shared_reference("jamf-patch-definitions") else {
        return;
    };
    let folder = root.join("communitypatch");
    let title = read_json(&folder.join("Xcode.json"));
    let version_bytes = std::fs::read(folder.join("Xcode-version-11.3.1.json")).expect("read");
    let version_object: Value = serde_json::from_slice(&version_bytes).expect("JSON");
    let version = version_object["version"]
        .as_str()
        .expect("version")
        .to_owned();
    let id = title["id"].as_str().expect("id").to_owned();

    // Submit the title without that version (if it has it), then add the version where it was.
    let mut without = title.clone();
    let patches = without["patches"].as_array_mut().expect("patches");
    let position = patches
        .iter()
        .position(|patch| patch["version"] == version.as_str());
    let mut expected_order: Vec<String> = patches
        .iter()
        .map(|patch| patch["version"].as_str().unwrap().to_owned())
        .collect();
    let query = match position {
        Some(index) => {
            patches.remove(index);
            if without["currentVersion"] == version.as_str() {
                without["currentVersion"] = without["patches"][0]["version"].clone();
            }
            if index == 0 {
                String::new()
            } else {
                format!("?after={}", expected_order[index - 1])
            }
        }
        None => {
            expected_order.insert(0, version.clone());
            String::new()
        }
    };

    let app = spawn_app(backend).await;
    let response = post_json(&app, "/api/v1/title", &without).await;
    assert_eq!(response.status(), 201, "{backend:?}");
    let path = format!("/api/v1/title/{id}/version{query}");
    let response = app
        .admin(reqwest::Method::POST, &path)
        .header("content-type", "application/json")
        .body(version_bytes.clone())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        status,
        201,
        "{backend:?}: {}",
        response.text().await.unwrap()
    );

    let served = json_body(app.get(&format!("/v1/patch/{id}")).await).await;
    let order: Vec<&str> = served["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|patch| patch["version"].as_str().unwrap())
        .collect();
    assert_eq!(order, expected_order, "{backend:?}");
    assert_eq!(
        served["currentVersion"], served["patches"][0]["version"],
        "{backend:?}"
    );
    assert_eq!(
        served["currentVersion"],
        expected_order[0].as_str(),
        "{backend:?}"
    );
    let served_patch = served["patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|patch| patch["version"] == version.as_str())
        .expect("the version is served");
    let expected = submitted_patch_meaning(&version_object);
    if let Some(difference) = first_difference(&expected, &served_patch_meaning(served_patch), "") {
        panic!("{backend:?}: the served version differs from the version object: {difference}");
    }

    let one = app
        .admin(
            reqwest::Method::GET,
            &format!("/api/v1/title/{id}/version/{version}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200, "{backend:?}");
    let one = json_body(one).await;
    assert_eq!(
        first_difference(&expected, &served_patch_meaning(&one), ""),
        None,
        "{backend:?}"
    );

    let summary = json_body(app.get(&format!("/v1/software/{id}")).await).await;
    assert_eq!(
        summary[0]["currentVersion"], served["currentVersion"],
        "{backend:?}"
    );

    // AutoPkg's NotifyPatchServer treats 409 as "already at this version".
    let again = app
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/title/{id}/version"),
        )
        .header("content-type", "application/json")
        .body(version_bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "{backend:?}");
    app.stop().await;
}

#[tokio::test]
async fn title_lint_checks_the_whole_reference_folder() {
    let Some(root) = shared_reference("jamf-patch-definitions") else {
        return;
    };
    let mut files = json_files_in(&root.join("coreyhonadel"));
    files.extend(json_files_in(&root.join("coreyhonadel").join("invalid")));
    files.extend(json_files_in(&root.join("communitypatch")));
    let mut args: Vec<String> = vec!["title".into(), "lint".into()];
    args.extend(files.iter().map(|path| path.display().to_string()));
    let run: CliRun = ringmaster(&args).await;
    assert_eq!(run.code, 1, "BoxSync.json is invalid: {run:?}");

    let invalid = ["BoxSync.json"];
    for path in &files {
        let shown = path.display().to_string();
        let name = file_name(path);
        let lines: Vec<&str> = run
            .stdout
            .lines()
            .filter(|line| line.starts_with(&format!("{shown}: ")))
            .collect();
        if invalid.contains(&name.as_str()) {
            assert!(
                !lines.is_empty()
                    && lines
                        .iter()
                        .all(|line| !line.starts_with(&format!("{shown}: ok"))),
                "{name} is reported invalid: {lines:?}"
            );
        } else if name == PLACEHOLDER_LAST_MODIFIED_FILE {
            assert!(
                lines.len() == 2
                    && lines[0].starts_with(&format!("{shown}: ok"))
                    && lines[1].contains("/lastModified: warning: "),
                "{name} is valid with a lastModified warning: {lines:?}"
            );
        } else {
            assert_eq!(
                lines.len(),
                1,
                "{name}: one line: {lines:?}\n{}",
                run.stdout
            );
            assert!(
                lines[0].starts_with(&format!("{shown}: ok")),
                "{name}: {}",
                lines[0]
            );
        }
    }

    let box_sync = root
        .join("coreyhonadel")
        .join("invalid")
        .join("BoxSync.json");
    let expected = string_boolean_pointers(&read_json(&box_sync));
    for pointer in &expected {
        let line = format!("{}: {pointer}: ", box_sync.display());
        assert!(
            run.stdout.contains(&line),
            "lint reports {pointer}: {}",
            run.stdout
        );
    }
    let placeholder = root
        .join("coreyhonadel")
        .join(PLACEHOLDER_LAST_MODIFIED_FILE);
    assert!(
        run.stdout
            .contains(&format!("{}: /lastModified: ", placeholder.display())),
        "{}",
        run.stdout
    );
    let version_object = root
        .join("communitypatch")
        .join("Xcode-version-11.3.1.json");
    assert!(
        run.stdout.contains(&format!(
            "{}: ok (version object)",
            version_object.display()
        )),
        "{}",
        run.stdout
    );
}
