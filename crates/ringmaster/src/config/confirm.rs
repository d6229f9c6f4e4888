//! `--dry-run` and `--yes`, flattened into every CLI command that changes what devices are
//! served.

use clap::Args;

#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ConfirmArgs {
    /// Show what the change would do to each device (target and deadline, before and after) and
    /// change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Apply without showing the preview and asking first (on a terminal it asks by default)
    #[arg(long, short = 'y')]
    pub yes: bool,
}
