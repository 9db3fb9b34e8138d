//! The reads the store's heatmap composition takes from a backend: the chosen page views of a
//! page and layout, their point columns, their rage and dead signals, and sessions by row id
//! (`session_rowid`, see `import::session_rowid`).

use std::collections::HashMap;
use std::sync::Arc;

use super::rowbinary::{RowReader, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::model::points::{HeatmapPageView, PageSignal, PointColumns, PointKind, session_runs};
use crate::model::{PagePos, Session, SessionFilter, SizePx};

/// x, y and time bytes of one page view's points, in the blob layout.
type ColumnBytes = (Vec<u8>, Vec<u8>, Vec<u8>);

/// A positioned signal of a session: page index, x, y, start ms, target.
type SignalAt = (u32, f64, f64, i64, Option<String>);

/// Page views (or sessions) per query that lists their keys in its text (the server caps a
/// query's text at `max_query_size`, 256 KiB by default).
pub(super) const VIEWS_PER_QUERY: usize = 2_000;
/// Page views per query that sends their keys as a table of its own: bounds the points one
/// answer holds, not the query's text.
const VIEWS_PER_TABLE: usize = 50_000;

impl ClickHouseLibrary {
    /// `SELECT session_rowid, batch_id` of every visible session ([`Self::published`]):
    /// integers, a set the server builds faster than [`Self::all_visible`]'s.
    fn all_visible_rowids(&self) -> String {
        format!(
            "SELECT session_rowid, batch_id FROM {} WHERE {}",
            self.table("sessions"),
            self.published()
        )
    }

    /// `SELECT session_id, batch_id` of every visible session ([`Self::published`]).
    fn all_visible(&self) -> String {
        format!(
            "SELECT session_id, batch_id FROM {} WHERE {}",
            self.table("sessions"),
            self.published()
        )
    }

    /// The page views whose URL matches `page` and whose viewport width lies in
    /// `viewport_widths` (inclusive), of the sessions matching `filter`, in
    /// `(session_rowid, page_index)` order.
    pub fn heatmap_page_views(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<Vec<HeatmapPageView>, ClickHouseError> {
        self.heatmap_page_views_where(filter, page, viewport_widths, "")
    }

    /// [`Self::heatmap_page_views`] of the page views that also meet `and` (SQL on
    /// `page_views` starting with ` AND`, or empty).
    pub(super) fn heatmap_page_views_where(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        and: &str,
    ) -> Result<Vec<HeatmapPageView>, ClickHouseError> {
        let widths = viewport_widths.map_or_else(String::new, |(lo, hi)| {
            format!(" AND viewport_width BETWEEN {lo} AND {hi}")
        });
        let answer = self.client.query(&format!(
            "SELECT session_rowid, page_index, viewport_width, viewport_height, max_depth_px,
                    left_at_ms - entered_at_ms, doc_height, entered_at_ms, url, num_clicks
             FROM {} WHERE {}{widths}{and} AND (session_id, batch_id) IN ({})
             ORDER BY session_rowid, page_index FORMAT RowBinary",
            self.table("page_views"),
            super::read::url_condition("url", page),
            self.visible_sessions(filter)?,
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut urls: HashMap<String, Arc<str>> = HashMap::new();
        let mut out = Vec::new();
        while !reader.is_empty() {
            let view = (|| {
                let session_rowid = reader.i64()?;
                let page_index = reader.u32()?;
                let width = reader.u32()?;
                let height = reader.u32()?;
                let max_depth_px = reader.f64()? as f32;
                let duration_ms = reader.i64()?;
                let doc_height_px = reader.u32()?;
                let entered_at_ms = reader.i64()?;
                let url = reader.string()?;
                let num_clicks = reader.u32()?;
                let url = Arc::clone(
                    urls.entry(url)
                        .or_insert_with_key(|u| Arc::from(u.as_str())),
                );
                Some(HeatmapPageView {
                    url,
                    session_rowid,
                    page_index,
                    viewport: SizePx { width, height },
                    max_depth_px,
                    duration_ms,
                    doc_height_px,
                    entered_at_ms,
                    num_clicks,
                })
            })()
            .ok_or_else(|| self.client.decode_error("heatmap page views"))?;
            out.push(view);
        }
        Ok(out)
    }

    /// Calls `f(view index, columns)` for each of `views` that has points of `kind`, in the
    /// order of `views`; the columns are built per page view from the server's rows.
    pub fn for_each_point_blob(
        &self,
        views: &[HeatmapPageView],
        kind: PointKind,
        f: &mut dyn FnMut(usize, PointColumns<'_>),
    ) -> Result<(), ClickHouseError> {
        // The page views' keys go with the query as a table of their own (external data), so
        // one query reads the points of many page views in one pass over their pages' range.
        for (chunk_index, chunk) in views.chunks(VIEWS_PER_TABLE).enumerate() {
            let mut url_list: Vec<&str> = chunk.iter().map(|v| &*v.url).collect();
            url_list.sort_unstable();
            url_list.dedup();
            let urls: Vec<String> = url_list.iter().map(|u| quote(u)).collect();
            let mut keys = super::rowbinary::RowWriter::default();
            for v in chunk {
                keys.i64(v.session_rowid).u32(v.page_index);
            }
            let answer = self.client.query_with_table(
                &format!(
                    "SELECT session_rowid, page_index, x, y, t_ms FROM {}
                     WHERE url IN ({}) AND kind = {} AND (session_rowid, page_index) IN _views
                       AND (session_rowid, batch_id) IN ({})
                     ORDER BY session_rowid, page_index, seq FORMAT RowBinary",
                    self.table("points"),
                    urls.join(","),
                    kind.code(),
                    self.all_visible_rowids(),
                ),
                "_views",
                "session_rowid Int64, page_index UInt32",
                &keys.bytes,
            )?;
            // Columns per page view: x values, then y values, then times (the blob layout).
            let mut columns: HashMap<(i64, u32), ColumnBytes> = HashMap::new();
            let mut reader = RowReader::new(&answer);
            while !reader.is_empty() {
                let (Some(rowid), Some(page_index), Some(x), Some(y), Some(t)) = (
                    reader.i64(),
                    reader.u32(),
                    reader.f32(),
                    reader.f32(),
                    reader.u32(),
                ) else {
                    return Err(self.client.decode_error("points"));
                };
                let entry = columns.entry((rowid, page_index)).or_default();
                entry.0.extend_from_slice(&x.to_le_bytes());
                entry.1.extend_from_slice(&y.to_le_bytes());
                entry.2.extend_from_slice(&t.to_le_bytes());
            }
            let offset = chunk_index * VIEWS_PER_TABLE;
            for (i, view) in chunk.iter().enumerate() {
                let Some((xs, ys, ts)) = columns.remove(&(view.session_rowid, view.page_index))
                else {
                    continue;
                };
                let mut blob = xs;
                blob.extend_from_slice(&ys);
                blob.extend_from_slice(&ts);
                let cols = PointColumns::from_blob(&blob)
                    .ok_or_else(|| self.client.decode_error("point columns"))?;
                f(offset + i, cols);
            }
        }
        Ok(())
    }

    /// Signals of `kind` as stored (`rage_click`, `dead_click`) with a position on any of
    /// `views`: per session (in the order of `views`), by start time.
    pub fn page_signals(
        &self,
        views: &[HeatmapPageView],
        kind: &str,
    ) -> Result<Vec<PageSignal>, ClickHouseError> {
        let mut by_session: HashMap<i64, Vec<SignalAt>> = HashMap::new();
        let signal_version = self.signal_version()?;
        let mut rowids: Vec<i64> = views.iter().map(|v| v.session_rowid).collect();
        rowids.sort_unstable();
        rowids.dedup();
        for chunk in rowids.chunks(VIEWS_PER_QUERY) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let answer = self.client.query(&format!(
                "SELECT session_rowid, page_index, assumeNotNull(x), assumeNotNull(y), start_ms, target
                 FROM {} WHERE kind = {} AND session_rowid IN ({}) AND isNotNull(x) AND isNotNull(y)
                   AND signal_version = {signal_version} AND (session_id, batch_id) IN ({})
                 ORDER BY session_rowid, start_ms, signal_index FORMAT RowBinary",
                self.table("signals"),
                quote(kind),
                list.join(","),
                self.all_visible(),
            ))?;
            let mut reader = RowReader::new(&answer);
            while !reader.is_empty() {
                let (Some(rowid), Some(page_index), Some(x), Some(y), Some(start_ms), Some(target)) = (
                    reader.i64(),
                    reader.u32(),
                    reader.f64(),
                    reader.f64(),
                    reader.i64(),
                    reader.opt_string(),
                ) else {
                    return Err(self.client.decode_error("page signals"));
                };
                by_session
                    .entry(rowid)
                    .or_default()
                    .push((page_index, x, y, start_ms, target));
            }
        }
        let mut out = Vec::new();
        for run in session_runs(views) {
            let rowid = views[run.start].session_rowid;
            for (page_index, x, y, start_ms, target) in
                by_session.get(&rowid).map(Vec::as_slice).unwrap_or(&[])
            {
                let Some(view) = run.clone().find(|&i| views[i].page_index == *page_index) else {
                    continue;
                };
                out.push(PageSignal {
                    view,
                    pos_in_page: PagePos {
                        x: *x as f32,
                        y: *y as f32,
                    },
                    start_ms: *start_ms,
                    target: target.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The session id of a row id, if a visible session has it.
    pub fn session_id_of_rowid(
        &self,
        session_rowid: i64,
    ) -> Result<Option<String>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT session_id FROM {} WHERE session_rowid = {session_rowid}
               AND {} LIMIT 1 FORMAT RowBinary",
            self.table("sessions"),
            self.published(),
        ))?;
        if answer.is_empty() {
            return Ok(None);
        }
        RowReader::new(&answer)
            .string()
            .map(Some)
            .ok_or_else(|| self.client.decode_error("session id"))
    }

    /// One whole session by its row id.
    pub fn load_session_by_rowid(&self, session_rowid: i64) -> Result<Session, ClickHouseError> {
        match self.session_id_of_rowid(session_rowid)? {
            Some(id) => self.load_session(&id),
            None => Err(ClickHouseError::NoSuchSession(format!(
                "rowid {session_rowid}"
            ))),
        }
    }
}
