//! `sessionlens journeys`: the flows of page views between steps, as text, JSON or CSV.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use super::FilterArgs;
use super::commands::session_filter;
use crate::analysis::journeys::{
    Anchor, GroupBy, JourneyComparison, JourneyQuery, Journeys, MAX_STEPS, StepMoment, Templates,
    percent,
};
use crate::model::UrlPattern;
use crate::render::encode_png;
use crate::render::journeys::{TITLE_PX, render_comparison, render_journeys};
use crate::store::open_store;

/// `journeys --group-by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupByArg {
    /// The URL path (no query string).
    Path,
    /// The URL template: ids and many-valued segments folded to `*`, and the `--template` rules.
    Template,
}

/// `journeys`.
#[derive(Debug, clap::Args)]
pub struct JourneysArgs {
    /// Start each journey at the session's first page view matching this (exact URL or
    /// pattern like `/cart`); sessions without one are left out.
    #[arg(long, value_name = "URL_OR_PATTERN", conflicts_with_all = ["to_page", "between"])]
    pub from_page: Option<String>,
    /// End each journey at the first page view matching this; the steps before it lead there.
    #[arg(long, value_name = "URL_OR_PATTERN", conflicts_with = "between")]
    pub to_page: Option<String>,
    /// From the first page view matching the first pattern to the first later one matching the
    /// second.
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"])]
    pub between: Option<Vec<String>>,
    /// Steps (columns), 1 to 20.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=20))]
    pub steps: u8,
    /// How pages become nodes.
    #[arg(long, value_enum, default_value_t = GroupByArg::Template)]
    pub group_by: GroupByArg,
    /// A URL template of your own (repeatable), tried before the automatic folding: pages
    /// matching it are one node named by it, e.g. `--template '/collections/*'`.
    #[arg(long = "template", value_name = "PATTERN")]
    pub templates: Vec<String>,
    /// Pages reaching fewer than this percentage of the sessions fold into "Other" at each step.
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0)]
    pub min_share: f64,
    /// Two segments side by side on one node layout: `converted`, `device:mobile,desktop`,
    /// `source:A[,B]`, `before:YYYY-MM-DD`, `signal:KIND` or `event:NAME` (as `heatmap
    /// --compare`); the other filters apply to both.
    #[arg(long, value_name = "PRESET")]
    pub compare: Option<String>,
    /// Session filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One JSON object.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV: a row per node and per flow.
    #[arg(long)]
    pub csv: bool,
    /// Also draw the map as a Sankey diagram into this PNG (the app's drawing).
    #[arg(long, value_name = "FILE.png")]
    pub png: Option<std::path::PathBuf>,
    /// Width of the PNG, px.
    #[arg(long, value_name = "PX", default_value_t = 1400, value_parser = clap::value_parser!(u32).range(400..=8000))]
    pub png_width: u32,
}

fn moments(examples: &[StepMoment]) -> serde_json::Value {
    examples
        .iter()
        .map(|m| json!({"session_id": m.session_id, "entered_at_ms": m.entered_at_ms}))
        .collect()
}

/// The query the arguments ask for.
pub fn journey_query(args: &JourneysArgs) -> anyhow::Result<JourneyQuery> {
    if !(0.0..=100.0).contains(&args.min_share) || args.min_share.is_nan() {
        anyhow::bail!(
            "--min-share {}: expected a percentage from 0 to 100",
            args.min_share
        );
    }
    let anchor = match (&args.from_page, &args.to_page, &args.between) {
        (Some(p), ..) => Anchor::FromPage(UrlPattern::new(p)),
        (_, Some(p), _) => Anchor::ToPage(UrlPattern::new(p)),
        (_, _, Some(pair)) => match pair.as_slice() {
            [a, b] => Anchor::Between(UrlPattern::new(a), UrlPattern::new(b)),
            _ => anyhow::bail!("--between takes two pages: FROM TO"),
        },
        _ => Anchor::Start,
    };
    Ok(JourneyQuery {
        anchor,
        steps: usize::from(args.steps).min(MAX_STEPS),
        group_by: match args.group_by {
            GroupByArg::Path => GroupBy::Path,
            GroupByArg::Template => GroupBy::Template,
        },
        templates: Templates {
            rules: args.templates.iter().map(|t| UrlPattern::new(t)).collect(),
            ..Templates::default()
        },
        min_share: args.min_share / 100.0,
        ..JourneyQuery::default()
    })
}

