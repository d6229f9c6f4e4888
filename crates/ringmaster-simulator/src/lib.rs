//! A simulator of Apple devices doing DDM software updates, to load-test and end-to-end test a
//! ringmaster server (`ringmaster simulate` runs it from the command line). It knows the server
//! only by its HTTP protocol: this crate depends on the domain crate and on no server code.
//!
//! Three layers:
//! - [`device::SimulatedDevice`]: one device as a pure state machine, no IO, clock given. It
//!   compares `DeclarationsToken`s, fetches only changed `(Identifier, ServerToken)`s, drops what
//!   is no longer listed, validates what it receives as a device would ([`validate`]), activates,
//!   follows an enforcement to its deadline through `downloading` → `prepared` → `installing` →
//!   the new version, and builds full or incremental status reports ([`device::status`]).
//! - [`client::SyncClient`]: one `reqwest::Client` that runs a device's whole sync against a
//!   server (`tokens` → `declaration-items` → changed declarations → `PUT status`) and returns a
//!   [`client::SyncOutcome`]; it also exposes each endpoint alone.
//! - [`fleet`]: N devices from a seed and a mix of device kinds ([`mix`]: macOS 13 to 26, a
//!   supplemental Mac, iOS 16 to 26, Mac users, Shared iPad users, User Enrollment), synced round
//!   after round with bounded concurrency, with p50/p99 latency and syncs per second
//!   ([`fleet::run_fleet`]).
//!
//! Driving it from an integration test:
//!
//! ```no_run
//! # async fn example(base_url: String) -> anyhow::Result<()> {
//! use ringmaster_simulator::client::{BearerSecret, ServerEndpoint, SyncClient};
//! use ringmaster_simulator::device::{DeviceOptions, DeviceProfile, InstallState, SimulatedDevice};
//!
//! let endpoint = ServerEndpoint::new(base_url) // "http://127.0.0.1:PORT"
//!     .with_prefix("/ddm/")
//!     .with_secret(Some(BearerSecret::new("s3cret")));
//! let client = SyncClient::new(&endpoint)?;
//! let mut mac = SimulatedDevice::new(DeviceProfile::example_mac("mac-1"), DeviceOptions::default());
//! let now: jiff::Timestamp = "2026-01-10T12:00:00Z".parse()?;
//! let outcome = client.sync(&mut mac, now).await;
//! assert!(outcome.is_ok(), "{:?}", outcome.error);
//! // What the device holds and how it judged it:
//! for declaration in mac.declarations() {
//!     println!("{} valid={} active={}", declaration.key(), declaration.is_valid(), declaration.is_active());
//! }
//! // Later syncs move the clock; past the enforcement's deadline the install runs, one step
//! // per sync, and the new version is reported.
//! let later: jiff::Timestamp = "2026-03-01T00:00:00Z".parse()?;
//! for _ in 0..4 {
//!     client.sync(&mut mac, later).await;
//! }
//! assert_eq!(mac.install_state(), InstallState::None);
//! # Ok(()) }
//! ```
//!
//! A fleet: `run_fleet(&client, &FleetConfig { rounds: 3, ..FleetConfig::new(500) })`, or
//! `Fleet::generate` and `Fleet::sync_round` to look at the devices between rounds.
//!
//! Faithfulness notes: only subscribed status items are reported (plus
//! `management.client-capabilities` and `management.declarations`), so a server learns
//! `device.operating-system.family` only if it subscribes to it (or to
//! `device.operating-system`); device-local time is UTC unless
//! [`device::DeviceOptions::utc_offset`] says otherwise; every enforced version is assumed to
//! exist. See [`device`] for the rest. Which items and declaration types a device's OS version
//! and enrollment channel support, and the `X-Enrollment-Type` it sends, are in [`kinds`].

pub mod client;
pub mod clock;
pub mod device;
pub mod endpoint;
pub mod fleet;
pub mod kinds;
pub mod mix;
pub mod profile;
pub mod protocol;
pub mod validate;

#[cfg(test)]
mod tests;
