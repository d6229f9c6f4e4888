//! How a title record is laid out in a `titles` row, and read back.
//!
//! The definition is kept as the JSON an admin would submit (no derived fields), and re-parsed
//! with the domain parser on load, so the database never holds a title the API would refuse (but
//! for an id stored before the id rule, which still loads: see `ringmaster_domain::ids`).

use std::collections::BTreeSet;

use jiff::Timestamp;
use ringmaster_domain::title::parse;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::render;

use crate::error::StoreError;

/// A title as stored, with the revision that optimistic concurrency checks.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTitle {
    pub record: TitleRecord,
    /// The change-counter value of the title's last write; an `ETag` for admins.
    pub revision: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TitleRow {
    pub(crate) id: String,
    pub(crate) enabled: bool,
    pub(crate) pinned_version: Option<String>,
    pub(crate) disabled_versions: String,
    pub(crate) last_modified: String,
    pub(crate) definition: String,
    pub(crate) revision: i64,
}

/// The column values written for a record.
#[derive(Debug)]
pub(crate) struct TitleColumns {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) publisher: String,
    pub(crate) enabled: bool,
    pub(crate) pinned_version: Option<String>,
    pub(crate) disabled_versions: String,
    pub(crate) last_modified: String,
    pub(crate) definition: String,
}

impl TitleColumns {
    pub(crate) fn of(record: &TitleRecord) -> TitleColumns {
        let disabled: Vec<&String> = record.disabled_versions.iter().collect();
        TitleColumns {
            id: record.definition.id.to_string(),
            name: record.definition.name.clone(),
            publisher: record.definition.publisher.clone(),
            enabled: record.enabled,
            pinned_version: record.pinned_version.clone(),
            disabled_versions: serde_json::to_string(&disabled).unwrap_or_else(|_| "[]".into()),
            last_modified: record.last_modified.to_string(),
            definition: render::bare_definition(&record.definition).to_string(),
        }
    }
}

impl TitleRow {
    /// Whether writing `columns` would store this title as it is, apart from `lastModified`
    /// (name and publisher are part of the definition).
    pub(crate) fn holds_the_same(&self, columns: &TitleColumns) -> bool {
        self.enabled == columns.enabled
            && self.pinned_version == columns.pinned_version
            && self.disabled_versions == columns.disabled_versions
            && self.definition == columns.definition
    }

    pub(crate) fn into_stored(self) -> Result<StoredTitle, StoreError> {
        let corrupt = |why: String| StoreError::Corrupt {
            what: format!("titles/{}", self.id),
            why,
        };
        let document: serde_json::Value =
            serde_json::from_str(&self.definition).map_err(|error| corrupt(error.to_string()))?;
        let definition = parse::stored_software_title(&document)
            .map_err(|errors| corrupt(errors.to_string()))?;
        let disabled_versions: BTreeSet<String> = serde_json::from_str(&self.disabled_versions)
            .map_err(|error| corrupt(format!("disabled_versions: {error}")))?;
        let last_modified: Timestamp = self
            .last_modified
            .parse()
            .map_err(|error| corrupt(format!("last_modified: {error}")))?;
        Ok(StoredTitle {
            record: TitleRecord {
                definition,
                enabled: self.enabled,
                pinned_version: self.pinned_version,
                disabled_versions,
                last_modified,
            },
            revision: self.revision,
        })
    }
}
