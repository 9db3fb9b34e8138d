//! Heatmap rasterising on the CPU: the one code path for the screen and for PNG exports.
//!
//! Density maps (click, move, rage, dead): the page-space density grid is binned onto a working
//! grid of `cell` image pixels, blurred with three box blurs (a Gaussian approximation whose cost
//! depends on neither the number of points nor the radius), normalised, coloured through a
//! 256-entry colormap and composited over the screenshot. Scroll-reach and attention maps colour
//! [`BAND_PX`] bands. A legend and caption strip can be drawn under the page.
//!
//! Kernel, colormaps and their sources: docs/HEATMAPS.md.

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};

use super::RgbaImage;
use crate::analysis::heatmap::{
    BAND_PX, DensityGrid, HeatmapKind, HeatmapResult, ReachBand, depth_reached_by,
};
use crate::model::{ImageFromPage, time};

/// Clarity's heatmap radius (`Setting.Radius` = 20 px); heatmap.js (PostHog) uses 40 px.
pub const DEFAULT_RADIUS_PX: f32 = 20.0;
/// PostHog's heatmap.js `maxOpacity` 0.8.
pub const DEFAULT_DENSITY_OPACITY: f32 = 0.8;
/// Clarity's scroll-map band alpha `hsla(h, 100%, 50%, 0.6)`.
pub const DEFAULT_BAND_OPACITY: f32 = 0.6;
/// Height of the legend and caption strip when the caption fits on two lines, image px;
/// narrow maps wrap the caption onto more lines and the strip grows by [`CAPTION_LINE_PX`] each.
pub const LEGEND_HEIGHT_PX: u32 = 72;
/// Height of one caption line, image px.
pub const CAPTION_LINE_PX: u32 = 19;
/// Caption text size, px.
const CAPTION_TEXT_PX: f32 = 14.0;

/// A colour ramp from low (0) to high (1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Colormap {
    /// heatmap.js's default gradient (PostHog's "Default"): blue 0.25, lime 0.55, yellow 0.85,
    /// red 1.0.
    #[default]
    HeatmapJs,
    /// Clarity's gradient: blue 0.2, cyan 0.4, lime 0.6, yellow 0.8, red 1.0. For scroll maps,
    /// Clarity's hue ramp `hsl((1 − share) × 240)`, which passes through the same colours.
    Clarity,
    /// Google's Turbo (colorous).
    Turbo,
    /// Viridis, colour-blind safe (colorous).
    Viridis,
    /// Inferno, colour-blind safe (colorous).
    Inferno,
    /// Mono red: one colour, alpha from 0 to the opacity (PostHog's "Red").
    Red,
    /// Mono green.
    Green,
    /// Mono blue.
    Blue,
}

impl Colormap {
    /// All colormaps.
    pub const ALL: [Self; 8] = [
        Self::HeatmapJs,
        Self::Clarity,
        Self::Turbo,
        Self::Viridis,
        Self::Inferno,
        Self::Red,
        Self::Green,
        Self::Blue,
    ];

    /// Lower-case name (CLI `--colormap`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HeatmapJs => "heatmapjs",
            Self::Clarity => "clarity",
            Self::Turbo => "turbo",
            Self::Viridis => "viridis",
            Self::Inferno => "inferno",
            Self::Red => "red",
            Self::Green => "green",
            Self::Blue => "blue",
        }
    }

    /// Parses a lower-case name (`default` is heatmap.js's gradient).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        if name == "default" {
            return Some(Self::HeatmapJs);
        }
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// True for the one-colour maps, whose alpha carries the intensity.
    #[must_use]
    pub fn is_mono(self) -> bool {
        matches!(self, Self::Red | Self::Green | Self::Blue)
    }

    /// The colour at `v` in 0–1.
    #[must_use]
    pub fn rgb(self, v: f32) -> [u8; 3] {
        let v = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let stops: &[(f32, [u8; 3])] = match self {
            Self::HeatmapJs => &[
                (0.25, [0, 0, 255]),
                (0.55, [0, 255, 0]),
                (0.85, [255, 255, 0]),
                (1.0, [255, 0, 0]),
            ],
            Self::Clarity => &[
                (0.2, [0, 0, 255]),
                (0.4, [0, 255, 255]),
                (0.6, [0, 255, 0]),
                (0.8, [255, 255, 0]),
                (1.0, [255, 0, 0]),
            ],
            Self::Turbo => return colorous_rgb(colorous::TURBO, v),
            Self::Viridis => return colorous_rgb(colorous::VIRIDIS, v),
            Self::Inferno => return colorous_rgb(colorous::INFERNO, v),
            Self::Red => return [255, 0, 0],
            Self::Green => return [0, 255, 0],
            Self::Blue => return [0, 0, 255],
        };
        gradient(stops, v)
    }

    /// 256 colours, index = intensity × 255.
    #[must_use]
    pub fn lut(self) -> [[u8; 3]; 256] {
        let mut lut = [[0; 3]; 256];
        for (i, c) in lut.iter_mut().enumerate() {
            *c = self.rgb(i as f32 / 255.0);
        }
        lut
    }
}

fn colorous_rgb(g: colorous::Gradient, v: f32) -> [u8; 3] {
    let c = g.eval_continuous(f64::from(v));
    [c.r, c.g, c.b]
}

