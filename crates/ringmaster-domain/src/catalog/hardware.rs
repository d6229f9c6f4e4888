//! Hardware identity: which Apple OS releases a device's hardware can install.
//!
//! A device has two hardware facts, and neither stands in for the other:
//!
//! - its **model identifier** (`Mac15,3`, `Macmini9,1`, `iPhone17,1`): what inventories and the
//!   `device.model.identifier` status item say;
//! - its **software-update device id**: what `softwareupdate.device-id` reports (macOS 15+,
//!   iOS 18+). On a Mac it is a board id (`J504AP`, `Mac-…`, `VMA2MACOSAP`); on iPhone and iPad it
//!   is the product type, the same text as the model.
//!
//! gdmf and SOFA list the hardware of each release by software-update device id. For a Mac known
//! only by its model, SOFA's other tables help: `Models` (v1 and v2 macOS feeds) lists the OS majors
//! each model supports, and `Devices` (v2 and DMS feeds) maps board ids to models. Those facts are
//! a [`HardwareCatalog`], stored beside the releases; [`HardwareCatalog::describe`] turns a device's
//! two facts into a [`DeviceHardware`], and [`supports`] decides, for one release, with the first
//! rule that applies ([`SupportRule`]):
//!
//! 1. the software-update id is known and the release lists devices: listed or not;
//! 2. the model is known and the release lists the model itself, or a board id the feeds map to
//!    it: supported; the release lists devices and the feeds know the model's board ids (or the
//!    model is an iPhone or iPad product type), none of them listed: not supported;
//! 3. the feeds list the model's OS majors: supported exactly when the release's major is one;
//! 4. nothing says: an update within the device's own major is installable (hardware never loses
//!    a minor update of the OS it runs), and a major upgrade is not (it needs positive evidence).
//!
//! Reading is lenient: these tables enrich the catalog, so an entry of an unexpected shape is
//! skipped rather than failing the feed; sizes are bounded ([`MAX_MODELS`], [`MAX_ID_CHARS`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::catalog::release::Release;
use crate::platform::Platform;
use crate::schedule::{DevicePlan, NotEnforced};

/// At most this many models (and, separately, board ids) are read from one feed.
pub const MAX_MODELS: usize = 10_000;
/// The longest model identifier or board id accepted, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// At most this many OS majors are kept per model.
pub const MAX_MAJORS_PER_MODEL: usize = 64;

/// What the feeds say about one model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelFacts {
    /// The OS majors the model supports (SOFA `Models[..].OSVersions`); empty when not listed.
    pub os_majors: BTreeSet<u32>,
    /// The software-update ids (board ids) of the model (SOFA `Devices`).
    pub board_ids: BTreeSet<String>,
}

/// The hardware facts of the feeds, by model identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HardwareCatalog {
    models: BTreeMap<String, ModelFacts>,
    /// Board id → model, the inverse of every model's `board_ids`.
    by_board_id: BTreeMap<String, String>,
}

