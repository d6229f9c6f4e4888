//! Jamf Pro software titles: what an external patch source serves.
//!
//! - [`id`]: the title id newtype.
//! - [`model`]: a title definition as submitted (requirements, patches, extension attributes).
//! - [`record`]: a stored title: its definition plus what admins set (enabled, pins, disabled patches).
//! - [`parse`]: JSON → model, reporting every problem with a JSON pointer.
//! - [`render`]: model → the JSON Jamf Pro reads.
//! - [`edit`]: the version lifecycle: add at a position, remove, enable, disable, pin.
//! - [`version_place`]: where a version goes by version order when no position is given.

pub mod edit;
pub mod id;
pub mod model;
pub mod parse;
pub mod record;
pub mod render;
#[cfg(test)]
pub(crate) mod test_support;
pub mod version_place;
