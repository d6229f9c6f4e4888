//! The invented names and the shapes of titles: how a title is detected, numbered and sized.

use super::*;

pub(super) const PUBLISHERS: &[&str] = &[
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

pub(super) const ADJECTIVES: &[&str] = &[
    "Quartz", "Blue", "Swift", "Bright", "Silent", "Clear", "Rapid", "Solid", "Deep", "Open",
    "Smart", "True", "Prime", "Nova", "Polar", "Amber", "Crimson", "Golden", "Iron", "Lunar",
    "Metro", "Nimble", "Orbit", "Pixel", "Quiet", "Royal", "Sonic", "Terra", "Ultra", "Vivid",
    "Wild", "Zen", "Astro", "Bold", "Cloud", "Echo", "Flux", "Hyper", "Jade", "Kinetic",
];

pub(super) const NOUNS: &[&str] = &[
    "Notes", "Canvas", "Mail", "Studio", "Sync", "Vault", "Player", "Editor", "Reader", "Draw",
    "Terminal", "Backup", "Scan", "Chat", "Meet", "Code", "Viewer", "Writer", "Sheets", "Slides",
    "Photo", "Audio", "Video", "Browser", "Capture", "Clipper", "Finder", "Monitor", "Shield",
    "Agent", "Launcher", "Connect", "Desk", "Board", "Keeper", "Mapper", "Tracker", "Builder",
    "Sketch", "Stream",
];

/// How a title numbers its versions.
#[derive(Debug, Clone, Copy)]
pub(super) enum VersionScheme {
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
pub(super) enum Kind {
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
pub(super) struct Shape {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) publisher: String,
    pub(super) app_name: Option<String>,
    pub(super) bundle_id: Option<String>,
    /// The second app of a suite or browser: (name, app name, bundle id).
    pub(super) second_app: Option<(String, String, String)>,
    pub(super) kind: Kind,
    pub(super) scheme: VersionScheme,
    /// The extension attribute's key, when the title defines one.
    pub(super) ea_key: Option<String>,
    pub(super) kill_apps: bool,
    /// Whether release dates carry milliseconds, as many real definitions' do.
    pub(super) millis: bool,
    /// Years added to the era's minimum macOS (titles that drop old systems early).
    pub(super) os_bump: usize,
    pub(super) reboot_chance: f64,
}

pub(super) fn big_browser_shape() -> Shape {
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

pub(super) fn random_shape(rng: &mut StdRng, used_ids: &mut BTreeSet<String>) -> Shape {
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
pub(super) fn slug(text: &str, lowercase: bool) -> String {
    let kept: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    if lowercase {
        kept.to_ascii_lowercase()
    } else {
        kept
    }
}
