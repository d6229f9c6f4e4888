//! The policy form: one input per setting of the policy document, each named by its JSON
//! pointer, so the API's refusals (each at a pointer) are shown at their field, and the
//! document is built back from the pointers (an empty input is an absent key).
//!
//! Both kinds of policy share the form: an automatic policy's settings and a specific-version
//! policy's (`targetVersion`, `targetBuild`, a device-local `deadline`, `detailsUrl`). The
//! document sent holds the keys of the kind chosen only, since the API refuses the other
//! kind's keys.

use maud::{Markup, html};
use serde_json::{Map, Value};

use crate::ui::api::Problem;

/// How an input's text becomes a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number when it reads as one, else the text (so the API names the mistake).
    Number,
    /// `true` or `false`.
    Bool,
    /// One of the listed values.
    Choice(&'static [&'static str]),
    /// JSON, as typed.
    Json,
}

/// One setting: its pointer, label, kind and hint.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub pointer: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub hint: &'static str,
}

const fn setting(
    pointer: &'static str,
    label: &'static str,
    kind: Kind,
    hint: &'static str,
) -> Setting {
    Setting {
        pointer,
        label,
        kind,
        hint,
    }
}

const ACTIONS: &[&str] = &["userControlled", "alwaysOn", "alwaysOff"];

/// The groups of settings, with their legend and pointer.
pub const GROUPS: [(&str, &str, &[Setting]); 8] = [
    (
        "Policy",
        "",
        &[
            setting("/name", "Name", Kind::Text, "unique; required"),
            setting(
                "/platform",
                "Platform",
                Kind::Choice(&["macOS", "iOS"]),
                "required",
            ),
            setting(
                "/kind",
                "Kind",
                Kind::Choice(&[AUTOMATIC, SPECIFIC]),
                "automatic: the settings below; specificVersion: one version by a deadline",
            ),
        ],
    ),
    (
        "Specific version (kind specificVersion only)",
        "",
        &[
            setting(
                "/targetVersion",
                "Target version",
                Kind::Text,
                "such as 26.1; required",
            ),
            setting(
                "/targetBuild",
                "Target build",
                Kind::Text,
                "optional, such as 25B78",
            ),
            setting(
                "/deadline",
                "Deadline",
                Kind::Text,
                "the device's local time, yyyy-mm-ddThh:mm:ss; required",
            ),
            setting(
                "/detailsUrl",
                "Details URL",
                Kind::Text,
                "optional; shown to users",
            ),
        ],
    ),
    (
        "Deferrals (days)",
        "/deferrals",
        &[
            setting(
                "/deferrals/majorDays",
                "Major updates",
                Kind::Number,
                "macOS, 1–90",
            ),
            setting(
                "/deferrals/minorDays",
                "Minor updates",
                Kind::Number,
                "macOS, 1–90",
            ),
            setting(
                "/deferrals/systemDays",
                "Other updates",
                Kind::Number,
                "macOS, 1–90",
            ),
            setting(
                "/deferrals/combinedDays",
                "All updates",
                Kind::Number,
                "iOS, 1–90",
            ),
        ],
    ),
    (
        "Enforcement",
        "/enforcement",
        &[
            setting(
                "/enforcement/enabled",
                "Enforce",
                Kind::Bool,
                "install by a deadline",
            ),
            setting(
                "/enforcement/gracePeriodDays",
                "Grace period (days)",
                Kind::Number,
                "0–365, default 30",
            ),
            setting(
                "/enforcement/localTime",
                "Local time",
                Kind::Text,
                "HH:MM on the device",
            ),
            setting(
                "/enforcement/detailsUrl",
                "Details URL",
                Kind::Text,
                "shown to users",
            ),
            setting(
                "/enforcement/scope",
                "Scope",
                Kind::Choice(&["latest", "sameMajor"]),
                "which release is the target",
            ),
            setting(
                "/enforcement/maxVersion",
                "Highest version",
                Kind::Text,
                "such as 15.99",
            ),
        ],
    ),
    (
        "Settings",
        "",
        &[
            setting(
                "/updatePermissions",
                "Who may update",
                Kind::Choice(&["standardUsers", "adminsOnly"]),
                "",
            ),
            setting(
                "/notifications",
                "Notifications",
                Kind::Choice(&["all", "oneHourBeforeDeadline"]),
                "",
            ),
            setting(
                "/recommendedCadence",
                "Recommended cadence",
                Kind::Choice(&["all", "oldest", "newest"]),
                "",
            ),
        ],
    ),
    (
        "Automatic actions",
        "/automaticActions",
        &[
            setting(
                "/automaticActions/download",
                "Download",
                Kind::Choice(ACTIONS),
                "",
            ),
            setting(
                "/automaticActions/installOSUpdates",
                "Install OS updates",
                Kind::Choice(ACTIONS),
                "",
            ),
            setting(
                "/automaticActions/installSecurityResponse",
                "Install security responses",
                Kind::Choice(ACTIONS),
                "",
            ),
        ],
    ),
    (
        "Rapid Security Responses",
        "/rapidSecurityResponse",
        &[
            setting("/rapidSecurityResponse/offer", "Offer", Kind::Bool, ""),
            setting(
                "/rapidSecurityResponse/allowRollback",
                "Allow rollback",
                Kind::Bool,
                "",
            ),
        ],
    ),
    (
        "Beta",
        "/beta",
        &[
            setting(
                "/beta/programEnrollment",
                "Enrollment",
                Kind::Choice(&["userAllowed", "alwaysOn", "alwaysOff"]),
                "",
            ),
            setting(
                "/beta/offeredPrograms",
                "Offered programs (JSON)",
                Kind::Json,
                "[{\"description\", \"token\"}]",
            ),
        ],
    ),
];

