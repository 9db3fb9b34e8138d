//! The heatmap view's element mode: every clicked element of the page grouped by its selector
//! path, as a table (ranked by the chosen measure) and as boxes over the screenshot, drawn by
//! `render::elements` on the query thread (the pixels `sessionlens elements --png` writes).
//! Clicking a row or a box picks the element; its sessions are listed, each opening the replay
//! at its first click on it. With a compare preset: A against B per element, tested.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

use super::command::Command;
use super::heatmap_view::{HeatmapView, MapTextures};
use super::theme;
use crate::analysis::elements::{
    ElementBox, ElementComparison, ElementMap, ElementMeasure, ElementStats,
};
use crate::model::PagePos;
use crate::render::RgbaImage;
use crate::render::elements::format_value;

/// Most sessions listed for a picked element.
const MAX_SESSIONS_LISTED: usize = 200;

/// What the element mode shows.
#[derive(Clone, Debug, PartialEq)]
pub enum ElementsAnswer {
    /// One element map.
    Map(ElementMap),
    /// A against B per element.
    Compare(ElementComparison),
}

impl ElementsAnswer {
    /// The box of the element `selector`, if drawn.
    #[must_use]
    pub fn bbox(&self, selector: &str) -> Option<ElementBox> {
        match self {
            Self::Map(m) => m
                .elements
                .iter()
                .find(|e| e.selector == selector)
                .and_then(|e| e.bbox),
            Self::Compare(c) => c
                .elements
                .iter()
                .find(|e| e.selector == selector)
                .and_then(|e| e.bbox),
        }
    }

    /// The selector of the element whose box holds `p` (the smallest), if any.
    #[must_use]
    pub fn element_at(&self, p: PagePos) -> Option<String> {
        match self {
            Self::Map(m) => m.element_at(p).map(|e| e.selector.clone()),
            Self::Compare(c) => c
                .elements
                .iter()
                .filter(|e| e.bbox.is_some_and(|b| b.contains(p)))
                .min_by(|a, b| area(a.bbox).total_cmp(&area(b.bbox)))
                .map(|e| e.selector.clone()),
        }
    }
}

fn area(b: Option<ElementBox>) -> f32 {
    b.map_or(f32::INFINITY, |b| {
        (b.right_px - b.left_px) * (b.bottom_px - b.top_px)
    })
}

/// An element mode answer: what it shows, the layout width its boxes are in, its picture.
pub type ElementsResult = (Arc<ElementsAnswer>, u32, Arc<RgbaImage>);

/// State of the element mode.
#[derive(Default)]
pub struct ElementsPane {
    /// The heatmap view shows elements instead of the map.
    pub on: bool,
    /// What elements are ranked and coloured by.
    pub measure: ElementMeasure,
    /// Generation of the newest answer asked for.
    pub generation: u64,
    /// An answer is being computed.
    pub loading: bool,
    /// The newest answer, the layout width its boxes are in, and its picture.
    pub answer: Option<ElementsResult>,
    /// The picked element (selector).
    pub selected: Option<String>,
    /// Why the last answer failed.
    pub error: Option<String>,
}

/// The element mode's side panel part: measure, figures, the table and the picked element's
/// sessions.
pub fn elements_side_ui(view: &HeatmapView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let pane = &view.elements;
    ui.horizontal(|ui| {
        ui.label("Rank by");
        let mut measure = pane.measure;
        egui::ComboBox::from_id_salt("elements_measure")
            .selected_text(measure_label(measure))
            .show_ui(ui, |ui| {
                for m in ElementMeasure::ALL {
                    ui.selectable_value(&mut measure, m, measure_label(m));
                }
            });
        if measure != pane.measure {
            out.push(Command::SetElementMeasure(measure));
        }
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(pane.answer.is_some(), egui::Button::new("Export PNG..."))
            .on_hover_text("The boxes over the page at 1:1 with legend and caption")
            .clicked()
        {
            out.push(Command::ExportElements);
        }
        if pane.loading {
            ui.spinner();
            ui.label("Reading the clicks...");
        }
    });
    if let Some(e) = &pane.error {
        ui.label(RichText::new(e).color(theme::ERROR_MARK));
    }
    let Some((answer, _, _)) = &pane.answer else {
        return;
    };
    ui.separator();
    match answer.as_ref() {
        ElementsAnswer::Map(map) => map_table(map, pane.selected.as_deref(), ui, out),
        ElementsAnswer::Compare(cmp) => compare_table(cmp, pane.selected.as_deref(), ui, out),
    }
}

/// A selector cut to `max` characters for the table: its end, which names the element itself
/// (`… > article.card:nth-of-type(1) > a.card-link`), after an ellipsis.
#[must_use]
pub fn short_selector(selector: &str, max: usize) -> String {
    let n = selector.chars().count();
    if n <= max {
        return selector.to_owned();
    }
    let tail: String = selector.chars().skip(n + 1 - max).collect();
    format!("…{tail}")
}

