//! JSON (the API's camelCase policy shape) → [`UpdatePolicy`], reporting every problem at once.
//!
//! Rules, beyond the types and ranges of each field:
//! - `kind` is `automatic` (the default, when absent or `null`) or `specificVersion`, whose
//!   document is read by [`crate::policy::specific::parse`]; each kind refuses the other's keys
//!   at their pointers;
//! - `name` and `platform` are required; every other field may be left out (defaults in
//!   [`crate::policy::model`]); `null` counts as left out;
//! - unknown keys are refused at every level, and a deferral key of the other platform is refused
//!   with a message naming the right keys;
//! - integers are JSON integers (`"7"` and `7.5` are refused, never coerced), booleans are JSON
//!   booleans;
//! - `enforcement.localTime` is `HH:MM` (24-hour) and required when `enforcement.enabled` is true;
//! - `enforcement.maxVersion` is an Apple version (`15.99`): no target above it;
//! - an install action (`installOSUpdates`, `installSecurityResponse`) must be compatible with
//!   `download`: the three combinations JumpCloud documents are refused with
//!   `Invalid global settings declaration: <reason>`, for both install actions (Apple's 2026 seed:
//!   both `Install*` actions are used only when automatic downloads are on);
//! - `beta.offeredPrograms` is allowed only with `programEnrollment` `userAllowed` or `alwaysOn`
//!   (Apple's rule for `OfferPrograms`); each program has a non-empty description and token, and
//!   tokens are unique.
//!
//! Settings Apple does not support on the policy's platform are accepted with a [`Warning`]:
//! `recommendedCadence` on macOS, `updatePermissions: adminsOnly` on iOS. They are kept in the
//! policy (so the admin reads back what they wrote) and never sent to devices.

use std::collections::HashMap;

use jiff::civil::Time;
use serde_json::{Map, Value};

use crate::apple_version::AppleOsVersion;
use crate::field_error::FieldErrors;
use crate::json_read::{describe, expect_object};
use crate::platform::Platform;
use crate::policy::model::{
    ActionMode, ApiValue, AutomaticActions, Beta, BetaProgram, DeferralDays, Deferrals, DetailsUrl,
    Enforcement, GraceDays, PolicyKind, PolicyName, ProgramEnrollment, RapidSecurityResponse,
    UpdatePermissions, UpdatePolicy,
};
use crate::policy::specific::KindName;
use crate::policy::specific::parse::{
    AUTOMATIC_KEYS, SPECIFIC_KEYS, read_kind, read_specific_policy, refuse_specific_keys,
};

mod reader;

use crate::json_read::object::ObjectReader;
use reader::{UNKNOWN, optional_days, optional_value};

/// A valid policy and the warnings about settings that will not reach devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPolicy {
    pub policy: UpdatePolicy,
    pub warnings: Vec<Warning>,
}

/// A setting that is accepted but has no effect, named by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub pointer: String,
    pub message: String,
}

/// The prefix of every refused automatic-action combination (JumpCloud's wording).
pub const INVALID_GLOBAL_SETTINGS: &str = "Invalid global settings declaration";

/// Why `install` cannot go with `download`, in JumpCloud's words; `None` when compatible.
pub fn automatic_action_conflict(
    download: ActionMode,
    install: ActionMode,
) -> Option<&'static str> {
    match (download, install) {
        (ActionMode::UserControlled, ActionMode::AlwaysOn) => {
            Some("Installation is forced, but downloading is not guaranteed.")
        }
        (ActionMode::AlwaysOff, ActionMode::UserControlled) => {
            Some("Users can install updates that the Mac is not permitted to download.")
        }
        (ActionMode::AlwaysOff, ActionMode::AlwaysOn) => {
            Some("Installation cannot be forced when downloading is disabled.")
        }
        _ => None,
    }
}

