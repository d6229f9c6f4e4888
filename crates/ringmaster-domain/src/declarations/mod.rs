//! DDM declarations: Apple's envelope and the software-update declarations ringmaster serves.
//!
//! Everything is pure: the builders take plain inputs that mirror Apple's payload keys and return
//! `Declaration`s whose `ServerToken` is derived from their content.
//!
//! - [`envelope`]: `Declaration`, `DeclarationType`, `DeclarationIdentifier` (≤ 64 bytes),
//!   `DeclarationSet` and the token rules.
//! - [`software_update`]: `SoftwareUpdateSettings` → `softwareupdate.settings` (keys a
//!   platform lacks dropped), `EnforcementTarget` → `softwareupdate.enforcement.specific`.
//! - [`companion`]: status subscriptions, the `activation.simple`, and `device_declaration_set`.
//! - [`samples`]: maximal and minimal sample inputs.

pub mod companion;
pub mod envelope;
pub mod samples;
pub mod software_update;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_device_kinds;
