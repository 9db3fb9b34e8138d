//! Element maps composed from a store's reads: the page views a query covers
//! ([`Store::heatmap_page_views`]), their sessions' bodies (for each click's target element),
//! their rage, dead and error click signals ([`Store::page_signals`]) and which sessions
//! converted ([`Store::conversion_facts`] for the goal in force), fed into the pure
//! `analysis::elements`. Reads only what every backend gives; the default of
//! [`Store::element_input`].

use std::collections::HashMap;

use super::{Store, StoreError};
use crate::analysis::elements::{
    ELEMENT_SIGNALS, ElementInput, ElementQuery, ElementSignal, ElementView,
};
use crate::model::points::session_runs;

/// The input of an element map: every page view of `query` with its clicks and signals.
pub fn compose_input<S: Store + ?Sized>(
    store: &S,
    query: &ElementQuery,
) -> Result<ElementInput, StoreError> {
    let mut views = store.heatmap_page_views(&query.filter, &query.page, query.viewport_widths)?;
    if let Some(variant) = &query.variant {
        views = super::variants::keep_variant(store, views, variant)?;
    }
    let mut narrowed = query.filter.clone();
    if narrowed.url.is_none() {
        narrowed.url = Some(query.page.clone());
    }
    let goal = store.conversion_goal()?.name;
    let converted: HashMap<i64, bool> = store
        .conversion_facts(&narrowed, &[goal])?
        .sessions
        .iter()
        .map(|s| (s.session_rowid, s.converted))
        .collect();
    let in_range =
        |w: u32, range: Option<(u32, u32)>| range.is_none_or(|(lo, hi)| (lo..=hi).contains(&w));
    let mut input = ElementInput {
        page: query.page.clone(),
        ..ElementInput::default()
    };
    // Page views arrive grouped by session: read each body once.
    for run in session_runs(&views) {
        let rowid = views[run.start].session_rowid;
        let session = match store.load_session_by_rowid(rowid) {
            Ok(s) => Some(s),
            Err(e) => {
                log::warn!("element map: session row {rowid} unreadable, its clicks left out: {e}");
                None
            }
        };
        for v in &views[run] {
            let index = input.views.len();
            input.views.push(ElementView {
                session_rowid: rowid,
                session_id: session
                    .as_ref()
                    .map(|s| s.session_id.clone())
                    .unwrap_or_default(),
                page_index: v.page_index,
                converted: converted.get(&rowid).copied().unwrap_or(false),
                in_layout: in_range(v.viewport.width, query.layout_widths),
            });
            if let Some(s) = &session {
                input.add_clicks(index, s);
            }
        }
    }
    for kind in ELEMENT_SIGNALS {
        for s in store.page_signals(&views, kind.as_str())? {
            input.signals.push(ElementSignal {
                view: s.view,
                kind,
                target: s.target,
                start_ms: s.start_ms,
            });
        }
    }
    Ok(input)
}
