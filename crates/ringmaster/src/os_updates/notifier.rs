//! Telling the MDM which devices must sync: when a device's declaration set changes (a release
//! enters the catalog, a policy or binding changes, a deferral ends), the MDM is asked to send it
//! the `DeclarativeManagement` command.
//!
//! The webhook follows NanoMDM's API (NanoHUB's is the same): `PUT {enqueue URL}/{id,id,…}` with
//! the command as an XML plist, HTTP basic auth `<user>:<API key>` (user `nanomdm` by default,
//! `nanohub` for NanoHUB); the MDM queues the command and pushes ([`crate::os_updates::enqueue`]
//! sends one batch and reads NanoMDM's partial-failure answer). A background
//! round (on one server of a cluster, under the `ddm-notify` lease) runs when the OS-update
//! configuration changes and at least every `every`: it recomputes the devices that have synced
//! before and that the change can affect ([`super::notify_scope`]: a catalog change, the
//! devices of the platforms it touched; a binding or device-group change, the devices the old
//! and the new binding reach and those that joined or left a group; anything else, a new UTC
//! day and the periodic round, every device; each distinct input computed once), compares the
//! set's `DeclarationsToken` with what the device was served and what the MDM was last asked
//! for, and notifies the rest in batches of `batch` ids (30 by default, so URLs stay near 1 KB), eight requests in flight,
//! each retried with exponential backoff. Requests never wait for it. A device is recorded as
//! notified only when the MDM took it (a 207 answer takes some ids of a batch and fails others),
//! so a failed device is tried again in the next round; what the MDM took is recorded in
//! transactions of up to 5,000 devices (a round that stops before recording asks for those
//! devices again in the next one: at worst a second sync command, never a missed one). A round
//! that fails or panics is logged and the next one runs as usual
//! ([`crate::background::guarded`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use jiff::SignedDuration;
use ringmaster_store::error::StoreError;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::os_updates::ddm::utc_day;
use crate::os_updates::enqueue::{BatchResult, EnqueueTarget, send_batch};
use crate::os_updates::notify_scope::{Memo, Scope};
use crate::os_updates::service::OsUpdates;
use crate::os_updates::snapshot::OsUpdateSnapshot;

/// Devices read per page in a round.
const PAGE: u32 = 1000;

/// Enqueue requests a round keeps in flight.
const IN_FLIGHT: usize = 8;

/// Devices the MDM took, recorded per transaction.
const RECORD_EVERY: usize = 5000;

/// Where and how to notify.
#[derive(Debug, Clone)]
pub struct NotifierConfig {
    /// NanoMDM's enqueue URL, such as `https://mdm.example/v1/enqueue/` (a trailing slash is
    /// optional: the ids always go in a segment of their own).
    pub enqueue_url: String,
    /// The basic-auth user: `nanomdm` (NanoMDM) or `nanohub` (NanoHUB).
    pub api_user: String,
    pub api_key: Option<String>,
    /// The longest time between two rounds.
    pub every: Duration,
    /// Devices per request (at least 1).
    pub batch: usize,
    /// Attempts per batch before giving up until the next round.
    pub attempts: u32,
    /// The first retry's delay; each further one doubles it.
    pub backoff: Duration,
}

/// The basic-auth user unless told otherwise (NanoMDM's).
pub const DEFAULT_API_USER: &str = "nanomdm";

/// Devices per enqueue request unless told otherwise: 30 ids of 36 characters keep the URL near
/// 1 KB, well under what proxies and servers accept.
pub const DEFAULT_BATCH: usize = 30;

/// The largest batch `--mdm-batch-size` accepts (about 4 KB of ids).
pub const MAX_BATCH: usize = 100;

