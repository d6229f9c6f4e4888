//! The OS release catalog: which Apple OS releases exist, for which devices, since when.
//!
//! Pure parsers turn the bytes of a feed into [`release::Release`] values; fetching, storing and
//! remembering when a release was first seen happen outside this crate.
//!
//! - [`release`]: the release model and the platform enum.
//! - [`sofa`]: SOFA feeds (macadmins/sofa): v1 and v2 for macOS and iOS, and the v2 DMS (lite) feed.
//! - [`merge`]: folding a parsed feed into the stored catalog (idempotent).
//! - [`device_list`]: the hardware a release lists, looked up ignoring ASCII case.
//! - [`gdmf`]: Apple's gdmf `pmv` JSON (`https://gdmf.apple.com/v2/pmv`).
//! - [`hardware`]: model and board-id facts from SOFA's `Models` and `Devices`, and the rule
//!   that decides whether a release installs on a device's hardware.
//!
//! [`detect_format`] tells the formats apart by their top-level keys, and [`parse_feed`] picks the
//! parser by itself. Every parser is all-or-nothing: a feed with one unreadable release fails as a
//! whole, and the [`FeedError`] lists every problem with a JSON pointer into the feed, so an import
//! either changes the catalog completely or not at all.
//!
//! Identity and duplicates: a gdmf release is one build of one platform, so gdmf output is
//! deduplicated by (platform, build), merging the sets that list the same build. SOFA is organised
//! by version (it knows no build for most old releases), so SOFA output is deduplicated by
//! (platform, version). Merging is order-independent (earliest dates, union of devices, largest
//! CVE counts), and the result is sorted by platform, newest version first, then build.

pub mod device_list;
pub mod gdmf;
pub mod hardware;
pub mod merge;
mod read;
pub mod release;
pub mod sofa;

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use crate::catalog::release::Release;

use crate::field_error::FieldErrors;
use crate::platform::Platform;

/// The kinds of feed ringmaster imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedFormat {
    /// SOFA v1 (`/v1/macos_data_feed.json`, `/v1/ios_data_feed.json`), the feed Nudge reads.
    SofaV1,
    /// SOFA v2 (`/v2/macos_data_feed.json`, `/v2/ios_data_feed.json`), with builds and BSIs.
    SofaV2,
    /// SOFA v2 DMS feed (`/v2/dms_consumers_lite.json`): every platform in one compact file.
    SofaDms,
    /// Apple's gdmf `pmv` response.
    Gdmf,
}

impl FeedFormat {
    /// A stable identifier for storage and logs: `sofa-v1`, `sofa-v2`, `sofa-dms`, `gdmf`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedFormat::SofaV1 => "sofa-v1",
            FeedFormat::SofaV2 => "sofa-v2",
            FeedFormat::SofaDms => "sofa-dms",
            FeedFormat::Gdmf => "gdmf",
        }
    }

    /// Reads what [`FeedFormat::as_str`] writes (exact spelling), e.g. back from storage.
    pub fn parse(text: &str) -> Result<FeedFormat, String> {
        [
            FeedFormat::SofaV1,
            FeedFormat::SofaV2,
            FeedFormat::SofaDms,
            FeedFormat::Gdmf,
        ]
        .into_iter()
        .find(|format| format.as_str() == text)
        .ok_or_else(|| {
            format!("\"{text}\" is not a feed format (expected sofa-v1, sofa-v2, sofa-dms or gdmf)")
        })
    }

    /// How people call it, for messages.
    pub fn description(self) -> &'static str {
        match self {
            FeedFormat::SofaV1 => "SOFA v1",
            FeedFormat::SofaV2 => "SOFA v2",
            FeedFormat::SofaDms => "SOFA v2 DMS (lite)",
            FeedFormat::Gdmf => "gdmf pmv",
        }
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A feed that could not be read, with every problem found and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FeedError {
    /// The format the feed was read as; `None` when it could not be told.
    pub format: Option<FeedFormat>,
    /// Each problem with a JSON pointer into the feed (empty pointer: the whole document).
    pub errors: FieldErrors,
}

