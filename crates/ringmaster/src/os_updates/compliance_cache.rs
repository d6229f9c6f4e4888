//! Compliance answered from memory ([`super::compliance_index`]), exact at the instant asked and
//! across servers:
//!
//! - Each answer first reads both revisions (one query): a configuration revision newer than the
//!   snapshot refreshes the snapshot; a device data revision newer than the index's reads just
//!   the devices stamped since ([`Store::device_data_since`](ringmaster_store::store::Store::device_data_since)) and classifies them alone; a
//!   new snapshot drops deleted devices and classifies every device again from the inputs held;
//!   and an instant outside the index's validity (a deadline, a deferral's end, an exemption's end
//!   passed) classifies every device again at that instant. Nothing is served from a stale index.
//! - A background keeper does the same every refresh interval, so requests rarely wait for it.
//! - `?at=` computes directly (every device read and classified at that instant, as before).
//! - The device lines of a policy are paged: `?limit=` (default [`DEFAULT_LINES`], at most
//!   [`MAX_LINES`]), `?after=` a device id, `?state=` one state; the counts are always the whole
//!   policy's.

use std::time::Duration;

use jiff::Timestamp;
use ringmaster_domain::compliance::{ComplianceCounts, ComplianceState};
use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::policies::StoredPolicy;
use tokio::sync::{MutexGuard, watch};
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::os_updates::compliance_index::ComplianceIndex;
use crate::os_updates::policies::policy_not_found;
use crate::os_updates::result_views::{
    DeviceLine, PolicyComplianceView, RingComplianceView, RingsComplianceView,
};
use crate::os_updates::results::PolicyCompliance;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::views::PolicyRef;

/// Device lines per answer unless `?limit=` says otherwise.
pub const DEFAULT_LINES: usize = 1000;

/// The most device lines one answer holds.
pub const MAX_LINES: usize = 10_000;

/// Changed devices read one by one before the whole fleet is read again instead.
const CHANGED_LIMIT: usize = 20_000;

/// Which device lines of a policy to answer.
#[derive(Debug, Clone, Default)]
pub struct LinePage {
    pub limit: usize,
    /// Lines after this device id.
    pub after: Option<String>,
    /// Only devices in this state.
    pub state: Option<ComplianceState>,
}

