//! The fast target choice ([`plan_decision_within`]) against the full plan: the same decision
//! for any catalog (in any order), timing, rules, hardware and instant.

use std::collections::BTreeSet;

use jiff::Span;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::properties::{arb_now, arb_release, arb_timing};
use super::*;
use crate::schedule::gates::{GateRule, release_key};
use crate::schedule::pause::PauseSpan;

/// Ids the generated releases list (`J413AP`, `J180dAP`, `Mac14,2`), in other cases too, and
/// one they never list.
const IDS: [&str; 5] = ["J413AP", "j180dap", "MAC14,2", "Mac14,2", "J999AP"];

fn arb_hardware() -> impl Strategy<Value = DeviceHardware> {
    (
        0u8..4,
        0usize..IDS.len(),
        prop::collection::btree_set(0usize..IDS.len(), 0..=2),
        prop::collection::btree_set(24u32..=27, 0..=2),
    )
        .prop_map(|(how, id, boards, majors)| {
            let id = IDS[id];
            match how {
                0 => DeviceHardware::unknown(Platform::MacOs),
                1 => DeviceHardware::with_device_id(Platform::MacOs, id),
                2 => DeviceHardware::with_model(Platform::MacOs, id),
                _ => DeviceHardware {
                    facts_model: Some(id.to_owned()),
                    board_ids: boards.into_iter().map(|i| IDS[i].to_owned()).collect(),
                    os_majors: majors,
                    ..DeviceHardware::with_model(Platform::MacOs, id)
                },
            }
        })
}

fn arb_version() -> impl Strategy<Value = AppleOsVersion> {
    (
        24u32..=27,
        0u32..=3,
        0u32..=2,
        prop::option::weighted(0.15, 0u8..2),
    )
        .prop_map(|(major, minor, patch, letter)| {
            let suffix = letter.map_or(String::new(), |l| format!(" ({})", char::from(b'a' + l)));
            version(&format!("{major}.{minor}.{patch}{suffix}"))
        })
}

fn arb_device() -> impl Strategy<Value = DeviceFacts> {
    (arb_version(), prop::option::of(0u16..50), arb_hardware()).prop_map(
        |(os_version, build, hardware)| DeviceFacts {
            platform: Platform::MacOs,
            os_version,
            os_build: build.map(|build| format!("B{build}")),
            hardware,
        },
    )
}

fn shifted(now: Timestamp, hours: i64) -> Timestamp {
    now.checked_add(Span::new().hours(hours)).unwrap_or(now)
}

/// Blocks, a cap, halts, an exemption, a pause and a gate, each present or not, around `now`.
fn arb_rules(now: Timestamp) -> impl Strategy<Value = TargetRules> {
    (
        prop::collection::vec(arb_version(), 0..3),
        prop::option::of(arb_version()),
        prop::collection::vec(arb_version(), 0..2),
        prop::option::of(-100i64..100),
        prop::option::of((
            -2000i64..100,
            prop::option::of(-100i64..1000),
            any::<bool>(),
        )),
        prop::option::of(prop::collection::vec((arb_version(), -3000i64..100), 0..4)),
    )
        .prop_map(
            move |(blocked, max_version, halted, exempt, pause, gate)| TargetRules {
                blocked: BlockedReleases::new(blocked.into_iter().map(|v| (Platform::MacOs, v))),
                max_version,
                halted: BlockedReleases::new(halted.into_iter().map(|v| (Platform::MacOs, v))),
                exempt_until: exempt.map(|hours| shifted(now, hours)),
                pauses: pause
                    .map(|(since, until, resumed)| {
                        let since = shifted(now, since);
                        let end = until.map(|hours| shifted(since, hours.abs()));
                        PauseSpan {
                            since,
                            until: end.filter(|_| !resumed),
                            resumed_at: end.filter(|_| resumed),
                        }
                    })
                    .into_iter()
                    .collect(),
                gate: gate.map(|openings| GateRule {
                    after: "Vanguard".into(),
                    min_installed_percent: 80,
                    max_failed_percent: 5,
                    min_days: 2,
                    opened: openings
                        .into_iter()
                        .map(|(v, hours)| (release_key(Platform::MacOs, &v), shifted(now, hours)))
                        .collect(),
                    progress: Default::default(),
                }),
            },
        )
}

fn arb_case() -> impl Strategy<
    Value = (
        ScheduleTiming,
        DeviceFacts,
        Vec<Release>,
        Timestamp,
        TargetRules,
    ),
> {
    (
        arb_timing(),
        arb_device(),
        prop::collection::vec(arb_release(), 0..16),
        arb_now(),
    )
        .prop_flat_map(|(timing, device, catalog, now)| {
            (
                Just(timing),
                Just(device),
                Just(catalog),
                Just(now),
                arb_rules(now),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fast_choice_decides_what_the_full_plan_decides(
        (timing, device, mut catalog, now, rules) in arb_case(),
    ) {
        // The catalog as generated, newest first (the snapshot's order), and oldest first.
        for order in 0..3 {
            match order {
                1 => catalog.sort_by(|a, b| release_order(b, a)),
                2 => catalog.reverse(),
                _ => {}
            }
            let full = plan_device_within(&timing, &rules, &device, &catalog, now);
            let fast = plan_decision_within(&timing, &rules, &device, &catalog, now);
            prop_assert_eq!(&fast, &full.decision, "{}", full.explanation());
        }
    }
}

#[test]
fn the_fast_choice_covers_every_outcome() {
    // The property above is only as good as the outcomes it reaches: each kind of decision is
    // reached by the generator in a few thousand cases.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..4000 {
        let (timing, device, catalog, now, rules) =
            arb_case().new_tree(&mut runner).unwrap().current();
        let decision = plan_decision_within(&timing, &rules, &device, &catalog, now);
        seen.insert(match decision {
            Ok(_) => "enforced",
            Err(NotEnforced::EnforcementOff) => "off",
            Err(NotEnforced::WrongPlatform { .. }) => "platform",
            Err(NotEnforced::UpToDate) => "up to date",
            Err(NotEnforced::NothingVisibleYet { .. }) => "not visible",
            Err(NotEnforced::AllExpired) => "expired",
            Err(NotEnforced::PrerequisiteMissing) => "prerequisite",
            Err(NotEnforced::NotSupportedOnModel) => "model",
            Err(NotEnforced::HeldBack) => "held back",
            Err(NotEnforced::Exempt { .. }) => "exempt",
            Err(NotEnforced::WaitingForGate(_)) => "gate",
            Err(NotEnforced::Paused { .. }) => "paused",
        });
    }
    let expected = [
        "enforced",
        "off",
        "up to date",
        "not visible",
        "expired",
        "prerequisite",
        "model",
        "held back",
        "exempt",
        "gate",
        "paused",
    ];
    for outcome in expected {
        assert!(seen.contains(outcome), "never reached {outcome}: {seen:?}");
    }
}
