//! The backend trait: every read and write the rest of the crate (cli, ui, report, snapshot,
//! demo, aggregation) does on a session library, in model and analysis types only. [`Library`]
//! (SQLite) implements it; a second backend (a column store such as ClickHouse) implements the
//! same and is chosen once, at open.
//!
//! Granularity: the questions are aggregation-shaped where a server could answer them without
//! shipping rows ([`Store::heatmap`], [`Store::hotspots`], [`Store::section_reach`],
//! [`Store::kpis`], [`Store::funnel`], [`Store::lift`], [`SessionQueries::page_groups`]); their
//! default implementations compose the finer reads below them with the pure functions of
//! `analysis`, which is what SQLite does. A backend overrides those it can push down.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::conversions::{Defined, GoalStatus, WorkStep};
use super::import::{FileOutcome, ImportProgress, ImportSummary};
use super::library::ScreenshotInfo;
use super::sections::{Section, SectionReach};
use super::signals::{RecomputeSummary, SignalQuery, StoredSignal};
use super::{HeatmapError, Library, SessionFilter, SessionQueries, SessionSort, StoreError};
use crate::analysis::conversions::{
    self, ConversionGoal, EventDefinition, Facts, Funnel, Kpis, Lift,
};
use crate::analysis::elements::{
    self, ElementComparison, ElementInput, ElementMap, ElementMeasure, ElementQuery,
};
use crate::analysis::forms::{self, FormName, FormsReport, SessionForms};
use crate::analysis::heatmap::{HeatmapQuery, HeatmapResult, Moment};
use crate::analysis::journeys::{self, JourneyComparison, JourneyQuery, Journeys, SessionPath};
use crate::analysis::signals::hotspots::{Hotspot, HotspotSort};
use crate::analysis::signals::{SignalKind, SignalSettings};
use crate::format::{Loaded, ReadOptions};
use crate::model::points::{HeatmapPageView, PageSignal, PointColumns, PointKind};
use crate::model::{Note, PagePos, Session, UrlPattern, VariantSource};

/// Stops what a library's connection is running, from another thread (SQLite's
/// `sqlite3_interrupt`; on ClickHouse, `KILL QUERY` of the connection's queries). It never
/// blocks its caller: the app calls it from its UI thread when a newer question supersedes
/// the running one.
pub trait Interrupt: Send {
    /// Interrupts whatever runs now; a no-op when nothing does.
    fn interrupt(&self);
}

impl Interrupt for rusqlite::InterruptHandle {
    fn interrupt(&self) {
        Self::interrupt(self);
    }
}

/// A session library, whatever holds it. Lists, counts and page groups come from
/// [`SessionQueries`].
pub trait Store: SessionQueries {
    /// Where the library is (a file path, `:memory:`, or a server URL without password), for
    /// messages.
    fn location(&self) -> &str;
    /// Why changes are refused, when the library may only be read (a read-only ClickHouse
    /// user): the message to show before offering a change. `None`: changes are allowed.
    fn read_only(&self) -> Option<String> {
        None
    }
    /// A way to stop what this library runs from another thread, when it has one: the app's
    /// read workers register it, so a superseded question stops at once instead of running on.
    fn interrupter(&self) -> Option<Box<dyn Interrupt>> {
        None
    }

    // Sessions.

