//! `ringmaster policy load-defaults|list|create|show|delete` (and `pause|resume`, in
//! [`crate::cli::pause`]).
//!
//! The same validation as the API: a refused policy prints one `FILE: POINTER: message` line per
//! problem and exits 1. Policies are named by id or by name. `create` and `delete` take
//! `--dry-run` and `--yes` ([`super::preview`]).

use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::ids::PolicyId;
use ringmaster_domain::json_read::json_document;
use ringmaster_domain::schedule::format_deadline;
use ringmaster_store::os_updates::policies::{DefaultRings, StoredPolicy};

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::PolicyCommand;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::views::PolicyView;

pub(crate) async fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match command {
        PolicyCommand::LoadDefaults { database } => {
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let load = service.load_default_rings(Clock::System.now());
            let outcome = |rings: &DefaultRings| {
                if rings.created {
                    Outcome::Changed {
                        object_id: None,
                        after: None,
                    }
                } else {
                    Outcome::Unchanged
                }
            };
            let object = ("policy-group", None);
            let rings = recorded(&store, "policy load-defaults", object, load, outcome).await??;
            for ring in &rings.rings {
                let policies: Vec<String> = ring
                    .policies
                    .iter()
                    .map(|policy| format!("{} (id {})", policy.policy.name.as_str(), policy.id))
                    .collect();
                writeln!(
                    out,
                    "{} (policy group {}): {}",
                    ring.group.name,
                    ring.group.id,
                    policies.join(", ")
                )?;
            }
            if rings.created {
                writeln!(out, "created the default rings")?;
            } else {
                writeln!(out, "the default rings exist already; nothing was created")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::List { database } => {
            let service = OsUpdates::new(open_store(&database.url).await?);
            let groups = service.policy_groups().await?;
            writeln!(
                out,
                "{:>5}  {:<8} {:<26} {:<32} RING",
                "ID", "PLATFORM", "KIND", "NAME"
            )?;
            for policy in service.list_policies().await? {
                let ring = groups
                    .iter()
                    .find(|detail| Some(detail.group.id) == policy.group_id)
                    .map_or("-", |detail| detail.group.name.as_str());
                let kind = match policy.policy.specific() {
                    Some(specific) => format!(
                        "{} by {}",
                        specific.target_version,
                        format_deadline(specific.deadline).replace('T', " ")
                    ),
                    None => "automatic".to_owned(),
                };
                writeln!(
                    out,
                    "{:>5}  {:<8} {:<26} {:<32} {ring}",
                    policy.id,
                    policy.policy.platform().as_str(),
                    kind,
                    policy.policy.name.as_str()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Create {
            file,
            confirm,
            database,
        } => {
            let shown = file.display().to_string();
            let bytes = std::fs::read(&file)
                .map_err(|error| anyhow::anyhow!("cannot read {shown}: {error}"))?;
            let document = match json_document(&bytes, "the file") {
                Ok(document) => document,
                Err(errors) => return Ok(print_field_errors(&shown, errors.iter())),
            };
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let now = Clock::System.now();
            let preview = || async {
                let (preview, _) = service.preview_create_policy(&document, now).await?;
                Ok(preview)
            };
            match gate(&confirm, preview).await? {
                Gate::Proceed => {}
                Gate::Stop(code) => return Ok(code),
                Gate::Refused(error) => return refused(&shown, error),
            }
            let create = service.create_policy(&document, now);
            let outcome = |(stored, _): &(StoredPolicy, _)| {
                Outcome::changed(Some(stored.id.to_string()), &PolicyView::of(stored, &[]))
            };
            match recorded(&store, "policy create", ("policy", None), create, outcome).await? {
                Ok((stored, warnings)) => {
                    for warning in warnings {
                        eprintln!("{shown}: {}: warning: {}", warning.pointer, warning.message);
                    }
                    writeln!(
                        out,
                        "created policy {} ({})",
                        stored.id,
                        stored.policy.name.as_str()
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => refused(&shown, error),
            }
        }
        PolicyCommand::Show { policy, database } => {
            let service = OsUpdates::new(open_store(&database.url).await?);
            let Some(stored) = find(&service, &policy).await? else {
                eprintln!("error: no policy has the id or name {policy:?}");
                return Ok(ExitCode::FAILURE);
            };
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&PolicyView::of(&stored, &[]))?
            )?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Delete {
            policy,
            confirm,
            database,
        } => {
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let Some(stored) = find(&service, &policy).await? else {
                eprintln!("error: no policy has the id or name {policy:?}");
                return Ok(ExitCode::FAILURE);
            };
            let preview = || service.preview_delete_policy(stored.id, None, Clock::System.now());
            match gate(&confirm, preview).await? {
                Gate::Proceed => {}
                Gate::Stop(code) => return Ok(code),
                Gate::Refused(error) => return Err(error.into()),
            }
            let id = stored.id.to_string();
            let delete = service.delete_policy(stored.id, None);
            let outcome = |_: &_| Outcome::Changed {
                object_id: None,
                after: None,
            };
            recorded(
                &store,
                "policy delete",
                ("policy", Some(&id)),
                delete,
                outcome,
            )
            .await??;
            writeln!(
                out,
                "deleted policy {} ({})",
                stored.id,
                stored.policy.name.as_str()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Pause(args) => crate::cli::pause::pause_policy(args).await,
        PolicyCommand::Resume(args) => crate::cli::pause::resume_policy(args).await,
    }
}

/// A policy by id, or else by exact name.
pub(crate) async fn find(service: &OsUpdates, key: &str) -> anyhow::Result<Option<StoredPolicy>> {
    let policies = service.list_policies().await?;
    Ok(policies
        .iter()
        .find(|policy| PolicyId::parse(key).is_ok_and(|id| id == policy.id))
        .or_else(|| {
            policies
                .iter()
                .find(|policy| policy.policy.name.as_str() == key)
        })
        .cloned())
}

/// A refused create, as `FILE: POINTER: message` lines or one error line.
fn refused(shown: &str, error: OsUpdateError) -> anyhow::Result<ExitCode> {
    match error {
        OsUpdateError::Invalid(errors) => Ok(print_field_errors(shown, errors.iter())),
        OsUpdateError::AlreadyExists(what) => {
            eprintln!("error: {what} already exists");
            Ok(ExitCode::FAILURE)
        }
        other => Err(other.into()),
    }
}

fn print_field_errors<'a>(
    file: &str,
    errors: impl Iterator<Item = &'a ringmaster_domain::field_error::FieldError>,
) -> ExitCode {
    for error in errors {
        let pointer = if error.pointer.is_empty() {
            "(document)"
        } else {
            &error.pointer
        };
        eprintln!("{file}: {pointer}: {}", error.message);
    }
    ExitCode::FAILURE
}
