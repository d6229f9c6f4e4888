//! The full backup (`GET /api/v1/backup`, `POST /api/v1/restore`, `ringmaster backup`/`restore`):
//! an installation with titles, the catalog, rings and a policy, devices, a device group,
//! bindings, a legacy mechanism and a second token round-trips into a fresh server on SQLite,
//! on PostgreSQL and from SQLite to PostgreSQL, and everything an admin, Jamf Pro or a device
//! sees is the same afterwards (titles with `lastModified`, declarations, effective policies,
//! ids; the old tokens authenticate). A restore over OS-update data is a 409 unless
//! `?replace=true`; a backup with one bad file changes nothing. `backup_cli.rs` runs the same
//! round trip through the binary.

use std::io::{Cursor, Read, Write};

use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::backup_restore::restore;
use crate::os_catalog::import;
use crate::os_policies::{lab_policy, send};
use crate::support::{
    AppOptions, TestApp, TestBackend, admin_json, fixture, json_body, postgres_backend,
    spawn_app_with,
};

pub(crate) const SECOND_TOKEN: &str = "second-admin-token-from-the-source";

pub(crate) fn options() -> AppOptions {
    AppOptions {
        clock: Clock::manual("2025-11-12T09:00:00Z".parse().unwrap()),
        ..AppOptions::default()
    }
}

pub(crate) async fn spawn(backend: TestBackend) -> TestApp {
    spawn_app_with(backend, options()).await
}

