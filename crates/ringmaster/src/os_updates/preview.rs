//! Previews of configuration changes (`?dryRun=true`, `--dry-run`): what a change would do to
//! every device, with nothing written.
//!
//! [`OsUpdates::preview`] reads the configuration as plain data (one consistent read,
//! [`Store::load_os_update_config`](ringmaster_store::store::Store::load_os_update_config)) and
//! every device, lets the change edit a copy of the configuration in memory (a [`ConfigChange`]:
//! any function of the configuration and the known devices, which refuses the change with the
//! same error its real write would give), builds a snapshot of each, and plans every device under
//! both at one instant through [`planned_policies`], the path its served declarations take. The
//! domain's [`PreviewBuilder`] decides what changed and how urgent it is, and bounds the list.
//! The per-route changes are in [`super::preview_changes`]; a new kind of write plugs in by
//! giving `preview` its edit of the configuration.

use std::collections::HashSet;

use jiff::Timestamp;
use ringmaster_domain::preview::{
    ChangePreview, DeviceChange, PREVIEW_LIMIT, PreviewBuilder, ServedTarget, served_target,
};
use ringmaster_store::os_updates::OsUpdateConfig;
use ringmaster_store::os_updates::devices::StoredDevice;
use serde::Serialize;

use crate::os_updates::served::{facts, planned_policies};
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::snapshot::OsUpdateSnapshot;
use crate::os_updates::views::WarningView;

/// Devices read per page for a preview.
const PAGE: u32 = 1000;

/// The ids of every device, for changes that refer to devices (bindings, groups, exemptions).
#[derive(Debug, Clone, Default)]
pub struct KnownDevices {
    ids: HashSet<String>,
}

impl KnownDevices {
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}

/// A change to the configuration, applied to a copy in memory: it edits `config`, or refuses
/// with the error the real write would answer.
pub trait ConfigChange:
    FnOnce(&mut OsUpdateConfig, &KnownDevices) -> Result<(), OsUpdateError>
{
}

impl<F> ConfigChange for F where
    F: FnOnce(&mut OsUpdateConfig, &KnownDevices) -> Result<(), OsUpdateError>
{
}

impl OsUpdates {
    /// What `change` would do to every device at `at`; nothing is written.
    pub async fn preview(
        &self,
        at: Timestamp,
        change: impl ConfigChange,
    ) -> Result<ChangePreview, OsUpdateError> {
        let before = self.store.load_os_update_config().await?;
        let devices = self.all_devices().await?;
        let known = KnownDevices {
            ids: devices.iter().map(|device| device.id.clone()).collect(),
        };
        let mut after = before.clone();
        change(&mut after, &known)?;
        let before = OsUpdateSnapshot::build(before);
        let after = OsUpdateSnapshot::build(after);
        let mut builder = PreviewBuilder::new(at, PREVIEW_LIMIT);
        for device in &devices {
            builder.device(
                &device.id,
                target_in(&before, device, at),
                target_in(&after, device, at),
            );
        }
        Ok(builder.finish())
    }

    /// Every device, a page at a time, in id order.
    async fn all_devices(&self) -> Result<Vec<StoredDevice>, OsUpdateError> {
        let mut devices = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_devices(after.as_deref(), PAGE).await?;
            let full = page.len() == PAGE as usize;
            after = page.last().map(|device| device.id.clone());
            devices.extend(page);
            if !full {
                return Ok(devices);
            }
        }
    }
}

/// What `device` is told to install under `snapshot` at `at`.
fn target_in(
    snapshot: &OsUpdateSnapshot,
    device: &StoredDevice,
    at: Timestamp,
) -> Option<ServedTarget> {
    let planned = planned_policies(snapshot, device, at);
    let facts = facts(device, &snapshot.hardware)?;
    served_target(
        planned.automatic.as_deref(),
        planned.specific.as_deref(),
        &facts,
        &device.capabilities(),
        &snapshot.releases,
        at,
    )
}

/// The answer to a dry run: what the change would do, with nothing written.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    /// Always `true`: nothing was written.
    pub dry_run: bool,
    /// The instant both configurations were evaluated at.
    pub at: String,
    /// Every device evaluated.
    pub devices: usize,
    /// Devices whose target or deadline would change.
    pub changed: usize,
    /// Of those, due within 24 hours (but not within the hour).
    pub due_within24_hours: usize,
    /// Of those, overdue at once: the deadline at most an hour away, a forced install.
    pub overdue_at_once: usize,
    /// How many are listed in `changes` (at most 1000).
    pub listed: usize,
    /// More devices changed than are listed.
    pub truncated: bool,
    pub changes: Vec<DeviceChangeView>,
    /// The document's warnings, as the real write would answer them.
    pub warnings: Vec<WarningView>,
}

/// One device whose target or deadline would change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceChangeView {
    pub device_id: String,
    /// `added`, `removed`, `retargeted` or `rescheduled`.
    pub change: &'static str,
    /// `atOnce`, `within24Hours`, `later` or `none` (nothing enforced after).
    pub urgency: &'static str,
    /// What it is told now; `null` when nothing is enforced.
    pub from: Option<TargetView>,
    /// What it would be told; `null` when nothing would be enforced.
    pub to: Option<TargetView>,
}

/// An enforced release and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub target_version: String,
    pub target_build: Option<String>,
    /// Device-local `yyyy-mm-ddThh:mm:ss`.
    pub deadline: String,
}

impl TargetView {
    pub fn of(target: &ServedTarget) -> TargetView {
        TargetView {
            target_version: target.version.as_str().to_owned(),
            target_build: target.build.clone(),
            deadline: ringmaster_domain::schedule::format_deadline(target.deadline),
        }
    }
}

impl PreviewView {
    pub fn of(preview: &ChangePreview, warnings: Vec<WarningView>) -> PreviewView {
        PreviewView {
            dry_run: true,
            at: preview.at.to_string(),
            devices: preview.devices,
            changed: preview.changed,
            due_within24_hours: preview.due_within_24_hours,
            overdue_at_once: preview.overdue_at_once,
            listed: preview.changes.len(),
            truncated: preview.truncated,
            changes: preview.changes.iter().map(DeviceChangeView::of).collect(),
            warnings,
        }
    }
}

impl DeviceChangeView {
    fn of(change: &DeviceChange) -> DeviceChangeView {
        DeviceChangeView {
            device_id: change.device_id.clone(),
            change: change.kind.as_str(),
            urgency: change.urgency.as_str(),
            from: change.before.as_ref().map(TargetView::of),
            to: change.after.as_ref().map(TargetView::of),
        }
    }
}
