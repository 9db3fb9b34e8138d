//! Event definitions and their hits, and the facts conversions analysis reads
//! (`analysis::conversions`).
//!
//! A definition applies to every session already in the library when it is made (custom events
//! and URLs are matched in SQL; clicks by selector or text need the stored session bodies) and
//! to every session imported later (in the import's transaction).

use std::collections::HashMap;

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::{Library, SessionFilter, StoreError};
use crate::analysis::conversions::{
    DefinitionKind, EventDefinition, Facts, STANDARD_EVENTS, SessionFacts, Stage, hits,
};
use crate::model::Session;

/// What defining an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defined {
    /// Sessions with at least one occurrence.
    pub sessions: u64,
    /// Occurrences in all.
    pub hits: u64,
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

/// Stores the hits of every definition in `session` (just inserted as `session_rowid`).
pub(crate) fn insert_hits(
    tx: &Transaction<'_>,
    session_rowid: i64,
    session: &Session,
    definitions: &[EventDefinition],
) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO event_hits (name, session_rowid, page_index, timestamp_ms, value)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for def in definitions {
        for hit in hits(def, session) {
            insert.execute(params![
                def.name,
                session_rowid,
                hit.page_index,
                hit.timestamp_ms,
                hit.value
            ])?;
        }
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
        on_progress: &mut dyn FnMut(u64, u64),
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
                    insert_hits(&tx, rowid, &session, one)?;
                    done += 1;
                    if done.is_multiple_of(1000) || done == total {
                        on_progress(done, total);
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
        tx.commit()?;
        // The session index caches hits: this connection changed them.
        self.invalidate_index();
        Ok(Defined {
            sessions: u64::try_from(sessions).unwrap_or(0),
            hits: u64::try_from(count).unwrap_or(0),
        })
    }

    /// Removes a definition and its hits; `false` when there was none.
    pub fn delete_event_definition(&mut self, name: &str) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM event_hits WHERE name = ?1", [name])?;
        let n = tx.execute("DELETE FROM event_defs WHERE name = ?1", [name])?;
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
                    &mut |_, _| {},
                )?;
                added.push(name.to_owned());
            }
        }
        Ok(added)
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
