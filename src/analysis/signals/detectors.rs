//! The detectors, one function per signal kind. Each walks the session's events once (or a
//! small list derived from them) and allocates only for what it finds.

use super::{Coverage, Signal, SignalKind, SignalSettings};
use crate::model::{
    ClickKind, ElementDescriptor, Event, EventKind, PagePos, PointerType, Session, ViewportPos,
};

/// A plain click (each press once, see [`ClickKind::counts_as_click`]).
#[derive(Clone, Copy, Debug)]
struct Click {
    timestamp_ms: i64,
    page: u32,
    pos_in_page: PagePos,
    pos_in_viewport: ViewportPos,
    pointer: PointerType,
    target: Option<u32>,
}

fn clicks(session: &Session) -> Vec<Click> {
    session
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                kind: ClickKind::Click,
                pointer,
                target,
            } => Some(Click {
                timestamp_ms: e.timestamp_ms,
                page: e.page,
                pos_in_page: *pos_in_page,
                pos_in_viewport: *pos_in_viewport,
                pointer: *pointer,
                target: *target,
            }),
            _ => None,
        })
        .collect()
}

fn selector(session: &Session, target: Option<u32>) -> Option<String> {
    session
        .target(target)
        .map(|d| d.selector.clone())
        .filter(|s| !s.is_empty())
}

/// Text-entry fields: `<textarea>` and `<input>` of a text-like type (or no type).
fn is_text_field(d: &ElementDescriptor) -> bool {
    match d.tag.as_str() {
        "textarea" => true,
        "input" => !matches!(
            d.input_type
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some(
                "checkbox"
                    | "radio"
                    | "submit"
                    | "button"
                    | "image"
                    | "reset"
                    | "file"
                    | "range"
                    | "color"
                    | "hidden"
            )
        ),
        _ => d.role.as_deref() == Some("textbox"),
    }
}

/// Search boxes are typed into and left by design; they never start a form abandonment.
fn is_search_field(d: &ElementDescriptor) -> bool {
    let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_ascii_lowercase();
    lower(&d.input_type) == "search"
        || matches!(lower(&d.name).as_str(), "q" | "query" | "search" | "s")
        || d.role.as_deref() == Some("searchbox")
}

/// Elements where a click that changes nothing is normal (Datadog excludes text-like inputs,
/// textarea, select; PostHog ignores text-editing surfaces).
fn is_field(d: &ElementDescriptor) -> bool {
    is_text_field(d) || matches!(d.tag.as_str(), "select" | "option")
}

/// A link that leaves the page (not `#…` or `javascript:`).
fn is_navigating_link(d: &ElementDescriptor) -> bool {
    d.href.as_deref().is_some_and(|h| {
        let h = h.trim();
        !h.is_empty() && !h.starts_with('#') && !h.to_ascii_lowercase().starts_with("javascript:")
    })
}

/// Buttons and submit inputs: a click on one after typing counts as submitting.
fn is_submit_like(d: &ElementDescriptor) -> bool {
    let input_type = d.input_type.as_deref().unwrap_or("").to_ascii_lowercase();
    match d.tag.as_str() {
        "button" => input_type != "reset",
        "input" => matches!(input_type.as_str(), "submit" | "image" | "button"),
        _ => d.role.as_deref() == Some("button"),
    }
}

fn manhattan(a: ViewportPos, b: ViewportPos) -> f32 {
    (a.x - b.x).abs() + (a.y - b.y).abs()
}

/// The click that caused the page change from page view `page` to the next one: the last click
/// on `page` at most `window_ms` before the next page view began.
fn navigating_click<'a>(
    clicks: &'a [Click],
    session: &Session,
    page: usize,
    window_ms: i64,
) -> Option<&'a Click> {
    let next = session.pages.get(page + 1)?;
    let page = u32::try_from(page).ok()?;
    let end = clicks.partition_point(|c| c.timestamp_ms <= next.entered_at_ms);
    clicks[..end]
        .iter()
        .rev()
        .take_while(|c| next.entered_at_ms - c.timestamp_ms <= window_ms)
        .find(|c| c.page == page)
}

