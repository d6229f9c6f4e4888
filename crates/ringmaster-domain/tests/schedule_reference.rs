//! The schedule against the real gdmf feed saved in `../shared/reference/os-feeds/`.
//!
//! Reproduces the worked example of `docs/os-release-feeds.md` §7 (a MacBook Air `J413AP`;
//! minor deferral 7, major 30, grace 14, 17:00) and pins what the four default rings (Vanguard
//! 1/3, Early 7/7, General 15/10, Late 30/10) enforce on the snapshot day. Release days here are
//! gdmf's posting days (the earliest when a build is listed twice); the example's candidates have
//! the same day in SOFA, so the results match the document.
//! A fresh clone lacks the folder: every test then prints which folder is missing and passes,
//! except under `CI=true`, where a missing folder fails it.

mod reference;

use jiff::Timestamp;
use jiff::civil::{Time, time};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::parse_feed;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::{
    DeviceFacts, EnforcementScope, EnforcementTiming, NotEnforced, ScheduleTiming, plan_device,
};

/// When SOFA fetched the saved gdmf response.
const SNAPSHOT: &str = "2026-08-22T18:44:07Z";

fn catalog() -> Option<Vec<Release>> {
    let path = reference::reference_path("os-feeds/gdmf-pmv.json")?;
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let parsed = parse_feed(&bytes, SNAPSHOT.parse().unwrap())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    Some(parsed.releases)
}

fn timing(minor: u16, major: u16, grace: u16, local_time: Time) -> ScheduleTiming {
    ScheduleTiming {
        platform: Platform::MacOs,
        major_days: Some(major),
        minor_days: Some(minor),
        system_days: Some(minor),
        combined_days: None,
        enforcement: Some(EnforcementTiming {
            grace_days: grace,
            local_time,
            scope: EnforcementScope::Latest,
        }),
    }
}

