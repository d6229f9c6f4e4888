//! Fleet-scale benchmarks of the DDM declarations (see BENCHMARKS.md, "DDM path").
//!
//! ```sh
//! cargo run --release --example bench_fleet -- compute [--devices 100000] [--repeat 7] [--catalog full|sample]
//! cargo run --release --example bench_fleet -- seed --database URL [--devices 100000] [--ids FILE] [--catalog full|sample]
//! cargo run --release --example bench_fleet -- request --database URL [--token SECRET] [--requests 20000]
//! ```
//!
//! `compute` and `seed` build the same deterministic fleet: 80% Macs and 20% iPhones and iPads, each on a version
//! of the catalog released by 2025-11-10 (mostly the newest major: 60% on it, 25% on the one
//! before, 10% and 5% on older ones; uniform within a major), with a build and a model from that
//! release's device list, and device `i` in ring `i % 4`. The catalog is the sample feeds in
//! `fixtures/catalog` (`--catalog sample`), merged with the real gdmf and SOFA v2 feeds of
//! `../shared/reference/os-feeds` when they are there (`--catalog full`, the default then).
//!
//! `compute` times, on the calling thread only, for several instants: (a) `plan_device` alone,
//! (b) `FleetDeclarations::device` (equal enforcement declarations shared), (b+) the same plus
//! each set's `DeclarationsToken`, (c) `device_declarations` without sharing, (d) building
//! `Assignments` (four device groups bound to the four rings) and resolving every device, and
//! (e) what a fleet-wide recomputation does: (d) then (b) for the winning policy. It prints a
//! Markdown table to standard output: the wall-clock minimum and median of the repetitions, and
//! the median of the thread's CPU time, which other work on the machine hardly changes.
//! `--at INSTANT --only CASE` runs one case at one instant, for a profiler.
//!
//! `seed` fills an EMPTY database through `Store` for `bench/declarations.sh`: the catalog, the
//! default rings, the devices, four device groups (a quarter each) bound to the four rings, and
//! an admin token named `bench`, whose secret it prints (alone) to standard output. `--ids FILE`
//! writes the device ids, one a line.
//!
//! `request` times, over a seeded database, what `GET /api/v1/devices/{id}/declarations` does for
//! random devices, one request at a time and without HTTP: the token lookup, the device-row read,
//! the computation on the snapshot (`OsUpdates::declarations_for`) and the JSON answer.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use ringmaster::os_updates::served_views::DeclarationsView;
use ringmaster::os_updates::service::OsUpdates;
use ringmaster_domain::assignment::{Assignments, BindingFacts, GroupFacts, PolicyFacts, Subject};
use ringmaster_domain::capabilities::DeviceCapabilities;
use ringmaster_domain::catalog::hardware::DeviceHardware;
use ringmaster_domain::catalog::merge::{ReleaseKey, merge_into_catalog};
use ringmaster_domain::catalog::parse_feed;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::fleet::{FleetDeclarations, PreparedPolicy, device_declarations};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::schedule::{DeviceFacts, plan_device};
use ringmaster_store::os_updates::devices::{GroupWrite, NewDevice};
use ringmaster_store::os_updates::policies::{BindingTargets, BindingsWrite};
use ringmaster_store::store::{Store, StoreOptions};

const USAGE: &str = "\
usage: bench_fleet compute [--devices N] [--repeat R] [--catalog full|sample] [--at INSTANT]
                          [--only a|b|b+|c|d|e]
       bench_fleet seed --database URL [--devices N] [--ids FILE] [--catalog full|sample]
       bench_fleet request --database URL [--token SECRET] [--requests N] [--at INSTANT]

compute  times the declarations of N devices (default 100000) over the four default rings on
         one thread, R repetitions (default 7) per case and instant; prints a Markdown table
