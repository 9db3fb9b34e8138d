//! Compare mode: two filter sets of one page drawn on one scale, side by side, or as a
//! difference map. Both go through [`render_heatmap`], so the screen and exports agree.
//!
//! The difference map subtracts per-page-view densities (`A / page views of A − B / page views
//! of B`), so sets of different sizes compare fairly; red marks where A is denser, blue where B
//! is (ColorBrewer's diverging RdBu via `colorous`), transparent where they agree. Only the
//! 16 px cells whose difference is significant are drawn (`analysis::significance`: a test per
//! cell, Benjamini–Hochberg over the map); the legend says the test, the correction and how many
//! cells differ.

use super::RgbaImage;
use super::heatmap::{
    CAPTION_LINE_PX, Normalise, RenderSettings, blurred_density, draw_text, fill_rect,
    legend_height, render_heatmap, scale_of, wrap_parts,
};
use std::collections::HashSet;

use crate::analysis::heatmap::{CELL_PX, DensityGrid, HeatmapResult};
use crate::analysis::significance::{CellTests, DEFAULT_FDR, test_cells};
use crate::model::ImageFromPage;

/// Gap between the two maps of a side-by-side image, px.
pub const SIDE_BY_SIDE_GAP_PX: u32 = 16;

/// How a comparison is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompareLayout {
    /// Both maps next to each other, on the same colour scale.
    #[default]
    SideBySide,
    /// One map of `A − B` per page view.
    Difference,
}

impl CompareLayout {
    /// Name used in the CLI and the UI.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SideBySide => "side-by-side",
            Self::Difference => "difference",
        }
    }
}

/// Draws `a` and `b` (results of the same page, kind and layout) over `screenshot`, labelled
/// `labels` (e.g. "converted", "not converted").
#[must_use]
pub fn render_comparison(
    a: &HeatmapResult,
    b: &HeatmapResult,
    screenshot: &RgbaImage,
    settings: &RenderSettings,
    labels: (&str, &str),
    layout: CompareLayout,
) -> RgbaImage {
    render_comparison_on(a, b, (screenshot, screenshot), settings, labels, layout)
}

/// [`render_comparison`] with a screenshot for each side: A drawn over the first, B over the
/// second (two page variants, each over its own layout). The difference map is drawn over the
/// first: it compares cells at one position, so it means most on one layout.
#[must_use]
pub fn render_comparison_on(
    a: &HeatmapResult,
    b: &HeatmapResult,
    screenshots: (&RgbaImage, &RgbaImage),
    settings: &RenderSettings,
    labels: (&str, &str),
    layout: CompareLayout,
) -> RgbaImage {
    match layout {
        CompareLayout::SideBySide => render_side_by_side(a, b, screenshots, settings, labels),
        CompareLayout::Difference => render_difference(a, b, screenshots.0, settings, labels),
    }
}

/// The value of the blurred grid both maps are divided by: the larger of their own scales.
fn shared_top(
    a: &HeatmapResult,
    b: &HeatmapResult,
    (screenshot_a, screenshot_b): (&RgbaImage, &RgbaImage),
    settings: &RenderSettings,
) -> f32 {
    let top = |r: &HeatmapResult, screenshot: &RgbaImage| {
        let s = ImageFromPage::new(screenshot.width, r.query.layout_width_px).image_px_per_css_px;
        let body_h = screenshot
            .height
            .max((r.page_height_px as f32 * s).ceil() as u32);
        let (values, ..) = blurred_density(
            &r.density,
            s,
            (screenshot.width, body_h),
            settings.radius_px,
        );
        scale_of(&values, settings.normalise)
    };
    top(a, screenshot_a).max(top(b, screenshot_b))
}

fn with_caption(settings: &RenderSettings, label: &str) -> RenderSettings {
    let caption = if settings.caption.is_empty() {
        label.to_owned()
    } else {
        format!("{label} · {}", settings.caption)
    };
    RenderSettings {
        caption,
        ..settings.clone()
    }
}

