//! Folding a freshly parsed feed into the stored catalog.
//!
//! The catalog keeps one entry per [`ReleaseKey`]: platform, version and build. Feeds disagree on
//! what they know: gdmf always names the build, SOFA only for releases Apple still signs. So:
//!
//! - an incoming release with the same key as a stored one merges into it;
//! - an incoming release **without** a build merges into every stored release of its version
//!   (SOFA's security counts then enrich gdmf's builds), or is added when there is none;
//! - an incoming release **with** a build whose version is stored only without a build takes that
//!   entry over: the build-less entry is removed and the merged release stored under the full key.
//!
//! Merging uses [`Release::merged_with`]: earliest release day and first-seen instant (gdmf
//! rewrites its dates; the catalog keeps what it saw first), earliest expiry, union of devices,
//! largest CVE counts. It is idempotent, so importing the same feed twice changes nothing the
//! second time, and [`CatalogMerge::is_empty`] tells the caller there is nothing to write.

use std::collections::BTreeMap;

use crate::catalog::release::Release;

use crate::platform::Platform;

/// How the catalog identifies a release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseKey {
    pub platform: Platform,
    /// [`crate::apple_version::AppleOsVersion::canonical_text`].
    pub version: String,
    /// The build, or `""` when the feed did not name one.
    pub build: String,
}

impl ReleaseKey {
    pub fn of(release: &Release) -> ReleaseKey {
        ReleaseKey {
            platform: release.platform,
            version: release.version.canonical_text(),
            build: release.build.clone().unwrap_or_default(),
        }
    }
}

/// What importing a feed does to the catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogMerge {
    /// Releases not in the catalog before, to insert.
    pub added: Vec<Release>,
    /// Stored releases whose content changed, with their new content (same key).
    pub updated: Vec<Release>,
    /// Build-less entries a release with a build took over; delete these keys (their successor
    /// is in `added`).
    pub removed: Vec<ReleaseKey>,
    /// Stored releases the feed named that it left as they were.
    pub unchanged: usize,
}

