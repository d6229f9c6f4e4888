//! What one device is served: its effective policy's schedule turned into declarations.
//!
//! [`PreparedPolicy`] builds once what every device of a policy shares (the settings and
//! status-subscription declarations, with their tokens); [`device_declarations`] adds what is
//! per device (the enforcement declaration and the activation). A device with no policy still
//! gets the status subscriptions and their activation, so it keeps reporting its state.
//!
//! A device may also have a specific-version policy ([`specific::PreparedSpecific`],
//! [`device_declarations_combined`]): its target replaces the automatic enforcement when it
//! applies, and the settings still come from the automatic policy.
//!
//! [`FleetDeclarations`] computes a whole fleet and shares equal enforcement declarations
//! between devices, since thousands of devices of one ring get the same target and deadline.
//!
//! Only what the device can take is served ([`crate::capabilities::update_support`]): no settings
//! declaration before macOS 15 / iOS 18, no `Beta` key before macOS 15.4, no enforcement before
//! macOS 14 / iOS 17, nothing for updates on a User Enrollment. A device that can take no update
//! declaration keeps its status subscriptions and carries the reason in
//! [`DeviceDeclarations::unsupported`].
//!
//! `TargetBuildVersion` is sent only when it picks one build: for a supplemental release, or
//! when the catalog has exactly one build of the target version for the device's hardware
//! ([`crate::catalog::hardware::supports`]); with two builds (Apple ships some versions with a build per
//! hardware generation) the version alone lets the device take its own.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::capabilities::{DeviceCapabilities, UpdateSupport, update_support};
use crate::catalog::hardware::supports;
use crate::catalog::release::Release;
use crate::declarations::companion::{activation_declaration, status_subscriptions_declaration};
use crate::declarations::envelope::{Declaration, DeclarationSet, DeclarationType};
use crate::declarations::software_update::{
    EnforcementTarget, enforcement_declaration, settings_declaration,
};
use crate::platform::Platform;
use crate::policy::model::UpdatePolicy;
use crate::schedule::{
    BlockedReleases, DeviceFacts, DevicePlan, Enforcement, ScheduleTiming, TargetRules,
    plan_device_within,
};

pub mod specific;

use specific::{PreparedSpecific, SpecificOutcome};

/// A policy with the declarations all its devices share.
#[derive(Debug, Clone)]
pub struct PreparedPolicy {
    pub policy: UpdatePolicy,
    pub timing: ScheduleTiming,
    /// The blocked releases and the policy's `maxVersion`.
    pub rules: TargetRules,
    settings: Declaration,
    /// The settings without `Beta`, for a device too old for the key (the same declaration when
    /// the policy sets no `Beta`).
    settings_without_beta: Declaration,
    status_subscriptions: Declaration,
}

impl PreparedPolicy {
    pub fn new(policy: UpdatePolicy) -> PreparedPolicy {
        PreparedPolicy::with_blocked(policy, BlockedReleases::default())
    }

    /// [`PreparedPolicy::new`] with the releases blocked everywhere.
    pub fn with_blocked(policy: UpdatePolicy, blocked: BlockedReleases) -> PreparedPolicy {
        let platform = policy.platform();
        let settings = policy.settings();
        let mut without_beta = settings.clone();
        without_beta.beta = Default::default();
        PreparedPolicy {
            timing: policy.timing(),
            rules: TargetRules {
                blocked,
                max_version: policy.enforcement.max_version.clone(),
                ..TargetRules::none()
            },
            settings: settings_declaration(&settings, platform),
            settings_without_beta: settings_declaration(&without_beta, platform),
            status_subscriptions: status_subscriptions_declaration(platform),
            policy,
        }
    }

    pub fn platform(&self) -> Platform {
        self.timing.platform
    }
}

/// The schedule for a device and the declarations that carry it.
#[derive(Debug, Clone)]
pub struct DeviceDeclarations {
    /// `None` when no policy applies.
    pub plan: Option<DevicePlan>,
    pub declarations: DeclarationSet,
    /// Why no software-update declaration is served although a policy applies (the device's OS
    /// or enrollment cannot take one); `None` otherwise.
    pub unsupported: Option<String>,
    /// What the device's specific-version policy did; `None` when it has none.
    pub specific: Option<SpecificOutcome>,
}

impl DeviceDeclarations {
    /// The enforcement target sent, if any: `None` when the schedule enforces nothing or the
    /// device cannot take the declaration.
    pub fn enforcement(&self) -> Option<&crate::schedule::Enforcement> {
        let sent = self.declarations.declarations().iter().any(|declaration| {
            declaration.kind() == DeclarationType::SoftwareUpdateEnforcementSpecific
        });
        self.plan
            .as_ref()
            .and_then(DevicePlan::enforcement)
            .filter(|_| sent)
    }
}

