//! [`ObjectReader`]: the one way the hand-written parsers (titles, policies, feeds, devices,
//! device groups, bindings, legacy mechanisms, webhooks) read a JSON object's fields, recording
//! every problem at its JSON pointer instead of stopping at the first.
//!
//! The rules, said once:
//! - **`null` is absent.** An optional field holding `null` reads as left out; a required one is
//!   refused as missing (`"name is required"`). The one exception is a reader made with
//!   [`ObjectReader::refusing_null`] (the Jamf title definition, whose documented rule is that only
//!   `appName` and `bundleId` may be `null`, and the webhook body): there `null` is a value of the
//!   wrong kind (`"name must be a string, not null"`), except where a field is read as
//!   [`ObjectReader::nullable_string`].
//! - **No coercion.** A string is a JSON string, a boolean a JSON boolean (`"true"` is refused),
//!   an integer a JSON integer.
//! - **Unknown keys** are either refused, each at its own pointer ([`ObjectReader::refuse_unknown`],
//!   after the reads, or before them with [`ObjectReader::declare`]), or kept for the caller
//!   ([`ObjectReader::keep_unknown`], nulls left out); a reader that does neither ignores them
//!   (third-party feeds, which gain keys all the time).
//!
//! Messages name the key first (`"{key} must be a string, not the number 7"`), so they read the
//! same in every document.

use serde_json::{Map, Value};

use crate::field_error::{FieldErrors, child};
use crate::json_read::describe;

/// How [`ObjectReader::refuse_unknown`] words its refusal.
#[derive(Debug, Clone, Copy)]
pub enum UnknownKey<'m> {
    /// `unknown key "x"; the keys here are a, b, c` (the keys read so far, in reading order).
    ListKnown,
    /// The parser's own sentence, the same for every unknown key (wording clients already see).
    Say(&'m str),
}

/// Whether an array field must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
}

/// Reads one JSON object's fields, recording problems at their pointers and remembering which
/// keys were read (so the rest can be refused or kept).
#[derive(Debug)]
pub struct ObjectReader<'a, 'e> {
    object: &'a Map<String, Value>,
    pointer: String,
    /// Where problems are recorded; readers of nested objects share it.
    pub errors: &'e mut FieldErrors,
    known: Vec<&'a str>,
    null_is_absent: bool,
}

impl<'a, 'e> ObjectReader<'a, 'e> {
    /// A reader of `object`, which sits at `pointer` ("" for the document).
    pub fn new(
        object: &'a Map<String, Value>,
        pointer: impl Into<String>,
        errors: &'e mut FieldErrors,
    ) -> Self {
        Self {
            object,
            pointer: pointer.into(),
            errors,
            known: Vec::new(),
            null_is_absent: true,
        }
    }

    /// A reader of `value` if it is an object; otherwise `None`, with the error at `pointer`.
    pub fn of(
        value: &'a Value,
        pointer: impl Into<String>,
        errors: &'e mut FieldErrors,
    ) -> Option<Self> {
        let pointer = pointer.into();
        let object = crate::json_read::expect_object(value, &pointer, errors)?;
        Some(Self::new(object, pointer, errors))
    }

    /// This reader with `null` read as a value of the wrong kind rather than as absent (see the
    /// module documentation for who reads so, and why).
    pub fn refusing_null(mut self) -> Self {
        self.null_is_absent = false;
        self
    }

