//! The rrweb importer on arbitrary bytes (JSON array, wrapper object, PostHog JSON Lines,
//! PostHog-compressed events, JS wrapper). Every session it returns must satisfy the model's
//! invariants, and the reader that defers each event's `data` until it is converted must give
//! exactly what the eager reader gives (sessions, warnings, errors). An input of several lines
//! is also read from a file in pieces (JSON Lines one group of sessions at a time), which must
//! give what reading the same file whole gives, and an input that opens a JSON array of objects
//! is also read as it streams from a file (in chunks small enough to cut its items), which must give
//! what the whole read gives or leave the file to it.
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
    if data.contains(&b'\n') {
        pieces_match_whole(data);
    }
    if rrweb::stream::FirstPass::for_head(data).is_some() {
        stream_matches_whole(data, &result);
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

/// `load_path_in_pieces` (every file read in pieces) against `load_path` on the same file.
fn pieces_match_whole(data: &[u8]) {
    let path = std::env::temp_dir().join(format!("sessionlens-fuzz-{}.jsonl", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let whole_options = common::options();
    let piece_options = sessionlens::format::ReadOptions {
        read_in_pieces_above_bytes: Some(0),
        ..common::options()
    };
    let whole = sessionlens::format::load_path(&path, &whole_options);
    let mut pieces = Vec::new();
    let read = sessionlens::format::load_path_in_pieces(&path, &piece_options, &mut |piece| {
        pieces.push(piece);
        true
    });
    match (whole, read) {
        (Ok(whole), Ok(_)) => {
            let mut got: Vec<_> = pieces.into_iter().flat_map(|p| p.sessions).collect();
            let mut expected = whole.sessions;
            got.sort_by(|a, b| a.session_id.cmp(&b.session_id));
            expected.sort_by(|a, b| a.session_id.cmp(&b.session_id));
            assert!(got == expected, "reading in pieces and whole differ");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (whole, read) => panic!("one way failed, the other did not: {whole:?} / {read:?}"),
    }
}

/// `rrweb::stream::read_streamed` (an array item by item, objects through a hollow copy) on
/// the input written to a file, in chunks of 61 to 253 bytes, against the whole read of the
/// same bytes.
fn stream_matches_whole(
    data: &[u8],
    whole: &Result<
        (
            Vec<sessionlens::model::Session>,
            sessionlens::format::Warnings,
        ),
        sessionlens::format::FormatError,
    >,
) {
    let path = std::env::temp_dir().join(format!("sessionlens-fuzz-{}.json", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let chunk = 61 + data.len() % 193;
    let streamed = rrweb::stream::read_streamed(&path, FILE, &common::limits(), chunk);
    match (streamed, whole) {
        (Ok(None), _) => {}
        (Ok(Some((sessions, warnings, _))), Ok((expected, expected_warnings))) => {
            assert!(
                sessions == *expected,
                "reading as it streams and whole differ"
            );
            assert_eq!(warnings, *expected_warnings);
        }
        (Ok(Some(_)), Err(e)) => panic!("streamed, but the whole read failed: {e}"),
        (Err(e), _) => panic!("reading as it streams failed on a file just written: {e}"),
    }
}
