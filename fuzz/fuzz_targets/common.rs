//! Shared by the fuzz targets: the limits they read with, and the invariants every result must
//! keep.

// Each target uses only part of this module.
#![allow(dead_code)]

use sessionlens::format::{FormatError, ReadOptions};
use sessionlens::model::Limits;

/// Most bytes any input may inflate to (gzip streams, zip entries), here 8 MiB. The default
/// (1 GiB) is right for real recordings, but a fuzzer easily writes a 30-byte gzip or zip
/// entry that legitimately inflates to gigabytes: that is allowed input, not a bug, and would
/// only make libFuzzer report an out-of-memory. 8 MiB is still far larger than anything the
/// fuzzer's inputs (at most a few hundred KiB) parse into.
pub const FUZZ_MAX_INFLATED_BYTES: u64 = 8 << 20;

/// Most events in one session, here 100,000 (default 20 million), for the same reason: a few
/// KiB of deflated data can hold millions of tiny events, each a few dozen bytes in memory.
pub const FUZZ_MAX_EVENTS: usize = 100_000;

/// [`Limits::default`] with the memory-relevant limits lowered (see the constants above).
/// Every other limit (coordinates, dimensions, duration, string length) keeps its default,
/// so the readers' checks are exercised exactly as in the product.
pub fn limits() -> Limits {
    Limits {
        max_inflated_bytes: FUZZ_MAX_INFLATED_BYTES,
        max_events: FUZZ_MAX_EVENTS,
        ..Limits::default()
    }
}

/// [`ReadOptions`] with [`limits`]. Typed values are kept so that path is exercised too.
pub fn options() -> ReadOptions {
    ReadOptions {
        limits: limits(),
        keep_typed_values: true,
        ..ReadOptions::default()
    }
}

/// An error must name the file it is about (every reader error does); its message must render.
pub fn check_error(error: &FormatError, file_name: &str) {
    let message = error.to_string();
    assert!(
        message.contains(file_name),
        "error does not name the file {file_name:?}: {message}"
    );
}
