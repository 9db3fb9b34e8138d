//! Event definitions, their hits, the conversion goal and the facts conversions analysis reads,
//! in a ClickHouse library: the same rules as the SQLite library (`store::conversions`), with
//! derived rows written as new versions and published at the end (see `super::state`).
//!
//! Defining an event writes its hits over every visible session under a new version (custom
//! events matched from the `custom_events` rows, URLs, selectors and text from the stored
//! bodies, with `analysis::derive::event_hits`, as at import), then publishes the definition's
//! row with that version. A goal other than the standard one writes one `conversions` row per
//! converted session under a new goal version, then publishes the version as a setting.
//! Sessions imported later get their hits and conversion at import (`super::import`).

use std::collections::HashMap;
use std::io::Read as _;

use super::import::COMPRESSION_ZLIB;
use super::rowbinary::{RowReader, RowWriter, quote};
use super::state::{GOAL_VERSION_KEY, LibState, next_version};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::{
    ConversionGoal, DEFAULT_GOAL, DefinitionKind, EventDefinition, Facts, Hit, STANDARD_EVENTS,
    SessionFacts,
};
use crate::analysis::derive::event_hits;
use crate::model::{Channel, DeviceClass, Session, SessionFilter};
use crate::store::{Defined, GOAL_KEY, GoalStatus, StoreError, WorkStep};

/// Sessions whose bodies one scan query reads.
const SCAN_SESSIONS: usize = 500;

pub(crate) const HIT_COLUMNS: &str =
    "(name, def_version, session_id, batch_id, page_index, timestamp_ms, value)";
pub(crate) const CONVERSION_COLUMNS: &str = "(goal_version, session_id, batch_id, revenue)";

/// Adds the rows of `hits` of one session to `w`.
pub(crate) fn write_hits(
    w: &mut RowWriter,
    name: &str,
    def_version: u64,
    session_id: &str,
    batch_id: u64,
    hits: impl IntoIterator<Item = Hit>,
) {
    for hit in hits {
        w.str(name)
            .u64(def_version)
            .str(session_id)
            .u64(batch_id)
            .u32(hit.page_index)
            .i64(hit.timestamp_ms)
            .opt_f64(hit.value);
    }
}

/// A stored body, decompressed and decoded.
pub(crate) fn decode_body(
    session_id: &str,
    encoding: u16,
    compression: u8,
    stored: &[u8],
) -> Result<Session, StoreError> {
    let corrupt = |detail: String| StoreError::Decode {
        session_id: session_id.to_owned(),
        detail,
    };
    if compression != COMPRESSION_ZLIB {
        return Err(corrupt(format!("unknown body compression {compression}")));
    }
    let mut body = Vec::new();
    flate2::read::ZlibDecoder::new(stored)
        .read_to_end(&mut body)
        .map_err(|e| corrupt(format!("decompressing the body: {e}")))?;
    crate::store::body::decode(i64::from(encoding), &body, session_id)
}

/// The revenue rule of the goal over one session's goal hits (time order) and its standard
/// revenue: `None` when it did not convert.
fn goal_revenue(
    goal: &ConversionGoal,
    hits: &[Option<f64>],
    standard_revenue: Option<f64>,
) -> Option<Option<f64>> {
    if hits.is_empty() {
        return None;
    }
    Some(if goal.takes_own_value() {
        hits.iter()
            .flatten()
            .fold(None, |total, v| Some(total.unwrap_or(0.0) + v))
    } else {
        standard_revenue
    })
}

