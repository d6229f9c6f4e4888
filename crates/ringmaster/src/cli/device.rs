//! `ringmaster device exempt ID --until … --reason …` and `ringmaster device exemptions ID`: the
//! same service calls as `/api/v1/devices/{id}/exemptions`. A bad value prints `POINTER: message`
//! and changes nothing (exit 1); an unknown device exits 1. `exempt` takes `--dry-run` and
//! `--yes` ([`super::preview`]) and is recorded in the audit log (`ringmaster device exempt`).

use std::io::Write;
use std::process::ExitCode;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::device::DeviceCommand;
use crate::os_updates::exemptions::ExemptionView;
use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// The body the service reads, as the API receives it.
#[derive(serde::Serialize)]
struct ExemptionBody<'a> {
    until: &'a str,
    reason: &'a str,
}

pub(crate) async fn run(command: DeviceCommand) -> anyhow::Result<ExitCode> {
    match command {
        DeviceCommand::Exempt {
            id,
            until,
            reason,
            confirm,
            database,
        } => {
            let body = serde_json::to_vec(&ExemptionBody {
                until: &until,
                reason: &reason,
            })?;
            let store = open_store(&database.url).await?;
            let service = OsUpdates::new(store.clone());
            let preview = || {
                let now = Clock::System.now();
                service.preview_add_exemption(&id, &body, None, now, now)
            };
            match gate(&confirm, preview).await? {
                Gate::Proceed => {}
                Gate::Stop(code) => return Ok(code),
                Gate::Refused(error) => return report(error),
            }
            let change = service.add_exemption(&id, &body, None);
            let outcome = |view: &ExemptionView| Outcome::changed(None, view);
            let object = ("device", Some(id.as_str()));
            match recorded(&store, "device exempt", object, change, outcome).await? {
                Ok(view) => {
                    writeln!(
                        std::io::stdout().lock(),
                        "exempted {} until {} (exemption {}): {}",
                        view.device_id,
                        view.until,
                        view.id,
                        view.reason
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => report(error),
            }
        }
        DeviceCommand::Exemptions { id, database } => {
            let service = OsUpdates::new(open_store(&database.url).await?);
            match service.exemptions(&id, Clock::System.now()).await {
                Ok(list) => {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{:<6} {:<22} {:<7} REASON", "ID", "UNTIL", "ACTIVE")?;
                    for exemption in &list.exemptions {
                        writeln!(
                            out,
                            "{:<6} {:<22} {:<7} {}",
                            exemption.id, exemption.until, exemption.active, exemption.reason
                        )?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => report(error),
            }
        }
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
