//! SOFA feeds (macadmins/sofa): release history, dates and CVEs for macOS and iOS.
//!
//! Three shapes are read, told apart by [`crate::catalog::detect_format`]:
//! - **v1** (`/v1/{macos,ios}_data_feed.json`): `OSVersions[]`, each with `Latest` (the only row
//!   with a `Build`) and `SecurityReleases[]` (every release of that major, without builds);
//! - **v2** (`/v2/{macos,ios}_data_feed.json`): the same rows with `Build`, date-only
//!   `ExpirationDate`, and `BackgroundSecurityImprovements` (`{major: [{Version, VersionExtra,
//!   Build, PostingDate, PrerequisiteBuild, SupportedDevices, CVEs}]}`);
//! - **v2 DMS lite** (`/v2/dms_consumers_lite.json`): `Platforms[]` → `OSVersions[]` →
//!   `Releases[] {Version, Build, ReleaseDate, CVECount, ActivelyExploitedCount, Type?}`, where
//!   supplemental versions are glued (`26.3.1(a)`) and carry no prerequisite build.
//!
//! Quirks handled, all seen in real feeds:
//! - the platform comes from the rows' `ProductName` (`macOS`, `iOS and iPadOS`); feeds of other
//!   platforms (tvOS, watchOS, visionOS, Safari) are refused, and the DMS feed's other platforms
//!   are skipped;
//! - `Latest` is not trusted to be the newest (the iOS 18 `Latest` is 18.7.8 while 18.7.10 is
//!   listed): it is read as one more row and merged with the row of the same version;
//! - a row without `SupportedDevices`, or with an empty list, supports what its major's `Latest`
//!   (DMS: its `OSVersions` entry) supports;
//! - an empty `Build` means unknown, and so do the v1 iOS placeholders such as `26A000`;
//! - the same version listed twice (iOS 18.7.7, and iOS 17.0.2 with two dates) becomes one release
//!   with the earlier date;
//! - `ReleaseType` and `UpdateSummary` are not read (the summary contradicts the CVE lists);
//! - a supplemental release without a `PrerequisiteBuild` gets the build of its base version
//!   when the same feed gives exactly one.
//!
//! SOFA's primary iOS `Build` is not always an iOS build: for iOS 26.6 it is `23U67`, which gdmf
//! lists for Apple Watch only. Builds to enforce come from gdmf; SOFA's enrich by version.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::catalog::read::{self, Fields};
use crate::catalog::release::{Release, SecurityInfo};
use crate::catalog::{FeedError, FeedFormat, detect_value, merge_duplicates, version_key};
use crate::field_error::{FieldErrors, child};
use crate::platform::Platform;

/// Top-level keys only SOFA's macOS feeds have, to tell the platform of a feed whose rows lack
/// `ProductName`.
const MACOS_ONLY_KEYS: [&str; 3] = [
    "XProtectPayloads",
    "XProtectPlistConfigData",
    "InstallationApps",
];

/// Parses a SOFA v1, v2 or v2 DMS feed, whichever `bytes` hold.
pub fn parse(bytes: &[u8]) -> Result<Vec<Release>, FeedError> {
    let document = crate::json_read::json_document(bytes, "the feed")
        .map_err(|errors| FeedError::new(None, errors))?;
    let format = detect_value(&document)?;
    parse_value(&document, format)
}

pub(crate) fn parse_value(document: &Value, format: FeedFormat) -> Result<Vec<Release>, FeedError> {
    let mut errors = FieldErrors::new();
    let Some(root) = read::object(document, "", &mut errors) else {
        return Err(FeedError::new(Some(format), errors));
    };
    let releases = match format {
        FeedFormat::SofaV1 | FeedFormat::SofaV2 => os_versions_feed(&root, format, &mut errors),
        FeedFormat::SofaDms => dms_feed(&root, &mut errors),
        FeedFormat::Gdmf => {
            return Err(FeedError::one(
                Some(format),
                "",
                "this is a gdmf feed, not a SOFA feed",
            ));
        }
    };
    if !errors.is_empty() {
        return Err(FeedError::new(Some(format), errors));
    }
    let mut releases = merge_duplicates(releases, version_key);
    infer_prerequisite_builds(&mut releases);
    Ok(releases)
}

