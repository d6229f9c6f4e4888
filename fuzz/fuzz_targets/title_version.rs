//! Fuzzes the single-version parser (`POST /api/v1/title/{id}/version`, `title add-version`).
//!
//! Properties: nothing panics; a version that parses renders to JSON that parses back to the same
//! version.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster_domain::title::parse::patch_from_slice;
use ringmaster_domain::title::render;

fuzz_target!(|data: &[u8]| {
    let Ok(patch) = patch_from_slice(data) else {
        return;
    };
    let rendered = serde_json::to_vec(&render::patch(&patch)).expect("a Value serializes");
    let reparsed = patch_from_slice(&rendered)
        .unwrap_or_else(|errors| panic!("a rendered version is refused: {errors}"));
    assert_eq!(reparsed, patch, "version does not round-trip");
});
