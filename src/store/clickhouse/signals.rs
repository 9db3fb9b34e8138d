//! Stored frustration signals of a ClickHouse library (written at import, see `import`).

use super::rowbinary::{RowReader, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::signals::SignalKind;
use crate::analysis::signals::hotspots::{
    self, Hotspot, HotspotGroup, HotspotPlace, HotspotSort, PageVisits,
};
use crate::model::{SessionFilter, UrlPattern};
use crate::store::{SignalQuery, StoredSignal};

impl ClickHouseLibrary {
    /// Stored signals matching `query`, by session (by id), then time and kind.
    pub fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, ClickHouseError> {
        let state = self.state()?;
        let mut conditions = vec![
            format!(
                "(session_id, batch_id) IN ({})",
                self.visible_sessions_in(&query.filter, &state)
            ),
            format!("signal_version = {}", state.signal_version),
        ];
        if let Some(id) = &query.session_id {
            conditions.push(format!("session_id = {}", quote(id)));
        }
        if !query.kinds.is_empty() {
            let kinds: Vec<String> = query.kinds.iter().map(|k| quote(k.as_str())).collect();
            conditions.push(format!("kind IN ({})", kinds.join(", ")));
        }
        if let Some(page) = &query.page {
            // A signal on no page view has no URL and matches no page.
            conditions.push(format!(
                "page_url != '' AND {}",
                super::read::url_condition("page_url", page)
            ));
        }
        let answer = self.client.query(&format!(
            "SELECT session_id, kind, page_url, page_index, start_ms, end_ms, x, y, num_clicks, target,
                    severity, detail
             FROM {} WHERE {} ORDER BY session_id, start_ms, kind, signal_index FORMAT RowBinary",
            self.table("signals"),
            conditions.join(" AND ")
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut out = Vec::new();
        while !reader.is_empty() {
            let row = (|| {
                let session_id = reader.string()?;
                let kind = reader.string()?;
                let page_url = reader.string()?;
                let page_index = reader.u32()?;
                let start_ms = reader.i64()?;
                let end_ms = reader.i64()?;
                let x = reader.opt_f64()?;
                let y = reader.opt_f64()?;
                let num_clicks = reader.u32()?;
                let target = reader.opt_string()?;
                let severity = reader.f64()?;
                let detail = reader.opt_string()?;
                // Kinds this build does not know (written by a newer one) are skipped.
                Some(SignalKind::parse(&kind).map(|kind| StoredSignal {
                    session_id,
                    kind,
                    page_url,
                    page_index,
                    start_ms,
                    end_ms,
                    x: x.map(|v| v as f32),
                    y: y.map(|v| v as f32),
                    num_clicks,
                    target,
                    severity: severity as f32,
                    detail,
                }))
            })()
            .ok_or_else(|| self.client.decode_error("signals"))?;
            out.extend(row);
        }
        Ok(out)
    }

    /// The signals of one session, in time order.
    pub fn session_signals(&self, session_id: &str) -> Result<Vec<StoredSignal>, ClickHouseError> {
        // Fails with "no such session" for an unknown id, as the SQLite library does.
        self.source_file(session_id)?;
        self.signals(&SignalQuery {
            session_id: Some(session_id.to_owned()),
            ..SignalQuery::default()
        })
    }

    /// The hotspot table over the sessions matching `filter`, restricted to `kinds` (all when
    /// empty) and to pages matching `page`, sorted by `sort`: the server counts the signals per
    /// group ([`Self::hotspot_groups`]) and the visits per page, side by side; the ranking is
    /// `analysis::signals::hotspots::rank_groups`'s.
    pub fn hotspots(
        &self,
        filter: &SessionFilter,
        kinds: &[SignalKind],
        page: Option<&str>,
        sort: HotspotSort,
    ) -> Result<Vec<Hotspot>, ClickHouseError> {
        let page = page.map(UrlPattern::new);
        let page_match = |url: &str| page.as_ref().is_none_or(|p| p.matches(url));
        let state = self.state()?;
        // Sessions by `(session_rowid, batch_id)`: integers, a set the server builds and probes
        // faster than the ids' strings.
        let converted = self.visible_rowids_in(
            &SessionFilter {
                converted: Some(true),
                ..SessionFilter::default()
            },
            &state,
        );
        let visible = self.visible_rowids_in(filter, &state);
        // The visits per page, read beside the groups.
        let visits = || -> Result<Vec<PageVisits>, ClickHouseError> {
            let answer = self.client.query(&format!(
                "SELECT url, uniqExact(session_rowid),
                        uniqExactIf(session_rowid, (session_rowid, batch_id) IN ({converted}))
                 FROM {} WHERE (session_rowid, batch_id) IN ({visible}) GROUP BY url FORMAT RowBinary",
                self.table("page_views"),
            ))?;
            let mut reader = RowReader::new(&answer);
            let mut pages = Vec::new();
            while !reader.is_empty() {
                let (Some(url), Some(sessions), Some(converted_sessions)) =
                    (reader.string(), reader.u64(), reader.u64())
                else {
                    return Err(self.client.decode_error("page visits"));
                };
                pages.push(PageVisits {
                    url,
                    sessions,
                    converted_sessions,
                });
            }
            Ok(pages)
        };
        let groups = || -> Result<Vec<HotspotGroup>, ClickHouseError> {
            let groups = self.hotspot_groups(&visible, &converted, state.signal_version)?;
            Ok(groups
                .into_iter()
                .filter(|g| {
                    (kinds.is_empty() || kinds.contains(&g.kind)) && page_match(&g.page_url)
                })
                .collect())
        };
        let (pages, groups) =
            super::pushdown::beside("clickhouse-hotspot-visits", visits, groups, || {
                self.client.decode_error("a hotspot reader thread panicked")
            });
        let (pages, groups) = (pages?, groups?);
        Ok(hotspots::rank_groups(groups, &pages, sort))
    }
    /// The published signals of the sessions in `visible` (a select of `(session_rowid,
    /// batch_id)`) counted per kind, page and place, as `hotspots::hotspots` groups signal
    /// rows: the element when its selector is known and not empty, else the 16 px cell of the
    /// position (in the f32 the client holds, `hotspots::cell_of`), else the page; with the
    /// sessions among them in `converted`. Kinds this build does not know are left out.
    fn hotspot_groups(
        &self,
        visible: &str,
        converted: &str,
        signal_version: u64,
    ) -> Result<Vec<HotspotGroup>, ClickHouseError> {
        let cell = |v: &str| {
            let c = format!("floor(toFloat32(assumeNotNull({v})) / 16) * 16");
            format!("if(isNaN({c}), 0, toInt32(least(greatest({c}, -2147483648.), 2147483647.)))")
        };
        let answer = self.client.query(&format!(
            "SELECT kind, page_url, place, element, cx, cy, count(), uniqExact(session_rowid),
                    uniqExactIf(session_rowid, (session_rowid, batch_id) IN ({converted}))
             FROM (
               SELECT kind, page_url, session_rowid, batch_id,
                      multiIf(isNotNull(target) AND assumeNotNull(target) != '', 0,
                              isNotNull(x) AND isNotNull(y), 1, 2) AS place,
                      if(place = 0, assumeNotNull(target), '') AS element,
                      if(place = 1, {}, 0) AS cx,
                      if(place = 1, {}, 0) AS cy
               FROM {} WHERE page_url != '' AND signal_version = {signal_version}
                 AND (session_rowid, batch_id) IN ({visible}))
             GROUP BY kind, page_url, place, element, cx, cy FORMAT RowBinary",
            cell("x"),
            cell("y"),
            self.table("signals"),
        ))?;
        let rows = RowReader::new(&answer)
            .rows(|r| {
                Some((
                    r.string()?,
                    r.string()?,
                    r.u8()?,
                    r.string()?,
                    r.i32()?,
                    r.i32()?,
                    r.u64()?,
                    r.u64()?,
                    r.u64()?,
                ))
            })
            .ok_or_else(|| self.client.decode_error("hotspot groups"))?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(kind, page_url, place, element, x, y, occurrences, affected, converted)| {
                    Some(HotspotGroup {
                        kind: SignalKind::parse(&kind)?,
                        page_url,
                        place: match place {
                            0 => HotspotPlace::Element(element),
                            1 => HotspotPlace::Cell { x, y },
                            _ => HotspotPlace::Page,
                        },
                        occurrences,
                        sessions_affected: affected,
                        affected_converted: converted,
                    })
                },
            )
            .collect())
    }
}
