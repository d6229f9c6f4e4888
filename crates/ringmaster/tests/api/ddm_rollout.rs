//! Whole rollouts end to end: simulated Macs sync with the real server over the real protocol
//! while the server's clock and theirs move forward together, day by day. A release is
//! imported; each ring's devices see it only after their deferral, install it by their deadline,
//! and the compliance view says so at every step.

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, SimulatedDevice};
use serde_json::json;

use crate::ddm_protocol::options;
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestBackend, admin_json, load_rings, spawn_app_with};

const RINGS: [&str; 4] = [
    "Vanguard",
    "Early Adoption",
    "General Adoption",
    "Late Adoption",
];
/// Devices per ring.
const PER_RING: usize = 2;

/// A feed holding only macOS 26.1, released `released_on`.
fn release_feed(released_on: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"AssetSets": {"macOS": [{
        "ProductVersion": "26.1", "Build": "25B78", "PostingDate": released_on,
        "SupportedDevices": ["J413AP"]
    }]}}))
    .unwrap()
}

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

/// Per ring: (devices with 26.1 enforced, devices on 26.1) as the devices hold them.
fn ring_view(devices: &[SimulatedDevice]) -> Vec<(usize, usize)> {
    devices
        .chunks(PER_RING)
        .map(|ring| {
            let enforced = ring
                .iter()
                .filter(|device| {
                    device
                        .declarations()
                        .any(|d| d.key().identifier.contains("enforcement"))
                })
                .count();
            let installed = ring
                .iter()
                .filter(|device| device.os_version().to_string() == "26.1")
                .count();
            (enforced, installed)
        })
        .collect()
}

