//! Event definitions and their hits, and the facts conversions analysis reads
//! (`analysis::conversions`).
//!
//! A definition applies to every session already in the library when it is made (custom events
//! and URLs are matched in SQL; clicks by selector or text need the stored session bodies) and
//! to every session imported later (in the import's transaction).
//!
//! The conversion goal (a library setting, [`GOAL_KEY`]) says which defined event makes a
//! session `converted`: the `sessions.converted` and `revenue` columns hold the outcome for the
//! goal in force (computed at import by [`ConversionGoal::outcome`], recomputed for every
//! session by [`Library::set_conversion_goal`] and whenever the goal's own definition changes),
//! so that every reader (the session index, filters, KPIs, hotspots, sections) sees one goal.

use std::collections::HashMap;

use rusqlite::{OptionalExtension as _, Transaction, params};
use serde::Serialize;

use super::{Library, SessionFilter, StoreError};
use crate::analysis::conversions::{
    ConversionGoal, DEFAULT_GOAL, DefinitionKind, EventDefinition, Facts, Hit, STANDARD_EVENTS,
    SessionFacts, Stage,
};
use crate::analysis::derive::event_hits;

/// What defining an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defined {
    /// Sessions with at least one occurrence.
    pub sessions: u64,
    /// Occurrences in all.
    pub hits: u64,
    /// The event is the conversion goal and its rule changed: sessions converted for it now,
    /// after every session's conversion was recomputed.
    pub goal_converted: Option<u64>,
}

/// What a long library operation is doing, for progress reports: `(step, done, total)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkStep {
    /// Reading stored session bodies to match a definition.
    Scanning,
    /// Recomputing every session's conversion for the goal.
    Recomputing,
}

impl WorkStep {
    /// Words for a progress line.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Scanning => "scanned",
            Self::Recomputing => "recomputed the conversion of",
        }
    }
}

/// The library setting that names the conversion goal (absent: [`DEFAULT_GOAL`]).
pub const GOAL_KEY: &str = "conversion_goal";

/// Sessions whose conversion one recompute statement updates at a time (between progress
/// reports).
const RECOMPUTE_BATCH: usize = 5000;

/// The goal in force: the setting's name and that event's definition, if defined.
pub(crate) fn goal_in(conn: &rusqlite::Connection) -> Result<ConversionGoal, StoreError> {
    let name: Option<String> = conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([GOAL_KEY], |r| r.get(0))
        .optional()?;
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_GOAL.to_owned());
    let definition = conn
        .prepare_cached(
            "SELECT name, kind, pattern, value_from_event, stage, weight FROM event_defs WHERE name = ?1",
        )?
        .query_row([&name], read_definition)
        .optional()?;
    Ok(ConversionGoal { name, definition })
}

/// SQL: the revenue of the session `sessions.session_rowid` from its conversion custom events
/// ([`crate::model::CONVERSION_EVENT_NAMES`]), NULL when none carried a value.
fn conversion_events_sql(what: &str) -> String {
    let names: Vec<String> = crate::model::CONVERSION_EVENT_NAMES
        .iter()
        .map(|n| format!("'{n}'"))
        .collect();
    format!(
        "(SELECT {what} FROM custom_events c WHERE c.session_rowid = sessions.session_rowid
            AND lower(c.name) IN ({}))",
        names.join(", ")
    )
}

