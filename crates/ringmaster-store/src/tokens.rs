//! Admin API tokens. The token itself is shown once, at creation; only its SHA-256 hash is kept.
//!
//! Tokens are 256-bit random values, so a fast hash is the right tool (a password hash adds
//! nothing against guessing and would slow every request). A token is looked up by its hash (an
//! index lookup, whose timing says nothing about the secret), and the hash found is compared
//! again in constant time. Each token has a role, an optional expiry and an optional scope to
//! title ids ([`ringmaster_domain::access`]); the edge decides with them. "Last used" is written
//! at most once a minute per token ([`Store::touch_token`]), never on every request.

use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::access::{Role, TitleScope};
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// `None`: every title.
    pub titles: Option<TitleScope>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What a new token is made of; the secret is hashed before it is stored.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub secret: &'a str,
    pub role: Role,
    pub titles: Option<&'a TitleScope>,
    pub expires_at: Option<Timestamp>,
    pub now: Timestamp,
}

impl<'a> NewToken<'a> {
    /// An `admin` token of every title that never expires.
    pub fn admin(name: &'a str, secret: &'a str, now: Timestamp) -> NewToken<'a> {
        NewToken {
            name,
            secret,
            role: Role::Admin,
            titles: None,
            expires_at: None,
            now,
        }
    }
}

/// How long a token's "last used" may lag: it is written at most this often.
pub const LAST_USED_GRANULARITY: SignedDuration = SignedDuration::from_secs(60);

/// What moves whenever the set of live tokens changes: (rows, greatest id, rows revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenFingerprint {
    pub rows: i64,
    pub max_id: i64,
    pub revoked: i64,
}

/// The row as stored.
#[derive(Debug, sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    token_hash: String,
    role: String,
    titles: Option<String>,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

/// The columns of [`TokenRow`], for `concat!` (a literal, as sqlx wants its SQL).
macro_rules! columns {
    () => {
        "id, name, token_hash, role, titles, created_at, expires_at, last_used_at, revoked_at"
    };
}

impl TokenRow {
    fn into_token(self) -> Result<ApiToken, StoreError> {
        let what = format!("api_tokens {:?}", self.name);
        let corrupt = |why: String| StoreError::Corrupt {
            what: what.clone(),
            why,
        };
        let time = |text: &str| {
            text.parse::<Timestamp>()
                .map_err(|error| corrupt(format!("time {text:?}: {error}")))
        };
        let optional_time = |text: Option<&str>| text.map(time).transpose();
        Ok(ApiToken {
            id: self.id,
            role: self
                .role
                .parse()
                .map_err(|error: ringmaster_domain::access::UnknownRole| {
                    corrupt(error.to_string())
                })?,
            titles: self
                .titles
                .as_deref()
                .map(TitleScope::from_stored)
                .transpose()
                .map_err(corrupt)?,
            created_at: time(&self.created_at)?,
            expires_at: optional_time(self.expires_at.as_deref())?,
            last_used_at: optional_time(self.last_used_at.as_deref())?,
            revoked_at: optional_time(self.revoked_at.as_deref())?,
            name: self.name,
        })
    }
}

/// Hex SHA-256 of a token, as stored and looked up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether two hex hashes are equal, in time that does not depend on where they differ.
fn hashes_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

