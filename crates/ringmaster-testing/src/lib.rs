//! Test support shared by ringmaster's crates.
//!
//! - [`binary_plist`]: hand-built binary property lists for the hostile check-in tests.
//! - [`golden`]: golden files under `fixtures/golden/`, compared with a readable diff and
//!   rewritten with `UPDATE_GOLDEN=1` (the domain's and the server's tests).
//! - [`json`]: an object's keys in written order, the pointers of every `null`.
//! - [`skip`]: a test whose outside requirement is missing says why it skips, and fails under
//!   `CI=true`.
//! - with the `database` feature, `TestDatabase` and `backends`: a fresh, empty database per
//!   test on SQLite and (with `TEST_DATABASE_URL`) PostgreSQL, dropped afterwards.

pub mod binary_plist;
pub mod golden;
pub mod json;
pub mod skip;

#[cfg(feature = "database")]
mod database;

#[cfg(feature = "database")]
pub use database::{TestBackend, TestDatabase, backends, postgres_backend, replace_database_name};
pub use skip::{on_ci, shared_reference, skip_because};
