//! Stored frustration signals: written at import (in the session's own transaction), rewritten
//! by [`Library::recompute_signals`] when the thresholds change, and read back per session, by
//! kind and page, and as ranked hotspots.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, Transaction, params};
use serde::Serialize;

use super::query::SessionFilter;
use super::{Library, StoreError};
use crate::analysis::signals::hotspots::{self, Hotspot, HotspotSort, PageVisits, SignalRow};
use crate::analysis::signals::{self, SignalKind, SignalSettings};
use crate::model::{PagePos, UrlPattern};

/// The `settings` key under which the signal thresholds are stored, as JSON.
pub const SIGNAL_SETTINGS_KEY: &str = "signals.settings";

/// A signal as stored, with its session and page (`sessionlens signals --json` prints these).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredSignal {
    /// The session's id.
    pub session_id: String,
    /// The kind.
    pub kind: SignalKind,
    /// The page URL (without fragment) of the page view it happened on.
    pub page_url: String,
    /// Index of that page view in the session.
    pub page_index: u32,
    /// Epoch ms it began.
    pub start_ms: i64,
    /// Epoch ms it ended.
    pub end_ms: i64,
    /// Page x, CSS px, when known.
    pub x: Option<f32>,
    /// Page y, CSS px, when known.
    pub y: Option<f32>,
    /// Clicks or taps involved.
    pub num_clicks: u32,
    /// CSS selector of the element, when known.
    pub target: Option<String>,
    /// Strength; 1.0 is at the threshold.
    pub severity: f32,
    /// A short explanation.
    pub detail: Option<String>,
}

impl StoredSignal {
    /// The position in page coordinates, when known.
    #[must_use]
    pub fn pos_in_page(&self) -> Option<PagePos> {
        Some(PagePos {
            x: self.x?,
            y: self.y?,
        })
    }
}

/// Which stored signals to list. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignalQuery {
    /// Sessions to consider (the session list's filter).
    pub filter: SessionFilter,
    /// Only this session.
    pub session_id: Option<String>,
    /// Only these kinds (any of them).
    pub kinds: Vec<SignalKind>,
    /// Only signals on pages whose URL matches: exact, or a glob (`/product/*`, see
    /// [`SessionFilter::url`]).
    pub page: Option<String>,
}

/// What [`Library::recompute_signals`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecomputeSummary {
    /// Sessions whose signals were recomputed.
    pub sessions: u64,
    /// Signals written.
    pub signals: u64,
}

fn where_sessions(filter: &SessionFilter) -> (String, Vec<Value>) {
    let (clause, params) = super::query::where_clause(filter);
    if clause.is_empty() {
        (String::new(), params)
    } else {
        (
            format!("AND g.session_rowid IN (SELECT s.session_rowid FROM sessions s {clause})"),
            params,
        )
    }
}

impl Library {
    /// The signal thresholds stored in the library, or the defaults.
    pub fn signal_settings(&self) -> Result<SignalSettings, StoreError> {
        read_settings(&self.conn)
    }

