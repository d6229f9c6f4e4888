//! Admin API tokens. The token itself is shown once, at creation; only its SHA-256 hash is kept.
//!
//! Tokens are 256-bit random values, so a fast hash is the right tool (a password hash adds
//! nothing against guessing and would slow every request). Roles are stored now so that
//! scoped tokens can come without a schema change; today every token is `admin`.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// The role every token has until roles are introduced.
pub const ROLE_ADMIN: &str = "admin";

/// Hex SHA-256 of a token, as stored and looked up.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    /// Records a new token by the hash of its secret; [`StoreError::AlreadyExists`] if the name is taken.
    pub async fn create_token(
        &self,
        name: &str,
        secret: &str,
        role: &str,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let hash = token_hash(secret);
        let created_at = now.to_string();
        let result: Result<ApiToken, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_as(
                "INSERT INTO api_tokens (name, token_hash, role, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id, name, role, created_at, revoked_at",
            )
            .bind(name)
            .bind(&hash)
            .bind(role)
            .bind(&created_at)
            .fetch_one(pool)
            .await
        });
        result.map_err(|error| {
            let error = StoreError::from(error);
            if error.is_unique_violation() {
                StoreError::AlreadyExists(format!("a token named {name:?}"))
            } else {
                error
            }
        })
    }

    /// The live (unrevoked) token whose secret is `secret`, if any.
    pub async fn find_token(&self, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        let hash = token_hash(secret);
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, role, created_at, revoked_at FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Every token, live and revoked, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
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
}
