//! Typed readings of a device's stored status items.
//!
//! Key names are Apple's (`declarative/status/*.yaml`): lower-case and dash-separated inside
//! items (`os-version`, `target-local-date-time`, `server-token`). The views never fail and never
//! panic: a missing item, or an item or key of the wrong type, reads as absent; values Apple adds
//! later are kept (`InstallState::Other`, `Validity::Other`).

use std::fmt;

use serde_json::{Map, Value};

use crate::declarations::envelope::DeclarationKind;
use crate::device_status::items;
use crate::device_status::merge::DeviceStatus;
use crate::device_status::report::{ReasonKeys, StatusReason};

/// The `softwareupdate.*` items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareUpdateStatus {
    /// `softwareupdate.install-state`.
    pub install_state: Option<InstallState>,
    /// `softwareupdate.pending-version`.
    pub pending_version: Option<PendingVersion>,
    /// `softwareupdate.failure-reason`.
    pub failure_reason: Option<FailureReason>,
    /// `softwareupdate.install-reason`.
    pub install_reason: Option<InstallReason>,
    /// `softwareupdate.device-id`: the id to look up in gdmf `SupportedDevices`.
    pub device_id: Option<String>,
    /// `softwareupdate.beta-enrollment`: the beta program's name, `""` when enrolled in none.
    pub beta_enrollment: Option<String>,
}

/// `softwareupdate.install-state`. The 18.1 schema's range lacks `waiting` although its text
/// describes it; any other value Apple adds is kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InstallState {
    /// No update pending, and any previous update succeeded.
    None,
    /// An update is waiting to start.
    Waiting,
    /// Downloading an update.
    Downloading,
    /// The update is prepared and ready to install.
    Prepared,
    /// Installing the update.
    Installing,
    /// The update failed.
    Failed,
    /// A value this version of ringmaster does not know, as sent.
    Other(String),
}

impl InstallState {
    /// Apple's string for the state.
    pub fn as_str(&self) -> &str {
        match self {
            InstallState::None => "none",
            InstallState::Waiting => "waiting",
            InstallState::Downloading => "downloading",
            InstallState::Prepared => "prepared",
            InstallState::Installing => "installing",
            InstallState::Failed => "failed",
            InstallState::Other(text) => text,
        }
    }

    /// Reads Apple's string exactly; anything else is `Other`.
    pub fn parse(text: &str) -> InstallState {
        match text {
            "none" => InstallState::None,
            "waiting" => InstallState::Waiting,
            "downloading" => InstallState::Downloading,
            "prepared" => InstallState::Prepared,
            "installing" => InstallState::Installing,
            "failed" => InstallState::Failed,
            other => InstallState::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for InstallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `softwareupdate.pending-version`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingVersion {
    /// `os-version`, with any supplemental suffix; `""` when no update is pending.
    pub os_version: String,
    /// `build-version`, with any supplemental letter; `""` when no update is pending.
    pub build_version: String,
    /// `target-local-date-time` (18.2 seed schema): the enforced install time in the device's
    /// local time, present only while the update is enforced. Kept as sent.
    pub target_local_date_time: Option<String>,
}

impl PendingVersion {
    /// No update is pending (both versions are empty).
    pub fn is_none(&self) -> bool {
        self.os_version.is_empty() && self.build_version.is_empty()
    }

    /// `target-local-date-time` as a civil date-time, when it is one (`2025-12-26T17:00:00`).
    pub fn target_civil_date_time(&self) -> Option<jiff::civil::DateTime> {
        self.target_local_date_time.as_deref()?.parse().ok()
    }
}

/// `softwareupdate.failure-reason`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureReason {
    /// `count`: failures of the current update; 0 when none (or absent or not a count).
    pub count: u64,
    /// `reason`: why the last attempt failed.
    pub reason: Option<String>,
    /// `timestamp`: when the last attempt failed (RFC 3339), as sent.
    pub timestamp: Option<String>,
}

impl FailureReason {
    /// `timestamp` as an instant, when it is a valid RFC 3339 timestamp.
    pub fn timestamp_instant(&self) -> Option<jiff::Timestamp> {
        self.timestamp.as_deref()?.parse().ok()
    }
}

/// `softwareupdate.install-reason`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallReason {
    /// `reason`: what triggered the pending update (`system-settings`, `install-tonight`,
    /// `auto-update`, `notification`, `setup-assistant`, `command-line`, `mdm`, `declaration`);
    /// empty when nothing is pending. Entries that are not strings are dropped.
    pub reasons: Vec<String>,
    /// `declaration-id`: the declaration that caused the update (with reason `declaration`).
    pub declaration_id: Option<String>,
}

/// The `device.operating-system.*` items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatingSystemStatus {
    /// `device.operating-system.family` (`macOS`, `iOS`, …).
    pub family: Option<String>,
    /// `device.operating-system.version`.
    pub version: Option<String>,
    /// `device.operating-system.build-version`.
    pub build: Option<String>,
    /// `device.operating-system.supplemental.build-version`.
    pub supplemental_build: Option<String>,
    /// `device.operating-system.supplemental.extra-version`.
    pub supplemental_extra: Option<String>,
    /// `device.operating-system.marketing-name`.
    pub marketing_name: Option<String>,
}

/// The `device.model.*` items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelStatus {
    /// `device.model.identifier` (`Mac14,2`, `iPhone17,1`).
    pub identifier: Option<String>,
    /// `device.model.family` (`Mac`, `iPhone`, `iPad`).
    pub family: Option<String>,
    /// `device.model.marketing-name`.
    pub marketing_name: Option<String>,
}

