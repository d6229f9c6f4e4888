//! A stored title: the definition plus the state admins control.
//!
//! What Jamf Pro sees is derived here, never stored twice:
//! `currentVersion` is the pinned version or else the first enabled patch,
//! and a title is served only while it is enabled and has an enabled patch.

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::title::model::{Patch, SoftwareTitle};

#[derive(Debug, Clone, PartialEq)]
pub struct TitleRecord {
    pub definition: SoftwareTitle,
    /// A disabled title is kept but not served to Jamf Pro.
    pub enabled: bool,
    /// A version an admin chose as `currentVersion` instead of the newest enabled one.
    pub pinned_version: Option<String>,
    /// Patches kept but not served.
    pub disabled_versions: BTreeSet<String>,
    /// Changes with every change to the title, and only then (whole seconds).
    pub last_modified: Timestamp,
}

impl TitleRecord {
    /// A new, enabled, unpinned record for a definition first stored at `last_modified`.
    pub fn new(definition: SoftwareTitle, last_modified: Timestamp) -> Self {
        Self {
            definition,
            enabled: true,
            pinned_version: None,
            disabled_versions: BTreeSet::new(),
            last_modified,
        }
    }

    /// The patches Jamf Pro is served, newest first.
    pub fn served_patches(&self) -> impl Iterator<Item = &Patch> {
        self.definition
            .patches
            .iter()
            .filter(|patch| !self.disabled_versions.contains(&patch.version))
    }

    /// The `currentVersion` Jamf Pro is served: the pin, or the first enabled patch.
    pub fn current_version(&self) -> Option<&str> {
        match &self.pinned_version {
            Some(pinned) => Some(pinned.as_str()),
            None => self
                .served_patches()
                .next()
                .map(|patch| patch.version.as_str()),
        }
    }

    /// Whether Jamf Pro sees this title at all.
    pub fn is_served(&self) -> bool {
        self.enabled && self.current_version().is_some()
    }

    pub fn is_patch_enabled(&self, version: &str) -> bool {
        !self.disabled_versions.contains(version)
    }
}

#[cfg(test)]
mod tests {
    use crate::title::test_support::{T0, at, record, title};

    use super::*;

    #[test]
    fn a_new_record_is_enabled_unpinned_and_serves_every_patch() {
        let record = TitleRecord::new(title(&["3.0", "2.0"]), at(T0));
        assert!(record.enabled && record.is_served());
        assert_eq!(record.pinned_version, None);
        assert!(record.disabled_versions.is_empty());
        assert_eq!(record.last_modified, at(T0));
        assert_eq!(record.served_patches().count(), 2);
    }

    #[test]
    fn current_version_is_the_pin_else_the_first_enabled_patch() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        assert_eq!(record.current_version(), Some("3.0"));

        record.disabled_versions.insert("3.0".into());
        assert_eq!(record.current_version(), Some("2.0"));
        let served: Vec<&str> = record
            .served_patches()
            .map(|patch| patch.version.as_str())
            .collect();
        assert_eq!(
            served,
            ["2.0", "1.0"],
            "served in curator order, disabled left out"
        );

        record.pinned_version = Some("1.0".into());
        assert_eq!(record.current_version(), Some("1.0"));

        record.pinned_version = None;
        record
            .disabled_versions
            .extend(["2.0".to_owned(), "1.0".to_owned()]);
        assert_eq!(record.current_version(), None);
        assert!(
            !record.is_served(),
            "a title with every patch disabled is not served"
        );
    }

    #[test]
    fn a_disabled_title_is_not_served() {
        let mut record = record(&["1.0"]);
        record.enabled = false;
        assert_eq!(record.current_version(), Some("1.0"));
        assert!(!record.is_served());
    }
}
