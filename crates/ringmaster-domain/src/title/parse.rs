//! JSON → [`SoftwareTitle`], reporting every problem at once with a JSON pointer.
//!
//! Hand-written rather than derived so that one pass can name every bad field
//! (`/patches/2/components/0/criteria/1/and`) and explain it in plain words.
//! Rules, beyond Jamf's shapes:
//! - the id follows the one id rule ([`crate::ids`]) and is letters, digits, `-`, `_` and `.`;
//! - dates are ISO-8601, loose forms such as `2017-9-12T14:19:38.270Z` accepted;
//! - booleans are JSON booleans (`"true"` is refused, never coerced);
//! - criterion types are `recon` or `extensionAttribute`, and an `extensionAttribute` criterion
//!   names a key the title defines; extension-attribute keys are unique;
//! - extension-attribute scripts are valid base64;
//! - versions are unique within a title;
//! - `appName` and `bundleId` may be `null` (real definitions do that); no other field may.
//!
//! `lastModified` and `currentVersion` are checked when present but not kept: the server derives them.
//! A `lastModified` string that is not a date (real files carry the placeholder
//! `0000-00-000T00:00:00Z`) is accepted with a warning ([`ParsedTitle::warnings`]), since the
//! server overwrites it anyway; any other kind of value there is refused like every other error.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use serde_json::{Map, Value};

use crate::field_error::{FieldError, FieldErrors};
use crate::jamf_time;
use crate::json_read::json_document;
use crate::json_read::object::{ObjectReader, Presence};
use crate::title::id::SoftwareTitleId;
use crate::title::model::{
    Component, Criterion, CriterionType, ExtensionAttribute, KillApp, Patch, SoftwareTitle,
};

/// A valid definition and what it was accepted in spite of.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTitle {
    pub title: SoftwareTitle,
    /// Fields accepted but ignored, by JSON pointer (such as `/lastModified` that is no date).
    pub warnings: Vec<FieldError>,
}

/// Parses a full definition from JSON text (what `POST /api/v1/title` receives).
pub fn software_title_from_slice(bytes: &[u8]) -> Result<SoftwareTitle, FieldErrors> {
    software_title(&json_document(bytes, "the body")?)
}

/// As [`software_title_from_slice`], with the warnings an admin is answered.
pub fn software_title_with_warnings(bytes: &[u8]) -> Result<ParsedTitle, FieldErrors> {
    let mut warnings = Vec::new();
    let title = definition(
        &json_document(bytes, "the body")?,
        SoftwareTitleId::parse,
        &mut warnings,
    )?;
    Ok(ParsedTitle { title, warnings })
}

/// Parses one patch object from JSON text (what `POST /api/v1/title/{id}/version` receives).
pub fn patch_from_slice(bytes: &[u8]) -> Result<Patch, FieldErrors> {
    let document = json_document(bytes, "the body")?;
    let mut errors = FieldErrors::new();
    let patch = read_patch(&document, "", &mut errors);
    match patch {
        Some(patch) if errors.is_empty() => Ok(patch),
        _ => Err(errors),
    }
}

/// Reads `{"version": "…"}` (what `POST /api/v1/title/{id}/pin` receives): the version to pin.
/// Other keys are ignored, as they always were.
pub fn pinned_version(bytes: &[u8]) -> Result<String, FieldErrors> {
    let document = json_document(bytes, "the body")?;
    let mut errors = FieldErrors::new();
    let version = ObjectReader::of(&document, "", &mut errors)
        .and_then(|mut reader| reader.required_string("version"));
    match version {
        Some(version) if errors.is_empty() => Ok(version),
        _ => Err(errors),
    }
}

/// Parses and validates a full definition.
pub fn software_title(document: &Value) -> Result<SoftwareTitle, FieldErrors> {
    definition(document, SoftwareTitleId::parse, &mut Vec::new())
}

/// Parses a definition read back from the database: as [`software_title`], except that an id
/// stored before the id rule (one beginning with a dot) is still read
/// ([`SoftwareTitleId::parse_stored`]), so such a title never stops a server from starting.
pub fn stored_software_title(document: &Value) -> Result<SoftwareTitle, FieldErrors> {
    definition(document, SoftwareTitleId::parse_stored, &mut Vec::new())
}

