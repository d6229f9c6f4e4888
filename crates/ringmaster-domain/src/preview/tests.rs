//! Tests of the preview diff: what counts as a change, urgency, the bounded list and its counts.

use jiff::Timestamp;
use jiff::civil::DateTime;
use proptest::prelude::*;

use crate::apple_version::AppleOsVersion;
use crate::preview::{ChangeKind, PreviewBuilder, ServedTarget, Urgency, diff_device, urgency};

fn target(version: &str, build: Option<&str>, deadline: &str) -> ServedTarget {
    ServedTarget {
        version: AppleOsVersion::parse(version).unwrap(),
        build: build.map(str::to_owned),
        deadline: deadline.parse::<DateTime>().unwrap(),
    }
}

fn now() -> Timestamp {
    "2026-12-07T12:00:00Z".parse().unwrap()
}

#[test]
fn the_same_target_and_deadline_is_no_change() {
    let served = target("26.1", Some("25B78"), "2026-12-20T10:00:00");
    assert_eq!(diff_device("a", None, None, now()), None);
    assert_eq!(
        diff_device("a", Some(served.clone()), Some(served), now()),
        None
    );
}

#[test]
fn each_kind_of_change_is_named() {
    let old = target("26.1", None, "2026-12-20T10:00:00");
    let kind = |before: Option<ServedTarget>, after: Option<ServedTarget>| {
        diff_device("a", before, after, now()).map(|change| change.kind)
    };
    assert_eq!(kind(None, Some(old.clone())), Some(ChangeKind::Added));
    assert_eq!(kind(Some(old.clone()), None), Some(ChangeKind::Removed));
    assert_eq!(
        kind(
            Some(old.clone()),
            Some(target("26.2", None, "2026-12-20T10:00:00"))
        ),
        Some(ChangeKind::Retargeted)
    );
    assert_eq!(
        kind(
            Some(old.clone()),
            Some(target("26.1", Some("25B78"), "2026-12-20T10:00:00"))
        ),
        Some(ChangeKind::Retargeted)
    );
    assert_eq!(
        kind(Some(old), Some(target("26.1", None, "2026-12-21T10:00:00"))),
        Some(ChangeKind::Rescheduled)
    );
}

#[test]
fn urgency_is_measured_from_the_utc_civil_time_of_the_instant() {
    let at = |deadline: &str| urgency(Some(&target("26.1", None, deadline)), now());
    assert_eq!(urgency(None, now()), Urgency::NoDeadline);
    assert_eq!(at("2026-12-01T10:00:00"), Urgency::OverdueAtOnce);
    assert_eq!(at("2026-12-07T13:00:00"), Urgency::OverdueAtOnce);
    assert_eq!(at("2026-12-07T13:00:01"), Urgency::DueWithin24Hours);
    assert_eq!(at("2026-12-08T12:00:00"), Urgency::DueWithin24Hours);
    assert_eq!(at("2026-12-08T12:00:01"), Urgency::Later);
}

#[test]
fn the_list_is_bounded_and_the_counts_cover_every_device() {
    let mut builder = PreviewBuilder::new(now(), 2);
    for index in 0..5 {
        builder.device(
            &format!("device-{index}"),
            None,
            Some(target("26.1", None, "2026-12-07T12:30:00")),
        );
    }
    builder.device("same", None, None);
    let preview = builder.finish();
    assert_eq!(preview.devices, 6);
    assert_eq!(preview.changed, 5);
    assert_eq!(preview.overdue_at_once, 5);
    assert_eq!(preview.due_within_24_hours, 0);
    assert_eq!(preview.changes.len(), 2);
    assert!(preview.truncated);
    assert_eq!(preview.changes[0].device_id, "device-0");
}

fn served_target() -> impl Strategy<Value = Option<ServedTarget>> {
    let release = prop_oneof![Just("26.1"), Just("26.2"), Just("15.7.3")];
    let build = prop_oneof![Just(None), Just(Some("25B78"))];
    // Deadlines from 3 days before the instant to 3 days after, in half hours.
    let offset = -144i64..144;
    proptest::option::of(
        (release, build, offset).prop_map(|(version, build, halves)| {
            let deadline = now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .datetime()
                .checked_add(jiff::Span::new().minutes(halves * 30))
                .unwrap();
            ServedTarget {
                version: AppleOsVersion::parse(version).unwrap(),
                build: build.map(str::to_owned),
                deadline,
            }
        }),
    )
}

proptest! {
    #[test]
    fn a_device_changes_exactly_when_its_target_or_deadline_does(
        before in served_target(),
        after in served_target(),
    ) {
        let change = diff_device("a", before.clone(), after.clone(), now());
        prop_assert_eq!(change.is_some(), before != after);
        if let Some(change) = change {
            prop_assert_eq!(change.urgency, urgency(after.as_ref(), now()));
            prop_assert_eq!(change.before, before);
            prop_assert_eq!(change.after, after);
        }
    }

    #[test]
    fn the_counts_add_up_whatever_the_limit(
        pairs in proptest::collection::vec((served_target(), served_target()), 0..40),
        limit in 0usize..10,
    ) {
        let mut builder = PreviewBuilder::new(now(), limit);
        for (index, (before, after)) in pairs.iter().enumerate() {
            builder.device(&index.to_string(), before.clone(), after.clone());
        }
        let preview = builder.finish();
        let changed: Vec<usize> = pairs
            .iter()
            .enumerate()
            .filter(|(_, (before, after))| before != after)
            .map(|(index, _)| index)
            .collect();
        prop_assert_eq!(preview.devices, pairs.len());
        prop_assert_eq!(preview.changed, changed.len());
        prop_assert_eq!(preview.changes.len(), changed.len().min(limit));
        prop_assert_eq!(preview.truncated, changed.len() > limit);
        let listed: Vec<String> = preview.changes.iter().map(|c| c.device_id.clone()).collect();
        let expected: Vec<String> = changed.iter().take(limit).map(usize::to_string).collect();
        prop_assert_eq!(listed, expected);
        let urgent = pairs
            .iter()
            .filter(|(before, after)| before != after)
            .map(|(_, after)| urgency(after.as_ref(), now()))
            .collect::<Vec<_>>();
        prop_assert_eq!(
            preview.overdue_at_once,
            urgent.iter().filter(|u| **u == Urgency::OverdueAtOnce).count()
        );
        prop_assert_eq!(
            preview.due_within_24_hours,
            urgent.iter().filter(|u| **u == Urgency::DueWithin24Hours).count()
        );
    }
}

