//! The enforcement decision: the newest eligible release and its deadline, or why nothing is
//! enforced.
//!
//! A deadline is counted from the day the target's deferral ended, or from a later *grace floor*
//! (the end of a pause or the opening of the ring's gate, [`TargetRules::grace_floor`]): never before the floor's day,
//! and a day later when it would still fall before the floor instant, so a device is never
//! overdue at the instant the floor is reached.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::apple_version::AppleOsVersion;
use crate::schedule::assess::Candidates;
use crate::schedule::days::{add_days, deadline_for, utc_day};
use crate::schedule::{
    Enforcement, EnforcementTiming, NotEnforced, ReleaseStatus, ScheduleTiming, TargetRules,
};

/// Why nothing is enforced at `now` before any release is looked at: enforcement off, the device
/// exempt, or a pause, whose held target `held_at` plans without the pause at the pause's freeze
/// instant. `None` when the releases decide. The full plan and the fast decision share it.
pub(super) fn withheld(
    timing: &ScheduleTiming,
    rules: &TargetRules,
    now: Timestamp,
    held_at: impl FnOnce(&TargetRules, Timestamp) -> Option<AppleOsVersion>,
) -> Option<NotEnforced> {
    if timing.enforcement.is_none() {
        return Some(NotEnforced::EnforcementOff);
    }
    if let Some(until) = rules.exempt(now) {
        return Some(NotEnforced::Exempt { until });
    }
    let pause = rules.paused(now)?;
    let unpaused = TargetRules {
        pauses: Vec::new(),
        ..rules.clone()
    };
    Some(NotEnforced::Paused {
        since: pause.since,
        until: pause.end(),
        held: held_at(&unpaused, pause.freeze_at(now)),
    })
}

pub(super) fn decide(
    timing: &ScheduleTiming,
    rules: &TargetRules,
    candidates: &Candidates<'_>,
    now: Timestamp,
) -> Result<Enforcement, NotEnforced> {
    let Some(enforcement) = &timing.enforcement else {
        return Err(NotEnforced::EnforcementOff);
    };
    if let Some(target) = &candidates.target {
        let floor = rules.grace_floor(timing.platform, target.version, now);
        let deadline = deadline_after(target.visible_on, floor, enforcement);
        let now_civil = now.to_zoned(TimeZone::UTC).datetime();
        return Ok(Enforcement {
            version: target.version.clone(),
            target_os_version: target.version.without_supplemental(),
            target_build: target.build.cloned(),
            released_on: target.released_on,
            visible_on: target.visible_on,
            deadline,
            overdue: deadline < now_civil,
        });
    }
    let has = |status: ReleaseStatus| candidates.seen.has(status);
    if let (Some(gate), Some(waiting)) = (&rules.gate, candidates.waiting) {
        return Err(NotEnforced::WaitingForGate(
            gate.waiting(timing.platform, waiting),
        ));
    }
    if let Some(next) = candidates.next_visible_at {
        Err(NotEnforced::NothingVisibleYet {
            next_visible_at: next,
        })
    } else if has(ReleaseStatus::Expired) {
        Err(NotEnforced::AllExpired)
    } else if has(ReleaseStatus::NeedsPrerequisite) {
        Err(NotEnforced::PrerequisiteMissing)
    } else if has(ReleaseStatus::Blocked)
        || has(ReleaseStatus::AboveMaxVersion)
        || has(ReleaseStatus::Halted)
    {
        Err(NotEnforced::HeldBack)
    } else if has(ReleaseStatus::UnsupportedModel) && !has(ReleaseStatus::OutsideScope) {
        Err(NotEnforced::NotSupportedOnModel)
    } else {
        // Nothing newer at all, or only newer majors the scope excludes.
        Err(NotEnforced::UpToDate)
    }
}

/// The deadline of a target visible from `visible_on`, its grace counted from no earlier than
/// `floor`.
pub(super) fn deadline_after(
    visible_on: Date,
    floor: Option<Timestamp>,
    enforcement: &EnforcementTiming,
) -> jiff::civil::DateTime {
    let Some(floor) = floor else {
        return deadline_for(visible_on, enforcement);
    };
    let deadline = deadline_for(visible_on.max(utc_day(floor)), enforcement);
    if deadline < floor.to_zoned(TimeZone::UTC).datetime() {
        deadline_for(add_days(visible_on.max(utc_day(floor)), 1), enforcement)
    } else {
        deadline
    }
}
