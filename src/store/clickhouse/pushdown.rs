//! Aggregation pushed down to the server: the click map of one page binned per CSS pixel by
//! ClickHouse, its scroll map counted per band by ClickHouse, and the funnel walked by
//! ClickHouse, each equal to what the portable
//! composition (`store::aggregate`, `analysis::conversions::funnel`) makes of the same rows.
//!
//! The click map ([`ClickHouseLibrary::click_heatmap_figures`]) reads:
//!
//! 1. `page_views` of the page (one range of its `(url, …)` key) of the filtered sessions:
//!    counts, tallest page, folds, dates, and the page views per 10 px band of their deepest
//!    viewport bottom (scroll reach);
//! 2. `points` of the page's clicks (one range of its `(url, kind, …)` key) of the filtered
//!    sessions, counted per CSS pixel of the page (`GROUP BY` the pixel): the density grid
//!    arrives as one row per pixel with clicks, never as the clicks;
//! 3. the few clicks that a `position: fixed` click of the same page view and moment moves to
//!    its viewport position (fixed mode "show fixed" or "hide"), which are placed here as
//!    `analysis::heatmap::PointAccumulator::add_clicks` places them;
//! 4. for the hotspots found in the grid, the first clicks (in page view order) inside their
//!    boxes and the bodies of a few of their sessions, to name the element clicked.
//!
//! The result has every figure of `Store::heatmap` but no `views` and `point_refs` (see
//! `Store::heatmap_figures`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::rowbinary::{RowReader, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::{Dropper, Funnel, funnel_steps};
use crate::analysis::heatmap::{
    self, BAND_PX, CELL_PX, CountMode, DensityGrid, FixedMode, HeatmapKind, HeatmapQuery,
    HeatmapResult, MAX_PAGE_HEIGHT_PX, PointRef, WeightUnit,
};
use crate::model::points::{HeatmapPageView, PointKind};
use crate::model::{PagePos, Session, SizePx};
use crate::store::StoreError;

/// Clicks inside the hotspots' boxes read at first to name their elements (doubled while a
/// hotspot has fewer than it needs).
const FIRST_CANDIDATES: u64 = 4_096;
/// Clicks per hotspot `analysis::heatmap::label_hotspots` samples.
const SAMPLES_PER_HOTSPOT: usize = 12;

/// A click: its session `(session_id, batch_id)`, page view, order in the page view, final
/// position and time.
#[derive(Clone, Debug)]
struct Placed {
    session: Arc<(String, u64)>,
    session_rowid: i64,
    page_index: u32,
    seq: u32,
    pos: PagePos,
    t_ms: u32,
}

/// What the page views of a map tell: counts, tallest page (document or deepest viewport
/// bottom), summed viewport heights, first and last start, and page views per scroll band.
pub(super) struct PageViewFigures {
    page_views: u64,
    sessions: u64,
    pub(super) tallest: u32,
    heights: u64,
    first_ms: i64,
    last_ms: i64,
    bands: Vec<(u64, u64)>,
}

impl Placed {
    fn key(&self) -> (i64, u32, u32) {
        (self.session_rowid, self.page_index, self.seq)
    }
}

/// True when a query's map is answered by the server: clicks (clicks or sessions per pixel),
/// moves (dwell time or sessions per pixel), rage and dead clicks (signals or sessions per
/// pixel), scroll maps (page views per band of their deepest viewport bottom) and attention
/// maps (visible time per span of bands). Maps of one variant take the portable composition.
#[must_use]
pub(crate) fn pushed_down(query: &HeatmapQuery) -> bool {
    let kind = match query.kind {
        HeatmapKind::Click
        | HeatmapKind::Move
        | HeatmapKind::Scroll
        | HeatmapKind::Attention
        | HeatmapKind::Rage
        | HeatmapKind::Dead => true,
    };
    kind && query.variant.is_none()
}

/// A page view's duration as `analysis::heatmap::dwell_weights_ms` and `add_attention` take
/// it: `left_at_ms - entered_at_ms` clamped to `0..=u32::MAX`, as a `UInt32`.
const VIEW_END_MS: &str =
    "toUInt32(least(greatest(left_at_ms - entered_at_ms, 0), 4294967295)) AS end_ms";

/// Runs `side` on a thread named `name` while `main` runs here; when no thread can be started,
/// `side` runs here after `main`.
pub(super) fn beside<A: Send, B>(
    name: &str,
    side: impl Fn() -> Result<A, ClickHouseError> + Sync,
    main: impl FnOnce() -> B,
    panicked: impl Fn() -> ClickHouseError,
) -> (Result<A, ClickHouseError>, B) {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(scope, &side);
        let b = main();
        let a = match handle {
            Ok(h) => h.join().unwrap_or_else(|_| Err(panicked())),
            Err(_) => side(),
        };
        (a, b)
    })
}

/// The conditions of a map's reads: the page, the viewport widths, the visible sessions (a
/// subquery of their keys `(session_rowid, batch_id)`), and the three together for
/// `page_views`.
pub(super) struct MapConditions {
    pub(super) url_cond: String,
    pub(super) widths: String,
    pub(super) visible: String,
    pub(super) views_where: String,
}

impl MapConditions {
    /// The condition on `points` of the map's points of `kind`.
    pub(super) fn points_where(&self, kind: PointKind) -> String {
        format!(
            "{} AND kind = {}{} AND (session_rowid, batch_id) IN ({})",
            self.url_cond,
            kind.code(),
            self.widths,
            self.visible
        )
    }
}

/// The figures of the page views (read on a thread of its own) and what `main` reads beside.
fn beside_views<B>(
    library: &ClickHouseLibrary,
    views_where: &str,
    main: impl FnOnce() -> B,
) -> (Result<PageViewFigures, ClickHouseError>, B) {
    beside(
        "clickhouse-heatmap-views",
        || library.page_view_figures(views_where),
        main,
        || {
            library
                .client
                .decode_error("a heatmap reader thread panicked")
        },
    )
}

/// Adds the server's bins `(x, y, weight, points)` to `result`'s grid (already sized): a bin
/// inside the grid sets its pixel to the weight (an exact sum rounded to f32 once, as
/// `PointAccumulator` rounds it) and counts its points; the rest count outside the page.
fn fill_grid(result: &mut HeatmapResult, bins: impl IntoIterator<Item = (i32, i32, f64, u64)>) {
    let (width, page_height_px) = (result.density.width, result.page_height_px);
    for (px, py, weight, n) in bins {
        match (usize::try_from(px), u32::try_from(py)) {
            (Ok(px), Ok(py)) if py < page_height_px => {
                let i = py as usize * width as usize + px;
                if let Some(cell) = result.density.cells.get_mut(i) {
                    *cell = weight as f32;
                }
                result.points += n;
            }
            _ => result.points_outside_page += n,
        }
    }
}

