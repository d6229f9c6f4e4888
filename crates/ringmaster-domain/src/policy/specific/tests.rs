//! Tests of the specific-version policy: the deadline, the document (each kind refusing the
//! other's keys), the rule on one device and how it combines with the automatic policy.

use jiff::Timestamp;
use jiff::civil::{DateTime, date};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::apple_version::AppleOsVersion;
use crate::capabilities::DeviceCapabilities;
use crate::catalog::hardware::DeviceHardware;
use crate::catalog::release::Release;
use crate::declarations::envelope::DeclarationType;
use crate::fleet::specific::{PreparedSpecific, SpecificOutcome};
use crate::fleet::{PreparedPolicy, device_declarations, device_declarations_combined};
use crate::platform::Platform;
use crate::policy::parse::parse_policy;
use crate::policy::render::render_policy;
use crate::policy::rings::default_rings;
use crate::policy::specific::{
    SpecificSkip, SpecificVersion, catalog_warnings, parse_deadline, specific_enforcement,
};
use crate::schedule::{BlockedReleases, DeviceFacts, TargetRules, format_deadline};

fn version(text: &str) -> AppleOsVersion {
    AppleOsVersion::parse(text).unwrap()
}

fn mac(os: &str) -> DeviceFacts {
    DeviceFacts {
        platform: Platform::MacOs,
        os_version: version(os),
        os_build: None,
        hardware: DeviceHardware::unknown(Platform::MacOs),
    }
}

fn release(text: &str, build: &str) -> Release {
    Release::new(Platform::MacOs, version(text), date(2026, 11, 3)).with_build(build)
}

fn document(target: &str, deadline: &str) -> Value {
    json!({
        "name": "Force 26.1",
        "kind": "specificVersion",
        "platform": "macOS",
        "targetVersion": target,
        "deadline": deadline,
    })
}

fn specific(target: &str, deadline: &str) -> SpecificVersion {
    parse_policy(&document(target, deadline))
        .unwrap()
        .policy
        .specific()
        .unwrap()
        .clone()
}

fn pointers(document: &Value) -> Vec<String> {
    parse_policy(document)
        .unwrap_err()
        .iter()
        .map(|error| error.pointer.clone())
        .collect()
}

const NOW: &str = "2026-12-01T09:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

