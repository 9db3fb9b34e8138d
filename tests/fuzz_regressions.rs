//! Fuzzing regressions: every input a fuzz target ever crashed, hung or ran out of memory on
//! (tests/hostile/fuzz/<target>/) must now read to `Ok` or a clear error, and the committed
//! seed inputs (fuzz/seeds/<target>/) must read to `Ok`. Each file goes through the sniffing
//! front door (`load_bytes`) and through the reader of the target that found it, with the same
//! lowered limits and checks as the targets (fuzz/fuzz_targets/common.rs). See docs/FUZZING.md.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};

use sessionlens::format::{self, FormatError, ReadOptions, bundle, native, rrweb};
use sessionlens::model::Limits;

/// The targets, each a folder name under fuzz/seeds/ and tests/hostile/fuzz/.
const TARGETS: [&str; 4] = [
    "native_reader",
    "rrweb_importer",
    "bundle_reader",
    "load_bytes",
];

/// Files kept in tests/hostile/fuzz/ so far: raise it with each finding kept, so that a folder
/// gone missing fails the test instead of passing on nothing.
const MIN_REGRESSIONS: usize = 4;
/// Seed files in fuzz/seeds/ (tools/fuzz_seeds.sh writes 52).
const MIN_SEEDS: usize = 50;

/// The fuzz targets' limits (fuzz/fuzz_targets/common.rs): the defaults with the inflated size
/// cut to 8 MiB and the events to 100,000, so a bomb among the regressions cannot exhaust memory.
fn options() -> ReadOptions {
    ReadOptions {
        limits: Limits {
            max_inflated_bytes: 8 << 20,
            max_events: 100_000,
            ..Limits::default()
        },
        keep_typed_values: true,
        ..ReadOptions::default()
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The files of `dir/<target>/` for each target, sorted (a missing folder has none).
fn inputs(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut files = Vec::new();
    for target in TARGETS {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
            .collect();
        paths.sort();
        files.extend(paths.into_iter().map(|p| (target, p)));
    }
    files
}

fn check_error(error: &FormatError, file: &str) -> String {
    let message = error.to_string();
    assert!(
        message.contains(file),
        "error without the file name: {message}"
    );
    message
}

/// Reads `bytes` as the target `target` does, then through `load_bytes`; returns the outcomes
/// (`Ok` or the error message) of both. Panics (the test fails) where a target would crash.
fn read_both(target: &str, bytes: &[u8]) -> [Result<usize, String>; 2] {
    let options = options();
    let limits = &options.limits;
    let direct = match target {
        "native_reader" => {
            let file = "fuzz.session.json";
            match native::read_session_slice(bytes, file, limits) {
                Ok((session, _)) => {
                    session.validate(limits).unwrap();
                    let mut written = Vec::new();
                    native::write_session(&mut written, &session).unwrap();
                    let (again, _) = native::read_session_slice(&written, file, limits).unwrap();
                    assert_eq!(again, session, "write-and-read round trip changed it");
                    Ok(1)
                }
                Err(e) => Err(check_error(&e, file)),
            }
        }
        "rrweb_importer" => {
            let file = "fuzz-recording.json";
            match rrweb::read_rrweb(bytes, file, limits) {
                Ok((sessions, _)) => {
                    for s in &sessions {
                        s.validate(limits).unwrap();
                    }
                    Ok(sessions.len())
                }
                Err(e) => Err(check_error(&e, file)),
            }
        }
        "bundle_reader" => {
            let file = "fuzz.slbundle";
            match bundle::read_bundle_zip(std::io::Cursor::new(bytes), file, &options) {
                Ok(loaded) => {
                    for s in &loaded.sessions {
                        s.validate(limits).unwrap();
                    }
                    Ok(loaded.sessions.len())
                }
                Err(e) => Err(check_error(&e, file)),
            }
        }
        _ => Ok(0),
    };
    let file = "fuzz-input";
    let front = match format::load_bytes(bytes.to_vec(), file, &options) {
        Ok(loaded) => {
            for s in &loaded.sessions {
                s.validate(limits).unwrap();
            }
            Ok(loaded.sessions.len())
        }
        Err(e) => Err(check_error(&e, file)),
    };
    [direct, front]
}

#[test]
fn hostile_inputs_read_without_panic() {
    let files = inputs(&root().join("tests/hostile/fuzz"));
    assert!(
        files.len() >= MIN_REGRESSIONS,
        "expected the fuzzing regressions in tests/hostile/fuzz/<target>/, found {}",
        files.len()
    );
    for (target, path) in files {
        let bytes = std::fs::read(&path).unwrap();
        let outcomes = read_both(target, &bytes);
        eprintln!("{}: {outcomes:?}", path.display());
    }
}

#[test]
fn committed_seeds_read_ok() {
    let files = inputs(&root().join("fuzz/seeds"));
    assert!(
        files.len() >= MIN_SEEDS,
        "expected the fuzz seeds in fuzz/seeds/<target>/ (tools/fuzz_seeds.sh), found {}",
        files.len()
    );
    for target in TARGETS {
        assert!(
            files.iter().any(|(t, _)| *t == target),
            "no seeds for {target}"
        );
    }
    for (target, path) in files {
        let bytes = std::fs::read(&path).unwrap();
        let [direct, front] = read_both(target, &bytes);
        let name = path.display();
        assert!(
            direct
                .as_ref()
                .is_ok_and(|n| target == "load_bytes" || *n >= 1),
            "{name}: the {target} reader refused its seed: {direct:?}"
        );
        assert!(
            front.as_ref().is_ok_and(|n| *n >= 1),
            "{name}: load_bytes refused a seed: {front:?}"
        );
    }
}
