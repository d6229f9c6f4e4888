//! The update policy an admin writes: every setting of JumpCloud's DDM "Automatic OS Updates"
//! policy, as plain data.
//!
//! Values are constructed valid: the day counts are newtypes built through `parse`, and
//! [`crate::policy::parse::parse_policy`] checks the rules that span fields (the automatic-action
//! combinations, beta programs, the enforcement time). The platform is not a separate field: it is
//! the variant of [`Deferrals`], so a macOS policy cannot carry iOS deferrals or the reverse.
//!
//! Defaults for absent fields (chosen to match Apple's own defaults, so an absent setting sends
//! nothing surprising to a device):
//! - deferrals: unset (Apple applies none);
//! - enforcement: off, grace period 30 days, no local time, no details URL, scope `latest`;
//! - `updatePermissions`: `standardUsers` (`AllowStandardUserOSUpdates` defaults to true);
//! - `notifications`: `all` (`Notifications` defaults to true);
//! - `recommendedCadence`: unset (the key is not sent);
//! - `automaticActions`: each `userControlled` (Apple's `Allowed`);
//! - `rapidSecurityResponse`: `offer` and `allowRollback` true (Apple's defaults);
//! - `beta`: `programEnrollment` `userAllowed` (Apple's `Allowed`), no offered programs.

use std::fmt;

use jiff::civil::Time;

use crate::apple_version::AppleOsVersion;
use crate::platform::Platform;
use crate::policy::specific::SpecificVersion;

/// One DDM software-update policy for one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePolicy {
    /// Unique among policies (storage enforces that).
    pub name: PolicyName,
    /// `automatic` (the settings and the schedule below) or `specificVersion` (one target by one
    /// deadline; every other field then keeps its default and is never sent).
    pub kind: PolicyKind,
    /// The deferral periods; the variant is the policy's platform.
    pub deferrals: Deferrals,
    pub enforcement: Enforcement,
    pub update_permissions: UpdatePermissions,
    pub notifications: Notifications,
    /// Kept on macOS policies too (so what the admin wrote reads back), but only sent to iOS.
    pub recommended_cadence: Option<RecommendedCadence>,
    pub automatic_actions: AutomaticActions,
    pub rapid_security_response: RapidSecurityResponse,
    pub beta: Beta,
}

impl UpdatePolicy {
    /// The platform the policy is for, given by its deferrals.
    pub fn platform(&self) -> Platform {
        self.deferrals.platform()
    }

    /// The target and deadline of a Software Update Enforcement policy; `None` when automatic.
    pub fn specific(&self) -> Option<&SpecificVersion> {
        match &self.kind {
            PolicyKind::Automatic => None,
            PolicyKind::SpecificVersion(specific) => Some(specific),
        }
    }
}

/// Which of the two policies this is (see [`crate::policy::specific`] for how they combine).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PolicyKind {
    /// JumpCloud's "Automatic OS Updates": settings, deferrals, enforcement of the newest release.
    #[default]
    Automatic,
    /// Apple's Software Update Enforcement: one version by one device-local deadline.
    SpecificVersion(SpecificVersion),
}

/// A policy name: trimmed, 1 to [`MAX_POLICY_NAME_CHARS`] characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyName(String);

/// The longest policy name accepted, in characters.
pub const MAX_POLICY_NAME_CHARS: usize = 200;

