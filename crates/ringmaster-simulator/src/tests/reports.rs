//! Status reports: full and incremental reports, resends, subscriptions, item nesting.

use super::*;

#[test]
fn a_full_report_comes_every_n_syncs_and_incremental_ones_carry_only_changes() {
    let server = FakeServer::ringmaster(Platform::MacOs, false);
    let options = DeviceOptions {
        full_report_every: 3,
        ..DeviceOptions::default()
    };
    let mut device = SimulatedDevice::new(DeviceProfile::example_mac("mac-reports"), options);

    let first = sync(&mut device, &server, at("2026-01-10T00:00:00Z"))
        .report
        .unwrap();
    assert!(first.full);
    assert!(first.items.contains_key("management.client-capabilities"));
    assert!(first.items.contains_key("softwareupdate.install-state"));
    assert_eq!(first.items["softwareupdate.device-id"], "J413AP");
    assert_eq!(first.to_json()["FullReport"], true);

    let second = sync(&mut device, &server, at("2026-01-11T00:00:00Z"));
    assert!(
        second.report.is_none(),
        "nothing changed: {:?}",
        second.report
    );

    let changed = FakeServer::from_set(&device_declaration_set(
        Platform::MacOs,
        &minimal_settings(),
        None,
    ));
    let third = sync(&mut device, &changed, at("2026-01-12T00:00:00Z"))
        .report
        .unwrap();
    assert!(!third.full);
    assert_eq!(
        third.items.keys().collect::<Vec<_>>(),
        ["management.declarations"]
    );
    assert_eq!(third.to_json()["FullReport"], false);
    let json = third.to_json();
    assert!(json["StatusItems"]["management"]["declarations"]["configurations"].is_array());
    assert!(json["StatusItems"].get("softwareupdate").is_none());

    let fourth = sync(&mut device, &changed, at("2026-01-13T00:00:00Z"))
        .report
        .unwrap();
    assert!(fourth.full, "three syncs after the first full report");
    assert_eq!(fourth.items, device.status_items());
    assert!(
        sync(&mut device, &changed, at("2026-01-14T00:00:00Z"))
            .report
            .is_none()
    );
}

#[test]
fn an_unsent_report_is_sent_again() {
    let server = FakeServer::ringmaster(Platform::MacOs, false);
    let mut device = mac();
    device.begin_sync(at("2026-01-10T00:00:00Z"));
    let first = device.status_report().unwrap();
    assert!(first.full);
    // The server did not take it: the next one is full again.
    device.begin_sync(at("2026-01-11T00:00:00Z"));
    assert!(device.status_report().unwrap().full);
    sync(&mut device, &server, at("2026-01-12T00:00:00Z"));
    assert!(
        sync(&mut device, &server, at("2026-01-13T00:00:00Z"))
            .report
            .is_none()
    );
}

#[test]
fn only_subscribed_items_are_reported_unless_asked_otherwise() {
    let server = FakeServer::default()
        .with(subscriptions_of(&[
            "device.operating-system",
            "softwareupdate.install-state",
        ]))
        .with(activation_of(&[STATUS_SUBSCRIPTIONS_IDENTIFIER]));
    let mut device = mac();
    let report = sync(&mut device, &server, at("2026-01-10T00:00:00Z"))
        .report
        .unwrap();
    let names: BTreeSet<&str> = report.items.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "device.operating-system.build-version",
            "device.operating-system.family",
            "device.operating-system.supplemental.build-version",
            "device.operating-system.supplemental.extra-version",
            "device.operating-system.version",
            "management.client-capabilities",
            "management.declarations",
            "softwareupdate.install-state",
        ])
    );
    assert_eq!(
        report.to_json()["StatusItems"]["device"]["operating-system"]["family"],
        "macOS"
    );

    let mut everything = SimulatedDevice::new(
        DeviceProfile::example_iphone("iphone-all"),
        DeviceOptions {
            report_unsubscribed_items: true,
            ..DeviceOptions::default()
        },
    );
    let report = sync(
        &mut everything,
        &FakeServer::default(),
        at("2026-01-10T00:00:00Z"),
    )
    .report
    .unwrap();
    assert_eq!(report.items["device.model.identifier"], "iPhone17,1");
    assert_eq!(report.items["softwareupdate.device-id"], "iPhone17,1");
    assert_eq!(report.items["device.operating-system.family"], "iOS");
    assert_eq!(
        report.items["softwareupdate.failure-reason"],
        json!({ "count": 0 })
    );
}

#[test]
fn status_items_nest_by_their_dotted_names() {
    let items = BTreeMap::from([
        ("a.b.c".to_owned(), json!(1)),
        ("a.b.d".to_owned(), json!("x")),
        ("a.e".to_owned(), json!([])),
    ]);
    assert_eq!(
        nest_status_items(&items),
        json!({ "a": { "b": { "c": 1, "d": "x" }, "e": [] } })
    );
}

#[test]
fn declaration_items_need_all_four_arrays_and_unique_identifiers() {
    let good = FakeServer::ringmaster(Platform::Ios, true).items();
    assert_eq!(DeclarationItems::from_json(&good.to_json()).unwrap(), good);
    let missing = json!({ "DeclarationsToken": "t",
        "Declarations": { "Activations": [], "Configurations": [], "Assets": [] } });
    assert!(
        DeclarationItems::from_json(&missing)
            .unwrap_err()
            .message
            .contains("Declarations.Management")
    );
    let twice = json!({ "DeclarationsToken": "t", "Declarations": {
        "Activations": [{ "Identifier": "x", "ServerToken": "1" }],
        "Configurations": [{ "Identifier": "x", "ServerToken": "2" }],
        "Assets": [], "Management": [] } });
    assert!(
        DeclarationItems::from_json(&twice)
            .unwrap_err()
            .message
            .contains("listed twice")
    );
    assert!(SyncTokens::from_json(&json!({ "SyncTokens": {} })).is_err());
}