/// The kind of an automatic policy.
pub const AUTOMATIC: &str = "automatic";
/// The kind of a Software Update Enforcement policy.
pub const SPECIFIC: &str = "specificVersion";

/// The top-level keys of a specific-version policy.
const SPECIFIC_KEYS: [&str; 7] = [
    "name",
    "kind",
    "platform",
    "targetVersion",
    "targetBuild",
    "deadline",
    "detailsUrl",
];

/// The keys only a specific-version policy has.
const SPECIFIC_ONLY: [&str; 4] = ["targetVersion", "targetBuild", "deadline", "detailsUrl"];

fn settings() -> impl Iterator<Item = &'static Setting> {
    GROUPS.iter().flat_map(|(_, _, settings)| settings.iter())
}

/// The document a form describes, from its `(pointer, text)` pairs.
pub fn document_of(pairs: &[(String, String)]) -> Value {
    let mut root = Map::new();
    for setting in settings() {
        let Some((_, entered)) = pairs.iter().find(|(name, _)| name == setting.pointer) else {
            continue;
        };
        let entered = entered.trim();
        if entered.is_empty() {
            continue;
        }
        let value = match setting.kind {
            Kind::Number => entered
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(entered.to_owned())),
            Kind::Bool => match entered {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            },
            Kind::Json => {
                serde_json::from_str(entered).unwrap_or_else(|_| Value::String(entered.to_owned()))
            }
            Kind::Text | Kind::Choice(_) => Value::String(entered.to_owned()),
        };
        insert(&mut root, setting.pointer, value);
    }
    if root.get("kind").and_then(Value::as_str) == Some(SPECIFIC) {
        root.retain(|key, _| SPECIFIC_KEYS.contains(&key.as_str()));
    } else {
        root.retain(|key, _| !SPECIFIC_ONLY.contains(&key.as_str()));
    }
    Value::Object(root)
}

fn insert(root: &mut Map<String, Value>, pointer: &str, value: Value) {
    let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut object = root;
    for key in parents {
        let entry = object
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(next) = entry else {
            return;
        };
        object = next;
    }
    object.insert((*last).to_owned(), value);
}

