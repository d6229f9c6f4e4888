//! Fuzzes the reader of Apple's raw check-in message (`PUT /mdm/checkin`): XML and binary
//! property lists, before any credential or field is checked.
//!
//! Property: nothing panics, overflows the stack or allocates past libFuzzer's limits
//! (`scripts/fuzz.sh` runs with `-rss_limit_mb` and `-malloc_limit_mb`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ringmaster::http::ddm::read_check_in(data);
});
