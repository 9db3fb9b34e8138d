//! Heatmap aggregation: click, move, rage, dead, scroll-reach and attention maps of one page
//! (an exact URL without fragment, or a pattern such as `/product/*`) at one layout.
//!
//! Everything here is a pure function over plain data: the page views a store chose
//! ([`HeatmapPageView`]), their point columns ([`PointColumns`], streamed in borrowed) and their
//! signals. The store layer composes them (`store::aggregate_heatmap`, the SQLite answer of
//! `Store::heatmap`): [`begin`] with the page views, then [`Attention`] or [`PointAccumulator`]
//! with the points, then [`label_hotspots`]. A [`HeatmapQuery`] goes in, a [`HeatmapResult`]
//! comes out. The result holds a density grid in page CSS px (one cell per CSS pixel), the reviewer's numbers
//! (sessions, page views, points, hottest spots with their element), scroll reach and the
//! attention profile. Rendering (`crate::render::heatmap`) only reads the result, so changing the
//! radius, colormap or opacity never queries again.
//!
//! Definitions and their sources are in docs/HEATMAPS.md.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::points::{HeatmapPageView, PageSignal, PointColumns};
use crate::model::{EventKind, PagePos, Session, SessionFilter};

/// PostHog's default viewport accuracy of 0.9: page views within ±10 % of the layout width count.
pub const DEFAULT_WIDTH_TOLERANCE: f32 = 0.10;
/// Height of a scroll-reach and attention band, CSS px.
pub const BAND_PX: u32 = 10;
/// Cell size for unique-session counting and hotspots, CSS px (PostHog's 16 px grid).
pub const CELL_PX: u32 = 16;
/// A pointer resting longer than this adds no more dwell weight, ms.
pub const DEFAULT_MOVE_DWELL_CAP_MS: u32 = 3_000;
/// A scroll position held longer than this adds no more attention time, ms.
pub const DEFAULT_ATTENTION_IDLE_CAP_MS: u32 = 30_000;
/// The tallest page a density grid covers, CSS px (Clarity's canvas limit; PostHog stops at 8,000).
pub const MAX_PAGE_HEIGHT_PX: u32 = 65_535;
/// The widest page a density grid covers, CSS px.
pub const MAX_PAGE_WIDTH_PX: u32 = 8_192;

/// A heatmap query that cannot be answered whatever the data.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeatmapQueryError {
    /// The layout width is zero or larger than [`MAX_PAGE_WIDTH_PX`].
    #[error("layout width {0} px is outside 1 to 8192 px")]
    BadLayoutWidth(u32),
}

/// Which map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HeatmapKind {
    /// Clicks and taps (each press once).
    #[default]
    Click,
    /// Pointer positions weighted by how long the pointer rested there.
    Move,
    /// Rage clicks, from the detected signals.
    Rage,
    /// Dead clicks, from the detected signals.
    Dead,
    /// Scroll reach: share of page views whose deepest viewport bottom reached each depth.
    Scroll,
    /// Attention: mean time each band of the page was inside the viewport.
    Attention,
}

impl HeatmapKind {
    /// All kinds, in display order.
    pub const ALL: [Self; 6] = [
        Self::Click,
        Self::Move,
        Self::Rage,
        Self::Dead,
        Self::Scroll,
        Self::Attention,
    ];

    /// Lower-case name used by the CLI and JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Move => "move",
            Self::Rage => "rage",
            Self::Dead => "dead",
            Self::Scroll => "scroll",
            Self::Attention => "attention",
        }
    }

    /// Parses a lower-case name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// True for the kinds drawn as a density of points (click, move, rage, dead).
    #[must_use]
    pub fn is_density(self) -> bool {
        !matches!(self, Self::Scroll | Self::Attention)
    }

    /// The `signals.kind` a signal map reads.
    #[must_use]
    pub fn signal_kind(self) -> Option<&'static str> {
        match self {
            Self::Rage => Some("rage_click"),
            Self::Dead => Some("dead_click"),
            _ => None,
        }
    }
}

/// How points are counted (PostHog's "Total count" / "Unique visitors").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CountMode {
    /// Every point counts (move points by their dwell time).
    #[default]
    Total,
    /// Each session counts at most once per [`CELL_PX`] cell.
    UniqueSessions,
}

/// What to do with clicks on `position: fixed` or `sticky` elements (PostHog's setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FixedMode {
    /// At their viewport position, where the element sits in a screenshot of the page top.
    #[default]
    ShowFixed,
    /// At their page position (viewport position plus scroll), like any other click.
    ShowScrolled,
    /// Left out.
    Hide,
}

