//! `ringmaster ring pause|resume RING` and `ringmaster policy pause|resume POLICY`: the same
//! service calls as `POST /api/v1/policy-groups/{id}/pause` and `/api/v1/policies/{id}/pause`,
//! recorded in the audit log. A ring or policy is named by id or name; a bad value prints
//! `POINTER: message` and changes nothing (exit 1), as does an unknown name. All four take
//! `--dry-run` and `--yes` ([`super::preview`]).

use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::ids::PolicyGroupId;
use ringmaster_store::os_updates::policies::Subject;
use ringmaster_store::store::Store;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::policy::find;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::pause::{PauseArgs, ResumeArgs, RingCommand};
use crate::os_updates::pauses::{PauseAnswer, PauseView, subject_parts};
use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// The body the service reads, as the API receives it.
#[derive(serde::Serialize)]
struct PauseBody<'a> {
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<&'a str>,
}

pub(crate) async fn ring(command: RingCommand) -> anyhow::Result<ExitCode> {
    match command {
        RingCommand::Pause(args) => pause(args, Kind::Ring).await,
        RingCommand::Resume(args) => resume(args, Kind::Ring).await,
        RingCommand::Gate(command) => crate::cli::gate::run(command).await,
    }
}

pub(crate) async fn pause_policy(args: PauseArgs) -> anyhow::Result<ExitCode> {
    pause(args, Kind::Policy).await
}

pub(crate) async fn resume_policy(args: ResumeArgs) -> anyhow::Result<ExitCode> {
    resume(args, Kind::Policy).await
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ring,
    Policy,
}

impl Kind {
    fn command(self, verb: &str) -> String {
        match self {
            Kind::Ring => format!("ring {verb}"),
            Kind::Policy => format!("policy {verb}"),
        }
    }

    fn object(self) -> &'static str {
        match self {
            Kind::Ring => "policy-group",
            Kind::Policy => "policy",
        }
    }
}

async fn service_for(database: &str) -> anyhow::Result<(Store, OsUpdates)> {
    let store = open_store(database).await?;
    let service = OsUpdates::new(store.clone());
    service.refresh().await?;
    Ok((store, service))
}

/// The subject `key` (an id or a name) names, if any.
async fn subject(service: &OsUpdates, kind: Kind, key: &str) -> anyhow::Result<Option<Subject>> {
    Ok(match kind {
        Kind::Policy => find(service, key)
            .await?
            .map(|policy| Subject::Policy(policy.id)),
        Kind::Ring => {
            let groups = service.policy_groups().await?;
            groups
                .iter()
                .find(|detail| PolicyGroupId::parse(key).is_ok_and(|id| id == detail.group.id))
                .or_else(|| groups.iter().find(|detail| detail.group.name == key))
                .map(|detail| Subject::PolicyGroup(detail.group.id))
        }
    })
}

async fn pause(args: PauseArgs, kind: Kind) -> anyhow::Result<ExitCode> {
    let (store, service) = service_for(&args.database.url).await?;
    let Some(subject) = subject(&service, kind, &args.target).await? else {
        eprintln!(
            "error: no {} has the id or name {:?}",
            kind.object(),
            args.target
        );
        return Ok(ExitCode::FAILURE);
    };
    let body = serde_json::to_vec(&PauseBody {
        reason: &args.reason,
        until: args.until.as_deref(),
    })?;
    let preview = || {
        let now = Clock::System.now();
        service.preview_pause(subject, &body, None, now, now)
    };
    match gate(&args.confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = subject_parts(subject).1.to_string();
    let change = service.pause(subject, &body, None);
    let outcome = |answer: &PauseAnswer| Outcome::changed(None, answer);
    let command = kind.command("pause");
    match recorded(
        &store,
        &command,
        (kind.object(), Some(&id)),
        change,
        outcome,
    )
    .await?
    {
        Ok(answer) => {
            let mut out = std::io::stdout().lock();
            let until = answer.pause.until.as_deref().unwrap_or("resumed");
            writeln!(
                out,
                "paused {} {} since {} until {until}: {}",
                kind.object(),
                answer.pause.id,
                answer.pause.paused_at,
                answer.pause.reason
            )?;
            if !answer.near_deadline.is_empty() {
                writeln!(
                    out,
                    "{} devices had a deadline less than two hours away; Apple may install anyway:",
                    answer.near_deadline_count
                )?;
                for device in &answer.near_deadline {
                    writeln!(
                        out,
                        "  {} {} by {}",
                        device.device_id, device.target_version, device.deadline
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

async fn resume(args: ResumeArgs, kind: Kind) -> anyhow::Result<ExitCode> {
    let (store, service) = service_for(&args.database.url).await?;
    let Some(subject) = subject(&service, kind, &args.target).await? else {
        eprintln!(
            "error: no {} has the id or name {:?}",
            kind.object(),
            args.target
        );
        return Ok(ExitCode::FAILURE);
    };
    let preview = || {
        let now = Clock::System.now();
        service.preview_resume(subject, None, now, now)
    };
    match gate(&args.confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = subject_parts(subject).1.to_string();
    let change = service.resume(subject, None);
    let outcome = |view: &PauseView| Outcome::changed(None, view);
    let command = kind.command("resume");
    match recorded(
        &store,
        &command,
        (kind.object(), Some(&id)),
        change,
        outcome,
    )
    .await?
    {
        Ok(view) => {
            writeln!(
                std::io::stdout().lock(),
                "{} {} resumed at {}",
                kind.object(),
                view.id,
                view.resumed_at.as_deref().unwrap_or("-")
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

fn report(error: OsUpdateError) -> anyhow::Result<ExitCode> {
    match error {
        OsUpdateError::Invalid(errors) => {
            for error in errors.iter() {
                eprintln!("{}: {}", error.pointer, error.message);
            }
            Ok(ExitCode::FAILURE)
        }
        OsUpdateError::NotFound(what) => {
            eprintln!("error: {what} does not exist");
            Ok(ExitCode::FAILURE)
        }
        other => Err(other.into()),
    }
}
