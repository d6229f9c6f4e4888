//! Where a device stands with its update policy: one state per device, for the compliance view.
//!
//! Decided from what the schedule asks of the device now and what the device last reported, by
//! the first rule that applies:
//!
//! 0. **unsupported**: a policy applies but the device can take no software-update declaration
//!    (its OS is too old, or it is enrolled by User Enrollment); the reason says which;
//! 1. **declaration rejected**: the device reports one of the declarations it is served now (same
//!    identifier and server token) as `invalid`, or as `unknown` with reasons (a device that does
//!    not know a declaration type answers `unknown` with `Error.UnknownDeclarationType` and never
//!    applies it);
//! 2. **failed**: an update is enforced and the device reports `install-state` `failed`, or a
//!    failure count above zero;
//! 3. **overdue**: an update is enforced and its deadline has passed;
//! 4. **pending**: an update is enforced and its deadline is still ahead;
//! 5. **up to date**: nothing is enforced (no newer release applies, or the newer ones are
//!    still deferred).
//!
//! An exempt device is **exempt** and a device whose ring or policy is paused is **paused**
//! (both checked after rule 1).
//!
//! A device without a policy is `noPolicy`, and one that has never reported its OS is `unknown`.

use std::fmt;

use crate::declarations::envelope::{DeclarationKind, DeclarationSet};
use crate::device_status::merge::DeviceStatus;
use crate::device_status::views::{DeclarationStatus, InstallState, Validity};
use crate::schedule::{DevicePlan, NotEnforced};

/// A device's state with its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComplianceState {
    UpToDate,
    Pending,
    Overdue,
    Failed,
    DeclarationRejected,
    Unsupported,
    /// Exempt from enforcement until its exemption ends.
    Exempt,
    /// Its ring or policy is paused: enforcement withdrawn until resumed.
    Paused,
    NoPolicy,
    Unknown,
}

impl ComplianceState {
    pub const ALL: [ComplianceState; 10] = [
        ComplianceState::UpToDate,
        ComplianceState::Pending,
        ComplianceState::Overdue,
        ComplianceState::Failed,
        ComplianceState::DeclarationRejected,
        ComplianceState::Unsupported,
        ComplianceState::Exempt,
        ComplianceState::Paused,
        ComplianceState::NoPolicy,
        ComplianceState::Unknown,
    ];

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceState::UpToDate => "upToDate",
            ComplianceState::Pending => "pending",
            ComplianceState::Overdue => "overdue",
            ComplianceState::Failed => "failed",
            ComplianceState::DeclarationRejected => "declarationRejected",
            ComplianceState::Unsupported => "unsupported",
            ComplianceState::Exempt => "exempt",
            ComplianceState::Paused => "paused",
            ComplianceState::NoPolicy => "noPolicy",
            ComplianceState::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ComplianceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many devices are in each state (every state present, zero when none) and how many have a
/// legacy update mechanism that conflicts with DDM. Serialized with the states' API spellings
/// as keys, in the order of [`ComplianceState::ALL`], then `legacyConflict`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceCounts {
    pub up_to_date: usize,
    pub pending: usize,
    pub overdue: usize,
    pub failed: usize,
    pub declaration_rejected: usize,
    pub unsupported: usize,
    pub exempt: usize,
    pub paused: usize,
    pub no_policy: usize,
    pub unknown: usize,
    pub legacy_conflict: usize,
}

impl ComplianceCounts {
    /// Counts one device in `state`, and in `legacyConflict` too when `legacy_conflict`.
    pub fn add(&mut self, state: ComplianceState, legacy_conflict: bool) {
        *self.of_mut(state) += 1;
        self.legacy_conflict += usize::from(legacy_conflict);
    }

    /// Takes back one device counted by [`Self::add`] with the same arguments.
    pub fn remove(&mut self, state: ComplianceState, legacy_conflict: bool) {
        let count = self.of_mut(state);
        *count = count.saturating_sub(1);
        if legacy_conflict {
            self.legacy_conflict = self.legacy_conflict.saturating_sub(1);
        }
    }

    /// How many devices are in `state`.
    pub fn of(&self, state: ComplianceState) -> usize {
        let mut copy = *self;
        *copy.of_mut(state)
    }

    fn of_mut(&mut self, state: ComplianceState) -> &mut usize {
        match state {
            ComplianceState::UpToDate => &mut self.up_to_date,
            ComplianceState::Pending => &mut self.pending,
            ComplianceState::Overdue => &mut self.overdue,
            ComplianceState::Failed => &mut self.failed,
            ComplianceState::DeclarationRejected => &mut self.declaration_rejected,
            ComplianceState::Unsupported => &mut self.unsupported,
            ComplianceState::Exempt => &mut self.exempt,
            ComplianceState::Paused => &mut self.paused,
            ComplianceState::NoPolicy => &mut self.no_policy,
            ComplianceState::Unknown => &mut self.unknown,
        }
    }
}

