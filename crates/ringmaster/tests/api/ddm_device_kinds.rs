//! Every kind of simulated device through the real server, over the default rings, day by day:
//! Macs on macOS 13, 14, 15 and 26 and one on a supplemental release, iPhones on iOS 16, 17, 18
//! and 26, a Mac user's channel, a Shared iPad user and a User Enrollment iPhone. Each kind
//! ends as a real one would: too old or BYOD → `unsupported` with the reason in words and no
//! update declaration; macOS 14 and iOS 17 enforced without `softwareupdate.settings`; macOS 15+
//! and iOS 18+ enforced with settings; the supplemental Mac up to date on `26.3.1 (a)`; user
//! channels never become devices. The compliance view counts the unsupported apart.

use std::collections::{BTreeMap, BTreeSet};

use indicatif::ProgressBar;
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use ringmaster::clock::Clock;
use ringmaster_simulator::client::{ServerEndpoint, SyncClient};
use ringmaster_simulator::device::{DeviceOptions, SimulatedDevice};
use ringmaster_simulator::fleet::{DeviceKind, Fleet, FleetConfig, FleetMix};
use serde_json::{Value, json};

use crate::ddm_protocol::options;
use crate::os_catalog::import;
use crate::os_policies::send;
use crate::support::{AppOptions, TestApp, TestBackend, admin_json, load_rings, spawn_app_with};

/// Devices of each kind; device `n` of kind `k` goes to ring `(2k + n) % 4`, so every ring holds
/// several kinds and every kind is in two rings.
const PER_KIND: usize = 2;
const ENFORCEMENT: &str = "com.apple.configuration.softwareupdate.enforcement.specific";
const SETTINGS: &str = "com.apple.configuration.softwareupdate.settings";
/// Apple-silicon Macs of the simulator's catalog (their board ids).
const MAC_BOARDS: [&str; 5] = ["J413AP", "J613AP", "J713AP", "J414sAP", "J773gAP"];

/// A catalog in gdmf's shape, written for this test, all posted on 2026-08-17: macOS 26.3.1 and
/// its supplemental `(a)`, 15.7.9, 14.8.9 and 13.7.8 for the Macs; iOS 26.6.1 for recent
/// iPhones and the iPad, 18.7.10, 17.7.11 (iPads only) and 16.7.16 (iPhone 8 and X).
fn catalog() -> Vec<u8> {
    let release = |version: &str, build: &str, devices: &[&str]| {
        json!({"ProductVersion": version, "Build": build, "PostingDate": "2026-08-17",
            "SupportedDevices": devices})
    };
    let phones = [
        "iPhone17,1",
        "iPhone17,2",
        "iPhone17,3",
        "iPhone16,1",
        "iPhone15,4",
        "iPhone14,5",
        "iPad16,3",
    ];
    serde_json::to_vec(&json!({
        "AssetSets": {
            "macOS": [
                release("26.3.1", "25D2128", &MAC_BOARDS),
                release("15.7.9", "24G830", &MAC_BOARDS),
                release("14.8.9", "23J631", &MAC_BOARDS[..2]),
                release("13.7.8", "22H730", &MAC_BOARDS[..2]),
            ],
            "iOS": [
                release("26.6.1", "23G83", &phones),
                release("18.7.10", "22H374", &["iPhone11,8"]),
                release("17.7.11", "21H461", &["iPad7,5", "iPad7,6"]),
                release("16.7.16", "20H392", &["iPhone10,3", "iPhone10,6"]),
            ]
        },
        "PublicBackgroundSecurityImprovements": {"macOS": [{
            "ProductVersion": "26.3.1", "ProductVersionExtra": "(a)", "Build": "25D771280a",
            "PrerequisiteBuild": "25D2128", "PostingDate": "2026-08-17",
            "SupportedDevices": MAC_BOARDS
        }]}
    }))
    .unwrap()
}

/// `PER_KIND` devices of every kind, ids `<kind>-00000`, … (a user channel's id adds `:<user>`).
fn fleet() -> Vec<(DeviceKind, SimulatedDevice)> {
    let mut devices = Vec::new();
    for kind in DeviceKind::ALL {
        let config = FleetConfig {
            mix: FleetMix::from_shares([(kind, 1)]).unwrap(),
            id_prefix: format!("{kind}-"),
            device_options: DeviceOptions {
                // Users start the update halfway to the deadline.
                early_install_fraction: Some(0.5),
                ..DeviceOptions::default()
            },
            ..FleetConfig::new(PER_KIND)
        };
        let fleet = Fleet::generate(&config).unwrap();
        devices.extend(
            fleet
                .into_devices()
                .into_iter()
                .map(|device| (kind, device)),
        );
    }
    devices
}

