//! `--feed-auth basic|bearer`: the Jamf read routes (`/v1/…`, `/jamf/v1/…`) for sources that
//! are not public. Off by default, as Jamf Pro's external sources are usually reached openly.
//!
//! Either mode takes any live admin API token (`ringmaster token create`):
//! - `bearer`: `Authorization: Bearer <token>`;
//! - `basic`: `Authorization: Basic` with the token as the password; the user name is not
//!   checked (use the token's name, or anything a client insists on), so a client that only
//!   knows user and password (a URL's `https://user:token@host/`) can send it.
//!
//! The feed is served from memory, and so is this check as far as it can be: a token that
//! matched is remembered (by its SHA-256, as the store keeps it) for [`VERIFIED_FOR`], so a
//! revoked token stops working within that time, and only a token not seen recently costs a
//! database read. At most [`MAX_REMEMBERED`] tokens are remembered; failures are never
//! remembered (they are counted per address by [`crate::http::rate_limit`] instead).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::access::expired;
use ringmaster_store::tokens::token_hash;

use crate::http::AppState;
use crate::http::bearer::bearer_token;
use crate::http::error::ApiError;

/// How long a verified token is believed without asking the database again.
pub const VERIFIED_FOR: SignedDuration = SignedDuration::from_secs(10);

/// The most verified tokens remembered.
pub const MAX_REMEMBERED: usize = 1024;

/// How the Jamf read routes are protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeedAuth {
    /// HTTP basic authentication, an admin API token as the password
    Basic,
    /// `Authorization: Bearer` with an admin API token
    Bearer,
}

/// Token hashes verified recently, and when.
#[derive(Debug, Clone, Default)]
pub struct VerifiedTokens(Arc<Mutex<HashMap<String, Timestamp>>>);

impl VerifiedTokens {
    fn fresh(&self, hash: &str, now: Timestamp) -> bool {
        let remembered = self.lock();
        remembered
            .get(hash)
            .is_some_and(|at| now.duration_since(*at) < VERIFIED_FOR && *at <= now)
    }

    fn remember(&self, hash: String, now: Timestamp) {
        let mut remembered = self.lock();
        if remembered.len() >= MAX_REMEMBERED && !remembered.contains_key(&hash) {
            remembered.retain(|_, at| now.duration_since(*at) < VERIFIED_FOR);
            if remembered.len() >= MAX_REMEMBERED {
                remembered.clear();
            }
        }
        remembered.insert(hash, now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Timestamp>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Middleware for the Jamf read routes: with `--feed-auth`, a live admin token is required.
pub async fn require_feed_credentials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(mode) = state.config.feed_auth else {
        return Ok(next.run(request).await);
    };
    let refused = || match mode {
        FeedAuth::Basic => ApiError::UnauthorizedBasic,
        FeedAuth::Bearer => ApiError::Unauthorized,
    };
    let secret = match mode {
        FeedAuth::Bearer => bearer_token(request.headers()).map(str::to_owned),
        FeedAuth::Basic => basic_password(request.headers()),
    }
    .ok_or_else(refused)?;
    let hash = token_hash(&secret);
    let now = state.clock.now();
    if !state.feed_tokens.fresh(&hash, now) {
        let token = state
            .store
            .find_token(&secret)
            .await
            .map_err(|error| ApiError::Internal(error.into()))?;
        let live = token.is_some_and(|token| expired(token.expires_at, now).is_none());
        if !live {
            return Err(refused());
        }
        state.feed_tokens.remember(hash, now);
    }
    Ok(next.run(request).await)
}

/// The password of `Authorization: Basic base64(user:password)`, if there is one.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_user, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_basic_password_is_read_and_the_user_ignored() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("jamf:s3cret:with:colons");
        assert_eq!(
            basic_password(&authorization(&format!("Basic {encoded}"))).as_deref(),
            Some("s3cret:with:colons")
        );
        let empty = base64::engine::general_purpose::STANDARD.encode("jamf:");
        assert_eq!(
            basic_password(&authorization(&format!("basic {empty}"))),
            None
        );
        assert_eq!(basic_password(&authorization("Basic !!!")), None);
        assert_eq!(basic_password(&authorization("Bearer abc")), None);
    }

    #[test]
    fn verified_tokens_expire_and_stay_bounded() {
        let cache = VerifiedTokens::default();
        let start = Timestamp::from_second(1_700_000_000).unwrap();
        cache.remember("a".into(), start);
        assert!(cache.fresh("a", start + SignedDuration::from_secs(9)));
        assert!(!cache.fresh("a", start + SignedDuration::from_secs(10)));
        for key in 0..5000 {
            cache.remember(format!("k{key}"), start);
            assert!(cache.lock().len() <= MAX_REMEMBERED);
        }
    }
}
