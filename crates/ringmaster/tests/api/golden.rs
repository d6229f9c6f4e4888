//! Golden answers' one server-side twist: instants read from the wall clock are masked before an
//! answer is compared with its file by `ringmaster_testing::golden` (as a JSON value and in key
//! order). After an intended change to a wire format, rewrite the files with
//! `UPDATE_GOLDEN=1 cargo nextest run -p ringmaster --test api golden` and review the diff.

use serde_json::Value;

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