/// Recomputes `converted` and `revenue` of every session for `goal` (the same rules as
/// [`ConversionGoal::outcome`], over the `custom_events` and `event_hits` rows instead of the
/// bodies), `RECOMPUTE_BATCH` sessions per statement. Returns the sessions converted.
pub(crate) fn recompute_conversions(
    tx: &Transaction<'_>,
    goal: &ConversionGoal,
    on_progress: &mut dyn FnMut(WorkStep, u64, u64),
) -> Result<u64, StoreError> {
    let revenue_of_conversion_events = conversion_events_sql("sum(c.value)");
    let sql = if goal.is_standard() {
        format!(
            "UPDATE sessions SET converted = EXISTS {}, revenue = {revenue_of_conversion_events}
             WHERE session_rowid >= ?1 AND session_rowid <= ?2",
            conversion_events_sql("1")
        )
    } else {
        let own_values = "(SELECT sum(h.value) FROM event_hits h
                            WHERE h.name = ?1 AND h.session_rowid = sessions.session_rowid)";
        let revenue = if goal.takes_own_value() {
            own_values.to_owned()
        } else {
            revenue_of_conversion_events
        };
        format!(
            "UPDATE sessions SET
                 converted = EXISTS (SELECT 1 FROM event_hits h
                                     WHERE h.name = ?1 AND h.session_rowid = sessions.session_rowid),
                 revenue = CASE WHEN EXISTS (SELECT 1 FROM event_hits h
                                     WHERE h.name = ?1 AND h.session_rowid = sessions.session_rowid)
                           THEN {revenue} END
             WHERE session_rowid >= ?2 AND session_rowid <= ?3"
        )
    };
    let rowids: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT session_rowid FROM sessions ORDER BY session_rowid")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let total = u64::try_from(rowids.len()).unwrap_or(u64::MAX);
    let mut update = tx.prepare(&sql)?;
    let mut done = 0u64;
    for chunk in rowids.chunks(RECOMPUTE_BATCH) {
        if let (Some(first), Some(last)) = (chunk.first(), chunk.last()) {
            if goal.is_standard() {
                update.execute(params![first, last])?;
            } else {
                update.execute(params![goal.name, first, last])?;
            }
        }
        done += u64::try_from(chunk.len()).unwrap_or(0);
        on_progress(WorkStep::Recomputing, done, total);
    }
    let converted: i64 =
        tx.query_row("SELECT count(*) FROM sessions WHERE converted", [], |r| {
            r.get(0)
        })?;
    Ok(u64::try_from(converted).unwrap_or(0))
}

/// What changing the conversion goal did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoalStatus {
    /// The goal now in force.
    pub goal: ConversionGoal,
    /// Sessions it marks converted.
    pub converted: u64,
    /// Sessions in the library.
    pub sessions: u64,
}

