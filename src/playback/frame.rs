//! "What is on screen at time t": a pure function over indexes built once per session.
//!
//! [`FrameIndex::new`] sorts a session's events into per-page tracks (pointer samples, clicks,
//! scroll offsets, viewport sizes, field states, focus) once. [`FrameIndex::frame_at`] then answers
//! for any instant with binary searches only: O(log n) plus the size of what it returns (the
//! trail and the recent clicks), never a replay from the start of the session.

use std::ops::Range;

use crate::model::{
    ClickKind, EventKind, PagePos, PointerType, ScrollOffset, Session, SizePx, ViewportPos,
};

/// How long a click stays visible after it happened, ms (the "~1.5 s").
pub const CLICK_VISIBLE_MS: i64 = 1_500;
/// At most this many clicks are shown at once (Clarity's `MaxClicksDisplayed`).
pub const MAX_CLICKS_SHOWN: usize = 10;
/// Default cursor trail length, ms (rrweb's `mouseTail.duration`).
pub const DEFAULT_TRAIL_MS: i64 = 500;
/// Two pointer samples closer than this are joined by a straight line when the cursor is drawn
/// between them; a longer gap means the pointer rested (rrweb samples a moving mouse every
/// 50 ms), so the cursor holds its last position until the next sample.
pub const POINTER_INTERPOLATE_MAX_GAP_MS: i64 = 200;
/// Two scroll samples closer than this are interpolated, so a recorded scroll plays smoothly
/// (rrweb throttles scroll events to one per 100 ms).
pub const SCROLL_INTERPOLATE_MAX_GAP_MS: i64 = 250;

/// How a click is shown in the replay, from the frustration signals it belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClickMarkKind {
    /// An ordinary click.
    #[default]
    Normal,
    /// Part of a rage-click burst.
    Rage,
    /// Nothing on the page reacted.
    Dead,
    /// A JavaScript error followed.
    Error,
}

/// A span of time on one page view during which clicks take a [`ClickMarkKind`] (built from the
/// session's signals by the caller, so this module does not depend on the detectors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClickAnnotation {
    /// Page view index.
    pub page: u32,
    /// First click of the signal, epoch ms.
    pub start_ms: i64,
    /// Last click of the signal, epoch ms.
    pub end_ms: i64,
    /// How the clicks in the span are shown.
    pub kind: ClickMarkKind,
}

/// One pointer sample: a move, or the position of a click or tap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointerSample {
    /// When, epoch ms.
    pub timestamp_ms: i64,
    /// Where, page coordinates.
    pub pos_in_page: PagePos,
    /// Mouse, pen or touch.
    pub pointer: PointerType,
}

/// A recorded click, as the replay shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClickMark {
    /// When, epoch ms.
    pub timestamp_ms: i64,
    /// Where, page coordinates.
    pub pos_in_page: PagePos,
    /// Where, viewport coordinates.
    pub pos_in_viewport: ViewportPos,
    /// Click, double click, context menu, touch start or end.
    pub click: ClickKind,
    /// Mouse, pen or touch.
    pub pointer: PointerType,
    /// Normal, rage, dead or error.
    pub mark: ClickMarkKind,
    /// Index into the session's targets, when known.
    pub target: Option<u32>,
    /// Index of the event in the session.
    pub event_index: usize,
}

/// The state of one form field at an instant (the value itself is never shown, only its length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldState {
    /// Index into the session's targets (`None` when the recording did not name the field).
    pub target: Option<u32>,
    /// Characters in the field.
    pub value_len: u32,
    /// For checkboxes and radio buttons.
    pub checked: Option<bool>,
    /// When the field last changed, epoch ms.
    pub changed_at_ms: i64,
}

/// Where the cursor is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cursor {
    /// Page coordinates, following the page's scroll since the last sample (a resting mouse
    /// stays put on the screen while the page scrolls under it).
    pub pos_in_page: PagePos,
    /// Mouse, pen or touch.
    pub pointer: PointerType,
    /// Time since the last pointer sample, ms (touch points fade after a lift).
    pub since_sample_ms: i64,
}

