//! Golden JSON answers: what an endpoint answers, compared with a file under `fixtures/golden/`
//! both as a JSON value and in key order (the order the answer is written in is kept too).
//!
//! After an intended change to a wire format, rewrite the files with
//! `UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden` and review the diff.

use serde_json::Value;

use crate::support::repo_root;

/// Keys whose values are read from the wall clock (not the test's manual clock): the golden
/// files hold a placeholder there.
const WALL_CLOCK_KEYS: [&str; 4] = ["createdAt", "updatedAt", "recordedAt", "firstSeenAt"];

/// `value` with every wall-clock instant replaced by `"<wall clock>"`.
pub(crate) fn without_wall_clock(mut value: Value) -> Value {
    mask(&mut value);
    value
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                if WALL_CLOCK_KEYS.contains(&key.as_str()) && item.is_string() {
                    *item = Value::String("<wall clock>".into());
                } else {
                    mask(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// Compares `value` with `fixtures/golden/{file}` (pretty JSON), or rewrites the file when
/// `UPDATE_GOLDEN=1`. Fails when the values differ, and when only the key order differs.
pub(crate) fn check_golden_json(file: &str, value: &Value) {
    let path = repo_root().join("fixtures/golden").join(file);
    let rendered = format!(
        "{}\n",
        serde_json::to_string_pretty(value).expect("JSON renders")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|flag| flag == "1") {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("golden folder");
        }
        std::fs::write(&path, &rendered).expect("write golden file");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; run UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden",
            path.display()
        )
    });
    let golden: Value = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{}: not JSON: {error}", path.display()));
    assert_eq!(
        value, &golden,
        "fixtures/golden/{file} differs from the answer; if the change is intended, run \
         UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden and review the diff"
    );
    assert_eq!(
        rendered, text,
        "fixtures/golden/{file}: the same value, but the keys are in another order"
    );
}

/// Compares `text` with `fixtures/golden/{file}` exactly, or rewrites the file when
/// `UPDATE_GOLDEN=1`.
pub(crate) fn check_golden_text(file: &str, text: &str) {
    let path = repo_root().join("fixtures/golden").join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|flag| flag == "1") {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("golden folder");
        }
        std::fs::write(&path, text).expect("write golden file");
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; run UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden",
            path.display()
        )
    });
    assert_eq!(
        text, golden,
        "fixtures/golden/{file} differs from the output; if the change is intended, run \
         UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden and review the diff"
    );
}
