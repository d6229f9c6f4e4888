//! Admin tokens checked from memory: every unrevoked token by the SHA-256 of its secret, loaded
//! whole and refreshed when the table's fingerprint moves, as the snapshots are.
//!
//! - A request's token is looked up here; a hash not in memory is looked up in the database (a
//!   token created a moment ago through another server or the CLI works at once) and, when
//!   found, remembered. So a miss costs what every request cost before, and a hit no query.
//! - The cache refresher ([`crate::server`]) reads [`Store::token_fingerprint`] every
//!   `--cache-refresh-ms` (500 ms by default) and reloads the tokens when it moved: a revoke through
//!   any server (or `ringmaster token revoke`) refuses the token everywhere within one refresh
//!   interval plus the reload. A revoke through this server reloads at once.
//! - The fingerprint is (number of rows, greatest id, number revoked): a create, a revoke, a
//!   delete and a restore that changes the tokens each move it.
//! - "Last used" is still written at most once a minute per token ([`Store::touch_token`]); the
//!   cached token's "last used" is moved forward with each attempt, so a hit does not query
//!   either between those minutes.
//!
//! Bounded: the table is small (tokens are made by admins); at most [`MAX_TOKENS`] are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::tokens::{ApiToken, LAST_USED_GRANULARITY, TokenFingerprint, token_hash};

/// The most tokens kept in memory; beyond it the rest are read from the database per request.
pub const MAX_TOKENS: usize = 100_000;

#[derive(Debug, Default)]
struct Loaded {
    fingerprint: Option<TokenFingerprint>,
    /// Moves with every reload, so a token read from the database before a reload (perhaps
    /// revoked since) is not remembered after it.
    generation: u64,
    by_hash: HashMap<String, ApiToken>,
}

/// The tokens in memory, shared by every request of one server. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct TokenCache {
    loaded: Arc<Mutex<Loaded>>,
    reloading: Arc<tokio::sync::Mutex<()>>,
}

fn lock(mutex: &Mutex<Loaded>) -> MutexGuard<'_, Loaded> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenCache {
    /// The unrevoked token whose secret is `secret` (expired or not: the caller decides).
    pub async fn find(&self, store: &Store, secret: &str) -> Result<Option<ApiToken>, StoreError> {
        let hash = token_hash(secret);
        let generation = {
            let loaded = lock(&self.loaded);
            if let Some(token) = loaded.by_hash.get(&hash) {
                return Ok(Some(token.clone()));
            }
            loaded.generation
        };
        let found = store.find_token(secret).await?;
        if let Some(token) = &found {
            let mut loaded = lock(&self.loaded);
            if loaded.generation == generation && loaded.by_hash.len() < MAX_TOKENS {
                loaded.by_hash.insert(hash, token.clone());
            }
        }
        Ok(found)
    }

    /// Records "last used" (at most once a minute, as [`Store::touch_token`] decides) and
    /// remembers the attempt, so the next minute's requests do not try again.
    pub async fn touch(&self, store: &Store, token: &ApiToken, now: Timestamp) {
        let due = token
            .last_used_at
            .is_none_or(|last| now.duration_since(last) >= LAST_USED_GRANULARITY);
        if !due {
            return;
        }
        if let Err(error) = store.touch_token(token, now).await {
            tracing::warn!(token = %token.name, %error, "could not record when the token was last used");
        }
        // Written here or, the update finding a newer value, by someone else: either way the
        // next minute has nothing to write.
        {
            let mut loaded = lock(&self.loaded);
            for cached in loaded.by_hash.values_mut() {
                if cached.id == token.id {
                    cached.last_used_at = Some(now);
                }
            }
        }
    }

    /// Reloads every unrevoked token when the table's fingerprint moved (or `force`).
    pub async fn refresh(&self, store: &Store, force: bool) -> Result<(), StoreError> {
        let _one_at_a_time = self.reloading.lock().await;
        let fingerprint = store.token_fingerprint().await?;
        if !force && lock(&self.loaded).fingerprint == Some(fingerprint) {
            return Ok(());
        }
        let tokens = store.list_live_tokens(MAX_TOKENS).await?;
        let by_hash: HashMap<String, ApiToken> = tokens.into_iter().collect();
        let mut loaded = lock(&self.loaded);
        let generation = loaded.generation + 1;
        *loaded = Loaded {
            fingerprint: Some(fingerprint),
            generation,
            by_hash,
        };
        Ok(())
    }

    /// How many tokens are in memory.
    pub fn cached(&self) -> usize {
        lock(&self.loaded).by_hash.len()
    }
}
