//! The OS-update side: the release catalog, update policies and rings, devices, and what each
//! device is served. The services behind `/api/v1/catalog`, `/api/v1/policies`,
//! `/api/v1/policy-groups`, `/api/v1/devices` and `/api/v1/device-groups`, and behind the CLI.
//!
//! - [`service`]: [`service::OsUpdates`] and its errors; each write is followed by a snapshot
//!   refresh. Its operations by area: [`catalog`] (imports, releases), [`policies`] (policies,
//!   policy groups, rings, bindings), [`inventory`] (devices, device groups), [`served`] (what a
//!   device is served and why, rollout plans).
//! - [`snapshot`]: the configuration (catalog, policies, groups, bindings) held in memory and
//!   indexed, refreshed when the store's OS-update revision moves; device reads never wait on it.
//! - [`ddm`]: the device side: answering check-ins and merging status reports;
//!   [`served_cache`] each device's set with its answers written, keyed by what it depends on;
//!   [`ddm_device`] what a status report says about the device row; [`status_batch`] status
//!   reports merged many to a transaction, each answered once committed.
//! - [`results`], [`result_views`]: policy results: each device's status, and the compliance of
//!   a policy or of every ring (filtered and counted once, for the API and the CLI).
//! - [`notifier`]: asking the MDM (NanoMDM's enqueue API) to make changed devices sync;
//!   [`notify_scope`] which devices a round recomputes, each distinct input once;
//!   [`enqueue`] sends one batch and reads NanoMDM's per-device answer.
//! - [`notifier_log`]: what the notifier did last (`GET /api/v1/notifier`).
//! - [`views`], [`served_views`]: the typed JSON answers the API writes and the CLI prints
//!   (catalog, policies, groups, devices, plan; what a device is served and why);
//!   [`served_specific`] the effective policy's `enforcement` and `specificVersion` parts.
//! - [`feed_fetch`]: reading a feed from a file or an HTTPS URL (Apple's root certificate included).
//! - [`catalog_delete`]: deleting a release, to undo a bad import.
//! - [`catalog_poll`]: keeping the catalog current from a configured URL, once per cluster.
//! - [`blocks`]: blocking and unblocking releases everywhere; [`exemptions`]: exempting devices;
//!   [`pauses`]: pausing and resuming rings and policies; [`gates`]: health gates between rings
//!   and their evaluation round.
//! - [`preview`]: what a change would do to every device (`?dryRun=true`), nothing written;
//!   [`preview_changes`]: the dry run of each write, with the real write's checks and errors;
//!   [`preview_rollout`]: the same for pauses, resumes and gates.

pub mod blocks;
pub mod catalog;
pub mod catalog_delete;
pub mod catalog_poll;
pub mod ddm;
pub mod ddm_device;
pub mod enqueue;
pub mod exemptions;
pub mod feed_fetch;
pub mod gates;
pub mod inventory;
pub mod notifier;
pub mod notifier_log;
pub mod notify_scope;
pub mod pauses;
pub mod policies;
pub mod preview;
pub mod preview_changes;
pub mod preview_rollout;
pub mod result_views;
pub mod results;
pub mod served;
pub mod served_cache;
pub mod served_specific;
pub mod served_views;
pub mod service;
pub mod snapshot;
pub mod status_batch;
pub mod views;
