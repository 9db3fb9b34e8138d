//! Importing files, folders and bundles: parsed on worker threads, each file inserted in its own
//! transaction, so a failing file leaves nothing behind and the others still import.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;

use super::library::now_ms;
use super::{Library, StoreError};
use crate::analysis::derive::{DeriveInputs, derive};
use crate::format::{self, Loaded, ReadOptions};

/// What happened to one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// At least one session was imported.
    Imported,
    /// Every session in it was already in the library.
    Duplicate,
    /// It could not be read; nothing of it was stored.
    Failed,
}

/// The outcome for one input file (`sessionlens import --json` prints one per line).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileOutcome {
    /// The file.
    pub file: String,
    /// Imported, duplicate or failed.
    pub status: FileStatus,
    /// Ids of the sessions imported from it.
    pub session_ids: Vec<String>,
    /// Ids of the sessions skipped as duplicates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicate_ids: Vec<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Recoverable problems (skipped events and the like).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Totals of an import.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// One outcome per input file, in input order.
    pub files: Vec<FileOutcome>,
    /// Sessions imported.
    pub sessions_imported: usize,
    /// Sessions skipped because the library already had them.
    pub sessions_duplicate: usize,
    /// Files that failed.
    pub files_failed: usize,
    /// True when the import was cancelled before every file was handled.
    pub cancelled: bool,
}

/// Progress of an import: reported when it starts, after each file and while a large file is
/// read in pieces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files handled so far.
    pub files_done: usize,
    /// Files in all.
    pub files_total: usize,
    /// Sessions imported so far.
    pub sessions_imported: usize,
    /// Sessions written so far from the file being read in pieces: kept only when the whole
    /// file imports, then counted in `sessions_imported`.
    pub sessions_in_file: usize,
}

fn is_candidate_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    !name.starts_with('.')
        && [
            ".json",
            ".json.gz",
            ".jsonl",
            ".jsonl.gz",
            ".gz",
            ".slbundle",
            ".zip",
            ".js",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// True when the file starts with a Sentry replay segment's header line (whatever its name).
fn is_segment_file(path: &Path) -> bool {
    let mut head = Vec::with_capacity(1_024);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 1_024), &mut head))
        .is_ok_and(|_| format::is_sentry_segment(&head))
}

/// True when the file (gzip or plain) is a request body posthog-js sent to capture.
fn is_capture_file(path: &Path) -> bool {
    let mut head = Vec::with_capacity(4_096);
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, 4_096), &mut head).is_err() {
        return false;
    }
    if format::sniff_bytes(&head) == format::InputKind::Gzip {
        let mut inflated = Vec::with_capacity(4_096);
        let Ok(file) = std::fs::File::open(path) else {
            return false;
        };
        let decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
        // A short or broken stream still gives what it inflated; the sniff decides on that.
        let _ = std::io::Read::read_to_end(&mut std::io::Read::take(decoder, 4_096), &mut inflated);
        head = inflated;
    }
    format::is_posthog_capture(&head)
}

/// What joins files into one import unit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Joined {
    /// Sentry replay segment files.
    SentrySegments,
    /// posthog-js capture request bodies.
    CaptureBodies,
}

/// Groups input files into import units: the Sentry replay segment files of one folder form one
/// unit (one replay, one session, one transaction), and so do the posthog-js capture bodies of
/// one folder (a self-hoster's dump: one request a file); each unit is placed where its first file
/// was. Every other input is a unit of its own.
pub fn group_inputs(files: Vec<PathBuf>) -> Vec<Vec<PathBuf>> {
    let mut units: Vec<Vec<PathBuf>> = Vec::with_capacity(files.len());
    // (folder, what joins it, index of its unit in `units`)
    let mut joined_units: Vec<(PathBuf, Joined, usize)> = Vec::new();
    for file in files {
        let joined = if !file.is_file() {
            None
        } else if is_segment_file(&file) {
            Some(Joined::SentrySegments)
        } else if is_capture_file(&file) {
            Some(Joined::CaptureBodies)
        } else {
            None
        };
        let Some(joined) = joined else {
            units.push(vec![file]);
            continue;
        };
        let folder = file.parent().map(Path::to_path_buf).unwrap_or_default();
        match joined_units
            .iter()
            .find(|(f, j, _)| *f == folder && *j == joined)
            .map(|(_, _, i)| i)
        {
            Some(i) => {
                if let Some(unit) = units.get_mut(*i) {
                    unit.push(file);
                }
            }
            None => {
                joined_units.push((folder, joined, units.len()));
                units.push(vec![file]);
            }
        }
    }
    units
}

