//! Devices' exemptions from enforcement (`device_exemptions`, migration 0010): until an instant,
//! with the admin's reason, who made it (the token's name, when known) and when.
//!
//! Exemptions change what devices are served, so they are configuration:
//! [`Store::add_exemption`] and [`Store::delete_exemption`] bump `os_update_counter` first in
//! their transaction (rolled back when nothing is written), and
//! [`Store::load_os_update_config`] reads them with the rest. An exemption past its end stays
//! stored (it is history, and no longer applies); deleting one ends it early.

use jiff::Timestamp;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, parse_timestamp};
use crate::store::Store;

/// One exemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExemption {
    pub id: i64,
    pub device_id: String,
    pub until: Timestamp,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
}

/// What [`Store::add_exemption`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExemptionAdd {
    Added(StoredExemption),
    /// No device has this id.
    NoDevice,
    /// The device already has this many exemptions in force.
    TooMany(usize),
}

pub(crate) const SELECT_ALL_EXEMPTIONS: &str = "SELECT id, device_id, until_at, reason, created_by, created_at \
     FROM device_exemptions ORDER BY device_id, id";

/// `(id, device_id, until_at, reason, created_by, created_at)`.
pub(crate) type ExemptionRow = (i64, String, String, String, Option<String>, String);

impl Store {
    /// Every exemption of `device_id`, oldest first.
    pub async fn list_exemptions(
        &self,
        device_id: &str,
    ) -> Result<Vec<StoredExemption>, StoreError> {
        let rows: Vec<ExemptionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, device_id, until_at, reason, created_by, created_at \
                 FROM device_exemptions WHERE device_id = $1 ORDER BY id",
            )
            .bind(device_id)
            .fetch_all(pool)
            .await?
        });
        exemptions_of(rows)
    }

    /// Exempts `device_id` until `until`, unless it has `max_active` exemptions in force at `now`.
    pub async fn add_exemption(
        &self,
        device_id: &str,
        until: Timestamp,
        reason: &str,
        created_by: Option<&str>,
        now: Timestamp,
        max_active: usize,
    ) -> Result<ExemptionAdd, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM devices WHERE id = $1")
                .bind(device_id)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                tx.rollback().await?;
                return Ok(ExemptionAdd::NoDevice);
            }
            let ends: Vec<String> =
                sqlx::query_scalar("SELECT until_at FROM device_exemptions WHERE device_id = $1")
                    .bind(device_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let active = ends
                .iter()
                .filter(|end| end.parse::<Timestamp>().is_ok_and(|end| end > now))
                .count();
            if active >= max_active {
                tx.rollback().await?;
                return Ok(ExemptionAdd::TooMany(active));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO device_exemptions \
                 (device_id, until_at, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(device_id)
            .bind(until.to_string())
            .bind(reason)
            .bind(created_by)
            .bind(now.to_string())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ExemptionAdd::Added(StoredExemption {
                id,
                device_id: device_id.to_owned(),
                until,
                reason: reason.to_owned(),
                created_by: created_by.map(str::to_owned),
                created_at: now,
            }))
        })
    }

    /// Deletes exemption `id` of `device_id`; `false` (nothing written) when there is none.
    pub async fn delete_exemption(&self, device_id: &str, id: i64) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let deleted =
                sqlx::query("DELETE FROM device_exemptions WHERE device_id = $1 AND id = $2")
                    .bind(device_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if deleted == 0 {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(deleted > 0)
        })
    }
}

pub(crate) fn exemptions_of(rows: Vec<ExemptionRow>) -> Result<Vec<StoredExemption>, StoreError> {
    rows.into_iter()
        .map(|(id, device_id, until, reason, created_by, created_at)| {
            let what = format!("exemption {id} of device {device_id}");
            Ok(StoredExemption {
                until: parse_timestamp(&until, &what, "until_at")?,
                created_at: parse_timestamp(&created_at, &what, "created_at")?,
                id,
                device_id,
                reason,
                created_by,
            })
        })
        .collect()
}
