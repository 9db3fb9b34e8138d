//! The signals view: frustration hotspots of the whole library, ranked by sessions affected or
//! by the conversions they cost; select one to list its sessions and open each replay at the
//! signal's moment, or to see it on the page's heatmap.

use egui::RichText;

use super::app::ViewContext;
use super::command::Command;
use super::heatmap_view::HeatmapChoice;
use super::theme;
use crate::analysis::heatmap::HeatmapKind;
use crate::analysis::signals::SignalKind;
use crate::analysis::signals::hotspots::{Hotspot, HotspotSort};
use crate::model::DeviceClass;
use crate::store::StoredSignal;

/// What the hotspot table shows.
#[derive(Clone, Debug, PartialEq)]
pub struct HotspotChoice {
    /// Kinds shown (empty: all).
    pub kinds: Vec<SignalKind>,
    /// Page URL or glob (empty: all pages).
    pub page: String,
    /// Device (None: any).
    pub device: Option<DeviceClass>,
    /// Order.
    pub sort: HotspotSort,
}

impl Default for HotspotChoice {
    fn default() -> Self {
        Self {
            kinds: Vec::new(),
            page: String::new(),
            device: None,
            sort: HotspotSort::SessionsAffected,
        }
    }
}

/// State of the signals view.
#[derive(Default)]
pub struct SignalsView {
    /// The choice.
    pub choice: HotspotChoice,
    /// Newest query generation.
    pub generation: u64,
    /// A query is out.
    pub loading: bool,
    /// The ranked hotspots.
    pub hotspots: Vec<Hotspot>,
    /// Why the last query failed.
    pub error: Option<String>,
    /// The selected hotspot (index into `hotspots`) and its signals once loaded.
    pub selected: Option<(usize, Option<Vec<StoredSignal>>)>,
    /// The table has been asked for.
    pub requested: bool,
    /// The thresholds being edited (JSON of `SignalSettings`), once loaded from the library.
    pub settings_draft: Option<serde_json::Value>,
    /// The thresholds stored in the library.
    pub settings_stored: Option<serde_json::Value>,
    /// A recomputation is running.
    pub recomputing: bool,
}

/// True when `signal` belongs to `hotspot` (same kind, page and place).
#[must_use]
pub fn in_hotspot(signal: &StoredSignal, hotspot: &Hotspot) -> bool {
    crate::clip::in_hotspot(signal, hotspot)
}

/// The signals view.
pub fn signals_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let view = &mut app.state.signals;
    let mut out = Vec::new();
    if !view.requested {
        out.push(Command::SetHotspotChoice(Box::new(view.choice.clone())));
    }
    egui::Panel::right("signals_side")
        .resizable(true)
        .default_size(theme::SIDE_WIDTH)
        .min_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("signals_side_scroll")
                .show(ui, |ui| {
                    selected_ui(view, ui, &mut out);
                    ui.separator();
                    thresholds_ui(view, ui, &mut out);
                });
        });
    egui::CentralPanel::default_margins().show(ui, |ui| table_ui(view, ui, &mut out));
    app.state.commands.extend(out);
}