/// What to aggregate.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapQuery {
    /// Page URL (exact, fragment ignored) or glob (`/product/*`).
    pub page: String,
    /// Which map.
    pub kind: HeatmapKind,
    /// Session filters (device, dates, source, converted, signal).
    pub filter: SessionFilter,
    /// Width of the layout drawn (the screenshot's layout width), CSS px.
    pub layout_width_px: u32,
    /// Page views whose viewport width lies in this range (inclusive) count; `None`: any width.
    pub viewport_widths: Option<(u32, u32)>,
    /// Height of the page drawn, CSS px; `None`: the tallest document or scroll depth seen.
    pub page_height_px: Option<u32>,
    /// Total or unique sessions.
    pub count_mode: CountMode,
    /// Fixed-element clicks.
    pub fixed_mode: FixedMode,
    /// Cap of one move sample's dwell weight, ms.
    pub move_dwell_cap_ms: u32,
    /// Cap of one held scroll position's attention time, ms.
    pub attention_idle_cap_ms: u32,
    /// How many hottest spots to report.
    pub max_hotspots: usize,
    /// Only page views of this variant (docs/VARIANTS.md); `None`: every page view.
    pub variant: Option<crate::model::VariantFilter>,
}

impl HeatmapQuery {
    /// A query with the defaults: page views within ±10 % of `layout_width_px`, total count,
    /// fixed clicks at their viewport position, ten hotspots.
    #[must_use]
    pub fn new(page: &str, kind: HeatmapKind, layout_width_px: u32) -> Self {
        Self {
            page: page.to_owned(),
            kind,
            filter: SessionFilter::default(),
            layout_width_px,
            viewport_widths: Some(width_range(layout_width_px, DEFAULT_WIDTH_TOLERANCE)),
            page_height_px: None,
            count_mode: CountMode::Total,
            fixed_mode: FixedMode::ShowFixed,
            move_dwell_cap_ms: DEFAULT_MOVE_DWELL_CAP_MS,
            attention_idle_cap_ms: DEFAULT_ATTENTION_IDLE_CAP_MS,
            max_hotspots: 10,
            variant: None,
        }
    }

    /// The two queries of compare mode, with their labels: the session filter split by
    /// `preset` (`analysis::compare`), or for a variant preset, the page views split.
    #[must_use]
    pub fn split(
        &self,
        preset: &super::compare::ComparePreset,
    ) -> ((String, Self), (String, Self)) {
        preset.split_with(&self.filter, self.variant.as_ref(), |filter, variant| {
            Self {
                filter,
                variant,
                ..self.clone()
            }
        })
    }
}

/// `layout_width_px ± tolerance` (a fraction: 0.1 is ±10 %), rounded to whole px.
#[must_use]
pub fn width_range(layout_width_px: u32, tolerance: f32) -> (u32, u32) {
    let w = layout_width_px as f32;
    let d = w * tolerance.clamp(0.0, 1.0);
    ((w - d).round().max(0.0) as u32, (w + d).round() as u32)
}

/// A grid of weights over the page, one cell per page CSS px, rows top to bottom.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DensityGrid {
    /// Columns (page width, CSS px).
    pub width: u32,
    /// Rows (page height, CSS px).
    pub height: u32,
    /// `width * height` weights.
    pub cells: Vec<f32>,
}

impl DensityGrid {
    /// An empty grid.
    #[must_use]
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            cells: vec![0.0; width as usize * height as usize],
        }
    }

    /// Adds `weight` at `pos_in_page`; `false` (nothing added) when it falls outside.
    #[inline]
    pub fn add(&mut self, pos_in_page: PagePos, weight: f32) -> bool {
        match self
            .cell_index(pos_in_page)
            .and_then(|i| self.cells.get_mut(i))
        {
            Some(c) => {
                *c += weight;
                true
            }
            None => false,
        }
    }

    /// Index into [`Self::cells`] of the cell holding `pos_in_page`; `None` outside the grid.
    #[must_use]
    #[inline]
    pub fn cell_index(&self, pos_in_page: PagePos) -> Option<usize> {
        let (x, y) = (pos_in_page.x.floor(), pos_in_page.y.floor());
        // NaN fails both comparisons.
        if !(x >= 0.0 && y >= 0.0 && x < self.width as f32 && y < self.height as f32) {
            return None;
        }
        let i = y as usize * self.width as usize + x as usize;
        (i < self.cells.len()).then_some(i)
    }

    /// The weight of the cell holding `pos_in_page` (0 outside).
    #[must_use]
    pub fn at(&self, pos_in_page: PagePos) -> f32 {
        self.cell_index(pos_in_page)
            .and_then(|i| self.cells.get(i))
            .copied()
            .unwrap_or(0.0)
    }

    /// Sum of all weights.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.cells.iter().map(|&c| f64::from(c)).sum()
    }

    /// The sum of weights within `radius_px` (a square) of `pos_in_page`: the local count a
    /// hover shows.
    #[must_use]
    pub fn sum_near(&self, pos_in_page: PagePos, radius_px: u32) -> f64 {
        let r = radius_px as i64;
        let (cx, cy) = (pos_in_page.x.floor() as i64, pos_in_page.y.floor() as i64);
        let mut sum = 0.0;
        for y in (cy - r).max(0)..=(cy + r).min(i64::from(self.height) - 1) {
            let row = y as usize * self.width as usize;
            for x in (cx - r).max(0)..=(cx + r).min(i64::from(self.width) - 1) {
                sum += f64::from(self.cells.get(row + x as usize).copied().unwrap_or(0.0));
            }
        }
        sum
    }
}

/// What a weight in the grid means (for legends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightUnit {
    /// Clicks (or signals).
    Clicks,
    /// Sessions (unique count mode).
    Sessions,
    /// Seconds the pointer rested.
    Seconds,
}

