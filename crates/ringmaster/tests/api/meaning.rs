//! What a title definition means, for tests that compare what was submitted with what is
//! served or restored: server-derived fields dropped, release dates as instants, `null` names
//! as the server shows them, absent optional arrays as `[]`; and the small readers those tests
//! share (JSON files, error pointers, the string booleans real definitions carry).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::Value;

/// How a normalized document shows `appName`/`bundleId` given as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NullNames {
    /// What Jamf Pro is served: `null` becomes `""`.
    AsEmptyString,
    /// The admin definition (and backups): `null` stays `null`.
    Kept,
}

/// The meaning of a submitted definition: server-derived fields (`lastModified`,
/// `currentVersion`) dropped, release dates as instants (loose input forms accepted), optional
/// arrays that were left out as `[]`, and `null` names as the server shows them.
pub(crate) fn submitted_meaning(document: &Value, null_names: NullNames) -> Value {
    let mut meaning = document.clone();
    let object = meaning.as_object_mut().expect("a definition is an object");
    object.shift_remove("lastModified");
    object.shift_remove("currentVersion");
    if null_names == NullNames::AsEmptyString {
        for key in ["appName", "bundleId"] {
            if object.get(key) == Some(&Value::Null) {
                object.insert(key.into(), Value::String(String::new()));
            }
        }
    }
    object
        .entry("extensionAttributes")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(Value::Array(patches)) = object.get_mut("patches") {
        for patch in patches {
            *patch = submitted_patch_meaning(patch);
        }
    }
    meaning
}

/// The meaning of one submitted version object (see [`submitted_meaning`]).
pub(crate) fn submitted_patch_meaning(patch: &Value) -> Value {
    let mut meaning = patch.clone();
    let object = meaning.as_object_mut().expect("a patch is an object");
    let date = object["releaseDate"]
        .as_str()
        .expect("releaseDate is a string");
    object.insert(
        "releaseDate".into(),
        Value::String(loose_instant(date).to_string()),
    );
    object
        .entry("killApps")
        .or_insert_with(|| Value::Array(Vec::new()));
    meaning
}

/// The meaning of a served title (feed or admin definition), after checking that its dates
/// are written strictly.
pub(crate) fn served_meaning(document: &Value) -> Value {
    let mut meaning = document.clone();
    let object = meaning
        .as_object_mut()
        .expect("a served title is an object");
    if let Some(last_modified) = object.shift_remove("lastModified") {
        let text = last_modified.as_str().expect("lastModified is a string");
        assert!(
            is_strict_last_modified(text),
            "lastModified {text:?} is not YYYY-MM-DDTHH:MM:SSZ"
        );
    }
    object.shift_remove("currentVersion");
    if let Some(Value::Array(patches)) = object.get_mut("patches") {
        for patch in patches {
            *patch = served_patch_meaning(patch);
        }
    }
    meaning
}

/// The meaning of one served version object (see [`served_meaning`]).
pub(crate) fn served_patch_meaning(patch: &Value) -> Value {
    let mut meaning = patch.clone();
    let object = meaning.as_object_mut().expect("a patch is an object");
    let date = object["releaseDate"]
        .as_str()
        .expect("releaseDate is a string");
    assert!(
        is_strict_release_date(date),
        "served releaseDate {date:?} is not strict ISO-8601 (YYYY-MM-DDTHH:MM:SS[.fff]Z)"
    );
    let instant: Timestamp = date
        .parse()
        .unwrap_or_else(|error| panic!("served releaseDate {date:?}: {error}"));
    object.insert("releaseDate".into(), Value::String(instant.to_string()));
    meaning
}

/// Asserts that what the feed serves for a title means what `original` said, in the same order.
pub(crate) fn assert_feed_means(label: &str, original: &Value, served: &Value) {
    let expected = submitted_meaning(original, NullNames::AsEmptyString);
    let actual = served_meaning(served);
    if let Some(difference) = first_difference(&expected, &actual, "") {
        panic!("{label}: the served title does not mean what was submitted: {difference}");
    }
    let current = served["currentVersion"].as_str().unwrap_or_default();
    assert_eq!(
        current, served["patches"][0]["version"],
        "{label}: currentVersion is the first patch"
    );
    if let Some(submitted) = original.get("currentVersion") {
        assert_eq!(
            current, submitted,
            "{label}: currentVersion as submitted (every reference file has it first)"
        );
    }
}

