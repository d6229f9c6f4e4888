//! Generates a folder of realistic Jamf Pro patch definitions of our own making, for benchmarks.
//!
//! ```sh
//! cargo run --release -p ringmaster-bench --bin generate_titles -- --out DIR --count 1000 [--seed N]
//! ```
//!
//! Writes `DIR/<id>.json`, one full software title definition per file, pretty-printed like the
//! definitions found in the wild. The output depends only on `--count` and `--seed`: the same
//! arguments give byte-identical files on every machine.
//!
//! Every title, publisher, bundle id and script is invented. The shapes follow real definitions:
//! newest patch first, versions in one of several common numbering schemes, release dates a few
//! days to weeks apart, a minimum macOS that rises over time, `killApps` for app titles,
//! components whose criteria match the bundle id and version (some with an extension-attribute
//! fallback, some suites with two components), package-only titles with a `null` app name and
//! bundle id that are found by an extension attribute, and base64 extension-attribute scripts.
//!
//! Sizes are chosen as the size of the body `GET /v1/patch/{id}` serves (compact JSON; the files
//! themselves are larger, being indented): most titles between 5 and 60 KB, a few smaller, and
//! about 3% large (60 to 300 KB). The first title is always `BigBrowser`: 66 patches of a web
//! browser with three killApps, two components, an extension attribute and criteria using it,
//! about 100 KB served (about 180 KB as a file), the title the read-path benchmark
//! (`bench/read_path.sh`) requests.
//!
//! Every generated file passes `ringmaster title lint`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use base64::Engine;
use clap::Parser;
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

mod definition;
mod shapes;

use definition::*;
use shapes::*;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(about = "Writes realistic, invented Jamf patch definitions to DIR/<id>.json")]
struct Args {
    /// The folder to write into (created if missing; existing files of the same name are replaced).
    #[arg(long)]
    out: PathBuf,
    /// How many titles to write, `BigBrowser` included.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Seed of the generator: the same seed and count give the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The id of the one title of a fixed, known size (about 100 KB served).
const BIG_BROWSER_ID: &str = "BigBrowser";
/// The number of patches of `BigBrowser`.
const BIG_BROWSER_PATCHES: usize = 66;
/// The newest release date any title may have (2025-06-01T00:00:00Z): fixed, so output does not
/// depend on the day the generator runs.
const NEWEST_RELEASE_SECOND: i64 = 1_748_736_000;
const DAY: i64 = 86_400;
/// At most this many patches per title, whatever size was drawn.
const MAX_PATCHES: usize = 400;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.count >= 1, "--count must be at least 1");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut used_ids: BTreeSet<String> = BTreeSet::new();
    let mut served_sizes: Vec<(usize, String, usize)> = Vec::with_capacity(args.count);
    let mut file_bytes = 0usize;
    for index in 0..args.count {
        let (shape, patch_count) = if index == 0 {
            (big_browser_shape(), BIG_BROWSER_PATCHES)
        } else {
            let shape = random_shape(&mut rng, &mut used_ids);
            let target = target_served_size(&mut rng);
            let count = patches_for_size(&shape, target);
            (shape, count)
        };
        used_ids.insert(shape.id.clone());
        let definition = definition(&mut rng, &shape, patch_count);
        let served = serde_json::to_vec(&definition)?.len();
        let mut pretty = serde_json::to_vec_pretty(&definition)?;
        pretty.push(b'\n');
        file_bytes += pretty.len();
        let path = args.out.join(format!("{}.json", shape.id));
        std::fs::write(&path, &pretty).with_context(|| format!("writing {}", path.display()))?;
        served_sizes.push((served, shape.id, patch_count));
    }
    summarize(&args, &served_sizes, file_bytes)
}

/// Prints what was written: sizes as served, and the `BigBrowser` figures.
fn summarize(
    args: &Args,
    served_sizes: &[(usize, String, usize)],
    file_bytes: usize,
) -> anyhow::Result<()> {
    let mut sizes: Vec<usize> = served_sizes.iter().map(|(size, _, _)| *size).collect();
    sizes.sort_unstable();
    let percentile = |p: f64| sizes[((sizes.len() - 1) as f64 * p).round() as usize];
    let total: usize = sizes.iter().sum();
    let between_5_and_60 = sizes
        .iter()
        .filter(|size| (5_000..=60_000).contains(*size))
        .count();
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "wrote {} titles to {} (seed {}): {:.1} MB of files, {:.1} MB served as compact JSON",
        served_sizes.len(),
        args.out.display(),
        args.seed,
        file_bytes as f64 / 1e6,
        total as f64 / 1e6
    )?;
    writeln!(
        stdout,
        "served size: min {:.1} KB, p10 {:.1} KB, median {:.1} KB, p90 {:.1} KB, p99 {:.1} KB, max {:.1} KB; {} of {} between 5 and 60 KB",
        percentile(0.0) as f64 / 1e3,
        percentile(0.1) as f64 / 1e3,
        percentile(0.5) as f64 / 1e3,
        percentile(0.9) as f64 / 1e3,
        percentile(0.99) as f64 / 1e3,
        percentile(1.0) as f64 / 1e3,
        between_5_and_60,
        sizes.len()
    )?;
    if let Some((size, id, patches)) = served_sizes.first() {
        writeln!(
            stdout,
            "{id}: {patches} patches, {:.1} KB served",
            *size as f64 / 1e3
        )?;
    }
    Ok(())
}

/// The served size to aim for: mostly 5–60 KB (log-uniform), some small, a few large.
fn target_served_size(rng: &mut StdRng) -> usize {
    let draw: f64 = rng.random();
    let (low, high): (f64, f64) = if draw < 0.03 {
        (60_000.0, 300_000.0)
    } else if draw < 0.10 {
        (1_500.0, 5_000.0)
    } else {
        (5_000.0, 60_000.0)
    };
    let exponent: f64 = rng.random_range(low.ln()..high.ln());
    exponent.exp() as usize
}

/// How many patches bring a title near a served size, from the size of a sample patch.
fn patches_for_size(shape: &Shape, target: usize) -> usize {
    let mut sample_rng = StdRng::seed_from_u64(0);
    let header = definition(&mut sample_rng, shape, 0);
    let header_size = serde_json::to_vec(&header).map_or(0, |bytes| bytes.len());
    let patch = patch(
        &mut sample_rng,
        shape,
        "10.20.30",
        NEWEST_RELEASE_SECOND,
        "12.0",
    );
    let patch_size = serde_json::to_vec(&patch).map_or(1, |bytes| bytes.len() + 1);
    (target.saturating_sub(header_size) / patch_size.max(1)).clamp(1, MAX_PATCHES)
}
