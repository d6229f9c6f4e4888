//! The schedule with health gates and halts: a release waits until its recorded opening, its
//! grace counts from the opening, a halted release is refused; with property tests.

use jiff::{SignedDuration, Span};
use proptest::prelude::*;

use super::properties::{arb_device, arb_now, arb_release, arb_timing};
use super::*;
use crate::schedule::gates::{GateProgress, GateRule, release_key};

fn gated(openings: &[(&str, Timestamp)]) -> TargetRules {
    TargetRules {
        gate: Some(GateRule {
            after: "Vanguard".into(),
            min_installed_percent: 80,
            max_failed_percent: 5,
            min_days: 2,
            opened: openings
                .iter()
                .map(|(text, at)| (release_key(Platform::MacOs, &version(text)), *at))
                .collect(),
            progress: [(
                release_key(Platform::MacOs, &version("26.2")),
                GateProgress {
                    installed_percent: 62,
                    failed_percent: 1,
                    days: 1,
                },
            )]
            .into(),
        }),
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
fn a_gated_ring_waits_for_the_opening_and_counts_grace_from_it() {
    let timing = mac_timing(Some(7), Some(7), Some(3));
    let opened = at("2026-12-03T10:00:00Z");
    let rules = gated(&[("26.1", at("2026-11-09T00:00:00Z")), ("26.2", opened)]);
    // 26.2 is visible on Nov 27 but its gate has not opened: 26.1 stays the target.
    let before = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-12-01T00:00:00Z"),
    );
    assert_eq!(enforced(&before).version, version("26.1"));
    let waiting = before
        .releases
        .iter()
        .find(|r| r.version == version("26.2"))
        .unwrap();
    assert_eq!(waiting.status, ReleaseStatus::WaitingForGate);
    // A device already on 26.1 waits, and the words say for what.
    let on_26_1 = plan_device_within(
        &timing,
        &rules,
        &mac("26.1"),
        &catalog(),
        at("2026-12-01T00:00:00Z"),
    );
    assert_eq!(
        on_26_1.explanation(),
        "nothing enforced: waiting for Vanguard: 62% of 80% installed, 1% failed (at most 5%), 1 of 2 days, for 26.2"
    );
    // After the opening, the deadline counts from it: Dec 3 + 3 days, not Nov 27 + 3.
    let after = plan_device_within(&timing, &rules, &mac("26.1"), &catalog(), opened);
    let enforcement = enforced(&after);
    assert_eq!(enforcement.version, version("26.2"));
    assert_eq!(enforcement.deadline_text(), "2026-12-06T17:00:00");
    assert!(!enforcement.overdue);
    // `?at=` before the recorded opening shows it waiting.
    let earlier = plan_device_within(
        &timing,
        &rules,
        &mac("26.1"),
        &catalog(),
        opened - SignedDuration::from_secs(1),
    );
    assert!(matches!(
        earlier.not_enforced(),
        Some(NotEnforced::WaitingForGate(_))
    ));
}

#[test]
fn a_halted_release_is_refused_and_the_one_below_is_enforced() {
    let timing = mac_timing(Some(1), Some(1), Some(3));
    let rules = TargetRules {
        halted: BlockedReleases::new([(Platform::MacOs, version("26.2"))]),
        ..TargetRules::none()
    };
    let plan = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-12-01T00:00:00Z"),
    );
    assert_eq!(enforced(&plan).version, version("26.1"));
    let halted = plan
        .releases
        .iter()
        .find(|r| r.version == version("26.2"))
        .unwrap();
    assert_eq!(halted.status, ReleaseStatus::Halted);
    let on_26_1 = plan_device_within(
        &timing,
        &rules,
        &mac("26.1"),
        &catalog(),
        at("2026-12-01T00:00:00Z"),
    );
    assert_eq!(on_26_1.not_enforced(), Some(&NotEnforced::HeldBack));
}

fn arb_openings() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0usize..12, -300i64..300), 0..8)
}

proptest! {
    #[test]
    fn a_gated_ring_never_sees_a_release_before_its_gate_opens(
        timing in arb_timing(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        openings in arb_openings(),
        now in arb_now(),
    ) {
        let base = now;
        let opened: Vec<(String, Timestamp)> = openings
            .iter()
            .filter_map(|(index, hours)| {
                let release = catalog.get(*index)?;
                let at = base.checked_add(Span::new().hours(*hours)).ok()?;
                Some((release.version.as_str().to_owned(), at))
            })
            .collect();
        let mut rules = gated(&[]);
        if let Some(gate) = &mut rules.gate {
            for (text, at) in &opened {
                let key = release_key(Platform::MacOs, &version(text));
                let earliest = gate.opened.get(&key).map_or(*at, |known| (*known).min(*at));
                gate.opened.insert(key, earliest);
            }
        }
        let plan = plan_device_within(&timing, &rules, &device, &catalog, now);
        if let Some(enforcement) = plan.enforcement() {
            let gate = rules.gate.as_ref().unwrap();
            let opening = gate.opened_by(Platform::MacOs, &enforcement.version, now);
            prop_assert!(opening.is_some(), "{}", plan.explanation());
            // Its grace counts from the opening: the deadline is never before it.
            let opening = opening.unwrap();
            let civil = opening.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            prop_assert!(enforcement.deadline >= civil, "{}", plan.explanation());
        }
        for release in &plan.releases {
            if release.status == ReleaseStatus::Eligible {
                prop_assert!(rules.gate.as_ref().unwrap().opened_by(Platform::MacOs, &release.version, now).is_some());
            }
        }
        // At the opening instant of the target, the device is not overdue.
        if let Some(enforcement) = plan.enforcement() {
            let opening = rules.gate.as_ref().unwrap().opened_by(Platform::MacOs, &enforcement.version, now).unwrap();
            let at_opening = plan_device_within(&timing, &rules, &device, &catalog, opening);
            if let Some(first) = at_opening
                .enforcement()
                .filter(|first| first.version == enforcement.version)
            {
                prop_assert!(!first.overdue, "{}", at_opening.explanation());
            }
        }
    }
}
