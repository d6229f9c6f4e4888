//! Bearer-token authentication for every admin route (backup and restore included).
//!
//! The token's SHA-256 is looked up in the store; the matched token is put in the request's
//! extensions for handlers and logs. Roles are stored with tokens but not enforced yet.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::bearer::bearer_token;
use crate::http::error::ApiError;

/// Refuses the request with 401 unless it carries a live admin token.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let secret = bearer_token(request.headers())
        .map(str::to_owned)
        .ok_or(ApiError::Unauthorized)?;
    let token: ApiToken = state
        .store
        .find_token(&secret)
        .await
        .map_err(|error| ApiError::Internal(error.into()))?
        .ok_or(ApiError::Unauthorized)?;
    tracing::Span::current().record("token", token.name.as_str());
    request.extensions_mut().insert(token);
    Ok(next.run(request).await)
}
