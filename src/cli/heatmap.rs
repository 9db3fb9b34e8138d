//! `sessionlens heatmap`: aggregate a map, draw it over the page screenshot, write a PNG.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::commands::session_filter;
use super::{DeviceArg, FilterArgs, YesNo};
use crate::analysis::compare::ComparePreset;
use crate::analysis::heatmap::{
    CELL_PX, CountMode, FixedMode, HeatmapKind, HeatmapQuery, HeatmapResult, width_range,
};
use crate::analysis::significance::{
    DEFAULT_FDR, PlaceTests, REACH_BAND_PX, test_cells, test_hotspots, test_scroll_reach,
};
use crate::model::DeviceClass;
use crate::render::compare::{CompareLayout, render_comparison_on};
use crate::render::heatmap::{Colormap, RenderSettings, render_heatmap};
use crate::render::{decode_png, encode_png};
use crate::store::{ScreenshotInfo, Store, open_store, url_matches};

/// `heatmap --kind`: the analysis kinds, by their names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeatmapKindArg(pub HeatmapKind);

impl clap::ValueEnum for HeatmapKindArg {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [HeatmapKindArg; 6] = [
            HeatmapKindArg(HeatmapKind::ALL[0]),
            HeatmapKindArg(HeatmapKind::ALL[1]),
            HeatmapKindArg(HeatmapKind::ALL[2]),
            HeatmapKindArg(HeatmapKind::ALL[3]),
            HeatmapKindArg(HeatmapKind::ALL[4]),
            HeatmapKindArg(HeatmapKind::ALL[5]),
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}

/// `heatmap --colormap`: the renderer's colormaps, by their names (`default` is `heatmapjs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColormapArg(pub Colormap);

impl clap::ValueEnum for ColormapArg {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [ColormapArg; 8] = [
            ColormapArg(Colormap::ALL[0]),
            ColormapArg(Colormap::ALL[1]),
            ColormapArg(Colormap::ALL[2]),
            ColormapArg(Colormap::ALL[3]),
            ColormapArg(Colormap::ALL[4]),
            ColormapArg(Colormap::ALL[5]),
            ColormapArg(Colormap::ALL[6]),
            ColormapArg(Colormap::ALL[7]),
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.0.as_str());
        Some(if self.0 == Colormap::default() {
            value.alias("default")
        } else {
            value
        })
    }
}

/// `heatmap --compare-layout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareLayoutArg {
    /// The two maps side by side.
    SideBySide,
    /// One map of B minus A.
    Difference,
}

