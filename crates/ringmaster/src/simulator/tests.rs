//! Tests of the simulator: the device state machine against an in-memory server built from the
//! domain's real declarations, validation, reports, and the HTTP client and fleet runner
//! against a small local fake server.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::tz::Offset;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::release::Platform;
use ringmaster_domain::declarations::companion::{
    ACTIVATION_IDENTIFIER, STATUS_SUBSCRIPTIONS_IDENTIFIER, device_declaration_set,
};
use ringmaster_domain::declarations::envelope::{DeclarationKind, DeclarationSet};
use ringmaster_domain::declarations::samples::{
    maximal_enforcement, maximal_settings, minimal_settings,
};
use ringmaster_domain::declarations::software_update::SETTINGS_IDENTIFIER;
use serde_json::{Value, json};

use crate::simulator::client::{BearerSecret, ServerEndpoint, SyncClient};
use crate::simulator::device::{
    DeviceOptions, DeviceProfile, FetchPlan, InstallState, SimulatedDevice, made_up_build,
};
use crate::simulator::fleet::{Fleet, FleetClock, FleetConfig, LatencySummary, run_fleet};
use crate::simulator::kinds::EnrollmentChannel;
use crate::simulator::protocol::{
    DeclarationItems, DeclarationKey, StatusReport, SyncTokens, nest_status_items,
};
use crate::simulator::validate::{
    parse_local_date_time, settings_keys, validate_enforcement_payload, validate_settings_payload,
};

// ---------------------------------------------------------------------------------------------
// An in-memory server and a pure sync loop.

/// What one device is served: declaration JSON by key.
#[derive(Debug, Clone, Default)]
struct FakeServer {
    declarations: BTreeMap<DeclarationKey, Value>,
}

impl FakeServer {
    fn from_set(set: &DeclarationSet) -> Self {
        let mut server = Self::default();
        for declaration in set.declarations() {
            server = server.with(declaration.to_json());
        }
        server
    }

    /// The set ringmaster builds for a device: settings, status subscriptions, the optional
    /// enforcement (macOS 26.1 `25B78` by `2026-02-28T17:30:00`), the activation.
    fn ringmaster(platform: Platform, enforce: bool) -> Self {
        let enforcement = maximal_enforcement();
        Self::from_set(&device_declaration_set(
            platform,
            &maximal_settings(),
            enforce.then_some(&enforcement),
        ))
    }

    /// Adds or replaces a declaration; its kind comes from its `Type`.
    fn with(mut self, declaration: Value) -> Self {
        let kind = declaration["Type"]
            .as_str()
            .and_then(|text| text.split('.').nth(2))
            .and_then(|word| DeclarationKind::parse(word).ok())
            .unwrap_or(DeclarationKind::Configuration);
        let identifier = declaration["Identifier"].as_str().unwrap_or("").to_owned();
        self.declarations
            .insert(DeclarationKey::new(kind, identifier), declaration);
        self
    }

    fn items(&self) -> DeclarationItems {
        let items: BTreeMap<DeclarationKey, String> = self
            .declarations
            .iter()
            .map(|(key, value)| {
                let token = value["ServerToken"].as_str().unwrap_or("").to_owned();
                (key.clone(), token)
            })
            .collect();
        let declarations_token = items
            .iter()
            .map(|(key, token)| format!("{key}={token}"))
            .collect::<Vec<_>>()
            .join(";");
        DeclarationItems {
            declarations_token: format!("{:x}", fnv(&declarations_token)),
            items,
        }
    }

    fn tokens(&self) -> SyncTokens {
        SyncTokens {
            declarations_token: self.items().declarations_token,
            timestamp: Some("2026-01-01T00:00:00Z".to_owned()),
        }
    }
}

/// A small stable hash so tokens stay short.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug)]
struct OfflineSync {
    fetched_items: bool,
    plan: FetchPlan,
    report: Option<StatusReport>,
}

