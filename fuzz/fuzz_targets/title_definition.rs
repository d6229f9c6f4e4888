//! Fuzzes the title definition parser (`POST /api/v1/title`, `title import`, backups).
//!
//! Properties: nothing panics; a definition that parses renders (both as a bare definition and as
//! a stored record's full definition) to JSON that parses back to the same definition; the feed
//! renderings of its record do not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster_domain::title::parse::software_title_from_slice;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::render;

fuzz_target!(|data: &[u8]| {
    let Ok(title) = software_title_from_slice(data) else {
        return;
    };
    let bare = serde_json::to_vec(&render::bare_definition(&title)).expect("a Value serializes");
    let reparsed = software_title_from_slice(&bare)
        .unwrap_or_else(|errors| panic!("a rendered definition is refused: {errors}"));
    assert_eq!(reparsed, title, "bare definition does not round-trip");

    let record = TitleRecord::new(title, jiff::Timestamp::from_second(1_700_000_000).unwrap());
    let full = serde_json::to_vec(&render::definition(&record)).expect("a Value serializes");
    let reparsed = software_title_from_slice(&full)
        .unwrap_or_else(|errors| panic!("a stored definition is refused: {errors}"));
    assert_eq!(
        reparsed, record.definition,
        "full definition does not round-trip"
    );
    let _ = render::feed_title(&record);
    let _ = render::feed_summary(&record);
});