impl OsUpdates {
    /// The compliance index, brought up to date for `now` (see the module documentation).
    async fn compliance_index(
        &self,
        now: Timestamp,
    ) -> Result<MutexGuard<'_, Option<ComplianceIndex>>, OsUpdateError> {
        let mut guard = self.compliance.lock().await;
        let revisions = self.store.revisions().await?;
        if revisions.configuration != self.snapshot().revision {
            self.refresh().await?;
        }
        let snapshot = self.snapshot();
        let rebuild = match guard.as_mut() {
            None => true,
            Some(index) => {
                let mut rebuild = false;
                if revisions.device_data != index.device_data {
                    match self
                        .store
                        .device_data_since(index.device_data, CHANGED_LIMIT)
                        .await?
                    {
                        Some(changed) => index.apply(changed, revisions.device_data),
                        None => rebuild = true,
                    }
                }
                if !rebuild && index.snapshot.revision != snapshot.revision {
                    index.retain(&self.store.device_ids().await?);
                    index.recompute(snapshot.clone(), now, true);
                } else if !rebuild && !index.serves(snapshot.revision, now) {
                    index.recompute(snapshot.clone(), now, false);
                }
                rebuild
            }
        };
        if rebuild {
            let data = self.store.device_data_all().await?;
            *guard = Some(ComplianceIndex::build(snapshot, revisions, data, now));
        }
        Ok(guard)
    }

    /// Brings the compliance index up to date now (the keeper's round).
    pub async fn keep_compliance(&self) -> Result<(), OsUpdateError> {
        self.compliance_index(self.clock.now()).await.map(drop)
    }

    /// `GET /api/v1/policies/{id}/compliance`: the counts of policy `id` and a page of its
    /// devices, at `at` (`explicit`: the caller asked for that instant with `?at=`).
    pub async fn policy_compliance_page(
        &self,
        id: PolicyId,
        at: Timestamp,
        explicit: bool,
        page: &LinePage,
    ) -> Result<PolicyComplianceView, OsUpdateError> {
        if explicit {
            let compliance = self.policy_compliance(id, at).await?;
            return Ok(page_of_results(&compliance, at, page));
        }
        let guard = self.compliance_index(at).await?;
        let Some(index) = guard.as_ref() else {
            return Err(OsUpdateError::NotFound("the compliance index".into()));
        };
        let policy = index
            .snapshot
            .policies
            .get(&id)
            .cloned()
            .ok_or_else(|| policy_not_found(id))?;
        let specific = policy.policy.specific().is_some();
        let ring = (!specific)
            .then(|| {
                policy
                    .group_id
                    .and_then(|group| index.snapshot.policy_groups.get(&group))
                    .map(|group| group.name.clone())
            })
            .flatten();
        let counts = index.counts(id, specific);
        let lines = index
            .devices_of(id, specific, page.after.as_deref())
            .filter(|(_, entry)| page.state.is_none_or(|state| entry.state == state))
            .map(|(inputs, entry)| DeviceLine::of_entry(inputs, entry));
        Ok(paged(&policy, ring, counts, at, page, lines))
    }

    /// `GET /api/v1/policy-groups/compliance?platform=`: each ring's counts at `at`.
    pub async fn rings_compliance_view(
        &self,
        platform: Platform,
        at: Timestamp,
        explicit: bool,
    ) -> Result<RingsComplianceView, OsUpdateError> {
        if explicit {
            let compliance = self.rings_compliance(platform, at).await?;
            return Ok(RingsComplianceView::of(&compliance, at));
        }
        let guard = self.compliance_index(at).await?;
        let Some(index) = guard.as_ref() else {
            return Err(OsUpdateError::NotFound("the compliance index".into()));
        };
        Ok(RingsComplianceView {
            platform,
            evaluated_at: at.to_string(),
            rings: index
                .snapshot
                .ring_policies(platform)
                .into_iter()
                .map(|(group, policy)| RingComplianceView {
                    ring: group.name.clone(),
                    ring_order: group.ring_order,
                    policy: PolicyRef::of(policy),
                    counts: index.counts(policy.id, false),
                })
                .collect(),
            without_policy: index.without_policy(platform),
        })
    }
}

/// A page of a policy's compliance computed directly.
fn page_of_results(
    compliance: &PolicyCompliance,
    at: Timestamp,
    page: &LinePage,
) -> PolicyComplianceView {
    let lines = compliance
        .results
        .iter()
        .filter(|result| {
            page.after
                .as_deref()
                .is_none_or(|after| result.served.device.id.as_str() > after)
        })
        .filter(|result| page.state.is_none_or(|state| result.state == state))
        .map(DeviceLine::of);
    paged(
        &compliance.policy,
        compliance.ring.clone(),
        compliance.counts,
        at,
        page,
        lines,
    )
}

fn paged(
    policy: &StoredPolicy,
    ring: Option<String>,
    counts: ComplianceCounts,
    at: Timestamp,
    page: &LinePage,
    lines: impl Iterator<Item = DeviceLine>,
) -> PolicyComplianceView {
    let mut devices: Vec<DeviceLine> = lines.take(page.limit.saturating_add(1)).collect();
    let next = (devices.len() > page.limit)
        .then(|| {
            devices.truncate(page.limit);
            devices.last().map(|line| line.id.clone())
        })
        .flatten();
    // Every device of the policy is in exactly one state.
    let total = match page.state {
        Some(state) => counts.of(state),
        None => ComplianceState::ALL
            .iter()
            .map(|state| counts.of(*state))
            .sum(),
    };
    PolicyComplianceView {
        policy: PolicyRef::of(policy),
        ring,
        evaluated_at: at.to_string(),
        counts,
        devices,
        total,
        next,
    }
}

/// Keeps the compliance index current every `every` until `shutdown` turns true.
pub fn spawn_keeper(
    os_updates: OsUpdates,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    if let Some(Err(error)) = guarded("compliance", os_updates.keep_compliance()).await {
                        tracing::warn!(%error, "compliance index refresh failed");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    })
}
