//! Moving a whole installation between databases (`ringmaster migrate`), nothing lost.
//!
//! Copied, row for row as raw columns (nothing re-rendered or re-parsed on the way): titles with
//! their admin state, `lastModified`, revision and creation date; token hashes with their ids and
//! dates; and every OS-update table (releases, policy groups, policies, devices, device groups
//! and their members, bindings, and what DDM keeps per device: served sets, status, legacy
//! mechanisms, blocked releases, device exemptions, paused rings and policies, health gates, their evaluations and halts), webhooks and the audit log, keeping every id, revision and timestamp as stored. Both change counters
//! (`change_counter`, `os_update_counter`) take the source's values. Title tombstones and leases
//! are not copied: they only matter to servers that ran on the source (and the target's own
//! tombstones, numbered by the counter the copy replaces, are deleted). Neither is the queue of
//! webhook deliveries: events still queued on the source are not sent from the target.
//!
//! [`Store::read_installation`] reads the source in one transaction (repeatable read on
//! PostgreSQL). [`Store::write_installation`] writes the target in one transaction, all or
//! nothing: it refuses data PostgreSQL cannot store (a NUL character, which an old SQLite database
//! may hold: [`Installation::nul_characters`] names each cell by table, row and column), sets both
//! counters first (which serializes it with other writers, as every write
//! does), refuses a target that holds data ([`Store::occupied_tables`]), then inserts in
//! dependency order (policy groups before policies, devices and device groups before members,
//! bindings and per-device data), many rows a statement. On PostgreSQL, explicit ids of identity
//! columns go in with `OVERRIDING SYSTEM VALUE`, and each identity sequence is then set to its
//! table's largest id so that new rows do not collide; on SQLite, `AUTOINCREMENT` follows
//! explicit ids by itself.
//!
//! - [`backup`]: a backup's tables, checked in a scratch database and restored in one
//!   transaction (`GET /api/v1/backup`, `ringmaster backup` and `restore`).
//! - `tables`: the copied tables, one row type each, and the SQL that reads and writes them.
//! - `verify`: checking a copy (row counts, raw rows, the data as the store reads it) and
//!   that the transfer knows every table and column of the schema.

pub mod backup;
mod tables;
mod verify;

use crate::error::StoreError;
use crate::on_pool;
use crate::store::{Backend, Store};
pub use tables::RawAuditEntry;
use tables::{Cell, Table, insert_rows, read_rows};
pub use tables::{
    RawBinding, RawBlockedRelease, RawDevice, RawDeviceExemption, RawDeviceGroup, RawDeviceStatus,
    RawGate, RawGateEvaluation, RawHardwareModel, RawLegacyMechanism, RawMember, RawPolicy,
    RawPolicyGroup, RawRelease, RawReleaseHalt, RawRolloutPause, RawServedSet, RawTitle, RawToken,
    RawWebhook,
};

/// Everything an installation holds, as raw rows (each table sorted by key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    title_revision: i64,
    os_update_revision: i64,
    titles: Vec<RawTitle>,
    tokens: Vec<RawToken>,
    releases: Vec<RawRelease>,
    hardware_models: Vec<RawHardwareModel>,
    policy_groups: Vec<RawPolicyGroup>,
    policies: Vec<RawPolicy>,
    devices: Vec<RawDevice>,
    device_groups: Vec<RawDeviceGroup>,
    members: Vec<RawMember>,
    bindings: Vec<RawBinding>,
    served_sets: Vec<RawServedSet>,
    device_statuses: Vec<RawDeviceStatus>,
    legacy_mechanisms: Vec<RawLegacyMechanism>,
    webhooks: Vec<RawWebhook>,
    audit: Vec<RawAuditEntry>,
    blocked_releases: Vec<RawBlockedRelease>,
    device_exemptions: Vec<RawDeviceExemption>,
    rollout_pauses: Vec<RawRolloutPause>,
    gates: Vec<RawGate>,
    gate_evaluations: Vec<RawGateEvaluation>,
    release_halts: Vec<RawReleaseHalt>,
}