/// A canvas linear gradient: before the first stop its colour, between stops linear.
fn gradient(stops: &[(f32, [u8; 3])], v: f32) -> [u8; 3] {
    let mut prev = stops.first().map_or((0.0, [0, 0, 0]), |s| *s);
    for &(pos, c) in stops {
        if v <= pos {
            let span = pos - prev.0;
            let t = if span > 0.0 { (v - prev.0) / span } else { 1.0 };
            let t = t.clamp(0.0, 1.0);
            let mix =
                |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
            return [
                mix(prev.1[0], c[0]),
                mix(prev.1[1], c[1]),
                mix(prev.1[2], c[2]),
            ];
        }
        prev = (pos, c);
    }
    prev.1
}

/// How blurred density becomes intensity 0–1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Normalise {
    /// Divide by the largest value (heatmap.js and Clarity).
    Max,
    /// Divide by this percentile (0–100) of the non-zero values, clamping above it, so one
    /// extreme spot does not wash out the rest.
    Percentile(f32),
    /// Divide by this value of the blurred working grid (see [`blurred_density`]), so several
    /// maps share one scale (compare mode).
    Fixed(f32),
}

/// How to draw a result. Changing these never needs a new aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderSettings {
    /// Kernel radius, page CSS px: the Gaussian's standard deviation is half of it.
    pub radius_px: f32,
    /// Colour ramp.
    pub colormap: Colormap,
    /// Largest alpha of the overlay, 0–1.
    pub opacity: f32,
    /// Normalisation.
    pub normalise: Normalise,
    /// Draw the legend and caption strip under the page.
    pub legend: bool,
    /// Extra caption text (filters), shown after the page and kind.
    pub caption: String,
}

impl RenderSettings {
    /// The defaults for a kind: radius 20 px (Clarity), heatmap.js colours at opacity 0.8 for
    /// density maps; Clarity's hue bands at 0.6 for scroll and attention maps; legend on.
    #[must_use]
    pub fn for_kind(kind: HeatmapKind) -> Self {
        let density = kind.is_density();
        Self {
            radius_px: DEFAULT_RADIUS_PX,
            colormap: if density {
                Colormap::HeatmapJs
            } else {
                Colormap::Clarity
            },
            opacity: if density {
                DEFAULT_DENSITY_OPACITY
            } else {
                DEFAULT_BAND_OPACITY
            },
            normalise: Normalise::Max,
            legend: true,
            caption: String::new(),
        }
    }
}

/// Draws `result` over `screenshot` (a screenshot of the page at the result's layout width, any
/// device pixel ratio). The output is as wide as the screenshot, as tall as the taller of the
/// screenshot and the page (the part below the screenshot is grey), plus the legend strip.
#[must_use]
pub fn render_heatmap(
    result: &HeatmapResult,
    screenshot: &RgbaImage,
    settings: &RenderSettings,
) -> RgbaImage {
    let mut out = RgbaImage {
        width: 0,
        height: 0,
        pixels: Vec::new(),
    };
    render_heatmap_into(result, screenshot, settings, &mut out);
    out
}

/// [`render_heatmap`] into `out`, reusing its pixel buffer: every byte is overwritten, and a
/// buffer of the right size costs no allocation (a fresh 1440 × 6000 image is 35 MB of pages the
/// system must map and zero first). The GUI's render thread recycles the image the view has let
/// go of this way.
pub fn render_heatmap_into(
    result: &HeatmapResult,
    screenshot: &RgbaImage,
    settings: &RenderSettings,
    out: &mut RgbaImage,
) {
    let image_from_page = ImageFromPage::new(screenshot.width, result.query.layout_width_px);
    let s = image_from_page.image_px_per_css_px;
    let page_h_img = (result.page_height_px as f32 * s).ceil() as u32;
    let width = screenshot.width.max(1);
    let body_h = screenshot.height.max(page_h_img).max(1);
    let caption = if settings.legend {
        caption_lines(result, settings, width)
    } else {
        Vec::new()
    };
    let legend_h = if settings.legend {
        legend_height(caption.len())
    } else {
        0
    };
    let row_len = width as usize * 4;
    let body = body_h as usize * row_len;
    out.width = width;
    out.height = body_h + legend_h;
    out.pixels.resize((body_h + legend_h) as usize * row_len, 0);
    // Body rows are written once: the density pass copies each screenshot row as it composites
    // it; the band maps start from the copied rows.
    if !result.query.kind.is_density() {
        base_rows(&mut out.pixels[..body], row_len, screenshot);
    }
    if let Some(strip) = out.pixels.get_mut(body..) {
        strip
            .chunks_exact_mut(4)
            .for_each(|p| p.copy_from_slice(&BACKGROUND));
    }
    let scale_label;
    if result.query.kind.is_density() {
        let max = composite_density(out, screenshot, body_h, &result.density, s, settings);
        scale_label = format!("0 – {} {}", format_count(max), result.unit.noun());
    } else if result.query.kind == HeatmapKind::Scroll {
        draw_scroll(out, body_h, result, s, settings);
        scale_label = "0 % – 100 % of page views reached".to_owned();
    } else {
        let max = draw_attention(out, body_h, result, s, settings);
        scale_label = format!("0 – {max:.1} s in view per page view");
    }
    if settings.legend {
        draw_legend(
            out,
            body_h,
            legend_h,
            settings,
            &scale_label,
            density_legend(result),
        );
        for (i, line) in caption.iter().enumerate() {
            let baseline = body_h + 44 + CAPTION_LINE_PX * i as u32;
            draw_text(out, 8, baseline, line, CAPTION_TEXT_PX, [30, 30, 30]);
        }
    }
}

