//! The notifier's scoped rounds against full ones: after each change of bindings or device
//! groups (and a release import), a round that recomputes only the devices the change can reach
//! asks the MDM for exactly the devices a round over the whole fleet would. On both backends.
//!
//! Each step runs the full round first against an MDM that refuses everything (so it records
//! nothing, and the ids it tried are what it would have notified), then the scoped round, which
//! remembers the previous step's snapshot, against one that accepts.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use reqwest::Method;
use ringmaster::os_updates::notifier::{NotifierConfig, RoundMemory, RoundReport, notify_round};
use ringmaster::os_updates::service::OsUpdates;
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, fixture, json_body, load_rings, spawn_app};

/// An enqueue receiver that answers `status` to every request and records the ids.
#[derive(Clone)]
struct Mdm {
    url: String,
    ids: Arc<Mutex<BTreeSet<String>>>,
}

impl Mdm {
    async fn start(status: StatusCode) -> Mdm {
        let ids: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let seen = ids.clone();
        let app = axum::Router::new().route(
            "/v1/enqueue/{ids}",
            axum::routing::put(move |Path(list): Path<String>| {
                let seen = seen.clone();
                async move {
                    let mut seen = seen.lock().unwrap();
                    seen.extend(list.split(',').map(str::to_owned));
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mdm {
            url: format!("http://{address}/v1/enqueue/"),
            ids,
        }
    }

    fn config(&self) -> NotifierConfig {
        let mut config = NotifierConfig::new(self.url.clone(), Some("key".into()));
        config.attempts = 1;
        config.backoff = Duration::from_millis(1);
        config.batch = 3;
        config
    }

    /// The ids received since the last call.
    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.ids.lock().unwrap())
    }
}

struct Rounds {
    os_updates: OsUpdates,
    client: reqwest::Client,
    refusing: Mdm,
    accepting: Mdm,
    memory: RoundMemory,
}

impl Rounds {
    /// A full round (refused, so nothing is recorded), then the scoped round: both reports and
    /// the devices each asked for.
    async fn step(&mut self, what: &str) -> (RoundReport, RoundReport, BTreeSet<String>) {
        self.os_updates.refresh().await.unwrap();
        let mut fresh = RoundMemory::default();
        let full = notify_round(
            &self.os_updates,
            &self.client,
            &self.refusing.config(),
            &mut fresh,
        )
        .await
        .unwrap();
        let wanted = self.refusing.take();
        assert_eq!(full.failed, wanted.len(), "{what}: {full:?}");
        let scoped = notify_round(
            &self.os_updates,
            &self.client,
            &self.accepting.config(),
            &mut self.memory,
        )
        .await
        .unwrap();
        let notified = self.accepting.take();
        assert_eq!(
            notified, wanted,
            "{what}: the scoped round ({scoped:?}) asks for what the full one ({full:?}) would"
        );
        assert_eq!(scoped.notified, notified.len(), "{what}");
        (full, scoped, notified)
    }
}

async fn sync(app: &TestApp, device: &str, version: &str) {
    let report = json!({"StatusItems": {"device": {"operating-system": {"family": "macOS", "version": version}}}, "FullReport": true});
    let response = app
        .client
        .put(app.url("/ddm/status"))
        .header("X-Enrollment-ID", device)
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .client
        .get(app.url("/ddm/declaration-items"))
        .header("X-Enrollment-ID", device)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Value) -> Value {
    let response = send(app, method, path, &body).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    json_body(response).await
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("mac-{i}")).collect()
}

on_each_backend!(a_scoped_round_notifies_exactly_the_devices_a_full_round_would);
async fn a_scoped_round_notifies_exactly_the_devices_a_full_round_would(backend: TestBackend) {
    let app = spawn_app(backend).await;
    // Twelve Macs on two versions: they differ in what they are enforced, not only in settings.
    for (index, device) in ids(0..12).iter().enumerate() {
        sync(&app, device, if index % 3 == 0 { "26.0" } else { "26.0.1" }).await;
    }
    assert_eq!(
        import(&app, fixture("catalog/macos-26-autumn-2025.json"))
            .await
            .status(),
        StatusCode::OK
    );
    let rings = load_rings(&app).await;
    let group = |name: &str, members: Vec<String>| {
        let app = &app;
        let name = name.to_owned();
        async move {
            ok(
                app,
                Method::POST,
                "/api/v1/device-groups",
                json!({"name": name, "devices": members}),
            )
            .await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let lab = group("lab", ids(0..4)).await;
    let office = group("office", ids(4..8)).await;
    let bind = |ring: i64, targets: Value| {
        let app = &app;
        async move {
            ok(
                app,
                Method::PUT,
                &format!("/api/v1/policy-groups/{ring}/bindings"),
                targets,
            )
            .await;
        }
    };
    bind(rings[0], json!({"deviceGroups": [lab]})).await;
    bind(
        rings[1],
        json!({"deviceGroups": [office], "devices": ["mac-8"]}),
    )
    .await;

    let mut rounds = Rounds {
        os_updates: OsUpdates::new(app.database.store().await),
        client: reqwest::Client::new(),
        refusing: Mdm::start(StatusCode::BAD_GATEWAY).await,
        accepting: Mdm::start(StatusCode::OK).await,
        memory: RoundMemory::default(),
    };
    let (_, first, notified) = rounds.step("the first round").await;
    assert_eq!(first.recomputed, 12, "the first round sees every device");
    assert_eq!(notified, ids(0..9).into_iter().collect(), "the bound ones");
    let (_, again, notified) = rounds.step("nothing changed").await;
    assert_eq!(again.recomputed, 12, "the periodic round sees every device");
    assert!(notified.is_empty(), "asked once per change: {notified:?}");

    // The second ring moves to the lab: it wins there (a later ring), and its old devices lose it.
    bind(rings[1], json!({"deviceGroups": [lab]})).await;
    // (The office and mac-8 are back to what they were last served, so they are not asked.)
    let (full, scoped, notified) = rounds.step("a ring rebound").await;
    assert_eq!(full.recomputed, 12);
    assert_eq!(
        scoped.recomputed, 9,
        "the lab, the office and mac-8: {scoped:?}"
    );
    assert_eq!(notified, ids(0..4).into_iter().collect());

    // mac-3 leaves the lab and mac-9 joins it: only those two can change (and mac-3 is back
    // to what it was served).
    ok(
        &app,
        Method::PUT,
        &format!("/api/v1/device-groups/{lab}"),
        json!({"name": "lab", "devices": ["mac-0", "mac-1", "mac-2", "mac-9"]}),
    )
    .await;
    let (_, scoped, notified) = rounds.step("members moved").await;
    assert_eq!(scoped.recomputed, 2, "{scoped:?}");
    assert_eq!(notified, ["mac-9".to_owned()].into());

    // A third ring bound to one device, and the office renamed (same members): that device.
    bind(rings[2], json!({"devices": ["mac-10"]})).await;
    ok(
        &app,
        Method::PUT,
        &format!("/api/v1/device-groups/{office}"),
        json!({"name": "front office", "devices": ids(4..8)}),
    )
    .await;
    let (_, scoped, notified) = rounds.step("a device bound, a group renamed").await;
    assert_eq!(scoped.recomputed, 1, "{scoped:?}");
    assert_eq!(notified, ["mac-10".to_owned()].into());

    // Bound and unbound again between two rounds: the revision moved, no binding changed.
    bind(
        rings[2],
        json!({"devices": ["mac-10"], "deviceGroups": [office]}),
    )
    .await;
    bind(rings[2], json!({"devices": ["mac-10"]})).await;
    let (_, scoped, notified) = rounds.step("bound and unbound again").await;
    assert_eq!(scoped.recomputed, 0, "{scoped:?}");
    assert!(notified.is_empty(), "{notified:?}");

    // A release import for the other platform and a binding in one round: the bound device
    // (no iPhone has synced).
    bind(rings[3], json!({"devices": ["mac-11"]})).await;
    assert_eq!(
        import(&app, fixture("catalog/ios-26-autumn-2025.json"))
            .await
            .status(),
        StatusCode::OK
    );
    let (full, scoped, notified) = rounds.step("a release and a binding").await;
    assert_eq!((full.recomputed, scoped.recomputed), (12, 1), "{scoped:?}");
    assert_eq!(notified, ["mac-11".to_owned()].into());
}
