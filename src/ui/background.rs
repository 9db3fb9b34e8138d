//! Background work on named threads: the library read pool and write queue (see `lanes.rs`), imports, renders and file dialogs.
//! Results come back over a channel; each sender asks egui for a repaint.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender};

use super::app::LoadedSession;
use super::conversions_view::{ConversionReport, DROPPERS_SHOWN, DropperRow};
use super::file_dialog::{self, DialogPurpose, PickKind};
use super::heatmap_view::SpotMoment;
use super::lanes::{Job, JobKind, Lane};
use super::replay::{Backdrop, PageImage};
use crate::analysis::compare::ComparePreset;
use crate::analysis::conversions::{self as conv, EventDefinition, SegmentBy};
use crate::analysis::heatmap::{HeatmapQuery, HeatmapResult, Moment};
use crate::analysis::signals::SignalKind;
use crate::analysis::signals::hotspots::{Hotspot, HotspotSort};
use crate::format::ReadOptions;
use crate::render::RgbaImage;
use crate::render::compare::CompareLayout;
use crate::render::heatmap::RenderSettings;
use crate::store::{
    ImportProgress, ImportSummary, ScreenshotInfo, SessionFilter, SessionRow, SessionSort,
    StoreError,
};
use crate::store::{SignalQuery, Store, StoredSignal};

/// Threads in the read pool: two keep a session load going while a map aggregates, without
/// crowding the two-core machines the app is tried on.
const READ_WORKERS: usize = 2;

/// A question for the library workers.
#[derive(Clone, Debug)]
pub enum Query {
    /// Renders each variant's screenshot from its first page view with Chromium and keeps it
    /// in the library (a write).
    RenderVariantScreenshots {
        /// The page (URL or pattern) the variants are of.
        page: String,
        /// Where variants come from.
        source: crate::model::VariantSource,
        /// Each variant with its first page view `(session row id, page index)`.
        examples: Vec<(String, (i64, u32))>,
    },
    /// The variants of the heatmap's page side by side (docs/VARIANTS.md).
    Variants {
        /// Generation (newer answers win).
        generation: u64,
        /// What the table covers.
        query: Box<crate::store::variants::VariantQuery>,
    },
    /// The named sections of a page with their reach over the sessions in `filter`; with
    /// `define` or `delete`, that change is made first.
    Sections {
        /// The page (URL or pattern) shown.
        page: String,
        /// Sessions included.
        filter: SessionFilter,
        /// Viewport widths of the layout shown.
        widths: Option<(u32, u32)>,
        /// A section to store first.
        define: Option<crate::store::Section>,
        /// A section to remove first.
        delete: Option<String>,
    },
    /// A page of the session list.
    List {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Filter.
        filter: SessionFilter,
        /// Order.
        sort: SessionSort,
        /// First row.
        offset: u64,
        /// Rows.
        limit: u64,
    },
    /// One whole session, with its screenshots and notes.
    Load(String),
    /// Save a note, then send the session's notes.
    AddNote {
        /// The session.
        session_id: String,
        /// The moment, epoch ms.
        timestamp_ms: i64,
        /// The text.
        text: String,
    },
    /// Delete a note, then send the session's notes.
    DeleteNote {
        /// The session.
        session_id: String,
        /// The note.
        note_id: i64,
    },
    /// The pages and screenshots the heatmap view offers.
    HeatmapPages,
    /// Aggregate a heatmap and decode the screenshot it is drawn over.
    Heatmap {
        /// Answers to older generations are dropped.
        generation: u64,
        /// What to aggregate.
        query: Box<HeatmapQuery>,
        /// Compare mode: split the filter into A and B and aggregate both.
        compare: Option<ComparePreset>,
    },
    /// Resolve the moments behind a heatmap spot to session ids.
    Moments(Vec<Moment>),
    /// Find the moments behind a spot of a map drawn from its figures alone (whose result
    /// holds no points: see `Store::prefers_figures`) and resolve them to session ids.
    MomentsNear {
        /// The map's query, as aggregated.
        query: Box<HeatmapQuery>,
        /// The spot.
        pos_in_page: crate::model::PagePos,
    },
    /// The ranked hotspot table.
    Hotspots {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Sessions in scope.
        filter: SessionFilter,
        /// Kinds (empty: all).
        kinds: Vec<SignalKind>,
        /// Page URL or glob.
        page: Option<String>,
        /// Order.
        sort: HotspotSort,
    },
    /// The signal thresholds stored in the library.
    SignalSettings,
    /// Store thresholds and recompute every session's signals.
    RecomputeSignals(Box<crate::analysis::signals::SignalSettings>),
    /// The signals of one kind on one page (to list a hotspot's sessions).
    HotspotSignals {
        /// Kind.
        kind: SignalKind,
        /// Page URL.
        page: String,
        /// Device filter of the table.
        device: Option<crate::model::DeviceClass>,
    },
    /// The journey map of the journeys view.
    Journeys {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Sessions in scope.
        filter: SessionFilter,
        /// Anchor, steps and grouping.
        query: Box<crate::analysis::journeys::JourneyQuery>,
        /// Two segments of `filter` side by side, or one map.
        compare: Option<crate::analysis::compare::ComparePreset>,
    },
    /// The element map (or comparison) of the heatmap view's element mode, drawn.
    Elements {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Page, filters, widths.
        query: Box<crate::analysis::elements::ElementQuery>,
        /// The layout width whose screenshot the boxes are drawn over.
        layout_width: u32,
        /// What the elements are ranked by.
        measure: crate::analysis::elements::ElementMeasure,
        /// A against B per element, or one map.
        compare: Option<crate::analysis::compare::ComparePreset>,
    },
    /// The form tables of the forms view.
    Forms {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Sessions in scope.
        filter: SessionFilter,
        /// Only the forms on pages matching this.
        page: Option<crate::model::UrlPattern>,
    },
    /// Name forms or remove their names (a write).
    NameForms(Vec<crate::ui::forms_view::FormNameChange>),
    /// KPIs, funnel, droppers, lift and definitions for the conversions view.
    Conversions {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Sessions in scope.
        filter: SessionFilter,
        /// Side-by-side segments.
        segment_by: Option<SegmentBy>,
        /// Funnel steps (None: the standard ones that are defined).
        steps: Option<Vec<String>>,
        /// Every step within this many ms of the first.
        window_ms: Option<i64>,
    },
    /// Store an event definition and find it in every session.
    DefineEvent(Box<EventDefinition>),
    /// Delete an event definition.
    DeleteEventDefinition(String),
    /// Make this defined event the conversion goal and recompute every session's conversion
    /// (reporting [`JobResult::GoalProgress`]).
    SetConversionGoal(String),
}

