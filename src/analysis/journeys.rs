//! Journeys: how visitors move between pages, as columns of steps and flows between them (the
//! data of a Sankey diagram), with the share that exits at each node, the conversion of the
//! sessions through it and the frustration signals seen there.
//!
//! Pure: a list of [`SessionPath`]s (each session's page views in order) and a [`JourneyQuery`]
//! in, [`Journeys`] out. Pages are labelled by path or by URL template ([`Templates`]): the
//! user's own rules first, then segments that look like ids (numbers, UUIDs, long hex), then
//! any segment position with more distinct values than [`Templates::fold_above`] under one
//! parent, so a shop with 10,000 product URLs still gives `/product/*`. Rare nodes fold into
//! "Other" per step. Loops stay visible: a page seen again later is a node of a later column.
//!
//! Definitions are in docs/JOURNEYS.md.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::UrlPattern;

/// Label of the node that gathers the rare pages of a step.
pub const OTHER_LABEL: &str = "Other";
/// Most steps (columns) a journey map shows.
pub const MAX_STEPS: usize = 20;
/// Examples kept per node and flow (sessions to open at that step).
pub const MAX_EXAMPLES: usize = 20;
/// By default a segment position folds to `*` when more than this many distinct values sit
/// under one parent path.
pub const DEFAULT_FOLD_ABOVE: usize = 12;
/// By default a node with fewer than this share of the journeys' sessions folds into "Other".
pub const DEFAULT_MIN_SHARE: f64 = 0.01;
/// By default at most this many nodes per step; the rest fold into "Other".
pub const DEFAULT_MAX_NODES_PER_STEP: usize = 12;
/// Most whole journeys listed in [`Journeys::paths`].
pub const MAX_PATHS: usize = 25;

/// One page view of a session's path.
#[derive(Clone, Debug, PartialEq)]
pub struct PathStep {
    /// The page URL (fragment already dropped by the reader).
    pub url: String,
    /// When the page view began, epoch ms.
    pub entered_at_ms: i64,
    /// Kinds of the signals detected on this page view (`rage_click`, `quick_back`, …), each once.
    pub signal_kinds: Vec<String>,
}

/// One session's page views, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionPath {
    /// The session id.
    pub session_id: String,
    /// It converted for the library's conversion goal.
    pub converted: bool,
    /// Its page views, in order.
    pub steps: Vec<PathStep>,
}

/// How pages become nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupBy {
    /// The URL path without query string (and the host when the sessions visit several).
    Path,
    /// The URL template: user rules, ids and high-cardinality segments folded to `*`.
    #[default]
    Template,
}

/// Where the journeys are anchored.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Anchor {
    /// From each session's first page view.
    #[default]
    Start,
    /// From the first page view matching the pattern; sessions without one are left out.
    FromPage(UrlPattern),
    /// The page views leading to the first one matching the pattern, which is the last column;
    /// sessions without one are left out.
    ToPage(UrlPattern),
    /// From the first page view matching the first pattern to the first later one matching the
    /// second; sessions that do not go from one to the other are left out.
    Between(UrlPattern, UrlPattern),
}

/// The template rules in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Templates {
    /// The user's rules, tried in order: a URL matching the pattern is labelled with the
    /// pattern's text.
    pub rules: Vec<UrlPattern>,
    /// Fold segments that look like ids (digits, UUIDs, hex of 8 or more characters).
    pub fold_ids: bool,
    /// Fold a segment position to `*` when more distinct values than this sit under one parent.
    pub fold_above: usize,
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            fold_ids: true,
            fold_above: DEFAULT_FOLD_ABOVE,
        }
    }
}

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneyQuery {
    /// Where the journeys begin (or end).
    pub anchor: Anchor,
    /// Columns, 1 to [`MAX_STEPS`].
    pub steps: usize,
    /// Path or template labels.
    pub group_by: GroupBy,
    /// Template rules (used with [`GroupBy::Template`]).
    pub templates: Templates,
    /// Nodes below this share of the sessions fold into "Other".
    pub min_share: f64,
    /// Most nodes per step before "Other".
    pub max_nodes_per_step: usize,
}