/// Menu label of a measure.
#[must_use]
pub fn measure_label(m: ElementMeasure) -> &'static str {
    match m {
        ElementMeasure::Clicks => "Clicks",
        ElementMeasure::Rage => "Rage clicks",
        ElementMeasure::Dead => "Dead clicks",
        ElementMeasure::Error => "Error clicks",
        ElementMeasure::Sessions => "Sessions",
        ElementMeasure::Conversion => "Conversion",
    }
}

fn map_table(map: &ElementMap, selected: Option<&str>, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.label(format!(
        "{} elements · {} clicks · {} sessions · page conversion {}",
        map.elements.len(),
        map.clicks,
        map.sessions,
        format_value(ElementMeasure::Conversion, map.conversion_rate)
    ));
    if map.clicks_without_element > 0 {
        ui.label(
            RichText::new(format!(
                "{} clicks without a known element are left out",
                map.clicks_without_element
            ))
            .color(theme::MUTED),
        );
    }
    // The picked element first, so its sessions are in view whatever the table's length.
    if let Some(e) = selected.and_then(|s| map.elements.iter().find(|e| e.selector == s)) {
        picked_ui(e, ui, out);
        ui.separator();
    }
    egui::ScrollArea::vertical()
        .id_salt("elements_table")
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new("elements_grid")
                .num_columns(8)
                .striped(true)
                .spacing([8.0, 2.0])
                .show(ui, |ui| {
                    for h in [
                        "#", "Element", "Clicks", "Rage", "Dead", "Error", "Sessions", "Conv.",
                    ] {
                        ui.label(RichText::new(h).color(theme::MUTED));
                    }
                    ui.end_row();
                    for (i, e) in map.elements.iter().enumerate() {
                        ui.label((i + 1).to_string());
                        let short = short_selector(&e.selector, 34);
                        let picked = selected == Some(e.selector.as_str());
                        if ui
                            .selectable_label(picked, short)
                            .on_hover_text(format!("{}\n{}", e.selector, e.label))
                            .clicked()
                        {
                            out.push(Command::SelectElement(
                                (!picked).then(|| e.selector.clone()),
                            ));
                        }
                        ui.label(e.clicks.to_string());
                        ui.label(e.rage.to_string());
                        ui.label(e.dead.to_string());
                        ui.label(e.error.to_string());
                        ui.label(e.sessions.to_string());
                        ui.label(format_value(ElementMeasure::Conversion, e.conversion_rate));
                        ui.end_row();
                    }
                });
        });
}

/// The picked element: its label and the sessions that clicked it, each opening the replay at
/// its first click there.
fn picked_ui(e: &ElementStats, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.strong(e.label.as_str());
    ui.label(
        RichText::new(format!(
            "{} sessions clicked it; each opens at its first click there",
            e.sessions
        ))
        .color(theme::MUTED),
    );
    egui::ScrollArea::vertical()
        .id_salt("element_sessions")
        .max_height(240.0)
        .show(ui, |ui| {
            for m in e.moments.iter().take(MAX_SESSIONS_LISTED) {
                let label = format!(
                    "{}  {}{}",
                    m.session_id,
                    crate::model::time::format_utc(m.timestamp_ms),
                    if m.converted { "  converted" } else { "" }
                );
                if ui
                    .link(label)
                    .on_hover_text("Open the replay at this click")
                    .clicked()
                {
                    out.push(Command::OpenSessionAt {
                        session_id: m.session_id.clone(),
                        timestamp_ms: m.timestamp_ms,
                    });
                }
            }
        });
}

fn compare_table(
    cmp: &ElementComparison,
    selected: Option<&str>,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    ui.strong(format!(
        "A: {} ({} page views)",
        cmp.label_a, cmp.page_views_a
    ));
    ui.strong(format!(
        "B: {} ({} page views)",
        cmp.label_b, cmp.page_views_b
    ));
    ui.label(RichText::new(cmp.describe()).color(theme::MUTED));
    egui::ScrollArea::vertical()
        .id_salt("elements_compare_table")
        .max_height(420.0)
        .show(ui, |ui| {
            egui::Grid::new("elements_compare_grid")
                .num_columns(5)
                .striped(true)
                .spacing([8.0, 2.0])
                .show(ui, |ui| {
                    for h in ["Element", "A", "B", "A − B (95 %)", "p"] {
                        ui.label(RichText::new(h).color(theme::MUTED));
                    }
                    ui.end_row();
                    for e in &cmp.elements {
                        let short = short_selector(&e.selector, 30);
                        let picked = selected == Some(e.selector.as_str());
                        let text = if e.significant {
                            RichText::new(short).strong()
                        } else {
                            RichText::new(short)
                        };
                        if ui
                            .selectable_label(picked, text)
                            .on_hover_text(format!(
                                "{}\n{}\nclicks: A {}, B {}",
                                e.selector, e.label, e.clicks_a, e.clicks_b
                            ))
                            .clicked()
                        {
                            out.push(Command::SelectElement(
                                (!picked).then(|| e.selector.clone()),
                            ));
                        }
                        ui.label(format!("{:.1} %", e.share_a * 100.0));
                        ui.label(format!("{:.1} %", e.share_b * 100.0));
                        ui.label(format!(
                            "{:+.1} [{:+.1}, {:+.1}]",
                            e.difference * 100.0,
                            e.interval95.0 * 100.0,
                            e.interval95.1 * 100.0
                        ));
                        let p =
                            format!("{:.2e}{}", e.p_value, if e.significant { " *" } else { "" });
                        ui.label(p);
                        ui.end_row();
                    }
                });
        });
}

