//! The `softwareupdate.settings` payload judged as the device's OS would: which keys each
//! platform's schema lists (Apple's 26.4 schema), the type and range of each value, and Apple's
//! beta-program rules.

use ringmaster_domain::platform::Platform;
use serde_json::{Map, Value};

use super::{StatusReason, invalid, unknown_keys};

/// How one settings key's value must look.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Bool,
    /// An integer 1 to 90.
    Days,
    OneOf(&'static [&'static str]),
    Dictionary(&'static [SettingsKey]),
    /// `[{Description, Token}]`.
    Programs,
    /// `{Description, Token}`.
    Program,
}

/// Which platforms list a key in Apple's 26.4 schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    Both,
    MacOnly,
    IosOnly,
}

impl Support {
    fn includes(self, platform: Platform) -> bool {
        match self {
            Support::Both => true,
            Support::MacOnly => platform == Platform::MacOs,
            Support::IosOnly => platform == Platform::Ios,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct SettingsKey {
    name: &'static str,
    support: Support,
    rule: Rule,
}

const SWITCH: &[&str] = &["Allowed", "AlwaysOn", "AlwaysOff"];

const DEFERRALS: &[SettingsKey] = &[
    key("CombinedPeriodInDays", Support::IosOnly, Rule::Days),
    key("MajorPeriodInDays", Support::MacOnly, Rule::Days),
    key("MinorPeriodInDays", Support::MacOnly, Rule::Days),
    key("SystemPeriodInDays", Support::MacOnly, Rule::Days),
];

const AUTOMATIC_ACTIONS: &[SettingsKey] = &[
    key("Download", Support::Both, Rule::OneOf(SWITCH)),
    key("InstallOSUpdates", Support::Both, Rule::OneOf(SWITCH)),
    key("InstallSecurityUpdate", Support::Both, Rule::OneOf(SWITCH)),
];

const RAPID_SECURITY_RESPONSE: &[SettingsKey] = &[
    key("Enable", Support::Both, Rule::Bool),
    key("EnableRollback", Support::Both, Rule::Bool),
];

const BETA: &[SettingsKey] = &[
    key("ProgramEnrollment", Support::Both, Rule::OneOf(SWITCH)),
    key("OfferPrograms", Support::Both, Rule::Programs),
    key("RequireProgram", Support::Both, Rule::Program),
];

/// The payload keys of `softwareupdate.settings` (Apple's 26.4 schema).
const SETTINGS: &[SettingsKey] = &[
    key("Notifications", Support::Both, Rule::Bool),
    key("Deferrals", Support::Both, Rule::Dictionary(DEFERRALS)),
    key(
        "RecommendedCadence",
        Support::IosOnly,
        Rule::OneOf(&["All", "Oldest", "Newest"]),
    ),
    key(
        "AutomaticActions",
        Support::Both,
        Rule::Dictionary(AUTOMATIC_ACTIONS),
    ),
    key(
        "RapidSecurityResponse",
        Support::Both,
        Rule::Dictionary(RAPID_SECURITY_RESPONSE),
    ),
    key("AllowStandardUserOSUpdates", Support::MacOnly, Rule::Bool),
    key("Beta", Support::Both, Rule::Dictionary(BETA)),
];

const fn key(name: &'static str, support: Support, rule: Rule) -> SettingsKey {
    SettingsKey {
        name,
        support,
        rule,
    }
}

/// Every settings key path `platform` accepts (`Deferrals.MajorPeriodInDays`, …), dictionaries
/// included, in schema order.
pub fn settings_keys(platform: Platform) -> Vec<String> {
    fn walk(keys: &[SettingsKey], prefix: &str, platform: Platform, out: &mut Vec<String>) {
        for entry in keys.iter().filter(|entry| entry.support.includes(platform)) {
            let path = format!("{prefix}{}", entry.name);
            out.push(path.clone());
            if let Rule::Dictionary(children) = entry.rule {
                walk(children, &format!("{path}."), platform, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(SETTINGS, "", platform, &mut out);
    out
}

/// Judges a `softwareupdate.settings` payload for `platform`: an empty list when valid;
/// otherwise `Error.UnknownPayloadKeys` (with the key paths) and/or `Error.ConfigurationIsInvalid`.
pub fn validate_settings_payload(platform: Platform, payload: &Value) -> Vec<StatusReason> {
    let Some(payload) = payload.as_object() else {
        return invalid(vec!["the payload is not an object".to_owned()]);
    };
    let mut unknown = Vec::new();
    let mut problems = Vec::new();
    check_dictionary(SETTINGS, payload, "", platform, &mut unknown, &mut problems);
    check_beta_rules(payload, &mut problems);
    let mut reasons: Vec<StatusReason> = unknown_keys(unknown).into_iter().collect();
    reasons.extend(invalid(problems));
    reasons
}

fn check_dictionary(
    keys: &[SettingsKey],
    object: &Map<String, Value>,
    prefix: &str,
    platform: Platform,
    unknown: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    for (name, value) in object {
        let path = format!("{prefix}{name}");
        let Some(entry) = keys
            .iter()
            .find(|entry| entry.name == name && entry.support.includes(platform))
        else {
            unknown.push(path);
            continue;
        };
        match entry.rule {
            Rule::Bool => {
                if !value.is_boolean() {
                    problems.push(format!("{path} must be a boolean"));
                }
            }
            Rule::Days => {
                if !value.as_u64().is_some_and(|days| (1..=90).contains(&days)) {
                    problems.push(format!(
                        "{path} must be an integer from 1 to 90, not {value}"
                    ));
                }
            }
            Rule::OneOf(allowed) => {
                if !value.as_str().is_some_and(|text| allowed.contains(&text)) {
                    problems.push(format!(
                        "{path} must be one of {}, not {value}",
                        allowed.join(", ")
                    ));
                }
            }
            Rule::Dictionary(children) => match value.as_object() {
                Some(child) => check_dictionary(
                    children,
                    child,
                    &format!("{path}."),
                    platform,
                    unknown,
                    problems,
                ),
                None => problems.push(format!("{path} must be a dictionary")),
            },
            Rule::Programs => match value.as_array() {
                Some(programs) => {
                    for (index, program) in programs.iter().enumerate() {
                        check_program(program, &format!("{path}[{index}]"), unknown, problems);
                    }
                }
                None => problems.push(format!("{path} must be an array")),
            },
            Rule::Program => check_program(value, &path, unknown, problems),
        }
    }
}

fn check_program(
    program: &Value,
    path: &str,
    unknown: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let Some(program) = program.as_object() else {
        problems.push(format!("{path} must be a dictionary"));
        return;
    };
    for required in ["Description", "Token"] {
        if !program.get(required).is_some_and(Value::is_string) {
            problems.push(format!(
                "{path}.{required} is required and must be a string"
            ));
        }
    }
    for name in program.keys() {
        if name != "Description" && name != "Token" {
            unknown.push(format!("{path}.{name}"));
        }
    }
}

/// Apple's rules: `OfferPrograms` only with enrollment `Allowed` (the default) or `AlwaysOn`,
/// `RequireProgram` only with `AlwaysOn`, never both.
fn check_beta_rules(payload: &Map<String, Value>, problems: &mut Vec<String>) {
    let Some(beta) = payload.get("Beta").and_then(Value::as_object) else {
        return;
    };
    let enrollment = beta
        .get("ProgramEnrollment")
        .and_then(Value::as_str)
        .unwrap_or("Allowed");
    let offers = beta.contains_key("OfferPrograms");
    let requires = beta.contains_key("RequireProgram");
    if offers && requires {
        problems.push("Beta.OfferPrograms and Beta.RequireProgram exclude each other".to_owned());
    }
    if offers && enrollment == "AlwaysOff" {
        problems
            .push("Beta.OfferPrograms needs Beta.ProgramEnrollment Allowed or AlwaysOn".to_owned());
    }
    if requires && enrollment != "AlwaysOn" {
        problems.push("Beta.RequireProgram needs Beta.ProgramEnrollment AlwaysOn".to_owned());
    }
}
