//! Skipping a test whose outside requirement is missing (the third-party reference data of
//! `../shared/reference`, a tool on `PATH`), with a message saying why; under `CI=true` (or
//! `CI=1`) a failure instead, so a CI run never passes by skipping.

use std::path::PathBuf;

/// Whether `CI` says this is a CI run (`true` or `1`).
pub fn on_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

/// Says why the test is skipped (`what` is missing), or fails it under `CI=true`.
pub fn skip_because(what: &str) {
    assert!(
        !on_ci(),
        "CI=true but {what}: the test must not be skipped on CI"
    );
    eprintln!("skipping: {what}");
}

/// `../shared/reference/<relative>` beside the repository, when it is there; otherwise `None`
/// after [`skip_because`].
pub fn shared_reference(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    skip_because(&format!(
        "{} is absent (../shared/reference is not beside this clone)",
        path.display()
    ));
    None
}
