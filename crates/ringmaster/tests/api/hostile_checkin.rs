//! Hostile input on the device-facing routes: plists nested thousands of levels deep (XML and
//! binary), a small binary plist whose shared references expand to billions of objects, a large
//! body without credentials, a forged signature, and deeply nested JSON status reports. Each is
//! answered with a 4xx JSON error, the server keeps answering `/v1/` at once, and memory stays
//! bounded. The attack inputs are generated here.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use ringmaster::http::HttpConfig;
use ringmaster_testing::binary_plist::{array, ascii, binary_plist};
use serde_json::Value;

use crate::support::{
    AppOptions, TestApp, TestBackend, json_body, peak_memory_bytes, spawn_app, spawn_app_with,
};

const SECRET: &str = "ddm-shared-secret";

/// Asserts the memory bound the hostile-input tests promise.
pub(crate) fn assert_memory_bounded() {
    let peak = peak_memory_bytes().unwrap_or(0);
    assert!(
        peak < 300 * 1024 * 1024,
        "peak RSS {} MB is over the 300 MB bound",
        peak / (1024 * 1024)
    );
}

/// Asserts the server answers Jamf's `/v1/software` within a second.
pub(crate) async fn assert_still_serving(app: &TestApp) {
    let started = Instant::now();
    let response = app.get("/v1/software").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "/v1/software took {:?}",
        started.elapsed()
    );
}

/// Asserts a 4xx JSON error and returns its body.
pub(crate) async fn assert_client_error(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    let body = json_body(response).await;
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(body["message"].as_str().is_some(), "{body}");
    body
}

async fn put_check_in(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.client
        .put(app.url("/mdm/checkin"))
        .header("content-type", "application/x-apple-aspen-mdm-checkin")
        .body(body)
        .send()
        .await
        .expect("PUT /mdm/checkin")
}

/// Objects 0–6: `{MessageType: DeclarativeManagement, UDID: mac-1, X: <object 6>}`, so the attack
/// starts at object 6.
fn check_in_prefix() -> Vec<Vec<u8>> {
    let mut root = vec![0xD3];
    for reference in [1u16, 3, 5, 2, 4, 6] {
        root.extend_from_slice(&reference.to_be_bytes());
    }
    vec![
        root,
        ascii("MessageType"),
        ascii("DeclarativeManagement"),
        ascii("UDID"),
        ascii("mac-1"),
        ascii("X"),
    ]
}

on_each_backend!(a_deeply_nested_xml_check_in_is_refused);
async fn a_deeply_nested_xml_check_in_is_refused(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let depth = 2_600;
    let body = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>MessageType</key>\
         <string>DeclarativeManagement</string><key>X</key>{}<true/>{}</dict></plist>",
        "<array>".repeat(depth),
        "</array>".repeat(depth)
    );
    assert!(body.len() > 30_000);
    let error = assert_client_error(
        put_check_in(&app, body.into_bytes()).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("deeper than 16 levels"),
        "{error}"
    );
    assert_still_serving(&app).await;
}

on_each_backend!(a_deeply_nested_binary_check_in_is_refused);
async fn a_deeply_nested_binary_check_in_is_refused(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut objects = check_in_prefix();
    let levels: u16 = 2_600;
    for level in 0..levels {
        objects.push(array(&[6 + level + 1]));
    }
    objects.push(vec![0x09]);
    let body = binary_plist(&objects, 0);
    let error = assert_client_error(put_check_in(&app, body).await, StatusCode::BAD_REQUEST).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("deeper than 16 levels"),
        "{error}"
    );
    assert_still_serving(&app).await;
}

