//! Releases blocked everywhere (`blocked_releases`, migration 0010): one row per platform and
//! canonical version, covering every build, with the admin's reason, who blocked it (the
//! token's name, when known) and when.
//!
//! Blocks are configuration: [`Store::block_release`] and [`Store::unblock_release`] bump
//! `os_update_counter` first in their transaction, and a write that changes nothing (the same
//! reason again, unblocking what is not blocked) rolls back and leaves it alone.
//! [`Store::load_os_update_config`] reads them with the rest.

use jiff::Timestamp;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, corrupt, parse_timestamp};
use crate::store::Store;

/// One blocked release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlock {
    pub platform: Platform,
    /// As the admin wrote it.
    pub version: AppleOsVersion,
    pub reason: String,
    /// The name of the token that blocked it; `None` from the CLI.
    pub blocked_by: Option<String>,
    pub blocked_at: Timestamp,
}

/// What [`Store::block_release`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockWrite {
    Added,
    /// Already blocked: the reason (and who, when) replaced.
    Updated,
    /// Already blocked for this reason: nothing written.
    Unchanged,
}

pub(crate) const SELECT_ALL_BLOCKS: &str = "SELECT platform, version, reason, blocked_by, blocked_at \
     FROM blocked_releases ORDER BY platform, version_key";

/// `(platform, version, reason, blocked_by, blocked_at)`.
pub(crate) type BlockRow = (String, String, String, Option<String>, String);

impl Store {
    /// Every blocked release, by platform, then canonical version text.
    pub async fn list_blocked_releases(&self) -> Result<Vec<StoredBlock>, StoreError> {
        let rows: Vec<BlockRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_BLOCKS).fetch_all(pool).await?
        });
        blocks_of(rows)
    }

    /// Blocks every build of `block.version` on its platform, or replaces the reason of a block.
    pub async fn block_release(&self, block: &StoredBlock) -> Result<BlockWrite, StoreError> {
        let key = block.version.canonical_text();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT reason FROM blocked_releases WHERE platform = $1 AND version_key = $2",
            )
            .bind(block.platform.as_str())
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match existing {
                Some(reason) if reason == block.reason => BlockWrite::Unchanged,
                Some(_) => {
                    sqlx::query(
                        "UPDATE blocked_releases SET version = $3, reason = $4, blocked_by = $5, \
                         blocked_at = $6 WHERE platform = $1 AND version_key = $2",
                    )
                    .bind(block.platform.as_str())
                    .bind(&key)
                    .bind(block.version.as_str())
                    .bind(&block.reason)
                    .bind(block.blocked_by.as_deref())
                    .bind(block.blocked_at.to_string())
                    .execute(&mut *tx)
                    .await?;
                    BlockWrite::Updated
                }
                None => {
                    sqlx::query(
                        "INSERT INTO blocked_releases \
                         (platform, version_key, version, reason, blocked_by, blocked_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(block.platform.as_str())
                    .bind(&key)
                    .bind(block.version.as_str())
                    .bind(&block.reason)
                    .bind(block.blocked_by.as_deref())
                    .bind(block.blocked_at.to_string())
                    .execute(&mut *tx)
                    .await?;
                    BlockWrite::Added
                }
            };
            if outcome == BlockWrite::Unchanged {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(outcome)
        })
    }

    /// Lifts the block of `version`; `false` (and nothing written) when it was not blocked.
    pub async fn unblock_release(
        &self,
        platform: Platform,
        version: &AppleOsVersion,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let deleted = sqlx::query(
                "DELETE FROM blocked_releases WHERE platform = $1 AND version_key = $2",
            )
            .bind(platform.as_str())
            .bind(version.canonical_text())
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

pub(crate) fn blocks_of(rows: Vec<BlockRow>) -> Result<Vec<StoredBlock>, StoreError> {
    rows.into_iter()
        .map(|(platform, version, reason, blocked_by, blocked_at)| {
            let what = format!("blocked release {platform} {version}");
            Ok(StoredBlock {
                platform: Platform::parse(&platform).map_err(|why| corrupt(&what, why))?,
                version: AppleOsVersion::parse(&version).map_err(|why| corrupt(&what, why))?,
                reason,
                blocked_by,
                blocked_at: parse_timestamp(&blocked_at, &what, "blocked_at")?,
            })
        })
        .collect()
}
