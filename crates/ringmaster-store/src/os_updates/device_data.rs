//! The device data's revision (migration 0014): what compliance reads about a device (its row's
//! facts, its merged status, its legacy mechanisms) changes on every status report, so it is not
//! configuration; yet a server that keeps compliance in memory must learn of every change, made
//! by any server, without reading the fleet again.
//!
//! - Every write of such data bumps the one-row `device_data_counter` **last** in its
//!   transaction, after writing (and so locking) the device rows it touches, and stamps those
//!   devices in `device_data_revisions` with the new value (`stamp_device_data!`). Revisions follow commit order
//!   (the counter's lock is held until commit); a writer holding the counter never waits for a
//!   device row, so writers never deadlock on it; and a write that changes nothing neither bumps
//!   nor stamps.
//! - [`Store::revisions`] reads both counters in one query; [`Store::device_data_since`] the
//!   devices stamped after a revision, each with its status and whether legacy mechanisms are
//!   recorded; [`Store::device_data_all`] the whole fleet; [`Store::device_ids`] every id (to
//!   find devices deleted, which is a configuration write).
//!
//! A reader that read revision `r` before reading rows has seen every write up to `r`: rows
//! stamped later are read again next time.

use std::collections::{HashMap, HashSet};

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::ddm::{StatusRow, StoredStatus};
use crate::os_updates::devices::{DeviceRow, StoredDevice};
use crate::os_updates::{ROWS_PER_STATEMENT, placeholders};
use crate::store::Store;

/// Bumps the device data's counter inside transaction `$tx` and stamps the devices `$ids` (a
/// slice or array of string-likes, without repeats) with the new revision, which it yields. Always **after** the
/// transaction has written every one of those device rows (see the module documentation).
macro_rules! stamp_device_data {
    ($tx:ident, $ids:expr) => {{
        let revision = sqlx::query_scalar::<_, i64>(
            "UPDATE device_data_counter SET revision = revision + 1 WHERE id = 1 RETURNING revision",
        )
        .fetch_one(&mut *$tx)
        .await?;
        for chunk in $ids.chunks($crate::os_updates::ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO device_data_revisions (device_id, revision) VALUES {} \
                 ON CONFLICT (device_id) DO UPDATE SET revision = excluded.revision",
                $crate::os_updates::values_list(chunk.len(), 2)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                let id: &str = id.as_ref();
                query = query.bind(id).bind(revision);
            }
            query.execute(&mut *$tx).await?;
        }
        revision
    }};
}
pub(crate) use stamp_device_data;

/// Both revisions, read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revisions {
    /// The OS-update configuration's (`os_update_counter`).
    pub configuration: i64,
    /// The device data's (`device_data_counter`).
    pub device_data: i64,
}

/// What compliance reads about one device.
#[derive(Debug, Clone)]
pub struct DeviceData {
    pub device: StoredDevice,
    pub status: Option<StoredStatus>,
    /// Whether any legacy update mechanism is recorded against it.
    pub legacy: bool,
}

/// Devices read per page of a full read.
const PAGE: u32 = 2000;

impl Store {
    /// The configuration's and the device data's revisions, in one query.
    pub async fn revisions(&self) -> Result<Revisions, StoreError> {
        let (configuration, device_data): (i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT revision FROM os_update_counter WHERE id = 1), \
                 (SELECT revision FROM device_data_counter WHERE id = 1)",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(Revisions {
            configuration,
            device_data,
        })
    }

    /// The devices whose data was written after revision `after`, by id, with their data; at
    /// most `limit` (`None` when more changed: read everything instead).
    pub async fn device_data_since(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Option<Vec<DeviceData>>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT device_id FROM device_data_revisions WHERE revision > $1 LIMIT $2",
            )
                .bind(after)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1))
                .fetch_all(pool)
                .await?
        });
        if ids.len() > limit {
            return Ok(None);
        }
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let list = placeholders(1, chunk.len());
            let devices: Vec<DeviceRow> = on_pool!(self, pool => {
                let sql = format!("{} WHERE id IN ({list}) ORDER BY id", crate::os_updates::devices::SELECT_DEVICES);
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await?
            });
            let statuses: Vec<(String, StatusRow)> = on_pool!(self, pool => {
                let sql = format!(
                    "SELECT device_id, status, reports, updated_at, last_full_report_at \
                     FROM device_status WHERE device_id IN ({list})"
                );
                let mut query = sqlx::query_as::<_, StatusWithId>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await?.into_iter().map(StatusWithId::split).collect()
            });
            let legacy: Vec<String> = on_pool!(self, pool => {
                let sql = format!(
                    "SELECT DISTINCT device_id FROM legacy_mechanisms WHERE device_id IN ({list})"
                );
                let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await?
            });
            found.extend(assemble(devices, statuses, legacy.into_iter().collect())?);
        }
        Ok(Some(found))
    }

    /// Every device with its data, by id.
    pub async fn device_data_all(&self) -> Result<Vec<DeviceData>, StoreError> {
        let mut statuses: HashMap<String, StoredStatus> =
            self.all_device_statuses().await?.into_iter().collect();
        let legacy: HashSet<String> = self
            .legacy_mechanisms(None)
            .await?
            .into_iter()
            .map(|mechanism| mechanism.device_id)
            .collect();
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.list_devices(after.as_deref(), PAGE).await?;
            let full = page.len() == PAGE as usize;
            after = page.last().map(|device| device.id.clone());
            found.extend(page.into_iter().map(|device| DeviceData {
                status: statuses.remove(&device.id),
                legacy: legacy.contains(&device.id),
                device,
            }));
            if !full {
                return Ok(found);
            }
        }
    }

    /// Every device id.
    pub async fn device_ids(&self) -> Result<HashSet<String>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM devices").fetch_all(pool).await?
        });
        Ok(ids.into_iter().collect())
    }
}

#[derive(Debug, sqlx::FromRow)]
struct StatusWithId {
    device_id: String,
    #[sqlx(flatten)]
    row: StatusRow,
}

impl StatusWithId {
    fn split(self) -> (String, StatusRow) {
        (self.device_id, self.row)
    }
}

fn assemble(
    devices: Vec<DeviceRow>,
    statuses: Vec<(String, StatusRow)>,
    legacy: HashSet<String>,
) -> Result<Vec<DeviceData>, StoreError> {
    let mut statuses: HashMap<String, StatusRow> = statuses.into_iter().collect();
    devices
        .into_iter()
        .map(|row| {
            let device = row.into_stored()?;
            let status = statuses
                .remove(&device.id)
                .map(|row| row.into_stored(&device.id))
                .transpose()?;
            Ok(DeviceData {
                legacy: legacy.contains(&device.id),
                status,
                device,
            })
        })
        .collect()
}
