//! Every kind of declaration ringmaster builds, checked against Apple's own YAML schemas.
//!
//! The schemas live outside the repository, in
//! `../shared/reference/apple-device-management/` (verbatim copies of apple/device-management;
//! see its `SOURCE.md`). When that folder is absent the tests say so and pass
//! (under `CI=true` they fail instead).
//!
//! A small generic checker reads a schema's `payloadkeys` and verifies, recursively, that a payload
//! uses only keys the schema defines, with the declared `type`, values inside `range` and
//! `rangelist`, every `presence: required` key present, and no key whose `supportedOS` marks the
//! device's platform `introduced: n/a` (nor a declaration type the platform lacks). The envelope is
//! checked against `declarationbase.yaml`, and the subscribed status items against
//! `declarative/status/*.yaml`.
//!
//! The sets served under a specific-version policy (with and without an automatic policy) are
//! checked too.
//!
//! Trees checked: the 26.4 release (current) and the 2026 seed. The 18.1 release tree is older
//! than the keys ringmaster sends (no `Beta`, no iOS `InstallSecurityUpdate`), so it is not used
//! for settings.

mod reference;

use reference::apple::{apple_device_management, declaration_schemas, load_yaml, yaml_files};

use std::collections::BTreeMap;

use ringmaster_domain::declarations::companion::*;
use ringmaster_domain::declarations::envelope::*;
use ringmaster_domain::declarations::samples::*;
use ringmaster_domain::declarations::software_update::*;
use ringmaster_domain::platform::Platform;
use serde_json::Value;

/// The trees (relative to the reference folder) whose declaration schemas are checked.
const TREES: [&str; 2] = ["_release-26.4_67045e2", "_seed-2026-seed1_1548d42"];

const PLATFORMS: [Platform; 2] = [Platform::MacOs, Platform::Ios];

/// False when `supported_os` (a `supportedOS` mapping, possibly absent) marks the platform n/a.
/// `required_listed`: at payload level a platform missing from the mapping is unsupported; on a key
/// an absent platform inherits the payload's support.
fn supported(supported_os: &Value, platform: Platform, required_listed: bool) -> bool {
    match supported_os.get(platform.as_str()) {
        None => !(required_listed && supported_os.is_object()),
        Some(entry) => entry["introduced"].as_str() != Some("n/a"),
    }
}

/// The generic checker: `value` against one key spec at `path`, problems appended to `errors`.
fn check_value(
    value: &Value,
    spec: &Value,
    platform: Platform,
    path: &str,
    errors: &mut Vec<String>,
) {
    let kind = spec["type"].as_str().unwrap_or("<any>");
    let type_ok = match kind {
        "<boolean>" => value.is_boolean(),
        "<integer>" => value.is_i64() || value.is_u64(),
        "<real>" => value.is_number(),
        "<string>" => value.is_string(),
        "<dictionary>" => value.is_object(),
        "<array>" => value.is_array(),
        "<any>" => true,
        other => {
            errors.push(format!(
                "{path}: the checker does not know the schema type {other}"
            ));
            return;
        }
    };
    if !type_ok {
        errors.push(format!("{path}: expected {kind}, found {value}"));
        return;
    }
    if let Some(range) = spec.get("range") {
        match value.as_f64() {
            None => errors.push(format!("{path}: {value} has a range but is not a number")),
            Some(number) => {
                if let Some(min) = range["min"].as_f64()
                    && number < min
                {
                    errors.push(format!("{path}: {value} is below the minimum {min}"));
                }
                if let Some(max) = range["max"].as_f64()
                    && number > max
                {
                    errors.push(format!("{path}: {value} is above the maximum {max}"));
                }
            }
        }
    }
    if let Some(allowed) = spec.get("rangelist").and_then(Value::as_array) {
        let values: Vec<&Value> = match value.as_array() {
            Some(items) => items.iter().collect(),
            None => vec![value],
        };
        for item in values {
            if !allowed.contains(item) {
                errors.push(format!("{path}: {item} is not one of {allowed:?}"));
            }
        }
    }
    let subkeys = spec.get("subkeys").and_then(Value::as_array);
    match (kind, subkeys) {
        ("<dictionary>", Some(subkeys)) => {
            check_keys(value.as_object().unwrap(), subkeys, platform, path, errors);
        }
        ("<array>", Some(subkeys)) => {
            let item_spec = subkeys.first().expect("an array's subkeys name its item");
            for (index, item) in value.as_array().unwrap().iter().enumerate() {
                check_value(
                    item,
                    item_spec,
                    platform,
                    &format!("{path}/{index}"),
                    errors,
                );
            }
        }
        _ => {}
    }
}

