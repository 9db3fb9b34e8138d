//! The journeys view: how visitors move between pages, as a Sankey diagram (pages as nodes in
//! step columns, flows as bands as wide as their sessions). Hover a node or band for its
//! figures; click it to list its sessions, each opening the replay at the moment of that step.
//! The layout is `render::journeys::layout`, the same one `sessionlens journeys --png` draws.
//! Two segments (converted or not, mobile or desktop, a source, before or after a day) can be
//! compared side by side on one node layout (`analysis::journeys::compare_journeys`), and the
//! most travelled whole journeys are listed with the signals seen along them.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use super::app::ViewContext;
use super::command::Command;
use super::theme;
use crate::analysis::compare::ComparePreset;
use crate::analysis::journeys::{
    Anchor, GroupBy, JourneyComparison, JourneyNode, JourneyQuery, Journeys, StepMoment, Templates,
    percent,
};
use crate::model::{DeviceClass, SessionFilter, UrlPattern, time};
use crate::render::journeys::{SankeyLayout, layout};

/// Where the journeys start or end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnchorChoice {
    /// Each session's first page.
    #[default]
    Start,
    /// From a page.
    From,
    /// Leading to a page.
    To,
    /// From one page to another.
    Between,
}

impl AnchorChoice {
    fn label(self) -> &'static str {
        match self {
            Self::Start => "from the first page",
            Self::From => "from page",
            Self::To => "leading to page",
            Self::Between => "between pages",
        }
    }
}

/// What the map shows.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneysChoice {
    /// The anchor.
    pub anchor: AnchorChoice,
    /// The page of `From` and `To`, the first page of `Between` (URL or pattern).
    pub page: String,
    /// The second page of `Between`.
    pub page_to: String,
    /// Columns.
    pub steps: u8,
    /// Group pages by URL template (else by path).
    pub templates: bool,
    /// Device (None: any).
    pub device: Option<DeviceClass>,
    /// Converted sessions only, the others only, or all.
    pub converted: Option<bool>,
    /// Two segments side by side, or one map.
    pub compare: CompareChoice,
    /// The traffic source (`source:`) or day (`before:`) of the comparison.
    pub compare_text: String,
    /// The user's URL templates, one pattern per line (`/collections/*`).
    pub template_rules: String,
}

/// Which two segments the map compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompareChoice {
    /// One map.
    #[default]
    Off,
    /// Converted sessions vs the others.
    Converted,
    /// Mobile vs desktop.
    MobileDesktop,
    /// One traffic source vs all sessions.
    Source,
    /// Before a day vs from it on.
    Before,
}

impl CompareChoice {
    const ALL: [Self; 5] = [
        Self::Off,
        Self::Converted,
        Self::MobileDesktop,
        Self::Source,
        Self::Before,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Off => "one map",
            Self::Converted => "converted vs not",
            Self::MobileDesktop => "mobile vs desktop",
            Self::Source => "a source vs all",
            Self::Before => "before vs from a day",
        }
    }
}

impl Default for JourneysChoice {
    fn default() -> Self {
        Self {
            anchor: AnchorChoice::Start,
            page: String::new(),
            page_to: String::new(),
            steps: 5,
            templates: true,
            device: None,
            converted: None,
            compare: CompareChoice::Off,
            compare_text: String::new(),
            template_rules: String::new(),
        }
    }
}

impl JourneysChoice {
    /// The analysis query. An anchor whose page is empty falls back to the first page.
    #[must_use]
    pub fn query(&self) -> JourneyQuery {
        let (a, b) = (self.page.trim(), self.page_to.trim());
        let anchor = match self.anchor {
            AnchorChoice::From if !a.is_empty() => Anchor::FromPage(UrlPattern::new(a)),
            AnchorChoice::To if !a.is_empty() => Anchor::ToPage(UrlPattern::new(a)),
            AnchorChoice::Between if !a.is_empty() && !b.is_empty() => {
                Anchor::Between(UrlPattern::new(a), UrlPattern::new(b))
            }
            _ => Anchor::Start,
        };
        JourneyQuery {
            anchor,
            steps: usize::from(self.steps.clamp(1, 10)),
            group_by: if self.templates {
                GroupBy::Template
            } else {
                GroupBy::Path
            },
            templates: Templates {
                rules: self
                    .template_rules
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(UrlPattern::new)
                    .collect(),
                ..Templates::default()
            },
            ..JourneyQuery::default()
        }
    }

