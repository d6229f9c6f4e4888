//! [`Reader`]: one JSON object's fields read with the policy parser's rules (`null` is absent,
//! no coercion, unknown keys refused with the keys that are known), problems recorded at their
//! JSON pointers.

use serde_json::{Map, Value};

use crate::field_error::{FieldErrors, child};
use crate::json_read::describe;
use crate::policy::model::ApiValue;

/// Reads one JSON object's fields, recording problems; [`Reader::finish`] refuses unknown keys.
pub(super) struct Reader<'a, 'e> {
    object: &'a Map<String, Value>,
    pointer: String,
    pub(super) errors: &'e mut FieldErrors,
    known: Vec<&'static str>,
}

impl<'a, 'e> Reader<'a, 'e> {
    pub(super) fn new(
        object: &'a Map<String, Value>,
        pointer: String,
        errors: &'e mut FieldErrors,
    ) -> Self {
        Self {
            object,
            pointer,
            errors,
            known: Vec::new(),
        }
    }

    pub(super) fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(child(&self.pointer, key), message);
    }

    /// Whether `key` holds a value (not `null`); when it does, it counts as read (so it is not
    /// refused as unknown) without being listed among the keys expected where it is absent.
    pub(super) fn take_if_present(&mut self, key: &'static str) -> bool {
        let present = self.object.get(key).is_some_and(|value| !value.is_null());
        if present {
            self.known.push(key);
        }
        present
    }

    /// The value of `key`, `None` when absent or `null`.
    pub(super) fn field(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        self.object.get(key).filter(|value| !value.is_null())
    }

    pub(super) fn required_string(&mut self, key: &'static str) -> Option<String> {
        match self.optional_string(key) {
            Some(Some(text)) => Some(text),
            Some(None) => {
                self.error(key, format!("{key} is required"));
                None
            }
            None => None,
        }
    }

    pub(super) fn required_non_empty_string(&mut self, key: &'static str) -> Option<String> {
        let text = self.required_string(key)?;
        if text.trim().is_empty() {
            self.error(key, format!("{key} must not be empty"));
            return None;
        }
        Some(text)
    }

    /// Outer `None`: an error was recorded. Inner `None`: absent.
    pub(super) fn optional_string(&mut self, key: &'static str) -> Option<Option<String>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(other) => {
                self.error(
                    key,
                    format!("{key} must be a string, not {}", describe(other)),
                );
                None
            }
        }
    }

    pub(super) fn optional_bool(&mut self, key: &'static str) -> Option<Option<bool>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Bool(flag)) => Some(Some(*flag)),
            Some(other) => {
                self.error(
                    key,
                    format!(
                        "{key} must be a boolean (true or false without quotes), not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn optional_integer(&mut self, key: &'static str) -> Option<Option<i64>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Number(number)) if number.as_i64().is_some() => Some(number.as_i64()),
            Some(other) => {
                self.error(
                    key,
                    format!(
                        "{key} must be a whole number of days, not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn optional_value<T: ApiValue>(&mut self, key: &'static str) -> Option<Option<T>> {
        let text = self.optional_string(key)?;
        let Some(text) = text else {
            return Some(None);
        };
        match T::from_api(&text) {
            Some(value) => Some(Some(value)),
            None => {
                self.error(
                    key,
                    format!("{key} must be {}, not {text:?}", one_of(T::VALUES)),
                );
                None
            }
        }
    }

    /// Outer `None`: an error was recorded. Inner `None`: absent.
    pub(super) fn object(&mut self, key: &'static str) -> Option<Option<&'a Map<String, Value>>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Object(object)) => Some(Some(object)),
            Some(other) => {
                self.error(
                    key,
                    format!("{key} must be an object, not {}", describe(other)),
                );
                None
            }
        }
    }

    /// Refuses every key no read asked for.
    pub(super) fn finish(&mut self) {
        let unknown: Vec<&String> = self
            .object
            .keys()
            .filter(|key| !self.known.contains(&key.as_str()))
            .collect();
        for key in unknown {
            let expected = self.known.join(", ");
            self.errors.push(
                child(&self.pointer, key),
                format!("unknown key {key:?}; the keys here are {expected}"),
            );
        }
    }
}

pub(super) fn one_of<T>(values: &[(T, &str)]) -> String {
    let quoted: Vec<String> = values.iter().map(|(_, text)| format!("{text:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("one of {} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