fn definition(
    document: &Value,
    parse_id: fn(&str) -> Result<SoftwareTitleId, String>,
    warnings: &mut Vec<FieldError>,
) -> Result<SoftwareTitle, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(reader) = ObjectReader::of(document, "", &mut errors) else {
        return Err(errors);
    };
    let mut reader = reader.refusing_null();
    let object = reader.object();
    let id = reader
        .required_string("id")
        .and_then(|text| parse_id(&text).map_err(|why| reader.error("id", why)).ok());
    let name = reader.required_non_empty_string("name");
    let publisher = reader.required_non_empty_string("publisher");
    let app_name = reader.nullable_string("appName");
    let bundle_id = reader.nullable_string("bundleId");
    if let Some(text) = reader.optional_string("lastModified").flatten()
        && let Err(why) = jamf_time::parse_loose(&text)
    {
        warnings.push(FieldError {
            pointer: "/lastModified".into(),
            message: format!(
                "{why}; lastModified is ignored: the server sets it itself on every change"
            ),
        });
    }
    // Read for its type check and so it is not kept as an extra key; compared with the
    // patch versions in `check_cross_references`, then dropped (the server derives it).
    let _ = reader.optional_string("currentVersion");
    let requirements = reader.array("requirements", Presence::Required, read_criterion);
    let patches = reader.array("patches", Presence::Required, read_patch);
    let extension_attributes = reader.array(
        "extensionAttributes",
        Presence::Optional,
        read_extension_attribute,
    );
    let extra = reader.keep_unknown();
    check_cross_references(object, &mut errors);

    let (Some(id), Some(name), Some(publisher), Some(requirements), Some(patches), Some(eas)) = (
        id,
        name,
        publisher,
        requirements,
        patches,
        extension_attributes,
    ) else {
        return Err(errors);
    };
    let title = SoftwareTitle {
        id,
        name,
        publisher,
        app_name,
        bundle_id,
        requirements,
        patches,
        extension_attributes: eas,
        extra,
    };
    errors.into_result(title)
}

/// Checks the rules that span several fields: versions are unique, `currentVersion` names a patch,
/// extension-attribute keys are unique, and `extensionAttribute` criteria name a defined key.
///
/// Runs on the JSON document rather than the model, so these problems are reported together with
/// those of items that failed to parse (one round trip for the admin). Values too malformed to read
/// here were reported by the item readers and are skipped; a rule that needs a complete list
/// (every version, every key) is only checked when that list could be read completely.
fn check_cross_references(document: &Map<String, Value>, errors: &mut FieldErrors) {
    fn items(value: Option<&Value>) -> &[Value] {
        match value {
            Some(Value::Array(items)) => items,
            _ => &[],
        }
    }
    fn text<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
        item.get(key).and_then(Value::as_str)
    }
    let patches = items(document.get("patches"));

    let mut first_index_of_version: HashMap<&str, usize> = HashMap::new();
    let mut every_version_read = true;
    for (index, patch) in patches.iter().enumerate() {
        let Some(version) = text(patch, "version").filter(|version| !version.trim().is_empty())
        else {
            every_version_read = false;
            continue;
        };
        if let Some(first) = first_index_of_version.get(version) {
            errors.push(
                format!("/patches/{index}/version"),
                format!(
                    "version {version:?} appears twice (also at /patches/{first}/version); versions must be unique"
                ),
            );
        } else {
            first_index_of_version.insert(version, index);
        }
    }
    if let Some(current) = document.get("currentVersion").and_then(Value::as_str)
        && every_version_read
        && !patches.is_empty()
        && !first_index_of_version.contains_key(current)
    {
        errors.push(
            "/currentVersion",
            format!("currentVersion {current:?} is not the version of any patch"),
        );
    }

    let mut keys: HashMap<&str, usize> = HashMap::new();
    let mut every_key_read = true;
    for (index, attribute) in items(document.get("extensionAttributes"))
        .iter()
        .enumerate()
    {
        let Some(key) = text(attribute, "key").filter(|key| !key.trim().is_empty()) else {
            every_key_read = false;
            continue;
        };
        if let Some(first) = keys.get(key) {
            errors.push(
                format!("/extensionAttributes/{index}/key"),
                format!(
                    "extension attribute key {key:?} is already defined at /extensionAttributes/{first}/key; keys must be unique"
                ),
            );
        } else {
            keys.insert(key, index);
        }
    }
    if !every_key_read {
        return;
    }
    let mut check = |criteria: Option<&Value>, pointer: String| {
        for (index, criterion) in items(criteria).iter().enumerate() {
            if text(criterion, "type") == Some("extensionAttribute")
                && let Some(name) = text(criterion, "name")
                && !keys.contains_key(name)
            {
                errors.push(
                    format!("{pointer}/{index}/name"),
                    format!(
                        "criterion of type extensionAttribute names {name:?}, which is not the key of any extension attribute in /extensionAttributes"
                    ),
                );
            }
        }
    };
    check(document.get("requirements"), "/requirements".into());
    for (patch_index, patch) in patches.iter().enumerate() {
        check(
            patch.get("capabilities"),
            format!("/patches/{patch_index}/capabilities"),
        );
        for (component_index, component) in items(patch.get("components")).iter().enumerate() {
            check(
                component.get("criteria"),
                format!("/patches/{patch_index}/components/{component_index}/criteria"),
            );
        }
    }
}

/// Checks a lone patch's extension-attribute criteria against the title it joins.
pub fn check_patch_against_title(patch: &Patch, title: &SoftwareTitle) -> Result<(), FieldErrors> {
    let defined: HashSet<&str> = title
        .extension_attributes
        .iter()
        .map(|ea| ea.key.as_str())
        .collect();
    let mut errors = FieldErrors::new();
    let mut check = |criteria: &[Criterion], pointer: String| {
        for (index, criterion) in criteria.iter().enumerate() {
            if criterion.kind == CriterionType::ExtensionAttribute
                && !defined.contains(criterion.name.as_str())
            {
                errors.push(
                    format!("{pointer}/{index}/name"),
                    format!(
                        "criterion of type extensionAttribute names {:?}, which is not the key of any extension attribute of title {}",
                        criterion.name, title.id
                    ),
                );
            }
        }
    };
    check(&patch.capabilities, "/capabilities".into());
    for (index, component) in patch.components.iter().enumerate() {
        check(&component.criteria, format!("/components/{index}/criteria"));
    }
    errors.into_result(())
}

