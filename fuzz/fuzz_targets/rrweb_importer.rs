//! The rrweb importer on arbitrary bytes (JSON array, wrapper object, PostHog JSON Lines,
//! PostHog-compressed events, JS wrapper). Every session it returns must satisfy the model's
//! invariants, and the reader that defers each event's `data` until it is converted must give
//! exactly what the eager reader gives (sessions, warnings, errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format::rrweb;

mod common;

const FILE: &str = "fuzz-recording.json";

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let result = rrweb::read_rrweb(data, FILE, &limits);
    let eager = rrweb::read_rrweb_eager(data, FILE, &limits);
    match (&result, &eager) {
        (Ok(a), Ok(b)) => assert!(a == b, "the deferred and the eager reader differ"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("one reader failed, the other did not: {result:?} / {eager:?}"),
    }
    match result {
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