fn table_ui(view: &SignalsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let mut choice = view.choice.clone();
    ui.heading("Frustration hotspots");
    ui.horizontal_wrapped(|ui| {
        for kind in SignalKind::ALL {
            let mut on = choice.kinds.contains(&kind);
            if ui.checkbox(&mut on, kind.label()).changed() {
                if on {
                    choice.kinds.push(kind);
                } else {
                    choice.kinds.retain(|k| *k != kind);
                }
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Page");
        ui.add(
            egui::TextEdit::singleline(&mut choice.page)
                .hint_text("URL or glob, e.g. /product/*")
                .desired_width(220.0),
        );
        ui.label("Device");
        egui::ComboBox::from_id_salt("signals_device")
            .selected_text(
                choice
                    .device
                    .map_or("Any device".to_owned(), |d| d.to_string()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut choice.device, None, "Any device");
                for d in [
                    DeviceClass::Desktop,
                    DeviceClass::Tablet,
                    DeviceClass::Mobile,
                ] {
                    ui.selectable_value(&mut choice.device, Some(d), d.to_string());
                }
            });
        ui.label("Rank by");
        ui.selectable_value(
            &mut choice.sort,
            HotspotSort::SessionsAffected,
            "Sessions affected",
        );
        ui.selectable_value(
            &mut choice.sort,
            HotspotSort::EstimatedLoss,
            "Conversions lost",
        );
        if view.loading {
            ui.spinner();
        }
    });
    if choice != view.choice {
        out.push(Command::SetHotspotChoice(Box::new(choice)));
    }
    if let Some(e) = &view.error {
        ui.label(RichText::new(e).color(theme::ERROR_MARK));
    }
    ui.label(
        RichText::new(
            "Conversions lost = sessions affected x (page baseline rate - affected rate); \
             'significant' when the two rates differ at the 95 % level.",
        )
        .color(theme::MUTED),
    );
    ui.separator();
    if view.hotspots.is_empty() && !view.loading {
        ui.label("No signals match. Signals are detected when sessions are imported.");
        return;
    }
    egui::ScrollArea::both()
        .id_salt("hotspots")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("hotspot_table")
                .striped(true)
                .num_columns(8)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for title in [
                        "Signal",
                        "Page",
                        "Where",
                        "Sessions",
                        "Share of page",
                        "Conv. affected / baseline",
                        "Conv. lost",
                        "Count",
                    ] {
                        ui.label(RichText::new(title).color(theme::MUTED));
                    }
                    ui.end_row();
                    for (i, h) in view.hotspots.iter().enumerate() {
                        let selected = view.selected.as_ref().is_some_and(|(s, _)| *s == i);
                        let [r, g, b] = h.kind.color_rgb();
                        if ui
                            .selectable_label(
                                selected,
                                RichText::new(h.kind.label())
                                    .color(egui::Color32::from_rgb(r, g, b)),
                            )
                            .clicked()
                        {
                            out.push(Command::SelectHotspot(i));
                        }
                        ui.label(&h.page_url);
                        let place = h.place.to_string();
                        let short: String = place.chars().take(48).collect();
                        ui.label(short).on_hover_text(place);
                        ui.label(h.sessions_affected.to_string());
                        ui.label(format!("{:.0} %", h.share_affected * 100.0));
                        ui.label(format!(
                            "{:.0} % / {:.0} %",
                            h.affected_conversion_rate * 100.0,
                            h.baseline_conversion_rate * 100.0
                        ));
                        let lost = format!("{:.1}", h.estimated_lost_conversions);
                        if h.significant {
                            ui.label(RichText::new(format!("{lost} significant")).strong());
                        } else {
                            ui.label(lost);
                        }
                        ui.label(h.occurrences.to_string());
                        ui.end_row();
                    }
                });
        });
}

fn selected_ui(view: &SignalsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.add_space(4.0);
    let Some((index, signals)) = &view.selected else {
        ui.heading("Hotspot");
        ui.label(
            RichText::new("Select a hotspot to list its sessions and replay them.")
                .color(theme::MUTED),
        );
        return;
    };
    let Some(h) = view.hotspots.get(*index) else {
        return;
    };
    ui.heading(h.kind.label());
    ui.label(&h.page_url);
    ui.label(RichText::new(h.place.to_string()).monospace());
    ui.label(format!(
        "{} sessions ({:.0} % of the page's), {} occurrences",
        h.sessions_affected,
        h.share_affected * 100.0,
        h.occurrences
    ));
    let heatmap_kind = match h.kind {
        SignalKind::RageClick => Some(HeatmapKind::Rage),
        SignalKind::DeadClick => Some(HeatmapKind::Dead),
        k if k.is_click_kind() => Some(HeatmapKind::Click),
        _ => None,
    };
    if let Some(kind) = heatmap_kind
        && ui
            .button("Show on the heatmap")
            .on_hover_text("Open this page's heatmap of this kind")
            .clicked()
    {
        let choice = HeatmapChoice {
            page: h.page_url.clone(),
            kind,
            ..HeatmapChoice::default()
        };
        out.push(Command::ShowHeatmap(Box::new(choice)));
    }
    ui.separator();
    match signals {
        None => {
            ui.spinner();
        }
        Some(list) => {
            ui.label(
                RichText::new("Open a replay at the signal (1 s before it)").color(theme::MUTED),
            );
            egui::ScrollArea::vertical()
                .id_salt("hotspot_sessions")
                .show(ui, |ui| {
                    for s in list.iter().filter(|s| in_hotspot(s, h)) {
                        let label = format!(
                            "{}  {}  {}",
                            s.session_id,
                            crate::model::time::format_utc(s.start_ms),
                            s.detail.as_deref().unwrap_or("")
                        );
                        if ui.link(label).clicked() {
                            out.push(Command::OpenSessionAt {
                                session_id: s.session_id.clone(),
                                timestamp_ms: s.start_ms - 1_000,
                            });
                        }
                    }
                });
        }
    }
}

