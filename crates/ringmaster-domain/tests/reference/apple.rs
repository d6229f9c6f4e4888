//! Apple's device-management schemas (`../shared/reference/apple-device-management`), read the
//! one way the schema tests (declarations, capabilities, status items) need them.

// Each test binary that has `mod reference` compiles this; not every one reads the schemas.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The schema folder, when `../shared/reference` is beside the clone (see [`super`]).
pub(crate) fn apple_device_management() -> Option<PathBuf> {
    super::reference_path("apple-device-management")
}

/// A YAML schema file as JSON.
pub(crate) fn load_yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every YAML file under `dir`, recursively, in order.
pub(crate) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The declaration schemas of one tree, by `payload.declarationtype`.
pub(crate) fn declaration_schemas(tree: &Path) -> BTreeMap<String, Value> {
    yaml_files(&tree.join("declarative/declarations"))
        .into_iter()
        .map(|path| load_yaml(&path))
        .filter_map(|schema| {
            let kind = schema["payload"]["declarationtype"].as_str()?.to_owned();
            Some((kind, schema))
        })
        .collect()
}