    /// The comparison asked for: `Ok(None)` for one map, an error when its source or day is
    /// missing or not a day.
    pub fn preset(&self) -> Result<Option<ComparePreset>, String> {
        let text = self.compare_text.trim();
        match self.compare {
            CompareChoice::Off => Ok(None),
            CompareChoice::Converted => Ok(Some(ComparePreset::Converted)),
            CompareChoice::MobileDesktop => Ok(Some(ComparePreset::Device(
                DeviceClass::Mobile,
                DeviceClass::Desktop,
            ))),
            CompareChoice::Source if text.is_empty() => {
                Err("name a traffic source to compare (paid_social, google, …)".to_owned())
            }
            CompareChoice::Source => ComparePreset::parse(&format!("source:{text}")).map(Some),
            CompareChoice::Before => ComparePreset::parse(&format!("before:{text}")).map(Some),
        }
    }

    /// The sessions in scope.
    #[must_use]
    pub fn filter(&self) -> SessionFilter {
        SessionFilter {
            device: self.device,
            converted: self.converted,
            ..SessionFilter::default()
        }
    }
}

/// A node or a flow of the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JourneyPick {
    /// `Journeys::steps[step][index]`.
    Node {
        /// Its column.
        step: usize,
        /// Its index in the column.
        index: usize,
    },
    /// `Journeys::flows[i]`.
    Flow(usize),
    /// `Journeys::paths[i]`: a whole journey.
    Path(usize),
}

/// Which map of a comparison (`A` is the only map without one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Segment {
    /// The first (or only) map.
    #[default]
    A,
    /// The second map of a comparison.
    B,
}

/// What the last query answered.
#[derive(Clone, Debug, PartialEq)]
pub enum JourneysAnswer {
    /// One map.
    One(Journeys),
    /// Two segments on one node layout.
    Two(JourneyComparison),
}

impl JourneysAnswer {
    /// The map of `segment` (`B` of a single map is none).
    #[must_use]
    pub fn map(&self, segment: Segment) -> Option<&Journeys> {
        match (self, segment) {
            (Self::One(m), Segment::A) => Some(m),
            (Self::One(_), Segment::B) => None,
            (Self::Two(c), Segment::A) => Some(&c.a),
            (Self::Two(c), Segment::B) => Some(&c.b),
        }
    }

    /// Each map with its segment and, in a comparison, its label.
    #[must_use]
    pub fn maps(&self) -> Vec<(Segment, Option<&str>, &Journeys)> {
        match self {
            Self::One(m) => vec![(Segment::A, None, m)],
            Self::Two(c) => vec![
                (Segment::A, Some(c.label_a.as_str()), &c.a),
                (Segment::B, Some(c.label_b.as_str()), &c.b),
            ],
        }
    }
}

/// State of the journeys view.
#[derive(Default)]
pub struct JourneysView {
    /// The choice in force.
    pub choice: JourneysChoice,
    /// The choice being edited (applied with "Show").
    pub draft: Option<JourneysChoice>,
    /// Newest query generation.
    pub generation: u64,
    /// A query is out.
    pub loading: bool,
    /// The map, or the two maps of a comparison.
    pub answer: Option<JourneysAnswer>,
    /// Why the last query failed.
    pub error: Option<String>,
    /// The selected node, flow or whole journey, and the map it is on.
    pub picked: Option<(Segment, JourneyPick)>,
    /// The map has been asked for.
    pub requested: bool,
}

fn node_lines(node: &JourneyNode, step: usize) -> Vec<String> {
    let mut lines = vec![
        format!("Step {}: {}", step + 1, node.label),
        format!(
            "{} sessions · exit here {} · converted {}",
            node.sessions,
            percent(node.exits, node.sessions),
            percent(node.converted, node.sessions)
        ),
    ];
    for (kind, k) in &node.signals {
        lines.push(format!(
            "{kind}: {} of the sessions",
            percent(*k, node.sessions)
        ));
    }
    if !node.folded.is_empty() {
        lines.push(format!("gathers {} pages", node.folded.len()));
    }
    lines
}