impl FeedError {
    pub(crate) fn new(format: Option<FeedFormat>, errors: FieldErrors) -> Self {
        Self { format, errors }
    }

    pub(crate) fn one(
        format: Option<FeedFormat>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let mut errors = FieldErrors::new();
        errors.push(pointer, message);
        Self::new(format, errors)
    }
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(format) => writeln!(f, "the {format} feed cannot be read:")?,
            None => writeln!(f, "not a release feed ringmaster can read:")?,
        }
        write!(f, "{}", self.errors)
    }
}

/// What [`parse_feed`] found: the format it chose and the releases.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    pub releases: Vec<Release>,
    /// The feed's hardware tables (SOFA `Models` and `Devices`); empty for gdmf.
    pub hardware: hardware::HardwareCatalog,
}

/// Tells which feed `bytes` hold, from their top-level keys.
pub fn detect_format(bytes: &[u8]) -> Result<FeedFormat, FeedError> {
    let document = crate::json_read::json_document(bytes, "the feed")
        .map_err(|errors| FeedError::new(None, errors))?;
    detect_value(&document)
}

/// Detects the format and parses with the matching parser. `seen_at` is when the feed was read;
/// only gdmf releases carry it (see [`release::Release::seen_at`]).
pub fn parse_feed(bytes: &[u8], seen_at: Timestamp) -> Result<ParsedFeed, FeedError> {
    let document = crate::json_read::json_document(bytes, "the feed")
        .map_err(|errors| FeedError::new(None, errors))?;
    let format = detect_value(&document)?;
    let releases = match format {
        FeedFormat::Gdmf => gdmf::parse_value(&document, seen_at)?,
        FeedFormat::SofaV1 | FeedFormat::SofaV2 | FeedFormat::SofaDms => {
            sofa::parse_value(&document, format)?
        }
    };
    let hardware = match format {
        FeedFormat::Gdmf => hardware::HardwareCatalog::default(),
        FeedFormat::SofaV1 | FeedFormat::SofaV2 | FeedFormat::SofaDms => {
            hardware::hardware_of_feed(&document)
        }
    };
    Ok(ParsedFeed {
        format,
        releases,
        hardware,
    })
}

