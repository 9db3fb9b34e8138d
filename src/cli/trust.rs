//! `rebuild-library` and `redact`: recovering a damaged library and removing personal data.

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