/// What background work reports.
#[derive(Debug)]
pub enum JobResult {
    /// The library file is damaged (or not a library): the app offers to rebuild it or start
    /// a new one, keeping the file.
    LibraryDamaged(String),
    /// A rebuild, or the start of a new library, finished (or failed, with the reason).
    Rebuilt {
        /// A new, empty library was started instead of a rebuild.
        fresh: bool,
        /// What the rebuild did, or why it failed.
        result: Result<crate::store::RebuildReport, String>,
    },
    /// Variant screenshots were rendered: how many, and the variants that failed with why
    /// (or why none could be).
    VariantScreenshots(Result<(usize, Vec<String>), String>),
    /// The variants of the heatmap's page (or why they could not be read).
    Variants {
        /// The generation asked for.
        generation: u64,
        /// The table.
        result: Result<crate::analysis::variants::VariantTable, String>,
    },
    /// The sections of the heatmap's page with their reach (or why they could not be read).
    Sections(Result<Vec<crate::store::SectionReach>, String>),
    /// A report folder was written: its path, files and warnings (`None`: no folder chosen).
    ReportWritten(Result<Option<(PathBuf, usize, usize)>, String>),
    /// The library may only be read (a read-only user of a server library): why, as the app
    /// shows it before any change is tried.
    ReadOnly(String),
    /// The write worker opened the library; the number of sessions in it.
    Opened {
        /// Sessions stored.
        num_sessions: u64,
    },
    /// A page of the session list.
    List {
        /// The generation asked for.
        generation: u64,
        /// First row.
        offset: u64,
        /// Rows.
        rows: Vec<SessionRow>,
        /// Matching sessions in all.
        total: u64,
    },
    /// A loaded session (or why it could not be loaded).
    Session(String, Result<Box<super::app::LoadedSession>, String>),
    /// Import progress.
    ImportProgress(ImportProgress),
    /// Progress generating simulated sample sessions: (done, total).
    SimulateProgress(usize, usize),
    /// Import finished.
    ImportDone {
        /// Totals.
        summary: ImportSummary,
        /// Simulated sample sessions generated into the library.
        simulated: usize,
        /// Open the first imported session.
        open_first: bool,
        /// Screenshots attached from the demo shop's assets.
        screenshots_attached: usize,
    },
    /// The system file dialog could not open: the app shows its own for `purpose`.
    DialogFallback {
        /// What the dialog is for.
        purpose: DialogPurpose,
        /// Why the system dialog was not used.
        reason: String,
    },
    /// Paths chosen in a file dialog (empty when cancelled).
    Picked {
        /// The paths.
        paths: Vec<PathBuf>,
        /// Open the first imported session.
        open_first: bool,
    },
    /// The notes of a session, after a change.
    Notes {
        /// The session.
        session_id: String,
        /// Its notes, in time order.
        notes: Vec<crate::model::Note>,
    },
    /// A file was exported; the line to show.
    Exported(String),
    /// Pages (most viewed first) and screenshots for the heatmap view.
    HeatmapPages {
        /// Pages.
        groups: Vec<crate::store::PageGroup>,
        /// Screenshots.
        shots: Vec<ScreenshotInfo>,
        /// Custom event names with their session counts.
        events: Vec<(String, u64)>,
    },
    /// An aggregated heatmap with its screenshot, or why there is none.
    Heatmap {
        /// The generation asked for.
        generation: u64,
        /// Result and screenshot (set A in compare mode).
        result: Result<(Arc<HeatmapResult>, Arc<RgbaImage>), String>,
        /// Set B in compare mode.
        compared: Option<Compared>,
    },
    /// A rendered heatmap.
    HeatmapImage {
        /// The render generation asked for.
        generation: u64,
        /// The pixels (what Export PNG writes).
        image: Arc<RgbaImage>,
    },
    /// The moments behind a heatmap spot.
    SpotMoments(Vec<SpotMoment>),
    /// The ranked hotspots, or why there are none.
    Hotspots {
        /// The generation asked for.
        generation: u64,
        /// Hotspots.
        result: Result<Vec<Hotspot>, String>,
    },
    /// Signals of a selected hotspot's kind and page.
    HotspotSignals(Vec<StoredSignal>),
    /// The stored signal thresholds.
    SignalSettings(Box<crate::analysis::signals::SignalSettings>),
    /// Signals were recomputed (or why not).
    Recomputed(Result<crate::store::RecomputeSummary, String>),
    /// The journey map, or why there is none.
    Journeys {
        /// The generation asked for.
        generation: u64,
        /// The map, or the two maps of a comparison.
        result: Result<Box<super::journeys_view::JourneysAnswer>, String>,
    },
    /// The element mode's answer with the layout width of its boxes and its picture, or why
    /// there is none.
    Elements {
        /// The generation asked for.
        generation: u64,
        /// The answer.
        result: Result<super::elements_view::ElementsResult, String>,
    },
    /// The form tables, or why there are none.
    Forms {
        /// The generation asked for.
        generation: u64,
        /// The tables.
        result: Result<Box<crate::analysis::forms::FormsReport>, String>,
    },
    /// The conversions view's report, or why there is none.
    Conversions {
        /// The generation asked for.
        generation: u64,
        /// The report.
        result: Result<Box<ConversionReport>, String>,
    },
    /// An event was defined or deleted: the line to show, or why it failed.
    EventDefinitionChanged(Result<String, String>),
    /// Forms were named (what changed) or the change failed.
    FormsNamed(Result<String, String>),
    /// The conversion goal in force (sent when the library opens and after every change).
    Goal(Box<conv::ConversionGoal>),
    /// Recomputing every session's conversion for a new goal: (done, total) sessions.
    GoalProgress(u64, u64),
    /// The conversion goal was changed (the line to show), or why not.
    GoalChanged(Result<String, String>),
    /// A moment of a session rendered ("Render this moment"), or why it could not be.
    MomentRendered {
        /// The session.
        session_id: String,
        /// The moment asked for, ms from the session start.
        offset_ms: i64,
        /// The render.
        result: Result<super::replay::MomentShot, String>,
    },
    /// Where to write a replay clip was chosen.
    ClipTarget {
        /// The session.
        session_id: String,
        /// The range and how to draw it.
        options: crate::clip::ClipOptions,
        /// The file.
        path: PathBuf,
    },
    /// A clip export's progress: frames written of all.
    ClipProgress(usize, usize),
    /// A clip export ended: the line to show, or why it failed.
    ClipExported(Result<String, String>),
    /// A failure to show.
    Error(String),
}

/// The background side of the app.
pub struct Background {
    ctx: egui::Context,
    library_path: PathBuf,
    results_tx: Sender<JobResult>,
    results_rx: Receiver<JobResult>,
    /// Reads, served by [`READ_WORKERS`] `library-read-N` threads; a newer query of one kind
    /// supersedes the older ones.
    reads: Arc<Lane<Query>>,
    /// Changes to the library, served in order by the `library-write` thread; never dropped
    /// (they wait while the library is being rebuilt), cancelled only when the user asks.
    writes: Arc<Lane<Query>>,
    render_tx: Option<Sender<RenderJob>>,
    import_running: bool,
    /// Set: the in-app file dialog is used without trying the system one, for this reason.
    builtin_dialog: Option<String>,
}

/// A worker connection's way to stop what it runs.
type InterruptHandle = Box<dyn super::lanes::Interrupt>;

/// Opens the library the app was started on, a SQLite file or a library on a server
/// (`clickhouse://…`), with its way to stop what it runs (`Store::interrupter`), so a
/// superseded query stops at once.
fn open_app_library(
    location: &std::path::Path,
) -> Result<(Box<dyn Store>, Option<InterruptHandle>), StoreError> {
    let library = crate::store::open_store(location)?;
    let interrupt = library.interrupter();
    Ok((library, interrupt))
}

/// Writes a report of the sessions in `filter` into `out_dir`: heatmaps of the five most
/// viewed pages, and the funnel of `steps`. Returns the folder, files written and warnings.
fn report_to_folder(
    library_path: &std::path::Path,
    filter: SessionFilter,
    steps: Vec<String>,
    out_dir: PathBuf,
) -> Result<(PathBuf, usize, usize), String> {
    let (mut library, _) = open_app_library(library_path).map_err(|e| e.to_string())?;
    let pages = library
        .page_groups(&filter)
        .map_err(|e| e.to_string())?
        .into_iter()
        .take(5)
        .map(|g| g.url)
        .collect();
    let options = crate::report::ReportOptions {
        pages,
        filter,
        steps,
        out_dir: out_dir.clone(),
        clips: 0,
    };
    let summary = crate::report::write_report(library.as_mut(), &options, &mut |_| {})
        .map_err(|e| e.to_string())?;
    Ok((out_dir, summary.files.len(), summary.warnings.len()))
}

/// A heatmap to draw on the render thread.
struct RenderJob {
    generation: u64,
    result: Arc<HeatmapResult>,
    screenshot: Arc<RgbaImage>,
    settings: RenderSettings,
    compare: Option<(Compared, CompareLayout)>,
}

/// The second map of a comparison, with both sets' labels.
#[derive(Clone, Debug)]
pub struct Compared {
    /// Labels of A and B ("converted", "not converted").
    pub labels: (String, String),
    /// Set B.
    pub b: Arc<HeatmapResult>,
    /// The screenshot B is drawn over: A's, or a page variant's own.
    pub b_screenshot: Arc<RgbaImage>,
    /// The tests of A against B, computed when the comparison arrived.
    pub tests: Arc<super::heatmap_view::CompareTests>,
}

