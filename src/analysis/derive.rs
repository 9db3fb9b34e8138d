//! The rows derived from a session when it is imported, computed by a registered list of pure
//! derivations ([`DERIVATIONS`]): the frustration signals (`analysis::signals::detect` with the
//! library's thresholds), the hits of every defined event (`analysis::conversions::hits`) and
//! the forms of each page view (`analysis::forms::page_view_forms_of`).
//!
//! A store only persists what [`derive()`] returns, in the session's import transaction, so every
//! backend stores the same derived rows (a backend may leave a kind out and compose it from
//! session bodies instead: the ClickHouse library does so for form facts). Recomputing one kind of row later (new thresholds, a
//! new definition) calls the same functions ([`signals`], [`event_hits`]).

use super::conversions::{EventDefinition, Hit, hits};
use super::forms::{PageViewForms, page_view_forms_of};
use super::signals::{Signal, SignalSettings, detect};
use crate::model::Session;

/// What derivations need besides the session: the library's settings and definitions.
#[derive(Clone, Copy, Debug)]
pub struct DeriveInputs<'a> {
    /// The signal thresholds in force.
    pub signal_settings: &'a SignalSettings,
    /// Every event definition, in the order their hits are stored.
    pub definitions: &'a [EventDefinition],
}

/// The derived rows of one session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DerivedRows {
    /// Detected signals, in detection order.
    pub signals: Vec<Signal>,
    /// Hits of the definitions: `(index into DeriveInputs::definitions, hit)`, definition by
    /// definition, each in time order.
    pub event_hits: Vec<(usize, Hit)>,
    /// The forms of each page view that has any (`analysis::forms`), independent of settings
    /// and definitions, so only imports write them.
    pub form_views: Vec<PageViewForms>,
}

