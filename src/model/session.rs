//! Sessions and page views.

use serde::{Deserialize, Serialize};

use super::device::DeviceClass;
use super::event::{ElementDescriptor, Event, EventKind, PointerType};
use super::geom::{ScrollOffset, SizePx};
use super::source::TrafficSource;

/// One visitor's visit: page views and the events in them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Stable id (the recording's own id when it has one).
    pub session_id: String,
    /// Epoch ms of the first moment of the session.
    pub started_at_ms: i64,
    /// Length in ms; every event lies within `[started_at_ms, started_at_ms + duration_ms]`.
    pub duration_ms: i64,
    /// Desktop, tablet or mobile.
    pub device: DeviceClass,
    /// The browser's user agent, when recorded.
    pub user_agent: Option<String>,
    /// Where the visit came from.
    pub source: TrafficSource,
    /// ISO 3166 country code, when recorded.
    pub country: Option<String>,
    /// Page views, in the order they were entered.
    pub pages: Vec<PageView>,
    /// Elements that events point at (by index), deduplicated per session.
    pub targets: Vec<ElementDescriptor>,
    /// Events sorted by `timestamp_ms` (stable for equal timestamps).
    pub events: Vec<Event>,
}

/// One page load within a session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageView {
    /// The page URL as recorded (query and fragment kept).
    pub url: String,
    /// Epoch ms the page view began.
    pub entered_at_ms: i64,
    /// Epoch ms the page view ended (next page view, or end of session).
    pub left_at_ms: i64,
    /// Document size in CSS px (0 when unknown).
    pub doc_size: SizePx,
    /// Viewport size when the page view began.
    pub viewport: SizePx,
    /// Content hash of the screenshot this page view is shown over, when the file names one.
    pub screenshot: Option<String>,
    /// Browser tab or window this page view belongs to (0 for single-tab recordings).
    pub tab: u32,
}

/// Numbers derived from one page view's events.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PageStats {
    /// Deepest document scroll `y`, CSS px.
    pub max_scroll_y: f32,
    /// Deepest viewport bottom: `max(scroll_y + viewport_height)`, CSS px.
    pub max_depth_px: f32,
    /// Clicks on the page (each press once).
    pub num_clicks: u32,
}

impl PageView {
    /// The URL without its fragment, the form heatmaps group by.
    #[must_use]
    pub fn url_without_fragment(&self) -> &str {
        self.url
            .split_once('#')
            .map_or(self.url.as_str(), |(u, _)| u)
    }

    /// Time spent on the page, ms.
    #[must_use]
    pub fn duration_ms(&self) -> i64 {
        (self.left_at_ms - self.entered_at_ms).max(0)
    }
}

/// Custom event names that mark a session as converted (case-insensitive).
pub const CONVERSION_EVENT_NAMES: [&str; 4] = [
    "purchase",
    "order_completed",
    "checkout_completed",
    "conversion",
];

