//! Unit and property tests for status reports: parsing and its shape errors, the per-item merge,
//! full reports, errors per item, the storage round trip, and the typed views on the sample
//! reports under `fixtures/status/`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::items::*;
use super::merge::*;
use super::report::*;
use super::views::*;
use crate::declarations::envelope::DeclarationKind;

const MACOS_FULL_REPORT: &str = include_str!("../../../../fixtures/status/macos-full-report.json");
const IOS_INCREMENTAL_REPORT: &str =
    include_str!("../../../../fixtures/status/ios-incremental-report.json");

fn parse(value: &Value) -> StatusReport {
    parse_status_report(value.to_string().as_bytes()).expect("a well-shaped report")
}

fn report(items: &[(&str, Value)], full_report: bool) -> StatusReport {
    parse(&report_json(items, full_report))
}

fn with_errors(mut report: StatusReport, errors: &[(&str, &str)]) -> StatusReport {
    report.errors = errors
        .iter()
        .map(|(item, code)| StatusItemError {
            status_item: (*item).to_owned(),
            reasons: vec![StatusReason {
                code: (*code).to_owned(),
                description: None,
                details: None,
            }],
        })
        .collect();
    report
}

fn status_from(reports: impl IntoIterator<Item = StatusReport>) -> DeviceStatus {
    let mut status = DeviceStatus::default();
    for report in reports {
        status.apply(report);
    }
    status
}

fn pointers(body: &str) -> Vec<String> {
    parse_status_report(body.as_bytes())
        .expect_err("a refused report")
        .iter()
        .map(|error| error.pointer.clone())
        .collect()
}

/// An iPhone's stored state before the incremental fixture: on 26.0.1, enforced to 26.1.
fn ios_stored_state() -> DeviceStatus {
    let full = report(
        &[
            (MODEL_FAMILY, json!("iPhone")),
            (MODEL_IDENTIFIER, json!("iPhone17,1")),
            (MODEL_MARKETING_NAME, json!("iPhone 16 Pro")),
            (OS_FAMILY, json!("iOS")),
            (OS_VERSION, json!("26.0.1")),
            (OS_BUILD_VERSION, json!("23A355")),
            (INSTALL_STATE, json!("downloading")),
            (
                PENDING_VERSION,
                json!({
                    "os-version": "26.1",
                    "build-version": "23B85",
                    "target-local-date-time": "2025-11-10T09:00:00",
                }),
            ),
            (DEVICE_ID, json!("iPhone17,1")),
            (BETA_ENROLLMENT, json!("")),
        ],
        true,
    );
    status_from([with_errors(full, &[(FAILURE_REASON, "Error.Internal")])])
}

#[test]
fn report_json_nests_dotted_names_into_apples_tree() {
    let built = report_json(
        &[
            (INSTALL_STATE, json!("downloading")),
            (OS_SUPPLEMENTAL_EXTRA_VERSION, json!("(a)")),
            (OS_VERSION, json!("26.1")),
            (INSTALL_STATE, json!("prepared")),
        ],
        false,
    );
    assert_eq!(
        built,
        json!({
            "StatusItems": {
                "softwareupdate": { "install-state": "prepared" },
                "device": { "operating-system": {
                    "supplemental": { "extra-version": "(a)" },
                    "version": "26.1",
                } },
            },
            "Errors": [],
            "FullReport": false,
        })
    );
}

#[test]
fn known_object_items_are_one_item_and_unknown_objects_are_descended() {
    let tree = report_json(
        &[
            (
                PENDING_VERSION,
                json!({ "os-version": "26.2", "build-version": "25C56" }),
            ),
            ("vendor.widget", json!({ "color": "blue", "size": [1, 2] })),
            (DECLARATIONS, json!({})),
        ],
        false,
    );
    let names = item_names(tree["StatusItems"].as_object().unwrap());
    assert_eq!(
        names,
        [
            PENDING_VERSION,
            "vendor.widget.color",
            "vendor.widget.size",
            DECLARATIONS,
        ]
    );
}

