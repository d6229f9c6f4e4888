//! Devices and device groups.
//!
//! A device is one row keyed by its enrollment id, with the platform, OS version (as the device
//! wrote it, with any supplemental suffix), build, model identifier and software-update id it last
//! reported. Devices are read per request rather than cached,
//! so inserting or updating one does not bump the OS-update counter; deleting one does, as that
//! also removes it from groups and bindings (foreign keys cascade). Bulk writes go
//! [`ROWS_PER_STATEMENT`] rows a statement in one transaction.
//!
//! - [`groups`]: device groups, which are configuration.

pub mod enrollment;
pub mod groups;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::capabilities::{DeviceCapabilities, EnrollmentType};
use ringmaster_domain::ids::{DeviceGroupId, DeviceId};
use ringmaster_domain::platform::Platform;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{
    ROWS_PER_STATEMENT, bump_os_update_counter, corrupt, parse_timestamp, unique_or, values_list,
};
use crate::store::Store;

pub use ringmaster_domain::inventory::DeviceDocument;

/// A device as stored. A device that enrolled itself through a DDM check-in has no platform or
/// version until its first status report says them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDevice {
    pub id: String,
    pub platform: Option<Platform>,
    pub os_version: Option<AppleOsVersion>,
    pub os_build: Option<String>,
    /// The model identifier (`Mac15,3`, `iPhone17,1`).
    pub model: Option<String>,
    /// What `softwareupdate.device-id` reports (a board id on a Mac, `J504AP`).
    pub software_update_device_id: Option<String>,
    /// How it enrolled (`device`, `userEnrollmentDevice`); `None` until an MDM says.
    pub enrollment_type: Option<EnrollmentType>,
    /// The configuration types its `management.client-capabilities` list (of those ringmaster
    /// serves); `None` until it reports them.
    pub client_configurations: Option<BTreeSet<String>>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl StoredDevice {
    /// Its enrollment and client capabilities, for capability gating.
    pub fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities {
            enrollment: self.enrollment_type,
            configurations: self.client_configurations.clone(),
        }
    }
}

/// A device group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeviceGroup {
    pub id: DeviceGroupId,
    pub name: String,
    /// Member device ids, sorted (bytewise).
    pub devices: Vec<String>,
    /// The OS-update revision of the group's last change.
    pub revision: i64,
    pub created_at: Timestamp,
}

/// What a device-group write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupWrite {
    Written(StoredDeviceGroup),
    NotFound,
    /// Positions (in the caller's list) of device ids that do not exist; nothing was written.
    UnknownDevices(Vec<usize>),
}

impl Store {
    /// Stores a new device; [`StoreError::AlreadyExists`] if its id is taken.
    pub async fn insert_device(
        &self,
        device: &DeviceDocument,
        now: Timestamp,
    ) -> Result<StoredDevice, StoreError> {
        let stamp = now.to_string();
        on_pool!(self, pool => {
            let sql = concat!(insert_devices!(), "($1, $2, $3, $4, $5, $6, $7, $7)");
            bind_device!(sqlx::query(sql), device)
                .bind(&stamp)
                .execute(pool)
                .await
                .map_err(|error| unique_or(error, || format!("device \"{}\"", device.id)))?;
        });
        Ok(stored_device(device, now, now))
    }

    /// Creates a device that is not known yet, with nothing but its enrollment id (its first
    /// DDM check-in); returns the stored device, new or existing.
    pub async fn ensure_device(
        &self,
        id: &DeviceId,
        now: Timestamp,
    ) -> Result<StoredDevice, StoreError> {
        let stamp = now.to_string();
        on_pool!(self, pool => {
            sqlx::query(concat!(
                insert_devices!(),
                "($1, NULL, NULL, NULL, NULL, NULL, $2, $2) ON CONFLICT (id) DO NOTHING"
            ))
            .bind(id.as_str())
            .bind(&stamp)
            .execute(pool)
            .await?;
        });
        self.get_device(id.as_str()).await?.ok_or_else(|| {
            corrupt(
                &format!("devices/{id}"),
                "vanished right after it was written",
            )
        })
    }

