//! Import: sessions written in batches, in RowBinary, idempotent by session id, never half
//! visible.
//!
//! The scheme is *insert-then-publish*. A batch gets a fresh `batch_id` (milliseconds since the
//! epoch shifted left 20 bits, plus 20 random bits: later batches have larger ids). Its rows go
//! into every table tagged with that id: page views, bodies, custom events, signals, points (whose
//! materialized view fills the heatmap bins), then the session rows. Only then does one row in
//! `batches` publish it. Every reader restricts to sessions of published batches, and reads
//! the other tables by `(session_id, batch_id)` of those sessions, so a batch that fails or is
//! killed midway (a dropped connection, a stopped server, a killed process) is invisible: its
//! rows stay as unreferenced garbage until `ALTER TABLE … DELETE` removes them. A re-run skips
//! the sessions already published (same id, or same content), so nothing is duplicated; two
//! imports of the same new session at the same moment both publish; the one that publishes
//! second sees that another batch was published while it wrote (the number of rows of
//! `batches` grew by more than its own) and records the earlier batch's row of each such
//! session in `superseded` ([`settle_duplicates`]), so readers, who take the published sessions
//! less the superseded ones, see the later batch's session with its own rows. Readers need no
//! `FINAL` (which 18.16 merges on one thread: 0.28 s per read at a million sessions). An import
//! killed between its publish and that check leaves the session shown twice until the next
//! import of files, which settles the whole library first. Why not `ReplacingMergeTree` alone: a session spans
//! several tables, and a replacing table only removes duplicates within itself, eventually; a
//! killed import would leave page views without their session, or a session without its
//! points, visible to every reader.

use std::collections::HashSet;
use std::hash::{BuildHasher as _, Hasher as _};
use std::io::Write as _;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::conversions::{CONVERSION_COLUMNS, HIT_COLUMNS, write_hits};
use super::rowbinary::{RowReader, RowWriter};
use super::state::LibState;
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::ConversionGoal;
use crate::analysis::derive::{DeriveInputs, DerivedRows, derive};
use crate::format::{self, ReadOptions};
use crate::model::{EventKind, Session};
use crate::store::import::{UnitName, group_inputs, parse_in_input_order};
use crate::store::points::encode_page_points;
use crate::store::{
    FileOutcome, FileStatus, ImportProgress, ImportSummary, StoreError, collect_inputs,
};

/// Sessions written per batch (one INSERT per table, one publish).
pub const BATCH_SESSIONS: usize = 2_000;

/// `session_bodies.compression`: zlib (deflate) of the body bytes.
pub(crate) const COMPRESSION_ZLIB: u8 = 1;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Ids of the sessions written and published.
    pub imported_ids: Vec<String>,
    /// Ids of the sessions skipped as duplicates.
    pub duplicate_ids: Vec<String>,
    /// Sessions written and published.
    pub imported: usize,
    /// Sessions skipped because the library already holds the same id or the same content
    /// (or an earlier session of the same call did).
    pub duplicates: usize,
    /// Batches published.
    pub batches: usize,
}

/// An import unit read and waiting to be written.
struct PendingUnit {
    outcome: FileOutcome,
    /// Absolute path recorded as the sessions' source.
    source: String,
    sessions: Vec<Session>,
    /// One per session.
    prepared: Vec<Prepared>,
}

/// The writing side of a file import: the units read but not yet written, the rows of the
/// batch being written (reused batch after batch), and what the import has done so far.
struct ImportWriter<'s> {
    /// Thresholds, definitions and goal as they were when the import started.
    state: &'s LibState,
    pending: Vec<PendingUnit>,
    /// Sessions of `pending`.
    pending_sessions: usize,
    rows: BatchRows,
    summary: ImportSummary,
    progress: ImportProgress,
}

