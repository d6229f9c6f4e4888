//! Conditional writes: the `ETag` a stored object answers (its revision) and the `If-Match` a
//! write may send back (412 when the object changed in between).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::http::error::ApiError;

/// Sets `ETag: "<revision>"`.
pub fn set_etag(response: &mut Response, revision: i64) {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// Reads `If-Match`: `None` when absent or `*`; a revision otherwise.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    // If-Match compares strongly (RFC 9110): a weak tag never matches.
    let revision = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or("")
        .parse::<i64>()
        .map_err(|_| {
            ApiError::PreconditionFailed(format!(
                "If-Match {text:?} is not an entity tag this server issued"
            ))
        })?;
    Ok(Some(revision))
}
