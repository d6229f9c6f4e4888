//! Time-limited leases, so that a background job (catalog polling, MDM notifications) runs on
//! one server of a cluster sharing the database, and moves to another when that one dies.
//!
//! A lease is one row: its holder and when it expires. Acquiring and renewing are the same single
//! conditional upsert, atomic on both backends: it succeeds when the lease is free, expired, or
//! already ours. A holder that stops renewing loses the lease after its time-to-live.

use jiff::{SignedDuration, Timestamp};

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;

impl Store {
    /// Takes or renews the lease `name` for `holder` until `now + ttl`. True when `holder` holds it.
    pub async fn try_acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: SignedDuration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now_ms = now.as_millisecond();
        let expires_at = now_ms.saturating_add(ttl.as_millis() as i64);
        let affected = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
            )
            .bind(name)
            .bind(holder)
            .bind(expires_at)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Gives the lease up at once, if `holder` holds it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                .bind(name)
                .bind(holder)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
