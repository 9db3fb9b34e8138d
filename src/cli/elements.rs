//! `sessionlens elements`: every clicked element of a page grouped by its selector path,
//! ranked by clicks, rage, dead or error clicks, sessions or conversion; as a table, JSON or
//! CSV, and as boxes over the page screenshot (PNG). With `--compare`, A against B per element,
//! each tested, Benjamini–Hochberg over the page's elements.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::FilterArgs;
use super::commands::session_filter;
use super::heatmap::{load_screenshot, pick_screenshot_for};
use crate::analysis::elements::{
    self, ElementComparison, ElementMap, ElementMeasure, ElementQuery,
};
use crate::analysis::heatmap::width_range;
use crate::analysis::significance::DEFAULT_FDR;
use crate::render::elements::{
    ElementRenderSettings, format_value, render_element_comparison, render_element_map,
};
use crate::render::encode_png;
use crate::store::{ScreenshotInfo, open_store};

/// `elements --by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasureArg(pub ElementMeasure);

impl clap::ValueEnum for MeasureArg {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [MeasureArg; 6] = [
            MeasureArg(ElementMeasure::ALL[0]),
            MeasureArg(ElementMeasure::ALL[1]),
            MeasureArg(ElementMeasure::ALL[2]),
            MeasureArg(ElementMeasure::ALL[3]),
            MeasureArg(ElementMeasure::ALL[4]),
            MeasureArg(ElementMeasure::ALL[5]),
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}

/// `elements`.
#[derive(Debug, clap::Args)]
pub struct ElementsArgs {
    /// Session filters; `--page` (required) is the page: a URL (the fragment is ignored) or a
    /// pattern like `/product/*`.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Layout width, CSS px: only page views within ±`--width-tolerance` % of it count, and the
    /// PNG is drawn over the page's screenshot at that width. Default: every width counts (the
    /// elements are grouped by selector, not position), boxes come from the page views at the
    /// widest screenshot's layout.
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    /// Viewport width tolerance around the layout width, percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub width_tolerance: f32,
    /// What the elements are ranked and coloured by.
    #[arg(long, value_enum, default_value_t = MeasureArg(ElementMeasure::Clicks))]
    pub by: MeasureArg,
    /// At most this many elements in the table (the PNG draws them all).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Compare two sets of sessions per element (presets as `heatmap --compare`: `converted`,
    /// `before:YYYY-MM-DD`, `signal:KIND`, `event:NAME`, `device:A,B`, `source:A[,B]`).
    #[arg(long, value_name = "PRESET")]
    pub compare: Option<String>,
    /// One JSON object.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Comma-separated values with a header line.
    #[arg(long)]
    pub csv: bool,
    /// Also draw the elements as boxes over the page screenshot into this PNG.
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<PathBuf>,
    /// One page variant only.
    #[command(flatten)]
    pub variant: super::variants::VariantArgs,
}

/// What `boxes` mean, for the JSON output and docs.
const BOXES_FROM: &str = "the bounding box of the element's clicks in the layout drawn on (page CSS px; viewport px for fixed elements), padded by 4 px";

/// Runs `elements`.
pub fn run(library_path: &Path, args: &ElementsArgs) -> anyhow::Result<ExitCode> {
    let Some(page) = args.filter.page.clone() else {
        bail!("--page is required: the page URL or pattern whose elements to list");
    };
    if !(0.0..=100.0).contains(&args.width_tolerance) {
        bail!(
            "--width-tolerance {}: expected a percentage from 0 to 100",
            args.width_tolerance
        );
    }
    let filter = session_filter(&args.filter)?;
    let variant = args.variant.filter()?;
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let screenshots = library.screenshots()?;
    let device = args.filter.device.map(super::DeviceArg::class);
    // The screenshot: required for a PNG, else only used to place the boxes.
    let variant_shot = variant
        .as_ref()
        .and_then(|v| super::variants::variant_screenshot(&screenshots, &page, v, args.width));
    let shot: Option<&ScreenshotInfo> = if variant_shot.is_some() {
        variant_shot
    } else if args.png.is_some() {
        Some(pick_screenshot_for(
            &screenshots,
            &page,
            args.width,
            args.width_tolerance,
            device,
        )?)
    } else {
        pick_screenshot_for(
            &screenshots,
            &page,
            args.width,
            args.width_tolerance,
            device,
        )
        .ok()
    };
    let tolerance = args.width_tolerance / 100.0;
    let layout_width = args.width.or(shot.map(|s| s.layout_width));
    let query = ElementQuery {
        page: page.clone(),
        filter,
        viewport_widths: args.width.map(|w| width_range(w, tolerance)),
        layout_widths: layout_width.map(|w| width_range(w, tolerance)),
        variant,
    };
    let caption = caption(args);
    if let Some(preset) = super::compare_preset(args.compare.as_deref())? {
        let ((label_a, qa), (label_b, qb)) = query.split(&preset);
        let cmp = library
            .compare_elements(
                (label_a.as_str(), &qa),
                (label_b.as_str(), &qb),
                DEFAULT_FDR,
            )
            .context("comparing the elements")?;
        if let (Some(out), Some(shot)) = (&args.png, shot) {
            write_drawing(&*library, shot, caption, out, |screenshot, settings| {
                render_element_comparison(&cmp, screenshot, settings)
            })?;
        }
        print_comparison(&page, layout_width, &cmp, args)?;
        return Ok(ExitCode::SUCCESS);
    }
    let map = library
        .elements(&query, args.by.0)
        .context("computing the element map")?;
    if let (Some(out), Some(shot)) = (&args.png, shot) {
        write_drawing(&*library, shot, caption, out, |screenshot, settings| {
            render_element_map(&map, screenshot, settings)
        })?;
    }
    print_map(&query, layout_width, &map, args)?;
    Ok(ExitCode::SUCCESS)
}

/// Draws on the screenshot `shot` (with a legend and `caption`) and writes the PNG.
fn write_drawing(
    library: &dyn crate::store::Store,
    shot: &ScreenshotInfo,
    caption: String,
    out: &Path,
    draw: impl FnOnce(&crate::render::RgbaImage, &ElementRenderSettings) -> crate::render::RgbaImage,
) -> anyhow::Result<()> {
    let screenshot = load_screenshot(library, shot)?;
    let image = draw(
        &screenshot,
        &ElementRenderSettings {
            layout_width_px: shot.layout_width,
            legend: true,
            caption,
        },
    );
    write_png(out, &image)
}

fn write_png(out: &Path, image: &crate::render::RgbaImage) -> anyhow::Result<()> {
    let bytes = encode_png(image).context("encoding the PNG")?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))
}

