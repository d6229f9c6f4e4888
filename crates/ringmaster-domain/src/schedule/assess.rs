//! One release judged for one device at one instant: its deferral, the day it becomes visible,
//! and its [`ReleaseStatus`]. The full plan and the fast target choice both judge through
//! [`Judge::assess`], and both summarize what they judged as [`Candidates`] for the decision,
//! so the two cannot disagree on a release.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Release;
use crate::schedule::days::start_of_day_utc;
use crate::schedule::{
    DeferralKind, DeviceFacts, EnforcementScope, PlannedRelease, ReleaseStatus, ScheduleTiming,
    TargetRules, kind_for, on_prerequisite, release_order, visibility,
};

/// What every release of one device's plan is judged against.
pub(super) struct Judge<'a> {
    pub(super) timing: &'a ScheduleTiming,
    pub(super) rules: &'a TargetRules,
    pub(super) device: &'a DeviceFacts,
    pub(super) catalog: &'a [Release],
    pub(super) now: Timestamp,
    pub(super) today: Date,
}

/// One release as judged.
pub(super) struct Assessed {
    pub(super) kind: DeferralKind,
    pub(super) deferral_days: u16,
    pub(super) visible_on: Date,
    pub(super) visible: bool,
    pub(super) status: ReleaseStatus,
}

impl Judge<'_> {
    /// Judges `release` (newer than the device, of its platform); `installable` says whether it
    /// installs on the device's hardware, asked only when the status depends on it.
    pub(super) fn assess(&self, release: &Release, installable: impl FnOnce() -> bool) -> Assessed {
        let device_version = &self.device.os_version;
        let kind = kind_for(self.timing.platform, release, Some(device_version));
        let (deferral_days, visible_on) = visibility(
            self.timing,
            release,
            kind,
            self.catalog,
            Some(device_version),
        );
        let visible = visible_on <= self.today;
        let scope = self.timing.enforcement.as_ref().map(|e| e.scope);
        let status = if scope == Some(EnforcementScope::SameMajor)
            && release.version.major() != device_version.major()
        {
            ReleaseStatus::OutsideScope
        } else if let Some(refused) = self.rules.refusal(release) {
            refused
        } else if !installable() {
            ReleaseStatus::UnsupportedModel
        } else if release.is_supplemental() && !on_prerequisite(release, self.device) {
            ReleaseStatus::NeedsPrerequisite
        } else if release.expires_on.is_some_and(|last| self.today > last) {
            ReleaseStatus::Expired
        } else if !visible {
            ReleaseStatus::NotYetVisible
        } else if self.rules.gate_closed(release, self.now) {
            ReleaseStatus::WaitingForGate
        } else {
            ReleaseStatus::Eligible
        };
        Assessed {
            kind,
            deferral_days,
            visible_on,
            visible,
            status,
        }
    }
}

/// The releases whose status was seen, as a set.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StatusSet(u16);

impl StatusSet {
    pub(super) fn insert(&mut self, status: ReleaseStatus) {
        self.0 |= 1 << (status as u16);
    }

    pub(super) fn has(self, status: ReleaseStatus) -> bool {
        self.0 & (1 << (status as u16)) != 0
    }
}

/// The target the decision enforces: the newest eligible release.
pub(super) struct Target<'a> {
    pub(super) version: &'a AppleOsVersion,
    pub(super) build: Option<&'a String>,
    pub(super) released_on: Date,
    pub(super) visible_on: Date,
}

/// What the decision needs to know of the releases newer than the device.
#[derive(Default)]
pub(super) struct Candidates<'a> {
    /// The newest eligible release; among releases that order equal, the last one judged.
    pub(super) target: Option<Target<'a>>,
    /// The newest release waiting for the ring's gate, likewise.
    pub(super) waiting: Option<&'a AppleOsVersion>,
    /// The earliest instant a release still deferred becomes visible.
    pub(super) next_visible_at: Option<Timestamp>,
    /// Every status seen.
    pub(super) seen: StatusSet,
    /// For [`Candidates::add`]: the releases behind `target` and `waiting`.
    target_release: Option<&'a Release>,
    waiting_release: Option<&'a Release>,
}

impl<'a> Candidates<'a> {
    /// The summary of a full plan's releases (sorted oldest first).
    pub(super) fn of_plan(releases: &'a [PlannedRelease]) -> Candidates<'a> {
        let mut candidates = Candidates::default();
        for release in releases {
            candidates.seen.insert(release.status);
            match release.status {
                ReleaseStatus::Eligible => {
                    candidates.target = Some(Target {
                        version: &release.version,
                        build: release.build.as_ref(),
                        released_on: release.released_on,
                        visible_on: release.visible_on,
                    });
                }
                ReleaseStatus::WaitingForGate => candidates.waiting = Some(&release.version),
                ReleaseStatus::NotYetVisible => {
                    let at = release.visible_at;
                    candidates.next_visible_at =
                        Some(candidates.next_visible_at.map_or(at, |next| next.min(at)));
                }
                _ => {}
            }
        }
        candidates
    }

    /// Whether `release` is older than the eligible target found so far: then judging it can
    /// change nothing, and the fast choice skips it.
    pub(super) fn behind_target(&self, release: &Release) -> bool {
        self.target_release
            .is_some_and(|target| release_order(release, target) == Ordering::Less)
    }

    /// Adds one judged release, in any order, as long as it is not [`Self::behind_target`].
    pub(super) fn add(&mut self, release: &'a Release, assessed: &Assessed) {
        self.seen.insert(assessed.status);
        match assessed.status {
            ReleaseStatus::Eligible => {
                self.target_release = Some(release);
                self.target = Some(Target {
                    version: &release.version,
                    build: release.build.as_ref(),
                    released_on: release.released_on,
                    visible_on: assessed.visible_on,
                });
            }
            ReleaseStatus::WaitingForGate
                if self
                    .waiting_release
                    .is_none_or(|newest| release_order(release, newest) != Ordering::Less) =>
            {
                self.waiting_release = Some(release);
                self.waiting = Some(&release.version);
            }
            ReleaseStatus::NotYetVisible => {
                let at = start_of_day_utc(assessed.visible_on);
                self.next_visible_at = Some(self.next_visible_at.map_or(at, |next| next.min(at)));
            }
            _ => {}
        }
    }
}
