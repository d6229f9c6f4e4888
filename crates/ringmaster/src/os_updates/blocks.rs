//! Blocking a release everywhere (`POST /api/v1/catalog/{platform}/{version}/block`,
//! `ringmaster catalog block`) and lifting the block (`…/unblock`, `ringmaster catalog unblock`).
//!
//! A blocked release is never a target: the schedule enforces the newest allowed release below
//! it ([`ringmaster_domain::schedule::TargetRules`]). A version the catalog does not hold may be
//! blocked ahead of Apple publishing it. Like every write, followed by a snapshot refresh, and
//! the store bumps the OS-update revision, so every server and the notifier see the change.

use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::rollout_control::BlockRequest;
use ringmaster_store::os_updates::blocks::{BlockWrite, StoredBlock};

use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// What a block did, and the block as stored.
#[derive(Debug, Clone)]
pub struct BlockOutcome {
    pub write: BlockWrite,
    pub block: StoredBlock,
}

impl OsUpdates {
    /// Blocks every build of `version` of `platform` for the reason in `body` (`{"reason"}`);
    /// `by` names the admin token, `None` from the CLI. Blocking again with another reason
    /// replaces it.
    pub async fn block_release(
        &self,
        platform: Platform,
        version: &str,
        body: &[u8],
        by: Option<&str>,
    ) -> Result<BlockOutcome, OsUpdateError> {
        let version = release_version(platform, version)?;
        let request = BlockRequest::parse(body).map_err(OsUpdateError::Invalid)?;
        let block = StoredBlock {
            platform,
            version,
            reason: request.reason,
            blocked_by: by.map(str::to_owned),
            blocked_at: self.clock.now(),
        };
        let write = self.store.block_release(&block).await?;
        self.refresh_after_write().await;
        let block = self
            .snapshot()
            .blocked
            .iter()
            .find(|stored| stored.platform == platform && stored.version == block.version)
            .cloned()
            .unwrap_or(block);
        Ok(BlockOutcome { write, block })
    }

    /// Lifts the block of `version`; [`OsUpdateError::NotFound`] when it is not blocked.
    pub async fn unblock_release(
        &self,
        platform: Platform,
        version: &str,
    ) -> Result<(), OsUpdateError> {
        let parsed = release_version(platform, version)?;
        if !self.store.unblock_release(platform, &parsed).await? {
            return Err(not_blocked(platform, version));
        }
        self.refresh_after_write().await;
        Ok(())
    }

    /// The blocked releases, optionally of one platform, as stored.
    pub async fn blocked_releases(
        &self,
        platform: Option<Platform>,
    ) -> Result<Vec<StoredBlock>, OsUpdateError> {
        let mut blocks = self.store.list_blocked_releases().await?;
        blocks.retain(|block| platform.is_none_or(|platform| block.platform == platform));
        Ok(blocks)
    }
}

/// Unblocking a version that is not blocked.
pub(super) fn not_blocked(platform: Platform, version: &str) -> OsUpdateError {
    OsUpdateError::NotFound(format!("a block of the {platform} release {version:?}"))
}

/// A version path part: a version the domain accepts, else "no such release".
pub(super) fn release_version(
    platform: Platform,
    text: &str,
) -> Result<AppleOsVersion, OsUpdateError> {
    AppleOsVersion::parse(text.trim()).map_err(|why| {
        OsUpdateError::NotFound(format!("the {platform} release {:?} ({why})", text.trim()))
    })
}
