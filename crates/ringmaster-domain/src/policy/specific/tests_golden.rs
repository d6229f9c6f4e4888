//! Golden files of what devices are served under a specific-version policy: a macOS 15.3 Mac of
//! the Vanguard ring forced to 15.7.9 by a deadline (the ring's settings, the specific target,
//! its build and details URL) and an iPhone on iOS 17 whose only policy forces iOS 26.6.1 (no
//! settings). Apple's schemas check the same sets in `tests/declaration_schemas.rs`. Regenerate
//! with `UPDATE_GOLDEN=1 cargo test -p ringmaster-domain --lib specific`.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::apple_version::AppleOsVersion;
use crate::capabilities::{DeviceCapabilities, EnrollmentType};
use crate::catalog::hardware::HardwareCatalog;
use crate::catalog::release::Release;
use crate::declarations::envelope::DeclarationType;
use crate::fleet::specific::{PreparedSpecific, SpecificOutcome};
use crate::fleet::{DeviceDeclarations, PreparedPolicy, device_declarations_combined};
use crate::platform::Platform;
use crate::policy::parse::parse_policy;
use crate::policy::rings::default_rings;
use crate::schedule::{BlockedReleases, DeviceFacts};

fn release(platform: Platform, version: &str, build: &str, devices: &[&str]) -> Release {
    Release::new(
        platform,
        AppleOsVersion::parse(version).unwrap(),
        jiff::civil::date(2026, 8, 17),
    )
    .with_build(build)
    .supported_on(devices.iter().copied())
}

fn served(
    platform: Platform,
    version: &str,
    model: &str,
    with_ring: bool,
    specific: &Value,
) -> DeviceDeclarations {
    let ring = default_rings().remove(0);
    let automatic = match platform {
        Platform::MacOs => ring.macos,
        Platform::Ios => ring.ios,
    };
    let automatic = with_ring.then(|| PreparedPolicy::new(automatic));
    let policy = parse_policy(specific).unwrap().policy;
    let specific = PreparedSpecific::new(policy, BlockedReleases::default()).unwrap();
    let device = DeviceFacts {
        platform,
        os_version: AppleOsVersion::parse(version).unwrap(),
        os_build: None,
        hardware: HardwareCatalog::default().describe(platform, Some(model), None),
    };
    let capabilities = DeviceCapabilities {
        enrollment: Some(EnrollmentType::Device),
        configurations: None,
    };
    let catalog = [
        release(Platform::MacOs, "15.7.9", "24G830", &["J413AP"]),
        release(Platform::MacOs, "15.8", "24H10", &["J413AP"]),
        release(Platform::Ios, "26.6.1", "23G83", &["iPhone14,5"]),
    ];
    let now: Timestamp = "2026-08-20T12:00:00Z".parse().unwrap();
    device_declarations_combined(
        automatic.as_ref(),
        Some(&specific),
        &device,
        &capabilities,
        &catalog,
        now,
    )
}

/// The Mac: Vanguard plus "15.7.9 (24G830) by 2026-09-01T09:00:00", with a details URL.
pub(crate) fn forced_mac() -> DeviceDeclarations {
    served(
        Platform::MacOs,
        "15.3.2",
        "Mac14,2",
        true,
        &json!({
            "name": "Finance to 15.7.9",
            "kind": "specificVersion",
            "platform": "macOS",
            "targetVersion": "15.7.9",
            "targetBuild": "24G830",
            "deadline": "2026-09-01T09:00:00",
            "detailsUrl": "https://intranet.example/macos-15-7-9",
        }),
    )
}

/// The iPhone: no automatic policy, "26.6.1 by 2026-09-01T18:30:00".
pub(crate) fn forced_iphone() -> DeviceDeclarations {
    served(
        Platform::Ios,
        "17.7",
        "iPhone14,5",
        false,
        &json!({
            "name": "Shop iPhones to 26.6.1",
            "kind": "specificVersion",
            "platform": "iOS",
            "targetVersion": "26.6.1",
            "deadline": "2026-09-01T18:30:00",
        }),
    )
}

fn golden_json(served: &DeviceDeclarations) -> Value {
    json!({
        "DeclarationsToken": served.declarations.declarations_token(),
        "Declarations": served.declarations.declarations(),
    })
}

fn types(served: &DeviceDeclarations) -> Vec<DeclarationType> {
    let mut types: Vec<DeclarationType> = served
        .declarations
        .declarations()
        .iter()
        .map(|declaration| declaration.kind())
        .collect();
    types.sort_by_key(|kind| kind.as_str());
    types
}

#[test]
fn the_declarations_under_a_specific_version_policy_match_their_golden_files() {
    let mac = forced_mac();
    assert_eq!(mac.specific, Some(SpecificOutcome::Enforced));
    let enforced = mac.enforcement().unwrap();
    assert_eq!(enforced.version.as_str(), "15.7.9", "not the ring's 15.8");
    assert_eq!(enforced.deadline_text(), "2026-09-01T09:00:00");
    assert!(types(&mac).contains(&DeclarationType::SoftwareUpdateSettings));
    ringmaster_testing::golden::check_json(
        "declarations/specific.macos15.json",
        &golden_json(&mac),
    );

    let iphone = forced_iphone();
    assert_eq!(iphone.specific, Some(SpecificOutcome::Enforced));
    let iphone_types = types(&iphone);
    assert_eq!(iphone_types.len(), 3, "{iphone_types:?}");
    assert!(iphone_types.contains(&DeclarationType::SoftwareUpdateEnforcementSpecific));
    assert!(!iphone_types.contains(&DeclarationType::SoftwareUpdateSettings));
    ringmaster_testing::golden::check_json(
        "declarations/specific.ios17.json",
        &golden_json(&iphone),
    );
}
