//! Webhook events against a local receiver that fails first: each title create, edit, version add
//! and delete arrives with PatchServer's payload keys, after retries, while the write itself
//! answers at once; `send_definition` adds the served definition; a disabled webhook gets
//! nothing, nor does a write that changes nothing or is refused; a delivery failing every attempt
//! is dropped, and deleting a webhook drops what is queued for it; `verify_ssl: false` reaches a
//! self-signed receiver that a verifying webhook cannot; two servers on one database send each
//! event exactly once. On both backends. Retries follow the application clock, which these tests
//! move by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode as AxumStatus;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster::server::ServerConfig;
use ringmaster::webhooks::delivery::WebhookDeliveryConfig;
use ringmaster_testing::json::keys;
use serde_json::{Value, json};

use crate::os_policies::send;
use crate::support::{
    AppOptions, TestApp, TestBackend, admin_json, fast_webhooks, fixture, json_body, spawn_app_with,
};
use crate::webhooks::add_webhook;

/// A receiver of events on `/{name}`: answers 500 (after `delay`) to the first `failures`
/// requests of each name, then 200; keeps the bodies it took.
#[derive(Clone)]
struct Receiver {
    base: String,
    attempts: Arc<Mutex<HashMap<String, usize>>>,
    taken: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Receiver {
    async fn start(failures: usize, delay: Duration) -> Receiver {
        Receiver::start_with(failures, delay, false).await
    }

    /// With `tls`, over HTTPS with a self-signed certificate for 127.0.0.1 (`fixtures/tls`).
    async fn start_with(failures: usize, delay: Duration, tls: bool) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls { "https" } else { "http" };
        let receiver = Receiver {
            base: format!("{scheme}://{}", listener.local_addr().unwrap()),
            attempts: Arc::default(),
            taken: Arc::default(),
        };
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/{name}",
            axum::routing::post(move |Path(name): Path<String>, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let attempt = {
                        let mut attempts = state.attempts.lock().unwrap();
                        let count = attempts.entry(name.clone()).or_default();
                        *count += 1;
                        *count
                    };
                    if attempt <= failures {
                        tokio::time::sleep(delay).await;
                        return AxumStatus::INTERNAL_SERVER_ERROR;
                    }
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    state.taken.lock().unwrap().push((name, body));
                    AxumStatus::OK
                }
            }),
        );
        if tls {
            tokio::spawn(serve_tls(listener, app));
        } else {
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        receiver
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    fn attempts(&self, name: &str) -> usize {
        self.attempts
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or_default()
    }

    /// The bodies `name` took, in order of arrival.
    fn taken(&self, name: &str) -> Vec<Value> {
        self.taken
            .lock()
            .unwrap()
            .iter()
            .filter(|(taken, _)| taken == name)
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// Waits (moving `clock` an hour at a time, so retries fall due) until `name` took `count`.
    async fn wait_for(&self, name: &str, count: usize, clock: &Clock) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let taken = self.taken(name);
            if taken.len() >= count {
                return taken;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} took {} of {count} events in 30 s ({} attempts)",
                taken.len(),
                self.attempts(name)
            );
            clock.advance(jiff::SignedDuration::from_hours(1));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Serves `app` over TLS with the self-signed certificate of `fixtures/tls`.
async fn serve_tls(listener: tokio::net::TcpListener, app: axum::Router) {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certificate = CertificateDer::from_pem_slice(&fixture("tls/self-signed.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_slice(&fixture("tls/self-signed.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certificate], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    while let Ok((stream, _)) = listener.accept().await {
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A client that refuses the certificate ends the handshake: nothing to serve.
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

const START: &str = "2026-03-02T10:00:00Z";

fn options(clock: &Clock, webhooks: WebhookDeliveryConfig) -> AppOptions {
    AppOptions {
        clock: clock.clone(),
        webhooks,
        ..AppOptions::default()
    }
}

fn version_body(version: &str) -> Value {
    json!({
        "version": version, "releaseDate": "2026-02-03T04:05:06.789Z", "standalone": true,
        "minimumOperatingSystem": "13.0", "reboot": false, "killApps": [],
        "components": [{"name": "Jamf Admin", "version": version, "criteria": [
            {"name": "Application Bundle ID", "operator": "is", "value": "com.jamfsoftware.JamfAdmin", "type": "recon"}
        ]}],
        "capabilities": []
    })
}

async fn ok(response: reqwest::Response, status: StatusCode, what: &str) {
    let got = response.status();
    assert_eq!(
        got,
        status,
        "{what}: {}",
        response.text().await.unwrap_or_default()
    );
}

async fn events_arrive_after_retries(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let receiver = Receiver::start(2, Duration::from_millis(1500)).await;
    let config = WebhookDeliveryConfig {
        public_url: Some("https://patch.example/".into()),
        backoff: Duration::from_secs(60),
        ..fast_webhooks()
    };
    let app = spawn_app_with(backend, options(&clock, config)).await;
    add_webhook(&app, &json!({"url": receiver.url("plain")})).await;
    add_webhook(
        &app,
        &json!({"url": receiver.url("full"), "send_definition": true}),
    )
    .await;
    add_webhook(&app, &json!({"url": receiver.url("off"), "enabled": false})).await;

    let started = Instant::now();
    ok(
        app.create_title(&fixture("titles/JamfAdmin.json")).await,
        StatusCode::CREATED,
        "create",
    )
    .await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1000),
        "the create waited for the receiver ({took:?})"
    );

    let plain = receiver.wait_for("plain", 1, &clock).await;
    let full = receiver.wait_for("full", 1, &clock).await;
    eprintln!(
        "{backend:?}: the create answered in {took:?}; the event arrived after 3 attempts, {:?} after the write",
        started.elapsed()
    );
    assert_eq!(receiver.attempts("plain"), 3, "two failures, then taken");
    assert_eq!(receiver.attempts("full"), 3);
    let event = &plain[0];
    assert_eq!(
        keys(event),
        [
            "event",
            "timestamp",
            "software_title",
            "version:",
            "version",
            "url"
        ]
    );
    let start: jiff::Timestamp = START.parse().unwrap();
    assert_eq!(
        event,
        &json!({
            "event": "new_title", "timestamp": start.as_second(), "software_title": "JamfAdmin",
            "version:": "10.2.0", "version": "10.2.0",
            "url": "https://patch.example/jamf/v1/patch/JamfAdmin",
        })
    );
    let served = json_body(app.get("/jamf/v1/patch/JamfAdmin").await).await;
    assert_eq!(full[0]["patch_definition"], served, "the served definition");
    assert_eq!(full[0]["event"], "new_title");

    // Every later write fires its event (the receiver takes them at once now).
    let add = send(
        &app,
        Method::POST,
        "/api/v1/title/JamfAdmin/version",
        &version_body("10.9.0"),
    )
    .await;
    ok(add, StatusCode::CREATED, "add a version").await;
    receiver.wait_for("plain", 2, &clock).await;
    let disable = app
        .admin(Method::POST, "/api/v1/title/JamfAdmin/disable")
        .send()
        .await
        .unwrap();
    ok(disable, StatusCode::OK, "disable").await;
    receiver.wait_for("plain", 3, &clock).await;
    // Writes that change nothing, or are refused, fire nothing.
    let again = app
        .admin(Method::POST, "/api/v1/title/JamfAdmin/disable")
        .send()
        .await
        .unwrap();
    ok(again, StatusCode::OK, "disable again").await;
    let duplicate = send(
        &app,
        Method::POST,
        "/api/v1/title/JamfAdmin/version",
        &version_body("10.9.0"),
    )
    .await;
    ok(duplicate, StatusCode::CONFLICT, "the same version again").await;
    let delete = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    ok(delete, StatusCode::NO_CONTENT, "delete").await;
    let plain = receiver.wait_for("plain", 4, &clock).await;
    let full = receiver.wait_for("full", 4, &clock).await;
    let names: Vec<&str> = plain
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["new_title", "new_version", "title_updated", "title_deleted"]
    );
    assert_eq!(plain[1]["version:"], "10.9.0", "the new current version");
    assert!(
        plain
            .iter()
            .all(|event| event.get("patch_definition").is_none())
    );
    assert!(
        full.iter()
            .all(|event| event["patch_definition"]["id"] == "JamfAdmin")
    );
    assert_eq!(full[3]["event"], "title_deleted");
    assert_eq!(full[3]["patch_definition"]["currentVersion"], "10.9.0");
    assert_eq!(
        receiver.attempts("off"),
        0,
        "a disabled webhook gets nothing"
    );
    let counts = app.database.store().await.delivery_counts().await.unwrap();
    assert_eq!((counts.pending, counts.dead), (0, 0), "the queue is empty");
    app.stop().await;
}

on_each_backend!(events_arrive_with_patchservers_payload_after_retries_and_writes_never_wait);
async fn events_arrive_with_patchservers_payload_after_retries_and_writes_never_wait(
    backend: TestBackend,
) {
    events_arrive_after_retries(backend).await;
}

async fn dead_and_dropped(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let receiver = Receiver::start(usize::MAX, Duration::ZERO).await;
    let config = WebhookDeliveryConfig {
        attempts: 3,
        ..fast_webhooks()
    };
    let app = spawn_app_with(backend, options(&clock, config)).await;
    let hook = add_webhook(&app, &json!({"url": receiver.url("down")})).await;
    let store = app.database.store().await;
    ok(
        app.create_title(&fixture("titles/JamfAdmin.json")).await,
        StatusCode::CREATED,
        "create",
    )
    .await;
    let started = Instant::now();
    while store.delivery_counts().await.unwrap().dead == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never marked dead"
        );
        clock.advance(jiff::SignedDuration::from_hours(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receiver.attempts("down"), 3, "three attempts, then dropped");
    let counts = store.delivery_counts().await.unwrap();
    assert_eq!((counts.pending, counts.dead), (0, 1));

    // An event queued for a webhook that is then deleted is never sent.
    let delete = app
        .admin(Method::DELETE, "/api/v1/title/JamfAdmin")
        .send()
        .await
        .unwrap();
    ok(delete, StatusCode::NO_CONTENT, "delete title").await;
    let removed = app
        .admin(Method::DELETE, &format!("/api/v1/webhooks/{hook}"))
        .send()
        .await
        .unwrap();
    ok(removed, StatusCode::NO_CONTENT, "delete webhook").await;
    let counts = store.delivery_counts().await.unwrap();
    assert_eq!(
        (counts.pending, counts.dead),
        (0, 0),
        "its queue went with it"
    );
    let attempts = receiver.attempts("down");
    clock.advance(jiff::SignedDuration::from_hours(24));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.attempts("down") <= attempts + 1,
        "nothing more is sent"
    );
    app.stop().await;
}

