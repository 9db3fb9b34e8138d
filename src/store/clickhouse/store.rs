//! The backend traits for a ClickHouse library ([`Store`], [`crate::store::SessionQueries`] in
//! `read`), and the reads and writes only they need: signal settings and their recompute,
//! journeys' page paths, snapshot sources, and storing already-read sessions.
//!
//! Every change checks first that the library's user may write ([`StoreError::ReadOnly`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::rowbinary::{RowReader, RowWriter, quote};
use super::state::{SIGNAL_VERSION_KEY, next_version};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::{ConversionGoal, EventDefinition, Facts, Funnel, Kpis, Lift};
use crate::analysis::forms::FormName;
use crate::analysis::heatmap::{HeatmapKind, HeatmapQuery, HeatmapResult, Moment};
use crate::analysis::journeys::{PathStep, SessionPath};
use crate::analysis::signals::hotspots::{Hotspot, HotspotSort};
use crate::analysis::signals::{SignalKind, SignalSettings};
use crate::format::{Loaded, ReadOptions};
use crate::model::points::{HeatmapPageView, PageSignal, PointColumns, PointKind};
use crate::model::{Note, PagePos, Session, SessionFilter};
use crate::store::{
    Defined, FileOutcome, FileStatus, GoalStatus, HeatmapError, ImportProgress, ImportSummary,
    RecomputeSummary, SIGNAL_SETTINGS_KEY, ScreenshotInfo, Section, SectionReach, SignalQuery,
    Store, StoreError, StoredSignal, WorkStep,
};

/// Signals written per insert while recomputing (bytes of RowBinary).
const SIGNAL_BATCH_BYTES: usize = 8 << 20;

impl ClickHouseLibrary {
    /// The signal thresholds stored in the library, or the defaults.
    pub fn signal_settings(&self) -> Result<SignalSettings, ClickHouseError> {
        Ok(self.state()?.signal_settings)
    }

    /// Stores new thresholds and detects every session's signals again: the new signals are
    /// written under a new version, then the thresholds and that version are published
    /// together, so readers see either the old signals or the new ones.
    pub fn recompute_signals(
        &self,
        settings: &SignalSettings,
    ) -> Result<RecomputeSummary, ClickHouseError> {
        self.writable()?;
        let json =
            serde_json::to_string(settings).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let version = next_version(self.signal_version()?);
        let table = format!(
            "{} (kind, session_id, batch_id, session_rowid, signal_index, page_index, page_url, start_ms, end_ms, x, y, target, severity, detail, num_clicks, signal_version)",
            self.table("signals")
        );
        let mut summary = RecomputeSummary::default();
        let mut w = RowWriter::default();
        self.for_each_stored_session(&mut |id, batch_id, session| {
            let rowid = super::import::session_rowid(id);
            let found = crate::analysis::derive::signals(&session, settings);
            for (signal_index, signal) in found.iter().enumerate() {
                w.str(signal.kind.as_str())
                    .str(id)
                    .u64(batch_id)
                    .i64(rowid)
                    .u32(u32::try_from(signal_index).unwrap_or(u32::MAX))
                    .u32(signal.page_index)
                    .str(
                        session
                            .pages
                            .get(signal.page_index as usize)
                            .map_or("", |p| p.url_without_fragment()),
                    )
                    .i64(signal.start_ms)
                    .i64(signal.end_ms)
                    .opt_f64(signal.pos_in_page.map(|p| f64::from(p.x)))
                    .opt_f64(signal.pos_in_page.map(|p| f64::from(p.y)))
                    .opt_str(signal.target.as_deref())
                    .f64(f64::from(signal.severity))
                    .opt_str(Some(&signal.detail))
                    .u32(signal.num_clicks)
                    .u64(version);
            }
            summary.signals += found.len() as u64;
            summary.sessions += 1;
            if w.bytes.len() > SIGNAL_BATCH_BYTES {
                self.client.insert_rowbinary(&table, &w.bytes)?;
                w.bytes.clear();
            }
            Ok(())
        })?;
        self.client.insert_rowbinary(&table, &w.bytes)?;
        self.write_settings(
            &[
                (SIGNAL_SETTINGS_KEY, json),
                (SIGNAL_VERSION_KEY, version.to_string()),
            ],
            0,
        )?;
        Ok(summary)
    }

