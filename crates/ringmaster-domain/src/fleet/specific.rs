//! A specific-version policy prepared for the declarations engine, and how its enforcement
//! enters a device's plan (the rule is [`crate::policy::specific`]'s).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::catalog::release::Release;
use crate::declarations::companion::status_subscriptions_declaration;
use crate::declarations::envelope::Declaration;
use crate::declarations::software_update::EnforcementTarget;
use crate::fleet::{PreparedPolicy, target_build};
use crate::platform::Platform;
use crate::policy::model::UpdatePolicy;
use crate::policy::specific::resume::deadline_after_pauses;
use crate::policy::specific::{SpecificSkip, SpecificVersion, specific_enforcement};
use crate::schedule::pause::{PauseSpan, pause_at};
use crate::schedule::{
    BlockedReleases, DeviceFacts, DevicePlan, Enforcement, NotEnforced, TargetRules,
};

/// A Software Update Enforcement policy with what its devices share.
#[derive(Debug, Clone)]
pub struct PreparedSpecific {
    pub policy: UpdatePolicy,
    pub specific: SpecificVersion,
    /// The blocked releases, and the device's exemption once [`Self::exempt_until`] is set. Used
    /// only when the device has no automatic policy; otherwise the automatic policy's rules
    /// (with its `maxVersion`) apply.
    pub rules: TargetRules,
    /// The pauses of this policy (and of its group, if it has one): while one is in force its
    /// enforcement is withdrawn; after, its deadline moves ([`crate::policy::specific::resume`]).
    pub pauses: Vec<PauseSpan>,
    pub(super) status_subscriptions: Declaration,
}

/// What a device's specific-version policy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecificOutcome {
    /// Its target replaces the automatic policy's enforcement.
    Enforced,
    /// It does nothing for this device, for this reason.
    NotApplied(SpecificSkip),
}

impl PreparedSpecific {
    /// `None` for an automatic policy.
    pub fn new(policy: UpdatePolicy, blocked: BlockedReleases) -> Option<PreparedSpecific> {
        let specific = policy.specific()?.clone();
        Some(PreparedSpecific {
            status_subscriptions: status_subscriptions_declaration(policy.platform()),
            rules: TargetRules {
                blocked,
                max_version: None,
                exempt_until: None,
                ..TargetRules::default()
            },
            pauses: Vec::new(),
            specific,
            policy,
        })
    }

    pub fn platform(&self) -> Platform {
        self.policy.platform()
    }

    /// A copy for a device exempt until `until`.
    pub fn exempt_until(&self, until: Timestamp) -> PreparedSpecific {
        let mut exempt = self.clone();
        exempt.rules.exempt_until = Some(until);
        exempt
    }

    /// Puts this policy's enforcement into `plan` when it applies to `device`, and says what it
    /// did. `automatic` is the device's automatic policy, whose rules (blocks, `maxVersion`,
    /// exemption) then apply; `plan` is that policy's plan, or [`empty_plan`] without one.
    pub(super) fn apply(
        &self,
        automatic: Option<&PreparedPolicy>,
        device: &DeviceFacts,
        catalog: &[Release],
        now: Timestamp,
        plan: &mut DevicePlan,
    ) -> SpecificOutcome {
        let rules = automatic.map_or(&self.rules, |policy| &policy.rules);
        match specific_enforcement(&self.specific, self.platform(), device, rules, catalog, now) {
            Ok(enforcement) => {
                if let Some(pause) = pause_at(&self.pauses, now) {
                    plan.decision = Err(NotEnforced::Paused {
                        since: pause.since,
                        until: pause.end(),
                        held: Some(enforcement.version),
                    });
                    return SpecificOutcome::NotApplied(SpecificSkip::Paused {
                        since: pause.since,
                        until: pause.end(),
                    });
                }
                let deadline = deadline_after_pauses(enforcement.deadline, &self.pauses, now);
                plan.decision = Ok(Enforcement {
                    deadline,
                    overdue: deadline < now.to_zoned(TimeZone::UTC).datetime(),
                    ..enforcement
                });
                SpecificOutcome::Enforced
            }
            Err(skip) => {
                if automatic.is_none() {
                    plan.decision = Err(not_enforced(&skip));
                }
                SpecificOutcome::NotApplied(skip)
            }
        }
    }

    /// The declaration's content for `enforced`: the policy's build, else the one build the
    /// catalog has for the device's hardware (as for automatic targets).
    pub(super) fn target(
        &self,
        enforced: &Enforcement,
        device: &DeviceFacts,
        catalog: &[Release],
    ) -> EnforcementTarget {
        EnforcementTarget {
            target_os_version: enforced.target_os_version.clone(),
            target_build: enforced
                .target_build
                .clone()
                .or_else(|| target_build(enforced, device, catalog)),
            target_local_date_time: enforced.deadline,
            details_url: self
                .specific
                .details_url
                .as_ref()
                .map(|url| url.as_str().to_owned()),
        }
    }
}

/// The plan of a device whose only policy is a specific-version one, before it is applied.
pub(super) fn empty_plan(now: Timestamp) -> DevicePlan {
    DevicePlan {
        today: now.to_zoned(TimeZone::UTC).date(),
        releases: Vec::new(),
        decision: Err(NotEnforced::EnforcementOff),
    }
}

/// The schedule's words for a skip, when no automatic policy speaks for the device.
fn not_enforced(skip: &SpecificSkip) -> NotEnforced {
    match skip {
        SpecificSkip::OtherPlatform { policy, device } => NotEnforced::WrongPlatform {
            policy: *policy,
            device: *device,
        },
        SpecificSkip::AtOrAboveTarget { .. } => NotEnforced::UpToDate,
        SpecificSkip::Exempt { until } => NotEnforced::Exempt { until: *until },
        SpecificSkip::Blocked { .. } | SpecificSkip::AboveMaxVersion { .. } => {
            NotEnforced::HeldBack
        }
        SpecificSkip::Paused { since, until } => NotEnforced::Paused {
            since: *since,
            until: *until,
            held: None,
        },
    }
}
