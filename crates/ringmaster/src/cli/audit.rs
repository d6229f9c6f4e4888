//! `ringmaster audit`: the audit log, newest first, with the API's filters (`--since`,
//! `--object`, `--token`, `--limit`), as a table or (`--json`) the API's answer.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::open_store;
use crate::config::AuditArgs;
use crate::http::audit::{AuditAnswer, AuditEntryView, AuditQuery};

pub(crate) async fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let query = AuditQuery {
        since: args.since.clone(),
        object: args.object.clone(),
        token: args.token.clone(),
        limit: Some(args.limit.to_string()),
    };
    let filter = query
        .filter()
        .map_err(|(parameter, why)| anyhow::anyhow!("--{parameter}: {why}"))?;
    let store = open_store(&args.database.url).await?;
    let entries: Vec<AuditEntryView> = store
        .audit_entries(&filter)
        .await?
        .into_iter()
        .map(AuditEntryView::of)
        .collect();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let answer = AuditAnswer { entries };
        writeln!(stdout, "{}", serde_json::to_string_pretty(&answer)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stdout,
        "{:<24}  {:<20}  {:<15}  {:<44}  {:<28}  OUTCOME",
        "AT", "ACTOR", "FROM", "ACTION", "OBJECT"
    )?;
    for entry in &entries {
        let actor = match entry.actor.kind.as_str() {
            "cli" => format!("cli:{}", entry.actor.name),
            _ => entry.actor.name.clone(),
        };
        let object = match (&entry.object.kind, &entry.object.id) {
            (Some(kind), Some(id)) => format!("{kind}/{id}"),
            (Some(kind), None) => kind.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => "-".to_owned(),
        };
        let outcome = match entry.status {
            Some(status) => format!("{} {status}", entry.outcome),
            None => entry.outcome.clone(),
        };
        writeln!(
            stdout,
            "{:<24}  {:<20}  {:<15}  {:<44}  {:<28}  {outcome}",
            entry.at,
            actor,
            entry.client_address.as_deref().unwrap_or("-"),
            entry.action,
            object,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
