//! Unit tests of blocked releases and `maxVersion` caps in the schedule.

use super::*;

fn blocking(versions: &[&str]) -> TargetRules {
    TargetRules {
        blocked: BlockedReleases::new(versions.iter().map(|text| (Platform::MacOs, version(text)))),
        max_version: None,
        ..TargetRules::none()
    }
}

/// The device's hardware is unknown, so only releases of its own major install on it.
fn catalog() -> Vec<Release> {
    vec![
        release("15.6", "24G84", date(2026, 7, 29)),
        release("15.7", "24G222", date(2026, 9, 15)),
        release("26.0", "25A354", date(2026, 9, 15)),
        release("26.1", "25B78", date(2026, 11, 3)),
        release("26.2", "25C56", date(2026, 11, 10)),
    ]
}

#[test]
fn a_blocked_release_is_skipped_for_the_newest_allowed_one_below_it() {
    let timing = mac_timing(None, None, Some(7));
    let now = at("2026-11-20T12:00:00Z");
    let open = plan_device_within(&timing, &TargetRules::none(), &mac("26.0"), &catalog(), now);
    assert_eq!(enforced(&open).version, version("26.2"));

    let plan = plan_device_within(&timing, &blocking(&["26.2"]), &mac("26.0"), &catalog(), now);
    assert_eq!(enforced(&plan).version, version("26.1"));
    assert_eq!(enforced(&plan).target_build.as_deref(), Some("25B78"));
    let status = |text: &str| {
        plan.releases
            .iter()
            .find(|release| release.version == version(text))
            .map(|release| release.status)
    };
    assert_eq!(status("26.2"), Some(ReleaseStatus::Blocked));
    assert_eq!(status("26.1"), Some(ReleaseStatus::Eligible));

    // Blocking the one below as well leaves nothing newer to enforce on 26.0.
    let plan = plan_device_within(
        &timing,
        &blocking(&["26.2", "26.1"]),
        &mac("26.0"),
        &catalog(),
        now,
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::HeldBack));
    // A block of another version changes nothing.
    let plan = plan_device_within(&timing, &blocking(&["15.7"]), &mac("26.0"), &catalog(), now);
    assert_eq!(plan, open);
}

#[test]
fn with_every_newer_release_blocked_nothing_is_enforced_and_the_reason_says_so() {
    let timing = mac_timing(None, None, Some(7));
    let now = at("2026-11-20T12:00:00Z");
    let plan = plan_device_within(
        &timing,
        &blocking(&["26.1", "26.2"]),
        &mac("26.0"),
        &catalog(),
        now,
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::HeldBack));
    assert!(
        plan.explanation().contains("blocked"),
        "{}",
        plan.explanation()
    );
}

#[test]
fn a_cap_keeps_devices_below_it_beyond_their_major() {
    let timing = mac_timing(None, None, Some(7));
    let now = at("2026-11-20T12:00:00Z");
    let rules = TargetRules {
        max_version: Some(version("15.99")),
        ..TargetRules::none()
    };
    let plan = plan_device_within(&timing, &rules, &mac("15.5"), &catalog(), now);
    assert_eq!(enforced(&plan).version, version("15.7"));
    assert!(
        plan.releases
            .iter()
            .filter(|release| release.version.major() == 26)
            .all(|release| release.status == ReleaseStatus::AboveMaxVersion)
    );
    let plan = plan_device_within(&timing, &rules, &mac("15.7"), &catalog(), now);
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::HeldBack));
}

#[test]
fn an_exemption_removes_enforcement_exactly_until_it_ends() {
    let timing = mac_timing(None, None, Some(7));
    let until = at("2026-11-25T00:00:00Z");
    let rules = TargetRules {
        exempt_until: Some(until),
        ..TargetRules::none()
    };
    let before = plan_device_within(
        &timing,
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-11-24T23:59:59Z"),
    );
    assert_eq!(before.not_enforced(), Some(&NotEnforced::Exempt { until }));
    assert!(
        before.explanation().contains("exempt"),
        "{}",
        before.explanation()
    );
    let after = plan_device_within(&timing, &rules, &mac("26.0"), &catalog(), until);
    assert_eq!(enforced(&after).version, version("26.2"));
    // Without enforcement in the policy there is nothing to be exempt from.
    let off = plan_device_within(
        &mac_timing(None, None, None),
        &rules,
        &mac("26.0"),
        &catalog(),
        at("2026-11-20T00:00:00Z"),
    );
    assert_eq!(off.not_enforced(), Some(&NotEnforced::EnforcementOff));
}