/// Everything the replay draws at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame<'a> {
    /// The instant, epoch ms.
    pub timestamp_ms: i64,
    /// Page view index shown (None for a session without page views).
    pub page: Option<usize>,
    /// The document scroll offset.
    pub scroll: ScrollOffset,
    /// The viewport size.
    pub viewport: SizePx,
    /// The cursor, once the pointer has been seen on this page.
    pub cursor: Option<Cursor>,
    /// Pointer samples of the trail, oldest first (the cursor is its newest end).
    pub trail: &'a [PointerSample],
    /// Clicks of the last [`CLICK_VISIBLE_MS`], oldest first, at most [`MAX_CLICKS_SHOWN`].
    pub clicks: &'a [ClickMark],
    /// Form fields typed into on this page so far, with their current state.
    pub fields: Vec<FieldState>,
    /// The focused element, when known.
    pub focused: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct PageTracks {
    pointer: Vec<PointerSample>,
    clicks: Vec<ClickMark>,
    /// `(timestamp_ms, offset)`, starting with the page's entry at zero.
    scroll: Vec<(i64, ScrollOffset)>,
    /// `(timestamp_ms, size)`, starting with the page's entry viewport.
    viewport: Vec<(i64, SizePx)>,
    /// Per field: its changes in time order.
    fields: Vec<(Option<u32>, Vec<FieldState>)>,
    /// `(timestamp_ms, focused target)`.
    focus: Vec<(i64, Option<u32>)>,
}

/// Indexes over one session, built once, answering [`FrameIndex::frame_at`] in O(log n).
#[derive(Clone, Debug, Default)]
pub struct FrameIndex {
    pages: Vec<PageTracks>,
    /// `(timestamp_ms, page)`: which page view is on screen from when.
    page_switches: Vec<(i64, usize)>,
    /// Timestamps of all events, in session order (for the event list).
    event_times: Vec<i64>,
    /// Timestamps of the events worth stepping to (clicks, page loads, input, errors, custom).
    notable: Vec<i64>,
}

fn last_at<T>(items: &[(i64, T)], timestamp_ms: i64) -> Option<usize> {
    items
        .partition_point(|(t, _)| *t <= timestamp_ms)
        .checked_sub(1)
}

fn lerp(a: f32, b: f32, f: f32) -> f32 {
    a + (b - a) * f
}