impl FromIterator<(ComplianceState, bool)> for ComplianceCounts {
    /// Counts `(state, legacy conflict)` pairs, one per device.
    fn from_iter<I: IntoIterator<Item = (ComplianceState, bool)>>(devices: I) -> Self {
        let mut counts = ComplianceCounts::default();
        for (state, legacy_conflict) in devices {
            counts.add(state, legacy_conflict);
        }
        counts
    }
}

/// A reported state that means the device will not apply the declaration: `invalid`, or
/// `unknown` with reasons (`Error.UnknownDeclarationType`, …). `unknown` without reasons is a
/// declaration not validated yet.
pub fn is_rejection(reported: &DeclarationStatus) -> bool {
    match reported.valid {
        Validity::Invalid => true,
        Validity::Unknown => !reported.reasons.is_empty(),
        Validity::Valid | Validity::Other(_) => false,
    }
}

/// What the classification reads of a device's status, small enough to keep for every device
/// of a fleet: the install state, whether an install failed, and the declarations the device
/// reports as rejected ([`is_rejection`]), whatever is served now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusFacts {
    /// `softwareupdate.install-state`.
    pub install_state: Option<InstallState>,
    /// The install state is `failed`, or the failure count is above zero.
    pub failed: bool,
    /// Each rejected declaration: its kind, identifier and server token.
    pub rejections: Vec<(DeclarationKind, String, String)>,
}

impl StatusFacts {
    pub fn of(status: &DeviceStatus) -> StatusFacts {
        let update = status.software_update();
        let failed = update.install_state == Some(InstallState::Failed)
            || update
                .failure_reason
                .is_some_and(|failure| failure.count > 0);
        StatusFacts {
            install_state: update.install_state,
            failed,
            rejections: status
                .declarations()
                .into_iter()
                .filter(is_rejection)
                .map(|reported| (reported.kind, reported.identifier, reported.server_token))
                .collect(),
        }
    }
}

/// The identifiers of served declarations the device rejects ([`is_rejection`]).
pub fn rejected_declarations(served: &DeclarationSet, status: &DeviceStatus) -> Vec<String> {
    rejected_among(served, &StatusFacts::of(status))
}

/// [`rejected_declarations`] from a status's [`StatusFacts`]: the rejections whose identifier
/// and server token are served now, sorted, without repeats.
pub fn rejected_among(served: &DeclarationSet, facts: &StatusFacts) -> Vec<String> {
    rejected_by(
        |kind, identifier| {
            served
                .get(kind, identifier)
                .map(|declaration| declaration.server_token())
        },
        facts,
    )
}

/// [`rejected_among`] with the served set given as its server token by kind and identifier.
pub fn rejected_by<'a>(
    served_token: impl Fn(DeclarationKind, &str) -> Option<&'a str>,
    facts: &StatusFacts,
) -> Vec<String> {
    let mut rejected: Vec<String> = facts
        .rejections
        .iter()
        .filter(|(kind, identifier, token)| served_token(*kind, identifier) == Some(token.as_str()))
        .map(|(_, identifier, _)| identifier.clone())
        .collect();
    rejected.sort();
    rejected.dedup();
    rejected
}

/// Classifies a device. `plan` is `None` when no policy applies; `known` is false while the
/// device has not said which OS it runs; `unsupported` is true when the device can take no
/// software-update declaration ([`crate::fleet::DeviceDeclarations::unsupported`]).
pub fn classify(
    known: bool,
    plan: Option<&DevicePlan>,
    unsupported: bool,
    served: &DeclarationSet,
    status: &DeviceStatus,
) -> ComplianceState {
    let facts = StatusFacts::of(status);
    let rejected = !rejected_among(served, &facts).is_empty();
    classify_facts(known, plan, unsupported, rejected, &facts)
}

