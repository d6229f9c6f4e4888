//! The rollout schedule: for a device, policy timing, catalog and instant, which releases are
//! visible, which version is enforced, and by when.
//!
//! Everything here is a pure function of its arguments; "now" is a parameter.
//!
//! # Rules
//!
//! - **Deferral kind.** On macOS a release of a higher major than the device's is a major
//!   upgrade and waits [`ScheduleTiming::major_days`]; any other OS release waits
//!   [`ScheduleTiming::minor_days`]. On iOS every OS release waits
//!   [`ScheduleTiming::combined_days`]. An unset period means no deferral (0 days).
//!   [`ScheduleTiming::system_days`] concerns non-OS updates and never delays an OS release.
//!   Supplemental `(a)` releases (Background Security Improvements) are not deferred, but one
//!   whose base release is in the catalog is never visible before that base is.
//! - **90-day cap.** A release more than 90 days old is visible whatever the setting; as Apple
//!   counts whole days this is the same as capping every deferral at 90 days.
//! - **Days and instants.** Release dates are calendar days. A release deferred by `d` days
//!   becomes visible on the day `released_on + d`, at **00:00 UTC** of that day
//!   ([`PlannedRelease::visible_at`]). "Today" is the UTC calendar day of `now`, so a release is
//!   visible exactly when `now ≥ visible_at`. UTC is the only zone the server can use: it does not
//!   know a Mac's time zone.
//! - **Expiry.** `expires_on` is the last day Apple signs a release: it is expired when today (UTC)
//!   is after that day.
//! - **Target.** The enforced release is the newest release of the device's platform that is
//!   visible today, not expired, installable on the device's hardware
//!   ([`supports`], whose rule each release keeps), strictly newer than the device's version, within
//!   the device's major when the scope is [`EnforcementScope::SameMajor`], and, for a supplemental
//!   release, one the device can install: it must be on the base version, and on the prerequisite
//!   build when both builds are known (a device already on a supplemental release of that base
//!   passes the build check), and not refused by the [`TargetRules`]: never a blocked release,
//!   never one above the policy's `maxVersion`, so the newest allowed release below a blocked one
//!   is enforced instead. A device exempt at `now` has nothing enforced. Ties between builds of one version go to the greatest
//!   `(build, released_on)`, so the result never depends on the catalog's order.
//! - **Deadline.** The day the target's deferral ends ([`PlannedRelease::visible_on`]) plus the
//!   grace days, at the policy's local time: a device-local civil date-time with no zone, written
//!   `yyyy-mm-ddThh:mm:ss` ([`format_deadline`]). A deadline already past is still reported (sent
//!   as it is, the device then installs at once) and flagged [`Enforcement::overdue`], comparing
//!   it with the UTC civil time of `now` (the device's zone is unknown, so this flag may be a few
//!   hours off near the deadline).
//! - **Pause.** While the policy or its ring is paused nothing is enforced and the target held is
//!   the one of the pause's start; after it ends the grace period restarts ([`pause`]).
//! - **Dates beyond year 9999** saturate at jiff's maximum date instead of failing.

use std::cmp::Ordering;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

use crate::apple_version::AppleOsVersion;
use crate::catalog::hardware::{DeviceHardware, SupportRule, supports};
use crate::catalog::release::Release;
use crate::platform::Platform;

mod assess;
mod days;
mod decide;
mod fast;
pub mod gates;
pub mod pause;
pub mod targets;

use assess::{Candidates, Judge};
use days::{add_days, deadline_for, start_of_day_utc, utc_day};
use decide::{decide, withheld};
pub use fast::plan_decision_within;
use gates::Waiting;
pub use targets::{BlockedReleases, TargetRules};

/// Apple ignores deferrals for releases older than this many days.
pub const MAX_DEFERRAL_DAYS: u16 = 90;