impl Background {
    /// Rebuilds the damaged library on the `library-rebuild` thread (the damaged file is kept
    /// beside it), then opens the result. `fresh` starts an empty library instead (the damaged
    /// file is moved aside all the same).
    pub fn rebuild_library(&self, fresh: bool) {
        self.reads.close();
        self.writes.close();
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("library-rebuild".to_owned())
            .spawn(move || {
                let result = if fresh {
                    crate::store::set_library_aside(&path).map(|kept| crate::store::RebuildReport {
                        damaged_kept_at: kept.display().to_string(),
                        ..crate::store::RebuildReport::default()
                    })
                } else {
                    crate::store::rebuild_library(
                        &path,
                        &crate::format::ReadOptions::default(),
                        &mut |_, _| ctx.request_repaint(),
                    )
                };
                Self::send_from(
                    &ctx,
                    &tx,
                    JobResult::Rebuilt {
                        fresh,
                        result: result.map_err(|e| e.to_string()),
                    },
                );
            });
        if let Err(e) = spawned {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Rebuilt {
                    fresh,
                    result: Err(format!("cannot start the rebuild: {e}")),
                },
            );
        }
    }

    /// Opens the library again (after a rebuild).
    pub fn reopen(&self) {
        self.start_library_workers();
    }

    /// Starts the query worker on `library_path`.
    pub fn start(ctx: &egui::Context, library_path: PathBuf) -> Self {
        let (results_tx, results_rx) = std::sync::mpsc::channel();
        let background = Self {
            ctx: ctx.clone(),
            library_path,
            results_tx,
            results_rx,
            reads: Lane::new(true),
            writes: Lane::new(false),
            render_tx: None,
            import_running: false,
            builtin_dialog: None,
        };
        background.start_library_workers();
        background
    }

    fn send_from(ctx: &egui::Context, tx: &Sender<JobResult>, result: JobResult) {
        // The receiver only disappears when the app is closing.
        let _ = tx.send(result);
        ctx.request_repaint();
    }

    fn start_library_workers(&self) {
        self.reads.close();
        self.writes.close();
        let (read_epoch, write_epoch) = (self.reads.epoch(), self.writes.epoch());
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let (reads, writes) = (Arc::clone(&self.reads), Arc::clone(&self.writes));
        // The write worker opens the library first (an open may migrate it), then lets the
        // readers open theirs.
        let spawned = std::thread::Builder::new()
            .name("library-write".to_owned())
            .spawn(move || {
                let send = |result| Self::send_from(&ctx, &tx, result);
                let (mut library, interrupt) = match open_app_library(&path) {
                    Ok(opened) => opened,
                    Err(e @ (StoreError::Corrupt { .. } | StoreError::NotALibrary { .. })) => {
                        return send(JobResult::LibraryDamaged(e.to_string()));
                    }
                    Err(e) => return send(JobResult::Error(format!("{e}"))),
                };
                if let Some(interrupt) = interrupt {
                    writes.register(0, interrupt);
                }
                let num_sessions = library.num_sessions().unwrap_or_else(|e| {
                    send(JobResult::Error(format!("counting sessions: {e}")));
                    0
                });
                if let Some(why) = library.read_only() {
                    send(JobResult::ReadOnly(why));
                }
                send(JobResult::Opened { num_sessions });
                match library.conversion_goal() {
                    Ok(goal) => send(JobResult::Goal(Box::new(goal))),
                    Err(e) => send(JobResult::Error(format!(
                        "reading the conversion goal: {e}"
                    ))),
                }
                writes.open();
                reads.open();
                let mut images = ImageCache::default();
                while let Some(job) = writes.next(0, write_epoch) {
                    let (work, cancelled) = job.into_work();
                    let result = answer(library.as_mut(), &mut images, work, &send);
                    writes.done(0);
                    let failed =
                        matches!(result, JobResult::Recomputed(Err(_)) | JobResult::Error(_));
                    if cancelled.get() && failed {
                        // Cancelled by the user: its transaction was rolled back. (A job that
                        // finished before the cancel reached it reports as usual.)
                        continue;
                    }
                    let goal_may_change = matches!(
                        result,
                        JobResult::EventDefinitionChanged(_) | JobResult::GoalChanged(_)
                    );
                    send(result);
                    if goal_may_change {
                        send(match library.conversion_goal() {
                            Ok(goal) => JobResult::Goal(Box::new(goal)),
                            Err(e) => JobResult::Error(format!("reading the conversion goal: {e}")),
                        });
                    }
                }
            });
        if let Err(e) = spawned {
            return Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot start the library write thread: {e}")),
            );
        }
        for worker in 0..READ_WORKERS {
            let (ctx, tx, path) = (
                self.ctx.clone(),
                self.results_tx.clone(),
                self.library_path.clone(),
            );
            let reads = Arc::clone(&self.reads);
            let spawned = std::thread::Builder::new()
                .name(format!("library-read-{worker}"))
                .spawn(move || {
                    let send = |result| Self::send_from(&ctx, &tx, result);
                    if !reads.wait_open(read_epoch) {
                        return;
                    }
                    let (mut library, interrupt) = match open_app_library(&path) {
                        Ok(opened) => opened,
                        Err(e) => {
                            return send(JobResult::Error(format!(
                                "a library reader could not open it: {e}"
                            )));
                        }
                    };
                    if let Some(interrupt) = interrupt {
                        reads.register(worker, interrupt);
                    }
                    let mut images = ImageCache::default();
                    while let Some(job) = reads.next(worker, read_epoch) {
                        let (work, cancelled) = job.into_work();
                        let result = answer(library.as_mut(), &mut images, work, &send);
                        reads.done(worker);
                        // A newer query of this kind superseded it: its answer is dropped.
                        if !cancelled.get() {
                            send(result);
                        }
                    }
                });
            if let Err(e) = spawned {
                Self::send_from(
                    &self.ctx,
                    &self.results_tx,
                    JobResult::Error(format!("cannot start a library read thread: {e}")),
                );
            }
        }
    }

    /// Sends a query to the read pool or, for a change to the library, to the write queue.
    /// Nothing is dropped but superseded reads: while the library is being rebuilt (or could
    /// not open) queries wait and run when it opens.
    pub fn query(&self, query: Query) {
        match lane_of(&query) {
            (false, kind) => {
                self.reads.push(Job::new(query, kind));
            }
            (true, kind) => {
                self.writes.push(Job::new(query, kind));
            }
        }
    }

    /// Cancels the running and queued work of `kind` (a recompute, an aggregation); its answer
    /// never arrives.
    pub fn cancel(&self, kind: JobKind) -> usize {
        self.reads.cancel(kind) + self.writes.cancel(kind)
    }

    /// Queries waiting for the library to open.
    #[cfg(test)]
    pub fn pending_queries(&self) -> usize {
        self.reads.queued() + self.writes.queued()
    }

    /// True while an import runs.
    pub fn import_running(&self) -> bool {
        self.import_running
    }

    /// Starts importing `paths` on a background thread. With `attach_demo`, the demo shop's
    /// page screenshots are attached too, and with `simulate`, simulated visitors are generated
    /// into the library after the files (first start on the sample library).
    pub fn import(
        &mut self,
        paths: Vec<PathBuf>,
        open_first: bool,
        attach_demo: Option<PathBuf>,
        simulate: Option<crate::demo::GenerateOptions>,
    ) {
        if self.import_running {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(
                    "an import is already running; try again when it has finished".to_owned(),
                ),
            );
            return;
        }
        self.import_running = true;
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("import".to_owned())
            .spawn(move || {
                let mut library = match open_app_library(&path) {
                    Ok((library, _)) => library,
                    Err(e) => {
                        Self::send_from(&ctx, &tx, JobResult::Error(format!("{e}")));
                        return Self::send_from(
                            &ctx,
                            &tx,
                            JobResult::ImportDone {
                                summary: ImportSummary::default(),
                                simulated: 0,
                                open_first: false,
                                screenshots_attached: 0,
                            },
                        );
                    }
                };
                let screenshots_attached = match attach_demo
                    .map(|assets| crate::demo::attach_screenshots(library.as_mut(), &assets))
                {
                    Some(Ok(n)) => n,
                    Some(Err(e)) => {
                        Self::send_from(
                            &ctx,
                            &tx,
                            JobResult::Error(format!("attaching demo screenshots: {e:#}")),
                        );
                        0
                    }
                    None => 0,
                };
                let cancel = AtomicBool::new(false);
                let result = library.import_paths(
                    &paths,
                    &ReadOptions::default(),
                    &cancel,
                    &mut |progress, _| {
                        Self::send_from(&ctx, &tx, JobResult::ImportProgress(*progress));
                    },
                );
                let summary = result.unwrap_or_else(|e| {
                    Self::send_from(&ctx, &tx, JobResult::Error(format!("import: {e}")));
                    ImportSummary::default()
                });
                let simulated = match simulate.map(|options| {
                    crate::demo::fill_library(
                        library.as_mut(),
                        &options,
                        &cancel,
                        &mut |done, total| {
                            Self::send_from(&ctx, &tx, JobResult::SimulateProgress(done, total));
                        },
                    )
                }) {
                    Some(Ok(n)) => n,
                    Some(Err(e)) => {
                        Self::send_from(
                            &ctx,
                            &tx,
                            JobResult::Error(format!("generating simulated sessions: {e}")),
                        );
                        0
                    }
                    None => 0,
                };
                Self::send_from(
                    &ctx,
                    &tx,
                    JobResult::ImportDone {
                        summary,
                        simulated,
                        open_first,
                        screenshots_attached,
                    },
                );
            });
        if let Err(e) = spawned {
            self.import_running = false;
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot start the import thread: {e}")),
            );
        }
    }

    /// Runs `job` (a file dialog, then maybe a write) on a named `file-dialog` thread, as rfd's
    /// dialogs block until closed, and reports what it returns.
    fn on_dialog_thread(&self, job: impl FnOnce() -> Option<JobResult> + Send + 'static) {
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        let spawned = std::thread::Builder::new()
            .name("file-dialog".to_owned())
            .spawn(move || {
                if let Some(result) = job() {
                    Self::send_from(&ctx, &tx, result);
                }
            });
        if let Err(e) = spawned {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot open a file dialog: {e}")),
            );
        }
    }

    /// Asks for a file or folder for `purpose` on the `file-dialog` thread (rfd's dialogs block
    /// until closed), then does what the purpose says with the answer there (imports are asked
    /// of the app with [`JobResult::Picked`]; exports are written on that thread). When the
    /// system dialog cannot open, [`JobResult::DialogFallback`] asks the app for its own.
    pub fn dialog(&self, purpose: DialogPurpose) {
        let path = self.library_path.clone();
        let forced = self.builtin_dialog.clone();
        self.on_dialog_thread(move || {
            if let Some(reason) = forced.or_else(file_dialog::system_dialog_problem) {
                return Some(JobResult::DialogFallback { purpose, reason });
            }
            let started = std::time::Instant::now();
            let answer = system_dialog(&purpose);
            if answer.is_none()
                && started.elapsed().as_millis() < file_dialog::NO_DIALOG_WITHIN_MS
                && !file_dialog::zenity_installed()
            {
                return Some(JobResult::DialogFallback {
                    purpose,
                    reason: "the portal opened no dialog, no zenity".to_owned(),
                });
            }
            finish_dialog(&path, purpose, answer)
        });
    }

    /// Does what `purpose` says with the in-app dialog's answer (`None`: cancelled), on the
    /// `file-dialog` thread.
    pub fn complete_dialog(&self, purpose: DialogPurpose, answer: Option<Vec<PathBuf>>) {
        let path = self.library_path.clone();
        self.on_dialog_thread(move || finish_dialog(&path, purpose, answer));
    }

    /// Skips the system file dialog from now on and uses the in-app one, saying `reason`.
    pub fn use_builtin_dialog(&mut self, reason: String) {
        self.builtin_dialog = Some(reason);
    }

    /// Draws a heatmap on the `heatmap-render` thread (started on first use); only the newest
    /// waiting job is drawn.
    pub fn render(
        &mut self,
        generation: u64,
        result: Arc<HeatmapResult>,
        screenshot: Arc<RgbaImage>,
        settings: RenderSettings,
        compare: Option<(Compared, CompareLayout)>,
    ) {
        if self.render_tx.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<RenderJob>();
            let (ctx, results) = (self.ctx.clone(), self.results_tx.clone());
            let spawned = std::thread::Builder::new()
                .name("heatmap-render".to_owned())
                .spawn(move || {
                    // Images sent lately: once the view has let go of one, its buffer is drawn
                    // into again instead of mapping a fresh one (35 MB for a long page).
                    let mut sent: Vec<Arc<RgbaImage>> = Vec::new();
                    while let Ok(mut job) = rx.recv() {
                        while let Ok(newer) = rx.try_recv() {
                            job = newer;
                        }
                        let image = match &job.compare {
                            None => {
                                let mut out = sent
                                    .iter()
                                    .position(|i| Arc::strong_count(i) == 1)
                                    .and_then(|p| Arc::try_unwrap(sent.swap_remove(p)).ok())
                                    .unwrap_or_else(|| RgbaImage {
                                        width: 0,
                                        height: 0,
                                        pixels: Vec::new(),
                                    });
                                crate::render::heatmap::render_heatmap_into(
                                    &job.result,
                                    &job.screenshot,
                                    &job.settings,
                                    &mut out,
                                );
                                out
                            }
                            Some((compared, layout)) => {
                                crate::render::compare::render_comparison_on(
                                    &job.result,
                                    &compared.b,
                                    (&job.screenshot, &compared.b_screenshot),
                                    &job.settings,
                                    (&compared.labels.0, &compared.labels.1),
                                    *layout,
                                )
                            }
                        };
                        let image = Arc::new(image);
                        sent.push(Arc::clone(&image));
                        if sent.len() > 2 {
                            sent.remove(0);
                        }
                        Self::send_from(
                            &ctx,
                            &results,
                            JobResult::HeatmapImage {
                                generation: job.generation,
                                image,
                            },
                        );
                    }
                });
            match spawned {
                Ok(_) => self.render_tx = Some(tx),
                Err(e) => {
                    return Self::send_from(
                        &self.ctx,
                        &self.results_tx,
                        JobResult::Error(format!("cannot start the render thread: {e}")),
                    );
                }
            }
        }
        if let Some(tx) = &self.render_tx {
            // The thread only ends with the app.
            let _ = tx.send(RenderJob {
                generation,
                result,
                screenshot,
                settings,
                compare,
            });
        }
    }

    /// Writes a clip of `session_id` to `path` on a `clip-export` thread (its own library
    /// connection; the frames are drawn and encoded there), reporting progress every few frames
    /// and the result.
    pub fn export_clip(
        &self,
        session_id: String,
        options: crate::clip::ClipOptions,
        path: PathBuf,
    ) {
        let (ctx, tx, library_path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("clip-export".to_owned())
            .spawn(move || {
                let result =
                    export_clip(&library_path, &session_id, &options, &path, &mut |d, t| {
                        if d == 1 || d % 10 == 0 || d == t {
                            Self::send_from(&ctx, &tx, JobResult::ClipProgress(d, t));
                        }
                    });
                Self::send_from(&ctx, &tx, JobResult::ClipExported(result));
            });
        if let Err(e) = spawned {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::ClipExported(Err(format!("cannot start the clip thread: {e}"))),
            );
        }
    }

    /// Rebuilds the page on screen at `offset_ms` of `session_id` from its recording and
    /// renders it with Chromium, on a `moment-render` thread (its own library connection, so
    /// the query worker is never held up by Chromium's seconds).
    pub fn render_moment(
        &self,
        session_id: String,
        offset_ms: i64,
        access: crate::render::chromium::Access,
    ) {
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("moment-render".to_owned())
            .spawn(move || {
                let result = render_moment(&path, &session_id, offset_ms, &access);
                Self::send_from(
                    &ctx,
                    &tx,
                    JobResult::MomentRendered {
                        session_id,
                        offset_ms,
                        result,
                    },
                );
            });
        if let Err(e) = spawned {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot start the render thread: {e}")),
            );
        }
    }

    /// Takes every result that has arrived.
    pub fn drain(&mut self) -> Vec<JobResult> {
        let mut out = Vec::new();
        while let Ok(result) = self.results_rx.try_recv() {
            if matches!(result, JobResult::ImportDone { .. }) {
                self.import_running = false;
            }
            out.push(result);
        }
        out
    }
}

