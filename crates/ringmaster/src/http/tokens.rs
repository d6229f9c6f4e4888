//! The token API, under `/api/v1/tokens` (admin only, as [`super::roles`] says).
//!
//! `POST /tokens` creates one from `{"name", "role", "expiresIn"?, "titles"?}` and answers 201
//! with the secret (`"token"`, shown this once) beside what `GET` lists; 400 naming the field (a
//! missing or unknown `role` lists the roles), 409 for a name already taken. `GET /tokens` lists
//! every token (`name`, `role`, `titles`, `createdAt`, `lastUsedAt`, `expiresAt`, `revokedAt`),
//! never a secret. `DELETE /tokens/{name}` revokes one (204; 404 when no live token has it).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use ringmaster_domain::access::request::TokenRequest;

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use crate::http::pretty_json::PrettyJson;
use crate::http::upload::JsonUpload;
use crate::tokens::{self, TokenError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{name}", delete(revoke_token))
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::AlreadyExists(_) | TokenError::TooMany => {
                ApiError::Conflict(error.to_string())
            }
            TokenError::NotFound(_) => ApiError::NotFound(error.to_string()),
            TokenError::ExpiryOutOfRange => ApiError::bad_request(error.to_string()),
            TokenError::Store(store_error) => ApiError::Internal(store_error.into()),
        }
    }
}

async fn list_tokens(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(PrettyJson(tokens::list(&state.store).await?).into_response())
}

async fn create_token(
    State(state): State<AppState>,
    JsonUpload(body): JsonUpload,
) -> Result<Response, ApiError> {
    let request =
        TokenRequest::parse(&body).map_err(|errors| ApiError::invalid_document(&errors))?;
    let secret = tokens::new_secret();
    let created = tokens::create(&state.store, &request, &secret, state.clock.now()).await?;
    Ok((StatusCode::CREATED, PrettyJson(created)).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    tokens::revoke(&state.store, &name, state.clock.now()).await?;
    if let Err(error) = state.admin_tokens.refresh(&state.store, true).await {
        tracing::warn!(%error, "admin tokens not reloaded after a revoke; the next refresh will");
    }
    Ok(StatusCode::NO_CONTENT)
}
