//! Which devices a notifier round must recompute, and recomputing them once per distinct input.
//!
//! - [`Scope::between`] compares the snapshot of the last round with the current one. When only
//!   the release catalog, the bindings and the device groups' members changed, the round
//!   recomputes the devices of the platforms whose releases changed, and the devices a binding
//!   change can move: those the old or the new binding reaches (directly or through a device
//!   group), and those that joined or left a device group. (Which policy wins on a device
//!   depends only on the bindings that reach it and on how: [`ringmaster_domain::assignment`].)
//!   A new UTC day (deferrals end, deadlines and expiry move at 00:00 UTC), or any other change
//!   (policies, groups of policies, blocks, exemptions, hardware facts, pauses, gates), reaches
//!   every device, and so does the periodic round (device rows change sets too). Devices whose
//!   notification failed are recomputed in the next round whatever its scope.
//!   **A new field of the snapshot must be compared in `only_catalog_changed`** (or scoped
//!   here), or a change of it would be taken for no change.
//! - [`Memo`] computes a set once per distinct input (winning policy, exemption in force, the
//!   device row's facts): devices that share them share the token, so a round over a uniform
//!   fleet costs a resolution and a lookup per device.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::Subject;
use ringmaster_domain::ids::{DeviceGroupId, PolicyId};
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::StoredDevice;
use ringmaster_store::os_updates::policies::BindingTargets;

use crate::os_updates::served_cache::DeviceKey;
use crate::os_updates::service::OsUpdates;
use crate::os_updates::snapshot::OsUpdateSnapshot;

/// The devices a round recomputes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every device.
    All,
    /// The devices of `platforms` (a catalog change) and the `devices` named (a binding or
    /// device-group change); both empty when the change affects no device's set.
    Only {
        platforms: BTreeSet<Platform>,
        devices: HashSet<String>,
    },
}

impl Scope {
    /// A configuration change that affects no device's set.
    pub fn nothing() -> Scope {
        Scope::Only {
            platforms: BTreeSet::new(),
            devices: HashSet::new(),
        }
    }

    /// What changed from `previous` (the last round's snapshot and UTC day) to `current`.
    pub fn between(
        previous: Option<(&OsUpdateSnapshot, Date)>,
        current: &OsUpdateSnapshot,
        today: Date,
    ) -> Scope {
        let Some((previous, day)) = previous else {
            return Scope::All;
        };
        if day != today {
            return Scope::All;
        }
        // The periodic round, with no configuration change: every device, as device rows
        // (versions reported since) change sets too.
        if previous.revision == current.revision {
            return Scope::All;
        }
        if !only_catalog_changed(previous, current) {
            return Scope::All;
        }
        let platforms: BTreeSet<Platform> = [Platform::MacOs, Platform::Ios]
            .into_iter()
            .filter(|platform| {
                let of = |snapshot: &'_ OsUpdateSnapshot| {
                    snapshot
                        .releases
                        .iter()
                        .filter(|release| release.platform == *platform)
                        .cloned()
                        .collect::<Vec<_>>()
                };
                of(previous) != of(current)
            })
            .collect();
        Scope::Only {
            platforms,
            devices: rebound_devices(previous, current),
        }
    }

    /// Whether the device `id`, on `platform`, is in scope.
    pub fn includes(&self, id: &str, platform: Option<Platform>) -> bool {
        match self {
            Scope::All => true,
            Scope::Only { platforms, devices } => {
                platform.is_some_and(|p| platforms.contains(&p)) || devices.contains(id)
            }
        }
    }

    /// Whether no device is in scope.
    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Only { platforms, devices } if platforms.is_empty() && devices.is_empty())
    }
}

/// Whether everything but the releases, the bindings and the device groups' members is the
/// same in both snapshots.
fn only_catalog_changed(previous: &OsUpdateSnapshot, current: &OsUpdateSnapshot) -> bool {
    previous.hardware == current.hardware
        && previous.blocked == current.blocked
        && previous.exemptions == current.exemptions
        && previous.policies == current.policies
        && previous.policy_groups == current.policy_groups
        && previous.pauses == current.pauses
        && previous.gates == current.gates
        && previous.gate_evaluations == current.gate_evaluations
        && previous.halts == current.halts
}

