//! Pausing and resuming a ring and a policy through the real server: while paused its devices
//! are served no enforcement (a new declarations token) and show `paused`; the answer lists the
//! devices whose deadline is less than two hours away; on resume the grace period restarts from
//! the resume day so no device is overdue at once; the audit log records both; bad input answers
//! 400 with a pointer and changes nothing; the CLI does the same.

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

/// Whether the device is served an enforcement declaration, and its declarations token.
async fn served(app: &TestApp, device: &str) -> (bool, String) {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    let enforces = items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str())
        .any(|id| id.starts_with("ringmaster.softwareupdate.enforcement"));
    (
        enforces,
        items["DeclarationsToken"].as_str().unwrap().to_owned(),
    )
}

async fn first_ring(app: &TestApp) -> i64 {
    let groups = admin_json(app, "/api/v1/policy-groups").await;
    groups[0]["id"].as_i64().unwrap()
}

on_each_backend!(a_paused_ring_withdraws_enforcement_and_its_resume_restarts_the_grace_period);
async fn a_paused_ring_withdraws_enforcement_and_its_resume_restarts_the_grace_period(
    backend: TestBackend,
) {
    // Vanguard: 26.1 (Nov 3) visible Nov 4, deadline Nov 7 17:00; 90 minutes before it.
    let clock = Clock::manual("2025-11-07T15:30:00Z".parse::<Timestamp>().unwrap());
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
    let ring = first_ring(&app).await;
    let pause = format!("/api/v1/policy-groups/{ring}/pause");
    let (enforces, open_token) = served(&app, "mac").await;
    assert!(enforces);

    // Bad input: 400 by pointer, nothing written; an unknown ring is 404.
    for (body, pointer) in [
        (json!({}), "/reason"),
        (json!({"reason": " "}), "/reason"),
        (
            json!({"reason": "r", "until": "2025-11-01T00:00:00Z"}),
            "/until",
        ),
        (json!({"reason": "r", "until": "soon"}), "/until"),
        (json!({"reason": "r", "x": 1}), "/x"),
    ] {
        let response = send(&app, Method::POST, &pause, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["pointer"], pointer, "{answer}");
    }
    let body = json!({"reason": "VPN client breaks on 26.1"});
    let response = send(&app, Method::POST, "/api/v1/policy-groups/999/pause", &body).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(served(&app, "mac").await, (true, open_token.clone()));

    // Paused: enforcement withdrawn, the near deadline listed, the state `paused`.
    let response = send(&app, Method::POST, &pause, &body).await;
    assert_eq!(response.status(), StatusCode::OK, "{backend:?}");
    let answer = json_body(response).await;
    assert_eq!(answer["pause"]["active"], true, "{answer}");
    assert_eq!(answer["pause"]["subject"], "policyGroup");
    assert_eq!(answer["pause"]["until"], Value::Null);
    assert_eq!(answer["nearDeadlineCount"], 1, "{answer}");
    assert_eq!(
        answer["nearDeadline"][0],
        json!({"deviceId": "mac", "targetVersion": "26.1", "deadline": "2025-11-07T17:00:00"})
    );
    let (enforces, paused_token) = served(&app, "mac").await;
    assert!(!enforces);
    assert_ne!(paused_token, open_token);
    let status = admin_json(&app, "/api/v1/devices/mac/status").await;
    assert_eq!(status["state"], "paused", "{status}");
    let rings = admin_json(&app, "/api/v1/policy-groups/compliance").await;
    assert_eq!(rings["rings"][0]["counts"]["paused"], 1, "{rings}");
    let effective = admin_json(&app, "/api/v1/devices/mac/effective-policy").await;
    let explanation = effective["schedule"]["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("paused since 2025-11-07T15:30:00Z"),
        "{explanation}"
    );
    assert!(explanation.contains("holds 26.1"), "{explanation}");
    // The plan shows the paused span, in JSON and in the picture.
    let plan = admin_json(&app, "/api/v1/policy-groups/plan").await;
    let paused = &plan["policies"][0]["paused"];
    assert_eq!(paused[0]["since"], "2025-11-07T15:30:00Z", "{plan}");
    assert_eq!(paused[0]["until"], Value::Null);
    assert_eq!(plan["policies"][2]["paused"], json!([]), "{plan}");
    let svg = app
        .admin(Method::GET, "/api/v1/policy-groups/plan?format=svg")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(svg.contains("paused since 2025-11-07"), "{svg}");
    // The same pause again changes nothing.
    let again = json_body(send(&app, Method::POST, &pause, &body).await).await;
    assert_eq!(again["pause"]["pausedAt"], answer["pause"]["pausedAt"]);

    // Resumed three days later: grace restarts from the resume day (3 days), not overdue.
    clock.set("2025-11-10T10:00:00Z".parse().unwrap());
    let resume = format!("/api/v1/policy-groups/{ring}/resume");
    let response = send(&app, Method::POST, &resume, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let resumed = json_body(response).await;
    assert_eq!(resumed["resumedAt"], "2025-11-10T10:00:00Z", "{resumed}");
    assert_eq!(resumed["active"], false);
    assert!(served(&app, "mac").await.0);
    let status = admin_json(&app, "/api/v1/devices/mac/status").await;
    assert_eq!(status["state"], "pending", "{status}");
    let effective = admin_json(&app, "/api/v1/devices/mac/effective-policy").await;
    assert_eq!(
        effective["schedule"]["deadline"], "2025-11-13T17:00:00",
        "{effective}"
    );
    assert_eq!(effective["schedule"]["overdue"], false);
    // `?at=` before the resume shows the pause; resuming twice answers the ended pause.
    let before = admin_json(&app, "/api/v1/devices/mac/status?at=2025-11-09T00:00:00Z").await;
    assert_eq!(before["state"], "paused", "{before}");
    let twice = send(&app, Method::POST, &resume, &json!({})).await;
    assert_eq!(twice.status(), StatusCode::OK);
    let never = format!(
        "/api/v1/policies/{}/resume",
        effective["policy"]["id"].as_i64().unwrap()
    );
    let response = send(&app, Method::POST, &never, &json!({})).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The audit log records the pause and the resume.
    let audit = admin_json(&app, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"POST /api/v1/policy-groups/{id}/pause"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"POST /api/v1/policy-groups/{id}/resume"),
        "{actions:?}"
    );
}

