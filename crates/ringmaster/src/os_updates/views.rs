//! The JSON the OS-update API answers (camelCase, like the patch source) and the CLI prints.
//!
//! Built by hand from domain and store types, so a refactor of either cannot silently change
//! what tools read. Dates are `yyyy-mm-dd`, instants RFC 3339 UTC, deadlines device-local
//! `yyyy-mm-ddThh:mm:ss` (no zone) as Apple's `TargetLocalDateTime`.

use jiff::Timestamp;
use jiff::civil::Date;
use ringmaster_domain::assignment::{Candidate, Route, Subject, Via};
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::plan_chart::{ChartRow, rollout_svg};
use ringmaster_domain::policy::parse::Warning;
use ringmaster_domain::policy::render::render_policy;
use ringmaster_domain::schedule::{
    DeferralKind, DevicePlan, ReleaseStatus, RolloutEntry, format_deadline,
};
use ringmaster_store::os_updates::devices::{StoredDevice, StoredDeviceGroup};
use ringmaster_store::os_updates::policies::{BindingTargets, StoredPolicy, StoredPolicyGroup};
use serde_json::{Map, Value, json};

use crate::os_updates::service::{DeviceServed, PolicyRollout};
use crate::os_updates::snapshot::OsUpdateSnapshot;

/// One catalog release.
pub fn release(release: &Release) -> Value {
    json!({
        "platform": release.platform.as_str(),
        "version": release.version.as_str(),
        "build": release.build,
        "kind": if release.is_supplemental() { "supplemental" } else if release.is_major() { "major" } else { "minor" },
        "releasedOn": release.released_on.to_string(),
        "firstSeenAt": release.seen_at.map(|at| at.to_string()),
        "expiresOn": release.expires_on.map(|day| day.to_string()),
        "supportedDevices": release.supported_devices,
        "security": release.security.as_ref().map(|security| json!({
            "cveCount": security.cve_count,
            "activelyExploitedCount": security.actively_exploited_count,
            "detailsUrl": security.details_url,
        })),
        "prerequisiteBuild": release.prerequisite_build,
        "source": release.source.as_str(),
    })
}

/// A stored policy: the policy document plus `id`, `policyGroup`, `revision` and times, and the
/// warnings of the write that produced it, if any.
pub fn policy(stored: &StoredPolicy, warnings: &[Warning]) -> Value {
    let mut document = match render_policy(&stored.policy) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut object = Map::new();
    object.insert("id".into(), stored.id.into());
    object.append(&mut document);
    object.insert("policyGroup".into(), json!(stored.group_id));
    object.insert("revision".into(), stored.revision.into());
    object.insert("createdAt".into(), stored.created_at.to_string().into());
    object.insert("updatedAt".into(), stored.updated_at.to_string().into());
    if !warnings.is_empty() {
        object.insert(
            "warnings".into(),
            warnings
                .iter()
                .map(|warning| json!({"pointer": warning.pointer, "message": warning.message}))
                .collect(),
        );
    }
    Value::Object(object)
}

/// `{id, name, platform}` of a policy.
pub fn policy_ref(stored: &StoredPolicy) -> Value {
    json!({
        "id": stored.id,
        "name": stored.policy.name.as_str(),
        "platform": stored.policy.platform().as_str(),
    })
}

/// A policy group with its policies and bindings.
pub fn policy_group(
    group: &StoredPolicyGroup,
    policies: &[&StoredPolicy],
    bindings: &BindingTargets,
) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "ringOrder": group.ring_order,
        "policies": policies.iter().map(|policy| policy_ref(policy)).collect::<Vec<_>>(),
        "bindings": bindings_view(bindings),
        "createdAt": group.created_at.to_string(),
    })
}

pub fn bindings_view(bindings: &BindingTargets) -> Value {
    json!({"devices": bindings.devices, "deviceGroups": bindings.device_groups})
}

