//! `ringmaster ring gate set RING --after RING --min-installed-percent … --max-failed-percent …
//! [--min-days …]`, `ringmaster ring gate clear RING` and `ringmaster ring gate evaluate`: the
//! same service calls as `PUT|DELETE /api/v1/policy-groups/{id}/gate` and `POST
//! /api/v1/policy-groups/gates/evaluate`, recorded in the audit log. Rings are named by id or
//! name. `set` and `clear` take `--dry-run` and `--yes` ([`super::preview`]). A refusal is
//! printed in plain words naming the flag (`--min-installed-percent: …`), and nothing changes
//! (exit 1).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::ids::PolicyGroupId;
use ringmaster_store::store::Store;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::gate::{GateClearArgs, GateCommand, GateEvaluateArgs, GateSetArgs};
use crate::os_updates::gates::{GateRoundView, GateView};
use crate::os_updates::service::{OsUpdateError, OsUpdates};

/// The body the service reads, as the API receives it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GateBody {
    after: i64,
    min_installed_percent: i64,
    max_failed_percent: i64,
    min_days: i64,
}

pub(crate) async fn run(command: GateCommand) -> anyhow::Result<ExitCode> {
    match command {
        GateCommand::Set(args) => set(args).await,
        GateCommand::Clear(args) => clear(args).await,
        GateCommand::Evaluate(args) => evaluate(args).await,
    }
}

async fn service_for(database: &str) -> anyhow::Result<(Store, OsUpdates)> {
    let store = open_store(database).await?;
    let service = OsUpdates::new(store.clone());
    service.refresh().await?;
    Ok((store, service))
}

/// Every ring's id and name.
async fn rings(service: &OsUpdates) -> anyhow::Result<BTreeMap<PolicyGroupId, String>> {
    Ok(service
        .policy_groups()
        .await?
        .into_iter()
        .map(|detail| (detail.group.id, detail.group.name))
        .collect())
}

/// The ring `key` names (an id, else a name); a message in words when none does.
fn ring(rings: &BTreeMap<PolicyGroupId, String>, key: &str) -> Option<PolicyGroupId> {
    PolicyGroupId::parse(key)
        .ok()
        .filter(|id| rings.contains_key(id))
        .or_else(|| {
            rings
                .iter()
                .find(|(_, name)| name.as_str() == key)
                .map(|(id, _)| *id)
        })
        .or_else(|| {
            eprintln!("error: no ring (policy group) has the id or name {key:?}");
            None
        })
}

async fn set(args: GateSetArgs) -> anyhow::Result<ExitCode> {
    let (store, service) = service_for(&args.database.url).await?;
    let known = rings(&service).await?;
    let (Some(group), Some(after)) = (ring(&known, &args.ring), ring(&known, &args.after)) else {
        return Ok(ExitCode::FAILURE);
    };
    let body = serde_json::to_vec(&GateBody {
        after: after.get(),
        min_installed_percent: args.min_installed_percent,
        max_failed_percent: args.max_failed_percent,
        min_days: args.min_days,
    })?;
    let preview = || service.preview_set_gate(group, &body, Clock::System.now());
    match gate(&args.confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = group.to_string();
    let change = service.set_gate(group, &body);
    let outcome = |view: &GateView| Outcome::changed(None, view);
    match recorded(
        &store,
        "ring gate set",
        ("policy-group", Some(&id)),
        change,
        outcome,
    )
    .await?
    {
        Ok(view) => {
            writeln!(
                std::io::stdout().lock(),
                "{} waits for {}: at least {}% installed, at most {}% failed, at least {} days",
                name(&known, group),
                name(&known, view.after),
                view.min_installed_percent,
                view.max_failed_percent,
                view.min_days
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

async fn clear(args: GateClearArgs) -> anyhow::Result<ExitCode> {
    let (store, service) = service_for(&args.database.url).await?;
    let known = rings(&service).await?;
    let Some(group) = ring(&known, &args.ring) else {
        return Ok(ExitCode::FAILURE);
    };
    let preview = || service.preview_remove_gate(group, Clock::System.now());
    match gate(&args.confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = group.to_string();
    let change = service.remove_gate(group);
    let outcome = |_: &()| Outcome::changed(None, &serde_json::Value::Null);
    match recorded(
        &store,
        "ring gate clear",
        ("policy-group", Some(&id)),
        change,
        outcome,
    )
    .await?
    {
        Ok(()) => {
            writeln!(
                std::io::stdout().lock(),
                "{} no longer waits for another ring",
                name(&known, group)
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

async fn evaluate(args: GateEvaluateArgs) -> anyhow::Result<ExitCode> {
    let (store, service) = service_for(&args.database.url).await?;
    let known = rings(&service).await?;
    let change = service.evaluate_gates();
    let outcome = |round: &GateRoundView| {
        if round.evaluations.is_empty() && round.halted.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::changed(None, round)
        }
    };
    let round = match recorded(
        &store,
        "ring gate evaluate",
        ("policy-group", None),
        change,
        outcome,
    )
    .await?
    {
        Ok(round) => round,
        Err(error) => return report(error),
    };
    let mut out = std::io::stdout().lock();
    if round.evaluations.is_empty() {
        writeln!(out, "no gated ring has a release to evaluate")?;
    }
    for evaluation in &round.evaluations {
        let state = match &evaluation.opened_at {
            Some(at) => format!("open since {at}"),
            None => "waiting".to_owned(),
        };
        writeln!(
            out,
            "{} {} {}: {}% installed, {}% failed, {} days on the earlier ring; {state}",
            name(&known, evaluation.group),
            evaluation.platform,
            evaluation.version,
            evaluation.installed_percent,
            evaluation.failed_percent,
            evaluation.days
        )?;
    }
    for halt in &round.halted {
        writeln!(
            out,
            "halted {} {} for every ring after {}: {}% of its devices failed",
            halt.platform,
            halt.version,
            name(&known, halt.after_group),
            halt.failed_percent
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn name(rings: &BTreeMap<PolicyGroupId, String>, id: PolicyGroupId) -> String {
    rings
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("policy group {id}"))
}

/// The API's pointer as the flag that gave it.
fn flag(pointer: &str) -> &str {
    match pointer {
        "/after" => "--after",
        "/minInstalledPercent" => "--min-installed-percent",
        "/maxFailedPercent" => "--max-failed-percent",
        "/minDays" => "--min-days",
        other => other,
    }
}

fn report(error: OsUpdateError) -> anyhow::Result<ExitCode> {
    match error {
        OsUpdateError::Invalid(errors) => {
            for error in errors.iter() {
                eprintln!("error: {}: {}", flag(&error.pointer), error.message);
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
