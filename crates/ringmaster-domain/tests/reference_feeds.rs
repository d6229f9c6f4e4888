//! The catalog parsers against the real feeds saved in `../shared/reference/os-feeds/`.
//!
//! That folder is third-party data outside the repository (a snapshot of 2026-08-22, described
//! in its `SOURCE.md` and in `docs/os-release-feeds.md`). A fresh clone lacks it: every test here
//! then prints which folder is missing and passes without checking anything (under `CI=true`
//! it fails instead).
//! The assertions are what an admin would notice: the newest versions, the worked example's
//! candidates for a MacBook Air, supplemental releases with their prerequisite builds.

mod reference;

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::catalog::{FeedFormat, detect_format, gdmf, parse_feed, sofa};
use ringmaster_domain::platform::Platform;

/// When SOFA fetched the saved gdmf response.
const GDMF_SEEN_AT: &str = "2026-08-22T18:44:07Z";

fn reference_dir() -> Option<PathBuf> {
    reference::reference_path("os-feeds")
}

fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn sofa_feed(name: &str) -> Option<Vec<Release>> {
    let dir = reference_dir()?;
    Some(sofa::parse(&read(&dir, name)).unwrap_or_else(|error| panic!("{name}: {error}")))
}

fn gdmf_feed() -> Option<Vec<Release>> {
    let dir = reference_dir()?;
    let seen_at: Timestamp = GDMF_SEEN_AT.parse().unwrap();
    Some(
        gdmf::parse(&read(&dir, "gdmf-pmv.json"), seen_at)
            .unwrap_or_else(|error| panic!("gdmf-pmv.json: {error}")),
    )
}

fn version(text: &str) -> AppleOsVersion {
    AppleOsVersion::parse(text).unwrap()
}

fn of(releases: &[Release], platform: Platform) -> Vec<&Release> {
    releases
        .iter()
        .filter(|release| release.platform == platform)
        .collect()
}

fn newest(releases: &[Release], platform: Platform) -> &Release {
    releases
        .iter()
        .filter(|release| release.platform == platform && !release.is_supplemental())
        .max_by(|a, b| a.version.cmp(&b.version))
        .unwrap_or_else(|| panic!("no {platform} release"))
}

fn by_version<'a>(releases: &'a [Release], platform: Platform, text: &str) -> Vec<&'a Release> {
    let wanted = version(text);
    releases
        .iter()
        .filter(|release| release.platform == platform && release.version == wanted)
        .collect()
}

fn one<'a>(releases: &'a [Release], platform: Platform, text: &str) -> &'a Release {
    let found = by_version(releases, platform, text);
    assert_eq!(found.len(), 1, "{platform} {text}: {found:#?}");
    found[0]
}

fn majors(releases: &[Release], platform: Platform) -> BTreeSet<u32> {
    of(releases, platform)
        .iter()
        .map(|release| release.version.major())
        .collect()
}

/// What every parsed feed must satisfy, whatever its format.
fn check_common(name: &str, releases: &[Release]) {
    assert!(!releases.is_empty(), "{name}: no releases");
    for release in releases {
        if let Some(build) = &release.build {
            assert!(
                !build.is_empty() && build.bytes().all(|byte| byte.is_ascii_alphanumeric()),
                "{name}: build {build:?}"
            );
        }
        if release.is_supplemental() {
            assert!(
                release.prerequisite_build.is_some(),
                "{name}: supplemental {} has no prerequisite build",
                release.version
            );
        }
    }
}

#[test]
fn every_feed_in_the_folder_is_recognised_and_parses() {
    let Some(dir) = reference_dir() else {
        return;
    };
    let expected = [
        ("gdmf-pmv.json", FeedFormat::Gdmf),
        ("sofa-v1-ios_data_feed.json", FeedFormat::SofaV1),
        ("sofa-v1-macos_data_feed.json", FeedFormat::SofaV1),
        ("sofa-v2-dms_consumers_lite.json", FeedFormat::SofaDms),
        ("sofa-v2-ios_data_feed.json", FeedFormat::SofaV2),
        ("sofa-v2-macos_data_feed.json", FeedFormat::SofaV2),
    ];
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let bytes = read(&dir, &name);
        if name == "sofa-v1-timestamp.json" {
            let error = detect_format(&bytes).unwrap_err();
            assert!(error.to_string().contains("timestamp.json"), "{error}");
            continue;
        }
        let parsed = parse_feed(&bytes, GDMF_SEEN_AT.parse().unwrap())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let format = expected
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, format)| *format);
        assert_eq!(Some(parsed.format), format, "{name}");
        check_common(&name, &parsed.releases);
        seen.push(name);
    }
    seen.sort();
    let expected_names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    assert_eq!(seen, expected_names, "the folder's feeds");
}

