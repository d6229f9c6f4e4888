//! Status item names and the item boundaries of a report's nested `StatusItems` tree.
//!
//! A report nests items by the dot-separated parts of their names. Where an item ends matters for
//! merging: an object-valued item (`softwareupdate.pending-version`) is replaced whole, never
//! merged key by key. The boundaries come from [`KNOWN_STATUS_ITEMS`], every status item Apple's
//! schemas define; on a path that is not a known item an object is descended into and any other
//! value is an item, so items Apple adds later are still stored (at worst split more finely).

use serde_json::{Map, Value, json};

/// `device.identifier.serial-number`: the serial number (string).
pub const SERIAL_NUMBER: &str = "device.identifier.serial-number";
/// `device.identifier.udid`: the UDID (string).
pub const UDID: &str = "device.identifier.udid";
/// `device.model.family`: the hardware family, such as `Mac` or `iPhone` (string).
pub const MODEL_FAMILY: &str = "device.model.family";
/// `device.model.identifier`: the model identifier, such as `Mac14,2` (string).
pub const MODEL_IDENTIFIER: &str = "device.model.identifier";
/// `device.model.marketing-name`: the model's marketing name (string).
pub const MODEL_MARKETING_NAME: &str = "device.model.marketing-name";
/// `device.operating-system.build-version`: the installed build, such as `25B78` (string).
pub const OS_BUILD_VERSION: &str = "device.operating-system.build-version";
/// `device.operating-system.family`: `macOS`, `iOS`, … (string).
pub const OS_FAMILY: &str = "device.operating-system.family";
/// `device.operating-system.marketing-name`: such as `macOS Tahoe` (string).
pub const OS_MARKETING_NAME: &str = "device.operating-system.marketing-name";
/// `device.operating-system.supplemental.build-version`: build with any supplemental (BSI/RSR)
/// letter, such as `20A123a` (string).
pub const OS_SUPPLEMENTAL_BUILD_VERSION: &str =
    "device.operating-system.supplemental.build-version";
/// `device.operating-system.supplemental.extra-version`: the supplemental letter, such as `(a)`
/// or `a` (string).
pub const OS_SUPPLEMENTAL_EXTRA_VERSION: &str =
    "device.operating-system.supplemental.extra-version";
/// `device.operating-system.version`: the installed OS version, such as `26.1` (string).
pub const OS_VERSION: &str = "device.operating-system.version";
/// `management.client-capabilities`: protocol versions, features and payloads (object).
pub const CLIENT_CAPABILITIES: &str = "management.client-capabilities";
/// `management.declarations`: the state of every declaration the device processed (object of
/// four arrays).
pub const DECLARATIONS: &str = "management.declarations";
/// `softwareupdate.beta-enrollment`: the beta program name, or `""` (string).
pub const BETA_ENROLLMENT: &str = "softwareupdate.beta-enrollment";
/// `softwareupdate.device-id`: the id to match against gdmf `SupportedDevices` (string).
pub const DEVICE_ID: &str = "softwareupdate.device-id";
/// `softwareupdate.failure-reason`: `{count, reason?, timestamp?}` (object).
pub const FAILURE_REASON: &str = "softwareupdate.failure-reason";
/// `softwareupdate.install-reason`: `{reason: [..], declaration-id?}` (object).
pub const INSTALL_REASON: &str = "softwareupdate.install-reason";
/// `softwareupdate.install-state`: `none`, `waiting`, `downloading`, … (string).
pub const INSTALL_STATE: &str = "softwareupdate.install-state";
/// `softwareupdate.pending-version`: `{os-version, build-version, target-local-date-time?}`
/// (object).
pub const PENDING_VERSION: &str = "softwareupdate.pending-version";