impl Store {
    /// Records a new token by the hash of its secret; [`StoreError::AlreadyExists`] if the name is taken.
    pub async fn create_token(&self, token: &NewToken<'_>) -> Result<ApiToken, StoreError> {
        let hash = token_hash(token.secret);
        let created_at = token.now.to_string();
        let expires_at = token.expires_at.map(|at| at.to_string());
        let titles = token.titles.map(TitleScope::to_stored);
        let name = token.name;
        let result: Result<TokenRow, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "INSERT INTO api_tokens (name, token_hash, role, titles, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                columns!()
            ))
            .bind(name)
            .bind(&hash)
            .bind(token.role.as_str())
            .bind(&titles)
            .bind(&created_at)
            .bind(&expires_at)
            .fetch_one(pool)
            .await
        });
        match result {
            Ok(row) => row.into_token(),
            Err(error) => {
                let error = StoreError::from(error);
                Err(if error.is_unique_violation() {
                    StoreError::AlreadyExists(format!("a token named {name:?}"))
                } else {
                    error
                })
            }
        }
    }

    /// The unrevoked token whose secret is `secret`, if any (expired or not: the caller
    /// compares its expiry with its clock).
    pub async fn find_token(&self, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        let hash = token_hash(secret);
        let row: Option<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                columns!(),
                " FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
            ))
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        match row {
            Some(row) if hashes_match(&row.token_hash, &hash) => row.into_token().map(Some),
            _ => Ok(None),
        }
    }

    /// The unrevoked token with this id, if any (a web-app session's token).
    pub async fn live_token_by_id(&self, id: i64) -> Result<Option<ApiToken>, StoreError> {
        let row: Option<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                columns!(),
                " FROM api_tokens WHERE id = $1 AND revoked_at IS NULL"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(TokenRow::into_token).transpose()
    }

    /// The table's [`TokenFingerprint`]: one aggregate read, for servers that keep tokens in
    /// memory.
    pub async fn token_fingerprint(&self) -> Result<TokenFingerprint, StoreError> {
        let (rows, max_id, revoked): (i64, i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(MAX(id), 0), COUNT(revoked_at) FROM api_tokens",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(TokenFingerprint {
            rows,
            max_id,
            revoked,
        })
    }

    /// Up to `limit` unrevoked tokens, each with the hash of its secret, oldest first.
    pub async fn list_live_tokens(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, ApiToken)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                columns!(),
                " FROM api_tokens WHERE revoked_at IS NULL ORDER BY id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                let hash = row.token_hash.clone();
                Ok((hash, row.into_token()?))
            })
            .collect()
    }

    /// Every token, live and revoked, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!("SELECT ", columns!(), " FROM api_tokens ORDER BY id"))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(TokenRow::into_token).collect()
    }

    /// Revokes a token by name; `Ok(false)` if no live token has that name.
    pub async fn revoke_token(&self, name: &str, now: Timestamp) -> Result<bool, StoreError> {
        let revoked_at = now.to_string();
        let affected = on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL")
                .bind(name)
                .bind(&revoked_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }

    /// Records that `token` was used at `now`, unless its "last used" is less than
    /// [`LAST_USED_GRANULARITY`] old (then nothing is written): at most one write a minute per
    /// token, whatever the request rate and however many servers share the database. Returns
    /// whether it wrote.
    pub async fn touch_token(&self, token: &ApiToken, now: Timestamp) -> Result<bool, StoreError> {
        if let Some(last) = token.last_used_at
            && now.duration_since(last) < LAST_USED_GRANULARITY
        {
            return Ok(false);
        }
        // Only if nobody wrote since the token was read: of requests (or servers) racing at the
        // end of a minute, one writes.
        let at = now.to_string();
        let seen = token.last_used_at.map(|last| last.to_string());
        let affected = on_pool!(self, pool => {
            match &seen {
                None => sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND last_used_at IS NULL",
                )
                .bind(token.id)
                .bind(&at)
                .execute(pool)
                .await?,
                Some(seen) => sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND last_used_at = $3",
                )
                .bind(token.id)
                .bind(&at)
                .bind(seen)
                .execute(pool)
                .await?,
            }
            .rows_affected()
        });
        Ok(affected > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_only_when_equal() {
        let hash = token_hash("secret");
        assert!(hashes_match(&hash, &token_hash("secret")));
        assert!(!hashes_match(&hash, &token_hash("secreT")));
        assert!(!hashes_match(&hash, &hash[1..]));
    }
}