/// The declarations for `device` under `policy` (its effective policy) at `now`.
/// `capabilities` are the device's enrollment and reported client capabilities.
pub fn device_declarations(
    policy: Option<&PreparedPolicy>,
    device: &DeviceFacts,
    capabilities: &DeviceCapabilities,
    catalog: &[Release],
    now: Timestamp,
) -> DeviceDeclarations {
    device_declarations_combined(policy, None, device, capabilities, catalog, now)
}

/// [`device_declarations`] for a device with an automatic policy, a specific-version policy,
/// or both: the settings come from the automatic one, the enforcement from the specific one when
/// it applies ([`crate::policy::specific`]).
pub fn device_declarations_combined(
    policy: Option<&PreparedPolicy>,
    specific: Option<&PreparedSpecific>,
    device: &DeviceFacts,
    capabilities: &DeviceCapabilities,
    catalog: &[Release],
    now: Timestamp,
) -> DeviceDeclarations {
    device_declarations_with(
        policy,
        specific,
        device,
        capabilities,
        catalog,
        now,
        &mut |target| enforcement_declaration(target),
    )
}

fn device_declarations_with(
    policy: Option<&PreparedPolicy>,
    specific: Option<&PreparedSpecific>,
    device: &DeviceFacts,
    capabilities: &DeviceCapabilities,
    catalog: &[Release],
    now: Timestamp,
    enforcement: &mut dyn FnMut(&EnforcementTarget) -> Declaration,
) -> DeviceDeclarations {
    let (platform, status_subscriptions) = match (policy, specific) {
        (Some(policy), _) => (policy.platform(), &policy.status_subscriptions),
        (None, Some(specific)) => (specific.platform(), &specific.status_subscriptions),
        (None, None) => return status_only(device.platform),
    };
    let mut plan = match policy {
        Some(policy) => plan_device_within(&policy.timing, &policy.rules, device, catalog, now),
        None => specific::empty_plan(now),
    };
    let outcome = specific.map(|specific| specific.apply(policy, device, catalog, now, &mut plan));
    let support = if platform == device.platform {
        update_support(device.platform, &device.os_version, capabilities)
    } else {
        UpdateSupport::everything()
    };
    if !support.any() {
        let mut served = status_only(device.platform);
        served.plan = Some(plan);
        served.unsupported = support.reason().map(str::to_owned);
        served.specific = outcome;
        return served;
    }
    let mut configurations = Vec::with_capacity(4);
    if let (true, Some(policy)) = (support.settings, policy) {
        configurations.push(if support.beta {
            policy.settings.clone()
        } else {
            policy.settings_without_beta.clone()
        });
    }
    configurations.push(status_subscriptions.clone());
    if let (Some(enforced), true) = (plan.enforcement(), support.enforcement) {
        let target = match (specific, &outcome, policy) {
            (Some(specific), Some(SpecificOutcome::Enforced), _) => {
                Some(specific.target(enforced, device, catalog))
            }
            (_, _, Some(policy)) => {
                let mut target = policy.policy.enforcement_target(enforced);
                target.target_build = target_build(enforced, device, catalog);
                Some(target)
            }
            _ => None,
        };
        if let Some(target) = target {
            configurations.push(enforcement(&target));
        }
    }
    let activation = activation_declaration(&configurations.iter().collect::<Vec<_>>());
    configurations.push(activation);
    DeviceDeclarations {
        plan: Some(plan),
        declarations: set_of(configurations),
        unsupported: None,
        specific: outcome,
    }
}

/// `TargetBuildVersion`: the build of a supplemental release, or the one build of the target
/// version the catalog has for the device's hardware; `None` when there are several (or none).
pub fn target_build(
    enforced: &Enforcement,
    device: &DeviceFacts,
    catalog: &[Release],
) -> Option<String> {
    if enforced.version.is_supplemental() {
        return enforced.target_build.clone();
    }
    let mut builds = catalog
        .iter()
        .filter(|release| {
            release.platform == device.platform
                && release.version == enforced.version
                && !release.version.is_supplemental()
                && supports(release, &device.hardware, &device.os_version).installable()
        })
        .filter_map(|release| release.build.as_deref());
    let first = builds.next()?;
    if builds.all(|build| build.eq_ignore_ascii_case(first)) {
        Some(first.to_owned())
    } else {
        None
    }
}

/// What a device is served while no policy applies, or before it has said which OS it runs:
/// the status subscriptions and their activation, so that it reports its state. (The subscribed
/// items are the same on every platform.)
pub fn status_only(platform: Platform) -> DeviceDeclarations {
    let status = status_subscriptions_declaration(platform);
    let activation = activation_declaration(&[&status]);
    DeviceDeclarations {
        plan: None,
        declarations: set_of(vec![status, activation]),
        unsupported: None,
        specific: None,
    }
}

fn set_of(declarations: Vec<Declaration>) -> DeclarationSet {
    DeclarationSet::of_distinct(declarations)
}

