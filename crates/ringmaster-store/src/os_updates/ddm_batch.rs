//! Status reports merged many at a time (group commit): one transaction for a batch of reports,
//! each with what it says about its device (the device row's facts, the client's configuration
//! types), so a report is either wholly stored or not at all, and a batch costs one commit.
//!
//! Reports are handled in device-id order (a device's own reports in the order given), so two
//! servers' batches on PostgreSQL take the row locks in one order and never deadlock. Nothing here
//! bumps the OS-update counter: devices are not configuration; the batch stamps the device data's
//! revision once, last ([`super::device_data`]).

use std::collections::BTreeSet;

use jiff::Timestamp;
use ringmaster_domain::inventory::DeviceDocument;
use serde_json::Value;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::corrupt;
use crate::os_updates::ddm::{StatusRow, StoredStatus};
use crate::os_updates::device_data::stamp_device_data;
use crate::store::{Backend, Store};

/// One report of a batch: whose, whether it is a full report, when it arrived.
#[derive(Debug, Clone)]
pub struct StatusMerge {
    pub device: String,
    pub full_report: bool,
    pub now: Timestamp,
}

/// What merging one report decided: the new status and, when they changed, the device's facts
/// and its client's configuration types (`Some(None)` is never written: a report that lists
/// none leaves them).
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    pub status: Value,
    pub device: Option<DeviceDocument>,
    pub configurations: Option<BTreeSet<String>>,
}

impl Store {
    /// Merges every report of `batch` in one transaction: for each, stamps the device's last
    /// check-in, reads its status, lets `merge(index, stored)` compute the outcome, and writes
    /// the status, the device's facts and its configuration types. Returns the stored statuses
    /// in the order of `batch`. Any failure rolls the whole batch back.
    pub async fn merge_device_statuses(
        &self,
        batch: &[StatusMerge],
        mut merge: impl FnMut(usize, Option<&Value>) -> MergeOutcome,
    ) -> Result<Vec<StoredStatus>, StoreError> {
        let select: &'static str = match self.backend() {
            Backend::Postgres => {
                "SELECT status, reports, updated_at, last_full_report_at FROM device_status \
                 WHERE device_id = $1 FOR UPDATE"
            }
            Backend::Sqlite => {
                "SELECT status, reports, updated_at, last_full_report_at FROM device_status \
                 WHERE device_id = $1"
            }
        };
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|a, b| batch[*a].device.cmp(&batch[*b].device));
        let mut results: Vec<Option<StoredStatus>> = vec![None; batch.len()];
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for index in order {
                let item = &batch[index];
                let device = item.device.as_str();
                let stamp = item.now.to_string();
                // Writing first takes SQLite's write lock before any read and PostgreSQL's lock
                // on the device row (merges of one device queue).
                sqlx::query("UPDATE devices SET last_check_in_at = $2 WHERE id = $1")
                    .bind(device)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                let current: Option<StatusRow> = sqlx::query_as(select)
                    .bind(device)
                    .fetch_optional(&mut *tx)
                    .await?;
                let current = current.map(|row| row.into_stored(device)).transpose()?;
                let outcome = merge(index, current.as_ref().map(|stored| &stored.status));
                let reports = current.as_ref().map_or(0, |stored| stored.reports) + 1;
                let last_full_report_at = if item.full_report {
                    Some(item.now)
                } else {
                    current.as_ref().and_then(|stored| stored.last_full_report_at)
                };
                sqlx::query(
                    "INSERT INTO device_status (device_id, status, reports, updated_at, last_full_report_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id) DO UPDATE SET \
                     status = excluded.status, reports = excluded.reports, updated_at = excluded.updated_at, \
                     last_full_report_at = excluded.last_full_report_at",
                )
                .bind(device)
                .bind(outcome.status.to_string())
                .bind(reports)
                .bind(&stamp)
                .bind(last_full_report_at.map(|at| at.to_string()))
                .execute(&mut *tx)
                .await?;
                if let Some(facts) = &outcome.device {
                    sqlx::query(
                        "UPDATE devices SET platform = $2, os_version = $3, os_build = $4, model = $5, \
                         software_update_device_id = $6, updated_at = $7 WHERE id = $1 AND \
                         (platform IS DISTINCT FROM $2 OR os_version IS DISTINCT FROM $3 \
                         OR os_build IS DISTINCT FROM $4 OR model IS DISTINCT FROM $5 \
                         OR software_update_device_id IS DISTINCT FROM $6)",
                    )
                    .bind(device)
                    .bind(facts.platform.as_str())
                    .bind(facts.os_version.as_str())
                    .bind(&facts.os_build)
                    .bind(&facts.model)
                    .bind(&facts.software_update_device_id)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(configurations) = &outcome.configurations {
                    let text = serde_json::to_string(configurations)
                        .map_err(|error| corrupt(&format!("devices/{device}"), error))?;
                    sqlx::query(
                        "UPDATE devices SET client_configurations = $2, updated_at = $3 \
                         WHERE id = $1 AND client_configurations IS DISTINCT FROM $2",
                    )
                    .bind(device)
                    .bind(&text)
                    .bind(&stamp)
                    .execute(&mut *tx)
                    .await?;
                }
                results[index] = Some(StoredStatus {
                    status: outcome.status,
                    reports,
                    updated_at: item.now,
                    last_full_report_at,
                });
            }
            // Last: every device row of the batch is written (locked) by now.
            let mut devices: Vec<&str> = batch.iter().map(|item| item.device.as_str()).collect();
            devices.sort_unstable();
            devices.dedup();
            stamp_device_data!(tx, devices);
            tx.commit().await?;
        });
        Ok(results.into_iter().flatten().collect())
    }
}