/// SQL: the 16 px cell of the coordinate `v` (at least 0) in which unique-sessions maps count a
/// session once, as `PointAccumulator` finds it (`v as u32 / CELL_PX`).
fn cell_of(v: &str) -> String {
    format!("intDiv(toUInt32(least(floor({v}), 4294967295.)), {CELL_PX})")
}

/// SQL: `x_col`, `y_col` within the box of 1.5 cells each side of any of `hotspots`, one pixel
/// wider (the exact test, in f32 as the client makes it, is `label_hotspots`'s own).
fn hotspot_boxes(hotspots: &[heatmap::Hotspot], x_col: &str, y_col: &str) -> String {
    let m = 1.5 * f64::from(CELL_PX) + 1.0;
    let boxes: Vec<String> = hotspots
        .iter()
        .map(|h| {
            let (x, y) = (f64::from(h.pos_in_page.x), f64::from(h.pos_in_page.y));
            format!(
                "({x_col} BETWEEN {:?} AND {:?} AND {y_col} BETWEEN {:?} AND {:?})",
                x - m,
                x + m,
                y - m,
                y + m
            )
        })
        .collect();
    boxes.join(" OR ")
}

impl ClickHouseLibrary {
    /// The conditions of `query`'s reads.
    pub(super) fn map_conditions(
        &self,
        query: &HeatmapQuery,
    ) -> Result<MapConditions, ClickHouseError> {
        let state = self.state()?;
        let visible = self.visible_rowids_in(&query.filter, &state);
        let url_cond = super::read::url_condition("url", &query.page);
        let widths = query.viewport_widths.map_or_else(String::new, |(lo, hi)| {
            format!(" AND viewport_width BETWEEN {lo} AND {hi}")
        });
        let views_where =
            format!("{url_cond}{widths} AND (session_rowid, batch_id) IN ({visible})");
        Ok(MapConditions {
            url_cond,
            widths,
            visible,
            views_where,
        })
    }

    /// The scroll map of `query` (see [`pushed_down`]): the page views' figures, their scroll
    /// reach from the page views per 10 px band of their deepest viewport bottom, counted by
    /// the server; `views` is left empty.
    pub fn scroll_heatmap_figures(
        &self,
        query: &HeatmapQuery,
    ) -> Result<HeatmapResult, ClickHouseError> {
        let MapConditions { views_where, .. } = self.map_conditions(query)?;
        Ok(figures_result(query, self.page_view_figures(&views_where)?))
    }

    /// The move map of `query` (see [`pushed_down`]) binned by the server: per CSS pixel, the
    /// summed dwell seconds of its samples (total) or the sessions whose first sample in a
    /// 16 px cell lies there (unique sessions), as `PointAccumulator::add_moves` weighs and
    /// counts them. Move maps name no elements; `views` is left empty.
    pub fn move_heatmap_figures(
        &self,
        query: &HeatmapQuery,
    ) -> Result<HeatmapResult, ClickHouseError> {
        let conditions = self.map_conditions(query)?;
        let moves_where = conditions.points_where(PointKind::Move);
        let views_where = &conditions.views_where;
        let (figures, bins) = beside_views(self, views_where, || {
            self.move_bins(query, &moves_where, views_where)
        });
        let (figures, bins) = (figures?, bins?);
        let page_views = figures.page_views;
        let mut result = figures_result(query, figures);
        result.density = DensityGrid::new(query.layout_width_px, result.page_height_px);
        if page_views == 0 {
            return Ok(result);
        }
        fill_grid(&mut result, bins);
        result.hotspots = heatmap::find_hotspots(&result.density, query.max_hotspots);
        Ok(result)
    }

    /// Move samples matching `moves_where` per CSS pixel `(x, y, weight, samples)`, those left
    /// of the page, above it or right of the layout (or beyond the tallest grid) in one row
    /// `(-1, -1, …)`.
    ///
    /// Total: a sample's weight is its dwell, the time to the page view's next sample (in
    /// recording order) or to its end, capped (the lambdas take every value as an argument:
    /// ClickHouse 18.16 drops a subquery's column that a lambda alone reads), in seconds as the
    /// f32 the client computes
    /// (`toFloat32(w) / 1000` rounded to f32 once more is the f32 quotient: a quotient of
    /// two f32 values rounded from f64 is never rounded twice wrongly). Summed in f64, exactly
    /// (see `PointAccumulator::into_grid`), so the order of the sum does not matter.
    ///
    /// Unique sessions: each session counts once per 16 px cell, at the position of its first
    /// sample there (page view, then recording order); a sample left of or above the page is
    /// never deduplicated and counts outside.
    ///
    /// Joined subqueries carry aliases: current releases refuse them without (18.16 takes
    /// either; docs/CLICKHOUSE.md, "Versions").
    fn move_bins(
        &self,
        query: &HeatmapQuery,
        moves_where: &str,
        views_where: &str,
    ) -> Result<Vec<(i32, i32, f64, u64)>, ClickHouseError> {
        let width = query.layout_width_px;
        let inside = format!("x >= 0. AND y >= 0. AND x < {width}. AND y < {MAX_PAGE_HEIGHT_PX}.");
        let points = self.table("points");
        let unique = query.count_mode == CountMode::UniqueSessions;
        // Each counted sample weighs 1 in unique mode (counted, not summed: a constant column
        // in a `UNION ALL` fails over `Distributed` tables on 18.16).
        let weight = if unique {
            "toFloat64(count())"
        } else {
            "sum(w)"
        };
        let samples = if unique {
            format!(
                "SELECT x, y FROM {points}
                 WHERE {moves_where} AND NOT (x >= 0. AND y >= 0.)
                 UNION ALL
                 SELECT argMin(sx, o) AS x, argMin(sy, o) AS y FROM (
                   SELECT session_rowid, x AS sx, y AS sy, toUInt64(page_index) * 4294967296 + seq AS o
                   FROM {points} WHERE {moves_where} AND x >= 0. AND y >= 0.)
                 GROUP BY session_rowid, {}, {}",
                cell_of("sx"),
                cell_of("sy"),
            )
        } else {
            let cap = query.move_dwell_cap_ms;
            format!(
                "SELECT tupleElement(p, 3) AS x, tupleElement(p, 4) AS y,
                        toFloat64(toFloat32(toFloat32(dwell) / 1000)) AS w
                 FROM (
                   SELECT ps, arrayMap(p -> tupleElement(p, 2), ps) AS ts,
                          arrayMap((t, next) -> toUInt32(least(toInt64(greatest(next, t)) - toInt64(t), {cap})),
                                   ts, arrayPopFront(arrayPushBack(ts, end_ms))) AS ws
                   FROM (
                     SELECT ps, end_ms FROM (
                       SELECT session_rowid, page_index, arraySort(groupArray((seq, t_ms, x, y))) AS ps
                       FROM {points} WHERE {moves_where} GROUP BY session_rowid, page_index
                     ) AS moves ANY INNER JOIN (
                       SELECT session_rowid, page_index, {VIEW_END_MS}
                       FROM {} WHERE {views_where}
                     ) AS views USING (session_rowid, page_index))
                 ) ARRAY JOIN ps AS p, ws AS dwell",
                self.table("page_views"),
            )
        };
        let answer = self.client.query(&format!(
            "SELECT if({inside}, toInt32(floor(x)), -1) AS px, if({inside}, toInt32(floor(y)), -1) AS py,
                    {weight}, count()
             FROM ({samples}) GROUP BY px, py FORMAT RowBinary"
        ))?;
        RowReader::new(&answer)
            .rows(|r| Some((r.i32()?, r.i32()?, r.f64()?, r.u64()?)))
            .ok_or_else(|| self.client.decode_error("move bins"))
    }

