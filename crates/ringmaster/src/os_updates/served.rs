//! What a device is served and why (its effective policy, schedule and declarations), and the
//! rollout plans, all computed from the snapshot and one device row.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::Resolution;
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::fleet::{
    DeviceDeclarations, PreparedPolicy, device_declarations, status_only,
};
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
        let (resolution, planned) = planned_policy(&snapshot, device, at);
        let policy_id = resolution.winner.as_ref().map(|winner| winner.policy);
        let served = match facts(device, &snapshot.hardware) {
            Some(facts) => device_declarations(
                planned.as_deref(),
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
        Ok(rollout_of(&snapshot, policy, from, to))
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
            .map(|(_, policy)| rollout_of(&snapshot, policy.clone(), from, to))
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
    PolicyRollout {
        pauses,
        ring: policy
            .group_id
            .and_then(|group| snapshot.policy_groups.get(&group))
            .map(|group| group.name.clone()),
        policy,
        entries,
    }
}

/// Which policy wins on `device` under `snapshot`, and the policy it is planned with at `at`:
/// the winner as prepared, or for an exempt device a copy (made only for exempt devices) with
/// its policy's rules plus the exemption, so it gets no enforcement and its set's token changes.
/// What a device is served and the preview of a change both plan through this.
pub fn planned_policy<'s>(
    snapshot: &'s OsUpdateSnapshot,
    device: &StoredDevice,
    at: Timestamp,
) -> (Resolution, Option<Cow<'s, PreparedPolicy>>) {
    let resolution = match device.platform {
        Some(platform) => snapshot.assignments.resolve(&device.id, platform),
        None => Resolution::default(),
    };
    let prepared = resolution
        .winner
        .as_ref()
        .and_then(|winner| snapshot.prepared.get(&winner.policy));
    let planned = prepared.map(|prepared| match snapshot.exempt_until(&device.id, at) {
        Some(until) => {
            let mut exempt = prepared.clone();
            exempt.rules.exempt_until = Some(until);
            Cow::Owned(exempt)
        }
        None => Cow::Borrowed(prepared),
    });
    (resolution, planned)
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