/// The client's sync, without HTTP: the server always takes the report.
fn sync(device: &mut SimulatedDevice, server: &FakeServer, now: Timestamp) -> OfflineSync {
    device.begin_sync(now);
    let mut result = OfflineSync {
        fetched_items: false,
        plan: FetchPlan::default(),
        report: None,
    };
    if device.needs_declaration_items(&server.tokens()) {
        result.fetched_items = true;
        let items = server.items();
        let plan = device.plan_fetches(&items);
        let fetched = plan
            .fetch
            .iter()
            .map(|key| (key.clone(), server.declarations[key].clone()))
            .collect();
        let applied = device.apply_declarations(&items, &fetched);
        assert!(applied.missing.is_empty());
        result.plan = plan;
    }
    result.report = device.status_report();
    if let Some(report) = &result.report {
        device.report_sent(report);
    }
    result
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn mac() -> SimulatedDevice {
    SimulatedDevice::new(
        DeviceProfile::example_mac("mac-1"),
        DeviceOptions::default(),
    )
}

fn iphone() -> SimulatedDevice {
    SimulatedDevice::new(
        DeviceProfile::example_iphone("iphone-1"),
        DeviceOptions::default(),
    )
}

fn settings_key() -> DeclarationKey {
    DeclarationKey::configuration(SETTINGS_IDENTIFIER)
}

fn enforcement_key() -> DeclarationKey {
    DeclarationKey::configuration(maximal_enforcement().identifier().as_str())
}

fn activation_key() -> DeclarationKey {
    DeclarationKey::activation(ACTIVATION_IDENTIFIER)
}

/// The `management.declarations` entry of one declaration.
fn declaration_status(device: &SimulatedDevice, key: &DeclarationKey) -> Value {
    let items = device.status_items();
    let list = items["management.declarations"][match key.kind {
        DeclarationKind::Activation => "activations",
        DeclarationKind::Configuration => "configurations",
        DeclarationKind::Asset => "assets",
        DeclarationKind::Management => "management",
    }]
    .as_array()
    .unwrap()
    .clone();
    list.into_iter()
        .find(|entry| entry["identifier"] == key.identifier.as_str())
        .unwrap_or(Value::Null)
}

fn settings_declaration(payload: Value) -> Value {
    json!({
        "Type": "com.apple.configuration.softwareupdate.settings",
        "Identifier": SETTINGS_IDENTIFIER,
        "ServerToken": format!("{:x}", fnv(&payload.to_string())),
        "Payload": payload,
    })
}

fn enforcement_declaration(identifier: &str, payload: Value) -> Value {
    json!({
        "Type": "com.apple.configuration.softwareupdate.enforcement.specific",
        "Identifier": identifier,
        "ServerToken": format!("{:x}", fnv(&payload.to_string())),
        "Payload": payload,
    })
}

fn activation_of(identifiers: &[&str]) -> Value {
    json!({
        "Type": "com.apple.activation.simple",
        "Identifier": ACTIVATION_IDENTIFIER,
        "ServerToken": format!("{:x}", fnv(&identifiers.join(","))),
        "Payload": { "StandardConfigurations": identifiers },
    })
}

fn subscriptions_of(names: &[&str]) -> Value {
    let items: Vec<Value> = names.iter().map(|name| json!({ "Name": name })).collect();
    json!({
        "Type": "com.apple.configuration.management.status-subscriptions",
        "Identifier": STATUS_SUBSCRIPTIONS_IDENTIFIER,
        "ServerToken": format!("{:x}", fnv(&names.join(","))),
        "Payload": { "StatusItems": items },
    })
}

// ---------------------------------------------------------------------------------------------
// Tokens and fetch planning.

#[test]
fn the_first_sync_fetches_everything_and_an_unchanged_token_fetches_nothing() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    let first = sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    assert!(first.fetched_items);
    assert_eq!(first.plan.fetch.len(), 4, "{:?}", first.plan);
    assert!(first.plan.drop.is_empty());
    assert_eq!(
        device.declarations_token(),
        Some(server.tokens().declarations_token.as_str())
    );

    assert!(!device.needs_declaration_items(&server.tokens()));
    let second = sync(&mut device, &server, at("2026-01-11T00:00:00Z"));
    assert!(!second.fetched_items);
    assert!(second.plan.fetch.is_empty());
    assert!(
        device.plan_fetches(&server.items()).fetch.is_empty(),
        "nothing is new even if the items were read again"
    );
}

#[test]
fn changed_items_fetch_only_what_changed_and_drop_what_is_no_longer_listed() {
    let before = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    sync(&mut device, &before, at("2026-01-10T00:00:00Z"));
    assert!(device.declaration(&enforcement_key()).is_some());

    // New settings, no enforcement: the activation changes with it, subscriptions do not.
    let after = FakeServer::from_set(&device_declaration_set(
        Platform::MacOs,
        &minimal_settings(),
        None,
    ));
    assert!(device.needs_declaration_items(&after.tokens()));
    let plan = device.plan_fetches(&after.items());
    assert_eq!(plan.fetch, vec![activation_key(), settings_key()]);
    assert_eq!(plan.drop, vec![enforcement_key()]);

    let result = sync(&mut device, &after, at("2026-01-11T00:00:00Z"));
    assert_eq!(result.plan, plan);
    assert!(device.declaration(&enforcement_key()).is_none());
    assert_eq!(declaration_status(&device, &enforcement_key()), Value::Null);
    let settings = device.declaration(&settings_key()).unwrap();
    assert_eq!(
        settings.server_token(),
        after.items().items[&settings_key()]
    );
    assert!(
        device.pending_install().is_none(),
        "the enforcement went away"
    );
    assert_eq!(device.declarations().count(), 3);
}

#[test]
fn a_kind_change_under_the_same_identifier_is_a_drop_and_a_fetch() {
    let first = FakeServer::default().with(activation_of(&[]));
    let mut device = mac();
    sync(&mut device, &first, at("2026-01-10T00:00:00Z"));
    let mut moved = activation_of(&[]);
    moved["Type"] = json!("com.apple.management.properties");
    moved["Payload"] = json!({});
    let second = FakeServer::default().with(moved);
    let plan = device.plan_fetches(&second.items());
    assert_eq!(
        plan.fetch,
        vec![DeclarationKey::new(
            DeclarationKind::Management,
            ACTIVATION_IDENTIFIER
        )]
    );
    assert_eq!(plan.drop, vec![activation_key()]);
}

// ---------------------------------------------------------------------------------------------
// Validation and activation.

#[test]
fn ringmasters_own_sets_are_valid_and_active_on_both_platforms() {
    for (platform, mut device) in [(Platform::MacOs, mac()), (Platform::Ios, iphone())] {
        let server = FakeServer::ringmaster(platform, true);
        sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
        for declaration in device.declarations() {
            assert!(
                declaration.is_valid() && declaration.is_active(),
                "{platform}: {} is {:?}",
                declaration.key(),
                declaration.status_json()
            );
            assert!(declaration.reasons().is_empty());
        }
        let status = declaration_status(&device, &settings_key());
        assert_eq!(status["valid"], "valid");
        assert_eq!(status["active"], true);
        assert!(status.get("reasons").is_none());
    }
}