#[test]
fn incremental_reports_replace_touched_items_whole_and_keep_the_rest() {
    let mut status = status_from([report(
        &[
            (OS_VERSION, json!("26.1")),
            (INSTALL_STATE, json!("downloading")),
            (
                PENDING_VERSION,
                json!({
                    "os-version": "26.2",
                    "build-version": "25C56",
                    "target-local-date-time": "2025-12-26T17:00:00",
                }),
            ),
        ],
        true,
    )]);
    status.apply(report(
        &[(
            PENDING_VERSION,
            json!({ "os-version": "26.2", "build-version": "25C56" }),
        )],
        false,
    ));
    assert_eq!(
        status.item(PENDING_VERSION),
        Some(&json!({ "os-version": "26.2", "build-version": "25C56" })),
        "the key the device dropped is gone"
    );
    assert_eq!(status.item(OS_VERSION), Some(&json!("26.1")));
    assert_eq!(status.item(INSTALL_STATE), Some(&json!("downloading")));
    let pending = status.software_update().pending_version.unwrap();
    assert_eq!(pending.target_local_date_time, None);
    assert!(!pending.is_none());
}

#[test]
fn a_full_report_replaces_everything() {
    let mut status = status_from([with_errors(
        report(
            &[
                (OS_VERSION, json!("26.1")),
                (INSTALL_STATE, json!("failed")),
            ],
            false,
        ),
        &[(DEVICE_ID, "Error.Unavailable")],
    )]);
    status.apply(report(&[(OS_VERSION, json!("26.2"))], true));
    assert_eq!(status.item_names(), [OS_VERSION]);
    assert_eq!(status.item(OS_VERSION), Some(&json!("26.2")));
    assert_eq!(status.item(INSTALL_STATE), None);
    assert!(status.errors.is_empty());
}

#[test]
fn unknown_items_keys_and_values_are_kept() {
    let body = json!({
        "StatusItems": {
            "softwareupdate": {
                "install-state": "paused",
                "pending-version": { "os-version": "26.2", "build-version": "25C56", "channel": "rc" },
            },
            "diskmanagement": { "filevault": { "enabled": true } },
            "future": { "list": [{ "a": 1 }] },
        },
        "Errors": [],
        "Surprise": 1,
    });
    let status = status_from([parse(&body)]);
    assert_eq!(
        status.software_update().install_state,
        Some(InstallState::Other("paused".into()))
    );
    assert_eq!(
        status
            .item("softwareupdate.pending-version")
            .and_then(|pending| pending.get("channel")),
        Some(&json!("rc"))
    );
    assert_eq!(
        status.item("diskmanagement.filevault.enabled"),
        Some(&json!(true))
    );
    assert_eq!(status.item("future.list"), Some(&json!([{ "a": 1 }])));
    assert_eq!(status.to_json()["StatusItems"], body["StatusItems"]);
}

#[test]
fn errors_are_replaced_per_item() {
    let mut status = status_from([with_errors(
        report(&[], false),
        &[(BETA_ENROLLMENT, "Error.One"), (DEVICE_ID, "Error.Two")],
    )]);
    status.apply(with_errors(
        report(&[], false),
        &[
            (BETA_ENROLLMENT, "Error.Three"),
            (FAILURE_REASON, "Error.Four"),
        ],
    ));
    let codes: BTreeMap<&str, &str> = status
        .errors
        .iter()
        .map(|error| (error.status_item.as_str(), error.reasons[0].code.as_str()))
        .collect();
    assert_eq!(
        codes,
        BTreeMap::from([
            (BETA_ENROLLMENT, "Error.Three"),
            (DEVICE_ID, "Error.Two"),
            (FAILURE_REASON, "Error.Four"),
        ])
    );
    assert_eq!(status.errors.len(), 3);

    // Reporting the item again clears its error; a failing item keeps its last value.
    status.apply(report(&[(DEVICE_ID, json!("J413AP"))], false));
    assert!(
        status
            .errors
            .iter()
            .all(|error| error.status_item != DEVICE_ID)
    );
    status.apply(with_errors(
        report(&[], false),
        &[(DEVICE_ID, "Error.Again")],
    ));
    assert_eq!(status.item(DEVICE_ID), Some(&json!("J413AP")));
}

