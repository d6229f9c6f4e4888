//! Which releases may be a target at all, before timing is considered: releases an admin has
//! blocked, and a policy's `maxVersion` cap.
//!
//! [`TargetRules::refusal`] is the one rule the schedule asks; later rollout controls (pauses,
//! health gates) add their reasons here; pauses are kept here too, so every view and every declaration agrees on them.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Release;
use crate::platform::Platform;
use crate::rollout_control::exempt_at;
use crate::schedule::ReleaseStatus;
use crate::schedule::gates::GateRule;
use crate::schedule::pause::{PauseSpan, grace_floor, pause_at};

/// The releases no device may be told to install (every build of a version), by platform and
/// canonical version text ([`AppleOsVersion::canonical_text`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockedReleases(BTreeSet<(Platform, String)>);

impl BlockedReleases {
    pub fn new(blocked: impl IntoIterator<Item = (Platform, AppleOsVersion)>) -> BlockedReleases {
        BlockedReleases(
            blocked
                .into_iter()
                .map(|(platform, version)| (platform, version.canonical_text()))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `version` of `platform` is blocked.
    pub fn contains(&self, platform: Platform, version: &AppleOsVersion) -> bool {
        !self.0.is_empty() && self.0.contains(&(platform, version.canonical_text()))
    }
}

/// What, besides timing, limits a policy's targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetRules {
    /// Blocked everywhere, whatever the policy.
    pub blocked: BlockedReleases,
    /// The policy's `maxVersion`: no target above it (a supplemental release of the cap's
    /// version is above it).
    pub max_version: Option<AppleOsVersion>,
    /// The device's exemption from enforcement ends at this instant (exclusive); nothing is
    /// enforced before it ([`exempt_at`]).
    pub exempt_until: Option<Timestamp>,
    /// The pauses of the policy and of its ring ([`crate::schedule::pause`]): nothing is
    /// enforced while one is in force, and the grace period restarts when one ends.
    pub pauses: Vec<PauseSpan>,
    /// The policy's ring's health gate, with its recorded openings ([`crate::schedule::gates`]).
    pub gate: Option<GateRule>,
    /// Releases halted for this policy's ring: an earlier ring's failures crossed its gate.
    pub halted: BlockedReleases,
}

impl TargetRules {
    /// No blocks, no cap.
    pub fn none() -> TargetRules {
        TargetRules::default()
    }

    /// The end of the exemption in force at `now`, if any.
    pub fn exempt(&self, now: Timestamp) -> Option<Timestamp> {
        self.exempt_until.filter(|until| exempt_at(*until, now))
    }

    /// The pause in force at `now`, if any.
    pub fn paused(&self, now: Timestamp) -> Option<PauseSpan> {
        pause_at(&self.pauses, now)
    }

    /// Whether `release` waits for the gate at `now`: the policy is gated and its gate has not
    /// opened for it.
    pub fn gate_closed(&self, release: &Release, now: Timestamp) -> bool {
        self.gate.as_ref().is_some_and(|gate| {
            gate.opened_by(release.platform, &release.version, now)
                .is_none()
        })
    }

    /// The instant no grace period of `version`'s enforcement at `now` starts before: the end of
    /// the last pause and the opening of its gate, whichever is later.
    pub fn grace_floor(
        &self,
        platform: Platform,
        version: &AppleOsVersion,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let opened = self
            .gate
            .as_ref()
            .and_then(|gate| gate.opened_by(platform, version, now));
        grace_floor(&self.pauses, now).max(opened)
    }

    /// Why `release` may never be a target under these rules, or `None` when it may.
    pub fn refusal(&self, release: &Release) -> Option<ReleaseStatus> {
        if self
            .max_version
            .as_ref()
            .is_some_and(|cap| release.version > *cap)
        {
            Some(ReleaseStatus::AboveMaxVersion)
        } else if self.blocked.contains(release.platform, &release.version) {
            Some(ReleaseStatus::Blocked)
        } else if self.halted.contains(release.platform, &release.version) {
            Some(ReleaseStatus::Halted)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn release(text: &str) -> Release {
        Release::new(
            Platform::MacOs,
            AppleOsVersion::parse(text).unwrap(),
            date(2026, 1, 1),
        )
    }

    fn version(text: &str) -> AppleOsVersion {
        AppleOsVersion::parse(text).unwrap()
    }

    #[test]
    fn a_block_matches_the_version_whatever_its_spelling_and_only_on_its_platform() {
        let blocked = BlockedReleases::new([(Platform::MacOs, version("26.1"))]);
        assert!(blocked.contains(Platform::MacOs, &version("26.1.0")));
        assert!(!blocked.contains(Platform::Ios, &version("26.1")));
        assert!(!blocked.contains(Platform::MacOs, &version("26.1.1")));
        assert!(!blocked.contains(Platform::MacOs, &version("26.1 (a)")));
    }

    #[test]
    fn the_cap_is_inclusive_and_checked_before_the_block() {
        let rules = TargetRules {
            blocked: BlockedReleases::new([(Platform::MacOs, version("15.7"))]),
            max_version: Some(version("15.99")),
            ..TargetRules::none()
        };
        assert_eq!(rules.refusal(&release("15.6")), None);
        assert_eq!(rules.refusal(&release("15.99")), None);
        assert_eq!(
            rules.refusal(&release("15.7")),
            Some(ReleaseStatus::Blocked)
        );
        assert_eq!(
            rules.refusal(&release("26.0")),
            Some(ReleaseStatus::AboveMaxVersion)
        );
        assert_eq!(TargetRules::none().refusal(&release("26.0")), None);
    }
}
