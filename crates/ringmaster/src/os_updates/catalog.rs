//! The release catalog: importing a feed (all or nothing) and reading the stored releases.

use jiff::Timestamp;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::catalog::{ParsedFeed, parse_feed};
use ringmaster_domain::platform::Platform;

use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// What a catalog import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// `sofa-v1`, `sofa-v2`, `sofa-dms` or `gdmf`.
    pub format: String,
    /// Releases the feed holds.
    pub releases: usize,
    pub added: usize,
    pub updated: usize,
    /// Build-less entries that a release with a build took over.
    pub merged: usize,
    pub unchanged: usize,
    /// Models whose facts (OS majors, board ids) the feed added or changed.
    pub models: usize,
    /// The catalog's revision after the import.
    pub revision: i64,
}

impl OsUpdates {
    /// Parses a feed (format detected) and folds it into the catalog; all or nothing.
    pub async fn import_feed(
        &self,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<ImportReport, OsUpdateError> {
        let parsed = read_feed(bytes, now)?;
        let format = parsed.format;
        let releases = parsed.releases;
        let count = releases.len();
        let import = self
            .store
            .import_feed_catalog(releases, &parsed.hardware)
            .await?;
        let (outcome, models) = (import.releases, import.models);
        let revision = outcome.revision;
        self.refresh_after_write().await;
        Ok(ImportReport {
            format: format.as_str().to_owned(),
            releases: count,
            added: outcome.added,
            updated: outcome.updated,
            merged: outcome.removed,
            unchanged: outcome.unchanged,
            models,
            revision,
        })
    }

    /// The stored catalog, optionally of one platform, newest first.
    pub async fn releases(
        &self,
        platform: Option<Platform>,
    ) -> Result<Vec<Release>, OsUpdateError> {
        Ok(self.store.list_releases(platform).await?)
    }
}

/// A feed parsed for import at `now`: a release without a first-seen instant is seen `now`.
pub(super) fn read_feed(bytes: &[u8], now: Timestamp) -> Result<ParsedFeed, OsUpdateError> {
    let mut parsed = parse_feed(bytes, now)?;
    for release in &mut parsed.releases {
        // SOFA's dates are stable and it has no "seen" time: the first import is the sighting.
        release.seen_at.get_or_insert(now);
    }
    Ok(parsed)
}
