//! The one way ringmaster writes JSON for people and shell tools: pretty-printed.
//!
//! Two-space indent, one key (or array item) per line, `"key": value`, and a final newline, as
//! PatchServer (Flask's `jsonify` in debug mode) and Kinobi answer. Admins' scripts read these
//! answers line by line (`grep '"id":' | cut -d '"' -f4`, `echo ${response} | grep '^{ "database_id":'`),
//! so one-line JSON would break them silently. Jamf Pro's feed, the admin API and every error
//! answer are written through [`to_vec`]; the feed's list of summaries is assembled from
//! pre-rendered entries by [`array_of`], byte for byte what [`to_vec`] would write for the array.

use serde::Serialize;

/// `value` as pretty JSON with a final newline.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(value)?;
    out.push(b'\n');
    Ok(out)
}

/// One entry for [`array_of`]: `value` written by [`to_vec`] without its final newline and
/// indented one level, as it appears inside a pretty array.
pub fn array_entry<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let pretty = serde_json::to_vec_pretty(value)?;
    let mut out = Vec::with_capacity(pretty.len() + pretty.len() / 8 + 2);
    out.extend_from_slice(INDENT);
    for &byte in &pretty {
        out.push(byte);
        // Pretty JSON has newlines only between tokens: strings escape theirs as `\n`.
        if byte == b'\n' {
            out.extend_from_slice(INDENT);
        }
    }
    Ok(out)
}

/// A pretty array of entries made by [`array_entry`], with a final newline: the same bytes as
/// [`to_vec`] of the array of their values (`[]` when there are none).
pub fn array_of(entries: &[&[u8]]) -> Vec<u8> {
    if entries.is_empty() {
        return b"[]\n".to_vec();
    }
    let length = entries.iter().map(|entry| entry.len() + 2).sum::<usize>() + 4;
    let mut out = Vec::with_capacity(length);
    out.extend_from_slice(b"[\n");
    for (index, entry) in entries.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(entry);
    }
    out.extend_from_slice(b"\n]\n");
    out
}

const INDENT: &[u8] = b"  ";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn objects_have_one_key_per_line_indented_by_two_spaces() {
        let text = String::from_utf8(to_vec(&json!({"database_id": 7, "id": "Composer"})).unwrap())
            .unwrap();
        assert_eq!(
            text,
            "{\n  \"database_id\": 7,\n  \"id\": \"Composer\"\n}\n"
        );
        // What `echo ${response}` makes of it in a shell: whitespace collapsed.
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(collapsed.starts_with("{ \"database_id\":"), "{collapsed}");
    }

    #[test]
    fn an_assembled_array_is_what_the_array_would_be_written_as() {
        let items = [
            json!({"name": "A", "id": "A", "nested": {"list": [1, 2], "empty": []}}),
            json!({"name": "line\nbreak", "id": "B"}),
        ];
        let entries: Vec<Vec<u8>> = items
            .iter()
            .map(|item| array_entry(item).unwrap())
            .collect();
        let borrowed: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        assert_eq!(
            String::from_utf8(array_of(&borrowed)).unwrap(),
            String::from_utf8(to_vec(&Value::Array(items.to_vec())).unwrap()).unwrap()
        );
        assert_eq!(array_of(&[]), to_vec(&json!([])).unwrap());
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|number| json!(number)),
            "[a-z \n\"\\\\]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn assembled_arrays_equal_written_arrays(items in proptest::collection::vec(json_value(), 0..5)) {
            let entries: Vec<Vec<u8>> = items.iter().map(|item| array_entry(item).unwrap()).collect();
            let borrowed: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(array_of(&borrowed), to_vec(&Value::Array(items.clone())).unwrap());
        }

        #[test]
        fn pretty_json_reads_back_as_the_same_value(value in json_value()) {
            let written = to_vec(&value).unwrap();
            prop_assert_eq!(serde_json::from_slice::<Value>(&written).unwrap(), value);
        }
    }
}
