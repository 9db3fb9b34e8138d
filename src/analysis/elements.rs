//! Element maps: every clicked element of a page, grouped by its CSS selector path (not by
//! position), so the counts stay right when the layout moves between builds, widths or
//! variants. Per element: clicks, rage, dead and error clicks (stored signals whose target is
//! the element), unique sessions, page views, and the conversion of the sessions that clicked
//! it; a box on the page from its clicks; and compare mode (A against B per element, tested as
//! the cells of a difference map are, `analysis::significance`).
//!
//! Pure: a store gathers an [`ElementInput`] (the page views in scope, each click with its
//! target, the page's click signals) and [`element_map`] / [`compare_elements`] do the rest.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::signals::SignalKind;
use super::significance::{ShareTester, benjamini_hochberg};
use crate::model::{EventKind, PagePos, Session};

/// Padding around the bounding box of an element's clicks, CSS px on each side, so an element
/// clicked once is still a visible box.
pub const BOX_PADDING_PX: f32 = 4.0;

/// What element maps are ranked and coloured by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementMeasure {
    /// Clicks on the element.
    #[default]
    Clicks,
    /// Rage clicks (rage signals) on it.
    Rage,
    /// Dead clicks on it.
    Dead,
    /// Error clicks on it.
    Error,
    /// Distinct sessions that clicked it.
    Sessions,
    /// Conversion rate of the sessions that clicked it.
    Conversion,
}

impl ElementMeasure {
    /// Every measure, in display order.
    pub const ALL: [Self; 6] = [
        Self::Clicks,
        Self::Rage,
        Self::Dead,
        Self::Error,
        Self::Sessions,
        Self::Conversion,
    ];

    /// The name (CLI `--by`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clicks => "clicks",
            Self::Rage => "rage",
            Self::Dead => "dead",
            Self::Error => "error",
            Self::Sessions => "sessions",
            Self::Conversion => "conversion",
        }
    }

    /// Parses a name of [`Self::as_str`].
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name.trim())
    }
}

/// Which page views count, with the heatmaps' filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ElementQuery {
    /// Page URL (exact, fragment ignored) or pattern (`/product/*`).
    pub page: String,
    /// Session filters (device, dates, source, converted, signal, event).
    pub filter: crate::model::SessionFilter,
    /// Page views whose viewport width lies in this range count; `None`: every width (the
    /// point of grouping by selector).
    pub viewport_widths: Option<(u32, u32)>,
    /// Boxes are drawn from the clicks of page views whose viewport width lies in this range
    /// (the layout of the screenshot drawn on); `None`: from every click.
    pub layout_widths: Option<(u32, u32)>,
    /// Only page views of this variant (docs/VARIANTS.md); `None`: every page view.
    pub variant: Option<crate::model::VariantFilter>,
}

impl ElementQuery {
    /// The two queries of compare mode, with their labels: this query with the session filter
    /// split by `preset` (`analysis::compare`).
    #[must_use]
    pub fn split(
        &self,
        preset: &super::compare::ComparePreset,
    ) -> ((String, Self), (String, Self)) {
        preset.split_with(&self.filter, self.variant.as_ref(), |filter, variant| {
            Self {
                filter,
                variant,
                ..self.clone()
            }
        })
    }
}

/// One page view in scope.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementView {
    /// The session's row id.
    pub session_rowid: i64,
    /// The session's id (for opening the replay).
    pub session_id: String,
    /// The page view's index in its session.
    pub page_index: u32,
    /// Whether the session converted (the library's goal).
    pub converted: bool,
    /// Whether its clicks place boxes (its viewport is in the layout drawn on).
    pub in_layout: bool,
}

