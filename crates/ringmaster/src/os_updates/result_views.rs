//! The JSON of policy results: a device's status, its legacy mechanisms, and a policy's or the
//! rings' compliance. Typed views (camelCase, in declaration order) that the CLI prints too.

use jiff::Timestamp;
use ringmaster_domain::compliance::ComplianceCounts;
use ringmaster_domain::device_status::report::StatusReason;
use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::ddm::LegacyMechanism;
use serde::Serialize;
use serde_json::Value;

use crate::os_updates::compliance_index::{DeviceInputs, Entry};
use crate::os_updates::results::{DeviceResult, PolicyCompliance, RingsCompliance};
use crate::os_updates::views::{DeviceView, PolicyRef};

/// `GET /api/v1/devices/{id}/status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatusView {
    pub device: DeviceView,
    pub evaluated_at: String,
    pub state: &'static str,
    pub unsupported_reason: Option<String>,
    pub policy: Option<PolicyRef>,
    pub target_version: Option<String>,
    pub target_build: Option<String>,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub explanation: Option<String>,
    pub install_state: Option<String>,
    pub pending_version: Option<PendingVersionView>,
    pub failure: Option<FailureView>,
    pub install_reason: Option<InstallReasonView>,
    pub beta_enrollment: Option<String>,
    pub declarations_token: String,
    pub declarations: Vec<DeclarationStateView>,
    pub rejected_declarations: Vec<String>,
    pub errors: Vec<ItemErrorView>,
    pub legacy_conflict: bool,
    pub legacy_mechanisms: Vec<LegacyView>,
    pub reports: i64,
    pub last_report_at: Option<String>,
    pub last_full_report_at: Option<String>,
}

/// The update the device has staged.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingVersionView {
    pub os_version: String,
    pub build_version: String,
    pub target_local_date_time: Option<String>,
}

/// The device's last failed install.
#[derive(Debug, Clone, Serialize)]
pub struct FailureView {
    pub count: u64,
    pub reason: Option<String>,
    pub timestamp: Option<String>,
}

/// What triggered the pending update.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallReasonView {
    pub reasons: Vec<String>,
    pub declaration_id: Option<String>,
}

/// One declaration as the device reports it, and whether it is the one served now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclarationStateView {
    pub kind: &'static str,
    pub identifier: String,
    pub server_token: String,
    pub current: bool,
    pub active: bool,
    pub valid: String,
    pub reasons: Vec<ReasonView>,
}

/// Why a device reports a declaration as it does.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonView {
    pub code: String,
    pub description: Option<String>,
    pub details: Option<Value>,
}

/// A status item the device could not report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemErrorView {
    pub status_item: String,
    pub reasons: Vec<ErrorReasonView>,
}

/// Why a status item could not be reported.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReasonView {
    pub code: String,
    pub description: Option<String>,
}

/// A legacy update mechanism recorded against a device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyView {
    pub kind: String,
    pub name: String,
    pub recorded_at: String,
}

impl LegacyView {
    pub fn of(mechanism: &LegacyMechanism) -> LegacyView {
        LegacyView {
            kind: mechanism.kind.clone(),
            name: mechanism.name.clone(),
            recorded_at: mechanism.recorded_at.to_string(),
        }
    }
}

/// `GET /api/v1/devices/{id}/legacy-mechanisms`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyList {
    pub legacy_conflict: bool,
    pub legacy_mechanisms: Vec<LegacyView>,
}

impl LegacyList {
    pub fn of(result: &DeviceResult) -> LegacyList {
        LegacyList {
            legacy_conflict: result.legacy_conflict(),
            legacy_mechanisms: result.legacy.iter().map(LegacyView::of).collect(),
        }
    }
}

impl DeviceStatusView {
    pub fn of(result: &DeviceResult, at: Timestamp) -> DeviceStatusView {
        let served = &result.served;
        let update = result.status.software_update();
        let enforcement = served.served.enforcement();
        let stored = result.stored_status.as_ref();
        DeviceStatusView {
            device: DeviceView::of(&served.device),
            evaluated_at: at.to_string(),
            state: result.state.as_str(),
            unsupported_reason: served.served.unsupported.clone(),
            policy: served.policy.as_ref().map(PolicyRef::of),
            target_version: enforcement.map(|e| e.version.as_str().to_owned()),
            target_build: enforcement.and_then(|e| e.target_build.clone()),
            deadline: enforcement.map(|e| e.deadline_text()),
            overdue: enforcement.is_some_and(|e| e.overdue),
            explanation: served.served.plan.as_ref().map(|plan| plan.explanation()),
            install_state: update
                .install_state
                .as_ref()
                .map(|state| state.as_str().to_owned()),
            pending_version: update
                .pending_version
                .as_ref()
                .filter(|pending| !pending.is_none())
                .map(|pending| PendingVersionView {
                    os_version: pending.os_version.clone(),
                    build_version: pending.build_version.clone(),
                    target_local_date_time: pending.target_local_date_time.clone(),
                }),
            failure: update
                .failure_reason
                .as_ref()
                .filter(|failure| failure.count > 0)
                .map(|failure| FailureView {
                    count: failure.count,
                    reason: failure.reason.clone(),
                    timestamp: failure.timestamp.clone(),
                }),
            install_reason: update
                .install_reason
                .as_ref()
                .map(|reason| InstallReasonView {
                    reasons: reason.reasons.clone(),
                    declaration_id: reason.declaration_id.clone(),
                }),
            beta_enrollment: update.beta_enrollment.clone(),
            declarations_token: served.served.declarations.declarations_token(),
            declarations: result
                .status
                .declarations()
                .iter()
                .map(|declaration| DeclarationStateView {
                    kind: declaration.kind.as_str(),
                    identifier: declaration.identifier.clone(),
                    server_token: declaration.server_token.clone(),
                    current: served
                        .served
                        .declarations
                        .get(declaration.kind, &declaration.identifier)
                        .is_some_and(|served| served.server_token() == declaration.server_token),
                    active: declaration.active,
                    valid: declaration.valid.as_str().to_owned(),
                    reasons: declaration.reasons.iter().map(ReasonView::of).collect(),
                })
                .collect(),
            rejected_declarations: result.rejected.clone(),
            errors: result
                .status
                .errors
                .iter()
                .map(|error| ItemErrorView {
                    status_item: error.status_item.clone(),
                    reasons: error
                        .reasons
                        .iter()
                        .map(|reason| ErrorReasonView {
                            code: reason.code.clone(),
                            description: reason.description.clone(),
                        })
                        .collect(),
                })
                .collect(),
            legacy_conflict: result.legacy_conflict(),
            legacy_mechanisms: result.legacy.iter().map(LegacyView::of).collect(),
            reports: stored.map_or(0, |stored| stored.reports),
            last_report_at: stored.map(|stored| stored.updated_at.to_string()),
            last_full_report_at: stored
                .and_then(|stored| stored.last_full_report_at)
                .map(|at| at.to_string()),
        }
    }
}

