//! ringmaster's pure domain core.
//!
//! Everything here is plain data and pure functions: no IO, no clock, no database.
//! "Now" is always a parameter. The storage layer and the HTTP/CLI edge build on these types.
//!
//! - [`field_error`]: validation errors that name a field by JSON pointer.
//! - [`jamf_time`]: the loose ISO-8601 timestamps real patch definitions carry, and their strict output form.
//! - [`title`]: Jamf software titles: model, parsing with validation, rendering, edits.
//! - [`version_order`]: ordering of opaque application version strings ("is this newer?").

pub mod field_error;
pub mod jamf_time;
pub mod title;
pub mod version_order;