/// Parses and validates a policy document (what `POST/PUT /api/v1/policies` receive).
pub fn parse_policy(document: &Value) -> Result<ParsedPolicy, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut warnings = Vec::new();
    let Some(object) = expect_object(document, "", &mut errors) else {
        return Err(errors);
    };
    let mut reader = ObjectReader::new(object, "", &mut errors);
    let kind = read_kind(&mut reader);
    let name = reader.required_string("name").and_then(|text| {
        PolicyName::parse(&text)
            .map_err(|why| reader.error("name", why))
            .ok()
    });
    let platform = match reader.field("platform") {
        None => {
            reader.error("platform", "platform is required (\"macOS\" or \"iOS\")");
            None
        }
        Some(Value::String(text)) => Platform::parse(text)
            .map_err(|why| reader.error("platform", why))
            .ok(),
        Some(other) => {
            reader.error(
                "platform",
                format!(
                    "platform must be the string \"macOS\" or \"iOS\", not {}",
                    describe(other)
                ),
            );
            None
        }
    };
    match kind {
        Some(KindName::Automatic) => refuse_specific_keys(&mut reader),
        Some(KindName::SpecificVersion) => {
            let policy = read_specific_policy(reader, name, platform);
            return match policy {
                Some(policy) => errors.into_result(ParsedPolicy {
                    policy,
                    warnings: Vec::new(),
                }),
                None => Err(errors),
            };
        }
        None => {
            // An unknown kind: its fields cannot be read, and are not refused one by one.
            reader.declare(&AUTOMATIC_KEYS);
            reader.declare(&SPECIFIC_KEYS);
            return Err(errors);
        }
    }
    let deferrals = match reader.optional_object("deferrals") {
        Some(Some(object)) => read_deferrals(object, platform, reader.errors),
        Some(None) => platform.map(Deferrals::none),
        None => None,
    };
    let enforcement = match reader.optional_object("enforcement") {
        Some(Some(object)) => read_enforcement(object, reader.errors),
        Some(None) => Some(Enforcement::default()),
        None => None,
    };
    let update_permissions = optional_value::<UpdatePermissions>(&mut reader, "updatePermissions");
    let notifications = optional_value(&mut reader, "notifications");
    let recommended_cadence = optional_value(&mut reader, "recommendedCadence");
    let automatic_actions = match reader.optional_object("automaticActions") {
        Some(Some(object)) => read_automatic_actions(object, reader.errors),
        Some(None) => Some(AutomaticActions::default()),
        None => None,
    };
    let rapid_security_response = match reader.optional_object("rapidSecurityResponse") {
        Some(Some(object)) => read_rapid_security_response(object, reader.errors),
        Some(None) => Some(RapidSecurityResponse::default()),
        None => None,
    };
    let beta = match reader.optional_object("beta") {
        Some(Some(object)) => read_beta(object, reader.errors),
        Some(None) => Some(Beta::default()),
        None => None,
    };
    reader.refuse_unknown(UNKNOWN);

    if platform == Some(Platform::MacOs) && matches!(recommended_cadence, Some(Some(_))) {
        warnings.push(Warning {
            pointer: "/recommendedCadence".into(),
            message: "recommendedCadence is not sent to macOS devices: Apple's software-update \
                      settings support it only on iOS and iPadOS"
                .into(),
        });
    }
    if platform == Some(Platform::Ios)
        && update_permissions == Some(Some(UpdatePermissions::AdminsOnly))
    {
        warnings.push(Warning {
            pointer: "/updatePermissions".into(),
            message: "updatePermissions is not sent to iOS devices: Apple's \
                      AllowStandardUserOSUpdates exists only on macOS"
                .into(),
        });
    }

    let (
        Some(name),
        Some(deferrals),
        Some(enforcement),
        Some(update_permissions),
        Some(notifications),
        Some(recommended_cadence),
        Some(automatic_actions),
        Some(rapid_security_response),
        Some(beta),
    ) = (
        name,
        deferrals,
        enforcement,
        update_permissions,
        notifications,
        recommended_cadence,
        automatic_actions,
        rapid_security_response,
        beta,
    )
    else {
        return Err(errors);
    };
    let policy = UpdatePolicy {
        name,
        kind: PolicyKind::Automatic,
        deferrals,
        enforcement,
        update_permissions: update_permissions.unwrap_or_default(),
        notifications: notifications.unwrap_or_default(),
        recommended_cadence,
        automatic_actions,
        rapid_security_response,
        beta,
    };
    errors.into_result(ParsedPolicy { policy, warnings })
}

const IOS_DEFERRAL_KEYS: [&str; 1] = ["combinedDays"];

