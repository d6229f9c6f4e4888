//! Precedence rules, one test per rule, and properties that hold for any bindings.

use proptest::prelude::*;

use super::*;
use crate::ids::{DeviceGroupId, PolicyGroupId, PolicyId};

const MAC: Platform = Platform::MacOs;
const IOS: Platform = Platform::Ios;

/// Four rings (groups 1–4, orders 0–3), each with a macOS policy (10+g) and an iOS one (20+g),
/// plus standalone macOS policies 31 and 32.
fn world(device_groups: &[(i64, &[&str])], bindings: &[(Subject, &[&str], &[i64])]) -> Assignments {
    let mut policies = Vec::new();
    let mut groups = Vec::new();
    for ring in 1..=4 {
        groups.push(GroupFacts {
            id: PolicyGroupId::new(ring),
            ring_order: Some(ring as i32 - 1),
        });
        policies.push(PolicyFacts {
            id: PolicyId::new(10 + ring),
            platform: MAC,
            group: Some(PolicyGroupId::new(ring)),
        });
        policies.push(PolicyFacts {
            id: PolicyId::new(20 + ring),
            platform: IOS,
            group: Some(PolicyGroupId::new(ring)),
        });
    }
    for id in [31, 32] {
        policies.push(PolicyFacts {
            id: PolicyId::new(id),
            platform: MAC,
            group: None,
        });
    }
    let device_groups: Vec<(DeviceGroupId, Vec<String>)> = device_groups
        .iter()
        .map(|(id, members)| {
            (
                DeviceGroupId::new(*id),
                members.iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect();
    let bindings: Vec<BindingFacts> = bindings
        .iter()
        .map(|(subject, devices, groups)| BindingFacts {
            subject: *subject,
            devices: devices.iter().map(|d| d.to_string()).collect(),
            device_groups: groups.iter().copied().map(DeviceGroupId::new).collect(),
        })
        .collect();
    Assignments::new(&policies, &groups, &device_groups, &bindings)
}

fn winner(resolution: &Resolution) -> Option<i64> {
    resolution.winner.as_ref().map(|c| c.policy.get())
}

#[test]
fn an_unbound_device_has_no_policy() {
    let resolution = world(&[], &[]).resolve("mac-1", MAC);
    assert_eq!(resolution, Resolution::default());
}

#[test]
fn a_ring_bound_to_a_mixed_group_applies_each_platform_its_own_policy() {
    let world = world(
        &[(100, &["mac-1", "ipad-1"])],
        &[(Subject::PolicyGroup(PolicyGroupId::new(2)), &[], &[100])],
    );
    let mac = world.resolve("mac-1", MAC);
    assert_eq!(winner(&mac), Some(12));
    assert_eq!(
        mac.ignored
            .iter()
            .map(|c| c.policy.get())
            .collect::<Vec<_>>(),
        vec![22]
    );
    assert!(!mac.has_conflict());
    assert_eq!(winner(&world.resolve("ipad-1", IOS)), Some(22));
}

#[test]
fn a_direct_binding_beats_a_group_binding_even_from_an_earlier_ring() {
    let world = world(
        &[(100, &["mac-1"])],
        &[
            (Subject::PolicyGroup(PolicyGroupId::new(4)), &[], &[100]),
            (Subject::PolicyGroup(PolicyGroupId::new(1)), &["mac-1"], &[]),
        ],
    );
    let resolution = world.resolve("mac-1", MAC);
    assert_eq!(winner(&resolution), Some(11));
    assert_eq!(resolution.overruled.len(), 1);
    assert_eq!(resolution.overruled[0].candidate.policy.get(), 14);
    assert_eq!(resolution.overruled[0].rule, DecidingRule::Directness);
}

#[test]
fn a_policy_bound_on_its_own_beats_a_ring_bound_the_same_way() {
    let world = world(
        &[],
        &[
            (Subject::PolicyGroup(PolicyGroupId::new(4)), &["mac-1"], &[]),
            (Subject::Policy(PolicyId::new(31)), &["mac-1"], &[]),
        ],
    );
    let resolution = world.resolve("mac-1", MAC);
    assert_eq!(winner(&resolution), Some(31));
    assert_eq!(resolution.overruled[0].rule, DecidingRule::Specificity);
}

#[test]
fn between_rings_the_later_one_wins() {
    let world = world(
        &[(100, &["mac-1"]), (101, &["mac-1"])],
        &[
            (Subject::PolicyGroup(PolicyGroupId::new(1)), &[], &[100]),
            (Subject::PolicyGroup(PolicyGroupId::new(3)), &[], &[101]),
            (Subject::PolicyGroup(PolicyGroupId::new(2)), &[], &[101]),
        ],
    );
    let resolution = world.resolve("mac-1", MAC);
    assert_eq!(winner(&resolution), Some(13));
    let losers: Vec<(i64, DecidingRule)> = resolution
        .overruled
        .iter()
        .map(|o| (o.candidate.policy.get(), o.rule))
        .collect();
    assert_eq!(
        losers,
        vec![(12, DecidingRule::Ring), (11, DecidingRule::Ring)]
    );
}

#[test]
fn between_standalone_policies_the_older_wins() {
    let world = world(
        &[],
        &[
            (Subject::Policy(PolicyId::new(32)), &["mac-1"], &[]),
            (Subject::Policy(PolicyId::new(31)), &["mac-1"], &[]),
        ],
    );
    let resolution = world.resolve("mac-1", MAC);
    assert_eq!(winner(&resolution), Some(31));
    assert_eq!(resolution.overruled[0].rule, DecidingRule::Age);
}

#[test]
fn a_policy_reached_twice_is_one_candidate_with_its_strongest_route_first() {
    let world = world(
        &[(100, &["mac-1"])],
        &[
            (Subject::PolicyGroup(PolicyGroupId::new(2)), &[], &[100]),
            (Subject::Policy(PolicyId::new(12)), &["mac-1"], &[]),
        ],
    );
    let resolution = world.resolve("mac-1", MAC);
    let winner = resolution.winner.unwrap();
    assert_eq!(winner.policy.get(), 12);
    assert!(
        resolution.overruled.is_empty(),
        "not a conflict with itself"
    );
    assert_eq!(
        winner.routes,
        vec![
            Route {
                via: Via::Device,
                subject: Subject::Policy(PolicyId::new(12))
            },
            Route {
                via: Via::DeviceGroup(DeviceGroupId::new(100)),
                subject: Subject::PolicyGroup(PolicyGroupId::new(2))
            },
        ]
    );
}

#[test]
fn bindings_to_deleted_policies_are_skipped() {
    let world = world(
        &[],
        &[(Subject::Policy(PolicyId::new(99)), &["mac-1"], &[])],
    );
    assert_eq!(world.resolve("mac-1", MAC), Resolution::default());
}

fn arb_subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        prop::sample::select(vec![11i64, 12, 13, 14, 21, 22, 31, 32])
            .prop_map(|id| Subject::Policy(PolicyId::new(id))),
        (1i64..=4).prop_map(|id| Subject::PolicyGroup(PolicyGroupId::new(id))),
    ]
}

fn arb_bindings() -> impl Strategy<Value = Vec<(Subject, bool, Option<i64>)>> {
    prop::collection::vec(
        (arb_subject(), any::<bool>(), prop::option::of(100i64..103)),
        0..8,
    )
}

proptest! {
    #[test]
    fn the_winner_never_depends_on_binding_order_and_outranks_every_loser(
        bindings in arb_bindings(),
        memberships in prop::collection::vec(any::<bool>(), 3),
    ) {
        let groups: Vec<(i64, &[&str])> = memberships
            .iter()
            .zip(100i64..)
            .map(|(member, id)| (id, if *member { &["mac-1"][..] } else { &[][..] }))
            .collect();
        let build = |bindings: &[(Subject, bool, Option<i64>)]| {
            let owned: Vec<(Subject, Vec<&str>, Vec<i64>)> = bindings
                .iter()
                .map(|(subject, direct, group)| {
                    (*subject, if *direct { vec!["mac-1"] } else { vec![] }, group.iter().copied().collect())
                })
                .collect();
            let borrowed: Vec<(Subject, &[&str], &[i64])> = owned
                .iter()
                .map(|(s, d, g)| (*s, d.as_slice(), g.as_slice()))
                .collect();
            world(&groups, &borrowed).resolve("mac-1", MAC)
        };
        let forward = build(&bindings);
        let mut reversed = bindings.clone();
        reversed.reverse();
        prop_assert_eq!(&build(&reversed), &forward);
        if let Some(winner) = &forward.winner {
            for loser in &forward.overruled {
                prop_assert!(winner.rank() > loser.candidate.rank());
            }
        } else {
            prop_assert!(forward.overruled.is_empty());
        }
        let all_mac = forward
            .winner
            .iter()
            .chain(forward.overruled.iter().map(|o| &o.candidate))
            .all(|c| ![21, 22, 23, 24].contains(&c.policy.get()));
        prop_assert!(all_mac, "iOS policies never compete on a Mac");
    }
}
