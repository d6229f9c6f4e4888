//! Fuzzes the reader of Apple's raw check-in message (`PUT /mdm/checkin`): XML and binary
//! property lists, before any credential or field is checked.
//!
//! The input is read on a thread with a 2 MiB stack, the size of a tokio worker's, so nesting
//! that would overflow the server's stack overflows here too. Property: nothing panics,
//! overflows the stack or allocates past libFuzzer's limits (`scripts/fuzz.sh` runs with
//! `-rss_limit_mb` and `-malloc_limit_mb`).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// tokio's default worker stack size.
const WORKER_STACK_BYTES: usize = 2 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(scope, || {
                let _ = ringmaster::http::checkin_plist::read_check_in(data);
            })
            .expect("a reader thread starts");
        if let Err(panic) = reader.join() {
            std::panic::resume_unwind(panic);
        }
    });
});
