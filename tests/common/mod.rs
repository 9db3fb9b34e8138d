//! Shared helpers of the integration tests that run the built binary.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The built `sessionlens` binary with a clean environment.
pub fn sessionlens() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sessionlens"));
    command
        .env_remove("RUST_LOG")
        .env_remove("SESSIONLENS_LIBRARY");
    command
}

/// Runs `sessionlens --library LIBRARY ARGS…`.
pub fn run(library: &Path, args: &[&str]) -> Output {
    sessionlens()
        .arg("--library")
        .arg(library)
        .args(args)
        .output()
        .expect("run sessionlens")
}

/// Like [`run`], failing the test unless it succeeds; returns standard output.
pub fn ok(library: &Path, args: &[&str]) -> String {
    let out = run(library, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The rrweb fixture recordings.
pub fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/fixtures/rrweb"))
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p.to_string_lossy().ends_with(".truth.json")
        })
        .collect();
    files.sort();
    files
}

/// What a library holds, as the CLI lists it: sessions, notes and event definitions. Two
/// equal fingerprints mean nothing visible changed.
pub fn fingerprint(library: &Path) -> String {
    let list = ok(library, &["list", "--json", "--limit", "100000"]);
    let notes = ok(library, &["notes", "--json"]);
    let defs = ok(library, &["events-defs", "--json"]);
    format!("{list}\n--\n{notes}\n--\n{defs}")
}

/// `PRAGMA integrity_check` says "ok".
pub fn assert_sound(library: &Path) {
    let conn = rusqlite::Connection::open(library).expect("open library");
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(result, "ok", "{}", library.display());
}
