//! Generates a folder of realistic Jamf Pro patch definitions of our own making, for benchmarks.
//!
//! ```sh
//! cargo run --release --example generate_titles -- --out DIR --count 1000 [--seed N]
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

const PUBLISHERS: &[&str] = &[
    "Northwind Software",
    "Bluefin Labs",
    "Quillstone",
    "Harbor & Pine",
    "Lumen Works",
    "Saltmarsh Systems",
    "Copperleaf",
    "Redwood Logic",
    "Pinecrest Digital",
    "Tidewater Tools",
    "Granite Peak Software",
    "Ambergris",
    "Foxglove Studio",
    "Kestrel Computing",
    "Marigold Apps",
    "Obsidian Bay",
    "Silverline",
    "Thistle & Co",
    "Wavecrest",
    "Zephyr Labs",
    "Bramble Software",
    "Cobalt Forge",
    "Driftwood Inc.",
    "Evergreen Code",
    "Heron Technologies",
    "Ironbark",
    "Juniper Row",
    "Lanternfish",
    "Mistral Works",
    "Nimbus Street",
];

const ADJECTIVES: &[&str] = &[
    "Quartz", "Blue", "Swift", "Bright", "Silent", "Clear", "Rapid", "Solid", "Deep", "Open",
    "Smart", "True", "Prime", "Nova", "Polar", "Amber", "Crimson", "Golden", "Iron", "Lunar",
    "Metro", "Nimble", "Orbit", "Pixel", "Quiet", "Royal", "Sonic", "Terra", "Ultra", "Vivid",
    "Wild", "Zen", "Astro", "Bold", "Cloud", "Echo", "Flux", "Hyper", "Jade", "Kinetic",
];

const NOUNS: &[&str] = &[
    "Notes", "Canvas", "Mail", "Studio", "Sync", "Vault", "Player", "Editor", "Reader", "Draw",
    "Terminal", "Backup", "Scan", "Chat", "Meet", "Code", "Viewer", "Writer", "Sheets", "Slides",
    "Photo", "Audio", "Video", "Browser", "Capture", "Clipper", "Finder", "Monitor", "Shield",
    "Agent", "Launcher", "Connect", "Desk", "Board", "Keeper", "Mapper", "Tracker", "Builder",
    "Sketch", "Stream",
];

/// How a title numbers its versions.
#[derive(Debug, Clone, Copy)]
enum VersionScheme {
    /// `4.12.3`
    Semantic,
    /// `23.7`
    TwoPart,
    /// `124.0.6367.91`
    BrowserLike,
    /// `2024.3.1`
    Yearly,
}

/// How a title is detected and patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An app found by bundle id and version.
    App,
    /// An app found by bundle id and version, or by an extension attribute reporting the version.
    AppWithFallback,
    /// A suite of two apps patched together: two components.
    Suite,
    /// A package without an app: `appName` and `bundleId` are null, found by an extension attribute.
    Package,
    /// `BigBrowser`: two components, each matched by app title, bundle id and version, or by
    /// an extension attribute; three killApps.
    Browser,
}

/// Everything about a title that stays the same from patch to patch.
#[derive(Debug)]
struct Shape {
    id: String,
    name: String,
    publisher: String,
    app_name: Option<String>,
    bundle_id: Option<String>,
    /// The second app of a suite or browser: (name, app name, bundle id).
    second_app: Option<(String, String, String)>,
    kind: Kind,
    scheme: VersionScheme,
    /// The extension attribute's key, when the title defines one.
    ea_key: Option<String>,
    kill_apps: bool,
    /// Whether release dates carry milliseconds, as many real definitions' do.
    millis: bool,
    /// Years added to the era's minimum macOS (titles that drop old systems early).
    os_bump: usize,
    reboot_chance: f64,
}

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

fn big_browser_shape() -> Shape {
    Shape {
        id: BIG_BROWSER_ID.to_owned(),
        name: "Big Browser".to_owned(),
        publisher: "Bigtop Software".to_owned(),
        app_name: Some("Big Browser.app".to_owned()),
        bundle_id: Some("org.bigtop.BigBrowser".to_owned()),
        second_app: Some((
            "Big Browser Updater".to_owned(),
            "Big Browser Updater.app".to_owned(),
            "org.bigtop.BigBrowser.Updater".to_owned(),
        )),
        kind: Kind::Browser,
        scheme: VersionScheme::BrowserLike,
        ea_key: Some("BigBrowser-installed-version".to_owned()),
        kill_apps: true,
        millis: true,
        os_bump: 0,
        reboot_chance: 0.0,
    }
}

