//! DDM software-update policies: the admin-facing model, its validation, and the default rings.
//!
//! - [`model`]: [`model::UpdatePolicy`] and its setting types, with the documented defaults.
//! - [`parse`]: JSON (the API shape) → policy, every error with a JSON pointer, plus warnings.
//! - [`render`]: policy → the same JSON shape; `parse(render(policy))` gives the policy back.
//! - [`rings`]: the four default deployment rings and their macOS and iOS policies.
//! - [`settings`]: policy → the inputs of Apple's settings and enforcement declarations.
//! - [`specific`]: the Software Update Enforcement policy (`"kind": "specificVersion"`): its
//!   document, and how it combines with the device's automatic policy.
//! - [`timing`]: the deferral and enforcement timing the schedule engine reads.

pub mod model;
pub mod parse;
pub mod render;
pub mod rings;
pub mod settings;
pub mod specific;
pub mod timing;
