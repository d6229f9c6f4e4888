//! Health gates end to end with the simulator over the default rings: Vanguard's devices fail
//! the install of 26.1, the gate keeps it from Early Adoption and every later ring (a halt,
//! in the audit log), the admin blocks it, and 26.2 rolls out through all four rings, each ring
//! after the one before has installed it. Also the gate document's refusals by pointer.

use jiff::Timestamp;
use jiff::civil::Date;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, SimulatedDevice};
use serde_json::{Value, json};

use crate::ddm_protocol::options;
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{TestApp, TestBackend, admin_json, json_body, load_rings, spawn_app_with};

const PER_RING: usize = 2;

fn feed(releases: &[(&str, &str, &str)]) -> Vec<u8> {
    let assets: Vec<Value> = releases
        .iter()
        .map(|(version, build, posted)| {
            json!({"ProductVersion": version, "Build": build, "PostingDate": posted,
                   "SupportedDevices": ["J413AP"]})
        })
        .collect();
    serde_json::to_vec(&json!({"AssetSets": {"macOS": assets}})).unwrap()
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
    }
}

/// Per ring: the version each device is told to install (if any), and how many run `version`.
fn ring_state(devices: &[SimulatedDevice], version: &str) -> Vec<(bool, usize)> {
    devices
        .chunks(PER_RING)
        .map(|ring| {
            let enforced = ring.iter().any(|device| {
                device
                    .declarations()
                    .any(|d| d.key().identifier.contains("enforcement"))
            });
            let installed = ring
                .iter()
                .filter(|device| device.os_version().to_string() == version)
                .count();
            (enforced, installed)
        })
        .collect()
}

