//! The dry runs of pausing and resuming a ring or a policy and of setting or removing a ring's
//! health gate (`?dryRun=true` on `POST …/pause|resume` and `PUT|DELETE
//! /api/v1/policy-groups/{id}/gate`): the real write's checks in its order and with its errors,
//! then its edit applied to the copy of the configuration ([`OsUpdates::preview`]). The pause
//! and resume edits are the store's own ([`paused`], [`resumed`]), so the preview keeps a pause's
//! start exactly as the write does; the gate's checks are the write's ([`check_gate`]).

use jiff::Timestamp;
use ringmaster_domain::ids::PolicyGroupId;
use ringmaster_domain::preview::ChangePreview;
use ringmaster_domain::rollout_control::PauseRequest;
use ringmaster_domain::schedule::gates::Gate;
use ringmaster_store::os_updates::OsUpdateConfig;
use ringmaster_store::os_updates::gates::StoredGate;
use ringmaster_store::os_updates::pauses::{paused, resumed};
use ringmaster_store::os_updates::policies::Subject;

use crate::os_updates::gates::{check_gate, no_gate};
use crate::os_updates::pauses::{no_pause, subject_not_found};
use crate::os_updates::preview::KnownDevices;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// Whether `subject` names a policy or a group of `config`.
fn exists(config: &OsUpdateConfig, subject: Subject) -> bool {
    match subject {
        Subject::Policy(id) => config.policies.iter().any(|policy| policy.id == id),
        Subject::PolicyGroup(id) => config.policy_groups.iter().any(|group| group.id == id),
    }
}

impl OsUpdates {
    /// `POST …/{id}/pause?dryRun=true`: the pause begun at `now` (or, if one is in force, its
    /// reason and end replaced), evaluated at `at`.
    pub async fn preview_pause(
        &self,
        subject: Subject,
        body: &[u8],
        by: Option<&str>,
        now: Timestamp,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let request = PauseRequest::parse(body, now).map_err(OsUpdateError::Invalid)?;
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            if !exists(config, subject) {
                return Err(subject_not_found(subject));
            }
            let index = config.pauses.iter().position(|p| p.subject == subject);
            let existing = index.map(|index| &config.pauses[index]);
            let Some(pause) = paused(existing, subject, &request.reason, request.until, by, now)
            else {
                return Ok(());
            };
            match index {
                Some(index) => config.pauses[index] = pause,
                None => config.pauses.push(pause),
            }
            Ok(())
        })
        .await
    }

    /// `POST …/{id}/resume?dryRun=true`: the pause in force ended at `now`, evaluated at `at`; a
    /// pause not in force changes nothing, and a subject never paused is the write's 404.
    pub async fn preview_resume(
        &self,
        subject: Subject,
        by: Option<&str>,
        now: Timestamp,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            if !exists(config, subject) {
                return Err(subject_not_found(subject));
            }
            let Some(pause) = config.pauses.iter_mut().find(|p| p.subject == subject) else {
                return Err(no_pause(subject));
            };
            if let Some(ended) = resumed(pause, by, now) {
                *pause = ended;
            }
            Ok(())
        })
        .await
    }

    /// `PUT /policy-groups/{id}/gate?dryRun=true`.
    pub async fn preview_set_gate(
        &self,
        group: PolicyGroupId,
        body: &[u8],
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        let gate = Gate::parse(body).map_err(OsUpdateError::Invalid)?;
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            check_gate(
                |id| config.policy_groups.iter().any(|g| g.id == id),
                config
                    .gates
                    .iter()
                    .map(|stored| (stored.group, stored.gate.after)),
                group,
                &gate,
            )?;
            config.gates.retain(|stored| stored.group != group);
            config.gates.push(StoredGate { group, gate });
            config.gates.sort_by_key(|stored| stored.group);
            Ok(())
        })
        .await
    }

    /// `DELETE /policy-groups/{id}/gate?dryRun=true`: the gate goes (its recorded evaluations
    /// stay, as the write keeps them).
    pub async fn preview_remove_gate(
        &self,
        group: PolicyGroupId,
        at: Timestamp,
    ) -> Result<ChangePreview, OsUpdateError> {
        self.preview(at, |config: &mut OsUpdateConfig, _: &KnownDevices| {
            let before = config.gates.len();
            config.gates.retain(|stored| stored.group != group);
            if config.gates.len() == before {
                return Err(no_gate(group));
            }
            Ok(())
        })
        .await
    }
}
