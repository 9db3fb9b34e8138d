//! The app state, the per-frame flow, and the one place commands are applied.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::background::Background;
use super::command::{Command, MainView};
use super::replay::{Backdrop, MarkerKind, ReplayPrefs, SideTab, SignalMark, TextureCache};
use super::state::{AppState, Effect};
use super::{StartOptions, panels};
use crate::model::{DeviceClass, EventKind, Note, Session, time};
use crate::playback::FrameIndex;
use crate::store::{ImportProgress, SessionFilter, SessionSort, StoredSignal};

/// Rows fetched per page of the session list.
pub(super) const PAGE_ROWS: u64 = 200;

/// The session list filter as the UI edits it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// URL or glob of a visited page (empty: any).
    pub page: String,
    /// Device class.
    pub device: Option<DeviceClass>,
    /// Channel or utm_source (empty: any).
    pub source: String,
    /// Converted or not.
    pub converted: Option<bool>,
    /// Smallest viewport width.
    pub min_width: Option<u32>,
    /// Largest viewport width.
    pub max_width: Option<u32>,
    /// Has a signal of this kind (empty: any).
    pub has_signal: String,
    /// Sent a custom event of this name, e.g. a micro-conversion (empty: any).
    pub has_event: String,
    /// Started on or after this date, `YYYY-MM-DD` (empty: any).
    pub from_date: String,
    /// Started on or before this date, `YYYY-MM-DD` (empty: any).
    pub to_date: String,
    /// Order.
    pub sort: SortChoice,
}

/// Session list orders offered in the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortChoice {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Longest first.
    Longest,
    /// Most clicks first.
    Clicks,
}

impl SortChoice {
    /// All choices.
    pub const ALL: [Self; 4] = [Self::Newest, Self::Oldest, Self::Longest, Self::Clicks];

    /// Label in the UI.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "Newest first",
            Self::Oldest => "Oldest first",
            Self::Longest => "Longest first",
            Self::Clicks => "Most clicks first",
        }
    }

    pub(super) fn sort(self) -> SessionSort {
        match self {
            Self::Newest => SessionSort::NewestFirst,
            Self::Oldest => SessionSort::OldestFirst,
            Self::Longest => SessionSort::LongestFirst,
            Self::Clicks => SessionSort::MostClicksFirst,
        }
    }
}

impl ListFilter {
    /// The store filter.
    #[must_use]
    pub fn to_session_filter(&self) -> SessionFilter {
        self.to_filter_text().parse_lenient()
    }

    /// The filter as typed, for the one parser the command line uses too.
    #[must_use]
    pub fn to_filter_text(&self) -> crate::model::FilterText {
        crate::model::FilterText {
            page: Some(self.page.clone()),
            device: self.device,
            min_viewport_width: self.min_width,
            max_viewport_width: self.max_width,
            source: Some(self.source.clone()),
            from: Some(self.from_date.clone()),
            to: Some(self.to_date.clone()),
            zone: None,
            converted: self.converted,
            has_signal: Some(self.has_signal.clone()),
            has_event: Some(self.has_event.clone()),
        }
    }
}

/// A loaded session with everything the session view and the replay show, computed once on
/// a library read thread (never per frame on the UI thread). Derefs to the [`Session`].
#[derive(Clone, Debug)]
pub struct LoadedSession {
    /// The session.
    pub session: Session,
    /// Per page view: deepest scroll and clicks.
    pub page_stats: Vec<crate::model::PageStats>,
    /// Width of an activity bucket, ms.
    pub bucket_ms: i64,
    /// Events per bucket.
    pub activity: Vec<crate::analysis::ActivityBucket>,
    /// Events per kind.
    pub event_counts: std::collections::BTreeMap<&'static str, usize>,
    /// Custom events: (ms from start, name, value).
    pub customs: Vec<(i64, String, Option<f64>)>,
    /// Clicks.
    pub num_clicks: usize,
    /// Whether a purchase was recorded.
    pub converted: bool,
    /// Revenue of the purchase events.
    pub revenue: Option<f64>,
    /// The replay's indexes ("what is on screen at t").
    pub frames: FrameIndex,
    /// Per page view: the screenshot it is drawn over.
    pub backdrops: Vec<Backdrop>,
    /// Per page view: the page height to draw, CSS px (screenshot, document, or deepest point).
    pub page_heights: Vec<f32>,
    /// `(from, to, page)`: when each page view is on screen.
    pub page_spans: Vec<(i64, i64, usize)>,
    /// Timeline markers: `(timestamp_ms, kind, label)`.
    pub markers: Vec<(i64, MarkerKind, String)>,
    /// Frustration signals on the timeline, in time order.
    pub signals: Vec<SignalMark>,
    /// Reviewer notes, in time order.
    pub notes: Vec<Note>,
}

