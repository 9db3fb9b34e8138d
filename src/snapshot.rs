//! Pages as the visitor saw them: a page view's DOM at a moment of a session, rebuilt from the
//! recording the session was imported from (`format::rrweb::html`) and rendered with headless
//! Chromium (`render::chromium`). `sessionlens snapshot` and the replay's "Render this moment"
//! both go through here.
//!
//! Orchestration: may use every core layer (`model` … `store`), never `cli` or `ui`.

use std::path::Path;

use crate::format::FormatError;
use crate::format::rrweb::html::{PageAt, Recording, SETTLE_MS};
use crate::model::{Limits, Session};
use crate::playback::FrameIndex;
use crate::render::chromium::{Access, Chromium, ChromiumError};
use crate::store::{Store, StoreError};

/// Why a moment could not be rebuilt or rendered.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading the library failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The recording could not be read.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Chromium could not render the page.
    #[error(transparent)]
    Chromium(#[from] ChromiumError),
    /// The session was not imported from a recording file (a native or simulated session).
    #[error(
        "session {0} has no recording file in the library (native and simulated sessions carry no DOM to rebuild)"
    )]
    NoRecording(String),
    /// The moment is outside the session.
    #[error("{at} is after the end of session {session_id} ({duration})")]
    AfterEnd {
        /// The session.
        session_id: String,
        /// The moment asked for, `MM:SS`.
        at: String,
        /// The session's length, `MM:SS`.
        duration: String,
    },
    /// No page view is on screen then.
    #[error("session {0} shows no page at that moment")]
    NoPage(String),
    /// The recording has no DOM snapshot of that page view by then.
    #[error("the recording {file} has no DOM snapshot of {url} by {at}")]
    NoSnapshot {
        /// The recording.
        file: String,
        /// The page view's URL.
        url: String,
        /// The moment, `MM:SS`.
        at: String,
    },
}

