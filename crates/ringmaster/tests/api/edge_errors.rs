//! The HTTP edge's errors: every rejection, from any extractor of any router, is our JSON error
//! document, and a document of very many small mistakes gets a capped answer (the first 100
//! errors and the total) on the admin API and on the device-facing `PUT /ddm/status`.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{
    AppOptions, TestApp, TestBackend, peak_memory_bytes, spawn_app, spawn_app_with,
};

/// One request that must be refused, and the status it must get.
struct BadRequest {
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    admin: bool,
    status: StatusCode,
    /// The parameter the error must name, when it names one.
    parameter: Option<&'static str>,
}

fn bad(method: Method, path: &'static str, status: StatusCode) -> BadRequest {
    BadRequest {
        method,
        path,
        content_type: None,
        body: Vec::new(),
        admin: true,
        status,
        parameter: None,
    }
}

impl BadRequest {
    fn naming(mut self, parameter: &'static str) -> Self {
        self.parameter = Some(parameter);
        self
    }

    fn with_body(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }

    fn anonymous(mut self) -> Self {
        self.admin = false;
        self
    }
}

/// Asserts `response` is our error document with `status`; answers the document.
async fn assert_error_document(
    response: reqwest::Response,
    status: StatusCode,
    what: &str,
) -> Value {
    assert_eq!(response.status(), status, "{what}");
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("body");
    assert!(
        content_type.starts_with("application/json"),
        "{what}: content-type {content_type:?}, body {text:?}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {text}"));
    assert_eq!(body["status"], status.as_u16(), "{what}: {body}");
    assert!(body["error"].is_string(), "{what}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
    if let Some(errors) = body.get("errors") {
        for error in errors.as_array().expect("errors is a list") {
            assert!(
                ["pointer", "parameter", "file"]
                    .iter()
                    .any(|key| error[key].is_string()),
                "{what}: each error names where: {body}"
            );
            assert!(error["message"].is_string(), "{what}: {body}");
        }
        assert!(body["errorCount"].as_u64().is_some(), "{what}: {body}");
    }
    body
}

async fn send(app: &TestApp, request: &BadRequest) -> reqwest::Response {
    let url = app.url(request.path);
    let mut builder = app.client.request(request.method.clone(), url);
    if request.admin {
        builder = builder.bearer_auth(&app.token);
    }
    let mut headers = HeaderMap::new();
    if let Some(content_type) = request.content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if request.path.starts_with("/ddm/") {
        headers.insert("x-enrollment-id", HeaderValue::from_static("edge-device"));
    }
    builder
        .headers(headers)
        .body(request.body.clone())
        .send()
        .await
        .expect("send")
}

