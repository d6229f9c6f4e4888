//! Serving DDM: the declaration set each device was last told about, its merged status, the
//! legacy update mechanisms recorded against it, and when it last checked in.
//!
//! None of this is configuration: writes here never bump the OS-update counter; status and legacy
//! writes stamp the device data's revision ([`super::device_data`]). A served set is
//! kept whole (by its `DeclarationsToken`) so that a declaration fetched later is exactly what that
//! token advertised, whichever server of a cluster answers the fetch. Status merges read, change
//! and write one device's row in a single transaction, so concurrent reports of one device never
//! lose each other's items.

use jiff::Timestamp;
use serde_json::Value;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::device_data::stamp_device_data;
use crate::os_updates::{ROWS_PER_STATEMENT, corrupt, parse_timestamp, values_list};
use crate::store::{Backend, Store};

/// A declaration set as served to one device.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedSet {
    pub declarations_token: String,
    /// The full declarations (`Type`, `Identifier`, `ServerToken`, `Payload`).
    pub declarations: Vec<Value>,
    pub served_at: Timestamp,
    /// The `DeclarationsToken` the MDM was last asked to make the device sync.
    pub notified_token: Option<String>,
}

/// A device's merged status.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStatus {
    /// `{"StatusItems": {...}, "Errors": [...]}`.
    pub status: Value,
    pub reports: i64,
    pub updated_at: Timestamp,
    pub last_full_report_at: Option<Timestamp>,
}

/// A legacy software-update mechanism recorded against a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyMechanism {
    pub device_id: String,
    /// `patchPolicy` or `deferralProfile`.
    pub kind: String,
    pub name: String,
    pub recorded_at: Timestamp,
}

