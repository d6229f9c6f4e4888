//! Health gates between rings at the edge: setting a group's gate (`PUT|DELETE
//! /api/v1/policy-groups/{id}/gate`), and the evaluation round that records, from the stored
//! device results, when a gate opened for a release and which releases are halted
//! (`ringmaster_domain::schedule::gates` says what the schedule does with them).
//!
//! A round ([`OsUpdates::evaluate_gates`], run by [`spawn`] under the `gate-evaluation` lease so
//! one server of a cluster does it, or at once by `POST /api/v1/policy-groups/gates/evaluate`)
//! looks, for each gated group and platform, at every release visible on the earlier ring and
//! not yet through the gate: the share of the earlier ring's devices (of the platform, OS
//! known) that run it or newer (rounded down), the share that failed it or rejected its
//! declaration while it was their target (rounded up), and the whole days since it became
//! visible there (after that ring's own gate, if any). An earlier ring without devices holds
//! nothing back. When the three thresholds are met the opening is recorded at the round's
//! instant; when the failures cross `maxFailedPercent` the release is halted for every later
//! ring, recorded in the audit log (actor `server`, `gate evaluation`) and announced to webhooks
//! as `release_halted`, its body naming the ring, the gated ring, the percentages and the reason
//! (`ringmaster_domain::webhook::ReleaseHalt`).

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::compliance::ComplianceState;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::PolicyGroupId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::gates::{Gate, GateProgress, closes_cycle, release_key};
use ringmaster_domain::schedule::rollout;
use ringmaster_domain::webhook::ReleaseHalt;
use ringmaster_store::audit::{AuditActor, NewAuditEntry};
use ringmaster_store::os_updates::gates::{StoredEvaluation, StoredHalt};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::os_updates::results::DeviceResult;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::snapshot::is_later;

/// How far back a round looks for releases visible on the earlier ring.
const LOOK_BACK_DAYS: i64 = 180;

/// A gate as the API answers it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateView {
    pub after: PolicyGroupId,
    pub min_installed_percent: u8,
    pub max_failed_percent: u8,
    pub min_days: u16,
}

impl GateView {
    pub fn of(gate: &Gate) -> GateView {
        GateView {
            after: gate.after,
            min_installed_percent: gate.min_installed_percent,
            max_failed_percent: gate.max_failed_percent,
            min_days: gate.min_days,
        }
    }
}

/// One release's evaluation for one gated group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluationView {
    pub group: PolicyGroupId,
    pub platform: Platform,
    pub version: String,
    pub installed_percent: u8,
    pub failed_percent: u8,
    pub days: u16,
    pub opened_at: Option<String>,
}

/// A halted release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HaltView {
    pub platform: Platform,
    pub version: String,
    /// The ring whose failures crossed its successor's gate.
    pub after_group: PolicyGroupId,
    pub failed_percent: u8,
    pub halted_at: String,
}

impl HaltView {
    pub fn of(halt: &StoredHalt) -> HaltView {
        HaltView {
            platform: halt.platform,
            version: halt.version.as_str().to_owned(),
            after_group: halt.group,
            failed_percent: halt.failed_percent,
            halted_at: halt.halted_at.to_string(),
        }
    }
}

/// `GET /api/v1/policy-groups/halts`: every halted release.
#[derive(Debug, Clone, Serialize)]
pub struct HaltsView {
    pub halts: Vec<HaltView>,
}

/// What a round found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateRoundView {
    pub evaluated_at: String,
    pub evaluations: Vec<EvaluationView>,
    /// Halts this round added.
    pub halted: Vec<HaltView>,
}

impl OsUpdates {
    /// Sets `group`'s gate from the body; 400 by pointer when `after` names no group or closes a
    /// cycle.
    pub async fn set_gate(
        &self,
        group: PolicyGroupId,
        body: &[u8],
    ) -> Result<GateView, OsUpdateError> {
        let gate = Gate::parse(body).map_err(OsUpdateError::Invalid)?;
        let snapshot = self.snapshot();
        check_gate(
            |id| snapshot.policy_groups.contains_key(&id),
            snapshot
                .gates
                .iter()
                .map(|(gated, gate)| (*gated, gate.after)),
            group,
            &gate,
        )?;
        if !self.store.set_gate(group, Some(&gate)).await? {
            return Err(OsUpdateError::NotFound(format!("policy group {group}")));
        }
        self.refresh_after_write().await;
        Ok(GateView::of(&gate))
    }

    /// Removes `group`'s gate (its recorded evaluations stay, as history).
    pub async fn remove_gate(&self, group: PolicyGroupId) -> Result<(), OsUpdateError> {
        if !self.snapshot().gates.contains_key(&group) {
            return Err(no_gate(group));
        }
        self.store.set_gate(group, None).await?;
        self.refresh_after_write().await;
        Ok(())
    }

