//! The library's settings and the versions of its derived rows.
//!
//! ClickHouse tables are written by appending, so rows derived from sessions (signals, event
//! hits, conversions for a goal) are never rewritten in place: each recomputation writes a new
//! *version* of them, then publishes that version with one row (a setting, or a definition's
//! row), and readers only read the published version. A recomputation that fails or is killed
//! midway leaves rows of a version nobody reads, as an unpublished import batch does.
//!
//! - signals: `signals.signal_version`, published by the setting [`SIGNAL_VERSION_KEY`] (0 for
//!   the signals written at import with the thresholds then in force);
//! - event hits: `event_hits.def_version`, published by the definition's row in `event_defs`
//!   (its `updated_at_ms`);
//! - conversions: under the standard goal, `sessions.converted` and `revenue` (computed at
//!   import); under any other goal, the rows of `conversions` of the goal's version, published
//!   by the setting [`GOAL_VERSION_KEY`] (one row per converted session).
//!
//! Settings are rows of `settings` (a `ReplacingMergeTree` by `updated_at_ms`) read `FINAL`.

use std::collections::HashMap;

use super::rowbinary::{RowReader, RowWriter, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::{
    ConversionGoal, DEFAULT_GOAL, DefinitionKind, EventDefinition, Stage,
};
use crate::analysis::signals::SignalSettings;
use crate::store::{GOAL_KEY, SIGNAL_SETTINGS_KEY};

/// The setting holding the published version of the signals.
pub(crate) const SIGNAL_VERSION_KEY: &str = "signals.version";
/// The setting holding the published version of the conversions of a non-standard goal.
pub(crate) const GOAL_VERSION_KEY: &str = "conversion_goal.version";

/// An event definition with the version of its hits.
#[derive(Clone, Debug)]
pub(crate) struct VersionedDefinition {
    pub(crate) def: EventDefinition,
    pub(crate) version: u64,
}

/// What readers and writers need to know of the library's settings.
#[derive(Clone, Debug)]
pub(crate) struct LibState {
    /// The signal thresholds in force.
    pub(crate) signal_settings: SignalSettings,
    /// The published signal version.
    pub(crate) signal_version: u64,
    /// The conversion goal in force.
    pub(crate) goal: ConversionGoal,
    /// The published conversions of the goal (0: the standard goal, read from `sessions`).
    pub(crate) goal_version: u64,
    /// The live definitions, by name.
    pub(crate) definitions: Vec<VersionedDefinition>,
    /// The same definitions without their versions, in the same order (what
    /// `analysis::derive` takes; its hit indices index both).
    pub(crate) plain_definitions: Vec<EventDefinition>,
}

impl LibState {
    /// The version of the hits of definition `name`, when defined.
    pub(crate) fn def_version(&self, name: &str) -> Option<u64> {
        self.definitions
            .iter()
            .find(|d| d.def.name == name)
            .map(|d| d.version)
    }
}

/// A version above `floor` and at least the wall clock, ms: later writes win.
pub(crate) fn next_version(floor: u64) -> u64 {
    u64::try_from(crate::store::now_ms())
        .unwrap_or(0)
        .max(floor.saturating_add(1))
}

impl ClickHouseLibrary {
    /// Every setting, by key (latest row of each).
    pub(crate) fn settings(&self) -> Result<HashMap<String, (String, u64)>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT key, value, toUInt64(updated_at_ms) FROM {} FINAL FORMAT RowBinary",
            self.table("settings")
        ))?;
        let rows = RowReader::new(&answer)
            .rows(|r| Some((r.string()?, (r.string()?, r.u64()?))))
            .ok_or_else(|| self.client.decode_error("settings"))?;
        Ok(rows.into_iter().collect())
    }

    /// Writes settings in one insert (so they change together); `version_floor` is a version
    /// the new rows must exceed.
    pub(crate) fn write_settings(
        &self,
        values: &[(&str, String)],
        version_floor: u64,
    ) -> Result<(), ClickHouseError> {
        let known = self.settings()?;
        let floor = known
            .values()
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0)
            .max(version_floor);
        let at = i64::try_from(next_version(floor)).unwrap_or(i64::MAX);
        let mut w = RowWriter::default();
        for (key, value) in values {
            w.str(key).str(value).i64(at);
        }
        self.client.insert_rowbinary(
            &format!("{} (key, value, updated_at_ms)", self.table("settings")),
            &w.bytes,
        )
    }

    /// The live event definitions with their versions, by name.
    pub(crate) fn versioned_definitions(
        &self,
    ) -> Result<Vec<VersionedDefinition>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT name, kind, pattern, value_from_event, stage, weight, toUInt64(updated_at_ms)
             FROM {} FINAL WHERE deleted = 0 ORDER BY name FORMAT RowBinary",
            self.table("event_defs")
        ))?;
        RowReader::new(&answer)
            .rows(|r| {
                let name = r.string()?;
                let kind = r.string()?;
                let pattern = r.string()?;
                let value_from_event = r.u8()? != 0;
                let stage = r.opt_string()?;
                let weight = match r.u8()? {
                    0 => Some(r.u8()?),
                    _ => None,
                };
                let version = r.u64()?;
                Some(VersionedDefinition {
                    def: EventDefinition {
                        name,
                        kind: DefinitionKind::parse(&kind).unwrap_or(DefinitionKind::Custom),
                        pattern,
                        value_from_event,
                        stage: stage.as_deref().and_then(Stage::parse),
                        weight,
                    },
                    version,
                })
            })
            .ok_or_else(|| self.client.decode_error("event definitions"))
    }

    /// The settings and versions in force.
    pub(crate) fn state(&self) -> Result<LibState, ClickHouseError> {
        let settings = self.settings()?;
        let definitions = self.versioned_definitions()?;
        let get = |key: &str| settings.get(key).map(|(v, _)| v.as_str());
        let signal_settings = match get(SIGNAL_SETTINGS_KEY) {
            Some(json) => serde_json::from_str(json).map_err(|e| {
                self.client
                    .decode_error(format!("stored signal settings: {e}"))
            })?,
            None => SignalSettings::default(),
        };
        let signal_version = get(SIGNAL_VERSION_KEY)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let name = get(GOAL_KEY)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(DEFAULT_GOAL)
            .to_owned();
        let definition = definitions
            .iter()
            .find(|d| d.def.name == name)
            .map(|d| d.def.clone());
        let goal = ConversionGoal { name, definition };
        let goal_version = if goal.is_standard() {
            0
        } else {
            get(GOAL_VERSION_KEY)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let plain_definitions = definitions.iter().map(|d| d.def.clone()).collect();
        Ok(LibState {
            signal_settings,
            signal_version,
            goal,
            goal_version,
            definitions,
            plain_definitions,
        })
    }

    /// The published signal version.
    pub(crate) fn signal_version(&self) -> Result<u64, ClickHouseError> {
        Ok(self
            .settings()?
            .get(SIGNAL_VERSION_KEY)
            .and_then(|(v, _)| v.parse().ok())
            .unwrap_or(0))
    }

    /// SQL: the keys `(session_id, batch_id)` of the sessions converted for the goal of
    /// `state` when it is not the standard one (see the module comment).
    pub(crate) fn converted_keys(&self, state: &LibState) -> String {
        format!(
            "SELECT session_id, batch_id FROM {} WHERE goal_version = {}",
            self.table("conversions"),
            state.goal_version
        )
    }

    /// SQL: the condition on a row of `sessions` that it converted (`true`) or did not, for the
    /// goal of `state`.
    pub(crate) fn converted_condition(&self, state: &LibState, converted: bool) -> String {
        if state.goal_version == 0 {
            // The standard goal with a goal version of 0 only: a non-standard goal whose
            // conversions were never written converts nobody.
            if state.goal.is_standard() {
                return format!("converted = {}", u8::from(converted));
            }
            return if converted { "0" } else { "1" }.to_owned();
        }
        format!(
            "(session_id, batch_id) {} ({})",
            if converted { "IN" } else { "NOT IN" },
            self.converted_keys(state)
        )
    }

    /// SQL: the keys `(session_id, batch_id)` of the sessions with a hit of definition `name`
    /// (none when undefined).
    pub(crate) fn hit_keys(&self, state: &LibState, name: &str) -> String {
        match state.def_version(name) {
            Some(version) => format!(
                "SELECT session_id, batch_id FROM {} WHERE name = {} AND def_version = {version}",
                self.table("event_hits"),
                quote(name)
            ),
            None => format!(
                "SELECT session_id, batch_id FROM {} WHERE 0",
                self.table("event_hits")
            ),
        }
    }

    /// SQL: the keys `(cityHash64(session_id), batch_id)` of the sessions with a hit of
    /// definition `name` (none when undefined): integers, a set the server builds and probes in
    /// about half the time of [`Self::hit_keys`]'s strings (`event_hits` has no
    /// `session_rowid`); two ids share a hash with the odds of sharing a row id.
    pub(crate) fn hit_hashes(&self, state: &LibState, name: &str) -> String {
        let version = state.def_version(name);
        format!(
            "SELECT cityHash64(session_id), batch_id FROM {} WHERE {}",
            self.table("event_hits"),
            version.map_or_else(
                || "0".to_owned(),
                |v| format!("name = {} AND def_version = {v}", quote(name))
            )
        )
    }

    /// Refuses a change when the library's user may only read (found at open).
    pub(crate) fn writable(&self) -> Result<(), ClickHouseError> {
        if self.read_only {
            return Err(ClickHouseError::ReadOnly {
                user: self.url.user.clone(),
                server: self.url.server(),
            });
        }
        Ok(())
    }
}