/// The timing part of an update policy: deferral periods and enforcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleTiming {
    pub platform: Platform,
    /// Days a major upgrade is hidden (macOS), 1–90 or unset.
    pub major_days: Option<u16>,
    /// Days a minor update is hidden (macOS), 1–90 or unset.
    pub minor_days: Option<u16>,
    /// Days a non-OS update is hidden (macOS). Kept for completeness; never applies to OS releases.
    pub system_days: Option<u16>,
    /// Days any OS update is hidden (iOS family), 1–90 or unset.
    pub combined_days: Option<u16>,
    /// `None` when the policy does not enforce updates.
    pub enforcement: Option<EnforcementTiming>,
}

/// When enforced updates must be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnforcementTiming {
    /// Days after the deferral ends until the deadline (0–365).
    pub grace_days: u16,
    /// The device-local time of day of the deadline.
    pub local_time: Time,
    pub scope: EnforcementScope,
}

/// Which releases enforcement may target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EnforcementScope {
    /// The newest eligible release, including a newer major.
    #[default]
    Latest,
    /// Only releases of the device's current major version.
    SameMajor,
}

/// What the schedule needs to know about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    pub platform: Platform,
    pub os_version: AppleOsVersion,
    /// The installed build (`25G76`), when known; needed to check a supplemental release's
    /// prerequisite build.
    pub os_build: Option<String>,
    /// The hardware: model identifier, software-update id and what the feeds say of them,
    /// matched against each release by [`supports`].
    pub hardware: DeviceHardware,
}

/// Which deferral period delays a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeferralKind {
    /// A new major version (macOS major period).
    Major,
    /// An update within a major (macOS minor period).
    Minor,
    /// Any OS update on the iOS family (combined period).
    Combined,
    /// A supplemental `(a)` release: not deferred.
    Supplemental,
}

/// Why one release newer than the device is, or is not, the enforcement candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseStatus {
    /// Visible, installable, in scope: may be enforced.
    Eligible,
    /// The release's device list does not include the device's model.
    UnsupportedModel,
    /// A newer major while the policy keeps devices within their major.
    OutsideScope,
    /// A supplemental release whose base version or prerequisite build the device is not on.
    NeedsPrerequisite,
    /// Apple no longer signs it.
    Expired,
    /// Still hidden by its deferral.
    NotYetVisible,
    /// Blocked by an admin: never a target.
    Blocked,
    /// Above the policy's `maxVersion`.
    AboveMaxVersion,
    /// Visible, but the ring's health gate has not opened for it.
    WaitingForGate,
    /// Halted for this ring: an earlier ring's failures crossed its gate.
    Halted,
}

/// One release newer than the device, with its schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRelease {
    pub version: AppleOsVersion,
    pub build: Option<String>,
    pub released_on: Date,
    pub expires_on: Option<Date>,
    pub kind: DeferralKind,
    /// The deferral applied, after the 90-day cap.
    pub deferral_days: u16,
    /// The day the deferral ends: the release is visible from this day on.
    pub visible_on: Date,
    /// 00:00 UTC of [`Self::visible_on`].
    pub visible_at: Timestamp,
    /// Visible as of `now`.
    pub visible: bool,
    pub status: ReleaseStatus,
    /// Whether the release installs on the device's hardware, and the rule that decided.
    pub support: SupportRule,
}

/// The version a device must install, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    /// The release's version, with its suffix for a supplemental release (`26.3.1 (a)`).
    pub version: AppleOsVersion,
    /// What DDM's `TargetOSVersion` takes: the version without a supplemental suffix.
    pub target_os_version: AppleOsVersion,
    /// What DDM's `TargetBuildVersion` takes, when known.
    pub target_build: Option<String>,
    pub released_on: Date,
    /// The day the deferral ended (or ends).
    pub visible_on: Date,
    /// Device-local civil date-time, no zone: `visible_on + grace`, at the policy's local time.
    pub deadline: DateTime,
    /// The deadline is before the UTC civil time of `now`: the device installs as soon as it
    /// receives the declaration.
    pub overdue: bool,
}

impl Enforcement {
    /// The deadline as DDM's `TargetLocalDateTime`: `yyyy-mm-ddThh:mm:ss`.
    pub fn deadline_text(&self) -> String {
        format_deadline(self.deadline)
    }
}

