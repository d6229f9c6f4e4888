//! The OS release catalog: every release ringmaster knows of, merged from the feeds it imported.
//!
//! One row per [`ReleaseKey`]: platform, canonical version text and build (`''` when the feed named
//! none). Importing a feed is one transaction, releases and hardware facts together, that bumps the
//! OS-update counter, reads the stored releases of the platforms the feed covers, lets the domain's [`merge_into_catalog`] work out what
//! changes, and writes only that; an import that changes nothing is rolled back, so importing the
//! same feed again leaves the revision where it was. [`Store::delete_releases`] removes the
//! releases of one version (or one build), so a bad import can be undone. Dates are `YYYY-MM-DD`, the first-seen
//! instant RFC 3339, devices a JSON array and security counts a small JSON object.

use std::collections::BTreeSet;

use jiff::civil::Date;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::FeedFormat;
use ringmaster_domain::catalog::hardware::{HardwareCatalog, ModelFacts};
use ringmaster_domain::catalog::merge::{ReleaseKey, merge_into_catalog};
use ringmaster_domain::catalog::release::{Release, SecurityInfo};
use ringmaster_domain::platform::Platform;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::hardware::{
    HardwareRow, SELECT_ALL_MODELS, UPSERT_MODEL, catalog_of, json_text,
};
use crate::os_updates::{bump_os_update_counter, corrupt, parse_timestamp};
use crate::store::Store;

/// What [`Store::import_feed_catalog`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedImport {
    pub releases: CatalogImport,
    /// Models whose hardware facts were added or changed.
    pub models: usize,
}

/// What [`Store::import_releases`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogImport {
    pub added: usize,
    pub updated: usize,
    /// Build-less entries that a release with a build took over.
    pub removed: usize,
    /// Stored releases the feed named and left as they were.
    pub unchanged: usize,
    /// The OS-update revision after the import (unchanged when nothing changed).
    pub revision: i64,
}

impl Store {
    /// Every stored release, optionally of one platform; ordered by platform, newest version
    /// first ([`AppleOsVersion`] order), then build.
    pub async fn list_releases(
        &self,
        platform: Option<Platform>,
    ) -> Result<Vec<Release>, StoreError> {
        let rows: Vec<ReleaseRow> = on_pool!(self, pool => {
            match platform {
                Some(platform) => sqlx::query_as(SELECT_PLATFORM_RELEASES)
                    .bind(platform.as_str())
                    .fetch_all(pool)
                    .await?,
                None => sqlx::query_as(SELECT_ALL_RELEASES).fetch_all(pool).await?,
            }
        });
        releases_of(rows)
    }

    /// Merges `releases` (one parsed feed) into the catalog; [`Store::import_feed_catalog`]
    /// without hardware facts.
    pub async fn import_releases(
        &self,
        releases: Vec<Release>,
    ) -> Result<CatalogImport, StoreError> {
        let import = self
            .import_feed_catalog(releases, &HardwareCatalog::default())
            .await?;
        Ok(import.releases)
    }

