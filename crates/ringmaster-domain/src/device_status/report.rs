//! The status report a device sends (`declarative/protocol/statusreport.yaml`) and its parser.
//!
//! The parser refuses only a body of the wrong shape, naming each problem by JSON pointer: not
//! JSON, not an object, `StatusItems` not an object, `Errors` not an array of objects each with a
//! string `StatusItem`, `FullReport` not a boolean. Everything else is kept as sent: unknown items,
//! unknown keys inside items and unknown values (Apple adds values, such as the install state
//! `waiting`). Missing `StatusItems` or `Errors` read as empty, a missing `FullReport` as `false`
//! (its default). Unknown top-level keys are ignored. Inside an `Errors` entry the optional
//! `Reasons` are read leniently: a reason that is not an object with a string `Code` is dropped.

use serde_json::{Map, Value, json};

use crate::field_error::{FieldErrors, child};
use crate::json_read::{describe, json_document};

/// One reason from a status report: `{Code, Description?, Details?}` in an `Errors` entry, or
/// `{code, description?, details?}` in a declaration's status (`management.declarations`).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReason {
    /// The reason code, such as `Error.ConfigurationIsInvalid`.
    pub code: String,
    /// The human description, when sent.
    pub description: Option<String>,
    /// Further details (Apple sends an object), kept as sent.
    pub details: Option<Value>,
}

/// The key names of a reason: capitalized in a report's `Errors`, lower case inside items.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReasonKeys {
    /// `Code`, `Description`, `Details`.
    Report,
    /// `code`, `description`, `details`.
    Item,
}

impl ReasonKeys {
    fn names(self) -> [&'static str; 3] {
        match self {
            ReasonKeys::Report => ["Code", "Description", "Details"],
            ReasonKeys::Item => ["code", "description", "details"],
        }
    }
}

impl StatusReason {
    /// Reads a reason; `None` unless `value` is an object with a string code. A description that
    /// is not a string reads as absent; details are kept whatever they are.
    pub(crate) fn read(value: &Value, keys: ReasonKeys) -> Option<StatusReason> {
        let [code, description, details] = keys.names();
        let object = value.as_object()?;
        Some(StatusReason {
            code: object.get(code)?.as_str()?.to_owned(),
            description: object
                .get(description)
                .and_then(Value::as_str)
                .map(str::to_owned),
            details: object.get(details).cloned(),
        })
    }

    /// Reads a list of reasons leniently: anything but an array is no reasons, and entries that
    /// are not reasons are dropped.
    pub(crate) fn read_list(value: Option<&Value>, keys: ReasonKeys) -> Vec<StatusReason> {
        value
            .and_then(Value::as_array)
            .map(|reasons| {
                reasons
                    .iter()
                    .filter_map(|reason| StatusReason::read(reason, keys))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The reason as in a report's `Errors` (`Code`, `Description`, `Details`).
    pub fn to_report_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("Code".into(), Value::String(self.code.clone()));
        if let Some(description) = &self.description {
            object.insert("Description".into(), Value::String(description.clone()));
        }
        if let Some(details) = &self.details {
            object.insert("Details".into(), details.clone());
        }
        Value::Object(object)
    }
}

/// An entry of a report's `Errors`: a status item the device could not report, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusItemError {
    /// The item's dotted name, such as `softwareupdate.beta-enrollment`.
    pub status_item: String,
    /// The reasons, possibly none.
    pub reasons: Vec<StatusReason>,
}

impl StatusItemError {
    /// `{"StatusItem": …, "Reasons": […]}`; `Reasons` is left out when there are none.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("StatusItem".into(), Value::String(self.status_item.clone()));
        if !self.reasons.is_empty() {
            let reasons = self.reasons.iter().map(StatusReason::to_report_json);
            object.insert("Reasons".into(), Value::Array(reasons.collect()));
        }
        Value::Object(object)
    }
}

/// A parsed status report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusReport {
    /// `StatusItems`: the nested tree of items as sent.
    pub items: Map<String, Value>,
    /// `Errors`: items the device could not report.
    pub errors: Vec<StatusItemError>,
    /// `FullReport`: the report carries the whole status, not only changes.
    pub full_report: bool,
}

impl StatusReport {
    /// The report in Apple's shape (`StatusItems`, `Errors`, `FullReport`).
    pub fn to_json(&self) -> Value {
        let errors: Vec<Value> = self.errors.iter().map(StatusItemError::to_json).collect();
        json!({
            "StatusItems": self.items,
            "Errors": errors,
            "FullReport": self.full_report,
        })
    }
}

/// Parses a status report body (see the module doc for what is refused and what is kept).
pub fn parse_status_report(bytes: &[u8]) -> Result<StatusReport, FieldErrors> {
    let document = json_document(bytes, "the status report")?;
    parse_status_report_value(&document)
}

/// [`parse_status_report`] on an already parsed document.
pub fn parse_status_report_value(document: &Value) -> Result<StatusReport, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(object) = document.as_object() else {
        errors.push(
            "",
            format!(
                "a status report must be an object, not {}",
                describe(document)
            ),
        );
        return Err(errors);
    };

    let items = match object.get("StatusItems") {
        None => Map::new(),
        Some(Value::Object(items)) => items.clone(),
        Some(other) => {
            errors.push(
                "/StatusItems",
                format!(
                    "expected an object of status items, not {}",
                    describe(other)
                ),
            );
            Map::new()
        }
    };

    let item_errors = match object.get("Errors") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                parse_item_error(entry, &child("/Errors", index), &mut errors)
            })
            .collect(),
        Some(other) => {
            errors.push(
                "/Errors",
                format!("expected an array of errors, not {}", describe(other)),
            );
            Vec::new()
        }
    };

    let full_report = match object.get("FullReport") {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => {
            errors.push(
                "/FullReport",
                format!("expected a boolean, not {}", describe(other)),
            );
            false
        }
    };

    errors.into_result(StatusReport {
        items,
        errors: item_errors,
        full_report,
    })
}

fn parse_item_error(
    entry: &Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<StatusItemError> {
    let Some(object) = entry.as_object() else {
        errors.push(
            pointer,
            format!(
                "expected an object with a StatusItem, not {}",
                describe(entry)
            ),
        );
        return None;
    };
    let status_item = match object.get("StatusItem") {
        Some(Value::String(name)) => name.clone(),
        Some(other) => {
            errors.push(
                child(pointer, "StatusItem"),
                format!("expected the status item's name, not {}", describe(other)),
            );
            return None;
        }
        None => {
            errors.push(
                child(pointer, "StatusItem"),
                "missing: every error names its status item",
            );
            return None;
        }
    };
    Some(StatusItemError {
        status_item,
        reasons: StatusReason::read_list(object.get("Reasons"), ReasonKeys::Report),
    })
}
