//! The arguments of `ringmaster device`.

use clap::Subcommand;

use crate::config::DatabaseArgs;
use crate::config::confirm::ConfirmArgs;

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Exempt a device from enforcement until an instant (its settings stay)
    Exempt {
        /// The device's enrollment id
        id: String,
        /// When the exemption ends: an RFC 3339 instant, at most 366 days ahead
        #[arg(long)]
        until: String,
        /// Why (required, at most 500 characters)
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List a device's exemptions
    Exemptions {
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}
