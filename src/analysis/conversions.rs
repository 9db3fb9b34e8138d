//! Conversions: retroactive event definitions, KPIs, funnels and lift, as pure functions over
//! sessions and the facts the library keeps about them (`store::conversions` loads them).
//!
//! Formulas (CRO practice, as the issue gives them):
//! - conversion rate = sessions with a purchase / sessions;
//! - add-to-cart rate = sessions with `add_to_cart` / sessions;
//! - cart abandonment = (sessions that began checkout − purchasing sessions among them) /
//!   sessions that began checkout; checkout completion is its complement;
//! - average order value = revenue / purchasing sessions; revenue per visitor = revenue /
//!   sessions.
//!
//! Lift compares the purchase rate of sessions with a behaviour against those without it, as a
//! risk ratio with a 95 % interval from the log method (Katz et al. 1978): correlation, not
//! causation.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Channel, ClickKind, DeviceClass, ElementDescriptor, EventKind, Session};

/// What a definition matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionKind {
    /// A custom event (rrweb type 5 tag, or a native custom event) with this name.
    Custom,
    /// A page view whose URL matches this pattern (exact, or a glob like `/product/*`).
    Url,
    /// A click on an element matching this simple CSS selector.
    Selector,
    /// A click on an element whose visible text contains this text (case-insensitive).
    Text,
}

impl DefinitionKind {
    /// Name used in the store and the CLI.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Custom => "custom",
            Self::Url => "url",
            Self::Selector => "selector",
            Self::Text => "text",
        }
    }

    /// Parses [`Self::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Custom, Self::Url, Self::Selector, Self::Text]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Funnel stage of a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Top of the funnel: awareness, browsing.
    Tofu,
    /// Middle: consideration.
    Mofu,
    /// Bottom: purchase intent.
    Bofu,
}

impl Stage {
    /// Every stage, top to bottom.
    pub const ALL: [Self; 3] = [Self::Tofu, Self::Mofu, Self::Bofu];

    /// `tofu`, `mofu` or `bofu`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tofu => "tofu",
            Self::Mofu => "mofu",
            Self::Bofu => "bofu",
        }
    }

    /// Parses [`Self::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text.to_ascii_lowercase())
    }
}

/// A named event, defined after the fact over sessions already recorded (like Heap's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventDefinition {
    /// Name, e.g. `add_to_cart`.
    pub name: String,
    /// What it matches.
    pub kind: DefinitionKind,
    /// Custom event name, URL pattern, CSS selector or text.
    pub pattern: String,
    /// Take the revenue value from the custom event's value.
    pub value_from_event: bool,
    /// Funnel stage.
    pub stage: Option<Stage>,
    /// Weight 1–10 for the intent score.
    pub weight: Option<u8>,
}

/// One occurrence of a defined event in a session.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Page view index.
    pub page_index: u32,
    /// When, epoch ms.
    pub timestamp_ms: i64,
    /// Revenue value, when the definition takes one.
    pub value: Option<f64>,
}

/// The standard e-commerce names, predefined when the data has custom events so named:
/// (name, stage, weight).
pub const STANDARD_EVENTS: [(&str, Stage, u8); 6] = [
    ("view_item", Stage::Tofu, 2),
    ("newsletter_signup", Stage::Tofu, 3),
    ("add_to_cart", Stage::Mofu, 5),
    ("begin_checkout", Stage::Bofu, 7),
    ("add_payment_info", Stage::Bofu, 8),
    ("purchase", Stage::Bofu, 10),
];

/// A compound selector (`tag#id.class.class`), parsed; pseudo-classes such as
/// `:nth-of-type(2)` are dropped.
#[derive(Debug, Default, PartialEq)]
struct Compound {
    tag: String,
    id: Option<String>,
    classes: Vec<String>,
}

impl Compound {
    fn parse(text: &str) -> Self {
        let text = text.split(':').next().unwrap_or(text);
        let mut out = Self::default();
        let mut current = String::new();
        let mut mode = 't';
        let flush = |mode: char, part: String, out: &mut Self| match mode {
            't' => out.tag = part,
            '#' => out.id = Some(part),
            _ => out.classes.push(part),
        };
        for c in text.chars() {
            if c == '#' || c == '.' {
                flush(mode, std::mem::take(&mut current), &mut out);
                mode = c;
            } else {
                current.push(c);
            }
        }
        flush(mode, current, &mut out);
        out
    }

