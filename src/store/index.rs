//! An in-memory columnar index of every session's filterable facts, so that filtering, counting
//! and sorting 100,000 sessions takes a few milliseconds instead of a scan of wide SQLite rows.
//! SQLite then fetches only the rows to display. The index is rebuilt when the library changed
//! (this connection's writes, or `PRAGMA data_version` for other connections' writes).

use std::collections::HashMap;

use rusqlite::Connection;

use super::StoreError;
use super::query::{SessionFilter, SessionSort};
use crate::model::{Channel, DeviceClass};

/// Occurrences of one defined event: (session position, timestamp ms), sorted.
pub(crate) type Hits = std::rc::Rc<Vec<(u32, i64)>>;

/// Facts of every session, one entry per column, in `session_rowid` order.
#[derive(Debug, Default)]
pub(crate) struct SessionIndex {
    rowids: Vec<i64>,
    started_at_ms: Vec<i64>,
    duration_ms: Vec<i64>,
    device: Vec<DeviceClass>,
    viewport_width: Vec<u32>,
    channel: Vec<Channel>,
    utm_source: Vec<u32>,
    converted: Vec<bool>,
    num_clicks: Vec<u32>,
    /// Revenue of each session for the conversion goal (0 when none). `converted` and
    /// `revenue` are the stored outcome for the goal in force (`store::conversions`).
    revenue: Vec<f64>,
    /// Occurrences of defined events, read from `event_hits` on first use and kept while the
    /// index is (it is rebuilt whenever the library changes): per name, (session position,
    /// timestamp ms) sorted.
    hits: std::cell::RefCell<HashMap<String, Hits>>,
    /// Page URL ids of session `i`: `page_urls[page_starts[i]..page_starts[i + 1]]`.
    page_starts: Vec<usize>,
    page_urls: Vec<u32>,
    /// Distinct page URLs (without fragment), by id.
    urls: Vec<String>,
    /// Distinct `utm_source` values, by id (id 0 is "none").
    sources: Vec<String>,
    /// Signal kinds present in each session, as (session position, kind id), sorted.
    signal_pairs: Vec<(u32, u32)>,
    /// Distinct signal kinds, by id.
    signal_kinds: Vec<String>,
    /// Custom event names present in each session, as (session position, name id), sorted.
    event_pairs: Vec<(u32, u32)>,
    /// Distinct custom event names, ASCII-lowercased, by id.
    event_names: Vec<String>,
}

