//! Tests of [`super`].

use super::*;
use jiff::civil::date;

const V1_MACOS: &[u8] = include_bytes!("../../../../../fixtures/feeds/sofa-v1-macos.json");
const V1_IOS: &[u8] = include_bytes!("../../../../../fixtures/feeds/sofa-v1-ios.json");
const V2_MACOS: &[u8] = include_bytes!("../../../../../fixtures/feeds/sofa-v2-macos.json");
const V2_IOS: &[u8] = include_bytes!("../../../../../fixtures/feeds/sofa-v2-ios.json");
const DMS: &[u8] = include_bytes!("../../../../../fixtures/feeds/sofa-v2-dms-lite.json");

fn find<'a>(releases: &'a [Release], version: &str) -> &'a Release {
    let version = AppleOsVersion::parse(version).unwrap();
    releases
        .iter()
        .find(|release| release.version == version)
        .unwrap_or_else(|| panic!("no release {version}"))
}

fn versions(releases: &[Release]) -> Vec<String> {
    releases
        .iter()
        .map(|release| release.version.to_string())
        .collect()
}

#[test]
fn v1_macos_reads_every_row_newest_first_with_the_latest_build() {
    let releases = parse(V1_MACOS).unwrap();
    assert_eq!(
        versions(&releases),
        ["26.6.2", "26.6.1", "26.6", "15.7.9", "15.7.8"]
    );
    assert!(
        releases
            .iter()
            .all(|release| release.platform == Platform::MacOs)
    );
    assert!(
        releases
            .iter()
            .all(|release| release.source == FeedFormat::SofaV1)
    );
    let newest = &releases[0];
    assert_eq!(newest.build.as_deref(), Some("25G83"));
    assert_eq!(newest.released_on, date(2026, 8, 17));
    assert_eq!(newest.expires_on, Some(date(2026, 11, 20)));
    let security = newest.security.as_ref().unwrap();
    assert_eq!(security.cve_count, 28);
    assert_eq!(security.actively_exploited_count, 0);
    assert_eq!(
        security.details_url.as_deref(),
        Some("https://support.apple.com/en-us/148281")
    );
    let exploited = find(&releases, "26.6.1");
    assert_eq!(exploited.build, None, "v1 has no build outside Latest");
    assert_eq!(
        exploited
            .security
            .as_ref()
            .unwrap()
            .actively_exploited_count,
        1
    );
    assert!(exploited.supported_devices.contains("J413AP"));
}

#[test]
fn v1_ios_placeholder_builds_and_missing_devices_mean_unknown() {
    let releases = parse(V1_IOS).unwrap();
    assert!(
        releases
            .iter()
            .all(|release| release.platform == Platform::Ios)
    );
    assert!(releases.iter().all(|release| release.build.is_none()));
    assert!(
        releases
            .iter()
            .all(|release| release.supported_devices.is_empty())
    );
    assert_eq!(
        versions(&releases),
        ["26.6.1", "26.6", "18.7.10", "18.7.9"],
        "18.7.10 sorts above the 18.7.9 that the feed calls Latest"
    );
}

#[test]
fn v2_macos_inherits_devices_and_reads_improvements() {
    let releases = parse(V2_MACOS).unwrap();
    assert_eq!(
        versions(&releases),
        [
            "26.6.2",
            "26.6.1",
            "26.5.2",
            "26.4.1",
            "26.3.1 (a)",
            "26.3.1",
            "26.0"
        ]
    );
    let newest = find(&releases, "26.6.2");
    assert_eq!(newest.build.as_deref(), Some("25G83"));
    assert_eq!(newest.expires_on, Some(date(2026, 11, 20)));
    assert!(
        newest.supported_devices.contains("J413AP"),
        "rows without SupportedDevices inherit Latest's"
    );
    let old = find(&releases, "26.4.1");
    assert_eq!(old.build, None, "an empty Build is unknown");
    assert_eq!(old.expires_on, None);
    let exploited = find(&releases, "26.6.1");
    let security = exploited.security.as_ref().unwrap();
    assert_eq!(
        (security.cve_count, security.actively_exploited_count),
        (1, 1)
    );
    let bsi = find(&releases, "26.3.1 (a)");
    assert!(bsi.is_supplemental());
    assert_eq!(bsi.build.as_deref(), Some("25D771280a"));
    assert_eq!(bsi.prerequisite_build.as_deref(), Some("25D2128"));
    assert_eq!(bsi.released_on, date(2026, 3, 17));
    assert_eq!(bsi.security.as_ref().unwrap().cve_count, 1);
    let major = find(&releases, "26.0");
    assert!(major.is_major());
    assert!(!newest.is_major());
}