impl ClickHouseLibrary {
    /// Calls `f(session_id, batch_id, session)` for every visible session, by id, reading the
    /// bodies [`SCAN_SESSIONS`] at a time; returns how many.
    pub(crate) fn for_each_stored_session(
        &self,
        f: &mut dyn FnMut(&str, u64, Session) -> Result<(), ClickHouseError>,
    ) -> Result<u64, ClickHouseError> {
        let visible = self.visible_sessions(&SessionFilter::default())?;
        let mut after = String::new();
        let mut done = 0u64;
        loop {
            let answer = self.client.query(&format!(
                "SELECT session_id, batch_id, encoding, compression, body FROM {}
                 WHERE (session_id, batch_id) IN ({visible}) AND session_id > {}
                 ORDER BY session_id LIMIT {SCAN_SESSIONS} FORMAT RowBinary",
                self.table("session_bodies"),
                quote(&after),
            ))?;
            if answer.is_empty() {
                return Ok(done);
            }
            let mut reader = RowReader::new(&answer);
            while !reader.is_empty() {
                let (Some(id), Some(batch_id), Some(encoding), Some(compression), Some(body)) = (
                    reader.string(),
                    reader.u64(),
                    reader.u16(),
                    reader.u8(),
                    reader.bytes(),
                ) else {
                    return Err(self.client.decode_error("session bodies"));
                };
                let session = decode_body(&id, encoding, compression, body)?;
                f(&id, batch_id, session)?;
                done += 1;
                after = id;
            }
        }
    }

    /// Number of visible sessions.
    fn visible_count(&self) -> Result<u64, ClickHouseError> {
        self.count_sessions(&SessionFilter::default())
    }

    /// Every event definition, by name.
    pub fn event_definitions(&self) -> Result<Vec<EventDefinition>, ClickHouseError> {
        Ok(self
            .versioned_definitions()?
            .into_iter()
            .map(|d| d.def)
            .collect())
    }

    fn write_definition(
        &self,
        def: &EventDefinition,
        version: u64,
        created_at_ms: i64,
        deleted: bool,
    ) -> Result<(), ClickHouseError> {
        let mut w = RowWriter::default();
        w.str(&def.name)
            .str(def.kind.as_str())
            .str(&def.pattern)
            .u8(u8::from(def.value_from_event))
            .opt_str(def.stage.map(|s| s.as_str()));
        match def.weight {
            Some(weight) => w.u8(0).u8(weight),
            None => w.u8(1),
        };
        w.i64(created_at_ms)
            .i64(i64::try_from(version).unwrap_or(i64::MAX))
            .u8(u8::from(deleted));
        self.client.insert_rowbinary(
            &format!(
                "{} (name, kind, pattern, value_from_event, stage, weight, created_at_ms, updated_at_ms, deleted)",
                self.table("event_defs")
            ),
            &w.bytes,
        )
    }

