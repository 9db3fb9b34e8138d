//! The sniffing front door (`load_bytes`): gzip, zip bundle, native session or rrweb, detected
//! from the content, as `sessionlens import` reads a file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format;

mod common;

const FILE: &str = "fuzz-input";

fuzz_target!(|data: &[u8]| {
    let options = common::options();
    match format::load_bytes(data.to_vec(), FILE, &options) {
        Ok(loaded) => {
            for session in &loaded.sessions {
                if let Err(error) = session.validate(&options.limits) {
                    panic!("load_bytes returned an invalid session: {error}");
                }
            }
        }
        Err(error) => common::check_error(&error, FILE),
    }
});
