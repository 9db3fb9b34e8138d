//! The app's state and its transitions, without egui: [`AppState::apply`] takes a
//! [`Command`] and [`AppState::on_result`] a background [`JobResult`]; each changes the state
//! and returns the [`Effect`]s to carry out (queries, writes, imports, dialogs, renders), which
//! [`super::App`] hands to the background threads. Unit-tested below without a window.
//!
//! Owns: what the app shows and asks for (list, selection, replay, views' data, errors,
//! dialogs). May use: the core (model, analysis, playback, store types), the views' data types;
//! never an egui context or the background threads.

use std::path::PathBuf;
use std::sync::Arc;

use super::StartOptions;
use super::app::{DamagedLibrary, ImportStatus, ListFilter, LoadedSession, PAGE_ROWS, Prefs};
use super::background::{Compared, JobResult, Query};
use super::command::{Command, MainView};
use super::conversions_view::ConversionsView;
use super::file_dialog::DialogPurpose;
use super::forms_view::FormsView;
use super::heatmap_view::HeatmapView;
use super::journeys_view::JourneysView;
use super::lanes::JobKind;
use super::replay::{ReplayState, SideTab, StageMode};
use super::signals_view::SignalsView;
use crate::playback::PlaybackCommand;
use crate::render::RgbaImage;
use crate::render::compare::CompareLayout;
use crate::render::heatmap::RenderSettings;
use crate::store::{SessionFilter, SessionRow};

/// Signal stepping lands this long before a signal, so its build-up is visible, ms.
const SIGNAL_LEAD_MS: i64 = 1_000;

/// Something the state asks the outside world to do.
#[derive(Debug)]
pub enum Effect {
    /// A read or a write for the library threads.
    Query(Query),
    /// Import files (with the demo screenshots and simulated visitors on a first start).
    Import {
        /// Files or folders.
        paths: Vec<PathBuf>,
        /// Open the first session imported.
        open_first: bool,
        /// The demo shop's assets, whose screenshots are attached.
        attach_demo: Option<PathBuf>,
        /// Simulated visitors to generate after the files.
        simulate: Option<crate::demo::GenerateOptions>,
    },
    /// Ask for a file or folder (system dialog, else the in-app one).
    Dialog(DialogPurpose),
    /// Carry out the in-app dialog's answer (`None`: cancelled).
    CompleteDialog {
        /// What it was for.
        purpose: DialogPurpose,
        /// The paths chosen.
        answer: Option<Vec<PathBuf>>,
    },
    /// Keep the damaged library aside and rebuild it (or start a new one).
    RebuildLibrary {
        /// Start empty.
        fresh: bool,
    },
    /// Open the library again after a rebuild.
    ReopenLibrary,
    /// Cancel the running and queued work of a kind.
    Cancel(JobKind),
    /// Draw the heatmap on the render thread.
    RenderHeatmap {
        /// Render generation.
        generation: u64,
        /// The aggregation.
        result: Arc<crate::analysis::heatmap::HeatmapResult>,
        /// The screenshot under it.
        screenshot: Arc<RgbaImage>,
        /// How to draw it.
        settings: RenderSettings,
        /// Set B and the layout in compare mode.
        compare: Option<(Compared, CompareLayout)>,
    },
    /// Write a replay clip on a `clip-export` thread.
    ExportClip {
        /// The session.
        session_id: String,
        /// The range and how to draw it.
        options: crate::clip::ClipOptions,
        /// The file.
        path: PathBuf,
    },
    /// Render a moment of a session with Chromium.
    RenderMoment {
        /// The session.
        session_id: String,
        /// Ms from its start.
        offset_ms: i64,
        /// What Chromium may load.
        access: crate::render::chromium::Access,
    },
    /// Close the window.
    Quit,
}

/// Collects effects with the same calls the background offers, so transitions read as before.
#[derive(Debug, Default)]
struct EffectSink(Vec<Effect>);

impl EffectSink {
    fn push(&mut self, effect: Effect) {
        self.0.push(effect);
    }

    fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.0)
    }

    fn query(&mut self, query: Query) {
        self.push(Effect::Query(query));
    }

    fn import(
        &mut self,
        paths: Vec<PathBuf>,
        open_first: bool,
        attach_demo: Option<PathBuf>,
        simulate: Option<crate::demo::GenerateOptions>,
    ) {
        self.push(Effect::Import {
            paths,
            open_first,
            attach_demo,
            simulate,
        });
    }

    fn dialog(&mut self, purpose: DialogPurpose) {
        self.push(Effect::Dialog(purpose));
    }

    fn complete_dialog(&mut self, purpose: DialogPurpose, answer: Option<Vec<PathBuf>>) {
        self.push(Effect::CompleteDialog { purpose, answer });
    }

    fn rebuild_library(&mut self, fresh: bool) {
        self.push(Effect::RebuildLibrary { fresh });
    }

    fn reopen(&mut self) {
        self.push(Effect::ReopenLibrary);
    }

    fn cancel(&mut self, kind: JobKind) {
        self.push(Effect::Cancel(kind));
    }

    fn render(
        &mut self,
        generation: u64,
        result: Arc<crate::analysis::heatmap::HeatmapResult>,
        screenshot: Arc<RgbaImage>,
        settings: RenderSettings,
        compare: Option<(Compared, CompareLayout)>,
    ) {
        self.push(Effect::RenderHeatmap {
            generation,
            result,
            screenshot,
            settings,
            compare,
        });
    }

    fn render_moment(
        &mut self,
        session_id: String,
        offset_ms: i64,
        access: crate::render::chromium::Access,
    ) {
        self.push(Effect::RenderMoment {
            session_id,
            offset_ms,
            access,
        });
    }
}

/// The app's state (see the module docs).
pub struct AppState {
    /// Preferences (persisted).
    pub prefs: Prefs,
    /// The library file.
    pub library_path: PathBuf,
    /// Effects asked for while applying a command or a result, handed out at its end.
    effects: EffectSink,
    /// Sessions in the library (unfiltered), once known.
    pub library_sessions: Option<u64>,
    /// Why the library may only be read (a read-only user of a server library), shown in the
    /// status bar; changes are refused with the same words.
    pub library_read_only: Option<String>,
    /// Rows of the session list loaded so far.
    pub rows: Vec<SessionRow>,
    /// Sessions matching the filter.
    pub total: u64,
    list_generation: u64,
    /// True while a list query is out.
    pub list_loading: bool,
    /// The selected session id.
    pub selected: Option<String>,
    /// The loaded selected session.
    pub session: Option<LoadedSession>,
    /// The replay of the loaded session.
    pub replay: Option<ReplayState>,
    /// The side panel tab shown.
    pub side_tab: SideTab,
    /// The "Define event from this element" window, while it is open.
    pub element_definition: Option<super::replay::ElementDefinition>,
    /// The damaged-library dialog, while it is open.
    pub damaged_library: Option<DamagedLibrary>,
    /// Typed values shown in the replay (never persisted: every start masks them again).
    pub reveal_typed_values: bool,
    /// A one-line message about the replay (a skipped span, no more signals).
    pub replay_message: Option<String>,
    /// A clip export running: frames written of all (0 of 0 until the first).
    pub clip_export: Option<(usize, usize)>,
    /// The heatmap view.
    pub heatmap: HeatmapView,
    /// The signals view.
    pub signals: SignalsView,
    /// The conversions view.
    pub conversions: ConversionsView,
    /// The journeys view.
    pub journeys: JourneysView,
    /// The forms view.
    pub forms: FormsView,
    /// A seek to apply when this session has loaded: `(session_id, epoch ms)`.
    pending_seek: Option<(String, i64)>,
    /// A running import.
    pub import: Option<ImportStatus>,
    /// The last import's summary line.
    pub last_import: Option<String>,
    /// Errors to show (newest last).
    pub errors: Vec<String>,
    /// The full error list window is open.
    pub show_error_list: bool,
    /// The in-app file dialog, while it is open (the system one could not open).
    pub file_browser: Option<super::file_dialog::FileBrowser>,
    /// Why the last file dialog was the in-app one (the status bar says so).
    pub dialog_notice: Option<String>,
    /// Commands pushed by panels this frame.
    pub commands: Vec<Command>,
    start: StartOptions,
    /// The bundled sample sessions, imported into an empty library on first start (found by
    /// [`super::sample_sessions_dir`] when the app starts; `None` in tests of the state).
    pub sample_dir: Option<PathBuf>,
    open_first_after_import: bool,
    /// A session asked for at start that was not there yet while the first import ran.
    open_after_import: Option<String>,
}

impl AppState {
    /// The state at start: `prefs` as restored; asks for the list, and opens the session or
    /// imports the files `start` names.
    #[must_use]
    pub fn new(start: StartOptions, prefs: Prefs) -> Self {
        let mut prefs = prefs;
        if start.open_session.is_some() || !start.files.is_empty() {
            // Asked to open a session: show it, whatever view was left open last time.
            prefs.view = MainView::Sessions;
        }
        let side_tab = prefs.side_tab;
        let mut app = Self {
            prefs,
            library_path: start.library_path.clone(),
            effects: EffectSink::default(),
            library_sessions: None,
            library_read_only: None,
            rows: Vec::new(),
            total: 0,
            list_generation: 0,
            list_loading: false,
            selected: None,
            session: None,
            replay: None,
            side_tab,
            reveal_typed_values: false,
            damaged_library: None,
            element_definition: None,
            replay_message: None,
            clip_export: None,
            heatmap: HeatmapView::default(),
            signals: SignalsView::default(),
            conversions: ConversionsView::default(),
            journeys: JourneysView::default(),
            forms: FormsView::default(),
            pending_seek: None,
            import: None,
            last_import: None,
            errors: Vec::new(),
            show_error_list: false,
            file_browser: None,
            dialog_notice: None,
            commands: Vec::new(),
            start,
            sample_dir: None,
            open_first_after_import: false,
            open_after_import: None,
        };
        if !app.start.files.is_empty() {
            app.commands.push(Command::Import {
                paths: app.start.files.clone(),
                open_first: true,
            });
        }
        if let Some(id) = app.start.open_session.clone() {
            app.commands.push(Command::SelectSession(id));
        } else if let Some(id) = app.prefs.last_session.clone() {
            app.commands.push(Command::SelectSession(id));
        }
        app.commands.push(Command::RefreshList);
        app
    }