    /// The page views, in order, of every session matching `filter` (by row id), with the kinds
    /// of the signals of each page view and whether the session converted.
    pub fn journey_paths(
        &self,
        filter: &SessionFilter,
    ) -> Result<Vec<SessionPath>, ClickHouseError> {
        let state = self.state()?;
        let visible = self.visible_sessions_in(filter, &state);
        let converted = self.visible_sessions_in(
            &SessionFilter {
                converted: Some(true),
                ..SessionFilter::default()
            },
            &state,
        );
        let answer = self.client.query(&format!(
            "SELECT session_id, (session_id, batch_id) IN ({converted}) FROM {}
             WHERE {} ORDER BY session_rowid FORMAT RowBinary",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(&state)),
        ))?;
        let mut paths: Vec<SessionPath> = RowReader::new(&answer)
            .rows(|r| {
                Some(SessionPath {
                    session_id: r.string()?,
                    converted: r.u8()? != 0,
                    steps: Vec::new(),
                })
            })
            .ok_or_else(|| self.client.decode_error("journey sessions"))?;
        let slot_of: HashMap<String, usize> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.session_id.clone(), i))
            .collect();
        let answer = self.client.query(&format!(
            "SELECT session_id, url, entered_at_ms FROM {} WHERE (session_id, batch_id) IN ({visible})
             ORDER BY session_id, page_index FORMAT RowBinary",
            self.table("page_views"),
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(url), Some(entered_at_ms)) =
                (reader.string(), reader.string(), reader.i64())
            else {
                return Err(self.client.decode_error("journey page views"));
            };
            if let Some(path) = slot_of.get(&id).and_then(|&i| paths.get_mut(i)) {
                path.steps.push(PathStep {
                    url,
                    entered_at_ms,
                    signal_kinds: Vec::new(),
                });
            }
        }
        let answer = self.client.query(&format!(
            "SELECT session_id, page_index, kind FROM {} WHERE signal_version = {}
               AND (session_id, batch_id) IN ({visible})
             ORDER BY session_id, start_ms, signal_index FORMAT RowBinary",
            self.table("signals"),
            state.signal_version,
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(page), Some(kind)) =
                (reader.string(), reader.u32(), reader.string())
            else {
                return Err(self.client.decode_error("journey signals"));
            };
            if let Some(step) = slot_of
                .get(&id)
                .and_then(|&i| paths.get_mut(i))
                .and_then(|p| p.steps.get_mut(page as usize))
                && !step.signal_kinds.contains(&kind)
            {
                step.signal_kinds.push(kind);
            }
        }
        Ok(paths)
    }

    /// For page snapshots: per session (all, or one), its id, its recording, and its page
    /// views' `(url, viewport width, deepest viewport bottom)`, by recording file, start time
    /// and id, as the SQLite library lists them.
    #[expect(
        clippy::type_complexity,
        reason = "the shape of Store::snapshot_sources"
    )]
    pub fn snapshot_sources(
        &self,
        session_id: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, Vec<(String, u32, f32)>)>, ClickHouseError> {
        let only =
            session_id.map_or_else(String::new, |id| format!(" AND session_id = {}", quote(id)));
        let answer = self.client.query(&format!(
            "SELECT session_id, source_file FROM {}
             WHERE {}{only} ORDER BY source_file, started_at_ms, session_id FORMAT RowBinary",
            self.table("sessions"),
            self.published(),
        ))?;
        let sessions = RowReader::new(&answer)
            .rows(|r| Some((r.string()?, r.string()?)))
            .ok_or_else(|| self.client.decode_error("snapshot sessions"))?;
        if let Some(id) = session_id
            && sessions.is_empty()
        {
            return Err(ClickHouseError::NoSuchSession(id.to_owned()));
        }
        let answer = self.client.query(&format!(
            "SELECT session_id, url, viewport_width, max_depth_px FROM {}
             WHERE (session_id, batch_id) IN ({}){only} ORDER BY session_id, page_index FORMAT RowBinary",
            self.table("page_views"),
            self.visible_sessions(&SessionFilter::default())?,
        ))?;
        let mut views: HashMap<String, Vec<(String, u32, f32)>> = HashMap::new();
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(url), Some(width), Some(depth)) =
                (reader.string(), reader.string(), reader.u32(), reader.f64())
            else {
                return Err(self.client.decode_error("snapshot page views"));
            };
            views
                .entry(id)
                .or_default()
                .push((url, width, depth as f32));
        }
        Ok(sessions
            .into_iter()
            .filter_map(|(id, file)| {
                let pages = views.remove(&id)?;
                Some((id, (!file.is_empty()).then_some(file), pages))
            })
            .collect())
    }

    /// Stores already-read sessions as one import unit named `file` (its sessions recorded as
    /// coming from `file`), with their bundle screenshots.
    pub fn insert_loaded(
        &self,
        file: &str,
        loaded: &Loaded,
    ) -> Result<FileOutcome, ClickHouseError> {
        self.writable()?;
        for shot in &loaded.screenshots {
            self.store_screenshot(shot, "bundle")?;
        }
        let written = self.import_sessions(&loaded.sessions, file)?;
        let status = if written.imported_ids.is_empty() && !written.duplicate_ids.is_empty() {
            FileStatus::Duplicate
        } else {
            FileStatus::Imported
        };
        Ok(FileOutcome {
            file: file.to_owned(),
            status,
            session_ids: written.imported_ids,
            duplicate_ids: written.duplicate_ids,
            error: None,
            warnings: loaded.warnings.lines(),
        })
    }
}