    /// Folds one parsed feed, its releases and its hardware facts, into the catalog in one
    /// transaction: counter first, then the stored releases of the platforms present,
    /// [`merge_into_catalog`] and the deletes, inserts and updates it asks for, then the stored
    /// hardware facts, [`HardwareCatalog::merged_with`] and the models it changes. A failure in
    /// either half leaves neither; nothing is written when nothing changes.
    pub async fn import_feed_catalog(
        &self,
        releases: Vec<Release>,
        hardware: &HardwareCatalog,
    ) -> Result<FeedImport, StoreError> {
        let platforms: BTreeSet<Platform> =
            releases.iter().map(|release| release.platform).collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let mut rows: Vec<ReleaseRow> = Vec::new();
            for platform in &platforms {
                rows.extend(
                    sqlx::query_as::<_, ReleaseRow>(SELECT_PLATFORM_RELEASES)
                        .bind(platform.as_str())
                        .fetch_all(&mut *tx)
                        .await?,
                );
            }
            let stored = releases_of(rows)?;
            let merge = merge_into_catalog(&stored, releases);
            let stored_hardware = if hardware.is_empty() {
                HardwareCatalog::default()
            } else {
                let rows: Vec<HardwareRow> =
                    sqlx::query_as(SELECT_ALL_MODELS).fetch_all(&mut *tx).await?;
                catalog_of(rows)?
            };
            let merged_hardware = stored_hardware.merged_with(hardware);
            let changed_models: Vec<(&String, &ModelFacts)> = merged_hardware
                .models()
                .iter()
                .filter(|(model, facts)| stored_hardware.model(model) != Some(*facts))
                .collect();
            let mut import = FeedImport {
                releases: CatalogImport {
                    added: merge.added.len(),
                    updated: merge.updated.len(),
                    removed: merge.removed.len(),
                    unchanged: merge.unchanged,
                    revision,
                },
                models: changed_models.len(),
            };
            if merge.is_empty() && changed_models.is_empty() {
                tx.rollback().await?;
                // The bump held the counter's lock, so the committed value was one less.
                import.releases.revision = revision - 1;
                return Ok(import);
            }
            for key in &merge.removed {
                sqlx::query(
                    "DELETE FROM os_releases \
                     WHERE platform = $1 AND version_key = $2 AND build = $3",
                )
                .bind(key.platform.as_str())
                .bind(&key.version)
                .bind(&key.build)
                .execute(&mut *tx)
                .await?;
            }
            let writes = [(INSERT_RELEASE, &merge.added), (UPDATE_RELEASE, &merge.updated)];
            for (sql, releases) in writes {
                for release in releases {
                    let columns = ReleaseColumns::of(release);
                    bind_release!(sqlx::query(sql), columns)
                        .bind(revision)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for (model, facts) in &changed_models {
                sqlx::query(UPSERT_MODEL)
                    .bind(model.as_str())
                    .bind(json_text(&facts.os_majors))
                    .bind(json_text(&facts.board_ids))
                    .bind(revision)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(import)
        })
    }
}

impl Store {
    /// Deletes the releases of `platform` whose canonical version text is `version_key` or whose
    /// stored text is `version_text` (the second reaches a row stored before versions were
    /// bounded, which no longer parses), all builds or only `build`. One transaction that bumps
    /// the OS-update counter; when nothing matches it is rolled back and `0` is answered.
    pub async fn delete_releases(
        &self,
        platform: Platform,
        version_key: &str,
        version_text: &str,
        build: Option<&str>,
    ) -> Result<u64, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let deleted = match build {
                Some(build) => sqlx::query(
                    "DELETE FROM os_releases WHERE platform = $1 \
                     AND (version_key = $2 OR version = $3) AND build = $4",
                )
                .bind(platform.as_str())
                .bind(version_key)
                .bind(version_text)
                .bind(build)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
                None => sqlx::query(
                    "DELETE FROM os_releases WHERE platform = $1 \
                     AND (version_key = $2 OR version = $3)",
                )
                .bind(platform.as_str())
                .bind(version_key)
                .bind(version_text)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            };
            if deleted == 0 {
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            Ok(deleted)
        })
    }
}

macro_rules! select_releases {
    () => {
        "SELECT platform, version, build, released_on, first_seen_at, expires_on, \
         supported_devices, security, prerequisite_build, source FROM os_releases"
    };
}

pub(crate) const SELECT_ALL_RELEASES: &str = select_releases!();
const SELECT_PLATFORM_RELEASES: &str = concat!(select_releases!(), " WHERE platform = $1");

const INSERT_RELEASE: &str = "INSERT INTO os_releases (platform, version_key, build, version, \
     released_on, first_seen_at, expires_on, supported_devices, security, prerequisite_build, \
     source, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

const UPDATE_RELEASE: &str = "UPDATE os_releases SET version = $4, released_on = $5, \
     first_seen_at = $6, expires_on = $7, supported_devices = $8, security = $9, \
     prerequisite_build = $10, source = $11, revision = $12 \
     WHERE platform = $1 AND version_key = $2 AND build = $3";

/// Binds a release's columns as `$1`..`$11`, the order [`INSERT_RELEASE`] and [`UPDATE_RELEASE`]
/// use (the key first).
macro_rules! bind_release {
    ($query:expr, $columns:expr) => {
        $query
            .bind($columns.platform)
            .bind(&$columns.version_key)
            .bind(&$columns.build)
            .bind(&$columns.version)
            .bind(&$columns.released_on)
            .bind(&$columns.first_seen_at)
            .bind(&$columns.expires_on)
            .bind(&$columns.supported_devices)
            .bind(&$columns.security)
            .bind(&$columns.prerequisite_build)
            .bind($columns.source)
    };
}
use bind_release;

/// The security column: `{"cveCount", "activelyExploitedCount", "detailsUrl"}`.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SecurityColumn {
    cve_count: u32,
    actively_exploited_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details_url: Option<String>,
}

