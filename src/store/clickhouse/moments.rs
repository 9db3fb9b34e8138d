//! The moments behind a spot of a map, read without the map's every point: the server names
//! the visible sessions with a point near the spot, and the portable composition
//! (`store::aggregate::compose_views`) runs over their page views alone, a few sessions at a
//! time in session order, until it has found enough.
//!
//! That is exact: which of a session's points a map counts (fixed clicks moved or hidden, the
//! first per 16 px cell in unique mode) and where, depend on that session alone, given the
//! map's page height, which is read first; the moments come in session order, so those of the
//! first sessions are the first moments.

use super::ClickHouseLibrary;
use crate::analysis::heatmap::{self, HeatmapKind, HeatmapQuery, Moment};
use crate::model::PagePos;
use crate::model::points::PointKind;
use crate::store::StoreError;
use crate::store::aggregate::{HeatmapError, Labels, compose_views};

/// Sessions composed per round.
const SESSIONS_PER_ROUND: usize = 128;

impl ClickHouseLibrary {
    /// The moments of `query`'s counted points within `radius_px` of `pos_in_page`, at most
    /// `limit`, in session order: `HeatmapResult::moments_near` of the whole map (which a map
    /// of one variant, chosen from the sessions' bodies, still composes).
    pub fn heatmap_moments(
        &self,
        query: &HeatmapQuery,
        pos_in_page: PagePos,
        radius_px: f32,
        limit: usize,
    ) -> Result<Vec<Moment>, HeatmapError> {
        heatmap::check(query)?;
        if query.variant.is_some() {
            return Ok(crate::store::Store::heatmap(self, query)?.moments_near(
                pos_in_page,
                radius_px,
                limit,
            ));
        }
        let conditions = self.map_conditions(query).map_err(StoreError::from)?;
        // A point counts where it is drawn: clicks on fixed elements at their viewport
        // position, which their own rows hold. One pixel more than the radius, so no rounding
        // leaves a session out (the exact test is `moments_near`'s).
        let (x, y) = (f64::from(pos_in_page.x), f64::from(pos_in_page.y));
        let r = f64::from(radius_px.max(0.0)) + 1.0;
        let near = |x_col: &str, y_col: &str| {
            format!(
                "{x_col} BETWEEN {:?} AND {:?} AND {y_col} BETWEEN {:?} AND {:?}",
                x - r,
                x + r,
                y - r,
                y + r
            )
        };
        let sessions_near = match query.kind {
            // Scroll and attention maps count no points, so no spot has moments.
            HeatmapKind::Scroll | HeatmapKind::Attention => return Ok(Vec::new()),
            HeatmapKind::Click | HeatmapKind::Move => {
                let kinds = if query.kind == HeatmapKind::Move {
                    vec![PointKind::Move]
                } else {
                    vec![PointKind::Click, PointKind::FixedClick]
                };
                let any: Vec<String> = kinds
                    .iter()
                    .map(|&k| format!("({})", conditions.points_where(k)))
                    .collect();
                format!(
                    "SELECT DISTINCT session_rowid FROM {} WHERE ({}) AND {}",
                    self.table("points"),
                    any.join(" OR "),
                    near("x", "y"),
                )
            }
            HeatmapKind::Rage | HeatmapKind::Dead => format!(
                "SELECT DISTINCT session_rowid FROM {} WHERE kind = {} AND signal_version = {}
                   AND isNotNull(x) AND isNotNull(y) AND {}
                   AND (session_rowid, batch_id) IN ({})",
                self.table("signals"),
                super::rowbinary::quote(query.kind.signal_kind().unwrap_or("")),
                self.signal_version().map_err(StoreError::from)?,
                near("assumeNotNull(x)", "assumeNotNull(y)"),
                conditions.visible,
            ),
        };
        // Every round draws on the whole map's grid.
        let mut query = query.clone();
        if query.page_height_px.is_none() {
            let figures = self
                .page_view_figures(&conditions.views_where)
                .map_err(StoreError::from)?;
            query.page_height_px = Some(figures.tallest);
        }
        let mut moments = Vec::new();
        let mut after = i64::MIN;
        while moments.len() < limit {
            let answer = self
                .client
                .query(&format!(
                    "SELECT session_rowid FROM ({sessions_near}) WHERE session_rowid > {after}
                 ORDER BY session_rowid LIMIT {SESSIONS_PER_ROUND} FORMAT RowBinary"
                ))
                .map_err(StoreError::from)?;
            let rowids = super::rowbinary::RowReader::new(&answer)
                .rows(|r| r.i64())
                .ok_or_else(|| {
                    StoreError::from(self.client.decode_error("sessions near a spot"))
                })?;
            let Some(&last) = rowids.last() else { break };
            let list: Vec<String> = rowids.iter().map(i64::to_string).collect();
            let views = self
                .heatmap_page_views_where(
                    &query.filter,
                    &query.page,
                    query.viewport_widths,
                    &format!(" AND session_rowid IN ({})", list.join(",")),
                )
                .map_err(StoreError::from)?;
            let result = compose_views(self, &query, views, Labels::Unnamed)?;
            moments.extend(result.moments_near(pos_in_page, radius_px, limit - moments.len()));
            if rowids.len() < SESSIONS_PER_ROUND {
                break;
            }
            after = last;
        }
        Ok(moments)
    }
}
