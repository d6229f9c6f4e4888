//! User channels through the raw check-in (`PUT /mdm/checkin`, Apple's plist with `UDID`/`UserID`
//! or `EnrollmentID`/`EnrollmentUserID`): a macOS user, a Shared iPad user and a User Enrollment
//! user are answered the valid empty set, never become devices, and their status reports leave
//! the parent device's declaration states alone. Also a declaration the device does not know
//! (`valid: "unknown"` with `Error.UnknownDeclarationType`) counts as a rejection.

use reqwest::StatusCode;
use ringmaster::clock::Clock;
use serde_json::{Value, json};

use crate::ddm_capabilities::bind_to_vanguard;
use crate::ddm_protocol::mac_report;
use crate::ddm_protocol::options;
use crate::support::{TestApp, TestBackend, admin_json, json_body, spawn_app_with};

/// One check-in message as an MDM forwards it: `keys` name the channel.
async fn raw(
    app: &TestApp,
    keys: &[(&str, &str)],
    endpoint: &str,
    data: Option<&Value>,
) -> reqwest::Response {
    let mut dictionary = plist::Dictionary::new();
    dictionary.insert("MessageType".into(), "DeclarativeManagement".into());
    dictionary.insert("Endpoint".into(), endpoint.into());
    for (key, value) in keys {
        dictionary.insert((*key).into(), (*value).into());
    }
    if let Some(data) = data {
        dictionary.insert(
            "Data".into(),
            plist::Value::Data(serde_json::to_vec(data).unwrap()),
        );
    }
    let mut bytes = Vec::new();
    plist::to_writer_xml(&mut bytes, &plist::Value::Dictionary(dictionary)).unwrap();
    app.client
        .put(app.url("/mdm/checkin"))
        .header("content-type", "application/x-apple-aspen-mdm-checkin")
        .body(bytes)
        .send()
        .await
        .expect("PUT /mdm/checkin")
}

/// A report of one configuration's state.
fn configuration_state(item: &Value, valid: &str, reasons: Value) -> Value {
    json!({"StatusItems": {"management": {"declarations": {
        "activations": [], "assets": [], "management": [],
        "configurations": [{"identifier": item["Identifier"], "server-token": item["ServerToken"],
            "active": valid == "valid", "valid": valid, "reasons": reasons}]
    }}}})
}

fn enforcement(items: &Value) -> Value {
    items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| {
            item["Identifier"]
                .as_str()
                .is_some_and(|id| id.starts_with("ringmaster.softwareupdate.enforcement"))
        })
        .unwrap_or_else(|| panic!("no enforcement in {items}"))
        .clone()
}

/// The user channel `keys` is answered the valid empty set and its report is dropped.
async fn assert_empty_user_channel(app: &TestApp, keys: &[(&str, &str)], what: &str) {
    let tokens = raw(app, keys, "tokens", None).await;
    assert_eq!(tokens.status(), StatusCode::OK, "{what}");
    let tokens = json_body(tokens).await;
    let items = json_body(raw(app, keys, "declaration-items", None).await).await;
    for kind in ["Activations", "Configurations", "Assets", "Management"] {
        assert_eq!(items["Declarations"][kind], json!([]), "{what}: {kind}");
    }
    assert_eq!(
        tokens["SyncTokens"]["DeclarationsToken"], items["DeclarationsToken"],
        "{what}"
    );
    for endpoint in [
        "declaration/configuration/ringmaster.softwareupdate.enforcement",
        "declaration/configuration/ringmaster.status-subscriptions",
        "declaration/activation/ringmaster.activation",
    ] {
        let fetched = raw(app, keys, endpoint, None).await;
        assert_eq!(
            fetched.status(),
            StatusCode::NOT_FOUND,
            "{what}: {endpoint}"
        );
    }
    let status = raw(app, keys, "status", Some(&mac_report("26.0.1", true))).await;
    assert_eq!(status.status(), StatusCode::OK, "{what}");
}

