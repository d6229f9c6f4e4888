//! Extractors whose every rejection is an [`ApiError`], so a bad query string, path or body gets
//! our JSON error naming the parameter, never axum's plain-text one.
//!
//! - [`ApiQuery`]: the query string into `T`; a bad or missing value names its parameter.
//! - [`ApiPath`]: path parameters into `T`; text that is not UTF-8 once decoded names its
//!   parameter.
//! - [`ApiBytes`]: the raw body, 413 over the route's limit, 408 when it arrives too slowly.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::connections::activity::is_body_timeout;
use crate::http::error::{ApiError, ErrorDetail};
use crate::http::upload::BodyLimit;

/// Query parameters, deserialized into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// `query` into `T`, or a 400 naming the parameter that is wrong or missing.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let problem = error.inner().to_string();
        let parameter = if path.is_empty() || path == "." || path == "?" {
            // A missing field carries no path; its name is in the message.
            problem.split('`').nth(1).unwrap_or("query").to_owned()
        } else {
            path
        };
        let value = form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| *key == parameter)
            .map(|(_, value)| value.into_owned());
        let message = match value {
            Some(value) => format!("{value:?} is not a valid value: {problem}"),
            None => problem,
        };
        ApiError::invalid_parameter(&parameter, message)
    })
}

/// Path parameters, deserialized into `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_error(rejection)),
        }
    }
}

fn path_error(rejection: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(failure) = rejection else {
        return ApiError::Internal(anyhow::anyhow!("path parameters missing: {rejection}"));
    };
    let (parameter, message) = match failure.into_kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => (
            key,
            "is not valid UTF-8 text once percent-decoded".to_owned(),
        ),
        ErrorKind::ParseErrorAtKey {
            key,
            value,
            expected_type,
        } => (key, format!("{value:?} is not a valid {expected_type}")),
        ErrorKind::DeserializeError {
            key,
            value,
            message,
        } => (key, format!("{value:?} is not valid: {message}")),
        other => ("path".to_owned(), other.to_string()),
    };
    ApiError::invalid(
        format!("path parameter {parameter}: {message}"),
        [ErrorDetail {
            pointer: None,
            parameter: Some(parameter),
            file: None,
            message,
        }],
        1,
    )
}

/// The whole request body.
#[derive(Debug, Clone)]
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(request, state).await.map(ApiBytes)
    }
}

/// Reads the body whole: 413 over the route's [`BodyLimit`], 408 when it is too slow.
pub async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let limit = body_limit(&request);
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| body_error(&rejection, limit))
}

/// The error for a body that could not be read.
pub fn body_error(rejection: &BytesRejection, limit: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge { limit };
    }
    if is_body_timeout(rejection) {
        return body_timeout();
    }
    ApiError::bad_request(format!("could not read the request body: {rejection}"))
}

/// The 408 answered when a body does not arrive before `--body-timeout-secs`.
pub fn body_timeout() -> ApiError {
    ApiError::RequestTimeout(
        "the request body did not arrive within the time allowed (--body-timeout-secs)".into(),
    )
}

/// The limit set on this route, for the 413 message.
pub fn body_limit(request: &Request) -> usize {
    request
        .extensions()
        .get::<BodyLimit>()
        .map(|limit| limit.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: Option<usize>,
        replace: Option<bool>,
        name: String,
    }

    fn parameter_of(error: ApiError) -> (String, String) {
        match error {
            ApiError::Invalid { errors, .. } => (
                errors[0].parameter.clone().unwrap_or_default(),
                errors[0].message.clone(),
            ),
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn a_bad_query_value_names_its_parameter() {
        let (parameter, message) =
            parameter_of(parse_query::<Page>("name=a&limit=abc").unwrap_err());
        assert_eq!(parameter, "limit");
        assert!(message.contains("\"abc\""), "{message}");
        let (parameter, _) = parameter_of(parse_query::<Page>("name=a&replace=maybe").unwrap_err());
        assert_eq!(parameter, "replace");
        let (parameter, message) = parameter_of(parse_query::<Page>("limit=1").unwrap_err());
        assert_eq!(parameter, "name");
        assert!(message.contains("missing"), "{message}");
        assert_eq!(
            parse_query::<Page>("name=a&limit=3").unwrap().limit,
            Some(3)
        );
    }
}
