//! Reading untyped JSON for the hand-written parsers (titles, policies, feeds): parsing text with
//! a located syntax error, and describing a value that has the wrong shape.

use serde_json::{Map, Value};

use crate::field_error::FieldErrors;

/// Parses JSON text; a syntax error is reported at the document (pointer "") with its line and
/// column. `what` names the document in the message ("the body", "the feed").
pub fn json_document(bytes: &[u8], what: &str) -> Result<Value, FieldErrors> {
    serde_json::from_slice(bytes).map_err(|error| {
        let message = error.to_string();
        let reason = message.split(" at line ").next().unwrap_or(&message);
        let mut errors = FieldErrors::new();
        errors.push(
            "",
            format!(
                "{what} is not valid JSON: {reason} (line {}, column {})",
                error.line(),
                error.column()
            ),
        );
        errors
    })
}

/// Describes a value for an error message: its kind, and short scalars themselves
/// ("the string \"true\"", "the number 7", "an array").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) if text.chars().count() <= 40 => format!("the string {text:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The object `value` is, or an error at `pointer`.
pub fn expect_object<'a>(
    value: &'a Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(object) => Some(object),
        other => {
            errors.push(
                pointer,
                format!("expected an object, not {}", describe(other)),
            );
            None
        }
    }
}
