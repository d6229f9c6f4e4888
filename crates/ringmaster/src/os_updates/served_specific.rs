//! The parts of the effective-policy view about enforcement: which policy's enforcement the
//! device gets (`enforcement`, with the reason in words) and the specific-version policy that
//! reaches it (`specificVersion`: which one wins, how it reaches the device, what it does).

use ringmaster_domain::fleet::specific::SpecificOutcome;
use serde::Serialize;

use crate::os_updates::served::DeviceServed;
use crate::os_updates::served_views::{CandidateRef, OverruledView, RouteView, name_of, routes};

/// Which enforcement a device gets, and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnforcementSourceView {
    /// `specificVersion`, `automatic`, or `none`.
    pub source: &'static str,
    /// The policy whose enforcement declaration the device gets; `null` with `none`.
    pub policy: Option<CandidateRef>,
    pub target_version: Option<String>,
    pub deadline: Option<String>,
    pub reason: String,
}

/// The specific-version policy that reaches a device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecificVersionView {
    pub policy: CandidateRef,
    pub target_version: String,
    pub target_build: Option<String>,
    pub deadline: String,
    /// Whether its target is what the device must install.
    pub applies: bool,
    pub reason: String,
    pub routes: Vec<RouteView>,
    /// Other specific-version policies that reach the device and lose, by the same precedence as
    /// automatic policies.
    pub overruled: Vec<OverruledView>,
}

impl EnforcementSourceView {
    pub fn of(served: &DeviceServed) -> EnforcementSourceView {
        let snapshot = &served.snapshot;
        let candidate = |winner: Option<&ringmaster_domain::assignment::Candidate>| {
            winner.map(|candidate| CandidateRef::of(snapshot, candidate))
        };
        let automatic = served.resolution.winner.as_ref();
        let specific = served.specific_resolution.winner.as_ref();
        let automatic_name = automatic.map(|winner| name_of(snapshot, winner.policy));
        let specific_name = specific.map(|winner| name_of(snapshot, winner.policy));
        let sent = served.served.enforcement();
        let planned = served
            .served
            .plan
            .as_ref()
            .and_then(|plan| plan.enforcement());
        let not_sent = || match (&served.served.unsupported, planned) {
            (Some(why), _) => format!("no enforcement declaration is sent: {why}"),
            (None, Some(_)) => "the device cannot take an enforcement declaration".to_owned(),
            (None, None) => served.served.plan.as_ref().map_or_else(
                || "no policy reaches the device".to_owned(),
                |plan| {
                    plan.not_enforced()
                        .map_or_else(String::new, |why| format!("nothing is enforced: {why}"))
                },
            ),
        };
        let (source, policy, reason) = match (&served.served.specific, sent) {
            (Some(SpecificOutcome::Enforced), Some(enforced)) => (
                "specificVersion",
                candidate(specific),
                format!(
                    "the specific-version policy {} enforces {} by {}: the device runs {}, below \
                     the target; {}",
                    specific_name.unwrap_or_default(),
                    enforced.version,
                    enforced.deadline_text(),
                    served
                        .device
                        .os_version
                        .as_ref()
                        .map_or("?", |version| version.as_str()),
                    match &automatic_name {
                        Some(name) => format!(
                            "it replaces the enforcement of the automatic policy {name}, whose \
                             settings the device keeps"
                        ),
                        None => "the device has no automatic policy, so it gets no settings \
                                 declaration"
                            .to_owned(),
                    }
                ),
            ),
            (outcome, Some(enforced)) => (
                "automatic",
                candidate(automatic),
                format!(
                    "the automatic policy {} enforces {} by {}{}",
                    automatic_name.unwrap_or_default(),
                    enforced.version,
                    enforced.deadline_text(),
                    skipped(outcome, specific_name.as_deref())
                ),
            ),
            (outcome, None) => (
                "none",
                None,
                format!(
                    "{}{}",
                    not_sent(),
                    skipped(outcome, specific_name.as_deref())
                ),
            ),
        };
        EnforcementSourceView {
            source,
            policy,
            target_version: sent.map(|enforced| enforced.version.as_str().to_owned()),
            deadline: sent.map(|enforced| enforced.deadline_text()),
            reason,
        }
    }
}

/// `; the specific-version policy … does nothing: why`, when one was skipped.
fn skipped(outcome: &Option<SpecificOutcome>, name: Option<&str>) -> String {
    match outcome {
        Some(SpecificOutcome::NotApplied(skip)) => format!(
            "; the specific-version policy {} does nothing: {skip}",
            name.unwrap_or_default()
        ),
        _ => String::new(),
    }
}

impl SpecificVersionView {
    /// `None` when no specific-version policy reaches the device.
    pub fn of(served: &DeviceServed) -> Option<SpecificVersionView> {
        let snapshot = &served.snapshot;
        let winner = served.specific_resolution.winner.as_ref()?;
        let specific = served.specific.as_ref()?.policy.specific()?;
        let (applies, reason) =
            match &served.served.specific {
                Some(SpecificOutcome::Enforced) => (
                    true,
                    "its target is above the device's version: the device must install it by the \
                 deadline"
                        .to_owned(),
                ),
                Some(SpecificOutcome::NotApplied(skip)) => (false, skip.to_string()),
                None => (
                    false,
                    served.served.unsupported.clone().unwrap_or_else(|| {
                        "the device has not reported its OS version yet".to_owned()
                    }),
                ),
            };
        Some(SpecificVersionView {
            policy: CandidateRef::of(snapshot, winner),
            target_version: specific.target_version.as_str().to_owned(),
            target_build: specific.target_build.clone(),
            deadline: ringmaster_domain::schedule::format_deadline(specific.deadline),
            applies,
            reason,
            routes: routes(snapshot, &winner.routes),
            overruled: served
                .specific_resolution
                .overruled
                .iter()
                .map(|overruled| OverruledView {
                    policy: CandidateRef::of(snapshot, &overruled.candidate),
                    rule: overruled.rule.as_str(),
                    reason: format!(
                        "{} loses: {}",
                        name_of(snapshot, overruled.candidate.policy),
                        overruled.rule
                    ),
                    routes: routes(snapshot, &overruled.candidate.routes),
                })
                .collect(),
        })
    }
}