fn ignored_for_rage(d: &ElementDescriptor, settings: &SignalSettings) -> bool {
    if d.classes
        .iter()
        .any(|c| c == "ph-no-rageclick" || c == "ph-no-capture")
    {
        return true;
    }
    if is_text_field(d) {
        return true;
    }
    let text = d.text.as_deref().unwrap_or("").trim().to_lowercase();
    !text.is_empty()
        && settings.rage_ignore_texts.iter().any(|word| {
            let word = word.to_lowercase();
            text == word || text.split_whitespace().any(|w| w == word)
        })
}

/// Rage clicks (PostHog's chain): each click is compared with the previous one only; it joins
/// the burst when it is on the same page, less than `rage_max_gap_ms` later and less than
/// `rage_max_distance_px` (Manhattan, viewport px) away, and, if asked, on the same element and
/// within `rage_max_span_ms` of the burst's first click. A burst of at least `rage_min_clicks`
/// gives one signal carrying all its clicks; its position is their centroid.
#[must_use]
pub fn rage_clicks(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    let clicks: Vec<Click> = clicks(session)
        .into_iter()
        .filter(|c| {
            session
                .target(c.target)
                .is_none_or(|d| !ignored_for_rage(d, settings))
        })
        .collect();
    let mut out = Vec::new();
    let mut burst: &[Click] = &[];
    let mut start = 0;
    for (i, click) in clicks.iter().enumerate() {
        let joins = i > 0
            && clicks.get(i - 1).is_some_and(|prev| {
                let first = &clicks[start];
                prev.page == click.page
                    && click.timestamp_ms - prev.timestamp_ms < settings.rage_max_gap_ms
                    && settings
                        .rage_max_distance_px
                        .is_none_or(|d| manhattan(prev.pos_in_viewport, click.pos_in_viewport) < d)
                    && (!settings.rage_same_target
                        || (click.target.is_some() && click.target == prev.target))
                    && settings
                        .rage_max_span_ms
                        .is_none_or(|span| click.timestamp_ms - first.timestamp_ms <= span)
            });
        if !joins {
            emit_rage(session, settings, burst, &mut out);
            start = i;
        }
        burst = &clicks[start..=i];
    }
    emit_rage(session, settings, burst, &mut out);
    out
}

fn emit_rage(session: &Session, settings: &SignalSettings, burst: &[Click], out: &mut Vec<Signal>) {
    let n = u32::try_from(burst.len()).unwrap_or(u32::MAX);
    let (Some(first), Some(last)) = (burst.first(), burst.last()) else {
        return;
    };
    if n < settings.rage_min_clicks.max(2) {
        return;
    }
    let (sx, sy) = burst.iter().fold((0.0f64, 0.0f64), |(x, y), c| {
        (
            x + f64::from(c.pos_in_page.x),
            y + f64::from(c.pos_in_page.y),
        )
    });
    let count = f64::from(n);
    let duration = last.timestamp_ms - first.timestamp_ms;
    out.push(Signal {
        kind: SignalKind::RageClick,
        page_index: first.page,
        start_ms: first.timestamp_ms,
        end_ms: last.timestamp_ms,
        pos_in_page: Some(PagePos {
            x: (sx / count) as f32,
            y: (sy / count) as f32,
        }),
        num_clicks: n,
        target: selector(session, first.target),
        severity: n as f32 / settings.rage_min_clicks.max(1) as f32,
        detail: format!("{n} clicks in {duration} ms"),
    });
}

/// Dead clicks (PostHog): a plain click after which, within `dead_mutation_ms`, the DOM did not
/// change, no input happened and no page view began, and within `dead_scroll_ms` nothing
/// scrolled. Never candidates: clicks on navigating links and on form fields, a click on the
/// same element as the previous click less than 1 s earlier, and clicks too close to the end of
/// the recording to be judged. A recording without any DOM-change event gives no dead clicks
/// and [`Coverage::Unknown`].
#[must_use]
pub fn dead_clicks(session: &Session, settings: &SignalSettings) -> (Vec<Signal>, Coverage) {
    dead_clicks_except(session, settings, &[])
}