/// One click with a known target element.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementClick {
    /// Index into [`ElementInput::views`].
    pub view: usize,
    /// The element's CSS selector path.
    pub selector: String,
    /// A short label of the element (`button#add "Add to cart"`).
    pub label: String,
    /// Epoch ms.
    pub timestamp_ms: i64,
    /// Where the click is drawn: page CSS px, or viewport CSS px for a fixed or sticky element
    /// (where it sits in a screenshot of the page top, as heatmaps' "show fixed" draws it).
    pub pos: PagePos,
    /// The element (or an ancestor) is fixed or sticky.
    pub fixed: bool,
}

/// One rage, dead or error click signal on a page view in scope.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementSignal {
    /// Index into [`ElementInput::views`].
    pub view: usize,
    /// Rage, dead or error click.
    pub kind: SignalKind,
    /// The selector of the element it hit, when known.
    pub target: Option<String>,
    /// Epoch ms it began.
    pub start_ms: i64,
}

/// What an element map is computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ElementInput {
    /// The page (URL or pattern), for captions.
    pub page: String,
    /// The page views in scope.
    pub views: Vec<ElementView>,
    /// Their clicks with a known target.
    pub clicks: Vec<ElementClick>,
    /// Their clicks without a known target (counted, not placed).
    pub clicks_without_element: u64,
    /// Their rage, dead and error click signals.
    pub signals: Vec<ElementSignal>,
}

/// The signal kinds an element map counts.
pub const ELEMENT_SIGNALS: [SignalKind; 3] = [
    SignalKind::RageClick,
    SignalKind::DeadClick,
    SignalKind::ErrorClick,
];

impl ElementInput {
    /// Adds the clicks of page view `view` (already in [`Self::views`]) from its session's body.
    pub fn add_clicks(&mut self, view: usize, session: &Session) {
        let Some(page_index) = self.views.get(view).map(|v| v.page_index) else {
            return;
        };
        for event in &session.events {
            let EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                kind,
                target,
                ..
            } = &event.kind
            else {
                continue;
            };
            if event.page != page_index || !kind.counts_as_click() {
                continue;
            }
            match session.target(*target) {
                Some(t) => {
                    let selector = if t.selector.is_empty() {
                        t.tag.clone()
                    } else {
                        t.selector.clone()
                    };
                    let pos = if t.fixed {
                        PagePos {
                            x: pos_in_viewport.x,
                            y: pos_in_viewport.y,
                        }
                    } else {
                        *pos_in_page
                    };
                    self.clicks.push(ElementClick {
                        view,
                        selector,
                        label: t.label(),
                        timestamp_ms: event.timestamp_ms,
                        pos,
                        fixed: t.fixed,
                    });
                }
                None => self.clicks_without_element += 1,
            }
        }
    }
}

/// Where an element is drawn: the bounding box of its clicks (in the layout drawn on), padded
/// by [`BOX_PADDING_PX`]; CSS px of the page (of the viewport for fixed elements).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ElementBox {
    /// Left edge.
    pub left_px: f32,
    /// Top edge.
    pub top_px: f32,
    /// Right edge.
    pub right_px: f32,
    /// Bottom edge.
    pub bottom_px: f32,
    /// The clicks it is the box of.
    pub clicks: u64,
}

impl ElementBox {
    /// True when `p` lies inside.
    #[must_use]
    pub fn contains(&self, p: PagePos) -> bool {
        (self.left_px..=self.right_px).contains(&p.x)
            && (self.top_px..=self.bottom_px).contains(&p.y)
    }
}

/// A session that clicked an element, at its first click there (for opening the replay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ElementMoment {
    /// The session's id.
    pub session_id: String,
    /// Its row id.
    pub session_rowid: i64,
    /// Epoch ms of its first click on the element.
    pub timestamp_ms: i64,
    /// Whether it converted.
    pub converted: bool,
}