    /// True when no background work is pending (for tests).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        let session_loading = self.selected.is_some() && self.session.is_none();
        self.library_sessions.is_some()
            && !self.list_loading
            && !session_loading
            && self.import.is_none()
    }

    /// Applies what background work reported; returns the effects it leads to.
    pub fn on_result(&mut self, result: JobResult) -> Vec<Effect> {
        {
            match result {
                JobResult::ReadOnly(why) => self.library_read_only = Some(why),
                JobResult::Opened { num_sessions } => {
                    self.library_sessions = Some(num_sessions);
                    if num_sessions == 0
                        && self.start.files.is_empty()
                        && !crate::store::is_server_location(&self.library_path)
                        && let Some(samples) = self.sample_dir.clone()
                    {
                        // First start: fill the empty library with the bundled samples (never
                        // a team library on a server).
                        let assets = samples
                            .parent()
                            .map(|p| p.join("assets"))
                            .filter(|p| p.join("demo-shop").is_dir());
                        self.import = Some(ImportStatus::default());
                        let simulate = (self.start.simulated_sessions > 0).then(|| {
                            // Over the 30 days before today (midnight UTC), so every
                            // start lies in the past and a restart the same day gives the
                            // same sessions.
                            let today = crate::demo::start_of_day_ms(crate::store::now_ms());
                            crate::demo::GenerateOptions {
                                sessions: self.start.simulated_sessions,
                                seed: 1,
                                end_ms: today,
                                days: 30,
                            }
                        });
                        self.effects.import(vec![samples], false, assets, simulate);
                    }
                }
                JobResult::List {
                    generation,
                    offset,
                    rows,
                    total,
                } => {
                    if generation == self.list_generation {
                        if offset == 0 {
                            self.rows = rows;
                        } else {
                            self.rows.extend(rows);
                        }
                        self.total = total;
                        self.list_loading = false;
                    }
                }
                JobResult::Session(id, loaded) => {
                    if self.selected.as_deref() == Some(id.as_str()) {
                        match loaded {
                            Ok(session) => {
                                let mut replay = ReplayState::new(&session, &self.prefs.replay);
                                if self.start.open_session.as_deref() == Some(id.as_str())
                                    && let Some(at) = self.start.open_at_ms.take()
                                {
                                    replay.clock.apply(PlaybackCommand::Seek(
                                        session.started_at_ms.saturating_add(at),
                                    ));
                                }
                                if let Some((seek_id, t)) = self.pending_seek.take() {
                                    if seek_id == id {
                                        replay.clock.apply(PlaybackCommand::Seek(t));
                                    } else {
                                        self.pending_seek = Some((seek_id, t));
                                    }
                                }
                                self.prefs.last_session = Some(id);
                                self.replay = Some(replay);
                                self.replay_message = None;
                                self.session = Some(*session);
                            }
                            Err(e) => {
                                self.selected = None;
                                if self.prefs.last_session.as_deref() == Some(id.as_str()) {
                                    self.prefs.last_session = None;
                                } else if self.import.is_some()
                                    && self.start.open_session.as_deref() == Some(id.as_str())
                                {
                                    // The first-start import may still bring it: try again then.
                                    self.open_after_import = Some(id);
                                } else {
                                    self.errors
                                        .push(format!("could not open session {id}: {e}"));
                                }
                            }
                        }
                    }
                }
                JobResult::ImportProgress(progress) => {
                    self.import = Some(ImportStatus {
                        progress,
                        simulated: None,
                    })
                }
                JobResult::SimulateProgress(done, total) => {
                    let progress = self.import.as_ref().map(|i| i.progress).unwrap_or_default();
                    self.import = Some(ImportStatus {
                        progress,
                        simulated: Some((done, total)),
                    });
                }
                JobResult::ImportDone {
                    summary,
                    simulated,
                    open_first,
                    screenshots_attached,
                } => {
                    self.import = None;
                    // New pages, screenshots and event names: ask again when next shown.
                    self.heatmap.pages_requested = false;
                    self.conversions.requested = false;
                    let count = |n: usize, one: &str, many: &str| {
                        format!("{n} {}", if n == 1 { one } else { many })
                    };
                    let mut line = format!(
                        "Imported {} from {} ({} skipped, {} failed)",
                        count(summary.sessions_imported, "session", "sessions"),
                        count(summary.files.len(), "file", "files"),
                        count(summary.sessions_duplicate, "duplicate", "duplicates"),
                        count(summary.files_failed, "file", "files"),
                    );
                    if simulated > 0 {
                        line.push_str(&format!(", {simulated} simulated sessions generated"));
                    }
                    if screenshots_attached > 0 {
                        line.push_str(&format!(
                            ", {screenshots_attached} page screenshots attached"
                        ));
                    }
                    self.last_import = Some(line);
                    for failed in summary.files.iter().filter_map(|f| f.error.as_ref()) {
                        self.errors.push(failed.clone());
                    }
                    self.library_sessions = Some(
                        self.library_sessions.unwrap_or(0)
                            + summary.sessions_imported as u64
                            + simulated as u64,
                    );
                    let first = summary
                        .files
                        .iter()
                        .find_map(|f| f.session_ids.first().or(f.duplicate_ids.first()).cloned());
                    if (open_first || self.open_first_after_import)
                        && let Some(id) = first
                    {
                        self.commands.push(Command::SelectSession(id));
                    }
                    self.open_first_after_import = false;
                    if let Some(id) = self.open_after_import.take() {
                        self.commands.push(Command::SelectSession(id));
                    }
                    self.commands.push(Command::RefreshList);
                }
                JobResult::DialogFallback { purpose, reason } => {
                    log::warn!("system file dialog unavailable: {reason}");
                    self.dialog_notice = Some(reason.clone());
                    self.file_browser = Some(super::file_dialog::FileBrowser::new(
                        purpose,
                        reason,
                        super::file_dialog::FileBrowser::default_start_dir(),
                    ));
                }
                JobResult::Picked { paths, open_first } => {
                    if !paths.is_empty() {
                        self.commands.push(Command::Import { paths, open_first });
                    }
                }
                JobResult::Notes { session_id, notes } => {
                    if let Some(session) = &mut self.session
                        && session.session_id == session_id
                    {
                        session.notes = notes;
                    }
                }
                JobResult::Exported(line) => self.replay_message = Some(line),
                JobResult::ClipTarget {
                    session_id,
                    options,
                    path,
                } => {
                    self.clip_export = Some((0, 0));
                    self.replay_message = Some(format!("Exporting a clip to {}…", path.display()));
                    self.effects.push(Effect::ExportClip {
                        session_id,
                        options,
                        path,
                    });
                }
                JobResult::ClipProgress(done, total) => {
                    self.clip_export = Some((done, total));
                    self.replay_message =
                        Some(format!("Exporting a clip: {done} of {total} frames…"));
                }
                JobResult::ClipExported(result) => {
                    self.clip_export = None;
                    match result {
                        Ok(line) => self.replay_message = Some(line),
                        Err(e) => {
                            self.replay_message = None;
                            self.errors.push(format!("Could not export the clip: {e}"));
                        }
                    }
                }
                JobResult::MomentRendered {
                    session_id,
                    offset_ms,
                    result,
                } => self.moment_rendered(&session_id, offset_ms, result),
                JobResult::HeatmapPages {
                    groups,
                    shots,
                    events,
                } => {
                    let view = &mut self.heatmap;
                    if view.choice.page.is_empty()
                        && let Some(first) =
                            groups.iter().find(|g| shots.iter().any(|s| s.url == g.url))
                    {
                        // Start on the most viewed page that has a screenshot.
                        let mut choice = view.choice.clone();
                        choice.page = first.url.clone();
                        if let Some(w) = shots
                            .iter()
                            .filter(|s| s.url == first.url)
                            .map(|s| s.layout_width)
                            .max()
                        {
                            choice.layout_width = w;
                        }
                        self.commands
                            .push(Command::SetHeatmapChoice(Box::new(choice)));
                    }
                    view.groups = groups;
                    view.shots = shots;
                    view.events = events;
                }
                JobResult::Heatmap {
                    generation,
                    result,
                    compared,
                } => {
                    let view = &mut self.heatmap;
                    if generation == view.generation {
                        view.aggregating = false;
                        view.compared = compared;
                        match result {
                            Ok((result, shot)) => {
                                view.error = None;
                                view.result = Some((result, shot));
                                self.render_heatmap();
                                self.query_sections(None, None);
                            }
                            Err(e) => {
                                view.error = Some(e);
                                view.result = None;
                                view.image = None;
                            }
                        }
                    }
                }
                JobResult::Elements { generation, result } => {
                    let pane = &mut self.heatmap.elements;
                    if generation == pane.generation {
                        pane.loading = false;
                        match result {
                            Ok(answer) => {
                                pane.error = None;
                                pane.answer = Some(answer);
                            }
                            Err(e) => {
                                pane.error = Some(e);
                                pane.answer = None;
                            }
                        }
                    }
                }
                JobResult::HeatmapImage { generation, image } => {
                    self.heatmap.set_image(generation, image);
                }
                JobResult::Hotspots { generation, result } => {
                    let view = &mut self.signals;
                    if generation == view.generation {
                        view.loading = false;
                        match result {
                            Ok(hotspots) => {
                                view.hotspots = hotspots;
                                view.error = None;
                            }
                            Err(e) => view.error = Some(e),
                        }
                    }
                }
                JobResult::SignalSettings(settings) => {
                    let value = serde_json::to_value(*settings).ok();
                    self.signals.settings_stored = value.clone();
                    self.signals.settings_draft = value;
                }
                JobResult::Recomputed(result) => {
                    self.signals.recomputing = false;
                    match result {
                        Ok(summary) => {
                            self.replay_message = Some(format!(
                                "Signals recomputed: {} signals in {} sessions",
                                summary.signals, summary.sessions
                            ));
                            self.signals.settings_stored = self.signals.settings_draft.clone();
                            let choice = self.signals.choice.clone();
                            self.commands
                                .push(Command::SetHotspotChoice(Box::new(choice)));
                            self.commands.push(Command::RefreshList);
                            if let Some(id) = self.selected.take() {
                                // Reload the open session so its replay shows the new signals.
                                self.session = None;
                                self.replay = None;
                                self.commands.push(Command::SelectSession(id));
                            }
                        }
                        Err(e) => self.errors.push(format!("recomputing signals: {e}")),
                    }
                }
                JobResult::HotspotSignals(list) => {
                    if let Some((_, signals)) = &mut self.signals.selected {
                        *signals = Some(list);
                    }
                }
                JobResult::SpotMoments(moments) => {
                    if let Some((_, list)) = &mut self.heatmap.spot {
                        *list = Some(moments);
                    }
                }
                JobResult::Journeys { generation, result } => {
                    let view = &mut self.journeys;
                    if generation == view.generation {
                        view.loading = false;
                        view.picked = None;
                        match result {
                            Ok(answer) => {
                                view.error = None;
                                view.answer = Some(*answer);
                            }
                            Err(e) => view.error = Some(e),
                        }
                    }
                }
                JobResult::FormsNamed(result) => {
                    self.forms.naming = false;
                    match result {
                        Ok(line) => {
                            self.forms.name_draft = None;
                            self.forms.message = Some(line);
                            self.query_forms();
                        }
                        Err(e) => self.forms.error = Some(e),
                    }
                }
                JobResult::Forms { generation, result } => {
                    let view = &mut self.forms;
                    if generation == view.generation {
                        view.loading = false;
                        view.picked = None;
                        match result {
                            Ok(report) => {
                                view.error = None;
                                view.form = view.form.min(report.forms.len().saturating_sub(1));
                                view.report = Some(*report);
                            }
                            Err(e) => view.error = Some(e),
                        }
                    }
                }
                JobResult::Conversions { generation, result } => {
                    let view = &mut self.conversions;
                    if generation == view.generation {
                        view.loading = false;
                        match result {
                            Ok(report) => {
                                if view.choice.steps.is_none() {
                                    view.choice.steps = Some(report.steps.clone());
                                }
                                view.error = None;
                                view.report = Some(*report);
                            }
                            Err(e) => view.error = Some(e),
                        }
                    }
                }
                JobResult::EventDefinitionChanged(result) => {
                    if let Some(form) = &mut self.element_definition
                        && form.defining
                    {
                        form.defining = false;
                        form.outcome = Some(match &result {
                            Ok(line) => line.clone(),
                            Err(e) => format!("Failed: {e}"),
                        });
                    }
                    let view = &mut self.conversions;
                    view.defining = false;
                    match result {
                        Ok(line) => {
                            view.message = Some(line);
                            view.draft = Default::default();
                        }
                        Err(e) => {
                            view.message = Some(format!("Failed: {e}"));
                            self.errors.push(e);
                        }
                    }
                    // Event names changed: the heatmap's event filter and the report too.
                    self.heatmap.pages_requested = false;
                    self.commands.push(Command::RefreshConversions);
                }
                JobResult::Goal(goal) => {
                    // A different goal (or the goal's event redefined): every view that counts
                    // conversions asks again.
                    let view = &mut self.conversions;
                    let old_name = view.goal.as_ref().map(|g| g.name.clone());
                    let changed = view.goal.as_ref().is_some_and(|g| *g != *goal);
                    if let (Some(old_name), Some(report)) = (old_name, &view.report)
                        && old_name != goal.name
                    {
                        // A funnel still on the old goal's default steps moves to the new one's.
                        let known =
                            |s: &String| report.definitions.iter().any(|(d, _)| d.name == *s);
                        let old_defaults: Vec<String> =
                            super::conversions_view::default_steps(&old_name)
                                .into_iter()
                                .filter(known)
                                .collect();
                        if view.choice.steps.as_ref() == Some(&old_defaults) {
                            view.choice.steps = None;
                        }
                    }
                    view.goal = Some(*goal);
                    if changed {
                        self.refresh_after_goal_changed();
                    }
                }
                JobResult::GoalProgress(done, total) => {
                    self.conversions.goal_progress = Some((done, total));
                }
                JobResult::GoalChanged(result) => {
                    let view = &mut self.conversions;
                    view.goal_progress = None;
                    match result {
                        Ok(line) => view.goal_message = Some(line),
                        Err(e) => {
                            view.goal_message = Some(format!("Failed: {e}"));
                            self.errors
                                .push(format!("changing the conversion goal: {e}"));
                        }
                    }
                }
                JobResult::Error(e) => self.errors.push(e),
                JobResult::VariantScreenshots(result) => {
                    let pane = &mut self.heatmap.variants;
                    pane.rendering = false;
                    pane.render_message = Some(match &result {
                        Ok((rendered, failed)) if failed.is_empty() => {
                            format!("{rendered} variant screenshots rendered")
                        }
                        Ok((rendered, failed)) => format!(
                            "{rendered} variant screenshots rendered; failed: {}",
                            failed.join("; ")
                        ),
                        Err(e) => format!("No screenshots rendered: {e}"),
                    });
                    if matches!(&result, Ok((rendered, _)) if *rendered > 0) {
                        // The new screenshots: list them, and draw the map over its variant's.
                        self.effects.query(Query::HeatmapPages);
                        let choice = self.heatmap.choice.clone();
                        self.commands
                            .push(Command::SetHeatmapChoice(Box::new(choice)));
                    }
                }
                JobResult::Variants { generation, result } => {
                    let pane = &mut self.heatmap.variants;
                    if generation == pane.generation {
                        pane.loading = false;
                        pane.table = Some(result);
                    }
                }
                JobResult::Sections(result) => match result {
                    Ok(sections) => self.heatmap.sections = sections,
                    Err(e) => self.errors.push(format!("sections: {e}")),
                },
                JobResult::ReportWritten(result) => {
                    let view = &mut self.conversions;
                    view.exporting = false;
                    view.export_message = Some(match result {
                        Ok(None) => "Report export cancelled".to_owned(),
                        Ok(Some((dir, files, warnings))) => {
                            let mut text = format!(
                                "Report written: {files} files in {} (open summary.html)",
                                dir.display()
                            );
                            if warnings > 0 {
                                text.push_str(&format!(", {warnings} warnings in the summary"));
                            }
                            text
                        }
                        Err(e) => format!("Report failed: {e}"),
                    });
                }
                JobResult::LibraryDamaged(problem) => {
                    if self.damaged_library.is_none() {
                        self.damaged_library = Some(DamagedLibrary {
                            problem,
                            ..DamagedLibrary::default()
                        });
                    }
                }
                JobResult::Rebuilt { fresh, result } => {
                    let outcome = match result {
                        Ok(report) if fresh => {
                            // The empty library fills with the samples on opening, as on a
                            // first start.
                            self.effects.reopen();
                            self.commands.push(Command::RefreshList);
                            format!(
                                "A new, empty library was started. The damaged file is kept at {}.",
                                report.damaged_kept_at
                            )
                        }
                        Ok(report) => {
                            self.effects.reopen();
                            self.commands.push(Command::RefreshList);
                            let mut text = format!(
                                "The library now holds {} sessions from {} original recordings. The damaged file is kept at {}.",
                                report.sessions, report.files_reimported, report.damaged_kept_at
                            );
                            if !report.files_missing.is_empty() {
                                text.push_str(&format!(
                                    " {} recordings no longer exist where they were imported from.",
                                    report.files_missing.len()
                                ));
                            }
                            if report.sessions_without_file > 0 {
                                text.push_str(&format!(
                                    " {} sessions had no original file (generated samples) and are not rebuilt.",
                                    report.sessions_without_file
                                ));
                            }
                            text
                        }
                        Err(e) => format!("The rebuild failed: {e}"),
                    };
                    if let Some(damaged) = &mut self.damaged_library {
                        damaged.busy = false;
                        damaged.outcome = Some(outcome);
                    }
                }
            }
        }
        self.effects.take()
    }

    /// Asks for the variant table of the heatmap's page when where variants come from, the
    /// page, its widths or the filter changed; forgets it when variants are off.
    fn query_variants(&mut self) {
        let view = &mut self.heatmap;
        let source = crate::model::VariantSource::parse(&view.choice.variant_from);
        let pane = &mut view.variants;
        let Some(source) = source.ok().filter(|_| !view.choice.page.trim().is_empty()) else {
            pane.asked = None;
            pane.table = None;
            pane.loading = false;
            return;
        };
        let query = view.choice.query();
        let key = (
            query.page.clone(),
            query.viewport_widths,
            query.filter.clone(),
            view.choice.variant_from.clone(),
        );
        if pane.asked.as_ref() == Some(&key) {
            return;
        }
        pane.asked = Some(key);
        pane.generation += 1;
        pane.loading = true;
        self.effects.query(Query::Variants {
            generation: pane.generation,
            query: Box::new(crate::store::variants::VariantQuery {
                page: query.page,
                filter: query.filter,
                viewport_widths: query.viewport_widths,
                source,
            }),
        });
    }

    /// Asks for the sections of the heatmap's page and their reach over the map's sessions,
    /// defining or deleting one first.
    fn query_sections(&mut self, define: Option<crate::store::Section>, delete: Option<String>) {
        let Some((result, _)) = &self.heatmap.result else {
            return;
        };
        self.effects.query(Query::Sections {
            page: result.query.page.clone(),
            filter: result.query.filter.clone(),
            widths: result.query.viewport_widths,
            define,
            delete,
        });
    }

    fn query_list(&mut self, offset: u64) {
        if offset == 0 {
            self.list_generation += 1;
        }
        self.list_loading = true;
        self.effects.query(Query::List {
            generation: self.list_generation,
            filter: self.prefs.filter.to_session_filter(),
            sort: self.prefs.filter.sort.sort(),
            offset,
            limit: PAGE_ROWS,
        });
    }

    /// Applies one command; returns the effects it leads to (further commands go to
    /// [`AppState::commands`], applied next).
    pub fn apply(&mut self, command: Command) -> Vec<Effect> {
        {
            match command {
                Command::OpenFilesDialog => self.effects.dialog(DialogPurpose::OpenFiles),
                Command::ImportFolderDialog => {
                    self.effects.dialog(DialogPurpose::ImportFolder);
                }
                Command::FileDialogAnswer(answer) => {
                    if let Some(browser) = self.file_browser.take() {
                        self.effects.complete_dialog(browser.purpose, answer);
                    }
                }
                Command::ShowErrorList(on) => self.show_error_list = on,
                Command::Import { paths, open_first } => {
                    if self.import.is_some() {
                        self.errors.push(
                            "an import is already running; try again when it has finished"
                                .to_owned(),
                        );
                    } else {
                        self.import = Some(ImportStatus::default());
                        self.open_first_after_import = open_first;
                        self.effects.import(paths, open_first, None, None);
                    }
                }
                Command::SetFilter(filter) => {
                    if filter != self.prefs.filter {
                        self.prefs.filter = filter;
                        self.query_list(0);
                    }
                }
                Command::LoadMore => {
                    if !self.list_loading && (self.rows.len() as u64) < self.total {
                        self.query_list(self.rows.len() as u64);
                    }
                }
                Command::RefreshList => self.query_list(0),
                Command::SelectSession(id) => {
                    if self.selected.as_deref() != Some(id.as_str()) {
                        self.session = None;
                        self.replay = None;
                        self.selected = Some(id.clone());
                        self.effects.query(Query::Load(id));
                    }
                }
                Command::DismissError => {
                    self.errors.clear();
                    self.show_error_list = false;
                }
                Command::Quit => self.effects.push(Effect::Quit),
                Command::Playback(command) => {
                    if let Some(replay) = &mut self.replay {
                        replay.clock.apply(command);
                        self.prefs.replay.speed = replay.clock.speed();
                        self.prefs.replay.skip_inactivity = replay.clock.skip_inactivity();
                    }
                }
                Command::ToggleStageMode => {
                    self.prefs.replay.mode = match self.prefs.replay.mode {
                        StageMode::Visitor => StageMode::WholePage,
                        StageMode::WholePage => StageMode::Visitor,
                    };
                }
                Command::SetTrail { show, trail_ms } => {
                    self.prefs.replay.show_trail = show;
                    self.prefs.replay.trail_ms = trail_ms.clamp(0, 10_000);
                }
                Command::ToggleHelp => {
                    if let Some(replay) = &mut self.replay {
                        replay.show_help = !replay.show_help;
                    }
                }
                Command::PreviousSignal | Command::NextSignal => {
                    let next = command == Command::NextSignal;
                    if let (Some(session), Some(replay)) = (&self.session, &mut self.replay) {
                        let now = replay.clock.current_ms();
                        // Compared by where a step lands (a moment before the signal), so a
                        // second step moves on instead of landing on the same signal again.
                        let lands = |s: &&super::replay::SignalMark| s.start_ms - SIGNAL_LEAD_MS;
                        let target = if next {
                            session.signals.iter().find(|s| lands(s) > now + 250)
                        } else {
                            session.signals.iter().rev().find(|s| lands(s) < now - 250)
                        };
                        match target {
                            Some(signal) => {
                                // Land a moment before the signal so its build-up is visible.
                                replay
                                    .clock
                                    .apply(PlaybackCommand::Seek(signal.start_ms - SIGNAL_LEAD_MS));
                                self.replay_message = Some(signal.label.clone());
                            }
                            None => {
                                self.replay_message = Some(if session.signals.is_empty() {
                                    "No frustration signals in this session".to_owned()
                                } else if next {
                                    "No more signals after this moment".to_owned()
                                } else {
                                    "No signals before this moment".to_owned()
                                });
                            }
                        }
                    }
                }
                Command::SetRevealTypedValues(on) => self.reveal_typed_values = on,
                Command::RebuildLibrary { fresh } => {
                    if let Some(damaged) = &mut self.damaged_library {
                        damaged.busy = true;
                    }
                    self.effects.rebuild_library(fresh);
                }
                Command::CloseLibraryDialog => self.damaged_library = None,
                Command::SetSideTab(tab) => {
                    self.side_tab = tab;
                    self.prefs.side_tab = tab;
                }
                Command::SetHiddenFamilies(hidden) => self.prefs.replay.hidden_families = hidden,
                Command::AddNote {
                    session_id,
                    timestamp_ms,
                    text,
                } => self.effects.query(Query::AddNote {
                    session_id,
                    timestamp_ms,
                    text,
                }),
                Command::DeleteNote {
                    session_id,
                    note_id,
                } => self.effects.query(Query::DeleteNote {
                    session_id,
                    note_id,
                }),
                Command::SetView(view) => {
                    self.prefs.view = view;
                    if matches!(
                        view,
                        MainView::Heatmaps
                            | MainView::Conversions
                            | MainView::Journeys
                            | MainView::Forms
                    ) && let Some(replay) = &mut self.replay
                    {
                        replay.clock.apply(PlaybackCommand::Pause);
                    }
                }
                Command::OpenSessionAt {
                    session_id,
                    timestamp_ms,
                } => {
                    self.prefs.view = MainView::Sessions;
                    if self.selected.as_deref() == Some(session_id.as_str())
                        && let Some(replay) = &mut self.replay
                    {
                        replay.clock.apply(PlaybackCommand::Seek(timestamp_ms));
                    } else {
                        self.pending_seek = Some((session_id.clone(), timestamp_ms));
                        self.commands.push(Command::SelectSession(session_id));
                    }
                }
                Command::RenderVariantScreenshots => {
                    let view = &mut self.heatmap;
                    let source = crate::model::VariantSource::parse(&view.choice.variant_from);
                    if let (Ok(source), Some(Ok(table))) = (source, &view.variants.table) {
                        let examples: Vec<(String, (i64, u32))> = table
                            .rows
                            .iter()
                            .filter(|r| r.variant != crate::model::variant::NO_VARIANT)
                            .map(|r| (r.variant.clone(), r.example))
                            .collect();
                        view.variants.rendering = true;
                        view.variants.render_message = Some(format!(
                            "Rendering {} variant screenshots with Chromium…",
                            examples.len()
                        ));
                        self.effects.query(Query::RenderVariantScreenshots {
                            page: view.choice.query().page,
                            source,
                            examples,
                        });
                    }
                }
                Command::LoadHeatmapPages => {
                    self.heatmap.pages_requested = true;
                    self.effects.query(Query::HeatmapPages);
                }
                Command::SetHeatmapChoice(choice) => {
                    let view = &mut self.heatmap;
                    view.choice = *choice;
                    view.spot = None;
                    self.query_elements();
                    self.query_variants();
                    let view = &mut self.heatmap;
                    if !view.choice.page.trim().is_empty() {
                        view.generation += 1;
                        view.aggregating = true;
                        self.effects.query(Query::Heatmap {
                            generation: view.generation,
                            query: Box::new(view.choice.query()),
                            compare: view.choice.compare_preset(),
                        });
                    }
                }
                Command::SetCompareLayout(layout) => {
                    self.heatmap.compare_layout = layout;
                    self.render_heatmap();
                }
                Command::ShowAllBandTests(all) => self.heatmap.all_band_tests = all,
                Command::SetHeatmapSettings(settings) => {
                    self.heatmap.settings = *settings;
                    self.render_heatmap();
                }
                Command::HeatmapSpot(pos) => {
                    if let Some((result, _)) = &self.heatmap.result {
                        self.heatmap.spot = Some((pos, None));
                        // A map drawn from its figures holds no points: the library finds
                        // the moments behind the spot.
                        if result.views.is_empty() && result.points > 0 {
                            self.effects.query(Query::MomentsNear {
                                query: Box::new(result.query.clone()),
                                pos_in_page: pos,
                            });
                        } else {
                            let moments = super::heatmap_view::moments_near(result, pos);
                            self.effects.query(Query::Moments(moments));
                        }
                    }
                }
                Command::ExportHeatmap => {
                    if let (Some(image), Some((result, _))) =
                        (&self.heatmap.image, &self.heatmap.result)
                    {
                        let name = super::heatmap_view::export_name(result);
                        self.effects.dialog(DialogPurpose::ExportHeatmap {
                            image: Arc::clone(image),
                            file_name: name,
                        });
                    }
                }
                Command::SetElementMode(on) => {
                    self.heatmap.elements.on = on;
                    if on && self.heatmap.elements.answer.is_none() {
                        self.query_elements();
                    }
                }
                Command::SetElementMeasure(measure) => {
                    self.heatmap.elements.measure = measure;
                    self.query_elements();
                }
                Command::SelectElement(selector) => self.heatmap.elements.selected = selector,
                Command::ExportElements => {
                    if let Some((answer, _, image)) = &self.heatmap.elements.answer {
                        let by = match answer.as_ref() {
                            super::elements_view::ElementsAnswer::Map(m) => m.measure.as_str(),
                            super::elements_view::ElementsAnswer::Compare(_) => "compare",
                        };
                        let page = super::heatmap_view::export_slug(&self.heatmap.choice.page);
                        self.effects.dialog(DialogPurpose::ExportHeatmap {
                            image: Arc::clone(image),
                            file_name: format!("{page}-elements-{by}.png"),
                        });
                    }
                }
                Command::ShowHeatmap(choice) => {
                    self.prefs.view = MainView::Heatmaps;
                    self.commands.push(Command::SetHeatmapChoice(choice));
                }
                Command::SetHotspotChoice(choice) => {
                    let view = &mut self.signals;
                    view.requested = true;
                    view.choice = *choice;
                    view.selected = None;
                    view.generation += 1;
                    view.loading = true;
                    self.effects.query(Query::Hotspots {
                        generation: view.generation,
                        filter: SessionFilter {
                            device: view.choice.device,
                            ..SessionFilter::default()
                        },
                        kinds: view.choice.kinds.clone(),
                        page: Some(view.choice.page.trim().to_owned()).filter(|p| !p.is_empty()),
                        sort: view.choice.sort,
                    });
                }
                Command::SelectHotspot(index) => {
                    if let Some(h) = self.signals.hotspots.get(index) {
                        self.signals.selected = Some((index, None));
                        self.effects.query(Query::HotspotSignals {
                            kind: h.kind,
                            page: h.page_url.clone(),
                            device: self.signals.choice.device,
                        });
                    }
                }
                Command::LoadSignalSettings => {
                    self.signals.settings_stored = Some(serde_json::Value::Null);
                    self.effects.query(Query::SignalSettings);
                }
                Command::RecomputeSignals(settings) => {
                    self.signals.recomputing = true;
                    self.effects.query(Query::RecomputeSignals(settings));
                }
                Command::CancelRecompute => {
                    if self.signals.recomputing {
                        self.effects.cancel(JobKind::Recompute);
                        self.signals.recomputing = false;
                        self.replay_message =
                            Some("Recompute cancelled: the signals stay as they were".to_owned());
                    }
                }
                Command::CancelHeatmap => {
                    self.effects.cancel(JobKind::Heatmap);
                    let view = &mut self.heatmap;
                    // An answer already on its way is ignored.
                    view.generation += 1;
                    view.aggregating = false;
                    view.error = Some("Aggregation cancelled".to_owned());
                }
                Command::SetConversionsChoice(choice) => {
                    self.conversions.choice = *choice;
                    self.query_conversions();
                }
                Command::RefreshConversions => self.query_conversions(),
                Command::SetJourneysChoice(choice) => {
                    self.journeys.choice = *choice;
                    self.query_journeys();
                }
                Command::RefreshJourneys => self.query_journeys(),
                Command::PickJourney(pick) => self.journeys.picked = pick,
                Command::SetFormsChoice(choice) => {
                    self.forms.choice = *choice;
                    self.query_forms();
                }
                Command::ShowForm(index) => {
                    self.forms.form = index;
                    self.forms.picked = None;
                    self.forms.name_draft = None;
                }
                Command::PickFormCell(pick) => self.forms.picked = pick,
                Command::SetFormNameDraft(draft) => self.forms.name_draft = draft,
                Command::NameForms(changes) => {
                    if !changes.is_empty() {
                        self.forms.naming = true;
                        self.forms.error = None;
                        self.forms.message = None;
                        self.effects.query(Query::NameForms(changes));
                    }
                }
                Command::SetDropperStep(step) => self.conversions.dropper_step = step,
                Command::DefineEvent(def) => {
                    self.conversions.defining = true;
                    self.conversions.message = None;
                    self.effects.query(Query::DefineEvent(def));
                }
                Command::RenderMoment { fetch } => self.render_moment(fetch),
                Command::ClearMomentRender => {
                    if let Some(replay) = &mut self.replay {
                        replay.moment = None;
                    }
                }
                Command::SetRenderFetch(on) => {
                    if let Some(replay) = &mut self.replay {
                        replay.render_fetch = on;
                    }
                }
                Command::DeleteEventDefinition(name) => {
                    let view = &mut self.conversions;
                    if let Some(steps) = &mut view.choice.steps {
                        steps.retain(|s| *s != name);
                    }
                    view.defining = true;
                    view.message = None;
                    self.effects.query(Query::DeleteEventDefinition(name));
                }
                Command::SetConversionGoal(name) => {
                    let view = &mut self.conversions;
                    view.goal_progress = Some((0, self.library_sessions.unwrap_or(0)));
                    view.goal_message = None;
                    self.effects.query(Query::SetConversionGoal(name));
                }
                Command::DefineSection(section) => {
                    self.heatmap.section_draft = Default::default();
                    self.query_sections(Some(section), None);
                }
                Command::DeleteSection(name) => self.query_sections(None, Some(name)),
                Command::SetSectionDraft(draft) => self.heatmap.section_draft = draft,
                Command::SetBandMode(on) => self.heatmap.band_mode = on,
                Command::DefineFromElement(element) => {
                    self.element_definition = Some(super::replay::ElementDefinition::new(element));
                }
                Command::SetElementDefinition(form) => self.element_definition = form,
                Command::ExportReport => {
                    let choice = &self.conversions.choice;
                    self.conversions.exporting = true;
                    self.conversions.export_message = None;
                    self.effects.dialog(DialogPurpose::ExportReport {
                        filter: choice.filter.to_session_filter(),
                        steps: choice.steps.clone().unwrap_or_default(),
                    });
                }
                Command::ExportClip => self.export_clip(),
                Command::ExportNotes => {
                    if let Some(session) = &self.session {
                        self.effects.dialog(DialogPurpose::ExportNotes {
                            session_id: session.session_id.clone(),
                            notes: session.notes.clone(),
                        });
                    }
                }
            }
        }
        self.effects.take()
    }
}