/// The column values written for a release.
struct ReleaseColumns {
    platform: &'static str,
    version_key: String,
    build: String,
    version: String,
    released_on: String,
    first_seen_at: Option<String>,
    expires_on: Option<String>,
    supported_devices: String,
    security: Option<String>,
    prerequisite_build: Option<String>,
    source: &'static str,
}

impl ReleaseColumns {
    fn of(release: &Release) -> ReleaseColumns {
        let key = ReleaseKey::of(release);
        ReleaseColumns {
            platform: release.platform.as_str(),
            version_key: key.version,
            build: key.build,
            version: release.version.as_str().to_owned(),
            released_on: release.released_on.to_string(),
            first_seen_at: release.seen_at.map(|seen_at| seen_at.to_string()),
            expires_on: release.expires_on.map(|day| day.to_string()),
            supported_devices: serde_json::Value::from_iter(
                release
                    .supported_devices
                    .iter()
                    .map(|device| serde_json::Value::from(device.as_str())),
            )
            .to_string(),
            security: release.security.as_ref().map(|security| {
                serde_json::to_value(SecurityColumn {
                    cve_count: security.cve_count,
                    actively_exploited_count: security.actively_exploited_count,
                    details_url: security.details_url.clone(),
                })
                .map(|value| value.to_string())
                .unwrap_or_default()
            }),
            prerequisite_build: release.prerequisite_build.clone(),
            source: release.source.as_str(),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReleaseRow {
    platform: String,
    version: String,
    build: String,
    released_on: String,
    first_seen_at: Option<String>,
    expires_on: Option<String>,
    supported_devices: String,
    security: Option<String>,
    prerequisite_build: Option<String>,
    source: String,
}

impl ReleaseRow {
    fn into_release(self) -> Result<Release, StoreError> {
        let what = format!(
            "os_releases/{}/{}/{}",
            self.platform, self.version, self.build
        );
        let what = what.as_str();
        let date = |text: &str, column: &str| -> Result<Date, StoreError> {
            text.parse()
                .map_err(|error| corrupt(what, format!("{column}: {error}")))
        };
        let security = match &self.security {
            None => None,
            Some(text) => {
                let column: SecurityColumn = serde_json::from_str(text)
                    .map_err(|error| corrupt(what, format!("security: {error}")))?;
                Some(SecurityInfo {
                    cve_count: column.cve_count,
                    actively_exploited_count: column.actively_exploited_count,
                    details_url: column.details_url,
                })
            }
        };
        let supported_devices: BTreeSet<String> = serde_json::from_str(&self.supported_devices)
            .map_err(|error| corrupt(what, format!("supported_devices: {error}")))?;
        Ok(Release {
            platform: Platform::parse(&self.platform)
                .map_err(|error| corrupt(what, format!("platform: {error}")))?,
            version: AppleOsVersion::parse(&self.version)
                .map_err(|error| corrupt(what, format!("version: {error}")))?,
            build: Some(self.build).filter(|build| !build.is_empty()),
            released_on: date(&self.released_on, "released_on")?,
            expires_on: self
                .expires_on
                .as_deref()
                .map(|text| date(text, "expires_on"))
                .transpose()?,
            supported_devices: supported_devices.into(),
            security,
            prerequisite_build: self.prerequisite_build,
            seen_at: self
                .first_seen_at
                .as_deref()
                .map(|text| parse_timestamp(text, what, "first_seen_at"))
                .transpose()?,
            source: FeedFormat::parse(&self.source)
                .map_err(|error| corrupt(what, format!("source: {error}")))?,
        })
    }
}

/// Reads rows back into releases, in catalog order: platform, newest version first, then build.
///
/// A row whose version the domain no longer accepts (one stored before versions were bounded,
/// such as `1000000000.1.1`) is left out with a warning rather than failing every read of the
/// catalog; `DELETE /api/v1/catalog/{platform}/{version}` removes it for good. Any other
/// unreadable column is still an error.
pub(crate) fn releases_of(rows: Vec<ReleaseRow>) -> Result<Vec<Release>, StoreError> {
    let mut releases: Vec<Release> = Vec::with_capacity(rows.len());
    for row in rows {
        if let Err(why) = AppleOsVersion::parse(&row.version) {
            tracing::warn!(
                platform = %row.platform,
                version = %row.version,
                build = %row.build,
                "a stored release is left out of the catalog: {why}; delete it with \
                 `ringmaster catalog delete`"
            );
            continue;
        }
        releases.push(row.into_release()?);
    }
    releases.sort_by(|a, b| {
        a.platform
            .cmp(&b.platform)
            .then_with(|| b.version.cmp(&a.version))
            .then_with(|| a.build.cmp(&b.build))
    });
    Ok(releases)
}