impl Session {
    /// Number of clicks (see [`crate::model::ClickKind::counts_as_click`]: each press counts once).
    #[must_use]
    pub fn num_clicks(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Click { kind, .. } if kind.counts_as_click()))
            .count()
    }

    /// True when a custom event named like a purchase was recorded ([`CONVERSION_EVENT_NAMES`]).
    #[must_use]
    pub fn converted(&self) -> bool {
        self.events.iter().any(|e| {
            matches!(&e.kind, EventKind::Custom { name, .. }
                if CONVERSION_EVENT_NAMES.iter().any(|c| c.eq_ignore_ascii_case(name)))
        })
    }

    /// Sum of the values of conversion events (revenue), if any carried a value.
    #[must_use]
    pub fn revenue(&self) -> Option<f64> {
        let mut total = None;
        for e in &self.events {
            if let EventKind::Custom {
                name,
                value: Some(v),
                ..
            } = &e.kind
                && CONVERSION_EVENT_NAMES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(name))
            {
                *total.get_or_insert(0.0) += v;
            }
        }
        total
    }

    /// True when any pointer event came from touch.
    #[must_use]
    pub fn used_touch(&self) -> bool {
        self.events.iter().any(|e| match &e.kind {
            EventKind::PointerMove { pointer, .. } | EventKind::Click { pointer, .. } => {
                *pointer == PointerType::Touch
            }
            _ => false,
        })
    }

    /// The viewport of the first page view (zero size when there is none).
    #[must_use]
    pub fn initial_viewport(&self) -> SizePx {
        self.pages.first().map(|p| p.viewport).unwrap_or_default()
    }

    /// Per-page scroll depth and click counts, one entry per page view.
    #[must_use]
    pub fn page_stats(&self) -> Vec<PageStats> {
        let mut stats: Vec<PageStats> = self
            .pages
            .iter()
            .map(|p| PageStats {
                max_depth_px: p.viewport.height as f32,
                ..PageStats::default()
            })
            .collect();
        let mut viewport_height: Vec<f32> = self
            .pages
            .iter()
            .map(|p| p.viewport.height as f32)
            .collect();
        let mut scroll_y: Vec<f32> = vec![0.0; self.pages.len()];
        for event in &self.events {
            let page = event.page as usize;
            let (Some(stat), Some(height), Some(scroll)) = (
                stats.get_mut(page),
                viewport_height.get_mut(page),
                scroll_y.get_mut(page),
            ) else {
                continue;
            };
            match &event.kind {
                EventKind::Scroll { offset } => {
                    *scroll = offset.y;
                    stat.max_scroll_y = stat.max_scroll_y.max(offset.y);
                }
                EventKind::Resize { viewport } => *height = viewport.height as f32,
                EventKind::Click { kind, .. } if kind.counts_as_click() => stat.num_clicks += 1,
                _ => {}
            }
            stat.max_depth_px = stat.max_depth_px.max(*scroll + *height);
        }
        stats
    }

    /// The document scroll offset in effect on `page` at `timestamp_ms` (last scroll event at or
    /// before it; zero before the first). Linear in the number of events: for per-frame use, the
    /// playback module builds an index.
    #[must_use]
    pub fn scroll_at(&self, page: u32, timestamp_ms: i64) -> ScrollOffset {
        let mut offset = ScrollOffset::default();
        for e in &self.events {
            if e.timestamp_ms > timestamp_ms {
                break;
            }
            if e.page == page
                && let EventKind::Scroll { offset: o } = e.kind
            {
                offset = o;
            }
        }
        offset
    }

    /// Index of the page view in effect at `timestamp_ms` (the last one entered at or before it).
    #[must_use]
    pub fn page_at(&self, timestamp_ms: i64) -> Option<usize> {
        let after = self
            .pages
            .partition_point(|p| p.entered_at_ms <= timestamp_ms);
        after
            .checked_sub(1)
            .or(if self.pages.is_empty() { None } else { Some(0) })
    }

    /// The target descriptor of an event's target index.
    #[must_use]
    pub fn target(&self, index: Option<u32>) -> Option<&ElementDescriptor> {
        index.and_then(|i| self.targets.get(i as usize))
    }

    /// True when the target is a field whose value must never be shown (password, card
    /// number; see [`ElementDescriptor::is_sensitive_field`]).
    #[must_use]
    pub fn is_sensitive_target(&self, index: Option<u32>) -> bool {
        self.target(index)
            .is_some_and(ElementDescriptor::is_sensitive_field)
    }

    /// The value typed into field `target` by its input event at `timestamp_ms` (epoch ms),
    /// when the library kept it and the field is not sensitive. O(log n).
    #[must_use]
    pub fn typed_value_at(&self, target: Option<u32>, timestamp_ms: i64) -> Option<&str> {
        if self.is_sensitive_target(target) {
            return None;
        }
        let first = self
            .events
            .partition_point(|e| e.timestamp_ms < timestamp_ms);
        let end = self
            .events
            .partition_point(|e| e.timestamp_ms <= timestamp_ms);
        self.events
            .get(first..end)?
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Input {
                    target: t, value, ..
                } if *t == target => value.as_deref(),
                _ => None,
            })
    }

    /// End of the session, epoch ms.
    #[must_use]
    pub fn ended_at_ms(&self) -> i64 {
        self.started_at_ms.saturating_add(self.duration_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClickKind, PagePos, ViewportPos};

    fn click(t: i64, page: u32) -> Event {
        Event {
            timestamp_ms: t,
            page,
            kind: EventKind::Click {
                pos_in_page: PagePos { x: 1.0, y: 2.0 },
                pos_in_viewport: ViewportPos { x: 1.0, y: 2.0 },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target: None,
            },
        }
    }

    fn two_page_session() -> Session {
        let page = |url: &str, a: i64, b: i64| PageView {
            url: url.to_owned(),
            entered_at_ms: a,
            left_at_ms: b,
            viewport: SizePx {
                width: 1440,
                height: 900,
            },
            ..PageView::default()
        };
        Session {
            session_id: "s".to_owned(),
            started_at_ms: 1000,
            duration_ms: 9000,
            pages: vec![
                page("https://a.test/#x", 1000, 5000),
                page("https://a.test/b", 5000, 10_000),
            ],
            events: vec![
                click(1500, 0),
                Event {
                    timestamp_ms: 2000,
                    page: 0,
                    kind: EventKind::Scroll {
                        offset: ScrollOffset { x: 0.0, y: 700.0 },
                    },
                },
                Event {
                    timestamp_ms: 2500,
                    page: 0,
                    kind: EventKind::Scroll {
                        offset: ScrollOffset { x: 0.0, y: 300.0 },
                    },
                },
                click(6000, 1),
                Event {
                    timestamp_ms: 7000,
                    page: 1,
                    kind: EventKind::Custom {
                        name: "Purchase".to_owned(),
                        value: Some(59.5),
                        currency: Some("EUR".to_owned()),
                    },
                },
            ],
            ..Session::default()
        }
    }

    #[test]
    fn derives_counts_and_conversion() {
        let s = two_page_session();
        assert_eq!(s.num_clicks(), 2);
        assert!(s.converted());
        assert_eq!(s.revenue(), Some(59.5));
        assert!(!s.used_touch());
        assert_eq!(s.pages[0].url_without_fragment(), "https://a.test/");
    }

    #[test]
    fn page_stats_track_deepest_scroll() {
        let stats = two_page_session().page_stats();
        assert_eq!(stats[0].max_scroll_y, 700.0);
        assert_eq!(stats[0].max_depth_px, 1600.0);
        assert_eq!(stats[0].num_clicks, 1);
        assert_eq!(stats[1].max_scroll_y, 0.0);
        assert_eq!(stats[1].max_depth_px, 900.0);
    }

    #[test]
    fn scroll_and_page_lookup() {
        let s = two_page_session();
        assert_eq!(s.scroll_at(0, 1999).y, 0.0);
        assert_eq!(s.scroll_at(0, 2200).y, 700.0);
        assert_eq!(s.scroll_at(0, 9000).y, 300.0);
        assert_eq!(s.page_at(999), Some(0));
        assert_eq!(s.page_at(4999), Some(0));
        assert_eq!(s.page_at(5000), Some(1));
    }
}
