//! The heatmap view: pick a page, layout, kind and filters; the map is aggregated on the query
//! thread, rendered on the `heatmap-render` thread by the same code as the PNG export
//! (`render::heatmap::render_heatmap`), and shown zoomable and pannable. Hover shows the local
//! count; a click lists the moments behind the spot, each opening the replay there.

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

use super::app::ViewContext;
use super::background::Compared;
use super::command::Command;
use super::replay::{Tile, upload_tiles};
use super::theme;
use crate::analysis::compare::ComparePreset;
use crate::analysis::heatmap::{CountMode, FixedMode, HeatmapKind, HeatmapQuery, HeatmapResult};
use crate::model::{DeviceClass, FilterText, PagePos};
use crate::render::RgbaImage;
use crate::render::compare::CompareLayout;
use crate::render::heatmap::{Colormap, RenderSettings};
use crate::store::{PageGroup, ScreenshotInfo};

/// Points within this distance of a click are the moments behind a spot (PostHog's 15 px).
const SPOT_RADIUS_PX: f32 = 15.0;
/// Most moments listed for a spot.
const MAX_MOMENTS: usize = 200;

/// What the user chose (everything that needs a new aggregation).
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapChoice {
    /// Page URL or glob.
    pub page: String,
    /// Layout width of the screenshot drawn over.
    pub layout_width: u32,
    /// Kind of map.
    pub kind: HeatmapKind,
    /// Device (None: any within the width range).
    pub device: Option<DeviceClass>,
    /// Viewport accuracy: page views within ± this fraction of the layout width count.
    pub tolerance: f32,
    /// Converted sessions only / non-converted only.
    pub converted: Option<bool>,
    /// Traffic source (channel or utm_source; empty: any).
    pub source: String,
    /// From date `YYYY-MM-DD` (empty: any).
    pub from_date: String,
    /// To date `YYYY-MM-DD` (empty: any).
    pub to_date: String,
    /// Sessions with this signal (empty: any).
    pub has_signal: String,
    /// Sessions with this custom event, e.g. a micro-conversion (empty: any).
    pub has_event: String,
    /// Compare mode: what A and B differ in.
    pub compare: CompareMode,
    /// The day for [`CompareMode::BeforeAfter`], `YYYY-MM-DD`.
    pub compare_day: String,
    /// The signal kind or event name for [`CompareMode::Signal`] and [`CompareMode::Event`].
    pub compare_with: String,
    /// Total clicks or unique sessions.
    pub count_mode: CountMode,
    /// Fixed-element clicks.
    pub fixed_mode: FixedMode,
    /// Where page variants come from (`dom`, `event:NAME`, `param:NAME`; empty: no variants).
    pub variant_from: String,
    /// The variant drawn (empty: every variant).
    pub variant: String,
}

impl Default for HeatmapChoice {
    fn default() -> Self {
        Self {
            page: String::new(),
            layout_width: 1440,
            kind: HeatmapKind::Click,
            device: None,
            tolerance: crate::analysis::heatmap::DEFAULT_WIDTH_TOLERANCE,
            converted: None,
            source: String::new(),
            from_date: String::new(),
            to_date: String::new(),
            has_signal: String::new(),
            has_event: String::new(),
            compare: CompareMode::Off,
            compare_day: String::new(),
            compare_with: String::new(),
            count_mode: CountMode::Total,
            fixed_mode: FixedMode::ShowFixed,
            variant_from: String::new(),
            variant: String::new(),
        }
    }
}

/// Compare modes offered in the heatmap view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompareMode {
    /// One map.
    #[default]
    Off,
    /// Converted versus not converted.
    Converted,
    /// Before versus from a day (a redesign).
    BeforeAfter,
    /// Sessions with a signal versus all.
    Signal,
    /// Sessions that sent a custom event versus all.
    Event,
    /// Sessions from one traffic source versus all.
    Source,
    /// The page views of one page variant versus another's ([`HeatmapChoice::compare_with`]
    /// holds `A,B`).
    Variants,
}

impl CompareMode {
    /// Every mode, in menu order.
    pub const ALL: [Self; 7] = [
        Self::Off,
        Self::Converted,
        Self::BeforeAfter,
        Self::Signal,
        Self::Event,
        Self::Source,
        Self::Variants,
    ];

    /// Menu label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "Off",
            Self::Converted => "Converted vs not",
            Self::BeforeAfter => "Before vs after a day",
            Self::Signal => "With a signal vs all",
            Self::Event => "Did an event vs all",
            Self::Source => "A source vs all",
            Self::Variants => "Variant A vs B",
        }
    }
}