on_each_backend!(each_ring_gets_the_release_after_its_deferral_and_installs_it_by_its_deadline);
async fn each_ring_gets_the_release_after_its_deferral_and_installs_it_by_its_deadline(
    backend: TestBackend,
) {
    let start: Timestamp = "2025-11-01T08:00:00Z".parse().unwrap();
    let clock = Clock::manual(start);
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let mut devices: Vec<SimulatedDevice> = (0..RINGS.len() * PER_RING)
        .map(|index| {
            SimulatedDevice::new(
                DeviceProfile::example_mac(&format!("mac-{index}")),
                DeviceOptions {
                    // Users start the update halfway to the deadline.
                    early_install_fraction: Some(0.5),
                    ..DeviceOptions::default()
                },
            )
        })
        .collect();

    // The devices enroll themselves; the admin puts each pair into a ring.
    sync_all(&client, &mut devices, clock.now()).await;
    let rings = load_rings(&app).await;
    for (ring, group) in rings.iter().enumerate() {
        let members: Vec<String> = (0..PER_RING)
            .map(|n| format!("mac-{}", ring * PER_RING + n))
            .collect();
        let response = send(
            &app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{group}/bindings"),
            &json!({"devices": members}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    sync_all(&client, &mut devices, clock.now()).await;
    assert_eq!(ring_view(&devices), vec![(0, 0); 4]);

    // macOS 26.1 is released on 2025-11-03 and enters the catalog.
    import(&app, release_feed("2025-11-03")).await;
    // Day by day, four syncs a day, the first of them at 00:30 UTC.
    let mut first_enforced: [Option<String>; 4] = Default::default();
    let mut first_installed: [Option<String>; 4] = Default::default();
    let mut day = "2025-11-02".parse::<jiff::civil::Date>().unwrap();
    while day <= "2025-12-20".parse().unwrap() {
        for hour in [0, 6, 12, 18] {
            let now = day
                .at(hour, 30, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp();
            clock.set(now);
            sync_all(&client, &mut devices, now).await;
            for (ring, (enforced, installed)) in ring_view(&devices).into_iter().enumerate() {
                if enforced > 0 && first_enforced[ring].is_none() {
                    first_enforced[ring] = Some(day.to_string());
                }
                if installed == PER_RING && first_installed[ring].is_none() {
                    first_installed[ring] = Some(day.to_string());
                }
            }
        }
        // The compliance view agrees: nobody is ever overdue, failed or rejecting.
        let compliance = admin_json(&app, "/api/v1/policy-groups/compliance?platform=macOS").await;
        for ring in compliance["rings"].as_array().unwrap() {
            let counts = &ring["counts"];
            assert_eq!(counts["overdue"], 0, "{day}: {ring}");
            assert_eq!(counts["failed"], 0, "{day}: {ring}");
            assert_eq!(counts["declarationRejected"], 0, "{day}: {ring}");
            assert_eq!(
                counts["upToDate"].as_u64().unwrap() + counts["pending"].as_u64().unwrap(),
                PER_RING as u64,
                "{day}: {ring}"
            );
        }
        day = day.tomorrow().unwrap();
    }

    // Each ring saw 26.1 on the day its deferral ended, and installed before its deadline.
    let visible = ["2025-11-04", "2025-11-10", "2025-11-18", "2025-12-03"];
    let deadlines = ["2025-11-07", "2025-11-17", "2025-11-28", "2025-12-13"];
    for ring in 0..4 {
        assert_eq!(
            first_enforced[ring].as_deref(),
            Some(visible[ring]),
            "{} sees 26.1 after its deferral",
            RINGS[ring]
        );
        let installed = first_installed[ring].clone().expect("installed");
        assert!(
            installed.as_str() <= deadlines[ring] && installed.as_str() >= visible[ring],
            "{}: installed on {installed}, deadline {}",
            RINGS[ring],
            deadlines[ring]
        );
    }
    // The server knows every device is on 26.1 now, and every ring is up to date.
    for index in 0..devices.len() {
        let device = admin_json(&app, &format!("/api/v1/devices/mac-{index}")).await;
        assert_eq!(device["osVersion"], "26.1");
    }
    let compliance = admin_json(&app, "/api/v1/policy-groups/compliance?platform=macOS").await;
    for ring in compliance["rings"].as_array().unwrap() {
        assert_eq!(ring["counts"]["upToDate"], PER_RING as u64, "{ring}");
    }
}

#[tokio::test]
async fn a_failed_install_and_a_missed_deadline_show_in_the_device_status() {
    let clock = Clock::manual("2025-11-05T08:00:00Z".parse().unwrap());
    let app = spawn_app_with(crate::support::TestBackend::Sqlite, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let failing = DeviceOptions {
        fail_install: true,
        ..DeviceOptions::default()
    };
    let mut devices = vec![
        SimulatedDevice::new(DeviceProfile::example_mac("mac-fails"), failing),
        SimulatedDevice::new(
            DeviceProfile::example_mac("mac-offline"),
            DeviceOptions::default(),
        ),
    ];
    sync_all(&client, &mut devices, clock.now()).await;
    import(&app, release_feed("2025-11-03")).await;
    let rings = load_rings(&app).await;
    send(
        &app,
        Method::PUT,
        &format!("/api/v1/policy-groups/{}/bindings", rings[0]),
        &json!({"devices": ["mac-fails", "mac-offline"]}),
    )
    .await;
    sync_all(&client, &mut devices, clock.now()).await;
    let status = admin_json(&app, "/api/v1/devices/mac-fails/status").await;
    assert_eq!(status["state"], "pending");
    assert_eq!(status["deadline"], "2025-11-07T17:00:00");

    // Past the deadline: one device tries and fails; the other never syncs again.
    for hour in 0..6 {
        let now: Timestamp = "2025-11-07T18:00:00Z".parse::<Timestamp>().unwrap()
            + jiff::SignedDuration::from_hours(hour);
        clock.set(now);
        sync_all(&client, &mut devices[..1], now).await;
    }
    let failed = admin_json(&app, "/api/v1/devices/mac-fails/status").await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert_eq!(failed["installState"], "failed");
    assert_eq!(failed["failure"]["count"], 1);
    let behind = admin_json(&app, "/api/v1/devices/mac-offline/status").await;
    assert_eq!(behind["state"], "overdue");
    assert_eq!(behind["overdue"], true);
}
