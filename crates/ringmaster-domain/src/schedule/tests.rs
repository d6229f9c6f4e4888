//! Unit tests of the schedule at its edges (month ends, leap days, grace zero, expiry,
//! supplementals, models, platforms); [`properties`] holds the invariants over random inputs.

use std::collections::BTreeSet;

use jiff::civil::{Time, date, time};

use super::*;
use crate::catalog::FeedFormat;

mod fast;
mod gates;
mod pauses;
mod properties;
mod targets;

fn version(text: &str) -> AppleOsVersion {
    AppleOsVersion::parse(text).unwrap()
}

fn release(text: &str, build: &str, released_on: Date) -> Release {
    Release::new(Platform::MacOs, version(text), released_on).with_build(build)
}

fn expiring(release: Release, last_day: Date) -> Release {
    release.expiring_on(last_day)
}

fn for_models(release: Release, models: &[&str]) -> Release {
    release.supported_on(models.iter().copied())
}

fn supplemental(text: &str, build: &str, prerequisite: &str, released_on: Date) -> Release {
    release(text, build, released_on).installing_on(prerequisite)
}

fn mac_timing(minor: Option<u16>, major: Option<u16>, grace: Option<u16>) -> ScheduleTiming {
    ScheduleTiming {
        platform: Platform::MacOs,
        major_days: major,
        minor_days: minor,
        system_days: None,
        combined_days: None,
        enforcement: grace.map(|grace_days| EnforcementTiming {
            grace_days,
            local_time: time(17, 0, 0, 0),
            scope: EnforcementScope::Latest,
        }),
    }
}

fn same_major(mut timing: ScheduleTiming) -> ScheduleTiming {
    if let Some(enforcement) = &mut timing.enforcement {
        enforcement.scope = EnforcementScope::SameMajor;
    }
    timing
}

fn mac(text: &str) -> DeviceFacts {
    DeviceFacts {
        platform: Platform::MacOs,
        os_version: version(text),
        os_build: None,
        hardware: DeviceHardware::unknown(Platform::MacOs),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn enforced(plan: &DevicePlan) -> &Enforcement {
    plan.enforcement()
        .unwrap_or_else(|| panic!("nothing enforced: {}", plan.explanation()))
}

#[test]
fn deferral_across_a_month_end_counts_calendar_days() {
    // 2027 is not a leap year: Jan 31 + 30 days is Mar 2.
    let catalog = [release("26.7", "25H1", date(2027, 1, 31))];
    let timing = mac_timing(Some(30), None, Some(0));
    let before = plan_device(&timing, &mac("26.6"), &catalog, at("2027-03-01T23:59:59Z"));
    assert_eq!(
        before.not_enforced(),
        Some(&NotEnforced::NothingVisibleYet {
            next_visible_at: at("2027-03-02T00:00:00Z")
        })
    );
    assert_eq!(before.visible().count(), 0);
    let plan = plan_device(&timing, &mac("26.6"), &catalog, at("2027-03-02T00:00:00Z"));
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.visible_on, date(2027, 3, 2));
    assert_eq!(enforcement.deadline_text(), "2027-03-02T17:00:00");
    assert_eq!(plan.releases[0].visible_at, at("2027-03-02T00:00:00Z"));
}

#[test]
fn leap_days_are_real_days() {
    let catalog = [release("26.7", "25H1", date(2028, 2, 20))];
    let timing = mac_timing(Some(9), None, Some(1));
    let plan = plan_device(&timing, &mac("26.6"), &catalog, at("2028-02-29T08:00:00Z"));
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.visible_on, date(2028, 2, 29));
    assert_eq!(enforcement.deadline_text(), "2028-03-01T17:00:00");

    // Visible on the leap day itself, a year of grace lands on 2029-02-28.
    let catalog = [release("26.7", "25H1", date(2028, 2, 28))];
    let timing = mac_timing(Some(1), None, Some(365));
    let plan = plan_device(&timing, &mac("26.6"), &catalog, at("2028-03-01T00:00:00Z"));
    assert_eq!(enforced(&plan).deadline_text(), "2029-02-28T17:00:00");
}

#[test]
fn grace_zero_puts_the_deadline_on_the_day_the_deferral_ends() {
    let catalog = [release("26.6.1", "25G76", date(2026, 8, 6))];
    let mut timing = mac_timing(Some(7), None, Some(0));
    timing.enforcement.as_mut().unwrap().local_time = time(9, 30, 15, 999);
    let plan = plan_device(&timing, &mac("26.6"), &catalog, at("2026-08-13T05:00:00Z"));
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.deadline, date(2026, 8, 13).at(9, 30, 15, 0));
    assert_eq!(enforcement.deadline_text(), "2026-08-13T09:30:15");
    assert!(!enforcement.overdue);
    // Later that day (UTC civil time) the deadline has passed.
    let plan = plan_device(&timing, &mac("26.6"), &catalog, at("2026-08-13T10:00:00Z"));
    assert!(enforced(&plan).overdue);
}

