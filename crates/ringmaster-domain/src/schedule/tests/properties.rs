//! Property tests of the schedule: invariants that hold for any catalog, timing, device and
//! instant.

use jiff::Span;
use proptest::prelude::*;

use super::*;

const MODELS: [&str; 3] = ["J413AP", "J180dAP", "Mac14,2"];

fn arb_version() -> impl Strategy<Value = AppleOsVersion> {
    (
        24u32..=27,
        0u32..=3,
        0u32..=2,
        prop::option::weighted(0.15, 0u8..2),
    )
        .prop_map(|(major, minor, patch, letter)| {
            let mut text = format!("{major}.{minor}.{patch}");
            if let Some(letter) = letter {
                text.push_str(&format!(" ({})", char::from(b'a' + letter)));
            }
            version(&text)
        })
}

fn base_day() -> Date {
    date(2027, 12, 1)
}

pub(super) fn arb_release() -> impl Strategy<Value = Release> {
    (
        arb_version(),
        0u16..50,
        -200i64..200,
        prop::option::of(0i64..200),
        prop::collection::btree_set(0usize..MODELS.len(), 0..=2),
        prop::option::of(0u16..50),
    )
        .prop_map(
            |(version, build, released, lifetime, models, prerequisite)| {
                let released_on = base_day().checked_add(Span::new().days(released)).unwrap();
                Release {
                    platform: Platform::MacOs,
                    build: Some(format!("B{}", build)),
                    released_on,
                    expires_on: lifetime
                        .map(|days| released_on.checked_add(Span::new().days(days)).unwrap()),
                    supported_devices: models.into_iter().map(|i| MODELS[i].to_owned()).collect(),
                    security: None,
                    prerequisite_build: if version.is_supplemental() {
                        prerequisite.map(|build| format!("B{build}"))
                    } else {
                        None
                    },
                    seen_at: None,
                    source: FeedFormat::Gdmf,
                    version,
                }
            },
        )
}

fn arb_days() -> impl Strategy<Value = Option<u16>> {
    prop::option::of(1u16..=90)
}

pub(super) fn arb_timing() -> impl Strategy<Value = ScheduleTiming> {
    (
        arb_days(),
        arb_days(),
        prop::option::of((0u16..=365, 0i8..24, any::<bool>())),
    )
        .prop_map(|(major_days, minor_days, enforcement)| ScheduleTiming {
            platform: Platform::MacOs,
            major_days,
            minor_days,
            system_days: None,
            combined_days: None,
            enforcement: enforcement.map(|(grace_days, hour, same)| EnforcementTiming {
                grace_days,
                local_time: Time::new(hour, 0, 0, 0).unwrap(),
                scope: if same {
                    EnforcementScope::SameMajor
                } else {
                    EnforcementScope::Latest
                },
            }),
        })
}

pub(super) fn arb_device() -> impl Strategy<Value = DeviceFacts> {
    (
        arb_version(),
        prop::option::of(0u16..50),
        prop::option::of(0usize..MODELS.len()),
    )
        .prop_map(|(os_version, build, model)| DeviceFacts {
            platform: Platform::MacOs,
            os_version,
            os_build: build.map(|build| format!("B{build}")),
            hardware: match model {
                Some(i) => DeviceHardware::with_device_id(Platform::MacOs, MODELS[i]),
                None => DeviceHardware::unknown(Platform::MacOs),
            },
        })
}

pub(super) fn arb_now() -> impl Strategy<Value = Timestamp> {
    (-250i64..250, 0i64..86_400).prop_map(|(day, second)| {
        start_of_day_utc(base_day())
            .checked_add(Span::new().hours(day * 24).seconds(second))
            .unwrap()
    })
}

fn arb_rules() -> impl Strategy<Value = TargetRules> {
    (
        prop::collection::vec(arb_version(), 0..4),
        prop::option::of(arb_version()),
    )
        .prop_map(|(blocked, max_version)| TargetRules {
            blocked: BlockedReleases::new(
                blocked
                    .into_iter()
                    .map(|version| (Platform::MacOs, version)),
            ),
            max_version,
            ..TargetRules::none()
        })
}

