//! Opening a library and reading and writing single sessions and screenshots.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension as _, Transaction, params};

use super::StoreError;
use super::points::encode_page_points;
use super::schema;
use crate::format::{ScreenshotBlob, hash};
use crate::model::PageView;
use crate::model::Session;

/// The page cache of a library's connection, KiB.
pub(crate) const CACHE_KIB: i64 = 65_536;

/// The platform default library file: `<data dir>/sessionlens/library.sqlite`.
#[must_use]
pub fn default_library_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "sessionlens").map_or_else(
        || PathBuf::from("sessionlens-library.sqlite"),
        |dirs| dirs.data_dir().join("library.sqlite"),
    )
}

/// An open session library.
pub struct Library {
    pub(crate) conn: Connection,
    pub(crate) path: String,
    /// The in-memory session index and the `PRAGMA data_version` it was built at; `None` when
    /// this connection wrote since.
    pub(crate) index: std::cell::RefCell<Option<(i64, std::rc::Rc<super::index::SessionIndex>)>>,
}

/// A screenshot attached to a page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScreenshotInfo {
    /// Page URL (without fragment).
    pub url: String,
    /// Layout width, CSS px.
    pub layout_width: u32,
    /// SHA-256 of the PNG.
    pub hash: String,
    /// Image width, px.
    pub width: u32,
    /// Image height, px.
    pub height: u32,
    /// Where it came from: `manual`, `bundle`, `snapshot`, `sample`.
    pub origin: String,
}

/// Priority of screenshot origins: a higher one replaces a lower one, never the reverse.
pub(crate) fn origin_priority(origin: &str) -> i64 {
    match origin {
        "manual" => 3,
        "bundle" => 2,
        "sample" => 1,
        "snapshot" => 0,
        // The grid canvas drawn when Chromium is missing: anything real replaces it.
        _ => -1,
    }
}

pub(crate) fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotALibrary {
            path: path.to_owned(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => StoreError::Sqlite(e),
    }
}

/// [`classify`] for an error that is already a [`StoreError`].
pub(crate) fn classify_store(path: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Sqlite(inner) => classify(path, inner),
        other => other,
    }
}