/// The filters, for the PNG caption.
fn caption(args: &ElementsArgs) -> String {
    let f = &args.filter;
    let mut parts = Vec::new();
    if let Some(d) = f.device {
        parts.push(d.class().as_str().to_owned());
    }
    if let Some(s) = &f.source {
        parts.push(format!("source {s}"));
    }
    if let Some(c) = f.converted {
        parts.push(format!(
            "converted {}",
            if c.is_yes() { "yes" } else { "no" }
        ));
    }
    if let Some(s) = &f.has_signal {
        parts.push(format!("with {s}"));
    }
    if let Some(e) = &f.has_event {
        parts.push(format!("did {e}"));
    }
    if let Some(d) = &f.from {
        parts.push(format!("from {d}"));
    }
    if let Some(d) = &f.to {
        parts.push(format!("to {d}"));
    }
    parts.join(" · ")
}

fn print_map(
    query: &ElementQuery,
    layout_width: Option<u32>,
    map: &ElementMap,
    args: &ElementsArgs,
) -> anyhow::Result<()> {
    let limit = args.limit.unwrap_or(usize::MAX);
    if args.json {
        let mut shown = map.clone();
        shown.elements.truncate(limit);
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "page": query.page,
                "viewport_widths": query.viewport_widths.map(|(lo, hi)| [lo, hi]),
                "layout_width": layout_width,
                "boxes_from": BOXES_FROM,
                "png": args.png.as_ref().map(|p| p.display().to_string()),
                "map": shown,
            }))?
        );
    } else if args.csv {
        outln!("{}", elements::CSV_HEADER);
        for (i, e) in map.elements.iter().take(limit).enumerate() {
            outln!("{}", elements::csv_row(i + 1, e));
        }
    } else {
        outln!(
            "elements of {} by {}: {} sessions, {} page views ({}), {} clicks on {} elements{}; conversion of the page's sessions {:.1} %",
            map.page,
            map.measure.as_str(),
            map.sessions,
            map.page_views,
            query.viewport_widths.map_or_else(
                || "any width".to_owned(),
                |(lo, hi)| format!("viewport {lo}–{hi} px")
            ),
            map.clicks,
            map.elements.len(),
            if map.clicks_without_element > 0 {
                format!(
                    " ({} more without a known element)",
                    map.clicks_without_element
                )
            } else {
                String::new()
            },
            map.conversion_rate * 100.0
        );
        outln!(
            "{:>4} {:>7} {:>5} {:>5} {:>5} {:>8} {:>7}  element",
            "rank",
            "clicks",
            "rage",
            "dead",
            "error",
            "sessions",
            "conv"
        );
        for (i, e) in map.elements.iter().take(limit).enumerate() {
            outln!(
                "{:>4} {:>7} {:>5} {:>5} {:>5} {:>8} {:>7}  {}{}",
                i + 1,
                e.clicks,
                e.rage,
                e.dead,
                e.error,
                e.sessions,
                format_value(ElementMeasure::Conversion, e.conversion_rate),
                e.selector,
                if e.label != e.selector {
                    format!("  ({})", e.label)
                } else {
                    String::new()
                }
            );
        }
        if let Some(out) = &args.png {
            outln!("{}: boxes over the screenshot", out.display());
        }
    }
    Ok(())
}

