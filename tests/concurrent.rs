//! The app and the command line on one library at once: while `sessionlens import` and
//! `define-event` run in other processes, a second connection (as the app's query worker and its
//! note editor hold) keeps listing, counting, aggregating, loading sessions and writing notes.
//! No "database is locked" may surface on either side, and no write may be lost.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use common::{ok, sessionlens};
use sessionlens::store::{Library, PointKind, SessionFilter, SessionQueries as _, SessionSort};

#[test]
fn app_and_cli_share_a_library_without_lock_errors_or_lost_writes() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let inputs = dir.path().join("inputs");
    ok(
        &library,
        &[
            "demo",
            "generate",
            "--sessions",
            "300",
            "--seed",
            "11",
            "--out",
            inputs.to_str().unwrap(),
        ],
    );
    // Three batches, so several import processes follow each other while the app works.
    let mut files: Vec<_> = std::fs::read_dir(&inputs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let batches: Vec<Vec<String>> = files
        .chunks(100)
        .map(|c| c.iter().map(|p| p.display().to_string()).collect())
        .collect();
    // The app opens (creates) the library first, as on first start.
    drop(Library::open(&library).unwrap());

    let done = AtomicBool::new(false);
    let (notes_written, reads) = std::thread::scope(|scope| {
        let app = scope.spawn(|| {
            let store = Library::open(&library).unwrap();
            let (mut notes, mut reads) = (0_u64, 0_u64);
            let filter = SessionFilter::default();
            while !done.load(Ordering::Relaxed) {
                let rows = store
                    .list_sessions(&filter, SessionSort::NewestFirst, 0, 50)
                    .unwrap();
                store.count_sessions(&filter).unwrap();
                for group in store.page_groups(&filter).unwrap().iter().take(2) {
                    store
                        .page_points(&filter, &group.url, None, PointKind::Click)
                        .unwrap();
                }
                if let Some(row) = rows.first() {
                    store.load_session(&row.session_id).unwrap();
                    store
                        .add_note(&row.session_id, row.started_at_ms, &format!("note {notes}"))
                        .unwrap();
                    notes += 1;
                }
                reads += 1;
                // About as often as a reviewer's clicks and the app's repaints ask.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            (notes, reads)
        });
        // Stops the app thread even when an assertion below fails.
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let stop = Stop(&done);
        for (index, batch) in batches.iter().enumerate() {
            let mut args: Vec<&str> = vec!["import"];
            args.extend(batch.iter().map(String::as_str));
            let import = sessionlens()
                .arg("--library")
                .arg(&library)
                .args(&args)
                .output()
                .unwrap();
            let define = sessionlens()
                .arg("--library")
                .arg(&library)
                .args(["define-event", &format!("cta{index}"), "--selector", "a"])
                .output()
                .unwrap();
            for out in [&import, &define] {
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.success(),
                    "{}{stderr}",
                    String::from_utf8_lossy(&out.stdout)
                );
                assert!(!stderr.contains("locked"), "{stderr}");
            }
        }
        drop(stop);
        app.join().unwrap()
    });
    assert!(reads > 0);

    let store = Library::open(&library).unwrap();
    assert_eq!(
        store.count_sessions(&SessionFilter::default()).unwrap(),
        300
    );
    assert_eq!(store.notes(None).unwrap().len() as u64, notes_written);
    assert_eq!(
        store
            .event_definitions()
            .unwrap()
            .iter()
            .filter(|d| d.name.starts_with("cta"))
            .count(),
        3
    );
    store.check_integrity().unwrap();
    eprintln!("{reads} rounds of app queries and {notes_written} notes during 3 imports");
}
