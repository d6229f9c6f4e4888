//! Sessions of the admin web app (`ui_sessions`, migration 0013).
//!
//! A session is opened with a live admin token: the browser keeps a random secret in a cookie,
//! the database the SHA-256 of it ([`token_hash`], the tokens' hash), the token's id, a CSRF
//! secret and the expiry. A session is found only while it has not expired and its token is not
//! revoked, so revoking a token signs its sessions out on every server at their next request.
//! Expired sessions are deleted when a new one is opened, so the table stays small.

use jiff::Timestamp;

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;
use crate::tokens::{ApiToken, token_hash};

/// A live session and the token it acts as.
#[derive(Debug, Clone)]
pub struct UiSession {
    pub token: ApiToken,
    /// The secret every form of this session carries.
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// What opens a session.
#[derive(Debug, Clone, Copy)]
pub struct NewUiSession<'a> {
    /// The cookie's secret; only its hash is stored.
    pub secret: &'a str,
    pub token_id: i64,
    pub csrf: &'a str,
    pub now: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    token_id: i64,
    csrf: String,
    expires_at: String,
}

impl Store {
    /// Stores a new session, deleting the expired ones first.
    pub async fn open_ui_session(&self, session: &NewUiSession<'_>) -> Result<(), StoreError> {
        let hash = token_hash(session.secret);
        let now = session.now.to_string();
        let expires_at = session.expires_at.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM ui_sessions WHERE expires_at <= $1")
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ui_sessions (session_hash, token_id, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&hash)
            .bind(session.token_id)
            .bind(session.csrf)
            .bind(&now)
            .bind(&expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The session whose cookie secret is `secret`, if it has not expired at `now` and its token
    /// is live (unrevoked; the caller checks the token's own expiry with its clock).
    pub async fn find_ui_session(
        &self,
        secret: &str,
        now: Timestamp,
    ) -> Result<Option<UiSession>, StoreError> {
        let hash = token_hash(secret);
        let now_text = now.to_string();
        let row: Option<SessionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT token_id, csrf, expires_at FROM ui_sessions \
                 WHERE session_hash = $1 AND expires_at > $2",
            )
            .bind(&hash)
            .bind(&now_text)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(token) = self.live_token_by_id(row.token_id).await? else {
            return Ok(None);
        };
        let expires_at =
            row.expires_at
                .parse::<Timestamp>()
                .map_err(|error| StoreError::Corrupt {
                    what: "ui_sessions".to_owned(),
                    why: format!("time {:?}: {error}", row.expires_at),
                })?;
        Ok(Some(UiSession {
            token,
            csrf: row.csrf,
            expires_at,
        }))
    }

    /// Ends a session (sign-out); `Ok(false)` if there was none.
    pub async fn close_ui_session(&self, secret: &str) -> Result<bool, StoreError> {
        let hash = token_hash(secret);
        let affected = on_pool!(self, pool => {
            sqlx::query("DELETE FROM ui_sessions WHERE session_hash = $1")
                .bind(&hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }
}