    /// The rage or dead click map of `query` (see [`pushed_down`]) binned by the server: the
    /// published signals of that kind with a position on the map's page views, counted per CSS
    /// pixel (total) or once per session and 16 px cell at its first signal there (unique
    /// sessions, by start time), as `PointAccumulator::add_signals` counts them. Hotspots are
    /// named by the targets of the counted signals inside them, which the server counts per
    /// position and target; `views` is left empty.
    pub fn signal_heatmap_figures(
        &self,
        query: &HeatmapQuery,
    ) -> Result<HeatmapResult, ClickHouseError> {
        let kind = query.kind.signal_kind().unwrap_or("");
        let signal_version = self.signal_version()?;
        let MapConditions {
            visible,
            views_where,
            ..
        } = self.map_conditions(query)?;
        let signals = format!(
            "SELECT toFloat32(assumeNotNull(x)) AS sx, toFloat32(assumeNotNull(y)) AS sy, target,
                    session_rowid, (start_ms, signal_index) AS o
             FROM {} WHERE kind = {} AND signal_version = {signal_version}
               AND isNotNull(x) AND isNotNull(y) AND (session_rowid, batch_id) IN ({visible})
               AND (session_rowid, page_index) IN (SELECT session_rowid, page_index FROM {} WHERE {views_where})",
            self.table("signals"),
            quote(kind),
            self.table("page_views"),
        );
        // The counted signals `(sx, sy, target)`: every one, or in unique mode each session's
        // first in each cell (a signal left of or above the page is never deduplicated).
        let counted = if query.count_mode == CountMode::UniqueSessions {
            format!(
                "SELECT sx, sy, target FROM ({signals}) WHERE NOT (sx >= 0. AND sy >= 0.)
                 UNION ALL
                 SELECT tupleElement(win, 1) AS sx, tupleElement(win, 2) AS sy, tupleElement(win, 3) AS target
                 FROM (SELECT argMin((sx, sy, target), o) AS win FROM ({signals})
                       WHERE sx >= 0. AND sy >= 0. GROUP BY session_rowid, {}, {})",
                cell_of("sx"),
                cell_of("sy"),
            )
        } else {
            format!("SELECT sx, sy, target FROM ({signals})")
        };
        let width = query.layout_width_px;
        let inside =
            format!("sx >= 0. AND sy >= 0. AND sx < {width}. AND sy < {MAX_PAGE_HEIGHT_PX}.");
        let bins = || -> Result<Vec<(i32, i32, u64)>, ClickHouseError> {
            let answer = self.client.query(&format!(
                "SELECT if({inside}, toInt32(floor(sx)), -1) AS px, if({inside}, toInt32(floor(sy)), -1) AS py,
                        count()
                 FROM ({counted}) GROUP BY px, py FORMAT RowBinary"
            ))?;
            RowReader::new(&answer)
                .rows(|r| Some((r.i32()?, r.i32()?, r.u64()?)))
                .ok_or_else(|| self.client.decode_error("signal bins"))
        };
        let (figures, bins) = beside_views(self, &views_where, bins);
        let (figures, bins) = (figures?, bins?);
        let page_views = figures.page_views;
        let mut result = figures_result(query, figures);
        result.density = DensityGrid::new(width, result.page_height_px);
        if page_views == 0 {
            return Ok(result);
        }
        fill_grid(
            &mut result,
            bins.into_iter().map(|(x, y, n)| (x, y, n as f64, n)),
        );
        result.hotspots = heatmap::find_hotspots(&result.density, query.max_hotspots);
        if result.hotspots.is_empty() {
            return Ok(result);
        }
        // The targets of the counted signals near the hotspots, per position and target; each
        // stands for as many point references as signals there, which `label_hotspots` votes
        // with (signal maps read no page view or session).
        let answer = self.client.query(&format!(
            "SELECT sx, sy, assumeNotNull(target), count() FROM ({counted})
             WHERE isNotNull(target) AND ({}) GROUP BY sx, sy, target FORMAT RowBinary",
            hotspot_boxes(&result.hotspots, "sx", "sy"),
        ))?;
        let near = RowReader::new(&answer)
            .rows(|r| Some((r.f32()?, r.f32()?, r.string()?, r.u64()?)))
            .ok_or_else(|| self.client.decode_error("signal targets"))?;
        let mut targets = Vec::new();
        for (x, y, target, n) in near {
            let pos_in_page = PagePos { x, y };
            if result.density.cell_index(pos_in_page).is_none() {
                continue;
            }
            for _ in 0..n {
                result.point_refs.push(PointRef {
                    pos_in_page,
                    view: 0,
                    t_ms: 0,
                });
                targets.push(Some(target.clone()));
            }
        }
        let labelled = heatmap::label_hotspots(&mut result, &[], &targets, |_| {
            Ok::<_, ClickHouseError>(None)
        });
        result.point_refs = Vec::new();
        labelled?;
        Ok(result)
    }

