//! The version lifecycle of a stored title.
//!
//! Every edit is a pure function of the record and "now". Each returns whether it changed
//! anything, and bumps `lastModified` exactly when it did, so Jamf Pro's pollers see every change
//! and nothing else.

use jiff::Timestamp;

use crate::jamf_time::next_last_modified;
use crate::title::model::{Patch, SoftwareTitle};
use crate::title::record::TitleRecord;
use crate::title::version_place::{self, Undecided};

/// Where a new patch goes in the newest-first list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Where version order puts it: below every newer version, above every older one
    /// ([`version_place`]); refused when the list does not decide.
    VersionOrder,
    /// Just below (older than) the named version.
    After(String),
    /// Just above (newer than) the named version.
    Before(String),
}

/// Whether an edit changed the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Changed,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TitleEditError {
    #[error("version {0:?} already exists in this title")]
    VersionExists(String),
    #[error("version {0:?} does not exist in this title")]
    VersionNotFound(String),
    #[error(
        "version {candidate:?} cannot be placed by version order: {reason}; \
         give ?after=VERSION to put it just below VERSION, or ?before=VERSION to put it just above"
    )]
    OrderUndecided {
        candidate: String,
        reason: Undecided,
    },
    #[error("version {0:?} is pinned as currentVersion; unpin it or pin another version first")]
    VersionPinned(String),
    #[error("version {0:?} is disabled; enable it before pinning it as currentVersion")]
    VersionDisabled(String),
    #[error("the definition's id {body:?} does not match the title {path:?} it replaces")]
    IdMismatch { path: String, body: String },
}

/// Adds one patch at the given place.
pub fn add_patch(
    record: &mut TitleRecord,
    patch: Patch,
    placement: Placement,
    now: Timestamp,
) -> Result<Outcome, TitleEditError> {
    let patches = &record.definition.patches;
    if patches
        .iter()
        .any(|existing| existing.version == patch.version)
    {
        return Err(TitleEditError::VersionExists(patch.version));
    }
    let index = match &placement {
        Placement::VersionOrder => version_place::index_by_version_order(
            patches.iter().map(|existing| existing.version.as_str()),
            &patch.version,
        )
        .map_err(|reason| TitleEditError::OrderUndecided {
            candidate: patch.version.clone(),
            reason,
        })?,
        Placement::After(anchor) => position(&record.definition, anchor)? + 1,
        Placement::Before(anchor) => position(&record.definition, anchor)?,
    };
    record.definition.patches.insert(index, patch);
    Ok(touch(record, now))
}

/// Removes one patch. The title may be left with none, and is then not served.
pub fn remove_patch(
    record: &mut TitleRecord,
    version: &str,
    now: Timestamp,
) -> Result<Outcome, TitleEditError> {
    let index = position(&record.definition, version)?;
    if record.pinned_version.as_deref() == Some(version) {
        return Err(TitleEditError::VersionPinned(version.to_owned()));
    }
    record.definition.patches.remove(index);
    record.disabled_versions.remove(version);
    Ok(touch(record, now))
}

/// Enables or disables one patch without deleting it.
pub fn set_patch_enabled(
    record: &mut TitleRecord,
    version: &str,
    enabled: bool,
    now: Timestamp,
) -> Result<Outcome, TitleEditError> {
    position(&record.definition, version)?;
    if !enabled && record.pinned_version.as_deref() == Some(version) {
        return Err(TitleEditError::VersionPinned(version.to_owned()));
    }
    let changed = if enabled {
        record.disabled_versions.remove(version)
    } else {
        record.disabled_versions.insert(version.to_owned())
    };
    Ok(if changed {
        touch(record, now)
    } else {
        Outcome::Unchanged
    })
}

/// Enables or disables the whole title.
pub fn set_title_enabled(record: &mut TitleRecord, enabled: bool, now: Timestamp) -> Outcome {
    if record.enabled == enabled {
        return Outcome::Unchanged;
    }
    record.enabled = enabled;
    touch(record, now)
}

/// Pins `currentVersion` to an existing, enabled version.
pub fn pin_current_version(
    record: &mut TitleRecord,
    version: &str,
    now: Timestamp,
) -> Result<Outcome, TitleEditError> {
    position(&record.definition, version)?;
    if !record.is_patch_enabled(version) {
        return Err(TitleEditError::VersionDisabled(version.to_owned()));
    }
    if record.pinned_version.as_deref() == Some(version) {
        return Ok(Outcome::Unchanged);
    }
    record.pinned_version = Some(version.to_owned());
    Ok(touch(record, now))
}

