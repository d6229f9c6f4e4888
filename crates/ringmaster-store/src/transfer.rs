//! Moving a whole installation between databases (`ringmaster migrate`), nothing lost:
//! titles with their admin state, `lastModified` and order, and token hashes with their dates.

use crate::error::StoreError;
use crate::on_pool;
use crate::store::Store;
use crate::title_row::StoredTitle;
use crate::titles::ExistingTitles;

/// A stored token as it is kept, hash included, for copying between databases.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub name: String,
    pub token_hash: String,
    pub role: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Everything an installation holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub titles: Vec<StoredTitle>,
    pub tokens: Vec<TokenRow>,
}

impl Installation {
    /// Whether two installations hold the same data (revisions are per-database and not compared).
    pub fn same_content(&self, other: &Installation) -> bool {
        self.tokens == other.tokens
            && self.titles.len() == other.titles.len()
            && self
                .titles
                .iter()
                .zip(&other.titles)
                .all(|(a, b)| a.record == b.record)
    }
}

impl Store {
    /// Reads everything.
    pub async fn read_installation(&self) -> Result<Installation, StoreError> {
        let titles = self.list_titles().await?;
        let tokens = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT name, token_hash, role, created_at, revoked_at FROM api_tokens ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(Installation { titles, tokens })
    }

    /// Whether the database holds no titles and no tokens.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let (titles, tokens): (i64, i64) = on_pool!(self, pool => {
            let titles = sqlx::query_scalar("SELECT COUNT(*) FROM titles").fetch_one(pool).await?;
            let tokens = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens").fetch_one(pool).await?;
            (titles, tokens)
        });
        Ok(titles == 0 && tokens == 0)
    }

    /// Writes a whole installation into this (empty) database: titles in one transaction,
    /// then tokens in another. Title records keep their `lastModified`.
    pub async fn write_installation(&self, installation: &Installation) -> Result<(), StoreError> {
        let records: Vec<_> = installation
            .titles
            .iter()
            .map(|stored| stored.record.clone())
            .collect();
        self.restore_titles(&records, ExistingTitles::Refuse)
            .await?;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for token in &installation.tokens {
                sqlx::query(
                    "INSERT INTO api_tokens (name, token_hash, role, created_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&token.name)
                .bind(&token.token_hash)
                .bind(&token.role)
                .bind(&token.created_at)
                .bind(&token.revoked_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
