//! JSON (the API's camelCase policy shape) → [`UpdatePolicy`], reporting every problem at once.
//!
//! Rules, beyond the types and ranges of each field:
//! - `name` and `platform` are required; every other field may be left out (defaults in
//!   [`crate::policy::model`]); `null` counts as left out;
//! - unknown keys are refused at every level, and a deferral key of the other platform is refused
//!   with a message naming the right keys;
//! - integers are JSON integers (`"7"` and `7.5` are refused, never coerced), booleans are JSON
//!   booleans;
//! - `enforcement.localTime` is `HH:MM` (24-hour) and required when `enforcement.enabled` is true;
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

use crate::catalog::release::Platform;
use crate::field_error::{FieldErrors, child};
use crate::json_read::{describe, expect_object};
use crate::policy::model::{
    ActionMode, ApiValue, AutomaticActions, Beta, BetaProgram, DeferralDays, Deferrals, DetailsUrl,
    Enforcement, GraceDays, PolicyName, ProgramEnrollment, RapidSecurityResponse,
    UpdatePermissions, UpdatePolicy,
};

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
    let mut reader = Reader::new(object, String::new(), &mut errors);
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
    let deferrals = match reader.object("deferrals") {
        Some(Some(object)) => read_deferrals(object, platform, reader.errors),
        Some(None) => platform.map(Deferrals::none),
        None => None,
    };
    let enforcement = match reader.object("enforcement") {
        Some(Some(object)) => read_enforcement(object, reader.errors),
        Some(None) => Some(Enforcement::default()),
        None => None,
    };
    let update_permissions = reader.optional_value::<UpdatePermissions>("updatePermissions");
    let notifications = reader.optional_value("notifications");
    let recommended_cadence = reader.optional_value("recommendedCadence");
    let automatic_actions = match reader.object("automaticActions") {
        Some(Some(object)) => read_automatic_actions(object, reader.errors),
        Some(None) => Some(AutomaticActions::default()),
        None => None,
    };
    let rapid_security_response = match reader.object("rapidSecurityResponse") {
        Some(Some(object)) => read_rapid_security_response(object, reader.errors),
        Some(None) => Some(RapidSecurityResponse::default()),
        None => None,
    };
    let beta = match reader.object("beta") {
        Some(Some(object)) => read_beta(object, reader.errors),
        Some(None) => Some(Beta::default()),
        None => None,
    };
    reader.finish();

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
    let mut reader = Reader::new(object, "/deferrals".into(), errors);
    // Each: Some(days) when read (days None = unset), None after an error.
    let major = read_deferral(&mut reader, "majorDays", platform);
    let minor = read_deferral(&mut reader, "minorDays", platform);
    let system = read_deferral(&mut reader, "systemDays", platform);
    let combined = read_deferral(&mut reader, "combinedDays", platform);
    reader.finish();
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
    reader: &mut Reader<'_, '_>,
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
        if reader.object.get(key).is_some_and(|value| !value.is_null()) {
            reader.known.push(key);
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
    let Some(days) = reader.optional_integer(key)? else {
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
    let mut reader = Reader::new(object, "/enforcement".into(), errors);
    let enabled = reader.optional_bool("enabled");
    let grace_period = reader.optional_integer("gracePeriodDays").map(|days| {
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
    let scope = reader.optional_value("scope");
    reader.finish();
    Some(Enforcement {
        enabled: enabled?.unwrap_or(false),
        grace_period: grace_period??,
        local_time: local_time??,
        details_url: details_url??,
        scope: scope?.unwrap_or_default(),
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
    let mut reader = Reader::new(object, "/automaticActions".into(), errors);
    let download = reader.optional_value::<ActionMode>("download");
    let install_os_updates = reader.optional_value::<ActionMode>("installOSUpdates");
    let install_security_response = reader.optional_value::<ActionMode>("installSecurityResponse");
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
    reader.finish();
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
    let mut reader = Reader::new(object, "/rapidSecurityResponse".into(), errors);
    let defaults = RapidSecurityResponse::default();
    let offer = reader.optional_bool("offer");
    let allow_rollback = reader.optional_bool("allowRollback");
    reader.finish();
    Some(RapidSecurityResponse {
        offer: offer?.unwrap_or(defaults.offer),
        allow_rollback: allow_rollback?.unwrap_or(defaults.allow_rollback),
    })
}

fn read_beta(object: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Beta> {
    let mut reader = Reader::new(object, "/beta".into(), errors);
    let program_enrollment = reader.optional_value::<ProgramEnrollment>("programEnrollment");
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
    reader.finish();
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
    let mut reader = Reader::new(object, pointer.to_owned(), errors);
    let description = reader.required_non_empty_string("description");
    let token = reader.required_non_empty_string("token");
    reader.finish();
    if errors.len() > before {
        return None;
    }
    Some(BetaProgram {
        description: description?,
        token: token?,
    })
}

/// Reads one JSON object's fields, recording problems; [`Reader::finish`] refuses unknown keys.
struct Reader<'a, 'e> {
    object: &'a Map<String, Value>,
    pointer: String,
    errors: &'e mut FieldErrors,
    known: Vec<&'static str>,
}

impl<'a, 'e> Reader<'a, 'e> {
    fn new(object: &'a Map<String, Value>, pointer: String, errors: &'e mut FieldErrors) -> Self {
        Self {
            object,
            pointer,
            errors,
            known: Vec::new(),
        }
    }

    fn error(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(child(&self.pointer, key), message);
    }

    /// The value of `key`, `None` when absent or `null`.
    fn field(&mut self, key: &'static str) -> Option<&'a Value> {
        self.known.push(key);
        self.object.get(key).filter(|value| !value.is_null())
    }

    fn required_string(&mut self, key: &'static str) -> Option<String> {
        match self.optional_string(key) {
            Some(Some(text)) => Some(text),
            Some(None) => {
                self.error(key, format!("{key} is required"));
                None
            }
            None => None,
        }
    }

    fn required_non_empty_string(&mut self, key: &'static str) -> Option<String> {
        let text = self.required_string(key)?;
        if text.trim().is_empty() {
            self.error(key, format!("{key} must not be empty"));
            return None;
        }
        Some(text)
    }

    /// Outer `None`: an error was recorded. Inner `None`: absent.
    fn optional_string(&mut self, key: &'static str) -> Option<Option<String>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(other) => {
                self.error(
                    key,
                    format!("{key} must be a string, not {}", describe(other)),
                );
                None
            }
        }
    }

    fn optional_bool(&mut self, key: &'static str) -> Option<Option<bool>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Bool(flag)) => Some(Some(*flag)),
            Some(other) => {
                self.error(
                    key,
                    format!(
                        "{key} must be a boolean (true or false without quotes), not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    fn optional_integer(&mut self, key: &'static str) -> Option<Option<i64>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Number(number)) if number.as_i64().is_some() => Some(number.as_i64()),
            Some(other) => {
                self.error(
                    key,
                    format!(
                        "{key} must be a whole number of days, not {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    fn optional_value<T: ApiValue>(&mut self, key: &'static str) -> Option<Option<T>> {
        let text = self.optional_string(key)?;
        let Some(text) = text else {
            return Some(None);
        };
        match T::from_api(&text) {
            Some(value) => Some(Some(value)),
            None => {
                self.error(
                    key,
                    format!("{key} must be {}, not {text:?}", one_of(T::VALUES)),
                );
                None
            }
        }
    }

    /// Outer `None`: an error was recorded. Inner `None`: absent.
    fn object(&mut self, key: &'static str) -> Option<Option<&'a Map<String, Value>>> {
        match self.field(key) {
            None => Some(None),
            Some(Value::Object(object)) => Some(Some(object)),
            Some(other) => {
                self.error(
                    key,
                    format!("{key} must be an object, not {}", describe(other)),
                );
                None
            }
        }
    }

    /// Refuses every key no read asked for.
    fn finish(&mut self) {
        let unknown: Vec<&String> = self
            .object
            .keys()
            .filter(|key| !self.known.contains(&key.as_str()))
            .collect();
        for key in unknown {
            let expected = self.known.join(", ");
            self.errors.push(
                child(&self.pointer, key),
                format!("unknown key {key:?}; the keys here are {expected}"),
            );
        }
    }
}

fn one_of<T>(values: &[(T, &str)]) -> String {
    let quoted: Vec<String> = values.iter().map(|(_, text)| format!("{text:?}")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("one of {} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::model::{EnforcementScope, Notifications, RecommendedCadence};
    use crate::policy::render::render_policy;

    fn full_macos() -> Value {
        json!({
            "name": "Engineering Macs",
            "platform": "macOS",
            "deferrals": {"majorDays": 30, "minorDays": 7, "systemDays": 1},
            "enforcement": {
                "enabled": true,
                "gracePeriodDays": 5,
                "localTime": "18:30",
                "detailsUrl": "https://it.example.com/updates",
                "scope": "sameMajor"
            },
            "updatePermissions": "adminsOnly",
            "notifications": "oneHourBeforeDeadline",
            "automaticActions": {
                "download": "alwaysOn",
                "installOSUpdates": "alwaysOn",
                "installSecurityResponse": "userControlled"
            },
            "rapidSecurityResponse": {"offer": false, "allowRollback": true},
            "beta": {
                "programEnrollment": "alwaysOn",
                "offeredPrograms": [
                    {"description": "macOS Developer Beta", "token": "token-1"},
                    {"description": "macOS Public Beta", "token": "token-2"}
                ]
            }
        })
    }

    fn full_ios() -> Value {
        json!({
            "name": "Shop iPads",
            "platform": "iOS",
            "deferrals": {"combinedDays": 14},
            "enforcement": {
                "enabled": true,
                "gracePeriodDays": 0,
                "localTime": "03:05",
                "scope": "latest"
            },
            "updatePermissions": "standardUsers",
            "notifications": "all",
            "recommendedCadence": "oldest",
            "automaticActions": {
                "download": "alwaysOff",
                "installOSUpdates": "alwaysOff",
                "installSecurityResponse": "alwaysOff"
            },
            "rapidSecurityResponse": {"offer": true, "allowRollback": false},
            "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": []}
        })
    }

    fn with(mut document: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut document
        } else {
            document.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().insert(key.into(), value);
        document
    }

    fn without(mut document: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut document
        } else {
            document.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().remove(key);
        document
    }

    fn errors_of(document: &Value) -> Vec<(String, String)> {
        parse_policy(document)
            .expect_err("the document should be refused")
            .into_vec()
            .into_iter()
            .map(|error| (error.pointer, error.message))
            .collect()
    }

    fn pointers_of(document: &Value) -> Vec<String> {
        errors_of(document)
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect()
    }

    /// The one error `document` has, at `pointer`; its message.
    fn only_error_at(document: &Value, pointer: &str) -> String {
        let errors = errors_of(document);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(errors[0].0, pointer, "{errors:#?}");
        errors[0].1.clone()
    }

    #[test]
    fn full_documents_parse_and_render_back_exactly() {
        for document in [full_macos(), full_ios()] {
            let parsed = parse_policy(&document).unwrap();
            assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
            assert_eq!(render_policy(&parsed.policy), document);
        }
    }

    #[test]
    fn full_macos_document_reads_every_setting() {
        let policy = parse_policy(&full_macos()).unwrap().policy;
        assert_eq!(policy.name.as_str(), "Engineering Macs");
        assert_eq!(policy.platform(), Platform::MacOs);
        let Deferrals::MacOs {
            major,
            minor,
            system,
        } = policy.deferrals
        else {
            panic!("macOS deferrals expected");
        };
        assert_eq!(
            (
                major.unwrap().get(),
                minor.unwrap().get(),
                system.unwrap().get()
            ),
            (30, 7, 1)
        );
        assert!(policy.enforcement.enabled);
        assert_eq!(policy.enforcement.grace_period.get(), 5);
        assert_eq!(
            policy.enforcement.local_time,
            Some(Time::constant(18, 30, 0, 0))
        );
        assert_eq!(
            policy.enforcement.details_url.unwrap().as_str(),
            "https://it.example.com/updates"
        );
        assert_eq!(policy.enforcement.scope, EnforcementScope::SameMajor);
        assert_eq!(policy.update_permissions, UpdatePermissions::AdminsOnly);
        assert_eq!(policy.notifications, Notifications::OneHourBeforeDeadline);
        assert_eq!(policy.automatic_actions.download, ActionMode::AlwaysOn);
        assert!(!policy.rapid_security_response.offer);
        assert_eq!(policy.beta.offered_programs.len(), 2);
        assert_eq!(policy.beta.offered_programs[1].token, "token-2");
    }

    #[test]
    fn absent_settings_take_the_documented_defaults() {
        for platform in ["macOS", "iOS"] {
            let parsed = parse_policy(&json!({"name": "Minimal", "platform": platform})).unwrap();
            assert!(parsed.warnings.is_empty());
            let policy = parsed.policy;
            assert_eq!(policy.deferrals, Deferrals::none(policy.platform()));
            assert_eq!(policy.enforcement, Enforcement::default());
            assert!(!policy.enforcement.enabled);
            assert_eq!(policy.enforcement.grace_period.get(), 30);
            assert_eq!(policy.enforcement.scope, EnforcementScope::Latest);
            assert_eq!(policy.update_permissions, UpdatePermissions::StandardUsers);
            assert_eq!(policy.notifications, Notifications::All);
            assert_eq!(policy.recommended_cadence, None);
            assert_eq!(policy.automatic_actions, AutomaticActions::default());
            assert_eq!(
                policy.automatic_actions.install_security_response,
                ActionMode::UserControlled
            );
            assert_eq!(
                policy.rapid_security_response,
                RapidSecurityResponse {
                    offer: true,
                    allow_rollback: true
                }
            );
            assert_eq!(
                policy.beta.program_enrollment,
                ProgramEnrollment::UserAllowed
            );
            assert!(policy.beta.offered_programs.is_empty());
        }
    }

    #[test]
    fn empty_objects_and_nulls_mean_defaults() {
        let document = json!({
            "name": "Nulls",
            "platform": "macOS",
            "deferrals": {"majorDays": null},
            "enforcement": {"gracePeriodDays": null},
            "recommendedCadence": null,
            "automaticActions": {},
            "rapidSecurityResponse": null,
            "beta": {"offeredPrograms": null}
        });
        let policy = parse_policy(&document).unwrap().policy;
        assert_eq!(policy.deferrals, Deferrals::none(Platform::MacOs));
        assert_eq!(policy.enforcement, Enforcement::default());
        assert_eq!(policy.recommended_cadence, None);
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused_at_the_root() {
        assert_eq!(pointers_of(&json!([])), vec![""]);
    }

    #[test]
    fn name_and_platform_are_required() {
        assert_eq!(pointers_of(&json!({})), vec!["/name", "/platform"]);
        assert!(only_error_at(&without(full_macos(), "/name"), "/name").contains("required"));
        only_error_at(&without(full_ios(), "/platform"), "/platform");
    }

    #[test]
    fn bad_names_are_refused() {
        for name in [
            json!(""),
            json!("   "),
            json!("a\nb"),
            json!("x".repeat(201)),
            json!(7),
        ] {
            only_error_at(&with(full_macos(), "/name", name), "/name");
        }
        let policy = parse_policy(&with(full_macos(), "/name", json!("  Padded  ")))
            .unwrap()
            .policy;
        assert_eq!(policy.name.as_str(), "Padded");
    }

    #[test]
    fn unknown_platforms_are_refused() {
        for platform in [json!("watchOS"), json!("iPadOS"), json!(1)] {
            let document = with(json!({"name": "x"}), "/platform", platform);
            only_error_at(&document, "/platform");
        }
    }

    #[test]
    fn deferrals_outside_one_to_ninety_are_refused() {
        for (key, days) in [
            ("majorDays", json!(0)),
            ("minorDays", json!(91)),
            ("systemDays", json!(-3)),
            ("majorDays", json!(7.5)),
            ("minorDays", json!("7")),
            ("systemDays", json!(true)),
        ] {
            let pointer = format!("/deferrals/{key}");
            only_error_at(&with(full_macos(), &pointer, days), &pointer);
        }
        for days in [json!(0), json!(91), json!(1e3)] {
            only_error_at(
                &with(full_ios(), "/deferrals/combinedDays", days),
                "/deferrals/combinedDays",
            );
        }
        for days in [1, 90] {
            parse_policy(&with(full_macos(), "/deferrals/majorDays", json!(days))).unwrap();
            parse_policy(&with(full_ios(), "/deferrals/combinedDays", json!(days))).unwrap();
        }
    }

    #[test]
    fn each_platform_refuses_the_other_platforms_deferral_keys() {
        let message = only_error_at(
            &with(full_macos(), "/deferrals/combinedDays", json!(7)),
            "/deferrals/combinedDays",
        );
        assert!(message.contains("majorDays"), "{message}");
        for key in ["majorDays", "minorDays", "systemDays"] {
            let pointer = format!("/deferrals/{key}");
            let message = only_error_at(&with(full_ios(), &pointer, json!(7)), &pointer);
            assert!(message.contains("combinedDays"), "{message}");
        }
    }

    #[test]
    fn a_wrong_platform_key_is_reported_once_whatever_its_value() {
        only_error_at(
            &with(full_macos(), "/deferrals/combinedDays", json!(0)),
            "/deferrals/combinedDays",
        );
        only_error_at(
            &with(full_ios(), "/deferrals/majorDays", json!("x")),
            "/deferrals/majorDays",
        );
    }

    #[test]
    fn with_an_unknown_platform_deferrals_are_still_range_checked() {
        let document = json!({
            "name": "x",
            "platform": "tvOS",
            "deferrals": {"majorDays": 0, "combinedDays": 7}
        });
        assert_eq!(
            pointers_of(&document),
            vec!["/platform", "/deferrals/majorDays"]
        );
    }

    #[test]
    fn enforcement_needs_a_local_time_when_enabled() {
        let message = only_error_at(
            &without(full_macos(), "/enforcement/localTime"),
            "/enforcement/localTime",
        );
        assert!(message.contains("required"), "{message}");
        let disabled = with(
            without(full_macos(), "/enforcement/localTime"),
            "/enforcement/enabled",
            json!(false),
        );
        let policy = parse_policy(&disabled).unwrap().policy;
        assert_eq!(policy.enforcement.local_time, None);
        assert_eq!(policy.timing().enforcement, None);
    }

    #[test]
    fn local_times_are_strict_hh_mm() {
        for text in [
            "5pm", "24:00", "7:00", "07:60", "07:00:00", "07-00", "", " 7:00",
        ] {
            only_error_at(
                &with(full_macos(), "/enforcement/localTime", json!(text)),
                "/enforcement/localTime",
            );
        }
        assert_eq!(parse_local_time("00:00").unwrap(), Time::midnight());
        assert_eq!(
            parse_local_time("23:59").unwrap(),
            Time::constant(23, 59, 0, 0)
        );
    }

    #[test]
    fn grace_periods_outside_zero_to_365_are_refused() {
        for days in [
            json!(-1),
            json!(366),
            json!(1.5),
            json!("3"),
            json!(u64::MAX),
        ] {
            only_error_at(
                &with(full_macos(), "/enforcement/gracePeriodDays", days),
                "/enforcement/gracePeriodDays",
            );
        }
        for days in [0, 365] {
            parse_policy(&with(
                full_macos(),
                "/enforcement/gracePeriodDays",
                json!(days),
            ))
            .unwrap();
        }
    }

    #[test]
    fn details_urls_must_be_http_or_https() {
        for url in [
            "ftp://example.com/x",
            "javascript:alert(1)",
            "https://",
            "example.com",
            "https://example.com/a b",
        ] {
            only_error_at(
                &with(full_macos(), "/enforcement/detailsUrl", json!(url)),
                "/enforcement/detailsUrl",
            );
        }
        for url in ["http://intranet/updates", "HTTPS://Example.com/?q=1#x"] {
            let policy = parse_policy(&with(full_macos(), "/enforcement/detailsUrl", json!(url)))
                .unwrap()
                .policy;
            assert_eq!(policy.enforcement.details_url.unwrap().as_str(), url);
        }
    }

    #[test]
    fn unknown_enum_values_are_refused_with_the_allowed_ones() {
        for (pointer, expected) in [
            ("/enforcement/scope", "\"latest\" or \"sameMajor\""),
            ("/updatePermissions", "\"standardUsers\" or \"adminsOnly\""),
            ("/notifications", "\"all\" or \"oneHourBeforeDeadline\""),
            ("/recommendedCadence", "\"all\", \"oldest\" or \"newest\""),
            (
                "/automaticActions/download",
                "\"userControlled\", \"alwaysOn\" or \"alwaysOff\"",
            ),
            (
                "/beta/programEnrollment",
                "\"userAllowed\", \"alwaysOn\" or \"alwaysOff\"",
            ),
        ] {
            let message = only_error_at(&with(full_ios(), pointer, json!("Allowed")), pointer);
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn wrong_types_are_refused_not_coerced() {
        for (pointer, value) in [
            ("/enforcement/enabled", json!("true")),
            ("/rapidSecurityResponse/offer", json!(1)),
            ("/rapidSecurityResponse/allowRollback", json!("no")),
            ("/deferrals", json!([])),
            ("/enforcement", json!(true)),
            ("/automaticActions", json!("alwaysOn")),
            ("/beta/offeredPrograms", json!({})),
            ("/beta/offeredPrograms/0", json!("token")),
            ("/beta/offeredPrograms/0/token", json!(5)),
            ("/enforcement/localTime", json!(1700)),
        ] {
            let document = if pointer == "/beta/offeredPrograms/0" {
                with(full_macos(), "/beta/offeredPrograms", json!(["token"]))
            } else {
                with(full_macos(), pointer, value)
            };
            only_error_at(&document, pointer);
        }
    }

    #[test]
    fn unknown_keys_are_refused_at_every_level() {
        for pointer in [
            "/colour",
            "/deferrals/weeks",
            "/enforcement/deadline",
            "/automaticActions/installApps",
            "/rapidSecurityResponse/enable",
            "/beta/requireProgram",
            "/beta/offeredPrograms/1/url",
        ] {
            let message = only_error_at(&with(full_macos(), pointer, json!(1)), pointer);
            assert!(message.starts_with("unknown key"), "{message}");
        }
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let document = json!({
            "name": "",
            "platform": "macOS",
            "deferrals": {"majorDays": 0, "minorDays": 91, "combinedDays": 3},
            "enforcement": {"enabled": true, "gracePeriodDays": 400, "detailsUrl": "file:///x", "scope": "all"},
            "updatePermissions": "everyone",
            "notifications": false,
            "automaticActions": {"download": "alwaysOff", "installOSUpdates": "alwaysOn", "installSecurityResponse": "userControlled"},
            "rapidSecurityResponse": {"offer": "yes"},
            "beta": {"programEnrollment": "alwaysOff", "offeredPrograms": [{"description": "", "token": "t"}]},
            "extra": 1
        });
        assert_eq!(
            pointers_of(&document),
            vec![
                "/name",
                "/deferrals/majorDays",
                "/deferrals/minorDays",
                "/deferrals/combinedDays",
                "/enforcement/gracePeriodDays",
                "/enforcement/localTime",
                "/enforcement/detailsUrl",
                "/enforcement/scope",
                "/updatePermissions",
                "/notifications",
                "/automaticActions/installOSUpdates",
                "/automaticActions/installSecurityResponse",
                "/rapidSecurityResponse/offer",
                "/beta/offeredPrograms/0/description",
                "/extra",
            ]
        );
    }

    const FORBIDDEN: [(&str, &str, &str); 3] = [
        (
            "userControlled",
            "alwaysOn",
            "Invalid global settings declaration: Installation is forced, but downloading is not guaranteed.",
        ),
        (
            "alwaysOff",
            "userControlled",
            "Invalid global settings declaration: Users can install updates that the Mac is not permitted to download.",
        ),
        (
            "alwaysOff",
            "alwaysOn",
            "Invalid global settings declaration: Installation cannot be forced when downloading is disabled.",
        ),
    ];

    fn actions(download: &str, install_os: &str, install_security: &str) -> Value {
        json!({
            "download": download,
            "installOSUpdates": install_os,
            "installSecurityResponse": install_security,
        })
    }

    #[test]
    fn the_three_forbidden_os_install_combinations_are_refused_with_jumpclouds_message() {
        for (download, install, message) in FORBIDDEN {
            // The security install is set to a value compatible with the download setting.
            let document = with(
                full_macos(),
                "/automaticActions",
                actions(download, install, "alwaysOff"),
            );
            assert_eq!(
                errors_of(&document),
                vec![(
                    "/automaticActions/installOSUpdates".to_owned(),
                    message.to_owned()
                )]
            );
        }
    }

    #[test]
    fn the_same_rule_applies_to_the_security_install() {
        for platform_document in [full_macos(), full_ios()] {
            for (download, install, message) in FORBIDDEN {
                let document = with(
                    platform_document.clone(),
                    "/automaticActions",
                    actions(download, "alwaysOff", install),
                );
                assert_eq!(
                    errors_of(&document),
                    vec![(
                        "/automaticActions/installSecurityResponse".to_owned(),
                        message.to_owned()
                    )]
                );
            }
        }
    }

    #[test]
    fn absent_actions_count_as_user_controlled_in_the_combination_rule() {
        let document = with(
            full_macos(),
            "/automaticActions",
            json!({"installOSUpdates": "alwaysOn", "installSecurityResponse": "alwaysOff"}),
        );
        assert_eq!(
            pointers_of(&document),
            vec!["/automaticActions/installOSUpdates"]
        );
        let document = with(
            full_macos(),
            "/automaticActions",
            json!({"download": "alwaysOff"}),
        );
        assert_eq!(
            pointers_of(&document),
            vec![
                "/automaticActions/installOSUpdates",
                "/automaticActions/installSecurityResponse"
            ]
        );
    }

    #[test]
    fn the_six_other_combinations_are_accepted() {
        let modes = ["userControlled", "alwaysOn", "alwaysOff"];
        let mut accepted = 0;
        for download in modes {
            for install in modes {
                let forbidden = FORBIDDEN
                    .iter()
                    .any(|(d, i, _)| *d == download && *i == install);
                let document = with(
                    full_macos(),
                    "/automaticActions",
                    actions(download, install, install),
                );
                assert_eq!(
                    parse_policy(&document).is_err(),
                    forbidden,
                    "{download} {install}"
                );
                accepted += usize::from(!forbidden);
            }
        }
        assert_eq!(accepted, 6);
    }

    #[test]
    fn offered_beta_programs_need_an_enrollment_that_allows_them() {
        let programs = json!([{"description": "Beta", "token": "abc"}]);
        for enrollment in ["userAllowed", "alwaysOn"] {
            let document = with(
                with(full_ios(), "/beta/programEnrollment", json!(enrollment)),
                "/beta/offeredPrograms",
                programs.clone(),
            );
            parse_policy(&document).unwrap();
        }
        let document = with(full_ios(), "/beta/offeredPrograms", programs);
        let message = only_error_at(&document, "/beta/offeredPrograms");
        assert!(message.contains("alwaysOff"), "{message}");
        // alwaysOff with no programs is fine (full_ios has it).
        parse_policy(&full_ios()).unwrap();
    }

    #[test]
    fn beta_programs_need_a_description_and_a_unique_token() {
        let document = with(
            full_macos(),
            "/beta/offeredPrograms",
            json!([
                {"description": "A", "token": "same"},
                {"description": " ", "token": "other"},
                {"token": "x"},
                {"description": "D", "token": "same"}
            ]),
        );
        assert_eq!(
            pointers_of(&document),
            vec![
                "/beta/offeredPrograms/1/description",
                "/beta/offeredPrograms/2/description",
                "/beta/offeredPrograms/3/token",
            ]
        );
    }

    #[test]
    fn recommended_cadence_on_macos_is_kept_with_a_warning() {
        let document = with(full_macos(), "/recommendedCadence", json!("newest"));
        let parsed = parse_policy(&document).unwrap();
        assert_eq!(
            parsed.policy.recommended_cadence,
            Some(RecommendedCadence::Newest)
        );
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].pointer, "/recommendedCadence");
        assert!(parsed.warnings[0].message.contains("not sent to macOS"));
        assert_eq!(render_policy(&parsed.policy), document);
        // iOS supports it: no warning.
        assert!(parse_policy(&full_ios()).unwrap().warnings.is_empty());
    }

    #[test]
    fn admins_only_on_ios_is_kept_with_a_warning() {
        let document = with(full_ios(), "/updatePermissions", json!("adminsOnly"));
        let parsed = parse_policy(&document).unwrap();
        assert_eq!(
            parsed.policy.update_permissions,
            UpdatePermissions::AdminsOnly
        );
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].pointer, "/updatePermissions");
    }

    #[test]
    fn platform_spelling_is_case_insensitive_and_rendered_canonically() {
        let policy = parse_policy(&with(full_macos(), "/platform", json!("MACOS")))
            .unwrap()
            .policy;
        assert_eq!(render_policy(&policy), full_macos());
    }
}
