//! Fuzzes the release-feed parsers (SOFA v1/v2/DMS and gdmf) through the catalog import's entry
//! point, which detects the format and picks the parser.
//!
//! Properties: nothing panics; format detection agrees with the parser; a parsed feed merges
//! into an empty catalog, and merging the same feed again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster_domain::catalog::merge::merge_into_catalog;
use ringmaster_domain::catalog::{detect_format, parse_feed};

fuzz_target!(|data: &[u8]| {
    let seen_at = jiff::Timestamp::from_second(1_760_000_000).unwrap();
    let detected = detect_format(data);
    let Ok(parsed) = parse_feed(data, seen_at) else {
        return;
    };
    assert_eq!(
        detected.ok(),
        Some(parsed.format),
        "detection disagrees with the parser"
    );
    let first = merge_into_catalog(&[], parsed.releases.clone());
    assert!(
        first.updated.is_empty() && first.removed.is_empty(),
        "merging into an empty catalog updated or removed something: {first:?}"
    );
    let again = merge_into_catalog(&first.added, parsed.releases);
    assert!(
        again.is_empty(),
        "merging a feed twice changed the catalog: {again:?}"
    );
});
