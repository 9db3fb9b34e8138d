use std::sync::Arc;

use super::*;
use crate::analysis::heatmap::{DensityGrid, HeatmapKind, HeatmapQuery, PointRef, WeightUnit};
use crate::model::points::HeatmapPageView;
use crate::model::{PagePos, SizePx};

/// A small deterministic generator (xorshift64*), for the null-data test.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A result of `kind` with `views` page views of sessions `first_session..`, each scrolled to
/// `depth(view)` px, with a point at each `(view, x, y)` (also the app's compare-mode tests).
pub(crate) fn result_of(
    kind: HeatmapKind,
    first_session: i64,
    views: u32,
    depth: impl Fn(u32) -> f32,
    points: &[(u32, f32, f32)],
) -> HeatmapResult {
    let url: Arc<str> = Arc::from("http://shop.test/");
    HeatmapResult {
        query: HeatmapQuery::new("http://shop.test/", kind, 800),
        sessions: u64::from(views),
        page_views: u64::from(views),
        points: points.len() as u64,
        points_outside_page: 0,
        density: DensityGrid::new(800, 800),
        unit: WeightUnit::Clicks,
        hotspots: Vec::new(),
        scroll_reach: Vec::new(),
        average_fold_px: 800.0,
        attention_secs: Vec::new(),
        page_height_px: 800,
        date_range_ms: None,
        views: (0..views)
            .map(|i| HeatmapPageView {
                url: Arc::clone(&url),
                session_rowid: first_session + i64::from(i),
                page_index: 0,
                viewport: SizePx {
                    width: 800,
                    height: 800,
                },
                max_depth_px: depth(i),
                duration_ms: 1_000,
                doc_height_px: 800,
                entered_at_ms: 0,
                num_clicks: 0,
            })
            .collect(),
        point_refs: points
            .iter()
            .map(|&(view, x, y)| PointRef {
                pos_in_page: PagePos { x, y },
                view,
                t_ms: 0,
            })
            .collect(),
    }
}

/// A click result of `views` page views of sessions `first_session..`, each reaching 800 px,
/// with a point at each `(view, x, y)`.
fn result(first_session: i64, views: u32, points: &[(u32, f32, f32)]) -> HeatmapResult {
    result_of(HeatmapKind::Click, first_session, views, |_| 800.0, points)
}

#[test]
fn fisher_and_the_normal_tail_match_reference_values() {
    let f = LnFactorials::up_to(100);
    // R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value = 0.4857
    assert!((fisher_two_sided(3, 4, 4, 4, &f) - 0.485_714).abs() < 1e-5);
    // R: fisher.test(matrix(c(10, 0, 2, 8), 2))$p.value = 0.0007147
    assert!((fisher_two_sided(10, 10, 10, 12, &f) - 0.000_714_7).abs() < 1e-6);
    assert!((normal_upper_tail(1.96) - 0.024_998).abs() < 1e-5);
    assert!((normal_upper_tail(0.0) - 0.5).abs() < 1e-7);
    assert!((normal_upper_tail(-1.0) - 0.841_345).abs() < 1e-5);
    // Newcombe (1998), table II, example (a): 56/70 − 48/80 = 0.2, interval 0.0524 to 0.3339.
    let pa: Vec<(u32, f32, f32)> = (0..56).map(|v| (v, 5.0, 5.0)).collect();
    let pb: Vec<(u32, f32, f32)> = (0..48).map(|v| (v, 5.0, 5.0)).collect();
    let tests = test_cells(
        &result(0, 70, &pa),
        &result(1_000, 80, &pb),
        16,
        DEFAULT_FDR,
    );
    let (lo, hi) = tests.cells[0].interval95;
    assert!(
        (lo - 0.0524).abs() < 1e-3 && (hi - 0.3339).abs() < 1e-3,
        "{lo} {hi}"
    );
}