fn flow_lines(map: &Journeys, i: usize) -> Vec<String> {
    let Some(f) = map.flows.get(i) else {
        return Vec::new();
    };
    let label = |step: usize, idx: usize| {
        map.steps
            .get(step)
            .and_then(|s| s.get(idx))
            .map_or("?", |n| n.label.as_str())
    };
    let mut lines = vec![
        format!(
            "Step {} → {}: {} → {}",
            f.step + 1,
            f.step + 2,
            label(f.step, f.from),
            label(f.step + 1, f.to)
        ),
        format!(
            "{} sessions · converted {}",
            f.sessions,
            percent(f.converted, f.sessions)
        ),
    ];
    for (kind, k) in &f.signals {
        lines.push(format!(
            "{kind} on arrival: {} of the sessions",
            percent(*k, f.sessions)
        ));
    }
    lines
}

fn path_lines(map: &Journeys, i: usize) -> Vec<String> {
    let Some(p) = map.paths.get(i) else {
        return Vec::new();
    };
    let mut lines = vec![
        map.path_text(p),
        format!(
            "{} sessions · converted {} · exit at the end {}",
            p.sessions,
            percent(p.converted, p.sessions),
            percent(p.exits, p.sessions)
        ),
    ];
    for (kind, k) in &p.signals {
        lines.push(format!(
            "{kind} on any step: {} of the sessions",
            percent(*k, p.sessions)
        ));
    }
    lines
}

fn pick_lines(map: &Journeys, pick: JourneyPick) -> Vec<String> {
    match pick {
        JourneyPick::Node { step, index } => map
            .steps
            .get(step)
            .and_then(|s| s.get(index))
            .map(|n| node_lines(n, step))
            .unwrap_or_default(),
        JourneyPick::Flow(i) => flow_lines(map, i),
        JourneyPick::Path(i) => path_lines(map, i),
    }
}

fn rgb(c: [u8; 3], alpha: u8) -> Color32 {
    Color32::from_rgba_unmultiplied(c[0], c[1], c[2], alpha)
}

/// The journeys view.
pub fn journeys_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let view = &mut app.state.journeys;
    let mut out = Vec::new();
    if !view.requested {
        out.push(Command::SetJourneysChoice(Box::new(view.choice.clone())));
    }
    egui::Panel::right("journeys_side")
        .resizable(true)
        .default_size(theme::SIDE_WIDTH)
        .min_size(280.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("journeys_side_scroll")
                .show(ui, |ui| side_ui(view, ui, &mut out));
        });
    egui::CentralPanel::default_margins().show(ui, |ui| {
        controls_ui(view, ui, &mut out);
        ui.separator();
        if let Some(e) = &view.error {
            ui.colored_label(theme::ERROR_ON_PANEL, e);
        }
        let Some(answer) = &view.answer else {
            if view.loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Following the journeys…");
                });
            }
            return;
        };
        let maps = answer.maps();
        let summary: Vec<String> = maps
            .iter()
            .map(|(_, label, map)| {
                format!(
                    "{}{} sessions in the map · {} left out by the anchor · {} go on past the last step",
                    label.map_or(String::new(), |l| format!("{l}: ")),
                    map.sessions,
                    map.left_out,
                    map.continues,
                )
            })
            .collect();
        ui.label(format!(
            "{}{}",
            summary.join("   |   "),
            if view.loading { " · updating…" } else { "" }
        ));
        if maps.iter().all(|(_, _, m)| m.sessions == 0) {
            ui.label("No session matches: change the page, the steps or the filters.");
            return;
        }
        let size = ui.available_size().max(Vec2::new(300.0, 200.0));
        let width = size.x / maps.len() as f32;
        ui.horizontal_top(|ui| {
            for (segment, label, map) in &maps {
                let title = label.map(|l| {
                    format!(
                        "{}: {l} · {} sessions",
                        if *segment == Segment::A { "A" } else { "B" },
                        map.sessions
                    )
                });
                let picked = view
                    .picked
                    .filter(|(s, _)| s == segment)
                    .map(|(_, p)| p);
                let panel = Vec2::new(width - 4.0, size.y);
                if let Some(clicked) = sankey_ui(ui, map, title.as_deref(), picked, panel) {
                    out.push(Command::PickJourney(clicked.map(|p| (*segment, p))));
                }
            }
        });
    });
    app.state.commands.extend(out);
}

