//! `sessionlens variants`: the variants of one page side by side (page views, sessions,
//! conversion tested against the control, clicks, rage and dead clicks, scroll depth, time),
//! each variant's screenshot rendered from one of its page views; and `--variant-from` /
//! `--variant` for the commands that narrow a page's page views to one variant
//! (docs/VARIANTS.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::FilterArgs;
use super::commands::session_filter;
use crate::analysis::heatmap::width_range;
use crate::analysis::variants::VariantTable;
use crate::model::variant::{self, NO_VARIANT};
use crate::model::{VariantFilter, VariantSource};
use crate::render::chromium::{Access, Chromium};
use crate::snapshot::render_variant_screenshot;
use crate::store::variants::{VariantQuery, variants};
use crate::store::{ScreenshotInfo, open_store};

/// `--variant-from` and `--variant` of the commands that draw or list one page.
#[derive(Debug, Default, clap::Args)]
pub struct VariantArgs {
    /// Where page variants come from: `dom` (the structure of the recorded page), `event:NAME`
    /// (the variant an experiment event of that name or experiment sent) or `param:NAME` (a URL
    /// parameter). See `sessionlens variants`.
    #[arg(long, value_name = "SOURCE", requires = "variant")]
    pub variant_from: Option<String>,
    /// Only page views of this variant (as `sessionlens variants` lists them; `(none)`: page
    /// views without one).
    #[arg(long, value_name = "NAME", requires = "variant_from")]
    pub variant: Option<String>,
}

impl VariantArgs {
    /// The page-view filter asked for.
    pub fn filter(&self) -> anyhow::Result<Option<VariantFilter>> {
        match (&self.variant_from, &self.variant) {
            (Some(source), Some(name)) => Ok(Some(VariantFilter {
                source: VariantSource::parse(source)
                    .map_err(|e| anyhow::anyhow!("--variant-from {e}"))?,
                variant: name.trim().to_owned(),
            })),
            (None, None) => Ok(None),
            _ => bail!("--variant-from and --variant go together"),
        }
    }
}

/// The screenshot kept for `filter`'s variant of `page` (`sessionlens variants
/// --screenshots`), the one closest to `width` when given.
pub fn variant_screenshot<'a>(
    screenshots: &'a [ScreenshotInfo],
    page: &str,
    filter: &VariantFilter,
    width: Option<u32>,
) -> Option<&'a ScreenshotInfo> {
    let key = variant::screenshot_key(page, filter);
    screenshots
        .iter()
        .filter(|s| s.url == key)
        .min_by_key(|s| width.map_or(u32::MAX - s.layout_width, |w| s.layout_width.abs_diff(w)))
}

/// `variants`.
#[derive(Debug, clap::Args)]
pub struct VariantsArgs {
    /// Session filters; `--page` (required) is the page: a URL (the fragment is ignored) or a
    /// pattern like `/product/*`.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Where variants come from: `dom` (the structure of the recorded page: blind to text,
    /// ids and repeats), `event:NAME` (experiment events: a custom event whose payload has a
    /// `variant`) or `param:NAME` (a URL parameter).
    #[arg(long, value_name = "SOURCE", default_value = "dom")]
    pub variant_from: String,
    /// Only page views whose viewport width is within ±`--width-tolerance` % of this, CSS px.
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    /// Viewport width tolerance around `--width`, percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub width_tolerance: f32,
    /// Render each variant's screenshot with Chromium from its first page view and keep it in
    /// the library, where `heatmap` and `elements` with `--variant` draw on it.
    #[arg(long)]
    pub screenshots: bool,
    /// With `--screenshots`, also write them into this folder as `<variant>.png`.
    #[arg(long, value_name = "DIR", requires = "screenshots")]
    pub screenshots_dir: Option<PathBuf>,
    /// With `--screenshots`: a folder of the site's files (images, stylesheets), served to
    /// Chromium from 127.0.0.1 for the recorded pages' host, as `snapshot --assets` does.
    #[arg(long, value_name = "DIR", requires = "screenshots")]
    pub assets: Option<PathBuf>,
    /// One JSON object.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Comma-separated values with a header line.
    #[arg(long)]
    pub csv: bool,
}