/// Every status item defined by Apple's schemas (`declarative/status/*.yaml`, `statusitemtype`,
/// 18.1 release and 18.2 seed), sorted. `statusreason.yaml` describes reasons, not an item.
pub const KNOWN_STATUS_ITEMS: [&str; 19] = [
    SERIAL_NUMBER,
    UDID,
    MODEL_FAMILY,
    MODEL_IDENTIFIER,
    MODEL_MARKETING_NAME,
    OS_BUILD_VERSION,
    OS_FAMILY,
    OS_MARKETING_NAME,
    OS_SUPPLEMENTAL_BUILD_VERSION,
    OS_SUPPLEMENTAL_EXTRA_VERSION,
    OS_VERSION,
    CLIENT_CAPABILITIES,
    DECLARATIONS,
    BETA_ENROLLMENT,
    DEVICE_ID,
    FAILURE_REASON,
    INSTALL_REASON,
    INSTALL_STATE,
    PENDING_VERSION,
];

/// Whether `name` (dotted) is one of [`KNOWN_STATUS_ITEMS`].
pub fn is_known_item(name: &str) -> bool {
    KNOWN_STATUS_ITEMS.contains(&name)
}

/// The dotted name of an item at `path` (its key at each level of the tree).
pub fn item_name(path: &[String]) -> String {
    path.join(".")
}

/// The items of a `StatusItems` tree with their paths, in the tree's order (borrowed).
pub fn items_in(tree: &Map<String, Value>) -> Vec<(Vec<String>, &Value)> {
    let mut found = Vec::new();
    collect_borrowed(tree, &mut Vec::new(), &mut found);
    found
}

/// The dotted names of the items of a `StatusItems` tree, in the tree's order.
pub fn item_names(tree: &Map<String, Value>) -> Vec<String> {
    items_in(tree)
        .into_iter()
        .map(|(path, _)| item_name(&path))
        .collect()
}

/// The value of the item `name` (dotted) in a `StatusItems` tree, if present.
pub fn get_item<'a>(tree: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let mut parts = name.split('.');
    let mut value = tree.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

/// Builds a status report from items given by dotted name, nested into Apple's tree shape, with
/// an empty `Errors` and the given `FullReport`. A later item replaces an earlier one at the same
/// path (and an item placed under a path that holds a non-object replaces that value).
pub fn report_json(items: &[(&str, Value)], full_report: bool) -> Value {
    let mut tree = Map::new();
    for (name, value) in items {
        let path: Vec<String> = name.split('.').map(str::to_owned).collect();
        set_item(&mut tree, &path, value.clone());
    }
    json!({ "StatusItems": tree, "Errors": [], "FullReport": full_report })
}

/// The items of a `StatusItems` tree with their paths, taking the tree apart.
pub(crate) fn into_items(tree: Map<String, Value>) -> Vec<(Vec<String>, Value)> {
    let mut found = Vec::new();
    collect_owned(tree, &mut Vec::new(), &mut found);
    found
}

/// Puts `value` at `path`, creating the objects on the way (and replacing any non-object there).
pub(crate) fn set_item(tree: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = tree;
    for key in parents {
        let slot = node
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        node = next;
    }
    node.insert(last.clone(), value);
}

/// Whether the value at `path` is an item (rather than a level to descend into).
fn is_item(path: &[String], value: &Value) -> bool {
    !value.is_object() || is_known_item(&item_name(path))
}

fn collect_borrowed<'a>(
    tree: &'a Map<String, Value>,
    prefix: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, &'a Value)>,
) {
    for (key, value) in tree {
        prefix.push(key.clone());
        match value {
            Value::Object(inner) if !is_item(prefix, value) => {
                collect_borrowed(inner, prefix, found);
            }
            _ => found.push((prefix.clone(), value)),
        }
        prefix.pop();
    }
}

fn collect_owned(
    tree: Map<String, Value>,
    prefix: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, Value)>,
) {
    for (key, value) in tree {
        prefix.push(key);
        if is_item(prefix, &value) {
            found.push((prefix.clone(), value));
        } else if let Value::Object(inner) = value {
            collect_owned(inner, prefix, found);
        }
        prefix.pop();
    }
}
