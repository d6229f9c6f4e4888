//! NUL characters (`\u0000`, which PostgreSQL cannot store) are refused on every route that
//! stores strings from a request: a 400 naming the pointer, and nothing changes. Ids in paths
//! holding one name nothing (404); a query cursor holding one is a 400 naming the parameter.
//! `ringmaster migrate` of an old SQLite database holding one into PostgreSQL names each cell and
//! copies nothing.

use std::process::Command;

use reqwest::{Method, StatusCode};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::DeviceDocument;
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{
    TestApp, TestBackend, TestDatabase, admin_json, fixture, json_body, load_rings,
    postgres_backend, spawn_app,
};

const AT: &str = "2030-01-01T00:00:00Z";

/// What an admin can see of everything these routes could change.
async fn everything(app: &TestApp, policy: i64, ring: i64, group: i64) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/title".to_owned(),
        "/api/v1/title/JamfAdmin".to_owned(),
        "/api/v1/policies".to_owned(),
        "/api/v1/policy-groups".to_owned(),
        format!("/api/v1/policies/{policy}/bindings"),
        format!("/api/v1/policy-groups/{ring}/bindings"),
        "/api/v1/devices".to_owned(),
        "/api/v1/device-groups".to_owned(),
        format!("/api/v1/device-groups/{group}"),
        "/api/v1/catalog/macOS".to_owned(),
        format!("/api/v1/devices/mac-1/status?at={AT}"),
        "/api/v1/devices/mac-1/legacy-mechanisms".to_owned(),
    ] {
        seen.push(admin_json(app, &path).await);
    }
    seen
}

/// `document` with the string at `pointer` replaced by `value`.
fn with(mut document: Value, pointer: &str, value: &str) -> Value {
    *document.pointer_mut(pointer).expect("pointer") = json!(value);
    document
}

fn raw_check_in(enrollment: &str, endpoint: &str, data: Option<&Value>) -> Vec<u8> {
    let mut message = plist::Dictionary::new();
    message.insert("MessageType".into(), "DeclarativeManagement".into());
    message.insert("EnrollmentID".into(), enrollment.into());
    message.insert("Endpoint".into(), endpoint.into());
    if let Some(data) = data {
        message.insert(
            "Data".into(),
            plist::Value::Data(serde_json::to_vec(data).unwrap()),
        );
    }
    let mut bytes = Vec::new();
    plist::to_writer_binary(&mut bytes, &plist::Value::Dictionary(message)).unwrap();
    bytes
}

fn assert_refused_at(route: &str, status: StatusCode, body: &Value, pointer: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{route}: {body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|error| error["pointer"] == pointer
            && error["message"].as_str().unwrap_or("").contains("NUL")),
        "{route}: expected a NUL error at {pointer:?}, got {body}"
    );
}

