//! The `sessionlens` command line. Arguments are parsed into plain structs, turned into core
//! requests, and errors are printed with their whole cause chain.
//!
//! Exit codes: 0 success; 1 some inputs failed (the others were handled); 2 usage or fatal error.
//!
//! An edge: may use the core and orchestration; `ui` only to start the app when built in.
//! Results go to standard output, diagnostics to standard error.

/// `println!` that returns the write error (a closed pipe, as `sessionlens list | head` makes)
/// instead of panicking; for functions returning `anyhow::Result`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

/// `print!` that returns the write error instead of panicking (see `outln!`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

mod clip;
mod commands;
mod conversions;
mod elements;
mod forms;
mod heatmap;
mod journeys;
mod output;
mod snapshot;
mod trust;
mod variants;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use heatmap::HeatmapArgs;

/// Review recorded web sessions: replay, heatmaps, frustration signals, conversions.
///
/// Without a subcommand, opens the desktop app (on the given files, if any).
#[derive(Debug, Parser)]
#[command(name = "sessionlens", version, about, long_about = None)]
pub struct Cli {
    /// The session library: a SQLite file, or a team library on ClickHouse as
    /// `clickhouse://USER@HOST:8123/DATABASE`, or `clickhouses://USER@HOST:8443/DATABASE` over
    /// HTTPS (password from SESSIONLENS_CLICKHOUSE_PASSWORD or the file named by
    /// SESSIONLENS_CLICKHOUSE_PASSWORD_FILE, never in the URL; a team's certificate authority
    /// from the PEM file named by SESSIONLENS_CLICKHOUSE_CA_FILE). Default: a SQLite file in
    /// the platform data directory.
    #[arg(
        long,
        global = true,
        env = "SESSIONLENS_LIBRARY",
        value_name = "PATH|URL"
    )]
    pub library: Option<PathBuf>,

    /// Session files, folders or bundles to import and open in the app.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import session files, folders (recursively) or bundles into the library.
    ///
    /// Example: `sessionlens import recordings/ --json`
    Import(ImportArgs),
    /// List sessions, with filters.
    ///
    /// Example: `sessionlens list --device mobile --page '/product/*' --converted no`
    List(ListArgs),
    /// Show one session's summary and its page views.
    Show(ShowArgs),
    /// Print a session's normalised events, one JSON object per line with `--json`.
    ///
    /// Example: `sessionlens events sim-00000001-000042 --kind click --json`
    Events(EventsArgs),
    /// Convert a recording (rrweb, PostHog export, native, bundle) to the native format.
    ///
    /// Example: `sessionlens convert recording.json --out visit.session.json`
    Convert(ConvertArgs),
    /// Attach page screenshots to the library, or list them.
    #[command(subcommand)]
    Screenshot(ScreenshotCommand),
    /// Render the pages of recorded sessions as screenshots: each page view's DOM half a
    /// second after it was entered (the FullSnapshot and every mutation up to then, SPA route
    /// changes included) rebuilt as static HTML and rendered full-page with headless Chromium,
    /// without network (a grid canvas with the URL when Chromium is missing or the recording has
    /// no snapshot). Screenshots attached otherwise take precedence. With `--at`, the page as it
    /// was at any moment of one session, written to a PNG file.
    ///
    /// Example: `sessionlens snapshot --all --width 1440`
    /// Example: `sessionlens snapshot convert-mobile --at 01:05 --out cart.png --assets site/`
    Snapshot(SnapshotArgs),
    /// Export a range of a session's replay as an animated GIF, WebM or MP4: the page
    /// screenshot scrolled as the visitor scrolled, the cursor and its trail, click ripples in
    /// their signal's colour (rage, dead, error), an optional caption and a progress bar.
    /// Inactive spans are jumped as in the replay. WebM and MP4 need the system ffmpeg.
    ///
    /// Example: `sessionlens clip convert-mobile --from 00:40 --to 00:55 --out rage.gif --caption 'Rage on the coupon field'`
    Clip(clip::ClipArgs),
    /// Generate simulated demo sessions.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// List detected frustration signals (rage, dead and error clicks, thrashed cursor, ...).
    ///
    /// Example: `sessionlens signals --kind rage_click --kind dead_click --page '/product/*' --json`
    Signals(SignalsArgs),
    /// Rank frustration hotspots (page, kind, element) by sessions affected or conversions lost.
    ///
    /// Example: `sessionlens hotspots --sort loss --limit 20`
    Hotspots(HotspotsArgs),
    /// Element map of a page: every clicked element grouped by its CSS selector path (so the
    /// counts survive layout changes), ranked by clicks, rage, dead or error clicks, sessions or
    /// the conversion of the sessions that clicked it; optionally drawn as boxes over the page
    /// screenshot, or A against B per element with a significance test (`--compare`).
    ///
    /// Example: `sessionlens elements --page http://shop.test/ --by rage --png home-elements.png`
    Elements(elements::ElementsArgs),
    /// The variants of a page side by side: page views grouped by the structure of the
    /// recorded page (`--variant-from dom`, blind to text, ids and repeated items), by an
    /// experiment event (`event:NAME`) or by a URL parameter (`param:NAME`); per variant its
    /// page views, sessions, conversion tested against the control, clicks, rage and dead
    /// clicks, scroll depth and time on the page. `--screenshots` renders each variant's page
    /// with Chromium for `heatmap` and `elements` with `--variant`.
    ///
    /// Example: `sessionlens variants --page 'http://shop.test/product/*' --variant-from param:exp --screenshots`
    Variants(variants::VariantsArgs),
    /// Recompute every session's signals with the stored thresholds, or reset them to the
    /// defaults (`--defaults`) or to Sentry's strict rage preset (`--strict-rage`).
    RecomputeSignals(RecomputeArgs),
    /// Draw a click, move, rage, dead, scroll-reach or attention map over a page screenshot and
    /// write it as PNG.
    ///
    /// Example: `sessionlens heatmap --page http://shop.test/ --kind click --device mobile --out home.png`
    Heatmap(Box<HeatmapArgs>),
    /// Print reviewers' notes (written in the replay), as text, JSON lines, CSV or Markdown.
    ///
    /// Example: `sessionlens notes --session convert-mobile --csv > notes.csv`
    Notes(NotesArgs),
    /// Define a named event after the fact: a custom event, a page URL pattern, or clicks on
    /// elements matching a CSS selector or text. It applies to every session in the library
    /// and to every session imported later.
    ///
    /// Example: `sessionlens define-event add_to_cart --selector '#add-to-cart' --stage mofu --weight 5`
    DefineEvent(conversions::DefineArgs),
    /// List the event definitions with the sessions that did each.
    EventsDefs {
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// The conversion goal: the defined event whose sessions count as converted everywhere
    /// (KPIs, filters, hotspots, lift, sections, reports). Shows it, or `set` another one and
    /// recompute every session's conversion.
    ///
    /// Example: `sessionlens define-event placed --selector '#place-order' && sessionlens goal set placed`
    Goal(conversions::GoalArgs),
    /// Conversion KPIs (with their formulas): sessions, conversion rate, add-to-cart rate, cart
    /// abandonment, checkout completion, average order value, revenue per visitor.
    ///
    /// Example: `sessionlens kpis --by device --from 2026-11-01`
    Kpis(conversions::KpiArgs),
    /// A funnel over defined events: sessions reaching each step in order, conversion from the
    /// previous step and from the start, drop-off, and where the droppers stopped.
    ///
    /// Example: `sessionlens funnel --step view_item --step add_to_cart --step begin_checkout --step purchase --by device`
    Funnel(conversions::FunnelArgs),
    /// Journeys: how visitors move between pages, step by step (nodes per step with the share
    /// that exits there, the conversion of the sessions through them and their signals; flows
    /// between steps). Pages are grouped by URL template (`/product/*`) unless `--group-by path`.
    ///
    /// Example: `sessionlens journeys --to-page /checkout --steps 4 --device mobile`
    Journeys(journeys::JourneysArgs),
    /// Form analytics: per form and per field in order, sessions that reached and used each
    /// field, time in it (median, p90), refills, errors shown next to it, where visitors who
    /// gave up left, and the submit rate; by device and source. Typed values never appear.
    ///
    /// Example: `sessionlens forms --page /checkout.html --device mobile`
    Forms(forms::FormsArgs),
    /// Write a report folder to share: heatmap PNGs (click, scroll, attention, rage, dead) of
    /// each page, KPI table, funnel chart, lift table, hotspot CSV, and a summary in Markdown
    /// and HTML that embeds them, with every number's filter and sample size.
    ///
    /// Example: `sessionlens report --page http://shop.test/ --page '/product/*' --device mobile --out report/`
    Report(conversions::ReportArgs),
    /// Purchase rate of sessions with each defined event and each signal against those without
    /// (risk ratio with a 95 % interval): correlation, not causation.
    Lift(conversions::LiftArgs),
    /// Intent score (sum of the weights of the distinct events a session did) and velocity
    /// (their occurrences per minute) of converting against non-converting sessions.
    ///
    /// Example: `sessionlens intent --device mobile`
    Intent(conversions::IntentArgs),
    /// Named sections of a page (a band such as the reviews block): define, list with their
    /// reach and the conversion of those who reached them, delete.
    #[command(subcommand)]
    Section(conversions::SectionCommand),
    /// Rebuild a damaged library from the original recordings: the damaged file is kept beside
    /// it (`<library>.damaged-<time>`), notes, event definitions, settings and attached
    /// screenshots are salvaged, and every recording it was imported from is imported again.
    ///
    /// Example: `sessionlens rebuild-library --library shop.sqlite`
    RebuildLibrary(trust::RebuildArgs),
    /// Whole-library operations: `library copy --from A --to B` copies every session, note,
    /// definition, goal, section and screenshot between a SQLite file and a ClickHouse
    /// library (either way).
    #[command(subcommand)]
    Library(trust::LibraryCommand),
    /// Remove personal data from a recording or bundle before sharing it: typed input values
    /// (length kept), query-string values under personal keys (email, token, ...), e-mail
    /// addresses and IP addresses.
    ///
    /// Example: `sessionlens redact visit.json --out visit.redacted.json --query-key order_ref`
    Redact(trust::RedactArgs),
    /// Open the desktop app on a session, optionally at a moment.
    ///
    /// Example: `sessionlens open convert-mobile --at 00:42`
    #[cfg(feature = "gui")]
    Open(OpenArgs),
}