fn anchor_text(anchor: &Anchor) -> String {
    match anchor {
        Anchor::Start => "from each session's first page".to_owned(),
        Anchor::FromPage(p) => format!("from the first visit of {}", p.as_str()),
        Anchor::ToPage(p) => format!("leading to the first visit of {}", p.as_str()),
        Anchor::Between(a, b) => format!("from {} to {}", a.as_str(), b.as_str()),
    }
}

/// Height of the PNG for `map`, px: room for its tallest column.
fn png_height(maps: &[&Journeys]) -> u32 {
    let tallest = maps
        .iter()
        .flat_map(|m| m.steps.iter().map(Vec::len))
        .max()
        .unwrap_or(1) as u32;
    TITLE_PX + (tallest * 56).clamp(360, 4000)
}

fn write_png(path: &Path, image: &crate::render::RgbaImage) -> anyhow::Result<()> {
    let bytes = encode_png(image).context("encoding the PNG")?;
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Runs `journeys`.
pub fn run(library_path: &Path, args: &JourneysArgs) -> anyhow::Result<ExitCode> {
    let query = journey_query(args)?;
    let filter = session_filter(&args.filter)?;
    let preset = super::compare_preset(args.compare.as_deref())?;
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let goal = library.conversion_goal()?.name;
    if let Some(preset) = preset {
        let ((label_a, filter_a), (label_b, filter_b)) = preset.split(&filter);
        let compare =
            library.compare_journeys((&label_a, &filter_a), (&label_b, &filter_b), &query)?;
        if let Some(png) = &args.png {
            let title = format!("{} (goal {goal})", anchor_text(&query.anchor));
            let height = png_height(&[&compare.a, &compare.b]);
            write_png(
                png,
                &render_comparison(&compare, &title, args.png_width, height),
            )?;
        }
        if args.json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "goal": goal,
                    "anchor": anchor_text(&query.anchor),
                    "compare": {
                        "a": segment_json(&compare.label_a, &compare.a),
                        "b": segment_json(&compare.label_b, &compare.b),
                    },
                }))?
            );
        } else if args.csv {
            print_csv(&compare.a, Some(&compare.label_a), true)?;
            print_csv(&compare.b, Some(&compare.label_b), false)?;
        } else {
            print_comparison(&compare, &query, &goal)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let map = library.journeys(&filter, &query)?;
    if let Some(png) = &args.png {
        let title = format!(
            "Journeys of {} sessions {} (goal {goal})",
            map.sessions,
            anchor_text(&query.anchor)
        );
        write_png(
            png,
            &render_journeys(&map, &title, args.png_width, png_height(&[&map])),
        )?;
    }
    if args.json {
        print_json(&map, &query, &goal)?;
    } else if args.csv {
        print_csv(&map, None, true)?;
    } else {
        print_text(&map, &query, &goal)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The map's nodes, flows, whole journeys and templates as JSON fields.
fn map_json(map: &Journeys) -> serde_json::Map<String, serde_json::Value> {
    let steps: Vec<serde_json::Value> = map
        .steps
        .iter()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| {
                    json!({
                        "label": n.label,
                        "sessions": n.sessions,
                        "exits": n.exits,
                        "converted": n.converted,
                        "signals": n.signals,
                        "folded": n.folded,
                        "examples": moments(&n.examples),
                    })
                })
                .collect()
        })
        .collect();
    let flows: Vec<serde_json::Value> = map
        .flows
        .iter()
        .map(|f| {
            json!({
                "step": f.step,
                "from": f.from,
                "to": f.to,
                "sessions": f.sessions,
                "converted": f.converted,
                "signals": f.signals,
                "examples": moments(&f.examples),
            })
        })
        .collect();
    let templates: Vec<serde_json::Value> = map
        .templates
        .iter()
        .map(|(label, paths)| json!({"template": label, "url_paths": paths}))
        .collect();
    let paths: Vec<serde_json::Value> = map
        .paths
        .iter()
        .map(|p| {
            json!({
                "path": map.path_text(p),
                "nodes": p.nodes.iter().map(|(step, index)| json!([step, index])).collect::<Vec<_>>(),
                "sessions": p.sessions,
                "converted": p.converted,
                "exits": p.exits,
                "signals": p.signals,
                "examples": moments(&p.examples),
            })
        })
        .collect();
    let mut out = serde_json::Map::new();
    for (key, value) in [
        ("ends_at_anchor", json!(map.ends_at_anchor)),
        ("sessions", json!(map.sessions)),
        ("left_out", json!(map.left_out)),
        ("continues", json!(map.continues)),
        ("steps", json!(steps)),
        ("flows", json!(flows)),
        ("paths", json!(paths)),
        ("templates", json!(templates)),
    ] {
        out.insert(key.to_owned(), value);
    }
    out
}