impl HeatmapChoice {
    /// The comparison asked for, when its parameters are complete.
    #[must_use]
    pub fn compare_preset(&self) -> Option<ComparePreset> {
        let with = self.compare_with.trim();
        match self.compare {
            CompareMode::Off => None,
            CompareMode::Converted => Some(ComparePreset::Converted),
            CompareMode::BeforeAfter => {
                ComparePreset::parse(&format!("before:{}", self.compare_day.trim())).ok()
            }
            CompareMode::Signal => {
                (!with.is_empty()).then(|| ComparePreset::Signal(with.to_owned()))
            }
            CompareMode::Event => (!with.is_empty()).then(|| ComparePreset::Event(with.to_owned())),
            CompareMode::Source => {
                (!with.is_empty()).then(|| ComparePreset::Source(with.to_owned(), None))
            }
            CompareMode::Variants => {
                let source = crate::model::VariantSource::parse(&self.variant_from).ok()?;
                let (a, b) = with.split_once(',')?;
                (!a.is_empty() && !b.is_empty() && a != b)
                    .then(|| ComparePreset::Variant(source, a.to_owned(), b.to_owned()))
            }
        }
    }

    /// The page-view filter of the chosen variant, when one is chosen.
    #[must_use]
    pub fn variant_filter(&self) -> Option<crate::model::VariantFilter> {
        let source = crate::model::VariantSource::parse(&self.variant_from).ok()?;
        (!self.variant.is_empty()).then(|| crate::model::VariantFilter {
            source,
            variant: self.variant.clone(),
        })
    }

    /// The aggregation query.
    #[must_use]
    pub fn query(&self) -> HeatmapQuery {
        let mut query = HeatmapQuery::new(self.page.trim(), self.kind, self.layout_width);
        query.viewport_widths = Some(crate::analysis::heatmap::width_range(
            self.layout_width,
            self.tolerance,
        ));
        // Dates the field checks could not read are left out here; the fields show them red.
        let text = FilterText {
            device: self.device,
            source: Some(self.source.clone()),
            converted: self.converted,
            has_signal: Some(self.has_signal.clone()),
            has_event: Some(self.has_event.clone()),
            from: Some(self.from_date.clone()),
            to: Some(self.to_date.clone()),
            ..FilterText::default()
        };
        query.filter = text.parse_lenient();
        query.count_mode = self.count_mode;
        query.fixed_mode = self.fixed_mode;
        query.variant = self.variant_filter();
        query
    }
}

/// A moment behind a spot, resolved to a session id.
#[derive(Clone, Debug, PartialEq)]
pub struct SpotMoment {
    /// The session.
    pub session_id: String,
    /// Epoch ms.
    pub timestamp_ms: i64,
    /// Page view index.
    pub page_index: u32,
}

/// State of the heatmap view.
pub struct HeatmapView {
    /// The current choice.
    pub choice: HeatmapChoice,
    /// Drawing settings (changing them re-renders, never re-aggregates).
    pub settings: RenderSettings,
    /// Pages in the library.
    pub groups: Vec<PageGroup>,
    /// Screenshots in the library.
    pub shots: Vec<ScreenshotInfo>,
    /// Custom event names (micro-conversions) in the library, with their session counts.
    pub events: Vec<(String, u64)>,
    /// Pages and screenshots have been asked for.
    pub pages_requested: bool,
    /// Generation of the newest aggregation asked for.
    pub generation: u64,
    /// An aggregation is running.
    pub aggregating: bool,
    /// The newest aggregation and the screenshot it is drawn over (set A when comparing).
    pub result: Option<(Arc<HeatmapResult>, Arc<RgbaImage>)>,
    /// Set B of a comparison.
    pub compared: Option<Compared>,
    /// How a comparison is drawn (changing it re-renders, never re-aggregates).
    pub compare_layout: CompareLayout,
    /// Generation of the newest render asked for.
    pub render_generation: u64,
    /// The rendered map (exactly what "Export PNG" writes).
    pub image: Option<Arc<RgbaImage>>,
    /// Why the last aggregation failed.
    pub error: Option<String>,
    /// Zoom (1 = image width fits the view).
    pub zoom: f32,
    /// The spot clicked, page CSS px, and the moments behind it once resolved.
    pub spot: Option<(PagePos, Option<Vec<SpotMoment>>)>,
    /// Named sections of this page with their reach.
    pub sections: Vec<crate::store::SectionReach>,
    /// The section form.
    pub section_draft: SectionDraft,
    /// Where a Shift+drag band started, page CSS px.
    pub band_start_y: Option<f32>,
    /// A drag on the map draws a section band (instead of Shift+drag).
    pub band_mode: bool,
    /// The element mode (`elements_view`).
    pub elements: super::elements_view::ElementsPane,
    /// The page's variants (`variants_view`).
    pub variants: super::variants_view::VariantsPane,
}

/// A section being named: a band of the page, page CSS px.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SectionDraft {
    /// The name.
    pub name: String,
    /// Top, page CSS px.
    pub top_px: f32,
    /// Bottom, page CSS px.
    pub bottom_px: f32,
}

