//! `/api/v1/policies` and `/api/v1/policy-groups`: validation, conflicts, the default rings.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, TestBackend, json_body, spawn_app};

pub(crate) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.admin(method, path)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .expect("request")
}

/// A policy with every setting given (none left to its default).
pub(crate) fn lab_policy() -> Value {
    json!({
        "name": "Lab Macs", "platform": "macOS",
        "deferrals": {"majorDays": 30, "minorDays": 7, "systemDays": 3},
        "enforcement": {"enabled": true, "gracePeriodDays": 5, "localTime": "18:30", "detailsUrl": "https://intranet.example/updates", "scope": "sameMajor"},
        "updatePermissions": "adminsOnly",
        "notifications": "oneHourBeforeDeadline",
        "automaticActions": {"download": "alwaysOn", "installOSUpdates": "alwaysOn", "installSecurityResponse": "alwaysOn"},
        "rapidSecurityResponse": {"offer": true, "allowRollback": false},
        "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": []}
    })
}

fn errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    (
                        error["pointer"].as_str().unwrap_or("").to_owned(),
                        error["message"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

on_each_backend!(a_policy_is_created_read_replaced_and_deleted);
async fn a_policy_is_created_read_replaced_and_deleted(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = send(&app, Method::POST, "/api/v1/policies", &lab_policy()).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{backend:?}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = json_body(response).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/policies/{id}"));
    for (key, value) in lab_policy().as_object().unwrap() {
        assert_eq!(&created[key], value, "{key} reads back as written");
    }
    assert_eq!(created["policyGroup"], Value::Null);

    let response = app.admin(Method::GET, &location).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let read = json_body(response).await;
    assert_eq!(read["name"], "Lab Macs");

    let listed = json_body(
        app.admin(Method::GET, "/api/v1/policies")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let mut changed = lab_policy();
    changed["deferrals"]["minorDays"] = 14.into();
    let response = app
        .admin(Method::PUT, &location)
        .header("content-type", "application/json")
        .header("if-match", &etag)
        .body(serde_json::to_vec(&changed).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["deferrals"]["minorDays"], 14);

    // The old ETag is stale now.
    let response = app
        .admin(Method::PUT, &location)
        .header("content-type", "application/json")
        .header("if-match", &etag)
        .body(serde_json::to_vec(&lab_policy()).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);

    let mut ios = lab_policy();
    ios["platform"] = "iOS".into();
    ios["deferrals"] = json!({"combinedDays": 3});
    let response = send(&app, Method::PUT, &location, &ios).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(&json_body(response).await)[0].0, "/platform");

    let response = app.admin(Method::DELETE, &location).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.admin(Method::GET, &location).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.admin(Method::DELETE, &location).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .admin(Method::GET, "/api/v1/policies/abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

on_each_backend!(a_duplicate_name_is_a_conflict);
async fn a_duplicate_name_is_a_conflict(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        send(&app, Method::POST, "/api/v1/policies", &lab_policy())
            .await
            .status(),
        StatusCode::CREATED
    );
    let response = send(&app, Method::POST, "/api/v1/policies", &lab_policy()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = json_body(response).await;
    assert!(
        body["message"].as_str().unwrap().contains("Lab Macs"),
        "{body}"
    );
}

on_each_backend!(every_validation_error_names_its_field);
async fn every_validation_error_names_its_field(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let bad = json!({
        "name": "", "platform": "macOS",
        "deferrals": {"majorDays": 0, "minorDays": 91, "combinedDays": 3},
        "enforcement": {"enabled": true, "gracePeriodDays": 366, "detailsUrl": "ftp://x"},
        "updatePermissions": "everyone",
        "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": [{"description": "B", "token": "t"}]},
        "colour": "red"
    });
    let response = send(&app, Method::POST, "/api/v1/policies", &bad).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    let pointers: Vec<String> = errors(&body).into_iter().map(|(p, _)| p).collect();
    for expected in [
        "/name",
        "/deferrals/majorDays",
        "/deferrals/minorDays",
        "/deferrals/combinedDays",
        "/enforcement/gracePeriodDays",
        "/enforcement/localTime",
        "/enforcement/detailsUrl",
        "/updatePermissions",
        "/beta/offeredPrograms",
        "/colour",
    ] {
        assert!(
            pointers.iter().any(|p| p == expected),
            "{expected} in {pointers:?}"
        );
    }
    let response = app
        .admin(Method::POST, "/api/v1/policies")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(&json_body(response).await)[0].0, "");
    let listed = json_body(
        app.admin(Method::GET, "/api/v1/policies")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed, json!([]), "nothing was stored");
}

on_each_backend!(forbidden_automatic_action_combinations_answer_jumpclouds_message);
async fn forbidden_automatic_action_combinations_answer_jumpclouds_message(backend: TestBackend) {
    let cases = [
        (
            "userControlled",
            "alwaysOn",
            "Installation is forced, but downloading is not guaranteed.",
        ),
        (
            "alwaysOff",
            "userControlled",
            "Users can install updates that the Mac is not permitted to download.",
        ),
        (
            "alwaysOff",
            "alwaysOn",
            "Installation cannot be forced when downloading is disabled.",
        ),
    ];
    let app = spawn_app(backend).await;
    for (download, install, reason) in cases {
        let mut policy = lab_policy();
        policy["automaticActions"] = json!({
            "download": download, "installOSUpdates": install, "installSecurityResponse": download
        });
        let response = send(&app, Method::POST, "/api/v1/policies", &policy).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json_body(response).await;
        assert_eq!(
            body["message"],
            format!("Invalid global settings declaration: {reason}"),
            "{download}/{install}"
        );
        assert_eq!(errors(&body)[0].0, "/automaticActions/installOSUpdates");
    }
    // The same rule for the security install.
    let mut policy = lab_policy();
    policy["automaticActions"] = json!({
        "download": "alwaysOff", "installOSUpdates": "alwaysOff", "installSecurityResponse": "alwaysOn"
    });
    let body = json_body(send(&app, Method::POST, "/api/v1/policies", &policy).await).await;
    assert_eq!(
        errors(&body)[0].0,
        "/automaticActions/installSecurityResponse"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid global settings declaration: ")
    );
}

on_each_backend!(a_cadence_on_macos_is_kept_with_a_warning);
async fn a_cadence_on_macos_is_kept_with_a_warning(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut policy = lab_policy();
    policy["recommendedCadence"] = "newest".into();
    let response = send(&app, Method::POST, "/api/v1/policies", &policy).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = json_body(response).await;
    assert_eq!(body["recommendedCadence"], "newest");
    assert_eq!(body["warnings"][0]["pointer"], "/recommendedCadence");
}

on_each_backend!(the_default_rings_are_created_once);
async fn the_default_rings_are_created_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let response = app
        .admin(Method::POST, "/api/v1/policy-groups/defaults")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let first = json_body(response).await;
    assert_eq!(first["created"], true);
    let groups = first["policyGroups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "Vanguard",
            "Early Adoption",
            "General Adoption",
            "Late Adoption"
        ]
    );
    for group in groups {
        let policies: Vec<&str> = group["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["platform"].as_str().unwrap())
            .collect();
        assert_eq!(policies.len(), 2, "{group}");
        assert!(policies.contains(&"macOS") && policies.contains(&"iOS"));
    }

    let response = app
        .admin(Method::POST, "/api/v1/policy-groups/defaults")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let second = json_body(response).await;
    assert_eq!(second["created"], false);
    assert_eq!(second["policyGroups"], first["policyGroups"]);

    let listed = json_body(
        app.admin(Method::GET, "/api/v1/policy-groups")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(listed[3]["ringOrder"], 3);
    let policies = json_body(
        app.admin(Method::GET, "/api/v1/policies")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(policies.as_array().unwrap().len(), 8);
    let late_mac = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Late Adoption (macOS)")
        .unwrap();
    assert_eq!(
        late_mac["deferrals"],
        json!({"majorDays": 30, "minorDays": 30, "systemDays": 30})
    );
    assert_eq!(late_mac["enforcement"]["gracePeriodDays"], 10);
    assert_eq!(late_mac["enforcement"]["enabled"], true);
    assert_eq!(late_mac["policyGroup"], listed[3]["id"]);
}
