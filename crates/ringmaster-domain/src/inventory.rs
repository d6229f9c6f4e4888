//! The admin documents for devices, device groups and bindings, validated with JSON pointers.
//!
//! - a device: `{"id", "platform", "osVersion", "osBuild"?, "model"?}`; the id is the MDM
//!   enrollment id (1–256 characters, no control characters);
//! - a device group: `{"name", "devices": [ids]}`;
//! - bindings: `{"devices": [ids], "deviceGroups": [ids]}`, both optional (absent means none),
//!   duplicates removed.
//!
//! Unknown keys are refused, like everywhere else in the API, so a typo never passes silently.

use serde_json::{Map, Value};

use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Platform;
use crate::field_error::FieldErrors;
use crate::json_read::{describe, expect_object};

/// The longest device id and group name accepted.
pub const MAX_ID_CHARS: usize = 256;

/// A device as an admin (or, later, its check-in) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDocument {
    pub id: String,
    pub platform: Platform,
    pub os_version: AppleOsVersion,
    pub os_build: Option<String>,
    pub model: Option<String>,
}

/// A device group: a name and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroupDocument {
    pub name: String,
    pub devices: Vec<String>,
}

/// What a policy or policy group is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindingsDocument {
    pub devices: Vec<String>,
    pub device_groups: Vec<i64>,
}

pub fn parse_device(document: &Value) -> Result<DeviceDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = expect_object(document, "", &mut errors) else {
        return Err(errors);
    };
    refuse_unknown(
        object,
        &["id", "platform", "osVersion", "osBuild", "model"],
        &mut errors,
    );
    let id = required_text(object, "id", &mut errors);
    let platform = required_text(object, "platform", &mut errors).and_then(|text| {
        Platform::parse(&text)
            .map_err(|why| errors.push("/platform", why))
            .ok()
    });
    let os_version = required_text(object, "osVersion", &mut errors).and_then(|text| {
        AppleOsVersion::parse(&text)
            .map_err(|why| errors.push("/osVersion", why))
            .ok()
    });
    let os_build = optional_text(object, "osBuild", &mut errors);
    let model = optional_text(object, "model", &mut errors);
    match (id, platform, os_version) {
        (Some(id), Some(platform), Some(os_version)) if errors.is_empty() => Ok(DeviceDocument {
            id,
            platform,
            os_version,
            os_build,
            model,
        }),
        _ => Err(errors),
    }
}

pub fn parse_device_group(document: &Value) -> Result<DeviceGroupDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = expect_object(document, "", &mut errors) else {
        return Err(errors);
    };
    refuse_unknown(object, &["name", "devices"], &mut errors);
    let name = required_text(object, "name", &mut errors);
    let devices = device_ids(object.get("devices"), "/devices", &mut errors);
    match name {
        Some(name) if errors.is_empty() => Ok(DeviceGroupDocument { name, devices }),
        _ => Err(errors),
    }
}

pub fn parse_bindings(document: &Value) -> Result<BindingsDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = expect_object(document, "", &mut errors) else {
        return Err(errors);
    };
    refuse_unknown(object, &["devices", "deviceGroups"], &mut errors);
    let devices = device_ids(object.get("devices"), "/devices", &mut errors);
    let mut device_groups = Vec::new();
    match object.get("deviceGroups") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                match item.as_i64() {
                    Some(id) if !device_groups.contains(&id) => device_groups.push(id),
                    Some(_) => {}
                    None => errors.push(
                        format!("/deviceGroups/{index}"),
                        format!("a device group id is an integer, not {}", describe(item)),
                    ),
                }
            }
        }
        Some(other) => errors.push(
            "/deviceGroups",
            format!(
                "deviceGroups is an array of device group ids, not {}",
                describe(other)
            ),
        ),
    }
    errors.into_result(BindingsDocument {
        devices,
        device_groups,
    })
}