    fn is_empty(&self) -> bool {
        self.tag.is_empty() && self.id.is_none() && self.classes.is_empty()
    }

    /// True when an element with `tag`, `id` and `classes` matches this compound.
    fn matches(&self, tag: &str, id: Option<&str>, classes: &[String]) -> bool {
        !self.is_empty()
            && (self.tag.is_empty() || self.tag.eq_ignore_ascii_case(tag))
            && self.id.as_deref().is_none_or(|i| id == Some(i))
            && self.classes.iter().all(|c| classes.contains(c))
    }
}

/// True when a click on `d` counts for the simple selector `selector`, as analytics tools count
/// clicks on an element or inside it: the recorded selector path is the selector or ends with
/// it, or the selector's last compound (`tag#id.class`, after any space or `>`) matches the
/// element or one of the ancestors its recorded path names.
#[must_use]
pub fn selector_matches(selector: &str, d: &ElementDescriptor) -> bool {
    let selector = selector.trim();
    if selector.is_empty() {
        return false;
    }
    if d.selector == selector
        || d.selector.ends_with(&format!(" {selector}"))
        || d.selector.ends_with(&format!(">{selector}"))
    {
        return true;
    }
    let last = selector
        .rsplit(|c: char| c.is_whitespace() || c == '>')
        .find(|s| !s.is_empty())
        .unwrap_or(selector);
    if last.contains(['[', '*']) {
        // Attribute selectors are not recorded; only exact paths match those.
        return false;
    }
    let wanted = Compound::parse(last);
    if wanted.matches(&d.tag, d.id.as_deref(), &d.classes) {
        return true;
    }
    d.selector
        .split(|c: char| c.is_whitespace() || c == '>')
        .filter(|s| !s.is_empty())
        .map(Compound::parse)
        .any(|ancestor| {
            wanted.matches(&ancestor.tag, ancestor.id.as_deref(), &ancestor.classes)
                && (wanted.tag.is_empty() || !ancestor.tag.is_empty())
        })
}

/// The occurrences of `def` in `session`, in time order.
#[must_use]
pub fn hits(def: &EventDefinition, session: &Session) -> Vec<Hit> {
    let mut out = Vec::new();
    match def.kind {
        DefinitionKind::Custom => {
            for e in &session.events {
                if let EventKind::Custom { name, value, .. } = &e.kind
                    && name.eq_ignore_ascii_case(&def.pattern)
                {
                    out.push(Hit {
                        page_index: e.page,
                        timestamp_ms: e.timestamp_ms,
                        value: if def.value_from_event { *value } else { None },
                    });
                }
            }
        }
        DefinitionKind::Url => {
            for (i, page) in session.pages.iter().enumerate() {
                if crate::model::UrlPattern::new(&def.pattern).matches(page.url_without_fragment())
                {
                    out.push(Hit {
                        page_index: u32::try_from(i).unwrap_or(u32::MAX),
                        timestamp_ms: page.entered_at_ms,
                        value: None,
                    });
                }
            }
        }
        DefinitionKind::Selector | DefinitionKind::Text => {
            let needle = def.pattern.trim().to_lowercase();
            for e in &session.events {
                let EventKind::Click {
                    kind: ClickKind::Click,
                    target: Some(t),
                    ..
                } = &e.kind
                else {
                    continue;
                };
                let Some(d) = session.targets.get(*t as usize) else {
                    continue;
                };
                let matched = if def.kind == DefinitionKind::Selector {
                    selector_matches(&def.pattern, d)
                } else {
                    !needle.is_empty()
                        && d.text
                            .as_deref()
                            .is_some_and(|text| text.to_lowercase().contains(&needle))
                };
                if matched {
                    out.push(Hit {
                        page_index: e.page,
                        timestamp_ms: e.timestamp_ms,
                        value: None,
                    });
                }
            }
        }
    }
    out.sort_by_key(|h| h.timestamp_ms);
    out
}

/// The goal a session is `converted` for when it was not named: the standard purchase.
pub const DEFAULT_GOAL: &str = "purchase";

