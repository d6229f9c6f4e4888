//! What a status report says about the device itself: the row it implies (platform, version
//! with its supplemental suffix, build, model, software-update id), read by the status writer
//! ([`super::status_batch`]).

use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::device_status::merge::DeviceStatus;
use ringmaster_domain::ids::DeviceId;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::devices::{DeviceDocument, StoredDevice};

/// The device record a status implies, when it says more than (or differs from) what is stored.
/// The model comes from `device.model.identifier` and the software-update id from
/// `softwareupdate.device-id`, each kept when the status does not say; the version carries the
/// supplemental suffix and the build is the supplemental build while one is installed.
pub fn device_update(device: &StoredDevice, status: &DeviceStatus) -> Option<DeviceDocument> {
    let os = status.operating_system();
    let model_identifier = status.model().identifier.filter(|id| !id.is_empty());
    let platform = match os.family.as_deref() {
        Some("macOS") => Some(Platform::MacOs),
        Some("iOS") | Some("iPadOS") => Some(Platform::Ios),
        _ => None,
    }
    .or_else(|| platform_of_family(status.model().family.as_deref()?))
    .or(device.platform)
    .or_else(|| platform_of_model(model_identifier.as_deref()?))?;
    let installed = os.installed();
    let os_version = installed
        .as_ref()
        .map(|installed| installed.version.clone())
        .or_else(|| device.os_version.clone())?;
    let os_build = installed
        .and_then(|installed| installed.supplemental_build)
        .or_else(|| os.build.clone())
        .or_else(|| device.os_build.clone());
    let model = model_identifier.or_else(|| device.model.clone());
    let software_update_device_id = status
        .software_update()
        .device_id
        .filter(|id| !id.is_empty())
        .or_else(|| device.software_update_device_id.clone());
    let unchanged = device.platform == Some(platform)
        && device.os_version.as_ref().map(AppleOsVersion::as_str) == Some(os_version.as_str())
        && device.os_build == os_build
        && device.model == model
        && device.software_update_device_id == software_update_device_id;
    if unchanged {
        return None;
    }
    Some(DeviceDocument {
        id: DeviceId::parse_stored(&device.id).ok()?,
        platform,
        os_version,
        os_build,
        model,
        software_update_device_id,
    })
}

/// The platform of a `device.model.family` (`Mac`; `iPhone`, `iPad`, `iPod`), for a device
/// that reports no OS family.
fn platform_of_family(family: &str) -> Option<Platform> {
    match family {
        "Mac" => Some(Platform::MacOs),
        "iPhone" | "iPad" | "iPod" => Some(Platform::Ios),
        _ => None,
    }
}

/// The platform a model identifier belongs to, for a device that reports its model but not its
/// OS family (`Mac14,2`, `MacBookPro18,3`, `iMac21,1` → macOS; `iPhone17,1`, `iPad16,3` → iOS).
fn platform_of_model(identifier: &str) -> Option<Platform> {
    let mac = [
        "Mac",
        "iMac",
        "MacBook",
        "MacBookAir",
        "MacBookPro",
        "Macmini",
        "MacPro",
    ];
    if identifier.starts_with("iPhone")
        || identifier.starts_with("iPad")
        || identifier.starts_with("iPod")
    {
        Some(Platform::Ios)
    } else if mac.iter().any(|prefix| identifier.starts_with(prefix))
        || identifier.starts_with("VirtualMac")
    {
        Some(Platform::MacOs)
    } else {
        None
    }
}
