//! Crash safety: `sessionlens import` (and `define-event`) killed with SIGKILL at random moments,
//! at least 100 times, never leaves a damaged library or a half-stored session, and re-running
//! the import completes the set.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{ok, sessionlens};

/// A small deterministic generator for the kill moments (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Integrity check, and every stored session complete: its body, its page views, and a body
/// that decodes.
fn check_library(library: &Path) -> u64 {
    // A kill before the first migration leaves an empty file; opening migrates it.
    let store = sessionlens::store::Library::open(library).unwrap();
    let conn = rusqlite::Connection::open(library).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let incomplete: i64 = conn
        .query_row(
            "SELECT count(*) FROM sessions s
             WHERE NOT EXISTS (SELECT 1 FROM session_bodies b WHERE b.session_rowid = s.session_rowid)
                OR s.num_pages != (SELECT count(*) FROM page_views p WHERE p.session_rowid = s.session_rowid)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        incomplete, 0,
        "sessions stored without their body or page views"
    );
    drop(conn);
    let ids: Vec<String> = {
        let conn = rusqlite::Connection::open(library).unwrap();
        let mut stmt = conn.prepare("SELECT session_id FROM sessions").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for id in &ids {
        store.load_session(id).unwrap();
    }
    ids.len() as u64
}

#[test]
fn import_killed_100_times_leaves_a_sound_library_that_completes() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    let library = dir.path().join("library.sqlite");
    ok(
        &library,
        &[
            "demo",
            "generate",
            "--sessions",
            "200",
            "--seed",
            "7",
            "--out",
            inputs.to_str().unwrap(),
        ],
    );
    let fixtures = common::fixtures();
    assert!(!fixtures.is_empty());
    for file in &fixtures {
        std::fs::copy(file, inputs.join(file.file_name().unwrap())).unwrap();
    }
    // One session per generated file and per rrweb fixture.
    let total = std::fs::read_dir(&inputs).unwrap().count() as u64;
    assert_eq!(total, 200 + fixtures.len() as u64);

    // How long an uninterrupted import takes sets the range of kill moments.
    let started = Instant::now();
    ok(&library, &["import", inputs.to_str().unwrap()]);
    let full = started.elapsed().as_millis() as u64;
    assert_eq!(check_library(&library), total);
    // And an uninterrupted define-event over the full library (fast on a quiet machine: the
    // kill moments of defines must fall inside it, or no define is ever killed).
    let started = Instant::now();
    ok(&library, &["define-event", "cta0", "--selector", "a"]);
    let define_full = started.elapsed().as_millis() as u64;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = library.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }

    let mut rng = Rng(0x5E55_10A5);
    let deadline = Instant::now() + Duration::from_secs(300);
    let (mut kills, mut completed_rounds, mut define_kills) = (0, 0, 0);
    let mut run = 0_u32;
    while kills < 100 && Instant::now() < deadline {
        run += 1;
        // Every fourth run defines an event (a transaction over every stored session) instead.
        let define = run.is_multiple_of(4) && library.exists();
        let mut command = sessionlens();
        command.arg("--library").arg(&library);
        if define {
            command.args(["define-event", &format!("cta{run}"), "--selector", "a"]);
        } else {
            command.arg("import").arg(&inputs);
        }
        let mut child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let moment = if define {
            rng.below(define_full / 2 + 1)
        } else {
            rng.below(full + 50)
        };
        std::thread::sleep(Duration::from_millis(moment));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            define_kills += u32::from(define);
        } else if !define {
            completed_rounds += 1;
        }
        if library.exists() {
            let stored = check_library(&library);
            assert!(stored <= total);
            if stored == total && !define {
                // The set is complete: start over on a new library.
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = library.as_os_str().to_owned();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
        }
    }
    assert!(kills >= 100, "only {kills} kills in the time allowed");
    assert!(define_kills > 0);

    // Re-running the import completes the set.
    ok(&library, &["import", inputs.to_str().unwrap()]);
    assert_eq!(check_library(&library), total);
    eprintln!(
        "{kills} kills ({define_kills} during define-event), {completed_rounds} imports finished before their kill moment, full import {full} ms, full define-event {define_full} ms"
    );
}