impl PolicyName {
    /// Trims surrounding whitespace and checks what is left.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("name must not be empty".into());
        }
        let length = trimmed.chars().count();
        if length > MAX_POLICY_NAME_CHARS {
            return Err(format!(
                "name is {length} characters long; at most {MAX_POLICY_NAME_CHARS} are allowed"
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("name must not contain control characters (such as line breaks)".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deferral period: 1 to 90 days (Apple's range). "No deferral" is `None`, never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeferralDays(u16);

impl DeferralDays {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 90;

    /// Accepts 1 to 90.
    pub fn parse(days: i64) -> Result<Self, String> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(format!(
                "{days} days is outside the allowed deferral of {} to {} days (leave it out for no deferral)",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// The grace period after a deferral ends before the update is enforced: 0 to 365 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraceDays(u16);

impl GraceDays {
    pub const MIN: u16 = 0;
    pub const MAX: u16 = 365;
    /// JumpCloud's default grace period.
    pub const DEFAULT: GraceDays = GraceDays(30);

    /// Accepts 0 to 365.
    pub fn parse(days: i64) -> Result<Self, String> {
        if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&days) {
            Ok(Self(days as u16))
        } else {
            Err(format!(
                "{days} days is outside the allowed grace period of {} to {} days",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for GraceDays {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Deferral periods per platform. Each unset period means "no deferral" and is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferrals {
    /// `MajorPeriodInDays`, `MinorPeriodInDays`, `SystemPeriodInDays`.
    MacOs {
        major: Option<DeferralDays>,
        minor: Option<DeferralDays>,
        system: Option<DeferralDays>,
    },
    /// `CombinedPeriodInDays`.
    Ios { combined: Option<DeferralDays> },
}

impl Deferrals {
    /// No deferral on `platform`.
    pub fn none(platform: Platform) -> Self {
        match platform {
            Platform::MacOs => Deferrals::MacOs {
                major: None,
                minor: None,
                system: None,
            },
            Platform::Ios => Deferrals::Ios { combined: None },
        }
    }

    pub fn platform(&self) -> Platform {
        match self {
            Deferrals::MacOs { .. } => Platform::MacOs,
            Deferrals::Ios { .. } => Platform::Ios,
        }
    }
}

/// Enforcing the newest eligible version by a deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    pub enabled: bool,
    pub grace_period: GraceDays,
    /// Device-local time of the deadline. Always present when `enabled` (parsing guarantees it);
    /// may be kept while disabled. Minutes only: seconds and below are zero.
    pub local_time: Option<Time>,
    pub details_url: Option<DetailsUrl>,
    pub scope: EnforcementScope,
    /// `maxVersion`: no target above this version (`15.99` keeps devices on 15.x).
    pub max_version: Option<AppleOsVersion>,
}

impl Default for Enforcement {
    fn default() -> Self {
        Self {
            enabled: false,
            grace_period: GraceDays::DEFAULT,
            local_time: None,
            details_url: None,
            scope: EnforcementScope::Latest,
            max_version: None,
        }
    }
}

/// An `http://` or `https://` URL for the organisation's page about an update (`DetailsURL`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DetailsUrl(String);

/// The longest details URL accepted, in bytes.
pub const MAX_DETAILS_URL_LEN: usize = 2048;

impl DetailsUrl {
    /// Accepts `http://host…` or `https://host…` (scheme in any letter case), without whitespace.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = text.to_ascii_lowercase();
        let Some(rest) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
        else {
            return Err(format!(
                "{text:?} is not an http:// or https:// URL; other schemes are refused"
            ));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("{text:?} has no host after the scheme"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "{text:?} contains whitespace; encode spaces as %20"
            ));
        }
        if text.len() > MAX_DETAILS_URL_LEN {
            return Err(format!(
                "the URL is {} bytes long; at most {MAX_DETAILS_URL_LEN} are allowed",
                text.len()
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A string-valued setting of the API: each variant and its exact camelCase spelling.
pub trait ApiValue: Copy + Eq + fmt::Debug + Sized + 'static {
    /// Every value with its spelling, in the order error messages list them.
    const VALUES: &'static [(Self, &'static str)];

    /// The API spelling.
    fn as_str(self) -> &'static str {
        Self::VALUES
            .iter()
            .find(|(value, _)| *value == self)
            .map_or("", |(_, text)| *text)
    }

    /// Reads the exact API spelling (case-sensitive).
    fn from_api(text: &str) -> Option<Self> {
        Self::VALUES
            .iter()
            .find(|(_, spelling)| *spelling == text)
            .map(|(value, _)| *value)
    }
}

/// Which version enforcement targets; the schedule defines it, the policy chooses it.
pub use crate::schedule::EnforcementScope;

impl ApiValue for EnforcementScope {
    const VALUES: &'static [(Self, &'static str)] = &[
        (EnforcementScope::Latest, "latest"),
        (EnforcementScope::SameMajor, "sameMajor"),
    ];
}

/// Who may run OS updates on a Mac (`AllowStandardUserOSUpdates`; macOS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpdatePermissions {
    #[default]
    StandardUsers,
    AdminsOnly,
}

impl ApiValue for UpdatePermissions {
    const VALUES: &'static [(Self, &'static str)] = &[
        (UpdatePermissions::StandardUsers, "standardUsers"),
        (UpdatePermissions::AdminsOnly, "adminsOnly"),
    ];
}

/// Update notifications (`Notifications` true / false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Notifications {
    #[default]
    All,
    /// Only the notice one hour before the deadline and the restart countdown.
    OneHourBeforeDeadline,
}

impl ApiValue for Notifications {
    const VALUES: &'static [(Self, &'static str)] = &[
        (Notifications::All, "all"),
        (
            Notifications::OneHourBeforeDeadline,
            "oneHourBeforeDeadline",
        ),
    ];
}

/// Which of several available updates is offered (`RecommendedCadence`; iOS only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecommendedCadence {
    All,
    Oldest,
    Newest,
}

impl ApiValue for RecommendedCadence {
    const VALUES: &'static [(Self, &'static str)] = &[
        (RecommendedCadence::All, "all"),
        (RecommendedCadence::Oldest, "oldest"),
        (RecommendedCadence::Newest, "newest"),
    ];
}

