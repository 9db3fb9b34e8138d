//! The heatmap view's page variants (docs/VARIANTS.md): where variants come from, the page's
//! variants side by side (page views, conversion against the control, clicks, rage, depth),
//! one variant chosen for the map and the element mode, or two compared.

use egui::RichText;

use super::command::Command;
use super::heatmap_view::{CompareMode, HeatmapChoice, HeatmapView};
use super::theme;
use crate::analysis::variants::VariantTable;
use crate::model::VariantSource;

/// What the variant table was asked for: page, widths, filter (as the map's query) and source.
pub type VariantsKey = (
    String,
    Option<(u32, u32)>,
    crate::model::SessionFilter,
    String,
);

/// State of the variants part of the heatmap view.
#[derive(Default)]
pub struct VariantsPane {
    /// Generation of the newest table asked for.
    pub generation: u64,
    /// A table is being read.
    pub loading: bool,
    /// What the newest table was asked for.
    pub asked: Option<VariantsKey>,
    /// The newest table, or why it failed.
    pub table: Option<Result<VariantTable, String>>,
    /// Variant screenshots are being rendered.
    pub rendering: bool,
    /// What the last rendering did.
    pub render_message: Option<String>,
}

/// The kinds of source offered, with their menu label and the prefix of `variant_from`.
const SOURCES: [(&str, &str); 4] = [
    ("Not split", ""),
    ("Page structure", "dom"),
    ("Experiment event", "event:"),
    ("URL parameter", "param:"),
];

/// The `variant_from` prefix of a choice (`""`, `dom`, `event:`, `param:`).
fn source_kind(variant_from: &str) -> &'static str {
    match VariantSource::parse(variant_from) {
        Ok(VariantSource::Dom) => "dom",
        Ok(VariantSource::Event(_)) => "event:",
        Ok(VariantSource::Param(_)) => "param:",
        Err(_) if variant_from.starts_with("event:") => "event:",
        Err(_) if variant_from.starts_with("param:") => "param:",
        Err(_) => "",
    }
}

/// The variants the table lists (without "(none)" when others exist), for the pickers.
fn variant_names(view: &HeatmapView) -> Vec<String> {
    match &view.variants.table {
        Some(Ok(table)) => table.rows.iter().map(|r| r.variant.clone()).collect(),
        _ => Vec::new(),
    }
}

/// The grid rows "Variants" (the source) and "Variant" (the one drawn), inside the view's
/// choice grid.
pub fn choice_rows_ui(view: &HeatmapView, choice: &mut HeatmapChoice, ui: &mut egui::Ui) {
    ui.label("Variants").on_hover_text(
        "Split the page's page views by variant: the structure of the recorded page (blind to \
         text, ids and repeated items), an experiment event's variant, or a URL parameter",
    );
    ui.horizontal(|ui| {
        let kind = source_kind(&choice.variant_from);
        let label = SOURCES
            .iter()
            .find(|(_, k)| *k == kind)
            .map_or("Not split", |(l, _)| *l);
        egui::ComboBox::from_id_salt("heatmap_variant_from")
            .selected_text(label)
            .show_ui(ui, |ui| {
                for (label, prefix) in SOURCES {
                    if ui.selectable_label(kind == prefix, label).clicked() && kind != prefix {
                        choice.variant_from = match prefix {
                            "event:" => "event:experiment".to_owned(),
                            "param:" => "param:exp".to_owned(),
                            other => other.to_owned(),
                        };
                        choice.variant.clear();
                        if choice.compare == CompareMode::Variants {
                            choice.compare = CompareMode::Off;
                        }
                    }
                }
            });
        if let Some(prefix) = ["event:", "param:"].into_iter().find(|p| *p == kind) {
            let mut name = choice
                .variant_from
                .strip_prefix(prefix)
                .unwrap_or("")
                .to_owned();
            let hint = if prefix == "event:" {
                "event or experiment"
            } else {
                "parameter"
            };
            if ui
                .add(
                    egui::TextEdit::singleline(&mut name)
                        .hint_text(hint)
                        .desired_width(110.0),
                )
                .changed()
            {
                choice.variant_from = format!("{prefix}{}", name.trim());
                choice.variant.clear();
            }
        }
    });
    ui.end_row();
    if choice.variant_from.is_empty() {
        return;
    }
    ui.label("Variant");
    egui::ComboBox::from_id_salt("heatmap_variant")
        .selected_text(if choice.variant.is_empty() {
            "All variants"
        } else {
            choice.variant.as_str()
        })
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut choice.variant, String::new(), "All variants");
            for name in variant_names(view) {
                ui.selectable_value(&mut choice.variant, name.clone(), name);
            }
        });
    ui.end_row();
}