/// Expands the given paths into input files: files as given; folders recursively (sorted, hidden
/// entries and symbolic links skipped), where a folder holding `manifest.json` is a bundle.
/// Files of a folder are taken by their extension, or, whatever their name, when they are Sentry
/// replay segments (`{"segment_id": N}` header line).
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, StoreError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), StoreError> {
        if dir.join("manifest.json").is_file() {
            out.push(dir.to_owned());
            return Ok(());
        }
        let io = |error| StoreError::Io {
            path: dir.display().to_string(),
            error,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let file_type = entry.file_type().map_err(io)?;
            if hidden || file_type.is_symlink() {
                continue;
            }
            if file_type.is_dir() {
                walk(&path, out)?;
            } else if is_candidate_file(&path) || is_segment_file(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|error| StoreError::Io {
            path: path.display().to_string(),
            error,
        })?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// During an import, point blobs are moved into the URL-clustered table after this many new
/// sessions (and at the end): often enough that heatmaps opened during a long import read mostly
/// clustered blobs, seldom enough that each move is a long sorted run per page.
const FOLD_EVERY_SESSIONS: usize = 2_000;

/// WAL pages between automatic checkpoints during an import (32 MiB of 4 KiB pages), and
/// SQLite's default, restored after it.
const IMPORT_CHECKPOINT_PAGES: i64 = 8_192;
/// Page cache while a file read in pieces is written, KiB.
const PIECES_CACHE_KIB: i64 = 8_192;
const DEFAULT_CHECKPOINT_PAGES: i64 = 1_000;

/// How an import unit is named in outcomes and recorded as the source of its sessions.
pub(crate) struct UnitName<'a> {
    /// The file, or the folder of a group of Sentry segments or capture bodies.
    pub(crate) path: &'a Path,
    /// What outcomes and messages call it.
    pub(crate) file: String,
    /// The absolute path recorded as its sessions' source, so a damaged library can be
    /// rebuilt from the original recordings.
    pub(crate) source: String,
}

impl<'a> UnitName<'a> {
    /// The name of `unit`; `None` for an empty one.
    pub(crate) fn of(unit: &'a [PathBuf]) -> Option<Self> {
        let first = unit.first()?;
        // A group of Sentry segments or capture bodies is named, and recorded, by its folder.
        let path = match (unit.len(), first.parent()) {
            (2.., Some(folder)) => folder,
            _ => first.as_path(),
        };
        let file = if unit.len() > 1 {
            let what = if is_segment_file(first) {
                "Sentry replay segments"
            } else {
                "posthog-js capture bodies"
            };
            format!("{} ({} {what})", path.display(), unit.len())
        } else {
            path.display().to_string()
        };
        let source =
            std::path::absolute(path).map_or_else(|_| file.clone(), |p| p.display().to_string());
        Some(Self { path, file, source })
    }
}

/// How far the import's parsers may run ahead of its writer: a parser waits to take input
/// `index` until the writer has taken every input up to `index - ahead`, so the units parsed
/// but not yet written stay few while the writer keeps input order.
struct Turns {
    written: std::sync::Mutex<usize>,
    turned: std::sync::Condvar,
    ahead: usize,
}

impl Turns {
    fn new(ahead: usize) -> Self {
        Self {
            written: std::sync::Mutex::new(0),
            turned: std::sync::Condvar::new(),
            ahead: ahead.max(1),
        }
    }

    /// Waits until input `index` may be parsed; `false` when `stop` said to stop first.
    fn wait_for(&self, index: usize, stop: &dyn Fn() -> bool) -> bool {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while index >= *written + self.ahead {
            if stop() {
                return false;
            }
            written = self
                .turned
                .wait_timeout(written, std::time::Duration::from_millis(50))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        true
    }

    /// The writer has taken `count` inputs.
    fn set_written(&self, count: usize) {
        *self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = count;
        self.turned.notify_all();
    }
}

/// The parsed units of an import in input order: those that arrive early wait until the ones
/// before them have come. When every parser has stopped, what is left comes in order (a
/// parser stopped by a cancel leaves a gap).
struct InOrder<'a, T> {
    receiver: std::sync::mpsc::Receiver<(usize, T)>,
    early: std::collections::BTreeMap<usize, T>,
    next: usize,
    turns: &'a Turns,
}

impl<'a, T> InOrder<'a, T> {
    fn new(receiver: std::sync::mpsc::Receiver<(usize, T)>, turns: &'a Turns) -> Self {
        Self {
            receiver,
            early: std::collections::BTreeMap::new(),
            next: 0,
            turns,
        }
    }
}

impl<T> Iterator for InOrder<'_, T> {
    type Item = (usize, T);

    fn next(&mut self) -> Option<(usize, T)> {
        loop {
            if let Some(unit) = self.early.remove(&self.next) {
                let index = self.next;
                self.next += 1;
                self.turns.set_written(self.next);
                return Some((index, unit));
            }
            match self.receiver.recv() {
                Ok((index, unit)) => {
                    self.early.insert(index, unit);
                }
                Err(_) => {
                    let (index, unit) = self.early.pop_first()?;
                    self.next = index + 1;
                    self.turns.set_written(self.next);
                    return Some((index, unit));
                }
            }
        }
    }
}