impl LoadedSession {
    /// Computes the view's figures and the replay's indexes.
    #[must_use]
    pub fn new(
        session: Session,
        backdrops: Vec<Backdrop>,
        notes: Vec<Note>,
        signals: &[StoredSignal],
    ) -> Self {
        let bucket_ms = if session.duration_ms > 600_000 {
            30_000
        } else {
            5_000
        };
        // Clicks that belong to a signal are drawn in its colour (as in clips).
        let annotations = crate::clip::click_annotations(signals);
        let mut signal_marks: Vec<SignalMark> = signals
            .iter()
            .map(|s| {
                let [r, g, b] = s.kind.color_rgb();
                let mut label = format!(
                    "{}  {}",
                    super::replay::format_elapsed(s.start_ms - session.started_at_ms),
                    s.kind.label()
                );
                if let Some(detail) = s.detail.as_deref().filter(|d| !d.is_empty()) {
                    label.push_str(": ");
                    label.push_str(detail);
                }
                SignalMark {
                    start_ms: s.start_ms,
                    end_ms: s.end_ms,
                    label,
                    color_rgb: [r, g, b],
                }
            })
            .collect();
        signal_marks.sort_by_key(|m| m.start_ms);
        let frames = FrameIndex::new(&session, &annotations);
        let page_stats = session.page_stats();
        let page_heights = session
            .pages
            .iter()
            .zip(&page_stats)
            .enumerate()
            .map(|(i, (page, stats))| {
                let shot = match backdrops.get(i) {
                    Some(Backdrop::Screenshot(img)) => img.image.height as f32 / img.px_per_css(),
                    _ => 0.0,
                };
                shot.max(page.doc_size.height as f32)
                    .max(stats.max_depth_px)
                    .max(page.viewport.height as f32)
                    .max(400.0)
            })
            .collect();
        let markers = session
            .events
            .iter()
            .filter_map(|e| {
                let label = || {
                    format!(
                        "{}  {}",
                        super::replay::format_elapsed(e.timestamp_ms - session.started_at_ms),
                        e.kind.describe(&session.targets)
                    )
                };
                match &e.kind {
                    EventKind::Click { kind, .. } if kind.counts_as_click() => {
                        Some((e.timestamp_ms, MarkerKind::Click, label()))
                    }
                    EventKind::Error { .. } => Some((e.timestamp_ms, MarkerKind::Error, label())),
                    EventKind::Custom { .. } => {
                        Some((e.timestamp_ms, MarkerKind::Conversion, label()))
                    }
                    _ => None,
                }
            })
            .collect();
        Self {
            page_stats,
            activity: crate::analysis::activity_histogram(&session, bucket_ms),
            event_counts: crate::analysis::event_counts(&session),
            customs: crate::analysis::custom_events(&session)
                .into_iter()
                .map(|(t, n, v)| (t, n.to_owned(), v))
                .collect(),
            num_clicks: session.num_clicks(),
            converted: session.converted(),
            revenue: session.revenue(),
            bucket_ms,
            page_spans: frames.page_spans(session.ended_at_ms()),
            frames,
            backdrops,
            page_heights,
            markers,
            signals: signal_marks,
            notes,
            session,
        }
    }
}

impl std::ops::Deref for LoadedSession {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

/// The state of the damaged-library dialog.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DamagedLibrary {
    /// What is wrong, as the store said it.
    pub problem: String,
    /// A rebuild is running.
    pub busy: bool,
    /// What the rebuild did, once done.
    pub outcome: Option<String>,
}

/// UI preferences kept between runs (session data lives in the library, never here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The session list filter.
    pub filter: ListFilter,
    /// The last session opened.
    pub last_session: Option<String>,
    /// Replay settings.
    pub replay: ReplayPrefs,
    /// The replay side panel's tab.
    pub side_tab: SideTab,
    /// The main view shown.
    pub view: MainView,
}

/// Import state shown in the status bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportStatus {
    /// Progress so far.
    pub progress: ImportProgress,
    /// Simulated sample sessions generated so far and in all, once the files are in.
    pub simulated: Option<(usize, usize)>,
}

/// The SessionLens app: the [`AppState`] (derefs to it) and what needs egui or threads.
pub struct App {
    /// The state and its transitions.
    pub state: AppState,
    pub(crate) background: Background,
    /// Screenshot textures.
    pub(crate) textures: TextureCache,
    /// The heatmap's textures.
    map_textures: super::heatmap_view::MapTextures,
    frame_stats: Option<super::frame_stats::FrameStats>,
    /// The window's clear colour when panels are drawn transparent, see
    /// [`App::clear_with_panel_fill`].
    clear_fill: Option<egui::Color32>,
}

/// What the views get: the state to read (and edit where a widget edits it in place), and the
/// screenshot textures; never the background threads. Views push [`super::Command`]s.
pub struct ViewContext<'a> {
    /// The app's state.
    pub state: &'a mut AppState,
    /// Screenshot textures, uploaded once each.
    pub textures: &'a mut TextureCache,
    /// The heatmap's textures.
    pub map_textures: &'a mut super::heatmap_view::MapTextures,
}

