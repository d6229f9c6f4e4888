//! Deleting a catalog release (`DELETE /api/v1/catalog/{platform}/{version}`, `ringmaster catalog
//! delete`), so a bad import can be undone; like every write, followed by a snapshot refresh.

use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;

use crate::os_updates::service::{OsUpdateError, OsUpdates};

impl OsUpdates {
    /// Deletes a release of `platform`: every build of `version`, or only `build`. `version` is
    /// matched as a version (`26.1` finds `26.1.0`) or, for a row stored before versions were
    /// bounded, as the text stored. Answers how many rows went; none is [`OsUpdateError::NotFound`].
    pub async fn delete_release(
        &self,
        platform: Platform,
        version: &str,
        build: Option<&str>,
    ) -> Result<u64, OsUpdateError> {
        let text = version.trim();
        let parsed = AppleOsVersion::parse(text);
        let key = parsed
            .as_ref()
            .map_or_else(|_| text.to_owned(), AppleOsVersion::canonical_text);
        let deleted = self
            .store
            .delete_releases(platform, &key, text, build)
            .await?;
        if deleted == 0 {
            return Err(no_release(platform, text, build));
        }
        self.refresh_after_write().await;
        Ok(deleted)
    }
}

/// No release of `platform` matches `text` (and `build`).
pub(super) fn no_release(platform: Platform, text: &str, build: Option<&str>) -> OsUpdateError {
    let build = build
        .map(|build| format!(" build {build}"))
        .unwrap_or_default();
    let hint = AppleOsVersion::parse(text)
        .err()
        .map(|why| format!(" ({why})"))
        .unwrap_or_default();
    OsUpdateError::NotFound(format!("the {platform} release {text:?}{build}{hint}"))
}
