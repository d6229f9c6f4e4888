//! What a device is served, as the API answers it and the CLI prints it: the effective policy
//! (which policy wins, by which route, what it overrules and ignores), the schedule it gives the
//! device, and the declarations served. Typed views, camelCase, written in declaration order.

use jiff::Timestamp;
use ringmaster_domain::assignment::{Candidate, Route, Subject, Via};
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::schedule::{DevicePlan, PlannedRelease, ReleaseStatus};
use ringmaster_store::os_updates::devices::StoredDevice;
use serde::Serialize;
use serde_json::Value;

use crate::os_updates::served::DeviceServed;
use crate::os_updates::served_specific::{EnforcementSourceView, SpecificVersionView};
use crate::os_updates::snapshot::OsUpdateSnapshot;
use crate::os_updates::views::{PolicyRef, kind_name};

/// `GET /api/v1/devices/{id}/effective-policy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectivePolicyView {
    pub device: String,
    pub platform: Option<Platform>,
    pub evaluated_at: String,
    /// The policy that wins, `null` when none reaches the device.
    pub policy: Option<CandidateRef>,
    pub reason: String,
    /// How the winner reaches the device, strongest first.
    pub routes: Vec<RouteView>,
    pub conflict: bool,
    pub overruled: Vec<OverruledView>,
    pub ignored: Vec<IgnoredView>,
    /// Which enforcement the device gets (its automatic policy's or its specific-version
    /// policy's), and why.
    pub enforcement: EnforcementSourceView,
    /// The specific-version policy that reaches the device; left out when none does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_version: Option<SpecificVersionView>,
    pub schedule: Option<ScheduleView>,
}

/// A policy that reaches a device, with its policy group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateRef {
    pub id: PolicyId,
    pub name: String,
    pub policy_group: Option<RingRef>,
}

/// A policy group by id, name and ring order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RingRef {
    pub id: PolicyGroupId,
    pub name: Option<String>,
    pub ring_order: Option<i32>,
}

/// A group by id and name (`null` when it is gone from the configuration).
#[derive(Debug, Clone, Serialize)]
pub struct GroupRef {
    pub id: i64,
    pub name: Option<String>,
}

/// One way a policy reaches a device: bound to the device or to one of its device groups, as
/// the policy itself or through its policy group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteView {
    /// `device` or `deviceGroup`.
    pub via: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_group: Option<GroupRef>,
    /// `policy` or `policyGroup`.
    pub bound: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_group: Option<GroupRef>,
}

/// A policy the winner overrules, by which rule.
#[derive(Debug, Clone, Serialize)]
pub struct OverruledView {
    pub policy: CandidateRef,
    pub rule: &'static str,
    pub reason: String,
    pub routes: Vec<RouteView>,
}

/// A policy bound to the device but for another platform.
#[derive(Debug, Clone, Serialize)]
pub struct IgnoredView {
    pub policy: CandidateRef,
    pub reason: String,
}