impl AppState {
    /// Asks again for everything that counts conversions (the conversion goal changed): the
    /// conversions report, the session list, the hotspot table, the heatmap shown, and the
    /// open session's details.
    fn refresh_after_goal_changed(&mut self) {
        self.commands.push(Command::RefreshConversions);
        self.commands.push(Command::RefreshList);
        if self.signals.requested {
            let choice = self.signals.choice.clone();
            self.commands
                .push(Command::SetHotspotChoice(Box::new(choice)));
        }
        if !self.heatmap.choice.page.trim().is_empty() {
            let choice = self.heatmap.choice.clone();
            self.commands
                .push(Command::SetHeatmapChoice(Box::new(choice)));
        }
        if let Some(id) = self.selected.take() {
            self.session = None;
            self.replay = None;
            self.commands.push(Command::SelectSession(id));
        }
    }

    /// Asks the query worker for the conversions report of the current choice.
    /// Starts rendering the open session's page at the replay's moment (in the background).
    fn render_moment(&mut self, fetch: bool) {
        let (Some(session), Some(replay)) = (&self.session, &mut self.replay) else {
            return;
        };
        let offset_ms = replay.clock.current_ms() - session.started_at_ms;
        replay.moment_pending = Some(offset_ms);
        self.replay_message = Some(format!(
            "Rendering the page at {} with Chromium{}…",
            super::replay::format_elapsed(offset_ms),
            if fetch {
                ", loading its files from the site"
            } else {
                ""
            }
        ));
        self.effects.render_moment(
            session.session_id.clone(),
            offset_ms,
            crate::render::chromium::Access {
                fetch,
                ..crate::render::chromium::Access::default()
            },
        );
    }

