//! Rebuilding a damaged library: the damaged file is kept under a new name, what can still be
//! read of it (reviewers' notes, event definitions, settings, attached screenshots, and the list
//! of original recordings) is salvaged row by row, and the recordings are imported again into a
//! fresh library at the same path. The list of recordings comes first from the import manifest
//! kept beside the library ([`super::manifest`]), which no damage to the SQLite file reaches,
//! and also from the damaged file's `sessions` table as far as it can be read (libraries made
//! before the manifest existed, or a manifest line lost in a crash).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::import::{FileOutcome, ImportProgress};
use super::{Library, StoreError};
use crate::format::ReadOptions;

/// Tables copied from the damaged library as they are, in this order (screenshots before the
/// page mapping that references them; event definitions before the import, so their hits are
/// recomputed for every re-imported session).
const SALVAGED_TABLES: &[(&str, &[&str])] = &[
    ("settings", &["key", "value"]),
    (
        "event_defs",
        &[
            "name",
            "kind",
            "pattern",
            "value_from_event",
            "stage",
            "weight",
            "created_at_ms",
        ],
    ),
    (
        "screenshots",
        &["hash", "width", "height", "png", "added_at_ms"],
    ),
    (
        "page_screenshots",
        &["url", "layout_width", "hash", "origin", "priority"],
    ),
    (
        "sections",
        &["name", "page", "top_px", "bottom_px", "created_at_ms"],
    ),
    ("form_names", &["page", "form", "name"]),
    (
        "notes",
        &[
            "session_id",
            "timestamp_ms",
            "text",
            "created_at_ms",
            "updated_at_ms",
        ],
    ),
];

/// Rows read from one table.
type Rows = Vec<Vec<Value>>;

/// What a rebuild did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RebuildReport {
    /// Where the damaged library was moved (kept, never deleted).
    pub damaged_kept_at: String,
    /// Rows salvaged per table, in [`SALVAGED_TABLES`] order.
    pub salvaged: Vec<(String, usize)>,
    /// Tables (or their tails) that could not be read, with SQLite's reason.
    pub unreadable: Vec<String>,
    /// Original recordings found and imported again.
    pub files_reimported: usize,
    /// Whether the damaged library had an import manifest beside it.
    pub manifest_found: bool,
    /// Original recordings listed in the manifest.
    pub files_from_manifest: usize,
    /// Original recordings listed only in the damaged file's `sessions` table.
    pub files_only_in_library: usize,
    /// Manifest lines that could not be read (a torn last line, damage).
    pub manifest_lines_ignored: usize,
    /// Sessions in the rebuilt library.
    pub sessions: u64,
    /// Original recordings that no longer exist.
    pub files_missing: Vec<String>,
    /// Salvaged rows that could not be written into the new library (damaged values).
    pub rows_skipped: usize,
    /// Files that failed to import, with the reason.
    pub files_failed: Vec<String>,
    /// Sessions of the damaged library with no original file (generated samples, say).
    pub sessions_without_file: u64,
}

/// The name the damaged library is kept under: `<file>.damaged-<epoch ms>`.
fn damaged_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".damaged-{}", super::now_ms()));
    PathBuf::from(name)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves the library file (and its `-wal`/`-shm` companions and its import manifest) aside to
/// `<file>.damaged-<epoch ms>`, never deleting it; returns the new name. A new library can then
/// be created at `path`, with a manifest of its own.
pub fn set_library_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let io = |p: &Path| {
        let p = p.display().to_string();
        move |error| StoreError::Io { path: p, error }
    };
    let kept = damaged_name(path);
    std::fs::rename(path, &kept).map_err(io(path))?;
    for suffix in ["-wal", "-shm", super::manifest::MANIFEST_SUFFIX] {
        let from = sidecar(path, suffix);
        if from.exists() {
            std::fs::rename(&from, sidecar(&kept, suffix)).map_err(io(&from))?;
        }
    }
    Ok(kept)
}