impl Default for JourneyQuery {
    fn default() -> Self {
        Self {
            anchor: Anchor::Start,
            steps: 5,
            group_by: GroupBy::Template,
            templates: Templates::default(),
            min_share: DEFAULT_MIN_SHARE,
            max_nodes_per_step: DEFAULT_MAX_NODES_PER_STEP,
        }
    }
}

/// A session at a step: which one, and when it entered that page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepMoment {
    /// The session id.
    pub session_id: String,
    /// When the page view of this step began, epoch ms (where its replay opens).
    pub entered_at_ms: i64,
}

/// A page (or "Other") at one step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JourneyNode {
    /// Path, template or [`OTHER_LABEL`].
    pub label: String,
    /// Sessions at this node.
    pub sessions: u64,
    /// Sessions whose journey ends here: their visit ended on this page view (for
    /// [`Anchor::Between`]: they reached the target here).
    pub exits: u64,
    /// Sessions at this node that converted.
    pub converted: u64,
    /// Per signal kind: sessions with that signal on this step's page view.
    pub signals: BTreeMap<String, u64>,
    /// Up to [`MAX_EXAMPLES`] sessions at this node, with the step's moment.
    pub examples: Vec<StepMoment>,
    /// For "Other": the labels folded into it.
    pub folded: Vec<String>,
}

impl JourneyNode {
    /// Share of the node's sessions that exit here (0 to 1).
    #[must_use]
    pub fn exit_share(&self) -> f64 {
        ratio(self.exits, self.sessions)
    }

    /// Share of the node's sessions that converted (0 to 1).
    #[must_use]
    pub fn conversion(&self) -> f64 {
        ratio(self.converted, self.sessions)
    }
}

/// Sessions going from a node of one step to a node of the next.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JourneyFlow {
    /// The step of the source node (the target is at `step + 1`).
    pub step: usize,
    /// Index of the source node in `steps[step]`.
    pub from: usize,
    /// Index of the target node in `steps[step + 1]`.
    pub to: usize,
    /// Sessions on this flow.
    pub sessions: u64,
    /// Of which converted.
    pub converted: u64,
    /// Per signal kind: sessions of this flow with that signal on the target's page view
    /// ("rage clicks on 8 % of the sessions that went cart → checkout").
    pub signals: BTreeMap<String, u64>,
    /// Up to [`MAX_EXAMPLES`] sessions on this flow, at the moment they entered the target.
    pub examples: Vec<StepMoment>,
}

/// The journey map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journeys {
    /// Nodes per step, most sessions first, "Other" last.
    pub steps: Vec<Vec<JourneyNode>>,
    /// Flows between consecutive steps, largest first.
    pub flows: Vec<JourneyFlow>,
    /// Sessions in the map.
    pub sessions: u64,
    /// Sessions given but left out by the anchor (or without page views).
    pub left_out: u64,
    /// Sessions whose journey goes on past the last step.
    pub continues: u64,
    /// The template labels and how many distinct URL paths each gathers (more than one only).
    pub templates: Vec<(String, u64)>,
    /// Whether the last column is the anchor (`ToPage`): steps then count back from it.
    pub ends_at_anchor: bool,
    /// The most travelled whole journeys (node sequences), most sessions first, at most
    /// [`MAX_PATHS`].
    pub paths: Vec<JourneyPath>,
}

/// A whole journey through the map: the same node at each of its steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JourneyPath {
    /// `(step, node index)` of each step, in order.
    pub nodes: Vec<(usize, usize)>,
    /// Sessions that made exactly this journey.
    pub sessions: u64,
    /// Of which converted.
    pub converted: u64,
    /// Of which the visit ended at the journey's last step.
    pub exits: u64,
    /// Per signal kind: sessions of this journey with that signal on any of its page views
    /// ("rage clicks on 8 % of the sessions that went cart → checkout → cart").
    pub signals: BTreeMap<String, u64>,
    /// Up to [`MAX_EXAMPLES`] sessions of this journey, at the moment of its first step.
    pub examples: Vec<StepMoment>,
}

