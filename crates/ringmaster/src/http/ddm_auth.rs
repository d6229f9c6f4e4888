//! The DDM routes' shared secret (`--ddm-secret`), checked before any body is read.
//!
//! A request carries `Authorization: Bearer <secret>` or NanoMDM's `X-Hmac-Signature` (base64
//! HMAC-SHA256 of the body under the secret). The bearer is checked from the headers alone, and a
//! request with neither header is refused with 401 before a byte of its body is read; only a
//! signed request has its body read (within the route's limit) to check the signature, and the
//! body is then handed on to the handler unchanged. Without a secret every request passes.
//!
//! With a secret, the answer to every request that passed the check (errors included) carries
//! `X-Hmac-Signature`: the base64 (standard, padded) HMAC-SHA256 of the answer's body under the
//! secret, which is what NanoMDM's `-dm-recv-hmac-key` verifies on each answer before it hands
//! it to the device (an empty body is signed too). Answers refused here (401) are not signed:
//! a signature over a body an unauthenticated caller chose the request for would be a signature
//! it could replay as a request's.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::AppState;
use crate::http::bearer::{bearer_token, secret_matches};
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
    if let Some(bearer) = bearer_token(headers) {
        if secret_matches(bearer, secret) {
            return sign_answer(secret, next.run(request).await).await;
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
    let answer = next.run(Request::from_parts(parts, Body::from(body))).await;
    sign_answer(secret, answer).await
}

/// The largest answer body signed (a device's declaration set is far smaller).
pub const MAX_SIGNED_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// `answer` with `X-Hmac-Signature`: the base64 HMAC-SHA256 of its body under `secret`.
async fn sign_answer(secret: &str, answer: Response) -> Result<Response, ApiError> {
    let (mut parts, body) = answer.into_parts();
    let body = axum::body::to_bytes(body, MAX_SIGNED_ANSWER_BYTES)
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("reading a DDM answer: {error}")))?;
    let signature = base64::engine::general_purpose::STANDARD.encode(signature(secret, &body)?);
    let value = HeaderValue::from_str(&signature)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("signature header: {error}")))?;
    parts.headers.insert(SIGNATURE_HEADER, value);
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("HMAC key: {error}")))?;
    mac.update(body);
    Ok(mac.finalize().into_bytes().to_vec())
}
