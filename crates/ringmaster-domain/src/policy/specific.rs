//! The Software Update Enforcement policy (`"kind": "specificVersion"`): one version, by one
//! device-local deadline, for the devices it is bound to.
//!
//! # The document
//!
//! `name`, `kind`, `platform`, `targetVersion` (an Apple version, `15.4` or `26.3.1 (a)`),
//! optional `targetBuild` (letters and digits, at most 16), `deadline` (device-local
//! `yyyy-mm-ddThh:mm:ss`, no zone, years [`MIN_DEADLINE_YEAR`] to [`MAX_DEADLINE_YEAR`]) and
//! optional `detailsUrl`. The keys of an automatic policy (`deferrals`, `enforcement`, …) are
//! refused, each at its pointer, and an automatic policy refuses these keys the same way
//! ([`parse`]).
//!
//! # How it combines with the device's automatic policy
//!
//! Policies of each kind are resolved separately, by the same precedence
//! ([`crate::assignment`]): a device may have one automatic policy and one specific-version
//! policy.
//!
//! - **Settings** (deferrals, notifications, automatic actions, Rapid Security Response, beta,
//!   update permissions) always come from the automatic policy; a specific-version policy has
//!   none, and a device with no automatic policy gets no settings declaration.
//! - **Enforcement.** The specific-version policy's target replaces the automatic policy's
//!   enforcement when it applies: the device runs a version below the target, the target is not
//!   blocked, not above the automatic policy's `maxVersion`, and the device is not exempt. It
//!   does nothing for a device already at or above the target (a version below what a device
//!   runs is never a downgrade), and the automatic policy's enforcement then applies as before.
//! - **Blocks and caps win.** Blocking a release and capping a ring with `maxVersion` are admin
//!   choices about every device, made to stop an install; a specific-version policy never
//!   overrides them: its target is not served while blocked or above the cap, and the effective
//!   policy says why ([`SpecificSkip`]). An exemption wins too.
//!
//! - **Pauses.** Pausing the specific-version policy withdraws its enforcement while paused,
//!   and on resume a deadline that fell inside the pause moves so that the device gets the time
//!   that remained when the pause began, at least a day ([`resume`]).
//!
//! [`specific_enforcement`] is that rule; [`catalog_warnings`] checks a target against the
//! catalog when a policy is saved (an unknown version is a warning: Apple may not have published
//! it yet).

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Release;
use crate::platform::Platform;
use crate::policy::model::{ApiValue, DetailsUrl};
use crate::policy::parse::Warning;
use crate::schedule::{
    DeferralKind, DeviceFacts, Enforcement, RolloutEntry, TargetRules, format_deadline,
};

pub mod parse;
pub mod resume;

/// The earliest year a deadline may have.
pub const MIN_DEADLINE_YEAR: i16 = 2000;
/// The latest year a deadline may have.
pub const MAX_DEADLINE_YEAR: i16 = 2100;

/// What a Software Update Enforcement policy enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecificVersion {
    /// `TargetOSVersion` (its supplemental suffix, if any, goes in the build).
    pub target_version: AppleOsVersion,
    /// `TargetBuildVersion`, when the admin names one.
    pub target_build: Option<String>,
    /// `TargetLocalDateTime`: device-local, whole seconds.
    pub deadline: DateTime,
    /// `DetailsURL`.
    pub details_url: Option<DetailsUrl>,
}

/// The two kinds' API names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindName {
    Automatic,
    SpecificVersion,
}

impl ApiValue for KindName {
    const VALUES: &'static [(Self, &'static str)] = &[
        (KindName::Automatic, "automatic"),
        (KindName::SpecificVersion, "specificVersion"),
    ];
}

/// `text` quoted for an error message, or only its length when it is long.
pub(crate) fn quoted(text: &str) -> String {
    if text.len() <= 40 {
        format!("{text:?}")
    } else {
        format!("(a text of {} bytes)", text.len())
    }
}

