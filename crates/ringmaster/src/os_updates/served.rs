//! What a device is served and why (its effective policy, schedule and declarations), and the
//! rollout plans, all computed from the snapshot and one device row.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::Resolution;
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::declarations::envelope::DeclarationSet;
use ringmaster_domain::fleet::specific::PreparedSpecific;
use ringmaster_domain::fleet::{
    DeviceDeclarations, PreparedPolicy, device_declarations_combined, device_declarations_decided,
    status_only,
};
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::specific::resume::deadline_after_pauses;
use ringmaster_domain::policy::specific::specific_rollout;
use ringmaster_domain::schedule::{DeviceFacts, RolloutEntry, rollout};
use ringmaster_store::os_updates::devices::StoredDevice;
use ringmaster_store::os_updates::pauses::StoredPause;
use ringmaster_store::os_updates::policies::{StoredPolicy, Subject};

use crate::os_updates::policies::policy_not_found;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::snapshot::OsUpdateSnapshot;
use crate::os_updates::views::kind_name;

/// A policy's rollout for the plan view.
#[derive(Debug, Clone)]
pub struct PolicyRollout {
    pub policy: StoredPolicy,
    /// The ring's name, when the policy is in a policy group.
    pub ring: Option<String>,
    pub entries: Vec<RolloutEntry>,
    /// The latest pauses of the policy and of its ring (in force or ended).
    pub pauses: Vec<StoredPause>,
    /// Releases visible to the ring now but waiting for its health gate, each in words
    /// ("waiting for Early Adoption: 62% of 80% installed, 1% failed …").
    pub waiting: Vec<String>,
}

impl PolicyRollout {
    /// The plan's deferral column for `entry`: `specificVersion` for a specific-version policy
    /// (one target by a deadline, no deferral), else the kind of deferral.
    pub fn deferral_name(&self, entry: &RolloutEntry) -> &'static str {
        if self.policy.policy.specific().is_some() {
            "specificVersion"
        } else {
            kind_name(entry.kind)
        }
    }

    /// How the plan names it: the ring, or else the policy.
    pub fn label(&self) -> &str {
        self.ring
            .as_deref()
            .unwrap_or_else(|| self.policy.policy.name.as_str())
    }
}

impl OsUpdates {
    /// What a device is served at `at`: its effective policy's schedule and the declarations.
    pub async fn device_declarations(
        &self,
        device_id: &str,
        at: Timestamp,
    ) -> Result<DeviceServed, OsUpdateError> {
        let device = self.device(device_id).await?;
        Ok(self.declarations_for(&device, at))
    }

    /// What `device` is served at `at`, from the current snapshot: which automatic and which
    /// specific-version policy win, the schedule they give, and the declarations.
    pub fn declarations_for(&self, device: &StoredDevice, at: Timestamp) -> DeviceServed {
        served_under(self.snapshot(), device, at)
    }

    /// The declarations `device` is served at `at`: those of [`Self::declarations_for`],
    /// computed without the schedule's release list (the DDM path and the notifier need only
    /// the set).
    pub fn served_set(&self, device: &StoredDevice, at: Timestamp) -> DeclarationSet {
        let snapshot = self.snapshot();
        let planned = planned_policies(&snapshot, device, at);
        match facts(device, &snapshot.hardware) {
            Some(facts) => {
                device_declarations_decided(
                    planned.automatic.as_deref(),
                    planned.specific.as_deref(),
                    &facts,
                    &device.capabilities(),
                    &snapshot.releases,
                    at,
                )
                .declarations
            }
            None => status_only(Platform::MacOs).declarations,
        }
    }

    /// One policy's rollout between two days.
    pub async fn policy_rollout(
        &self,
        id: PolicyId,
        from: Date,
        to: Date,
    ) -> Result<PolicyRollout, OsUpdateError> {
        let snapshot = self.snapshot();
        let policy = snapshot
            .policies
            .get(&id)
            .cloned()
            .ok_or_else(|| policy_not_found(id))?;
        Ok(rollout_of(&snapshot, policy, from, to, self.clock.now()))
    }

    /// Every ring's policy for `platform`, earliest ring first, then the platform's
    /// specific-version policies (by id).
    pub async fn rings_rollout(
        &self,
        platform: Platform,
        from: Date,
        to: Date,
    ) -> Result<Vec<PolicyRollout>, OsUpdateError> {
        let snapshot = self.snapshot();
        let rings = snapshot.ring_policies(platform);
        // Then the specific-version policies of the platform outside the rings.
        let specific = snapshot.policies.values().filter(|policy| {
            policy.policy.platform() == platform
                && policy.policy.specific().is_some()
                && !rings.iter().any(|(_, ring)| ring.id == policy.id)
        });
        Ok(rings
            .iter()
            .map(|(_, policy)| *policy)
            .chain(specific)
            .map(|policy| rollout_of(&snapshot, policy.clone(), from, to, self.clock.now()))
            .collect())
    }
}

/// What `device` is served at `at` under `snapshot` ([`OsUpdates::declarations_for`] with the
/// current snapshot).
pub fn served_under(
    snapshot: Arc<OsUpdateSnapshot>,
    device: &StoredDevice,
    at: Timestamp,
) -> DeviceServed {
    let (served, resolution, specific_resolution) = {
        let planned = planned_policies(&snapshot, device, at);
        let served = match facts(device, &snapshot.hardware) {
            Some(facts) => device_declarations_combined(
                planned.automatic.as_deref(),
                planned.specific.as_deref(),
                &facts,
                &device.capabilities(),
                &snapshot.releases,
                at,
            ),
            None => status_only(Platform::MacOs),
        };
        (served, planned.resolution, planned.specific_resolution)
    };
    let winner = |resolution: &Resolution| resolution.winner.as_ref().map(|winner| winner.policy);
    let policy = winner(&resolution).and_then(|id| snapshot.policies.get(&id).cloned());
    let specific = winner(&specific_resolution).and_then(|id| snapshot.policies.get(&id).cloned());
    DeviceServed {
        snapshot,
        device: device.clone(),
        policy,
        resolution,
        specific,
        specific_resolution,
        served,
    }
}