impl Library {
    /// Opens (creating if needed) the library at `path`, migrating it to the current schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let display = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| StoreError::Io {
                path: parent.display().to_string(),
                error,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| classify(&display, e))?;
        Self::setup(conn, display)
    }

    /// An empty in-memory library (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?, ":memory:".to_owned())
    }

    fn setup(mut conn: Connection, path: String) -> Result<Self, StoreError> {
        let configure = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // 64 MiB of page cache (the default is 2 MiB): repeated heatmap and conversion
            // queries over a large library read their blobs from memory.
            conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
            Ok(())
        };
        // Switching a new file to WAL takes an exclusive lock, and SQLite answers "busy" at
        // once, without the busy handler, when another connection opening the same new file
        // holds it: try again for as long as the busy timeout would have waited.
        let mut attempts = 0;
        loop {
            match configure(&conn) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy && attempts < 1_500 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.map_err(|e| classify(&path, e))?,
            }
        }
        schema::migrate(&mut conn, &path).map_err(|e| match e {
            StoreError::Sqlite(inner) => classify(&path, inner),
            other => other,
        })?;
        Ok(Self {
            conn,
            path,
            index: std::cell::RefCell::new(None),
        })
    }

    /// Runs `f` inside one read transaction, so every query in it sees the same snapshot of the
    /// library and SQLite takes its file locks once instead of once per statement (an
    /// aggregation runs tens of thousands of small queries). Inside a transaction already, just
    /// runs `f`.
    pub fn read_snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        if !self.conn.is_autocommit() {
            return f();
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(StoreError::from)?;
        let out = f();
        // A read transaction has nothing to keep; end it whether `f` failed or not.
        let end = self.conn.execute_batch("COMMIT");
        if end.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        let value = out?;
        end.map_err(StoreError::from)?;
        Ok(value)
    }

    /// The session index, rebuilt when the library changed since it was built.
    pub(crate) fn session_index(
        &self,
    ) -> Result<std::rc::Rc<super::index::SessionIndex>, StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if let Some((built_at, index)) = self.index.borrow().as_ref()
            && *built_at == version
        {
            return Ok(std::rc::Rc::clone(index));
        }
        let index = std::rc::Rc::new(super::index::SessionIndex::build(&self.conn)?);
        *self.index.borrow_mut() = Some((version, std::rc::Rc::clone(&index)));
        Ok(index)
    }

    /// Forgets the session index after this connection wrote (`data_version` only tracks other
    /// connections' commits).
    pub(crate) fn invalidate_index(&self) {
        self.index.borrow_mut().take();
    }

    /// The library's file path (`:memory:` for in-memory libraries).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Runs SQLite's integrity check; `Ok(())` when the library is sound.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| classify(&self.path, e))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: result,
            })
        }
    }

    /// True when a session with this id, or with exactly this content, is already stored.
    pub(crate) fn is_duplicate(
        tx: &Transaction<'_>,
        session_id: &str,
        content_hash: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM sessions WHERE session_id = ?1 OR content_hash = ?2 LIMIT 1",
                params![session_id, content_hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Encodes a session's body (see [`super::body`]); returns its encoding, the bytes and
    /// their content hash.
    pub(crate) fn encode_body(session: &Session) -> Result<(i64, Vec<u8>, String), StoreError> {
        let (encoding, body) = super::body::encode(session)?;
        let content_hash = hash::sha256_hex(&body);
        Ok((encoding, body, content_hash))
    }

    /// Inserts one validated session inside `tx`. Returns `false` (and writes nothing) when it
    /// duplicates a stored session (same id or same content).
    pub(crate) fn insert_session(
        tx: &Transaction<'_>,
        session: &Session,
        source_file: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let (encoding, body, content_hash) = Self::encode_body(session)?;
        if Self::is_duplicate(tx, &session.session_id, &content_hash)? {
            return Ok(false);
        }
        let viewport = session.initial_viewport();
        let num_events = i64::try_from(session.events.len()).unwrap_or(i64::MAX);
        let num_clicks = i64::try_from(session.num_clicks()).unwrap_or(i64::MAX);
        // Converted (and revenue) for the conversion goal in force.
        let (converted, revenue) = super::conversions::goal_in(tx)?.outcome(session);
        tx.prepare_cached(
            "INSERT INTO sessions (session_id, content_hash, started_at_ms, duration_ms, device, viewport_width,
                viewport_height, user_agent, utm_source, utm_medium, utm_campaign, referrer, channel, country,
                num_pages, num_events, num_clicks, converted, revenue, source_file, imported_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
        )?
        .execute(params![
            session.session_id,
            content_hash,
            session.started_at_ms,
            session.duration_ms,
            session.device.as_str(),
            viewport.width,
            viewport.height,
            session.user_agent,
            session.source.utm_source,
            session.source.utm_medium,
            session.source.utm_campaign,
            session.source.referrer,
            session.source.channel().as_str(),
            session.country,
            i64::try_from(session.pages.len()).unwrap_or(i64::MAX),
            num_events,
            num_clicks,
            converted,
            revenue,
            source_file,
            now_ms,
        ])?;
        let rowid = tx.last_insert_rowid();
        {
            let mut insert_page = tx.prepare_cached(
                "INSERT INTO page_views (session_rowid, page_index, url, full_url, entered_at_ms, left_at_ms,
                    doc_width, doc_height, viewport_width, viewport_height, max_scroll_y, max_depth_px, num_clicks,
                    screenshot_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            for (index, (page, stats)) in session.pages.iter().zip(session.page_stats()).enumerate()
            {
                insert_page.execute(params![
                    rowid,
                    i64::try_from(index).unwrap_or(i64::MAX),
                    page.url_without_fragment(),
                    page.url,
                    page.entered_at_ms,
                    page.left_at_ms,
                    page.doc_size.width,
                    page.doc_size.height,
                    page.viewport.width,
                    page.viewport.height,
                    f64::from(stats.max_scroll_y),
                    f64::from(stats.max_depth_px),
                    stats.num_clicks,
                    page.screenshot,
                ])?;
            }
        }
        tx.prepare_cached(
            "INSERT INTO session_bodies (session_rowid, encoding, body) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![rowid, encoding, body])?;
        insert_custom_events(tx, rowid, session)?;
        let mut insert_points = tx.prepare_cached(
            "INSERT INTO page_points_recent (url, kind, session_rowid, page_index, num_points, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (page, kind, n, blob) in encode_page_points(session) {
            let Some(url) = session
                .pages
                .get(page as usize)
                .map(PageView::url_without_fragment)
            else {
                continue; // events before the first page view have no page to show them on
            };
            insert_points.execute(params![
                url,
                kind.code(),
                rowid,
                page,
                i64::try_from(n).unwrap_or(i64::MAX),
                blob
            ])?;
        }
        Ok(true)
    }

    /// Moves the point blobs that imports wrote (table `page_points_recent`, appended in
    /// session order so that each file's transaction stays small) into the URL-clustered
    /// `page_points` that heatmaps read page by page, sorted, in one transaction. Returns how
    /// many blobs moved. Readers see the same points before and after; they are only faster to
    /// read after. [`Library::import_paths`] calls this every few thousand sessions and at its
    /// end.
    pub fn fold_recent_points(&mut self) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let moved = Self::fold_recent_points_in(&tx)?;
        tx.commit()?;
        Ok(moved)
    }

    /// [`Library::fold_recent_points`] inside the caller's transaction.
    pub(crate) fn fold_recent_points_in(tx: &Transaction<'_>) -> Result<usize, StoreError> {
        let moved = tx.execute(
            "INSERT OR REPLACE INTO page_points
                (url, kind, session_rowid, page_index, num_points, data)
             SELECT url, kind, session_rowid, page_index, num_points, data
             FROM page_points_recent
             ORDER BY url, kind, session_rowid, page_index",
            [],
        )?;
        tx.execute("DELETE FROM page_points_recent", [])?;
        Ok(moved)
    }

    /// True when some point blobs wait in `page_points_recent` for
    /// [`Library::fold_recent_points`].
    pub(crate) fn has_recent_points(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM page_points_recent)")?
            .query_row([], |r| r.get(0))?)
    }

    /// Stores a screenshot blob (deduplicated by hash) and attaches it to its page, unless a
    /// screenshot of higher priority (manual > bundle > sample > snapshot) is already attached.
    pub(crate) fn insert_screenshot(
        tx: &Transaction<'_>,
        shot: &ScreenshotBlob,
        origin: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (width, height) = crate::format::png_dimensions(&shot.png, &shot.url)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO screenshots (hash, width, height, png, added_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![shot.hash, width, height, shot.png, now_ms])?;
        let priority = origin_priority(origin);
        tx.prepare_cached(
            "INSERT INTO page_screenshots (url, layout_width, hash, origin, priority) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (url, layout_width) DO UPDATE SET hash = excluded.hash, origin = excluded.origin,
                 priority = excluded.priority
             WHERE excluded.priority >= page_screenshots.priority",
        )?
        .execute(params![shot.url, shot.layout_width, shot.hash, origin, priority])?;
        Ok(())
    }

    /// Attaches a PNG screenshot to a page URL at a layout width (`sessionlens screenshot add`).
    pub fn add_screenshot(
        &mut self,
        url: &str,
        layout_width: u32,
        png: Vec<u8>,
        origin: &str,
    ) -> Result<ScreenshotInfo, StoreError> {
        let url = url.split_once('#').map_or(url, |(u, _)| u).to_owned();
        let shot = ScreenshotBlob {
            hash: hash::sha256_hex(&png),
            url: url.clone(),
            layout_width,
            png,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Self::insert_screenshot(&tx, &shot, origin, now_ms())?;
        tx.commit()?;
        self.screenshots()?
            .into_iter()
            .find(|s| s.url == url && s.layout_width == layout_width)
            .ok_or_else(|| StoreError::Invalid(format!("screenshot for {url} was not stored")))
    }

    /// Every page screenshot attachment, by URL then width.
    pub fn screenshots(&self) -> Result<Vec<ScreenshotInfo>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.url, p.layout_width, p.hash, s.width, s.height, p.origin
             FROM page_screenshots p JOIN screenshots s ON s.hash = p.hash ORDER BY p.url, p.layout_width",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScreenshotInfo {
                url: r.get(0)?,
                layout_width: r.get(1)?,
                hash: r.get(2)?,
                width: r.get(3)?,
                height: r.get(4)?,
                origin: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The screenshot for a page at the layout width closest to `layout_width`.
    pub fn screenshot_for(
        &self,
        url: &str,
        layout_width: u32,
    ) -> Result<Option<ScreenshotInfo>, StoreError> {
        let url = url.split_once('#').map_or(url, |(u, _)| u);
        Ok(self
            .screenshots()?
            .into_iter()
            .filter(|s| s.url == url)
            .min_by_key(|s| s.layout_width.abs_diff(layout_width)))
    }

    /// The PNG bytes of a stored screenshot.
    pub fn screenshot_png(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT png FROM screenshots WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Loads one whole session.
    pub fn load_session(&self, session_id: &str) -> Result<Session, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT b.encoding, b.body FROM sessions s JOIN session_bodies b ON b.session_rowid = s.session_rowid
                 WHERE s.session_id = ?1",
                [session_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| classify(&self.path, e))?;
        let Some((encoding, body)) = row else {
            return Err(StoreError::NoSuchSession(session_id.to_owned()));
        };
        super::body::decode(encoding, &body, session_id)
    }

    /// For `sessionlens snapshot`: each session's id, the file it was imported from, and its
    /// page views as (URL without fragment, viewport width, deepest viewport bottom in CSS px);
    /// one session or all, by recording file, start time and id.
    #[allow(clippy::type_complexity)]
    pub fn snapshot_sources(
        &self,
        session_id: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, Vec<(String, u32, f32)>)>, StoreError> {
        if let Some(id) = session_id {
            let known: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sessions WHERE session_id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if !known {
                return Err(StoreError::NoSuchSession(id.to_owned()));
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT s.session_id, s.source_file, pv.url, pv.viewport_width, pv.max_depth_px
             FROM sessions s JOIN page_views pv ON pv.session_rowid = s.session_rowid
             WHERE ?1 IS NULL OR s.session_id = ?1
             ORDER BY s.source_file, s.started_at_ms, s.session_id, pv.page_index",
        )?;
        let mut rows = stmt.query([session_id])?;
        let mut out: Vec<(String, Option<String>, Vec<(String, u32, f32)>)> = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let view = (r.get(2)?, r.get(3)?, r.get::<_, f64>(4)? as f32);
            match out.last_mut() {
                Some(last) if last.0 == id => last.2.push(view),
                _ => out.push((id, r.get(1)?, vec![view])),
            }
        }
        Ok(out)
    }

    /// The recording file a session was imported from (absolute path), if it came from one.
    pub fn source_file(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT source_file FROM sessions WHERE session_id = ?1",
                [session_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchSession(session_id.to_owned()))
    }

    /// Custom event names (micro-conversions) with the number of sessions that sent each, most
    /// frequent first; names differing only in ASCII case count as one.
    pub fn custom_event_names(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, COUNT(DISTINCT session_rowid) FROM custom_events
             GROUP BY name COLLATE NOCASE ORDER BY 2 DESC, 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, sessions) = row?;
            out.push((name, u64::try_from(sessions).unwrap_or(0)));
        }
        Ok(out)
    }

    /// Number of sessions stored.
    pub fn num_sessions(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// Stores the session's custom events (micro-conversions) as rows of `custom_events`.
fn insert_custom_events(
    tx: &Transaction<'_>,
    session_rowid: i64,
    session: &Session,
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO custom_events (session_rowid, page_index, timestamp_ms, name, value, currency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for event in &session.events {
        if let crate::model::EventKind::Custom {
            name,
            value,
            currency,
        } = &event.kind
        {
            insert.execute(params![
                session_rowid,
                event.page,
                event.timestamp_ms,
                name,
                value,
                currency
            ])?;
        }
    }
    Ok(())
}

/// Calls `f(session_rowid, session)` for every stored session, decoded, in row order
/// (migrations, retroactive definitions and signal recomputation read them all this way).
pub(crate) fn for_each_stored_session(
    conn: &rusqlite::Connection,
    f: &mut dyn FnMut(i64, Session) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT s.session_rowid, s.session_id, b.encoding, b.body
         FROM sessions s JOIN session_bodies b ON b.session_rowid = s.session_rowid
         ORDER BY s.session_rowid",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let session_id: String = row.get(1)?;
        let encoding: i64 = row.get(2)?;
        let body = row.get_ref(3)?.as_blob().map_err(|e| StoreError::Decode {
            session_id: session_id.clone(),
            detail: e.to_string(),
        })?;
        f(rowid, super::body::decode(encoding, body, &session_id)?)?;
    }
    Ok(())
}

/// Milliseconds since the Unix epoch, now.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