/// The conversion goal: the defined event whose sessions count as converted (the library's
/// setting; [`DEFAULT_GOAL`] when none was chosen).
///
/// Rules (docs/CONVERSIONS.md, "The conversion goal"):
/// - the *standard* goal (`purchase` undefined, or defined as the custom event `purchase`)
///   converts a session that recorded a custom event named like a purchase
///   ([`crate::model::CONVERSION_EVENT_NAMES`], any case), as [`Session::converted`] does;
/// - any other goal converts a session with at least one occurrence of its definition
///   ([`hits`]).
///
/// Revenue of a converted session: the sum of the goal's own values when the goal is a custom
/// event taking its value (`--value-from value`); otherwise (the standard goal, a URL, selector
/// or text goal, or a custom goal without values) the sum of the values of the session's
/// conversion custom events ([`Session::revenue`]), if any carried one; else none. A session
/// that did not convert has no revenue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConversionGoal {
    /// The event's name.
    pub name: String,
    /// Its definition (none: `purchase` not defined, the standard rule applies).
    pub definition: Option<EventDefinition>,
}

impl Default for ConversionGoal {
    fn default() -> Self {
        Self::standard()
    }
}

impl ConversionGoal {
    /// The default goal: `purchase`, undefined (the standard rule).
    #[must_use]
    pub fn standard() -> Self {
        Self {
            name: DEFAULT_GOAL.to_owned(),
            definition: None,
        }
    }

    /// True when the goal follows the standard rule (custom events named like a purchase).
    #[must_use]
    pub fn is_standard(&self) -> bool {
        self.definition.as_ref().is_none_or(|d| {
            d.kind == DefinitionKind::Custom && d.pattern.trim().eq_ignore_ascii_case(DEFAULT_GOAL)
        })
    }

    /// True when the goal takes its revenue from its own occurrences' values.
    #[must_use]
    pub fn takes_own_value(&self) -> bool {
        !self.is_standard()
            && self
                .definition
                .as_ref()
                .is_some_and(|d| d.kind == DefinitionKind::Custom && d.value_from_event)
    }

    /// Whether `session` converted for this goal, and its revenue (see the type's rules).
    #[must_use]
    pub fn outcome(&self, session: &Session) -> (bool, Option<f64>) {
        let def = match &self.definition {
            Some(def) if !self.is_standard() => def,
            _ => return (session.converted(), session.revenue()),
        };
        let found = hits(def, session);
        if found.is_empty() {
            return (false, None);
        }
        let revenue = if self.takes_own_value() {
            found
                .iter()
                .filter_map(|h| h.value)
                .fold(None, |total, v| Some(total.unwrap_or(0.0) + v))
        } else {
            session.revenue()
        };
        (true, revenue)
    }

    /// The rule in words, e.g. `selector "#place-order"` or `custom events purchase,
    /// order_completed, checkout_completed, conversion (standard)`.
    #[must_use]
    pub fn rule(&self) -> String {
        match &self.definition {
            _ if self.is_standard() => format!(
                "custom events {} (standard)",
                crate::model::CONVERSION_EVENT_NAMES.join(", ")
            ),
            Some(d) => format!("{} {:?}", d.kind.as_str(), d.pattern),
            None => String::new(),
        }
    }

    /// True when the event `name` measures conversion itself (the goal, or a custom event
    /// named like a purchase): lift and intent leave those out, or they would tell converters
    /// apart by definition.
    #[must_use]
    pub fn measures_conversion(&self, name: &str) -> bool {
        is_conversion_event(name, &self.name)
    }
}

/// The standard funnel ending at the conversion goal: `view_item`, `add_to_cart`,
/// `begin_checkout` (those before the goal, when the goal is one of them), then the goal.
#[must_use]
pub fn default_funnel(goal_name: &str) -> Vec<String> {
    let mut steps: Vec<String> = ["view_item", ADD_TO_CART, BEGIN_CHECKOUT]
        .into_iter()
        .take_while(|s| *s != goal_name)
        .map(str::to_owned)
        .collect();
    steps.push(goal_name.to_owned());
    steps
}

