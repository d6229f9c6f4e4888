//! Pauses of a ring (policy group) or a policy (`rollout_pauses`, migration 0011): one row per
//! subject, its latest pause, with the admin's reason, who paused it and when, its planned end
//! and, once resumed, who resumed it and when.
//!
//! Pauses are configuration: [`Store::pause`] and [`Store::resume`] bump `os_update_counter`
//! first in their transaction and roll back when nothing changes. Pausing a subject already
//! paused keeps its start (so the target it holds stays) and replaces reason and end; pausing
//! after a pause ended replaces the row. [`Store::load_os_update_config`] reads them all.
//! Deleting a policy or a group deletes its pause.

use jiff::Timestamp;
use ringmaster_domain::assignment::Subject;
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_domain::schedule::pause::PauseSpan;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, corrupt, parse_timestamp};
use crate::store::Store;

/// The latest pause of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPause {
    pub subject: Subject,
    pub reason: String,
    pub paused_by: Option<String>,
    pub paused_at: Timestamp,
    pub until: Option<Timestamp>,
    pub resumed_by: Option<String>,
    pub resumed_at: Option<Timestamp>,
}

impl StoredPause {
    /// The span the schedule reads.
    pub fn span(&self) -> PauseSpan {
        PauseSpan {
            since: self.paused_at,
            until: self.until,
            resumed_at: self.resumed_at,
        }
    }
}

/// What [`Store::pause`] and [`Store::resume`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PauseWrite {
    /// Written; the pause as stored now.
    Written(StoredPause),
    /// Nothing changed (resuming what is not paused, the same pause again).
    Unchanged(Option<StoredPause>),
    /// No policy or group has this id.
    NoSubject,
}

pub(crate) const SELECT_ALL_PAUSES: &str = "SELECT policy_id, policy_group_id, reason, paused_by, \
     paused_at, until_at, resumed_by, resumed_at FROM rollout_pauses \
     ORDER BY policy_group_id, policy_id";

/// `(policy_id, policy_group_id, reason, paused_by, paused_at, until_at, resumed_by, resumed_at)`.
pub(crate) type PauseRow = (
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The statements of one kind of subject.
struct PauseQueries {
    exists: &'static str,
    select: &'static str,
    delete: &'static str,
    insert: &'static str,
    resume: &'static str,
}

const POLICY: PauseQueries = PauseQueries {
    exists: "SELECT id FROM update_policies WHERE id = $1",
    select: "SELECT policy_id, policy_group_id, reason, paused_by, paused_at, until_at, \
             resumed_by, resumed_at FROM rollout_pauses WHERE policy_id = $1",
    delete: "DELETE FROM rollout_pauses WHERE policy_id = $1",
    insert: "INSERT INTO rollout_pauses (policy_id, reason, paused_by, paused_at, until_at) \
             VALUES ($1, $2, $3, $4, $5)",
    resume: "UPDATE rollout_pauses SET resumed_by = $2, resumed_at = $3 WHERE policy_id = $1",
};

const GROUP: PauseQueries = PauseQueries {
    exists: "SELECT id FROM update_policy_groups WHERE id = $1",
    select: "SELECT policy_id, policy_group_id, reason, paused_by, paused_at, until_at, \
             resumed_by, resumed_at FROM rollout_pauses WHERE policy_group_id = $1",
    delete: "DELETE FROM rollout_pauses WHERE policy_group_id = $1",
    insert: "INSERT INTO rollout_pauses (policy_group_id, reason, paused_by, paused_at, \
             until_at) VALUES ($1, $2, $3, $4, $5)",
    resume: "UPDATE rollout_pauses SET resumed_by = $2, resumed_at = $3 \
             WHERE policy_group_id = $1",
};

fn queries(subject: Subject) -> (&'static PauseQueries, i64) {
    match subject {
        Subject::Policy(id) => (&POLICY, id.get()),
        Subject::PolicyGroup(id) => (&GROUP, id.get()),
    }
}

impl Store {
    /// Every subject's latest pause.
    pub async fn list_pauses(&self) -> Result<Vec<StoredPause>, StoreError> {
        let rows: Vec<PauseRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_PAUSES).fetch_all(pool).await?
        });
        pauses_of(rows)
    }

    /// Pauses `subject` at `now` (see the module doc for a subject already paused).
    pub async fn pause(
        &self,
        subject: Subject,
        reason: &str,
        until: Option<Timestamp>,
        by: Option<&str>,
        now: Timestamp,
    ) -> Result<PauseWrite, StoreError> {
        let (sql, id) = queries(subject);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let known: Option<i64> = sqlx::query_scalar(sql.exists)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                tx.rollback().await?;
                return Ok(PauseWrite::NoSubject);
            }
            let row: Option<PauseRow> = sqlx::query_as(sql.select)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let existing = row.map(pause_of).transpose()?;
            let Some(pause) = paused(existing.as_ref(), subject, reason, until, by, now) else {
                tx.rollback().await?;
                return Ok(PauseWrite::Unchanged(existing));
            };
            sqlx::query(sql.delete).bind(id).execute(&mut *tx).await?;
            sqlx::query(sql.insert)
                .bind(id)
                .bind(&pause.reason)
                .bind(pause.paused_by.as_deref())
                .bind(pause.paused_at.to_string())
                .bind(pause.until.map(|until| until.to_string()))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(PauseWrite::Written(pause))
        })
    }

    /// Resumes `subject` at `now`, when a pause of it is in force.
    pub async fn resume(
        &self,
        subject: Subject,
        by: Option<&str>,
        now: Timestamp,
    ) -> Result<PauseWrite, StoreError> {
        let (sql, id) = queries(subject);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let known: Option<i64> = sqlx::query_scalar(sql.exists)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                tx.rollback().await?;
                return Ok(PauseWrite::NoSubject);
            }
            let row: Option<PauseRow> = sqlx::query_as(sql.select)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let existing = row.map(pause_of).transpose()?;
            let Some(resumed) = existing.as_ref().and_then(|pause| resumed(pause, by, now)) else {
                tx.rollback().await?;
                return Ok(PauseWrite::Unchanged(None));
            };
            sqlx::query(sql.resume)
                .bind(id)
                .bind(by)
                .bind(now.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(PauseWrite::Written(resumed))
        })
    }
}