#[test]
fn a_settings_key_the_platform_lacks_makes_the_declaration_invalid_with_a_reason() {
    let server = FakeServer::default()
        .with(settings_declaration(json!({
            "Notifications": false,
            "Deferrals": { "CombinedPeriodInDays": 7, "MajorPeriodInDays": 30 },
            "RecommendedCadence": "Newest",
        })))
        .with(activation_of(&[SETTINGS_IDENTIFIER]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));

    let stored = device.declaration(&settings_key()).unwrap();
    assert!(!stored.is_valid());
    assert!(!stored.is_active());
    let status = declaration_status(&device, &settings_key());
    assert_eq!(status["valid"], "invalid");
    assert_eq!(status["active"], false);
    assert_eq!(
        status["server-token"],
        server.items().items[&settings_key()]
    );
    let reasons = status["reasons"].as_array().unwrap();
    assert_eq!(reasons[0]["code"], "Error.UnknownPayloadKeys");
    assert_eq!(
        reasons[0]["details"]["UnknownPayloadKeys"],
        json!(["Deferrals.CombinedPeriodInDays", "RecommendedCadence"])
    );
    assert!(
        reasons[0]["description"]
            .as_str()
            .unwrap()
            .contains("RecommendedCadence")
    );

    // The same payload minus the macOS-only deferral is fine on an iPhone.
    let ios = FakeServer::default()
        .with(settings_declaration(json!({
            "Deferrals": { "CombinedPeriodInDays": 7 },
            "RecommendedCadence": "Newest",
        })))
        .with(activation_of(&[SETTINGS_IDENTIFIER]));
    let mut phone = iphone();
    sync(&mut phone, &ios, at("2026-01-10T00:00:00Z"));
    assert_eq!(
        declaration_status(&phone, &settings_key())["valid"],
        "valid"
    );
    assert_eq!(declaration_status(&phone, &settings_key())["active"], true);
}

#[test]
fn the_settings_key_lists_follow_apples_schema_per_platform() {
    let mac = settings_keys(Platform::MacOs);
    let ios = settings_keys(Platform::Ios);
    for key in [
        "Deferrals.MajorPeriodInDays",
        "Deferrals.MinorPeriodInDays",
        "Deferrals.SystemPeriodInDays",
        "AllowStandardUserOSUpdates",
    ] {
        assert!(mac.iter().any(|k| k == key), "{key} on macOS");
        assert!(!ios.iter().any(|k| k == key), "{key} not on iOS");
    }
    for key in ["Deferrals.CombinedPeriodInDays", "RecommendedCadence"] {
        assert!(!mac.iter().any(|k| k == key), "{key} not on macOS");
        assert!(ios.iter().any(|k| k == key), "{key} on iOS");
    }
    for key in [
        "Notifications",
        "AutomaticActions.InstallSecurityUpdate",
        "RapidSecurityResponse.EnableRollback",
        "Beta.RequireProgram",
    ] {
        assert!(
            mac.iter().any(|k| k == key) && ios.iter().any(|k| k == key),
            "{key}"
        );
    }
    let reasons = validate_settings_payload(
        Platform::Ios,
        &json!({ "AllowStandardUserOSUpdates": false, "Deferrals": { "CombinedPeriodInDays": 0 } }),
    );
    let codes: Vec<&str> = reasons.iter().map(|reason| reason.code.as_str()).collect();
    assert_eq!(
        codes,
        ["Error.UnknownPayloadKeys", "Error.ConfigurationIsInvalid"]
    );
    assert!(reasons[1].description.contains("1 to 90"));
    let beta = validate_settings_payload(
        Platform::MacOs,
        &json!({ "Beta": { "ProgramEnrollment": "Allowed",
                           "RequireProgram": { "Description": "d", "Token": "t" } } }),
    );
    assert_eq!(beta[0].code, "Error.ConfigurationIsInvalid");
}

