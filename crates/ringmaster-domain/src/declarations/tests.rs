//! Unit tests for the declarations: tokens, identifiers, date-times, platform filtering, and the
//! golden files under `fixtures/golden/declarations/`.
//!
//! After an intended change to what devices receive, regenerate the golden files with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p ringmaster-domain --lib declarations
//! ```
//!
//! and review the diff.

use jiff::civil::date;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::companion::*;
use super::envelope::*;
use super::samples::*;
use super::software_update::*;
use crate::platform::Platform;
use crate::schedule::format_deadline;

fn set_for(platform: Platform) -> DeclarationSet {
    device_declaration_set(platform, &maximal_settings(), Some(&maximal_enforcement()))
}

#[test]
fn envelope_has_apples_four_keys_in_order() {
    let declaration = settings_declaration(&maximal_settings(), Platform::MacOs);
    let json = declaration.to_json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Type", "Identifier", "ServerToken", "Payload"]);
    assert_eq!(
        json["Type"],
        "com.apple.configuration.softwareupdate.settings"
    );
    assert_eq!(json["Identifier"], SETTINGS_IDENTIFIER);
    assert_eq!(json["ServerToken"], declaration.server_token());
    assert_eq!(serde_json::to_value(&declaration).unwrap(), json);
}

#[test]
fn server_token_is_deterministic_and_short() {
    let a = settings_declaration(&maximal_settings(), Platform::Ios);
    let b = settings_declaration(&maximal_settings(), Platform::Ios);
    assert_eq!(a.server_token(), b.server_token());
    assert_eq!(a.server_token().len(), 32);
    assert!(a.server_token().bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn server_token_ignores_key_order_but_not_values() {
    let id = DeclarationIdentifier::parse("x").unwrap();
    let kind = DeclarationType::SoftwareUpdateSettings;
    let one = Declaration::new(
        kind,
        id.clone(),
        json!({"A": 1, "B": {"C": true, "D": "x"}}),
    );
    let two = Declaration::new(
        kind,
        id.clone(),
        json!({"B": {"D": "x", "C": true}, "A": 1}),
    );
    assert_eq!(one.server_token(), two.server_token());
    let changed = Declaration::new(
        kind,
        id.clone(),
        json!({"A": 2, "B": {"C": true, "D": "x"}}),
    );
    assert_ne!(one.server_token(), changed.server_token());
    let other_type = Declaration::new(
        DeclarationType::StatusSubscriptions,
        id,
        json!({"A": 1, "B": {"C": true, "D": "x"}}),
    );
    assert_ne!(one.server_token(), other_type.server_token());
    let other_id = Declaration::new(
        kind,
        DeclarationIdentifier::parse("y").unwrap(),
        json!({"A": 1, "B": {"C": true, "D": "x"}}),
    );
    assert_ne!(one.server_token(), other_id.server_token());
}

#[test]
fn canonical_json_sorts_keys_and_keeps_array_order() {
    assert_eq!(
        canonical_json(&json!({"b": [2, 1], "a": {"z": null, "y": "\"q\""}})),
        r#"{"a":{"y":"\"q\"","z":null},"b":[2,1]}"#
    );
}

#[test]
fn every_content_change_changes_the_server_token() {
    let base = enforcement_declaration(&maximal_enforcement());
    let mut later = maximal_enforcement();
    later.target_local_date_time = date(2026, 3, 1).at(17, 30, 0, 0);
    let mut no_url = maximal_enforcement();
    no_url.details_url = None;
    let mut other_build = maximal_enforcement();
    other_build.target_build = Some("25B79".to_owned());
    for changed in [later, no_url, other_build] {
        let declaration = enforcement_declaration(&changed);
        assert_eq!(declaration.identifier(), base.identifier());
        assert_ne!(declaration.server_token(), base.server_token());
    }
}

#[test]
fn a_new_version_is_a_new_enforcement_declaration() {
    let mut next = maximal_enforcement();
    next.target_os_version = crate::apple_version::AppleOsVersion::parse("26.1.1").unwrap();
    let a = enforcement_declaration(&maximal_enforcement());
    let b = enforcement_declaration(&next);
    assert_eq!(
        a.identifier().as_str(),
        "ringmaster.softwareupdate.enforcement.26.1.0"
    );
    assert_eq!(
        b.identifier().as_str(),
        "ringmaster.softwareupdate.enforcement.26.1.1"
    );
}

#[test]
fn supplemental_targets_use_the_base_version_and_a_lettered_identifier() {
    let declaration = enforcement_declaration(&supplemental_enforcement());
    assert_eq!(
        declaration.identifier().as_str(),
        "ringmaster.softwareupdate.enforcement.26.3.1a"
    );
    assert_eq!(declaration.payload()["TargetOSVersion"], "26.3.1");
    assert_eq!(declaration.payload()["TargetBuildVersion"], "25D771280a");
}

#[test]
fn identifiers_are_limited_to_64_bytes_of_safe_characters() {
    assert!(DeclarationIdentifier::parse(&"a".repeat(64)).is_ok());
    let error = DeclarationIdentifier::parse(&"a".repeat(65)).unwrap_err();
    assert!(error.contains("65 bytes"), "{error}");
    assert!(DeclarationIdentifier::parse("").is_err());
    assert!(DeclarationIdentifier::parse("a/b").is_err());
    assert!(DeclarationIdentifier::parse("a b").is_err());
    assert!(DeclarationIdentifier::parse("é").is_err());
    assert!(DeclarationIdentifier::parse("com.example_decl-1.A").is_ok());
}

#[test]
fn the_largest_version_gives_an_enforcement_identifier_within_64_bytes() {
    let mut target = supplemental_enforcement();
    target.target_os_version = crate::apple_version::AppleOsVersion::parse("999.999.999 (z)")
        .unwrap_or_else(|why| panic!("{why}"));
    assert_eq!(
        target.identifier().as_str(),
        "ringmaster.softwareupdate.enforcement.999.999.999z"
    );
}

#[test]
fn identifiers_with_a_long_or_unsafe_suffix_are_digested_not_refused() {
    let long = "1000000000.1000000000.10000";
    let identifier = DeclarationIdentifier::with_suffix(ENFORCEMENT_IDENTIFIER_PREFIX, long);
    assert!(identifier.as_str().len() <= DeclarationIdentifier::MAX_LEN);
    assert!(
        identifier
            .as_str()
            .starts_with(ENFORCEMENT_IDENTIFIER_PREFIX)
    );
    assert!(DeclarationIdentifier::parse(identifier.as_str()).is_ok());
    let other = DeclarationIdentifier::with_suffix(ENFORCEMENT_IDENTIFIER_PREFIX, "1000000000.2");
    assert_ne!(identifier, other, "different suffixes stay apart");
    let unsafe_text = DeclarationIdentifier::with_suffix("bad prefix/", "a b");
    assert!(DeclarationIdentifier::parse(unsafe_text.as_str()).is_ok());
    assert_eq!(
        DeclarationIdentifier::with_suffix("ringmaster.", "26.1").as_str(),
        "ringmaster.26.1"
    );
}

#[test]
fn local_date_time_has_no_zone_and_no_fraction() {
    assert_eq!(
        format_deadline(date(2026, 2, 28).at(17, 30, 0, 0)),
        "2026-02-28T17:30:00"
    );
    assert_eq!(
        format_deadline(date(2028, 2, 29).at(0, 0, 0, 0)),
        "2028-02-29T00:00:00"
    );
    assert_eq!(
        format_deadline(date(2026, 12, 31).at(23, 59, 59, 999_999_999)),
        "2026-12-31T23:59:59"
    );
    assert_eq!(
        format_deadline(date(999, 1, 2).at(3, 4, 5, 0)),
        "0999-01-02T03:04:05"
    );
    let payload = enforcement_declaration(&minimal_enforcement())
        .payload()
        .clone();
    assert_eq!(
        payload,
        json!({"TargetOSVersion": "18.6.2", "TargetLocalDateTime": "2028-02-29T09:00:00"})
    );
}

#[test]
fn deferral_days_are_1_to_90() {
    assert!(DeferralDays::new(0).is_err());
    assert_eq!(DeferralDays::new(1).unwrap().days(), 1);
    assert_eq!(DeferralDays::new(90).unwrap().days(), 90);
    assert!(DeferralDays::new(91).is_err());
}

#[test]
fn platforms_get_only_their_keys() {
    let settings = maximal_settings();
    let mac = settings.payload(Platform::MacOs);
    assert!(mac.get("RecommendedCadence").is_none());
    assert!(mac["Deferrals"].get("CombinedPeriodInDays").is_none());
    assert_eq!(mac["Deferrals"]["MajorPeriodInDays"], 90);
    assert_eq!(mac["AllowStandardUserOSUpdates"], false);
    let ios = settings.payload(Platform::Ios);
    assert_eq!(ios["RecommendedCadence"], "Newest");
    assert_eq!(ios["Deferrals"], json!({"CombinedPeriodInDays": 14}));
    assert!(ios.get("AllowStandardUserOSUpdates").is_none());
    assert_eq!(
        settings.unsupported_keys(Platform::MacOs),
        ["Deferrals.CombinedPeriodInDays", "RecommendedCadence"]
    );
    assert_eq!(settings.unsupported_keys(Platform::Ios).len(), 4);
    assert!(
        minimal_settings()
            .unsupported_keys(Platform::MacOs)
            .is_empty()
    );
}

#[test]
fn empty_dictionaries_are_omitted() {
    let mut settings = minimal_settings();
    assert_eq!(settings.payload(Platform::MacOs), json!({}));
    // A macOS-only deferral on iOS leaves no Deferrals dictionary at all.
    settings.deferrals.major_period_in_days = Some(DeferralDays::new(5).unwrap());
    assert_eq!(settings.payload(Platform::Ios), json!({}));
}

#[test]
fn activation_lists_configurations_sorted_and_only_configurations() {
    let settings = settings_declaration(&minimal_settings(), Platform::MacOs);
    let status = status_subscriptions_declaration(Platform::MacOs);
    let first = activation_declaration(&[&status, &settings]);
    let second = activation_declaration(&[&settings, &status, &settings, &first]);
    assert_eq!(first, second);
    assert_eq!(
        first.payload()["StandardConfigurations"],
        json!([SETTINGS_IDENTIFIER, STATUS_SUBSCRIPTIONS_IDENTIFIER])
    );
    assert_eq!(first.kind().kind(), DeclarationKind::Activation);
}

#[test]
fn device_set_holds_each_kind_once() {
    let set = set_for(Platform::MacOs);
    assert_eq!(set.len(), 4);
    assert_eq!(set.of_kind(DeclarationKind::Activation).count(), 1);
    assert_eq!(set.of_kind(DeclarationKind::Configuration).count(), 3);
    let activation = set
        .get(DeclarationKind::Activation, ACTIVATION_IDENTIFIER)
        .unwrap();
    assert_eq!(
        activation.payload()["StandardConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(
        set.get(DeclarationKind::Configuration, ACTIVATION_IDENTIFIER)
            .is_none()
    );
    let without = device_declaration_set(Platform::Ios, &minimal_settings(), None);
    assert_eq!(without.len(), 3);
}

#[test]
fn sets_reject_duplicate_identifiers() {
    let one = settings_declaration(&minimal_settings(), Platform::MacOs);
    let two = settings_declaration(&maximal_settings(), Platform::MacOs);
    assert!(DeclarationSet::new(vec![one, two]).is_err());
}

#[test]
fn declarations_token_changes_with_any_declaration() {
    let base = set_for(Platform::MacOs).declarations_token();
    assert_eq!(base, set_for(Platform::MacOs).declarations_token());
    assert_eq!(base.len(), 32);
    let mut later = maximal_enforcement();
    later.target_local_date_time = date(2026, 3, 1).at(17, 30, 0, 0);
    let changed = device_declaration_set(Platform::MacOs, &maximal_settings(), Some(&later));
    assert_ne!(base, changed.declarations_token());
    let dropped = device_declaration_set(Platform::MacOs, &maximal_settings(), None);
    assert_ne!(base, dropped.declarations_token());
}

#[test]
fn kind_and_type_strings_round_trip() {
    for kind in DeclarationType::ALL {
        assert_eq!(DeclarationType::parse(kind.as_str()).unwrap(), kind);
        let third = kind.as_str().split('.').nth(2).unwrap();
        assert_eq!(DeclarationKind::parse(third).unwrap(), kind.kind());
    }
    assert!(DeclarationKind::parse("configurations").is_err());
}

fn sample_declarations() -> Vec<Declaration> {
    let mut all = Vec::new();
    for platform in [Platform::MacOs, Platform::Ios] {
        all.extend(set_for(platform).declarations().iter().cloned());
    }
    all.push(enforcement_declaration(&minimal_enforcement()));
    all.push(enforcement_declaration(&supplemental_enforcement()));
    // Distinct identifiers for a set: keep the first of each.
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|d| seen.insert(d.identifier().clone()));
    all
}

proptest! {
    #[test]
    fn declarations_token_ignores_order(seed in any::<u64>()) {
        let declarations = sample_declarations();
        let mut shuffled = declarations.clone();
        // A deterministic shuffle driven by the seed (Fisher–Yates with an LCG).
        let mut state = seed;
        for index in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let other = (state >> 33) as usize % (index + 1);
            shuffled.swap(index, other);
        }
        let a = DeclarationSet::new(declarations).unwrap();
        let b = DeclarationSet::new(shuffled).unwrap();
        prop_assert_eq!(a.declarations_token(), b.declarations_token());
        prop_assert_eq!(a, b);
    }

    /// The token hashed in the set's order is the token of its definition: the sorted lines.
    #[test]
    fn declarations_token_is_the_hash_of_the_sorted_lines(
        keep in prop::collection::vec(any::<bool>(), 16),
    ) {
        let declarations: Vec<Declaration> = sample_declarations()
            .into_iter()
            .zip(keep.iter().cycle())
            .filter(|(_, keep)| **keep)
            .map(|(declaration, _)| declaration)
            .collect();
        let mut lines: Vec<String> = declarations
            .iter()
            .map(|d| format!("{}\t{}\t{}\n", d.kind().kind(), d.identifier(), d.server_token()))
            .collect();
        lines.sort_unstable();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(lines.concat().as_bytes());
        let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
        prop_assert_eq!(DeclarationSet::new(declarations).unwrap().declarations_token(), hex);
    }

    #[test]
    fn any_deferral_change_changes_the_settings_token(first in 1u32..=90, second in 1u32..=90) {
        let mut one = minimal_settings();
        one.deferrals.minor_period_in_days = Some(DeferralDays::new(first).unwrap());
        let mut two = minimal_settings();
        two.deferrals.minor_period_in_days = Some(DeferralDays::new(second).unwrap());
        let a = settings_declaration(&one, Platform::MacOs);
        let b = settings_declaration(&two, Platform::MacOs);
        prop_assert_eq!(first == second, a.server_token() == b.server_token());
    }
}

// ---- golden files ----

/// Compares `value` with `fixtures/golden/declarations/{file}` (see `ringmaster_testing::golden`).
pub(super) fn check_golden(file: &str, value: &Value) {
    ringmaster_testing::golden::check_json(&format!("declarations/{file}"), value);
}

#[test]
fn declarations_match_their_golden_files() {
    for (platform, name) in [(Platform::MacOs, "macos"), (Platform::Ios, "ios")] {
        check_golden(
            &format!("settings.{name}.maximal.json"),
            &settings_declaration(&maximal_settings(), platform).to_json(),
        );
        check_golden(
            &format!("settings.{name}.offer-programs.json"),
            &settings_declaration(&maximal_settings_offering_programs(), platform).to_json(),
        );
        check_golden(
            &format!("settings.{name}.minimal.json"),
            &settings_declaration(&minimal_settings(), platform).to_json(),
        );
        check_golden(
            &format!("status-subscriptions.{name}.json"),
            &status_subscriptions_declaration(platform).to_json(),
        );
        let set = set_for(platform);
        check_golden(
            &format!("device-set.{name}.json"),
            &json!({
                "DeclarationsToken": set.declarations_token(),
                "Declarations": set.declarations(),
            }),
        );
    }
    check_golden(
        "enforcement.maximal.json",
        &enforcement_declaration(&maximal_enforcement()).to_json(),
    );
    check_golden(
        "enforcement.minimal.json",
        &enforcement_declaration(&minimal_enforcement()).to_json(),
    );
    check_golden(
        "enforcement.supplemental.json",
        &enforcement_declaration(&supplemental_enforcement()).to_json(),
    );
    let set = set_for(Platform::MacOs);
    let activation = set
        .get(DeclarationKind::Activation, ACTIVATION_IDENTIFIER)
        .unwrap();
    check_golden("activation.json", &activation.to_json());
}