impl HardwareCatalog {
    /// A catalog of `models`.
    pub fn new(models: BTreeMap<String, ModelFacts>) -> HardwareCatalog {
        let by_board_id = models
            .iter()
            .flat_map(|(model, facts)| {
                facts
                    .board_ids
                    .iter()
                    .map(move |board| (board.clone(), model.clone()))
            })
            .collect();
        HardwareCatalog {
            models,
            by_board_id,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Every model with its facts, by identifier.
    pub fn models(&self) -> &BTreeMap<String, ModelFacts> {
        &self.models
    }

    pub fn model(&self, identifier: &str) -> Option<&ModelFacts> {
        self.models.get(identifier)
    }

    /// The model a board id belongs to, when the feeds say.
    pub fn model_of_board_id(&self, board_id: &str) -> Option<&str> {
        self.by_board_id.get(board_id).map(String::as_str)
    }

    /// Both catalogs' facts: the union of majors and board ids per model. Order-independent and
    /// idempotent, like merging releases.
    pub fn merged_with(&self, other: &HardwareCatalog) -> HardwareCatalog {
        let mut models = self.models.clone();
        for (model, facts) in &other.models {
            let entry = models.entry(model.clone()).or_default();
            entry.os_majors.extend(facts.os_majors.iter().copied());
            entry.board_ids.extend(facts.board_ids.iter().cloned());
        }
        HardwareCatalog::new(models)
    }

    /// A device's hardware as far as known: its two facts, and what the feeds say of its model
    /// (the model reported, or else the one its board id maps to).
    pub fn describe(
        &self,
        platform: Platform,
        model: Option<&str>,
        software_update_device_id: Option<&str>,
    ) -> DeviceHardware {
        let model = model.map(str::trim).filter(|text| !text.is_empty());
        let device_id = software_update_device_id
            .map(str::trim)
            .filter(|text| !text.is_empty());
        let looked_up = model.or_else(|| device_id.and_then(|id| self.model_of_board_id(id)));
        let facts = looked_up.and_then(|model| self.models.get(model));
        DeviceHardware {
            platform,
            model: model.map(str::to_owned),
            software_update_device_id: device_id.map(str::to_owned),
            facts_model: facts.and(looked_up).map(str::to_owned),
            board_ids: facts
                .map(|facts| facts.board_ids.clone())
                .unwrap_or_default(),
            os_majors: facts
                .map(|facts| facts.os_majors.clone())
                .unwrap_or_default(),
        }
    }
}

/// A device's hardware facts and what the feeds say about its model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHardware {
    pub platform: Platform,
    /// The model identifier (`Mac15,3`, `iPhone17,1`).
    pub model: Option<String>,
    /// What `softwareupdate.device-id` reports (`J504AP` on a Mac).
    pub software_update_device_id: Option<String>,
    /// The model the facts below are of (the model, or the one the board id maps to).
    pub facts_model: Option<String>,
    /// The board ids the feeds know for the model.
    pub board_ids: BTreeSet<String>,
    /// The OS majors the feeds list for the model; empty when they do not say.
    pub os_majors: BTreeSet<u32>,
}

impl DeviceHardware {
    /// Hardware nobody described: only the same-major rule applies.
    pub fn unknown(platform: Platform) -> DeviceHardware {
        DeviceHardware {
            platform,
            model: None,
            software_update_device_id: None,
            facts_model: None,
            board_ids: BTreeSet::new(),
            os_majors: BTreeSet::new(),
        }
    }

    /// The hardware of a device known by its software-update id alone, without feed facts.
    pub fn with_device_id(platform: Platform, device_id: &str) -> DeviceHardware {
        DeviceHardware {
            software_update_device_id: Some(device_id.to_owned()),
            ..DeviceHardware::unknown(platform)
        }
    }

    /// The hardware of a device known by its model alone, without feed facts.
    pub fn with_model(platform: Platform, model: &str) -> DeviceHardware {
        DeviceHardware {
            model: Some(model.to_owned()),
            ..DeviceHardware::unknown(platform)
        }
    }
}

/// The rule that decided whether a release installs on a device's hardware.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SupportRule {
    /// The release lists the device's software-update id.
    DeviceIdListed { device_id: String },
    /// The release lists devices, and not the device's software-update id.
    DeviceIdNotListed { device_id: String },
    /// The release lists the model, or a board id the feeds map to it (`listed`).
    ModelListed { model: String, listed: String },
    /// The release lists devices, none of them the model or a board id of it.
    ModelNotListed { model: String },
    /// The feeds list the release's major among the model's.
    ModelRunsMajor { model: String, major: u32 },
    /// The feeds list the model's majors, and the release's is not one.
    ModelLacksMajor { model: String, major: u32 },
    /// Nothing says; an update within the device's own major is installable.
    WithinOwnMajor,
    /// Nothing says; a major upgrade needs positive evidence.
    MajorUnproven { major: u32 },
}

impl SupportRule {
    /// Whether the release installs under this rule.
    pub fn installable(&self) -> bool {
        matches!(
            self,
            SupportRule::DeviceIdListed { .. }
                | SupportRule::ModelListed { .. }
                | SupportRule::ModelRunsMajor { .. }
                | SupportRule::WithinOwnMajor
        )
    }

