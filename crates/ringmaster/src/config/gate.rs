//! The arguments of `ringmaster ring gate set|clear|evaluate`.

use clap::{Args, Subcommand};

use crate::config::DatabaseArgs;
use crate::config::confirm::ConfirmArgs;

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Make a ring wait for an earlier one: a release reaches it only once enough of the
    /// earlier ring's devices installed it, few enough failed, and enough days passed
    Set(GateSetArgs),
    /// Remove a ring's gate: its releases follow its deferral alone again
    Clear(GateClearArgs),
    /// Run a gate evaluation round now (the server runs one every minute) and print what it
    /// found: each release's progress on the earlier ring, the gates it opened, the releases it
    /// halted
    Evaluate(GateEvaluateArgs),
}

#[derive(Debug, Args)]
pub struct GateSetArgs {
    /// The gated ring's (policy group's) id or name
    pub ring: String,
    /// The earlier ring it waits for: its id or name
    #[arg(long, value_name = "RING")]
    pub after: String,
    /// The share of the earlier ring's devices that must run the release or newer, 0 to 100
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    pub min_installed_percent: i64,
    /// The share of the earlier ring's devices that may have failed or rejected it, 0 to 100;
    /// above it the release is halted for every later ring
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    pub max_failed_percent: i64,
    /// The days that must pass since it became visible on the earlier ring, 0 to 90
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub min_days: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct GateClearArgs {
    /// The gated ring's (policy group's) id or name
    pub ring: String,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct GateEvaluateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
}