/// One segment of a comparison: its label and its map.
fn segment_json(label: &str, map: &Journeys) -> serde_json::Value {
    let mut fields = map_json(map);
    fields.insert("label".to_owned(), json!(label));
    serde_json::Value::Object(fields)
}

fn print_json(map: &Journeys, query: &JourneyQuery, goal: &str) -> anyhow::Result<()> {
    let mut fields = serde_json::Map::new();
    fields.insert("goal".to_owned(), json!(goal));
    fields.insert("anchor".to_owned(), json!(anchor_text(&query.anchor)));
    fields.extend(map_json(map));
    outln!(
        "{}",
        serde_json::to_string_pretty(&serde_json::Value::Object(fields))?
    );
    Ok(())
}

use crate::format::csv::field as csv_field;

/// CSV rows of `map`; with `segment`, each row starts with the segment's label (a comparison).
fn print_csv(map: &Journeys, segment: Option<&str>, header: bool) -> anyhow::Result<()> {
    let lead = segment.map_or(String::new(), |s| format!("{},", csv_field(s)));
    if header {
        outln!(
            "{}row,step,from,to,sessions,converted,exits",
            if segment.is_some() { "segment," } else { "" }
        );
    }
    for (s, nodes) in map.steps.iter().enumerate() {
        for n in nodes {
            outln!(
                "{lead}node,{},{},,{},{},{}",
                s + 1,
                csv_field(&n.label),
                n.sessions,
                n.converted,
                n.exits
            );
        }
    }
    for f in &map.flows {
        let label = |step: usize, i: usize| {
            map.steps
                .get(step)
                .and_then(|n| n.get(i))
                .map_or(String::new(), |n| csv_field(&n.label))
        };
        outln!(
            "{lead}flow,{},{},{},{},{},",
            f.step + 1,
            label(f.step, f.from),
            label(f.step + 1, f.to),
            f.sessions,
            f.converted
        );
    }
    Ok(())
}