fn render_side_by_side(
    a: &HeatmapResult,
    b: &HeatmapResult,
    screenshots: (&RgbaImage, &RgbaImage),
    settings: &RenderSettings,
    (label_a, label_b): (&str, &str),
) -> RgbaImage {
    let mut shared = settings.clone();
    if a.query.kind.is_density() {
        shared.normalise = Normalise::Fixed(shared_top(a, b, screenshots, settings));
    }
    let left = render_heatmap(
        a,
        screenshots.0,
        &with_caption(&shared, &format!("A: {label_a}")),
    );
    let right = render_heatmap(
        b,
        screenshots.1,
        &with_caption(&shared, &format!("B: {label_b}")),
    );
    let width = left.width + SIDE_BY_SIDE_GAP_PX + right.width;
    let height = left.height.max(right.height);
    let mut out = RgbaImage {
        width,
        height,
        pixels: vec![255; width as usize * height as usize * 4],
    };
    fill_rect(
        &mut out,
        left.width,
        0,
        SIDE_BY_SIDE_GAP_PX,
        height,
        [60, 60, 60],
    );
    for (image, x0) in [(&left, 0), (&right, left.width + SIDE_BY_SIDE_GAP_PX)] {
        let row = image.width as usize * 4;
        for y in 0..image.height as usize {
            let dst = (y * width as usize + x0 as usize) * 4;
            if let (Some(d), Some(s)) = (
                out.pixels.get_mut(dst..dst + row),
                image.pixels.get(y * row..(y + 1) * row),
            ) {
                d.copy_from_slice(s);
            }
        }
    }
    out
}

/// `a / page_views(a) − b / page_views(b)` split into its positive and negative parts, over the
/// cells `tests` found to differ (zero elsewhere).
fn difference_grids(
    a: &HeatmapResult,
    b: &HeatmapResult,
    tests: &CellTests,
) -> (DensityGrid, DensityGrid) {
    let differ: HashSet<(u32, u32)> = tests
        .cells
        .iter()
        .filter(|c| c.significant)
        .map(|c| (c.cell_x, c.cell_y))
        .collect();
    let cell_px = tests.cell_px.max(1);
    let (w, h) = (
        a.density.width.max(b.density.width),
        a.density.height.max(b.density.height),
    );
    let mut more_a = DensityGrid::new(w, h);
    let mut more_b = DensityGrid::new(w, h);
    let per_view = |r: &HeatmapResult| 1.0 / r.page_views.max(1) as f32;
    let (ka, kb) = (per_view(a), per_view(b));
    let at = |g: &DensityGrid, x: u32, y: u32| {
        if x < g.width && y < g.height {
            g.cells
                .get(y as usize * g.width as usize + x as usize)
                .copied()
                .unwrap_or(0.0)
        } else {
            0.0
        }
    };
    for y in 0..h {
        for x in 0..w {
            if !differ.contains(&(x / cell_px, y / cell_px)) {
                continue;
            }
            let d = at(&a.density, x, y) * ka - at(&b.density, x, y) * kb;
            let i = y as usize * w as usize + x as usize;
            if d > 0.0 {
                more_a.cells[i] = d;
            } else if d < 0.0 {
                more_b.cells[i] = -d;
            }
        }
    }
    (more_a, more_b)
}

fn render_difference(
    a: &HeatmapResult,
    b: &HeatmapResult,
    screenshot: &RgbaImage,
    settings: &RenderSettings,
    (label_a, label_b): (&str, &str),
) -> RgbaImage {
    // The screenshot and the grey below it, without legend or points.
    let mut base_settings = settings.clone();
    base_settings.legend = false;
    let mut empty = a.clone();
    empty.density = DensityGrid::new(0, 0);
    empty.point_refs = Vec::new();
    let base = render_heatmap(&empty, screenshot, &base_settings);
    let (body_w, body_h) = (base.width, base.height);
    let tests = test_cells(a, b, CELL_PX, DEFAULT_FDR);
    let caption = difference_caption(a, b, (label_a, label_b), &tests, body_w);
    let legend_h = legend_height(caption.len());
    let mut out = RgbaImage {
        width: body_w,
        height: body_h + legend_h,
        pixels: base.pixels,
    };
    out.pixels
        .resize(body_w as usize * (body_h + legend_h) as usize * 4, 255);
    let s = ImageFromPage::new(screenshot.width, a.query.layout_width_px).image_px_per_css_px;
    let (more_a, more_b) = difference_grids(a, b, &tests);
    let (va, gw, gh, cell) = blurred_density(&more_a, s, (body_w, body_h), settings.radius_px);
    let (vb, ..) = blurred_density(&more_b, s, (body_w, body_h), settings.radius_px);
    let net: Vec<f32> = va.iter().zip(&vb).map(|(x, y)| x - y).collect();
    let magnitudes: Vec<f32> = net.iter().map(|v| v.abs()).collect();
    let top = scale_of(&magnitudes, settings.normalise);
    let opacity = settings.opacity.clamp(0.0, 1.0);
    if top > 0.0 && gw > 0 && gh > 0 && cell > 0 {
        for y in 0..body_h as usize {
            let gy = (y / cell).min(gh - 1);
            for x in 0..body_w as usize {
                let gx = (x / cell).min(gw - 1);
                let v = (net[gy * gw + gx] / top).clamp(-1.0, 1.0);
                if v.abs() < 0.02 {
                    continue;
                }
                let (rgb, alpha) = diverging(v, opacity);
                let i = (y * body_w as usize + x) * 4;
                if let Some(px) = out.pixels.get_mut(i..i + 3) {
                    for (p, c) in px.iter_mut().zip(rgb) {
                        *p = (f32::from(*p) + (f32::from(c) - f32::from(*p)) * alpha) as u8;
                    }
                }
            }
        }
    }
    draw_difference_legend(&mut out, body_h, legend_h, settings, top, &caption);
    out
}