/// True when `name` is the goal `goal_name` or a name of [`crate::model::CONVERSION_EVENT_NAMES`].
#[must_use]
pub fn is_conversion_event(name: &str, goal_name: &str) -> bool {
    name == goal_name
        || crate::model::CONVERSION_EVENT_NAMES
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
}

/// What the analysis needs of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionFacts {
    /// Row id in the library (for opening replays).
    pub session_rowid: i64,
    /// Device class.
    pub device: DeviceClass,
    /// Traffic channel.
    pub channel: Channel,
    /// It converted for the library's goal ([`ConversionGoal`]).
    pub converted: bool,
    /// Its revenue ([`ConversionGoal`]'s rule).
    pub revenue: f64,
    /// Signal kinds present.
    pub signals: Vec<String>,
    /// Session length, ms.
    pub duration_ms: i64,
}

/// Sessions and the hits of each definition, keyed by name then by session position.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The sessions analysed.
    pub sessions: Vec<SessionFacts>,
    /// Per definition name: per session position (index into `sessions`), its hit times in
    /// order, epoch ms.
    pub hits: HashMap<String, HashMap<usize, Vec<i64>>>,
}

impl Facts {
    fn has(&self, name: &str, position: usize) -> bool {
        self.hits
            .get(name)
            .is_some_and(|per| per.get(&position).is_some_and(|t| !t.is_empty()))
    }

    /// The facts of the sessions `keep` says yes to.
    #[must_use]
    pub fn subset(&self, keep: impl Fn(&SessionFacts) -> bool) -> Self {
        let mut map = HashMap::new();
        let mut sessions = Vec::new();
        for (i, s) in self.sessions.iter().enumerate() {
            if keep(s) {
                map.insert(i, sessions.len());
                sessions.push(s.clone());
            }
        }
        let hits = self
            .hits
            .iter()
            .map(|(name, per)| {
                let per = per
                    .iter()
                    .filter_map(|(i, t)| map.get(i).map(|j| (*j, t.clone())))
                    .collect();
                (name.clone(), per)
            })
            .collect();
        Self { sessions, hits }
    }
}

/// A segment dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentBy {
    /// Device class.
    Device,
    /// Traffic channel.
    Source,
}

impl SegmentBy {
    /// The segment value of a session.
    #[must_use]
    pub fn value_of(self, s: &SessionFacts) -> String {
        match self {
            Self::Device => s.device.as_str().to_owned(),
            Self::Source => s.channel.as_str().to_owned(),
        }
    }
}

