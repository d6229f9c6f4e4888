//! Apple's gdmf `pmv` feed (`GET https://gdmf.apple.com/v2/pmv`): what Apple signs, for which devices.
//!
//! Shape: `PublicAssetSets` (what users are offered, usually the newest per major) and `AssetSets`
//! (everything a management server may push, a superset in practice), each mapping a platform key
//! to entries `{ProductVersion, Build, PostingDate, ExpirationDate?, SupportedDevices}`; and
//! `PublicBackgroundSecurityImprovements` with supplemental entries that add `ProductVersionExtra`
//! (`(a)`) and `PrerequisiteBuild`, their `ProductVersion` being the base version.
//!
//! How it is read:
//! - both asset sets are read and united; the historical `PublicRapidSecurityResponses` is read
//!   like the BSI set;
//! - the `macOS` key gives macOS releases; the `iOS` key also holds iPadOS, tvOS, HomePod and
//!   watchOS, so only devices whose identifier starts with `iPhone`, `iPad` or `iPod` are kept and
//!   an entry left with none is dropped; other platform keys (`visionOS`, `xrOS`) are ignored;
//! - one build listed several times (in both sets, or split by device subsets) becomes one release:
//!   the earliest posting day, the earliest expiry, the union of devices;
//! - a missing `ExpirationDate` means Apple did not say the release expires;
//! - `PostingDate` is rewritten by Apple from one day to the next, so every release carries
//!   `seen_at`, the time this copy of the feed was read, for the catalog's first-seen date.

use jiff::Timestamp;
use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::catalog::read::{self, Fields};
use crate::catalog::release::Release;
use crate::catalog::{FeedError, FeedFormat, build_key, merge_duplicates};
use crate::field_error::FieldErrors;
use crate::platform::Platform;

/// The sets of ordinary releases, in the order they are read.
const ASSET_SETS: [&str; 2] = ["PublicAssetSets", "AssetSets"];
/// The sets of supplemental releases (current name first, then the historical one).
const SUPPLEMENTAL_SETS: [&str; 2] = [
    "PublicBackgroundSecurityImprovements",
    "PublicRapidSecurityResponses",
];
/// Device identifier prefixes of the iOS/iPadOS family inside gdmf's `iOS` key.
const IOS_DEVICE_PREFIXES: [&str; 3] = ["iPhone", "iPad", "iPod"];

/// Parses a gdmf `pmv` response read at `seen_at`.
pub fn parse(bytes: &[u8], seen_at: Timestamp) -> Result<Vec<Release>, FeedError> {
    let document = crate::json_read::json_document(bytes, "the feed")
        .map_err(|errors| FeedError::new(Some(FeedFormat::Gdmf), errors))?;
    parse_value(&document, seen_at)
}