impl ReasonView {
    fn of(reason: &StatusReason) -> ReasonView {
        ReasonView {
            code: reason.code.clone(),
            description: reason.description.clone(),
            details: reason.details.clone(),
        }
    }
}

/// One device's line in a compliance list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLine {
    pub id: String,
    pub state: &'static str,
    pub unsupported_reason: Option<String>,
    pub os_version: Option<String>,
    pub target_version: Option<String>,
    pub deadline: Option<String>,
    pub install_state: Option<String>,
    pub rejected_declarations: Vec<String>,
    pub legacy_conflict: bool,
}

impl DeviceLine {
    pub fn of(result: &DeviceResult) -> DeviceLine {
        let served = &result.served;
        let enforcement = served.served.enforcement();
        DeviceLine {
            id: served.device.id.clone(),
            state: result.state.as_str(),
            unsupported_reason: served.served.unsupported.clone(),
            os_version: served
                .device
                .os_version
                .as_ref()
                .map(|version| version.as_str().to_owned()),
            target_version: enforcement.map(|e| e.version.as_str().to_owned()),
            deadline: enforcement.map(|e| e.deadline_text()),
            install_state: result
                .status
                .software_update()
                .install_state
                .map(|state| state.as_str().to_owned()),
            rejected_declarations: result.rejected.clone(),
            legacy_conflict: result.legacy_conflict(),
        }
    }
}

impl DeviceLine {
    /// The line of a device held in the compliance index (the same as [`DeviceLine::of`] its
    /// result computed directly).
    pub fn of_entry(inputs: &DeviceInputs, entry: &Entry) -> DeviceLine {
        DeviceLine {
            id: inputs.device.id.clone(),
            state: entry.state.as_str(),
            unsupported_reason: entry.served.unsupported.clone(),
            os_version: inputs
                .device
                .os_version
                .as_ref()
                .map(|version| version.as_str().to_owned()),
            target_version: entry.served.target_version.clone(),
            deadline: entry.served.deadline.clone(),
            install_state: inputs
                .status
                .install_state
                .as_ref()
                .map(|state| state.as_str().to_owned()),
            rejected_declarations: entry.rejected.clone(),
            legacy_conflict: entry.legacy_conflict,
        }
    }
}

/// `GET /api/v1/policies/{id}/compliance`: the policy's counts and a page of its devices.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyComplianceView {
    pub policy: PolicyRef,
    pub ring: Option<String>,
    pub evaluated_at: String,
    pub counts: ComplianceCounts,
    /// The page: at most `?limit=` lines, in device id order, after `?after=`, in `?state=`.
    pub devices: Vec<DeviceLine>,
    /// How many devices match `?state=` (all the policy's devices without it), on every page.
    pub total: usize,
    /// The `?after=` of the next page; `null` on the last.
    pub next: Option<String>,
}

impl PolicyComplianceView {
    /// Every device line, on one page.
    pub fn of(compliance: &PolicyCompliance, at: Timestamp) -> PolicyComplianceView {
        PolicyComplianceView {
            policy: PolicyRef::of(&compliance.policy),
            ring: compliance.ring.clone(),
            evaluated_at: at.to_string(),
            counts: compliance.counts,
            devices: compliance.results.iter().map(DeviceLine::of).collect(),
            total: compliance.results.len(),
            next: None,
        }
    }
}

/// `GET /api/v1/policy-groups/compliance?platform=`: every ring's counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RingsComplianceView {
    pub platform: Platform,
    pub evaluated_at: String,
    pub rings: Vec<RingComplianceView>,
    /// Devices of the platform that no policy reaches.
    pub without_policy: usize,
}

/// One ring's counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RingComplianceView {
    pub ring: String,
    pub ring_order: Option<i32>,
    pub policy: PolicyRef,
    pub counts: ComplianceCounts,
}

impl RingsComplianceView {
    pub fn of(compliance: &RingsCompliance, at: Timestamp) -> RingsComplianceView {
        RingsComplianceView {
            platform: compliance.platform,
            evaluated_at: at.to_string(),
            rings: compliance
                .rings
                .iter()
                .map(|ring| RingComplianceView {
                    ring: ring.group.name.clone(),
                    ring_order: ring.group.ring_order,
                    policy: PolicyRef::of(&ring.compliance.policy),
                    counts: ring.compliance.counts,
                })
                .collect(),
            without_policy: compliance.without_policy,
        }
    }
}
