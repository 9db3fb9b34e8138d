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
//! imports of the same new session at the same moment both publish, and `sessions` being a
//! `ReplacingMergeTree(batch_id)` read with `FINAL` makes readers see exactly one of them (the
//! later batch) with that batch's own rows. Why not `ReplacingMergeTree` alone: a session spans
//! several tables, and a replacing table only removes duplicates within itself, eventually; a
//! killed import would leave page views without their session, or a session without its
//! points, visible to every reader.

use std::collections::HashSet;
use std::hash::{BuildHasher as _, Hasher as _};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::conversions::{CONVERSION_COLUMNS, HIT_COLUMNS, write_hits};
use super::rowbinary::{RowReader, RowWriter, quote};
use super::state::LibState;
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::ConversionGoal;
use crate::analysis::derive::{DeriveInputs, derive};
use crate::format::{self, ReadOptions};
use crate::model::{EventKind, Session};
use crate::store::import::group_inputs;
use crate::store::points::encode_page_points;
use crate::store::{
    FileOutcome, FileStatus, ImportProgress, ImportSummary, StoreError, collect_inputs,
};

/// Sessions written per batch (one INSERT per table, one publish).
pub const BATCH_SESSIONS: usize = 500;

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
    fn add(
        &mut self,
        session: &Session,
        body: &EncodedBody,
        batch_id: u64,
        source_file: &str,
        now_ms: i64,
        state: &LibState,
    ) {
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
        // the definitions in force (`analysis::derive`).
        let derived = derive(
            session,
            &DeriveInputs {
                signal_settings: &state.signal_settings,
                definitions: &state.plain_definitions,
            },
        );
        for (def_index, hit) in derived.event_hits {
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

fn encode_body(session: &Session) -> Result<EncodedBody, ClickHouseError> {
    let (encoding, body) = crate::store::body::encode(session)?;
    let content_hash = crate::format::hash::sha256_hex(&body);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = z.write_all(&body).and_then(|()| z.finish()).map_err(|e| {
        crate::store::StoreError::Decode {
            session_id: session.session_id.clone(),
            detail: format!("compressing the body: {e}"),
        }
    })?;
    Ok(EncodedBody {
        encoding: u16::try_from(encoding).unwrap_or(u16::MAX),
        content_hash,
        compressed,
    })
}

impl ClickHouseLibrary {
    /// Imports `sessions` (already read and validated), recording `source_file` as where they
    /// came from. Sessions whose id or content the library already holds are skipped. Each run
    /// of [`BATCH_SESSIONS`] sessions is published at once or not at all.
    pub fn import_sessions(
        &self,
        sessions: &[Session],
        source_file: &str,
    ) -> Result<ImportOutcome, ClickHouseError> {
        let items: Vec<(&Session, &str)> = sessions.iter().map(|s| (s, source_file)).collect();
        self.import_sourced(&items)
    }

    /// [`Self::import_sessions`] with each session's own source file.
    fn import_sourced(&self, items: &[(&Session, &str)]) -> Result<ImportOutcome, ClickHouseError> {
        self.writable()?;
        let mut outcome = ImportOutcome::default();
        if items.is_empty() {
            return Ok(outcome);
        }
        // Thresholds, definitions and goal as they are when the import starts.
        let state = self.state()?;
        let mut seen_ids: HashSet<String> = HashSet::new();
        let mut seen_hashes: HashSet<String> = HashSet::new();
        for chunk in items.chunks(BATCH_SESSIONS) {
            let bodies = chunk
                .iter()
                .map(|(session, _)| encode_body(session))
                .collect::<Result<Vec<_>, _>>()?;
            let (known_ids, known_hashes) = self.published_duplicates(chunk, &bodies)?;
            let batch_id = new_batch_id();
            let now_ms = crate::store::now_ms();
            let mut rows = BatchRows::default();
            let mut in_batch = 0usize;
            let mut batch_ids = Vec::new();
            for ((session, source_file), body) in chunk.iter().zip(&bodies) {
                if known_ids.contains(&session.session_id)
                    || known_hashes.contains(&body.content_hash)
                    || !seen_ids.insert(session.session_id.clone())
                    || !seen_hashes.insert(body.content_hash.clone())
                {
                    outcome.duplicates += 1;
                    outcome.duplicate_ids.push(session.session_id.clone());
                    continue;
                }
                rows.add(session, body, batch_id, source_file, now_ms, &state);
                in_batch += 1;
                batch_ids.push(session.session_id.clone());
            }
            if in_batch == 0 {
                continue;
            }
            self.write_batch(&rows, batch_id, in_batch)?;
            outcome.imported += in_batch;
            outcome.imported_ids.extend(batch_ids);
            outcome.batches += 1;
        }
        Ok(outcome)
    }

    /// Imports files and folders as the SQLite library does ([`collect_inputs`]; Sentry
    /// segments and capture bodies of one folder are one unit), reporting the start and each
    /// unit to `on_progress`. The sessions of several units are written together, in batches of about
    /// [`BATCH_SESSIONS`], each published at once; a unit that cannot be read fails alone. A
    /// server fault stops the import with the error: the batches published before it stay, the
    /// one in flight is invisible. Setting `cancel` stops after the unit in progress (its
    /// batch is written). Screenshots in bundles are stored as the SQLite library stores them.
    pub fn import_paths(
        &self,
        paths: &[PathBuf],
        options: &ReadOptions,
        cancel: &AtomicBool,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<ImportSummary, ClickHouseError> {
        self.writable()?;
        let inputs = group_inputs(collect_inputs(paths)?);
        let mut summary = ImportSummary::default();
        let mut progress = ImportProgress {
            files_total: inputs.len(),
            ..ImportProgress::default()
        };
        on_progress(&progress, None);
        // Units read but not yet written: their outcome so far and their sessions.
        let mut pending: Vec<PendingUnit> = Vec::new();
        let mut pending_sessions = 0usize;
        for (index, unit) in inputs.iter().enumerate() {
            if cancel.load(Ordering::Relaxed) {
                summary.cancelled = true;
                break;
            }
            let Some(first) = unit.first() else { continue };
            let path = match (unit.len(), first.parent()) {
                (2.., Some(folder)) => folder,
                _ => first.as_path(),
            };
            let file = if unit.len() > 1 {
                format!("{} ({} files)", path.display(), unit.len())
            } else {
                path.display().to_string()
            };
            let source = std::path::absolute(path)
                .map_or_else(|_| file.clone(), |p| p.display().to_string());
            let mut outcome = FileOutcome {
                file,
                status: FileStatus::Failed,
                session_ids: Vec::new(),
                duplicate_ids: Vec::new(),
                error: None,
                warnings: Vec::new(),
            };
            match format::load_unit(unit, options) {
                Err(e) => {
                    outcome.error = Some(e.to_string());
                    summary.files_failed += 1;
                    pending.push(PendingUnit {
                        outcome,
                        source,
                        sessions: Vec::new(),
                    });
                }
                Ok(loaded) => {
                    outcome.warnings = loaded.warnings.lines();
                    for shot in &loaded.screenshots {
                        if let Err(e) = self.store_screenshot(shot, "bundle") {
                            match e {
                                ClickHouseError::Store(StoreError::Invalid(why)) => outcome
                                    .warnings
                                    .push(format!("screenshot of {} not stored: {why}", shot.url)),
                                other => return Err(other),
                            }
                        }
                    }
                    pending_sessions += loaded.sessions.len();
                    pending.push(PendingUnit {
                        outcome,
                        source,
                        sessions: loaded.sessions,
                    });
                }
            }
            if pending_sessions >= BATCH_SESSIONS || index + 1 == inputs.len() {
                self.flush_units(&mut pending, &mut summary, &mut progress, on_progress)?;
                pending_sessions = 0;
            }
        }
        self.flush_units(&mut pending, &mut summary, &mut progress, on_progress)?;
        Ok(summary)
    }

    /// Writes the sessions of the pending units together and reports each unit.
    fn flush_units(
        &self,
        pending: &mut Vec<PendingUnit>,
        summary: &mut ImportSummary,
        progress: &mut ImportProgress,
        on_progress: &mut dyn FnMut(&ImportProgress, Option<&FileOutcome>),
    ) -> Result<(), ClickHouseError> {
        let items: Vec<(&Session, &str)> = pending
            .iter()
            .flat_map(|u| u.sessions.iter().map(|s| (s, u.source.as_str())))
            .collect();
        let written = self.import_sourced(&items)?;
        let mut imported: HashSet<String> = written.imported_ids.into_iter().collect();
        for unit in pending.drain(..) {
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
                summary.sessions_imported += outcome.session_ids.len();
                summary.sessions_duplicate += outcome.duplicate_ids.len();
                progress.sessions_imported += outcome.session_ids.len();
            }
            progress.files_done += 1;
            on_progress(progress, Some(&outcome));
            summary.files.push(outcome);
        }
        Ok(())
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

    /// Which of these sessions' ids and content hashes a published batch already holds.
    fn published_duplicates(
        &self,
        sessions: &[(&Session, &str)],
        bodies: &[EncodedBody],
    ) -> Result<(HashSet<String>, HashSet<String>), ClickHouseError> {
        if sessions.is_empty() {
            return Ok((HashSet::new(), HashSet::new()));
        }
        let ids: Vec<String> = sessions.iter().map(|(s, _)| quote(&s.session_id)).collect();
        let hashes: Vec<String> = bodies.iter().map(|b| quote(&b.content_hash)).collect();
        let answer = self.client.query(&format!(
            "SELECT session_id, content_hash FROM {} WHERE batch_id IN (SELECT batch_id FROM {})
               AND (session_id IN ({}) OR content_hash IN ({})) FORMAT RowBinary",
            self.table("sessions"),
            self.table("batches"),
            ids.join(","),
            hashes.join(","),
        ))?;
        let mut reader = RowReader::new(&answer);
        let (mut known_ids, mut known_hashes) = (HashSet::new(), HashSet::new());
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
