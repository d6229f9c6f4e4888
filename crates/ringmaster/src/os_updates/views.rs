//! The JSON the OS-update API answers (camelCase, like the patch source) and the CLI prints:
//! the catalog, policies, policy groups, bindings, devices, device groups and the plan.
//!
//! Each answer is a typed view built by hand from domain and store types, so a refactor of
//! either cannot silently change what tools read, and the CLI reads the same fields the API
//! writes (a renamed field does not compile). Fields are written in declaration order. Dates
//! are `yyyy-mm-dd`, instants RFC 3339 UTC, deadlines device-local `yyyy-mm-ddThh:mm:ss` (no
//! zone) as Apple's `TargetLocalDateTime`. What a device is served is in
//! [`crate::os_updates::served_views`]; policy results in [`crate::os_updates::result_views`].

use std::collections::BTreeSet;

use jiff::civil::Date;
use ringmaster_domain::catalog::release::Release;
use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};
use ringmaster_domain::plan_chart::{ChartRow, PausedDays, rollout_svg};
use ringmaster_domain::platform::Platform;
use ringmaster_domain::policy::parse::Warning;
use ringmaster_domain::policy::render::render_policy;
use ringmaster_domain::schedule::{DeferralKind, RolloutEntry, format_deadline};
use ringmaster_store::os_updates::blocks::StoredBlock;
use ringmaster_store::os_updates::devices::{StoredDevice, StoredDeviceGroup};
use ringmaster_store::os_updates::pauses::StoredPause;
use ringmaster_store::os_updates::policies::{BindingTargets, DefaultRings, StoredPolicy};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::os_updates::pauses::subject_parts;
use crate::os_updates::policies::PolicyGroupDetail;
use crate::os_updates::served::PolicyRollout;

/// One catalog release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub platform: Platform,
    pub version: String,
    pub build: Option<String>,
    /// `major`, `minor` or `supplemental`.
    pub kind: &'static str,
    pub released_on: String,
    pub first_seen_at: Option<String>,
    pub expires_on: Option<String>,
    pub supported_devices: BTreeSet<String>,
    pub security: Option<SecurityView>,
    pub prerequisite_build: Option<String>,
    pub source: &'static str,
    /// Present when the release is blocked: never a target anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<BlockView>,
}

/// A blocked release: every build of `version` on `platform`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    pub platform: Platform,
    pub version: String,
    pub reason: String,
    /// The name of the token that blocked it; absent when blocked from the CLI.
    pub blocked_by: Option<String>,
    pub blocked_at: String,
}

impl BlockView {
    pub fn of(block: &StoredBlock) -> BlockView {
        BlockView {
            platform: block.platform,
            version: block.version.as_str().to_owned(),
            reason: block.reason.clone(),
            blocked_by: block.blocked_by.clone(),
            blocked_at: block.blocked_at.to_string(),
        }
    }
}

/// What a release fixes, when the feed says.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityView {
    pub cve_count: u32,
    pub actively_exploited_count: u32,
    pub details_url: Option<String>,
}

impl ReleaseView {
    pub fn of(release: &Release) -> ReleaseView {
        ReleaseView {
            platform: release.platform,
            version: release.version.as_str().to_owned(),
            build: release.build.clone(),
            kind: if release.is_supplemental() {
                "supplemental"
            } else if release.is_major() {
                "major"
            } else {
                "minor"
            },
            released_on: release.released_on.to_string(),
            first_seen_at: release.seen_at.map(|at| at.to_string()),
            expires_on: release.expires_on.map(|day| day.to_string()),
            supported_devices: release.supported_devices.as_set().clone(),
            security: release.security.as_ref().map(|security| SecurityView {
                cve_count: security.cve_count,
                actively_exploited_count: security.actively_exploited_count,
                details_url: security.details_url.clone(),
            }),
            prerequisite_build: release.prerequisite_build.clone(),
            source: release.source.as_str(),
            blocked: None,
        }
    }

    /// The view of `release` with its block, if `blocks` has one for its version.
    pub fn with_blocks(release: &Release, blocks: &[StoredBlock]) -> ReleaseView {
        ReleaseView {
            blocked: blocks
                .iter()
                .find(|block| {
                    block.platform == release.platform && block.version == release.version
                })
                .map(BlockView::of),
            ..ReleaseView::of(release)
        }
    }
}

/// `GET /api/v1/catalog/{platform}`.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogView {
    pub platform: Platform,
    pub releases: Vec<ReleaseView>,
    /// Every blocked version of the platform, also those the catalog does not hold (yet).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<BlockView>,
}