    /// A stable name for the API: `deviceIdListed`, `modelRunsMajor`, ….
    pub fn as_str(&self) -> &'static str {
        match self {
            SupportRule::DeviceIdListed { .. } => "deviceIdListed",
            SupportRule::DeviceIdNotListed { .. } => "deviceIdNotListed",
            SupportRule::ModelListed { .. } => "modelListed",
            SupportRule::ModelNotListed { .. } => "modelNotListed",
            SupportRule::ModelRunsMajor { .. } => "modelRunsMajor",
            SupportRule::ModelLacksMajor { .. } => "modelLacksMajor",
            SupportRule::WithinOwnMajor => "withinOwnMajor",
            SupportRule::MajorUnproven { .. } => "majorUnproven",
        }
    }
}

impl fmt::Display for SupportRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupportRule::DeviceIdListed { device_id } => {
                write!(
                    f,
                    "the release lists the device's software-update id {device_id}"
                )
            }
            SupportRule::DeviceIdNotListed { device_id } => write!(
                f,
                "the release does not list the device's software-update id {device_id}"
            ),
            SupportRule::ModelListed { model, listed } if model == listed => {
                write!(f, "the release lists model {model}")
            }
            SupportRule::ModelListed { model, listed } => write!(
                f,
                "the release lists {listed}, which the feeds map to model {model}"
            ),
            SupportRule::ModelNotListed { model } => write!(
                f,
                "the release lists none of the ids the feeds know for model {model}"
            ),
            SupportRule::ModelRunsMajor { model, major } => {
                write!(f, "the feeds list OS {major} among model {model}'s majors")
            }
            SupportRule::ModelLacksMajor { model, major } => {
                write!(
                    f,
                    "the feeds do not list OS {major} among model {model}'s majors"
                )
            }
            SupportRule::WithinOwnMajor => f.write_str(
                "nothing says which hardware it supports, and an update within the device's own \
                 major installs on the hardware that runs it",
            ),
            SupportRule::MajorUnproven { major } => write!(
                f,
                "nothing shows the device's hardware supports OS {major}, and a major upgrade \
                 needs positive evidence"
            ),
        }
    }
}

/// Whether `release` installs on `hardware` running `os_version`, and the rule that decided
/// (see the module doc for the order).
pub fn supports(
    release: &Release,
    hardware: &DeviceHardware,
    os_version: &AppleOsVersion,
) -> SupportRule {
    judge(release, hardware, os_version).to_rule()
}

/// Whether `release` installs on `hardware` running `os_version`: `supports(..).installable()`
/// without building the rule (the schedule's fast target choice asks this for many releases).
pub fn installs(release: &Release, hardware: &DeviceHardware, os_version: &AppleOsVersion) -> bool {
    judge(release, hardware, os_version).installable()
}