/// Splits `facts` by `by`, largest segment first.
#[must_use]
pub fn segments(facts: &Facts, by: SegmentBy) -> Vec<(String, Facts)> {
    let mut values: Vec<String> = facts.sessions.iter().map(|s| by.value_of(s)).collect();
    values.sort();
    values.dedup();
    let mut out: Vec<(String, Facts)> = values
        .into_iter()
        .map(|v| {
            let sub = facts.subset(|s| by.value_of(s) == v);
            (v, sub)
        })
        .collect();
    out.sort_by(|a, b| {
        b.1.sessions
            .len()
            .cmp(&a.1.sessions.len())
            .then(a.0.cmp(&b.0))
    });
    out
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The KPI table of one set of sessions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kpis {
    /// Sessions (the sample size).
    pub sessions: usize,
    /// Sessions with a purchase.
    pub purchases: usize,
    /// `purchases / sessions`.
    pub conversion_rate: Option<f64>,
    /// Sessions with `add_to_cart`.
    pub add_to_cart: usize,
    /// `add_to_cart / sessions`.
    pub add_to_cart_rate: Option<f64>,
    /// Sessions with `begin_checkout`.
    pub checkouts_started: usize,
    /// Of those, sessions with a purchase.
    pub checkouts_completed: usize,
    /// `(checkouts_started − checkouts_completed) / checkouts_started`.
    pub cart_abandonment_rate: Option<f64>,
    /// `checkouts_completed / checkouts_started`.
    pub checkout_completion_rate: Option<f64>,
    /// Revenue of the purchases.
    pub revenue: f64,
    /// `revenue / purchases`.
    pub average_order_value: Option<f64>,
    /// `revenue / sessions`.
    pub revenue_per_visitor: Option<f64>,
}

/// Names of the events the KPIs read.
pub const ADD_TO_CART: &str = "add_to_cart";
/// See [`ADD_TO_CART`].
pub const BEGIN_CHECKOUT: &str = "begin_checkout";

/// The KPIs of `facts`.
#[must_use]
pub fn kpis(facts: &Facts) -> Kpis {
    let n = facts.sessions.len();
    let purchases = facts.sessions.iter().filter(|s| s.converted).count();
    let add_to_cart = (0..n).filter(|&i| facts.has(ADD_TO_CART, i)).count();
    let checkouts: Vec<usize> = (0..n).filter(|&i| facts.has(BEGIN_CHECKOUT, i)).collect();
    let completed = checkouts
        .iter()
        .filter(|&&i| facts.sessions[i].converted)
        .count();
    let revenue: f64 = facts.sessions.iter().map(|s| s.revenue).sum();
    Kpis {
        sessions: n,
        purchases,
        conversion_rate: ratio(purchases, n),
        add_to_cart,
        add_to_cart_rate: ratio(add_to_cart, n),
        checkouts_started: checkouts.len(),
        checkouts_completed: completed,
        cart_abandonment_rate: ratio(checkouts.len() - completed, checkouts.len()),
        checkout_completion_rate: ratio(completed, checkouts.len()),
        revenue,
        average_order_value: (purchases > 0).then(|| revenue / purchases as f64),
        revenue_per_visitor: (n > 0).then(|| revenue / n as f64),
    }
}

/// One funnel step's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelStep {
    /// Definition name.
    pub name: String,
    /// Sessions that reached it (in order, within the window).
    pub sessions: usize,
    /// `sessions / previous step's sessions` (1 for the first step).
    pub conversion_from_previous: Option<f64>,
    /// `sessions / first step's sessions`.
    pub conversion_from_start: Option<f64>,
    /// Sessions of the previous step that did not reach this one.
    pub dropped: usize,
}

/// A session that reached step `reached` (0-based) and went no further, with the moment it
/// reached it (where to open the replay).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dropper {
    /// Position in the facts' sessions.
    #[serde(skip)]
    pub position: usize,
    /// Row id in the library.
    pub session_rowid: i64,
    /// Last step reached, 0-based.
    pub reached: usize,
    /// When it reached it, epoch ms.
    pub at_ms: i64,
}

/// A funnel over `facts`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Funnel {
    /// The steps.
    pub steps: Vec<FunnelStep>,
    /// The sessions that stopped at each step (after the first one was reached).
    pub droppers: Vec<Dropper>,
}

/// Steps `names` in order: a session reaches step k when it has a hit of step k at or after
/// the time it reached step k − 1 (and within `window_ms` of the first step, when given).
#[must_use]
pub fn funnel(facts: &Facts, names: &[String], window_ms: Option<i64>) -> Funnel {
    let mut reached = vec![0usize; names.len()];
    let mut droppers = Vec::new();
    let empty = HashMap::new();
    let per_step: Vec<&HashMap<usize, Vec<i64>>> = names
        .iter()
        .map(|n| facts.hits.get(n).unwrap_or(&empty))
        .collect();
    for (position, session) in facts.sessions.iter().enumerate() {
        let mut last: Option<(usize, i64)> = None;
        let mut start = None;
        for (k, step) in per_step.iter().enumerate() {
            let after = last.map_or(i64::MIN, |(_, t)| t);
            let Some(t) = step
                .get(&position)
                .and_then(|times| times.iter().copied().find(|&t| t >= after))
            else {
                break;
            };
            let first = *start.get_or_insert(t);
            if window_ms.is_some_and(|w| t - first > w) {
                break;
            }
            reached[k] += 1;
            last = Some((k, t));
        }
        if let Some((k, t)) = last
            && k + 1 < names.len()
        {
            droppers.push(Dropper {
                position,
                session_rowid: session.session_rowid,
                reached: k,
                at_ms: t,
            });
        }
    }
    Funnel {
        steps: funnel_steps(names, &reached),
        droppers,
    }
}

