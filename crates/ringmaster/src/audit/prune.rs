//! The audit log's retention: a background round that deletes entries older than
//! `--audit-retention`, on one server of a cluster at a time.
//!
//! Every [`AuditPruneConfig::every`] each server asks for the `audit-prune` lease (held for one
//! period, renewed by its holder, taken over when the holder dies); the holder deletes the
//! entries that occurred before "now" (the application clock) minus the retention. With
//! retention `forever` no task runs. Rounds run inside [`guarded`].

use std::time::Duration;

use jiff::SignedDuration;
use ringmaster_store::store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::audit::Retention;
use crate::background::guarded;
use crate::clock::Clock;

/// The lease the pruning server holds.
pub const LEASE: &str = "audit-prune";

/// How the audit log is pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPruneConfig {
    pub retention: Retention,
    /// How often a round runs (an hour by default).
    pub every: Duration,
}

impl Default for AuditPruneConfig {
    fn default() -> Self {
        AuditPruneConfig {
            retention: Retention::default(),
            every: Duration::from_secs(3600),
        }
    }
}

/// Deletes the entries older than `keep` before the clock's now, if this server holds (or
/// takes) the lease; how many were deleted (`None` when another server holds it).
pub async fn prune_round(
    store: &Store,
    clock: &Clock,
    holder: &str,
    keep: Duration,
    lease_ttl: Duration,
) -> anyhow::Result<Option<u64>> {
    let now = clock.now();
    let ttl = SignedDuration::try_from(lease_ttl)?;
    if !store.try_acquire_lease(LEASE, holder, ttl, now).await? {
        return Ok(None);
    }
    let cutoff = now.checked_sub(SignedDuration::try_from(keep)?)?;
    Ok(Some(store.prune_audit(cutoff).await?))
}

/// Starts the pruning task (none with retention `forever`); it stops when `shutdown` turns true.
pub fn spawn(
    store: Store,
    clock: Clock,
    config: AuditPruneConfig,
    mut shutdown: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let keep = config.retention.0?;
    Some(tokio::spawn(async move {
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let mut ticker = tokio::time::interval(config.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let round = prune_round(&store, &clock, &holder, keep, config.every * 2);
            match guarded("audit prune", round).await {
                Some(Ok(Some(deleted))) if deleted > 0 => {
                    tracing::info!(deleted, "audit: entries past the retention deleted");
                }
                Some(Ok(_)) | None => {}
                Some(Err(error)) => tracing::warn!(%error, "audit: pruning failed"),
            }
        }
    }))
}
