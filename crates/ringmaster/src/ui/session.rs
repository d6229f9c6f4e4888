//! Signing in and out of the web app, and the session every other page needs.
//!
//! Signing in takes an admin API token (the same tokens, roles and expiry as the API) and opens
//! a session: a random secret in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/ui`, `Secure`
//! when the browser reached the server over HTTPS, directly or through a trusted proxy), its
//! hash in the database with the token's id and a CSRF secret ([`Store::open_ui_session`]).
//! A session lasts [`SESSION_LIFETIME`], or less when its token expires sooner, and ends at
//! sign-out or when the token is revoked. A refused token answers 401, which the failed
//! authentication limit counts as it counts the API's.
//!
//! [`require_session`] puts the [`Ui`] context on every other request, or sends the browser to
//! the sign-in page. A change arriving from another site (`Sec-Fetch-Site: cross-site`) is
//! refused before anything else; each form then proves itself with the session's CSRF secret
//! ([`super::form::UiForm`]).
//!
//! [`Store::open_ui_session`]: ringmaster_store::store::Store::open_ui_session

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use maud::html;
use ringmaster_store::ui_sessions::NewUiSession;

use crate::http::AppState;
use crate::http::client_address::ClientAddress;
use crate::ui::api::{InternalApi, Ui};
use crate::ui::form::UiForm;
use crate::ui::layout;

/// The cookie that holds a session's secret.
pub const COOKIE: &str = "ringmaster_session";

/// How long a session lasts at most.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(8);

/// The session's cookie secret, if the request carries one.
fn cookie_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// Whether a browser says the request comes from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site.eq_ignore_ascii_case("cross-site"))
}

/// Middleware on every page but sign-in: the session, or a redirect to sign in.
pub async fn require_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET && cross_site(request.headers()) {
        return layout::refusal(
            StatusCode::FORBIDDEN,
            "A change from another site is refused.",
        );
    }
    let Some(api) = request.extensions().get::<InternalApi>().cloned() else {
        return layout::refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The web app is not wired.",
        );
    };
    let now = state.clock.now();
    let Some(secret) = cookie_secret(request.headers()) else {
        return Redirect::to("/ui/sign-in").into_response();
    };
    let session = match state.store.find_ui_session(&secret, now).await {
        Ok(Some(session)) => session,
        Ok(None) => return Redirect::to("/ui/sign-in").into_response(),
        Err(error) => {
            tracing::error!(%error, "could not read a web-app session");
            return layout::refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The session could not be read.",
            );
        }
    };
    if ringmaster_domain::access::expired(session.token.expires_at, now).is_some() {
        return Redirect::to("/ui/sign-in").into_response();
    }
    tracing::Span::current().record("token", session.token.name.as_str());
    let client = request.extensions().get::<ClientAddress>().copied();
    request.extensions_mut().insert(Ui {
        session,
        secret,
        api,
        client,
        now,
    });
    next.run(request).await
}

/// `GET /ui/sign-in`.
pub async fn sign_in_page() -> Response {
    sign_in_form(StatusCode::OK, None)
}

fn sign_in_form(status: StatusCode, problem: Option<&str>) -> Response {
    let body = html! {
        section class="narrow" {
            h1 { "Sign in" }
            p { "Sign in with an admin API token (" code { "ringmaster token create" } "). Its role decides what you can change here, as on the API." }
            form method="post" action="/ui/sign-in" {
                div class="field" {
                    label for="token" { "Token" }
                    input id="token" name="token" type="password" autocomplete="current-password" required
                        aria-invalid=[problem.map(|_| "true")]
                        aria-describedby=[problem.map(|_| "token-error")];
                    @if let Some(problem) = problem {
                        p id="token-error" class="error" role="alert" { (problem) }
                    }
                }
                button type="submit" { "Sign in" }
            }
        }
    };
    let mut response = layout::bare_page("Sign in", body);
    *response.status_mut() = status;
    response
}

/// `POST /ui/sign-in` with `token`: a session cookie and the overview, or 401.
pub async fn sign_in(State(state): State<AppState>, request: Request) -> Response {
    if cross_site(request.headers()) {
        return layout::refusal(
            StatusCode::FORBIDDEN,
            "A sign-in from another site is refused.",
        );
    }
    let https = request
        .extensions()
        .get::<ClientAddress>()
        .is_some_and(|client| client.https);
    let form = match UiForm::read_unchecked(request).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let secret = form.text("token").trim().to_owned();
    let refused = || {
        sign_in_form(
            StatusCode::UNAUTHORIZED,
            Some("This token is unknown, revoked or expired."),
        )
    };
    if secret.is_empty() || secret.len() > 512 {
        return refused();
    }
    let now = state.clock.now();
    let token = match state.store.find_token(&secret).await {
        Ok(Some(token)) => token,
        Ok(None) => return refused(),
        Err(error) => {
            tracing::error!(%error, "could not look a token up for sign-in");
            return layout::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed.");
        }
    };
    if ringmaster_domain::access::expired(token.expires_at, now).is_some() {
        return refused();
    }
    let expires_at = session_end(now, token.expires_at);
    let cookie = crate::tokens::new_secret();
    let csrf = crate::tokens::new_secret();
    let opened = state
        .store
        .open_ui_session(&NewUiSession {
            secret: &cookie,
            token_id: token.id,
            csrf: &csrf,
            now,
            expires_at,
        })
        .await;
    if let Err(error) = opened {
        tracing::error!(%error, "could not open a web-app session");
        return layout::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed.");
    }
    tracing::info!(token = %token.name, "signed in to the web app");
    let max_age = expires_at.duration_since(now).as_secs().max(0);
    let secure = if https { "; Secure" } else { "" };
    let set = format!(
        "{COOKIE}={cookie}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    with_cookie(Redirect::to("/ui/").into_response(), &set)
}

/// When a session opened at `now` ends: after [`SESSION_LIFETIME`], or with its token.
pub fn session_end(now: Timestamp, token_expires_at: Option<Timestamp>) -> Timestamp {
    let end = now.checked_add(SESSION_LIFETIME).unwrap_or(now);
    match token_expires_at {
        Some(at) if at < end => at,
        _ => end,
    }
}

/// `POST /ui/sign-out`: ends the session and clears the cookie.
pub async fn sign_out(State(state): State<AppState>, form: UiForm) -> Response {
    if let Err(error) = state.store.close_ui_session(&form.ui.secret).await {
        tracing::error!(%error, "could not end a web-app session");
        return layout::refusal(StatusCode::INTERNAL_SERVER_ERROR, "Sign-out failed.");
    }
    let set = format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    with_cookie(Redirect::to("/ui/sign-in").into_response(), &set)
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ringmaster_session=abc; b=2"),
        );
        assert_eq!(cookie_secret(&headers).as_deref(), Some("abc"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={}", "x".repeat(129))).expect("value"),
        );
        assert_eq!(cookie_secret(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("ringmaster_session="),
        );
        assert_eq!(cookie_secret(&headers), None);
    }

    #[test]
    fn a_session_ends_with_its_token_when_that_comes_first() {
        let now: Timestamp = "2026-12-07T10:00:00Z".parse().expect("time");
        let soon: Timestamp = "2026-12-07T11:00:00Z".parse().expect("time");
        assert_eq!(session_end(now, Some(soon)), soon);
        assert_eq!(
            session_end(now, None),
            "2026-12-07T18:00:00Z".parse::<Timestamp>().expect("time")
        );
    }
}
