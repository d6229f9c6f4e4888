//! `com.apple.configuration.softwareupdate.settings` and `...softwareupdate.enforcement.specific`.
//!
//! The inputs mirror Apple's payload keys one to one (names in the field docs); the policy module
//! maps an admin's policy onto them. Every field is optional: an unset field is omitted from the
//! payload, never sent as a default. Values that Apple limits are types that cannot hold anything
//! else ([`DeferralDays`] is 1–90, the enums are Apple's `rangelist`s).
//!
//! Per-platform support follows Apple's 26.4 schema (`supportedOS` with `introduced: n/a`), and
//! [`settings_declaration`] drops what a platform lacks, since a device rejects unknown keys
//! (`Error.UnknownPayloadKeys`) or reports `Info.UnsupportedSettings`:
//!
//! | Key | macOS | iOS |
//! |---|---|---|
//! | `Deferrals.CombinedPeriodInDays` | – | yes |
//! | `Deferrals.Major/Minor/SystemPeriodInDays` | yes | – |
//! | `RecommendedCadence` | – | yes |
//! | `AllowStandardUserOSUpdates` | yes | – |
//! | everything else | yes | yes |

use jiff::civil::DateTime;
use serde_json::{Map, Value, json};

use crate::apple_version::AppleOsVersion;
use crate::declarations::envelope::{Declaration, DeclarationIdentifier, DeclarationType};
use crate::platform::Platform;
use crate::schedule::format_deadline;

/// Identifier of the one settings declaration a device gets.
pub const SETTINGS_IDENTIFIER: &str = "ringmaster.softwareupdate.settings";

/// Prefix of enforcement identifiers; the target version follows (`...enforcement.26.0.1`).
pub const ENFORCEMENT_IDENTIFIER_PREFIX: &str = "ringmaster.softwareupdate.enforcement.";

/// A deferral period: 1 to 90 days (Apple's `range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeferralDays(u8);

impl DeferralDays {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 90;

    pub fn new(days: u32) -> Result<Self, String> {
        if (u32::from(Self::MIN)..=u32::from(Self::MAX)).contains(&days) {
            Ok(Self(days as u8))
        } else {
            Err(format!(
                "a deferral period is {} to {} days, not {days}",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn days(self) -> u8 {
        self.0
    }
}

/// `RecommendedCadence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecommendedCadence {
    All,
    Oldest,
    Newest,
}

impl RecommendedCadence {
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendedCadence::All => "All",
            RecommendedCadence::Oldest => "Oldest",
            RecommendedCadence::Newest => "Newest",
        }
    }
}

/// The value of each `AutomaticActions` key and of `Beta.ProgramEnrollment`:
/// `Allowed` (the user decides), `AlwaysOn`, `AlwaysOff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManagedSwitch {
    Allowed,
    AlwaysOn,
    AlwaysOff,
}

impl ManagedSwitch {
    pub fn as_str(self) -> &'static str {
        match self {
            ManagedSwitch::Allowed => "Allowed",
            ManagedSwitch::AlwaysOn => "AlwaysOn",
            ManagedSwitch::AlwaysOff => "AlwaysOff",
        }
    }
}

/// `Deferrals`. macOS takes the three separate periods, iOS the combined one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deferrals {
    /// `CombinedPeriodInDays` (not macOS).
    pub combined_period_in_days: Option<DeferralDays>,
    /// `MajorPeriodInDays` (macOS only).
    pub major_period_in_days: Option<DeferralDays>,
    /// `MinorPeriodInDays` (macOS only).
    pub minor_period_in_days: Option<DeferralDays>,
    /// `SystemPeriodInDays`, non-OS updates (macOS only).
    pub system_period_in_days: Option<DeferralDays>,
}

/// `AutomaticActions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomaticActions {
    /// `Download`.
    pub download: Option<ManagedSwitch>,
    /// `InstallOSUpdates`.
    pub install_os_updates: Option<ManagedSwitch>,
    /// `InstallSecurityUpdate` (iOS only from the 26.4 schema on).
    pub install_security_update: Option<ManagedSwitch>,
}

/// `RapidSecurityResponse` (Background Security Improvements; Apple kept the key names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RapidSecurityResponse {
    /// `Enable`.
    pub enable: Option<bool>,
    /// `EnableRollback`.
    pub enable_rollback: Option<bool>,
}

/// One beta program: `{Description, Token}`; the token comes from Apple Business/School Manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BetaProgram {
    pub description: String,
    pub token: String,
}

