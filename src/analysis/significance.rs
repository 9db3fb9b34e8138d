//! Which cells of a difference map are real: a test per grid cell of the share of page views
//! with a point there, A against B, and a false-discovery-rate correction over the whole map.
//!
//! - Unit: the page view. A cell's count is the number of page views with at least one point
//!   in it (so one visitor clicking a cell ten times is one, not ten: clicks of one page view
//!   are not independent).
//! - Samples: A's page views, and B's page views that are not also A's. The presets "with a
//!   signal" and "did an event" compare a part of the sessions (A) with all of them (B); the
//!   test then compares A with the rest, which is what "A differs from B" means for them.
//! - Test, two-sided: Fisher's exact test when a cell's smallest expected count is below 5,
//!   otherwise the pooled two-proportion z-test (the usual rule for a 2 × 2 table).
//! - Correction: Benjamini–Hochberg over every cell with a point in A or B, at [`DEFAULT_FDR`]
//!   (5 %) unless asked otherwise.
//! - Interval: Newcombe's hybrid score 95 % interval of the difference of the two shares
//!   (Newcombe 1998, method 10, from the two Wilson intervals), which stays sensible for the
//!   small counts of most cells, where the Wald interval does not.
//!
//! Pure: two heatmap results in, [`CellTests`] out. `render::compare` draws only the cells found
//! to differ; the others stay neutral.

use std::collections::HashSet;

use super::heatmap::{CELL_PX, HeatmapResult};

/// The default false-discovery rate over a map.
pub const DEFAULT_FDR: f64 = 0.05;
/// Below this smallest expected count a cell is tested exactly (Fisher).
pub const EXACT_BELOW_EXPECTED: f64 = 5.0;

/// The test of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellTest {
    /// Column of the cell (its left edge is `cell_x × cell_px` page CSS px).
    pub cell_x: u32,
    /// Row of the cell.
    pub cell_y: u32,
    /// A's page views with a point in the cell.
    pub views_a: u64,
    /// B's page views (not also A's) with a point in the cell.
    pub views_b: u64,
    /// `views_a / page views of A`.
    pub share_a: f64,
    /// `views_b / page views of B`.
    pub share_b: f64,
    /// Newcombe's 95 % interval of `share_a − share_b`.
    pub interval95: (f64, f64),
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the test was exact (Fisher) rather than the z-test.
    pub exact: bool,
    /// Different after the Benjamini–Hochberg correction.
    pub significant: bool,
}

impl CellTest {
    /// `share_a − share_b`.
    #[must_use]
    pub fn difference(&self) -> f64 {
        self.share_a - self.share_b
    }
}

/// The tests of a whole map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellTests {
    /// Cell size, page CSS px.
    pub cell_px: u32,
    /// Page views of A.
    pub page_views_a: u64,
    /// Page views of B that are not also A's.
    pub page_views_b: u64,
    /// Page views of B left out because they are also A's.
    pub overlap: u64,
    /// The false-discovery rate controlled.
    pub fdr: f64,
    /// Every cell with a point in A or B, row by row.
    pub cells: Vec<CellTest>,
}

impl CellTests {
    /// Cells found to differ.
    #[must_use]
    pub fn significant(&self) -> usize {
        self.cells.iter().filter(|c| c.significant).count()
    }

    /// The test of the cell holding page position (`x`, `y`), if it was tested.
    #[must_use]
    pub fn at(&self, x_px: f32, y_px: f32) -> Option<&CellTest> {
        self.index_at(x_px, y_px).and_then(|i| self.cells.get(i))
    }

    /// Where in [`Self::cells`] the test of the cell holding page position (`x`, `y`) is, if it
    /// was tested (for lists kept beside the cells, such as their q-values).
    #[must_use]
    pub fn index_at(&self, x_px: f32, y_px: f32) -> Option<usize> {
        if !(x_px >= 0.0 && y_px >= 0.0) || self.cell_px == 0 {
            return None;
        }
        let key = (y_px as u32 / self.cell_px, x_px as u32 / self.cell_px);
        self.cells
            .binary_search_by(|c| (c.cell_y, c.cell_x).cmp(&key))
            .ok()
    }

