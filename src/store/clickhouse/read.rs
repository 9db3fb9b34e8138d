//! Reads: the session list under a [`SessionFilter`], one session's body, the points and
//! heatmap bins of a page, and KPIs, each one query (or two) whose aggregation runs in
//! ClickHouse.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;

use super::import::COMPRESSION_ZLIB;
use super::rowbinary::{RowReader, quote};
use super::state::LibState;
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::{
    ADD_TO_CART, BEGIN_CHECKOUT, Kpis, Lift, LiftCounts, lift_from_counts,
};
use crate::model::{Channel, DeviceClass, Session, SessionFilter, UrlPattern};
use crate::store::{
    PageGroup, PagePoints, PointKind, SessionQueries, SessionRow, SessionSort, StoreError,
};

/// One heatmap grid cell ([`super::BIN_PX`] CSS px square) and its count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeatmapBin {
    /// Column: `floor(x / BIN_PX)`.
    pub cell_x: i32,
    /// Row: `floor(y / BIN_PX)`.
    pub cell_y: i32,
    /// Points in the cell.
    pub count: u64,
}

/// The condition on a `url` column (URLs without fragments) that [`UrlPattern`] means: `=` for
/// an exact URL, `LIKE` for a glob (`*` → `%`, `?` → `_`, which ClickHouse matches per UTF-8
/// character; `%`, `_` and `\` escaped).
pub(crate) fn url_condition(column: &str, pattern: &str) -> String {
    let pattern = UrlPattern::new(pattern);
    let (op, operand) = pattern.sql_operand();
    if op == "=" {
        return format!("{column} = {}", quote(&operand));
    }
    // `sql_operand` escaped `[` for SQLite's GLOB; undo that first.
    let glob = operand.replace("[[]", "[");
    let mut like = String::with_capacity(glob.len() + 8);
    for c in glob.chars() {
        match c {
            '*' => like.push('%'),
            '?' => like.push('_'),
            '%' | '_' | '\\' => {
                like.push('\\');
                like.push(c);
            }
            c => like.push(c),
        }
    }
    format!("{column} LIKE {}", quote(&like))
}

fn width_condition(widths: Option<(u32, u32)>) -> String {
    widths.map_or_else(String::new, |(lo, hi)| {
        format!(" AND viewport_width BETWEEN {lo} AND {hi}")
    })
}

/// Runs `decode` (one row) and names `what` when it fails.
fn decode_row(
    decode: impl FnOnce() -> Option<()>,
    what: &str,
    lib: &ClickHouseLibrary,
) -> Result<(), ClickHouseError> {
    decode().ok_or_else(|| lib.client.decode_error(what.to_owned()))
}

impl ClickHouseLibrary {
    /// The rows of `sessions` readers see: those of published batches less those a later
    /// batch of the same session id superseded (`super::import::settle_duplicates`); no
    /// `FINAL`, which 18.16 merges on one thread (0.28 s per read at a million sessions).
    pub(super) fn published(&self) -> String {
        format!(
            "batch_id IN (SELECT batch_id FROM {}) AND (session_rowid, batch_id) NOT IN (SELECT session_rowid, batch_id FROM {})",
            self.table("batches"),
            self.table("superseded")
        )
    }

    /// Conditions over `sessions` for `filter`, visible rows only ([`Self::published`]). The
    /// library's state is read when the filter needs it (conversion, signals).
    fn session_conditions(&self, filter: &SessionFilter) -> Result<String, ClickHouseError> {
        let state = if filter.converted.is_some() || filter.has_signal.is_some() {
            Some(self.state()?)
        } else {
            None
        };
        Ok(self.session_conditions_in(filter, state.as_ref()))
    }

