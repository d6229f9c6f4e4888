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
//! Serving needs the schedule's decision only: [`device_declarations_decided`] computes it with
//! the fast target choice ([`plan_decision_within`]) and leaves the plan's release list empty;
//! the views that show the schedule release by release use [`device_declarations_combined`].
//! Declarations are shared, not copied (a clone of a [`Declaration`] is a reference count): the
//! policy's settings and status subscriptions, and the activations of the sets without an
//! enforcement, are built once per [`PreparedPolicy`].
//!
//! [`FleetDeclarations`] computes a whole fleet and also shares equal enforcement declarations
//! and the activations that list them between devices, since thousands of devices of one ring
//! get the same target and deadline.
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
use std::sync::OnceLock;

use jiff::Timestamp;

use crate::capabilities::{DeviceCapabilities, UpdateSupport, update_support};
use crate::catalog::hardware::installs;
use crate::catalog::release::Release;
use crate::declarations::companion::{activation_declaration, status_subscriptions_declaration};
use crate::declarations::envelope::{
    Declaration, DeclarationKind, DeclarationSet, DeclarationType,
};
use crate::declarations::software_update::{
    EnforcementTarget, enforcement_declaration, settings_declaration,
};
use crate::platform::Platform;
use crate::policy::model::UpdatePolicy;
use crate::schedule::{
    BlockedReleases, DeviceFacts, DevicePlan, Enforcement, ScheduleTiming, TargetRules,
    plan_decision_within, plan_device_within,
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
    /// The activations of the sets without enforcement: settings (with and without `Beta`) and
    /// status subscriptions, and the status subscriptions alone.
    activation: Declaration,
    activation_without_beta: Declaration,
    activation_status_only: Declaration,
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
        let settings = settings_declaration(&settings, platform);
        let settings_without_beta = settings_declaration(&without_beta, platform);
        let status_subscriptions = status_subscriptions_declaration(platform);
        PreparedPolicy {
            timing: policy.timing(),
            rules: TargetRules {
                blocked,
                max_version: policy.enforcement.max_version.clone(),
                ..TargetRules::none()
            },
            activation: activation_declaration(&[&settings, &status_subscriptions]),
            activation_without_beta: activation_declaration(&[
                &settings_without_beta,
                &status_subscriptions,
            ]),
            activation_status_only: activation_declaration(&[&status_subscriptions]),
            settings,
            settings_without_beta,
            status_subscriptions,
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
    let inputs = Inputs {
        policy,
        specific,
        device,
        capabilities,
        catalog,
        now,
    };
    device_declarations_with(&inputs, Detail::Full, &mut Alone)
}

/// [`device_declarations_combined`] with the plan's decision only: its
/// [`releases`](DevicePlan::releases) are left empty. The declarations are the same; this is
/// what serving them needs, several times faster ([`plan_decision_within`]), while the views
/// that list the schedule release by release use [`device_declarations_combined`].
pub fn device_declarations_decided(
    policy: Option<&PreparedPolicy>,
    specific: Option<&PreparedSpecific>,
    device: &DeviceFacts,
    capabilities: &DeviceCapabilities,
    catalog: &[Release],
    now: Timestamp,
) -> DeviceDeclarations {
    let inputs = Inputs {
        policy,
        specific,
        device,
        capabilities,
        catalog,
        now,
    };
    device_declarations_with(&inputs, Detail::DecisionOnly, &mut Alone)
}

/// What one device's declarations are computed from.
struct Inputs<'a> {
    policy: Option<&'a PreparedPolicy>,
    specific: Option<&'a PreparedSpecific>,
    device: &'a DeviceFacts,
    capabilities: &'a DeviceCapabilities,
    catalog: &'a [Release],
    now: Timestamp,
}

/// How much of the plan a computation keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every newer release with its schedule, for the views.
    Full,
    /// The decision only, for serving.
    DecisionOnly,
}

/// Where the per-device declarations come from: built for this device, or shared.
trait Sharing {
    fn enforcement(&mut self, target: &EnforcementTarget) -> Declaration;
    /// The activation of `configurations` when no prepared one fits.
    fn activation(&mut self, configurations: &[Declaration]) -> Declaration;
}

/// Everything built for the one device.
struct Alone;

impl Sharing for Alone {
    fn enforcement(&mut self, target: &EnforcementTarget) -> Declaration {
        enforcement_declaration(target)
    }

    fn activation(&mut self, configurations: &[Declaration]) -> Declaration {
        activation_declaration(&configurations.iter().collect::<Vec<_>>())
    }
}

