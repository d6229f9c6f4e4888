//! `ringmaster catalog block PLATFORM VERSION --reason …` and `ringmaster catalog unblock
//! PLATFORM VERSION`: the same service calls as the API, so a block made here is served by every
//! server within a refresh. A bad reason prints `POINTER: message` and changes nothing (exit 1);
//! unblocking what is not blocked exits 1. Both take `--dry-run` and `--yes`
//! ([`super::preview`]), and each change is recorded in the audit log (`ringmaster catalog
//! block`, `ringmaster catalog unblock`, on the `catalog-release` `PLATFORM:VERSION`).

use std::io::Write;
use std::process::ExitCode;

use ringmaster_domain::platform::Platform;
use ringmaster_store::os_updates::blocks::BlockWrite;

use crate::audit::cli::{Outcome, recorded};
use crate::cli::open_store;
use crate::cli::preview::{Gate, gate};
use crate::clock::Clock;
use crate::config::DatabaseArgs;
use crate::config::confirm::ConfirmArgs;
use crate::os_updates::blocks::BlockOutcome;
use crate::os_updates::service::{OsUpdateError, OsUpdates};
use crate::os_updates::views::BlockView;

/// The body the service reads, as the API receives it.
#[derive(serde::Serialize)]
struct BlockBody<'a> {
    reason: &'a str,
}

pub(super) async fn block(
    platform: &str,
    version: &str,
    reason: &str,
    confirm: &ConfirmArgs,
    database: &DatabaseArgs,
) -> anyhow::Result<ExitCode> {
    let Some(platform) = platform_or_usage(platform) else {
        return Ok(ExitCode::from(2));
    };
    let body = serde_json::to_vec(&BlockBody { reason })?;
    let store = open_store(&database.url).await?;
    let service = OsUpdates::new(store.clone());
    let preview =
        || service.preview_block_release(platform, version, &body, None, Clock::System.now());
    match gate(confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = format!("{platform}:{version}");
    let change = service.block_release(platform, version, &body, None);
    let outcome = |outcome: &BlockOutcome| match outcome.write {
        BlockWrite::Unchanged => Outcome::Unchanged,
        BlockWrite::Added | BlockWrite::Updated => {
            Outcome::changed(None, &BlockView::of(&outcome.block))
        }
    };
    let object = ("catalog-release", Some(id.as_str()));
    match recorded(&store, "catalog block", object, change, outcome).await? {
        Ok(outcome) => {
            writeln!(
                std::io::stdout().lock(),
                "blocked {} {}: {}",
                outcome.block.platform,
                outcome.block.version,
                outcome.block.reason
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

pub(super) async fn unblock(
    platform: &str,
    version: &str,
    confirm: &ConfirmArgs,
    database: &DatabaseArgs,
) -> anyhow::Result<ExitCode> {
    let Some(platform) = platform_or_usage(platform) else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(&database.url).await?;
    let service = OsUpdates::new(store.clone());
    let preview = || service.preview_unblock_release(platform, version, Clock::System.now());
    match gate(confirm, preview).await? {
        Gate::Proceed => {}
        Gate::Stop(code) => return Ok(code),
        Gate::Refused(error) => return report(error),
    }
    let id = format!("{platform}:{version}");
    let change = service.unblock_release(platform, version);
    let outcome = |_: &()| Outcome::changed(None, &serde_json::Value::Null);
    let object = ("catalog-release", Some(id.as_str()));
    match recorded(&store, "catalog unblock", object, change, outcome).await? {
        Ok(()) => {
            writeln!(std::io::stdout().lock(), "unblocked {platform} {version}")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => report(error),
    }
}

fn platform_or_usage(text: &str) -> Option<Platform> {
    Platform::parse(text)
        .map_err(|why| eprintln!("error: {why}"))
        .ok()
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