fn read_deferrals(
    object: &Map<String, Value>,
    platform: Option<Platform>,
    errors: &mut FieldErrors,
) -> Option<Deferrals> {
    let mut reader = ObjectReader::new(object, "/deferrals", errors);
    // Each: Some(days) when read (days None = unset), None after an error.
    let major = read_deferral(&mut reader, "majorDays", platform);
    let minor = read_deferral(&mut reader, "minorDays", platform);
    let system = read_deferral(&mut reader, "systemDays", platform);
    let combined = read_deferral(&mut reader, "combinedDays", platform);
    reader.refuse_unknown(UNKNOWN);
    let platform = platform?;
    match platform {
        Platform::MacOs => Some(Deferrals::MacOs {
            major: major?,
            minor: minor?,
            system: system?,
        }),
        Platform::Ios => Some(Deferrals::Ios {
            combined: combined?,
        }),
    }
}

/// Reads one deferral period. Outer `None`: an error was recorded. Inner `None`: unset.
/// A key of the other platform is refused with a message naming the right keys; with the
/// platform unknown (itself an error) every key is read for its range only.
fn read_deferral(
    reader: &mut ObjectReader<'_, '_>,
    key: &'static str,
    platform: Option<Platform>,
) -> Option<Option<DeferralDays>> {
    let key_platform = if IOS_DEFERRAL_KEYS.contains(&key) {
        Platform::Ios
    } else {
        Platform::MacOs
    };
    if let Some(platform) = platform
        && platform != key_platform
    {
        if reader.take_if_present(key) {
            let message = match platform {
                Platform::Ios => format!(
                    "{key} is a macOS deferral; iOS policies have one combined period: use combinedDays"
                ),
                Platform::MacOs => format!(
                    "{key} is the iOS deferral; macOS policies use majorDays, minorDays and systemDays"
                ),
            };
            reader.error(key, message);
        }
        return Some(None);
    }
    let Some(days) = optional_days(reader, key)? else {
        return Some(None);
    };
    match DeferralDays::parse(days) {
        Ok(days) => Some(Some(days)),
        Err(why) => {
            reader.error(key, format!("{key}: {why}"));
            None
        }
    }
}

