//! What the policy parser reads beyond the shared [`ObjectReader`]: a day count (with the
//! policy's wording) and one of an [`ApiValue`]'s names.

use crate::json_read::object::{ObjectReader, UnknownKey};
use crate::policy::model::ApiValue;

/// How policy objects refuse unknown keys: each named, with the keys the object has.
pub(super) const UNKNOWN: UnknownKey<'static> = UnknownKey::ListKnown;

/// An optional whole number of days. Outer `None`: an error was recorded. Inner `None`: absent.
pub(super) fn optional_days(
    reader: &mut ObjectReader<'_, '_>,
    key: &'static str,
) -> Option<Option<i64>> {
    reader.optional_integer(key, "a whole number of days")
}

/// An optional value named by one of `T`'s API names. Outer `None`: an error was recorded.
pub(super) fn optional_value<T: ApiValue>(
    reader: &mut ObjectReader<'_, '_>,
    key: &'static str,
) -> Option<Option<T>> {
    let text = reader.optional_string(key)?;
    let Some(text) = text else {
        return Some(None);
    };
    match T::from_api(&text) {
        Some(value) => Some(Some(value)),
        None => {
            reader.error(
                key,
                format!("{key} must be {}, not {text:?}", one_of(T::VALUES)),
            );
            None
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