#[test]
fn an_enforcement_needs_its_target_and_a_strict_local_date_time() {
    let good = json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00" });
    let enforcement = validate_enforcement_payload(&good).unwrap();
    assert_eq!(enforcement.target_os_version.as_str(), "26.1.0");
    assert_eq!(
        enforcement.target_local_date_time_text,
        "2026-02-28T17:30:00"
    );

    for (payload, expected) in [
        (
            json!({ "TargetLocalDateTime": "2026-02-28T17:30:00" }),
            "TargetOSVersion is required",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0" }),
            "TargetLocalDateTime is required",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00Z" }),
            "without offset",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00.5" }),
            "without offset",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-30T17:30:00" }),
            "not a date-time",
        ),
        (
            json!({ "TargetOSVersion": "twenty-six", "TargetLocalDateTime": "2026-02-28T17:30:00" }),
            "not an Apple OS version",
        ),
    ] {
        let reasons = validate_enforcement_payload(&payload).unwrap_err();
        assert_eq!(reasons[0].code, "Error.ConfigurationIsInvalid", "{payload}");
        assert!(
            reasons[0].description.contains(expected),
            "{payload}: {}",
            reasons[0].description
        );
    }
    let extra = json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00",
                        "Deadline": "soon" });
    assert_eq!(
        validate_enforcement_payload(&extra).unwrap_err()[0].code,
        "Error.UnknownPayloadKeys"
    );
    assert!(parse_local_date_time("2026-02-28 17:30:00").is_err());

    // Received through a sync: reported invalid, no install planned.
    let identifier = "ringmaster.softwareupdate.enforcement.26.1.0";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30" }),
        ))
        .with(activation_of(&[identifier]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let status = declaration_status(&device, &DeclarationKey::configuration(identifier));
    assert_eq!(status["valid"], "invalid");
    assert_eq!(status["reasons"][0]["code"], "Error.ConfigurationIsInvalid");
    assert!(device.pending_install().is_none());
}

#[test]
fn envelope_problems_and_unknown_types_are_reported() {
    let server = FakeServer::default()
        .with(json!({
            "Type": "com.apple.configuration.made-up.thing",
            "Identifier": "x.unknown",
            "ServerToken": "1",
            "Payload": {},
        }))
        .with(json!({
            "Type": "com.apple.configuration.passcode.settings",
            "Identifier": "x.no-token",
            "Payload": {},
        }))
        .with(activation_of(&["x.unknown", "x.no-token"]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let unknown = declaration_status(&device, &DeclarationKey::configuration("x.unknown"));
    assert_eq!(
        unknown["reasons"][0]["code"],
        "Error.UnknownDeclarationType"
    );
    let no_token = declaration_status(&device, &DeclarationKey::configuration("x.no-token"));
    assert_eq!(no_token["valid"], "invalid");
    assert_eq!(no_token["reasons"][0]["code"], "Error.InvalidPayload");
    assert!(
        no_token["reasons"][0]["description"]
            .as_str()
            .unwrap()
            .contains("ServerToken is missing")
    );
}

#[test]
fn a_served_token_other_than_the_listed_one_is_an_issue() {
    let mut server = FakeServer::ringmaster(Platform::MacOs, false);
    let mut device = mac();
    device.begin_sync(at("2026-01-10T00:00:00Z"));
    let items = server.items();
    server.declarations.get_mut(&settings_key()).unwrap()["ServerToken"] = json!("something-else");
    let fetched = device
        .plan_fetches(&items)
        .fetch
        .into_iter()
        .map(|key| (key.clone(), server.declarations[&key].clone()))
        .collect();
    let applied = device.apply_declarations(&items, &fetched);
    assert_eq!(applied.issues.len(), 1, "{:?}", applied.issues);
    assert!(applied.issues[0].contains("differs from the listed"));
    // The device holds the token the declaration carries, so the next sync fetches it again.
    assert_eq!(device.plan_fetches(&items).fetch, vec![settings_key()]);
}

#[test]
fn activations_need_every_configuration_and_unreferenced_ones_stay_inactive() {
    let server = FakeServer::default()
        .with(settings_declaration(json!({ "Notifications": true })))
        .with(activation_of(&["missing.configuration"]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let activation = declaration_status(&device, &activation_key());
    assert_eq!(activation["valid"], "valid");
    assert_eq!(activation["active"], false);
    assert_eq!(
        activation["reasons"][0]["code"],
        "Error.MissingConfigurations"
    );
    assert_eq!(
        activation["reasons"][0]["details"]["ConfigurationIdentifiers"],
        json!(["missing.configuration"])
    );
    let settings = declaration_status(&device, &settings_key());
    assert_eq!(settings["valid"], "valid");
    assert_eq!(settings["active"], false);
    assert_eq!(
        settings["reasons"][0]["code"],
        "Info.NotReferencedByActivation"
    );
}

// ---------------------------------------------------------------------------------------------
// Installs.

#[test]
fn an_enforcement_installs_at_its_deadline_and_not_before() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    sync(&mut device, &server, at("2026-02-01T09:00:00Z"));
    let pending = device.pending_install().unwrap();
    assert_eq!(pending.install_version.as_str(), "26.1");
    assert_eq!(pending.install_build, "25B78");
    assert_eq!(pending.deadline, at("2026-02-28T17:30:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    let items = device.status_items();
    assert_eq!(
        items["softwareupdate.pending-version"],
        json!({ "os-version": "26.1", "build-version": "25B78",
                "target-local-date-time": "2026-02-28T17:30:00" })
    );
    assert_eq!(
        items["softwareupdate.install-reason"],
        json!({ "reason": ["declaration"], "declaration-id": enforcement_key().identifier })
    );

    sync(&mut device, &server, at("2026-02-28T17:29:59Z"));
    assert_eq!(device.install_state(), InstallState::None);
    assert_eq!(device.os_version().as_str(), "26.0.1");

    let mut seen = Vec::new();
    for minute in ["30", "31", "32"] {
        let report = sync(
            &mut device,
            &server,
            at(&format!("2026-02-28T17:{minute}:00Z")),
        )
        .report;
        seen.push(device.install_state());
        let report = report.expect("the install state changed");
        assert_eq!(
            report.items["softwareupdate.install-state"],
            device.install_state().as_str()
        );
    }
    assert_eq!(
        seen,
        [
            InstallState::Downloading,
            InstallState::Prepared,
            InstallState::Installing
        ]
    );
    let done = sync(&mut device, &server, at("2026-02-28T17:33:00Z"))
        .report
        .unwrap();
    assert_eq!(device.install_state(), InstallState::None);
    assert_eq!(device.os_version().as_str(), "26.1");
    assert_eq!(device.build_version(), "25B78");
    assert!(device.pending_install().is_none());
    assert_eq!(done.items["device.operating-system.version"], "26.1");
    assert_eq!(done.items["device.operating-system.build-version"], "25B78");
    assert_eq!(done.items["softwareupdate.install-state"], "none");
    assert_eq!(
        done.items["softwareupdate.pending-version"],
        json!({ "os-version": "", "build-version": "" })
    );
    assert_eq!(
        done.items["softwareupdate.install-reason"],
        json!({ "reason": [] })
    );

    // Nothing more to do once the target runs.
    sync(&mut device, &server, at("2026-03-10T00:00:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
}

#[test]
fn an_enforcement_without_a_build_installs_a_made_up_one() {
    let identifier = "ringmaster.softwareupdate.enforcement.26.2.0";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.2.0", "TargetLocalDateTime": "2026-01-01T00:00:00" }),
        ))
        .with(activation_of(&[identifier]));
    let mut device = iphone();
    for day in 10..15 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-01-{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.os_version().as_str(), "26.2");
    assert_eq!(device.build_version(), "23C100");
    assert_eq!(
        made_up_build(Platform::MacOs, &"15.7.1".parse().unwrap()),
        "24H101"
    );
}

#[test]
fn the_deadline_is_read_in_the_devices_offset() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        utc_offset: Offset::constant(2),
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-cet"), options);
    sync(&mut device, &server, at("2026-02-01T00:00:00Z"));
    assert_eq!(
        device.pending_install().unwrap().deadline,
        at("2026-02-28T15:30:00Z")
    );
    sync(&mut device, &server, at("2026-02-28T15:29:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    sync(&mut device, &server, at("2026-02-28T15:30:00Z"));
    assert_eq!(device.install_state(), InstallState::Downloading);
}

#[test]
fn an_early_user_installs_part_of_the_way_to_the_deadline() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        early_install_fraction: Some(0.5),
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-early"), options);
    // Received 2026-02-01T17:30Z, deadline 2026-02-28T17:30Z: halfway is 2026-02-15T05:30Z.
    sync(&mut device, &server, at("2026-02-01T17:30:00Z"));
    let pending = device.pending_install().unwrap();
    assert!(pending.early);
    assert_eq!(pending.starts_at, at("2026-02-15T05:30:00Z"));
    sync(&mut device, &server, at("2026-02-15T05:29:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    sync(&mut device, &server, at("2026-02-15T06:00:00Z"));
    assert_eq!(device.install_state(), InstallState::Downloading);
    assert_eq!(
        device.status_items()["softwareupdate.install-reason"],
        json!({ "reason": ["system-settings"] })
    );
}

#[test]
fn a_failing_device_reports_failed_with_a_count() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        fail_install: true,
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-fail"), options);
    // Received on 03-01 with the deadline passed: downloading 03-02, prepared 03-03,
    // installing 03-04, failed 03-05; it stays failed.
    for day in 1..=6 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-03-0{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.install_state(), InstallState::Failed);
    assert_eq!(device.os_version().as_str(), "26.0.1");
    let items = device.status_items();
    assert_eq!(items["softwareupdate.install-state"], "failed");
    assert_eq!(items["softwareupdate.failure-reason"]["count"], 1);
    assert_eq!(
        items["softwareupdate.failure-reason"]["timestamp"],
        "2026-03-05T00:00:00Z"
    );
}

#[test]
fn a_supplemental_build_installs_on_its_base() {
    let identifier = "ringmaster.softwareupdate.enforcement.26.3.1a";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.3.1", "TargetBuildVersion": "25D771280a",
                    "TargetLocalDateTime": "2026-04-01T00:00:00" }),
        ))
        .with(subscriptions_of(&["device.operating-system"]))
        .with(activation_of(&[
            identifier,
            STATUS_SUBSCRIPTIONS_IDENTIFIER,
        ]));
    let profile = DeviceProfile::new(
        "mac-bsi",
        Platform::MacOs,
        "26.3.1",
        "25D2128",
        "Mac14,2",
        "J413AP",
    )
    .unwrap();
    let mut device = SimulatedDevice::new(profile, DeviceOptions::default());
    for day in 1..=5 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-04-0{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.os_version().as_str(), "26.3.1 (a)");
    assert_eq!(device.build_version(), "25D2128");
    let items = device.status_items();
    assert_eq!(items["device.operating-system.version"], "26.3.1");
    assert_eq!(
        items["device.operating-system.supplemental.build-version"],
        "25D771280a"
    );
    assert_eq!(
        items["device.operating-system.supplemental.extra-version"],
        "(a)"
    );
    assert!(device.pending_install().is_none());
}

// ---------------------------------------------------------------------------------------------
// Status reports.

#[test]
fn a_full_report_comes_every_n_syncs_and_incremental_ones_carry_only_changes() {
    let server = FakeServer::ringmaster(Platform::MacOs, false);
    let options = DeviceOptions {
        full_report_every: 3,
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-reports"), options);

    let first = sync(&mut device, &server, at("2026-01-10T00:00:00Z"))
        .report
        .unwrap();
    assert!(first.full);
    assert!(first.items.contains_key("management.client-capabilities"));
    assert!(first.items.contains_key("softwareupdate.install-state"));
    assert_eq!(first.items["softwareupdate.device-id"], "J413AP");
    assert_eq!(first.to_json()["FullReport"], true);

    let second = sync(&mut device, &server, at("2026-01-11T00:00:00Z"));
    assert!(
        second.report.is_none(),
        "nothing changed: {:?}",
        second.report
    );

    let changed = FakeServer::from_set(&device_declaration_set(
        Platform::MacOs,
        &minimal_settings(),
        None,
    ));
    let third = sync(&mut device, &changed, at("2026-01-12T00:00:00Z"))
        .report
        .unwrap();
    assert!(!third.full);
    assert_eq!(
        third.items.keys().collect::<Vec<_>>(),
        ["management.declarations"]
    );
    assert_eq!(third.to_json()["FullReport"], false);
    let json = third.to_json();
    assert!(json["StatusItems"]["management"]["declarations"]["configurations"].is_array());
    assert!(json["StatusItems"].get("softwareupdate").is_none());

    let fourth = sync(&mut device, &changed, at("2026-01-13T00:00:00Z"))
        .report
        .unwrap();
    assert!(fourth.full, "three syncs after the first full report");
    assert_eq!(fourth.items, device.status_items());
    assert!(
        sync(&mut device, &changed, at("2026-01-14T00:00:00Z"))
            .report
            .is_none()
    );
}

#[test]
fn an_unsent_report_is_sent_again() {
    let server = FakeServer::ringmaster(Platform::MacOs, false);
    let mut device = mac();
    device.begin_sync(at("2026-01-10T00:00:00Z"));
    let first = device.status_report().unwrap();
    assert!(first.full);
    // The server did not take it: the next one is full again.
    device.begin_sync(at("2026-01-11T00:00:00Z"));
    assert!(device.status_report().unwrap().full);
    sync(&mut device, &server, at("2026-01-12T00:00:00Z"));
    assert!(
        sync(&mut device, &server, at("2026-01-13T00:00:00Z"))
            .report
            .is_none()
    );
}

#[test]
fn only_subscribed_items_are_reported_unless_asked_otherwise() {
    let server = FakeServer::default()
        .with(subscriptions_of(&[
            "device.operating-system",
            "softwareupdate.install-state",
        ]))
        .with(activation_of(&[STATUS_SUBSCRIPTIONS_IDENTIFIER]));
    let mut device = mac();
    let report = sync(&mut device, &server, at("2026-01-10T00:00:00Z"))
        .report
        .unwrap();
    let names: BTreeSet<&str> = report.items.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "device.operating-system.build-version",
            "device.operating-system.family",
            "device.operating-system.supplemental.build-version",
            "device.operating-system.supplemental.extra-version",
            "device.operating-system.version",
            "management.client-capabilities",
            "management.declarations",
            "softwareupdate.install-state",
        ])
    );
    assert_eq!(
        report.to_json()["StatusItems"]["device"]["operating-system"]["family"],
        "macOS"
    );

    let mut everything = SimulatedDevice::new(
        DeviceProfile::example_iphone("iphone-all"),
        DeviceOptions {
            report_unsubscribed_items: true,
            ..DeviceOptions::default()
        },
    );
    let report = sync(
        &mut everything,
        &FakeServer::default(),
        at("2026-01-10T00:00:00Z"),
    )
    .report
    .unwrap();
    assert_eq!(report.items["device.model.identifier"], "iPhone17,1");
    assert_eq!(report.items["softwareupdate.device-id"], "iPhone17,1");
    assert_eq!(report.items["device.operating-system.family"], "iOS");
    assert_eq!(
        report.items["softwareupdate.failure-reason"],
        json!({ "count": 0 })
    );
}

#[test]
fn status_items_nest_by_their_dotted_names() {
    let items = BTreeMap::from([
        ("a.b.c".to_owned(), json!(1)),
        ("a.b.d".to_owned(), json!("x")),
        ("a.e".to_owned(), json!([])),
    ]);
    assert_eq!(
        nest_status_items(&items),
        json!({ "a": { "b": { "c": 1, "d": "x" }, "e": [] } })
    );
}

#[test]
fn declaration_items_need_all_four_arrays_and_unique_identifiers() {
    let good = FakeServer::ringmaster(Platform::Ios, true).items();
    assert_eq!(DeclarationItems::from_json(&good.to_json()).unwrap(), good);
    let missing = json!({ "DeclarationsToken": "t",
        "Declarations": { "Activations": [], "Configurations": [], "Assets": [] } });
    assert!(
        DeclarationItems::from_json(&missing)
            .unwrap_err()
            .message
            .contains("Declarations.Management")
    );
    let twice = json!({ "DeclarationsToken": "t", "Declarations": {
        "Activations": [{ "Identifier": "x", "ServerToken": "1" }],
        "Configurations": [{ "Identifier": "x", "ServerToken": "2" }],
        "Assets": [], "Management": [] } });
    assert!(
        DeclarationItems::from_json(&twice)
            .unwrap_err()
            .message
            .contains("listed twice")
    );
    assert!(SyncTokens::from_json(&json!({ "SyncTokens": {} })).is_err());
}

// ---------------------------------------------------------------------------------------------
// Fleet generation and statistics.

#[test]
fn a_fleet_is_the_same_for_the_same_seed() {
    let config = FleetConfig {
        early_install_share: 0.3,
        failing_devices: BTreeSet::from([3]),
        ..FleetConfig::new(200)
    };
    let profiles = |config: &FleetConfig| -> Vec<DeviceProfile> {
        Fleet::generate(config)
            .unwrap()
            .devices()
            .iter()
            .map(|device| device.profile().clone())
            .collect()
    };
    let first = profiles(&config);
    assert_eq!(first, profiles(&config));
    assert_ne!(
        first,
        profiles(&FleetConfig {
            seed: 2,
            ..config.clone()
        })
    );
    // A device channel's id, or a user channel's parent (its id is the parent's and the user's).
    let device_channel = |profile: &DeviceProfile| {
        profile
            .parent_id
            .clone()
            .unwrap_or_else(|| profile.enrollment_id.clone())
    };
    assert_eq!(device_channel(&first[0]), "sim-00000");
    assert_eq!(device_channel(&first[199]), "sim-00199");
    let macs = first
        .iter()
        .filter(|profile| profile.platform == Platform::MacOs)
        .count();
    assert!((60..140).contains(&macs), "{macs} Macs of 200");
    let fleet = Fleet::generate(&config).unwrap();
    assert!(fleet.devices()[3].options().fail_install);
    let early = fleet
        .devices()
        .iter()
        .filter(|device| device.options().early_install_fraction.is_some())
        .count();
    assert!((30..90).contains(&early), "{early} early of 200");

    let unusable = FleetConfig {
        early_install_share: 1.5,
        ..FleetConfig::new(3)
    };
    assert!(Fleet::generate(&unusable).is_err());
}

#[test]
fn latency_percentiles_use_the_nearest_rank() {
    let durations = (1..=100).map(std::time::Duration::from_millis).collect();
    let summary = LatencySummary::from_durations(durations);
    assert_eq!(summary.p50, std::time::Duration::from_millis(50));
    assert_eq!(summary.p99, std::time::Duration::from_millis(99));
    assert_eq!(summary.max, std::time::Duration::from_millis(100));
    assert_eq!(LatencySummary::from_durations(Vec::new()).samples, 0);
}

#[test]
fn the_endpoint_root_joins_base_and_prefix() {
    let root = |base: &str, prefix: &str| {
        ServerEndpoint::new(base)
            .with_prefix(prefix)
            .root_url()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        root("http://127.0.0.1:8080", "/ddm/"),
        "http://127.0.0.1:8080/ddm/"
    );
    assert_eq!(root("http://h:1/", "ddm"), "http://h:1/ddm/");
    assert_eq!(root("https://h/mdm/", "/v1/ddm"), "https://h/mdm/v1/ddm/");
    assert_eq!(root("http://h", ""), "http://h/");
    assert!(ServerEndpoint::new("ftp://h").root_url().is_err());
    assert!(ServerEndpoint::new("not a url").root_url().is_err());
    assert_eq!(
        format!("{:?}", BearerSecret::new("hunter2")),
        "BearerSecret(***)"
    );
}

// ---------------------------------------------------------------------------------------------
// The HTTP client and the fleet runner against a local fake server.

#[derive(Debug, Default)]
struct HttpFake {
    server: FakeServer,
    secret: Option<String>,
    /// Listed in `declaration-items` but answered 404.
    hidden: BTreeSet<DeclarationKey>,
    reports: Vec<(String, Value)>,
    requests: usize,
}

type SharedFake = Arc<Mutex<HttpFake>>;

async fn spawn_fake(fake: HttpFake) -> (String, SharedFake) {
    use axum::Router;
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, put};

    fn check(fake: &SharedFake, headers: &HeaderMap) -> Result<String, StatusCode> {
        let mut fake = fake.lock().unwrap();
        fake.requests += 1;
        if let Some(secret) = &fake.secret {
            let expected = format!("Bearer {secret}");
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
                return Err(StatusCode::UNAUTHORIZED);
            }
        }
        headers
            .get("x-enrollment-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or(StatusCode::BAD_REQUEST)
    }

    let shared: SharedFake = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route(
            "/ddm/tokens",
            get(
                |State(fake): State<SharedFake>, headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let body = fake.lock().unwrap().server.tokens().to_json();
                    Ok::<_, StatusCode>(axum::Json(body))
                },
            ),
        )
        .route(
            "/ddm/declaration-items",
            get(
                |State(fake): State<SharedFake>, headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let body = fake.lock().unwrap().server.items().to_json();
                    Ok::<_, StatusCode>(axum::Json(body))
                },
            ),
        )
        .route(
            "/ddm/declaration/{kind}/{identifier}",
            get(
                |State(fake): State<SharedFake>,
                 Path((kind, identifier)): Path<(String, String)>,
                 headers: HeaderMap| async move {
                    check(&fake, &headers)?;
                    let kind = DeclarationKind::parse(&kind).map_err(|_| StatusCode::NOT_FOUND)?;
                    let key = DeclarationKey::new(kind, identifier);
                    let fake = fake.lock().unwrap();
                    let body = (!fake.hidden.contains(&key))
                        .then(|| fake.server.declarations.get(&key).cloned())
                        .flatten();
                    body.map(axum::Json).ok_or(StatusCode::NOT_FOUND)
                },
            ),
        )
        .route(
            "/ddm/status",
            put(
                |State(fake): State<SharedFake>,
                 headers: HeaderMap,
                 axum::Json(report): axum::Json<Value>| async move {
                    let id = check(&fake, &headers)?;
                    fake.lock().unwrap().reports.push((id, report));
                    Ok::<_, StatusCode>(StatusCode::OK)
                },
            ),
        )
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), shared)
}

