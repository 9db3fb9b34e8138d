//! Plain data of heatmap aggregation, shared by every store backend and the pure aggregation in
//! `analysis::heatmap`: the page views chosen for a map (with their sizes), the columnar x/y/t
//! points of a page view, and the rage/dead signals on them.
//!
//! A point blob holds `n` little-endian `f32` x values, then `n` `f32` y values (page CSS px, or
//! viewport CSS px for [`PointKind::FixedClick`]), then `n` `u32` times in ms since the page view
//! was entered.

use std::sync::Arc;

use super::{PagePos, SizePx};

/// Which points a blob holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointKind {
    /// Clicks (taps included, each press once), at their page position.
    Click = 0,
    /// Pointer-move samples, at their page position.
    Move = 1,
    /// Document scroll offsets (x = scrollX, y = scrollY).
    Scroll = 2,
    /// Clicks whose target is `position: fixed` or `sticky` (as the recording tells), at their
    /// *viewport* position. The same clicks are also in [`PointKind::Click`] at their page
    /// position, so heatmaps can show them scrolled, fixed, or hide them.
    FixedClick = 3,
}

impl PointKind {
    /// All kinds, in storage order.
    pub const ALL: [Self; 4] = [Self::Click, Self::Move, Self::Scroll, Self::FixedClick];

    /// The code stored in the `kind` column.
    #[must_use]
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// One page view chosen for a heatmap.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapPageView {
    /// The page view's URL without fragment (shared by the views of one URL).
    pub url: Arc<str>,
    /// The session's row id in this library (stable while the session is stored).
    pub session_rowid: i64,
    /// Index of the page view within its session.
    pub page_index: u32,
    /// Viewport size when the page view began, CSS px.
    pub viewport: SizePx,
    /// Deepest viewport bottom reached, `max(scroll_y + viewport_height)`, page CSS px.
    pub max_depth_px: f32,
    /// Time on the page, ms.
    pub duration_ms: i64,
    /// Document height, CSS px (0 when unknown).
    pub doc_height_px: u32,
    /// Epoch ms the page view began.
    pub entered_at_ms: i64,
    /// Clicks on the page view (taps included, each press once).
    pub num_clicks: u32,
}

/// The index ranges of `views` that belong to one session each, in order. Stores list a
/// heatmap's page views grouped by session, so a per-session read (a body, a session's
/// signals) is done once per range.
pub fn session_runs(
    views: &[HeatmapPageView],
) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let first = views.get(start)?;
        let len = views[start..]
            .iter()
            .take_while(|v| v.session_rowid == first.session_rowid)
            .count();
        let run = start..start + len;
        start += len;
        Some(run)
    })
}

/// The columns of one point blob, borrowed from SQLite: page (or viewport, for
/// [`PointKind::FixedClick`]) CSS px and ms since the page view was entered.
#[derive(Clone, Copy, Debug)]
pub struct PointColumns<'a> {
    xs: &'a [u8],
    ys: &'a [u8],
    ts: &'a [u8],
}

impl<'a> PointColumns<'a> {
    /// Splits a blob written by the importer; `None` when its length is not a multiple of 12.
    #[must_use]
    pub fn from_blob(blob: &'a [u8]) -> Option<Self> {
        let n = blob.len() / 12;
        if n * 12 != blob.len() {
            return None;
        }
        let (xs, rest) = blob.split_at(n * 4);
        let (ys, ts) = rest.split_at(n * 4);
        Some(Self { xs, ys, ts })
    }

    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.xs.len() / 4
    }

    /// True when there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    /// `(x, y, t_ms)` of every point, in recording order.
    pub fn iter(&self) -> impl Iterator<Item = (f32, f32, u32)> + 'a {
        let f = |c: &[u8]| f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        self.xs
            .chunks_exact(4)
            .zip(self.ys.chunks_exact(4))
            .zip(self.ts.chunks_exact(4))
            .map(move |((x, y), t)| (f(x), f(y), u32::from_le_bytes([t[0], t[1], t[2], t[3]])))
    }
}

/// A signal (rage or dead click) on a chosen page view.
#[derive(Clone, Debug, PartialEq)]
pub struct PageSignal {
    /// Index into the page views passed in.
    pub view: usize,
    /// Where, page CSS px.
    pub pos_in_page: PagePos,
    /// Epoch ms the signal started.
    pub start_ms: i64,
    /// The element it hit, as the signal detector described it, when known.
    pub target: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_split_blobs_and_refuse_odd_lengths() {
        let mut blob = Vec::new();
        for v in [1.0f32, 2.0] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        for v in [3.0f32, 4.0] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        for v in [5u32, 6] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        let c = PointColumns::from_blob(&blob).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            vec![(1.0, 3.0, 5), (2.0, 4.0, 6)]
        );
        assert!(PointColumns::from_blob(&blob[..13]).is_none());
    }
}