    /// The object read.
    pub fn object(&self) -> &'a Map<String, Value> {
        self.object
    }

    /// Pointer to one of this object's fields.
    pub fn pointer_to(&self, key: &str) -> String {
        child(&self.pointer, key)
    }

    /// Records a problem with `key`.
    pub fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(child(&self.pointer, key), message);
    }

    /// Records that `key` is required; `what` says what it holds ("true or false").
    pub fn missing(&mut self, key: &str, what: Option<&str>) {
        let message = match what {
            Some(what) => format!("{key} is required ({what})"),
            None => format!("{key} is required"),
        };
        self.error(key, message);
    }

    /// Records that `key` holds `found` where `what` ("a string") was expected.
    pub fn wrong_kind(&mut self, key: &str, what: &str, found: &Value) {
        self.error(
            key,
            format!("{key} must be {what}, not {}", describe(found)),
        );
    }

    /// Counts `keys` as read, so [`refuse_unknown`](Self::refuse_unknown) can run before the reads.
    pub fn declare(&mut self, keys: &[&'a str]) {
        self.known.extend_from_slice(keys);
    }

    /// The value of `key` (`None` when absent, or `null` where null is absent); `key` counts as
    /// read.
    pub fn field(&mut self, key: &'a str) -> Option<&'a Value> {
        self.known.push(key);
        if self.null_is_absent {
            return present(self.object, key);
        }
        self.object.get(key)
    }

    /// Whether `key` holds a value (not `null`); when it does, it counts as read without being
    /// listed among the keys expected where it is absent (a key allowed only in some documents).
    pub fn take_if_present(&mut self, key: &'a str) -> bool {
        let present = self.object.get(key).is_some_and(|value| !value.is_null());
        if present {
            self.known.push(key);
        }
        present
    }

    /// A required string.
    pub fn required_string(&mut self, key: &'a str) -> Option<String> {
        match self.optional_string(key) {
            Some(Some(text)) => Some(text),
            Some(None) => {
                self.missing(key, None);
                None
            }
            None => None,
        }
    }

    /// A required string that is not blank.
    pub fn required_non_empty_string(&mut self, key: &'a str) -> Option<String> {
        let text = self.required_string(key)?;
        if text.trim().is_empty() {
            self.error(key, format!("{key} must not be empty"));
            return None;
        }
        Some(text)
    }

    /// An optional string. Outer `None`: an error was recorded. Inner `None`: absent.
    pub fn optional_string(&mut self, key: &'a str) -> Option<Option<String>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(other) => {
                self.wrong_kind(key, "a string", other);
                None
            }
        }
    }

    /// A string that may be absent or `null`, in a reader [refusing null](Self::refusing_null).
    pub fn nullable_string(&mut self, key: &'a str) -> Option<String> {
        match self.field(key)? {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            other => {
                self.wrong_kind(key, "a string or null", other);
                None
            }
        }
    }

    /// A required boolean.
    pub fn required_bool(&mut self, key: &'a str) -> Option<bool> {
        match self.optional_bool(key) {
            Some(Some(flag)) => Some(flag),
            Some(None) => {
                self.missing(key, Some("true or false"));
                None
            }
            None => None,
        }
    }

    /// An optional boolean. Outer `None`: an error was recorded. Inner `None`: absent.
    pub fn optional_bool(&mut self, key: &'a str) -> Option<Option<bool>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Bool(flag)) => Some(Some(*flag)),
            Some(other) => {
                self.wrong_kind(key, "a boolean (true or false without quotes)", other);
                None
            }
        }
    }

    /// An optional integer; `what` names it in the refusal ("a whole number of days"). Outer
    /// `None`: an error was recorded. Inner `None`: absent.
    pub fn optional_integer(&mut self, key: &'a str, what: &str) -> Option<Option<i64>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Number(number)) if number.as_i64().is_some() => Some(number.as_i64()),
            Some(other) => {
                self.wrong_kind(key, what, other);
                None
            }
        }
    }

    /// An optional nested object. Outer `None`: an error was recorded. Inner `None`: absent.
    pub fn optional_object(&mut self, key: &'a str) -> Option<Option<&'a Map<String, Value>>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Object(object)) => Some(Some(object)),
            Some(other) => {
                self.wrong_kind(key, "an object", other);
                None
            }
        }
    }

    /// An array field read item by item (each item at its own pointer). `None` when the field
    /// is unusable or an item failed (its errors are recorded); absent and optional is empty.
    pub fn array<T>(
        &mut self,
        key: &'a str,
        presence: Presence,
        mut read_item: impl FnMut(&'a Value, &str, &mut FieldErrors) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = match (self.field(key), presence) {
            (None, Presence::Optional) => return Some(Vec::new()),
            (None, Presence::Required) => {
                self.missing(key, Some("an array, possibly empty"));
                return None;
            }
            (Some(Value::Array(items)), _) => items,
            (Some(other), _) => {
                self.wrong_kind(key, "an array", other);
                return None;
            }
        };
        let array_pointer = self.pointer_to(key);
        let mut parsed = Vec::with_capacity(items.len());
        let mut all_ok = true;
        for (index, item) in items.iter().enumerate() {
            let before = self.errors.len();
            match read_item(item, &child(&array_pointer, index), self.errors) {
                Some(value) if self.errors.len() == before => parsed.push(value),
                _ => all_ok = false,
            }
        }
        all_ok.then_some(parsed)
    }

    /// Refuses every key not read (or declared) so far, each at its pointer.
    pub fn refuse_unknown(&mut self, wording: UnknownKey<'_>) {
        let unknown: Vec<&'a String> = self
            .object
            .keys()
            .filter(|key| !self.known.contains(&key.as_str()))
            .collect();
        for key in unknown {
            let message = match wording {
                UnknownKey::ListKnown => {
                    format!(
                        "unknown key {key:?}; the keys here are {}",
                        self.known.join(", ")
                    )
                }
                UnknownKey::Say(sentence) => sentence.to_owned(),
            };
            self.errors.push(child(&self.pointer, key), message);
        }
    }

    /// The keys not read, for the caller to keep, without `null`s.
    pub fn keep_unknown(self) -> Map<String, Value> {
        self.object
            .iter()
            .filter(|(key, value)| !self.known.contains(&key.as_str()) && !value.is_null())
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }
}