fn read_definition(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventDefinition> {
    let kind: String = r.get(1)?;
    let stage: Option<String> = r.get(4)?;
    let weight: Option<i64> = r.get(5)?;
    Ok(EventDefinition {
        name: r.get(0)?,
        kind: DefinitionKind::parse(&kind).unwrap_or(DefinitionKind::Custom),
        pattern: r.get(2)?,
        value_from_event: r.get(3)?,
        stage: stage.as_deref().and_then(Stage::parse),
        weight: weight.and_then(|w| u8::try_from(w).ok()),
    })
}

/// Every definition, by name.
pub(crate) fn definitions_in(
    tx: &rusqlite::Connection,
) -> Result<Vec<EventDefinition>, StoreError> {
    let mut stmt = tx.prepare_cached(
        "SELECT name, kind, pattern, value_from_event, stage, weight FROM event_defs ORDER BY name",
    )?;
    let rows = stmt.query_map([], read_definition)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores the derived hits of session `session_rowid` (see `analysis::derive::event_hits`;
/// indices into `definitions`).
pub(crate) fn insert_hits(
    tx: &Transaction<'_>,
    session_rowid: i64,
    found: &[(usize, Hit)],
    definitions: &[EventDefinition],
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO event_hits (name, session_rowid, page_index, timestamp_ms, value)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (def, hit) in found {
        let Some(def) = definitions.get(*def) else {
            continue;
        };
        insert.execute(params![
            def.name,
            session_rowid,
            hit.page_index,
            hit.timestamp_ms,
            hit.value
        ])?;
    }
    Ok(())
}

impl Library {
    /// Every event definition, by name.
    pub fn event_definitions(&self) -> Result<Vec<EventDefinition>, StoreError> {
        definitions_in(&self.conn)
    }

    /// Defines (or redefines) an event and finds it in every stored session, in one
    /// transaction. `on_progress(done, total)` reports sessions scanned when clicks must be read
    /// from the stored bodies.
    pub fn define_event(
        &mut self,
        def: &EventDefinition,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<Defined, StoreError> {
        if def.name.trim().is_empty() || def.pattern.trim().is_empty() {
            return Err(StoreError::Invalid(
                "an event definition needs a name and a pattern".to_owned(),
            ));
        }
        if def.weight.is_some_and(|w| !(1..=10).contains(&w)) {
            return Err(StoreError::Invalid(format!(
                "event {}: weight must be 1 to 10",
                def.name
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let goal_before = goal_in(&tx)?;
        tx.execute("DELETE FROM event_hits WHERE name = ?1", [&def.name])?;
        tx.execute(
            "INSERT INTO event_defs (name, kind, pattern, value_from_event, stage, weight, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, pattern = excluded.pattern,
                 value_from_event = excluded.value_from_event, stage = excluded.stage,
                 weight = excluded.weight",
            params![
                def.name,
                def.kind.as_str(),
                def.pattern,
                def.value_from_event,
                def.stage.map(Stage::as_str),
                def.weight,
                super::now_ms()
            ],
        )?;
        match def.kind {
            DefinitionKind::Custom => {
                tx.execute(
                    "INSERT INTO event_hits (name, session_rowid, page_index, timestamp_ms, value)
                     SELECT ?1, session_rowid, page_index, timestamp_ms, CASE WHEN ?3 THEN value END
                     FROM custom_events WHERE name = ?2 COLLATE NOCASE",
                    params![def.name, def.pattern, def.value_from_event],
                )?;
            }
            DefinitionKind::Url | DefinitionKind::Selector | DefinitionKind::Text => {
                // Page views (for URLs) or clicks and their targets (for elements) come from
                // the stored bodies, with the same matching code as at import.
                let total: i64 = tx.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?;
                let total = u64::try_from(total).unwrap_or(0);
                let mut done = 0u64;
                let one = std::slice::from_ref(def);
                super::library::for_each_stored_session(&tx, &mut |rowid, session| {
                    insert_hits(&tx, rowid, &event_hits(&session, one), one)?;
                    done += 1;
                    if done.is_multiple_of(1000) || done == total {
                        on_progress(WorkStep::Scanning, done, total);
                    }
                    Ok(())
                })?;
            }
        }
        let (sessions, count): (i64, i64) = tx.query_row(
            "SELECT count(DISTINCT session_rowid), count(*) FROM event_hits WHERE name = ?1",
            [&def.name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // The goal's own definition changed: every session's conversion follows it (unless
        // both rules are the standard one, as when `purchase` is predefined).
        let goal_after = goal_in(&tx)?;
        let goal_converted = if goal_after.name == def.name
            && !(goal_before.is_standard() && goal_after.is_standard())
        {
            Some(recompute_conversions(&tx, &goal_after, on_progress)?)
        } else {
            None
        };
        tx.commit()?;
        // The session index caches hits (and conversions): this connection changed them.
        self.invalidate_index();
        Ok(Defined {
            sessions: u64::try_from(sessions).unwrap_or(0),
            hits: u64::try_from(count).unwrap_or(0),
            goal_converted,
        })
    }

    /// Removes a definition and its hits; `false` when there was none. Deleting the goal's
    /// event puts the default goal (`purchase`) back in force and recomputes every session's
    /// conversion.
    pub fn delete_event_definition(&mut self, name: &str) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let goal_before = goal_in(&tx)?;
        tx.execute("DELETE FROM event_hits WHERE name = ?1", [name])?;
        let n = tx.execute("DELETE FROM event_defs WHERE name = ?1", [name])?;
        if n > 0 && goal_before.name == name {
            tx.execute("DELETE FROM settings WHERE key = ?1", [GOAL_KEY])?;
            let goal_after = goal_in(&tx)?;
            if !(goal_before.is_standard() && goal_after.is_standard()) {
                recompute_conversions(&tx, &goal_after, &mut |_, _, _| {})?;
            }
        }
        tx.commit()?;
        // The session index caches hits: this connection changed them.
        self.invalidate_index();
        Ok(n > 0)
    }

    /// Defines the standard e-commerce events ([`STANDARD_EVENTS`]) that the library's custom
    /// events use and that are not defined yet; returns their names.
    pub fn ensure_standard_definitions(&mut self) -> Result<Vec<String>, StoreError> {
        let mut added = Vec::new();
        for (name, stage, weight) in STANDARD_EVENTS {
            let defined: Option<String> = self
                .conn
                .query_row("SELECT name FROM event_defs WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?;
            let present: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM custom_events WHERE name = ?1 COLLATE NOCASE)",
                [name],
                |r| r.get(0),
            )?;
            if defined.is_none() && present {
                self.define_event(
                    &EventDefinition {
                        name: name.to_owned(),
                        kind: DefinitionKind::Custom,
                        pattern: name.to_owned(),
                        value_from_event: name == "purchase",
                        stage: Some(stage),
                        weight: Some(weight),
                    },
                    &mut |_, _, _| {},
                )?;
                added.push(name.to_owned());
            }
        }
        Ok(added)
    }

    /// The conversion goal in force.
    pub fn conversion_goal(&self) -> Result<ConversionGoal, StoreError> {
        goal_in(&self.conn)
    }

    /// The goal in force, with the sessions it marks converted and the library's size.
    pub fn goal_status(&self) -> Result<GoalStatus, StoreError> {
        let goal = goal_in(&self.conn)?;
        let (converted, sessions): (i64, i64) = self.conn.query_row(
            "SELECT coalesce(sum(converted), 0), count(*) FROM sessions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(GoalStatus {
            goal,
            converted: u64::try_from(converted).unwrap_or(0),
            sessions: u64::try_from(sessions).unwrap_or(0),
        })
    }

    /// Makes the defined event `name` the conversion goal and recomputes `converted` and
    /// `revenue` of every session for it, in one transaction (`on_progress(step, done, total)`
    /// after each batch). `purchase` may be chosen undefined (the standard rule); any other name
    /// must be a defined event, or the error lists the defined ones.
    pub fn set_conversion_goal(
        &mut self,
        name: &str,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<GoalStatus, StoreError> {
        let name = name.trim();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let defined: Vec<String> = definitions_in(&tx)?.into_iter().map(|d| d.name).collect();
        if name != DEFAULT_GOAL && !defined.iter().any(|d| d == name) {
            return Err(StoreError::Invalid(format!(
                "no event named {name:?} to make the conversion goal; defined: {} (define one with `sessionlens define-event`, or choose {DEFAULT_GOAL})",
                if defined.is_empty() {
                    "none".to_owned()
                } else {
                    defined.join(", ")
                }
            )));
        }
        if name == DEFAULT_GOAL {
            tx.execute("DELETE FROM settings WHERE key = ?1", [GOAL_KEY])?;
        } else {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [GOAL_KEY, name],
            )?;
        }
        let goal = goal_in(&tx)?;
        let converted = recompute_conversions(&tx, &goal, on_progress)?;
        let sessions: i64 = tx.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?;
        tx.commit()?;
        // The session index caches conversions: this connection changed them.
        self.invalidate_index();
        Ok(GoalStatus {
            goal,
            converted,
            sessions: u64::try_from(sessions).unwrap_or(0),
        })
    }

    /// Whether the stored session `session_id` converted for the goal in force, and its
    /// revenue (`None` when there is no such session).
    pub fn session_conversion(
        &self,
        session_id: &str,
    ) -> Result<Option<(bool, Option<f64>)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT converted, revenue FROM sessions WHERE session_id = ?1")?
            .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Sessions with at least one hit of each definition (by name).
    pub fn event_session_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, count(DISTINCT session_rowid) FROM event_hits GROUP BY name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (name, n) = row?;
            out.insert(name, u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// What KPIs, funnels and lift need of the sessions matching `filter`: device, channel,
    /// conversion, revenue and signals of each, and the hit times of the definitions `names`
    /// (all definitions when empty).
    pub fn conversion_facts(
        &self,
        filter: &SessionFilter,
        names: &[String],
    ) -> Result<Facts, StoreError> {
        let index = self.session_index()?;
        let positions = index.matching(filter);
        let kinds = index.signal_kinds_by_position();
        // Fact position of each index position (None: not in the filter).
        let mut fact_of_position: Vec<Option<usize>> = vec![None; index.len()];
        let mut facts = Facts::default();
        facts.sessions.reserve(positions.len());
        for &p in &positions {
            let (device, channel, converted) = index.facts(p);
            if let Some(slot) = fact_of_position.get_mut(p) {
                *slot = Some(facts.sessions.len());
            }
            facts.sessions.push(SessionFacts {
                session_rowid: index.rowid(p),
                device,
                channel,
                converted,
                revenue: if converted { index.revenue(p) } else { 0.0 },
                signals: kinds.get(p).cloned().unwrap_or_default(),
                duration_ms: index.duration_ms(p),
            });
        }
        let names: Vec<String> = if names.is_empty() {
            self.event_definitions()?
                .into_iter()
                .map(|d| d.name)
                .collect()
        } else {
            names.to_vec()
        };
        for name in names {
            let hits = index.hits_of(&self.conn, &name)?;
            let per = facts.hits.entry(name).or_default();
            for &(position, timestamp_ms) in hits.iter() {
                if let Some(Some(fact)) = fact_of_position.get(position as usize) {
                    per.entry(*fact).or_default().push(timestamp_ms);
                }
            }
        }
        Ok(facts)
    }
}

#[cfg(test)]
mod tests;