impl NotifierConfig {
    /// User `nanomdm`, a round at least every minute, batches of [`DEFAULT_BATCH`], 4 attempts
    /// from 500 ms apart.
    pub fn new(enqueue_url: String, api_key: Option<String>) -> NotifierConfig {
        NotifierConfig {
            enqueue_url,
            api_user: DEFAULT_API_USER.to_owned(),
            api_key,
            every: Duration::from_secs(60),
            batch: DEFAULT_BATCH,
            attempts: 4,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What the last round saw, so the next recomputes only what a change can affect.
#[derive(Debug, Default)]
pub struct RoundMemory {
    previous: Option<(Arc<OsUpdateSnapshot>, jiff::civil::Date)>,
    /// Devices whose notification failed: tried again whatever the next round's scope.
    retry: HashSet<String>,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Devices that have synced before (the candidates).
    pub devices: usize,
    /// Devices recomputed (in the round's scope).
    pub recomputed: usize,
    /// Distinct computations among them.
    pub computed: usize,
    /// Devices whose set changed and were notified.
    pub notified: usize,
    /// Devices whose batch failed every attempt.
    pub failed: usize,
    pub elapsed_ms: u128,
}

/// Starts the notifier; it stops when `shutdown` turns true.
pub fn spawn(
    os_updates: OsUpdates,
    config: NotifierConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        os_updates.notifier_log.started();
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let mut last_revision = i64::MIN;
        let mut memory = RoundMemory::default();
        let mut last_round: Option<Instant> = None;
        let mut ticker = tokio::time::interval(Duration::from_millis(500));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let revision = os_updates.snapshot().revision;
            if revision == last_revision && last_round.is_some_and(|at| at.elapsed() < config.every)
            {
                continue;
            }
            let ttl = SignedDuration::try_from(config.every * 2).unwrap_or(SignedDuration::MAX);
            match os_updates
                .store
                .try_acquire_lease("ddm-notify", &holder, ttl, os_updates.clock.now())
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, "notifier: cannot read its lease");
                    continue;
                }
            }
            last_revision = revision;
            last_round = Some(Instant::now());
            let outcome = guarded(
                "notifier",
                notify_round(&os_updates, &client, &config, &mut memory),
            )
            .await;
            os_updates.notifier_log.record(
                os_updates.clock.now(),
                match &outcome {
                    Some(Ok(report)) => Ok(report),
                    Some(Err(error)) => Err(error.to_string()),
                    None => Err("the round panicked".to_owned()),
                },
            );
            match outcome {
                Some(Ok(report)) if report.notified > 0 || report.failed > 0 => tracing::info!(
                    devices = report.devices,
                    recomputed = report.recomputed,
                    computed = report.computed,
                    notified = report.notified,
                    failed = report.failed,
                    elapsed_ms = report.elapsed_ms as u64,
                    "notifier: asked the MDM to sync changed devices"
                ),
                Some(Ok(_)) | None => {}
                Some(Err(error)) => tracing::warn!(%error, "notifier: round failed"),
            }
        }
    })
}