/// Height of the legend strip holding `caption_lines` lines.
#[must_use]
pub fn legend_height(caption_lines: usize) -> u32 {
    LEGEND_HEIGHT_PX + CAPTION_LINE_PX * (caption_lines.max(2) as u32 - 2)
}

fn density_legend(result: &HeatmapResult) -> bool {
    result.query.kind.is_density()
}

/// The caption (page, kind, layout, viewports, dates; sessions, page views, points, filters),
/// wrapped at its ` · ` separators (and inside over-long parts) to fit `width` px.
fn caption_lines(result: &HeatmapResult, settings: &RenderSettings, width: u32) -> Vec<String> {
    let dates = result.date_range_ms.map(|(a, b)| {
        let day = |ms: i64| time::format_utc(ms).chars().take(10).collect::<String>();
        format!("{} to {}", day(a), day(b))
    });
    let widths = result.query.viewport_widths.map_or_else(
        || "any width".to_owned(),
        |(lo, hi)| format!("viewport {lo}–{hi} px"),
    );
    let mut first = vec![
        result.query.page.clone(),
        format!("{} map", result.query.kind.as_str()),
        format!("layout {} px, {widths}", result.query.layout_width_px),
    ];
    first.extend(dates);
    let mut second = vec![
        format!("{} sessions", result.sessions),
        format!("{} page views", result.page_views),
        format!("{} points", result.points),
    ];
    second.extend(
        settings
            .caption
            .split(" · ")
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
    );
    let max = width.saturating_sub(16) as f32;
    let mut lines = wrap_parts(&first, max);
    lines.extend(wrap_parts(&second, max));
    lines
}

