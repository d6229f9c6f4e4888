//! How the simulated device judges a declaration it received, the way Apple's client does:
//! the envelope, the `Type`, and for the types ringmaster serves, the payload keys.
//!
//! What is checked, and the reason code reported (`declarationbase.yaml`):
//!
//! | Problem | Code |
//! |---|---|
//! | not an object; `Type`, `Identifier`, `ServerToken` missing or not strings; `Payload` not an object; `Type` of another kind than the URL; `Identifier` other than the one fetched | `Error.InvalidPayload` |
//! | `Type` the device does not know ([`KNOWN_DECLARATION_TYPES`]) | `Error.UnknownDeclarationType` |
//! | a type the device's OS version lacks (settings: macOS 15 / iOS 18; enforcement: macOS 14 / iOS 17) | `Error.UnknownDeclarationType` (reported `valid: "unknown"`, as a device whose OS predates the type answers) |
//! | a payload key the platform's schema does not list ([`settings_keys`]) | `Error.UnknownPayloadKeys` |
//! | a required key missing, a value of the wrong type or out of range, a malformed `TargetLocalDateTime`, Apple's beta-program rules broken | `Error.ConfigurationIsInvalid` |
//!
//! Payloads of known types other than the four ringmaster serves are accepted as they are.
//! Settings keys follow Apple's 26.4 schema: macOS lacks `Deferrals.CombinedPeriodInDays` and
//! `RecommendedCadence`; iOS lacks `Deferrals.Major/Minor/SystemPeriodInDays` and
//! `AllowStandardUserOSUpdates`.

use jiff::civil::DateTime;
use ringmaster_domain::apple_version::AppleOsVersion;
use ringmaster_domain::declarations::envelope::{DeclarationKind, DeclarationType};
use ringmaster_domain::platform::Platform;
use serde_json::{Map, Value, json};

use crate::protocol::DeclarationKey;

mod settings;

pub use settings::{settings_keys, validate_settings_payload};

/// The reason code of a declaration whose type the device does not know; such a declaration is
/// reported `valid: "unknown"`.
pub const UNKNOWN_DECLARATION_TYPE: &str = "Error.UnknownDeclarationType";

/// Declaration types a current Apple device knows (abridged from Apple's schema repository).
/// A declaration of any other type is reported `Error.UnknownDeclarationType`.
pub const KNOWN_DECLARATION_TYPES: [&str; 43] = [
    "com.apple.activation.simple",
    "com.apple.asset.credential.acme",
    "com.apple.asset.credential.certificate",
    "com.apple.asset.credential.identity",
    "com.apple.asset.credential.scep",
    "com.apple.asset.credential.userpassword",
    "com.apple.asset.data",
    "com.apple.asset.useridentity",
    "com.apple.configuration.account.caldav",
    "com.apple.configuration.account.carddav",
    "com.apple.configuration.account.exchange",
    "com.apple.configuration.account.google",
    "com.apple.configuration.account.ldap",
    "com.apple.configuration.account.mail",
    "com.apple.configuration.account.subscribed-calendar",
    "com.apple.configuration.app.managed",
    "com.apple.configuration.audio-accessory.settings",
    "com.apple.configuration.diskmanagement.settings",
    "com.apple.configuration.keyboard.settings",
    "com.apple.configuration.legacy",
    "com.apple.configuration.legacy.interactive",
    "com.apple.configuration.management.status-subscriptions",
    "com.apple.configuration.management.test",
    "com.apple.configuration.math.settings",
    "com.apple.configuration.package",
    "com.apple.configuration.passcode.settings",
    "com.apple.configuration.safari.bookmarks",
    "com.apple.configuration.safari.extensions.settings",
    "com.apple.configuration.safari.settings",
    "com.apple.configuration.screensharing.connection",
    "com.apple.configuration.screensharing.connection.group",
    "com.apple.configuration.screensharing.host.settings",
    "com.apple.configuration.security.certificate",
    "com.apple.configuration.security.identity",
    "com.apple.configuration.security.passkey.attestation",
    "com.apple.configuration.services.background-tasks",
    "com.apple.configuration.services.configuration-files",
    "com.apple.configuration.softwareupdate.enforcement.specific",
    "com.apple.configuration.softwareupdate.settings",
    "com.apple.configuration.watch.enrollment",
    "com.apple.management.organization-info",
    "com.apple.management.properties",
    "com.apple.management.server-capabilities",
];

/// One entry of a declaration's `reasons` in `management.declarations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReason {
    /// Apple's code, such as `Error.UnknownPayloadKeys`.
    pub code: String,
    pub description: String,
    /// Apple's `details` dictionary, when the code defines one.
    pub details: Option<Value>,
}

