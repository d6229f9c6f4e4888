//! Notifications to the MDM: when a synced device's declarations change (a binding, a release
//! entering the catalog, a deferral ending), NanoMDM's enqueue API is asked for the
//! `DeclarativeManagement` command, in batches, retried when the MDM fails.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use jiff::SignedDuration;
use reqwest::Method;
use ringmaster::clock::Clock;
use ringmaster::os_updates::notifier::NotifierConfig;
use serde_json::json;

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{AppOptions, TestApp, fixture, load_rings, spawn_app_with};

/// One enqueue the fake MDM received: device ids, the command's RequestType, the Authorization.
type Enqueued = (Vec<String>, String, String);

/// A fake NanoMDM: records every enqueue; fails the first `failures` requests.
#[derive(Clone, Default)]
struct FakeMdm {
    calls: Arc<Mutex<Vec<Enqueued>>>,
}

async fn fake_mdm(failures: usize) -> (String, FakeMdm) {
    let mdm = FakeMdm::default();
    let seen = mdm.clone();
    let counter = Arc::new(Mutex::new(0usize));
    let app = axum::Router::new().route(
        "/v1/enqueue/{ids}",
        axum::routing::put(
            move |Path(ids): Path<String>, headers: HeaderMap, body: axum::body::Bytes| {
                let seen = seen.clone();
                let counter = counter.clone();
                async move {
                    let attempt = {
                        let mut counter = counter.lock().unwrap();
                        *counter += 1;
                        *counter
                    };
                    if attempt <= failures {
                        return StatusCode::BAD_GATEWAY;
                    }
                    let command: plist::Dictionary = plist::from_bytes(&body).unwrap();
                    let request_type = command
                        .get("Command")
                        .and_then(|c| c.as_dictionary())
                        .and_then(|c| c.get("RequestType"))
                        .and_then(|t| t.as_string())
                        .unwrap_or("")
                        .to_owned();
                    let authorization = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    seen.calls.lock().unwrap().push((
                        ids.split(',').map(str::to_owned).collect(),
                        request_type,
                        authorization,
                    ));
                    StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/v1/enqueue/"), mdm)
}

impl FakeMdm {
    fn devices_notified(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .calls
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(ids, _, _)| ids.clone())
            .collect();
        ids.sort();
        ids
    }

    async fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.devices_notified().len() < count {
            assert!(
                Instant::now() < deadline,
                "only {:?} notified",
                self.devices_notified()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn sync(app: &TestApp, enrollment: &str, version: &str) {
    let report = json!({"StatusItems": {"device": {"operating-system": {"family": "macOS", "version": version}}}, "FullReport": true});
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", enrollment)
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .client
        .get(app.url("/ddm/declaration-items"))
        .header("X-Enrollment-ID", enrollment)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn changed_devices_are_notified_once_per_change_and_failures_are_retried() {
    let (url, mdm) = fake_mdm(2).await;
    let clock = Clock::manual("2025-11-05T09:00:00Z".parse().unwrap());
    let mut notify = NotifierConfig::new(url, Some("api-key".into()));
    notify.every = Duration::from_millis(200);
    notify.backoff = Duration::from_millis(20);
    let app = spawn_app_with(
        crate::support::TestBackend::Sqlite,
        AppOptions {
            clock: clock.clone(),
            notifier: Some(notify),
            ..AppOptions::default()
        },
    )
    .await;
    for device in ["mac-1", "mac-2", "mac-3"] {
        sync(&app, device, "26.0.1").await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(mdm.devices_notified().is_empty(), "nothing changed yet");

    // Bind Early Adoption to two of them: those two change (new settings), the third does not.
    import(&app, fixture("catalog/macos-26-autumn-2025.json")).await;
    let early = load_rings(&app).await[1];
    send(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{early}/bindings"),
        &json!({"devices": ["mac-1", "mac-2"]}),
    )
    .await;
    mdm.wait_for(2).await;
    assert_eq!(mdm.devices_notified(), vec!["mac-1", "mac-2"]);
    let (_, request_type, authorization) = mdm.calls.lock().unwrap()[0].clone();
    assert_eq!(request_type, "DeclarativeManagement");
    assert!(authorization.starts_with("Basic "), "{authorization}");

    // Not again while nothing changes, even though the devices have not synced yet.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(mdm.devices_notified().len(), 2);

    // They sync; then Early Adoption's deferral of 26.1 ends (2025-11-10): both are notified again.
    sync(&app, "mac-1", "26.0.1").await;
    sync(&app, "mac-2", "26.0.1").await;
    clock.advance(SignedDuration::from_hours(24 * 5));
    mdm.wait_for(4).await;
    assert_eq!(
        mdm.devices_notified(),
        vec!["mac-1", "mac-1", "mac-2", "mac-2"]
    );
}
