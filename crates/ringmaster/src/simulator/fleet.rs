//! A fleet of simulated devices: generated deterministically from a seed, synced round after
//! round with bounded concurrency, with latency and throughput measured.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::catalog::release::Platform;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::simulator::client::{SyncClient, SyncOutcome};
use crate::simulator::device::{DeviceOptions, DeviceProfile, InstallState, SimulatedDevice};

/// Requests in flight at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// One OS a generated device may start on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsChoice {
    pub platform: Platform,
    pub version: AppleOsVersion,
    pub build: String,
    /// Relative weight among the platform's choices.
    pub weight: u32,
}

impl OsChoice {
    pub fn new(
        platform: Platform,
        version: &str,
        build: &str,
        weight: u32,
    ) -> Result<Self, String> {
        Ok(Self {
            platform,
            version: AppleOsVersion::parse(version)?,
            build: build.to_owned(),
            weight,
        })
    }
}

/// One hardware model a generated device may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    pub platform: Platform,
    /// `device.model.identifier`: `Mac14,2`, `iPhone17,1`.
    pub model_identifier: String,
    /// `softwareupdate.device-id`: `J413AP`, `iPhone17,1`.
    pub device_id: String,
}

impl ModelChoice {
    pub fn new(platform: Platform, model_identifier: &str, device_id: &str) -> Self {
        Self {
            platform,
            model_identifier: model_identifier.to_owned(),
            device_id: device_id.to_owned(),
        }
    }
}

/// What a generated fleet is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetMix {
    /// The share of Macs (0 to 1); the rest are iPhones.
    pub mac_share: f64,
    pub os_choices: Vec<OsChoice>,
    pub models: Vec<ModelChoice>,
}

impl Default for FleetMix {
    /// Half Macs. Mostly 26.0.1 (macOS `25A362`, iOS `23A355`), a quarter on the previous
    /// major (macOS 15.7.1 `24G231`, iOS 18.7.1 `22H31`). Apple-silicon Macs with their
    /// software-update ids (`Mac14,2`/`J413AP` …) and recent iPhones.
    fn default() -> Self {
        let os = |platform, version, build, weight| {
            OsChoice::new(platform, version, build, weight).expect("valid defaults")
        };
        Self {
            mac_share: 0.5,
            os_choices: vec![
                os(Platform::MacOs, "26.0.1", "25A362", 3),
                os(Platform::MacOs, "15.7.1", "24G231", 1),
                os(Platform::Ios, "26.0.1", "23A355", 3),
                os(Platform::Ios, "18.7.1", "22H31", 1),
            ],
            models: vec![
                ModelChoice::new(Platform::MacOs, "Mac14,2", "J413AP"),
                ModelChoice::new(Platform::MacOs, "Mac15,12", "J613AP"),
                ModelChoice::new(Platform::MacOs, "Mac16,12", "J713AP"),
                ModelChoice::new(Platform::MacOs, "Mac14,9", "J414sAP"),
                ModelChoice::new(Platform::MacOs, "Mac16,10", "J773gAP"),
                ModelChoice::new(Platform::Ios, "iPhone17,1", "iPhone17,1"),
                ModelChoice::new(Platform::Ios, "iPhone17,2", "iPhone17,2"),
                ModelChoice::new(Platform::Ios, "iPhone17,3", "iPhone17,3"),
                ModelChoice::new(Platform::Ios, "iPhone16,1", "iPhone16,1"),
            ],
        }
    }
}

/// The device clock of each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetClock {
    /// The wall clock when the round starts.
    Real,
    /// `start` for the first round, then `step` later each round (a day per round plays a
    /// rollout in a few seconds).
    Simulated {
        start: Timestamp,
        step: SignedDuration,
    },
}

impl FleetClock {
    /// "Now" for round `round` (0-based).
    pub fn at_round(self, round: usize) -> Timestamp {
        match self {
            FleetClock::Real => crate::patch_source::service::now(),
            FleetClock::Simulated { start, step } => {
                let rounds = i32::try_from(round).unwrap_or(i32::MAX);
                step.checked_mul(rounds)
                    .and_then(|offset| start.checked_add(offset).ok())
                    .unwrap_or(Timestamp::MAX)
            }
        }
    }
}

/// Everything a fleet run needs besides the server.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfig {
    pub devices: usize,
    pub rounds: usize,
    /// Syncs in flight at once (at least 1).
    pub concurrency: usize,
    /// Same seed, same fleet.
    pub seed: u64,
    /// Enrollment ids are this prefix and the device's index, zero-padded (`sim-00042`).
    pub id_prefix: String,
    pub mix: FleetMix,
    /// Options every device starts with.
    pub device_options: DeviceOptions,
    /// The share of devices (0 to 1) whose user installs early, each at a random fraction of
    /// the way to the deadline (10 % to 90 %).
    pub early_install_share: f64,
    /// Indexes of devices whose installs fail.
    pub failing_devices: BTreeSet<usize>,
    pub clock: FleetClock,
    /// Draw a progress bar on standard error.
    pub show_progress: bool,
}

