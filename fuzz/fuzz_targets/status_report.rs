//! Fuzzes the DDM status-report parser (`PUT /ddm/status`, the `status` check-in endpoint).
//!
//! Properties: nothing panics; a report that parses writes out (`to_json`) to a report that
//! parses back to the same; it merges into an empty status and into a stored full report, and
//! the merged status reads back from its stored form and yields its typed views.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::device_status::report::{parse_status_report, parse_status_report_value};

/// A stored status to merge incremental reports into (a small full report).
const STORED: &[u8] = br#"{"StatusItems":{"device":{"model":{"family":"Mac","identifier":"Mac14,2"},
"operating-system":{"version":"26.1","build-version":"25B78"}},
"softwareupdate":{"install-state":"downloading","pending-version":{"os-version":"26.2"}},
"management":{"declarations":{"configurations":[{"identifier":"a","active":true,"valid":"valid",
"server-token":"t"}]}}},"Errors":[{"StatusItem":"softwareupdate.beta-enrollment"}],"FullReport":true}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = parse_status_report(data) else {
        return;
    };
    let written = report.to_json();
    let reparsed = parse_status_report_value(&written)
        .unwrap_or_else(|errors| panic!("a written report is refused: {errors}"));
    assert_eq!(reparsed, report, "report does not round-trip");

    let mut fresh = DeviceStatus::default();
    fresh.apply(report.clone());
    let mut stored = DeviceStatus::default();
    stored.apply(parse_status_report(STORED).expect("the stored sample parses"));
    stored.apply(report);
    for status in [fresh, stored] {
        let read_back = DeviceStatus::from_json(&status.to_json())
            .unwrap_or_else(|why| panic!("a stored status is refused: {why}"));
        assert_eq!(read_back, status, "stored status does not round-trip");
        let _ = status.software_update();
        let _ = status.operating_system();
        let _ = status.model();
        let _ = status.declarations();
        let _ = status.item_names();
    }
});