/// Answers one query on `library` (a read worker's or the write worker's connection);
/// `report` sends progress on the way.
fn answer(
    library: &mut dyn Store,
    images: &mut ImageCache,
    query: Query,
    report: &dyn Fn(JobResult),
) -> JobResult {
    match query {
        Query::List {
            generation,
            filter,
            sort,
            offset,
            limit,
        } => {
            match (
                library.list_sessions(&filter, sort, offset, limit),
                library.count_sessions(&filter),
            ) {
                (Ok(rows), Ok(total)) => JobResult::List {
                    generation,
                    offset,
                    rows,
                    total,
                },
                (Err(e @ StoreError::Corrupt { .. }), _)
                | (_, Err(e @ StoreError::Corrupt { .. })) => {
                    JobResult::LibraryDamaged(e.to_string())
                }
                (Err(e), _) | (_, Err(e)) => JobResult::Error(format!("listing sessions: {e}")),
            }
        }
        Query::Load(id) => {
            let loaded = load_session(library, &id, images)
                .map(Box::new)
                .map_err(|e| e.to_string());
            JobResult::Session(id, loaded)
        }
        Query::AddNote {
            session_id,
            timestamp_ms,
            text,
        } => match library
            .add_note(&session_id, timestamp_ms, &text)
            .and_then(|_| library.notes(Some(&session_id)))
        {
            Ok(notes) => JobResult::Notes { session_id, notes },
            Err(e) => JobResult::Error(format!("could not save the note: {e}")),
        },
        Query::Hotspots {
            generation,
            filter,
            kinds,
            page,
            sort,
        } => JobResult::Hotspots {
            generation,
            result: library
                .hotspots(&filter, &kinds, page.as_deref(), sort)
                .map_err(|e| e.to_string()),
        },
        Query::SignalSettings => match library.signal_settings() {
            Ok(settings) => JobResult::SignalSettings(Box::new(settings)),
            Err(e) => JobResult::Error(format!("reading thresholds: {e}")),
        },
        Query::RecomputeSignals(settings) => JobResult::Recomputed(
            library
                .recompute_signals(&settings)
                .map_err(|e| e.to_string()),
        ),
        Query::HotspotSignals { kind, page, device } => {
            match library.signals(&SignalQuery {
                filter: SessionFilter {
                    device,
                    ..SessionFilter::default()
                },
                kinds: vec![kind],
                page: Some(page),
                ..SignalQuery::default()
            }) {
                Ok(list) => JobResult::HotspotSignals(list),
                Err(e) => JobResult::Error(format!("listing signals: {e}")),
            }
        }
        Query::HeatmapPages => match (
            library.page_groups(&SessionFilter::default()),
            library.screenshots(),
            library.custom_event_names(),
        ) {
            (Ok(groups), Ok(shots), Ok(events)) => JobResult::HeatmapPages {
                groups,
                shots,
                events,
            },
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                JobResult::Error(format!("listing pages: {e}"))
            }
        },
        Query::Heatmap {
            generation,
            query,
            compare: None,
        } => JobResult::Heatmap {
            generation,
            result: heatmap(library, &query, images, Moments::NotNeeded),
            compared: None,
        },
        Query::Heatmap {
            generation,
            query,
            compare: Some(preset),
        } => {
            let ((label_a, a), (label_b, b)) = query.split(&preset);
            // A comparison tests cells and bands over every page view of A and B.
            match (
                heatmap(library, &a, images, Moments::Needed),
                heatmap(library, &b, images, Moments::Needed),
            ) {
                (Ok(a), Ok((b, b_screenshot))) => JobResult::Heatmap {
                    generation,
                    compared: Some(Compared {
                        labels: (label_a, label_b),
                        tests: Arc::new(super::heatmap_view::CompareTests::new(&a.0, &b)),
                        b,
                        b_screenshot,
                    }),
                    result: Ok(a),
                },
                (Err(e), _) | (_, Err(e)) => JobResult::Heatmap {
                    generation,
                    result: Err(e),
                    compared: None,
                },
            }
        }
        Query::MomentsNear { query, pos_in_page } => {
            match library.heatmap_moments(
                &query,
                pos_in_page,
                super::heatmap_view::SPOT_RADIUS_PX,
                super::heatmap_view::MAX_MOMENTS,
            ) {
                Ok(moments) => spot_moments(library, &moments),
                Err(e) => {
                    JobResult::Error(format!("finding the moments behind a heatmap spot: {e}"))
                }
            }
        }
        Query::Moments(moments) => spot_moments(library, &moments),
        Query::Journeys {
            generation,
            filter,
            query,
            compare,
        } => {
            use super::journeys_view::JourneysAnswer;
            let answer = match compare {
                None => library.journeys(&filter, &query).map(JourneysAnswer::One),
                Some(preset) => {
                    let ((label_a, a), (label_b, b)) = preset.split(&filter);
                    library
                        .compare_journeys((&label_a, &a), (&label_b, &b), &query)
                        .map(JourneysAnswer::Two)
                }
            };
            JobResult::Journeys {
                generation,
                result: answer.map(Box::new).map_err(|e| format!("journeys: {e}")),
            }
        }
        Query::Elements {
            generation,
            query,
            layout_width,
            measure,
            compare,
        } => JobResult::Elements {
            generation,
            result: elements_answer(
                library,
                &query,
                layout_width,
                measure,
                compare.as_ref(),
                images,
            ),
        },
        Query::Forms {
            generation,
            filter,
            page,
        } => JobResult::Forms {
            generation,
            result: library
                .forms(&filter, page.as_ref())
                .map(Box::new)
                .map_err(|e| format!("forms: {e}")),
        },
        Query::NameForms(changes) => JobResult::FormsNamed(
            (|| -> Result<String, StoreError> {
                for c in &changes {
                    library.set_form_name(&c.page, &c.form, c.name.as_deref())?;
                }
                let named: Vec<&str> = changes.iter().filter_map(|c| c.name.as_deref()).collect();
                Ok(match named.first() {
                    Some(name) if changes.len() > 1 => {
                        format!("{} forms named {name:?} (merged)", changes.len())
                    }
                    Some(name) => format!("form named {name:?}"),
                    None => format!("name removed from {} form(s)", changes.len()),
                })
            })()
            .map_err(|e| format!("naming forms: {e}")),
        ),
        Query::Conversions {
            generation,
            filter,
            segment_by,
            steps,
            window_ms,
        } => JobResult::Conversions {
            generation,
            result: conversion_report(library, &filter, segment_by, steps, window_ms).map(Box::new),
        },
        Query::DefineEvent(def) => JobResult::EventDefinitionChanged(
            library
                .define_event(&def, &mut |step, done, total| {
                    if step == crate::store::WorkStep::Recomputing {
                        report(JobResult::GoalProgress(done, total));
                    }
                })
                .map(|d| {
                    let mut line = format!(
                        "{} defined: {} sessions, {} occurrences",
                        def.name, d.sessions, d.hits
                    );
                    if let Some(converted) = d.goal_converted {
                        line.push_str(&format!(
                            "; it is the conversion goal: {converted} sessions converted"
                        ));
                    }
                    line
                })
                .map_err(|e| format!("defining {}: {e}", def.name)),
        ),
        Query::SetConversionGoal(name) => JobResult::GoalChanged(
            library
                .set_conversion_goal(&name, &mut |_, done, total| {
                    report(JobResult::GoalProgress(done, total));
                })
                .map(|status| {
                    format!(
                        "Conversion goal: {} ({} of {} sessions converted)",
                        status.goal.name, status.converted, status.sessions
                    )
                })
                .map_err(|e| e.to_string()),
        ),
        Query::RenderVariantScreenshots {
            page,
            source,
            examples,
        } => JobResult::VariantScreenshots(
            crate::render::chromium::Chromium::find()
                .map_err(|e| e.to_string())
                .map(|chromium| {
                    let mut rendered = 0;
                    let mut failed = Vec::new();
                    for (variant, example) in examples {
                        let filter = crate::model::VariantFilter {
                            source: source.clone(),
                            variant,
                        };
                        match crate::snapshot::render_variant_screenshot(
                            library,
                            &chromium,
                            &crate::render::chromium::Access::default(),
                            &page,
                            &filter,
                            example,
                        ) {
                            Ok(_) => rendered += 1,
                            Err(e) => failed.push(format!("{}: {e}", filter.variant)),
                        }
                    }
                    (rendered, failed)
                }),
        ),
        Query::Variants { generation, query } => JobResult::Variants {
            generation,
            result: crate::store::variants::variants(library, &query).map_err(|e| e.to_string()),
        },
        Query::Sections {
            page,
            filter,
            widths,
            define,
            delete,
        } => JobResult::Sections(
            (|| -> Result<Vec<crate::store::SectionReach>, StoreError> {
                if let Some(section) = &define {
                    library.define_section(section)?;
                }
                if let Some(name) = &delete {
                    library.delete_section(name)?;
                }
                library
                    .sections()?
                    .iter()
                    .filter(|s| s.page == page)
                    .map(|s| library.section_reach(&filter, s, widths))
                    .collect()
            })()
            .map_err(|e| e.to_string()),
        ),
        Query::DeleteEventDefinition(name) => {
            JobResult::EventDefinitionChanged(match library.delete_event_definition(&name) {
                Ok(true) => Ok(format!("{name} deleted")),
                Ok(false) => Err(format!("no event named {name}")),
                Err(e) => Err(format!("deleting {name}: {e}")),
            })
        }
        Query::DeleteNote {
            session_id,
            note_id,
        } => match library
            .delete_note(note_id)
            .and_then(|_| library.notes(Some(&session_id)))
        {
            Ok(notes) => JobResult::Notes { session_id, notes },
            Err(e) => JobResult::Error(format!("could not delete the note: {e}")),
        },
    }
}