impl WeightUnit {
    /// Plural noun for captions.
    #[must_use]
    pub fn noun(self) -> &'static str {
        match self {
            Self::Clicks => "clicks",
            Self::Sessions => "sessions",
            Self::Seconds => "seconds",
        }
    }
}

/// One of the hottest spots.
#[derive(Clone, Debug, PartialEq)]
pub struct Hotspot {
    /// Weighted centre, page CSS px (viewport px for fixed-element clicks shown fixed).
    pub pos_in_page: PagePos,
    /// Weight inside the [`CELL_PX`]·3 square around it (clicks, sessions or seconds).
    pub count: f64,
    /// The element most of its clicks hit (`selector "text"`), when the recordings tell.
    pub target: Option<String>,
}

/// Scroll reach at one depth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReachBand {
    /// Depth from the page top, CSS px (a multiple of [`BAND_PX`]).
    pub depth_px: u32,
    /// Share of page views whose deepest viewport bottom is at or below this depth, 0–1.
    pub share: f32,
}

/// A point behind the map: which page view, and when.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointRef {
    /// Where it was added, page CSS px.
    pub pos_in_page: PagePos,
    /// Index into [`HeatmapResult::views`].
    pub view: u32,
    /// ms since the page view was entered.
    pub t_ms: u32,
}

/// A moment behind a spot of the map, to open in the replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moment {
    /// The session's row id in its library (see [`HeatmapPageView::session_rowid`]).
    pub session_rowid: i64,
    /// Page view index within the session.
    pub page_index: u32,
    /// Epoch ms.
    pub timestamp_ms: i64,
}

/// Everything aggregated for one map.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapResult {
    /// The query that made it.
    pub query: HeatmapQuery,
    /// Sessions included.
    pub sessions: u64,
    /// Page views included.
    pub page_views: u64,
    /// Points (clicks, move samples or signals) added to the grid.
    pub points: u64,
    /// Points that fell outside the page (left out of the grid).
    pub points_outside_page: u64,
    /// Weights over the page (empty for scroll and attention maps).
    pub density: DensityGrid,
    /// What a weight means.
    pub unit: WeightUnit,
    /// Hottest spots, hottest first.
    pub hotspots: Vec<Hotspot>,
    /// Scroll reach per [`BAND_PX`] band, from the page top to the page height.
    pub scroll_reach: Vec<ReachBand>,
    /// Mean viewport height of the page views (the average fold), CSS px.
    pub average_fold_px: f32,
    /// Mean seconds each [`BAND_PX`] band was inside the viewport, per page view (attention
    /// maps only; empty otherwise).
    pub attention_secs: Vec<f32>,
    /// Page height drawn, CSS px.
    pub page_height_px: u32,
    /// Earliest and latest page view start included, epoch ms.
    pub date_range_ms: Option<(i64, i64)>,
    /// The page views included.
    pub views: Vec<HeatmapPageView>,
    /// Every point added, for listing the moments behind a spot.
    pub point_refs: Vec<PointRef>,
}

impl HeatmapResult {
    /// The moments whose points lie within `radius_px` of `pos_in_page` (PostHog gathers 15 px),
    /// at most `limit`, in session order.
    #[must_use]
    pub fn moments_near(&self, pos_in_page: PagePos, radius_px: f32, limit: usize) -> Vec<Moment> {
        let r2 = radius_px * radius_px;
        self.point_refs
            .iter()
            .filter(|p| {
                let (dx, dy) = (
                    p.pos_in_page.x - pos_in_page.x,
                    p.pos_in_page.y - pos_in_page.y,
                );
                dx * dx + dy * dy <= r2
            })
            .filter_map(|p| {
                let view = self.views.get(p.view as usize)?;
                Some(Moment {
                    session_rowid: view.session_rowid,
                    page_index: view.page_index,
                    timestamp_ms: view.entered_at_ms + i64::from(p.t_ms),
                })
            })
            .take(limit)
            .collect()
    }

    /// The largest cell weight.
    #[must_use]
    pub fn max_weight(&self) -> f32 {
        self.density.cells.iter().copied().fold(0.0, f32::max)
    }
}

/// The cell `(session_rowid, x, y)` of [`CELL_PX`] cells in which a unique-sessions map counts
/// a session once for a point at `pos`; `None` left of or above the page, where nothing is
/// deduplicated.
#[must_use]
pub fn unique_cell(session_rowid: i64, pos: PagePos) -> Option<(i64, u32, u32)> {
    (pos.x >= 0.0 && pos.y >= 0.0).then_some((
        session_rowid,
        (pos.x as u32) / CELL_PX,
        (pos.y as u32) / CELL_PX,
    ))
}

/// Refuses a query no data can answer (a layout width of 0 or above [`MAX_PAGE_WIDTH_PX`]).
pub fn check(query: &HeatmapQuery) -> Result<(), HeatmapQueryError> {
    if query.layout_width_px == 0 || query.layout_width_px > MAX_PAGE_WIDTH_PX {
        return Err(HeatmapQueryError::BadLayoutWidth(query.layout_width_px));
    }
    Ok(())
}