#[tokio::test]
async fn the_client_runs_a_whole_sync_and_then_only_asks_for_tokens() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::MacOs, true),
        secret: Some("s3cret".to_owned()),
        ..HttpFake::default()
    })
    .await;
    let endpoint = ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("s3cret")));
    let client = SyncClient::new(&endpoint).unwrap();
    let mut device = mac();

    let first = client.sync(&mut device, at("2026-02-01T00:00:00Z")).await;
    assert!(first.is_ok(), "{:?}", first.error);
    assert!(first.fetched_items);
    assert_eq!(first.fetched.len(), 4);
    assert!(first.issues.is_empty(), "{:?}", first.issues);
    let paths: Vec<&str> = first.requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths[0], "tokens");
    assert_eq!(paths[1], "declaration-items");
    assert_eq!(paths.last(), Some(&"status"));
    assert_eq!(first.requests.len(), 7);
    assert!(first.sent_report().unwrap().full);
    {
        let fake = fake.lock().unwrap();
        let (id, report) = &fake.reports[0];
        assert_eq!(id, "mac-1");
        assert_eq!(report["FullReport"], true);
        assert_eq!(
            report["StatusItems"]["softwareupdate"]["pending-version"]["os-version"],
            "26.1"
        );
    }

    let second = client.sync(&mut device, at("2026-02-02T00:00:00Z")).await;
    assert!(second.is_ok());
    assert!(!second.fetched_items);
    assert_eq!(second.requests.len(), 1, "{:?}", second.requests);
    assert!(second.report.is_none());

    // A listed declaration the server does not serve: the sync stops at the 404 and the
    // device keeps its set and token, so the next sync tries again.
    let held_token = device.declarations_token().map(str::to_owned);
    {
        let mut fake = fake.lock().unwrap();
        fake.server = fake
            .server
            .clone()
            .with(settings_declaration(json!({ "Notifications": false })));
        fake.hidden.insert(settings_key());
    }
    let failed = client.sync(&mut device, at("2026-02-03T00:00:00Z")).await;
    let error = failed.error.clone().unwrap();
    assert_eq!(error.status(), Some(404));
    assert_eq!(
        error.path(),
        format!("declaration/configuration/{SETTINGS_IDENTIFIER}")
    );
    assert!(failed.report.is_none());
    assert_eq!(device.declarations_token().map(str::to_owned), held_token);

    fake.lock().unwrap().hidden.clear();
    let retried = client.sync(&mut device, at("2026-02-04T00:00:00Z")).await;
    assert!(retried.is_ok(), "{:?}", retried.error);
    assert_eq!(retried.fetched, vec![settings_key()]);
    assert_ne!(device.declarations_token().map(str::to_owned), held_token);
    let incremental = retried.sent_report().unwrap();
    assert!(!incremental.full);
    assert_eq!(
        incremental.items.keys().collect::<Vec<_>>(),
        ["management.declarations"]
    );
}