/// Which lane a query goes to (`true`: the write queue) and its kind for newest-wins.
fn lane_of(query: &Query) -> (bool, Option<JobKind>) {
    match query {
        Query::List { .. } => (false, Some(JobKind::List)),
        Query::Load(_) => (false, Some(JobKind::Load)),
        Query::Heatmap { .. } => (false, Some(JobKind::Heatmap)),
        Query::Moments(_) | Query::MomentsNear { .. } => (false, Some(JobKind::SpotMoments)),
        Query::Hotspots { .. } => (false, Some(JobKind::Hotspots)),
        Query::HotspotSignals { .. } => (false, Some(JobKind::HotspotSignals)),
        Query::Conversions { .. } => (false, Some(JobKind::Conversions)),
        Query::Journeys { .. } => (false, Some(JobKind::Journeys)),
        Query::Forms { .. } => (false, Some(JobKind::Forms)),
        Query::Elements { .. } => (false, Some(JobKind::Elements)),
        Query::Variants { .. } => (false, Some(JobKind::Variants)),
        Query::Sections {
            define: None,
            delete: None,
            ..
        } => (false, Some(JobKind::Sections)),
        Query::HeatmapPages | Query::SignalSettings => (false, None),
        Query::RecomputeSignals(_) => (true, Some(JobKind::Recompute)),
        Query::Sections { .. }
        | Query::AddNote { .. }
        | Query::DeleteNote { .. }
        | Query::DefineEvent(_)
        | Query::RenderVariantScreenshots { .. }
        | Query::NameForms(_)
        | Query::DeleteEventDefinition(_)
        | Query::SetConversionGoal(_) => (true, None),
    }
}

