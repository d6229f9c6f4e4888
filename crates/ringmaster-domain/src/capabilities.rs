//! What a device can take: the declarations and keys its OS version, its enrollment and its own
//! `management.client-capabilities` allow.
//!
//! Apple's schemas say, per declaration and per key, the first OS version that knows it
//! (`supportedOS` → `introduced`) and the enrollments it is allowed on (`allowed-enrollments`).
//! A device sent a declaration it does not know answers `valid: "unknown"` with
//! `Error.UnknownDeclarationType` and never applies it, so ringmaster serves only what the device
//! supports. The versions are a small table here ([`DECLARATION_SUPPORT`], [`KEY_SUPPORT`]),
//! taken from Apple's 26.4 schemas and checked against the newest release tree by
//! `tests/capability_schemas.rs` (floors, User Enrollment allowance, and every key path the
//! payloads set, a key inheriting its declaration's `supportedOS`):
//!
//! | Declaration or key | macOS | iOS | User Enrollment |
//! |---|---|---|---|
//! | `management.status-subscriptions` | 13.0 | 15.0 | yes |
//! | `activation.simple` | 13.0 | 15.0 | yes |
//! | `softwareupdate.enforcement.specific` | 14.0 | 17.0 | no |
//! | `softwareupdate.settings` | 15.0 | 18.0 | no |
//! | `softwareupdate.settings` key `Beta` | 15.4 | 18.0 | no |
//!
//! When the device has reported `management.client-capabilities`, a declaration type missing
//! from its `supported-payloads` → `declarations` → `configurations` is unsupported too, whatever
//! its version. Its `supported-versions` (the DDM protocol versions the client speaks, `1.0.0`
//! on every release so far) does not gate anything: no declaration's or key's support in Apple's
//! schemas depends on a protocol version, only on the OS (`supportedOS`) and the enrollment, and a
//! client that did not speak ringmaster's protocol could not have sent the report. It is stored
//! with the rest of the item. [`update_support`] combines the three; a device that can take no update
//! declaration keeps its status subscriptions and is `unsupported`, with the reason in words
//! ([`UpdateSupport::reason`]).
//!
//! [`EnrollmentType`] names NanoMDM's enrollment types (its `X-Enrollment-Type` header): user
//! channels (`User`, `Shared iPad`, `User Enrollment`) are not devices and are answered an empty
//! set by the edge; `User Enrollment (Device)` is a BYOD device, which Apple does not let a
//! server update.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::apple_version::AppleOsVersion;
use crate::declarations::envelope::DeclarationType;
use crate::platform::Platform;

/// An enrollment type, as NanoMDM resolves a check-in (`mdm.EnrollType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnrollmentType {
    /// A device enrolled by Device Enrollment (or Automated Device Enrollment): its device
    /// channel, keyed by `UDID`.
    Device,
    /// The user channel of a device enrollment (`UDID` with `UserID`); id `UDID:UserID`.
    User,
    /// A device enrolled by User Enrollment (BYOD): its device channel, keyed by `EnrollmentID`.
    UserEnrollmentDevice,
    /// The user channel of a User Enrollment (`EnrollmentID` with `EnrollmentUserID`).
    UserEnrollment,
    /// A Shared iPad user (`UserID` `FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF`).
    SharedIpad,
}

/// The `UserID` a Shared iPad user checks in with (the user is then named by `UserShortName`).
pub const SHARED_IPAD_USER_ID: &str = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF";

impl EnrollmentType {
    pub const ALL: [EnrollmentType; 5] = [
        EnrollmentType::Device,
        EnrollmentType::User,
        EnrollmentType::UserEnrollmentDevice,
        EnrollmentType::UserEnrollment,
        EnrollmentType::SharedIpad,
    ];