fn print_comparison(
    page: &str,
    layout_width: Option<u32>,
    cmp: &ElementComparison,
    args: &ElementsArgs,
) -> anyhow::Result<()> {
    let limit = args.limit.unwrap_or(usize::MAX);
    if args.json {
        let mut shown = cmp.clone();
        shown.elements.truncate(limit);
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "page": page,
                "layout_width": layout_width,
                "test": "share of page views with a click on the element: Fisher exact below an expected count of 5, else two-proportion z-test; two-sided",
                "correction": "Benjamini-Hochberg",
                "significant": cmp.significant(),
                "comparison": shown,
            }))?
        );
    } else if args.csv {
        outln!("{}", elements::COMPARE_CSV_HEADER);
        for e in cmp.elements.iter().take(limit) {
            outln!("{}", elements::compare_csv_row(e));
        }
    } else {
        outln!(
            "elements of {page}: A {} ({} page views) against B {} ({} page views{})",
            cmp.label_a,
            cmp.page_views_a,
            cmp.label_b,
            cmp.page_views_b,
            if cmp.overlap > 0 {
                format!(", {} also in A left out", cmp.overlap)
            } else {
                String::new()
            }
        );
        outln!("{}", cmp.describe());
        outln!(
            "{:>8} {:>8} {:>9} {:>17} {:>9}  element",
            "A",
            "B",
            "A − B",
            "95 % interval",
            "p"
        );
        for e in cmp.elements.iter().take(limit) {
            outln!(
                "{:>7.1}% {:>7.1}% {:>+8.1}% [{:>+6.1}, {:>+6.1}] {:>9.2e} {} {}",
                e.share_a * 100.0,
                e.share_b * 100.0,
                e.difference * 100.0,
                e.interval95.0 * 100.0,
                e.interval95.1 * 100.0,
                e.p_value,
                if e.significant { "*" } else { " " },
                e.selector
            );
        }
    }
    Ok(())
}
