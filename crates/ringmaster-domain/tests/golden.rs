//! Golden files: what Jamf Pro is served for each title fixture, byte for byte.
//!
//! Each fixture under `fixtures/titles/` is parsed, stored as a new record at
//! [`LAST_MODIFIED`], and rendered with `render::feed_title` and `render::feed_summary`; the
//! pretty-printed JSON must equal `fixtures/golden/<Title>.feed.json` and
//! `<Title>.summary.json`. After an intended change to the wire, regenerate them with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test -p ringmaster-domain --test golden
//! ```
//!
//! and review the diff. Jamf's rules are also checked directly here, so a regenerated golden file
//! cannot quietly break them.

use std::path::PathBuf;

use ringmaster_domain::json_write;
use ringmaster_domain::title::model::SoftwareTitle;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::{edit, parse, render};
use ringmaster_testing::golden;
use ringmaster_testing::json::null_pointers;
use serde_json::Value;

/// The `lastModified` every golden record is stored with.
const LAST_MODIFIED: &str = "2026-01-02T03:04:05Z";

/// The title fixtures that have golden files.
const TITLES: [&str; 2] = ["JamfAdmin", "JavaSEDevelopmentKit8"];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn raw_fixture(name: &str) -> Value {
    serde_json::from_slice(&read(&fixtures().join(format!("titles/{name}.json")))).unwrap()
}

fn parsed_fixture(name: &str) -> SoftwareTitle {
    parse::software_title_from_slice(&read(&fixtures().join(format!("titles/{name}.json"))))
        .unwrap_or_else(|errors| panic!("fixtures/titles/{name}.json:\n{errors}"))
}

fn new_record(name: &str) -> TitleRecord {
    TitleRecord::new(parsed_fixture(name), LAST_MODIFIED.parse().unwrap())
}

/// Compares `rendered`, written as the server writes JSON (`json_write::to_vec`, which
/// `ringmaster_testing::golden` is checked against here), with the golden file.
fn check_golden(file: &str, rendered: &Value) {
    let written = String::from_utf8(json_write::to_vec(rendered).unwrap()).unwrap();
    assert_eq!(
        written,
        golden::pretty_json(rendered),
        "json_write and the golden files write JSON alike"
    );
    golden::check_json(file, rendered);
}

#[test]
fn feeds_match_their_golden_files() {
    for name in TITLES {
        let record = new_record(name);
        check_golden(&format!("{name}.feed.json"), &render::feed_title(&record));
        check_golden(
            &format!("{name}.summary.json"),
            &render::feed_summary(&record),
        );
    }
}

fn is_strict_release_date(text: &str) -> bool {
    // YYYY-MM-DDTHH:MM:SS, optional .fff, Z
    let bytes = text.as_bytes();
    let shape = |at: usize, expected: &str| text.get(at..at + expected.len()) == Some(expected);
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let head = digits(0..4)
        && shape(4, "-")
        && digits(5..7)
        && shape(7, "-")
        && digits(8..10)
        && shape(10, "T")
        && digits(11..13)
        && shape(13, ":")
        && digits(14..16)
        && shape(16, ":")
        && digits(17..19);
    let tail = &text[19.min(text.len())..];
    head && (tail == "Z"
        || (tail.len() == 5 && tail.starts_with('.') && digits(20..23) && tail.ends_with('Z')))
}

#[test]
fn the_served_feeds_keep_jamfs_rules() {
    for name in TITLES {
        let raw = raw_fixture(name);
        let record = new_record(name);
        let feed = render::feed_title(&record);
        let summary = render::feed_summary(&record);

        assert_eq!(
            null_pointers(&feed),
            Vec::<String>::new(),
            "{name}: no null is served"
        );
        assert_eq!(
            null_pointers(&summary),
            Vec::<String>::new(),
            "{name}: no null is served"
        );
        assert_eq!(feed["lastModified"], LAST_MODIFIED, "{name}");
        assert_eq!(
            feed["currentVersion"], feed["patches"][0]["version"],
            "{name}: currentVersion is the first patch"
        );
        assert_eq!(feed["currentVersion"], raw["currentVersion"], "{name}");
        for key in ["name", "publisher", "lastModified", "currentVersion", "id"] {
            assert_eq!(
                summary[key], feed[key],
                "{name}: the summary agrees on {key}"
            );
            assert!(
                !summary[key].as_str().unwrap().is_empty(),
                "{name}: {key} is empty"
            );
        }

        let raw_patches = raw["patches"].as_array().unwrap();
        let patches = feed["patches"].as_array().unwrap();
        assert_eq!(patches.len(), raw_patches.len(), "{name}");
        for (served, given) in patches.iter().zip(raw_patches) {
            assert_eq!(
                served["version"], given["version"],
                "{name}: versions are untouched"
            );
            assert_eq!(
                served["components"], given["components"],
                "{name}: components are untouched"
            );
            let date = served["releaseDate"].as_str().unwrap();
            assert!(
                is_strict_release_date(date),
                "{name}: releaseDate {date:?} is not strict"
            );
            let given_date: jiff::Timestamp =
                ringmaster_domain::jamf_time::parse_loose(given["releaseDate"].as_str().unwrap())
                    .unwrap();
            assert_eq!(
                date.parse::<jiff::Timestamp>().unwrap(),
                given_date,
                "{name}: same instant"
            );
        }
        for key in [
            "name",
            "publisher",
            "requirements",
            "extensionAttributes",
            "id",
        ] {
            assert_eq!(feed[key], raw[key], "{name}: {key} is served as given");
        }
    }
}

#[test]
fn every_fixture_round_trips_through_its_definition() {
    for name in TITLES {
        let record = new_record(name);
        let definition = render::definition(&record);
        let again = parse::software_title(&definition).unwrap_or_else(|errors| {
            panic!("{name}: the rendered definition is refused:\n{errors}")
        });
        assert_eq!(again, record.definition, "{name}");
        assert_eq!(
            definition["appName"],
            raw_fixture(name)["appName"],
            "{name}: null stays null"
        );
    }
}

#[test]
fn the_version_fixture_becomes_the_new_current_version_of_jamf_admin() {
    let patch = parse::patch_from_slice(&read(&fixtures().join("versions/JamfAdmin-10.3.0.json")))
        .unwrap_or_else(|errors| panic!("fixtures/versions/JamfAdmin-10.3.0.json:\n{errors}"));
    let mut record = new_record("JamfAdmin");
    parse::check_patch_against_title(&patch, &record.definition).unwrap();
    let now: jiff::Timestamp = "2026-01-02T03:30:00Z".parse().unwrap();
    assert_eq!(
        edit::add_patch(
            &mut record,
            patch.clone(),
            edit::Placement::VersionOrder,
            now
        ),
        Ok(edit::Outcome::Changed)
    );
    let feed = render::feed_title(&record);
    assert_eq!(feed["currentVersion"], "10.3.0");
    assert_eq!(feed["lastModified"], "2026-01-02T03:30:00Z");
    assert_eq!(feed["patches"][0], render::patch(&patch));
    assert_eq!(
        edit::add_patch(&mut record, patch, edit::Placement::VersionOrder, now),
        Err(edit::TitleEditError::VersionExists("10.3.0".into())),
        "posting the same version again is a conflict (AutoPkg reads it as already there)"
    );
}

#[test]
fn the_invalid_fixture_is_refused() {
    let errors = parse::software_title_from_slice(&read(
        &fixtures().join("titles/invalid/StringBooleans.json"),
    ))
    .expect_err("fixtures/titles/invalid/StringBooleans.json must be refused");
    assert_eq!(errors.len(), 8, "{errors}");
}
