//! Hardware identity and supplemental versions through the real server, on both backends:
//! a device's model and software-update id side by side in its document (API, backup and
//! restore), enforcement for a Mac known only by its model with the real gdmf and SOFA feeds,
//! and a Mac on a supplemental release shown, stored and scheduled with its `(a)`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, json_body, shared_reference, spawn_app};

/// When SOFA fetched the saved gdmf response.
const SNAPSHOT: &str = "2026-08-22T18:44:07Z";

async fn create_device(app: &TestApp, document: Value) -> Value {
    let response = send(app, Method::POST, "/api/v1/devices", &document).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{document}");
    json_body(response).await
}

/// The default rings' ids, earliest first.
async fn rings(app: &TestApp) -> Vec<(i64, String)> {
    let answer = json_body(
        app.admin(Method::POST, "/api/v1/policy-groups/defaults")
            .send()
            .await
            .unwrap(),
    )
    .await;
    answer["policyGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            (
                group["id"].as_i64().unwrap(),
                group["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn bind(app: &TestApp, ring: i64, devices: &[&str]) {
    let response = send(
        app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{ring}/bindings"),
        &json!({ "devices": devices }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(a_device_keeps_its_model_and_software_update_id_apart);
async fn a_device_keeps_its_model_and_software_update_id_apart(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let created = create_device(
        &app,
        json!({"id": "mac-1", "platform": "macOS", "osVersion": "26.5", "osBuild": "25F71",
               "model": "Mac15,3", "softwareUpdateDeviceId": "J504AP"}),
    )
    .await;
    assert_eq!(created["model"], "Mac15,3");
    assert_eq!(created["softwareUpdateDeviceId"], "J504AP");
    let only_model = create_device(
        &app,
        json!({"id": "mac-2", "platform": "macOS", "osVersion": "26.5", "model": "Mac14,2"}),
    )
    .await;
    assert_eq!(only_model["softwareUpdateDeviceId"], Value::Null);
    let listed = admin_json(&app, "/api/v1/devices").await;
    let first = &listed["devices"][0];
    assert_eq!(
        (&first["model"], &first["softwareUpdateDeviceId"]),
        (&json!("Mac15,3"), &json!("J504AP"))
    );
    let refused = send(
        &app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": "mac-3", "platform": "macOS", "osVersion": "26.5", "softwareUpdateDeviceId": 7}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(refused).await["errors"][0]["pointer"],
        "/softwareUpdateDeviceId"
    );

    // A full backup restored into a fresh installation gives both back.
    let zip = app
        .admin(Method::GET, "/api/v1/backup")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let fresh = spawn_app(backend).await;
    let restored = fresh
        .admin(Method::POST, "/api/v1/restore")
        .header("content-type", "application/zip")
        .body(zip.to_vec())
        .send()
        .await
        .unwrap();
    assert!(restored.status().is_success(), "{}", restored.status());
    let device = admin_json(&fresh, "/api/v1/devices/mac-1").await;
    assert_eq!(device["model"], "Mac15,3");
    assert_eq!(device["softwareUpdateDeviceId"], "J504AP");
}

on_each_backend!(with_the_real_feeds_a_mac_known_by_model_is_enforced_like_one_known_by_board_id);
async fn with_the_real_feeds_a_mac_known_by_model_is_enforced_like_one_known_by_board_id(
    backend: TestBackend,
) {
    let Some(feeds) = shared_reference("os-feeds") else {
        return;
    };
    let app = spawn_app(backend).await;
    for name in ["gdmf-pmv.json", "sofa-v2-macos_data_feed.json"] {
        let response = import(&app, std::fs::read(feeds.join(name)).unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        let report = json_body(response).await;
        if name.starts_with("sofa") {
            assert!(report["models"].as_u64().unwrap() > 50, "{report}");
        }
    }
    for (ring, name) in rings(&app).await {
        let by_model = format!("model-{ring}");
        let by_board = format!("board-{ring}");
        create_device(
            &app,
            json!({"id": by_model, "platform": "macOS", "osVersion": "26.5", "osBuild": "25F71", "model": "Mac15,3"}),
        )
        .await;
        create_device(
            &app,
            json!({"id": by_board, "platform": "macOS", "osVersion": "26.5", "osBuild": "25F71",
                   "softwareUpdateDeviceId": "J504AP"}),
        )
        .await;
        bind(&app, ring, &[&by_model, &by_board]).await;
        let schedule = |device: String| {
            let app = &app;
            async move {
                admin_json(
                    app,
                    &format!("/api/v1/devices/{device}/effective-policy?at={SNAPSHOT}"),
                )
                .await["schedule"]
                    .clone()
            }
        };
        let model_schedule = schedule(by_model.clone()).await;
        let board_schedule = schedule(by_board.clone()).await;
        assert!(
            model_schedule["targetVersion"].is_string(),
            "{name}: {model_schedule}"
        );
        for key in ["targetVersion", "targetBuild", "deadline", "overdue"] {
            assert_eq!(model_schedule[key], board_schedule[key], "{name}: {key}");
        }
        let explanation = model_schedule["explanation"].as_str().unwrap();
        assert!(
            explanation.contains("J504AP, which the feeds map to model Mac15,3"),
            "{name}: {explanation}"
        );
        let status = admin_json(
            &app,
            &format!("/api/v1/devices/{by_model}/status?at={SNAPSHOT}"),
        )
        .await;
        assert!(
            ["pending", "overdue"].contains(&status["state"].as_str().unwrap()),
            "{name}: {status}"
        );
    }
}

/// macOS 26.3.1 (25D2128) and its supplemental `26.3.1 (a)` (25D771280a), in gdmf's shape.
pub(crate) fn supplemental_catalog() -> Value {
    json!({
        "AssetSets": {"macOS": [
            {"ProductVersion": "26.3.1", "Build": "25D2128", "PostingDate": "2026-03-04",
             "SupportedDevices": ["J504AP"]}
        ]},
        "PublicBackgroundSecurityImprovements": {"macOS": [
            {"ProductVersion": "26.3.1", "ProductVersionExtra": "(a)", "Build": "25D771280a",
             "PrerequisiteBuild": "25D2128", "PostingDate": "2026-03-17",
             "SupportedDevices": ["J504AP"]}
        ]}
    })
}

fn report(extra: &str, supplemental_build: &str) -> Value {
    json!({
        "StatusItems": {
            "device": {
                "operating-system": {
                    "family": "macOS", "version": "26.3.1", "build-version": "25D2128",
                    "supplemental": {"extra-version": extra, "build-version": supplemental_build}
                },
                "model": {"identifier": "Mac15,3"}
            },
            "softwareupdate": {"device-id": "J504AP", "install-state": "none"}
        },
        "Errors": [],
        "FullReport": true
    })
}

async fn report_status(app: &TestApp, device: &str, body: &Value) {
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", device)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(a_mac_on_a_supplemental_release_is_on_it_everywhere);
async fn a_mac_on_a_supplemental_release_is_on_it_everywhere(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = import(&app, serde_json::to_vec(&supplemental_catalog()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let early = rings(&app).await[1].0;
    for device in ["on-base", "on-supplemental"] {
        let response = app
            .client
            .get(app.url("/ddm/tokens"))
            .header("X-Enrollment-ID", device)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    bind(&app, early, &["on-base", "on-supplemental"]).await;
    report_status(&app, "on-base", &report("", "25D2128")).await;
    report_status(&app, "on-supplemental", &report("(a)", "25D771280a")).await;

    let at = "2026-05-01T12:00:00Z";
    let base = admin_json(&app, &format!("/api/v1/devices/on-base/status?at={at}")).await;
    assert_eq!(base["device"]["osVersion"], "26.3.1");
    assert_eq!(base["device"]["osBuild"], "25D2128");
    assert_eq!(base["targetVersion"], "26.3.1 (a)");
    assert_eq!(base["state"], "overdue");

    let on = admin_json(
        &app,
        &format!("/api/v1/devices/on-supplemental/status?at={at}"),
    )
    .await;
    assert_eq!(on["device"]["osVersion"], "26.3.1 (a)", "{on}");
    assert_eq!(on["device"]["osBuild"], "25D771280a");
    assert_eq!(on["device"]["model"], "Mac15,3");
    assert_eq!(on["device"]["softwareUpdateDeviceId"], "J504AP");
    assert_eq!(on["state"], "upToDate", "{on}");
    assert_eq!(on["targetVersion"], Value::Null);
    let device = admin_json(&app, "/api/v1/devices/on-supplemental").await;
    assert_eq!(device["osVersion"], "26.3.1 (a)");
    let run = crate::cli::ringmaster(&[
        "device-status",
        "on-supplemental",
        "--at",
        at,
        "--database",
        &app.database.url,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    for line in [
        "runs:        macOS 26.3.1 (a)",
        "hardware:    model Mac15,3, software-update id J504AP",
        "state:       upToDate",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }

    // The letter alone (`a`, as Apple's schema shows it) reads the same.
    report_status(&app, "on-base", &report("a", "25D771280a")).await;
    let device = admin_json(&app, "/api/v1/devices/on-base").await;
    assert_eq!(device["osVersion"], "26.3.1 (a)");
}
