//! Carrying out each command.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, bail};

use super::output::{
    HOTSPOT_CSV_HEADER, SIGNAL_CSV_HEADER, event_json, hotspot_csv, hotspot_json,
    print_hotspot_table, print_session_table, print_signal_table, session_json, signal_csv,
};
use super::{
    Cli, Command, ConvertArgs, DemoCommand, DeviceArg, EventsArgs, FilterArgs, HotspotSortArg,
    HotspotsArgs, ImportArgs, ListArgs, ListSort, NotesArgs, RecomputeArgs, ScreenshotCommand,
    ShowArgs, SignalsArgs, YesNo, exit_code,
};
use crate::analysis::signals::SignalSettings;
use crate::analysis::signals::hotspots::HotspotSort;
use crate::demo::{self, GenerateOptions};
use crate::format::{ReadOptions, native};
use crate::model::time;
use crate::store::{
    FileStatus, SessionFilter, SessionSort, SignalQuery, Store, default_library_path, open_store,
};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let library_path = cli.library.clone().unwrap_or_else(default_library_path);
    let Some(command) = cli.command else {
        return open_gui(&library_path, cli.files, None, None);
    };
    match command {
        Command::Import(args) => import(&library_path, &args),
        Command::List(args) => list(&library_path, &args),
        Command::Show(args) => show(&library_path, &args),
        Command::Events(args) => events(&library_path, &args),
        Command::Convert(args) => convert(&args),
        Command::Screenshot(cmd) => screenshot(&library_path, cmd),
        Command::Snapshot(args) => super::snapshot::run(&library_path, &args),
        Command::Clip(args) => super::clip::run(&library_path, &args),
        Command::DefineEvent(args) => super::conversions::define(&library_path, &args),
        Command::EventsDefs { json } => super::conversions::list(&library_path, json),
        Command::Kpis(args) => super::conversions::kpis(&library_path, &args),
        Command::Goal(args) => super::conversions::goal(&library_path, &args),
        Command::Funnel(args) => super::conversions::funnel(&library_path, &args),
        Command::Journeys(args) => super::journeys::run(&library_path, &args),
        Command::Forms(args) => super::forms::run(&library_path, &args),
        Command::Elements(args) => super::elements::run(&library_path, &args),
        Command::Variants(args) => super::variants::run(&library_path, &args),
        Command::Lift(args) => super::conversions::lift(&library_path, &args),
        Command::Intent(args) => super::conversions::intent(&library_path, &args),
        Command::Section(command) => super::conversions::section(&library_path, &command),
        Command::Report(args) => super::conversions::report(&library_path, &args),
        Command::Notes(args) => notes(&library_path, &args),
        Command::RebuildLibrary(args) => super::trust::rebuild(&library_path, &args),
        Command::Library(command) => super::trust::library(&command),
        Command::Redact(args) => super::trust::redact(&args),
        Command::Heatmap(args) => super::heatmap::run(&library_path, &args),
        Command::Demo(DemoCommand::Generate {
            sessions,
            seed,
            out,
            into_library,
            days,
            until,
        }) => {
            let end_ms = crate::model::filter::day_start_ms(&until)
                .with_context(|| format!("--until {until:?}"))?;
            let options = GenerateOptions {
                sessions,
                seed,
                days,
                end_ms,
            };
            match out {
                Some(out) if !into_library => demo_generate(&options, &out),
                _ => demo_into_library(&library_path, &options),
            }
        }
        Command::Demo(DemoCommand::Calibrate {
            sessions,
            seed,
            json,
        }) => demo_calibrate(sessions, seed, json),
        Command::Signals(args) => signals(&library_path, &args),
        Command::Hotspots(args) => hotspots(&library_path, &args),
        Command::RecomputeSignals(args) => recompute_signals(&library_path, &args),
        #[cfg(feature = "gui")]
        Command::Open(args) => {
            // Fail here, with a clear message, rather than in an empty window.
            let library = open_library(&library_path)?;
            library
                .load_session(&args.session_id)
                .with_context(|| format!("cannot open session {:?}", args.session_id))?;
            drop(library);
            open_gui(&library_path, Vec::new(), Some(args.session_id), args.at)
        }
    }
}