/// Why a device has nothing enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotEnforced {
    /// The policy does not enforce updates.
    EnforcementOff,
    /// The policy is for another platform than the device.
    WrongPlatform { policy: Platform, device: Platform },
    /// No release in the catalog (in the policy's scope) is newer than the device's version.
    UpToDate,
    /// A newer release exists but is still deferred; the earliest becomes visible then.
    NothingVisibleYet { next_visible_at: Timestamp },
    /// Every newer release the device could take has expired.
    AllExpired,
    /// Newer supplemental releases exist, but the device is not on their base version or build.
    PrerequisiteMissing,
    /// Newer releases exist, but none supports the device's model.
    NotSupportedOnModel,
    /// The newer releases the device could take are blocked or above the policy's `maxVersion`.
    HeldBack,
    /// The device is exempt from enforcement until then.
    Exempt { until: Timestamp },
    /// The newest release the device could take waits for the ring's health gate.
    WaitingForGate(Waiting),
    /// The ring or policy is paused ([`pause`]): nothing enforced; `held` is the target it
    /// keeps, the one enforced when the pause began; `until` the end, if one is set.
    Paused {
        since: Timestamp,
        until: Option<Timestamp>,
        held: Option<AppleOsVersion>,
    },
}

impl fmt::Display for NotEnforced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotEnforced::EnforcementOff => f.write_str("the policy does not enforce updates"),
            NotEnforced::WrongPlatform { policy, device } => {
                write!(f, "the policy is for {policy}, the device runs {device}")
            }
            NotEnforced::UpToDate => {
                f.write_str("the device is up to date: no newer release applies to it")
            }
            NotEnforced::NothingVisibleYet { next_visible_at } => write!(
                f,
                "newer releases are still deferred; the next becomes visible at {next_visible_at}"
            ),
            NotEnforced::AllExpired => {
                f.write_str("every newer release the device could install has expired")
            }
            NotEnforced::PrerequisiteMissing => f.write_str(
                "the only newer releases are supplemental ones the device is not on the base of",
            ),
            NotEnforced::NotSupportedOnModel => {
                f.write_str("no newer release installs on the device's hardware")
            }
            NotEnforced::WaitingForGate(waiting) => write!(f, "{waiting}"),
            NotEnforced::Exempt { until } => {
                write!(f, "the device is exempt from enforcement until {until}")
            }
            NotEnforced::HeldBack => {
                f.write_str("the newer releases are blocked or above the policy's maxVersion")
            }
            NotEnforced::Paused { since, until, held } => {
                write!(f, "the rollout is paused since {since}")?;
                if let Some(until) = until {
                    write!(f, " until {until}")?;
                }
                match held {
                    Some(held) => write!(f, "; it holds {held}, enforced again on resume"),
                    None => f.write_str("; nothing was enforced when it began"),
                }
            }
        }
    }
}

/// What the schedule decided for one device at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePlan {
    /// The UTC calendar day of `now`.
    pub today: Date,
    /// Every release of the device's platform newer than its version, oldest first, with its
    /// schedule and status.
    pub releases: Vec<PlannedRelease>,
    /// The enforced release, or why there is none.
    pub decision: Result<Enforcement, NotEnforced>,
}

impl DevicePlan {
    pub fn enforcement(&self) -> Option<&Enforcement> {
        self.decision.as_ref().ok()
    }

    pub fn not_enforced(&self) -> Option<&NotEnforced> {
        self.decision.as_ref().err()
    }

    /// The releases visible as of `now`.
    pub fn visible(&self) -> impl Iterator<Item = &PlannedRelease> {
        self.releases.iter().filter(|release| release.visible)
    }

    /// One sentence for an admin: what is enforced and by when, or why nothing is.
    pub fn explanation(&self) -> String {
        match &self.decision {
            Ok(enforcement) => format!(
                "install {}{} by {} (visible since {}){}{}",
                enforcement.version,
                enforcement
                    .target_build
                    .as_deref()
                    .map(|build| format!(" ({build})"))
                    .unwrap_or_default(),
                enforcement.deadline_text(),
                enforcement.visible_on,
                if enforcement.overdue {
                    "; the deadline has passed, so it installs at once"
                } else {
                    ""
                },
                self.hardware_note()
            ),
            Err(reason) => format!("nothing enforced: {reason}{}", self.hardware_note()),
        }
    }
}