fn print_text(map: &Journeys, query: &JourneyQuery, goal: &str) -> anyhow::Result<()> {
    outln!(
        "Journeys of {} sessions {}, {} steps (conversion: goal {goal}); {} sessions left out, {} go on past the last step",
        map.sessions,
        anchor_text(&query.anchor),
        map.steps.len(),
        map.left_out,
        map.continues
    );
    for (s, nodes) in map.steps.iter().enumerate() {
        if nodes.is_empty() {
            continue;
        }
        outln!("\nStep {}", s + 1);
        for n in nodes {
            let signals: Vec<String> = n
                .signals
                .iter()
                .map(|(kind, k)| format!("{kind} {}", percent(*k, n.sessions)))
                .collect();
            outln!(
                "  {:<40} {:>7} sessions  exit {:>7}  converted {:>7}{}{}",
                n.label,
                n.sessions,
                percent(n.exits, n.sessions),
                percent(n.converted, n.sessions),
                if signals.is_empty() { "" } else { "  " },
                signals.join(", ")
            );
            if !n.folded.is_empty() {
                outln!("      gathers {} pages", n.folded.len());
            }
        }
    }
    if !map.flows.is_empty() {
        outln!("\nLargest flows");
        for f in map.flows.iter().take(20) {
            let label = |step: usize, i: usize| {
                map.steps
                    .get(step)
                    .and_then(|n| n.get(i))
                    .map_or("?", |n| n.label.as_str())
            };
            outln!(
                "  step {}→{}  {} → {}  {} sessions (converted {})",
                f.step + 1,
                f.step + 2,
                label(f.step, f.from),
                label(f.step + 1, f.to),
                f.sessions,
                percent(f.converted, f.sessions)
            );
        }
    }
    print_paths(map)?;
    if !map.templates.is_empty() {
        outln!("\nTemplates (edit with --template PATTERN, or --group-by path)");
        for (label, paths) in &map.templates {
            outln!("  {label:<40} gathers {paths} URL paths");
        }
    }
    Ok(())
}

/// The most travelled whole journeys, with the signals seen anywhere along them.
fn print_paths(map: &Journeys) -> anyhow::Result<()> {
    if map.paths.is_empty() {
        return Ok(());
    }
    outln!("\nMost travelled journeys (signals: sessions with it on any of the steps)");
    for p in map.paths.iter().take(10) {
        let signals: Vec<String> = p
            .signals
            .iter()
            .map(|(kind, k)| format!("{kind} {}", percent(*k, p.sessions)))
            .collect();
        outln!(
            "  {}  {} sessions (converted {}, exit at the end {}){}{}",
            map.path_text(p),
            p.sessions,
            percent(p.converted, p.sessions),
            percent(p.exits, p.sessions),
            if signals.is_empty() { "" } else { "; " },
            signals.join(", ")
        );
    }
    Ok(())
}

/// Two segments on one node layout: per step, each node's figures in A and in B.
fn print_comparison(
    compare: &JourneyComparison,
    query: &JourneyQuery,
    goal: &str,
) -> anyhow::Result<()> {
    let (a, b) = (&compare.a, &compare.b);
    outln!(
        "Journeys {} (conversion: goal {goal}), A: {} ({} sessions) vs B: {} ({} sessions)",
        anchor_text(&query.anchor),
        compare.label_a,
        a.sessions,
        compare.label_b,
        b.sessions
    );
    for (s, (na, nb)) in a.steps.iter().zip(&b.steps).enumerate() {
        if na.is_empty() {
            continue;
        }
        outln!(
            "\nStep {}  {:<34} {:>18} {:>18}   {:>15} {:>15}",
            s + 1,
            "",
            "share of A",
            "share of B",
            "exit A",
            "exit B"
        );
        for (x, y) in na.iter().zip(nb) {
            outln!(
                "  {:<40} {:>8} {:>9} {:>8} {:>9}   {:>15} {:>15}",
                x.label,
                x.sessions,
                percent(x.sessions, a.sessions),
                y.sessions,
                percent(y.sessions, b.sessions),
                percent(x.exits, x.sessions),
                percent(y.exits, y.sessions)
            );
        }
    }
    for (label, map) in [(&compare.label_a, a), (&compare.label_b, b)] {
        outln!("\n{label}:");
        print_paths(map)?;
    }
    Ok(())
}