    /// Number of sessions stored.
    fn num_sessions(&self) -> Result<u64, StoreError>;
    /// One whole session, for replay and export.
    fn load_session(&self, session_id: &str) -> Result<Session, StoreError>;
    /// One whole session by its row id (see [`HeatmapPageView::session_rowid`]).
    fn load_session_by_rowid(&self, session_rowid: i64) -> Result<Session, StoreError>;
    /// The session id of a row id, if stored.
    fn session_id_of_rowid(&self, session_rowid: i64) -> Result<Option<String>, StoreError>;
    /// The recording a session was imported from, when known.
    fn source_file(&self, session_id: &str) -> Result<Option<String>, StoreError>;
    /// For page snapshots: per session (all, or one), its id, its recording, and its page views'
    /// `(url, viewport width, deepest scroll)`, sessions by recording file, start time and id
    /// (so every backend, and any import order, gives the same list).
    #[expect(
        clippy::type_complexity,
        reason = "the shape Library has always returned"
    )]
    fn snapshot_sources(
        &self,
        session_id: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, Vec<(String, u32, f32)>)>, StoreError>;
    /// Custom event names with the number of sessions that sent each.
    fn custom_event_names(&self) -> Result<Vec<(String, u64)>, StoreError>;

    // Import.

    /// Imports files and folders (each import unit all or nothing), reporting each unit.
    fn import_paths(
        &mut self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, StoreError>;
    /// Stores already-read sessions (the demo generator, tests) as one import unit named `file`.
    fn insert_loaded(&mut self, file: &str, loaded: &Loaded) -> Result<FileOutcome, StoreError>;
    /// Makes everything imported so far as quick to read as the rest (SQLite folds the newest
    /// point blobs into their page-clustered table); returns how many rows moved.
    fn fold_recent_points(&mut self) -> Result<usize, StoreError>;

    // Heatmaps.

    /// The page views of `page` (exact URL without fragment, or a pattern) within
    /// `viewport_widths` of the sessions matching `filter`, in `(session_rowid, page_index)` order.
    fn heatmap_page_views(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<Vec<HeatmapPageView>, StoreError>;
    /// Calls `f(view index, columns)` for each of `views` with points of `kind`, the columns
    /// borrowed (streamed, never collected).
    fn for_each_point_blob(
        &self,
        views: &[HeatmapPageView],
        kind: PointKind,
        f: &mut dyn FnMut(usize, PointColumns<'_>),
    ) -> Result<(), StoreError>;
    /// Rage or dead signals (`kind` as stored: `rage_click`, `dead_click`) with a position on
    /// any of `views`.
    fn page_signals(
        &self,
        views: &[HeatmapPageView],
        kind: &str,
    ) -> Result<Vec<PageSignal>, StoreError>;
    /// The variant of each of `views` under `source` (`None`: none), in their order. The
    /// default reads URL parameters from the page views and everything else from the bodies
    /// of the sessions behind them ([`super::variants::from_bodies`]).
    fn page_view_variants(
        &self,
        views: &[HeatmapPageView],
        source: &VariantSource,
    ) -> Result<Vec<Option<String>>, StoreError> {
        super::variants::from_bodies(self, views, source)
    }
    /// One whole map. The default streams the point columns into `analysis::heatmap`
    /// ([`super::aggregate_heatmap_from`]); a server that bins points itself overrides it.
    fn heatmap(&self, query: &HeatmapQuery) -> Result<HeatmapResult, HeatmapError> {
        super::aggregate::compose(self, query)
    }
    /// One map to draw or report: every figure of [`Store::heatmap`] (counts, grid, hotspots
    /// with their elements, reach, fold, dates) with `views` and `point_refs` left empty, so
    /// a server that bins points itself never sends them. The moments behind a spot and the
    /// cell tests of a comparison need [`Store::heatmap`].
    fn heatmap_figures(&self, query: &HeatmapQuery) -> Result<HeatmapResult, HeatmapError> {
        let mut result = self.heatmap(query)?;
        result.views = Vec::new();
        result.point_refs = Vec::new();
        Ok(result)
    }
    /// The moments behind a spot of `query`'s map: those of its counted points within
    /// `radius_px` of `pos_in_page`, at most `limit`, in session order
    /// ([`HeatmapResult::moments_near`] of [`Store::heatmap`], which the default takes).
    fn heatmap_moments(
        &self,
        query: &HeatmapQuery,
        pos_in_page: PagePos,
        radius_px: f32,
        limit: usize,
    ) -> Result<Vec<Moment>, HeatmapError> {
        Ok(self
            .heatmap(query)?
            .moments_near(pos_in_page, radius_px, limit))
    }
    /// True when [`Store::heatmap_figures`] and [`Store::heatmap_moments`] cost far less than
    /// [`Store::heatmap`] (a server that bins points itself): the app then draws a map from
    /// its figures and asks for a spot's moments when one is picked, instead of holding every
    /// point of the map.
    fn prefers_figures(&self) -> bool {
        false
    }

    // Element maps.

    /// What an element map of `query` is computed from: its page views, each click with its
    /// target element, and their rage, dead and error click signals. The default reads the
    /// bodies of the sessions behind the page views ([`super::elements::compose_input`]).
    fn element_input(&self, query: &ElementQuery) -> Result<ElementInput, StoreError> {
        super::elements::compose_input(self, query)
    }
    /// The element map of `query`, ranked by `measure` (aggregation-shaped).
    fn elements(
        &self,
        query: &ElementQuery,
        measure: ElementMeasure,
    ) -> Result<ElementMap, StoreError> {
        Ok(elements::element_map(&self.element_input(query)?, measure))
    }
    /// A against B per element, each tested, Benjamini–Hochberg at `fdr` over the elements
    /// (aggregation-shaped).
    fn compare_elements(
        &self,
        (label_a, query_a): (&str, &ElementQuery),
        (label_b, query_b): (&str, &ElementQuery),
        fdr: f64,
    ) -> Result<ElementComparison, StoreError> {
        let a = self.element_input(query_a)?;
        let b = self.element_input(query_b)?;
        Ok(elements::compare_elements(
            (label_a, &a),
            (label_b, &b),
            fdr,
        ))
    }

    // Screenshots.

    /// Stores a page screenshot for `(url, layout_width)`.
    fn add_screenshot(
        &mut self,
        url: &str,
        layout_width: u32,
        png: Vec<u8>,
        origin: &str,
    ) -> Result<ScreenshotInfo, StoreError>;
    /// Every stored screenshot.
    fn screenshots(&self) -> Result<Vec<ScreenshotInfo>, StoreError>;
    /// The screenshot of `url` at the layout nearest `layout_width`, if any.
    fn screenshot_for(
        &self,
        url: &str,
        layout_width: u32,
    ) -> Result<Option<ScreenshotInfo>, StoreError>;
    /// A screenshot's PNG bytes by hash.
    fn screenshot_png(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError>;

    // Signals and hotspots.

    /// The signal thresholds (library setting), or the defaults.
    fn signal_settings(&self) -> Result<SignalSettings, StoreError>;
    /// Stores new thresholds and detects every session's signals again.
    fn recompute_signals(
        &mut self,
        settings: &SignalSettings,
    ) -> Result<RecomputeSummary, StoreError>;
    /// One session's signals, in time order.
    fn session_signals(&self, session_id: &str) -> Result<Vec<StoredSignal>, StoreError>;
    /// Signals over the library, filtered.
    fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, StoreError>;
    /// The hotspot table (aggregation-shaped: counts per kind, page and element or cell).
    fn hotspots(
        &self,
        filter: &SessionFilter,
        kinds: &[SignalKind],
        page: Option<&str>,
        sort: HotspotSort,
    ) -> Result<Vec<Hotspot>, StoreError>;

    // Event definitions and conversions.

    /// The defined events.
    fn event_definitions(&self) -> Result<Vec<EventDefinition>, StoreError>;
    /// Defines (or redefines) an event and matches it against every session.
    fn define_event(
        &mut self,
        def: &EventDefinition,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<Defined, StoreError>;
    /// Deletes a definition; `false` when there was none.
    fn delete_event_definition(&mut self, name: &str) -> Result<bool, StoreError>;
    /// Defines the standard events the data has; returns the names defined.
    fn ensure_standard_definitions(&mut self) -> Result<Vec<String>, StoreError>;
    /// The conversion goal.
    fn conversion_goal(&self) -> Result<ConversionGoal, StoreError>;
    /// The goal and whether its conversion flags are up to date.
    fn goal_status(&self) -> Result<GoalStatus, StoreError>;
    /// Sets the conversion goal and recomputes which sessions converted.
    fn set_conversion_goal(
        &mut self,
        name: &str,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<GoalStatus, StoreError>;
    /// Whether a session converted, and its revenue.
    fn session_conversion(
        &self,
        session_id: &str,
    ) -> Result<Option<(bool, Option<f64>)>, StoreError>;
    /// Sessions that hit each defined event.
    fn event_session_counts(&self) -> Result<HashMap<String, u64>, StoreError>;
    /// The per-session facts KPIs, funnels and lift are computed from (sessions matching
    /// `filter`, hits of the definitions `names`, all when empty).
    fn conversion_facts(
        &self,
        filter: &SessionFilter,
        names: &[String],
    ) -> Result<Facts, StoreError>;
    /// KPIs of the sessions matching `filter`.
    fn kpis(&self, filter: &SessionFilter) -> Result<Kpis, StoreError> {
        Ok(conversions::kpis(&self.conversion_facts(filter, &[])?))
    }
    /// The funnel of `steps` (definition names) within `window_ms` of the first step.
    fn funnel(
        &self,
        filter: &SessionFilter,
        steps: &[String],
        window_ms: Option<i64>,
    ) -> Result<Funnel, StoreError> {
        let facts = self.conversion_facts(filter, steps)?;
        Ok(conversions::funnel(&facts, steps, window_ms))
    }
    /// Conversion lift of sessions that hit each of `names` or had each of `signal_kinds`.
    fn lift(
        &self,
        filter: &SessionFilter,
        names: &[String],
        signal_kinds: &[&str],
    ) -> Result<Vec<Lift>, StoreError> {
        let facts = self.conversion_facts(filter, names)?;
        Ok(conversions::lift(&facts, names, signal_kinds))
    }

    // Journeys.

    /// The page views, in order, of every session matching `filter`, with the kinds of the
    /// signals of each page view and whether the session converted.
    fn journey_paths(&self, filter: &SessionFilter) -> Result<Vec<SessionPath>, StoreError>;
    /// The journey map of the sessions matching `filter` (aggregation-shaped).
    fn journeys(
        &self,
        filter: &SessionFilter,
        query: &JourneyQuery,
    ) -> Result<Journeys, StoreError> {
        Ok(journeys::journeys(&self.journey_paths(filter)?, query))
    }
    /// The journey maps of two segments (each a label and a filter) on one node layout
    /// (aggregation-shaped).
    fn compare_journeys(
        &self,
        (label_a, filter_a): (&str, &SessionFilter),
        (label_b, filter_b): (&str, &SessionFilter),
        query: &JourneyQuery,
    ) -> Result<JourneyComparison, StoreError> {
        let a = self.journey_paths(filter_a)?;
        let b = self.journey_paths(filter_b)?;
        Ok(journeys::compare_journeys(
            (label_a, &a),
            (label_b, &b),
            query,
        ))
    }

    // Forms.

    /// The form facts (`analysis::forms::SessionForms`) of every session matching `filter`,
    /// counting only the page views whose URL matches `page` when given. The default reads
    /// each session's body and derives them (docs/FORMS.md); with a page pattern and no URL in
    /// `filter`, only the sessions that visited such a page are read.
    fn form_facts(
        &self,
        filter: &SessionFilter,
        page: Option<&UrlPattern>,
    ) -> Result<Vec<SessionForms>, StoreError> {
        let narrowed = forms::sessions_for_page(filter, page);
        let rows = self.list_sessions(&narrowed, SessionSort::OldestFirst, 0, u64::MAX)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let session = self.load_session(&row.session_id)?;
            out.push(forms::session_forms(&session, page));
        }
        Ok(out)
    }
    /// The form tables of the sessions matching `filter` on the pages matching `page`, with
    /// the names given to forms applied (aggregation-shaped).
    fn forms(
        &self,
        filter: &SessionFilter,
        page: Option<&UrlPattern>,
    ) -> Result<FormsReport, StoreError> {
        let names = self.form_names()?;
        Ok(forms::forms_named(&self.form_facts(filter, page)?, &names))
    }

    /// The names given to forms (forms sharing a name are merged), by page then form.
    fn form_names(&self) -> Result<Vec<FormName>, StoreError>;

    /// Names the form `form` of page `page` (as the form table lists them), or removes its name
    /// with `None`. Returns false when removing a name the form did not have.
    fn set_form_name(&self, page: &str, form: &str, name: Option<&str>)
    -> Result<bool, StoreError>;

    // Sections.

    /// Defines (or redefines) a page section.
    fn define_section(&self, section: &Section) -> Result<(), StoreError>;
    /// Deletes a section; `false` when there was none.
    fn delete_section(&self, name: &str) -> Result<bool, StoreError>;
    /// The defined sections.
    fn sections(&self) -> Result<Vec<Section>, StoreError>;
    /// How many page views reached a section, and their conversion (aggregation-shaped).
    fn section_reach(
        &self,
        filter: &SessionFilter,
        section: &Section,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<SectionReach, StoreError>;

    // Notes.

    /// Adds a reviewer note at a moment of a session.
    fn add_note(&self, session_id: &str, timestamp_ms: i64, text: &str)
    -> Result<Note, StoreError>;
    /// Changes a note's text; `false` when there is no such note.
    fn update_note(&self, note_id: i64, text: &str) -> Result<bool, StoreError>;
    /// Deletes a note; `false` when there was none.
    fn delete_note(&self, note_id: i64) -> Result<bool, StoreError>;
    /// One note.
    fn note(&self, note_id: i64) -> Result<Option<Note>, StoreError>;
    /// Notes of one session, or of all, in time order.
    fn notes(&self, session_id: Option<&str>) -> Result<Vec<Note>, StoreError>;
}

/// SQLite: each method is the library's own (inherent) method of the same name.
impl Store for Library {
    fn location(&self) -> &str {
        self.path()
    }
    fn interrupter(&self) -> Option<Box<dyn Interrupt>> {
        Some(Box::new(self.conn.get_interrupt_handle()))
    }
    fn num_sessions(&self) -> Result<u64, StoreError> {
        Self::num_sessions(self)
    }
    fn load_session(&self, session_id: &str) -> Result<Session, StoreError> {
        Self::load_session(self, session_id)
    }
    fn load_session_by_rowid(&self, session_rowid: i64) -> Result<Session, StoreError> {
        Self::load_session_by_rowid(self, session_rowid)
    }
    fn session_id_of_rowid(&self, session_rowid: i64) -> Result<Option<String>, StoreError> {
        Self::session_id_of_rowid(self, session_rowid)
    }
    fn source_file(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        Self::source_file(self, session_id)
    }
    fn snapshot_sources(
        &self,
        session_id: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, Vec<(String, u32, f32)>)>, StoreError> {
        Self::snapshot_sources(self, session_id)
    }
    fn custom_event_names(&self) -> Result<Vec<(String, u64)>, StoreError> {
        Self::custom_event_names(self)
    }
    fn import_paths(
        &mut self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, StoreError> {
        Self::import_paths(self, paths, options, cancel, on_progress)
    }
    fn insert_loaded(&mut self, file: &str, loaded: &Loaded) -> Result<FileOutcome, StoreError> {
        Self::insert_loaded(self, file, loaded)
    }
    fn fold_recent_points(&mut self) -> Result<usize, StoreError> {
        Self::fold_recent_points(self)
    }
    fn heatmap_page_views(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<Vec<HeatmapPageView>, StoreError> {
        Self::heatmap_page_views(self, filter, page, viewport_widths)
    }
    fn for_each_point_blob(
        &self,
        views: &[HeatmapPageView],
        kind: PointKind,
        f: &mut dyn FnMut(usize, PointColumns<'_>),
    ) -> Result<(), StoreError> {
        Self::for_each_point_blob(self, views, kind, f)
    }
    fn page_signals(
        &self,
        views: &[HeatmapPageView],
        kind: &str,
    ) -> Result<Vec<PageSignal>, StoreError> {
        Self::page_signals(self, views, kind)
    }
    /// The portable composition, in one read transaction (one snapshot, file locks taken once).
    fn heatmap(&self, query: &HeatmapQuery) -> Result<HeatmapResult, HeatmapError> {
        self.read_snapshot(|| super::aggregate::compose(self, query))
    }
    /// The portable composition, in one read transaction.
    fn element_input(&self, query: &ElementQuery) -> Result<ElementInput, StoreError> {
        self.read_snapshot(|| super::elements::compose_input(self, query))
    }
    fn add_screenshot(
        &mut self,
        url: &str,
        layout_width: u32,
        png: Vec<u8>,
        origin: &str,
    ) -> Result<ScreenshotInfo, StoreError> {
        Self::add_screenshot(self, url, layout_width, png, origin)
    }
    fn screenshots(&self) -> Result<Vec<ScreenshotInfo>, StoreError> {
        Self::screenshots(self)
    }
    fn screenshot_for(
        &self,
        url: &str,
        layout_width: u32,
    ) -> Result<Option<ScreenshotInfo>, StoreError> {
        Self::screenshot_for(self, url, layout_width)
    }
    fn screenshot_png(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Self::screenshot_png(self, hash)
    }
    fn signal_settings(&self) -> Result<SignalSettings, StoreError> {
        Self::signal_settings(self)
    }
    fn recompute_signals(
        &mut self,
        settings: &SignalSettings,
    ) -> Result<RecomputeSummary, StoreError> {
        Self::recompute_signals(self, settings)
    }
    fn session_signals(&self, session_id: &str) -> Result<Vec<StoredSignal>, StoreError> {
        Self::session_signals(self, session_id)
    }
    fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, StoreError> {
        Self::signals(self, query)
    }
    fn hotspots(
        &self,
        filter: &SessionFilter,
        kinds: &[SignalKind],
        page: Option<&str>,
        sort: HotspotSort,
    ) -> Result<Vec<Hotspot>, StoreError> {
        Self::hotspots(self, filter, kinds, page, sort)
    }
    fn event_definitions(&self) -> Result<Vec<EventDefinition>, StoreError> {
        Self::event_definitions(self)
    }
    fn define_event(
        &mut self,
        def: &EventDefinition,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<Defined, StoreError> {
        Self::define_event(self, def, on_progress)
    }
    fn delete_event_definition(&mut self, name: &str) -> Result<bool, StoreError> {
        Self::delete_event_definition(self, name)
    }
    fn ensure_standard_definitions(&mut self) -> Result<Vec<String>, StoreError> {
        Self::ensure_standard_definitions(self)
    }
    fn conversion_goal(&self) -> Result<ConversionGoal, StoreError> {
        Self::conversion_goal(self)
    }
    fn goal_status(&self) -> Result<GoalStatus, StoreError> {
        Self::goal_status(self)
    }
    fn set_conversion_goal(
        &mut self,
        name: &str,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<GoalStatus, StoreError> {
        Self::set_conversion_goal(self, name, on_progress)
    }
    fn session_conversion(
        &self,
        session_id: &str,
    ) -> Result<Option<(bool, Option<f64>)>, StoreError> {
        Self::session_conversion(self, session_id)
    }
    fn event_session_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        Self::event_session_counts(self)
    }
    fn conversion_facts(
        &self,
        filter: &SessionFilter,
        names: &[String],
    ) -> Result<Facts, StoreError> {
        Self::conversion_facts(self, filter, names)
    }
    fn journey_paths(&self, filter: &SessionFilter) -> Result<Vec<SessionPath>, StoreError> {
        Self::journey_paths(self, filter)
    }
    fn form_facts(
        &self,
        filter: &SessionFilter,
        page: Option<&UrlPattern>,
    ) -> Result<Vec<SessionForms>, StoreError> {
        Self::form_facts(self, filter, page)
    }
    fn form_names(&self) -> Result<Vec<FormName>, StoreError> {
        Self::form_names(self)
    }
    fn set_form_name(
        &self,
        page: &str,
        form: &str,
        name: Option<&str>,
    ) -> Result<bool, StoreError> {
        Self::set_form_name(self, page, form, name)
    }

    fn define_section(&self, section: &Section) -> Result<(), StoreError> {
        Self::define_section(self, section)
    }
    fn delete_section(&self, name: &str) -> Result<bool, StoreError> {
        Self::delete_section(self, name)
    }
    fn sections(&self) -> Result<Vec<Section>, StoreError> {
        Self::sections(self)
    }
    fn section_reach(
        &self,
        filter: &SessionFilter,
        section: &Section,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<SectionReach, StoreError> {
        Self::section_reach(self, filter, section, viewport_widths)
    }
    fn add_note(
        &self,
        session_id: &str,
        timestamp_ms: i64,
        text: &str,
    ) -> Result<Note, StoreError> {
        Self::add_note(self, session_id, timestamp_ms, text)
    }
    fn update_note(&self, note_id: i64, text: &str) -> Result<bool, StoreError> {
        Self::update_note(self, note_id, text)
    }
    fn delete_note(&self, note_id: i64) -> Result<bool, StoreError> {
        Self::delete_note(self, note_id)
    }
    fn note(&self, note_id: i64) -> Result<Option<Note>, StoreError> {
        Self::note(self, note_id)
    }
    fn notes(&self, session_id: Option<&str>) -> Result<Vec<Note>, StoreError> {
        Self::notes(self, session_id)
    }
}

/// True when `location` names a library on a server (a `clickhouse://` URL) rather than a
/// SQLite file.
#[must_use]
pub fn is_server_location(location: &std::path::Path) -> bool {
    location
        .to_str()
        .is_some_and(super::clickhouse::LibraryUrl::is_clickhouse)
}

/// Opens the library at `location` with the backend it names, chosen once here: a
/// `clickhouse://USER@HOST:PORT/DATABASE` URL opens a [`super::clickhouse::ClickHouseLibrary`]
/// (password from `SESSIONLENS_CLICKHOUSE_PASSWORD` or the file named by
/// `SESSIONLENS_CLICKHOUSE_PASSWORD_FILE`); anything else is a SQLite file, created when
/// missing.
pub fn open_store(location: &std::path::Path) -> Result<Box<dyn Store>, StoreError> {
    if is_server_location(location) {
        let text = location.to_string_lossy();
        return Ok(Box::new(super::clickhouse::ClickHouseLibrary::open_url(
            &text,
        )?));
    }
    Ok(Box::new(Library::open(location)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::conversions::default_funnel;
    use crate::analysis::heatmap::HeatmapKind;
    use crate::demo::{GenerateOptions, fill_library};

    /// A demo library reached only through the trait, as a second backend would be.
    fn demo_store(sessions: usize) -> Box<dyn Store> {
        let mut store: Box<dyn Store> = Box::new(Library::open_in_memory().unwrap());
        let options = GenerateOptions {
            sessions,
            seed: 11,
            ..GenerateOptions::default()
        };
        let cancel = AtomicBool::new(false);
        fill_library(store.as_mut(), &options, &cancel, &mut |_, _| {}).unwrap();
        store.ensure_standard_definitions().unwrap();
        store
    }

    #[test]
    fn the_aggregation_shaped_defaults_answer_as_the_facts_do() {
        let store = demo_store(300);
        let all = SessionFilter::default();
        let facts = store.conversion_facts(&all, &[]).unwrap();
        let kpis = store.kpis(&all).unwrap();
        assert_eq!(kpis, conversions::kpis(&facts));
        assert_eq!(kpis.sessions, 300);
        assert!(kpis.purchases > 0 && kpis.purchases < 300);
        let steps = default_funnel(&store.conversion_goal().unwrap().name);
        let funnel = store.funnel(&all, &steps, None).unwrap();
        assert_eq!(funnel, conversions::funnel(&facts, &steps, None));
        assert_eq!(funnel.steps.len(), steps.len());
        assert!(funnel.steps[0].sessions >= funnel.steps[steps.len() - 1].sessions);
        assert!(funnel.steps[steps.len() - 1].sessions > 0);
        let lift = store.lift(&all, &steps, &["rage_click"]).unwrap();
        assert_eq!(lift, conversions::lift(&facts, &steps, &["rage_click"]));
    }

    #[test]
    fn a_heatmap_through_the_trait_is_the_portable_composition() {
        let store = demo_store(120);
        let top = store.page_groups(&SessionFilter::default()).unwrap();
        let page = &top.first().unwrap().url;
        for kind in [
            HeatmapKind::Click,
            HeatmapKind::Move,
            HeatmapKind::Attention,
        ] {
            let query = HeatmapQuery::new(page, kind, 1440);
            // Library's answer (in a read snapshot) and the default every backend inherits.
            let sqlite = super::super::aggregate_heatmap(store.as_ref(), &query).unwrap();
            let portable = super::super::aggregate::compose(store.as_ref(), &query).unwrap();
            assert_eq!(sqlite, portable, "{kind:?}");
            assert!(sqlite.page_views > 0, "{kind:?}");
        }
        let clicks = store
            .heatmap(&HeatmapQuery::new(page, HeatmapKind::Click, 1440))
            .unwrap();
        assert!(clicks.points > 0);
    }

    #[test]
    fn an_element_map_through_the_trait_places_every_click_of_the_page_once() {
        use crate::analysis::elements::{ElementMeasure, ElementQuery};
        let store = demo_store(150);
        let all = SessionFilter::default();
        let page = store
            .page_groups(&all)
            .unwrap()
            .first()
            .unwrap()
            .url
            .clone();
        let query = ElementQuery {
            page: page.clone(),
            ..ElementQuery::default()
        };
        let views = store.heatmap_page_views(&all, &page, None).unwrap();
        let clicks: u64 = views.iter().map(|v| u64::from(v.num_clicks)).sum();
        let map = store.elements(&query, ElementMeasure::Clicks).unwrap();
        assert_eq!(map.page_views, views.len() as u64);
        assert!(!map.elements.is_empty());
        // Each click of the page's views is in one row, or counted as without an element.
        assert_eq!(map.clicks + map.clicks_without_element, clicks);
        assert_eq!(
            map.elements.iter().map(|e| e.clicks).sum::<u64>(),
            map.clicks
        );
        // Conversion comes from the goal in force: the page's rate is the facts' rate.
        let facts = store
            .conversion_facts(
                &SessionFilter {
                    url: Some(page.clone()),
                    ..SessionFilter::default()
                },
                &[],
            )
            .unwrap();
        let converted = facts.sessions.iter().filter(|s| s.converted).count() as u64;
        assert_eq!(map.converted_sessions, converted);
        assert_eq!(map.sessions, facts.sessions.len() as u64);
        // The default composition and SQLite's (in a read snapshot) agree.
        let portable = crate::analysis::elements::element_map(
            &super::super::compose_element_input(store.as_ref(), &query).unwrap(),
            ElementMeasure::Clicks,
        );
        assert_eq!(portable, map);
    }

    #[test]
    fn open_store_opens_a_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.sqlite");
        let store = open_store(&path).unwrap();
        assert_eq!(store.num_sessions().unwrap(), 0);
        assert_eq!(store.location(), path.to_string_lossy());
    }
}