/// Draws `map` as a Sankey diagram in a `size` box (under `title` when given), with `picked`
/// highlighted and hover figures; returns `Some(pick)` when clicked (`Some(None)`: clicked on
/// nothing).
pub fn sankey_ui(
    ui: &mut egui::Ui,
    map: &Journeys,
    title: Option<&str>,
    picked: Option<JourneyPick>,
    size: Vec2,
) -> Option<Option<JourneyPick>> {
    let (response, painter) = ui.allocate_painter(size, Sense::click());
    let mut origin = response.rect.min;
    if let Some(title) = title {
        painter.text(
            origin + Vec2::new(4.0, 2.0),
            egui::Align2::LEFT_TOP,
            title,
            egui::FontId::proportional(14.0),
            ui.visuals().strong_text_color(),
        );
        origin.y += 22.0;
    }
    let placed = layout(map, size.x, size.y - (origin.y - response.rect.min.y));
    paint(&painter, origin, map, &placed, picked, ui);
    let hovered = response
        .hover_pos()
        .and_then(|p| pick_at(&placed, p - origin));
    if let Some(pick) = hovered {
        let lines = pick_lines(map, pick);
        response.clone().on_hover_ui_at_pointer(|ui| {
            for line in lines {
                ui.label(line);
            }
            ui.weak("Click to list its sessions");
        });
    }
    response.clicked().then_some(hovered)
}

fn pick_at(placed: &SankeyLayout, at: Vec2) -> Option<JourneyPick> {
    if let Some(n) = placed.node_at(at.x, at.y) {
        return Some(JourneyPick::Node {
            step: n.step,
            index: n.index,
        });
    }
    placed
        .band_at(at.x, at.y)
        .map(|b| JourneyPick::Flow(b.flow))
}

/// Segments a band is drawn with, left to right.
const BAND_SEGMENTS: usize = 28;

fn paint(
    painter: &egui::Painter,
    origin: Pos2,
    map: &Journeys,
    placed: &SankeyLayout,
    picked: Option<JourneyPick>,
    ui: &egui::Ui,
) {
    let text_colour = ui.visuals().text_color();
    let path = match picked {
        Some(JourneyPick::Path(i)) => map.paths.get(i).map(|p| p.nodes.as_slice()),
        _ => None,
    };
    let on_path = |step: usize, index: usize| path.is_some_and(|p| p.contains(&(step, index)));
    for band in &placed.bands {
        let flow_on_path = map.flows.get(band.flow).is_some_and(|f| {
            path.is_some_and(|p| {
                p.windows(2)
                    .any(|w| w[0] == (f.step, f.from) && w[1] == (f.step + 1, f.to))
            })
        });
        let selected = picked == Some(JourneyPick::Flow(band.flow)) || flow_on_path;
        let mut mesh = egui::Mesh::default();
        let colour = rgb(band.rgb, if selected { 200 } else { 90 });
        for s in 0..=BAND_SEGMENTS {
            let x = band.x.0 + (band.x.1 - band.x.0) * s as f32 / BAND_SEGMENTS as f32;
            let (top, bottom) = band.span_at(x);
            let bottom = bottom.max(top + 1.0);
            mesh.colored_vertex(origin + Vec2::new(x, top), colour);
            mesh.colored_vertex(origin + Vec2::new(x, bottom), colour);
            if s > 0 {
                let i = (2 * s) as u32;
                mesh.add_triangle(i - 2, i - 1, i);
                mesh.add_triangle(i - 1, i + 1, i);
            }
        }
        painter.add(egui::Shape::mesh(mesh));
    }
    for node in &placed.nodes {
        let r = node.rect;
        let rect = Rect::from_min_size(origin + Vec2::new(r.x, r.y), Vec2::new(r.w, r.h));
        painter.rect_filled(rect, 1.0, rgb(node.rgb, 255));
        if picked
            == Some(JourneyPick::Node {
                step: node.step,
                index: node.index,
            })
            || on_path(node.step, node.index)
        {
            painter.rect_stroke(
                rect.expand(2.0),
                2.0,
                Stroke::new(2.0, theme::ACCENT),
                egui::StrokeKind::Outside,
            );
        }
        let (x, y, left) = node.text_at;
        let converted = map
            .steps
            .get(node.step)
            .and_then(|s| s.get(node.index))
            .map_or(String::new(), |n| {
                format!("  exit {}", percent(n.exits, n.sessions))
            });
        painter.text(
            origin + Vec2::new(x, y),
            if left {
                egui::Align2::RIGHT_CENTER
            } else {
                egui::Align2::LEFT_CENTER
            },
            format!("{}{converted}", node.text),
            egui::FontId::proportional(12.0),
            text_colour,
        );
    }
}

