//! The one id rule, through the real server: title ids, device ids and check-ins' enrollment ids
//! that begin with a dot (`.`, `..`, `.hidden`), hold a control character or are padded are
//! refused with a 400 naming the field; real ids (UDIDs, `UDID:UserID`) are accepted; and a title
//! stored with a dot-led id before the rule still loads, is served and can be deleted.

use reqwest::{Method, StatusCode};
use ringmaster_domain::title::id::SoftwareTitleId;
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use serde_json::{Value, json};

use crate::os_policies::send;
use crate::support::{
    AppOptions, TestBackend, TestDatabase, admin_json, fixture, json_body, spawn_app, spawn_app_on,
};

const USER_CHANNEL_ID: &str = "00008101-000A1B2C3D4E5F6A:2F1E8D0C-3B4A-5968-7A6B-5C4D3E2F1A0B";

/// Asserts a 400 whose first error is at `pointer` and says `why`.
async fn assert_refused(response: reqwest::Response, pointer: &str, why: &str) -> Value {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    let error = &body["errors"][0];
    assert_eq!(error["pointer"], pointer, "{body}");
    assert!(
        error["message"].as_str().unwrap_or("").contains(why),
        "expected {why:?}: {body}"
    );
    body
}

/// The JamfAdmin definition with another id.
fn jamf_admin_with_id(id: &str) -> Vec<u8> {
    let mut document: Value = serde_json::from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
    document["id"] = json!(id);
    serde_json::to_vec(&document).unwrap()
}

fn raw_check_in(key: &str, enrollment: &str) -> Vec<u8> {
    let mut message = plist::Dictionary::new();
    message.insert("MessageType".into(), "DeclarativeManagement".into());
    message.insert(key.into(), enrollment.into());
    message.insert("Endpoint".into(), "tokens".into());
    let mut bytes = Vec::new();
    plist::to_writer_xml(&mut bytes, &plist::Value::Dictionary(message)).unwrap();
    bytes
}

on_each_backend!(dot_led_control_and_padded_ids_are_refused_everywhere_and_real_ids_pass);
async fn dot_led_control_and_padded_ids_are_refused_everywhere_and_real_ids_pass(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    for id in [".", "..", ".hidden"] {
        let response = app.create_title(&jamf_admin_with_id(id)).await;
        assert_refused(response, "/id", "begins with a dot").await;
    }

    for (id, why) in [
        (".", "begins with a dot"),
        ("..", "begins with a dot"),
        (".hidden", "begins with a dot"),
        (" mac-1", "whitespace"),
        ("mac\u{7}1", "U+0007"),
        ("", "empty"),
    ] {
        let response = send(
            &app,
            Method::POST,
            "/api/v1/devices",
            &json!({"id": id, "platform": "macOS", "osVersion": "26.0"}),
        )
        .await;
        assert_refused(response, "/id", why).await;
    }
    let response = send(
        &app,
        Method::POST,
        "/api/v1/devices",
        &json!({"id": USER_CHANNEL_ID, "platform": "iOS", "osVersion": "26.0"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let device = admin_json(&app, &format!("/api/v1/devices/{USER_CHANNEL_ID}")).await;
    assert_eq!(device["id"], USER_CHANNEL_ID);

    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Lab", "devices": [USER_CHANNEL_ID, ".."]}),
    )
    .await;
    assert_refused(response, "/devices/1", "begins with a dot").await;
    let policy = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &json!({"name": "Lab", "platform": "iOS"}),
    )
    .await;
    let policy_id = json_body(policy).await["id"].as_i64().unwrap();
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{policy_id}/bindings"),
        &json!({"devices": ["."]}),
    )
    .await;
    assert_refused(response, "/devices/0", "begins with a dot").await;

    // Check-ins: the header, and the raw check-in's EnrollmentID or UDID.
    let response = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", ".hidden")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    assert_eq!(body["errors"][0]["parameter"], "X-Enrollment-ID", "{body}");
    for (key, id) in [("EnrollmentID", ".."), ("UDID", ".x")] {
        let response = app
            .client
            .put(app.url("/mdm/checkin"))
            .body(raw_check_in(key, id))
            .send()
            .await
            .unwrap();
        assert_refused(response, &format!("/{key}"), "begins with a dot").await;
    }
    let response = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "00008030-001A2B3C4D5E6F70")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a UDID enrolls itself");

    let devices = admin_json(&app, "/api/v1/devices").await;
    let ids: Vec<&str> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["00008030-001A2B3C4D5E6F70", USER_CHANNEL_ID]);
    assert_eq!(admin_json(&app, "/api/v1/title").await, json!([]));
    assert_eq!(admin_json(&app, "/api/v1/device-groups").await, json!([]));
}

on_each_backend!(a_title_stored_with_a_dot_led_id_before_the_rule_still_loads_and_can_be_deleted);
async fn a_title_stored_with_a_dot_led_id_before_the_rule_still_loads_and_can_be_deleted(
    backend: TestBackend,
) {
    let database = TestDatabase::new(backend).await;
    let mut definition =
        parse::software_title_from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
    definition.id = SoftwareTitleId::parse_stored(".hidden").unwrap();
    database
        .store()
        .await
        .insert_title(
            &TitleRecord::new(definition, jiff::Timestamp::now()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("store a title as an older server did");

    let app = spawn_app_on(database, AppOptions::default()).await;
    let listed = admin_json(&app, "/api/v1/title").await;
    assert_eq!(listed[0]["id"], ".hidden");
    let served = app.get("/v1/software").await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(json_body(served).await[0]["id"], ".hidden");
    assert_eq!(
        admin_json(&app, "/api/v1/title/.hidden").await["id"],
        ".hidden"
    );

    let response = app
        .admin(Method::PUT, "/api/v1/title/.hidden")
        .header("content-type", "application/json")
        .body(jamf_admin_with_id(".hidden"))
        .send()
        .await
        .unwrap();
    assert_refused(response, "/id", "begins with a dot").await;

    let response = app
        .admin(Method::DELETE, "/api/v1/title/.hidden")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin_json(&app, "/api/v1/title").await, json!([]));
}
