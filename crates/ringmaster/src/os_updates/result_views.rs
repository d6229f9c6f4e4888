//! The JSON of policy results: a device's status and a policy's or the rings' compliance.

use std::collections::BTreeMap;

use jiff::Timestamp;
use ringmaster_domain::compliance::ComplianceState;
use serde_json::{Map, Value, json};

use crate::os_updates::results::DeviceResult;
use crate::os_updates::views;

/// `GET /api/v1/devices/{id}/status`.
pub fn device_status(result: &DeviceResult, at: Timestamp) -> Value {
    let served = &result.served;
    let update = result.status.software_update();
    let enforcement = served.served.enforcement();
    json!({
        "device": views::device(&served.device),
        "evaluatedAt": at.to_string(),
        "state": result.state.as_str(),
        "unsupportedReason": served.served.unsupported,
        "policy": served.policy.as_ref().map(views::policy_ref),
        "targetVersion": enforcement.map(|e| e.version.as_str().to_owned()),
        "targetBuild": enforcement.and_then(|e| e.target_build.clone()),
        "deadline": enforcement.map(|e| e.deadline_text()),
        "overdue": enforcement.is_some_and(|e| e.overdue),
        "explanation": served.served.plan.as_ref().map(|plan| plan.explanation()),
        "installState": update.install_state.as_ref().map(|state| state.as_str().to_owned()),
        "pendingVersion": update.pending_version.as_ref().filter(|pending| !pending.is_none()).map(|pending| json!({
            "osVersion": pending.os_version,
            "buildVersion": pending.build_version,
            "targetLocalDateTime": pending.target_local_date_time,
        })),
        "failure": update.failure_reason.as_ref().filter(|failure| failure.count > 0).map(|failure| json!({
            "count": failure.count,
            "reason": failure.reason,
            "timestamp": failure.timestamp,
        })),
        "installReason": update.install_reason.as_ref().map(|reason| json!({
            "reasons": reason.reasons,
            "declarationId": reason.declaration_id,
        })),
        "betaEnrollment": update.beta_enrollment,
        "declarationsToken": served.served.declarations.declarations_token(),
        "declarations": result.status.declarations().iter().map(|declaration| {
            let current = served
                .served
                .declarations
                .get(declaration.kind, &declaration.identifier)
                .is_some_and(|served| served.server_token() == declaration.server_token);
            json!({
                "kind": declaration.kind.as_str(),
                "identifier": declaration.identifier,
                "serverToken": declaration.server_token,
                "current": current,
                "active": declaration.active,
                "valid": declaration.valid.as_str(),
                "reasons": declaration.reasons.iter().map(|reason| json!({
                    "code": reason.code,
                    "description": reason.description,
                    "details": reason.details,
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "rejectedDeclarations": result.rejected,
        "errors": result.status.errors.iter().map(|error| json!({
            "statusItem": error.status_item,
            "reasons": error.reasons.iter().map(|reason| json!({"code": reason.code, "description": reason.description})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "legacyConflict": result.legacy_conflict(),
        "legacyMechanisms": result.legacy.iter().map(|mechanism| json!({
            "kind": mechanism.kind,
            "name": mechanism.name,
            "recordedAt": mechanism.recorded_at.to_string(),
        })).collect::<Vec<_>>(),
        "reports": result.stored_status.as_ref().map_or(0, |stored| stored.reports),
        "lastReportAt": result.stored_status.as_ref().map(|stored| stored.updated_at.to_string()),
        "lastFullReportAt": result.stored_status.as_ref().and_then(|stored| stored.last_full_report_at).map(|at| at.to_string()),
    })
}

/// Counts of each state, every state present (zero when none).
pub fn counts<'a>(results: impl Iterator<Item = &'a DeviceResult>) -> Value {
    let mut counts: BTreeMap<ComplianceState, usize> = ComplianceState::ALL
        .iter()
        .map(|state| (*state, 0))
        .collect();
    let mut legacy = 0;
    for result in results {
        *counts.entry(result.state).or_default() += 1;
        legacy += usize::from(result.legacy_conflict());
    }
    let mut object: Map<String, Value> = counts
        .into_iter()
        .map(|(state, count)| (state.as_str().to_owned(), count.into()))
        .collect();
    object.insert("legacyConflict".into(), legacy.into());
    Value::Object(object)
}

/// One device's line in a compliance list.
pub fn device_line(result: &DeviceResult) -> Value {
    let served = &result.served;
    let enforcement = served.served.enforcement();
    json!({
        "id": served.device.id,
        "state": result.state.as_str(),
        "unsupportedReason": served.served.unsupported,
        "osVersion": served.device.os_version.as_ref().map(|version| version.as_str().to_owned()),
        "targetVersion": enforcement.map(|e| e.version.as_str().to_owned()),
        "deadline": enforcement.map(|e| e.deadline_text()),
        "installState": result.status.software_update().install_state.map(|state| state.as_str().to_owned()),
        "rejectedDeclarations": result.rejected,
        "legacyConflict": result.legacy_conflict(),
    })
}