/// One registered derivation: a name (for messages and docs) and a pure function adding its
/// rows.
#[derive(Clone, Copy)]
pub struct Derivation {
    /// What it derives.
    pub name: &'static str,
    /// Adds its rows for `session` to the output.
    pub derive: fn(&Session, &DeriveInputs<'_>, &mut DerivedRows),
}

impl std::fmt::Debug for Derivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derivation")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every derivation run at import, in order.
pub const DERIVATIONS: &[Derivation] = &[
    Derivation {
        name: "signals",
        derive: |session, inputs, out| out.signals = signals(session, inputs.signal_settings),
    },
    Derivation {
        name: "event hits",
        derive: |session, inputs, out| out.event_hits = event_hits(session, inputs.definitions),
    },
    Derivation {
        name: "form facts",
        derive: |session, _, out| out.form_views = page_view_forms_of(session),
    },
];

/// Runs every registered derivation on `session`.
#[must_use]
pub fn derive(session: &Session, inputs: &DeriveInputs<'_>) -> DerivedRows {
    let mut out = DerivedRows::default();
    for d in DERIVATIONS {
        (d.derive)(session, inputs, &mut out);
    }
    out
}

/// The signals of `session` under `settings`.
#[must_use]
pub fn signals(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    detect(session, settings).signals
}

/// The hits of each of `definitions` in `session`: `(definition index, hit)`.
#[must_use]
pub fn event_hits(session: &Session, definitions: &[EventDefinition]) -> Vec<(usize, Hit)> {
    definitions
        .iter()
        .enumerate()
        .flat_map(|(i, def)| hits(def, session).into_iter().map(move |h| (i, h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::conversions::DefinitionKind;
    use crate::demo::{GenerateOptions, generate_session};
    use crate::store::Library;

    fn definitions() -> Vec<EventDefinition> {
        let def = |name: &str, kind, pattern: &str| EventDefinition {
            name: name.to_owned(),
            kind,
            pattern: pattern.to_owned(),
            value_from_event: false,
            stage: None,
            weight: None,
        };
        vec![
            def("purchase", DefinitionKind::Custom, "purchase"),
            def("product page", DefinitionKind::Url, "/product/*"),
        ]
    }

    #[test]
    fn every_registered_derivation_runs_and_matches_its_function() {
        let names: Vec<_> = DERIVATIONS.iter().map(|d| d.name).collect();
        assert_eq!(names, ["signals", "event hits", "form facts"]);
        let settings = SignalSettings::default();
        let defs = definitions();
        let inputs = DeriveInputs {
            signal_settings: &settings,
            definitions: &defs,
        };
        let options = GenerateOptions::default();
        let (mut with_signals, mut with_hits, mut with_forms) = (0, 0, 0);
        for i in 0..60 {
            let session = generate_session(&options, i);
            let rows = derive(&session, &inputs);
            assert_eq!(rows.signals, signals(&session, &settings));
            assert_eq!(rows.event_hits, event_hits(&session, &defs));
            assert_eq!(rows.form_views, page_view_forms_of(&session));
            with_forms += usize::from(!rows.form_views.is_empty());
            with_signals += usize::from(!rows.signals.is_empty());
            with_hits += usize::from(rows.event_hits.iter().any(|(d, _)| *d == 1));
        }
        assert!(
            with_signals > 0 && with_hits > 0 && with_forms > 0,
            "{with_signals} {with_hits} {with_forms}"
        );
    }

    #[test]
    fn the_store_persists_exactly_the_derived_rows() {
        let mut library = Library::open_in_memory().unwrap();
        let defs = definitions();
        for def in &defs {
            library.define_event(def, &mut |_, _, _| {}).unwrap();
        }
        let options = GenerateOptions::default();
        let sessions: Vec<_> = (0..40).map(|i| generate_session(&options, i)).collect();
        let loaded = crate::format::Loaded {
            sessions: sessions.clone(),
            ..crate::format::Loaded::default()
        };
        library.insert_loaded("demo", &loaded).unwrap();
        let settings = library.signal_settings().unwrap();
        let stored_defs = library.event_definitions().unwrap();
        let inputs = DeriveInputs {
            signal_settings: &settings,
            definitions: &stored_defs,
        };
        let counts = library.event_session_counts().unwrap();
        let mut expected_counts = std::collections::HashMap::new();
        for session in &sessions {
            let rows = derive(session, &inputs);
            let stored = library.session_signals(&session.session_id).unwrap();
            let kinds: Vec<_> = stored
                .iter()
                .map(|s| (s.kind.as_str(), s.start_ms))
                .collect();
            let derived: Vec<_> = rows
                .signals
                .iter()
                .map(|s| (s.kind.as_str(), s.start_ms))
                .collect();
            let (mut kinds, mut derived) = (kinds, derived);
            kinds.sort();
            derived.sort();
            assert_eq!(kinds, derived, "{}", session.session_id);
            let mut hit_defs: Vec<usize> = rows.event_hits.iter().map(|(d, _)| *d).collect();
            hit_defs.dedup();
            for d in hit_defs {
                *expected_counts
                    .entry(stored_defs[d].name.clone())
                    .or_insert(0u64) += 1;
            }
        }
        for def in &stored_defs {
            assert_eq!(
                counts.get(&def.name).copied().unwrap_or(0),
                expected_counts.get(&def.name).copied().unwrap_or(0),
                "{}",
                def.name
            );
        }
        // Form facts: read back from the derived rows, they equal the body's.
        let filter = crate::model::SessionFilter::default();
        let mut stored = library.form_facts(&filter, None).unwrap();
        stored.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        let mut expected: Vec<_> = sessions
            .iter()
            .map(|s| crate::analysis::forms::session_forms(s, None))
            .collect();
        expected.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        for (a, b) in stored.iter_mut().zip(&mut expected) {
            a.pages.sort();
            b.pages.sort();
        }
        assert_eq!(stored, expected);
        assert!(expected.iter().any(|s| !s.forms.is_empty()));
    }
}