impl StatusReason {
    pub fn new(code: &str, description: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            description: description.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `{code, description, details?}`.
    pub fn to_json(&self) -> Value {
        let mut reason = Map::new();
        reason.insert("code".into(), self.code.clone().into());
        reason.insert("description".into(), self.description.clone().into());
        if let Some(details) = &self.details {
            reason.insert("details".into(), details.clone());
        }
        Value::Object(reason)
    }
}

/// A valid `softwareupdate.enforcement.specific` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    /// `TargetOSVersion`, parsed.
    pub target_os_version: AppleOsVersion,
    /// `TargetBuildVersion`.
    pub target_build_version: Option<String>,
    /// `TargetLocalDateTime`, parsed.
    pub target_local_date_time: DateTime,
    /// `TargetLocalDateTime` exactly as received.
    pub target_local_date_time_text: String,
    /// `DetailsURL`.
    pub details_url: Option<String>,
}

/// What the device keeps of a declaration's payload once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// `activation.simple`: the configurations it activates.
    Activation {
        configurations: Vec<String>,
    },
    /// `management.status-subscriptions`: the subscribed item names.
    Subscriptions {
        items: Vec<String>,
    },
    Enforcement(Enforcement),
    /// Any other type, or an invalid declaration.
    Other,
}

/// The verdict on one received declaration.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The `Type`, when it is a string.
    pub(crate) declaration_type: Option<String>,
    /// The `ServerToken` the declaration carries (the listed one when it carries none).
    pub(crate) server_token: String,
    /// Empty when valid.
    pub(crate) reasons: Vec<StatusReason>,
    pub(crate) content: Content,
    /// Disagreements with what the server listed, for the sync outcome.
    pub(crate) issues: Vec<String>,
}

/// The OS version from which each ringmaster-served configuration is supported.
fn minimum_version(declaration_type: DeclarationType, platform: Platform) -> Option<(u32, u32)> {
    match (declaration_type, platform) {
        (DeclarationType::SoftwareUpdateSettings, Platform::MacOs) => Some((15, 0)),
        (DeclarationType::SoftwareUpdateSettings, Platform::Ios) => Some((18, 0)),
        (DeclarationType::SoftwareUpdateEnforcementSpecific, Platform::MacOs) => Some((14, 0)),
        (DeclarationType::SoftwareUpdateEnforcementSpecific, Platform::Ios) => Some((17, 0)),
        _ => None,
    }
}

