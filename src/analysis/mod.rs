//! Analysis over sessions and plain data: pure functions, no I/O, no egui. It never reads the
//! library: heatmaps are built from the point columns a store streams in (`analysis::heatmap`),
//! and the rows derived at import come from `analysis::derive`.

pub mod compare;
pub mod conversions;
pub mod derive;
pub mod elements;
pub mod forms;
pub mod heatmap;
pub mod journeys;

pub mod signals;
pub mod significance;
pub mod variants;

use std::collections::BTreeMap;

use crate::model::{EventKind, Session};

/// Counts of events in one time bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActivityBucket {
    /// Clicks and taps.
    pub clicks: u32,
    /// Pointer-move samples.
    pub moves: u32,
    /// Scroll events (document and element).
    pub scrolls: u32,
    /// Input, focus and blur events.
    pub inputs: u32,
}

/// Events per `bucket_ms` from the session start (the last bucket may be partial).
#[must_use]
pub fn activity_histogram(session: &Session, bucket_ms: i64) -> Vec<ActivityBucket> {
    let bucket_ms = bucket_ms.max(1);
    let len = usize::try_from(session.duration_ms / bucket_ms + 1)
        .unwrap_or(1)
        .min(1 << 20);
    let mut buckets = vec![ActivityBucket::default(); len];
    for event in &session.events {
        let index =
            usize::try_from((event.timestamp_ms - session.started_at_ms) / bucket_ms).unwrap_or(0);
        let Some(bucket) = buckets.get_mut(index) else {
            continue;
        };
        match &event.kind {
            EventKind::Click { kind, .. } if kind.counts_as_click() => bucket.clicks += 1,
            EventKind::PointerMove { .. } => bucket.moves += 1,
            EventKind::Scroll { .. } | EventKind::ElementScroll { .. } => bucket.scrolls += 1,
            EventKind::Input { .. } | EventKind::Focus { .. } | EventKind::Blur { .. } => {
                bucket.inputs += 1
            }
            _ => {}
        }
    }
    buckets
}

/// Number of events of each family (`click`, `move`, `scroll`, …), sorted by name.
#[must_use]
pub fn event_counts(session: &Session) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for event in &session.events {
        *counts.entry(event.kind.family()).or_insert(0) += 1;
    }
    counts
}

/// Custom events in order: `(ms from session start, name, value)`.
#[must_use]
pub fn custom_events(session: &Session) -> Vec<(i64, &str, Option<f64>)> {
    session
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Custom { name, value, .. } => Some((
                e.timestamp_ms - session.started_at_ms,
                name.as_str(),
                *value,
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{GenerateOptions, generate_session};

    #[test]
    fn histogram_counts_every_click_once() {
        let session = generate_session(&GenerateOptions::default(), 3);
        let buckets = activity_histogram(&session, 5000);
        let clicks: u32 = buckets.iter().map(|b| b.clicks).sum();
        assert_eq!(clicks as usize, session.num_clicks());
        let counts = event_counts(&session);
        assert_eq!(counts.values().sum::<usize>(), session.events.len());
    }
}
