//! Sample inputs with every key set ("maximal") and with none ("minimal"), shared by the golden
//! files, the schema test against Apple's YAML, benchmarks and documentation.

use jiff::civil::date;

use crate::apple_version::AppleOsVersion;
use crate::declarations::software_update::{
    AutomaticActions, Beta, BetaProgram, DeferralDays, Deferrals, EnforcementTarget, ManagedSwitch,
    RapidSecurityResponse, RecommendedCadence, SoftwareUpdateSettings,
};

fn days(days: u32) -> Option<DeferralDays> {
    Some(DeferralDays::new(days).expect("sample deferrals are within 1-90"))
}

/// Every settings key set, for either platform (the builder drops what a platform lacks).
/// Beta requires one program (enrollment `AlwaysOn`), as `RequireProgram` excludes `OfferPrograms`.
pub fn maximal_settings() -> SoftwareUpdateSettings {
    SoftwareUpdateSettings {
        notifications: Some(false),
        deferrals: Deferrals {
            combined_period_in_days: days(14),
            major_period_in_days: days(90),
            minor_period_in_days: days(7),
            system_period_in_days: days(1),
        },
        recommended_cadence: Some(RecommendedCadence::Newest),
        automatic_actions: AutomaticActions {
            download: Some(ManagedSwitch::AlwaysOn),
            install_os_updates: Some(ManagedSwitch::AlwaysOn),
            install_security_update: Some(ManagedSwitch::Allowed),
        },
        rapid_security_response: RapidSecurityResponse {
            enable: Some(true),
            enable_rollback: Some(false),
        },
        beta: Beta {
            program_enrollment: Some(ManagedSwitch::AlwaysOn),
            offer_programs: Vec::new(),
            require_program: Some(sample_program("Developer Beta", "dev-beta-token")),
        },
        allow_standard_user_os_updates: Some(false),
    }
}

/// Every settings key set, with `OfferPrograms` (two programs) instead of `RequireProgram`.
pub fn maximal_settings_offering_programs() -> SoftwareUpdateSettings {
    let mut settings = maximal_settings();
    settings.beta = Beta {
        program_enrollment: Some(ManagedSwitch::Allowed),
        offer_programs: vec![
            sample_program("Public Beta", "public-beta-token"),
            sample_program("Developer Beta", "dev-beta-token"),
        ],
        require_program: None,
    };
    settings
}

/// No key set: an empty payload, every default Apple's.
pub fn minimal_settings() -> SoftwareUpdateSettings {
    SoftwareUpdateSettings::default()
}

fn sample_program(description: &str, token: &str) -> BetaProgram {
    BetaProgram {
        description: description.to_owned(),
        token: token.to_owned(),
    }
}

/// An enforcement with every key: macOS 26.1 (written `26.1.0`), build, deadline and URL.
pub fn maximal_enforcement() -> EnforcementTarget {
    EnforcementTarget {
        target_os_version: AppleOsVersion::parse("26.1").expect("valid"),
        target_build: Some("25B78".to_owned()),
        target_local_date_time: date(2026, 2, 28).at(17, 30, 0, 0),
        details_url: Some("https://it.example.com/updates/macos-26-1".to_owned()),
    }
}

/// An enforcement with only the required keys.
pub fn minimal_enforcement() -> EnforcementTarget {
    EnforcementTarget {
        target_os_version: AppleOsVersion::parse("18.6.2").expect("valid"),
        target_build: None,
        target_local_date_time: date(2028, 2, 29).at(9, 0, 0, 0),
        details_url: None,
    }
}

/// A supplemental "(a)" release: base version in `TargetOSVersion`, lettered build.
pub fn supplemental_enforcement() -> EnforcementTarget {
    EnforcementTarget {
        target_os_version: AppleOsVersion::parse("26.3.1 (a)").expect("valid"),
        target_build: Some("25D771280a".to_owned()),
        target_local_date_time: date(2026, 12, 31).at(23, 59, 59, 0),
        details_url: None,
    }
}