/// How many rows each copied table holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub titles: usize,
    pub tokens: usize,
    pub releases: usize,
    /// Models the feeds described (OS majors, board ids).
    pub hardware_models: usize,
    pub policy_groups: usize,
    pub policies: usize,
    pub devices: usize,
    pub device_groups: usize,
    /// Device-group memberships.
    pub members: usize,
    /// Binding rows: one per (policy or policy group, device or device group).
    pub bindings: usize,
    /// Devices with a served DDM declaration set.
    pub served_sets: usize,
    /// Devices with a stored DDM status.
    pub device_statuses: usize,
    pub legacy_mechanisms: usize,
    pub webhooks: usize,
    /// Audit log entries.
    pub audit: usize,
    pub blocked_releases: usize,
    pub device_exemptions: usize,
    pub rollout_pauses: usize,
    pub gates: usize,
    pub gate_evaluations: usize,
    pub release_halts: usize,
}

impl TableCounts {
    /// Each count with its table's name, in copy order.
    pub fn by_table(&self) -> [(&'static str, usize); 21] {
        [
            (RawTitle::NAME, self.titles),
            (RawToken::NAME, self.tokens),
            (RawRelease::NAME, self.releases),
            (RawHardwareModel::NAME, self.hardware_models),
            (RawPolicyGroup::NAME, self.policy_groups),
            (RawPolicy::NAME, self.policies),
            (RawDevice::NAME, self.devices),
            (RawDeviceGroup::NAME, self.device_groups),
            (RawMember::NAME, self.members),
            (RawBinding::NAME, self.bindings),
            (RawServedSet::NAME, self.served_sets),
            (RawDeviceStatus::NAME, self.device_statuses),
            (RawLegacyMechanism::NAME, self.legacy_mechanisms),
            (RawWebhook::NAME, self.webhooks),
            (RawAuditEntry::NAME, self.audit),
            (RawBlockedRelease::NAME, self.blocked_releases),
            (RawDeviceExemption::NAME, self.device_exemptions),
            (RawRolloutPause::NAME, self.rollout_pauses),
            (RawGate::NAME, self.gates),
            (RawGateEvaluation::NAME, self.gate_evaluations),
            (RawReleaseHalt::NAME, self.release_halts),
        ]
    }

    /// The counts by table name, to fill in [`TableCounts::by_table`] order.
    fn slots(&mut self) -> [&mut usize; 21] {
        [
            &mut self.titles,
            &mut self.tokens,
            &mut self.releases,
            &mut self.hardware_models,
            &mut self.policy_groups,
            &mut self.policies,
            &mut self.devices,
            &mut self.device_groups,
            &mut self.members,
            &mut self.bindings,
            &mut self.served_sets,
            &mut self.device_statuses,
            &mut self.legacy_mechanisms,
            &mut self.webhooks,
            &mut self.audit,
            &mut self.blocked_releases,
            &mut self.device_exemptions,
            &mut self.rollout_pauses,
            &mut self.gates,
            &mut self.gate_evaluations,
            &mut self.release_halts,
        ]
    }
}

/// The tables whose rows make a database "not empty" (the other copied tables need rows in
/// these).
const CONTENT_TABLES: [&str; 10] = [
    RawTitle::NAME,
    RawToken::NAME,
    RawRelease::NAME,
    RawPolicyGroup::NAME,
    RawPolicy::NAME,
    RawDevice::NAME,
    RawDeviceGroup::NAME,
    RawWebhook::NAME,
    RawAuditEntry::NAME,
    RawBlockedRelease::NAME,
];

/// Tables whose `id` is an identity column on PostgreSQL, whose sequences follow a copy.
const IDENTITY_TABLES: [&str; 7] = [
    RawToken::NAME,
    RawPolicyGroup::NAME,
    RawPolicy::NAME,
    RawDeviceGroup::NAME,
    RawWebhook::NAME,
    RawAuditEntry::NAME,
    RawDeviceExemption::NAME,
];

impl Installation {
    /// Whether two installations hold the same rows and counter values.
    pub fn same_content(&self, other: &Installation) -> bool {
        self == other
    }

    pub fn counts(&self) -> TableCounts {
        TableCounts {
            titles: self.titles.len(),
            tokens: self.tokens.len(),
            releases: self.releases.len(),
            hardware_models: self.hardware_models.len(),
            policy_groups: self.policy_groups.len(),
            policies: self.policies.len(),
            devices: self.devices.len(),
            device_groups: self.device_groups.len(),
            members: self.members.len(),
            bindings: self.bindings.len(),
            served_sets: self.served_sets.len(),
            device_statuses: self.device_statuses.len(),
            legacy_mechanisms: self.legacy_mechanisms.len(),
            webhooks: self.webhooks.len(),
            audit: self.audit.len(),
            blocked_releases: self.blocked_releases.len(),
            device_exemptions: self.device_exemptions.len(),
            rollout_pauses: self.rollout_pauses.len(),
            gates: self.gates.len(),
            gate_evaluations: self.gate_evaluations.len(),
            release_halts: self.release_halts.len(),
        }
    }

