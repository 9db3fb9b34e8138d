//! The page paths of sessions, for journey maps (`analysis::journeys`).

use std::collections::HashMap;

use super::{Library, SessionFilter, StoreError};
use crate::analysis::journeys::{PathStep, SessionPath};

impl Library {
    /// The page views, in order, of every session matching `filter`, with the kinds of the
    /// signals detected on each page view and whether the session converted (the goal in force).
    /// Sessions come in library order (row id).
    pub fn journey_paths(&self, filter: &SessionFilter) -> Result<Vec<SessionPath>, StoreError> {
        let index = self.session_index()?;
        let mut positions = index.matching(filter);
        positions.sort_by_key(|&p| index.rowid(p));
        let mut slot_of: HashMap<i64, usize> = HashMap::with_capacity(positions.len());
        let mut paths = Vec::with_capacity(positions.len());
        for &p in &positions {
            slot_of.insert(index.rowid(p), paths.len());
            paths.push(SessionPath {
                session_id: String::new(),
                converted: index.facts(p).2,
                steps: Vec::new(),
            });
        }
        let mut stmt = self
            .conn
            .prepare("SELECT session_rowid, session_id FROM sessions")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(&slot) = slot_of.get(&row.get::<_, i64>(0)?)
                && let Some(path) = paths.get_mut(slot)
            {
                path.session_id = row.get(1)?;
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT session_rowid, url, entered_at_ms FROM page_views \
             ORDER BY session_rowid, page_index",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(&slot) = slot_of.get(&row.get::<_, i64>(0)?)
                && let Some(path) = paths.get_mut(slot)
            {
                path.steps.push(PathStep {
                    url: row.get(1)?,
                    entered_at_ms: row.get(2)?,
                    signal_kinds: Vec::new(),
                });
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT session_rowid, page_index, kind FROM signals")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Some(&slot) = slot_of.get(&row.get::<_, i64>(0)?) else {
                continue;
            };
            let page = usize::try_from(row.get::<_, i64>(1)?).unwrap_or(usize::MAX);
            if let Some(step) = paths.get_mut(slot).and_then(|p| p.steps.get_mut(page)) {
                let kind: String = row.get(2)?;
                if !step.signal_kinds.contains(&kind) {
                    step.signal_kinds.push(kind);
                }
            }
        }
        Ok(paths)
    }
}