on_each_backend!(raw_user_channels_get_the_empty_set_and_leave_the_device_alone);
async fn raw_user_channels_get_the_empty_set_and_leave_the_device_alone(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let device = [("UDID", "UDID-1")];
    let response = raw(&app, &device, "status", Some(&mac_report("26.0.1", true))).await;
    assert_eq!(response.status(), StatusCode::OK);
    bind_to_vanguard(&app, "UDID-1").await;
    let items = json_body(raw(&app, &device, "declaration-items", None).await).await;
    let enforcement = enforcement(&items);
    let rejected = configuration_state(
        &enforcement,
        "invalid",
        json!([{"code": "Error.UnknownPayloadKeys", "description": "Unknown payload keys"}]),
    );
    assert_eq!(
        raw(&app, &device, "status", Some(&rejected)).await.status(),
        StatusCode::OK
    );
    let before = admin_json(&app, "/api/v1/devices/UDID-1/status").await;
    assert_eq!(before["state"], "declarationRejected", "{backend:?}");

    // The same Mac's user channel, a Shared iPad user, and a User Enrollment user.
    let channels: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "macOS user",
            vec![
                ("UDID", "UDID-1"),
                ("UserID", "5F1B2C3D-0000-4000-8000-00000000A001"),
                ("UserShortName", "avery"),
                ("UserLongName", "Avery Example"),
            ],
        ),
        (
            "Shared iPad user",
            vec![
                ("UDID", "IPAD-UDID-1"),
                ("UserID", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"),
                ("UserShortName", "student1@school.example"),
                ("UserLongName", "Student One"),
            ],
        ),
        (
            "User Enrollment user",
            vec![
                ("EnrollmentID", "UE-ENROLL-1"),
                ("EnrollmentUserID", "UE-USER-1"),
                ("UserShortName", "byod"),
                ("UserLongName", "Bring Your Own"),
            ],
        ),
    ];
    for (what, keys) in &channels {
        assert_empty_user_channel(&app, keys, what).await;
        // A user channel reporting the enforcement valid changes nothing on the device.
        let accepted = configuration_state(&enforcement, "valid", json!([]));
        assert_eq!(
            raw(&app, keys, "status", Some(&accepted)).await.status(),
            StatusCode::OK,
            "{what}"
        );
    }
    let after = admin_json(&app, "/api/v1/devices/UDID-1/status").await;
    assert_eq!(after["state"], "declarationRejected", "{backend:?}");
    assert_eq!(after["declarations"], before["declarations"], "{backend:?}");
    assert_eq!(after["reports"], before["reports"], "{backend:?}");
    let devices = admin_json(&app, "/api/v1/devices").await;
    let ids: Vec<&str> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["UDID-1"], "{backend:?}: no user became a device");
}

on_each_backend!(an_unknown_declaration_type_counts_as_a_rejection_in_results_and_compliance);
async fn an_unknown_declaration_type_counts_as_a_rejection_in_results_and_compliance(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let device = [("X-Enrollment-ID", "mac-1")];
    let put = |body: Value| {
        let mut request = app.client.put(app.url("/ddm/status"));
        for (name, value) in device {
            request = request.header(name, value);
        }
        request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
    };
    assert_eq!(
        put(mac_report("26.0.1", true)).await.unwrap().status(),
        StatusCode::OK
    );
    bind_to_vanguard(&app, "mac-1").await;
    let items = json_body(
        app.client
            .get(app.url("/ddm/declaration-items"))
            .header("X-Enrollment-ID", "mac-1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let enforcement = enforcement(&items);
    let unknown = configuration_state(
        &enforcement,
        "unknown",
        json!([{"code": "Error.UnknownDeclarationType", "description": "Unknown declaration type"}]),
    );
    assert_eq!(put(unknown).await.unwrap().status(), StatusCode::OK);
    let status = admin_json(&app, "/api/v1/devices/mac-1/status").await;
    assert_eq!(
        status["state"], "declarationRejected",
        "{backend:?}: {status}"
    );
    assert_eq!(
        status["rejectedDeclarations"],
        json!([enforcement["Identifier"]])
    );
    let compliance = admin_json(&app, "/api/v1/policy-groups/compliance?platform=macOS").await;
    let rejected: i64 = compliance["rings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ring| ring["counts"]["declarationRejected"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(rejected, 1, "{backend:?}: {compliance}");
}
