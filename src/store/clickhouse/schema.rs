//! The library's tables in one ClickHouse database, and their version.
//!
//! Every statement runs on ClickHouse 18.16 (Debian's package) and on current releases: no
//! window functions, no `DateTime64`, no `LowCardinality`, no `TTL` and no column codecs (the
//! last two came after 18.16; docs/CLICKHOUSE.md shows the TTL a newer server can add).
//! docs/CLICKHOUSE.md explains each table's `ORDER BY` and `PARTITION BY`.
//!
//! Every data table carries `batch_id`: an import writes a batch's rows into all tables, then
//! publishes the batch with one row in `batches`; readers only see sessions of published batches
//! (see `super::import`).

use super::ClickHouseError;
use super::http::Client;
use super::rowbinary::RowReader;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 3;

/// Side of a heatmap grid cell, CSS px.
pub const BIN_PX: u32 = 16;

/// `CREATE` statements of schema version 1, with `{db}` for the database.
const TABLES_V1: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS {db}.batches (
        batch_id UInt64,
        published_at_ms Int64,
        num_sessions UInt32,
        written_by String,
        shard UInt32
    ) ENGINE = MergeTree ORDER BY batch_id",
    "CREATE TABLE IF NOT EXISTS {db}.sessions (
        session_id String,
        batch_id UInt64,
        session_rowid Int64,
        content_hash String,
        day Date,
        started_at_ms Int64,
        duration_ms Int64,
        device String,
        viewport_width UInt32,
        viewport_height UInt32,
        user_agent Nullable(String),
        utm_source Nullable(String),
        utm_medium Nullable(String),
        utm_campaign Nullable(String),
        referrer Nullable(String),
        channel String,
        country Nullable(String),
        num_pages UInt32,
        num_events UInt64,
        num_clicks UInt32,
        converted UInt8,
        revenue Nullable(Float64),
        source_file String,
        imported_at_ms Int64
    ) ENGINE = ReplacingMergeTree(batch_id) PARTITION BY toYYYYMM(day) ORDER BY session_id",
    "CREATE TABLE IF NOT EXISTS {db}.page_views (
        url String,
        session_id String,
        batch_id UInt64,
        session_rowid Int64,
        page_index UInt32,
        day Date,
        full_url String,
        entered_at_ms Int64,
        left_at_ms Int64,
        doc_width UInt32,
        doc_height UInt32,
        viewport_width UInt32,
        viewport_height UInt32,
        max_scroll_y Float64,
        max_depth_px Float64,
        num_clicks UInt32,
        screenshot_hash Nullable(String)
    ) ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (url, session_id, page_index)",
    "CREATE TABLE IF NOT EXISTS {db}.session_bodies (
        session_id String,
        batch_id UInt64,
        encoding UInt16,
        compression UInt8,
        body String
    ) ENGINE = MergeTree ORDER BY (session_id, batch_id) SETTINGS index_granularity = 256",
    "CREATE TABLE IF NOT EXISTS {db}.points (
        url String,
        kind UInt8,
        day Date,
        session_id String,
        batch_id UInt64,
        session_rowid Int64,
        page_index UInt32,
        seq UInt32,
        viewport_width UInt32,
        x Float32,
        y Float32,
        t_ms UInt32
    ) ENGINE = MergeTree PARTITION BY toYYYYMM(day) ORDER BY (url, kind, session_id, page_index, seq)",
    "CREATE TABLE IF NOT EXISTS {db}.heatmap_bins (
        url String,
        kind UInt8,
        viewport_width UInt32,
        day Date,
        batch_id UInt64,
        cell_x Int32,
        cell_y Int32,
        n UInt64
    ) ENGINE = SummingMergeTree(n) PARTITION BY toYYYYMM(day)
      ORDER BY (url, kind, viewport_width, day, batch_id, cell_x, cell_y)",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.heatmap_bins_mv TO {db}.heatmap_bins AS
        SELECT url, kind, viewport_width, day, batch_id,
               toInt32(floor(x / 16)) AS cell_x,
               toInt32(floor(y / 16)) AS cell_y,
               toUInt64(1) AS n
        FROM {db}.points",
    "CREATE TABLE IF NOT EXISTS {db}.custom_events (
        name_lower String,
        session_id String,
        batch_id UInt64,
        page_index UInt32,
        timestamp_ms Int64,
        name String,
        value Nullable(Float64),
        currency Nullable(String)
    ) ENGINE = MergeTree ORDER BY (name_lower, session_id, timestamp_ms)",
    "CREATE TABLE IF NOT EXISTS {db}.signals (
        kind String,
        session_id String,
        batch_id UInt64,
        session_rowid Int64,
        signal_index UInt32,
        page_index UInt32,
        page_url String,
        start_ms Int64,
        end_ms Int64,
        x Nullable(Float64),
        y Nullable(Float64),
        target Nullable(String),
        severity Float64,
        detail Nullable(String),
        num_clicks UInt32,
        signal_version UInt64 DEFAULT 0
    ) ENGINE = MergeTree ORDER BY (kind, session_id, start_ms)",
    "CREATE TABLE IF NOT EXISTS {db}.notes (
        note_id Int64,
        version UInt64,
        session_id String,
        timestamp_ms Int64,
        text String,
        author String,
        created_at_ms Int64,
        updated_at_ms Int64,
        deleted UInt8
    ) ENGINE = ReplacingMergeTree(version) ORDER BY note_id",
    "CREATE TABLE IF NOT EXISTS {db}.event_defs (
        name String,
        kind String,
        pattern String,
        value_from_event UInt8,
        stage Nullable(String),
        weight Nullable(UInt8),
        created_at_ms Int64,
        updated_at_ms Int64,
        deleted UInt8
    ) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY name",
    "CREATE TABLE IF NOT EXISTS {db}.sections (
        name String,
        version UInt64,
        page String,
        top_px Float64,
        bottom_px Float64,
        created_at_ms Int64,
        deleted UInt8
    ) ENGINE = ReplacingMergeTree(version) ORDER BY name",
    "CREATE TABLE IF NOT EXISTS {db}.settings (
        key String,
        value String,
        updated_at_ms Int64
    ) ENGINE = ReplacingMergeTree(updated_at_ms) ORDER BY key",
];