impl ImportWriter<'_> {
    fn push(&mut self, unit: PendingUnit) {
        self.pending_sessions += unit.sessions.len();
        self.pending.push(unit);
    }

    /// Writes the sessions of the pending units together and reports each unit.
    fn flush(
        &mut self,
        library: &ClickHouseLibrary,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<(), ClickHouseError> {
        let items: Vec<Item<'_>> = self
            .pending
            .iter()
            .flat_map(|u| {
                u.sessions
                    .iter()
                    .zip(&u.prepared)
                    .map(|(session, prepared)| Item {
                        session,
                        source_file: u.source.as_str(),
                        prepared,
                    })
            })
            .collect();
        let written = library.import_sourced(&items, self.state, &mut self.rows)?;
        let mut imported: HashSet<String> = written.imported_ids.into_iter().collect();
        self.pending_sessions = 0;
        for unit in self.pending.drain(..) {
            let mut outcome = unit.outcome;
            if outcome.error.is_none() {
                for session in &unit.sessions {
                    // A session id written once is claimed by the first unit that holds it.
                    if imported.remove(&session.session_id) {
                        outcome.session_ids.push(session.session_id.clone());
                    } else {
                        outcome.duplicate_ids.push(session.session_id.clone());
                    }
                }
                outcome.status =
                    if outcome.session_ids.is_empty() && !outcome.duplicate_ids.is_empty() {
                        FileStatus::Duplicate
                    } else {
                        FileStatus::Imported
                    };
                self.summary.sessions_imported += outcome.session_ids.len();
                self.summary.sessions_duplicate += outcome.duplicate_ids.len();
                self.progress.sessions_imported += outcome.session_ids.len();
            }
            self.progress.files_done += 1;
            on_progress(&self.progress, Some(&outcome));
            self.summary.files.push(outcome);
        }
        Ok(())
    }
}

/// A session to write, with where it came from and what its parser prepared.
struct Item<'a> {
    session: &'a Session,
    source_file: &'a str,
    prepared: &'a Prepared,
}

/// A fresh batch id: later batches (by wall clock) get larger ids.
fn new_batch_id() -> u64 {
    let now_ms = u64::try_from(crate::store::now_ms()).unwrap_or(0);
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (now_ms << 20) | (random & 0xF_FFFF)
}

/// The row id of a session: a number the store traits use to name a session
/// ([`crate::model::points::HeatmapPageView::session_rowid`]). Derived from the session id
/// (the first 63 bits of its SHA-256), so every import, shard and client agrees on it without
/// a counter; two ids sharing one has a chance of about n² / 2⁶⁴ (3 · 10⁻⁸ for a million
/// sessions).
pub(crate) fn session_rowid(session_id: &str) -> i64 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(session_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::try_from(u64::from_be_bytes(first) >> 1).unwrap_or(i64::MAX)
}