#[test]
fn a_real_difference_is_found_and_equal_cells_are_neutral() {
    // Cell (5, 5): 60 of 200 page views in A, 10 of 200 in B. Cell (20, 20): 30 and 30.
    // A view clicking a cell several times counts once.
    let mut pa = Vec::new();
    let mut pb = Vec::new();
    for v in 0..60 {
        pa.push((v, 85.0, 85.0));
        pa.push((v, 86.0, 84.0));
    }
    for v in 0..10 {
        pb.push((v, 85.0, 85.0));
    }
    for v in 100..130 {
        pa.push((v, 330.0, 330.0));
        pb.push((v, 330.0, 330.0));
    }
    let tests = test_cells(
        &result(0, 200, &pa),
        &result(1_000, 200, &pb),
        16,
        DEFAULT_FDR,
    );
    assert_eq!(tests.cells.len(), 2);
    let hot = tests.at(85.0, 85.0).unwrap();
    assert_eq!((hot.views_a, hot.views_b), (60, 10));
    assert!((hot.difference() - 0.25).abs() < 1e-12);
    assert!(hot.significant && !hot.exact && hot.p_value < 1e-6);
    assert!(hot.interval95.0 > 0.15 && hot.interval95.1 < 0.35);
    let same = tests.at(330.0, 330.0).unwrap();
    assert!(!same.significant);
    assert!((same.p_value - 1.0).abs() < 1e-9);
    assert_eq!(tests.significant(), 1);
    assert!(tests.describe().starts_with("1 of 2 cells (16 px) differ"));
    assert!(tests.at(500.0, 500.0).is_none());
}

#[test]
fn data_without_a_difference_gives_at_most_the_expected_share_of_false_cells() {
    // 400 cells, each clicked with its own probability, the same in A and B; 300 views each.
    let mut rng = Rng::new(7);
    let probabilities: Vec<f64> = (0..400).map(|_| 0.005 + 0.3 * rng.unit()).collect();
    let draw = |rng: &mut Rng| {
        let mut points = Vec::new();
        for view in 0..300u32 {
            for (c, p) in probabilities.iter().enumerate() {
                if rng.chance(*p) {
                    let (cx, cy) = ((c % 20) as f32, (c / 20) as f32);
                    points.push((view, cx * 16.0 + 3.0, cy * 16.0 + 3.0));
                }
            }
        }
        points
    };
    let mut false_cells = 0;
    let mut tested = 0;
    for round in 0..5 {
        let (pa, pb) = (draw(&mut rng), draw(&mut rng));
        let tests = test_cells(
            &result(0, 300, &pa),
            &result(10_000 * (round + 1), 300, &pb),
            16,
            DEFAULT_FDR,
        );
        false_cells += tests.significant();
        tested += tests.cells.len();
    }
    assert!(tested >= 1_900, "{tested}");
    // Under no difference the Benjamini–Hochberg rule keeps the chance of any false cell in a
    // map at or below 5 %: over five maps, at most a handful of cells.
    assert!(false_cells <= 2, "{false_cells} false cells of {tested}");
}

#[test]
fn page_views_in_both_sets_are_compared_as_a_part_against_the_rest() {
    // B is all sessions (0..200), A the 50 of them (0..50) that clicked the cell; the rest never
    // did. A against the rest: 50 of 50 against 0 of 150.
    let pa: Vec<(u32, f32, f32)> = (0..50).map(|v| (v, 10.0, 10.0)).collect();
    let a = result(0, 50, &pa);
    let b = result(0, 200, &pa);
    let tests = test_cells(&a, &b, 16, DEFAULT_FDR);
    assert_eq!(tests.overlap, 50);
    assert_eq!((tests.page_views_a, tests.page_views_b), (50, 150));
    let cell = tests.at(10.0, 10.0).unwrap();
    assert_eq!((cell.views_a, cell.views_b), (50, 0));
    assert!(cell.significant);
}