/// Tables schema version 2 added: event hits, per-goal conversions, screenshots (versions of
/// derived rows, see `super::state`).
const TABLES_V2: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS {db}.event_hits (
        name String,
        def_version UInt64,
        session_id String,
        batch_id UInt64,
        page_index UInt32,
        timestamp_ms Int64,
        value Nullable(Float64)
    ) ENGINE = MergeTree ORDER BY (name, def_version, session_id, timestamp_ms)",
    "CREATE TABLE IF NOT EXISTS {db}.conversions (
        goal_version UInt64,
        session_id String,
        batch_id UInt64,
        revenue Nullable(Float64)
    ) ENGINE = MergeTree ORDER BY (goal_version, session_id)",
    "CREATE TABLE IF NOT EXISTS {db}.page_screenshots (
        url String,
        layout_width UInt32,
        version UInt64,
        hash String,
        width UInt32,
        height UInt32,
        origin String
    ) ENGINE = ReplacingMergeTree(version) ORDER BY (url, layout_width)",
    "CREATE TABLE IF NOT EXISTS {db}.screenshot_pngs (
        hash String,
        png String
    ) ENGINE = ReplacingMergeTree ORDER BY hash",
];

/// Tables schema version 3 added: the session rows that a later published batch of the same
/// session id replaces. Readers take the published sessions less these (no `FINAL`, see
/// `super::import`); almost always empty.
const TABLES_V3: &[&str] = &["CREATE TABLE IF NOT EXISTS {db}.superseded (
        session_id String,
        batch_id UInt64,
        session_rowid Int64,
        found_at_ms Int64
    ) ENGINE = MergeTree ORDER BY (session_rowid, batch_id)"];