/// Reads a deadline written `yyyy-mm-ddThh:mm:ss` (device-local, no zone, no fraction).
pub fn parse_deadline(text: &str) -> Result<DateTime, String> {
    let shown = quoted(text);
    let invalid = || {
        format!(
            "deadline {shown} is not a device-local date and time written yyyy-mm-ddThh:mm:ss \
             (for example \"2026-12-15T17:00:00\"; no zone, no fraction)"
        )
    };
    let bytes = text.as_bytes();
    let layout_ok = bytes.len() == 19
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            10 => *byte == b'T',
            13 | 16 => *byte == b':',
            _ => byte.is_ascii_digit(),
        });
    if !layout_ok {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0i16, |value, digit| value * 10 + i16::from(digit - b'0'))
    };
    let year = number(0..4);
    if !(MIN_DEADLINE_YEAR..=MAX_DEADLINE_YEAR).contains(&year) {
        return Err(format!(
            "deadline {shown} is in the year {year}; a deadline is between {MIN_DEADLINE_YEAR} \
             and {MAX_DEADLINE_YEAR}"
        ));
    }
    let part = |range: std::ops::Range<usize>| number(range) as i8;
    DateTime::new(
        year,
        part(5..7),
        part(8..10),
        part(11..13),
        part(14..16),
        part(17..19),
        0,
    )
    .map_err(|_| {
        format!("deadline {shown} is not a real date and time (check the day of the month and the hours)")
    })
}

/// Why a specific-version policy enforces nothing on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecificSkip {
    /// The policy is for another platform.
    OtherPlatform { policy: Platform, device: Platform },
    /// The device already runs the target or a newer version.
    AtOrAboveTarget {
        device: AppleOsVersion,
        target: AppleOsVersion,
    },
    /// The device is exempt from enforcement until then.
    Exempt { until: Timestamp },
    /// The target is blocked everywhere.
    Blocked { target: AppleOsVersion },
    /// The target is above the `maxVersion` of the device's automatic policy.
    AboveMaxVersion {
        target: AppleOsVersion,
        cap: AppleOsVersion,
    },
    /// The specific-version policy is paused ([`resume`]): its enforcement is withdrawn.
    Paused {
        since: Timestamp,
        until: Option<Timestamp>,
    },
}

impl fmt::Display for SpecificSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecificSkip::OtherPlatform { policy, device } => {
                write!(f, "the policy is for {policy}, the device runs {device}")
            }
            SpecificSkip::AtOrAboveTarget { device, target } => write!(
                f,
                "the device runs {device}, already at or above the target {target}: a \
                 specific-version policy never downgrades, so it does nothing for this device"
            ),
            SpecificSkip::Exempt { until } => {
                write!(f, "the device is exempt from enforcement until {until}")
            }
            SpecificSkip::Blocked { target } => write!(
                f,
                "{target} is blocked: a block wins over a specific-version policy, so the target \
                 is not served until it is unblocked"
            ),
            SpecificSkip::AboveMaxVersion { target, cap } => write!(
                f,
                "{target} is above the maxVersion {cap} of the device's automatic policy: the cap \
                 wins over a specific-version policy, so the target is not served"
            ),
            SpecificSkip::Paused { since, until } => {
                write!(f, "it is paused since {since}")?;
                match until {
                    Some(until) => write!(f, " until {until}")?,
                    None => write!(f, " until resumed")?,
                }
                write!(
                    f,
                    ": its enforcement is withdrawn, and on resume a deadline that fell inside \
                     the pause moves so that the device gets the time that remained (at least a \
                     day)"
                )
            }
        }
    }
}

