//! Hardware identity against the real feeds in `../shared/reference/os-feeds/` (gdmf and SOFA v2,
//! a snapshot of 2026-08-22): a Mac known only by its model gets, from every default ring, the
//! enforcement a Mac reporting its board id gets.
//!
//! A fresh clone lacks that folder: the tests then print which folder is missing and pass, except
//! under `CI=true`, where a missing folder fails them.

mod reference;

use std::path::PathBuf;

use jiff::Timestamp;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::hardware::{DeviceHardware, HardwareCatalog, supports};
use ringmaster_domain::catalog::merge::merge_into_catalog;
use ringmaster_domain::catalog::parse_feed;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::schedule::{DeviceFacts, plan_device};

/// When SOFA fetched the saved gdmf response.
const SNAPSHOT: &str = "2026-08-22T18:44:07Z";

fn reference_dir() -> Option<PathBuf> {
    reference::reference_path("os-feeds")
}

/// The catalog and hardware facts of gdmf plus SOFA v2 macOS, merged as an import would.
fn feeds() -> Option<(Vec<Release>, HardwareCatalog)> {
    let dir = reference_dir()?;
    let now: Timestamp = SNAPSHOT.parse().unwrap();
    let mut releases: Vec<Release> = Vec::new();
    let mut hardware = HardwareCatalog::default();
    for name in ["gdmf-pmv.json", "sofa-v2-macos_data_feed.json"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let parsed = parse_feed(&bytes, now).unwrap_or_else(|error| panic!("{name}: {error}"));
        let merge = merge_into_catalog(&releases, parsed.releases);
        let removed: Vec<_> = merge.removed.clone();
        releases.retain(|release| {
            !removed.contains(&ringmaster_domain::catalog::merge::ReleaseKey::of(release))
        });
        for updated in merge.updated {
            let key = ringmaster_domain::catalog::merge::ReleaseKey::of(&updated);
            if let Some(slot) = releases
                .iter_mut()
                .find(|release| ringmaster_domain::catalog::merge::ReleaseKey::of(release) == key)
            {
                *slot = updated;
            }
        }
        releases.extend(merge.added);
        hardware = hardware.merged_with(&parsed.hardware);
    }
    Some((releases, hardware))
}

fn mac(version: &str, build: &str, hardware: DeviceHardware) -> DeviceFacts {
    DeviceFacts {
        platform: Platform::MacOs,
        os_version: AppleOsVersion::parse(version).unwrap(),
        os_build: Some(build.to_owned()),
        hardware,
    }
}

#[test]
fn sofa_maps_the_worked_example_models_to_their_board_ids_and_majors() {
    let Some((_, hardware)) = feeds() else {
        return;
    };
    for (model, board) in [
        ("Mac15,3", "J504AP"),
        ("Mac14,2", "J413AP"),
        ("Macmini9,1", "J274AP"),
    ] {
        let facts = hardware.model(model).unwrap_or_else(|| panic!("{model}"));
        assert!(facts.board_ids.contains(board), "{model}: {facts:?}");
        assert!(facts.os_majors.contains(&26), "{model}: {facts:?}");
        assert_eq!(hardware.model_of_board_id(board), Some(model));
    }
    // A 2018 MacBook Pro stops at Sequoia.
    let old = hardware.model("MacBookPro15,2").unwrap();
    assert!(old.os_majors.contains(&15) && !old.os_majors.contains(&26));
}

#[test]
fn every_ring_enforces_the_same_on_a_mac_known_by_model_as_by_board_id() {
    let Some((releases, hardware)) = feeds() else {
        return;
    };
    let now: Timestamp = SNAPSHOT.parse().unwrap();
    let by_model = mac(
        "26.5",
        "25F71",
        hardware.describe(Platform::MacOs, Some("Mac15,3"), None),
    );
    let by_board = mac(
        "26.5",
        "25F71",
        DeviceHardware::with_device_id(Platform::MacOs, "J504AP"),
    );
    let nothing_known = mac("26.5", "25F71", DeviceHardware::unknown(Platform::MacOs));
    for ring in default_rings() {
        let timing = ring.macos.timing();
        let model_plan = plan_device(&timing, &by_model, &releases, now);
        let board_plan = plan_device(&timing, &by_board, &releases, now);
        let model_target = model_plan.enforcement().unwrap_or_else(|| {
            panic!(
                "{}: nothing enforced: {}",
                ring.name,
                model_plan.explanation()
            )
        });
        let board_target = board_plan.enforcement().unwrap();
        assert_eq!(model_target, board_target, "{}", ring.name);
        assert_eq!(model_target.version.major(), 26, "{}", ring.name);
        assert!(model_target.target_build.is_some(), "{}", ring.name);
        let explanation = model_plan.explanation();
        assert!(
            explanation.contains("J504AP, which the feeds map to model Mac15,3"),
            "{}: {explanation}",
            ring.name
        );
        // Within its own major, even hardware nobody described gets the update.
        let unknown_plan = plan_device(&timing, &nothing_known, &releases, now);
        assert_eq!(
            unknown_plan.enforcement().map(|target| &target.version),
            Some(&model_target.version),
            "{}",
            ring.name
        );
    }
}

#[test]
fn a_major_upgrade_needs_the_feeds_to_say_the_model_runs_it() {
    let Some((releases, hardware)) = feeds() else {
        return;
    };
    let now: Timestamp = SNAPSHOT.parse().unwrap();
    let ring = &default_rings()[0];
    let timing = ring.macos.timing();
    // A Sequoia Mac the feeds say runs Tahoe: upgraded, as with its board id.
    let m1 = mac(
        "15.7.7",
        "24G720",
        hardware.describe(Platform::MacOs, Some("Macmini9,1"), None),
    );
    let plan = plan_device(&timing, &m1, &releases, now);
    let target = plan.enforcement().expect("a Tahoe target");
    assert_eq!(target.version.major(), 26, "{}", plan.explanation());
    // A 2018 MacBook Pro stays on Sequoia's newest.
    let old = mac(
        "15.7.7",
        "24G720",
        hardware.describe(Platform::MacOs, Some("MacBookPro15,2"), None),
    );
    let plan = plan_device(&timing, &old, &releases, now);
    let target = plan.enforcement().expect("a Sequoia target");
    assert_eq!(target.version.major(), 15, "{}", plan.explanation());
    let tahoe = releases
        .iter()
        .find(|release| release.version.major() == 26 && !release.supported_devices.is_empty())
        .unwrap();
    assert!(!supports(tahoe, &old.hardware, &old.os_version).installable());
}