/// A stored policy: `id`, the policy document, `policyGroup`, `revision` and times, and the
/// warnings of the write that produced it, if any.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub id: PolicyId,
    /// The policy document as it is written to the API (see `policy::render`).
    #[serde(flatten)]
    pub document: Map<String, Value>,
    pub policy_group: Option<PolicyGroupId>,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WarningView>,
}

/// A setting accepted but without effect, by JSON pointer.
#[derive(Debug, Clone, Serialize)]
pub struct WarningView {
    pub pointer: String,
    pub message: String,
}

impl PolicyView {
    pub fn of(stored: &StoredPolicy, warnings: &[Warning]) -> PolicyView {
        let document = match render_policy(&stored.policy) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        PolicyView {
            id: stored.id,
            document,
            policy_group: stored.group_id,
            revision: stored.revision,
            created_at: stored.created_at.to_string(),
            updated_at: stored.updated_at.to_string(),
            warnings: warnings
                .iter()
                .map(|warning| WarningView {
                    pointer: warning.pointer.clone(),
                    message: warning.message.clone(),
                })
                .collect(),
        }
    }
}

/// `{id, name, platform}` of a policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyRef {
    pub id: PolicyId,
    pub name: String,
    pub platform: Platform,
}

impl PolicyRef {
    pub fn of(stored: &StoredPolicy) -> PolicyRef {
        PolicyRef {
            id: stored.id,
            name: stored.policy.name.as_str().to_owned(),
            platform: stored.policy.platform(),
        }
    }
}

/// A policy group with its policies and bindings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyGroupView {
    pub id: PolicyGroupId,
    pub name: String,
    pub ring_order: Option<i32>,
    pub policies: Vec<PolicyRef>,
    pub bindings: BindingsView,
    /// The ring it waits for, and how healthy that ring must be; `null` when not gated.
    pub gate: Option<crate::os_updates::gates::GateView>,
    pub created_at: String,
}

impl PolicyGroupView {
    pub fn of(detail: &PolicyGroupDetail) -> PolicyGroupView {
        let group = &detail.group;
        PolicyGroupView {
            id: group.id,
            name: group.name.clone(),
            ring_order: group.ring_order,
            policies: detail.policies.iter().map(PolicyRef::of).collect(),
            bindings: BindingsView::of(&detail.bindings),
            gate: detail
                .gate
                .as_ref()
                .map(crate::os_updates::gates::GateView::of),
            created_at: group.created_at.to_string(),
        }
    }
}

/// `POST /api/v1/policy-groups/defaults`: whether the rings were created, and the rings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultRingsView {
    pub created: bool,
    pub policy_groups: Vec<PolicyGroupView>,
}

impl DefaultRingsView {
    /// The rings of `rings`, in their order, as `details` describe them.
    pub fn of(rings: &DefaultRings, details: &[PolicyGroupDetail]) -> DefaultRingsView {
        DefaultRingsView {
            created: rings.created,
            policy_groups: rings
                .rings
                .iter()
                .filter_map(|ring| {
                    details
                        .iter()
                        .find(|detail| detail.group.id == ring.group.id)
                })
                .map(PolicyGroupView::of)
                .collect(),
        }
    }
}

/// What a policy or policy group is bound to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingsView {
    pub devices: Vec<String>,
    pub device_groups: Vec<DeviceGroupId>,
}

impl BindingsView {
    pub fn of(bindings: &BindingTargets) -> BindingsView {
        BindingsView {
            devices: bindings.devices.clone(),
            device_groups: bindings.device_groups.clone(),
        }
    }
}

/// A device as stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub id: String,
    pub platform: Option<Platform>,
    pub os_version: Option<String>,
    pub os_build: Option<String>,
    pub model: Option<String>,
    pub software_update_device_id: Option<String>,
    pub enrollment_type: Option<&'static str>,
    pub created_at: String,
    pub updated_at: String,
}

impl DeviceView {
    pub fn of(device: &StoredDevice) -> DeviceView {
        DeviceView {
            id: device.id.clone(),
            platform: device.platform,
            os_version: device
                .os_version
                .as_ref()
                .map(|version| version.as_str().to_owned()),
            os_build: device.os_build.clone(),
            model: device.model.clone(),
            software_update_device_id: device.software_update_device_id.clone(),
            enrollment_type: device.enrollment_type.map(|kind| kind.as_str()),
            created_at: device.created_at.to_string(),
            updated_at: device.updated_at.to_string(),
        }
    }
}

/// `GET /api/v1/devices`: one page, and the id to continue `after` (`null` on the last page).
#[derive(Debug, Clone, Serialize)]
pub struct DevicePage {
    pub devices: Vec<DeviceView>,
    pub next: Option<String>,
}

