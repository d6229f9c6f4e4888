//! OS updates: the release catalog, update policies and their groups, devices, device groups, and
//! the bindings that say which policies apply to which devices.
//!
//! Everything except the devices themselves is *configuration*, which each server caches and
//! rebuilds when the single `os_update_counter` row moves (separate from titles'
//! `change_counter`). Every configuration write bumps that counter first, in its own transaction:
//! concurrent writers then queue (the row lock on PostgreSQL, the write lock on SQLite) instead of
//! racing or failing on an SQLite lock upgrade, revisions follow commit order, and a write that
//! turns out to change nothing rolls back, leaving the revision as it was. Inserting or updating a
//! device (a check-in) does not bump it, as devices are read per request; deleting one does, since
//! that drops group memberships and bindings.
//!
//! - [`catalog`]: the release catalog, and importing a parsed feed into it.
//! - [`blocks`]: releases blocked everywhere; [`exemptions`]: devices exempt from enforcement;
//!   [`pauses`]: paused rings and policies; [`gates`]: health gates, their evaluations, halts.
//! - [`hardware`]: the feeds' facts about models (OS majors, board ids).
//! - [`policies`]: update policies and policy groups, with [`policies::rings`] (the default
//!   rings) and [`policies::bindings`] (which devices and device groups they apply to).
//! - [`devices`]: devices, with [`devices::groups`] (device groups).
//! - [`ddm`]: serving DDM: each device's last served set, its merged status, legacy mechanisms.
//!   [`ddm_batch`] merges many status reports, with the device facts they carry, in one transaction.
//! - [`device_data`]: the device data's revision, stamped by every write of what compliance reads
//!   about a device, and the reads of what changed since one.
//!
//! [`Store::load_os_update_config`] reads all configuration as one consistent snapshot.
//! Stored policy documents are re-parsed with the domain parser on load, and any stored value the
//! domain refuses is [`StoreError::Corrupt`]. Lists of any length (100,000 devices, a group of
//! 10,000) are written and checked [`ROWS_PER_STATEMENT`] rows at a time, well within both
//! backends' bind-parameter limits (SQLite 32,766, PostgreSQL 65,535).

pub mod blocks;
pub mod catalog;
pub mod ddm;
pub mod ddm_batch;
pub mod device_data;
pub mod devices;
pub mod exemptions;
pub mod gates;
pub mod hardware;
pub mod pauses;
pub mod policies;

use std::fmt::Write;

use jiff::Timestamp;
use ringmaster_domain::catalog::hardware::HardwareCatalog;
use ringmaster_domain::catalog::release::Release;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::catalog::ReleaseRow;
use crate::os_updates::devices::StoredDeviceGroup;
use crate::os_updates::devices::groups::{self, DeviceGroupRow};
use crate::os_updates::policies::bindings::{self, BindingRow};
use crate::os_updates::policies::{
    PolicyGroupRow, PolicyRow, StoredBinding, StoredPolicy, StoredPolicyGroup,
};
use crate::store::{Backend, Store};

/// Everything the declarations engine needs except the devices, read as one consistent snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct OsUpdateConfig {
    /// The counter value this snapshot reflects; compare with [`Store::os_update_revision`].
    pub revision: i64,
    /// In [`Store::list_releases`] order.
    pub releases: Vec<Release>,
    /// What the feeds say about models.
    pub hardware: HardwareCatalog,
    /// Releases blocked everywhere, by platform and version.
    pub blocked: Vec<blocks::StoredBlock>,
    /// Every device's exemptions, by device, then id.
    pub exemptions: Vec<exemptions::StoredExemption>,
    /// Every policy's and group's latest pause.
    pub pauses: Vec<pauses::StoredPause>,
    /// Gated policy groups' gates, what the evaluation rounds recorded, and halted releases.
    pub gates: Vec<gates::StoredGate>,
    pub gate_evaluations: Vec<gates::StoredEvaluation>,
    pub halts: Vec<gates::StoredHalt>,
    /// By id.
    pub policies: Vec<StoredPolicy>,
    /// In [`Store::list_policy_groups`] order.
    pub policy_groups: Vec<StoredPolicyGroup>,
    /// By id, members sorted.
    pub device_groups: Vec<StoredDeviceGroup>,
    /// Subjects with at least one target, sorted by subject.
    pub bindings: Vec<StoredBinding>,
}