/// One element's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElementStats {
    /// The CSS selector path the clicks are grouped by.
    pub selector: String,
    /// Its most frequent label.
    pub label: String,
    /// Clicks on it.
    pub clicks: u64,
    /// Rage click signals on it.
    pub rage: u64,
    /// Dead click signals on it.
    pub dead: u64,
    /// Error click signals on it.
    pub error: u64,
    /// Distinct sessions that clicked it.
    pub sessions: u64,
    /// Distinct page views with a click on it.
    pub page_views: u64,
    /// Of [`Self::sessions`], those that converted.
    pub converted_sessions: u64,
    /// `converted_sessions / sessions` (0 without sessions).
    pub conversion_rate: f64,
    /// Fixed or sticky (its box is at its viewport position).
    pub fixed: bool,
    /// Where it is drawn, when it was clicked in the layout drawn on.
    #[serde(rename = "box")]
    pub bbox: Option<ElementBox>,
    /// Each session that clicked it, at its first click there, in time order.
    #[serde(skip)]
    pub moments: Vec<ElementMoment>,
}

impl ElementStats {
    /// The value of `measure` (a count, or the conversion rate).
    #[must_use]
    pub fn value(&self, measure: ElementMeasure) -> f64 {
        match measure {
            ElementMeasure::Clicks => self.clicks as f64,
            ElementMeasure::Rage => self.rage as f64,
            ElementMeasure::Dead => self.dead as f64,
            ElementMeasure::Error => self.error as f64,
            ElementMeasure::Sessions => self.sessions as f64,
            ElementMeasure::Conversion => self.conversion_rate,
        }
    }
}

/// The element map of a page.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ElementMap {
    /// The page (URL or pattern).
    pub page: String,
    /// The measure ranked and coloured by.
    pub measure: ElementMeasure,
    /// Page views in scope.
    pub page_views: u64,
    /// Their distinct sessions.
    pub sessions: u64,
    /// Of those, the converted ones.
    pub converted_sessions: u64,
    /// Conversion rate of every session in scope (the page's baseline).
    pub conversion_rate: f64,
    /// Clicks with a known element.
    pub clicks: u64,
    /// Clicks without a known element (not in any row).
    pub clicks_without_element: u64,
    /// Every element, ranked by [`Self::measure`] (ties: more clicks, then selector).
    pub elements: Vec<ElementStats>,
}

impl ElementMap {
    /// The largest value of the measure over the elements (0 when none).
    #[must_use]
    pub fn max_value(&self) -> f64 {
        self.elements
            .iter()
            .map(|e| e.value(self.measure))
            .fold(0.0, f64::max)
    }