/// `heatmap`.
#[derive(Debug, clap::Args)]
pub struct HeatmapArgs {
    /// The page: a URL (the fragment is ignored) or a pattern like `/product/*`.
    #[arg(
        long,
        value_name = "URL_OR_PATTERN",
        required_unless_present = "all_pages"
    )]
    pub page: Option<String>,
    /// Export a map for every page (and layout width) that has a screenshot, into the `--out`
    /// folder.
    #[arg(long, conflicts_with = "page")]
    pub all_pages: bool,
    /// Which map.
    #[arg(long, value_enum, default_value_t = HeatmapKindArg(HeatmapKind::Click))]
    pub kind: HeatmapKindArg,
    /// Layout width, CSS px: page views within ±`--width-tolerance` % of it count. Default: the
    /// widest screenshot of the page.
    #[arg(long, value_name = "PX", conflicts_with = "device")]
    pub width: Option<u32>,
    /// Device class: sessions of that class, drawn over the page's screenshot for that class.
    #[arg(long, value_enum)]
    pub device: Option<DeviceArg>,
    /// Viewport width tolerance around the layout width, percent (PostHog's default: 10).
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub width_tolerance: f32,
    /// Sessions started on or after this day (YYYY-MM-DD, in --tz) or epoch ms.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Sessions started on or before this day (YYYY-MM-DD, in --tz: the day is included), or
    /// before this epoch ms.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Time zone that --from and --to days are counted in (IANA name, e.g. Europe/Berlin).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: Option<String>,
    /// Traffic source: a channel or a utm_source value.
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Converted (a purchase was recorded) or not.
    #[arg(long, value_enum)]
    pub converted: Option<YesNo>,
    /// Sessions with at least one signal of this kind (e.g. rage_click).
    #[arg(long, value_name = "KIND")]
    pub has_signal: Option<String>,
    /// Sessions with at least one custom event of this name, e.g. a micro-conversion such as
    /// add_to_cart or newsletter_signup (case-insensitive).
    #[arg(long, value_name = "EVENT")]
    pub has_event: Option<String>,
    /// Count every point, or each session once per 16 px cell.
    #[arg(long, value_enum, default_value_t = CountArg::Total)]
    pub count: CountArg,
    /// Clicks on fixed or sticky elements: at their viewport position (`show`), scrolled with
    /// the page (`scrolled`), or left out (`hide`).
    #[arg(long, value_enum, default_value_t = FixedArg::Show)]
    pub fixed: FixedArg,
    /// Kernel radius, CSS px (default 20, Clarity's).
    #[arg(long, value_name = "PX")]
    pub radius: Option<f32>,
    /// Colours.
    #[arg(long, value_enum)]
    pub colormap: Option<ColormapArg>,
    /// Overlay opacity, 0–1 (default 0.8 for point maps, 0.6 for scroll and attention maps).
    #[arg(long, value_name = "F")]
    pub opacity: Option<f32>,
    /// Leave out the legend and caption strip.
    #[arg(long)]
    pub no_legend: bool,
    /// Compare two sets of sessions on one scale: `converted` (A converted, B not),
    /// `before:YYYY-MM-DD` (A before the day, B from it on), `signal:KIND` or `event:NAME`
    /// (A with it, B all sessions), `device:A,B` (e.g. `device:mobile,desktop`), `source:A[,B]`
    /// (A from that source, B from the second or all sessions). Other filters apply to both.
    #[arg(long, value_name = "PRESET", conflicts_with = "all_pages")]
    pub compare: Option<String>,
    /// How a comparison is drawn: both maps side by side, or one map of A − B per page view.
    #[arg(long, value_enum, default_value_t = CompareLayoutArg::SideBySide, requires = "compare")]
    pub compare_layout: CompareLayoutArg,
    /// The PNG to write (a folder with `--all-pages`).
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
    /// Print what was aggregated as JSON (one object per map with `--all-pages`).
    #[arg(long)]
    pub json: bool,
    /// One page variant only, drawn over that variant's screenshot when
    /// `sessionlens variants --screenshots` kept one.
    #[command(flatten)]
    pub variant: super::variants::VariantArgs,
}

