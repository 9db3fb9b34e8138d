//! Stored frustration signals of a ClickHouse library (written at import, see `import`).

use super::rowbinary::{RowReader, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::signals::SignalKind;
use crate::store::{SignalQuery, StoredSignal};

impl ClickHouseLibrary {
    /// Stored signals matching `query`, by session (by id), then time and kind.
    pub fn signals(&self, query: &SignalQuery) -> Result<Vec<StoredSignal>, ClickHouseError> {
        let mut conditions = vec![format!(
            "(session_id, batch_id) IN ({})",
            self.visible_sessions(&query.filter)
        )];
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
}
