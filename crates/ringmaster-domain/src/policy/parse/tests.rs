//! Tests of [`super`]: each field's types, ranges and defaults; [`rules`] has the rules
//! across fields (actions against downloads, beta programs, platform warnings).

use serde_json::json;

use super::*;
use crate::policy::model::{EnforcementScope, Notifications, RecommendedCadence};
use crate::policy::render::render_policy;

mod rules;

fn full_macos() -> Value {
    json!({
        "name": "Engineering Macs",
        "kind": "automatic",
        "platform": "macOS",
        "deferrals": {"majorDays": 30, "minorDays": 7, "systemDays": 1},
        "enforcement": {
            "enabled": true,
            "gracePeriodDays": 5,
            "localTime": "18:30",
            "detailsUrl": "https://it.example.com/updates",
            "scope": "sameMajor"
        },
        "updatePermissions": "adminsOnly",
        "notifications": "oneHourBeforeDeadline",
        "automaticActions": {
            "download": "alwaysOn",
            "installOSUpdates": "alwaysOn",
            "installSecurityResponse": "userControlled"
        },
        "rapidSecurityResponse": {"offer": false, "allowRollback": true},
        "beta": {
            "programEnrollment": "alwaysOn",
            "offeredPrograms": [
                {"description": "macOS Developer Beta", "token": "token-1"},
                {"description": "macOS Public Beta", "token": "token-2"}
            ]
        }
    })
}

fn full_ios() -> Value {
    json!({
        "name": "Shop iPads",
        "kind": "automatic",
        "platform": "iOS",
        "deferrals": {"combinedDays": 14},
        "enforcement": {
            "enabled": true,
            "gracePeriodDays": 0,
            "localTime": "03:05",
            "scope": "latest"
        },
        "updatePermissions": "standardUsers",
        "notifications": "all",
        "recommendedCadence": "oldest",
        "automaticActions": {
            "download": "alwaysOff",
            "installOSUpdates": "alwaysOff",
            "installSecurityResponse": "alwaysOff"
        },
        "rapidSecurityResponse": {"offer": true, "allowRollback": false},
        "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": []}
    })
}

fn with(mut document: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut document
    } else {
        document.pointer_mut(parent).unwrap()
    };
    target.as_object_mut().unwrap().insert(key.into(), value);
    document
}

fn without(mut document: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut document
    } else {
        document.pointer_mut(parent).unwrap()
    };
    target.as_object_mut().unwrap().remove(key);
    document
}

fn errors_of(document: &Value) -> Vec<(String, String)> {
    parse_policy(document)
        .expect_err("the document should be refused")
        .into_vec()
        .into_iter()
        .map(|error| (error.pointer, error.message))
        .collect()
}

fn pointers_of(document: &Value) -> Vec<String> {
    errors_of(document)
        .into_iter()
        .map(|(pointer, _)| pointer)
        .collect()
}

/// The one error `document` has, at `pointer`; its message.
fn only_error_at(document: &Value, pointer: &str) -> String {
    let errors = errors_of(document);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].0, pointer, "{errors:#?}");
    errors[0].1.clone()
}

#[test]
fn full_documents_parse_and_render_back_exactly() {
    for document in [full_macos(), full_ios()] {
        let parsed = parse_policy(&document).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(render_policy(&parsed.policy), document);
    }
}

#[test]
fn full_macos_document_reads_every_setting() {
    let policy = parse_policy(&full_macos()).unwrap().policy;
    assert_eq!(policy.name.as_str(), "Engineering Macs");
    assert_eq!(policy.platform(), Platform::MacOs);
    let Deferrals::MacOs {
        major,
        minor,
        system,
    } = policy.deferrals
    else {
        panic!("macOS deferrals expected");
    };
    assert_eq!(
        (
            major.unwrap().get(),
            minor.unwrap().get(),
            system.unwrap().get()
        ),
        (30, 7, 1)
    );
    assert!(policy.enforcement.enabled);
    assert_eq!(policy.enforcement.grace_period.get(), 5);
    assert_eq!(
        policy.enforcement.local_time,
        Some(Time::constant(18, 30, 0, 0))
    );
    assert_eq!(
        policy.enforcement.details_url.unwrap().as_str(),
        "https://it.example.com/updates"
    );
    assert_eq!(policy.enforcement.scope, EnforcementScope::SameMajor);
    assert_eq!(policy.update_permissions, UpdatePermissions::AdminsOnly);
    assert_eq!(policy.notifications, Notifications::OneHourBeforeDeadline);
    assert_eq!(policy.automatic_actions.download, ActionMode::AlwaysOn);
    assert!(!policy.rapid_security_response.offer);
    assert_eq!(policy.beta.offered_programs.len(), 2);
    assert_eq!(policy.beta.offered_programs[1].token, "token-2");
}

