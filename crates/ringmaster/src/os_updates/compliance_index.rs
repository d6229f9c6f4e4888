//! Compliance held in memory: every device's inputs (its row, what classification reads of its
//! status, whether legacy mechanisms are recorded), its state at one instant, and the counts per
//! policy, so a compliance answer neither reads the fleet nor recomputes it.
//!
//! An index is exact for the instants `computed_at ≤ t < valid_until` under one snapshot and one
//! device data revision ([`ComplianceIndex::serves`]): `valid_until` is the earliest instant at
//! which any device's state or line can change with time alone, the least of the next 00:00 UTC
//! (deferrals, visibility and expiry count whole UTC days), every enforcement's deadline (just
//! past it a device turns overdue), and every exemption's end, pause's start or end and gate opening still
//! ahead. Past it, or under another snapshot, every device is classified again from the inputs
//! held (no database read); a device whose data changed is read and classified alone.
//!
//! Each distinct input (winning automatic and specific-version policy, exemption in force, the
//! device row's facts) is computed once per snapshot and instant ([`Memo`]), as the notifier does:
//! a uniform fleet costs a resolution and a lookup per device.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::compliance::{
    ComplianceCounts, ComplianceState, StatusFacts, classify_facts, rejected_by,
};
use ringmaster_domain::declarations::envelope::DeclarationKind;
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::DevicePlan;
use ringmaster_store::os_updates::device_data::{DeviceData, Revisions};
use ringmaster_store::os_updates::devices::StoredDevice;

use crate::os_updates::ddm::utc_day;
use crate::os_updates::served::served_under;
use crate::os_updates::served_cache::DeviceKey;
use crate::os_updates::snapshot::OsUpdateSnapshot;

/// What compliance reads about one device.
#[derive(Debug, Clone)]
pub struct DeviceInputs {
    pub device: StoredDevice,
    pub status: StatusFacts,
    /// Legacy update mechanisms are recorded against it.
    pub legacy: bool,
}

impl DeviceInputs {
    pub fn of(data: DeviceData) -> DeviceInputs {
        let status = data
            .status
            .as_ref()
            .and_then(|stored| DeviceStatus::from_json(&stored.status).ok())
            .unwrap_or_default();
        DeviceInputs {
            device: data.device,
            status: StatusFacts::of(&status),
            legacy: data.legacy,
        }
    }
}

/// What classification reads of what one distinct input is served, shared by the devices that
/// have it (the plan without its list of releases, and each declaration's server token: a few
/// hundred bytes, where the served declarations themselves take tens of kilobytes).
#[derive(Debug)]
pub struct Served {
    /// The plan, its `releases` left out.
    pub plan: Option<DevicePlan>,
    pub unsupported: Option<String>,
    /// Each served declaration's server token, by kind and identifier.
    pub tokens: HashMap<(DeclarationKind, String), String>,
    /// A policy applies (of either kind) and planned the device.
    pub planned: bool,
    pub target_version: Option<String>,
    pub deadline: Option<String>,
    /// The first instant at which the device is overdue (just past the plan's deadline read as
    /// UTC, as `overdue` reads it), if an update is enforced.
    pub overdue_from: Option<Timestamp>,
}

/// One device's standing at the index's instant.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The automatic policy that wins on it.
    pub policy: Option<PolicyId>,
    /// The specific-version policy that wins on it.
    pub specific: Option<PolicyId>,
    pub exempt_until: Option<Timestamp>,
    pub state: ComplianceState,
    pub legacy_conflict: bool,
    pub rejected: Vec<String>,
    pub served: Arc<Served>,
}

type MemoKey = (
    Option<PolicyId>,
    Option<PolicyId>,
    Option<Timestamp>,
    DeviceKey,
);

/// What each distinct input is served under one snapshot at one instant.
#[derive(Debug, Default)]
pub struct Memo {
    served: HashMap<MemoKey, Arc<Served>>,
}

