//! A software title definition as an admin submits it and Jamf Pro reads it.
//!
//! Field names follow Jamf's JSON. Keys the model does not know are kept in `extra`
//! (in document order) so a definition round-trips without loss.
//! `lastModified` and `currentVersion` are not part of the definition: the server derives them
//! (see [`crate::title::record`]).

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::title::id::SoftwareTitleId;

/// Keys of an object that the model does not interpret, kept as given.
pub type ExtraFields = Map<String, Value>;

#[derive(Debug, Clone, PartialEq)]
pub struct SoftwareTitle {
    pub id: SoftwareTitleId,
    pub name: String,
    pub publisher: String,
    /// `null` in some real definitions (titles detected only by extension attribute).
    pub app_name: Option<String>,
    pub bundle_id: Option<String>,
    pub requirements: Vec<Criterion>,
    /// Newest first, in the order the curator chose.
    pub patches: Vec<Patch>,
    pub extension_attributes: Vec<ExtensionAttribute>,
    pub extra: ExtraFields,
}

impl SoftwareTitle {
    pub fn patch(&self, version: &str) -> Option<&Patch> {
        self.patches.iter().find(|patch| patch.version == version)
    }

    pub fn position_of(&self, version: &str) -> Option<usize> {
        self.patches
            .iter()
            .position(|patch| patch.version == version)
    }
}

/// One version of a title. `version` is matched by Jamf exactly, so it is never normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    pub version: String,
    pub release_date: Timestamp,
    pub standalone: bool,
    pub minimum_operating_system: String,
    pub reboot: bool,
    pub kill_apps: Vec<KillApp>,
    pub components: Vec<Component>,
    pub capabilities: Vec<Criterion>,
    /// Always `[]` in real data; kept as given, and left out when the definition leaves it out
    /// (`None`), so a version is served exactly as submitted (PatchServer never served it).
    pub dependencies: Option<Vec<Value>>,
    pub extra: ExtraFields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KillApp {
    pub bundle_id: String,
    pub app_name: String,
    pub extra: ExtraFields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub criteria: Vec<Criterion>,
    pub extra: ExtraFields,
}

/// A test Jamf Pro runs against a computer's inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub name: String,
    pub operator: String,
    pub value: String,
    pub kind: CriterionType,
    /// `false` joins this criterion to the next with OR. Absent in many real definitions,
    /// and kept absent rather than defaulted, so the document is served as written.
    pub and: Option<bool>,
    pub extra: ExtraFields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriterionType {
    /// An inventory field, such as "Application Bundle ID".
    Recon,
    /// An extension attribute; the criterion's `name` is the attribute's `key`.
    ExtensionAttribute,
}

impl CriterionType {
    pub fn as_str(self) -> &'static str {
        match self {
            CriterionType::Recon => "recon",
            CriterionType::ExtensionAttribute => "extensionAttribute",
        }
    }
}

/// A script Jamf Pro runs on computers to detect the title.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionAttribute {
    pub key: String,
    /// The script, base64-encoded, exactly as given.
    pub value: String,
    pub display_name: String,
    pub extra: ExtraFields,
}
