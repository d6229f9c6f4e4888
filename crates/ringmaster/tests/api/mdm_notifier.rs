//! The notifier against a real MDM's enqueue API, played by a local receiver that behaves as
//! NanoMDM and NanoHUB do: the enqueue route exists only with its slash (`/v1/enqueue/{ids}`),
//! the basic-auth user is checked, and a partial failure is answered 207 with NanoMDM's
//! per-id `status` body. On both backends.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use reqwest::Method;
use ringmaster::clock::Clock;
use ringmaster::os_updates::notifier::NotifierConfig;
use serde_json::json;

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{AppOptions, TestApp, TestBackend, fixture, load_rings, spawn_app_with};

/// What the receiver does with an id.
#[derive(Clone, Default)]
struct Behaviour {
    /// The basic-auth user it accepts (401 for any other).
    user: String,
    /// Ids answered as failed (`command_error`) this many times before they succeed.
    failing: Vec<(String, usize)>,
}

/// A receiver of enqueues: records the ids of every request, in order.
#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<Vec<String>>>>,
    failures_left: Arc<Mutex<Vec<(String, usize)>>>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> (String, Receiver) {
        let receiver = Receiver {
            failures_left: Arc::new(Mutex::new(behaviour.failing.clone())),
            ..Receiver::default()
        };
        let state = receiver.clone();
        let user = behaviour.user.clone();
        let app = axum::Router::new().route(
            "/v1/enqueue/{ids}",
            axum::routing::put(move |Path(ids): Path<String>, headers: HeaderMap| {
                let state = state.clone();
                let user = user.clone();
                async move { state.answer(&ids, &headers, &user) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        // No trailing slash: the notifier must add it.
        (format!("http://{address}/v1/enqueue"), receiver)
    }

    fn answer(&self, ids: &str, headers: &HeaderMap, user: &str) -> axum::response::Response {
        let authorization = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|value| base64::engine::general_purpose::STANDARD.decode(value).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        if authorization != format!("{user}:api-key") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let ids: Vec<String> = ids.split(',').map(str::to_owned).collect();
        self.requests.lock().unwrap().push(ids.clone());
        let mut failed = Vec::new();
        for (id, left) in self.failures_left.lock().unwrap().iter_mut() {
            if *left > 0 && ids.contains(id) {
                *left -= 1;
                failed.push(id.clone());
            }
        }
        if failed.is_empty() {
            return StatusCode::OK.into_response();
        }
        let status: serde_json::Map<String, serde_json::Value> = ids
            .iter()
            .map(|id| {
                let result = if failed.contains(id) {
                    json!({"command_error": "enqueue: storage unavailable"})
                } else {
                    json!({"push_result": format!("apns-{id}")})
                };
                (id.clone(), result)
            })
            .collect();
        let code = if failed.len() == ids.len() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::MULTI_STATUS
        };
        let body = json!({"status": status, "command_uuid": "c1", "request_type": "DeclarativeManagement"});
        (code, axum::Json(body)).into_response()
    }

    fn requests(&self) -> Vec<Vec<String>> {
        self.requests.lock().unwrap().clone()
    }

    fn times_sent(&self, id: &str) -> usize {
        self.requests()
            .iter()
            .filter(|ids| ids.iter().any(|sent| sent == id))
            .count()
    }

    async fn wait_until(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: requests were {:?}",
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn app_notifying(backend: TestBackend, url: String, user: &str, batch: usize) -> TestApp {
    let mut notify = NotifierConfig::new(url, Some("api-key".into()));
    notify.api_user = user.to_owned();
    notify.batch = batch;
    notify.every = Duration::from_millis(200);
    notify.backoff = Duration::from_millis(20);
    spawn_app_with(
        backend,
        AppOptions {
            clock: Clock::manual("2025-11-05T09:00:00Z".parse().unwrap()),
            notifier: Some(notify),
            ..AppOptions::default()
        },
    )
    .await
}

/// The device checks in once (status, then its declarations), so the notifier knows it.
async fn sync(app: &TestApp, enrollment: &str) {
    let report = json!({"StatusItems": {"device": {"operating-system": {"family": "macOS", "version": "26.0.1"}}}, "FullReport": true});
    for request in [
        app.client.put(app.url("/ddm/status")).json(&report),
        app.client.get(app.url("/ddm/declaration-items")),
    ] {
        let response = request
            .header("X-Enrollment-ID", enrollment)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

/// Binds `devices` to Early Adoption with 26.1 in the catalog: their declarations change.
async fn change_devices(app: &TestApp, devices: &[&str]) {
    import(app, fixture("catalog/macos-26-autumn-2025.json")).await;
    let early = load_rings(app).await[1];
    send(
        app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{early}/bindings"),
        &json!({ "devices": devices }),
    )
    .await;
}

on_each_backend!(an_enqueue_url_without_its_slash_reaches_nanohub_in_short_batches);
async fn an_enqueue_url_without_its_slash_reaches_nanohub_in_short_batches(backend: TestBackend) {
    let (url, receiver) = Receiver::start(Behaviour {
        user: "nanohub".into(),
        failing: Vec::new(),
    })
    .await;
    let app = app_notifying(backend, url, "nanohub", 2).await;
    let devices = ["mac-1", "mac-2", "mac-3", "mac-4", "mac-5"];
    for device in devices {
        sync(&app, device).await;
    }
    change_devices(&app, &devices).await;
    receiver
        .wait_until("all five notified", |r| {
            devices.iter().all(|id| r.times_sent(id) == 1)
        })
        .await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "{backend:?}: {requests:?}");
    assert!(
        requests.iter().all(|ids| ids.len() <= 2),
        "{backend:?}: batches of at most 2: {requests:?}"
    );
    let sent: BTreeSet<&String> = requests.iter().flatten().collect();
    assert_eq!(sent.len(), 5, "{backend:?}: each device once");
}

on_each_backend!(a_partial_failure_retries_only_the_failed_ids);
async fn a_partial_failure_retries_only_the_failed_ids(backend: TestBackend) {
    let (url, receiver) = Receiver::start(Behaviour {
        user: "nanomdm".into(),
        failing: vec![("mac-2".into(), 1)],
    })
    .await;
    let app = app_notifying(backend, url, "nanomdm", 30).await;
    let devices = ["mac-1", "mac-2", "mac-3"];
    for device in devices {
        sync(&app, device).await;
    }
    change_devices(&app, &devices).await;
    receiver
        .wait_until("mac-2 sent again", |r| r.times_sent("mac-2") == 2)
        .await;
    let requests = receiver.requests();
    assert_eq!(
        requests,
        vec![
            vec!["mac-1".to_owned(), "mac-2".to_owned(), "mac-3".to_owned()],
            vec!["mac-2".to_owned()],
        ],
        "{backend:?}: the 207 answer's failed id alone is sent again"
    );
    // Nothing more: all three were recorded as notified.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.requests().len(), 2, "{backend:?}");
}

on_each_backend!(an_id_that_keeps_failing_is_tried_next_round_and_the_others_are_not);
async fn an_id_that_keeps_failing_is_tried_next_round_and_the_others_are_not(backend: TestBackend) {
    // The notifier tries 4 times a round: mac-2 fails 5 times, so a second round is needed.
    let (url, receiver) = Receiver::start(Behaviour {
        user: "nanomdm".into(),
        failing: vec![("mac-2".into(), 5)],
    })
    .await;
    let app = app_notifying(backend, url, "nanomdm", 30).await;
    let devices = ["mac-1", "mac-2", "mac-3"];
    for device in devices {
        sync(&app, device).await;
    }
    change_devices(&app, &devices).await;
    receiver
        .wait_until("mac-2 finally taken", |r| r.times_sent("mac-2") == 6)
        .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.times_sent("mac-1"), 1, "{backend:?}");
    assert_eq!(receiver.times_sent("mac-3"), 1, "{backend:?}");
    assert_eq!(receiver.times_sent("mac-2"), 6, "{backend:?}");
}

on_each_backend!(the_wrong_user_is_refused_and_retried);
async fn the_wrong_user_is_refused_and_retried(backend: TestBackend) {
    let (url, receiver) = Receiver::start(Behaviour {
        user: "nanohub".into(),
        failing: Vec::new(),
    })
    .await;
    // The default user, nanomdm, is not NanoHUB's.
    let app = app_notifying(backend, url, "nanomdm", 30).await;
    sync(&app, "mac-1").await;
    change_devices(&app, &["mac-1"]).await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(
        receiver.requests().is_empty(),
        "{backend:?}: a 401 is not a delivery"
    );
}