impl Store {
    /// What `device` was last served, if anything.
    pub async fn served_set(&self, device: &str) -> Result<Option<ServedSet>, StoreError> {
        let row: Option<ServedRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT declarations_token, declarations, served_at, notified_token \
                 FROM ddm_served WHERE device_id = $1",
            )
            .bind(device)
            .fetch_optional(pool)
            .await?
        });
        row.map(|row| row.into_served(device)).transpose()
    }

    /// The `DeclarationsToken` `device` was last served, without the declarations.
    pub async fn served_token(&self, device: &str) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT declarations_token FROM ddm_served WHERE device_id = $1")
                .bind(device)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Records what `device` is now served (replacing the previous set; the notified token is kept).
    pub async fn record_served_set(
        &self,
        device: &str,
        declarations_token: &str,
        declarations: &[Value],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let body = Value::Array(declarations.to_vec()).to_string();
        self.record_served_body(device, declarations_token, &body, now)
            .await
    }

    /// Records what `device` is now served, its declarations already written as one JSON array
    /// (replacing the previous set; the notified token is kept).
    pub async fn record_served_body(
        &self,
        device: &str,
        declarations_token: &str,
        declarations: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stamp = now.to_string();
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ddm_served (device_id, declarations_token, declarations, served_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (device_id) DO UPDATE SET \
                 declarations_token = excluded.declarations_token, \
                 declarations = excluded.declarations, served_at = excluded.served_at \
                 WHERE ddm_served.declarations_token <> excluded.declarations_token",
            )
            .bind(device)
            .bind(declarations_token)
            .bind(declarations)
            .bind(&stamp)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every device's served and notified tokens: `(device, served, notified)`.
    pub async fn served_tokens(&self) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT device_id, declarations_token, notified_token FROM ddm_served ORDER BY device_id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Remembers that the MDM was asked to make these devices sync towards these tokens, in one
    /// transaction, [`ROWS_PER_STATEMENT`] devices per statement (a notifier round records tens
    /// of thousands at once).
    pub async fn record_notified(&self, notified: &[(String, String)]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in notified.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "UPDATE ddm_served SET notified_token = notified.column2 \
                     FROM (VALUES {}) AS notified \
                     WHERE ddm_served.device_id = notified.column1",
                    values_list(chunk.len(), 2)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (device, token) in chunk {
                    query = query.bind(device).bind(token);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A device's merged status, if it has reported.
    pub async fn device_status(&self, device: &str) -> Result<Option<StoredStatus>, StoreError> {
        let row: Option<StatusRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT status, reports, updated_at, last_full_report_at FROM device_status WHERE device_id = $1",
            )
            .bind(device)
            .fetch_optional(pool)
            .await?
        });
        row.map(|row| row.into_stored(device)).transpose()
    }

    /// Every reported status: `(device, status)`.
    pub async fn all_device_statuses(&self) -> Result<Vec<(String, StoredStatus)>, StoreError> {
        let rows: Vec<(String, String, i64, String, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT device_id, status, reports, updated_at, last_full_report_at FROM device_status ORDER BY device_id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(device, status, reports, updated_at, last_full_report_at)| {
                    let row = StatusRow {
                        status,
                        reports,
                        updated_at,
                        last_full_report_at,
                    };
                    Ok((device.clone(), row.into_stored(&device)?))
                },
            )
            .collect()
    }

    /// Reads the device's status, lets `merge` compute the new one from it, and writes that, in one
    /// transaction queued behind other writers of the same device; stamps the device's last
    /// check-in.
    pub async fn merge_device_status(
        &self,
        device: &str,
        full_report: bool,
        now: Timestamp,
        merge: impl FnOnce(Option<&Value>) -> Value,
    ) -> Result<StoredStatus, StoreError> {
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
        let stamp = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // A report is a check-in. Writing first takes SQLite's write lock before any read
            // (a concurrent merge waits instead of failing on a lock upgrade) and PostgreSQL's
            // lock on the device row (merges of one device queue).
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
            let merged = merge(current.as_ref().map(|stored| &stored.status));
            let reports = current.as_ref().map_or(0, |stored| stored.reports) + 1;
            let last_full_report_at = if full_report {
                Some(now)
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
            .bind(merged.to_string())
            .bind(reports)
            .bind(&stamp)
            .bind(last_full_report_at.map(|at| at.to_string()))
            .execute(&mut *tx)
            .await?;
            stamp_device_data!(tx, [device]);
            tx.commit().await?;
            Ok(StoredStatus {
                status: merged,
                reports,
                updated_at: now,
                last_full_report_at,
            })
        })
    }

    /// Records a legacy mechanism against a device; `Ok(false)` when the device does not exist.
    pub async fn record_legacy_mechanism(
        &self,
        mechanism: &LegacyMechanism,
    ) -> Result<bool, StoreError> {
        if self.get_device(&mechanism.device_id).await?.is_none() {
            return Ok(false);
        }
        let device = mechanism.device_id.as_str();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The device row first (its lock before the counter's), then the mechanism.
            let found = sqlx::query("UPDATE devices SET updated_at = updated_at WHERE id = $1")
                .bind(device)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if found == 0 {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO legacy_mechanisms (device_id, kind, name, recorded_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (device_id, kind, name) DO UPDATE SET recorded_at = excluded.recorded_at",
            )
            .bind(device)
            .bind(&mechanism.kind)
            .bind(&mechanism.name)
            .bind(mechanism.recorded_at.to_string())
            .execute(&mut *tx)
            .await?;
            stamp_device_data!(tx, [device]);
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Removes a recorded legacy mechanism; `Ok(false)` when there was none.
    pub async fn delete_legacy_mechanism(
        &self,
        device: &str,
        kind: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The device row first (its lock before the counter's), then the mechanism.
            sqlx::query("UPDATE devices SET updated_at = updated_at WHERE id = $1")
                .bind(device)
                .execute(&mut *tx)
                .await?;
            let affected = sqlx::query("DELETE FROM legacy_mechanisms WHERE device_id = $1 AND kind = $2 AND name = $3")
                .bind(device)
                .bind(kind)
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if affected > 0 {
                stamp_device_data!(tx, [device]);
                tx.commit().await?;
            }
            affected
        });
        Ok(affected > 0)
    }

    /// Legacy mechanisms, of one device or of all, by device, kind and name.
    pub async fn legacy_mechanisms(
        &self,
        device: Option<&str>,
    ) -> Result<Vec<LegacyMechanism>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, pool => {
            match device {
                Some(device) => sqlx::query_as(
                    "SELECT device_id, kind, name, recorded_at FROM legacy_mechanisms \
                     WHERE device_id = $1 ORDER BY device_id, kind, name",
                )
                .bind(device)
                .fetch_all(pool)
                .await?,
                None => sqlx::query_as(
                    "SELECT device_id, kind, name, recorded_at FROM legacy_mechanisms \
                     ORDER BY device_id, kind, name",
                )
                .fetch_all(pool)
                .await?,
            }
        });
        rows.into_iter()
            .map(|(device_id, kind, name, recorded_at)| {
                let what = format!("legacy_mechanisms/{device_id}");
                Ok(LegacyMechanism {
                    recorded_at: parse_timestamp(&recorded_at, &what, "recorded_at")?,
                    device_id,
                    kind,
                    name,
                })
            })
            .collect()
    }
}

#[derive(Debug, sqlx::FromRow)]
struct ServedRow {
    declarations_token: String,
    declarations: String,
    served_at: String,
    notified_token: Option<String>,
}

impl ServedRow {
    fn into_served(self, device: &str) -> Result<ServedSet, StoreError> {
        let what = format!("ddm_served/{device}");
        let declarations = match serde_json::from_str(&self.declarations) {
            Ok(Value::Array(items)) => items,
            Ok(_) => return Err(corrupt(&what, "declarations is not a JSON array")),
            Err(error) => return Err(corrupt(&what, format!("declarations: {error}"))),
        };
        Ok(ServedSet {
            declarations_token: self.declarations_token,
            declarations,
            served_at: parse_timestamp(&self.served_at, &what, "served_at")?,
            notified_token: self.notified_token,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StatusRow {
    status: String,
    reports: i64,
    updated_at: String,
    last_full_report_at: Option<String>,
}

impl StatusRow {
    pub(crate) fn into_stored(self, device: &str) -> Result<StoredStatus, StoreError> {
        let what = format!("device_status/{device}");
        Ok(StoredStatus {
            status: serde_json::from_str(&self.status)
                .map_err(|error| corrupt(&what, format!("status: {error}")))?,
            reports: self.reports,
            updated_at: parse_timestamp(&self.updated_at, &what, "updated_at")?,
            last_full_report_at: self
                .last_full_report_at
                .as_deref()
                .map(|text| parse_timestamp(text, &what, "last_full_report_at"))
                .transpose()?,
        })
    }
}