    /// [`Self::session_conditions`] with the state already read (needed when the filter asks
    /// for conversion or signals).
    pub(super) fn session_conditions_in(
        &self,
        filter: &SessionFilter,
        state: Option<&LibState>,
    ) -> String {
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
        let mut c = vec![self.published()];
        if let Some(url) = url {
            c.push(format!(
                "(session_rowid, batch_id) IN (SELECT session_rowid, batch_id FROM {} WHERE {})",
                self.table("page_views"),
                url_condition("url", url)
            ));
        }
        if let Some(device) = device {
            c.push(format!("device = {}", quote(device.as_str())));
        }
        if let Some(w) = min_viewport_width {
            c.push(format!("viewport_width >= {w}"));
        }
        if let Some(w) = max_viewport_width {
            c.push(format!("viewport_width <= {w}"));
        }
        if let Some(source) = source {
            let q = quote(source);
            c.push(format!("(channel = {q} OR ifNull(utm_source = {q}, 0))"));
        }
        if let Some(t) = started_from_ms {
            c.push(format!("started_at_ms >= {t}"));
        }
        if let Some(t) = started_before_ms {
            c.push(format!("started_at_ms < {t}"));
        }
        if let Some(v) = converted {
            match state {
                Some(state) => c.push(self.converted_condition(state, *v)),
                None => c.push(format!("converted = {}", u8::from(*v))),
            }
        }
        if let Some(kind) = has_signal {
            c.push(format!(
                "(session_rowid, batch_id) IN (SELECT session_rowid, batch_id FROM {} WHERE kind = {} AND signal_version = {})",
                self.table("signals"),
                quote(kind),
                state.map_or(0, |s| s.signal_version),
            ));
        }
        if let Some(name) = has_event {
            c.push(format!(
                "(cityHash64(session_id), batch_id) IN (SELECT cityHash64(session_id), batch_id FROM {} WHERE name_lower = {})",
                self.table("custom_events"),
                quote(&name.to_ascii_lowercase())
            ));
        }
        c.join(" AND ")
    }

    /// `SELECT session_id, batch_id` of the visible sessions matching `filter`.
    pub(super) fn visible_sessions(
        &self,
        filter: &SessionFilter,
    ) -> Result<String, ClickHouseError> {
        Ok(format!(
            "SELECT session_id, batch_id FROM {} WHERE {}",
            self.table("sessions"),
            self.session_conditions(filter)?
        ))
    }

