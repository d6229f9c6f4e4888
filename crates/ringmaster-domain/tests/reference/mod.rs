//! Where the third-party reference data of `../shared/reference` is, for the tests that read it
//! (Apple's schemas, the saved release feeds).
//!
//! A clone without `../shared` beside it lacks those folders: a test then prints which one is
//! missing and passes. Under `CI=true` (or `CI=1`) a missing folder fails the test instead, so a
//! CI run can never pass by skipping.

pub(crate) mod apple;

use std::path::PathBuf;

/// `../shared/reference/<relative>` beside the repository, when it is there.
pub(crate) fn reference_path(relative: &str) -> Option<PathBuf> {
    ringmaster_testing::shared_reference(relative)
}