#[test]
fn a_deadline_is_written_yyyy_mm_dd_t_hh_mm_ss() {
    let deadline = parse_deadline("2026-12-15T17:30:05").unwrap();
    assert_eq!(deadline, DateTime::constant(2026, 12, 15, 17, 30, 5, 0));
    for bad in [
        "2026-12-15 17:30:05",
        "2026-12-15T17:30",
        "2026-12-15T17:30:05Z",
        "2026-12-15T17:30:05.5",
        "2026-12-15T17:30:05+01:00",
        "26-12-15T17:30:05",
        "２026-12-15T17:30:05",
        "",
    ] {
        assert!(parse_deadline(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_deadline_is_a_real_instant_between_2000_and_2100() {
    assert!(parse_deadline("2028-02-29T00:00:00").is_ok());
    assert!(parse_deadline("2000-01-01T00:00:00").is_ok());
    assert!(parse_deadline("2100-12-31T23:59:59").is_ok());
    for bad in [
        "2027-02-29T00:00:00",
        "2026-13-01T00:00:00",
        "2026-12-15T24:00:00",
        "2026-12-15T23:60:00",
        "1999-12-31T23:59:59",
        "2101-01-01T00:00:00",
        "0000-01-01T00:00:00",
    ] {
        let why = parse_deadline(bad).unwrap_err();
        assert!(why.contains(bad), "{bad}: {why}");
    }
}

#[test]
fn long_text_is_not_quoted_back() {
    let long = "9".repeat(5000);
    let why = parse_deadline(&long).unwrap_err();
    assert!(why.len() < 300, "{why}");
    assert!(why.contains("5000 bytes"), "{why}");
    let mut document = document("26.1", "2026-12-15T17:00:00");
    document["targetBuild"] = json!("x".repeat(5000));
    let errors = parse_policy(&document).unwrap_err();
    assert!(errors.to_string().len() < 500, "{errors}");
}

proptest! {
    #[test]
    fn every_deadline_in_bounds_reads_back_as_written(
        year in 2000i16..=2100, month in 1i8..=12, day in 1i8..=28,
        hour in 0i8..=23, minute in 0i8..=59, second in 0i8..=59,
    ) {
        let deadline = DateTime::new(year, month, day, hour, minute, second, 0).unwrap();
        let text = format_deadline(deadline);
        prop_assert_eq!(parse_deadline(&text), Ok(deadline));
    }

    #[test]
    fn every_specific_version_policy_reads_back_as_rendered(
        major in 13u32..40, minor in 0u32..10, patch in 0u32..5, supplemental: bool,
        build in proptest::option::of("[0-9]{2}[A-Z][0-9]{1,5}[a-z]?"),
        day in 1i8..=28, hour in 0i8..=23, url: bool, ios: bool,
    ) {
        let mut target = format!("{major}.{minor}.{patch}");
        if supplemental {
            target.push_str(" (a)");
        }
        let mut written = json!({
            "name": "p", "kind": "specificVersion", "platform": if ios { "iOS" } else { "macOS" },
            "targetVersion": target, "deadline": format!("2027-03-{day:02}T{hour:02}:15:00"),
        });
        if let Some(build) = build {
            written["targetBuild"] = json!(build);
        }
        if url {
            written["detailsUrl"] = json!("https://intranet.example/update");
        }
        let parsed = parse_policy(&written).map_err(|errors| TestCaseError::fail(errors.to_string()))?;
        let rendered = render_policy(&parsed.policy);
        prop_assert_eq!(&rendered, &written);
        prop_assert_eq!(parse_policy(&rendered).unwrap().policy, parsed.policy);
    }

    #[test]
    fn no_text_of_another_shape_is_a_deadline(text in "\\PC{0,24}") {
        let shaped = text.len() == 19
            && text.bytes().enumerate().all(|(index, byte)| match index {
                4 | 7 => byte == b'-',
                10 => byte == b'T',
                13 | 16 => byte == b':',
                _ => byte.is_ascii_digit(),
            });
        if !shaped {
            prop_assert!(parse_deadline(&text).is_err());
        }
    }
}

#[test]
fn a_specific_version_policy_reads_back_as_written() {
    let written = json!({
        "name": "Force 26.1",
        "kind": "specificVersion",
        "platform": "macOS",
        "targetVersion": "26.1",
        "targetBuild": "25B78",
        "deadline": "2026-12-15T17:00:00",
        "detailsUrl": "https://intranet.example/macos",
    });
    let parsed = parse_policy(&written).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(render_policy(&parsed.policy), written);
    let specific = parsed.policy.specific().unwrap();
    assert_eq!(specific.target_build.as_deref(), Some("25B78"));
}

#[test]
fn an_automatic_policy_is_the_default_and_says_so() {
    let policy = parse_policy(&json!({"name": "n", "platform": "iOS"}))
        .unwrap()
        .policy;
    assert!(policy.specific().is_none());
    let rendered = render_policy(&policy);
    assert_eq!(rendered["kind"], "automatic");
    let keys: Vec<&String> = rendered.as_object().unwrap().keys().collect();
    assert_eq!(&keys[..3], ["name", "kind", "platform"]);
    let explicit = json!({"name": "n", "kind": "automatic", "platform": "iOS"});
    assert_eq!(parse_policy(&explicit).unwrap().policy, policy);
    let null = json!({"name": "n", "kind": null, "platform": "iOS"});
    assert_eq!(parse_policy(&null).unwrap().policy, policy);
}

#[test]
fn each_kind_refuses_the_other_kinds_keys_at_their_pointers() {
    let mut specific = document("26.1", "2026-12-15T17:00:00");
    specific["deferrals"] = json!({"minorDays": 3});
    specific["beta"] = json!({});
    specific["colour"] = json!("red");
    assert_eq!(pointers(&specific), ["/deferrals", "/beta", "/colour"]);
    let errors = parse_policy(&specific).unwrap_err();
    assert!(
        errors
            .iter()
            .next()
            .unwrap()
            .message
            .contains("automatic policies"),
        "{errors}"
    );

    let automatic = json!({
        "name": "n", "platform": "macOS", "targetVersion": "26.1", "deadline": "x",
        "detailsUrl": "https://example.com",
    });
    assert_eq!(
        pointers(&automatic),
        ["/targetVersion", "/deadline", "/detailsUrl"]
    );
    let errors = parse_policy(&automatic).unwrap_err();
    assert!(
        errors.to_string().contains("enforcement.detailsUrl"),
        "{errors}"
    );
}

#[test]
fn a_specific_version_policy_needs_a_target_and_a_deadline() {
    let bare = json!({"name": "n", "kind": "specificVersion", "platform": "macOS"});
    assert_eq!(pointers(&bare), ["/targetVersion", "/deadline"]);
    let mut bad = document("26.x", "2026-12-15");
    bad["targetBuild"] = json!("25 B78");
    bad["detailsUrl"] = json!("ftp://example.com");
    assert_eq!(
        pointers(&bad),
        ["/targetVersion", "/targetBuild", "/deadline", "/detailsUrl"]
    );
    let wrong_kind = json!({"name": "n", "kind": "specific", "platform": "macOS", "deferrals": {}});
    assert_eq!(pointers(&wrong_kind), ["/kind"]);
}

#[test]
fn a_device_below_the_target_must_install_it_by_the_deadline() {
    let target = specific("26.1", "2026-12-15T17:00:00");
    let catalog = [release("26.1", "25B78")];
    let enforced = specific_enforcement(
        &target,
        Platform::MacOs,
        &mac("26.0"),
        &TargetRules::none(),
        &catalog,
        now(),
    )
    .unwrap();
    assert_eq!(enforced.deadline_text(), "2026-12-15T17:00:00");
    assert_eq!(enforced.released_on, date(2026, 11, 3));
    assert!(!enforced.overdue);
    let late: Timestamp = "2026-12-15T17:00:01Z".parse().unwrap();
    let overdue = specific_enforcement(
        &target,
        Platform::MacOs,
        &mac("26.0"),
        &TargetRules::none(),
        &catalog,
        late,
    )
    .unwrap();
    assert!(overdue.overdue);
}

#[test]
fn a_device_at_or_above_the_target_is_left_alone_and_told_why() {
    let target = specific("26.1", "2026-12-15T17:00:00");
    for os in ["26.1", "26.2", "27.0"] {
        let skip = specific_enforcement(
            &target,
            Platform::MacOs,
            &mac(os),
            &TargetRules::none(),
            &[],
            now(),
        )
        .unwrap_err();
        assert!(matches!(skip, SpecificSkip::AtOrAboveTarget { .. }), "{os}");
        assert!(skip.to_string().contains("never downgrades"), "{skip}");
    }
}

#[test]
fn blocks_caps_and_exemptions_win_over_a_specific_version() {
    let target = specific("26.1", "2026-12-15T17:00:00");
    let run = |rules: TargetRules| {
        specific_enforcement(&target, Platform::MacOs, &mac("26.0"), &rules, &[], now())
            .unwrap_err()
    };
    let blocked = BlockedReleases::new([(Platform::MacOs, version("26.1"))]);
    assert!(matches!(
        run(TargetRules {
            blocked,
            ..TargetRules::none()
        }),
        SpecificSkip::Blocked { .. }
    ));
    assert!(matches!(
        run(TargetRules {
            max_version: Some(version("26.0.99")),
            ..TargetRules::none()
        }),
        SpecificSkip::AboveMaxVersion { .. }
    ));
    let until: Timestamp = "2026-12-20T00:00:00Z".parse().unwrap();
    assert_eq!(
        run(TargetRules {
            exempt_until: Some(until),
            ..TargetRules::none()
        }),
        SpecificSkip::Exempt { until }
    );
}

#[test]
fn the_catalog_check_warns_and_never_refuses() {
    let catalog = [release("26.1", "25B78")];
    let none = TargetRules::none();
    let known = specific("26.1", "2026-12-15T17:00:00");
    assert!(catalog_warnings(&known, Platform::MacOs, &catalog, &none, now()).is_empty());
    let unknown = specific("26.9", "2026-12-15T17:00:00");
    let warnings = catalog_warnings(&unknown, Platform::MacOs, &catalog, &none, now());
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/targetVersion");
    assert!(warnings[0].message.contains("not in the catalog"));
    let mut other_build = known.clone();
    other_build.target_build = Some("25B99".into());
    let warnings = catalog_warnings(&other_build, Platform::MacOs, &catalog, &none, now());
    assert_eq!(warnings[0].pointer, "/targetBuild");
    let blocked = TargetRules {
        blocked: BlockedReleases::new([(Platform::MacOs, version("26.1"))]),
        ..TargetRules::none()
    };
    let past = specific("26.1", "2026-11-30T17:00:00");
    let warnings = catalog_warnings(&past, Platform::MacOs, &catalog, &blocked, now());
    let at: Vec<&str> = warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(at, ["/targetVersion", "/deadline"]);
}

fn prepared_specific(target: &str, deadline: &str) -> PreparedSpecific {
    let policy = parse_policy(&document(target, deadline)).unwrap().policy;
    PreparedSpecific::new(policy, BlockedReleases::default()).unwrap()
}

fn settings_of(served: &crate::fleet::DeviceDeclarations) -> Vec<Value> {
    served
        .declarations
        .declarations()
        .iter()
        .filter(|declaration| declaration.kind() == DeclarationType::SoftwareUpdateSettings)
        .map(|declaration| declaration.payload().clone())
        .collect()
}

#[test]
fn a_device_with_only_a_specific_version_policy_gets_no_settings() {
    let specific = prepared_specific("26.1", "2026-12-15T17:00:00");
    let served = device_declarations_combined(
        None,
        Some(&specific),
        &mac("26.0"),
        &DeviceCapabilities::default(),
        &[release("26.1", "25B78")],
        now(),
    );
    assert_eq!(served.specific, Some(SpecificOutcome::Enforced));
    assert!(settings_of(&served).is_empty());
    let enforced = served.enforcement().unwrap();
    assert_eq!(enforced.deadline_text(), "2026-12-15T17:00:00");
    assert_eq!(
        served.declarations.len(),
        3,
        "status, enforcement, activation"
    );
}

proptest! {
    /// The combination rule: the settings always come from the automatic policy; a device at or
    /// above the target is served exactly what its automatic policy alone serves; a device below
    /// it gets the specific target and deadline.
    #[test]
    fn the_automatic_policy_always_gives_the_settings(
        ring in 0usize..4,
        device_minor in 0u32..4,
        target_minor in 0u32..4,
        day in 1i8..=28,
        hours in 0u32..2000,
    ) {
        let automatic = PreparedPolicy::new(default_rings()[ring].macos.clone());
        let deadline = format!("2026-12-{day:02}T17:00:00");
        let specific = prepared_specific(&format!("26.{target_minor}"), &deadline);
        let device = mac(&format!("26.{device_minor}"));
        let catalog = [release("26.1", "25B78"), release("26.2", "25C56"), release("26.3", "25D100")];
        let at = now() + jiff::SignedDuration::from_hours(i64::from(hours));
        let none = DeviceCapabilities::default();
        let alone = device_declarations(Some(&automatic), &device, &none, &catalog, at);
        let both = device_declarations_combined(
            Some(&automatic), Some(&specific), &device, &none, &catalog, at,
        );
        prop_assert_eq!(settings_of(&alone), settings_of(&both));
        prop_assert_eq!(settings_of(&both).len(), 1);
        if device_minor >= target_minor {
            prop_assert!(
                matches!(&both.specific, Some(SpecificOutcome::NotApplied(SpecificSkip::AtOrAboveTarget { .. }))),
                "{:?}", both.specific
            );
            prop_assert_eq!(
                alone.declarations.declarations_token(),
                both.declarations.declarations_token()
            );
            prop_assert_eq!(&alone.plan, &both.plan);
        } else {
            prop_assert_eq!(&both.specific, &Some(SpecificOutcome::Enforced));
            let enforced = both.enforcement().unwrap();
            prop_assert_eq!(enforced.target_os_version.as_str(), format!("26.{target_minor}"));
            prop_assert_eq!(enforced.deadline_text(), deadline);
        }
    }
}

#[test]
fn a_paused_specific_version_policy_withdraws_its_enforcement_and_moves_its_deadline_after() {
    use crate::schedule::NotEnforced;
    use crate::schedule::pause::PauseSpan;

    let automatic = PreparedPolicy::new(default_rings()[0].macos.clone());
    let mut specific = prepared_specific("26.1", "2026-12-15T17:00:00");
    let since: Timestamp = "2026-12-14T17:00:00Z".parse().unwrap();
    specific.pauses = vec![PauseSpan {
        since,
        until: None,
        resumed_at: None,
    }];
    let catalog = [release("26.1", "25B78")];
    let none = DeviceCapabilities::default();
    let during: Timestamp = "2026-12-16T00:00:00Z".parse().unwrap();
    let served = device_declarations_combined(
        Some(&automatic),
        Some(&specific),
        &mac("26.0"),
        &none,
        &catalog,
        during,
    );
    assert!(served.enforcement().is_none(), "withdrawn while paused");
    assert!(matches!(
        served.specific,
        Some(SpecificOutcome::NotApplied(SpecificSkip::Paused { .. }))
    ));
    assert!(matches!(
        served.plan.as_ref().and_then(|plan| plan.not_enforced()),
        Some(NotEnforced::Paused { .. })
    ));
    assert_eq!(settings_of(&served).len(), 1, "the ring's settings stay");

    // Resumed three days later: the day that remained when it paused, from the resume.
    let resumed: Timestamp = "2026-12-17T09:00:00Z".parse().unwrap();
    specific.pauses[0].resumed_at = Some(resumed);
    let served = device_declarations_combined(
        Some(&automatic),
        Some(&specific),
        &mac("26.0"),
        &none,
        &catalog,
        resumed,
    );
    let enforced = served.enforcement().unwrap();
    assert_eq!(enforced.deadline_text(), "2026-12-18T09:00:00");
    assert!(!enforced.overdue);
}
