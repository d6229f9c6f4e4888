//! The `release_halted` webhook event through the real server, on both backends: a receiver on
//! a random port, registered as a webhook, gets the event when a gate evaluation halts a release
//! (Vanguard's simulated Macs fail 26.1 and Early Adoption waits for Vanguard), with
//! PatchServer's keys every event carries (`event`, `timestamp`, `software_title`, `"version:"`,
//! `version`, `url`, sent as `application/json`) and the halt's body: release, platform, ring,
//! gated ring, failed percent, the gate's maximum and the reason. Once: a later round that finds
//! the same halt queues nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, SimulatedDevice};
use serde_json::{Value, json};

use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{
    AppOptions, TestBackend, fast_webhooks, json_body, load_rings, spawn_app_with,
};
use crate::webhooks::add_webhook;

/// Every request the receiver took: its content type and body.
type Taken = Arc<Mutex<Vec<(String, Value)>>>;

async fn receiver() -> (String, Taken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let taken: Taken = Arc::default();
    let state = taken.clone();
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let kind = headers
                        .get("content-type")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    state.lock().unwrap().push((kind, body));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, taken)
}

fn instant(day: Date, hour: i8) -> Timestamp {
    day.at(hour, 30, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
}

on_each_backend!(a_halt_is_announced_to_webhooks_with_the_ring_the_percentages_and_the_reason);
async fn a_halt_is_announced_to_webhooks_with_the_ring_the_percentages_and_the_reason(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-01T08:00:00Z".parse().unwrap());
    let app = spawn_app_with(
        backend,
        AppOptions {
            clock: clock.clone(),
            webhooks: fast_webhooks(),
            ..AppOptions::default()
        },
    )
    .await;
    let (url, taken) = receiver().await;
    add_webhook(&app, &json!({"url": url})).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    // Two Macs in Vanguard that fail every install, two in Early Adoption.
    let mut devices: Vec<SimulatedDevice> = (0..4)
        .map(|index| {
            SimulatedDevice::new(
                DeviceProfile::example_mac(&format!("mac-{index}")),
                DeviceOptions {
                    fail_install: index < 2,
                    ..DeviceOptions::default()
                },
            )
        })
        .collect();
    for device in devices.iter_mut() {
        assert!(client.sync(device, clock.now()).await.is_ok());
    }
    let rings = load_rings(&app).await;
    for (ring, members) in [
        (rings[0], ["mac-0", "mac-1"]),
        (rings[1], ["mac-2", "mac-3"]),
    ] {
        let path = format!("/api/v1/policy-groups/{ring}/bindings");
        let response = send(&app, Method::PUT, &path, &json!({"devices": members})).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let gate = format!("/api/v1/policy-groups/{}/gate", rings[1]);
    let document = json!({"after": rings[0], "minInstalledPercent": 100, "maxFailedPercent": 10});
    assert_eq!(
        send(&app, Method::PUT, &gate, &document).await.status(),
        StatusCode::OK
    );
    let feed = json!({"AssetSets": {"macOS": [{"ProductVersion": "26.1", "Build": "25B78",
        "PostingDate": "2025-11-03", "SupportedDevices": ["J413AP"]}]}});
    import(&app, serde_json::to_vec(&feed).unwrap()).await;

    // Day by day until a round halts 26.1.
    let mut day: Date = "2025-11-02".parse().unwrap();
    let mut halts = 0;
    while halts == 0 {
        assert!(
            day <= "2025-11-30".parse().unwrap(),
            "26.1 was never halted"
        );
        for hour in [0, 12] {
            clock.set(instant(day, hour));
            for device in devices.iter_mut() {
                assert!(client.sync(device, clock.now()).await.is_ok());
            }
            let response = send(
                &app,
                Method::POST,
                "/api/v1/policy-groups/gates/evaluate",
                &json!({}),
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK);
            halts += json_body(response).await["halted"]
                .as_array()
                .unwrap()
                .len();
        }
        day = day.tomorrow().unwrap();
    }
    assert_eq!(halts, 1);
    let started = Instant::now();
    let event = loop {
        let halted: Vec<(String, Value)> = taken
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, body)| body["event"] == "release_halted")
            .cloned()
            .collect();
        if let Some(event) = halted.first() {
            assert_eq!(halted.len(), 1, "{halted:?}");
            break event.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no event arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (kind, body) = event;
    assert_eq!(kind, "application/json");
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "event",
        "timestamp",
        "software_title",
        "version:",
        "version",
        "url",
    ] {
        assert!(keys.contains(&key), "{key}: {body:#}");
    }
    assert_eq!(body["software_title"], "macOS", "{body:#}");
    assert_eq!(body["version:"], "26.1");
    assert_eq!(body["release"], "26.1");
    assert_eq!(body["platform"], "macOS");
    assert_eq!(body["ring"], "Vanguard");
    assert_eq!(body["ring_id"], rings[0]);
    assert_eq!(body["gated_ring"], "Early Adoption");
    assert_eq!(body["max_failed_percent"], 10);
    let failed = body["failed_percent"].as_u64().unwrap();
    assert!(failed > 10, "{body:#}");
    assert_eq!(
        body["reason"],
        format!(
            "{failed}% of Vanguard's devices failed or rejected macOS 26.1, more than the 10% the \
             gate of Early Adoption allows: it is halted for every ring after Vanguard"
        )
    );
    let timestamp = body["timestamp"].as_i64().unwrap();
    assert!(timestamp <= clock.now().as_second(), "{body:#}");
    assert!(timestamp > clock.now().as_second() - 86_400, "{body:#}");

    // A later round finds the same halt and queues nothing.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/policy-groups/gates/evaluate",
        &json!({}),
    )
    .await;
    assert_eq!(json_body(response).await["halted"], json!([]));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = taken
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, body)| body["event"] == "release_halted")
        .count();
    assert_eq!(events, 1);
}