on_each_backend!(a_paused_policy_with_an_end_is_enforced_again_after_it);
async fn a_paused_policy_with_an_end_is_enforced_again_after_it(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse::<Timestamp>().unwrap());
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
    let effective = admin_json(&app, "/api/v1/devices/mac/effective-policy").await;
    let policy = effective["policy"]["id"].as_i64().unwrap();
    let body = json!({"reason": "freeze week", "until": "2025-11-14T00:00:00Z"});
    let path = format!("/api/v1/policies/{policy}/pause");
    let answer = json_body(send(&app, Method::POST, &path, &body).await).await;
    assert_eq!(answer["pause"]["subject"], "policy", "{answer}");
    assert_eq!(answer["nearDeadlineCount"], 0, "already overdue: {answer}");
    assert!(!served(&app, "mac").await.0);
    let after = admin_json(&app, "/api/v1/devices/mac/status?at=2025-11-14T00:00:00Z").await;
    assert_eq!(after["state"], "pending", "{after}");
    clock.set("2025-11-14T00:00:00Z".parse().unwrap());
    assert!(served(&app, "mac").await.0);
}

on_each_backend!(the_command_line_pauses_and_resumes_a_ring_by_name);
async fn the_command_line_pauses_and_resumes_a_ring_by_name(backend: TestBackend) {
    let app = crate::support::spawn_app(backend).await;
    let response = app
        .admin(Method::POST, "/api/v1/policy-groups/defaults")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let db = app.database.url.clone();
    let run = ringmaster(&[
        "ring",
        "pause",
        "Nowhere",
        "--reason",
        "r",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let run = ringmaster(&[
        "ring",
        "pause",
        "Vanguard",
        "--reason",
        "r",
        "--until",
        "soon",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("/until:"), "{run:?}");
    let run = ringmaster(&[
        "ring",
        "pause",
        "Vanguard",
        "--reason",
        "bad build",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("paused policy-group"), "{run:?}");
    let run = ringmaster(&["ring", "resume", "Vanguard", "--database", &db]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("resumed at"), "{run:?}");
    let run = ringmaster(&[
        "policy",
        "pause",
        "Vanguard (macOS)",
        "--reason",
        "r",
        "--database",
        &db,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let audit = admin_json(&app, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "ringmaster ring pause",
        "ringmaster ring resume",
        "ringmaster policy pause",
    ] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}