    /// Creates the device or updates its platform, version, build and model (a check-in).
    /// Returns the stored device and whether anything changed; an unchanged device keeps its
    /// `updated_at`.
    pub async fn upsert_device(
        &self,
        device: &DeviceDocument,
        now: Timestamp,
    ) -> Result<(StoredDevice, bool), StoreError> {
        let stamp = now.to_string();
        let (row, changed): (DeviceRow, bool) = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let written: Option<DeviceRow> = bind_device!(
                sqlx::query_as(concat!(
                    insert_devices!(),
                    "($1, $2, $3, $4, $5, $6, $7, $7)",
                    upsert_devices_tail!(),
                    " RETURNING id, platform, os_version, os_build, model, software_update_device_id, \
                     enrollment_type, client_configurations, created_at, updated_at"
                )),
                device
            )
            .bind(&stamp)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match written {
                Some(row) => (row, true),
                None => (
                    sqlx::query_as(concat!(select_devices!(), " WHERE id = $1"))
                        .bind(device.id.as_str())
                        .fetch_one(&mut *tx)
                        .await?,
                    false,
                ),
            };
            tx.commit().await?;
            outcome
        });
        Ok((row.into_stored()?, changed))
    }

    /// The device and the `DeclarationsToken` it was last served, in one query (a check-in's
    /// `tokens`).
    pub async fn device_with_served_token(
        &self,
        id: &str,
    ) -> Result<Option<(StoredDevice, Option<String>)>, StoreError> {
        let row: Option<DeviceWithToken> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, d.platform, d.os_version, d.os_build, d.model, \
                 d.software_update_device_id, d.enrollment_type, d.client_configurations, \
                 d.created_at, d.updated_at, s.declarations_token \
                 FROM devices d LEFT JOIN ddm_served s ON s.device_id = d.id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(|row| Ok((row.device.into_stored()?, row.declarations_token)))
            .transpose()
    }

    pub async fn get_device(&self, id: &str) -> Result<Option<StoredDevice>, StoreError> {
        let row: Option<DeviceRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(select_devices!(), " WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(DeviceRow::into_stored).transpose()
    }

    /// Up to `limit` devices by id (bytewise), starting after `after`: keyset pagination.
    pub async fn list_devices(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredDevice>, StoreError> {
        let limit = i64::from(limit);
        let rows: Vec<DeviceRow> = on_pool!(self, pool => {
            match after {
                Some(after) => sqlx::query_as(concat!(
                    select_devices!(),
                    " WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?,
                None => sqlx::query_as(concat!(select_devices!(), " ORDER BY id LIMIT $1"))
                    .bind(limit)
                    .fetch_all(pool)
                    .await?,
            }
        });
        rows.into_iter().map(DeviceRow::into_stored).collect()
    }

    /// Up to `limit` devices by id, starting after `after`, whose enrollment id, model or
    /// software-update id contains `needle` (ASCII letters in either case): keyset pagination
    /// over the matches.
    pub async fn search_devices(
        &self,
        needle: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredDevice>, StoreError> {
        let limit = i64::from(limit);
        let pattern = like_pattern(needle);
        let after = after.unwrap_or("");
        // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE does too (and
        // more). Without `lower()` on each column, a search that scans every row is twice as fast.
        let sql = match self.pool {
            crate::store::Pool::Sqlite(_) => concat!(
                select_devices!(),
                " WHERE id > $1 AND (id LIKE $2 ESCAPE '\\' OR model LIKE $2 ESCAPE '\\' \
                 OR software_update_device_id LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3"
            ),
            crate::store::Pool::Postgres(_) => concat!(
                select_devices!(),
                " WHERE id > $1 AND (id ILIKE $2 ESCAPE '\\' OR model ILIKE $2 ESCAPE '\\' \
                 OR software_update_device_id ILIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3"
            ),
        };
        let rows: Vec<DeviceRow> = on_pool!(self, pool => {
            sqlx::query_as(sql)
            .bind(after)
            .bind(&pattern)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(DeviceRow::into_stored).collect()
    }

    pub async fn count_devices(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM devices").fetch_one(pool).await?
        }))
    }

    /// Creates or updates many devices in one transaction (bulk import). When an id appears more
    /// than once, the last description wins. Returns how many devices were created or changed.
    pub async fn upsert_devices(
        &self,
        devices: &[DeviceDocument],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let stamp = now.to_string();
        let by_id: BTreeMap<&str, &DeviceDocument> = devices
            .iter()
            .map(|device| (device.id.as_str(), device))
            .collect();
        let devices: Vec<&DeviceDocument> = by_id.into_values().collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut written = 0;
            for chunk in devices.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "{}{}{}",
                    insert_devices!(),
                    values_list(chunk.len(), 8),
                    upsert_devices_tail!()
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for device in chunk {
                    query = bind_device!(query, device).bind(&stamp).bind(&stamp);
                }
                written += query.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(written as usize)
        })
    }

    /// Deletes a device, its group memberships and its bindings; `Ok(false)` if there was none.
    /// Groups it belonged to get a new revision.
    pub async fn delete_device(&self, id: &str) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let found: Option<String> = sqlx::query_scalar("SELECT id FROM devices WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE device_groups SET revision = $2 WHERE id IN \
                 (SELECT group_id FROM device_group_members WHERE device_id = $1)",
            )
            .bind(id)
            .bind(revision)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM devices WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

/// A `LIKE` pattern (a backslash escapes) matching any text that contains `needle`.
fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for character in needle.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

macro_rules! select_devices {
    () => {
        "SELECT id, platform, os_version, os_build, model, software_update_device_id, \
         enrollment_type, client_configurations, created_at, updated_at FROM devices"
    };
}
use select_devices;

macro_rules! insert_devices {
    () => {
        "INSERT INTO devices (id, platform, os_version, os_build, model, \
         software_update_device_id, created_at, updated_at) VALUES "
    };
}
use insert_devices;

/// Updates an existing device only when something it reports changed, so `rows_affected` and
/// `RETURNING` tell changes apart from repeats.
macro_rules! upsert_devices_tail {
    () => {
        " ON CONFLICT (id) DO UPDATE SET platform = excluded.platform, \
         os_version = excluded.os_version, os_build = excluded.os_build, model = excluded.model, \
         software_update_device_id = excluded.software_update_device_id, \
         updated_at = excluded.updated_at \
         WHERE devices.platform IS DISTINCT FROM excluded.platform \
         OR devices.os_version IS DISTINCT FROM excluded.os_version \
         OR devices.os_build IS DISTINCT FROM excluded.os_build \
         OR devices.model IS DISTINCT FROM excluded.model \
         OR devices.software_update_device_id IS DISTINCT FROM excluded.software_update_device_id"
    };
}
use upsert_devices_tail;

/// Binds a device's first six columns (id, platform, os_version, os_build, model,
/// software_update_device_id).
macro_rules! bind_device {
    ($query:expr, $device:expr) => {
        $query
            .bind($device.id.as_str())
            .bind($device.platform.as_str())
            .bind($device.os_version.as_str())
            .bind(&$device.os_build)
            .bind(&$device.model)
            .bind(&$device.software_update_device_id)
    };
}
use bind_device;

fn stored_device(
    device: &DeviceDocument,
    created_at: Timestamp,
    updated_at: Timestamp,
) -> StoredDevice {
    StoredDevice {
        id: device.id.as_str().to_owned(),
        platform: Some(device.platform),
        os_version: Some(device.os_version.clone()),
        os_build: device.os_build.clone(),
        model: device.model.clone(),
        software_update_device_id: device.software_update_device_id.clone(),
        enrollment_type: None,
        client_configurations: None,
        created_at,
        updated_at,
    }
}

#[derive(Debug, sqlx::FromRow)]
struct DeviceRow {
    id: String,
    platform: Option<String>,
    os_version: Option<String>,
    os_build: Option<String>,
    model: Option<String>,
    software_update_device_id: Option<String>,
    enrollment_type: Option<String>,
    client_configurations: Option<String>,
    created_at: String,
    updated_at: String,
}

/// A device row with its served token ([`Store::device_with_served_token`]).
#[derive(Debug, sqlx::FromRow)]
struct DeviceWithToken {
    #[sqlx(flatten)]
    device: DeviceRow,
    declarations_token: Option<String>,
}

impl DeviceRow {
    fn into_stored(self) -> Result<StoredDevice, StoreError> {
        let what = format!("devices/{}", self.id);
        Ok(StoredDevice {
            platform: self
                .platform
                .as_deref()
                .map(Platform::parse)
                .transpose()
                .map_err(|error| corrupt(&what, format!("platform: {error}")))?,
            // A version stored before versions were bounded (`1000000000.1`) reads as unknown,
            // as if the device had not reported one yet, instead of failing every device list.
            os_version: self.os_version.as_deref().and_then(|text| {
                AppleOsVersion::parse(text)
                    .map_err(|why| tracing::warn!(device = %self.id, "stored OS version: {why}"))
                    .ok()
            }),
            // An unknown stored spelling or list reads as not said, like a device that has not
            // reported yet.
            enrollment_type: self
                .enrollment_type
                .as_deref()
                .and_then(EnrollmentType::parse),
            client_configurations: self
                .client_configurations
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            created_at: parse_timestamp(&self.created_at, &what, "created_at")?,
            updated_at: parse_timestamp(&self.updated_at, &what, "updated_at")?,
            id: self.id,
            os_build: self.os_build,
            model: self.model,
            software_update_device_id: self.software_update_device_id,
        })
    }
}