    /// One line for a legend: the test, the correction, the level and the outcome.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "{} of {} cells ({} px) differ: share of page views with a point, Fisher exact / two-proportion z-test, Benjamini–Hochberg FDR {:.0} %; other cells neutral",
            self.significant(),
            self.cells.len(),
            self.cell_px,
            self.fdr * 100.0
        )
    }
}

/// Sorted, distinct `(cell row, cell column, view)` of a result's points, skipping `skip` views.
fn cell_views(r: &HeatmapResult, cell_px: u32, skip: &HashSet<u32>) -> Vec<(u32, u32, u32)> {
    let mut out: Vec<(u32, u32, u32)> = r
        .point_refs
        .iter()
        .filter(|p| p.pos_in_page.x >= 0.0 && p.pos_in_page.y >= 0.0 && !skip.contains(&p.view))
        .map(|p| {
            (
                p.pos_in_page.y as u32 / cell_px,
                p.pos_in_page.x as u32 / cell_px,
                p.view,
            )
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Per cell (row, column): page views with a point there.
fn per_cell(cell_views: &[(u32, u32, u32)]) -> Vec<((u32, u32), u64)> {
    let mut out: Vec<((u32, u32), u64)> = Vec::new();
    for &(y, x, _) in cell_views {
        match out.last_mut() {
            Some((key, n)) if *key == (y, x) => *n += 1,
            _ => out.push(((y, x), 1)),
        }
    }
    out
}

/// Most cells of the counting path (larger pages sort instead).
const MAX_COUNTED_CELLS: u64 = 1 << 24;

/// Per cell (row, column), in row order: page views with a point there, skipping `skip` views.
/// Linear: points are bucketed by page view, then each cell remembers the last view it counted.
fn views_per_cell(r: &HeatmapResult, cell_px: u32, skip: &HashSet<u32>) -> Vec<((u32, u32), u64)> {
    let kept = |p: &&super::heatmap::PointRef| {
        p.pos_in_page.x >= 0.0
            && p.pos_in_page.y >= 0.0
            && (skip.is_empty() || !skip.contains(&p.view))
    };
    let (mut cols, mut rows, mut views) = (0u32, 0u32, 0usize);
    for p in r.point_refs.iter().filter(kept) {
        cols = cols.max(p.pos_in_page.x as u32 / cell_px + 1);
        rows = rows.max(p.pos_in_page.y as u32 / cell_px + 1);
        views = views.max(p.view as usize + 1);
    }
    let cells = u64::from(cols) * u64::from(rows);
    if cells > MAX_COUNTED_CELLS {
        return per_cell(&cell_views(r, cell_px, skip));
    }
    // Counting sort of the points by page view.
    let mut start = vec![0usize; views + 1];
    for p in r.point_refs.iter().filter(kept) {
        start[p.view as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut next = start.clone();
    let mut cell_of = vec![0u32; start[views]];
    for p in r.point_refs.iter().filter(kept) {
        let slot = &mut next[p.view as usize];
        cell_of[*slot] =
            (p.pos_in_page.y as u32 / cell_px) * cols + p.pos_in_page.x as u32 / cell_px;
        *slot += 1;
    }
    let mut last = vec![u32::MAX; cells as usize];
    let mut count = vec![0u64; cells as usize];
    for v in 0..views {
        for &c in &cell_of[start[v]..start[v + 1]] {
            let c = c as usize;
            if last[c] != v as u32 {
                last[c] = v as u32;
                count[c] += 1;
            }
        }
    }
    count
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| (((c as u32) / cols, (c as u32) % cols), *n))
        .collect()
}

/// Tests every cell with a point in `a` or `b` (results of the same page, kind and layout).
#[must_use]
pub fn test_cells(a: &HeatmapResult, b: &HeatmapResult, cell_px: u32, fdr: f64) -> CellTests {
    let cell_px = if cell_px == 0 { CELL_PX } else { cell_px };
    let a_views: HashSet<(i64, u32)> = a
        .views
        .iter()
        .map(|v| (v.session_rowid, v.page_index))
        .collect();
    let b_also_a: HashSet<u32> = b
        .views
        .iter()
        .enumerate()
        .filter(|(_, v)| a_views.contains(&(v.session_rowid, v.page_index)))
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect();
    let n_a = a.views.len() as u64;
    let n_b = (b.views.len() - b_also_a.len()) as u64;
    let ca = views_per_cell(a, cell_px, &HashSet::new());
    let cb = views_per_cell(b, cell_px, &b_also_a);
    let tester = ShareTester::new(n_a + n_b);

    // Merge the two sorted lists of cells.
    let mut cells = Vec::with_capacity(ca.len().max(cb.len()));
    let (mut i, mut j) = (0, 0);
    while i < ca.len() || j < cb.len() {
        let (key, xa, xb) = match (ca.get(i), cb.get(j)) {
            (Some(&(ka, na)), Some(&(kb, nb))) if ka == kb => {
                i += 1;
                j += 1;
                (ka, na, nb)
            }
            (Some(&(ka, na)), Some(&(kb, _))) if ka < kb => {
                i += 1;
                (ka, na, 0)
            }
            (Some(&(ka, na)), None) => {
                i += 1;
                (ka, na, 0)
            }
            (_, Some(&(kb, nb))) => {
                j += 1;
                (kb, 0, nb)
            }
            (None, None) => break,
        };
        let t = tester.test(xa, n_a, xb, n_b);
        cells.push(CellTest {
            cell_x: key.1,
            cell_y: key.0,
            views_a: xa,
            views_b: xb,
            share_a: t.share_a,
            share_b: t.share_b,
            interval95: t.interval95,
            p_value: t.p_value,
            exact: t.exact,
            significant: false,
        });
    }
    let p_values: Vec<f64> = cells.iter().map(|c| c.p_value).collect();
    for (cell, significant) in cells.iter_mut().zip(benjamini_hochberg(&p_values, fdr)) {
        cell.significant = significant;
    }
    CellTests {
        cell_px,
        page_views_a: n_a,
        page_views_b: n_b,
        overlap: b_also_a.len() as u64,
        fdr,
        cells,
    }
}

/// Band height of the scroll-reach tests, CSS px (PostHog's scroll depth buckets).
pub const REACH_BAND_PX: u32 = 100;

/// A two-sample test of one place of a comparison: a scroll depth, or a hotspot's window.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceTest {
    /// Depth from the page top (a scroll band), or the hotspot's centre `(x, y)`, CSS px.
    pub place: (f32, f32),
    /// Which map's hotspot it is (`a` or `b`); empty for scroll bands.
    pub from: &'static str,
    /// A's page views that reached the depth (or had a point in the window).
    pub views_a: u64,
    /// B's page views (not also A's) that did.
    pub views_b: u64,
    /// The test of the two shares.
    pub test: ShareTest,
    /// Different after the Benjamini–Hochberg correction over the list.
    pub significant: bool,
}

/// The tests of a list of places (the scroll bands of a page, or the hotspots of a comparison),
/// Benjamini–Hochberg over the list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaceTests {
    /// Page views of A.
    pub page_views_a: u64,
    /// Page views of B that are not also A's.
    pub page_views_b: u64,
    /// The false-discovery rate controlled.
    pub fdr: f64,
    /// One test per place.
    pub places: Vec<PlaceTest>,
}

impl PlaceTests {
    /// Places found to differ.
    #[must_use]
    pub fn significant(&self) -> usize {
        self.places.iter().filter(|p| p.significant).count()
    }
}

/// A's views, and the indexes of B's views that are also A's.
fn split_views(a: &HeatmapResult, b: &HeatmapResult) -> HashSet<u32> {
    let a_views: HashSet<(i64, u32)> = a
        .views
        .iter()
        .map(|v| (v.session_rowid, v.page_index))
        .collect();
    b.views
        .iter()
        .enumerate()
        .filter(|(_, v)| a_views.contains(&(v.session_rowid, v.page_index)))
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect()
}

fn finish(mut places: Vec<PlaceTest>, n_a: u64, n_b: u64, fdr: f64) -> PlaceTests {
    let p_values: Vec<f64> = places.iter().map(|p| p.test.p_value).collect();
    for (place, significant) in places.iter_mut().zip(benjamini_hochberg(&p_values, fdr)) {
        place.significant = significant;
    }
    PlaceTests {
        page_views_a: n_a,
        page_views_b: n_b,
        fdr,
        places,
    }
}

/// Tests scroll reach every `band_px` (0: [`REACH_BAND_PX`]) down to the deepest page view of A
/// or B: the share of page views whose deepest viewport bottom is at or below each depth, A
/// against B (B's page views that are also A's left out), two-sided, Benjamini–Hochberg over
/// the bands.
#[must_use]
pub fn test_scroll_reach(
    a: &HeatmapResult,
    b: &HeatmapResult,
    band_px: u32,
    fdr: f64,
) -> PlaceTests {
    let band_px = if band_px == 0 { REACH_BAND_PX } else { band_px };
    let skip = split_views(a, b);
    let depths = |r: &HeatmapResult, skip: &HashSet<u32>| -> Vec<f32> {
        let mut d: Vec<f32> = r
            .views
            .iter()
            .enumerate()
            .filter(|(i, _)| u32::try_from(*i).is_ok_and(|i| !skip.contains(&i)))
            .map(|(_, v)| v.max_depth_px)
            .filter(|d| d.is_finite())
            .collect();
        d.sort_by(f32::total_cmp);
        d
    };
    let da = depths(a, &HashSet::new());
    let db = depths(b, &skip);
    let (n_a, n_b) = (da.len() as u64, db.len() as u64);
    let deepest = da.iter().chain(&db).copied().fold(0.0f32, f32::max);
    let tester = ShareTester::new(n_a + n_b);
    // Page views at or below `depth`: those past the first smaller depth in sorted order.
    let reached = |d: &[f32], depth: f32| (d.len() - d.partition_point(|x| *x < depth)) as u64;
    let mut places = Vec::new();
    let mut depth = band_px;
    while (depth as f32) <= deepest {
        let (xa, xb) = (reached(&da, depth as f32), reached(&db, depth as f32));
        places.push(PlaceTest {
            place: (0.0, depth as f32),
            from: "",
            views_a: xa,
            views_b: xb,
            test: tester.test(xa, n_a, xb, n_b),
            significant: false,
        });
        depth = depth.saturating_add(band_px);
    }
    finish(places, n_a, n_b, fdr)
}

/// Tests each hotspot of A and of B: the share of page views with a point inside its window
/// (the [`CELL_PX`] × 3 square the hotspot was found in), A against B (B's page views that are
/// also A's left out), two-sided, Benjamini–Hochberg over the hotspots of both.
#[must_use]
pub fn test_hotspots(a: &HeatmapResult, b: &HeatmapResult, fdr: f64) -> PlaceTests {
    let skip = split_views(a, b);
    let n_a = a.views.len() as u64;
    let n_b = (b.views.len() - skip.len()) as u64;
    let half = 1.5 * CELL_PX as f32;
    let views_in = |r: &HeatmapResult, skip: &HashSet<u32>, c: crate::model::PagePos| -> u64 {
        let views: HashSet<u32> = r
            .point_refs
            .iter()
            .filter(|p| {
                !skip.contains(&p.view)
                    && (p.pos_in_page.x - c.x).abs() <= half
                    && (p.pos_in_page.y - c.y).abs() <= half
            })
            .map(|p| p.view)
            .collect();
        views.len() as u64
    };
    let tester = ShareTester::new(n_a + n_b);
    let none = HashSet::new();
    let places = a
        .hotspots
        .iter()
        .map(|h| ("a", h))
        .chain(b.hotspots.iter().map(|h| ("b", h)))
        .map(|(from, h)| {
            let (xa, xb) = (
                views_in(a, &none, h.pos_in_page),
                views_in(b, &skip, h.pos_in_page),
            );
            PlaceTest {
                place: (h.pos_in_page.x, h.pos_in_page.y),
                from,
                views_a: xa,
                views_b: xb,
                test: tester.test(xa, n_a, xb, n_b),
                significant: false,
            }
        })
        .collect();
    finish(places, n_a, n_b, fdr)
}

/// Wilson's 95 % score interval of `x` of `n` (0 to 1 when `n` is 0).
fn wilson95(x: u64, n: u64) -> (f64, f64) {
    const Z: f64 = 1.959_963_985;
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, x as f64 / n as f64);
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Which of `p_values` pass the Benjamini–Hochberg step-up rule at false-discovery rate `fdr`
/// (one flag per p-value, in the same order).
#[must_use]
pub fn benjamini_hochberg(p_values: &[f64], fdr: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| p_values[x].total_cmp(&p_values[y]));
    let mut cutoff = None;
    for (rank, &i) in order.iter().enumerate() {
        if p_values[i] <= (rank + 1) as f64 / m as f64 * fdr {
            cutoff = Some(rank);
        }
    }
    let mut flags = vec![false; m];
    if let Some(last) = cutoff {
        for &i in order.iter().take(last + 1) {
            flags[i] = true;
        }
    }
    flags
}

/// Benjamini–Hochberg adjusted p-values (q-values), one per p-value in the same order: the
/// smallest false-discovery rate at which [`benjamini_hochberg`] would pass it, `min over j
/// ranked at or after it of p(j) · m / rank(j)`, at most 1. A p-value passes at level `fdr`
/// when its q-value is at most `fdr` (the same step-up rule, up to rounding at the boundary).
#[must_use]
pub fn benjamini_hochberg_q(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&x, &y| p_values[x].total_cmp(&p_values[y]));
    let mut q = vec![1.0; m];
    let mut smallest = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        smallest = smallest.min(p_values[i] * m as f64 / (rank + 1) as f64);
        // Never below its own p-value (`m / rank` is at least 1; rounding could say otherwise).
        q[i] = smallest.max(p_values[i]);
    }
    q
}

