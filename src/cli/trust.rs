//! `rebuild-library`, `library copy` and `redact`: recovering a damaged library, moving a
//! library between backends, and removing personal data.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::LimitArgs;
use crate::format::ReadOptions;
use crate::format::redact::{DEFAULT_QUERY_KEYS, RedactOptions, redact_bytes};
use crate::store::rebuild_library;

/// `rebuild-library`.
#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Input limits for the re-import.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `library …`.
#[derive(Debug, clap::Subcommand)]
pub enum LibraryCommand {
    /// Copy every session (with its signals, event hits and conversion), event definition,
    /// the conversion goal, sections, notes and screenshots from one library into another:
    /// SQLite to ClickHouse or back. Running it again copies only what is missing.
    ///
    /// Example: `sessionlens library copy --from shop.sqlite --to clickhouse://analyst@db:8123/shop`
    Copy {
        /// The library to read: a SQLite file or `clickhouse://USER@HOST:PORT/DATABASE`.
        #[arg(long, value_name = "PATH|URL")]
        from: PathBuf,
        /// The library to write (created when missing): a SQLite file or a ClickHouse URL.
        #[arg(long, value_name = "PATH|URL")]
        to: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `library copy`.
pub fn library(command: &LibraryCommand) -> anyhow::Result<ExitCode> {
    let LibraryCommand::Copy { from, to, json } = command;
    if from == to {
        anyhow::bail!("--from and --to name the same library");
    }
    if !crate::store::is_server_location(from) && !from.exists() {
        anyhow::bail!("{}: no library there to copy from", from.display());
    }
    let source = crate::store::open_store(from)
        .with_context(|| format!("opening the library {}", from.display()))?;
    let mut target = crate::store::open_store(to)
        .with_context(|| format!("opening the library {}", to.display()))?;
    let summary =
        crate::store::copy_library(source.as_ref(), target.as_mut(), &mut |done, total| {
            eprint!("\rcopied {done}/{total} sessions");
        })
        .with_context(|| format!("copying {} to {}", source.location(), target.location()))?;
    eprintln!();
    let mut out = std::io::stdout().lock();
    if *json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} → {}: {} sessions copied ({} already there), {} definitions, {} sections, {} form names, {} notes, {} screenshots{}{}",
            source.location(),
            target.location(),
            summary.sessions_copied,
            summary.sessions_skipped,
            summary.definitions,
            summary.sections,
            summary.form_names,
            summary.notes,
            summary.screenshots,
            if summary.goal_set {
                ", conversion goal set"
            } else {
                ""
            },
            if summary.signal_settings_set {
                ", signal thresholds set"
            } else {
                ""
            },
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The recording or bundle (native, rrweb JSON or JSON Lines, PostHog export, `.slbundle`,
    /// optionally gzip-compressed).
    pub input: PathBuf,
    /// Where to write the redacted copy (same format as the input).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Another query-string key whose values are personal (repeatable; added to the defaults).
    #[arg(long = "query-key", value_name = "KEY")]
    pub query_keys: Vec<String>,
    /// Print what was replaced as JSON.
    #[arg(long)]
    pub json: bool,
    /// Input limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn rebuild(library_path: &Path, args: &RebuildArgs) -> anyhow::Result<ExitCode> {
    if crate::store::is_server_location(library_path) {
        anyhow::bail!(
            "{}: rebuild-library repairs a SQLite library file; a library on a ClickHouse server is kept by the server (its own replicas and backups); to start over, copy a good library into a new database with `sessionlens library copy`",
            library_path.display()
        );
    }
    if !library_path.exists() {
        anyhow::bail!(
            "{}: no library there to rebuild (choose one with --library)",
            library_path.display()
        );
    }
    let options = ReadOptions {
        limits: args.limits.limits(),
        ..ReadOptions::default()
    };
    let report = rebuild_library(library_path, &options, &mut |progress, outcome| {
        let Some(outcome) = outcome else { return };
        if let Some(error) = &outcome.error {
            eprintln!("failed: {error}");
        } else if !args.json {
            eprintln!(
                "{}/{} re-imported {}",
                progress.files_done, progress.files_total, outcome.file
            );
        }
    })
    .with_context(|| format!("rebuilding the library {}", library_path.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "rebuilt {}: {} sessions from {} original files",
            library_path.display(),
            report.sessions,
            report.files_reimported
        )?;
        writeln!(
            out,
            "the damaged library is kept at {}",
            report.damaged_kept_at
        )?;
        writeln!(
            out,
            "original recordings: {} from the manifest{}, {} more named only by the damaged library, {} gone",
            report.files_from_manifest,
            if report.manifest_found {
                ""
            } else {
                " (none found)"
            },
            report.files_only_in_library,
            report.files_missing.len()
        )?;
        for (table, rows) in &report.salvaged {
            writeln!(out, "salvaged {rows} rows of {table}")?;
        }
        for what in &report.unreadable {
            writeln!(out, "unreadable: {what}")?;
        }
        for file in &report.files_missing {
            writeln!(out, "missing original: {file}")?;
        }
        if report.sessions_without_file > 0 {
            writeln!(
                out,
                "{} sessions had no original file (generated samples); they are not rebuilt",
                report.sessions_without_file
            )?;
        }
    }
    Ok(
        if report.files_failed.is_empty() && report.files_missing.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(super::exit_code::SOME_FAILED)
        },
    )
}

pub fn redact(args: &RedactArgs) -> anyhow::Result<ExitCode> {
    let name = args.input.display().to_string();
    let limits = args.limits.limits();
    let meta = std::fs::metadata(&args.input).with_context(|| format!("reading {name}"))?;
    if meta.is_dir() {
        anyhow::bail!("{name}: redact reads one file; zip a bundle folder first");
    }
    if meta.len() > limits.max_inflated_bytes {
        anyhow::bail!(
            "{name}: a file of {} bytes exceeds the limit of {} bytes (--max-file-mib)",
            meta.len(),
            limits.max_inflated_bytes
        );
    }
    let bytes = std::fs::read(&args.input).with_context(|| format!("reading {name}"))?;
    let mut query_keys: Vec<String> = DEFAULT_QUERY_KEYS.iter().map(|k| (*k).to_owned()).collect();
    query_keys.extend(args.query_keys.iter().map(|k| k.to_ascii_lowercase()));
    let options = RedactOptions { query_keys, limits };
    let (redacted, stats) = redact_bytes(&bytes, &name, &options)?;
    // Written beside the target and renamed into place, so a failure leaves no half file.
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing beside {}", args.out.display()))?;
    temp.write_all(&redacted)
        .with_context(|| format!("writing {}", args.out.display()))?;
    temp.persist(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &stats)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}: {} typed values, {} query values, {} e-mail addresses, {} IP addresses redacted",
            args.out.display(),
            stats.input_values,
            stats.query_values,
            stats.emails,
            stats.ip_addresses
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