/// The tables a sharded library spreads over its cluster, with their sharding keys: every row
/// of a session on the session's shard; `batches` has one publish row per shard.
const SHARDED: &[(&str, &str)] = &[
    ("batches", "shard"),
    ("sessions", "cityHash64(session_id)"),
    ("page_views", "cityHash64(session_id)"),
    ("session_bodies", "cityHash64(session_id)"),
    ("points", "cityHash64(session_id)"),
    ("heatmap_bins", "0"),
    ("custom_events", "cityHash64(session_id)"),
    ("signals", "cityHash64(session_id)"),
    ("event_hits", "cityHash64(session_id)"),
    ("conversions", "cityHash64(session_id)"),
    ("superseded", "cityHash64(session_id)"),
];

/// Where a sharded library's rows live: a router-local table naming the cluster and the
/// database that holds the tables on every shard.
const SHARDING_TABLE: &str = "CREATE TABLE IF NOT EXISTS {db}.sharding (
        cluster String,
        shard_database String
    ) ENGINE = MergeTree ORDER BY cluster";

/// Creates, in `db` on the server `client` talks to, `Distributed` tables over `cluster` for the
/// tables in `shard_db` of every shard (which must already hold schema version
/// [`SCHEMA_VERSION`]), and records the version. `heatmap_bins` is only read through its
/// `Distributed` table (the shards' materialized views fill it).
pub(crate) fn create_router(
    client: &Client,
    db: &str,
    cluster: &str,
    shard_db: &str,
) -> Result<(), ClickHouseError> {
    let found = version(client, db)?;
    if found != 0 {
        return Err(ClickHouseError::Server {
            server: client.server().to_owned(),
            code: None,
            message: format!(
                "database {db} already holds a library (schema version {found}); a sharded library needs a database of its own"
            ),
        });
    }
    client.execute(&format!("CREATE DATABASE IF NOT EXISTS {db}"))?;
    for (table, key) in SHARDED {
        client.execute(&format!(
            "CREATE TABLE {db}.{table} AS {shard_db}.{table}
             ENGINE = Distributed({cluster}, {shard_db}, {table}, {key})"
        ))?;
    }
    // The library-wide tables (settings, definitions, notes, sections, screenshots) live on the
    // router itself: they are small and read whole.
    for statement in TABLES_V1.iter().chain(TABLES_V2).chain(TABLES_V3) {
        let name = statement
            .split("{db}.")
            .nth(1)
            .and_then(|rest| rest.split([' ', '(', '\n']).next())
            .unwrap_or("");
        if !name.starts_with("heatmap_bins") && !SHARDED.iter().any(|(t, _)| *t == name) {
            client.execute(&statement.replace("{db}", db))?;
        }
    }
    client.execute(&SHARDING_TABLE.replace("{db}", db))?;
    client.execute(&format!(
        "INSERT INTO {db}.sharding (cluster, shard_database) VALUES ({}, {})",
        super::rowbinary::quote(cluster),
        super::rowbinary::quote(shard_db)
    ))?;
    client.execute(&VERSION_TABLE.replace("{db}", db))?;
    client.execute(&format!(
        "INSERT INTO {db}.schema_version (version, applied_at_ms) VALUES ({SCHEMA_VERSION}, {})",
        crate::store::now_ms()
    ))
}

/// The number of shards when `db` is a sharded library's router database, else `None`.
pub(crate) fn shards(client: &Client, db: &str) -> Result<Option<u32>, ClickHouseError> {
    let exists = client.query(&format!(
        "SELECT count() FROM system.tables WHERE database = {} AND name = 'sharding' FORMAT RowBinary",
        super::rowbinary::quote(db)
    ))?;
    if RowReader::new(&exists).u64().unwrap_or(0) == 0 {
        return Ok(None);
    }
    let answer = client.query(&format!(
        "SELECT toUInt32(count(DISTINCT shard_num)) FROM system.clusters
         WHERE cluster IN (SELECT cluster FROM {db}.sharding) FORMAT RowBinary"
    ))?;
    match RowReader::new(&answer).u32() {
        Some(0) | None => Err(client.decode_error(format!(
            "the cluster named in {db}.sharding is not in this server's remote_servers"
        ))),
        Some(n) => Ok(Some(n)),
    }
}