/// v1 and v2 per-platform feeds.
fn os_versions_feed(
    root: &Fields<'_>,
    format: FeedFormat,
    errors: &mut FieldErrors,
) -> Vec<Release> {
    let mut releases = Vec::new();
    let Some(os_versions) = root.required_array("OSVersions", errors) else {
        return releases;
    };
    let Some(platform) = feed_platform(root, os_versions, errors) else {
        return releases;
    };
    let context = RowContext { platform, format };
    let os_versions_pointer = root.pointer_to("OSVersions");
    for (index, os_version) in os_versions.iter().enumerate() {
        let Some(os_version) =
            read::object(os_version, &child(&os_versions_pointer, index), errors)
        else {
            continue;
        };
        let latest = os_version.optional_object("Latest", errors);
        let latest_devices = latest
            .as_ref()
            .and_then(|latest| latest.optional_strings("SupportedDevices", errors))
            .unwrap_or_default();
        if let Some(latest) = &latest {
            releases.extend(read_row(latest, &context, &latest_devices, errors));
        }
        let rows = os_version
            .optional_array("SecurityReleases", errors)
            .unwrap_or_default();
        let rows_pointer = os_version.pointer_to("SecurityReleases");
        for (row_index, row) in rows.iter().enumerate() {
            if let Some(row) = read::object(row, &child(&rows_pointer, row_index), errors) {
                releases.extend(read_row(&row, &context, &latest_devices, errors));
            }
        }
    }
    if let Some(improvements) = root.optional_object("BackgroundSecurityImprovements", errors) {
        for (major, rows) in improvements.entries() {
            let rows_pointer = improvements.pointer_to(major);
            let Value::Array(rows) = rows else {
                errors.push(
                    rows_pointer,
                    format!(
                        "expected an array of releases, not {}",
                        crate::json_read::describe(rows)
                    ),
                );
                continue;
            };
            for (row_index, row) in rows.iter().enumerate() {
                if let Some(row) = read::object(row, &child(&rows_pointer, row_index), errors) {
                    releases.extend(read_improvement(&row, &context, errors));
                }
            }
        }
    }
    releases
}

/// What every row of one feed shares.
#[derive(Debug)]
struct RowContext {
    platform: Platform,
    format: FeedFormat,
}

/// The platform of a v1/v2 feed, from its rows' `ProductName`. `None` (with an error recorded)
/// when it cannot be told or is not one ringmaster manages; also `None`, without an error, for a
/// feed that lists no release at all.
fn feed_platform(
    root: &Fields<'_>,
    os_versions: &[Value],
    errors: &mut FieldErrors,
) -> Option<Platform> {
    let os_versions_pointer = root.pointer_to("OSVersions");
    let mut named: Vec<(String, &str)> = Vec::new();
    let mut any_row = false;
    for (index, os_version) in os_versions.iter().enumerate() {
        let os_pointer = child(&os_versions_pointer, index);
        if let Some(latest) = os_version.get("Latest") {
            any_row = true;
            if let Some(name) = latest.get("ProductName").and_then(Value::as_str) {
                named.push((format!("{os_pointer}/Latest/ProductName"), name));
            }
        }
        if let Some(Value::Array(rows)) = os_version.get("SecurityReleases") {
            any_row |= !rows.is_empty();
            for (row_index, row) in rows.iter().enumerate() {
                if let Some(name) = row.get("ProductName").and_then(Value::as_str) {
                    named.push((
                        format!("{os_pointer}/SecurityReleases/{row_index}/ProductName"),
                        name,
                    ));
                }
            }
        }
    }
    let Some((first_pointer, first_name)) = named.first() else {
        if MACOS_ONLY_KEYS.iter().any(|key| root.has(key)) {
            return Some(Platform::MacOs);
        }
        if any_row {
            errors.push(
                os_versions_pointer,
                "cannot tell whether this feed is for macOS or iOS: no release has a ProductName",
            );
        }
        return None;
    };
    let Some(platform) = platform_of_product(first_name) else {
        errors.push(
            first_pointer.clone(),
            format!(
                "this SOFA feed is for \"{first_name}\"; ringmaster imports macOS and iOS feeds only"
            ),
        );
        return None;
    };
    for (pointer, name) in &named {
        if platform_of_product(name) != Some(platform) {
            errors.push(
                pointer.clone(),
                format!("\"{name}\" in a {platform} feed: one feed must describe one platform"),
            );
        }
    }
    errors.is_empty().then_some(platform)
}

/// `macOS` → macOS; `iOS`, `iOS and iPadOS`, `iPadOS` → iOS.
fn platform_of_product(product_name: &str) -> Option<Platform> {
    let name = product_name.trim();
    if name.starts_with("macOS") {
        Some(Platform::MacOs)
    } else if name.starts_with("iOS") || name.starts_with("iPadOS") {
        Some(Platform::Ios)
    } else {
        None
    }
}

