//! Helpers for the unit tests of the title modules: small titles built from JSON,
//! the repository's fixture files (`fixtures/`), and timestamps.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::title::model::{Patch, SoftwareTitle};
use crate::title::parse;
use crate::title::record::TitleRecord;

/// When test records are first stored (the instant the golden files are rendered at).
pub(crate) const T0: &str = "2026-01-02T03:04:05Z";

pub(crate) fn at(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|error| panic!("{text:?}: {error}"))
}

/// The bytes of a file under the repository's `fixtures/` folder.
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

/// A title fixture under `fixtures/titles/`, parsed.
pub(crate) fn fixture_title(name: &str) -> SoftwareTitle {
    parse::software_title_from_slice(&fixture(&format!("titles/{name}.json")))
        .unwrap_or_else(|errors| panic!("{name}: {errors}"))
}

/// A valid patch object for `version`, detected by bundle id and version.
pub(crate) fn patch_json(version: &str) -> Value {
    json!({
        "version": version,
        "releaseDate": "2025-06-01T12:00:00.125Z",
        "standalone": true,
        "minimumOperatingSystem": "13.0",
        "reboot": false,
        "killApps": [{"bundleId": "org.example.Tool", "appName": "Tool.app"}],
        "components": [{
            "name": "Tool",
            "version": version,
            "criteria": [
                {"name": "Application Bundle ID", "operator": "is", "value": "org.example.Tool", "type": "recon", "and": true},
                {"name": "Application Version", "operator": "is", "value": version, "type": "recon"}
            ]
        }],
        "capabilities": [
            {"name": "Operating System Version", "operator": "greater than or equal", "value": "13.0", "type": "recon"}
        ],
        "dependencies": []
    })
}

pub(crate) fn patch(version: &str) -> Patch {
    parse::patch_from_slice(patch_json(version).to_string().as_bytes())
        .unwrap_or_else(|errors| panic!("{version}: {errors}"))
}

/// A valid title `Tool` with one patch per version, newest first as given.
pub(crate) fn title_json(versions: &[&str]) -> Value {
    json!({
        "name": "Tool",
        "publisher": "Example",
        "appName": "Tool.app",
        "bundleId": "org.example.Tool",
        "lastModified": "2025-06-02T08:00:00Z",
        "currentVersion": versions.first().copied().unwrap_or("none"),
        "requirements": [
            {"name": "Application Bundle ID", "operator": "is", "value": "org.example.Tool", "type": "recon", "and": true}
        ],
        "patches": versions.iter().map(|version| patch_json(version)).collect::<Vec<_>>(),
        "extensionAttributes": [],
        "id": "Tool"
    })
}

pub(crate) fn title(versions: &[&str]) -> SoftwareTitle {
    parse::software_title(&title_json(versions)).unwrap_or_else(|errors| panic!("{errors}"))
}

/// A new record of [`title`], stored at [`T0`].
pub(crate) fn record(versions: &[&str]) -> TitleRecord {
    TitleRecord::new(title(versions), at(T0))
}

/// The versions of a record's definition, in order.
pub(crate) fn versions(record: &TitleRecord) -> Vec<&str> {
    record
        .definition
        .patches
        .iter()
        .map(|patch| patch.version.as_str())
        .collect()
}
