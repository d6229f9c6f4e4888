//! The DDM routes' shared secret (`--ddm-secret`), checked before any body is read.
//!
//! A request carries `Authorization: Bearer <secret>` or NanoMDM's `X-Hmac-Signature` (base64
//! HMAC-SHA256 of the body under the secret). The bearer is checked from the headers alone, and a
//! request with neither header is refused with 401 before a byte of its body is read; only a
//! signed request has its body read (within the route's limit) to check the signature, and the
//! body is then handed on to the handler unchanged. Without a secret every request passes.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::upload::BodyLimit;

/// The header NanoMDM's webhook signs the body in.
pub const SIGNATURE_HEADER: &str = "x-hmac-signature";

/// Middleware for the DDM routes: refuses a request without the shared secret.
pub async fn require_ddm_secret(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(secret) = state.config.ddm_secret.as_deref() else {
        return Ok(next.run(request).await);
    };
    let headers = request.headers();
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        if constant_time_equal(bearer.trim().as_bytes(), secret.as_bytes()) {
            return Ok(next.run(request).await);
        }
        return Err(ApiError::Unauthorized);
    }
    let Some(signature) = headers.get(SIGNATURE_HEADER) else {
        return Err(ApiError::Unauthorized);
    };
    let claimed = signature
        .to_str()
        .ok()
        .and_then(|text| {
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
        })
        .ok_or_else(|| {
            ApiError::BadSignature("the X-Hmac-Signature header is not base64".to_owned())
        })?;
    let limit = request
        .extensions()
        .get::<BodyLimit>()
        .map(|limit| limit.0)
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let body = Bytes::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::bad_request(format!("could not read the request body: {rejection}"))
            }
        })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("HMAC key: {error}")))?;
    mac.update(&body);
    mac.verify_slice(&claimed).map_err(|_| {
        ApiError::BadSignature(
            "the X-Hmac-Signature does not match the body signed with the DDM secret".to_owned(),
        )
    })?;
    Ok(next.run(Request::from_parts(parts, Body::from(body))).await)
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
