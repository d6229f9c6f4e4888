//! `POST /api/v1/restore` as tools upload it: what is not a zip is refused, a multipart form with
//! a file part is read, and PatchServer's own zip (no state file) restores its titles enabled.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backup_restore::{
    JAMF_ADMIN, JAVA, backup, create, fixture_json, make_zip, restore, snapshot, software,
};
use crate::meaning::assert_feed_means;
use crate::support::{TestBackend, fixture, json_body, spawn_app};

on_each_backend!(restore_refuses_what_is_not_a_zip_upload);
async fn restore_refuses_what_is_not_a_zip_upload(backend: TestBackend) {
    let app = spawn_app(backend).await;

    let response = restore(&app, "", b"this is not a zip".to_vec()).await;
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert_eq!(body["status"], 400, "{backend:?}");

    let empty = make_zip(&[("README.txt", b"no definitions".to_vec())]);
    let response = restore(&app, "", empty).await;
    assert_eq!(
        response.status(),
        400,
        "{backend:?}: a zip without definitions"
    );

    for content_type in ["application/json", "text/plain"] {
        let response = app
            .admin(Method::POST, "/api/v1/restore")
            .header("content-type", content_type)
            .body(backup(&app).await)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{backend:?} {content_type}");
        assert_eq!(json_body(response).await["status"], 415, "{backend:?}");
    }
    let response = app
        .admin(Method::POST, "/api/v1/restore")
        .body(backup(&app).await)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "{backend:?}: no content type");

    let unauthenticated = app
        .client
        .post(app.url("/api/v1/restore"))
        .header("content-type", "application/zip")
        .body(backup(&app).await)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401, "{backend:?}");
    assert_eq!(software(&app).await, json!([]), "{backend:?}");
    app.stop().await;
}

on_each_backend!(restore_accepts_a_multipart_upload_with_a_file_part);
async fn restore_accepts_a_multipart_upload_with_a_file_part(backend: TestBackend) {
    let source = spawn_app(backend).await;
    create(&source, &fixture_json(JAMF_ADMIN)).await;
    let zip = backup(&source).await;
    let expected = snapshot(&source).await;
    source.stop().await;

    let target = spawn_app(backend).await;
    let without_file = reqwest::multipart::Form::new().text("note", "no file part");
    let response = target
        .admin(Method::POST, "/api/v1/restore")
        .multipart(without_file)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "{backend:?}");
    let body = json_body(response).await;
    assert_eq!(
        body["errors"][0]["parameter"], "file",
        "{backend:?}: {body}"
    );

    let part = reqwest::multipart::Part::bytes(zip)
        .file_name("backup.zip")
        .mime_str("application/zip")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("comment", "before the file")
        .part("file", part);
    let response = target
        .admin(Method::POST, "/api/v1/restore")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{backend:?}");
    assert_eq!(snapshot(&target).await, expected, "{backend:?}");
    target.stop().await;
}

on_each_backend!(a_patchserver_zip_without_state_restores_enabled_titles);
async fn a_patchserver_zip_without_state_restores_enabled_titles(backend: TestBackend) {
    // PatchServer's backup: `patch_archive/<id>.json` only (here with a directory entry and the
    // clutter macOS adds when a user re-zips it).
    let zip = make_zip(&[
        ("patch_archive/", Vec::new()),
        ("patch_archive/JamfAdmin.json", fixture(JAMF_ADMIN)),
        ("patch_archive/JavaSEDevelopmentKit8.json", fixture(JAVA)),
        (
            "__MACOSX/patch_archive/._JamfAdmin.json",
            b"\x00\x05\x16\x07 not JSON".to_vec(),
        ),
    ]);
    let app = spawn_app(backend).await;
    let response = restore(&app, "", zip.clone()).await;
    assert_eq!(response.status(), 201, "{backend:?}");

    let titles = json_body(
        app.admin(Method::GET, "/api/v1/title")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(titles.as_array().unwrap().len(), 2, "{backend:?}: {titles}");
    for title in titles.as_array().unwrap() {
        assert_eq!(title["enabled"], true, "{backend:?}: {title}");
        assert_eq!(title["served"], true, "{backend:?}: {title}");
        assert_eq!(title["disabledVersions"], json!([]), "{backend:?}: {title}");
        assert!(
            title.get("pinnedVersion").is_none_or(Value::is_null),
            "{backend:?}: {title}"
        );
    }
    for (relative, id) in [(JAMF_ADMIN, "JamfAdmin"), (JAVA, "JavaSEDevelopmentKit8")] {
        let served = json_body(app.get(&format!("/v1/patch/{id}")).await).await;
        assert_feed_means(
            &format!("{backend:?} {id}"),
            &fixture_json(relative),
            &served,
        );
    }
    app.stop().await;
}
