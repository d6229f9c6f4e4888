//! Unit tests for status reports: parsing and its shape errors, the per-item merge, full
//! reports, errors per item and the storage round trip; [`views`] reads the typed views of the
//! sample reports under `fixtures/status/`, [`properties`] holds the property tests.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::items::*;
use super::merge::*;
use super::report::*;
use super::views::*;
use crate::declarations::envelope::DeclarationKind;

mod properties;
mod views;

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