/// The steps of a funnel from the sessions that reached each step (`reached[k]` for
/// `names[k]`, never rising): conversion from the previous step and from the start, drop-off.
#[must_use]
pub fn funnel_steps(names: &[String], reached: &[usize]) -> Vec<FunnelStep> {
    let first = reached.first().copied().unwrap_or(0);
    names
        .iter()
        .zip(reached)
        .enumerate()
        .map(|(k, (name, &sessions))| {
            let previous = if k == 0 { sessions } else { reached[k - 1] };
            FunnelStep {
                name: name.clone(),
                sessions,
                conversion_from_previous: ratio(sessions, previous),
                conversion_from_start: ratio(sessions, first),
                dropped: previous.saturating_sub(sessions),
            }
        })
        .collect()
}

/// Purchase rate of sessions with a behaviour against those without it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Lift {
    /// Definition name or signal kind.
    pub name: String,
    /// `event` or `signal`.
    pub what: &'static str,
    /// Sessions with it.
    pub with: usize,
    /// Share of sessions with it.
    pub rate: Option<f64>,
    /// Purchase rate with it.
    pub conversion_with: Option<f64>,
    /// Sessions without it.
    pub without: usize,
    /// Purchase rate without it.
    pub conversion_without: Option<f64>,
    /// `conversion_with / conversion_without`.
    pub ratio: Option<f64>,
    /// 95 % interval of the ratio (log method), when both groups have purchases.
    pub ratio_ci95: Option<(f64, f64)>,
}

/// Risk ratio `(a / n1) / (c / n2)` with its 95 % interval: `exp(ln RR ± 1.96 ·
/// sqrt(1/a − 1/n1 + 1/c − 1/n2))`.
#[must_use]
pub fn risk_ratio(a: usize, n1: usize, c: usize, n2: usize) -> (Option<f64>, Option<(f64, f64)>) {
    if n1 == 0 || n2 == 0 || c == 0 {
        return (None, None);
    }
    let rr = (a as f64 / n1 as f64) / (c as f64 / n2 as f64);
    if a == 0 {
        return (Some(rr), None);
    }
    let se = (1.0 / a as f64 - 1.0 / n1 as f64 + 1.0 / c as f64 - 1.0 / n2 as f64).sqrt();
    let ln = rr.ln();
    (
        Some(rr),
        Some(((ln - 1.96 * se).exp(), (ln + 1.96 * se).exp())),
    )
}

fn lift_row(facts: &Facts, name: &str, what: &'static str, with: &[bool]) -> Lift {
    let count = |converted: bool| {
        facts
            .sessions
            .iter()
            .zip(with)
            .filter(|(s, w)| **w && (!converted || s.converted))
            .count()
    };
    let converted = facts.sessions.iter().filter(|s| s.converted).count();
    lift_from_counts(
        name,
        what,
        LiftCounts {
            sessions: facts.sessions.len(),
            converted,
            with: count(false),
            with_converted: count(true),
        },
    )
}

/// What a lift row is computed from: sessions, and how many converted, in all and among those
/// with the event or signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiftCounts {
    /// Sessions analysed.
    pub sessions: usize,
    /// Of them, converted.
    pub converted: usize,
    /// Sessions with the event or signal.
    pub with: usize,
    /// Of them, converted.
    pub with_converted: usize,
}

/// The lift row of `name` (`what`: `event` or `signal`) from its counts, as [`lift`] makes it
/// (a store that counts on its server gives the counts alone).
#[must_use]
pub fn lift_from_counts(name: &str, what: &'static str, counts: LiftCounts) -> Lift {
    let n = counts.sessions;
    let (n1, a) = (counts.with, counts.with_converted);
    let n2 = n.saturating_sub(n1);
    let c = counts.converted.saturating_sub(a);
    let (ratio_value, ci) = risk_ratio(a, n1, c, n2);
    Lift {
        name: name.to_owned(),
        what,
        with: n1,
        rate: ratio(n1, n),
        conversion_with: ratio(a, n1),
        without: n2,
        conversion_without: ratio(c, n2),
        ratio: ratio_value,
        ratio_ci95: ci,
    }
}