impl Default for HeatmapView {
    fn default() -> Self {
        Self {
            choice: HeatmapChoice::default(),
            settings: RenderSettings::for_kind(HeatmapKind::Click),
            groups: Vec::new(),
            shots: Vec::new(),
            events: Vec::new(),
            pages_requested: false,
            generation: 0,
            aggregating: false,
            result: None,
            compared: None,
            compare_layout: CompareLayout::SideBySide,
            render_generation: 0,
            image: None,
            error: None,
            zoom: 1.0,
            spot: None,
            sections: Vec::new(),
            section_draft: SectionDraft::default(),
            band_start_y: None,
            band_mode: false,
            elements: super::elements_view::ElementsPane::default(),
            variants: super::variants_view::VariantsPane::default(),
        }
    }
}

impl HeatmapView {
    /// Layout widths with a screenshot of the chosen page (or of any page the pattern matches).
    fn widths(&self) -> Vec<u32> {
        let mut widths: Vec<u32> = self
            .shots
            .iter()
            .filter(|s| page_matches(&self.choice.page, &s.url))
            .map(|s| s.layout_width)
            .collect();
        widths.sort_unstable();
        widths.dedup();
        widths
    }

    /// Records a new rendered image.
    pub fn set_image(&mut self, generation: u64, image: Arc<RgbaImage>) {
        if generation == self.render_generation {
            // The textures of the old pixels go when the new ones are drawn (MapTextures).
            self.image = Some(image);
        }
    }
}

/// True when `url` is the page `choice` names, by the one URL-pattern rule
/// ([`crate::model::UrlPattern`]).
#[must_use]
pub fn page_matches(choice: &str, url: &str) -> bool {
    crate::model::UrlPattern::new(choice).matches(url)
}

/// The heatmap view: controls on the right, the map in the middle.
pub fn heatmap_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let view = &mut app.state.heatmap;
    let mut out = Vec::new();
    if !view.pages_requested {
        out.push(Command::LoadHeatmapPages);
    }
    egui::Panel::right("heatmap_side")
        .resizable(true)
        .default_size(theme::SIDE_WIDTH)
        .min_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("heatmap_controls")
                .show(ui, |ui| controls_ui(view, ui, &mut out));
        });
    let textures = &mut *app.map_textures;
    egui::CentralPanel::default_margins().show(ui, |ui| {
        if view.elements.on {
            super::elements_view::elements_map_ui(view, textures, ui, &mut out);
        } else {
            map_ui(view, textures, ui, &mut out);
        }
    });
    app.state.commands.extend(out);
}