/// The two-sample test of two shares (`x_a` of `n_a` against `x_b` of `n_b`), as every cell of
/// a difference map is tested; also used per element (`analysis::elements`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShareTest {
    /// `x_a / n_a` (0 when `n_a` is 0).
    pub share_a: f64,
    /// `x_b / n_b`.
    pub share_b: f64,
    /// Newcombe's hybrid score 95 % interval of `share_a − share_b`.
    pub interval95: (f64, f64),
    /// Two-sided p-value.
    pub p_value: f64,
    /// Fisher's exact test (a smallest expected count below 5) rather than the z-test.
    pub exact: bool,
}

/// Tests two shares: Fisher's exact test or the pooled two-proportion z-test, two-sided, with
/// the difference's Newcombe interval. Holds `ln(k!)` up to the largest total it will see.
pub struct ShareTester {
    ln_fact: LnFactorials,
}

impl ShareTester {
    /// A tester for samples whose sizes add up to at most `max_total`.
    #[must_use]
    pub fn new(max_total: u64) -> Self {
        Self {
            ln_fact: LnFactorials::up_to(max_total),
        }
    }

    /// Tests `x_a` of `n_a` against `x_b` of `n_b` (`n_a + n_b` at most the tester's total).
    #[must_use]
    pub fn test(&self, x_a: u64, n_a: u64, x_b: u64, n_b: u64) -> ShareTest {
        let (p_value, exact) = two_sided_p(x_a, n_a, x_b, n_b, &self.ln_fact);
        let share = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
        let (sa, sb) = (share(x_a, n_a), share(x_b, n_b));
        let (la, ua) = wilson95(x_a, n_a);
        let (lb, ub) = wilson95(x_b, n_b);
        let d = sa - sb;
        ShareTest {
            share_a: sa,
            share_b: sb,
            interval95: (
                d - ((sa - la).powi(2) + (ub - sb).powi(2)).sqrt(),
                d + ((ua - sa).powi(2) + (sb - lb).powi(2)).sqrt(),
            ),
            p_value,
            exact,
        }
    }
}