/// The keys of one dictionary against the specs listed for it.
fn check_keys(
    object: &serde_json::Map<String, Value>,
    specs: &[Value],
    platform: Platform,
    path: &str,
    errors: &mut Vec<String>,
) {
    for (key, value) in object {
        let key_path = format!("{path}/{key}");
        let Some(spec) = specs.iter().find(|spec| spec["key"] == key.as_str()) else {
            errors.push(format!("{key_path}: the schema has no such key"));
            continue;
        };
        if !supported(&spec["supportedOS"], platform, false) {
            errors.push(format!(
                "{key_path}: not supported on {platform} (introduced: n/a)"
            ));
        }
        check_value(value, spec, platform, &key_path, errors);
    }
    for spec in specs {
        let key = spec["key"].as_str().unwrap_or_default();
        if spec["presence"] == "required"
            && supported(&spec["supportedOS"], platform, false)
            && !object.contains_key(key)
        {
            errors.push(format!("{path}/{key}: required but missing"));
        }
    }
}

/// A whole declaration: envelope against `declarationbase.yaml`, payload against its type's schema.
fn check_declaration(
    declaration: &Declaration,
    schemas: &BTreeMap<String, Value>,
    platform: Platform,
) -> Vec<String> {
    let mut errors = Vec::new();
    let envelope = declaration.to_json();
    let base = &schemas["any"];
    check_keys(
        envelope.as_object().unwrap(),
        base["payloadkeys"].as_array().unwrap(),
        platform,
        "",
        &mut errors,
    );
    for key in ["Identifier", "ServerToken"] {
        let length = envelope[key].as_str().map_or(0, str::len);
        if length > 64 {
            errors.push(format!("/{key}: {length} octets, Apple allows 64"));
        }
    }
    let type_name = declaration.kind().as_str();
    let Some(schema) = schemas.get(type_name) else {
        errors.push(format!("no schema declares the type {type_name}"));
        return errors;
    };
    if !supported(&schema["payload"]["supportedOS"], platform, true) {
        errors.push(format!("{type_name} is not supported on {platform}"));
    }
    let specs = schema["payloadkeys"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    match declaration.payload().as_object() {
        Some(payload) => check_keys(payload, &specs, platform, "/Payload", &mut errors),
        None => errors.push("/Payload: not a dictionary".to_owned()),
    }
    errors
}

/// Every declaration the builders produce for `platform`, maximal and minimal, with a label.
fn produced(platform: Platform) -> Vec<(String, Declaration)> {
    let mut all = vec![
        (
            "settings, maximal".to_owned(),
            settings_declaration(&maximal_settings(), platform),
        ),
        (
            "settings, maximal with offered programs".to_owned(),
            settings_declaration(&maximal_settings_offering_programs(), platform),
        ),
        (
            "settings, minimal".to_owned(),
            settings_declaration(&minimal_settings(), platform),
        ),
        (
            "enforcement, maximal".to_owned(),
            enforcement_declaration(&maximal_enforcement()),
        ),
        (
            "enforcement, minimal".to_owned(),
            enforcement_declaration(&minimal_enforcement()),
        ),
        (
            "enforcement, supplemental".to_owned(),
            enforcement_declaration(&supplemental_enforcement()),
        ),
    ];
    for (label, enforcement) in [("maximal", Some(maximal_enforcement())), ("minimal", None)] {
        let settings = if enforcement.is_some() {
            maximal_settings()
        } else {
            minimal_settings()
        };
        let set = device_declaration_set(platform, &settings, enforcement.as_ref());
        for declaration in set.declarations() {
            all.push((
                format!("device set ({label}): {}", declaration.identifier()),
                declaration.clone(),
            ));
        }
    }
    all.push((
        "activation of nothing".to_owned(),
        activation_declaration(&[]),
    ));
    for (label, with_ring) in [("with its ring", true), ("alone", false)] {
        for declaration in specific_version_set(platform, with_ring).declarations() {
            all.push((
                format!(
                    "specific-version set ({label}): {}",
                    declaration.identifier()
                ),
                declaration.clone(),
            ));
        }
    }
    all
}

/// What a device below the target of a specific-version policy is served (with the Vanguard
/// ring as its automatic policy, or alone): the target, its build, deadline and details URL.
fn specific_version_set(platform: Platform, with_ring: bool) -> DeclarationSet {
    use ringmaster_domain::apple_version::AppleOsVersion;
    use ringmaster_domain::capabilities::DeviceCapabilities;
    use ringmaster_domain::catalog::hardware::DeviceHardware;
    use ringmaster_domain::fleet::specific::PreparedSpecific;
    use ringmaster_domain::fleet::{PreparedPolicy, device_declarations_combined};
    use ringmaster_domain::policy::parse::parse_policy;
    use ringmaster_domain::policy::rings::default_rings;
    use ringmaster_domain::schedule::{BlockedReleases, DeviceFacts};

    let document = serde_json::json!({
        "name": "forced", "kind": "specificVersion", "platform": platform.as_str(),
        "targetVersion": "26.4", "targetBuild": "25E100", "deadline": "2026-09-01T09:00:00",
        "detailsUrl": "https://intranet.example/updates",
    });
    let policy = parse_policy(&document).unwrap().policy;
    let specific = PreparedSpecific::new(policy, BlockedReleases::default()).unwrap();
    let ring = default_rings().remove(0);
    let automatic = PreparedPolicy::new(match platform {
        Platform::MacOs => ring.macos,
        Platform::Ios => ring.ios,
    });
    let device = DeviceFacts {
        platform,
        os_version: AppleOsVersion::parse("26.0").unwrap(),
        os_build: None,
        hardware: DeviceHardware::unknown(platform),
    };
    let served = device_declarations_combined(
        with_ring.then_some(&automatic),
        Some(&specific),
        &device,
        &DeviceCapabilities::default(),
        &[],
        "2026-08-20T12:00:00Z".parse().unwrap(),
    );
    served.declarations
}

#[test]
fn every_declaration_kind_matches_apples_schemas() {
    let Some(reference) = apple_device_management() else {
        return;
    };
    let mut failures = Vec::new();
    let mut kinds_checked = std::collections::BTreeSet::new();
    for tree in TREES {
        let schemas = declaration_schemas(&reference.join(tree));
        assert!(
            schemas.contains_key("any"),
            "{tree}: declarationbase.yaml not found"
        );
        for platform in PLATFORMS {
            for (label, declaration) in produced(platform) {
                kinds_checked.insert(declaration.kind());
                for error in check_declaration(&declaration, &schemas, platform) {
                    failures.push(format!("{tree}, {platform}, {label}: {error}"));
                }
            }
        }
    }
    assert_eq!(
        kinds_checked.len(),
        DeclarationType::ALL.len(),
        "every declaration type is exercised"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_checker_catches_what_it_should() {
    let Some(reference) = apple_device_management() else {
        return;
    };
    let schemas = declaration_schemas(&reference.join(TREES[0]));
    let check = |platform: Platform, kind: DeclarationType, payload: Value| {
        let declaration =
            Declaration::new(kind, DeclarationIdentifier::parse("test").unwrap(), payload);
        check_declaration(&declaration, &schemas, platform)
    };
    let settings = DeclarationType::SoftwareUpdateSettings;
    let cases = [
        (
            Platform::MacOs,
            serde_json::json!({"RecommendedCadence": "All"}),
            "not supported on macOS",
        ),
        (
            Platform::Ios,
            serde_json::json!({"Deferrals": {"MajorPeriodInDays": 3}}),
            "not supported on iOS",
        ),
        (
            Platform::MacOs,
            serde_json::json!({"Deferrals": {"MinorPeriodInDays": 91}}),
            "above the maximum",
        ),
        (
            Platform::MacOs,
            serde_json::json!({"Deferrals": {"MinorPeriodInDays": 0}}),
            "below the minimum",
        ),
        (
            Platform::MacOs,
            serde_json::json!({"Notifications": "yes"}),
            "expected <boolean>",
        ),
        (
            Platform::MacOs,
            serde_json::json!({"AutomaticActions": {"Download": "Sometimes"}}),
            "is not one of",
        ),
        (
            Platform::MacOs,
            serde_json::json!({"Unknown": 1}),
            "no such key",
        ),
        (
            Platform::Ios,
            serde_json::json!({"Beta": {"OfferPrograms": [{"Description": "x"}]}}),
            "Token: required",
        ),
    ];
    for (platform, payload, expected) in cases {
        let errors = check(platform, settings, payload.clone());
        assert!(
            errors.iter().any(|error| error.contains(expected)),
            "{payload} on {platform}: expected an error containing {expected:?}, got {errors:?}"
        );
    }
    let missing = check(
        Platform::MacOs,
        DeclarationType::SoftwareUpdateEnforcementSpecific,
        serde_json::json!({"TargetOSVersion": "26.1.0"}),
    );
    assert!(
        missing
            .iter()
            .any(|error| error.contains("TargetLocalDateTime: required but missing")),
        "{missing:?}"
    );
}

#[test]
fn subscribed_status_items_exist_on_each_platform() {
    let Some(reference) = apple_device_management() else {
        return;
    };
    let items: BTreeMap<String, Value> = yaml_files(&reference.join("declarative/status"))
        .into_iter()
        .map(|path| load_yaml(&path))
        .filter_map(|schema| {
            let name = schema["payload"]["statusitemtype"].as_str()?.to_owned();
            Some((name, schema))
        })
        .collect();
    assert!(!items.is_empty(), "no status item schemas found");
    for platform in PLATFORMS {
        let declaration = status_subscriptions_declaration(platform);
        let names: Vec<&str> = declaration.payload()["StatusItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["Name"].as_str().unwrap())
            .collect();
        assert!(names.iter().any(|name| name.starts_with("softwareupdate.")));
        assert!(
            names
                .iter()
                .any(|name| name.starts_with("device.operating-system."))
        );
        for name in names {
            let schema = items
                .get(name)
                .unwrap_or_else(|| panic!("{name}: Apple defines no such status item"));
            assert!(
                supported(&schema["payload"]["supportedOS"], platform, true),
                "{name} is not supported on {platform}"
            );
        }
        // Every software-update status item Apple defines is subscribed.
        for name in items
            .keys()
            .filter(|name| name.starts_with("softwareupdate."))
        {
            assert!(
                STATUS_ITEMS.contains(&name.as_str()),
                "{name} is not subscribed"
            );
        }
    }
}
