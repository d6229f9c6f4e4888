//! Device groups: named sets of devices that policies can be bound to.
//!
//! Groups are configuration: every write bumps the OS-update counter, and a group's `revision` is
//! the counter value of its last change (including a member's deletion). Members are checked to
//! exist first; the caller learns the positions of unknown ids and nothing is written. Replacing a
//! group writes only the members that differ, so editing a group of 10,000 stays cheap.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use ringmaster_domain::ids::DeviceGroupId;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::devices::{GroupWrite, StoredDeviceGroup};
use crate::os_updates::{
    ROWS_PER_STATEMENT, bump_os_update_counter, existing_keys, parse_timestamp, placeholders,
    unique_or, values_list,
};
use crate::store::Store;

impl Store {
    /// Creates a device group. [`GroupWrite::UnknownDevices`] lists the positions of ids that do
    /// not exist; [`StoreError::AlreadyExists`] if the name is taken.
    pub async fn insert_device_group(
        &self,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<GroupWrite, StoreError> {
        let members: BTreeSet<&str> = devices.iter().map(String::as_str).collect();
        let members: Vec<&str> = members.into_iter().collect();
        let stamp = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let known = existing_keys!(tx, "SELECT id FROM devices WHERE id IN ", String, members);
            let unknown = unknown_positions(devices, &known);
            if !unknown.is_empty() {
                return Ok(GroupWrite::UnknownDevices(unknown));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO device_groups (name, revision, created_at, updated_at) \
                 VALUES ($1, $2, $3, $3) RETURNING id",
            )
            .bind(name)
            .bind(revision)
            .bind(&stamp)
            .fetch_one(&mut *tx)
            .await
            .map_err(|error| unique_or(error, || format!("device group \"{name}\"")))?;
            insert_members!(tx, id, members);
            tx.commit().await?;
            Ok(GroupWrite::Written(StoredDeviceGroup {
                id: DeviceGroupId::new(id),
                name: name.to_owned(),
                devices: members.iter().map(|id| (*id).to_owned()).collect(),
                revision,
                created_at: now,
            }))
        })
    }

    /// Replaces a device group's name and members. Same answers as
    /// [`Store::insert_device_group`], plus [`GroupWrite::NotFound`]. An identical group writes
    /// nothing and is returned as stored.
    pub async fn replace_device_group(
        &self,
        id: DeviceGroupId,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<GroupWrite, StoreError> {
        let wanted: BTreeSet<&str> = devices.iter().map(String::as_str).collect();
        let members: Vec<&str> = wanted.iter().copied().collect();
        let stamp = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let row: Option<DeviceGroupRow> =
                sqlx::query_as(concat!(select_device_groups!(), " WHERE id = $1"))
                    .bind(id.get())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else {
                return Ok(GroupWrite::NotFound);
            };
            let known = existing_keys!(tx, "SELECT id FROM devices WHERE id IN ", String, members);
            let unknown = unknown_positions(devices, &known);
            if !unknown.is_empty() {
                return Ok(GroupWrite::UnknownDevices(unknown));
            }
            let current: Vec<String> = sqlx::query_scalar(SELECT_GROUP_MEMBERS)
                .bind(id.get())
                .fetch_all(&mut *tx)
                .await?;
            let current: BTreeSet<&str> = current.iter().map(String::as_str).collect();
            if row.name == name && current == wanted {
                tx.rollback().await?;
                let members = current.into_iter().map(str::to_owned).collect();
                return Ok(GroupWrite::Written(row.into_stored(members)?));
            }
            sqlx::query(
                "UPDATE device_groups SET name = $2, revision = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(id.get())
            .bind(name)
            .bind(revision)
            .bind(&stamp)
            .execute(&mut *tx)
            .await
            .map_err(|error| unique_or(error, || format!("device group \"{name}\"")))?;
            let removed: Vec<&str> = current.difference(&wanted).copied().collect();
            for chunk in removed.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "DELETE FROM device_group_members WHERE group_id = $1 AND device_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.get());
                for device in chunk {
                    query = query.bind(*device);
                }
                query.execute(&mut *tx).await?;
            }
            let added: Vec<&str> = wanted.difference(&current).copied().collect();
            insert_members!(tx, id.get(), added);
            tx.commit().await?;
            Ok(GroupWrite::Written(StoredDeviceGroup {
                name: name.to_owned(),
                devices: members.iter().map(|id| (*id).to_owned()).collect(),
                revision,
                ..row.into_stored(Vec::new())?
            }))
        })
    }

    pub async fn get_device_group(
        &self,
        id: DeviceGroupId,
    ) -> Result<Option<StoredDeviceGroup>, StoreError> {
        let (row, members): (Option<DeviceGroupRow>, Vec<String>) = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let row = sqlx::query_as(concat!(select_device_groups!(), " WHERE id = $1"))
                .bind(id.get())
                .fetch_optional(&mut *tx)
                .await?;
            let members = sqlx::query_scalar(SELECT_GROUP_MEMBERS)
                .bind(id.get())
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            (row, members)
        });
        row.map(|row| row.into_stored(members)).transpose()
    }

    /// Every device group by id, members sorted.
    pub async fn list_device_groups(&self) -> Result<Vec<StoredDeviceGroup>, StoreError> {
        let (groups, members): (Vec<DeviceGroupRow>, Vec<(i64, String)>) = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let groups = sqlx::query_as(SELECT_ALL_DEVICE_GROUPS).fetch_all(&mut *tx).await?;
            let members = sqlx::query_as(SELECT_ALL_MEMBERS).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            (groups, members)
        });
        assemble_device_groups(groups, members)
    }

    /// Deletes a device group and its bindings; `Ok(false)` if there was none.
    pub async fn delete_device_group(&self, id: DeviceGroupId) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let deleted = sqlx::query("DELETE FROM device_groups WHERE id = $1")
                .bind(id.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 0 {
                return Ok(false);
            }
            tx.commit().await?;
            Ok(true)
        })
    }
}