/// `(session position, value id)` pairs of a `SELECT DISTINCT session_rowid, value` query, the
/// values interned into `values` (lowercased with `lowercase`), sorted.
fn load_pairs(
    conn: &Connection,
    sql: &str,
    position_of_rowid: &RowidPositions,
    values: &mut Vec<String>,
    lowercase: bool,
) -> Result<Vec<(u32, u32)>, StoreError> {
    let mut ids = HashMap::new();
    let mut pairs = Vec::new();
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let rowid: i64 = r.get(0)?;
        let text = r.get_ref(1)?.as_str().unwrap_or("");
        let id = if lowercase {
            intern(&mut ids, values, &text.to_ascii_lowercase())
        } else {
            intern(&mut ids, values, text)
        };
        if let Some(p) = position_of_rowid.get(rowid) {
            pairs.push((u32::try_from(p).unwrap_or(u32::MAX), id));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    Ok(pairs)
}

/// Per session position: does it have value `id` in `pairs`?
fn sessions_with(len: usize, pairs: &[(u32, u32)], id: Option<usize>) -> Vec<bool> {
    let mut with = vec![false; len];
    if let Some(id) = id {
        for &(p, value) in pairs {
            if value as usize == id
                && let Some(w) = with.get_mut(p as usize)
            {
                *w = true;
            }
        }
    }
    with
}

/// Position of each session row id in the index: a dense table when the row ids are dense (the
/// usual case: SQLite numbers rows 1, 2, 3, …), else a binary search in the sorted row ids.
struct RowidPositions {
    dense: Vec<u32>,
    sorted_rowids: Vec<i64>,
}

impl RowidPositions {
    fn new(sorted_rowids: &[i64]) -> Self {
        let max = sorted_rowids.last().copied().unwrap_or(0);
        let dense_ok = usize::try_from(max)
            .is_ok_and(|m| m <= sorted_rowids.len().saturating_mul(4) + 1024)
            && sorted_rowids.first().is_none_or(|&r| r >= 0);
        if dense_ok {
            let mut dense = vec![u32::MAX; usize::try_from(max).unwrap_or(0) + 1];
            for (p, &r) in sorted_rowids.iter().enumerate() {
                if let Some(slot) = usize::try_from(r).ok().and_then(|r| dense.get_mut(r)) {
                    *slot = u32::try_from(p).unwrap_or(u32::MAX);
                }
            }
            Self {
                dense,
                sorted_rowids: Vec::new(),
            }
        } else {
            Self {
                dense: Vec::new(),
                sorted_rowids: sorted_rowids.to_vec(),
            }
        }
    }

    fn get(&self, rowid: i64) -> Option<usize> {
        if self.dense.is_empty() {
            self.sorted_rowids.binary_search(&rowid).ok()
        } else {
            usize::try_from(rowid)
                .ok()
                .and_then(|r| self.dense.get(r))
                .filter(|&&p| p != u32::MAX)
                .map(|&p| p as usize)
        }
    }
}

fn intern(map: &mut HashMap<String, u32>, values: &mut Vec<String>, value: &str) -> u32 {
    if let Some(&id) = map.get(value) {
        return id;
    }
    let id = u32::try_from(values.len()).unwrap_or(u32::MAX);
    values.push(value.to_owned());
    map.insert(value.to_owned(), id);
    id
}

pub use crate::model::glob_match;

impl SessionIndex {
    /// Reads the facts of every session.
    pub(crate) fn build(conn: &Connection) -> Result<Self, StoreError> {
        let mut index = Self {
            sources: vec![String::new()],
            ..Self::default()
        };
        let mut source_ids = HashMap::new();
        source_ids.insert(String::new(), 0);
        {
            let mut stmt = conn.prepare(
                "SELECT session_rowid, started_at_ms, duration_ms, device, viewport_width, channel, utm_source,
                        converted, num_clicks, revenue
                 FROM sessions ORDER BY session_rowid",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let rowid: i64 = r.get(0)?;
                index.rowids.push(rowid);
                index.started_at_ms.push(r.get(1)?);
                index.duration_ms.push(r.get(2)?);
                index.device.push(
                    DeviceClass::parse(r.get_ref(3)?.as_str().unwrap_or("")).unwrap_or_default(),
                );
                index.viewport_width.push(r.get(4)?);
                index.channel.push(
                    Channel::parse(r.get_ref(5)?.as_str().unwrap_or("")).unwrap_or(Channel::Direct),
                );
                let source = r.get_ref(6)?.as_str_or_null().unwrap_or(None).unwrap_or("");
                index
                    .utm_source
                    .push(intern(&mut source_ids, &mut index.sources, source));
                index.converted.push(r.get(7)?);
                index.num_clicks.push(r.get(8)?);
                index
                    .revenue
                    .push(r.get::<_, Option<f64>>(9)?.unwrap_or(0.0));
            }
        }
        let position_of_rowid = RowidPositions::new(&index.rowids);
        let mut url_ids = HashMap::new();
        let mut per_session: Vec<Vec<u32>> = vec![Vec::new(); index.rowids.len()];
        {
            let mut stmt = conn.prepare("SELECT session_rowid, url FROM page_views")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let rowid: i64 = r.get(0)?;
                let url = r.get_ref(1)?.as_str().unwrap_or("");
                let id = intern(&mut url_ids, &mut index.urls, url);
                if let Some(list) = position_of_rowid
                    .get(rowid)
                    .and_then(|p| per_session.get_mut(p))
                    && !list.contains(&id)
                {
                    list.push(id);
                }
            }
        }
        index.page_starts.reserve(per_session.len() + 1);
        index.page_starts.push(0);
        for list in per_session {
            index.page_urls.extend(list);
            index.page_starts.push(index.page_urls.len());
        }
        index.signal_pairs = load_pairs(
            conn,
            "SELECT DISTINCT session_rowid, kind FROM signals",
            &position_of_rowid,
            &mut index.signal_kinds,
            false,
        )?;
        index.event_pairs = load_pairs(
            conn,
            "SELECT DISTINCT session_rowid, name FROM custom_events",
            &position_of_rowid,
            &mut index.event_names,
            true,
        )?;
        Ok(index)
    }

    /// Number of sessions indexed.
    pub(crate) fn len(&self) -> usize {
        self.rowids.len()
    }

    /// Positions of the sessions matching `filter`, in `session_rowid` order.
    pub(crate) fn matching(&self, filter: &SessionFilter) -> Vec<usize> {
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
        let url_set: Option<Vec<bool>> = url.as_ref().map(|pattern| {
            let pattern = crate::model::UrlPattern::new(pattern);
            self.urls.iter().map(|u| pattern.matches(u)).collect()
        });
        let source_match: Option<(Option<Channel>, Option<u32>)> = source.as_ref().map(|s| {
            let source_id = self
                .sources
                .iter()
                .position(|v| v == s)
                .and_then(|i| u32::try_from(i).ok())
                .filter(|&i| i != 0);
            (Channel::parse(s), source_id)
        });
        let signal_sessions: Option<Vec<bool>> = has_signal.as_ref().map(|kind| {
            let id = self.signal_kinds.iter().position(|v| v == kind);
            sessions_with(self.len(), &self.signal_pairs, id)
        });
        let event_sessions: Option<Vec<bool>> = has_event.as_ref().map(|name| {
            let name = name.to_ascii_lowercase();
            let id = self.event_names.iter().position(|v| *v == name);
            sessions_with(self.len(), &self.event_pairs, id)
        });
        (0..self.len())
            .filter(|&i| {
                device.is_none_or(|d| self.device[i] == d)
                    && min_viewport_width.is_none_or(|w| self.viewport_width[i] >= w)
                    && max_viewport_width.is_none_or(|w| self.viewport_width[i] <= w)
                    && started_from_ms.is_none_or(|t| self.started_at_ms[i] >= t)
                    && started_before_ms.is_none_or(|t| self.started_at_ms[i] < t)
                    && converted.is_none_or(|c| self.converted[i] == c)
                    && source_match.is_none_or(|(channel, source_id)| {
                        channel.is_some_and(|c| self.channel[i] == c)
                            || source_id.is_some_and(|s| self.utm_source[i] == s)
                    })
                    && signal_sessions.as_ref().is_none_or(|with| with[i])
                    && event_sessions.as_ref().is_none_or(|with| with[i])
                    && url_set.as_ref().is_none_or(|set| {
                        self.page_urls[self.page_starts[i]..self.page_starts[i + 1]]
                            .iter()
                            .any(|&u| set.get(u as usize).copied().unwrap_or(false))
                    })
            })
            .collect()
    }

    /// Sorts positions in place by `sort` (ties broken by newest row first, as SQL did).
    pub(crate) fn sort(&self, positions: &mut [usize], sort: SessionSort) {
        match sort {
            SessionSort::NewestFirst => positions.sort_unstable_by_key(|&i| {
                std::cmp::Reverse((self.started_at_ms[i], self.rowids[i]))
            }),
            SessionSort::OldestFirst => {
                positions.sort_unstable_by_key(|&i| (self.started_at_ms[i], self.rowids[i]))
            }
            SessionSort::LongestFirst => positions.sort_unstable_by_key(|&i| {
                std::cmp::Reverse((self.duration_ms[i], self.rowids[i]))
            }),
            SessionSort::MostClicksFirst => positions
                .sort_unstable_by_key(|&i| std::cmp::Reverse((self.num_clicks[i], self.rowids[i]))),
        }
    }

    /// The `session_rowid` at a position.
    pub(crate) fn rowid(&self, position: usize) -> i64 {
        self.rowids[position]
    }

    /// Device, channel and converted flag at a position.
    /// Session length, ms.
    pub(crate) fn duration_ms(&self, position: usize) -> i64 {
        self.duration_ms[position]
    }

    /// The distinct page URLs of the session at a position.
    pub(crate) fn page_urls(&self, position: usize) -> impl Iterator<Item = &str> {
        self.page_urls[self.page_starts[position]..self.page_starts[position + 1]]
            .iter()
            .filter_map(|&u| self.urls.get(u as usize).map(String::as_str))
    }

    pub(crate) fn facts(&self, position: usize) -> (DeviceClass, Channel, bool) {
        (
            self.device[position],
            self.channel[position],
            self.converted[position],
        )
    }

    /// Signal kinds of the session at each position.
    /// Revenue of the session at `position` (0 when none).
    pub(crate) fn revenue(&self, position: usize) -> f64 {
        self.revenue.get(position).copied().unwrap_or(0.0)
    }

    /// The occurrences of the defined event `name`, as (session position, timestamp ms) in
    /// that order, read from the library once per index.
    pub(crate) fn hits_of(&self, conn: &Connection, name: &str) -> Result<Hits, StoreError> {
        if let Some(hits) = self.hits.borrow().get(name) {
            return Ok(std::rc::Rc::clone(hits));
        }
        let mut stmt = conn.prepare_cached(
            "SELECT session_rowid, timestamp_ms FROM event_hits WHERE name = ?1
             ORDER BY session_rowid, timestamp_ms",
        )?;
        let mut rows = stmt.query([name])?;
        let mut hits = Vec::new();
        let mut last: Option<(i64, Option<usize>)> = None;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            // Rows come by rowid: look each session up once.
            let position = match last {
                Some((previous, position)) if previous == rowid => position,
                _ => self.rowids.binary_search(&rowid).ok(),
            };
            last = Some((rowid, position));
            if let Some(p) = position.and_then(|p| u32::try_from(p).ok()) {
                hits.push((p, r.get(1)?));
            }
        }
        let hits = std::rc::Rc::new(hits);
        self.hits
            .borrow_mut()
            .insert(name.to_owned(), std::rc::Rc::clone(&hits));
        Ok(hits)
    }

    pub(crate) fn signal_kinds_by_position(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); self.len()];
        for &(p, kind) in &self.signal_pairs {
            if let (Some(list), Some(name)) = (
                out.get_mut(p as usize),
                self.signal_kinds.get(kind as usize),
            ) {
                list.push(name.clone());
            }
        }
        out
    }
}
