//! Fuzzes the update-policy parser (`POST/PUT /api/v1/policies`, `policy create`).
//!
//! The body is read as the server reads it (JSON, then the policy document). Properties: nothing
//! panics; a policy that parses renders to a document that parses back to the same policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringmaster_domain::json_read::json_document;
use ringmaster_domain::policy::parse::parse_policy;
use ringmaster_domain::policy::render::render_policy;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = json_document(data, "the body") else {
        return;
    };
    let Ok(parsed) = parse_policy(&document) else {
        return;
    };
    let rendered = render_policy(&parsed.policy);
    let reparsed = parse_policy(&rendered)
        .unwrap_or_else(|errors| panic!("a rendered policy is refused: {errors}\n{rendered:#}"));
    assert_eq!(reparsed.policy, parsed.policy, "policy does not round-trip");
});
