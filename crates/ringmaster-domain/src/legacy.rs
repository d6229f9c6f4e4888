//! Legacy update mechanisms recorded against a device (a Jamf patch policy, a deferral
//! profile): they conflict with DDM updates, so an admin records them and the results say so.
//!
//! The admin document is `{"kind": "patchPolicy"|"deferralProfile", "name"}`; unknown keys are
//! refused, each problem named by JSON pointer.

use serde_json::{Map, Value};

use crate::field_error::FieldErrors;
use crate::json_read::object::{ObjectReader, UnknownKey};

/// The kinds of legacy mechanism that can be recorded against a device.
pub const LEGACY_KINDS: [&str; 2] = ["patchPolicy", "deferralProfile"];

/// A legacy mechanism as an admin records it: its kind (one of [`LEGACY_KINDS`]) and its name
/// (trimmed, never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyMechanismDocument {
    pub kind: String,
    pub name: String,
}

/// Whether `kind` is one of [`LEGACY_KINDS`].
pub fn is_legacy_kind(kind: &str) -> bool {
    LEGACY_KINDS.contains(&kind)
}

/// Reads `{"kind", "name"}`: a bad kind, a missing or blank name and every unknown key are
/// reported, in that order.
///
/// A document that is no object is read as an empty one (each field then reported missing), as
/// it always was: clients see `/kind` and `/name`, not a refusal of the document.
pub fn parse_legacy_mechanism(document: &Value) -> Result<LegacyMechanismDocument, FieldErrors> {
    let mut errors = FieldErrors::new();
    let empty = Map::new();
    let mut reader = ObjectReader::new(document.as_object().unwrap_or(&empty), "", &mut errors);
    let kind = reader.field("kind").and_then(Value::as_str).unwrap_or("");
    if !is_legacy_kind(kind) {
        reader.error(
            "kind",
            format!("kind is one of {}", LEGACY_KINDS.join(", ")),
        );
    }
    let name = reader
        .field("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if name.is_empty() {
        reader.error(
            "name",
            "name is required: the legacy policy's or profile's name",
        );
    }
    reader.refuse_unknown(UnknownKey::Say("unknown key; expected kind, name"));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LegacyMechanismDocument {
        kind: kind.to_owned(),
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointers(document: &Value) -> Vec<String> {
        parse_legacy_mechanism(document)
            .err()
            .map(|errors| errors.iter().map(|error| error.pointer.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_kind_and_a_name_are_read_with_the_name_trimmed() {
        let read = parse_legacy_mechanism(&json!({"kind": "deferralProfile", "name": "  Hold  "}))
            .unwrap();
        assert_eq!(
            read,
            LegacyMechanismDocument {
                kind: "deferralProfile".into(),
                name: "Hold".into()
            }
        );
    }

    #[test]
    fn a_bad_kind_a_blank_name_and_unknown_keys_are_each_named() {
        assert_eq!(
            pointers(&json!({"kind": "script", "name": " ", "extra": 1})),
            ["/kind", "/name", "/extra"]
        );
        assert_eq!(pointers(&json!("patchPolicy")), ["/kind", "/name"]);
        assert_eq!(
            pointers(&json!({"kind": 3, "name": ["x"]})),
            ["/kind", "/name"]
        );
    }
}