/// The text an input shows for a stored document's value at `pointer`.
fn shown(document: &Value, pointer: &str) -> String {
    match document.pointer(pointer) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The problems no field shows (a pointer the form has no input for), for the summary.
pub fn unplaced(problems: &[Problem]) -> Vec<Problem> {
    problems
        .iter()
        .filter(|problem| {
            !settings().any(|setting| setting.pointer == problem.at)
                && !GROUPS
                    .iter()
                    .any(|(_, pointer, _)| !pointer.is_empty() && *pointer == problem.at)
        })
        .cloned()
        .collect()
}

/// The inputs of every setting, filled from `document`, with each problem at its field.
pub fn fields(document: &Value, problems: &[Problem]) -> Markup {
    let id_of = |pointer: &str| format!("p{}", pointer.replace('/', "-"));
    html! {
        @for (legend, group_pointer, settings) in GROUPS {
            fieldset {
                legend { (legend) }
                @for problem in problems.iter().filter(|problem| !group_pointer.is_empty() && problem.at == group_pointer) {
                    p class="error" role="alert" { (problem.message) }
                }
                div class="fields" {
                    @for setting in settings {
                        @let id = id_of(setting.pointer);
                        @let value = shown(document, setting.pointer);
                        @let mine: Vec<&Problem> = problems.iter().filter(|problem| problem.at == setting.pointer).collect();
                        @let invalid = (!mine.is_empty()).then_some("true");
                        @let described = format!("{id}-hint{}", if mine.is_empty() { String::new() } else { format!(" {id}-error") });
                        div class="field" {
                            label for=(id) { (setting.label) }
                            @match setting.kind {
                                Kind::Bool => {
                                    select id=(id) name=(setting.pointer) aria-invalid=[invalid] aria-describedby=(described) {
                                        option value="" selected[value.is_empty()] { "(default)" }
                                        option value="true" selected[value == "true"] { "yes" }
                                        option value="false" selected[value == "false"] { "no" }
                                    }
                                }
                                Kind::Choice(choices) => {
                                    select id=(id) name=(setting.pointer) aria-invalid=[invalid] aria-describedby=(described) {
                                        option value="" selected[value.is_empty()] { "(default)" }
                                        @for choice in choices {
                                            option value=(choice) selected[value == *choice] { (choice) }
                                        }
                                    }
                                }
                                Kind::Json => {
                                    textarea id=(id) name=(setting.pointer) aria-invalid=[invalid] aria-describedby=(described) { (value) }
                                }
                                Kind::Number => {
                                    input id=(id) name=(setting.pointer) type="text" inputmode="numeric" value=(value) aria-invalid=[invalid] aria-describedby=(described);
                                }
                                Kind::Text => {
                                    input id=(id) name=(setting.pointer) type="text" value=(value) aria-invalid=[invalid] aria-describedby=(described);
                                }
                            }
                            p class="hint" id=(format!("{id}-hint")) { (setting.hint) }
                            @for problem in &mine {
                                p class="error" id=(format!("{id}-error")) { (problem.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_built_from_the_pointers_and_empty_inputs_are_absent() {
        let pairs: Vec<(String, String)> = [
            ("/name", "Pilot"),
            ("/platform", "macOS"),
            ("/deferrals/majorDays", "30"),
            ("/deferrals/minorDays", ""),
            ("/enforcement/enabled", "true"),
            ("/enforcement/gracePeriodDays", "ten"),
            ("csrf", "x"),
        ]
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
        let document = document_of(&pairs);
        assert_eq!(
            document,
            serde_json::json!({
                "name": "Pilot",
                "platform": "macOS",
                "deferrals": {"majorDays": 30},
                "enforcement": {"enabled": true, "gracePeriodDays": "ten"}
            })
        );
        assert_eq!(shown(&document, "/deferrals/majorDays"), "30");
        assert_eq!(shown(&document, "/beta/programEnrollment"), "");
    }

    #[test]
    fn only_the_chosen_kinds_keys_are_sent() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect()
        };
        let both = [
            ("/name", "Finance"),
            ("/platform", "macOS"),
            ("/targetVersion", "26.1"),
            ("/deadline", "2026-11-14T17:00:00"),
            ("/deferrals/majorDays", "30"),
            ("/enforcement/detailsUrl", "https://a.example"),
        ];
        let mut specific = both.to_vec();
        specific.push(("/kind", "specificVersion"));
        assert_eq!(
            document_of(&pairs(&specific)),
            serde_json::json!({
                "name": "Finance", "platform": "macOS", "kind": "specificVersion",
                "targetVersion": "26.1", "deadline": "2026-11-14T17:00:00"
            })
        );
        assert_eq!(
            document_of(&pairs(&both)),
            serde_json::json!({
                "name": "Finance", "platform": "macOS", "deferrals": {"majorDays": 30},
                "enforcement": {"detailsUrl": "https://a.example"}
            })
        );
    }

    #[test]
    fn problems_at_a_field_or_group_are_placed_the_rest_summarized() {
        let problems = vec![
            Problem {
                at: "/automaticActions/installOSUpdates".to_owned(),
                message: "a".to_owned(),
            },
            Problem {
                at: "/deferrals".to_owned(),
                message: "b".to_owned(),
            },
            Problem {
                at: "/surprise".to_owned(),
                message: "c".to_owned(),
            },
        ];
        let rest = unplaced(&problems);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].at, "/surprise");
    }
}