impl FleetConfig {
    /// `devices` devices, one round, [`DEFAULT_CONCURRENCY`], seed 1, ids `sim-…`, the default
    /// mix and options, nobody installing early or failing, the wall clock, no progress bar.
    pub fn new(devices: usize) -> Self {
        Self {
            devices,
            rounds: 1,
            concurrency: DEFAULT_CONCURRENCY,
            seed: 1,
            id_prefix: "sim-".to_owned(),
            mix: FleetMix::default(),
            device_options: DeviceOptions::default(),
            early_install_share: 0.0,
            failing_devices: BTreeSet::new(),
            clock: FleetClock::Real,
            show_progress: false,
        }
    }

    /// The enrollment id of device `index`.
    pub fn enrollment_id(&self, index: usize) -> String {
        let width = self.devices.saturating_sub(1).to_string().len().max(5);
        format!("{}{index:0width$}", self.id_prefix)
    }
}

/// A fleet configuration that cannot produce devices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FleetConfigError {
    pub message: String,
}

/// Devices and the round-by-round sync of them.
#[derive(Debug, Clone)]
pub struct Fleet {
    devices: Vec<SimulatedDevice>,
}

impl Fleet {
    pub fn new(devices: Vec<SimulatedDevice>) -> Self {
        Self { devices }
    }

    /// The devices `config` describes, the same for the same seed.
    pub fn generate(config: &FleetConfig) -> Result<Self, FleetConfigError> {
        let mix = &config.mix;
        let error = |message: String| FleetConfigError { message };
        if !(0.0..=1.0).contains(&mix.mac_share) {
            return Err(error(format!(
                "the Mac share {} is not between 0 and 1",
                mix.mac_share
            )));
        }
        if !(0.0..=1.0).contains(&config.early_install_share) {
            return Err(error(format!(
                "the early-install share {} is not between 0 and 1",
                config.early_install_share
            )));
        }
        let mut choices = BTreeMap::new();
        for platform in [Platform::MacOs, Platform::Ios] {
            let share = if platform == Platform::MacOs {
                mix.mac_share
            } else {
                1.0 - mix.mac_share
            };
            let systems: Vec<&OsChoice> = mix
                .os_choices
                .iter()
                .filter(|choice| choice.platform == platform && choice.weight > 0)
                .collect();
            let models: Vec<&ModelChoice> = mix
                .models
                .iter()
                .filter(|choice| choice.platform == platform)
                .collect();
            if share > 0.0 && (systems.is_empty() || models.is_empty()) {
                return Err(error(format!(
                    "the mix has {platform} devices but no {platform} OS versions (with a weight) or models to give them"
                )));
            }
            choices.insert(platform, (systems, models));
        }
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut devices = Vec::with_capacity(config.devices);
        for index in 0..config.devices {
            let platform = if rng.random_bool(mix.mac_share) {
                Platform::MacOs
            } else {
                Platform::Ios
            };
            let (systems, models) = &choices[&platform];
            let total: u32 = systems.iter().map(|choice| choice.weight).sum();
            let mut pick = rng.random_range(0..total);
            let system = systems
                .iter()
                .find(|choice| {
                    if pick < choice.weight {
                        true
                    } else {
                        pick -= choice.weight;
                        false
                    }
                })
                .expect("the pick is below the total weight");
            let model = models[rng.random_range(0..models.len())];
            let early = rng.random_bool(config.early_install_share);
            let fraction: f64 = rng.random_range(0.1..0.9);
            let mut options = config.device_options.clone();
            if early {
                options.early_install_fraction = Some(fraction);
            }
            if config.failing_devices.contains(&index) {
                options.fail_install = true;
            }
            let profile = DeviceProfile {
                enrollment_id: config.enrollment_id(index),
                platform,
                os_version: system.version.clone(),
                build_version: system.build.clone(),
                model_identifier: model.model_identifier.clone(),
                device_id: model.device_id.clone(),
                channel: crate::simulator::kinds::EnrollmentChannel::Device,
                parent_id: None,
            };
            devices.push(SimulatedDevice::new(profile, options));
        }
        Ok(Self { devices })
    }

    pub fn devices(&self) -> &[SimulatedDevice] {
        &self.devices
    }

    pub fn devices_mut(&mut self) -> &mut [SimulatedDevice] {
        &mut self.devices
    }

    pub fn into_devices(self) -> Vec<SimulatedDevice> {
        self.devices
    }