fn random_shape(rng: &mut StdRng, used_ids: &mut BTreeSet<String>) -> Shape {
    let publisher = (*PUBLISHERS.choose(rng).unwrap_or(&"Northwind Software")).to_owned();
    let (name, id) = loop {
        let adjective = ADJECTIVES.choose(rng).unwrap_or(&"Blue");
        let noun = NOUNS.choose(rng).unwrap_or(&"Notes");
        let mut name = format!("{adjective} {noun}");
        let mut id = format!("{adjective}{noun}");
        if used_ids.contains(&id) {
            // Products share names across publishers; the id then names the publisher too.
            let prefix = slug(&publisher, false);
            id = format!("{prefix}{adjective}{noun}");
            name = format!("{publisher} {adjective} {noun}");
        }
        if used_ids.contains(&id) {
            let edition = rng.random_range(2..=99);
            id = format!("{id}{edition}");
            name = format!("{name} {edition}");
        }
        if !used_ids.contains(&id) && id != BIG_BROWSER_ID {
            break (name, id);
        }
    };
    let kind = match rng.random_range(0..100) {
        0..60 => Kind::App,
        60..80 => Kind::AppWithFallback,
        80..90 => Kind::Suite,
        _ => Kind::Package,
    };
    let scheme = match rng.random_range(0..100) {
        0..50 => VersionScheme::Semantic,
        50..75 => VersionScheme::TwoPart,
        75..85 => VersionScheme::BrowserLike,
        _ => VersionScheme::Yearly,
    };
    let domain = format!("com.{}", slug(&publisher, true));
    let product = slug(&name, false);
    let (app_name, bundle_id) = if kind == Kind::Package {
        (None, None)
    } else {
        (
            Some(format!("{name}.app")),
            Some(format!("{domain}.{product}")),
        )
    };
    let second_app = (kind == Kind::Suite).then(|| {
        let helper = ["Helper", "Updater", "Companion", "Sync"]
            .choose(rng)
            .unwrap_or(&"Helper");
        (
            format!("{name} {helper}"),
            format!("{name} {helper}.app"),
            format!("{domain}.{product}.{helper}"),
        )
    });
    let ea_key = matches!(kind, Kind::AppWithFallback | Kind::Package).then(|| {
        let style = rng.random_range(0..3);
        match style {
            0 => format!("{id}-version"),
            1 => format!("{id}_Version"),
            _ => format!("{name} Version"),
        }
    });
    Shape {
        id,
        name,
        publisher,
        app_name,
        bundle_id,
        second_app,
        kind,
        scheme,
        ea_key,
        kill_apps: kind != Kind::Package && rng.random_bool(0.75),
        millis: rng.random_bool(0.5),
        os_bump: if rng.random_bool(0.2) { 1 } else { 0 },
        reboot_chance: if kind == Kind::Package { 0.3 } else { 0.02 },
    }
}

/// Letters and digits of a name, lowercased for bundle-id domains when asked.
fn slug(text: &str, lowercase: bool) -> String {
    let kept: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    if lowercase {
        kept.to_ascii_lowercase()
    } else {
        kept
    }
}

/// A whole definition with `patch_count` patches, newest first.
fn definition(rng: &mut StdRng, shape: &Shape, patch_count: usize) -> Value {
    let versions = versions(rng, shape.scheme, patch_count);
    let dates = release_dates(rng, patch_count);
    let patches: Vec<Value> = versions
        .iter()
        .zip(&dates)
        .map(|(version, &second)| {
            let minimum = minimum_os(second, shape.os_bump);
            patch(rng, shape, version, second, minimum)
        })
        .collect();
    let last_modified = dates.first().map_or(NEWEST_RELEASE_SECOND, |newest| {
        newest + rng.random_range(3_600..3 * DAY)
    });
    let mut object = Map::new();
    object.insert("name".into(), json!(shape.name));
    object.insert("publisher".into(), json!(shape.publisher));
    object.insert("appName".into(), json!(shape.app_name));
    object.insert("bundleId".into(), json!(shape.bundle_id));
    object.insert(
        "lastModified".into(),
        json!(format_time(last_modified, None)),
    );
    if let Some(current) = versions.first() {
        object.insert("currentVersion".into(), json!(current));
    }
    object.insert(
        "requirements".into(),
        Value::Array(requirements(rng, shape)),
    );
    object.insert("patches".into(), Value::Array(patches));
    let attributes: Vec<Value> = shape
        .ea_key
        .iter()
        .map(|key| {
            json!({
                "key": key,
                "value": extension_attribute_script(shape),
                "displayName": format!("{} Version", shape.name),
            })
        })
        .collect();
    object.insert("extensionAttributes".into(), Value::Array(attributes));
    object.insert("id".into(), json!(shape.id));
    Value::Object(object)
}

