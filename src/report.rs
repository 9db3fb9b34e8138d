//! A report folder a CRO reviewer can share: heatmap PNGs of the chosen pages, the KPI table,
//! the funnel chart, the lift table, the frustration hotspots as CSV, and a summary in Markdown
//! and HTML that embeds them, with every number's filter and sample size.
//! `sessionlens report` writes one; so does the app's "Export report...". With `clips`, a short
//! replay clip of each top hotspot too.
//!
//! Orchestration: may use every core layer (`model` … `store`) and `clip`, never `cli` or `ui`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::analysis::conversions::{self as conv, Kpis, SegmentBy};
use crate::analysis::heatmap::{HeatmapKind, HeatmapQuery};
use crate::analysis::signals::SignalKind;
use crate::analysis::signals::hotspots::HotspotSort;
use crate::model::{DeviceClass, time};
use crate::render::heatmap::RenderSettings;
use crate::render::{chart, decode_png, encode_png};
use crate::store::{SessionFilter, Store, StoreError, url_matches};

/// What to report on.
#[derive(Clone, Debug, Default)]
pub struct ReportOptions {
    /// Pages (URLs or patterns such as `/product/*`) to draw heatmaps of.
    pub pages: Vec<String>,
    /// Sessions included.
    pub filter: SessionFilter,
    /// Funnel steps (event definition names); empty: the standard e-commerce steps defined.
    pub steps: Vec<String>,
    /// The folder written (created if missing).
    pub out_dir: PathBuf,
    /// Write a short GIF clip of a representative moment of each of this many top hotspots
    /// (`clips/`), linked from the summary; 0: none.
    pub clips: usize,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the library failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A heatmap could not be aggregated.
    #[error(transparent)]
    Heatmap(#[from] crate::store::HeatmapError),
    /// A file could not be written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        error: std::io::Error,
    },
    /// An image could not be encoded or a screenshot decoded.
    #[error("{0}")]
    Image(String),
}

/// What a report wrote.
#[derive(Clone, Debug, Default)]
pub struct ReportSummary {
    /// Files written, in the order the summary shows them.
    pub files: Vec<PathBuf>,
    /// Pages left out, with why.
    pub warnings: Vec<String>,
}

/// A piece of the summary, written both as Markdown and as HTML.
enum Block {
    Heading(u8, String),
    Para(String),
    Table(Vec<String>, Vec<Vec<String>>),
    Image(String, String),
}

/// The heatmap kinds a report draws for each page.
const REPORT_KINDS: [HeatmapKind; 5] = [
    HeatmapKind::Click,
    HeatmapKind::Scroll,
    HeatmapKind::Attention,
    HeatmapKind::Rage,
    HeatmapKind::Dead,
];

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// A file-name-safe form of a URL or pattern.
fn slug(text: &str) -> String {
    let body = text.split_once("://").map_or(text, |(_, rest)| rest);
    let mut out: String = body
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "page".to_owned()
    } else {
        out
    }
}

/// The filter in words, for every number's caption.
#[must_use]
pub fn describe_filter(filter: &SessionFilter) -> String {
    let mut parts = Vec::new();
    if let Some(d) = filter.device {
        parts.push(format!("device {d}"));
    }
    if let Some(s) = &filter.source {
        parts.push(format!("source {s}"));
    }
    if let Some(from) = filter.started_from_ms {
        parts.push(format!("from {}", &time::format_utc(from)[..10]));
    }
    if let Some(to) = filter.started_before_ms {
        parts.push(format!("before {}", &time::format_utc(to)[..10]));
    }
    if let Some(c) = filter.converted {
        parts.push(if c { "converted" } else { "not converted" }.to_owned());
    }
    if let Some(u) = &filter.url {
        parts.push(format!("visited {u}"));
    }
    if let Some(s) = &filter.has_signal {
        parts.push(format!("with {s}"));
    }
    if let Some(e) = &filter.has_event {
        parts.push(format!("did {e}"));
    }
    if parts.is_empty() {
        "all sessions".to_owned()
    } else {
        parts.join(", ")
    }
}