/// The part of a map that follows from the chosen page views alone (`views` in
/// `(session_rowid, page_index)` order, as a store returns them): sessions, page views, page
/// height, scroll reach, average fold, date range and unit. The points come after, through
/// [`Attention`] or [`PointAccumulator`]; [`HeatmapResult::views`] is left empty for the caller
/// to fill when it is done with the views.
pub fn begin(
    query: &HeatmapQuery,
    views: &[HeatmapPageView],
) -> Result<HeatmapResult, HeatmapQueryError> {
    check(query)?;
    let mut sessions = 0u64;
    let mut last = None;
    for v in views {
        if last != Some(v.session_rowid) {
            sessions += 1;
            last = Some(v.session_rowid);
        }
    }
    let page_height_px = query
        .page_height_px
        .unwrap_or_else(|| {
            views
                .iter()
                .map(|v| v.doc_height_px.max(v.max_depth_px.ceil() as u32))
                .max()
                .unwrap_or(0)
        })
        .clamp(1, MAX_PAGE_HEIGHT_PX);
    let depths: Vec<f32> = views.iter().map(|v| v.max_depth_px).collect();
    let average_fold_px = if views.is_empty() {
        0.0
    } else {
        (views
            .iter()
            .map(|v| f64::from(v.viewport.height))
            .sum::<f64>()
            / views.len() as f64) as f32
    };
    let date_range_ms = views
        .iter()
        .map(|v| v.entered_at_ms)
        .min()
        .zip(views.iter().map(|v| v.entered_at_ms).max());
    let unit = match (query.count_mode, query.kind) {
        (CountMode::UniqueSessions, _) => WeightUnit::Sessions,
        (CountMode::Total, HeatmapKind::Move) => WeightUnit::Seconds,
        _ => WeightUnit::Clicks,
    };
    Ok(HeatmapResult {
        query: query.clone(),
        sessions,
        page_views: views.len() as u64,
        points: 0,
        points_outside_page: 0,
        density: DensityGrid::default(),
        unit,
        hotspots: Vec::new(),
        scroll_reach: scroll_reach(&depths, page_height_px),
        average_fold_px,
        attention_secs: Vec::new(),
        page_height_px,
        date_range_ms,
        views: Vec::new(),
        point_refs: Vec::new(),
    })
}

/// The attention map being summed: the scroll offsets of each page view come in through
/// [`Self::add_scrolls`] (in any order, at most once per page view); [`Self::finish`] counts the
/// page views that had none as held at the top.
pub struct Attention {
    bands_ms: Vec<f64>,
    seen: Vec<bool>,
    idle_cap_ms: u32,
}

impl Attention {
    /// An empty sum over `page_height_px` for `num_views` page views.
    #[must_use]
    pub fn new(query: &HeatmapQuery, page_height_px: u32, num_views: usize) -> Self {
        Self {
            bands_ms: vec![0.0f64; page_height_px.div_ceil(BAND_PX) as usize],
            seen: vec![false; num_views],
            idle_cap_ms: query.attention_idle_cap_ms,
        }
    }

    /// Adds page view `view` (an index into `views`) with its scroll offsets (x = scrollX,
    /// y = scrollY, t = ms since the page view was entered).
    pub fn add_scrolls(
        &mut self,
        views: &[HeatmapPageView],
        view: usize,
        offsets: PointColumns<'_>,
    ) {
        let Some(v) = views.get(view) else { return };
        if let Some(seen) = self.seen.get_mut(view) {
            *seen = true;
        }
        let offsets: Vec<(u32, f32)> = offsets.iter().map(|(_, y, t)| (t, y)).collect();
        add_attention(
            &offsets,
            v.viewport.height,
            v.duration_ms,
            self.idle_cap_ms,
            &mut self.bands_ms,
        );
    }

    /// Mean seconds per band and page view ([`HeatmapResult::attention_secs`]).
    #[must_use]
    pub fn finish(mut self, views: &[HeatmapPageView]) -> Vec<f32> {
        for (v, _) in views.iter().zip(&self.seen).filter(|(_, s)| !**s) {
            add_attention(
                &[],
                v.viewport.height,
                v.duration_ms,
                self.idle_cap_ms,
                &mut self.bands_ms,
            );
        }
        let n = views.len().max(1) as f64;
        self.bands_ms
            .iter()
            .map(|&ms| (ms / n / 1000.0) as f32)
            .collect()
    }
}

/// The fixed-element clicks of the page views of a click map, per page view: `(t, viewport x,
/// viewport y)` in time order, matched to the clicks of the same moment by
/// [`PointAccumulator::add_clicks`].
#[derive(Debug, Default)]
pub struct FixedClicks(HashMap<usize, Vec<(u32, f32, f32)>>);

impl FixedClicks {
    /// Keeps page view `view`'s fixed-element clicks (viewport CSS px).
    pub fn insert(&mut self, view: usize, fixed_clicks: PointColumns<'_>) {
        self.0.insert(
            view,
            fixed_clicks.iter().map(|(x, y, t)| (t, x, y)).collect(),
        );
    }
}

