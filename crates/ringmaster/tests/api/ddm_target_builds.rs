//! `TargetBuildVersion` through the check-in protocol: sent when the target version has one
//! build for the device's hardware, left out when it has two (the device picks), and always sent
//! for a supplemental release.

use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::hardware_identity::supplemental_catalog;
use crate::os_catalog::import;
use crate::support::{AppOptions, TestApp, TestBackend, json_body, load_rings, spawn_app_with};

pub(crate) async fn ddm(
    app: &TestApp,
    method: Method,
    endpoint: &str,
    device: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/ddm/{endpoint}")))
        .header("X-Enrollment-ID", device);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    request.send().await.expect("check-in")
}

pub(crate) fn report(version: &str, build: &str, board: &str, model: &str) -> Value {
    json!({
        "StatusItems": {
            "device": {
                "operating-system": {"family": "macOS", "version": version, "build-version": build},
                "model": {"identifier": model}
            },
            "softwareupdate": {"device-id": board, "install-state": "none"}
        },
        "Errors": [],
        "FullReport": true
    })
}

/// The enforcement payload `device` is served over the check-in protocol.
pub(crate) async fn served_enforcement(app: &TestApp, device: &str) -> Value {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    let identifier = items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str())
        .find(|id| id.starts_with("ringmaster.softwareupdate.enforcement"))
        .unwrap_or_else(|| panic!("{device}: no enforcement in {items}"))
        .to_owned();
    let response = ddm(
        app,
        Method::GET,
        &format!("declaration/configuration/{identifier}"),
        device,
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["Payload"].clone()
}

pub(crate) async fn app_at(backend: crate::support::TestBackend, now: &str) -> TestApp {
    spawn_app_with(
        backend,
        AppOptions {
            clock: Clock::manual(now.parse().unwrap()),
            ..AppOptions::default()
        },
    )
    .await
}

pub(crate) async fn enroll_in_first_ring(
    app: &TestApp,
    devices: &[(&str, Value)],
    catalog: &Value,
) {
    for (device, body) in devices {
        let response = ddm(app, Method::PUT, "status", device, Some(body)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = import(app, serde_json::to_vec(catalog).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ring = load_rings(app).await[0];
    let ids: Vec<&str> = devices.iter().map(|(id, _)| *id).collect();
    let response = app
        .admin(
            Method::PUT,
            &format!("/api/v1/policy-groups/{ring}/bindings"),
        )
        .json(&json!({ "devices": ids }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(one_build_on_the_hardware_is_targeted_and_two_are_left_to_the_device);
async fn one_build_on_the_hardware_is_targeted_and_two_are_left_to_the_device(
    backend: TestBackend,
) {
    let app = app_at(backend, "2025-11-12T09:00:00Z").await;
    let catalog = json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.0.1", "Build": "25A362", "PostingDate": "2025-09-29",
         "SupportedDevices": ["J413AP", "J274AP"]},
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.1", "Build": "25B79", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP", "J274AP"]}
    ]}});
    enroll_in_first_ring(
        &app,
        &[
            (
                "two-builds",
                report("26.0.1", "25A362", "J413AP", "Mac16,1"),
            ),
            (
                "one-build",
                report("26.0.1", "25A362", "J274AP", "Macmini9,1"),
            ),
        ],
        &catalog,
    )
    .await;
    let two = served_enforcement(&app, "two-builds").await;
    assert_eq!(two["TargetOSVersion"], "26.1", "{backend:?}");
    assert_eq!(two.get("TargetBuildVersion"), None, "{backend:?}: {two}");
    let one = served_enforcement(&app, "one-build").await;
    assert_eq!(one["TargetOSVersion"], "26.1", "{backend:?}");
    assert_eq!(one["TargetBuildVersion"], "25B79", "{backend:?}: {one}");
}

on_each_backend!(a_supplemental_release_is_always_targeted_by_its_build);
async fn a_supplemental_release_is_always_targeted_by_its_build(backend: TestBackend) {
    let app = app_at(backend, "2026-03-25T09:00:00Z").await;
    let catalog = supplemental_catalog();
    enroll_in_first_ring(
        &app,
        &[("on-base", report("26.3.1", "25D2128", "J504AP", "Mac15,3"))],
        &catalog,
    )
    .await;
    let payload = served_enforcement(&app, "on-base").await;
    assert_eq!(
        payload["TargetBuildVersion"], "25D771280a",
        "{backend:?}: {payload}"
    );
}
