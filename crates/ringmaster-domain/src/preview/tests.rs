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
