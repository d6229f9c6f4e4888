//! Reading the `kind` of a policy document, and the fields of a specific-version policy, through
//! the shared [`ObjectReader`]; the keys of the other kind are refused at their pointers.

use crate::apple_version::AppleOsVersion;
use crate::json_read::object::{ObjectReader, UnknownKey};
use crate::platform::Platform;
use crate::policy::model::{ApiValue, Deferrals, DetailsUrl, PolicyKind, PolicyName, UpdatePolicy};
use crate::policy::specific::{KindName, SpecificVersion, parse_deadline, quoted};

/// The longest build accepted, as the feeds' builds (letters and digits).
pub const MAX_TARGET_BUILD_CHARS: usize = 16;

/// The keys only an automatic policy has.
pub const AUTOMATIC_KEYS: [&str; 8] = [
    "deferrals",
    "enforcement",
    "updatePermissions",
    "notifications",
    "recommendedCadence",
    "automaticActions",
    "rapidSecurityResponse",
    "beta",
];

/// The keys only a specific-version policy has.
pub const SPECIFIC_KEYS: [&str; 4] = ["targetVersion", "targetBuild", "deadline", "detailsUrl"];

/// Reads `kind`: absent or `null` is automatic. `None` after an error (recorded at `/kind`).
pub fn read_kind(reader: &mut ObjectReader<'_, '_>) -> Option<KindName> {
    let text = reader.optional_string("kind")?;
    let Some(text) = text else {
        return Some(KindName::Automatic);
    };
    let found = KindName::from_api(&text);
    if found.is_none() {
        reader.error(
            "kind",
            format!(
                "kind must be \"automatic\" (settings and the newest release, the default) or \
                 \"specificVersion\" (one version by one deadline), not {}",
                quoted(&text)
            ),
        );
    }
    found
}

/// Refuses, in an automatic policy, the keys of a specific-version one.
pub fn refuse_specific_keys(reader: &mut ObjectReader<'_, '_>) {
    for key in SPECIFIC_KEYS {
        if reader.take_if_present(key) {
            let message = if key == "detailsUrl" {
                "detailsUrl at the top level belongs to \"kind\": \"specificVersion\" policies; an \
                 automatic policy sets it in enforcement.detailsUrl"
                    .to_owned()
            } else {
                format!(
                    "{key} belongs to \"kind\": \"specificVersion\" policies; this policy is \
                     automatic (add \"kind\": \"specificVersion\" to enforce one version by a \
                     deadline)"
                )
            };
            reader.error(key, message);
        }
    }
}

/// Reads the rest of a specific-version policy once `name` and `platform` are read (each `None`
/// after its error). `None` when anything was refused.
pub fn read_specific_policy(
    mut reader: ObjectReader<'_, '_>,
    name: Option<PolicyName>,
    platform: Option<Platform>,
) -> Option<UpdatePolicy> {
    let target_version = match reader.required_string("targetVersion") {
        Some(text) => AppleOsVersion::parse(&text)
            .map_err(|why| reader.error("targetVersion", format!("targetVersion: {why}")))
            .ok(),
        None => None,
    };
    let target_build = reader.optional_string("targetBuild").map(|text| {
        text.map_or(Some(None), |text| {
            check_build(&text)
                .map_err(|why| reader.error("targetBuild", why))
                .ok()
                .map(Some)
        })
    });
    let deadline = match reader.required_string("deadline") {
        Some(text) => parse_deadline(&text)
            .map_err(|why| reader.error("deadline", why))
            .ok(),
        None => None,
    };
    let details_url = reader.optional_string("detailsUrl").map(|text| {
        text.map_or(Some(None), |text| {
            DetailsUrl::parse(&text)
                .map_err(|why| reader.error("detailsUrl", format!("detailsUrl: {why}")))
                .ok()
                .map(Some)
        })
    });
    for key in AUTOMATIC_KEYS {
        if reader.take_if_present(key) {
            reader.error(
                key,
                format!(
                    "{key} belongs to automatic policies; a \"specificVersion\" policy takes only \
                     targetVersion, targetBuild, deadline and detailsUrl (the device's settings \
                     come from its automatic policy)"
                ),
            );
        }
    }
    reader.refuse_unknown(UnknownKey::ListKnown);
    Some(UpdatePolicy {
        name: name?,
        kind: PolicyKind::SpecificVersion(SpecificVersion {
            target_version: target_version?,
            target_build: target_build??,
            deadline: deadline?,
            details_url: details_url??,
        }),
        deferrals: Deferrals::none(platform?),
        enforcement: Default::default(),
        update_permissions: Default::default(),
        notifications: Default::default(),
        recommended_cadence: None,
        automatic_actions: Default::default(),
        rapid_security_response: Default::default(),
        beta: Default::default(),
    })
}

/// A build such as `24E263`: 1 to [`MAX_TARGET_BUILD_CHARS`] ASCII letters and digits.
pub fn check_build(text: &str) -> Result<String, String> {
    if text.is_empty()
        || text.len() > MAX_TARGET_BUILD_CHARS
        || !text.bytes().all(|byte| byte.is_ascii_alphanumeric())
    {
        return Err(format!(
            "targetBuild {} is not a build: 1 to {MAX_TARGET_BUILD_CHARS} letters and \
             digits, such as 24E263 (leave it out to let each device take its own build)",
            quoted(text)
        ));
    }
    Ok(text.to_owned())
}
