//! `Authorization: Bearer <token>`, read one way for every route that takes it (the admin API and
//! the DDM check-ins), and compared in constant time where the secret is held in memory.
//!
//! The scheme name is case-insensitive (RFC 9110 §11.1), the token is trimmed, and an empty token
//! is no token.

use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

/// The bearer token of `headers`, if they carry one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether `presented` equals `secret`, in time that does not depend on where they differ.
pub fn secret_matches(presented: &str, secret: &str) -> bool {
    presented.as_bytes().ct_eq(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_trimmed() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(
                bearer_token(&with_authorization(value)),
                Some("abc"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_no_token() {
        for value in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(&with_authorization(value)), None, "{value:?}");
        }
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(secret_matches("s3cret", "s3cret"));
        assert!(!secret_matches("s3cret", "s3creT"));
        assert!(!secret_matches("s3cret", "s3cret-longer"));
        assert!(!secret_matches("", "s3cret"));
    }
}
