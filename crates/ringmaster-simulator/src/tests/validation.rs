//! Validation and activation: declarations checked as a real device checks them, activations
//! and the types an OS or an enrollment does not know.

use super::*;

#[test]
fn ringmasters_own_sets_are_valid_and_active_on_both_platforms() {
    for (platform, mut device) in [(Platform::MacOs, mac()), (Platform::Ios, iphone())] {
        let server = FakeServer::ringmaster(platform, true);
        sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
        for declaration in device.declarations() {
            assert!(
                declaration.is_valid() && declaration.is_active(),
                "{platform}: {} is {:?}",
                declaration.key(),
                declaration.status_json()
            );
            assert!(declaration.reasons().is_empty());
        }
        let status = declaration_status(&device, &settings_key());
        assert_eq!(status["valid"], "valid");
        assert_eq!(status["active"], true);
        assert!(status.get("reasons").is_none());
    }
}

#[test]
fn a_settings_key_the_platform_lacks_makes_the_declaration_invalid_with_a_reason() {
    let server = FakeServer::default()
        .with(settings_declaration(json!({
            "Notifications": false,
            "Deferrals": { "CombinedPeriodInDays": 7, "MajorPeriodInDays": 30 },
            "RecommendedCadence": "Newest",
        })))
        .with(activation_of(&[SETTINGS_IDENTIFIER]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));

    let stored = device.declaration(&settings_key()).unwrap();
    assert!(!stored.is_valid());
    assert!(!stored.is_active());
    let status = declaration_status(&device, &settings_key());
    assert_eq!(status["valid"], "invalid");
    assert_eq!(status["active"], false);
    assert_eq!(
        status["server-token"],
        server.items().items[&settings_key()]
    );
    let reasons = status["reasons"].as_array().unwrap();
    assert_eq!(reasons[0]["code"], "Error.UnknownPayloadKeys");
    assert_eq!(
        reasons[0]["details"]["UnknownPayloadKeys"],
        json!(["Deferrals.CombinedPeriodInDays", "RecommendedCadence"])
    );
    assert!(
        reasons[0]["description"]
            .as_str()
            .unwrap()
            .contains("RecommendedCadence")
    );

    // The same payload minus the macOS-only deferral is fine on an iPhone.
    let ios = FakeServer::default()
        .with(settings_declaration(json!({
            "Deferrals": { "CombinedPeriodInDays": 7 },
            "RecommendedCadence": "Newest",
        })))
        .with(activation_of(&[SETTINGS_IDENTIFIER]));
    let mut phone = iphone();
    sync(&mut phone, &ios, at("2026-01-10T00:00:00Z"));
    assert_eq!(
        declaration_status(&phone, &settings_key())["valid"],
        "valid"
    );
    assert_eq!(declaration_status(&phone, &settings_key())["active"], true);
}

#[test]
fn the_settings_key_lists_follow_apples_schema_per_platform() {
    let mac = settings_keys(Platform::MacOs);
    let ios = settings_keys(Platform::Ios);
    for key in [
        "Deferrals.MajorPeriodInDays",
        "Deferrals.MinorPeriodInDays",
        "Deferrals.SystemPeriodInDays",
        "AllowStandardUserOSUpdates",
    ] {
        assert!(mac.iter().any(|k| k == key), "{key} on macOS");
        assert!(!ios.iter().any(|k| k == key), "{key} not on iOS");
    }
    for key in ["Deferrals.CombinedPeriodInDays", "RecommendedCadence"] {
        assert!(!mac.iter().any(|k| k == key), "{key} not on macOS");
        assert!(ios.iter().any(|k| k == key), "{key} on iOS");
    }
    for key in [
        "Notifications",
        "AutomaticActions.InstallSecurityUpdate",
        "RapidSecurityResponse.EnableRollback",
        "Beta.RequireProgram",
    ] {
        assert!(
            mac.iter().any(|k| k == key) && ios.iter().any(|k| k == key),
            "{key}"
        );
    }
    let reasons = validate_settings_payload(
        Platform::Ios,
        &json!({ "AllowStandardUserOSUpdates": false, "Deferrals": { "CombinedPeriodInDays": 0 } }),
    );
    let codes: Vec<&str> = reasons.iter().map(|reason| reason.code.as_str()).collect();
    assert_eq!(
        codes,
        ["Error.UnknownPayloadKeys", "Error.ConfigurationIsInvalid"]
    );
    assert!(reasons[1].description.contains("1 to 90"));
    let beta = validate_settings_payload(
        Platform::MacOs,
        &json!({ "Beta": { "ProgramEnrollment": "Allowed",
                           "RequireProgram": { "Description": "d", "Token": "t" } } }),
    );
    assert_eq!(beta[0].code, "Error.ConfigurationIsInvalid");
}