mod served {
    //! `served_target` is what `device_declarations` serves, without building the declarations.

    use jiff::Timestamp;
    use proptest::prelude::*;

    use crate::apple_version::AppleOsVersion;
    use crate::capabilities::{DeviceCapabilities, EnrollmentType};
    use crate::catalog::hardware::HardwareCatalog;
    use crate::catalog::release::Release;
    use crate::declarations::envelope::DeclarationType;
    use crate::fleet::{PreparedPolicy, device_declarations};
    use crate::platform::Platform;
    use crate::policy::rings::default_rings;
    use crate::preview::served_target;
    use crate::schedule::DeviceFacts;

    fn catalog() -> Vec<Release> {
        let release = |version: &str, build: &str, day: i8, devices: &[&str]| {
            Release::new(
                Platform::MacOs,
                AppleOsVersion::parse(version).unwrap(),
                jiff::civil::date(2026, 11, day),
            )
            .with_build(build)
            .supported_on(devices.iter().copied())
        };
        vec![
            release("26.2", "25C56", 20, &["J413AP"]),
            release("26.1", "25B78", 3, &["J413AP"]),
            release("26.1", "25B79", 3, &["J413AP", "J274AP"]),
            release("15.7.3", "24G400", 10, &["J413AP", "J274AP"]),
            release("14.8.3", "23J300", 10, &["J274AP"]),
        ]
    }

    #[test]
    fn a_vanguard_mac_behind_is_told_to_install() {
        let prepared = PreparedPolicy::new(default_rings().remove(0).macos);
        let device = DeviceFacts {
            platform: Platform::MacOs,
            os_version: AppleOsVersion::parse("26.0").unwrap(),
            os_build: None,
            hardware: HardwareCatalog::default().describe(Platform::MacOs, None, Some("J413AP")),
        };
        let now: Timestamp = "2026-11-25T09:00:00Z".parse().unwrap();
        let target = served_target(
            Some(&prepared),
            None,
            &device,
            &DeviceCapabilities::default(),
            &catalog(),
            now,
        )
        .unwrap();
        assert_eq!(target.version.as_str(), "26.2");
        assert_eq!(target.build.as_deref(), Some("25C56"));
    }

    proptest! {
        #[test]
        fn the_served_target_is_the_enforcement_the_declarations_carry(
            ring in 0usize..4,
            version in prop_oneof![Just("26.0"), Just("26.1"), Just("15.6"), Just("14.5"), Just("13.7")],
            board in prop_oneof![Just("J413AP"), Just("J274AP")],
            user_enrollment in any::<bool>(),
            blocked in any::<bool>(),
            exempt in any::<bool>(),
            day in 1i8..30,
        ) {
            let policy = default_rings().remove(ring).macos;
            let blocked_releases = crate::schedule::BlockedReleases::new(
                blocked.then(|| (Platform::MacOs, AppleOsVersion::parse("26.2").unwrap())),
            );
            let mut prepared = PreparedPolicy::with_blocked(policy, blocked_releases);
            let now: Timestamp = jiff::civil::date(2026, 11, day)
                .at(9, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp();
            if exempt {
                prepared.rules.exempt_until = Some(now + jiff::SignedDuration::from_hours(24));
            }
            let device = DeviceFacts {
                platform: Platform::MacOs,
                os_version: AppleOsVersion::parse(version).unwrap(),
                os_build: None,
                hardware: HardwareCatalog::default().describe(Platform::MacOs, None, Some(board)),
            };
            let capabilities = DeviceCapabilities {
                enrollment: Some(if user_enrollment {
                    EnrollmentType::UserEnrollmentDevice
                } else {
                    EnrollmentType::Device
                }),
                configurations: None,
            };
            let catalog = catalog();
            let served = device_declarations(Some(&prepared), &device, &capabilities, &catalog, now);
            let carried = served
                .declarations
                .declarations()
                .iter()
                .find(|declaration| {
                    declaration.kind() == DeclarationType::SoftwareUpdateEnforcementSpecific
                })
                .map(|declaration| {
                    let payload = declaration.payload();
                    (
                        payload["TargetOSVersion"].as_str().unwrap().to_owned(),
                        payload["TargetBuildVersion"].as_str().map(str::to_owned),
                        payload["TargetLocalDateTime"].as_str().unwrap().to_owned(),
                    )
                });
            let target = served_target(Some(&prepared), None, &device, &capabilities, &catalog, now)
                .map(|target| {
                    (
                        target.version.as_str().to_owned(),
                        target.build,
                        crate::schedule::format_deadline(target.deadline),
                    )
                });
            prop_assert_eq!(target, carried);
            prop_assert_eq!(
                served_target(None, None, &device, &capabilities, &catalog, now),
                None
            );
        }
    }
}