/// Reads `columns` of `table` row by row; a damaged page ends the scan, keeping what was read.
fn salvage_rows(
    old: &Connection,
    table: &str,
    columns: &[&str],
    unreadable: &mut Vec<String>,
) -> Vec<Vec<Value>> {
    let sql = format!("SELECT {} FROM {table}", columns.join(", "));
    let mut rows = Vec::new();
    let mut stmt = match old.prepare(&sql) {
        Ok(stmt) => stmt,
        // A table newer than the damaged library (`form_names` in a schema-8 file): nothing
        // to salvage, unless the schema itself is unreadable (then every table says so).
        Err(e)
            if e.to_string().starts_with("no such table")
                && old
                    .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .is_ok() =>
        {
            return rows;
        }
        Err(e) => {
            unreadable.push(format!("{table}: {e}"));
            return rows;
        }
    };
    let mut cursor = match stmt.query([]) {
        Ok(cursor) => cursor,
        Err(e) => {
            unreadable.push(format!("{table}: {e}"));
            return rows;
        }
    };
    loop {
        match cursor.next() {
            Ok(Some(row)) => {
                let values: Result<Vec<Value>, _> =
                    (0..columns.len()).map(|i| row.get::<_, Value>(i)).collect();
                match values {
                    Ok(values) => rows.push(values),
                    Err(e) => {
                        unreadable.push(format!("{table} after {} rows: {e}", rows.len()));
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                unreadable.push(format!("{table} after {} rows: {e}", rows.len()));
                break;
            }
        }
    }
    rows
}

/// Rebuilds the library at `path`: moves the damaged file (and its `-wal`/`-shm` companions)
/// aside, salvages what it can, creates a new library at `path` and imports the original
/// recordings again. `on_progress` reports the import's progress.
pub fn rebuild_library(
    path: &Path,
    options: &ReadOptions,
    on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
) -> Result<RebuildReport, StoreError> {
    let kept = set_library_aside(path)?;
    let mut report = RebuildReport {
        damaged_kept_at: kept.display().to_string(),
        ..RebuildReport::default()
    };

    let mut salvaged: Vec<(&str, &[&str], Rows)> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    match super::manifest::read(&super::manifest::manifest_path(&kept)) {
        Ok(Some(manifest)) => {
            report.manifest_found = true;
            report.manifest_lines_ignored = manifest.lines_ignored;
            sources = manifest.files();
            report.files_from_manifest = sources.len();
        }
        Ok(None) => {}
        Err(e) => report.unreadable.push(e.to_string()),
    }
    let mut seen: std::collections::HashSet<String> = sources.iter().cloned().collect();
    match Connection::open_with_flags(
        &kept,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(old) => {
            for (table, columns) in SALVAGED_TABLES {
                let rows = salvage_rows(&old, table, columns, &mut report.unreadable);
                report.salvaged.push(((*table).to_owned(), rows.len()));
                salvaged.push((table, columns, rows));
            }
            let files = salvage_rows(&old, "sessions", &["source_file"], &mut report.unreadable);
            for row in files {
                match row.into_iter().next() {
                    Some(Value::Text(file)) if !file.is_empty() => {
                        if seen.insert(file.clone()) {
                            report.files_only_in_library += 1;
                            sources.push(file);
                        }
                    }
                    _ => report.sessions_without_file += 1,
                }
            }
        }
        Err(e) => report
            .unreadable
            .push(format!("{}: cannot be opened: {e}", kept.display())),
    }

    let mut library = Library::open(path)?;
    {
        let tx = library
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (table, columns, rows) in &salvaged {
            let placeholders = vec!["?"; columns.len()].join(", ");
            let sql = format!(
                "INSERT OR REPLACE INTO {table} ({}) VALUES ({placeholders})",
                columns.join(", ")
            );
            let mut stmt = tx.prepare(&sql)?;
            for row in rows {
                // A value damaged in a way SQLite did not notice (a dangling reference, a
                // wrong type) costs its row, not the rebuild.
                if stmt
                    .execute(rusqlite::params_from_iter(row.iter()))
                    .is_err()
                {
                    report.rows_skipped += 1;
                }
            }
        }
        tx.commit()?;
    }
    library.invalidate_index();

    let (present, missing): (Vec<String>, Vec<String>) =
        sources.into_iter().partition(|f| Path::new(f).exists());
    report.files_missing = missing;
    let paths: Vec<PathBuf> = present.iter().map(PathBuf::from).collect();
    if !paths.is_empty() {
        let summary =
            library.import_paths(&paths, options, &AtomicBool::new(false), on_progress)?;
        report.files_reimported = summary.files.len() - summary.files_failed;
        report.files_failed = summary
            .files
            .iter()
            .filter_map(|f| f.error.clone())
            .collect();
    }
    report.sessions = library.num_sessions()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuild_keeps_the_damaged_file_and_reimports_the_originals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recording = dir.path().join("a.json");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/rrweb/quick-back-desktop.json"
            ),
            &recording,
        )
        .expect("copy fixture");
        let path = dir.path().join("lib.sqlite");
        {
            let mut library = Library::open(&path).expect("open");
            library
                .import_paths(
                    std::slice::from_ref(&recording),
                    &ReadOptions::default(),
                    &AtomicBool::new(false),
                    &mut |_, _| {},
                )
                .expect("import");
            library
                .add_note("quick-back-desktop", 1000, "look here")
                .expect("note");
        }
        let report =
            rebuild_library(&path, &ReadOptions::default(), &mut |_, _| {}).expect("rebuild");
        assert!(Path::new(&report.damaged_kept_at).exists());
        assert_eq!(report.sessions, 1);
        assert_eq!(report.files_reimported, 1);
        let library = Library::open(&path).expect("reopen");
        let notes = library.notes(None).expect("notes");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "look here");
        library.check_integrity().expect("sound");
    }

    #[test]
    fn recordings_come_from_the_manifest_and_from_what_the_library_still_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recording = dir.path().join("a.json");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/rrweb/quick-back-desktop.json"
            ),
            &recording,
        )
        .expect("copy fixture");
        let path = dir.path().join("lib.sqlite");
        let import = |path: &Path| {
            let mut library = Library::open(path).expect("open");
            library
                .import_paths(
                    std::slice::from_ref(&recording),
                    &ReadOptions::default(),
                    &AtomicBool::new(false),
                    &mut |_, _| {},
                )
                .expect("import");
        };
        import(&path);
        // The sessions table loses every row: the manifest alone names the recording.
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch("PRAGMA foreign_keys = ON; DELETE FROM sessions;")
            .expect("delete");
        let report =
            rebuild_library(&path, &ReadOptions::default(), &mut |_, _| {}).expect("rebuild");
        assert!(report.manifest_found);
        assert_eq!(
            (report.files_from_manifest, report.files_only_in_library),
            (1, 0)
        );
        assert_eq!(report.sessions, 1);
        // The manifest went aside with the damaged file; the new library has its own.
        let manifest = super::super::manifest::manifest_path;
        assert!(manifest(Path::new(&report.damaged_kept_at)).exists());
        assert!(manifest(&path).exists());

        // No manifest (a library older than it): the sessions table names the recording.
        std::fs::remove_file(manifest(&path)).expect("remove manifest");
        let report =
            rebuild_library(&path, &ReadOptions::default(), &mut |_, _| {}).expect("rebuild");
        assert!(!report.manifest_found);
        assert_eq!(
            (report.files_from_manifest, report.files_only_in_library),
            (0, 1)
        );
        assert_eq!(report.sessions, 1);
    }
}
