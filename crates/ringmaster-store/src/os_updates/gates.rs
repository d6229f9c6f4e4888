//! Health gates between rings (migration 0012): each gated policy group's gate
//! (`policy_group_gates`), what the evaluation rounds recorded per gated group and release
//! (`gate_evaluations`: the last percentages and, once, when the gate opened), and halted
//! releases (`release_halts`).
//!
//! All three are configuration the schedule reads: [`Store::set_gate`] and
//! [`Store::record_gate_round`] bump `os_update_counter` first in their transaction and roll
//! back when nothing changes, so a round that finds what the last one found writes nothing. An
//! opening, once recorded, is never moved or cleared: every server reads the same instant.
//! [`Store::load_os_update_config`] reads them all. A new halt queues a `release_halted` event
//! for every enabled webhook in its transaction, its details (ring, percentages, reason) kept
//! with it.

use jiff::Timestamp;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::ids::PolicyGroupId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::gates::{Gate, GateProgress};
use ringmaster_domain::webhook::RELEASE_HALTED;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, corrupt, parse_timestamp};
use crate::store::Store;

/// One gated group's gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredGate {
    pub group: PolicyGroupId,
    pub gate: Gate,
}

/// The last evaluation of one release for one gated group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvaluation {
    pub group: PolicyGroupId,
    pub platform: Platform,
    pub version: AppleOsVersion,
    pub progress: GateProgress,
    pub evaluated_at: Timestamp,
    /// When the gate opened for it; never cleared once set.
    pub opened_at: Option<Timestamp>,
}

/// A release halted for every ring after `group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHalt {
    pub platform: Platform,
    pub version: AppleOsVersion,
    /// The ring whose failures crossed its successor's gate.
    pub group: PolicyGroupId,
    pub failed_percent: u8,
    pub halted_at: Timestamp,
}

pub(crate) const SELECT_ALL_GATES: &str = "SELECT group_id, after_group_id, \
     min_installed_percent, max_failed_percent, min_days FROM policy_group_gates ORDER BY group_id";
pub(crate) const SELECT_ALL_EVALUATIONS: &str = "SELECT group_id, platform, version, \
     installed_percent, failed_percent, days, evaluated_at, opened_at FROM gate_evaluations \
     ORDER BY group_id, platform, version_key";
pub(crate) const SELECT_ALL_HALTS: &str = "SELECT platform, version, group_id, failed_percent, \
     halted_at FROM release_halts ORDER BY platform, version_key, group_id";

pub(crate) type GateRow = (i64, i64, i64, i64, i64);
pub(crate) type EvaluationRow = (i64, String, String, i64, i64, i64, String, Option<String>);
pub(crate) type HaltRow = (String, String, i64, i64, String);

