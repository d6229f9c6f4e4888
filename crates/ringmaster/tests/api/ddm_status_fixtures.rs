//! The per-OS sample reports of `fixtures/status/<os>/` (first, incremental, full, errors), sent
//! in order through the real server as a device checking in: what the server then stores and
//! shows for the device (version with its supplemental suffix, build, model, a software-update
//! id only where real devices send one) and for its declarations and errors.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, TestBackend, admin_json, fixture, spawn_app};

/// `(folder, platform, version, build, model, softwareupdate.device-id)`; the build of a Mac on a
/// supplemental release is the supplemental one (`25D771280a`, as the catalog lists it).
type Sample = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

const DEVICES: [Sample; 7] = [
    ("macos-13", "macOS", "13.7.8", "22H730", "Mac14,2", None),
    ("macos-14", "macOS", "14.8.7", "23J520", "Mac14,2", None),
    (
        "macos-15",
        "macOS",
        "15.7.7",
        "24G720",
        "Mac16,12",
        Some("J713AP"),
    ),
    (
        "macos-26",
        "macOS",
        "26.3.1 (a)",
        "25D771280a",
        "Mac15,12",
        Some("J613AP"),
    ),
    ("ios-16", "iOS", "16.7.16", "20H392", "iPhone10,3", None),
    ("ios-17", "iOS", "17.7", "21H16", "iPhone14,5", None),
    (
        "ios-26",
        "iOS",
        "26.0.1",
        "23A355",
        "iPhone17,1",
        Some("iPhone17,1"),
    ),
];

async fn send_report(app: &TestApp, id: &str, body: Vec<u8>) -> StatusCode {
    app.client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", id)
        .header("X-Enrollment-Type", "Device")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("PUT status")
        .status()
}

on_each_backend!(each_os_sample_reports_are_stored_as_a_real_device_of_it);
async fn each_os_sample_reports_are_stored_as_a_real_device_of_it(backend: TestBackend) {
    let app = spawn_app(backend).await;
    for (dir, platform, version, build, model, device_id) in DEVICES {
        for report in ["first-report", "incremental", "full-report", "errors"] {
            let body = fixture(&format!("status/{dir}/{report}.json"));
            let status = send_report(&app, dir, body).await;
            assert_eq!(status, StatusCode::OK, "{backend:?} {dir}/{report}");
        }
        let device = admin_json(&app, &format!("/api/v1/devices/{dir}")).await;
        let what = format!("{backend:?} {dir}: {device}");
        assert_eq!(device["platform"], platform, "{what}");
        assert_eq!(device["osVersion"], version, "{what}");
        assert_eq!(device["osBuild"], build, "{what}");
        assert_eq!(device["model"], model, "{what}");
        assert_eq!(
            device["softwareUpdateDeviceId"].as_str(),
            device_id,
            "{what}"
        );
        assert_eq!(device["enrollmentType"], "device", "{what}");

        let status = admin_json(&app, &format!("/api/v1/devices/{dir}/status")).await;
        let declarations = status["declarations"].as_array().unwrap();
        let refused: Vec<&Value> = declarations
            .iter()
            .filter(|declaration| declaration["valid"] != "valid")
            .collect();
        assert_eq!(refused.len(), 1, "{backend:?} {dir}: {declarations:?}");
        let code = refused[0]["reasons"][0]["code"]
            .as_str()
            .unwrap_or_default();
        let expected = if dir.ends_with("-15") || dir.ends_with("-26") {
            "Error.ConfigurationIsInvalid"
        } else {
            "Error.UnknownDeclarationType"
        };
        assert_eq!(code, expected, "{backend:?} {dir}");
        let errors: Vec<&str> = status["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|error| error["statusItem"].as_str())
            .collect();
        let item_errors: &[&str] = if device_id.is_some() {
            &["softwareupdate.beta-enrollment"]
        } else {
            &[]
        };
        assert_eq!(errors, item_errors, "{backend:?} {dir}");
        let install_state = status["installState"].as_str();
        let expected_state = match dir {
            "macos-13" | "ios-16" => None,
            "macos-14" | "ios-17" => Some("failed"),
            "macos-26" => Some("none"),
            _ => Some("downloading"),
        };
        assert_eq!(install_state, expected_state, "{backend:?} {dir}: {status}");
    }
}