pub(crate) fn detect_value(document: &Value) -> Result<FeedFormat, FeedError> {
    let Value::Object(object) = document else {
        return Err(FeedError::one(
            None,
            "",
            format!(
                "a release feed is a JSON object, not {}",
                crate::json_read::describe(document)
            ),
        ));
    };
    let has = |key: &str| object.contains_key(key);
    if has("PublicAssetSets") || has("AssetSets") {
        return Ok(FeedFormat::Gdmf);
    }
    if has("Platforms") && has("Metadata") {
        return Ok(FeedFormat::SofaDms);
    }
    if has("OSVersions") {
        return Ok(if has("SchemaVersion") || has("Devices") {
            FeedFormat::SofaV2
        } else {
            FeedFormat::SofaV1
        });
    }
    let looks_like_timestamps = !object.is_empty()
        && object
            .values()
            .all(|value| value.get("UpdateHash").is_some() && value.get("LastCheck").is_some());
    let message = if looks_like_timestamps {
        "this is SOFA's timestamp.json (a change marker per platform), not a release feed; import \
         the data feed it describes instead"
            .to_owned()
    } else {
        let mut keys: Vec<&str> = object.keys().map(String::as_str).take(6).collect();
        keys.sort_unstable();
        format!(
            "unknown feed: expected SOFA (`OSVersions`), SOFA DMS (`Platforms` and `Metadata`) or \
             gdmf (`AssetSets` or `PublicAssetSets`) at the top level, found {}",
            if keys.is_empty() {
                "an empty object".to_owned()
            } else {
                keys.iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )
    };
    Err(FeedError::one(None, "", message))
}

/// Merges releases with the same key (see the module doc) and sorts the result.
pub(crate) fn merge_duplicates<K: Ord>(
    releases: Vec<Release>,
    key: impl Fn(&Release) -> K,
) -> Vec<Release> {
    let mut by_key: BTreeMap<K, Release> = BTreeMap::new();
    for release in releases {
        let release_key = key(&release);
        let merged = match by_key.remove(&release_key) {
            Some(existing) => existing.merged_with(release),
            None => release,
        };
        by_key.insert(release_key, merged);
    }
    let mut merged: Vec<Release> = by_key.into_values().collect();
    sort_releases(&mut merged);
    merged
}

/// Platform, newest version first, then build, then the rest for a total, stable order.
pub(crate) fn sort_releases(releases: &mut [Release]) {
    releases.sort_by(|a, b| {
        a.platform
            .cmp(&b.platform)
            .then_with(|| b.version.cmp(&a.version))
            .then_with(|| a.build.cmp(&b.build))
            .then_with(|| a.version.as_str().cmp(b.version.as_str()))
            .then_with(|| a.released_on.cmp(&b.released_on))
    });
}

/// Key for version-centric feeds (SOFA).
pub(crate) fn version_key(release: &Release) -> (Platform, crate::apple_version::AppleOsVersion) {
    (release.platform, release.version.clone())
}

/// Key for build-centric feeds (gdmf).
pub(crate) fn build_key(release: &Release) -> (Platform, Option<String>) {
    (release.platform, release.build.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_top_level_keys() {
        let cases = [
            (
                r#"{"UpdateHash": "x", "OSVersions": []}"#,
                FeedFormat::SofaV1,
            ),
            (
                r#"{"SchemaVersion": "2026.04.11.2", "OSVersions": []}"#,
                FeedFormat::SofaV2,
            ),
            (r#"{"Metadata": {}, "Platforms": []}"#, FeedFormat::SofaDms),
            (r#"{"PublicAssetSets": {}}"#, FeedFormat::Gdmf),
            (r#"{"AssetSets": {}}"#, FeedFormat::Gdmf),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_format(text.as_bytes()), Ok(expected), "{text}");
        }
    }

    #[test]
    fn unknown_documents_say_what_was_expected() {
        let error = detect_format(br#"{"hello": 1}"#).unwrap_err();
        assert_eq!(error.format, None);
        let message = error.to_string();
        assert!(message.contains("`OSVersions`"), "{message}");
        assert!(message.contains("found `hello`"), "{message}");

        let error = detect_format(b"[1, 2]").unwrap_err();
        assert!(error.to_string().contains("not an array"), "{error}");

        let error = detect_format(b"{\"OSVersions\": [").unwrap_err();
        let first = error.errors.iter().next().unwrap();
        assert_eq!(first.pointer, "");
        assert!(first.message.contains("not valid JSON"), "{first}");
        assert!(first.message.contains("line 1"), "{first}");
    }

    #[test]
    fn feed_formats_read_back_what_they_write() {
        for format in [
            FeedFormat::SofaV1,
            FeedFormat::SofaV2,
            FeedFormat::SofaDms,
            FeedFormat::Gdmf,
        ] {
            assert_eq!(FeedFormat::parse(format.as_str()), Ok(format));
        }
        let error = FeedFormat::parse("SOFA v1").unwrap_err();
        assert!(error.contains("sofa-v1"), "{error}");
    }

    #[test]
    fn the_timestamp_file_is_recognised_and_refused() {
        let text = br#"{"macOS": {"LastCheck": "2026-08-22T18:45:02+00:00Z", "UpdateHash": "f5"}}"#;
        let error = detect_format(text).unwrap_err();
        assert!(error.to_string().contains("timestamp.json"), "{error}");
    }
}