#[test]
fn an_enforcement_needs_its_target_and_a_strict_local_date_time() {
    let good = json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00" });
    let enforcement = validate_enforcement_payload(&good).unwrap();
    assert_eq!(enforcement.target_os_version.as_str(), "26.1.0");
    assert_eq!(
        enforcement.target_local_date_time_text,
        "2026-02-28T17:30:00"
    );

    for (payload, expected) in [
        (
            json!({ "TargetLocalDateTime": "2026-02-28T17:30:00" }),
            "TargetOSVersion is required",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0" }),
            "TargetLocalDateTime is required",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00Z" }),
            "without offset",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00.5" }),
            "without offset",
        ),
        (
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-30T17:30:00" }),
            "not a date-time",
        ),
        (
            json!({ "TargetOSVersion": "twenty-six", "TargetLocalDateTime": "2026-02-28T17:30:00" }),
            "not an Apple OS version",
        ),
    ] {
        let reasons = validate_enforcement_payload(&payload).unwrap_err();
        assert_eq!(reasons[0].code, "Error.ConfigurationIsInvalid", "{payload}");
        assert!(
            reasons[0].description.contains(expected),
            "{payload}: {}",
            reasons[0].description
        );
    }
    let extra = json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30:00",
                        "Deadline": "soon" });
    assert_eq!(
        validate_enforcement_payload(&extra).unwrap_err()[0].code,
        "Error.UnknownPayloadKeys"
    );
    assert!(parse_local_date_time("2026-02-28 17:30:00").is_err());

    // Received through a sync: reported invalid, no install planned.
    let identifier = "ringmaster.softwareupdate.enforcement.26.1.0";
    let server = FakeServer::default()
        .with(enforcement_declaration(
            identifier,
            json!({ "TargetOSVersion": "26.1.0", "TargetLocalDateTime": "2026-02-28T17:30" }),
        ))
        .with(activation_of(&[identifier]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let status = declaration_status(&device, &DeclarationKey::configuration(identifier));
    assert_eq!(status["valid"], "invalid");
    assert_eq!(status["reasons"][0]["code"], "Error.ConfigurationIsInvalid");
    assert!(device.pending_install().is_none());
}

#[test]
fn envelope_problems_and_unknown_types_are_reported() {
    let server = FakeServer::default()
        .with(json!({
            "Type": "com.apple.configuration.made-up.thing",
            "Identifier": "x.unknown",
            "ServerToken": "1",
            "Payload": {},
        }))
        .with(json!({
            "Type": "com.apple.configuration.passcode.settings",
            "Identifier": "x.no-token",
            "Payload": {},
        }))
        .with(activation_of(&["x.unknown", "x.no-token"]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let unknown = declaration_status(&device, &DeclarationKey::configuration("x.unknown"));
    assert_eq!(
        unknown["reasons"][0]["code"],
        "Error.UnknownDeclarationType"
    );
    let no_token = declaration_status(&device, &DeclarationKey::configuration("x.no-token"));
    assert_eq!(no_token["valid"], "invalid");
    assert_eq!(no_token["reasons"][0]["code"], "Error.InvalidPayload");
    assert!(
        no_token["reasons"][0]["description"]
            .as_str()
            .unwrap()
            .contains("ServerToken is missing")
    );
}

#[test]
fn a_served_token_other_than_the_listed_one_is_an_issue() {
    let mut server = FakeServer::ringmaster(Platform::MacOs, false);
    let mut device = mac();
    device.begin_sync(at("2026-01-10T00:00:00Z"));
    let items = server.items();
    server.declarations.get_mut(&settings_key()).unwrap()["ServerToken"] = json!("something-else");
    let fetched = device
        .plan_fetches(&items)
        .fetch
        .into_iter()
        .map(|key| (key.clone(), server.declarations[&key].clone()))
        .collect();
    let applied = device.apply_declarations(&items, &fetched);
    assert_eq!(applied.issues.len(), 1, "{:?}", applied.issues);
    assert!(applied.issues[0].contains("differs from the listed"));
    // The device holds the token the declaration carries, so the next sync fetches it again.
    assert_eq!(device.plan_fetches(&items).fetch, vec![settings_key()]);
}

#[test]
fn activations_need_every_configuration_and_unreferenced_ones_stay_inactive() {
    let server = FakeServer::default()
        .with(settings_declaration(json!({ "Notifications": true })))
        .with(activation_of(&["missing.configuration"]));
    let mut device = mac();
    sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    let activation = declaration_status(&device, &activation_key());
    assert_eq!(activation["valid"], "valid");
    assert_eq!(activation["active"], false);
    assert_eq!(
        activation["reasons"][0]["code"],
        "Error.MissingConfigurations"
    );
    assert_eq!(
        activation["reasons"][0]["details"]["ConfigurationIdentifiers"],
        json!(["missing.configuration"])
    );
    let settings = declaration_status(&device, &settings_key());
    assert_eq!(settings["valid"], "valid");
    assert_eq!(settings["active"], false);
    assert_eq!(
        settings["reasons"][0]["code"],
        "Info.NotReferencedByActivation"
    );
}
