//! Reading untyped JSON for the hand-written parsers (titles, policies, feeds): parsing text with
//! a located syntax error, refusing NUL characters, and describing a value that has the wrong
//! shape.
//!
//! No document holds a NUL character (`\u0000`) in a string or a key: PostgreSQL's `text` cannot
//! store one, and no real title, policy, feed or status report carries one. Every request body
//! and file the server reads goes through [`json_document`], so this is checked once, here.

pub mod object;

use serde_json::{Map, Value};

use crate::field_error::{FieldErrors, escape_token};

/// Parses JSON text; a syntax error is reported at the document (pointer "") with its line and
/// column, and every string or key holding a NUL character at its pointer. `what` names the
/// document in the message ("the body", "the feed").
pub fn json_document(bytes: &[u8], what: &str) -> Result<Value, FieldErrors> {
    let document = parse_text(bytes, what)?;
    // A NUL can only come from the escape `\u0000` (a raw one is a syntax error), so documents
    // without that text are not walked.
    if bytes.windows(6).any(|window| window == b"\\u0000") {
        refuse_nul_characters(&document)?;
    }
    Ok(document)
}

/// Refuses JSON text holding a NUL character in a string or key, by pointer, without building
/// more than needed: text without the escape `\u0000` is not parsed at all. For readers that
/// deserialize typed rows straight from the text.
pub fn refuse_nul_text(bytes: &[u8], what: &str) -> Result<(), FieldErrors> {
    if bytes.windows(6).any(|window| window == b"\\u0000") {
        refuse_nul_characters(&parse_text(bytes, what)?)?;
    }
    Ok(())
}

/// Every string and key of `document` that holds a NUL character, by pointer (listed up to
/// [`FieldErrors`]' cap, counted beyond it). Walks depth first with one pointer buffer, so it needs memory for
/// the depth of the document only, whatever its size.
pub fn refuse_nul_characters(document: &Value) -> Result<(), FieldErrors> {
    let mut nul = NulFinder::default();
    nul.check_value(document, "");
    let mut pointer = String::new();
    let mut open: Vec<(Children<'_>, usize)> = Vec::new();
    if let Some(children) = Children::of(document) {
        open.push((children, 0));
    }
    while let Some((children, length)) = open.last_mut() {
        let length = *length;
        let Some((token, item)) = children.next() else {
            open.pop();
            continue;
        };
        pointer.truncate(length);
        pointer.push('/');
        match token {
            Token::Index(index) => pointer.push_str(&index.to_string()),
            Token::Key(key) => {
                pointer.push_str(&escape_token(key));
                if key.contains('\0') {
                    nul.found(
                        &pointer,
                        "this key holds a NUL character (U+0000), which cannot be stored",
                    );
                }
            }
        }
        nul.check_value(item, &pointer);
        if let Some(children) = Children::of(item) {
            open.push((children, pointer.len()));
        }
    }
    nul.into_result()
}

/// What [`refuse_nul_characters`] has found so far.
#[derive(Default)]
struct NulFinder {
    errors: FieldErrors,
}

impl NulFinder {
    fn check_value(&mut self, value: &Value, pointer: &str) {
        if let Value::String(text) = value
            && text.contains('\0')
        {
            self.found(
                pointer,
                "holds a NUL character (U+0000), which cannot be stored",
            );
        }
    }

    fn found(&mut self, pointer: &str, message: &str) {
        self.errors.push(pointer, message);
    }

    fn into_result(self) -> Result<(), FieldErrors> {
        self.errors.into_result(())
    }
}

/// The members of an array or object being walked.
enum Children<'a> {
    Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    Object(serde_json::map::Iter<'a>),
}

/// How a member is reached from its parent.
enum Token<'a> {
    Index(usize),
    Key(&'a str),
}

impl<'a> Children<'a> {
    fn of(value: &'a Value) -> Option<Children<'a>> {
        match value {
            Value::Array(items) => Some(Children::Array(items.iter().enumerate())),
            Value::Object(object) => Some(Children::Object(object.iter())),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<(Token<'a>, &'a Value)> {
        match self {
            Children::Array(items) => items
                .next()
                .map(|(index, item)| (Token::Index(index), item)),
            Children::Object(members) => members.next().map(|(key, item)| (Token::Key(key), item)),
        }
    }
}

fn parse_text(bytes: &[u8], what: &str) -> Result<Value, FieldErrors> {
    serde_json::from_slice(bytes).map_err(|error| {
        let message = error.to_string();
        let reason = message.split(" at line ").next().unwrap_or(&message);
        let mut errors = FieldErrors::new();
        errors.push(
            "",
            format!(
                "{what} is not valid JSON: {reason} (line {}, column {})",
                error.line(),
                error.column()
            ),
        );
        errors
    })
}

/// Describes a value for an error message: its kind, and short scalars themselves
/// ("the string \"true\"", "the number 7", "an array").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("the boolean {flag}"),
        Value::Number(number) => format!("the number {number}"),
        Value::String(text) if text.chars().count() <= 40 => format!("the string {text:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The object `value` is, or an error at `pointer`.
pub fn expect_object<'a>(
    value: &'a Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(object) => Some(object),
        other => {
            errors.push(
                pointer,
                format!("expected an object, not {}", describe(other)),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_error::MAX_LISTED_ERRORS;

    fn pointers(bytes: &[u8]) -> Vec<String> {
        json_document(bytes, "the body")
            .unwrap_err()
            .iter()
            .map(|error| error.pointer.clone())
            .collect()
    }

    #[test]
    fn nul_characters_are_refused_at_their_pointers_in_document_order() {
        let deep = format!("{}\"\\u0000\"{}", "[".repeat(100), "]".repeat(100));
        let errors = json_document(deep.as_bytes(), "the body").unwrap_err();
        assert_eq!(errors.iter().next().unwrap().pointer, "/0".repeat(100));
        let body =
            br#"{"id": "a\u0000", "list": ["ok", "x\u0000y", {"k\u0000": 1, "a/b": "\u0000"}]}"#;
        assert_eq!(
            pointers(body),
            vec!["/id", "/list/1", "/list/2/k\u{0}", "/list/2/a~1b"]
        );
    }

    #[test]
    fn an_escaped_backslash_before_u0000_is_plain_text() {
        let document = json_document(br#"{"path": "C:\\u0000"}"#, "the body").unwrap();
        assert_eq!(document["path"], "C:\\u0000");
    }

    #[test]
    fn many_nul_characters_are_listed_up_to_the_cap() {
        let items = vec!["\\u0000"; MAX_LISTED_ERRORS + 5];
        let body = format!("[\"{}\"]", items.join("\",\""));
        let errors = json_document(body.as_bytes(), "the body").unwrap_err();
        assert_eq!(errors.len(), MAX_LISTED_ERRORS + 5);
        assert_eq!(errors.iter().count(), MAX_LISTED_ERRORS);
        let last = errors.iter().last().unwrap();
        assert_eq!(last.pointer, format!("/{}", MAX_LISTED_ERRORS - 1));
    }
}