/// One declaration's state from `management.declarations`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclarationStatus {
    /// Which of the four arrays it was in.
    pub kind: DeclarationKind,
    /// `identifier`.
    pub identifier: String,
    /// `server-token`; `""` when absent.
    pub server_token: String,
    /// `active`; `false` when absent.
    pub active: bool,
    /// `valid`; `Unknown` when absent.
    pub valid: Validity,
    /// `reasons` (`code`, `description`, `details`), usually when invalid.
    pub reasons: Vec<StatusReason>,
}

/// A declaration's `valid` state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Validity {
    /// `valid`.
    Valid,
    /// `invalid`: the reasons say why.
    Invalid,
    /// `unknown`: not (yet) validated.
    Unknown,
    /// A value this version of ringmaster does not know, as sent.
    Other(String),
}

impl Validity {
    /// Apple's string for the state.
    pub fn as_str(&self) -> &str {
        match self {
            Validity::Valid => "valid",
            Validity::Invalid => "invalid",
            Validity::Unknown => "unknown",
            Validity::Other(text) => text,
        }
    }

    /// Reads Apple's string exactly; anything else is `Other`.
    pub fn parse(text: &str) -> Validity {
        match text {
            "valid" => Validity::Valid,
            "invalid" => Validity::Invalid,
            "unknown" => Validity::Unknown,
            other => Validity::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The arrays of `management.declarations`, in the schema's order, with their kinds.
const DECLARATION_ARRAYS: [(&str, DeclarationKind); 4] = [
    ("activations", DeclarationKind::Activation),
    ("configurations", DeclarationKind::Configuration),
    ("assets", DeclarationKind::Asset),
    ("management", DeclarationKind::Management),
];

impl DeviceStatus {
    /// The `softwareupdate.*` items.
    pub fn software_update(&self) -> SoftwareUpdateStatus {
        SoftwareUpdateStatus {
            install_state: self.string(items::INSTALL_STATE).map(InstallState::parse),
            pending_version: self
                .object(items::PENDING_VERSION)
                .map(|object| PendingVersion {
                    os_version: string_key(object, "os-version").unwrap_or_default(),
                    build_version: string_key(object, "build-version").unwrap_or_default(),
                    target_local_date_time: string_key(object, "target-local-date-time"),
                }),
            failure_reason: self
                .object(items::FAILURE_REASON)
                .map(|object| FailureReason {
                    count: object.get("count").and_then(Value::as_u64).unwrap_or(0),
                    reason: string_key(object, "reason"),
                    timestamp: string_key(object, "timestamp"),
                }),
            install_reason: self
                .object(items::INSTALL_REASON)
                .map(|object| InstallReason {
                    reasons: object
                        .get("reason")
                        .and_then(Value::as_array)
                        .map(|reasons| {
                            reasons
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    declaration_id: string_key(object, "declaration-id"),
                }),
            device_id: self.string(items::DEVICE_ID).map(str::to_owned),
            beta_enrollment: self.string(items::BETA_ENROLLMENT).map(str::to_owned),
        }
    }

    /// The `device.operating-system.*` items.
    pub fn operating_system(&self) -> OperatingSystemStatus {
        let text = |name| self.string(name).map(str::to_owned);
        OperatingSystemStatus {
            family: text(items::OS_FAMILY),
            version: text(items::OS_VERSION),
            build: text(items::OS_BUILD_VERSION),
            supplemental_build: text(items::OS_SUPPLEMENTAL_BUILD_VERSION),
            supplemental_extra: text(items::OS_SUPPLEMENTAL_EXTRA_VERSION),
            marketing_name: text(items::OS_MARKETING_NAME),
        }
    }

    /// The `device.model.*` items.
    pub fn model(&self) -> ModelStatus {
        let text = |name| self.string(name).map(str::to_owned);
        ModelStatus {
            identifier: text(items::MODEL_IDENTIFIER),
            family: text(items::MODEL_FAMILY),
            marketing_name: text(items::MODEL_MARKETING_NAME),
        }
    }

    /// Every declaration in `management.declarations`: activations, configurations, assets, then
    /// management, each in the order sent. An entry without a string `identifier` is skipped.
    pub fn declarations(&self) -> Vec<DeclarationStatus> {
        let Some(arrays) = self.object(items::DECLARATIONS) else {
            return Vec::new();
        };
        DECLARATION_ARRAYS
            .iter()
            .flat_map(|(key, kind)| {
                let entries = arrays.get(*key).and_then(Value::as_array);
                entries
                    .into_iter()
                    .flatten()
                    .filter_map(move |entry| declaration_status(entry, *kind))
            })
            .collect()
    }

    /// `management.client-capabilities` as sent.
    pub fn client_capabilities(&self) -> Option<&Value> {
        self.item(items::CLIENT_CAPABILITIES)
    }

    fn string(&self, name: &str) -> Option<&str> {
        self.item(name)?.as_str()
    }

    fn object(&self, name: &str) -> Option<&Map<String, Value>> {
        self.item(name)?.as_object()
    }
}

fn string_key(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key)?.as_str().map(str::to_owned)
}

fn declaration_status(entry: &Value, kind: DeclarationKind) -> Option<DeclarationStatus> {
    let object = entry.as_object()?;
    Some(DeclarationStatus {
        kind,
        identifier: string_key(object, "identifier")?,
        server_token: string_key(object, "server-token").unwrap_or_default(),
        active: object
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        valid: object
            .get("valid")
            .and_then(Value::as_str)
            .map_or(Validity::Unknown, Validity::parse),
        reasons: StatusReason::read_list(object.get("reasons"), ReasonKeys::Item),
    })
}