async fn ok(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body = json_body(response).await;
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

/// Titles (one disabled, one pinned), the catalog, the rings, a policy of its own, devices, a
/// group, bindings of both kinds, a legacy mechanism and a second token.
pub(crate) async fn populate(app: &TestApp) {
    for title in ["titles/JamfAdmin.json", "titles/JavaSEDevelopmentKit8.json"] {
        let response = app.create_title(&fixture(title)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{title}");
    }
    let response = app
        .admin(Method::POST, "/api/v1/title/JavaSEDevelopmentKit8/disable")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let response = import(app, fixture("catalog/macos-26-autumn-2025.json")).await;
    assert!(response.status().is_success(), "catalog import");
    let rings = ok(
        app.admin(Method::POST, "/api/v1/policy-groups/defaults")
            .send()
            .await
            .unwrap(),
        "rings",
    )
    .await;
    let early = rings["policyGroups"][1]["id"].as_i64().unwrap();
    let policy = lab_policy();
    let lab = ok(
        send(app, Method::POST, "/api/v1/policies", &policy).await,
        "policy",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    for (id, platform, version) in [
        ("mac-1", "macOS", "26.0"),
        ("mac-2", "macOS", "26.0.1"),
        ("iphone-1", "iOS", "26.0"),
    ] {
        let device =
            json!({"id": id, "platform": platform, "osVersion": version, "model": "J413AP"});
        ok(
            send(app, Method::POST, "/api/v1/devices", &device).await,
            id,
        )
        .await;
    }
    let group = ok(
        send(
            app,
            Method::POST,
            "/api/v1/device-groups",
            &json!({"name": "Lab", "devices": ["mac-1"]}),
        )
        .await,
        "group",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    ok(
        send(
            app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{early}/bindings"),
            &json!({"devices": ["mac-2", "iphone-1"]}),
        )
        .await,
        "ring bindings",
    )
    .await;
    ok(
        send(
            app,
            Method::PUT,
            &format!("/api/v1/policies/{lab}/bindings"),
            &json!({"deviceGroups": [group]}),
        )
        .await,
        "policy bindings",
    )
    .await;
    ok(
        send(
            app,
            Method::POST,
            "/api/v1/devices/mac-2/legacy-mechanisms",
            &json!({"kind": "patchPolicy", "name": "macOS Updates (Jamf)"}),
        )
        .await,
        "legacy",
    )
    .await;
    let store = app.database.store().await;
    store
        .create_token(&ringmaster_store::tokens::NewToken::admin(
            "second",
            SECOND_TOKEN,
            jiff::Timestamp::now(),
        ))
        .await
        .expect("second token");
}

/// Everything an admin, Jamf Pro and the devices see, as one document.
pub(crate) async fn view(app: &TestApp) -> Value {
    let mut titles = admin_json(app, "/api/v1/title").await;
    for title in titles.as_array_mut().unwrap() {
        // The revision is the target's change counter: restores move it on purpose.
        title.as_object_mut().unwrap().shift_remove("revision");
    }
    let mut feeds = serde_json::Map::new();
    for title in titles.as_array().unwrap() {
        let id = title["id"].as_str().unwrap();
        let response = app.get(&format!("/v1/patch/{id}")).await;
        let feed = if response.status() == StatusCode::NOT_FOUND {
            json!("not served")
        } else {
            json_body(response).await
        };
        feeds.insert(id.to_owned(), feed);
    }
    let policies = admin_json(app, "/api/v1/policies").await;
    let mut policy_bindings = serde_json::Map::new();
    for policy in policies.as_array().unwrap() {
        let id = policy["id"].as_i64().unwrap();
        policy_bindings.insert(
            id.to_string(),
            admin_json(app, &format!("/api/v1/policies/{id}/bindings")).await,
        );
    }
    let groups = admin_json(app, "/api/v1/policy-groups").await;
    let mut group_bindings = serde_json::Map::new();
    for group in groups.as_array().unwrap() {
        let id = group["id"].as_i64().unwrap();
        group_bindings.insert(
            id.to_string(),
            admin_json(app, &format!("/api/v1/policy-groups/{id}/bindings")).await,
        );
    }
    let devices = admin_json(app, "/api/v1/devices").await;
    let mut per_device = serde_json::Map::new();
    for id in ["mac-1", "mac-2", "iphone-1"] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/devices/{id}"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::NOT_FOUND {
            per_device.insert(id.to_owned(), json!("absent"));
            continue;
        }
        per_device.insert(
            id.to_owned(),
            json!({
                "device": json_body(response).await,
                "effective": admin_json(app, &format!("/api/v1/devices/{id}/effective-policy")).await,
                "declarations": admin_json(app, &format!("/api/v1/devices/{id}/declarations")).await,
                "legacy": admin_json(app, &format!("/api/v1/devices/{id}/legacy-mechanisms")).await,
            }),
        );
    }
    json!({
        "software": json_body(app.get("/v1/software").await).await,
        "titles": titles,
        "feeds": feeds,
        "catalog": [
            admin_json(app, "/api/v1/catalog/macOS").await,
            admin_json(app, "/api/v1/catalog/iOS").await,
        ],
        "policies": policies,
        "policyBindings": policy_bindings,
        "policyGroups": groups,
        "groupBindings": group_bindings,
        "devices": devices,
        "deviceGroups": admin_json(app, "/api/v1/device-groups").await,
        "perDevice": per_device,
    })
}

pub(crate) async fn full_backup(app: &TestApp) -> Vec<u8> {
    let response = app
        .admin(Method::GET, "/api/v1/backup")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

pub(crate) async fn authenticates(app: &TestApp, token: &str) -> bool {
    app.client
        .get(app.url("/api/v1/policies"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        == StatusCode::OK
}

/// Backs `source` up, restores into a fresh server on `target`, and checks everything.
async fn round_trip(source_backend: TestBackend, target_backend: TestBackend) {
    let what = format!("{source_backend:?} -> {target_backend:?}");
    let source = spawn(source_backend).await;
    populate(&source).await;
    let before = view(&source).await;
    let zip = full_backup(&source).await;

    let target = spawn(target_backend).await;
    let response = restore(&target, "", zip.clone()).await;
    let status = response.status();
    let report = json_body(response).await;
    assert_eq!(status, StatusCode::CREATED, "{what}: {report}");
    assert_eq!(report["scope"], "full", "{what}");
    assert_eq!(report["osUpdates"]["devices"], 3, "{what}: {report}");
    assert_eq!(report["osUpdates"]["tokensAdded"], 2, "{what}: {report}");
    assert_eq!(
        view(&target).await,
        before,
        "{what}: the installation as seen"
    );
    assert!(authenticates(&target, &source.token).await, "{what}");
    assert!(authenticates(&target, SECOND_TOKEN).await, "{what}");
    assert!(authenticates(&target, &target.token).await, "{what}");

    // New rows get fresh ids after restored ones (the sequences followed).
    let response = send(
        &target,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "After restore", "devices": []}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED, "{what}");

    // Restoring again: the OS-update data is there, so 409 and nothing changes…
    let after_group = view(&target).await;
    let response = restore(&target, "", zip.clone()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT, "{what}");
    let body = json_body(response).await;
    assert!(
        body["message"].as_str().unwrap().contains("replace=true"),
        "{what}: {body}"
    );
    assert_eq!(
        view(&target).await,
        after_group,
        "{what}: a 409 changes nothing"
    );
    // …unless ?replace=true, which puts the backup's installation back exactly.
    let response = restore(&target, "?replace=true", zip).await;
    assert_eq!(response.status(), StatusCode::OK, "{what}");
    let mut replaced = view(&target).await;
    let mut expected = before.clone();
    // A replaced title's lastModified moves forward (so Jamf Pro notices), all else is equal.
    for document in [&mut replaced, &mut expected] {
        document.as_object_mut().unwrap().remove("software");
        document.as_object_mut().unwrap().remove("feeds");
        for title in document["titles"].as_array_mut().unwrap() {
            title.as_object_mut().unwrap().shift_remove("lastModified");
        }
    }
    assert_eq!(replaced, expected, "{what}: replace restores the backup");
    assert!(authenticates(&target, &target.token).await, "{what}");
    source.stop().await;
    target.stop().await;
}

on_each_backend!(a_full_backup_round_trips_on_each_backend);
async fn a_full_backup_round_trips_on_each_backend(backend: TestBackend) {
    round_trip(backend, backend).await;
}

#[tokio::test]
async fn a_full_backup_from_sqlite_restores_onto_postgres() {
    if let Some(postgres) = postgres_backend() {
        round_trip(TestBackend::Sqlite, postgres).await;
    }
}

/// The entries of a zip, in order, with their contents.
pub(crate) fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().to_owned(), content)
        })
        .collect()
}