    /// One evaluation round at the clock's instant (see the module doc).
    pub async fn evaluate_gates(&self) -> Result<GateRoundView, OsUpdateError> {
        let now = self.clock.now();
        let snapshot = self.snapshot();
        let mut evaluations = Vec::new();
        let mut halts = Vec::new();
        if !snapshot.gates.is_empty() {
            let results = self.fleet_results(now).await?;
            let today = now.to_zoned(TimeZone::UTC).date();
            let from = today
                .checked_sub(jiff::Span::new().days(LOOK_BACK_DAYS))
                .unwrap_or(Date::MIN);
            let groups: BTreeMap<PolicyGroupId, (String, Option<i32>)> = snapshot
                .policy_groups
                .values()
                .map(|group| (group.id, (group.name.clone(), group.ring_order)))
                .collect();
            for (group, gate) in &snapshot.gates {
                for platform in [Platform::MacOs, Platform::Ios] {
                    let Some(earlier) = snapshot
                        .policies_in(gate.after)
                        .find(|policy| policy.policy.platform() == platform)
                    else {
                        continue;
                    };
                    if !snapshot
                        .policies_in(*group)
                        .any(|policy| policy.policy.platform() == platform)
                    {
                        continue;
                    }
                    let devices: Vec<&DeviceResult> = results
                        .iter()
                        .filter(|result| {
                            result.served.device.platform == Some(platform)
                                && result.served.device.os_version.is_some()
                                && result
                                    .served
                                    .policy
                                    .as_ref()
                                    .is_some_and(|policy| policy.group_id == Some(gate.after))
                        })
                        .collect();
                    let earlier_rules = snapshot.prepared.get(&earlier.id).map(|p| &p.rules);
                    let timing = earlier.policy.timing();
                    let mut seen = std::collections::BTreeSet::new();
                    for entry in rollout(&timing, &snapshot.releases, platform, from, today) {
                        let key = release_key(platform, &entry.version);
                        if entry.visible_on > today || !seen.insert(key.clone()) {
                            continue;
                        }
                        let opened_before = snapshot.gate_evaluations.iter().any(|known| {
                            known.group == *group
                                && release_key(known.platform, &known.version) == key
                                && known.opened_at.is_some()
                        });
                        let halted = snapshot.halts.iter().any(|halt| {
                            release_key(halt.platform, &halt.version) == key
                                && (halt.group == gate.after
                                    || is_later(&snapshot.gates, &groups, gate.after, halt.group))
                        });
                        let blocked = snapshot
                            .blocked
                            .iter()
                            .any(|block| release_key(block.platform, &block.version) == key);
                        if opened_before || halted || blocked {
                            continue;
                        }
                        // On a gated earlier ring the release is there only once its gate opened.
                        let mut visible_since = entry.visible_on;
                        if let Some(rule) = earlier_rules.and_then(|rules| rules.gate.as_ref()) {
                            match rule.opened_by(platform, &entry.version, now) {
                                Some(at) => {
                                    visible_since =
                                        visible_since.max(at.to_zoned(TimeZone::UTC).date());
                                }
                                None => continue,
                            }
                        }
                        let total = devices.len();
                        let installed = devices
                            .iter()
                            .filter(|result| {
                                result
                                    .served
                                    .device
                                    .os_version
                                    .as_ref()
                                    .is_some_and(|running| *running >= entry.version)
                            })
                            .count();
                        let failed = devices
                            .iter()
                            .filter(|result| {
                                matches!(
                                    result.state,
                                    ComplianceState::Failed | ComplianceState::DeclarationRejected
                                ) && result
                                    .served
                                    .served
                                    .plan
                                    .as_ref()
                                    .and_then(|plan| plan.enforcement())
                                    .is_some_and(|target| target.version == entry.version)
                            })
                            .count();
                        // An earlier ring without devices holds nothing back.
                        let installed_percent =
                            (installed * 100).checked_div(total).unwrap_or(100) as u8;
                        let failed_percent = (failed * 100)
                            .checked_div(total)
                            .map_or(0, |_| (failed * 100).div_ceil(total))
                            as u8;
                        let days = visible_since
                            .until(today)
                            .map_or(0, |span| span.get_days().clamp(0, i32::from(u16::MAX)))
                            as u16;
                        let open = installed_percent >= gate.min_installed_percent
                            && failed_percent <= gate.max_failed_percent
                            && days >= gate.min_days;
                        if failed_percent > gate.max_failed_percent {
                            let name = |id: PolicyGroupId| {
                                groups.get(&id).map_or_else(
                                    || format!("policy group {id}"),
                                    |(name, _)| name.clone(),
                                )
                            };
                            let details = ReleaseHalt::new(
                                platform,
                                entry.version.as_str(),
                                (gate.after, &name(gate.after)),
                                &name(*group),
                                failed_percent,
                                gate.max_failed_percent,
                            );
                            halts.push((
                                StoredHalt {
                                    platform,
                                    version: entry.version.clone(),
                                    group: gate.after,
                                    failed_percent,
                                    halted_at: now,
                                },
                                serde_json::to_string(&details).unwrap_or_default(),
                            ));
                        }
                        evaluations.push(StoredEvaluation {
                            group: *group,
                            platform,
                            version: entry.version.clone(),
                            progress: GateProgress {
                                installed_percent,
                                failed_percent,
                                days,
                            },
                            evaluated_at: now,
                            opened_at: open.then_some(now),
                        });
                    }
                }
            }
        }
        let added = if evaluations.is_empty() && halts.is_empty() {
            Vec::new()
        } else {
            let added = self.store.record_gate_round(&evaluations, &halts).await?;
            self.refresh_after_write().await;
            added
        };
        for halt in &added {
            self.audit_halt(halt).await;
        }
        Ok(GateRoundView {
            evaluated_at: now.to_string(),
            evaluations: evaluations
                .iter()
                .map(|evaluation| EvaluationView {
                    group: evaluation.group,
                    platform: evaluation.platform,
                    version: evaluation.version.as_str().to_owned(),
                    installed_percent: evaluation.progress.installed_percent,
                    failed_percent: evaluation.progress.failed_percent,
                    days: evaluation.progress.days,
                    opened_at: evaluation.opened_at.map(|at| at.to_string()),
                })
                .collect(),
            halted: added.iter().map(HaltView::of).collect(),
        })
    }

