//! The hostile-input corpus (tests/hostile/, README there): every kind of broken or malicious
//! input gets its expected outcome — a clear error naming the file and the place, or a counted
//! warning — and leaves the library unchanged and sound. Inputs too large to commit (a 2 GB
//! file, a 10 GB gzip bomb, a 2 MiB string, a symlinked bundle entry) are made here.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::{assert_sound, fingerprint, ok, repo, run};
use serde_json::Value;

/// A library holding two recordings, a note and an event definition.
fn baseline(dir: &Path) -> PathBuf {
    let library = dir.join("library.sqlite");
    let fixtures = repo().join("tests/fixtures/rrweb");
    ok(
        &library,
        &[
            "import",
            fixtures.join("convert-desktop.json").to_str().unwrap(),
            fixtures.join("quick-back-desktop.json").to_str().unwrap(),
        ],
    );
    ok(
        &library,
        &[
            "define-event",
            "cta",
            "--selector",
            "#hero-cta",
            "--stage",
            "tofu",
        ],
    );
    sessionlens::store::Library::open(&library)
        .unwrap()
        .add_note("convert-desktop", 1_000, "baseline note")
        .unwrap();
    library
}

/// Imports `file` and returns the one `--json` outcome line and the exit status.
fn import(library: &Path, file: &Path, extra: &[&str]) -> (Value, bool) {
    let mut args = vec!["import", "--json", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(library, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().next().unwrap_or_else(|| {
        panic!(
            "{}: no outcome; stderr: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (serde_json::from_str(line).unwrap(), out.status.success())
}

/// Expects `file` to be refused with an error that names it and contains every `needle`, and the
/// library to be unchanged.
fn refused(library: &Path, file: &Path, needles: &[&str], extra: &[&str]) {
    let before = fingerprint(library);
    let (outcome, success) = import(library, file, extra);
    assert!(
        !success,
        "{}: import should fail: {outcome}",
        file.display()
    );
    assert_eq!(outcome["status"], "failed", "{}: {outcome}", file.display());
    let error = outcome["error"].as_str().unwrap_or_default();
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        error.contains(name),
        "error does not name the file: {error}"
    );
    for needle in needles {
        assert!(error.contains(needle), "{name}: {error:?} lacks {needle:?}");
    }
    assert_eq!(before, fingerprint(library), "{name} changed the library");
    assert_sound(library);
}

/// Expects `file` to import with warnings containing every `needle`.
fn warned(library: &Path, file: &Path, needles: &[&str]) {
    let (outcome, success) = import(library, file, &[]);
    assert!(success, "{}: {outcome}", file.display());
    assert_eq!(
        outcome["status"],
        "imported",
        "{}: {outcome}",
        file.display()
    );
    let warnings = outcome["warnings"].to_string();
    for needle in needles {
        assert!(
            warnings.contains(needle),
            "{}: warnings {warnings} lack {needle:?}",
            file.display()
        );
    }
    assert_sound(library);
}

fn corpus(name: &str) -> PathBuf {
    repo().join("tests/hostile").join(name)
}

#[test]
fn committed_corpus_gets_its_expected_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let cases: &[(&str, &[&str])] = &[
        ("empty.session.json", &["empty"]),
        (
            "truncated.session.json",
            &["events[17]", "EOF", "line 1, column"],
        ),
        (
            "wrong-type.session.json",
            &["events[5].x", "invalid type: string \"236px\"", "column"],
        ),
        ("nan-coordinate.session.json", &["events[1][3]", "column"]),
        (
            "infinite-coordinate.session.json",
            &["events[1][3]", "number out of range"],
        ),
        (
            "huge-coordinate.session.json",
            &["events[5].x", "±1000000 px"],
        ),
        (
            "negative-timestamp.session.json",
            &["events[0].t", "before the session start"],
        ),
        (
            "decreasing-timestamps.session.json",
            &["events[19].t", "must not decrease"],
        ),
        (
            "start-before-epoch-range.session.json",
            &["started_at_ms", "negative"],
        ),
        (
            "invalid-utf8.session.json",
            &["user_agent", "unicode", "column"],
        ),
        ("newer-version.session.json", &["newer SessionLens", "2.0"]),
        (
            "not-a-recording.json",
            &["neither a SessionLens session", "nor an rrweb recording"],
        ),
        ("binary-garbage.json", &["not a SessionLens session"]),
        ("nested-gzip-bomb.json.gz", &["gzip inside gzip"]),
        (
            "traversal.slbundle",
            &["../escape.session.json", "unsafe entry path"],
        ),
        (
            "absolute-path.slbundle",
            &["/etc/escape.session.json", "unsafe entry path"],
        ),
        (
            "png-bomb.slbundle",
            &["screenshots/", "100000 x 100000 px", "exceeds the limit"],
        ),
        (
            "missing-entry.slbundle",
            &["sessions/nowhere.session.json", "not found"],
        ),
        ("truncated.slbundle", &["(zip)"]),
    ];
    for (name, needles) in cases {
        refused(&library, &corpus(name), needles, &[]);
    }
    // Warnings, counted, and the rest of the recording imported.
    warned(
        &library,
        &corpus("events-before-start-rrweb.json"),
        &["events before the first Meta event", ": 1 "],
    );
    warned(
        &library,
        &corpus("unknown-nodes-rrweb.json"),
        &["mutation names a node not in the mirror: 4"],
    );
    warned(
        &library,
        &corpus("rrweb-no-meta.json"),
        &["not in the mirror"],
    );
    // 100,000 levels of nesting in a field the reader does not know: skipped without recursion.
    warned(&library, &corpus("deep-nesting.session.json"), &[]);
}

#[test]
fn a_dom_nested_100000_deep_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let mut bytes = br#"[{"type":4,"data":{"href":"http://a.test/","width":1280,"height":800},"timestamp":1000},{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":["#
        .to_vec();
    for id in 0..100_000 {
        bytes.extend_from_slice(
            format!(
                r#"{{"type":2,"tagName":"div","attributes":{{}},"id":{},"childNodes":["#,
                id + 10
            )
            .as_bytes(),
        );
    }
    for _ in 0..100_000 {
        bytes.extend_from_slice(b"]}");
    }
    bytes.extend_from_slice(br#"]},"initialOffset":{"left":0,"top":0}},"timestamp":1001}]"#);
    let file = dir.path().join("deep-dom-rrweb.json");
    std::fs::write(&file, bytes).unwrap();
    refused(
        &library,
        &file,
        &["events[1]", "nested deeper than 1000 levels", "column"],
        &[],
    );
    // The limit is configurable (downwards: the parse thread's stack is sized for 1,000).
    refused(
        &library,
        &repo().join("tests/fixtures/rrweb/calm-help-desktop.json"),
        &["nested deeper than 4 levels"],
        &["--max-dom-depth", "4"],
    );
}

#[test]
fn duplicate_session_ids_are_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let file = corpus("duplicate-ids.slbundle");
    let (outcome, success) = import(&library, &file, &[]);
    assert!(success, "{outcome}");
    assert_eq!(outcome["session_ids"], serde_json::json!(["dup-1"]));
    assert_eq!(outcome["duplicate_ids"], serde_json::json!(["dup-1"]));
    let before = fingerprint(&library);
    let (again, success) = import(&library, &file, &[]);
    assert!(success, "{again}");
    assert_eq!(again["status"], "duplicate");
    assert_eq!(before, fingerprint(&library));
}

#[test]
fn large_inputs_are_refused_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());

    // A 2 GB file (sparse: no disk used) is refused from its size, before a byte is read.
    let big = dir.path().join("two-gigabytes.session.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    refused(
        &library,
        &big,
        &["2147483648 bytes", "exceeds the limit"],
        &[],
    );

    // A gzip bomb: 10 KB of 1 MiB zero members, 10,240 of them (10 GiB inflated). Inflating
    // stops at the limit (lowered here to keep the test quick; the flag is the documented way).
    let member = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0_u8; 1 << 20]).unwrap();
        encoder.finish().unwrap()
    };
    let bomb = dir.path().join("bomb.json.gz");
    let mut file = std::fs::File::create(&bomb).unwrap();
    for _ in 0..10_240 {
        file.write_all(&member).unwrap();
    }
    drop(file);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 12 << 20);
    refused(
        &library,
        &bomb,
        &["exceeds the limit of 67108864 bytes"],
        &["--max-file-mib", "64"],
    );

    // A 2 MiB URL exceeds the string limit.
    let mut session: Value = serde_json::from_slice(
        &std::fs::read(repo().join("docs/examples/sim-000007ea-000011.session.json")).unwrap(),
    )
    .unwrap();
    session["pages"][0]["url"] = Value::String(format!("http://shop.test/{}", "a".repeat(2 << 20)));
    let huge = dir.path().join("huge-string.session.json");
    std::fs::write(&huge, serde_json::to_vec(&session).unwrap()).unwrap();
    refused(&library, &huge, &["pages[0].url", "string limit"], &[]);

    // More events than allowed (the example has 130).
    let many = repo().join("docs/examples/sim-000007ea-000011.session.json");
    let copy = dir.path().join("many-events.session.json");
    std::fs::copy(&many, &copy).unwrap();
    refused(
        &library,
        &copy,
        &["events exceed the limit of 100"],
        &["--max-events", "100"],
    );
}