impl CatalogMerge {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// Works out how `incoming` changes `stored`. Pure; the order of `incoming` does not matter.
pub fn merge_into_catalog(stored: &[Release], incoming: Vec<Release>) -> CatalogMerge {
    // The working catalog: stored releases (marked as such) plus what the feed adds.
    let mut entries: BTreeMap<ReleaseKey, Entry> = stored
        .iter()
        .map(|release| {
            (
                ReleaseKey::of(release),
                Entry {
                    release: release.clone(),
                    original: Some(release.clone()),
                    replaces: None,
                    named: false,
                },
            )
        })
        .collect();
    // Builds first, so build-less releases of the same feed merge into them afterwards.
    let mut incoming = incoming;
    incoming.sort_by_key(|release| (release.build.is_none(), ReleaseKey::of(release)));
    for release in incoming {
        let key = ReleaseKey::of(&release);
        if let Some(entry) = entries.get_mut(&key) {
            entry.release = entry.release.clone().merged_with(release);
            entry.named = true;
            continue;
        }
        let same_version: Vec<ReleaseKey> = entries
            .keys()
            .filter(|other| other.platform == key.platform && other.version == key.version)
            .cloned()
            .collect();
        if key.build.is_empty() {
            if same_version.is_empty() {
                entries.insert(key, Entry::new(release));
            } else {
                for other in same_version {
                    if let Some(entry) = entries.get_mut(&other) {
                        entry.release = entry.release.clone().merged_with(release.clone());
                        entry.named = true;
                    }
                }
            }
            continue;
        }
        let buildless = same_version
            .into_iter()
            .find(|other| other.build.is_empty());
        match buildless.and_then(|other| entries.remove(&other).map(|entry| (other, entry))) {
            Some((old_key, old)) => {
                let mut merged = old.release.merged_with(release);
                merged.build = Some(key.build.clone());
                let replaces = match old.original {
                    Some(_) => Some(old_key),
                    None => old.replaces,
                };
                entries.insert(
                    key,
                    Entry {
                        release: merged,
                        original: None,
                        replaces,
                        named: true,
                    },
                );
            }
            None => {
                entries.insert(key, Entry::new(release));
            }
        }
    }
    let mut merge = CatalogMerge::default();
    for entry in entries.into_values() {
        if let Some(old_key) = entry.replaces {
            merge.removed.push(old_key);
        }
        match entry.original {
            None => merge.added.push(entry.release),
            Some(original) if original != entry.release => merge.updated.push(entry.release),
            Some(_) if entry.named => merge.unchanged += 1,
            Some(_) => {}
        }
    }
    merge
}

struct Entry {
    release: Release,
    /// The stored content, `None` for a release new to the catalog.
    original: Option<Release>,
    /// A stored build-less key this new entry replaces.
    replaces: Option<ReleaseKey>,
    /// The feed mentioned this entry.
    named: bool,
}

impl Entry {
    fn new(release: Release) -> Entry {
        Entry {
            release,
            original: None,
            replaces: None,
            named: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apple_version::AppleOsVersion;
    use crate::catalog::FeedFormat;
    use crate::catalog::release::SecurityInfo;
    use jiff::civil::date;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn release(version: &str, build: Option<&str>) -> Release {
        let release = Release::new(
            Platform::MacOs,
            AppleOsVersion::parse(version).unwrap(),
            date(2026, 9, 15),
        );
        match build {
            Some(build) => release.with_build(build),
            None => release,
        }
    }

    fn apply(stored: &[Release], merge: &CatalogMerge) -> Vec<Release> {
        let removed: BTreeSet<&ReleaseKey> = merge.removed.iter().collect();
        let mut by_key: BTreeMap<ReleaseKey, Release> = stored
            .iter()
            .filter(|release| !removed.contains(&ReleaseKey::of(release)))
            .map(|release| (ReleaseKey::of(release), release.clone()))
            .collect();
        for release in merge.added.iter().chain(&merge.updated) {
            by_key.insert(ReleaseKey::of(release), release.clone());
        }
        by_key.into_values().collect()
    }

    #[test]
    fn new_releases_are_added_and_a_second_import_changes_nothing() {
        let feed = vec![
            release("26.0", Some("25A354")),
            release("26.1", Some("25B78")),
        ];
        let first = merge_into_catalog(&[], feed.clone());
        assert_eq!(first.added.len(), 2);
        assert!(first.updated.is_empty() && first.removed.is_empty());
        let catalog = apply(&[], &first);
        let second = merge_into_catalog(&catalog, feed);
        assert!(second.is_empty(), "{second:?}");
        assert_eq!(second.unchanged, 2);
    }

    #[test]
    fn the_first_release_day_and_first_sighting_are_kept() {
        let mut seen = release("26.1", Some("25B78"));
        seen.seen_at = Some("2026-11-03T20:00:00Z".parse().unwrap());
        seen.released_on = date(2026, 11, 3);
        let catalog = apply(&[], &merge_into_catalog(&[], vec![seen.clone()]));
        let mut rewritten = seen.clone();
        rewritten.released_on = date(2026, 11, 9);
        rewritten.seen_at = Some("2026-11-10T06:00:00Z".parse().unwrap());
        let merge = merge_into_catalog(&catalog, vec![rewritten]);
        assert!(
            merge.is_empty(),
            "a later posting date changes nothing: {merge:?}"
        );
    }

    #[test]
    fn a_shorter_expiry_and_new_devices_update_the_entry() {
        let catalog = vec![release("26.1", Some("25B78"))];
        let mut later = release("26.1", Some("25B78"));
        later.expires_on = Some(date(2027, 1, 20));
        later.supported_devices = BTreeSet::from(["J413AP".to_owned()]).into();
        let merge = merge_into_catalog(&catalog, vec![later]);
        assert_eq!(merge.updated.len(), 1);
        assert_eq!(merge.updated[0].expires_on, Some(date(2027, 1, 20)));
        assert!(merge.updated[0].supported_devices.contains("J413AP"));
    }

    #[test]
    fn sofa_security_counts_enrich_every_build_of_the_version() {
        let catalog = vec![
            release("26.1", Some("25B78")),
            release("26.1", Some("25B79")),
        ];
        let mut sofa = release("26.1", None);
        sofa.source = FeedFormat::SofaV2;
        sofa.security = Some(SecurityInfo {
            cve_count: 12,
            actively_exploited_count: 1,
            details_url: None,
        });
        let merge = merge_into_catalog(&catalog, vec![sofa]);
        assert!(merge.added.is_empty(), "no build-less duplicate: {merge:?}");
        assert_eq!(merge.updated.len(), 2);
        assert!(
            merge
                .updated
                .iter()
                .all(|r| r.security.as_ref().unwrap().cve_count == 12)
        );
    }

    #[test]
    fn a_build_takes_over_the_buildless_entry_of_its_version() {
        let mut history = release("26.0.1", None);
        history.released_on = date(2026, 9, 29);
        let catalog = vec![history];
        let merge = merge_into_catalog(&catalog, vec![release("26.0.1", Some("25A362"))]);
        assert_eq!(merge.removed, vec![ReleaseKey::of(&catalog[0])]);
        assert_eq!(merge.added.len(), 1);
        assert_eq!(merge.added[0].build.as_deref(), Some("25A362"));
        assert_eq!(merge.added[0].released_on, date(2026, 9, 15));
        let after = apply(&catalog, &merge);
        assert_eq!(after.len(), 1);
        assert!(merge_into_catalog(&after, vec![release("26.0.1", None)]).is_empty());
    }

    #[test]
    fn one_feed_with_and_without_builds_makes_no_duplicates() {
        let merge = merge_into_catalog(
            &[],
            vec![release("26.2", None), release("26.2", Some("25C56"))],
        );
        assert_eq!(merge.added.len(), 1);
        assert_eq!(merge.added[0].build.as_deref(), Some("25C56"));
        assert!(merge.removed.is_empty());
    }

    fn arb_release() -> impl Strategy<Value = Release> {
        (
            0u32..3,
            prop::option::of(prop::sample::select(vec!["25A1", "25A2", "25B1"])),
            0i8..20,
            prop::option::of(0i8..20),
            prop::collection::btree_set(prop::sample::select(vec!["J413AP", "J180dAP"]), 0..2),
        )
            .prop_map(|(minor, build, day, expiry, devices)| {
                let mut r = release(&format!("26.{minor}"), build);
                r.released_on = date(2026, 10, 1 + day);
                r.expires_on = expiry.map(|d| date(2026, 11, 1 + d));
                r.supported_devices = devices.into_iter().map(str::to_owned).collect();
                r
            })
    }

    proptest! {
        #[test]
        fn importing_is_idempotent_and_order_free(
            stored in prop::collection::vec(arb_release(), 0..6),
            feed in prop::collection::vec(arb_release(), 0..8),
        ) {
            let catalog = apply(&[], &merge_into_catalog(&[], stored));
            let merge = merge_into_catalog(&catalog, feed.clone());
            let after = apply(&catalog, &merge);
            prop_assert!(merge_into_catalog(&after, feed.clone()).is_empty());
            let mut reversed = feed;
            reversed.reverse();
            prop_assert_eq!(apply(&catalog, &merge_into_catalog(&catalog, reversed)), after.clone());
            let keys: BTreeSet<ReleaseKey> = after.iter().map(ReleaseKey::of).collect();
            prop_assert_eq!(keys.len(), after.len(), "one entry per key");
        }
    }
}