/// One release in the plan view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutEntry {
    pub version: AppleOsVersion,
    pub build: Option<String>,
    pub kind: DeferralKind,
    pub visible_on: Date,
    /// The deadline when the policy enforces (device-local civil time).
    pub enforced_by: Option<DateTime>,
}

/// Formats a deadline as DDM wants it: `yyyy-mm-ddThh:mm:ss`, no offset, no fraction.
pub fn format_deadline(deadline: DateTime) -> String {
    deadline.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Decides which releases `device` sees, which version it must install and by when, with no
/// blocked release and no cap ([`plan_device_within`] with [`TargetRules::none`]).
pub fn plan_device(
    timing: &ScheduleTiming,
    device: &DeviceFacts,
    catalog: &[Release],
    now: Timestamp,
) -> DevicePlan {
    plan_device_within(timing, &TargetRules::none(), device, catalog, now)
}

/// [`plan_device`] under `rules`: a release they refuse is never the target.
pub fn plan_device_within(
    timing: &ScheduleTiming,
    rules: &TargetRules,
    device: &DeviceFacts,
    catalog: &[Release],
    now: Timestamp,
) -> DevicePlan {
    let today = utc_day(now);
    if timing.platform != device.platform {
        return DevicePlan {
            today,
            releases: Vec::new(),
            decision: Err(NotEnforced::WrongPlatform {
                policy: timing.platform,
                device: device.platform,
            }),
        };
    }
    let mut newer: Vec<&Release> = catalog
        .iter()
        .filter(|release| {
            release.platform == device.platform && release.version > device.os_version
        })
        .collect();
    newer.sort_by(|a, b| release_order(a, b));

    let judge = Judge {
        timing,
        rules,
        device,
        catalog,
        now,
        today,
    };
    let releases: Vec<PlannedRelease> = newer
        .iter()
        .map(|release| {
            let support = supports(release, &device.hardware, &device.os_version);
            let assessed = judge.assess(release, || support.installable());
            PlannedRelease {
                version: release.version.clone(),
                build: release.build.clone(),
                released_on: release.released_on,
                expires_on: release.expires_on,
                kind: assessed.kind,
                deferral_days: assessed.deferral_days,
                visible_on: assessed.visible_on,
                visible_at: start_of_day_utc(assessed.visible_on),
                visible: assessed.visible,
                status: assessed.status,
                support,
            }
        })
        .collect();

    let held_at = |unpaused: &TargetRules, at| {
        plan_device_within(timing, unpaused, device, catalog, at)
            .enforcement()
            .map(|held| held.version.clone())
    };
    let decision = match withheld(timing, rules, now, held_at) {
        Some(why) => Err(why),
        None => decide(timing, rules, &Candidates::of_plan(&releases), now),
    };
    DevicePlan {
        today,
        releases,
        decision,
    }
}

/// The plan view: for each release of `platform` whose visibility or deadline falls in
/// `from..=to`, when it becomes visible and when it is enforced.
///
/// Release-centric: no device version is involved. A release is taken from the point of view
/// of a device already on its major (minor deferral), except a major's first release (`x.0`),
/// which can only be a major upgrade (major deferral). Releases expired before `from` are left
/// out; the scope of enforcement does not matter here. Sorted by visibility day, then version.
pub fn rollout(
    timing: &ScheduleTiming,
    catalog: &[Release],
    device_platform: Platform,
    from: Date,
    to: Date,
) -> Vec<RolloutEntry> {
    let mut entries: Vec<(RolloutEntry, &Release)> = catalog
        .iter()
        .filter(|release| release.platform == device_platform)
        .filter(|release| release.expires_on.is_none_or(|last| last >= from))
        .filter_map(|release| {
            let kind = kind_for(device_platform, release, None);
            let (_, visible_on) = visibility(timing, release, kind, catalog, None);
            let enforced_by = timing
                .enforcement
                .as_ref()
                .map(|enforcement| deadline_for(visible_on, enforcement));
            let last_day = enforced_by.map_or(visible_on, |deadline| deadline.date());
            (visible_on <= to && last_day >= from).then(|| {
                (
                    RolloutEntry {
                        version: release.version.clone(),
                        build: release.build.clone(),
                        kind,
                        visible_on,
                        enforced_by,
                    },
                    release,
                )
            })
        })
        .collect();
    entries.sort_by(|(a, ra), (b, rb)| {
        a.visible_on
            .cmp(&b.visible_on)
            .then_with(|| release_order(ra, rb))
    });
    entries.dedup_by(|(a, _), (b, _)| a == b);
    entries.into_iter().map(|(entry, _)| entry).collect()
}

/// Oldest first; builds of one version by `(build, released_on)`.
fn release_order(a: &Release, b: &Release) -> Ordering {
    a.version
        .cmp(&b.version)
        .then_with(|| a.build.cmp(&b.build))
        .then_with(|| a.released_on.cmp(&b.released_on))
        .then_with(|| a.expires_on.cmp(&b.expires_on))
}

/// The deferral kind of `release`, seen from a device on `device_version` (or, without one, from
/// a device already on the release's major unless it is an `x.0`).
fn kind_for(
    platform: Platform,
    release: &Release,
    device_version: Option<&AppleOsVersion>,
) -> DeferralKind {
    if release.is_supplemental() {
        return DeferralKind::Supplemental;
    }
    if platform == Platform::Ios {
        return DeferralKind::Combined;
    }
    let major = match device_version {
        Some(device) => release.version.is_major_upgrade_from(device),
        None => release.is_major(),
    };
    if major {
        DeferralKind::Major
    } else {
        DeferralKind::Minor
    }
}

/// The capped deferral and the first visible day of `release`.
fn visibility(
    timing: &ScheduleTiming,
    release: &Release,
    kind: DeferralKind,
    catalog: &[Release],
    device_version: Option<&AppleOsVersion>,
) -> (u16, Date) {
    let days = match kind {
        DeferralKind::Major => timing.major_days,
        DeferralKind::Minor => timing.minor_days,
        DeferralKind::Combined => timing.combined_days,
        DeferralKind::Supplemental => None,
    }
    .unwrap_or(0)
    .min(MAX_DEFERRAL_DAYS);
    let mut visible_on = add_days(release.released_on, days);
    if kind == DeferralKind::Supplemental {
        // A supplemental release waits for its base release when that base is still deferred.
        let base_version = release.version.without_supplemental();
        let base_visible = catalog
            .iter()
            .filter(|base| {
                base.platform == release.platform
                    && !base.is_supplemental()
                    && base.version == base_version
                    && match (&release.prerequisite_build, &base.build) {
                        (Some(wanted), Some(build)) => wanted == build,
                        _ => true,
                    }
            })
            .map(|base| {
                let base_kind = kind_for(release.platform, base, device_version);
                visibility(timing, base, base_kind, catalog, device_version).1
            })
            .min();
        if let Some(base_visible) = base_visible {
            visible_on = visible_on.max(base_visible);
        }
    }
    (days, visible_on)
}

/// A supplemental release installs only on its base version, and on the prerequisite build
/// when both it and the device's build are known.
fn on_prerequisite(release: &Release, device: &DeviceFacts) -> bool {
    let numbers = |version: &AppleOsVersion| (version.major(), version.minor(), version.patch());
    if numbers(&device.os_version) != numbers(&release.version) {
        return false; // not on the base version (whatever either's supplemental suffix)
    }
    if device.os_version.is_supplemental() {
        return true; // on a supplemental of the base already: its build is not the base's
    }
    match (&release.prerequisite_build, &device.os_build) {
        (Some(wanted), Some(build)) => wanted.eq_ignore_ascii_case(build),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
