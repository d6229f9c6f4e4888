//! ringmaster's storage layer: one [`store::Store`] over SQLite or PostgreSQL.
//!
//! Only this crate knows SQL. Every query is written once, with `$N` placeholders that both
//! backends accept, and run on whichever pool the database URL chose (see [`store`]).
//!
//! - [`store`]: connecting, migrating, the backend switch.
//! - [`error`]: the storage error type.
//! - [`titles`]: software titles, with optimistic concurrency and a change feed for caches.
//! - [`tokens`]: admin API tokens (hashes only).
//! - [`transfer`]: copying a whole installation between databases.
//! - [`leases`]: time-limited leases so a background job runs on one server of a cluster.
//! - [`os_updates`]: the OS release catalog, update policies and rings, devices, device groups and
//!   bindings, with their own change counter.
//! - [`title_row`]: how a title record is laid out in a row.
//! - [`webhooks`]: PatchServer's webhooks and the queue of their deliveries, filled by title writes.
//! - [`audit`]: the audit log of changes made through the admin API and the CLI.
//! - [`ui_sessions`]: sessions of the admin web app, shared by every server.

pub mod audit;
pub mod error;
pub mod leases;
pub mod os_updates;
pub mod store;
pub mod title_row;
pub mod titles;
pub mod tokens;
pub mod transfer;
pub mod ui_sessions;
pub mod webhooks;