/// `MM:SS` (or `H:MM:SS`) of ms from the session start.
#[must_use]
pub fn format_offset(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// A page view's DOM at a moment.
#[derive(Clone, Debug)]
pub struct PageMoment {
    /// The session.
    pub session_id: String,
    /// The page view (index into the session's pages).
    pub page_index: usize,
    /// The page view's URL (as recorded, with any fragment).
    pub page_url: String,
    /// The layout width to render at (the page view's viewport width), CSS px.
    pub layout_width: u32,
    /// The moment, ms from the session start.
    pub offset_ms: i64,
    /// The session's start, epoch ms.
    pub session_started_ms: i64,
    /// The rebuilt document.
    pub page: PageAt,
}

/// The moment a page view is drawn at, epoch ms: [`SETTLE_MS`] after its entry, or just before
/// the next page view of its tab when that comes sooner; and the latest moment a late
/// snapshot of it may come from (its end).
#[must_use]
pub fn entry_moment(session: &Session, page_index: usize) -> Option<(i64, i64)> {
    let page = session.pages.get(page_index)?;
    let next = session
        .pages
        .iter()
        .filter(|p| p.tab == page.tab && p.entered_at_ms > page.entered_at_ms)
        .map(|p| p.entered_at_ms)
        .min();
    let at = match next {
        Some(next) => (page.entered_at_ms + SETTLE_MS).min(next - 1),
        None => page.entered_at_ms + SETTLE_MS,
    }
    .max(page.entered_at_ms);
    let until = next.map_or(page.left_at_ms, |n| n - 1).max(at);
    Some((at, until))
}

/// Reads the recording a session was imported from.
pub fn read_recording(file: &str, limits: &Limits) -> Result<Recording, SnapshotError> {
    let path = Path::new(file);
    let bytes = if path.is_dir() {
        // A Sentry replay imported as a folder of segment files.
        let mut files = Vec::new();
        let entries = std::fs::read_dir(path).map_err(|error| FormatError::Io {
            file: file.to_owned(),
            error,
        })?;
        for entry in entries.flatten() {
            let segment = entry.path();
            if segment.is_file() {
                let bytes = crate::format::read_inflated(&segment, limits)?;
                if crate::format::is_sentry_segment(&bytes) {
                    files.push((segment.display().to_string(), bytes));
                }
            }
        }
        crate::format::rrweb::sentry::joined_events(&files, limits)?
    } else {
        let bytes = crate::format::read_inflated(path, limits)?;
        if crate::format::is_sentry_segment(&bytes) {
            crate::format::rrweb::sentry::joined_events(&[(file.to_owned(), bytes)], limits)?
        } else {
            bytes
        }
    };
    Ok(Recording::parse(&bytes, file, limits)?)
}

/// The page on screen at `offset_ms` from the start of session `session_id`, as the replay
/// shows it (the page view in front then), rebuilt from the session's recording: the DOM after
/// every change up to that moment.
pub fn page_at_moment(
    library: &dyn Store,
    session_id: &str,
    offset_ms: i64,
) -> Result<PageMoment, SnapshotError> {
    let session = library.load_session(session_id)?;
    if offset_ms > session.duration_ms {
        return Err(SnapshotError::AfterEnd {
            session_id: session_id.to_owned(),
            at: format_offset(offset_ms),
            duration: format_offset(session.duration_ms),
        });
    }
    let file = library
        .source_file(session_id)?
        .ok_or_else(|| SnapshotError::NoRecording(session_id.to_owned()))?;
    let recording = read_recording(&file, &Limits::default())?;
    page_in_recording(&recording, &file, &session, offset_ms)
}

/// [`page_at_moment`] with the session and its recording at hand.
pub fn page_in_recording(
    recording: &Recording,
    file: &str,
    session: &Session,
    offset_ms: i64,
) -> Result<PageMoment, SnapshotError> {
    let at_ms = session.started_at_ms + offset_ms.max(0);
    let page_index = FrameIndex::new(session, &[])
        .frame_at(at_ms, 0)
        .page
        .ok_or_else(|| SnapshotError::NoPage(session.session_id.clone()))?;
    let page = session
        .pages
        .get(page_index)
        .ok_or_else(|| SnapshotError::NoPage(session.session_id.clone()))?;
    // Before the page's first snapshot (just after its load), its first snapshot stands in.
    let until = entry_moment(session, page_index).map_or(at_ms, |(_, until)| until);
    let dom = recording
        .page_at(&session.session_id, page.tab, at_ms, until)
        .ok_or_else(|| SnapshotError::NoSnapshot {
            file: file.to_owned(),
            url: page.url.clone(),
            at: format_offset(offset_ms),
        })?;
    Ok(PageMoment {
        session_id: session.session_id.clone(),
        page_index,
        page_url: page.url.clone(),
        layout_width: if page.viewport.width > 0 {
            page.viewport.width
        } else {
            dom.viewport_width.max(1)
        },
        offset_ms: offset_ms.max(0),
        session_started_ms: session.started_at_ms,
        page: dom,
    })
}

/// Renders the page as page view `example` (`(session row id, page index)`, the first page
/// view of a variant in `sessionlens variants`) showed it at its entry, and keeps it in the
/// library as the screenshot of `filter`'s variant of `page`
/// ([`crate::model::variant::screenshot_key`]), where heatmaps and element maps of that
/// variant are drawn on it. Returns the PNG and its layout width.
pub fn render_variant_screenshot(
    library: &mut dyn Store,
    chromium: &Chromium,
    access: &Access,
    page: &str,
    filter: &crate::model::VariantFilter,
    example: (i64, u32),
) -> Result<(Vec<u8>, u32), SnapshotError> {
    let (rowid, page_index) = example;
    let session = library.load_session_by_rowid(rowid)?;
    let file = library
        .source_file(&session.session_id)?
        .ok_or_else(|| SnapshotError::NoRecording(session.session_id.clone()))?;
    let recording = read_recording(&file, &Limits::default())?;
    let (at_ms, _) = entry_moment(&session, page_index as usize)
        .ok_or_else(|| SnapshotError::NoPage(session.session_id.clone()))?;
    let moment = page_in_recording(&recording, &file, &session, at_ms - session.started_at_ms)?;
    let rendered = render_moment(chromium, &moment, access)?;
    let key = crate::model::variant::screenshot_key(page, filter);
    library.add_screenshot(&key, moment.layout_width, rendered.png.clone(), "snapshot")?;
    Ok((rendered.png, moment.layout_width))
}

/// Renders a page moment with Chromium: the PNG, its page height (CSS px) and the number of
/// files served from the assets folder.
pub fn render_moment(
    chromium: &Chromium,
    moment: &PageMoment,
    access: &Access,
) -> Result<crate::render::chromium::Rendered, SnapshotError> {
    Ok(chromium.render(
        &moment.page.html,
        moment.layout_width,
        &moment.page_url,
        access,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PageView, SizePx};

    #[test]
    fn a_page_view_is_drawn_half_a_second_in_or_before_the_next_one() {
        let page = |t: i64, tab: u32| PageView {
            url: "http://x.test/".to_owned(),
            entered_at_ms: t,
            left_at_ms: t + 10_000,
            viewport: SizePx {
                width: 800,
                height: 600,
            },
            tab,
            ..PageView::default()
        };
        let session = Session {
            pages: vec![
                page(1_000, 0),
                page(1_200, 0),
                page(1_300, 1),
                page(5_000, 0),
            ],
            ..Session::default()
        };
        assert_eq!(entry_moment(&session, 0), Some((1_199, 1_199)));
        assert_eq!(entry_moment(&session, 1), Some((1_700, 4_999)));
        assert_eq!(entry_moment(&session, 2), Some((1_800, 11_300)));
        assert_eq!(entry_moment(&session, 3), Some((5_500, 15_000)));
        assert_eq!(entry_moment(&session, 4), None);
        assert_eq!(format_offset(83_999), "01:23");
        assert_eq!(format_offset(3_723_000), "1:02:03");
    }

    /// An SPA: one load of /a, then a route change to /b at 3 s that only mutates the DOM.
    const SPA: &str = r#"[
      {"type":4,"timestamp":1000,"data":{"href":"https://spa.test/a","width":800,"height":600}},
      {"type":2,"timestamp":1002,"data":{"node":{"type":0,"id":1,"childNodes":[
        {"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
          {"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[
            {"type":2,"id":4,"tagName":"main","attributes":{},"childNodes":[{"type":3,"id":5,"textContent":"Route A"}]}]}]}]}}},
      {"type":3,"timestamp":3000,"data":{"source":0,"texts":[],"attributes":[],
        "removes":[{"parentId":4,"id":5}],
        "adds":[{"parentId":4,"nextId":null,"node":{"type":3,"id":6,"textContent":"Route B"}}]}},
      {"type":3,"timestamp":3200,"data":{"source":0,"texts":[],"attributes":[],"removes":[],
        "adds":[{"parentId":3,"nextId":null,"node":{"type":2,"id":7,"tagName":"aside","attributes":{},"childNodes":[]}},
                {"parentId":7,"nextId":null,"node":{"type":3,"id":8,"textContent":"Cart drawer"}}]}}
    ]"#;

    #[test]
    fn an_spa_route_page_view_is_drawn_from_the_mutated_dom() {
        let recording = Recording::parse(SPA.as_bytes(), "spa.json", &Limits::default()).unwrap();
        let view = |url: &str, from: i64, to: i64| PageView {
            url: url.to_owned(),
            entered_at_ms: from,
            left_at_ms: to,
            viewport: SizePx {
                width: 800,
                height: 600,
            },
            ..PageView::default()
        };
        let session = Session {
            session_id: "spa".to_owned(),
            started_at_ms: 1_000,
            duration_ms: 5_000,
            pages: vec![
                view("https://spa.test/a", 1_000, 3_000),
                view("https://spa.test/b", 3_000, 6_000),
            ],
            ..Session::default()
        };
        // Each page view at its entry: /a as loaded, /b from the DOM after the route change
        // and the drawer that came within the settle time.
        let drawn = |page_index| {
            let (at, until) = entry_moment(&session, page_index).unwrap();
            recording.page_at("spa", 0, at, until).unwrap()
        };
        let a = drawn(0);
        assert!(a.html.contains("Route A") && !a.html.contains("Route B"));
        let b = drawn(1);
        assert!(
            b.html
                .contains("<main>Route B</main><aside>Cart drawer</aside>"),
            "{}",
            b.html
        );
        assert_eq!(b.changes_applied, 2);
        // Any moment: the page view on screen then, with the changes up to then.
        let moment = page_in_recording(&recording, "spa.json", &session, 2_100).unwrap();
        assert_eq!(moment.page_index, 1);
        assert_eq!(moment.page_url, "https://spa.test/b");
        assert!(moment.page.html.contains("Route B") && !moment.page.html.contains("Cart drawer"));
        let early = page_in_recording(&recording, "spa.json", &session, 500).unwrap();
        assert!(early.page.html.contains("Route A"));
        assert_eq!(early.layout_width, 800);
    }
}