/// `snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// The session whose pages to render.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub session: Option<String>,
    /// Every session's pages.
    #[arg(long)]
    pub all: bool,
    /// Only page views of this viewport width, CSS px.
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    /// Render pages that already have a snapshot or placeholder again.
    #[arg(long)]
    pub force: bool,
    /// Draw the grid placeholder without looking for Chromium.
    #[arg(long)]
    pub no_chromium: bool,
    /// Render the page as it was at this moment of the session (`MM:SS`, `H:MM:SS` or seconds
    /// from its start) into a PNG file; nothing is attached to the library.
    #[arg(long, value_name = "TIME", value_parser = parse_at, requires = "session",
          conflicts_with_all = ["all", "force", "width"])]
    pub at: Option<i64>,
    /// With --at: the PNG to write (default: `<session>-<mm>m<ss>s.png` in the current folder).
    #[arg(long, value_name = "FILE.png", requires = "at")]
    pub out: Option<std::path::PathBuf>,
    /// A folder of the site's files, served by path for the recorded page's host from a
    /// server on 127.0.0.1 that lives for the render (`/img/x.png` is read from
    /// `DIR/img/x.png`); nothing else is loaded.
    #[arg(long, value_name = "DIR")]
    pub assets: Option<std::path::PathBuf>,
    /// Let Chromium download the page's images, fonts and stylesheets from the recorded page's
    /// own origin (and the --asset-host hosts). This CONTACTS THE SITE over the network. Off by
    /// default: without it no request leaves the machine.
    #[arg(long)]
    pub fetch_assets: bool,
    /// With --fetch-assets: another host Chromium may load from (a CDN); repeat for more.
    #[arg(long = "asset-host", value_name = "HOST", requires = "fetch_assets")]
    pub asset_hosts: Vec<String>,
}

