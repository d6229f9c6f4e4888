//! The schedule with pauses: nothing enforced while paused, the held target, the grace period
//! restarting on resume; with property tests over random catalogs and instants.

use jiff::{SignedDuration, Span};
use proptest::prelude::*;

use super::properties::{arb_device, arb_now, arb_release, arb_timing};
use super::*;
use crate::schedule::pause::PauseSpan;

fn paused(
    since: Timestamp,
    until: Option<Timestamp>,
    resumed_at: Option<Timestamp>,
) -> TargetRules {
    TargetRules {
        pauses: vec![PauseSpan {
            since,
            until,
            resumed_at,
        }],
        ..TargetRules::none()
    }
}

fn catalog() -> Vec<Release> {
    vec![
        release("26.1", "25B1", date(2026, 11, 1)),
        release("26.2", "25C1", date(2026, 11, 20)),
    ]
}

#[test]
fn a_paused_ring_enforces_nothing_and_holds_the_target_of_the_day_it_paused() {
    let timing = mac_timing(Some(1), Some(1), Some(3));
    let since = at("2026-11-10T12:00:00Z");
    let rules = paused(since, None, None);
    // 26.2 became visible on Nov 21; the pause began when 26.1 was the target.
    let plan = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-11-25T00:00:00Z"),
    );
    assert_eq!(
        plan.not_enforced(),
        Some(&NotEnforced::Paused {
            since,
            until: None,
            held: Some(version("26.1")),
        })
    );
    assert!(
        plan.explanation().contains("holds 26.1"),
        "{}",
        plan.explanation()
    );
    // Devices still see the releases their deferral shows: only enforcement is withdrawn.
    assert_eq!(plan.visible().count(), 2);
    // Asked about an instant before the pause began, the pause applies and holds that instant's target.
    let early = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-10-01T00:00:00Z"),
    );
    assert!(matches!(
        early.not_enforced(),
        Some(NotEnforced::Paused { held: None, .. })
    ));
}

#[test]
fn a_pause_with_an_end_stops_applying_at_it_and_enforcement_is_off_first() {
    let timing = mac_timing(Some(1), Some(1), Some(3));
    let until = at("2026-11-26T00:00:00Z");
    let rules = paused(at("2026-11-10T12:00:00Z"), Some(until), None);
    let before = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        until - SignedDuration::from_secs(1),
    );
    assert!(matches!(
        before.not_enforced(),
        Some(NotEnforced::Paused { .. })
    ));
    let after = plan_device_within(&timing, &rules, &mac("26.0"), &catalog(), until);
    assert_eq!(enforced(&after).version, version("26.2"));
    let off = plan_device_within(
        &mac_timing(Some(1), Some(1), None),
        &rules,
        &mac("26.0"),
        &catalog(),
        until - SignedDuration::from_secs(1),
    );
    assert_eq!(off.not_enforced(), Some(&NotEnforced::EnforcementOff));
}

#[test]
fn on_resume_the_grace_period_restarts_from_the_resume_day() {
    let timing = mac_timing(Some(1), Some(1), Some(3));
    let resumed = at("2026-12-07T15:00:00Z");
    let rules = paused(at("2026-11-10T12:00:00Z"), None, Some(resumed));
    let plan = plan_device_within(&timing, &rules, &mac("26.0"), &catalog(), resumed);
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.version, version("26.2"));
    assert_eq!(enforcement.visible_on, date(2026, 11, 21));
    assert_eq!(enforcement.deadline_text(), "2026-12-10T17:00:00");
    assert!(!enforcement.overdue);
    // With no grace and a local time already past on the resume day, the deadline is the next day.
    let mut early_time = mac_timing(Some(1), Some(1), Some(0));
    early_time.enforcement.as_mut().unwrap().local_time = time(9, 0, 0, 0);
    let plan = plan_device_within(&early_time, &rules, &mac("26.0"), &catalog(), resumed);
    assert_eq!(enforced(&plan).deadline_text(), "2026-12-08T09:00:00");
    assert!(!enforced(&plan).overdue);
    // A release visible after the resume keeps its own deadline.
    let later = [release("26.3", "25D1", date(2026, 12, 20))];
    let plan = plan_device_within(
        &timing,
        &rules,
        &mac("26.2"),
        &later,
        at("2026-12-22T00:00:00Z"),
    );
    assert_eq!(enforced(&plan).deadline_text(), "2026-12-24T17:00:00");
}

fn arb_offset() -> impl Strategy<Value = i64> {
    -120i64..120
}

fn shift(instant: Timestamp, hours: i64) -> Timestamp {
    instant
        .checked_add(Span::new().hours(hours))
        .unwrap_or(instant)
}

proptest! {
    #[test]
    fn a_paused_ring_never_gets_a_new_target(
        timing in arb_timing(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        since in arb_now(),
        later in 0i64..2000,
        before in arb_offset(),
    ) {
        let rules = paused(since, None, None);
        let unpaused_at_since = plan_device(&timing, &device, &catalog, since);
        for now in [since, shift(since, later), shift(since, before)] {
            let plan = plan_device_within(&timing, &rules, &device, &catalog, now);
            prop_assert!(plan.enforcement().is_none());
            if timing.enforcement.is_none() {
                prop_assert_eq!(plan.not_enforced(), Some(&NotEnforced::EnforcementOff));
                continue;
            }
            let Some(NotEnforced::Paused { held, .. }) = plan.not_enforced() else {
                return Err(TestCaseError::fail(format!("not paused: {}", plan.explanation())));
            };
            if now >= since {
                // Held: the target enforced when the pause began, never a newer one.
                let expected = unpaused_at_since.enforcement().map(|e| e.version.clone());
                prop_assert_eq!(held, &expected);
            } else {
                let expected = plan_device(&timing, &device, &catalog, now).enforcement().map(|e| e.version.clone());
                prop_assert_eq!(held, &expected);
            }
        }
    }

    #[test]
    fn resuming_never_makes_a_device_overdue_at_once(
        timing in arb_timing(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        since in arb_now(),
        length in 0i64..2000,
    ) {
        let resumed = shift(since, length);
        let rules = paused(since, None, Some(resumed));
        let now = resumed;
        let plan = plan_device_within(&timing, &rules, &device, &catalog, now);
        if let Some(enforcement) = plan.enforcement() {
            prop_assert!(!enforcement.overdue, "{}", plan.explanation());
            // The target is the one the schedule enforces without the pause.
            let open = plan_device(&timing, &device, &catalog, now);
            prop_assert_eq!(open.enforcement().map(|e| &e.version), Some(&enforcement.version));
            prop_assert!(enforcement.deadline >= open.enforcement().unwrap().deadline);
        } else {
            prop_assert!(plan_device(&timing, &device, &catalog, now).enforcement().is_none());
        }
    }
}
