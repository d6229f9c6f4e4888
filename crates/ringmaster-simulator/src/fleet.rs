//! A fleet of simulated devices: generated deterministically from a seed and a mix of device
//! kinds ([`crate::mix`]), synced round after round with bounded concurrency, with
//! latency and throughput measured (`fleet/measure.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use indicatif::ProgressBar;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

mod measure;

pub use measure::{FleetReport, LatencySummary, SyncTally, VersionCount};

use crate::client::{SyncClient, SyncOutcome};
pub use crate::clock::FleetClock;
use crate::device::{DeviceOptions, DeviceProfile, InstallState, SimulatedDevice};
use crate::kinds::EnrollmentChannel;
pub use crate::mix::{DeviceKind, FleetMix};

/// Requests in flight at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

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

/// A user id as Apple writes one (an uppercase UUID), drawn from `rng`.
fn user_id(rng: &mut impl Rng) -> String {
    let bits: u128 = rng.random();
    let hex = format!("{bits:032X}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Devices and the round-by-round sync of them.
#[derive(Debug, Clone)]
pub struct Fleet {
    devices: Vec<SimulatedDevice>,
    /// The kind of each device, by index, when generated.
    kinds: Vec<DeviceKind>,
}

impl Fleet {
    pub fn new(devices: Vec<SimulatedDevice>) -> Self {
        Self {
            devices,
            kinds: Vec::new(),
        }
    }

    /// The devices `config` describes, the same for the same seed: each one's kind drawn by
    /// the mix's shares, then its model among the kind's, whether its user installs early, and
    /// a user channel's user id.
    pub fn generate(config: &FleetConfig) -> Result<Self, FleetConfigError> {
        if !(0.0..=1.0).contains(&config.early_install_share) {
            return Err(FleetConfigError {
                message: format!(
                    "the early-install share {} is not between 0 and 1",
                    config.early_install_share
                ),
            });
        }
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut devices = Vec::with_capacity(config.devices);
        let mut kinds = Vec::with_capacity(config.devices);
        for index in 0..config.devices {
            let kind = config.mix.pick(&mut rng);
            let spec = kind.spec();
            let (model, device_id) = spec.models[rng.random_range(0..spec.models.len())];
            let early = rng.random_bool(config.early_install_share);
            let fraction: f64 = rng.random_range(0.1..0.9);
            let mut options = config.device_options.clone();
            if early {
                options.early_install_fraction = Some(fraction);
            }
            if config.failing_devices.contains(&index) {
                options.fail_install = true;
            }
            let device_channel = config.enrollment_id(index);
            let (enrollment_id, parent_id) = match spec.channel {
                EnrollmentChannel::User => (
                    format!("{device_channel}:{}", user_id(&mut rng)),
                    Some(device_channel),
                ),
                EnrollmentChannel::SharedIpad => (
                    format!("{device_channel}:user{}", rng.random_range(1..=40)),
                    Some(device_channel),
                ),
                _ => (device_channel, None),
            };
            let profile = DeviceProfile::new(
                &enrollment_id,
                spec.platform,
                spec.os_version,
                spec.build,
                model,
                device_id,
            )
            .map_err(|message| FleetConfigError {
                message: format!("device kind {kind}: {message}"),
            })?
            .on_channel(spec.channel, parent_id);
            let mut device = SimulatedDevice::new(profile, options);
            if let Some(build) = spec.supplemental_build {
                device = device.running_supplemental_build(build);
            }
            devices.push(device);
            kinds.push(kind);
        }
        Ok(Self { devices, kinds })
    }

    /// Each generated device's kind, in device order (empty for a fleet made with
    /// [`Fleet::new`]).
    pub fn kinds(&self) -> &[DeviceKind] {
        &self.kinds
    }

    /// How many devices of each kind were generated.
    pub fn kind_counts(&self) -> BTreeMap<DeviceKind, usize> {
        let mut counts = BTreeMap::new();
        for kind in &self.kinds {
            *counts.entry(*kind).or_default() += 1;
        }
        counts
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

/// Generates the fleet of `config` and syncs it `config.rounds` times against `client`.
pub async fn run_fleet(
    client: &SyncClient,
    config: &FleetConfig,
) -> Result<FleetReport, FleetConfigError> {
    let mut fleet = Fleet::generate(config)?;
    let total = config.devices.saturating_mul(config.rounds);
    let progress = if config.show_progress {
        measure::progress_bar(total)
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
        kinds: fleet.kind_counts(),
        fleet,
    })
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

#[cfg(test)]
mod tests;