on_each_backend!(a_binary_check_in_of_shared_references_is_refused_in_bounded_memory);
async fn a_binary_check_in_of_shared_references_is_refused_in_bounded_memory(backend: TestBackend) {
    let app = spawn_app(backend).await;
    // Object 6 is `true`; array 7 + k lists object 6 + k fourteen times: 14^9 leaves.
    let mut objects = check_in_prefix();
    objects.push(vec![0x09]);
    for level in 0..9u16 {
        objects.push(array(&[6 + level; 14]));
    }
    // The root's `X` points at the top array rather than at `true`.
    let top = u16::try_from(objects.len() - 1).unwrap();
    objects[0][11..13].copy_from_slice(&top.to_be_bytes());
    let body = binary_plist(&objects, 0);
    assert!(body.len() < 600, "{} bytes", body.len());
    let started = Instant::now();
    let error = assert_client_error(put_check_in(&app, body).await, StatusCode::BAD_REQUEST).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("more than 4096 objects"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_still_serving(&app).await;
    assert_memory_bounded();
}

on_each_backend!(a_well_formed_binary_check_in_still_works);
async fn a_well_formed_binary_check_in_still_works(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let mut objects = check_in_prefix();
    // `X` is replaced by `Endpoint: tokens`.
    objects[5] = ascii("Endpoint");
    objects.push(ascii("tokens"));
    let response = put_check_in(&app, binary_plist(&objects, 0)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens = json_body(response).await;
    assert!(
        tokens["SyncTokens"]["DeclarationsToken"].is_string(),
        "{tokens}"
    );
}

fn with_secret() -> AppOptions {
    AppOptions {
        http: HttpConfig {
            ddm_secret: Some(SECRET.to_owned()),
            ..HttpConfig::default()
        },
        ..AppOptions::default()
    }
}

/// Sends the head of a PUT announcing a large body and a first few bytes of it, never the rest,
/// and reads what the server answers within five seconds.
fn unauthenticated_big_put(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nX-Enrollment-ID: mac-1\r\n\
         Content-Type: application/json\r\nContent-Length: 8000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(&[b' '; 4096]).expect("write body start");
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).unwrap_or(0);
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

on_each_backend!(with_a_secret_an_unauthenticated_big_body_is_refused_before_it_is_read);
async fn with_a_secret_an_unauthenticated_big_body_is_refused_before_it_is_read(
    backend: TestBackend,
) {
    let app = spawn_app_with(backend, with_secret()).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();
    for path in ["/ddm/status", "/mdm/checkin"] {
        let address = address.clone();
        let started = Instant::now();
        let answer = tokio::task::spawn_blocking(move || unauthenticated_big_put(&address, path))
            .await
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "{path}: the server waited for the body instead: {answer:?}"
        );
        assert!(answer.contains("bearer token"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    assert_still_serving(&app).await;
}

on_each_backend!(a_forged_signature_is_answered_as_a_wrong_signature);
async fn a_forged_signature_is_answered_as_a_wrong_signature(backend: TestBackend) {
    let app = spawn_app_with(backend, with_secret()).await;
    let put = |signature: &str| {
        app.client
            .put(app.url("/ddm/status"))
            .header("X-Enrollment-ID", "mac-1")
            .header("content-type", "application/json")
            .header("X-Hmac-Signature", signature)
            .body(r#"{"StatusItems": {}}"#)
            .send()
    };
    let error = assert_client_error(put("AAAA").await.unwrap(), StatusCode::UNAUTHORIZED).await;
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("X-Hmac-Signature does not match"),
        "{message}"
    );
    let error =
        assert_client_error(put("not base64!").await.unwrap(), StatusCode::UNAUTHORIZED).await;
    assert!(
        error["message"].as_str().unwrap().contains("not base64"),
        "{error}"
    );
}

on_each_backend!(deeply_nested_status_reports_are_refused);
async fn deeply_nested_status_reports_are_refused(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let depth = 5_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!(
        r#"{{"StatusItems": {}1{}}}"#,
        r#"{"a": "#.repeat(depth),
        "}".repeat(depth)
    );
    for body in [arrays, objects] {
        let response = app
            .client
            .put(app.url("/ddm/status"))
            .header("X-Enrollment-ID", "mac-1")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_client_error(response, StatusCode::BAD_REQUEST).await;
    }
    // Nested just under serde_json's limit: read or refused, never a crash.
    let shallow = format!(
        r#"{{"StatusItems": {}1{}}}"#,
        r#"{"a": "#.repeat(120),
        "}".repeat(120)
    );
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", "mac-1")
        .header("content-type", "application/json")
        .body(shallow)
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 500, "{}", response.status());
    assert_still_serving(&app).await;
}
