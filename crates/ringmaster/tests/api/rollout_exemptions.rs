//! Device exemptions through the real server: while exempt a device is served no enforcement
//! (a new declarations token) and shows `exempt` in its status and its ring's compliance; the
//! exemption ends by itself when the manual clock passes `until` (and `?at=` agrees), ending it
//! early restores enforcement, and bad input answers 400 with a pointer and changes nothing.

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::cli::ringmaster;
use crate::ddm_target_builds::{ddm, enroll_in_first_ring, report};
use crate::os_policies::send;
use crate::support::{AppOptions, TestApp, TestBackend, admin_json, json_body, spawn_app_with};

fn two_releases() -> Value {
    json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.0.1", "Build": "25A362", "PostingDate": "2025-09-29",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]}
    ]}})
}

/// The served declaration identifiers and the token, over the check-in protocol.
async fn served(app: &TestApp, device: &str) -> (Vec<String>, String) {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    let ids = items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str().map(str::to_owned))
        .collect();
    (ids, items["DeclarationsToken"].as_str().unwrap().to_owned())
}

fn enforces(ids: &[String]) -> bool {
    ids.iter()
        .any(|id| id.starts_with("ringmaster.softwareupdate.enforcement"))
}

on_each_backend!(an_exempt_device_gets_no_enforcement_until_its_exemption_ends);
async fn an_exempt_device_gets_no_enforcement_until_its_exemption_ends(backend: TestBackend) {
    let start: Timestamp = "2025-11-12T09:00:00Z".parse().unwrap();
    let clock = Clock::manual(start);
    let app = spawn_app_with(
        backend,
        AppOptions {
            clock: clock.clone(),
            ..AppOptions::default()
        },
    )
    .await;
    enroll_in_first_ring(
        &app,
        &[("mac", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    let (ids, open_token) = served(&app, "mac").await;
    assert!(enforces(&ids), "{ids:?}");

    // Bad input: 400 by pointer, nothing written.
    for (body, pointer) in [
        (json!({"reason": "r"}), "/until"),
        (
            json!({"until": "2025-11-01T00:00:00Z", "reason": "r"}),
            "/until",
        ),
        (
            json!({"until": "2027-01-01T00:00:00Z", "reason": "r"}),
            "/until",
        ),
        (json!({"until": "next week", "reason": "r"}), "/until"),
        (json!({"until": "2025-11-20T00:00:00Z"}), "/reason"),
        (
            json!({"until": "2025-11-20T00:00:00Z", "reason": "r", "x": 1}),
            "/x",
        ),
    ] {
        let response = send(&app, Method::POST, "/api/v1/devices/mac/exemptions", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["pointer"], pointer, "{answer}");
    }
    let body = json!({"until": "2025-11-20T00:00:00Z", "reason": "travelling"});
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices/nobody/exemptions",
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let listed = admin_json(&app, "/api/v1/devices/mac/exemptions").await;
    assert_eq!(listed["exemptions"], json!([]), "{listed}");
    assert_eq!(served(&app, "mac").await.1, open_token);

    // Exempt: settings stay, enforcement goes, the token changes, the state is `exempt`.
    let response = send(&app, Method::POST, "/api/v1/devices/mac/exemptions", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{backend:?}");
    let created = json_body(response).await;
    assert_eq!(created["active"], true, "{created}");
    assert_eq!(created["reason"], "travelling");
    let (ids, exempt_token) = served(&app, "mac").await;
    assert!(!enforces(&ids), "{ids:?}");
    assert!(
        ids.iter().any(|id| id.contains("settings")),
        "settings stay: {ids:?}"
    );
    assert_ne!(exempt_token, open_token);
    let status = admin_json(&app, "/api/v1/devices/mac/status").await;
    assert_eq!(status["state"], "exempt", "{status}");
    let rings = admin_json(&app, "/api/v1/policy-groups/compliance").await;
    assert_eq!(rings["rings"][0]["counts"]["exempt"], 1, "{rings}");
    // `?at=` past `until` shows the device as it will be then.
    let later = admin_json(&app, "/api/v1/devices/mac/status?at=2025-11-20T00:00:00Z").await;
    assert_ne!(later["state"], "exempt", "{later}");
    let listed = admin_json(
        &app,
        "/api/v1/devices/mac/exemptions?at=2025-11-20T00:00:00Z",
    )
    .await;
    assert_eq!(listed["exemptions"][0]["active"], false, "{listed}");

    // The clock passes `until`: enforcement is back by itself.
    clock.set("2025-11-20T00:00:00Z".parse().unwrap());
    let (ids, expired_token) = served(&app, "mac").await;
    assert!(enforces(&ids), "{ids:?}");

    // A second exemption, ended early.
    let body = json!({"until": "2025-12-01T00:00:00Z", "reason": "a demo"});
    let created =
        json_body(send(&app, Method::POST, "/api/v1/devices/mac/exemptions", &body).await).await;
    assert!(!enforces(&served(&app, "mac").await.0));
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/devices/mac/exemptions/{id}");
    let response = app.admin(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (ids, token) = served(&app, "mac").await;
    assert!(enforces(&ids), "{ids:?}");
    let response = app.admin(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Only the expired one is left, and the device is served as before.
    assert_eq!(token, expired_token);
    let listed = admin_json(&app, "/api/v1/devices/mac/exemptions").await;
    assert_eq!(
        listed["exemptions"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
}

on_each_backend!(the_command_line_exempts_a_device_and_lists_its_exemptions);
async fn the_command_line_exempts_a_device_and_lists_its_exemptions(backend: TestBackend) {
    let app = crate::support::spawn_app(backend).await;
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": "mac", "platform": "macOS", "osVersion": "26.0"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let db = app.database.url.clone();
    let until = (Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
    let run = ringmaster(&[
        "device",
        "exempt",
        "mac",
        "--until",
        "soon",
        "--reason",
        "r",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("/until:"), "{run:?}");
    let run = ringmaster(&[
        "device",
        "exempt",
        "nobody",
        "--until",
        &until,
        "--reason",
        "r",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let run = ringmaster(&[
        "device",
        "exempt",
        "mac",
        "--until",
        &until,
        "--reason",
        "on leave",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("exempted mac until"), "{run:?}");
    let run = ringmaster(&["device", "exemptions", "mac", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("true    on leave"), "{}", run.stdout);
    let audit = crate::support::admin_json(&app, "/api/v1/audit?object=device/mac").await;
    assert_eq!(
        audit["entries"][0]["action"], "ringmaster device exempt",
        "{audit:#}"
    );
}
