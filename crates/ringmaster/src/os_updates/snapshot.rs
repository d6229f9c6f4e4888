//! The OS-update configuration in memory: the catalog, policies prepared for the declarations
//! engine, groups, bindings, and the precedence index (one per policy kind: a device's automatic
//! policy and its specific-version policy are resolved separately).
//!
//! Built from one consistent read of the store ([`Store::load_os_update_config`](ringmaster_store::store::Store::load_os_update_config)) and swapped in
//! whole, so a request always sees one revision of everything. Devices are not part of it: they
//! are read from the store per request.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use ringmaster_domain::assignment::{Assignments, BindingFacts, GroupFacts, PolicyFacts, Subject};
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::fleet::PreparedPolicy;
use ringmaster_domain::fleet::specific::PreparedSpecific;
use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::rollout_control::exempt_at;
use ringmaster_domain::schedule::BlockedReleases;
use ringmaster_domain::schedule::gates::{Gate, GateRule, release_key};
use ringmaster_domain::schedule::pause::PauseSpan;
use ringmaster_store::os_updates::OsUpdateConfig;
use ringmaster_store::os_updates::blocks::StoredBlock;
use ringmaster_store::os_updates::devices::StoredDeviceGroup;
use ringmaster_store::os_updates::exemptions::StoredExemption;
use ringmaster_store::os_updates::gates::{StoredEvaluation, StoredHalt};
use ringmaster_store::os_updates::pauses::StoredPause;
use ringmaster_store::os_updates::policies::{BindingTargets, StoredPolicy, StoredPolicyGroup};

/// One revision of the configuration, indexed.
#[derive(Debug, Default)]
pub struct OsUpdateSnapshot {
    /// The store's OS-update revision this reflects; -1 before the first load.
    pub revision: i64,
    /// macOS releases, then iOS releases, each newest first.
    pub releases: Vec<Release>,
    /// What the feeds say about models (OS majors, board ids).
    pub hardware: HardwareCatalog,
    /// Releases blocked everywhere, by platform and version.
    pub blocked: Vec<StoredBlock>,
    /// Each device's exemptions (in force or not), oldest first.
    pub exemptions: HashMap<String, Vec<StoredExemption>>,
    /// Each policy's and ring's latest pause (in force or not).
    pub pauses: BTreeMap<Subject, StoredPause>,
    /// Each gated group's gate.
    pub gates: BTreeMap<PolicyGroupId, Gate>,
    /// What the evaluation rounds recorded, by gated group.
    pub gate_evaluations: Vec<StoredEvaluation>,
    /// Halted releases, with the ring whose failures halted them.
    pub halts: Vec<StoredHalt>,
    pub policies: BTreeMap<PolicyId, StoredPolicy>,
    /// The automatic policies, prepared with the blocked releases and their own and their
    /// ring's pauses.
    pub prepared: HashMap<PolicyId, PreparedPolicy>,
    /// The specific-version policies, prepared.
    pub prepared_specific: HashMap<PolicyId, PreparedSpecific>,
    pub policy_groups: BTreeMap<PolicyGroupId, StoredPolicyGroup>,
    pub device_groups: BTreeMap<DeviceGroupId, StoredDeviceGroup>,
    pub bindings: BTreeMap<Subject, BindingTargets>,
    /// Precedence among the automatic policies.
    pub assignments: Assignments,
    /// Precedence among the specific-version policies.
    pub specific_assignments: Assignments,
}

impl OsUpdateSnapshot {
    /// How many pauses have reached their `until` by `now`; it grows exactly when a pause ends
    /// by itself, so caches keyed by it pick up the end without a configuration change.
    pub fn pauses_ended_by(&self, now: Timestamp) -> usize {
        self.pauses
            .values()
            .filter(|pause| pause.until.is_some_and(|until| until <= now))
            .count()
    }

    pub fn empty() -> OsUpdateSnapshot {
        OsUpdateSnapshot {
            revision: -1,
            ..OsUpdateSnapshot::default()
        }
    }

