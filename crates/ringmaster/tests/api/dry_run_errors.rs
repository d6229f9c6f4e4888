//! A refused dry run answers exactly what the real write answers (status and body: the same
//! pointers, parameters and messages), for every route that takes `?dryRun=true` (pauses,
//! resumes and gates among them), and neither changes anything.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::ddm_target_builds::{app_at, enroll_in_first_ring, report};
use crate::dry_run::two_releases;
use crate::os_policies::{lab_policy, send};
use crate::support::{TestApp, TestBackend, admin_json, json_body, load_rings};

/// A refused write: method, path, body, `If-Match`, and the status the real write answers.
type Case<'a> = (Method, String, Option<Value>, Option<&'a str>, StatusCode);

/// The status and body of one request, `If-Match` given when `if_match` is.
async fn answer(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app.admin(method.clone(), path);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    if let Some(revision) = if_match {
        request = request.header("if-match", revision);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

on_each_backend!(a_refused_dry_run_answers_exactly_what_the_real_write_answers);
async fn a_refused_dry_run_answers_exactly_what_the_real_write_answers(backend: TestBackend) {
    let app = app_at(backend, "2025-11-05T09:00:00Z").await;
    enroll_in_first_ring(
        &app,
        &[("mac-a", report("26.0", "25A354", "J413AP", "Mac16,1"))],
        &two_releases(),
    )
    .await;
    let rings = load_rings(&app).await;
    let response = send(&app, Method::POST, "/api/v1/policies", &lab_policy()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let lab = json_body(response).await;
    let lab_path = format!("/api/v1/policies/{}", lab["id"]);
    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "lab", "devices": ["mac-a"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let group = json_body(response).await["id"].clone();
    let mut ios_lab = lab_policy();
    ios_lab["platform"] = json!("iOS");
    let mut bad_policy = lab_policy();
    bad_policy["deferrals"]["minorDays"] = json!(500);
    bad_policy["surprise"] = json!(true);
    let group_bindings = format!("/api/v1/policy-groups/{}/bindings", rings[0]);
    let gated = format!("/api/v1/policy-groups/{}/gate", rings[1]);
    let gate = json!({"after": rings[0], "minInstalledPercent": 80, "maxFailedPercent": 5});
    assert_eq!(
        send(&app, Method::PUT, &gated, &gate).await.status(),
        StatusCode::OK
    );
    let first_gate = format!("/api/v1/policy-groups/{}/gate", rings[0]);
    let ring_pause = format!("/api/v1/policy-groups/{}/pause", rings[0]);
    let lab_pause = format!("{lab_path}/pause");
    let stale = (lab["revision"].as_i64().unwrap() + 100).to_string();

    let refused: Vec<Case> = vec![
        (
            Method::POST,
            "/api/v1/policies".into(),
            Some(bad_policy.clone()),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/policies".into(),
            Some(json!([1])),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/policies".into(),
            Some(lab_policy()),
            None,
            StatusCode::CONFLICT,
        ),
        (
            Method::PUT,
            lab_path.clone(),
            Some(bad_policy),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PUT,
            lab_path.clone(),
            Some(ios_lab),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PUT,
            lab_path.clone(),
            Some(lab_policy()),
            Some(&stale),
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            Method::PUT,
            "/api/v1/policies/999".into(),
            Some(lab_policy()),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            lab_path.clone(),
            None,
            Some(&stale),
            StatusCode::PRECONDITION_FAILED,
        ),
        (
            Method::DELETE,
            "/api/v1/policies/999".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/api/v1/policies/abc".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::PUT,
            group_bindings.clone(),
            Some(json!({"devices": ["mac-a", "ghost"], "deviceGroups": [999]})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PUT,
            group_bindings,
            Some(json!({"device": []})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PUT,
            "/api/v1/policy-groups/999/bindings".into(),
            Some(json!({"devices": []})),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/v1/catalog/macOS/26.1/block".into(),
            Some(json!({"reason": ""})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/catalog/macOS/banana/block".into(),
            Some(json!({"reason": "r"})),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/v1/catalog/macOS/26.1/unblock".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/v1/devices/mac-a/exemptions".into(),
            Some(json!({"until": "2025-11-01T00:00:00Z", "reason": "r"})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/devices/ghost/exemptions".into(),
            Some(json!({"until": "2025-11-20T00:00:00Z", "reason": "r"})),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/api/v1/devices/mac-a/exemptions/77".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/v1/catalog/import".into(),
            Some(json!({"AssetSets": {"macOS": [{"ProductVersion": "x"}]}})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/catalog/import".into(),
            Some(json!({"nothing": 1})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::DELETE,
            "/api/v1/catalog/macOS/27.0".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/api/v1/catalog/macOS/26.1?build=XYZ".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/v1/device-groups".into(),
            Some(json!({"name": "other", "devices": ["mac-a", "ghost"]})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/api/v1/device-groups".into(),
            Some(json!({"name": "lab", "devices": []})),
            None,
            StatusCode::CONFLICT,
        ),
        (
            Method::PUT,
            format!("/api/v1/device-groups/{group}"),
            Some(json!({"name": "lab", "devices": ["ghost"]})),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PUT,
            "/api/v1/device-groups/999".into(),
            Some(json!({"name": "x", "devices": []})),
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/api/v1/device-groups/999".into(),
            None,
            None,
            StatusCode::NOT_FOUND,
        ),
    ];
    let bad = StatusCode::BAD_REQUEST;
    let missing = StatusCode::NOT_FOUND;
    let rollout: Vec<Case> = vec![
        (Method::POST, ring_pause.clone(), Some(json!({})), None, bad),
        (
            Method::POST,
            ring_pause.clone(),
            Some(json!([1])),
            None,
            bad,
        ),
        (
            Method::POST,
            ring_pause,
            Some(json!({"reason": "r", "until": "2025-11-01T00:00:00Z", "x": 1})),
            None,
            bad,
        ),
        (
            Method::POST,
            lab_pause,
            Some(json!({"reason": "r", "until": "soon"})),
            None,
            bad,
        ),
        (
            Method::POST,
            "/api/v1/policy-groups/999/pause".into(),
            Some(json!({"reason": "r"})),
            None,
            missing,
        ),
        (
            Method::POST,
            "/api/v1/policies/abc/pause".into(),
            Some(json!({"reason": "r"})),
            None,
            missing,
        ),
        (
            Method::POST,
            format!("/api/v1/policy-groups/{}/resume", rings[0]),
            None,
            None,
            missing,
        ),
        (
            Method::POST,
            format!("{lab_path}/resume"),
            None,
            None,
            missing,
        ),
        (
            Method::POST,
            "/api/v1/policies/999/resume".into(),
            None,
            None,
            missing,
        ),
        (
            Method::PUT,
            first_gate.clone(),
            Some(json!({"after": rings[1], "minInstalledPercent": 1, "maxFailedPercent": 1})),
            None,
            bad,
        ),
        (
            Method::PUT,
            first_gate.clone(),
            Some(json!({"after": 999, "minInstalledPercent": 1, "maxFailedPercent": 1})),
            None,
            bad,
        ),
        (
            Method::PUT,
            first_gate.clone(),
            Some(json!({"after": 0, "minInstalledPercent": 101, "surprise": 1})),
            None,
            bad,
        ),
        (
            Method::PUT,
            "/api/v1/policy-groups/999/gate".into(),
            Some(json!({"after": rings[0], "minInstalledPercent": 1, "maxFailedPercent": 1})),
            None,
            missing,
        ),
        (Method::DELETE, first_gate, None, None, missing),
        (
            Method::DELETE,
            "/api/v1/policy-groups/999/gate".into(),
            None,
            None,
            missing,
        ),
    ];
    let refused: Vec<Case> = refused.into_iter().chain(rollout).collect();
    let groups_before = admin_json(&app, "/api/v1/policy-groups").await;
    let policies = admin_json(&app, "/api/v1/policies").await;
    let groups = admin_json(&app, "/api/v1/device-groups").await;
    let catalog = admin_json(&app, "/api/v1/catalog/macOS").await;
    for (method, path, body, if_match, status) in &refused {
        let real = answer(&app, method, path, body.as_ref(), *if_match).await;
        let separator = if path.contains('?') { '&' } else { '?' };
        let dry_path = format!("{path}{separator}dryRun=true");
        let dry = answer(&app, method, &dry_path, body.as_ref(), *if_match).await;
        assert_eq!(real.0, *status, "{method} {path}: {:#}", real.1);
        assert_eq!(dry, real, "{method} {path}");
    }
    assert_eq!(admin_json(&app, "/api/v1/policies").await, policies);
    assert_eq!(admin_json(&app, "/api/v1/device-groups").await, groups);
    assert_eq!(admin_json(&app, "/api/v1/catalog/macOS").await, catalog);
    assert_eq!(
        admin_json(&app, "/api/v1/policy-groups").await,
        groups_before
    );
}