/// The devices whose winning policies a change of bindings or of device groups can change:
/// every device the old or the new binding of a changed subject reaches, and every device that
/// joined or left a device group.
fn rebound_devices(previous: &OsUpdateSnapshot, current: &OsUpdateSnapshot) -> HashSet<String> {
    let mut devices = HashSet::new();
    let subjects: BTreeSet<&Subject> = previous
        .bindings
        .keys()
        .chain(current.bindings.keys())
        .collect();
    let none = BindingTargets::default();
    for subject in subjects {
        let before = previous.bindings.get(subject).unwrap_or(&none);
        let after = current.bindings.get(subject).unwrap_or(&none);
        if before != after {
            reached(previous, before, &mut devices);
            reached(current, after, &mut devices);
        }
    }
    let groups: BTreeSet<&DeviceGroupId> = previous
        .device_groups
        .keys()
        .chain(current.device_groups.keys())
        .collect();
    for group in groups {
        let members = |snapshot: &'_ OsUpdateSnapshot| -> BTreeSet<String> {
            snapshot
                .device_groups
                .get(group)
                .map(|group| group.devices.iter().cloned().collect())
                .unwrap_or_default()
        };
        let (before, after) = (members(previous), members(current));
        devices.extend(before.symmetric_difference(&after).cloned());
    }
    devices
}

/// Adds the devices `targets` reaches under `snapshot`: its devices and its device groups'
/// members.
fn reached(snapshot: &OsUpdateSnapshot, targets: &BindingTargets, devices: &mut HashSet<String>) {
    devices.extend(targets.devices.iter().cloned());
    for group in &targets.device_groups {
        if let Some(group) = snapshot.device_groups.get(group) {
            devices.extend(group.devices.iter().cloned());
        }
    }
}

/// What a device's set depends on besides the snapshot and the instant: its winning automatic
/// and specific-version policies, its exemption and its row's facts.
type MemoKey = (
    Option<PolicyId>,
    Option<PolicyId>,
    Option<Timestamp>,
    DeviceKey,
);

/// Tokens computed in one round, by input.
#[derive(Debug, Default)]
pub struct Memo {
    tokens: HashMap<MemoKey, String>,
    /// Distinct computations made.
    pub computed: usize,
}

