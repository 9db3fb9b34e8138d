//! The journeys view: how visitors move between pages, as a Sankey diagram (pages as nodes in
//! step columns, flows as bands as wide as their sessions). Hover a node or band for its
//! figures; click it to list its sessions, each opening the replay at the moment of that step.
//! The layout is `render::journeys::layout`, the same one `sessionlens journeys --png` draws.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use super::app::ViewContext;
use super::command::Command;
use super::theme;
use crate::analysis::journeys::{
    Anchor, GroupBy, JourneyNode, JourneyQuery, Journeys, StepMoment, Templates, percent,
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
            templates: Templates::default(),
            ..JourneyQuery::default()
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
    /// The map.
    pub map: Option<Journeys>,
    /// Why the last query failed.
    pub error: Option<String>,
    /// The selected node or flow.
    pub picked: Option<JourneyPick>,
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
        let Some(map) = &view.map else {
            if view.loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Following the journeys…");
                });
            }
            return;
        };
        ui.label(format!(
            "{} sessions in the map · {} left out by the anchor · {} go on past the last step{}",
            map.sessions,
            map.left_out,
            map.continues,
            if view.loading { " · updating…" } else { "" }
        ));
        if map.sessions == 0 {
            ui.label("No session matches: change the page, the steps or the filters.");
            return;
        }
        let size = ui.available_size().max(Vec2::new(300.0, 200.0));
        let (response, painter) = ui.allocate_painter(size, Sense::click());
        let origin = response.rect.min;
        let placed = layout(map, size.x, size.y);
        paint(&painter, origin, map, &placed, view.picked, ui);
        let hovered = response
            .hover_pos()
            .and_then(|p| pick_at(&placed, p - origin));
        if let Some(pick) = hovered {
            let lines = match pick {
                JourneyPick::Node { step, index } => map
                    .steps
                    .get(step)
                    .and_then(|s| s.get(index))
                    .map(|n| node_lines(n, step))
                    .unwrap_or_default(),
                JourneyPick::Flow(i) => flow_lines(map, i),
            };
            response.clone().on_hover_ui_at_pointer(|ui| {
                for line in lines {
                    ui.label(line);
                }
                ui.weak("Click to list its sessions");
            });
        }
        if response.clicked() {
            out.push(Command::PickJourney(hovered));
        }
    });
    app.state.commands.extend(out);
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
    for band in &placed.bands {
        let selected = picked == Some(JourneyPick::Flow(band.flow));
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
        if ui.button("Show").clicked() {
            out.push(Command::SetJourneysChoice(Box::new(draft.clone())));
        }
    });
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
    let Some(map) = &view.map else {
        ui.weak("The map appears once the sessions are read.");
        return;
    };
    match view.picked {
        Some(JourneyPick::Node { step, index }) => {
            if let Some(node) = map.steps.get(step).and_then(|s| s.get(index)) {
                for line in node_lines(node, step) {
                    ui.label(line);
                }
                if !node.folded.is_empty() {
                    ui.collapsing("Pages in Other", |ui| {
                        for label in &node.folded {
                            ui.label(label);
                        }
                    });
                }
                ui.separator();
                moments_ui(&node.examples, ui, out);
            }
        }
        Some(JourneyPick::Flow(i)) => {
            for line in flow_lines(map, i) {
                ui.label(line);
            }
            if let Some(f) = map.flows.get(i) {
                ui.separator();
                moments_ui(&f.examples, ui, out);
            }
        }
        None => {
            ui.weak("Click a page or a band to list its sessions.");
            if !map.templates.is_empty() {
                ui.separator();
                ui.label("URL templates in force:");
                for (label, paths) in &map.templates {
                    ui.label(format!("{label}  ({paths} URL paths)"));
                }
            }
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
    }
}
