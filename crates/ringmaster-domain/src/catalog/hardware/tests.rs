//! Unit and property tests of the hardware rules.

use std::collections::BTreeSet;

use jiff::civil::date;
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn release(version: &str, devices: &[&str]) -> Release {
    Release::new(
        Platform::MacOs,
        AppleOsVersion::parse(version).unwrap(),
        date(2026, 8, 17),
    )
    .supported_on(devices.iter().copied())
}

fn version(text: &str) -> AppleOsVersion {
    AppleOsVersion::parse(text).unwrap()
}

fn catalog() -> HardwareCatalog {
    hardware_of_feed(&json!({
        "Models": {
            "Mac15,3": {"MarketingName": "MacBook Pro", "OSVersions": [26, 15, 14]},
            "MacBookPro15,2": {"OSVersions": [15, 14]},
            "": {"OSVersions": [26]},
            "Broken": {"OSVersions": "26"}
        },
        "Devices": {
            "J504AP": {"DeviceID": "Mac15,3", "MarketingName": "MacBook Pro"},
            "J132AP": {"DeviceID": "MacBookPro15,2"},
            "J213AP": {"DeviceID": "MacBookPro15,2"},
            "VMM-x86_64": {"MarketingName": "Virtual Machine"}
        }
    }))
}

#[test]
fn sofa_tables_give_majors_and_board_ids_per_model() {
    let catalog = catalog();
    let mac = catalog.model("Mac15,3").unwrap();
    assert_eq!(mac.os_majors, BTreeSet::from([14, 15, 26]));
    assert_eq!(mac.board_ids, BTreeSet::from(["J504AP".to_owned()]));
    assert_eq!(catalog.model_of_board_id("J213AP"), Some("MacBookPro15,2"));
    assert_eq!(catalog.model("Broken").unwrap().os_majors, BTreeSet::new());
    assert!(catalog.model("").is_none());
    assert!(catalog.model_of_board_id("VMM-x86_64").is_none());
    assert!(hardware_of_feed(&json!({"AssetSets": {}})).is_empty());
}

#[test]
fn the_software_update_id_decides_when_the_release_lists_devices() {
    let catalog = catalog();
    let hardware = catalog.describe(Platform::MacOs, Some("Mac15,3"), Some("J504AP"));
    let rule = supports(&release("26.6", &["J504AP"]), &hardware, &version("26.5"));
    assert_eq!(rule.as_str(), "deviceIdListed");
    let rule = supports(&release("26.6", &["J413AP"]), &hardware, &version("26.5"));
    assert_eq!(
        rule,
        SupportRule::DeviceIdNotListed {
            device_id: "J504AP".into()
        }
    );
    assert!(!rule.installable());
}

#[test]
fn a_mac_known_by_model_is_matched_through_its_board_ids_then_its_majors() {
    let catalog = catalog();
    let hardware = catalog.describe(Platform::MacOs, Some("Mac15,3"), None);
    let listed = supports(
        &release("26.6", &["J413AP", "J504AP"]),
        &hardware,
        &version("15.7"),
    );
    assert_eq!(
        listed,
        SupportRule::ModelListed {
            model: "Mac15,3".into(),
            listed: "J504AP".into()
        }
    );
    assert!(
        listed
            .to_string()
            .contains("J504AP, which the feeds map to model Mac15,3")
    );
    let other_build = supports(&release("26.3.2", &["J700AP"]), &hardware, &version("26.3"));
    assert_eq!(other_build.as_str(), "modelNotListed");
    // A release without a device list: the model's majors decide.
    let major = supports(&release("26.0", &[]), &hardware, &version("15.7"));
    assert_eq!(major.as_str(), "modelRunsMajor");
    let old = catalog.describe(Platform::MacOs, Some("MacBookPro15,2"), None);
    let lacks = supports(&release("26.0", &[]), &old, &version("15.7"));
    assert_eq!(lacks.as_str(), "modelLacksMajor");
    assert!(!lacks.installable());
}

#[test]
fn a_board_id_alone_finds_its_model_facts() {
    let hardware = catalog().describe(Platform::MacOs, None, Some("J132AP"));
    assert_eq!(hardware.facts_model.as_deref(), Some("MacBookPro15,2"));
    let rule = supports(&release("26.0", &[]), &hardware, &version("15.7"));
    assert_eq!(rule.as_str(), "modelLacksMajor");
}

#[test]
fn without_evidence_only_updates_within_the_own_major_install() {
    let unknown = DeviceHardware::unknown(Platform::MacOs);
    assert_eq!(
        supports(&release("26.6", &["J413AP"]), &unknown, &version("26.5")),
        SupportRule::WithinOwnMajor
    );
    let rule = supports(&release("26.0", &["J413AP"]), &unknown, &version("15.7"));
    assert_eq!(rule, SupportRule::MajorUnproven { major: 26 });
    assert!(rule.to_string().contains("positive evidence"));
    // A Mac model the feeds do not know: the same.
    let stranger = DeviceHardware::with_model(Platform::MacOs, "Mac99,1");
    assert_eq!(
        supports(&release("26.6", &["J413AP"]), &stranger, &version("26.5")),
        SupportRule::WithinOwnMajor
    );
}