impl Store {
    /// Sets (or with `None` removes) `group`'s gate; `false` when no group has that id.
    pub async fn set_gate(
        &self,
        group: PolicyGroupId,
        gate: Option<&Gate>,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let known: Option<i64> =
                sqlx::query_scalar("SELECT id FROM update_policy_groups WHERE id = $1")
                    .bind(group.get())
                    .fetch_optional(&mut *tx)
                    .await?;
            if known.is_none() {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM policy_group_gates WHERE group_id = $1")
                .bind(group.get())
                .execute(&mut *tx)
                .await?;
            if let Some(gate) = gate {
                sqlx::query(
                    "INSERT INTO policy_group_gates (group_id, after_group_id, \
                     min_installed_percent, max_failed_percent, min_days) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(group.get())
                .bind(gate.after.get())
                .bind(i64::from(gate.min_installed_percent))
                .bind(i64::from(gate.max_failed_percent))
                .bind(i64::from(gate.min_days))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records one evaluation round: each evaluation that differs from the stored one (an
    /// opening already recorded is kept), and each halt not yet recorded, with the JSON text of
    /// its `release_halted` event's details (queued for every enabled webhook). The halts it
    /// added.
    pub async fn record_gate_round(
        &self,
        evaluations: &[StoredEvaluation],
        halts: &[(StoredHalt, String)],
    ) -> Result<Vec<StoredHalt>, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let mut changed = false;
            for evaluation in evaluations {
                let key = evaluation.version.canonical_text();
                let existing: Option<(i64, i64, i64, Option<String>)> = sqlx::query_as(
                    "SELECT installed_percent, failed_percent, days, opened_at \
                     FROM gate_evaluations WHERE group_id = $1 AND platform = $2 \
                     AND version_key = $3",
                )
                .bind(evaluation.group.get())
                .bind(evaluation.platform.as_str())
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
                let progress = evaluation.progress;
                let wanted = (
                    i64::from(progress.installed_percent),
                    i64::from(progress.failed_percent),
                    i64::from(progress.days),
                );
                let opened = match &existing {
                    Some((_, _, _, Some(opened))) => Some(opened.clone()),
                    _ => evaluation.opened_at.map(|at| at.to_string()),
                };
                if let Some((installed, failed, days, stored_opened)) = &existing
                    && (*installed, *failed, *days) == wanted
                    && *stored_opened == opened
                {
                    continue;
                }
                changed = true;
                sqlx::query(
                    "DELETE FROM gate_evaluations WHERE group_id = $1 AND platform = $2 \
                     AND version_key = $3",
                )
                .bind(evaluation.group.get())
                .bind(evaluation.platform.as_str())
                .bind(&key)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO gate_evaluations (group_id, platform, version_key, version, \
                     installed_percent, failed_percent, days, evaluated_at, opened_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(evaluation.group.get())
                .bind(evaluation.platform.as_str())
                .bind(&key)
                .bind(evaluation.version.as_str())
                .bind(wanted.0)
                .bind(wanted.1)
                .bind(wanted.2)
                .bind(evaluation.evaluated_at.to_string())
                .bind(opened)
                .execute(&mut *tx)
                .await?;
            }
            let mut added = Vec::new();
            for (halt, details) in halts {
                let key = halt.version.canonical_text();
                let existing: Option<i64> = sqlx::query_scalar(
                    "SELECT group_id FROM release_halts WHERE platform = $1 AND version_key = $2 \
                     AND group_id = $3",
                )
                .bind(halt.platform.as_str())
                .bind(&key)
                .bind(halt.group.get())
                .fetch_optional(&mut *tx)
                .await?;
                if existing.is_some() {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO release_halts (platform, version_key, version, group_id, \
                     failed_percent, halted_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(halt.platform.as_str())
                .bind(&key)
                .bind(halt.version.as_str())
                .bind(halt.group.get())
                .bind(i64::from(halt.failed_percent))
                .bind(halt.halted_at.to_string())
                .execute(&mut *tx)
                .await?;
                // Announced to every enabled webhook, in the same transaction as the halt.
                sqlx::query(crate::webhooks::QUEUE_EVENT_DETAILS)
                    .bind(RELEASE_HALTED)
                    .bind(halt.platform.as_str())
                    .bind(halt.version.as_str())
                    .bind(halt.halted_at.as_millisecond())
                    .bind(details.as_str())
                    .execute(&mut *tx)
                    .await?;
                added.push(halt.clone());
            }
            if changed || !added.is_empty() {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(added)
        })
    }
}

fn small(value: i64, what: &str, column: &str) -> Result<u16, StoreError> {
    u16::try_from(value).map_err(|_| corrupt(what, format!("{column} {value} is out of range")))
}

fn percent(value: i64, what: &str, column: &str) -> Result<u8, StoreError> {
    u8::try_from(value)
        .ok()
        .filter(|percent| *percent <= 100)
        .ok_or_else(|| corrupt(what, format!("{column} {value} is not a percentage")))
}

pub(crate) fn gates_of(rows: Vec<GateRow>) -> Result<Vec<StoredGate>, StoreError> {
    rows.into_iter()
        .map(|(group, after, installed, failed, days)| {
            let what = format!("gate of policy group {group}");
            Ok(StoredGate {
                group: PolicyGroupId::new(group),
                gate: Gate {
                    after: PolicyGroupId::new(after),
                    min_installed_percent: percent(installed, &what, "min_installed_percent")?,
                    max_failed_percent: percent(failed, &what, "max_failed_percent")?,
                    min_days: small(days, &what, "min_days")?,
                },
            })
        })
        .collect()
}

pub(crate) fn evaluations_of(
    rows: Vec<EvaluationRow>,
) -> Result<Vec<StoredEvaluation>, StoreError> {
    rows.into_iter()
        .map(
            |(group, platform, version, installed, failed, days, evaluated_at, opened_at)| {
                let what = format!("gate evaluation of {platform} {version} for group {group}");
                Ok(StoredEvaluation {
                    group: PolicyGroupId::new(group),
                    platform: Platform::parse(&platform).map_err(|why| corrupt(&what, why))?,
                    version: AppleOsVersion::parse(&version).map_err(|why| corrupt(&what, why))?,
                    progress: GateProgress {
                        installed_percent: percent(installed, &what, "installed_percent")?,
                        failed_percent: percent(failed, &what, "failed_percent")?,
                        days: small(days, &what, "days")?,
                    },
                    evaluated_at: parse_timestamp(&evaluated_at, &what, "evaluated_at")?,
                    opened_at: opened_at
                        .map(|text| parse_timestamp(&text, &what, "opened_at"))
                        .transpose()?,
                })
            },
        )
        .collect()
}

pub(crate) fn halts_of(rows: Vec<HaltRow>) -> Result<Vec<StoredHalt>, StoreError> {
    rows.into_iter()
        .map(|(platform, version, group, failed, halted_at)| {
            let what = format!("halt of {platform} {version} after group {group}");
            Ok(StoredHalt {
                platform: Platform::parse(&platform).map_err(|why| corrupt(&what, why))?,
                version: AppleOsVersion::parse(&version).map_err(|why| corrupt(&what, why))?,
                group: PolicyGroupId::new(group),
                failed_percent: percent(failed, &what, "failed_percent")?,
                halted_at: parse_timestamp(&halted_at, &what, "halted_at")?,
            })
        })
        .collect()
}