/// A list of device ids; duplicates dropped, order kept (so positions in errors match the input
/// for the first occurrence).
fn device_ids(value: Option<&Value>, pointer: &str, errors: &mut FieldErrors) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                let at = format!("{pointer}/{index}");
                match item {
                    Value::String(text) => match check_id(text) {
                        Ok(()) if !ids.contains(text) => ids.push(text.clone()),
                        Ok(()) => {}
                        Err(why) => errors.push(at, why),
                    },
                    other => errors.push(
                        at,
                        format!("a device id is a string, not {}", describe(other)),
                    ),
                }
            }
        }
        Some(other) => errors.push(
            pointer,
            format!("expected an array of device ids, not {}", describe(other)),
        ),
    }
    ids
}

fn required_text(
    object: &Map<String, Value>,
    key: &'static str,
    errors: &mut FieldErrors,
) -> Option<String> {
    let pointer = format!("/{key}");
    match object.get(key) {
        None | Some(Value::Null) => {
            errors.push(pointer, format!("{key} is required"));
            None
        }
        Some(Value::String(text)) => match check_id(text) {
            Ok(()) => Some(text.trim().to_owned()),
            Err(why) => {
                errors.push(pointer, why);
                None
            }
        },
        Some(other) => {
            errors.push(
                pointer,
                format!("{key} must be a string, not {}", describe(other)),
            );
            None
        }
    }
}

fn optional_text(
    object: &Map<String, Value>,
    key: &'static str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match object.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => match check_id(text) {
            Ok(()) => Some(text.trim().to_owned()),
            Err(why) => {
                errors.push(format!("/{key}"), why);
                None
            }
        },
        Some(other) => {
            errors.push(
                format!("/{key}"),
                format!("{key} must be a string, not {}", describe(other)),
            );
            None
        }
    }
}

/// Non-empty, at most [`MAX_ID_CHARS`] characters, no control characters.
fn check_id(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if trimmed.chars().count() > MAX_ID_CHARS {
        return Err(format!("must be at most {MAX_ID_CHARS} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

fn refuse_unknown(object: &Map<String, Value>, known: &[&str], errors: &mut FieldErrors) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(
                format!("/{}", key.replace('~', "~0").replace('/', "~1")),
                format!("unknown key; expected one of {}", known.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(errors: FieldErrors) -> Vec<String> {
        errors.iter().map(|error| error.pointer.clone()).collect()
    }

    #[test]
    fn a_full_device_reads_every_field() {
        let device = parse_device(&json!({
            "id": "A1B2-C3", "platform": "macOS", "osVersion": "26.0.1", "osBuild": "25A362", "model": "Mac16,1"
        }))
        .unwrap();
        assert_eq!(device.id, "A1B2-C3");
        assert_eq!(device.platform, Platform::MacOs);
        assert_eq!(device.os_version.as_str(), "26.0.1");
        assert_eq!(device.os_build.as_deref(), Some("25A362"));
        assert_eq!(device.model.as_deref(), Some("Mac16,1"));
    }

    #[test]
    fn every_device_error_is_reported_with_its_pointer() {
        let errors = parse_device(&json!({
            "platform": "tvOS", "osVersion": "26.x", "model": 5, "serial": "X"
        }))
        .unwrap_err();
        assert_eq!(
            pointers(errors),
            vec!["/serial", "/id", "/platform", "/osVersion", "/model"]
        );
    }

    #[test]
    fn group_members_must_be_strings_and_duplicates_collapse() {
        let group =
            parse_device_group(&json!({"name": "Lab", "devices": ["a", "b", "a"]})).unwrap();
        assert_eq!(group.devices, vec!["a", "b"]);
        let errors =
            parse_device_group(&json!({"name": "", "devices": ["a", 7, "\u{7}"]})).unwrap_err();
        assert_eq!(pointers(errors), vec!["/name", "/devices/1", "/devices/2"]);
    }

    #[test]
    fn bindings_take_device_and_group_ids() {
        let bindings =
            parse_bindings(&json!({"devices": ["d1"], "deviceGroups": [3, 3, 4]})).unwrap();
        assert_eq!(bindings.devices, vec!["d1"]);
        assert_eq!(bindings.device_groups, vec![3, 4]);
        assert_eq!(
            parse_bindings(&json!({})).unwrap(),
            BindingsDocument::default()
        );
        let errors = parse_bindings(&json!({"deviceGroups": ["3"], "policies": []})).unwrap_err();
        assert_eq!(pointers(errors), vec!["/policies", "/deviceGroups/0"]);
    }
}
