//! `ringmaster migrate --from URL --to URL`: moves a whole installation between databases.
//!
//! The target must be empty: no titles, tokens, releases, policies, policy groups, devices or
//! device groups. Everything is copied in one transaction on the target, all or nothing: titles
//! (with admin state and `lastModified`), token hashes, and all OS-update data (releases,
//! policies and policy groups, devices, device groups, bindings, what DDM keeps per device) with
//! their ids, revisions and dates. Before copying, the command refuses a schema holding a table
//! or column the transfer does not know, and (into PostgreSQL) data holding a NUL character, naming
//! each table, row and column so it can be fixed in the source; afterwards it compares both databases (row counts per
//! table, raw rows, and titles, OS-update configuration and devices as read back) and fails
//! unless they match. Stop the servers on the source first so nothing changes during the copy.

use std::process::ExitCode;

use anyhow::Context;
use indicatif::ProgressBar;

use crate::cli::open_store;
use crate::config::MigrateArgs;
use crate::server::redact;

pub(crate) async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let source = open_store(&args.from).await?;
    let target = open_store(&args.to).await?;
    let occupied = target.occupied_tables().await?;
    anyhow::ensure!(
        occupied.is_empty(),
        "the target database {} is not empty (it holds rows in {}); migrate only into an empty \
         database",
        redact(&args.to),
        occupied.join(", ")
    );
    let unknown = source.columns_not_copied().await?;
    anyhow::ensure!(
        unknown.is_empty(),
        "this ringmaster does not know how to copy {}; nothing was copied",
        unknown.join(", ")
    );
    let progress = ProgressBar::new(3);
    progress.set_message("reading the source");
    let installation = source
        .read_installation()
        .await
        .context("reading the source")?;
    let counts = installation.counts();
    progress.inc(1);
    progress.set_message(format!(
        "writing {} titles, {} tokens, {} devices",
        counts.titles, counts.tokens, counts.devices
    ));
    target
        .write_installation(&installation)
        .await
        .context("writing the target")?;
    progress.inc(1);
    progress.set_message("verifying");
    let differences = source
        .compare_copy(&target)
        .await
        .context("reading both databases back")?;
    progress.inc(1);
    progress.finish_and_clear();
    anyhow::ensure!(
        differences.is_empty(),
        "the target differs from the source after the copy:\n  {}",
        differences.join("\n  ")
    );
    eprintln!(
        "Migrated {} title(s) and {} token(s) from {} to {}, with OS updates: {} release(s), \
         {} policy(ies), {} policy group(s), {} device(s), {} device group(s), {} binding(s); \
         counts and content verified.",
        counts.titles,
        counts.tokens,
        redact(&args.from),
        redact(&args.to),
        counts.releases,
        counts.policies,
        counts.policy_groups,
        counts.devices,
        counts.device_groups,
        counts.bindings
    );
    Ok(ExitCode::SUCCESS)
}