#[test]
fn empty_sets_and_odd_points_are_not_significant() {
    let none = test_cells(&result(0, 0, &[]), &result(10, 0, &[]), 16, DEFAULT_FDR);
    assert!(none.cells.is_empty());
    let one_sided = test_cells(
        &result(0, 5, &[(0, -3.0, 5.0), (1, 5.0, 5.0)]),
        &result(10, 0, &[]),
        0,
        DEFAULT_FDR,
    );
    assert_eq!(one_sided.cell_px, CELL_PX);
    assert_eq!(one_sided.cells.len(), 1);
    assert!(!one_sided.cells[0].significant);
}

/// `result` with each page view's deepest viewport bottom from `depth(view)`.
fn with_depths(mut r: HeatmapResult, depth: impl Fn(u32) -> f32) -> HeatmapResult {
    for (i, v) in r.views.iter_mut().enumerate() {
        v.max_depth_px = depth(i as u32);
    }
    r
}

#[test]
fn scroll_reach_bands_find_a_real_difference_and_not_a_shared_one() {
    // Everyone reaches 800 px; below, A's page views reach 2,000 px half of the time, B's a
    // tenth of the time.
    let a = with_depths(result(0, 200, &[]), |v| {
        if v % 2 == 0 { 2_000.0 } else { 800.0 }
    });
    let b = with_depths(result(1_000, 200, &[]), |v| {
        if v % 10 == 0 { 2_000.0 } else { 800.0 }
    });
    let tests = test_scroll_reach(&a, &b, 100, DEFAULT_FDR);
    assert_eq!(tests.places.len(), 20);
    for band in &tests.places {
        let depth = band.place.1;
        if depth <= 800.0 {
            assert_eq!((band.views_a, band.views_b), (200, 200));
            assert!(!band.significant, "{band:?}");
        } else {
            assert_eq!((band.views_a, band.views_b), (100, 20));
            assert!(band.significant, "{band:?}");
            assert!((band.test.share_a - band.test.share_b - 0.4).abs() < 1e-12);
        }
    }
    assert_eq!(tests.significant(), 12);
}

#[test]
fn scroll_reach_without_a_difference_flags_at_most_the_expected_share() {
    let mut rng = Rng::new(11);
    let mut flagged = 0;
    let mut tested = 0;
    for round in 0..20 {
        let depths_a: Vec<f32> = (0..300)
            .map(|_| 600.0 + 3_000.0 * rng.unit() as f32)
            .collect();
        let depths_b: Vec<f32> = (0..300)
            .map(|_| 600.0 + 3_000.0 * rng.unit() as f32)
            .collect();
        let a = with_depths(result(0, 300, &[]), |v| depths_a[v as usize]);
        let b = with_depths(result(10_000 * (round + 1), 300, &[]), |v| {
            depths_b[v as usize]
        });
        let tests = test_scroll_reach(&a, &b, 0, DEFAULT_FDR);
        tested += tests.places.len();
        flagged += usize::from(tests.significant() > 0);
    }
    assert!(tested >= 20 * 30);
    // The chance of any false band in a comparison is at most 5 %: over 20, a few at most.
    assert!(flagged <= 3, "{flagged} of 20 comparisons flagged a band");
}

#[test]
fn hotspots_of_a_comparison_are_tested_in_their_window() {
    use crate::analysis::heatmap::Hotspot;
    // A's spot at (100, 100): 80 of 200 page views click there, B's 20 of 200. A spot at
    // (400, 400) both click alike.
    let mut pa = Vec::new();
    let mut pb = Vec::new();
    for v in 0..80 {
        pa.push((v, 100.0 + (v % 5) as f32, 100.0));
    }
    for v in 0..20 {
        pb.push((v, 102.0, 98.0));
    }
    for v in 100..160 {
        pa.push((v, 400.0, 400.0));
        pb.push((v, 401.0, 400.0));
    }
    let mut a = result(0, 200, &pa);
    let mut b = result(1_000, 200, &pb);
    let spot = |x: f32, y: f32| Hotspot {
        pos_in_page: PagePos { x, y },
        count: 1.0,
        target: None,
    };
    a.hotspots = vec![spot(100.0, 100.0), spot(400.0, 400.0)];
    b.hotspots = vec![spot(400.0, 400.0)];
    let tests = test_hotspots(&a, &b, DEFAULT_FDR);
    assert_eq!(tests.places.len(), 3);
    let first = &tests.places[0];
    assert_eq!((first.from, first.views_a, first.views_b), ("a", 80, 20));
    assert!(first.significant);
    assert!(
        tests.places[1..]
            .iter()
            .all(|p| !p.significant && p.views_a == 60)
    );
    assert_eq!(tests.places[2].from, "b");
}