/// Checks one declaration fetched as `key` and listed with `listed_token`, on a device of
/// `platform` running `os_version`.
pub(crate) fn check_declaration(
    platform: Platform,
    os_version: &AppleOsVersion,
    key: &DeclarationKey,
    listed_token: &str,
    declaration: &Value,
) -> Checked {
    let mut checked = Checked {
        declaration_type: None,
        server_token: listed_token.to_owned(),
        reasons: Vec::new(),
        content: Content::Other,
        issues: Vec::new(),
    };
    let Some(envelope) = declaration.as_object() else {
        checked
            .reasons
            .push(invalid_payload("the declaration is not a JSON object"));
        checked
            .issues
            .push(format!("{key}: the body is not a JSON object"));
        return checked;
    };
    let mut envelope_problems = Vec::new();
    let text = |name: &str, problems: &mut Vec<String>| match envelope.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        Some(Value::String(_)) => {
            problems.push(format!("{name} is empty"));
            None
        }
        Some(_) => {
            problems.push(format!("{name} is not a string"));
            None
        }
        None => {
            problems.push(format!("{name} is missing"));
            None
        }
    };
    let declaration_type = text("Type", &mut envelope_problems);
    let identifier = text("Identifier", &mut envelope_problems);
    let server_token = text("ServerToken", &mut envelope_problems);
    let payload = match envelope.get("Payload") {
        Some(Value::Object(payload)) => Some(payload),
        Some(_) => {
            envelope_problems.push("Payload is not an object".to_owned());
            None
        }
        None => {
            envelope_problems.push("Payload is missing".to_owned());
            None
        }
    };
    if let Some(identifier) = &identifier
        && identifier != &key.identifier
    {
        envelope_problems.push(format!(
            "Identifier is \"{identifier}\" but \"{}\" was fetched",
            key.identifier
        ));
    }
    if let Some(token) = &server_token {
        if token != listed_token {
            checked.issues.push(format!(
                "{key}: ServerToken \"{token}\" differs from the listed \"{listed_token}\""
            ));
        }
        checked.server_token = token.clone();
    }
    checked.declaration_type = declaration_type.clone();
    if let Some(kind_name) = declaration_type.as_deref().and_then(type_kind_word)
        && kind_name != key.kind.as_str()
    {
        envelope_problems.push(format!(
            "Type is a {kind_name} but the declaration was fetched as a {}",
            key.kind
        ));
    }
    if !envelope_problems.is_empty() {
        let description = envelope_problems.join("; ");
        checked
            .issues
            .push(format!("{key}: invalid envelope: {description}"));
        checked.reasons.push(invalid_payload(&description));
        return checked;
    }
    let (Some(declaration_type), Some(payload)) = (declaration_type, payload) else {
        return checked;
    };
    if !KNOWN_DECLARATION_TYPES.contains(&declaration_type.as_str()) {
        checked.reasons.push(
            StatusReason::new(
                UNKNOWN_DECLARATION_TYPE,
                format!("the declaration type {declaration_type} is not known"),
            )
            .with_details(json!({ "UnknownDeclarationType": declaration_type })),
        );
        return checked;
    }
    let Ok(served) = DeclarationType::parse(&declaration_type) else {
        return checked;
    };
    if let Some((major, minor)) = minimum_version(served, platform)
        && (os_version.major(), os_version.minor()) < (major, minor)
    {
        checked.reasons.push(StatusReason::new(
            UNKNOWN_DECLARATION_TYPE,
            format!(
                "{declaration_type} needs {platform} {major}.{minor} or later; this device runs {}",
                os_version.as_str()
            ),
        ));
        return checked;
    }
    let payload = Value::Object(payload.clone());
    match served {
        DeclarationType::SoftwareUpdateSettings => {
            checked.reasons = validate_settings_payload(platform, &payload);
        }
        DeclarationType::SoftwareUpdateEnforcementSpecific => {
            match validate_enforcement_payload(&payload) {
                Ok(enforcement) => checked.content = Content::Enforcement(enforcement),
                Err(reasons) => checked.reasons = reasons,
            }
        }
        DeclarationType::StatusSubscriptions => match subscriptions(&payload) {
            Ok(items) => checked.content = Content::Subscriptions { items },
            Err(reasons) => checked.reasons = reasons,
        },
        DeclarationType::ActivationSimple => match activation(&payload) {
            Ok(configurations) => checked.content = Content::Activation { configurations },
            Err(reasons) => checked.reasons = reasons,
        },
    }
    checked
}

/// The kind word of a `Type` (its third dot-part), when it is one of the four.
fn type_kind_word(declaration_type: &str) -> Option<&'static str> {
    let word = declaration_type.split('.').nth(2)?;
    DeclarationKind::parse(word)
        .ok()
        .map(DeclarationKind::as_str)
}

fn invalid_payload(description: &str) -> StatusReason {
    StatusReason::new("Error.InvalidPayload", description)
}

fn invalid(problems: Vec<String>) -> Vec<StatusReason> {
    if problems.is_empty() {
        Vec::new()
    } else {
        vec![StatusReason::new(
            "Error.ConfigurationIsInvalid",
            problems.join("; "),
        )]
    }
}

fn unknown_keys(paths: Vec<String>) -> Option<StatusReason> {
    (!paths.is_empty()).then(|| {
        StatusReason::new(
            "Error.UnknownPayloadKeys",
            format!("unknown payload keys: {}", paths.join(", ")),
        )
        .with_details(json!({ "UnknownPayloadKeys": paths }))
    })
}

const ENFORCEMENT_KEYS: [&str; 4] = [
    "TargetOSVersion",
    "TargetBuildVersion",
    "TargetLocalDateTime",
    "DetailsURL",
];