/// `notes`.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    /// Only this session's notes.
    #[arg(long)]
    pub session: Option<String>,
    /// One JSON object per line: `{note_id, session_id, timestamp_ms, text, created_at_ms, updated_at_ms}`.
    #[arg(long, conflicts_with_all = ["csv", "markdown"])]
    pub json: bool,
    /// CSV with a header: `session_id,timestamp_ms,time_utc,text`.
    #[arg(long, conflicts_with = "markdown")]
    pub csv: bool,
    /// Markdown, one list per session.
    #[arg(long)]
    pub markdown: bool,
}

/// `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Files, folders or bundles.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// One JSON object per input file: `{file, status, session_ids, error?}`.
    #[arg(long)]
    pub json: bool,
    /// Keep typed values that recordings carried unmasked (by default only their length is
    /// kept; passwords and card numbers are never kept).
    #[arg(long)]
    pub keep_typed_values: bool,
    /// Input limits (defaults in docs/FORMAT.md).
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Limits on what one input may hold; past them a file is refused with a clear error.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Largest input file, decompressed (gzip, zip entries), MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub max_file_mib: u64,
    /// Most events in one session.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub max_events: usize,
    /// Longest string (URL, error message, element text), KiB.
    #[arg(long, value_name = "KIB", default_value_t = 1024)]
    pub max_string_kib: usize,
    /// Deepest DOM tree of an rrweb snapshot, levels (at most 1000).
    #[arg(long, value_name = "LEVELS", default_value_t = 1000)]
    pub max_dom_depth: u32,
    /// Largest screenshot in a bundle, megapixels (at most 268).
    #[arg(long, value_name = "MPX", default_value_t = 268)]
    pub max_image_mpx: u64,
}