#[test]
fn counting_views_per_cell_agrees_with_sorting_them() {
    let mut rng = Rng::new(5);
    let points: Vec<(u32, f32, f32)> = (0..20_000)
        .map(|i| {
            (
                (rng.unit() * 500.0) as u32,
                (rng.unit() * 900.0) as f32 - 20.0,
                if i % 97 == 0 {
                    -1.0
                } else {
                    (rng.unit() * 3_000.0) as f32
                },
            )
        })
        .collect();
    let r = result(0, 500, &points);
    for skip in [HashSet::new(), (0..250).collect::<HashSet<u32>>()] {
        for cell_px in [16, 7] {
            assert_eq!(
                views_per_cell(&r, cell_px, &skip),
                per_cell(&cell_views(&r, cell_px, &skip)),
                "{cell_px} px, {} skipped",
                skip.len()
            );
        }
    }
}

#[test]
fn q_values_match_r_and_pass_exactly_where_the_step_up_rule_does() {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02.
    let q = benjamini_hochberg_q(&[0.01, 0.04, 0.03, 0.005]);
    for (got, want) in q.iter().zip([0.02, 0.04, 0.04, 0.02]) {
        assert!((got - want).abs() < 1e-12, "{q:?}");
    }
    // Capped at 1, ties share their q-value, empty in, empty out.
    assert_eq!(benjamini_hochberg_q(&[0.9, 0.9, 1.0]), vec![1.0, 1.0, 1.0]);
    assert_eq!(benjamini_hochberg_q(&[0.2, 0.2]), vec![0.2, 0.2]);
    assert!(benjamini_hochberg_q(&[]).is_empty());
    let mut rng = Rng::new(11);
    for round in 0..50 {
        let m = 1 + round * 7;
        // A mix of small (real) and uniform (null) p-values.
        let p: Vec<f64> = (0..m)
            .map(|_| {
                if rng.chance(0.2) {
                    rng.unit() * 1e-3
                } else {
                    rng.unit()
                }
            })
            .collect();
        let q = benjamini_hochberg_q(&p);
        for fdr in [0.01, DEFAULT_FDR, 0.1] {
            let passed = benjamini_hochberg(&p, fdr);
            for ((q, passed), p) in q.iter().zip(&passed).zip(&p) {
                assert_eq!(*q <= fdr, *passed, "p {p}, q {q}, fdr {fdr}");
                assert!(q >= p);
            }
        }
    }
}

#[test]
fn a_cell_is_found_by_any_page_position_inside_it() {
    let a = result(0, 40, &[(0, 20.0, 40.0), (1, 20.0, 40.0), (2, 300.0, 5.0)]);
    let b = result(1_000, 40, &[(0, 31.0, 47.0)]);
    let tests = test_cells(&a, &b, CELL_PX, DEFAULT_FDR);
    let i = tests.index_at(16.0, 32.0).unwrap();
    assert_eq!((tests.cells[i].cell_x, tests.cells[i].cell_y), (1, 2));
    assert_eq!((tests.cells[i].views_a, tests.cells[i].views_b), (2, 1));
    assert_eq!(tests.index_at(31.9, 47.9), Some(i));
    assert_eq!(tests.at(31.9, 47.9), tests.cells.get(i));
    assert_eq!(
        tests.index_at(32.0, 47.0),
        None,
        "the next cell has no point"
    );
    assert_eq!(tests.index_at(-1.0, 40.0), None);
    assert_eq!(tests.index_at(f32::NAN, 40.0), None);
}