/// One round: recompute what the change since `memory`'s round can affect, compare, notify in
/// batches.
pub async fn notify_round(
    os_updates: &OsUpdates,
    client: &reqwest::Client,
    config: &NotifierConfig,
    memory: &mut RoundMemory,
) -> Result<RoundReport, StoreError> {
    let started = Instant::now();
    let now = os_updates.clock.now();
    let snapshot = os_updates.snapshot();
    let today = utc_day(now);
    let scope = Scope::between(
        memory
            .previous
            .as_ref()
            .map(|(previous, day)| (previous.as_ref(), *day)),
        &snapshot,
        today,
    );
    let mut memo = Memo::default();
    let mut recomputed = 0usize;
    let served: HashMap<String, (String, Option<String>)> = os_updates
        .store
        .served_tokens()
        .await?
        .into_iter()
        .map(|(device, served, notified)| (device, (served, notified)))
        .collect();
    let mut changed: Vec<(String, String)> = Vec::new();
    let mut after: Option<String> = None;
    // A change that reaches no device, with no failure to retry, reads no device.
    let nothing_to_do = scope.is_empty() && memory.retry.is_empty();
    loop {
        if nothing_to_do {
            break;
        }
        let page = os_updates
            .store
            .list_devices(after.as_deref(), PAGE)
            .await?;
        for device in &page {
            let Some((served_token, notified_token)) = served.get(&device.id) else {
                continue;
            };
            if !scope.includes(&device.id, device.platform) && !memory.retry.contains(&device.id) {
                continue;
            }
            recomputed += 1;
            let token = memo.token(os_updates, &snapshot, device, now);
            if &token != served_token && Some(&token) != notified_token.as_ref() {
                changed.push((device.id.clone(), token));
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
        after = page.last().map(|device| device.id.clone());
    }
    let mut report = RoundReport {
        devices: served.len(),
        recomputed,
        computed: memo.computed,
        ..RoundReport::default()
    };
    memory.previous = Some((snapshot, today));
    memory.retry.clear();
    let target = EnqueueTarget {
        url: &config.enqueue_url,
        user: &config.api_user,
        api_key: config.api_key.as_deref(),
        attempts: config.attempts,
        backoff: config.backoff,
    };
    // Batches go out IN_FLIGHT at a time; what the MDM took is recorded RECORD_EVERY devices
    // at a time (and at the end), each write one transaction.
    let mut waiting = changed.chunks(config.batch.max(1));
    let mut in_flight = FuturesUnordered::new();
    let mut notified: Vec<(String, String)> = Vec::new();
    loop {
        while in_flight.len() < IN_FLIGHT {
            match waiting.next() {
                Some(batch) => in_flight.push(send_one(client, &target, batch)),
                None => break,
            }
        }
        let Some((batch, result)) = in_flight.next().await else {
            break;
        };
        if !result.delivered.is_empty() {
            let delivered: HashSet<&str> = result.delivered.iter().map(String::as_str).collect();
            notified.extend(
                batch
                    .iter()
                    .filter(|(id, _)| delivered.contains(id.as_str()))
                    .cloned(),
            );
        }
        report.failed += result.failed.len();
        memory.retry.extend(result.failed.iter().cloned());
        if notified.len() >= RECORD_EVERY {
            os_updates.store.record_notified(&notified).await?;
            report.notified += notified.len();
            notified.clear();
        }
    }
    if !notified.is_empty() {
        os_updates.store.record_notified(&notified).await?;
        report.notified += notified.len();
    }
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

/// Sends one batch of `(device, token)`; answers it with what the MDM did.
async fn send_one<'a>(
    client: &reqwest::Client,
    target: &EnqueueTarget<'_>,
    batch: &'a [(String, String)],
) -> (&'a [(String, String)], BatchResult) {
    let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
    (batch, send_batch(client, target, &ids, command_plist).await)
}

/// The MDM command that makes a device run a DDM sync.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct MdmCommand {
    command: RequestType,
    #[serde(rename = "CommandUUID")]
    command_uuid: String,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct RequestType {
    request_type: &'static str,
}

/// The `DeclarativeManagement` command as an XML plist, with a fresh command UUID.
pub fn command_plist() -> Vec<u8> {
    let command = MdmCommand {
        command: RequestType {
            request_type: "DeclarativeManagement",
        },
        command_uuid: format!(
            "ringmaster-{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        ),
    };
    let mut xml = Vec::new();
    // Writing two strings into memory cannot fail; an empty body would be refused by the MDM,
    // never sent as a wrong command.
    if let Err(error) = plist::to_writer_xml(&mut xml, &command) {
        tracing::error!(%error, "could not write the DeclarativeManagement command");
        xml.clear();
    }
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_a_declarative_management_plist() {
        let bytes = command_plist();
        assert!(
            bytes.starts_with(b"<?xml"),
            "NanoMDM's enqueue API takes an XML plist"
        );
        let command: plist::Dictionary = plist::from_bytes(&bytes).unwrap();
        assert_eq!(
            command.len(),
            2,
            "Command and CommandUUID only: {command:?}"
        );
        let inner = command.get("Command").unwrap().as_dictionary().unwrap();
        assert_eq!(
            inner.get("RequestType").unwrap().as_string(),
            Some("DeclarativeManagement")
        );
        assert_ne!(
            plist::from_bytes::<plist::Dictionary>(&command_plist())
                .unwrap()
                .get("CommandUUID"),
            command.get("CommandUUID"),
            "every command has its own UUID"
        );
    }
}
