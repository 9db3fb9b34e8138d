//! Page variants read from a store (docs/VARIANTS.md): the variant of each page view under a
//! source, narrowing a map's page views to one variant, and the variant table of a page.

use std::collections::HashSet;

use super::{Store, StoreError};
use crate::analysis::variants::{VariantTable, VariantView, variant_table};
use crate::model::points::{HeatmapPageView, session_runs};
use crate::model::{SessionFilter, VariantFilter, VariantSource, variant};

/// The variant of each of `views` under `source`, in their order: the default of
/// [`Store::page_view_variants`]. URL parameters come from the page views' URLs; DOM
/// signatures and experiment events from the bodies of the sessions behind them, each read
/// once.
pub fn from_bodies<S: Store + ?Sized>(
    store: &S,
    views: &[HeatmapPageView],
    source: &VariantSource,
) -> Result<Vec<Option<String>>, StoreError> {
    if let VariantSource::Param(name) = source {
        return Ok(views
            .iter()
            .map(|v| variant::query_param(&v.url, name))
            .collect());
    }
    let mut out = Vec::with_capacity(views.len());
    for run in session_runs(views) {
        let session = store.load_session_by_rowid(views[run.start].session_rowid)?;
        let of_pages = source.of_pages(&session);
        out.extend(
            views[run]
                .iter()
                .map(|v| of_pages.get(v.page_index as usize).cloned().flatten()),
        );
    }
    Ok(out)
}

/// `views` narrowed to the page views of `filter`'s variant.
pub fn keep_variant<S: Store + ?Sized>(
    store: &S,
    views: Vec<HeatmapPageView>,
    filter: &VariantFilter,
) -> Result<Vec<HeatmapPageView>, StoreError> {
    let variants = store.page_view_variants(&views, &filter.source)?;
    Ok(views
        .into_iter()
        .zip(variants)
        .filter(|(_, v)| filter.accepts(v.as_deref()))
        .map(|(view, _)| view)
        .collect())
}

/// What a variant table covers.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantQuery {
    /// Page URL (exact, fragment ignored) or pattern.
    pub page: String,
    /// Session filters.
    pub filter: SessionFilter,
    /// Page views whose viewport width lies in this range; `None`: every width.
    pub viewport_widths: Option<(u32, u32)>,
    /// Where variants come from.
    pub source: VariantSource,
}

/// The variant table of a page: its page views in scope, their variants, the conversion of
/// their sessions (the library's goal) and their rage and dead clicks.
pub fn variants(store: &dyn Store, query: &VariantQuery) -> Result<VariantTable, StoreError> {
    let views = store.heatmap_page_views(&query.filter, &query.page, query.viewport_widths)?;
    let names = store.page_view_variants(&views, &query.source)?;
    let converted: HashSet<i64> = store
        .heatmap_page_views(
            &SessionFilter {
                converted: Some(true),
                ..query.filter.clone()
            },
            &query.page,
            query.viewport_widths,
        )?
        .iter()
        .map(|v| v.session_rowid)
        .collect();
    let mut rage = vec![0u32; views.len()];
    let mut dead = vec![0u32; views.len()];
    for (kind, counts) in [("rage_click", &mut rage), ("dead_click", &mut dead)] {
        for signal in store.page_signals(&views, kind)? {
            if let Some(c) = counts.get_mut(signal.view) {
                *c += 1;
            }
        }
    }
    let rows: Vec<VariantView> = views
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (v, variant))| VariantView {
            variant,
            session_rowid: v.session_rowid,
            page_index: v.page_index,
            converted: converted.contains(&v.session_rowid),
            clicks: v.num_clicks,
            rage_clicks: rage[i],
            dead_clicks: dead[i],
            depth_share: (v.doc_height_px > 0).then(|| v.max_depth_px / v.doc_height_px as f32),
            duration_ms: v.duration_ms,
        })
        .collect();
    Ok(variant_table(&rows))
}
