//! Tests of the simulator: the device state machine against an in-memory server built from the
//! domain's real declarations, validation, reports, and the HTTP client and fleet runner
//! against a small local fake server.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::tz::Offset;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::declarations::companion::{
    ACTIVATION_IDENTIFIER, STATUS_SUBSCRIPTIONS_IDENTIFIER, device_declaration_set,
};
use ringmaster_domain::declarations::envelope::{DeclarationKind, DeclarationSet};
use ringmaster_domain::declarations::samples::{
    maximal_enforcement, maximal_settings, minimal_settings,
};
use ringmaster_domain::declarations::software_update::SETTINGS_IDENTIFIER;
use ringmaster_domain::platform::Platform;
use serde_json::{Value, json};

use crate::client::{BearerSecret, ServerEndpoint, SyncClient};
use crate::device::{
    DeviceOptions, DeviceProfile, FetchPlan, InstallState, SimulatedDevice, made_up_build,
};
use crate::fleet::{Fleet, FleetClock, FleetConfig, LatencySummary, run_fleet};
use crate::kinds::EnrollmentChannel;
use crate::protocol::{
    DeclarationItems, DeclarationKey, StatusReport, SyncTokens, nest_status_items,
};
use crate::validate::{
    parse_local_date_time, settings_keys, validate_enforcement_payload, validate_settings_payload,
};

mod fleet_stats;
mod http;
mod installs;
mod planning;
mod reports;
mod validation;

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
