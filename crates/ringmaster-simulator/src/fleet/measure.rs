//! What a fleet run measured: per-sync latency percentiles, counts over the sync outcomes
//! (requests, reports, declarations, errors and protocol issues) and the report
//! [`super::run_fleet`] answers, with its JSON form (`simulate --json`).

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ringmaster_domain::platform::Platform;
use serde_json::{Value, json};

use crate::client::SyncOutcome;
use crate::device::InstallState;
use crate::fleet::Fleet;
use crate::mix::DeviceKind;

/// Devices on one OS version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCount {
    pub platform: Platform,
    pub version: String,
    pub devices: usize,
}

/// Per-sync wall times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    pub samples: usize,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl LatencySummary {
    /// Nearest-rank percentiles of `durations`; all zero when empty.
    pub fn from_durations(mut durations: Vec<Duration>) -> Self {
        if durations.is_empty() {
            return Self::default();
        }
        durations.sort_unstable();
        let samples = durations.len();
        let rank = |percent: usize| durations[(samples * percent).div_ceil(100).max(1) - 1];
        let total: Duration = durations.iter().sum();
        Self {
            samples,
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: durations[samples - 1],
            mean: total / u32::try_from(samples).unwrap_or(u32::MAX),
        }
    }
}

/// Counts over many sync outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncTally {
    pub syncs: usize,
    pub failed_syncs: usize,
    pub requests: usize,
    pub reports_sent: usize,
    pub full_reports_sent: usize,
    pub declarations_fetched: usize,
    pub declarations_dropped: usize,
    pub invalid_declarations: usize,
    /// Failed syncs by [`crate::client::SyncError::class`] (`HTTP 401`, `transport`…).
    pub errors: BTreeMap<String, usize>,
    /// The first few distinct error messages.
    pub sample_errors: Vec<String>,
    pub issues: usize,
    /// The first few distinct protocol issues.
    pub sample_issues: Vec<String>,
}

impl SyncTally {
    const SAMPLES: usize = 5;

    pub fn record(&mut self, outcome: &SyncOutcome) {
        self.syncs += 1;
        self.requests += outcome.requests.len();
        self.declarations_fetched += outcome.fetched.len();
        self.declarations_dropped += outcome.dropped.len();
        self.invalid_declarations += outcome.invalid.len();
        if let Some(report) = outcome.sent_report() {
            self.reports_sent += 1;
            if report.full {
                self.full_reports_sent += 1;
            }
        }
        if let Some(error) = &outcome.error {
            self.failed_syncs += 1;
            *self.errors.entry(error.class()).or_default() += 1;
            push_sample(&mut self.sample_errors, error.to_string());
        }
        self.issues += outcome.issues.len();
        for issue in &outcome.issues {
            push_sample(&mut self.sample_issues, issue.clone());
        }
    }
}

fn push_sample(samples: &mut Vec<String>, text: String) {
    if samples.len() < SyncTally::SAMPLES && !samples.contains(&text) {
        samples.push(text);
    }
}

/// The result of [`run_fleet`](super::run_fleet).
#[derive(Debug, Clone)]
pub struct FleetReport {
    pub devices: usize,
    pub rounds: usize,
    pub tally: SyncTally,
    /// Wall time of all rounds.
    pub elapsed: Duration,
    pub syncs_per_second: f64,
    pub latency: LatencySummary,
    /// OS versions at the end.
    pub versions: Vec<VersionCount>,
    /// Install states at the end.
    pub install_states: BTreeMap<InstallState, usize>,
    /// Devices of each kind.
    pub kinds: BTreeMap<DeviceKind, usize>,
    /// The devices as they ended, for inspection.
    pub fleet: Fleet,
}

impl FleetReport {
    /// The summary as JSON (durations in milliseconds).
    pub fn to_json(&self) -> Value {
        let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
        let tally = &self.tally;
        json!({
            "devices": self.devices,
            "rounds": self.rounds,
            "syncs": tally.syncs,
            "failedSyncs": tally.failed_syncs,
            "requests": tally.requests,
            "reportsSent": tally.reports_sent,
            "fullReportsSent": tally.full_reports_sent,
            "declarationsFetched": tally.declarations_fetched,
            "declarationsDropped": tally.declarations_dropped,
            "invalidDeclarations": tally.invalid_declarations,
            "errors": tally.errors,
            "sampleErrors": tally.sample_errors,
            "issues": tally.issues,
            "sampleIssues": tally.sample_issues,
            "elapsedMs": millis(self.elapsed),
            "syncsPerSecond": self.syncs_per_second,
            "latencyMs": {
                "p50": millis(self.latency.p50),
                "p90": millis(self.latency.p90),
                "p99": millis(self.latency.p99),
                "max": millis(self.latency.max),
                "mean": millis(self.latency.mean),
            },
            "versions": self.versions.iter().map(|count| json!({
                "platform": count.platform.as_str(),
                "version": count.version,
                "devices": count.devices,
            })).collect::<Vec<_>>(),
            "kinds": self.kinds.iter()
                .map(|(kind, devices)| (kind.name().to_owned(), json!(devices)))
                .collect::<serde_json::Map<String, Value>>(),
            "installStates": self.install_states.iter()
                .map(|(state, devices)| (state.as_str().to_owned(), json!(devices)))
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

pub(super) fn progress_bar(length: usize) -> ProgressBar {
    let bar = ProgressBar::new(u64::try_from(length).unwrap_or(u64::MAX));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {pos}/{len} syncs, {per_sec}, eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}
