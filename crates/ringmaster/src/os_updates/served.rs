//! What a device is served and why (its effective policy, schedule and declarations), and the
//! rollout plans, all computed from the snapshot and one device row.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::Resolution;
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::fleet::{DeviceDeclarations, device_declarations, status_only};
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::{DeviceFacts, RolloutEntry, rollout};
use ringmaster_store::os_updates::devices::StoredDevice;
use ringmaster_store::os_updates::pauses::StoredPause;
use ringmaster_store::os_updates::policies::{StoredPolicy, Subject};

use crate::os_updates::policies::policy_not_found;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::snapshot::OsUpdateSnapshot;

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

    /// What `device` is served at `at`, from the current snapshot: which policy wins, the
    /// schedule it gives, and the declarations.
    pub fn declarations_for(&self, device: &StoredDevice, at: Timestamp) -> DeviceServed {
        let snapshot = self.snapshot();
        let resolution = match device.platform {
            Some(platform) => snapshot.assignments.resolve(&device.id, platform),
            None => Resolution::default(),
        };
        let policy_id = resolution.winner.as_ref().map(|winner| winner.policy);
        let prepared = policy_id.and_then(|id| snapshot.prepared.get(&id));
        // An exempt device is planned with its policy's rules plus the exemption (a copy, made
        // only for exempt devices), so it gets no enforcement and its set's token changes.
        let exempt =
            prepared
                .zip(snapshot.exempt_until(&device.id, at))
                .map(|(prepared, until)| {
                    let mut exempt = prepared.clone();
                    exempt.rules.exempt_until = Some(until);
                    exempt
                });
        let served = match facts(device, &snapshot.hardware) {
            Some(facts) => device_declarations(
                exempt.as_ref().or(prepared),
                &facts,
                &device.capabilities(),
                &snapshot.releases,
                at,
            ),
            None => status_only(Platform::MacOs),
        };
        let policy = policy_id.and_then(|id| snapshot.policies.get(&id).cloned());
        DeviceServed {
            snapshot,
            device: device.clone(),
            policy,
            resolution,
            served,
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

    /// Every ring's policy for `platform`, earliest ring first.
    pub async fn rings_rollout(
        &self,
        platform: Platform,
        from: Date,
        to: Date,
    ) -> Result<Vec<PolicyRollout>, OsUpdateError> {
        let snapshot = self.snapshot();
        Ok(snapshot
            .ring_policies(platform)
            .into_iter()
            .map(|(_, policy)| rollout_of(&snapshot, policy.clone(), from, to, self.clock.now()))
            .collect())
    }
}

/// What one device is served, and why.
#[derive(Debug, Clone)]
pub struct DeviceServed {
    /// The configuration it was computed from (for names in explanations).
    pub snapshot: Arc<OsUpdateSnapshot>,
    pub device: StoredDevice,
    pub policy: Option<StoredPolicy>,
    pub resolution: Resolution,
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
    let entries = rollout(&timing, &snapshot.releases, timing.platform, from, to);
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