/// [`dead_clicks`], skipping clicks inside the given `(page, start_ms, end_ms)` rage bursts.
pub(super) fn dead_clicks_except(
    session: &Session,
    settings: &SignalSettings,
    rage_spans: &[(u32, i64, i64)],
) -> (Vec<Signal>, Coverage) {
    if !session
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::DomChange))
    {
        return (Vec::new(), Coverage::Unknown);
    }
    let events = &session.events;
    let end_of_recording = session.ended_at_ms();
    let mut out = Vec::new();
    let mut previous: Option<(i64, Option<u32>)> = None;
    for (i, event) in events.iter().enumerate() {
        let EventKind::Click {
            pos_in_page,
            kind: ClickKind::Click,
            target,
            ..
        } = &event.kind
        else {
            continue;
        };
        let t = event.timestamp_ms;
        let repeat = previous
            .is_some_and(|(pt, ptarget)| t - pt < 1000 && target.is_some() && ptarget == *target);
        previous = Some((t, *target));
        if repeat
            || t + settings.dead_mutation_ms > end_of_recording
            || session
                .target(*target)
                .is_some_and(|d| is_navigating_link(d) || is_field(d))
            || rage_spans
                .iter()
                .any(|&(p, a, b)| p == event.page && (a..=b).contains(&t))
        {
            continue;
        }
        let next_page = session
            .pages
            .get(event.page as usize + 1)
            .map(|p| p.entered_at_ms);
        if next_page.is_some_and(|n| n <= t + settings.dead_mutation_ms) {
            continue;
        }
        let reacted = events
            .get(i + 1..)
            .unwrap_or(&[])
            .iter()
            .take_while(|e| e.timestamp_ms <= t + settings.dead_mutation_ms)
            .any(|e| match e.kind {
                EventKind::DomChange | EventKind::Input { .. } | EventKind::Resize { .. } => true,
                EventKind::Scroll { .. } | EventKind::ElementScroll { .. } => {
                    e.timestamp_ms <= t + settings.dead_scroll_ms
                }
                _ => false,
            });
        if reacted {
            continue;
        }
        out.push(Signal {
            kind: SignalKind::DeadClick,
            page_index: event.page,
            start_ms: t,
            end_ms: t,
            pos_in_page: Some(*pos_in_page),
            num_clicks: 1,
            target: selector(session, *target),
            severity: 1.0,
            detail: format!(
                "no DOM change, input or navigation within {} ms",
                settings.dead_mutation_ms
            ),
        });
    }
    (out, Coverage::Known)
}

/// Error clicks: a plain click followed by one or more JavaScript errors at most
/// `error_max_delay_ms` later (or up to `error_max_lead_ms` before it, for recorder timestamp
/// order). Each error belongs to the latest such click; one signal per click.
#[must_use]
pub fn error_clicks(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    let clicks = clicks(session);
    let mut per_click: Vec<(usize, u32, &str)> = Vec::new();
    for event in &session.events {
        let EventKind::Error { message } = &event.kind else {
            continue;
        };
        let t = event.timestamp_ms;
        let end = clicks.partition_point(|c| c.timestamp_ms <= t + settings.error_max_lead_ms);
        let Some(index) = end.checked_sub(1) else {
            continue;
        };
        let Some(click) = clicks.get(index) else {
            continue;
        };
        if t - click.timestamp_ms > settings.error_max_delay_ms || click.page != event.page {
            continue;
        }
        match per_click.last_mut() {
            Some((i, n, _)) if *i == index => *n += 1,
            _ => per_click.push((index, 1, message.as_str())),
        }
    }
    per_click
        .into_iter()
        .filter_map(|(index, n, message)| {
            let click = clicks.get(index)?;
            let message: String = message.chars().take(160).collect();
            Some(Signal {
                kind: SignalKind::ErrorClick,
                page_index: click.page,
                start_ms: click.timestamp_ms,
                end_ms: click.timestamp_ms,
                pos_in_page: Some(click.pos_in_page),
                num_clicks: 1,
                target: selector(session, click.target),
                severity: n as f32,
                detail: if n > 1 {
                    format!("{n} errors, first: {message}")
                } else {
                    message
                },
            })
        })
        .collect()
}