#[test]
fn absent_settings_take_the_documented_defaults() {
    for platform in ["macOS", "iOS"] {
        let parsed = parse_policy(&json!({"name": "Minimal", "platform": platform})).unwrap();
        assert!(parsed.warnings.is_empty());
        let policy = parsed.policy;
        assert_eq!(policy.deferrals, Deferrals::none(policy.platform()));
        assert_eq!(policy.enforcement, Enforcement::default());
        assert!(!policy.enforcement.enabled);
        assert_eq!(policy.enforcement.grace_period.get(), 30);
        assert_eq!(policy.enforcement.scope, EnforcementScope::Latest);
        assert_eq!(policy.update_permissions, UpdatePermissions::StandardUsers);
        assert_eq!(policy.notifications, Notifications::All);
        assert_eq!(policy.recommended_cadence, None);
        assert_eq!(policy.automatic_actions, AutomaticActions::default());
        assert_eq!(
            policy.automatic_actions.install_security_response,
            ActionMode::UserControlled
        );
        assert_eq!(
            policy.rapid_security_response,
            RapidSecurityResponse {
                offer: true,
                allow_rollback: true
            }
        );
        assert_eq!(
            policy.beta.program_enrollment,
            ProgramEnrollment::UserAllowed
        );
        assert!(policy.beta.offered_programs.is_empty());
    }
}

#[test]
fn empty_objects_and_nulls_mean_defaults() {
    let document = json!({
        "name": "Nulls",
        "platform": "macOS",
        "deferrals": {"majorDays": null},
        "enforcement": {"gracePeriodDays": null},
        "recommendedCadence": null,
        "automaticActions": {},
        "rapidSecurityResponse": null,
        "beta": {"offeredPrograms": null}
    });
    let policy = parse_policy(&document).unwrap().policy;
    assert_eq!(policy.deferrals, Deferrals::none(Platform::MacOs));
    assert_eq!(policy.enforcement, Enforcement::default());
    assert_eq!(policy.recommended_cadence, None);
}

#[test]
fn a_document_that_is_not_an_object_is_refused_at_the_root() {
    assert_eq!(pointers_of(&json!([])), vec![""]);
}

#[test]
fn name_and_platform_are_required() {
    assert_eq!(pointers_of(&json!({})), vec!["/name", "/platform"]);
    assert!(only_error_at(&without(full_macos(), "/name"), "/name").contains("required"));
    only_error_at(&without(full_ios(), "/platform"), "/platform");
}

#[test]
fn bad_names_are_refused() {
    for name in [
        json!(""),
        json!("   "),
        json!("a\nb"),
        json!("x".repeat(201)),
        json!(7),
    ] {
        only_error_at(&with(full_macos(), "/name", name), "/name");
    }
    let policy = parse_policy(&with(full_macos(), "/name", json!("  Padded  ")))
        .unwrap()
        .policy;
    assert_eq!(policy.name.as_str(), "Padded");
}

#[test]
fn unknown_platforms_are_refused() {
    for platform in [json!("watchOS"), json!("iPadOS"), json!(1)] {
        let document = with(json!({"name": "x"}), "/platform", platform);
        only_error_at(&document, "/platform");
    }
}

#[test]
fn deferrals_outside_one_to_ninety_are_refused() {
    for (key, days) in [
        ("majorDays", json!(0)),
        ("minorDays", json!(91)),
        ("systemDays", json!(-3)),
        ("majorDays", json!(7.5)),
        ("minorDays", json!("7")),
        ("systemDays", json!(true)),
    ] {
        let pointer = format!("/deferrals/{key}");
        only_error_at(&with(full_macos(), &pointer, days), &pointer);
    }
    for days in [json!(0), json!(91), json!(1e3)] {
        only_error_at(
            &with(full_ios(), "/deferrals/combinedDays", days),
            "/deferrals/combinedDays",
        );
    }
    for days in [1, 90] {
        parse_policy(&with(full_macos(), "/deferrals/majorDays", json!(days))).unwrap();
        parse_policy(&with(full_ios(), "/deferrals/combinedDays", json!(days))).unwrap();
    }
}