    /// Records a halt in the audit log; a failure is logged (the halt itself is stored).
    async fn audit_halt(&self, halt: &StoredHalt) {
        let entry = NewAuditEntry {
            occurred_at: halt.halted_at,
            actor: AuditActor::Server {
                task: "gate evaluation".to_owned(),
            },
            client_address: None,
            action: "halt release".to_owned(),
            object_kind: Some("catalog-release".to_owned()),
            object_id: Some(format!("{}:{}", halt.platform, halt.version)),
            before: None,
        };
        let after = serde_json::to_string(&HaltView::of(halt)).ok();
        let recorded = match self.store.begin_audit(&entry).await {
            Ok(id) => {
                self.store
                    .complete_audit(id, None, None, after.as_deref())
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, version = %halt.version, "cannot record a halt in the audit log");
        }
    }
}

/// The checks of a gate set on `group`, in the real write's order, given which groups exist and
/// every gated group's `after`: 404 for an unknown `group`, then 400 at `/after` when it names
/// no group or closes a cycle. A dry run checks the same against its copy of the configuration.
pub fn check_gate(
    exists: impl Fn(PolicyGroupId) -> bool,
    gated: impl IntoIterator<Item = (PolicyGroupId, PolicyGroupId)>,
    group: PolicyGroupId,
    gate: &Gate,
) -> Result<(), OsUpdateError> {
    if !exists(group) {
        return Err(OsUpdateError::NotFound(format!("policy group {group}")));
    }
    let after: BTreeMap<PolicyGroupId, PolicyGroupId> = gated
        .into_iter()
        .filter(|(gated, _)| *gated != group)
        .collect();
    let mut errors = FieldErrors::new();
    if !exists(gate.after) {
        errors.push(
            "/after",
            format!("no policy group has the id {}", gate.after),
        );
    } else if closes_cycle(&after, group, gate.after) {
        errors.push(
            "/after",
            format!(
                "policy group {} waits (through its gates) for policy group {group}: a gate \
                 may not close a cycle",
                gate.after
            ),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(OsUpdateError::Invalid(errors))
    }
}

/// The 404 of removing a gate `group` does not have.
pub fn no_gate(group: PolicyGroupId) -> OsUpdateError {
    OsUpdateError::NotFound(format!("a gate of policy group {group}"))
}

/// Runs an evaluation round every `every` on one server of the cluster at a time (the
/// `gate-evaluation` lease, held a little less than a round's period); stops on `shutdown`.
pub fn spawn(
    os_updates: OsUpdates,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let server = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let hold = SignedDuration::try_from(every)
            .unwrap_or(SignedDuration::from_secs(60))
            .checked_sub(SignedDuration::from_secs(1))
            .unwrap_or(SignedDuration::ZERO);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let round = async {
                let now: Timestamp = os_updates.clock.now();
                let holder = format!("{server}@{}", now.as_millisecond());
                match os_updates
                    .store
                    .try_acquire_lease("gate-evaluation", &holder, hold, now)
                    .await
                {
                    Ok(true) => {
                        if let Err(error) = os_updates.evaluate_gates().await {
                            tracing::warn!(%error, "gate evaluation failed; the next round retries");
                        }
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "gate evaluation: cannot read the lease"),
                }
            };
            guarded("gate evaluation", round).await;
        }
    })
}
