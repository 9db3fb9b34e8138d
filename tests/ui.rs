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
    harness_opening(library_path, files, None, None)
}

/// Simulated visitors generated on first start (the app makes 2,000; fewer keep tests quick).
const SIMULATED: usize = 150;

fn harness_opening(
    library_path: std::path::PathBuf,
    files: Vec<std::path::PathBuf>,
    open_session: Option<&str>,
    open_at_ms: Option<i64>,
) -> Harness<'static, App> {
    let open_session = open_session.map(str::to_owned);
    Harness::builder()
        .with_size(egui::vec2(1500.0, 950.0))
        // Recorded page text is arbitrary Unicode (the demo shop writes "See all footwear →").
        // The app finds such glyphs in system fonts; the test harness has only egui's own, so it
        // must draw a box for them as the app would without system fonts, not panic.
        .allow_missing_glyphs()
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                None,
                StartOptions {
                    library_path,
                    files,
                    open_session,
                    open_at_ms,
                    simulated_sessions: SIMULATED,
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
    assert_eq!(n as usize, sample_count() + SIMULATED, "imported {n}");
    assert!(
        h.state()
            .last_import
            .as_ref()
            .is_some_and(|l| l.contains("150 simulated sessions generated")),
        "{:?}",
        h.state().last_import
    );
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
    // The replay opens; the overview tab holds the session's figures.
    h.get_by_label("Play");
    h.get_by_label("Overview").click();
    settle(&mut h);
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

/// Where the system file dialog cannot open, File > Open… shows the in-app one (the status bar
/// says why), and what it picks is imported and opened; errors show in the status bar of every
/// view, not only in the session view's banner.
#[test]
fn file_open_falls_back_to_the_in_app_dialog_and_errors_reach_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    std::fs::create_dir(&recordings).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample_sessions/rrweb/calm-help-desktop.json"
        ),
        recordings.join("calm-help-desktop.json"),
    )
    .unwrap();
    let bad = dir.path().join("broken.session.json");
    std::fs::write(&bad, b"{").unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), vec![bad]);
    settle(&mut h);
    assert_eq!(h.state().errors.len(), 1, "{:?}", h.state().errors);
    h.state_mut()
        .use_builtin_file_dialog("no system dialog in this test");

    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Open…").click();
    step_until(&mut h, "the in-app dialog", |app| {
        app.file_browser.is_some()
    });
    h.get_by_label_contains("Built-in file dialog: no system dialog in this test");
    h.state_mut()
        .file_browser
        .as_mut()
        .unwrap()
        .open_dir(recordings);
    h.run_steps(2);
    h.get_by_label("calm-help-desktop.json").click();
    h.run_steps(2);
    h.get_by_label("1 selected");
    h.get_by_label("Open").click();
    h.run_steps(2);
    assert!(h.state().file_browser.is_none());
    step_until(&mut h, "the picked recording opens", |app| {
        app.session.is_some()
    });
    assert_eq!(h.state().total, 1);

    h.get_by_label("Heatmaps").click();
    h.run_steps(3);
    h.get_by_label_contains("⚠");
}

/// Opens a real rrweb recording of the demo shop (imported at first start).
fn open_replay(dir: &std::path::Path, id: &str, at_ms: Option<i64>) -> Harness<'static, App> {
    let mut h = harness_opening(dir.join("library.sqlite"), Vec::new(), Some(id), at_ms);
    settle(&mut h);
    // On a new library the session arrives with the first-start import, and opens then.
    assert_eq!(
        h.state().session.as_ref().map(|s| s.session_id.clone()),
        Some(id.to_owned()),
        "errors: {:?}",
        h.state().errors
    );
    h
}

fn clock_ms(h: &Harness<'static, App>) -> i64 {
    h.state().replay.as_ref().unwrap().clock.current_ms()
}

fn playing(h: &Harness<'static, App>) -> bool {
    h.state().replay.as_ref().unwrap().clock.state() == sessionlens::playback::PlayState::Playing
}

