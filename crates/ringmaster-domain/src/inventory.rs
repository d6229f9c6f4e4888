//! The admin documents for devices, device groups and bindings, validated with JSON pointers.
//!
//! - a device: `{"id", "platform", "osVersion", "osBuild"?, "model"?, "softwareUpdateDeviceId"?}`;
//!   the id is the MDM enrollment id, by the one id rule ([`crate::ids`]); `model` is the model
//!   identifier (`Mac15,3`), `softwareUpdateDeviceId` what `softwareupdate.device-id` reports (a
//!   board id on a Mac, `J504AP`);
//! - a device group: `{"name", "devices": [ids]}`;
//! - bindings: `{"devices": [ids], "deviceGroups": [ids]}`, both optional (absent means none).
//!
//! A list holds at most [`MAX_IDS_PER_LIST`] ids, each checked once (linear time); duplicates are
//! kept here, so every error names the position the caller sent, and stored once by the store.
//! Unknown keys are refused, like everywhere else in the API, so a typo never passes silently.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::field_error::FieldErrors;
use crate::ids::{DeviceGroupId, DeviceId, MAX_IDS_PER_LIST, check_list_length};
use crate::json_read::describe;
use crate::json_read::object::{ObjectReader, UnknownKey};
use crate::platform::Platform;

/// The longest group name (and other short text: platform, build, model) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// A device as an admin (or, later, its check-in) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDocument {
    pub id: DeviceId,
    pub platform: Platform,
    pub os_version: AppleOsVersion,
    pub os_build: Option<String>,
    /// The model identifier (`Mac15,3`, `iPhone17,1`).
    pub model: Option<String>,
    /// What `softwareupdate.device-id` reports (`J504AP` on a Mac).
    pub software_update_device_id: Option<String>,
}

/// A device group: a name and its members (as sent, duplicates included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGroupDocument {
    pub name: String,
    pub devices: Vec<String>,
}

/// What a policy or policy group is bound to: as sent (duplicates included) when parsed, sorted
/// and without duplicates once stored ([`BindingTargets::normalized`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindingTargets {
    pub devices: Vec<String>,
    pub device_groups: Vec<DeviceGroupId>,
}

impl BindingTargets {
    /// Sorted, without duplicates.
    pub fn normalized(&self) -> BindingTargets {
        let devices: BTreeSet<&String> = self.devices.iter().collect();
        let device_groups: BTreeSet<DeviceGroupId> = self.device_groups.iter().copied().collect();
        BindingTargets {
            devices: devices.into_iter().cloned().collect(),
            device_groups: device_groups.into_iter().collect(),
        }
    }

    /// Bound to nothing.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty() && self.device_groups.is_empty()
    }
}

/// The keys of a device document.
const DEVICE_KEYS: [&str; 6] = [
    "id",
    "platform",
    "osVersion",
    "osBuild",
    "model",
    "softwareUpdateDeviceId",
];

/// A reader of `document` refusing, before any other problem, every key but `known` (inventory
/// documents list unknown keys first, in these words).
fn reader<'a, 'e>(
    document: &'a Value,
    known: &[&'a str],
    errors: &'e mut FieldErrors,
) -> Option<ObjectReader<'a, 'e>> {
    let mut reader = ObjectReader::of(document, "", errors)?;
    reader.declare(known);
    let wording = format!("unknown key; expected one of {}", known.join(", "));
    reader.refuse_unknown(UnknownKey::Say(&wording));
    Some(reader)
}

pub fn parse_device(document: &Value) -> Result<DeviceDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(mut reader) = reader(document, &DEVICE_KEYS, &mut errors) else {
        return Err(errors);
    };
    let id = match reader.field("id") {
        None => {
            reader.missing("id", None);
            None
        }
        Some(Value::String(text)) => DeviceId::parse(text)
            .map_err(|why| reader.error("id", why))
            .ok(),
        Some(other) => {
            reader.wrong_kind("id", "a string", other);
            None
        }
    };
    let platform = required_text(&mut reader, "platform").and_then(|text| {
        Platform::parse(&text)
            .map_err(|why| reader.error("platform", why))
            .ok()
    });
    let os_version = required_text(&mut reader, "osVersion").and_then(|text| {
        AppleOsVersion::parse(&text)
            .map_err(|why| reader.error("osVersion", why))
            .ok()
    });
    let os_build = optional_text(&mut reader, "osBuild");
    let model = optional_text(&mut reader, "model");
    let software_update_device_id = optional_text(&mut reader, "softwareUpdateDeviceId");
    match (id, platform, os_version) {
        (Some(id), Some(platform), Some(os_version)) if errors.is_empty() => Ok(DeviceDocument {
            id,
            platform,
            os_version,
            os_build,
            model,
            software_update_device_id,
        }),
        _ => Err(errors),
    }
}