fn kpi_rows(label: &str, k: &Kpis) -> Vec<Vec<String>> {
    vec![
        vec![
            label.to_owned(),
            "Sessions".to_owned(),
            k.sessions.to_string(),
            "count".to_owned(),
        ],
        vec![
            label.to_owned(),
            "Conversion rate".to_owned(),
            pct(k.conversion_rate),
            format!("purchases / sessions = {} / {}", k.purchases, k.sessions),
        ],
        vec![
            label.to_owned(),
            "Add-to-cart rate".to_owned(),
            pct(k.add_to_cart_rate),
            format!(
                "add_to_cart sessions / sessions = {} / {}",
                k.add_to_cart, k.sessions
            ),
        ],
        vec![
            label.to_owned(),
            "Cart abandonment".to_owned(),
            pct(k.cart_abandonment_rate),
            format!(
                "(checkouts started − purchases) / checkouts started = ({} − {}) / {}",
                k.checkouts_started, k.checkouts_completed, k.checkouts_started
            ),
        ],
        vec![
            label.to_owned(),
            "Checkout completion".to_owned(),
            pct(k.checkout_completion_rate),
            format!(
                "purchases / checkouts started = {} / {}",
                k.checkouts_completed, k.checkouts_started
            ),
        ],
        vec![
            label.to_owned(),
            "Average order value".to_owned(),
            money(k.average_order_value),
            format!("revenue / purchases = {:.2} / {}", k.revenue, k.purchases),
        ],
        vec![
            label.to_owned(),
            "Revenue per visitor".to_owned(),
            money(k.revenue_per_visitor),
            format!("revenue / sessions = {:.2} / {}", k.revenue, k.sessions),
        ],
    ]
}