/// Returns `currentVersion` to the first enabled patch.
pub fn unpin_current_version(record: &mut TitleRecord, now: Timestamp) -> Outcome {
    if record.pinned_version.take().is_none() {
        return Outcome::Unchanged;
    }
    touch(record, now)
}

/// Replaces the definition, keeping the admin state that still applies:
/// the title's enabled flag, the pin if its version survives, disabled flags of surviving versions.
pub fn replace_definition(
    record: &mut TitleRecord,
    definition: SoftwareTitle,
    now: Timestamp,
) -> Result<Outcome, TitleEditError> {
    if definition.id != record.definition.id {
        return Err(TitleEditError::IdMismatch {
            path: record.definition.id.to_string(),
            body: definition.id.to_string(),
        });
    }
    if definition == record.definition {
        return Ok(Outcome::Unchanged);
    }
    if let Some(pinned) = &record.pinned_version
        && definition.patch(pinned).is_none()
    {
        record.pinned_version = None;
    }
    record
        .disabled_versions
        .retain(|version| definition.patch(version).is_some());
    record.definition = definition;
    Ok(touch(record, now))
}

fn position(definition: &SoftwareTitle, version: &str) -> Result<usize, TitleEditError> {
    definition
        .position_of(version)
        .ok_or_else(|| TitleEditError::VersionNotFound(version.to_owned()))
}

