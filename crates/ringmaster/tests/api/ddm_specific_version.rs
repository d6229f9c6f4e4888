//! A specific-version policy end to end: simulated Macs of the Late Adoption ring, which would
//! not see macOS 26.1 before December, and a device group of them forced to 26.1 by a chosen
//! time. The group's Macs install it at that deadline, over the real protocol, keeping their
//! ring's settings; the rest of the ring is left alone; the compliance views follow.

use jiff::Timestamp;
use jiff::civil::DateTime;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, SimulatedDevice};
use serde_json::json;

use crate::ddm_protocol::options;
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::rollout_specific::force;
use crate::support::{TestBackend, admin_json, json_body, load_rings, spawn_app_with};

const DEADLINE: &str = "2025-11-14T17:00:00";

async fn sync_all(client: &SyncClient, devices: &mut [SimulatedDevice], now: Timestamp) {
    for device in devices.iter_mut() {
        let outcome = client.sync(device, now).await;
        assert!(
            outcome.is_ok(),
            "{}: {:?}",
            device.enrollment_id(),
            outcome.error
        );
        assert!(outcome.issues.is_empty(), "{:?}", outcome.issues);
    }
}

fn has(device: &SimulatedDevice, part: &str) -> bool {
    device
        .declarations()
        .any(|declaration| declaration.key().identifier.contains(part))
}

on_each_backend!(a_specific_version_policy_forces_a_device_group_to_a_version_by_a_time);
async fn a_specific_version_policy_forces_a_device_group_to_a_version_by_a_time(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-10T08:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let mut devices: Vec<SimulatedDevice> = (0..4)
        .map(|index| {
            SimulatedDevice::new(
                DeviceProfile::example_mac(&format!("mac-{index}")),
                DeviceOptions::default(),
            )
        })
        .collect();
    sync_all(&client, &mut devices, clock.now()).await;

    // macOS 26.1 (released 2025-11-03) reaches Late Adoption on 2025-12-03.
    let feed = json!({"AssetSets": {"macOS": [{
        "ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-11-03",
        "SupportedDevices": ["J413AP"]
    }]}});
    import(&app, serde_json::to_vec(&feed).unwrap()).await;
    let late = load_rings(&app).await[3];
    let ids = ["mac-0", "mac-1", "mac-2", "mac-3"];
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{late}/bindings"),
        &json!({ "devices": ids }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // Finance (mac-0, mac-1) must be on 26.1 by the deadline.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/device-groups",
        &json!({"name": "Finance", "devices": ["mac-0", "mac-1"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let finance = json_body(response).await["id"].as_i64().unwrap();
    let response = send(
        &app,
        Method::POST,
        "/api/v1/policies",
        &force("Finance to 26.1", "26.1", DEADLINE),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let policy = json_body(response).await["id"].as_i64().unwrap();
    let response = send(
        &app,
        Method::PUT,
        &format!("/api/v1/policies/{policy}/bindings"),
        &json!({ "deviceGroups": [finance] }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    sync_all(&client, &mut devices, clock.now()).await;
    for device in &devices[..2] {
        assert!(
            has(device, "enforcement.26.1"),
            "{}",
            device.enrollment_id()
        );
        assert!(has(device, "settings"), "the ring's settings stay");
    }
    for device in &devices[2..] {
        assert!(!has(device, "enforcement"), "{}", device.enrollment_id());
        assert!(has(device, "settings"));
    }
    let compliance = admin_json(&app, &format!("/api/v1/policies/{policy}/compliance")).await;
    assert_eq!(compliance["counts"]["pending"], 2, "{compliance}");

    // Every three hours until two days after the deadline.
    let deadline: DateTime = DEADLINE.parse().unwrap();
    let mut installed_at: [Option<Timestamp>; 2] = [None, None];
    let mut now = clock.now();
    let end: Timestamp = "2025-11-16T17:00:00Z".parse().unwrap();
    while now < end {
        now += jiff::SignedDuration::from_hours(3);
        clock.set(now);
        sync_all(&client, &mut devices, now).await;
        for (index, device) in devices[..2].iter().enumerate() {
            if device.os_version().to_string() == "26.1" && installed_at[index].is_none() {
                installed_at[index] = Some(now);
            }
        }
        let status = admin_json(&app, "/api/v1/devices/mac-0/status").await;
        assert_ne!(status["state"], "failed", "{status}");
    }
    let deadline_utc = deadline
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp();
    for (index, at) in installed_at.iter().enumerate() {
        let at = at.unwrap_or_else(|| panic!("mac-{index} never installed 26.1"));
        assert!(
            at >= deadline_utc,
            "mac-{index} installed at {at}, before the deadline"
        );
        assert!(
            at <= deadline_utc + jiff::SignedDuration::from_hours(24),
            "mac-{index} installed at {at}, a day after the deadline"
        );
    }
    for device in &devices[2..] {
        assert_eq!(device.os_version().to_string(), "26.0.1");
    }

    // The server sees it: Finance is up to date, the policy now does nothing for its devices,
    // and the rest of the ring still waits for its deferral.
    let compliance = admin_json(&app, &format!("/api/v1/policies/{policy}/compliance")).await;
    assert_eq!(compliance["counts"]["upToDate"], 2, "{compliance}");
    let view = admin_json(&app, "/api/v1/devices/mac-0/effective-policy").await;
    assert_eq!(view["specificVersion"]["applies"], false, "{view}");
    assert_eq!(view["policy"]["name"], "Late Adoption (macOS)");
    let view = admin_json(&app, "/api/v1/devices/mac-3/effective-policy").await;
    assert_eq!(view.get("specificVersion"), None, "{view}");
    assert_eq!(view["enforcement"]["source"], "none");
}