/// Thrashed cursor (our definition; no vendor publishes one): on one page view, mouse or pen
/// samples at most `thrash_max_sample_gap_ms` apart form movements; a *reversal* is two
/// consecutive movements, each at least `thrash_min_speed_px_per_s`, turning by more than 90°.
/// Reversals at most `thrash_max_reversal_gap_ms` apart form a run; a run is thrashing when some
/// `thrash_window_ms` of it holds `thrash_min_reversals` reversals and its net displacement is at
/// most `thrash_max_net_ratio` of its path. Position: where the run began.
#[must_use]
pub fn thrashed_cursors(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    // (timestamp_ms, page, pos_in_page) of every mouse or pen sample.
    let samples: Vec<(i64, u32, PagePos)> = session
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::PointerMove {
                pos_in_page,
                pointer,
            } if pointer != PointerType::Touch => Some((e.timestamp_ms, e.page, pos_in_page)),
            _ => None,
        })
        .collect();
    // A fast movement from sample i-1 to sample i, as (dx, dy).
    let fast = |i: usize| -> Option<(f32, f32)> {
        let (&(ta, pa, a), &(tb, pb, b)) = (samples.get(i.checked_sub(1)?)?, samples.get(i)?);
        let dt = tb - ta;
        if pa != pb || dt <= 0 || dt > settings.thrash_max_sample_gap_ms {
            return None;
        }
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let speed = (dx * dx + dy * dy).sqrt() * 1000.0 / dt as f32;
        (speed >= settings.thrash_min_speed_px_per_s).then_some((dx, dy))
    };
    // Reversal k at sample i: movements (i-1 → i) and (i → i+1) both fast and opposed.
    let mut reversals: Vec<usize> = Vec::new();
    for i in 1..samples.len().saturating_sub(1) {
        if let (Some((ax, ay)), Some((bx, by))) = (fast(i), fast(i + 1))
            && ax * bx + ay * by < 0.0
        {
            reversals.push(i);
        }
    }
    let mut out = Vec::new();
    let mut run_start = 0;
    for k in 0..=reversals.len() {
        let continues = k < reversals.len()
            && k > run_start
            && match (reversals.get(k - 1), reversals.get(k)) {
                (Some(&a), Some(&b)) => match (samples.get(a), samples.get(b)) {
                    (Some(sa), Some(sb)) => {
                        sa.1 == sb.1 && sb.0 - sa.0 <= settings.thrash_max_reversal_gap_ms
                    }
                    _ => false,
                },
                _ => false,
            };
        if continues {
            continue;
        }
        if k > run_start {
            let run = &reversals[run_start..k];
            if let Some(signal) = thrash_run(&samples, run, settings) {
                out.push(signal);
            }
        }
        run_start = k;
    }
    out
}

/// Judges one run of reversals (indices into `samples`, which are `(t, page, pos)`).
fn thrash_run(
    samples: &[(i64, u32, PagePos)],
    run: &[usize],
    settings: &SignalSettings,
) -> Option<Signal> {
    let need = usize::try_from(settings.thrash_min_reversals.max(1)).unwrap_or(usize::MAX);
    if run.len() < need {
        return None;
    }
    let time = |i: usize| samples.get(i).map_or(0, |s| s.0);
    // Some window of `thrash_window_ms` must hold `need` reversals.
    let dense = run
        .windows(need)
        .any(|w| time(w[need - 1]) - time(w[0]) <= settings.thrash_window_ms);
    if !dense {
        return None;
    }
    let mut first = run.first()?.checked_sub(1)?;
    let last = run.last()? + 1;
    // The run begins where the stroke into its first reversal began: walk back over contiguous
    // movements in the same direction (any speed).
    let step = |i: usize| -> Option<(f32, f32)> {
        let (&(ta, pa, a), &(tb, pb, b)) = (samples.get(i.checked_sub(1)?)?, samples.get(i)?);
        (pa == pb && tb - ta > 0 && tb - ta <= settings.thrash_max_sample_gap_ms)
            .then_some((b.x - a.x, b.y - a.y))
    };
    while let (Some((ax, ay)), Some((bx, by))) = (step(first), step(first + 1)) {
        if ax * bx + ay * by <= 0.0 {
            break;
        }
        first -= 1;
    }
    let path = samples.get(first..=last)?;
    let (&(start_ms, page, start_pos), &(end_ms, _, end_pos)) = (path.first()?, path.last()?);
    let length: f32 = path
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0].2, w[1].2);
            ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt()
        })
        .sum();
    let net = ((end_pos.x - start_pos.x).powi(2) + (end_pos.y - start_pos.y).powi(2)).sqrt();
    if length <= 0.0 || net / length > settings.thrash_max_net_ratio {
        return None;
    }
    Some(Signal {
        kind: SignalKind::ThrashedCursor,
        page_index: page,
        start_ms,
        end_ms,
        pos_in_page: Some(start_pos),
        num_clicks: 0,
        target: None,
        severity: run.len() as f32 / need as f32,
        detail: format!(
            "{} reversals over {} ms, {:.0} px path, {:.0} px net",
            run.len(),
            end_ms - start_ms,
            length,
            net
        ),
    })
}

