//! ringmaster's capability table (`capabilities::DECLARATION_SUPPORT` and `KEY_SUPPORT`) checked
//! against Apple's schemas in `../shared/reference/apple-device-management/` (the newest
//! `_release-*` tree; see its `SOURCE.md`).
//!
//! What it proves, per declaration type ringmaster serves and per platform (macOS, iOS):
//! - the floor in the table equals the schema's `payload.supportedOS.<platform>.introduced`
//!   (`n/a` or a missing platform is "never");
//! - the table's User Enrollment allowance equals the schema's: `allowed-enrollments` lists `user`
//!   on both platforms, or names no enrollments at all (activations carry no list);
//! - every key ringmaster may set (every key path of the fullest payloads it builds for that
//!   platform, sub-keys included) exists in the schema, is not `n/a` there, and has the floor
//!   ringmaster gates it with: its `KEY_SUPPORT` entry for a top-level key that has one, else the
//!   declaration's floor. A key inherits its parent's `supportedOS`, platform by platform and field
//!   by field, as Apple's `docs/schema.md` specifies; a key allowed on User Enrollment must not
//!   narrow `allowed-enrollments` to exclude `user`;
//! - every `KEY_SUPPORT` entry names a key of its declaration.
//!
//! The checker is shown able to fail: a table with a wrong floor, a wrong allowance, or a missing
//! key entry is reported.
//!
//! A fresh clone lacks the reference folder: the tests then print which folder is missing and
//! pass, except under `CI=true`, where a missing folder fails them.

mod reference;

use reference::apple::{apple_device_management, declaration_schemas};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ringmaster_domain::capabilities::{
    DECLARATION_SUPPORT, DeclarationSupport, Introduced, KEY_SUPPORT, KeySupport, OsFloor,
};
use ringmaster_domain::declarations::companion::{
    activation_declaration, status_subscriptions_declaration,
};
use ringmaster_domain::declarations::envelope::DeclarationType;
use ringmaster_domain::declarations::samples::{
    maximal_enforcement, maximal_settings, maximal_settings_offering_programs,
    supplemental_enforcement,
};
use ringmaster_domain::declarations::software_update::{
    enforcement_declaration, settings_declaration,
};
use ringmaster_domain::platform::Platform;
use serde_json::{Map, Value};

const PLATFORMS: [Platform; 2] = [Platform::MacOs, Platform::Ios];

/// `26.4` of `_release-26.4_67045e2`, as numbers for ordering.
fn release_version(name: &str) -> Option<Vec<u32>> {
    let rest = name.strip_prefix("_release-")?;
    let version = rest.split('_').next()?;
    version.split('.').map(|part| part.parse().ok()).collect()
}

/// The newest `_release-*` tree of the reference folder.
fn newest_release(reference: &Path) -> PathBuf {
    let newest = std::fs::read_dir(reference)
        .unwrap_or_else(|error| panic!("{}: {error}", reference.display()))
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            Some((release_version(&name)?, entry.path()))
        })
        .max_by(|left, right| left.0.cmp(&right.0));
    newest
        .map(|(_, path)| path)
        .unwrap_or_else(|| panic!("no _release-* tree in {}", reference.display()))
}

/// One platform's entry of a `supportedOS` mapping, with `own` (a key's entry) laid over
/// `inherited` (its parent's), field by field.
fn inherit(inherited: &Map<String, Value>, own: Option<&Value>) -> Map<String, Value> {
    let mut merged = inherited.clone();
    if let Some(Value::Object(fields)) = own {
        for (field, value) in fields {
            merged.insert(field.clone(), value.clone());
        }
    }
    merged
}

/// `introduced` of one platform entry: `None` for `n/a` or no entry.
fn floor_of(
    entry: &Map<String, Value>,
    context: &str,
    problems: &mut Vec<String>,
) -> Option<OsFloor> {
    let text = entry.get("introduced")?.as_str()?;
    if text == "n/a" {
        return None;
    }
    let mut parts = text.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor)), None) => Some(OsFloor { major, minor }),
        (Some(Ok(major)), None, None) => Some(OsFloor { major, minor: 0 }),
        _ => {
            problems.push(format!("{context}: unreadable introduced {text:?}"));
            None
        }
    }
}

/// The entry allows User Enrollment: it names no enrollments, or names `user`.
fn allows_user_enrollment(entry: &Map<String, Value>) -> bool {
    match entry.get("allowed-enrollments").and_then(Value::as_array) {
        None => true,
        Some(listed) => listed.iter().any(|kind| kind.as_str() == Some("user")),
    }
}

