//! Schema and migrations, versioned with `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Migrations in order; migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: sessions, page views, bodies, per-page point columns, screenshots, signals.
    r"
    CREATE TABLE sessions (
        session_rowid   INTEGER PRIMARY KEY,
        session_id      TEXT NOT NULL UNIQUE,
        content_hash    TEXT NOT NULL UNIQUE,
        started_at_ms   INTEGER NOT NULL,
        duration_ms     INTEGER NOT NULL,
        device          TEXT NOT NULL,
        viewport_width  INTEGER NOT NULL,
        viewport_height INTEGER NOT NULL,
        user_agent      TEXT,
        utm_source      TEXT,
        utm_medium      TEXT,
        utm_campaign    TEXT,
        referrer        TEXT,
        channel         TEXT NOT NULL,
        country         TEXT,
        num_pages       INTEGER NOT NULL,
        num_events      INTEGER NOT NULL,
        num_clicks      INTEGER NOT NULL,
        converted       INTEGER NOT NULL,
        revenue         REAL,
        source_file     TEXT,
        imported_at_ms  INTEGER NOT NULL
    );
    CREATE INDEX sessions_started ON sessions(started_at_ms);
    CREATE INDEX sessions_device ON sessions(device, started_at_ms);
    CREATE INDEX sessions_channel ON sessions(channel, started_at_ms);
    CREATE INDEX sessions_width ON sessions(viewport_width);

    CREATE TABLE page_views (
        session_rowid   INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index      INTEGER NOT NULL,
        url             TEXT NOT NULL,
        full_url        TEXT NOT NULL,
        entered_at_ms   INTEGER NOT NULL,
        left_at_ms      INTEGER NOT NULL,
        doc_width       INTEGER NOT NULL,
        doc_height      INTEGER NOT NULL,
        viewport_width  INTEGER NOT NULL,
        viewport_height INTEGER NOT NULL,
        max_scroll_y    REAL NOT NULL,
        max_depth_px    REAL NOT NULL,
        num_clicks      INTEGER NOT NULL,
        screenshot_hash TEXT,
        PRIMARY KEY (session_rowid, page_index)
    ) WITHOUT ROWID;
    CREATE INDEX page_views_url ON page_views(url, session_rowid);

    CREATE TABLE session_bodies (
        session_rowid INTEGER PRIMARY KEY REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        encoding      INTEGER NOT NULL,
        body          BLOB NOT NULL
    );

    CREATE TABLE page_points (
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index    INTEGER NOT NULL,
        kind          INTEGER NOT NULL,
        num_points    INTEGER NOT NULL,
        data          BLOB NOT NULL,
        PRIMARY KEY (session_rowid, page_index, kind)
    ) WITHOUT ROWID;

    CREATE TABLE screenshots (
        hash        TEXT PRIMARY KEY,
        width       INTEGER NOT NULL,
        height      INTEGER NOT NULL,
        png         BLOB NOT NULL,
        added_at_ms INTEGER NOT NULL
    );
    CREATE TABLE page_screenshots (
        url          TEXT NOT NULL,
        layout_width INTEGER NOT NULL,
        hash         TEXT NOT NULL REFERENCES screenshots(hash),
        origin       TEXT NOT NULL,
        priority     INTEGER NOT NULL,
        PRIMARY KEY (url, layout_width)
    ) WITHOUT ROWID;

    CREATE TABLE signals (
        signal_rowid  INTEGER PRIMARY KEY,
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        kind          TEXT NOT NULL,
        page_index    INTEGER NOT NULL,
        start_ms      INTEGER NOT NULL,
        end_ms        INTEGER NOT NULL,
        x             REAL,
        y             REAL,
        target        TEXT,
        severity      REAL NOT NULL,
        detail        TEXT
    );
    CREATE INDEX signals_kind ON signals(kind, session_rowid);
    CREATE INDEX signals_session ON signals(session_rowid);
    ",
    // 2: reviewer notes (keyed by session id so they survive a rebuild of the library from the
    // original files) and library-wide settings (signal thresholds, event definitions).
    r"
    CREATE TABLE notes (
        note_rowid    INTEGER PRIMARY KEY,
        session_id    TEXT NOT NULL,
        timestamp_ms  INTEGER NOT NULL,
        text          TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
    );
    CREATE INDEX notes_session ON notes(session_id, timestamp_ms);
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 3: clicks per signal (a rage burst carries its count).
    r"
    ALTER TABLE signals ADD COLUMN num_clicks INTEGER NOT NULL DEFAULT 0;
    ",
    // 4: custom (micro-conversion) events, one row each, so filters, KPIs and funnels need not
    // decode session bodies. Filled from the stored bodies by `backfill` for older libraries.
    r"
    CREATE TABLE custom_events (
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index    INTEGER NOT NULL,
        timestamp_ms  INTEGER NOT NULL,
        name          TEXT NOT NULL,
        value         REAL,
        currency      TEXT
    );
    CREATE INDEX custom_events_name ON custom_events(name, session_rowid);
    CREATE INDEX custom_events_session ON custom_events(session_rowid, timestamp_ms);
    ",
    // 5: retroactive event definitions and their occurrences in every session.
    r"
    CREATE TABLE event_defs (
        name          TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        pattern       TEXT NOT NULL,
        value_from_event INTEGER NOT NULL DEFAULT 0,
        stage         TEXT,
        weight        INTEGER,
        created_at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE event_hits (
        name          TEXT NOT NULL REFERENCES event_defs(name) ON DELETE CASCADE,
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index    INTEGER NOT NULL,
        timestamp_ms  INTEGER NOT NULL,
        value         REAL
    );
    CREATE INDEX event_hits_name ON event_hits(name, session_rowid, timestamp_ms);
    CREATE INDEX event_hits_session ON event_hits(session_rowid);
    ",
    // 6: named sections of a page (a band of the page, e.g. the reviews block) for reach.
    r"
    CREATE TABLE sections (
        name          TEXT PRIMARY KEY,
        page          TEXT NOT NULL,
        top_px        REAL NOT NULL,
        bottom_px     REAL NOT NULL,
        created_at_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 7: point blobs clustered by page URL and kind, so that a heatmap reads the blobs of one
    // page as a run of neighbouring table pages instead of one scattered page per page view.
    r"
    CREATE TABLE page_points_v7 (
        url           TEXT NOT NULL,
        kind          INTEGER NOT NULL,
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index    INTEGER NOT NULL,
        num_points    INTEGER NOT NULL,
        data          BLOB NOT NULL,
        PRIMARY KEY (url, kind, session_rowid, page_index)
    ) WITHOUT ROWID;
    INSERT INTO page_points_v7 (url, kind, session_rowid, page_index, num_points, data)
        SELECT pv.url, pp.kind, pp.session_rowid, pp.page_index, pp.num_points, pp.data
        FROM page_points pp
        JOIN page_views pv ON pv.session_rowid = pp.session_rowid AND pv.page_index = pp.page_index
        ORDER BY pv.url, pp.kind, pp.session_rowid, pp.page_index;
    DROP TABLE page_points;
    ALTER TABLE page_points_v7 RENAME TO page_points;
    CREATE INDEX page_points_session ON page_points(session_rowid, page_index);
    -- The URL index also covers what a heatmap reads of each page view.
    DROP INDEX page_views_url;
    CREATE INDEX page_views_url ON page_views(url, session_rowid, page_index, viewport_width,
        viewport_height, max_depth_px, entered_at_ms, left_at_ms, doc_height, num_clicks);
    ",
    // 8: imports write point blobs keyed by session, where each file's transaction appends at
    // the end of the table; `Library::fold_recent_points` later moves them, sorted, into the
    // URL-clustered `page_points` in one transaction. Writing straight into `page_points` dirtied
    // a table page per page URL and kind in every file's transaction.
    r"
    CREATE TABLE page_points_recent (
        session_rowid INTEGER NOT NULL REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        page_index    INTEGER NOT NULL,
        kind          INTEGER NOT NULL,
        url           TEXT NOT NULL,
        num_points    INTEGER NOT NULL,
        data          BLOB NOT NULL,
        PRIMARY KEY (session_rowid, page_index, kind)
    ) WITHOUT ROWID;
    ",
    // 9: the forms of each page view of a session (`store::forms`), derived at import, so a
    // form table is read without session bodies (sessions imported before have no row and are
    // derived from their body when read); and the names users give forms (same name: merged).
    r"
    CREATE TABLE form_facts (
        session_rowid INTEGER PRIMARY KEY REFERENCES sessions(session_rowid) ON DELETE CASCADE,
        version       INTEGER NOT NULL,
        body          BLOB NOT NULL
    );
    CREATE TABLE form_names (
        page TEXT NOT NULL,
        form TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (page, form)
    ) WITHOUT ROWID;
    ",
];

/// Data a migration derives from stored session bodies, run right after its SQL in the same
/// transaction: `(version reached, fill)`.
type Backfill = fn(&rusqlite::Transaction<'_>) -> Result<(), StoreError>;
const BACKFILLS: &[(i64, Backfill)] = &[(4, backfill_custom_events_v4)];

/// Schema 4: fills `custom_events` from every stored session body (libraries made before it).
/// Bodies are read with the body types of that time ([`super::body::v1`], the only encoding
/// a library below schema 4 can hold), never with today's model, so this migration keeps its
/// meaning whatever the model becomes.
fn backfill_custom_events_v4(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    use super::body::{ENCODING_V1, unknown_encoding, v1};
    let mut read = tx.prepare(
        "SELECT s.session_rowid, s.session_id, b.encoding, b.body
         FROM sessions s JOIN session_bodies b ON b.session_rowid = s.session_rowid
         ORDER BY s.session_rowid",
    )?;
    let mut insert = tx.prepare(
        "INSERT INTO custom_events (session_rowid, page_index, timestamp_ms, name, value, currency)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let session_id: String = row.get(1)?;
        let encoding: i64 = row.get(2)?;
        if encoding != ENCODING_V1 {
            return Err(unknown_encoding(encoding, &session_id));
        }
        let body = row.get_ref(3)?.as_blob().map_err(|e| StoreError::Decode {
            session_id: session_id.clone(),
            detail: e.to_string(),
        })?;
        for event in v1::decode(body, &session_id)?.events {
            if let v1::EventKind::Custom {
                name,
                value,
                currency,
            } = event.kind
            {
                insert.execute(rusqlite::params![
                    rowid,
                    event.page,
                    event.timestamp_ms,
                    name,
                    value,
                    currency
                ])?;
            }
        }
    }
    Ok(())
}

/// The schema version this build creates and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings `conn` up to [`SCHEMA_VERSION`], each migration in its own write-locked transaction.
/// The version is read inside that transaction, so several processes or threads opening the same
/// new library at once migrate it exactly once.
pub(crate) fn migrate(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_owned(),
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Ok(tx.commit()?);
        };
        tx.execute_batch(sql)?;
        for (_, fill) in BACKFILLS.iter().filter(|(v, _)| *v == current + 1) {
            fill(&tx)?;
        }
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_empty_and_from_each_older_version() {
        for start in 0..=SCHEMA_VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            for (version, sql) in (1..).zip(MIGRATIONS).take(usize::try_from(start).unwrap()) {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", version).unwrap();
            }
            migrate(&mut conn, ":memory:").unwrap();
            let v: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, SCHEMA_VERSION);
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(tables >= 7);
        }
    }

    #[test]
    fn version_7_clusters_stored_points_by_page_url_and_deleting_a_session_takes_them() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (version, sql) in (1..).zip(MIGRATIONS).take(6) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO sessions (session_rowid, session_id, content_hash, started_at_ms,
                duration_ms, device, viewport_width, viewport_height, channel, num_pages,
                num_events, num_clicks, converted, imported_at_ms)
             VALUES (1, 's', 'h', 0, 10, 'desktop', 1440, 900, 'direct', 2, 2, 2, 0, 0);
             INSERT INTO page_views (session_rowid, page_index, url, full_url, entered_at_ms,
                left_at_ms, doc_width, doc_height, viewport_width, viewport_height, max_scroll_y,
                max_depth_px, num_clicks)
             VALUES (1, 0, 'https://a.test/', 'https://a.test/#top', 0, 5, 1440, 3000, 1440, 900,
                0, 900, 1),
                    (1, 1, 'https://a.test/cart', 'https://a.test/cart', 5, 10, 1440, 2000, 1440,
                900, 0, 900, 1);
             INSERT INTO page_points (session_rowid, page_index, kind, num_points, data)
             VALUES (1, 0, 0, 1, x'000000000000000000000000'),
                    (1, 1, 0, 1, x'0000803f0000803f01000000');",
        )
        .unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        let rows: Vec<(String, i64, i64, i64)> = conn
            .prepare(
                "SELECT url, kind, page_index, length(data) FROM page_points ORDER BY page_index",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                ("https://a.test/".to_owned(), 0, 0, 12),
                ("https://a.test/cart".to_owned(), 0, 1, 12)
            ]
        );
        // Points an import has not folded yet (schema 8) belong to their session too.
        conn.execute_batch(
            "INSERT INTO page_points_recent (session_rowid, page_index, kind, url, num_points, data)
             VALUES (1, 1, 1, 'https://a.test/cart', 1, x'0000803f0000803f01000000');",
        )
        .unwrap();
        // Deleting the session still takes its points along, folded or not.
        conn.execute_batch("PRAGMA foreign_keys = ON; DELETE FROM sessions;")
            .unwrap();
        let left: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM page_points) + (SELECT count(*) FROM page_points_recent)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn version_4_backfills_custom_events_from_bodies_written_by_the_old_direct_path() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (version, sql) in (1..).zip(MIGRATIONS).take(3) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let session = super::super::body::tests::every_kind();
        // What builds before the frozen body types stored: postcard of the model itself.
        let body = postcard::to_stdvec(&session).unwrap();
        conn.execute(
            "INSERT INTO sessions (session_rowid, session_id, content_hash, started_at_ms,
                duration_ms, device, viewport_width, viewport_height, channel, num_pages,
                num_events, num_clicks, converted, imported_at_ms)
             VALUES (1, 'every-kind', 'h', 0, 20, 'tablet', 1440, 900, 'direct', 2, 1, 1, 1, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO session_bodies (session_rowid, encoding, body) VALUES (1, 1, ?1)",
            [&body],
        )
        .unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        let rows: Vec<(String, Option<f64>, Option<String>, i64)> = conn
            .prepare(
                "SELECT name, value, currency, page_index FROM custom_events ORDER BY timestamp_ms",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    "purchase".to_owned(),
                    Some(129.9),
                    Some("EUR".to_owned()),
                    1
                ),
                ("add_to_cart".to_owned(), None, None, 1),
            ]
        );
    }

    #[test]
    fn concurrent_opens_migrate_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.sqlite");
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let path = path.clone();
                std::thread::Builder::new()
                    .name(format!("open-{i}"))
                    .spawn(move || crate::store::Library::open(&path).map(|_| ()))
                    .unwrap()
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    }

    #[test]
    fn refuses_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn, "lib.sqlite").unwrap_err();
        assert!(
            err.to_string().contains("made by a newer SessionLens"),
            "{err}"
        );
    }
}