fn requirements(rng: &mut StdRng, shape: &Shape) -> Vec<Value> {
    match (&shape.bundle_id, &shape.ea_key) {
        (Some(bundle_id), _) => {
            let mut criteria = vec![criterion(
                "Application Bundle ID",
                "is",
                bundle_id,
                "recon",
                true,
            )];
            if let Some(app_name) = &shape.app_name
                && rng.random_bool(0.3)
            {
                criteria.push(criterion(
                    "Application Title",
                    "is",
                    app_name,
                    "recon",
                    true,
                ));
            }
            criteria
        }
        (None, Some(key)) => vec![criterion(key, "is not", "", "extensionAttribute", true)],
        (None, None) => Vec::new(),
    }
}

fn patch(
    rng: &mut StdRng,
    shape: &Shape,
    version: &str,
    release_second: i64,
    minimum_os: &str,
) -> Value {
    let millis = shape.millis.then(|| rng.random_range(0..1000));
    let mut kill_apps = Vec::new();
    if shape.kill_apps {
        if let (Some(bundle_id), Some(app_name)) = (&shape.bundle_id, &shape.app_name) {
            kill_apps.push(json!({"bundleId": bundle_id, "appName": app_name}));
        }
        if let Some((_, app_name, bundle_id)) = &shape.second_app {
            kill_apps.push(json!({"bundleId": bundle_id, "appName": app_name}));
        }
        if shape.kind == Kind::Browser
            && let (Some(bundle_id), Some(name)) = (&shape.bundle_id, &shape.app_name)
        {
            // Browsers run helper processes that must quit too.
            let helper = name.replace(".app", " Helper.app");
            kill_apps.push(json!({"bundleId": format!("{bundle_id}.helper"), "appName": helper}));
        }
    }
    let mut components = vec![json!({
        "name": shape.name,
        "version": version,
        "criteria": component_criteria(
            shape,
            shape.app_name.as_deref(),
            shape.bundle_id.as_deref(),
            version,
        ),
    })];
    if let Some((name, app_name, bundle_id)) = &shape.second_app {
        components.push(json!({
            "name": name,
            "version": version,
            "criteria": component_criteria(shape, Some(app_name), Some(bundle_id), version),
        }));
    }
    json!({
        "version": version,
        "releaseDate": format_time(release_second, millis),
        "standalone": !rng.random_bool(0.03),
        "minimumOperatingSystem": minimum_os,
        "reboot": rng.random_bool(shape.reboot_chance),
        "killApps": kill_apps,
        "components": components,
        "capabilities": [criterion(
            "Operating System Version",
            "greater than or equal",
            minimum_os,
            "recon",
            true,
        )],
        "dependencies": [],
    })
}

/// The criteria that find one installed version of one component.
fn component_criteria(
    shape: &Shape,
    app_name: Option<&str>,
    bundle_id: Option<&str>,
    version: &str,
) -> Vec<Value> {
    let by_app = |and_after_version: bool| -> Vec<Value> {
        bundle_id
            .map(|bundle_id| {
                vec![
                    criterion("Application Bundle ID", "is", bundle_id, "recon", true),
                    criterion(
                        "Application Version",
                        "is",
                        version,
                        "recon",
                        and_after_version,
                    ),
                ]
            })
            .unwrap_or_default()
    };
    let by_attribute = || -> Vec<Value> {
        shape
            .ea_key
            .iter()
            .map(|key| criterion(key, "is", version, "extensionAttribute", true))
            .collect()
    };
    match shape.kind {
        Kind::App | Kind::Suite => by_app(true),
        Kind::Package => by_attribute(),
        // Version by the app's Info.plist, or (`and: false` is "or") by the extension attribute.
        Kind::AppWithFallback => {
            let mut criteria = by_app(false);
            criteria.extend(by_attribute());
            criteria
        }
        // The same, also matching the app's title (a renamed copy is not this browser).
        Kind::Browser => {
            let mut criteria: Vec<Value> = app_name
                .map(|app_name| criterion("Application Title", "is", app_name, "recon", true))
                .into_iter()
                .collect();
            criteria.extend(by_app(false));
            criteria.extend(by_attribute());
            criteria
        }
    }
}

fn criterion(name: &str, operator: &str, value: &str, kind: &str, and: bool) -> Value {
    json!({
        "name": name,
        "operator": operator,
        "value": value,
        "type": kind,
        "and": and,
    })
}

