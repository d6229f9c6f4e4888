//! Real Apple devices through the real server: user channels are not devices, a Mac too old for
//! software-update declarations is `unsupported` with the reason, a User Enrollment device gets
//! no update declarations, and `TargetOSVersion` is written as the feed writes it.

use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::ddm_protocol::options;
use crate::os_catalog::import;
use crate::support::{
    TestApp, TestBackend, admin_json, fixture, json_body, load_rings, spawn_app_with,
};

async fn check_in(
    app: &TestApp,
    method: Method,
    endpoint: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/ddm/{endpoint}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    request.send().await.expect("check-in")
}

/// A first, full report in the shape a Mac sends (written here, not copied from a capture).
fn mac_report(version: &str) -> Value {
    json!({
        "StatusItems": {
            "device": {
                "operating-system": {"family": "macOS", "version": version, "build-version": "22G120"},
                "model": {"identifier": "Mac14,2", "family": "Mac"}
            },
            "management": {"client-capabilities": {
                "supported-versions": ["1.0.0"],
                "supported-payloads": {"declarations": {
                    "activations": ["com.apple.activation.simple"],
                    "configurations": ["com.apple.configuration.management.status-subscriptions"],
                    "assets": [], "management": []
                }, "status-items": ["device.operating-system.version"]}
            }}
        },
        "Errors": [],
        "FullReport": true
    })
}

/// The autumn-2025 macOS catalog, the default rings, and `device` bound to the first (Vanguard).
pub(crate) async fn bind_to_vanguard(app: &TestApp, device: &str) {
    import(app, fixture("catalog/macos-26-autumn-2025.json")).await;
    let vanguard = load_rings(app).await[0];
    let response = app
        .admin(
            Method::PUT,
            &format!("/api/v1/policy-groups/{vanguard}/bindings"),
        )
        .json(&json!({"devices": [device]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(a_user_channel_gets_an_empty_set_and_never_becomes_a_device);
async fn a_user_channel_gets_an_empty_set_and_never_becomes_a_device(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let user = [
        ("X-Enrollment-ID", "UDID-1:USER-1"),
        ("X-Enrollment-Type", "User"),
        ("X-Enrollment-ParentID", "UDID-1"),
    ];
    let items =
        json_body(check_in(&app, Method::GET, "declaration-items", &user, None).await).await;
    for kind in ["Activations", "Configurations", "Assets", "Management"] {
        assert_eq!(items["Declarations"][kind], json!([]), "{kind}");
    }
    let tokens = json_body(check_in(&app, Method::GET, "tokens", &user, None).await).await;
    assert_eq!(
        tokens["SyncTokens"]["DeclarationsToken"],
        items["DeclarationsToken"]
    );
    let fetched = check_in(
        &app,
        Method::GET,
        "declaration/configuration/ringmaster.status-subscriptions",
        &user,
        None,
    )
    .await;
    assert_eq!(fetched.status(), StatusCode::NOT_FOUND);
    let status = check_in(
        &app,
        Method::PUT,
        "status",
        &user,
        Some(&mac_report("26.0")),
    )
    .await;
    assert_eq!(status.status(), StatusCode::OK);
    let devices = admin_json(&app, "/api/v1/devices").await;
    assert_eq!(
        devices["devices"],
        json!([]),
        "{backend:?}: no phantom device"
    );
}

on_each_backend!(a_mac_on_13_is_unsupported_with_the_reason_and_keeps_its_subscriptions);
async fn a_mac_on_13_is_unsupported_with_the_reason_and_keeps_its_subscriptions(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let device = [
        ("X-Enrollment-ID", "mac-13"),
        ("X-Enrollment-Type", "Device"),
    ];
    let response = check_in(
        &app,
        Method::PUT,
        "status",
        &device,
        Some(&mac_report("13.6")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    bind_to_vanguard(&app, "mac-13").await;
    let items =
        json_body(check_in(&app, Method::GET, "declaration-items", &device, None).await).await;
    let configurations = items["Declarations"]["Configurations"].as_array().unwrap();
    assert_eq!(
        configurations.len(),
        1,
        "{backend:?}: only status subscriptions"
    );
    let status = admin_json(&app, "/api/v1/devices/mac-13/status").await;
    assert_eq!(status["state"], "unsupported", "{backend:?}");
    assert_eq!(
        status["unsupportedReason"],
        "macOS 13.6 cannot take software-update declarations; enforcement needs macOS 14"
    );
    assert_eq!(status["device"]["enrollmentType"], "device");
    assert_eq!(status["overdue"], false);
}

on_each_backend!(a_user_enrollment_device_gets_no_update_declarations);
async fn a_user_enrollment_device_gets_no_update_declarations(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let device = [
        ("X-Enrollment-ID", "byod-1"),
        ("X-Enrollment-Type", "User Enrollment (Device)"),
    ];
    let response = check_in(
        &app,
        Method::PUT,
        "status",
        &device,
        Some(&mac_report("26.0")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    bind_to_vanguard(&app, "byod-1").await;
    let items =
        json_body(check_in(&app, Method::GET, "declaration-items", &device, None).await).await;
    assert_eq!(
        items["Declarations"]["Configurations"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{backend:?}: status subscriptions only"
    );
    let status = admin_json(&app, "/api/v1/devices/byod-1/status").await;
    assert_eq!(status["state"], "unsupported");
    assert!(
        status["unsupportedReason"]
            .as_str()
            .unwrap()
            .contains("User Enrollment")
    );
    assert_eq!(status["device"]["enrollmentType"], "userEnrollmentDevice");
}
