//! Checking a copy, and that the copy leaves nothing behind.
//!
//! [`Store::compare_copy`] compares a source with its copy three ways: the row count of every
//! copied table, the raw rows and both counters, and the data as the rest of the store reads it
//! (titles, [`Store::load_os_update_config`], every device, the webhooks), so a difference in how a backend
//! stores or returns a value shows up too. [`Store::columns_not_copied`] lists the tables and
//! columns of the database's schema that the transfer does not know, so that a migration adding
//! one makes `ringmaster migrate` refuse (and its tests fail) instead of silently leaving data
//! behind.

use crate::error::StoreError;
use crate::on_pool;
use crate::store::{Backend, Store};
use crate::transfer::TableCounts;
use crate::transfer::tables::{
    RawAuditEntry, RawBinding, RawBlockedRelease, RawDevice, RawDeviceExemption, RawDeviceGroup,
    RawDeviceStatus, RawGate, RawGateEvaluation, RawHardwareModel, RawLegacyMechanism, RawMember,
    RawPolicy, RawPolicyGroup, RawRelease, RawReleaseHalt, RawRolloutPause, RawServedSet, RawTitle,
    RawToken, RawWebhook, Table,
};

/// Every table and column the transfer copies (the counters' single rows included).
const COPIED: [(&str, &[&str]); 23] = [
    ("change_counter", &["id", "revision"]),
    ("os_update_counter", &["id", "revision"]),
    (RawTitle::NAME, RawTitle::COLUMNS),
    (RawToken::NAME, RawToken::COLUMNS),
    (RawRelease::NAME, RawRelease::COLUMNS),
    (RawHardwareModel::NAME, RawHardwareModel::COLUMNS),
    (RawPolicyGroup::NAME, RawPolicyGroup::COLUMNS),
    (RawPolicy::NAME, RawPolicy::COLUMNS),
    (RawDevice::NAME, RawDevice::COLUMNS),
    (RawDeviceGroup::NAME, RawDeviceGroup::COLUMNS),
    (RawMember::NAME, RawMember::COLUMNS),
    (RawBinding::NAME, RawBinding::COLUMNS),
    (RawServedSet::NAME, RawServedSet::COLUMNS),
    (RawDeviceStatus::NAME, RawDeviceStatus::COLUMNS),
    (RawLegacyMechanism::NAME, RawLegacyMechanism::COLUMNS),
    (RawWebhook::NAME, RawWebhook::COLUMNS),
    (RawAuditEntry::NAME, RawAuditEntry::COLUMNS),
    (RawBlockedRelease::NAME, RawBlockedRelease::COLUMNS),
    (RawDeviceExemption::NAME, RawDeviceExemption::COLUMNS),
    (RawRolloutPause::NAME, RawRolloutPause::COLUMNS),
    (RawGate::NAME, RawGate::COLUMNS),
    (RawGateEvaluation::NAME, RawGateEvaluation::COLUMNS),
    (RawReleaseHalt::NAME, RawReleaseHalt::COLUMNS),
];

/// Tables left behind on purpose: they only matter to servers that ran on the source (events
/// queued there are not sent from a copy; web-app sessions are signed in again on the copy; the
/// device data's revisions start afresh, as servers read every device when they start).
const LEFT_BEHIND: [&str; 6] = [
    "title_tombstones",
    "leases",
    "webhook_deliveries",
    "ui_sessions",
    "device_data_counter",
    "device_data_revisions",
];

const SQLITE_COLUMNS: &str = "SELECT m.name, p.name FROM sqlite_master AS m \
     JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'";
const POSTGRES_COLUMNS: &str = "SELECT table_name::text, column_name::text \
     FROM information_schema.columns WHERE table_schema = current_schema()";

impl Store {
    /// Row counts of every copied table, read in one transaction.
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        let mut counts = TableCounts::default();
        let tables = counts.by_table().map(|(table, _)| table);
        let found: Vec<i64> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut found = Vec::with_capacity(tables.len());
            for table in tables {
                let sql = format!("SELECT COUNT(*) FROM {table}");
                found.push(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut *tx)
                        .await?,
                );
            }
            tx.commit().await?;
            found
        });
        for (slot, count) in counts.slots().into_iter().zip(found) {
            *slot = usize::try_from(count).unwrap_or_default();
        }
        Ok(counts)
    }

    /// What differs between this database (the source of a copy) and `target`; empty when they
    /// match. Compares the row count of every copied table, then the raw rows and both counters,
    /// then the data as the store reads it: titles, [`Store::load_os_update_config`] and every
    /// device. Stop writers on both first, or their writes show up as differences.
    pub async fn compare_copy(&self, target: &Store) -> Result<Vec<String>, StoreError> {
        let mut differences = Vec::new();
        let source_counts = self.table_counts().await?;
        let target_counts = target.table_counts().await?;
        for ((table, source), (_, copied)) in source_counts
            .by_table()
            .into_iter()
            .zip(target_counts.by_table())
        {
            if source != copied {
                differences.push(format!(
                    "{table}: {source} row(s) in the source, {copied} in the target"
                ));
            }
        }
        let source = self.read_installation().await?;
        differences.extend(source.differences(&target.read_installation().await?));
        if self.list_titles().await? != target.list_titles().await? {
            differences.push("titles: they differ as read back".to_owned());
        }
        if self.load_os_update_config().await? != target.load_os_update_config().await? {
            differences.push("the OS-update configuration differs as read back".to_owned());
        }
        if !self.same_devices(target).await? {
            differences.push("devices: they differ as read back".to_owned());
        }
        if self.list_webhooks().await? != target.list_webhooks().await? {
            differences.push("webhooks: they differ as read back".to_owned());
        }
        Ok(differences)
    }

    /// Whether both databases list the same devices, compared a page at a time.
    async fn same_devices(&self, other: &Store) -> Result<bool, StoreError> {
        const PAGE: u32 = 10_000;
        let mut after: Option<String> = None;
        loop {
            let mine = self.list_devices(after.as_deref(), PAGE).await?;
            let theirs = other.list_devices(after.as_deref(), PAGE).await?;
            if mine != theirs {
                return Ok(false);
            }
            match mine.last() {
                Some(last) if mine.len() == PAGE as usize => after = Some(last.id.clone()),
                _ => return Ok(true),
            }
        }
    }

    /// The tables (`table`) and columns (`table.column`) of this database's schema that a
    /// transfer would not copy, sorted; empty when it copies everything but the tables it leaves
    /// behind on purpose (title tombstones, leases, the webhook delivery queue) and the migrations' bookkeeping.
    pub async fn columns_not_copied(&self) -> Result<Vec<String>, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => SQLITE_COLUMNS,
            Backend::Postgres => POSTGRES_COLUMNS,
        };
        let columns: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as(sql).fetch_all(pool).await?
        });
        let mut unknown: Vec<String> = columns
            .into_iter()
            .filter(|(table, _)| {
                !table.starts_with("sqlite_")
                    && !table.starts_with("_sqlx")
                    && !LEFT_BEHIND.contains(&table.as_str())
            })
            .filter_map(|(table, column)| {
                match COPIED.iter().find(|(copied, _)| *copied == table) {
                    None => Some(table),
                    Some((_, copied)) if !copied.contains(&column.as_str()) => {
                        Some(format!("{table}.{column}"))
                    }
                    Some(_) => None,
                }
            })
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        Ok(unknown)
    }
}