    /// The element whose box holds `p` (the smallest such box), if any.
    #[must_use]
    pub fn element_at(&self, p: PagePos) -> Option<&ElementStats> {
        self.elements
            .iter()
            .filter(|e| e.bbox.is_some_and(|b| b.contains(p)))
            .min_by(|a, b| {
                let area = |e: &ElementStats| {
                    e.bbox.map_or(f32::INFINITY, |b| {
                        (b.right_px - b.left_px) * (b.bottom_px - b.top_px)
                    })
                };
                area(a).total_cmp(&area(b))
            })
    }
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Builds the element map of `input`, ranked by `measure`.
#[must_use]
pub fn element_map(input: &ElementInput, measure: ElementMeasure) -> ElementMap {
    #[derive(Default)]
    struct Acc<'a> {
        clicks: u64,
        signals: [u64; 3],
        views: HashSet<usize>,
        first_click: BTreeMap<i64, (i64, usize)>,
        labels: BTreeMap<&'a str, u64>,
        fixed: bool,
        bbox: Option<ElementBox>,
    }
    let mut groups: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for c in &input.clicks {
        let Some(view) = input.views.get(c.view) else {
            continue;
        };
        let acc = groups.entry(c.selector.as_str()).or_default();
        acc.clicks += 1;
        acc.views.insert(c.view);
        *acc.labels.entry(c.label.as_str()).or_insert(0) += 1;
        acc.fixed |= c.fixed;
        let first = acc
            .first_click
            .entry(view.session_rowid)
            .or_insert((c.timestamp_ms, c.view));
        if c.timestamp_ms < first.0 {
            *first = (c.timestamp_ms, c.view);
        }
        if view.in_layout && c.pos.x.is_finite() && c.pos.y.is_finite() {
            let b = acc.bbox.get_or_insert(ElementBox {
                left_px: c.pos.x,
                top_px: c.pos.y,
                right_px: c.pos.x,
                bottom_px: c.pos.y,
                clicks: 0,
            });
            b.left_px = b.left_px.min(c.pos.x);
            b.top_px = b.top_px.min(c.pos.y);
            b.right_px = b.right_px.max(c.pos.x);
            b.bottom_px = b.bottom_px.max(c.pos.y);
            b.clicks += 1;
        }
    }
    for s in &input.signals {
        let (Some(target), Some(slot)) = (
            s.target.as_deref().filter(|t| !t.is_empty()),
            ELEMENT_SIGNALS.iter().position(|k| *k == s.kind),
        ) else {
            continue;
        };
        if input.views.get(s.view).is_none() {
            continue;
        }
        groups.entry(target).or_default().signals[slot] += 1;
    }
    let mut elements: Vec<ElementStats> = groups
        .into_iter()
        .map(|(selector, acc)| {
            let mut moments: Vec<ElementMoment> = acc
                .first_click
                .iter()
                .filter_map(|(&rowid, &(t, view))| {
                    input.views.get(view).map(|v| ElementMoment {
                        session_id: v.session_id.clone(),
                        session_rowid: rowid,
                        timestamp_ms: t,
                        converted: v.converted,
                    })
                })
                .collect();
            moments.sort_by(|a, b| {
                (a.timestamp_ms, &a.session_id).cmp(&(b.timestamp_ms, &b.session_id))
            });
            let sessions = moments.len() as u64;
            let converted = moments.iter().filter(|m| m.converted).count() as u64;
            let label = acc
                .labels
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or_else(|| selector.to_owned(), |(l, _)| (*l).to_owned());
            ElementStats {
                selector: selector.to_owned(),
                label,
                clicks: acc.clicks,
                rage: acc.signals[0],
                dead: acc.signals[1],
                error: acc.signals[2],
                sessions,
                page_views: acc.views.len() as u64,
                converted_sessions: converted,
                conversion_rate: rate(converted, sessions),
                fixed: acc.fixed,
                bbox: acc.bbox.map(|b| ElementBox {
                    left_px: b.left_px - BOX_PADDING_PX,
                    top_px: b.top_px - BOX_PADDING_PX,
                    right_px: b.right_px + BOX_PADDING_PX,
                    bottom_px: b.bottom_px + BOX_PADDING_PX,
                    clicks: b.clicks,
                }),
                moments,
            }
        })
        .collect();
    elements.sort_by(|a, b| {
        b.value(measure)
            .total_cmp(&a.value(measure))
            .then(b.clicks.cmp(&a.clicks))
            .then(b.sessions.cmp(&a.sessions))
            .then_with(|| a.selector.cmp(&b.selector))
    });
    let mut session_converted: HashMap<i64, bool> = HashMap::new();
    for v in &input.views {
        session_converted.insert(v.session_rowid, v.converted);
    }
    let sessions = session_converted.len() as u64;
    let converted_sessions = session_converted.values().filter(|c| **c).count() as u64;
    ElementMap {
        page: input.page.clone(),
        measure,
        page_views: input.views.len() as u64,
        sessions,
        converted_sessions,
        conversion_rate: rate(converted_sessions, sessions),
        clicks: input.clicks.len() as u64,
        clicks_without_element: input.clicks_without_element,
        elements,
    }
}

