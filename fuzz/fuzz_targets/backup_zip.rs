//! Fuzzes the backup zip reader (`POST /api/v1/restore`, `title import` of a zip) and the
//! validation of the files it yields.
//!
//! Property: nothing panics or allocates past libFuzzer's limits (`scripts/fuzz.sh` runs with
//! `-rss_limit_mb` and `-malloc_limit_mb`), whatever the entries claim about their sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster::patch_source::archive::{read_zip, records_from_files};

fuzz_target!(|data: &[u8]| {
    let Ok(files) = read_zip(data) else {
        return;
    };
    let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    let _ = records_from_files(&files, now, |_| {});
});
