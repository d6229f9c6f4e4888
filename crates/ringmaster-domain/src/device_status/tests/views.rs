//! The typed views over status reports: the sample macOS full report and iOS incremental report
//! under `fixtures/status/`, wrong types read as absent, and the enum strings.

use super::*;

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