fn read_patch(value: &Value, pointer: &str, errors: &mut FieldErrors) -> Option<Patch> {
    let mut reader = ObjectReader::of(value, pointer, errors)?.refusing_null();
    let version = reader.required_non_empty_string("version");
    let release_date = reader.required_string("releaseDate").and_then(|text| {
        jamf_time::parse_loose(&text)
            .map_err(|why| reader.error("releaseDate", why.to_string()))
            .ok()
    });
    let standalone = reader.required_bool("standalone");
    let minimum_operating_system = reader.required_string("minimumOperatingSystem");
    let reboot = reader.required_bool("reboot");
    let kill_apps = reader.array("killApps", Presence::Optional, read_kill_app);
    let components = reader.array("components", Presence::Required, read_component);
    let capabilities = reader.array("capabilities", Presence::Required, read_criterion);
    let dependencies_given = reader.object().contains_key("dependencies");
    let dependencies = reader.array("dependencies", Presence::Optional, |value, _, _| {
        Some(value.clone())
    });
    let extra = reader.keep_unknown();
    Some(Patch {
        version: version?,
        release_date: release_date?,
        standalone: standalone?,
        minimum_operating_system: minimum_operating_system?,
        reboot: reboot?,
        kill_apps: kill_apps?,
        components: components?,
        capabilities: capabilities?,
        dependencies: if dependencies_given {
            Some(dependencies?)
        } else {
            None
        },
        extra,
    })
}

fn read_kill_app(value: &Value, pointer: &str, errors: &mut FieldErrors) -> Option<KillApp> {
    let mut reader = ObjectReader::of(value, pointer, errors)?.refusing_null();
    let bundle_id = reader.required_string("bundleId");
    let app_name = reader.required_string("appName");
    let extra = reader.keep_unknown();
    Some(KillApp {
        bundle_id: bundle_id?,
        app_name: app_name?,
        extra,
    })
}

fn read_component(value: &Value, pointer: &str, errors: &mut FieldErrors) -> Option<Component> {
    let mut reader = ObjectReader::of(value, pointer, errors)?.refusing_null();
    let name = reader.required_string("name");
    let version = reader.required_string("version");
    let criteria = reader.array("criteria", Presence::Required, read_criterion);
    let extra = reader.keep_unknown();
    Some(Component {
        name: name?,
        version: version?,
        criteria: criteria?,
        extra,
    })
}

fn read_criterion(value: &Value, pointer: &str, errors: &mut FieldErrors) -> Option<Criterion> {
    let mut reader = ObjectReader::of(value, pointer, errors)?.refusing_null();
    let name = reader.required_string("name");
    let operator = reader.required_string("operator");
    let value = reader.required_string("value");
    let kind = reader
        .required_string("type")
        .and_then(|text| match text.as_str() {
            "recon" => Some(CriterionType::Recon),
            "extensionAttribute" => Some(CriterionType::ExtensionAttribute),
            other => {
                reader.error(
                    "type",
                    format!(
                        "criterion type {other:?} is not one of \"recon\" or \"extensionAttribute\""
                    ),
                );
                None
            }
        });
    let and = reader.optional_bool("and").flatten();
    let extra = reader.keep_unknown();
    Some(Criterion {
        name: name?,
        operator: operator?,
        value: value?,
        kind: kind?,
        and,
        extra,
    })
}

fn read_extension_attribute(
    value: &Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<ExtensionAttribute> {
    let mut reader = ObjectReader::of(value, pointer, errors)?.refusing_null();
    let key = reader.required_non_empty_string("key");
    let script = reader.required_string("value").and_then(|text| {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
            Ok(_) => Some(text),
            Err(why) => {
                reader.error(
                    "value",
                    format!("the script is not valid base64: {}", explain_base64(&why)),
                );
                None
            }
        }
    });
    let display_name = reader.required_string("displayName");
    let extra = reader.keep_unknown();
    Some(ExtensionAttribute {
        key: key?,
        value: script?,
        display_name: display_name?,
        extra,
    })
}

/// Says what is wrong with base64 text in words an admin can act on.
fn explain_base64(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(offset, byte)
        | base64::DecodeError::InvalidLastSymbol(offset, byte) => format!(
            "the character {:?} at position {offset} (not counting whitespace) is not in the base64 alphabet",
            char::from(*byte)
        ),
        base64::DecodeError::InvalidLength(length) => {
            format!(
                "{length} characters (not counting whitespace) cannot be base64; it must be a multiple of 4"
            )
        }
        base64::DecodeError::InvalidPadding => "the '=' padding at the end is wrong".into(),
    }
}

#[cfg(test)]
mod tests;