/// The thresholds editor: every `SignalSettings` field with the source of its default;
/// "Recompute" stores them and recomputes every session's signals on the query thread.
fn thresholds_ui(view: &mut SignalsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    egui::CollapsingHeader::new("Thresholds")
        .default_open(false)
        .show(ui, |ui| {
            let Some(draft) = view.settings_draft.as_mut() else {
                if view.settings_stored.is_none() {
                    out.push(Command::LoadSignalSettings);
                }
                ui.spinner();
                return;
            };
            let Some(fields) = draft.as_object_mut() else {
                return;
            };
            egui::Grid::new("thresholds")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    for (name, value) in fields.iter_mut() {
                        let source = crate::analysis::signals::SETTING_SOURCES
                            .iter()
                            .find(|s| s.field == name)
                            .map_or("", |s| s.source);
                        ui.label(name.replace('_', " ")).on_hover_text(source);
                        match value {
                            serde_json::Value::Bool(b) => {
                                ui.checkbox(b, "");
                            }
                            serde_json::Value::Number(n) => {
                                let mut v = n.as_f64().unwrap_or(0.0);
                                let integer = n.is_i64() || n.is_u64();
                                let changed = ui
                                    .add(
                                        egui::DragValue::new(&mut v)
                                            .range(0.0..=1.0e7)
                                            .speed(if integer { 1.0 } else { 0.1 }),
                                    )
                                    .on_hover_text(source)
                                    .changed();
                                if changed {
                                    *value = if integer {
                                        serde_json::Value::from(v.round() as i64)
                                    } else {
                                        serde_json::Number::from_f64(v)
                                            .map_or(serde_json::Value::Null, serde_json::Value::Number)
                                    };
                                }
                            }
                            serde_json::Value::Null => {
                                ui.label(RichText::new("no limit").color(theme::MUTED));
                            }
                            other => {
                                ui.label(other.to_string());
                            }
                        }
                        ui.end_row();
                    }
                });
            ui.label(
                RichText::new("Hover a name for the source of its default (docs/SIGNALS.md).")
                    .color(theme::MUTED),
            );
            ui.horizontal(|ui| {
                let changed = view.settings_draft != view.settings_stored;
                if ui
                    .add_enabled(
                        !view.recomputing,
                        egui::Button::new("Recompute all sessions"),
                    )
                    .on_hover_text("Store these thresholds and detect every session's signals again, in the background")
                    .clicked()
                    && let Some(settings) = view
                        .settings_draft
                        .clone()
                        .and_then(|v| serde_json::from_value(v).ok())
                {
                    out.push(Command::RecomputeSignals(Box::new(settings)));
                }
                if ui.button("Defaults").clicked() {
                    view.settings_draft = serde_json::to_value(
                        crate::analysis::signals::SignalSettings::default(),
                    )
                    .ok();
                }
                if changed {
                    ui.label(RichText::new("not applied yet").color(theme::WARN));
                }
                if view.recomputing {
                    ui.spinner();
                    if ui
                        .button("Cancel")
                        .on_hover_text("Stop; the signals stay as they were")
                        .clicked()
                    {
                        out.push(Command::CancelRecompute);
                    }
                }
            });
        });
}
