//! The store side of heatmap aggregation: which page views of a page and layout the filter
//! covers, and their columnar point blobs and signals, read without decoding whole sessions.
//!
//! Sessions are filtered by the in-memory session index (device, dates, source, converted,
//! signals); page views by URL (exact or glob) and viewport width in SQL; then the chosen page
//! views' blobs are read URL by URL, in one pass or by key (see [`Library::for_each_point_blob`]).

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::OptionalExtension as _;
use rusqlite::types::Value;

use super::query::SessionFilter;
use super::{Library, StoreError};
use crate::model::points::{HeatmapPageView, PageSignal, PointColumns, PointKind, session_runs};
use crate::model::{PagePos, Session, SizePx};

/// True when `url` (fragment ignored) matches `pattern` as heatmap and list filters match page
/// URLs: exactly, or as a glob with `*` and `?`, where a pattern starting with `/` matches that path
/// on any origin.
#[must_use]
pub fn url_matches(pattern: &str, url: &str) -> bool {
    crate::model::UrlPattern::new(pattern).matches(url)
}

/// A session in this many of the row id span of the chosen page views makes reading every blob
/// in one pass cheaper than looking each up (see [`Library::for_each_point_blob`]).
pub const SCAN_SESSIONS_PER_VIEW: i64 = 8;

/// The columns of a stored point blob, or a decode error naming the page view.
fn point_columns<'a>(
    view: &HeatmapPageView,
    value: rusqlite::types::ValueRef<'a>,
) -> Result<PointColumns<'a>, StoreError> {
    let decode = |detail: String| StoreError::Decode {
        session_id: format!("rowid {}", view.session_rowid),
        detail,
    };
    let blob = value
        .as_blob()
        .map_err(|e| decode(format!("point blob: {e}")))?;
    PointColumns::from_blob(blob)
        .ok_or_else(|| decode("point blob length is not a multiple of 12".to_owned()))
}

