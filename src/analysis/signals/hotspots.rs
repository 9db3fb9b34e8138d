//! Hotspots: signals grouped by page, kind and element (or a 16 px cell of the page when no
//! element is known), ranked by the sessions they affect or by the conversions they may cost.
//!
//! Pure: the store hands over one [`SignalRow`] per stored signal and one [`PageVisits`] per
//! page URL, for whichever sessions the user filtered.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::SignalKind;
use crate::format::csv;
use crate::model::PagePos;

/// Side of the page grid cells that group signals without a known element, CSS px.
pub const CELL_PX: f32 = 16.0;

/// One stored signal, as hotspot grouping needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalRow {
    /// Any key unique per session (the store's row id).
    pub session: i64,
    /// Whether that session converted.
    pub converted: bool,
    /// The signal's kind.
    pub kind: SignalKind,
    /// The page URL without fragment.
    pub page_url: String,
    /// The element's CSS selector, when known.
    pub target: Option<String>,
    /// Where on the page, CSS px, when known.
    pub pos_in_page: Option<PagePos>,
}

/// How many of the sessions in scope visited a page URL, and how many of them converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageVisits {
    /// The page URL without fragment.
    pub url: String,
    /// Sessions that viewed it.
    pub sessions: u64,
    /// Of those, sessions that converted.
    pub converted_sessions: u64,
}

/// Where on a page a hotspot is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotPlace {
    /// An element, by CSS selector.
    Element(String),
    /// A [`CELL_PX`] grid cell of the page, by the page position of its top-left corner.
    Cell {
        /// Left edge, CSS px.
        x: i32,
        /// Top edge, CSS px.
        y: i32,
    },
    /// The page as a whole (signals without a place, such as a quick back typed in the URL bar).
    Page,
}

impl std::fmt::Display for HotspotPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Element(selector) => f.write_str(selector),
            Self::Cell { x, y } => write!(f, "@{x},{y}"),
            Self::Page => f.write_str("(page)"),
        }
    }
}

/// A ranked hotspot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hotspot {
    /// The kind of signal.
    pub kind: SignalKind,
    /// Page URL without fragment.
    pub page_url: String,
    /// Element or page cell.
    pub place: HotspotPlace,
    /// Signals in the group.
    pub occurrences: u64,
    /// Distinct sessions with at least one of them.
    pub sessions_affected: u64,
    /// Sessions (in scope) that viewed the page.
    pub page_sessions: u64,
    /// `sessions_affected / page_sessions`.
    pub share_affected: f64,
    /// Affected sessions that converted.
    pub affected_converted: u64,
    /// Conversion rate of the affected sessions.
    pub affected_conversion_rate: f64,
    /// Page visitors without this hotspot.
    pub unaffected_sessions: u64,
    /// Conversion rate of the page visitors without this hotspot (the baseline).
    pub baseline_conversion_rate: f64,
    /// `sessions_affected × (baseline − affected rate)`, never below 0; rounded to 0.1.
    pub estimated_lost_conversions: f64,
    /// True when the two rates differ at the 95 % level (two-proportion z-test, both groups at
    /// least 5 sessions): below that, the loss is shown but is not evidence.
    pub significant: bool,
}

/// Orders of the hotspot table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HotspotSort {
    /// Most sessions affected first.
    #[default]
    SessionsAffected,
    /// Largest estimated loss of conversions first.
    EstimatedLoss,
}