fn macbook_air(version: &str) -> DeviceFacts {
    DeviceFacts {
        platform: Platform::MacOs,
        os_version: AppleOsVersion::parse(version).unwrap(),
        os_build: None,
        hardware: ringmaster_domain::catalog::hardware::DeviceHardware::with_device_id(
            Platform::MacOs,
            "J413AP",
        ),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// `(version, build, deadline, overdue)` of the enforced release.
fn target(
    catalog: &[Release],
    timing: &ScheduleTiming,
    device: &DeviceFacts,
    now: &str,
) -> (String, String, String, bool) {
    let plan = plan_device(timing, device, catalog, at(now));
    let enforcement = plan
        .enforcement()
        .unwrap_or_else(|| panic!("nothing enforced: {}", plan.explanation()));
    (
        enforcement.version.to_string(),
        enforcement.target_build.clone().unwrap_or_default(),
        enforcement.deadline_text(),
        enforcement.overdue,
    )
}

fn expected(
    version: &str,
    build: &str,
    deadline: &str,
    overdue: bool,
) -> (String, String, String, bool) {
    (
        version.to_owned(),
        build.to_owned(),
        deadline.to_owned(),
        overdue,
    )
}

#[test]
fn the_worked_example_on_the_snapshot_day() {
    let Some(catalog) = catalog() else {
        return;
    };
    let policy = timing(7, 30, 14, time(17, 0, 0, 0));
    let on_26_5_1 = macbook_air("26.5.1");

    // Candidates newer than 26.5.1, visible from release + 7.
    let plan = plan_device(&policy, &on_26_5_1, &catalog, at(SNAPSHOT));
    let candidates: Vec<(String, String)> = plan
        .releases
        .iter()
        .map(|r| (r.version.to_string(), r.visible_on.to_string()))
        .collect();
    let wanted = [
        ("26.5.2", "2026-07-06"),
        ("26.6", "2026-08-03"),
        ("26.6.1", "2026-08-13"),
        ("26.6.2", "2026-08-24"),
    ];
    assert_eq!(
        candidates,
        wanted.map(|(v, d)| (v.to_owned(), d.to_owned())),
        "{plan:#?}"
    );

    assert_eq!(
        target(&catalog, &policy, &on_26_5_1, SNAPSHOT),
        expected("26.6.1", "25G76", "2026-08-27T17:00:00", false)
    );
    assert_eq!(
        target(&catalog, &policy, &on_26_5_1, "2026-08-24T12:00:00Z"),
        expected("26.6.2", "25G83", "2026-09-07T17:00:00", false)
    );

    // A Mac on 15.7.7: the major upgrade's deadline has passed; within 15.x it has not.
    let on_15 = macbook_air("15.7.7");
    assert_eq!(
        target(&catalog, &policy, &on_15, SNAPSHOT),
        expected("26.5.2", "25F84", "2026-08-12T17:00:00", true)
    );
    let mut within_major = policy;
    within_major.enforcement.as_mut().unwrap().scope = EnforcementScope::SameMajor;
    assert_eq!(
        target(&catalog, &within_major, &on_15, SNAPSHOT),
        expected("15.7.9", "24G830", "2026-08-27T17:00:00", false)
    );
}

#[test]
fn what_a_user_on_26_is_offered_for_each_minor_deferral() {
    let Some(catalog) = catalog() else {
        return;
    };
    let on_26_4 = macbook_air("26.4");
    let cases = [
        (None, "26.6.2"),
        (Some(7), "26.6.1"),
        (Some(14), "26.6.1"),
        (Some(30), "26.5.2"),
        (Some(60), "26.5.1"),
        (Some(90), "26.5"),
    ];
    for (days, offered) in cases {
        let mut policy = timing(7, 30, 14, time(17, 0, 0, 0));
        policy.minor_days = days;
        let (version, ..) = target(&catalog, &policy, &on_26_4, SNAPSHOT);
        assert_eq!(version, offered, "minor deferral {days:?}");
    }
    // 26.5's signing ends 2026-08-30: from the next day nothing older than 26.5.1 is offered.
    let mut policy = timing(90, 30, 14, time(17, 0, 0, 0));
    policy.minor_days = Some(90);
    let plan = plan_device(&policy, &on_26_4, &catalog, at("2026-08-31T00:00:00Z"));
    assert_eq!(
        plan.enforcement().map(|e| e.version.to_string()).as_deref(),
        Some("26.5.1"),
        "{}",
        plan.explanation()
    );
}

#[test]
fn the_default_rings_on_the_snapshot_day() {
    let Some(catalog) = catalog() else {
        return;
    };
    // Hand-computed from the rule (release + deferral + grace) over gdmf's posting days:
    // 26.5.2 06-29, 26.6 07-27, 26.6.1 08-06, 26.6.2 08-17.
    let rings = [
        (
            "Vanguard",
            1,
            3,
            expected("26.6.2", "25G83", "2026-08-21T17:00:00", true),
        ),
        (
            "Early Adoption",
            7,
            7,
            expected("26.6.1", "25G76", "2026-08-20T17:00:00", true),
        ),
        (
            "General Adoption",
            15,
            10,
            expected("26.6.1", "25G76", "2026-08-31T17:00:00", false),
        ),
        (
            "Late Adoption",
            30,
            10,
            expected("26.5.2", "25F84", "2026-08-08T17:00:00", true),
        ),
    ];
    let device = macbook_air("26.5.1");
    for (ring, days, grace, wanted) in rings {
        let policy = timing(days, days, grace, time(17, 0, 0, 0));
        assert_eq!(
            target(&catalog, &policy, &device, SNAPSHOT),
            wanted,
            "{ring}"
        );
    }
    // A Mac already on the newest release has nothing enforced, whatever the ring.
    let plan = plan_device(
        &timing(1, 1, 3, time(17, 0, 0, 0)),
        &macbook_air("26.6.2"),
        &catalog,
        at(SNAPSHOT),
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::UpToDate));
}

#[test]
fn supplementals_from_gdmf_need_their_prerequisite_build() {
    let Some(catalog) = catalog() else {
        return;
    };
    let policy = timing(7, 30, 14, time(17, 0, 0, 0));
    let mut device = macbook_air("26.3.1");
    device.os_build = Some("25D2128".to_owned());
    // 26.5 and later are newer and visible, so the supplemental is not the target...
    let plan = plan_device(&policy, &device, &catalog, at(SNAPSHOT));
    assert_eq!(
        plan.enforcement().map(|e| e.version.to_string()).as_deref(),
        Some("26.6.1")
    );
    // ...but it is listed and installable on this build, and not on another.
    let status = |plan: &ringmaster_domain::schedule::DevicePlan| {
        plan.releases
            .iter()
            .find(|r| r.version.is_supplemental())
            .map(|r| r.status)
    };
    assert_eq!(
        status(&plan),
        Some(ringmaster_domain::schedule::ReleaseStatus::Eligible)
    );
    device.os_build = Some("25D2129".to_owned());
    let plan = plan_device(&policy, &device, &catalog, at(SNAPSHOT));
    assert_eq!(
        status(&plan),
        Some(ringmaster_domain::schedule::ReleaseStatus::NeedsPrerequisite)
    );
}