    /// The highest version any definition row has (0: none).
    fn latest_definition_version(&self) -> Result<u64, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT toUInt64(max(updated_at_ms)) FROM {} FORMAT RowBinary",
            self.table("event_defs")
        ))?;
        Ok(RowReader::new(&answer).u64().unwrap_or(0))
    }

    /// Defines (or redefines) an event: writes its hits in every visible session under a new
    /// version, then publishes the definition; when it is the conversion goal's own event (and
    /// not both before and after the standard rule), the conversions follow.
    pub fn define_event(
        &self,
        def: &EventDefinition,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<Defined, ClickHouseError> {
        self.writable()?;
        if def.name.trim().is_empty() || def.pattern.trim().is_empty() {
            return Err(StoreError::Invalid(
                "an event definition needs a name and a pattern".to_owned(),
            )
            .into());
        }
        if def.weight.is_some_and(|w| !(1..=10).contains(&w)) {
            return Err(
                StoreError::Invalid(format!("event {}: weight must be 1 to 10", def.name)).into(),
            );
        }
        let before = self.state()?;
        let version = next_version(self.latest_definition_version()?);
        let hits_table = format!("{} {HIT_COLUMNS}", self.table("event_hits"));
        let (mut sessions, mut count) = (0u64, 0u64);
        match def.kind {
            DefinitionKind::Custom => {
                let answer = self.client.query(&format!(
                    "SELECT session_id, batch_id, page_index, timestamp_ms, value FROM {}
                     WHERE name_lower = {} AND (session_id, batch_id) IN ({})
                     ORDER BY session_id, timestamp_ms FORMAT RowBinary",
                    self.table("custom_events"),
                    quote(&def.pattern.to_ascii_lowercase()),
                    self.visible_sessions(&SessionFilter::default())?,
                ))?;
                let mut reader = RowReader::new(&answer);
                let mut w = RowWriter::default();
                let mut last: Option<String> = None;
                while !reader.is_empty() {
                    let (
                        Some(id),
                        Some(batch_id),
                        Some(page_index),
                        Some(timestamp_ms),
                        Some(value),
                    ) = (
                        reader.string(),
                        reader.u64(),
                        reader.u32(),
                        reader.i64(),
                        reader.opt_f64(),
                    )
                    else {
                        return Err(self.client.decode_error("custom events"));
                    };
                    let hit = Hit {
                        page_index,
                        timestamp_ms,
                        value: if def.value_from_event { value } else { None },
                    };
                    write_hits(&mut w, &def.name, version, &id, batch_id, [hit]);
                    count += 1;
                    if last.as_deref() != Some(id.as_str()) {
                        sessions += 1;
                        last = Some(id);
                    }
                }
                self.client.insert_rowbinary(&hits_table, &w.bytes)?;
            }
            DefinitionKind::Url | DefinitionKind::Selector | DefinitionKind::Text => {
                let total = self.visible_count()?;
                let one = std::slice::from_ref(def);
                let mut w = RowWriter::default();
                let mut done = 0u64;
                self.for_each_stored_session(&mut |id, batch_id, session| {
                    let found = event_hits(&session, one);
                    if !found.is_empty() {
                        sessions += 1;
                        count += found.len() as u64;
                    }
                    write_hits(
                        &mut w,
                        &def.name,
                        version,
                        id,
                        batch_id,
                        found.into_iter().map(|(_, h)| h),
                    );
                    done += 1;
                    if w.bytes.len() > 8 << 20 {
                        self.client.insert_rowbinary(&hits_table, &w.bytes)?;
                        w.bytes.clear();
                    }
                    if done.is_multiple_of(1000) || done == total {
                        on_progress(WorkStep::Scanning, done, total);
                    }
                    Ok(())
                })?;
                self.client.insert_rowbinary(&hits_table, &w.bytes)?;
            }
        }
        let created_at_ms = crate::store::now_ms();
        self.write_definition(def, version, created_at_ms, false)?;
        let after = self.state()?;
        let goal_converted = if after.goal.name == def.name
            && !(before.goal.is_standard() && after.goal.is_standard())
        {
            Some(self.publish_goal(&after.goal, on_progress)?)
        } else {
            None
        };
        Ok(Defined {
            sessions,
            hits: count,
            goal_converted,
        })
    }

    /// Deletes a definition (its hits are no longer read); `false` when there was none.
    /// Deleting the goal's event puts the default goal back in force.
    pub fn delete_event_definition(&self, name: &str) -> Result<bool, ClickHouseError> {
        self.writable()?;
        let state = self.state()?;
        let Some(found) = state.definitions.iter().find(|d| d.def.name == name) else {
            return Ok(false);
        };
        let version = next_version(self.latest_definition_version()?);
        self.write_definition(&found.def, version, crate::store::now_ms(), true)?;
        if state.goal.name == name {
            self.write_settings(
                &[
                    (GOAL_KEY, String::new()),
                    (GOAL_VERSION_KEY, "0".to_owned()),
                ],
                0,
            )?;
        }
        Ok(true)
    }

    /// Defines the standard e-commerce events the library's custom events use and that are not
    /// defined yet; returns their names.
    pub fn ensure_standard_definitions(&self) -> Result<Vec<String>, ClickHouseError> {
        let defined = self.event_definitions()?;
        // Which custom events the sessions sent is read only when a standard event is
        // undefined (a pass over every custom event: 0.9 s at a million sessions).
        if STANDARD_EVENTS
            .iter()
            .all(|(name, _, _)| defined.iter().any(|d| d.name == *name))
        {
            return Ok(Vec::new());
        }
        let present: std::collections::HashSet<String> = self
            .custom_event_names()?
            .into_iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        let mut added = Vec::new();
        for (name, stage, weight) in STANDARD_EVENTS {
            if defined.iter().any(|d| d.name == name) || !present.contains(name) {
                continue;
            }
            self.writable()?;
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
        Ok(added)
    }

    /// The conversion goal in force.
    pub fn conversion_goal(&self) -> Result<ConversionGoal, ClickHouseError> {
        Ok(self.state()?.goal)
    }

    /// Sessions converted for the goal of `state` (all visible sessions).
    fn converted_count(&self, state: &LibState) -> Result<u64, ClickHouseError> {
        self.count_sessions_in(
            &SessionFilter {
                converted: Some(true),
                ..SessionFilter::default()
            },
            state,
        )
    }

    fn count_sessions_in(
        &self,
        filter: &SessionFilter,
        state: &LibState,
    ) -> Result<u64, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT count() FROM {} WHERE {} FORMAT RowBinary",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(state))
        ))?;
        RowReader::new(&answer)
            .u64()
            .ok_or_else(|| self.client.decode_error("session count"))
    }

    /// The goal in force, the sessions it marks converted and the library's size.
    pub fn goal_status(&self) -> Result<GoalStatus, ClickHouseError> {
        let state = self.state()?;
        Ok(GoalStatus {
            converted: self.converted_count(&state)?,
            sessions: self.visible_count()?,
            goal: state.goal,
        })
    }

    /// Writes the conversions of `goal` (not the standard one) under a new version and
    /// publishes it with the goal's name; returns the sessions converted. The standard goal
    /// only needs its name published.
    fn publish_goal(
        &self,
        goal: &ConversionGoal,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<u64, ClickHouseError> {
        let settings = self.settings()?;
        let floor = settings
            .get(GOAL_VERSION_KEY)
            .and_then(|(v, _)| v.parse::<u64>().ok())
            .unwrap_or(0);
        let name = if goal.name == DEFAULT_GOAL {
            String::new()
        } else {
            goal.name.clone()
        };
        if goal.is_standard() {
            self.write_settings(&[(GOAL_KEY, name), (GOAL_VERSION_KEY, "0".to_owned())], 0)?;
            return self.converted_count(&self.state()?);
        }
        let state = self.state()?;
        let version = next_version(floor);
        let total = self.visible_count()?;
        // The goal's hits per session, in time order, and each session's standard revenue.
        let answer = self.client.query(&format!(
            "SELECT session_id, batch_id, value FROM {} WHERE name = {} AND def_version = {}
               AND (session_id, batch_id) IN ({}) ORDER BY session_id, timestamp_ms FORMAT RowBinary",
            self.table("event_hits"),
            quote(&goal.name),
            state.def_version(&goal.name).unwrap_or(0),
            self.visible_sessions(&SessionFilter::default())?,
        ))?;
        let rows = RowReader::new(&answer)
            .rows(|r| Some((r.string()?, r.u64()?, r.opt_f64()?)))
            .ok_or_else(|| self.client.decode_error("goal hits"))?;
        let mut per_session: Vec<(String, u64, Vec<Option<f64>>)> = Vec::new();
        for (id, batch_id, value) in rows {
            match per_session.last_mut() {
                Some(last) if last.0 == id => last.2.push(value),
                _ => per_session.push((id, batch_id, vec![value])),
            }
        }
        let standard: HashMap<String, Option<f64>> = if goal.takes_own_value() {
            HashMap::new()
        } else {
            let answer = self.client.query(&format!(
                "SELECT session_id, revenue FROM {} WHERE {} AND (session_id, batch_id) IN ({})
                 FORMAT RowBinary",
                self.table("sessions"),
                self.session_conditions_in(&SessionFilter::default(), Some(&state)),
                self.hit_keys(&state, &goal.name),
            ))?;
            RowReader::new(&answer)
                .rows(|r| Some((r.string()?, r.opt_f64()?)))
                .ok_or_else(|| self.client.decode_error("session revenue"))?
                .into_iter()
                .collect()
        };
        let mut w = RowWriter::default();
        let mut converted = 0u64;
        for (id, batch_id, hits) in &per_session {
            let standard_revenue = standard.get(id).copied().flatten();
            if let Some(revenue) = goal_revenue(goal, hits, standard_revenue) {
                w.u64(version).str(id).u64(*batch_id).opt_f64(revenue);
                converted += 1;
            }
        }
        self.client.insert_rowbinary(
            &format!("{} {CONVERSION_COLUMNS}", self.table("conversions")),
            &w.bytes,
        )?;
        on_progress(WorkStep::Recomputing, total, total);
        self.write_settings(
            &[(GOAL_KEY, name), (GOAL_VERSION_KEY, version.to_string())],
            0,
        )?;
        Ok(converted)
    }

    /// Makes the defined event `name` the conversion goal (or `purchase`, the standard rule,
    /// defined or not) and computes every session's conversion for it.
    pub fn set_conversion_goal(
        &self,
        name: &str,
        on_progress: &mut dyn FnMut(WorkStep, u64, u64),
    ) -> Result<GoalStatus, ClickHouseError> {
        self.writable()?;
        let name = name.trim();
        let definitions = self.event_definitions()?;
        if name != DEFAULT_GOAL && !definitions.iter().any(|d| d.name == name) {
            let defined: Vec<String> = definitions.into_iter().map(|d| d.name).collect();
            return Err(StoreError::Invalid(format!(
                "no event named {name:?} to make the conversion goal; defined: {} (define one with `sessionlens define-event`, or choose {DEFAULT_GOAL})",
                if defined.is_empty() {
                    "none".to_owned()
                } else {
                    defined.join(", ")
                }
            ))
            .into());
        }
        let goal = ConversionGoal {
            name: name.to_owned(),
            definition: definitions.into_iter().find(|d| d.name == name),
        };
        let converted = self.publish_goal(&goal, on_progress)?;
        Ok(GoalStatus {
            goal,
            converted,
            sessions: self.visible_count()?,
        })
    }

    /// The conversions of the sessions `keys` (a list of `(id, batch)` tuples in SQL) for the
    /// non-standard goal of `state`: converted ones only, with their revenue.
    pub(crate) fn conversions_of(
        &self,
        state: &LibState,
        keys: &str,
    ) -> Result<HashMap<String, Option<f64>>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT session_id, revenue FROM {} WHERE goal_version = {} AND (session_id, batch_id) IN ({keys})
             FORMAT RowBinary",
            self.table("conversions"),
            state.goal_version,
        ))?;
        Ok(RowReader::new(&answer)
            .rows(|r| Some((r.string()?, r.opt_f64()?)))
            .ok_or_else(|| self.client.decode_error("conversions"))?
            .into_iter()
            .collect())
    }

    /// Whether session `session_id` converted for the goal in force, and its revenue (`None`
    /// when there is no such session).
    pub fn session_conversion(
        &self,
        session_id: &str,
    ) -> Result<Option<(bool, Option<f64>)>, ClickHouseError> {
        let state = self.state()?;
        let answer = self.client.query(&format!(
            "SELECT batch_id, converted, revenue FROM {} WHERE session_id = {}
               AND {} LIMIT 1 FORMAT RowBinary",
            self.table("sessions"),
            quote(session_id),
            self.published(),
        ))?;
        if answer.is_empty() {
            return Ok(None);
        }
        let mut reader = RowReader::new(&answer);
        let (Some(batch_id), Some(converted), Some(revenue)) =
            (reader.u64(), reader.u8(), reader.opt_f64())
        else {
            return Err(self.client.decode_error("session conversion"));
        };
        if state.goal.is_standard() {
            return Ok(Some((converted != 0, revenue)));
        }
        let found = self.conversions_of(&state, &format!("({}, {batch_id})", quote(session_id)))?;
        Ok(Some(match found.get(session_id) {
            Some(revenue) => (true, *revenue),
            None => (false, None),
        }))
    }

    /// Sessions with at least one hit of each definition.
    pub fn event_session_counts(&self) -> Result<HashMap<String, u64>, ClickHouseError> {
        let state = self.state()?;
        let mut out = HashMap::new();
        if state.definitions.is_empty() {
            return Ok(out);
        }
        let versions: Vec<String> = state
            .definitions
            .iter()
            .map(|d| format!("({}, {})", quote(&d.def.name), d.version))
            .collect();
        let answer = self.client.query(&format!(
            "SELECT name, uniqExact(session_id) FROM {} WHERE (name, def_version) IN ({})
               AND (session_id, batch_id) IN ({}) GROUP BY name FORMAT RowBinary",
            self.table("event_hits"),
            versions.join(", "),
            self.visible_sessions_in(&SessionFilter::default(), &state),
        ))?;
        for (name, n) in RowReader::new(&answer)
            .rows(|r| Some((r.string()?, r.u64()?)))
            .ok_or_else(|| self.client.decode_error("event session counts"))?
        {
            out.insert(name, n);
        }
        Ok(out)
    }

    /// What KPIs, funnels and lift need of the sessions matching `filter` (by session id):
    /// device, channel, conversion and revenue for the goal in force, signal kinds, and the hit
    /// times of the definitions `names` (all when empty).
    pub fn conversion_facts(
        &self,
        filter: &SessionFilter,
        names: &[String],
    ) -> Result<Facts, ClickHouseError> {
        let state = self.state()?;
        let visible = self.visible_sessions_in(filter, &state);
        let answer = self.client.query(&format!(
            "SELECT session_id, session_rowid, device, channel, converted, revenue, duration_ms
             FROM {} WHERE {} ORDER BY session_id FORMAT RowBinary",
            self.table("sessions"),
            self.session_conditions_in(filter, Some(&state)),
        ))?;
        let rows = RowReader::new(&answer)
            .rows(|r| {
                Some((
                    r.string()?,
                    r.i64()?,
                    r.string()?,
                    r.string()?,
                    r.u8()? != 0,
                    r.opt_f64()?,
                    r.i64()?,
                ))
            })
            .ok_or_else(|| self.client.decode_error("session facts"))?;
        let conversions = if state.goal.is_standard() {
            None
        } else {
            Some(self.conversions_of(&state, &visible)?)
        };
        let mut facts = Facts::default();
        let mut position: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        for (id, rowid, device, channel, converted, revenue, duration_ms) in rows {
            let (converted, revenue) = match &conversions {
                None => (converted, revenue),
                Some(map) => match map.get(&id) {
                    Some(revenue) => (true, *revenue),
                    None => (false, None),
                },
            };
            position.insert(id, facts.sessions.len());
            facts.sessions.push(SessionFacts {
                session_rowid: rowid,
                device: DeviceClass::parse(&device).unwrap_or_default(),
                channel: Channel::parse(&channel).unwrap_or(Channel::Direct),
                converted,
                revenue: if converted {
                    revenue.unwrap_or(0.0)
                } else {
                    0.0
                },
                signals: Vec::new(),
                duration_ms,
            });
        }
        let answer = self.client.query(&format!(
            "SELECT session_id, groupUniqArray(kind) FROM {} WHERE signal_version = {}
               AND (session_id, batch_id) IN ({visible}) GROUP BY session_id FORMAT RowBinary",
            self.table("signals"),
            state.signal_version,
        ))?;
        let mut reader = RowReader::new(&answer);
        while !reader.is_empty() {
            let (Some(id), Some(n)) = (reader.string(), reader.varint()) else {
                return Err(self.client.decode_error("signal kinds"));
            };
            let mut kinds = Vec::new();
            for _ in 0..n {
                kinds.push(
                    reader
                        .string()
                        .ok_or_else(|| self.client.decode_error("signal kinds"))?,
                );
            }
            kinds.sort();
            if let Some(s) = position.get(&id).and_then(|&p| facts.sessions.get_mut(p)) {
                s.signals = kinds;
            }
        }
        let names: Vec<String> = if names.is_empty() {
            state
                .definitions
                .iter()
                .map(|d| d.def.name.clone())
                .collect()
        } else {
            names.to_vec()
        };
        for name in names {
            let per = facts.hits.entry(name.clone()).or_default();
            let Some(version) = state.def_version(&name) else {
                continue;
            };
            let answer = self.client.query(&format!(
                "SELECT session_id, timestamp_ms FROM {} WHERE name = {} AND def_version = {version}
                   AND (session_id, batch_id) IN ({visible}) ORDER BY session_id, timestamp_ms
                 FORMAT RowBinary",
                self.table("event_hits"),
                quote(&name),
            ))?;
            let mut reader = RowReader::new(&answer);
            while !reader.is_empty() {
                let (Some(id), Some(t)) = (reader.string(), reader.i64()) else {
                    return Err(self.client.decode_error("event hits"));
                };
                if let Some(&p) = position.get(&id) {
                    per.entry(p).or_default().push(t);
                }
            }
        }
        Ok(facts)
    }
}
