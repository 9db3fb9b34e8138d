//! Filtered session lists, page groups and per-page points: the narrow query interface.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use serde::Serialize;

use super::points::{PagePoints, PointKind};
use super::{Library, StoreError};
pub use crate::model::SessionFilter;
use crate::model::{Channel, DeviceClass, UrlPattern};

/// Orders of the session list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionSort {
    /// Newest first.
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
    /// Longest first.
    LongestFirst,
    /// Most clicks first.
    MostClicksFirst,
}

/// One row of the session list (`sessionlens list --json` prints these).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionRow {
    /// Session id.
    pub session_id: String,
    /// Epoch ms.
    pub started_at_ms: i64,
    /// ms.
    pub duration_ms: i64,
    /// Device class.
    pub device: DeviceClass,
    /// Initial viewport width, CSS px.
    pub viewport_width: u32,
    /// Initial viewport height, CSS px.
    pub viewport_height: u32,
    /// Channel.
    pub source: Channel,
    /// `utm_source`, when recorded.
    pub utm_source: Option<String>,
    /// URLs of the page views, in order.
    pub pages: Vec<String>,
    /// Number of clicks.
    pub num_clicks: u32,
    /// Number of events.
    pub num_events: u64,
    /// Whether it converted for the library's conversion goal.
    pub converted: bool,
    /// Its revenue for that goal, when known (`ConversionGoal`'s rule).
    pub revenue: Option<f64>,
    /// Signals by kind, with counts.
    pub signals: BTreeMap<String, u64>,
}

/// A page URL with how often it was viewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageGroup {
    /// URL without fragment.
    pub url: String,
    /// Page views of it.
    pub page_views: u64,
    /// Sessions that viewed it.
    pub sessions: u64,
}

/// The questions the UI, the CLI and analysis ask of a library. Implemented by [`Library`] over
/// SQLite; a column store could implement the same.
pub trait SessionQueries {
    /// Number of sessions matching `filter`.
    fn count_sessions(&self, filter: &SessionFilter) -> Result<u64, StoreError>;
    /// A page of the matching sessions, sorted.
    fn list_sessions(
        &self,
        filter: &SessionFilter,
        sort: SessionSort,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SessionRow>, StoreError>;
    /// Page URLs viewed by the matching sessions, most viewed first.
    fn page_groups(&self, filter: &SessionFilter) -> Result<Vec<PageGroup>, StoreError>;
    /// The points of one kind on the page views whose URL matches `page` (exact or glob) and
    /// whose viewport width lies in `viewport_widths`, over the sessions matching `filter`.
    fn page_points(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        kind: PointKind,
    ) -> Result<PagePoints, StoreError>;
}

fn url_condition(column: &str, pattern: &str, params: &mut Vec<Value>) -> String {
    let (op, operand) = UrlPattern::new(pattern).sql_operand();
    params.push(Value::Text(operand));
    format!("{column} {op} ?")
}

/// Builds the WHERE clause (over `sessions s`) and its parameters.
pub(crate) fn where_clause(filter: &SessionFilter) -> (String, Vec<Value>) {
    let SessionFilter {
        url,
        device,
        min_viewport_width,
        max_viewport_width,
        source,
        started_from_ms,
        started_before_ms,
        converted,
        has_signal,
        has_event,
    } = filter;
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    if let Some(url) = url {
        let cond = url_condition("pv.url", url, &mut params);
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM page_views pv WHERE pv.session_rowid = s.session_rowid AND {cond})"
        ));
    }
    if let Some(device) = device {
        conditions.push("s.device = ?".to_owned());
        params.push(Value::Text(device.as_str().to_owned()));
    }
    if let Some(w) = min_viewport_width {
        conditions.push("s.viewport_width >= ?".to_owned());
        params.push(Value::Integer(i64::from(*w)));
    }
    if let Some(w) = max_viewport_width {
        conditions.push("s.viewport_width <= ?".to_owned());
        params.push(Value::Integer(i64::from(*w)));
    }
    if let Some(source) = source {
        conditions.push("(s.channel = ? OR s.utm_source = ?)".to_owned());
        params.push(Value::Text(source.clone()));
        params.push(Value::Text(source.clone()));
    }
    if let Some(t) = started_from_ms {
        conditions.push("s.started_at_ms >= ?".to_owned());
        params.push(Value::Integer(*t));
    }
    if let Some(t) = started_before_ms {
        conditions.push("s.started_at_ms < ?".to_owned());
        params.push(Value::Integer(*t));
    }
    if let Some(c) = converted {
        conditions.push("s.converted = ?".to_owned());
        params.push(Value::Integer(i64::from(*c)));
    }
    if let Some(kind) = has_signal {
        conditions.push("EXISTS (SELECT 1 FROM signals g WHERE g.session_rowid = s.session_rowid AND g.kind = ?)".to_owned());
        params.push(Value::Text(kind.clone()));
    }
    if let Some(name) = has_event {
        conditions.push("EXISTS (SELECT 1 FROM custom_events ce WHERE ce.session_rowid = s.session_rowid AND ce.name = ? COLLATE NOCASE)".to_owned());
        params.push(Value::Text(name.clone()));
    }
    let sql = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    (sql, params)
}