/// Runs `heatmap`.
pub fn run(library_path: &Path, args: &HeatmapArgs) -> anyhow::Result<ExitCode> {
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let kind = args.kind.0;
    if let Some(o) = args.opacity
        && !(0.0..=1.0).contains(&o)
    {
        bail!("--opacity {o}: expected a number from 0 to 1");
    }
    if let Some(r) = args.radius
        && !(r > 0.0 && r <= 500.0)
    {
        bail!("--radius {r}: expected a number of px above 0 and at most 500");
    }
    let mut settings = RenderSettings::for_kind(kind);
    if let Some(r) = args.radius {
        settings.radius_px = r;
    }
    if let Some(c) = args.colormap {
        settings.colormap = c.0;
    }
    if let Some(o) = args.opacity {
        settings.opacity = o;
    }
    settings.legend = !args.no_legend;
    let screenshots = library.screenshots()?;
    let mut stdout = std::io::stdout().lock();
    if args.all_pages {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))?;
        let filter = session_filter(&filter_args(args))?;
        let groups = library.page_groups(&filter)?;
        let mut written = 0;
        let mut skipped = 0;
        for group in &groups {
            let shots: Vec<&ScreenshotInfo> =
                screenshots.iter().filter(|s| s.url == group.url).collect();
            let shots: Vec<&ScreenshotInfo> = match (args.width, device(args)) {
                (Some(w), _) => closest_width(&shots, w).into_iter().collect(),
                (None, Some(d)) => shots.into_iter().filter(|s| fits_device(s, d)).collect(),
                (None, None) => shots,
            };
            if shots.is_empty() {
                eprintln!(
                    "warning: no screenshot for {}{}; add one with `sessionlens screenshot add --url {} FILE.png`",
                    group.url,
                    args.width
                        .map(|w| format!(" at width {w} px"))
                        .unwrap_or_default(),
                    group.url
                );
                skipped += 1;
                continue;
            }
            for shot in shots {
                let file = args.out.join(format!(
                    "{}-{}-{}.png",
                    slug(&group.url),
                    shot.layout_width,
                    kind.as_str()
                ));
                let result = export_one(&*library, args, kind, &group.url, shot, &settings, &file)?;
                if args.json {
                    serde_json::to_writer(&mut stdout, &result_json(&result, shot, &file))?;
                    writeln!(stdout)?;
                } else {
                    writeln!(
                        stdout,
                        "{}: {} sessions, {} page views, {} points",
                        file.display(),
                        result.sessions,
                        result.page_views,
                        result.points
                    )?;
                }
                written += 1;
            }
        }
        if written == 0 {
            bail!(
                "no map written: none of the {} pages has a screenshot{}",
                groups.len(),
                if screenshots.is_empty() {
                    "; add them with `sessionlens screenshot add --url URL --width PX FILE.png`"
                } else {
                    ""
                }
            );
        }
        return Ok(if skipped > 0 {
            ExitCode::from(super::exit_code::SOME_FAILED)
        } else {
            ExitCode::SUCCESS
        });
    }
    let page = args.page.as_deref().unwrap_or_default();
    let preset = super::compare_preset(args.compare.as_deref())?;
    // Comparing two variants draws A over A's screenshot (and B over B's, below).
    let variant = match preset.as_ref().and_then(ComparePreset::variants) {
        Some((a, _)) => Some(a),
        None => args.variant.filter()?,
    };
    let shot = match variant
        .as_ref()
        .and_then(|v| super::variants::variant_screenshot(&screenshots, page, v, args.width))
    {
        Some(shot) => shot,
        None => {
            if let Some(v) = &variant {
                eprintln!(
                    "note: no screenshot of variant {} kept; drawn over the page's (render it with `sessionlens variants --page {page} --variant-from {} --screenshots`)",
                    v.variant,
                    v.source.as_text()
                );
            }
            pick_screenshot(&screenshots, page, args)?
        }
    };
    if let Some(preset) = &preset {
        let shot_b = preset
            .variants()
            .and_then(|(_, b)| {
                super::variants::variant_screenshot(&screenshots, page, &b, args.width)
            })
            .unwrap_or(shot);
        return export_comparison(
            &*library,
            args,
            kind,
            page,
            (shot, shot_b),
            &settings,
            preset,
        );
    }
    let result = export_one(&*library, args, kind, page, shot, &settings, &args.out)?;
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &result_json(&result, shot, &args.out))?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "{}: {} map of {} at {} px: {} sessions, {} page views, {} points",
            args.out.display(),
            kind.as_str(),
            page,
            shot.layout_width,
            result.sessions,
            result.page_views,
            result.points
        )?;
        for h in result.hotspots.iter().take(5) {
            writeln!(
                stdout,
                "  hotspot ({:.0}, {:.0}) px: {:.0} {}  {}",
                h.pos_in_page.x,
                h.pos_in_page.y,
                h.count,
                result.unit.noun(),
                h.target.as_deref().unwrap_or("")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CountArg {
    /// Every point.
    Total,
    /// Each session once per cell.
    Unique,
}

/// `--fixed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FixedArg {
    /// At their viewport position.
    Show,
    /// Scrolled with the page.
    Scrolled,
    /// Left out.
    Hide,
}

fn device(args: &HeatmapArgs) -> Option<DeviceClass> {
    args.device.map(DeviceArg::class)
}

fn filter_args(args: &HeatmapArgs) -> FilterArgs {
    FilterArgs {
        device: args.device,
        source: args.source.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        tz: args.tz.clone(),
        converted: args.converted,
        has_signal: args.has_signal.clone(),
        has_event: args.has_event.clone(),
        ..FilterArgs::default()
    }
}

/// A screenshot's layout width belongs to a device class (touch assumed for tablet and mobile).
fn fits_device(shot: &ScreenshotInfo, device: DeviceClass) -> bool {
    DeviceClass::from_viewport(shot.layout_width, device != DeviceClass::Desktop) == device
}

fn closest_width<'a>(shots: &[&'a ScreenshotInfo], width: u32) -> Option<&'a ScreenshotInfo> {
    shots
        .iter()
        .copied()
        .min_by_key(|s| s.layout_width.abs_diff(width))
}