fn controls_ui(view: &HeatmapView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let mut choice = view.choice.clone();
    let mut settings = view.settings.clone();
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading(if view.elements.on {
            "Elements"
        } else {
            "Heatmap"
        });
        ui.add_space(12.0);
        for (on, label, hint) in [
            (false, "Map", "The heatmap of the page"),
            (
                true,
                "Elements",
                "Every clicked element, grouped by its selector: a table and boxes over the page",
            ),
        ] {
            if ui
                .selectable_label(view.elements.on == on, label)
                .on_hover_text(hint)
                .clicked()
                && view.elements.on != on
            {
                out.push(Command::SetElementMode(on));
            }
        }
    });
    egui::Grid::new("heatmap_choice")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            ui.label("Page");
            let selected = if choice.page.is_empty() {
                "Choose a page".to_owned()
            } else {
                choice.page.clone()
            };
            egui::ComboBox::from_id_salt("heatmap_page")
                .selected_text(selected)
                .width(230.0)
                .show_ui(ui, |ui| {
                    for g in &view.groups {
                        let has_shot = view.shots.iter().any(|s| s.url == g.url);
                        let label = format!(
                            "{}  ({} views{})",
                            g.url,
                            g.page_views,
                            if has_shot { "" } else { ", no screenshot" }
                        );
                        if ui.selectable_label(choice.page == g.url, label).clicked() {
                            choice.page = g.url.clone();
                        }
                    }
                });
            ui.end_row();
            ui.label("Pattern");
            ui.add(
                egui::TextEdit::singleline(&mut choice.page)
                    .hint_text("/product/*  groups all product pages")
                    .desired_width(230.0),
            );
            ui.end_row();
            ui.label("Layout");
            let widths = view.widths();
            egui::ComboBox::from_id_salt("heatmap_width")
                .selected_text(format!("{} px", choice.layout_width))
                .show_ui(ui, |ui| {
                    for w in widths {
                        ui.selectable_value(&mut choice.layout_width, w, format!("{w} px"));
                    }
                });
            ui.end_row();
            ui.label("Kind");
            egui::ComboBox::from_id_salt("heatmap_kind")
                .selected_text(kind_label(choice.kind))
                .show_ui(ui, |ui| {
                    for k in HeatmapKind::ALL {
                        ui.selectable_value(&mut choice.kind, k, kind_label(k));
                    }
                });
            ui.end_row();
            ui.label("Viewports");
            ui.add(
                egui::Slider::new(&mut choice.tolerance, 0.0..=0.5)
                    .custom_formatter(|v, _| format!("+/- {:.0} %", v * 100.0)),
            )
            .on_hover_text("Page views whose viewport width is within this share of the layout width count (PostHog: 10 %)");
            ui.end_row();
            ui.label("Device");
            egui::ComboBox::from_id_salt("heatmap_device")
                .selected_text(choice.device.map_or("Any device".to_owned(), |d| d.to_string()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut choice.device, None, "Any device");
                    for d in [DeviceClass::Desktop, DeviceClass::Tablet, DeviceClass::Mobile] {
                        ui.selectable_value(&mut choice.device, Some(d), d.to_string());
                    }
                });
            ui.end_row();
            ui.label("Converted");
            egui::ComboBox::from_id_salt("heatmap_converted")
                .selected_text(match choice.converted {
                    None => "Any",
                    Some(true) => "Converted",
                    Some(false) => "Not converted",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut choice.converted, None, "Any");
                    ui.selectable_value(&mut choice.converted, Some(true), "Converted");
                    ui.selectable_value(&mut choice.converted, Some(false), "Not converted");
                });
            ui.end_row();
            ui.label("Source");
            ui.add(
                egui::TextEdit::singleline(&mut choice.source)
                    .hint_text("channel or utm_source")
                    .desired_width(160.0),
            );
            ui.end_row();
            ui.label("Dates");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut choice.from_date)
                        .hint_text("from YYYY-MM-DD")
                        .desired_width(100.0),
                );
                ui.add(
                    egui::TextEdit::singleline(&mut choice.to_date)
                        .hint_text("to YYYY-MM-DD")
                        .desired_width(100.0),
                );
            });
            ui.end_row();
            ui.label("Signal");
            egui::ComboBox::from_id_salt("heatmap_signal")
                .selected_text(if choice.has_signal.is_empty() {
                    "Any"
                } else {
                    choice.has_signal.as_str()
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut choice.has_signal, String::new(), "Any");
                    for kind in super::panels::SIGNAL_KINDS {
                        ui.selectable_value(&mut choice.has_signal, (*kind).to_owned(), *kind);
                    }
                });
            ui.end_row();
            ui.label("Event").on_hover_text(
                "Sessions that sent this custom event, e.g. a micro-conversion such as add_to_cart",
            );
            egui::ComboBox::from_id_salt("heatmap_event")
                .selected_text(if choice.has_event.is_empty() {
                    "Any"
                } else {
                    choice.has_event.as_str()
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut choice.has_event, String::new(), "Any");
                    for (name, sessions) in &view.events {
                        ui.selectable_value(
                            &mut choice.has_event,
                            name.clone(),
                            format!("{name} ({sessions})"),
                        );
                    }
                });
            ui.end_row();
            ui.label("Count");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut choice.count_mode, CountMode::Total, "Total");
                ui.selectable_value(&mut choice.count_mode, CountMode::UniqueSessions, "Unique sessions");
            });
            ui.end_row();
            ui.label("Fixed elements");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut choice.fixed_mode, FixedMode::ShowFixed, "Fixed");
                ui.selectable_value(&mut choice.fixed_mode, FixedMode::ShowScrolled, "Scrolled");
                ui.selectable_value(&mut choice.fixed_mode, FixedMode::Hide, "Hide");
            });
            ui.end_row();
            super::variants_view::choice_rows_ui(view, &mut choice, ui);
            ui.label("Compare").on_hover_text(
                "Two sets of sessions on one colour scale: A and B differ in one respect, every \
                 other filter applies to both",
            );
            egui::ComboBox::from_id_salt("heatmap_compare")
                .selected_text(choice.compare.label())
                .show_ui(ui, |ui| {
                    for mode in CompareMode::ALL {
                        ui.selectable_value(&mut choice.compare, mode, mode.label());
                    }
                });
            ui.end_row();
            match choice.compare {
                CompareMode::BeforeAfter => {
                    ui.label("Day");
                    ui.add(
                        egui::TextEdit::singleline(&mut choice.compare_day)
                            .hint_text("YYYY-MM-DD")
                            .desired_width(100.0),
                    );
                    ui.end_row();
                }
                CompareMode::Signal | CompareMode::Event => {
                    let signal = choice.compare == CompareMode::Signal;
                    ui.label(if signal { "A: signal" } else { "A: event" });
                    egui::ComboBox::from_id_salt("heatmap_compare_with")
                        .selected_text(if choice.compare_with.is_empty() {
                            "Choose"
                        } else {
                            choice.compare_with.as_str()
                        })
                        .show_ui(ui, |ui| {
                            if signal {
                                for kind in super::panels::SIGNAL_KINDS {
                                    ui.selectable_value(
                                        &mut choice.compare_with,
                                        (*kind).to_owned(),
                                        *kind,
                                    );
                                }
                            } else {
                                for (name, sessions) in &view.events {
                                    ui.selectable_value(
                                        &mut choice.compare_with,
                                        name.clone(),
                                        format!("{name} ({sessions})"),
                                    );
                                }
                            }
                        });
                    ui.end_row();
                }
                CompareMode::Source => {
                    ui.label("A: source");
                    ui.add(
                        egui::TextEdit::singleline(&mut choice.compare_with)
                            .hint_text("paid_social or instagram")
                            .desired_width(140.0),
                    );
                    ui.end_row();
                }
                CompareMode::Variants => {
                    super::variants_view::compare_rows_ui(view, &mut choice, ui);
                }
                CompareMode::Off | CompareMode::Converted => {}
            }
            if choice.compare != CompareMode::Off {
                ui.label("Show");
                ui.horizontal(|ui| {
                    for layout in [CompareLayout::SideBySide, CompareLayout::Difference] {
                        let label = if layout == CompareLayout::SideBySide {
                            "Side by side"
                        } else {
                            "Difference"
                        };
                        if ui
                            .selectable_label(view.compare_layout == layout, label)
                            .clicked()
                        {
                            out.push(Command::SetCompareLayout(layout));
                        }
                    }
                });
                ui.end_row();
            }
        });
    super::variants_view::table_ui(view, ui, out);
    ui.separator();
    if view.elements.on {
        super::elements_view::elements_side_ui(view, ui, out);
        if choice != view.choice {
            out.push(Command::SetHeatmapChoice(Box::new(choice)));
        }
        return;
    }
    egui::Grid::new("heatmap_render")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            if choice.kind.is_density() {
                ui.label("Radius");
                ui.add(egui::Slider::new(&mut settings.radius_px, 4.0..=60.0).suffix(" px"));
                ui.end_row();
            }
            ui.label("Opacity");
            ui.add(egui::Slider::new(&mut settings.opacity, 0.1..=1.0));
            ui.end_row();
            ui.label("Colours");
            egui::ComboBox::from_id_salt("heatmap_colormap")
                .selected_text(settings.colormap.as_str())
                .show_ui(ui, |ui| {
                    for c in Colormap::ALL {
                        ui.selectable_value(&mut settings.colormap, c, c.as_str());
                    }
                });
            ui.end_row();
        });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(view.image.is_some(), egui::Button::new("Export PNG..."))
            .on_hover_text("The full page at 1:1 with legend and caption: exactly the pixels shown")
            .clicked()
        {
            out.push(Command::ExportHeatmap);
        }
        if view.aggregating {
            ui.spinner();
            ui.label("Aggregating...");
            if ui.button("Cancel").clicked() {
                out.push(Command::CancelHeatmap);
            }
        }
    });
    if let Some(e) = &view.error {
        ui.label(RichText::new(e).color(theme::ERROR_MARK));
    }
    if let Some((result, _)) = &view.result {
        ui.separator();
        if let Some(compared) = &view.compared {
            ui.strong(format!("A: {}", compared.labels.0));
            ui.push_id("figures_a", |ui| figures_ui(result, ui, out));
            ui.separator();
            ui.strong(format!("B: {}", compared.labels.1));
            ui.push_id("figures_b", |ui| figures_ui(&compared.b, ui, out));
        } else {
            figures_ui(result, ui, out);
        }
        ui.separator();
        sections_ui(view, ui, out);
    }
    if let Some((pos, moments)) = &view.spot {
        ui.separator();
        ui.strong(format!("Moments near {:.0}, {:.0}", pos.x, pos.y));
        match moments {
            None => {
                ui.spinner();
            }
            Some(list) if list.is_empty() => {
                ui.label(RichText::new("No points within 15 px of this spot.").color(theme::MUTED));
            }
            Some(list) => {
                for m in list {
                    let label = format!(
                        "{}  {}",
                        m.session_id,
                        crate::model::time::format_utc(m.timestamp_ms)
                    );
                    if ui
                        .link(label)
                        .on_hover_text("Open the replay at this moment")
                        .clicked()
                    {
                        out.push(Command::OpenSessionAt {
                            session_id: m.session_id.clone(),
                            timestamp_ms: m.timestamp_ms,
                        });
                    }
                }
            }
        }
    }
    if choice != view.choice {
        if choice.kind != view.choice.kind {
            settings = RenderSettings::for_kind(choice.kind);
        }
        out.push(Command::SetHeatmapChoice(Box::new(choice)));
    }
    if settings != view.settings {
        out.push(Command::SetHeatmapSettings(Box::new(settings)));
    }
}

