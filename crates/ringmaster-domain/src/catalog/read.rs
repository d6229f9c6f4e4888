//! Small readers for feed JSON that record problems with a JSON pointer instead of stopping.
//!
//! Feeds are third-party data with many optional keys, so `null` is read as "absent" everywhere
//! and unknown keys are ignored; only values ringmaster keeps are checked. The null rule and the
//! wording are the shared reader's ([`crate::json_read::object`]); [`Fields`] lends one object's
//! fields to the many helpers of a feed (each taking the errors), where an
//! [`ObjectReader`](crate::json_read::object::ObjectReader) would be held by one.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use crate::apple_version::AppleOsVersion;
use crate::field_error::{FieldErrors, child};
use crate::json_read::object::{missing_message, present, wrong_kind_message};
use crate::json_read::{describe, expect_object};

/// The longest build accepted (Apple's are up to 10 characters, such as `25D771280a`).
pub(crate) const MAX_BUILD_CHARS: usize = 16;

/// The object at `pointer`, or an error there.
pub(crate) fn object<'a>(
    value: &'a Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<Fields<'a>> {
    expect_object(value, pointer, errors).map(|object| Fields {
        object,
        pointer: pointer.to_owned(),
    })
}

/// The fields of one JSON object and where it sits in the feed.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    object: &'a Map<String, Value>,
    pointer: String,
}

impl<'a> Fields<'a> {
    /// Pointer to one of this object's fields.
    pub(crate) fn pointer_to(&self, key: &str) -> String {
        child(&self.pointer, key)
    }

    /// The value of `key`; `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        present(self.object, key)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn missing(&self, key: &str, what: &str, errors: &mut FieldErrors) {
        errors.push(self.pointer_to(key), missing_message(key, Some(what)));
    }

    fn wrong_type(&self, key: &str, what: &str, found: &Value, errors: &mut FieldErrors) {
        errors.push(self.pointer_to(key), wrong_kind_message(key, what, found));
    }

    pub(crate) fn optional_str(&self, key: &str, errors: &mut FieldErrors) -> Option<&'a str> {
        match self.get(key)? {
            Value::String(text) => Some(text),
            other => {
                self.wrong_type(key, "a string", other, errors);
                None
            }
        }
    }

    pub(crate) fn required_str(&self, key: &str, errors: &mut FieldErrors) -> Option<&'a str> {
        if !self.has(key) {
            self.missing(key, "a string", errors);
            return None;
        }
        self.optional_str(key, errors)
    }

    pub(crate) fn required_version(
        &self,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<AppleOsVersion> {
        let text = self.required_str(key, errors)?;
        AppleOsVersion::parse(text)
            .map_err(|why| errors.push(self.pointer_to(key), why))
            .ok()
    }

    /// A build such as `25G83`: letters and digits, at most [`MAX_BUILD_CHARS`]. Empty text means
    /// "unknown" (`None`).
    pub(crate) fn optional_build(&self, key: &str, errors: &mut FieldErrors) -> Option<String> {
        let text = self.optional_str(key, errors)?.trim();
        if text.is_empty() {
            return None;
        }
        if text.len() > MAX_BUILD_CHARS {
            errors.push(
                self.pointer_to(key),
                format!(
                    "a build is at most {MAX_BUILD_CHARS} letters and digits (such as 25G83); \
                     this one is {} bytes long",
                    text.len()
                ),
            );
            return None;
        }
        if !text.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            errors.push(
                self.pointer_to(key),
                format!("\"{text}\" is not a build (expected letters and digits, such as 25G83)"),
            );
            return None;
        }
        Some(text.to_owned())
    }

    pub(crate) fn required_build(&self, key: &str, errors: &mut FieldErrors) -> Option<String> {
        let before = errors.len();
        let build = self.optional_build(key, errors);
        if build.is_none() && errors.len() == before {
            self.missing(key, "a non-empty build such as 25G83", errors);
        }
        build
    }

    pub(crate) fn optional_date(&self, key: &str, errors: &mut FieldErrors) -> Option<Date> {
        let text = self.optional_str(key, errors)?;
        parse_day(text)
            .map_err(|why| errors.push(self.pointer_to(key), why))
            .ok()
    }

    pub(crate) fn required_date(&self, key: &str, errors: &mut FieldErrors) -> Option<Date> {
        if !self.has(key) {
            self.missing(key, "a date such as 2026-08-17", errors);
            return None;
        }
        self.optional_date(key, errors)
    }

    /// An array of strings; absent gives `None`.
    pub(crate) fn optional_strings(
        &self,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<Vec<String>> {
        let items = self.optional_array(key, errors)?;
        let mut strings = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => strings.push(text.clone()),
                other => errors.push(
                    child(&self.pointer_to(key), index),
                    format!("expected a string, not {}", describe(other)),
                ),
            }
        }
        Some(strings)
    }

    pub(crate) fn optional_array(
        &self,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<&'a [Value]> {
        match self.get(key)? {
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(key, "an array", other, errors);
                None
            }
        }
    }

    pub(crate) fn required_array(
        &self,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<&'a [Value]> {
        if !self.has(key) {
            self.missing(key, "an array", errors);
            return None;
        }
        self.optional_array(key, errors)
    }

    pub(crate) fn optional_object(
        &self,
        key: &str,
        errors: &mut FieldErrors,
    ) -> Option<Fields<'a>> {
        let value = self.get(key)?;
        object(value, &self.pointer_to(key), errors)
    }

    /// A count: a non-negative integer.
    pub(crate) fn optional_count(&self, key: &str, errors: &mut FieldErrors) -> Option<u32> {
        let value = self.get(key)?;
        match value.as_u64().and_then(|count| u32::try_from(count).ok()) {
            Some(count) => Some(count),
            None => {
                errors.push(
                    self.pointer_to(key),
                    format!(
                        "{key} must be a whole number of at least 0, not {}",
                        if value.is_number() {
                            value.to_string()
                        } else {
                            describe(value)
                        }
                    ),
                );
                None
            }
        }
    }

    /// The object's entries, in document order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + use<'a> {
        self.object.iter()
    }
}

/// Reads a feed day: `2026-08-17`, or an RFC 3339 time such as `2026-08-17T00:00:00Z` (its UTC day).
pub(crate) fn parse_day(text: &str) -> Result<Date, String> {
    let refused = || {
        format!(
            "\"{text}\" is not a date (expected YYYY-MM-DD, or an RFC 3339 time such as \
             2026-08-17T00:00:00Z)"
        )
    };
    if text.len() == 10 {
        return text.parse::<Date>().map_err(|_| refused());
    }
    text.parse::<Timestamp>()
        .map(|instant| instant.to_zoned(TimeZone::UTC).date())
        .map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn days_come_as_dates_or_midnight_times() {
        assert_eq!(parse_day("2026-08-17"), Ok(date(2026, 8, 17)));
        assert_eq!(parse_day("2026-08-17T00:00:00Z"), Ok(date(2026, 8, 17)));
        assert_eq!(
            parse_day("2026-08-17T23:30:00-02:00"),
            Ok(date(2026, 8, 18))
        );
        assert!(parse_day("2026-02-30").unwrap_err().contains("not a date"));
        assert!(parse_day("17/08/2026").is_err());
        assert!(parse_day("").is_err());
    }
}
