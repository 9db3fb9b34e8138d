//! The native `.session.json` reader on arbitrary bytes. A session it accepts must also satisfy
//! the model's invariants and survive a write-and-read round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format::native;

mod common;

const FILE: &str = "fuzz.session.json";

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    match native::read_session_slice(data, FILE, &limits) {
        Ok((session, _warnings)) => {
            assert!(
                session.validate(&limits).is_ok(),
                "accepted an invalid session"
            );
            let mut written = Vec::new();
            native::write_session(&mut written, &session).expect("writing an accepted session");
            let (again, _) = native::read_session_slice(&written, FILE, &limits)
                .expect("reading back what the writer wrote");
            assert_eq!(
                again, session,
                "write-and-read round trip changed the session"
            );
        }
        Err(error) => common::check_error(&error, FILE),
    }
});
