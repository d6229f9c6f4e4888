//! The DDM check-in endpoints devices reach through their MDM.
//!
//! As NanoMDM forwards them and KMFDDM serves them, under a prefix (`--ddm-prefix`, `/ddm/` by
//! default) and keyed by the `X-Enrollment-ID` header: `GET tokens`, `GET declaration-items`,
//! `GET declaration/{kind}/{identifier}` and `PUT status` (200, empty body). Also Apple's own
//! check-in message as a plist at `PUT /mdm/checkin` (`MessageType` `DeclarativeManagement`,
//! `Endpoint`, base64 `Data`, `EnrollmentID` or `UDID`), for an MDM that forwards the raw check-in.
//!
//! With `--ddm-secret` set, every request carries `Authorization: Bearer <secret>` or the
//! `X-Hmac-Signature` NanoMDM's webhook sends (base64 HMAC-SHA256 of the body under the secret);
//! anything else is 401. Without a secret the endpoints are open: run so only behind an MDM on a
//! private network (the server logs a warning at start).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::os_updates::ddm::{DdmAnswer, DdmError, DdmRequest};

/// The header NanoMDM (and KMFDDM) key a check-in by.
pub const ENROLLMENT_HEADER: &str = "x-enrollment-id";
/// The longest enrollment id accepted, as for devices created through the API.
pub const MAX_ENROLLMENT_ID_CHARS: usize = ringmaster_domain::inventory::MAX_ID_CHARS;
/// The header NanoMDM's webhook signs the body in.
pub const SIGNATURE_HEADER: &str = "x-hmac-signature";

/// The check-in routes, to be nested under the DDM prefix.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(tokens))
        .route("/declaration-items", get(declaration_items))
        .route("/declaration/{kind}/{identifier}", get(declaration))
        .route("/status", put(status))
}

/// `PUT /mdm/checkin`: Apple's check-in plist.
pub fn raw_check_in_router() -> Router<AppState> {
    Router::new().route("/mdm/checkin", put(raw_check_in))
}

async fn tokens(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    answer(&state, &headers, &[], DdmRequest::Tokens).await
}

async fn declaration_items(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&state, &headers, &[], DdmRequest::DeclarationItems).await
}

async fn declaration(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((kind, identifier)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    answer(
        &state,
        &headers,
        &[],
        DdmRequest::Declaration { kind, identifier },
    )
    .await
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    answer(&state, &headers, &body.clone(), DdmRequest::Status(body)).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    request: DdmRequest,
) -> Result<Response, ApiError> {
    authorize(state, headers, body)?;
    let enrollment = headers
        .get(ENROLLMENT_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("the X-Enrollment-ID header is required on DDM check-ins")
        })?;
    check_enrollment(enrollment)?;
    respond(state, enrollment, request).await
}

async fn respond(
    state: &AppState,
    enrollment: &str,
    request: DdmRequest,
) -> Result<Response, ApiError> {
    match state.os_updates.check_in(enrollment, request).await {
        Ok(DdmAnswer::Json(body)) => Ok(axum::Json(body).into_response()),
        Ok(DdmAnswer::Empty) => Ok(StatusCode::OK.into_response()),
        Err(DdmError::NotFound(message)) => Err(ApiError::NotFound(message)),
        Err(DdmError::BadReport(errors)) => Err(ApiError::invalid_document(&errors)),
        Err(DdmError::Store(error)) => Err(ApiError::Internal(error.into())),
    }
}

/// Checks the shared secret: a bearer token equal to it, or an HMAC of the body under it.
fn authorize(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let Some(secret) = state.config.ddm_secret.as_deref() else {
        return Ok(());
    };
    if let Some(bearer) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        if constant_time_equal(bearer.trim().as_bytes(), secret.as_bytes()) {
            return Ok(());
        }
        return Err(ApiError::Unauthorized);
    }
    if let Some(signature) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
    {
        let Ok(claimed) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return Err(ApiError::Unauthorized);
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("HMAC key: {error}")))?;
        mac.update(body);
        return mac
            .verify_slice(&claimed)
            .map_err(|_| ApiError::Unauthorized);
    }
    Err(ApiError::Unauthorized)
}

fn check_enrollment(enrollment: &str) -> Result<(), ApiError> {
    if enrollment.chars().count() > MAX_ENROLLMENT_ID_CHARS {
        return Err(ApiError::bad_request(format!(
            "the enrollment id is longer than {MAX_ENROLLMENT_ID_CHARS} characters"
        )));
    }
    Ok(())
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body of `PUT /mdm/checkin` as a property list dictionary. Public for the fuzz
/// targets (`fuzz/`), which feed it arbitrary bytes.
pub fn read_check_in(body: &[u8]) -> Result<plist::Dictionary, ApiError> {
    plist::from_bytes(body).map_err(|error| {
        ApiError::bad_request(format!("the check-in is not a property list: {error}"))
    })
}

/// Apple's `DeclarativeManagement` check-in message, as an MDM forwards it.
async fn raw_check_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &body)?;
    let message = read_check_in(&body)?;
    let text = |key: &str| message.get(key).and_then(plist::Value::as_string);
    match text("MessageType") {
        Some("DeclarativeManagement") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "MessageType {other:?} is not handled here; only DeclarativeManagement"
            )));
        }
        None => return Err(ApiError::bad_request("the check-in has no MessageType")),
    }
    let enrollment = text("EnrollmentID")
        .or_else(|| text("UDID"))
        .ok_or_else(|| ApiError::bad_request("the check-in has neither EnrollmentID nor UDID"))?
        .to_owned();
    check_enrollment(&enrollment)?;
    let endpoint = text("Endpoint")
        .ok_or_else(|| ApiError::bad_request("the check-in has no Endpoint"))?
        .to_owned();
    let data = message
        .get("Data")
        .and_then(plist::Value::as_data)
        .map(Bytes::copy_from_slice)
        .unwrap_or_default();
    let request = match endpoint.as_str() {
        "tokens" => DdmRequest::Tokens,
        "declaration-items" => DdmRequest::DeclarationItems,
        "status" => DdmRequest::Status(data),
        other => match other
            .strip_prefix("declaration/")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((kind, identifier)) => DdmRequest::Declaration {
                kind: kind.to_owned(),
                identifier: identifier.to_owned(),
            },
            None => {
                return Err(ApiError::NotFound(format!("no DDM endpoint {other:?}")));
            }
        },
    };
    respond(&state, &enrollment, request).await
}