impl Journeys {
    /// The node labels of `path`, joined with arrows (`/cart → /checkout → /cart`).
    #[must_use]
    pub fn path_text(&self, path: &JourneyPath) -> String {
        path.nodes
            .iter()
            .map(|(step, index)| {
                self.steps
                    .get(*step)
                    .and_then(|s| s.get(*index))
                    .map_or("?", |n| n.label.as_str())
            })
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// The same journey map of two segments, on one node layout: at each step the same nodes in
/// the same order (those of both segments together), so the two can be read side by side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JourneyComparison {
    /// Segment A's name (`converted`, `mobile`, …).
    pub label_a: String,
    /// Segment B's name.
    pub label_b: String,
    /// Segment A's map.
    pub a: Journeys,
    /// Segment B's map (node `i` of step `s` is the same page as in `a`).
    pub b: Journeys,
}

/// `part` of `whole` as a percentage with one decimal (`12.5 %`), or `–` when `whole` is 0.
#[must_use]
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `scheme://host` and the path of a URL, without query string or fragment.
fn host_and_path(url: &str) -> (&str, &str) {
    let url = url.split(['#', '?']).next().unwrap_or("");
    let Some(scheme_end) = url.find("://") else {
        return ("", if url.is_empty() { "/" } else { url });
    };
    let rest = &url[scheme_end + 3..];
    match rest.find('/') {
        Some(i) => (&url[..scheme_end + 3 + i], &rest[i..]),
        None => (url, "/"),
    }
}

/// True for a path segment that names one record rather than a kind of page.
#[must_use]
pub fn looks_like_id(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    let digits = segment.bytes().filter(u8::is_ascii_digit).count();
    if digits == segment.len() {
        return true;
    }
    let hex = segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if hex && segment.len() >= 8 && digits > 0 {
        return true;
    }
    // Long mixed tokens (order numbers like `A1B2C3D4E5`, base64 ids).
    segment.len() >= 16 && digits >= 4 && !segment.contains('-')
}

/// Labels pages by path or template.
#[derive(Debug)]
pub struct Labeller {
    group_by: GroupBy,
    rules: Vec<UrlPattern>,
    fold_ids: bool,
    /// Parent prefixes whose children fold to `*`.
    folded_parents: HashSet<String>,
    /// Whether labels carry the host (the sessions visit more than one).
    with_host: bool,
}

impl Labeller {
    /// Learns the folding from every URL of `paths`.
    #[must_use]
    pub fn new(paths: &[SessionPath], group_by: GroupBy, templates: &Templates) -> Self {
        let urls: HashSet<&str> = paths
            .iter()
            .flat_map(|p| &p.steps)
            .map(|s| s.url.as_str())
            .collect();
        Self::from_urls(urls.into_iter(), group_by, templates)
    }

    /// Learns the folding from these distinct URLs.
    #[must_use]
    pub fn from_urls<'a>(
        urls: impl Iterator<Item = &'a str>,
        group_by: GroupBy,
        templates: &Templates,
    ) -> Self {
        let mut hosts = HashSet::new();
        let mut children: HashMap<String, HashSet<&str>> = HashMap::new();
        for url in urls {
            let (host, path) = host_and_path(url);
            hosts.insert(host);
            if group_by == GroupBy::Path || templates.rules.iter().any(|r| r.matches(url)) {
                continue;
            }
            let mut parent = String::new();
            for segment in path.split('/').filter(|s| !s.is_empty()) {
                let seg = if templates.fold_ids && looks_like_id(segment) {
                    "*"
                } else {
                    segment
                };
                children.entry(parent.clone()).or_default().insert(seg);
                parent.push('/');
                parent.push_str(seg);
            }
        }
        let folded_parents = if group_by == GroupBy::Template {
            children
                .into_iter()
                .filter(|(_, c)| c.len() > templates.fold_above)
                .map(|(p, _)| p)
                .collect()
        } else {
            HashSet::new()
        };
        Self {
            group_by,
            rules: templates.rules.clone(),
            fold_ids: templates.fold_ids,
            folded_parents,
            with_host: hosts.len() > 1,
        }
    }