#[test]
fn each_platform_refuses_the_other_platforms_deferral_keys() {
    let message = only_error_at(
        &with(full_macos(), "/deferrals/combinedDays", json!(7)),
        "/deferrals/combinedDays",
    );
    assert!(message.contains("majorDays"), "{message}");
    for key in ["majorDays", "minorDays", "systemDays"] {
        let pointer = format!("/deferrals/{key}");
        let message = only_error_at(&with(full_ios(), &pointer, json!(7)), &pointer);
        assert!(message.contains("combinedDays"), "{message}");
    }
}

#[test]
fn a_wrong_platform_key_is_reported_once_whatever_its_value() {
    only_error_at(
        &with(full_macos(), "/deferrals/combinedDays", json!(0)),
        "/deferrals/combinedDays",
    );
    only_error_at(
        &with(full_ios(), "/deferrals/majorDays", json!("x")),
        "/deferrals/majorDays",
    );
}

#[test]
fn with_an_unknown_platform_deferrals_are_still_range_checked() {
    let document = json!({
        "name": "x",
        "platform": "tvOS",
        "deferrals": {"majorDays": 0, "combinedDays": 7}
    });
    assert_eq!(
        pointers_of(&document),
        vec!["/platform", "/deferrals/majorDays"]
    );
}

#[test]
fn enforcement_needs_a_local_time_when_enabled() {
    let message = only_error_at(
        &without(full_macos(), "/enforcement/localTime"),
        "/enforcement/localTime",
    );
    assert!(message.contains("required"), "{message}");
    let disabled = with(
        without(full_macos(), "/enforcement/localTime"),
        "/enforcement/enabled",
        json!(false),
    );
    let policy = parse_policy(&disabled).unwrap().policy;
    assert_eq!(policy.enforcement.local_time, None);
    assert_eq!(policy.timing().enforcement, None);
}

#[test]
fn local_times_are_strict_hh_mm() {
    for text in [
        "5pm", "24:00", "7:00", "07:60", "07:00:00", "07-00", "", " 7:00",
    ] {
        only_error_at(
            &with(full_macos(), "/enforcement/localTime", json!(text)),
            "/enforcement/localTime",
        );
    }
    assert_eq!(parse_local_time("00:00").unwrap(), Time::midnight());
    assert_eq!(
        parse_local_time("23:59").unwrap(),
        Time::constant(23, 59, 0, 0)
    );
}

#[test]
fn grace_periods_outside_zero_to_365_are_refused() {
    for days in [
        json!(-1),
        json!(366),
        json!(1.5),
        json!("3"),
        json!(u64::MAX),
    ] {
        only_error_at(
            &with(full_macos(), "/enforcement/gracePeriodDays", days),
            "/enforcement/gracePeriodDays",
        );
    }
    for days in [0, 365] {
        parse_policy(&with(
            full_macos(),
            "/enforcement/gracePeriodDays",
            json!(days),
        ))
        .unwrap();
    }
}

#[test]
fn details_urls_must_be_http_or_https() {
    for url in [
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://",
        "example.com",
        "https://example.com/a b",
    ] {
        only_error_at(
            &with(full_macos(), "/enforcement/detailsUrl", json!(url)),
            "/enforcement/detailsUrl",
        );
    }
    for url in ["http://intranet/updates", "HTTPS://Example.com/?q=1#x"] {
        let policy = parse_policy(&with(full_macos(), "/enforcement/detailsUrl", json!(url)))
            .unwrap()
            .policy;
        assert_eq!(policy.enforcement.details_url.unwrap().as_str(), url);
    }
}