/// One automatic action's mode (Apple's `Allowed`, `AlwaysOn`, `AlwaysOff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ActionMode {
    /// Apple's `Allowed`: the user decides in Settings.
    #[default]
    UserControlled,
    AlwaysOn,
    AlwaysOff,
}

impl ApiValue for ActionMode {
    const VALUES: &'static [(Self, &'static str)] = &[
        (ActionMode::UserControlled, "userControlled"),
        (ActionMode::AlwaysOn, "alwaysOn"),
        (ActionMode::AlwaysOff, "alwaysOff"),
    ];
}

/// `AutomaticActions.Download`, `.InstallOSUpdates`, `.InstallSecurityUpdate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AutomaticActions {
    pub download: ActionMode,
    pub install_os_updates: ActionMode,
    /// Security responses and system data files.
    pub install_security_response: ActionMode,
}

/// Rapid Security Responses / Background Security Improvements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RapidSecurityResponse {
    /// `RapidSecurityResponse.Enable`.
    pub offer: bool,
    /// `RapidSecurityResponse.EnableRollback`.
    pub allow_rollback: bool,
}

impl Default for RapidSecurityResponse {
    fn default() -> Self {
        Self {
            offer: true,
            allow_rollback: true,
        }
    }
}

/// Beta program enrollment (`Beta.ProgramEnrollment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProgramEnrollment {
    /// Apple's `Allowed`.
    #[default]
    UserAllowed,
    AlwaysOn,
    AlwaysOff,
}

impl ProgramEnrollment {
    /// Apple allows `OfferPrograms` only with `Allowed` or `AlwaysOn`.
    pub fn allows_offered_programs(self) -> bool {
        matches!(
            self,
            ProgramEnrollment::UserAllowed | ProgramEnrollment::AlwaysOn
        )
    }
}

impl ApiValue for ProgramEnrollment {
    const VALUES: &'static [(Self, &'static str)] = &[
        (ProgramEnrollment::UserAllowed, "userAllowed"),
        (ProgramEnrollment::AlwaysOn, "alwaysOn"),
        (ProgramEnrollment::AlwaysOff, "alwaysOff"),
    ];
}

/// Beta settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Beta {
    pub program_enrollment: ProgramEnrollment,
    /// `Beta.OfferPrograms`; empty unless enrollment allows offered programs.
    pub offered_programs: Vec<BetaProgram>,
}

/// One beta program from Apple Business/School Manager.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BetaProgram {
    /// Shown to the user; non-empty.
    pub description: String,
    /// The enrollment token; non-empty, unique within a policy.
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deferral_days_are_one_to_ninety() {
        assert_eq!(DeferralDays::parse(1).unwrap().get(), 1);
        assert_eq!(DeferralDays::parse(90).unwrap().get(), 90);
        for days in [0, 91, -1, i64::MAX, i64::MIN] {
            assert!(DeferralDays::parse(days).is_err(), "{days}");
        }
    }

    #[test]
    fn grace_days_are_zero_to_365_with_a_default_of_30() {
        assert_eq!(GraceDays::parse(0).unwrap().get(), 0);
        assert_eq!(GraceDays::parse(365).unwrap().get(), 365);
        for days in [-1, 366, i64::MAX] {
            assert!(GraceDays::parse(days).is_err(), "{days}");
        }
        assert_eq!(GraceDays::default().get(), 30);
    }

    #[test]
    fn api_values_round_trip_through_their_spelling() {
        for (value, text) in ActionMode::VALUES {
            assert_eq!(value.as_str(), *text);
            assert_eq!(ActionMode::from_api(text), Some(*value));
        }
        assert_eq!(ActionMode::from_api("AlwaysOn"), None);
        assert_eq!(
            RecommendedCadence::from_api("oldest"),
            Some(RecommendedCadence::Oldest)
        );
    }

    #[test]
    fn only_user_allowed_and_always_on_allow_offered_programs() {
        assert!(ProgramEnrollment::UserAllowed.allows_offered_programs());
        assert!(ProgramEnrollment::AlwaysOn.allows_offered_programs());
        assert!(!ProgramEnrollment::AlwaysOff.allows_offered_programs());
    }

    #[test]
    fn the_platform_follows_the_deferrals() {
        assert_eq!(Deferrals::none(Platform::MacOs).platform(), Platform::MacOs);
        assert_eq!(Deferrals::none(Platform::Ios).platform(), Platform::Ios);
    }
}
