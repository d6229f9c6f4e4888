//! [`UpdatePolicy`] → the API's camelCase JSON shape, the inverse of
//! [`crate::policy::parse::parse_policy`].
//!
//! `kind` is always written (`automatic` when the document left it out). A specific-version
//! policy is written with its own fields only.
//! Every setting of an automatic policy is written out, defaults included, so a reader sees what the policy does.
//! Unset values (a deferral period, the enforcement time or details URL, the recommended cadence)
//! are left out rather than written as `null`. Keys appear in the order of the API documentation.

use serde_json::{Map, Value, json};

use crate::policy::model::{ApiValue, Deferrals, PolicyKind, UpdatePolicy};
use crate::policy::specific::{KindName, SpecificVersion};
use crate::schedule::format_deadline;

/// Renders a policy as the API answers it. `parse_policy(&render_policy(p))` gives `p` back.
pub fn render_policy(policy: &UpdatePolicy) -> Value {
    let mut document = Map::new();
    document.insert("name".into(), json!(policy.name.as_str()));
    let specific = match &policy.kind {
        PolicyKind::Automatic => None,
        PolicyKind::SpecificVersion(specific) => Some(specific),
    };
    let kind = if specific.is_some() {
        KindName::SpecificVersion
    } else {
        KindName::Automatic
    };
    document.insert("kind".into(), json!(kind.as_str()));
    document.insert("platform".into(), json!(policy.platform().as_str()));
    if let Some(specific) = specific {
        render_specific(specific, &mut document);
        return Value::Object(document);
    }

    let mut deferrals = Map::new();
    let periods = match policy.deferrals {
        Deferrals::MacOs {
            major,
            minor,
            system,
        } => vec![
            ("majorDays", major),
            ("minorDays", minor),
            ("systemDays", system),
        ],
        Deferrals::Ios { combined } => vec![("combinedDays", combined)],
    };
    for (key, days) in periods {
        if let Some(days) = days {
            deferrals.insert(key.into(), json!(days.get()));
        }
    }
    document.insert("deferrals".into(), Value::Object(deferrals));

    let enforcement = &policy.enforcement;
    let mut rendered_enforcement = Map::new();
    rendered_enforcement.insert("enabled".into(), json!(enforcement.enabled));
    rendered_enforcement.insert(
        "gracePeriodDays".into(),
        json!(enforcement.grace_period.get()),
    );
    if let Some(time) = enforcement.local_time {
        rendered_enforcement.insert(
            "localTime".into(),
            json!(format!("{:02}:{:02}", time.hour(), time.minute())),
        );
    }
    if let Some(url) = &enforcement.details_url {
        rendered_enforcement.insert("detailsUrl".into(), json!(url.as_str()));
    }
    rendered_enforcement.insert("scope".into(), json!(enforcement.scope.as_str()));
    if let Some(cap) = &enforcement.max_version {
        rendered_enforcement.insert("maxVersion".into(), json!(cap.as_str()));
    }
    document.insert("enforcement".into(), Value::Object(rendered_enforcement));

    document.insert(
        "updatePermissions".into(),
        json!(policy.update_permissions.as_str()),
    );
    document.insert("notifications".into(), json!(policy.notifications.as_str()));
    if let Some(cadence) = policy.recommended_cadence {
        document.insert("recommendedCadence".into(), json!(cadence.as_str()));
    }
    let actions = &policy.automatic_actions;
    document.insert(
        "automaticActions".into(),
        json!({
            "download": actions.download.as_str(),
            "installOSUpdates": actions.install_os_updates.as_str(),
            "installSecurityResponse": actions.install_security_response.as_str(),
        }),
    );
    document.insert(
        "rapidSecurityResponse".into(),
        json!({
            "offer": policy.rapid_security_response.offer,
            "allowRollback": policy.rapid_security_response.allow_rollback,
        }),
    );
    let programs: Vec<Value> = policy
        .beta
        .offered_programs
        .iter()
        .map(|program| json!({"description": program.description, "token": program.token}))
        .collect();
    document.insert(
        "beta".into(),
        json!({
            "programEnrollment": policy.beta.program_enrollment.as_str(),
            "offeredPrograms": programs,
        }),
    );
    Value::Object(document)
}