/// Days since 1970-01-01 (ClickHouse `Date`), clamped to its range.
fn day_of(timestamp_ms: i64) -> u16 {
    u16::try_from(
        timestamp_ms
            .div_euclid(86_400_000)
            .clamp(0, i64::from(u16::MAX)),
    )
    .unwrap_or(u16::MAX)
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The rows of one batch, per table.
#[derive(Default)]
struct BatchRows {
    sessions: RowWriter,
    page_views: RowWriter,
    bodies: RowWriter,
    points: RowWriter,
    custom_events: RowWriter,
    signals: RowWriter,
    event_hits: RowWriter,
    conversions: RowWriter,
}

const SESSIONS_COLUMNS: &str = "(session_id, batch_id, session_rowid, content_hash, day, started_at_ms, duration_ms, device, viewport_width, viewport_height, user_agent, utm_source, utm_medium, utm_campaign, referrer, channel, country, num_pages, num_events, num_clicks, converted, revenue, source_file, imported_at_ms)";
const PAGE_VIEWS_COLUMNS: &str = "(url, session_id, batch_id, session_rowid, page_index, day, full_url, entered_at_ms, left_at_ms, doc_width, doc_height, viewport_width, viewport_height, max_scroll_y, max_depth_px, num_clicks, screenshot_hash)";
const BODIES_COLUMNS: &str = "(session_id, batch_id, encoding, compression, body)";
const POINTS_COLUMNS: &str = "(url, kind, day, session_id, batch_id, session_rowid, page_index, seq, viewport_width, x, y, t_ms)";
const SIGNALS_COLUMNS: &str = "(kind, session_id, batch_id, session_rowid, signal_index, page_index, page_url, start_ms, end_ms, x, y, target, severity, detail, num_clicks, signal_version)";
const CUSTOM_EVENTS_COLUMNS: &str =
    "(name_lower, session_id, batch_id, page_index, timestamp_ms, name, value, currency)";

impl BatchRows {
    /// Empties every table's rows and keeps the buffers: the batches of one import reuse them.
    /// Buffers allocated afresh per batch (tens of MB for the points) left the allocator holding
    /// the freed ones, and the process grew by about 140 KB per imported session.
    fn clear(&mut self) {
        for rows in [
            &mut self.sessions,
            &mut self.page_views,
            &mut self.bodies,
            &mut self.points,
            &mut self.custom_events,
            &mut self.signals,
            &mut self.event_hits,
            &mut self.conversions,
        ] {
            rows.bytes.clear();
        }
    }

    fn add(&mut self, item: &Item<'_>, batch_id: u64, now_ms: i64, state: &LibState) {
        let (session, source_file) = (item.session, item.source_file);
        let body = &item.prepared.body;
        let id = session.session_id.as_str();
        let rowid = session_rowid(id);
        let day = day_of(session.started_at_ms);
        let viewport = session.initial_viewport();
        let (converted, revenue) = ConversionGoal::standard().outcome(session);
        self.sessions
            .str(id)
            .u64(batch_id)
            .i64(rowid)
            .str(&body.content_hash)
            .u16(day)
            .i64(session.started_at_ms)
            .i64(session.duration_ms)
            .str(session.device.as_str())
            .u32(viewport.width)
            .u32(viewport.height)
            .opt_str(session.user_agent.as_deref())
            .opt_str(session.source.utm_source.as_deref())
            .opt_str(session.source.utm_medium.as_deref())
            .opt_str(session.source.utm_campaign.as_deref())
            .opt_str(session.source.referrer.as_deref())
            .str(session.source.channel().as_str())
            .opt_str(session.country.as_deref())
            .u32(clamp_u32(session.pages.len()))
            .u64(session.events.len() as u64)
            .u32(clamp_u32(session.num_clicks()))
            .u8(u8::from(converted))
            .opt_f64(revenue)
            .str(source_file)
            .i64(now_ms);
        for (index, (page, stats)) in session.pages.iter().zip(session.page_stats()).enumerate() {
            self.page_views
                .str(page.url_without_fragment())
                .str(id)
                .u64(batch_id)
                .i64(rowid)
                .u32(clamp_u32(index))
                .u16(day)
                .str(&page.url)
                .i64(page.entered_at_ms)
                .i64(page.left_at_ms)
                .u32(page.doc_size.width)
                .u32(page.doc_size.height)
                .u32(page.viewport.width)
                .u32(page.viewport.height)
                .f64(f64::from(stats.max_scroll_y))
                .f64(f64::from(stats.max_depth_px))
                .u32(stats.num_clicks)
                .opt_str(page.screenshot.as_deref());
        }
        self.bodies
            .str(id)
            .u64(batch_id)
            .u16(body.encoding)
            .u8(COMPRESSION_ZLIB)
            .bytes(&body.compressed);
        for (page_index, kind, n, blob) in encode_page_points(session) {
            let Some(page) = session.pages.get(page_index as usize) else {
                continue; // events before the first page view have no page to show them on
            };
            let (xs, rest) = blob.split_at(n * 4);
            let (ys, ts) = rest.split_at(n * 4);
            let f = |c: &[u8]| f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            for (seq, ((x, y), t)) in xs
                .chunks_exact(4)
                .map(f)
                .zip(ys.chunks_exact(4).map(f))
                .zip(ts.chunks_exact(4))
                .enumerate()
            {
                self.points
                    .str(page.url_without_fragment())
                    .u8(u8::try_from(kind.code()).unwrap_or(u8::MAX))
                    .u16(day)
                    .str(id)
                    .u64(batch_id)
                    .i64(rowid)
                    .u32(page_index)
                    .u32(clamp_u32(seq))
                    .u32(page.viewport.width)
                    .f32(x)
                    .f32(y)
                    .u32(u32::from_le_bytes([t[0], t[1], t[2], t[3]]));
            }
        }
        // The derived rows every backend stores: signals with the library's thresholds, hits of
        // the definitions in force (`analysis::derive`, run by the parsers).
        let derived = &item.prepared.derived;
        for &(def_index, hit) in &derived.event_hits {
            if let Some(def) = state.definitions.get(def_index) {
                write_hits(
                    &mut self.event_hits,
                    &def.def.name,
                    def.version,
                    id,
                    batch_id,
                    [hit],
                );
            }
        }
        if state.goal_version != 0 {
            let (converted, revenue) = state.goal.outcome(session);
            if converted {
                self.conversions
                    .u64(state.goal_version)
                    .str(id)
                    .u64(batch_id)
                    .opt_f64(revenue);
            }
        }
        for (signal_index, signal) in derived.signals.iter().enumerate() {
            self.signals
                .str(signal.kind.as_str())
                .str(id)
                .u64(batch_id)
                .i64(rowid)
                .u32(clamp_u32(signal_index))
                .u32(signal.page_index)
                .str(
                    session
                        .pages
                        .get(signal.page_index as usize)
                        .map_or("", |p| p.url_without_fragment()),
                )
                .i64(signal.start_ms)
                .i64(signal.end_ms)
                .opt_f64(signal.pos_in_page.map(|p| f64::from(p.x)))
                .opt_f64(signal.pos_in_page.map(|p| f64::from(p.y)))
                .opt_str(signal.target.as_deref())
                .f64(f64::from(signal.severity))
                .opt_str(Some(&signal.detail))
                .u32(signal.num_clicks)
                .u64(state.signal_version);
        }
        for event in &session.events {
            if let EventKind::Custom {
                name,
                value,
                currency,
            } = &event.kind
            {
                self.custom_events
                    .str(&name.to_ascii_lowercase())
                    .str(id)
                    .u64(batch_id)
                    .u32(event.page)
                    .i64(event.timestamp_ms)
                    .str(name)
                    .opt_f64(*value)
                    .opt_str(currency.as_deref());
            }
        }
    }
}

/// A session body, encoded as the SQLite library encodes it ([`crate::store::body`]), then
/// compressed.
struct EncodedBody {
    encoding: u16,
    content_hash: String,
    compressed: Vec<u8>,
}

/// Encodes and compresses session bodies with one compressor, reset between bodies: a fresh one
/// per body allocated 380 KB each time, which the allocator kept (the import grew by about as
/// much per session).
struct BodyEncoder {
    zlib: flate2::write::ZlibEncoder<Vec<u8>>,
}

impl BodyEncoder {
    fn new() -> Self {
        Self {
            zlib: flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default()),
        }
    }

    fn encode(&mut self, session: &Session) -> Result<EncodedBody, ClickHouseError> {
        let (encoding, body) = crate::store::body::encode(session)?;
        let content_hash = crate::format::hash::sha256_hex(&body);
        let compressed = self
            .zlib
            .write_all(&body)
            .and_then(|()| self.zlib.try_finish())
            .and_then(|()| self.zlib.reset(Vec::new()))
            .map_err(|e| crate::store::StoreError::Decode {
                session_id: session.session_id.clone(),
                detail: format!("compressing the body: {e}"),
            })?;
        Ok(EncodedBody {
            encoding: u16::try_from(encoding).unwrap_or(u16::MAX),
            content_hash,
            compressed,
        })
    }
}