#[test]
fn a_deadline_already_past_is_reported_as_it_is_and_flagged() {
    let catalog = [release("26.5.2", "25F84", date(2026, 6, 29))];
    let timing = mac_timing(Some(7), Some(30), Some(14));
    let plan = plan_device(
        &timing,
        &mac("26.5.1"),
        &catalog,
        at("2026-08-22T18:44:07Z"),
    );
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.deadline_text(), "2026-07-20T17:00:00");
    assert!(enforcement.overdue);
    assert!(
        plan.explanation().contains("installs at once"),
        "{}",
        plan.explanation()
    );
}

#[test]
fn an_expired_release_is_never_enforced() {
    let catalog = [
        expiring(
            release("26.5.1", "25F80", date(2026, 6, 1)),
            date(2026, 9, 27),
        ),
        expiring(
            release("26.5.2", "25F84", date(2026, 6, 29)),
            date(2026, 8, 21),
        ),
    ];
    let timing = mac_timing(Some(7), None, Some(14));
    // The last signing day still counts.
    let plan = plan_device(&timing, &mac("26.5"), &catalog, at("2026-08-21T23:00:00Z"));
    assert_eq!(enforced(&plan).version, version("26.5.2"));
    let plan = plan_device(&timing, &mac("26.5"), &catalog, at("2026-08-22T00:00:00Z"));
    assert_eq!(enforced(&plan).version, version("26.5.1"));
    assert_eq!(plan.releases[1].status, ReleaseStatus::Expired);
    // Nothing else left: all expired.
    let plan = plan_device(
        &timing,
        &mac("26.5.1"),
        &catalog,
        at("2026-08-22T00:00:00Z"),
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::AllExpired));
}

#[test]
fn supplementals_need_their_base_and_prerequisite_build() {
    let catalog = [
        release("26.3.1", "25D2128", date(2026, 3, 2)),
        supplemental("26.3.1 (a)", "25D771280a", "25D2128", date(2026, 3, 17)),
    ];
    let timing = mac_timing(Some(7), None, Some(3));
    let now = at("2026-03-18T12:00:00Z");
    let mut device = mac("26.3.1");
    device.os_build = Some("25D2128".to_owned());
    let plan = plan_device(&timing, &device, &catalog, now);
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.version, version("26.3.1 (a)"));
    assert_eq!(enforcement.target_os_version.to_string(), "26.3.1");
    assert_eq!(enforcement.target_build.as_deref(), Some("25D771280a"));
    // Not deferred: visible on its release day.
    assert_eq!(plan.releases[0].kind, DeferralKind::Supplemental);
    assert_eq!(enforcement.visible_on, date(2026, 3, 17));
    assert_eq!(enforcement.deadline_text(), "2026-03-20T17:00:00");

    // Build unknown: assumed on the prerequisite.
    device.os_build = None;
    assert!(
        plan_device(&timing, &device, &catalog, now)
            .enforcement()
            .is_some()
    );

    // Another build of the base version.
    device.os_build = Some("25D2129".to_owned());
    let plan = plan_device(&timing, &device, &catalog, now);
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::PrerequisiteMissing));

    // On an older version the base is the target, never the supplemental.
    let plan = plan_device(&timing, &mac("26.3"), &catalog, now);
    assert_eq!(enforced(&plan).version, version("26.3.1"));
    assert_eq!(plan.releases[1].status, ReleaseStatus::NeedsPrerequisite);
}

#[test]
fn a_supplemental_waits_for_its_deferred_base() {
    let catalog = [
        release("26.3.1", "25D2128", date(2026, 3, 10)),
        supplemental("26.3.1 (a)", "25D771280a", "25D2128", date(2026, 3, 11)),
    ];
    let timing = mac_timing(Some(14), None, Some(3));
    let plan = plan_device(&timing, &mac("26.3"), &catalog, at("2026-03-12T00:00:00Z"));
    assert_eq!(plan.releases[1].visible_on, date(2026, 3, 24));
    assert_eq!(plan.releases[0].visible_on, date(2026, 3, 24));
}