/// Shows the system dialog for `purpose`; `None` when nothing was chosen (or it could not open).
fn system_dialog(purpose: &DialogPurpose) -> Option<Vec<PathBuf>> {
    let dialog = rfd::FileDialog::new().set_title(purpose.title());
    let paths = match purpose.kind() {
        PickKind::Files => dialog
            .add_filter("Sessions", purpose.extensions())
            .pick_files(),
        PickKind::Folder => dialog.pick_folder().map(|p| vec![p]),
        PickKind::Save => purpose
            .extensions()
            .iter()
            .fold(dialog, |d, ext| d.add_filter(ext.to_uppercase(), &[*ext]))
            .set_file_name(purpose.suggested_name())
            .save_file()
            .map(|p| vec![p]),
    };
    paths.filter(|p| !p.is_empty())
}

/// Does what `purpose` says with the chosen paths (`None`: nothing chosen) and says how it
/// went; `None` when there is nothing to report (an export cancelled).
fn finish_dialog(
    library_path: &std::path::Path,
    purpose: DialogPurpose,
    answer: Option<Vec<PathBuf>>,
) -> Option<JobResult> {
    let first = answer.as_ref().and_then(|a| a.first().cloned());
    match purpose {
        DialogPurpose::OpenFiles | DialogPurpose::ImportFolder => Some(JobResult::Picked {
            paths: answer.unwrap_or_default(),
            open_first: matches!(purpose, DialogPurpose::OpenFiles),
        }),
        DialogPurpose::ExportReport { filter, steps } => {
            let Some(out_dir) = first else {
                return Some(JobResult::ReportWritten(Ok(None)));
            };
            let written = report_to_folder(library_path, filter, steps, out_dir);
            Some(JobResult::ReportWritten(written.map(Some)))
        }
        DialogPurpose::ExportHeatmap { image, .. } => {
            let path = first?;
            let result = crate::render::encode_png(&image)
                .map_err(|e| e.to_string())
                .and_then(|png| std::fs::write(&path, png).map_err(|e| e.to_string()));
            Some(match result {
                Ok(()) => JobResult::Exported(format!(
                    "Heatmap exported to {} ({} x {} px)",
                    path.display(),
                    image.width,
                    image.height
                )),
                Err(e) => {
                    JobResult::Error(format!("exporting the heatmap to {}: {e}", path.display()))
                }
            })
        }
        DialogPurpose::ExportClip {
            session_id,
            options,
        } => Some(JobResult::ClipTarget {
            session_id,
            options,
            path: first?,
        }),
        DialogPurpose::ExportNotes { notes, .. } => {
            let path = first?;
            let markdown = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"));
            let mut text = Vec::new();
            let written = if markdown {
                crate::format::notes::write_markdown(&mut text, &notes)
            } else {
                crate::format::notes::write_csv(&mut text, &notes)
            };
            Some(match written.and_then(|()| std::fs::write(&path, text)) {
                Ok(()) => JobResult::Exported(format!(
                    "{} notes exported to {}",
                    notes.len(),
                    path.display()
                )),
                Err(e) => JobResult::Error(format!("exporting notes to {}: {e}", path.display())),
            })
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // The library threads end when they next look (after the job they run).
        self.reads.close();
        self.writes.close();
    }
}

/// Decoded screenshots kept by the query worker, so switching between sessions over the same
/// pages decodes each PNG once.
#[derive(Default)]
struct ImageCache {
    images: std::collections::HashMap<String, Arc<PageImage>>,
}

/// Most decoded screenshots kept (a 1440 x 6000 page is 35 MB).
const IMAGE_CACHE_ENTRIES: usize = 24;

impl ImageCache {
    fn get(&mut self, library: &dyn Store, info: &ScreenshotInfo) -> Backdrop {
        if let Some(image) = self.images.get(&info.hash) {
            return Backdrop::Screenshot(Arc::clone(image));
        }
        let png = match library.screenshot_png(&info.hash) {
            Ok(Some(png)) => png,
            Ok(None) => return Backdrop::Missing,
            Err(e) => return Backdrop::Broken(e.to_string()),
        };
        match crate::render::decode_png(&png, &info.url) {
            Ok(image) => {
                if self.images.len() >= IMAGE_CACHE_ENTRIES {
                    self.images.clear();
                }
                let image = Arc::new(PageImage {
                    hash: info.hash.clone(),
                    layout_width: info.layout_width,
                    image,
                });
                self.images.insert(info.hash.clone(), Arc::clone(&image));
                Backdrop::Screenshot(image)
            }
            Err(e) => Backdrop::Broken(e.to_string()),
        }
    }
}

/// Loads `session_id` and writes its clip to `path`; the line for the status bar.
fn export_clip(
    library_path: &std::path::Path,
    session_id: &str,
    options: &crate::clip::ClipOptions,
    path: &std::path::Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<String, String> {
    let library = crate::store::open_store(library_path).map_err(|e| e.to_string())?;
    let source =
        crate::clip::ClipSource::load(&*library, session_id, options.from_ms, options.to_ms)
            .map_err(|e| e.to_string())?;
    let summary = crate::clip::write_clip(&source, options, path, &mut |d, t| {
        progress(d, t);
        true
    })
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Clip written to {} ({}, {} x {} px, {} frames, {} to {})",
        summary.path.display(),
        summary.format.as_str(),
        summary.width,
        summary.height,
        summary.frames,
        crate::clip::format_time(options.from_ms),
        crate::clip::format_time(options.to_ms)
    ))
}