#[test]
fn symlinks_in_a_bundle_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let bundle = dir.path().join("linked-bundle");
    std::fs::create_dir_all(bundle.join("sessions")).unwrap();
    std::fs::write(
        bundle.join("manifest.json"),
        r#"{"format":"sessionlens-bundle","version":"1.0","sessions":["sessions/a.session.json"]}"#,
    )
    .unwrap();
    let outside = dir.path().join("secret.session.json");
    std::fs::copy(
        repo().join("docs/examples/sim-000007ea-000011.session.json"),
        &outside,
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, bundle.join("sessions/a.session.json")).unwrap();
    refused(
        &library,
        &bundle,
        &["sessions/a.session.json", "symbolic links are refused"],
        &[],
    );
}

#[test]
fn a_png_bomb_screenshot_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let before = fingerprint(&library);
    let out = run(
        &library,
        &[
            "screenshot",
            "add",
            "--url",
            "http://shop.test/",
            corpus("png-bomb.png").to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("png-bomb.png") && stderr.contains("100000 x 100000 px"),
        "{stderr}"
    );
    assert_eq!(before, fingerprint(&library));
}

#[test]
fn bad_library_files_get_clear_errors_and_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo().join("tests/fixtures/rrweb/convert-desktop.json");
    let fixture = fixture.to_str().unwrap();

    // Not SQLite at all.
    let text = dir.path().join("notes.sqlite");
    std::fs::write(&text, "shopping list: milk, eggs\n").unwrap();
    let out = run(&text, &["import", fixture]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a SessionLens library"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "shopping list: milk, eggs\n"
    );

    // A library from a newer schema.
    let newer = baseline(&dir.path().join("newer"));
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let bytes = std::fs::read(&newer).unwrap();
    let out = run(&newer, &["import", fixture]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("schema version 999") && stderr.contains("newer SessionLens"),
        "{stderr}"
    );
    assert_eq!(bytes, std::fs::read(&newer).unwrap());

    // A damaged page: the import stops with the library's problem, not the file's, and
    // `rebuild-library` keeps the damaged file and brings the sessions, note and definition back.
    let damaged = baseline(&dir.path().join("damaged"));
    let samples = repo().join("sample_sessions/rrweb");
    ok(&damaged, &["import", samples.to_str().unwrap()]);
    {
        let conn = rusqlite::Connection::open(&damaged).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    let pages = bytes.len() / page;
    // A run of pages where the recordings' bodies and points lie is smashed; the schema, notes
    // and definitions, written first or into early pages, survive.
    for p in (pages * 6 / 10)..(pages * 9 / 10) {
        for b in &mut bytes[p * page..(p + 1) * page] {
            *b = 0xA5;
        }
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let out = run(
        &damaged,
        &["import", corpus("duplicate-ids.slbundle").to_str().unwrap()],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("damaged") && stderr.contains("rebuild-library"),
        "{stderr}"
    );
    assert_eq!(
        bytes,
        std::fs::read(&damaged).unwrap(),
        "damaged file changed"
    );
    let report: Value =
        serde_json::from_str(&ok(&damaged, &["rebuild-library", "--json"])).unwrap();
    let kept = report["damaged_kept_at"].as_str().unwrap();
    assert_eq!(
        bytes,
        std::fs::read(kept).unwrap(),
        "the damaged file is kept as it was"
    );
    assert_eq!(report["sessions"], 19, "{report}");
    assert_sound(&damaged);
    let list = ok(&damaged, &["list", "--json"]);
    assert!(list.contains("convert-desktop") && list.contains("quick-back-desktop"));
    assert!(ok(&damaged, &["notes", "--json"]).contains("baseline note"));
    assert!(ok(&damaged, &["events-defs", "--json"]).contains("\"cta\""));
}

#[test]
fn broken_sentry_segments_and_unknown_wrappers_fail_clearly_or_warn() {
    let dir = tempfile::tempdir().unwrap();
    let library = baseline(dir.path());
    let cases: &[(&str, &[&str])] = &[
        (
            "sentry-bad-header.bin",
            &[r#"{"segment":0}"#, r#"is not {"segment_id": N}"#],
        ),
        (
            "sentry-truncated-zlib.bin",
            &["segment 0", "ends early (truncated)"],
        ),
        (
            "sentry-duplicate-differs",
            &["b.bin", "segment 0 differs from segment 0 in", "a.bin"],
        ),
        (
            "posthog-export-unknown-version.json",
            &["\"2031-01-01\"", "2023-04-28 and 2022-12-02"],
        ),
        (
            "unknown-wrapper.json",
            &[r#"JSON object with keys {"foo", "bar"}"#, "Accepted: "],
        ),
    ];
    for (name, needles) in cases {
        refused(&library, &corpus(name), needles, &[]);
    }
    warned(
        &library,
        &corpus("sentry-gap"),
        &[
            "Sentry: segment missing (the replay has a gap): 1 ",
            "segment 1 (before",
        ],
    );
    warned(
        &library,
        &corpus("sentry-duplicate-same"),
        &["Sentry: duplicate segment skipped (same events twice): 1 "],
    );
}

/// A library of the 19 sample recordings (two of them imported first, alone), a note and an
/// event definition, checkpointed so that every page is in the main file; with its manifest.
fn samples_library(dir: &Path) -> PathBuf {
    let library = baseline(dir);
    ok(
        &library,
        &[
            "import",
            repo().join("sample_sessions/rrweb").to_str().unwrap(),
        ],
    );
    let conn = rusqlite::Connection::open(&library).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    library
}

/// Copies the library and its manifest into `dir`, overwrites `pages` (numbered from 0) with
/// garbage there, rebuilds it and checks every session came back.
fn smash_and_rebuild(library: &Path, dir: &Path, pages: &[usize], what: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("library.sqlite");
    std::fs::copy(library, &copy).unwrap();
    let manifest = |p: &Path| PathBuf::from(format!("{}.manifest.jsonl", p.display()));
    std::fs::copy(manifest(library), manifest(&copy)).unwrap();
    let mut bytes = std::fs::read(&copy).unwrap();
    for &page in pages {
        bytes[page * 4096..(page + 1) * 4096].fill(0xA5);
    }
    std::fs::write(&copy, &bytes).unwrap();
    let report = sessionlens::store::rebuild_library(
        &copy,
        &sessionlens::format::ReadOptions::default(),
        &mut |_, _| {},
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(report.sessions, 19, "{what}: {report:?}");
    assert!(report.manifest_found, "{what}");
    assert_eq!(report.files_from_manifest, 19, "{what}: {report:?}");
    assert_eq!(std::fs::read(&report.damaged_kept_at).unwrap(), bytes);
    assert_sound(&copy);
}

#[test]
fn every_table_and_index_damaged_in_turn_is_rebuilt_whole() {
    let dir = tempfile::tempdir().unwrap();
    let library = samples_library(&dir.path().join("original"));
    let roots: Vec<(String, usize)> = {
        let conn = rusqlite::Connection::open(&library).unwrap();
        conn.prepare("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0 ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // Every table and index of schema 8, unique-constraint indexes included.
    assert!(roots.len() >= 25, "{roots:?}");
    // Page 1 (the schema itself) too: then nothing of the file opens and the manifest is all.
    for (name, root) in roots.iter().chain(&[("sqlite_schema".to_owned(), 1)]) {
        smash_and_rebuild(
            &library,
            &dir.path().join(name),
            &[root - 1],
            &format!("root page {root} of {name}"),
        );
    }
}

#[test]
fn random_bands_of_smashed_pages_are_rebuilt_whole() {
    let dir = tempfile::tempdir().unwrap();
    let library = samples_library(&dir.path().join("original"));
    let pages = usize::try_from(std::fs::metadata(&library).unwrap().len() / 4096).unwrap();
    // A small xorshift generator: the same bands on every run and in every clone.
    let mut state: u64 = 0x5EED_1234_ABCD_0019;
    let mut next = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % below as u64).unwrap()
    };
    for seed in 0..8 {
        let len = 1 + next(pages / 3);
        let start = next(pages - len + 1);
        let band: Vec<usize> = (start..start + len).collect();
        smash_and_rebuild(
            &library,
            &dir.path().join(format!("band-{seed}")),
            &band,
            &format!("pages {start}..{} of {pages}", start + len),
        );
    }
}