/// What one device is served, and why.
#[derive(Debug, Clone)]
pub struct DeviceServed {
    /// The configuration it was computed from (for names in explanations).
    pub snapshot: Arc<OsUpdateSnapshot>,
    pub device: StoredDevice,
    /// The automatic policy that wins.
    pub policy: Option<StoredPolicy>,
    pub resolution: Resolution,
    /// The specific-version policy that wins.
    pub specific: Option<StoredPolicy>,
    pub specific_resolution: Resolution,
    pub served: DeviceDeclarations,
}

fn rollout_of(
    snapshot: &OsUpdateSnapshot,
    policy: StoredPolicy,
    from: Date,
    to: Date,
    now: Timestamp,
) -> PolicyRollout {
    let timing = policy.policy.timing();
    let entries = match policy.policy.specific() {
        Some(specific) => {
            let mut entries = specific_rollout(
                specific,
                policy.policy.platform(),
                &snapshot.releases,
                from,
                to,
            );
            // After a pause of the policy, its deadline as devices are served it.
            if let Some(prepared) = snapshot.prepared_specific.get(&policy.id) {
                for entry in &mut entries {
                    entry.enforced_by = entry
                        .enforced_by
                        .map(|deadline| deadline_after_pauses(deadline, &prepared.pauses, now));
                }
            }
            entries
        }
        None => rollout(&timing, &snapshot.releases, timing.platform, from, to),
    };
    let pauses = [
        policy.group_id.map(Subject::PolicyGroup),
        Some(Subject::Policy(policy.id)),
    ]
    .into_iter()
    .flatten()
    .filter_map(|subject| snapshot.pauses.get(&subject).cloned())
    .collect();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let rules = snapshot
        .prepared
        .get(&policy.id)
        .map(|prepared| &prepared.rules);
    let waiting = match rules.and_then(|rules| rules.gate.as_ref().zip(Some(&rules.halted))) {
        Some((gate, halted)) => rollout(
            &timing,
            &snapshot.releases,
            timing.platform,
            today
                .checked_sub(jiff::Span::new().days(180))
                .unwrap_or(Date::MIN),
            today,
        )
        .iter()
        .filter(|entry| entry.visible_on <= today)
        .filter(|entry| !halted.contains(timing.platform, &entry.version))
        .filter(|entry| {
            gate.opened_by(timing.platform, &entry.version, now)
                .is_none()
        })
        .map(|entry| gate.waiting(timing.platform, &entry.version).to_string())
        .collect(),
        None => Vec::new(),
    };
    PolicyRollout {
        pauses,
        waiting,
        ring: policy
            .group_id
            .and_then(|group| snapshot.policy_groups.get(&group))
            .map(|group| group.name.clone()),
        policy,
        entries,
    }
}

/// The policies `device` is planned with at `at` under `snapshot`: the automatic and the
/// specific-version policy that win on it (each by the documented precedence), prepared, with a
/// copy carrying the exemption for an exempt device. The served declarations and the dry-run
/// preview both plan through this, so a preview predicts exactly what is then served.
#[derive(Debug)]
pub struct PlannedPolicies<'s> {
    pub resolution: Resolution,
    pub specific_resolution: Resolution,
    pub automatic: Option<Cow<'s, PreparedPolicy>>,
    pub specific: Option<Cow<'s, PreparedSpecific>>,
}

/// See [`PlannedPolicies`].
pub fn planned_policies<'s>(
    snapshot: &'s OsUpdateSnapshot,
    device: &StoredDevice,
    at: Timestamp,
) -> PlannedPolicies<'s> {
    let (resolution, specific_resolution) = match device.platform {
        Some(platform) => (
            snapshot.assignments.resolve(&device.id, platform),
            snapshot.specific_assignments.resolve(&device.id, platform),
        ),
        None => (Resolution::default(), Resolution::default()),
    };
    let exempt_until = snapshot.exempt_until(&device.id, at);
    let automatic = resolution
        .winner
        .as_ref()
        .and_then(|winner| snapshot.prepared.get(&winner.policy))
        .map(|prepared| match exempt_until {
            Some(until) => {
                let mut exempt = prepared.clone();
                exempt.rules.exempt_until = Some(until);
                Cow::Owned(exempt)
            }
            None => Cow::Borrowed(prepared),
        });
    let specific = specific_resolution
        .winner
        .as_ref()
        .and_then(|winner| snapshot.prepared_specific.get(&winner.policy))
        .map(|prepared| match exempt_until {
            Some(until) => Cow::Owned(prepared.exempt_until(until)),
            None => Cow::Borrowed(prepared),
        });
    PlannedPolicies {
        resolution,
        specific_resolution,
        automatic,
        specific,
    }
}

/// What the schedule needs to know about a stored device, its hardware described with the
/// feeds' facts; `None` until its platform and version are known.
pub fn facts(device: &StoredDevice, hardware: &HardwareCatalog) -> Option<DeviceFacts> {
    let platform = device.platform?;
    Some(DeviceFacts {
        platform,
        os_version: device.os_version.clone()?,
        os_build: device.os_build.clone(),
        hardware: hardware.describe(
            platform,
            device.model.as_deref(),
            device.software_update_device_id.as_deref(),
        ),
    })
}