impl LimitArgs {
    /// The model limits these flags set, the rest at their defaults.
    pub fn limits(&self) -> crate::model::Limits {
        crate::model::Limits {
            max_inflated_bytes: self.max_file_mib.saturating_mul(1 << 20),
            max_events: self.max_events,
            max_string_bytes: self.max_string_kib.saturating_mul(1 << 10),
            max_dom_depth: self.max_dom_depth,
            max_image_pixels: self.max_image_mpx.saturating_mul(1_000_000),
            ..crate::model::Limits::default()
        }
    }
}

/// Exit codes: what a script can rely on.
pub mod exit_code {
    /// Everything worked.
    pub const SUCCESS: u8 = 0;
    /// Some inputs failed; the others were done (import, snapshot, heatmap --all-pages, …).
    pub const SOME_FAILED: u8 = 1;
    /// A usage error, or a fatal error (the message names the file and the place).
    pub const FATAL: u8 = 2;
}

/// `list --sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListSort {
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
    /// Longest first.
    Longest,
    /// Most clicks first.
    Clicks,
}

/// `hotspots --sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HotspotSortArg {
    /// Most sessions affected first.
    Sessions,
    /// Largest estimated loss of conversions first.
    Loss,
}

/// A device class, as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// Desktop.
    Desktop,
    /// Tablet.
    Tablet,
    /// Mobile.
    Mobile,
}

impl DeviceArg {
    /// The model's device class.
    #[must_use]
    pub fn class(self) -> crate::model::DeviceClass {
        match self {
            Self::Desktop => crate::model::DeviceClass::Desktop,
            Self::Tablet => crate::model::DeviceClass::Tablet,
            Self::Mobile => crate::model::DeviceClass::Mobile,
        }
    }
}

/// `yes` or `no`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    /// Yes.
    Yes,
    /// No.
    No,
}

impl YesNo {
    /// True for `yes`.
    #[must_use]
    pub fn is_yes(self) -> bool {
        self == Self::Yes
    }
}