impl EffectivePolicyView {
    pub fn of(served: &DeviceServed, at: Timestamp) -> EffectivePolicyView {
        let device = &served.device;
        let snapshot: &OsUpdateSnapshot = &served.snapshot;
        let resolution = &served.resolution;
        let named = |candidate: &Candidate| CandidateRef::of(snapshot, candidate);
        let first_route = |candidate: &Candidate| {
            candidate
                .routes
                .first()
                .map(|route| route_text(snapshot, route))
                .unwrap_or_default()
        };
        let reason = match &resolution.winner {
            None if served.specific.is_some() => "no automatic policy of the device's platform \
                     reaches it (no settings are sent); only a specific-version policy does"
                .to_owned(),
            None => "no policy of the device's platform is bound to the device or to a device \
                     group it is in"
                .to_owned(),
            Some(winner) => {
                let how = first_route(winner);
                let name = name_of(snapshot, winner.policy);
                match resolution.overruled.len() {
                    0 => format!(
                        "{name} is the only {} policy that reaches the device: {how}",
                        platform_name(device)
                    ),
                    1 => format!("{name} wins over 1 other policy: {how}"),
                    more => format!("{name} wins over {more} other policies: {how}"),
                }
            }
        };
        EffectivePolicyView {
            device: device.id.clone(),
            platform: device.platform,
            evaluated_at: at.to_string(),
            policy: resolution.winner.as_ref().map(named),
            reason,
            routes: resolution
                .winner
                .as_ref()
                .map(|winner| routes(snapshot, &winner.routes))
                .unwrap_or_default(),
            conflict: resolution.has_conflict(),
            overruled: resolution
                .overruled
                .iter()
                .map(|overruled| OverruledView {
                    policy: named(&overruled.candidate),
                    rule: overruled.rule.as_str(),
                    reason: format!(
                        "{} loses: {} ({})",
                        name_of(snapshot, overruled.candidate.policy),
                        overruled.rule,
                        first_route(&overruled.candidate)
                    ),
                    routes: routes(snapshot, &overruled.candidate.routes),
                })
                .collect(),
            ignored: resolution
                .ignored
                .iter()
                .map(|candidate| {
                    let platform = snapshot
                        .policies
                        .get(&candidate.policy)
                        .map_or("?", |p| p.policy.platform().as_str());
                    IgnoredView {
                        policy: named(candidate),
                        reason: format!(
                            "the policy is for {platform}; the device runs {}",
                            platform_name(device)
                        ),
                    }
                })
                .collect(),
            enforcement: EnforcementSourceView::of(served),
            specific_version: SpecificVersionView::of(served),
            schedule: served.served.plan.as_ref().map(ScheduleView::of),
        }
    }
}

impl CandidateRef {
    pub(crate) fn of(snapshot: &OsUpdateSnapshot, candidate: &Candidate) -> CandidateRef {
        CandidateRef {
            id: candidate.policy,
            name: name_of(snapshot, candidate.policy),
            policy_group: candidate.group.map(|group| RingRef {
                id: group,
                name: snapshot.policy_groups.get(&group).map(|g| g.name.clone()),
                ring_order: candidate.ring_order,
            }),
        }
    }
}

/// What the schedule decided for a device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleView {
    pub today: String,
    pub explanation: String,
    pub target_version: Option<String>,
    pub target_build: Option<String>,
    pub deadline: Option<String>,
    pub overdue: bool,
    /// The versions the device sees.
    pub visible: Vec<String>,
    pub releases: Vec<ScheduleRelease>,
}

/// One release as the schedule sees it for a device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRelease {
    pub version: String,
    pub build: Option<String>,
    pub deferral: &'static str,
    pub deferral_days: u16,
    pub visible_on: String,
    pub visible: bool,
    pub status: &'static str,
    pub hardware: HardwareView,
}

/// Whether the device's hardware takes a release, and why.
#[derive(Debug, Clone, Serialize)]
pub struct HardwareView {
    pub rule: String,
    pub reason: String,
}

impl ScheduleView {
    pub fn of(plan: &DevicePlan) -> ScheduleView {
        let enforcement = plan.enforcement();
        ScheduleView {
            today: plan.today.to_string(),
            explanation: plan.explanation(),
            target_version: enforcement.map(|e| e.version.as_str().to_owned()),
            target_build: enforcement.and_then(|e| e.target_build.clone()),
            deadline: enforcement.map(|e| e.deadline_text()),
            overdue: enforcement.is_some_and(|e| e.overdue),
            visible: plan
                .visible()
                .map(|release| release.version.as_str().to_owned())
                .collect(),
            releases: plan.releases.iter().map(ScheduleRelease::of).collect(),
        }
    }
}

impl ScheduleRelease {
    fn of(release: &PlannedRelease) -> ScheduleRelease {
        ScheduleRelease {
            version: release.version.as_str().to_owned(),
            build: release.build.clone(),
            deferral: kind_name(release.kind),
            deferral_days: release.deferral_days,
            visible_on: release.visible_on.to_string(),
            visible: release.visible,
            status: status_name(release.status),
            hardware: HardwareView {
                rule: release.support.as_str().to_owned(),
                reason: release.support.to_string(),
            },
        }
    }
}

