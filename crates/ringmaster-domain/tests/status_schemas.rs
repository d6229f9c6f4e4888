//! Every status item Apple's schemas define, sent in a report, merged and read back.
//!
//! The schemas live outside the repository, in
//! `../shared/reference/apple-device-management/` (verbatim copies of apple/device-management;
//! see its `SOURCE.md`). When that folder is absent the tests say so and pass
//! (under `CI=true` they fail instead).
//!
//! For each `declarative/status/*.yaml` with a `statusitemtype` (in every tree that has such a
//! folder) a sample value of the schema's declared type is built (objects with every key the
//! schema lists, strings from the `rangelist` when there is one, integers, booleans, one-element
//! arrays), put in a report with `report_json`, parsed, applied, and checked: stored at its item
//! path, read back equal, and, for the items ringmaster reads, seen by the typed views.

mod reference;

use reference::apple::{apple_device_management, load_yaml};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ringmaster_domain::declarations::envelope::DeclarationKind;
use ringmaster_domain::device_status::items::*;
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::device_status::report::parse_status_report;
use ringmaster_domain::device_status::views::*;
use serde_json::{Map, Value, json};

/// The trees (relative to the reference folder) searched for `declarative/status`.
const TREES: [&str; 4] = [
    ".",
    "_release-26.4_67045e2",
    "_seed-2026-seed1_1548d42",
    "_seed_iOS-18.2_macOS-15.2",
];

/// One status item schema: the file it came from, the item's name and its key spec.
struct ItemSchema {
    tree: &'static str,
    file: PathBuf,
    name: String,
    spec: Value,
}

/// The status item schemas of every tree, in tree then file order.
fn item_schemas(reference: &Path) -> Vec<ItemSchema> {
    let mut schemas = Vec::new();
    for tree in TREES {
        let dir = reference.join(tree).join("declarative/status");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("{tree}: no declarative/status folder");
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let schema = load_yaml(&file);
            let Some(name) = schema["payload"]["statusitemtype"].as_str() else {
                continue; // statusreason.yaml describes reasons, not an item
            };
            let spec = schema["payloadkeys"]
                .as_array()
                .and_then(|keys| keys.iter().find(|key| key["key"] == name))
                .unwrap_or_else(|| panic!("{}: no payload key named {name}", file.display()))
                .clone();
            schemas.push(ItemSchema {
                tree,
                file,
                name: name.to_owned(),
                spec,
            });
        }
    }
    schemas
}

/// A sample value of the spec's declared type, with every key the schema lists.
fn sample(spec: &Value) -> Value {
    let key = spec["key"].as_str().unwrap_or("value");
    let subkeys = spec["subkeys"].as_array().cloned().unwrap_or_default();
    match spec["type"].as_str().unwrap_or("<any>") {
        "<string>" => match spec["rangelist"].as_array().and_then(|range| range.first()) {
            Some(first) => first.clone(),
            None => json!(format!("sample {key}")),
        },
        "<integer>" => json!(3),
        "<real>" => json!(1.5),
        "<boolean>" => json!(true),
        "<date>" => json!("2026-03-02T18:30:00"),
        "<data>" => json!("AAEC"),
        "<array>" => Value::Array(subkeys.first().map(sample).into_iter().collect()),
        "<dictionary>" => {
            let mut object = Map::new();
            for subkey in &subkeys {
                match subkey["key"].as_str() {
                    Some("ANY") | None => {
                        object.insert("any-key".into(), json!("any value"));
                    }
                    Some(name) => {
                        object.insert(name.to_owned(), sample(subkey));
                    }
                }
            }
            Value::Object(object)
        }
        "<any>" => json!("anything"),
        other => panic!("{key}: the sample builder does not know the schema type {other}"),
    }
}