seed     fills an EMPTY database (sqlite://PATH or postgres://...) with the catalog, the default
         rings, N devices in four device groups bound to the rings, and an admin token `bench`;
         prints the token's secret; --ids FILE writes the device ids, one a line
request  times the phases of N (default 20000) declarations requests for random devices of a
         seeded database, in process and one at a time: the token lookup (a miss without
         --token), the device-row read, the computation on the snapshot, the JSON answer

--catalog sample: fixtures/catalog only; full (the default when ../shared/reference/os-feeds
exists): also the real gdmf and SOFA v2 feeds
--at: one RFC 3339 instant instead of the four built in; --only: one case, for profiling";

/// The fleet is as of this day: devices run versions released by then.
const FLEET_DAY: Date = date(2025, 11, 10);
/// The share of devices on the newest major, the one before, and so on (the rest: older).
const MAJOR_WEIGHTS: [f64; 4] = [0.60, 0.25, 0.10, 0.05];
const SEED: u64 = 20251110;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|arg| arg == "--help" || arg == "-h") {
        writeln!(std::io::stdout(), "{USAGE}")?;
        return Ok(());
    }
    let options = Options::parse(&args[1..])?;
    match args[0].as_str() {
        "compute" => compute(&options),
        "seed" | "request" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            if args[0] == "seed" {
                runtime.block_on(seed(&options))
            } else {
                runtime.block_on(request(&options))
            }
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

#[derive(Debug)]
struct Options {
    devices: usize,
    repeat: usize,
    full_catalog: bool,
    database: Option<String>,
    ids: Option<PathBuf>,
    at: Option<Timestamp>,
    only: Option<String>,
    token: Option<String>,
    requests: usize,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Options> {
        let mut options = Options {
            devices: 100_000,
            repeat: 7,
            full_catalog: reference_feeds().is_dir(),
            database: None,
            ids: None,
            at: None,
            only: None,
            token: None,
            requests: 20_000,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))
            };
            match flag.as_str() {
                "--devices" => options.devices = value()?.parse().context("--devices")?,
                "--repeat" => options.repeat = value()?.parse().context("--repeat")?,
                "--database" => options.database = Some(value()?.clone()),
                "--ids" => options.ids = Some(PathBuf::from(value()?)),
                "--at" => options.at = Some(value()?.parse().context("--at")?),
                "--only" => options.only = Some(value()?.clone()),
                "--token" => options.token = Some(value()?.clone()),
                "--requests" => options.requests = value()?.parse().context("--requests")?,
                "--catalog" => {
                    options.full_catalog = match value()?.as_str() {
                        "full" => true,
                        "sample" => false,
                        other => bail!("--catalog is full or sample, not {other:?}"),
                    }
                }
                other => bail!("unknown option {other:?}\n\n{USAGE}"),
            }
        }
        if options.devices < 4 || options.repeat == 0 || options.requests == 0 {
            bail!("--devices must be at least 4, --repeat and --requests at least 1");
        }
        Ok(options)
    }
}

// ----- catalog and fleet ---------------------------------------------------------------------

fn workspace() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest)
}

fn reference_feeds() -> PathBuf {
    let beside = workspace().parent().unwrap_or(workspace());
    beside.join("shared/reference/os-feeds")
}

/// The feed files of the catalog, sample first.
fn feed_files(full: bool) -> Vec<PathBuf> {
    let mut files = vec![
        workspace().join("fixtures/catalog/macos-26-autumn-2025.json"),
        workspace().join("fixtures/catalog/ios-26-autumn-2025.json"),
    ];
    if full {
        for name in [
            "gdmf-pmv.json",
            "sofa-v2-macos_data_feed.json",
            "sofa-v2-ios_data_feed.json",
        ] {
            files.push(reference_feeds().join(name));
        }
    }
    files
}

/// Each feed parsed, with SOFA's releases stamped as first seen now (as the import service does).
fn parsed_feeds(full: bool, now: Timestamp) -> anyhow::Result<Vec<(PathBuf, Vec<Release>)>> {
    feed_files(full)
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {file:?}"))?;
            let mut releases = parse_feed(&bytes, now)
                .with_context(|| format!("parsing {file:?}"))?
                .releases;
            for release in &mut releases {
                release.seen_at.get_or_insert(now);
            }
            Ok((file, releases))
        })
        .collect()
}

