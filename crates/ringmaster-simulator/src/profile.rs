//! [`DeviceProfile`]: who a simulated device is (enrollment id and channel, platform, model) and
//! what it runs when the simulation starts.

use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::platform::Platform;

use crate::kinds::EnrollmentChannel;

/// Who the device is and what it runs when the simulation starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProfile {
    /// The `X-Enrollment-ID` the device sends.
    pub enrollment_id: String,
    pub platform: Platform,
    /// `device.operating-system.version` (a supplemental suffix, if any, is reported in
    /// `device.operating-system.supplemental.extra-version`).
    pub os_version: AppleOsVersion,
    /// `device.operating-system.build-version`, such as `25A362`.
    pub build_version: String,
    /// `device.model.identifier`, such as `Mac14,2` or `iPhone17,1`.
    pub model_identifier: String,
    /// `softwareupdate.device-id`, matched against Apple's supported-device lists: a board id
    /// for Macs (`J413AP`), the product type for iPhones (`iPhone17,1`). Reported only where
    /// the OS has the item (macOS 15, iOS 18 and later; see [`crate::kinds`]).
    pub device_id: String,
    /// The channel it checks in on (`X-Enrollment-Type`); [`EnrollmentChannel::Device`] unless
    /// set with [`DeviceProfile::on_channel`].
    pub channel: EnrollmentChannel,
    /// A user channel's device channel (`X-Enrollment-ParentID`).
    pub parent_id: Option<String>,
}

impl DeviceProfile {
    /// A profile from text; errors when `os_version` is not an Apple version.
    pub fn new(
        enrollment_id: &str,
        platform: Platform,
        os_version: &str,
        build_version: &str,
        model_identifier: &str,
        device_id: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            enrollment_id: enrollment_id.to_owned(),
            platform,
            os_version: AppleOsVersion::parse(os_version)?,
            build_version: build_version.to_owned(),
            model_identifier: model_identifier.to_owned(),
            device_id: device_id.to_owned(),
            channel: EnrollmentChannel::Device,
            parent_id: None,
        })
    }

    /// The same device checking in on `channel`, a user channel under `parent_id`.
    pub fn on_channel(mut self, channel: EnrollmentChannel, parent_id: Option<String>) -> Self {
        self.channel = channel;
        self.parent_id = parent_id;
        self
    }

    /// A MacBook Air (M2, 2022) on macOS 26.0.1 (`25A362`): model `Mac14,2`, device id `J413AP`.
    pub fn example_mac(enrollment_id: &str) -> Self {
        Self::new(
            enrollment_id,
            Platform::MacOs,
            "26.0.1",
            "25A362",
            "Mac14,2",
            "J413AP",
        )
        .expect("a valid example")
    }

    /// An iPhone 16 Pro on iOS 26.0.1 (`23A355`): model and device id `iPhone17,1`.
    pub fn example_iphone(enrollment_id: &str) -> Self {
        Self::new(
            enrollment_id,
            Platform::Ios,
            "26.0.1",
            "23A355",
            "iPhone17,1",
            "iPhone17,1",
        )
        .expect("a valid example")
    }
}