fn kind_label(kind: HeatmapKind) -> &'static str {
    match kind {
        HeatmapKind::Click => "Clicks",
        HeatmapKind::Move => "Mouse movement",
        HeatmapKind::Rage => "Rage clicks",
        HeatmapKind::Dead => "Dead clicks",
        HeatmapKind::Scroll => "Scroll reach",
        HeatmapKind::Attention => "Attention",
    }
}

fn figures_ui(result: &HeatmapResult, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    egui::Grid::new("heatmap_figures")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            let row = |ui: &mut egui::Ui, k: &str, v: String| {
                ui.label(RichText::new(k).color(theme::MUTED));
                ui.label(v);
                ui.end_row();
            };
            row(ui, "Sessions", result.sessions.to_string());
            row(ui, "Page views", result.page_views.to_string());
            if result.query.kind.is_density() {
                row(ui, "Points", result.points.to_string());
                if result.points_outside_page > 0 {
                    row(
                        ui,
                        "Outside the page",
                        result.points_outside_page.to_string(),
                    );
                }
            }
            row(
                ui,
                "Average fold",
                format!("{:.0} px", result.average_fold_px),
            );
            row(ui, "Page height", format!("{} px", result.page_height_px));
        });
    if !result.hotspots.is_empty() {
        ui.add_space(4.0);
        ui.strong("Hottest spots");
        for spot in &result.hotspots {
            let label = format!(
                "{:.0} {} at {:.0}, {:.0}  {}",
                spot.count,
                result.unit.noun(),
                spot.pos_in_page.x,
                spot.pos_in_page.y,
                spot.target.as_deref().unwrap_or("")
            );
            if ui
                .link(label)
                .on_hover_text("List the moments behind this spot")
                .clicked()
            {
                out.push(Command::HeatmapSpot(spot.pos_in_page));
            }
        }
    }
    if !result.scroll_reach.is_empty() && result.query.kind == HeatmapKind::Scroll {
        ui.add_space(4.0);
        for share in [0.75_f32, 0.5, 0.25] {
            if let Some(depth) =
                crate::analysis::heatmap::depth_reached_by(&result.scroll_reach, share)
            {
                ui.label(format!(
                    "{:.0} % of page views reached {depth} px",
                    share * 100.0
                ));
            }
        }
    }
}