/// The version table.
const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS {db}.schema_version (
        version UInt32,
        applied_at_ms Int64
    ) ENGINE = MergeTree ORDER BY version";

/// The highest schema version recorded in `db` (0: none).
pub(crate) fn version(client: &Client, db: &str) -> Result<u32, ClickHouseError> {
    let exists = client.query(&format!(
        "SELECT count() FROM system.tables WHERE database = {} AND name = 'schema_version' FORMAT RowBinary",
        super::rowbinary::quote(db)
    ))?;
    if RowReader::new(&exists).u64().unwrap_or(0) == 0 {
        return Ok(0);
    }
    let answer = client.query(&format!(
        "SELECT toUInt32(max(version)) FROM {db}.schema_version FORMAT RowBinary"
    ))?;
    RowReader::new(&answer)
        .u32()
        .ok_or_else(|| client.decode_error("schema version"))
}

/// Creates the database and tables when missing (needs write access); refuses a newer schema.
pub(crate) fn ensure(client: &Client, db: &str) -> Result<(), ClickHouseError> {
    let found = version(client, db)?;
    if found > SCHEMA_VERSION {
        return Err(newer(client, db, found));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    if found > 0 && shards(client, db)?.is_some() {
        return Err(ClickHouseError::Server {
            server: client.server().to_owned(),
            code: None,
            message: format!(
                "database {db} is a sharded library of schema version {found}; upgrade each shard's database by opening it, then make the router again (`ClickHouseLibrary::create_sharded` into a new database)"
            ),
        });
    }
    client.execute(&format!("CREATE DATABASE IF NOT EXISTS {db}"))?;
    client.execute(&VERSION_TABLE.replace("{db}", db))?;
    for statement in TABLES_V1.iter().chain(TABLES_V2).chain(TABLES_V3) {
        client.execute(&statement.replace("{db}", db))?;
    }
    if found == 1 {
        // Version 1's signals had no version column (ADD COLUMN IF NOT EXISTS came after 18.16).
        let has = client.query(&format!(
            "SELECT count() FROM system.columns WHERE database = {} AND table = 'signals'
               AND name = 'signal_version' FORMAT RowBinary",
            super::rowbinary::quote(db)
        ))?;
        if RowReader::new(&has).u64().unwrap_or(0) == 0 {
            client.execute(&format!(
                "ALTER TABLE {db}.signals ADD COLUMN signal_version UInt64 DEFAULT 0"
            ))?;
        }
    }
    if found > 0 {
        // Before version 3 readers took `sessions FINAL`: a session id published by two
        // batches showed the later one. Record the earlier rows as superseded, as an import
        // does now, so that readers without `FINAL` see the same.
        super::import::settle_duplicates(client, db, None)?;
    }
    client.execute(&format!(
        "INSERT INTO {db}.schema_version (version, applied_at_ms) VALUES ({SCHEMA_VERSION}, {})",
        crate::store::now_ms()
    ))
}

/// Checks a library for reading: it must exist and not be newer.
pub(crate) fn check(client: &Client, db: &str) -> Result<u32, ClickHouseError> {
    let found = version(client, db)?;
    if found > SCHEMA_VERSION {
        return Err(newer(client, db, found));
    }
    Ok(found)
}

fn newer(client: &Client, db: &str, found: u32) -> ClickHouseError {
    ClickHouseError::NewerSchema {
        server: client.server().to_owned(),
        database: db.to_owned(),
        found,
        supported: SCHEMA_VERSION,
    }
}