impl Store {
    /// The revision of the last OS-update configuration write.
    pub async fn os_update_revision(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(SELECT_REVISION).fetch_one(pool).await?
        }))
    }

    /// Reads the whole OS-update configuration in one transaction (repeatable read on
    /// PostgreSQL; on SQLite a read transaction sees one snapshot), counter first.
    pub async fn load_os_update_config(&self) -> Result<OsUpdateConfig, StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        let rows: ConfigRows = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *tx)
                    .await?;
            }
            let rows = ConfigRows {
                revision: sqlx::query_scalar(SELECT_REVISION).fetch_one(&mut *tx).await?,
                releases: sqlx::query_as(catalog::SELECT_ALL_RELEASES)
                    .fetch_all(&mut *tx)
                    .await?,
                hardware: sqlx::query_as(hardware::SELECT_ALL_MODELS)
                    .fetch_all(&mut *tx)
                    .await?,
                blocked: sqlx::query_as(blocks::SELECT_ALL_BLOCKS)
                    .fetch_all(&mut *tx)
                    .await?,
                exemptions: sqlx::query_as(exemptions::SELECT_ALL_EXEMPTIONS)
                    .fetch_all(&mut *tx)
                    .await?,
                pauses: sqlx::query_as(pauses::SELECT_ALL_PAUSES)
                    .fetch_all(&mut *tx)
                    .await?,
                gates: sqlx::query_as(gates::SELECT_ALL_GATES)
                    .fetch_all(&mut *tx)
                    .await?,
                gate_evaluations: sqlx::query_as(gates::SELECT_ALL_EVALUATIONS)
                    .fetch_all(&mut *tx)
                    .await?,
                halts: sqlx::query_as(gates::SELECT_ALL_HALTS)
                    .fetch_all(&mut *tx)
                    .await?,
                policies: sqlx::query_as(policies::SELECT_ALL_POLICIES)
                    .fetch_all(&mut *tx)
                    .await?,
                policy_groups: sqlx::query_as(policies::SELECT_ALL_POLICY_GROUPS)
                    .fetch_all(&mut *tx)
                    .await?,
                device_groups: sqlx::query_as(groups::SELECT_ALL_DEVICE_GROUPS)
                    .fetch_all(&mut *tx)
                    .await?,
                members: sqlx::query_as(groups::SELECT_ALL_MEMBERS)
                    .fetch_all(&mut *tx)
                    .await?,
                bindings: sqlx::query_as(bindings::SELECT_ALL_BINDINGS)
                    .fetch_all(&mut *tx)
                    .await?,
            };
            tx.commit().await?;
            rows
        });
        Ok(OsUpdateConfig {
            revision: rows.revision,
            releases: catalog::releases_of(rows.releases)?,
            hardware: hardware::catalog_of(rows.hardware)?,
            blocked: blocks::blocks_of(rows.blocked)?,
            exemptions: exemptions::exemptions_of(rows.exemptions)?,
            pauses: pauses::pauses_of(rows.pauses)?,
            gates: gates::gates_of(rows.gates)?,
            gate_evaluations: gates::evaluations_of(rows.gate_evaluations)?,
            halts: gates::halts_of(rows.halts)?,
            policies: rows
                .policies
                .into_iter()
                .map(PolicyRow::into_stored)
                .collect::<Result<_, _>>()?,
            policy_groups: rows
                .policy_groups
                .into_iter()
                .map(PolicyGroupRow::into_stored)
                .collect::<Result<_, _>>()?,
            device_groups: groups::assemble_device_groups(rows.device_groups, rows.members)?,
            bindings: bindings::assemble_bindings(rows.bindings)?,
        })
    }
}