pub fn parse_device_group(document: &Value) -> Result<DeviceGroupDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(mut reader) = reader(document, &["name", "devices"], &mut errors) else {
        return Err(errors);
    };
    let name = required_text(&mut reader, "name");
    let devices = device_ids(reader.field("devices"), "/devices", reader.errors);
    match name {
        Some(name) if errors.is_empty() => Ok(DeviceGroupDocument { name, devices }),
        _ => Err(errors),
    }
}

pub fn parse_bindings(document: &Value) -> Result<BindingTargets, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(mut reader) = reader(document, &["devices", "deviceGroups"], &mut errors) else {
        return Err(errors);
    };
    let devices = device_ids(reader.field("devices"), "/devices", reader.errors);
    let mut device_groups = Vec::new();
    match reader.field("deviceGroups") {
        None => {}
        Some(Value::Array(items)) if items.len() > MAX_IDS_PER_LIST => {
            push_list_too_long(items.len(), "/deviceGroups", reader.errors);
        }
        Some(Value::Array(items)) => {
            device_groups.reserve(items.len());
            for (index, item) in items.iter().enumerate() {
                match item.as_i64() {
                    Some(id) => device_groups.push(DeviceGroupId::new(id)),
                    None => reader.errors.push(
                        format!("/deviceGroups/{index}"),
                        format!("a device group id is an integer, not {}", describe(item)),
                    ),
                }
            }
        }
        Some(other) => reader.error(
            "deviceGroups",
            format!(
                "deviceGroups is an array of device group ids, not {}",
                describe(other)
            ),
        ),
    }
    errors.into_result(BindingTargets {
        devices,
        device_groups,
    })
}