/// The first spec named `key` anywhere under `spec`.
fn find_key<'a>(spec: &'a Value, key: &str) -> Option<&'a Value> {
    if spec["key"] == key {
        return Some(spec);
    }
    spec["subkeys"]
        .as_array()?
        .iter()
        .find_map(|subkey| find_key(subkey, key))
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// Asserts what the typed views read for one item; false for items no view reads.
fn check_views(status: &DeviceStatus, schema: &ItemSchema, value: &Value) -> bool {
    let name = schema.name.as_str();
    let update = status.software_update();
    let system = status.operating_system();
    let model = status.model();
    match name {
        INSTALL_STATE => {
            assert_eq!(
                update.install_state,
                Some(InstallState::parse(value.as_str().unwrap()))
            );
            for allowed in schema.spec["rangelist"].as_array().unwrap() {
                let state = InstallState::parse(allowed.as_str().unwrap());
                assert!(
                    !matches!(state, InstallState::Other(_)),
                    "{allowed} is known"
                );
            }
        }
        PENDING_VERSION => {
            let expected = PendingVersion {
                os_version: text(value, "os-version").unwrap(),
                build_version: text(value, "build-version").unwrap(),
                target_local_date_time: text(value, "target-local-date-time"),
            };
            assert_eq!(update.pending_version.as_ref(), Some(&expected));
            if schema.tree == "_seed_iOS-18.2_macOS-15.2" {
                assert!(expected.target_local_date_time.is_some());
                assert!(expected.target_civil_date_time().is_some());
            }
        }
        FAILURE_REASON => assert_eq!(
            update.failure_reason,
            Some(FailureReason {
                count: value["count"].as_u64().unwrap(),
                reason: text(value, "reason"),
                timestamp: text(value, "timestamp"),
            })
        ),
        INSTALL_REASON => {
            let reasons: Vec<String> = value["reason"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(string)
                .collect();
            assert!(!reasons.is_empty());
            assert_eq!(
                update.install_reason,
                Some(InstallReason {
                    reasons,
                    declaration_id: text(value, "declaration-id"),
                })
            );
        }
        DEVICE_ID => assert_eq!(update.device_id, string(value)),
        BETA_ENROLLMENT => assert_eq!(update.beta_enrollment, string(value)),
        OS_FAMILY => assert_eq!(system.family, string(value)),
        OS_VERSION => assert_eq!(system.version, string(value)),
        OS_BUILD_VERSION => assert_eq!(system.build, string(value)),
        OS_SUPPLEMENTAL_BUILD_VERSION => assert_eq!(system.supplemental_build, string(value)),
        OS_SUPPLEMENTAL_EXTRA_VERSION => assert_eq!(system.supplemental_extra, string(value)),
        OS_MARKETING_NAME => assert_eq!(system.marketing_name, string(value)),
        MODEL_IDENTIFIER => assert_eq!(model.identifier, string(value)),
        MODEL_FAMILY => assert_eq!(model.family, string(value)),
        MODEL_MARKETING_NAME => assert_eq!(model.marketing_name, string(value)),
        CLIENT_CAPABILITIES => assert_eq!(status.client_capabilities(), Some(value)),
        DECLARATIONS => {
            let declarations = status.declarations();
            let kinds: Vec<DeclarationKind> = declarations.iter().map(|d| d.kind).collect();
            assert_eq!(
                kinds,
                [
                    DeclarationKind::Activation,
                    DeclarationKind::Configuration,
                    DeclarationKind::Asset,
                    DeclarationKind::Management,
                ]
            );
            let entry = &value["activations"][0];
            for declaration in &declarations {
                assert_eq!(
                    Some(&declaration.identifier),
                    text(entry, "identifier").as_ref()
                );
                assert_eq!(
                    Some(&declaration.server_token),
                    text(entry, "server-token").as_ref()
                );
                assert_eq!(declaration.active, entry["active"].as_bool().unwrap());
                assert_eq!(
                    declaration.valid,
                    Validity::parse(entry["valid"].as_str().unwrap())
                );
                assert_eq!(declaration.reasons.len(), 1);
                let reason = &declaration.reasons[0];
                assert_eq!(
                    Some(&reason.code),
                    text(&entry["reasons"][0], "code").as_ref()
                );
                assert_eq!(
                    reason.description,
                    text(&entry["reasons"][0], "description")
                );
                assert_eq!(reason.details.as_ref(), entry["reasons"][0].get("details"));
                assert!(reason.details.is_some());
            }
            let valid = find_key(&schema.spec, "valid").expect("a valid key");
            for allowed in valid["rangelist"].as_array().unwrap() {
                let validity = Validity::parse(allowed.as_str().unwrap());
                assert!(
                    !matches!(validity, Validity::Other(_)),
                    "{allowed} is known"
                );
            }
        }
        _ => return false,
    }
    true
}

/// The JSON pointer of an item in a report's or the storage's `StatusItems`.
fn item_pointer(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    format!("/StatusItems/{}", parts.join("/"))
}

#[test]
fn every_status_item_schema_round_trips_through_a_report() {
    let Some(reference) = apple_device_management() else {
        return;
    };
    let schemas = item_schemas(&reference);
    assert!(!schemas.is_empty(), "expected status item schemas");

    let mut with_views = 0;
    for schema in &schemas {
        let context = format!("{} ({})", schema.name, schema.file.display());
        assert!(
            is_known_item(&schema.name),
            "{context}: not in KNOWN_STATUS_ITEMS"
        );
        let value = sample(&schema.spec);

        // Alone, in an incremental report over a device that already reports something else.
        let mut status = DeviceStatus::default();
        status.apply(
            parse_status_report(
                report_json(&[("vendor.other", json!(1))], true)
                    .to_string()
                    .as_bytes(),
            )
            .unwrap(),
        );
        let body = report_json(&[(schema.name.as_str(), value.clone())], false);
        assert_eq!(
            body.pointer(&item_pointer(&schema.name)),
            Some(&value),
            "{context}"
        );
        let report = parse_status_report(body.to_string().as_bytes())
            .unwrap_or_else(|errors| panic!("{context}: {errors}"));
        status.apply(report);
        assert_eq!(status.item(&schema.name), Some(&value), "{context}");
        assert_eq!(status.item("vendor.other"), Some(&json!(1)), "{context}");
        assert_eq!(
            status.to_json().pointer(&item_pointer(&schema.name)),
            Some(&value),
            "{context}"
        );
        assert_eq!(
            status.item_names(),
            ["vendor.other", schema.name.as_str()],
            "{context}"
        );
        let stored = DeviceStatus::from_json(&status.to_json()).unwrap();
        assert_eq!(stored, status, "{context}");
        if check_views(&stored, schema, &value) {
            with_views += 1;
        }
    }

    // All of one tree's items together, in one full report.
    for tree in TREES {
        let items: Vec<(&str, Value)> = schemas
            .iter()
            .filter(|schema| schema.tree == tree)
            .map(|schema| (schema.name.as_str(), sample(&schema.spec)))
            .collect();
        if items.is_empty() {
            continue;
        }
        let mut status = DeviceStatus::default();
        status
            .apply(parse_status_report(report_json(&items, true).to_string().as_bytes()).unwrap());
        for (name, value) in &items {
            assert_eq!(status.item(name), Some(value), "{tree}: {name}");
        }
        assert_eq!(status.item_names().len(), items.len(), "{tree}");
    }

    // The hard-coded boundaries are exactly the items the schemas define.
    let mut names: Vec<&str> = schemas.iter().map(|schema| schema.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut known = KNOWN_STATUS_ITEMS.to_vec();
    known.sort_unstable();
    assert_eq!(names, known, "KNOWN_STATUS_ITEMS and the schemas disagree");

    eprintln!(
        "covered {} status item schema files ({} distinct items; {} of the files also checked through typed views)",
        schemas.len(),
        names.len(),
        with_views
    );
}

/// The dotted names of the items a report's `StatusItems` tree holds, by Apple's item names:
/// a node that is an item stops the walk, a node on the way to items is descended, and any
/// other node is an item Apple's schemas do not know (returned in `unknown`).
fn report_items(tree: &Value, prefix: &str, known: &BTreeSet<String>, unknown: &mut Vec<String>) {
    let Some(object) = tree.as_object() else {
        unknown.push(prefix.to_owned());
        return;
    };
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if known.contains(&name) {
            continue;
        }
        let on_the_way = known
            .iter()
            .any(|item| item.starts_with(&format!("{name}.")));
        if on_the_way {
            report_items(value, &name, known, unknown);
        } else {
            unknown.push(name);
        }
    }
}

fn fixture_reports(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            fixture_reports(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            found.push(path);
        }
    }
}

/// The project writes its own status fixtures: every item they report, and every item an error
/// names, must be one Apple's schemas define, so the fixtures cannot drift from real reports.
#[test]
fn every_item_in_the_status_fixtures_is_one_apple_defines() {
    let Some(reference) = apple_device_management() else {
        return;
    };
    let known: BTreeSet<String> = item_schemas(&reference)
        .into_iter()
        .map(|schema| schema.name)
        .collect();
    assert!(
        known.len() > 10,
        "expected Apple's status items, found {known:?}"
    );
    let mut files = Vec::new();
    fixture_reports(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/status"),
        &mut files,
    );
    assert!(
        files.len() >= 20,
        "expected the status fixtures, found {files:?}"
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let report: Value = serde_json::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let mut unknown = Vec::new();
        report_items(&report["StatusItems"], "", &known, &mut unknown);
        for error in report["Errors"].as_array().into_iter().flatten() {
            if let Some(item) = error["StatusItem"].as_str()
                && !known.contains(item)
            {
                unknown.push(item.to_owned());
            }
        }
        for name in unknown {
            problems.push(format!("{}: {name}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "status items Apple's schemas do not define: {problems:#?}"
    );
}
