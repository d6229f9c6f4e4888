//! Where a device stands with its update policy: one state per device, for the compliance view.
//!
//! Decided from what the schedule asks of the device now and what the device last reported, by
//! the first rule that applies:
//!
//! 1. **declaration rejected**: the device reports one of the declarations it is served now (same
//!    identifier and server token) as `invalid`;
//! 2. **failed**: an update is enforced and the device reports `install-state` `failed`, or a
//!    failure count above zero;
//! 3. **overdue**: an update is enforced and its deadline has passed;
//! 4. **pending**: an update is enforced and its deadline is still ahead;
//! 5. **up to date**: nothing is enforced (no newer release applies, or the newer ones are
//!    still deferred).
//!
//! A device without a policy is `noPolicy`, and one that has never reported its OS is `unknown`.

use std::fmt;

use crate::declarations::envelope::DeclarationSet;
use crate::device_status::merge::DeviceStatus;
use crate::device_status::views::{InstallState, Validity};
use crate::schedule::DevicePlan;

/// A device's state with its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComplianceState {
    UpToDate,
    Pending,
    Overdue,
    Failed,
    DeclarationRejected,
    NoPolicy,
    Unknown,
}

impl ComplianceState {
    pub const ALL: [ComplianceState; 7] = [
        ComplianceState::UpToDate,
        ComplianceState::Pending,
        ComplianceState::Overdue,
        ComplianceState::Failed,
        ComplianceState::DeclarationRejected,
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

/// The identifiers of served declarations the device reports as invalid.
pub fn rejected_declarations(served: &DeclarationSet, status: &DeviceStatus) -> Vec<String> {
    let mut rejected: Vec<String> = status
        .declarations()
        .into_iter()
        .filter(|reported| reported.valid == Validity::Invalid)
        .filter(|reported| {
            served
                .get(reported.kind, &reported.identifier)
                .is_some_and(|declaration| declaration.server_token() == reported.server_token)
        })
        .map(|reported| reported.identifier)
        .collect();
    rejected.sort();
    rejected.dedup();
    rejected
}

/// Classifies a device. `plan` is `None` when no policy applies; `known` is false while the
/// device has not said which OS it runs.
pub fn classify(
    known: bool,
    plan: Option<&DevicePlan>,
    served: &DeclarationSet,
    status: &DeviceStatus,
) -> ComplianceState {
    if !known {
        return ComplianceState::Unknown;
    }
    let Some(plan) = plan else {
        return ComplianceState::NoPolicy;
    };
    if !rejected_declarations(served, status).is_empty() {
        return ComplianceState::DeclarationRejected;
    }
    let Some(enforcement) = plan.enforcement() else {
        return ComplianceState::UpToDate;
    };
    let update = status.software_update();
    let failed = update.install_state == Some(InstallState::Failed)
        || update
            .failure_reason
            .is_some_and(|failure| failure.count > 0);
    if failed {
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
    use serde_json::json;

    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::catalog::FeedFormat;
    use crate::catalog::release::{Platform, Release};
    use crate::device_status::items::report_json;
    use crate::device_status::report::parse_status_report_value;
    use crate::fleet::{PreparedPolicy, device_declarations};
    use crate::policy::rings::default_rings;
    use crate::schedule::DeviceFacts;

    fn catalog() -> Vec<Release> {
        vec![Release {
            platform: Platform::MacOs,
            version: AppleOsVersion::parse("26.1").unwrap(),
            build: Some("25B78".into()),
            released_on: date(2025, 11, 3),
            expires_on: None,
            supported_devices: BTreeSet::new(),
            security: None,
            prerequisite_build: None,
            seen_at: None,
            source: FeedFormat::Gdmf,
        }]
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
        let served = device_declarations(Some(&vanguard), &device, &catalog(), now);
        let mut status = DeviceStatus::default();
        status.apply(parse_status_report_value(&report_json(report, true)).unwrap());
        classify(true, served.plan.as_ref(), &served.declarations, &status)
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
            classify(true, served.plan.as_ref(), &served.declarations, &status),
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
            classify(false, None, &served.declarations, &stale),
            ComplianceState::Unknown
        );
        assert_eq!(
            classify(true, None, &served.declarations, &stale),
            ComplianceState::NoPolicy
        );
    }
}
