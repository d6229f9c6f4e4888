//! Reading JSON answers in tests: the keys of an object in the order they were written, and
//! where a document holds `null` (which Jamf Pro's parser refuses).

use serde_json::Value;

/// The keys of the object `value`, in the order they were written (none when it is not an
/// object).
pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|object| object.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The JSON pointers of every `null` in `value` (`""` when `value` itself is `null`).
pub fn null_pointers(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_nulls(value, "", &mut found);
    found
}

fn collect_nulls(value: &Value, pointer: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(pointer.to_owned()),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_nulls(item, &format!("{pointer}/{index}"), found);
            }
        }
        Value::Object(object) => {
            for (key, item) in object {
                collect_nulls(item, &format!("{pointer}/{key}"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{keys, null_pointers};

    #[test]
    fn keys_keep_their_written_order_and_nulls_are_named_by_pointer() {
        let value = json!({"b": 1, "a": [null, {"c": null}], "d": "x"});
        assert_eq!(keys(&value), ["b", "a", "d"]);
        assert_eq!(null_pointers(&value), ["/a/0", "/a/1/c"]);
        assert!(keys(&json!([1])).is_empty());
    }
}