/// One row of `Latest` or `SecurityReleases` (v1 and v2 share the keys ringmaster reads).
fn read_row(
    row: &Fields<'_>,
    context: &RowContext,
    inherited_devices: &[String],
    errors: &mut FieldErrors,
) -> Option<Release> {
    let before = errors.len();
    let version = row.required_version("ProductVersion", errors);
    let build = row
        .optional_build("Build", errors)
        .filter(|build| !is_placeholder_build(build));
    let released_on = row.required_date("ReleaseDate", errors);
    let expires_on = row.optional_date("ExpirationDate", errors);
    let devices = row
        .optional_strings("SupportedDevices", errors)
        .filter(|devices| !devices.is_empty())
        .unwrap_or_else(|| inherited_devices.to_vec());
    let security = read_security(row, errors);
    if errors.len() > before {
        return None;
    }
    Some(Release {
        platform: context.platform,
        version: version?,
        build,
        released_on: released_on?,
        expires_on,
        supported_devices: devices.into_iter().collect(),
        security,
        prerequisite_build: None,
        seen_at: None,
        source: context.format,
    })
}

/// One row of v2's `BackgroundSecurityImprovements`.
fn read_improvement(
    row: &Fields<'_>,
    context: &RowContext,
    errors: &mut FieldErrors,
) -> Option<Release> {
    let before = errors.len();
    let base = row.required_str("Version", errors);
    let extra = row
        .optional_str("VersionExtra", errors)
        .map(str::trim)
        .filter(|extra| !extra.is_empty());
    let version = base.and_then(|base| {
        let text = match extra {
            Some(extra) => format!("{} {extra}", base.trim()),
            None => base.to_owned(),
        };
        AppleOsVersion::parse(&text)
            .map_err(|why| {
                let key = if extra.is_some() && AppleOsVersion::parse(base).is_ok() {
                    "VersionExtra"
                } else {
                    "Version"
                };
                errors.push(row.pointer_to(key), why);
            })
            .ok()
    });
    let build = row.optional_build("Build", errors);
    let released_on = row.required_date("PostingDate", errors);
    let prerequisite_build = row.optional_build("PrerequisiteBuild", errors);
    let devices = row
        .optional_strings("SupportedDevices", errors)
        .unwrap_or_default();
    let security = read_security(row, errors);
    if errors.len() > before {
        return None;
    }
    Some(Release {
        platform: context.platform,
        version: version?,
        build,
        released_on: released_on?,
        expires_on: None,
        supported_devices: devices.into_iter().collect(),
        security,
        prerequisite_build,
        seen_at: None,
        source: context.format,
    })
}

/// The v2 DMS (lite) feed: every platform in one file; only macOS and iOS are read.
fn dms_feed(root: &Fields<'_>, errors: &mut FieldErrors) -> Vec<Release> {
    let mut releases = Vec::new();
    let Some(platforms) = root.required_array("Platforms", errors) else {
        return releases;
    };
    let platforms_pointer = root.pointer_to("Platforms");
    for (index, entry) in platforms.iter().enumerate() {
        let Some(entry) = read::object(entry, &child(&platforms_pointer, index), errors) else {
            continue;
        };
        let platform = match entry.required_str("Platform", errors) {
            Some("macOS") => Platform::MacOs,
            Some("iOS") => Platform::Ios,
            // tvOS, watchOS, visionOS: not managed by ringmaster.
            _ => continue,
        };
        let context = RowContext {
            platform,
            format: FeedFormat::SofaDms,
        };
        let os_versions = entry
            .required_array("OSVersions", errors)
            .unwrap_or_default();
        let os_versions_pointer = entry.pointer_to("OSVersions");
        for (os_index, os_version) in os_versions.iter().enumerate() {
            let Some(os_version) =
                read::object(os_version, &child(&os_versions_pointer, os_index), errors)
            else {
                continue;
            };
            let inherited = os_version
                .optional_strings("SupportedDevices", errors)
                .unwrap_or_default();
            let rows = os_version
                .required_array("Releases", errors)
                .unwrap_or_default();
            let rows_pointer = os_version.pointer_to("Releases");
            for (row_index, row) in rows.iter().enumerate() {
                if let Some(row) = read::object(row, &child(&rows_pointer, row_index), errors) {
                    releases.extend(read_dms_release(&row, &context, &inherited, errors));
                }
            }
        }
    }
    releases
}

