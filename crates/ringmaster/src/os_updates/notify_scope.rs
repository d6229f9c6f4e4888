//! Which devices a notifier round must recompute, and recomputing them once per distinct input.
//!
//! - [`Scope::between`] compares the snapshot of the last round with the current one: when
//!   only the release catalog changed, just the devices of the platforms whose releases changed
//!   can be affected; a new UTC day (deferrals end, deadlines and expiry move at 00:00 UTC), or any
//!   other change (policies, groups, bindings, device groups, blocks, exemptions, hardware facts),
//!   reaches every device, and so does the periodic round (device rows change sets too). Devices
//!   whose notification failed are recomputed in the next round whatever its scope.
//!   **A new field of the snapshot must be compared in `only_catalog_changed`**, or a change
//!   of it would be taken for no change.
//! - [`Memo`] computes a set once per distinct input (winning policy, exemption in force, the
//!   device row's facts): devices that share them share the token, so a round over a uniform
//!   fleet costs a resolution and a lookup per device.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::StoredDevice;

use crate::os_updates::served_cache::DeviceKey;
use crate::os_updates::service::OsUpdates;
use crate::os_updates::snapshot::OsUpdateSnapshot;

/// The devices a round recomputes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every device.
    All,
    /// The devices of these platforms (a catalog change).
    Platforms(BTreeSet<Platform>),
    /// A configuration change that affects no device's set (a release list unchanged).
    Nothing,
}

impl Scope {
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
                let of = |snapshot: &OsUpdateSnapshot| {
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
        if platforms.is_empty() {
            Scope::Nothing
        } else {
            Scope::Platforms(platforms)
        }
    }

    /// Whether a device on `platform` is in scope.
    pub fn includes(&self, platform: Option<Platform>) -> bool {
        match self {
            Scope::All => true,
            Scope::Platforms(platforms) => platform.is_some_and(|p| platforms.contains(&p)),
            Scope::Nothing => false,
        }
    }
}

/// Whether everything but the releases is the same in both snapshots.
fn only_catalog_changed(previous: &OsUpdateSnapshot, current: &OsUpdateSnapshot) -> bool {
    previous.hardware == current.hardware
        && previous.blocked == current.blocked
        && previous.exemptions == current.exemptions
        && previous.policies == current.policies
        && previous.policy_groups == current.policy_groups
        && previous.device_groups == current.device_groups
        && previous.bindings == current.bindings
        && previous.pauses == current.pauses
        && previous.gates == current.gates
        && previous.gate_evaluations == current.gate_evaluations
        && previous.halts == current.halts
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
        let token = os_updates
            .declarations_for(device, now)
            .served
            .declarations
            .declarations_token();
        self.tokens.insert(key, token.clone());
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringmaster_domain::catalog::release::Release;

    fn snapshot(revision: i64, releases: Vec<Release>) -> OsUpdateSnapshot {
        OsUpdateSnapshot {
            revision,
            releases,
            ..OsUpdateSnapshot::default()
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
        assert_eq!(scope, Scope::Platforms([Platform::MacOs].into()));
        assert!(scope.includes(Some(Platform::MacOs)));
        assert!(!scope.includes(Some(Platform::Ios)));
        assert!(!scope.includes(None));
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
        let mut rebound = snapshot(3, mac.clone());
        rebound.bindings.insert(
            ringmaster_domain::assignment::Subject::Policy(PolicyId::new(1)),
            Default::default(),
        );
        assert_eq!(
            Scope::between(Some((&after, day)), &rebound, day),
            Scope::All,
            "a binding"
        );
        assert_eq!(
            Scope::between(Some((&after, day)), &snapshot(4, mac), day),
            Scope::Nothing,
            "a revision that changed no release"
        );
    }
}