#[tokio::test]
async fn http_errors_are_reported_with_their_status() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::Ios, false),
        secret: Some("right".to_owned()),
        ..HttpFake::default()
    })
    .await;
    let wrong =
        SyncClient::new(&ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("wrong"))))
            .unwrap();
    let mut device = iphone();
    let outcome = wrong.sync(&mut device, at("2026-01-10T00:00:00Z")).await;
    let error = outcome.error.unwrap();
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.path(), "tokens");
    assert_eq!(error.class(), "HTTP 401");
    assert!(device.declarations_token().is_none());

    let right =
        SyncClient::new(&ServerEndpoint::new(&base).with_secret(Some(BearerSecret::new("right"))))
            .unwrap();
    let missing = right
        .declaration(device.enrollment_id(), &settings_key())
        .await;
    assert!(missing.is_ok(), "the fake serves settings to anyone");
    let absent = right
        .declaration("iphone-1", &DeclarationKey::configuration("no.such"))
        .await
        .unwrap_err();
    assert_eq!(absent.status(), Some(404));
    assert_eq!(absent.path(), "declaration/configuration/no.such");
    assert!(right.tokens("iphone-1").await.is_ok());
    assert!(right.declaration_items("iphone-1").await.is_ok());
    assert!(
        right
            .send_status("iphone-1", &json!({ "StatusItems": {}, "Errors": [] }))
            .await
            .is_ok()
    );
    assert_eq!(fake.lock().unwrap().reports.len(), 1);

    let nobody = SyncClient::new(&ServerEndpoint::new("http://127.0.0.1:9")).unwrap();
    let refused = nobody.sync(&mut device, at("2026-01-10T00:00:00Z")).await;
    assert_eq!(refused.error.unwrap().class(), "transport");
}

