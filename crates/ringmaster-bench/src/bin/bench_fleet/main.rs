//! Fleet-scale benchmarks of the DDM declarations (see BENCHMARKS.md, "DDM path").
//!
//! ```sh
//! cargo run --release -p ringmaster-bench --bin bench_fleet -- compute [--devices 100000] [--repeat 7] [--catalog full|sample]
//! cargo run --release -p ringmaster-bench --bin bench_fleet -- seed --database URL [--devices 100000] [--ids FILE] [--catalog full|sample]
//! cargo run --release -p ringmaster-bench --bin bench_fleet -- request --database URL [--token SECRET] [--requests 20000]
//! ```
//!
//! `compute` and `seed` build the same deterministic fleet ([`fleet`](mod@fleet)): 80% Macs and 20% iPhones
//! and iPads, each on a version of the catalog released by 2025-11-10 (mostly the newest major:
//! 60% on it, 25% on the one before, 10% and 5% on older ones; uniform within a major), with a
//! build and a model from that release's device list, and device `i` in ring `i % 4`. The
//! catalog is the sample feeds in `fixtures/catalog` (`--catalog sample`), merged with the real
//! gdmf and SOFA v2 feeds of `../shared/reference/os-feeds` when they are there (`--catalog
//! full`, the default then).
//!
//! [`compute`](mod@compute) times, on the calling thread only, for several instants: (a) `plan_device` alone,
//! (a2) `plan_decision_within` alone (the fast target choice, no release list),
//! (b) `FleetDeclarations::device` (equal enforcement declarations shared), (b+) the same plus
//! each set's `DeclarationsToken`, (c) `device_declarations` without sharing, (d) building
//! `Assignments` (four device groups bound to the four rings) and resolving every device, and
//! (e) what a fleet-wide recomputation does: (d) then (b) for the winning policy. It prints a
//! Markdown table to standard output: the wall-clock minimum and median of the repetitions, and
//! the median of the thread's CPU time, which other work on the machine hardly changes.
//! `--at INSTANT --only CASE` runs one case at one instant, for a profiler.
//!
//! [`seed`](mod@seed) fills an EMPTY database through `Store` for `bench/declarations.sh`: the catalog, the
//! default rings, the devices, four device groups (a quarter each) bound to the four rings, and
//! an admin token named `bench`, whose secret it prints (alone) to standard output. `--ids FILE`
//! writes the device ids, one a line.
//!
//! [`request`](mod@request) times, over a seeded database, what `GET /api/v1/devices/{id}/declarations` does
//! for random devices, one request at a time and without HTTP: the token lookup, the device-row
//! read, the computation on the snapshot (`OsUpdates::declarations_for`) and the JSON answer.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
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
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::rings::default_rings;
use ringmaster_domain::schedule::{DeviceFacts, plan_decision_within, plan_device};
use ringmaster_store::os_updates::devices::{DeviceDocument, GroupWrite};
use ringmaster_store::os_updates::policies::{BindingTargets, BindingsWrite};
use ringmaster_store::store::{Store, StoreOptions};

mod compute;
mod fleet;
mod request;
mod seed;

use compute::compute;
use fleet::*;
use request::request;
use seed::seed;

/// Fleet-scale benchmarks of the DDM declarations (BENCHMARKS.md, "DDM path").
#[derive(Debug, Parser)]
#[command(name = "bench_fleet")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Times the declarations of N devices over the four default rings on one thread, R
    /// repetitions per case and instant; prints a Markdown table.
    Compute(ComputeArgs),
    /// Fills an EMPTY database (sqlite://PATH or postgres://…) with the catalog, the default
    /// rings, N devices in four device groups bound to the rings, and an admin token `bench`;
    /// prints the token's secret.
    Seed(SeedArgs),
    /// Times the phases of N declarations requests for random devices of a seeded database, in
    /// process and one at a time: the token lookup (a miss without --token), the device-row
    /// read, the computation on the snapshot, the JSON answer.
    Request(RequestArgs),
}

/// Which feeds make the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogChoice {
    /// The sample feeds of `fixtures/catalog` only.
    Sample,
    /// Also the real gdmf and SOFA v2 feeds of `../shared/reference/os-feeds`.
    Full,
}

#[derive(Debug, Args)]
struct FleetArgs {
    /// Devices in the fleet.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(4..=10_000_000))]
    devices: u64,
    /// The catalog (default: full when ../shared/reference/os-feeds exists, else sample).
    #[arg(long, value_enum)]
    catalog: Option<CatalogChoice>,
}

#[derive(Debug, Args)]
struct ComputeArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// Repetitions of each case and instant.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
    /// One RFC 3339 instant instead of the four built in.
    #[arg(long)]
    at: Option<Timestamp>,
    /// One case only, for profiling.
    #[arg(long, value_parser = ["a", "a2", "b", "b+", "c", "d", "e"])]
    only: Option<String>,
}

#[derive(Debug, Args)]
struct SeedArgs {
    #[command(flatten)]
    fleet: FleetArgs,
    /// The empty database to fill.
    #[arg(long)]
    database: String,
    /// Writes the device ids here, one a line.
    #[arg(long)]
    ids: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RequestArgs {
    /// A database `seed` filled.
    #[arg(long)]
    database: String,
    /// The admin token's secret (`seed` prints it); without it the lookup is a miss.
    #[arg(long)]
    token: Option<String>,
    /// Requests to time.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    requests: u64,
    /// The instant the declarations are computed for (default: now).
    #[arg(long)]
    at: Option<Timestamp>,
}

/// What the three commands read, from their arguments.
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
    fn base() -> Options {
        Options {
            devices: 100_000,
            repeat: 7,
            full_catalog: reference_feeds().is_dir(),
            database: None,
            ids: None,
            at: None,
            only: None,
            token: None,
            requests: 20_000,
        }
    }

    fn with_fleet(mut self, fleet: &FleetArgs) -> Options {
        self.devices = usize::try_from(fleet.devices).unwrap_or(usize::MAX);
        if let Some(choice) = fleet.catalog {
            self.full_catalog = choice == CatalogChoice::Full;
        }
        self
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match cli.command {
        Command::Compute(args) => {
            let options = Options {
                repeat: usize::try_from(args.repeat).unwrap_or(usize::MAX),
                at: args.at,
                only: args.only,
                ..Options::base().with_fleet(&args.fleet)
            };
            compute(&options)
        }
        Command::Seed(args) => {
            let options = Options {
                database: Some(args.database),
                ids: args.ids,
                ..Options::base().with_fleet(&args.fleet)
            };
            runtime()?.block_on(seed(&options))
        }
        Command::Request(args) => {
            let options = Options {
                database: Some(args.database),
                token: args.token,
                requests: usize::try_from(args.requests).unwrap_or(usize::MAX),
                at: args.at,
                ..Options::base()
            };
            runtime()?.block_on(request(&options))
        }
    }
}
