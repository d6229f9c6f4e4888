//! The hardware a release installs on, as a feed lists it, with a case-insensitive index.
//!
//! Feeds write identifiers in their own case (`J413AP`, `iPhone17,1`) and devices report theirs,
//! which need not match: [`DeviceList::lists`] compares ASCII case-insensitively. The folded
//! index is built when the list is (once per feed parse or catalog load), so checking a device
//! against a release is one hash lookup instead of a scan of the release's list: the schedule
//! asks it for every release newer than every device. The index hashes with foldhash's seeded
//! `RandomState` (a fifth of `bench_fleet compute` went to an ordered set's comparisons; std's
//! SipHash costs more per short key), so a feed cannot choose identifiers that collide.

use std::collections::{BTreeSet, HashSet};
use std::ops::Deref;

use foldhash::fast::RandomState;

/// The identifiers a release lists, as written, and their ASCII-lowercase forms.
///
/// Reads as the `BTreeSet<String>` of identifiers as written (it dereferences to it); equality
/// and order of iteration are those of that set.
#[derive(Debug, Clone, Default)]
pub struct DeviceList {
    ids: BTreeSet<String>,
    folded: HashSet<String, RandomState>,
}

impl DeviceList {
    /// The identifiers as written, sorted.
    pub fn as_set(&self) -> &BTreeSet<String> {
        &self.ids
    }

    /// Whether `id` is listed, ignoring ASCII case.
    pub fn lists(&self, id: &str) -> bool {
        if self.folded.is_empty() {
            return false;
        }
        // Identifiers are short: fold on the stack when it fits (ASCII lowercasing keeps UTF-8).
        let mut buffer = [0u8; 64];
        match buffer.get_mut(..id.len()) {
            Some(folded) => {
                folded.copy_from_slice(id.as_bytes());
                folded.make_ascii_lowercase();
                std::str::from_utf8(folded).is_ok_and(|folded| self.folded.contains(folded))
            }
            None => self.folded.contains(&id.to_ascii_lowercase()),
        }
    }

    /// Adds one identifier.
    pub fn insert(&mut self, id: String) -> bool {
        self.folded.insert(id.to_ascii_lowercase());
        self.ids.insert(id)
    }
}

impl Deref for DeviceList {
    type Target = BTreeSet<String>;

    fn deref(&self) -> &BTreeSet<String> {
        &self.ids
    }
}

impl PartialEq for DeviceList {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

impl Eq for DeviceList {}

impl From<BTreeSet<String>> for DeviceList {
    fn from(ids: BTreeSet<String>) -> DeviceList {
        let folded = ids.iter().map(|id| id.to_ascii_lowercase()).collect();
        DeviceList { ids, folded }
    }
}

impl FromIterator<String> for DeviceList {
    fn from_iter<I: IntoIterator<Item = String>>(ids: I) -> DeviceList {
        DeviceList::from(ids.into_iter().collect::<BTreeSet<String>>())
    }
}

impl Extend<String> for DeviceList {
    fn extend<I: IntoIterator<Item = String>>(&mut self, ids: I) {
        for id in ids {
            self.insert(id);
        }
    }
}

impl IntoIterator for DeviceList {
    type Item = String;
    type IntoIter = std::collections::btree_set::IntoIter<String>;

    fn into_iter(self) -> Self::IntoIter {
        self.ids.into_iter()
    }
}

impl<'a> IntoIterator for &'a DeviceList {
    type Item = &'a String;
    type IntoIter = std::collections::btree_set::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.ids.iter()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lookups_ignore_ascii_case_only() {
        let list: DeviceList = ["J413AP".to_owned(), "iPhone17,1".to_owned()]
            .into_iter()
            .collect();
        assert!(list.lists("J413AP") && list.lists("j413ap") && list.lists("IPHONE17,1"));
        assert!(!list.lists("J413") && !list.lists("") && !DeviceList::default().lists("J413AP"));
        assert!(!list.lists(&"J".repeat(100)), "a long id is looked up too");
        assert_eq!(list.iter().collect::<Vec<_>>(), ["J413AP", "iPhone17,1"]);
    }

    proptest! {
        /// The index answers what a scan with `eq_ignore_ascii_case` would.
        #[test]
        fn the_index_agrees_with_a_scan(
            ids in proptest::collection::btree_set("[a-zA-Z0-9,é]{0,6}", 0..8),
            probe in "[a-zA-Z0-9,é]{0,6}|.{0,80}",
        ) {
            let list = DeviceList::from(ids.clone());
            let scanned = ids.iter().any(|id| id.eq_ignore_ascii_case(&probe));
            prop_assert_eq!(list.lists(&probe), scanned);
            for id in &ids {
                prop_assert!(list.lists(&id.to_ascii_uppercase()));
            }
        }
    }
}