/// The difference map's caption lines, wrapped to `width` px.
fn difference_caption(
    a: &HeatmapResult,
    b: &HeatmapResult,
    (label_a, label_b): (&str, &str),
    tests: &CellTests,
    width: u32,
) -> Vec<String> {
    let max = width.saturating_sub(16) as f32;
    let mut lines = wrap_parts(
        &[
            a.query.page.clone(),
            format!("{} difference map (per page view)", a.query.kind.as_str()),
            format!("layout {} px", a.query.layout_width_px),
        ],
        max,
    );
    lines.extend(wrap_parts(
        &[
            format!(
                "A: {label_a} ({} sessions, {} page views)",
                a.sessions, a.page_views
            ),
            format!(
                "B: {label_b} ({} sessions, {} page views)",
                b.sessions, b.page_views
            ),
        ],
        max,
    ));
    let mut test_line = tests.describe();
    if tests.overlap > 0 {
        test_line.push_str(&format!(
            "; A against the other {} page views of B",
            tests.page_views_b
        ));
    }
    lines.extend(wrap_parts(&[test_line], max));
    lines
}

/// Colour and alpha of a difference `v` in −1..1 (positive: A denser).
pub(crate) fn diverging(v: f32, opacity: f32) -> ([u8; 3], f32) {
    // RdBu runs red (0) through white (0.5) to blue (1); A more is red. Small differences
    // keep a clear hue (never the white middle) and fade through alpha instead.
    let t = 0.5 - v.signum() * (0.3 + 0.2 * v.abs());
    let c = colorous::RED_BLUE.eval_continuous(f64::from(t));
    ([c.r, c.g, c.b], opacity * (v.abs() * 2.0).min(1.0).sqrt())
}

