//! Status reports over the DDM protocol and what admins then see: reports merged item by item,
//! the device's install state, failures, rejected declarations and legacy conflicts.

use jiff::SignedDuration;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::ddm_protocol::{
    SECRET, check_in, get_json, mac_report, options, rollout_setup, settings_item,
};
use crate::os_policies::send;
use crate::support::{TestBackend, admin_json, spawn_app_with};

on_each_backend!(reports_merge_and_admins_see_state_failures_rejections_and_conflicts);
async fn reports_merge_and_admins_see_state_failures_rejections_and_conflicts(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, Some(SECRET))).await;
    check_in(
        &app,
        Method::PUT,
        "status",
        "mac-1",
        Some(&mac_report("26.0.1", true)),
    )
    .await;
    rollout_setup(&app, "mac-1").await;
    let items = get_json(&app, "declaration-items", "mac-1").await;
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(status["state"], "pending");
    assert_eq!(status["targetVersion"], "26.1");
    assert_eq!(status["deadline"], "2025-11-17T17:00:00");
    assert_eq!(status["installState"], "none");

    // An incremental report: downloading, with the pending version; the OS items stay.
    let incremental = json!({"StatusItems": {"softwareupdate": {
        "install-state": "downloading",
        "pending-version": {"os-version": "26.1", "build-version": "25B78", "target-local-date-time": "2025-11-17T17:00:00"}
    }}});
    check_in(&app, Method::PUT, "status", "mac-1", Some(&incremental)).await;
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(status["installState"], "downloading");
    assert_eq!(status["pendingVersion"]["osVersion"], "26.1");
    assert_eq!(status["device"]["osVersion"], "26.0.1");
    assert_eq!(status["reports"], 2);

    // The device rejects its settings declaration; then its install fails.
    let settings = settings_item(&items);
    let rejection = json!({"StatusItems": {"management": {"declarations": {
        "activations": [], "assets": [], "management": [],
        "configurations": [{"identifier": settings["Identifier"], "server-token": settings["ServerToken"],
            "active": false, "valid": "invalid",
            "reasons": [{"code": "Error.UnknownPayloadKeys", "description": "Unknown payload keys"}]}]
    }}}});
    check_in(&app, Method::PUT, "status", "mac-1", Some(&rejection)).await;
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(status["state"], "declarationRejected");
    assert_eq!(
        status["rejectedDeclarations"],
        json!(["ringmaster.softwareupdate.settings"])
    );
    let declaration = &status["declarations"][0];
    assert_eq!(declaration["valid"], "invalid");
    assert_eq!(declaration["current"], true);
    assert_eq!(
        declaration["reasons"][0]["code"],
        "Error.UnknownPayloadKeys"
    );

    let accepted = json!({"StatusItems": {"management": {"declarations": {
        "activations": [], "assets": [], "management": [],
        "configurations": [{"identifier": settings["Identifier"], "server-token": settings["ServerToken"], "active": true, "valid": "valid"}]
    }}, "softwareupdate": {"install-state": "failed", "failure-reason": {"count": 1, "reason": "Not enough space"}}}});
    check_in(&app, Method::PUT, "status", "mac-1", Some(&accepted)).await;
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(status["state"], "failed");
    assert_eq!(status["failure"]["reason"], "Not enough space");

    // A full report replaces everything: installed, up to date.
    check_in(
        &app,
        Method::PUT,
        "status",
        "mac-1",
        Some(&mac_report("26.1", true)),
    )
    .await;
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(status["state"], "upToDate");
    assert_eq!(status["failure"], Value::Null);
    assert_eq!(status["declarations"], json!([]));

    // Overdue when the deadline passes on a device still behind; compliance counts it.
    check_in(
        &app,
        Method::PUT,
        "status",
        "mac-2",
        Some(&mac_report("26.0.1", true)),
    )
    .await;
    let early = admin_json(&app, "/api/v1/policy-groups").await[1]["id"]
        .as_i64()
        .unwrap();
    send(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{early}/bindings"),
        &json!({"devices": ["mac-1", "mac-2"]}),
    )
    .await;
    clock.advance(SignedDuration::from_hours(24 * 6));
    let compliance = admin_json(&app, "/api/v1/policy-groups/compliance?platform=macOS").await;
    let ring = compliance["rings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ring"] == "Early Adoption")
        .unwrap();
    assert_eq!(ring["counts"]["upToDate"], 1, "{compliance}");
    assert_eq!(ring["counts"]["overdue"], 1, "{compliance}");
    let policy = ring["policy"]["id"].as_i64().unwrap();
    let one = admin_json(&app, &format!("/api/v1/policies/{policy}/compliance")).await;
    let states: Vec<(&str, &str)> = one["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![("mac-1", "upToDate"), ("mac-2", "overdue")]);

    // The same on the command line.
    let at = clock.now().to_string();
    let run = crate::cli::ringmaster(&[
        "compliance",
        "--at",
        &at,
        "--devices",
        "--database",
        &app.database.url,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let early_row = run
        .stdout
        .lines()
        .find(|line| line.starts_with("Early Adoption"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let numbers: Vec<&str> = early_row.split_whitespace().skip(2).collect();
    assert_eq!(
        numbers,
        vec!["1", "0", "1", "0", "0", "0", "0", "0", "0"],
        "{early_row}"
    );
    assert!(
        run.stdout.contains("mac-2") && run.stdout.contains("overdue"),
        "{}",
        run.stdout
    );
    let run = crate::cli::ringmaster(&[
        "device-status",
        "mac-2",
        "--at",
        &at,
        "--database",
        &app.database.url,
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("state:       overdue"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("26.1 by 2025-11-17T17:00:00"),
        "{}",
        run.stdout
    );

    // A legacy patch policy recorded against mac-2 conflicts with DDM.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices/mac-2/legacy-mechanisms",
        &json!({"kind": "patchPolicy", "name": "macOS Updates (Jamf)"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices/mac-2/legacy-mechanisms",
        &json!({"kind": "script"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        admin_json(&app, "/api/v1/devices/mac-2/status").await["legacyConflict"],
        true
    );
    let one = admin_json(&app, &format!("/api/v1/policies/{policy}/compliance")).await;
    assert_eq!(one["counts"]["legacyConflict"], 1);
    let response = app
        .admin(
            Method::DELETE,
            "/api/v1/devices/mac-2/legacy-mechanisms/patchPolicy/macOS%20Updates%20(Jamf)",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        admin_json(&app, "/api/v1/devices/mac-2/status").await["legacyConflict"],
        false
    );
}
