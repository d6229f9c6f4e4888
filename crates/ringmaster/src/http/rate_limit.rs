//! Rate limits: failed authentication per client address, and requests per admin token.
//!
//! Both are token buckets ([`KeyedLimiter`]) keyed by what they limit, read against the
//! application's clock:
//! - [`guard_auth_failures`] wraps the admin API, the DDM check-ins and (when protected) the Jamf
//!   read routes, outside their authentication: an address whose bucket of failures
//!   (`--auth-failure-limit`, 10 a minute by default, as a burst of 10 refilled one every 6 s) is
//!   empty is answered 429 with `Retry-After` before its credentials are looked at; every 401
//!   those routes answer takes one failure from its bucket. A client that stops failing gets its
//!   tries back as the bucket refills.
//! - [`limit_per_token`] runs after the admin API's authentication (`--admin-rate-limit`, off by
//!   default): each request takes one from the bucket of its token's id; an empty bucket is a
//!   429 with `Retry-After`.
//!
//! Memory is bounded: each limiter keeps at most [`MAX_KEYS`] keys. When a new key finds it
//! full, keys whose buckets are full again (idle clients) are dropped first, then the ones seen
//! longest ago, so a hostile client varying its address can push others out but never grows
//! the map.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use ringmaster_store::tokens::ApiToken;

use crate::http::AppState;
use crate::http::client_address::ClientAddress;
use crate::http::error::ApiError;

/// The most keys one limiter remembers.
pub const MAX_KEYS: usize = 10_000;

/// The default `--auth-failure-limit`.
pub const DEFAULT_AUTH_FAILURE_LIMIT: Rate = Rate {
    count: 10,
    per: Duration::from_secs(60),
};

/// `count` events per `per`, as a burst of `count` refilled evenly over `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    /// `20/s`, `600/m`, `1000/h` (also `/second`, `/minute`, `/hour`).
    fn from_str(text: &str) -> Result<Rate, String> {
        let problem = || format!("{text:?} is not a rate such as 20/s, 600/m or 1000/h");
        let (count, unit) = text.trim().split_once('/').ok_or_else(problem)?;
        let count: u32 = count.trim().parse().map_err(|_| problem())?;
        if count == 0 || count > 1_000_000 {
            return Err(format!("{text:?}: the count must be 1 to 1000000"));
        }
        let per = match unit.trim() {
            "s" | "second" => Duration::from_secs(1),
            "m" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(problem()),
        };
        Ok(Rate { count, per })
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Timestamp,
}