/// Writes the report; `on_progress` hears what is being done.
pub fn write_report(
    library: &mut dyn Store,
    options: &ReportOptions,
    on_progress: &mut dyn FnMut(&str),
) -> Result<ReportSummary, ReportError> {
    let dir = &options.out_dir;
    std::fs::create_dir_all(dir).map_err(|error| ReportError::Io {
        path: dir.display().to_string(),
        error,
    })?;
    let mut summary = ReportSummary::default();
    let write = |name: &str, bytes: &[u8], summary: &mut ReportSummary| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|error| ReportError::Io {
            path: path.display().to_string(),
            error,
        })?;
        summary.files.push(path);
        Ok::<(), ReportError>(())
    };
    let scope = describe_filter(&options.filter);
    let mut blocks = vec![
        Block::Heading(1, "SessionLens report".to_owned()),
        Block::Para(format!(
            "Sessions: {scope}. Written {} UTC. Every figure below gives its sample size.",
            &time::format_utc(crate::store::now_ms())[..16]
        )),
    ];

    on_progress("KPIs");
    library.ensure_standard_definitions()?;
    let goal = library.conversion_goal()?;
    blocks.push(Block::Para(format!(
        "Conversion goal: {} ({}); \"converted\", purchases and revenue below count it.",
        goal.name,
        goal.rule()
    )));
    let facts = library.conversion_facts(&options.filter, &[])?;
    let all = conv::kpis(&facts);
    let mut rows = kpi_rows("all", &all);
    for by in [SegmentBy::Device, SegmentBy::Source] {
        for (name, sub) in conv::segments(&facts, by) {
            rows.extend(kpi_rows(&name, &conv::kpis(&sub)));
        }
    }
    let kpi_json = serde_json::to_vec_pretty(&serde_json::json!({
        "filter": scope,
        "goal": goal.name,
        "all": all,
        "by_device": conv::segments(&facts, SegmentBy::Device).iter().map(|(n, f)| (n.clone(), conv::kpis(f))).collect::<std::collections::BTreeMap<_, _>>(),
        "by_source": conv::segments(&facts, SegmentBy::Source).iter().map(|(n, f)| (n.clone(), conv::kpis(f))).collect::<std::collections::BTreeMap<_, _>>(),
    }))
    .map_err(|e| ReportError::Image(e.to_string()))?;
    write("kpis.json", &kpi_json, &mut summary)?;
    blocks.push(Block::Heading(2, "KPIs".to_owned()));
    blocks.push(Block::Table(
        ["Segment", "KPI", "Value", "Formula and sample"]
            .map(str::to_owned)
            .to_vec(),
        rows,
    ));

    on_progress("funnel");
    let defined: Vec<String> = library
        .event_definitions()?
        .into_iter()
        .map(|d| d.name)
        .collect();
    let steps: Vec<String> = if options.steps.is_empty() {
        // The standard steps, ending at the conversion goal.
        conv::default_funnel(&goal.name)
            .into_iter()
            .filter(|s| defined.iter().any(|d| d == s))
            .collect()
    } else {
        options.steps.clone()
    };
    if steps.len() >= 2 {
        let funnel = conv::funnel(&facts, &steps, None);
        let image = chart::funnel_chart(
            &format!("Funnel · {scope} · {} sessions", facts.sessions.len()),
            &funnel.steps,
        );
        let png = encode_png(&image).map_err(|e| ReportError::Image(e.to_string()))?;
        write("funnel.png", &png, &mut summary)?;
        blocks.push(Block::Heading(2, "Funnel".to_owned()));
        blocks.push(Block::Image(
            "funnel.png".to_owned(),
            "Sessions reaching each funnel step".to_owned(),
        ));
        blocks.push(Block::Table(
            ["Step", "Sessions", "From previous", "From start", "Dropped"]
                .map(str::to_owned)
                .to_vec(),
            funnel
                .steps
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.sessions.to_string(),
                        pct(s.conversion_from_previous),
                        pct(s.conversion_from_start),
                        s.dropped.to_string(),
                    ]
                })
                .collect(),
        ));
    } else {
        summary
            .warnings
            .push("no funnel: fewer than two funnel steps are defined".to_owned());
    }

    on_progress("lift");
    let names: Vec<String> = defined
        .iter()
        .filter(|n| !goal.measures_conversion(n))
        .cloned()
        .collect();
    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
    let lift = conv::lift(&facts, &names, &kinds);
    blocks.push(Block::Heading(
        2,
        "Behaviour and purchase (correlation, not causation)".to_owned(),
    ));
    blocks.push(Block::Table(
        [
            "Behaviour",
            "Sessions with it",
            "Purchase rate with",
            "Without",
            "Ratio (95 % interval)",
        ]
        .map(str::to_owned)
        .to_vec(),
        lift.iter()
            .filter(|r| r.with > 0)
            .map(|r| {
                vec![
                    format!("{} ({})", r.name, r.what),
                    format!("{} ({})", r.with, pct(r.rate)),
                    pct(r.conversion_with),
                    format!("{} of {}", pct(r.conversion_without), r.without),
                    match (r.ratio, r.ratio_ci95) {
                        (Some(x), Some((lo, hi))) => format!("{x:.2} ({lo:.2}–{hi:.2})"),
                        (Some(x), None) => format!("{x:.2}"),
                        _ => "–".to_owned(),
                    },
                ]
            })
            .collect(),
    ));

    on_progress("hotspots");
    let hotspots = library.hotspots(&options.filter, &[], None, HotspotSort::SessionsAffected)?;
    let mut csv = String::from(crate::analysis::signals::hotspots::CSV_HEADER);
    csv.push('\n');
    for h in &hotspots {
        csv.push_str(&crate::analysis::signals::hotspots::csv_row(h));
        csv.push('\n');
    }
    write("hotspots.csv", csv.as_bytes(), &mut summary)?;
    blocks.push(Block::Heading(2, "Frustration hotspots".to_owned()));
    blocks.push(Block::Para(format!(
        "{} hotspots in [hotspots.csv](hotspots.csv); the ten affecting most sessions:",
        hotspots.len()
    )));
    blocks.push(Block::Table(
        [
            "Signal",
            "Page",
            "Where",
            "Sessions affected",
            "Conversion affected / others",
        ]
        .map(str::to_owned)
        .to_vec(),
        hotspots
            .iter()
            .take(10)
            .map(|h| {
                vec![
                    h.kind.as_str().to_owned(),
                    h.page_url.clone(),
                    h.place.to_string(),
                    format!("{} of {}", h.sessions_affected, h.page_sessions),
                    format!(
                        "{:.1} % / {:.1} %",
                        h.affected_conversion_rate * 100.0,
                        h.baseline_conversion_rate * 100.0
                    ),
                ]
            })
            .collect(),
    ));

    if options.clips > 0 {
        on_progress("hotspot clips");
        hotspot_clips(&*library, options, &hotspots, &mut blocks, &mut summary)?;
    }

    let shots = library.screenshots()?;
    for page in &options.pages {
        on_progress(&format!("heatmaps of {page}"));
        let mut candidates: Vec<_> = shots.iter().filter(|s| url_matches(page, &s.url)).collect();
        candidates.sort_by_key(|s| s.layout_width);
        let shot = match options.filter.device {
            Some(DeviceClass::Mobile | DeviceClass::Tablet) => candidates.first(),
            _ => candidates.last(),
        };
        let Some(shot) = shot else {
            summary.warnings.push(format!(
                "{page}: no screenshot in the library (attach one with `sessionlens screenshot add`, or run `sessionlens snapshot`)"
            ));
            continue;
        };
        let png = library.screenshot_png(&shot.hash)?.ok_or_else(|| {
            ReportError::Image(format!("the screenshot of {} is missing", shot.url))
        })?;
        let screenshot =
            decode_png(&png, &shot.url).map_err(|e| ReportError::Image(e.to_string()))?;
        blocks.push(Block::Heading(
            2,
            format!("Heatmaps of {page} ({} px layout)", shot.layout_width),
        ));
        for kind in REPORT_KINDS {
            let mut query = HeatmapQuery::new(page, kind, shot.layout_width);
            query.filter = options.filter.clone();
            if options.filter.device.is_some() {
                query.viewport_widths = None;
            }
            let css_per_px = shot.layout_width as f32 / screenshot.width.max(1) as f32;
            query.page_height_px = Some((screenshot.height as f32 * css_per_px).ceil() as u32);
            let result = library.heatmap_figures(&query)?;
            let mut settings = RenderSettings::for_kind(kind);
            settings.caption = scope.clone();
            let image = crate::render::heatmap::render_heatmap(&result, &screenshot, &settings);
            let bytes = encode_png(&image).map_err(|e| ReportError::Image(e.to_string()))?;
            let name = format!(
                "heatmap-{}-{}-{}.png",
                slug(page),
                shot.layout_width,
                kind.as_str()
            );
            write(&name, &bytes, &mut summary)?;
            blocks.push(Block::Para(format!(
                "{} map: {} sessions, {} page views, {} points.",
                kind.as_str(),
                result.sessions,
                result.page_views,
                result.points
            )));
            blocks.push(Block::Image(
                name,
                format!("{} map of {page}", kind.as_str()),
            ));
        }
    }
    if !summary.warnings.is_empty() {
        blocks.push(Block::Heading(2, "Left out".to_owned()));
        for w in &summary.warnings {
            blocks.push(Block::Para(w.clone()));
        }
    }
    on_progress("summary");
    write("summary.md", markdown(&blocks).as_bytes(), &mut summary)?;
    write("summary.html", html(&blocks).as_bytes(), &mut summary)?;
    Ok(summary)
}