    /// Every text cell holding a NUL character, as `table row (key = value): column`: what
    /// PostgreSQL cannot store (an SQLite database written before NUL characters were refused
    /// may hold some). At most [`MAX_NUL_CELLS_LISTED`] are listed, then how many more.
    pub fn nul_characters(&self) -> Vec<String> {
        let mut found = Vec::new();
        cells_with_nul(&self.titles, &mut found);
        cells_with_nul(&self.tokens, &mut found);
        cells_with_nul(&self.hardware_models, &mut found);
        cells_with_nul(&self.releases, &mut found);
        cells_with_nul(&self.policy_groups, &mut found);
        cells_with_nul(&self.policies, &mut found);
        cells_with_nul(&self.devices, &mut found);
        cells_with_nul(&self.device_groups, &mut found);
        cells_with_nul(&self.members, &mut found);
        cells_with_nul(&self.bindings, &mut found);
        cells_with_nul(&self.served_sets, &mut found);
        cells_with_nul(&self.device_statuses, &mut found);
        cells_with_nul(&self.legacy_mechanisms, &mut found);
        cells_with_nul(&self.webhooks, &mut found);
        cells_with_nul(&self.audit, &mut found);
        cells_with_nul(&self.blocked_releases, &mut found);
        cells_with_nul(&self.device_exemptions, &mut found);
        cells_with_nul(&self.rollout_pauses, &mut found);
        cells_with_nul(&self.gates, &mut found);
        cells_with_nul(&self.gate_evaluations, &mut found);
        cells_with_nul(&self.release_halts, &mut found);
        if found.len() > MAX_NUL_CELLS_LISTED {
            let more = found.len() - MAX_NUL_CELLS_LISTED;
            found.truncate(MAX_NUL_CELLS_LISTED);
            found.push(format!("{more} more"));
        }
        found
    }

    /// What differs from `other`: the counters, and the tables whose rows are not all equal.
    /// `self` is called the source and `other` the target.
    pub fn differences(&self, other: &Installation) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, source, target) in [
            ("change_counter", self.title_revision, other.title_revision),
            (
                "os_update_counter",
                self.os_update_revision,
                other.os_update_revision,
            ),
        ] {
            if source != target {
                differences.push(format!(
                    "{name}: revision {source} in the source, {target} in the target"
                ));
            }
        }
        let tables = [
            (RawTitle::NAME, self.titles == other.titles),
            (RawToken::NAME, self.tokens == other.tokens),
            (RawRelease::NAME, self.releases == other.releases),
            (
                RawHardwareModel::NAME,
                self.hardware_models == other.hardware_models,
            ),
            (
                RawPolicyGroup::NAME,
                self.policy_groups == other.policy_groups,
            ),
            (RawPolicy::NAME, self.policies == other.policies),
            (RawDevice::NAME, self.devices == other.devices),
            (
                RawDeviceGroup::NAME,
                self.device_groups == other.device_groups,
            ),
            (RawMember::NAME, self.members == other.members),
            (RawBinding::NAME, self.bindings == other.bindings),
            (RawServedSet::NAME, self.served_sets == other.served_sets),
            (
                RawDeviceStatus::NAME,
                self.device_statuses == other.device_statuses,
            ),
            (
                RawLegacyMechanism::NAME,
                self.legacy_mechanisms == other.legacy_mechanisms,
            ),
            (RawWebhook::NAME, self.webhooks == other.webhooks),
            (RawAuditEntry::NAME, self.audit == other.audit),
            (
                RawBlockedRelease::NAME,
                self.blocked_releases == other.blocked_releases,
            ),
            (
                RawDeviceExemption::NAME,
                self.device_exemptions == other.device_exemptions,
            ),
            (
                RawRolloutPause::NAME,
                self.rollout_pauses == other.rollout_pauses,
            ),
            (RawGate::NAME, self.gates == other.gates),
            (
                RawGateEvaluation::NAME,
                self.gate_evaluations == other.gate_evaluations,
            ),
            (
                RawReleaseHalt::NAME,
                self.release_halts == other.release_halts,
            ),
        ];
        for (name, same) in tables {
            if !same {
                differences.push(format!("{name}: the rows differ"));
            }
        }
        differences
    }
}