/// See the module documentation.
#[derive(Debug)]
pub struct ComplianceIndex {
    /// The snapshot every entry was computed under.
    pub snapshot: Arc<OsUpdateSnapshot>,
    /// The device data revision every input reflects (at least).
    pub device_data: i64,
    pub computed_at: Timestamp,
    pub valid_until: Timestamp,
    devices: BTreeMap<String, (DeviceInputs, Entry)>,
    counts: HashMap<PolicyId, ComplianceCounts>,
    specific_counts: HashMap<PolicyId, ComplianceCounts>,
    without_policy: BTreeMap<Platform, usize>,
    memo: Memo,
}

impl ComplianceIndex {
    /// An index of `data` (the whole fleet, read after `revisions`) at `at`.
    pub fn build(
        snapshot: Arc<OsUpdateSnapshot>,
        revisions: Revisions,
        data: Vec<DeviceData>,
        at: Timestamp,
    ) -> ComplianceIndex {
        let mut index = ComplianceIndex {
            snapshot: snapshot.clone(),
            device_data: revisions.device_data,
            computed_at: at,
            valid_until: at,
            devices: BTreeMap::new(),
            counts: HashMap::new(),
            specific_counts: HashMap::new(),
            without_policy: BTreeMap::new(),
            memo: Memo::default(),
        };
        let inputs: Vec<DeviceInputs> = data.into_iter().map(DeviceInputs::of).collect();
        index.devices = inputs
            .into_iter()
            .map(|inputs| {
                let entry = placeholder_entry();
                (inputs.device.id.clone(), (inputs, entry))
            })
            .collect();
        index.recompute(snapshot, at, true);
        index
    }

    /// Whether the index answers exactly for `at` under `snapshot_revision`.
    pub fn serves(&self, snapshot_revision: i64, at: Timestamp) -> bool {
        self.snapshot.revision == snapshot_revision
            && self.computed_at <= at
            && at < self.valid_until
    }

    /// Classifies every device again under `snapshot` at `at` (resolving each device's winning
    /// policies again when `resolve`, else keeping them: same snapshot, time moved).
    pub fn recompute(&mut self, snapshot: Arc<OsUpdateSnapshot>, at: Timestamp, resolve: bool) {
        self.memo = Memo::default();
        self.counts.clear();
        self.specific_counts.clear();
        self.without_policy.clear();
        self.snapshot = snapshot;
        self.computed_at = at;
        self.valid_until = time_boundary(&self.snapshot, at);
        let mut devices = std::mem::take(&mut self.devices);
        for (inputs, entry) in devices.values_mut() {
            let winners = (!resolve).then_some((entry.policy, entry.specific));
            *entry = self.entry_for(inputs, at, winners);
            self.add(inputs, entry);
        }
        self.devices = devices;
    }

    /// Replaces the inputs of the devices in `changed` (read after the index's revision) and
    /// classifies them at the index's instant.
    pub fn apply(&mut self, changed: Vec<DeviceData>, device_data: i64) {
        let at = self.computed_at;
        for data in changed {
            let inputs = DeviceInputs::of(data);
            if let Some((old_inputs, old_entry)) = self.devices.remove(&inputs.device.id) {
                self.remove(&old_inputs, &old_entry);
            }
            let entry = self.entry_for(&inputs, at, None);
            self.add(&inputs, &entry);
            self.devices
                .insert(inputs.device.id.clone(), (inputs, entry));
        }
        self.device_data = self.device_data.max(device_data);
    }

    /// Drops the devices not in `present` (deleted since).
    pub fn retain(&mut self, present: &std::collections::HashSet<String>) {
        self.devices.retain(|id, _| present.contains(id));
    }

    /// How many devices are indexed.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The counts of automatic policy `id` (of specific-version policy `id` when `specific`).
    pub fn counts(&self, id: PolicyId, specific: bool) -> ComplianceCounts {
        let counts = if specific {
            &self.specific_counts
        } else {
            &self.counts
        };
        counts.get(&id).copied().unwrap_or_default()
    }

    /// Devices of `platform` that no policy of either kind reaches.
    pub fn without_policy(&self, platform: Platform) -> usize {
        self.without_policy.get(&platform).copied().unwrap_or(0)
    }