/// The density map being built: points come in through [`Self::add_clicks`],
/// [`Self::add_moves`] or [`Self::add_signals`] (a store streams each page view's point columns
/// in, borrowed), are counted once per session and cell in unique mode, and [`Self::finish`]
/// writes the grid, counts, point references and hotspots into the result.
pub struct PointAccumulator {
    grid: DensityGrid,
    unique: bool,
    fixed_mode: FixedMode,
    move_dwell_cap_ms: u32,
    /// `(session, cell column, cell row)` already counted, in unique-sessions mode. Points of a
    /// session may come in several runs (one per URL of a pattern), so this spans them all.
    counted: HashSet<(i64, u32, u32)>,
    points: u64,
    outside: u64,
    refs: Vec<PointRef>,
    /// `(cell index, weight)` of points not yet added to the grid, one list per band of
    /// [`FLUSH_BAND_ROWS`] rows: see [`Self::into_grid`].
    pending: Vec<Vec<(u32, f32)>>,
    /// Cells in a band of `pending`.
    band_cells: usize,
}

/// Rows of the grid added together by [`PointAccumulator::into_grid`]: 64 rows of a 1440 px page are
/// 360 KiB, which stay in cache.
const FLUSH_BAND_ROWS: usize = 64;

impl PointAccumulator {
    /// An empty grid of the query's layout width and `page_height_px` (see [`begin`]).
    #[must_use]
    pub fn new(query: &HeatmapQuery, page_height_px: u32) -> Self {
        let grid = DensityGrid::new(query.layout_width_px, page_height_px);
        let band_cells = (grid.width as usize * FLUSH_BAND_ROWS).max(1);
        Self {
            pending: vec![Vec::new(); grid.cells.len().div_ceil(band_cells)],
            band_cells,
            grid,
            unique: query.count_mode == CountMode::UniqueSessions,
            fixed_mode: query.fixed_mode,
            move_dwell_cap_ms: query.move_dwell_cap_ms,
            counted: HashSet::new(),
            points: 0,
            outside: 0,
            refs: Vec::new(),
        }
    }

    /// Makes room for `points` more points.
    pub fn reserve(&mut self, points: usize) {
        self.refs.reserve(points);
    }

    /// Adds one point; `false` when it fell outside the page or was a repeat in unique mode.
    #[inline]
    fn add(
        &mut self,
        session_rowid: i64,
        view: usize,
        pos: PagePos,
        t_ms: u32,
        weight: f32,
    ) -> bool {
        if self.unique
            && let Some(cell) = unique_cell(session_rowid, pos)
            && !self.counted.insert(cell)
        {
            return false;
        }
        let weight = if self.unique { 1.0 } else { weight };
        // The grid holds at most 8,192 × 65,535 cells, so an index fits in a u32.
        let Some(cell) = self
            .grid
            .cell_index(pos)
            .and_then(|i| u32::try_from(i).ok())
        else {
            self.outside += 1;
            return false;
        };
        if let Some(band) = self.pending.get_mut(cell as usize / self.band_cells) {
            band.push((cell, weight));
        }
        self.points += 1;
        self.refs.push(PointRef {
            pos_in_page: pos,
            view: u32::try_from(view).unwrap_or(u32::MAX),
            t_ms,
        });
        true
    }

    /// Adds page view `view`'s clicks (page CSS px), with its fixed-element clicks (taken
    /// from `fixed`, see [`FixedClicks`]) moved to their viewport position or left out as the
    /// query's [`FixedMode`] says.
    pub fn add_clicks(
        &mut self,
        views: &[HeatmapPageView],
        view: usize,
        clicks: PointColumns<'_>,
        fixed: &mut FixedClicks,
    ) {
        let Some(v) = views.get(view) else { return };
        let mut fixed_here = fixed.0.remove(&view);
        for (x, y, t) in clicks.iter() {
            let mut pos = PagePos { x, y };
            if let Some(list) = fixed_here.as_mut()
                && let Some(k) = list.iter().position(|f| f.0 == t)
            {
                let (_, vx, vy) = list.swap_remove(k);
                if self.fixed_mode == FixedMode::Hide {
                    continue;
                }
                pos = PagePos { x: vx, y: vy };
            }
            self.add(v.session_rowid, view, pos, t, 1.0);
        }
    }

    /// Adds page view `view`'s pointer-move samples, each weighted by its dwell time in
    /// seconds ([`dwell_weights_ms`], capped by the query).
    pub fn add_moves(&mut self, views: &[HeatmapPageView], view: usize, moves: PointColumns<'_>) {
        let Some(v) = views.get(view) else { return };
        let samples: Vec<(f32, f32, u32)> = moves.iter().collect();
        let ts: Vec<u32> = samples.iter().map(|s| s.2).collect();
        let weights = dwell_weights_ms(&ts, v.duration_ms, self.move_dwell_cap_ms);
        for ((x, y, t), w) in samples.into_iter().zip(weights) {
            self.add(
                v.session_rowid,
                view,
                PagePos { x, y },
                t,
                w as f32 / 1000.0,
            );
        }
    }

    /// Adds rage or dead signals; returns the targets of those added, one per point reference
    /// (the `signal_targets` of [`label_hotspots`]).
    pub fn add_signals(
        &mut self,
        views: &[HeatmapPageView],
        signals: Vec<PageSignal>,
    ) -> Vec<Option<String>> {
        let mut signal_targets = Vec::new();
        for s in signals {
            let Some(v) = views.get(s.view) else { continue };
            let t = u32::try_from((s.start_ms - v.entered_at_ms).max(0)).unwrap_or(0);
            if self.add(v.session_rowid, s.view, s.pos_in_page, t, 1.0) {
                signal_targets.push(s.target);
            }
        }
        signal_targets
    }

