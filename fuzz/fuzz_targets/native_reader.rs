//! The native `.session.json` reader on arbitrary bytes. A session it accepts must also satisfy
//! the model's invariants and survive a write-and-read round trip unchanged, and the one-pass
//! reader must agree with the serde reader on every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format::native;

mod common;

const FILE: &str = "fuzz.session.json";

fuzz_target!(|data: &[u8]| {
    let limits = common::limits();
    let result = native::read_session_slice(data, FILE, &limits);
    let reference = native::read_session_slice_with_serde(data, FILE, &limits);
    match (&result, &reference) {
        (Ok((a, wa)), Ok((b, wb))) => {
            assert_eq!(a, b, "the one-pass reader read another session than serde");
            assert_eq!(wa.lines(), wb.lines(), "the readers warned differently");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("the readers disagree: {result:?} / {reference:?}"),
    }
    match result {
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
