//! `/api/v1/catalog`: importing feeds (every format, idempotent, all or nothing) and listing.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{TestApp, TestBackend, fixture, json_body, shared_reference, spawn_app};

pub(crate) async fn import(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.admin(Method::POST, "/api/v1/catalog/import")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST catalog/import")
}

pub(crate) async fn catalog(app: &TestApp, platform: &str) -> Value {
    let response = app
        .admin(Method::GET, &format!("/api/v1/catalog/{platform}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

fn versions(catalog: &Value) -> Vec<String> {
    catalog["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["version"].as_str().unwrap().to_owned())
        .collect()
}

on_each_backend!(a_feed_is_imported_once_and_listed_newest_first);
async fn a_feed_is_imported_once_and_listed_newest_first(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = import(&app, fixture("catalog/macos-26-autumn-2025.json")).await;
    assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
    let report = json_body(response).await;
    assert_eq!(report["format"], "gdmf");
    assert_eq!(report["releases"], 4);
    assert_eq!(report["added"], 4);
    let revision = report["revision"].clone();

    let again = json_body(import(&app, fixture("catalog/macos-26-autumn-2025.json")).await).await;
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert_eq!(again["unchanged"], 4, "{again}");
    assert_eq!(
        again["revision"], revision,
        "a second import writes nothing"
    );

    let listed = catalog(&app, "macOS").await;
    assert_eq!(versions(&listed), vec!["26.2", "26.1", "26.0.1", "26.0"]);
    let newest = &listed["releases"][0];
    assert_eq!(newest["build"], "25C56");
    assert_eq!(newest["releasedOn"], "2025-12-12");
    assert_eq!(newest["kind"], "minor");
    assert_eq!(listed["releases"][3]["kind"], "major");
    assert!(newest["firstSeenAt"].as_str().is_some());
    assert_eq!(
        newest["supportedDevices"],
        serde_json::json!(["J413AP", "Mac-827FAC58A8FDFA22", "VMA2MACOSAP"])
    );
    assert_eq!(versions(&catalog(&app, "ios").await).len(), 0);
}

on_each_backend!(a_broken_feed_names_where_it_failed_and_changes_nothing);
async fn a_broken_feed_names_where_it_failed_and_changes_nothing(backend: TestBackend) {
    let app = spawn_app(backend).await;
    import(&app, fixture("catalog/ios-26-autumn-2025.json")).await;
    let before = catalog(&app, "iOS").await;

    let mut broken: Value =
        serde_json::from_slice(&fixture("catalog/macos-26-autumn-2025.json")).unwrap();
    broken["AssetSets"]["macOS"][2]["ProductVersion"] = "twenty-six".into();
    let response = import(&app, serde_json::to_vec(&broken).unwrap()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    assert!(
        body["message"].as_str().unwrap().contains("not changed"),
        "{body}"
    );
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, vec!["/AssetSets/macOS/2/ProductVersion"]);
    assert!(versions(&catalog(&app, "macOS").await).is_empty());
    assert_eq!(catalog(&app, "iOS").await, before);

    let response = import(&app, b"{\"hello\": 1}".to_vec()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("OSVersions")
    );

    let response = import(&app, b"{\"OSVersions\": [".to_vec()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

on_each_backend!(unknown_platforms_are_not_found_and_the_catalog_needs_a_token);
async fn unknown_platforms_are_not_found_and_the_catalog_needs_a_token(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app
        .admin(Method::GET, "/api/v1/catalog/tvOS")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .client
        .get(app.url("/api/v1/catalog/macOS"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .admin(Method::POST, "/api/v1/catalog/import")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn every_saved_real_feed_imports_and_a_second_import_changes_nothing() {
    let Some(folder) = shared_reference("os-feeds") else {
        return;
    };
    let app = spawn_app(crate::support::TestBackend::Sqlite).await;
    for file in [
        "gdmf-pmv.json",
        "sofa-v1-macos_data_feed.json",
        "sofa-v2-macos_data_feed.json",
        "sofa-v1-ios_data_feed.json",
        "sofa-v2-ios_data_feed.json",
        "sofa-v2-dms_consumers_lite.json",
    ] {
        let bytes = std::fs::read(folder.join(file)).unwrap();
        let first = import(&app, bytes.clone()).await;
        assert_eq!(first.status(), StatusCode::OK, "{file}");
        let second = json_body(import(&app, bytes).await).await;
        assert_eq!(second["added"], 0, "{file}: {second}");
        assert_eq!(second["updated"], 0, "{file}: {second}");
        assert_eq!(second["merged"], 0, "{file}: {second}");
    }
    let macos = catalog(&app, "macOS").await;
    let releases = macos["releases"].as_array().unwrap();
    assert!(releases.len() > 50, "{} macOS releases", releases.len());
    let mut keys: Vec<(String, String)> = releases
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap().to_owned(),
                r["build"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let count = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), count, "one entry per version and build");
    assert!(
        releases
            .iter()
            .any(|r| r["security"]["cveCount"].as_u64().unwrap_or(0) > 0),
        "SOFA's security counts reach the catalog"
    );
}
