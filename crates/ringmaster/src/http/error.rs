//! The API error type: one enum, one status mapping, one JSON shape.
//!
//! Every error answers `{"status", "error", "message", "errors"?}` where `errors` lists each bad
//! field by JSON pointer (or query parameter, or file within an upload). Causes of 500s are logged
//! and never sent to clients.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ringmaster_domain::field_error::FieldErrors;
use ringmaster_domain::title::edit::TitleEditError;
use serde::Serialize;

use ringmaster_domain::policy::parse::INVALID_GLOBAL_SETTINGS;

use crate::os_updates::service::OsUpdateError;
use crate::patch_source::archive::{ArchiveError, FileErrors};
use crate::patch_source::service::TitleError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Invalid {
        message: String,
        errors: Vec<ErrorDetail>,
    },
    #[error("missing or invalid bearer token")]
    Unauthorized,
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
struct ErrorBody<'a> {
    status: u16,
    error: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [ErrorDetail]>,
}

impl ApiError {
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A 400 for a document with field errors.
    pub fn invalid_document(errors: &FieldErrors) -> ApiError {
        ApiError::Invalid {
            message: summary("the document", errors.len()),
            errors: errors
                .iter()
                .map(|error| ErrorDetail {
                    pointer: Some(error.pointer.clone()),
                    parameter: None,
                    file: None,
                    message: error.message.clone(),
                })
                .collect(),
        }
    }

    /// A 400 for one bad query parameter.
    pub fn invalid_parameter(parameter: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::Invalid {
            message: format!("query parameter {parameter}: {message}"),
            errors: vec![ErrorDetail {
                pointer: None,
                parameter: Some(parameter.to_owned()),
                file: None,
                message,
            }],
        }
    }

    /// A 400 for an edit the title's current state does not allow.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::NotFound("Not Found".into())
    }
}

fn summary(what: &str, count: usize) -> String {
    if count == 1 {
        format!("{what} has 1 error")
    } else {
        format!("{what} has {count} errors")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let errors = match &self {
            ApiError::Invalid { errors, .. } if !errors.is_empty() => Some(errors.as_slice()),
            _ => None,
        };
        let body = ErrorBody {
            status: status.as_u16(),
            error: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
            errors,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
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
                TitleEditError::NotNewer { .. }
                | TitleEditError::VersionDisabled(_)
                | TitleEditError::IdMismatch { .. } => {
                    ApiError::bad_request(edit_error.to_string())
                }
            },
            TitleError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}

impl From<ArchiveError> for ApiError {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::Invalid(files) => ApiError::Invalid {
                message: format!(
                    "{} file(s) of the upload are invalid; nothing was changed",
                    files.len()
                ),
                errors: file_details(&files),
            },
            ArchiveError::NotAZip(_)
            | ArchiveError::Empty(_)
            | ArchiveError::TooManyEntries { .. } => ApiError::bad_request(error.to_string()),
            ArchiveError::Io { .. } => ApiError::Internal(error.into()),
        }
    }
}

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
            OsUpdateError::Feed(feed) => ApiError::Invalid {
                message: format!(
                    "{}; the catalog was not changed",
                    feed.to_string()
                        .lines()
                        .next()
                        .unwrap_or("the feed cannot be read")
                        .trim_end_matches(':')
                ),
                errors: feed
                    .errors
                    .iter()
                    .map(|error| ErrorDetail {
                        pointer: Some(error.pointer.clone()),
                        parameter: None,
                        file: None,
                        message: error.message.clone(),
                    })
                    .collect(),
            },
            OsUpdateError::Fetch(_) => ApiError::bad_request(error.to_string()),
            OsUpdateError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}
