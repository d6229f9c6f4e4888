//! The DDM check-in endpoints devices reach through their MDM.
//!
//! As NanoMDM forwards them and KMFDDM serves them, under a prefix (`--ddm-prefix`, `/ddm/` by
//! default) and keyed by the `X-Enrollment-ID` header: `GET tokens`, `GET declaration-items`,
//! `GET declaration/{kind}/{identifier}` and `PUT status` (200, empty body). Also Apple's own
//! check-in message as a plist at `PUT /mdm/checkin` (`MessageType` `DeclarativeManagement`,
//! `Endpoint`, base64 `Data`, `EnrollmentID` or `UDID`), for an MDM that forwards the raw check-in.
//! NanoMDM also sends `X-Enrollment-Type` (`Device`, `User`, `User Enrollment (Device)`,
//! `User Enrollment`, `Shared iPad`) and, on a user channel, `X-Enrollment-ParentID` (the device
//! channel's id); a raw check-in says the same with `UDID`/`UserID` and
//! `EnrollmentID`/`EnrollmentUserID`. A user channel is answered the empty set and never becomes a
//! device ([`crate::os_updates::ddm`]); an unknown type is logged and read as not said.
//! The enrollment id follows the one id rule (`ringmaster_domain::ids`); a refused one is a 400
//! naming the header (`X-Enrollment-ID`) or the plist key (`/EnrollmentID`, `/UDID`).
//!
//! With `--ddm-secret` set, every request carries `Authorization: Bearer <secret>` or the
//! `X-Hmac-Signature` NanoMDM's webhook sends (base64 HMAC-SHA256 of the body under the secret);
//! anything else is 401, checked by [`crate::http::ddm_auth`] before the body is read, and every
//! answer to a request that passed carries `X-Hmac-Signature` (base64 HMAC-SHA256 of the answer
//! body), which NanoMDM's `-dm-recv-hmac-key` verifies. Without a
//! secret the endpoints are open: run so only behind an MDM on a private network (the server logs
//! a warning at start). The check-in plist is read by [`crate::http::checkin_plist`], which
//! bounds its depth, object count and decoded size.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use ringmaster_domain::capabilities::EnrollmentType;
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::ids::DeviceId;

use crate::http::AppState;
use crate::http::checkin_plist::read_check_in;
use crate::http::error::{ApiError, ErrorDetail};
use crate::http::extract::{ApiBytes, ApiPath};
use crate::os_updates::ddm::{CheckInChannel, DdmAnswer, DdmError, DdmRequest};

/// The header NanoMDM (and KMFDDM) key a check-in by.
pub const ENROLLMENT_HEADER: &str = "x-enrollment-id";

/// NanoMDM's enrollment type of the channel checking in.
pub const ENROLLMENT_TYPE_HEADER: &str = "x-enrollment-type";

/// NanoMDM's id of the device channel a user channel belongs to (sent only on user channels).
pub const ENROLLMENT_PARENT_HEADER: &str = "x-enrollment-parentid";

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
    answer(&state, &headers, DdmRequest::Tokens).await
}

async fn declaration_items(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    answer(&state, &headers, DdmRequest::DeclarationItems).await
}

async fn declaration(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((kind, identifier)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    answer(
        &state,
        &headers,
        DdmRequest::Declaration { kind, identifier },
    )
    .await
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    answer(&state, &headers, DdmRequest::Status(body)).await
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    request: DdmRequest,
) -> Result<Response, ApiError> {
    // The whitespace HTTP allows around a field value is not part of it (RFC 9110, section
    // 5.5), so trimming it reads the id the MDM sent; the id itself then follows the one rule.
    let enrollment = headers
        .get(ENROLLMENT_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("the X-Enrollment-ID header is required on DDM check-ins")
        })?;
    let enrollment = DeviceId::parse(enrollment).map_err(|why| {
        ApiError::invalid(
            format!("header X-Enrollment-ID: {why}"),
            vec![ErrorDetail {
                pointer: None,
                parameter: Some("X-Enrollment-ID".into()),
                file: None,
                message: why,
            }],
            1,
        )
    })?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let enrollment_type = match header(ENROLLMENT_TYPE_HEADER) {
        Some(text) => EnrollmentType::from_nanomdm(text).or_else(|| {
            tracing::warn!(
                enrollment = enrollment.as_str(),
                "unknown X-Enrollment-Type {text:?}; read as not said"
            );
            None
        }),
        None => None,
    }
    // Only a user channel has a parent: without a type, a parent still says which it is.
    .or_else(|| header(ENROLLMENT_PARENT_HEADER).map(|_| EnrollmentType::User));
    let channel = CheckInChannel {
        enrollment: &enrollment,
        enrollment_type,
    };
    respond(state, channel, request).await
}

async fn respond(
    state: &AppState,
    channel: CheckInChannel<'_>,
    request: DdmRequest,
) -> Result<Response, ApiError> {
    match state.os_updates.check_in(channel, request).await {
        Ok(DdmAnswer::Tokens(body)) => Ok(axum::Json(body).into_response()),
        Ok(DdmAnswer::Json(body)) => Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()),
        Ok(DdmAnswer::Empty) => Ok(StatusCode::OK.into_response()),
        Err(DdmError::NotFound(message)) => Err(ApiError::NotFound(message)),
        Err(DdmError::BadReport(errors)) => Err(ApiError::invalid_document(&errors)),
        Err(DdmError::Store(error)) => Err(ApiError::Internal(error.into())),
    }
}

/// Apple's `DeclarativeManagement` check-in message, as an MDM forwards it.
async fn raw_check_in(
    State(state): State<AppState>,
    ApiBytes(body): ApiBytes,
) -> Result<Response, ApiError> {
    let message = read_check_in(&body).map_err(|error| ApiError::bad_request(error.to_string()))?;
    let text = |key: &str| message.string(key);
    match text("MessageType") {
        Some("DeclarativeManagement") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "MessageType {other:?} is not handled here; only DeclarativeManagement"
            )));
        }
        None => return Err(ApiError::bad_request("the check-in has no MessageType")),
    }
    let (key, enrollment) = ["EnrollmentID", "UDID"]
        .into_iter()
        .find_map(|key| Some((key, text(key)?)))
        .ok_or_else(|| ApiError::bad_request("the check-in has neither EnrollmentID nor UDID"))?;
    let enrollment = DeviceId::parse(enrollment).map_err(|why| {
        let mut errors = FieldErrors::new();
        errors.push(format!("/{key}"), why);
        ApiError::invalid_document(&errors)
    })?;
    let endpoint = text("Endpoint")
        .ok_or_else(|| ApiError::bad_request("the check-in has no Endpoint"))?
        .to_owned();
    let data = message
        .data("Data")
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
    let enrollment_type = EnrollmentType::of_check_in(
        text("UDID"),
        text("UserID"),
        text("EnrollmentID"),
        text("EnrollmentUserID"),
    );
    let channel = CheckInChannel {
        enrollment: &enrollment,
        enrollment_type,
    };
    respond(&state, channel, request).await
}
