//! The API error type: one enum, one status mapping, one JSON shape.
//!
//! Every error answers `{"status", "error", "message", "errors"?, "errorCount"?}` (a 403 also
//! `"requiredRole"` and `"tokenRole"`) where `errors`
//! lists each bad field by JSON pointer (or query parameter, or file within an upload): at most
//! [`MAX_LISTED_ERRORS`] of them, with `errorCount` saying how many there were in all. Causes of
//! 500s are logged and never sent to clients.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ringmaster_domain::access::Role;
use ringmaster_domain::field_error::{FieldErrors, MAX_LISTED_ERRORS};
use ringmaster_domain::title::edit::TitleEditError;
use serde::Serialize;

use ringmaster_domain::policy::parse::INVALID_GLOBAL_SETTINGS;

use crate::http::pretty_json::PrettyJson;
use crate::os_updates::service::OsUpdateError;
use crate::patch_source::archive::{ArchiveError, FileErrors};
use crate::patch_source::service::TitleError;
use crate::webhooks::WebhookError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A 400; build it with [`ApiError::invalid`] so the list stays capped.
    #[error("{message}")]
    Invalid {
        message: String,
        /// At most [`MAX_LISTED_ERRORS`] details.
        errors: Vec<ErrorDetail>,
        /// How many problems there were, listed or not.
        total: usize,
    },
    #[error("{0}")]
    RequestTimeout(String),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The Jamf read routes under `--feed-auth basic` (401, `WWW-Authenticate: Basic`).
    #[error(
        "missing or invalid credentials: basic authentication with an API token as the password"
    )]
    UnauthorizedBasic,
    /// A rate limit (429, with `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    /// A known token past its expiry (401).
    #[error("the token expired at {0}")]
    TokenExpired(jiff::Timestamp),
    /// A token whose role or scope does not allow the route (403); the answer names both roles.
    #[error("{message}")]
    Forbidden {
        message: String,
        required_role: Option<Role>,
        token_role: Option<Role>,
    },
    /// A signed request whose signature is malformed or does not match (401).
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("the server could not complete the request; see its log")]
    Internal(#[source] anyhow::Error),
}

/// One problem with one part of a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// JSON pointer into the body (or into `file`), such as `/patches/0/version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// A query parameter, such as `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// A file inside an uploaded archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    status: u16,
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [ErrorDetail]>,
    /// How many errors there were; more than `errors` lists when the list was capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_count: Option<usize>,
    /// For a 403: the role the route needs, and the token's.
    #[serde(skip_serializing_if = "Option::is_none")]
    required_role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_role: Option<Role>,
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized
            | ApiError::UnauthorizedBasic
            | ApiError::TokenExpired(_)
            | ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A 400 listing `details` (the first [`MAX_LISTED_ERRORS`] of them) out of `total`
    /// problems; `total` is at least the number of details.
    pub fn invalid(
        message: impl Into<String>,
        details: impl IntoIterator<Item = ErrorDetail>,
        total: usize,
    ) -> ApiError {
        let errors: Vec<ErrorDetail> = details.into_iter().take(MAX_LISTED_ERRORS).collect();
        ApiError::Invalid {
            message: message.into(),
            total: total.max(errors.len()),
            errors,
        }
    }

    /// A 400 for a document with field errors.
    pub fn invalid_document(errors: &FieldErrors) -> ApiError {
        ApiError::invalid(
            summary("the document", errors.len(), errors.iter().len()),
            errors.iter().map(|error| ErrorDetail {
                pointer: Some(error.pointer.clone()),
                parameter: None,
                file: None,
                message: error.message.clone(),
            }),
            errors.len(),
        )
    }

    /// A 400 for one bad query parameter.
    pub fn invalid_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::invalid(
            format!("query parameter {parameter}: {message}"),
            [ErrorDetail {
                pointer: None,
                parameter: Some(parameter.to_owned()),
                file: None,
                message,
            }],
            1,
        )
    }

    /// A 400 for an edit the title's current state does not allow.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::invalid(message, [], 0)
    }

    pub fn not_found() -> ApiError {
        ApiError::NotFound("Not Found".into())
    }
}

/// "the document has 3 errors", or, when only some are listed, "…; the first 100 are listed".
fn summary(what: &str, count: usize, listed: usize) -> String {
    match count {
        1 => format!("{what} has 1 error"),
        _ if listed < count => {
            format!("{what} has {count} errors; the first {listed} are listed")
        }
        _ => format!("{what} has {count} errors"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let (errors, error_count) = match &self {
            ApiError::Invalid { errors, total, .. } if !errors.is_empty() => {
                (Some(errors.as_slice()), Some(*total))
            }
            _ => (None, None),
        };
        let (required_role, token_role) = match &self {
            ApiError::Forbidden {
                required_role,
                token_role,
                ..
            } => (*required_role, *token_role),
            _ => (None, None),
        };
        let body = ErrorBody {
            status: status.as_u16(),
            error: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
            errors,
            error_count,
            required_role,
            token_role,
        };
        let mut response = (status, PrettyJson(body)).into_response();
        if matches!(self, ApiError::Unauthorized | ApiError::TokenExpired(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if matches!(self, ApiError::UnauthorizedBasic) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ringmaster\", charset=\"UTF-8\""),
            );
        }
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response
    }
}