/// The CSV header of `variants --csv`.
pub const CSV_HEADER: &str = "variant,page_views,share_of_views,sessions,converted_sessions,conversion_rate,difference_vs_control,ci95_low,ci95_high,p_value,significant,clicks_per_view,rage_per_100_views,dead_per_100_views,median_depth_percent,median_time_ms";

/// Runs `variants`.
pub fn run(library_path: &Path, args: &VariantsArgs) -> anyhow::Result<ExitCode> {
    let Some(page) = args.filter.page.clone() else {
        bail!("--page is required: the page URL or pattern whose variants to list");
    };
    if !(0.0..=100.0).contains(&args.width_tolerance) {
        bail!(
            "--width-tolerance {}: expected a percentage from 0 to 100",
            args.width_tolerance
        );
    }
    let source = VariantSource::parse(&args.variant_from)
        .map_err(|e| anyhow::anyhow!("--variant-from {e}"))?;
    let query = VariantQuery {
        page: page.clone(),
        filter: session_filter(&args.filter)?,
        viewport_widths: args
            .width
            .map(|w| width_range(w, args.width_tolerance / 100.0)),
        source,
    };
    let mut library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let table = variants(&*library, &query).context("reading the page's variants")?;
    if table.rows.is_empty() {
        bail!("no page view of {page} matches (check --page, --width and the filters)");
    }
    let mut shots = Vec::new();
    let mut failed = 0;
    if let Some(dir) = &args.assets
        && !dir.is_dir()
    {
        bail!("--assets {}: not a folder", dir.display());
    }
    let access = Access {
        assets_dir: args.assets.clone(),
        ..Access::default()
    };
    if args.screenshots {
        if let Some(dir) = &args.screenshots_dir {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let chromium = Chromium::find().context("rendering variant screenshots")?;
        for row in table.rows.iter().filter(|r| r.variant != NO_VARIANT) {
            let filter = VariantFilter {
                source: query.source.clone(),
                variant: row.variant.clone(),
            };
            match render_variant_screenshot(
                &mut *library,
                &chromium,
                &access,
                &page,
                &filter,
                row.example,
            ) {
                Ok((png, width)) => {
                    let file = match &args.screenshots_dir {
                        Some(dir) => {
                            let file = dir.join(format!("{}.png", file_stem(&row.variant)));
                            std::fs::write(&file, &png)
                                .with_context(|| format!("writing {}", file.display()))?;
                            Some(file)
                        }
                        None => None,
                    };
                    shots.push((row.variant.clone(), width, file));
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("warning: variant {}: {e:#}", row.variant);
                }
            }
        }
    }
    print(&query, &table, &shots, args)?;
    Ok(if failed > 0 {
        ExitCode::from(super::exit_code::SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file name from a variant name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_stem(variant: &str) -> String {
    variant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn print(
    query: &VariantQuery,
    table: &VariantTable,
    shots: &[(String, u32, Option<PathBuf>)],
    args: &VariantsArgs,
) -> anyhow::Result<()> {
    let shot_of = |variant: &str| shots.iter().find(|(v, _, _)| v == variant);
    if args.json {
        let rows: Vec<serde_json::Value> = table
            .rows
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if let (Some(map), Some((_, width, file))) =
                    (v.as_object_mut(), shot_of(&r.variant))
                {
                    map.insert(
                        "screenshot".to_owned(),
                        json!({
                            "key": variant::screenshot_key(&query.page, &VariantFilter {
                                source: query.source.clone(),
                                variant: r.variant.clone(),
                            }),
                            "layout_width": width,
                            "file": file.as_ref().map(|f| f.display().to_string()),
                        }),
                    );
                }
                v
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "page": query.page,
                "variant_from": query.source.as_text(),
                "viewport_widths": query.viewport_widths.map(|(lo, hi)| [lo, hi]),
                "control": table.control,
                "test": "conversion of the variant's sessions against the control's: Fisher exact below an expected count of 5, else two-proportion z-test; two-sided",
                "correction": "Benjamini-Hochberg",
                "fdr": table.fdr,
                "variants": rows,
            }))?
        );
        return Ok(());
    }
    if args.csv {
        outln!("{CSV_HEADER}");
        for r in &table.rows {
            let t = r.versus_control.as_ref();
            outln!(
                "{},{},{:.6},{},{},{:.6},{},{},{},{},{},{:.4},{:.4},{:.4},{},{}",
                crate::format::csv::field(&r.variant),
                r.page_views,
                r.share_of_views,
                r.sessions,
                r.converted_sessions,
                r.conversion_rate,
                t.map_or_else(String::new, |t| format!("{:.6}", t.difference)),
                t.map_or_else(String::new, |t| format!("{:.6}", t.interval95.0)),
                t.map_or_else(String::new, |t| format!("{:.6}", t.interval95.1)),
                t.map_or_else(String::new, |t| format!("{:.3e}", t.p_value)),
                t.map_or_else(String::new, |t| t.significant.to_string()),
                r.clicks_per_view,
                r.rage_per_100_views,
                r.dead_per_100_views,
                r.median_depth_percent
                    .map_or_else(String::new, |d| format!("{d:.1}")),
                r.median_time_ms
            );
        }
        return Ok(());
    }
    let views: u64 = table.rows.iter().map(|r| r.page_views).sum();
    outln!(
        "variants of {} by {}: {} page views{}; control {}",
        query.page,
        query.source.as_text(),
        views,
        query
            .viewport_widths
            .map_or_else(String::new, |(lo, hi)| format!(" (viewport {lo}–{hi} px)")),
        table.control.as_deref().unwrap_or("none")
    );
    outln!(
        "{:<14} {:>6} {:>6} {:>8} {:>7} {:>17} {:>9} {:>7} {:>6} {:>6} {:>6} {:>7}",
        "variant",
        "views",
        "share",
        "sessions",
        "conv",
        "vs control [95 %]",
        "p",
        "clicks",
        "rage",
        "dead",
        "depth",
        "time"
    );
    for r in &table.rows {
        let versus = r.versus_control.as_ref().map_or_else(
            || "—".to_owned(),
            |t| {
                format!(
                    "{:+.1} [{:+.1},{:+.1}]{}",
                    t.difference * 100.0,
                    t.interval95.0 * 100.0,
                    t.interval95.1 * 100.0,
                    if t.significant { "*" } else { "" }
                )
            },
        );
        outln!(
            "{:<14} {:>6} {:>5.1}% {:>8} {:>6.1}% {:>17} {:>9} {:>7.2} {:>6.1} {:>6.1} {:>6} {:>6.1}s",
            r.variant,
            r.page_views,
            r.share_of_views * 100.0,
            r.sessions,
            r.conversion_rate * 100.0,
            versus,
            r.versus_control
                .as_ref()
                .map_or_else(|| "—".to_owned(), |t| format!("{:.2e}", t.p_value)),
            r.clicks_per_view,
            r.rage_per_100_views,
            r.dead_per_100_views,
            r.median_depth_percent
                .map_or_else(|| "—".to_owned(), |d| format!("{d:.0}%")),
            r.median_time_ms as f64 / 1000.0
        );
    }
    outln!(
        "conv: sessions with a page view of the variant that converted; vs control: difference in points, * significant (Benjamini-Hochberg, FDR {}); rage, dead: per 100 page views; depth, time: medians",
        table.fdr
    );
    for (variant, width, file) in shots {
        outln!(
            "screenshot of {variant} at {width} px kept in the library{}",
            file.as_ref()
                .map_or_else(String::new, |f| format!(", written to {}", f.display()))
        );
    }
    Ok(())
}