#[test]
fn replay_plays_seeks_skips_and_keeps_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open_replay(dir.path(), "rage-click-promo-desktop", None);
    let start = h.state().session.as_ref().unwrap().started_at_ms;
    assert_eq!(clock_ms(&h), start);
    // The stage shows the first page's URL and its Chromium screenshot.
    h.get_by_label("http://shop.test/");
    assert!(matches!(
        h.state().session.as_ref().unwrap().backdrops[0],
        sessionlens::ui::Backdrop::Screenshot(_)
    ));

    // Play: time advances; pause: it stops.
    h.get_by_label("Play").click();
    h.run_steps(30);
    assert!(playing(&h));
    let played = clock_ms(&h);
    assert!(played > start, "clock did not advance");
    h.get_by_label("Pause").click();
    h.run_steps(2);
    assert!(!playing(&h));
    let paused_at = clock_ms(&h);
    h.run_steps(10);
    assert_eq!(clock_ms(&h), paused_at);

    // Keyboard: space plays, again pauses; Right seeks 5 s.
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert!(playing(&h));
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert!(!playing(&h));
    let before = clock_ms(&h);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(clock_ms(&h), before + 5_000);

    // Seek through the event list: a click row jumps the clock to that click.
    let (row_label, click_ms) = {
        let session = h.state().session.as_ref().unwrap();
        let (i, e) = session
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e.kind, sessionlens::model::EventKind::Click { .. }))
            .nth(2)
            .unwrap();
        let _ = i;
        (
            sessionlens::ui::format_elapsed(e.timestamp_ms - session.started_at_ms),
            e.timestamp_ms,
        )
    };
    h.get_all_by_label_contains(&row_label)
        .next()
        .unwrap()
        .click();
    h.run_steps(2);
    assert_eq!(clock_ms(&h), click_ms);
    // The click shows as a ripple in the frame at that moment.
    {
        let session = h.state().session.as_ref().unwrap();
        let frame = session.frames.frame_at(click_ms, 500);
        assert!(!frame.clicks.is_empty());
    }

    // Skip inactivity can be turned off and on.
    assert!(h.state().replay.as_ref().unwrap().clock.skip_inactivity());
    h.get_by_label("Skip inactivity").click();
    h.run_steps(2);
    assert!(!h.state().replay.as_ref().unwrap().clock.skip_inactivity());

    // Whole-page mode and back (F).
    h.get_by_label("Whole page").click();
    h.run_steps(2);
    assert_eq!(
        h.state().prefs.replay.mode,
        sessionlens::ui::StageMode::WholePage
    );
    h.key_press(egui::Key::F);
    h.run_steps(2);
    assert_eq!(
        h.state().prefs.replay.mode,
        sessionlens::ui::StageMode::Visitor
    );

    // A note at the current moment is saved in the library and listed.
    h.get_by_label("Notes").click();
    h.run_steps(2);
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .focus();
    h.run_steps(2);
    h.get_by_role(egui::accesskit::Role::MultilineTextInput)
        .type_text("confused by the promo bar");
    h.run_steps(2);
    h.get_by_label_contains("Add note at").click();
    settle(&mut h);
    for _ in 0..100 {
        if !h.state().session.as_ref().unwrap().notes.is_empty() {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let notes = h.state().session.as_ref().unwrap().notes.clone();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "confused by the promo bar");
    assert_eq!(notes[0].timestamp_ms, click_ms);
    h.get_by_label("confused by the promo bar");
    drop(h);

    // The note survives a restart, and `open --at` starts the replay at a moment.
    let h = open_replay(dir.path(), "rage-click-promo-desktop", Some(4_000));
    let session = h.state().session.as_ref().unwrap();
    assert_eq!(session.notes.len(), 1);
    assert_eq!(clock_ms(&h), session.started_at_ms + 4_000);
}

#[cfg(feature = "snapshots")]
#[test]
fn replay_view_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open_replay(dir.path(), "rage-click-promo-desktop", None);
    // Seek into the rage-click burst on the promo bar.
    let t = {
        let session = h.state().session.as_ref().unwrap();
        session
            .events
            .iter()
            .filter(|e| matches!(e.kind, sessionlens::model::EventKind::Click { .. }))
            .nth(2)
            .unwrap()
            .timestamp_ms
            + 300
    };
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::Playback(
            sessionlens::playback::PlaybackCommand::Seek(t),
        ));
    h.run_steps(4);
    h.snapshot("replay_view");
}