on_each_backend!(every_kind_of_rejection_is_our_json_error);
async fn every_kind_of_rejection_is_our_json_error(backend: TestBackend) {
    let small_limit = 4096;
    let too_big = vec![b' '; small_limit + 1];
    let cases = vec![
        // Query extractors.
        bad(
            Method::GET,
            "/api/v1/devices?limit=abc",
            StatusCode::BAD_REQUEST,
        )
        .naming("limit"),
        bad(
            Method::GET,
            "/api/v1/devices?limit=-1",
            StatusCode::BAD_REQUEST,
        )
        .naming("limit"),
        bad(
            Method::GET,
            "/api/v1/devices?limit=%FF",
            StatusCode::BAD_REQUEST,
        )
        .naming("limit"),
        bad(
            Method::POST,
            "/api/v1/restore?replace=maybe",
            StatusCode::BAD_REQUEST,
        )
        .with_body("application/zip", b"PK".to_vec())
        .naming("replace"),
        bad(
            Method::GET,
            "/api/v1/policy-groups/compliance?at=garbage",
            StatusCode::BAD_REQUEST,
        )
        .naming("at"),
        bad(
            Method::GET,
            "/api/v1/policy-groups/plan?from=yesterday",
            StatusCode::BAD_REQUEST,
        )
        .naming("from"),
        bad(
            Method::GET,
            "/api/v1/policy-groups/plan?format=bmp",
            StatusCode::BAD_REQUEST,
        )
        .naming("format"),
        // Path extractors, on each router.
        bad(Method::GET, "/api/v1/title/%FF", StatusCode::BAD_REQUEST).naming("id"),
        bad(
            Method::GET,
            "/api/v1/title/a/version/%FF",
            StatusCode::BAD_REQUEST,
        )
        .naming("version"),
        bad(Method::GET, "/api/v1/devices/%FF", StatusCode::BAD_REQUEST).naming("id"),
        bad(Method::GET, "/api/v1/policies/%FF", StatusCode::BAD_REQUEST).naming("id"),
        bad(Method::GET, "/api/v1/catalog/%FF", StatusCode::BAD_REQUEST).naming("platform"),
        bad(Method::GET, "/v1/patch/%FF", StatusCode::BAD_REQUEST)
            .anonymous()
            .naming("id"),
        bad(Method::GET, "/v1/software/%FF", StatusCode::BAD_REQUEST)
            .anonymous()
            .naming("ids"),
        bad(
            Method::GET,
            "/ddm/declaration/%FF/x",
            StatusCode::BAD_REQUEST,
        )
        .anonymous()
        .naming("kind"),
        // Body extractors: content type, size, syntax, multipart.
        bad(
            Method::POST,
            "/api/v1/title",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        bad(
            Method::POST,
            "/api/v1/title",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .with_body("text/plain", "{}"),
        bad(Method::POST, "/api/v1/title", StatusCode::BAD_REQUEST)
            .with_body("application/json", "{"),
        bad(Method::POST, "/api/v1/title", StatusCode::PAYLOAD_TOO_LARGE)
            .with_body("application/json", too_big.clone()),
        bad(Method::POST, "/api/v1/title", StatusCode::BAD_REQUEST)
            .with_body("multipart/form-data; boundary=x", "--x--\r\n"),
        bad(
            Method::POST,
            "/api/v1/restore",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        )
        .with_body("text/plain", "x"),
        bad(Method::PUT, "/ddm/status", StatusCode::PAYLOAD_TOO_LARGE)
            .with_body("application/json", too_big.clone())
            .anonymous(),
        bad(Method::PUT, "/ddm/status", StatusCode::BAD_REQUEST)
            .with_body("application/json", "{")
            .anonymous(),
        bad(Method::PUT, "/mdm/checkin", StatusCode::PAYLOAD_TOO_LARGE)
            .with_body("application/x-apple-aspen-mdm-checkin", too_big)
            .anonymous(),
        bad(Method::PUT, "/mdm/checkin", StatusCode::BAD_REQUEST)
            .with_body("application/x-apple-aspen-mdm-checkin", "not a plist")
            .anonymous(),
        // Routing and auth.
        bad(
            Method::DELETE,
            "/v1/software",
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .anonymous(),
        bad(
            Method::DELETE,
            "/api/v1/catalog/import",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        bad(Method::POST, "/ddm/tokens", StatusCode::METHOD_NOT_ALLOWED).anonymous(),
        bad(Method::GET, "/no/such/route", StatusCode::NOT_FOUND).anonymous(),
        bad(Method::GET, "/api/v1/no-such-route", StatusCode::NOT_FOUND),
        bad(Method::GET, "/api/v1/title", StatusCode::UNAUTHORIZED).anonymous(),
    ];
    let mut options = AppOptions::default();
    options.http.max_body_bytes = small_limit;
    let app = spawn_app_with(backend, options).await;
    for case in &cases {
        let what = format!("{} {} ({backend:?})", case.method, case.path);
        let body = assert_error_document(send(&app, case).await, case.status, &what).await;
        if let Some(parameter) = case.parameter {
            assert_eq!(
                body["errors"][0]["parameter"], parameter,
                "{what}: names the parameter: {body}"
            );
        }
    }
    // The server still answers.
    assert_eq!(app.get("/v1/").await.status(), StatusCode::OK);
    app.stop().await;
}

/// A JSON body of about `bytes` whose list under `key` holds only `0`s, each one a mistake.
fn many_mistakes(prefix: &str, bytes: usize) -> (Vec<u8>, usize) {
    let count = bytes / 2;
    let mut body = Vec::with_capacity(bytes + prefix.len() + 8);
    body.extend_from_slice(prefix.as_bytes());
    for index in 0..count {
        if index > 0 {
            body.push(b',');
        }
        body.push(b'0');
    }
    body.extend_from_slice(b"]}");
    (body, count)
}

async fn assert_capped(response: reqwest::Response, at_least: usize, what: &str) {
    let length = response.content_length();
    let text_length;
    let body = {
        let body = assert_error_document(response, StatusCode::BAD_REQUEST, what).await;
        text_length = body.to_string().len();
        body
    };
    assert!(
        text_length < 64 * 1024,
        "{what}: the answer is {text_length} bytes ({length:?})"
    );
    let listed = body["errors"].as_array().expect("errors").len();
    assert_eq!(listed, 100, "{what}: the first 100 are listed");
    let total = body["errorCount"].as_u64().expect("errorCount") as usize;
    assert!(total >= at_least, "{what}: total {total} < {at_least}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("has {total} errors; the first 100 are listed")),
        "{what}: {message}"
    );
}

on_each_backend!(a_document_of_millions_of_mistakes_gets_a_capped_answer);
async fn a_document_of_millions_of_mistakes_gets_a_capped_answer(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let eight_megabytes = 8 * 1024 * 1024 - 64;

    let (status_report, mistakes) = many_mistakes("{\"Errors\":[", eight_megabytes);
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("x-enrollment-id", "many-mistakes")
        .header(CONTENT_TYPE, "application/json")
        .body(status_report)
        .send()
        .await
        .expect("PUT status");
    assert_capped(response, mistakes, "PUT /ddm/status").await;

    let (title, _) = many_mistakes(
        "{\"id\":\"many\",\"name\":\"Many\",\"publisher\":\"p\",\"appName\":null,\
         \"bundleId\":null,\"lastModified\":\"2024-01-01T00:00:00Z\",\
         \"currentVersion\":\"1\",\"requirements\":[],\"extensionAttributes\":[],\
         \"patches\":[",
        2 * 1024 * 1024,
    );
    let response = app.create_title(&title).await;
    assert_capped(response, 100_000, "POST /api/v1/title").await;

    assert_eq!(app.get("/v1/").await.status(), StatusCode::OK);
    app.stop().await;
    if let Some(peak) = peak_memory_bytes() {
        // Before the cap, one such answer took 1.7 GB; now about 330 MB, most of it the parsed
        // 8 MB document (four million JSON values).
        assert!(
            peak < 512 * 1024 * 1024,
            "peak memory {} MB",
            peak / 1024 / 1024
        );
    }
}