/// The page of `session_id` at `offset_ms`, rebuilt and rendered with Chromium, decoded.
fn render_moment(
    library_path: &std::path::Path,
    session_id: &str,
    offset_ms: i64,
    access: &crate::render::chromium::Access,
) -> Result<super::replay::MomentShot, String> {
    let moment = {
        let (library, _) = open_app_library(library_path).map_err(|e| e.to_string())?;
        crate::snapshot::page_at_moment(library.as_ref(), session_id, offset_ms)
            .map_err(|e| e.to_string())?
    };
    let chromium = crate::render::chromium::Chromium::find().map_err(|e| e.to_string())?;
    let rendered =
        crate::snapshot::render_moment(&chromium, &moment, access).map_err(|e| e.to_string())?;
    let image =
        crate::render::decode_png(&rendered.png, &moment.page_url).map_err(|e| e.to_string())?;
    Ok(super::replay::MomentShot {
        page_index: moment.page_index,
        offset_ms: moment.offset_ms,
        changes_applied: moment.page.changes_applied,
        image: Arc::new(PageImage {
            hash: format!(
                "moment:{session_id}:{offset_ms}:{}:{}",
                access.fetch,
                crate::format::hash::sha256_hex(&rendered.png)
            ),
            layout_width: moment.layout_width,
            image,
        }),
    })
}

/// Loads a session with its screenshots (decoded) and notes, and builds the replay's indexes.
fn load_session(
    library: &dyn Store,
    id: &str,
    images: &mut ImageCache,
) -> Result<LoadedSession, crate::store::StoreError> {
    let session = library.load_session(id)?;
    let shots = library.screenshots()?;
    let backdrops = session
        .pages
        .iter()
        .map(|page| {
            let url = page
                .url
                .split_once('#')
                .map_or(page.url.as_str(), |(u, _)| u);
            let named = page
                .screenshot
                .as_deref()
                .and_then(|hash| shots.iter().find(|s| s.hash == hash));
            let closest = || {
                shots
                    .iter()
                    .filter(|s| s.url == url)
                    .min_by_key(|s| s.layout_width.abs_diff(page.viewport.width))
            };
            named
                .or_else(closest)
                .map_or(Backdrop::Missing, |info| images.get(library, info))
        })
        .collect();
    let notes = library.notes(Some(id))?;
    let signals = library.signals(&SignalQuery {
        session_id: Some(id.to_owned()),
        ..SignalQuery::default()
    })?;
    let mut loaded = LoadedSession::new(session, backdrops, notes, &signals);
    // Converted for the library's conversion goal, as stored.
    if let Some((converted, revenue)) = library.session_conversion(id)? {
        loaded.converted = converted;
        loaded.revenue = revenue;
    }
    Ok(loaded)
}

/// Aggregates a heatmap and finds the screenshot to draw it over (the chosen page's, or for a
/// pattern the first matching page's, at the layout width closest to the query's).
/// The screenshot a map of `page` is drawn over, nearest `layout_width`: a chosen variant's own
/// when one was rendered (`sessionlens variants --screenshots`, "Render each variant's
/// screenshot"), else the page's.
fn screenshot_for<'a>(
    shots: &'a [ScreenshotInfo],
    page: &str,
    variant: Option<&crate::model::VariantFilter>,
    layout_width: u32,
) -> Result<&'a ScreenshotInfo, String> {
    use crate::model::variant;
    let nearest = |key: &dyn Fn(&str) -> bool| {
        shots
            .iter()
            .filter(|s| key(&s.url))
            .min_by_key(|s| s.layout_width.abs_diff(layout_width))
    };
    let variant_key = variant.map(|v| variant::screenshot_key(page, v));
    variant_key
        .as_deref()
        .and_then(|k| nearest(&|url| url == k))
        .or_else(|| {
            nearest(&|url| {
                !variant::is_screenshot_key(url) && super::heatmap_view::page_matches(page, url)
            })
        })
        .ok_or_else(|| {
            format!(
                "no screenshot of {page} in the library; add one with `sessionlens screenshot add --url URL --width {layout_width} FILE.png`"
            )
        })
}

/// The sessions behind `moments` (a heatmap spot's), by id; a moment whose session was
/// deleted since is left out.
fn spot_moments(library: &dyn Store, moments: &[Moment]) -> JobResult {
    let found: Result<Vec<Option<SpotMoment>>, StoreError> = moments
        .iter()
        .map(|m| {
            Ok(library
                .session_id_of_rowid(m.session_rowid)?
                .map(|id| SpotMoment {
                    session_id: id,
                    timestamp_ms: m.timestamp_ms,
                    page_index: m.page_index,
                }))
        })
        .collect();
    match found {
        Ok(found) => JobResult::SpotMoments(found.into_iter().flatten().collect()),
        Err(e) => JobResult::Error(format!("finding the sessions behind a heatmap spot: {e}")),
    }
}

/// Whether a map's page views (`HeatmapResult::views`) are needed: for the moments behind a
/// spot, and for a comparison's tests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Moments {
    Needed,
    NotNeeded,
}

fn heatmap(
    library: &dyn Store,
    query: &HeatmapQuery,
    images: &mut ImageCache,
    moments: Moments,
) -> Result<(Arc<HeatmapResult>, Arc<RgbaImage>), String> {
    let shots = library.screenshots().map_err(|e| e.to_string())?;
    let shot = screenshot_for(
        &shots,
        &query.page,
        query.variant.as_ref(),
        query.layout_width_px,
    )?;
    let image = match images.get(library, shot) {
        Backdrop::Screenshot(page) => page,
        Backdrop::Missing => return Err(format!("the screenshot of {} is missing", shot.url)),
        Backdrop::Broken(e) => return Err(e),
    };
    let mut query = query.clone();
    query.layout_width_px = shot.layout_width;
    // Outside a comparison a map's figures alone draw it, which a server library answers
    // without sending a point: the moments behind a spot are then asked for when one is
    // picked (`Query::MomentsNear`). A scroll map has no spots at all.
    let result = if moments == Moments::NotNeeded
        && (query.kind == crate::analysis::heatmap::HeatmapKind::Scroll
            || library.prefers_figures())
    {
        library.heatmap_figures(&query)
    } else {
        crate::store::aggregate_heatmap(library, &query)
    }
    .map_err(|e| e.to_string())?;
    Ok((Arc::new(result), Arc::new(image.image.clone())))
}

/// The element mode's answer: the map (or A against B) of `query`, drawn over the page's
/// screenshot nearest `layout_width` by `render::elements`, as `sessionlens elements --png`
/// draws it.
fn elements_answer(
    library: &dyn Store,
    query: &crate::analysis::elements::ElementQuery,
    layout_width: u32,
    measure: crate::analysis::elements::ElementMeasure,
    compare: Option<&crate::analysis::compare::ComparePreset>,
    images: &mut ImageCache,
) -> Result<super::elements_view::ElementsResult, String> {
    use super::elements_view::ElementsAnswer;
    use crate::render::elements::{
        ElementRenderSettings, render_element_comparison, render_element_map,
    };
    let shots = library.screenshots().map_err(|e| e.to_string())?;
    let shot = screenshot_for(&shots, &query.page, query.variant.as_ref(), layout_width)?;
    let image = match images.get(library, shot) {
        Backdrop::Screenshot(page) => page,
        Backdrop::Missing => return Err(format!("the screenshot of {} is missing", shot.url)),
        Backdrop::Broken(e) => return Err(e),
    };
    let settings = ElementRenderSettings {
        layout_width_px: shot.layout_width,
        legend: true,
        caption: String::new(),
    };
    let e = |e: crate::store::StoreError| format!("elements: {e}");
    let (answer, picture) = match compare {
        None => {
            let map = library.elements(query, measure).map_err(e)?;
            let picture = render_element_map(&map, &image.image, &settings);
            (ElementsAnswer::Map(map), picture)
        }
        Some(preset) => {
            let ((label_a, qa), (label_b, qb)) = query.split(preset);
            let cmp = library
                .compare_elements(
                    (label_a.as_str(), &qa),
                    (label_b.as_str(), &qb),
                    crate::analysis::significance::DEFAULT_FDR,
                )
                .map_err(e)?;
            let picture = render_element_comparison(&cmp, &image.image, &settings);
            (ElementsAnswer::Compare(cmp), picture)
        }
    };
    Ok((Arc::new(answer), shot.layout_width, Arc::new(picture)))
}