    /// Writes the points, the grid and its hotspots (not yet labelled: see
    /// [`label_hotspots`]) into `result`.
    pub fn finish(mut self, result: &mut HeatmapResult) {
        result.points = self.points;
        result.points_outside_page = self.outside;
        result.point_refs = std::mem::take(&mut self.refs);
        result.density = self.into_grid();
        result.hotspots = find_hotspots(&result.density, result.query.max_hotspots);
    }

    /// The grid with every point added. Points arrive in session order, scattered over the
    /// page; adding them so missed the cache on almost every point (a 1440 × 3000 grid is
    /// 17 MB). They wait in bands of [`FLUSH_BAND_ROWS`] rows instead and are added band by
    /// band, the bands split between two threads.
    fn into_grid(self) -> DensityGrid {
        let Self {
            mut grid,
            pending,
            band_cells,
            ..
        } = self;
        // Each band's weights are summed in f64, then rounded to f32 once, so the grid does not
        // depend on the order the points arrived in (two backends list the same page views in
        // different orders). The sum is exact: weights are 1 or dwell seconds of whole ms (f32
        // multiples of 2^-33), so f64 holds every partial sum below 2^20 s exactly.
        let add = |cells: &mut [f32], bands: &[Vec<(u32, f32)>], first_cell: usize| {
            let mut sums: Vec<f64> = Vec::new();
            for (b, band) in bands.iter().enumerate() {
                let start = (b * band_cells).min(cells.len());
                let end = (start + band_cells).min(cells.len());
                if band.is_empty() || start == end {
                    continue;
                }
                sums.clear();
                sums.resize(end - start, 0.0);
                for &(cell, weight) in band {
                    if let Some(sum) = (cell as usize)
                        .checked_sub(first_cell + start)
                        .and_then(|i| sums.get_mut(i))
                    {
                        *sum += f64::from(weight);
                    }
                }
                for (c, sum) in cells[start..end].iter_mut().zip(&sums) {
                    if *sum != 0.0 {
                        *c = (f64::from(*c) + sum) as f32;
                    }
                }
            }
        };
        let half = pending.len() / 2;
        let (bands_low, bands_high) = pending.split_at(half);
        let split = (half * band_cells).min(grid.cells.len());
        let (cells_low, cells_high) = grid.cells.split_at_mut(split);
        let points: usize = pending.iter().map(Vec::len).sum();
        if points < 100_000 {
            add(cells_low, bands_low, 0);
            add(cells_high, bands_high, split);
        } else {
            let spawned = std::thread::scope(|scope| {
                let low = std::thread::Builder::new()
                    .name("heatmap-grid".to_owned())
                    .spawn_scoped(scope, || add(cells_low, bands_low, 0));
                add(cells_high, bands_high, split);
                // `add` cannot panic; only a failed spawn leaves the low half to do here.
                low.map(|low| {
                    let _ = low.join();
                })
                .is_ok()
            });
            if !spawned {
                add(cells_low, bands_low, 0);
            }
        }
        grid
    }
}

/// Dwell weight of each move sample, ms: the time until the next sample (or the end of the page
/// view, `duration_ms` after it began), capped at `cap_ms`. `ts_ms` are ms since the page view
/// began, in recording order.
#[must_use]
pub fn dwell_weights_ms(ts_ms: &[u32], duration_ms: i64, cap_ms: u32) -> Vec<u32> {
    let end = u32::try_from(duration_ms.max(0)).unwrap_or(u32::MAX);
    ts_ms
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let next = ts_ms.get(i + 1).copied().unwrap_or(end.max(t));
            next.saturating_sub(t).min(cap_ms)
        })
        .collect()
}

/// Scroll reach in [`BAND_PX`] bands from 0 to `page_height_px`: the share of `max_depths_px`
/// (each page view's deepest viewport bottom) at or below each band's top.
#[must_use]
pub fn scroll_reach(max_depths_px: &[f32], page_height_px: u32) -> Vec<ReachBand> {
    let bands = page_height_px.div_ceil(BAND_PX) as usize;
    let mut reached_band = vec![0u64; bands + 1];
    for &d in max_depths_px {
        // A depth d reaches every band whose top is <= d.
        let last = if d.is_finite() && d >= 0.0 {
            ((d / BAND_PX as f32).floor() as usize).min(bands)
        } else {
            0
        };
        reached_band[last] += 1;
    }
    let n = max_depths_px.len().max(1) as f64;
    let mut at_or_below = 0u64;
    let mut out = vec![
        ReachBand {
            depth_px: 0,
            share: 0.0
        };
        bands
    ];
    for b in (0..=bands).rev() {
        at_or_below += reached_band[b];
        if let Some(band) = out.get_mut(b) {
            *band = ReachBand {
                depth_px: b as u32 * BAND_PX,
                share: (at_or_below as f64 / n) as f32,
            };
        }
    }
    out
}