fn controls_ui(view: &mut JourneysView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let draft = view.draft.get_or_insert_with(|| view.choice.clone());
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::from_id_salt("journeys_anchor")
            .selected_text(draft.anchor.label())
            .show_ui(ui, |ui| {
                for a in [
                    AnchorChoice::Start,
                    AnchorChoice::From,
                    AnchorChoice::To,
                    AnchorChoice::Between,
                ] {
                    ui.selectable_value(&mut draft.anchor, a, a.label());
                }
            });
        if draft.anchor != AnchorChoice::Start {
            ui.add(
                egui::TextEdit::singleline(&mut draft.page)
                    .hint_text("/cart or https://…")
                    .desired_width(180.0),
            );
        }
        if draft.anchor == AnchorChoice::Between {
            ui.label("to");
            ui.add(
                egui::TextEdit::singleline(&mut draft.page_to)
                    .hint_text("/checkout*")
                    .desired_width(180.0),
            );
        }
        ui.add(egui::Slider::new(&mut draft.steps, 1..=10).text("steps"));
        ui.checkbox(&mut draft.templates, "URL templates")
            .on_hover_text("Fold ids and many product pages into templates such as /product/*");
        egui::ComboBox::from_id_salt("journeys_device")
            .selected_text(draft.device.map_or("any device", DeviceClass::as_str))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut draft.device, None, "any device");
                for d in [
                    DeviceClass::Desktop,
                    DeviceClass::Tablet,
                    DeviceClass::Mobile,
                ] {
                    ui.selectable_value(&mut draft.device, Some(d), d.as_str());
                }
            });
        egui::ComboBox::from_id_salt("journeys_converted")
            .selected_text(match draft.converted {
                None => "all sessions",
                Some(true) => "converted",
                Some(false) => "not converted",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut draft.converted, None, "all sessions");
                ui.selectable_value(&mut draft.converted, Some(true), "converted");
                ui.selectable_value(&mut draft.converted, Some(false), "not converted");
            });
        egui::ComboBox::from_id_salt("journeys_compare")
            .selected_text(draft.compare.label())
            .show_ui(ui, |ui| {
                for c in CompareChoice::ALL {
                    ui.selectable_value(&mut draft.compare, c, c.label());
                }
            })
            .response
            .on_hover_text("Two segments side by side, with the same pages in the same places");
        match draft.compare {
            CompareChoice::Source => {
                ui.add(
                    egui::TextEdit::singleline(&mut draft.compare_text)
                        .hint_text("paid_social or instagram")
                        .desired_width(130.0),
                );
            }
            CompareChoice::Before => {
                ui.add(
                    egui::TextEdit::singleline(&mut draft.compare_text)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(100.0),
                );
            }
            _ => {}
        }
        if ui.button("Show").clicked() {
            out.push(Command::SetJourneysChoice(Box::new(draft.clone())));
        }
    });
    if draft.templates {
        ui.collapsing("URL templates of your own", |ui| {
            ui.weak(
                "One pattern per line, tried before the automatic folding: pages matching it \
                 are one node named by it (e.g. /collections/*). Ids and product pages fold on \
                 their own.",
            );
            ui.add(
                egui::TextEdit::multiline(&mut draft.template_rules)
                    .hint_text("/collections/*")
                    .desired_rows(3)
                    .desired_width(360.0),
            );
        });
    }
}

fn moments_ui(examples: &[StepMoment], ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.label(format!("{} sessions to open at this step:", examples.len()));
    for m in examples {
        let when = time::format_utc(m.entered_at_ms);
        if ui
            .button(format!("{}  {}", m.session_id, when))
            .on_hover_text("Open the replay where this step began")
            .clicked()
        {
            out.push(Command::OpenSessionAt {
                session_id: m.session_id.clone(),
                timestamp_ms: m.entered_at_ms,
            });
        }
    }
}

