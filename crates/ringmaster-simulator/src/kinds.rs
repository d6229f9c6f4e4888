//! What kind of enrollment a simulated device is, and what its OS and channel support, as real
//! Apple devices behave.
//!
//! The channel ([`EnrollmentChannel`]) is sent the way NanoMDM forwards a check-in:
//! `X-Enrollment-Type` (`Device`, `User`, `User Enrollment (Device)`, `User Enrollment`,
//! `Shared iPad`) and, on a user channel, `X-Enrollment-ParentID` naming the device channel.
//!
//! Support follows the `supportedOS` facts of Apple's device-management schemas (the
//! `apple-device-management` repository) for the items and types ringmaster uses:
//!
//! | status item or declaration | iOS | macOS | User Enrollment | user channel |
//! |---|---|---|---|---|
//! | `device.model.*`, `device.operating-system.{family,version,build-version}` | 15.0 | 13.0 | yes | macOS, Shared iPad |
//! | `device.operating-system.supplemental.*` | 16.1 | 13.0 | yes | macOS, Shared iPad |
//! | `management.client-capabilities`, `management.declarations`, status subscriptions | 15.0 | 13.0 | yes | yes |
//! | `softwareupdate.{install-state,pending-version,failure-reason,install-reason}`, enforcement | 17.0 | 14.0 | no | no |
//! | `softwareupdate.{device-id,beta-enrollment}`, `softwareupdate.settings` | 18.0 | 15.0 | no | no |
//!
//! So a macOS 13 Mac reports no `softwareupdate.*` item and does not know an enforcement
//! (`Error.UnknownDeclarationType`, `valid: "unknown"`); `softwareupdate.device-id` appears from
//! macOS 15 and iOS 18; a user channel or a User Enrollment device reports no `softwareupdate.*`
//! item and refuses software-update declarations as `Error.ConfigurationNotSupported`.

use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;

use crate::device::DeviceProfile;
use crate::validate::{Checked, Content, StatusReason, UNKNOWN_DECLARATION_TYPE};

/// The channel an enrollment checks in on, as NanoMDM names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnrollmentChannel {
    /// A supervised device's device channel.
    Device,
    /// A Mac user's channel (its parent is the Mac's device channel).
    User,
    /// An account-driven User Enrollment (BYOD) device's device channel.
    UserEnrollmentDevice,
    /// A User Enrollment's user channel.
    UserEnrollment,
    /// A Shared iPad user's channel (its parent is the iPad's device channel).
    SharedIpad,
}

impl EnrollmentChannel {
    /// The `X-Enrollment-Type` value NanoMDM sends.
    pub fn header_value(self) -> &'static str {
        match self {
            EnrollmentChannel::Device => "Device",
            EnrollmentChannel::User => "User",
            EnrollmentChannel::UserEnrollmentDevice => "User Enrollment (Device)",
            EnrollmentChannel::UserEnrollment => "User Enrollment",
            EnrollmentChannel::SharedIpad => "Shared iPad",
        }
    }

    /// A user channel (user scope), which has a parent device channel.
    pub fn is_user_channel(self) -> bool {
        matches!(
            self,
            EnrollmentChannel::User
                | EnrollmentChannel::UserEnrollment
                | EnrollmentChannel::SharedIpad
        )
    }

    /// Enrolled by User Enrollment (Apple's `user` enrollment), either channel.
    pub fn is_user_enrollment(self) -> bool {
        matches!(
            self,
            EnrollmentChannel::UserEnrollmentDevice | EnrollmentChannel::UserEnrollment
        )
    }
}

/// Which row of the module table a status item or declaration type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feature {
    DeviceBasics,
    Supplemental,
    Management,
    SoftwareUpdate,
    SoftwareUpdateSettings,
}

fn item_feature(name: &str) -> Option<Feature> {
    Some(match name {
        "device.model.family"
        | "device.model.identifier"
        | "device.operating-system.family"
        | "device.operating-system.version"
        | "device.operating-system.build-version" => Feature::DeviceBasics,
        "device.operating-system.supplemental.build-version"
        | "device.operating-system.supplemental.extra-version" => Feature::Supplemental,
        "management.client-capabilities" | "management.declarations" => Feature::Management,
        "softwareupdate.install-state"
        | "softwareupdate.pending-version"
        | "softwareupdate.failure-reason"
        | "softwareupdate.install-reason" => Feature::SoftwareUpdate,
        "softwareupdate.device-id" | "softwareupdate.beta-enrollment" => {
            Feature::SoftwareUpdateSettings
        }
        _ => return None,
    })
}

fn declaration_feature(declaration_type: &str) -> Option<Feature> {
    Some(match declaration_type {
        "com.apple.configuration.softwareupdate.enforcement.specific" => Feature::SoftwareUpdate,
        "com.apple.configuration.softwareupdate.settings" => Feature::SoftwareUpdateSettings,
        "com.apple.configuration.management.status-subscriptions"
        | "com.apple.activation.simple" => Feature::Management,
        _ => return None,
    })
}

/// `(iOS, macOS)` versions a feature arrived in.
fn introduced(feature: Feature) -> [(u32, u32); 2] {
    match feature {
        Feature::DeviceBasics | Feature::Management => [(15, 0), (13, 0)],
        Feature::Supplemental => [(16, 1), (13, 0)],
        Feature::SoftwareUpdate => [(17, 0), (14, 0)],
        Feature::SoftwareUpdateSettings => [(18, 0), (15, 0)],
    }
}

