//! The rrweb importer on arbitrary bytes (JSON array, wrapper object, PostHog JSON Lines,
//! PostHog-compressed events, JS wrapper). Every session it returns must satisfy the model's
//! invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format::rrweb;

mod common;

const FILE: &str = "fuzz-recording.json";

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    match rrweb::read_rrweb(data, FILE, &limits) {
        Ok((sessions, _warnings)) => {
            for session in &sessions {
                if let Err(error) = session.validate(&limits) {
                    panic!("the importer returned an invalid session: {error}");
                }
            }
        }
        Err(error) => common::check_error(&error, FILE),
    }
});