fn place(row: &SignalRow) -> HotspotPlace {
    match (&row.target, row.pos_in_page) {
        (Some(selector), _) if !selector.is_empty() => HotspotPlace::Element(selector.clone()),
        (_, Some(p)) => {
            let (x, y) = cell_of(p);
            HotspotPlace::Cell { x, y }
        }
        _ => HotspotPlace::Page,
    }
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Two-proportion z-test at the 95 % level.
fn differs(c1: u64, n1: u64, c2: u64, n2: u64) -> bool {
    if n1 < 5 || n2 < 5 {
        return false;
    }
    let (p1, p2) = (rate(c1, n1), rate(c2, n2));
    let pooled = rate(c1 + c2, n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    se > 0.0 && ((p1 - p2) / se).abs() >= 1.96
}

/// Groups signals into hotspots and ranks them.
#[must_use]
pub fn hotspots(signals: &[SignalRow], pages: &[PageVisits], sort: HotspotSort) -> Vec<Hotspot> {
    #[derive(Default)]
    struct Acc {
        occurrences: u64,
        sessions: HashSet<i64>,
        converted: u64,
    }
    let mut groups: BTreeMap<(SignalKind, &str, HotspotPlace), Acc> = BTreeMap::new();
    for row in signals {
        let acc = groups
            .entry((row.kind, row.page_url.as_str(), place(row)))
            .or_default();
        acc.occurrences += 1;
        if acc.sessions.insert(row.session) && row.converted {
            acc.converted += 1;
        }
    }
    let groups: Vec<HotspotGroup> = groups
        .into_iter()
        .map(|((kind, page_url, place), acc)| HotspotGroup {
            kind,
            page_url: page_url.to_owned(),
            place,
            occurrences: acc.occurrences,
            sessions_affected: acc.sessions.len() as u64,
            affected_converted: acc.converted,
        })
        .collect();
    rank_groups(groups, pages, sort)
}

/// The signals of one kind at one place of one page, counted (by a store that groups them
/// itself, or by [`hotspots`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotspotGroup {
    /// The kind of signal.
    pub kind: SignalKind,
    /// Page URL without fragment.
    pub page_url: String,
    /// Element or page cell, as [`SignalRow`]s are placed: the element when its selector is
    /// known and not empty, else the [`CELL_PX`] cell of the position, else the page.
    pub place: HotspotPlace,
    /// Signals in the group.
    pub occurrences: u64,
    /// Distinct sessions with at least one of them.
    pub sessions_affected: u64,
    /// Of those, sessions that converted.
    pub affected_converted: u64,
}

/// The cell of a position as [`HotspotPlace::Cell`] holds it: the top-left corner of its
/// [`CELL_PX`] cell, CSS px.
#[must_use]
pub fn cell_of(pos_in_page: PagePos) -> (i32, i32) {
    (
        ((pos_in_page.x / CELL_PX).floor() * CELL_PX) as i32,
        ((pos_in_page.y / CELL_PX).floor() * CELL_PX) as i32,
    )
}

/// Ranks counted groups (each `(kind, page, place)` once) against the page visits as
/// [`hotspots`] does.
#[must_use]
pub fn rank_groups(
    groups: Vec<HotspotGroup>,
    pages: &[PageVisits],
    sort: HotspotSort,
) -> Vec<Hotspot> {
    let visits: HashMap<&str, &PageVisits> = pages.iter().map(|p| (p.url.as_str(), p)).collect();
    let mut out: Vec<Hotspot> = groups
        .into_iter()
        .map(|g| {
            let HotspotGroup {
                kind,
                page_url,
                place,
                occurrences,
                sessions_affected: affected,
                affected_converted: converted,
            } = g;
            let (page_sessions, page_converted) =
                visits
                    .get(page_url.as_str())
                    .map_or((affected, converted), |v| {
                        (
                            v.sessions.max(affected),
                            v.converted_sessions.max(converted),
                        )
                    });
            let unaffected = page_sessions - affected;
            let unaffected_converted = page_converted.saturating_sub(converted);
            let affected_rate = rate(converted, affected);
            let baseline = rate(unaffected_converted, unaffected);
            let lost = if unaffected == 0 {
                0.0
            } else {
                ((baseline - affected_rate).max(0.0) * affected as f64 * 10.0).round() / 10.0
            };
            Hotspot {
                kind,
                page_url,
                place,
                occurrences,
                sessions_affected: affected,
                page_sessions,
                share_affected: rate(affected, page_sessions),
                affected_converted: converted,
                affected_conversion_rate: affected_rate,
                unaffected_sessions: unaffected,
                baseline_conversion_rate: baseline,
                estimated_lost_conversions: lost,
                significant: differs(converted, affected, unaffected_converted, unaffected),
            }
        })
        .collect();
    let tie = |a: &Hotspot, b: &Hotspot| {
        (a.kind, &a.page_url, &a.place).cmp(&(b.kind, &b.page_url, &b.place))
    };
    match sort {
        HotspotSort::SessionsAffected => out.sort_by(|a, b| {
            b.sessions_affected
                .cmp(&a.sessions_affected)
                .then(b.occurrences.cmp(&a.occurrences))
                .then_with(|| tie(a, b))
        }),
        HotspotSort::EstimatedLoss => out.sort_by(|a, b| {
            b.estimated_lost_conversions
                .total_cmp(&a.estimated_lost_conversions)
                .then(b.sessions_affected.cmp(&a.sessions_affected))
                .then_with(|| tie(a, b))
        }),
    }
    out
}

/// The header of the hotspot table (`sessionlens hotspots --csv`, reports' `hotspots.csv`).
pub const CSV_HEADER: &str = "kind,page_url,element,cell_x,cell_y,occurrences,sessions_affected,page_sessions,share_affected,affected_converted,affected_conversion_rate,unaffected_sessions,baseline_conversion_rate,estimated_lost_conversions,significant";

/// One hotspot table line (without newline).
#[must_use]
pub fn csv_row(h: &Hotspot) -> String {
    let (element, cell_x, cell_y) = match &h.place {
        HotspotPlace::Element(selector) => (selector.clone(), String::new(), String::new()),
        HotspotPlace::Cell { x, y } => (String::new(), x.to_string(), y.to_string()),
        HotspotPlace::Page => (String::new(), String::new(), String::new()),
    };
    [
        h.kind.as_str().to_owned(),
        csv::field(&h.page_url),
        csv::field(&element),
        cell_x,
        cell_y,
        h.occurrences.to_string(),
        h.sessions_affected.to_string(),
        h.page_sessions.to_string(),
        format!("{:.4}", h.share_affected),
        h.affected_converted.to_string(),
        format!("{:.4}", h.affected_conversion_rate),
        h.unaffected_sessions.to_string(),
        format!("{:.4}", h.baseline_conversion_rate),
        format!("{:.1}", h.estimated_lost_conversions),
        h.significant.to_string(),
    ]
    .join(",")
}
