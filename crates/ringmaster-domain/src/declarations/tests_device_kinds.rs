//! Golden files of what a device of each kind is served under the Vanguard ring's policy (with
//! beta enrollment allowed): a macOS 14 Mac known by its model and an iOS 17 iPhone get the
//! enforcement without `softwareupdate.settings`; a macOS 15.3 Mac gets the settings without
//! `Beta` (macOS 15.4 and later take it). Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p ringmaster-domain --lib declarations`.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::envelope::DeclarationType;
use super::tests::check_golden;
use crate::apple_version::AppleOsVersion;
use crate::capabilities::{DeviceCapabilities, EnrollmentType};
use crate::catalog::hardware::HardwareCatalog;
use crate::catalog::release::Release;
use crate::fleet::{DeviceDeclarations, PreparedPolicy, device_declarations};
use crate::platform::Platform;
use crate::policy::model::ProgramEnrollment;
use crate::policy::rings::default_rings;
use crate::schedule::DeviceFacts;

fn release(platform: Platform, version: &str, build: &str, devices: &[&str]) -> Release {
    Release::new(
        platform,
        AppleOsVersion::parse(version).unwrap(),
        jiff::civil::date(2026, 8, 17),
    )
    .with_build(build)
    .supported_on(devices.iter().copied())
}

fn catalog() -> Vec<Release> {
    vec![
        release(Platform::MacOs, "15.7.9", "24G830", &["J413AP"]),
        release(Platform::MacOs, "14.8.9", "23J631", &["J413AP"]),
        release(Platform::Ios, "26.6.1", "23G83", &["iPhone14,5"]),
    ]
}

/// What a device of `platform` on `version`, with `model` and maybe a software-update id, is
/// served by the Vanguard ring on 2026-08-20 (the releases are visible, due 2026-08-21).
fn served(
    platform: Platform,
    version: &str,
    model: &str,
    device_id: Option<&str>,
) -> DeviceDeclarations {
    let ring = default_rings().remove(0);
    let mut policy = match platform {
        Platform::MacOs => ring.macos,
        Platform::Ios => ring.ios,
    };
    policy.beta.program_enrollment = ProgramEnrollment::AlwaysOn;
    let device = DeviceFacts {
        platform,
        os_version: AppleOsVersion::parse(version).unwrap(),
        os_build: None,
        hardware: HardwareCatalog::default().describe(platform, Some(model), device_id),
    };
    let capabilities = DeviceCapabilities {
        enrollment: Some(EnrollmentType::Device),
        configurations: None,
    };
    let now: Timestamp = "2026-08-20T12:00:00Z".parse().unwrap();
    device_declarations(
        Some(&PreparedPolicy::new(policy)),
        &device,
        &capabilities,
        &catalog(),
        now,
    )
}

fn golden_json(served: &DeviceDeclarations) -> Value {
    json!({
        "DeclarationsToken": served.declarations.declarations_token(),
        "Declarations": served.declarations.declarations(),
    })
}

fn types(served: &DeviceDeclarations) -> BTreeSet<DeclarationType> {
    served
        .declarations
        .declarations()
        .iter()
        .map(|declaration| declaration.kind())
        .collect()
}

fn settings_has_beta(served: &DeviceDeclarations) -> bool {
    served
        .declarations
        .declarations()
        .iter()
        .find(|declaration| declaration.kind() == DeclarationType::SoftwareUpdateSettings)
        .is_some_and(|settings| settings.payload().get("Beta").is_some())
}

#[test]
fn each_device_kind_is_served_what_it_can_take() {
    let macos14 = served(Platform::MacOs, "14.8.7", "Mac14,2", None);
    let macos15 = served(Platform::MacOs, "15.3.2", "Mac14,2", Some("J413AP"));
    let ios17 = served(Platform::Ios, "17.7", "iPhone14,5", None);
    for (name, served, settings, target) in [
        ("macos14", &macos14, false, "14.8.9"),
        ("macos15", &macos15, true, "15.7.9"),
        ("ios17", &ios17, false, "26.6.1"),
    ] {
        let types = types(served);
        assert!(
            types.contains(&DeclarationType::SoftwareUpdateEnforcementSpecific),
            "{name}: {types:?}"
        );
        assert_eq!(
            types.contains(&DeclarationType::SoftwareUpdateSettings),
            settings,
            "{name}: {types:?}"
        );
        assert_eq!(
            served.enforcement().map(|e| e.version.as_str().to_owned()),
            Some(target.to_owned()),
            "{name}"
        );
        assert_eq!(served.unsupported, None, "{name}");
        check_golden(&format!("served.{name}.json"), &golden_json(served));
    }
    assert!(!settings_has_beta(&macos15), "Beta arrives with macOS 15.4");
    let macos15_4 = served(Platform::MacOs, "15.4", "Mac14,2", Some("J413AP"));
    assert!(settings_has_beta(&macos15_4));
}
