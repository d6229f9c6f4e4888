//! Request-body extractors that check the content type and size and answer with [`ApiError`].
//!
//! [`JsonUpload`] takes `application/json` (or any `+json` type), or a `multipart/form-data`
//! upload with a `file` part as PatchServer accepted. [`ZipUpload`] takes a zip as the raw body
//! or as a multipart `file`. Anything else is 415; a body over the route's limit is 413; the JSON
//! itself is parsed by the domain so syntax errors are reported like every other field error.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};

use crate::connections::activity::is_body_timeout;
use crate::http::error::ApiError;
use crate::http::extract::{body_limit, body_timeout, read_body};

/// A JSON document's raw bytes.
#[derive(Debug)]
pub struct JsonUpload(pub Bytes);

/// A zip archive's raw bytes.
#[derive(Debug)]
pub struct ZipUpload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = content_type(&request);
        if is_json(&content_type) {
            return Ok(JsonUpload(read_body(request, state).await?));
        }
        if content_type.starts_with("multipart/form-data") {
            return Ok(JsonUpload(read_multipart_file(request, state).await?));
        }
        Err(ApiError::UnsupportedMediaType(format!(
            "expected Content-Type: application/json, not {}",
            shown(&content_type)
        )))
    }
}

impl<S: Send + Sync> FromRequest<S> for ZipUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = content_type(&request);
        if matches!(
            content_type.split(';').next().unwrap_or("").trim(),
            "application/zip" | "application/x-zip-compressed" | "application/octet-stream"
        ) {
            return Ok(ZipUpload(read_body(request, state).await?));
        }
        if content_type.starts_with("multipart/form-data") {
            return Ok(ZipUpload(read_multipart_file(request, state).await?));
        }
        Err(ApiError::UnsupportedMediaType(format!(
            "expected Content-Type: application/zip (or a multipart upload with a file part), not {}",
            shown(&content_type)
        )))
    }
}

fn content_type(request: &Request) -> String {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn shown(content_type: &str) -> String {
    if content_type.is_empty() {
        "no Content-Type".into()
    } else {
        format!("{content_type:?}")
    }
}

async fn read_multipart_file<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<Bytes, ApiError> {
    let limit = body_limit(&request);
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| {
            ApiError::bad_request(format!("unreadable multipart upload: {rejection}"))
        })?;
    let multipart_error = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge { limit }
        } else if is_body_timeout(&error) {
            body_timeout()
        } else {
            ApiError::bad_request(format!("unreadable multipart upload: {error}"))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(multipart_error);
        }
    }
    Err(ApiError::invalid_parameter(
        "file",
        "the multipart upload has no part named \"file\"",
    ))
}

/// The body limit of a route, recorded as a request extension so errors can name it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);