#[test]
fn unknown_enum_values_are_refused_with_the_allowed_ones() {
    for (pointer, expected) in [
        ("/enforcement/scope", "\"latest\" or \"sameMajor\""),
        ("/updatePermissions", "\"standardUsers\" or \"adminsOnly\""),
        ("/notifications", "\"all\" or \"oneHourBeforeDeadline\""),
        ("/recommendedCadence", "\"all\", \"oldest\" or \"newest\""),
        (
            "/automaticActions/download",
            "\"userControlled\", \"alwaysOn\" or \"alwaysOff\"",
        ),
        (
            "/beta/programEnrollment",
            "\"userAllowed\", \"alwaysOn\" or \"alwaysOff\"",
        ),
    ] {
        let message = only_error_at(&with(full_ios(), pointer, json!("Allowed")), pointer);
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn wrong_types_are_refused_not_coerced() {
    for (pointer, value) in [
        ("/enforcement/enabled", json!("true")),
        ("/rapidSecurityResponse/offer", json!(1)),
        ("/rapidSecurityResponse/allowRollback", json!("no")),
        ("/deferrals", json!([])),
        ("/enforcement", json!(true)),
        ("/automaticActions", json!("alwaysOn")),
        ("/beta/offeredPrograms", json!({})),
        ("/beta/offeredPrograms/0", json!("token")),
        ("/beta/offeredPrograms/0/token", json!(5)),
        ("/enforcement/localTime", json!(1700)),
    ] {
        let document = if pointer == "/beta/offeredPrograms/0" {
            with(full_macos(), "/beta/offeredPrograms", json!(["token"]))
        } else {
            with(full_macos(), pointer, value)
        };
        only_error_at(&document, pointer);
    }
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    for pointer in [
        "/colour",
        "/deferrals/weeks",
        "/enforcement/deadline",
        "/automaticActions/installApps",
        "/rapidSecurityResponse/enable",
        "/beta/requireProgram",
        "/beta/offeredPrograms/1/url",
    ] {
        let message = only_error_at(&with(full_macos(), pointer, json!(1)), pointer);
        assert!(message.starts_with("unknown key"), "{message}");
    }
}

#[test]
fn every_error_is_reported_at_once() {
    let document = json!({
        "name": "",
        "platform": "macOS",
        "deferrals": {"majorDays": 0, "minorDays": 91, "combinedDays": 3},
        "enforcement": {"enabled": true, "gracePeriodDays": 400, "detailsUrl": "file:///x", "scope": "all"},
        "updatePermissions": "everyone",
        "notifications": false,
        "automaticActions": {"download": "alwaysOff", "installOSUpdates": "alwaysOn", "installSecurityResponse": "userControlled"},
        "rapidSecurityResponse": {"offer": "yes"},
        "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": [{"description": "", "token": "t"}]},
        "extra": 1
    });
    assert_eq!(
        pointers_of(&document),
        vec![
            "/name",
            "/deferrals/majorDays",
            "/deferrals/minorDays",
            "/deferrals/combinedDays",
            "/enforcement/gracePeriodDays",
            "/enforcement/localTime",
            "/enforcement/detailsUrl",
            "/enforcement/scope",
            "/updatePermissions",
            "/notifications",
            "/automaticActions/installOSUpdates",
            "/automaticActions/installSecurityResponse",
            "/rapidSecurityResponse/offer",
            "/beta/offeredPrograms/0/description",
            "/extra",
        ]
    );
}

const FORBIDDEN: [(&str, &str, &str); 3] = [
    (
        "userControlled",
        "alwaysOn",
        "Invalid global settings declaration: Installation is forced, but downloading is not guaranteed.",
    ),
    (
        "alwaysOff",
        "userControlled",
        "Invalid global settings declaration: Users can install updates that the Mac is not permitted to download.",
    ),
    (
        "alwaysOff",
        "alwaysOn",
        "Invalid global settings declaration: Installation cannot be forced when downloading is disabled.",
    ),
];

#[test]
fn max_version_is_an_apple_version_and_round_trips() {
    for bad in [
        json!("fifteen"),
        json!(""),
        json!("15.99.1.2"),
        json!("1000.0"),
    ] {
        only_error_at(
            &with(full_macos(), "/enforcement/maxVersion", bad),
            "/enforcement/maxVersion",
        );
    }
    let message = only_error_at(
        &with(full_macos(), "/enforcement/maxVersion", json!(15.99)),
        "/enforcement/maxVersion",
    );
    assert!(message.contains("must be a string"), "{message}");
    let document = with(full_macos(), "/enforcement/maxVersion", json!("15.99"));
    let policy = parse_policy(&document).unwrap().policy;
    assert_eq!(
        policy
            .enforcement
            .max_version
            .as_ref()
            .map(|cap| cap.as_str()),
        Some("15.99")
    );
    assert_eq!(render_policy(&policy)["enforcement"]["maxVersion"], "15.99");
    let absent = parse_policy(&full_macos()).unwrap().policy;
    assert_eq!(absent.enforcement.max_version, None);
    assert!(
        render_policy(&absent)["enforcement"]
            .get("maxVersion")
            .is_none()
    );
}