/// The rows [`Store::load_os_update_config`] reads, in the order it reads them (struct
/// expressions evaluate their fields in the order written: the counter first).
struct ConfigRows {
    revision: i64,
    releases: Vec<ReleaseRow>,
    hardware: Vec<hardware::HardwareRow>,
    blocked: Vec<blocks::BlockRow>,
    exemptions: Vec<exemptions::ExemptionRow>,
    pauses: Vec<pauses::PauseRow>,
    gates: Vec<gates::GateRow>,
    gate_evaluations: Vec<gates::EvaluationRow>,
    halts: Vec<gates::HaltRow>,
    policies: Vec<PolicyRow>,
    policy_groups: Vec<PolicyGroupRow>,
    device_groups: Vec<DeviceGroupRow>,
    /// `(group_id, device_id)`.
    members: Vec<(i64, String)>,
    bindings: Vec<BindingRow>,
}

const SELECT_REVISION: &str = "SELECT revision FROM os_update_counter WHERE id = 1";

/// Rows per multi-row statement (inserts, `IN (…)` lists): at most 8 parameters a row, so at
/// most 800 a statement. Far below the limits, on purpose: sqlx finds each `$N` of an SQLite
/// statement by name, which costs time quadratic in the parameter count (100,000 devices take
/// about 0.9 s in 100-row statements, 3.3 s in 500-row ones).
pub const ROWS_PER_STATEMENT: usize = 100;

/// Bumps the OS-update counter inside a transaction and yields the new revision. Always the first
/// statement of a configuration write: on SQLite it takes the write lock before any read, so a
/// concurrent writer waits (busy timeout) instead of failing on a lock upgrade.
macro_rules! bump_os_update_counter {
    ($tx:ident) => {
        sqlx::query_scalar::<_, i64>(
            "UPDATE os_update_counter SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        )
        .fetch_one(&mut *$tx)
        .await?
    };
}
pub(crate) use bump_os_update_counter;

/// Which of `$keys` (a slice) exist, as a `HashSet<$key>`: runs `$select` followed by an
/// `(…)` list of placeholders, [`ROWS_PER_STATEMENT`] keys at a time, inside transaction `$tx`.
macro_rules! existing_keys {
    ($tx:ident, $select:expr, $key:ty, $keys:expr) => {{
        let mut found = std::collections::HashSet::<$key>::new();
        for chunk in $keys.chunks($crate::os_updates::ROWS_PER_STATEMENT) {
            let sql = format!(
                "{}({})",
                $select,
                $crate::os_updates::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, $key>(sqlx::AssertSqlSafe(sql));
            for key in chunk {
                query = query.bind(key);
            }
            found.extend(query.fetch_all(&mut *$tx).await?);
        }
        found
    }};
}
pub(crate) use existing_keys;

/// `$first, $first+1, …` for `count` parameters.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    let mut sql = String::with_capacity(count * 6);
    for index in first..first + count {
        if index > first {
            sql.push_str(", ");
        }
        let _ = write!(sql, "${index}");
    }
    sql
}

/// `($1, $2), ($3, $4)`: the `VALUES` list of a multi-row insert of `rows` rows of `columns`.
pub(crate) fn values_list(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * (columns * 7 + 4));
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&placeholders(row * columns + 1, columns));
        sql.push(')');
    }
    sql
}

/// A unique-key violation becomes [`StoreError::AlreadyExists`] naming `what`.
pub(crate) fn unique_or(error: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    let error = StoreError::from(error);
    if error.is_unique_violation() {
        StoreError::AlreadyExists(what())
    } else {
        error
    }
}

pub(crate) fn corrupt(what: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        why: why.to_string(),
    }
}

/// Reads an RFC 3339 column; `column` names it in the error.
pub(crate) fn parse_timestamp(
    text: &str,
    what: &str,
    column: &str,
) -> Result<Timestamp, StoreError> {
    text.parse()
        .map_err(|error| corrupt(what, format!("{column}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_lists_number_every_parameter() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_list(1, 1), "($1)");
    }
}