#[test]
fn v2_ios_merges_repeated_versions_with_the_earlier_date() {
    let releases = parse(V2_IOS).unwrap();
    assert_eq!(
        versions(&releases),
        ["26.6.1", "26.5.1", "18.7.7", "17.0.2"]
    );
    let twice = find(&releases, "17.0.2");
    assert_eq!(twice.released_on, date(2023, 9, 21));
    assert_eq!(
        twice.supported_devices.iter().collect::<Vec<_>>(),
        ["iPhone15,4", "iPhone16,1"]
    );
    let newest = find(&releases, "26.6.1");
    assert_eq!(newest.build.as_deref(), Some("23G83"));
    assert!(newest.supported_devices.contains("iPad16,3"));
    let specific = find(&releases, "26.5.1");
    assert_eq!(
        specific.supported_devices.iter().collect::<Vec<_>>(),
        ["iPhone18,1"],
        "a device-specific row keeps its own list"
    );
}

#[test]
fn dms_lite_reads_macos_and_ios_and_infers_prerequisites() {
    let releases = parse(DMS).unwrap();
    assert!(
        releases
            .iter()
            .all(|release| release.source == FeedFormat::SofaDms)
    );
    let macos: Vec<String> = releases
        .iter()
        .filter(|release| release.platform == Platform::MacOs)
        .map(|release| release.version.to_string())
        .collect();
    assert_eq!(macos, ["26.6.2", "26.3.1(a)", "26.3.1"]);
    let ios: Vec<String> = releases
        .iter()
        .filter(|release| release.platform == Platform::Ios)
        .map(|release| release.version.to_string())
        .collect();
    assert_eq!(ios, ["26.6.1"], "tvOS is skipped");
    let bsi = find(&releases, "26.3.1 (a)");
    assert_eq!(bsi.prerequisite_build.as_deref(), Some("25D2128"));
    assert_eq!(bsi.released_on, date(2026, 3, 17));
    assert_eq!(bsi.supported_devices.len(), 1, "its own list");
    let newest = find(&releases, "26.6.2");
    assert_eq!(
        newest.supported_devices.len(),
        2,
        "inherited from the OS version"
    );
    assert_eq!(
        newest.security,
        Some(SecurityInfo {
            cve_count: 28,
            actively_exploited_count: 0,
            details_url: None
        })
    );
}

#[test]
fn placeholders_are_recognised() {
    assert!(is_placeholder_build("26A000"));
    assert!(is_placeholder_build("18A000"));
    assert!(!is_placeholder_build("25G83"));
    assert!(!is_placeholder_build("21A5000"));
    assert!(!is_placeholder_build("A000"));
}

#[test]
fn output_does_not_depend_on_row_order() {
    let mut document: Value = serde_json::from_slice(V2_IOS).unwrap();
    if let Some(Value::Array(os_versions)) = document.get_mut("OSVersions") {
        os_versions.reverse();
        for os_version in os_versions {
            if let Some(Value::Array(rows)) = os_version.get_mut("SecurityReleases") {
                rows.reverse();
            }
        }
    }
    let reversed = parse_value(&document, FeedFormat::SofaV2).unwrap();
    assert_eq!(reversed, parse(V2_IOS).unwrap());
}

