//! Columnar per-page point blobs: the data heatmap aggregation reads, without decoding whole
//! sessions. A blob holds `n` little-endian `f32` x values, then `n` `f32` y values (page CSS px),
//! then `n` `u32` times in ms since the page view was entered.

pub use crate::model::points::PointKind;
use crate::model::{EventKind, Session};

/// Points of many page views, concatenated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PagePoints {
    /// x, page CSS px.
    pub xs: Vec<f32>,
    /// y, page CSS px.
    pub ys: Vec<f32>,
    /// ms since the page view was entered.
    pub ts_ms: Vec<u32>,
    /// Start index in the columns of each page view's run of points.
    pub run_starts: Vec<usize>,
    /// Number of page views that matched (including those with no points).
    pub num_page_views: u64,
    /// Number of distinct sessions that matched.
    pub num_sessions: u64,
}

impl PagePoints {
    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.xs.len()
    }

    /// True when there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.xs.is_empty()
    }

    /// Appends a blob written by [`encode_page_points`] as one run.
    pub(crate) fn append_blob(&mut self, blob: &[u8]) -> bool {
        let n = blob.len() / 12;
        if blob.len() != n * 12 {
            return false;
        }
        self.run_starts.push(self.xs.len());
        let (xs, rest) = blob.split_at(n * 4);
        let (ys, ts) = rest.split_at(n * 4);
        let f = |c: &[u8]| f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        self.xs.extend(xs.chunks_exact(4).map(f));
        self.ys.extend(ys.chunks_exact(4).map(f));
        self.ts_ms.extend(
            ts.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        true
    }
}

/// x, y and time columns of one page view and kind.
type Columns = (Vec<f32>, Vec<f32>, Vec<u32>);

/// Builds the point blobs of one session: `(page_index, kind, num_points, blob)`, skipping empty ones.
#[must_use]
pub fn encode_page_points(session: &Session) -> Vec<(u32, PointKind, usize, Vec<u8>)> {
    let mut columns: std::collections::BTreeMap<(u32, PointKind), Columns> =
        std::collections::BTreeMap::new();
    for event in &session.events {
        if let EventKind::Click {
            pos_in_viewport,
            kind,
            target,
            ..
        } = &event.kind
            && kind.counts_as_click()
            && session.target(*target).is_some_and(|t| t.fixed)
        {
            let entered = session
                .pages
                .get(event.page as usize)
                .map_or(session.started_at_ms, |p| p.entered_at_ms);
            let dt = u32::try_from((event.timestamp_ms - entered).max(0)).unwrap_or(u32::MAX);
            let col = columns
                .entry((event.page, PointKind::FixedClick))
                .or_default();
            col.0.push(pos_in_viewport.x);
            col.1.push(pos_in_viewport.y);
            col.2.push(dt);
        }
        let (kind, x, y) = match &event.kind {
            EventKind::Click {
                pos_in_page, kind, ..
            } if kind.counts_as_click() => (PointKind::Click, pos_in_page.x, pos_in_page.y),
            EventKind::PointerMove { pos_in_page, .. } => {
                (PointKind::Move, pos_in_page.x, pos_in_page.y)
            }
            EventKind::Scroll { offset } => (PointKind::Scroll, offset.x, offset.y),
            _ => continue,
        };
        let entered = session
            .pages
            .get(event.page as usize)
            .map_or(session.started_at_ms, |p| p.entered_at_ms);
        let dt = u32::try_from((event.timestamp_ms - entered).max(0)).unwrap_or(u32::MAX);
        let col = columns.entry((event.page, kind)).or_default();
        col.0.push(x);
        col.1.push(y);
        col.2.push(dt);
    }
    columns
        .into_iter()
        .map(|((page, kind), (xs, ys, ts))| {
            let n = xs.len();
            let mut blob = Vec::with_capacity(n * 12);
            xs.iter()
                .for_each(|v| blob.extend_from_slice(&v.to_le_bytes()));
            ys.iter()
                .for_each(|v| blob.extend_from_slice(&v.to_le_bytes()));
            ts.iter()
                .for_each(|v| blob.extend_from_slice(&v.to_le_bytes()));
            (page, kind, n, blob)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClickKind, Event, PagePos, PageView, PointerType, ViewportPos};

    #[test]
    fn blobs_round_trip() {
        let click = |t: i64, x: f32| Event {
            timestamp_ms: t,
            page: 0,
            kind: EventKind::Click {
                pos_in_page: PagePos { x, y: x * 2.0 },
                pos_in_viewport: ViewportPos::default(),
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target: None,
            },
        };
        let session = Session {
            started_at_ms: 100,
            pages: vec![PageView {
                entered_at_ms: 100,
                ..PageView::default()
            }],
            events: vec![click(150, 1.0), click(400, 3.5)],
            ..Session::default()
        };
        let blobs = encode_page_points(&session);
        assert_eq!(blobs.len(), 1);
        let mut points = PagePoints::default();
        assert!(points.append_blob(&blobs[0].3));
        assert_eq!(points.xs, vec![1.0, 3.5]);
        assert_eq!(points.ys, vec![2.0, 7.0]);
        assert_eq!(points.ts_ms, vec![50, 300]);
        assert!(!points.append_blob(&[1, 2, 3]));
    }
}