impl FrameIndex {
    /// Builds the indexes of `session`; `annotations` mark clicks that belong to signals.
    #[must_use]
    pub fn new(session: &Session, annotations: &[ClickAnnotation]) -> Self {
        let mut pages: Vec<PageTracks> = session
            .pages
            .iter()
            .map(|p| PageTracks {
                scroll: vec![(p.entered_at_ms, ScrollOffset::default())],
                viewport: vec![(p.entered_at_ms, p.viewport)],
                ..PageTracks::default()
            })
            .collect();
        let mut entries: Vec<(i64, usize)> = session
            .pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.entered_at_ms, i))
            .collect();
        entries.sort_by_key(|(t, _)| *t);
        let mut next_entry = entries.iter().peekable();
        let mut switches: Vec<(i64, usize)> = Vec::with_capacity(entries.len());
        let mut current_page: Option<usize> = None;
        let mut event_times = Vec::with_capacity(session.events.len());
        let mut notable = Vec::new();
        let mut last_input: Option<i64> = None;
        for (event_index, event) in session.events.iter().enumerate() {
            let t = event.timestamp_ms;
            event_times.push(t);
            while let Some(&&(entered, p)) = next_entry.peek() {
                if entered > t {
                    break;
                }
                switches.push((entered, p));
                current_page = Some(p);
                next_entry.next();
            }
            let page = event.page as usize;
            let Some(tracks) = pages.get_mut(page) else {
                continue;
            };
            if event.kind.is_user_activity() && current_page != Some(page) {
                // The visitor is active in another tab or window: it is the one on screen.
                switches.push((t, page));
                current_page = Some(page);
            }
            match &event.kind {
                EventKind::PointerMove {
                    pos_in_page,
                    pointer,
                } => tracks.pointer.push(PointerSample {
                    timestamp_ms: t,
                    pos_in_page: *pos_in_page,
                    pointer: *pointer,
                }),
                EventKind::Click {
                    pos_in_page,
                    pos_in_viewport,
                    kind,
                    pointer,
                    target,
                } => {
                    tracks.pointer.push(PointerSample {
                        timestamp_ms: t,
                        pos_in_page: *pos_in_page,
                        pointer: *pointer,
                    });
                    let mark = annotations
                        .iter()
                        .find(|a| a.page == event.page && (a.start_ms..=a.end_ms).contains(&t))
                        .map_or(ClickMarkKind::Normal, |a| a.kind);
                    tracks.clicks.push(ClickMark {
                        timestamp_ms: t,
                        pos_in_page: *pos_in_page,
                        pos_in_viewport: *pos_in_viewport,
                        click: *kind,
                        pointer: *pointer,
                        mark,
                        target: *target,
                        event_index,
                    });
                    if kind.counts_as_click() || *kind == ClickKind::TouchEnd {
                        notable.push(t);
                    }
                }
                EventKind::Scroll { offset } => tracks.scroll.push((t, *offset)),
                EventKind::Resize { viewport } => tracks.viewport.push((t, *viewport)),
                EventKind::Input {
                    target,
                    value_len,
                    checked,
                    ..
                } => {
                    let state = FieldState {
                        target: *target,
                        value_len: *value_len,
                        checked: *checked,
                        changed_at_ms: t,
                    };
                    match tracks.fields.iter_mut().find(|(f, _)| f == target) {
                        Some((_, states)) => states.push(state),
                        None => tracks.fields.push((*target, vec![state])),
                    }
                    // One stop per burst of typing, not per keystroke.
                    if last_input.is_none_or(|last| t - last > 2_000) {
                        notable.push(t);
                    }
                    last_input = Some(t);
                }
                EventKind::Focus { target } => tracks.focus.push((t, *target)),
                EventKind::Blur { .. } => tracks.focus.push((t, None)),
                EventKind::Error { .. }
                | EventKind::Custom { .. }
                | EventKind::NetworkError { .. }
                | EventKind::FieldError { .. }
                | EventKind::FormSubmit { .. } => notable.push(t),
                EventKind::ElementScroll { .. }
                | EventKind::DomChange
                | EventKind::FormField { .. }
                | EventKind::FieldErrorCleared { .. }
                | EventKind::PageStructure { .. }
                | EventKind::Experiment { .. } => {}
            }
        }
        notable.extend(session.pages.iter().map(|p| p.entered_at_ms));
        notable.sort_unstable();
        notable.dedup();
        switches.extend(next_entry.copied());
        switches.dedup_by(|later, earlier| later.1 == earlier.1);
        for tracks in &mut pages {
            // Recordings are in time order; a stable sort keeps equal timestamps in file order.
            tracks.scroll.sort_by_key(|(t, _)| *t);
            tracks.viewport.sort_by_key(|(t, _)| *t);
        }
        Self {
            pages,
            page_switches: switches,
            event_times,
            notable,
        }
    }

    /// The page view on screen at `timestamp_ms` (the first one before any was entered).
    #[must_use]
    pub fn page_at(&self, timestamp_ms: i64) -> Option<usize> {
        last_at(&self.page_switches, timestamp_ms)
            .and_then(|i| self.page_switches.get(i))
            .or(self.page_switches.first())
            .map(|(_, p)| *p)
    }

    /// Index of the last event at or before `timestamp_ms` (for highlighting the event list).
    #[must_use]
    pub fn event_at(&self, timestamp_ms: i64) -> Option<usize> {
        self.event_times
            .partition_point(|t| *t <= timestamp_ms)
            .checked_sub(1)
    }

    /// The first notable event (click, page load, typing, error, custom event) after
    /// `timestamp_ms`.
    #[must_use]
    pub fn next_notable(&self, timestamp_ms: i64) -> Option<i64> {
        let i = self.notable.partition_point(|t| *t <= timestamp_ms);
        self.notable.get(i).copied()
    }

    /// The last notable event before `timestamp_ms` (strictly, with a small margin so that
    /// stepping back from an event reaches the one before it).
    #[must_use]
    pub fn previous_notable(&self, timestamp_ms: i64) -> Option<i64> {
        let i = self.notable.partition_point(|t| *t < timestamp_ms - 250);
        i.checked_sub(1).and_then(|i| self.notable.get(i)).copied()
    }

    /// The document scroll offset of `page` at `timestamp_ms`, interpolated between samples
    /// closer than [`SCROLL_INTERPOLATE_MAX_GAP_MS`].
    #[must_use]
    pub fn scroll_at(&self, page: usize, timestamp_ms: i64) -> ScrollOffset {
        let Some(track) = self.pages.get(page).map(|p| &p.scroll) else {
            return ScrollOffset::default();
        };
        let Some(i) = last_at(track, timestamp_ms) else {
            return track.first().map(|(_, s)| *s).unwrap_or_default();
        };
        let (t0, s0) = track[i];
        match track.get(i + 1) {
            Some(&(t1, s1)) if t1 > t0 && t1 - t0 <= SCROLL_INTERPOLATE_MAX_GAP_MS => {
                let f = (timestamp_ms - t0) as f32 / (t1 - t0) as f32;
                ScrollOffset {
                    x: lerp(s0.x, s1.x, f),
                    y: lerp(s0.y, s1.y, f),
                }
            }
            _ => s0,
        }
    }

    fn cursor_at(&self, tracks: &PageTracks, page: usize, timestamp_ms: i64) -> Option<Cursor> {
        let track = &tracks.pointer;
        let i = track
            .partition_point(|s| s.timestamp_ms <= timestamp_ms)
            .checked_sub(1)?;
        let a = track[i];
        let since_sample_ms = timestamp_ms - a.timestamp_ms;
        let pos_in_page = match track.get(i + 1) {
            Some(b)
                if b.timestamp_ms > a.timestamp_ms
                    && b.timestamp_ms - a.timestamp_ms <= POINTER_INTERPOLATE_MAX_GAP_MS =>
            {
                let f = since_sample_ms as f32 / (b.timestamp_ms - a.timestamp_ms) as f32;
                PagePos {
                    x: lerp(a.pos_in_page.x, b.pos_in_page.x, f),
                    y: lerp(a.pos_in_page.y, b.pos_in_page.y, f),
                }
            }
            _ if a.pointer == PointerType::Touch => a.pos_in_page,
            _ => {
                // A resting mouse stays at its place on the screen while the page scrolls.
                let then = self.scroll_at(page, a.timestamp_ms);
                let now = self.scroll_at(page, timestamp_ms);
                PagePos {
                    x: a.pos_in_page.x + now.x - then.x,
                    y: a.pos_in_page.y + now.y - then.y,
                }
            }
        };
        Some(Cursor {
            pos_in_page,
            pointer: a.pointer,
            since_sample_ms,
        })
    }

    /// Everything on screen at `timestamp_ms`, with a cursor trail of the last `trail_ms`.
    #[must_use]
    pub fn frame_at(&self, timestamp_ms: i64, trail_ms: i64) -> Frame<'_> {
        let Some((page, tracks)) = self
            .page_at(timestamp_ms)
            .and_then(|p| self.pages.get(p).map(|t| (p, t)))
        else {
            return Frame {
                timestamp_ms,
                page: None,
                scroll: ScrollOffset::default(),
                viewport: SizePx::default(),
                cursor: None,
                trail: &[],
                clicks: &[],
                fields: Vec::new(),
                focused: None,
            };
        };
        let viewport = last_at(&tracks.viewport, timestamp_ms)
            .or(if tracks.viewport.is_empty() {
                None
            } else {
                Some(0)
            })
            .map(|i| tracks.viewport[i].1)
            .unwrap_or_default();
        let trail = Self::window(
            &tracks.pointer,
            |s| s.timestamp_ms,
            timestamp_ms - trail_ms.max(0),
            timestamp_ms,
        );
        let mut clicks = Self::window(
            &tracks.clicks,
            |c| c.timestamp_ms,
            timestamp_ms - CLICK_VISIBLE_MS,
            timestamp_ms,
        );
        if clicks.len() > MAX_CLICKS_SHOWN {
            clicks.start = clicks.end - MAX_CLICKS_SHOWN;
        }
        let fields = tracks
            .fields
            .iter()
            .filter_map(|(_, states)| {
                let i = states
                    .partition_point(|s| s.changed_at_ms <= timestamp_ms)
                    .checked_sub(1)?;
                states.get(i).copied()
            })
            .collect();
        let focused = last_at(&tracks.focus, timestamp_ms).and_then(|i| tracks.focus[i].1);
        Frame {
            timestamp_ms,
            page: Some(page),
            scroll: self.scroll_at(page, timestamp_ms),
            viewport,
            cursor: self.cursor_at(tracks, page, timestamp_ms),
            trail: &tracks.pointer[trail],
            clicks: &tracks.clicks[clicks],
            fields,
            focused,
        }
    }

    /// The index range of `items` (sorted by `time`) with `from < time <= to`.
    fn window<T>(items: &[T], time: impl Fn(&T) -> i64, from: i64, to: i64) -> Range<usize> {
        let start = items.partition_point(|x| time(x) <= from);
        let end = items.partition_point(|x| time(x) <= to);
        start..end.max(start)
    }

    /// All clicks of a page view, in time order (for markers on the timeline).
    #[must_use]
    pub fn clicks(&self, page: usize) -> &[ClickMark] {
        self.pages.get(page).map_or(&[], |p| &p.clicks)
    }

    /// `(from, to, page)` spans of the session during which each page view is on screen.
    #[must_use]
    pub fn page_spans(&self, end_ms: i64) -> Vec<(i64, i64, usize)> {
        self.page_switches
            .iter()
            .enumerate()
            .map(|(i, &(t, p))| {
                let to = self.page_switches.get(i + 1).map_or(end_ms, |(n, _)| *n);
                (t, to.max(t), p)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, PageView};

    fn ev(t: i64, page: u32, kind: EventKind) -> Event {
        Event {
            timestamp_ms: t,
            page,
            kind,
        }
    }

    fn mv(t: i64, page: u32, x: f32, y: f32) -> Event {
        ev(
            t,
            page,
            EventKind::PointerMove {
                pos_in_page: PagePos { x, y },
                pointer: PointerType::Mouse,
            },
        )
    }

    fn click(t: i64, page: u32, x: f32, y: f32) -> Event {
        ev(
            t,
            page,
            EventKind::Click {
                pos_in_page: PagePos { x, y },
                pos_in_viewport: ViewportPos { x, y },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target: None,
            },
        )
    }

    fn scroll(t: i64, page: u32, y: f32) -> Event {
        ev(
            t,
            page,
            EventKind::Scroll {
                offset: ScrollOffset { x: 0.0, y },
            },
        )
    }

    /// Two page views: `/a` from 0 to 10 s (1440×900, resized at 5 s), `/b` from 10 s.
    fn session() -> Session {
        let page = |url: &str, from: i64, to: i64| PageView {
            url: url.to_owned(),
            entered_at_ms: from,
            left_at_ms: to,
            viewport: SizePx {
                width: 1440,
                height: 900,
            },
            ..PageView::default()
        };
        Session {
            session_id: "f".to_owned(),
            started_at_ms: 0,
            duration_ms: 20_000,
            pages: vec![page("/a", 0, 10_000), page("/b", 10_000, 20_000)],
            events: vec![
                mv(1_000, 0, 100.0, 100.0),
                mv(1_050, 0, 200.0, 300.0),
                scroll(2_000, 0, 100.0),
                scroll(2_100, 0, 300.0),
                click(3_000, 0, 50.0, 400.0),
                click(3_400, 0, 52.0, 401.0),
                ev(4_000, 0, EventKind::Focus { target: Some(1) }),
                ev(
                    4_100,
                    0,
                    EventKind::Input {
                        target: Some(1),
                        value_len: 1,
                        value: None,
                        checked: None,
                    },
                ),
                ev(
                    4_300,
                    0,
                    EventKind::Input {
                        target: Some(1),
                        value_len: 2,
                        value: None,
                        checked: None,
                    },
                ),
                ev(
                    5_000,
                    0,
                    EventKind::Resize {
                        viewport: SizePx {
                            width: 800,
                            height: 600,
                        },
                    },
                ),
                mv(11_000, 1, 10.0, 10.0),
                ev(
                    12_000,
                    1,
                    EventKind::Error {
                        message: "boom".to_owned(),
                    },
                ),
            ],
            ..Session::default()
        }
    }

    #[test]
    fn pages_switch_at_entry() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.frame_at(-5, 500).page, Some(0));
        assert_eq!(index.frame_at(9_999, 500).page, Some(0));
        assert_eq!(index.frame_at(10_000, 500).page, Some(1));
        assert_eq!(
            index.page_spans(20_000),
            vec![(0, 10_000, 0), (10_000, 20_000, 1)]
        );
    }

    #[test]
    fn cursor_is_interpolated_between_close_samples_and_held_after() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.frame_at(999, 500).cursor, None);
        let c = index.frame_at(1_025, 500).cursor.unwrap();
        assert_eq!(c.pos_in_page, PagePos { x: 150.0, y: 200.0 });
        let c = index.frame_at(1_500, 500).cursor.unwrap();
        assert_eq!(c.pos_in_page, PagePos { x: 200.0, y: 300.0 });
        assert_eq!(c.since_sample_ms, 450);
        // The page then scrolls by 300 px under the resting mouse, which moves with it in page
        // coordinates, until the click at 3 s puts it at the click.
        let c = index.frame_at(2_500, 500).cursor.unwrap();
        assert_eq!(c.pos_in_page, PagePos { x: 200.0, y: 600.0 });
        let c = index.frame_at(3_000, 500).cursor.unwrap();
        assert_eq!(c.pos_in_page, PagePos { x: 50.0, y: 400.0 });
        // A new page starts without a cursor until the pointer is seen there.
        assert_eq!(index.frame_at(10_500, 500).cursor, None);
    }

    #[test]
    fn scroll_is_smooth_between_close_samples() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.frame_at(1_999, 500).scroll.y, 0.0);
        assert_eq!(index.frame_at(2_000, 500).scroll.y, 100.0);
        assert_eq!(index.frame_at(2_050, 500).scroll.y, 200.0);
        assert_eq!(index.frame_at(2_100, 500).scroll.y, 300.0);
        assert_eq!(index.frame_at(9_000, 500).scroll.y, 300.0);
        // Page /b starts at the top.
        assert_eq!(index.frame_at(10_001, 500).scroll.y, 0.0);
    }

    #[test]
    fn trail_covers_the_last_n_ms() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.frame_at(1_060, 500).trail.len(), 2);
        assert_eq!(index.frame_at(1_060, 30).trail.len(), 1);
        assert_eq!(index.frame_at(1_600, 500).trail.len(), 0);
        assert_eq!(index.frame_at(1_060, 0).trail.len(), 0);
    }

    #[test]
    fn clicks_show_for_a_while_with_their_signal_kind() {
        let rage = ClickAnnotation {
            page: 0,
            start_ms: 3_000,
            end_ms: 3_400,
            kind: ClickMarkKind::Rage,
        };
        let index = FrameIndex::new(&session(), &[rage]);
        assert!(index.frame_at(2_999, 500).clicks.is_empty());
        let f = index.frame_at(3_500, 500);
        assert_eq!(f.clicks.len(), 2);
        assert!(f.clicks.iter().all(|c| c.mark == ClickMarkKind::Rage));
        assert_eq!(index.frame_at(4_600, 500).clicks.len(), 1);
        assert!(index.frame_at(4_901, 500).clicks.is_empty());
        assert_eq!(index.clicks(0).len(), 2);
    }

    #[test]
    fn fields_show_length_and_focus() {
        let index = FrameIndex::new(&session(), &[]);
        assert!(index.frame_at(4_050, 500).fields.is_empty());
        assert_eq!(index.frame_at(4_050, 500).focused, Some(1));
        let f = index.frame_at(4_200, 500);
        assert_eq!(f.fields.len(), 1);
        assert_eq!(f.fields[0].value_len, 1);
        assert_eq!(index.frame_at(4_300, 500).fields[0].value_len, 2);
    }

    #[test]
    fn viewport_follows_resizes() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.frame_at(4_999, 500).viewport.width, 1440);
        assert_eq!(index.frame_at(5_000, 500).viewport.width, 800);
        assert_eq!(index.frame_at(10_000, 500).viewport.width, 1440);
    }

    #[test]
    fn steps_between_notable_events() {
        let index = FrameIndex::new(&session(), &[]);
        assert_eq!(index.next_notable(0), Some(3_000));
        assert_eq!(index.next_notable(3_000), Some(3_400));
        assert_eq!(index.next_notable(3_400), Some(4_100));
        assert_eq!(index.next_notable(4_100), Some(10_000));
        assert_eq!(index.next_notable(10_000), Some(12_000));
        assert_eq!(index.next_notable(12_000), None);
        assert_eq!(index.previous_notable(12_000), Some(10_000));
        assert_eq!(index.previous_notable(3_000), Some(0));
        assert_eq!(index.event_at(3_200), Some(4));
        assert_eq!(index.event_at(0), None);
    }

    #[test]
    fn activity_in_another_tab_brings_it_to_the_front() {
        let mut s = session();
        s.pages[1].tab = 1;
        s.events.push(mv(13_000, 0, 5.0, 5.0));
        s.events.push(ev(14_000, 1, EventKind::DomChange));
        let index = FrameIndex::new(&s, &[]);
        assert_eq!(index.frame_at(12_999, 500).page, Some(1));
        assert_eq!(index.frame_at(13_000, 500).page, Some(0));
        // DOM changes in a background tab do not bring it forward.
        assert_eq!(index.frame_at(14_500, 500).page, Some(0));
    }

    #[test]
    fn empty_session_has_an_empty_frame() {
        let index = FrameIndex::new(&Session::default(), &[]);
        let f = index.frame_at(0, 500);
        assert_eq!(f.page, None);
        assert!(f.trail.is_empty());
    }
}