#[test]
fn problems_are_reported_where_they_are() {
    let feed = br#"{
        "UpdateHash": "x",
        "OSVersions": [{
            "OSVersion": "Tahoe 26",
            "Latest": {"ProductVersion": "26.6.2", "Build": "25G83",
                       "ReleaseDate": "2026-08-17T00:00:00Z", "SupportedDevices": ["J413AP"]},
            "SecurityReleases": [
                {"ProductName": "macOS", "ProductVersion": "26.6.2",
                 "ReleaseDate": "2026-08-17T00:00:00Z"},
                {"ProductName": "macOS", "ProductVersion": "Tahoe",
                 "ReleaseDate": "yesterday", "UniqueCVEsCount": -1},
                {"ProductName": "macOS", "CVEs": "none"}
            ]
        }]
    }"#;
    let error = parse(feed).unwrap_err();
    assert_eq!(error.format, Some(FeedFormat::SofaV1));
    let pointers: Vec<&str> = error
        .errors
        .iter()
        .map(|error| error.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/OSVersions/0/SecurityReleases/1/ProductVersion",
            "/OSVersions/0/SecurityReleases/1/ReleaseDate",
            "/OSVersions/0/SecurityReleases/1/UniqueCVEsCount",
            "/OSVersions/0/SecurityReleases/2/ProductVersion",
            "/OSVersions/0/SecurityReleases/2/ReleaseDate",
            "/OSVersions/0/SecurityReleases/2/CVEs",
        ]
    );
    let message = error.to_string();
    assert!(
        message.starts_with("the SOFA v1 feed cannot be read:"),
        "{message}"
    );
    assert!(
        message.contains("\"Tahoe\" is not an Apple OS version"),
        "{message}"
    );
    assert!(message.contains("ProductVersion is required"), "{message}");
    assert!(message.contains("at least 0, not -1"), "{message}");
}

#[test]
fn feeds_of_other_platforms_are_refused() {
    let feed = br#"{"SchemaVersion": "2026.04.11.2", "OSVersions": [{"OSVersion": "26",
        "Latest": {"ProductName": "tvOS", "ProductVersion": "26.6",
                   "ReleaseDate": "2026-07-27T00:00:00Z"}}]}"#;
    let error = parse(feed).unwrap_err();
    let first = error.errors.iter().next().unwrap();
    assert_eq!(first.pointer, "/OSVersions/0/Latest/ProductName");
    assert!(first.message.contains("\"tvOS\""), "{first}");

    let mixed = br#"{"UpdateHash": "x", "OSVersions": [{"OSVersion": "26", "SecurityReleases": [
        {"ProductName": "macOS", "ProductVersion": "26.6", "ReleaseDate": "2026-07-27"},
        {"ProductName": "iOS and iPadOS", "ProductVersion": "26.6", "ReleaseDate": "2026-07-27"}
    ]}]}"#;
    let error = parse(mixed).unwrap_err();
    let first = error.errors.iter().next().unwrap();
    assert_eq!(
        first.pointer,
        "/OSVersions/0/SecurityReleases/1/ProductName"
    );
}

#[test]
fn a_version_apple_could_not_issue_is_refused_with_a_pointer() {
    let feed = br#"{"UpdateHash": "x", "OSVersions": [{"OSVersion": "26", "SecurityReleases": [
        {"ProductName": "macOS", "ProductVersion": "26.1000", "ReleaseDate": "2026-07-27"}
    ]}]}"#;
    let error = parse(feed).unwrap_err();
    let first = error.errors.iter().next().unwrap();
    assert_eq!(
        first.pointer,
        "/OSVersions/0/SecurityReleases/0/ProductVersion"
    );
    assert!(first.message.contains("too large"), "{first}");
}

#[test]
fn an_empty_feed_has_no_releases_and_gdmf_is_not_sofa() {
    assert_eq!(
        parse(br#"{"UpdateHash": "x", "OSVersions": []}"#),
        Ok(Vec::new())
    );
    let error = parse(br#"{"AssetSets": {}}"#).unwrap_err();
    assert!(error.to_string().contains("not a SOFA feed"), "{error}");
}