impl BetaProgram {
    fn to_json(&self) -> Value {
        json!({ "Description": self.description, "Token": self.token })
    }
}

/// `Beta` (iOS 18+, macOS 15.4+). Apple's rules, which the policy validates: `OfferPrograms` only
/// with enrollment `Allowed` or `AlwaysOn`, `RequireProgram` only with `AlwaysOn`, never both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beta {
    /// `ProgramEnrollment`.
    pub program_enrollment: Option<ManagedSwitch>,
    /// `OfferPrograms`; empty means the key is omitted.
    pub offer_programs: Vec<BetaProgram>,
    /// `RequireProgram`.
    pub require_program: Option<BetaProgram>,
}

/// The payload of `com.apple.configuration.softwareupdate.settings`, key for key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareUpdateSettings {
    /// `Notifications`: false shows only the notice one hour before the deadline.
    pub notifications: Option<bool>,
    pub deferrals: Deferrals,
    /// `RecommendedCadence` (not macOS).
    pub recommended_cadence: Option<RecommendedCadence>,
    pub automatic_actions: AutomaticActions,
    pub rapid_security_response: RapidSecurityResponse,
    pub beta: Beta,
    /// `AllowStandardUserOSUpdates` (macOS only): false lets only administrators update.
    pub allow_standard_user_os_updates: Option<bool>,
}

impl SoftwareUpdateSettings {
    /// The settings keys (as `Parent.Key` paths) this input sets that `platform` does not
    /// support and [`settings_declaration`] therefore drops, so callers can warn about them.
    pub fn unsupported_keys(&self, platform: Platform) -> Vec<&'static str> {
        let deferrals = &self.deferrals;
        let mut dropped = Vec::new();
        match platform {
            Platform::MacOs => {
                if deferrals.combined_period_in_days.is_some() {
                    dropped.push("Deferrals.CombinedPeriodInDays");
                }
                if self.recommended_cadence.is_some() {
                    dropped.push("RecommendedCadence");
                }
            }
            Platform::Ios => {
                if deferrals.major_period_in_days.is_some() {
                    dropped.push("Deferrals.MajorPeriodInDays");
                }
                if deferrals.minor_period_in_days.is_some() {
                    dropped.push("Deferrals.MinorPeriodInDays");
                }
                if deferrals.system_period_in_days.is_some() {
                    dropped.push("Deferrals.SystemPeriodInDays");
                }
                if self.allow_standard_user_os_updates.is_some() {
                    dropped.push("AllowStandardUserOSUpdates");
                }
            }
        }
        dropped
    }

    /// The payload for `platform`, without the keys it does not support and without empty
    /// dictionaries.
    pub fn payload(&self, platform: Platform) -> Value {
        let mac = platform == Platform::MacOs;
        let mut payload = Map::new();
        if let Some(notifications) = self.notifications {
            payload.insert("Notifications".into(), notifications.into());
        }

        let d = &self.deferrals;
        let mut deferrals = Map::new();
        let periods = [
            ("CombinedPeriodInDays", d.combined_period_in_days, !mac),
            ("MajorPeriodInDays", d.major_period_in_days, mac),
            ("MinorPeriodInDays", d.minor_period_in_days, mac),
            ("SystemPeriodInDays", d.system_period_in_days, mac),
        ];
        for (key, days, supported) in periods {
            if let (Some(days), true) = (days, supported) {
                deferrals.insert(key.into(), days.days().into());
            }
        }
        insert_dictionary(&mut payload, "Deferrals", deferrals);

        if let (Some(cadence), false) = (self.recommended_cadence, mac) {
            payload.insert("RecommendedCadence".into(), cadence.as_str().into());
        }

        let a = &self.automatic_actions;
        let mut actions = Map::new();
        for (key, value) in [
            ("Download", a.download),
            ("InstallOSUpdates", a.install_os_updates),
            ("InstallSecurityUpdate", a.install_security_update),
        ] {
            if let Some(value) = value {
                actions.insert(key.into(), value.as_str().into());
            }
        }
        insert_dictionary(&mut payload, "AutomaticActions", actions);

        let r = &self.rapid_security_response;
        let mut rsr = Map::new();
        for (key, value) in [("Enable", r.enable), ("EnableRollback", r.enable_rollback)] {
            if let Some(value) = value {
                rsr.insert(key.into(), value.into());
            }
        }
        insert_dictionary(&mut payload, "RapidSecurityResponse", rsr);

        if let (Some(allow), true) = (self.allow_standard_user_os_updates, mac) {
            payload.insert("AllowStandardUserOSUpdates".into(), allow.into());
        }

        let b = &self.beta;
        let mut beta = Map::new();
        if let Some(enrollment) = b.program_enrollment {
            beta.insert("ProgramEnrollment".into(), enrollment.as_str().into());
        }
        if !b.offer_programs.is_empty() {
            let programs = b.offer_programs.iter().map(BetaProgram::to_json).collect();
            beta.insert("OfferPrograms".into(), Value::Array(programs));
        }
        if let Some(program) = &b.require_program {
            beta.insert("RequireProgram".into(), program.to_json());
        }
        insert_dictionary(&mut payload, "Beta", beta);

        Value::Object(payload)
    }
}