/// Why `feature` is not supported on this device, or `None` when it is.
fn unsupported(
    feature: Feature,
    platform: Platform,
    version: &AppleOsVersion,
    channel: EnrollmentChannel,
) -> Option<String> {
    let [ios, macos] = introduced(feature);
    let (major, minor) = match platform {
        Platform::Ios => ios,
        Platform::MacOs => macos,
    };
    if (version.major(), version.minor()) < (major, minor) {
        return Some(format!(
            "needs {platform} {major}.{minor} or later; this device runs {}",
            version.as_str()
        ));
    }
    let software_update = matches!(
        feature,
        Feature::SoftwareUpdate | Feature::SoftwareUpdateSettings
    );
    if software_update && channel.is_user_enrollment() {
        return Some("is not supported on a User Enrollment".to_owned());
    }
    if software_update && channel.is_user_channel() {
        return Some("is supported on the device channel only".to_owned());
    }
    let user_scoped_on_ios = platform == Platform::Ios
        && channel.is_user_channel()
        && channel != EnrollmentChannel::SharedIpad;
    if user_scoped_on_ios && feature != Feature::Management {
        return Some("is not supported on an iOS user channel".to_owned());
    }
    None
}

/// Whether a device reports status item `name` (items outside the table: yes).
pub fn reports_item(
    name: &str,
    platform: Platform,
    version: &AppleOsVersion,
    channel: EnrollmentChannel,
) -> bool {
    item_feature(name)
        .is_none_or(|feature| unsupported(feature, platform, version, channel).is_none())
}

/// Why the device refuses a declaration of `declaration_type` (its OS or its channel lacks the
/// type), or `None` when it takes it (types outside the table: it takes them).
pub fn refuses_declaration(
    declaration_type: &str,
    platform: Platform,
    version: &AppleOsVersion,
    channel: EnrollmentChannel,
) -> Option<String> {
    let feature = declaration_feature(declaration_type)?;
    unsupported(feature, platform, version, channel).map(|why| format!("{declaration_type} {why}"))
}

/// Marks a declaration the device took as refused when its OS or channel lacks the type: a type
/// newer than the device's OS is unknown to it (`Error.UnknownDeclarationType`, reported
/// `valid: "unknown"`); a type the channel may not take is `Error.ConfigurationNotSupported`.
pub(crate) fn refuse_unsupported(checked: &mut Checked, profile: &DeviceProfile) {
    if !checked.reasons.is_empty() {
        return;
    }
    let Some(declaration_type) = checked.declaration_type.as_deref() else {
        return;
    };
    if let Some(why) = refuses_declaration(
        declaration_type,
        profile.platform,
        &profile.os_version,
        profile.channel,
    ) {
        let newer_than_the_os = declaration_feature(declaration_type).is_some_and(|feature| {
            unsupported(
                feature,
                profile.platform,
                &profile.os_version,
                EnrollmentChannel::Device,
            )
            .is_some()
        });
        let code = if newer_than_the_os {
            UNKNOWN_DECLARATION_TYPE
        } else {
            "Error.ConfigurationNotSupported"
        };
        checked.reasons.push(StatusReason::new(code, why));
        checked.content = Content::Other;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> AppleOsVersion {
        AppleOsVersion::parse(text).unwrap()
    }

    #[test]
    fn the_device_id_arrives_with_macos_15_and_ios_18() {
        let device = EnrollmentChannel::Device;
        for (platform, text, expected) in [
            (Platform::MacOs, "13.7.8", false),
            (Platform::MacOs, "14.8.1", false),
            (Platform::MacOs, "15.0", true),
            (Platform::MacOs, "26.1", true),
            (Platform::Ios, "17.7.10", false),
            (Platform::Ios, "18.0", true),
        ] {
            assert_eq!(
                reports_item("softwareupdate.device-id", platform, &version(text), device),
                expected,
                "{platform} {text}"
            );
        }
    }

    #[test]
    fn user_channels_and_user_enrollments_have_no_software_update() {
        let v = version("26.1");
        for channel in [
            EnrollmentChannel::User,
            EnrollmentChannel::UserEnrollmentDevice,
            EnrollmentChannel::SharedIpad,
        ] {
            assert!(!reports_item(
                "softwareupdate.install-state",
                Platform::MacOs,
                &v,
                channel
            ));
            assert!(
                refuses_declaration(
                    "com.apple.configuration.softwareupdate.enforcement.specific",
                    Platform::Ios,
                    &v,
                    channel
                )
                .is_some()
            );
            assert!(reports_item(
                "management.declarations",
                Platform::Ios,
                &v,
                channel
            ));
        }
        assert!(reports_item(
            "device.operating-system.version",
            Platform::MacOs,
            &v,
            EnrollmentChannel::User
        ));
    }

    #[test]
    fn macos_13_refuses_an_enforcement() {
        let why = refuses_declaration(
            "com.apple.configuration.softwareupdate.enforcement.specific",
            Platform::MacOs,
            &version("13.7.8"),
            EnrollmentChannel::Device,
        )
        .unwrap();
        assert!(why.contains("macOS 14.0"), "{why}");
    }
}