impl std::ops::Deref for App {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.state
    }
}

impl std::ops::DerefMut for App {
    fn deref_mut(&mut self) -> &mut AppState {
        &mut self.state
    }
}

impl App {
    /// Creates the app; restores preferences from `storage` when there are any.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        start: StartOptions,
    ) -> Self {
        let prefs: Prefs = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let background = Background::start(ctx, start.library_path.clone());
        let mut state = AppState::new(start, prefs);
        state.sample_dir = super::sample_sessions_dir();
        Self {
            state,
            background,
            textures: TextureCache::default(),
            map_textures: super::heatmap_view::MapTextures::default(),
            frame_stats: super::frame_stats::FrameStats::from_env(),
            clear_fill: None,
        }
    }

    /// Uses the in-app file dialog from now on without trying the system one (where the system
    /// dialog is known to hang or misbehave, and in tests), saying `reason` in the status bar.
    pub fn use_builtin_file_dialog(&mut self, reason: &str) {
        self.background.use_builtin_dialog(reason.to_owned());
    }

    /// True when no background work is pending (for tests).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.state.is_idle() && !self.background.import_running()
    }

    fn handle_results(&mut self, ctx: &egui::Context) {
        for result in self.background.drain() {
            let effects = self.state.on_result(result);
            self.run(effects, ctx);
        }
    }

    /// Applies the commands pushed this frame, in order.
    pub fn apply_commands(&mut self, ctx: &egui::Context) {
        for command in std::mem::take(&mut self.state.commands) {
            let effects = self.state.apply(command);
            self.run(effects, ctx);
        }
    }

    /// Carries out effects on the background threads (or the window).
    fn run(&mut self, effects: Vec<Effect>, ctx: &egui::Context) {
        for effect in effects {
            match effect {
                Effect::Query(query) => self.background.query(query),
                Effect::Import {
                    paths,
                    open_first,
                    attach_demo,
                    simulate,
                } => self
                    .background
                    .import(paths, open_first, attach_demo, simulate),
                Effect::Dialog(purpose) => self.background.dialog(purpose),
                Effect::CompleteDialog { purpose, answer } => {
                    self.background.complete_dialog(purpose, answer);
                }
                Effect::RebuildLibrary { fresh } => self.background.rebuild_library(fresh),
                Effect::ReopenLibrary => self.background.reopen(),
                Effect::Cancel(kind) => {
                    self.background.cancel(kind);
                }
                Effect::RenderHeatmap {
                    generation,
                    result,
                    screenshot,
                    settings,
                    compare,
                } => self
                    .background
                    .render(generation, result, screenshot, settings, compare),
                Effect::RenderMoment {
                    session_id,
                    offset_ms,
                    access,
                } => self.background.render_moment(session_id, offset_ms, access),
                Effect::ExportClip {
                    session_id,
                    options,
                    path,
                } => self.background.export_clip(session_id, options, path),
                Effect::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            }
        }
    }
}

impl App {
    /// Paints the panels' background by clearing the window to their colour instead of
    /// filling each panel, and makes panel fills transparent.
    ///
    /// Under software rendering (llvmpipe) every pixel a shape covers costs a textured, blended
    /// fragment, while a clear is a memset: this saves one pass over the whole window per frame.
    /// Only for the native window; test harnesses keep opaque panels.
    pub fn clear_with_panel_fill(&mut self, ctx: &egui::Context) {
        self.clear_fill = Some(ctx.global_style().visuals.panel_fill);
        ctx.all_styles_mut(|style| style.visuals.panel_fill = egui::Color32::TRANSPARENT);
    }
}

impl eframe::App for App {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        self.clear_fill
            .unwrap_or(visuals.panel_fill)
            .to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.handle_results(&ctx);
        if let Some(stats) = &mut self.frame_stats {
            let playing = self
                .state
                .replay
                .as_ref()
                .is_some_and(|r| r.clock.state() == crate::playback::PlayState::Playing);
            stats.record(playing, frame.info().cpu_usage);
        }
        if let Some(replay) = &mut self.state.replay {
            let dt = ui.input(|i| i.stable_dt);
            let response = replay.clock.update(dt);
            if let Some((from, to)) = response.skipped {
                self.state.replay_message = Some(format!(
                    "Skipped {} without activity",
                    time::format_duration(to - from)
                ));
            }
            if response.needs_repaint {
                ui.ctx().request_repaint();
            }
        }
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.state.commands.push(Command::Import {
                paths: dropped,
                open_first: true,
            });
        }
        let mut view = ViewContext {
            state: &mut self.state,
            textures: &mut self.textures,
            map_textures: &mut self.map_textures,
        };
        panels::show(&mut view, ui);
        self.apply_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state.prefs);
    }
}