fn device_declarations_with(
    inputs: &Inputs<'_>,
    detail: Detail,
    sharing: &mut dyn Sharing,
) -> DeviceDeclarations {
    let Inputs {
        policy,
        specific,
        device,
        capabilities,
        catalog,
        now,
    } = *inputs;
    let (platform, status_subscriptions) = match (policy, specific) {
        (Some(policy), _) => (policy.platform(), &policy.status_subscriptions),
        (None, Some(specific)) => (specific.platform(), &specific.status_subscriptions),
        (None, None) => return status_only(device.platform),
    };
    let mut plan = match (policy, detail) {
        (Some(policy), Detail::Full) => {
            plan_device_within(&policy.timing, &policy.rules, device, catalog, now)
        }
        (Some(policy), Detail::DecisionOnly) => DevicePlan {
            today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
            releases: Vec::new(),
            decision: plan_decision_within(&policy.timing, &policy.rules, device, catalog, now),
        },
        (None, _) => specific::empty_plan(now),
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
            configurations.push(sharing.enforcement(&target));
        }
    }
    let prepared = policy.and_then(|policy| match (configurations.len(), support.settings) {
        (2, true) if support.beta => Some(&policy.activation),
        (2, true) => Some(&policy.activation_without_beta),
        (1, false) => Some(&policy.activation_status_only),
        _ => None,
    });
    let activation = match prepared {
        Some(activation) => activation.clone(),
        None => sharing.activation(&configurations),
    };
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
                && installs(release, &device.hardware, &device.os_version)
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
/// items are the same on every platform.) Built once per platform and shared.
pub fn status_only(platform: Platform) -> DeviceDeclarations {
    static SETS: [OnceLock<DeclarationSet>; 2] = [OnceLock::new(), OnceLock::new()];
    let set = SETS[usize::from(platform == Platform::Ios)].get_or_init(|| {
        let status = status_subscriptions_declaration(platform);
        let activation = activation_declaration(&[&status]);
        set_of(vec![status, activation])
    });
    DeviceDeclarations {
        plan: None,
        declarations: set.clone(),
        unsupported: None,
        specific: None,
    }
}

fn set_of(declarations: Vec<Declaration>) -> DeclarationSet {
    DeclarationSet::of_distinct(declarations)
}

/// Computes many devices, sharing equal enforcement declarations and their activations.
///
/// Its plans carry the decision only ([`device_declarations_decided`]): their
/// [`releases`](DevicePlan::releases) are empty.
#[derive(Debug, Default)]
pub struct FleetDeclarations {
    shared: Shared,
}

/// The declarations built so far, by what they are built from.
#[derive(Debug, Default)]
struct Shared {
    /// By target, then by its version's text (equal versions may be written differently, and
    /// `TargetOSVersion` carries the text).
    enforcement: HashMap<EnforcementTarget, Vec<(String, Declaration)>>,
    enforcements: usize,
    /// By the activated identifiers, sorted, each followed by a newline (identifiers hold none).
    activation: HashMap<String, Declaration>,
    /// The key being looked up, kept to reuse its allocation.
    key: String,
}

impl Sharing for Shared {
    fn enforcement(&mut self, target: &EnforcementTarget) -> Declaration {
        let text = target.target_os_version.as_str();
        if let Some((_, declaration)) = self
            .enforcement
            .get(target)
            .and_then(|spellings| spellings.iter().find(|(written, _)| written == text))
        {
            return declaration.clone();
        }
        let declaration = enforcement_declaration(target);
        self.enforcement
            .entry(target.clone())
            .or_default()
            .push((text.to_owned(), declaration.clone()));
        self.enforcements += 1;
        declaration
    }

    fn activation(&mut self, configurations: &[Declaration]) -> Declaration {
        let mut identifiers: Vec<&str> = configurations
            .iter()
            .filter(|declaration| declaration.kind().kind() == DeclarationKind::Configuration)
            .map(|declaration| declaration.identifier().as_str())
            .collect();
        identifiers.sort_unstable();
        identifiers.dedup();
        self.key.clear();
        for identifier in &identifiers {
            self.key.push_str(identifier);
            self.key.push('\n');
        }
        if let Some(activation) = self.activation.get(self.key.as_str()) {
            return activation.clone();
        }
        let activation = activation_declaration(&configurations.iter().collect::<Vec<_>>());
        self.activation.insert(self.key.clone(), activation.clone());
        activation
    }
}

impl FleetDeclarations {
    pub fn new() -> FleetDeclarations {
        FleetDeclarations::default()
    }

    /// The same declarations as [`device_declarations`], with the plan's decision only.
    pub fn device(
        &mut self,
        policy: Option<&PreparedPolicy>,
        device: &DeviceFacts,
        capabilities: &DeviceCapabilities,
        catalog: &[Release],
        now: Timestamp,
    ) -> DeviceDeclarations {
        let inputs = Inputs {
            policy,
            specific: None,
            device,
            capabilities,
            catalog,
            now,
        };
        device_declarations_with(&inputs, Detail::DecisionOnly, &mut self.shared)
    }

    /// Distinct enforcement declarations built so far.
    pub fn distinct_enforcements(&self) -> usize {
        self.shared.enforcements
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::apple_version::AppleOsVersion;
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
            assert_eq!(
                shared.plan.as_ref().map(|plan| &plan.decision),
                alone.plan.as_ref().map(|plan| &plan.decision)
            );
            assert!(shared.plan.is_some_and(|plan| plan.releases.is_empty()));
        }
        assert!(fleet.distinct_enforcements() <= 4);
    }
}
