//! The sample status reports under `fixtures/status/<os>/`, written by the project in the shape
//! real devices send (first report, incremental, full, errors) for macOS 13, 14, 15 and 26 and
//! iOS 16, 17 and 26: each is parsed and applied in order, and what ringmaster extracts is
//! checked: the version with any supplemental suffix, the build, the model, a
//! `softwareupdate.device-id` only where real devices send one (macOS 15, iOS 18 and later),
//! the declaration states and the errors.

use std::path::PathBuf;

use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::device_status::report::{StatusReport, parse_status_report};
use ringmaster_domain::device_status::views::{InstallState, Validity};

/// What one OS's reports hold.
struct Expected {
    dir: &'static str,
    /// The installed version as ringmaster stores it (with a supplemental suffix).
    version: &'static str,
    build: &'static str,
    supplemental_build: Option<&'static str>,
    model: &'static str,
    device_id: Option<&'static str>,
    /// Reports `softwareupdate.install-state` and friends (macOS 14, iOS 17 and later).
    software_update: bool,
    /// The version the incremental report's pending version names, when an update is enforced.
    pending: Option<&'static str>,
}

const EXPECTED: [Expected; 7] = [
    Expected {
        dir: "macos-13",
        version: "13.7.8",
        build: "22H730",
        supplemental_build: None,
        model: "Mac14,2",
        device_id: None,
        software_update: false,
        pending: None,
    },
    Expected {
        dir: "macos-14",
        version: "14.8.7",
        build: "23J520",
        supplemental_build: None,
        model: "Mac14,2",
        device_id: None,
        software_update: true,
        pending: Some("14.8.9"),
    },
    Expected {
        dir: "macos-15",
        version: "15.7.7",
        build: "24G720",
        supplemental_build: None,
        model: "Mac16,12",
        device_id: Some("J713AP"),
        software_update: true,
        pending: Some("26.3.1"),
    },
    Expected {
        dir: "macos-26",
        version: "26.3.1 (a)",
        build: "25D2128",
        supplemental_build: Some("25D771280a"),
        model: "Mac15,12",
        device_id: Some("J613AP"),
        software_update: true,
        pending: None,
    },
    Expected {
        dir: "ios-16",
        version: "16.7.16",
        build: "20H392",
        supplemental_build: None,
        model: "iPhone10,3",
        device_id: None,
        software_update: false,
        pending: None,
    },
    Expected {
        dir: "ios-17",
        version: "17.7",
        build: "21H16",
        supplemental_build: None,
        model: "iPhone14,5",
        device_id: None,
        software_update: true,
        pending: Some("26.6.1"),
    },
    Expected {
        dir: "ios-26",
        version: "26.0.1",
        build: "23A355",
        supplemental_build: None,
        model: "iPhone17,1",
        device_id: Some("iPhone17,1"),
        software_update: true,
        pending: Some("26.6.1"),
    },
];

fn read(dir: &str, file: &str) -> StatusReport {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/status")
        .join(dir)
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    parse_status_report(&bytes).unwrap_or_else(|errors| panic!("{dir}/{file}: {errors}"))
}

/// The configuration states as `(identifier, valid, active, first reason code)`.
fn configurations(status: &DeviceStatus) -> Vec<(String, String, bool, Option<String>)> {
    status
        .declarations()
        .into_iter()
        .filter(|declaration| declaration.kind.as_str() == "configuration")
        .map(|declaration| {
            (
                declaration.identifier.clone(),
                declaration.valid.as_str().to_owned(),
                declaration.active,
                declaration
                    .reasons
                    .first()
                    .map(|reason| reason.code.clone()),
            )
        })
        .collect()
}

