//! Golden files: what the code writes, compared with a plain file under the repository's
//! `fixtures/golden/` (the very bytes Jamf Pro, devices and admins' scripts read, with no header).
//!
//! JSON is compared twice: as a value (so a mismatch says which value changed) and as text (so
//! the order the keys are written in is kept too). Other text is compared byte for byte. A
//! mismatch fails with a line diff that names the file. After an intended change to what is
//! written, rerun the test with `UPDATE_GOLDEN=1`: the files are rewritten, to be reviewed in the
//! diff like any other change.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

/// The repository's `fixtures/golden` folder.
pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/golden")
}

/// Whether `UPDATE_GOLDEN=1` asks for the golden files to be rewritten.
pub fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|flag| flag == "1")
}

/// `value` as the server writes JSON: two-space pretty, with a final newline.
pub fn pretty_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value renders");
    text.push('\n');
    text
}

/// Compares `value`, written as [`pretty_json`], with `fixtures/golden/{file}`, or rewrites the
/// file with `UPDATE_GOLDEN=1`. Fails when the values differ, and when only the key order does.
pub fn check_json(file: &str, value: &Value) {
    let rendered = pretty_json(value);
    let Some(golden) = read_or_update(file, &rendered) else {
        return;
    };
    let golden_value: Value = serde_json::from_str(&golden)
        .unwrap_or_else(|error| panic!("fixtures/golden/{file} is not JSON: {error}"));
    if &golden_value != value {
        panic!("{}", mismatch(file, "the JSON differs", &golden, &rendered));
    }
    if golden != rendered {
        panic!(
            "{}",
            mismatch(
                file,
                "the same JSON value, but written in another key order or layout",
                &golden,
                &rendered
            )
        );
    }
}

/// Compares `text` with `fixtures/golden/{file}` byte for byte, or rewrites the file with
/// `UPDATE_GOLDEN=1`.
pub fn check_text(file: &str, text: &str) {
    let Some(golden) = read_or_update(file, text) else {
        return;
    };
    if golden != text {
        panic!("{}", mismatch(file, "the text differs", &golden, text));
    }
}

/// The golden file's text, or `None` after rewriting it with `rendered` under `UPDATE_GOLDEN=1`.
fn read_or_update(file: &str, rendered: &str) -> Option<String> {
    let path = golden_dir().join(file);
    if updating() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|error| panic!("{}: {error}", parent.display()));
        }
        std::fs::write(&path, rendered)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        eprintln!("rewrote fixtures/golden/{file}");
        return None;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("fixtures/golden/{file}: {error}; rerun the test with UPDATE_GOLDEN=1 to write it")
    });
    Some(text)
}

/// The failure message: the file, what differs, and a line diff from the golden file to what
/// was written.
fn mismatch(file: &str, what: &str, golden: &str, written: &str) -> String {
    format!(
        "fixtures/golden/{file}: {what} (- golden file, + written now):\n{}\
         If the change is intended, rerun the test with UPDATE_GOLDEN=1 and review the diff.",
        line_diff(golden, written)
    )
}

/// Lines around a changed line that the diff shows.
const CONTEXT: usize = 3;

/// Files longer than this (in lines) are diffed from their first differing line only, so the
/// quadratic comparison stays small.
const MAX_DIFF_LINES: usize = 4_000;

/// A unified-style line diff of `old` to `new`: changed lines with `CONTEXT` lines around them,
/// `@@ line N @@` before each run (N counted in the golden file), trailing white space shown.
pub fn line_diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let edits = if old.len().max(new.len()) - prefix <= MAX_DIFF_LINES {
        edits(&old[prefix..], &new[prefix..])
    } else {
        let mut edits = vec![Edit::Removed; old.len() - prefix];
        edits.extend(vec![Edit::Added; new.len() - prefix]);
        edits
    };
    // Every line of the prefix is kept; then the edits, each with its line in old and new.
    let mut rows: Vec<(Edit, usize, usize)> = (0..prefix).map(|i| (Edit::Kept, i, i)).collect();
    let (mut at_old, mut at_new) = (prefix, prefix);
    for edit in edits {
        rows.push((edit, at_old, at_new));
        match edit {
            Edit::Kept => {
                at_old += 1;
                at_new += 1;
            }
            Edit::Removed => at_old += 1,
            Edit::Added => at_new += 1,
        }
    }
    let changed: Vec<usize> = (0..rows.len())
        .filter(|&index| rows[index].0 != Edit::Kept)
        .collect();
    let mut out = String::new();
    let mut shown_until = 0;
    for &index in &changed {
        let start = index.saturating_sub(CONTEXT).max(shown_until);
        let end = (index + CONTEXT + 1).min(rows.len());
        if start > shown_until || shown_until == 0 {
            let _ = writeln!(out, "@@ line {} @@", rows[start].1 + 1);
        }
        for &(edit, line_old, line_new) in &rows[start.max(shown_until)..end] {
            let (sign, line) = match edit {
                Edit::Kept => (' ', old[line_old]),
                Edit::Removed => ('-', old[line_old]),
                Edit::Added => ('+', new[line_new]),
            };
            let line = line.strip_suffix('\n').unwrap_or(line);
            if line.ends_with(char::is_whitespace) {
                let _ = writeln!(out, "{sign}{line:?}");
            } else {
                let _ = writeln!(out, "{sign}{line}");
            }
        }
        shown_until = shown_until.max(end);
    }
    let ends = |lines: &[&str]| lines.last().is_none_or(|line| line.ends_with('\n'));
    if ends(&old) != ends(&new) {
        out.push_str("(the two differ in the final newline)\n");
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Kept,
    Removed,
    Added,
}

/// The shortest edit from `old` to `new` by longest common subsequence.
fn edits(old: &[&str], new: &[&str]) -> Vec<Edit> {
    let width = new.len() + 1;
    // common[i * width + j]: the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![0u32; (old.len() + 1) * width];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i * width + j] = if old[i] == new[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(old.len() + new.len());
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push(Edit::Kept);
            i += 1;
            j += 1;
        } else if i < old.len()
            && (j == new.len() || common[(i + 1) * width + j] >= common[i * width + j + 1])
        {
            out.push(Edit::Removed);
            i += 1;
        } else {
            out.push(Edit::Added);
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn the_diff_shows_the_changed_line_with_its_neighbours_and_where_it_is() {
        let old =
            "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  \"d\": 4,\n  \"e\": 5,\n  \"f\": 6\n}\n";
        let new = old.replace("\"d\": 4", "\"d\": 40");
        assert_eq!(
            line_diff(old, &new),
            "@@ line 2 @@\n   \"a\": 1,\n   \"b\": 2,\n   \"c\": 3,\n-  \"d\": 4,\n+  \"d\": 40,\n   \"e\": 5,\n   \"f\": 6\n }\n"
        );
    }

    #[test]
    fn added_and_removed_lines_and_a_missing_final_newline_are_named() {
        let diff = line_diff("one\ntwo\nthree\n", "one\nthree\nfour");
        assert_eq!(
            diff,
            "@@ line 1 @@\n one\n-two\n three\n+four\n(the two differ in the final newline)\n"
        );
    }

    #[test]
    fn trailing_white_space_is_shown() {
        assert_eq!(line_diff("a\n", "a \n"), "@@ line 1 @@\n-a\n+\"a \"\n");
    }
}