/// The pause `subject` has after pausing it at `now`, given its latest pause: a pause in force
/// keeps its start and takes the new reason and end; otherwise a new pause begins. `None` when
/// nothing changes (the same reason and end while in force). [`Store::pause`] writes it, and a
/// dry run applies it to its copy of the configuration.
pub fn paused(
    existing: Option<&StoredPause>,
    subject: Subject,
    reason: &str,
    until: Option<Timestamp>,
    by: Option<&str>,
    now: Timestamp,
) -> Option<StoredPause> {
    match existing {
        Some(current) if current.span().holds_at(now) => {
            if current.reason == reason && current.until == until {
                return None;
            }
            Some(StoredPause {
                reason: reason.to_owned(),
                until,
                paused_by: by.map(str::to_owned),
                ..current.clone()
            })
        }
        _ => Some(StoredPause {
            subject,
            reason: reason.to_owned(),
            paused_by: by.map(str::to_owned),
            paused_at: now,
            until,
            resumed_by: None,
            resumed_at: None,
        }),
    }
}

/// `pause` resumed at `now`, when it is in force then; `None` otherwise (nothing changes).
pub fn resumed(pause: &StoredPause, by: Option<&str>, now: Timestamp) -> Option<StoredPause> {
    pause.span().holds_at(now).then(|| StoredPause {
        resumed_by: by.map(str::to_owned),
        resumed_at: Some(now),
        ..pause.clone()
    })
}

pub(crate) fn pauses_of(rows: Vec<PauseRow>) -> Result<Vec<StoredPause>, StoreError> {
    rows.into_iter().map(pause_of).collect()
}

fn pause_of(row: PauseRow) -> Result<StoredPause, StoreError> {
    let (policy, group, reason, paused_by, paused_at, until, resumed_by, resumed_at) = row;
    let what = format!("pause of policy {policy:?} or group {group:?}");
    let subject = match (policy, group) {
        (Some(id), None) => Subject::Policy(PolicyId::new(id)),
        (None, Some(id)) => Subject::PolicyGroup(PolicyGroupId::new(id)),
        _ => return Err(corrupt(&what, "it must name a policy or a group")),
    };
    let optional = |text: Option<String>, column: &str| {
        text.map(|text| parse_timestamp(&text, &what, column))
            .transpose()
    };
    Ok(StoredPause {
        subject,
        reason,
        paused_by,
        paused_at: parse_timestamp(&paused_at, &what, "paused_at")?,
        until: optional(until, "until_at")?,
        resumed_by,
        resumed_at: optional(resumed_at, "resumed_at")?,
    })
}