/// The named sections of this page: reach and conversion, and a form to name a new band
/// (drawn with Shift+drag on the map).
fn sections_ui(view: &HeatmapView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.strong("Sections");
    ui.label(
        RichText::new(
            "Reach: page views whose viewport bottom passed the section's top, and the \
             purchase rate of those that did against those that did not (correlation, not \
             causation).",
        )
        .color(theme::MUTED),
    );
    let pct = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0));
    for reach in &view.sections {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&reach.section.name).strong());
            ui.label(format!(
                "{:.0}–{:.0} px · reached in {} of {} page views ({}) · purchase {} vs {}",
                reach.section.top_px,
                reach.section.bottom_px,
                reach.reached,
                reach.page_views,
                pct(reach.reach_rate),
                pct(reach.conversion_reached),
                pct(reach.conversion_not_reached)
            ));
            if ui.small_button("Delete").clicked() {
                out.push(Command::DeleteSection(reach.section.name.clone()));
            }
        });
    }
    let mut draft = view.section_draft.clone();
    if ui
        .selectable_label(view.band_mode, "Draw a band on the map")
        .on_hover_text("Then drag down the map over the section (or Shift+drag at any time)")
        .clicked()
    {
        out.push(Command::SetBandMode(!view.band_mode));
    }
    ui.horizontal(|ui| {
        let label = ui.label("Name");
        ui.add(
            egui::TextEdit::singleline(&mut draft.name)
                .hint_text("e.g. reviews")
                .desired_width(120.0),
        )
        .labelled_by(label.id);
        let label = ui.label("Top");
        ui.add(
            egui::DragValue::new(&mut draft.top_px)
                .range(0.0..=1_000_000.0)
                .suffix(" px"),
        )
        .labelled_by(label.id);
        let label = ui.label("Bottom");
        ui.add(
            egui::DragValue::new(&mut draft.bottom_px)
                .range(0.0..=1_000_000.0)
                .suffix(" px"),
        )
        .labelled_by(label.id);
    });
    let valid = !draft.name.trim().is_empty() && draft.bottom_px > draft.top_px;
    if ui
        .add_enabled(valid, egui::Button::new("Define section"))
        .clicked()
    {
        out.push(Command::DefineSection(crate::store::Section {
            name: draft.name.trim().to_owned(),
            page: view.choice.page.clone(),
            top_px: draft.top_px,
            bottom_px: draft.bottom_px,
        }));
    }
    if draft != view.section_draft {
        out.push(Command::SetSectionDraft(draft));
    }
}