/// `count` distinct versions, newest first.
fn versions(rng: &mut StdRng, scheme: VersionScheme, count: usize) -> Vec<String> {
    let (mut a, mut b, mut c, mut d): (u32, u32, u32, u32) = match scheme {
        VersionScheme::Semantic => (rng.random_range(1..8), rng.random_range(0..20), 0, 0),
        VersionScheme::TwoPart => (rng.random_range(1..30), rng.random_range(0..10), 0, 0),
        VersionScheme::BrowserLike => (
            rng.random_range(60..90),
            0,
            rng.random_range(3000..4000),
            rng.random_range(0..100),
        ),
        VersionScheme::Yearly => (rng.random_range(2015..2020), rng.random_range(1..4), 0, 0),
    };
    let mut ascending = Vec::with_capacity(count);
    for _ in 0..count {
        ascending.push(match scheme {
            VersionScheme::Semantic => format!("{a}.{b}.{c}"),
            VersionScheme::TwoPart => format!("{a}.{b}"),
            VersionScheme::BrowserLike => format!("{a}.{b}.{c}.{d}"),
            VersionScheme::Yearly => format!("{a}.{b}.{c}"),
        });
        let step: f64 = rng.random();
        match scheme {
            VersionScheme::Semantic => {
                if step < 0.65 {
                    c += 1;
                } else if step < 0.95 {
                    (b, c) = (b + 1, 0);
                } else {
                    (a, b, c) = (a + 1, 0, 0);
                }
            }
            VersionScheme::TwoPart => {
                if step < 0.85 {
                    b += 1;
                } else {
                    (a, b) = (a + 1, 0);
                }
            }
            VersionScheme::BrowserLike => {
                if step < 0.6 {
                    d += rng.random_range(1..60);
                } else if step < 0.9 {
                    (c, d) = (c + rng.random_range(20..200), rng.random_range(0..120));
                } else {
                    (a, c, d) = (
                        a + 1,
                        c + rng.random_range(50..300),
                        rng.random_range(0..50),
                    );
                }
            }
            VersionScheme::Yearly => {
                if step < 0.7 {
                    c += 1;
                } else if b < 4 {
                    (b, c) = (b + 1, 0);
                } else {
                    (a, b, c) = (a + 1, 1, 0);
                }
            }
        }
    }
    ascending.reverse();
    ascending
}

/// `count` release instants (Unix seconds), newest first, a few days to weeks apart.
fn release_dates(rng: &mut StdRng, count: usize) -> Vec<i64> {
    let mut second = NEWEST_RELEASE_SECOND - rng.random_range(0..120 * DAY);
    let mut dates = Vec::with_capacity(count);
    for _ in 0..count {
        dates.push(second);
        second -= rng.random_range(3 * DAY..40 * DAY);
    }
    dates
}

/// The minimum macOS of a release: what was still supported in its year.
fn minimum_os(release_second: i64, bump: usize) -> &'static str {
    const SYSTEMS: &[&str] = &[
        "10.9", "10.10", "10.11", "10.12", "10.13", "10.14", "10.15", "11.0", "12.0", "13.0",
        "14.0",
    ];
    let year = 1970 + release_second / (365 * DAY + DAY / 4);
    let index = usize::try_from((year - 2013).clamp(0, 8)).unwrap_or(0) + bump;
    SYSTEMS[index.min(SYSTEMS.len() - 1)]
}

fn format_time(second: i64, millis: Option<u32>) -> String {
    let timestamp = Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH);
    match millis {
        Some(millis) => format!("{}.{millis:03}Z", timestamp.strftime("%Y-%m-%dT%H:%M:%S")),
        None => timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// The base64 of a script that reports the installed version to Jamf Pro.
fn extension_attribute_script(shape: &Shape) -> String {
    let script = match &shape.app_name {
        Some(app_name) => format!(
            r#"#!/bin/bash
# Reports the installed version of {name} for patch management.
app_path="/Applications/{app_name}"
if [ -d "$app_path" ]; then
    version=$(/usr/bin/defaults read "$app_path/Contents/Info.plist" CFBundleShortVersionString 2>/dev/null)
    echo "<result>${{version}}</result>"
else
    echo "<result></result>"
fi
exit 0
"#,
            name = shape.name,
        ),
        None => format!(
            r#"#!/bin/bash
# Reports the installed version of {name} (installed by package, without an app bundle).
receipt="com.{publisher}.pkg.{id}"
version=$(/usr/sbin/pkgutil --pkg-info "$receipt" 2>/dev/null | /usr/bin/awk '/^version: / {{print $2}}')
if [ -n "$version" ]; then
    echo "<result>${{version}}</result>"
else
    echo "<result></result>"
fi
exit 0
"#,
            name = shape.name,
            publisher = slug(&shape.publisher, true),
            id = shape.id,
        ),
    };
    base64::engine::general_purpose::STANDARD.encode(script)
}