/// A session made ready to write by an import's parsers: its body encoded and compressed, its
/// derived rows computed with the library's state as it was when the import started.
struct Prepared {
    body: EncodedBody,
    derived: DerivedRows,
}

fn prepare(
    session: &Session,
    state: &LibState,
    bodies: &mut BodyEncoder,
) -> Result<Prepared, ClickHouseError> {
    Ok(Prepared {
        body: bodies.encode(session)?,
        derived: derive(
            session,
            &DeriveInputs {
                signal_settings: &state.signal_settings,
                definitions: &state.plain_definitions,
            },
        ),
    })
}

/// What a parser hands the writer for one input unit: the unit read and its sessions
/// prepared, or why it could not be.
type ParsedUnit = Result<(format::Loaded, Vec<Prepared>), String>;

impl ClickHouseLibrary {
    /// Imports `sessions` (already read and validated), recording `source_file` as where they
    /// came from. Sessions whose id or content the library already holds are skipped. Each run
    /// of [`BATCH_SESSIONS`] sessions is published at once or not at all.
    pub fn import_sessions(
        &self,
        sessions: &[Session],
        source_file: &str,
    ) -> Result<ImportOutcome, ClickHouseError> {
        self.writable()?;
        // Thresholds, definitions and goal as they are when the import starts.
        let state = self.state()?;
        let mut bodies = BodyEncoder::new();
        let prepared = sessions
            .iter()
            .map(|s| prepare(s, &state, &mut bodies))
            .collect::<Result<Vec<_>, _>>()?;
        let items: Vec<Item<'_>> = sessions
            .iter()
            .zip(&prepared)
            .map(|(session, prepared)| Item {
                session,
                source_file,
                prepared,
            })
            .collect();
        self.import_sourced(&items, &state, &mut BatchRows::default())
    }