/// A list of device ids, each by the id rule, at most [`MAX_IDS_PER_LIST`] of them; kept as sent
/// (duplicates too), so positions in errors are the caller's.
fn device_ids(value: Option<&Value>, pointer: &str, errors: &mut FieldErrors) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.len() > MAX_IDS_PER_LIST => {
            push_list_too_long(items.len(), pointer, errors);
        }
        Some(Value::Array(items)) => {
            ids.reserve(items.len());
            for (index, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => match DeviceId::parse(text) {
                        Ok(id) => ids.push(id.into_string()),
                        Err(why) => errors.push(format!("{pointer}/{index}"), why),
                    },
                    other => errors.push(
                        format!("{pointer}/{index}"),
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

fn push_list_too_long(length: usize, pointer: &str, errors: &mut FieldErrors) {
    if let Err(why) = check_list_length(length) {
        errors.push(pointer, why);
    }
}

fn required_text(reader: &mut ObjectReader<'_, '_>, key: &'static str) -> Option<String> {
    match reader.field(key) {
        None => {
            reader.missing(key, None);
            None
        }
        Some(Value::String(text)) => match check_text(text) {
            Ok(()) => Some(text.trim().to_owned()),
            Err(why) => {
                reader.error(key, why);
                None
            }
        },
        Some(other) => {
            reader.wrong_kind(key, "a string", other);
            None
        }
    }
}

/// Optional short text; blank counts as absent.
fn optional_text(reader: &mut ObjectReader<'_, '_>, key: &'static str) -> Option<String> {
    match reader.field(key)? {
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => match check_text(text) {
            Ok(()) => Some(text.trim().to_owned()),
            Err(why) => {
                reader.error(key, why);
                None
            }
        },
        other => {
            reader.wrong_kind(key, "a string", other);
            None
        }
    }
}

/// Short text (a name, a platform, a build): non-empty once trimmed, at most
/// [`MAX_TEXT_CHARS`] characters, no control characters.
fn check_text(text: &str) -> Result<(), String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if trimmed.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
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
            "id": "A1B2-C3", "platform": "macOS", "osVersion": "26.0.1", "osBuild": "25A362", "model": "Mac16,1",
            "softwareUpdateDeviceId": "J613AP"
        }))
        .unwrap();
        assert_eq!(device.software_update_device_id.as_deref(), Some("J613AP"));
        assert_eq!(device.id.as_str(), "A1B2-C3");
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
    fn device_ids_follow_the_id_rule() {
        let errors =
            parse_device(&json!({"id": ".hidden", "platform": "macOS", "osVersion": "26.0"}))
                .unwrap_err();
        assert_eq!(pointers(errors), vec!["/id"]);
        let device = parse_device(
            &json!({"id": "00008101-000A1B2C3D4E5F6A:501", "platform": "iOS", "osVersion": "26.0"}),
        )
        .unwrap();
        assert_eq!(device.id.as_str(), "00008101-000A1B2C3D4E5F6A:501");
    }

    #[test]
    fn group_members_must_be_ids_and_duplicates_keep_their_positions() {
        let group =
            parse_device_group(&json!({"name": "Lab", "devices": ["a", "b", "a"]})).unwrap();
        assert_eq!(group.devices, vec!["a", "b", "a"]);
        let errors = parse_device_group(
            &json!({"name": "", "devices": ["a", 7, "\u{7}", "a", "..", "x\u{0}"]}),
        )
        .unwrap_err();
        assert_eq!(
            pointers(errors),
            vec![
                "/name",
                "/devices/1",
                "/devices/2",
                "/devices/4",
                "/devices/5"
            ]
        );
    }

    #[test]
    fn bindings_take_device_and_group_ids() {
        let bindings =
            parse_bindings(&json!({"devices": ["d1"], "deviceGroups": [3, 3, 4]})).unwrap();
        assert_eq!(bindings.devices, vec!["d1"]);
        assert_eq!(bindings.device_groups, [3, 3, 4].map(DeviceGroupId::new));
        assert_eq!(
            parse_bindings(&json!({})).unwrap(),
            BindingTargets::default()
        );
        let errors = parse_bindings(&json!({"deviceGroups": ["3"], "policies": []})).unwrap_err();
        assert_eq!(pointers(errors), vec!["/policies", "/deviceGroups/0"]);
    }

    #[test]
    fn a_list_over_the_limit_is_refused_at_the_list() {
        let ids: Vec<String> = (0..=MAX_IDS_PER_LIST).map(|i| format!("d{i}")).collect();
        let groups: Vec<i64> = (0..=MAX_IDS_PER_LIST as i64).collect();
        let errors = parse_bindings(&json!({"devices": ids, "deviceGroups": groups})).unwrap_err();
        assert_eq!(pointers(errors), vec!["/devices", "/deviceGroups"]);
        let errors = parse_device_group(&json!({"name": "All", "devices": ids})).unwrap_err();
        assert_eq!(pointers(errors), vec!["/devices"]);
        let at_limit = &ids[..MAX_IDS_PER_LIST];
        let group = parse_device_group(&json!({"name": "All", "devices": at_limit})).unwrap();
        assert_eq!(group.devices.len(), MAX_IDS_PER_LIST);
    }
}