    /// Syncs every device once at `now`, at most `concurrency` at a time, each on its own tokio
    /// task; ticks `progress` per device. Outcomes come back in device order.
    pub async fn sync_round(
        &mut self,
        client: &SyncClient,
        now: Timestamp,
        concurrency: usize,
        progress: &ProgressBar,
    ) -> Vec<SyncOutcome> {
        let count = self.devices.len();
        let semaphore = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut slots: Vec<Option<(SimulatedDevice, SyncOutcome)>> =
            (0..count).map(|_| None).collect();
        for (index, mut device) in std::mem::take(&mut self.devices).into_iter().enumerate() {
            let permit = Arc::clone(&semaphore)
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let client = client.clone();
            let progress = progress.clone();
            tasks.spawn(async move {
                let outcome = client.sync(&mut device, now).await;
                drop(permit);
                progress.inc(1);
                (index, device, outcome)
            });
            while let Some(joined) = tasks.try_join_next() {
                store(&mut slots, joined);
            }
        }
        while let Some(joined) = tasks.join_next().await {
            store(&mut slots, joined);
        }
        let (devices, outcomes) = slots
            .into_iter()
            .map(|slot| slot.expect("every task returned its device"))
            .unzip();
        self.devices = devices;
        outcomes
    }

    /// How many devices run each OS version, by platform then version.
    pub fn version_counts(&self) -> Vec<VersionCount> {
        let mut counts: BTreeMap<(Platform, AppleOsVersion), usize> = BTreeMap::new();
        for device in &self.devices {
            *counts
                .entry((device.platform(), device.os_version().clone()))
                .or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((platform, version), devices)| VersionCount {
                platform,
                version: version.as_str().to_owned(),
                devices,
            })
            .collect()
    }

    /// How many devices are in each install state.
    pub fn install_state_counts(&self) -> BTreeMap<InstallState, usize> {
        let mut counts = BTreeMap::new();
        for device in &self.devices {
            *counts.entry(device.install_state()).or_default() += 1;
        }
        counts
    }
}

fn store(
    slots: &mut [Option<(SimulatedDevice, SyncOutcome)>],
    joined: Result<(usize, SimulatedDevice, SyncOutcome), tokio::task::JoinError>,
) {
    match joined {
        Ok((index, device, outcome)) => slots[index] = Some((device, outcome)),
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

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
    /// Failed syncs by [`crate::simulator::client::SyncError::class`] (`HTTP 401`, `transport`…).
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

/// The result of [`run_fleet`].
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
            "installStates": self.install_states.iter()
                .map(|(state, devices)| (state.as_str().to_owned(), json!(devices)))
                .collect::<serde_json::Map<String, Value>>(),
        })
    }
}

/// Generates the fleet of `config` and syncs it `config.rounds` times against `client`.
pub async fn run_fleet(
    client: &SyncClient,
    config: &FleetConfig,
) -> Result<FleetReport, FleetConfigError> {
    let mut fleet = Fleet::generate(config)?;
    let total = config.devices.saturating_mul(config.rounds);
    let progress = if config.show_progress {
        progress_bar(total)
    } else {
        ProgressBar::hidden()
    };
    let mut tally = SyncTally::default();
    let mut latencies = Vec::with_capacity(total);
    let started = Instant::now();
    for round in 0..config.rounds {
        progress.set_message(format!("round {}/{}", round + 1, config.rounds));
        let now = config.clock.at_round(round);
        let outcomes = fleet
            .sync_round(client, now, config.concurrency, &progress)
            .await;
        for outcome in &outcomes {
            tally.record(outcome);
            latencies.push(outcome.duration);
        }
    }
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    let seconds = elapsed.as_secs_f64();
    Ok(FleetReport {
        devices: config.devices,
        rounds: config.rounds,
        syncs_per_second: if seconds > 0.0 {
            tally.syncs as f64 / seconds
        } else {
            0.0
        },
        tally,
        elapsed,
        latency: LatencySummary::from_durations(latencies),
        versions: fleet.version_counts(),
        install_states: fleet.install_state_counts(),
        fleet,
    })
}

fn progress_bar(length: usize) -> ProgressBar {
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

/// Reads a round step such as `1d`, `12h`, `90m` or `PT6H`; a day is 24 hours. Negative steps
/// are refused.
pub fn parse_round_step(text: &str) -> Result<SignedDuration, String> {
    let span: jiff::Span = text
        .parse()
        .map_err(|error| format!("{text:?} is not a duration such as 1d, 12h or 30m: {error}"))?;
    let step = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|error| format!("{text:?} cannot be a fixed duration: {error}"))?;
    if step.is_negative() {
        return Err(format!(
            "{text:?} is negative; the clock only moves forward"
        ));
    }
    Ok(step)
}
