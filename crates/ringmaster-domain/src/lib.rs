//! ringmaster's pure domain core.
//!
//! Everything here is plain data and pure functions: no IO, no clock, no database.
//! "Now" is always a parameter. The storage layer and the HTTP/CLI edge build on these types.
//!
//! - [`access`]: roles (`readOnly` < `manager` < `admin`), a token's title scope and lifetime, and whether a token may use a route.
//! - [`assignment`]: which update policy takes effect on a device (precedence and conflicts).
//! - [`apple_version`]: Apple OS versions (`26.0.1`, `26.3.1 (a)`) and their order.
//! - [`capabilities`]: what a device can take (declarations and keys by OS version, enrollment type, client capabilities).
//! - [`catalog`]: the OS release catalog: the release model and pure SOFA and gdmf feed parsers.
//! - [`compliance`]: where a device stands with its update policy (up to date, pending, overdue, …).
//! - [`declarations`]: DDM declarations (envelope, software-update settings and enforcement, status subscriptions, activation).
//! - [`device_status`]: DDM status reports: parsing, the per-item merge into what is stored per device, typed views.
//! - [`fleet`]: what a device is served: its schedule turned into declarations.
//! - [`field_error`]: validation errors that name a field by JSON pointer.
//! - [`ids`]: the one id rule for titles, devices and enrollment ids, and the limit of ids a list.
//! - [`inventory`]: the admin documents for devices, device groups and bindings.
//! - [`legacy`]: legacy update mechanisms (a Jamf patch policy, a deferral profile) recorded against a device.
//! - [`jamf_time`]: the loose ISO-8601 timestamps real patch definitions carry, and their strict output form.
//! - [`json_read`]: reading untyped JSON for the hand-written parsers.
//! - [`json_write`]: pretty-printed JSON, the one form every answer is written in.
//! - [`plan_chart`]: the rollout timeline as an SVG picture (rings against dates).
//! - [`plan_window`]: the days a rollout plan covers, and its default of 90 days.
//! - [`platform`]: the Apple platforms whose updates ringmaster manages (macOS, iOS).
//! - [`policy`]: DDM update policies and the default deployment rings.
//! - [`preview`]: the preview of a configuration change: each device's target before and after, and how urgent the new deadline is.
//! - [`schedule`]: which releases a device sees, which version it must install, and by when.
//! - [`title`]: Jamf software titles: model, parsing with validation, rendering, edits.
//! - [`version_order`]: ordering of opaque application version strings ("is this newer?").
//! - [`webhook`]: PatchServer's webhooks: the URL rule, the create document, title events, the payload.

pub mod access;
pub mod apple_version;
pub mod assignment;
pub mod capabilities;
pub mod catalog;
pub mod compliance;
pub mod declarations;
pub mod device_status;
pub mod field_error;
pub mod fleet;
pub mod ids;
pub mod inventory;
pub mod jamf_time;
pub mod json_read;
pub mod json_write;
pub mod legacy;
pub mod plan_chart;
pub mod plan_window;
pub mod platform;
pub mod policy;
pub mod preview;
pub mod rollout_control;
pub mod schedule;
pub mod title;
pub mod version_order;
pub mod webhook;
