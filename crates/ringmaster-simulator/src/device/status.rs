//! The status items a simulated device reports, built from its state, and which of them a
//! subscription covers.
//!
//! Items (values as Apple's status schemas describe them):
//! `device.operating-system.{family, version, build-version}`,
//! `device.operating-system.supplemental.{build-version, extra-version}`,
//! `device.model.identifier`, `softwareupdate.{device-id, install-state, pending-version,
//! failure-reason, install-reason, beta-enrollment}`, `management.declarations` and a minimal
//! plausible `management.client-capabilities`.

use std::collections::{BTreeMap, BTreeSet};

use ringmaster_domain::platform::Platform;
use serde_json::{Map, Value, json};

use super::{InstallState, SimulatedDevice};
use crate::kinds;
use crate::protocol::{DECLARATION_KINDS, status_array_name};
use crate::validate::KNOWN_DECLARATION_TYPES;

/// Items every device reports without a subscription.
pub const IMPLICIT_ITEMS: [&str; 2] = ["management.client-capabilities", "management.declarations"];

/// Every item name the simulator can report.
pub const SUPPORTED_ITEMS: [&str; 15] = [
    "device.model.family",
    "device.model.identifier",
    "device.operating-system.build-version",
    "device.operating-system.family",
    "device.operating-system.supplemental.build-version",
    "device.operating-system.supplemental.extra-version",
    "device.operating-system.version",
    "management.client-capabilities",
    "management.declarations",
    "softwareupdate.beta-enrollment",
    "softwareupdate.device-id",
    "softwareupdate.failure-reason",
    "softwareupdate.install-reason",
    "softwareupdate.install-state",
    "softwareupdate.pending-version",
];