    pub fn build(config: OsUpdateConfig) -> OsUpdateSnapshot {
        // Each kind is resolved on its own: a device may have one policy of each.
        let (mut policy_facts, mut specific_facts) = (Vec::new(), Vec::new());
        for stored in &config.policies {
            let facts = PolicyFacts {
                id: stored.id,
                platform: stored.policy.platform(),
                group: stored.group_id,
            };
            if stored.policy.specific().is_some() {
                specific_facts.push(facts);
            } else {
                policy_facts.push(facts);
            }
        }
        let group_facts: Vec<GroupFacts> = config
            .policy_groups
            .iter()
            .map(|group| GroupFacts {
                id: group.id,
                ring_order: group.ring_order,
            })
            .collect();
        let members: Vec<(DeviceGroupId, Vec<String>)> = config
            .device_groups
            .iter()
            .map(|group| (group.id, group.devices.clone()))
            .collect();
        let binding_facts: Vec<BindingFacts> = config
            .bindings
            .iter()
            .map(|binding| BindingFacts {
                subject: binding.subject,
                devices: binding.targets.devices.clone(),
                device_groups: binding.targets.device_groups.clone(),
            })
            .collect();
        let assignments = Assignments::new(&policy_facts, &group_facts, &members, &binding_facts);
        let specific_assignments =
            Assignments::new(&specific_facts, &group_facts, &members, &binding_facts);
        let blocked = BlockedReleases::new(
            config
                .blocked
                .iter()
                .map(|block| (block.platform, block.version.clone())),
        );
        let pauses: BTreeMap<Subject, StoredPause> = config
            .pauses
            .into_iter()
            .map(|pause| (pause.subject, pause))
            .collect();
        let gates: BTreeMap<PolicyGroupId, Gate> = config
            .gates
            .iter()
            .map(|stored| (stored.group, stored.gate))
            .collect();
        let group_names: BTreeMap<PolicyGroupId, (String, Option<i32>)> = config
            .policy_groups
            .iter()
            .map(|group| (group.id, (group.name.clone(), group.ring_order)))
            .collect();
        let gate_rules: BTreeMap<PolicyGroupId, GateRule> = gates
            .iter()
            .map(|(group, gate)| {
                let evaluations = config
                    .gate_evaluations
                    .iter()
                    .filter(|evaluation| evaluation.group == *group);
                let rule = GateRule {
                    after: group_names
                        .get(&gate.after)
                        .map_or_else(|| format!("policy group {}", gate.after), |g| g.0.clone()),
                    min_installed_percent: gate.min_installed_percent,
                    max_failed_percent: gate.max_failed_percent,
                    min_days: gate.min_days,
                    opened: evaluations
                        .clone()
                        .filter_map(|evaluation| {
                            let key = release_key(evaluation.platform, &evaluation.version);
                            evaluation.opened_at.map(|at| (key, at))
                        })
                        .collect(),
                    progress: evaluations
                        .map(|evaluation| {
                            let key = release_key(evaluation.platform, &evaluation.version);
                            (key, evaluation.progress)
                        })
                        .collect(),
                };
                (*group, rule)
            })
            .collect();
        let halted_for = |group: PolicyGroupId| {
            BlockedReleases::new(
                config
                    .halts
                    .iter()
                    .filter(|halt| is_later(&gates, &group_names, group, halt.group))
                    .map(|halt| (halt.platform, halt.version.clone())),
            )
        };
        OsUpdateSnapshot {
            revision: config.revision,
            releases: config.releases,
            hardware: config.hardware,
            blocked: config.blocked,
            exemptions: config.exemptions.into_iter().fold(
                HashMap::new(),
                |mut by_device: HashMap<String, Vec<StoredExemption>>, exemption| {
                    by_device
                        .entry(exemption.device_id.clone())
                        .or_default()
                        .push(exemption);
                    by_device
                },
            ),
            prepared_specific: config
                .policies
                .iter()
                .filter_map(|stored| {
                    let mut prepared =
                        PreparedSpecific::new(stored.policy.clone(), blocked.clone())?;
                    prepared.pauses = pause_spans(&pauses, stored);
                    Some((stored.id, prepared))
                })
                .collect(),
            prepared: config
                .policies
                .iter()
                .filter(|stored| stored.policy.specific().is_none())
                .map(|stored| {
                    let mut prepared =
                        PreparedPolicy::with_blocked(stored.policy.clone(), blocked.clone());
                    if let Some(group) = stored.group_id {
                        prepared.rules.gate = gate_rules.get(&group).cloned();
                        prepared.rules.halted = halted_for(group);
                    }
                    prepared.rules.pauses = pause_spans(&pauses, stored);
                    (stored.id, prepared)
                })
                .collect(),
            pauses,
            gates,
            gate_evaluations: config.gate_evaluations,
            halts: config.halts,
            policies: config
                .policies
                .into_iter()
                .map(|stored| (stored.id, stored))
                .collect(),
            policy_groups: config
                .policy_groups
                .into_iter()
                .map(|group| (group.id, group))
                .collect(),
            device_groups: config
                .device_groups
                .into_iter()
                .map(|group| (group.id, group))
                .collect(),
            bindings: config
                .bindings
                .into_iter()
                .map(|binding| (binding.subject, binding.targets))
                .collect(),
            assignments,
            specific_assignments,
        }
    }