fn show(floor: Option<OsFloor>) -> String {
    floor.map_or_else(|| "never".to_owned(), |floor| floor.to_string())
}

/// The fullest payloads ringmaster builds of `declaration_type` for `platform`.
fn served_payloads(declaration_type: DeclarationType, platform: Platform) -> Vec<Value> {
    let settings = settings_declaration(&maximal_settings(), platform);
    let declarations = match declaration_type {
        DeclarationType::SoftwareUpdateSettings => vec![
            settings,
            settings_declaration(&maximal_settings_offering_programs(), platform),
        ],
        DeclarationType::SoftwareUpdateEnforcementSpecific => vec![
            enforcement_declaration(&maximal_enforcement()),
            enforcement_declaration(&supplemental_enforcement()),
        ],
        DeclarationType::StatusSubscriptions => vec![status_subscriptions_declaration(platform)],
        DeclarationType::ActivationSimple => {
            let subscriptions = status_subscriptions_declaration(platform);
            vec![activation_declaration(&[&settings, &subscriptions])]
        }
    };
    declarations
        .iter()
        .map(|declaration| declaration.payload().clone())
        .collect()
}

/// What a key is checked against: the floor ringmaster gates it with, and whether the
/// declaration is served to User Enrollment.
struct Expected {
    floor: Option<OsFloor>,
    user_enrollment: bool,
}

