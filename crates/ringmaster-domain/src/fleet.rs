//! What one device is served: its effective policy's schedule turned into declarations.
//!
//! [`PreparedPolicy`] builds once what every device of a policy shares (the settings and
//! status-subscription declarations, with their tokens); [`device_declarations`] adds what is
//! per device (the enforcement declaration and the activation). A device with no policy still
//! gets the status subscriptions and their activation, so it keeps reporting its state.
//!
//! [`FleetDeclarations`] computes a whole fleet and shares equal enforcement declarations
//! between devices, since thousands of devices of one ring get the same target and deadline.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::catalog::release::{Platform, Release};
use crate::declarations::companion::{activation_declaration, status_subscriptions_declaration};
use crate::declarations::envelope::{Declaration, DeclarationSet};
use crate::declarations::software_update::{
    EnforcementTarget, enforcement_declaration, settings_declaration,
};
use crate::policy::model::UpdatePolicy;
use crate::schedule::{DeviceFacts, DevicePlan, ScheduleTiming, plan_device};

/// A policy with the declarations all its devices share.
#[derive(Debug, Clone)]
pub struct PreparedPolicy {
    pub policy: UpdatePolicy,
    pub timing: ScheduleTiming,
    settings: Declaration,
    status_subscriptions: Declaration,
}

impl PreparedPolicy {
    pub fn new(policy: UpdatePolicy) -> PreparedPolicy {
        let platform = policy.platform();
        PreparedPolicy {
            timing: policy.timing(),
            settings: settings_declaration(&policy.settings(), platform),
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
}

impl DeviceDeclarations {
    /// The enforcement target sent, if any.
    pub fn enforcement(&self) -> Option<&crate::schedule::Enforcement> {
        self.plan.as_ref().and_then(DevicePlan::enforcement)
    }
}

/// The declarations for `device` under `policy` (its effective policy) at `now`.
pub fn device_declarations(
    policy: Option<&PreparedPolicy>,
    device: &DeviceFacts,
    catalog: &[Release],
    now: Timestamp,
) -> DeviceDeclarations {
    device_declarations_with(policy, device, catalog, now, &mut |target| {
        enforcement_declaration(target)
    })
}

fn device_declarations_with(
    policy: Option<&PreparedPolicy>,
    device: &DeviceFacts,
    catalog: &[Release],
    now: Timestamp,
    enforcement: &mut dyn FnMut(&EnforcementTarget) -> Declaration,
) -> DeviceDeclarations {
    let Some(policy) = policy else {
        return status_only(device.platform);
    };
    let plan = plan_device(&policy.timing, device, catalog, now);
    let mut configurations = vec![policy.settings.clone(), policy.status_subscriptions.clone()];
    if let Some(enforced) = plan.enforcement() {
        configurations.push(enforcement(&policy.policy.enforcement_target(enforced)));
    }
    let activation = activation_declaration(&configurations.iter().collect::<Vec<_>>());
    configurations.push(activation);
    DeviceDeclarations {
        plan: Some(plan),
        declarations: set_of(configurations),
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
    }
}

fn set_of(declarations: Vec<Declaration>) -> DeclarationSet {
    DeclarationSet::of_distinct(declarations)
}

/// Computes many devices, sharing equal enforcement declarations.
#[derive(Debug, Default)]
pub struct FleetDeclarations {
    enforcement: HashMap<EnforcementTarget, Declaration>,
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
        catalog: &[Release],
        now: Timestamp,
    ) -> DeviceDeclarations {
        let cache = &mut self.enforcement;
        device_declarations_with(policy, device, catalog, now, &mut |target| {
            cache
                .entry(target.clone())
                .or_insert_with(|| enforcement_declaration(target))
                .clone()
        })
    }

    /// Distinct enforcement declarations built so far.
    pub fn distinct_enforcements(&self) -> usize {
        self.enforcement.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::civil::date;

    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::catalog::FeedFormat;
    use crate::declarations::envelope::{DeclarationKind, DeclarationType};
    use crate::policy::rings::default_rings;

    fn release(version: &str, build: &str, day: i8) -> Release {
        Release {
            platform: Platform::MacOs,
            version: AppleOsVersion::parse(version).unwrap(),
            build: Some(build.to_owned()),
            released_on: date(2026, 11, day),
            expires_on: None,
            supported_devices: BTreeSet::new(),
            security: None,
            prerequisite_build: None,
            seen_at: None,
            source: FeedFormat::Gdmf,
        }
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
        let outcome = device_declarations(None, &mac("26.0"), &[], Timestamp::UNIX_EPOCH);
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
            &catalog,
            "2026-11-03T12:00:00Z".parse().unwrap(),
        );
        assert!(before.enforcement().is_none(), "deferred one day");
        assert_eq!(before.declarations.len(), 3);
        let after = device_declarations(
            Some(&vanguard),
            &mac("26.0"),
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
        for index in 0..40 {
            let policy = &rings[index % 4];
            let device = mac(if index % 3 == 0 { "26.0" } else { "26.1" });
            let shared = fleet.device(Some(policy), &device, &catalog, now);
            let alone = device_declarations(Some(policy), &device, &catalog, now);
            assert_eq!(
                shared.declarations.declarations_token(),
                alone.declarations.declarations_token()
            );
            assert_eq!(shared.plan, alone.plan);
        }
        assert!(fleet.distinct_enforcements() <= 4);
    }
}