/// Lift of every definition in `names` (purchase definitions excluded by the caller) and of
/// every signal kind in `signal_kinds`.
#[must_use]
pub fn lift(facts: &Facts, names: &[String], signal_kinds: &[&str]) -> Vec<Lift> {
    let n = facts.sessions.len();
    let mut out = Vec::new();
    for name in names {
        let with: Vec<bool> = (0..n).map(|i| facts.has(name, i)).collect();
        out.push(lift_row(facts, name, "event", &with));
    }
    for kind in signal_kinds {
        let with: Vec<bool> = facts
            .sessions
            .iter()
            .map(|s| s.signals.iter().any(|k| k == kind))
            .collect();
        out.push(lift_row(facts, kind, "signal", &with));
    }
    out
}

#[cfg(test)]
mod tests;

/// Intent score and velocity of one group of sessions (converting or not).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IntentGroup {
    /// Sessions in the group.
    pub n: usize,
    /// Mean intent score.
    pub intent_mean: Option<f64>,
    /// Median intent score.
    pub intent_median: Option<f64>,
    /// Mean velocity, micro-conversions per minute.
    pub velocity_mean: Option<f64>,
    /// Median velocity.
    pub velocity_median: Option<f64>,
    /// Largest velocity.
    pub velocity_max: Option<f64>,
}

/// Intent scores and velocities of converting against non-converting sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IntentReport {
    /// The weighted definitions used: (name, weight).
    pub weights: Vec<(String, u8)>,
    /// Sessions with a purchase.
    pub converted: IntentGroup,
    /// Sessions without.
    pub not_converted: IntentGroup,
    /// Sessions per intent score, 0 to the highest possible: (score, converted, not converted).
    pub histogram: Vec<(u32, usize, usize)>,
}

fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some(f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])),
    }
}

fn group(scores: &[(f64, f64)]) -> IntentGroup {
    let n = scores.len();
    let mean =
        |f: fn(&(f64, f64)) -> f64| (n > 0).then(|| scores.iter().map(f).sum::<f64>() / n as f64);
    let mut intent: Vec<f64> = scores.iter().map(|s| s.0).collect();
    let mut velocity: Vec<f64> = scores.iter().map(|s| s.1).collect();
    intent.sort_by(f64::total_cmp);
    velocity.sort_by(f64::total_cmp);
    IntentGroup {
        n,
        intent_mean: mean(|s| s.0),
        intent_median: median(&intent),
        velocity_mean: mean(|s| s.1),
        velocity_median: median(&velocity),
        velocity_max: velocity.last().copied(),
    }
}

/// Intent score and velocity (the CRO playbook's leading indicators): a session's intent score
/// is the sum of the weights of the distinct weighted events it did; its velocity is the number
/// of their occurrences per minute of the session. The goal's event and purchase events are
/// left out of both ([`is_conversion_event`]), or they would tell converters apart by definition.
#[must_use]
pub fn intent(facts: &Facts, weights: &[(String, u8)], goal_name: &str) -> IntentReport {
    let weights: Vec<(String, u8)> = weights
        .iter()
        .filter(|(name, _)| !is_conversion_event(name, goal_name))
        .cloned()
        .collect();
    let max_score: u32 = weights.iter().map(|(_, w)| u32::from(*w)).sum();
    let mut histogram: Vec<(u32, usize, usize)> = (0..=max_score).map(|s| (s, 0, 0)).collect();
    let (mut converted, mut not_converted) = (Vec::new(), Vec::new());
    for (position, session) in facts.sessions.iter().enumerate() {
        let mut score = 0_u32;
        let mut occurrences = 0_usize;
        for (name, weight) in &weights {
            if let Some(times) = facts.hits.get(name).and_then(|per| per.get(&position))
                && !times.is_empty()
            {
                score += u32::from(*weight);
                occurrences += times.len();
            }
        }
        let minutes = (session.duration_ms.max(1) as f64 / 60_000.0).max(1.0 / 60.0);
        let pair = (f64::from(score), occurrences as f64 / minutes);
        if let Some(bucket) = histogram.get_mut(score as usize) {
            if session.converted {
                bucket.1 += 1;
            } else {
                bucket.2 += 1;
            }
        }
        if session.converted {
            converted.push(pair);
        } else {
            not_converted.push(pair);
        }
    }
    IntentReport {
        weights,
        converted: group(&converted),
        not_converted: group(&not_converted),
        histogram,
    }
}
