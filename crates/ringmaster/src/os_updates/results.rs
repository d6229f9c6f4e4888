//! Policy results: where each device stands (its effective policy, target, deadline, what it
//! reported, which declarations it rejected, legacy conflicts) and the compliance of a policy or
//! of every ring.

use std::collections::HashMap;

use jiff::Timestamp;
use ringmaster_domain::compliance::{
    ComplianceCounts, ComplianceState, classify, rejected_declarations,
};
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::ddm::{LegacyMechanism, StoredStatus};
use ringmaster_store::os_updates::devices::StoredDevice;
use ringmaster_store::os_updates::policies::{StoredPolicy, StoredPolicyGroup};

use crate::os_updates::served::DeviceServed;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// One device's result.
#[derive(Debug, Clone)]
pub struct DeviceResult {
    pub served: DeviceServed,
    pub stored_status: Option<StoredStatus>,
    pub status: DeviceStatus,
    pub state: ComplianceState,
    /// Served declarations the device reports as invalid.
    pub rejected: Vec<String>,
    pub legacy: Vec<LegacyMechanism>,
}

impl DeviceResult {
    /// A legacy update mechanism is recorded while a DDM policy applies: the two conflict.
    pub fn legacy_conflict(&self) -> bool {
        !self.legacy.is_empty() && (self.served.policy.is_some() || self.served.specific.is_some())
    }
}

/// Devices read per page when the whole fleet is evaluated.
const PAGE: u32 = 1000;

impl OsUpdates {
    /// `GET /api/v1/devices/{id}/status` at `at`.
    pub async fn device_result(
        &self,
        id: &str,
        at: Timestamp,
    ) -> Result<DeviceResult, OsUpdateError> {
        let device = self.device(id).await?;
        let stored = self.store.device_status(id).await?;
        let legacy = self.store.legacy_mechanisms(Some(id)).await?;
        Ok(self.result_of(&device, stored, legacy, at))
    }

    /// Every device's result at `at` (the whole fleet, a page at a time).
    pub async fn fleet_results(&self, at: Timestamp) -> Result<Vec<DeviceResult>, OsUpdateError> {
        let mut statuses: HashMap<String, StoredStatus> = self
            .store
            .all_device_statuses()
            .await?
            .into_iter()
            .collect();
        let mut legacy: HashMap<String, Vec<LegacyMechanism>> = HashMap::new();
        for mechanism in self.store.legacy_mechanisms(None).await? {
            legacy
                .entry(mechanism.device_id.clone())
                .or_default()
                .push(mechanism);
        }
        let mut results = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_devices(after.as_deref(), PAGE).await?;
            for device in &page {
                let status = statuses.remove(&device.id);
                let mechanisms = legacy.remove(&device.id).unwrap_or_default();
                results.push(self.result_of(device, status, mechanisms, at));
            }
            if page.len() < PAGE as usize {
                return Ok(results);
            }
            after = page.last().map(|device| device.id.clone());
        }
    }

    fn result_of(
        &self,
        device: &StoredDevice,
        stored_status: Option<StoredStatus>,
        legacy: Vec<LegacyMechanism>,
        at: Timestamp,
    ) -> DeviceResult {
        let served = self.declarations_for(device, at);
        let status = stored_status
            .as_ref()
            .and_then(|stored| DeviceStatus::from_json(&stored.status).ok())
            .unwrap_or_default();
        let known = device.platform.is_some() && device.os_version.is_some();
        let plan = served
            .policy
            .as_ref()
            .or(served.specific.as_ref())
            .and(served.served.plan.as_ref());
        let state = classify(
            known,
            plan,
            served.served.unsupported.is_some(),
            &served.served.declarations,
            &status,
        );
        let rejected = rejected_declarations(&served.served.declarations, &status);
        DeviceResult {
            served,
            stored_status,
            status,
            state,
            rejected,
            legacy,
        }
    }

    /// Records a legacy mechanism (`patchPolicy` or `deferralProfile`) against a device.
    pub async fn record_legacy(
        &self,
        device: &str,
        kind: &str,
        name: &str,
    ) -> Result<LegacyMechanism, OsUpdateError> {
        let mechanism = LegacyMechanism {
            device_id: device.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            recorded_at: self.clock.now(),
        };
        if !self.store.record_legacy_mechanism(&mechanism).await? {
            return Err(OsUpdateError::NotFound(format!("device {device:?}")));
        }
        Ok(mechanism)
    }

    pub async fn delete_legacy(
        &self,
        device: &str,
        kind: &str,
        name: &str,
    ) -> Result<(), OsUpdateError> {
        if !self
            .store
            .delete_legacy_mechanism(device, kind, name)
            .await?
        {
            return Err(OsUpdateError::NotFound(format!(
                "legacy {kind} {name:?} on device {device:?}"
            )));
        }
        Ok(())
    }
}

