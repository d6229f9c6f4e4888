//! Exempting a device from enforcement (`POST /api/v1/devices/{id}/exemptions`, `ringmaster
//! device exempt`), listing its exemptions and ending one early (`DELETE …/{exemptionId}`).
//!
//! While exempt, a device is served its settings but no enforcement declaration, and its
//! compliance state is `exempt`; the exemption ends by itself at `until` (the snapshot holds
//! every exemption and [`crate::os_updates::snapshot::OsUpdateSnapshot::exempt_until`] asks the
//! domain's `exempt_at` for the instant in question, so `?at=` after `until` shows none). Each
//! write bumps the OS-update revision, so every server and the notifier see the change.

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::rollout_control::{ExemptionRequest, MAX_EXEMPTIONS_PER_DEVICE, exempt_at};
use ringmaster_store::os_updates::exemptions::{ExemptionAdd, StoredExemption};
use serde::Serialize;

use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// One exemption as the API answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExemptionView {
    pub id: i64,
    pub device_id: String,
    pub until: String,
    pub reason: String,
    /// The name of the token that made it; absent when made from the CLI.
    pub created_by: Option<String>,
    pub created_at: String,
    /// In force at the instant asked about (now, or `?at=`).
    pub active: bool,
}

impl ExemptionView {
    pub fn of(exemption: &StoredExemption, at: Timestamp) -> ExemptionView {
        ExemptionView {
            id: exemption.id,
            device_id: exemption.device_id.clone(),
            until: exemption.until.to_string(),
            reason: exemption.reason.clone(),
            created_by: exemption.created_by.clone(),
            created_at: exemption.created_at.to_string(),
            active: exempt_at(exemption.until, at),
        }
    }
}

/// `GET /devices/{id}/exemptions`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExemptionList {
    pub device_id: String,
    pub exemptions: Vec<ExemptionView>,
}

impl OsUpdates {
    /// Exempts `device` until the body's `until` for its `reason`; `by` names the admin token.
    pub async fn add_exemption(
        &self,
        device: &str,
        body: &[u8],
        by: Option<&str>,
    ) -> Result<ExemptionView, OsUpdateError> {
        let now = self.clock.now();
        let request = ExemptionRequest::parse(body, now).map_err(OsUpdateError::Invalid)?;
        let added = self
            .store
            .add_exemption(
                device,
                request.until,
                &request.reason,
                by,
                now,
                MAX_EXEMPTIONS_PER_DEVICE,
            )
            .await?;
        match added {
            ExemptionAdd::Added(exemption) => {
                self.refresh_after_write().await;
                Ok(ExemptionView::of(&exemption, now))
            }
            ExemptionAdd::NoDevice => Err(OsUpdateError::NotFound(format!("device {device:?}"))),
            ExemptionAdd::TooMany(active) => Err(too_many_exemptions(active)),
        }
    }

    /// The exemptions of `device`, each marked in force or not at `at`.
    pub async fn exemptions(
        &self,
        device: &str,
        at: Timestamp,
    ) -> Result<ExemptionList, OsUpdateError> {
        self.device(device).await?;
        let exemptions = self.store.list_exemptions(device).await?;
        Ok(ExemptionList {
            device_id: device.to_owned(),
            exemptions: exemptions
                .iter()
                .map(|exemption| ExemptionView::of(exemption, at))
                .collect(),
        })
    }

    /// Ends exemption `id` of `device` now (deletes it).
    pub async fn end_exemption(&self, device: &str, id: i64) -> Result<(), OsUpdateError> {
        if !self.store.delete_exemption(device, id).await? {
            return Err(no_exemption(device, id));
        }
        self.refresh_after_write().await;
        Ok(())
    }
}

/// A device already has `active` exemptions in force.
pub(super) fn too_many_exemptions(active: usize) -> OsUpdateError {
    let mut errors = FieldErrors::new();
    errors.push(
        "",
        format!(
            "the device has {active} exemptions in force; at most \
             {MAX_EXEMPTIONS_PER_DEVICE}: end one first"
        ),
    );
    OsUpdateError::Invalid(errors)
}

/// Ending an exemption the device does not have.
pub(super) fn no_exemption(device: &str, id: i64) -> OsUpdateError {
    OsUpdateError::NotFound(format!("exemption {id} of device {device:?}"))
}