pub fn device(device: &StoredDevice) -> Value {
    json!({
        "id": device.id,
        "platform": device.platform.map(|platform| platform.as_str()),
        "osVersion": device.os_version.as_ref().map(|version| version.as_str()),
        "osBuild": device.os_build,
        "model": device.model,
        "softwareUpdateDeviceId": device.software_update_device_id,
        "enrollmentType": device.enrollment_type.map(|kind| kind.as_str()),
        "createdAt": device.created_at.to_string(),
        "updatedAt": device.updated_at.to_string(),
    })
}

pub fn device_group(group: &StoredDeviceGroup) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "devices": group.devices,
        "revision": group.revision,
        "createdAt": group.created_at.to_string(),
    })
}

/// `GET /api/v1/devices/{id}/effective-policy`.
pub fn effective_policy(served: &DeviceServed, at: Timestamp) -> Value {
    let device = &served.device;
    let snapshot: &OsUpdateSnapshot = &served.snapshot;
    let resolution = &served.resolution;
    let plan = served.served.plan.as_ref();
    let named = |candidate: &Candidate| candidate_ref(snapshot, candidate);
    let reason = match &resolution.winner {
        None => "no policy of the device's platform is bound to the device or to a device group it is in"
            .to_owned(),
        Some(winner) => {
            let how = winner.routes.first().map(|route| route_text(snapshot, route)).unwrap_or_default();
            if resolution.overruled.is_empty() {
                format!("{} is the only {} policy that reaches the device: {how}", name_of(snapshot, winner.policy), platform_name(device))
            } else {
                format!(
                    "{} wins over {} other polic{}: {how}",
                    name_of(snapshot, winner.policy),
                    resolution.overruled.len(),
                    if resolution.overruled.len() == 1 { "y" } else { "ies" }
                )
            }
        }
    };
    json!({
        "device": device.id,
        "platform": device.platform.map(|platform| platform.as_str()),
        "evaluatedAt": at.to_string(),
        "policy": resolution.winner.as_ref().map(named),
        "reason": reason,
        "routes": resolution.winner.as_ref().map(|winner| routes(snapshot, &winner.routes)).unwrap_or_default(),
        "conflict": resolution.has_conflict(),
        "overruled": resolution.overruled.iter().map(|overruled| json!({
            "policy": named(&overruled.candidate),
            "rule": overruled.rule.as_str(),
            "reason": format!(
                "{} loses: {} ({})",
                name_of(snapshot, overruled.candidate.policy),
                overruled.rule,
                overruled.candidate.routes.first().map(|route| route_text(snapshot, route)).unwrap_or_default()
            ),
            "routes": routes(snapshot, &overruled.candidate.routes),
        })).collect::<Vec<_>>(),
        "ignored": resolution.ignored.iter().map(|candidate| {
            let platform = snapshot.policies.get(&candidate.policy).map(|p| p.policy.platform().as_str()).unwrap_or("?");
            json!({
                "policy": named(candidate),
                "reason": format!("the policy is for {platform}; the device runs {}", platform_name(device)),
            })
        }).collect::<Vec<_>>(),
        "schedule": plan.map(schedule),
    })
}

