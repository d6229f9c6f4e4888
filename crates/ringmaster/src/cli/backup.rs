//! `ringmaster backup --out FILE [--scope titles]` and `ringmaster restore FILE [--replace]`.
//!
//! Both work directly on `--database`, as `migrate` and `token` do, and write the same zip as
//! `GET /api/v1/backup` reads and `POST /api/v1/restore` takes (see [`crate::backup`]). A
//! refused restore prints each problem as `FILE: POINTER: message` (or `FILE: message`) and
//! changes nothing. Servers on the database pick a restore up within a refresh period.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::ProgressBar;

use crate::audit::cli::{Outcome, recorded};
use crate::backup::restore::{self, RestoreError};
use crate::backup::{self, Scope};
use crate::cli::open_store;
use crate::clock::Clock;
use crate::config::{BackupArgs, RestoreArgs};
use crate::patch_source::archive::{ArchiveError, FileErrors};
use crate::patch_source::zip_read::ZipLimits;

pub(crate) async fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.database.url).await?;
    let progress = step("reading the database");
    let installation = store.read_backup().await.context("reading the database")?;
    progress.set_message(format!("writing {}", args.out.display()));
    let titles = installation.titles.len();
    let tokens = installation.tables.tokens.len();
    let policies = installation.tables.policies.len();
    let devices = installation.tables.devices.len();
    let zip = backup::write_backup(&installation, args.scope, Clock::System.now());
    std::fs::write(&args.out, &zip).with_context(|| format!("writing {}", args.out.display()))?;
    progress.finish_and_clear();
    match args.scope {
        Scope::Titles => eprintln!(
            "Wrote {} title(s) to {} ({} bytes).",
            titles,
            args.out.display(),
            zip.len()
        ),
        Scope::Full => eprintln!(
            "Wrote {} title(s), {} token(s), {} policy(ies) and {} device(s), with every other \
             OS-update table, to {} ({} bytes).",
            titles,
            tokens,
            policies,
            devices,
            args.out.display(),
            zip.len()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let progress = step(format!("reading {}", args.file.display()));
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let limits = ZipLimits::with_total(args.max_restore_bytes);
    let read = match backup::read_backup(&bytes, &limits, Clock::System.now()) {
        Ok(read) => read,
        Err(ArchiveError::Invalid(problems)) => {
            progress.finish_and_clear();
            return print_problems(&problems, "nothing was restored");
        }
        Err(other) => {
            progress.finish_and_clear();
            return Err(
                anyhow::Error::new(other).context(format!("reading {}", args.file.display()))
            );
        }
    };
    drop(bytes);
    progress.set_message(format!(
        "checking and writing {} title(s){}",
        read.titles.len(),
        if read.full.is_some() {
            " and the OS-update tables"
        } else {
            ""
        }
    ));
    let store = open_store(&args.database.url).await?;
    let restoring = restore::restore(&store, read, args.replace);
    let outcome = |report: &_| Outcome::changed(None, report);
    let object = ("installation", None);
    let outcome = recorded(&store, "restore", object, restoring, outcome).await?;
    progress.finish_and_clear();
    match outcome {
        Ok(report) => {
            eprintln!(
                "Restored {} title(s): {} created, {} replaced{}.",
                report.created.len() + report.replaced.len(),
                report.created.len(),
                report.replaced.len(),
                report
                    .deleted
                    .as_ref()
                    .filter(|deleted| !deleted.is_empty())
                    .map(|deleted| format!(", {} deleted", deleted.len()))
                    .unwrap_or_default()
            );
            if let Some(rows) = report.os_updates {
                eprintln!(
                    "Restored the OS-update side: {} release(s), {} policy group(s), {} \
                     policy(ies), {} device(s), {} device group(s), {} binding(s), {} legacy \
                     mechanism(s); {} token(s) added, {} already present.",
                    rows.releases,
                    rows.policy_groups,
                    rows.policies,
                    rows.devices,
                    rows.device_groups,
                    rows.bindings,
                    rows.legacy_mechanisms,
                    rows.tokens_added,
                    rows.tokens_skipped
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(RestoreError::AlreadyExists(what)) => anyhow::bail!(
            "the database holds {what} already; nothing was restored (use --replace to replace \
             the installation)"
        ),
        Err(RestoreError::Invalid(ArchiveError::Invalid(problems))) => {
            print_problems(&problems, "nothing was restored")
        }
        Err(RestoreError::Invalid(other)) => Err(other.into()),
        Err(RestoreError::Store(error)) => Err(anyhow::Error::new(error).context("restoring")),
    }
}

/// Prints each problem as `FILE: POINTER: message` (`FILE: message` for the whole file) on
/// standard output, a summary on standard error; exit status 1.
pub(crate) fn print_problems(problems: &[FileErrors], outcome: &str) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    for problem in problems {
        for error in &problem.errors {
            if error.pointer.is_empty() {
                writeln!(stdout, "{}: {}", problem.file, error.message)?;
            } else {
                writeln!(
                    stdout,
                    "{}: {}: {}",
                    problem.file, error.pointer, error.message
                )?;
            }
        }
    }
    eprintln!("{} file(s) refused; {outcome}", problems.len());
    Ok(ExitCode::FAILURE)
}

fn step(message: impl Into<std::borrow::Cow<'static, str>>) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}
