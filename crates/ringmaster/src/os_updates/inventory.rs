//! Devices and device groups.

use jiff::Timestamp;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::DeviceGroupId;
use ringmaster_store::os_updates::devices::{
    DeviceDocument, GroupWrite, StoredDevice, StoredDeviceGroup,
};

use crate::os_updates::service::{OsUpdateError, OsUpdates};

impl OsUpdates {
    pub async fn create_device(
        &self,
        device: &DeviceDocument,
        now: Timestamp,
    ) -> Result<StoredDevice, OsUpdateError> {
        Ok(self.store.insert_device(device, now).await?)
    }

    pub async fn device(&self, id: &str) -> Result<StoredDevice, OsUpdateError> {
        self.store
            .get_device(id)
            .await?
            .ok_or_else(|| OsUpdateError::NotFound(format!("device {id:?}")))
    }

    pub async fn devices(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredDevice>, OsUpdateError> {
        Ok(self.store.list_devices(after, limit).await?)
    }

    /// Devices whose id, model or software-update id contains `needle`, by id after `after`.
    pub async fn search_devices(
        &self,
        needle: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredDevice>, OsUpdateError> {
        Ok(self.store.search_devices(needle, after, limit).await?)
    }

    pub async fn device_groups(&self) -> Result<Vec<StoredDeviceGroup>, OsUpdateError> {
        Ok(self.store.list_device_groups().await?)
    }

    /// Every device group by id with its member count, the members left out: counted in the
    /// snapshot (refreshed first, one revision read), which holds every group's members for
    /// precedence, so no member row is read. Every membership change (a group's edit, a device
    /// deleted) moves the configuration revision, so the counts are the store's.
    pub async fn device_group_summaries(
        &self,
    ) -> Result<Vec<(StoredDeviceGroup, usize)>, OsUpdateError> {
        self.refresh().await?;
        let snapshot = self.snapshot();
        Ok(snapshot
            .device_groups
            .values()
            .map(|group| {
                let summary = StoredDeviceGroup {
                    id: group.id,
                    name: group.name.clone(),
                    devices: Vec::new(),
                    revision: group.revision,
                    created_at: group.created_at,
                };
                (summary, group.devices.len())
            })
            .collect())
    }

    pub async fn delete_device(&self, id: &str) -> Result<(), OsUpdateError> {
        if !self.store.delete_device(id).await? {
            return Err(OsUpdateError::NotFound(format!("device {id:?}")));
        }
        self.refresh_after_write().await;
        Ok(())
    }

    pub async fn create_device_group(
        &self,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        let written = self.store.insert_device_group(name, devices, now).await?;
        self.group_written(written, devices, None).await
    }

    pub async fn replace_device_group(
        &self,
        id: DeviceGroupId,
        name: &str,
        devices: &[String],
        now: Timestamp,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        let written = self
            .store
            .replace_device_group(id, name, devices, now)
            .await?;
        self.group_written(written, devices, Some(id)).await
    }

    async fn group_written(
        &self,
        written: GroupWrite,
        devices: &[String],
        id: Option<DeviceGroupId>,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        match written {
            GroupWrite::Written(group) => {
                self.refresh_after_write().await;
                Ok(group)
            }
            GroupWrite::NotFound => Err(device_group_not_found(id.map_or(0, DeviceGroupId::get))),
            GroupWrite::UnknownDevices(positions) => Err(unknown_members(&positions, devices)),
        }
    }

    pub async fn device_group(
        &self,
        id: DeviceGroupId,
    ) -> Result<StoredDeviceGroup, OsUpdateError> {
        self.store
            .get_device_group(id)
            .await?
            .ok_or_else(|| OsUpdateError::NotFound(format!("device group {id}")))
    }

    pub async fn delete_device_group(&self, id: DeviceGroupId) -> Result<(), OsUpdateError> {
        if !self.store.delete_device_group(id).await? {
            return Err(device_group_not_found(id.get()));
        }
        self.refresh_after_write().await;
        Ok(())
    }
}

pub(super) fn device_group_not_found(id: i64) -> OsUpdateError {
    OsUpdateError::NotFound(format!("device group {id}"))
}

/// A device group's members that are not devices, by pointer.
pub(super) fn unknown_members(positions: &[usize], devices: &[String]) -> OsUpdateError {
    let mut errors = FieldErrors::new();
    for index in positions {
        errors.push(
            format!("/devices/{index}"),
            format!(
                "no device has the id {:?}; create it first (POST /api/v1/devices)",
                devices.get(*index).map_or("", String::as_str)
            ),
        );
    }
    OsUpdateError::Invalid(errors)
}