/// Session filters shared by several commands.
#[derive(Debug, Default, clap::Args)]
pub struct FilterArgs {
    /// Sessions that visited this URL (exact, or a glob like `/product/*`).
    #[arg(long, value_name = "URL_OR_GLOB")]
    pub page: Option<String>,
    /// Device class.
    #[arg(long, value_enum)]
    pub device: Option<DeviceArg>,
    /// Smallest viewport width, px.
    #[arg(long, value_name = "PX")]
    pub min_width: Option<u32>,
    /// Largest viewport width, px.
    #[arg(long, value_name = "PX")]
    pub max_width: Option<u32>,
    /// Traffic source: a channel (direct, organic_search, paid_search, paid_social, organic_social,
    /// email, referral) or a utm_source value.
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Sessions started on or after this day (YYYY-MM-DD, from its first moment in --tz) or
    /// epoch ms.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Sessions started on or before this day (YYYY-MM-DD, to its last moment in --tz: the day
    /// is included), or before this epoch ms.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Time zone that --from and --to days are counted in (IANA name, e.g. Europe/Berlin).
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: Option<String>,
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
}

/// `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Filters.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Order.
    #[arg(long, value_enum, default_value_t = ListSort::Newest)]
    pub sort: ListSort,
    /// At most this many sessions.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Skip this many sessions first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// A JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The session id.
    pub session_id: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// The session id.
    pub session_id: String,
    /// Only events of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<EventFamilyArg>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Show typed values where the library kept them (`import --keep-typed-values`); by default
    /// only their length is shown. Passwords and card numbers are never kept nor shown.
    #[arg(long)]
    pub reveal_typed_values: bool,
}

/// `events --kind`: a family of events (`input` includes focus and blur, `scroll` includes
/// element scrolls).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFamilyArg {
    /// Clicks, double clicks, context menus, taps.
    Click,
    /// Pointer moves.
    Move,
    /// Page and element scrolls.
    Scroll,
    /// Viewport resizes.
    Resize,
    /// Field input, focus and blur.
    Input,
    /// Page loads and route changes.
    Navigation,
    /// DOM changes.
    Dom,
    /// Errors and failed requests.
    Error,
    /// Custom events.
    Custom,
    /// Form facts: a field's form, errors shown next to fields, submit attempts.
    Form,
}

impl EventFamilyArg {
    /// The family's name in `events --json` output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Move => "move",
            Self::Scroll => "scroll",
            Self::Resize => "resize",
            Self::Input => "input",
            Self::Navigation => "navigation",
            Self::Dom => "dom",
            Self::Error => "error",
            Self::Custom => "custom",
            Self::Form => "form",
        }
    }
}

/// `convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The input file (any format `import` reads).
    pub input: PathBuf,
    /// The output: `.session.json`, or `.session.json.gz` for gzip. An input holding several
    /// sessions writes one file per session, named `<stem>-<session id>.session.json`.
    #[arg(long)]
    pub out: PathBuf,
}

