//! The before and after summaries of an audit entry: JSON, secrets redacted, bounded in size.
//!
//! Redacted wherever they appear, at any depth: the values of keys that name a secret
//! (`secret`, `token`, `password`, `apiKey`, `hash`, … compared without case, `-` or `_`), the
//! credentials and query of every URL (`https://user:pass@host/p?key=v` becomes
//! `https://[redacted]@host/p?[redacted]`). Bounded: strings cut at [`MAX_STRING_CHARS`],
//! arrays at [`MAX_ARRAY_ITEMS`] (then a note of how many more), and a summary still larger than
//! [`MAX_SUMMARY_BYTES`] is replaced by its size and SHA-256.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The largest summary kept, in bytes of JSON.
pub const MAX_SUMMARY_BYTES: usize = 4 * 1024;
/// The longest string kept in a summary, in characters.
pub const MAX_STRING_CHARS: usize = 200;
/// The most items of an array kept in a summary.
pub const MAX_ARRAY_ITEMS: usize = 40;

/// What stands for a redacted value.
pub const REDACTED: &str = "[redacted]";

/// The key names (lowercase, without `-` and `_`) whose values are never kept, and the endings
/// that mark one (`ddmSecret`, `mdmApiKey`, `tokenHash`).
const SECRET_KEYS: [&str; 7] = [
    "secret",
    "token",
    "password",
    "apikey",
    "hash",
    "credentials",
    "authorization",
];

/// `value` as a summary: redacted, bounded, as JSON text.
pub fn summarize(value: &Value) -> String {
    let bounded = bound(value);
    let text = bounded.to_string();
    if text.len() <= MAX_SUMMARY_BYTES {
        return text;
    }
    let digest: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let stand_in = TooLarge {
        too_large: Size {
            bytes: text.len(),
            sha256: digest,
        },
    };
    serde_json::to_string(&stand_in).unwrap_or_default()
}

/// What stands for a summary over [`MAX_SUMMARY_BYTES`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TooLarge {
    too_large: Size,
}

#[derive(Serialize)]
struct Size {
    bytes: usize,
    sha256: String,
}

/// A typed answer as a summary; `None` if it does not serialize.
pub fn summarize_answer<T: Serialize>(answer: &T) -> Option<String> {
    serde_json::to_value(answer)
        .ok()
        .map(|value| summarize(&value))
}

/// Whether a key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.iter().any(|secret| folded.ends_with(secret))
}

fn bound(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(bounded_text(text)),
        Value::Array(items) => {
            let mut kept: Vec<Value> = items.iter().take(MAX_ARRAY_ITEMS).map(bound).collect();
            if items.len() > MAX_ARRAY_ITEMS {
                kept.push(Value::String(format!(
                    "… {} more",
                    items.len() - MAX_ARRAY_ITEMS
                )));
            }
            Value::Array(kept)
        }
        Value::Object(fields) => {
            let mut kept = Map::new();
            for (key, field) in fields {
                let field = if is_secret_key(key) && !field.is_null() {
                    Value::String(REDACTED.to_owned())
                } else {
                    bound(field)
                };
                kept.insert(key.clone(), field);
            }
            Value::Object(kept)
        }
        other => other.clone(),
    }
}

fn bounded_text(text: &str) -> String {
    let redacted = redact_url(text);
    if redacted.chars().count() <= MAX_STRING_CHARS {
        return redacted;
    }
    let mut cut: String = redacted.chars().take(MAX_STRING_CHARS).collect();
    cut.push('…');
    cut
}

/// `text` with the credentials and the query of a URL replaced; other text unchanged.
pub fn redact_url(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let (scheme, rest) = text.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("{REDACTED}{}", &authority[at..]),
        None => authority.to_owned(),
    };
    let path = match path.find('?') {
        Some(query) => format!("{}?{REDACTED}", &path[..query]),
        None => path.to_owned(),
    };
    format!("{scheme}{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let value = serde_json::json!({
            "name": "ci",
            "token": "abc",
            "nested": [{ "ddm_secret": "s", "mdmApiKey": "k", "tokenHash": "h", "kept": 1 }],
        });
        let summary: Value = serde_json::from_str(&summarize(&value)).unwrap();
        assert_eq!(summary["token"], REDACTED);
        assert_eq!(summary["nested"][0]["ddm_secret"], REDACTED);
        assert_eq!(summary["nested"][0]["mdmApiKey"], REDACTED);
        assert_eq!(summary["nested"][0]["tokenHash"], REDACTED);
        assert_eq!(summary["nested"][0]["kept"], 1);
        assert_eq!(summary["name"], "ci");
    }

    #[test]
    fn url_credentials_and_queries_are_redacted() {
        assert_eq!(
            redact_url("https://user:pass@hooks.example.com/p?key=v"),
            "https://[redacted]@hooks.example.com/p?[redacted]"
        );
        assert_eq!(redact_url("https://example.com/p"), "https://example.com/p");
        assert_eq!(redact_url("plain text"), "plain text");
    }

    #[test]
    fn large_values_are_bounded() {
        let many: Vec<u32> = (0..100).collect();
        let summary: Value = serde_json::from_str(&summarize(&serde_json::json!(many))).unwrap();
        assert_eq!(summary.as_array().unwrap().len(), MAX_ARRAY_ITEMS + 1);
        let huge: Vec<String> = (0..40).map(|_| "x".repeat(500)).collect();
        let summary = summarize(&serde_json::json!({ "a": huge.clone(), "b": huge }));
        assert!(summary.len() <= MAX_SUMMARY_BYTES);
        assert!(summary.contains("tooLarge"));
    }
}