on_each_backend!(a_nul_character_is_refused_on_every_route_that_stores_strings_and_nothing_changes);
async fn a_nul_character_is_refused_on_every_route_that_stores_strings_and_nothing_changes(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.create_title(&fixture("titles/JamfAdmin.json"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let title: Value = serde_json::from_slice(&fixture("titles/JamfAdmin.json")).unwrap();
    let version: Value =
        serde_json::from_slice(&fixture("versions/JamfAdmin-10.3.0.json")).unwrap();
    let feed: Value =
        serde_json::from_slice(&fixture("catalog/macos-26-autumn-2025.json")).unwrap();
    assert_eq!(
        import(&app, serde_json::to_vec(&feed).unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    let device =
        json!({"id": "mac-1", "platform": "macOS", "osVersion": "26.0", "model": "Mac16,1"});
    assert_eq!(
        send(&app, Method::POST, "/api/v1/devices", &device)
            .await
            .status(),
        StatusCode::CREATED
    );
    let policy = json!({"name": "Lab", "platform": "macOS"});
    let created = send(&app, Method::POST, "/api/v1/policies", &policy).await;
    let policy_id = json_body(created).await["id"].as_i64().unwrap();
    let ring_id = load_rings(&app).await[0];
    let group = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Lab", "devices": ["mac-1"]}),
    )
    .await;
    let group_id = json_body(group).await["id"].as_i64().unwrap();
    let report = json!({"StatusItems": {"device": {"model": {"identifier": "Mac16,1"}}}, "FullReport": true});
    let reported = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", "mac-1")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), StatusCode::OK);
    let before = everything(&app, policy_id, ring_id, group_id).await;

    let nul_report = with(
        report.clone(),
        "/StatusItems/device/model/identifier",
        "Mac\0",
    );
    let json_cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/title".into(),
            with(
                with(title.clone(), "/id", "NulTitle"),
                "/name",
                "Jamf\0Admin",
            ),
            "/name",
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin".into(),
            with(title.clone(), "/publisher", "Jamf\0"),
            "/publisher",
        ),
        (
            Method::POST,
            "/api/v1/title/JamfAdmin/version".into(),
            with(version.clone(), "/version", "10.4.0\0"),
            "/version",
        ),
        (
            Method::PUT,
            "/api/v1/title/JamfAdmin/current-version".into(),
            json!({"version": "10.3.0\0"}),
            "/version",
        ),
        (
            Method::POST,
            "/api/v1/policies".into(),
            json!({"name": "Nul\0", "platform": "macOS"}),
            "/name",
        ),
        (
            Method::POST,
            "/api/v1/policies".into(),
            json!({"name": "Key", "platform": "macOS", "note\0": "x"}),
            "/note\0",
        ),
        (
            Method::PUT,
            format!("/api/v1/policies/{policy_id}"),
            json!({"name": "Lab\0", "platform": "macOS"}),
            "/name",
        ),
        (
            Method::PUT,
            format!("/api/v1/policies/{policy_id}/bindings"),
            json!({"devices": ["mac-1", "mac\u{0}2"]}),
            "/devices/1",
        ),
        (
            Method::PUT,
            format!("/api/v1/policy-groups/{ring_id}/bindings"),
            json!({"devices": ["\0"]}),
            "/devices/0",
        ),
        (
            Method::POST,
            "/api/v1/devices".into(),
            with(device.clone(), "/id", "mac\u{0}2"),
            "/id",
        ),
        (
            Method::POST,
            "/api/v1/devices".into(),
            with(
                with(device.clone(), "/id", "mac-2"),
                "/model",
                "Mac\u{0}16,1",
            ),
            "/model",
        ),
        (
            Method::POST,
            "/api/v1/device-groups".into(),
            json!({"name": "Lab\0", "devices": ["mac-1"]}),
            "/name",
        ),
        (
            Method::PUT,
            format!("/api/v1/device-groups/{group_id}"),
            json!({"name": "Lab", "devices": ["mac-1", "mac\0"]}),
            "/devices/1",
        ),
        (
            Method::POST,
            "/api/v1/devices/mac-1/legacy-mechanisms".into(),
            json!({"kind": "patchPolicy", "name": "Old\0"}),
            "/name",
        ),
        (
            Method::POST,
            "/api/v1/catalog/import".into(),
            with(feed.clone(), "/AssetSets/macOS/0/Build", "25A354\0"),
            "/AssetSets/macOS/0/Build",
        ),
    ];
    for (method, path, body, pointer) in json_cases {
        let route = format!("{backend:?} {method} {path}");
        let response = send(&app, method, &path, &body).await;
        let status = response.status();
        assert_refused_at(&route, status, &json_body(response).await, pointer);
    }

    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", "mac-1")
        .json(&nul_report)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = json_body(response).await;
    assert_refused_at(
        "PUT /ddm/status",
        status,
        &body,
        "/StatusItems/device/model/identifier",
    );
    for (message, pointer) in [
        (
            raw_check_in("mac-1", "status", Some(&nul_report)),
            "/StatusItems/device/model/identifier",
        ),
        (raw_check_in("mac\u{0}1", "tokens", None), "/EnrollmentID"),
    ] {
        let response = app
            .client
            .put(app.url("/mdm/checkin"))
            .header("content-type", "application/x-apple-aspen-mdm-checkin")
            .body(message)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = json_body(response).await;
        if pointer == "/EnrollmentID" {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["errors"][0]["pointer"], pointer, "{body}");
        } else {
            assert_refused_at("PUT /mdm/checkin", status, &body, pointer);
        }
    }

    assert_eq!(
        everything(&app, policy_id, ring_id, group_id).await,
        before,
        "{backend:?}: a refused request changed something"
    );
}