/// Excessive scrolling: on one page view, the document scrolls in legs of at least
/// `scroll_min_travel_px` alternating up and down; a signal needs `scroll_min_reversals` direction
/// changes within `scroll_window_ms`. Direction changes further apart than the window end an
/// episode. Position: the pointer where the episode began, when known.
#[must_use]
pub fn excessive_scrolls(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    /// A monotone stretch of scrolling.
    #[derive(Clone, Copy, Debug)]
    struct Leg {
        start_ms: i64,
        end_ms: i64,
        /// Time of the extreme (the turning point at the leg's end).
        extreme_ms: i64,
    }
    let mut out = Vec::new();
    let travel = settings.scroll_min_travel_px.max(1.0);
    // The scroll, pointer and click events of each page view, in session order: one pass over
    // the events instead of one per page view (a session of thousands of page views made the
    // import spend most of its time here).
    let mut by_page: Vec<Vec<&Event>> = vec![Vec::new(); session.pages.len()];
    for event in &session.events {
        if matches!(
            event.kind,
            EventKind::Scroll { .. } | EventKind::PointerMove { .. } | EventKind::Click { .. }
        ) && let Some(list) = by_page.get_mut(event.page as usize)
        {
            list.push(event);
        }
    }
    for (page_index, (page, events)) in session.pages.iter().zip(&by_page).enumerate() {
        let Ok(page_u32) = u32::try_from(page_index) else {
            break;
        };
        let mut legs: Vec<Leg> = Vec::new();
        // Where the page view began: 0, or the scroll it was entered with (an SPA route change
        // keeps the document's scroll and records it at the entry), which is no movement.
        let mut anchor = 0.0f32;
        let mut extreme = 0.0f32;
        let mut dir = 0.0f32;
        let mut leg_start = None;
        let mut seen_scroll = false;
        let mut last_pointer: Option<PagePos> = None;
        let mut pointer_at_start: Option<PagePos> = None;
        let mut current = Leg {
            start_ms: page.entered_at_ms,
            end_ms: page.entered_at_ms,
            extreme_ms: page.entered_at_ms,
        };
        for event in events {
            let y = match event.kind {
                EventKind::Scroll { offset } => offset.y,
                EventKind::PointerMove { pos_in_page, .. } => {
                    last_pointer = Some(pos_in_page);
                    continue;
                }
                EventKind::Click { pos_in_page, .. } => {
                    last_pointer = Some(pos_in_page);
                    continue;
                }
                _ => continue,
            };
            let t = event.timestamp_ms;
            if !seen_scroll && t == page.entered_at_ms {
                anchor = y;
                continue;
            }
            if !seen_scroll {
                seen_scroll = true;
                pointer_at_start = last_pointer;
            }
            if dir == 0.0 {
                if (y - anchor).abs() >= travel {
                    dir = (y - anchor).signum();
                    extreme = y;
                    current = Leg {
                        start_ms: leg_start.unwrap_or(t),
                        end_ms: t,
                        extreme_ms: t,
                    };
                } else {
                    leg_start.get_or_insert(t);
                }
                continue;
            }
            if (y - extreme) * dir >= 0.0 {
                if y != extreme {
                    extreme = y;
                    current.extreme_ms = t;
                }
                current.end_ms = t;
            } else if (extreme - y).abs() >= travel {
                legs.push(current);
                dir = -dir;
                extreme = y;
                // The new leg began with the first event after the turning point.
                current = Leg {
                    start_ms: t,
                    end_ms: t,
                    extreme_ms: t,
                };
            }
        }
        if dir != 0.0 {
            legs.push(current);
        }
        // Direction changes sit between consecutive legs, at the extreme of the earlier one.
        let turns: Vec<i64> = legs.windows(2).map(|w| w[0].extreme_ms).collect();
        let need = usize::try_from(settings.scroll_min_reversals.max(1)).unwrap_or(usize::MAX);
        let mut first_turn = 0;
        for k in 0..=turns.len() {
            let continues = k < turns.len()
                && k > first_turn
                && turns[k] - turns[k - 1] <= settings.scroll_window_ms;
            if continues {
                continue;
            }
            let episode = &turns[first_turn..k];
            let dense = episode.len() >= need
                && episode
                    .windows(need)
                    .any(|w| w[need - 1] - w[0] <= settings.scroll_window_ms);
            if dense && let (Some(first_leg), Some(last_leg)) = (legs.get(first_turn), legs.get(k))
            {
                let pos = if first_turn == 0 {
                    pointer_at_start
                } else {
                    None
                };
                out.push(Signal {
                    kind: SignalKind::ExcessiveScroll,
                    page_index: page_u32,
                    start_ms: first_leg.start_ms,
                    end_ms: last_leg.end_ms,
                    pos_in_page: pos,
                    num_clicks: 0,
                    target: None,
                    severity: episode.len() as f32 / need as f32,
                    detail: format!(
                        "{} direction changes of at least {travel:.0} px in {} ms",
                        episode.len(),
                        last_leg.end_ms - first_leg.start_ms
                    ),
                });
            }
            first_turn = k;
        }
    }
    out
}

