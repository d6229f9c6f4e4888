//! A restore keeps each title's `lastModified` (so Jamf Pro does not see every title as changed):
//! ringmaster's full backup and PatchServer's backup zip restored into a fresh server show the
//! same `/jamf/v1/software` (ids with their `lastModified`), a PatchServer zip whose definitions
//! carry an old `lastModified` is served with it. (A replacing restore over the same server moves
//! `lastModified` forward on purpose: `backup_restore.rs`.)

use std::io::{Cursor, Write};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backup_full::{full_backup, populate, spawn};
use crate::backup_restore::restore;
use crate::support::{TestApp, TestBackend, fixture, json_body};

/// `/jamf/v1/software` as (id, lastModified) pairs, sorted by id.
async fn stamps(app: &TestApp) -> Vec<(String, String)> {
    let listed = json_body(app.get("/jamf/v1/software").await).await;
    let mut pairs: Vec<(String, String)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|title| {
            (
                title["id"].as_str().expect("id").to_owned(),
                title["lastModified"]
                    .as_str()
                    .expect("lastModified")
                    .to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

async fn backup(app: &TestApp, query: &str) -> Vec<u8> {
    let response = app
        .admin(Method::GET, &format!("/api/v1/backup{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

fn patchserver_zip(definitions: &[Value]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for definition in definitions {
        let name = format!("patch_archive/{}.json", definition["id"].as_str().unwrap());
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer
            .write_all(&serde_json::to_vec(definition).unwrap())
            .unwrap();
    }
    writer.finish().unwrap().into_inner()
}

on_each_backend!(a_full_and_a_patchserver_backup_restore_with_every_last_modified);
async fn a_full_and_a_patchserver_backup_restore_with_every_last_modified(backend: TestBackend) {
    let source = spawn(backend).await;
    populate(&source).await;
    let before = stamps(&source).await;
    assert!(!before.is_empty(), "{backend:?}: the source serves titles");
    let full = full_backup(&source).await;
    let patchserver = backup(&source, "?format=patchserver").await;
    // Restored later: a fresh server must not stamp the titles with its own time.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for (what, zip) in [("full", full), ("patchserver", patchserver)] {
        let target = spawn(backend).await;
        let response = restore(&target, "", zip).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{backend:?} {what}");
        assert_eq!(stamps(&target).await, before, "{backend:?} {what}");
        target.stop().await;
    }
    source.stop().await;
}

on_each_backend!(a_patchserver_zip_keeps_the_last_modified_its_definitions_carry);
async fn a_patchserver_zip_keeps_the_last_modified_its_definitions_carry(backend: TestBackend) {
    let app = spawn(backend).await;
    let mut definition: Value = serde_json::from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
    definition["lastModified"] = json!("2019-03-01T12:34:56Z");
    let response = restore(&app, "", patchserver_zip(&[definition])).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{backend:?}");
    assert_eq!(
        stamps(&app).await,
        vec![("JamfAdmin".to_owned(), "2019-03-01T12:34:56Z".to_owned())],
        "{backend:?}"
    );
    app.stop().await;
}