/// The feeds merged as the store merges them, ordered as the snapshot holds them (platform,
/// newest first, then build).
fn merged_catalog(feeds: Vec<(PathBuf, Vec<Release>)>) -> Vec<Release> {
    let mut catalog: BTreeMap<ReleaseKey, Release> = BTreeMap::new();
    for (_, releases) in feeds {
        let stored: Vec<Release> = catalog.values().cloned().collect();
        let merge = merge_into_catalog(&stored, releases);
        for key in &merge.removed {
            catalog.remove(key);
        }
        for release in merge.added.into_iter().chain(merge.updated) {
            catalog.insert(ReleaseKey::of(&release), release);
        }
    }
    let mut releases: Vec<Release> = catalog.into_values().collect();
    releases.sort_by(|a, b| {
        (a.platform, &b.version, &a.build).cmp(&(b.platform, &a.version, &b.build))
    });
    releases
}

#[derive(Debug)]
struct Device {
    id: String,
    ring: usize,
    facts: DeviceFacts,
}

/// The deterministic fleet described in the module documentation.
fn fleet(catalog: &[Release], count: usize) -> anyhow::Result<Vec<Device>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let pools =
        [Platform::MacOs, Platform::Ios].map(|platform| installed_by_major(catalog, platform));
    if pools.iter().any(Vec::is_empty) {
        bail!("the catalog has no macOS or no iOS release before {FLEET_DAY}");
    }
    let mut devices = Vec::with_capacity(count);
    for index in 0..count {
        let (platform, majors) = if rng.random_bool(0.8) {
            (Platform::MacOs, &pools[0])
        } else {
            (Platform::Ios, &pools[1])
        };
        let draw: f64 = rng.random();
        let mut major = majors.len() - 1;
        let mut cumulative = 0.0;
        for (position, weight) in MAJOR_WEIGHTS.iter().enumerate().take(majors.len()) {
            cumulative += weight;
            if draw < cumulative {
                major = position;
                break;
            }
        }
        let release = majors[major].choose(&mut rng).expect("no empty major");
        let models: Vec<&String> = release.supported_devices.iter().collect();
        devices.push(Device {
            id: device_id(&mut rng),
            ring: index % 4,
            facts: DeviceFacts {
                platform,
                os_version: release.version.clone(),
                os_build: release.build.clone(),
                hardware: match models.choose(&mut rng) {
                    Some(model) => DeviceHardware::with_device_id(platform, model),
                    None => DeviceHardware::unknown(platform),
                },
            },
        });
    }
    Ok(devices)
}

/// Releases of `platform` a device could be on by [`FLEET_DAY`] (no supplemental ones), grouped
/// by major, newest major first.
fn installed_by_major(catalog: &[Release], platform: Platform) -> Vec<Vec<&Release>> {
    let mut majors: BTreeMap<u32, Vec<&Release>> = BTreeMap::new();
    for release in catalog {
        if release.platform == platform
            && !release.is_supplemental()
            && release.released_on <= FLEET_DAY
        {
            majors
                .entry(release.version.major())
                .or_default()
                .push(release);
        }
    }
    majors.into_values().rev().collect()
}