/// The element boxes over the screenshot, zoomable and scrollable; hover names the element,
/// a click picks it.
pub fn elements_map_ui(
    view: &mut HeatmapView,
    textures: &mut MapTextures,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let Some((answer, layout_width, image)) = view.elements.answer.clone() else {
        ui.centered_and_justified(|ui| {
            if view.elements.error.is_some() {
                ui.label("No element map: see the message on the right.");
            } else if view.choice.page.is_empty() {
                ui.label("Choose a page on the right.");
            } else {
                ui.spinner();
            }
        });
        return;
    };
    let tiles = textures.tiles_for(ui.ctx(), "elements", &image);
    let px_per_css = image.width as f32 / layout_width.max(1) as f32;
    let stage = ui.available_rect_before_wrap();
    let zoom_delta = ui.input(|i| i.zoom_delta());
    if zoom_delta != 1.0 && ui.rect_contains_pointer(stage) {
        view.zoom = (view.zoom * zoom_delta).clamp(0.1, 8.0);
    }
    let fit = (stage.width() - 16.0).max(50.0) / image.width as f32;
    let scale = fit * view.zoom;
    let size = Vec2::new(image.width as f32, image.height as f32) * scale;
    let selected = view.elements.selected.clone();
    egui::ScrollArea::both()
        .id_salt("elements_map")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let (rect, response) = ui.allocate_exact_size(size, Sense::click());
            response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Element map"));
            let painter = ui.painter_at(ui.clip_rect());
            super::replay::paint_tiles(&painter, tiles, rect.min, scale);
            let page_of = |p: Pos2| PagePos {
                x: (p.x - rect.left()) / scale / px_per_css,
                y: (p.y - rect.top()) / scale / px_per_css,
            };
            if let Some(b) = selected.as_deref().and_then(|s| answer.bbox(s)) {
                let r = Rect::from_min_max(
                    rect.min + Vec2::new(b.left_px, b.top_px) * px_per_css * scale,
                    rect.min + Vec2::new(b.right_px, b.bottom_px) * px_per_css * scale,
                );
                painter.rect_stroke(
                    r.expand(2.0),
                    2.0,
                    Stroke::new(3.0, Color32::BLACK),
                    egui::StrokeKind::Outside,
                );
                painter.rect_stroke(
                    r.expand(2.0),
                    2.0,
                    Stroke::new(1.5, Color32::WHITE),
                    egui::StrokeKind::Outside,
                );
            }
            if let Some(pos) = response.hover_pos()
                && let Some(selector) = answer.element_at(page_of(pos))
            {
                response
                    .clone()
                    .on_hover_text_at_pointer(hover_text(&answer, &selector));
            }
            if response.clicked()
                && let Some(pos) = response.interact_pointer_pos()
            {
                out.push(Command::SelectElement(answer.element_at(page_of(pos))));
            }
        });
}

fn hover_text(answer: &ElementsAnswer, selector: &str) -> String {
    match answer {
        ElementsAnswer::Map(m) => m
            .elements
            .iter()
            .find(|e| e.selector == selector)
            .map_or_else(String::new, |e| {
                format!(
                    "{}\n{} clicks · {} rage · {} dead · {} error\n{} sessions, {} converted",
                    e.label,
                    e.clicks,
                    e.rage,
                    e.dead,
                    e.error,
                    e.sessions,
                    format_value(ElementMeasure::Conversion, e.conversion_rate)
                )
            }),
        ElementsAnswer::Compare(c) => c
            .elements
            .iter()
            .find(|e| e.selector == selector)
            .map_or_else(String::new, |e| {
                format!(
                    "{}\nA {:.1} % · B {:.1} % of page views\ndifference {:+.1} points [{:+.1}, {:+.1}], p = {:.2e}{}",
                    e.label,
                    e.share_a * 100.0,
                    e.share_b * 100.0,
                    e.difference * 100.0,
                    e.interval95.0 * 100.0,
                    e.interval95.1 * 100.0,
                    e.p_value,
                    if e.significant { " (significant)" } else { "" }
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_selectors_keep_their_end() {
        assert_eq!(super::short_selector("#buy", 10), "#buy");
        assert_eq!(
            super::short_selector("main > div > a.card-link", 10),
            "…card-link"
        );
        assert_eq!(
            super::short_selector("main > div > a.card-link", 10)
                .chars()
                .count(),
            10
        );
    }
}