/// Quick back: page view `i` is left for the URL of page view `i - 1` (same tab, fragment
/// ignored, a different URL from it) at most `quick_back_max_dwell_ms` after it began. The
/// signal is placed on page view `i - 1`, at the click that led away when there was one (the
/// link that disappointed), and lasts until the visitor was back.
#[must_use]
pub fn quick_backs(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    let clicks = clicks(session);
    let mut out = Vec::new();
    for i in 1..session.pages.len().saturating_sub(1) {
        let (Some(before), Some(page), Some(after)) = (
            session.pages.get(i - 1),
            session.pages.get(i),
            session.pages.get(i + 1),
        ) else {
            continue;
        };
        let dwell = after.entered_at_ms - page.entered_at_ms;
        if before.tab != page.tab
            || after.tab != page.tab
            || before.url_without_fragment() != after.url_without_fragment()
            || page.url_without_fragment() == before.url_without_fragment()
            || dwell > settings.quick_back_max_dwell_ms
        {
            continue;
        }
        let click = navigating_click(&clicks, session, i - 1, settings.nav_click_window_ms);
        out.push(Signal {
            kind: SignalKind::QuickBack,
            page_index: u32::try_from(i - 1).unwrap_or(u32::MAX),
            start_ms: click.map_or(page.entered_at_ms, |c| c.timestamp_ms),
            end_ms: after.entered_at_ms,
            pos_in_page: click.map(|c| c.pos_in_page),
            num_clicks: u32::from(click.is_some()),
            target: click.and_then(|c| selector(session, c.target)),
            severity: (1.0 - dwell.max(0) as f32 / settings.quick_back_max_dwell_ms.max(1) as f32)
                .clamp(0.0, 1.0),
            detail: format!("back from {} after {dwell} ms", page.url),
        });
    }
    out
}