#[test]
fn an_iphone_model_is_its_own_listing_id() {
    let mut iphone_release = release("26.1", &["iPhone17,1"]);
    iphone_release.platform = Platform::Ios;
    let listed = DeviceHardware::with_model(Platform::Ios, "iPhone17,1");
    assert!(supports(&iphone_release, &listed, &version("26.0")).installable());
    let other = DeviceHardware::with_model(Platform::Ios, "iPhone10,1");
    assert_eq!(
        supports(&iphone_release, &other, &version("26.0")).as_str(),
        "modelNotListed"
    );
}

#[test]
fn merging_hardware_is_a_union() {
    let first = catalog();
    let second = hardware_of_feed(&json!({"Models": {"Mac15,3": {"OSVersions": [27]}}}));
    let merged = first.merged_with(&second);
    assert_eq!(merged, second.merged_with(&first));
    assert_eq!(merged.merged_with(&second), merged);
    assert!(merged.model("Mac15,3").unwrap().os_majors.contains(&27));
    assert_eq!(merged.model_of_board_id("J504AP"), Some("Mac15,3"));
}

const IDS: [&str; 4] = ["J504AP", "J413AP", "Mac15,3", "iPhone17,1"];

fn hardware_strategy() -> impl Strategy<Value = DeviceHardware> {
    (
        prop::option::of(0..IDS.len()),
        prop::option::of(0..IDS.len()),
        prop::collection::btree_set(0..IDS.len(), 0..3),
        prop::collection::btree_set(12u32..30, 0..4),
        any::<bool>(),
    )
        .prop_map(|(model, device_id, boards, majors, ios)| DeviceHardware {
            platform: if ios { Platform::Ios } else { Platform::MacOs },
            model: model.map(|i| IDS[i].to_owned()),
            software_update_device_id: device_id.map(|i| IDS[i].to_owned()),
            facts_model: model.map(|i| IDS[i].to_owned()),
            board_ids: boards.into_iter().map(|i| IDS[i].to_owned()).collect(),
            os_majors: majors,
        })
}

proptest! {
    /// Hardware never loses a minor update of the OS it runs unless a feed names its hardware
    /// and leaves it out; a major upgrade is never installable without positive evidence.
    #[test]
    fn the_rules_hold_for_any_hardware(
        hardware in hardware_strategy(),
        listed in prop::collection::btree_set(0..IDS.len(), 0..3),
        device_major in 12u32..30,
        release_major in 12u32..30,
        minor in 0u32..8,
    ) {
        let devices: Vec<&str> = listed.iter().map(|i| IDS[*i]).collect();
        let release = release(&format!("{release_major}.{minor}"), &devices);
        let device = version(&format!("{device_major}.0"));
        let rule = supports(&release, &hardware, &device);
        let evidence = matches!(
            rule,
            SupportRule::DeviceIdListed { .. }
                | SupportRule::ModelListed { .. }
                | SupportRule::ModelRunsMajor { .. }
        );
        if release_major > device_major && rule.installable() {
            prop_assert!(evidence, "{rule:?}");
        }
        if let SupportRule::DeviceIdListed { device_id } = &rule {
            prop_assert!(devices.contains(&device_id.as_str()));
        }
        if devices.is_empty() && hardware.os_majors.is_empty() {
            prop_assert_eq!(rule.installable(), release_major <= device_major);
        }
        let known_nowhere = hardware.software_update_device_id.is_none()
            && hardware.model.is_none();
        if known_nowhere && release_major <= device_major {
            prop_assert_eq!(rule, SupportRule::WithinOwnMajor);
        }
    }
}

/// A Mac on `26.3.1 (a)` is up to date with that release, and offered `(b)` although its build
/// is the supplemental one, not `(b)`'s prerequisite base build.
#[test]
fn a_device_on_a_supplemental_release_is_scheduled_from_it() {
    use crate::schedule::{
        DeviceFacts, EnforcementScope, EnforcementTiming, NotEnforced, ScheduleTiming, plan_device,
    };
    let mut base = release("26.3.1", &["J504AP"]);
    base.build = Some("25D2128".into());
    let mut first = release("26.3.1 (a)", &["J504AP"]);
    first.build = Some("25D771280a".into());
    first.prerequisite_build = Some("25D2128".into());
    let timing = ScheduleTiming {
        platform: Platform::MacOs,
        major_days: None,
        minor_days: None,
        system_days: None,
        combined_days: None,
        enforcement: Some(EnforcementTiming {
            grace_days: 7,
            local_time: jiff::civil::time(17, 0, 0, 0),
            scope: EnforcementScope::Latest,
        }),
    };
    let device = DeviceFacts {
        platform: Platform::MacOs,
        os_version: version("26.3.1 (a)"),
        os_build: Some("25D771280a".into()),
        hardware: DeviceHardware::with_device_id(Platform::MacOs, "J504AP"),
    };
    let now = "2026-09-01T00:00:00Z".parse().unwrap();
    let catalog = vec![base.clone(), first.clone()];
    let plan = plan_device(&timing, &device, &catalog, now);
    assert_eq!(plan.not_enforced(), Some(&NotEnforced::UpToDate));
    let mut second = release("26.3.1 (b)", &["J504AP"]);
    second.build = Some("25D771290b".into());
    second.prerequisite_build = Some("25D2128".into());
    let catalog = vec![base, first, second];
    let plan = plan_device(&timing, &device, &catalog, now);
    assert_eq!(
        plan.enforcement().map(|target| target.version.as_str()),
        Some("26.3.1 (b)"),
        "{}",
        plan.explanation()
    );
}
