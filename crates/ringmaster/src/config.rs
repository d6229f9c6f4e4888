//! Command-line flags and environment variables, defined once with clap so that every flag
//! has its `RINGMASTER_*` variable and `--help` everywhere.
//!
//! The doc comments of the flags are their `--help` text, written for a terminal: `<id>` and
//! bare URLs there are meant as they read, so rustdoc's HTML and URL lints are off here.
#![allow(rustdoc::invalid_html_tags, rustdoc::bare_urls)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::confirm::ConfirmArgs;

pub mod checks;
pub mod confirm;
pub mod device;
pub mod gate;
pub mod pause;
pub mod token;

/// The default database: an SQLite file under `./ringmaster-data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ringmaster-data/ringmaster.db";

#[derive(Debug, Parser)]
#[command(
    name = "ringmaster",
    version,
    about = "Patch-management server for Apple fleets: a Jamf Pro external patch source and DDM OS updates",
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
    Serve(Box<ServeArgs>),
    /// Manage admin API tokens
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage PatchServer's webhooks (POSTed an event when a title changes)
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Check, import and export software-title definitions
    #[command(subcommand)]
    Title(TitleCommand),
    /// Move a whole installation to another database (SQLite ⇄ PostgreSQL), then verify it
    Migrate(MigrateArgs),
    /// Write a backup zip of the whole installation (or of its titles only), from the database
    ///
    /// The zip holds the titles in PatchServer's layout (patch_archive/<id>.json and
    /// ringmaster/state.json) and, unless --scope titles, the token hashes and every OS-update
    /// table (releases, policy groups, policies, devices, device groups, bindings, legacy
    /// mechanisms) beside them; the same zip as GET /api/v1/backup. See BACKUP.md.
    Backup(BackupArgs),
    /// Restore a backup zip into the database, all or nothing
    ///
    /// Takes a full backup, a titles-only one or PatchServer's. Titles keep their lastModified;
    /// OS-update rows keep their ids. Refused (and nothing written) when the database holds a
    /// title of the backup or, for a full backup, any OS-update data, unless --replace, which
    /// replaces the whole installation (tokens are merged, never removed). See BACKUP.md.
    Restore(RestoreArgs),
    /// Import and list Apple OS releases (SOFA and gdmf feeds)
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Manage DDM update policies and the default deployment rings
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Pause and resume a deployment ring (a policy group), and set its health gate
    #[command(subcommand)]
    Ring(pause::RingCommand),
    /// Exempt devices from enforcement for a while
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// Show when each release becomes visible and must be installed, per ring or policy
    Plan(PlanArgs),
    /// Simulate Apple devices syncing DDM software updates against a server, and measure it
    ///
    /// Enrolls --devices simulated Macs and iPhones (the same ones for the same --seed) by
    /// checking in with enrollment ids `<id-prefix>00000`, `<id-prefix>00001`, …, and syncs each
    /// one --rounds times the way Apple's client does: `GET tokens`; when the DeclarationsToken
    /// changed, `GET declaration-items` and every declaration whose ServerToken changed; then
    /// `PUT status` with a full or incremental report. Devices validate what they receive
    /// (unknown payload keys, malformed deadlines) and report it in `management.declarations`,
    /// and install an enforced version once its deadline passes, one state per sync
    /// (downloading, prepared, installing, then the new version).
    ///
    /// Rounds follow the wall clock unless --round-step is given: then the device clock starts
    /// at --start and moves by the step each round, so `--rounds 30 --round-step 1d` plays a
    /// month of a rollout. Prints syncs per second, p50/p99 sync latency, requests, errors and
    /// the devices per OS version at the end; exits 1 if any sync failed.
    Simulate(SimulateArgs),
    /// Show one device's policy result: state, target, deadline, install state, rejections
    DeviceStatus(DeviceStatusArgs),
    /// Show how many devices of each ring (or of one policy) are up to date, pending, overdue,
    /// failed, or rejected a declaration
    Compliance(ComplianceArgs),
    /// Show the audit log (who changed what, when, from where), newest first
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
pub struct DeviceStatusArgs {
    /// The device's enrollment id
    pub device: String,
    /// Evaluate as of this RFC 3339 instant instead of now
    #[arg(long)]
    pub at: Option<String>,
    /// Print the API's JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// One policy (id or name); every ring of --platform when absent
    #[arg(long)]
    pub policy: Option<String>,
    /// The rings' platform: macOS or iOS
    #[arg(long, default_value = "macOS")]
    pub platform: String,
    /// Evaluate as of this RFC 3339 instant instead of now
    #[arg(long)]
    pub at: Option<String>,
    /// Also list every device with its state
    #[arg(long)]
    pub devices: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import a SOFA (v1, v2, DMS) or gdmf feed from a file or an http(s) URL; all or nothing
    Import {
        /// A feed file, or a URL such as https://gdmf.apple.com/v2/pmv
        source: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the catalog's releases, newest first
    List {
        /// macOS or iOS (both when absent)
        #[arg(long)]
        platform: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Delete a release (every build of the version, or only --build), to undo a bad import
    Delete {
        /// macOS or iOS
        platform: String,
        /// The version, such as 26.1 or "26.3.1 (a)"
        version: String,
        /// Delete only this build
        #[arg(long)]
        build: Option<String>,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Block a version everywhere: never a target, the newest allowed one below is enforced
    Block {
        /// macOS or iOS, then the version
        platform: String,
        version: String,
        /// Why (required, at most 500 characters)
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Lift the block of a version
    Unblock {
        platform: String,
        version: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create the four default rings (Vanguard, Early, General, Late Adoption) unless they exist
    LoadDefaults {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List policies and the ring each is in
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create a policy from a JSON file (the API shape); prints its id
    Create {
        file: PathBuf,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Print one policy as JSON
    Show {
        /// The policy's id or name
        policy: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Delete a policy and its bindings
    Delete {
        /// The policy's id or name
        policy: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Pause a policy: no new target is promoted and its enforcement is withdrawn until resumed
    Pause(pause::PauseArgs),
    /// Resume a paused policy: the grace period restarts today, so no device is overdue at once
    Resume(pause::ResumeArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// One policy (id or name); every ring of --platform when absent
    #[arg(long)]
    pub policy: Option<String>,
    /// The rings' platform: macOS or iOS
    #[arg(long, default_value = "macOS")]
    pub platform: String,
    /// First day (yyyy-mm-dd); today (UTC) by default
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (yyyy-mm-dd); 90 days after --from by default
    #[arg(long)]
    pub to: Option<String>,
    /// Also write the timeline as an SVG picture to this file
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Print JSON (the API's shape) instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Entries at or after this RFC 3339 instant (2026-11-24T09:00:00Z)
    #[arg(long)]
    pub since: Option<String>,
    /// Entries about one object: its id, or kind/id (policy/3, title/Firefox)
    #[arg(long)]
    pub object: Option<String>,
    /// Entries by one token (its name), or `cli` for CLI commands
    #[arg(long)]
    pub token: Option<String>,
    /// At most this many entries (1 to 1000)
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Print JSON (the API's shape) instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// How many devices to simulate (1 to 1000000)
    #[arg(long, value_parser = checks::count)]
    pub devices: usize,
    /// The server's base URL, such as http://127.0.0.1:8080
    #[arg(long)]
    pub server: String,
    /// Path prefix of the server's DDM endpoints
    #[arg(long, env = "RINGMASTER_DDM_PREFIX", default_value = ringmaster_simulator::client::DEFAULT_PREFIX, value_parser = checks::ddm_prefix)]
    pub prefix: String,
    /// Shared secret, sent as `Authorization: Bearer <secret>`; none when absent
    #[arg(long, env = "RINGMASTER_DDM_SECRET", hide_env_values = true)]
    pub secret: Option<ringmaster_simulator::client::BearerSecret>,
    /// How many times every device syncs (1 to 1000000)
    #[arg(long, default_value_t = 1, value_parser = checks::count)]
    pub rounds: usize,
    /// Syncs in flight at once (1 to 10000)
    #[arg(long, default_value_t = ringmaster_simulator::fleet::DEFAULT_CONCURRENCY, value_parser = checks::concurrency)]
    pub concurrency: usize,
    /// Seed of the fleet's makeup: the same seed gives the same devices
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Enrollment ids are this prefix and a zero-padded number
    #[arg(long, default_value = "sim-")]
    pub id_prefix: String,
    /// The kinds of device and their shares, `kind=share,…` with whole-number shares (such as
    /// `macos14=20,macos26=50,ios17=10,user-enrollment=5`). Kinds: macos13, macos14, macos15,
    /// macos26 (Macs on those majors; macOS 13 and 14 report no softwareupdate.device-id),
    /// macos-supplemental (a Mac on 26.3.1 (a)), ios16, ios17, ios18, ios26 (iPhones),
    /// mac-user (a Mac user's channel), shared-ipad (a Shared iPad user), user-enrollment (a
    /// User Enrollment iPhone). Default: macos13=4,macos14=6,macos15=10,macos26=25,
    /// macos-supplemental=5,ios16=4,ios17=6,ios18=10,ios26=25,mac-user=2,shared-ipad=1,
    /// user-enrollment=2
    #[arg(long, value_parser = checks::fleet_mix, conflicts_with = "mac_share")]
    pub mix: Option<ringmaster_simulator::mix::FleetMix>,
    /// Share of Macs, 0 to 1, with the default mix's kinds in their proportions; the rest are
    /// iPhones (and iPads)
    #[arg(long)]
    pub mac_share: Option<f64>,
    /// Share of devices whose user installs an enforced update early (at a random point
    /// before the deadline), 0 to 1
    #[arg(long, default_value_t = 0.0)]
    pub early_install_share: f64,
    /// A full status report on the first sync and every this many syncs; incremental ones
    /// (changed items only) in between (at least 1)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub full_report_every: u32,
    /// Report every status item, not only the subscribed ones
    #[arg(long)]
    pub report_unsubscribed: bool,
    /// Device clock of the first round, RFC 3339 (such as 2026-03-01T09:00:00Z); now when absent
    #[arg(long)]
    pub start: Option<jiff::Timestamp>,
    /// Move the device clock this much per round (such as 12h or 1d) instead of following the
    /// wall clock
    #[arg(long, value_parser = ringmaster_simulator::fleet::parse_round_step)]
    pub round_step: Option<jiff::SignedDuration>,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
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
pub struct BackupArgs {
    /// The zip to write (replaced if it exists)
    #[arg(long)]
    pub out: PathBuf,
    /// What to back up: everything, or the titles only (PatchServer's layout)
    #[arg(long, value_enum, default_value = "full")]
    pub scope: crate::backup::Scope,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup zip (from `ringmaster backup`, GET /api/v1/backup or PatchServer)
    pub file: PathBuf,
    /// Replace what the database holds: its titles and, for a full backup, all OS-update data
    #[arg(long)]
    pub replace: bool,
    /// Largest total uncompressed size read from the zip, in bytes
    #[arg(long, env = "RINGMASTER_MAX_RESTORE_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub max_restore_bytes: u64,
    #[command(flatten)]
    pub database: DatabaseArgs,
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
    /// Largest request body accepted on JSON admin routes and DDM check-ins, in bytes (at least 1)
    #[arg(long, env = "RINGMASTER_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024, value_parser = checks::positive_bytes)]
    pub max_body_bytes: usize,
    /// Largest backup accepted by POST /api/v1/restore, in bytes (at least 1)
    #[arg(long, env = "RINGMASTER_MAX_RESTORE_BYTES", default_value_t = 512 * 1024 * 1024, value_parser = checks::positive_bytes)]
    pub max_restore_bytes: usize,
    /// How often to look for changes written by other servers or CLI commands, in milliseconds
    /// (50 to 60000)
    #[arg(long, env = "RINGMASTER_CACHE_REFRESH_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub cache_refresh_ms: u64,
    /// Release feed to keep the OS catalog current from (SOFA or gdmf URL); repeat for several.
    /// Off when absent
    #[arg(
        long = "catalog-url",
        env = "RINGMASTER_CATALOG_URL",
        value_delimiter = ','
    )]
    pub catalog_urls: Vec<String>,
    /// Poll each catalog URL at most once per this many hours, across all servers (24 to 8760)
    #[arg(long, env = "RINGMASTER_CATALOG_POLL_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(24..=8760))]
    pub catalog_poll_hours: u64,
    /// Path prefix of the DDM check-in endpoints (tokens, declaration-items, declaration/…, status):
    /// path segments of letters, digits and `-._~`, such as /ddm/ or /mdm/ddm
    #[arg(long, env = "RINGMASTER_DDM_PREFIX", default_value = crate::http::DEFAULT_DDM_PREFIX, value_parser = checks::ddm_prefix)]
    pub ddm_prefix: String,
    /// Shared secret DDM check-ins must carry: `Authorization: Bearer <secret>` or NanoMDM's
    /// X-Hmac-Signature of the body. Without it the check-in endpoints are open. Prefer the
    /// variable or --ddm-secret-file: a flag is visible to every user in `ps`
    #[arg(long, env = "RINGMASTER_DDM_SECRET", hide_env_values = true, value_parser = checks::secret_text)]
    pub ddm_secret: Option<String>,
    /// A file holding the DDM shared secret (one trailing newline is ignored)
    #[arg(
        long,
        env = "RINGMASTER_DDM_SECRET_FILE",
        conflicts_with = "ddm_secret"
    )]
    pub ddm_secret_file: Option<PathBuf>,
    /// Serve the DDM check-in endpoints without a secret, to anyone who reaches them (they can
    /// create devices and report their status). Without a secret and without this flag the
    /// server refuses to start
    #[arg(long, env = "RINGMASTER_DDM_OPEN", conflicts_with_all = ["ddm_secret", "ddm_secret_file"])]
    pub ddm_open: bool,
    /// HTTPS: the certificate chain (PEM, the server's certificate first). Re-read every
    /// --tls-reload-secs, so a renewed certificate is served without a restart
    #[arg(long, env = "RINGMASTER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// HTTPS: the private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(long, env = "RINGMASTER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between two looks at --tls-cert and --tls-key for a new pair (1 to 3600)
    #[arg(long, env = "RINGMASTER_TLS_RELOAD_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub tls_reload_secs: u64,
    /// With TLS: also serve plain HTTP on this address (HTTPS stays on --listen)
    #[arg(long, env = "RINGMASTER_PLAIN_LISTEN", requires = "tls_cert")]
    pub plain_listen: Option<SocketAddr>,
    /// A reverse proxy (CIDR such as 10.0.0.0/8, or one address) whose X-Forwarded-For and
    /// X-Forwarded-Proto are believed; repeat for several. Forwarding headers from any other
    /// peer are ignored
    #[arg(long = "trusted-proxy", env = "RINGMASTER_TRUSTED_PROXY", value_delimiter = ',', value_parser = crate::http::client_address::parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Failed authentications (admin API, DDM, protected feed) allowed per client address, such
    /// as 10/m: a burst of that many, refilled evenly; beyond it the address is answered 429
    #[arg(long, env = "RINGMASTER_AUTH_FAILURE_LIMIT", default_value = "10/m")]
    pub auth_failure_limit: crate::http::rate_limit::Rate,
    /// Admin API requests allowed per token, such as 20/s or 600/m (429 with Retry-After
    /// beyond); unlimited when absent
    #[arg(long, env = "RINGMASTER_ADMIN_RATE_LIMIT")]
    pub admin_rate_limit: Option<crate::http::rate_limit::Rate>,
    /// Require credentials on the Jamf read routes (/v1/…, /jamf/v1/…): `bearer` (an admin API
    /// token) or `basic` (any user name, an admin API token as the password). Open when absent
    #[arg(long, env = "RINGMASTER_FEED_AUTH", value_enum)]
    pub feed_auth: Option<crate::http::feed_auth::FeedAuth>,
    /// NanoMDM-style enqueue URL to ask for `DeclarativeManagement` when a device's declarations
    /// change, such as https://mdm.example/v1/enqueue/ (NanoHUB:
    /// https://mdm.example/api/v1/nanomdm/enqueue/); the device ids go in the last path segment,
    /// with or without a trailing slash given. Off when absent
    #[arg(long, env = "RINGMASTER_MDM_ENQUEUE_URL", value_parser = checks::http_url)]
    pub mdm_enqueue_url: Option<String>,
    /// HTTP basic-auth user for the enqueue URL: `nanomdm` for NanoMDM, `nanohub` for NanoHUB
    #[arg(long, env = "RINGMASTER_MDM_API_USER", default_value = crate::os_updates::notifier::DEFAULT_API_USER, value_parser = checks::basic_auth_user)]
    pub mdm_api_user: String,
    /// Devices per enqueue request (1 to 100); 30 keeps the URL near 1 KB
    #[arg(long, env = "RINGMASTER_MDM_BATCH_SIZE", default_value_t = crate::os_updates::notifier::DEFAULT_BATCH, value_parser = checks::mdm_batch_size)]
    pub mdm_batch_size: usize,
    /// API key for the enqueue URL (HTTP basic auth as --mdm-api-user). Prefer the variable or
    /// --mdm-api-key-file: a flag is visible to every user in `ps`
    #[arg(long, env = "RINGMASTER_MDM_API_KEY", hide_env_values = true, value_parser = checks::secret_text)]
    pub mdm_api_key: Option<String>,
    /// A file holding the MDM API key (one trailing newline is ignored)
    #[arg(
        long,
        env = "RINGMASTER_MDM_API_KEY_FILE",
        conflicts_with = "mdm_api_key"
    )]
    pub mdm_api_key_file: Option<PathBuf>,
    /// Longest time between two notification rounds, in seconds (1 to 86400; a configuration
    /// change starts one at once)
    #[arg(long, env = "RINGMASTER_NOTIFY_EVERY_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub notify_every_secs: u64,
    /// Seconds a client has to send a request's headers, from its connection's opening or from
    /// the first byte of a later request (1 to 3600)
    #[arg(long, env = "RINGMASTER_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's whole body once its headers are in (1 to 86400;
    /// raise it for large restores over slow links)
    #[arg(long, env = "RINGMASTER_BODY_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub body_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request before it is closed
    /// (1 to 3600)
    #[arg(long, env = "RINGMASTER_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
    /// The server's public base URL as Jamf Pro reaches it, such as https://patch.example:
    /// webhook events then carry absolute URLs (`<public URL>/jamf/v1/patch/<id>`). Without it
    /// they carry the path alone (`/jamf/v1/patch/<id>`), as PatchServer's do
    #[arg(long, env = "RINGMASTER_PUBLIC_URL", value_parser = checks::http_url)]
    pub public_url: Option<String>,
    /// How long audit log entries are kept: days (365d) or hours (12h); `forever` (or 0) keeps
    /// every entry. Older ones are deleted hourly, by one server of a cluster
    #[arg(long, env = "RINGMASTER_AUDIT_RETENTION", default_value = crate::audit::DEFAULT_RETENTION, value_parser = crate::audit::parse_retention)]
    pub audit_retention: crate::audit::Retention,
    /// Connections served at once (1 to 1000000); more wait in the listen backlog until one ends
    #[arg(long, env = "RINGMASTER_MAX_CONNECTIONS", default_value_t = crate::connections::DEFAULT_MAX_CONNECTIONS, value_parser = checks::connection_count)]
    pub max_connections: usize,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List webhooks as JSON (as GET /api/v1/webhooks answers)
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Add a webhook; prints its id
    Add {
        /// The http:// or https:// URL events are POSTed to
        #[arg(long = "url")]
        webhook_url: String,
        /// Keep it, but send it nothing
        #[arg(long)]
        disabled: bool,
        /// Accept any TLS certificate from this receiver (self-signed ones)
        #[arg(long)]
        no_verify_ssl: bool,
        /// Send the served definition with each event (`patch_definition`)
        #[arg(long)]
        send_definition: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Delete a webhook, and the events still queued for it
    Delete {
        /// The webhook's id (from `webhook list`)
        id: String,
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
