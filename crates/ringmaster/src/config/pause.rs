//! The arguments of `ringmaster ring pause|resume` and `ringmaster policy pause|resume` (and
//! the `ring gate` subcommands, in [`super::gate`]).

use clap::{Args, Subcommand};

use crate::config::DatabaseArgs;
use crate::config::confirm::ConfirmArgs;

#[derive(Debug, Subcommand)]
pub enum RingCommand {
    /// Pause a ring: no new target is promoted and its enforcement is withdrawn until resumed
    Pause(PauseArgs),
    /// Resume a paused ring: the grace period restarts today, so no device is overdue at once
    Resume(ResumeArgs),
    /// A ring's health gate: wait for an earlier ring's devices before a release reaches it
    #[command(subcommand)]
    Gate(crate::config::gate::GateCommand),
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The ring's (policy group's) or policy's id or name
    pub target: String,
    /// Why (required, at most 500 characters)
    #[arg(long)]
    pub reason: String,
    /// When the pause ends by itself: an RFC 3339 instant, at most 366 days ahead; until resumed
    /// when absent
    #[arg(long)]
    pub until: Option<String>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The ring's (policy group's) or policy's id or name
    pub target: String,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
}