/// Clip size and rate of a report's hotspot clips (small files that still show the page).
const CLIP_WIDTH_PX: u32 = 720;
/// Frames a second of a hotspot clip.
const CLIP_FPS: f32 = 10.0;
/// A hotspot clip starts this long before its signal, ms.
const CLIP_BEFORE_MS: i64 = 3_000;
/// And ends this long after it, ms.
const CLIP_AFTER_MS: i64 = 2_000;

/// A GIF per top hotspot: the session and moment of its most severe signal, from a few seconds
/// before to a few after. A hotspot without a drawable moment is named in the warnings.
fn hotspot_clips(
    library: &dyn Store,
    options: &ReportOptions,
    hotspots: &[crate::analysis::signals::hotspots::Hotspot],
    blocks: &mut Vec<Block>,
    summary: &mut ReportSummary,
) -> Result<(), ReportError> {
    let dir = options.out_dir.join("clips");
    std::fs::create_dir_all(&dir).map_err(|error| ReportError::Io {
        path: dir.display().to_string(),
        error,
    })?;
    blocks.push(Block::Heading(2, "Clips of the top hotspots".to_owned()));
    let mut written = 0;
    for (i, hotspot) in hotspots.iter().take(options.clips).enumerate() {
        let signals = library.signals(&crate::store::SignalQuery {
            filter: options.filter.clone(),
            kinds: vec![hotspot.kind],
            page: Some(hotspot.page_url.clone()),
            ..crate::store::SignalQuery::default()
        })?;
        let Some(signal) = crate::clip::representative_signal(&signals, hotspot) else {
            summary.warnings.push(format!(
                "hotspot {} ({} on {}): no signal to clip",
                i + 1,
                hotspot.kind.as_str(),
                hotspot.page_url
            ));
            continue;
        };
        let session = library.load_session(&signal.session_id)?;
        let start = session.started_at_ms;
        let from_ms = (signal.start_ms - start - CLIP_BEFORE_MS).max(0);
        let to_ms = (signal.end_ms - start + CLIP_AFTER_MS)
            .min(session.duration_ms)
            .max(from_ms + 1_000);
        let clip_options = crate::clip::ClipOptions {
            from_ms,
            to_ms,
            width_px: Some(CLIP_WIDTH_PX),
            fps: CLIP_FPS,
            caption: Some(format!("{} on {}", hotspot.kind.label(), hotspot.place)),
            ..crate::clip::ClipOptions::default()
        };
        let name = format!("hotspot-{:02}-{}.gif", i + 1, hotspot.kind.as_str());
        let path = dir.join(&name);
        let result = crate::clip::ClipSource::from_session(library, session, from_ms, to_ms)
            .and_then(|source| {
                crate::clip::write_clip(&source, &clip_options, &path, &mut |_, _| true)
            });
        match result {
            Ok(_) => {
                written += 1;
                summary.files.push(path);
                let rel = format!("clips/{name}");
                blocks.push(Block::Para(format!(
                    "[{}. {} on {} ({}): session {} at {}]({rel})",
                    i + 1,
                    hotspot.kind.as_str(),
                    hotspot.page_url,
                    hotspot.place,
                    signal.session_id,
                    crate::clip::format_time(signal.start_ms - start)
                )));
                blocks.push(Block::Image(
                    rel,
                    format!("{} on {}", hotspot.kind.as_str(), hotspot.page_url),
                ));
            }
            Err(e) => summary.warnings.push(format!(
                "hotspot {} ({} on {}): clip not written: {e}",
                i + 1,
                hotspot.kind.as_str(),
                hotspot.page_url
            )),
        }
    }
    if written == 0 {
        blocks.push(Block::Para("No hotspot clip could be written.".to_owned()));
    }
    Ok(())
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "{} {text}\n", "#".repeat(usize::from(*level)));
            }
            Block::Para(text) => {
                let _ = writeln!(out, "{text}\n");
            }
            Block::Table(headers, rows) => {
                let _ = writeln!(
                    out,
                    "| {} |",
                    headers
                        .iter()
                        .map(|h| md_cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(out, "|{}|", vec!["---"; headers.len()].join("|"));
                for row in rows {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        row.iter()
                            .map(|c| md_cell(c))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                }
                out.push('\n');
            }
            Block::Image(path, alt) => {
                let _ = writeln!(out, "![{alt}]({path})\n");
            }
        }
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown links `[text](target)` in paragraphs become HTML links.
fn html_para(text: &str) -> String {
    let escaped = esc(text);
    let mut out = String::new();
    let mut rest = escaped.as_str();
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let _ = write!(
            out,
            "<a href=\"{}\">{}</a>",
            &rest[mid + 2..close],
            &rest[open + 1..mid]
        );
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn html(blocks: &[Block]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SessionLens report</title>\n<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%;border:1px solid #ddd}</style></head><body>\n",
    );
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", esc(text));
            }
            Block::Para(text) => {
                let _ = writeln!(out, "<p>{}</p>", html_para(text));
            }
            Block::Table(headers, rows) => {
                out.push_str("<table><tr>");
                for h in headers {
                    let _ = write!(out, "<th>{}</th>", esc(h));
                }
                out.push_str("</tr>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for c in row {
                        let _ = write!(out, "<td>{}</td>", esc(c));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Image(path, alt) => {
                let _ = writeln!(
                    out,
                    "<p><img src=\"{}\" alt=\"{}\"></p>",
                    esc(path),
                    esc(alt)
                );
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

/// The folder name `report-YYYY-MM-DD` under `parent` (for the app's default).
#[must_use]
pub fn default_dir(parent: &Path) -> PathBuf {
    parent.join(format!(
        "report-{}",
        &time::format_utc(crate::store::now_ms())[..10]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_markdown_and_html() {
        assert_eq!(slug("http://shop.test/product/*"), "shop-test-product");
        assert_eq!(slug("/"), "page");
        let blocks = [
            Block::Heading(2, "KPIs".to_owned()),
            Block::Para("See [hotspots.csv](hotspots.csv) & more".to_owned()),
            Block::Table(vec!["a|b".to_owned()], vec![vec!["<x>".to_owned()]]),
            Block::Image("f.png".to_owned(), "alt".to_owned()),
        ];
        let md = markdown(&blocks);
        assert!(md.contains("## KPIs") && md.contains("| a\\|b |") && md.contains("![alt](f.png)"));
        let h = html(&blocks);
        assert!(
            h.contains("<a href=\"hotspots.csv\">hotspots.csv</a> &amp; more"),
            "{h}"
        );
        assert!(h.contains("<td>&lt;x&gt;</td>") && h.contains("<img src=\"f.png\""));
    }
}
