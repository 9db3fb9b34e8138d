//! Copying a whole library from one store to another (`sessionlens library copy`): a laptop's
//! SQLite library pushed to the team's ClickHouse server, or a server library taken home.
//!
//! Owns: the order of the copy. May use: the [`Store`] trait only, so any backend copies to any
//! other. Settings come first (signal thresholds, event definitions, the conversion goal,
//! screenshots), so that every session stored afterwards gets its derived rows (signals, event
//! hits, conversion) computed in the target exactly as the source computed them; then the
//! sessions, in batches, each with the recording it came from; then sections, form names and notes. A copy
//! may be run again: sessions already in the target are skipped (by id and content), and so are
//! definitions, sections, form names, notes and screenshots the target already holds unchanged.

use std::collections::HashSet;

use serde::Serialize;

use super::{SessionFilter, SessionSort, Store, StoreError};
use crate::format::Loaded;

/// Sessions read from the source and written to the target at a time.
const COPY_BATCH: u64 = 200;

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CopySummary {
    /// Sessions written into the target.
    pub sessions_copied: usize,
    /// Sessions the target already held.
    pub sessions_skipped: usize,
    /// Event definitions written.
    pub definitions: usize,
    /// Sections written.
    pub sections: usize,
    /// Form names written.
    pub form_names: usize,
    /// Notes written.
    pub notes: usize,
    /// Screenshots written.
    pub screenshots: usize,
    /// The conversion goal was set in the target.
    pub goal_set: bool,
    /// The signal thresholds were set in the target.
    pub signal_settings_set: bool,
}

/// Copies everything of `from` into `to`; `on_progress(sessions done, sessions in all)` after
/// each batch of sessions.
pub fn copy_library(
    from: &dyn Store,
    to: &mut dyn Store,
    on_progress: &mut dyn FnMut(u64, u64),
) -> Result<CopySummary, StoreError> {
    if let Some(why) = to.read_only() {
        return Err(StoreError::Invalid(format!(
            "cannot copy into {}: {why}",
            to.location()
        )));
    }
    let mut summary = CopySummary::default();

    let settings = from.signal_settings()?;
    if to.signal_settings()? != settings {
        to.recompute_signals(&settings)?;
        summary.signal_settings_set = true;
    }
    let target_defs = to.event_definitions()?;
    for def in from.event_definitions()? {
        if !target_defs.contains(&def) {
            to.define_event(&def, &mut |_, _, _| {})?;
            summary.definitions += 1;
        }
    }
    let goal = from.conversion_goal()?;
    if to.conversion_goal()?.name != goal.name {
        to.set_conversion_goal(&goal.name, &mut |_, _, _| {})?;
        summary.goal_set = true;
    }
    let target_shots = to.screenshots()?;
    for shot in from.screenshots()? {
        if target_shots.contains(&shot) {
            continue;
        }
        let Some(png) = from.screenshot_png(&shot.hash)? else {
            continue;
        };
        to.add_screenshot(&shot.url, shot.layout_width, png, &shot.origin)?;
        summary.screenshots += 1;
    }

    let all = SessionFilter::default();
    let total = from.count_sessions(&all)?;
    let mut offset = 0;
    while offset < total {
        let rows = from.list_sessions(&all, SessionSort::OldestFirst, offset, COPY_BATCH)?;
        if rows.is_empty() {
            break;
        }
        // Sessions of one recording are stored together, as that recording's import unit.
        let mut units: Vec<(String, Loaded)> = Vec::new();
        for row in &rows {
            let session = from.load_session(&row.session_id)?;
            let source = from
                .source_file(&row.session_id)?
                .unwrap_or_else(|| from.location().to_owned());
            match units.iter_mut().find(|(s, _)| *s == source) {
                Some((_, loaded)) => loaded.sessions.push(session),
                None => units.push((
                    source,
                    Loaded {
                        sessions: vec![session],
                        ..Loaded::default()
                    },
                )),
            }
        }
        for (source, loaded) in &units {
            let outcome = to.insert_loaded(source, loaded)?;
            summary.sessions_copied += outcome.session_ids.len();
            summary.sessions_skipped += outcome.duplicate_ids.len();
        }
        offset += rows.len() as u64;
        on_progress(offset, total);
    }
    to.fold_recent_points()?;

    let target_sections = to.sections()?;
    for section in from.sections()? {
        if !target_sections.contains(&section) {
            to.define_section(&section)?;
            summary.sections += 1;
        }
    }
    let target_names = to.form_names()?;
    for n in from.form_names()? {
        if !target_names.contains(&n) {
            to.set_form_name(&n.page, &n.form, Some(&n.name))?;
            summary.form_names += 1;
        }
    }
    let target_notes: HashSet<(String, i64, String)> = to
        .notes(None)?
        .into_iter()
        .map(|n| (n.session_id, n.timestamp_ms, n.text))
        .collect();
    for note in from.notes(None)? {
        if !target_notes.contains(&(
            note.session_id.clone(),
            note.timestamp_ms,
            note.text.clone(),
        )) {
            to.add_note(&note.session_id, note.timestamp_ms, &note.text)?;
            summary.notes += 1;
        }
    }
    Ok(summary)
}
