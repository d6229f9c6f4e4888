//! The four default deployment rings, each with a preconfigured macOS and iOS policy.
//!
//! | Ring | Order | Deferral (every kind) | Grace |
//! |---|---|---|---|
//! | Vanguard | 0 | 1 day | 3 days |
//! | Early Adoption | 1 | 7 days | 7 days |
//! | General Adoption | 2 | 15 days | 10 days |
//! | Late Adoption | 3 | 30 days | 10 days |
//!
//! Every ring enforces, at [`RING_LOCAL_TIME`] (17:00 device-local: the end of a working day,
//! so a forced restart rarely interrupts work and a device left on overnight finishes), with
//! scope `latest` and no details URL. macOS policies defer major, minor and system updates alike;
//! iOS policies use the combined period. All other settings are the model's defaults.
//! Policy names are the ring name and the platform: `Vanguard (macOS)`, `Vanguard (iOS)`.

use jiff::civil::Time;

use crate::platform::Platform;
use crate::policy::model::{
    DeferralDays, Deferrals, Enforcement, EnforcementScope, GraceDays, PolicyKind, PolicyName,
    UpdatePolicy,
};

/// One default ring: a policy group holding one policy per platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingDefinition {
    pub name: &'static str,
    /// 0 for the earliest ring; a later ring has a larger order.
    pub order: u8,
    pub macos: UpdatePolicy,
    pub ios: UpdatePolicy,
}

/// The device-local time at which every default ring enforces.
pub const RING_LOCAL_TIME: Time = Time::constant(17, 0, 0, 0);

/// (name, deferral days, grace days), earliest ring first.
const RINGS: [(&str, u16, u16); 4] = [
    ("Vanguard", 1, 3),
    ("Early Adoption", 7, 7),
    ("General Adoption", 15, 10),
    ("Late Adoption", 30, 10),
];

/// The four default rings, earliest first.
pub fn default_rings() -> Vec<RingDefinition> {
    RINGS
        .iter()
        .zip(0u8..)
        .map(
            |(&(name, deferral_days, grace_days), order)| RingDefinition {
                name,
                order,
                macos: ring_policy(name, Platform::MacOs, deferral_days, grace_days),
                ios: ring_policy(name, Platform::Ios, deferral_days, grace_days),
            },
        )
        .collect()
}

fn ring_policy(
    ring: &str,
    platform: Platform,
    deferral_days: u16,
    grace_days: u16,
) -> UpdatePolicy {
    let days = Some(
        DeferralDays::parse(i64::from(deferral_days)).expect("ring deferrals are within 1–90"),
    );
    let deferrals = match platform {
        Platform::MacOs => Deferrals::MacOs {
            major: days,
            minor: days,
            system: days,
        },
        Platform::Ios => Deferrals::Ios { combined: days },
    };
    UpdatePolicy {
        name: PolicyName::parse(&format!("{ring} ({platform})")).expect("ring names are valid"),
        kind: PolicyKind::Automatic,
        deferrals,
        enforcement: Enforcement {
            enabled: true,
            grace_period: GraceDays::parse(i64::from(grace_days))
                .expect("ring grace periods are within 0–365"),
            local_time: Some(RING_LOCAL_TIME),
            details_url: None,
            scope: EnforcementScope::Latest,
            max_version: None,
        },
        update_permissions: Default::default(),
        notifications: Default::default(),
        recommended_cadence: None,
        automatic_actions: Default::default(),
        rapid_security_response: Default::default(),
        beta: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse::parse_policy;
    use crate::policy::render::render_policy;

    #[test]
    fn the_four_rings_have_their_documented_values() {
        let rings = default_rings();
        let summary: Vec<(&str, u8, u16, u16)> = rings
            .iter()
            .map(|ring| {
                let timing = ring.macos.timing();
                (
                    ring.name,
                    ring.order,
                    timing.major_days.unwrap(),
                    timing.enforcement.unwrap().grace_days,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("Vanguard", 0, 1, 3),
                ("Early Adoption", 1, 7, 7),
                ("General Adoption", 2, 15, 10),
                ("Late Adoption", 3, 30, 10),
            ]
        );
        for ring in &rings {
            let macos = ring.macos.timing();
            let ios = ring.ios.timing();
            assert_eq!(macos.platform, Platform::MacOs);
            assert_eq!(ios.platform, Platform::Ios);
            assert_eq!(macos.minor_days, macos.major_days);
            assert_eq!(macos.system_days, macos.major_days);
            assert_eq!(ios.combined_days, macos.major_days);
            assert_eq!(ios.enforcement, macos.enforcement);
            assert_eq!(macos.enforcement.unwrap().local_time, RING_LOCAL_TIME);
            assert_eq!(ring.macos.name.as_str(), format!("{} (macOS)", ring.name));
            assert_eq!(ring.ios.name.as_str(), format!("{} (iOS)", ring.name));
        }
    }

    #[test]
    fn ring_policies_are_valid_documents_without_warnings() {
        for ring in default_rings() {
            for policy in [&ring.macos, &ring.ios] {
                let parsed = parse_policy(&render_policy(policy)).unwrap();
                assert!(parsed.warnings.is_empty());
                assert_eq!(&parsed.policy, policy);
            }
        }
    }

    #[test]
    fn the_vanguard_macos_policy_renders_as_documented() {
        assert_eq!(
            render_policy(&default_rings()[0].macos),
            serde_json::json!({
                "name": "Vanguard (macOS)",
                "kind": "automatic",
                "platform": "macOS",
                "deferrals": {"majorDays": 1, "minorDays": 1, "systemDays": 1},
                "enforcement": {"enabled": true, "gracePeriodDays": 3, "localTime": "17:00", "scope": "latest"},
                "updatePermissions": "standardUsers",
                "notifications": "all",
                "automaticActions": {
                    "download": "userControlled",
                    "installOSUpdates": "userControlled",
                    "installSecurityResponse": "userControlled"
                },
                "rapidSecurityResponse": {"offer": true, "allowRollback": true},
                "beta": {"programEnrollment": "userAllowed", "offeredPrograms": []}
            })
        );
    }
}