/// One policy's devices, with their counts.
#[derive(Debug, Clone)]
pub struct PolicyCompliance {
    pub policy: StoredPolicy,
    /// The ring's name, when the policy is in a policy group.
    pub ring: Option<String>,
    /// The devices the policy applies to, in id order.
    pub results: Vec<DeviceResult>,
    pub counts: ComplianceCounts,
}

impl PolicyCompliance {
    fn new(policy: StoredPolicy, ring: Option<String>, results: Vec<DeviceResult>) -> Self {
        let counts = results
            .iter()
            .map(|result| (result.state, result.legacy_conflict()))
            .collect();
        PolicyCompliance {
            policy,
            ring,
            results,
            counts,
        }
    }
}

/// Every ring's compliance for one platform.
#[derive(Debug, Clone)]
pub struct RingsCompliance {
    pub platform: Platform,
    /// Earliest ring first.
    pub rings: Vec<RingCompliance>,
    /// Devices of the platform that no policy reaches (of either kind).
    pub without_policy: usize,
}

/// One ring's policy for the platform and its devices.
#[derive(Debug, Clone)]
pub struct RingCompliance {
    pub group: StoredPolicyGroup,
    pub compliance: PolicyCompliance,
}

impl OsUpdates {
    /// The devices policy `id` applies to at `at`, and how many are in each state (for a
    /// specific-version policy, the devices where it wins over other specific-version policies).
    pub async fn policy_compliance(
        &self,
        id: PolicyId,
        at: Timestamp,
    ) -> Result<PolicyCompliance, OsUpdateError> {
        let policy = self.policy(id).await?;
        if policy.policy.specific().is_some() {
            // A specific-version policy's devices are those it wins on, whatever their
            // automatic policy.
            let results = self
                .fleet_results(at)
                .await?
                .into_iter()
                .filter(|result| result.served.specific.as_ref().map(|p| p.id) == Some(id))
                .collect();
            return Ok(PolicyCompliance::new(policy, None, results));
        }
        let mut by_policy = self.results_by_policy(at).await?;
        let ring = policy.group_id.and_then(|group| {
            self.snapshot()
                .policy_groups
                .get(&group)
                .map(|g| g.name.clone())
        });
        let results = by_policy.remove(&Some(id)).unwrap_or_default();
        Ok(PolicyCompliance::new(policy, ring, results))
    }

    /// Each ring's policy for `platform` at `at`, its devices and counts, and how many devices
    /// of the platform no policy reaches.
    pub async fn rings_compliance(
        &self,
        platform: Platform,
        at: Timestamp,
    ) -> Result<RingsCompliance, OsUpdateError> {
        let mut by_policy = self.results_by_policy(at).await?;
        let snapshot = self.snapshot();
        let rings = snapshot
            .ring_policies(platform)
            .into_iter()
            .map(|(group, policy)| {
                let results = by_policy.remove(&Some(policy.id)).unwrap_or_default();
                RingCompliance {
                    group: group.clone(),
                    compliance: PolicyCompliance::new(
                        policy.clone(),
                        Some(group.name.clone()),
                        results,
                    ),
                }
            })
            .collect();
        let without_policy = by_policy.get(&None).map_or(0, |results| {
            results
                .iter()
                .filter(|result| {
                    result.served.device.platform == Some(platform)
                        && result.served.specific.is_none()
                })
                .count()
        });
        Ok(RingsCompliance {
            platform,
            rings,
            without_policy,
        })
    }

    /// Every device's result at `at`, by the id of the policy that applies (`None`: no policy),
    /// each list in device id order.
    async fn results_by_policy(
        &self,
        at: Timestamp,
    ) -> Result<HashMap<Option<PolicyId>, Vec<DeviceResult>>, OsUpdateError> {
        let mut by_policy: HashMap<Option<PolicyId>, Vec<DeviceResult>> = HashMap::new();
        for result in self.fleet_results(at).await? {
            by_policy
                .entry(result.served.policy.as_ref().map(|policy| policy.id))
                .or_default()
                .push(result);
        }
        Ok(by_policy)
    }
}
