//! The zip bundle (`.slbundle`) reader on arbitrary bytes: the zip structure, the manifest, the
//! entry names and the sessions and screenshots inside.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionlens::format::bundle;

mod common;

const FILE: &str = "fuzz.slbundle";

fuzz_target!(|data: &[u8]| {
    let options = common::options();
    match bundle::read_bundle_zip(std::io::Cursor::new(data), FILE, &options) {
        Ok(loaded) => {
            for session in &loaded.sessions {
                if let Err(error) = session.validate(&options.limits) {
                    panic!("the bundle reader returned an invalid session: {error}");
                }
            }
        }
        Err(error) => common::check_error(&error, FILE),
    }
});
