//! [`PrettyJson`]: the one JSON answer type of the admin API (and of every error).
//!
//! Every handler that answers JSON returns `PrettyJson(value)` (or `(status, PrettyJson(value))`)
//! instead of axum's `Json`, so each answer is written by [`ringmaster_domain::json_write::to_vec`]:
//! two-space indent, one key per line, a final newline, as PatchServer answered. Shell tools
//! written against PatchServer read these answers line by line. The Jamf feed writes its cached
//! bodies with the same function (`patch_source::feed_cache`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ringmaster_domain::json_write;
use serde::Serialize;

/// A JSON answer, pretty-printed, `Content-Type: application/json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrettyJson<T>(pub T);

impl<T: Serialize> IntoResponse for PrettyJson<T> {
    fn into_response(self) -> Response {
        match json_write::to_vec(&self.0) {
            Ok(body) => {
                let mut response = Response::new(Body::from(body));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            // Only a map with non-string keys or a failing `Serialize` impl gets here; neither is
            // a client's doing. Logged, answered as a bare 500 (no recursion into `ApiError`).
            Err(error) => {
                tracing::error!(%error, "an answer could not be written as JSON");
                let mut response = Response::new(Body::from(
                    "{\n  \"status\": 500,\n  \"error\": \"Internal Server Error\"\n}\n",
                ));
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
        }
    }
}
