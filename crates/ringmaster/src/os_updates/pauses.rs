//! Pausing and resuming a ring (policy group) or one policy (`POST /api/v1/policy-groups/{id}/pause`
//! and `/resume`, the same under `/api/v1/policies/{id}`, `ringmaster ring pause|resume`,
//! `ringmaster policy pause|resume`).
//!
//! While paused, the devices of the policy (or of every policy of the ring) are served their
//! settings but no enforcement declaration, and their compliance state is `paused`; the schedule
//! holds the target of the pause's start (`ringmaster_domain::schedule::pause`). Apple honours a
//! changed deadline only when it arrives at least [`DEADLINE_MARGIN_HOURS`] hours before the old
//! one, so the answer to a pause lists the devices whose deadline is nearer than that: they may
//! install anyway. A resume restarts the grace period from the resume instant, so no device is
//! overdue because of the pause.
//!
//! A specific-version policy is paused by its own id: while paused, the devices it would enforce
//! are served no enforcement (and show `paused`); on resume, a fixed deadline that fell inside
//! the pause (or less than a day after it) moves so the device gets the time that remained when
//! the pause began, at least a day (`ringmaster_domain::policy::specific::resume`). A pause of
//! the device's automatic ring does not withdraw a specific-version policy's enforcement. Each write bumps the OS-update revision, so every server and
//! the notifier see it.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ringmaster_domain::fleet::specific::SpecificOutcome;
use ringmaster_domain::rollout_control::PauseRequest;
use ringmaster_store::os_updates::pauses::{PauseWrite, StoredPause};
use ringmaster_store::os_updates::policies::Subject;
use serde::Serialize;

use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// Apple ignores a deadline change that arrives later than this before the old deadline.
pub const DEADLINE_MARGIN_HOURS: i64 = 2;

/// A ring's or policy's latest pause as the API answers it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PauseView {
    /// `policyGroup` or `policy`.
    pub subject: &'static str,
    pub id: i64,
    pub reason: String,
    pub paused_by: Option<String>,
    pub paused_at: String,
    /// The planned end; absent when it lasts until resumed.
    pub until: Option<String>,
    pub resumed_by: Option<String>,
    pub resumed_at: Option<String>,
    /// In force at the instant asked about.
    pub active: bool,
}

impl PauseView {
    pub fn of(pause: &StoredPause, at: Timestamp) -> PauseView {
        let (subject, id) = subject_parts(pause.subject);
        PauseView {
            subject,
            id,
            reason: pause.reason.clone(),
            paused_by: pause.paused_by.clone(),
            paused_at: pause.paused_at.to_string(),
            until: pause.until.map(|until| until.to_string()),
            resumed_by: pause.resumed_by.clone(),
            resumed_at: pause.resumed_at.map(|resumed| resumed.to_string()),
            active: pause.span().holds_at(at),
        }
    }
}

/// A device whose deadline was nearer than [`DEADLINE_MARGIN_HOURS`] when the pause began.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NearDeadlineView {
    pub device_id: String,
    pub target_version: String,
    /// Device-local, as sent (`yyyy-mm-ddThh:mm:ss`).
    pub deadline: String,
}

/// The answer to a pause.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PauseAnswer {
    pub pause: PauseView,
    /// Devices Apple may make install anyway: their deadline was less than two hours away.
    pub near_deadline: Vec<NearDeadlineView>,
    pub near_deadline_count: usize,
}

/// `("policyGroup" | "policy", id)`.
pub fn subject_parts(subject: Subject) -> (&'static str, i64) {
    match subject {
        Subject::PolicyGroup(id) => ("policyGroup", id.get()),
        Subject::Policy(id) => ("policy", id.get()),
    }
}

pub(crate) fn subject_not_found(subject: Subject) -> OsUpdateError {
    match subject {
        Subject::PolicyGroup(id) => OsUpdateError::NotFound(format!("policy group {id}")),
        Subject::Policy(id) => OsUpdateError::NotFound(format!("policy {id}")),
    }
}