#[test]
fn sofa_v1_macos_matches_the_snapshot() {
    let Some(releases) = sofa_feed("sofa-v1-macos_data_feed.json") else {
        return;
    };
    check_common("sofa v1 macOS", &releases);
    assert!(
        releases
            .iter()
            .all(|release| release.platform == Platform::MacOs)
    );
    assert_eq!(
        majors(&releases, Platform::MacOs),
        BTreeSet::from([12, 13, 14, 15, 26])
    );
    assert!(releases.len() > 100, "{} releases", releases.len());
    let latest = newest(&releases, Platform::MacOs);
    assert_eq!(latest.version.to_string(), "26.6.2");
    assert_eq!(latest.build.as_deref(), Some("25G83"));
    assert_eq!(latest.released_on, date(2026, 8, 17));
    assert_eq!(latest.expires_on, Some(date(2026, 11, 20)));
    assert!(latest.supported_devices.contains("J413AP"));
    // v1 gives a build only for each major's Latest.
    let with_builds: BTreeSet<&str> = releases
        .iter()
        .filter_map(|release| release.build.as_deref())
        .collect();
    assert_eq!(
        with_builds,
        BTreeSet::from(["21H1320", "22H730", "23J631", "24G830", "25G83"])
    );
    let exploited = one(&releases, Platform::MacOs, "26.6.1");
    let security = exploited.security.as_ref().unwrap();
    assert_eq!(
        (security.cve_count, security.actively_exploited_count),
        (1, 1)
    );
}

#[test]
fn sofa_v1_ios_drops_placeholder_builds_and_finds_the_real_newest() {
    let Some(releases) = sofa_feed("sofa-v1-ios_data_feed.json") else {
        return;
    };
    check_common("sofa v1 iOS", &releases);
    assert!(
        releases
            .iter()
            .all(|release| release.platform == Platform::Ios)
    );
    assert!(
        releases.iter().all(|release| release.build.is_none()),
        "placeholders such as 26A000 are not builds"
    );
    assert_eq!(
        newest(&releases, Platform::Ios).version.to_string(),
        "26.6.1"
    );
    // The feed's `Latest` for 18 says 18.7.9 (string order); 18.7.10 is newer.
    let newest_18 = releases
        .iter()
        .filter(|release| release.version.major() == 18)
        .max_by(|a, b| a.version.cmp(&b.version))
        .unwrap();
    assert_eq!(newest_18.version.to_string(), "18.7.10");
    assert_eq!(newest_18.released_on, date(2026, 8, 17));
}