/// The textures of the rendered map, uploaded on the first frame that shows an image (kept
/// beside the state, which holds no egui types).
#[derive(Default)]
pub struct MapTextures {
    /// The image the tiles show.
    image: Option<Arc<RgbaImage>>,
    tiles: Vec<Tile>,
    /// Images uploaded so far (names each upload's textures).
    uploads: u64,
}

impl MapTextures {
    /// The tiles of `image`, uploaded when it is not the image shown last (the element mode's
    /// picture; the map uploads its own in `map_ui`).
    pub(super) fn tiles_for(
        &mut self,
        ctx: &egui::Context,
        name: &str,
        image: &Arc<RgbaImage>,
    ) -> &[Tile] {
        if !self.image.as_ref().is_some_and(|i| Arc::ptr_eq(i, image)) {
            self.uploads += 1;
            self.tiles = upload_tiles(ctx, &format!("{name}-{}", self.uploads), image);
            self.image = Some(Arc::clone(image));
        }
        &self.tiles
    }
}

fn map_ui(
    view: &mut HeatmapView,
    textures: &mut MapTextures,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    if view.choice.page.is_empty() {
        ui.centered_and_justified(|ui| {
            ui.label("Choose a page on the right to aggregate its heatmap.");
        });
        return;
    }
    let Some(image) = view.image.clone() else {
        ui.centered_and_justified(|ui| {
            if view.error.is_some() {
                ui.label("No map: see the message on the right.");
            } else {
                ui.spinner();
            }
        });
        return;
    };
    let Some((result, shot)) = view.result.clone() else {
        return;
    };
    if !textures
        .image
        .as_ref()
        .is_some_and(|i| Arc::ptr_eq(i, &image))
    {
        textures.tiles = upload_tiles(
            ui.ctx(),
            &format!("heatmap-{}", view.render_generation),
            &image,
        );
        textures.image = Some(Arc::clone(&image));
    }
    // Image px per page CSS px (the screenshot's device pixel ratio).
    let px_per_css = shot.width as f32 / result.query.layout_width_px.max(1) as f32;
    let stage = ui.available_rect_before_wrap();
    let zoom_delta = ui.input(|i| i.zoom_delta());
    if zoom_delta != 1.0 && ui.rect_contains_pointer(stage) {
        view.zoom = (view.zoom * zoom_delta).clamp(0.1, 8.0);
    }
    let fit = (stage.width() - 16.0).max(50.0) / image.width as f32;
    let scale = fit * view.zoom;
    let size = Vec2::new(image.width as f32, image.height as f32) * scale;
    let tiles = &textures.tiles;
    let spot = view.spot.as_ref().map(|(p, _)| *p);
    let comparing = view.compared.is_some();
    let band_start = view.band_start_y;
    let band_mode = view.band_mode;
    let sections: Vec<(String, f32, f32)> = view
        .sections
        .iter()
        .map(|s| {
            (
                s.section.name.clone(),
                s.section.top_px,
                s.section.bottom_px,
            )
        })
        .collect();
    let draft = view.section_draft.clone();
    let mut new_band_start = band_start;
    egui::ScrollArea::both()
        .id_salt("heatmap_map")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let shift = ui.input(|i| i.modifiers.shift) || band_mode;
            let sense = if shift || band_start.is_some() {
                Sense::click_and_drag()
            } else {
                Sense::click()
            };
            let (rect, response) = ui.allocate_exact_size(size, sense);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, "Heatmap"));
            let painter = ui.painter_at(ui.clip_rect());
            super::replay::paint_tiles(&painter, tiles, rect.min, scale);
            let page_of = |p: Pos2| PagePos {
                x: (p.x - rect.left()) / scale / px_per_css,
                y: (p.y - rect.top()) / scale / px_per_css,
            };
            // Named sections and the band being drawn: outlined bands across the page.
            let band_rect = |top: f32, bottom: f32| {
                Rect::from_min_max(
                    Pos2::new(rect.left(), rect.top() + top * px_per_css * scale),
                    Pos2::new(rect.right(), rect.top() + bottom * px_per_css * scale),
                )
            };
            for (name, top, bottom) in &sections {
                let r = band_rect(*top, *bottom);
                painter.rect_stroke(
                    r,
                    0.0,
                    Stroke::new(1.5, theme::ACCENT),
                    egui::StrokeKind::Inside,
                );
                painter.text(
                    r.left_top() + Vec2::new(6.0, 4.0),
                    egui::Align2::LEFT_TOP,
                    name,
                    egui::FontId::proportional(13.0),
                    theme::ACCENT,
                );
            }
            if response.drag_started()
                && shift
                && let Some(pos) = response.interact_pointer_pos()
            {
                new_band_start = Some(page_of(pos).y.max(0.0));
            }
            if let (Some(start), Some(pos)) = (new_band_start, response.interact_pointer_pos()) {
                let end = page_of(pos).y.max(0.0);
                let (top, bottom) = (start.min(end), start.max(end));
                painter.rect_filled(
                    band_rect(top, bottom),
                    0.0,
                    Color32::from_rgba_unmultiplied(255, 255, 255, 40),
                );
                if response.drag_stopped() {
                    new_band_start = None;
                    out.push(Command::SetBandMode(false));
                    out.push(Command::SetSectionDraft(SectionDraft {
                        top_px: top.round(),
                        bottom_px: bottom.round(),
                        ..draft.clone()
                    }));
                }
            }
            if let Some(s) = spot {
                let c = rect.min + Vec2::new(s.x, s.y) * px_per_css * scale;
                painter.circle_stroke(
                    c,
                    SPOT_RADIUS_PX * px_per_css * scale,
                    Stroke::new(2.0, Color32::WHITE),
                );
            }
            if comparing {
                // Two maps (or a difference) share the image: spots belong to neither.
                return;
            }
            if let Some(pos) = response.hover_pos() {
                let p = page_of(pos);
                if p.y <= result.page_height_px as f32 {
                    response.clone().on_hover_text_at_pointer(hover_text(
                        &result,
                        p,
                        SPOT_RADIUS_PX as u32,
                    ));
                }
            }
            if response.clicked()
                && !shift
                && let Some(pos) = response.interact_pointer_pos()
            {
                out.push(Command::HeatmapSpot(page_of(pos)));
            }
        });
    view.band_start_y = new_band_start;
}