#[cfg(feature = "gui")]
fn open_gui(
    library: &Path,
    files: Vec<PathBuf>,
    open_session: Option<String>,
    open_at_ms: Option<i64>,
) -> anyhow::Result<ExitCode> {
    crate::ui::run(crate::ui::StartOptions {
        library_path: library.to_owned(),
        files,
        open_session,
        open_at_ms,
        simulated_sessions: crate::demo::SAMPLE_LIBRARY_SESSIONS,
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn open_gui(
    _library: &Path,
    _files: Vec<PathBuf>,
    _open_session: Option<String>,
    _open_at_ms: Option<i64>,
) -> anyhow::Result<ExitCode> {
    bail!(
        "this build has no desktop app (built without the `gui` feature); see `sessionlens --help` for the commands"
    )
}

fn open_library(path: &Path) -> anyhow::Result<Box<dyn Store>> {
    open_store(path).with_context(|| format!("opening the library {}", path.display()))
}

/// The import's progress after the bar: sessions imported, and those read so far from a large
/// file being read in pieces.
fn progress_text(p: &crate::store::ImportProgress) -> String {
    if p.sessions_in_file > 0 {
        format!(
            "{} sessions imported · {} read from the current file",
            p.sessions_imported, p.sessions_in_file
        )
    } else {
        format!("{} sessions imported", p.sessions_imported)
    }
}

fn import(library_path: &Path, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let mut library = open_library(library_path)?;
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} files · {msg} · {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write_error = None;
    let read_options = ReadOptions {
        keep_typed_values: args.keep_typed_values,
        limits: args.limits.limits(),
        ..ReadOptions::default()
    };
    let summary = library.import_paths(
        &args.paths,
        &read_options,
        &AtomicBool::new(false),
        &mut |p, outcome| {
            if let Some(bar) = &progress {
                bar.set_length(p.files_total as u64);
                bar.set_position(p.files_done as u64);
                bar.set_message(progress_text(p));
            }
            let Some(outcome) = outcome else { return };
            // Results on standard output (one JSON object per file with --json); in text mode a
            // failed file is a diagnostic and goes to standard error, like its warnings.
            if args.json {
                let line = serde_json::to_string(outcome).unwrap_or_default();
                if let Err(e) = writeln!(out, "{line}") {
                    write_error.get_or_insert(e);
                }
            } else {
                if outcome.status == FileStatus::Failed {
                    eprintln!(
                        "failed: {}",
                        outcome.error.as_deref().unwrap_or("unknown error")
                    );
                }
                for warning in &outcome.warnings {
                    eprintln!("warning: {}: {warning}", outcome.file);
                }
            }
        },
    )?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(e) = write_error {
        return Err(e).context("writing to standard output");
    }
    if !args.json {
        writeln!(
            out,
            "{} files: {} sessions imported, {} skipped as duplicates, {} files failed",
            summary.files.len(),
            summary.sessions_imported,
            summary.sessions_duplicate,
            summary.files_failed
        )?;
    }
    Ok(if summary.files_failed > 0 {
        ExitCode::from(exit_code::SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Turns the filter arguments into a store filter.
pub fn session_filter(args: &FilterArgs) -> anyhow::Result<SessionFilter> {
    let text = crate::model::FilterText {
        page: args.page.clone(),
        device: args.device.map(DeviceArg::class),
        min_viewport_width: args.min_width,
        max_viewport_width: args.max_width,
        source: args.source.clone(),
        from: args.from.clone(),
        to: args.to.clone(),
        zone: args.tz.clone(),
        converted: args.converted.map(YesNo::is_yes),
        has_signal: args.has_signal.clone(),
        has_event: args.has_event.clone(),
    };
    Ok(text.parse()?)
}

fn list(library_path: &Path, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let filter = session_filter(&args.filter)?;
    let sort = match args.sort {
        ListSort::Newest => SessionSort::NewestFirst,
        ListSort::Oldest => SessionSort::OldestFirst,
        ListSort::Longest => SessionSort::LongestFirst,
        ListSort::Clicks => SessionSort::MostClicksFirst,
    };
    let rows = library.list_sessions(
        &filter,
        sort,
        args.offset,
        args.limit.unwrap_or(u64::MAX >> 1),
    )?;
    // `--converted` says for which conversion goal (a field of each row in JSON).
    let goal = match filter.converted {
        Some(_) => Some(library.conversion_goal()?),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut rows = serde_json::to_value(&rows)?;
        if let (Some(goal), Some(rows)) = (&goal, rows.as_array_mut()) {
            for row in rows.iter_mut().filter_map(serde_json::Value::as_object_mut) {
                row.insert("conversion_goal".to_owned(), goal.name.clone().into());
            }
        }
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        if let Some(goal) = &goal {
            writeln!(out, "conversion goal: {} ({})", goal.name, goal.rule())?;
        }
        let total = library.count_sessions(&filter)?;
        print_session_table(&mut out, &rows, total)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(library_path: &Path, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let session = library.load_session(&args.session_id)?;
    // Converted for the library's conversion goal, as stored (not the recorded events alone).
    let (converted, revenue) = library
        .session_conversion(&session.session_id)?
        .unwrap_or_else(|| (session.converted(), session.revenue()));
    let mut json = session_json(&session);
    if let Some(object) = json.as_object_mut() {
        object.insert("converted".to_owned(), converted.into());
        object.insert("revenue".to_owned(), revenue.into());
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "session   {}", session.session_id)?;
    writeln!(
        out,
        "started   {} UTC",
        time::format_utc(session.started_at_ms)
    )?;
    writeln!(
        out,
        "duration  {}",
        time::format_duration(session.duration_ms)
    )?;
    let v = session.initial_viewport();
    writeln!(
        out,
        "device    {} ({} x {} px)",
        session.device, v.width, v.height
    )?;
    writeln!(out, "source    {}", session.source.channel())?;
    writeln!(
        out,
        "events    {} ({} clicks)",
        session.events.len(),
        session.num_clicks()
    )?;
    match revenue {
        Some(revenue) if converted => writeln!(out, "converted yes ({revenue:.2})")?,
        _ => writeln!(out, "converted {}", if converted { "yes" } else { "no" })?,
    }
    writeln!(
        out,
        "\n{:>9} {:>9} {:>7} {:>9}  url",
        "entered", "time", "clicks", "depth px"
    )?;
    for (page, stats) in session.pages.iter().zip(session.page_stats()) {
        writeln!(
            out,
            "{:>9} {:>9} {:>7} {:>9}  {}",
            time::format_duration(page.entered_at_ms - session.started_at_ms),
            time::format_duration(page.duration_ms()),
            stats.num_clicks,
            stats.max_depth_px.round(),
            page.url
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn events(library_path: &Path, args: &EventsArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let session = library.load_session(&args.session_id)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for json in event_json(&session, args.reveal_typed_values) {
        let kind = json.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let family = match kind {
            "focus" | "blur" => "input",
            "element_scroll" => "scroll",
            "network_error" => "error",
            "form_field" | "field_error" | "field_error_cleared" | "form_submit" => "form",
            other => other,
        };
        if args.kind.is_some_and(|k| k.as_str() != family) {
            continue;
        }
        if args.json {
            serde_json::to_writer(&mut out, &json)?;
            writeln!(out)?;
        } else {
            let elapsed = json
                .get("elapsed_ms")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            let mut detail = json.clone();
            if let Some(map) = detail.as_object_mut() {
                for k in ["session_id", "timestamp_ms", "elapsed_ms", "kind", "page"] {
                    map.remove(k);
                }
            }
            writeln!(
                out,
                "{:>10}  {kind:<14} {detail}",
                format!(
                    "+{}.{:03}",
                    time::format_duration(elapsed),
                    elapsed.rem_euclid(1000)
                )
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn convert(args: &ConvertArgs) -> anyhow::Result<ExitCode> {
    let loaded = crate::format::load_path(&args.input, &ReadOptions::default())?;
    for warning in loaded.warnings.lines() {
        eprintln!("warning: {}: {warning}", args.input.display());
    }
    let name = args.out.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let gzip = name.ends_with(".gz");
    let stem = name
        .trim_end_matches(".gz")
        .trim_end_matches(".json")
        .trim_end_matches(".session");
    let single = loaded.sessions.len() == 1;
    for session in &loaded.sessions {
        let path = if single {
            args.out.clone()
        } else {
            let safe: String = session
                .session_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            args.out.with_file_name(format!(
                "{stem}-{safe}.session.json{}",
                if gzip { ".gz" } else { "" }
            ))
        };
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut writer = std::io::BufWriter::new(file);
        if gzip {
            native::write_session_gz(&mut writer, session)
                .with_context(|| format!("writing {}", path.display()))?;
        } else {
            native::write_session(&mut writer, session)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        writer
            .flush()
            .with_context(|| format!("writing {}", path.display()))?;
        outln!(
            "{}: session {} ({} events, {} page views)",
            path.display(),
            session.session_id,
            session.events.len(),
            session.pages.len()
        );
    }
    if loaded.sessions.is_empty() {
        bail!("{}: no sessions in the input", args.input.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn notes(library_path: &Path, args: &NotesArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let notes = library.notes(args.session.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.csv {
        crate::format::notes::write_csv(&mut out, &notes)?;
    } else if args.markdown {
        crate::format::notes::write_markdown(&mut out, &notes)?;
    } else if args.json {
        for note in &notes {
            serde_json::to_writer(&mut out, note)?;
            writeln!(out)?;
        }
    } else {
        for note in &notes {
            writeln!(
                out,
                "{}  {} UTC  {}",
                note.session_id,
                time::format_utc(note.timestamp_ms),
                note.text.replace('\n', " ")
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn screenshot(library_path: &Path, command: ScreenshotCommand) -> anyhow::Result<ExitCode> {
    let mut library = open_library(library_path)?;
    match command {
        ScreenshotCommand::Add { url, width, file } => {
            let png =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (image_width, _) =
                crate::format::png_dimensions(&png, &file.display().to_string())?;
            let info = library.add_screenshot(&url, width.unwrap_or(image_width), png, "manual")?;
            outln!(
                "attached {} x {} px screenshot to {} at width {} px",
                info.width,
                info.height,
                info.url,
                info.layout_width
            );
        }
        ScreenshotCommand::List { json } => {
            let shots = library.screenshots()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&shots)?);
            } else {
                outln!("{:>6} {:>12}  {:<8}  url", "width", "image px", "origin");
                for s in shots {
                    outln!(
                        "{:>6} {:>12}  {:<8}  {}",
                        s.layout_width,
                        format!("{}x{}", s.width, s.height),
                        s.origin,
                        s.url
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn demo_generate(options: &GenerateOptions, out: &Path) -> anyhow::Result<ExitCode> {
    if options.sessions == 0 {
        bail!("--sessions must be at least 1");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for index in 0..options.sessions {
        let session = demo::generate_session(options, index);
        let path = out.join(format!("{}.session.json", session.session_id));
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut writer = std::io::BufWriter::new(file);
        native::write_session(&mut writer, &session)
            .with_context(|| format!("writing {}", path.display()))?;
        writer
            .flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    outln!("wrote {} sessions to {}", options.sessions, out.display());
    Ok(ExitCode::SUCCESS)
}

fn demo_into_library(library_path: &Path, options: &GenerateOptions) -> anyhow::Result<ExitCode> {
    if options.sessions == 0 {
        bail!("--sessions must be at least 1");
    }
    let mut library = open_library(library_path)?;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let added = demo::fill_library(library.as_mut(), options, &cancel, &mut |done, total| {
        eprint!("\rgenerated {done}/{total}");
    })?;
    eprintln!();
    outln!(
        "added {added} simulated sessions to {} ({} were already there)",
        library_path.display(),
        options.sessions - added
    );
    Ok(ExitCode::SUCCESS)
}

fn demo_calibrate(sessions: usize, seed: u64, json: bool) -> anyhow::Result<ExitCode> {
    if sessions == 0 {
        bail!("--sessions must be at least 1");
    }
    let generated = demo::generate(&GenerateOptions {
        sessions,
        seed,
        ..GenerateOptions::default()
    });
    let figures = demo::calibrate(&generated);
    if json {
        outln!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        out!("{}", figures.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn signals(library_path: &Path, args: &SignalsArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let query = SignalQuery {
        filter: session_filter(&args.filter)?,
        session_id: args.session.clone(),
        kinds: args.kind.clone(),
        page: args.filter.page.clone(),
    };
    if let Some(id) = &args.session {
        // An unknown id is an error, not an empty list.
        library.session_signals(id)?;
    }
    let found = library.signals(&query)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.format.json {
        for signal in &found {
            serde_json::to_writer(&mut out, signal)?;
            writeln!(out)?;
        }
    } else if args.format.csv {
        writeln!(out, "{SIGNAL_CSV_HEADER}")?;
        for signal in &found {
            writeln!(out, "{}", signal_csv(signal))?;
        }
    } else {
        print_signal_table(&mut out, &found)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn hotspots(library_path: &Path, args: &HotspotsArgs) -> anyhow::Result<ExitCode> {
    let library = open_library(library_path)?;
    let filter = session_filter(&args.filter)?;
    let sort = if args.sort == HotspotSortArg::Loss {
        HotspotSort::EstimatedLoss
    } else {
        HotspotSort::SessionsAffected
    };
    let mut table = library.hotspots(&filter, &args.kind, args.filter.page.as_deref(), sort)?;
    if let Some(limit) = args.limit {
        table.truncate(limit);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.format.json {
        for hotspot in &table {
            serde_json::to_writer(&mut out, &hotspot_json(hotspot))?;
            writeln!(out)?;
        }
    } else if args.format.csv {
        writeln!(out, "{HOTSPOT_CSV_HEADER}")?;
        for hotspot in &table {
            writeln!(out, "{}", hotspot_csv(hotspot))?;
        }
    } else {
        print_hotspot_table(&mut out, &table)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn recompute_signals(library_path: &Path, args: &RecomputeArgs) -> anyhow::Result<ExitCode> {
    let mut library = open_library(library_path)?;
    let settings = if args.strict_rage {
        SignalSettings::strict_rage()
    } else if args.defaults {
        SignalSettings::default()
    } else {
        library.signal_settings()?
    };
    let summary = library.recompute_signals(&settings)?;
    outln!(
        "recomputed {} signals over {} sessions",
        summary.signals,
        summary.sessions
    );
    Ok(ExitCode::SUCCESS)
}
