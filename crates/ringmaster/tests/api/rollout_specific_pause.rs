//! A specific-version policy paused by its own id, through the real server on both backends:
//! while paused its device is served no enforcement (its ring's settings stay) and shows
//! `paused`, the pause's answer lists it when its deadline is less than two hours away, and on
//! resume its fixed deadline moves so that it gets the time that remained when the pause began
//! (never overdue at once); a pause of the device's ring leaves the specific-version policy's
//! enforcement alone.

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::ddm_protocol::options;
use crate::ddm_target_builds::{ddm, enroll_in_first_ring, report, served_enforcement};
use crate::os_policies::send;
use crate::rollout_specific::{create_bound, force, two_releases};
use crate::support::{TestApp, TestBackend, admin_json, json_body, spawn_app_with};

async fn enforces(app: &TestApp, device: &str) -> bool {
    let items = json_body(ddm(app, Method::GET, "declaration-items", device, None).await).await;
    items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["Identifier"].as_str())
        .any(|id| id.starts_with("ringmaster.softwareupdate.enforcement"))
}

async fn post(app: &TestApp, path: &str, body: &Value) -> Value {
    let response = send(app, Method::POST, path, body).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    json_body(response).await
}

on_each_backend!(a_paused_specific_version_policy_withdraws_its_enforcement_and_resumes_fairly);
async fn a_paused_specific_version_policy_withdraws_its_enforcement_and_resumes_fairly(
    backend: TestBackend,
) {
    // Vanguard enforces 26.1 by Nov 7; the specific-version policy forces it by Nov 20, 18:00.
    let clock = Clock::manual("2025-11-20T16:30:00Z".parse::<Timestamp>().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    enroll_in_first_ring(
        &app,
        &[("behind", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    let created = create_bound(
        &app,
        &force("Force 26.1", "26.1", "2025-11-20T18:00:00"),
        &["behind"],
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        served_enforcement(&app, "behind").await["TargetLocalDateTime"],
        "2025-11-20T18:00:00"
    );

    // A pause of the ring leaves the specific-version policy's enforcement alone.
    let ring = admin_json(&app, "/api/v1/policy-groups").await[0]["id"].clone();
    let ring_pause = format!("/api/v1/policy-groups/{ring}/pause");
    let answer = post(&app, &ring_pause, &json!({"reason": "ring freeze"})).await;
    assert_eq!(answer["nearDeadlineCount"], 0, "{answer:#}");
    assert!(enforces(&app, "behind").await);
    post(
        &app,
        &format!("/api/v1/policy-groups/{ring}/resume"),
        &json!({}),
    )
    .await;

    // Paused by its own id, 90 minutes before the deadline: withdrawn, listed as near.
    let pause = format!("/api/v1/policies/{id}/pause");
    let answer = post(&app, &pause, &json!({"reason": "exam week"})).await;
    assert_eq!(answer["pause"]["subject"], "policy", "{answer:#}");
    assert_eq!(answer["nearDeadlineCount"], 1, "{answer:#}");
    assert_eq!(
        answer["nearDeadline"][0],
        json!({"deviceId": "behind", "targetVersion": "26.1", "deadline": "2025-11-20T18:00:00"})
    );
    assert!(!enforces(&app, "behind").await);
    let status = admin_json(&app, "/api/v1/devices/behind/status").await;
    assert_eq!(status["state"], "paused", "{status:#}");
    let view = admin_json(&app, "/api/v1/devices/behind/effective-policy").await;
    assert_eq!(view["enforcement"]["source"], "none", "{view:#}");
    assert!(
        view["specificVersion"]["reason"]
            .as_str()
            .is_some_and(|why| why.contains("paused since 2025-11-20T16:30:00Z")),
        "{view:#}"
    );

    // Two days later, long past the written deadline: resuming gives the 90 minutes that
    // remained, but never less than a day, from the resume.
    clock.set("2025-11-22T10:00:00Z".parse().unwrap());
    assert!(!enforces(&app, "behind").await);
    let resumed = post(&app, &format!("/api/v1/policies/{id}/resume"), &json!({})).await;
    assert_eq!(resumed["active"], false, "{resumed:#}");
    let payload = served_enforcement(&app, "behind").await;
    assert_eq!(payload["TargetOSVersion"], "26.1", "{payload}");
    assert_eq!(
        payload["TargetLocalDateTime"], "2025-11-23T10:00:00",
        "{payload}"
    );
    let status = admin_json(&app, "/api/v1/devices/behind/status").await;
    assert_eq!(
        status["state"], "pending",
        "not overdue at once: {status:#}"
    );
    // The plan shows the pause and the deadline as the device is served it.
    let path = format!("/api/v1/policies/{id}/plan?from=2025-11-01&to=2025-12-31");
    let plan = admin_json(&app, &path).await;
    let row = &plan["policies"][0];
    assert_eq!(
        row["releases"][0]["enforcedBy"], "2025-11-23T10:00:00",
        "{plan:#}"
    );
    assert_eq!(row["paused"][0]["reason"], "exam week", "{plan:#}");

    // Paused again for three days: only the latest pause is kept, so the written deadline,
    // long past when it began, moves to a day after it ends.
    clock.set("2025-11-22T12:00:00Z".parse().unwrap());
    let until = json!({"reason": "again", "until": "2025-11-25T12:00:00Z"});
    post(&app, &pause, &until).await;
    assert!(!enforces(&app, "behind").await);
    clock.set("2025-11-25T12:00:00Z".parse().unwrap());
    let payload = served_enforcement(&app, "behind").await;
    assert_eq!(
        payload["TargetLocalDateTime"], "2025-11-26T12:00:00",
        "{payload}"
    );
}