#[test]
fn a_device_newer_than_the_catalog_is_up_to_date() {
    let catalog = [
        release("26.6.1", "25G76", date(2026, 8, 6)),
        release("26.6.2", "25G83", date(2026, 8, 17)),
    ];
    let timing = mac_timing(Some(7), Some(30), Some(14));
    let plan = plan_device(&timing, &mac("27.0"), &catalog, at("2026-10-01T00:00:00Z"));
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::UpToDate));
    assert!(plan.releases.is_empty());
    // On the newest version itself: never enforce the same version.
    let plan = plan_device(
        &timing,
        &mac("26.6.2"),
        &catalog,
        at("2026-10-01T00:00:00Z"),
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::UpToDate));
    assert!(plan.explanation().contains("up to date"));
}

#[test]
fn same_major_scope_keeps_the_device_on_its_major() {
    let catalog = [
        release("15.7.9", "24G830", date(2026, 8, 6)),
        release("26.5.2", "25F84", date(2026, 6, 29)),
        release("26.6.2", "25G83", date(2026, 8, 17)),
    ];
    let timing = mac_timing(Some(7), Some(30), Some(14));
    let now = at("2026-08-22T18:44:07Z");
    // Hardware nothing is known of gets no major upgrade: that needs positive evidence.
    let unknown = plan_device(&timing, &mac("15.7.7"), &catalog, now);
    assert_eq!(enforced(&unknown).version, version("15.7.9"));
    assert_eq!(unknown.releases[1].support.as_str(), "majorUnproven");
    let mut known = mac("15.7.7");
    known.hardware.model = Some("Mac14,2".to_owned());
    known.hardware.facts_model = Some("Mac14,2".to_owned());
    known.hardware.os_majors = BTreeSet::from([15, 26]);
    let latest = plan_device(&timing, &known, &catalog, now);
    assert!(
        latest
            .explanation()
            .contains("OS 26 among model Mac14,2's majors"),
        "{}",
        latest.explanation()
    );
    // Major upgrades wait 30 days: 26.6.2 is still hidden, 26.5.2 is not.
    let enforcement = enforced(&latest);
    assert_eq!(enforcement.version, version("26.5.2"));
    assert_eq!(enforcement.deadline_text(), "2026-08-12T17:00:00");
    assert_eq!(latest.releases[1].kind, DeferralKind::Major);
    let scoped = plan_device(&same_major(timing), &mac("15.7.7"), &catalog, now);
    let enforcement = enforced(&scoped);
    assert_eq!(enforcement.version, version("15.7.9"));
    assert_eq!(enforcement.deadline_text(), "2026-08-27T17:00:00");
    assert_eq!(scoped.releases[0].kind, DeferralKind::Minor);
    // On the newest 15.x, nothing in scope is left.
    let scoped = plan_device(&same_major(timing), &mac("15.7.9"), &catalog, now);
    assert_eq!(scoped.not_enforced(), Some(&NotEnforced::UpToDate));
}

#[test]
fn releases_older_than_ninety_days_are_not_deferred() {
    let catalog = [release("26.5", "25F71", date(2026, 5, 18))];
    // An out-of-range setting is capped at 90 days.
    let timing = mac_timing(Some(200), None, Some(0));
    let plan = plan_device(&timing, &mac("26.4"), &catalog, at("2026-08-16T00:00:00Z"));
    assert_eq!(plan.releases[0].deferral_days, 90);
    assert_eq!(plan.releases[0].visible_on, date(2026, 8, 16));
    assert_eq!(enforced(&plan).deadline_text(), "2026-08-16T17:00:00");
    let plan = plan_device(&timing, &mac("26.4"), &catalog, at("2026-08-15T23:59:59Z"));
    assert!(matches!(
        plan.not_enforced(),
        Some(NotEnforced::NothingVisibleYet { .. })
    ));
}

#[test]
fn unset_deferrals_mean_visible_on_release_day() {
    let catalog = [release("26.6.2", "25G83", date(2026, 8, 17))];
    let plan = plan_device(
        &mac_timing(None, None, Some(2)),
        &mac("26.6"),
        &catalog,
        at("2026-08-17T00:00:00Z"),
    );
    assert_eq!(enforced(&plan).deadline_text(), "2026-08-19T17:00:00");
}

#[test]
fn without_enforcement_releases_are_still_scheduled() {
    let catalog = [
        release("26.6.1", "25G76", date(2026, 8, 6)),
        release("26.6.2", "25G83", date(2026, 8, 17)),
    ];
    let plan = plan_device(
        &mac_timing(Some(7), None, None),
        &mac("26.5"),
        &catalog,
        at("2026-08-22T00:00:00Z"),
    );
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::EnforcementOff));
    let visible: Vec<String> = plan.visible().map(|r| r.version.to_string()).collect();
    assert_eq!(visible, ["26.6.1"]);
    assert_eq!(plan.releases[1].status, ReleaseStatus::NotYetVisible);
}