    /// NanoMDM's spelling, as its `X-Enrollment-Type` header sends it.
    pub fn nanomdm_name(self) -> &'static str {
        match self {
            EnrollmentType::Device => "Device",
            EnrollmentType::User => "User",
            EnrollmentType::UserEnrollmentDevice => "User Enrollment (Device)",
            EnrollmentType::UserEnrollment => "User Enrollment",
            EnrollmentType::SharedIpad => "Shared iPad",
        }
    }

    /// Reads NanoMDM's spelling exactly.
    pub fn from_nanomdm(text: &str) -> Option<EnrollmentType> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.nanomdm_name() == text)
    }

    /// The API and storage spelling (`device`, `user`, `userEnrollmentDevice`,
    /// `userEnrollment`, `sharedIpad`).
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentType::Device => "device",
            EnrollmentType::User => "user",
            EnrollmentType::UserEnrollmentDevice => "userEnrollmentDevice",
            EnrollmentType::UserEnrollment => "userEnrollment",
            EnrollmentType::SharedIpad => "sharedIpad",
        }
    }

    /// Reads [`Self::as_str`]'s spelling.
    pub fn parse(text: &str) -> Option<EnrollmentType> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// A user channel, not a device: it never becomes a device and is served nothing.
    pub fn is_user_channel(self) -> bool {
        matches!(
            self,
            EnrollmentType::User | EnrollmentType::UserEnrollment | EnrollmentType::SharedIpad
        )
    }

    /// Enrolled by User Enrollment (BYOD), either channel.
    pub fn is_user_enrollment(self) -> bool {
        matches!(
            self,
            EnrollmentType::UserEnrollmentDevice | EnrollmentType::UserEnrollment
        )
    }

    /// The type of an Apple check-in message from the keys it carries (as NanoMDM resolves it):
    /// `UDID` is a device, with `UserID` a user (or a Shared iPad user); `EnrollmentID` is a User
    /// Enrollment device, with `EnrollmentUserID` its user. `None` without `UDID` or
    /// `EnrollmentID`.
    pub fn of_check_in(
        udid: Option<&str>,
        user_id: Option<&str>,
        enrollment_id: Option<&str>,
        enrollment_user_id: Option<&str>,
    ) -> Option<EnrollmentType> {
        let present = |value: Option<&str>| value.is_some_and(|text| !text.trim().is_empty());
        if present(udid) {
            Some(match user_id {
                Some(user) if user.trim() == SHARED_IPAD_USER_ID => EnrollmentType::SharedIpad,
                Some(_) if present(user_id) => EnrollmentType::User,
                _ => EnrollmentType::Device,
            })
        } else if present(enrollment_id) {
            Some(if present(enrollment_user_id) {
                EnrollmentType::UserEnrollment
            } else {
                EnrollmentType::UserEnrollmentDevice
            })
        } else {
            None
        }
    }
}

impl fmt::Display for EnrollmentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first version of one platform that supports something: `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OsFloor {
    pub major: u32,
    pub minor: u32,
}

impl OsFloor {
    const fn new(major: u32, minor: u32) -> OsFloor {
        OsFloor { major, minor }
    }

    /// `version` is this floor or newer.
    pub fn admits(self, version: &AppleOsVersion) -> bool {
        (version.major(), version.minor()) >= (self.major, self.minor)
    }
}

impl fmt::Display for OsFloor {
    /// `14` for 14.0, `15.4` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor == 0 {
            write!(f, "{}", self.major)
        } else {
            write!(f, "{}.{}", self.major, self.minor)
        }
    }
}

/// The first macOS and iOS versions that support something (`None`: never, Apple's `n/a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Introduced {
    pub macos: Option<OsFloor>,
    pub ios: Option<OsFloor>,
}

impl Introduced {
    /// The floor for `platform`.
    pub fn on(self, platform: Platform) -> Option<OsFloor> {
        match platform {
            Platform::MacOs => self.macos,
            Platform::Ios => self.ios,
        }
    }

    /// `version` of `platform` supports it.
    pub fn admits(self, platform: Platform, version: &AppleOsVersion) -> bool {
        self.on(platform).is_some_and(|floor| floor.admits(version))
    }
}

/// One declaration type: where it is introduced, and whether User Enrollment allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclarationSupport {
    pub declaration_type: DeclarationType,
    pub introduced: Introduced,
    /// Apple's `allowed-enrollments` lists `user` (on both platforms).
    pub user_enrollment: bool,
}

/// One payload key with a later floor than its declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySupport {
    pub declaration_type: DeclarationType,
    /// The top-level payload key.
    pub key: &'static str,
    pub introduced: Introduced,
}

const fn both(macos: OsFloor, ios: OsFloor) -> Introduced {
    Introduced {
        macos: Some(macos),
        ios: Some(ios),
    }
}

/// Every declaration type ringmaster serves, with Apple's floors (26.4 schemas).
pub const DECLARATION_SUPPORT: [DeclarationSupport; 4] = [
    DeclarationSupport {
        declaration_type: DeclarationType::StatusSubscriptions,
        introduced: both(OsFloor::new(13, 0), OsFloor::new(15, 0)),
        user_enrollment: true,
    },
    DeclarationSupport {
        declaration_type: DeclarationType::ActivationSimple,
        introduced: both(OsFloor::new(13, 0), OsFloor::new(15, 0)),
        user_enrollment: true,
    },
    DeclarationSupport {
        declaration_type: DeclarationType::SoftwareUpdateEnforcementSpecific,
        introduced: both(OsFloor::new(14, 0), OsFloor::new(17, 0)),
        user_enrollment: false,
    },
    DeclarationSupport {
        declaration_type: DeclarationType::SoftwareUpdateSettings,
        introduced: both(OsFloor::new(15, 0), OsFloor::new(18, 0)),
        user_enrollment: false,
    },
];

/// Keys introduced after their declaration (the rest are as old as the declaration, or `n/a` on
/// a platform, which `SoftwareUpdateSettings::payload` already drops).
pub const KEY_SUPPORT: [KeySupport; 1] = [KeySupport {
    declaration_type: DeclarationType::SoftwareUpdateSettings,
    key: "Beta",
    introduced: both(OsFloor::new(15, 4), OsFloor::new(18, 0)),
}];