fn read_enforcement(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Enforcement> {
    let mut reader = ObjectReader::new(object, "/enforcement", errors);
    let enabled = reader.optional_bool("enabled");
    let grace_period = optional_days(&mut reader, "gracePeriodDays").map(|days| {
        days.map_or(Some(GraceDays::DEFAULT), |days| {
            GraceDays::parse(days)
                .map_err(|why| reader.error("gracePeriodDays", format!("gracePeriodDays: {why}")))
                .ok()
        })
    });
    let local_time = reader.optional_string("localTime").map(|text| {
        text.map_or(Some(None), |text| {
            parse_local_time(&text)
                .map_err(|why| reader.error("localTime", why))
                .ok()
                .map(Some)
        })
    });
    if enabled == Some(Some(true)) && local_time == Some(Some(None)) {
        reader.error(
            "localTime",
            "localTime is required when enforcement is enabled (\"HH:MM\", the device's local time)",
        );
    }
    let details_url = reader.optional_string("detailsUrl").map(|text| {
        text.map_or(Some(None), |text| {
            DetailsUrl::parse(&text)
                .map_err(|why| reader.error("detailsUrl", format!("detailsUrl: {why}")))
                .ok()
                .map(Some)
        })
    });
    let scope = optional_value(&mut reader, "scope");
    let max_version = reader.optional_string("maxVersion").map(|text| {
        text.map_or(Some(None), |text| {
            AppleOsVersion::parse(&text)
                .map_err(|why| reader.error("maxVersion", format!("maxVersion: {why}")))
                .ok()
                .map(Some)
        })
    });
    reader.refuse_unknown(UNKNOWN);
    Some(Enforcement {
        enabled: enabled?.unwrap_or(false),
        grace_period: grace_period??,
        local_time: local_time??,
        details_url: details_url??,
        scope: scope?.unwrap_or_default(),
        max_version: max_version??,
    })
}

/// Reads `HH:MM` in 24-hour form (`17:00`, `08:30`).
pub fn parse_local_time(text: &str) -> Result<Time, String> {
    let invalid = || {
        format!("localTime {text:?} is not a 24-hour time written HH:MM (for example \"17:00\")")
    };
    let bytes = text.as_bytes();
    if bytes.len() != 5
        || bytes[2] != b':'
        || ![0, 1, 3, 4]
            .iter()
            .all(|&index| bytes[index].is_ascii_digit())
    {
        return Err(invalid());
    }
    let hour = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
    let minute = (bytes[3] - b'0') * 10 + (bytes[4] - b'0');
    Time::new(hour as i8, minute as i8, 0, 0).map_err(|_| invalid())
}

fn read_automatic_actions(
    object: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<AutomaticActions> {
    let mut reader = ObjectReader::new(object, "/automaticActions", errors);
    let download = optional_value::<ActionMode>(&mut reader, "download");
    let install_os_updates = optional_value::<ActionMode>(&mut reader, "installOSUpdates");
    let install_security_response =
        optional_value::<ActionMode>(&mut reader, "installSecurityResponse");
    if let Some(download) = download {
        let download = download.unwrap_or_default();
        for (key, install) in [
            ("installOSUpdates", install_os_updates),
            ("installSecurityResponse", install_security_response),
        ] {
            if let Some(install) = install
                && let Some(reason) =
                    automatic_action_conflict(download, install.unwrap_or_default())
            {
                reader.error(key, format!("{INVALID_GLOBAL_SETTINGS}: {reason}"));
            }
        }
    }
    reader.refuse_unknown(UNKNOWN);
    Some(AutomaticActions {
        download: download?.unwrap_or_default(),
        install_os_updates: install_os_updates?.unwrap_or_default(),
        install_security_response: install_security_response?.unwrap_or_default(),
    })
}

fn read_rapid_security_response(
    object: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<RapidSecurityResponse> {
    let mut reader = ObjectReader::new(object, "/rapidSecurityResponse", errors);
    let defaults = RapidSecurityResponse::default();
    let offer = reader.optional_bool("offer");
    let allow_rollback = reader.optional_bool("allowRollback");
    reader.refuse_unknown(UNKNOWN);
    Some(RapidSecurityResponse {
        offer: offer?.unwrap_or(defaults.offer),
        allow_rollback: allow_rollback?.unwrap_or(defaults.allow_rollback),
    })
}

fn read_beta(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Beta> {
    let mut reader = ObjectReader::new(object, "/beta", errors);
    let program_enrollment = optional_value::<ProgramEnrollment>(&mut reader, "programEnrollment");
    let programs = match reader.field("offeredPrograms") {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let mut programs = Vec::with_capacity(items.len());
            let mut all_read = true;
            let mut first_index_of_token: HashMap<&str, usize> = HashMap::new();
            for (index, item) in items.iter().enumerate() {
                let pointer = format!("/beta/offeredPrograms/{index}");
                match read_beta_program(item, &pointer, reader.errors) {
                    Some(program) => {
                        if let Some(first) = first_index_of_token.get(program.token.as_str()) {
                            reader.errors.push(
                                format!("{pointer}/token"),
                                format!(
                                    "this token is already offered at /beta/offeredPrograms/{first}/token; tokens must be unique"
                                ),
                            );
                            all_read = false;
                        } else {
                            let token = item.get("token").and_then(Value::as_str).unwrap_or("");
                            first_index_of_token.insert(token, index);
                        }
                        programs.push(program);
                    }
                    None => all_read = false,
                }
            }
            all_read.then_some(programs)
        }
        Some(other) => {
            reader.error(
                "offeredPrograms",
                format!(
                    "offeredPrograms must be an array of {{\"description\", \"token\"}} objects, not {}",
                    describe(other)
                ),
            );
            None
        }
    };
    if let (Some(enrollment), Some(programs)) = (program_enrollment, &programs) {
        let enrollment = enrollment.unwrap_or_default();
        if !programs.is_empty() && !enrollment.allows_offered_programs() {
            reader.error(
                "offeredPrograms",
                format!(
                    "offeredPrograms needs programEnrollment \"userAllowed\" or \"alwaysOn\" (Apple's rule); it is \"{}\"",
                    enrollment.as_str()
                ),
            );
        }
    }
    reader.refuse_unknown(UNKNOWN);
    Some(Beta {
        program_enrollment: program_enrollment?.unwrap_or_default(),
        offered_programs: programs?,
    })
}

fn read_beta_program(
    value: &Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<BetaProgram> {
    let before = errors.len();
    let object = expect_object(value, pointer, errors)?;
    let mut reader = ObjectReader::new(object, pointer, errors);
    let description = reader.required_non_empty_string("description");
    let token = reader.required_non_empty_string("token");
    reader.refuse_unknown(UNKNOWN);
    if errors.len() > before {
        return None;
    }
    Some(BetaProgram {
        description: description?,
        token: token?,
    })
}

#[cfg(test)]
mod tests;
