//! Blocked releases and `maxVersion` caps through the real server: a blocked release is no
//! longer enforced (the one below is, under a new declarations token), unblocking restores it,
//! and bad input answers 400 with a pointer and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backup_full::full_backup;
use crate::backup_restore::restore;
use crate::cli::ringmaster;
use crate::ddm_target_builds::{app_at, ddm, enroll_in_first_ring, report, served_enforcement};
use crate::os_catalog::catalog;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, json_body};

fn two_releases() -> Value {
    json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.0.1", "Build": "25A362", "PostingDate": "2025-09-29",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]}
    ]}})
}

async fn declarations_token(app: &TestApp, device: &str) -> String {
    let tokens = json_body(ddm(app, Method::GET, "tokens", device, None).await).await;
    tokens["SyncTokens"]["DeclarationsToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {tokens}"))
        .to_owned()
}

async fn block(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    send(app, Method::POST, path, body).await
}

on_each_backend!(a_blocked_release_gives_way_to_the_one_below_until_it_is_unblocked);
async fn a_blocked_release_gives_way_to_the_one_below_until_it_is_unblocked(backend: TestBackend) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    enroll_in_first_ring(
        &app,
        &[("mac", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    assert_eq!(
        served_enforcement(&app, "mac").await["TargetOSVersion"],
        "26.1"
    );
    let open_token = declarations_token(&app, "mac").await;

    // Bad bodies: 400 by pointer, nothing blocked, nothing served differently.
    for (body, pointer) in [
        (json!({}), "/reason"),
        (json!({"reason": "   "}), "/reason"),
        (json!({"reason": 7}), "/reason"),
        (json!({"reason": "x".repeat(501)}), "/reason"),
        (json!({"reason": "ok", "until": "tomorrow"}), "/until"),
    ] {
        let response = block(&app, "/api/v1/catalog/macOS/26.1/block", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["pointer"], pointer, "{answer}");
    }
    let response = block(
        &app,
        "/api/v1/catalog/macOS/banana/block",
        &json!({"reason": "r"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = block(
        &app,
        "/api/v1/catalog/windows/26.1/block",
        &json!({"reason": "r"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(catalog(&app, "macOS").await.get("blocked"), None);
    assert_eq!(declarations_token(&app, "mac").await, open_token);

    // Blocked: the release below is enforced, under a new token.
    let response = block(
        &app,
        "/api/v1/catalog/macOS/26.1/block",
        &json!({"reason": "breaks the VPN client"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
    let answer = json_body(response).await;
    assert_eq!(answer["version"], "26.1");
    assert_eq!(answer["reason"], "breaks the VPN client");
    assert_eq!(answer["blockedAt"], "2025-11-12T09:00:00Z");
    assert!(answer["blockedBy"].is_string(), "{answer}");
    let payload = served_enforcement(&app, "mac").await;
    assert_eq!(
        payload["TargetOSVersion"], "26.0.1",
        "{backend:?}: {payload}"
    );
    let blocked_token = declarations_token(&app, "mac").await;
    assert_ne!(blocked_token, open_token);

    let listed = catalog(&app, "macOS").await;
    assert_eq!(listed["blocked"][0]["version"], "26.1", "{listed}");
    let releases = listed["releases"].as_array().unwrap();
    let of = |version: &str| {
        releases
            .iter()
            .find(|release| release["version"] == version)
            .unwrap()
            .clone()
    };
    assert_eq!(of("26.1")["blocked"]["reason"], "breaks the VPN client");
    assert_eq!(of("26.0.1").get("blocked"), None);

    // The effective policy says why 26.1 is not the target.
    let effective = json_body(
        app.admin(Method::GET, "/api/v1/devices/mac/effective-policy")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(effective.to_string().contains("\"blocked\""), "{effective}");

    // Unblocked: 26.1 again, and the token it had.
    let response = block(&app, "/api/v1/catalog/macOS/26.1/unblock", &json!({})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        served_enforcement(&app, "mac").await["TargetOSVersion"],
        "26.1"
    );
    assert_eq!(declarations_token(&app, "mac").await, open_token);
    assert_eq!(catalog(&app, "macOS").await.get("blocked"), None);
    let response = block(&app, "/api/v1/catalog/macOS/26.1/unblock", &json!({})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

on_each_backend!(a_bad_max_version_is_refused_by_pointer);
async fn a_bad_max_version_is_refused_by_pointer(backend: TestBackend) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    let policy = |cap: Value| {
        json!({
            "name": "Capped", "platform": "macOS",
            "enforcement": {"enabled": true, "localTime": "17:00", "maxVersion": cap}
        })
    };
    for cap in [json!("fifteen"), json!(15.99), json!("1.2.3.4")] {
        let response = send(&app, Method::POST, "/api/v1/policies", &policy(cap.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{cap}");
        let answer = json_body(response).await;
        assert_eq!(
            answer["errors"][0]["pointer"], "/enforcement/maxVersion",
            "{answer}"
        );
    }
    let listed = json_body(
        app.admin(Method::GET, "/api/v1/policies")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!listed.to_string().contains("Capped"), "{listed}");
    let response = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &policy(json!("15.99")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        json_body(response).await["enforcement"]["maxVersion"],
        "15.99"
    );
}

on_each_backend!(a_block_survives_a_full_backup_and_restore);
async fn a_block_survives_a_full_backup_and_restore(backend: TestBackend) {
    let source = app_at(backend, "2025-11-12T09:00:00Z").await;
    enroll_in_first_ring(
        &source,
        &[("mac", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    let response = block(
        &source,
        "/api/v1/catalog/macOS/26.1/block",
        &json!({"reason": "breaks the VPN client"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let zip = full_backup(&source).await;

    let target = app_at(backend, "2025-11-12T09:00:00Z").await;
    let response = restore(&target, "", zip).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let listed = catalog(&target, "macOS").await;
    assert_eq!(
        listed["blocked"][0]["reason"], "breaks the VPN client",
        "{listed}"
    );
    assert_eq!(
        served_enforcement(&target, "mac").await["TargetOSVersion"],
        "26.0.1",
        "{backend:?}"
    );
}

on_each_backend!(the_command_line_blocks_and_unblocks_and_a_server_sees_it);
async fn the_command_line_blocks_and_unblocks_and_a_server_sees_it(backend: TestBackend) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    let db = app.database.url.clone();
    let run = ringmaster(&[
        "catalog",
        "block",
        "macOS",
        "26.1",
        "--reason",
        " ",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("/reason: reason must not be blank"),
        "{run:?}"
    );
    let run = ringmaster(&[
        "catalog",
        "block",
        "macOS",
        "26.1",
        "--reason",
        "breaks the VPN client",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("blocked macOS 26.1"), "{run:?}");
    // The server picks the block up with its periodic refresh.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let listed = catalog(&app, "macOS").await;
        if listed["blocked"][0]["reason"] == "breaks the VPN client" {
            assert_eq!(listed["blocked"][0]["blockedBy"], Value::Null);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{listed}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let run = ringmaster(&["catalog", "unblock", "macOS", "26.1", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let run = ringmaster(&["catalog", "unblock", "macOS", "26.1", "--database", &db]).await;
    assert_eq!(run.code, 1, "{run:?}");
    // Each change is in the audit log, on the release; the refused unblock is not.
    let audit =
        crate::support::admin_json(&app, "/api/v1/audit?object=catalog-release/macOS:26.1").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["ringmaster catalog unblock", "ringmaster catalog block"],
        "{audit:#}"
    );
}
