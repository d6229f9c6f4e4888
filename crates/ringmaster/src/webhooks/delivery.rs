//! Sending queued webhook events, in the background, on one server of a cluster.
//!
//! Every `poll` the task looks for a due delivery (one cheap read). When there is one it takes
//! the `webhooks` lease (so one server of a cluster sends, and another takes over when it dies),
//! then sends up to `batch` due deliveries, `concurrency` at a time, each a JSON POST with a
//! `timeout`. A 2xx answer takes the delivery off the queue; anything else (another status, a
//! refused connection, a timeout, a bad certificate) schedules it again after `backoff`, doubled
//! with each failure (at most an hour), until `attempts` have failed: the delivery is then marked
//! dead and logged, and dropped a week later. A webhook with `verify_ssl` false is sent through
//! a client that accepts any certificate; redirects are not followed. Due times follow the
//! application clock. Rounds run inside [`guarded`]; title writes never wait for any of this.
//! Events of one webhook may arrive out of order when several are due at once: `timestamp` orders them.

use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::SignedDuration;
use ringmaster_domain::webhook::{RELEASE_HALTED, ReleaseHalt, WebhookPayload, patch_url};
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use ringmaster_store::webhooks::Delivery;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::clock::Clock;

/// The lease one server of a cluster holds while it sends.
pub const LEASE: &str = "webhooks";

/// How deliveries are sent.
#[derive(Debug, Clone)]
pub struct WebhookDeliveryConfig {
    /// The server's public base URL (`--public-url`), for the `url` of events; `None` sends the
    /// path alone, as PatchServer does.
    pub public_url: Option<String>,
    /// How often to look for due deliveries.
    pub poll: Duration,
    /// The longest a receiver may take to answer.
    pub timeout: Duration,
    /// Attempts before a delivery is marked dead (at least 1).
    pub attempts: u32,
    /// The delay before the first retry; each further one doubles it, up to an hour.
    pub backoff: Duration,
    /// Deliveries in flight at once (at least 1).
    pub concurrency: usize,
    /// Deliveries sent per round (at least 1).
    pub batch: u32,
}

impl Default for WebhookDeliveryConfig {
    /// A look every second, 10 s to answer, 8 attempts from 5 s apart (the last about 10
    /// minutes after the first), 8 at once, 64 a round.
    fn default() -> Self {
        WebhookDeliveryConfig {
            public_url: None,
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            attempts: 8,
            backoff: Duration::from_secs(5),
            concurrency: 8,
            batch: 64,
        }
    }
}

impl WebhookDeliveryConfig {
    /// How long a round can take at most, doubled, so the lease outlives every round.
    fn lease_ttl(&self) -> SignedDuration {
        let batch = self.batch.max(1) as usize;
        let waves = batch.div_ceil(self.concurrency.max(1)) as u32;
        let longest = self.timeout.saturating_mul(waves).saturating_add(self.poll);
        SignedDuration::try_from(longest.saturating_mul(2)).unwrap_or(SignedDuration::MAX)
    }
}

/// The delay before the attempt after `failures` failed ones: `backoff` × 2^(failures − 1), at
/// most an hour.
pub fn retry_delay(backoff: Duration, failures: u32) -> Duration {
    let doubled = 2u32.saturating_pow(failures.saturating_sub(1));
    backoff
        .saturating_mul(doubled)
        .min(Duration::from_secs(3600))
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

/// The two clients: one verifying certificates, one (for `verify_ssl` false) accepting any.
#[derive(Debug, Clone)]
struct Clients {
    verifying: reqwest::Client,
    trusting: reqwest::Client,
}

impl Clients {
    /// The two clients; an error when not even the verifying one can be built (no TLS roots).
    fn new(timeout: Duration) -> Result<Clients, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("ringmaster/", env!("CARGO_PKG_VERSION")))
        };
        let verifying = builder().build()?;
        // Failing to build the trusting client leaves the verifying one: safe, if stricter.
        let trusting = builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap_or_else(|_| verifying.clone());
        Ok(Clients {
            verifying,
            trusting,
        })
    }
}

/// Starts the delivery task; it stops when `shutdown` turns true.
pub fn spawn(
    store: Store,
    clock: Clock,
    config: WebhookDeliveryConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let clients = match Clients::new(config.timeout) {
            Ok(clients) => clients,
            Err(error) => {
                tracing::error!(%error, "webhooks: cannot build an HTTP client; no events are sent");
                return;
            }
        };
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let mut last_prune: Option<Instant> = None;
        let mut ticker = tokio::time::interval(config.poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            if last_prune.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                last_prune = Some(Instant::now());
                let week_ago = clock.now() - SignedDuration::from_hours(24 * 7);
                if let Err(error) = store.prune_dead_deliveries(week_ago).await {
                    tracing::warn!(%error, "webhooks: cannot drop old dead deliveries");
                }
            }
            match store.due_deliveries(clock.now(), 1).await {
                Ok(due) if due.is_empty() => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "webhooks: cannot read the delivery queue");
                    continue;
                }
            }
            match store
                .try_acquire_lease(LEASE, &holder, config.lease_ttl(), clock.now())
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, "webhooks: cannot read their lease");
                    continue;
                }
            }
            match guarded("webhooks", deliver_round(&store, &clock, &clients, &config)).await {
                Some(Ok(report)) => tracing::debug!(
                    sent = report.sent,
                    retried = report.retried,
                    dead = report.dead,
                    "webhooks: round done"
                ),
                Some(Err(error)) => tracing::warn!(%error, "webhooks: round failed"),
                None => {}
            }
        }
    })
}