/// Form abandonment: on one page view, text was entered into at least one form field (text
/// inputs and textareas, search boxes excluded), and the page view ended (navigation or end of
/// the recording) with no click on a button or submit input after the first entry. Starts at
/// the first click on (or focus of) a field that got input; ends at the click that led away,
/// or when the page view ended.
#[must_use]
pub fn form_abandonments(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    #[derive(Default)]
    struct PageForm {
        /// (time, target) of the first text entry.
        first_input: Option<(i64, Option<u32>)>,
        fields: Vec<u32>,
        submitted: bool,
        first_focus: Vec<(u32, i64)>,
    }
    let mut pages: Vec<PageForm> = Vec::new();
    pages.resize_with(session.pages.len(), PageForm::default);
    for event in &session.events {
        let Some(form) = pages.get_mut(event.page as usize) else {
            continue;
        };
        match &event.kind {
            EventKind::Focus { target: Some(t) }
                if !form.first_focus.iter().any(|(f, _)| f == t) =>
            {
                form.first_focus.push((*t, event.timestamp_ms));
            }
            EventKind::Input {
                target, value_len, ..
            } => {
                let Some(d) = session.target(*target) else {
                    continue;
                };
                if !is_text_field(d) || is_search_field(d) || *value_len == 0 {
                    continue;
                }
                form.first_input
                    .get_or_insert((event.timestamp_ms, *target));
                if let Some(t) = target
                    && !form.fields.contains(t)
                {
                    form.fields.push(*t);
                }
            }
            EventKind::Click {
                kind: ClickKind::Click,
                target,
                ..
            } if form.first_input.is_some()
                && session.target(*target).is_some_and(is_submit_like) =>
            {
                form.submitted = true;
            }
            EventKind::Custom { name, .. }
                if form.first_input.is_some()
                    && crate::model::CONVERSION_EVENT_NAMES
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(name)) =>
            {
                form.submitted = true;
            }
            _ => {}
        }
    }
    let clicks = clicks(session);
    let mut out = Vec::new();
    for (index, form) in pages.iter().enumerate() {
        let (Some((input_ms, input_target)), false) = (form.first_input, form.submitted) else {
            continue;
        };
        let Some(page) = session.pages.get(index) else {
            continue;
        };
        let page_u32 = u32::try_from(index).unwrap_or(u32::MAX);
        // The first click on a field that got text, before the first entry.
        let entry_click = clicks.iter().find(|c| {
            c.page == page_u32
                && c.timestamp_ms <= input_ms
                && c.target.is_some_and(|t| form.fields.contains(&t))
        });
        let focus_ms = form
            .first_focus
            .iter()
            .filter(|(t, ms)| form.fields.contains(t) && *ms <= input_ms)
            .map(|&(_, ms)| ms)
            .min();
        let start_ms = entry_click
            .map(|c| c.timestamp_ms)
            .or(focus_ms)
            .unwrap_or(input_ms);
        let leave = navigating_click(&clicks, session, index, settings.nav_click_window_ms);
        let left_by_navigation = session.pages.get(index + 1).is_some();
        out.push(Signal {
            kind: SignalKind::FormAbandonment,
            page_index: page_u32,
            start_ms,
            end_ms: leave.map_or(page.left_at_ms, |c| c.timestamp_ms),
            pos_in_page: entry_click.map(|c| c.pos_in_page),
            num_clicks: 0,
            target: selector(session, entry_click.and_then(|c| c.target).or(input_target)),
            severity: form.fields.len() as f32,
            detail: format!(
                "{} field(s) filled, then {} without submitting",
                form.fields.len(),
                if left_by_navigation {
                    "left the page"
                } else {
                    "the recording ended"
                }
            ),
        });
    }
    out
}