/// Where two JSON values first differ, as `pointer: expected … but got …`; `None` if equal.
/// Object key order is ignored; array order is not.
pub(crate) fn first_difference(expected: &Value, actual: &Value, pointer: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
            keys.into_iter().find_map(|key| {
                let at = format!("{pointer}/{key}");
                match (left.get(key), right.get(key)) {
                    (Some(l), Some(r)) => first_difference(l, r, &at),
                    (Some(l), None) => Some(format!("{at}: expected {l}, but it is absent")),
                    (None, Some(r)) => Some(format!("{at}: expected no such key, but got {r}")),
                    (None, None) => None,
                }
            })
        }
        (Value::Array(left), Value::Array(right)) => {
            let found = left
                .iter()
                .zip(right)
                .enumerate()
                .find_map(|(index, (l, r))| first_difference(l, r, &format!("{pointer}/{index}")));
            found.or_else(|| {
                (left.len() != right.len()).then(|| {
                    format!(
                        "{pointer}: expected {} items, got {}",
                        left.len(),
                        right.len()
                    )
                })
            })
        }
        _ if expected == actual => None,
        _ => Some(format!("{pointer}: expected {expected}, got {actual}")),
    }
}

/// JSON pointers of every `"and"` whose value is a string (a "string boolean"), in document order.
pub(crate) fn string_boolean_pointers(document: &Value) -> Vec<String> {
    fn walk(value: &Value, pointer: &str, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                for (key, item) in object {
                    let at = format!("{pointer}/{key}");
                    if key == "and" && item.is_string() {
                        found.push(at.clone());
                    }
                    walk(item, &at, found);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &format!("{pointer}/{index}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(document, "", &mut found);
    found
}

/// The `pointer`s of an error response's `errors`.
pub(crate) fn error_pointers(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a release date as real definitions write it (`2017-9-12T14:19:38.270Z`,
/// `2014-11-17T12:0:00.323Z`): independent of the server's parser on purpose.
pub(crate) fn loose_instant(text: &str) -> Timestamp {
    fn fail(text: &str) -> ! {
        panic!("reference releaseDate {text:?} is not a UTC date-time")
    }
    let (date, time) = text.split_once('T').unwrap_or_else(|| fail(text));
    let time = time.strip_suffix('Z').unwrap_or_else(|| fail(text));
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let numbers = |part: &str, separator: char| -> Vec<i32> {
        part.split(separator)
            .map(|number| number.parse().unwrap_or_else(|_| fail(text)))
            .collect()
    };
    let (date, clock) = (numbers(date, '-'), numbers(clock, ':'));
    assert!(date.len() == 3 && clock.len() == 3, "{text:?}");
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}")
            .parse()
            .unwrap_or_else(|_| fail(text))
    };
    jiff::civil::date(date[0] as i16, date[1] as i8, date[2] as i8)
        .at(clock[0] as i8, clock[1] as i8, clock[2] as i8, nanos)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap_or_else(|_| fail(text))
        .timestamp()
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn is_strict_last_modified(text: &str) -> bool {
    matches_shape(text, "dddd-dd-ddTdd:dd:ddZ")
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z`.
pub(crate) fn is_strict_release_date(text: &str) -> bool {
    match text.split_once('.') {
        None => matches_shape(text, "dddd-dd-ddTdd:dd:ddZ"),
        Some((whole, fraction)) => {
            matches_shape(whole, "dddd-dd-ddTdd:dd:dd")
                && fraction.strip_suffix('Z').is_some_and(|digits| {
                    (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
                })
        }
    }
}

fn matches_shape(text: &str, shape: &str) -> bool {
    text.len() == shape.len()
        && text.bytes().zip(shape.bytes()).all(|(byte, expected)| {
            if expected == b'd' {
                byte.is_ascii_digit()
            } else {
                byte == expected
            }
        })
}

pub(crate) fn read_json(path: &Path) -> Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// The `*.json` files directly in a folder, by name.
pub(crate) fn json_files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("reading {}: {error}", folder.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}