/// Parses `inputs` on up to four threads (`import-parse-N`) and hands what they make to `write`
/// on this thread in input order, whichever is parsed first: of two inputs holding one session,
/// the first one's is kept, run after run. Both backends' imports run on it.
///
/// Each parser keeps a state of its own (`init`, such as a compressor). `parse` takes it, an
/// input's index and paths, and `send`, which hands a result to the writer (`false` once the
/// writer has stopped); it returns `false` to stop its parser. `write` returns
/// [`ControlFlow::Break`] to stop the import, and the parsers with it; setting `cancel` stops
/// the parsers after the input each is reading.
pub(crate) fn parse_in_input_order<S, T: Send>(
    inputs: &[Vec<PathBuf>],
    cancel: &AtomicBool,
    init: impl Fn() -> S + Sync,
    parse: impl Fn(&mut S, usize, &[PathBuf], &dyn Fn(T) -> bool) -> bool + Sync,
    mut write: impl FnMut(usize, T) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4)
        .min(inputs.len().max(1));
    let next = AtomicUsize::new(0);
    let stop_parsers = AtomicBool::new(false);
    let stop = || cancel.load(Ordering::Relaxed) || stop_parsers.load(Ordering::Relaxed);
    let turns = Turns::new(workers * 4);
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<(usize, T)>(workers * 2);
        for worker in 0..workers {
            let sender = sender.clone();
            let (next, turns, stop, init, parse) = (&next, &turns, &stop, &init, &parse);
            let spawned = std::thread::Builder::new()
                .name(format!("import-parse-{worker}"))
                .spawn_scoped(scope, move || {
                    let mut state = init();
                    while !stop() {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(unit) = inputs.get(index) else { break };
                        if !turns.wait_for(index, stop) {
                            break;
                        }
                        let send = |made: T| sender.send((index, made)).is_ok();
                        if !parse(&mut state, index, unit, &send) {
                            break;
                        }
                    }
                });
            if let Err(error) = spawned {
                // The parsers already started stop rather than wait for a writer that never
                // comes.
                stop_parsers.store(true, Ordering::Relaxed);
                return Err(StoreError::Io {
                    path: "import worker thread".to_owned(),
                    error,
                });
            }
        }
        drop(sender);
        for (index, made) in InOrder::new(receiver, &turns) {
            if write(index, made).is_break() {
                break;
            }
        }
        // Stop the parsers, whether the inputs ran out, the writer stopped or a cancel came.
        stop_parsers.store(true, Ordering::Relaxed);
        Ok(())
    })
}