/// The depth that `share` of page views reached (the deepest band with at least that share).
#[must_use]
pub fn depth_reached_by(reach: &[ReachBand], share: f32) -> Option<u32> {
    reach
        .iter()
        .rev()
        .find(|b| b.share >= share)
        .map(|b| b.depth_px)
}

/// Adds one page view's visible time to `bands_ms` ([`BAND_PX`] bands): from the start at
/// scroll 0, each held scroll offset `(t_ms, scroll_y)` shows `[y, y + viewport_height)` until the
/// next offset or the end (`duration_ms`), each hold capped at `idle_cap_ms`.
pub fn add_attention(
    offsets: &[(u32, f32)],
    viewport_height_px: u32,
    duration_ms: i64,
    idle_cap_ms: u32,
    bands_ms: &mut [f64],
) {
    let end = u32::try_from(duration_ms.max(0)).unwrap_or(u32::MAX);
    let mut holds = Vec::with_capacity(offsets.len() + 1);
    holds.push((0u32, 0.0f32));
    holds.extend_from_slice(offsets);
    let n = bands_ms.len();
    // A difference array: O(1) per hold.
    let mut diff = vec![0.0f64; n + 1];
    for (i, &(t, y)) in holds.iter().enumerate() {
        let next = holds.get(i + 1).map_or(end, |h| h.0).max(t);
        let dt = f64::from(next.saturating_sub(t).min(idle_cap_ms));
        if dt <= 0.0 || !y.is_finite() {
            continue;
        }
        let top = (y.max(0.0) / BAND_PX as f32).floor() as usize;
        let bottom = ((y.max(0.0) + viewport_height_px as f32) / BAND_PX as f32).ceil() as usize;
        let (top, bottom) = (top.min(n), bottom.min(n));
        if top < bottom {
            diff[top] += dt;
            diff[bottom] -= dt;
        }
    }
    let mut running = 0.0;
    for (band, d) in bands_ms.iter_mut().zip(&diff) {
        running += d;
        *band += running;
    }
}

/// The hottest spots: windows of 3 × 3 [`CELL_PX`] cells with the most weight, at least three
/// cells apart, each at its weighted centre.
#[must_use]
pub fn find_hotspots(grid: &DensityGrid, max: usize) -> Vec<Hotspot> {
    let cell = CELL_PX as usize;
    let (w, h) = (grid.width as usize, grid.height as usize);
    let (cw, ch) = (w.div_ceil(cell), h.div_ceil(cell));
    if cw == 0 || ch == 0 || max == 0 {
        return Vec::new();
    }
    let mut coarse = vec![0.0f64; cw * ch];
    for (y, row) in grid.cells.chunks_exact(w.max(1)).enumerate() {
        let crow = (y / cell) * cw;
        for (x, &v) in row.iter().enumerate() {
            if v != 0.0 {
                coarse[crow + x / cell] += f64::from(v);
            }
        }
    }
    let mut window = vec![0.0f64; cw * ch];
    for cy in 0..ch {
        for cx in 0..cw {
            let mut s = 0.0;
            for ny in cy.saturating_sub(1)..(cy + 2).min(ch) {
                for nx in cx.saturating_sub(1)..(cx + 2).min(cw) {
                    s += coarse[ny * cw + nx];
                }
            }
            window[cy * cw + cx] = s;
        }
    }
    let mut out = Vec::new();
    while out.len() < max {
        let Some((best, &count)) = window
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        else {
            break;
        };
        if count <= 0.0 {
            break;
        }
        let (cx, cy) = (best % cw, best / cw);
        // Weighted centre over the window's pixels.
        let (x0, x1) = (cx.saturating_sub(1) * cell, ((cx + 2) * cell).min(w));
        let (y0, y1) = (cy.saturating_sub(1) * cell, ((cy + 2) * cell).min(h));
        let (mut sx, mut sy, mut sw) = (0.0f64, 0.0f64, 0.0f64);
        for y in y0..y1 {
            for x in x0..x1 {
                let v = f64::from(grid.cells[y * w + x]);
                sx += v * (x as f64 + 0.5);
                sy += v * (y as f64 + 0.5);
                sw += v;
            }
        }
        if sw > 0.0 {
            out.push(Hotspot {
                pos_in_page: PagePos {
                    x: (sx / sw) as f32,
                    y: (sy / sw) as f32,
                },
                count,
                target: None,
            });
        }
        for ny in cy.saturating_sub(2)..(cy + 3).min(ch) {
            for nx in cx.saturating_sub(2)..(cx + 3).min(cw) {
                window[ny * cw + nx] = 0.0;
            }
        }
    }
    out
}

/// How many sessions' bodies are read to name each hotspot's element.
const SESSIONS_PER_HOTSPOT: usize = 6;