/// The most cells [`Installation::nul_characters`] lists.
pub const MAX_NUL_CELLS_LISTED: usize = 20;

/// Appends the cells of `rows` that hold a NUL character, each named by its table, the row's key
/// and its column.
fn cells_with_nul<T: Table>(rows: &[T], found: &mut Vec<String>) {
    for row in rows {
        let cells = row.cells();
        for (column, cell) in T::COLUMNS.iter().zip(&cells) {
            let text = match cell {
                Cell::Text(text) => Some(*text),
                Cell::NullableText(text) => *text,
                _ => None,
            };
            if text.is_some_and(|text| text.contains('\0')) {
                found.push(format!(
                    "{} row ({}): column {column}",
                    T::NAME,
                    row_key::<T>(&cells)
                ));
            }
        }
    }
}

/// `id = "mac-1"`, or every key column of a table keyed by several.
fn row_key<T: Table>(cells: &[Cell<'_>]) -> String {
    let key_columns = match T::NAME {
        RawMember::NAME => 2,
        RawLegacyMechanism::NAME => 3,
        RawBinding::NAME | RawRelease::NAME => 4,
        _ => 1,
    };
    T::COLUMNS
        .iter()
        .zip(cells)
        .take(key_columns)
        .map(|(column, cell)| {
            let value = match cell {
                Cell::Text(text) => format!("{text:?}"),
                Cell::NullableText(Some(text)) => format!("{text:?}"),
                Cell::NullableText(None) | Cell::NullableBigInt(None) | Cell::NullableInt(None) => {
                    "null".into()
                }
                Cell::BigInt(number) | Cell::NullableBigInt(Some(number)) => number.to_string(),
                Cell::NullableInt(Some(number)) => number.to_string(),
                Cell::Boolean(flag) => flag.to_string(),
            };
            format!("{column} = {value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The copied tables that hold at least one row, in [`CONTENT_TABLES`] order, read in
/// transaction `$tx`.
macro_rules! occupied_tables {
    ($tx:ident) => {{
        let mut occupied = Vec::new();
        for table in CONTENT_TABLES {
            let sql = format!("SELECT 1 FROM {table} LIMIT 1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_optional(&mut *$tx)
                .await?;
            if row.is_some() {
                occupied.push(table);
            }
        }
        occupied
    }};
}

/// Sets each identity sequence of [`IDENTITY_TABLES`] to its table's largest id, in
/// transaction `$tx` (PostgreSQL only), so that new rows do not collide with copied ids.
macro_rules! reset_identity_sequences {
    ($tx:ident) => {
        for table in IDENTITY_TABLES {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *$tx)
                .await?;
        }
    };
}
use reset_identity_sequences;

const SELECT_TITLE_REVISION: &str = "SELECT revision FROM change_counter WHERE id = 1";
const SELECT_OS_UPDATE_REVISION: &str = "SELECT revision FROM os_update_counter WHERE id = 1";

impl Store {
    /// Reads everything, in one transaction (repeatable read on PostgreSQL; on SQLite a read
    /// transaction sees one snapshot).
    pub async fn read_installation(&self) -> Result<Installation, StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(&mut *tx)
                    .await?;
            }
            let installation = Installation {
                title_revision: sqlx::query_scalar(SELECT_TITLE_REVISION)
                    .fetch_one(&mut *tx)
                    .await?,
                os_update_revision: sqlx::query_scalar(SELECT_OS_UPDATE_REVISION)
                    .fetch_one(&mut *tx)
                    .await?,
                titles: read_rows!(&mut *tx, RawTitle),
                tokens: read_rows!(&mut *tx, RawToken),
                releases: read_rows!(&mut *tx, RawRelease),
                hardware_models: read_rows!(&mut *tx, RawHardwareModel),
                policy_groups: read_rows!(&mut *tx, RawPolicyGroup),
                policies: read_rows!(&mut *tx, RawPolicy),
                devices: read_rows!(&mut *tx, RawDevice),
                device_groups: read_rows!(&mut *tx, RawDeviceGroup),
                members: read_rows!(&mut *tx, RawMember),
                bindings: read_rows!(&mut *tx, RawBinding),
                served_sets: read_rows!(&mut *tx, RawServedSet),
                device_statuses: read_rows!(&mut *tx, RawDeviceStatus),
                legacy_mechanisms: read_rows!(&mut *tx, RawLegacyMechanism),
                webhooks: read_rows!(&mut *tx, RawWebhook),
                audit: read_rows!(&mut *tx, RawAuditEntry),
                blocked_releases: read_rows!(&mut *tx, RawBlockedRelease),
                device_exemptions: read_rows!(&mut *tx, RawDeviceExemption),
                rollout_pauses: read_rows!(&mut *tx, RawRolloutPause),
                gates: read_rows!(&mut *tx, RawGate),
                gate_evaluations: read_rows!(&mut *tx, RawGateEvaluation),
                release_halts: read_rows!(&mut *tx, RawReleaseHalt),
            };
            tx.commit().await?;
            installation
        }))
    }

    /// The tables holding data that make this database unfit as a migration target: titles,
    /// tokens, releases, policy groups, policies, devices, device groups, webhooks, audit entries
    /// (empty when none).
    pub async fn occupied_tables(&self) -> Result<Vec<&'static str>, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let occupied = occupied_tables!(tx);
            tx.commit().await?;
            occupied
        }))
    }

    /// Whether the database holds no titles, tokens or OS-update data.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.occupied_tables().await?.is_empty())
    }

    /// Writes a whole installation into this database in one transaction, all or nothing.
    /// Both counters are set first; [`StoreError::AlreadyExists`] (and nothing written) when
    /// any of [`Store::occupied_tables`] holds a row; on PostgreSQL, [`StoreError::NulCharacters`]
    /// (and nothing written) when a text cell holds a NUL character. The target's own title tombstones go.
    /// Rows keep their ids, revisions and dates; on PostgreSQL each identity sequence is then
    /// set to its table's largest id. (Sequences are not transactional: were the commit itself
    /// to fail, they would stay moved, which only makes later ids skip some numbers.)
    pub async fn write_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        if postgres {
            let nul = installation.nul_characters();
            if !nul.is_empty() {
                return Err(StoreError::NulCharacters(nul));
            }
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE change_counter SET revision = $1 WHERE id = 1")
                .bind(installation.title_revision)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE os_update_counter SET revision = $1 WHERE id = 1")
                .bind(installation.os_update_revision)
                .execute(&mut *tx)
                .await?;
            let occupied = occupied_tables!(tx);
            if !occupied.is_empty() {
                return Err(StoreError::AlreadyExists(format!(
                    "data (in {})",
                    occupied.join(", ")
                )));
            }
            // Deletions from the target's own past, numbered by a counter just replaced: left
            // in place, a server would one day take them for deletions of copied titles.
            sqlx::query("DELETE FROM title_tombstones").execute(&mut *tx).await?;
            insert_rows!(tx, postgres, RawTitle, installation.titles);
            insert_rows!(tx, postgres, RawToken, installation.tokens);
            insert_rows!(tx, postgres, RawRelease, installation.releases);
            insert_rows!(tx, postgres, RawHardwareModel, installation.hardware_models);
            insert_rows!(tx, postgres, RawPolicyGroup, installation.policy_groups);
            insert_rows!(tx, postgres, RawPolicy, installation.policies);
            insert_rows!(tx, postgres, RawDevice, installation.devices);
            insert_rows!(tx, postgres, RawDeviceGroup, installation.device_groups);
            insert_rows!(tx, postgres, RawMember, installation.members);
            insert_rows!(tx, postgres, RawBinding, installation.bindings);
            insert_rows!(tx, postgres, RawServedSet, installation.served_sets);
            insert_rows!(tx, postgres, RawDeviceStatus, installation.device_statuses);
            insert_rows!(tx, postgres, RawLegacyMechanism, installation.legacy_mechanisms);
            insert_rows!(tx, postgres, RawWebhook, installation.webhooks);
            insert_rows!(tx, postgres, RawAuditEntry, installation.audit);
            insert_rows!(tx, postgres, RawBlockedRelease, installation.blocked_releases);
            insert_rows!(tx, postgres, RawDeviceExemption, installation.device_exemptions);
            insert_rows!(tx, postgres, RawRolloutPause, installation.rollout_pauses);
            insert_rows!(tx, postgres, RawGate, installation.gates);
            insert_rows!(tx, postgres, RawGateEvaluation, installation.gate_evaluations);
            insert_rows!(tx, postgres, RawReleaseHalt, installation.release_halts);
            if postgres {
                reset_identity_sequences!(tx);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