    /// The latest end of `device`'s exemptions in force at `at`, if any.
    pub fn exempt_until(&self, device: &str, at: Timestamp) -> Option<Timestamp> {
        self.exemptions
            .get(device)?
            .iter()
            .map(|exemption| exemption.until)
            .filter(|until| exempt_at(*until, at))
            .max()
    }

    /// The policies of a group, ordered by id.
    pub fn policies_in(&self, group: PolicyGroupId) -> impl Iterator<Item = &StoredPolicy> {
        self.policies
            .values()
            .filter(move |policy| policy.group_id == Some(group))
    }

    /// The ring policies of `platform`, earliest ring first, with their group.
    pub fn ring_policies(&self, platform: Platform) -> Vec<(&StoredPolicyGroup, &StoredPolicy)> {
        let mut rings: Vec<(&StoredPolicyGroup, &StoredPolicy)> = self
            .policy_groups
            .values()
            .filter(|group| group.ring_order.is_some())
            .flat_map(|group| {
                self.policies_in(group.id)
                    .filter(move |policy| policy.policy.platform() == platform)
                    .map(move |policy| (group, policy))
            })
            .collect();
        rings.sort_by_key(|(group, policy)| (group.ring_order, group.id, policy.id));
        rings
    }
}

/// The pauses of `stored` and of its policy group, if it has one.
fn pause_spans(pauses: &BTreeMap<Subject, StoredPause>, stored: &StoredPolicy) -> Vec<PauseSpan> {
    [
        Some(Subject::Policy(stored.id)),
        stored.group_id.map(Subject::PolicyGroup),
    ]
    .into_iter()
    .flatten()
    .filter_map(|subject| pauses.get(&subject))
    .map(StoredPause::span)
    .collect()
}

/// Whether ring `group` comes after ring `earlier`: a larger ring order, or gated after it
/// (directly or through other gates).
pub fn is_later(
    gates: &BTreeMap<PolicyGroupId, Gate>,
    groups: &BTreeMap<PolicyGroupId, (String, Option<i32>)>,
    group: PolicyGroupId,
    earlier: PolicyGroupId,
) -> bool {
    let order = |id: PolicyGroupId| groups.get(&id).and_then(|(_, order)| *order);
    if let (Some(mine), Some(theirs)) = (order(group), order(earlier))
        && mine > theirs
    {
        return true;
    }
    let mut current = gates.get(&group).map(|gate| gate.after);
    let mut steps = 0;
    while let Some(after) = current {
        if after == earlier {
            return true;
        }
        steps += 1;
        if steps > gates.len() {
            return false;
        }
        current = gates.get(&after).map(|gate| gate.after);
    }
    false
}
