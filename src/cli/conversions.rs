//! `define-event`, `events-defs`, `kpis`, `funnel`, `lift`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::FilterArgs;
use super::commands::session_filter;
use crate::analysis::conversions::{
    self as conv, DefinitionKind, EventDefinition, Facts, Kpis, SegmentBy, Stage,
};
use crate::analysis::signals::SignalKind;
use crate::store::{GoalStatus, Store, WorkStep, open_store};

/// `define-event`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("matcher").required(true).multiple(false)))]
pub struct DefineArgs {
    /// The event's name, e.g. `add_to_cart`.
    pub name: String,
    /// Clicks on elements matching this simple CSS selector (`#id`, `tag.class`, or a recorded
    /// selector path).
    #[arg(long, group = "matcher")]
    pub selector: Option<String>,
    /// Clicks on elements whose visible text contains this (case-insensitive).
    #[arg(long, group = "matcher")]
    pub text: Option<String>,
    /// Page views whose URL matches this (exact, or a glob like `/checkout*`).
    #[arg(long, group = "matcher")]
    pub url: Option<String>,
    /// Custom events with this tag or name.
    #[arg(long, group = "matcher")]
    pub custom: Option<String>,
    /// Revenue from this field of the custom event (`value` is the one recorded).
    #[arg(long, value_name = "FIELD", requires = "custom", value_enum)]
    pub value_from: Option<ValueFieldArg>,
    /// Funnel stage.
    #[arg(long, value_enum)]
    pub stage: Option<StageArg>,
    /// Weight 1–10 for the intent score.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub weight: Option<u8>,
}