/// Whether `name` is reported under `subscriptions`: implicit items always; otherwise a
/// subscription equal to the name or a dotted prefix of it (`device.operating-system` covers
/// `device.operating-system.version`).
pub fn is_subscribed(name: &str, subscriptions: &BTreeSet<String>) -> bool {
    IMPLICIT_ITEMS.contains(&name)
        || subscriptions.iter().any(|subscription| {
            name == subscription
                || name
                    .strip_prefix(subscription.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Every item of `device`, unfiltered.
pub(crate) fn all_items(device: &SimulatedDevice) -> BTreeMap<String, Value> {
    let profile = device.profile();
    let version = device.os_version();
    let base_version = version.without_supplemental();
    let mut items = BTreeMap::new();
    let mut put = |name: &str, value: Value| {
        items.insert(name.to_owned(), value);
    };
    let family = model_family(profile);
    put(
        "device.operating-system.family",
        if family == "iPad" {
            "iPadOS"
        } else {
            profile.platform.as_str()
        }
        .into(),
    );
    put(
        "device.operating-system.version",
        base_version.as_str().into(),
    );
    put(
        "device.operating-system.build-version",
        profile.build_version.clone().into(),
    );
    put(
        "device.operating-system.supplemental.build-version",
        device
            .supplemental_build()
            .unwrap_or(&profile.build_version)
            .into(),
    );
    put(
        "device.operating-system.supplemental.extra-version",
        version
            .supplemental()
            .map_or_else(String::new, |letter| format!("({letter})"))
            .into(),
    );
    put(
        "device.model.identifier",
        profile.model_identifier.clone().into(),
    );
    put("device.model.family", family.into());
    put("softwareupdate.device-id", profile.device_id.clone().into());
    put("softwareupdate.beta-enrollment", "".into());
    put(
        "softwareupdate.install-state",
        device.install_state().as_str().into(),
    );
    put("softwareupdate.pending-version", pending_version(device));
    put("softwareupdate.failure-reason", failure_reason(device));
    put("softwareupdate.install-reason", install_reason(device));
    put("management.declarations", declarations(device));
    put(
        "management.client-capabilities",
        client_capabilities_of(device),
    );
    items.retain(|name, _| {
        kinds::reports_item(name, profile.platform, &base_version, profile.channel)
    });
    items
}

/// `Mac`, `iPad` (and the OS family `iPadOS`) for an `iPad…` model, else `iPhone`.
fn model_family(profile: &crate::device::DeviceProfile) -> &'static str {
    match profile.platform {
        Platform::MacOs => "Mac",
        Platform::Ios if profile.model_identifier.starts_with("iPad") => "iPad",
        Platform::Ios => "iPhone",
    }
}

/// `{os-version, build-version, target-local-date-time?}`, both strings empty when nothing is
/// pending.
fn pending_version(device: &SimulatedDevice) -> Value {
    let Some(pending) = device.pending_install() else {
        return json!({ "os-version": "", "build-version": "" });
    };
    let build = pending
        .supplemental_build
        .as_deref()
        .unwrap_or(&pending.install_build);
    json!({
        "os-version": pending.install_version.as_str(),
        "build-version": build,
        "target-local-date-time": pending.enforcement.target_local_date_time_text,
    })
}

/// `{count}`, plus `reason` and `timestamp` after a failure.
fn failure_reason(device: &SimulatedDevice) -> Value {
    match device.pending_install() {
        Some(pending) if pending.failures > 0 => {
            let mut value = json!({
                "count": pending.failures,
                "reason": "simulated install failure",
            });
            if let Some(at) = pending.failed_at {
                value["timestamp"] = at.to_string().into();
            }
            value
        }
        _ => json!({ "count": 0 }),
    }
}

/// `{reason: [...], declaration-id?}`: `declaration` while an enforcement drives the update,
/// `system-settings` once a user started it early, empty when nothing is pending.
fn install_reason(device: &SimulatedDevice) -> Value {
    match device.pending_install() {
        None => json!({ "reason": [] }),
        Some(pending) if pending.early && pending.state != InstallState::None => {
            json!({ "reason": ["system-settings"] })
        }
        Some(pending) => json!({
            "reason": ["declaration"],
            "declaration-id": pending.declaration_identifier,
        }),
    }
}

/// `{activations, configurations, assets, management}`, each a list of
/// `{identifier, server-token, active, valid, reasons?}`.
fn declarations(device: &SimulatedDevice) -> Value {
    let mut value = Map::new();
    for kind in DECLARATION_KINDS {
        let list: Vec<Value> = device
            .declarations()
            .filter(|stored| stored.key().kind == kind)
            .map(|stored| stored.status_json())
            .collect();
        value.insert(status_array_name(kind).into(), Value::Array(list));
    }
    Value::Object(value)
}

/// A minimal plausible `management.client-capabilities`: protocol 1.0.0, no optional features,
/// the declaration types of [`KNOWN_DECLARATION_TYPES`] and the items of [`SUPPORTED_ITEMS`].
pub fn client_capabilities() -> Value {
    capabilities_where(|_| true, |_| true)
}

/// `management.client-capabilities` as `device` reports it: only the items and declaration
/// types its OS and channel support ([`kinds`]).
pub fn client_capabilities_of(device: &SimulatedDevice) -> Value {
    let profile = device.profile();
    let version = device.os_version().without_supplemental();
    capabilities_where(
        |item| kinds::reports_item(item, profile.platform, &version, profile.channel),
        |declaration_type| {
            kinds::refuses_declaration(
                declaration_type,
                profile.platform,
                &version,
                profile.channel,
            )
            .is_none()
        },
    )
}

fn capabilities_where(item_ok: impl Fn(&str) -> bool, type_ok: impl Fn(&str) -> bool) -> Value {
    let of_kind = |prefix: &str| -> Vec<&str> {
        KNOWN_DECLARATION_TYPES
            .iter()
            .copied()
            .filter(|declaration_type| {
                declaration_type.starts_with(prefix) && type_ok(declaration_type)
            })
            .collect()
    };
    let items: Vec<&str> = SUPPORTED_ITEMS
        .iter()
        .copied()
        .filter(|item| item_ok(item))
        .collect();
    json!({
        "supported-versions": ["1.0.0"],
        "supported-features": {},
        "supported-payloads": {
            "declarations": {
                "activations": of_kind("com.apple.activation."),
                "assets": of_kind("com.apple.asset."),
                "configurations": of_kind("com.apple.configuration."),
                "management": of_kind("com.apple.management."),
            },
            "status-items": items,
        },
    })
}