fn insert_dictionary(payload: &mut Map<String, Value>, key: &str, dictionary: Map<String, Value>) {
    if !dictionary.is_empty() {
        payload.insert(key.into(), Value::Object(dictionary));
    }
}

/// The settings declaration for a device of `platform` (identifier [`SETTINGS_IDENTIFIER`]).
pub fn settings_declaration(settings: &SoftwareUpdateSettings, platform: Platform) -> Declaration {
    Declaration::new(
        DeclarationType::SoftwareUpdateSettings,
        fixed_identifier(SETTINGS_IDENTIFIER),
        settings.payload(platform),
    )
}

/// What one `softwareupdate.enforcement.specific` declaration enforces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EnforcementTarget {
    /// The release to install. `TargetOSVersion` is its text exactly as the feed wrote it
    /// (`26.1`, as gdmf, Apple's examples and other servers write it; never padded to `26.1.0`),
    /// without a supplemental suffix, which goes in the build.
    pub target_os_version: AppleOsVersion,
    /// `TargetBuildVersion`, such as `25G83` or `25D771280a`. Needed to target a supplemental
    /// "(a)" release; otherwise sent only when the version has one build for the device.
    pub target_build: Option<String>,
    /// `TargetLocalDateTime`, the device-local deadline; written `yyyy-mm-ddThh:mm:ss`, any
    /// fraction of a second dropped.
    pub target_local_date_time: DateTime,
    /// `DetailsURL`.
    pub details_url: Option<String>,
}

impl EnforcementTarget {
    /// The `TargetOSVersion` string: the version as written, no supplemental suffix.
    pub fn target_os_version_text(&self) -> String {
        self.target_os_version
            .without_supplemental()
            .as_str()
            .to_owned()
    }

    /// All three numbers (`26.1.0`), for the identifier, so that one version is one identifier
    /// however a feed writes it.
    fn identifier_version(&self) -> String {
        let version = &self.target_os_version;
        format!(
            "{}.{}.{}",
            version.major(),
            version.minor(),
            version.patch()
        )
    }

    /// The declaration identifier: [`ENFORCEMENT_IDENTIFIER_PREFIX`] and the version with its
    /// supplemental letter (`...enforcement.26.3.1a`), so every new version is a new declaration.
    /// Never fails: a version too long for Apple's 64 bytes (none a parsed version can be) would
    /// be replaced by a digest of it ([`DeclarationIdentifier::with_suffix`]).
    pub fn identifier(&self) -> DeclarationIdentifier {
        let mut suffix = self.identifier_version();
        if let Some(letter) = self.target_os_version.supplemental() {
            suffix.push(letter);
        }
        DeclarationIdentifier::with_suffix(ENFORCEMENT_IDENTIFIER_PREFIX, &suffix)
    }

    pub fn payload(&self) -> Value {
        let mut payload = Map::new();
        payload.insert(
            "TargetOSVersion".into(),
            self.target_os_version_text().into(),
        );
        if let Some(build) = &self.target_build {
            payload.insert("TargetBuildVersion".into(), build.clone().into());
        }
        payload.insert(
            "TargetLocalDateTime".into(),
            format_deadline(self.target_local_date_time).into(),
        );
        if let Some(url) = &self.details_url {
            payload.insert("DetailsURL".into(), url.clone().into());
        }
        Value::Object(payload)
    }
}

/// The enforcement declaration for one target (identifier from [`EnforcementTarget::identifier`]).
pub fn enforcement_declaration(target: &EnforcementTarget) -> Declaration {
    Declaration::new(
        DeclarationType::SoftwareUpdateEnforcementSpecific,
        target.identifier(),
        target.payload(),
    )
}

/// One of ringmaster's fixed identifiers (valid as written; never fails either way).
pub(crate) fn fixed_identifier(text: &str) -> DeclarationIdentifier {
    DeclarationIdentifier::with_suffix(text, "")
}