on_each_backend!(
    a_delivery_failing_every_attempt_is_dropped_and_deleting_a_webhook_drops_its_queue
);
async fn a_delivery_failing_every_attempt_is_dropped_and_deleting_a_webhook_drops_its_queue(
    backend: TestBackend,
) {
    dead_and_dropped(backend).await;
}

async fn second_server(app: &TestApp) -> ringmaster::server::RunningServer {
    let store = app.database.store().await;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: app.database.url.clone(),
        http: crate::support::open_ddm_http(),
        cache_refresh: Duration::from_millis(200),
        catalog_poll: None,
        clock: Clock::System,
        notifier: None,
        webhooks: fast_webhooks(),
        audit: Default::default(),
    };
    ringmaster::server::start_with_store(config, store)
        .await
        .expect("second server")
}

async fn once_per_cluster(backend: TestBackend) {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let first = spawn_app_with(backend, AppOptions::default()).await;
    let second = second_server(&first).await;
    let second_url = format!("http://{}", second.address);
    add_webhook(&first, &json!({"url": receiver.url("cluster")})).await;
    ok(
        first.create_title(&fixture("titles/JamfAdmin.json")).await,
        StatusCode::CREATED,
        "create",
    )
    .await;
    let add = first
        .client
        .post(format!("{second_url}/api/v1/title/JamfAdmin/version"))
        .bearer_auth(&first.token)
        .json(&version_body("10.9.0"))
        .send()
        .await
        .unwrap();
    ok(
        add,
        StatusCode::CREATED,
        "add a version through the second server",
    )
    .await;
    let delete = first
        .client
        .delete(format!("{second_url}/api/v1/title/JamfAdmin"))
        .bearer_auth(&first.token)
        .send()
        .await
        .unwrap();
    ok(
        delete,
        StatusCode::NO_CONTENT,
        "delete through the second server",
    )
    .await;
    receiver.wait_for("cluster", 3, &Clock::System).await;
    // Both servers keep looking a while longer: nothing is sent twice.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut names: Vec<String> = receiver
        .taken("cluster")
        .iter()
        .map(|event| event["event"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["new_title", "new_version", "title_deleted"]);
    assert_eq!(receiver.attempts("cluster"), 3);
    let hooks = admin_json(&first, "/api/v1/webhooks").await;
    assert_eq!(hooks.as_array().unwrap().len(), 1);
    second.stop().await.unwrap();
    first.stop().await;
}

on_each_backend!(two_servers_on_one_database_send_each_event_exactly_once);
async fn two_servers_on_one_database_send_each_event_exactly_once(backend: TestBackend) {
    once_per_cluster(backend).await;
}

async fn verify_ssl(backend: TestBackend) {
    let clock = Clock::manual(START.parse().unwrap());
    let receiver = Receiver::start_with(0, Duration::ZERO, true).await;
    let config = WebhookDeliveryConfig {
        attempts: 2,
        ..fast_webhooks()
    };
    let app = spawn_app_with(backend, options(&clock, config)).await;
    add_webhook(&app, &json!({"url": receiver.url("strict")})).await;
    add_webhook(
        &app,
        &json!({"url": receiver.url("trusting"), "verify_ssl": false}),
    )
    .await;
    ok(
        app.create_title(&fixture("titles/JamfAdmin.json")).await,
        StatusCode::CREATED,
        "create",
    )
    .await;
    let taken = receiver.wait_for("trusting", 1, &clock).await;
    assert_eq!(taken[0]["event"], "new_title");
    let store = app.database.store().await;
    let started = Instant::now();
    while store.delivery_counts().await.unwrap().dead == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never marked dead"
        );
        clock.advance(jiff::SignedDuration::from_hours(1));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        receiver.attempts("strict"),
        0,
        "a verifying client never got past the self-signed certificate"
    );
    app.stop().await;
}

on_each_backend!(verify_ssl_false_accepts_a_self_signed_receiver_and_only_for_that_webhook);
async fn verify_ssl_false_accepts_a_self_signed_receiver_and_only_for_that_webhook(
    backend: TestBackend,
) {
    verify_ssl(backend).await;
}