fn parse_signal_counts(text: Option<String>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for kind in text
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|k| !k.is_empty())
    {
        *out.entry(kind.to_owned()).or_insert(0) += 1;
    }
    out
}

impl SessionQueries for Library {
    fn count_sessions(&self, filter: &SessionFilter) -> Result<u64, StoreError> {
        Ok(self.session_index()?.matching(filter).len() as u64)
    }

    fn list_sessions(
        &self,
        filter: &SessionFilter,
        sort: SessionSort,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let index = self.session_index()?;
        let mut positions = index.matching(filter);
        index.sort(&mut positions, sort);
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(positions.len());
        let end = start
            .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
            .min(positions.len());
        let rowids: Vec<i64> = positions[start..end]
            .iter()
            .map(|&p| index.rowid(p))
            .collect();
        let mut by_rowid: std::collections::HashMap<i64, SessionRow> =
            std::collections::HashMap::with_capacity(rowids.len());
        for chunk in rowids.chunks(500) {
            // Integer literals only: no user text reaches this SQL.
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT s.session_rowid, s.session_id, s.started_at_ms, s.duration_ms, s.device, s.viewport_width,
                        s.viewport_height, s.channel, s.utm_source, s.num_clicks, s.num_events, s.converted, s.revenue,
                        (SELECT group_concat(pv.full_url, char(10) ORDER BY pv.page_index) FROM page_views pv
                           WHERE pv.session_rowid = s.session_rowid),
                        (SELECT group_concat(g.kind, ',') FROM signals g WHERE g.session_rowid = s.session_rowid)
                 FROM sessions s WHERE s.session_rowid IN ({list})"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let device: String = r.get(4)?;
                let channel: String = r.get(7)?;
                let pages: Option<String> = r.get(13)?;
                by_rowid.insert(
                    r.get(0)?,
                    SessionRow {
                        session_id: r.get(1)?,
                        started_at_ms: r.get(2)?,
                        duration_ms: r.get(3)?,
                        device: DeviceClass::parse(&device).unwrap_or_default(),
                        viewport_width: r.get(5)?,
                        viewport_height: r.get(6)?,
                        source: Channel::parse(&channel).unwrap_or(Channel::Direct),
                        utm_source: r.get(8)?,
                        num_clicks: r.get(9)?,
                        num_events: u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
                        converted: r.get(11)?,
                        revenue: r.get(12)?,
                        pages: pages
                            .map(|p| p.split('\n').map(str::to_owned).collect())
                            .unwrap_or_default(),
                        signals: parse_signal_counts(r.get(14)?),
                    },
                );
            }
        }
        Ok(rowids.iter().filter_map(|id| by_rowid.remove(id)).collect())
    }

    fn page_groups(&self, filter: &SessionFilter) -> Result<Vec<PageGroup>, StoreError> {
        let (clause, params) = where_clause(filter);
        let sql = format!(
            "SELECT pv.url, count(*), count(DISTINCT pv.session_rowid) FROM page_views pv
             WHERE pv.session_rowid IN (SELECT s.session_rowid FROM sessions s {clause})
             GROUP BY pv.url ORDER BY count(*) DESC, pv.url"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(PageGroup {
                url: r.get(0)?,
                page_views: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                sessions: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn page_points(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        kind: PointKind,
    ) -> Result<PagePoints, StoreError> {
        let (clause, filter_params) = where_clause(filter);
        let mut params = Vec::new();
        let url_cond = url_condition("pv.url", page, &mut params);
        let mut conditions = vec![url_cond];
        if let Some((lo, hi)) = viewport_widths {
            conditions.push("pv.viewport_width BETWEEN ? AND ?".to_owned());
            params.push(Value::Integer(i64::from(lo)));
            params.push(Value::Integer(i64::from(hi)));
        }
        params.extend(filter_params);
        // The kind is an internal integer code, safe to inline.
        let sql = format!(
            "SELECT pv.session_rowid,
                    coalesce(
                      (SELECT pp.data FROM page_points pp WHERE pp.url = pv.url AND pp.kind = {0}
                         AND pp.session_rowid = pv.session_rowid AND pp.page_index = pv.page_index),
                      (SELECT pr.data FROM page_points_recent pr
                       WHERE pr.session_rowid = pv.session_rowid AND pr.page_index = pv.page_index
                         AND pr.kind = {0}))
             FROM page_views pv
             WHERE {1} AND pv.session_rowid IN (SELECT s.session_rowid FROM sessions s {clause})
             ORDER BY pv.session_rowid, pv.page_index",
            kind.code(),
            conditions.join(" AND "),
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut points = PagePoints::default();
        let mut last_session = None;
        while let Some(row) = rows.next()? {
            let session_rowid: i64 = row.get(0)?;
            points.num_page_views += 1;
            if last_session != Some(session_rowid) {
                points.num_sessions += 1;
                last_session = Some(session_rowid);
            }
            if let Some(data) = row
                .get_ref(1)?
                .as_blob_or_null()
                .map_err(|e| StoreError::Invalid(e.to_string()))?
                && !points.append_blob(data)
            {
                return Err(StoreError::Decode {
                    session_id: format!("rowid {session_rowid}"),
                    detail: "point blob length is not a multiple of 12".to_owned(),
                });
            }
        }
        Ok(points)
    }
}

#[cfg(test)]
mod tests;