    /// Writes prepared sessions, each with its own source file, in batches of
    /// [`BATCH_SESSIONS`].
    fn import_sourced(
        &self,
        items: &[Item<'_>],
        state: &LibState,
        rows: &mut BatchRows,
    ) -> Result<ImportOutcome, ClickHouseError> {
        let mut outcome = ImportOutcome::default();
        let mut seen_ids: HashSet<String> = HashSet::new();
        let mut seen_hashes: HashSet<String> = HashSet::new();
        for chunk in items.chunks(BATCH_SESSIONS) {
            // Read before the duplicate check: a batch published after it may hold sessions
            // of this one (see `settle_duplicates`).
            let published_before = self.publish_rows()?;
            let (known_ids, known_hashes) = self.published_duplicates(chunk)?;
            let batch_id = new_batch_id();
            let now_ms = crate::store::now_ms();
            rows.clear();
            let mut in_batch = 0usize;
            let mut batch_ids = Vec::new();
            for item in chunk {
                let (session, body) = (item.session, &item.prepared.body);
                if known_ids.contains(&session.session_id)
                    || known_hashes.contains(&body.content_hash)
                    || !seen_ids.insert(session.session_id.clone())
                    || !seen_hashes.insert(body.content_hash.clone())
                {
                    outcome.duplicates += 1;
                    outcome.duplicate_ids.push(session.session_id.clone());
                    continue;
                }
                rows.add(item, batch_id, now_ms, state);
                in_batch += 1;
                batch_ids.push(session.session_id.clone());
            }
            if in_batch == 0 {
                continue;
            }
            self.write_batch(rows, batch_id, in_batch)?;
            let own = u64::from(self.shards.unwrap_or(1));
            if self.publish_rows()? > published_before + own {
                // Another import published while this batch was written.
                let mut keys = RowWriter::default();
                for id in &batch_ids {
                    keys.str(id);
                }
                settle_duplicates(&self.client, &self.db, Some(&keys.bytes))?;
            }
            outcome.imported += in_batch;
            outcome.imported_ids.extend(batch_ids);
            outcome.batches += 1;
        }
        Ok(outcome)
    }

    /// Imports files and folders as the SQLite library does ([`collect_inputs`]; Sentry
    /// segments and capture bodies of one folder are one unit), reporting the start and each
    /// unit to `on_progress`. Parser threads read the units and prepare their sessions
    /// ([`prepare`]) while this thread writes them in input order (so of two inputs holding
    /// one session, the first one's is kept, run after run), several units together, in
    /// batches of about [`BATCH_SESSIONS`], each published at once; a unit that cannot be read
    /// fails alone. A server fault stops the import with the error: the batches published
    /// before it stay, the one in flight is invisible. Setting `cancel` stops after the unit in
    /// progress (its batch is written). Screenshots in bundles are stored as the SQLite library
    /// stores them.
    pub fn import_paths(
        &self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, ClickHouseError> {
        self.writable()?;
        let inputs = group_inputs(collect_inputs(paths)?);
        // A session left shown twice by an import killed between publishing a batch and
        // checking it is settled first.
        settle_duplicates(&self.client, &self.db, None)?;
        let total = inputs.len();
        let progress = ImportProgress {
            files_total: total,
            ..ImportProgress::default()
        };
        on_progress(&progress, None);
        // Thresholds, definitions and goal as they are when the import starts.
        let state = self.state()?;
        let mut writer = ImportWriter {
            state: &state,
            pending: Vec::new(),
            pending_sessions: 0,
            rows: BatchRows::default(),
            summary: ImportSummary::default(),
            progress,
        };
        let mut fault = None;
        let mut handled = 0usize;
        let parse = |bodies: &mut BodyEncoder,
                     _index: usize,
                     unit: &[PathBuf],
                     send: &dyn Fn(ParsedUnit) -> bool| {
            let parsed = format::load_unit(unit, options)
                .map_err(|e| e.to_string())
                .and_then(|loaded| {
                    let prepared = loaded
                        .sessions
                        .iter()
                        .map(|s| prepare(s, &state, bodies))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())?;
                    Ok((loaded, prepared))
                });
            send(parsed)
        };
        let write = |index: usize, parsed: ParsedUnit| {
            if cancel.load(Ordering::Relaxed) {
                return ControlFlow::Break(());
            }
            handled += 1;
            let Some(UnitName { file, source, .. }) =
                inputs.get(index).and_then(|u| UnitName::of(u))
            else {
                return ControlFlow::Continue(());
            };
            let mut outcome = FileOutcome {
                file,
                status: FileStatus::Failed,
                session_ids: Vec::new(),
                duplicate_ids: Vec::new(),
                error: None,
                warnings: Vec::new(),
            };
            let (sessions, prepared) = match parsed {
                Err(e) => {
                    outcome.error = Some(e);
                    writer.summary.files_failed += 1;
                    (Vec::new(), Vec::new())
                }
                Ok((loaded, prepared)) => {
                    outcome.warnings = loaded.warnings.lines();
                    for shot in &loaded.screenshots {
                        match self.store_screenshot(shot, "bundle") {
                            Ok(_) => {}
                            Err(ClickHouseError::Store(StoreError::Invalid(why))) => outcome
                                .warnings
                                .push(format!("screenshot of {} not stored: {why}", shot.url)),
                            Err(other) => {
                                fault = Some(other);
                                return ControlFlow::Break(());
                            }
                        }
                    }
                    (loaded.sessions, prepared)
                }
            };
            writer.push(PendingUnit {
                outcome,
                source,
                sessions,
                prepared,
            });
            if writer.pending_sessions >= BATCH_SESSIONS
                && let Err(e) = writer.flush(self, on_progress)
            {
                fault = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        };
        parse_in_input_order(&inputs, cancel, BodyEncoder::new, parse, write)?;
        if let Some(fault) = fault {
            return Err(fault);
        }
        writer.flush(self, on_progress)?;
        let mut summary = writer.summary;
        summary.cancelled = handled < total;
        Ok(summary)
    }

    /// Writes a batch's rows, sessions last, then publishes it.
    fn write_batch(
        &self,
        rows: &BatchRows,
        batch_id: u64,
        num_sessions: usize,
    ) -> Result<(), ClickHouseError> {
        let c = &self.client;
        c.insert_rowbinary(
            &format!("{} {PAGE_VIEWS_COLUMNS}", self.table("page_views")),
            &rows.page_views.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {BODIES_COLUMNS}", self.table("session_bodies")),
            &rows.bodies.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {CUSTOM_EVENTS_COLUMNS}", self.table("custom_events")),
            &rows.custom_events.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {SIGNALS_COLUMNS}", self.table("signals")),
            &rows.signals.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {POINTS_COLUMNS}", self.table("points")),
            &rows.points.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {HIT_COLUMNS}", self.table("event_hits")),
            &rows.event_hits.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {CONVERSION_COLUMNS}", self.table("conversions")),
            &rows.conversions.bytes,
        )?;
        c.insert_rowbinary(
            &format!("{} {SESSIONS_COLUMNS}", self.table("sessions")),
            &rows.sessions.bytes,
        )?;
        // One publish row per shard (its sharding key is `shard`): each shard's readers see
        // the batch's sessions that live on it. A single server has one.
        let mut publish = RowWriter::default();
        let now_ms = crate::store::now_ms();
        for shard in 0..self.shards.unwrap_or(1) {
            publish
                .u64(batch_id)
                .i64(now_ms)
                .u32(clamp_u32(num_sessions))
                .str(c.user())
                .u32(shard);
        }
        c.insert_rowbinary(
            &format!(
                "{} (batch_id, published_at_ms, num_sessions, written_by, shard)",
                self.table("batches")
            ),
            &publish.bytes,
        )
    }

    /// Rows of `batches`: one per published batch and shard.
    fn publish_rows(&self) -> Result<u64, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT count() FROM {} FORMAT RowBinary",
            self.table("batches")
        ))?;
        RowReader::new(&answer)
            .u64()
            .ok_or_else(|| self.client.decode_error("published batches"))
    }

    /// Which of these sessions' ids and content hashes a published batch already holds.
    fn published_duplicates(
        &self,
        items: &[Item<'_>],
    ) -> Result<(HashSet<String>, HashSet<String>), ClickHouseError> {
        let (mut known_ids, mut known_hashes) = (HashSet::new(), HashSet::new());
        if items.is_empty() {
            return Ok((known_ids, known_hashes));
        }
        // The keys go as external data: any number of them, of any length (a list in the
        // query's text stops at the server's 256 KiB).
        let mut keys = RowWriter::default();
        for item in items {
            keys.str(&item.session.session_id)
                .str(&item.prepared.body.content_hash);
        }
        let answer = self.client.query_with_table(
            &format!(
                "SELECT session_id, content_hash FROM {} WHERE batch_id IN (SELECT batch_id FROM {})
                   AND (session_id IN (SELECT session_id FROM _keys)
                        OR content_hash IN (SELECT content_hash FROM _keys)) FORMAT RowBinary",
                self.table("sessions"),
                self.table("batches"),
            ),
            "_keys",
            "session_id String, content_hash String",
            &keys.bytes,
        )?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(hash)) = (reader.string(), reader.string()) else {
                return Err(self.client.decode_error("duplicate check"));
            };
            known_ids.insert(id);
            known_hashes.insert(hash);
        }
        Ok((known_ids, known_hashes))
    }
}