#[test]
fn sofa_v2_macos_has_builds_devices_and_improvements() {
    let Some(releases) = sofa_feed("sofa-v2-macos_data_feed.json") else {
        return;
    };
    check_common("sofa v2 macOS", &releases);
    let latest = newest(&releases, Platform::MacOs);
    assert_eq!(latest.version.to_string(), "26.6.2");
    assert_eq!(latest.build.as_deref(), Some("25G83"));
    assert!(
        latest.supported_devices.contains("J413AP"),
        "rows without SupportedDevices inherit the major's Latest"
    );
    let table = [
        ("26.5.2", "25F84", date(2026, 6, 29), date(2026, 10, 25)),
        ("26.6", "25G72", date(2026, 7, 27), date(2026, 11, 4)),
        ("26.6.1", "25G76", date(2026, 8, 6), date(2026, 11, 15)),
        ("26.6.2", "25G83", date(2026, 8, 17), date(2026, 11, 20)),
    ];
    for (text, build, released, expires) in table {
        let release = one(&releases, Platform::MacOs, text);
        assert_eq!(release.build.as_deref(), Some(build), "{text}");
        assert_eq!(release.released_on, released, "{text}");
        assert_eq!(release.expires_on, Some(expires), "{text}");
    }
    assert_eq!(
        one(&releases, Platform::MacOs, "26.4.1").build,
        None,
        "no build once Apple stops signing"
    );
    for (text, prerequisite) in [("26.3.1 (a)", "25D2128"), ("26.3.2 (a)", "25D2140")] {
        let bsi = one(&releases, Platform::MacOs, text);
        assert_eq!(
            bsi.prerequisite_build.as_deref(),
            Some(prerequisite),
            "{text}"
        );
        assert_eq!(bsi.released_on, date(2026, 3, 17));
    }
    let exploited = one(&releases, Platform::MacOs, "26.3");
    assert_eq!(
        exploited
            .security
            .as_ref()
            .unwrap()
            .actively_exploited_count,
        3
    );
    assert!(one(&releases, Platform::MacOs, "26.0").is_major());
}

#[test]
fn sofa_v2_ios_merges_repeated_rows() {
    let Some(releases) = sofa_feed("sofa-v2-ios_data_feed.json") else {
        return;
    };
    check_common("sofa v2 iOS", &releases);
    assert_eq!(
        majors(&releases, Platform::Ios),
        BTreeSet::from([17, 18, 26])
    );
    let latest = newest(&releases, Platform::Ios);
    assert_eq!(latest.version.to_string(), "26.6.1");
    assert_eq!(latest.build.as_deref(), Some("23G83"));
    one(&releases, Platform::Ios, "18.7.7");
    let twice = one(&releases, Platform::Ios, "17.0.2");
    assert_eq!(
        twice.released_on,
        date(2023, 9, 21),
        "the earlier of its two rows"
    );
    let bsi = one(&releases, Platform::Ios, "26.3.1 (a)");
    assert_eq!(bsi.prerequisite_build.as_deref(), Some("23D8133"));
}

#[test]
fn sofa_dms_lite_infers_prerequisites_of_glued_supplementals() {
    let Some(releases) = sofa_feed("sofa-v2-dms_consumers_lite.json") else {
        return;
    };
    check_common("sofa dms lite", &releases);
    assert_eq!(
        newest(&releases, Platform::MacOs).version.to_string(),
        "26.6.2"
    );
    assert_eq!(
        newest(&releases, Platform::Ios).version.to_string(),
        "26.6.1"
    );
    assert_eq!(
        one(&releases, Platform::MacOs, "26.4.1").build.as_deref(),
        Some("25E253")
    );
    for (platform, text, prerequisite) in [
        (Platform::MacOs, "26.3.1(a)", "25D2128"),
        (Platform::MacOs, "26.3.2(a)", "25D2140"),
        (Platform::Ios, "26.3.1(a)", "23D8133"),
    ] {
        let bsi = one(&releases, platform, text);
        assert_eq!(
            bsi.version.to_string(),
            text,
            "written as the feed writes it"
        );
        assert_eq!(
            bsi.prerequisite_build.as_deref(),
            Some(prerequisite),
            "{text}"
        );
    }
}