/// Judges a `softwareupdate.enforcement.specific` payload: `TargetOSVersion` (an Apple version
/// without suffix) and `TargetLocalDateTime` (exactly `yyyy-mm-ddThh:mm:ss`) required,
/// `TargetBuildVersion` and `DetailsURL` optional strings, nothing else.
pub fn validate_enforcement_payload(payload: &Value) -> Result<Enforcement, Vec<StatusReason>> {
    let Some(object) = payload.as_object() else {
        return Err(invalid(vec!["the payload is not an object".to_owned()]));
    };
    let unknown: Vec<String> = object
        .keys()
        .filter(|name| !ENFORCEMENT_KEYS.contains(&name.as_str()))
        .cloned()
        .collect();
    let mut problems = Vec::new();
    let target_os_version = match object.get("TargetOSVersion") {
        Some(Value::String(text)) => match AppleOsVersion::parse(text) {
            Ok(version) if version.is_supplemental() => {
                problems.push(format!(
                    "TargetOSVersion \"{text}\" carries a supplemental suffix; name the supplemental release with TargetBuildVersion"
                ));
                None
            }
            Ok(version) => Some(version),
            Err(why) => {
                problems.push(format!("TargetOSVersion: {why}"));
                None
            }
        },
        Some(_) => {
            problems.push("TargetOSVersion must be a string".to_owned());
            None
        }
        None => {
            problems.push("TargetOSVersion is required".to_owned());
            None
        }
    };
    let target_local_date_time = match object.get("TargetLocalDateTime") {
        Some(Value::String(text)) => match parse_local_date_time(text) {
            Ok(date_time) => Some((date_time, text.clone())),
            Err(why) => {
                problems.push(format!("TargetLocalDateTime \"{text}\": {why}"));
                None
            }
        },
        Some(_) => {
            problems.push("TargetLocalDateTime must be a string".to_owned());
            None
        }
        None => {
            problems.push("TargetLocalDateTime is required".to_owned());
            None
        }
    };
    let mut optional_text = |name: &str| match object.get(name) {
        None => None,
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        Some(_) => {
            problems.push(format!("{name} must be a non-empty string"));
            None
        }
    };
    let target_build_version = optional_text("TargetBuildVersion");
    let details_url = optional_text("DetailsURL");
    let mut reasons: Vec<StatusReason> = unknown_keys(unknown).into_iter().collect();
    reasons.extend(invalid(problems));
    match (
        target_os_version,
        target_local_date_time,
        reasons.is_empty(),
    ) {
        (Some(target_os_version), Some((target_local_date_time, text)), true) => Ok(Enforcement {
            target_os_version,
            target_build_version,
            target_local_date_time,
            target_local_date_time_text: text,
            details_url,
        }),
        _ => Err(reasons),
    }
}

/// Reads `yyyy-mm-ddThh:mm:ss` exactly: no offset, no fraction, a real calendar date.
pub fn parse_local_date_time(text: &str) -> Result<DateTime, String> {
    let shape_ok = text.len() == 19
        && text.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 | 16 => byte == b':',
            _ => byte.is_ascii_digit(),
        });
    if !shape_ok {
        return Err("expected yyyy-mm-ddThh:mm:ss, without offset or fractional seconds".into());
    }
    DateTime::strptime("%Y-%m-%dT%H:%M:%S", text)
        .map_err(|error| format!("not a date-time: {error}"))
}

fn subscriptions(payload: &Value) -> Result<Vec<String>, Vec<StatusReason>> {
    let object = payload.as_object().expect("checked by the caller");
    let unknown: Vec<String> = object
        .keys()
        .filter(|name| name.as_str() != "StatusItems")
        .cloned()
        .collect();
    let mut problems = Vec::new();
    let mut items = Vec::new();
    match object.get("StatusItems").and_then(Value::as_array) {
        Some(list) => {
            for (index, entry) in list.iter().enumerate() {
                match entry.get("Name").and_then(Value::as_str) {
                    Some(name) => items.push(name.to_owned()),
                    None => problems.push(format!("StatusItems[{index}].Name is required")),
                }
            }
        }
        None => problems.push("StatusItems is required and must be an array".to_owned()),
    }
    let mut reasons: Vec<StatusReason> = unknown_keys(unknown).into_iter().collect();
    reasons.extend(invalid(problems));
    if reasons.is_empty() {
        Ok(items)
    } else {
        Err(reasons)
    }
}

fn activation(payload: &Value) -> Result<Vec<String>, Vec<StatusReason>> {
    let object = payload.as_object().expect("checked by the caller");
    let unknown: Vec<String> = object
        .keys()
        .filter(|name| !matches!(name.as_str(), "StandardConfigurations" | "Predicate"))
        .cloned()
        .collect();
    let mut problems = Vec::new();
    let mut configurations = Vec::new();
    match object
        .get("StandardConfigurations")
        .and_then(Value::as_array)
    {
        Some(list) => {
            for (index, entry) in list.iter().enumerate() {
                match entry.as_str() {
                    Some(identifier) => configurations.push(identifier.to_owned()),
                    None => {
                        problems.push(format!("StandardConfigurations[{index}] is not a string"))
                    }
                }
            }
        }
        None => problems.push("StandardConfigurations is required and must be an array".to_owned()),
    }
    if object
        .get("Predicate")
        .is_some_and(|predicate| !predicate.is_string())
    {
        problems.push("Predicate must be a string".to_owned());
    }
    let mut reasons: Vec<StatusReason> = unknown_keys(unknown).into_iter().collect();
    reasons.extend(invalid(problems));
    if reasons.is_empty() {
        Ok(configurations)
    } else {
        Err(reasons)
    }
}