    /// The attention map of `query` (see [`pushed_down`]): the server walks each page view's
    /// scroll offsets (recording order, from a hold at the top when it was entered) and sums
    /// the held milliseconds per span of 10 px bands a hold shows; the client spreads the
    /// spans over the bands as `analysis::heatmap::add_attention` does. Whole milliseconds,
    /// summed exactly; `views` is left empty.
    pub fn attention_heatmap_figures(
        &self,
        query: &HeatmapQuery,
    ) -> Result<HeatmapResult, ClickHouseError> {
        let conditions = self.map_conditions(query)?;
        let scrolls_where = conditions.points_where(PointKind::Scroll);
        let views_where = &conditions.views_where;
        let (figures, spans) = beside_views(self, views_where, || {
            self.attention_spans(query, &scrolls_where, views_where)
        });
        let (figures, spans) = (figures?, spans?);
        let page_views = figures.page_views;
        let mut result = figures_result(query, figures);
        let n = result.page_height_px.div_ceil(BAND_PX) as usize;
        let mut diff = vec![0.0f64; n + 1];
        for (top, bottom, ms) in spans {
            let top = usize::try_from(top).unwrap_or(usize::MAX).min(n);
            let bottom = usize::try_from(bottom).unwrap_or(usize::MAX).min(n);
            if top < bottom {
                diff[top] += ms as f64;
                diff[bottom] -= ms as f64;
            }
        }
        let views = page_views.max(1) as f64;
        let mut running = 0.0f64;
        result.attention_secs = diff[..n]
            .iter()
            .map(|d| {
                running += d;
                (running / views / 1000.0) as f32
            })
            .collect();
        Ok(result)
    }