#[test]
fn heatmap_view_aggregates_renders_and_changes_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.get_by_label("Heatmaps").click();
    // Wait for the pages, the aggregation and the render (background threads).
    let mut rendered = false;
    for _ in 0..2000 {
        h.step();
        if h.state().heatmap.image.is_some() && !h.state().heatmap.aggregating {
            rendered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(rendered, "no map: {:?}", h.state().heatmap.error);
    let view = &h.state().heatmap;
    let (result, shot) = view.result.clone().unwrap();
    assert!(!view.choice.page.is_empty());
    assert!(result.points > 0 && result.sessions > 0);
    // The image shown is the render of the screenshot at 1:1 (plus the legend strip).
    let image = view.image.clone().unwrap();
    assert_eq!(image.width, shot.width);
    assert!(image.height > shot.height);
    h.get_by_label("Hottest spots");

    // Change the kind to scroll reach: a new aggregation with reach bands.
    h.get_by_value("Clicks").click();
    h.run_steps(2);
    h.get_by_label("Scroll reach").click();
    for _ in 0..2000 {
        h.step();
        let view = &h.state().heatmap;
        if view.choice.kind == sessionlens::analysis::heatmap::HeatmapKind::Scroll
            && !view.aggregating
            && view.result.as_ref().is_some_and(|(r, _)| {
                r.query.kind == sessionlens::analysis::heatmap::HeatmapKind::Scroll
            })
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (result, _) = h.state().heatmap.result.clone().unwrap();
    assert_eq!(
        result.query.kind,
        sessionlens::analysis::heatmap::HeatmapKind::Scroll
    );
    assert!(!result.scroll_reach.is_empty());
    assert!((result.scroll_reach[0].share - 1.0).abs() < 1e-6);
}

/// Steps until the heatmap view shows a render of the newest aggregation.
fn wait_for_map(h: &mut Harness<'static, App>) {
    for _ in 0..3000 {
        h.step();
        let view = &h.state().heatmap;
        if !view.aggregating && view.image.is_some() && h.state().commands.is_empty() {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no map: {:?}", h.state().heatmap.error);
}

#[test]
fn heatmap_compare_mode_side_by_side_and_difference() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.get_by_label("Heatmaps").click();
    wait_for_map(&mut h);
    let single = h.state().heatmap.image.clone().unwrap();

    // Converted vs not: two aggregations, one image twice as wide (plus the gap).
    h.get_by_value("Off").click();
    h.run_steps(2);
    h.get_by_label("Converted vs not").click();
    wait_for_map(&mut h);
    for _ in 0..3000 {
        h.step();
        if h.state()
            .heatmap
            .image
            .as_ref()
            .is_some_and(|i| i.width > single.width)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let view = &h.state().heatmap;
    let compared = view.compared.clone().expect("set B");
    assert_eq!(
        compared.labels,
        ("converted".to_owned(), "not converted".to_owned())
    );
    let (a, _) = view.result.clone().unwrap();
    assert_eq!(a.query.filter.converted, Some(true));
    assert_eq!(compared.b.query.filter.converted, Some(false));
    let image = view.image.clone().unwrap();
    assert_eq!(
        image.width,
        2 * single.width + sessionlens::render::compare::SIDE_BY_SIDE_GAP_PX
    );
    h.get_by_label("A: converted");
    h.get_by_label("B: not converted");

    // The difference map: one page wide again, no new aggregation.
    let generation = h.state().heatmap.generation;
    h.get_by_label("Difference").click();
    for _ in 0..3000 {
        h.step();
        if h.state()
            .heatmap
            .image
            .as_ref()
            .is_some_and(|i| i.width == single.width)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        h.state().heatmap.image.as_ref().unwrap().width,
        single.width
    );
    assert_eq!(h.state().heatmap.generation, generation);
    assert_eq!(
        h.state().heatmap.compare_layout,
        sessionlens::render::compare::CompareLayout::Difference
    );
}

#[test]
fn signals_view_lists_hotspots_and_opens_the_replay_at_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::SetView(
            sessionlens::ui::MainView::Signals,
        ));
    for _ in 0..1000 {
        h.step();
        if !h.state().signals.hotspots.is_empty() && !h.state().signals.loading {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let hotspots = h.state().signals.hotspots.clone();
    assert!(!hotspots.is_empty());
    // The promo bar's rage clicks (a real recording) are among them.
    let promo = hotspots
        .iter()
        .position(|s| {
            s.kind == sessionlens::analysis::signals::SignalKind::RageClick
                && s.place.to_string().contains("promo")
        })
        .expect("rage clicks on the promo bar");
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::SelectHotspot(promo));
    for _ in 0..1000 {
        h.step();
        if h.state()
            .signals
            .selected
            .as_ref()
            .is_some_and(|(_, s)| s.is_some())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
    // Click the first session of the hotspot: the replay opens 1 s before the signal.
    h.get_all_by_label_contains("rage-click-promo-desktop")
        .next()
        .unwrap()
        .click();
    settle(&mut h);
    for _ in 0..200 {
        h.step();
        if h.state().replay.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let session = h.state().session.as_ref().unwrap();
    assert_eq!(session.session_id, "rage-click-promo-desktop");
    let signal = &session.signals[0];
    assert_eq!(clock_ms(&h), signal.start_ms - 1_000);
}

#[test]
fn thresholds_are_edited_and_recomputed_in_the_background() {
    use sessionlens::analysis::signals::{SignalKind, SignalSettings};
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::SetView(
            sessionlens::ui::MainView::Signals,
        ));
    h.run_steps(3);
    // Opening the thresholds loads the stored ones (the documented defaults).
    h.get_by_label("Thresholds").click();
    for _ in 0..500 {
        h.step();
        if h.state().signals.settings_draft.is_some() && !h.state().signals.loading {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let draft: SignalSettings =
        serde_json::from_value(h.state().signals.settings_draft.clone().unwrap()).unwrap();
    assert_eq!(draft, SignalSettings::default());
    h.get_by_label("rage min clicks");
    assert!(
        h.state()
            .signals
            .hotspots
            .iter()
            .any(|s| s.kind == SignalKind::RageClick)
    );
    // Demand 50 clicks for a rage click and recompute: no rage hotspot is left.
    let strict = SignalSettings {
        rage_min_clicks: 50,
        ..SignalSettings::default()
    };
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::RecomputeSignals(Box::new(strict)));
    for _ in 0..2000 {
        h.step();
        let s = &h.state().signals;
        if !s.recomputing && !s.loading && s.requested {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    settle(&mut h);
    for _ in 0..500 {
        h.step();
        if !h.state().signals.loading {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(h.state().errors.is_empty(), "{:?}", h.state().errors);
    assert!(
        !h.state()
            .signals
            .hotspots
            .iter()
            .any(|s| s.kind == SignalKind::RageClick)
    );
    assert!(
        h.state()
            .replay_message
            .as_deref()
            .is_some_and(|m| m.starts_with("Signals recomputed"))
    );
}

#[test]
fn conversions_view_shows_kpis_funnel_and_opens_a_dropper() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    // Switch with the view switcher in the menu bar.
    h.get_by_label("Conversions").click();
    for _ in 0..1000 {
        h.step();
        let view = &h.state().conversions;
        if view.report.is_some() && !view.loading {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
    assert_eq!(h.state().prefs.view, sessionlens::ui::MainView::Conversions);
    assert!(
        h.state().conversions.error.is_none(),
        "{:?}",
        h.state().conversions.error
    );
    let report = h.state().conversions.report.clone().unwrap();
    h.get_by_label("Conversion rate");
    assert!(
        h.get_all_by_label_contains("Correlation, not causation")
            .next()
            .is_some()
    );
    let all = &report.kpis[0].1;
    assert_eq!(all.sessions, report.sessions);
    let rate = format!("{:.1} %", all.conversion_rate.unwrap() * 100.0);
    assert!(h.get_all_by_label(&rate).next().is_some(), "{rate}");

    // The standard funnel: four steps, never more sessions than the step before.
    assert_eq!(
        report.steps,
        ["view_item", "add_to_cart", "begin_checkout", "purchase"]
    );
    let funnel = &report.funnels[0].1;
    assert_eq!(funnel.steps.len(), 4);
    assert!(funnel.steps[0].sessions > 0);
    assert!(
        funnel
            .steps
            .windows(2)
            .all(|w| w[1].sessions <= w[0].sessions),
        "{:?}",
        funnel.steps
    );

    // Click the first session that stopped after view_item: its replay opens at that moment.
    let dropper = report.droppers[0].first().cloned().unwrap();
    h.get_all_by_label_contains(&dropper.session_id)
        .next()
        .unwrap()
        .scroll_to_me();
    h.run_steps(3);
    h.get_all_by_label_contains(&dropper.session_id)
        .next()
        .unwrap()
        .click();
    settle(&mut h);
    for _ in 0..200 {
        h.step();
        if h.state().replay.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(h.state().prefs.view, sessionlens::ui::MainView::Sessions);
    assert_eq!(
        h.state().selected.as_deref(),
        Some(dropper.session_id.as_str())
    );
    assert_eq!(clock_ms(&h), dropper.at_ms);
}

/// Steps the app until `done` holds, or fails after about 30 s.
fn step_until(h: &mut Harness<'static, App>, what: &str, done: impl Fn(&App) -> bool) {
    for _ in 0..3000 {
        h.step();
        if done(h.state()) {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: never happened; errors {:?}", h.state().errors);
}

#[test]
fn a_damaged_library_is_kept_and_rebuilt_from_the_dialog() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let samples = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_sessions/rrweb"
    ));
    {
        let mut library = sessionlens::store::Library::open(&path).unwrap();
        library
            .import_paths(
                &[samples.to_owned()],
                &sessionlens::format::ReadOptions::default(),
                &std::sync::atomic::AtomicBool::new(false),
                &mut |_, _| {},
            )
            .unwrap();
        library
            .add_note("convert-desktop", 1_000, "kept through the rebuild")
            .unwrap();
    }
    // Damage the tables the session list reads (their root pages, numbered from 1) and a band
    // of the file's later pages; notes, settings and the sessions' sources stay readable for the
    // rebuild to salvage.
    let roots: Vec<u32> = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        conn.prepare(
            "SELECT rootpage FROM sqlite_schema
             WHERE name IN ('page_views', 'page_views_url', 'session_bodies')",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    assert_eq!(roots.len(), 3);
    let mut bytes = std::fs::read(&path).unwrap();
    let pages = bytes.len() / 4096;
    for page in roots
        .iter()
        .map(|&root| root as usize - 1)
        .chain((pages * 6 / 10)..(pages * 9 / 10))
    {
        bytes[page * 4096..(page + 1) * 4096].fill(0xA5);
    }
    std::fs::write(&path, &bytes).unwrap();

    let mut h = harness(path.clone(), Vec::new());
    step_until(&mut h, "the damaged-library dialog", |app| {
        app.damaged_library.is_some()
    });
    h.get_by_label("Start a new library");
    h.get_by_label("Rebuild from the original recordings")
        .click();
    step_until(&mut h, "the rebuild", |app| {
        app.damaged_library
            .as_ref()
            .is_some_and(|d| d.outcome.is_some())
    });
    let outcome = h.state().damaged_library.clone().unwrap().outcome.unwrap();
    assert!(
        outcome.contains("19 sessions from 19 original recordings"),
        "{outcome}"
    );
    h.get_by_label("Continue").click();
    h.run_steps(2);
    assert!(h.state().damaged_library.is_none());
    step_until(&mut h, "the list of the rebuilt library", |app| {
        app.rows.len() == 19
    });

    // The damaged file is kept byte for byte beside the new library.
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().contains(".damaged-")
                && !p.to_string_lossy().ends_with("-shm")
                && !p.to_string_lossy().ends_with("-wal")
                && !p.to_string_lossy().ends_with(".manifest.jsonl")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), bytes);
    // Its manifest of imported recordings went aside with it; the new library has its own.
    let manifest = |p: &std::path::Path| format!("{}.manifest.jsonl", p.display());
    assert!(std::path::Path::new(&manifest(&kept[0])).exists());
    assert_eq!(
        std::fs::read_to_string(manifest(&path))
            .unwrap()
            .lines()
            .count(),
        19
    );
    let library = sessionlens::store::Library::open(&path).unwrap();
    library.check_integrity().unwrap();
    assert_eq!(library.notes(None).unwrap().len(), 1);
}

#[test]
fn starting_a_new_library_from_the_dialog_keeps_the_file_and_fills_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let garbage = vec![0xA5u8; 64 * 1024];
    std::fs::write(&path, &garbage).unwrap();

    let mut h = harness(path.clone(), Vec::new());
    step_until(&mut h, "the damaged-library dialog", |app| {
        app.damaged_library.is_some()
    });
    h.get_by_label("Start a new library").click();
    step_until(&mut h, "the new library", |app| {
        app.damaged_library
            .as_ref()
            .is_some_and(|d| d.outcome.is_some())
    });
    let outcome = h.state().damaged_library.clone().unwrap().outcome.unwrap();
    assert!(
        outcome.contains("A new, empty library was started"),
        "{outcome}"
    );
    h.get_by_label("Continue").click();
    // The new library fills with the bundled samples, as on a first start.
    step_until(&mut h, "the samples in the new library", |app| {
        app.rows.len() == 19 + SIMULATED
    });
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), garbage);
}

#[test]
fn choosing_the_conversion_goal_recomputes_in_the_background_and_refreshes_the_views() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.get_by_label("Conversions").click();
    step_until(&mut h, "the conversions report", |app| {
        app.conversions.report.is_some() && !app.conversions.loading
    });
    let report = h.state().conversions.report.clone().unwrap();
    assert_eq!(report.goal.name, "purchase");
    assert_eq!(h.state().conversions.goal_name(), "purchase");
    let carts = report
        .definitions
        .iter()
        .find(|(d, _)| d.name == "add_to_cart")
        .map(|(_, n)| *n)
        .unwrap();
    assert_ne!(carts as usize, report.kpis[0].1.purchases);

    // Choose add_to_cart in the goal box: the worker recomputes, the report follows.
    // The goal box is labelled by its "Conversion goal" label.
    h.get_all_by_label("Conversion goal")
        .last()
        .unwrap()
        .click();
    h.run_steps(2);
    h.get_all_by_label("add_to_cart").last().unwrap().click();
    h.run_steps(1);
    step_until(&mut h, "the new goal's report", |app| {
        let view = &app.conversions;
        view.goal_progress.is_none()
            && !view.loading
            && view
                .report
                .as_ref()
                .is_some_and(|r| r.goal.name == "add_to_cart")
    });
    let view = &h.state().conversions;
    assert_eq!(view.goal_name(), "add_to_cart");
    assert!(
        view.goal_message
            .as_deref()
            .is_some_and(|m| m.starts_with("Conversion goal: add_to_cart")),
        "{:?}",
        view.goal_message
    );
    let report = view.report.clone().unwrap();
    assert_eq!(report.kpis[0].1.purchases as u64, carts);
    // The goal is no behaviour of its own in lift, and ends the default funnel.
    assert!(report.lift.iter().all(|r| r.name != "add_to_cart"));
    assert_eq!(report.steps.last().map(String::as_str), Some("add_to_cart"));
    assert!(h.get_all_by_value("add_to_cart").next().is_some());

    // The session list's converted filter counts the same goal.
    let mut filter = h.state().prefs.filter.clone();
    filter.converted = Some(true);
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::SetFilter(filter));
    h.state_mut().prefs.view = sessionlens::ui::MainView::Sessions;
    settle(&mut h);
    assert_eq!(h.state().total, carts);
    h.get_by_value("Converted · add_to_cart");
}

#[test]
fn render_this_moment_shows_the_page_then_goes_back_to_the_screenshot() {
    let dir = tempfile::tempdir().unwrap();
    // convert-desktop at 00:15: the product page just after the add to cart.
    let mut h = open_replay(dir.path(), "convert-desktop", Some(15_000));
    let page_index = {
        let session = h.state().session.as_ref().unwrap();
        session.frames.frame_at(clock_ms(&h), 0).page.unwrap()
    };
    h.get_by_label("Render this moment").click();
    h.run_steps(2);
    assert_eq!(
        h.state().replay.as_ref().unwrap().moment_pending,
        Some(15_000),
        "the render runs in the background"
    );
    assert!(
        h.state()
            .replay_message
            .as_deref()
            .is_some_and(|m| m.contains("Rendering the page at 00:15")),
        "{:?}",
        h.state().replay_message
    );
    // Two Chromium runs on a loaded machine: allow two minutes.
    for _ in 0..12_000 {
        h.step();
        if h.state().replay.as_ref().unwrap().moment_pending.is_none() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
    let replay = h.state().replay.as_ref().unwrap();
    assert!(replay.moment_pending.is_none(), "the render never finished");
    if sessionlens::render::chromium::Chromium::find().is_err()
        && std::env::var_os("SESSIONLENS_REQUIRE_CHROMIUM").is_none()
    {
        // Without Chromium the failure reaches the error list.
        assert!(replay.moment.is_none());
        assert!(
            h.state().errors.iter().any(|e| e.contains("Chromium")),
            "{:?}",
            h.state().errors
        );
        return;
    }
    let moment = replay.moment.as_ref().unwrap_or_else(|| {
        panic!("no render; errors {:?}", h.state().errors);
    });
    assert_eq!((moment.page_index, moment.offset_ms), (page_index, 15_000));
    assert_eq!(moment.image.layout_width, 1440);
    assert!(moment.changes_applied >= 3);
    // The stage says it is a render of that moment, and can go back.
    h.get_by_label_contains("render of 00:15");
    h.get_by_label("Show stored screenshot").click();
    h.run_steps(2);
    assert!(h.state().replay.as_ref().unwrap().moment.is_none());
}

#[test]
fn journeys_view_draws_the_map_and_opens_a_session_at_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.get_by_label("Journeys").click();
    step_until(&mut h, "the journey map", |app| {
        app.journeys.answer.is_some() && !app.journeys.loading
    });
    assert_eq!(h.state().prefs.view, sessionlens::ui::MainView::Journeys);
    assert!(
        h.state().journeys.error.is_none(),
        "{:?}",
        h.state().journeys.error
    );
    let answer = h.state().journeys.answer.clone().unwrap();
    let map = answer.map(sessionlens::ui::Segment::A).unwrap().clone();
    assert!(answer.map(sessionlens::ui::Segment::B).is_none());
    // The most travelled whole journeys are listed beside the map.
    assert!(!map.paths.is_empty());
    h.get_by_label_contains("Most travelled journeys");
    // Every session of the library starts a journey; the first step holds them all.
    let first: u64 = map.steps[0].iter().map(|n| n.sessions).sum();
    assert_eq!(first, map.sessions);
    assert!(map.sessions as usize >= SIMULATED);
    assert!(
        h.get_all_by_label_contains("sessions in the map")
            .next()
            .is_some()
    );
    // Pick the largest node of the second step: its sessions are listed at that step's moment.
    let node = &map.steps[1][0];
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::PickJourney(Some((
            sessionlens::ui::Segment::A,
            sessionlens::ui::JourneyPick::Node { step: 1, index: 0 },
        ))));
    h.run_steps(3);
    let moment = node.examples[0].clone();
    h.get_all_by_label_contains(&moment.session_id)
        .next()
        .unwrap()
        .click();
    step_until(&mut h, "the replay of the picked session", |app| {
        app.replay.is_some() && app.selected.as_deref() == Some(moment.session_id.as_str())
    });
    assert_eq!(h.state().prefs.view, sessionlens::ui::MainView::Sessions);
    assert_eq!(clock_ms(&h), moment.entered_at_ms);

    // Converted against the others: two maps side by side on one node layout.
    h.get_by_label("Journeys").click();
    h.run_steps(2);
    h.state_mut()
        .commands
        .push(sessionlens::ui::Command::SetJourneysChoice(Box::new(
            sessionlens::ui::JourneysChoice {
                compare: sessionlens::ui::CompareChoice::Converted,
                ..sessionlens::ui::JourneysChoice::default()
            },
        )));
    step_until(&mut h, "the compared journey maps", |app| {
        matches!(
            app.journeys.answer,
            Some(sessionlens::ui::JourneysAnswer::Two(_))
        ) && !app.journeys.loading
    });
    let Some(sessionlens::ui::JourneysAnswer::Two(c)) = h.state().journeys.answer.clone() else {
        unreachable!()
    };
    assert_eq!(c.a.sessions + c.b.sessions, map.sessions);
    for (sa, sb) in c.a.steps.iter().zip(&c.b.steps) {
        let la: Vec<&str> = sa.iter().map(|n| n.label.as_str()).collect();
        let lb: Vec<&str> = sb.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(la, lb);
    }
    // The summary line names both segments.
    for needle in ["|   not converted: ", "Most travelled journeys: converted"] {
        assert!(
            h.get_all_by_label_contains(needle).next().is_some(),
            "{needle}"
        );
    }
}

#[test]
fn element_mode_ranks_elements_draws_boxes_and_opens_a_session_at_its_click() {
    use sessionlens::ui::{Command, ElementsAnswer};
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path().join("library.sqlite"), Vec::new());
    settle(&mut h);
    h.get_by_label("Heatmaps").click();
    wait_for_map(&mut h);
    let (_, shot) = h.state().heatmap.result.clone().unwrap();
    h.get_by_label("Elements").click();
    step_until(&mut h, "the element map", |app| {
        let pane = &app.heatmap.elements;
        pane.on && !pane.loading && pane.answer.is_some()
    });
    let (answer, layout_width, image) = h.state().heatmap.elements.answer.clone().unwrap();
    assert_eq!(layout_width, h.state().heatmap.choice.layout_width);
    // The picture is the screenshot at 1:1 with the legend strip, as the CLI's PNG.
    assert_eq!(image.width, shot.width);
    assert!(image.height > shot.height);
    let ElementsAnswer::Map(map) = answer.as_ref() else {
        panic!("one map expected");
    };
    assert!(map.elements.len() >= 3);
    assert!(map.elements.windows(2).all(|w| w[0].clicks >= w[1].clicks));
    let first = map.elements[0].clone();
    h.get_by_label("Rank by");
    h.run_steps(2);

    // Pick the top element from the table: its sessions are listed; the first opens the
    // replay at its click on the element.
    h.get_by_label(&sessionlens::ui::short_selector(&first.selector, 34))
        .click();
    h.run_steps(2);
    assert_eq!(
        h.state().heatmap.elements.selected.as_deref(),
        Some(first.selector.as_str())
    );
    let moment = first.moments[0].clone();
    h.get_all_by_label_contains(&moment.session_id)
        .next()
        .unwrap()
        .click();
    settle(&mut h);
    step_until(&mut h, "the replay", |app| app.replay.is_some());
    assert_eq!(
        h.state().session.as_ref().unwrap().session_id,
        moment.session_id
    );
    assert_eq!(clock_ms(&h), moment.timestamp_ms);

    // Rank by rage: a new answer, ranked by rage clicks.
    h.state_mut()
        .commands
        .push(Command::SetView(sessionlens::ui::MainView::Heatmaps));
    h.state_mut().commands.push(Command::SetElementMeasure(
        sessionlens::analysis::elements::ElementMeasure::Rage,
    ));
    step_until(&mut h, "the rage ranking", |app| {
        let pane = &app.heatmap.elements;
        !pane.loading
            && pane.answer.as_ref().is_some_and(|(a, _, _)| {
                matches!(a.as_ref(), ElementsAnswer::Map(m) if m.measure
                    == sessionlens::analysis::elements::ElementMeasure::Rage)
            })
    });
    let (answer, _, _) = h.state().heatmap.elements.answer.clone().unwrap();
    let ElementsAnswer::Map(map) = answer.as_ref() else {
        panic!("one map expected");
    };
    assert!(map.elements.windows(2).all(|w| w[0].rage >= w[1].rage));

    // Compare mode: converted against not, per element, tested.
    h.get_by_value("Off").click();
    h.run_steps(2);
    h.get_by_label("Converted vs not").click();
    step_until(&mut h, "the element comparison", |app| {
        let pane = &app.heatmap.elements;
        !pane.loading
            && pane
                .answer
                .as_ref()
                .is_some_and(|(a, _, _)| matches!(a.as_ref(), ElementsAnswer::Compare(_)))
    });
    let (answer, _, _) = h.state().heatmap.elements.answer.clone().unwrap();
    let ElementsAnswer::Compare(cmp) = answer.as_ref() else {
        panic!("a comparison expected");
    };
    assert_eq!(
        (cmp.label_a.as_str(), cmp.label_b.as_str()),
        ("converted", "not converted")
    );
    assert!(!cmp.elements.is_empty());
    h.get_by_label_contains("elements differ");
}

/// `sessionlens heatmap --compare converted --json` on the app's library, for `page` at `width`.
fn cli_comparison(
    library: &std::path::Path,
    page: &str,
    width: u32,
    kind: &str,
) -> serde_json::Value {
    let out_png = library.with_file_name(format!("compare-{kind}.png"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .arg("--library")
        .arg(library)
        .args(["heatmap", "--page", page, "--kind", kind, "--width"])
        .arg(width.to_string())
        .args(["--compare", "converted", "--json", "--out"])
        .arg(&out_png)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The app's place tests equal the command line's `places`, number for number.
fn same_places(app: &sessionlens::analysis::significance::PlaceTests, cli: &serde_json::Value) {
    let places = cli["places"].as_array().unwrap();
    assert_eq!(app.places.len(), places.len());
    for (a, c) in app.places.iter().zip(places) {
        assert_eq!(a.views_a, c["views_a"].as_u64().unwrap());
        assert_eq!(a.views_b, c["views_b"].as_u64().unwrap());
        assert_eq!(a.test.share_a, c["share_a"].as_f64().unwrap());
        assert_eq!(a.test.share_b, c["share_b"].as_f64().unwrap());
        assert_eq!(a.test.interval95.0, c["interval95"][0].as_f64().unwrap());
        assert_eq!(a.test.p_value, c["p_value"].as_f64().unwrap());
        assert_eq!(a.significant, c["significant"].as_bool().unwrap());
    }
}

#[test]
fn heatmap_compare_mode_shows_its_tests_as_the_command_line_and_reads_out_a_cell() {
    use sessionlens::analysis::heatmap::HeatmapKind;
    use sessionlens::render::compare::CompareLayout;
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let mut h = harness(library.clone(), Vec::new());
    settle(&mut h);
    h.get_by_label("Heatmaps").click();
    wait_for_map(&mut h);
    let single_width = h.state().heatmap.image.as_ref().unwrap().width;
    h.get_by_value("Off").click();
    h.run_steps(2);
    h.get_by_label("Converted vs not").click();
    step_until(&mut h, "the comparison", |app| {
        let view = &app.heatmap;
        !view.aggregating
            && view.compared.is_some()
            && view.image.as_ref().is_some_and(|i| i.width > single_width)
    });
    let view = &h.state().heatmap;
    let compared = view.compared.clone().unwrap();
    let (a, shot) = view.result.clone().unwrap();
    let (page, width) = (view.choice.page.clone(), view.choice.layout_width);
    let tests = compared.tests.clone();
    assert_eq!(
        *tests,
        sessionlens::ui::CompareTests::new(&a, &compared.b),
        "the tests are those of the two maps shown"
    );

    // The legend of the cell tests and the hotspot table are shown under the figures.
    h.get_by_label("Tests of A against B");
    h.get_by_label(&sessionlens::ui::cells_legend(&tests.cells));
    h.get_by_label("Hotspot tests");
    let rows = sessionlens::ui::hotspot_rows(&tests);
    assert!(!rows.is_empty(), "the sample home page has hotspots");
    for cell in &rows[0][..5] {
        assert!(
            h.get_all_by_label(cell).next().is_some(),
            "{cell} not shown"
        );
    }
    h.get_by_label_contains("Scroll reach is tested per band");

    // The same numbers as `heatmap --compare --json`.
    let cli = cli_comparison(&library, &page, width, "click");
    same_places(&tests.hotspots, &cli["hotspot_tests"]);
    assert_eq!(
        tests.cells.cells.len() as u64,
        cli["cell_tests"]["tested"].as_u64().unwrap()
    );
    assert_eq!(
        tests.cells.significant() as u64,
        cli["cell_tests"]["significant"].as_u64().unwrap()
    );
    assert!(cli["scroll_band_tests"].is_null());

    // The difference map: hovering a tested cell reads out its test.
    h.get_by_label("Difference").click();
    step_until(&mut h, "the difference map", |app| {
        app.heatmap.compare_layout == CompareLayout::Difference
            && app
                .heatmap
                .image
                .as_ref()
                .is_some_and(|i| i.width == single_width)
    });
    let map = h
        .get_by_role_and_label(egui::accesskit::Role::Image, "Heatmap")
        .rect();
    let image = h.state().heatmap.image.clone().unwrap();
    let scale = map.width() / image.width as f32;
    let px_per_css = shot.width as f32 / a.query.layout_width_px as f32;
    let cell_px = tests.cells.cell_px as f32;
    // A tested cell on screen, a significant one if any is.
    let on_screen = |c: &&sessionlens::analysis::significance::CellTest| {
        let y = map.top() + (c.cell_y as f32 + 0.5) * cell_px * px_per_css * scale;
        y > map.top() + 5.0 && y < 850.0
    };
    let cell = tests
        .cells
        .cells
        .iter()
        .filter(on_screen)
        .find(|c| c.significant)
        .or_else(|| tests.cells.cells.iter().find(on_screen))
        .expect("a tested cell on screen");
    let pos_in_page = sessionlens::model::PagePos {
        x: (cell.cell_x as f32 + 0.5) * cell_px,
        y: (cell.cell_y as f32 + 0.5) * cell_px,
    };
    h.hover_at(map.min + egui::vec2(pos_in_page.x, pos_in_page.y) * px_per_css * scale);
    h.run_steps(4);
    let readout = sessionlens::ui::cell_readout(
        &tests,
        (&compared.labels.0, &compared.labels.1),
        pos_in_page,
        CompareLayout::Difference,
    );
    assert!(readout.contains(&format!(
        "({} of {})",
        cell.views_a, tests.cells.page_views_a
    )));
    h.get_by_label(&readout);

    // Scroll reach: the band table, with the command line's numbers.
    h.get_by_value("Clicks").click();
    h.run_steps(2);
    h.get_by_label("Scroll reach").click();
    step_until(&mut h, "the scroll comparison", |app| {
        let view = &app.heatmap;
        !view.aggregating
            && view
                .compared
                .as_ref()
                .is_some_and(|c| c.b.query.kind == HeatmapKind::Scroll)
    });
    let tests = h.state().heatmap.compared.clone().unwrap().tests;
    let bands = tests.bands.clone().expect("bands on the scroll map");
    assert!(!bands.places.is_empty());
    h.get_by_label("Scroll-reach band tests");
    h.get_by_label_contains(&format!(
        "{} of {} bands (100 px) differ",
        bands.significant(),
        bands.places.len()
    ));
    // Below the fold of the side panel: clicked through accessibility.
    h.get_by_label("Every band").click_accesskit();
    h.run_steps(2);
    assert!(h.state().heatmap.all_band_tests);
    let rows = sessionlens::ui::band_rows(&tests, true);
    assert_eq!(rows.len(), bands.places.len());
    assert!(h.get_all_by_label(&rows[0][0]).next().is_some());
    // Hovering the scroll map reads out the band there.
    let map = h
        .get_by_role_and_label(egui::accesskit::Role::Image, "Heatmap")
        .rect();
    let image = h.state().heatmap.image.clone().unwrap();
    let scale = map.width() / image.width as f32;
    let pos_in_page = sessionlens::model::PagePos { x: 300.0, y: 150.0 };
    h.hover_at(map.min + egui::vec2(pos_in_page.x, pos_in_page.y) * px_per_css * scale);
    h.run_steps(4);
    let readout = sessionlens::ui::hover_readout(
        &tests,
        (&compared.labels.0, &compared.labels.1),
        HeatmapKind::Scroll,
        pos_in_page,
        CompareLayout::Difference,
    )
    .unwrap();
    assert!(readout.text.starts_with("Band 100–200 px"));
    h.get_by_label(&readout.text);
    let cli = cli_comparison(&library, &page, width, "scroll");
    same_places(&bands, &cli["scroll_band_tests"]);
    same_places(&tests.hotspots, &cli["hotspot_tests"]);
}

#[test]
fn variants_split_the_map_and_each_variant_is_drawn_over_its_own_page() {
    use sessionlens::ui::{Command, HeatmapChoice};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/abtest");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("ab-") && !name.ends_with(".truth.json")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    // The page as variant A shows it (the recording tool's screenshot) is the page's screenshot.
    sessionlens::store::Library::open(&path)
        .unwrap()
        .add_screenshot(
            "http://shop.test/product/trail-runner.html?exp=A",
            1440,
            std::fs::read(fixtures.join("screenshots/product-trail-runner-A-1440.png")).unwrap(),
            "attached",
        )
        .unwrap();
    let mut h = harness(path, files);
    settle(&mut h);
    h.get_by_label("Heatmaps").click();
    settle(&mut h);
    let choice = HeatmapChoice {
        page: "http://shop.test/product/trail-runner.html*".to_owned(),
        layout_width: 1440,
        variant_from: "event:experiment".to_owned(),
        ..HeatmapChoice::default()
    };
    h.state_mut()
        .commands
        .push(Command::SetHeatmapChoice(Box::new(choice)));
    step_until(&mut h, "the variant table", |app| {
        let pane = &app.heatmap.variants;
        !pane.loading && matches!(&pane.table, Some(Ok(t)) if t.rows.len() == 2)
    });
    wait_for_map(&mut h);
    let (all, _) = h.state().heatmap.result.clone().unwrap();
    // The table: A (the control) and B, 12 page views between them.
    h.get_by_label_contains("Conversion of the sessions with a page view of each variant");
    let views: u64 = match &h.state().heatmap.variants.table {
        Some(Ok(t)) => t.rows.iter().map(|r| r.page_views).sum(),
        _ => unreachable!(),
    };
    assert_eq!(views, all.page_views);
    // Picking B in the table narrows the map to B's page views.
    h.get_by_label("B").click();
    h.run_steps(2);
    assert_eq!(h.state().heatmap.choice.variant, "B");
    wait_for_map(&mut h);
    let (b, shot_before) = h.state().heatmap.result.clone().unwrap();
    assert_eq!(b.page_views, 6);
    assert_eq!(b.query.variant.as_ref().unwrap().variant, "B");
    assert!(b.points < all.points);
    // With Chromium, each variant's page is rendered and B's map drawn over B's own page.
    if std::env::var_os("SESSIONLENS_REQUIRE_CHROMIUM").is_none()
        && sessionlens::render::chromium::Chromium::find().is_err()
    {
        return;
    }
    h.get_by_label("Render each variant's screenshot").click();
    step_until(&mut h, "the variant screenshots", |app| {
        let pane = &app.heatmap.variants;
        !pane.rendering && pane.render_message.is_some()
    });
    let message = h.state().heatmap.variants.render_message.clone().unwrap();
    assert_eq!(message, "2 variant screenshots rendered", "{message}");
    step_until(&mut h, "B over its own page", |app| {
        !app.heatmap.aggregating
            && app
                .heatmap
                .result
                .as_ref()
                .is_some_and(|(_, shot)| !std::sync::Arc::ptr_eq(shot, &shot_before))
    });
    let (_, shot_after) = h.state().heatmap.result.clone().unwrap();
    assert_ne!(shot_after.pixels, shot_before.pixels);
}
