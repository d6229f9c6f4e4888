//! Which update policy takes effect on a device, and why.
//!
//! Policies and policy groups (rings) are bound to devices and to device groups. A device may
//! therefore be reached by several policies; DDM allows one software-update policy per device,
//! so exactly one wins, by these rules, each deciding only when the ones before it tie:
//!
//! 1. **Platform.** Only policies of the device's platform count; the others are ignored (a policy
//!    bound to a mixed group applies to its own platform's devices only).
//! 2. **Directness.** A binding to the device itself beats a binding to a device group it is in.
//! 3. **Specificity.** A policy bound on its own beats one bound through its policy group.
//! 4. **Ring.** A policy in a later ring (a larger ring order) beats one in an earlier ring, and
//!    any ring beats a policy in no ring: the more cautious rollout wins.
//! 5. **Age.** The older policy (the smaller id) wins.
//!
//! Each candidate is ranked by its strongest route to the device. More than one candidate is a
//! conflict: it is reported with the rule that decided it, so an admin can fix the bindings.
//! [`Assignments`] indexes the bindings once, so resolving a device costs a few map lookups.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::ids::{DeviceGroupId, PolicyGroupId, PolicyId};
use crate::platform::Platform;

/// What a binding attaches to targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Policy(PolicyId),
    PolicyGroup(PolicyGroupId),
}

/// A policy as the resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFacts {
    pub id: PolicyId,
    pub platform: Platform,
    /// The policy group (ring) holding it.
    pub group: Option<PolicyGroupId>,
}

/// A policy group as the resolution sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupFacts {
    pub id: PolicyGroupId,
    /// The ring's position; later rings are larger.
    pub ring_order: Option<i32>,
}

/// One binding: a subject attached to devices and device groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingFacts {
    pub subject: Subject,
    pub devices: Vec<String>,
    pub device_groups: Vec<DeviceGroupId>,
}

/// How a binding reaches the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// Bound to the device itself.
    Device,
    /// Bound to a device group the device is in.
    DeviceGroup(DeviceGroupId),
}

/// One way a policy reaches a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    pub via: Via,
    /// The bound subject: the policy itself or its policy group.
    pub subject: Subject,
}

/// A policy that reaches the device, with every route and its rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub policy: PolicyId,
    pub group: Option<PolicyGroupId>,
    pub ring_order: Option<i32>,
    /// Sorted, strongest first.
    pub routes: Vec<Route>,
}

impl Candidate {
    fn strongest(&self) -> Route {
        self.routes[0]
    }

    /// Greater is stronger.
    fn rank(&self) -> (bool, bool, Option<i32>, std::cmp::Reverse<PolicyId>) {
        let route = self.strongest();
        (
            route.via == Via::Device,
            matches!(route.subject, Subject::Policy(_)),
            self.ring_order,
            std::cmp::Reverse(self.policy),
        )
    }
}

/// The rule that put one candidate ahead of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecidingRule {
    Directness,
    Specificity,
    Ring,
    Age,
}

impl DecidingRule {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DecidingRule::Directness => "directness",
            DecidingRule::Specificity => "specificity",
            DecidingRule::Ring => "ring",
            DecidingRule::Age => "age",
        }
    }
}

impl fmt::Display for DecidingRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecidingRule::Directness => {
                "a binding to the device itself beats a binding to a device group"
            }
            DecidingRule::Specificity => {
                "a policy bound on its own beats one bound through its policy group"
            }
            DecidingRule::Ring => "the later ring wins",
            DecidingRule::Age => "the older policy wins",
        })
    }
}

/// A candidate that lost, and the rule that decided against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overruled {
    pub candidate: Candidate,
    pub rule: DecidingRule,
}

/// The outcome for one device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    pub winner: Option<Candidate>,
    /// Other policies of the device's platform that reach it, strongest first.
    pub overruled: Vec<Overruled>,
    /// Policies of another platform bound to the device or its groups.
    pub ignored: Vec<Candidate>,
}

impl Resolution {
    /// More than one policy of the device's platform reaches it.
    pub fn has_conflict(&self) -> bool {
        !self.overruled.is_empty()
    }
}

/// The bindings, indexed for resolving devices.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    policies: HashMap<PolicyId, PolicyFacts>,
    ring_orders: HashMap<PolicyGroupId, Option<i32>>,
    /// Policy group → its policies.
    group_policies: HashMap<PolicyGroupId, Vec<PolicyId>>,
    /// Device → subjects bound to it directly.
    device_subjects: HashMap<String, Vec<Subject>>,
    /// Device group → subjects bound to it.
    group_subjects: HashMap<DeviceGroupId, Vec<Subject>>,
    /// Device → the device groups it is in.
    memberships: HashMap<String, Vec<DeviceGroupId>>,
}