/// Field hesitation: a text field focused for at least `hesitation_min_ms` without any input
/// (ending at the first input, the blur, or the end of the page view), or the same field
/// focused `hesitation_min_refocus` times on one page view.
#[must_use]
pub fn field_hesitations(session: &Session, settings: &SignalSettings) -> Vec<Signal> {
    let mut out = Vec::new();
    // (target, page, focus time) of the currently focused text field.
    let mut focused: Option<(u32, u32, i64)> = None;
    // (page, target, count, first focus) per field focused on the page.
    let mut focus_counts: Vec<(u32, u32, u32, i64)> = Vec::new();
    let close = |focused: &mut Option<(u32, u32, i64)>, at_ms: i64, out: &mut Vec<Signal>| {
        if let Some((target, page, since)) = focused.take()
            && at_ms - since >= settings.hesitation_min_ms
        {
            out.push(Signal {
                kind: SignalKind::FieldHesitation,
                page_index: page,
                start_ms: since,
                end_ms: at_ms,
                pos_in_page: None,
                num_clicks: 0,
                target: selector(session, Some(target)),
                severity: (at_ms - since) as f32 / settings.hesitation_min_ms.max(1) as f32,
                detail: format!("focused {} ms without typing", at_ms - since),
            });
        }
    };
    for event in &session.events {
        if let Some((_, page, _)) = focused
            && page != event.page
        {
            let left = session
                .pages
                .get(page as usize)
                .map_or(event.timestamp_ms, |p| p.left_at_ms);
            close(&mut focused, left, &mut out);
        }
        match &event.kind {
            EventKind::Focus { target: Some(t) } => {
                if !session.target(Some(*t)).is_some_and(is_text_field) {
                    continue;
                }
                close(&mut focused, event.timestamp_ms, &mut out);
                focused = Some((*t, event.page, event.timestamp_ms));
                match focus_counts
                    .iter_mut()
                    .find(|(p, target, _, _)| *p == event.page && target == t)
                {
                    Some(entry) => entry.2 += 1,
                    None => focus_counts.push((event.page, *t, 1, event.timestamp_ms)),
                }
            }
            // Typing started, or the field was left: no longer "focused without input".
            EventKind::Input { target, .. } | EventKind::Blur { target }
                if focused.is_some_and(|(t, _, _)| Some(t) == *target) =>
            {
                close(&mut focused, event.timestamp_ms, &mut out);
            }
            _ => {}
        }
    }
    if let Some((_, page, _)) = focused {
        let left = session
            .pages
            .get(page as usize)
            .map_or(session.ended_at_ms(), |p| p.left_at_ms);
        close(&mut focused, left, &mut out);
    }
    for (page, target, count, first) in focus_counts {
        if count >= settings.hesitation_min_refocus.max(2) {
            out.push(Signal {
                kind: SignalKind::FieldHesitation,
                page_index: page,
                start_ms: first,
                end_ms: first,
                pos_in_page: None,
                num_clicks: 0,
                target: selector(session, Some(target)),
                severity: count as f32 / settings.hesitation_min_refocus.max(1) as f32,
                detail: format!("focused {count} times"),
            });
        }
    }
    out
}

/// Mis-taps: a touch tap on a non-interactive element (or on none) followed, on the same page
/// and at most `mis_tap_max_delay_ms` later, by a tap on an interactive element at most
/// `mis_tap_max_distance_px` away (viewport px). Needs click targets: a session with touch taps
/// but no targets gives [`Coverage::Unknown`]; one without touch taps [`Coverage::NotApplicable`].
#[must_use]
pub fn mis_taps(session: &Session, settings: &SignalSettings) -> (Vec<Signal>, Coverage) {
    let taps: Vec<Click> = clicks(session)
        .into_iter()
        .filter(|c| c.pointer == PointerType::Touch)
        .collect();
    if taps.is_empty() {
        return (Vec::new(), Coverage::NotApplicable);
    }
    if taps.iter().all(|c| c.target.is_none()) {
        return (Vec::new(), Coverage::Unknown);
    }
    let interactive = |c: &Click| {
        session
            .target(c.target)
            .is_some_and(ElementDescriptor::is_interactive)
    };
    let mut out = Vec::new();
    for pair in taps.windows(2) {
        let [miss, hit] = pair else { continue };
        let (dx, dy) = (
            miss.pos_in_viewport.x - hit.pos_in_viewport.x,
            miss.pos_in_viewport.y - hit.pos_in_viewport.y,
        );
        let distance = (dx * dx + dy * dy).sqrt();
        if miss.page != hit.page
            || miss.target.is_none()
            || interactive(miss)
            || !interactive(hit)
            || hit.timestamp_ms - miss.timestamp_ms > settings.mis_tap_max_delay_ms
            || distance > settings.mis_tap_max_distance_px
        {
            continue;
        }
        out.push(Signal {
            kind: SignalKind::MisTap,
            page_index: miss.page,
            start_ms: miss.timestamp_ms,
            end_ms: hit.timestamp_ms,
            pos_in_page: Some(miss.pos_in_page),
            num_clicks: 2,
            target: selector(session, hit.target),
            severity: 1.0,
            detail: format!(
                "missed by {distance:.0} px, hit {} ms later",
                hit.timestamp_ms - miss.timestamp_ms
            ),
        });
    }
    (out, Coverage::Known)
}
