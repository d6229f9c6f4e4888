//! The DDM check-in protocol on the wire: tokens, declaration items, declarations, status
//! reports, the raw plist check-in, authentication, and what admins then see (device status,
//! compliance, legacy conflicts: [`crate::ddm_reports`]). The server's clock is manual, so
//! deadlines pass on demand.

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster::http::HttpConfig;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{
    AppOptions, TestApp, TestBackend, admin_json, fixture, json_body, load_rings, spawn_app_with,
};

pub(crate) const SECRET: &str = "ddm-shared-secret";

pub(crate) fn options(clock: &Clock, secret: Option<&str>) -> AppOptions {
    AppOptions {
        clock: clock.clone(),
        http: HttpConfig {
            ddm_secret: secret.map(str::to_owned),
            ..HttpConfig::default()
        },
        ..AppOptions::default()
    }
}

pub(crate) async fn check_in(
    app: &TestApp,
    method: Method,
    endpoint: &str,
    enrollment: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/ddm/{endpoint}")))
        .header("X-Enrollment-ID", enrollment)
        .bearer_auth(SECRET);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
    }
    request.send().await.expect("check-in")
}

pub(crate) async fn get_json(app: &TestApp, endpoint: &str, enrollment: &str) -> Value {
    let response = check_in(app, Method::GET, endpoint, enrollment, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{endpoint}");
    json_body(response).await
}

pub(crate) fn mac_report(version: &str, full: bool) -> Value {
    json!({
        "StatusItems": {
            "device": {
                "operating-system": {"family": "macOS", "version": version, "build-version": "25A362"},
                "model": {"identifier": "Mac16,1"}
            },
            "softwareupdate": {"device-id": "J413AP", "install-state": "none"}
        },
        "Errors": [],
        "FullReport": full
    })
}

/// The software-update settings item of a `declaration-items` answer.
pub(crate) fn settings_item(items: &Value) -> Value {
    items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["Identifier"] == "ringmaster.softwareupdate.settings")
        .unwrap()
        .clone()
}

