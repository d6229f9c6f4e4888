//! DDM answers signed for NanoMDM's `-dm-recv-hmac-key`: with `--ddm-secret` set, every answer
//! to an authenticated check-in carries `X-Hmac-Signature`, the base64 HMAC-SHA256 of the body
//! under the secret; refusals are not signed, and a bad signature is answered as one. On both
//! backends.

use axum::http::StatusCode;
use base64::Engine;
use hmac::{Hmac, Mac};
use ringmaster::http::HttpConfig;
use serde_json::json;
use sha2::Sha256;

use crate::support::{AppOptions, TestApp, TestBackend, spawn_app_with};

const SECRET: &str = "shared-dm-key";

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn app(backend: crate::support::TestBackend) -> TestApp {
    spawn_app_with(
        backend,
        AppOptions {
            http: HttpConfig {
                ddm_secret: Some(SECRET.into()),
                ..HttpConfig::default()
            },
            ..AppOptions::default()
        },
    )
    .await
}

/// Checks the answer's signature as NanoMDM does; returns the status and body.
async fn verified(response: reqwest::Response) -> (StatusCode, Vec<u8>) {
    let status = response.status();
    let claimed = response
        .headers()
        .get("x-hmac-signature")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.bytes().await.unwrap().to_vec();
    assert_eq!(
        claimed.as_deref(),
        Some(sign(&body).as_str()),
        "the {status} answer {:?} is signed",
        String::from_utf8_lossy(&body)
    );
    (status, body)
}

on_each_backend!(answers_to_signed_check_ins_are_signed_as_nanomdm_verifies);
async fn answers_to_signed_check_ins_are_signed_as_nanomdm_verifies(backend: TestBackend) {
    let app = app(backend).await;
    let report = serde_json::to_vec(&json!({"StatusItems": {"device": {"operating-system": {"family": "macOS", "version": "15.7.1"}}}, "FullReport": true})).unwrap();
    let (status, body) = verified(
        app.client
            .put(app.url("/ddm/status"))
            .header("X-Enrollment-ID", "mac-signed")
            .header("X-Enrollment-Type", "Device")
            .header("Content-Type", "application/json")
            .header("X-Hmac-Signature", sign(&report))
            .body(report.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend:?}");
    assert!(
        body.is_empty(),
        "{backend:?}: the status answer is empty and signed"
    );

    for path in ["/ddm/tokens", "/ddm/declaration-items"] {
        let (status, body) = verified(
            app.client
                .get(app.url(path))
                .header("X-Enrollment-ID", "mac-signed")
                .header("X-Hmac-Signature", sign(b""))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {path}");
        let _: serde_json::Value = serde_json::from_slice(&body).unwrap();
    }

    // An error answer to an authenticated request is signed too (NanoMDM checks every one).
    let (status, _) = verified(
        app.client
            .get(app.url("/ddm/declaration/configuration/not-served"))
            .header("X-Enrollment-ID", "mac-signed")
            .header("X-Hmac-Signature", sign(b""))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{backend:?}");

    // A bearer check-in is answered signed as well.
    let (status, _) = verified(
        app.client
            .get(app.url("/ddm/tokens"))
            .header("X-Enrollment-ID", "mac-signed")
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{backend:?}");
}

on_each_backend!(refusals_are_unsigned_and_a_bad_signature_is_named);
async fn refusals_are_unsigned_and_a_bad_signature_is_named(backend: TestBackend) {
    let app = app(backend).await;
    let anonymous = app
        .client
        .get(app.url("/ddm/tokens"))
        .header("X-Enrollment-ID", "mac-x")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
    assert!(
        anonymous.headers().get("x-hmac-signature").is_none(),
        "{backend:?}: a refusal gives no signature to replay"
    );

    for forged in [sign(b"another body"), "not base64!".to_owned()] {
        let response = app
            .client
            .put(app.url("/ddm/status"))
            .header("X-Enrollment-ID", "mac-x")
            .header("X-Hmac-Signature", &forged)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{backend:?}");
        assert!(response.headers().get("x-hmac-signature").is_none());
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("X-Hmac-Signature") && !message.contains("bearer"),
            "{backend:?}: {message}"
        );
    }
}