    /// The node label of `url`.
    #[must_use]
    pub fn label(&self, url: &str) -> String {
        let (host, path) = host_and_path(url);
        let prefix = if self.with_host { host } else { "" };
        if self.group_by == GroupBy::Path {
            return format!("{prefix}{path}");
        }
        if let Some(rule) = self.rules.iter().find(|r| r.matches(url)) {
            return rule.as_str().to_owned();
        }
        let mut out = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            let seg = if (self.fold_ids && looks_like_id(segment))
                || self.folded_parents.contains(&out)
            {
                "*"
            } else {
                segment
            };
            out.push('/');
            out.push_str(seg);
        }
        if out.is_empty() {
            out.push('/');
        }
        if path.ends_with('/') && out.len() > 1 {
            out.push('/');
        }
        format!("{prefix}{out}")
    }
}

/// Every distinct URL of the paths once: its label and whether it matches the anchor's pages,
/// so the per-step work is table lookups.
struct UrlTable<'a> {
    /// URL → its row.
    row_of: HashMap<&'a str, u32>,
    /// Per row: its label's id.
    label_of: Vec<u32>,
    /// Per row: matches the first (or only) anchor page, and the second.
    hits: Vec<(bool, bool)>,
    /// Label texts by id.
    labels: Vec<String>,
    /// Per label id: the URL paths it gathers.
    paths_of_label: Vec<HashSet<&'a str>>,
}

impl<'a> UrlTable<'a> {
    fn new(paths: impl Iterator<Item = &'a SessionPath>, query: &JourneyQuery) -> Self {
        let mut row_of: HashMap<&str, u32> = HashMap::new();
        let mut urls: Vec<&str> = Vec::new();
        for step in paths.flat_map(|p| &p.steps) {
            row_of.entry(step.url.as_str()).or_insert_with(|| {
                urls.push(step.url.as_str());
                (urls.len() - 1) as u32
            });
        }
        let labeller = Labeller::from_urls(urls.iter().copied(), query.group_by, &query.templates);
        let (pa, pb) = match &query.anchor {
            Anchor::Start => (None, None),
            Anchor::FromPage(p) | Anchor::ToPage(p) => (Some(p), None),
            Anchor::Between(a, b) => (Some(a), Some(b)),
        };
        let mut id_of: HashMap<String, u32> = HashMap::new();
        let mut labels = Vec::new();
        let mut paths_of_label: Vec<HashSet<&str>> = Vec::new();
        let mut label_of = Vec::with_capacity(urls.len());
        let mut hits = Vec::with_capacity(urls.len());
        for url in &urls {
            let label = labeller.label(url);
            let id = *id_of.entry(label.clone()).or_insert_with(|| {
                labels.push(label);
                paths_of_label.push(HashSet::new());
                (labels.len() - 1) as u32
            });
            if let Some(set) = paths_of_label.get_mut(id as usize) {
                set.insert(host_and_path(url).1);
            }
            label_of.push(id);
            hits.push((
                pa.is_some_and(|p| p.matches(url)),
                pb.is_some_and(|p| p.matches(url)),
            ));
        }
        Self {
            row_of,
            label_of,
            hits,
            labels,
            paths_of_label,
        }
    }
}

/// One session's journey: its (label id, page view) steps.
type JourneySteps<'a> = Vec<(u32, &'a PathStep)>;