/// Catalog, rings, and `enrollment` bound to Early Adoption; returns nothing.
pub(crate) async fn rollout_setup(app: &TestApp, enrollment: &str) {
    import(app, fixture("catalog/macos-26-autumn-2025.json")).await;
    let early = load_rings(app).await[1];
    let response = send(
        app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{early}/bindings"),
        &json!({"devices": [enrollment]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

on_each_backend!(a_device_enrolls_itself_reports_its_os_and_gets_its_policy);
async fn a_device_enrolls_itself_reports_its_os_and_gets_its_policy(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, Some(SECRET))).await;

    // First contact: the device exists at once, its OS unknown, and subscribes to status.
    let tokens = get_json(&app, "tokens", "mac-1").await;
    let first_token = tokens["SyncTokens"]["DeclarationsToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(tokens["SyncTokens"]["Timestamp"], "2025-11-12T09:00:00Z");
    let device = admin_json(&app, "/api/v1/devices/mac-1").await;
    assert_eq!(device["platform"], Value::Null);
    let items = get_json(&app, "declaration-items", "mac-1").await;
    assert_eq!(items["DeclarationsToken"], first_token.as_str());
    for kind in ["Activations", "Configurations", "Assets", "Management"] {
        assert!(
            items["Declarations"][kind].is_array(),
            "{kind} present even when empty"
        );
    }
    assert_eq!(
        items["Declarations"]["Configurations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // It reports; it is bound to a ring: its set grows and its token changes.
    let response = check_in(
        &app,
        Method::PUT,
        "status",
        "mac-1",
        Some(&mac_report("26.0.1", true)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.bytes().await.unwrap().is_empty(),
        "200 with an empty body"
    );
    let device = admin_json(&app, "/api/v1/devices/mac-1").await;
    assert_eq!(device["platform"], "macOS");
    assert_eq!(device["osVersion"], "26.0.1");
    assert_eq!(device["model"], "Mac16,1", "the model identifier");
    assert_eq!(
        device["softwareUpdateDeviceId"], "J413AP",
        "the software-update device id, beside the model"
    );
    rollout_setup(&app, "mac-1").await;

    let items = get_json(&app, "declaration-items", "mac-1").await;
    let token = items["DeclarationsToken"].as_str().unwrap().to_owned();
    assert_ne!(token, first_token);
    let configurations = items["Declarations"]["Configurations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        configurations.len(),
        3,
        "settings, status subscriptions, enforcement: {items}"
    );
    for item in &configurations {
        let identifier = item["Identifier"].as_str().unwrap();
        let declaration = get_json(
            &app,
            &format!("declaration/configuration/{identifier}"),
            "mac-1",
        )
        .await;
        assert_eq!(declaration["ServerToken"], item["ServerToken"]);
        assert_eq!(declaration["Identifier"], identifier);
    }
    let enforcement = configurations
        .iter()
        .find(|item| item["Identifier"].as_str().unwrap().contains("enforcement"))
        .unwrap();
    let body = get_json(
        &app,
        &format!(
            "declaration/configuration/{}",
            enforcement["Identifier"].as_str().unwrap()
        ),
        "mac-1",
    )
    .await;
    assert_eq!(
        body["Payload"]["TargetLocalDateTime"],
        "2025-11-17T17:00:00"
    );

    // Asking again changes nothing; the tokens agree.
    let again = get_json(&app, "tokens", "mac-1").await;
    assert_eq!(again["SyncTokens"]["DeclarationsToken"], token.as_str());

    // Wrong kind, unknown identifier, another device's declaration: 404.
    let identifier = enforcement["Identifier"].as_str().unwrap();
    for (endpoint, enrollment) in [
        (format!("declaration/activation/{identifier}"), "mac-1"),
        ("declaration/configuration/nope".to_owned(), "mac-1"),
        (format!("declaration/configuration/{identifier}"), "mac-2"),
        (format!("declaration/widget/{identifier}"), "mac-1"),
    ] {
        let response = check_in(&app, Method::GET, &endpoint, enrollment, None).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{endpoint} for {enrollment}"
        );
    }
}

on_each_backend!(
    a_fetched_declaration_matches_the_token_given_even_when_the_policy_changes_in_between
);
async fn a_fetched_declaration_matches_the_token_given_even_when_the_policy_changes_in_between(
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
    let settings = settings_item(&items);

    // An admin changes the Early Adoption macOS policy between the items and the fetch.
    let policies = admin_json(&app, "/api/v1/policies").await;
    let early = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Early Adoption (macOS)")
        .unwrap()
        .clone();
    let mut changed = early.clone();
    for key in ["id", "policyGroup", "revision", "createdAt", "updatedAt"] {
        changed.as_object_mut().unwrap().remove(key);
    }
    changed["notifications"] = "oneHourBeforeDeadline".into();
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{}", early["id"]),
        &changed,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let fetched = get_json(
        &app,
        "declaration/configuration/ringmaster.softwareupdate.settings",
        "mac-1",
    )
    .await;
    assert_eq!(
        fetched["ServerToken"], settings["ServerToken"],
        "the revision the token advertised"
    );
    assert_eq!(fetched["Payload"]["Notifications"], true);

    // The next sync sees the change.
    let items = get_json(&app, "declaration-items", "mac-1").await;
    let fresh = get_json(
        &app,
        "declaration/configuration/ringmaster.softwareupdate.settings",
        "mac-1",
    )
    .await;
    assert_ne!(fresh["ServerToken"], settings["ServerToken"]);
    assert_eq!(fresh["Payload"]["Notifications"], false);
    assert!(
        items["Declarations"]["Configurations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["ServerToken"] == fresh["ServerToken"])
    );
}

on_each_backend!(check_ins_need_the_secret_as_a_bearer_token_or_an_hmac_of_the_body);
async fn check_ins_need_the_secret_as_a_bearer_token_or_an_hmac_of_the_body(backend: TestBackend) {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, Some(SECRET))).await;
    let url = app.url("/ddm/status");
    let body = serde_json::to_vec(&mac_report("26.0.1", true)).unwrap();
    let put = || {
        app.client
            .put(&url)
            .header("X-Enrollment-ID", "mac-1")
            .header("content-type", "application/json")
            .body(body.clone())
    };
    assert_eq!(
        put().send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        put().bearer_auth("wrong").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let response = put()
        .header("X-Hmac-Signature", &signature)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let forged = put()
        .header("X-Hmac-Signature", "AAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // An admin API token is not the DDM secret, and the DDM secret is not an admin token.
    let response = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "mac-1")
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .get(app.url("/api/v1/devices"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = app
        .client
        .get(app.url("/ddm/tokens"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "X-Enrollment-ID is required"
    );
    let long = "x".repeat(300);
    let response = check_in(&app, Method::GET, "tokens", &long, None).await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "an overlong enrollment id"
    );
    let response = app
        .admin(Method::GET, &format!("/api/v1/devices/{long}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "and no device was created"
    );
    let response = check_in(
        &app,
        Method::PUT,
        "status",
        "mac-1",
        Some(&json!({"StatusItems": []})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(response).await["errors"][0]["pointer"],
        "/StatusItems"
    );
}

#[tokio::test]
async fn the_raw_plist_check_in_answers_like_the_endpoints() {
    let clock = Clock::manual("2025-11-12T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(
        crate::support::TestBackend::Sqlite,
        options(&clock, Some(SECRET)),
    )
    .await;
    let message = |endpoint: &str, data: Option<&[u8]>| {
        let mut dictionary = plist::Dictionary::new();
        dictionary.insert("MessageType".into(), "DeclarativeManagement".into());
        dictionary.insert("EnrollmentID".into(), "ipad-1".into());
        dictionary.insert("Endpoint".into(), endpoint.into());
        if let Some(data) = data {
            dictionary.insert("Data".into(), plist::Value::Data(data.to_vec()));
        }
        let mut bytes = Vec::new();
        plist::to_writer_xml(&mut bytes, &plist::Value::Dictionary(dictionary)).unwrap();
        bytes
    };
    let post = |body: Vec<u8>| {
        app.client
            .put(app.url("/mdm/checkin"))
            .header("content-type", "application/x-apple-aspen-mdm-checkin")
            .bearer_auth(SECRET)
            .body(body)
            .send()
    };
    let report = json!({"StatusItems": {"device": {"operating-system": {"family": "iPadOS", "version": "26.0.1"}}}, "FullReport": true});
    let response = post(message(
        "status",
        Some(&serde_json::to_vec(&report).unwrap()),
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        admin_json(&app, "/api/v1/devices/ipad-1").await["platform"],
        "iOS"
    );
    let tokens = json_body(post(message("tokens", None)).await.unwrap()).await;
    let direct = get_json(&app, "tokens", "ipad-1").await;
    assert_eq!(
        tokens["SyncTokens"]["DeclarationsToken"],
        direct["SyncTokens"]["DeclarationsToken"]
    );
    let items = json_body(post(message("declaration-items", None)).await.unwrap()).await;
    let activation = items["Declarations"]["Activations"][0]["Identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let declaration = json_body(
        post(message(
            &format!("declaration/activation/{activation}"),
            None,
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(declaration["Type"], "com.apple.activation.simple");
    let response = post(b"not a plist".to_vec()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