on_each_backend!(ids_holding_a_nul_or_control_character_in_paths_queries_and_headers_answer_json);
async fn ids_holding_a_nul_or_control_character_in_paths_queries_and_headers_answer_json(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let device = json!({"id": "mac-1", "platform": "macOS", "osVersion": "26.0"});
    assert_eq!(
        send(&app, Method::POST, "/api/v1/devices", &device)
            .await
            .status(),
        StatusCode::CREATED
    );
    for (method, path) in [
        (Method::GET, "/api/v1/devices/mac%001"),
        (Method::DELETE, "/api/v1/devices/mac%00"),
        (Method::GET, "/api/v1/devices/mac%00/status"),
        (Method::GET, "/api/v1/devices/mac%00/declarations"),
        (Method::GET, "/api/v1/devices/mac%00/effective-policy"),
        (
            Method::DELETE,
            "/api/v1/devices/mac-1/legacy-mechanisms/patchPolicy/Old%00",
        ),
        (
            Method::DELETE,
            "/api/v1/devices/mac-1/legacy-mechanisms/patch%00/Old",
        ),
        (Method::GET, "/api/v1/title/Jamf%00Admin"),
        (Method::DELETE, "/api/v1/title/Jamf%00Admin"),
    ] {
        let response = app.admin(method.clone(), path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body = json_body(response).await;
        assert_eq!(body["status"], 404, "{body}");
    }
    let response = app
        .admin(Method::GET, "/api/v1/devices?after=%00")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body(response).await["errors"][0]["parameter"], "after");
    // A header cannot carry NUL; a tab inside an enrollment id is refused by the same rule.
    let response = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "mac\t1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json_body(response).await;
    assert_eq!(body["errors"][0]["parameter"], "X-Enrollment-ID", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("U+0009"),
        "{body}"
    );
    let devices = admin_json(&app, "/api/v1/devices").await;
    assert_eq!(devices["devices"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn migrating_an_old_sqlite_database_holding_nul_into_postgresql_names_the_rows_and_copies_nothing()
 {
    if postgres_backend().is_none() {
        return;
    }
    // An SQLite database written before NUL characters were refused.
    let sqlite = TestDatabase::new(TestBackend::Sqlite).await;
    let store = sqlite.store().await;
    let now = jiff::Timestamp::now();
    let device = DeviceDocument {
        id: DeviceId::parse("mac-1").unwrap(),
        platform: Platform::MacOs,
        os_version: AppleOsVersion::parse("26.0").unwrap(),
        os_build: None,
        model: Some("Mac\u{0}16,1".into()),
        software_update_device_id: None,
    };
    store.insert_device(&device, now).await.unwrap();
    store
        .insert_device_group("Lab\u{0}", &["mac-1".to_owned()], now)
        .await
        .unwrap();
    store.close().await;

    let postgres = TestDatabase::new(TestBackend::Postgres).await;
    let output = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
        .args(["migrate", "--from", &sqlite.url, "--to", &postgres.url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("migrate said: {stderr}");
    assert!(!output.status.success(), "{stderr}");
    for expected in [
        "PostgreSQL cannot store the NUL character",
        "devices row (id = \"mac-1\"): column model",
        "device_groups row (id = 1): column name",
        "nothing was written",
    ] {
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in: {stderr}"
        );
    }
    assert!(postgres.store().await.is_empty().await.unwrap());

    // SQLite holds NUL: a copy between SQLite files is safe and goes through.
    let other = TestDatabase::new(TestBackend::Sqlite).await;
    let output = Command::new(env!("CARGO_BIN_EXE_ringmaster"))
        .args(["migrate", "--from", &sqlite.url, "--to", &other.url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
