//! `ringmaster migrate --from URL --to URL`: moves a whole installation between databases.
//!
//! The target must be empty. Titles (with admin state and `lastModified`) and token hashes are
//! copied; then both databases are read back and compared, and the command fails unless counts
//! and content match. Stop the servers on the source first so nothing changes during the copy.

use std::process::ExitCode;

use anyhow::Context;
use indicatif::ProgressBar;

use crate::cli::open_store;
use crate::config::MigrateArgs;
use crate::server::redact;

pub(crate) async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let source = open_store(&args.from).await?;
    let target = open_store(&args.to).await?;
    anyhow::ensure!(
        target.is_empty().await?,
        "the target database {} is not empty; migrate only into an empty database",
        redact(&args.to)
    );
    let progress = ProgressBar::new(3);
    progress.set_message("reading the source");
    let installation = source
        .read_installation()
        .await
        .context("reading the source")?;
    progress.inc(1);
    progress.set_message(format!(
        "writing {} titles and {} tokens",
        installation.titles.len(),
        installation.tokens.len()
    ));
    target
        .write_installation(&installation)
        .await
        .context("writing the target")?;
    progress.inc(1);
    progress.set_message("verifying");
    let copied = target
        .read_installation()
        .await
        .context("reading the target back")?;
    progress.inc(1);
    progress.finish_and_clear();
    anyhow::ensure!(
        copied.titles.len() == installation.titles.len()
            && copied.tokens.len() == installation.tokens.len(),
        "counts differ after the copy: source {} titles and {} tokens, target {} and {}",
        installation.titles.len(),
        installation.tokens.len(),
        copied.titles.len(),
        copied.tokens.len()
    );
    anyhow::ensure!(
        copied.same_content(&installation),
        "the target's content differs from the source after the copy"
    );
    eprintln!(
        "Migrated {} title(s) and {} token(s) from {} to {}; counts and content verified.",
        installation.titles.len(),
        installation.tokens.len(),
        redact(&args.from),
        redact(&args.to)
    );
    Ok(ExitCode::SUCCESS)
}