/// What the schedule decided for a device.
pub fn schedule(plan: &DevicePlan) -> Value {
    let enforcement = plan.enforcement();
    json!({
        "today": plan.today.to_string(),
        "explanation": plan.explanation(),
        "targetVersion": enforcement.map(|e| e.version.as_str().to_owned()),
        "targetBuild": enforcement.and_then(|e| e.target_build.clone()),
        "deadline": enforcement.map(|e| e.deadline_text()),
        "overdue": enforcement.is_some_and(|e| e.overdue),
        "visible": plan.visible().map(|release| release.version.as_str().to_owned()).collect::<Vec<_>>(),
        "releases": plan.releases.iter().map(|release| json!({
            "version": release.version.as_str(),
            "build": release.build,
            "deferral": kind_name(release.kind),
            "deferralDays": release.deferral_days,
            "visibleOn": release.visible_on.to_string(),
            "visible": release.visible,
            "status": status_name(release.status),
            "hardware": {"rule": release.support.as_str(), "reason": release.support.to_string()},
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/devices/{id}/declarations`.
pub fn declarations(served: &DeviceServed, at: Timestamp) -> Value {
    let set = &served.served.declarations;
    json!({
        "device": served.device.id,
        "evaluatedAt": at.to_string(),
        "policy": served.policy.as_ref().map(policy_ref),
        "unsupportedReason": served.served.unsupported,
        "declarationsToken": set.declarations_token(),
        "declarations": set.declarations().iter().map(|declaration| declaration.to_json()).collect::<Vec<_>>(),
        "schedule": served.served.plan.as_ref().map(schedule),
    })
}

/// The plan view of several policies.
pub fn plan(rollouts: &[PolicyRollout], from: Date, to: Date) -> Value {
    json!({
        "from": from.to_string(),
        "to": to.to_string(),
        "policies": rollouts.iter().map(|rollout| json!({
            "policy": policy_ref(&rollout.policy),
            "ring": rollout.ring,
            "releases": rollout.entries.iter().map(rollout_entry).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The plan as a timeline picture: one row per rollout, labelled by ring (or policy).
pub fn plan_svg(rollouts: &[PolicyRollout], title: &str, from: Date, to: Date) -> String {
    let rows: Vec<ChartRow<'_>> = rollouts
        .iter()
        .map(|rollout| ChartRow {
            label: rollout.label(),
            entries: &rollout.entries,
        })
        .collect();
    rollout_svg(title, &rows, from, to)
}

fn rollout_entry(entry: &RolloutEntry) -> Value {
    json!({
        "version": entry.version.as_str(),
        "build": entry.build,
        "deferral": kind_name(entry.kind),
        "visibleOn": entry.visible_on.to_string(),
        "enforcedBy": entry.enforced_by.map(format_deadline),
    })
}

pub fn kind_name(kind: DeferralKind) -> &'static str {
    match kind {
        DeferralKind::Major => "major",
        DeferralKind::Minor => "minor",
        DeferralKind::Combined => "combined",
        DeferralKind::Supplemental => "supplemental",
    }
}

fn candidate_ref(snapshot: &OsUpdateSnapshot, candidate: &Candidate) -> Value {
    json!({
        "id": candidate.policy,
        "name": name_of(snapshot, candidate.policy),
        "policyGroup": candidate.group.map(|group| json!({
            "id": group,
            "name": snapshot.policy_groups.get(&group).map(|g| g.name.clone()),
            "ringOrder": candidate.ring_order,
        })),
    })
}

fn routes(snapshot: &OsUpdateSnapshot, routes: &[Route]) -> Vec<Value> {
    routes
        .iter()
        .map(|route| {
            let mut object = Map::new();
            match route.via {
                Via::Device => {
                    object.insert("via".into(), "device".into());
                }
                Via::DeviceGroup(id) => {
                    object.insert("via".into(), "deviceGroup".into());
                    object.insert(
                        "deviceGroup".into(),
                        json!({"id": id, "name": snapshot.device_groups.get(&id).map(|g| g.name.clone())}),
                    );
                }
            }
            match route.subject {
                Subject::Policy(_) => {
                    object.insert("bound".into(), "policy".into());
                }
                Subject::PolicyGroup(id) => {
                    object.insert("bound".into(), "policyGroup".into());
                    object.insert(
                        "policyGroup".into(),
                        json!({"id": id, "name": snapshot.policy_groups.get(&id).map(|g| g.name.clone())}),
                    );
                }
            }
            Value::Object(object)
        })
        .collect()
}

fn route_text(snapshot: &OsUpdateSnapshot, route: &Route) -> String {
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

fn name_of(snapshot: &OsUpdateSnapshot, policy: i64) -> String {
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
    }
}