/// Everything the conversions view shows: KPIs and funnel of all sessions and of each segment,
/// the first droppers of each step resolved to session ids, lift, and the definitions (the
/// standard ones are defined first where the data has them).
fn conversion_report(
    library: &mut dyn Store,
    filter: &SessionFilter,
    segment_by: Option<SegmentBy>,
    steps: Option<Vec<String>>,
    window_ms: Option<i64>,
) -> Result<ConversionReport, String> {
    let e = |e: crate::store::StoreError| e.to_string();
    library.ensure_standard_definitions().map_err(e)?;
    let goal = library.conversion_goal().map_err(e)?;
    let defs = library.event_definitions().map_err(e)?;
    let counts = library.event_session_counts().map_err(e)?;
    let known = |name: &str| defs.iter().any(|d| d.name == name);
    let steps = steps.unwrap_or_else(|| {
        super::conversions_view::default_steps(&goal.name)
            .into_iter()
            .filter(|n| known(n))
            .collect()
    });
    if let Some(missing) = steps.iter().find(|s| !known(s)) {
        return Err(format!(
            "the funnel step {missing:?} is not defined any more; remove it"
        ));
    }
    let facts = library.conversion_facts(filter, &[]).map_err(e)?;
    let segments = segment_by
        .map(|by| conv::segments(&facts, by))
        .unwrap_or_default();
    let mut kpis = vec![("All sessions".to_owned(), conv::kpis(&facts))];
    kpis.extend(segments.iter().map(|(n, f)| (n.clone(), conv::kpis(f))));
    let mut funnels = Vec::new();
    let mut droppers = vec![Vec::new(); steps.len()];
    if !steps.is_empty() {
        let all = conv::funnel(&facts, &steps, window_ms);
        for d in &all.droppers {
            let Some(list) = droppers.get_mut(d.reached) else {
                continue;
            };
            if list.len() < DROPPERS_SHOWN
                && let Some(session_id) = library.session_id_of_rowid(d.session_rowid).map_err(e)?
            {
                list.push(DropperRow {
                    session_id,
                    at_ms: d.at_ms,
                });
            }
        }
        funnels.push(("All sessions".to_owned(), all));
        for (name, f) in &segments {
            let mut funnel = conv::funnel(f, &steps, window_ms);
            funnel.droppers.clear();
            funnels.push((name.clone(), funnel));
        }
    }
    let names: Vec<String> = defs
        .iter()
        .map(|d| d.name.clone())
        .filter(|n| !goal.measures_conversion(n))
        .collect();
    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
    let lift = conv::lift(&facts, &names, &kinds);
    let weights: Vec<(String, u8)> = defs
        .iter()
        .filter_map(|d| d.weight.map(|w| (d.name.clone(), w)))
        .collect();
    let intent = conv::intent(&facts, &weights, &goal.name);
    let definitions = defs
        .into_iter()
        .map(|d| {
            let n = counts.get(&d.name).copied().unwrap_or(0);
            (d, n)
        })
        .collect();
    Ok(ConversionReport {
        sessions: facts.sessions.len(),
        kpis,
        steps,
        funnels,
        droppers,
        lift,
        intent,
        definitions,
        goal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Library;
    use crate::store::SessionQueries as _;

    /// Every note of a flood lands: the queue never drops a write, however fast they come,
    /// and writes asked for while the library is being rebuilt wait for it to reopen.
    #[test]
    fn a_flood_of_notes_and_definitions_all_land() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("library.sqlite");
        let mut library = Library::open(&path).expect("open");
        let sample = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample_sessions/rrweb/convert-desktop.json"
        ));
        library
            .import_paths(
                &[sample],
                &crate::format::ReadOptions::default(),
                &std::sync::atomic::AtomicBool::new(false),
                &mut |_, _| {},
            )
            .expect("import");
        let session_id = library
            .list_sessions(&SessionFilter::default(), SessionSort::NewestFirst, 0, 1)
            .expect("list")
            .remove(0)
            .session_id;
        drop(library);

        let ctx = egui::Context::default();
        let mut background = Background::start(&ctx, path.clone());
        const NOTES: usize = 500;
        for i in 0..NOTES {
            background.query(Query::AddNote {
                session_id: session_id.clone(),
                timestamp_ms: i as i64,
                text: format!("note {i}"),
            });
        }
        // While no worker runs (as during a rebuild), writes wait instead of being dropped.
        background.reads.close();
        background.writes.close();
        for i in 0..20 {
            background.query(Query::DefineEvent(Box::new(EventDefinition {
                name: format!("flood_{i}"),
                kind: conv::DefinitionKind::Custom,
                pattern: format!("tag_{i}"),
                value_from_event: false,
                stage: None,
                weight: None,
            })));
        }
        // The notes may still wait too (the writer opens the library first).
        assert!(background.pending_queries() >= 20);
        background.reopen();

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let (mut notes_answers, mut defined, mut errors) = (0, 0, Vec::new());
        while (notes_answers < NOTES || defined < 20) && std::time::Instant::now() < deadline {
            for result in background.drain() {
                match result {
                    JobResult::Notes { .. } => notes_answers += 1,
                    JobResult::EventDefinitionChanged(Ok(_)) => defined += 1,
                    JobResult::EventDefinitionChanged(Err(e)) => errors.push(e),
                    JobResult::Error(e) => errors.push(e),
                    _ => {}
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((notes_answers, defined), (NOTES, 20));
        let library = Library::open(&path).expect("reopen");
        assert_eq!(
            library.notes(Some(&session_id)).expect("notes").len(),
            NOTES
        );
        let names: Vec<String> = library
            .event_definitions()
            .expect("definitions")
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert!(
            (0..20).all(|i| names.contains(&format!("flood_{i}"))),
            "{names:?}"
        );
    }

    /// Reads asked while the library is not open wait; when it opens, only the newest of each
    /// kind is answered (the older list pages and session loads were superseded), and every
    /// write still lands.
    #[test]
    fn superseded_reads_are_dropped_and_writes_are_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("library.sqlite");
        let mut library = Library::open(&path).expect("open");
        library
            .import_paths(
                &[PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/sample_sessions/rrweb"
                ))],
                &crate::format::ReadOptions::default(),
                &std::sync::atomic::AtomicBool::new(false),
                &mut |_, _| {},
            )
            .expect("import");
        let ids: Vec<String> = library
            .list_sessions(&SessionFilter::default(), SessionSort::NewestFirst, 0, 3)
            .expect("list")
            .into_iter()
            .map(|r| r.session_id)
            .collect();
        drop(library);

        let ctx = egui::Context::default();
        let mut background = Background::start(&ctx, path);
        background.reads.close();
        background.writes.close();
        for generation in 1..=5 {
            background.query(Query::List {
                generation,
                filter: SessionFilter::default(),
                sort: SessionSort::NewestFirst,
                offset: 0,
                limit: 10,
            });
        }
        for id in &ids {
            background.query(Query::Load(id.clone()));
            background.query(Query::AddNote {
                session_id: id.clone(),
                timestamp_ms: 1,
                text: "kept".to_owned(),
            });
        }
        // One list, one load and three notes wait.
        assert_eq!(background.pending_queries(), 5);
        background.reopen();

        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let (mut lists, mut loads, mut notes) = (Vec::new(), Vec::new(), 0);
        while (lists.is_empty() || loads.is_empty() || notes < 3)
            && std::time::Instant::now() < deadline
        {
            for result in background.drain() {
                match result {
                    JobResult::List { generation, .. } => lists.push(generation),
                    JobResult::Session(id, loaded) => {
                        assert!(loaded.is_ok(), "{id}");
                        loads.push(id);
                    }
                    JobResult::Notes { .. } => notes += 1,
                    JobResult::Error(e) => panic!("{e}"),
                    _ => {}
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        for result in background.drain() {
            match result {
                JobResult::List { generation, .. } => lists.push(generation),
                JobResult::Session(id, _) => loads.push(id),
                _ => {}
            }
        }
        assert_eq!(lists, [5], "only the newest list is answered");
        assert_eq!(
            loads,
            [ids[2].clone()],
            "only the last session asked is loaded"
        );
        assert_eq!(notes, 3, "every write lands");
    }

    #[test]
    fn report_export_writes_the_summary_and_heatmaps_of_the_top_pages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("library.sqlite");
        let mut library = Library::open(&path).expect("open");
        library
            .import_paths(
                &[PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/sample_sessions/rrweb"
                ))],
                &crate::format::ReadOptions::default(),
                &std::sync::atomic::AtomicBool::new(false),
                &mut |_, _| {},
            )
            .expect("import");
        drop(library);
        let out = dir.path().join("report");
        let (written, files, _) =
            report_to_folder(&path, SessionFilter::default(), Vec::new(), out.clone())
                .expect("report");
        assert_eq!(written, out);
        assert!(files >= 4, "{files} files");
        let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary");
        assert!(summary.contains("http://shop.test/"), "{summary}");
    }
}