/// Names each hotspot's element: the most frequent signal target (rage/dead maps, from
/// `signal_targets`, see [`PointAccumulator::add_signals`]) or click target (click maps, from
/// the sessions of a few page views behind the spot, which `load_session` gives by row id:
/// `None` for a session whose body cannot be read, which then names nothing).
pub fn label_hotspots<E>(
    result: &mut HeatmapResult,
    views: &[HeatmapPageView],
    signal_targets: &[Option<String>],
    mut load_session: impl FnMut(i64) -> Result<Option<Session>, E>,
) -> Result<(), E> {
    if result.hotspots.is_empty() || result.query.kind == HeatmapKind::Move {
        return Ok(());
    }
    let half = 1.5 * CELL_PX as f32;
    let inside = |h: &Hotspot, p: PagePos| {
        (p.x - h.pos_in_page.x).abs() <= half && (p.y - h.pos_in_page.y).abs() <= half
    };
    let is_signal = result.query.kind.signal_kind().is_some();
    let mut samples: Vec<Vec<(usize, u32)>> = vec![Vec::new(); result.hotspots.len()];
    let mut votes: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); result.hotspots.len()];
    let candidates = HotspotCells::new(&result.hotspots, half);
    let mut unfilled = result.hotspots.len();
    for (k, p) in result.point_refs.iter().enumerate() {
        if !is_signal && unfilled == 0 {
            break; // every hotspot has its sample of moments
        }
        for &hi in candidates.near(p.pos_in_page) {
            let hi = usize::from(hi);
            if !inside(&result.hotspots[hi], p.pos_in_page) {
                continue;
            }
            if is_signal {
                if let Some(Some(t)) = signal_targets.get(k) {
                    *votes[hi].entry(t.clone()).or_insert(0) += 1;
                }
            } else if samples[hi].len() < SESSIONS_PER_HOTSPOT * 2 {
                samples[hi].push((p.view as usize, p.t_ms));
                if samples[hi].len() == SESSIONS_PER_HOTSPOT * 2 {
                    unfilled -= 1;
                }
            }
            break;
        }
    }
    if !is_signal {
        let mut loaded: HashMap<i64, Option<Session>> = HashMap::new();
        for (hi, list) in samples.iter().enumerate() {
            let mut sessions_read = 0;
            for &(view, t_ms) in list {
                let Some(v) = views.get(view) else { continue };
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    loaded.entry(v.session_rowid)
                {
                    if sessions_read >= SESSIONS_PER_HOTSPOT {
                        continue;
                    }
                    sessions_read += 1;
                    slot.insert(load_session(v.session_rowid)?);
                }
                let Some(Some(session)) = loaded.get(&v.session_rowid) else {
                    continue;
                };
                let at = v.entered_at_ms + i64::from(t_ms);
                let target = session.events.iter().find_map(|e| match &e.kind {
                    EventKind::Click { kind, target, .. }
                        if e.page == v.page_index
                            && e.timestamp_ms == at
                            && kind.counts_as_click() =>
                    {
                        session.target(*target)
                    }
                    _ => None,
                });
                if let Some(t) = target {
                    *votes[hi].entry(describe_target(t)).or_insert(0) += 1;
                }
            }
        }
    }
    for (h, v) in result.hotspots.iter_mut().zip(votes) {
        h.target = v
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(t, _)| t);
    }
    Ok(())
}

/// For each [`CELL_PX`] cell of the page, the hotspots (by index, in order) whose box of
/// `half` px around the centre touches it: a point is tested only against those.
struct HotspotCells {
    columns: usize,
    cells: Vec<Vec<u16>>,
}

impl HotspotCells {
    fn new(hotspots: &[Hotspot], half: f32) -> Self {
        let cell = CELL_PX as f32;
        let extent = |f: fn(&Hotspot) -> f32| {
            hotspots
                .iter()
                .map(|h| ((f(h) + half).max(0.0) / cell) as usize + 1)
                .max()
                .unwrap_or(0)
        };
        let columns = extent(|h| h.pos_in_page.x);
        let rows = extent(|h| h.pos_in_page.y);
        let mut cells = vec![Vec::new(); columns * rows];
        for (i, h) in hotspots.iter().enumerate().take(usize::from(u16::MAX)) {
            let range = |c: f32| {
                let lo = ((c - half).max(0.0) / cell) as usize;
                let hi = ((c + half).max(0.0) / cell) as usize;
                lo..=hi
            };
            for row in range(h.pos_in_page.y) {
                for column in range(h.pos_in_page.x) {
                    if let Some(list) = cells.get_mut(row * columns + column)
                        && column < columns
                    {
                        list.push(u16::try_from(i).unwrap_or(u16::MAX));
                    }
                }
            }
        }
        Self { columns, cells }
    }

    fn near(&self, p: PagePos) -> &[u16] {
        if !(p.x >= 0.0 && p.y >= 0.0) {
            return &[];
        }
        let (column, row) = (
            (p.x / CELL_PX as f32) as usize,
            (p.y / CELL_PX as f32) as usize,
        );
        if column >= self.columns {
            return &[];
        }
        self.cells
            .get(row * self.columns + column)
            .map_or(&[], Vec::as_slice)
    }
}

/// `selector "text"` of an element, the label hotspots carry.
#[must_use]
pub fn describe_target(t: &crate::model::ElementDescriptor) -> String {
    let name = if t.selector.is_empty() {
        t.tag.clone()
    } else {
        t.selector.clone()
    };
    match t.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => {
            let short: String = text.chars().take(40).collect();
            format!("{name} \"{short}\"")
        }
        None => name,
    }
}

#[cfg(test)]
mod tests;