    /// The devices policy `id` applies to (the specific-version policy, when `specific`), in id
    /// order, after device id `after` if given.
    pub fn devices_of(
        &self,
        id: PolicyId,
        specific: bool,
        after: Option<&str>,
    ) -> impl Iterator<Item = (&DeviceInputs, &Entry)> {
        let range = match after {
            Some(after) => self
                .devices
                .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => self.devices.range::<str, _>(..),
        };
        range
            .map(|(_, (inputs, entry))| (inputs, entry))
            .filter(move |(_, entry)| {
                let winner = if specific {
                    entry.specific
                } else {
                    entry.policy
                };
                winner == Some(id)
            })
    }

    fn entry_for(
        &mut self,
        inputs: &DeviceInputs,
        at: Timestamp,
        winners: Option<(Option<PolicyId>, Option<PolicyId>)>,
    ) -> Entry {
        let device = &inputs.device;
        let snapshot = &self.snapshot;
        let (policy, specific) = winners.unwrap_or_else(|| match device.platform {
            Some(platform) => (
                snapshot
                    .assignments
                    .resolve(&device.id, platform)
                    .winner
                    .map(|winner| winner.policy),
                snapshot
                    .specific_assignments
                    .resolve(&device.id, platform)
                    .winner
                    .map(|winner| winner.policy),
            ),
            None => (None, None),
        });
        let exempt_until = snapshot.exempt_until(&device.id, at);
        let key = (policy, specific, exempt_until, DeviceKey::of(device));
        let served = match self.memo.served.get(&key) {
            Some(served) => served.clone(),
            None => {
                let served = Arc::new(served_of(snapshot.clone(), device, at));
                if let Some(overdue) = served.overdue_from
                    && overdue > at
                {
                    self.valid_until = self.valid_until.min(overdue);
                }
                self.memo.served.insert(key, served.clone());
                served
            }
        };
        let known = device.platform.is_some() && device.os_version.is_some();
        let plan = served.plan.as_ref().filter(|_| served.planned);
        let rejected = rejected_by(
            |kind, identifier| {
                served
                    .tokens
                    .get(&(kind, identifier.to_owned()))
                    .map(String::as_str)
            },
            &inputs.status,
        );
        let state = classify_facts(
            known,
            plan,
            served.unsupported.is_some(),
            !rejected.is_empty(),
            &inputs.status,
        );
        Entry {
            policy,
            specific,
            exempt_until,
            state,
            legacy_conflict: inputs.legacy && (policy.is_some() || specific.is_some()),
            rejected,
            served,
        }
    }

    fn add(&mut self, inputs: &DeviceInputs, entry: &Entry) {
        self.tally(inputs, entry, true);
    }

    fn remove(&mut self, inputs: &DeviceInputs, entry: &Entry) {
        self.tally(inputs, entry, false);
    }