/// The enforcement `specific` gives `device` at `now` under `rules` (the blocked releases, the
/// automatic policy's `maxVersion` and the device's exemption), or why it gives none.
///
/// The target build is the policy's, else the build of a supplemental target in the catalog.
/// `released_on` and `visible_on` are the catalog's day of release, or the deadline's day for a
/// version the catalog does not hold. `overdue` compares the deadline with the UTC civil time of
/// `now`, as the schedule does.
pub fn specific_enforcement(
    specific: &SpecificVersion,
    platform: Platform,
    device: &DeviceFacts,
    rules: &TargetRules,
    catalog: &[Release],
    now: Timestamp,
) -> Result<Enforcement, SpecificSkip> {
    let target = &specific.target_version;
    if platform != device.platform {
        return Err(SpecificSkip::OtherPlatform {
            policy: platform,
            device: device.platform,
        });
    }
    if device.os_version >= *target {
        return Err(SpecificSkip::AtOrAboveTarget {
            device: device.os_version.clone(),
            target: target.clone(),
        });
    }
    if let Some(until) = rules.exempt(now) {
        return Err(SpecificSkip::Exempt { until });
    }
    if rules.blocked.contains(platform, target) {
        return Err(SpecificSkip::Blocked {
            target: target.clone(),
        });
    }
    if let Some(cap) = rules.max_version.as_ref().filter(|cap| target > *cap) {
        return Err(SpecificSkip::AboveMaxVersion {
            target: target.clone(),
            cap: cap.clone(),
        });
    }
    let release = catalog
        .iter()
        .filter(|release| release.platform == platform && release.version == *target)
        .max_by(|a, b| (&a.build, a.released_on).cmp(&(&b.build, b.released_on)));
    let target_build = specific.target_build.clone().or_else(|| {
        release
            .filter(|release| release.version.is_supplemental())
            .and_then(|release| release.build.clone())
    });
    let released_on: Date = release.map_or(specific.deadline.date(), |release| release.released_on);
    Ok(Enforcement {
        version: target.clone(),
        target_os_version: target.without_supplemental(),
        target_build,
        released_on,
        visible_on: released_on,
        deadline: specific.deadline,
        overdue: specific.deadline < now.to_zoned(TimeZone::UTC).datetime(),
    })
}

/// What the catalog says about a target when the policy is saved, as warnings (never errors):
/// a version the catalog does not hold, a build it does not list for that version, a blocked
/// target, a deadline already past.
pub fn catalog_warnings(
    specific: &SpecificVersion,
    platform: Platform,
    catalog: &[Release],
    rules: &TargetRules,
    now: Timestamp,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let target = &specific.target_version;
    let releases: Vec<&Release> = catalog
        .iter()
        .filter(|release| release.platform == platform && release.version == *target)
        .collect();
    if releases.is_empty() {
        warnings.push(Warning {
            pointer: "/targetVersion".into(),
            message: format!(
                "{platform} {target} is not in the catalog (Apple may not have published it yet, \
                 or its feed was not imported); it is served as written, and a device that cannot \
                 find it reports an error"
            ),
        });
    } else if let Some(build) = &specific.target_build {
        let listed = releases.iter().any(|release| {
            release
                .build
                .as_deref()
                .is_some_and(|known| known.eq_ignore_ascii_case(build))
        });
        if !listed {
            let known: Vec<&str> = releases
                .iter()
                .filter_map(|release| release.build.as_deref())
                .collect();
            warnings.push(Warning {
                pointer: "/targetBuild".into(),
                message: format!(
                    "the catalog lists {platform} {target} with the builds [{}], not {build}; it \
                     is served as written",
                    known.join(", ")
                ),
            });
        }
    }
    if rules.blocked.contains(platform, target) {
        warnings.push(Warning {
            pointer: "/targetVersion".into(),
            message: format!(
                "{platform} {target} is blocked: a block wins over a specific-version policy, so \
                 it is not served until it is unblocked"
            ),
        });
    }
    if specific.deadline < now.to_zoned(TimeZone::UTC).datetime() {
        warnings.push(Warning {
            pointer: "/deadline".into(),
            message: format!(
                "the deadline {} has passed: devices below the target install it as soon as they \
                 receive the declaration",
                format_deadline(specific.deadline)
            ),
        });
    }
    warnings
}

/// A specific-version policy's row in a rollout plan: its target, visible on the catalog's day
/// of release (the deadline's day for a version the catalog does not hold), enforced by the
/// deadline; nothing when the deadline is outside `from..=to`. The plan has no device, so the
/// entry's kind is [`DeferralKind::Minor`] (views name it `specificVersion`).
pub fn specific_rollout(
    specific: &SpecificVersion,
    platform: Platform,
    catalog: &[Release],
    from: Date,
    to: Date,
) -> Vec<RolloutEntry> {
    let day = specific.deadline.date();
    if day < from || day > to {
        return Vec::new();
    }
    let release = catalog
        .iter()
        .find(|release| release.platform == platform && release.version == specific.target_version);
    vec![RolloutEntry {
        version: specific.target_version.clone(),
        build: specific
            .target_build
            .clone()
            .or_else(|| release.and_then(|release| release.build.clone())),
        kind: DeferralKind::Minor,
        visible_on: release.map_or(day, |release| release.released_on.min(day)),
        enforced_by: Some(specific.deadline),
    }]
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_golden;
