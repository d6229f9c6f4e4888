//! DDM status reports: what devices tell the server about themselves (docs/ddm-software-updates.md
//! §7–8), parsed, merged into what is stored per device, and read through typed views.
//!
//! A device `PUT`s a status report (`{"StatusItems": {…}, "Errors": […], "FullReport": bool}`)
//! whose items nest by dotted name (`softwareupdate.install-state` is
//! `{"softwareupdate": {"install-state": …}}`). Reports are usually incremental (only the items
//! that changed); a `FullReport` (the "safety sync", about daily) carries everything.
//!
//! Everything is pure and tolerant of what Apple adds later: unknown items, keys and values are
//! kept; only a report of the wrong shape is refused.
//!
//! - [`installed`]: the OS a device runs, with its supplemental suffix and build.
//! - [`items`]: the status item names from Apple's schemas, item boundaries in the nested tree,
//!   and `report_json`, which builds a report from dotted item names (for tests and simulators).
//! - [`report`]: `StatusReport`, `StatusItemError`, `StatusReason` and `parse_status_report`.
//! - [`merge`]: `DeviceStatus`, what ringmaster keeps per device, and `apply` (merge per item, or
//!   replace everything on a full report), with its storage JSON.
//! - [`views`]: typed readings of the stored items (software update, operating system, model,
//!   declarations, client capabilities) that never fail: a wrong type reads as absent.

pub mod installed;
pub mod items;
pub mod merge;
pub mod report;
pub mod views;

#[cfg(test)]
mod tests;