#[tokio::test]
async fn a_fleet_runs_rounds_with_bounded_concurrency_and_installs_on_the_simulated_clock() {
    let (base, fake) = spawn_fake(HttpFake {
        server: FakeServer::ringmaster(Platform::MacOs, true),
        ..HttpFake::default()
    })
    .await;
    let client = SyncClient::new(&ServerEndpoint::new(&base)).unwrap();
    let config = FleetConfig {
        rounds: 6,
        concurrency: 4,
        mix: crate::simulator::fleet::FleetMix::parse("macos26=3,macos15=1").unwrap(),
        failing_devices: BTreeSet::from([0]),
        clock: FleetClock::Simulated {
            start: at("2026-02-27T00:00:00Z"),
            step: jiff::SignedDuration::from_hours(24),
        },
        ..FleetConfig::new(12)
    };
    let report = run_fleet(&client, &config).await.unwrap();
    assert_eq!(report.tally.syncs, 72);
    assert_eq!(
        report.tally.failed_syncs, 0,
        "{:?}",
        report.tally.sample_errors
    );
    assert!(report.tally.issues == 0, "{:?}", report.tally.sample_issues);
    assert_eq!(report.latency.samples, 72);
    assert!(report.syncs_per_second > 0.0);
    // Deadline 2026-02-28T17:30Z: the rounds of 03-01 … 03-04 take every Mac (15.7.7 ones
    // too) through the install to 26.1, except device 0, whose install fails.
    let on_26_1 = report
        .versions
        .iter()
        .find(|count| count.version == "26.1")
        .map_or(0, |count| count.devices);
    assert_eq!(on_26_1, 11, "{:?}", report.versions);
    assert_eq!(report.install_states.get(&InstallState::Failed), Some(&1));
    assert_eq!(
        report.fleet.devices()[0].install_state(),
        InstallState::Failed
    );
    let json = report.to_json();
    assert_eq!(json["syncs"], 72);
    assert_eq!(json["installStates"]["failed"], 1);
    let fake = fake.lock().unwrap();
    let first_reports: BTreeSet<&str> = fake
        .reports
        .iter()
        .filter(|(_, report)| report["FullReport"] == true)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        first_reports.len(),
        12,
        "every device sent a full report first"
    );
}

