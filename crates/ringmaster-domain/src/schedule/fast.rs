//! The fast target choice: what [`plan_device_within`](super::plan_device_within) decides,
//! without building its list of releases.
//!
//! Serving declarations needs only the decision. The full plan copies every release newer than
//! the device (about 28 with real feeds) with its status, sorts them, and then looks for the
//! newest eligible one. Here the catalog is walked once, in its own order, and each release newer
//! than the device is judged with the same [`Judge::assess`] unless it is older than the eligible
//! target already found (then it can change nothing): on the snapshot's catalog, newest first,
//! that stops judging at the target. Hardware support is asked last and without building the
//! rule ([`installs`]). Nothing is allocated but the answer.
//!
//! The two must always agree: `schedule/tests/fast.rs` checks it on generated catalogs and
//! devices, in both catalog orders.

use jiff::Timestamp;

use crate::catalog::hardware::installs;
use crate::catalog::release::Release;
use crate::schedule::assess::{Candidates, Judge};
use crate::schedule::days::utc_day;
use crate::schedule::decide::{decide, withheld};
use crate::schedule::{DeviceFacts, Enforcement, NotEnforced, ScheduleTiming, TargetRules};

/// The decision of [`plan_device_within`](super::plan_device_within) for the same arguments
/// (equal in every case), computed without the plan's list of releases.
pub fn plan_decision_within(
    timing: &ScheduleTiming,
    rules: &TargetRules,
    device: &DeviceFacts,
    catalog: &[Release],
    now: Timestamp,
) -> Result<Enforcement, NotEnforced> {
    if timing.platform != device.platform {
        return Err(NotEnforced::WrongPlatform {
            policy: timing.platform,
            device: device.platform,
        });
    }
    if let Some(why) = withheld(timing, rules, now, |unpaused, at| {
        plan_decision_within(timing, unpaused, device, catalog, at)
            .ok()
            .map(|held| held.version)
    }) {
        return Err(why);
    }
    let judge = Judge {
        timing,
        rules,
        device,
        catalog,
        now,
        today: utc_day(now),
    };
    let mut candidates = Candidates::default();
    for release in catalog {
        if release.platform != device.platform
            || release.version <= device.os_version
            || candidates.behind_target(release)
        {
            continue;
        }
        let assessed = judge.assess(release, || {
            installs(release, &device.hardware, &device.os_version)
        });
        candidates.add(release, &assessed);
    }
    decide(timing, rules, &candidates, now)
}