#[test]
fn wrong_shapes_are_refused_with_pointers() {
    assert_eq!(pointers("{"), [""]);
    assert_eq!(pointers("[]"), [""]);
    assert_eq!(pointers(r#"{"StatusItems": []}"#), ["/StatusItems"]);
    assert_eq!(pointers(r#"{"StatusItems": null}"#), ["/StatusItems"]);
    assert_eq!(pointers(r#"{"Errors": {}}"#), ["/Errors"]);
    assert_eq!(
        pointers(r#"{"Errors": [{"StatusItem": 3}, "x", {"Reasons": []}]}"#),
        ["/Errors/0/StatusItem", "/Errors/1", "/Errors/2/StatusItem"]
    );
    assert_eq!(pointers(r#"{"FullReport": "true"}"#), ["/FullReport"]);
    assert_eq!(
        pointers(r#"{"StatusItems": 1, "Errors": [{}], "FullReport": 0}"#),
        ["/StatusItems", "/Errors/0/StatusItem", "/FullReport"]
    );
    let message = parse_status_report(br#"{"FullReport": "yes"}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "/FullReport: expected a boolean, not the string \"yes\""
    );
}

#[test]
fn lenient_parts_are_read_leniently() {
    let parsed = parse_status_report(
        br#"{"Errors": [{"StatusItem": "a.b", "Reasons": [{"Code": "E", "Description": 7, "Details": [1]}, {"Description": "no code"}, 5], "Extra": true}]}"#,
    )
    .unwrap();
    assert!(parsed.items.is_empty());
    assert!(!parsed.full_report);
    assert_eq!(
        parsed.errors,
        [StatusItemError {
            status_item: "a.b".into(),
            reasons: vec![StatusReason {
                code: "E".into(),
                description: None,
                details: Some(json!([1])),
            }],
        }]
    );
    let not_a_list = parse_status_report(br#"{"Errors": [{"StatusItem": "a", "Reasons": {}}]}"#);
    assert_eq!(not_a_list.unwrap().errors[0].reasons, []);
}

#[test]
fn storage_json_round_trips() {
    let mut status = status_from([parse(&serde_json::from_str(MACOS_FULL_REPORT).unwrap())]);
    status.apply(parse(&json!({
        "StatusItems": {},
        "Errors": [
            { "StatusItem": BETA_ENROLLMENT, "Reasons": [
                { "Code": "Error.A", "Description": "why", "Details": { "k": [1, null] } },
                { "Code": "Error.B", "Details": null },
            ] },
            { "StatusItem": DEVICE_ID },
        ],
    })));
    let stored = status.to_json();
    assert_eq!(stored.as_object().unwrap().len(), 2);
    assert_eq!(DeviceStatus::from_json(&stored), Ok(status.clone()));
    let through_text: Value = serde_json::from_str(&stored.to_string()).unwrap();
    assert_eq!(DeviceStatus::from_json(&through_text), Ok(status));
    assert_eq!(
        DeviceStatus::from_json(&json!({})),
        Ok(DeviceStatus::default())
    );
    let refused = DeviceStatus::from_json(&json!({ "StatusItems": [] })).unwrap_err();
    assert!(refused.contains("/StatusItems"), "{refused}");
}

#[test]
fn typed_views_read_a_macos_full_report() {
    let status = status_from([parse_status_report(MACOS_FULL_REPORT.as_bytes()).unwrap()]);
    assert_eq!(
        status.software_update(),
        SoftwareUpdateStatus {
            install_state: Some(InstallState::Downloading),
            pending_version: Some(PendingVersion {
                os_version: "26.2".into(),
                build_version: "25C56".into(),
                target_local_date_time: Some("2025-12-26T17:00:00".into()),
            }),
            failure_reason: Some(FailureReason {
                count: 0,
                reason: None,
                timestamp: None,
            }),
            install_reason: Some(InstallReason {
                reasons: vec!["declaration".into()],
                declaration_id: Some("ringmaster.softwareupdate.enforcement.26.2".into()),
            }),
            device_id: Some("J413AP".into()),
            beta_enrollment: Some(String::new()),
        }
    );
    let pending = status.software_update().pending_version.unwrap();
    assert_eq!(
        pending.target_civil_date_time(),
        Some(jiff::civil::date(2025, 12, 26).at(17, 0, 0, 0))
    );
    assert_eq!(
        status.operating_system(),
        OperatingSystemStatus {
            family: Some("macOS".into()),
            version: Some("26.1".into()),
            build: Some("25B78".into()),
            supplemental_build: Some("25B78".into()),
            supplemental_extra: Some(String::new()),
            marketing_name: Some("macOS Tahoe".into()),
        }
    );
    assert_eq!(
        status.model(),
        ModelStatus {
            identifier: Some("Mac14,2".into()),
            family: Some("Mac".into()),
            marketing_name: Some("MacBook Air (M2, 2022)".into()),
        }
    );
    let declarations = status.declarations();
    let summary: Vec<(DeclarationKind, &str, bool, &Validity)> = declarations
        .iter()
        .map(|d| (d.kind, d.identifier.as_str(), d.active, &d.valid))
        .collect();
    assert_eq!(
        summary,
        [
            (
                DeclarationKind::Activation,
                "ringmaster.activation",
                true,
                &Validity::Valid
            ),
            (
                DeclarationKind::Configuration,
                "ringmaster.softwareupdate.settings",
                true,
                &Validity::Valid
            ),
            (
                DeclarationKind::Configuration,
                "ringmaster.softwareupdate.enforcement.26.2",
                true,
                &Validity::Valid
            ),
            (
                DeclarationKind::Configuration,
                "ringmaster.status-subscriptions",
                true,
                &Validity::Valid
            ),
        ]
    );
    assert_eq!(
        declarations[1].server_token,
        "a3c91f0e27b84d5c9e6f1a2b3c4d5e6f"
    );
    assert!(declarations.iter().all(|d| d.reasons.is_empty()));
    let capabilities = status.client_capabilities().unwrap();
    assert_eq!(capabilities["supported-versions"], json!(["1.0.0"]));
    assert_eq!(
        capabilities["supported-payloads"]["status-items"]
            .as_array()
            .unwrap()
            .len(),
        KNOWN_STATUS_ITEMS.len()
    );
    assert_eq!(status.item(SERIAL_NUMBER), Some(&json!("C02FK3XHQ6LR")));
    let mut names = status.item_names();
    names.sort();
    assert_eq!(
        names, KNOWN_STATUS_ITEMS,
        "the sample sends every known item"
    );
}

#[test]
fn typed_views_follow_an_ios_incremental_report() {
    let mut status = ios_stored_state();
    let incremental = parse_status_report(IOS_INCREMENTAL_REPORT.as_bytes()).unwrap();
    assert!(!incremental.full_report);
    status.apply(incremental);

    let update = status.software_update();
    assert_eq!(update.install_state, Some(InstallState::Waiting));
    assert_eq!(
        update.pending_version,
        Some(PendingVersion {
            os_version: "26.1".into(),
            build_version: "23B85".into(),
            target_local_date_time: None,
        })
    );
    assert_eq!(update.device_id.as_deref(), Some("iPhone17,1"), "untouched");
    assert_eq!(
        update.beta_enrollment.as_deref(),
        Some(""),
        "failing now, last value kept"
    );
    assert_eq!(status.operating_system().version.as_deref(), Some("26.0.1"));
    assert_eq!(status.operating_system().family.as_deref(), Some("iOS"));
    assert_eq!(status.model().identifier.as_deref(), Some("iPhone17,1"));

    let declarations = status.declarations();
    assert_eq!(declarations.len(), 3);
    let settings = &declarations[1];
    assert_eq!(settings.kind, DeclarationKind::Configuration);
    assert_eq!(settings.identifier, "ringmaster.softwareupdate.settings");
    assert!(!settings.active);
    assert_eq!(settings.valid, Validity::Invalid);
    assert_eq!(settings.reasons.len(), 1);
    assert_eq!(settings.reasons[0].code, "Error.ConfigurationIsInvalid");
    assert!(settings.reasons[0].description.is_some());
    assert_eq!(
        settings.reasons[0].details.as_ref().unwrap()["Identifier"],
        "ringmaster.softwareupdate.settings"
    );
    assert_eq!(declarations[2].valid, Validity::Unknown);

    let mut failing: Vec<&str> = status
        .errors
        .iter()
        .map(|e| e.status_item.as_str())
        .collect();
    failing.sort_unstable();
    assert_eq!(failing, [BETA_ENROLLMENT, FAILURE_REASON]);
    assert_eq!(
        status
            .errors
            .iter()
            .find(|e| e.status_item == BETA_ENROLLMENT)
            .unwrap()
            .reasons[0]
            .code,
        "Error.StatusItemNotAvailable"
    );
}

#[test]
fn typed_views_treat_wrong_types_as_absent() {
    let status = status_from([report(
        &[
            (INSTALL_STATE, json!(5)),
            (PENDING_VERSION, json!("26.2")),
            (
                FAILURE_REASON,
                json!({ "count": "two", "reason": 3, "timestamp": "yesterday" }),
            ),
            (
                INSTALL_REASON,
                json!({ "reason": "mdm", "declaration-id": false }),
            ),
            (DEVICE_ID, json!(null)),
            (BETA_ENROLLMENT, json!([])),
            (OS_VERSION, json!(26.1)),
            (MODEL_IDENTIFIER, json!({ "x": 1 })),
            (
                DECLARATIONS,
                json!({
                    "activations": "none",
                    "configurations": [
                        5,
                        { "server-token": "no identifier" },
                        { "identifier": "x", "active": "yes", "valid": 1, "reasons": [{ "code": 1 }, { "code": "E" }] },
                    ],
                    "assets": [{ "identifier": "asset", "valid": "revoked" }],
                }),
            ),
        ],
        true,
    )]);
    let update = status.software_update();
    assert_eq!(
        update,
        SoftwareUpdateStatus {
            install_state: None,
            pending_version: None,
            failure_reason: Some(FailureReason {
                count: 0,
                reason: None,
                timestamp: Some("yesterday".into()),
            }),
            install_reason: Some(InstallReason::default()),
            device_id: None,
            beta_enrollment: None,
        }
    );
    assert_eq!(update.failure_reason.unwrap().timestamp_instant(), None);
    assert_eq!(status.operating_system(), OperatingSystemStatus::default());
    assert_eq!(status.model(), ModelStatus::default());
    assert_eq!(
        status.declarations(),
        [
            DeclarationStatus {
                kind: DeclarationKind::Configuration,
                identifier: "x".into(),
                server_token: String::new(),
                active: false,
                valid: Validity::Unknown,
                reasons: vec![StatusReason {
                    code: "E".into(),
                    description: None,
                    details: None,
                }],
            },
            DeclarationStatus {
                kind: DeclarationKind::Asset,
                identifier: "asset".into(),
                server_token: String::new(),
                active: false,
                valid: Validity::Other("revoked".into()),
                reasons: Vec::new(),
            },
        ]
    );
    let empty = DeviceStatus::default();
    assert_eq!(empty.software_update(), SoftwareUpdateStatus::default());
    assert!(empty.declarations().is_empty());
    assert_eq!(empty.client_capabilities(), None);
}

#[test]
fn enum_strings_round_trip() {
    for text in [
        "none",
        "waiting",
        "downloading",
        "prepared",
        "installing",
        "failed",
        "later",
    ] {
        assert_eq!(InstallState::parse(text).as_str(), text);
        assert_eq!(InstallState::parse(text).to_string(), text);
    }
    assert_eq!(
        InstallState::parse("None"),
        InstallState::Other("None".into())
    );
    for text in ["valid", "invalid", "unknown", "pending"] {
        assert_eq!(Validity::parse(text).as_str(), text);
    }
    assert!(PendingVersion::default().is_none());
    let failure = FailureReason {
        count: 2,
        reason: Some("not enough space".into()),
        timestamp: Some("2025-12-20T08:15:00Z".into()),
    };
    assert_eq!(
        failure.timestamp_instant(),
        Some("2025-12-20T08:15:00Z".parse().unwrap())
    );
}

// ---- property tests ----

/// Item names without prefix conflicts: every known item, and unknown leaves beside them.
const UNKNOWN_ITEMS: [&str; 5] = [
    "vendor.alpha",
    "vendor.beta.gamma",
    "test.leaf",
    "device.operating-system.codename",
    "softwareupdate.future-item",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z0-9.-]{0,8}".prop_map(Value::String),
    ]
}

/// Any value but an object (what an unknown item can be and still be one item).
fn arb_non_object() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_leaf(),
        1 => prop::collection::vec(arb_leaf(), 0..3).prop_map(Value::Array),
    ]
}

fn arb_any() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => arb_non_object(),
        2 => prop::collection::btree_map("[a-z-]{1,8}", arb_non_object(), 0..4)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
    ]
}

fn arb_item() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        (prop::sample::select(KNOWN_STATUS_ITEMS.to_vec()), arb_any())
            .prop_map(|(name, value)| (name.to_owned(), value)),
        (
            prop::sample::select(UNKNOWN_ITEMS.to_vec()),
            arb_non_object()
        )
            .prop_map(|(name, value)| (name.to_owned(), value)),
    ]
}

fn arb_error() -> impl Strategy<Value = (String, String)> {
    let names: Vec<&str> = KNOWN_STATUS_ITEMS
        .iter()
        .chain(&UNKNOWN_ITEMS)
        .copied()
        .collect();
    (prop::sample::select(names), "Error\\.[A-C]").prop_map(|(name, code)| (name.to_owned(), code))
}

#[derive(Debug, Clone)]
struct Sent {
    items: Vec<(String, Value)>,
    errors: Vec<(String, String)>,
    full_report: bool,
}

impl Sent {
    fn report(&self) -> StatusReport {
        let items: Vec<(&str, Value)> = self
            .items
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        let errors: Vec<(&str, &str)> = self
            .errors
            .iter()
            .map(|(name, code)| (name.as_str(), code.as_str()))
            .collect();
        let built = with_errors(report(&items, self.full_report), &errors);
        // Through the wire and back, as a device would send it.
        parse(&built.to_json())
    }
}

fn arb_sent(full_report: bool) -> impl Strategy<Value = Sent> {
    (
        prop::collection::vec(arb_item(), 0..6),
        prop::collection::vec(arb_error(), 0..3),
    )
        .prop_map(move |(items, errors)| Sent {
            items,
            errors,
            full_report,
        })
}

/// Errors as a comparable multiset.
fn sorted_errors(errors: &[StatusItemError]) -> Vec<String> {
    let mut texts: Vec<String> = errors.iter().map(|e| e.to_json().to_string()).collect();
    texts.sort();
    texts
}

proptest! {
    #[test]
    fn merging_equals_replaying_items_in_order(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..5),
    ) {
        let mut status = DeviceStatus::default();
        let mut items: BTreeMap<String, Value> = BTreeMap::new();
        let mut errors: BTreeMap<String, Vec<StatusItemError>> = BTreeMap::new();
        for sent in std::iter::once(&full).chain(&incrementals) {
            let report = sent.report();
            if sent.full_report {
                items.clear();
                errors.clear();
            }
            for (name, _) in &sent.items {
                errors.remove(name);
            }
            for (name, _) in &sent.errors {
                errors.remove(name);
            }
            for error in &report.errors {
                errors.entry(error.status_item.clone()).or_default().push(error.clone());
            }
            items.extend(sent.items.iter().cloned());
            status.apply(report);
        }
        let model: Vec<(&str, Value)> =
            items.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
        let expected = report_json(&model, false);
        prop_assert_eq!(&Value::Object(status.items.clone()), &expected["StatusItems"]);
        for (name, value) in &items {
            prop_assert_eq!(status.item(name), Some(value));
        }
        let expected_errors: Vec<StatusItemError> = errors.into_values().flatten().collect();
        prop_assert_eq!(sorted_errors(&status.errors), sorted_errors(&expected_errors));
        prop_assert_eq!(DeviceStatus::from_json(&status.to_json()), Ok(status));
    }

    #[test]
    fn an_empty_incremental_report_changes_nothing(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..3),
    ) {
        let mut status = status_from(
            std::iter::once(&full).chain(&incrementals).map(Sent::report),
        );
        let before = status.clone();
        status.apply(parse_status_report(br#"{"StatusItems": {}, "Errors": []}"#).unwrap());
        prop_assert_eq!(&status, &before);
        status.apply(parse_status_report(b"{}").unwrap());
        prop_assert_eq!(status, before);
    }

    #[test]
    fn applying_a_report_twice_equals_once(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..3),
        again in prop_oneof![arb_sent(false), arb_sent(true)],
    ) {
        let mut status = status_from(
            std::iter::once(&full).chain(&incrementals).map(Sent::report),
        );
        status.apply(again.report());
        let once = status.clone();
        status.apply(again.report());
        prop_assert_eq!(status, once);
    }
}
