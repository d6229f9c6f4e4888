//! Bearer-token authentication and authorization for every admin route (backup and restore
//! included).
//!
//! In order: the route's row in [`roles::ADMIN_ROUTES`] (none: 403 to everyone, logged); the
//! token, looked up by the SHA-256 of its secret among unrevoked tokens in memory
//! ([`crate::token_cache`]; a hash not there is looked up in the database) (none: 401), so a
//! revoke through any server of a cluster refuses the token on every server within one cache
//! refresh interval; then
//! [`Access::permits`] with the application clock: expired (401), role too low or out of scope
//! (403, naming the role needed and the token's). A permitted request has its token's "last used"
//! recorded (at most once a minute, [`Store::touch_token`]) and the token put in the request's
//! extensions ([`ApiToken`], read by handlers and logs). The web app's requests arrive in
//! process with their session's token as a [`UiCaller`] extension instead of a header
//! ([`crate::ui::api`]), and go through the same checks from the route's row on.
//!
//! [`Store::touch_token`]: ringmaster_store::store::Store::touch_token

use axum::RequestExt;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ringmaster_domain::access::{Access, Refusal};
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::bearer::bearer_token;
use crate::http::error::ApiError;
use crate::http::roles::{self, About};
use crate::ui::api::UiCaller;

/// Refuses the request unless it carries a live token whose role and scope allow the route.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_default();
    let route = roles::route_role(request.method(), &path);
    let token: ApiToken = match request.extensions_mut().remove::<UiCaller>() {
        // The web app's in-process request, as its session's token (read live at sign-in and at
        // each page's request).
        Some(UiCaller(token)) => token,
        None => {
            let secret = bearer_token(request.headers())
                .map(str::to_owned)
                .ok_or(ApiError::Unauthorized)?;
            state
                .admin_tokens
                .find(&state.store, &secret)
                .await
                .map_err(|error| ApiError::Internal(error.into()))?
                .ok_or(ApiError::Unauthorized)?
        }
    };
    tracing::Span::current().record("token", token.name.as_str());
    let Some(route) = route else {
        tracing::error!(method = %request.method(), path, "an admin route has no role in the route table");
        return Err(ApiError::Forbidden {
            message: format!(
                "no role is declared for {} {path}, so no token may use it",
                request.method()
            ),
            required_role: None,
            token_role: Some(token.role),
        });
    };
    let title = match route.about {
        About::Title => request
            .extract_parts::<RawPathParams>()
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "id")
                    .map(|(_, value)| value.to_owned())
            }),
        About::Other => None,
    };
    let now = state.clock.now();
    let access = Access {
        role: token.role,
        scope: token.titles.as_ref(),
        expires_at: token.expires_at,
    };
    match access.permits(route.role, title.as_deref(), now) {
        Ok(()) => {}
        Err(Refusal::Expired(at)) => return Err(ApiError::TokenExpired(at)),
        Err(refusal) => {
            return Err(ApiError::Forbidden {
                message: refusal.to_string(),
                required_role: Some(route.role),
                token_role: Some(token.role),
            });
        }
    }
    state.admin_tokens.touch(&state.store, &token, now).await;
    request.extensions_mut().insert(token);
    Ok(next.run(request).await)
}