fn read_dms_release(
    row: &Fields<'_>,
    context: &RowContext,
    inherited_devices: &[String],
    errors: &mut FieldErrors,
) -> Option<Release> {
    let before = errors.len();
    let version = row.required_version("Version", errors);
    let build = row.optional_build("Build", errors);
    let released_on = row.required_date("ReleaseDate", errors);
    let expires_on = row.optional_date("ExpirationDate", errors);
    let devices = row
        .optional_strings("SupportedDevices", errors)
        .filter(|devices| !devices.is_empty())
        .unwrap_or_else(|| inherited_devices.to_vec());
    let cve_count = row.optional_count("CVECount", errors);
    let exploited = row.optional_count("ActivelyExploitedCount", errors);
    if errors.len() > before {
        return None;
    }
    let security = (cve_count.is_some() || exploited.is_some()).then(|| SecurityInfo {
        cve_count: cve_count.unwrap_or(0),
        actively_exploited_count: exploited.unwrap_or(0),
        details_url: None,
    });
    Some(Release {
        platform: context.platform,
        version: version?,
        build,
        released_on: released_on?,
        expires_on,
        supported_devices: devices.into_iter().collect(),
        security,
        prerequisite_build: None,
        seen_at: None,
        source: context.format,
    })
}

/// CVE data of a row: `CVEs` (v1: `{id: exploited}`; v2: `{id: {ActivelyExploited, …}}`;
/// BSI rows: `[id]`), `ActivelyExploitedCVEs`, `UniqueCVEsCount`, `SecurityInfo` (a URL).
/// `None` when the row has none of them.
fn read_security(row: &Fields<'_>, errors: &mut FieldErrors) -> Option<SecurityInfo> {
    let mut listed = BTreeSet::new();
    let mut exploited: BTreeSet<String> = BTreeSet::new();
    let has_cves = match row.get("CVEs") {
        None => false,
        Some(Value::Object(cves)) => {
            for (id, detail) in cves {
                listed.insert(id.clone());
                let flagged = match detail {
                    Value::Bool(flag) => *flag,
                    Value::Object(detail) => detail
                        .get("ActivelyExploited")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    _ => false,
                };
                if flagged {
                    exploited.insert(id.clone());
                }
            }
            true
        }
        Some(Value::Array(_)) => {
            listed.extend(row.optional_strings("CVEs", errors).unwrap_or_default());
            true
        }
        Some(other) => {
            errors.push(
                row.pointer_to("CVEs"),
                format!(
                    "CVEs must be an object or an array of CVE ids, not {}",
                    crate::json_read::describe(other)
                ),
            );
            false
        }
    };
    let exploited_list = row.optional_strings("ActivelyExploitedCVEs", errors);
    let unique_count = row.optional_count("UniqueCVEsCount", errors);
    let details_url = row
        .optional_str("SecurityInfo", errors)
        .map(str::trim)
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(str::to_owned);
    if !has_cves && exploited_list.is_none() && unique_count.is_none() && details_url.is_none() {
        return None;
    }
    exploited.extend(exploited_list.unwrap_or_default());
    let listed_count = u32::try_from(listed.len()).unwrap_or(u32::MAX);
    Some(SecurityInfo {
        cve_count: unique_count.unwrap_or(listed_count),
        actively_exploited_count: u32::try_from(exploited.len()).unwrap_or(u32::MAX),
        details_url,
    })
}

/// SOFA's v1 iOS feed fills `Latest.Build` with placeholders such as `26A000`.
fn is_placeholder_build(build: &str) -> bool {
    let digits = build.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &build.as_bytes()[digits..];
    digits > 0 && rest.len() == 4 && rest[0].is_ascii_uppercase() && &rest[1..] == b"000"
}

/// Gives a supplemental release without a prerequisite the build of its base version, when the
/// releases hold exactly one build for that base version.
fn infer_prerequisite_builds(releases: &mut [Release]) {
    let inferred: Vec<Option<String>> = releases
        .iter()
        .map(|release| {
            if !release.is_supplemental() || release.prerequisite_build.is_some() {
                return None;
            }
            let base = release.version.without_supplemental();
            let builds: BTreeSet<&String> = releases
                .iter()
                .filter(|other| {
                    other.platform == release.platform
                        && !other.is_supplemental()
                        && other.version == base
                })
                .filter_map(|other| other.build.as_ref())
                .collect();
            match builds.len() {
                1 => builds.into_iter().next().cloned(),
                _ => None,
            }
        })
        .collect();
    for (release, build) in releases.iter_mut().zip(inferred) {
        if build.is_some() {
            release.prerequisite_build = build;
        }
    }
}

#[cfg(test)]
mod tests;