/// `goal`.
#[derive(Debug, clap::Args)]
pub struct GoalArgs {
    /// Choose another goal.
    #[command(subcommand)]
    pub command: Option<GoalCommand>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `goal set`.
#[derive(Debug, clap::Subcommand)]
pub enum GoalCommand {
    /// Make a defined event the conversion goal (`purchase`, the default, may be chosen
    /// undefined) and recompute every session's conversion and revenue.
    ///
    /// Example: `sessionlens goal set placed`
    Set {
        /// A defined event's name (see `sessionlens events-defs`).
        name: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// `kpis`.
#[derive(Debug, clap::Args)]
pub struct KpiArgs {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Also by device class or traffic source.
    #[arg(long, value_enum)]
    pub by: Option<SegmentByArg>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `funnel`.
#[derive(Debug, clap::Args)]
pub struct FunnelArgs {
    /// A step: an event definition's name (in order; at least two).
    #[arg(long = "step", value_name = "NAME", required = true, num_args = 1)]
    pub steps: Vec<String>,
    /// Every step within this many minutes of the first.
    #[arg(long, value_name = "MINUTES")]
    pub within_minutes: Option<u32>,
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Also by device class or traffic source, side by side.
    #[arg(long, value_enum)]
    pub by: Option<SegmentByArg>,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A page (URL or pattern like `/product/*`) to draw heatmaps of; repeat for more.
    #[arg(long = "page", value_name = "URL_OR_PATTERN")]
    pub pages: Vec<String>,
    /// Funnel steps (event names, in order); default: view_item, add_to_cart, begin_checkout,
    /// purchase where defined.
    #[arg(long = "step", value_name = "NAME")]
    pub steps: Vec<String>,
    /// Device class (every figure of the report uses these filters).
    #[arg(long, value_enum)]
    pub device: Option<super::DeviceArg>,
    /// Traffic source: a channel or a utm_source value.
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Sessions started on or after this date (YYYY-MM-DD, UTC) or epoch ms.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Sessions started before the end of this date (YYYY-MM-DD, UTC) or before this epoch ms.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Time zone that --from and --to days are counted in (IANA name, e.g. Europe/Berlin).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: Option<String>,
    /// The folder to write (created if missing).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Also write a short GIF replay clip of a representative moment of each of the top N
    /// hotspots (default 5) into `clips/`, linked from the summary.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5")]
    pub clips: Option<usize>,
}

/// `lift`.
#[derive(Debug, clap::Args)]
pub struct LiftArgs {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One JSON array.
    #[arg(long)]
    pub json: bool,
}

/// `section`.
#[derive(Debug, clap::Subcommand)]
pub enum SectionCommand {
    /// Name a band of a page (page CSS px), e.g. the reviews block.
    ///
    /// Example: `sessionlens section define reviews --page '/product/*' --top 2400 --bottom 3100`
    Define {
        /// The section's name.
        name: String,
        /// The page: an exact URL or a pattern such as `/product/*`.
        #[arg(long, value_name = "URL_OR_PATTERN")]
        page: String,
        /// Top of the band, page CSS px.
        #[arg(long, value_name = "PX")]
        top: f32,
        /// Bottom of the band, page CSS px.
        #[arg(long, value_name = "PX")]
        bottom: f32,
    },
    /// Each section's reach (share of page views whose viewport bottom passed its top) and the
    /// purchase rate of those that reached it against those that did not.
    List {
        /// Filters.
        #[command(flatten)]
        filter: FilterArgs,
        /// Only page views with a viewport this wide or wider, CSS px.
        #[arg(long, value_name = "PX")]
        layout_min: Option<u32>,
        /// Only page views with a viewport this wide or narrower, CSS px.
        #[arg(long, value_name = "PX")]
        layout_max: Option<u32>,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Remove a section.
    Delete {
        /// The section's name.
        name: String,
    },
}

/// `intent`.
#[derive(Debug, clap::Args)]
pub struct IntentArgs {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

fn open(path: &Path) -> anyhow::Result<Box<dyn Store>> {
    open_store(path).with_context(|| format!("opening the library {}", path.display()))
}

/// `define-event --value-from`: the custom event's field that carries revenue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueFieldArg {
    /// The recorded `value`.
    Value,
}

/// `define-event --stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StageArg {
    /// Top of the funnel.
    Tofu,
    /// Middle of the funnel.
    Mofu,
    /// Bottom of the funnel.
    Bofu,
}

impl StageArg {
    fn stage(self) -> Stage {
        match self {
            Self::Tofu => Stage::Tofu,
            Self::Mofu => Stage::Mofu,
            Self::Bofu => Stage::Bofu,
        }
    }
}

/// `kpis --by`, `funnel --by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SegmentByArg {
    /// Device class.
    Device,
    /// Traffic channel.
    Source,
}

impl SegmentByArg {
    fn segment_by(self) -> SegmentBy {
        match self {
            Self::Device => SegmentBy::Device,
            Self::Source => SegmentBy::Source,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Device => "device",
            Self::Source => "source",
        }
    }
}

fn segment_by(by: Option<SegmentByArg>) -> Option<SegmentBy> {
    by.map(SegmentByArg::segment_by)
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

pub fn define(library_path: &Path, args: &DefineArgs) -> anyhow::Result<ExitCode> {
    let mut library = open(library_path)?;
    let (kind, pattern) = match (&args.selector, &args.text, &args.url, &args.custom) {
        (Some(s), ..) => (DefinitionKind::Selector, s.clone()),
        (_, Some(t), ..) => (DefinitionKind::Text, t.clone()),
        (_, _, Some(u), _) => (DefinitionKind::Url, u.clone()),
        (_, _, _, Some(c)) => (DefinitionKind::Custom, c.clone()),
        _ => bail!("give one of --selector, --text, --url or --custom"),
    };
    let def = EventDefinition {
        name: args.name.trim().to_owned(),
        kind,
        pattern,
        value_from_event: args.value_from.is_some(),
        stage: args.stage.map(StageArg::stage),
        weight: args.weight,
    };
    let mut progress = Progress::default();
    let defined = library.define_event(&def, &mut |step, done, total| {
        progress.report(step, done, total);
    })?;
    progress.finish();
    outln!(
        "{}: {} matching {:?}: {} sessions, {} occurrences",
        def.name,
        def.kind.as_str(),
        def.pattern,
        defined.sessions,
        defined.hits
    );
    if let Some(converted) = defined.goal_converted {
        outln!(
            "{} is the conversion goal: {converted} sessions converted (recomputed)",
            def.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One progress line on stderr per step, rewritten in place.
#[derive(Default)]
struct Progress {
    step: Option<WorkStep>,
}

impl Progress {
    fn report(&mut self, step: WorkStep, done: u64, total: u64) {
        if self.step.is_some_and(|s| s != step) {
            eprintln!();
        }
        self.step = Some(step);
        eprint!("\r{} {done}/{total} sessions", step.label());
    }

    fn finish(&mut self) {
        if self.step.take().is_some() {
            eprintln!();
        }
    }
}

/// The goal's status as JSON: name, definition, rule, sessions converted.
fn goal_json(status: &GoalStatus) -> serde_json::Value {
    json!({
        "goal": status.goal.name,
        "definition": status.goal.definition,
        "standard": status.goal.is_standard(),
        "rule": status.goal.rule(),
        "converted": status.converted,
        "sessions": status.sessions,
    })
}

pub fn goal(library_path: &Path, args: &GoalArgs) -> anyhow::Result<ExitCode> {
    let mut library = open(library_path)?;
    library.ensure_standard_definitions()?;
    let (status, json_out) = match &args.command {
        None => (library.goal_status()?, args.json),
        Some(GoalCommand::Set { name, json }) => {
            let mut progress = Progress::default();
            let status = library.set_conversion_goal(name, &mut |step, done, total| {
                progress.report(step, done, total);
            })?;
            progress.finish();
            (status, *json || args.json)
        }
    };
    if json_out {
        outln!("{}", serde_json::to_string_pretty(&goal_json(&status))?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "conversion goal: {} ({})",
        status.goal.name,
        status.goal.rule()
    );
    outln!(
        "converted: {} of {} sessions ({})",
        status.converted,
        status.sessions,
        pct((status.sessions > 0).then(|| status.converted as f64 / status.sessions as f64))
    );
    Ok(ExitCode::SUCCESS)
}

pub fn list(library_path: &Path, json_out: bool) -> anyhow::Result<ExitCode> {
    let mut library = open(library_path)?;
    library.ensure_standard_definitions()?;
    let defs = library.event_definitions()?;
    let counts = library.event_session_counts()?;
    if json_out {
        let rows: Vec<_> = defs
            .iter()
            .map(|d| {
                json!({
                    "name": d.name,
                    "kind": d.kind.as_str(),
                    "pattern": d.pattern,
                    "value_from_event": d.value_from_event,
                    "stage": d.stage.map(Stage::as_str),
                    "weight": d.weight,
                    "sessions": counts.get(&d.name).copied().unwrap_or(0),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<22} {:<9} {:<5} {:>6} {:>9}  pattern",
        "name",
        "kind",
        "stage",
        "weight",
        "sessions"
    );
    for d in &defs {
        outln!(
            "{:<22} {:<9} {:<5} {:>6} {:>9}  {}",
            d.name,
            d.kind.as_str(),
            d.stage.map_or("-", Stage::as_str),
            d.weight.map_or_else(|| "-".to_owned(), |w| w.to_string()),
            counts.get(&d.name).copied().unwrap_or(0),
            d.pattern
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the facts for `filter` after making sure the standard definitions exist.
fn facts(library_path: &Path, filter: &FilterArgs, names: &[String]) -> anyhow::Result<Facts> {
    let library = open_with_events(library_path, names)?;
    Ok(library.conversion_facts(&session_filter(filter)?, names)?)
}

/// The library, with the standard events defined, once every one of `names` is known to be a
/// defined event.
fn open_with_events(library_path: &Path, names: &[String]) -> anyhow::Result<Box<dyn Store>> {
    let mut library = open(library_path)?;
    library.ensure_standard_definitions()?;
    let known: Vec<String> = library
        .event_definitions()?
        .into_iter()
        .map(|d| d.name)
        .collect();
    for name in names {
        if !known.contains(name) {
            bail!(
                "no event named {name:?}; defined: {} (define one with `sessionlens define-event`)",
                known.join(", ")
            );
        }
    }
    Ok(library)
}

fn kpi_lines(label: &str, k: &Kpis) -> Vec<String> {
    vec![
        format!("{label} ({} sessions)", k.sessions),
        format!(
            "  conversion rate        {:>9}   purchases / sessions = {} / {}",
            pct(k.conversion_rate),
            k.purchases,
            k.sessions
        ),
        format!(
            "  add-to-cart rate       {:>9}   sessions with add_to_cart / sessions = {} / {}",
            pct(k.add_to_cart_rate),
            k.add_to_cart,
            k.sessions
        ),
        format!(
            "  cart abandonment       {:>9}   (checkouts started − purchases) / checkouts started = ({} − {}) / {}",
            pct(k.cart_abandonment_rate),
            k.checkouts_started,
            k.checkouts_completed,
            k.checkouts_started
        ),
        format!(
            "  checkout completion    {:>9}   purchases / checkouts started = {} / {}",
            pct(k.checkout_completion_rate),
            k.checkouts_completed,
            k.checkouts_started
        ),
        format!(
            "  average order value    {:>9}   revenue / purchases = {:.2} / {}",
            money(k.average_order_value),
            k.revenue,
            k.purchases
        ),
        format!(
            "  revenue per visitor    {:>9}   revenue / sessions = {:.2} / {}",
            money(k.revenue_per_visitor),
            k.revenue,
            k.sessions
        ),
    ]
}

pub fn kpis(library_path: &Path, args: &KpiArgs) -> anyhow::Result<ExitCode> {
    let mut library = open(library_path)?;
    library.ensure_standard_definitions()?;
    let goal = library.conversion_goal()?;
    // The store answers the KPIs of all the filtered sessions (a server library counts them
    // itself); segments are split on the client from every session's facts.
    let all = library.kpis(&session_filter(&args.filter)?)?;
    let segments: Vec<(String, Kpis)> = match segment_by(args.by) {
        Some(by) => {
            let facts = facts(library_path, &args.filter, &[])?;
            conv::segments(&facts, by)
                .into_iter()
                .map(|(name, f)| (name, conv::kpis(&f)))
                .collect()
        }
        None => Vec::new(),
    };
    if args.json {
        let segs: serde_json::Map<String, serde_json::Value> = segments
            .iter()
            .map(|(name, k)| (name.clone(), json!(k)))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"goal": goal.name, "all": all, "by": args.by.map(SegmentByArg::as_str), "segments": segs})
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!("conversion goal: {} ({})", goal.name, goal.rule());
    for line in kpi_lines("all sessions", &all) {
        outln!("{line}");
    }
    for (name, k) in &segments {
        outln!();
        for line in kpi_lines(name, k) {
            outln!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn funnel(library_path: &Path, args: &FunnelArgs) -> anyhow::Result<ExitCode> {
    if args.steps.len() < 2 {
        bail!("a funnel needs at least two --step");
    }
    let window = args.within_minutes.map(|m| i64::from(m) * 60_000);
    // Without segments the store walks the funnel (a server library walks it itself);
    // segments are split on the client from every session's facts.
    let (all, sessions, segments) = match segment_by(args.by) {
        None => {
            let library = open_with_events(library_path, &args.steps)?;
            let filter = session_filter(&args.filter)?;
            let all = library.funnel(&filter, &args.steps, window)?;
            let sessions = library.count_sessions(&filter)?;
            (
                all,
                usize::try_from(sessions).unwrap_or(usize::MAX),
                Vec::new(),
            )
        }
        Some(by) => {
            let facts = facts(library_path, &args.filter, &args.steps)?;
            let all = conv::funnel(&facts, &args.steps, window);
            let segments: Vec<(String, conv::Funnel)> = conv::segments(&facts, by)
                .into_iter()
                .map(|(name, f)| (name, conv::funnel(&f, &args.steps, window)))
                .collect();
            (all, facts.sessions.len(), segments)
        }
    };
    if args.json {
        let library = open(library_path)?;
        let mut droppers = Vec::new();
        for d in all.droppers.iter().take(200) {
            let id = library.session_id_of_rowid(d.session_rowid)?;
            droppers.push(json!({
                "session_id": id,
                "stopped_after": args.steps.get(d.reached),
                "at_ms": d.at_ms,
            }));
        }
        let segs: serde_json::Map<String, serde_json::Value> = segments
            .iter()
            .map(|(name, f)| (name.clone(), json!({"steps": f.steps})))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "steps": all.steps,
                "segments": segs,
                "by": args.by.map(SegmentByArg::as_str),
                "within_minutes": args.within_minutes,
                "sessions": sessions,
                "droppers": droppers,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let print = |label: &str, f: &conv::Funnel| -> anyhow::Result<()> {
        outln!("{label}");
        outln!(
            "  {:<22} {:>9} {:>14} {:>12} {:>9}",
            "step",
            "sessions",
            "from previous",
            "from start",
            "dropped"
        );
        for s in &f.steps {
            outln!(
                "  {:<22} {:>9} {:>14} {:>12} {:>9}",
                s.name,
                s.sessions,
                pct(s.conversion_from_previous),
                pct(s.conversion_from_start),
                s.dropped
            );
        }
        Ok(())
    };
    print(&format!("all sessions ({sessions} in the filter)"), &all)?;
    for (name, f) in &segments {
        outln!();
        print(name, f)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn lift(library_path: &Path, args: &LiftArgs) -> anyhow::Result<ExitCode> {
    let facts = facts(library_path, &args.filter, &[])?;
    let goal = open(library_path)?.conversion_goal()?;
    let names: Vec<String> = facts
        .hits
        .keys()
        .filter(|n| !goal.measures_conversion(n))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
    let rows = conv::lift(&facts, &names, &kinds);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "Conversion rate (goal {}) with and without each behaviour ({} sessions). Correlation, not causation.",
        goal.name,
        facts.sessions.len()
    );
    outln!(
        "  {:<20} {:<7} {:>7} {:>8} {:>10} {:>10} {:>7}  95 % interval",
        "behaviour",
        "what",
        "with",
        "rate",
        "conv with",
        "without",
        "ratio"
    );
    for r in &rows {
        outln!(
            "  {:<20} {:<7} {:>7} {:>8} {:>10} {:>10} {:>7}  {}",
            r.name,
            r.what,
            r.with,
            pct(r.rate),
            pct(r.conversion_with),
            pct(r.conversion_without),
            r.ratio
                .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}")),
            r.ratio_ci95
                .map_or_else(|| "–".to_owned(), |(lo, hi)| format!("{lo:.2}–{hi:.2}"))
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn report(library_path: &Path, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let mut library = open(library_path)?;
    let options = crate::report::ReportOptions {
        pages: args.pages.clone(),
        filter: session_filter(&FilterArgs {
            device: args.device,
            source: args.source.clone(),
            from: args.from.clone(),
            to: args.to.clone(),
            tz: args.tz.clone(),
            ..FilterArgs::default()
        })?,
        steps: args.steps.clone(),
        out_dir: args.out.clone(),
        clips: args.clips.unwrap_or(0),
    };
    let summary = crate::report::write_report(library.as_mut(), &options, &mut |what| {
        eprintln!("report: {what}");
    })?;
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    outln!(
        "wrote {} files to {} (open summary.html or summary.md)",
        summary.files.len(),
        args.out.display()
    );
    Ok(if summary.warnings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit_code::SOME_FAILED)
    })
}

pub fn intent(library_path: &Path, args: &IntentArgs) -> anyhow::Result<ExitCode> {
    let weights: Vec<(String, u8)> = {
        let mut library = open(library_path)?;
        library.ensure_standard_definitions()?;
        library
            .event_definitions()?
            .into_iter()
            .filter_map(|d| d.weight.map(|w| (d.name, w)))
            .collect()
    };
    let facts = facts(library_path, &args.filter, &[])?;
    let goal = open(library_path)?.conversion_goal()?;
    let report = conv::intent(&facts, &weights, &goal.name);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let weights_text: Vec<String> = report
        .weights
        .iter()
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    outln!(
        "Intent score = sum of the weights of the distinct events a session did ({}); velocity = their occurrences per minute. The goal ({}) and purchases left out.",
        weights_text.join(", "),
        goal.name
    );
    let num = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"));
    outln!(
        "  {:<14} {:>8} {:>12} {:>14} {:>14} {:>16}",
        "sessions",
        "n",
        "intent mean",
        "intent median",
        "velocity mean",
        "velocity median"
    );
    for (label, g) in [
        ("converting", &report.converted),
        ("not converting", &report.not_converted),
    ] {
        outln!(
            "  {:<14} {:>8} {:>12} {:>14} {:>14} {:>16}",
            label,
            g.n,
            num(g.intent_mean),
            num(g.intent_median),
            num(g.velocity_mean),
            num(g.velocity_median)
        );
    }
    outln!("  score  converting  not converting");
    for (score, c, n) in report.histogram.iter().filter(|(_, c, n)| c + n > 0) {
        outln!("  {score:>5}  {c:>10}  {n:>14}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn section(library_path: &Path, command: &SectionCommand) -> anyhow::Result<ExitCode> {
    let library = open(library_path)?;
    match command {
        SectionCommand::Define {
            name,
            page,
            top,
            bottom,
        } => {
            let section = crate::store::Section {
                name: name.clone(),
                page: page.clone(),
                top_px: *top,
                bottom_px: *bottom,
            };
            library.define_section(&section)?;
            let reach =
                library.section_reach(&crate::store::SessionFilter::default(), &section, None)?;
            outln!(
                "{name}: {page} from {top} to {bottom} px: reached in {} of {} page views ({})",
                reach.reached,
                reach.page_views,
                pct(reach.reach_rate)
            );
        }
        SectionCommand::Delete { name } => {
            if !library.delete_section(name)? {
                bail!("no section named {name:?}");
            }
            outln!("deleted {name}");
        }
        SectionCommand::List {
            filter,
            layout_min,
            layout_max,
            json,
        } => {
            let filter = session_filter(filter)?;
            let widths = match (layout_min, layout_max) {
                (None, None) => None,
                (min, max) => Some((min.unwrap_or(0), max.unwrap_or(u32::MAX))),
            };
            let rows: Vec<crate::store::SectionReach> = library
                .sections()?
                .iter()
                .map(|s| library.section_reach(&filter, s, widths))
                .collect::<Result<_, _>>()?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(ExitCode::SUCCESS);
            }
            if rows.is_empty() {
                outln!("no sections (define one with `sessionlens section define`)");
                return Ok(ExitCode::SUCCESS);
            }
            outln!(
                "Section reach: page views whose viewport bottom passed the section's top. Correlation, not causation."
            );
            outln!(
                "  {:<18} {:<28} {:>13} {:>11} {:>8} {:>10} {:>12} {:>7}  95 % interval",
                "section",
                "page",
                "band (px)",
                "page views",
                "reached",
                "reach",
                "conv. if / not",
                "ratio"
            );
            for r in &rows {
                outln!(
                    "  {:<18} {:<28} {:>13} {:>11} {:>8} {:>10} {:>12} {:>7}  {}",
                    r.section.name,
                    r.section.page,
                    format!("{}–{}", r.section.top_px, r.section.bottom_px),
                    r.page_views,
                    r.reached,
                    pct(r.reach_rate),
                    format!(
                        "{} / {}",
                        pct(r.conversion_reached),
                        pct(r.conversion_not_reached)
                    ),
                    r.ratio
                        .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}")),
                    r.ratio_ci95
                        .map_or_else(|| "–".to_owned(), |(lo, hi)| format!("{lo:.2}–{hi:.2}"))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