impl From<TitleError> for ApiError {
    fn from(error: TitleError) -> Self {
        match error {
            TitleError::NotFound(_) => ApiError::NotFound(error.to_string()),
            TitleError::Invalid(errors) => ApiError::invalid_document(&errors),
            TitleError::AlreadyExists(_) => ApiError::Conflict(error.to_string()),
            TitleError::Stale { .. } => ApiError::PreconditionFailed(error.to_string()),
            TitleError::Edit(edit_error) => match edit_error {
                TitleEditError::VersionExists(_) => ApiError::Conflict(edit_error.to_string()),
                TitleEditError::VersionNotFound(_) => ApiError::NotFound(edit_error.to_string()),
                TitleEditError::VersionPinned(_) => ApiError::Conflict(edit_error.to_string()),
                TitleEditError::OrderUndecided { .. } => {
                    let mut errors = FieldErrors::new();
                    errors.push("/version", edit_error.to_string());
                    ApiError::invalid_document(&errors)
                }
                TitleEditError::IdMismatch { path, body } => {
                    let mut errors = FieldErrors::new();
                    errors.push(
                        "/id",
                        format!("the id {body:?} does not match the title {path:?} in the path"),
                    );
                    ApiError::invalid_document(&errors)
                }
                TitleEditError::VersionDisabled(_) => ApiError::bad_request(edit_error.to_string()),
            },
            TitleError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::Invalid(errors) => ApiError::invalid_document(&errors),
            WebhookError::AlreadyExists(_) | WebhookError::TooMany => {
                ApiError::Conflict(error.to_string())
            }
            WebhookError::NotFound(_) => ApiError::NotFound(error.to_string()),
            WebhookError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}

impl From<ArchiveError> for ApiError {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::Invalid(files) => {
                let total = files.iter().map(|file| file.errors.len()).sum();
                let listed = file_details(&files);
                let shown = if listed.len() < total {
                    format!("; the first {} of {total} errors are listed", listed.len())
                } else {
                    String::new()
                };
                ApiError::invalid(
                    format!(
                        "{} file(s) of the upload are invalid; nothing was changed{shown}",
                        files.len()
                    ),
                    listed,
                    total,
                )
            }
            ArchiveError::NotAZip(_)
            | ArchiveError::Empty(_)
            | ArchiveError::TooManyEntries { .. } => ApiError::bad_request(error.to_string()),
            ArchiveError::Io { .. } => ApiError::Internal(error.into()),
        }
    }
}

/// The first [`MAX_LISTED_ERRORS`] problems of the files, in order.
fn file_details(files: &[FileErrors]) -> Vec<ErrorDetail> {
    files
        .iter()
        .flat_map(|file| {
            file.errors.iter().map(|error| ErrorDetail {
                pointer: Some(error.pointer.clone()),
                parameter: None,
                file: Some(file.file.clone()),
                message: error.message.clone(),
            })
        })
        .take(MAX_LISTED_ERRORS)
        .collect()
}

impl From<OsUpdateError> for ApiError {
    fn from(error: OsUpdateError) -> Self {
        match error {
            OsUpdateError::NotFound(_) => ApiError::NotFound(error.to_string()),
            OsUpdateError::Invalid(errors) => {
                let mut invalid = ApiError::invalid_document(&errors);
                // A refused automatic-action combination is the headline, in JumpCloud's words.
                if let (ApiError::Invalid { message, .. }, Some(global)) = (
                    &mut invalid,
                    errors
                        .iter()
                        .find(|error| error.message.starts_with(INVALID_GLOBAL_SETTINGS)),
                ) {
                    *message = global.message.clone();
                }
                invalid
            }
            OsUpdateError::AlreadyExists(_) => ApiError::Conflict(error.to_string()),
            OsUpdateError::Stale { .. } => ApiError::PreconditionFailed(error.to_string()),
            OsUpdateError::Feed(feed) => ApiError::invalid(
                format!(
                    "{}; the catalog was not changed",
                    feed.to_string()
                        .lines()
                        .next()
                        .unwrap_or("the feed cannot be read")
                        .trim_end_matches(':')
                ),
                feed.errors.iter().map(|error| ErrorDetail {
                    pointer: Some(error.pointer.clone()),
                    parameter: None,
                    file: None,
                    message: error.message.clone(),
                }),
                feed.errors.len(),
            ),
            OsUpdateError::Fetch(_) => ApiError::bad_request(error.to_string()),
            OsUpdateError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}