/// A [`SupportRule`] borrowing the device's identifiers.
enum Judged<'a> {
    DeviceIdListed(&'a str),
    DeviceIdNotListed(&'a str),
    ModelListed { model: &'a str, listed: &'a str },
    ModelNotListed(&'a str),
    ModelRunsMajor(&'a str, u32),
    ModelLacksMajor(&'a str, u32),
    WithinOwnMajor,
    MajorUnproven(u32),
}

impl Judged<'_> {
    fn installable(&self) -> bool {
        matches!(
            self,
            Judged::DeviceIdListed(_)
                | Judged::ModelListed { .. }
                | Judged::ModelRunsMajor(..)
                | Judged::WithinOwnMajor
        )
    }

    fn to_rule(&self) -> SupportRule {
        match *self {
            Judged::DeviceIdListed(id) => SupportRule::DeviceIdListed {
                device_id: id.to_owned(),
            },
            Judged::DeviceIdNotListed(id) => SupportRule::DeviceIdNotListed {
                device_id: id.to_owned(),
            },
            Judged::ModelListed { model, listed } => SupportRule::ModelListed {
                model: model.to_owned(),
                listed: listed.to_owned(),
            },
            Judged::ModelNotListed(model) => SupportRule::ModelNotListed {
                model: model.to_owned(),
            },
            Judged::ModelRunsMajor(model, major) => SupportRule::ModelRunsMajor {
                model: model.to_owned(),
                major,
            },
            Judged::ModelLacksMajor(model, major) => SupportRule::ModelLacksMajor {
                model: model.to_owned(),
                major,
            },
            Judged::WithinOwnMajor => SupportRule::WithinOwnMajor,
            Judged::MajorUnproven(major) => SupportRule::MajorUnproven { major },
        }
    }
}

fn judge<'a>(
    release: &Release,
    hardware: &'a DeviceHardware,
    os_version: &AppleOsVersion,
) -> Judged<'a> {
    let listed = &release.supported_devices;
    if let Some(device_id) = &hardware.software_update_device_id
        && !listed.is_empty()
    {
        return if listed.lists(device_id) {
            Judged::DeviceIdListed(device_id)
        } else {
            Judged::DeviceIdNotListed(device_id)
        };
    }
    let major = release.version.major();
    let model = hardware
        .model
        .as_deref()
        .or(hardware.facts_model.as_deref());
    if let Some(model) = model
        && !listed.is_empty()
    {
        let found = std::iter::once(model)
            .chain(hardware.board_ids.iter().map(String::as_str))
            .find(|id| listed.lists(id));
        if let Some(found) = found {
            return Judged::ModelListed {
                model,
                listed: found,
            };
        }
        // iPhone and iPad lists hold product types, so the model's absence is conclusive; a
        // Mac's list holds board ids, conclusive only when the feeds know the model's.
        if hardware.platform == Platform::Ios || !hardware.board_ids.is_empty() {
            return Judged::ModelNotListed(model);
        }
    }
    if let Some(model) = hardware.facts_model.as_deref().or(model)
        && !hardware.os_majors.is_empty()
    {
        return if hardware.os_majors.contains(&major) {
            Judged::ModelRunsMajor(model, major)
        } else {
            Judged::ModelLacksMajor(model, major)
        };
    }
    if major <= os_version.major() {
        Judged::WithinOwnMajor
    } else {
        Judged::MajorUnproven(major)
    }
}

impl DevicePlan {
    /// What the explanation says about hardware: the rule that made the target installable, or,
    /// when no newer release installs, the rule that refused the newest one.
    pub(crate) fn hardware_note(&self) -> String {
        match &self.decision {
            Ok(enforcement) => self
                .releases
                .iter()
                .find(|release| {
                    release.version == enforcement.version
                        && release.build == enforcement.target_build
                })
                .map(|release| format!("; installable because {}", release.support))
                .unwrap_or_default(),
            Err(NotEnforced::NotSupportedOnModel) => self
                .releases
                .iter()
                .rev()
                .find(|release| !release.support.installable())
                .map(|newest| format!(" (for {}: {})", newest.version, newest.support))
                .unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

/// The hardware tables of a SOFA feed (v1, v2 or DMS): `Models` and `Devices`. Anything else
/// (gdmf, a feed without them) gives an empty catalog.
pub fn hardware_of_feed(document: &Value) -> HardwareCatalog {
    let mut models: BTreeMap<String, ModelFacts> = BTreeMap::new();
    if let Some(Value::Object(listed)) = document.get("Models") {
        for (model, entry) in listed.iter().take(MAX_MODELS) {
            let Some(model) = identifier(model) else {
                continue;
            };
            let majors: BTreeSet<u32> = entry
                .get("OSVersions")
                .and_then(Value::as_array)
                .map(|majors| {
                    majors
                        .iter()
                        .filter_map(Value::as_u64)
                        .filter_map(|major| u32::try_from(major).ok())
                        .filter(|major| *major <= AppleOsVersion::MAX_NUMBER)
                        .take(MAX_MAJORS_PER_MODEL)
                        .collect()
                })
                .unwrap_or_default();
            models.entry(model).or_default().os_majors.extend(majors);
        }
    }
    if let Some(Value::Object(devices)) = document.get("Devices") {
        for (board_id, entry) in devices.iter().take(MAX_MODELS) {
            let model = entry.get("DeviceID").and_then(Value::as_str);
            if let (Some(board_id), Some(model)) =
                (identifier(board_id), model.and_then(identifier))
                && board_id != model
            {
                models.entry(model).or_default().board_ids.insert(board_id);
            }
        }
    }
    HardwareCatalog::new(models)
}

/// A model identifier or board id as a feed writes it: trimmed, 1 to [`MAX_ID_CHARS`]
/// characters, no control characters.
fn identifier(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()
        && trimmed.chars().count() <= MAX_ID_CHARS
        && !trimmed.chars().any(char::is_control))
    .then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests;