impl Memo {
    /// The `DeclarationsToken` of `device` at `now` under `snapshot`.
    pub fn token(
        &mut self,
        os_updates: &OsUpdates,
        snapshot: &Arc<OsUpdateSnapshot>,
        device: &StoredDevice,
        now: Timestamp,
    ) -> String {
        let winner = device.platform.and_then(|platform| {
            snapshot
                .assignments
                .resolve(&device.id, platform)
                .winner
                .map(|winner| winner.policy)
        });
        let specific = device.platform.and_then(|platform| {
            snapshot
                .specific_assignments
                .resolve(&device.id, platform)
                .winner
                .map(|winner| winner.policy)
        });
        let key = (
            winner,
            specific,
            snapshot.exempt_until(&device.id, now),
            DeviceKey::of(device),
        );
        if let Some(token) = self.tokens.get(&key) {
            return token.clone();
        }
        self.computed += 1;
        let token = os_updates.served_set(device, now).declarations_token();
        self.tokens.insert(key, token.clone());
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringmaster_domain::catalog::release::Release;
    use ringmaster_store::os_updates::devices::StoredDeviceGroup;

    fn snapshot(revision: i64, releases: Vec<Release>) -> OsUpdateSnapshot {
        OsUpdateSnapshot {
            revision,
            releases,
            ..OsUpdateSnapshot::default()
        }
    }

    fn only(platforms: &[Platform], devices: &[&str]) -> Scope {
        Scope::Only {
            platforms: platforms.iter().copied().collect(),
            devices: devices.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[test]
    fn a_catalog_change_reaches_the_platforms_it_touched_and_a_new_day_everyone() {
        let feed = include_bytes!("../../../../fixtures/catalog/macos-26-autumn-2025.json");
        let mac: Vec<Release> = ringmaster_domain::catalog::parse_feed(feed, Timestamp::UNIX_EPOCH)
            .unwrap()
            .releases;
        assert!(mac.len() > 1 && mac.iter().all(|r| r.platform == Platform::MacOs));
        let day = jiff::civil::date(2025, 11, 10);
        let before = snapshot(1, mac.iter().skip(1).cloned().collect());
        let after = snapshot(2, mac.clone());
        assert_eq!(Scope::between(None, &after, day), Scope::All);
        let scope = Scope::between(Some((&before, day)), &after, day);
        assert_eq!(scope, only(&[Platform::MacOs], &[]));
        assert!(scope.includes("mac", Some(Platform::MacOs)));
        assert!(!scope.includes("phone", Some(Platform::Ios)));
        assert!(!scope.includes("new", None));
        assert_eq!(
            Scope::between(Some((&before, day)), &after, day.tomorrow().unwrap()),
            Scope::All,
            "a new UTC day"
        );
        assert_eq!(
            Scope::between(Some((&after, day)), &after, day),
            Scope::All,
            "the periodic round"
        );
        let mut repolicied = snapshot(3, mac.clone());
        repolicied.policy_groups.insert(
            ringmaster_domain::ids::PolicyGroupId::new(1),
            ringmaster_store::os_updates::policies::StoredPolicyGroup {
                id: ringmaster_domain::ids::PolicyGroupId::new(1),
                name: "Ring".into(),
                ring_order: Some(0),
                created_at: Timestamp::UNIX_EPOCH,
            },
        );
        assert_eq!(
            Scope::between(Some((&after, day)), &repolicied, day),
            Scope::All,
            "a policy group"
        );
        let unchanged = snapshot(4, mac);
        assert_eq!(
            Scope::between(Some((&after, day)), &unchanged, day),
            Scope::nothing(),
            "a revision that changed no release"
        );
        assert!(Scope::nothing().is_empty() && !Scope::All.is_empty());
    }

    fn group(id: i64, devices: &[&str]) -> (DeviceGroupId, StoredDeviceGroup) {
        let id = DeviceGroupId::new(id);
        let group = StoredDeviceGroup {
            id,
            name: format!("group {id}"),
            devices: devices.iter().map(|d| (*d).to_owned()).collect(),
            revision: 1,
            created_at: Timestamp::UNIX_EPOCH,
        };
        (id, group)
    }

    fn targets(devices: &[&str], groups: &[i64]) -> BindingTargets {
        BindingTargets {
            devices: devices.iter().map(|d| (*d).to_owned()).collect(),
            device_groups: groups.iter().map(|g| DeviceGroupId::new(*g)).collect(),
        }
    }

    #[test]
    fn a_binding_reaches_the_devices_of_its_old_and_new_targets_and_a_group_its_movers() {
        let day = jiff::civil::date(2025, 11, 10);
        let ring = Subject::PolicyGroup(ringmaster_domain::ids::PolicyGroupId::new(1));
        let policy = Subject::Policy(PolicyId::new(7));
        let mut before = snapshot(1, Vec::new());
        before.device_groups = [group(1, &["a", "b"]), group(2, &["c"]), group(3, &["x"])].into();
        before.bindings = [
            (ring, targets(&["d"], &[1])),
            (policy, targets(&["e"], &[])),
        ]
        .into();

        // The ring moves from group 1 and device d to group 2; the policy's binding is removed.
        let mut after = snapshot(2, Vec::new());
        after.device_groups = before.device_groups.clone();
        after.bindings = [(ring, targets(&[], &[2]))].into();
        let scope = Scope::between(Some((&before, day)), &after, day);
        assert_eq!(scope, only(&[], &["a", "b", "c", "d", "e"]));
        assert!(scope.includes("a", None) && !scope.includes("x", Some(Platform::MacOs)));

        // A member joins group 3 (bound or not) and another leaves group 2: those two only.
        let mut moved = snapshot(3, Vec::new());
        moved.bindings = after.bindings.clone();
        moved.device_groups = [group(1, &["a", "b"]), group(2, &[]), group(3, &["x", "y"])].into();
        assert_eq!(
            Scope::between(Some((&after, day)), &moved, day),
            only(&[], &["c", "y"])
        );
        // A renamed group with the same members reaches nobody.
        let mut renamed = snapshot(4, Vec::new());
        renamed.bindings = moved.bindings.clone();
        renamed.device_groups = moved.device_groups.clone();
        if let Some(group) = renamed.device_groups.get_mut(&DeviceGroupId::new(3)) {
            group.name = "renamed".into();
            group.revision = 4;
        }
        assert_eq!(
            Scope::between(Some((&moved, day)), &renamed, day),
            Scope::nothing()
        );
    }
}