fn hover_text(result: &HeatmapResult, p: PagePos, radius: u32) -> String {
    let band = (p.y.max(0.0) as u32 / crate::analysis::heatmap::BAND_PX) as usize;
    match result.query.kind {
        HeatmapKind::Scroll => result.scroll_reach.get(band).map_or_else(String::new, |b| {
            format!(
                "{:.0} % of page views scrolled to {} px",
                b.share * 100.0,
                b.depth_px
            )
        }),
        HeatmapKind::Attention => result
            .attention_secs
            .get(band)
            .map_or_else(String::new, |s| {
                format!("{s:.1} s in view per page view at {:.0} px", p.y)
            }),
        _ => format!(
            "{:.0} {} within {radius} px of {:.0}, {:.0}\nclick to list the moments",
            result.density.sum_near(p, radius),
            result.unit.noun(),
            p.x,
            p.y
        ),
    }
}

/// Turns a result's moments near `pos` into rowid lists for the query thread.
#[must_use]
pub fn moments_near(result: &HeatmapResult, pos: PagePos) -> Vec<crate::analysis::heatmap::Moment> {
    result.moments_near(pos, SPOT_RADIUS_PX, MAX_MOMENTS)
}

/// The caption printed under an exported map: the filters that made it and the sample size.
#[must_use]
pub fn caption(result: &HeatmapResult) -> String {
    let q = &result.query;
    let mut parts = Vec::new();
    if let Some((lo, hi)) = q.viewport_widths {
        parts.push(format!("viewports {lo}-{hi} px"));
    }
    if let Some(d) = q.filter.device {
        parts.push(d.to_string());
    }
    if let Some(s) = &q.filter.source {
        parts.push(format!("source {s}"));
    }
    match q.filter.converted {
        Some(true) => parts.push("converted".to_owned()),
        Some(false) => parts.push("not converted".to_owned()),
        None => {}
    }
    if let Some(s) = &q.filter.has_signal {
        parts.push(format!("with {s}"));
    }
    if let Some(e) = &q.filter.has_event {
        parts.push(format!("did {e}"));
    }
    if let Some((from, to)) = result.date_range_ms {
        let day = |ms: i64| {
            let t = crate::model::time::format_utc(ms);
            t.split_once(' ').map_or(t.clone(), |(d, _)| d.to_owned())
        };
        parts.push(format!("{} to {}", day(from), day(to)));
    }
    if q.count_mode == CountMode::UniqueSessions {
        parts.push("unique sessions".to_owned());
    }
    parts.push(format!(
        "{} sessions, {} page views",
        result.sessions, result.page_views
    ));
    parts.join(" | ")
}

/// A file name for an exported map, e.g. `heatmap-click-product-trail-runner-1440.png`.
#[must_use]
pub fn export_name(result: &HeatmapResult) -> String {
    let q = &result.query;
    format!(
        "heatmap-{}-{}-{}.png",
        q.kind.as_str(),
        export_slug(&q.page),
        q.layout_width_px
    )
}

/// A file-name-safe form of a page URL or pattern (`page` when nothing is left).
#[must_use]
pub fn export_slug(page: &str) -> String {
    let slug: String = page
        .split_once("://")
        .map_or(page, |(_, rest)| rest)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "page".to_owned()
    } else {
        slug.to_owned()
    }
}