/// The ClickHouse library through the backend trait: each method is the library's own of the
/// same name, its error turned into a [`StoreError`] that names the server.
impl Store for ClickHouseLibrary {
    fn location(&self) -> &str {
        &self.location
    }
    fn read_only(&self) -> Option<String> {
        self.writable()
            .err()
            .map(|e| StoreError::from(e).to_string())
    }
    fn num_sessions(&self) -> Result<u64, StoreError> {
        Ok(self.count_sessions(&SessionFilter::default())?)
    }
    fn load_session(&self, session_id: &str) -> Result<Session, StoreError> {
        Ok(Self::load_session(self, session_id)?)
    }
    fn load_session_by_rowid(&self, session_rowid: i64) -> Result<Session, StoreError> {
        Ok(Self::load_session_by_rowid(self, session_rowid)?)
    }
    fn session_id_of_rowid(&self, session_rowid: i64) -> Result<Option<String>, StoreError> {
        Ok(Self::session_id_of_rowid(self, session_rowid)?)
    }
    fn source_file(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        Ok(Self::source_file(self, session_id)?)
    }
    fn snapshot_sources(
        &self,
        session_id: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, Vec<(String, u32, f32)>)>, StoreError> {
        Ok(Self::snapshot_sources(self, session_id)?)
    }
    fn custom_event_names(&self) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(Self::custom_event_names(self)?)
    }
    fn import_paths(
        &mut self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, StoreError> {
        Ok(Self::import_paths(
            self,
            paths,
            options,
            cancel,
            on_progress,
        )?)
    }
    fn insert_loaded(&mut self, file: &str, loaded: &Loaded) -> Result<FileOutcome, StoreError> {
        Ok(Self::insert_loaded(self, file, loaded)?)
    }
    /// Nothing to fold: every import batch writes straight into the tables readers aggregate
    /// (points ordered by page, bins summed by the materialized view), and the server merges
    /// parts in the background, so there is no staging table as SQLite's `page_points_recent`.
    fn fold_recent_points(&mut self) -> Result<usize, StoreError> {
        Ok(0)
    }
    fn heatmap_page_views(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<Vec<HeatmapPageView>, StoreError> {
        Ok(Self::heatmap_page_views(
            self,
            filter,
            page,
            viewport_widths,
        )?)
    }
    fn for_each_point_blob(
        &self,
        views: &[HeatmapPageView],
        kind: PointKind,
        f: &mut dyn FnMut(usize, PointColumns<'_>),
    ) -> Result<(), StoreError> {
        Ok(Self::for_each_point_blob(self, views, kind, f)?)
    }
    fn page_signals(
        &self,
        views: &[HeatmapPageView],
        kind: &str,
    ) -> Result<Vec<PageSignal>, StoreError> {
        Ok(Self::page_signals(self, views, kind)?)
    }
    fn add_screenshot(
        &mut self,
        url: &str,
        layout_width: u32,
        png: Vec<u8>,
        origin: &str,
    ) -> Result<ScreenshotInfo, StoreError> {
        Ok(Self::add_screenshot(self, url, layout_width, png, origin)?)
    }
    fn screenshots(&self) -> Result<Vec<ScreenshotInfo>, StoreError> {
        Ok(Self::screenshots(self)?)
    }
    fn screenshot_for(
        &self,
        url: &str,
        layout_width: u32,
    ) -> Result<Option<ScreenshotInfo>, StoreError> {
        Ok(Self::screenshot_for(self, url, layout_width)?)
    }
    fn screenshot_png(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(Self::screenshot_png(self, hash)?)
    }
    fn signal_settings(&self) -> Result<SignalSettings, StoreError> {
        Ok(Self::signal_settings(self)?)
    }
    fn recompute_signals(
        &mut self,
        settings: &SignalSettings,
    ) -> Result<RecomputeSummary, StoreError> {
        Ok(Self::recompute_signals(self, settings)?)
    }
    fn session_signals(&self, session_id: &str) -> Result<Vec<StoredSignal>, StoreError> {
        Ok(Self::session_signals(self, session_id)?)
    }
    fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, StoreError> {
        Ok(Self::signals(self, query)?)
    }
    fn hotspots(
        &self,
        filter: &SessionFilter,
        kinds: &[SignalKind],
        page: Option<&str>,
        sort: HotspotSort,
    ) -> Result<Vec<Hotspot>, StoreError> {
        Ok(Self::hotspots(self, filter, kinds, page, sort)?)
    }
    fn event_definitions(&self) -> Result<Vec<EventDefinition>, StoreError> {
        Ok(Self::event_definitions(self)?)
    }
    fn define_event(
        &mut self,
        def: &EventDefinition,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<Defined, StoreError> {
        Ok(Self::define_event(self, def, on_progress)?)
    }
    fn delete_event_definition(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(Self::delete_event_definition(self, name)?)
    }
    fn ensure_standard_definitions(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(Self::ensure_standard_definitions(self)?)
    }
    fn conversion_goal(&self) -> Result<ConversionGoal, StoreError> {
        Ok(Self::conversion_goal(self)?)
    }
    fn goal_status(&self) -> Result<GoalStatus, StoreError> {
        Ok(Self::goal_status(self)?)
    }
    fn set_conversion_goal(
        &mut self,
        name: &str,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<GoalStatus, StoreError> {
        Ok(Self::set_conversion_goal(self, name, on_progress)?)
    }
    fn session_conversion(
        &self,
        session_id: &str,
    ) -> Result<Option<(bool, Option<f64>)>, StoreError> {
        Ok(Self::session_conversion(self, session_id)?)
    }
    fn event_session_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        Ok(Self::event_session_counts(self)?)
    }
    fn conversion_facts(
        &self,
        filter: &SessionFilter,
        names: &[String],
    ) -> Result<Facts, StoreError> {
        Ok(Self::conversion_facts(self, filter, names)?)
    }
    /// Pushed down: walked by the server ([`ClickHouseLibrary::funnel`]).
    fn funnel(
        &self,
        filter: &SessionFilter,
        steps: &[String],
        window_ms: Option<i64>,
    ) -> Result<Funnel, StoreError> {
        Ok(Self::funnel(self, filter, steps, window_ms)?)
    }
    /// Pushed down: click, move, rage and dead click maps binned by the server
    /// ([`ClickHouseLibrary::click_heatmap_figures`],
    /// [`ClickHouseLibrary::move_heatmap_figures`],
    /// [`ClickHouseLibrary::signal_heatmap_figures`]), scroll and attention maps counted by it
    /// ([`ClickHouseLibrary::scroll_heatmap_figures`],
    /// [`ClickHouseLibrary::attention_heatmap_figures`]); other maps (see
    /// `pushdown::pushed_down`) composed from the finer reads.
    fn heatmap_figures(&self, query: &HeatmapQuery) -> Result<HeatmapResult, HeatmapError> {
        if !super::pushdown::pushed_down(query) {
            let mut result = crate::store::aggregate_heatmap_from(self, query)?;
            result.views = Vec::new();
            result.point_refs = Vec::new();
            return Ok(result);
        }
        crate::analysis::heatmap::check(query)?;
        let figures = match query.kind {
            HeatmapKind::Scroll => self.scroll_heatmap_figures(query),
            HeatmapKind::Attention => self.attention_heatmap_figures(query),
            HeatmapKind::Move => self.move_heatmap_figures(query),
            HeatmapKind::Rage | HeatmapKind::Dead => self.signal_heatmap_figures(query),
            HeatmapKind::Click => self.click_heatmap_figures(query),
        };
        Ok(figures.map_err(StoreError::from)?)
    }
    /// Composed over the sessions with a point near the spot alone
    /// ([`ClickHouseLibrary::heatmap_moments`]).
    fn heatmap_moments(
        &self,
        query: &HeatmapQuery,
        pos_in_page: PagePos,
        radius_px: f32,
        limit: usize,
    ) -> Result<Vec<Moment>, HeatmapError> {
        Self::heatmap_moments(self, query, pos_in_page, radius_px, limit)
    }
    fn prefers_figures(&self) -> bool {
        true
    }
    /// `KILL QUERY` of this library's queries, sent from a thread of its own.
    fn interrupter(&self) -> Option<Box<dyn crate::store::Interrupt>> {
        Some(Box::new(self.client.killer()))
    }
    /// Pushed down: counted by the server ([`ClickHouseLibrary::lift`]).
    fn lift(
        &self,
        filter: &SessionFilter,
        names: &[String],
        signal_kinds: &[&str],
    ) -> Result<Vec<Lift>, StoreError> {
        Ok(Self::lift(self, filter, names, signal_kinds)?)
    }
    /// Pushed down: counted by the server ([`ClickHouseLibrary::kpis`]).
    fn kpis(&self, filter: &SessionFilter) -> Result<Kpis, StoreError> {
        Ok(Self::kpis(self, filter)?)
    }
    fn journey_paths(&self, filter: &SessionFilter) -> Result<Vec<SessionPath>, StoreError> {
        Ok(Self::journey_paths(self, filter)?)
    }
    fn form_names(&self) -> Result<Vec<FormName>, StoreError> {
        Ok(Self::form_names(self)?)
    }
    fn set_form_name(
        &self,
        page: &str,
        form: &str,
        name: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(Self::set_form_name(self, page, form, name)?)
    }
    fn define_section(&self, section: &Section) -> Result<(), StoreError> {
        self.writable()?;
        Ok(Self::define_section(self, section)?)
    }
    fn delete_section(&self, name: &str) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(Self::delete_section(self, name)?)
    }
    fn sections(&self) -> Result<Vec<Section>, StoreError> {
        Ok(Self::sections(self)?)
    }
    fn section_reach(
        &self,
        filter: &SessionFilter,
        section: &Section,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<SectionReach, StoreError> {
        Ok(Self::section_reach(self, filter, section, viewport_widths)?)
    }
    fn add_note(
        &self,
        session_id: &str,
        timestamp_ms: i64,
        text: &str,
    ) -> Result<Note, StoreError> {
        self.writable()?;
        Ok(Self::add_note(self, session_id, timestamp_ms, text)?)
    }
    fn update_note(&self, note_id: i64, text: &str) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(Self::update_note(self, note_id, text)?)
    }
    fn delete_note(&self, note_id: i64) -> Result<bool, StoreError> {
        self.writable()?;
        Ok(Self::delete_note(self, note_id)?)
    }
    fn note(&self, note_id: i64) -> Result<Option<Note>, StoreError> {
        Ok(Self::note(self, note_id)?)
    }
    fn notes(&self, session_id: Option<&str>) -> Result<Vec<Note>, StoreError> {
        Ok(Self::notes(self, session_id)?)
    }
}