proptest! {
    #[test]
    fn no_target_is_blocked_or_above_the_cap_and_it_is_the_newest_allowed(
        timing in arb_timing(),
        rules in arb_rules(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        now in arb_now(),
    ) {
        let open = plan_device(&timing, &device, &catalog, now);
        let held = plan_device_within(&timing, &rules, &device, &catalog, now);
        let allowed = |version: &AppleOsVersion| {
            !rules.blocked.contains(Platform::MacOs, version)
                && rules.max_version.as_ref().is_none_or(|cap| version <= cap)
        };
        if let Some(enforcement) = held.enforcement() {
            prop_assert!(allowed(&enforcement.version));
        }
        // The target is the newest release the unrestricted plan finds eligible and the rules allow.
        let expected = open
            .releases
            .iter()
            .filter(|release| release.status == ReleaseStatus::Eligible && allowed(&release.version))
            .map(|release| (&release.version, &release.build))
            .next_back();
        let got = held
            .enforcement()
            .map(|enforcement| (&enforcement.version, &enforcement.target_build));
        if timing.enforcement.is_some() {
            prop_assert_eq!(got, expected);
        } else {
            prop_assert_eq!(got, None);
        }
    }

    #[test]
    fn the_enforced_release_is_newer_visible_and_signed(
        timing in arb_timing(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        now in arb_now(),
    ) {
        let plan = plan_device(&timing, &device, &catalog, now);
        if let Some(enforcement) = plan.enforcement() {
            prop_assert!(enforcement.version > device.os_version);
            prop_assert!(enforcement.visible_on <= plan.today);
            prop_assert!(start_of_day_utc(enforcement.visible_on) <= now);
            prop_assert!(enforcement.deadline.date() >= enforcement.visible_on);
            let source = catalog.iter().find(|release| {
                release.version == enforcement.version && release.build == enforcement.target_build
            });
            prop_assert!(source.is_some());
            let source = source.unwrap();
            prop_assert!(source.expires_on.is_none_or(|last| last >= plan.today));
            if let Some(model) = &device.hardware.software_update_device_id {
                prop_assert!(
                    source.supported_devices.is_empty() || source.supported_devices.contains(model)
                );
            }
            if timing.enforcement.as_ref().unwrap().scope == EnforcementScope::SameMajor {
                prop_assert_eq!(enforcement.version.major(), device.os_version.major());
            }
            // Nothing eligible is newer than the target.
            for release in &plan.releases {
                if release.status == ReleaseStatus::Eligible {
                    prop_assert!(release.version <= enforcement.version);
                }
            }
        } else {
            prop_assert!(plan.releases.iter().all(|r| r.status != ReleaseStatus::Eligible)
                || timing.enforcement.is_none());
        }
        for release in &plan.releases {
            prop_assert!(release.version > device.os_version);
            prop_assert!(release.visible_on >= release.released_on);
            prop_assert_eq!(release.visible, release.visible_at <= now);
        }
    }

    #[test]
    fn longer_deferrals_never_show_a_release_earlier(
        timing in arb_timing(),
        extra_major in 0u16..60,
        extra_minor in 0u16..60,
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        now in arb_now(),
    ) {
        let mut longer = timing;
        longer.major_days = Some(timing.major_days.unwrap_or(0) + extra_major);
        longer.minor_days = Some(timing.minor_days.unwrap_or(0) + extra_minor);
        let short = plan_device(&timing, &device, &catalog, now);
        let long = plan_device(&longer, &device, &catalog, now);
        prop_assert_eq!(short.releases.len(), long.releases.len());
        for (a, b) in short.releases.iter().zip(&long.releases) {
            prop_assert_eq!(&a.version, &b.version);
            prop_assert!(b.visible_on >= a.visible_on);
            // The 90-day cap; a supplemental may wait longer, for its base.
            if b.kind != DeferralKind::Supplemental {
                prop_assert!(b.visible_on <= b.released_on.checked_add(Span::new().days(90)).unwrap());
            }
        }
        let from = base_day().checked_sub(Span::new().days(400)).unwrap();
        let to = base_day().checked_add(Span::new().days(400)).unwrap();
        let short = rollout(&timing, &catalog, Platform::MacOs, from, to);
        let long = rollout(&longer, &catalog, Platform::MacOs, from, to);
        for entry in &long {
            let earlier = short
                .iter()
                .find(|e| e.version == entry.version && e.build == entry.build)
                .map(|e| e.visible_on);
            prop_assert!(earlier.is_some_and(|day| day <= entry.visible_on));
        }
    }

    #[test]
    fn plans_are_deterministic_and_ignore_catalog_order(
        timing in arb_timing(),
        device in arb_device(),
        catalog in prop::collection::vec(arb_release(), 0..12),
        now in arb_now(),
    ) {
        let plan = plan_device(&timing, &device, &catalog, now);
        prop_assert_eq!(&plan, &plan_device(&timing, &device, &catalog, now));
        let mut reversed = catalog.clone();
        reversed.reverse();
        let other = plan_device(&timing, &device, &reversed, now);
        prop_assert_eq!(plan.decision, other.decision);
        let from = base_day().checked_sub(Span::new().days(100)).unwrap();
        let to = base_day().checked_add(Span::new().days(100)).unwrap();
        prop_assert_eq!(
            rollout(&timing, &catalog, Platform::MacOs, from, to),
            rollout(&timing, &reversed, Platform::MacOs, from, to)
        );
    }
}