async fn evaluate(app: &TestApp) -> Value {
    let response = send(
        app,
        Method::POST,
        "/api/v1/policy-groups/gates/evaluate",
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

fn instant(day: Date, hour: i8) -> Timestamp {
    day.at(hour, 30, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
}

on_each_backend!(a_failing_first_ring_halts_a_release_and_the_next_one_rolls_out_ring_by_ring);
async fn a_failing_first_ring_halts_a_release_and_the_next_one_rolls_out_ring_by_ring(
    backend: TestBackend,
) {
    let clock = Clock::manual("2025-11-01T08:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let mut devices: Vec<SimulatedDevice> = (0..4 * PER_RING)
        .map(|index| {
            SimulatedDevice::new(
                DeviceProfile::example_mac(&format!("mac-{index}")),
                DeviceOptions {
                    early_install_fraction: Some(0.5),
                    // Vanguard's devices fail every install.
                    fail_install: index < PER_RING,
                    ..DeviceOptions::default()
                },
            )
        })
        .collect();
    sync_all(&client, &mut devices, clock.now()).await;
    let rings = load_rings(&app).await;
    for (ring, group) in rings.iter().enumerate() {
        let members: Vec<String> = (0..PER_RING)
            .map(|n| format!("mac-{}", ring * PER_RING + n))
            .collect();
        let path = format!("/api/v1/policy-groups/{group}/bindings");
        let response = send(&app, Method::PUT, &path, &json!({"devices": members})).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Each ring waits for the one before it.
    for pair in rings.windows(2) {
        let path = format!("/api/v1/policy-groups/{}/gate", pair[1]);
        let gate = json!({"after": pair[0], "minInstalledPercent": 100, "maxFailedPercent": 10,
                          "minDays": 1});
        let response = send(&app, Method::PUT, &path, &gate).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            json_body(response).await
        );
    }
    // The gate document's refusals: by pointer, an unknown group, a cycle.
    let first_gate = format!("/api/v1/policy-groups/{}/gate", rings[0]);
    for (body, pointer) in [
        (
            json!({"after": 999, "minInstalledPercent": 1, "maxFailedPercent": 1}),
            "/after",
        ),
        (
            json!({"after": rings[3], "minInstalledPercent": 1, "maxFailedPercent": 1}),
            "/after",
        ),
        (
            json!({"after": rings[1], "minInstalledPercent": 101, "maxFailedPercent": 1}),
            "/minInstalledPercent",
        ),
    ] {
        let response = send(&app, Method::PUT, &first_gate, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer = json_body(response).await;
        assert_eq!(answer["errors"][0]["pointer"], pointer, "{answer}");
    }
    let groups = admin_json(&app, "/api/v1/policy-groups").await;
    assert_eq!(groups[0]["gate"], Value::Null);
    assert_eq!(groups[1]["gate"]["after"], rings[0], "{groups}");

    // 26.1 (Nov 3): Vanguard fails it; no later ring is ever told to install it.
    import(&app, feed(&[("26.1", "25B78", "2025-11-03")])).await;
    let mut day: Date = "2025-11-02".parse().unwrap();
    let mut halted = false;
    while day <= "2025-11-22".parse().unwrap() {
        for hour in [0, 6, 12, 18] {
            clock.set(instant(day, hour));
            sync_all(&client, &mut devices, clock.now()).await;
            halted |= !evaluate(&app).await["halted"]
                .as_array()
                .unwrap()
                .is_empty();
            let state = ring_state(&devices, "26.1");
            for (ring, (enforced, _)) in state.iter().enumerate().skip(1) {
                assert!(!enforced, "{day} {hour}h: ring {ring} got 26.1");
            }
        }
        day = day.tomorrow().unwrap();
    }
    assert!(halted, "the failures halted 26.1");
    let audit = admin_json(&app, "/api/v1/audit").await;
    let halts: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "halt release")
        .collect();
    assert!(!halts.is_empty(), "{audit}");
    assert!(halts[0].to_string().contains("macOS:26.1"), "{}", halts[0]);
    let early = admin_json(
        &app,
        &format!("/api/v1/devices/mac-{PER_RING}/effective-policy"),
    )
    .await;
    let statuses: Vec<&str> = effective_statuses(&early);
    assert!(statuses.contains(&"halted"), "{early}");

    // The admin blocks 26.1, Vanguard's devices are fixed, and 26.2 comes out on Nov 24.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/catalog/macOS/26.1/block",
        &json!({"reason": "fails to install"}),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        json_body(response).await
    );
    for device in devices.iter_mut().take(PER_RING) {
        device.options_mut().fail_install = false;
    }
    import(
        &app,
        feed(&[
            ("26.1", "25B78", "2025-11-03"),
            ("26.2", "25C56", "2025-11-24"),
        ]),
    )
    .await;
    let mut first_enforced: [Option<Date>; 4] = Default::default();
    let mut all_installed: [Option<Date>; 4] = Default::default();
    while day <= "2026-01-10".parse().unwrap() {
        for hour in [0, 6, 12, 18] {
            clock.set(instant(day, hour));
            sync_all(&client, &mut devices, clock.now()).await;
            evaluate(&app).await;
            for (ring, (enforced, installed)) in
                ring_state(&devices, "26.2").into_iter().enumerate()
            {
                if enforced && first_enforced[ring].is_none() {
                    first_enforced[ring] = Some(day);
                }
                if installed == PER_RING && all_installed[ring].is_none() {
                    all_installed[ring] = Some(day);
                }
            }
        }
        day = day.tomorrow().unwrap();
    }
    for ring in 0..4 {
        assert!(
            all_installed[ring].is_some(),
            "ring {ring}: {first_enforced:?} {all_installed:?}"
        );
    }
    for ring in 1..4 {
        assert!(
            first_enforced[ring] >= all_installed[ring - 1],
            "ring {ring} got 26.2 before ring {} installed it: {first_enforced:?} {all_installed:?}",
            ring - 1
        );
    }
    for device in &devices {
        assert_eq!(
            device.os_version().to_string(),
            "26.2",
            "{}",
            device.enrollment_id()
        );
    }
}

fn effective_statuses(effective: &Value) -> Vec<&str> {
    effective["schedule"]["releases"]
        .as_array()
        .map(|releases| {
            releases
                .iter()
                .filter_map(|release| release["status"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

on_each_backend!(a_waiting_ring_is_explained_in_words_in_the_plan_and_the_effective_policy);
async fn a_waiting_ring_is_explained_in_words_in_the_plan_and_the_effective_policy(
    backend: TestBackend,
) {
    use crate::ddm_target_builds::{ddm, report};
    let clock = Clock::manual("2025-11-20T09:00:00Z".parse().unwrap());
    let app = spawn_app_with(backend, options(&clock, None)).await;
    for device in ["mac-v", "mac-e"] {
        let body = report("26.0", "25A354", "J413AP", "Mac16,1");
        let response = ddm(&app, Method::PUT, "status", device, Some(&body)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    import(&app, feed(&[("26.1", "25B78", "2025-11-03")])).await;
    let rings = load_rings(&app).await;
    for (group, device) in [(rings[0], "mac-v"), (rings[1], "mac-e")] {
        let path = format!("/api/v1/policy-groups/{group}/bindings");
        send(&app, Method::PUT, &path, &json!({"devices": [device]})).await;
    }
    let gate = json!({"after": rings[0], "minInstalledPercent": 80, "maxFailedPercent": 5,
                      "minDays": 3});
    let path = format!("/api/v1/policy-groups/{}/gate", rings[1]);
    assert_eq!(
        send(&app, Method::PUT, &path, &gate).await.status(),
        StatusCode::OK
    );
    let round = evaluate(&app).await;
    assert_eq!(round["evaluations"][0]["installedPercent"], 0, "{round}");
    assert_eq!(round["evaluations"][0]["openedAt"], Value::Null);
    let words = "waiting for Vanguard: 0% of 80% installed, 0% failed (at most 5%), 3 of 3 days, \
                 for 26.1";
    let plan = admin_json(&app, "/api/v1/policy-groups/plan").await;
    assert_eq!(plan["policies"][1]["waiting"], json!([words]), "{plan}");
    let effective = admin_json(&app, "/api/v1/devices/mac-e/effective-policy").await;
    assert_eq!(
        effective["schedule"]["explanation"],
        format!("nothing enforced: {words}"),
        "{effective}"
    );
    // Vanguard's device installs 26.1: the next round opens the gate, Early's device gets it
    // with its grace counted from the opening (Nov 20 + 7 days).
    let body = report("26.1", "25B78", "J413AP", "Mac16,1");
    ddm(&app, Method::PUT, "status", "mac-v", Some(&body)).await;
    let round = evaluate(&app).await;
    assert_eq!(
        round["evaluations"][0]["openedAt"], "2025-11-20T09:00:00Z",
        "{round}"
    );
    let effective = admin_json(&app, "/api/v1/devices/mac-e/effective-policy").await;
    assert_eq!(
        effective["schedule"]["targetVersion"], "26.1",
        "{effective}"
    );
    assert_eq!(effective["schedule"]["deadline"], "2025-11-27T17:00:00");
    // `?at=` before the opening shows it waiting.
    let before = admin_json(
        &app,
        "/api/v1/devices/mac-e/effective-policy?at=2025-11-20T08:00:00Z",
    )
    .await;
    assert_eq!(before["schedule"]["targetVersion"], Value::Null, "{before}");
}