/// The value of `key` by the null rule: `None` when absent or `null`. For readers that lend one
/// object to many helpers (the feed readers, [`crate::catalog`]) rather than hold an
/// [`ObjectReader`].
pub fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

/// The refusal of a missing required `key`: `"{key} is required"`, with `(what)` when given.
pub fn missing_message(key: &str, what: Option<&str>) -> String {
    match what {
        Some(what) => format!("{key} is required ({what})"),
        None => format!("{key} is required"),
    }
}

/// The refusal of `found` where `what` was expected: `"{key} must be {what}, not {found}"`.
pub fn wrong_kind_message(key: &str, what: &str, found: &Value) -> String {
    format!("{key} must be {what}, not {}", describe(found))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn found(errors: &FieldErrors) -> Vec<(String, String)> {
        errors
            .iter()
            .map(|error| (error.pointer.clone(), error.message.clone()))
            .collect()
    }

    #[test]
    fn null_is_absent_optional_and_missing_when_required() {
        let document = json!({"a": null, "b": null});
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "/x", &mut errors).unwrap();
        assert_eq!(reader.optional_string("a"), Some(None));
        assert_eq!(reader.required_string("b"), None);
        reader.refuse_unknown(UnknownKey::ListKnown);
        assert_eq!(found(&errors), [("/x/b".into(), "b is required".into())]);
    }

    #[test]
    fn a_reader_refusing_null_names_null_as_the_wrong_kind_except_where_nullable() {
        let document = json!({"a": null, "b": null});
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "", &mut errors)
            .unwrap()
            .refusing_null();
        assert_eq!(reader.nullable_string("a"), None);
        assert_eq!(reader.optional_bool("b"), None);
        assert_eq!(
            found(&errors),
            [(
                "/b".into(),
                "b must be a boolean (true or false without quotes), not null".into()
            )]
        );
    }

    #[test]
    fn no_value_is_coerced() {
        let document = json!({"s": 7, "b": "true", "i": 7.5, "o": []});
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "", &mut errors).unwrap();
        assert_eq!(reader.optional_string("s"), None);
        assert_eq!(reader.required_bool("b"), None);
        assert_eq!(reader.optional_integer("i", "a whole number"), None);
        assert_eq!(reader.optional_object("o"), None);
        let messages: Vec<String> = found(&errors).into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            messages,
            [
                "s must be a string, not the number 7",
                "b must be a boolean (true or false without quotes), not the string \"true\"",
                "i must be a whole number, not the number 7.5",
                "o must be an object, not an array",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_refused_each_at_its_pointer_or_kept_without_nulls() {
        let document = json!({"name": "x", "a/b": 1, "typo": 2, "gone": null});
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "/p", &mut errors).unwrap();
        let _ = reader.required_string("name");
        reader.refuse_unknown(UnknownKey::ListKnown);
        assert_eq!(
            found(&errors)[..2],
            [
                (
                    "/p/a~1b".into(),
                    "unknown key \"a/b\"; the keys here are name".into()
                ),
                (
                    "/p/typo".into(),
                    "unknown key \"typo\"; the keys here are name".into()
                ),
            ]
        );
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "", &mut errors).unwrap();
        reader.declare(&["name", "gone"]);
        reader.refuse_unknown(UnknownKey::Say("unknown key"));
        assert_eq!(errors.len(), 2);
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "", &mut errors).unwrap();
        let _ = reader.required_string("name");
        let kept = reader.keep_unknown();
        assert_eq!(kept.keys().collect::<Vec<_>>(), ["a/b", "typo"]);
    }

    #[test]
    fn arrays_read_each_item_at_its_pointer() {
        let document = json!({"list": ["a", 1, "c"]});
        let mut errors = FieldErrors::new();
        let mut reader = ObjectReader::of(&document, "", &mut errors).unwrap();
        let read = reader.array("list", Presence::Required, |item, pointer, errors| {
            item.as_str().map(str::to_owned).or_else(|| {
                errors.push(pointer, "not a string");
                None
            })
        });
        assert_eq!(read, None);
        assert_eq!(
            reader.array("none", Presence::Optional, |_, _, _| Some(())),
            Some(vec![])
        );
        assert_eq!(
            reader.array::<()>("absent", Presence::Required, |_, _, _| None),
            None
        );
        let pointers: Vec<String> = found(&errors).into_iter().map(|(p, _)| p).collect();
        assert_eq!(pointers, ["/list/1", "/absent"]);
        assert_eq!(
            errors.iter().last().unwrap().message,
            "absent is required (an array, possibly empty)"
        );
    }

    #[test]
    fn a_value_that_is_no_object_is_refused_at_its_pointer() {
        let mut errors = FieldErrors::new();
        assert!(ObjectReader::of(&json!([1]), "/q", &mut errors).is_none());
        assert_eq!(
            found(&errors),
            [("/q".into(), "expected an object, not an array".into())]
        );
    }
}
