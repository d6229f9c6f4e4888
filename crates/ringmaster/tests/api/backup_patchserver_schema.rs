//! Every file of a `?format=patchserver` backup passes PatchServer's own restore check: its
//! full-definition JSON schema (`../shared/reference/jamf-patch-schema-full-definition.patchserver.json`,
//! which uses only `type`, `properties`, `required` and `items`), over the 27 real reference
//! definitions stored through the admin API, the placeholder `lastModified` one included. The
//! archive holds exactly one `patch_archive/<id>.json` per title, each named after its `id`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::backup_patchserver::{entries, patchserver_backup};
use crate::meaning::json_files_in;
use crate::support::{TestBackend, shared_reference, spawn_app};

/// The keywords [`schema_problems`] understands; the schema must use no other.
const KEYWORDS: [&str; 8] = [
    "$id",
    "$schema",
    "definitions",
    "examples",
    "items",
    "properties",
    "required",
    "type",
];

/// Asserts that `schema` uses only [`KEYWORDS`] (so no rule of it goes unchecked).
fn assert_only_known_keywords(schema: &Value, at: &str) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (key, value) in object {
        assert!(
            KEYWORDS.contains(&key.as_str()),
            "{at}: the schema uses {key:?}"
        );
        match key.as_str() {
            "properties" | "definitions" => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    assert_only_known_keywords(sub, &format!("{at}/{key}/{name}"));
                }
            }
            "items" => assert_only_known_keywords(value, &format!("{at}/items")),
            _ => {}
        }
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => false,
    }
}

/// What `value` breaks of `schema`, by JSON pointer, as a draft-06 validator reads these keywords.
fn schema_problems(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.iter().any(|name| type_matches(name, value)) {
            problems.push(format!("{at}: {value} is not of type {allowed:?}"));
            return;
        }
    }
    let object = value.as_object();
    for key in schema["required"].as_array().into_iter().flatten() {
        let key = key.as_str().unwrap_or_default();
        if object.is_some_and(|object| !object.contains_key(key)) {
            problems.push(format!("{at}/{key}: required"));
        }
    }
    for (key, sub) in schema["properties"].as_object().into_iter().flatten() {
        if let Some(present) = object.and_then(|object| object.get(key)) {
            schema_problems(sub, present, &format!("{at}/{key}"), problems);
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            schema_problems(items, item, &format!("{at}/{index}"), problems);
        }
    }
}

on_each_backend!(every_file_of_a_patchserver_backup_passes_patchservers_own_schema);
async fn every_file_of_a_patchserver_backup_passes_patchservers_own_schema(backend: TestBackend) {
    let (Some(schema_file), Some(definitions)) = (
        shared_reference("jamf-patch-schema-full-definition.patchserver.json"),
        shared_reference("jamf-patch-definitions"),
    ) else {
        return;
    };
    let schema: Value =
        serde_json::from_slice(&std::fs::read(schema_file).expect("read the schema"))
            .expect("schema JSON");
    assert_only_known_keywords(&schema, "");
    let mut files = json_files_in(&definitions.join("coreyhonadel"));
    files.push(definitions.join("communitypatch").join("Xcode.json"));
    assert!(
        files.len() >= 27,
        "the 26 + 1 reference definitions: {files:?}"
    );

    // The check can fail: the schema refuses what PatchServer would refuse.
    let sample: Value =
        serde_json::from_slice(&std::fs::read(&files[0]).expect("read")).expect("JSON");
    let mut broken = sample.clone();
    broken["patches"][0]["reboot"] = Value::from("false");
    if let Some(object) = broken.as_object_mut() {
        object.remove("publisher");
    }
    let mut problems = Vec::new();
    schema_problems(&schema, &broken, "", &mut problems);
    assert_eq!(
        problems,
        [
            "/publisher: required",
            "/patches/0/reboot: \"false\" is not of type [\"boolean\"]"
        ]
    );

    let app = spawn_app(backend).await;
    let mut ids = BTreeSet::new();
    for file in &files {
        let body = std::fs::read(file).expect("read the definition");
        let definition: Value = serde_json::from_slice(&body).expect("JSON");
        ids.insert(format!(
            "patch_archive/{}.json",
            definition["id"].as_str().expect("id")
        ));
        let response = app.create_title(&body).await;
        assert_eq!(response.status(), 201, "{backend:?} {}", file.display());
    }

    let archive = entries(&patchserver_backup(&app).await);
    let names: BTreeSet<String> = archive.keys().cloned().collect();
    assert_eq!(
        names, ids,
        "{backend:?}: one file per title, named after its id, nothing else"
    );
    for (name, bytes) in &archive {
        let definition: Value = serde_json::from_slice(bytes)
            .unwrap_or_else(|error| panic!("{backend:?} {name}: not JSON ({error})"));
        let mut problems = Vec::new();
        schema_problems(&schema, &definition, "", &mut problems);
        assert!(
            problems.is_empty(),
            "{backend:?} {name}: PatchServer refuses it: {problems:?}"
        );
    }
}
