//! The companion declarations: status subscriptions, the activation, and a device's whole set.

use serde_json::{Value, json};

use crate::declarations::envelope::{
    Declaration, DeclarationKind, DeclarationSet, DeclarationType,
};
use crate::declarations::software_update::{
    EnforcementTarget, SoftwareUpdateSettings, enforcement_declaration, fixed_identifier,
    settings_declaration,
};
use crate::platform::Platform;

/// Identifier of the status-subscriptions declaration.
pub const STATUS_SUBSCRIPTIONS_IDENTIFIER: &str = "ringmaster.status-subscriptions";

/// Identifier of the activation.
pub const ACTIVATION_IDENTIFIER: &str = "ringmaster.activation";

/// The status items ringmaster subscribes to: every `softwareupdate.*` item, the
/// `device.operating-system.*` items that name the installed OS (family, so a device that
/// enrolled itself is known as a Mac or an iPhone; version and builds), the model family (the
/// platform when the OS family is missing) and identifier, and `management.declarations` (so
/// that every change of a declaration's state is reported, not only on a full report).
/// All exist on macOS and iOS (the software-update ones from macOS 14 / iOS 17, `device-id` and
/// `beta-enrollment` from macOS 15 / iOS 18; an older device ignores what it lacks).
/// `management.client-capabilities` is sent without a subscription.
pub const STATUS_ITEMS: [&str; 14] = [
    "device.model.family",
    "device.model.identifier",
    "device.operating-system.build-version",
    "device.operating-system.family",
    "device.operating-system.supplemental.build-version",
    "device.operating-system.supplemental.extra-version",
    "device.operating-system.version",
    "management.declarations",
    "softwareupdate.beta-enrollment",
    "softwareupdate.device-id",
    "softwareupdate.failure-reason",
    "softwareupdate.install-reason",
    "softwareupdate.install-state",
    "softwareupdate.pending-version",
];

/// The status items for `platform` (today the same list for macOS and iOS).
pub fn status_items(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::MacOs | Platform::Ios => &STATUS_ITEMS,
    }
}

/// `com.apple.configuration.management.status-subscriptions` with `StatusItems: [{Name}]`.
pub fn status_subscriptions_declaration(platform: Platform) -> Declaration {
    let items: Vec<Value> = status_items(platform)
        .iter()
        .map(|name| json!({ "Name": name }))
        .collect();
    Declaration::new(
        DeclarationType::StatusSubscriptions,
        fixed_identifier(STATUS_SUBSCRIPTIONS_IDENTIFIER),
        json!({ "StatusItems": items }),
    )
}

/// `com.apple.activation.simple` whose `StandardConfigurations` lists the identifiers of the
/// given configurations, sorted (so the token does not depend on argument order) and without
/// duplicates. Declarations that are not configurations (an activation) are left out: only
/// configurations can be activated.
pub fn activation_declaration(configurations: &[&Declaration]) -> Declaration {
    let mut identifiers: Vec<&str> = configurations
        .iter()
        .filter(|declaration| declaration.kind().kind() == DeclarationKind::Configuration)
        .map(|declaration| declaration.identifier().as_str())
        .collect();
    identifiers.sort_unstable();
    identifiers.dedup();
    Declaration::new(
        DeclarationType::ActivationSimple,
        fixed_identifier(ACTIVATION_IDENTIFIER),
        json!({ "StandardConfigurations": identifiers }),
    )
}

/// Everything one device is served: the settings, the enforcement when there is one, the status
/// subscriptions, and the activation that activates them all.
pub fn device_declaration_set(
    platform: Platform,
    settings: &SoftwareUpdateSettings,
    enforcement: Option<&EnforcementTarget>,
) -> DeclarationSet {
    let mut configurations = vec![
        settings_declaration(settings, platform),
        status_subscriptions_declaration(platform),
    ];
    if let Some(target) = enforcement {
        configurations.push(enforcement_declaration(target));
    }
    let activation = activation_declaration(&configurations.iter().collect::<Vec<_>>());
    configurations.push(activation);
    DeclarationSet::of_distinct(configurations)
}