macro_rules! select_device_groups {
    () => {
        "SELECT id, name, revision, created_at FROM device_groups"
    };
}
use select_device_groups;

pub(crate) const SELECT_ALL_DEVICE_GROUPS: &str = concat!(select_device_groups!(), " ORDER BY id");
/// Members of every group, by group then device id (bytewise on both backends: PostgreSQL's
/// device id columns use the "C" collation).
pub(crate) const SELECT_ALL_MEMBERS: &str =
    "SELECT group_id, device_id FROM device_group_members ORDER BY group_id, device_id";
const SELECT_GROUP_MEMBERS: &str =
    "SELECT device_id FROM device_group_members WHERE group_id = $1 ORDER BY device_id";

/// Inserts `(group_id, device_id)` member rows for every id of `$devices`, chunked.
macro_rules! insert_members {
    ($tx:ident, $group_id:expr, $devices:expr) => {
        for chunk in $devices.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO device_group_members (group_id, device_id) VALUES {}",
                values_list(chunk.len(), 2)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for device in chunk {
                query = query.bind($group_id).bind(*device);
            }
            query.execute(&mut *$tx).await?;
        }
    };
}
use insert_members;

/// Positions in `devices` of ids not in `known`.
fn unknown_positions(devices: &[String], known: &HashSet<String>) -> Vec<usize> {
    devices
        .iter()
        .enumerate()
        .filter(|(_, id)| !known.contains(id.as_str()))
        .map(|(position, _)| position)
        .collect()
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeviceGroupRow {
    id: i64,
    name: String,
    revision: i64,
    created_at: String,
}

impl DeviceGroupRow {
    fn into_stored(self, devices: Vec<String>) -> Result<StoredDeviceGroup, StoreError> {
        let what = format!("device_groups/{}", self.id);
        Ok(StoredDeviceGroup {
            created_at: parse_timestamp(&self.created_at, &what, "created_at")?,
            id: DeviceGroupId::new(self.id),
            name: self.name,
            devices,
            revision: self.revision,
        })
    }
}

/// Group rows and `(group_id, device_id)` member rows (sorted) → groups with their members.
pub(crate) fn assemble_device_groups(
    groups: Vec<DeviceGroupRow>,
    members: Vec<(i64, String)>,
) -> Result<Vec<StoredDeviceGroup>, StoreError> {
    let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
    for (group_id, device_id) in members {
        by_group.entry(group_id).or_default().push(device_id);
    }
    groups
        .into_iter()
        .map(|row| {
            let devices = by_group.remove(&row.id).unwrap_or_default();
            row.into_stored(devices)
        })
        .collect()
}
