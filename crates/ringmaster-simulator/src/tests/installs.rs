//! Installs: an enforcement followed to its deadline, early users, failures, supplementals.

use super::*;

#[test]
fn an_enforcement_installs_at_its_deadline_and_not_before() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    sync(&mut device, &server, at("2026-02-01T09:00:00Z"));
    let pending = device.pending_install().unwrap();
    assert_eq!(pending.install_version.as_str(), "26.1");
    assert_eq!(pending.install_build, "25B78");
    assert_eq!(pending.deadline, at("2026-02-28T17:30:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    let items = device.status_items();
    assert_eq!(
        items["softwareupdate.pending-version"],
        json!({ "os-version": "26.1", "build-version": "25B78",
                "target-local-date-time": "2026-02-28T17:30:00" })
    );
    assert_eq!(
        items["softwareupdate.install-reason"],
        json!({ "reason": ["declaration"], "declaration-id": enforcement_key().identifier })
    );

    sync(&mut device, &server, at("2026-02-28T17:29:59Z"));
    assert_eq!(device.install_state(), InstallState::None);
    assert_eq!(device.os_version().as_str(), "26.0.1");

    let mut seen = Vec::new();
    for minute in ["30", "31", "32"] {
        let report = sync(
            &mut device,
            &server,
            at(&format!("2026-02-28T17:{minute}:00Z")),
        )
        .report;
        seen.push(device.install_state());
        let report = report.expect("the install state changed");
        assert_eq!(
            report.items["softwareupdate.install-state"],
            device.install_state().as_str()
        );
    }
    assert_eq!(
        seen,
        [
            InstallState::Downloading,
            InstallState::Prepared,
            InstallState::Installing
        ]
    );
    let done = sync(&mut device, &server, at("2026-02-28T17:33:00Z"))
        .report
        .unwrap();
    assert_eq!(device.install_state(), InstallState::None);
    assert_eq!(device.os_version().as_str(), "26.1");
    assert_eq!(device.build_version(), "25B78");
    assert!(device.pending_install().is_none());
    assert_eq!(done.items["device.operating-system.version"], "26.1");
    assert_eq!(done.items["device.operating-system.build-version"], "25B78");
    assert_eq!(done.items["softwareupdate.install-state"], "none");
    assert_eq!(
        done.items["softwareupdate.pending-version"],
        json!({ "os-version": "", "build-version": "" })
    );
    assert_eq!(
        done.items["softwareupdate.install-reason"],
        json!({ "reason": [] })
    );

    // Nothing more to do once the target runs.
    sync(&mut device, &server, at("2026-03-10T00:00:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
}

#[test]
fn an_enforcement_without_a_build_installs_a_made_up_one() {
    let identifier = "ringmaster.softwareupdate.enforcement.26.2.0";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.2.0", "TargetLocalDateTime": "2026-01-01T00:00:00" }),
        ))
        .with(activation_of(&[identifier]));
    let mut device = iphone();
    for day in 10..15 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-01-{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.os_version().as_str(), "26.2");
    assert_eq!(device.build_version(), "23C100");
    assert_eq!(
        made_up_build(Platform::MacOs, &"15.7.1".parse().unwrap()),
        "24H101"
    );
}

#[test]
fn the_deadline_is_read_in_the_devices_offset() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        utc_offset: Offset::constant(2),
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-cet"), options);
    sync(&mut device, &server, at("2026-02-01T00:00:00Z"));
    assert_eq!(
        device.pending_install().unwrap().deadline,
        at("2026-02-28T15:30:00Z")
    );
    sync(&mut device, &server, at("2026-02-28T15:29:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    sync(&mut device, &server, at("2026-02-28T15:30:00Z"));
    assert_eq!(device.install_state(), InstallState::Downloading);
}

#[test]
fn an_early_user_installs_part_of_the_way_to_the_deadline() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        early_install_fraction: Some(0.5),
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-early"), options);
    // Received 2026-02-01T17:30Z, deadline 2026-02-28T17:30Z: halfway is 2026-02-15T05:30Z.
    sync(&mut device, &server, at("2026-02-01T17:30:00Z"));
    let pending = device.pending_install().unwrap();
    assert!(pending.early);
    assert_eq!(pending.starts_at, at("2026-02-15T05:30:00Z"));
    sync(&mut device, &server, at("2026-02-15T05:29:00Z"));
    assert_eq!(device.install_state(), InstallState::None);
    sync(&mut device, &server, at("2026-02-15T06:00:00Z"));
    assert_eq!(device.install_state(), InstallState::Downloading);
    assert_eq!(
        device.status_items()["softwareupdate.install-reason"],
        json!({ "reason": ["system-settings"] })
    );
}

#[test]
fn a_failing_device_reports_failed_with_a_count() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let options = DeviceOptions {
        fail_install: true,
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-fail"), options);
    // Received on 03-01 with the deadline passed: downloading 03-02, prepared 03-03,
    // installing 03-04, failed 03-05; it stays failed.
    for day in 1..=6 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-03-0{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.install_state(), InstallState::Failed);
    assert_eq!(device.os_version().as_str(), "26.0.1");
    let items = device.status_items();
    assert_eq!(items["softwareupdate.install-state"], "failed");
    assert_eq!(items["softwareupdate.failure-reason"]["count"], 1);
    assert_eq!(
        items["softwareupdate.failure-reason"]["timestamp"],
        "2026-03-05T00:00:00Z"
    );
}

#[test]
fn a_supplemental_build_installs_on_its_base() {
    let identifier = "ringmaster.softwareupdate.enforcement.26.3.1a";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.3.1", "TargetBuildVersion": "25D771280a",
                    "TargetLocalDateTime": "2026-04-01T00:00:00" }),
        ))
        .with(subscriptions_of(&["device.operating-system"]))
        .with(activation_of(&[
            identifier,
            STATUS_SUBSCRIPTIONS_IDENTIFIER,
        ]));
    let profile = DeviceProfile::new(
        "mac-bsi",
        Platform::MacOs,
        "26.3.1",
        "25D2128",
        "Mac14,2",
        "J413AP",
    )
    .unwrap();
    let mut device = SimulatedDevice::new(profile, DeviceOptions::default());
    for day in 1..=5 {
        sync(
            &mut device,
            &server,
            at(&format!("2026-04-0{day}T00:00:00Z")),
        );
    }
    assert_eq!(device.os_version().as_str(), "26.3.1 (a)");
    assert_eq!(device.build_version(), "25D2128");
    let items = device.status_items();
    assert_eq!(items["device.operating-system.version"], "26.3.1");
    assert_eq!(
        items["device.operating-system.supplemental.build-version"],
        "25D771280a"
    );
    assert_eq!(
        items["device.operating-system.supplemental.extra-version"],
        "(a)"
    );
    assert!(device.pending_install().is_none());
}
