//! Admin API tokens: the operations shared by `/api/v1/tokens` and `ringmaster token`.
//!
//! A token is 32 random bytes, base64url, prefixed `rmt_` so it is recognisable in a leaked log;
//! it is answered once, at creation, and only its hash is stored. Listing shows name, role,
//! scope and dates, never a secret or a hash. A revoked token is refused at once by every server
//! sharing the database (each request looks its token up).

use base64::Engine;
use jiff::Timestamp;
use rand::RngCore;
use ringmaster_domain::access::Role;
use ringmaster_domain::access::request::TokenRequest;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::tokens::{ApiToken, NewToken};
use serde::Serialize;

/// The most tokens (revoked ones included) an installation keeps.
pub const MAX_TOKENS: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("an installation keeps at most {MAX_TOKENS} tokens")]
    TooMany,
    #[error("no live token is named {0:?}")]
    NotFound(String),
    #[error("the expiry is past the end of time jiff knows")]
    ExpiryOutOfRange,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for TokenError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists(what) => TokenError::AlreadyExists(what),
            other => TokenError::Store(other),
        }
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub name: String,
    pub role: Role,
    /// The title ids the token is scoped to; `null` for every title.
    pub titles: Option<Vec<String>>,
    pub created_at: Timestamp,
    /// Within a minute: it is written at most once a minute.
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl TokenView {
    pub fn of(token: &ApiToken) -> TokenView {
        TokenView {
            name: token.name.clone(),
            role: token.role,
            titles: token
                .titles
                .as_ref()
                .map(|scope| scope.ids().map(str::to_owned).collect()),
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// A token just created: its secret, shown this once, and what it is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// A new random secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "rmt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Creates the token `request` asks for, with `secret` (a new one unless imported).
pub async fn create(
    store: &Store,
    request: &TokenRequest,
    secret: &str,
    now: Timestamp,
) -> Result<CreatedToken, TokenError> {
    if store.list_tokens().await?.len() >= MAX_TOKENS {
        return Err(TokenError::TooMany);
    }
    let expires_at = request
        .lifetime
        .map(|lifetime| now.checked_add(lifetime))
        .transpose()
        .map_err(|_| TokenError::ExpiryOutOfRange)?;
    let token = store
        .create_token(&NewToken {
            name: &request.name,
            secret,
            role: request.role,
            titles: request.titles.as_ref(),
            expires_at,
            now,
        })
        .await?;
    Ok(CreatedToken {
        token: secret.to_owned(),
        view: TokenView::of(&token),
    })
}

/// Every token, oldest first.
pub async fn list(store: &Store) -> Result<Vec<TokenView>, TokenError> {
    Ok(store
        .list_tokens()
        .await?
        .iter()
        .map(TokenView::of)
        .collect())
}

/// Revokes the live token named `name`.
pub async fn revoke(store: &Store, name: &str, now: Timestamp) -> Result<(), TokenError> {
    if store.revoke_token(name, now).await? {
        Ok(())
    } else {
        Err(TokenError::NotFound(name.chars().take(128).collect()))
    }
}