/// What became of one delivery.
enum Sent {
    Delivered,
    Failed(String),
}

/// One round: send what is due, record each outcome.
async fn deliver_round(
    store: &Store,
    clock: &Clock,
    clients: &Clients,
    config: &WebhookDeliveryConfig,
) -> Result<RoundReport, StoreError> {
    let due = store
        .due_deliveries(clock.now(), config.batch.max(1))
        .await?;
    let outcomes: Vec<(Delivery, Sent)> = futures::stream::iter(due)
        .map(|delivery| async move {
            let sent = send(clients, config, &delivery).await;
            (delivery, sent)
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    let mut report = RoundReport::default();
    for (delivery, sent) in outcomes {
        match sent {
            Sent::Delivered => {
                store.delivery_sent(delivery.id).await?;
                report.sent += 1;
            }
            Sent::Failed(why) => {
                let failures =
                    u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
                let now = clock.now();
                let retry_at = (failures < config.attempts.max(1)).then(|| {
                    let delay = retry_delay(config.backoff, failures);
                    now.checked_add(SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX))
                        .unwrap_or(now)
                });
                if retry_at.is_some() {
                    report.retried += 1;
                    tracing::info!(
                        url = %delivery.url, event = %delivery.event, title = %delivery.title_id,
                        attempt = failures, error = %why, "webhooks: delivery failed; it will be retried"
                    );
                } else {
                    report.dead += 1;
                    tracing::warn!(
                        url = %delivery.url, event = %delivery.event, title = %delivery.title_id,
                        attempts = failures, error = %why,
                        "webhooks: delivery failed every attempt; it is dropped"
                    );
                }
                store
                    .delivery_failed(delivery.id, i64::from(failures), retry_at, now, &why)
                    .await?;
            }
        }
    }
    Ok(report)
}

/// The event's body: PatchServer's keys, the definition as it was queued; a `release_halted`
/// event's details beside them instead.
pub fn payload(delivery: &Delivery, public_url: Option<&str>) -> WebhookPayload {
    if delivery.event == RELEASE_HALTED {
        return WebhookPayload {
            event: delivery.event.clone(),
            timestamp: delivery.occurred_at.div_euclid(1000),
            software_title: delivery.title_id.clone(),
            version_with_colon: delivery.version.clone(),
            version: delivery.version.clone(),
            url: patch_url(public_url, &delivery.title_id),
            patch_definition: None,
            halt: delivery
                .definition
                .as_deref()
                .and_then(|text| serde_json::from_str::<ReleaseHalt>(text).ok()),
        };
    }
    WebhookPayload {
        event: delivery.event.clone(),
        timestamp: delivery.occurred_at.div_euclid(1000),
        software_title: delivery.title_id.clone(),
        version_with_colon: delivery.version.clone(),
        version: delivery.version.clone(),
        url: patch_url(public_url, &delivery.title_id),
        patch_definition: delivery
            .definition
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        halt: None,
    }
}

async fn send(clients: &Clients, config: &WebhookDeliveryConfig, delivery: &Delivery) -> Sent {
    let body = match serde_json::to_vec(&payload(delivery, config.public_url.as_deref())) {
        Ok(body) => body,
        Err(error) => return Sent::Failed(format!("cannot write the event: {error}")),
    };
    let client = if delivery.verify_ssl {
        &clients.verifying
    } else {
        &clients.trusting
    };
    match client
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => Sent::Delivered,
        Ok(response) => Sent::Failed(format!("the receiver answered {}", response.status())),
        Err(error) => Sent::Failed(error_chain(&error)),
    }
}

/// An error and its causes, one sentence ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use ringmaster_testing::json::keys;

    use super::*;

    #[test]
    fn retries_double_from_the_backoff_and_stop_at_an_hour() {
        let backoff = Duration::from_secs(5);
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay(backoff, n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640]);
        assert_eq!(retry_delay(backoff, 40), Duration::from_secs(3600));
        assert_eq!(retry_delay(backoff, u32::MAX), Duration::from_secs(3600));
    }

    #[test]
    fn the_lease_outlives_the_longest_round() {
        let config = WebhookDeliveryConfig::default();
        // 64 deliveries, 8 at a time, 10 s each: 80 s at most, plus a poll.
        assert_eq!(config.lease_ttl(), SignedDuration::from_secs(162));
    }

    #[test]
    fn the_payload_has_patchservers_keys_and_the_definition_only_when_queued_with_it() {
        let mut delivery = Delivery {
            id: 1,
            webhook_id: 1,
            url: "http://hooks.example/".into(),
            verify_ssl: true,
            event: "new_title".into(),
            title_id: "Firefox".into(),
            version: Some("120.0".into()),
            occurred_at: 1_700_000_000_999,
            definition: None,
            attempts: 0,
        };
        let body = serde_json::to_value(payload(&delivery, Some("https://patch.example"))).unwrap();
        assert_eq!(
            keys(&body),
            [
                "event",
                "timestamp",
                "software_title",
                "version:",
                "version",
                "url"
            ]
        );
        assert_eq!(body["timestamp"], 1_700_000_000);
        assert_eq!(body["url"], "https://patch.example/jamf/v1/patch/Firefox");
        delivery.definition = Some(r#"{"id":"Firefox"}"#.into());
        let body = serde_json::to_value(payload(&delivery, None)).unwrap();
        assert_eq!(body["patch_definition"]["id"], "Firefox");
        assert_eq!(body["url"], "/jamf/v1/patch/Firefox");
    }
}