async fn sync_all(client: &SyncClient, fleet: &mut Fleet, now: Timestamp) {
    let outcomes = fleet
        .sync_round(client, now, 8, &ProgressBar::hidden())
        .await;
    for (device, outcome) in fleet.devices().iter().zip(outcomes) {
        assert!(
            outcome.is_ok(),
            "{}: {:?}",
            device.enrollment_id(),
            outcome.error
        );
        assert!(
            outcome.issues.is_empty(),
            "{}: {:?}",
            device.enrollment_id(),
            outcome.issues
        );
    }
}

/// The declaration types `device` holds.
fn held_types(device: &SimulatedDevice) -> Vec<String> {
    device
        .declarations()
        .filter_map(|declaration| declaration.declaration_type().map(str::to_owned))
        .collect()
}

async fn bind_to_rings(app: &TestApp, kinds: &[DeviceKind], fleet: &Fleet) -> Vec<i64> {
    let ids = load_rings(app).await;
    let mut members: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (index, (kind, device)) in kinds.iter().zip(fleet.devices()).enumerate() {
        if device.profile().channel.is_user_channel() {
            continue;
        }
        let kind_index = DeviceKind::ALL.iter().position(|k| k == kind).unwrap();
        let ring = (2 * kind_index + index % PER_KIND) % 4;
        members
            .entry(ring)
            .or_default()
            .push(device.enrollment_id().to_owned());
    }
    for (ring, devices) in members {
        let response = send(
            app,
            Method::PUT,
            &format!("/api/v1/policy-groups/{}/bindings", ids[ring]),
            &json!({ "devices": devices }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    ids
}

on_each_backend!(every_device_kind_ends_as_a_real_one_would);
async fn every_device_kind_ends_as_a_real_one_would(backend: TestBackend) {
    let start: Timestamp = "2026-08-16T08:00:00Z".parse().unwrap();
    let clock = Clock::manual(start);
    let app = spawn_app_with(backend, options(&clock, None)).await;
    let client = SyncClient::new(&ServerEndpoint::new(app.base_url.clone())).unwrap();
    let (kinds, devices): (Vec<DeviceKind>, Vec<SimulatedDevice>) = fleet().into_iter().unzip();
    let mut fleet = Fleet::new(devices);

    // The devices enroll; the admin puts them into the rings; the catalog arrives.
    sync_all(&client, &mut fleet, clock.now()).await;
    bind_to_rings(&app, &kinds, &fleet).await;
    assert_eq!(
        import(&app, catalog()).await.status(),
        StatusCode::OK,
        "{backend:?}"
    );

    // Day by day, four syncs a day, through the last ring's deadline (deferral 30 days,
    // grace 10).
    let mut day = "2026-08-17".parse::<jiff::civil::Date>().unwrap();
    let mut first_day = true;
    // Every declaration type each device held while it ran the OS it started on (an
    // enforcement goes once the device is up to date; an iOS 17 iPhone on 26 takes settings).
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while day <= "2026-09-30".parse().unwrap() {
        for hour in [0, 6, 12, 18] {
            let now = day
                .at(hour, 30, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp();
            clock.set(now);
            sync_all(&client, &mut fleet, now).await;
            for (kind, device) in kinds.iter().zip(fleet.devices()) {
                if device.os_version().as_str() == kind.spec().os_version {
                    seen.entry(device.enrollment_id().to_owned())
                        .or_default()
                        .extend(held_types(device));
                }
            }
        }
        if first_day {
            first_day = false;
            check_the_first_day(&app, &kinds, &fleet, backend).await;
        }
        day = day.tomorrow().unwrap();
    }
    check_the_end(&app, &kinds, &fleet, &seen, backend).await;
}

/// After the first day: what each kind is served and holds.
async fn check_the_first_day(
    app: &TestApp,
    kinds: &[DeviceKind],
    fleet: &Fleet,
    backend: crate::support::TestBackend,
) {
    for (kind, device) in kinds.iter().zip(fleet.devices()) {
        let id = device.enrollment_id();
        let what = format!("{backend:?} {kind} {id}");
        let types = held_types(device);
        let holds = |declaration_type: &str| types.iter().any(|t| t == declaration_type);
        match kind {
            DeviceKind::MacUser | DeviceKind::SharedIpadUser => {
                assert!(types.is_empty(), "{what}: {types:?}");
            }
            DeviceKind::Macos13 | DeviceKind::Ios16 | DeviceKind::UserEnrollment => {
                assert!(!holds(ENFORCEMENT) && !holds(SETTINGS), "{what}: {types:?}");
                assert!(
                    holds("com.apple.configuration.management.status-subscriptions"),
                    "{what}: keeps its status subscriptions: {types:?}"
                );
                let status = admin_json(app, &format!("/api/v1/devices/{id}/status")).await;
                assert_eq!(status["state"], "unsupported", "{what}: from the start");
            }
            DeviceKind::MacosSupplemental => {
                let status = admin_json(app, &format!("/api/v1/devices/{id}/status")).await;
                assert_eq!(status["state"], "upToDate", "{what}: {status}");
                assert_eq!(status["device"]["osVersion"], "26.3.1 (a)", "{what}");
            }
            _ => {}
        }
        // Every declaration a device holds, it takes: nothing is served that it cannot take.
        for declaration in device.declarations() {
            assert!(
                declaration.is_valid(),
                "{what}: {:?} {:?}",
                declaration.key(),
                declaration.reasons()
            );
        }
    }
}

/// At the end: each kind's result, the devices the server knows, and compliance.
async fn check_the_end(
    app: &TestApp,
    kinds: &[DeviceKind],
    fleet: &Fleet,
    seen: &BTreeMap<String, BTreeSet<String>>,
    backend: crate::support::TestBackend,
) {
    let mut unsupported_per_ring: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (kind, device) in kinds.iter().zip(fleet.devices()) {
        let id = device.enrollment_id();
        let what = format!("{backend:?} {kind} {id}");
        let types = seen.get(id).cloned().unwrap_or_default();
        let holds = |declaration_type: &str| types.contains(declaration_type);
        if device.profile().channel.is_user_channel() {
            let parent = device.profile().parent_id.clone().unwrap();
            for never in [id, parent.as_str()] {
                let response = app
                    .admin(
                        Method::GET,
                        &format!("/api/v1/devices/{}", never.replace(':', "%3A")),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::NOT_FOUND, "{what}: {never}");
            }
            assert!(types.is_empty(), "{what}: {types:?}");
            continue;
        }
        let status = admin_json(app, &format!("/api/v1/devices/{id}/status")).await;
        let state = status["state"].as_str().unwrap_or_default();
        let version = status["device"]["osVersion"].as_str().unwrap_or_default();
        let reason = status["unsupportedReason"].as_str().unwrap_or_default();
        match kind {
            DeviceKind::Macos13 | DeviceKind::Ios16 | DeviceKind::UserEnrollment => {
                assert_eq!(state, "unsupported", "{what}: {status}");
                let expected = match kind {
                    DeviceKind::Macos13 => {
                        "macOS 13.7.8 cannot take software-update declarations; enforcement needs macOS 14"
                    }
                    DeviceKind::Ios16 => "iOS 16.7.16 cannot take software-update declarations",
                    _ => "User Enrollment",
                };
                assert!(reason.contains(expected), "{what}: {reason}");
                assert_eq!(version, device.profile().os_version.as_str(), "{what}");
                assert!(!holds(ENFORCEMENT) && !holds(SETTINGS), "{what}: {types:?}");
                let ring = status["policy"]["name"].as_str().unwrap_or_default();
                let platform = device.platform().as_str().to_owned();
                *unsupported_per_ring
                    .entry((platform, ring.to_owned()))
                    .or_default() += 1;
            }
            DeviceKind::Macos14 | DeviceKind::Ios17 => {
                assert_eq!(state, "upToDate", "{what}: {status}");
                assert!(holds(ENFORCEMENT), "{what}: was enforced: {types:?}");
                assert!(!holds(SETTINGS), "{what}: never settings: {types:?}");
                let target = if *kind == DeviceKind::Macos14 {
                    "14.8.9"
                } else {
                    "26.6.1"
                };
                assert_eq!(version, target, "{what}: {status}");
            }
            DeviceKind::Macos15 | DeviceKind::Macos26 | DeviceKind::MacosSupplemental => {
                assert_eq!(state, "upToDate", "{what}: {status}");
                assert!(holds(SETTINGS), "{what}: settings: {types:?}");
                if *kind != DeviceKind::MacosSupplemental {
                    assert!(holds(ENFORCEMENT), "{what}: was enforced: {types:?}");
                }
                assert_eq!(version, "26.3.1 (a)", "{what}: {status}");
                assert_eq!(device.os_version().as_str(), "26.3.1 (a)", "{what}");
                if *kind == DeviceKind::MacosSupplemental {
                    assert_eq!(
                        device.build_version(),
                        "25D2128",
                        "{what}: never reinstalled"
                    );
                }
            }
            DeviceKind::Ios18 | DeviceKind::Ios26 => {
                assert_eq!(state, "upToDate", "{what}: {status}");
                assert!(holds(ENFORCEMENT) && holds(SETTINGS), "{what}: {types:?}");
                assert_eq!(version, "26.6.1", "{what}: {status}");
            }
            DeviceKind::MacUser | DeviceKind::SharedIpadUser => unreachable!("user channels"),
        }
    }
    // The server knows the device channels only.
    let listed = admin_json(app, "/api/v1/devices").await;
    let device_channels = kinds
        .iter()
        .filter(|kind| !kind.spec().channel.is_user_channel())
        .count();
    assert_eq!(
        listed["devices"].as_array().map(Vec::len),
        Some(device_channels),
        "{backend:?}: {listed}"
    );
    // Compliance counts the unsupported apart, per ring and platform.
    let mut counted = 0;
    for platform in ["macOS", "iOS"] {
        let compliance = admin_json(
            app,
            &format!("/api/v1/policy-groups/compliance?platform={platform}"),
        )
        .await;
        for ring in compliance["rings"].as_array().unwrap() {
            let name = ring["policy"]["name"]
                .as_str()
                .or_else(|| ring["name"].as_str())
                .unwrap_or_default();
            let expected = unsupported_per_ring
                .get(&(platform.to_owned(), name.to_owned()))
                .copied()
                .unwrap_or(0);
            let counts: &Value = &ring["counts"];
            counted += counts["unsupported"].as_u64().unwrap_or(0);
            assert_eq!(
                counts["unsupported"].as_u64(),
                Some(expected),
                "{backend:?} {platform}: {ring}"
            );
            for never in ["overdue", "failed", "declarationRejected"] {
                assert_eq!(counts[never], 0, "{backend:?} {platform} {never}: {ring}");
            }
        }
    }
    // macOS 13, iOS 16 and User Enrollment devices, in every ring they were bound to.
    assert_eq!(counted, 3 * PER_KIND as u64, "{backend:?}");
}

on_each_backend!(simulate_mix_is_checked_and_chooses_the_kinds);
async fn simulate_mix_is_checked_and_chooses_the_kinds(backend: TestBackend) {
    // A bad mix is refused before anything is sent, naming the bad part.
    let server = "http://127.0.0.1:9";
    for (mix, words) in [
        (
            "macos26=50,macos12=5",
            vec!["\"macos12\"", "macos13, macos14", "user-enrollment"],
        ),
        ("macos26=0", vec!["\"macos26=0\"", "whole number from 1 to"]),
        ("macos26=two", vec!["\"macos26=two\"", "whole number"]),
        ("ios26", vec!["\"ios26\" is not kind=share"]),
        ("ios26=1,ios26=2", vec!["ios26 is given twice"]),
    ] {
        let run = crate::cli::ringmaster(&[
            "simulate",
            "--devices",
            "3",
            "--server",
            server,
            "--mix",
            mix,
        ])
        .await;
        assert_eq!(run.code, 2, "{mix}: {run:?}");
        assert!(run.stderr.contains("--mix"), "{mix}: {}", run.stderr);
        for word in words {
            assert!(run.stderr.contains(word), "{mix}: {word}: {}", run.stderr);
        }
    }
    let both = crate::cli::ringmaster(&[
        "simulate",
        "--devices",
        "3",
        "--server",
        server,
        "--mix",
        "macos26=1",
        "--mac-share",
        "0.5",
    ])
    .await;
    assert_eq!(both.code, 2, "{both:?}");

    // A good one: the kinds asked for, and only the device channels become devices.
    let app = spawn_app_with(backend, AppOptions::default()).await;
    let run = crate::cli::ringmaster(&[
        "simulate",
        "--devices",
        "20",
        "--server",
        &app.base_url,
        "--mix",
        "macos13=1,mac-user=1,ios26=2",
        "--json",
    ])
    .await;
    assert_eq!(run.code, 0, "{backend:?}: {run:?}");
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    let kinds = summary["kinds"].as_object().unwrap();
    let names: Vec<&str> = kinds.keys().map(String::as_str).collect();
    assert_eq!(names, ["macos13", "ios26", "mac-user"], "{summary}");
    let count = |kind: &str| kinds[kind].as_u64().unwrap();
    assert_eq!(count("ios26") + count("mac-user") + count("macos13"), 20);
    assert_eq!(summary["failedSyncs"], 0, "{summary}");
    let listed = admin_json(&app, "/api/v1/devices").await;
    assert_eq!(
        listed["devices"]
            .as_array()
            .map(|devices| devices.len() as u64),
        Some(count("ios26") + count("macos13")),
        "{backend:?}: {listed}"
    );
}