/// `ln(k!)` for k up to a bound.
struct LnFactorials(Vec<f64>);

impl LnFactorials {
    fn up_to(n: u64) -> Self {
        let n = usize::try_from(n).unwrap_or(usize::MAX).min(50_000_000);
        let mut v = Vec::with_capacity(n + 1);
        let mut acc = 0.0f64;
        v.push(0.0);
        for k in 1..=n {
            acc += (k as f64).ln();
            v.push(acc);
        }
        Self(v)
    }

    fn get(&self, k: u64) -> f64 {
        usize::try_from(k)
            .ok()
            .and_then(|k| self.0.get(k))
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// Two-sided p-value of `xa` of `na` against `xb` of `nb`, and whether it is exact.
fn two_sided_p(xa: u64, na: u64, xb: u64, nb: u64, ln_fact: &LnFactorials) -> (f64, bool) {
    if na == 0 || nb == 0 {
        return (1.0, true);
    }
    let n = na + nb;
    let k = xa + xb;
    let expected_min = [
        k as f64 * na as f64 / n as f64,
        k as f64 * nb as f64 / n as f64,
        (n - k) as f64 * na as f64 / n as f64,
        (n - k) as f64 * nb as f64 / n as f64,
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    if expected_min < EXACT_BELOW_EXPECTED {
        (fisher_two_sided(xa, na, nb, k, ln_fact), true)
    } else {
        let pooled = k as f64 / n as f64;
        let se = (pooled * (1.0 - pooled) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
        if se == 0.0 {
            return (1.0, false);
        }
        let z = (xa as f64 / na as f64 - xb as f64 / nb as f64) / se;
        ((2.0 * normal_upper_tail(z.abs())).min(1.0), false)
    }
}

/// Fisher's exact test, two-sided: the probability of every table with `k` successes in all
/// whose probability is at most the observed one.
fn fisher_two_sided(xa: u64, na: u64, nb: u64, k: u64, ln_fact: &LnFactorials) -> f64 {
    let n = na + nb;
    let ln_p = |x: u64| -> f64 {
        // Hypergeometric: C(na, x) C(nb, k − x) / C(n, k).
        let c = |a: u64, b: u64| ln_fact.get(a) - ln_fact.get(b) - ln_fact.get(a - b);
        c(na, x) + c(nb, k - x) - c(n, k)
    };
    let lo = k.saturating_sub(nb);
    let hi = k.min(na);
    let observed = ln_p(xa);
    let mut total = 0.0;
    for x in lo..=hi {
        let lp = ln_p(x);
        // Relative tolerance, as R's fisher.test does.
        if lp <= observed + 1e-7 {
            total += lp.exp();
        }
    }
    total.min(1.0)
}

/// `P(Z > z)` for a standard normal Z (Abramowitz and Stegun 7.1.26 through erfc; absolute error
/// below 1.5e-7).
fn normal_upper_tail(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    0.5 * erfc
}

#[cfg(test)]
pub(crate) mod tests;
