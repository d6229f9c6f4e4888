//! Command-line flags and environment variables, defined once with clap so that every flag
//! has its `RINGMASTER_*` variable and `--help` everywhere.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The default database: an SQLite file under `./ringmaster-data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ringmaster-data/ringmaster.db";

#[derive(Debug, Parser)]
#[command(
    name = "ringmaster",
    version,
    about = "Patch-management server for Apple fleets: a Jamf Pro external patch source",
    long_about = None,
)]
pub struct Cli {
    #[command(flatten)]
    pub logging: LoggingArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (Jamf patch source and admin API)
    Serve(ServeArgs),
    /// Manage admin API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check, import and export software-title definitions
    #[command(subcommand)]
    Title(TitleCommand),
    /// Move a whole installation to another database (SQLite ⇄ PostgreSQL), then verify it
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to copy from
    #[arg(long)]
    pub from: String,
    /// The database to copy into; it must be empty (its schema is created if needed)
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(long = "database", env = "RINGMASTER_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, env = "RINGMASTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Largest request body accepted on JSON admin routes, in bytes
    #[arg(long, env = "RINGMASTER_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest backup accepted by POST /api/v1/restore, in bytes
    #[arg(long, env = "RINGMASTER_MAX_RESTORE_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub max_restore_bytes: usize,
    /// How often to look for changes written by other servers or CLI commands, in milliseconds
    #[arg(long, env = "RINGMASTER_CACHE_REFRESH_MS", default_value_t = 500)]
    pub cache_refresh_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an admin token and print it once, alone on its line
    Create {
        /// A name to recognise the token by (unique)
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List tokens (names and dates, never secrets)
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by name
    Revoke {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TitleCommand {
    /// Check definition files offline; exits 1 if any is invalid
    Lint {
        /// Definition files (a full title, or one version object)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Import a folder of <id>.json files or a backup zip, all or nothing
    Import {
        /// A folder of definitions, or a zip made by `title export` or GET /api/v1/backup
        path: PathBuf,
        /// Replace titles that already exist (otherwise the import is refused)
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Export every title: a folder of <id>.json, or a backup zip when PATH ends in .zip
    Export {
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Args)]
pub struct LoggingArgs {
    /// Log format
    #[arg(long, global = true, env = "RINGMASTER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, such as `info` or `ringmaster=debug,tower_http=info`
    #[arg(long, global = true, env = "RINGMASTER_LOG", default_value = "info")]
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
