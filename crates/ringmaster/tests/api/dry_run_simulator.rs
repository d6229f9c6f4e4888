//! A dry run predicts what simulated Macs over the default rings then hold: eight devices, two
//! per ring, sync with the real server; for a block, an exemption and a binding that puts a
//! device in two rings, the preview's from and to are exactly the enforcement each device held
//! before the change and holds after its next sync.

use std::collections::BTreeMap;

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, SimulatedDevice};
use serde_json::{Value, json};

use crate::ddm_protocol::options;
use crate::dry_run::{Served, assert_predicted};
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, json_body, load_rings, spawn_app_with};

const PER_RING: usize = 2;

/// The enforcement a simulated device holds, in the shape the API tests compare.
fn held(device: &SimulatedDevice) -> Served {
    let declaration = device.declarations().find(|declaration| {
        declaration.declaration_type()
            == Some("com.apple.configuration.softwareupdate.enforcement.specific")
    })?;
    let payload = &declaration.declaration()["Payload"];
    Some((
        payload["TargetOSVersion"].as_str()?.to_owned(),
        payload["TargetBuildVersion"].as_str().map(str::to_owned),
        payload["TargetLocalDateTime"].as_str()?.to_owned(),
    ))
}

/// Syncs every device `rounds` times at `now` and answers what each holds. Twice settles a
/// device that installs at once (it reports the install, then takes its new set); once shows
/// what a change served.
async fn sync_all(
    client: &SyncClient,
    devices: &mut [SimulatedDevice],
    now: Timestamp,
    rounds: usize,
) -> BTreeMap<String, Served> {
    for _ in 0..rounds {
        for device in devices.iter_mut() {
            let outcome = client.sync(device, now).await;
            assert!(
                outcome.is_ok(),
                "{}: {:?}",
                device.enrollment_id(),
                outcome.error
            );
        }
    }
    devices
        .iter()
        .map(|device| (device.enrollment_id().to_owned(), held(device)))
        .collect()
}

/// Dry run, then the real write, then a sync: the preview matches what the devices hold.
async fn predicted(
    app: &TestApp,
    client: &SyncClient,
    devices: &mut [SimulatedDevice],
    now: Timestamp,
    (method, path, body): (Method, &str, Value),
) -> Value {
    let before = sync_all(client, devices, now, 2).await;
    let dry = send(app, method.clone(), &format!("{path}?dryRun=true"), &body).await;
    assert_eq!(dry.status(), StatusCode::OK, "{method} {path}");
    let preview = json_body(dry).await;
    let unchanged = sync_all(client, devices, now, 1).await;
    assert_eq!(unchanged, before, "a dry run changed the devices");
    let real = send(app, method.clone(), path, &body).await;
    assert!(
        real.status().is_success(),
        "{method} {path}: {}",
        real.status()
    );
    let after = sync_all(client, devices, now, 1).await;
    assert_predicted(&preview, &before, &after);
    preview
}

on_each_backend!(a_dry_run_predicts_what_simulated_devices_over_the_default_rings_then_hold);
async fn a_dry_run_predicts_what_simulated_devices_over_the_default_rings_then_hold(
    backend: TestBackend,
) {
    let now: Timestamp = "2025-11-05T09:00:00Z".parse().unwrap();
    let clock = Clock::manual(now);
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let mut devices: Vec<SimulatedDevice> = (0..4 * PER_RING)
        .map(|index| {
            SimulatedDevice::new(
                DeviceProfile::example_mac(&format!("mac-{index}")),
                DeviceOptions::default(),
            )
        })
        .collect();
    sync_all(&client, &mut devices, now, 1).await;
    let rings = load_rings(&app).await;
    for (ring, group) in rings.iter().enumerate() {
        let members: Vec<String> = (0..PER_RING)
            .map(|n| format!("mac-{}", ring * PER_RING + n))
            .collect();
        let path = format!("/api/v1/policy-groups/{group}/bindings");
        let response = send(&app, Method::PUT, &path, &json!({"devices": members})).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Vanguard sees 26.2 (due 2025-11-07), Early Adoption 26.1 (due 2025-11-12).
    let feed = json!({"AssetSets": {"macOS": [
        {"ProductVersion": "26.1", "Build": "25B78", "PostingDate": "2025-10-29",
         "SupportedDevices": ["J413AP"]},
        {"ProductVersion": "26.2", "Build": "25C56", "PostingDate": "2025-11-03",
         "SupportedDevices": ["J413AP"]}
    ]}});
    let preview = predicted(
        &app,
        &client,
        &mut devices,
        now,
        (Method::POST, "/api/v1/catalog/import", feed),
    )
    .await;
    assert_eq!(preview["changed"], 4, "{preview:#}");

    // Blocking 26.2: Vanguard falls back to 26.1, whose deadline has passed: at once.
    let block = (
        Method::POST,
        "/api/v1/catalog/macOS/26.2/block",
        json!({"reason": "fails to install"}),
    );
    let preview = predicted(&app, &client, &mut devices, now, block).await;
    assert_eq!(preview["overdueAtOnce"], 2, "{preview:#}");

    // An exemption for one Early Adoption Mac.
    let exempt = (
        Method::POST,
        "/api/v1/devices/mac-2/exemptions",
        json!({"until": "2025-11-20T00:00:00Z", "reason": "on leave"}),
    );
    let preview = predicted(&app, &client, &mut devices, now, exempt).await;
    assert_eq!(preview["changes"][0]["deviceId"], "mac-2", "{preview:#}");

    // A General Adoption Mac bound to Early Adoption too: precedence decides, as served.
    let path = format!("/api/v1/policy-groups/{}/bindings", rings[1]);
    let bindings = json!({"devices": ["mac-2", "mac-3", "mac-4"]});
    predicted(
        &app,
        &client,
        &mut devices,
        now,
        (Method::PUT, &path, bindings),
    )
    .await;
}