fn draw_difference_legend(
    out: &mut RgbaImage,
    top: u32,
    height: u32,
    settings: &RenderSettings,
    scale: f32,
    caption: &[String],
) {
    let w = out.width;
    fill_rect(out, 0, top, w, height, [255, 255, 255]);
    fill_rect(out, 0, top, w, 1, [200, 200, 200]);
    let bar_w = 200.min(w.saturating_sub(16) / 2);
    let opacity = settings.opacity.clamp(0.0, 1.0);
    for i in 0..bar_w {
        let v = 1.0 - 2.0 * i as f32 / bar_w.max(1) as f32;
        let (c, alpha) = diverging(v, opacity);
        let blended = c.map(|ch| (255.0 + (f32::from(ch) - 255.0) * alpha) as u8);
        fill_rect(out, 8 + i, top + 10, 1, 14, blended);
    }
    let scale_note = if scale > 0.0 {
        "A denser · equal · B denser"
    } else {
        "no difference"
    };
    draw_text(out, 8 + bar_w + 8, top + 22, scale_note, 14.0, [30, 30, 30]);
    for (i, line) in caption.iter().enumerate() {
        let baseline = top + 44 + CAPTION_LINE_PX * i as u32;
        draw_text(out, 8, baseline, line, 14.0, [30, 30, 30]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::heatmap::{HeatmapKind, HeatmapQuery};

    /// A result of `page_views` views (sessions `first_session..`); point i is on view i.
    fn result_of(first_session: i64, points: &[(u32, u32)], page_views: u64) -> HeatmapResult {
        let mut density = DensityGrid::new(200, 100);
        for &(x, y) in points {
            density.cells[(y * 200 + x) as usize] += 1.0;
        }
        let url: std::sync::Arc<str> = std::sync::Arc::from("http://shop.test/");
        let views = (0..page_views)
            .map(|i| crate::model::points::HeatmapPageView {
                url: std::sync::Arc::clone(&url),
                session_rowid: first_session + i as i64,
                page_index: 0,
                viewport: crate::model::SizePx {
                    width: 200,
                    height: 100,
                },
                max_depth_px: 100.0,
                duration_ms: 1_000,
                doc_height_px: 100,
                entered_at_ms: 0,
                num_clicks: 0,
            })
            .collect();
        let point_refs = points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| crate::analysis::heatmap::PointRef {
                pos_in_page: crate::model::PagePos {
                    x: x as f32,
                    y: y as f32,
                },
                view: (i as u64 % page_views.max(1)) as u32,
                t_ms: 0,
            })
            .collect();
        HeatmapResult {
            query: HeatmapQuery::new("http://shop.test/", HeatmapKind::Click, 200),
            sessions: page_views,
            page_views,
            points: points.len() as u64,
            points_outside_page: 0,
            density,
            unit: crate::analysis::heatmap::WeightUnit::Clicks,
            hotspots: Vec::new(),
            scroll_reach: Vec::new(),
            average_fold_px: 100.0,
            attention_secs: Vec::new(),
            page_height_px: 100,
            date_range_ms: None,
            views,
            point_refs,
        }
    }

    fn result(points: &[(u32, u32)], page_views: u64) -> HeatmapResult {
        result_of(0, points, page_views)
    }

    fn screenshot() -> RgbaImage {
        RgbaImage {
            width: 200,
            height: 100,
            pixels: [250u8, 250, 250, 255].repeat(200 * 100),
        }
    }

    #[test]
    fn difference_is_red_where_a_is_denser_and_blue_where_b_is() {
        // A: 10 clicks at (40, 50) over 10 views; B: 10 clicks at (160, 50) over 10 views.
        let a = result(&[(40, 50); 10], 10);
        let b = result_of(1_000, &[(160, 50); 10], 10);
        let settings = RenderSettings::for_kind(HeatmapKind::Click);
        let image = render_comparison(
            &a,
            &b,
            &screenshot(),
            &settings,
            ("converted", "not converted"),
            CompareLayout::Difference,
        );
        assert_eq!(image.width, 200);
        assert!(image.height >= 100 + super::super::heatmap::LEGEND_HEIGHT_PX);
        let at_a = image.pixel(40, 50).unwrap();
        let at_b = image.pixel(160, 50).unwrap();
        let between = image.pixel(100, 50).unwrap();
        assert!(at_a[0] > at_a[2] + 40, "red where A is denser: {at_a:?}");
        assert!(at_b[2] > at_b[0] + 40, "blue where B is denser: {at_b:?}");
        assert_eq!(between, [250, 250, 250, 255], "untouched where they agree");
    }

    #[test]
    fn equal_rates_cancel_whatever_the_sample_sizes() {
        // Same clicks per page view (1 per view), ten times the views in B.
        let a = result(&[(100, 50); 5], 5);
        let b = result_of(1_000, &[(100, 50); 50], 50);
        // The arithmetic, as if every cell differed.
        let mut tests = test_cells(&a, &b, CELL_PX, DEFAULT_FDR);
        assert!(!tests.cells.is_empty());
        for c in &mut tests.cells {
            c.significant = true;
        }
        let (more_a, more_b) = difference_grids(&a, &b, &tests);
        assert!(
            more_a
                .cells
                .iter()
                .chain(&more_b.cells)
                .all(|v| v.abs() < 1e-6)
        );
    }

    #[test]
    fn a_difference_that_could_be_chance_is_drawn_neutral() {
        // A: 2 of 10 page views clicked at (40, 50); B: 1 of 10 (Fisher p = 1).
        let a = result(&[(40, 50); 2], 10);
        let b = result_of(1_000, &[(40, 50); 1], 10);
        let settings = RenderSettings::for_kind(HeatmapKind::Click);
        let image = render_comparison(
            &a,
            &b,
            &screenshot(),
            &settings,
            ("A", "B"),
            CompareLayout::Difference,
        );
        assert_eq!(image.pixel(40, 50).unwrap(), [250, 250, 250, 255]);
        let tests = test_cells(&a, &b, CELL_PX, DEFAULT_FDR);
        assert_eq!((tests.cells.len(), tests.significant()), (1, 0));
    }

    #[test]
    fn side_by_side_shares_one_scale() {
        let a = result(&[(50, 50); 20], 20);
        let b = result_of(1_000, &[(50, 50); 5], 20);
        let settings = RenderSettings::for_kind(HeatmapKind::Click);
        let image = render_comparison(
            &a,
            &b,
            &screenshot(),
            &settings,
            ("A", "B"),
            CompareLayout::SideBySide,
        );
        let single = render_heatmap(&a, &screenshot(), &settings);
        assert_eq!(image.width, 2 * 200 + SIDE_BY_SIDE_GAP_PX);
        assert_eq!(image.height, single.height);
        // A's hottest spot is as hot as when drawn alone; B's, a quarter of the clicks, is
        // visibly cooler on the shared scale (less opaque over the light screenshot).
        let left = image.pixel(50, 50).unwrap();
        assert_eq!(left, single.pixel(50, 50).unwrap());
        let right = image.pixel(200 + SIDE_BY_SIDE_GAP_PX + 50, 50).unwrap();
        let alone_b = render_heatmap(&b, &screenshot(), &settings)
            .pixel(50, 50)
            .unwrap();
        assert_ne!(right, alone_b, "B is not normalised to its own maximum");
    }
}