impl Library {
    /// The page views whose URL matches `page` (exact without fragment, or a glob; a pattern
    /// starting with `/` matches that path on any origin) and whose viewport width lies in
    /// `viewport_widths` (inclusive), of the sessions matching `filter`, in
    /// `(session_rowid, page_index)` order.
    pub fn heatmap_page_views(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<Vec<HeatmapPageView>, StoreError> {
        let index = self.session_index()?;
        let unfiltered = SessionFilter {
            url: None,
            ..filter.clone()
        } == SessionFilter::default();
        // Sessions are numbered densely by SQLite, so a bitmap by rowid is small.
        let allowed: Option<Vec<bool>> = (!unfiltered).then(|| {
            let positions = index.matching(filter);
            let max_rowid = positions.iter().map(|&p| index.rowid(p)).max().unwrap_or(0);
            let mut allowed = vec![false; usize::try_from(max_rowid).unwrap_or(0) + 1];
            for p in positions {
                if let Some(a) = usize::try_from(index.rowid(p))
                    .ok()
                    .and_then(|r| allowed.get_mut(r))
                {
                    *a = true;
                }
            }
            allowed
        });
        let (op, operand) = crate::model::UrlPattern::new(page).sql_operand();
        let mut params = vec![Value::Text(operand)];
        let mut sql = format!(
            "SELECT session_rowid, page_index, viewport_width, viewport_height, max_depth_px,
                    left_at_ms - entered_at_ms, doc_height, entered_at_ms, url, num_clicks
             FROM page_views WHERE url {op} ?"
        );
        if let Some((lo, hi)) = viewport_widths {
            sql.push_str(" AND viewport_width BETWEEN ? AND ?");
            params.push(Value::Integer(i64::from(lo)));
            params.push(Value::Integer(i64::from(hi)));
        }
        sql.push_str(" ORDER BY session_rowid, page_index");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        let mut urls: HashMap<String, Arc<str>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let session_rowid: i64 = r.get(0)?;
            if let Some(allowed) = &allowed
                && !usize::try_from(session_rowid)
                    .ok()
                    .and_then(|i| allowed.get(i))
                    .copied()
                    .unwrap_or(false)
            {
                continue;
            }
            let url = r.get_ref(8)?.as_str().map_err(|e| StoreError::Decode {
                session_id: format!("rowid {session_rowid}"),
                detail: format!("page URL: {e}"),
            })?;
            let url = match urls.get(url) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<str> = Arc::from(url);
                    urls.insert(url.to_owned(), Arc::clone(&shared));
                    shared
                }
            };
            out.push(HeatmapPageView {
                url,
                session_rowid,
                page_index: r.get(1)?,
                viewport: SizePx {
                    width: r.get(2)?,
                    height: r.get(3)?,
                },
                max_depth_px: r.get::<_, f64>(4)? as f32,
                duration_ms: r.get(5)?,
                doc_height_px: r.get(6)?,
                entered_at_ms: r.get(7)?,
                num_clicks: r.get(9)?,
            });
        }
        Ok(out)
    }

    /// Calls `f(view index, columns)` for each of `views` that has points of `kind`. Blobs are
    /// borrowed from SQLite, never copied. They come URL by URL (in the order each URL first
    /// appears in `views`), and within a URL in the order of `views`.
    ///
    /// Blobs are stored clustered by URL, kind and session (schema 7). When the views of a URL
    /// are in `(session_rowid, page_index)` order (as [`Self::heatmap_page_views`] returns
    /// them) and cover at least one session in `SCAN_SESSIONS_PER_VIEW` of their row id span,
    /// that URL's blobs are read in one pass in key order, each table page once; otherwise each
    /// blob is looked up by its key. While an import's newest blobs still wait to be folded into
    /// that table (schema 8, [`Library::fold_recent_points`]), every blob is looked up by key in
    /// both tables.
    pub fn for_each_point_blob(
        &self,
        views: &[HeatmapPageView],
        kind: PointKind,
        mut f: impl FnMut(usize, PointColumns<'_>),
    ) -> Result<(), StoreError> {
        let recent = self.has_recent_points()?;
        let mut groups: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
        let mut group_of: HashMap<Arc<str>, usize> = HashMap::new();
        for (i, view) in views.iter().enumerate() {
            let g = *group_of.entry(Arc::clone(&view.url)).or_insert_with(|| {
                groups.push((Arc::clone(&view.url), Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        for (url, members) in &groups {
            let (Some(&first), Some(&last)) = (members.first(), members.last()) else {
                continue;
            };
            let key = |i: usize| (views[i].session_rowid, views[i].page_index);
            let in_order = members.is_sorted_by_key(|&i| key(i));
            let span = views[last]
                .session_rowid
                .saturating_sub(views[first].session_rowid)
                .saturating_add(1);
            let dense = i64::try_from(members.len())
                .unwrap_or(i64::MAX)
                .saturating_mul(SCAN_SESSIONS_PER_VIEW)
                >= span;
            if in_order && dense && !recent {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT session_rowid, page_index, data FROM page_points
                     WHERE url = ?1 AND kind = ?2 AND session_rowid BETWEEN ?3 AND ?4",
                )?;
                let mut rows = stmt.query(rusqlite::params![
                    url.as_ref(),
                    kind.code(),
                    views[first].session_rowid,
                    views[last].session_rowid
                ])?;
                let mut next = 0;
                while let Some(row) = rows.next()? {
                    let row_key = (row.get::<_, i64>(0)?, row.get::<_, i64>(1)?);
                    while let Some(&i) = members.get(next)
                        && (views[i].session_rowid, i64::from(views[i].page_index)) < row_key
                    {
                        next += 1;
                    }
                    let Some(&i) = members.get(next) else { break };
                    if (views[i].session_rowid, i64::from(views[i].page_index)) == row_key {
                        f(i, point_columns(&views[i], row.get_ref(2)?)?);
                    }
                }
            } else {
                let mut stmt = self.conn.prepare_cached(if recent {
                    "SELECT data FROM page_points
                     WHERE url = ?1 AND kind = ?2 AND session_rowid = ?3 AND page_index = ?4
                     UNION ALL
                     SELECT data FROM page_points_recent
                     WHERE session_rowid = ?3 AND page_index = ?4 AND kind = ?2"
                } else {
                    "SELECT data FROM page_points
                     WHERE url = ?1 AND kind = ?2 AND session_rowid = ?3 AND page_index = ?4"
                })?;
                for &i in members {
                    let view = &views[i];
                    let mut rows = stmt.query(rusqlite::params![
                        url.as_ref(),
                        kind.code(),
                        view.session_rowid,
                        view.page_index
                    ])?;
                    if let Some(row) = rows.next()? {
                        f(i, point_columns(view, row.get_ref(0)?)?);
                    }
                }
            }
        }
        Ok(())
    }

    /// Signals of `kind` (`rage_click`, `dead_click`, …) with a position, on any of `views`.
    pub fn page_signals(
        &self,
        views: &[HeatmapPageView],
        kind: &str,
    ) -> Result<Vec<PageSignal>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT page_index, x, y, start_ms, target FROM signals
             WHERE session_rowid = ?1 AND kind = ?2 AND x IS NOT NULL AND y IS NOT NULL
             ORDER BY start_ms",
        )?;
        let mut out = Vec::new();
        // Page views arrive grouped by session: one query per session.
        for run in session_runs(views) {
            let rowid = views[run.start].session_rowid;
            let mut rows = stmt.query(rusqlite::params![rowid, kind])?;
            while let Some(r) = rows.next()? {
                let page_index: i64 = r.get(0)?;
                let Some(view) = run
                    .clone()
                    .find(|&i| i64::from(views[i].page_index) == page_index)
                else {
                    continue;
                };
                out.push(PageSignal {
                    view,
                    pos_in_page: PagePos {
                        x: r.get::<_, f64>(1)? as f32,
                        y: r.get::<_, f64>(2)? as f32,
                    },
                    start_ms: r.get(3)?,
                    target: r.get(4)?,
                });
            }
        }
        Ok(out)
    }

    /// Loads one whole session by its row id (see [`HeatmapPageView::session_rowid`]).
    pub fn load_session_by_rowid(&self, session_rowid: i64) -> Result<Session, StoreError> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT session_id FROM sessions WHERE session_rowid = ?1",
                [session_rowid],
                |r| r.get(0),
            )
            .optional()?;
        let id = id.ok_or_else(|| StoreError::NoSuchSession(format!("rowid {session_rowid}")))?;
        self.load_session(&id)
    }

    /// The session id of a row id, if stored.
    pub fn session_id_of_rowid(&self, session_rowid: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT session_id FROM sessions WHERE session_rowid = ?1",
                [session_rowid],
                |r| r.get(0),
            )
            .optional()?)
    }
}