    /// Held milliseconds per span of bands `(top, bottom, ms)`, unclamped: per page view, the
    /// holds are the top at its start and then each scroll offset, each held until the next
    /// (or the page view's end), capped at the query's idle cap; a hold at `y` shows bands
    /// `[floor(max(y, 0) / 10), ceil((max(y, 0) + viewport height) / 10))`, computed in f32 as
    /// the client does (a sum or quotient of f32 values rounded from f64 is the f32 one).
    fn attention_spans(
        &self,
        query: &HeatmapQuery,
        scrolls_where: &str,
        views_where: &str,
    ) -> Result<Vec<(u64, u64, u64)>, ClickHouseError> {
        let cap = query.attention_idle_cap_ms;
        let y0 = "greatest(tupleElement(h, 2), toFloat32(0))";
        let answer = self.client.query(&format!(
            "SELECT band_top, band_bottom, sum(dt) FROM (
               SELECT toUInt64(least(floor(toFloat32({y0} / {BAND_PX})), 4294967295.)) AS band_top,
                      toUInt64(least(ceil(toFloat32(toFloat32({y0} + toFloat32(vh)) / {BAND_PX})),
                                     4294967295.)) AS band_bottom,
                      dt
               FROM (
                 SELECT arrayConcat([(toUInt32(0), toFloat32(0))],
                                    arrayMap(p -> (tupleElement(p, 2), tupleElement(p, 3)), ps)) AS hs,
                        arrayMap(h -> tupleElement(h, 1), hs) AS ts,
                        arrayMap((t, next) -> toUInt32(least(toInt64(greatest(next, t)) - toInt64(t), {cap})),
                                 ts, arrayPopFront(arrayPushBack(ts, end_ms))) AS dts,
                        vh
                 FROM (
                   SELECT end_ms, vh, ps FROM (
                     SELECT session_rowid, page_index, {VIEW_END_MS}, viewport_height AS vh
                     FROM {} WHERE {views_where}
                   ) AS views ANY LEFT JOIN (
                     SELECT session_rowid, page_index, arraySort(groupArray((seq, t_ms, y))) AS ps
                     FROM {} WHERE {scrolls_where} GROUP BY session_rowid, page_index
                   ) AS scrolls USING (session_rowid, page_index))
               ) ARRAY JOIN hs AS h, dts AS dt
               WHERE dt > 0 AND isFinite(tupleElement(h, 2)))
             GROUP BY band_top, band_bottom FORMAT RowBinary",
            self.table("page_views"),
            self.table("points"),
        ))?;
        RowReader::new(&answer)
            .rows(|r| Some((r.u64()?, r.u64()?, r.u64()?)))
            .ok_or_else(|| self.client.decode_error("attention spans"))
    }

    /// The click map of `query` (see [`pushed_down`]) binned by the server: per CSS pixel, the
    /// clicks (total) or the sessions whose first click in a 16 px cell lies there (unique
    /// sessions), as `PointAccumulator::add_clicks` counts them; `views` and `point_refs` are
    /// left empty.
    pub fn click_heatmap_figures(
        &self,
        query: &HeatmapQuery,
    ) -> Result<HeatmapResult, ClickHouseError> {
        let conditions = self.map_conditions(query)?;
        let MapConditions {
            url_cond,
            widths,
            views_where,
            ..
        } = &conditions;
        let width = query.layout_width_px;
        let unique = query.count_mode == CountMode::UniqueSessions;
        // Every fixed click's page view and moment on the page, of any session: a click of
        // a visible session matching one is placed on the client (step 3), where only the
        // visible session's own fixed clicks move it.
        let moved_keys = (query.fixed_mode != FixedMode::ShowScrolled).then(|| {
            format!(
                "SELECT session_rowid, page_index, t_ms FROM {} WHERE {url_cond} AND kind = {}{widths}",
                self.table("points"),
                PointKind::FixedClick.code()
            )
        });
        let not_moved = moved_keys.as_ref().map_or_else(String::new, |keys| {
            format!(" AND (session_rowid, page_index, t_ms) NOT IN ({keys})")
        });
        let clicks_where = format!("{}{not_moved}", conditions.points_where(PointKind::Click));
        // 1.–3. Three reads at once, each on a connection of its own: the page views'
        // figures, the clicks per pixel, and the clicks fixed clicks move (in unique mode
        // with the first clicks per cell of their sessions that stay, which they may precede).
        let place = || match &moved_keys {
            Some(keys) => {
                let placed = self.place_fixed_clicks(query, views_where, keys)?;
                if !unique || placed.is_empty() {
                    return Ok((placed, Vec::new()));
                }
                let firsts = self.read_clicks(&format!(
                    "SELECT * FROM ({}) ORDER BY session_rowid, page_index, seq",
                    self.first_clicks(&format!(
                        "{clicks_where} AND session_rowid IN (SELECT session_rowid FROM {} WHERE {views_where}
                           AND kind = {} AND (session_rowid, page_index, t_ms) IN ({keys}))",
                        self.table("points"),
                        PointKind::Click.code(),
                    ))
                ))?;
                Ok((placed, firsts))
            }
            None => Ok((Vec::new(), Vec::new())),
        };
        let (figures, (placed, bins)) = beside_views(self, views_where, || {
            beside(
                "clickhouse-heatmap-fixed",
                place,
                || self.click_bins(&clicks_where, width, unique),
                || self.client.decode_error("a heatmap reader thread panicked"),
            )
        });
        let figures = figures?;
        let (bins, (placed, firsts)) = (bins?, placed?);
        let page_views = figures.page_views;
        let mut result = figures_result(query, figures);
        result.density = DensityGrid::new(width, result.page_height_px);
        if page_views == 0 {
            return Ok(result);
        }
        // 2. Clicks per pixel. Counts are whole numbers: each cell is the count rounded to f32
        // once, as the portable path rounds its f64 sum of ones.
        fill_grid(
            &mut result,
            bins.into_iter().map(|(x, y, n)| (x, y, n as f64, n)),
        );
        // 3. The clicks fixed clicks move, placed as `PointAccumulator::add_clicks` does; in
        // unique mode one of them counts in place of its session's first click in a cell
        // that stays when it comes before it, and not at all when it comes after.
        let mut firsts: HashMap<(i64, u32, u32), (Placed, bool)> = firsts
            .into_iter()
            .filter_map(|p| Some((heatmap::unique_cell(p.session_rowid, p.pos)?, (p, true))))
            .collect();
        let mut replaced: HashSet<(i64, u32, u32)> = HashSet::new();
        let mut change: BTreeMap<usize, i64> = BTreeMap::new();
        let mut counted = Vec::new();
        for p in placed {
            if unique && let Some(cell) = heatmap::unique_cell(p.session_rowid, p.pos) {
                match firsts.get(&cell) {
                    Some((first, true)) if p.key() < first.key() => {
                        match result.density.cell_index(first.pos) {
                            Some(i) => {
                                *change.entry(i).or_default() -= 1;
                                result.points -= 1;
                            }
                            None => result.points_outside_page -= 1,
                        }
                        replaced.insert(first.key());
                    }
                    Some(_) => continue,
                    None => {}
                }
                firsts.insert(cell, (p.clone(), false));
            }
            match result.density.cell_index(p.pos) {
                Some(i) => {
                    *change.entry(i).or_default() += 1;
                    result.points += 1;
                    counted.push(p);
                }
                None => result.points_outside_page += 1,
            }
        }
        for (i, n) in change {
            if let Some(cell) = result.density.cells.get_mut(i) {
                // The server's count is whole, so the f32 holds it exactly.
                *cell = (f64::from(*cell) + n as f64) as f32;
            }
        }
        result.hotspots = heatmap::find_hotspots(&result.density, query.max_hotspots);

        // 4. Name the hotspots' elements.
        if !result.hotspots.is_empty() {
            let counted_clicks = if unique {
                self.first_clicks(&clicks_where)
            } else {
                format!(
                    "SELECT session_id, batch_id, session_rowid, page_index, seq, x, y, t_ms FROM {}
                     WHERE {clicks_where}",
                    self.table("points")
                )
            };
            self.label_click_hotspots(&mut result, &counted_clicks, &counted, &replaced)?;
        }
        Ok(result)
    }

    /// SQL: each visible session's first click (page view, then click order) in each 16 px
    /// cell among the clicks matching `clicks_where` at or right of and below the page's
    /// corner, as `(session_id, batch_id, session_rowid, page_index, seq, x, y, t_ms)`: the
    /// clicks a unique-sessions map counts there.
    fn first_clicks(&self, clicks_where: &str) -> String {
        format!(
            "SELECT tupleElement(w, 1) AS session_id, tupleElement(w, 2) AS batch_id, session_rowid,
                    tupleElement(w, 3) AS page_index, tupleElement(w, 4) AS seq,
                    tupleElement(w, 5) AS x, tupleElement(w, 6) AS y, tupleElement(w, 7) AS t_ms
             FROM (
               SELECT session_rowid, argMin((sid, bid, pi, sq, sx, sy, st), (pi, sq)) AS w
               FROM (
                 SELECT session_rowid, session_id AS sid, batch_id AS bid, page_index AS pi,
                        seq AS sq, x AS sx, y AS sy, t_ms AS st
                 FROM {} WHERE {clicks_where} AND x >= 0. AND y >= 0.)
               GROUP BY session_rowid, {}, {})",
            self.table("points"),
            cell_of("sx"),
            cell_of("sy"),
        )
    }

    /// The clicks `select` reads, each as
    /// `(session_id, batch_id, session_rowid, page_index, seq, x, y, t_ms)`.
    fn read_clicks(&self, select: &str) -> Result<Vec<Placed>, ClickHouseError> {
        let answer = self.client.query(&format!("{select} FORMAT RowBinary"))?;
        RowReader::new(&answer)
            .rows(|r| {
                Some(Placed {
                    session: Arc::new((r.string()?, r.u64()?)),
                    session_rowid: r.i64()?,
                    page_index: r.u32()?,
                    seq: r.u32()?,
                    pos: PagePos {
                        x: r.f32()?,
                        y: r.f32()?,
                    },
                    t_ms: r.u32()?,
                })
            })
            .ok_or_else(|| self.client.decode_error("clicks"))
    }

    /// The figures of the page views matching `views_where` (a condition on `page_views`).
    pub(super) fn page_view_figures(
        &self,
        views_where: &str,
    ) -> Result<PageViewFigures, ClickHouseError> {
        // Depths as the f32 the client holds; a band is `floor(depth / BAND_PX)`, the same
        // in f64 as in f32 (the quotient never rounds across a whole number).
        let depth = "toFloat32(max_depth_px)";
        let answer = self.client.query(&format!(
            "SELECT count(), uniqExact(session_rowid),
                    max(if(isNaN({depth}) OR {depth} <= 0, 0, toUInt64(least(ceil({depth}), 4294967295)))),
                    max(doc_height), sum(toUInt64(viewport_height)),
                    min(entered_at_ms), max(entered_at_ms),
                    sumMap([toUInt64(if(isFinite({depth}) AND {depth} >= 0,
                                        least(floor({depth} / {BAND_PX}), 4294967295), 0))],
                           [toUInt64(1)])
             FROM {} WHERE {views_where} FORMAT RowBinary",
            self.table("page_views"),
        ))?;
        let mut r = RowReader::new(&answer);
        let figures = (|| {
            let page_views = r.u64()?;
            let sessions = r.u64()?;
            let deepest = r.u64()?;
            let doc_height = r.u32()?;
            let heights = r.u64()?;
            let first_ms = r.i64()?;
            let last_ms = r.i64()?;
            let n = usize::try_from(r.varint()?).ok()?;
            let mut keys = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                keys.push(r.u64()?);
            }
            let m = usize::try_from(r.varint()?).ok()?;
            let mut bands = Vec::with_capacity(m.min(1 << 16));
            for key in keys.iter().take(m) {
                bands.push((*key, r.u64()?));
            }
            Some(PageViewFigures {
                page_views,
                sessions,
                tallest: u32::try_from(deepest).unwrap_or(u32::MAX).max(doc_height),
                heights,
                first_ms,
                last_ms,
                bands,
            })
        })();
        figures.ok_or_else(|| self.client.decode_error("heatmap page views"))
    }

    /// Clicks matching `clicks_where` per CSS pixel `(x, y, count)`, or in unique mode each
    /// session's first click per 16 px cell (a click left of or above the page is never
    /// deduplicated): the clicks left of the page, above it or right of `width` (or beyond
    /// the tallest grid) counted in one row `(-1, -1, n)`.
    fn click_bins(
        &self,
        clicks_where: &str,
        width: u32,
        unique: bool,
    ) -> Result<Vec<(i32, i32, u64)>, ClickHouseError> {
        let inside = format!("x >= 0. AND y >= 0. AND x < {width}. AND y < {MAX_PAGE_HEIGHT_PX}.");
        let points = self.table("points");
        let from = if unique {
            format!(
                "(SELECT x, y FROM {points} WHERE {clicks_where} AND NOT (x >= 0. AND y >= 0.)
                  UNION ALL
                  SELECT x, y FROM ({}))",
                self.first_clicks(clicks_where)
            )
        } else {
            format!("{points} WHERE {clicks_where}")
        };
        let answer = self.client.query(&format!(
            "SELECT if({inside}, toInt32(floor(x)), -1) AS px, if({inside}, toInt32(floor(y)), -1) AS py,
                    count()
             FROM {from} GROUP BY px, py FORMAT RowBinary"
        ))?;
        RowReader::new(&answer)
            .rows(|r| Some((r.i32()?, r.i32()?, r.u64()?)))
            .ok_or_else(|| self.client.decode_error("click bins"))
    }

    /// The clicks of the page views matching `views_where` whose page view and moment are
    /// among `moved_keys` (a fixed click's), with their final position (hidden ones left
    /// out), in page view and click order: as `PointAccumulator::add_clicks` places them,
    /// matched with the page view's fixed clicks at the same moment.
    fn place_fixed_clicks(
        &self,
        query: &HeatmapQuery,
        views_where: &str,
        moved_keys: &str,
    ) -> Result<Vec<Placed>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT session_id, batch_id, session_rowid, page_index, kind, seq, x, y, t_ms FROM {}
             WHERE {views_where} AND ((kind = {click} AND (session_rowid, page_index, t_ms) IN ({moved_keys}))
                                      OR kind = {fixed})
             ORDER BY session_rowid, page_index, kind, seq FORMAT RowBinary",
            self.table("points"),
            click = PointKind::Click.code(),
            fixed = PointKind::FixedClick.code(),
        ))?;
        let rows = RowReader::new(&answer)
            .rows(|r| {
                Some((
                    (r.string()?, r.u64()?),
                    r.i64()?,
                    r.u32()?,
                    r.u8()?,
                    r.u32()?,
                    r.f32()?,
                    r.f32()?,
                    r.u32()?,
                ))
            })
            .ok_or_else(|| self.client.decode_error("fixed clicks"))?;
        let fixed_code = u8::try_from(PointKind::FixedClick.code()).unwrap_or(u8::MAX);
        let mut out = Vec::new();
        for group in rows.chunk_by(|a, b| (a.1, a.2) == (b.1, b.2)) {
            // The page view's fixed clicks, (t, viewport x, viewport y) in click order.
            let mut fixed: Vec<(u32, f32, f32)> = group
                .iter()
                .filter(|r| r.3 == fixed_code)
                .map(|r| (r.7, r.5, r.6))
                .collect();
            let session: Arc<(String, u64)> = Arc::new(group[0].0.clone());
            for &(_, rowid, page_index, kind, seq, x, y, t) in group {
                if kind == fixed_code {
                    continue;
                }
                let mut pos = PagePos { x, y };
                if let Some(k) = fixed.iter().position(|f| f.0 == t) {
                    let (_, vx, vy) = fixed.swap_remove(k);
                    if query.fixed_mode == FixedMode::Hide {
                        continue;
                    }
                    pos = PagePos { x: vx, y: vy };
                }
                out.push(Placed {
                    session: Arc::clone(&session),
                    session_rowid: rowid,
                    page_index,
                    seq,
                    pos,
                    t_ms: t,
                });
            }
        }
        Ok(out)
    }

    /// Names the hotspots of a click map as `analysis::heatmap::label_hotspots` does over every
    /// counted click: it is given the counted clicks inside the hotspots' boxes in page view
    /// order, as far as every hotspot has its sample (the server's `counted_clicks`, a select
    /// of `(session_id, batch_id, session_rowid, page_index, seq, x, y, t_ms)`, but those
    /// `replaced` here, with those `placed` here merged in), and the page views and sessions
    /// behind them.
    fn label_click_hotspots(
        &self,
        result: &mut HeatmapResult,
        counted_clicks: &str,
        placed: &[Placed],
        replaced: &HashSet<(i64, u32, u32)>,
    ) -> Result<(), ClickHouseError> {
        let boxes = hotspot_boxes(&result.hotspots, "x", "y");
        let half = 1.5 * CELL_PX as f32;
        let hotspots = result.hotspots.clone();
        let in_box = |p: PagePos| {
            hotspots.iter().position(|h| {
                (p.x - h.pos_in_page.x).abs() <= half && (p.y - h.pos_in_page.y).abs() <= half
            })
        };
        let (width, height) = (result.density.width, result.density.height);
        let mut limit = FIRST_CANDIDATES;
        let candidates = loop {
            let mut server = self.read_clicks(&format!(
                "SELECT * FROM ({counted_clicks})
                 WHERE x >= 0. AND y >= 0. AND x < {width}. AND y < {height}. AND ({boxes})
                 ORDER BY session_rowid, page_index, seq LIMIT {limit}"
            ))?;
            let truncated = server.len() as u64 >= limit;
            let until = server.last().map(Placed::key);
            server.retain(|p| !replaced.contains(&p.key()));
            let mut merged: Vec<Placed> = server;
            merged.extend(
                placed
                    .iter()
                    .filter(|p| {
                        in_box(p.pos).is_some()
                            && (!truncated || until.is_some_and(|u| p.key() < u))
                    })
                    .cloned(),
            );
            merged.sort_by_key(Placed::key);
            if !truncated {
                break merged;
            }
            // Enough when every hotspot has its sample among the clicks read so far.
            let mut per_hotspot = vec![0usize; hotspots.len()];
            for p in &merged {
                if let Some(i) = in_box(p.pos) {
                    per_hotspot[i] += 1;
                }
            }
            if per_hotspot.iter().all(|&n| n >= SAMPLES_PER_HOTSPOT) {
                break merged;
            }
            limit = limit.saturating_mul(2);
        };
        // Only a hotspot's first samples are read by `label_hotspots` (later clicks in its box
        // are passed over): keep those, so few page views and sessions are read.
        let mut taken = vec![0usize; hotspots.len()];
        let candidates: Vec<Placed> = candidates
            .into_iter()
            .filter(|p| match in_box(p.pos) {
                Some(i) if taken[i] < SAMPLES_PER_HOTSPOT => {
                    taken[i] += 1;
                    true
                }
                _ => false,
            })
            .collect();
        // The page views behind those clicks, in their order.
        let mut keys: Vec<(&(String, u64), u32)> = Vec::new();
        for p in &candidates {
            let key = (&*p.session, p.page_index);
            if keys.last() != Some(&key) {
                keys.push(key);
            }
        }
        let views = self.views_by_key(&result.query, &keys)?;
        let index_of: HashMap<(i64, u32), u32> = views
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    (v.session_rowid, v.page_index),
                    u32::try_from(i).unwrap_or(u32::MAX),
                )
            })
            .collect();
        result.point_refs = candidates
            .iter()
            .filter_map(|p| {
                Some(PointRef {
                    pos_in_page: p.pos,
                    view: *index_of.get(&(p.session_rowid, p.page_index))?,
                    t_ms: p.t_ms,
                })
            })
            .collect();
        // The bodies `label_hotspots` may read, in one query.
        let mut sessions: Vec<&(String, u64)> = keys.iter().map(|(s, _)| *s).collect();
        sessions.sort_unstable();
        sessions.dedup();
        let bodies = self.sessions_by_key(&sessions)?;
        let labelled = heatmap::label_hotspots(result, &views, &[], |rowid| {
            Ok::<_, ClickHouseError>(bodies.get(&rowid).cloned().flatten())
        });
        result.point_refs = Vec::new();
        labelled
    }

    /// The page views `(session_id, batch_id, page_index)` of `keys` on the query's page, in
    /// `(session_rowid, page_index)` order (only the fields hotspot labels read are filled).
    fn views_by_key(
        &self,
        query: &HeatmapQuery,
        keys: &[(&(String, u64), u32)],
    ) -> Result<Vec<HeatmapPageView>, ClickHouseError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = keys
            .iter()
            .map(|((id, batch), page)| format!("({}, {batch}, {page})", quote(id)))
            .collect();
        let answer = self.client.query(&format!(
            "SELECT session_rowid, page_index, entered_at_ms FROM {} WHERE {}
               AND (session_id, batch_id, page_index) IN ({})
             ORDER BY session_rowid, page_index FORMAT RowBinary",
            self.table("page_views"),
            super::read::url_condition("url", &query.page),
            list.join(","),
        ))?;
        let url: Arc<str> = Arc::from(query.page.as_str());
        RowReader::new(&answer)
            .rows(|r| {
                Some(HeatmapPageView {
                    url: Arc::clone(&url),
                    session_rowid: r.i64()?,
                    page_index: r.u32()?,
                    viewport: SizePx {
                        width: 0,
                        height: 0,
                    },
                    max_depth_px: 0.0,
                    duration_ms: 0,
                    doc_height_px: 0,
                    entered_at_ms: r.i64()?,
                    num_clicks: 0,
                })
            })
            .ok_or_else(|| self.client.decode_error("hotspot page views"))
    }

    /// The sessions `(session_id, batch_id)` of `keys` by row id, decoded (`None` for a body
    /// that cannot be read, which then names nothing, as in the portable composition).
    fn sessions_by_key(
        &self,
        keys: &[&(String, u64)],
    ) -> Result<HashMap<i64, Option<Session>>, ClickHouseError> {
        let mut out = HashMap::new();
        if keys.is_empty() {
            return Ok(out);
        }
        let list: Vec<String> = keys
            .iter()
            .map(|(id, batch)| format!("({}, {batch})", quote(id)))
            .collect();
        let answer = self.client.query(&format!(
            "SELECT session_id, encoding, compression, body FROM {}
             WHERE (session_id, batch_id) IN ({}) FORMAT RowBinary",
            self.table("session_bodies"),
            list.join(","),
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(encoding), Some(compression), Some(body)) =
                (reader.string(), reader.u16(), reader.u8(), reader.bytes())
            else {
                return Err(self.client.decode_error("session bodies"));
            };
            let session = match super::conversions::decode_body(&id, encoding, compression, body) {
                Ok(s) => Some(s),
                Err(StoreError::Decode { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            out.insert(super::import::session_rowid(&id), session);
        }
        Ok(out)
    }

    /// The funnel of `steps` (definition names) over the sessions matching `filter`, walked by
    /// the server: per session with hits, its hit times of each step (sorted), then the
    /// earliest hit of each step at or after the previous step's (within `window_ms` of the
    /// first step's). The client receives one row per session that reached the first step.
    /// Droppers are in session id order; their `position` is their place among those rows.
    pub fn funnel(
        &self,
        filter: &crate::model::SessionFilter,
        steps: &[String],
        window_ms: Option<i64>,
    ) -> Result<Funnel, ClickHouseError> {
        let state = self.state()?;
        let mut reached = vec![0usize; steps.len()];
        let mut droppers = Vec::new();
        let versions: Vec<(usize, u64)> = steps
            .iter()
            .enumerate()
            .filter_map(|(k, name)| state.def_version(name).map(|v| (k, v)))
            .collect();
        // An undefined first step: nobody enters the funnel.
        if !steps.is_empty() && versions.first().is_some_and(|(k, _)| *k == 0) {
            let pairs: Vec<String> = versions
                .iter()
                .map(|(k, v)| format!("({}, {v})", quote(&steps[*k])))
                .collect();
            // Per step: its sorted hit times (empty for an undefined step).
            let arrays: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let version = state.def_version(name);
                    match version {
                        Some(v) => format!(
                            "arraySort(groupArrayIf(timestamp_ms, name = {} AND def_version = {v})) AS s{k}",
                            quote(name)
                        ),
                        None => format!("emptyArrayInt64() AS s{k}"),
                    }
                })
                .collect();
            // The walk, in one SELECT whose aliases build on each other (the server computes
            // each once): l_k the steps reached so far, t_k the time of the last one, r0 the
            // start. (One subquery per step, as before, took twice as long.)
            let window = |time: &str| {
                window_ms.map_or_else(String::new, |w| format!(" AND {time} - r0 <= {w}"))
            };
            let mut walk = vec![
                "s0[1] AS r0".to_owned(),
                format!("if(length(s0) > 0{}, 1, 0) AS l0", window("r0")),
                "r0 AS t0".to_owned(),
            ];
            for k in 1..steps.len() {
                let p = k - 1;
                let at = window(&format!("s{k}[f{k}]"));
                walk.push(format!(
                    "if(l{p} = {k}, arrayFirstIndex(x -> x >= t{p}, s{k}), 0) AS f{k}"
                ));
                walk.push(format!("if(f{k} > 0{at}, {}, l{p}) AS l{k}", k + 1));
                walk.push(format!("if(f{k} > 0{at}, s{k}[f{k}], t{p}) AS t{k}"));
            }
            // The published sessions of the filter by `(cityHash64(session_id), batch_id)`:
            // integers, a set built and probed in half the time of the strings' (`event_hits`
            // has no `session_rowid`; a collision has the odds of one of row ids).
            let visible = format!(
                "SELECT cityHash64(session_id), batch_id FROM {} WHERE {}",
                self.table("sessions"),
                self.session_conditions_in(filter, Some(&state)),
            );
            let last = steps.len() - 1;
            let answer = self.client.query(&format!(
                "SELECT session_id, toUInt32(l{last}), toInt64(t{last}) FROM (
                   SELECT session_id, {} FROM (
                     SELECT session_id, {} FROM {}
                     WHERE (name, def_version) IN ({}) AND (cityHash64(session_id), batch_id) IN ({visible})
                     GROUP BY session_id))
                 WHERE l{last} > 0 ORDER BY session_id FORMAT RowBinary",
                walk.join(", "),
                arrays.join(", "),
                self.table("event_hits"),
                pairs.join(", "),
            ))?;
            let mut reader = RowReader::new(&answer);
            let mut position = 0usize;
            while !reader.is_empty() {
                let (Some(id), Some(level), Some(at_ms)) =
                    (reader.string(), reader.u32(), reader.i64())
                else {
                    return Err(self.client.decode_error("funnel"));
                };
                let level = level as usize;
                for n in reached.iter_mut().take(level) {
                    *n += 1;
                }
                if level < steps.len() {
                    droppers.push(Dropper {
                        position,
                        session_rowid: super::import::session_rowid(&id),
                        reached: level - 1,
                        at_ms,
                    });
                }
                position += 1;
            }
        }
        let steps = funnel_steps(steps, &reached);
        Ok(Funnel { steps, droppers })
    }
}