    /// Asks where to save a clip of the open replay: the timeline selection, else the moment
    /// ± [`crate::clip::DEFAULT_AROUND_MS`], at the replay's speed, trail and skipping, captioned
    /// with the text of the note nearest the range's middle (when one falls within the range).
    fn export_clip(&mut self) {
        let (Some(session), Some(replay)) = (&self.session, &self.replay) else {
            return;
        };
        if self.clip_export.is_some() {
            self.replay_message = Some("A clip is being exported already".to_owned());
            return;
        }
        let start = session.started_at_ms;
        let now = replay.clock.current_ms() - start;
        let around = crate::clip::DEFAULT_AROUND_MS;
        let (from_ms, to_ms) = match replay.clock.selection() {
            Some((a, b)) => (a - start, b - start),
            None => (
                (now - around).max(0),
                (now + around).min(session.duration_ms).max(now.max(0) + 1),
            ),
        };
        let middle = start + (from_ms + to_ms) / 2;
        let note = session
            .notes
            .iter()
            .filter(|n| n.timestamp_ms >= start + from_ms && n.timestamp_ms <= start + to_ms)
            .min_by_key(|n| (n.timestamp_ms - middle).abs())
            .map(|n| n.text.clone());
        let prefs = &self.prefs.replay;
        let options = crate::clip::ClipOptions {
            from_ms,
            to_ms,
            speed: replay.clock.speed(),
            skip_inactivity: replay.clock.skip_inactivity(),
            trail_ms: if prefs.show_trail { prefs.trail_ms } else { 0 },
            caption: Some(note.unwrap_or_default()),
            ..crate::clip::ClipOptions::default()
        };
        self.effects.dialog(DialogPurpose::ExportClip {
            session_id: session.session_id.clone(),
            options,
        });
    }

