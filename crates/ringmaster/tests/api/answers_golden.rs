//! Answers outside the OS-update views, pinned: the admin title API's refusal of a replacement
//! whose body names another id (decided by the domain's `IdMismatch`), as a golden file, and
//! `GET /healthz`, key by key and in order.

use reqwest::Method;
use serde_json::{Value, json};

use crate::os_policies::send;
use crate::support::{TestBackend, fixture, json_body, spawn_app};
use ringmaster_testing::golden::check_json;

on_each_backend!(a_replacement_with_another_id_is_refused_as_the_golden_file_says);
async fn a_replacement_with_another_id_is_refused_as_the_golden_file_says(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let created = app.create_title(&fixture("titles/JamfAdmin.json")).await;
    assert_eq!(created.status().as_u16(), 201, "{backend:?}");
    let mut definition: Value = serde_json::from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
    definition["id"] = json!("JamfAdmin2");
    let response = send(&app, Method::PUT, "/api/v1/title/JamfAdmin", &definition).await;
    assert_eq!(response.status().as_u16(), 400, "{backend:?}");
    check_json("titles/error.id-mismatch.json", &json_body(response).await);
    // The domain decides once it has the title: with no title at the path, the path names
    // nothing, whatever the body says.
    let response = send(&app, Method::PUT, "/api/v1/title/Nothing", &definition).await;
    assert_eq!(response.status().as_u16(), 404, "{backend:?}");
}

on_each_backend!(health_answers_its_keys_in_order);
async fn health_answers_its_keys_in_order(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200, "{backend:?}");
    let health = json_body(response).await;
    let expected = json!({
        "status": "ok",
        "database": {
            "backend": match backend {
                TestBackend::Sqlite => "sqlite",
                TestBackend::Postgres => "postgres",
            },
            "reachable": true,
        },
        "patchSource": {
            "revision": health["patchSource"]["revision"].as_i64().expect("a revision"),
            "servedTitles": 0,
            "storedTitles": 0,
        },
        "version": env!("CARGO_PKG_VERSION"),
    });
    assert_eq!(health, expected, "{backend:?}");
    assert_eq!(
        health.to_string(),
        expected.to_string(),
        "{backend:?}: key order"
    );
}