/// The figures of a map that its page views give (counts, page height, scroll reach, fold,
/// dates), as `analysis::heatmap::begin` makes them: a scroll map is only these.
fn figures_result(query: &HeatmapQuery, figures: PageViewFigures) -> HeatmapResult {
    let PageViewFigures {
        page_views,
        sessions,
        tallest,
        heights,
        first_ms,
        last_ms,
        bands,
    } = figures;
    let page_height_px = query
        .page_height_px
        .unwrap_or(if page_views == 0 { 0 } else { tallest })
        .clamp(1, MAX_PAGE_HEIGHT_PX);
    // Scroll reach from the page views per band of their deepest viewport bottom: each
    // band stands for its page views at its top, which falls in the same band.
    let last_band = u64::from(page_height_px.div_ceil(BAND_PX));
    let mut depths: Vec<f32> = Vec::with_capacity(usize::try_from(page_views).unwrap_or(0));
    for (band, n) in bands {
        let top = band.min(last_band) as f32 * BAND_PX as f32;
        depths.extend(std::iter::repeat_n(top, usize::try_from(n).unwrap_or(0)));
    }
    HeatmapResult {
        query: query.clone(),
        sessions,
        page_views,
        points: 0,
        points_outside_page: 0,
        density: DensityGrid::default(),
        unit: match (query.count_mode, query.kind) {
            (CountMode::UniqueSessions, _) => WeightUnit::Sessions,
            (CountMode::Total, HeatmapKind::Move) => WeightUnit::Seconds,
            _ => WeightUnit::Clicks,
        },
        hotspots: Vec::new(),
        scroll_reach: heatmap::scroll_reach(&depths, page_height_px),
        average_fold_px: if page_views == 0 {
            0.0
        } else {
            (heights as f64 / page_views as f64) as f32
        },
        attention_secs: Vec::new(),
        page_height_px,
        date_range_ms: (page_views > 0).then_some((first_ms, last_ms)),
        views: Vec::new(),
        point_refs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    /// The server computes in f64 what the client computes in f32; the SQL of the move and
    /// attention maps relies on an f64 sum or quotient of f32 values rounded to f32 being the
    /// f32 sum or quotient.
    #[test]
    fn f32_arithmetic_done_in_f64_and_rounded_once_is_the_f32_result() {
        // Dwell seconds: every whole ms up to an hour, and a spread of larger ones.
        for w in (0u32..3_600_000).chain((0..100_000).map(|k| k * 40_009 + 7)) {
            let client = w as f32 / 1000.0;
            let server = ((w as f32 as f64) / 1000.0) as f32;
            assert_eq!(client.to_bits(), server.to_bits(), "{w} ms");
        }
        // Band edges: scroll offsets (fractional, as browsers report them) plus a viewport
        // height, over 10 px bands.
        let mut y = 0.0f32;
        while y < 70_000.0 {
            for vh in [1u32, 390, 667, 844, 900, 1_080, 16_777_215] {
                let client_top = (y / 10.0).floor();
                let server_top = (f64::from(y) / 10.0) as f32;
                assert_eq!(client_top.to_bits(), server_top.floor().to_bits(), "{y}");
                let client_sum = y + vh as f32;
                let server_sum = (f64::from(y) + f64::from(vh as f32)) as f32;
                assert_eq!(client_sum.to_bits(), server_sum.to_bits(), "{y} + {vh}");
                let client_bottom = (client_sum / 10.0).ceil();
                let server_bottom = ((f64::from(server_sum) / 10.0) as f32).ceil();
                assert_eq!(
                    client_bottom.to_bits(),
                    server_bottom.to_bits(),
                    "{y} + {vh}"
                );
            }
            y += 0.333_333_34;
        }
    }
}
