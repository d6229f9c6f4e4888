//! The body of `POST /api/v1/tokens`: `{"name", "role", "expiresIn"?, "titles"?}`.
//!
//! `name` is 1 to 128 visible characters (no control character, not padded); `role` is required
//! (one of [`super::ROLES`], the error lists them); `expiresIn` is a [`super::parse_lifetime`]
//! text such as `"90d"`; `titles` a non-empty array of title ids ([`super::TitleScope`]).

use jiff::SignedDuration;
use serde_json::Value;

use super::{Role, TitleScope, parse_lifetime};
use crate::field_error::{FieldErrors, child};
use crate::json_read::{describe, expect_object, json_document};

/// The longest token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 128;

/// A token to create, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub role: Role,
    pub lifetime: Option<SignedDuration>,
    pub titles: Option<TitleScope>,
}

/// Checks a token name: the error is a sentence.
pub fn check_token_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a token needs a name".into());
    }
    if name.chars().count() > MAX_TOKEN_NAME_CHARS {
        return Err(format!(
            "a token name is at most {MAX_TOKEN_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("a token name holds no control character".into());
    }
    if name.trim() != name {
        return Err("a token name does not begin or end with whitespace".into());
    }
    Ok(())
}

impl TokenRequest {
    /// Parses the body; every problem is listed by JSON pointer.
    pub fn parse(bytes: &[u8]) -> Result<TokenRequest, FieldErrors> {
        let document = json_document(bytes, "the body")?;
        let mut errors = FieldErrors::new();
        let Some(object) = expect_object(&document, "", &mut errors) else {
            return Err(errors);
        };
        let (mut name, mut role, mut lifetime, mut titles) = (None, None, None, None);
        for (key, value) in object {
            let pointer = child("", key);
            match (key.as_str(), value) {
                ("name", Value::String(text)) => match check_token_name(text) {
                    Ok(()) => name = Some(text.clone()),
                    Err(why) => errors.push(pointer, why),
                },
                ("role", Value::String(text)) => match text.parse::<Role>() {
                    Ok(parsed) => role = Some(parsed),
                    Err(why) => errors.push(pointer, why.to_string()),
                },
                ("expiresIn", Value::String(text)) => match parse_lifetime(text) {
                    Ok(parsed) => lifetime = Some(parsed),
                    Err(why) => errors.push(pointer, why),
                },
                ("titles", Value::Array(items)) => {
                    let ids: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                    match ids.map(TitleScope::parse) {
                        Some(Ok(scope)) => titles = Some(scope),
                        Some(Err(why)) => errors.push(pointer, why),
                        None => errors.push(pointer, "expected an array of title id strings"),
                    }
                }
                ("name" | "role" | "expiresIn", other) => errors.push(
                    pointer,
                    format!("expected a string, not {}", describe(other)),
                ),
                ("titles", other) => errors.push(
                    pointer,
                    format!("expected an array of title ids, not {}", describe(other)),
                ),
                _ => errors.push(
                    pointer,
                    "unknown key: a token has name, role, expiresIn and titles",
                ),
            }
        }
        if !object.contains_key("name") {
            errors.push("/name", "required: a name to recognise the token by");
        }
        if !object.contains_key("role") {
            errors.push(
                "/role",
                "required: the token's role, one of readOnly, manager and admin",
            );
        }
        match (name, role) {
            (Some(name), Some(role)) if errors.is_empty() => Ok(TokenRequest {
                name,
                role,
                lifetime,
                titles,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str) -> Vec<(String, String)> {
        TokenRequest::parse(body.as_bytes())
            .unwrap_err()
            .iter()
            .map(|error| (error.pointer.clone(), error.message.clone()))
            .collect()
    }

    #[test]
    fn a_full_request_parses() {
        let request = TokenRequest::parse(
            br#"{"name": "autopkg", "role": "manager", "expiresIn": "30d", "titles": ["Firefox", "Slack"]}"#,
        )
        .unwrap();
        assert_eq!(request.role, Role::Manager);
        assert_eq!(request.lifetime, Some(SignedDuration::from_hours(720)));
        assert_eq!(request.titles.unwrap().to_stored(), "Firefox,Slack");
    }

    #[test]
    fn the_role_is_required_and_its_error_lists_the_roles() {
        let missing = problems(r#"{"name": "ci"}"#);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].0, "/role");
        assert!(missing[0].1.contains("readOnly, manager and admin"));
        let unknown = problems(r#"{"name": "ci", "role": "root"}"#);
        assert!(unknown[0].1.contains("readOnly, manager and admin"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let all = problems(
            r#"{"name": " padded", "role": 3, "expiresIn": "2y", "titles": [], "secret": "x"}"#,
        );
        let pointers: Vec<&str> = all.iter().map(|(pointer, _)| pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/name", "/role", "/expiresIn", "/titles", "/secret"]
        );
    }
}
