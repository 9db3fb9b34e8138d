//! GUI tests with egui_kittest: the real app, a real library on disk, no display needed.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use sessionlens::ui::{App, StartOptions};

fn harness(
    library_path: std::path::PathBuf,
    files: Vec<std::path::PathBuf>,
) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                None,
                StartOptions {
                    library_path,
                    files,
                    open_session: None,
                },
            )
        })
}

/// Steps the app until its background work is done.
fn settle(h: &mut Harness<'static, App>) {
    for _ in 0..3000 {
        h.step();
        if h.state().is_idle() && h.state().commands.is_empty() {
            h.run_steps(3);
            if h.state().is_idle() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the app did not settle: errors {:?}", h.state().errors);
}

fn sample_count() -> usize {
    walk(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_sessions"
    )))
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk(&p)
            } else {
                usize::from(p.to_string_lossy().contains(".json"))
            }
        })
        .sum()
}

#[test]
fn first_start_imports_samples_then_select_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    let n = h.state().library_sessions.unwrap();
    assert!(n as usize >= sample_count().min(100), "imported {n}");
    assert!(h.state().errors.is_empty(), "{:?}", h.state().errors);
    h.get_by_label(&format!("{} of {n} sessions shown", h.state().rows.len()));

    // Select the first session in the list: its details appear.
    let first = h.state().rows[0].session_id.clone();
    h.get_by_label(&first).click();
    settle(&mut h);
    assert_eq!(
        h.state().session.as_ref().map(|s| s.session_id.clone()),
        Some(first.clone())
    );
    h.get_by_label("Page views");
    h.get_by_label("Events by kind");

    // Filter to mobile sessions: the list shrinks to exactly the mobile ones.
    h.get_by_value("Any device").click();
    h.run_steps(2);
    h.get_by_label("mobile").click();
    settle(&mut h);
    let mobile = h.state().total;
    assert!(mobile > 0 && mobile < n, "{mobile} of {n}");
    assert!(
        h.state()
            .rows
            .iter()
            .all(|r| r.device == sessionlens::model::DeviceClass::Mobile)
    );
}

#[test]
fn bad_file_shows_an_error_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.session.json");
    std::fs::write(
        &bad,
        br#"{"format":"sessionlens-session","version":"1.0","session_id":"x","#,
    )
    .unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), vec![bad]);
    settle(&mut h);
    assert_eq!(h.state().total, 0);
    let errors = h.state().errors.join("\n");
    assert!(errors.contains("broken.session.json"), "{errors}");
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().errors.is_empty());
}
