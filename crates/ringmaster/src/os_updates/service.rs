//! OS-update operations shared by the admin API and the CLI: the service, its errors and its
//! snapshot; the operations are split by area in [`super::catalog`], [`super::policies`],
//! [`super::inventory`] and [`super::served`] (and check-ins in [`super::ddm`], results in
//! [`super::results`]).
//!
//! Writes go to the store (which validates references and serializes writers), then the
//! in-memory snapshot is refreshed before the caller answers, so the writer's next read sees its
//! write. Other servers pick the change up with their periodic refresh. Computations (effective
//! policy, declarations, plans) read the snapshot and one device row: no other query.

use std::sync::Arc;

use arc_swap::ArcSwap;
use ringmaster_domain::catalog::FeedError;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;

use crate::clock::Clock;
use crate::os_updates::notifier_log::NotifierLog;
use crate::os_updates::served_cache::ServedCache;
use crate::os_updates::snapshot::OsUpdateSnapshot;
use crate::os_updates::status_batch::StatusWriter;

#[derive(Debug, thiserror::Error)]
pub enum OsUpdateError {
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("the submitted document is invalid")]
    Invalid(FieldErrors),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{what} has changed since revision {expected}; read it again")]
    Stale { what: String, expected: i64 },
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("{0}")]
    Fetch(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for OsUpdateError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => OsUpdateError::AlreadyExists(what),
            StoreError::RevisionMismatch { what, expected, .. } => {
                OsUpdateError::Stale { what, expected }
            }
            other => OsUpdateError::Store(other),
        }
    }
}

/// The OS-update service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OsUpdates {
    pub(super) store: Store,
    pub(super) clock: Clock,
    snapshot: Arc<ArcSwap<OsUpdateSnapshot>>,
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// Each device's set with its answers written ([`super::served_cache`]).
    pub(super) served_cache: Arc<ServedCache>,
    /// Status reports' group commit ([`super::status_batch`]).
    pub(super) status_writer: Arc<StatusWriter>,
    /// What the notifier did last ([`super::notifier_log`]).
    pub notifier_log: NotifierLog,
}

impl OsUpdates {
    pub fn new(store: Store) -> OsUpdates {
        OsUpdates::with_clock(store, Clock::System)
    }

    /// A service reading `clock` for "now" on the device-facing side.
    pub fn with_clock(store: Store, clock: Clock) -> OsUpdates {
        OsUpdates {
            store,
            clock,
            snapshot: Arc::new(ArcSwap::from_pointee(OsUpdateSnapshot::empty())),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
            served_cache: Arc::new(ServedCache::default()),
            status_writer: Arc::new(StatusWriter::default()),
            notifier_log: NotifierLog::default(),
        }
    }

    /// The configuration as of the last refresh.
    pub fn snapshot(&self) -> Arc<OsUpdateSnapshot> {
        self.snapshot.load_full()
    }

    /// Reloads the snapshot when the store's revision has moved.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let revision = self.store.os_update_revision().await?;
        if revision != self.snapshot.load().revision {
            let config = self.store.load_os_update_config().await?;
            self.snapshot
                .store(Arc::new(OsUpdateSnapshot::build(config)));
        }
        Ok(())
    }

    /// Refreshes after a write; a failure is logged, as the periodic refresh will catch up.
    pub(crate) async fn refresh_after_write(&self) {
        if let Err(error) = self.refresh().await {
            tracing::warn!(%error, "OS-update snapshot refresh failed after a write");
        }
    }
}