    /// SQL: the keys `(session_rowid, batch_id)` of the published sessions matching `filter`:
    /// two integers, a set the server builds and probes faster than [`Self::visible_sessions_in`]'s
    /// strings (the heatmap reads of a million sessions build it three times per map).
    pub(super) fn visible_rowids_in(&self, filter: &SessionFilter, state: &LibState) -> String {
        format!(
            "SELECT session_rowid, batch_id FROM {} WHERE {}",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(state))
        )
    }

    /// [`Self::visible_sessions`] with the state already read.
    pub(super) fn visible_sessions_in(&self, filter: &SessionFilter, state: &LibState) -> String {
        format!(
            "SELECT session_id, batch_id FROM {} WHERE {}",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(state))
        )
    }

    /// Number of sessions matching `filter`.
    pub fn count_sessions(&self, filter: &SessionFilter) -> Result<u64, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT count() FROM {} WHERE {} FORMAT RowBinary",
            self.table("sessions"),
            self.session_conditions(filter)?
        ))?;
        RowReader::new(&answer)
            .u64()
            .ok_or_else(|| self.client.decode_error("session count"))
    }

    /// A page of the sessions matching `filter`, sorted (ties by session id, in the sort's
    /// direction).
    pub fn list_sessions(
        &self,
        filter: &SessionFilter,
        sort: SessionSort,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SessionRow>, ClickHouseError> {
        let order = match sort {
            SessionSort::NewestFirst => "started_at_ms DESC, session_id DESC",
            SessionSort::OldestFirst => "started_at_ms ASC, session_id ASC",
            SessionSort::LongestFirst => "duration_ms DESC, session_id DESC",
            SessionSort::MostClicksFirst => "num_clicks DESC, session_id DESC",
        };
        let state = self.state()?;
        let answer = self.client.query(&format!(
            "SELECT session_id, batch_id, started_at_ms, duration_ms, device, viewport_width, viewport_height,
                    channel, utm_source, num_clicks, num_events, converted, revenue
             FROM {} WHERE {} ORDER BY {order} LIMIT {offset}, {limit} FORMAT RowBinary",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(&state))
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut rows = Vec::new();
        let mut keys = Vec::new();
        while !reader.is_empty() {
            let row = (|| {
                let session_id = reader.string()?;
                let batch_id = reader.u64()?;
                let started_at_ms = reader.i64()?;
                let duration_ms = reader.i64()?;
                let device = reader.string()?;
                let viewport_width = reader.u32()?;
                let viewport_height = reader.u32()?;
                let channel = reader.string()?;
                let utm_source = reader.opt_string()?;
                let num_clicks = reader.u32()?;
                let num_events = reader.u64()?;
                let converted = reader.u8()? != 0;
                let revenue = reader.opt_f64()?;
                keys.push(format!("({}, {batch_id})", quote(&session_id)));
                Some(SessionRow {
                    session_id,
                    started_at_ms,
                    duration_ms,
                    device: DeviceClass::parse(&device).unwrap_or_default(),
                    viewport_width,
                    viewport_height,
                    source: Channel::parse(&channel).unwrap_or(Channel::Direct),
                    utm_source,
                    pages: Vec::new(),
                    num_clicks,
                    num_events,
                    converted,
                    revenue,
                    signals: BTreeMap::new(),
                })
            })()
            .ok_or_else(|| self.client.decode_error("session list"))?;
            rows.push(row);
        }
        if rows.is_empty() {
            return Ok(rows);
        }
        // The rows' pages, signal counts and conversions, a bounded number of sessions a query
        // (the keys are in the query's text, which the server caps: `max_query_size`). `keys`
        // are in the order of `rows`.
        let mut start = 0;
        for keys in keys.chunks(super::heatmap::VIEWS_PER_QUERY) {
            let end = start + keys.len();
            if let Some(rows) = rows.get_mut(start..end) {
                self.complete_rows(rows, &keys.join(","), &state)?;
            }
            start = end;
        }
        Ok(rows)
    }

    /// Fills in `rows`, whose keys `(session_id, batch_id)` are `keys`: page URLs, signal
    /// counts and, for a goal other than the standard one, conversion and revenue.
    fn complete_rows(
        &self,
        rows: &mut [SessionRow],
        keys: &str,
        state: &LibState,
    ) -> Result<(), ClickHouseError> {
        let position: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.session_id.clone(), i))
            .collect();
        let answer = self.client.query(&format!(
            "SELECT session_id, full_url FROM {} WHERE (session_id, batch_id) IN ({keys})
             ORDER BY session_id, page_index FORMAT RowBinary",
            self.table("page_views")
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            decode_row(
                || {
                    let id = reader.string()?;
                    let url = reader.string()?;
                    if let Some(row) = position.get(&id).and_then(|&i| rows.get_mut(i)) {
                        row.pages.push(url);
                    }
                    Some(())
                },
                "page list",
                self,
            )?;
        }
        let answer = self.client.query(&format!(
            "SELECT session_id, kind, count() FROM {} WHERE (session_id, batch_id) IN ({keys})
               AND signal_version = {}
             GROUP BY session_id, kind FORMAT RowBinary",
            self.table("signals"),
            state.signal_version,
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            decode_row(
                || {
                    let id = reader.string()?;
                    let kind = reader.string()?;
                    let n = reader.u64()?;
                    if let Some(row) = position.get(&id).and_then(|&i| rows.get_mut(i)) {
                        row.signals.insert(kind, n);
                    }
                    Some(())
                },
                "signal counts",
                self,
            )?;
        }
        if !state.goal.is_standard() {
            // Conversion for the goal in force, not the standard one stored with the session.
            let conversions = self.conversions_of(state, keys)?;
            for row in rows.iter_mut() {
                let found = conversions.get(&row.session_id);
                row.converted = found.is_some();
                row.revenue = found.copied().flatten();
            }
        }
        Ok(())
    }

    /// Page URLs viewed by the sessions matching `filter`, most viewed first (ties by URL), with
    /// their page views and sessions.
    pub fn page_groups(&self, filter: &SessionFilter) -> Result<Vec<PageGroup>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT url, count() AS views, uniqExact(session_id) FROM {}
             WHERE (session_id, batch_id) IN ({})
             GROUP BY url ORDER BY views DESC, url FORMAT RowBinary",
            self.table("page_views"),
            self.visible_sessions(filter)?
        ))?;
        let groups = RowReader::new(&answer)
            .rows(|r| {
                Some(PageGroup {
                    url: r.string()?,
                    page_views: r.u64()?,
                    sessions: r.u64()?,
                })
            })
            .ok_or_else(|| self.client.decode_error("page groups"))?;
        Ok(groups)
    }

    /// The recording a session was imported from (as recorded at import).
    pub fn source_file(&self, session_id: &str) -> Result<Option<String>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT source_file FROM {} WHERE session_id = {} AND {}
             LIMIT 1 FORMAT RowBinary",
            self.table("sessions"),
            quote(session_id),
            self.published(),
        ))?;
        if answer.is_empty() {
            return Err(ClickHouseError::NoSuchSession(session_id.to_owned()));
        }
        let file = RowReader::new(&answer)
            .string()
            .ok_or_else(|| self.client.decode_error("source file"))?;
        Ok((!file.is_empty()).then_some(file))
    }

    /// Custom event names with the number of sessions that sent each, most frequent first
    /// (then by name); names differing only in ASCII case count as one.
    pub fn custom_event_names(&self) -> Result<Vec<(String, u64)>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT any(name), uniqExact(session_id) AS sessions FROM {}
             WHERE (session_id, batch_id) IN ({})
             GROUP BY name_lower ORDER BY sessions DESC, any(name) FORMAT RowBinary",
            self.table("custom_events"),
            self.visible_sessions(&SessionFilter::default())?,
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut out = Vec::new();
        while !reader.is_empty() {
            let (Some(name), Some(n)) = (reader.string(), reader.u64()) else {
                return Err(self.client.decode_error("custom event names"));
            };
            out.push((name, n));
        }
        Ok(out)
    }

    /// The whole session `session_id`, from its stored body.
    pub fn load_session(&self, session_id: &str) -> Result<Session, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT encoding, compression, body FROM {} WHERE (session_id, batch_id) IN
               (SELECT session_id, batch_id FROM {} WHERE session_id = {} AND {})
             LIMIT 1 FORMAT RowBinary",
            self.table("session_bodies"),
            self.table("sessions"),
            quote(session_id),
            self.published(),
        ))?;
        if answer.is_empty() {
            return Err(ClickHouseError::NoSuchSession(session_id.to_owned()));
        }
        let mut reader = RowReader::new(&answer);
        let (Some(encoding), Some(compression), Some(stored)) =
            (reader.u16(), reader.u8(), reader.bytes())
        else {
            return Err(self.client.decode_error("session body"));
        };
        let corrupt = |detail: String| crate::store::StoreError::Decode {
            session_id: session_id.to_owned(),
            detail,
        };
        if compression != COMPRESSION_ZLIB {
            return Err(corrupt(format!("unknown body compression {compression}")).into());
        }
        let mut body = Vec::new();
        flate2::read::ZlibDecoder::new(stored)
            .read_to_end(&mut body)
            .map_err(|e| corrupt(format!("decompressing the body: {e}")))?;
        Ok(crate::store::body::decode(
            i64::from(encoding),
            &body,
            session_id,
        )?)
    }

    /// The points of one kind on the page views whose URL matches `page` and whose viewport
    /// width lies in `viewport_widths`, over the sessions matching `filter`: the same as the
    /// SQLite library's `page_points`, with runs in (session id, page index) order.
    pub fn page_points(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        kind: PointKind,
    ) -> Result<PagePoints, ClickHouseError> {
        let url_cond = url_condition("url", page);
        let widths = width_condition(viewport_widths);
        let visible = self.visible_sessions(filter)?;
        let answer = self.client.query(&format!(
            "SELECT count(), uniqExact(session_id) FROM {} WHERE {url_cond}{widths}
               AND (session_id, batch_id) IN ({visible}) FORMAT RowBinary",
            self.table("page_views"),
        ))?;
        let mut reader = RowReader::new(&answer);
        let (Some(num_page_views), Some(num_sessions)) = (reader.u64(), reader.u64()) else {
            return Err(self.client.decode_error("page view counts"));
        };
        let answer = self.client.query(&format!(
            "SELECT session_id, page_index, x, y, t_ms FROM {} WHERE {url_cond} AND kind = {}{widths}
               AND (session_id, batch_id) IN ({visible})
             ORDER BY session_id, page_index, seq FORMAT RowBinary",
            self.table("points"),
            kind.code(),
        ))?;
        let mut points = PagePoints {
            num_page_views,
            num_sessions,
            ..PagePoints::default()
        };
        let mut reader = RowReader::new(&answer);
        let mut last: Option<(String, u32)> = None;
        while !reader.is_empty() {
            let (Some(id), Some(page_index), Some(x), Some(y), Some(t)) = (
                reader.string(),
                reader.u32(),
                reader.f32(),
                reader.f32(),
                reader.u32(),
            ) else {
                return Err(self.client.decode_error("points"));
            };
            if last
                .as_ref()
                .is_none_or(|(i, p)| *i != id || *p != page_index)
            {
                points.run_starts.push(points.xs.len());
                last = Some((id, page_index));
            }
            points.xs.push(x);
            points.ys.push(y);
            points.ts_ms.push(t);
        }
        Ok(points)
    }

    /// Heatmap bins of one kind on the pages matching `page` (and widths), over the sessions
    /// matching `filter`, sorted by cell. Without a filter they come from the pre-aggregated
    /// `heatmap_bins` table (a `SummingMergeTree` fed by a materialized view); with one, the
    /// server bins the matching points.
    pub fn heatmap_bins(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        kind: PointKind,
    ) -> Result<Vec<HeatmapBin>, ClickHouseError> {
        let url_cond = url_condition("url", page);
        let widths = width_condition(viewport_widths);
        let sql = if *filter == SessionFilter::default() {
            format!(
                "SELECT cell_x, cell_y, toUInt64(sum(n)) AS count FROM {} WHERE {url_cond} AND kind = {}{widths}
                   AND batch_id IN (SELECT batch_id FROM {})
                 GROUP BY cell_x, cell_y ORDER BY cell_x, cell_y FORMAT RowBinary",
                self.table("heatmap_bins"),
                kind.code(),
                self.table("batches"),
            )
        } else {
            format!(
                "SELECT toInt32(floor(x / {bin})) AS cell_x, toInt32(floor(y / {bin})) AS cell_y, count() AS count
                 FROM {} WHERE {url_cond} AND kind = {}{widths}
                   AND (session_id, batch_id) IN ({})
                 GROUP BY cell_x, cell_y ORDER BY cell_x, cell_y FORMAT RowBinary",
                self.table("points"),
                kind.code(),
                self.visible_sessions(filter)?,
                bin = super::BIN_PX,
            )
        };
        let answer = self.client.query(&sql)?;
        let bins = RowReader::new(&answer)
            .rows(|r| {
                Some(HeatmapBin {
                    cell_x: r.i32()?,
                    cell_y: r.i32()?,
                    count: r.u64()?,
                })
            })
            .ok_or_else(|| self.client.decode_error("heatmap bins"))?;
        Ok(bins)
    }

    /// Conversion lift of the sessions matching `filter` that hit each definition of `names`
    /// or had each signal kind of `signal_kinds` (the published signals), counted by the
    /// server in one pass over the sessions: per row, sessions and converted ones with it, as
    /// `analysis::conversions::lift` counts them.
    pub fn lift(
        &self,
        filter: &SessionFilter,
        names: &[String],
        signal_kinds: &[&str],
    ) -> Result<Vec<Lift>, ClickHouseError> {
        let state = self.state()?;
        let converted = self.converted_condition(&state, true);
        let mut rows: Vec<(&str, &'static str, String)> = Vec::new();
        for name in names {
            rows.push((name, "event", self.hit_hashes(&state, name)));
        }
        for kind in signal_kinds {
            rows.push((
                kind,
                "signal",
                format!(
                    "SELECT cityHash64(session_id), batch_id FROM {} WHERE signal_version = {} AND kind = {}",
                    self.table("signals"),
                    state.signal_version,
                    quote(kind)
                ),
            ));
        }
        let mut columns = vec![
            "count()".to_owned(),
            format!("toUInt64(countIf({converted}))"),
        ];
        for (k, (_, _, keys)) in rows.iter().enumerate() {
            columns.push(format!(
                "toUInt64(countIf((cityHash64(session_id), batch_id) IN ({keys}) AS with{k})),
                 toUInt64(countIf(with{k} AND {converted}))"
            ));
        }
        let answer = self.client.query(&format!(
            "SELECT {} FROM {} WHERE {} FORMAT RowBinary",
            columns.join(", "),
            self.table("sessions"),
            self.session_conditions_in(filter, Some(&state)),
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut next = || {
            reader
                .u64()
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
                .ok_or_else(|| self.client.decode_error("lift"))
        };
        let (sessions, converted) = (next()?, next()?);
        let mut out = Vec::with_capacity(rows.len());
        for (name, what, _) in rows {
            let (with, with_converted) = (next()?, next()?);
            out.push(lift_from_counts(
                name,
                what,
                LiftCounts {
                    sessions,
                    converted,
                    with,
                    with_converted,
                },
            ));
        }
        Ok(out)
    }

    /// The KPIs of the sessions matching `filter` for the conversion goal in force, with
    /// `add_to_cart` and `begin_checkout` the sessions with hits of the definitions of those
    /// names (as `analysis::conversions::kpis` counts them), aggregated by the server.
    pub fn kpis(&self, filter: &SessionFilter) -> Result<Kpis, ClickHouseError> {
        let state = self.state()?;
        let conditions = self.session_conditions_in(filter, Some(&state));
        let converted = self.converted_condition(&state, true);
        let with_hit = |name: &str| {
            format!(
                "(cityHash64(session_id), batch_id) IN ({})",
                self.hit_hashes(&state, name)
            )
        };
        let answer = self.client.query(&format!(
            "SELECT count(), toUInt64(countIf({converted})), toUInt64(countIf({atc})),
                    toUInt64(countIf({bc})), toUInt64(countIf({bc} AND {converted}))
             FROM {} WHERE {conditions} FORMAT RowBinary",
            self.table("sessions"),
            atc = with_hit(ADD_TO_CART),
            bc = with_hit(BEGIN_CHECKOUT),
        ))?;
        let mut reader = RowReader::new(&answer);
        let (Some(n), Some(purchases), Some(add_to_cart), Some(checkouts), Some(completed)) = (
            reader.u64(),
            reader.u64(),
            reader.u64(),
            reader.u64(),
            reader.u64(),
        ) else {
            return Err(self.client.decode_error("KPIs"));
        };
        // Revenue is summed here in a fixed order (session id), so the figure is the same
        // however the server splits the work.
        let sql = if state.goal_version == 0 {
            format!(
                "SELECT ifNull(revenue, 0) FROM {} WHERE {conditions} AND {converted}
                 ORDER BY session_id FORMAT RowBinary",
                self.table("sessions"),
            )
        } else {
            format!(
                "SELECT ifNull(revenue, 0) FROM {} WHERE goal_version = {}
                   AND (session_id, batch_id) IN (SELECT session_id, batch_id FROM {} WHERE {conditions})
                 ORDER BY session_id FORMAT RowBinary",
                self.table("conversions"),
                state.goal_version,
                self.table("sessions"),
            )
        };
        let answer = self.client.query(&sql)?;
        let mut reader = RowReader::new(&answer);
        let mut revenue = 0.0;
        while !reader.is_empty() {
            revenue += reader
                .f64()
                .ok_or_else(|| self.client.decode_error("revenue"))?;
        }
        let as_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let (n, purchases, add_to_cart, checkouts, completed) = (
            as_usize(n),
            as_usize(purchases),
            as_usize(add_to_cart),
            as_usize(checkouts),
            as_usize(completed),
        );
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        Ok(Kpis {
            sessions: n,
            purchases,
            conversion_rate: ratio(purchases, n),
            add_to_cart,
            add_to_cart_rate: ratio(add_to_cart, n),
            checkouts_started: checkouts,
            checkouts_completed: completed,
            cart_abandonment_rate: ratio(checkouts - completed, checkouts),
            checkout_completion_rate: ratio(completed, checkouts),
            revenue,
            average_order_value: (purchases > 0).then(|| revenue / purchases as f64),
            revenue_per_visitor: (n > 0).then(|| revenue / n as f64),
        })
    }
}

/// The narrow query interface, as the SQLite library answers it (ties in the session list are
/// broken by session id, where SQLite uses its row order).
impl SessionQueries for ClickHouseLibrary {
    fn count_sessions(&self, filter: &SessionFilter) -> Result<u64, StoreError> {
        Ok(Self::count_sessions(self, filter)?)
    }

    fn list_sessions(
        &self,
        filter: &SessionFilter,
        sort: SessionSort,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        Ok(Self::list_sessions(self, filter, sort, offset, limit)?)
    }

    fn page_groups(&self, filter: &SessionFilter) -> Result<Vec<PageGroup>, StoreError> {
        Ok(Self::page_groups(self, filter)?)
    }

    fn page_points(
        &self,
        filter: &SessionFilter,
        page: &str,
        viewport_widths: Option<(u32, u32)>,
        kind: PointKind,
    ) -> Result<PagePoints, StoreError> {
        Ok(Self::page_points(
            self,
            filter,
            page,
            viewport_widths,
            kind,
        )?)
    }
}