/// The support entry of `declaration_type`.
pub fn declaration_support(declaration_type: DeclarationType) -> DeclarationSupport {
    DECLARATION_SUPPORT
        .into_iter()
        .find(|entry| entry.declaration_type == declaration_type)
        .unwrap_or(DeclarationSupport {
            declaration_type,
            introduced: Introduced {
                macos: None,
                ios: None,
            },
            user_enrollment: false,
        })
}

/// What is known of a device beyond its OS: how it enrolled, and what it said it supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceCapabilities {
    /// `None` when the MDM has not said (a check-in without `X-Enrollment-Type`).
    pub enrollment: Option<EnrollmentType>,
    /// The configuration types of `management.client-capabilities` → `supported-payloads` →
    /// `declarations` → `configurations`, limited to the ones ringmaster serves; `None` until the
    /// device reports them.
    pub configurations: Option<BTreeSet<String>>,
}

/// At most this many configuration types are read from a client-capabilities item.
pub const MAX_CAPABILITY_ENTRIES: usize = 1000;

impl DeviceCapabilities {
    /// The configuration types ringmaster serves that a `management.client-capabilities` value
    /// lists; `None` when the value has no such list. Reads at most [`MAX_CAPABILITY_ENTRIES`].
    pub fn configurations_of(client_capabilities: &Value) -> Option<BTreeSet<String>> {
        let listed = client_capabilities
            .get("supported-payloads")?
            .get("declarations")?
            .get("configurations")?
            .as_array()?;
        Some(
            listed
                .iter()
                .take(MAX_CAPABILITY_ENTRIES)
                .filter_map(Value::as_str)
                .filter(|name| {
                    DECLARATION_SUPPORT
                        .iter()
                        .any(|entry| entry.declaration_type.as_str() == *name)
                })
                .map(str::to_owned)
                .collect(),
        )
    }

    fn lists(&self, declaration_type: DeclarationType) -> bool {
        self.configurations
            .as_ref()
            .is_none_or(|listed| listed.contains(declaration_type.as_str()))
    }
}

/// Which software-update declarations and keys one device can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSupport {
    /// `softwareupdate.settings`.
    pub settings: bool,
    /// `softwareupdate.enforcement.specific`.
    pub enforcement: bool,
    /// The settings key `Beta`.
    pub beta: bool,
    /// Why neither declaration can be sent, when that is so.
    reason: Option<String>,
}

impl UpdateSupport {
    /// Everything is supported (a device whose OS is not known yet is not gated).
    pub fn everything() -> UpdateSupport {
        UpdateSupport {
            settings: true,
            enforcement: true,
            beta: true,
            reason: None,
        }
    }

    /// The device can take at least one software-update declaration.
    pub fn any(&self) -> bool {
        self.settings || self.enforcement
    }

    /// Why the device can take no software-update declaration, in words
    /// (`macOS 13.6 cannot take software-update declarations; enforcement needs macOS 14`).
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

/// What `version` of `platform`, enrolled and reporting as `capabilities` says, can take.
pub fn update_support(
    platform: Platform,
    version: &AppleOsVersion,
    capabilities: &DeviceCapabilities,
) -> UpdateSupport {
    let user_enrollment = capabilities
        .enrollment
        .is_some_and(EnrollmentType::is_user_enrollment);
    let allowed = |declaration_type: DeclarationType| {
        let entry = declaration_support(declaration_type);
        entry.introduced.admits(platform, version)
            && (entry.user_enrollment || !user_enrollment)
            && capabilities.lists(declaration_type)
    };
    let settings = allowed(DeclarationType::SoftwareUpdateSettings);
    let enforcement = allowed(DeclarationType::SoftwareUpdateEnforcementSpecific);
    let beta = settings
        && KEY_SUPPORT
            .iter()
            .filter(|key| key.key == "Beta")
            .all(|key| key.introduced.admits(platform, version));
    let reason = (!settings && !enforcement).then(|| {
        let enforcement_floor =
            declaration_support(DeclarationType::SoftwareUpdateEnforcementSpecific)
                .introduced
                .on(platform);
        if user_enrollment {
            format!(
                "a device enrolled by User Enrollment cannot take software-update declarations \
                 (Apple allows them only on device enrollments); {platform} {version} is left to \
                 its user"
            )
        } else if let Some(floor) = enforcement_floor.filter(|floor| !floor.admits(version)) {
            format!(
                "{platform} {version} cannot take software-update declarations; enforcement \
                 needs {platform} {floor}"
            )
        } else {
            format!(
                "{platform} {version} does not list softwareupdate.enforcement.specific or \
                 softwareupdate.settings in its client capabilities"
            )
        }
    });
    UpdateSupport {
        settings,
        enforcement,
        beta,
        reason,
    }
}

#[cfg(test)]
mod tests;