/// The steps of one session's journey, and whether the journey goes on past the last one.
/// `None` when the anchor leaves the session out.
fn journey_of<'a>(
    path: &'a SessionPath,
    table: &UrlTable<'_>,
    query: &JourneyQuery,
) -> Option<(JourneySteps<'a>, bool)> {
    // (URL row, page view); reloads (the same URL twice in a row) are one step.
    let mut steps: Vec<(u32, &PathStep)> = Vec::with_capacity(path.steps.len());
    for s in &path.steps {
        let row = table.row_of.get(s.url.as_str()).copied()?;
        if steps.last().is_none_or(|(r, _)| *r != row) {
            steps.push((row, s));
        }
    }
    let hit = |row: u32| table.hits.get(row as usize).copied().unwrap_or_default();
    let n = query.steps.clamp(1, MAX_STEPS);
    let (range, continues) = match &query.anchor {
        Anchor::Start => {
            if steps.is_empty() {
                return None;
            }
            (0..steps.len().min(n), steps.len() > n)
        }
        Anchor::FromPage(_) => {
            let first = steps.iter().position(|(r, _)| hit(*r).0)?;
            let end = steps.len().min(first + n);
            (first..end, steps.len() > end)
        }
        Anchor::ToPage(_) => {
            let last = steps.iter().position(|(r, _)| hit(*r).0)?;
            let start = (last + 1).saturating_sub(n);
            (start..last + 1, steps.len() > last + 1)
        }
        Anchor::Between(..) => {
            let first = steps.iter().position(|(r, _)| hit(*r).0)?;
            let offset = steps
                .get(first + 1..)?
                .iter()
                .position(|(r, _)| hit(*r).1)?;
            let target = first + 1 + offset;
            let end = (target + 1).min(first + n);
            (first..end, end <= target)
        }
    };
    let out = steps
        .get(range)?
        .iter()
        .map(|(row, s)| (table.label_of.get(*row as usize).copied().unwrap_or(0), *s))
        .collect::<Vec<_>>();
    (!out.is_empty()).then_some((out, continues))
}

fn push_example(examples: &mut Vec<StepMoment>, session_id: &str, entered_at_ms: i64) {
    if examples.len() < MAX_EXAMPLES {
        examples.push(StepMoment {
            session_id: session_id.to_owned(),
            entered_at_ms,
        });
    }
}

/// Counts one session for each distinct kind of `kinds`.
fn add_kinds(counts: &mut BTreeMap<String, u64>, kinds: &[String]) {
    for (i, kind) in kinds.iter().enumerate() {
        if kinds[..i].contains(kind) {
            continue;
        }
        match counts.get_mut(kind.as_str()) {
            Some(k) => *k += 1,
            None => {
                counts.insert(kind.clone(), 1);
            }
        }
    }
}

/// No node (a label not seen at a step).
const NO_NODE: usize = usize::MAX;

/// Computes the journey map of `paths`.
#[must_use]
pub fn journeys(paths: &[SessionPath], query: &JourneyQuery) -> Journeys {
    let table = UrlTable::new(paths.iter(), query);
    build(paths, &table, query, None)
}

/// The journey maps of two segments on one node layout ([`JourneyComparison`]): pages are
/// labelled from the URLs of both, and each step's nodes are those of both segments together
/// (the same folding into "Other"), each map counting its own sessions on them.
#[must_use]
pub fn compare_journeys(
    (label_a, paths_a): (&str, &[SessionPath]),
    (label_b, paths_b): (&str, &[SessionPath]),
    query: &JourneyQuery,
) -> JourneyComparison {
    let table = UrlTable::new(paths_a.iter().chain(paths_b), query);
    let both: Vec<SessionPath> = paths_a.iter().chain(paths_b).cloned().collect();
    let layout = build(&both, &table, query, None);
    JourneyComparison {
        label_a: label_a.to_owned(),
        label_b: label_b.to_owned(),
        a: build(paths_a, &table, query, Some(&layout.steps)),
        b: build(paths_b, &table, query, Some(&layout.steps)),
    }
}