/// Checks the keys of `payload` against the schema keys `specs`, each inheriting `parent` (one
/// platform's `supportedOS` entry). `top_level` keys take their floor from `KEY_SUPPORT`.
#[allow(clippy::too_many_arguments)]
fn check_keys(
    payload: &Map<String, Value>,
    specs: &Value,
    parent: &Map<String, Value>,
    path: &str,
    platform: Platform,
    expected: &Expected,
    key_support: &[KeySupport],
    declaration_type: Option<DeclarationType>,
    problems: &mut Vec<String>,
) {
    for (key, value) in payload {
        let key_path = format!("{path}.{key}");
        let Some(spec) = specs
            .as_array()
            .and_then(|specs| specs.iter().find(|spec| spec["key"].as_str() == Some(key)))
        else {
            problems.push(format!("{key_path} ({platform}): not a key of the schema"));
            continue;
        };
        let entry = inherit(parent, spec["supportedOS"].get(platform.as_str()));
        let schema_floor = floor_of(&entry, &key_path, problems);
        let gated = declaration_type
            .and_then(|kind| {
                key_support
                    .iter()
                    .find(|support| support.declaration_type == kind && support.key == key)
            })
            .map_or(expected.floor, |support| support.introduced.on(platform));
        if schema_floor.is_none() {
            problems.push(format!(
                "{key_path}: ringmaster sets it on {platform}, where the schema says n/a"
            ));
        } else if schema_floor != gated {
            problems.push(format!(
                "{key_path}: {platform} floor {} in the table, {} in the schema",
                show(gated),
                show(schema_floor)
            ));
        }
        if expected.user_enrollment && !allows_user_enrollment(&entry) {
            problems.push(format!(
                "{key_path}: the declaration is served to User Enrollment, but the key's \
                 {platform} allowed-enrollments exclude user"
            ));
        }
        let below = Expected {
            floor: gated,
            user_enrollment: expected.user_enrollment,
        };
        let nested: Vec<&Map<String, Value>> = match value {
            Value::Object(fields) => vec![fields],
            Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
        // An array's single sub-key is a placeholder for its items; a dictionary's are its keys.
        let sub_specs = if value.is_array() {
            &spec["subkeys"][0]["subkeys"]
        } else {
            &spec["subkeys"]
        };
        for fields in nested {
            check_keys(
                fields,
                sub_specs,
                &entry,
                &key_path,
                platform,
                &below,
                key_support,
                None,
                problems,
            );
        }
    }
}

/// Every disagreement between the tables and the schemas, in words.
fn disagreements(
    schemas: &BTreeMap<String, Value>,
    declaration_support: &[DeclarationSupport],
    key_support: &[KeySupport],
) -> Vec<String> {
    let mut problems = Vec::new();
    for kind in DeclarationType::ALL {
        if !declaration_support
            .iter()
            .any(|entry| entry.declaration_type == kind)
        {
            problems.push(format!("{}: served but not in the table", kind.as_str()));
        }
    }
    for support in declaration_support {
        let name = support.declaration_type.as_str();
        let Some(schema) = schemas.get(name) else {
            problems.push(format!("{name}: no schema"));
            continue;
        };
        let mut user_enrollment_everywhere = true;
        for platform in PLATFORMS {
            let entry = inherit(
                &Map::new(),
                schema["payload"]["supportedOS"].get(platform.as_str()),
            );
            let schema_floor = floor_of(&entry, name, &mut problems);
            let table_floor = support.introduced.on(platform);
            if schema_floor != table_floor {
                problems.push(format!(
                    "{name}: {platform} floor {} in the table, {} in the schema",
                    show(table_floor),
                    show(schema_floor)
                ));
            }
            user_enrollment_everywhere &= allows_user_enrollment(&entry);
            if table_floor.is_none() {
                continue;
            }
            let expected = Expected {
                floor: table_floor,
                user_enrollment: support.user_enrollment,
            };
            for payload in served_payloads(support.declaration_type, platform) {
                let Some(fields) = payload.as_object() else {
                    problems.push(format!("{name}: a payload that is not a dictionary"));
                    continue;
                };
                check_keys(
                    fields,
                    &schema["payloadkeys"],
                    &entry,
                    name,
                    platform,
                    &expected,
                    key_support,
                    Some(support.declaration_type),
                    &mut problems,
                );
            }
        }
        if user_enrollment_everywhere != support.user_enrollment {
            problems.push(format!(
                "{name}: User Enrollment {} in the table, {} in the schema",
                support.user_enrollment, user_enrollment_everywhere
            ));
        }
    }
    for support in key_support {
        let name = support.declaration_type.as_str();
        let listed = schemas.get(name).and_then(|schema| {
            schema["payloadkeys"]
                .as_array()?
                .iter()
                .find(|spec| spec["key"].as_str() == Some(support.key))
        });
        if listed.is_none() {
            problems.push(format!(
                "{name}.{}: in KEY_SUPPORT but not a key of the schema",
                support.key
            ));
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

fn schemas() -> Option<BTreeMap<String, Value>> {
    let reference = apple_device_management()?;
    let tree = newest_release(&reference);
    let schemas = declaration_schemas(&tree);
    assert!(
        !schemas.is_empty(),
        "no declaration schemas under {}",
        tree.display()
    );
    Some(schemas)
}

#[test]
fn the_capability_table_agrees_with_apples_newest_release_schemas() {
    let Some(schemas) = schemas() else {
        return;
    };
    let problems = disagreements(&schemas, &DECLARATION_SUPPORT, &KEY_SUPPORT);
    assert!(
        problems.is_empty(),
        "the capability table disagrees with Apple's schemas:\n{}",
        problems.join("\n")
    );
}

fn floor(major: u32, minor: u32) -> Option<OsFloor> {
    Some(OsFloor { major, minor })
}

#[test]
fn the_checker_reports_a_wrong_floor_allowance_or_missing_key_entry() {
    let Some(schemas) = schemas() else {
        return;
    };
    let settings = DeclarationType::SoftwareUpdateSettings;

    let mut wrong_floor = DECLARATION_SUPPORT;
    for entry in &mut wrong_floor {
        if entry.declaration_type == DeclarationType::SoftwareUpdateEnforcementSpecific {
            entry.introduced.macos = floor(13, 0);
        }
    }
    let problems = disagreements(&schemas, &wrong_floor, &KEY_SUPPORT);
    assert!(
        problems.iter().any(|problem| problem
            == "com.apple.configuration.softwareupdate.enforcement.specific: macOS floor 13 in \
                the table, 14 in the schema"),
        "{problems:?}"
    );

    let mut wrong_allowance = DECLARATION_SUPPORT;
    for entry in &mut wrong_allowance {
        if entry.declaration_type == settings {
            entry.user_enrollment = true;
        }
    }
    let problems = disagreements(&schemas, &wrong_allowance, &KEY_SUPPORT);
    assert!(
        problems.iter().any(|problem| problem
            == "com.apple.configuration.softwareupdate.settings: User Enrollment true in the \
                table, false in the schema"),
        "{problems:?}"
    );

    let problems = disagreements(&schemas, &DECLARATION_SUPPORT, &[]);
    assert!(
        problems.iter().any(|problem| problem
            == "com.apple.configuration.softwareupdate.settings.Beta: macOS floor 15 in the \
                table, 15.4 in the schema"),
        "{problems:?}"
    );

    let wrong_key = [KeySupport {
        declaration_type: settings,
        key: "Beta",
        introduced: Introduced {
            macos: floor(15, 4),
            ios: floor(18, 4),
        },
    }];
    let problems = disagreements(&schemas, &DECLARATION_SUPPORT, &wrong_key);
    assert!(
        problems.iter().any(|problem| problem
            == "com.apple.configuration.softwareupdate.settings.Beta: iOS floor 18.4 in the \
                table, 18 in the schema"),
        "{problems:?}"
    );
}