    /// Stores new thresholds and recomputes every session's signals with them, all in one
    /// transaction: readers see either the old signals or the new ones.
    pub fn recompute_signals(
        &mut self,
        settings: &SignalSettings,
    ) -> Result<RecomputeSummary, StoreError> {
        let json =
            serde_json::to_string(settings).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![SIGNAL_SETTINGS_KEY, json],
        )?;
        tx.execute("DELETE FROM signals", [])?;
        let mut summary = RecomputeSummary::default();
        super::library::for_each_stored_session(&tx, &mut |rowid, session| {
            let found = crate::analysis::derive::signals(&session, settings);
            summary.signals += write_signals(&tx, rowid, &found)? as u64;
            summary.sessions += 1;
            Ok(())
        })?;
        tx.commit()?;
        self.invalidate_index();
        Ok(summary)
    }

    /// The signals of one session, in time order.
    pub fn session_signals(&self, session_id: &str) -> Result<Vec<StoredSignal>, StoreError> {
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT session_rowid FROM sessions WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NoSuchSession(session_id.to_owned()));
        }
        self.signals(&SignalQuery {
            session_id: Some(session_id.to_owned()),
            ..SignalQuery::default()
        })
    }

    /// Stored signals matching `query`, by session (oldest stored first), then time.
    pub fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, StoreError> {
        let (sessions, mut params) = where_sessions(&query.filter);
        let mut conditions = String::new();
        if let Some(id) = &query.session_id {
            conditions.push_str(" AND s.session_id = ?");
            params.push(Value::Text(id.clone()));
        }
        if !query.kinds.is_empty() {
            conditions.push_str(" AND g.kind IN (");
            for (i, kind) in query.kinds.iter().enumerate() {
                conditions.push_str(if i == 0 { "?" } else { ", ?" });
                params.push(Value::Text(kind.as_str().to_owned()));
            }
            conditions.push(')');
        }
        if let Some(page) = &query.page {
            let (op, operand) = UrlPattern::new(page).sql_operand();
            conditions.push_str(&format!(" AND pv.url {op} ?"));
            params.push(Value::Text(operand));
        }
        let sql = format!(
            "SELECT s.session_id, g.kind, pv.url, g.page_index, g.start_ms, g.end_ms, g.x, g.y,
                    g.num_clicks, g.target, g.severity, g.detail
             FROM signals g
             JOIN sessions s ON s.session_rowid = g.session_rowid
             LEFT JOIN page_views pv ON pv.session_rowid = g.session_rowid AND pv.page_index = g.page_index
             WHERE 1 {sessions} {conditions}
             ORDER BY g.session_rowid, g.start_ms, g.kind"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind_name: String = r.get(1)?;
            // Kinds this build does not know (written by a newer one) are skipped.
            let Some(kind) = SignalKind::parse(&kind_name) else {
                continue;
            };
            out.push(StoredSignal {
                session_id: r.get(0)?,
                kind,
                page_url: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                page_index: r.get(3)?,
                start_ms: r.get(4)?,
                end_ms: r.get(5)?,
                x: r.get::<_, Option<f64>>(6)?.map(|v| v as f32),
                y: r.get::<_, Option<f64>>(7)?.map(|v| v as f32),
                num_clicks: r.get(8)?,
                target: r.get(9)?,
                severity: r.get::<_, f64>(10)? as f32,
                detail: r.get(11)?,
            });
        }
        Ok(out)
    }

    /// The hotspot table over the sessions matching `filter`, restricted to `kinds` (all when
    /// empty) and to pages matching `page` (exact or glob), sorted by `sort`.
    pub fn hotspots(
        &self,
        filter: &SessionFilter,
        kinds: &[SignalKind],
        page: Option<&str>,
        sort: HotspotSort,
    ) -> Result<Vec<Hotspot>, StoreError> {
        let page = page.map(UrlPattern::new);
        let page_match = |url: &str| page.as_ref().is_none_or(|p| p.matches(url));
        let (sessions, params) = where_sessions(filter);
        let sql = format!(
            "SELECT g.session_rowid, s.converted, g.kind, pv.url, g.target, g.x, g.y
             FROM signals g
             JOIN sessions s ON s.session_rowid = g.session_rowid
             JOIN page_views pv ON pv.session_rowid = g.session_rowid AND pv.page_index = g.page_index
             WHERE 1 {sessions}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut signal_rows = Vec::new();
        while let Some(r) = rows.next()? {
            let Some(kind) = r.get_ref(2)?.as_str().ok().and_then(SignalKind::parse) else {
                continue;
            };
            if !kinds.is_empty() && !kinds.contains(&kind) {
                continue;
            }
            let url: String = r.get(3)?;
            if !page_match(&url) {
                continue;
            }
            let x: Option<f64> = r.get(5)?;
            let y: Option<f64> = r.get(6)?;
            signal_rows.push(SignalRow {
                session: r.get(0)?,
                converted: r.get(1)?,
                kind,
                page_url: url,
                target: r.get(4)?,
                pos_in_page: x.zip(y).map(|(x, y)| PagePos {
                    x: x as f32,
                    y: y as f32,
                }),
            });
        }
        let (clause, params) = super::query::where_clause(filter);
        let scope = if clause.is_empty() {
            String::new()
        } else {
            format!("WHERE pv.session_rowid IN (SELECT s.session_rowid FROM sessions s {clause})")
        };
        let sql = format!(
            "SELECT pv.url, count(DISTINCT pv.session_rowid),
                    count(DISTINCT CASE WHEN ss.converted THEN pv.session_rowid END)
             FROM page_views pv JOIN sessions ss ON ss.session_rowid = pv.session_rowid
             {scope}
             GROUP BY pv.url"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let pages = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok(PageVisits {
                    url: r.get(0)?,
                    sessions: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    converted_sessions: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(hotspots::hotspots(&signal_rows, &pages, sort))
    }
}

/// The stored thresholds, or the defaults.
pub(crate) fn read_settings(conn: &rusqlite::Connection) -> Result<SignalSettings, StoreError> {
    let json: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SIGNAL_SETTINGS_KEY],
            |r| r.get(0),
        )
        .optional()?;
    match json {
        None => Ok(SignalSettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            StoreError::Invalid(format!(
                "library setting {SIGNAL_SETTINGS_KEY} is not valid signal settings: {e}"
            ))
        }),
    }
}

/// Stores the derived signals of session `rowid`.
pub(crate) fn write_signals(
    tx: &Transaction<'_>,
    rowid: i64,
    found: &[signals::Signal],
) -> Result<usize, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO signals (session_rowid, kind, page_index, start_ms, end_ms, x, y, target, severity,
             detail, num_clicks)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for s in found {
        insert.execute(params![
            rowid,
            s.kind.as_str(),
            s.page_index,
            s.start_ms,
            s.end_ms,
            s.pos_in_page.map(|p| f64::from(p.x)),
            s.pos_in_page.map(|p| f64::from(p.y)),
            s.target,
            f64::from(s.severity),
            s.detail,
            s.num_clicks,
        ])?;
    }
    Ok(found.len())
}