fn touch(record: &mut TitleRecord, now: Timestamp) -> Outcome {
    record.last_modified = next_last_modified(Some(record.last_modified), now);
    Outcome::Changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jamf_time::format_last_modified;
    use crate::title::test_support::{T0, at, patch, record, title, versions};

    /// An hour after the records are created.
    const LATER: &str = "2026-01-02T04:04:05Z";

    #[test]
    fn a_version_without_a_position_goes_where_version_order_puts_it() {
        let mut record = record(&["10.2.0", "10.1.1"]);
        let outcome = add_patch(
            &mut record,
            patch("10.1.5"),
            Placement::VersionOrder,
            at(LATER),
        );
        assert_eq!(outcome, Ok(Outcome::Changed));
        assert_eq!(versions(&record), ["10.2.0", "10.1.5", "10.1.1"]);
        assert_eq!(
            record.current_version(),
            Some("10.2.0"),
            "an older version is not current"
        );
        assert_eq!(record.last_modified, at(LATER));

        add_patch(
            &mut record,
            patch("10.10.0"),
            Placement::VersionOrder,
            at(LATER),
        )
        .unwrap();
        assert_eq!(versions(&record), ["10.10.0", "10.2.0", "10.1.5", "10.1.1"]);
        assert_eq!(
            record.current_version(),
            Some("10.10.0"),
            "the newest is current"
        );

        let before = record.clone();
        let error = add_patch(
            &mut record,
            patch("10.01.5"),
            Placement::VersionOrder,
            at(LATER),
        )
        .expect_err("a tie");
        assert_eq!(
            error,
            TitleEditError::OrderUndecided {
                candidate: "10.01.5".into(),
                reason: Undecided::Tie {
                    existing: "10.1.5".into()
                },
            }
        );
        let message = error.to_string();
        assert!(
            message.contains("?after=VERSION") && message.contains("?before=VERSION"),
            "{message}"
        );
        assert_eq!(record, before, "a refused add changes nothing");
    }

    #[test]
    fn the_first_patch_of_an_empty_title_is_newest() {
        let mut record = record(&[]);
        assert_eq!(record.current_version(), None);
        add_patch(
            &mut record,
            patch("0.1"),
            Placement::VersionOrder,
            at(LATER),
        )
        .unwrap();
        assert_eq!(record.current_version(), Some("0.1"));
    }

    #[test]
    fn after_and_before_put_the_patch_next_to_the_named_version() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        let now = at(LATER);
        add_patch(
            &mut record,
            patch("2.5"),
            Placement::Before("2.0".into()),
            now,
        )
        .unwrap();
        assert_eq!(versions(&record), ["3.0", "2.5", "2.0", "1.0"]);
        add_patch(
            &mut record,
            patch("1.5"),
            Placement::After("2.0".into()),
            now,
        )
        .unwrap();
        assert_eq!(versions(&record), ["3.0", "2.5", "2.0", "1.5", "1.0"]);
        add_patch(
            &mut record,
            patch("0.9"),
            Placement::After("1.0".into()),
            now,
        )
        .unwrap();
        assert_eq!(
            versions(&record),
            ["3.0", "2.5", "2.0", "1.5", "1.0", "0.9"]
        );
        assert_eq!(record.current_version(), Some("3.0"));

        // Positions are the curator's choice, not checked against version order,
        // and a patch placed on top becomes current.
        add_patch(
            &mut record,
            patch("2.9.1"),
            Placement::Before("3.0".into()),
            now,
        )
        .unwrap();
        assert_eq!(versions(&record)[..2], ["2.9.1", "3.0"]);
        assert_eq!(record.current_version(), Some("2.9.1"));

        let before = record.clone();
        for placement in [
            Placement::After("4.0".into()),
            Placement::Before("3.0 ".into()),
        ] {
            let error = add_patch(&mut record, patch("3.5"), placement, now).unwrap_err();
            assert!(
                matches!(error, TitleEditError::VersionNotFound(_)),
                "{error}"
            );
        }
        assert_eq!(record, before);
    }

    #[test]
    fn an_existing_version_is_refused_wherever_it_would_go() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        let before = record.clone();
        for placement in [
            Placement::VersionOrder,
            Placement::After("1.0".into()),
            Placement::Before("3.0".into()),
        ] {
            assert_eq!(
                add_patch(&mut record, patch("2.0"), placement, at(LATER)),
                Err(TitleEditError::VersionExists("2.0".into()))
            );
        }
        assert_eq!(record, before);
        // Versions are matched exactly: "2.00" is another version, placed where asked.
        add_patch(
            &mut record,
            patch("2.00"),
            Placement::After("2.0".into()),
            at(LATER),
        )
        .unwrap();
        assert_eq!(versions(&record), ["3.0", "2.0", "2.00", "1.0"]);
    }

    #[test]
    fn removing_a_patch() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        assert_eq!(
            remove_patch(&mut record, "3.0", at(LATER)),
            Ok(Outcome::Changed)
        );
        assert_eq!(versions(&record), ["2.0", "1.0"]);
        assert_eq!(record.current_version(), Some("2.0"));
        assert_eq!(record.last_modified, at(LATER));

        let before = record.clone();
        assert_eq!(
            remove_patch(&mut record, "3.0", at(LATER)),
            Err(TitleEditError::VersionNotFound("3.0".into()))
        );
        assert_eq!(record, before);

        remove_patch(&mut record, "2.0", at(LATER)).unwrap();
        remove_patch(&mut record, "1.0", at(LATER)).unwrap();
        assert!(record.definition.patches.is_empty());
        assert!(!record.is_served(), "a title without patches is not served");
    }

    #[test]
    fn a_removed_disabled_patch_comes_back_enabled() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        set_patch_enabled(&mut record, "2.0", false, at(LATER)).unwrap();
        remove_patch(&mut record, "2.0", at(LATER)).unwrap();
        assert!(record.disabled_versions.is_empty());
        add_patch(
            &mut record,
            patch("2.0"),
            Placement::After("3.0".into()),
            at(LATER),
        )
        .unwrap();
        assert!(record.is_patch_enabled("2.0"));
    }

    #[test]
    fn the_pinned_version_can_be_neither_removed_nor_disabled() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        assert_eq!(
            pin_current_version(&mut record, "2.0", at(LATER)),
            Ok(Outcome::Changed)
        );
        assert_eq!(record.current_version(), Some("2.0"));
        let before = record.clone();
        let pinned = Err(TitleEditError::VersionPinned("2.0".into()));
        assert_eq!(remove_patch(&mut record, "2.0", at(LATER)), pinned);
        assert_eq!(
            set_patch_enabled(&mut record, "2.0", false, at(LATER)),
            pinned
        );
        assert_eq!(record, before);

        // Unpinned, both work again.
        assert_eq!(
            unpin_current_version(&mut record, at(LATER)),
            Outcome::Changed
        );
        assert_eq!(record.current_version(), Some("3.0"));
        set_patch_enabled(&mut record, "2.0", false, at(LATER)).unwrap();
        remove_patch(&mut record, "2.0", at(LATER)).unwrap();
    }

    #[test]
    fn only_an_existing_enabled_version_can_be_pinned() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        set_patch_enabled(&mut record, "1.0", false, at(LATER)).unwrap();
        let before = record.clone();
        assert_eq!(
            pin_current_version(&mut record, "1.0", at(LATER)),
            Err(TitleEditError::VersionDisabled("1.0".into()))
        );
        assert_eq!(
            pin_current_version(&mut record, "0.5", at(LATER)),
            Err(TitleEditError::VersionNotFound("0.5".into()))
        );
        assert_eq!(record, before);
    }

    #[test]
    fn every_change_moves_last_modified_even_within_one_second() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        let now = at(T0);
        let changes: Vec<Outcome> = vec![
            set_patch_enabled(&mut record, "1.0", false, now).unwrap(),
            set_patch_enabled(&mut record, "1.0", true, now).unwrap(),
            pin_current_version(&mut record, "2.0", now).unwrap(),
            pin_current_version(&mut record, "3.0", now).unwrap(),
            unpin_current_version(&mut record, now),
            add_patch(&mut record, patch("4.0"), Placement::VersionOrder, now).unwrap(),
            remove_patch(&mut record, "4.0", now).unwrap(),
            set_title_enabled(&mut record, false, now),
            set_title_enabled(&mut record, true, now),
            replace_definition(&mut record, title(&["3.0", "2.0"]), now).unwrap(),
        ];
        assert!(changes.iter().all(|outcome| *outcome == Outcome::Changed));
        // Created at 03:04:05; ten changes in that same second end ten seconds later.
        assert_eq!(
            format_last_modified(record.last_modified),
            "2026-01-02T03:04:15Z"
        );

        // A clock that went back still moves lastModified forward.
        set_patch_enabled(&mut record, "2.0", false, at("2020-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            format_last_modified(record.last_modified),
            "2026-01-02T03:04:16Z"
        );
        // Sub-second clocks are cut to whole seconds.
        set_patch_enabled(&mut record, "2.0", true, at("2026-03-04T05:06:07.890Z")).unwrap();
        assert_eq!(
            format_last_modified(record.last_modified),
            "2026-03-04T05:06:07Z"
        );
        assert_eq!(record.last_modified.subsec_nanosecond(), 0);
    }

    #[test]
    fn edits_that_change_nothing_leave_last_modified_alone() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        set_patch_enabled(&mut record, "1.0", false, at(T0)).unwrap();
        pin_current_version(&mut record, "2.0", at(T0)).unwrap();
        let settled = record.clone();
        let later = at(LATER);

        assert_eq!(
            set_patch_enabled(&mut record, "1.0", false, later),
            Ok(Outcome::Unchanged)
        );
        assert_eq!(
            set_patch_enabled(&mut record, "3.0", true, later),
            Ok(Outcome::Unchanged)
        );
        assert_eq!(
            pin_current_version(&mut record, "2.0", later),
            Ok(Outcome::Unchanged)
        );
        assert_eq!(
            set_title_enabled(&mut record, true, later),
            Outcome::Unchanged
        );
        let same = record.definition.clone();
        assert_eq!(
            replace_definition(&mut record, same, later),
            Ok(Outcome::Unchanged)
        );
        assert_eq!(record, settled, "no-op edits changed the record");

        assert_eq!(unpin_current_version(&mut record, later), Outcome::Changed);
        let unpinned = record.clone();
        assert_eq!(
            unpin_current_version(&mut record, at("2026-01-02T05:00:00Z")),
            Outcome::Unchanged
        );
        assert_eq!(record, unpinned);
    }

    #[test]
    fn replacing_keeps_the_pin_and_disabled_flags_of_surviving_versions_only() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        pin_current_version(&mut record, "2.0", at(T0)).unwrap();
        set_patch_enabled(&mut record, "1.0", false, at(T0)).unwrap();
        set_title_enabled(&mut record, false, at(T0));

        let outcome = replace_definition(&mut record, title(&["4.0", "2.0", "1.0"]), at(LATER));
        assert_eq!(outcome, Ok(Outcome::Changed));
        assert_eq!(record.pinned_version.as_deref(), Some("2.0"));
        assert_eq!(record.current_version(), Some("2.0"));
        assert!(!record.is_patch_enabled("1.0"));
        assert!(!record.enabled, "the title's enabled flag is kept");
        assert_eq!(record.last_modified, at(LATER));

        replace_definition(&mut record, title(&["4.0", "3.0"]), at(LATER)).unwrap();
        assert_eq!(record.pinned_version, None);
        assert_eq!(record.current_version(), Some("4.0"));
        assert!(record.disabled_versions.is_empty());
    }

    #[test]
    fn a_definition_with_another_id_replaces_nothing() {
        let mut record = record(&["3.0"]);
        let before = record.clone();
        let mut other = title(&["4.0"]);
        other.id = crate::title::id::SoftwareTitleId::parse("OtherTool").unwrap();
        assert_eq!(
            replace_definition(&mut record, other, at(LATER)),
            Err(TitleEditError::IdMismatch {
                path: "Tool".into(),
                body: "OtherTool".into(),
            })
        );
        assert_eq!(record, before);
    }
}