impl OsUpdates {
    /// Pauses `subject` for the body's reason (until its `until`, if given); `by` names the
    /// admin token.
    pub async fn pause(
        &self,
        subject: Subject,
        body: &[u8],
        by: Option<&str>,
    ) -> Result<PauseAnswer, OsUpdateError> {
        let now = self.clock.now();
        let request = PauseRequest::parse(body, now).map_err(OsUpdateError::Invalid)?;
        let near_deadline = self.near_deadline(subject, now).await?;
        let pause = match self
            .store
            .pause(subject, &request.reason, request.until, by, now)
            .await?
        {
            PauseWrite::Written(pause) => {
                self.refresh_after_write().await;
                pause
            }
            PauseWrite::Unchanged(Some(pause)) => pause,
            PauseWrite::NoSubject | PauseWrite::Unchanged(None) => {
                return Err(subject_not_found(subject));
            }
        };
        Ok(PauseAnswer {
            pause: PauseView::of(&pause, now),
            near_deadline_count: near_deadline.len(),
            near_deadline,
        })
    }

    /// Resumes `subject`; a subject not paused is answered its pause as it is (or 404 when it
    /// was never paused).
    pub async fn resume(
        &self,
        subject: Subject,
        by: Option<&str>,
    ) -> Result<PauseView, OsUpdateError> {
        let now = self.clock.now();
        match self.store.resume(subject, by, now).await? {
            PauseWrite::Written(pause) => {
                self.refresh_after_write().await;
                Ok(PauseView::of(&pause, now))
            }
            PauseWrite::NoSubject => Err(subject_not_found(subject)),
            PauseWrite::Unchanged(_) => match self.snapshot().pauses.get(&subject) {
                Some(pause) => Ok(PauseView::of(pause, now)),
                None => Err(no_pause(subject)),
            },
        }
    }

    /// The devices of `subject` whose enforced deadline is at most [`DEADLINE_MARGIN_HOURS`]
    /// after `now` (UTC civil time, as the schedule's overdue flag compares), and not past.
    async fn near_deadline(
        &self,
        subject: Subject,
        now: Timestamp,
    ) -> Result<Vec<NearDeadlineView>, OsUpdateError> {
        let civil_now = now.to_zoned(TimeZone::UTC).datetime();
        let margin = now
            .saturating_add(SignedDuration::from_hours(DEADLINE_MARGIN_HOURS))
            .unwrap_or(now)
            .to_zoned(TimeZone::UTC)
            .datetime();
        let mut near = Vec::new();
        for result in self.fleet_results(now).await? {
            // The policy whose enforcement the device is served: its specific-version policy
            // when that applies, else its automatic one.
            let enforcing = match result.served.served.specific {
                Some(SpecificOutcome::Enforced) => result.served.specific.as_ref(),
                _ => result.served.policy.as_ref(),
            };
            let Some(policy) = enforcing else {
                continue;
            };
            let concerned = match subject {
                Subject::Policy(id) => policy.id == id,
                Subject::PolicyGroup(id) => policy.group_id == Some(id),
            };
            let Some(enforcement) = result.served.served.enforcement() else {
                continue;
            };
            if concerned && enforcement.deadline >= civil_now && enforcement.deadline < margin {
                near.push(NearDeadlineView {
                    device_id: result.served.device.id.clone(),
                    target_version: enforcement.version.to_string(),
                    deadline: enforcement.deadline_text(),
                });
            }
        }
        Ok(near)
    }
}

/// The 404 of resuming a subject that was never paused.
pub(crate) fn no_pause(subject: Subject) -> OsUpdateError {
    OsUpdateError::NotFound(format!("a pause of {}", describe(subject)))
}

fn describe(subject: Subject) -> String {
    match subject {
        Subject::PolicyGroup(id) => format!("policy group {id}"),
        Subject::Policy(id) => format!("policy {id}"),
    }
}
