//! The catalog (the sample feeds, with the real ones when they are there) and the deterministic
//! fleet `compute` and `seed` build.

use super::*;

/// The fleet is as of this day: devices run versions released by then.
pub(super) const FLEET_DAY: Date = date(2025, 11, 10);
/// The share of devices on the newest major, the one before, and so on (the rest: older).
pub(super) const MAJOR_WEIGHTS: [f64; 4] = [0.60, 0.25, 0.10, 0.05];
pub(super) const SEED: u64 = 20251110;

pub(super) fn workspace() -> &'static Path {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest)
}

pub(super) fn reference_feeds() -> PathBuf {
    let beside = workspace().parent().unwrap_or(workspace());
    beside.join("shared/reference/os-feeds")
}

/// The feed files of the catalog, sample first.
pub(super) fn feed_files(full: bool) -> Vec<PathBuf> {
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
pub(super) fn parsed_feeds(
    full: bool,
    now: Timestamp,
) -> anyhow::Result<Vec<(PathBuf, Vec<Release>)>> {
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
pub(super) fn merged_catalog(feeds: Vec<(PathBuf, Vec<Release>)>) -> Vec<Release> {
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
pub(super) struct Device {
    pub(super) id: String,
    pub(super) ring: usize,
    pub(super) facts: DeviceFacts,
}

/// The deterministic fleet described in the module documentation.
pub(super) fn fleet(catalog: &[Release], count: usize) -> anyhow::Result<Vec<Device>> {
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
pub(super) fn installed_by_major(catalog: &[Release], platform: Platform) -> Vec<Vec<&Release>> {
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
pub(super) fn device_id(rng: &mut StdRng) -> String {
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
