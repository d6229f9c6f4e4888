//! Fleet generation follows the mix: each device is its kind (channel, version, build, model),
//! and reports what a real device of that kind reports.

use std::collections::BTreeSet;

use crate::device::status::all_items;
use crate::fleet::{DeviceKind, Fleet, FleetConfig, FleetMix};
use crate::kinds::EnrollmentChannel;

fn fleet(devices: usize, mix: FleetMix) -> Fleet {
    Fleet::generate(&FleetConfig {
        mix,
        ..FleetConfig::new(devices)
    })
    .unwrap()
}

#[test]
fn every_device_is_its_kind_and_the_default_mix_has_every_kind() {
    let fleet = fleet(600, FleetMix::default());
    let counts = fleet.kind_counts();
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        DeviceKind::ALL.to_vec(),
        "{counts:?}"
    );
    let macos26 = counts[&DeviceKind::Macos26];
    assert!(
        (100..200).contains(&macos26),
        "{macos26} of 600 on macOS 26"
    );
    for (device, kind) in fleet.devices().iter().zip(fleet.kinds()) {
        let spec = kind.spec();
        let profile = device.profile();
        assert_eq!(profile.channel, spec.channel, "{kind}");
        assert_eq!(profile.platform, spec.platform, "{kind}");
        assert_eq!(profile.os_version.as_str(), spec.os_version, "{kind}");
        assert_eq!(profile.build_version, spec.build, "{kind}");
        assert!(
            spec.models
                .iter()
                .any(|(model, id)| *model == profile.model_identifier && *id == profile.device_id),
            "{kind}: {profile:?}"
        );
        let items = all_items(device);
        let reports_device_id = items.contains_key("softwareupdate.device-id");
        let expected = matches!(
            kind,
            DeviceKind::Macos15
                | DeviceKind::Macos26
                | DeviceKind::MacosSupplemental
                | DeviceKind::Ios18
                | DeviceKind::Ios26
        );
        assert_eq!(reports_device_id, expected, "{kind}: {items:?}");
        if profile.channel.is_user_channel() {
            let parent = profile.parent_id.as_deref().expect("a parent");
            assert!(
                profile
                    .enrollment_id
                    .strip_prefix(parent)
                    .is_some_and(|rest| rest.starts_with(':') && rest.len() > 1),
                "{kind}: {profile:?}"
            );
        } else {
            assert_eq!(profile.parent_id, None, "{kind}");
            assert!(!profile.enrollment_id.contains(':'), "{kind}");
        }
    }
    let ids: BTreeSet<&str> = fleet
        .devices()
        .iter()
        .map(|device| device.enrollment_id())
        .collect();
    assert_eq!(ids.len(), 600, "enrollment ids are unique");
}

#[test]
fn a_supplemental_mac_and_a_shared_ipad_user_report_as_real_ones() {
    let fleet = fleet(
        20,
        FleetMix::parse("macos-supplemental=1,shared-ipad=1").unwrap(),
    );
    let supplemental = fleet
        .devices()
        .iter()
        .zip(fleet.kinds())
        .find(|(_, kind)| **kind == DeviceKind::MacosSupplemental)
        .map(|(device, _)| device)
        .expect("a supplemental Mac");
    let items = all_items(supplemental);
    assert_eq!(items["device.operating-system.version"], "26.3.1");
    assert_eq!(items["device.operating-system.build-version"], "25D2128");
    assert_eq!(
        items["device.operating-system.supplemental.extra-version"],
        "(a)"
    );
    assert_eq!(
        items["device.operating-system.supplemental.build-version"],
        "25D771280a"
    );
    let ipad_user = fleet
        .devices()
        .iter()
        .find(|device| device.profile().channel == EnrollmentChannel::SharedIpad)
        .expect("a Shared iPad user");
    let items = all_items(ipad_user);
    assert_eq!(items["device.model.family"], "iPad");
    assert_eq!(items["device.operating-system.family"], "iPadOS");
    assert!(!items.contains_key("softwareupdate.install-state"));
}

/// The simulator decides on its own ([`crate::kinds`]) what a device takes; this
/// checks, for every device-channel kind, that it agrees with the server's table
/// (`ringmaster_domain::capabilities`), so the two cannot drift apart unnoticed.
#[test]
fn every_kind_takes_what_the_server_serves_it() {
    use ringmaster_domain::apple_version::AppleOsVersion;
    use ringmaster_domain::capabilities::{DeviceCapabilities, EnrollmentType, update_support};

    use crate::kinds::refuses_declaration;

    for kind in DeviceKind::ALL {
        let spec = kind.spec();
        let enrollment = match spec.channel {
            EnrollmentChannel::Device => EnrollmentType::Device,
            EnrollmentChannel::UserEnrollmentDevice => EnrollmentType::UserEnrollmentDevice,
            // User channels are answered the empty set before any gating.
            _ => continue,
        };
        let version = AppleOsVersion::parse(spec.os_version).unwrap();
        let server = update_support(
            spec.platform,
            &version,
            &DeviceCapabilities {
                enrollment: Some(enrollment),
                configurations: None,
            },
        );
        let takes = |declaration_type: &str| {
            refuses_declaration(
                declaration_type,
                spec.platform,
                &version.without_supplemental(),
                spec.channel,
            )
            .is_none()
        };
        assert_eq!(
            takes("com.apple.configuration.softwareupdate.enforcement.specific"),
            server.enforcement,
            "{kind}: enforcement"
        );
        assert_eq!(
            takes("com.apple.configuration.softwareupdate.settings"),
            server.settings,
            "{kind}: settings"
        );
    }
}