/// Computes many devices, sharing equal enforcement declarations.
#[derive(Debug, Default)]
pub struct FleetDeclarations {
    /// Keyed by the target and its version's text (equal versions may be written differently,
    /// and `TargetOSVersion` carries the text).
    enforcement: HashMap<(EnforcementTarget, String), Declaration>,
}

impl FleetDeclarations {
    pub fn new() -> FleetDeclarations {
        FleetDeclarations::default()
    }

    /// Same result as [`device_declarations`].
    pub fn device(
        &mut self,
        policy: Option<&PreparedPolicy>,
        device: &DeviceFacts,
        capabilities: &DeviceCapabilities,
        catalog: &[Release],
        now: Timestamp,
    ) -> DeviceDeclarations {
        let cache = &mut self.enforcement;
        device_declarations_with(
            policy,
            None,
            device,
            capabilities,
            catalog,
            now,
            &mut |target| {
                let text = target.target_os_version.as_str().to_owned();
                cache
                    .entry((target.clone(), text))
                    .or_insert_with(|| enforcement_declaration(target))
                    .clone()
            },
        )
    }

    /// Distinct enforcement declarations built so far.
    pub fn distinct_enforcements(&self) -> usize {
        self.enforcement.len()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::declarations::envelope::DeclarationKind;
    use crate::policy::rings::default_rings;

    fn release(version: &str, build: &str, day: i8) -> Release {
        Release::new(
            Platform::MacOs,
            AppleOsVersion::parse(version).unwrap(),
            date(2026, 11, day),
        )
        .with_build(build)
    }

    fn mac(version: &str) -> DeviceFacts {
        DeviceFacts {
            platform: Platform::MacOs,
            os_version: AppleOsVersion::parse(version).unwrap(),
            os_build: None,
            hardware: crate::catalog::hardware::DeviceHardware::unknown(Platform::MacOs),
        }
    }

    fn types(set: &DeclarationSet) -> Vec<DeclarationType> {
        set.declarations().iter().map(|d| d.kind()).collect()
    }

    #[test]
    fn a_device_without_policy_still_subscribes_to_status() {
        let outcome = device_declarations(
            None,
            &mac("26.0"),
            &DeviceCapabilities::default(),
            &[],
            Timestamp::UNIX_EPOCH,
        );
        assert!(outcome.plan.is_none());
        let mut kinds = types(&outcome.declarations);
        kinds.sort_by_key(|kind| kind.as_str());
        assert_eq!(
            kinds,
            vec![
                DeclarationType::ActivationSimple,
                DeclarationType::StatusSubscriptions
            ]
        );
    }

    #[test]
    fn an_enforced_release_adds_its_declaration_and_activation_lists_it() {
        let vanguard = PreparedPolicy::new(default_rings()[0].macos.clone());
        let catalog = [release("26.1", "25B78", 3)];
        let before = device_declarations(
            Some(&vanguard),
            &mac("26.0"),
            &DeviceCapabilities::default(),
            &catalog,
            "2026-11-03T12:00:00Z".parse().unwrap(),
        );
        assert!(before.enforcement().is_none(), "deferred one day");
        assert_eq!(before.declarations.len(), 3);
        let after = device_declarations(
            Some(&vanguard),
            &mac("26.0"),
            &DeviceCapabilities::default(),
            &catalog,
            "2026-11-04T00:00:00Z".parse().unwrap(),
        );
        let enforced = after.enforcement().unwrap();
        assert_eq!(enforced.deadline_text(), "2026-11-07T17:00:00");
        assert_eq!(after.declarations.len(), 4);
        let activation = after
            .declarations
            .of_kind(DeclarationKind::Activation)
            .next()
            .unwrap();
        let listed = activation.payload()["StandardConfigurations"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(listed, 3);
        assert_ne!(
            before.declarations.declarations_token(),
            after.declarations.declarations_token()
        );
    }

    #[test]
    fn the_fleet_computer_gives_the_same_declarations_and_shares_them() {
        let rings: Vec<PreparedPolicy> = default_rings()
            .into_iter()
            .map(|ring| PreparedPolicy::new(ring.macos))
            .collect();
        let catalog = [release("26.1", "25B78", 3), release("26.2", "25C56", 10)];
        let now: Timestamp = "2026-12-01T09:00:00Z".parse().unwrap();
        let mut fleet = FleetDeclarations::new();
        let none = DeviceCapabilities::default();
        for index in 0..40 {
            let policy = &rings[index % 4];
            let device = mac(if index % 3 == 0 { "26.0" } else { "26.1" });
            let shared = fleet.device(Some(policy), &device, &none, &catalog, now);
            let alone = device_declarations(Some(policy), &device, &none, &catalog, now);
            assert_eq!(
                shared.declarations.declarations_token(),
                alone.declarations.declarations_token()
            );
            assert_eq!(shared.plan, alone.plan);
        }
        assert!(fleet.distinct_enforcements() <= 4);
    }
}
