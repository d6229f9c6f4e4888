//! The `ringmaster token` subcommands' flags: a token's name, and what a new token may do
//! (its role, expiry and title scope).

use clap::{Args, Subcommand};

use crate::config::DatabaseArgs;
use crate::config::checks;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once, alone on its line
    ///
    /// `ringmaster token create autopkg --role manager --expires-in 30d --titles Firefox,Slack`.
    /// Roles, each including the one before: readOnly (every read), manager (titles, versions,
    /// policies, devices, the catalog), admin (also tokens, webhooks, backup and restore).
    Create {
        #[command(flatten)]
        name: TokenName,
        #[command(flatten)]
        access: TokenAccessArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Store an existing secret (read from standard input) as a token
    ///
    /// For tools that already send a secret, such as PatchServer's `PATCH_TOKEN`: pipe it in
    /// (`printf %s "$PATCH_TOKEN" | ringmaster token import --name NAME --role admin`). One
    /// trailing newline is dropped; the secret must be 16 to 512 visible ASCII characters. Only
    /// its hash is stored.
    Import {
        #[command(flatten)]
        name: TokenName,
        #[command(flatten)]
        access: TokenAccessArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List tokens: name, role, scope, created, last used (within a minute), expiry, revoked;
    /// never secrets
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by name (refused at once by every server on the database)
    Revoke {
        #[command(flatten)]
        name: TokenName,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// A token's name: `NAME` or `--name NAME`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TokenName {
    /// A name to recognise the token by (unique)
    #[arg(value_name = "NAME")]
    pub positional: Option<String>,
    /// The same, as a flag
    #[arg(long = "name", value_name = "NAME")]
    pub flag: Option<String>,
}

impl TokenName {
    pub fn get(&self) -> &str {
        self.positional
            .as_deref()
            .or(self.flag.as_deref())
            .unwrap_or_default()
    }
}

/// What a new token may do.
#[derive(Debug, Args)]
pub struct TokenAccessArgs {
    /// The token's role: readOnly, manager or admin (required, so nobody gets more by accident)
    #[arg(long, value_name = "readOnly|manager|admin", value_parser = checks::role)]
    pub role: ringmaster_domain::access::Role,
    /// Expire the token after this long: days or hours, such as 90d or 12h (1h to 3650d)
    #[arg(long, value_name = "DURATION", value_parser = checks::lifetime)]
    pub expires_in: Option<jiff::SignedDuration>,
    /// Scope the token to these title ids (comma-separated): it may use only their routes
    #[arg(long, value_name = "ID,ID", value_parser = checks::title_scope)]
    pub titles: Option<ringmaster_domain::access::TitleScope>,
}