#[test]
fn models_are_matched_against_supported_devices() {
    let catalog = [
        for_models(release("26.6.1", "25G76", date(2026, 8, 6)), &["J413AP"]),
        for_models(release("26.6.2", "25G83", date(2026, 8, 6)), &["J180dAP"]),
    ];
    let timing = mac_timing(Some(7), None, Some(14));
    let now = at("2026-08-22T00:00:00Z");
    let mut device = mac("26.6");
    device.hardware = DeviceHardware::with_device_id(Platform::MacOs, "J413AP");
    assert_eq!(
        enforced(&plan_device(&timing, &device, &catalog, now)).version,
        version("26.6.1")
    );
    device.hardware = DeviceHardware::with_device_id(Platform::MacOs, "Mac-OLD");
    assert_eq!(
        plan_device(&timing, &device, &catalog, now).not_enforced(),
        Some(&NotEnforced::NotSupportedOnModel)
    );
    device.hardware = DeviceHardware::unknown(Platform::MacOs);
    assert_eq!(
        enforced(&plan_device(&timing, &device, &catalog, now)).version,
        version("26.6.2")
    );
}

#[test]
fn ios_uses_the_combined_period_even_for_majors() {
    let mut catalog = [
        release("18.7.2", "22H1", date(2026, 8, 1)),
        release("26.6.2", "23G83", date(2026, 8, 1)),
    ];
    for release in &mut catalog {
        release.platform = Platform::Ios;
        release.supported_devices = BTreeSet::from(["iPhone17,1".to_owned()]).into();
    }
    let timing = ScheduleTiming {
        platform: Platform::Ios,
        major_days: Some(90),
        minor_days: Some(90),
        system_days: None,
        combined_days: Some(10),
        enforcement: Some(EnforcementTiming {
            grace_days: 5,
            local_time: time(8, 0, 0, 0),
            scope: EnforcementScope::Latest,
        }),
    };
    let device = DeviceFacts {
        platform: Platform::Ios,
        os_version: version("18.7.1"),
        os_build: None,
        hardware: DeviceHardware::with_model(Platform::Ios, "iPhone17,1"),
    };
    let plan = plan_device(&timing, &device, &catalog, at("2026-08-11T00:00:00Z"));
    assert!(
        plan.releases
            .iter()
            .all(|r| r.kind == DeferralKind::Combined)
    );
    let enforcement = enforced(&plan);
    assert_eq!(enforcement.version, version("26.6.2"));
    assert_eq!(enforcement.deadline_text(), "2026-08-16T08:00:00");
    // A macOS policy does not schedule an iPhone.
    let plan = plan_device(
        &mac_timing(Some(1), None, Some(1)),
        &device,
        &catalog,
        at("2026-08-11T00:00:00Z"),
    );
    assert!(matches!(
        plan.not_enforced(),
        Some(NotEnforced::WrongPlatform { .. })
    ));
}

#[test]
fn rollout_lists_visibility_and_deadlines_per_release() {
    let catalog = [
        release("26.0", "25A1", date(2026, 9, 15)),
        release("15.7.9", "24G830", date(2026, 8, 6)),
        release("26.6.2", "25G83", date(2026, 8, 17)),
        expiring(
            release("26.5", "25F71", date(2026, 5, 18)),
            date(2026, 8, 30),
        ),
    ];
    let timing = mac_timing(Some(7), Some(30), Some(14));
    let entries = rollout(
        &timing,
        &catalog,
        Platform::MacOs,
        date(2026, 9, 1),
        date(2026, 12, 31),
    );
    let shown: Vec<(String, Date, String)> = entries
        .iter()
        .map(|e| {
            (
                e.version.to_string(),
                e.visible_on,
                format_deadline(e.enforced_by.unwrap()),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            // 15.7.9: visible 08-13, enforced 08-27: before the window, left out.
            (
                "26.6.2".to_owned(),
                date(2026, 8, 24),
                "2026-09-07T17:00:00".to_owned()
            ),
            (
                "26.0".to_owned(),
                date(2026, 10, 15),
                "2026-10-29T17:00:00".to_owned()
            ),
        ]
    );
    assert_eq!(entries[1].kind, DeferralKind::Major);
    let off = rollout(
        &mac_timing(Some(7), Some(30), None),
        &catalog,
        Platform::MacOs,
        date(2026, 8, 1),
        date(2026, 8, 31),
    );
    assert_eq!(off.len(), 2);
    assert!(off.iter().all(|entry| entry.enforced_by.is_none()));
}