/// Token buckets per key, at most [`MAX_KEYS`] of them.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate: Rate) -> KeyedLimiter<K> {
        KeyedLimiter::with_max_keys(rate, MAX_KEYS)
    }

    pub fn with_max_keys(rate: Rate, max_keys: usize) -> KeyedLimiter<K> {
        KeyedLimiter {
            rate,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when `key`'s bucket is empty at `now`: how long until it holds one again.
    pub fn check(&self, key: &K, now: Timestamp) -> Result<(), Duration> {
        let buckets = self.lock();
        match buckets.get(key) {
            Some(bucket) => self.wait(self.refilled(*bucket, now)),
            None => Ok(()),
        }
    }

    /// Takes one from `key`'s bucket; `Err(wait)` (and nothing taken) when it is empty.
    pub fn take(&self, key: &K, now: Timestamp) -> Result<(), Duration> {
        let mut buckets = self.lock();
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            self.make_room(&mut buckets, now);
        }
        let full = Bucket {
            tokens: f64::from(self.rate.count),
            at: now,
        };
        let bucket = buckets.entry(key.clone()).or_insert(full);
        let mut refilled = self.refilled(*bucket, now);
        self.wait(refilled)?;
        refilled.tokens -= 1.0;
        *bucket = refilled;
        Ok(())
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Bucket>> {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn per_token(&self) -> f64 {
        self.rate.per.as_secs_f64() / f64::from(self.rate.count)
    }

    fn refilled(&self, bucket: Bucket, now: Timestamp) -> Bucket {
        let elapsed = now.duration_since(bucket.at).as_secs_f64().max(0.0);
        Bucket {
            tokens: (bucket.tokens + elapsed / self.per_token()).min(f64::from(self.rate.count)),
            at: now.max(bucket.at),
        }
    }

    fn wait(&self, bucket: Bucket) -> Result<(), Duration> {
        if bucket.tokens >= 1.0 {
            return Ok(());
        }
        Err(Duration::from_secs_f64(
            (1.0 - bucket.tokens) * self.per_token(),
        ))
    }

    /// Drops idle keys, then (if none was idle) the eighth of the keys seen longest ago.
    fn make_room(&self, buckets: &mut HashMap<K, Bucket>, now: Timestamp) {
        let full = f64::from(self.rate.count);
        buckets.retain(|_, bucket| self.refilled(*bucket, now).tokens < full);
        if buckets.len() < self.max_keys {
            return;
        }
        let mut seen: Vec<Timestamp> = buckets.values().map(|bucket| bucket.at).collect();
        let cut = (buckets.len() / 8).max(1).min(seen.len() - 1);
        let (_, oldest_kept, _) = seen.select_nth_unstable(cut);
        let oldest_kept = *oldest_kept;
        buckets.retain(|_, bucket| bucket.at >= oldest_kept);
        if buckets.len() >= self.max_keys {
            buckets.clear();
        }
    }
}

/// The server's limiters, shared by every request.
#[derive(Debug)]
pub struct Limiters {
    pub auth_failures: KeyedLimiter<IpAddr>,
    pub per_token: Option<KeyedLimiter<i64>>,
}

impl Limiters {
    pub fn new(auth_failures: Rate, per_token: Option<Rate>) -> Arc<Limiters> {
        Arc::new(Limiters {
            auth_failures: KeyedLimiter::new(auth_failures),
            per_token: per_token.map(KeyedLimiter::new),
        })
    }
}

/// Middleware outside an authentication: refuses an address out of failures, counts each 401.
pub async fn guard_auth_failures(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(client) = request.extensions().get::<ClientAddress>().copied() else {
        return next.run(request).await;
    };
    let limiter = &state.limiters.auth_failures;
    if let Err(wait) = limiter.check(&client.ip, state.clock.now()) {
        return too_many(
            wait,
            "too many failed authentications from this address; try again later",
        );
    }
    let answer = next.run(request).await;
    if answer.status() == StatusCode::UNAUTHORIZED {
        let _ = limiter.take(&client.ip, state.clock.now());
        tracing::info!(client = %client.ip, "authentication failed");
    }
    answer
}

/// Middleware after the admin API's authentication: one request from its token's bucket.
pub async fn limit_per_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(limiter), Some(token)) = (
        state.limiters.per_token.as_ref(),
        request.extensions().get::<ApiToken>(),
    ) else {
        return next.run(request).await;
    };
    if let Err(wait) = limiter.take(&token.id, state.clock.now()) {
        return too_many(
            wait,
            "this token made more requests than --admin-rate-limit allows; try again later",
        );
    }
    next.run(request).await
}

fn too_many(wait: Duration, message: &str) -> Response {
    ApiError::TooManyRequests {
        message: message.to_owned(),
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap()
    }

    #[test]
    fn rates_parse_and_bad_ones_say_why() {
        assert_eq!(
            "20/s".parse::<Rate>(),
            Ok(Rate {
                count: 20,
                per: Duration::from_secs(1)
            })
        );
        assert_eq!("600/m".parse::<Rate>().unwrap().per.as_secs(), 60);
        assert_eq!("5/hour".parse::<Rate>().unwrap().per.as_secs(), 3600);
        for bad in ["", "20", "0/s", "x/s", "20/d", "-1/s", "2000000/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_until_the_bucket_refills() {
        let limiter = KeyedLimiter::new("3/m".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limiter.take(&"a", at(0)), Ok(()));
        }
        let wait = limiter.take(&"a", at(0)).unwrap_err();
        assert_eq!(wait.as_secs(), 20);
        assert!(limiter.check(&"a", at(0)).is_err());
        assert_eq!(limiter.check(&"b", at(0)), Ok(()), "keys are separate");
        assert_eq!(limiter.take(&"a", at(20)), Ok(()));
        assert!(limiter.take(&"a", at(21)).is_err());
    }

    #[test]
    fn the_map_never_grows_past_its_cap() {
        let limiter = KeyedLimiter::with_max_keys("1/h".parse().unwrap(), 100);
        for key in 0..10_000u32 {
            let _ = limiter.take(&key, at(i64::from(key)));
            assert!(limiter.len() <= 100);
        }
        // The newest keys are kept: the last one is still limited.
        assert!(limiter.check(&9_999, at(10_000)).is_err());
    }
}