impl Library {
    /// Imports the files (see [`collect_inputs`] for folders, [`group_inputs`] for Sentry
    /// segments). `on_progress` is called when the import starts, after each file (or segment
    /// group) with its outcome, and after each piece of a file read in pieces; setting `cancel`
    /// stops after the file in progress.
    pub fn import_paths(
        &mut self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, StoreError> {
        let inputs = group_inputs(collect_inputs(paths)?);
        let total = inputs.len();
        let mut outcomes: Vec<Option<FileOutcome>> = vec![None; total];
        let mut progress = ImportProgress {
            files_total: total,
            ..ImportProgress::default()
        };
        on_progress(&progress, None);
        let mut library_fault = None;
        let mut unfolded_sessions = 0;
        // The list of imported recordings kept outside the SQLite file (see `manifest`).
        let mut manifest = super::manifest::ManifestWriter::for_library(&self.path);
        // Fewer, larger checkpoints while importing: a page that many files' transactions
        // touch (an index leaf) is then copied into the database once, not once per 1,000 frames.
        self.conn
            .pragma_update(None, "wal_autocheckpoint", IMPORT_CHECKPOINT_PAGES)?;
        let parse = |(): &mut (), _index: usize, path: &[PathBuf], send: &dyn Fn(Unit) -> bool| {
            if let (true, Some(file)) = (format::reads_in_pieces(path, options), path.first()) {
                // A large file goes to the writer piece by piece, through a channel of its own
                // that the writer drains before it takes the next unit.
                let (piece_sender, pieces) = std::sync::mpsc::sync_channel(1);
                if !send(Unit::Pieces(pieces)) {
                    return false;
                }
                let end = format::load_path_in_pieces(file, options, &mut |part| {
                    !cancel.load(Ordering::Relaxed) && piece_sender.send(Piece::Part(part)).is_ok()
                });
                // A writer that stopped taking pieces needs no end.
                let _ = piece_sender.send(Piece::End(end));
                return true;
            }
            send(Unit::Whole(format::load_unit_hashed(path, options)))
        };
        let write = |index: usize, read: Unit| {
            let Some(unit) = inputs.get(index) else {
                return ControlFlow::Continue(());
            };
            let Some(UnitName { path, file, source }) = UnitName::of(unit) else {
                return ControlFlow::Continue(());
            };
            let mut manifest_warning = None;
            if unfolded_sessions >= FOLD_EVERY_SESSIONS {
                if let Err(e) = self.fold_recent_points() {
                    library_fault = Some(super::library::classify_store(&self.path, e));
                    return ControlFlow::Break(());
                }
                unfolded_sessions = 0;
                if let Some(manifest) = manifest.as_mut()
                    && let Err(e) = manifest.sync()
                {
                    manifest_warning = Some(e.to_string());
                }
            }
            let mut file_sha256 = None;
            let mut outcome = match read {
                Unit::Pieces(pieces) => match self.insert_pieces(&source, &pieces, &mut |n| {
                    progress.sessions_in_file = n;
                    on_progress(&progress, None);
                }) {
                    Ok(Ok((outcome, sha256))) => {
                        file_sha256 = sha256;
                        FileOutcome { file, ..outcome }
                    }
                    // A file the user's cancel stopped midway is not done (nothing of it was
                    // kept): the import reports itself cancelled, not the file failed.
                    Ok(Err(_)) if cancel.load(Ordering::Relaxed) => {
                        return ControlFlow::Continue(());
                    }
                    Ok(Err(e)) => failed(&file, e),
                    Err(e) if e.is_library_fault() => {
                        library_fault = Some(super::library::classify_store(&self.path, e));
                        return ControlFlow::Break(());
                    }
                    Err(e) => failed(&file, e.to_string()),
                },
                Unit::Whole(Ok((loaded, sha256))) => match self.insert_loaded(&source, &loaded) {
                    Ok(outcome) => {
                        file_sha256 = sha256;
                        FileOutcome { file, ..outcome }
                    }
                    Err(e) if e.is_library_fault() => {
                        // Stop the parsers and report the library's problem, not the file's.
                        library_fault = Some(super::library::classify_store(&self.path, e));
                        return ControlFlow::Break(());
                    }
                    Err(e) => failed(&file, e.to_string()),
                },
                Unit::Whole(Err(e)) => failed(&file, e.to_string()),
            };
            if let Some(manifest) = manifest.as_mut()
                && !outcome.session_ids.is_empty()
                && let Err(e) = manifest.record_import(
                    path,
                    &source,
                    &outcome.session_ids,
                    file_sha256,
                    now_ms(),
                )
            {
                manifest_warning = Some(e.to_string());
            }
            if let Some(e) = manifest_warning {
                outcome.warnings.push(format!(
                    "the manifest of imported files could not be written ({e}); a rebuild of a damaged library may find this file only through the library"
                ));
            }
            progress.files_done += 1;
            progress.sessions_imported += outcome.session_ids.len();
            progress.sessions_in_file = 0;
            unfolded_sessions += outcome.session_ids.len();
            on_progress(&progress, Some(&outcome));
            if let Some(slot) = outcomes.get_mut(index) {
                *slot = Some(outcome);
            }
            ControlFlow::Continue(())
        };
        let parsed = parse_in_input_order(&inputs, cancel, || (), parse, write);
        self.conn
            .pragma_update(None, "wal_autocheckpoint", DEFAULT_CHECKPOINT_PAGES)?;
        parsed?;
        if let Some(fault) = library_fault {
            return Err(fault);
        }
        // Whatever waits is folded: this import's blobs and any an interrupted import left.
        self.has_recent_points()
            .and_then(|waiting| {
                if waiting {
                    self.fold_recent_points()?;
                }
                Ok(())
            })
            .map_err(|e| super::library::classify_store(&self.path, e))?;
        if let Some(manifest) = manifest.as_mut() {
            manifest.sync()?;
        }
        let cancelled = outcomes.iter().any(Option::is_none);
        let files: Vec<FileOutcome> = outcomes.into_iter().flatten().collect();
        Ok(ImportSummary {
            sessions_imported: files.iter().map(|f| f.session_ids.len()).sum(),
            sessions_duplicate: files.iter().map(|f| f.duplicate_ids.len()).sum(),
            files_failed: files
                .iter()
                .filter(|f| f.status == FileStatus::Failed)
                .count(),
            files,
            cancelled,
        })
    }

    /// Inserts everything read from one file in one transaction.
    pub fn insert_loaded(
        &mut self,
        file: &str,
        loaded: &Loaded,
    ) -> Result<FileOutcome, StoreError> {
        let done = self.in_import_transaction(|tx, inputs, now| {
            let mut inserted = Inserted::default();
            Self::insert_into(tx, file, loaded, now, inputs, &mut inserted)?;
            Ok(Ok::<_, std::convert::Infallible>(inserted.outcome(file)))
        })?;
        self.invalidate_index();
        Ok(done.unwrap_or_else(|never| match never {}))
    }

    /// Runs `body` in one import transaction (`IMMEDIATE`), with the signal settings and event
    /// definitions in force and the import's time: committed when `body` answers `Ok(Ok(..))`,
    /// rolled back when it answers `Ok(Err(..))` or fails.
    fn in_import_transaction<T, R>(
        &mut self,
        body: impl FnOnce(
            &rusqlite::Transaction<'_>,
            &DeriveInputs<'_>,
            i64,
        ) -> Result<Result<T, R>, StoreError>,
    ) -> Result<Result<T, R>, StoreError> {
        let now = now_ms();
        let signal_settings = super::signals::read_settings(&self.conn)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let definitions = super::conversions::definitions_in(&tx)?;
        let inputs = DeriveInputs {
            signal_settings: &signal_settings,
            definitions: &definitions,
        };
        let done = body(&tx, &inputs, now)?;
        if done.is_ok() {
            tx.commit()?;
        }
        // Otherwise dropping the transaction rolls it back.
        Ok(done)
    }

    /// Inserts a file read in pieces (`format::load_path_in_pieces`) in one transaction, piece
    /// by piece as they come: all of its sessions or, when a piece fails, none. `Ok(Err(..))`
    /// is the file's failure (nothing of it stored), with the hash of a file read to its end.
    /// `on_piece` gets the number of sessions written so far after each piece.
    fn insert_pieces(
        &mut self,
        file: &str,
        pieces: &std::sync::mpsc::Receiver<Piece>,
        on_piece: &mut dyn FnMut(usize),
    ) -> Result<Result<(FileOutcome, Option<String>), String>, StoreError> {
        // A smaller page cache while one transaction writes a file of any size: the pages it
        // writes are not read again, and memory stays that of one piece. Restored whatever
        // happens.
        self.conn
            .pragma_update(None, "cache_size", -PIECES_CACHE_KIB)?;
        let done = self.insert_pieces_in_one_transaction(file, pieces, on_piece);
        let restored = self
            .conn
            .pragma_update(None, "cache_size", -super::library::CACHE_KIB);
        self.invalidate_index();
        let done = done?;
        restored?;
        Ok(done)
    }

    /// [`Library::insert_pieces`] without the page cache setting.
    fn insert_pieces_in_one_transaction(
        &mut self,
        file: &str,
        pieces: &std::sync::mpsc::Receiver<Piece>,
        on_piece: &mut dyn FnMut(usize),
    ) -> Result<Result<(FileOutcome, Option<String>), String>, StoreError> {
        self.in_import_transaction(|tx, inputs, now| {
            let mut inserted = Inserted::default();
            let mut unfolded_until = 0;
            loop {
                match pieces.recv() {
                    Ok(Piece::Part(loaded)) => {
                        Self::insert_into(tx, file, &loaded, now, inputs, &mut inserted)?;
                        // Folded as the import of many files folds them, every few thousand
                        // sessions: each sort of the waiting points stays as small.
                        if inserted.session_ids.len() >= unfolded_until + FOLD_EVERY_SESSIONS {
                            Self::fold_recent_points_in(tx)?;
                            unfolded_until = inserted.session_ids.len();
                        }
                        on_piece(inserted.session_ids.len());
                    }
                    Ok(Piece::End(Ok(sha256))) => {
                        break Ok(Ok((inserted.outcome(file), sha256)));
                    }
                    Ok(Piece::End(Err(e))) => break Ok(Err(e.to_string())),
                    Err(_) => {
                        break Ok(Err(
                            "the reader stopped before the end of the file".to_owned()
                        ));
                    }
                }
            }
        })
    }

    /// Inserts the sessions and screenshots of `loaded` in `tx`, adding to `inserted`.
    fn insert_into(
        tx: &rusqlite::Transaction<'_>,
        file: &str,
        loaded: &Loaded,
        now: i64,
        inputs: &DeriveInputs<'_>,
        inserted: &mut Inserted,
    ) -> Result<(), StoreError> {
        for session in &loaded.sessions {
            if Self::insert_session(tx, session, file, now)? {
                let rowid: i64 = tx
                    .prepare_cached("SELECT session_rowid FROM sessions WHERE session_id = ?1")?
                    .query_row([&session.session_id], |r| r.get(0))?;
                // The registered derivations (analysis::derive) compute; the store persists.
                let derived = derive(session, inputs);
                super::signals::write_signals(tx, rowid, &derived.signals)?;
                super::conversions::insert_hits(
                    tx,
                    rowid,
                    &derived.event_hits,
                    inputs.definitions,
                )?;
                super::forms::write_form_facts(
                    tx,
                    rowid,
                    &session.session_id,
                    &derived.form_views,
                )?;
                inserted.session_ids.push(session.session_id.clone());
            } else {
                inserted.duplicate_ids.push(session.session_id.clone());
            }
        }
        for shot in &loaded.screenshots {
            Self::insert_screenshot(tx, shot, "bundle", now)?;
        }
        inserted.warnings.merge(loaded.warnings.clone());
        for session in &loaded.sessions {
            for (index, page) in session.pages.iter().enumerate() {
                let Some(hash) = &page.screenshot else {
                    continue;
                };
                let known: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM screenshots WHERE hash = ?1)")?
                    .query_row([hash], |r| r.get(0))?;
                if !known {
                    inserted.warnings.add("missing screenshots", || {
                        format!("session {}: pages[{index}].screenshot {hash} is neither in the file nor in the library; the page is shown without it", session.session_id)
                    });
                }
            }
        }
        Ok(())
    }
}

