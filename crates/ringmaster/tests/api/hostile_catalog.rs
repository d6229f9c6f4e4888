//! Hostile input on the catalog and admin JSON routes: versions Apple could not issue in an
//! imported feed, such a release already stored by an older ringmaster, deleting releases
//! (`DELETE /api/v1/catalog/{platform}/{version}` and `ringmaster catalog delete`), and deeply
//! nested JSON bodies.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::ringmaster;
use crate::ddm_protocol::mac_report;
use crate::hostile_checkin::{assert_client_error, assert_still_serving};
use crate::os_catalog::{catalog, import};
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, TestDatabase, fixture, load_rings, spawn_app};

const ABSURD: &str = "1000000000.1000000000.10000";

async fn os_update_revision(database: &TestDatabase) -> i64 {
    database
        .scalar("SELECT revision FROM os_update_counter WHERE id = 1")
        .await
}

fn versions(listed: &Value) -> Vec<String> {
    listed["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["version"].as_str().unwrap().to_owned())
        .collect()
}

/// The catalog, the default rings, and device `mac-1` on 26.0.1 bound to Early Adoption.
async fn fleet_of_one(app: &TestApp) {
    assert_eq!(
        import(app, fixture("catalog/macos-26-autumn-2025.json"))
            .await
            .status(),
        StatusCode::OK
    );
    let rings = load_rings(app).await;
    let report = mac_report("26.0.1", true);
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", "mac-1")
        .header("content-type", "application/json")
        .body(report.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let early = rings[1];
    let bound = send(
        app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{early}/bindings"),
        &json!({"devices": ["mac-1"]}),
    )
    .await;
    assert_eq!(bound.status(), StatusCode::OK);
}

async fn check_in_tokens(app: &TestApp) -> reqwest::Response {
    app.client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "mac-1")
        .send()
        .await
        .unwrap()
}

on_each_backend!(a_feed_with_a_version_apple_could_not_issue_is_refused_and_changes_nothing);
async fn a_feed_with_a_version_apple_could_not_issue_is_refused_and_changes_nothing(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let feed = json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.2", "Build": "25C56", "PostingDate": "2025-12-12"},
        {"ProductVersion": ABSURD, "Build": "99Z1", "PostingDate": "2025-12-12"}
    ]}});
    let error = assert_client_error(
        import(&app, feed.to_string().into_bytes()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        error["errors"][0]["pointer"], "/AssetSets/macOS/1/ProductVersion",
        "{error}"
    );
    assert!(versions(&catalog(&app, "macOS").await).is_empty());
    let sofa = json!({"UpdateHash": "x", "OSVersions": [{"OSVersion": "26",
        "SecurityReleases": [{"ProductName": "macOS", "ProductVersion": "26.1000",
                              "ReleaseDate": "2026-07-27"}]}]});
    let error = assert_client_error(
        import(&app, sofa.to_string().into_bytes()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        error["errors"][0]["pointer"], "/OSVersions/0/SecurityReleases/0/ProductVersion",
        "{error}"
    );
    assert_still_serving(&app).await;
}

on_each_backend!(a_stored_release_with_an_absurd_version_breaks_nothing_and_can_be_deleted);
async fn a_stored_release_with_an_absurd_version_breaks_nothing_and_can_be_deleted(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    fleet_of_one(&app).await;
    // As an older ringmaster stored it; the counter moves so every server reloads.
    app.database
        .execute(
            "INSERT INTO os_releases (platform, version_key, build, version, released_on, \
         first_seen_at, expires_on, supported_devices, security, prerequisite_build, source, \
         revision) VALUES ('macOS', '1000000000.1000000000.10000', '99Z1', \
         '1000000000.1000000000.10000', '2025-09-01', NULL, NULL, '[]', NULL, NULL, 'gdmf', \
         1); UPDATE os_update_counter SET revision = revision + 1 WHERE id = 1;",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;

    assert_eq!(check_in_tokens(&app).await.status(), StatusCode::OK);
    for path in [
        "/api/v1/policy-groups/compliance?platform=macOS",
        "/api/v1/devices/mac-1/declarations",
        "/api/v1/devices/mac-1/effective-policy",
        "/api/v1/policy-groups/plan?platform=macOS",
    ] {
        let response = app.admin(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(
        versions(&catalog(&app, "macOS").await),
        ["26.2", "26.1", "26.0.1", "26.0"],
        "the unreadable row is left out"
    );

    let before = os_update_revision(&app.database).await;
    let path = format!("/api/v1/catalog/macOS/{ABSURD}");
    let response = app.admin(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(os_update_revision(&app.database).await, before + 1);
    let error = assert_client_error(
        app.admin(Method::DELETE, &path).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{error}"
    );
    assert_eq!(
        os_update_revision(&app.database).await,
        before + 1,
        "a delete that finds nothing leaves the counter alone"
    );
    assert_still_serving(&app).await;
}

on_each_backend!(a_release_is_deleted_by_version_or_by_build);
async fn a_release_is_deleted_by_version_or_by_build(backend: TestBackend) {
    let app = spawn_app(backend).await;
    fleet_of_one(&app).await;
    let before = os_update_revision(&app.database).await;

    let response = app
        .admin(Method::DELETE, "/api/v1/catalog/macOS/26.2?build=00X0")
        .send()
        .await
        .unwrap();
    assert_client_error(response, StatusCode::NOT_FOUND).await;
    let response = app
        .admin(Method::DELETE, "/api/v1/catalog/macOS/26.2?build=25C56")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // `26.0.0` names the release written `26.0`.
    let response = app
        .admin(Method::DELETE, "/api/v1/catalog/macos/26.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(versions(&catalog(&app, "macOS").await), ["26.1", "26.0.1"]);
    assert_eq!(os_update_revision(&app.database).await, before + 2);

    for path in ["/api/v1/catalog/tvOS/26.1", "/api/v1/catalog/iOS/26.1"] {
        let response = app.admin(Method::DELETE, path).send().await.unwrap();
        assert_client_error(response, StatusCode::NOT_FOUND).await;
    }
    let response = app
        .client
        .delete(app.url("/api/v1/catalog/macOS/26.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(check_in_tokens(&app).await.status(), StatusCode::OK);
}

on_each_backend!(the_cli_deletes_a_release);
async fn the_cli_deletes_a_release(backend: TestBackend) {
    let app = spawn_app(backend).await;
    fleet_of_one(&app).await;
    let db = app.database.url.clone();
    let run = ringmaster(&[
        "catalog",
        "delete",
        "macOS",
        "26.2",
        "--build",
        "25C56",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("deleted 1 release(s)"), "{run:?}");
    let run = ringmaster(&["catalog", "delete", "macOS", "26.2", "--database", &db]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("does not exist"), "{run:?}");
    let run = ringmaster(&["catalog", "delete", "tvOS", "26.2", "--database", &db]).await;
    assert_eq!(run.code, 2, "{run:?}");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        versions(&catalog(&app, "macOS").await),
        ["26.1", "26.0.1", "26.0"]
    );
}

on_each_backend!(deeply_nested_json_bodies_are_refused_on_every_admin_reader);
async fn deeply_nested_json_bodies_are_refused_on_every_admin_reader(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let depth = 5_000;
    let nested = format!(r#"{{"id": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a": "#.repeat(depth), "}".repeat(depth));
    for path in [
        "/api/v1/title",
        "/api/v1/policies",
        "/api/v1/catalog/import",
        "/api/v1/devices",
    ] {
        for body in [&nested, &objects] {
            let response = app
                .admin(Method::POST, path)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_client_error(response, StatusCode::BAD_REQUEST).await;
        }
    }
    assert_still_serving(&app).await;
}

async fn declarations_token(app: &TestApp) -> String {
    let response = check_in_tokens(app).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens = crate::support::json_body(response).await;
    tokens["SyncTokens"]["DeclarationsToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

on_each_backend!(the_refresher_keeps_working_after_a_round_that_fails);
async fn the_refresher_keeps_working_after_a_round_that_fails(backend: TestBackend) {
    let app = spawn_app(backend).await;
    fleet_of_one(&app).await;
    let before = declarations_token(&app).await;
    // A row no ringmaster would write makes the next OS-update refresh fail.
    app.database
        .execute(
            "INSERT INTO update_policies (name, platform, document, group_id, revision, \
         created_at, updated_at) VALUES ('Broken', 'macOS', '{not json', NULL, 1, \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'); \
         UPDATE os_update_counter SET revision = revision + 1 WHERE id = 1;",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        declarations_token(&app).await,
        before,
        "the previous snapshot is served"
    );
    app.database
        .execute("DELETE FROM update_policies WHERE name = 'Broken'")
        .await;
    // Another process removes the newest release; this server must notice by itself.
    let run = ringmaster(&[
        "catalog",
        "delete",
        "macOS",
        "26.2",
        "--database",
        &app.database.url,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let started = std::time::Instant::now();
    while declarations_token(&app).await == before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the refresher stopped after the failed round"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_still_serving(&app).await;
}