/// [`classify`] from a status's [`StatusFacts`] (the one rule; `classify` reads them first);
/// `rejected`: the device rejects a declaration served now ([`rejected_among`] is not empty).
pub fn classify_facts(
    known: bool,
    plan: Option<&DevicePlan>,
    unsupported: bool,
    rejected: bool,
    facts: &StatusFacts,
) -> ComplianceState {
    if !known {
        return ComplianceState::Unknown;
    }
    let Some(plan) = plan else {
        return ComplianceState::NoPolicy;
    };
    if unsupported {
        return ComplianceState::Unsupported;
    }
    if rejected {
        return ComplianceState::DeclarationRejected;
    }
    if matches!(plan.not_enforced(), Some(NotEnforced::Exempt { .. })) {
        return ComplianceState::Exempt;
    }
    if matches!(plan.not_enforced(), Some(NotEnforced::Paused { .. })) {
        return ComplianceState::Paused;
    }
    let Some(enforcement) = plan.enforcement() else {
        return ComplianceState::UpToDate;
    };
    if facts.failed {
        ComplianceState::Failed
    } else if enforcement.overdue {
        ComplianceState::Overdue
    } else {
        ComplianceState::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::Timestamp;
    use jiff::civil::date;
    use ringmaster_testing::json::keys;
    use serde_json::json;

    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::capabilities::DeviceCapabilities;
    use crate::catalog::release::Release;
    use crate::device_status::items::report_json;
    use crate::device_status::report::parse_status_report_value;
    use crate::fleet::{PreparedPolicy, device_declarations};
    use crate::platform::Platform;
    use crate::policy::rings::default_rings;
    use crate::schedule::DeviceFacts;

    fn catalog() -> Vec<Release> {
        vec![
            Release::new(
                Platform::MacOs,
                AppleOsVersion::parse("26.1").unwrap(),
                date(2025, 11, 3),
            )
            .with_build("25B78"),
        ]
    }

    fn state_at(version: &str, at: &str, report: &[(&str, serde_json::Value)]) -> ComplianceState {
        let vanguard = PreparedPolicy::new(default_rings()[0].macos.clone());
        let device = DeviceFacts {
            platform: Platform::MacOs,
            os_version: AppleOsVersion::parse(version).unwrap(),
            os_build: None,
            hardware: crate::catalog::hardware::DeviceHardware::unknown(Platform::MacOs),
        };
        let now: Timestamp = at.parse().unwrap();
        let served = device_declarations(
            Some(&vanguard),
            &device,
            &DeviceCapabilities::default(),
            &catalog(),
            now,
        );
        let mut status = DeviceStatus::default();
        status.apply(parse_status_report_value(&report_json(report, true)).unwrap());
        classify(
            true,
            served.plan.as_ref(),
            served.unsupported.is_some(),
            &served.declarations,
            &status,
        )
    }

    #[test]
    fn each_state_in_turn() {
        // Vanguard: 26.1 visible 2025-11-04, due 2025-11-07 17:00.
        assert_eq!(
            state_at("26.0.1", "2025-11-03T12:00:00Z", &[]),
            ComplianceState::UpToDate
        );
        assert_eq!(
            state_at("26.0.1", "2025-11-05T12:00:00Z", &[]),
            ComplianceState::Pending
        );
        assert_eq!(
            state_at("26.0.1", "2025-11-08T12:00:00Z", &[]),
            ComplianceState::Overdue
        );
        assert_eq!(
            state_at("26.1", "2025-11-08T12:00:00Z", &[]),
            ComplianceState::UpToDate
        );
        assert_eq!(
            state_at(
                "26.0.1",
                "2025-11-05T12:00:00Z",
                &[("softwareupdate.install-state", json!("failed"))]
            ),
            ComplianceState::Failed
        );
        assert_eq!(
            state_at(
                "26.0.1",
                "2025-11-05T12:00:00Z",
                &[(
                    "softwareupdate.failure-reason",
                    json!({"count": 2, "reason": "no space"})
                )]
            ),
            ComplianceState::Failed
        );
    }

    #[test]
    fn a_rejected_declaration_counts_only_for_what_is_served_now() {
        let vanguard = PreparedPolicy::new(default_rings()[0].macos.clone());
        let device = DeviceFacts {
            platform: Platform::MacOs,
            os_version: AppleOsVersion::parse("26.0.1").unwrap(),
            os_build: None,
            hardware: crate::catalog::hardware::DeviceHardware::unknown(Platform::MacOs),
        };
        let served = device_declarations(
            Some(&vanguard),
            &device,
            &DeviceCapabilities::default(),
            &catalog(),
            "2025-11-05T12:00:00Z".parse().unwrap(),
        );
        let settings = served
            .declarations
            .declarations()
            .iter()
            .find(|d| d.identifier().as_str().contains("settings"))
            .unwrap();
        let report = |token: &str| {
            json!({"configurations": [{
                "identifier": settings.identifier().as_str(), "server-token": token,
                "active": false, "valid": "invalid",
                "reasons": [{"code": "Error.UnknownPayloadKeys", "description": "Unknown keys"}]
            }], "activations": [], "assets": [], "management": []})
        };
        let mut status = DeviceStatus::default();
        status.apply(
            parse_status_report_value(&report_json(
                &[("management.declarations", report(settings.server_token()))],
                true,
            ))
            .unwrap(),
        );
        assert_eq!(
            rejected_declarations(&served.declarations, &status),
            vec![settings.identifier().as_str().to_owned()]
        );
        assert_eq!(
            classify(
                true,
                served.plan.as_ref(),
                false,
                &served.declarations,
                &status
            ),
            ComplianceState::DeclarationRejected
        );
        let mut stale = DeviceStatus::default();
        stale.apply(
            parse_status_report_value(&report_json(
                &[("management.declarations", report("an-older-token"))],
                true,
            ))
            .unwrap(),
        );
        assert!(rejected_declarations(&served.declarations, &stale).is_empty());
        assert_eq!(
            classify(false, None, false, &served.declarations, &stale),
            ComplianceState::Unknown
        );
        assert_eq!(
            classify(true, None, false, &served.declarations, &stale),
            ComplianceState::NoPolicy
        );
    }

    #[test]
    fn unknown_with_reasons_is_a_rejection_and_an_old_os_is_unsupported() {
        let vanguard = PreparedPolicy::new(default_rings()[0].macos.clone());
        let now: Timestamp = "2025-11-08T12:00:00Z".parse().unwrap();
        let facts = |version: &str| DeviceFacts {
            platform: Platform::MacOs,
            os_version: AppleOsVersion::parse(version).unwrap(),
            os_build: None,
            // A Mac the feeds say runs macOS 26, so the major upgrade is enforced.
            hardware: crate::catalog::hardware::DeviceHardware {
                model: Some("Mac15,3".into()),
                facts_model: Some("Mac15,3".into()),
                os_majors: BTreeSet::from([13, 14, 15, 26]),
                ..crate::catalog::hardware::DeviceHardware::unknown(Platform::MacOs)
            },
        };
        let capabilities = DeviceCapabilities::default();
        let sonoma = device_declarations(
            Some(&vanguard),
            &facts("14.7"),
            &capabilities,
            &catalog(),
            now,
        );
        let enforcement = sonoma
            .declarations
            .declarations()
            .iter()
            .find(|d| d.identifier().as_str().contains("enforcement"))
            .unwrap()
            .clone();
        let report = |valid: &str, reasons: serde_json::Value| {
            let mut status = DeviceStatus::default();
            status.apply(
                parse_status_report_value(&report_json(
                    &[(
                        "management.declarations",
                        json!({"configurations": [{
                            "identifier": enforcement.identifier().as_str(),
                            "server-token": enforcement.server_token(),
                            "active": false, "valid": valid, "reasons": reasons
                        }], "activations": [], "assets": [], "management": []}),
                    )],
                    true,
                ))
                .unwrap(),
            );
            status
        };
        let unknown_type = report(
            "unknown",
            json!([{"code": "Error.UnknownDeclarationType", "description": "unknown type"}]),
        );
        let classify_sonoma = |status: &DeviceStatus| {
            classify(
                true,
                sonoma.plan.as_ref(),
                false,
                &sonoma.declarations,
                status,
            )
        };
        assert_eq!(
            classify_sonoma(&unknown_type),
            ComplianceState::DeclarationRejected
        );
        assert_eq!(
            classify_sonoma(&report("unknown", json!([]))),
            ComplianceState::Overdue,
            "unknown without reasons is not validated yet"
        );
        let ventura = device_declarations(
            Some(&vanguard),
            &facts("13.6"),
            &capabilities,
            &catalog(),
            now,
        );
        assert_eq!(
            ventura.unsupported.as_deref(),
            Some("macOS 13.6 cannot take software-update declarations; enforcement needs macOS 14")
        );
        assert_eq!(
            ventura.declarations.len(),
            2,
            "status subscriptions and activation"
        );
        assert_eq!(
            classify(
                true,
                ventura.plan.as_ref(),
                ventura.unsupported.is_some(),
                &ventura.declarations,
                &DeviceStatus::default()
            ),
            ComplianceState::Unsupported
        );
    }

    #[test]
    fn counts_name_every_state_by_its_api_spelling_in_order() {
        let counts: ComplianceCounts = [
            (ComplianceState::Overdue, true),
            (ComplianceState::Overdue, false),
            (ComplianceState::Unknown, false),
        ]
        .into_iter()
        .collect();
        assert_eq!(counts.of(ComplianceState::Overdue), 2);
        assert_eq!(counts.of(ComplianceState::Unknown), 1);
        assert_eq!(counts.of(ComplianceState::UpToDate), 0);
        assert_eq!(counts.legacy_conflict, 1);
        let json = serde_json::to_value(counts).unwrap();
        let keys = keys(&json);
        let mut expected: Vec<&str> = ComplianceState::ALL.iter().map(|s| s.as_str()).collect();
        expected.push("legacyConflict");
        assert_eq!(keys, expected);
        for state in ComplianceState::ALL {
            assert_eq!(json[state.as_str()], counts.of(state));
        }
    }
}