pub(crate) fn parse_value(document: &Value, seen_at: Timestamp) -> Result<Vec<Release>, FeedError> {
    let format = Some(FeedFormat::Gdmf);
    let mut errors = FieldErrors::new();
    let Some(root) = read::object(document, "", &mut errors) else {
        return Err(FeedError::new(format, errors));
    };
    if !ASSET_SETS.iter().any(|key| root.has(key)) {
        return Err(FeedError::one(
            format,
            "",
            "a gdmf feed has `PublicAssetSets` or `AssetSets` at the top level; this has neither",
        ));
    }
    let mut releases = Vec::new();
    for (set, supplemental) in ASSET_SETS
        .iter()
        .map(|set| (set, false))
        .chain(SUPPLEMENTAL_SETS.iter().map(|set| (set, true)))
    {
        let Some(platforms) = root.optional_object(set, &mut errors) else {
            continue;
        };
        for (key, entries) in platforms.entries() {
            let platform = match key.as_str() {
                "macOS" => Platform::MacOs,
                "iOS" => Platform::Ios,
                _ => continue,
            };
            let pointer = platforms.pointer_to(key);
            let Value::Array(entries) = entries else {
                errors.push(
                    pointer,
                    format!(
                        "expected an array of releases, not {}",
                        crate::json_read::describe(entries)
                    ),
                );
                continue;
            };
            for (index, entry) in entries.iter().enumerate() {
                let entry_pointer = crate::field_error::child(&pointer, index);
                let Some(fields) = read::object(entry, &entry_pointer, &mut errors) else {
                    continue;
                };
                if let Some(release) =
                    read_entry(&fields, platform, supplemental, seen_at, &mut errors)
                {
                    releases.push(release);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(FeedError::new(format, errors));
    }
    Ok(merge_duplicates(releases, build_key))
}

/// One entry; `None` when it is unreadable (errors recorded) or not for this platform.
fn read_entry(
    fields: &Fields<'_>,
    platform: Platform,
    supplemental: bool,
    seen_at: Timestamp,
    errors: &mut FieldErrors,
) -> Option<Release> {
    let before = errors.len();
    let base_version = fields.required_str("ProductVersion", errors);
    let extra = if supplemental {
        fields
            .optional_str("ProductVersionExtra", errors)
            .map(str::trim)
            .filter(|extra| !extra.is_empty())
    } else {
        None
    };
    let version = base_version.and_then(|base| {
        let text = match extra {
            Some(extra) => format!("{} {extra}", base.trim()),
            None => base.to_owned(),
        };
        AppleOsVersion::parse(&text)
            .map_err(|why| {
                // Blame the suffix when the base version alone is fine.
                let key = if extra.is_some() && AppleOsVersion::parse(base).is_ok() {
                    "ProductVersionExtra"
                } else {
                    "ProductVersion"
                };
                errors.push(fields.pointer_to(key), why);
            })
            .ok()
    });
    let build = fields.required_build("Build", errors);
    let posted = fields.required_date("PostingDate", errors);
    let expires_on = fields.optional_date("ExpirationDate", errors);
    let devices = fields
        .optional_strings("SupportedDevices", errors)
        .unwrap_or_default();
    let prerequisite_build = if supplemental {
        fields.optional_build("PrerequisiteBuild", errors)
    } else {
        None
    };
    if errors.len() > before {
        return None;
    }
    let listed_any = !devices.is_empty();
    let supported_devices: crate::catalog::device_list::DeviceList = devices
        .into_iter()
        .filter(|device| match platform {
            Platform::MacOs => true,
            Platform::Ios => IOS_DEVICE_PREFIXES
                .iter()
                .any(|prefix| device.starts_with(prefix)),
        })
        .collect();
    if listed_any && supported_devices.is_empty() {
        // A watchOS, tvOS or HomePod release under gdmf's `iOS` key.
        return None;
    }
    Some(Release {
        platform,
        version: version?,
        build,
        released_on: posted?,
        expires_on,
        supported_devices,
        security: None,
        prerequisite_build,
        seen_at: Some(seen_at),
        source: FeedFormat::Gdmf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const FIXTURE: &[u8] = include_bytes!("../../../../fixtures/feeds/gdmf-pmv.json");

    fn seen_at() -> Timestamp {
        "2026-08-22T18:44:07Z".parse().unwrap()
    }

    fn find<'a>(releases: &'a [Release], platform: Platform, build: &str) -> &'a Release {
        releases
            .iter()
            .find(|release| release.platform == platform && release.build.as_deref() == Some(build))
            .unwrap_or_else(|| panic!("no {platform} build {build}"))
    }

    #[test]
    fn the_fixture_gives_one_release_per_build() {
        let releases = parse(FIXTURE, seen_at()).unwrap();
        let listed: Vec<(Platform, String, String)> = releases
            .iter()
            .map(|release| {
                (
                    release.platform,
                    release.version.to_string(),
                    release.build.clone().unwrap(),
                )
            })
            .collect();
        let expected = [
            (Platform::MacOs, "26.6.2", "25G83"),
            (Platform::MacOs, "26.6.1", "25G76"),
            (Platform::MacOs, "26.3.1 (a)", "25D771280a"),
            (Platform::MacOs, "15.7.9", "24G830"),
            (Platform::Ios, "26.6.1", "23G6083"),
            (Platform::Ios, "26.6.1", "23G83"),
            (Platform::Ios, "26.5", "23F77"),
        ];
        let expected: Vec<(Platform, String, String)> = expected
            .iter()
            .map(|(platform, version, build)| (*platform, version.to_string(), build.to_string()))
            .collect();
        assert_eq!(listed, expected);
        assert!(
            releases
                .iter()
                .all(|release| release.seen_at == Some(seen_at()))
        );
        assert!(
            releases
                .iter()
                .all(|release| release.source == FeedFormat::Gdmf)
        );
        assert!(releases.iter().all(|release| release.security.is_none()));
    }

    #[test]
    fn a_build_in_both_sets_takes_the_earliest_posting_day() {
        let releases = parse(FIXTURE, seen_at()).unwrap();
        // Posted 2026-08-06 in AssetSets, rewritten to 2026-08-17 in PublicAssetSets.
        let sequoia = find(&releases, Platform::MacOs, "24G830");
        assert_eq!(sequoia.released_on, date(2026, 8, 6));
        assert_eq!(sequoia.expires_on, Some(date(2026, 11, 20)));
        let tahoe = find(&releases, Platform::MacOs, "25G83");
        assert_eq!(tahoe.released_on, date(2026, 8, 17));
        assert!(tahoe.supported_devices.contains("J413AP"));
        assert!(!tahoe.is_major());
    }

    #[test]
    fn device_subsets_of_one_build_are_united_with_the_earliest_expiry() {
        let releases = parse(FIXTURE, seen_at()).unwrap();
        let ios_26_5 = find(&releases, Platform::Ios, "23F77");
        assert_eq!(ios_26_5.expires_on, Some(date(2026, 8, 30)));
        assert_eq!(
            ios_26_5.supported_devices.iter().collect::<Vec<_>>(),
            ["iPad16,3", "iPhone17,1", "iPhone18,1"]
        );
    }

    #[test]
    fn watch_tv_and_homepod_entries_under_ios_are_dropped() {
        let releases = parse(FIXTURE, seen_at()).unwrap();
        assert!(
            releases
                .iter()
                .all(|release| release.build.as_deref() != Some("23U67")),
            "23U67 is watchOS 26.6"
        );
        assert!(releases.iter().all(|release| {
            release.supported_devices.iter().all(|device| {
                !device.starts_with("Watch")
                    && !device.starts_with("AppleTV")
                    && !device.starts_with("AudioAccessory")
            })
        }));
        assert!(
            releases
                .iter()
                .all(|release| !release.supported_devices.contains("RealityDevice14,1")),
            "visionOS is ignored"
        );
    }

    #[test]
    fn supplementals_carry_suffix_and_prerequisite() {
        let releases = parse(FIXTURE, seen_at()).unwrap();
        let bsi = find(&releases, Platform::MacOs, "25D771280a");
        assert_eq!(bsi.version, AppleOsVersion::parse("26.3.1 (a)").unwrap());
        assert!(bsi.is_supplemental());
        assert_eq!(bsi.prerequisite_build.as_deref(), Some("25D2128"));
        assert_eq!(bsi.released_on, date(2026, 3, 17));
    }

    #[test]
    fn output_does_not_depend_on_entry_order() {
        let mut document: Value = serde_json::from_slice(FIXTURE).unwrap();
        for set in ASSET_SETS {
            for platform in ["macOS", "iOS"] {
                if let Some(Value::Array(entries)) = document
                    .get_mut(set)
                    .and_then(|sets| sets.get_mut(platform))
                {
                    entries.reverse();
                }
            }
        }
        let reversed = parse_value(&document, seen_at()).unwrap();
        assert_eq!(reversed, parse(FIXTURE, seen_at()).unwrap());
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let feed = br#"{
            "AssetSets": {
                "macOS": [
                    {"ProductVersion": "26.6.2", "Build": "25G83", "PostingDate": "2026-08-17"},
                    {"ProductVersion": "26.x", "Build": "", "PostingDate": "17 Aug 2026",
                     "SupportedDevices": ["J413AP", 7]}
                ],
                "iOS": {"not": "an array"}
            },
            "PublicBackgroundSecurityImprovements": {
                "macOS": [{"ProductVersion": "26.3.1", "ProductVersionExtra": "(A)",
                           "Build": "25D771280a", "PostingDate": "2026-03-17",
                           "PrerequisiteBuild": "25D 2128"}]
            }
        }"#;
        let error = parse(feed, seen_at()).unwrap_err();
        assert_eq!(error.format, Some(FeedFormat::Gdmf));
        let found: Vec<(String, String)> = error
            .errors
            .iter()
            .map(|error| (error.pointer.clone(), error.message.clone()))
            .collect();
        let pointers: Vec<&str> = found.iter().map(|(pointer, _)| pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/AssetSets/macOS/1/ProductVersion",
                "/AssetSets/macOS/1/Build",
                "/AssetSets/macOS/1/PostingDate",
                "/AssetSets/macOS/1/SupportedDevices/1",
                "/AssetSets/iOS",
                "/PublicBackgroundSecurityImprovements/macOS/0/ProductVersionExtra",
                "/PublicBackgroundSecurityImprovements/macOS/0/PrerequisiteBuild",
            ]
        );
        assert!(
            found[0].1.contains("\"x\" is not a number"),
            "{:?}",
            found[0]
        );
        assert!(found[1].1.contains("Build is required"), "{:?}", found[1]);
        assert!(found[2].1.contains("not a date"), "{:?}", found[2]);
        assert!(
            found[5].1.contains("one lowercase letter"),
            "{:?}",
            found[5]
        );
        let message = error.to_string();
        assert!(
            message.starts_with("the gdmf pmv feed cannot be read:"),
            "{message}"
        );
    }

    #[test]
    fn versions_and_builds_apple_could_not_issue_are_refused_with_a_pointer() {
        let feed = br#"{"AssetSets": {"macOS": [
            {"ProductVersion": "26.6.2", "Build": "25G83", "PostingDate": "2026-08-17"},
            {"ProductVersion": "1000000000.1000000000.10000", "Build": "25G84",
             "PostingDate": "2026-08-17"},
            {"ProductVersion": "26.6.3", "Build": "25G8425G8425G8425G84",
             "PostingDate": "2026-08-17"}
        ]}}"#;
        let error = parse(feed, seen_at()).unwrap_err();
        let found: Vec<(&str, &str)> = error
            .errors
            .iter()
            .map(|error| (error.pointer.as_str(), error.message.as_str()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "/AssetSets/macOS/1/ProductVersion");
        assert!(found[0].1.contains("characters long"), "{found:?}");
        assert_eq!(found[1].0, "/AssetSets/macOS/2/Build");
        assert!(found[1].1.contains("at most 16"), "{found:?}");
    }

    #[test]
    fn a_document_without_asset_sets_is_refused() {
        let error = parse(br#"{"OSVersions": []}"#, seen_at()).unwrap_err();
        assert!(error.to_string().contains("neither"), "{error}");
        let error = parse(b"not json", seen_at()).unwrap_err();
        assert!(error.to_string().contains("not valid JSON"), "{error}");
    }
}