/// A device group with its members.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGroupView {
    pub id: DeviceGroupId,
    pub name: String,
    pub devices: Vec<String>,
    pub revision: i64,
    pub created_at: String,
}

impl DeviceGroupView {
    pub fn of(group: &StoredDeviceGroup) -> DeviceGroupView {
        DeviceGroupView {
            id: group.id,
            name: group.name.clone(),
            devices: group.devices.clone(),
            revision: group.revision,
            created_at: group.created_at.to_string(),
        }
    }
}

/// A device group with how many members it has (`GET /api/v1/device-groups?summary=true`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGroupSummaryView {
    pub id: DeviceGroupId,
    pub name: String,
    pub member_count: usize,
    pub revision: i64,
    pub created_at: String,
}

impl DeviceGroupSummaryView {
    pub fn of(group: &StoredDeviceGroup, members: usize) -> DeviceGroupSummaryView {
        DeviceGroupSummaryView {
            id: group.id,
            name: group.name.clone(),
            member_count: members,
            revision: group.revision,
            created_at: group.created_at.to_string(),
        }
    }
}

/// The plan of several policies between two days.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub from: String,
    pub to: String,
    pub policies: Vec<PlanPolicy>,
}

/// One policy's rollout in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanPolicy {
    pub policy: PolicyRef,
    pub ring: Option<String>,
    pub releases: Vec<PlanRelease>,
    /// The latest pauses of the policy and its ring: none while neither was ever paused.
    pub paused: Vec<PlanPause>,
    /// Releases visible to the ring but waiting for its health gate, in words.
    pub waiting: Vec<String>,
}

/// A pause in the plan: from `since` to `until` (when it ended or will end; open without).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanPause {
    /// `policyGroup` or `policy`.
    pub subject: &'static str,
    pub since: String,
    pub until: Option<String>,
    pub reason: String,
}

impl PlanPause {
    fn of(pause: &StoredPause) -> PlanPause {
        PlanPause {
            subject: subject_parts(pause.subject).0,
            since: pause.paused_at.to_string(),
            until: pause.span().end().map(|end| end.to_string()),
            reason: pause.reason.clone(),
        }
    }
}

/// The days a pause covers, for the picture (UTC days).
fn paused_days(pause: &StoredPause) -> PausedDays {
    let day = |instant: jiff::Timestamp| instant.to_zoned(jiff::tz::TimeZone::UTC).date();
    PausedDays {
        first: day(pause.paused_at),
        last: pause.span().end().map(day),
    }
}

/// When one release becomes visible to a policy's devices, and by when they must install it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRelease {
    pub version: String,
    pub build: Option<String>,
    pub deferral: &'static str,
    pub visible_on: String,
    pub enforced_by: Option<String>,
}

impl PlanView {
    pub fn of(rollouts: &[PolicyRollout], from: Date, to: Date) -> PlanView {
        PlanView {
            from: from.to_string(),
            to: to.to_string(),
            policies: rollouts
                .iter()
                .map(|rollout| PlanPolicy {
                    policy: PolicyRef::of(&rollout.policy),
                    ring: rollout.ring.clone(),
                    releases: rollout
                        .entries
                        .iter()
                        .map(|entry| PlanRelease::of(entry, rollout.deferral_name(entry)))
                        .collect(),
                    paused: rollout.pauses.iter().map(PlanPause::of).collect(),
                    waiting: rollout.waiting.clone(),
                })
                .collect(),
        }
    }
}

impl PlanRelease {
    fn of(entry: &RolloutEntry, deferral: &'static str) -> PlanRelease {
        PlanRelease {
            version: entry.version.as_str().to_owned(),
            build: entry.build.clone(),
            deferral,
            visible_on: entry.visible_on.to_string(),
            enforced_by: entry.enforced_by.map(format_deadline),
        }
    }
}

/// The plan as a timeline picture: one row per rollout, labelled by ring (or policy).
pub fn plan_svg(rollouts: &[PolicyRollout], title: &str, from: Date, to: Date) -> String {
    let paused: Vec<Vec<PausedDays>> = rollouts
        .iter()
        .map(|rollout| rollout.pauses.iter().map(paused_days).collect())
        .collect();
    let rows: Vec<ChartRow<'_>> = rollouts
        .iter()
        .zip(&paused)
        .map(|(rollout, paused)| ChartRow {
            label: rollout.label(),
            entries: &rollout.entries,
            paused,
        })
        .collect();
    rollout_svg(title, &rows, from, to)
}

/// The API spelling of a deferral kind.
pub fn kind_name(kind: DeferralKind) -> &'static str {
    match kind {
        DeferralKind::Major => "major",
        DeferralKind::Minor => "minor",
        DeferralKind::Combined => "combined",
        DeferralKind::Supplemental => "supplemental",
    }
}