impl Assignments {
    /// Indexes `bindings`; `device_groups` lists each device group's members.
    pub fn new(
        policies: &[PolicyFacts],
        groups: &[GroupFacts],
        device_groups: &[(DeviceGroupId, Vec<String>)],
        bindings: &[BindingFacts],
    ) -> Assignments {
        let mut index = Assignments {
            ring_orders: groups.iter().map(|g| (g.id, g.ring_order)).collect(),
            ..Assignments::default()
        };
        for policy in policies {
            index.policies.insert(policy.id, policy.clone());
            if let Some(group) = policy.group {
                index
                    .group_policies
                    .entry(group)
                    .or_default()
                    .push(policy.id);
            }
        }
        for (group, members) in device_groups {
            for device in members {
                index
                    .memberships
                    .entry(device.clone())
                    .or_default()
                    .push(*group);
            }
        }
        for binding in bindings {
            for device in &binding.devices {
                index
                    .device_subjects
                    .entry(device.clone())
                    .or_default()
                    .push(binding.subject);
            }
            for group in &binding.device_groups {
                index
                    .group_subjects
                    .entry(*group)
                    .or_default()
                    .push(binding.subject);
            }
        }
        index
    }

    /// The device groups `device` is in.
    pub fn groups_of(&self, device: &str) -> &[DeviceGroupId] {
        self.memberships.get(device).map_or(&[], Vec::as_slice)
    }

    /// Which policy takes effect on `device` (of `platform`), and what it overrules.
    pub fn resolve(&self, device: &str, platform: Platform) -> Resolution {
        let mut routes: BTreeMap<PolicyId, Vec<Route>> = BTreeMap::new();
        let mut add = |via: Via, subject: Subject| {
            let single;
            let policies: &[PolicyId] = match subject {
                Subject::Policy(id) => {
                    single = [id];
                    &single
                }
                Subject::PolicyGroup(group) => {
                    self.group_policies.get(&group).map_or(&[], Vec::as_slice)
                }
            };
            for policy in policies {
                if self.policies.contains_key(policy) {
                    routes
                        .entry(*policy)
                        .or_default()
                        .push(Route { via, subject });
                }
            }
        };
        for subject in self.device_subjects.get(device).into_iter().flatten() {
            add(Via::Device, *subject);
        }
        for group in self.groups_of(device) {
            for subject in self.group_subjects.get(group).into_iter().flatten() {
                add(Via::DeviceGroup(*group), *subject);
            }
        }
        let mut candidates = Vec::new();
        let mut ignored = Vec::new();
        for (policy, mut routes) in routes {
            routes.sort_by(|a, b| route_strength(b).cmp(&route_strength(a)).then(a.cmp(b)));
            routes.dedup();
            let facts = &self.policies[&policy];
            let candidate = Candidate {
                policy,
                group: facts.group,
                ring_order: facts
                    .group
                    .and_then(|group| self.ring_orders.get(&group).copied().flatten()),
                routes,
            };
            if facts.platform == platform {
                candidates.push(candidate);
            } else {
                ignored.push(candidate);
            }
        }
        candidates.sort_by_key(|candidate| std::cmp::Reverse(candidate.rank()));
        let mut candidates = candidates.into_iter();
        let winner = candidates.next();
        let overruled = match &winner {
            Some(winner) => candidates
                .map(|candidate| Overruled {
                    rule: deciding_rule(winner, &candidate),
                    candidate,
                })
                .collect(),
            None => Vec::new(),
        };
        Resolution {
            winner,
            overruled,
            ignored,
        }
    }
}

/// Direct before group, own binding before policy group.
fn route_strength(route: &Route) -> (bool, bool) {
    (
        route.via == Via::Device,
        matches!(route.subject, Subject::Policy(_)),
    )
}

fn deciding_rule(winner: &Candidate, loser: &Candidate) -> DecidingRule {
    let (w, l) = (winner.rank(), loser.rank());
    if w.0 != l.0 {
        DecidingRule::Directness
    } else if w.1 != l.1 {
        DecidingRule::Specificity
    } else if w.2.cmp(&l.2) != Ordering::Equal {
        DecidingRule::Ring
    } else {
        DecidingRule::Age
    }
}

#[cfg(test)]
mod tests;