/// The rows of [`CompareMode::Variants`]: variant A and variant B.
pub fn compare_rows_ui(view: &HeatmapView, choice: &mut HeatmapChoice, ui: &mut egui::Ui) {
    if choice.variant_from.is_empty() {
        ui.label("");
        ui.label(RichText::new("Choose where variants come from above").color(theme::MUTED));
        ui.end_row();
        return;
    }
    let names = variant_names(view);
    let (mut a, mut b) = choice
        .compare_with
        .split_once(',')
        .map_or((String::new(), String::new()), |(a, b)| {
            (a.to_owned(), b.to_owned())
        });
    for (label, value, salt) in [
        ("A: variant", &mut a, "heatmap_variant_a"),
        ("B: variant", &mut b, "heatmap_variant_b"),
    ] {
        ui.label(label);
        egui::ComboBox::from_id_salt(salt)
            .selected_text(if value.is_empty() {
                "Choose"
            } else {
                value.as_str()
            })
            .show_ui(ui, |ui| {
                for name in &names {
                    ui.selectable_value(value, name.clone(), name);
                }
            });
        ui.end_row();
    }
    choice.compare_with = format!("{a},{b}");
}

/// The table of the page's variants; clicking a row draws that variant.
pub fn table_ui(view: &HeatmapView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    if view.choice.variant_from.is_empty() {
        return;
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong("Variants");
        if view.variants.loading {
            ui.spinner();
        }
    });
    let table = match &view.variants.table {
        None => return,
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(theme::ERROR_MARK));
            return;
        }
        Some(Ok(table)) => table,
    };
    if table.rows.is_empty() {
        ui.label(RichText::new("No page view of this page matches").color(theme::MUTED));
        return;
    }
    ui.label(
        RichText::new(format!(
            "Conversion of the sessions with a page view of each variant, against {} \
             (Fisher exact or z-test, Benjamini–Hochberg, FDR {:.0} %; * significant). \
             Click a variant to draw it.",
            table
                .control
                .as_deref()
                .map_or_else(|| "the control".to_owned(), |c| format!("control {c}")),
            table.fdr * 100.0
        ))
        .color(theme::MUTED),
    );
    ui.horizontal_wrapped(|ui| {
        let button = ui
            .add_enabled(
                !view.variants.rendering,
                egui::Button::new("Render each variant's screenshot"),
            )
            .on_hover_text(
                "Chromium rebuilds each variant's first page view as it was at its entry; the \
                 map and the element mode then draw each variant over its own page",
            );
        if button.clicked() {
            out.push(Command::RenderVariantScreenshots);
        }
        if view.variants.rendering {
            ui.spinner();
        }
    });
    if let Some(message) = &view.variants.render_message {
        ui.label(RichText::new(message).color(theme::MUTED));
    }
    egui::Grid::new("variants_table")
        .num_columns(6)
        .striped(true)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            for head in [
                "Variant",
                "Views",
                "Conv.",
                "vs control",
                "Clicks/view",
                "Rage/100",
            ] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for row in &table.rows {
                let chosen = view.choice.variant == row.variant;
                if ui
                    .selectable_label(chosen, &row.variant)
                    .on_hover_text(format!(
                        "{} sessions, median depth {}, median time {:.1} s, dead {:.1}/100 views",
                        row.sessions,
                        row.median_depth_percent
                            .map_or_else(|| "–".to_owned(), |d| format!("{d:.0} %")),
                        row.median_time_ms as f64 / 1000.0,
                        row.dead_per_100_views
                    ))
                    .clicked()
                {
                    let mut choice = view.choice.clone();
                    choice.variant = if chosen {
                        String::new()
                    } else {
                        row.variant.clone()
                    };
                    out.push(Command::SetHeatmapChoice(Box::new(choice)));
                }
                ui.label(format!(
                    "{} ({:.0} %)",
                    row.page_views,
                    row.share_of_views * 100.0
                ));
                ui.label(format!("{:.1} %", row.conversion_rate * 100.0));
                let is_control = table.control.as_deref() == Some(row.variant.as_str());
                ui.label(row.versus_control.as_ref().map_or_else(
                    || if is_control { "control" } else { "–" }.to_owned(),
                    |t| {
                        format!(
                            "{:+.1} pts [{:+.1}, {:+.1}]{}",
                            t.difference * 100.0,
                            t.interval95.0 * 100.0,
                            t.interval95.1 * 100.0,
                            if t.significant { " *" } else { "" }
                        )
                    },
                ));
                ui.label(format!("{:.2}", row.clicks_per_view));
                ui.label(format!("{:.1}", row.rage_per_100_views));
                ui.end_row();
            }
        });
}