pub(crate) fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, content) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn the_full_backup_is_documented_files_beside_patch_archive_and_scope_titles_is_the_old_one()
{
    let app = spawn(TestBackend::Sqlite).await;
    populate(&app).await;
    let full: Vec<String> = entries(&full_backup(&app).await)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let titles_only = app
        .admin(Method::GET, "/api/v1/backup?scope=titles")
        .send()
        .await
        .unwrap();
    assert_eq!(titles_only.status(), StatusCode::OK);
    let titles_only = entries(&titles_only.bytes().await.unwrap());
    let names: Vec<&str> = titles_only.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "patch_archive/JamfAdmin.json",
            "patch_archive/JavaSEDevelopmentKit8.json",
            "ringmaster/state.json"
        ]
    );
    let mut expected: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    expected.extend(
        [
            "ringmaster/backup.json",
            "ringmaster/tokens.json",
            "ringmaster/os-updates/releases.json",
            "ringmaster/os-updates/hardware-models.json",
            "ringmaster/os-updates/policy-groups.json",
            "ringmaster/os-updates/policies.json",
            "ringmaster/os-updates/devices.json",
            "ringmaster/os-updates/device-groups.json",
            "ringmaster/os-updates/device-group-members.json",
            "ringmaster/os-updates/bindings.json",
            "ringmaster/os-updates/legacy-mechanisms.json",
            "ringmaster/webhooks.json",
            "ringmaster/audit.json",
            "ringmaster/os-updates/blocked-releases.json",
            "ringmaster/os-updates/device-exemptions.json",
            "ringmaster/os-updates/rollout-pauses.json",
            "ringmaster/os-updates/gates.json",
            "ringmaster/os-updates/gate-evaluations.json",
            "ringmaster/os-updates/release-halts.json",
        ]
        .map(str::to_owned),
    );
    assert_eq!(full, expected);
    let zip = full_backup(&app).await;
    let all = entries(&zip);
    let manifest: Value = serde_json::from_slice(&all[3].1).unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(manifest["scope"], "full");
    let tokens: Value = serde_json::from_slice(&all[4].1).unwrap();
    let tokens = tokens.as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|token| token["token_hash"].as_str().unwrap().len() == 64
                && !token.to_string().contains(SECOND_TOKEN)),
        "tokens are kept as hashes only"
    );
    app.stop().await;
}