/// A UUID-shaped enrollment id.
fn device_id(rng: &mut StdRng) -> String {
    let bits: u128 = rng.random();
    let hex = format!("{bits:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

// ----- compute -------------------------------------------------------------------------------

/// The instants measured, with what they show.
const INSTANTS: [(&str, &str); 4] = [
    (
        "2025-11-10T09:00:00Z",
        "26.1 just out: deferred in most rings",
    ),
    ("2025-12-20T09:00:00Z", "26.2 out 8 days"),
    ("2026-03-01T09:00:00Z", "months later: targets overdue"),
    ("2026-09-01T09:00:00Z", "end of the real feeds"),
];

fn compute(options: &Options) -> anyhow::Result<()> {
    let feeds_read: Timestamp = "2025-11-10T09:00:00Z".parse()?;
    let feeds = parsed_feeds(options.full_catalog, feeds_read)?;
    let files: Vec<String> = feeds
        .iter()
        .map(|(file, _)| {
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let catalog = merged_catalog(feeds);
    let devices = fleet(&catalog, options.devices)?;
    let rings: Vec<[PreparedPolicy; 2]> = default_rings()
        .into_iter()
        .map(|ring| {
            [
                PreparedPolicy::new(ring.macos),
                PreparedPolicy::new(ring.ios),
            ]
        })
        .collect();
    let policy_of = |device: &Device| -> &PreparedPolicy {
        &rings[device.ring][usize::from(device.facts.platform == Platform::Ios)]
    };

    // The assignments as the snapshot builds them: ring r is policy group r + 1 holding policies
    // 2r + 1 (macOS) and 2r + 2 (iOS), bound to device group 101 + r, which holds ring r's devices.
    let policy_facts: Vec<PolicyFacts> = (0..4i64)
        .flat_map(|ring| {
            [(1, Platform::MacOs), (2, Platform::Ios)].map(|(offset, platform)| PolicyFacts {
                id: 2 * ring + offset,
                platform,
                group: Some(ring + 1),
            })
        })
        .collect();
    let group_facts: Vec<GroupFacts> = (0..4)
        .map(|ring| GroupFacts {
            id: i64::from(ring) + 1,
            ring_order: Some(ring),
        })
        .collect();
    let members: Vec<(i64, Vec<String>)> = (0..4)
        .map(|ring| {
            let ids = devices
                .iter()
                .filter(|device| device.ring == ring)
                .map(|device| device.id.clone())
                .collect();
            (101 + ring as i64, ids)
        })
        .collect();
    let bindings: Vec<BindingFacts> = (0..4)
        .map(|ring| BindingFacts {
            subject: Subject::PolicyGroup(ring + 1),
            devices: Vec::new(),
            device_groups: vec![101 + ring],
        })
        .collect();
    let prepared: HashMap<i64, PreparedPolicy> = policy_facts
        .iter()
        .map(|facts| {
            let ring = usize::try_from((facts.id - 1) / 2).expect("small ids");
            let platform = usize::from(facts.platform == Platform::Ios);
            (facts.id, rings[ring][platform].clone())
        })
        .collect();

    let mut out = std::io::stdout().lock();
    let macs = devices
        .iter()
        .filter(|device| device.facts.platform == Platform::MacOs)
        .count();
    let releases_of = |platform| catalog.iter().filter(|r| r.platform == platform).count();
    let models_listed: usize = catalog.iter().map(|r| r.supported_devices.len()).sum();
    // Devices that get the same plan at every instant: same ring and same facts.
    let distinct: std::collections::HashSet<_> = devices
        .iter()
        .map(|device| {
            let facts = &device.facts;
            (
                device.ring,
                facts.platform,
                facts.os_version.as_str(),
                &facts.os_build,
                &facts.hardware.software_update_device_id,
            )
        })
        .collect();
    writeln!(
        out,
        "## Declarations for {} devices, one thread\n\n- catalog: {} releases ({} macOS, {} iOS), \
         {:.1} models listed per release, from {}\n- fleet: {} Macs, {} iPhones and iPads, a quarter in each default ring; \
         {} distinct (ring, platform, version, build, model); {} repetitions per case (after one untimed run); CPU: the thread's time on a core\n",
        devices.len(),
        catalog.len(),
        releases_of(Platform::MacOs),
        releases_of(Platform::Ios),
        models_listed as f64 / catalog.len() as f64,
        files.join(", "),
        macs,
        devices.len() - macs,
        distinct.len(),
        options.repeat,
    )?;

    let mut facts_rows = Vec::new();
    let mut rows = Vec::new();
    let at = options.at.map(|at| (at.to_string(), "--at"));
    let instants: Vec<(String, &str)> = match at {
        Some(at) => vec![at],
        None => INSTANTS
            .iter()
            .map(|(instant, what)| ((*instant).to_owned(), *what))
            .collect(),
    };
    for (instant, what) in instants {
        let now: Timestamp = instant.parse()?;
        // What the schedule decides at this instant, for the notes under the table.
        let mut summary = FleetSummary::default();
        let mut fleet = FleetDeclarations::new();
        for device in &devices {
            let served = fleet.device(
                Some(policy_of(device)),
                &device.facts,
                &DeviceCapabilities::default(),
                &catalog,
                now,
            );
            let plan = served.plan.as_ref().expect("every device has a policy");
            summary.newer += plan.releases.len();
            summary.declarations += served.declarations.len();
            if let Some(enforced) = served.enforcement() {
                summary.enforced += 1;
                summary.overdue += usize::from(enforced.overdue);
            }
        }
        summary.distinct = fleet.distinct_enforcements();
        facts_rows.push(format!(
            "| {instant} | {what} | {:.0}% | {:.0}% | {} | {:.1} | {:.2} |",
            percent(summary.enforced, devices.len()),
            percent(summary.overdue, devices.len()),
            summary.distinct,
            summary.newer as f64 / devices.len() as f64,
            summary.declarations as f64 / devices.len() as f64,
        ));

        let plan_only = || {
            let mut sink = 0usize;
            for device in &devices {
                let plan = plan_device(&policy_of(device).timing, &device.facts, &catalog, now);
                sink += plan.releases.len() + usize::from(plan.enforcement().is_some());
            }
            sink
        };
        let shared = || {
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let served = fleet.device(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let shared_tokens = || {
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let served = fleet.device(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.declarations_token().len();
            }
            sink
        };
        let alone = || {
            let mut sink = 0usize;
            for device in &devices {
                let served = device_declarations(
                    Some(policy_of(device)),
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let resolve = || {
            let assignments = Assignments::new(&policy_facts, &group_facts, &members, &bindings);
            let mut sink = 0usize;
            for device in &devices {
                let resolution = assignments.resolve(&device.id, device.facts.platform);
                sink += resolution.winner.map_or(0, |winner| winner.policy as usize);
            }
            sink
        };
        let pipeline = || {
            let assignments = Assignments::new(&policy_facts, &group_facts, &members, &bindings);
            let mut fleet = FleetDeclarations::new();
            let mut sink = 0usize;
            for device in &devices {
                let resolution = assignments.resolve(&device.id, device.facts.platform);
                let policy = resolution
                    .winner
                    .as_ref()
                    .and_then(|winner| prepared.get(&winner.policy));
                let served = fleet.device(
                    policy,
                    &device.facts,
                    &DeviceCapabilities::default(),
                    &catalog,
                    now,
                );
                sink += served.declarations.len();
            }
            sink
        };
        let cases: [(&str, &str, &dyn Fn() -> usize); 6] = [
            ("a", "(a) `plan_device`", &plan_only),
            ("b", "(b) `FleetDeclarations::device`", &shared),
            ("b+", "(b+) (b) and `declarations_token()`", &shared_tokens),
            ("c", "(c) `device_declarations`", &alone),
            ("d", "(d) `Assignments::new` + `resolve`", &resolve),
            ("e", "(e) (d) then (b)", &pipeline),
        ];
        let mut baseline = None;
        for (key, label, work) in cases {
            if options.only.as_deref().is_some_and(|only| only != key) {
                continue;
            }
            let timing = time(options.repeat, work);
            if key == "a" {
                baseline = Some(timing.cpu_median);
            }
            let ratio = baseline.map_or("–".to_owned(), |baseline| {
                format!(
                    "{:.2}",
                    timing.cpu_median.as_secs_f64() / baseline.as_secs_f64()
                )
            });
            rows.push(format!(
                "| {} | {label} | {:.0} ms | {:.0} ms | {:.0} ms | {:.2} µs | {ratio} |",
                &instant[..10],
                millis(timing.min),
                millis(timing.median),
                millis(timing.cpu_median),
                timing.cpu_median.as_secs_f64() * 1e6 / devices.len() as f64,
            ));
        }
    }
    writeln!(
        out,
        "| instant | | enforced | overdue | distinct enforcements | newer releases per device \
         | declarations per device |\n|---|---|---:|---:|---:|---:|---:|"
    )?;
    for row in facts_rows {
        writeln!(out, "{row}")?;
    }
    writeln!(
        out,
        "\n| instant | case | wall min | wall median | CPU median | per device (CPU) | vs (a) (CPU) |\n\
         |---|---|---:|---:|---:|---:|---:|"
    )?;
    for row in rows {
        writeln!(out, "{row}")?;
    }
    Ok(())
}

#[derive(Debug, Default)]
struct FleetSummary {
    enforced: usize,
    overdue: usize,
    distinct: usize,
    newer: usize,
    declarations: usize,
}

#[derive(Debug)]
struct Timing {
    /// Wall-clock time.
    min: Duration,
    median: Duration,
    /// Time this thread spent on a CPU (Linux's schedstat; the wall-clock time elsewhere): what
    /// the work costs one core, whatever else runs on the machine.
    cpu_median: Duration,
}

/// Runs `work` once untimed, then `repeat` times timed.
fn time(repeat: usize, work: &dyn Fn() -> usize) -> Timing {
    black_box(work());
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..repeat)
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), thread_cpu_time());
            black_box(work());
            let wall = start.elapsed();
            let cpu = match (cpu_start, thread_cpu_time()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => wall,
            };
            (wall, cpu)
        })
        .unzip();
    wall.sort_unstable();
    cpu.sort_unstable();
    Timing {
        min: wall[0],
        median: wall[wall.len() / 2],
        cpu_median: cpu[cpu.len() / 2],
    }
}

/// The calling thread's time on a CPU so far (the first field of `/proc/thread-self/schedstat`,
/// in nanoseconds); `None` where there is no such file.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        text.split_whitespace().next()?.parse().ok()?,
    ))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole as f64
}

// ----- seed ----------------------------------------------------------------------------------

async fn seed(options: &Options) -> anyhow::Result<()> {
    let url = options
        .database
        .as_deref()
        .with_context(|| format!("seed needs --database URL\n\n{USAGE}"))?;
    let now = Timestamp::now();
    let store = Store::connect(url, &StoreOptions::default()).await?;
    if store.count_devices().await? != 0 {
        bail!("{url} already holds devices: seed wants an empty database");
    }
    let feeds = parsed_feeds(options.full_catalog, now)?;
    let mut log = std::io::stderr().lock();
    for (file, releases) in feeds.clone() {
        let import = store.import_releases(releases).await?;
        writeln!(
            log,
            "imported {}: {} added, {} updated",
            file.display(),
            import.added,
            import.updated
        )?;
    }
    let catalog = merged_catalog(feeds);
    let rings = store.ensure_default_rings(&default_rings(), now).await?;

    let devices = fleet(&catalog, options.devices)?;
    let started = Instant::now();
    let rows: Vec<NewDevice> = devices
        .iter()
        .map(|device| NewDevice {
            id: device.id.clone(),
            platform: device.facts.platform,
            os_version: device.facts.os_version.clone(),
            os_build: device.facts.os_build.clone(),
            model: device.facts.hardware.model.clone(),
            software_update_device_id: device.facts.hardware.software_update_device_id.clone(),
        })
        .collect();
    store.upsert_devices(&rows, now).await?;
    writeln!(
        log,
        "stored {} devices in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    )?;

    for (ring, stored) in rings.rings.iter().enumerate() {
        let members: Vec<String> = devices
            .iter()
            .filter(|device| device.ring == ring)
            .map(|device| device.id.clone())
            .collect();
        let name = format!("Bench ring {ring}");
        let group = match store.insert_device_group(&name, &members, now).await? {
            GroupWrite::Written(group) => group,
            other => bail!("device group {name:?} was not written: {other:?}"),
        };
        let targets = BindingTargets {
            devices: Vec::new(),
            device_groups: vec![group.id],
        };
        let subject = Subject::PolicyGroup(stored.group.id);
        if !matches!(
            store.set_bindings(subject, &targets).await?,
            BindingsWrite::Written(_)
        ) {
            bail!("binding {:?} to {name:?} was refused", stored.group.name);
        }
        writeln!(
            log,
            "device group {name:?} ({} devices) bound to ring {:?}",
            members.len(),
            stored.group.name
        )?;
    }

    if let Some(path) = &options.ids {
        let mut ids = String::with_capacity(devices.len() * 37);
        for device in &devices {
            ids.push_str(&device.id);
            ids.push('\n');
        }
        std::fs::write(path, ids).with_context(|| format!("writing {path:?}"))?;
    }
    let secret: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    store.create_token("bench", &secret, "admin", now).await?;
    store.close().await;
    writeln!(std::io::stdout(), "{secret}")?;
    Ok(())
}

// ----- request -------------------------------------------------------------------------------

/// The phases of `GET /api/v1/devices/{id}/declarations` as the server runs them, one request
/// at a time, without HTTP.
async fn request(options: &Options) -> anyhow::Result<()> {
    let url = options
        .database
        .as_deref()
        .with_context(|| format!("request needs --database URL\n\n{USAGE}"))?;
    let at = match options.at {
        Some(at) => at,
        None => "2025-11-20T12:00:00Z".parse()?,
    };
    let store = Store::connect(url, &StoreOptions::default()).await?;
    let updates = OsUpdates::new(store.clone());
    updates.refresh().await?;
    let mut ids: Vec<String> = Vec::new();
    loop {
        let page = store
            .list_devices(ids.last().map(String::as_str), 1000)
            .await?;
        if page.is_empty() {
            break;
        }
        ids.extend(page.into_iter().map(|device| device.id));
    }
    if ids.is_empty() {
        bail!("{url} holds no devices: run `bench_fleet seed` first");
    }
    let secret = options.token.clone().unwrap_or_else(|| "0".repeat(64));
    let mut rng = StdRng::seed_from_u64(SEED);
    let warm_up = (options.requests / 10).max(1);
    let mut phases: [Vec<Duration>; 5] = Default::default();
    let mut bytes = 0;
    for round in 0..warm_up + options.requests {
        let id = ids.choose(&mut rng).expect("ids is not empty");
        let start = Instant::now();
        let token = store.find_token(&secret).await?;
        let token_read = Instant::now();
        let device = updates.device(id).await?;
        let device_read = Instant::now();
        let served = updates.declarations_for(&device, at);
        let computed = Instant::now();
        let body = serde_json::to_vec(&DeclarationsView::of(&served, at))?;
        let end = Instant::now();
        black_box((token, &body));
        if round >= warm_up {
            bytes += body.len();
            let marks = [start, token_read, device_read, computed, end];
            for (phase, pair) in phases.iter_mut().zip(marks.windows(2)) {
                phase.push(pair[1] - pair[0]);
            }
            phases[4].push(end - start);
        }
    }
    let total: Duration = phases[4].iter().sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "In process, one request at a time: {} requests over {} devices, `at={at}`, {} token; \
         JSON answers of {} bytes on average.\n\n\
         | phase | p50 | p99 | mean | share of the time |\n|---|---:|---:|---:|---:|",
        options.requests,
        ids.len(),
        if options.token.is_some() {
            "a valid"
        } else {
            "an unknown"
        },
        bytes / options.requests,
    )?;
    let labels = [
        "token lookup (`Store::find_token`)",
        "device row (`OsUpdates::device`)",
        "computation (`OsUpdates::declarations_for`)",
        "JSON answer (`DeclarationsView`, `serde_json::to_vec`)",
        "all",
    ];
    for (label, mut times) in labels.into_iter().zip(phases) {
        let sum: Duration = times.iter().sum();
        times.sort_unstable();
        let micros = |duration: Duration| duration.as_secs_f64() * 1e6;
        writeln!(
            out,
            "| {label} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0}% |",
            micros(times[times.len() / 2]),
            micros(times[times.len() * 99 / 100]),
            micros(sum) / times.len() as f64,
            100.0 * sum.as_secs_f64() / total.as_secs_f64(),
        )?;
    }
    store.close().await;
    Ok(())
}