/// Records in `superseded` every published session row of `db` that a later published batch
/// of the same session id replaces (the later batch wins, as `ReplacingMergeTree(batch_id)`
/// keeps it): of the session ids in `keys` (RowBinary of `session_id String`), or of the whole
/// library when `None`. Returns the rows recorded. Readers take the published sessions less
/// these, so each session id shows once.
pub(crate) fn settle_duplicates(
    client: &super::http::Client,
    db: &str,
    keys: Option<&[u8]>,
) -> Result<usize, ClickHouseError> {
    let only = if keys.is_some() {
        " AND session_id IN (SELECT session_id FROM _keys)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT session_id, batch_id, session_rowid FROM {db}.sessions
         WHERE batch_id IN (SELECT batch_id FROM {db}.batches){only}
           AND (session_rowid, batch_id) NOT IN (SELECT session_rowid, batch_id FROM {db}.superseded)
           AND session_id IN (SELECT session_id FROM {db}.sessions
                              WHERE batch_id IN (SELECT batch_id FROM {db}.batches){only}
                              GROUP BY session_id HAVING uniqExact(batch_id) > 1)
         ORDER BY session_id, batch_id FORMAT RowBinary"
    );
    let answer = match keys {
        Some(rows) => client.query_with_table(&sql, "_keys", "session_id String", rows)?,
        None => client.query(&sql)?,
    };
    let mut reader = RowReader::new(&answer);
    let mut rows: Vec<(String, u64, i64)> = Vec::new();
    while !reader.is_empty() {
        let (Some(id), Some(batch_id), Some(rowid)) = (reader.string(), reader.u64(), reader.i64())
        else {
            return Err(client.decode_error("duplicate sessions"));
        };
        rows.push((id, batch_id, rowid));
    }
    let losers = superseded_rows(&rows);
    if losers.is_empty() {
        return Ok(0);
    }
    let now_ms = crate::store::now_ms();
    let mut out = RowWriter::default();
    for (id, batch_id, rowid) in &losers {
        out.str(id).u64(*batch_id).i64(*rowid).i64(now_ms);
    }
    client.insert_rowbinary(
        &format!("{db}.superseded (session_id, batch_id, session_rowid, found_at_ms)"),
        &out.bytes,
    )?;
    Ok(losers.len())
}

/// Of rows sorted by session id then batch id, every row but those of the last batch of its
/// session id (two rows of one batch, not merged yet, are the same version: neither is).
fn superseded_rows(rows: &[(String, u64, i64)]) -> Vec<(String, u64, i64)> {
    rows.windows(2)
        .filter(|pair| pair[0].0 == pair[1].0 && pair[0].1 != pair[1].1)
        .map(|pair| pair[0].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::superseded_rows;

    #[test]
    fn every_row_but_the_latest_of_a_session_is_superseded() {
        let row = |id: &str, batch: u64| (id.to_owned(), batch, 7_i64);
        let rows = vec![
            row("a", 1),
            row("b", 1),
            row("b", 5),
            row("b", 9),
            row("c", 2),
            row("d", 3),
            row("d", 4),
        ];
        assert_eq!(
            superseded_rows(&rows),
            vec![row("b", 1), row("b", 5), row("d", 3)]
        );
        assert!(superseded_rows(&[row("a", 1)]).is_empty());
        assert_eq!(
            superseded_rows(&[row("e", 6), row("e", 6), row("e", 8)]),
            vec![row("e", 6)]
        );
        assert!(superseded_rows(&[]).is_empty());
    }
}
