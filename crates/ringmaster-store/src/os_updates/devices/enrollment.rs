//! A device's enrollment type and the configuration types its client capabilities list: the
//! two facts capability gating reads beside its OS (migration `0006_enrollment`).
//!
//! Both are written only when they change, so a device that checks in every few minutes does
//! not rewrite its row; neither bumps the OS-update counter (devices are read per request), and
//! a write that changes something stamps the device data's revision.

use std::collections::BTreeSet;

use jiff::Timestamp;
use ringmaster_domain::capabilities::EnrollmentType;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::corrupt;
use crate::os_updates::device_data::stamp_device_data;
use crate::store::Store;

impl Store {
    /// Records how the device enrolled; `Ok(false)` when it already said so (or there is no
    /// such device).
    pub async fn record_device_enrollment(
        &self,
        id: &str,
        enrollment_type: EnrollmentType,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let stamp = now.to_string();
        let written = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let written = sqlx::query(
                "UPDATE devices SET enrollment_type = $2, updated_at = $3 \
                 WHERE id = $1 AND enrollment_type IS DISTINCT FROM $2",
            )
            .bind(id)
            .bind(enrollment_type.as_str())
            .bind(&stamp)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if written > 0 {
                stamp_device_data!(tx, [id]);
            }
            tx.commit().await?;
            written
        });
        Ok(written > 0)
    }

    /// Records the configuration types the device's client capabilities list (`None`: it has
    /// not reported them); `Ok(false)` when nothing changed.
    pub async fn record_client_configurations(
        &self,
        id: &str,
        configurations: Option<&BTreeSet<String>>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let text = configurations
            .map(serde_json::to_string)
            .transpose()
            .map_err(|error| corrupt(&format!("devices/{id}"), error))?;
        let stamp = now.to_string();
        let written = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let written = sqlx::query(
                "UPDATE devices SET client_configurations = $2, updated_at = $3 \
                 WHERE id = $1 AND client_configurations IS DISTINCT FROM $2",
            )
            .bind(id)
            .bind(&text)
            .bind(&stamp)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if written > 0 {
                stamp_device_data!(tx, [id]);
            }
            tx.commit().await?;
            written
        });
        Ok(written > 0)
    }
}