/// One element of a comparison: the share of page views of A and of B with a click on it,
/// tested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ElementDifference {
    /// The selector.
    pub selector: String,
    /// Its most frequent label (A's, else B's).
    pub label: String,
    /// Clicks on it in A.
    pub clicks_a: u64,
    /// Clicks on it in B (page views also in A left out).
    pub clicks_b: u64,
    /// A's page views with a click on it.
    pub views_a: u64,
    /// B's page views (not also A's) with a click on it.
    pub views_b: u64,
    /// `views_a / page views of A`.
    pub share_a: f64,
    /// `views_b / page views of B`.
    pub share_b: f64,
    /// `share_a − share_b`.
    pub difference: f64,
    /// Newcombe's 95 % interval of the difference.
    pub interval95: (f64, f64),
    /// Two-sided p-value.
    pub p_value: f64,
    /// Fisher's exact test rather than the z-test.
    pub exact: bool,
    /// Different after the Benjamini–Hochberg correction over the page's elements.
    pub significant: bool,
    /// A's box, else B's.
    #[serde(rename = "box")]
    pub bbox: Option<ElementBox>,
}

/// A against B per element.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ElementComparison {
    /// A's label.
    pub label_a: String,
    /// B's label.
    pub label_b: String,
    /// A's page views.
    pub page_views_a: u64,
    /// B's page views that are not also A's.
    pub page_views_b: u64,
    /// B's page views left out because they are also A's (presets where A is part of B).
    pub overlap: u64,
    /// The false-discovery rate controlled.
    pub fdr: f64,
    /// Every element clicked in A or B: the significant ones first, then by the size of the
    /// difference.
    pub elements: Vec<ElementDifference>,
}

impl ElementComparison {
    /// Elements found to differ.
    #[must_use]
    pub fn significant(&self) -> usize {
        self.elements.iter().filter(|e| e.significant).count()
    }

    /// One line: the test, the correction, the level and the outcome.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "{} of {} elements differ: share of page views with a click on the element, Fisher exact / two-proportion z-test, Benjamini–Hochberg FDR {:.0} %",
            self.significant(),
            self.elements.len(),
            self.fdr * 100.0
        )
    }
}

/// Compares A and B per element: for each element clicked in either, the share of A's page
/// views with a click on it against the share of B's (B's page views that are also A's left
/// out, as `analysis::significance` does for cells), each tested two-sided, with the
/// Benjamini–Hochberg correction at `fdr` over the page's elements.
#[must_use]
pub fn compare_elements(
    (label_a, a): (&str, &ElementInput),
    (label_b, b): (&str, &ElementInput),
    fdr: f64,
) -> ElementComparison {
    let a_keys: HashSet<(i64, u32)> = a
        .views
        .iter()
        .map(|v| (v.session_rowid, v.page_index))
        .collect();
    let b_skip: HashSet<usize> = b
        .views
        .iter()
        .enumerate()
        .filter(|(_, v)| a_keys.contains(&(v.session_rowid, v.page_index)))
        .map(|(i, _)| i)
        .collect();
    let b_kept = ElementInput {
        page: b.page.clone(),
        views: b.views.clone(),
        clicks: b
            .clicks
            .iter()
            .filter(|c| !b_skip.contains(&c.view))
            .cloned()
            .collect(),
        clicks_without_element: 0,
        signals: Vec::new(),
    };
    let n_a = a.views.len() as u64;
    let n_b = (b.views.len() - b_skip.len()) as u64;
    let map_a = element_map(a, ElementMeasure::Clicks);
    let map_b = element_map(&b_kept, ElementMeasure::Clicks);
    let by_a: HashMap<&str, &ElementStats> = map_a
        .elements
        .iter()
        .map(|e| (e.selector.as_str(), e))
        .collect();
    let by_b: HashMap<&str, &ElementStats> = map_b
        .elements
        .iter()
        .map(|e| (e.selector.as_str(), e))
        .collect();
    let mut selectors: Vec<&str> = by_a.keys().chain(by_b.keys()).copied().collect();
    selectors.sort_unstable();
    selectors.dedup();
    let tester = ShareTester::new(n_a + n_b);
    let mut elements: Vec<ElementDifference> = selectors
        .into_iter()
        .map(|selector| {
            let ea = by_a.get(selector);
            let eb = by_b.get(selector);
            let views_a = ea.map_or(0, |e| e.page_views);
            let views_b = eb.map_or(0, |e| e.page_views);
            let t = tester.test(views_a, n_a, views_b, n_b);
            ElementDifference {
                selector: selector.to_owned(),
                label: ea
                    .or(eb)
                    .map_or_else(|| selector.to_owned(), |e| e.label.clone()),
                clicks_a: ea.map_or(0, |e| e.clicks),
                clicks_b: eb.map_or(0, |e| e.clicks),
                views_a,
                views_b,
                share_a: t.share_a,
                share_b: t.share_b,
                difference: t.share_a - t.share_b,
                interval95: t.interval95,
                p_value: t.p_value,
                exact: t.exact,
                significant: false,
                bbox: ea.and_then(|e| e.bbox).or_else(|| eb.and_then(|e| e.bbox)),
            }
        })
        .collect();
    let p_values: Vec<f64> = elements.iter().map(|e| e.p_value).collect();
    for (e, significant) in elements.iter_mut().zip(benjamini_hochberg(&p_values, fdr)) {
        e.significant = significant;
    }
    elements.sort_by(|x, y| {
        y.significant
            .cmp(&x.significant)
            .then(y.difference.abs().total_cmp(&x.difference.abs()))
            .then_with(|| x.selector.cmp(&y.selector))
    });
    ElementComparison {
        label_a: label_a.to_owned(),
        label_b: label_b.to_owned(),
        page_views_a: n_a,
        page_views_b: n_b,
        overlap: b_skip.len() as u64,
        fdr,
        elements,
    }
}

