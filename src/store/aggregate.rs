//! Heatmap aggregation composed: the store's reads (the page views a filter covers, their point
//! columns streamed borrowed, their signals, a few sessions to name hotspots) fed into the pure
//! functions of `analysis::heatmap`. It lives in the store layer because it is how a store
//! answers the aggregation-shaped question "this map, please"; it reads only what any backend
//! can give (see docs/ARCHITECTURE.md, "Backends").

use super::{Store, StoreError};
use crate::analysis::heatmap::{
    self, Attention, FixedClicks, HeatmapKind, HeatmapQuery, HeatmapQueryError, HeatmapResult,
    PointAccumulator,
};
use crate::model::points::{HeatmapPageView, PointKind};

/// Errors of heatmap aggregation.
#[derive(Debug, thiserror::Error)]
pub enum HeatmapError {
    /// The library could not answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The query cannot be answered (a bad layout width).
    #[error(transparent)]
    Query(#[from] HeatmapQueryError),
}

/// Aggregates one map from a store: [`Store::heatmap`] (for SQLite, [`compose`] in one read
/// snapshot).
pub fn aggregate_heatmap(
    store: &dyn Store,
    query: &HeatmapQuery,
) -> Result<HeatmapResult, HeatmapError> {
    store.heatmap(query)
}

/// The portable composition of a map from a store's finer reads and `analysis::heatmap`: the
/// default of [`Store::heatmap`].
pub fn compose<S: Store + ?Sized>(
    store: &S,
    query: &HeatmapQuery,
) -> Result<HeatmapResult, HeatmapError> {
    // A bad query fails before anything is read.
    heatmap::check(query)?;
    let mut views = store.heatmap_page_views(&query.filter, &query.page, query.viewport_widths)?;
    if let Some(variant) = &query.variant {
        views = super::variants::keep_variant(store, views, variant)?;
    }
    compose_views(store, query, views, Labels::Named)
}

/// Whether [`compose_views`] names the hotspots' elements (reading a few sessions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// Named, as [`compose`] does.
    Named,
    /// Left unnamed: the points are all the caller wants.
    Unnamed,
}

/// The map of `query` over `views` (the chosen page views, in `(session_rowid, page_index)`
/// order): the part of [`compose`] after choosing them.
pub fn compose_views<S: Store + ?Sized>(
    store: &S,
    query: &HeatmapQuery,
    views: Vec<HeatmapPageView>,
    labels: Labels,
) -> Result<HeatmapResult, HeatmapError> {
    let mut result = heatmap::begin(query, &views)?;
    match query.kind {
        HeatmapKind::Scroll => {}
        HeatmapKind::Attention => {
            let mut attention = Attention::new(query, result.page_height_px, views.len());
            store.for_each_point_blob(&views, PointKind::Scroll, &mut |i, offsets| {
                attention.add_scrolls(&views, i, offsets);
            })?;
            result.attention_secs = attention.finish(&views);
        }
        HeatmapKind::Click | HeatmapKind::Move | HeatmapKind::Rage | HeatmapKind::Dead => {
            let mut points = PointAccumulator::new(query, result.page_height_px);
            let mut signal_targets = Vec::new();
            match query.kind {
                HeatmapKind::Click => {
                    points.reserve(views.iter().map(|v| v.num_clicks as usize).sum());
                    let mut fixed = FixedClicks::default();
                    if query.fixed_mode != heatmap::FixedMode::ShowScrolled {
                        store.for_each_point_blob(
                            &views,
                            PointKind::FixedClick,
                            &mut |i, cols| {
                                fixed.insert(i, cols);
                            },
                        )?;
                    }
                    store.for_each_point_blob(&views, PointKind::Click, &mut |i, clicks| {
                        points.add_clicks(&views, i, clicks, &mut fixed);
                    })?;
                }
                HeatmapKind::Move => {
                    store.for_each_point_blob(&views, PointKind::Move, &mut |i, moves| {
                        points.add_moves(&views, i, moves);
                    })?;
                }
                _ => {
                    let kind = query.kind.signal_kind().unwrap_or("");
                    signal_targets = points.add_signals(&views, store.page_signals(&views, kind)?);
                }
            }
            points.finish(&mut result);
            if labels == Labels::Unnamed {
                result.views = views;
                return Ok(result);
            }
            heatmap::label_hotspots(&mut result, &views, &signal_targets, |rowid| {
                match store.load_session_by_rowid(rowid) {
                    Ok(s) => Ok(Some(s)),
                    Err(StoreError::Decode { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })?;
        }
    }
    result.views = views;
    Ok(result)
}

#[cfg(test)]
mod tests;