    /// A moment's render arrived: shown when it is the one the open replay waits for.
    fn moment_rendered(
        &mut self,
        session_id: &str,
        offset_ms: i64,
        result: Result<super::replay::MomentShot, String>,
    ) {
        let open = self
            .session
            .as_ref()
            .is_some_and(|s| s.session_id == session_id);
        let Some(replay) = self
            .replay
            .as_mut()
            .filter(|r| open && r.moment_pending == Some(offset_ms))
        else {
            return;
        };
        replay.moment_pending = None;
        let at = super::replay::format_elapsed(offset_ms);
        match result {
            Ok(shot) => {
                self.replay_message = Some(format!(
                    "Rendered the page at {at}: {} x {} px",
                    shot.image.image.width, shot.image.image.height
                ));
                replay.moment = Some(shot);
            }
            Err(e) => {
                self.replay_message = None;
                self.errors
                    .push(format!("Could not render the page at {at}: {e}"));
            }
        }
    }

    fn query_journeys(&mut self) {
        let view = &mut self.journeys;
        view.requested = true;
        view.generation += 1;
        let compare = match view.choice.preset() {
            Ok(compare) => compare,
            Err(e) => {
                view.loading = false;
                view.error = Some(format!("Compare: {e}"));
                return;
            }
        };
        view.loading = true;
        self.effects.query(Query::Journeys {
            generation: view.generation,
            filter: view.choice.filter(),
            query: Box::new(view.choice.query()),
            compare,
        });
    }

    fn query_forms(&mut self) {
        let view = &mut self.forms;
        view.requested = true;
        view.generation += 1;
        view.loading = true;
        self.effects.query(Query::Forms {
            generation: view.generation,
            filter: view.choice.filter(),
            page: view.choice.page(),
        });
    }

    fn query_conversions(&mut self) {
        let view = &mut self.conversions;
        view.requested = true;
        view.generation += 1;
        view.loading = true;
        let choice = &view.choice;
        let filter = ListFilter {
            device: choice.filter.device,
            source: choice.filter.source.clone(),
            from_date: choice.filter.from_date.clone(),
            to_date: choice.filter.to_date.clone(),
            ..ListFilter::default()
        };
        self.effects.query(Query::Conversions {
            generation: view.generation,
            filter: filter.to_session_filter(),
            segment_by: choice.segment_by,
            steps: choice.steps.clone(),
            window_ms: choice.window_minutes.map(|m| i64::from(m) * 60_000),
        });
    }

    /// Asks for the element mode's answer for the heatmap view's choice (only while the mode
    /// is shown; switching to it asks then).
    fn query_elements(&mut self) {
        let view = &mut self.heatmap;
        let pane = &mut view.elements;
        if !pane.on || view.choice.page.trim().is_empty() {
            pane.answer = None;
            return;
        }
        let heatmap = view.choice.query();
        pane.generation += 1;
        pane.loading = true;
        pane.selected = None;
        let query = crate::analysis::elements::ElementQuery {
            page: heatmap.page.clone(),
            filter: heatmap.filter.clone(),
            // Every width counts: elements are grouped by selector, not position.
            viewport_widths: None,
            layout_widths: heatmap.viewport_widths,
            variant: heatmap.variant.clone(),
        };
        self.effects.query(Query::Elements {
            generation: pane.generation,
            query: Box::new(query),
            layout_width: view.choice.layout_width,
            measure: pane.measure,
            compare: view.choice.compare_preset(),
        });
    }