#[test]
fn each_os_reports_what_ringmaster_extracts() {
    for expected in &EXPECTED {
        let dir = expected.dir;
        let mut status = DeviceStatus::default();

        // The first report: the whole status, before any declaration.
        let first = read(dir, "first-report.json");
        assert!(first.full_report, "{dir}");
        status.apply(first);
        let os = status.operating_system();
        let installed = os
            .installed()
            .unwrap_or_else(|| panic!("{dir}: no version"));
        assert_eq!(installed.version.as_str(), expected.version, "{dir}");
        assert_eq!(
            installed
                .supplemental_build
                .as_deref()
                .filter(|_| installed.version.is_supplemental()),
            expected.supplemental_build,
            "{dir}"
        );
        assert_eq!(os.build.as_deref(), Some(expected.build), "{dir}");
        assert_eq!(
            status.model().identifier.as_deref(),
            Some(expected.model),
            "{dir}"
        );
        let update = status.software_update();
        assert_eq!(
            update.device_id.as_deref(),
            expected.device_id,
            "{dir}: device id"
        );
        assert_eq!(
            update.install_state,
            expected.software_update.then_some(InstallState::None),
            "{dir}"
        );
        assert!(status.declarations().is_empty(), "{dir}");
        assert!(status.client_capabilities().is_some(), "{dir}");

        // Incremental: the declarations applied, the enforced update pending.
        let incremental = read(dir, "incremental.json");
        assert!(!incremental.full_report, "{dir}");
        status.apply(incremental);
        let states = configurations(&status);
        assert!(
            states
                .iter()
                .all(|(_, valid, active, _)| valid == "valid" && *active),
            "{dir}: {states:?}"
        );
        let has = |prefix: &str| states.iter().any(|(id, ..)| id.starts_with(prefix));
        assert!(has("ringmaster.status-subscriptions"), "{dir}");
        assert_eq!(
            has("ringmaster.softwareupdate.enforcement"),
            expected.pending.is_some(),
            "{dir}"
        );
        assert_eq!(
            has("ringmaster.softwareupdate.settings"),
            expected.device_id.is_some(),
            "{dir}: settings from macOS 15 / iOS 18"
        );
        let pending = status.software_update().pending_version;
        assert_eq!(
            pending
                .as_ref()
                .filter(|pending| !pending.is_none())
                .map(|pending| pending.os_version.as_str()),
            expected.pending,
            "{dir}"
        );
        // The version items were not in the incremental report: they are kept.
        assert_eq!(
            status
                .operating_system()
                .installed()
                .unwrap()
                .version
                .as_str(),
            expected.version,
            "{dir}"
        );

        // The daily full report: every item again, downloading what is enforced.
        let full = read(dir, "full-report.json");
        assert!(full.full_report, "{dir}");
        status.apply(full);
        let update = status.software_update();
        let downloading = expected
            .pending
            .is_some()
            .then_some(InstallState::Downloading);
        let idle = expected.software_update.then_some(InstallState::None);
        assert_eq!(update.install_state, downloading.or(idle), "{dir}");
        assert_eq!(update.device_id.as_deref(), expected.device_id, "{dir}");
        assert_eq!(configurations(&status).len(), states.len(), "{dir}");

        // Errors: what goes wrong on this OS.
        let errors = read(dir, "errors.json");
        let item_errors: Vec<String> = errors
            .errors
            .iter()
            .map(|error| error.status_item.clone())
            .collect();
        status.apply(errors);
        let refused: Vec<_> = configurations(&status)
            .into_iter()
            .filter(|(_, valid, ..)| valid != "valid")
            .collect();
        assert_eq!(refused.len(), 1, "{dir}: {refused:?}");
        let (identifier, valid, active, code) = &refused[0];
        assert!(!active, "{dir}");
        match (expected.software_update, expected.device_id.is_some()) {
            // Too old for any update declaration: an enforcement of an earlier server is unknown.
            (false, _) => {
                assert!(identifier.contains("enforcement"), "{dir}: {identifier}");
                assert_eq!(valid, Validity::Unknown.as_str(), "{dir}");
                assert_eq!(
                    code.as_deref(),
                    Some("Error.UnknownDeclarationType"),
                    "{dir}"
                );
                assert!(item_errors.is_empty(), "{dir}");
            }
            // Enforcement but no settings yet: settings are unknown; the install failed.
            (true, false) => {
                assert!(identifier.contains("settings"), "{dir}: {identifier}");
                assert_eq!(valid, "unknown", "{dir}");
                assert_eq!(
                    code.as_deref(),
                    Some("Error.UnknownDeclarationType"),
                    "{dir}"
                );
                let update = status.software_update();
                assert_eq!(update.install_state, Some(InstallState::Failed), "{dir}");
                assert_eq!(update.failure_reason.map(|failure| failure.count), Some(1));
            }
            // Settings known but refused, and an item the device could not report.
            (true, true) => {
                assert_eq!(valid, "invalid", "{dir}");
                assert_eq!(
                    code.as_deref(),
                    Some("Error.ConfigurationIsInvalid"),
                    "{dir}"
                );
                assert_eq!(item_errors, vec!["softwareupdate.beta-enrollment"], "{dir}");
            }
        }
    }
}