/// The header of the element table (`sessionlens elements --csv`).
pub const CSV_HEADER: &str = "rank,selector,label,clicks,rage,dead,error,sessions,page_views,converted_sessions,conversion_rate,fixed,box_left_px,box_top_px,box_right_px,box_bottom_px";

/// One element table line (without newline).
#[must_use]
pub fn csv_row(rank: usize, e: &ElementStats) -> String {
    use crate::format::csv::field;
    let b = |f: fn(&ElementBox) -> f32| {
        e.bbox
            .as_ref()
            .map(|bx| format!("{:.0}", f(bx)))
            .unwrap_or_default()
    };
    [
        rank.to_string(),
        field(&e.selector),
        field(&e.label),
        e.clicks.to_string(),
        e.rage.to_string(),
        e.dead.to_string(),
        e.error.to_string(),
        e.sessions.to_string(),
        e.page_views.to_string(),
        e.converted_sessions.to_string(),
        format!("{:.4}", e.conversion_rate),
        e.fixed.to_string(),
        b(|x| x.left_px),
        b(|x| x.top_px),
        b(|x| x.right_px),
        b(|x| x.bottom_px),
    ]
    .join(",")
}

/// The header of the element comparison table (`sessionlens elements --compare … --csv`).
pub const COMPARE_CSV_HEADER: &str = "selector,label,clicks_a,clicks_b,views_a,views_b,share_a,share_b,difference,interval95_low,interval95_high,p_value,exact,significant";

/// One element comparison line (without newline).
#[must_use]
pub fn compare_csv_row(e: &ElementDifference) -> String {
    use crate::format::csv::field;
    [
        field(&e.selector),
        field(&e.label),
        e.clicks_a.to_string(),
        e.clicks_b.to_string(),
        e.views_a.to_string(),
        e.views_b.to_string(),
        format!("{:.4}", e.share_a),
        format!("{:.4}", e.share_b),
        format!("{:.4}", e.difference),
        format!("{:.4}", e.interval95.0),
        format!("{:.4}", e.interval95.1),
        format!("{:.6}", e.p_value),
        e.exact.to_string(),
        e.significant.to_string(),
    ]
    .join(",")
}

#[cfg(test)]
mod tests;
