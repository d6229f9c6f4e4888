//! ringmaster: a patch-management server for Apple fleets, and its CLI.
//!
//! This crate is the edge: configuration, HTTP, the command line, and the application services
//! that join the pure domain (`ringmaster-domain`) to storage (`ringmaster-store`); `ringmaster
//! simulate` drives the device simulator of `ringmaster-simulator`.
//!
//! - [`audit`]: the audit log of changes: summaries, recording CLI changes, retention.
//! - [`backup`]: full backups of an installation: the zip layout, reading and restoring one.
//! - [`background`]: running background rounds so that one that panics is logged, not fatal.
//! - [`clock`]: the one clock the application reads (the system's, or a manual one for tests).
//! - [`config`]: command-line flags and environment variables (clap).
//! - [`cli`]: the subcommands (`serve`, `token`, `title`, `migrate`, `backup`, `restore`, `catalog`,
//!   `policy`, `plan`, `webhook`, `simulate`).
//! - [`server`]: starting, running and stopping the HTTP server.
//! - [`connections`]: the accept loop, with header, body and idle timeouts and a connection cap.
//! - [`http`]: routes, extractors and the API error type.
//! - [`os_updates`]: the OS-update services: catalog, policies and rings, devices, declarations.
//! - [`patch_source`]: the Jamf patch source services: title operations, the read cache, archives.
//! - [`telemetry`]: structured logging.
//! - [`tls`]: HTTPS certificates from PEM files, reloaded when the files change.
//! - [`tokens`]: admin API tokens: creating (with a role, expiry, title scope), listing, revoking;
//!   [`token_cache`] checks them from memory, refreshed when the table moves.
//! - [`ui`]: the admin web app under `/ui/`: signed-in pages over the admin API.
//! - [`webhooks`]: PatchServer's webhooks: creating, listing, deleting, and delivering events.

pub mod audit;
pub mod background;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod http;
pub mod os_updates;
pub mod patch_source;
pub mod server;
pub mod telemetry;
pub mod tls;
pub mod token_cache;
pub mod tokens;
pub mod ui;
pub mod webhooks;