    fn tally(&mut self, inputs: &DeviceInputs, entry: &Entry, add: bool) {
        let apply = |counts: &mut ComplianceCounts| {
            if add {
                counts.add(entry.state, entry.legacy_conflict);
            } else {
                counts.remove(entry.state, entry.legacy_conflict);
            }
        };
        if let Some(policy) = entry.policy {
            apply(self.counts.entry(policy).or_default());
        }
        if let Some(specific) = entry.specific {
            apply(self.specific_counts.entry(specific).or_default());
        }
        if entry.policy.is_none()
            && entry.specific.is_none()
            && let Some(platform) = inputs.device.platform
        {
            let count = self.without_policy.entry(platform).or_default();
            *count = if add {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
        }
    }
}

/// An entry replaced before anyone reads it ([`ComplianceIndex::build`] classifies every
/// device at once).
fn placeholder_entry() -> Entry {
    Entry {
        policy: None,
        specific: None,
        exempt_until: None,
        state: ComplianceState::Unknown,
        legacy_conflict: false,
        rejected: Vec::new(),
        served: Arc::new(Served {
            plan: None,
            unsupported: None,
            tokens: HashMap::new(),
            planned: false,
            target_version: None,
            deadline: None,
            overdue_from: None,
        }),
    }
}

fn served_of(snapshot: Arc<OsUpdateSnapshot>, device: &StoredDevice, at: Timestamp) -> Served {
    let served = served_under(snapshot, device, at);
    let planned = served.policy.is_some() || served.specific.is_some();
    let enforcement = served.served.enforcement();
    // `overdue` is "the deadline is before now": true from one nanosecond past it.
    let overdue_from = served
        .served
        .plan
        .as_ref()
        .and_then(|plan| plan.enforcement())
        .and_then(|enforcement| enforcement.deadline.to_zoned(TimeZone::UTC).ok())
        .and_then(|zoned| {
            zoned
                .timestamp()
                .checked_add(SignedDuration::from_nanos(1))
                .ok()
        });
    let declarations = &served.served.declarations;
    Served {
        target_version: enforcement.map(|e| e.version.as_str().to_owned()),
        deadline: enforcement.map(|e| e.deadline_text()),
        overdue_from,
        planned,
        tokens: declarations
            .declarations()
            .iter()
            .map(|declaration| {
                (
                    (
                        declaration.kind().kind(),
                        declaration.identifier().as_str().to_owned(),
                    ),
                    declaration.server_token().to_owned(),
                )
            })
            .collect(),
        unsupported: served.served.unsupported.clone(),
        plan: served.served.plan.map(|plan| DevicePlan {
            releases: Vec::new(),
            ..plan
        }),
    }
}

/// The earliest instant after `at` at which the configuration alone changes what a device is
/// told or how it is classified: the next 00:00 UTC, or an exemption's end, a pause's start or
/// end, or a gate's opening still ahead. (Each device's deadline is added as it is computed.)
pub fn time_boundary(snapshot: &OsUpdateSnapshot, at: Timestamp) -> Timestamp {
    let midnight = utc_day(at)
        .tomorrow()
        .ok()
        .and_then(|day| day.to_zoned(TimeZone::UTC).ok())
        .map_or(at, |zoned| zoned.timestamp());
    let exemptions = snapshot
        .exemptions
        .values()
        .flatten()
        .map(|exemption| exemption.until);
    let pauses = snapshot.pauses.values().flat_map(|pause| {
        [Some(pause.paused_at), pause.until, pause.resumed_at]
            .into_iter()
            .flatten()
    });
    let openings = snapshot
        .gate_evaluations
        .iter()
        .filter_map(|evaluation| evaluation.opened_at);
    exemptions
        .chain(pauses)
        .chain(openings)
        .filter(|instant| *instant > at)
        .fold(midnight, Timestamp::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringmaster_domain::assignment::Subject;
    use ringmaster_domain::ids::PolicyGroupId;
    use ringmaster_store::os_updates::exemptions::StoredExemption;
    use ringmaster_store::os_updates::pauses::StoredPause;

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn the_boundary_is_the_next_midnight_or_an_earlier_end_still_ahead() {
        let at = instant("2025-11-12T09:00:00Z");
        let mut snapshot = OsUpdateSnapshot::empty();
        assert_eq!(
            time_boundary(&snapshot, at),
            instant("2025-11-13T00:00:00Z")
        );
        let exemption = |until: &str| StoredExemption {
            id: 1,
            device_id: "mac".into(),
            until: instant(until),
            reason: "r".into(),
            created_by: None,
            created_at: instant("2025-11-01T00:00:00Z"),
        };
        snapshot.exemptions.insert(
            "mac".into(),
            vec![
                exemption("2025-11-12T08:00:00Z"),
                exemption("2025-11-12T20:00:00Z"),
            ],
        );
        assert_eq!(
            time_boundary(&snapshot, at),
            instant("2025-11-12T20:00:00Z"),
            "the exemption ending ahead, not the one ended"
        );
        snapshot.pauses.insert(
            Subject::PolicyGroup(PolicyGroupId::new(1)),
            StoredPause {
                subject: Subject::PolicyGroup(PolicyGroupId::new(1)),
                reason: "r".into(),
                paused_by: None,
                paused_at: instant("2025-11-10T00:00:00Z"),
                until: Some(instant("2025-11-12T10:30:00Z")),
                resumed_by: None,
                resumed_at: None,
            },
        );
        assert_eq!(
            time_boundary(&snapshot, at),
            instant("2025-11-12T10:30:00Z")
        );
        assert_eq!(
            time_boundary(&snapshot, instant("2025-11-12T23:00:00Z")),
            instant("2025-11-13T00:00:00Z"),
            "everything ahead has passed"
        );
    }
}