/// Joins `parts` with ` · ` into lines no wider than `max_px`, breaking an over-long part
/// between characters.
pub(crate) fn wrap_parts(parts: &[String], max_px: f32) -> Vec<String> {
    let fits = |text: &str| text_width(text, CAPTION_TEXT_PX) <= max_px;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for part in parts {
        let joined = if current.is_empty() {
            part.clone()
        } else {
            format!("{current} · {part}")
        };
        if fits(&joined) {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // The part alone; split it if it is still too wide.
        for c in part.chars() {
            current.push(c);
            if !fits(&current) && current.chars().count() > 1 {
                let last = current.pop().unwrap_or(c);
                lines.push(std::mem::take(&mut current));
                current.push(last);
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Grey below the screenshot (and behind a screenshot of another width).
const BACKGROUND: [u8; 4] = [235, 235, 235, 255];

/// Writes body row `y`: the screenshot's row made opaque (screenshots are opaque; the output
/// stays so), or grey where the screenshot has no such row.
fn base_row(row: &mut [u8], screenshot: &RgbaImage, y: usize) {
    let src = if screenshot.width as usize * 4 == row.len() {
        screenshot.pixels.get(y * row.len()..(y + 1) * row.len())
    } else {
        None
    };
    match src {
        Some(src) => {
            row.copy_from_slice(src);
            row.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        }
        None => row
            .chunks_exact_mut(4)
            .for_each(|p| p.copy_from_slice(&BACKGROUND)),
    }
}

/// Writes every body row of `body` ([`base_row`]) on the render threads.
fn base_rows(body: &mut [u8], row_len: usize, screenshot: &RgbaImage) {
    par_stripes(body, row_len, |first_row, stripe| {
        for (i, row) in stripe.chunks_exact_mut(row_len).enumerate() {
            base_row(row, screenshot, first_row + i);
        }
    });
}

#[cfg(test)]
fn blank(width: u32, height: u32, rgba: [u8; 4]) -> RgbaImage {
    let mut pixels = vec![0u8; width as usize * height as usize * 4];
    pixels
        .chunks_exact_mut(4)
        .for_each(|p| p.copy_from_slice(&rgba));
    RgbaImage {
        width,
        height,
        pixels,
    }
}

/// A grid of `f32` used for blurring, `cell` image px per cell.
struct WorkGrid {
    w: usize,
    h: usize,
    v: Vec<f32>,
}

/// Working cell size, image px: about a fifth of the kernel's standard deviation, so the blur
/// costs about the same at any radius and the coarser grid is invisible after smoothing.
fn cell_size(sigma_img_px: f32) -> usize {
    ((sigma_img_px / 5.0).floor() as usize).clamp(1, 8)
}

/// Bins the page-space grid into image cells, blurs it, and returns it with its cell size.
/// Public for the GUI's hover readout and for tests: `(values, width, height, cell_px)`.
#[must_use]
pub fn blurred_density(
    density: &DensityGrid,
    image_px_per_css_px: f32,
    image_size: (u32, u32),
    radius_px: f32,
) -> (Vec<f32>, usize, usize, usize) {
    let g = blur_density(density, image_px_per_css_px, image_size, radius_px);
    let sigma = (radius_px.max(0.5) * image_px_per_css_px) / 2.0;
    (g.v, g.w, g.h, cell_size(sigma))
}

fn blur_density(
    density: &DensityGrid,
    s: f32,
    (img_w, img_h): (u32, u32),
    radius_px: f32,
) -> WorkGrid {
    let sigma_img = (radius_px.max(0.5) * s) / 2.0;
    let cell = cell_size(sigma_img);
    let (w, h) = (
        (img_w as usize).div_ceil(cell),
        (img_h as usize).div_ceil(cell),
    );
    let mut g = WorkGrid {
        w,
        h,
        v: vec![0.0; w * h],
    };
    bin_density(&mut g, density, s / cell as f32);
    let radii = box_radii(sigma_img / cell as f32);
    blur_rows(&mut g, radii);
    blur_columns(&mut g, radii);
    g
}

/// Sums the page-space grid into the work grid: page CSS px `(x, y)` lands in cell
/// `((x + 0.5) · k, (y + 0.5) · k)`, `k` cells per CSS px. Runs over stripes of work-grid rows,
/// each reading only the page rows that land in it, and skips runs of empty page cells.
fn bin_density(g: &mut WorkGrid, density: &DensityGrid, k: f32) {
    /// Page cells tested at once for being empty.
    const RUN: usize = 16;
    let (w, h) = (g.w, g.h);
    let dw = density.width as usize;
    if dw == 0 || w == 0 || h == 0 {
        return;
    }
    // Work-grid column of each page column, and work-grid row of each page row (monotonic).
    let gx: Vec<u32> = (0..dw)
        .map(|x| u32::try_from((((x as f32 + 0.5) * k) as usize).min(w - 1)).unwrap_or(0))
        .collect();
    let rows = density.cells.len() / dw;
    let gy: Vec<usize> = (0..rows).map(|y| ((y as f32 + 0.5) * k) as usize).collect();
    par_stripes(&mut g.v, w, |first_row, stripe| {
        let last_row = first_row + stripe.len() / w;
        let from = gy.partition_point(|&r| r < first_row);
        let to = gy.partition_point(|&r| r < last_row);
        for (y, &row_y) in gy.iter().enumerate().take(to).skip(from) {
            let (Some(row), Some(out)) = (
                density.cells.get(y * dw..(y + 1) * dw),
                stripe.get_mut((row_y - first_row) * w..(row_y - first_row + 1) * w),
            ) else {
                break;
            };
            for (run, cols) in row.chunks(RUN).zip(gx.chunks(RUN)) {
                // Most of a page is empty: test a run of cells at once (by their bits, so a
                // `-0.0` counts as a value, which adds nothing).
                if run.iter().fold(0u32, |a, v| a | v.to_bits()) == 0 {
                    continue;
                }
                for (&v, &c) in run.iter().zip(cols) {
                    if let Some(o) = out.get_mut(c as usize) {
                        *o += v;
                    }
                }
            }
        }
    });
}

/// Radii of three box blurs approximating a Gaussian of `sigma` (W. Jarosz / P. Kovesi).
fn box_radii(sigma: f32) -> [usize; 3] {
    let n = 3.0f32;
    let w_ideal = (12.0 * sigma * sigma / n + 1.0).sqrt();
    let mut wl = w_ideal.floor() as i64;
    if wl % 2 == 0 {
        wl -= 1;
    }
    let wl = wl.max(1);
    let wu = wl + 2;
    let m_ideal = (12.0 * sigma * sigma - n * (wl * wl) as f32 - 4.0 * n * wl as f32 - 3.0 * n)
        / (-4.0 * wl as f32 - 4.0);
    let m = m_ideal.round() as i64;
    let mut out = [0usize; 3];
    for (i, r) in out.iter_mut().enumerate() {
        let width = if (i as i64) < m { wl } else { wu };
        *r = usize::try_from((width - 1) / 2).unwrap_or(0);
    }
    out
}

/// Number of worker threads for the blur and composite passes.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Rows per stripe of a grid of `rows` rows, as [`par_stripes`] splits it (all of them when it
/// runs on one thread).
fn stripe_rows(rows: usize) -> usize {
    let n = workers().min(rows.max(1));
    if n <= 1 || rows < 64 {
        rows.max(1)
    } else {
        rows.div_ceil(n * 2)
    }
}

/// Runs `f(first_row, rows)` over horizontal stripes of `data` (`row_len` values per row,
/// [`stripe_rows`] rows per stripe), on this thread and named scoped helper threads that take
/// stripes from a shared pool (so every stripe is done even if a helper cannot be started).
fn par_stripes<T: Send>(data: &mut [T], row_len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let rows = data.len() / row_len.max(1);
    let per = stripe_rows(rows);
    if per >= rows {
        f(0, data);
        return;
    }
    let stripes: Vec<(usize, &mut [T])> = data
        .chunks_mut(per * row_len)
        .enumerate()
        .map(|(i, chunk)| (i * per, chunk))
        .collect();
    let n = workers().min(stripes.len());
    let pool = std::sync::Mutex::new(stripes);
    let work = || {
        while let Some((first_row, stripe)) = pool.lock().ok().and_then(|mut p| p.pop()) {
            f(first_row, stripe);
        }
    };
    std::thread::scope(|scope| {
        for i in 1..n {
            let work = &work;
            if let Err(e) = std::thread::Builder::new()
                .name(format!("heatmap-render-{i}"))
                .spawn_scoped(scope, work)
            {
                log::warn!("heatmap render runs on fewer threads: {e}");
            }
        }
        work();
    });
}

/// Box blur of radius `r` along a line: the mean over `2r + 1` values, zero outside.
fn box_line(src: &[f32], out: &mut [f32], r: usize) {
    let inv = 1.0 / (2 * r + 1) as f32;
    let mut acc: f32 = src[..r.min(src.len())].iter().sum();
    for (x, o) in out.iter_mut().enumerate() {
        if let Some(&add) = src.get(x + r) {
            acc += add;
        }
        *o = acc * inv;
        if let Some(&sub) = x.checked_sub(r).and_then(|i| src.get(i)) {
            acc -= sub;
        }
    }
}

/// Horizontal box blurs of `radii` in turn, each row done in one go while it is in cache.
fn blur_rows(g: &mut WorkGrid, radii: [usize; 3]) {
    let w = g.w;
    if w == 0 || radii.iter().all(|&r| r == 0) {
        return;
    }
    par_stripes(&mut g.v, w, |_, stripe| {
        let mut src = vec![0.0f32; w];
        for row in stripe.chunks_exact_mut(w) {
            for &r in radii.iter().filter(|&&r| r > 0) {
                src.copy_from_slice(row);
                box_line(&src, row, r);
            }
        }
    });
}

/// Columns per block of the vertical blur: a block of a stripe and its two buffers stay in cache.
const COLUMN_BLOCK: usize = 64;

/// Vertical box blurs of `radii` in turn, in place. Each stripe of rows is blurred with the rows
/// within the summed radii above and below it (copied before any stripe changes), in blocks of
/// [`COLUMN_BLOCK`] columns, with running sums per column.
fn blur_columns(g: &mut WorkGrid, radii: [usize; 3]) {
    let (w, h) = (g.w, g.h);
    let halo: usize = radii.iter().sum();
    if w == 0 || h == 0 || halo == 0 {
        return;
    }
    let per = stripe_rows(h);
    // Rows [b − halo, b + halo) around each stripe boundary b, as they are before blurring.
    let edges: Vec<(usize, Vec<f32>)> = (per..h)
        .step_by(per)
        .map(|b| {
            let a = b.saturating_sub(halo);
            let e = (b + halo).min(h);
            (a, g.v[a * w..e * w].to_vec())
        })
        .collect();
    // The value at (x, y) before blurring, for a row outside the stripe.
    let original = |y: usize, x0: usize, x1: usize| -> &[f32] {
        let k = edges.partition_point(|(a, _)| *a <= y).saturating_sub(1);
        edges
            .get(k)
            .and_then(|(a, rows)| rows.get((y - a) * w + x0..(y - a) * w + x1))
            .unwrap_or(&[])
    };
    par_stripes(&mut g.v, w, |first, stripe| {
        let rows = stripe.len() / w;
        let (top, bottom) = (first.saturating_sub(halo), (first + rows + halo).min(h));
        let n = bottom - top;
        let mut a = vec![0.0f32; n * COLUMN_BLOCK];
        let mut b = vec![0.0f32; n * COLUMN_BLOCK];
        let mut acc = [0.0f32; COLUMN_BLOCK];
        for x0 in (0..w).step_by(COLUMN_BLOCK) {
            let x1 = (x0 + COLUMN_BLOCK).min(w);
            let bw = x1 - x0;
            for (i, y) in (top..bottom).enumerate() {
                let dst = &mut a[i * bw..(i + 1) * bw];
                let src = if (first..first + rows).contains(&y) {
                    &stripe[(y - first) * w + x0..(y - first) * w + x1]
                } else {
                    original(y, x0, x1)
                };
                if src.len() == bw {
                    dst.copy_from_slice(src);
                } else {
                    dst.fill(0.0);
                }
            }
            for &r in radii.iter().filter(|&&r| r > 0) {
                let inv = 1.0 / (2 * r + 1) as f32;
                let acc = &mut acc[..bw];
                acc.fill(0.0);
                for y in 0..r.min(n) {
                    for (s, v) in acc.iter_mut().zip(&a[y * bw..(y + 1) * bw]) {
                        *s += v;
                    }
                }
                for y in 0..n {
                    if y + r < n {
                        for (s, v) in acc.iter_mut().zip(&a[(y + r) * bw..(y + r + 1) * bw]) {
                            *s += v;
                        }
                    }
                    for (o, s) in b[y * bw..(y + 1) * bw].iter_mut().zip(acc.iter()) {
                        *o = s * inv;
                    }
                    if y >= r {
                        for (s, v) in acc.iter_mut().zip(&a[(y - r) * bw..(y - r + 1) * bw]) {
                            *s -= v;
                        }
                    }
                }
                std::mem::swap(&mut a, &mut b);
            }
            for local in 0..rows {
                let i = first + local - top;
                stripe[local * w + x0..local * w + x1].copy_from_slice(&a[i * bw..(i + 1) * bw]);
            }
        }
    });
}

/// The value intensities are divided by.
pub(crate) fn scale_of(values: &[f32], normalise: Normalise) -> f32 {
    match normalise {
        Normalise::Max => values.iter().copied().fold(0.0, f32::max),
        Normalise::Fixed(top) => top.max(0.0),
        Normalise::Percentile(p) => {
            let mut nz: Vec<f32> = values.iter().copied().filter(|&v| v > 0.0).collect();
            if nz.is_empty() {
                return 0.0;
            }
            let k = (((p.clamp(0.0, 100.0) / 100.0) * (nz.len() - 1) as f32).round() as usize)
                .min(nz.len() - 1);
            let (_, v, _) = nz.select_nth_unstable_by(k, f32::total_cmp);
            *v
        }
    }
}

/// Integer blending of one colormap entry per intensity index: `out = (p · keep + add) >> 8`.
struct BlendTable {
    /// `256 − alpha · 256` per index.
    keep: [u16; 256],
    /// `colour · alpha · 256` per index and channel.
    add: [[u16; 3]; 256],
}

impl BlendTable {
    fn new(settings: &RenderSettings) -> Self {
        let lut = settings.colormap.lut();
        let mono = settings.colormap.is_mono();
        let opacity = settings.opacity.clamp(0.0, 1.0);
        let mut table = Self {
            keep: [256; 256],
            add: [[0; 3]; 256],
        };
        let entries = table.keep.iter_mut().zip(&mut table.add).zip(lut);
        for (i, ((keep, add), rgb)) in entries.enumerate().skip(1) {
            let v = i as f32 / 255.0;
            // heatmap.js fades the colour in below its first stop (0.25); mono maps fade all
            // the way.
            let a = if mono {
                opacity * v
            } else {
                opacity * (v / 0.25).min(1.0)
            };
            let a256 = (a * 256.0).round().clamp(0.0, 256.0) as u16;
            *keep = 256 - a256;
            for (add, c) in add.iter_mut().zip(rgb) {
                *add = u16::from(c) * a256;
            }
        }
        table
    }

    /// Blends index `i` over the RGB of one opaque RGBA pixel.
    #[inline]
    fn apply(&self, px: &mut [u8], i: u8) {
        let keep = u32::from(self.keep[usize::from(i)]);
        let add = &self.add[usize::from(i)];
        for (p, &a) in px.iter_mut().zip(add) {
            *p = ((u32::from(*p) * keep + u32::from(a)) >> 8) as u8;
        }
    }
}

/// Blurs, colours and composites a density map over the body rows of `out` (rows `0..body_h`,
/// each copied from `screenshot`, or grey, as it is written); returns the legend's top value
/// (the weight in a CSS px cell at full intensity, per the kernel).
fn composite_density(
    out: &mut RgbaImage,
    screenshot: &RgbaImage,
    body_h: u32,
    density: &DensityGrid,
    s: f32,
    settings: &RenderSettings,
) -> f32 {
    let width = out.width as usize;
    let row_len = width * 4;
    let body = (body_h as usize * row_len).min(out.pixels.len());
    let g = blur_density(density, s, (out.width, body_h), settings.radius_px);
    let sigma_img = (settings.radius_px.max(0.5) * s) / 2.0;
    let cell = cell_size(sigma_img);
    let top = scale_of(&g.v, settings.normalise);
    let (gw, gh) = (g.w, g.h);
    if top <= 0.0 || gw == 0 || gh == 0 {
        base_rows(&mut out.pixels[..body], row_len, screenshot);
        return 0.0;
    }
    // Legend: peak of the kernel-smoothed density, in weight per (CSS px)², times the kernel's
    // area: the number of points a spot at full intensity stands for.
    let kernel_area_css = 2.0 * std::f32::consts::PI * (settings.radius_px.max(0.5) / 2.0).powi(2);
    let legend_top = top / ((cell * cell) as f32 / (s * s)) * kernel_area_css;
    let table = BlendTable::new(settings);
    // Linear interpolation between cell centres: per image column, its left cell and weight.
    let columns: Vec<(u32, f32)> = (0..width)
        .map(|x| {
            let fx = ((x as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
            let x0 = (fx as usize).min(gw - 1);
            (u32::try_from(x0).unwrap_or(0), fx - x0 as f32)
        })
        .collect();
    let index_per_value = 255.0 / top;
    let gv = &g.v;
    par_stripes(&mut out.pixels[..body], row_len, |first_row, stripe| {
        // Per cell of the current row: intensity (0–255 scale) and the step to the next cell.
        let mut line = vec![0.0f32; gw];
        let mut step = vec![0.0f32; gw];
        let mut index = vec![0u8; width];
        for (local, px_row) in stripe.chunks_exact_mut(row_len).enumerate() {
            let y = first_row + local;
            base_row(px_row, screenshot, y);
            let fy = ((y as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
            let y0 = (fy as usize).min(gh - 1);
            let y1 = (y0 + 1).min(gh - 1);
            let ty = fy - y0 as f32;
            let (Some(r0), Some(r1)) = (
                gv.get(y0 * gw..(y0 + 1) * gw),
                gv.get(y1 * gw..(y1 + 1) * gw),
            ) else {
                continue;
            };
            let mut any = false;
            for ((l, a), b) in line.iter_mut().zip(r0).zip(r1) {
                *l = (a + (b - a) * ty) * index_per_value;
                any |= *l >= 1.0;
            }
            if !any {
                continue;
            }
            for (i, st) in step.iter_mut().enumerate() {
                *st = line.get(i + 1).map_or(0.0, |next| next - line[i]);
            }
            for (ix, &(x0, t)) in index.iter_mut().zip(&columns) {
                let x0 = x0 as usize;
                let v =
                    line.get(x0).copied().unwrap_or(0.0) + step.get(x0).copied().unwrap_or(0.0) * t;
                // Saturating: negative rounding noise is 0, above the scale is 255.
                *ix = v.min(255.0) as u8;
            }
            for (px, &i) in px_row.chunks_exact_mut(4).zip(&index) {
                if i != 0 {
                    table.apply(px, i);
                }
            }
        }
    });
    legend_top
}

/// Blends `rgb` with alpha `a` over the RGB of one RGBA pixel.
#[inline]
pub(crate) fn blend(px: &mut [u8], rgb: [u8; 3], a: f32) {
    for (p, c) in px.iter_mut().zip(rgb) {
        *p = (f32::from(*p) + (f32::from(c) - f32::from(*p)) * a) as u8;
    }
}

/// Colours the band rows of `out`: `colour_of(band) -> Some((rgb, alpha))`.
fn fill_bands(
    out: &mut RgbaImage,
    body_h: u32,
    s: f32,
    bands: usize,
    colour_of: impl Fn(usize) -> Option<([u8; 3], f32)>,
) {
    let row_len = out.width as usize * 4;
    for y in 0..body_h as usize {
        let band = ((y as f32 + 0.5) / s / BAND_PX as f32) as usize;
        if band >= bands {
            break;
        }
        let Some((c, a)) = colour_of(band) else {
            continue;
        };
        if let Some(row) = out.pixels.get_mut(y * row_len..(y + 1) * row_len) {
            for px in row.chunks_exact_mut(4) {
                blend(px, c, a);
            }
        }
    }
}

/// Clarity's scroll-map colour: `hsl((1 − share) × 240, 100 %, 50 %)`.
fn hue_rgb(share: f32) -> [u8; 3] {
    let h = (1.0 - share.clamp(0.0, 1.0)) * 240.0 / 60.0;
    let x = 1.0 - (h % 2.0 - 1.0).abs();
    let (r, g, b) = match h as u32 {
        0 => (1.0, x, 0.0),
        1 => (x, 1.0, 0.0),
        2 => (0.0, 1.0, x),
        3 => (0.0, x, 1.0),
        _ => (0.0, 0.0, 1.0),
    };
    [(r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8]
}

fn band_colour(colormap: Colormap, v: f32, opacity: f32) -> ([u8; 3], f32) {
    match colormap {
        Colormap::Clarity => (hue_rgb(v), opacity),
        c if c.is_mono() => (c.rgb(v), opacity * v),
        c => (c.rgb(v), opacity),
    }
}

fn draw_scroll(
    out: &mut RgbaImage,
    body_h: u32,
    result: &HeatmapResult,
    s: f32,
    settings: &RenderSettings,
) {
    let reach: &[ReachBand] = &result.scroll_reach;
    let opacity = settings.opacity.clamp(0.0, 1.0);
    fill_bands(out, body_h, s, reach.len(), |b| {
        reach
            .get(b)
            .map(|r| band_colour(settings.colormap, r.share, opacity))
    });
    for (share, label) in [(0.75, "75 %"), (0.5, "50 %"), (0.25, "25 %")] {
        if let Some(depth) = depth_reached_by(reach, share) {
            let y = (depth as f32 * s) as u32;
            hline(out, y, body_h, [0, 0, 0], 2, false);
            label_box(
                out,
                8,
                y,
                &format!("{label} of page views reached here ({depth} px)"),
            );
        }
    }
    fold_marker(out, body_h, result, s);
}

fn fold_marker(out: &mut RgbaImage, body_h: u32, result: &HeatmapResult, s: f32) {
    if result.average_fold_px > 0.0 {
        let y = (result.average_fold_px * s) as u32;
        hline(out, y, body_h, [255, 255, 255], 2, true);
        let w = out.width;
        label_box(
            out,
            w.saturating_sub(260),
            y,
            &format!("average fold {:.0} px", result.average_fold_px),
        );
    }
}

/// Returns the largest mean seconds in view.
fn draw_attention(
    out: &mut RgbaImage,
    body_h: u32,
    result: &HeatmapResult,
    s: f32,
    settings: &RenderSettings,
) -> f32 {
    let secs = &result.attention_secs;
    let max = secs.iter().copied().fold(0.0, f32::max);
    let opacity = settings.opacity.clamp(0.0, 1.0);
    if max > 0.0 {
        fill_bands(out, body_h, s, secs.len(), |b| {
            secs.get(b)
                .map(|v| band_colour(settings.colormap, v / max, opacity))
        });
    }
    fold_marker(out, body_h, result, s);
    max
}

/// A horizontal line `thickness` px thick at row `y` (dashed: 12 on, 8 off).
pub(crate) fn hline(
    out: &mut RgbaImage,
    y: u32,
    body_h: u32,
    rgb: [u8; 3],
    thickness: u32,
    dashed: bool,
) {
    let row_len = out.width as usize * 4;
    for yy in y..(y + thickness).min(body_h) {
        if let Some(row) = out
            .pixels
            .get_mut(yy as usize * row_len..(yy as usize + 1) * row_len)
        {
            for (x, px) in row.chunks_exact_mut(4).enumerate() {
                if !dashed || x % 20 < 12 {
                    px[..3].copy_from_slice(&rgb);
                }
            }
        }
    }
}

/// Text on a white box whose bottom-left sits at `(x, y)`.
fn label_box(out: &mut RgbaImage, x: u32, y: u32, text: &str) {
    let size = 15.0;
    let w = text_width(text, size).ceil() as u32 + 12;
    let top = y.saturating_sub(22);
    fill_rect(out, x, top, w, 20, [255, 255, 255]);
    draw_text(out, x + 6, top + 15, text, size, [20, 20, 20]);
}

pub(crate) fn fill_rect(out: &mut RgbaImage, x: u32, y: u32, w: u32, h: u32, rgb: [u8; 3]) {
    for yy in y..(y + h).min(out.height) {
        for xx in x..(x + w).min(out.width) {
            let i = (yy as usize * out.width as usize + xx as usize) * 4;
            if let Some(px) = out.pixels.get_mut(i..i + 4) {
                px.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            }
        }
    }
}

fn font() -> Option<FontRef<'static>> {
    FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT).ok()
}

/// Width of `text` at `size_px`, px.
pub(crate) fn text_width(text: &str, size_px: f32) -> f32 {
    let Some(font) = font() else { return 0.0 };
    let scaled = font.as_scaled(PxScale::from(size_px));
    let mut w = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            w += scaled.kern(p, id);
        }
        w += scaled.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Draws `text` with its baseline at `(x, baseline_y)`, anti-aliased, in `rgb`.
pub(crate) fn draw_text(
    out: &mut RgbaImage,
    x: u32,
    baseline_y: u32,
    text: &str,
    size_px: f32,
    rgb: [u8; 3],
) {
    draw_text_alpha(out, x as f32, baseline_y as f32, text, size_px, rgb, 1.0);
}

/// Draws `text` with its baseline at `(x, baseline_y)`, anti-aliased, in `rgb` at opacity
/// `alpha` (0..1).
pub(crate) fn draw_text_alpha(
    out: &mut RgbaImage,
    x: f32,
    baseline_y: f32,
    text: &str,
    size_px: f32,
    rgb: [u8; 3],
    alpha: f32,
) {
    let Some(font) = font() else { return };
    let scaled = font.as_scaled(PxScale::from(size_px));
    let mut caret = x;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size_px, ab_glyph::point(caret, baseline_y));
        caret += scaled.h_advance(id);
        prev = Some(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        let (w, h) = (out.width as i64, out.height as i64);
        outlined.draw(|gx, gy, cov| {
            let px_x = bounds.min.x as i64 + i64::from(gx);
            let px_y = bounds.min.y as i64 + i64::from(gy);
            if px_x < 0 || px_y < 0 || px_x >= w || px_y >= h {
                return;
            }
            let i = (px_y as usize * w as usize + px_x as usize) * 4;
            if let Some(p) = out.pixels.get_mut(i..i + 4) {
                blend(p, rgb, cov.clamp(0.0, 1.0) * alpha.clamp(0.0, 1.0));
            }
        });
    }
}

/// `1,234` style, or one decimal below 10.
fn format_count(v: f32) -> String {
    if v < 10.0 {
        return format!("{v:.1}");
    }
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The legend (colour bar with its scale) and caption strip below the page.
fn draw_legend(
    out: &mut RgbaImage,
    top: u32,
    height: u32,
    settings: &RenderSettings,
    scale_label: &str,
    density: bool,
) {
    let w = out.width;
    fill_rect(out, 0, top, w, height, [255, 255, 255]);
    hline(out, top, top + 1, [200, 200, 200], 1, false);
    // Colour bar over white: exactly the colours and alphas the map uses; on narrow maps it
    // leaves half the width to its scale label.
    let bar_w = 200.min(w.saturating_sub(16) / 2);
    for i in 0..bar_w {
        let v = i as f32 / bar_w.max(1) as f32;
        let (c, a) = if density {
            let a = if settings.colormap.is_mono() {
                v
            } else {
                (v / 0.25).min(1.0)
            } * settings.opacity.clamp(0.0, 1.0);
            (settings.colormap.rgb(v), a)
        } else {
            band_colour(settings.colormap, v, settings.opacity.clamp(0.0, 1.0))
        };
        let blended = c.map(|ch| (255.0 + (f32::from(ch) - 255.0) * a) as u8);
        fill_rect(out, 8 + i, top + 10, 1, 14, blended);
    }
    draw_text(
        out,
        8 + bar_w + 8,
        top + 22,
        scale_label,
        CAPTION_TEXT_PX,
        [30, 30, 30],
    );
}

#[cfg(test)]
mod tests;