fn side_ui(view: &JourneysView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.heading("Journeys");
    let Some(answer) = &view.answer else {
        ui.weak("The map appears once the sessions are read.");
        return;
    };
    if let Some((segment, pick)) = view.picked
        && let Some(map) = answer.map(segment)
    {
        if let Some((_, Some(label), _)) = answer.maps().into_iter().find(|m| m.0 == segment) {
            ui.strong(label);
        }
        for line in pick_lines(map, pick) {
            ui.label(line);
        }
        let examples = match pick {
            JourneyPick::Node { step, index } => {
                let node = map.steps.get(step).and_then(|s| s.get(index));
                if let Some(node) = node
                    && !node.folded.is_empty()
                {
                    ui.collapsing("Pages in Other", |ui| {
                        for label in &node.folded {
                            ui.label(label);
                        }
                    });
                }
                node.map(|n| n.examples.as_slice())
            }
            JourneyPick::Flow(i) => map.flows.get(i).map(|f| f.examples.as_slice()),
            JourneyPick::Path(i) => map.paths.get(i).map(|p| p.examples.as_slice()),
        };
        ui.separator();
        moments_ui(examples.unwrap_or_default(), ui, out);
        ui.separator();
        if ui.button("Back to the journeys list").clicked() {
            out.push(Command::PickJourney(None));
        }
        return;
    }
    ui.weak("Click a page or a band to list its sessions.");
    for (segment, label, map) in answer.maps() {
        if map.paths.is_empty() {
            continue;
        }
        ui.separator();
        ui.strong(match label {
            Some(l) => format!("Most travelled journeys: {l}"),
            None => "Most travelled journeys".to_owned(),
        });
        for (i, p) in map.paths.iter().enumerate().take(12) {
            let signals: Vec<String> = p
                .signals
                .iter()
                .map(|(kind, k)| format!("{kind} {}", percent(*k, p.sessions)))
                .collect();
            let text = format!(
                "{}  ·  {} sessions, converted {}{}{}",
                map.path_text(p),
                p.sessions,
                percent(p.converted, p.sessions),
                if signals.is_empty() { "" } else { " · " },
                signals.join(", ")
            );
            if ui
                .selectable_label(false, text)
                .on_hover_text(
                    "Signals: sessions with it on any step of this journey. Click to list them.",
                )
                .clicked()
            {
                out.push(Command::PickJourney(Some((segment, JourneyPick::Path(i)))));
            }
        }
    }
    if let Some((_, _, map)) = answer.maps().first()
        && !map.templates.is_empty()
    {
        ui.separator();
        ui.label("URL templates in force:");
        for (label, paths) in &map.templates {
            ui.label(format!("{label}  ({paths} URL paths)"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_gives_the_query_and_filter() {
        let mut c = JourneysChoice {
            anchor: AnchorChoice::To,
            page: " /cart ".into(),
            steps: 30,
            templates: false,
            device: Some(DeviceClass::Mobile),
            converted: Some(false),
            ..JourneysChoice::default()
        };
        let q = c.query();
        assert_eq!(q.anchor, Anchor::ToPage(UrlPattern::new("/cart")));
        assert_eq!(q.steps, 10);
        assert_eq!(q.group_by, GroupBy::Path);
        let f = c.filter();
        assert_eq!(
            (f.device, f.converted),
            (Some(DeviceClass::Mobile), Some(false))
        );
        // A "between" without its second page falls back to the first page.
        c.anchor = AnchorChoice::Between;
        assert_eq!(c.query().anchor, Anchor::Start);
        // The user's templates, one per line.
        c.template_rules = " /collections/*\n\n/blog/* ".into();
        assert_eq!(
            c.query().templates.rules,
            [
                UrlPattern::new("/collections/*"),
                UrlPattern::new("/blog/*")
            ]
        );
    }

    #[test]
    fn the_comparison_choice_gives_its_preset_or_says_what_is_missing() {
        let mut c = JourneysChoice::default();
        assert_eq!(c.preset(), Ok(None));
        c.compare = CompareChoice::MobileDesktop;
        assert_eq!(
            c.preset(),
            Ok(Some(ComparePreset::Device(
                DeviceClass::Mobile,
                DeviceClass::Desktop
            )))
        );
        c.compare = CompareChoice::Source;
        assert!(c.preset().unwrap_err().contains("traffic source"));
        c.compare_text = "paid_social".into();
        assert_eq!(
            c.preset(),
            Ok(Some(ComparePreset::Source("paid_social".into(), None)))
        );
        c.compare = CompareChoice::Before;
        assert!(c.preset().is_err());
        c.compare_text = "2026-11-15".into();
        assert!(matches!(
            c.preset(),
            Ok(Some(ComparePreset::BeforeAfter(_)))
        ));
    }
}
