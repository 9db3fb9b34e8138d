//! A library written by an older build opens whole with this one: the fixture in
//! `tests/fixtures/libraries/` (README there says how it was made) holds the 19 sample
//! recordings, a note and an event definition as the build of schema 8 stored them. Every
//! session must load exactly as a fresh import of the same recordings (less the form facts the
//! reader has recorded since, docs/FORMS.md, which an old body cannot hold), and a body this
//! build cannot read must be a clear error naming its session.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::path::{Path, PathBuf};

use common::{ok, repo, run};
use sessionlens::model::Session;
use sessionlens::store::Library;

/// A session as an old reader saw it: the form facts (family `form`, recorded since schema 8)
/// and page-variant events (family `variant`) left out, and targets named by their descriptors
/// (the form elements a fresh import adds to `targets` move the indices of later ones).
fn without_form_facts(session: &Session) -> (Session, Vec<String>) {
    let events: Vec<String> = session
        .events
        .iter()
        .filter(|e| !matches!(e.kind.family(), "form" | "variant"))
        .map(|e| {
            format!(
                "{} {} {}",
                e.timestamp_ms,
                e.page,
                e.kind.describe(&session.targets)
            )
        })
        .collect();
    let mut rest = session.clone();
    rest.events.clear();
    rest.targets.clear();
    (rest, events)
}

/// The number of events of a session that readers of schema 8's time did not make: form facts
/// (docs/FORMS.md) and page-variant events (docs/VARIANTS.md).
fn form_facts(session: &Session) -> i64 {
    session
        .events
        .iter()
        .filter(|e| matches!(e.kind.family(), "form" | "variant"))
        .count() as i64
}

/// A copy of the fixture library in `dir` (tests never write the committed file).
fn fixture_copy(dir: &Path) -> PathBuf {
    let copy = dir.join("library.sqlite");
    std::fs::copy(
        repo().join("tests/fixtures/libraries/schema-8.sqlite"),
        &copy,
    )
    .unwrap();
    copy
}

/// `(session id, pages, events, clicks)` and every page view row, as the `sessions` and
/// `page_views` tables hold them.
type SessionFacts = Vec<(String, i64, i64, i64)>;

fn table_facts(library: &Path) -> (SessionFacts, Vec<Vec<String>>) {
    let conn = rusqlite::Connection::open(library).unwrap();
    let sessions = conn
        .prepare(
            "SELECT session_id, num_pages, num_events, num_clicks FROM sessions
             ORDER BY session_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let pages = conn
        .prepare(
            "SELECT s.session_id, pv.page_index, pv.url, pv.full_url, pv.entered_at_ms,
                pv.left_at_ms, pv.doc_width, pv.doc_height, pv.viewport_width,
                pv.viewport_height, pv.max_scroll_y, pv.max_depth_px, pv.num_clicks
             FROM page_views pv JOIN sessions s ON s.session_rowid = pv.session_rowid
             ORDER BY s.session_id, pv.page_index",
        )
        .unwrap()
        .query_map([], |r| {
            (0..13)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<String>, _>>()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (sessions, pages)
}

#[test]
fn a_schema_8_library_opens_whole_with_this_build() {
    let dir = tempfile::tempdir().unwrap();
    let old = fixture_copy(dir.path());
    let library = Library::open(&old).unwrap();
    library.check_integrity().unwrap();

    let fresh_path = dir.path().join("fresh.sqlite");
    let mut fresh = Library::open(&fresh_path).unwrap();
    fresh
        .import_paths(
            &[repo().join("sample_sessions/rrweb")],
            &sessionlens::format::ReadOptions::default(),
            &std::sync::atomic::AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();

    let (old_sessions, old_pages) = table_facts(&old);
    let (mut fresh_sessions, fresh_pages) = table_facts(&fresh_path);
    for (id, _, events, _) in &mut fresh_sessions {
        *events -= form_facts(&fresh.load_session(id).unwrap());
    }
    assert_eq!(old_sessions.len(), 19);
    assert_eq!(old_sessions, fresh_sessions);
    assert_eq!(old_pages, fresh_pages);
    for (id, pages, events, clicks) in &old_sessions {
        let session = library
            .load_session(id)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(session.pages.len() as i64, *pages, "{id}");
        assert_eq!(session.events.len() as i64, *events, "{id}");
        assert_eq!(session.num_clicks() as i64, *clicks, "{id}");
        assert_eq!(form_facts(&session), 0, "{id}");
        assert_eq!(
            without_form_facts(&session),
            without_form_facts(&fresh.load_session(id).unwrap()),
            "{id}"
        );
    }

    let notes = library.notes(None).unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].session_id, "convert-desktop");
    assert_eq!(notes[0].text, "written by the build of schema 8");
    drop(library);

    let defs: serde_json::Value =
        serde_json::from_str(&ok(&old, &["events-defs", "--json"])).unwrap();
    assert!(defs.to_string().contains("\"hero_cta\""), "{defs}");
    let kpis = ok(&old, &["kpis", "--json"]);
    assert!(kpis.contains("19"), "{kpis}");
    // A heatmap needs a page screenshot; the fixture's sessions (and points) are the old ones.
    ok(
        &old,
        &[
            "screenshot",
            "add",
            "--url",
            "http://shop.test/",
            repo()
                .join("assets/demo-shop/screenshots/cart-1440.png")
                .to_str()
                .unwrap(),
        ],
    );
    let png = dir.path().join("home.png");
    ok(
        &old,
        &[
            "heatmap",
            "--page",
            "http://shop.test/",
            "--kind",
            "click",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn a_body_this_build_cannot_read_is_a_clear_error_naming_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let old = fixture_copy(dir.path());
    {
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.execute_batch(
            "UPDATE session_bodies SET encoding = 7 WHERE session_rowid =
                 (SELECT session_rowid FROM sessions WHERE session_id = 'convert-desktop');
             UPDATE session_bodies SET body = substr(body, 1, 40) WHERE session_rowid =
                 (SELECT session_rowid FROM sessions WHERE session_id = 'quick-back-desktop');",
        )
        .unwrap();
    }
    let library = Library::open(&old).unwrap();
    let err = library
        .load_session("convert-desktop")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"convert-desktop\"") && err.contains("unknown body encoding 7"),
        "{err}"
    );
    let err = library
        .load_session("quick-back-desktop")
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"quick-back-desktop\""), "{err}");
    // The other sessions still load, and the command line says the same, without a panic.
    let (sessions, _) = table_facts(&old);
    for (id, ..) in sessions
        .iter()
        .filter(|(id, ..)| id != "convert-desktop" && id != "quick-back-desktop")
    {
        library.load_session(id).unwrap();
    }
    drop(library);
    let out = run(&old, &["events", "convert-desktop"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("convert-desktop") && stderr.contains("unknown body encoding 7"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