/// The journey map of `paths` with the labels of `table`; with `layout`, each step's nodes are
/// its nodes (same labels, same order, same folding), else the largest labels of `paths`.
fn build(
    paths: &[SessionPath],
    table: &UrlTable<'_>,
    query: &JourneyQuery,
    layout: Option<&[Vec<JourneyNode>]>,
) -> Journeys {
    let n = query.steps.clamp(1, MAX_STEPS);
    let ends_at_anchor = matches!(query.anchor, Anchor::ToPage(_));
    let num_labels = table.labels.len();

    // Pass 1: each session's journey, and the sessions per (step, label).
    let mut journeys: Vec<(&SessionPath, JourneySteps<'_>, bool)> = Vec::new();
    let mut left_out = 0u64;
    for path in paths {
        match journey_of(path, table, query) {
            Some((steps, continues)) => journeys.push((path, steps, continues)),
            None => left_out += 1,
        }
    }
    // Column of each journey step: counted from the start, or from the end for `ToPage`.
    let column = |len: usize, i: usize| if ends_at_anchor { n - len + i } else { i };
    let mut counts: Vec<Vec<u64>> = vec![vec![0; num_labels]; n];
    for (_, steps, _) in &journeys {
        for (i, (label, _)) in steps.iter().enumerate() {
            if let Some(c) = counts
                .get_mut(column(steps.len(), i))
                .and_then(|c| c.get_mut(*label as usize))
            {
                *c += 1;
            }
        }
    }
    let total = journeys.len() as u64;
    let min_sessions = (query.min_share.max(0.0) * total as f64).ceil() as u64;
    let text = |id: usize| table.labels.get(id).map_or("", String::as_str);

    // The nodes of each step: the largest labels, then "Other".
    let mut steps: Vec<Vec<JourneyNode>> = Vec::with_capacity(n);
    let mut node_of: Vec<Vec<usize>> = Vec::with_capacity(n);
    if let Some(layout) = layout {
        for (col, c) in counts.iter().enumerate() {
            let fixed = layout.get(col).map_or(&[][..], Vec::as_slice);
            let mut nodes: Vec<JourneyNode> = fixed
                .iter()
                .map(|f| JourneyNode {
                    label: f.label.clone(),
                    folded: f.folded.clone(),
                    ..JourneyNode::default()
                })
                .collect();
            let named: HashMap<&str, usize> = fixed
                .iter()
                .enumerate()
                .filter(|(_, f)| f.folded.is_empty())
                .map(|(i, f)| (f.label.as_str(), i))
                .collect();
            let mut other = nodes.iter().position(|f| !f.folded.is_empty());
            let mut index = vec![NO_NODE; num_labels];
            for (label, k) in c.iter().enumerate() {
                if *k == 0 {
                    continue;
                }
                index[label] = match named.get(text(label)).copied() {
                    Some(i) => i,
                    // Not in the layout (it was made from other sessions): into "Other".
                    None => *other.get_or_insert_with(|| {
                        nodes.push(JourneyNode {
                            label: OTHER_LABEL.to_owned(),
                            folded: vec![text(label).to_owned()],
                            ..JourneyNode::default()
                        });
                        nodes.len() - 1
                    }),
                };
            }
            steps.push(nodes);
            node_of.push(index);
        }
    }
    for c in counts.iter().skip(steps.len()) {
        let mut labels: Vec<(usize, u64)> = c
            .iter()
            .enumerate()
            .filter(|(_, k)| **k > 0)
            .map(|(l, k)| (l, *k))
            .collect();
        labels.sort_by(|a, b| b.1.cmp(&a.1).then(text(a.0).cmp(text(b.0))));
        let mut nodes = Vec::new();
        let mut index = vec![NO_NODE; num_labels];
        let mut folded = Vec::new();
        for (label, k) in labels {
            if nodes.len() < query.max_nodes_per_step.max(1) && k >= min_sessions.max(1) {
                index[label] = nodes.len();
                nodes.push(JourneyNode {
                    label: text(label).to_owned(),
                    ..JourneyNode::default()
                });
            } else {
                folded.push(label);
            }
        }
        if !folded.is_empty() {
            let other = nodes.len();
            for label in &folded {
                index[*label] = other;
            }
            nodes.push(JourneyNode {
                label: OTHER_LABEL.to_owned(),
                folded: folded.iter().map(|l| text(*l).to_owned()).collect(),
                ..JourneyNode::default()
            });
        }
        steps.push(nodes);
        node_of.push(index);
    }

    // Pass 2: fill nodes and flows.
    let mut flows: HashMap<(usize, usize, usize), JourneyFlow> = HashMap::new();
    let mut whole: HashMap<Vec<(usize, usize)>, JourneyPath> = HashMap::new();
    let mut continues_total = 0u64;
    for (path, journey, continues) in &journeys {
        if *continues {
            continues_total += 1;
        }
        let mut key: Vec<(usize, usize)> = Vec::with_capacity(journey.len());
        let mut kinds: Vec<String> = Vec::new();
        let mut previous: Option<(usize, usize)> = None;
        for (i, (label, step)) in journey.iter().enumerate() {
            let col = column(journey.len(), i);
            let Some(&node) = node_of
                .get(col)
                .and_then(|m| m.get(*label as usize))
                .filter(|n| **n != NO_NODE)
            else {
                continue;
            };
            let Some(n) = steps.get_mut(col).and_then(|s| s.get_mut(node)) else {
                continue;
            };
            n.sessions += 1;
            n.converted += u64::from(path.converted);
            add_kinds(&mut n.signals, &step.signal_kinds);
            push_example(&mut n.examples, &path.session_id, step.entered_at_ms);
            if i + 1 == journey.len() && !continues {
                n.exits += 1;
            }
            if let Some((pcol, pnode)) = previous {
                let f = flows
                    .entry((pcol, pnode, node))
                    .or_insert_with(|| JourneyFlow {
                        step: pcol,
                        from: pnode,
                        to: node,
                        ..JourneyFlow::default()
                    });
                f.sessions += 1;
                f.converted += u64::from(path.converted);
                add_kinds(&mut f.signals, &step.signal_kinds);
                push_example(&mut f.examples, &path.session_id, step.entered_at_ms);
            }
            previous = Some((col, node));
            key.push((col, node));
            kinds.extend(step.signal_kinds.iter().cloned());
        }
        if key.is_empty() {
            continue;
        }
        let w = whole.entry(key).or_insert_with_key(|k| JourneyPath {
            nodes: k.clone(),
            ..JourneyPath::default()
        });
        w.sessions += 1;
        w.converted += u64::from(path.converted);
        w.exits += u64::from(!continues);
        add_kinds(&mut w.signals, &kinds);
        if let Some((_, first)) = journey.first() {
            push_example(&mut w.examples, &path.session_id, first.entered_at_ms);
        }
    }
    let mut top_paths: Vec<JourneyPath> = whole.into_values().collect();
    top_paths.sort_by(|a, b| b.sessions.cmp(&a.sessions).then(a.nodes.cmp(&b.nodes)));
    top_paths.truncate(MAX_PATHS);
    let mut flows: Vec<JourneyFlow> = flows.into_values().collect();
    flows.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(a.step.cmp(&b.step))
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
    });

    // The templates that gather more than one URL path.
    let templates = if query.group_by == GroupBy::Template {
        let mut t: Vec<(String, u64)> = table
            .labels
            .iter()
            .zip(&table.paths_of_label)
            .filter(|(_, paths)| paths.len() > 1)
            .map(|(label, paths)| (label.clone(), paths.len() as u64))
            .collect();
        t.sort();
        t
    } else {
        Vec::new()
    };

    Journeys {
        steps,
        flows,
        sessions: total,
        left_out,
        continues: continues_total,
        templates,
        ends_at_anchor,
        paths: top_paths,
    }
}

#[cfg(test)]
mod tests;