    /// Renders the current heatmap result with the current settings on the render thread.
    fn render_heatmap(&mut self) {
        let view = &mut self.heatmap;
        if let Some((result, shot)) = &view.result {
            view.render_generation += 1;
            let mut settings = view.settings.clone();
            settings.caption = super::heatmap_view::caption(result);
            self.effects.render(
                view.render_generation,
                Arc::clone(result),
                Arc::clone(shot),
                settings,
                view.compared.clone().map(|c| (c, view.compare_layout)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::signals::SignalKind;
    use crate::model::DeviceClass;
    use crate::playback::PlayState;
    use crate::store::StoredSignal;

    fn state() -> AppState {
        let mut state = AppState::new(
            StartOptions {
                library_path: PathBuf::from("library.sqlite"),
                ..StartOptions::default()
            },
            Prefs::default(),
        );
        // What App::new's first frame applies.
        for command in std::mem::take(&mut state.commands) {
            state.apply(command);
        }
        state.on_result(JobResult::Opened { num_sessions: 3 });
        state
    }

    fn list_query(effects: &[Effect]) -> Option<(u64, SessionFilter, u64)> {
        effects.iter().find_map(|e| match e {
            Effect::Query(Query::List {
                generation,
                filter,
                offset,
                ..
            }) => Some((*generation, filter.clone(), *offset)),
            _ => None,
        })
    }

    fn row(id: &str) -> SessionRow {
        SessionRow {
            session_id: id.to_owned(),
            started_at_ms: 0,
            duration_ms: 0,
            device: DeviceClass::Desktop,
            viewport_width: 1440,
            viewport_height: 900,
            source: crate::model::Channel::Direct,
            utm_source: None,
            pages: Vec::new(),
            num_clicks: 0,
            num_events: 0,
            converted: false,
            revenue: None,
            signals: std::collections::BTreeMap::new(),
        }
    }

    /// A recorded sample session, loaded as the query thread loads one, with two signals.
    fn loaded() -> Box<LoadedSession> {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample_sessions/rrweb/calm-help-desktop.json"
        ));
        let session = crate::format::load_path(&path, &crate::format::ReadOptions::default())
            .expect("sample")
            .sessions
            .remove(0);
        let t0 = session.started_at_ms;
        let signal = |offset_ms: i64| StoredSignal {
            session_id: session.session_id.clone(),
            kind: SignalKind::RageClick,
            page_url: session.pages[0].url.clone(),
            page_index: 0,
            start_ms: t0 + offset_ms,
            end_ms: t0 + offset_ms + 500,
            x: None,
            y: None,
            num_clicks: 3,
            target: None,
            severity: 1.0,
            detail: None,
        };
        let signals = [signal(5_000), signal(12_000)];
        let backdrops = vec![super::super::replay::Backdrop::Missing; session.pages.len()];
        Box::new(LoadedSession::new(session, backdrops, Vec::new(), &signals))
    }

    fn open(state: &mut AppState) -> (String, i64) {
        let session = loaded();
        let (id, t0) = (session.session_id.clone(), session.started_at_ms);
        state.apply(Command::SelectSession(id.clone()));
        state.on_result(JobResult::Session(id.clone(), Ok(session)));
        assert!(state.replay.is_some());
        (id, t0)
    }

    fn clock_ms(state: &AppState) -> i64 {
        state.replay.as_ref().expect("replay").clock.current_ms()
    }

    #[test]
    fn a_filter_change_asks_a_new_list_and_older_answers_are_ignored() {
        let mut s = state();
        assert!(s.list_loading);
        let filter = ListFilter {
            device: Some(DeviceClass::Mobile),
            ..ListFilter::default()
        };
        let effects = s.apply(Command::SetFilter(filter.clone()));
        let (generation, session_filter, offset) = list_query(&effects).expect("list query");
        assert_eq!(session_filter.device, Some(DeviceClass::Mobile));
        assert_eq!(offset, 0);
        assert!(
            s.apply(Command::SetFilter(filter)).is_empty(),
            "the same filter asks nothing"
        );
        s.on_result(JobResult::List {
            generation: generation - 1,
            offset: 0,
            rows: vec![row("stale")],
            total: 9,
        });
        assert!(
            s.rows.is_empty() && s.list_loading,
            "an older answer is dropped"
        );
        s.on_result(JobResult::List {
            generation,
            offset: 0,
            rows: vec![row("m1"), row("m2")],
            total: 3,
        });
        assert_eq!((s.rows.len(), s.total, s.list_loading), (2, 3, false));
        let more = s.apply(Command::LoadMore);
        assert_eq!(list_query(&more).map(|q| q.2), Some(2), "the next page");
        s.on_result(JobResult::List {
            generation,
            offset: 2,
            rows: vec![row("m3")],
            total: 3,
        });
        assert_eq!(s.rows.len(), 3);
        assert!(s.apply(Command::LoadMore).is_empty(), "all rows are in");
    }

    #[test]
    fn selecting_loads_once_and_only_the_selected_answer_counts() {
        let mut s = state();
        let effects = s.apply(Command::SelectSession("a".to_owned()));
        assert!(matches!(&effects[..], [Effect::Query(Query::Load(id))] if id == "a"));
        assert!(s.apply(Command::SelectSession("a".to_owned())).is_empty());
        s.on_result(JobResult::Session("b".to_owned(), Ok(loaded())));
        assert!(
            s.session.is_none(),
            "an answer for another session is ignored"
        );
        s.on_result(JobResult::Session("a".to_owned(), Err("gone".to_owned())));
        assert_eq!(s.selected, None);
        assert_eq!(s.errors, ["could not open session a: gone"]);
        let (id, _) = open(&mut s);
        assert_eq!(s.prefs.last_session, Some(id));
        assert!(!s.is_idle(), "the first list is still out");
        s.on_result(JobResult::List {
            generation: 1,
            offset: 0,
            rows: vec![row("a")],
            total: 1,
        });
        assert!(s.is_idle());
    }

    #[test]
    fn playback_commands_drive_the_clock_and_are_kept_in_the_preferences() {
        let mut s = state();
        let (_, t0) = open(&mut s);
        s.apply(Command::Playback(PlaybackCommand::SetSpeed(4.0)));
        s.apply(Command::Playback(PlaybackCommand::Seek(t0 + 3_000)));
        s.apply(Command::Playback(PlaybackCommand::Play));
        let replay = s.replay.as_ref().expect("replay");
        assert_eq!(replay.clock.state(), PlayState::Playing);
        assert_eq!(replay.clock.current_ms(), t0 + 3_000);
        assert!((s.prefs.replay.speed - 4.0).abs() < f32::EPSILON);
        s.apply(Command::ToggleStageMode);
        assert_eq!(s.prefs.replay.mode, StageMode::WholePage);
        s.apply(Command::SetTrail {
            show: true,
            trail_ms: 60_000,
        });
        assert_eq!(s.prefs.replay.trail_ms, 10_000, "clamped");
    }

    #[test]
    fn signal_stepping_lands_before_each_signal_and_says_when_there_are_no_more() {
        let mut s = state();
        let (_, t0) = open(&mut s);
        s.apply(Command::NextSignal);
        assert_eq!(clock_ms(&s), t0 + 4_000, "a second before the first signal");
        assert!(
            s.replay_message
                .as_deref()
                .is_some_and(|m| m.contains("Rage"))
        );
        s.apply(Command::NextSignal);
        assert_eq!(clock_ms(&s), t0 + 11_000);
        s.apply(Command::NextSignal);
        assert_eq!(clock_ms(&s), t0 + 11_000, "no signal after the last");
        assert_eq!(
            s.replay_message.as_deref(),
            Some("No more signals after this moment")
        );
        s.apply(Command::PreviousSignal);
        assert_eq!(clock_ms(&s), t0 + 4_000);
        s.apply(Command::PreviousSignal);
        assert_eq!(
            s.replay_message.as_deref(),
            Some("No signals before this moment")
        );
    }

    #[test]
    fn switching_to_an_analysis_view_pauses_the_replay_and_open_at_comes_back() {
        let mut s = state();
        let (id, t0) = open(&mut s);
        s.apply(Command::Playback(PlaybackCommand::Play));
        s.apply(Command::SetView(MainView::Heatmaps));
        assert_eq!(s.prefs.view, MainView::Heatmaps);
        assert_eq!(
            s.replay.as_ref().map(|r| r.clock.state()),
            Some(PlayState::Paused)
        );
        let effects = s.apply(Command::OpenSessionAt {
            session_id: id,
            timestamp_ms: t0 + 7_000,
        });
        assert!(effects.is_empty(), "the open session is not loaded again");
        assert_eq!(s.prefs.view, MainView::Sessions);
        assert_eq!(clock_ms(&s), t0 + 7_000);

        // Another session: loaded first, then sought.
        let effects = s.apply(Command::OpenSessionAt {
            session_id: "other".to_owned(),
            timestamp_ms: 42,
        });
        assert!(effects.is_empty());
        assert_eq!(s.commands, [Command::SelectSession("other".to_owned())]);
    }

    #[test]
    fn a_damaged_library_opens_the_dialog_rebuilds_and_reopens() {
        let mut s = state();
        s.on_result(JobResult::LibraryDamaged("malformed".to_owned()));
        assert_eq!(
            s.damaged_library.as_ref().map(|d| d.problem.as_str()),
            Some("malformed")
        );
        let effects = s.apply(Command::RebuildLibrary { fresh: false });
        assert!(matches!(
            &effects[..],
            [Effect::RebuildLibrary { fresh: false }]
        ));
        assert!(s.damaged_library.as_ref().is_some_and(|d| d.busy));
        let effects = s.on_result(JobResult::Rebuilt {
            fresh: false,
            result: Ok(crate::store::RebuildReport {
                sessions: 19,
                files_reimported: 19,
                damaged_kept_at: "kept".to_owned(),
                ..crate::store::RebuildReport::default()
            }),
        });
        assert!(matches!(&effects[..], [Effect::ReopenLibrary]));
        assert!(s.commands.contains(&Command::RefreshList));
        let damaged = s.damaged_library.clone().expect("dialog");
        assert!(!damaged.busy);
        assert!(
            damaged
                .outcome
                .is_some_and(|o| o.contains("19 sessions from 19 original recordings"))
        );
        s.apply(Command::CloseLibraryDialog);
        assert!(s.damaged_library.is_none());

        s.on_result(JobResult::LibraryDamaged("again".to_owned()));
        s.apply(Command::RebuildLibrary { fresh: true });
        let effects = s.on_result(JobResult::Rebuilt {
            fresh: true,
            result: Err("disk full".to_owned()),
        });
        assert!(effects.is_empty(), "a failed rebuild reopens nothing");
        assert_eq!(
            s.damaged_library.and_then(|d| d.outcome).as_deref(),
            Some("The rebuild failed: disk full")
        );
    }

    #[test]
    fn imports_one_at_a_time_and_errors_and_dialogs_reach_the_user() {
        let mut s = state();
        let effects = s.apply(Command::Import {
            paths: vec![PathBuf::from("a.json")],
            open_first: true,
        });
        assert!(matches!(
            &effects[..],
            [Effect::Import {
                open_first: true,
                ..
            }]
        ));
        assert!(
            s.apply(Command::Import {
                paths: vec![PathBuf::from("b.json")],
                open_first: false,
            })
            .is_empty()
        );
        assert_eq!(s.errors.len(), 1, "a second import is refused, and said so");
        s.on_result(JobResult::Error(
            "reading the conversion goal: locked".to_owned(),
        ));
        assert_eq!(s.errors.len(), 2);
        s.apply(Command::DismissError);
        assert!(s.errors.is_empty());

        s.on_result(JobResult::DialogFallback {
            purpose: DialogPurpose::OpenFiles,
            reason: "no portal".to_owned(),
        });
        assert!(s.file_browser.is_some());
        assert_eq!(s.dialog_notice.as_deref(), Some("no portal"));
        let effects = s.apply(Command::FileDialogAnswer(Some(vec![PathBuf::from(
            "c.json",
        )])));
        assert!(matches!(
            &effects[..],
            [Effect::CompleteDialog { purpose: DialogPurpose::OpenFiles, answer: Some(a) }] if a.len() == 1
        ));
        assert!(s.file_browser.is_none());
    }

    #[test]
    fn variants_are_asked_for_once_per_source_and_a_chosen_variant_narrows_the_map() {
        use super::super::heatmap_view::{CompareMode, HeatmapChoice};
        use crate::analysis::variants::{VariantView, variant_table};
        use crate::model::{VariantFilter, VariantSource};
        let mut s = state();
        let mut choice = HeatmapChoice {
            page: "http://shop.test/product/mug.html".to_owned(),
            ..Default::default()
        };
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice.clone())));
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Query(Query::Variants { .. }))),
            "no variants asked while they are off"
        );
        choice.variant_from = "param:exp".to_owned();
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice.clone())));
        let Some((generation, query)) = effects.iter().find_map(|e| match e {
            Effect::Query(Query::Variants { generation, query }) => Some((*generation, query)),
            _ => None,
        }) else {
            panic!("no variants asked: {effects:?}");
        };
        assert_eq!(query.source, VariantSource::Param("exp".to_owned()));
        assert_eq!(query.page, choice.page);
        // A stale answer is dropped, the current one kept.
        let view = |variant: &str, session: i64| VariantView {
            variant: Some(variant.to_owned()),
            session_rowid: session,
            page_index: 0,
            converted: false,
            clicks: 1,
            rage_clicks: 0,
            dead_clicks: 0,
            depth_share: None,
            duration_ms: 0,
        };
        let table = variant_table(&[view("A", 1), view("B", 2)]);
        s.on_result(JobResult::Variants {
            generation: generation - 1,
            result: Err("old".to_owned()),
        });
        assert!(s.heatmap.variants.loading && s.heatmap.variants.table.is_none());
        s.on_result(JobResult::Variants {
            generation,
            result: Ok(table),
        });
        assert!(!s.heatmap.variants.loading);
        // Choosing a variant or a map kind does not ask again; the map is narrowed.
        choice.variant = "B".to_owned();
        choice.kind = crate::analysis::heatmap::HeatmapKind::Move;
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice.clone())));
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Query(Query::Variants { .. })))
        );
        let Some(Effect::Query(Query::Heatmap { query, compare, .. })) = effects
            .iter()
            .find(|e| matches!(e, Effect::Query(Query::Heatmap { .. })))
        else {
            panic!("no map asked: {effects:?}");
        };
        let b = VariantFilter {
            source: VariantSource::Param("exp".to_owned()),
            variant: "B".to_owned(),
        };
        assert_eq!(query.variant.as_ref(), Some(&b));
        assert!(compare.is_none());
        // Comparing two variants splits the page views.
        choice.compare = CompareMode::Variants;
        choice.compare_with = "A,B".to_owned();
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice.clone())));
        let Some(Effect::Query(Query::Heatmap {
            query,
            compare: Some(preset),
            ..
        })) = effects
            .iter()
            .find(|e| matches!(e, Effect::Query(Query::Heatmap { .. })))
        else {
            panic!("no comparison asked: {effects:?}");
        };
        let ((_, a), (_, b_query)) = query.split(preset);
        assert_eq!(a.variant.map(|v| v.variant).as_deref(), Some("A"));
        assert_eq!(b_query.variant, Some(b));
        // Turning variants off forgets the table.
        choice.variant_from.clear();
        choice.compare = CompareMode::Off;
        s.apply(Command::SetHeatmapChoice(Box::new(choice)));
        assert!(s.heatmap.variants.table.is_none());
    }

    #[test]
    fn a_spot_on_a_map_drawn_from_its_figures_asks_the_library_for_its_moments() {
        use super::super::heatmap_view::HeatmapChoice;
        use crate::analysis::heatmap::{HeatmapKind, HeatmapQuery, PointRef, begin};
        use crate::model::points::HeatmapPageView;
        use crate::model::{PagePos, SizePx};
        let mut s = state();
        let choice = HeatmapChoice {
            page: "http://shop.test/".to_owned(),
            kind: HeatmapKind::Click,
            ..Default::default()
        };
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Heatmap { generation, .. })) = effects.first() else {
            panic!("no map asked: {effects:?}");
        };
        let generation = *generation;
        let shot = Arc::new(RgbaImage {
            width: 100,
            height: 100,
            pixels: vec![255; 100 * 100 * 4],
        });
        let query = HeatmapQuery::new("http://shop.test/", HeatmapKind::Click, 1280);
        let views: Vec<HeatmapPageView> = (0..2)
            .map(|i| HeatmapPageView {
                url: Arc::from("http://shop.test/"),
                session_rowid: i + 1,
                page_index: 0,
                viewport: SizePx {
                    width: 1280,
                    height: 800,
                },
                max_depth_px: 1600.0,
                duration_ms: 30_000,
                doc_height_px: 2000,
                entered_at_ms: 1_000_000 * (i + 1),
                num_clicks: 1,
            })
            .collect();
        let spot = PagePos { x: 300.0, y: 400.0 };
        let refs: Vec<PointRef> = (0..2)
            .map(|view| PointRef {
                pos_in_page: PagePos {
                    x: 300.0 + 4.0 * view as f32,
                    y: 400.0,
                },
                view,
                t_ms: 2_500,
            })
            .collect();
        // A whole map (every point and page view): the moments are listed from it.
        let mut whole = begin(&query, &views).unwrap();
        whole.points = refs.len() as u64;
        whole.point_refs = refs.clone();
        whole.views = views;
        s.on_result(JobResult::Heatmap {
            generation,
            result: Ok((Arc::new(whole.clone()), Arc::clone(&shot))),
            compared: None,
        });
        let effects = s.apply(Command::HeatmapSpot(spot));
        let listed = effects.iter().find_map(|e| match e {
            Effect::Query(Query::Moments(m)) => Some(m.clone()),
            _ => None,
        });
        assert_eq!(listed, Some(whole.moments_near(spot, 15.0, 200)));
        assert!(!listed.unwrap().is_empty());
        // The same map's figures alone (a server library's): the library is asked.
        let mut figures = whole;
        figures.views = Vec::new();
        figures.point_refs = Vec::<PointRef>::new();
        s.on_result(JobResult::Heatmap {
            generation,
            result: Ok((Arc::new(figures.clone()), shot)),
            compared: None,
        });
        let effects = s.apply(Command::HeatmapSpot(spot));
        let asked = effects.iter().find_map(|e| match e {
            Effect::Query(Query::MomentsNear { query, pos_in_page }) => {
                Some(((**query).clone(), *pos_in_page))
            }
            _ => None,
        });
        assert_eq!(asked, Some((figures.query, spot)));
        assert_eq!(s.heatmap.spot, Some((spot, None)));
    }

    #[test]
    fn a_comparison_keeps_its_tests_through_layouts_and_lists_every_band_on_demand() {
        use super::super::heatmap_view::tests::known_difference;
        use super::super::heatmap_view::{CompareMode, CompareTests, HeatmapChoice, band_rows};
        use crate::analysis::heatmap::HeatmapKind;
        let mut s = state();
        let choice = HeatmapChoice {
            page: "http://shop.test/".to_owned(),
            kind: HeatmapKind::Scroll,
            compare: CompareMode::Converted,
            ..Default::default()
        };
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Heatmap {
            generation,
            compare: Some(_),
            ..
        })) = effects.first()
        else {
            panic!("no comparison asked: {effects:?}");
        };
        let generation = *generation;
        let (a, b) = known_difference(HeatmapKind::Scroll);
        let tests = Arc::new(CompareTests::new(&a, &b));
        let shot = Arc::new(RgbaImage {
            width: 800,
            height: 800,
            pixels: vec![255; 800 * 800 * 4],
        });
        let effects = s.on_result(JobResult::Heatmap {
            generation,
            result: Ok((Arc::new(a), Arc::clone(&shot))),
            compared: Some(Compared {
                labels: ("converted".to_owned(), "not converted".to_owned()),
                b: Arc::new(b),
                b_screenshot: shot,
                tests: Arc::clone(&tests),
            }),
        });
        // The map is drawn from the results the tests were computed from.
        let rendered = |effects: &[Effect]| {
            effects.iter().find_map(|e| match e {
                Effect::RenderHeatmap {
                    compare: Some((c, layout)),
                    ..
                } => Some((Arc::clone(&c.tests), *layout)),
                _ => None,
            })
        };
        let (drawn, layout) = rendered(&effects).expect("a render");
        assert!(Arc::ptr_eq(&drawn, &tests));
        assert_eq!(layout, CompareLayout::SideBySide);
        // Another layout re-renders with the same tests, no new aggregation.
        let effects = s.apply(Command::SetCompareLayout(CompareLayout::Difference));
        let (drawn, layout) = rendered(&effects).expect("a render");
        assert!(Arc::ptr_eq(&drawn, &tests));
        assert_eq!(layout, CompareLayout::Difference);
        assert!(!effects.iter().any(|e| matches!(e, Effect::Query(_))));
        // Only the bands that differ, then every band.
        let shown = |s: &AppState| {
            let compared = s.heatmap.compared.as_ref().unwrap();
            band_rows(&compared.tests, s.heatmap.all_band_tests).len()
        };
        assert_eq!(shown(&s), 5);
        assert!(s.apply(Command::ShowAllBandTests(true)).is_empty());
        assert_eq!(shown(&s), 8);
        s.apply(Command::ShowAllBandTests(false));
        assert_eq!(shown(&s), 5);
        // A failed aggregation drops the comparison and its tests.
        let choice = HeatmapChoice {
            kind: HeatmapKind::Click,
            ..s.heatmap.choice.clone()
        };
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Heatmap { generation, .. })) = effects.first() else {
            panic!("no aggregation asked: {effects:?}");
        };
        s.on_result(JobResult::Heatmap {
            generation: *generation,
            result: Err("gone".to_owned()),
            compared: None,
        });
        assert!(s.heatmap.compared.is_none());
    }

    #[test]
    fn a_superseded_heatmap_is_ignored_and_a_cancel_stops_it() {
        let mut s = state();
        let choice = super::super::heatmap_view::HeatmapChoice {
            page: "http://shop.test/".to_owned(),
            ..Default::default()
        };
        let effects = s.apply(Command::SetHeatmapChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Heatmap { generation, .. })) = effects.first() else {
            panic!("no aggregation asked: {effects:?}");
        };
        let generation = *generation;
        assert!(s.heatmap.aggregating);
        let effects = s.apply(Command::CancelHeatmap);
        assert!(matches!(&effects[..], [Effect::Cancel(JobKind::Heatmap)]));
        assert!(!s.heatmap.aggregating);
        s.on_result(JobResult::Heatmap {
            generation,
            result: Err("late".to_owned()),
            compared: None,
        });
        assert_eq!(
            s.heatmap.error.as_deref(),
            Some("Aggregation cancelled"),
            "the answer of the cancelled aggregation is ignored"
        );
    }

    #[test]
    fn journeys_are_asked_for_shown_picked_and_opened_at_their_step() {
        use super::super::journeys_view::{
            AnchorChoice, CompareChoice, JourneyPick, JourneysAnswer, JourneysChoice, Segment,
        };
        use crate::analysis::journeys::{JourneyQuery, PathStep, SessionPath, journeys};
        let mut s = state();
        let effects = s.apply(Command::SetView(MainView::Journeys));
        assert!(effects.is_empty(), "the view asks when it is first drawn");
        let choice = JourneysChoice {
            anchor: AnchorChoice::From,
            page: "/cart".to_owned(),
            ..JourneysChoice::default()
        };
        let effects = s.apply(Command::SetJourneysChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Journeys {
            generation, query, ..
        })) = effects.first()
        else {
            panic!("no journeys asked: {effects:?}");
        };
        assert_eq!(query.steps, 5);
        let first = *generation;
        // A newer choice supersedes it; the older answer is dropped.
        let effects = s.apply(Command::RefreshJourneys);
        let Some(Effect::Query(Query::Journeys { generation, .. })) = effects.first() else {
            panic!("no journeys asked: {effects:?}");
        };
        let second = *generation;
        let paths = [SessionPath {
            session_id: "s1".to_owned(),
            converted: true,
            steps: vec![PathStep {
                url: "https://shop.test/cart".to_owned(),
                entered_at_ms: 42,
                signal_kinds: Vec::new(),
            }],
        }];
        let map = journeys(&paths, &JourneyQuery::default());
        s.on_result(JobResult::Journeys {
            generation: first,
            result: Err("stale".to_owned()),
        });
        assert!(s.journeys.loading && s.journeys.error.is_none());
        s.on_result(JobResult::Journeys {
            generation: second,
            result: Ok(Box::new(JourneysAnswer::One(map))),
        });
        assert!(!s.journeys.loading);
        let answer = s.journeys.answer.as_ref();
        assert_eq!(
            answer.and_then(|a| a.map(Segment::A)).map(|m| m.sessions),
            Some(1)
        );
        assert!(answer.and_then(|a| a.map(Segment::B)).is_none());
        s.apply(Command::PickJourney(Some((
            Segment::A,
            JourneyPick::Node { step: 0, index: 0 },
        ))));
        assert_eq!(
            s.journeys.picked,
            Some((Segment::A, JourneyPick::Node { step: 0, index: 0 }))
        );
        // Opening a node's session goes to the replay at that step.
        s.apply(Command::OpenSessionAt {
            session_id: "s1".to_owned(),
            timestamp_ms: 42,
        });
        assert_eq!(s.prefs.view, MainView::Sessions);

        // A comparison asks for two segments; one without its source says so and asks nothing.
        let effects = s.apply(Command::SetJourneysChoice(Box::new(JourneysChoice {
            compare: CompareChoice::Converted,
            ..JourneysChoice::default()
        })));
        assert!(matches!(
            effects.first(),
            Some(Effect::Query(Query::Journeys {
                compare: Some(crate::analysis::compare::ComparePreset::Converted),
                ..
            }))
        ));
        let effects = s.apply(Command::SetJourneysChoice(Box::new(JourneysChoice {
            compare: CompareChoice::Source,
            ..JourneysChoice::default()
        })));
        assert!(effects.is_empty(), "{effects:?}");
        assert!(!s.journeys.loading);
        assert!(
            s.journeys
                .error
                .as_deref()
                .is_some_and(|e| e.contains("traffic source"))
        );
    }

    #[test]
    fn forms_are_asked_for_shown_picked_and_opened_at_the_field() {
        use super::super::forms_view::{CellKind, FormPick, FormsChoice, moments_of};
        use crate::analysis::forms::{FieldMoment, FieldRow, FormTable, FormsReport};
        let mut s = state();
        assert!(s.apply(Command::SetView(MainView::Forms)).is_empty());
        let choice = FormsChoice {
            page: "/checkout*".to_owned(),
            ..FormsChoice::default()
        };
        let effects = s.apply(Command::SetFormsChoice(Box::new(choice)));
        let Some(Effect::Query(Query::Forms {
            generation, page, ..
        })) = effects.first()
        else {
            panic!("no forms asked: {effects:?}");
        };
        assert_eq!(page.as_ref().map(|p| p.as_str()), Some("/checkout*"));
        let first = *generation;
        let effects = s.apply(Command::SetFormsChoice(Box::default()));
        let Some(Effect::Query(Query::Forms { generation, .. })) = effects.first() else {
            panic!("no forms asked: {effects:?}");
        };
        let second = *generation;
        s.on_result(JobResult::Forms {
            generation: first,
            result: Err("stale".to_owned()),
        });
        assert!(s.forms.loading && s.forms.error.is_none());
        let report = FormsReport {
            sessions: 1,
            forms: vec![FormTable {
                form: "#checkout-form".to_owned(),
                fields: vec![FieldRow {
                    key: "postcode".to_owned(),
                    error_examples: vec![FieldMoment {
                        session_id: "s1".to_owned(),
                        at_ms: 77,
                    }],
                    ..FieldRow::default()
                }],
                ..FormTable::default()
            }],
            folded_forms: 0,
        };
        s.on_result(JobResult::Forms {
            generation: second,
            result: Ok(Box::new(report)),
        });
        assert!(!s.forms.loading);
        let pick = FormPick {
            form: 0,
            field: 0,
            kind: CellKind::Errors,
        };
        s.apply(Command::PickFormCell(Some(pick)));
        assert_eq!(s.forms.picked, Some(pick));
        let moment = moments_of(s.forms.report.as_ref().unwrap(), pick)[0].clone();
        assert_eq!((moment.session_id.as_str(), moment.at_ms), ("s1", 77));
        s.apply(Command::OpenSessionAt {
            session_id: moment.session_id,
            timestamp_ms: moment.at_ms,
        });
        assert_eq!(s.prefs.view, MainView::Sessions);
    }

    #[test]
    fn naming_a_form_writes_then_shows_the_tables_again() {
        use crate::ui::forms_view::FormNameChange;
        let mut s = state();
        s.apply(Command::SetFormNameDraft(Some("Check".to_owned())));
        assert_eq!(s.forms.name_draft.as_deref(), Some("Check"));
        // Nothing to change: nothing written.
        assert!(s.apply(Command::NameForms(Vec::new())).is_empty());
        let change = FormNameChange {
            page: "/checkout.html".to_owned(),
            form: "#checkout-form".to_owned(),
            name: Some("Checkout".to_owned()),
        };
        let effects = s.apply(Command::NameForms(vec![change.clone()]));
        assert!(
            matches!(effects.as_slice(), [Effect::Query(Query::NameForms(c))] if *c == [change]),
            "{effects:?}"
        );
        assert!(s.forms.naming);
        // A failure keeps the draft and says why.
        let effects = s.on_result(JobResult::FormsNamed(Err("read-only".to_owned())));
        assert!(effects.is_empty());
        assert!(!s.forms.naming);
        assert_eq!(s.forms.error.as_deref(), Some("read-only"));
        assert_eq!(s.forms.name_draft.as_deref(), Some("Check"));
        // Success: the draft closes and the tables are asked for again.
        let effects = s.on_result(JobResult::FormsNamed(Ok("form named".to_owned())));
        assert!(
            matches!(effects.as_slice(), [Effect::Query(Query::Forms { .. })]),
            "{effects:?}"
        );
        assert!(s.forms.name_draft.is_none() && s.forms.loading);
        assert_eq!(s.forms.message.as_deref(), Some("form named"));
        // Showing another form closes an open draft.
        s.apply(Command::SetFormNameDraft(Some("x".to_owned())));
        s.apply(Command::ShowForm(1));
        assert!(s.forms.name_draft.is_none());
    }

    #[test]
    fn an_empty_library_is_filled_with_the_samples_on_first_start_only() {
        let mut s = AppState::new(
            StartOptions {
                library_path: PathBuf::from("library.sqlite"),
                simulated_sessions: 10,
                ..StartOptions::default()
            },
            Prefs::default(),
        );
        s.sample_dir = Some(PathBuf::from("samples"));
        let effects = s.on_result(JobResult::Opened { num_sessions: 0 });
        assert!(matches!(
            &effects[..],
            [Effect::Import { paths, open_first: false, simulate: Some(sim), .. }]
                if paths == &[PathBuf::from("samples")] && sim.sessions == 10
        ));
        assert!(s.import.is_some());
        let effects = s.on_result(JobResult::ImportDone {
            summary: crate::store::ImportSummary::default(),
            simulated: 10,
            open_first: false,
            screenshots_attached: 0,
        });
        assert!(effects.is_empty());
        assert_eq!(s.library_sessions, Some(10));
        assert!(s.commands.contains(&Command::RefreshList));
        assert!(s.import.is_none());
        let effects = s.on_result(JobResult::Opened { num_sessions: 5 });
        assert!(
            effects.is_empty(),
            "a library with sessions is left as it is"
        );
    }
}