/// The fields of a specific-version policy, in the API's order.
fn render_specific(specific: &SpecificVersion, document: &mut Map<String, Value>) {
    document.insert(
        "targetVersion".into(),
        json!(specific.target_version.as_str()),
    );
    if let Some(build) = &specific.target_build {
        document.insert("targetBuild".into(), json!(build));
    }
    document.insert("deadline".into(), json!(format_deadline(specific.deadline)));
    if let Some(url) = &specific.details_url {
        document.insert("detailsUrl".into(), json!(url.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::Time;
    use proptest::prelude::*;

    use super::*;
    use crate::platform::Platform;
    use crate::policy::model::{
        ActionMode, AutomaticActions, Beta, BetaProgram, DeferralDays, DetailsUrl, Enforcement,
        EnforcementScope, GraceDays, Notifications, PolicyName, ProgramEnrollment,
        RapidSecurityResponse, RecommendedCadence, UpdatePermissions,
    };
    use crate::policy::parse::{automatic_action_conflict, parse_policy};

    fn pick<T: ApiValue>() -> impl Strategy<Value = T> {
        prop::sample::select(
            T::VALUES
                .iter()
                .map(|(value, _)| *value)
                .collect::<Vec<_>>(),
        )
    }

    fn deferral() -> impl Strategy<Value = Option<DeferralDays>> {
        prop::option::of((1i64..=90).prop_map(|days| DeferralDays::parse(days).unwrap()))
    }

    fn deferrals() -> impl Strategy<Value = Deferrals> {
        prop_oneof![
            (deferral(), deferral(), deferral()).prop_map(|(major, minor, system)| {
                Deferrals::MacOs {
                    major,
                    minor,
                    system,
                }
            }),
            deferral().prop_map(|combined| Deferrals::Ios { combined }),
        ]
    }

    fn enforcement() -> impl Strategy<Value = Enforcement> {
        let url = prop::option::of(
            prop::sample::select(vec![
                "https://it.example.com/updates",
                "http://intranet/os?x=1",
                "HTTPS://Example.COM",
            ])
            .prop_map(|text| DetailsUrl::parse(text).unwrap()),
        );
        (
            any::<bool>(),
            0i64..=365,
            prop::option::of((0i8..24, 0i8..60)),
            url,
            pick::<EnforcementScope>(),
            prop::option::of((10u32..30, 0u32..100)),
        )
            .prop_map(|(enabled, grace, time, details_url, scope, cap)| {
                let time = time.or(enabled.then_some((17, 0)));
                Enforcement {
                    enabled,
                    grace_period: GraceDays::parse(grace).unwrap(),
                    local_time: time.map(|(hour, minute)| Time::new(hour, minute, 0, 0).unwrap()),
                    details_url,
                    scope,
                    max_version: cap.map(|(major, minor)| {
                        crate::apple_version::AppleOsVersion::parse(&format!("{major}.{minor}"))
                            .unwrap()
                    }),
                }
            })
    }

    fn automatic_actions() -> impl Strategy<Value = AutomaticActions> {
        (
            pick::<ActionMode>(),
            pick::<ActionMode>(),
            pick::<ActionMode>(),
        )
            .prop_filter("a valid combination", |(download, os, security)| {
                automatic_action_conflict(*download, *os).is_none()
                    && automatic_action_conflict(*download, *security).is_none()
            })
            .prop_map(
                |(download, install_os_updates, install_security_response)| AutomaticActions {
                    download,
                    install_os_updates,
                    install_security_response,
                },
            )
    }

    fn beta() -> impl Strategy<Value = Beta> {
        (
            pick::<ProgramEnrollment>(),
            prop::collection::vec("[A-Za-z][A-Za-z0-9 ]{0,15}", 0..4),
        )
            .prop_map(|(program_enrollment, descriptions)| Beta {
                program_enrollment,
                offered_programs: if program_enrollment.allows_offered_programs() {
                    descriptions
                        .into_iter()
                        .enumerate()
                        .map(|(index, description)| BetaProgram {
                            description,
                            token: format!("token-{index}"),
                        })
                        .collect()
                } else {
                    Vec::new()
                },
            })
    }

    fn policy() -> impl Strategy<Value = UpdatePolicy> {
        (
            "[A-Za-z0-9][A-Za-z0-9 ()._-]{0,30}[A-Za-z0-9)]",
            deferrals(),
            enforcement(),
            pick::<UpdatePermissions>(),
            pick::<Notifications>(),
            prop::option::of(pick::<RecommendedCadence>()),
            automatic_actions(),
            (any::<bool>(), any::<bool>()),
            beta(),
        )
            .prop_map(
                |(
                    name,
                    deferrals,
                    enforcement,
                    update_permissions,
                    notifications,
                    recommended_cadence,
                    automatic_actions,
                    (offer, allow_rollback),
                    beta,
                )| UpdatePolicy {
                    name: PolicyName::parse(&name).unwrap(),
                    kind: PolicyKind::Automatic,
                    deferrals,
                    enforcement,
                    update_permissions,
                    notifications,
                    recommended_cadence,
                    automatic_actions,
                    rapid_security_response: RapidSecurityResponse {
                        offer,
                        allow_rollback,
                    },
                    beta,
                },
            )
    }

    proptest! {
        #[test]
        fn parse_gives_back_what_render_wrote(policy in policy()) {
            let rendered = render_policy(&policy);
            let parsed = parse_policy(&rendered).map_err(|errors| TestCaseError::fail(errors.to_string()))?;
            prop_assert_eq!(&parsed.policy, &policy);
            prop_assert_eq!(render_policy(&parsed.policy), rendered);
            let expect_warning = (policy.platform() == Platform::MacOs && policy.recommended_cadence.is_some())
                || (policy.platform() == Platform::Ios && policy.update_permissions == UpdatePermissions::AdminsOnly);
            prop_assert_eq!(!parsed.warnings.is_empty(), expect_warning);
        }
    }

    #[test]
    fn unset_values_are_left_out_not_null() {
        let policy = parse_policy(&json!({"name": "n", "platform": "iOS"}))
            .unwrap()
            .policy;
        let rendered = render_policy(&policy);
        assert_eq!(rendered["deferrals"], json!({}));
        assert_eq!(
            rendered["enforcement"],
            json!({"enabled": false, "gracePeriodDays": 30, "scope": "latest"})
        );
        assert!(rendered.get("recommendedCadence").is_none());
    }
}
