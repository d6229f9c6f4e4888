//! Fuzzes the backup reader (`POST /api/v1/restore`, `ringmaster restore`): the bounded zip
//! reader, then the validation of every file it yields (titles, the state file, the manifest and
//! the table files).
//!
//! Property: nothing panics or allocates past libFuzzer's limits (`scripts/fuzz.sh` runs with
//! `-rss_limit_mb` and `-malloc_limit_mb`), whatever the entries claim about their sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster::backup::read_backup;
use ringmaster::patch_source::zip_read::ZipLimits;

/// What the entries of one input may inflate to in all: well inside libFuzzer's memory limit.
const TOTAL_BYTES: u64 = 64 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(now) = jiff::Timestamp::from_second(1_700_000_000) else {
        return;
    };
    let _ = read_backup(data, &ZipLimits::with_total(TOTAL_BYTES), now);
});