/// Turns a file's content into a bad one.
type Spoil = dyn Fn(&[u8]) -> Vec<u8>;

on_each_backend!(a_full_backup_with_one_bad_file_changes_nothing);
async fn a_full_backup_with_one_bad_file_changes_nothing(backend: TestBackend) {
    let source = spawn(backend).await;
    populate(&source).await;
    let zip = full_backup(&source).await;
    let original = entries(&zip);

    // A fresh target, and one holding data restored with ?replace=true: neither changes.
    let empty = spawn(backend).await;
    let occupied = spawn(backend).await;
    populate(&occupied).await;
    for (target, query) in [(&empty, ""), (&occupied, "?replace=true")] {
        let before = view(target).await;
        let cases: [(&str, Box<Spoil>, &str); 6] = [
            (
                "ringmaster/os-updates/devices.json",
                Box::new(|bytes| {
                    let mut rows: Value = serde_json::from_slice(bytes).unwrap();
                    rows[0]["model"] = json!("Mac15,3\u{0}");
                    serde_json::to_vec(&rows).unwrap()
                }),
                "NUL character",
            ),
            (
                "ringmaster/state.json",
                Box::new(|bytes| {
                    let mut state: Value = serde_json::from_slice(bytes).unwrap();
                    let titles = state["titles"].as_object_mut().unwrap();
                    let first = titles.values_mut().next().unwrap();
                    first["disabledVersions"] = json!(["1\u{0}"]);
                    serde_json::to_vec(&state).unwrap()
                }),
                "NUL character",
            ),
            (
                "ringmaster/os-updates/bindings.json",
                Box::new(|_| {
                    br#"[{"policy_id": 999, "policy_group_id": null, "device_id": "mac-1", "device_group_id": null}]"#.to_vec()
                }),
                "",
            ),
            (
                "ringmaster/os-updates/policies.json",
                Box::new(|bytes| {
                    let mut rows: Value = serde_json::from_slice(bytes).unwrap();
                    rows[0]["document"] = json!("{\"name\": 5}");
                    serde_json::to_vec(&rows).unwrap()
                }),
                "update_policies/",
            ),
            (
                "ringmaster/os-updates/devices.json",
                Box::new(|_| b"[{\"id\": \"x\"}]".to_vec()),
                "missing field",
            ),
            (
                "patch_archive/JamfAdmin.json",
                Box::new(|_| b"{\"id\": \"JamfAdmin\"}".to_vec()),
                "",
            ),
        ];
        for (file, spoil, message) in &cases {
            let spoiled: Vec<(String, Vec<u8>)> = original
                .iter()
                .map(|(name, content)| {
                    if name == file {
                        (name.clone(), spoil(content))
                    } else {
                        (name.clone(), content.clone())
                    }
                })
                .collect();
            let response = restore(target, query, zip_of(&spoiled)).await;
            let status = response.status();
            let body = json_body(response).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{backend:?} {file}: {body}"
            );
            let errors = body["errors"].as_array().unwrap();
            assert!(
                errors.iter().any(|error| error["file"] == *file
                    && error["message"].as_str().unwrap().contains(message)),
                "{backend:?} {file}: {body}"
            );
            assert_eq!(
                view(target).await,
                before,
                "{backend:?} {file}: nothing changed"
            );
        }
    }
    source.stop().await;
    empty.stop().await;
    occupied.stop().await;
}

on_each_backend!(a_titles_only_restore_keeps_every_last_modified);
async fn a_titles_only_restore_keeps_every_last_modified(backend: TestBackend) {
    let source = spawn(backend).await;
    populate(&source).await;
    let zip = source
        .admin(Method::GET, "/api/v1/backup?scope=titles")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    // Restored a few seconds later, titles keep the lastModified they had.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let target = spawn(backend).await;
    let response = restore(&target, "", zip).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{backend:?}");
    assert_eq!(
        json_body(target.get("/v1/software").await).await,
        json_body(source.get("/v1/software").await).await,
        "{backend:?}"
    );
    // A titles-only backup leaves the OS-update side alone.
    assert_eq!(admin_json(&target, "/api/v1/policies").await, json!([]));
    source.stop().await;
    target.stop().await;
}