/// `GET /api/v1/devices/{id}/declarations`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationsView {
    pub device: String,
    pub evaluated_at: String,
    pub policy: Option<PolicyRef>,
    /// The specific-version policy that reaches the device; left out when none does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specific_version_policy: Option<PolicyRef>,
    pub unsupported_reason: Option<String>,
    pub declarations_token: String,
    /// Each declaration as the device receives it.
    pub declarations: Vec<Value>,
    pub schedule: Option<ScheduleView>,
}

impl DeclarationsView {
    pub fn of(served: &DeviceServed, at: Timestamp) -> DeclarationsView {
        let set = &served.served.declarations;
        DeclarationsView {
            device: served.device.id.clone(),
            evaluated_at: at.to_string(),
            policy: served.policy.as_ref().map(PolicyRef::of),
            specific_version_policy: served.specific.as_ref().map(PolicyRef::of),
            unsupported_reason: served.served.unsupported.clone(),
            declarations_token: set.declarations_token(),
            declarations: set
                .declarations()
                .iter()
                .map(|declaration| declaration.to_json())
                .collect(),
            schedule: served.served.plan.as_ref().map(ScheduleView::of),
        }
    }
}

pub(crate) fn routes(snapshot: &OsUpdateSnapshot, routes: &[Route]) -> Vec<RouteView> {
    let group = |id: i64, name: Option<&String>| GroupRef {
        id,
        name: name.cloned(),
    };
    routes
        .iter()
        .map(|route| {
            let (via, device_group) = match route.via {
                Via::Device => ("device", None),
                Via::DeviceGroup(id) => (
                    "deviceGroup",
                    Some(group(
                        id.get(),
                        snapshot.device_groups.get(&id).map(|g| &g.name),
                    )),
                ),
            };
            let (bound, policy_group) = match route.subject {
                Subject::Policy(_) => ("policy", None),
                Subject::PolicyGroup(id) => (
                    "policyGroup",
                    Some(group(
                        id.get(),
                        snapshot.policy_groups.get(&id).map(|g| &g.name),
                    )),
                ),
            };
            RouteView {
                via,
                device_group,
                bound,
                policy_group,
            }
        })
        .collect()
}

pub(crate) fn route_text(snapshot: &OsUpdateSnapshot, route: &Route) -> String {
    let bound = match route.subject {
        Subject::Policy(_) => "the policy is bound".to_owned(),
        Subject::PolicyGroup(id) => format!(
            "its policy group {:?} is bound",
            snapshot
                .policy_groups
                .get(&id)
                .map_or("?", |group| group.name.as_str())
        ),
    };
    match route.via {
        Via::Device => format!("{bound} to the device itself"),
        Via::DeviceGroup(id) => format!(
            "{bound} to device group {:?}",
            snapshot
                .device_groups
                .get(&id)
                .map_or("?", |group| group.name.as_str())
        ),
    }
}

fn platform_name(device: &StoredDevice) -> &'static str {
    device
        .platform
        .map_or("an OS it has not reported yet", |platform| {
            platform.as_str()
        })
}

pub(crate) fn name_of(snapshot: &OsUpdateSnapshot, policy: PolicyId) -> String {
    snapshot.policies.get(&policy).map_or_else(
        || format!("policy {policy}"),
        |p| p.policy.name.as_str().to_owned(),
    )
}

fn status_name(status: ReleaseStatus) -> &'static str {
    match status {
        ReleaseStatus::Eligible => "eligible",
        ReleaseStatus::UnsupportedModel => "unsupportedModel",
        ReleaseStatus::OutsideScope => "outsideScope",
        ReleaseStatus::NeedsPrerequisite => "needsPrerequisite",
        ReleaseStatus::Expired => "expired",
        ReleaseStatus::NotYetVisible => "notYetVisible",
        ReleaseStatus::Blocked => "blocked",
        ReleaseStatus::AboveMaxVersion => "aboveMaxVersion",
        ReleaseStatus::WaitingForGate => "waitingForGate",
        ReleaseStatus::Halted => "halted",
    }
}
