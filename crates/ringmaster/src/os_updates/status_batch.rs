//! Status reports written with group commit: each report is queued to one writer task, which
//! takes every report waiting (up to [`MAX_BATCH`]) and merges them in one transaction
//! ([`Store::merge_device_statuses`](ringmaster_store::store::Store::merge_device_statuses)),
//! status and device facts together; each report is answered only once that transaction has
//! committed, so an acknowledged report survives a crash. While one batch commits the next
//! gathers, so the batches grow with the load and a lone report waits for nobody.
//!
//! A batch that fails is tried again one report at a time, so one report's failure is answered
//! to that report alone. The writer starts with the first report (inside the runtime) and ends
//! when the service is dropped.

use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use ringmaster_domain::capabilities::DeviceCapabilities;
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::device_status::report::StatusReport;
use ringmaster_store::error::StoreError;
use ringmaster_store::os_updates::ddm_batch::{MergeOutcome, StatusMerge};
use ringmaster_store::os_updates::devices::StoredDevice;
use ringmaster_store::store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::os_updates::ddm_device::device_update;
use crate::os_updates::served_cache::ServedCache;

/// The most reports merged in one transaction.
pub const MAX_BATCH: usize = 128;

/// Reports waiting for the writer at most; a report beyond waits to be queued.
const QUEUE: usize = 4096;

/// One queued report and where its answer goes.
struct Pending {
    device: StoredDevice,
    report: StatusReport,
    now: Timestamp,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle the service holds; the writer task starts with the first report.
#[derive(Debug, Default)]
pub struct StatusWriter {
    queue: OnceLock<mpsc::Sender<Pending>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("device", &self.device.id)
            .finish()
    }
}

impl StatusWriter {
    /// Merges `report` for `device`, returning once it is committed.
    pub async fn merge(
        &self,
        store: &Store,
        cache: &Arc<ServedCache>,
        device: &StoredDevice,
        report: StatusReport,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run(store.clone(), cache.clone(), receiver));
            sender
        });
        let (done, answer) = oneshot::channel();
        let pending = Pending {
            device: device.clone(),
            report,
            now,
            done,
        };
        if queue.send(pending).await.is_err() {
            return Err(StoreError::Unavailable(
                "the status writer has stopped".to_owned(),
            ));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the status writer stopped before answering".to_owned(),
            ))
        })
    }
}

async fn run(store: Store, cache: Arc<ServedCache>, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let taken = std::mem::take(&mut batch);
        match write(&store, &cache, &taken).await {
            Ok(()) => {
                for pending in taken {
                    let _ = pending.done.send(Ok(()));
                }
            }
            Err(error) if taken.len() == 1 => {
                if let Some(pending) = taken.into_iter().next() {
                    let _ = pending.done.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(%error, reports = taken.len(), "a batch of status reports failed; writing them one by one");
                for pending in taken {
                    let result = write(&store, &cache, std::slice::from_ref(&pending)).await;
                    let _ = pending.done.send(result);
                }
            }
        }
    }
}

/// One transaction for `batch`; the cache forgets every device whose row it changed.
async fn write(store: &Store, cache: &ServedCache, batch: &[Pending]) -> Result<(), StoreError> {
    let merges: Vec<StatusMerge> = batch
        .iter()
        .map(|pending| StatusMerge {
            device: pending.device.id.clone(),
            full_report: pending.report.full_report,
            now: pending.now,
        })
        .collect();
    let mut changed: Vec<&str> = Vec::new();
    store
        .merge_device_statuses(&merges, |index, stored| {
            let pending = &batch[index];
            let mut status = stored
                .and_then(|value| DeviceStatus::from_json(value).ok())
                .unwrap_or_default();
            status.apply(pending.report.clone());
            let device = device_update(&pending.device, &status);
            let configurations = status
                .client_capabilities()
                .and_then(DeviceCapabilities::configurations_of)
                .filter(|found| pending.device.client_configurations.as_ref() != Some(found));
            if device.is_some() || configurations.is_some() {
                changed.push(pending.device.id.as_str());
            }
            MergeOutcome {
                status: status.to_json(),
                device,
                configurations,
            }
        })
        .await?;
    for device in changed {
        cache.forget(device);
    }
    Ok(())
}
