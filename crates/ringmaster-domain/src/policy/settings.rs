//! How an admin's policy becomes Apple's declaration inputs.
//!
//! | Policy | `softwareupdate.settings` |
//! |---|---|
//! | `deferrals` | `Deferrals.Major/Minor/SystemPeriodInDays` (macOS), `CombinedPeriodInDays` (iOS) |
//! | `notifications` | `Notifications`: `all` → true, `oneHourBeforeDeadline` → false |
//! | `updatePermissions` | `AllowStandardUserOSUpdates`: `standardUsers` → true (macOS only) |
//! | `recommendedCadence` | `RecommendedCadence` (iOS only; the builder drops it on macOS) |
//! | `automaticActions` | `AutomaticActions.Download`, `.InstallOSUpdates`, `.InstallSecurityUpdate` |
//! | `rapidSecurityResponse` | `RapidSecurityResponse.Enable`, `.EnableRollback` |
//! | `beta` | `Beta.ProgramEnrollment`, `Beta.OfferPrograms` (omitted when empty) |
//!
//! Every setting the policy holds is written, defaults included, so a device never falls back to
//! a default of its own that differs from what the admin sees.
//!
//! `enforcement.detailsUrl` goes into every `softwareupdate.enforcement.specific` declaration.

use crate::declarations::software_update::{
    self as apple, BetaProgram, DeferralDays, EnforcementTarget, ManagedSwitch,
    SoftwareUpdateSettings,
};
use crate::policy::model::{
    ActionMode, Deferrals, Notifications, ProgramEnrollment, RecommendedCadence, UpdatePermissions,
    UpdatePolicy,
};
use crate::schedule::Enforcement;

impl UpdatePolicy {
    /// The inputs of the policy's `softwareupdate.settings` declaration.
    pub fn settings(&self) -> SoftwareUpdateSettings {
        let days = |period: Option<crate::policy::model::DeferralDays>| {
            // Both types hold 1–90 days, so the conversion always succeeds.
            period.and_then(|d| DeferralDays::new(u32::from(d.get())).ok())
        };
        let deferrals = match self.deferrals {
            Deferrals::MacOs {
                major,
                minor,
                system,
            } => apple::Deferrals {
                combined_period_in_days: None,
                major_period_in_days: days(major),
                minor_period_in_days: days(minor),
                system_period_in_days: days(system),
            },
            Deferrals::Ios { combined } => apple::Deferrals {
                combined_period_in_days: days(combined),
                ..apple::Deferrals::default()
            },
        };
        let actions = &self.automatic_actions;
        SoftwareUpdateSettings {
            notifications: Some(self.notifications == Notifications::All),
            deferrals,
            recommended_cadence: self.recommended_cadence.map(|cadence| match cadence {
                RecommendedCadence::All => apple::RecommendedCadence::All,
                RecommendedCadence::Oldest => apple::RecommendedCadence::Oldest,
                RecommendedCadence::Newest => apple::RecommendedCadence::Newest,
            }),
            automatic_actions: apple::AutomaticActions {
                download: Some(switch(actions.download)),
                install_os_updates: Some(switch(actions.install_os_updates)),
                install_security_update: Some(switch(actions.install_security_response)),
            },
            rapid_security_response: apple::RapidSecurityResponse {
                enable: Some(self.rapid_security_response.offer),
                enable_rollback: Some(self.rapid_security_response.allow_rollback),
            },
            beta: apple::Beta {
                program_enrollment: Some(match self.beta.program_enrollment {
                    ProgramEnrollment::UserAllowed => ManagedSwitch::Allowed,
                    ProgramEnrollment::AlwaysOn => ManagedSwitch::AlwaysOn,
                    ProgramEnrollment::AlwaysOff => ManagedSwitch::AlwaysOff,
                }),
                offer_programs: self
                    .beta
                    .offered_programs
                    .iter()
                    .map(|program| BetaProgram {
                        description: program.description.clone(),
                        token: program.token.clone(),
                    })
                    .collect(),
                require_program: None,
            },
            allow_standard_user_os_updates: Some(
                self.update_permissions == UpdatePermissions::StandardUsers,
            ),
        }
    }

    /// The inputs of the enforcement declaration for what the schedule decided.
    pub fn enforcement_target(&self, enforcement: &Enforcement) -> EnforcementTarget {
        EnforcementTarget {
            target_os_version: enforcement.target_os_version.clone(),
            target_build: enforcement.target_build.clone(),
            target_local_date_time: enforcement.deadline,
            details_url: self
                .enforcement
                .details_url
                .as_ref()
                .map(|url| url.as_str().to_owned()),
        }
    }
}

fn switch(mode: ActionMode) -> ManagedSwitch {
    match mode {
        ActionMode::UserControlled => ManagedSwitch::Allowed,
        ActionMode::AlwaysOn => ManagedSwitch::AlwaysOn,
        ActionMode::AlwaysOff => ManagedSwitch::AlwaysOff,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::declarations::software_update::settings_declaration;
    use crate::platform::Platform;
    use crate::policy::parse::parse_policy;

    fn policy(document: serde_json::Value) -> crate::policy::model::UpdatePolicy {
        parse_policy(&document).unwrap().policy
    }

    #[test]
    fn a_macos_policy_becomes_every_settings_key_macos_supports() {
        let policy = policy(json!({
            "name": "Lab Macs", "platform": "macOS",
            "deferrals": {"majorDays": 30, "minorDays": 7},
            "enforcement": {"enabled": true, "gracePeriodDays": 5, "localTime": "18:30"},
            "updatePermissions": "adminsOnly",
            "notifications": "oneHourBeforeDeadline",
            "recommendedCadence": "newest",
            "automaticActions": {"download": "alwaysOn", "installOSUpdates": "alwaysOn", "installSecurityResponse": "alwaysOff"},
            "rapidSecurityResponse": {"offer": true, "allowRollback": false},
            "beta": {"programEnrollment": "alwaysOff"}
        }));
        let declaration = settings_declaration(&policy.settings(), Platform::MacOs);
        assert_eq!(
            declaration.payload(),
            &json!({
                "Notifications": false,
                "Deferrals": {"MajorPeriodInDays": 30, "MinorPeriodInDays": 7},
                "AutomaticActions": {"Download": "AlwaysOn", "InstallOSUpdates": "AlwaysOn", "InstallSecurityUpdate": "AlwaysOff"},
                "RapidSecurityResponse": {"Enable": true, "EnableRollback": false},
                "AllowStandardUserOSUpdates": false,
                "Beta": {"ProgramEnrollment": "AlwaysOff"}
            }),
            "no RecommendedCadence on macOS"
        );
    }

    #[test]
    fn an_ios_policy_uses_the_combined_period_cadence_and_offered_programs() {
        let policy = policy(json!({
            "name": "Shared iPads", "platform": "iOS",
            "deferrals": {"combinedDays": 14},
            "recommendedCadence": "oldest",
            "beta": {"programEnrollment": "userAllowed", "offeredPrograms": [{"description": "Public Beta", "token": "t-1"}]}
        }));
        let payload = settings_declaration(&policy.settings(), Platform::Ios)
            .payload()
            .clone();
        assert_eq!(payload["Deferrals"], json!({"CombinedPeriodInDays": 14}));
        assert_eq!(payload["RecommendedCadence"], "Oldest");
        assert_eq!(payload["Notifications"], true);
        assert_eq!(
            payload["Beta"],
            json!({"ProgramEnrollment": "Allowed", "OfferPrograms": [{"Description": "Public Beta", "Token": "t-1"}]})
        );
        assert!(payload.get("AllowStandardUserOSUpdates").is_none());
    }
}