/// The worked example of `docs/os-release-feeds.md`: a MacBook Air (M2, 2022), `J413AP`, on 26.5.1.
#[test]
fn gdmf_gives_the_worked_example_candidates() {
    let Some(releases) = gdmf_feed() else {
        return;
    };
    check_common("gdmf", &releases);
    let seen_at: Timestamp = GDMF_SEEN_AT.parse().unwrap();
    assert!(releases.iter().all(|release| release.build.is_some()));
    assert!(
        releases
            .iter()
            .all(|release| release.seen_at == Some(seen_at))
    );
    assert_eq!(
        of(&releases, Platform::MacOs).len(),
        17,
        "15 builds and 2 BSIs"
    );
    assert_eq!(
        of(&releases, Platform::Ios).len(),
        25,
        "iPhone, iPad, iPod builds only"
    );

    let today: Date = date(2026, 8, 22);
    let current = version("26.5.1");
    let candidates: Vec<(String, &str, Date, Option<Date>)> = releases
        .iter()
        .filter(|release| {
            release.platform == Platform::MacOs
                && !release.is_supplemental()
                && release.supported_devices.contains("J413AP")
                && release.version > current
                && release.expires_on.is_none_or(|expiry| expiry >= today)
        })
        .map(|release| {
            (
                release.version.to_string(),
                release.build.as_deref().unwrap(),
                release.released_on,
                release.expires_on,
            )
        })
        .collect();
    assert_eq!(
        candidates,
        [
            (
                "26.6.2".to_owned(),
                "25G83",
                date(2026, 8, 17),
                Some(date(2026, 11, 20))
            ),
            (
                "26.6.1".to_owned(),
                "25G76",
                date(2026, 8, 6),
                Some(date(2026, 11, 15))
            ),
            (
                "26.6".to_owned(),
                "25G72",
                date(2026, 7, 27),
                Some(date(2026, 11, 4))
            ),
            (
                "26.5.2".to_owned(),
                "25F84",
                date(2026, 6, 29),
                Some(date(2026, 10, 25))
            ),
        ]
    );
    // Staying within 15.x, the newest for that Mac is 15.7.9.
    let sequoia = releases
        .iter()
        .filter(|release| {
            release.platform == Platform::MacOs
                && release.version.major() == 15
                && release.supported_devices.contains("J413AP")
        })
        .max_by(|a, b| a.version.cmp(&b.version))
        .unwrap();
    assert_eq!(
        (sequoia.version.to_string(), sequoia.build.as_deref()),
        ("15.7.9".to_owned(), Some("24G830"))
    );
}

#[test]
fn gdmf_rewritten_dates_and_split_device_sets_are_merged_conservatively() {
    let Some(releases) = gdmf_feed() else {
        return;
    };
    // Listed 2026-08-06 in AssetSets and 2026-08-17 in PublicAssetSets: the earlier day is kept.
    assert_eq!(
        one(&releases, Platform::MacOs, "14.8.9").released_on,
        date(2026, 8, 6)
    );
    assert_eq!(
        one(&releases, Platform::MacOs, "13.7.8").released_on,
        date(2026, 5, 18)
    );
    assert_eq!(
        one(&releases, Platform::MacOs, "26.5").expires_on,
        Some(date(2026, 8, 30))
    );
    // iOS 26.5 (23F77) is listed for 90 devices until 2026-09-27 and for 5 until 2026-08-30.
    let split = releases
        .iter()
        .find(|release| release.build.as_deref() == Some("23F77"))
        .unwrap();
    assert_eq!(split.expires_on, Some(date(2026, 8, 30)));
    assert_eq!(split.supported_devices.len(), 95);
    // watchOS 26.6 (23U67) and tvOS 26.6 (23L773) sit under gdmf's iOS key but are not iOS.
    for build in ["23U67", "23L773"] {
        assert!(
            releases
                .iter()
                .all(|release| release.build.as_deref() != Some(build)),
            "{build}"
        );
    }
    for (platform, text, prerequisite) in [
        (Platform::MacOs, "26.3.1 (a)", "25D2128"),
        (Platform::MacOs, "26.3.2 (a)", "25D2140"),
        (Platform::Ios, "26.3.1 (a)", "23D8133"),
    ] {
        let bsi = one(&releases, platform, text);
        assert_eq!(
            bsi.prerequisite_build.as_deref(),
            Some(prerequisite),
            "{text}"
        );
    }
}

#[test]
fn sofa_and_gdmf_agree_on_macos_builds() {
    let (Some(sofa_releases), Some(gdmf_releases)) =
        (sofa_feed("sofa-v2-macos_data_feed.json"), gdmf_feed())
    else {
        return;
    };
    let mut compared = 0;
    for release in &sofa_releases {
        let Some(build) = &release.build else {
            continue;
        };
        if let Some(signed) = gdmf_releases.iter().find(|signed| {
            signed.platform == Platform::MacOs && signed.build.as_ref() == Some(build)
        }) {
            assert_eq!(signed.version, release.version, "build {build}");
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} builds in both feeds");
}