#[test]
fn a_mac_older_than_a_declaration_type_reports_it_unknown_and_a_user_enrollment_refuses_it() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut profile = DeviceProfile::example_mac("mac-13");
    profile.os_version = AppleOsVersion::parse("13.7.8").unwrap();
    let mut old_mac = SimulatedDevice::new(profile, DeviceOptions::default());
    sync(&mut old_mac, &server, at("2026-01-10T00:00:00Z"));
    for key in [enforcement_key(), settings_key()] {
        let status = declaration_status(&old_mac, &key);
        assert_eq!(status["valid"], "unknown", "{key:?}: {status}");
        assert_eq!(status["active"], false, "{key:?}: {status}");
        assert_eq!(
            status["reasons"][0]["code"], "Error.UnknownDeclarationType",
            "{key:?}: {status}"
        );
    }

    // A current Mac on a User Enrollment knows the type but may not take it.
    let profile = DeviceProfile::example_mac("byod-1")
        .on_channel(EnrollmentChannel::UserEnrollmentDevice, None);
    let mut byod = SimulatedDevice::new(profile, DeviceOptions::default());
    sync(&mut byod, &server, at("2026-01-10T00:00:00Z"));
    let status = declaration_status(&byod, &enforcement_key());
    assert_eq!(status["valid"], "invalid", "{status}");
    assert_eq!(
        status["reasons"][0]["code"], "Error.ConfigurationNotSupported",
        "{status}"
    );
}