/// The screenshot to draw `page` over: of a URL the page matches (an exact URL first), at the
/// requested width or device, else the widest.
fn pick_screenshot<'a>(
    screenshots: &'a [ScreenshotInfo],
    page: &str,
    args: &HeatmapArgs,
) -> anyhow::Result<&'a ScreenshotInfo> {
    pick_screenshot_for(
        screenshots,
        page,
        args.width,
        args.width_tolerance,
        device(args),
    )
}

/// [`pick_screenshot`] from its parts: the layout width asked for (within
/// `width_tolerance_percent`), or the device class, else the widest.
pub(super) fn pick_screenshot_for<'a>(
    screenshots: &'a [ScreenshotInfo],
    page: &str,
    width: Option<u32>,
    width_tolerance_percent: f32,
    device_class: Option<DeviceClass>,
) -> anyhow::Result<&'a ScreenshotInfo> {
    let exact = page.split_once('#').map_or(page, |(u, _)| u);
    let mut candidates: Vec<&ScreenshotInfo> =
        screenshots.iter().filter(|s| s.url == exact).collect();
    if candidates.is_empty() {
        candidates = screenshots
            .iter()
            .filter(|s| {
                !crate::model::variant::is_screenshot_key(&s.url) && url_matches(page, &s.url)
            })
            .collect();
    }
    let how_to_add = |width: Option<u32>| {
        format!(
            "add one with `sessionlens screenshot add --url URL{} FILE.png`",
            width.map(|w| format!(" --width {w}")).unwrap_or_default()
        )
    };
    if candidates.is_empty() {
        bail!(
            "no screenshot for {page}: the library has none for a URL it matches; {}",
            how_to_add(width)
        );
    }
    let available = || {
        candidates
            .iter()
            .map(|s| format!("{} at {} px", s.url, s.layout_width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(w) = width {
        let (lo, hi) = width_range(w, width_tolerance_percent / 100.0);
        return candidates
            .iter()
            .copied()
            .filter(|s| (lo..=hi).contains(&s.layout_width))
            .min_by_key(|s| s.layout_width.abs_diff(w))
            .with_context(|| {
                format!(
                    "no screenshot for {page} at width {w} px (screenshots: {}); {}",
                    available(),
                    how_to_add(Some(w))
                )
            });
    }
    if let Some(d) = device_class {
        return candidates
            .iter()
            .copied()
            .find(|s| fits_device(s, d))
            .with_context(|| {
                format!(
                    "no screenshot for {page} at a {d} width (screenshots: {}); {}",
                    available(),
                    how_to_add(None)
                )
            });
    }
    candidates
        .iter()
        .copied()
        .max_by_key(|s| s.layout_width)
        .context("no screenshot")
}

/// The aggregation query for `page` over `shot`, with the arguments' filters.
fn build_query(
    args: &HeatmapArgs,
    kind: HeatmapKind,
    page: &str,
    shot: &ScreenshotInfo,
    screenshot: &crate::render::RgbaImage,
) -> anyhow::Result<HeatmapQuery> {
    let mut query = HeatmapQuery::new(page, kind, shot.layout_width);
    query.filter = session_filter(&filter_args(args))?;
    query.variant = args.variant.filter()?;
    query.viewport_widths = if device(args).is_some() {
        None
    } else {
        Some(width_range(shot.layout_width, args.width_tolerance / 100.0))
    };
    let css_per_image_px = shot.layout_width as f32 / screenshot.width.max(1) as f32;
    query.page_height_px = Some((screenshot.height as f32 * css_per_image_px).ceil() as u32);
    query.count_mode = match args.count {
        CountArg::Total => CountMode::Total,
        CountArg::Unique => CountMode::UniqueSessions,
    };
    query.fixed_mode = match args.fixed {
        FixedArg::Show => FixedMode::ShowFixed,
        FixedArg::Scrolled => FixedMode::ShowScrolled,
        FixedArg::Hide => FixedMode::Hide,
    };
    Ok(query)
}

pub(super) fn load_screenshot(
    library: &dyn Store,
    shot: &ScreenshotInfo,
) -> anyhow::Result<crate::render::RgbaImage> {
    let png = library
        .screenshot_png(&shot.hash)?
        .with_context(|| format!("the screenshot of {} is missing its PNG", shot.url))?;
    Ok(decode_png(&png, &shot.url)?)
}

fn export_one(
    library: &dyn Store,
    args: &HeatmapArgs,
    kind: HeatmapKind,
    page: &str,
    shot: &ScreenshotInfo,
    settings: &RenderSettings,
    out: &Path,
) -> anyhow::Result<HeatmapResult> {
    let screenshot = load_screenshot(library, shot)?;
    let query = build_query(args, kind, page, shot, &screenshot)?;
    // A picture and its figures: no moments behind spots needed (a server bins the points).
    let result = library.heatmap_figures(&query)?;
    let mut settings = settings.clone();
    settings.caption = caption(args);
    let image = render_heatmap(&result, &screenshot, &settings);
    let bytes = encode_png(&image).context("encoding the PNG")?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    Ok(result)
}

/// `--compare`: two aggregations drawn on one scale into one PNG.
fn export_comparison(
    library: &dyn Store,
    args: &HeatmapArgs,
    kind: HeatmapKind,
    page: &str,
    (shot, shot_b): (&ScreenshotInfo, &ScreenshotInfo),
    settings: &RenderSettings,
    preset: &ComparePreset,
) -> anyhow::Result<ExitCode> {
    let layout = match args.compare_layout {
        CompareLayoutArg::Difference => CompareLayout::Difference,
        CompareLayoutArg::SideBySide => CompareLayout::SideBySide,
    };
    let screenshot = load_screenshot(library, shot)?;
    let base = build_query(args, kind, page, shot, &screenshot)?;
    let ((label_a, query_a), (label_b, mut query_b)) = base.split(preset);
    let screenshot_b = if shot_b.hash == shot.hash {
        None
    } else {
        let image = load_screenshot(library, shot_b)?;
        query_b.page_height_px = build_query(args, kind, page, shot_b, &image)?.page_height_px;
        Some(image)
    };
    if screenshot_b.is_some() && layout == CompareLayout::Difference {
        eprintln!(
            "note: the two variants have screenshots of their own; the difference map compares cells at one position and is drawn over A's (the side-by-side layout or `sessionlens elements --compare` follow each layout)"
        );
    }
    let a = crate::store::aggregate_heatmap(library, &query_a)?;
    let b = crate::store::aggregate_heatmap(library, &query_b)?;
    let mut settings = settings.clone();
    settings.caption = caption(args);
    let image = render_comparison_on(
        &a,
        &b,
        (&screenshot, screenshot_b.as_ref().unwrap_or(&screenshot)),
        &settings,
        (&label_a, &label_b),
        layout,
    );
    let bytes = encode_png(&image).context("encoding the PNG")?;
    std::fs::write(&args.out, bytes).with_context(|| format!("writing {}", args.out.display()))?;
    let tests = test_cells(&a, &b, CELL_PX, DEFAULT_FDR);
    let reach = (kind == HeatmapKind::Scroll)
        .then(|| test_scroll_reach(&a, &b, REACH_BAND_PX, DEFAULT_FDR));
    let spots = test_hotspots(&a, &b, DEFAULT_FDR);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let differing: Vec<Value> = tests
            .cells
            .iter()
            .filter(|c| c.significant)
            .map(|c| {
                json!({
                    "x": c.cell_x * tests.cell_px,
                    "y": c.cell_y * tests.cell_px,
                    "views_a": c.views_a,
                    "views_b": c.views_b,
                    "share_a": c.share_a,
                    "share_b": c.share_b,
                    "difference": c.difference(),
                    "interval95": [c.interval95.0, c.interval95.1],
                    "p_value": c.p_value,
                    "exact": c.exact,
                })
            })
            .collect();
        let out = json!({
            "layout": layout.as_str(),
            "a": {"label": label_a, "map": result_json(&a, shot, &args.out)},
            "b": {"label": label_b, "map": result_json(&b, shot_b, &args.out)},
            "cell_tests": {
                "test": "share of page views with a point per cell: Fisher exact below an expected count of 5, else two-proportion z-test; two-sided",
                "correction": "Benjamini-Hochberg",
                "fdr": tests.fdr,
                "cell_px": tests.cell_px,
                "page_views_a": tests.page_views_a,
                "page_views_b": tests.page_views_b,
                "overlap": tests.overlap,
                "tested": tests.cells.len(),
                "significant": differing.len(),
                "cells": differing,
            },
            "hotspot_tests": place_tests_json(&spots, "hotspot"),
            "scroll_band_tests": reach.as_ref().map(|r| place_tests_json(r, "band")),
        });
        serde_json::to_writer_pretty(&mut stdout, &out)?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "{}: {} comparison of {} maps of {} at {} px: A {} ({} sessions, {} points), B {} ({} sessions, {} points)",
            args.out.display(),
            layout.as_str(),
            kind.as_str(),
            page,
            shot.layout_width,
            label_a,
            a.sessions,
            a.points,
            label_b,
            b.sessions,
            b.points
        )?;
        writeln!(stdout, "{}", tests.describe())?;
        if let Some(r) = &reach {
            writeln!(
                stdout,
                "{} of {} scroll depths ({REACH_BAND_PX} px apart) differ in the share of page views that reached them (same test and correction)",
                r.significant(),
                r.places.len()
            )?;
        }
        if !spots.places.is_empty() {
            writeln!(
                stdout,
                "{} of {} hotspots differ in the share of page views with a point in their window (same test and correction):",
                spots.significant(),
                spots.places.len()
            )?;
            for p in &spots.places {
                writeln!(
                    stdout,
                    "  {}'s spot at ({:.0}, {:.0}) px: A {:.1} %, B {:.1} %, p = {:.2e}{}",
                    p.from.to_uppercase(),
                    p.place.0,
                    p.place.1,
                    p.test.share_a * 100.0,
                    p.test.share_b * 100.0,
                    p.test.p_value,
                    if p.significant { " *" } else { "" }
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The tests of scroll bands or hotspots, for `--json`.
fn place_tests_json(tests: &PlaceTests, what: &str) -> Value {
    json!({
        "test": "share of page views: Fisher exact below an expected count of 5, else two-proportion z-test; two-sided",
        "correction": "Benjamini-Hochberg",
        "fdr": tests.fdr,
        "page_views_a": tests.page_views_a,
        "page_views_b": tests.page_views_b,
        "significant": tests.significant(),
        "places": tests.places.iter().map(|p| {
            let mut v = json!({
                "views_a": p.views_a,
                "views_b": p.views_b,
                "share_a": p.test.share_a,
                "share_b": p.test.share_b,
                "difference": p.test.share_a - p.test.share_b,
                "interval95": [p.test.interval95.0, p.test.interval95.1],
                "p_value": p.test.p_value,
                "exact": p.test.exact,
                "significant": p.significant,
            });
            if what == "band" {
                v["depth_px"] = json!(p.place.1);
            } else {
                v["from"] = json!(p.from);
                v["x"] = json!(p.place.0);
                v["y"] = json!(p.place.1);
            }
            v
        }).collect::<Vec<_>>(),
    })
}

/// The filters, for the caption.
fn caption(args: &HeatmapArgs) -> String {
    let mut parts = Vec::new();
    if let Some(d) = args.device {
        parts.push(d.class().as_str().to_owned());
    }
    if let Some(s) = &args.source {
        parts.push(format!("source {s}"));
    }
    if let Some(c) = args.converted {
        parts.push(format!(
            "converted {}",
            if c.is_yes() { "yes" } else { "no" }
        ));
    }
    if let Some(s) = &args.has_signal {
        parts.push(format!("with {s}"));
    }
    if let Some(e) = &args.has_event {
        parts.push(format!("did {e}"));
    }
    if let Some(f) = &args.from {
        parts.push(format!("from {f}"));
    }
    if let Some(t) = &args.to {
        parts.push(format!("to {t}"));
    }
    if args.count == CountArg::Unique {
        parts.push("unique sessions".to_owned());
    }
    parts.join(" · ")
}

/// A file-name-safe form of a URL path.
fn slug(url: &str) -> String {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let s: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() { "home".to_owned() } else { s }
}

fn result_json(result: &HeatmapResult, shot: &ScreenshotInfo, out: &Path) -> Value {
    json!({
        "page": result.query.page,
        "kind": result.query.kind.as_str(),
        "width": result.query.layout_width_px,
        "viewport_widths": result.query.viewport_widths.map(|(lo, hi)| [lo, hi]),
        "screenshot_url": shot.url,
        "variant": result.query.variant.as_ref().map(|v| json!({
            "from": v.source.as_text(),
            "variant": v.variant,
        })),
        "sessions": result.sessions,
        "page_views": result.page_views,
        "points": result.points,
        "points_outside_page": result.points_outside_page,
        "unit": result.unit.noun(),
        "hotspots": result.hotspots.iter().map(|h| json!({
            "x": (h.pos_in_page.x * 10.0).round() / 10.0,
            "y": (h.pos_in_page.y * 10.0).round() / 10.0,
            "count": (h.count * 1000.0).round() / 1000.0,
            "target": h.target,
        })).collect::<Vec<_>>(),
        "scroll_reach": result.scroll_reach.iter().map(|b| json!({
            "depth_px": b.depth_px,
            "share": (f64::from(b.share) * 10_000.0).round() / 10_000.0,
        })).collect::<Vec<_>>(),
        "average_fold_px": (f64::from(result.average_fold_px) * 10.0).round() / 10.0,
        "attention_secs": result.attention_secs.iter().map(|s| (f64::from(*s) * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        "page_height_px": result.page_height_px,
        "out": out.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("http://shop.test/"), "home");
        assert_eq!(
            slug("http://shop.test/product/trail-runner.html"),
            "product-trail-runner-html"
        );
        assert_eq!(slug("/product/*"), "product");
    }
}
