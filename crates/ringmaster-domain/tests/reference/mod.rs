//! Where the third-party reference data of `../shared/reference` is, for the tests that read it
//! (Apple's schemas, the saved release feeds).
//!
//! A clone without `../shared` beside it lacks those folders: a test then prints which one is
//! missing and passes. Under `CI=true` (or `CI=1`) a missing folder fails the test instead, so a
//! CI run can never pass by skipping.

use std::path::PathBuf;

/// `../shared/reference/<relative>` beside the repository, when it is there.
pub(crate) fn reference_path(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    let on_ci = matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"));
    assert!(
        !on_ci,
        "{} is absent, and CI=true requires ../shared/reference beside the clone",
        path.display()
    );
    eprintln!(
        "skipping: {} is absent (../shared is not beside this clone)",
        path.display()
    );
    None
}