/// What a file's transaction has inserted so far.
#[derive(Default)]
struct Inserted {
    session_ids: Vec<String>,
    duplicate_ids: Vec<String>,
    warnings: format::Warnings,
}

impl Inserted {
    fn outcome(self, file: &str) -> FileOutcome {
        let status = if self.session_ids.is_empty() && !self.duplicate_ids.is_empty() {
            FileStatus::Duplicate
        } else {
            FileStatus::Imported
        };
        FileOutcome {
            file: file.to_owned(),
            status,
            session_ids: self.session_ids,
            duplicate_ids: self.duplicate_ids,
            error: None,
            warnings: self.warnings.lines(),
        }
    }
}

/// What a parse worker hands the writer for one import unit.
enum Unit {
    /// The unit read whole, with the SHA-256 of a single file.
    Whole(Result<(Loaded, Option<String>), format::FormatError>),
    /// A file read in pieces: its pieces come through this channel.
    Pieces(std::sync::mpsc::Receiver<Piece>),
}

/// One message of a file read in pieces.
enum Piece {
    /// Sessions read so far.
    Part(Loaded),
    /// The end of the file: its SHA-256, or why it failed.
    End(Result<Option<String>, format::FormatError>),
}

fn failed(file: &str, error: String) -> FileOutcome {
    FileOutcome {
        file: file.to_owned(),
        status: FileStatus::Failed,
        session_ids: Vec::new(),
        duplicate_ids: Vec::new(),
        error: Some(error),
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(library: &mut Library, path: &Path, options: &ReadOptions) -> ImportSummary {
        library
            .import_paths(
                &[path.to_path_buf()],
                options,
                &AtomicBool::new(false),
                &mut |_, _| {},
            )
            .unwrap()
    }

    /// Two files with the same session: the first file's is kept, even when the second is
    /// parsed long before it (a large first file, two parsers), run after run.
    #[test]
    fn the_first_input_holding_a_session_is_kept_whichever_is_parsed_first() {
        let dir = tempfile::tempdir().unwrap();
        let options = crate::demo::GenerateOptions {
            sessions: 1,
            seed: 3,
            ..crate::demo::GenerateOptions::default()
        };
        let small = crate::demo::generate_session(&options, 0);
        let large = crate::demo::with_pointer_tail(&small, 150_000);
        let write = |name: &str, session: &crate::model::Session| {
            let path = dir.path().join(name);
            let file = std::fs::File::create(&path).unwrap();
            crate::format::native::write_session(std::io::BufWriter::new(file), session).unwrap();
            path
        };
        let first = write("a-large.session.json", &large);
        let second = write("b-small.session.json", &small);
        let whole = ReadOptions {
            read_in_pieces_above_bytes: Some(u64::MAX),
            ..ReadOptions::default()
        };
        for run in 0..3 {
            let mut library = Library::open(&dir.path().join(format!("{run}.sqlite"))).unwrap();
            let summary = library
                .import_paths(
                    &[first.clone(), second.clone()],
                    &whole,
                    &AtomicBool::new(false),
                    &mut |_, _| {},
                )
                .unwrap();
            assert_eq!(
                (summary.sessions_imported, summary.sessions_duplicate),
                (1, 1),
                "{summary:?}"
            );
            assert_eq!(
                summary.files[0].session_ids,
                std::slice::from_ref(&small.session_id)
            );
            assert_eq!(
                summary.files[1].duplicate_ids,
                std::slice::from_ref(&small.session_id)
            );
            let kept = library.load_session(&small.session_id).unwrap();
            assert_eq!(kept.events.len(), large.events.len(), "run {run}");
        }
    }

    /// A JSON Lines file read in pieces imports the sessions a whole read imports, in one
    /// transaction: a broken line at its end leaves nothing of it in the library.
    #[test]
    fn a_file_read_in_pieces_imports_like_a_whole_file_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("three.capture.jsonl");
        let text = crate::format::rrweb::tests::interleaved_capture_lines();
        std::fs::write(&file, &text).unwrap();
        let in_pieces = ReadOptions {
            read_in_pieces_above_bytes: Some(0),
            ..ReadOptions::default()
        };

        let mut whole = Library::open(&dir.path().join("whole.sqlite")).unwrap();
        let expected = import(&mut whole, &file, &ReadOptions::default());
        let mut pieces = Library::open(&dir.path().join("pieces.sqlite")).unwrap();
        let mut reports: Vec<(ImportProgress, bool)> = Vec::new();
        let got = pieces
            .import_paths(
                std::slice::from_ref(&file),
                &in_pieces,
                &AtomicBool::new(false),
                &mut |progress, outcome| reports.push((*progress, outcome.is_some())),
            )
            .unwrap();
        assert_eq!(expected.sessions_imported, 3);
        // Progress: the start, then the sessions written after each piece (one a group here),
        // then the file's outcome.
        let at = |done, imported, in_file, outcome| {
            (
                ImportProgress {
                    files_done: done,
                    files_total: 1,
                    sessions_imported: imported,
                    sessions_in_file: in_file,
                },
                outcome,
            )
        };
        assert_eq!(
            reports,
            [
                at(0, 0, 0, false),
                at(0, 0, 1, false),
                at(0, 0, 2, false),
                at(0, 0, 3, false),
                at(1, 3, 0, true)
            ]
        );
        let sorted = |s: &ImportSummary| {
            let mut ids = s.files[0].session_ids.clone();
            ids.sort();
            ids
        };
        assert_eq!(sorted(&got), sorted(&expected));
        for id in sorted(&expected) {
            assert!(
                pieces.load_session(&id).unwrap() == whole.load_session(&id).unwrap(),
                "{id}"
            );
        }
        // The manifest has the file's hash, taken while it was read.
        let manifest =
            std::fs::read_to_string(dir.path().join("pieces.sqlite.manifest.jsonl")).unwrap();
        assert!(manifest.contains(&crate::format::hash::sha256_hex(text.as_bytes())));
        // Again: every session a duplicate.
        let again = import(&mut pieces, &file, &in_pieces);
        assert_eq!(again.files[0].status, FileStatus::Duplicate);
        assert_eq!(again.sessions_duplicate, 3);

        // The last group's session (the longest) over the event limit: the two sessions of
        // the groups before it were inserted when it fails, and are rolled back with it.
        let counts: Vec<usize> = sorted(&expected)
            .iter()
            .map(|id| whole.load_session(id).unwrap().events.len())
            .collect();
        let longest = counts.iter().copied().max().unwrap();
        assert_eq!(counts.iter().filter(|&&c| c == longest).count(), 1);
        let strict = ReadOptions {
            limits: crate::model::Limits {
                max_events: longest - 1,
                ..crate::model::Limits::default()
            },
            ..in_pieces.clone()
        };
        let mut fresh = Library::open(&dir.path().join("strict.sqlite")).unwrap();
        let failed = import(&mut fresh, &file, &strict);
        assert_eq!(failed.files_failed, 1, "{failed:?}");
        assert_eq!(fresh.num_sessions().unwrap(), 0);

        let broken = dir.path().join("broken.capture.jsonl");
        std::fs::write(&broken, format!("{text}{{\"batch\": [}}\n")).unwrap();
        let mut fresh = Library::open(&dir.path().join("fresh.sqlite")).unwrap();
        let failed = import(&mut fresh, &broken, &in_pieces);
        assert_eq!(failed.files_failed, 1);
        let error = failed.files[0].error.clone().unwrap();
        let last_line = text.lines().count() + 1;
        assert!(error.contains(&format!("line {last_line}")), "{error}");
        assert_eq!(fresh.num_sessions().unwrap(), 0);
    }
}