/// `screenshot …`.
#[derive(Debug, Subcommand)]
pub enum ScreenshotCommand {
    /// Attach a PNG screenshot to a page URL at a layout width (replaces any other screenshot
    /// of that page and width).
    ///
    /// Example: `sessionlens screenshot add --url https://shop.test/ --width 1440 home.png`
    Add {
        /// The page URL (the fragment is ignored).
        #[arg(long)]
        url: String,
        /// Layout width in CSS px. Default: the PNG's width.
        #[arg(long, value_name = "PX")]
        width: Option<u32>,
        /// The PNG file.
        file: PathBuf,
    },
    /// List attached screenshots.
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `demo …`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Write simulated sessions of the demo shop as native session files, or into the library.
    ///
    /// Example: `sessionlens demo generate --sessions 2000 --seed 1 --out /tmp/demo`
    Generate {
        /// Number of sessions.
        #[arg(long, default_value_t = 100)]
        sessions: usize,
        /// Seed: the same seed gives the same files, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder (created if missing).
        #[arg(
            long,
            required_unless_present = "into_library",
            conflicts_with = "into_library"
        )]
        out: Option<PathBuf>,
        /// Write into the library (`--library`) instead of files, as the app does on first
        /// start; sessions already there are skipped.
        #[arg(long)]
        into_library: bool,
        /// Spread session starts over this many days before `--until`.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Sessions start before midnight UTC of this day (YYYY-MM-DD).
        #[arg(long, default_value = "2026-11-01")]
        until: String,
    },
    /// Print the figures the simulator is calibrated to (conversion by device and channel,
    /// micro-conversions, scroll-depth fall-off, where clicks land, signal rates), measured on
    /// freshly generated sessions.
    ///
    /// Example: `sessionlens demo calibrate --sessions 2000 --seed 1`
    Calibrate {
        /// Number of sessions.
        #[arg(long, default_value_t = 2000)]
        sessions: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Output formats of `signals` and `hotspots`.
#[derive(Debug, Default, clap::Args)]
#[group(multiple = false)]
pub struct TableFormat {
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Comma-separated values with a header line.
    #[arg(long)]
    pub csv: bool,
}

/// `signals`.
#[derive(Debug, clap::Args)]
pub struct SignalsArgs {
    /// Only this session.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only these kinds (repeatable): rage_click, dead_click, error_click, thrashed_cursor,
    /// excessive_scroll, quick_back, form_abandonment, field_hesitation, mis_tap.
    #[arg(long, value_name = "KIND", value_parser = signal_kind)]
    pub kind: Vec<crate::analysis::signals::SignalKind>,
    /// Session filters; `--page` also keeps only the signals on that page.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format (default: a table).
    #[command(flatten)]
    pub format: TableFormat,
}

/// `hotspots`.
#[derive(Debug, clap::Args)]
pub struct HotspotsArgs {
    /// Session filters; `--page` also keeps only the hotspots on that page.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only these kinds (repeatable).
    #[arg(long, value_name = "KIND", value_parser = signal_kind)]
    pub kind: Vec<crate::analysis::signals::SignalKind>,
    /// Order: most sessions affected, or largest estimated loss of conversions.
    #[arg(long, value_enum, default_value_t = HotspotSortArg::Sessions)]
    pub sort: HotspotSortArg,
    /// At most this many hotspots.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Output format (default: a table).
    #[command(flatten)]
    pub format: TableFormat,
}

/// `recompute-signals`.
#[derive(Debug, clap::Args)]
pub struct RecomputeArgs {
    /// Reset the thresholds to the defaults first.
    #[arg(long, conflicts_with = "strict_rage")]
    pub defaults: bool,
    /// Use Sentry's strict rage preset (at least 5 clicks on one element within 7 s).
    #[arg(long)]
    pub strict_rage: bool,
}

fn signal_kind(name: &str) -> Result<crate::analysis::signals::SignalKind, String> {
    crate::analysis::signals::SignalKind::parse(name).ok_or_else(|| {
        let names: Vec<&str> = crate::analysis::signals::SignalKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        format!("unknown signal kind {name:?}; one of: {}", names.join(", "))
    })
}

/// `open`.
#[cfg(feature = "gui")]
#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The session id.
    pub session_id: String,
    /// Start the replay at this moment: `MM:SS`, `H:MM:SS` or seconds from the session start.
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<i64>,
}

/// Parses `--compare PRESET` (of `heatmap`, `elements`, `journeys`).
fn compare_preset(
    text: Option<&str>,
) -> anyhow::Result<Option<crate::analysis::compare::ComparePreset>> {
    text.map(crate::analysis::compare::ComparePreset::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--compare {e}"))
}

/// Parses `--at` (of `open` and `snapshot`).
fn parse_at(text: &str) -> Result<i64, String> {
    crate::model::time::parse_offset_ms(text).ok_or_else(|| {
        format!(
            "{text:?} is not a moment in a session; write MM:SS, H:MM:SS or seconds, e.g. 00:42"
        )
    })
}

/// Runs the command line; returns the process exit code.
#[must_use]
pub fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            let broken_pipe = error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
                    || cause
                        .downcast_ref::<serde_json::Error>()
                        .is_some_and(|e| e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(exit_code::FATAL)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every subcommand's options are consistent (unique names, valid groups): clap checks this
    /// only when a command is parsed in a debug build, so check them all here.
    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
