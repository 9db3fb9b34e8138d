//! The heatmap view: pick a page, layout, kind and filters; the map is aggregated on the query
//! thread, rendered on the `heatmap-render` thread by the same code as the PNG export
//! (`render::heatmap::render_heatmap`), and shown zoomable and pannable. Hover shows the local
//! count; a click lists the moments behind the spot, each opening the replay there. In compare
//! mode, hover reads out the test of the cell (or scroll band) under the pointer and the side
//! panel lists the band and hotspot tests ([`CompareTests`], computed with the comparison).

use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};

use super::app::ViewContext;
use super::background::Compared;
use super::command::Command;
use super::replay::{Tile, upload_tiles};
use super::theme;
use crate::analysis::compare::ComparePreset;
use crate::analysis::heatmap::{
    CELL_PX, CountMode, FixedMode, HeatmapKind, HeatmapQuery, HeatmapResult,
};
use crate::analysis::significance::{
    CellTest, CellTests, DEFAULT_FDR, PlaceTests, REACH_BAND_PX, benjamini_hochberg_q, test_cells,
    test_hotspots, test_scroll_reach,
};
use crate::model::{DeviceClass, FilterText, ImageFromPage, ImagePos, PagePos};
use crate::render::RgbaImage;
use crate::render::compare::CompareLayout;
use crate::render::heatmap::{Colormap, RenderSettings};
use crate::store::{PageGroup, ScreenshotInfo};

/// Points within this distance of a click are the moments behind a spot (PostHog's 15 px).
pub const SPOT_RADIUS_PX: f32 = 15.0;
/// Most moments listed for a spot.
pub const MAX_MOMENTS: usize = 200;

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
    /// Under a comparison, list every scroll band's test (not only the bands that differ).
    pub all_band_tests: bool,
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
            all_band_tests: false,
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
            ui.separator();
            compare_tests_ui(
                &compared.tests,
                (result, &compared.b),
                view.all_band_tests,
                ui,
                out,
            );
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
    let compared = view.compared.clone();
    let compare_layout = view.compare_layout;
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
            if let Some(compared) = &compared {
                // Two maps (or a difference) share the image: spots belong to neither. Hover
                // reads out the test of the cell under the pointer.
                if let Some(pos) = response.hover_pos() {
                    // Screen points to image px of the rendered map (the view's zoom), then
                    // to page CSS px (the screenshot's scale) in `page_pos_in_map`.
                    let pos_in_image = ImagePos {
                        x: (pos.x - rect.left()) / scale,
                        y: (pos.y - rect.top()) / scale,
                    };
                    let page_h = result.page_height_px.max(compared.b.page_height_px);
                    if let Some((p, map_left_px)) = page_pos_in_map(
                        pos_in_image,
                        shot.width,
                        result.query.layout_width_px,
                        Some(compare_layout),
                    ) && p.y <= page_h as f32
                        && let Some(readout) = hover_readout(
                            &compared.tests,
                            (&compared.labels.0, &compared.labels.1),
                            result.query.kind,
                            p,
                            compare_layout,
                        )
                    {
                        // Outline the cell or band read out: page CSS px to image px (the
                        // screenshot's scale) to screen points (the view's zoom).
                        let to_image = ImageFromPage::new(shot.width, result.query.layout_width_px);
                        let on_screen = |p: PagePos| {
                            let i = to_image.apply(p);
                            rect.min + Vec2::new(map_left_px + i.x, i.y) * scale
                        };
                        let right = PagePos {
                            x: readout
                                .bottom_right
                                .x
                                .min(result.query.layout_width_px as f32),
                            ..readout.bottom_right
                        };
                        painter.rect_stroke(
                            Rect::from_min_max(on_screen(readout.top_left), on_screen(right)),
                            0.0,
                            Stroke::new(1.5, Color32::BLACK),
                            egui::StrokeKind::Outside,
                        );
                        response.clone().on_hover_text_at_pointer(readout.text);
                    }
                }
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

/// The tests of a comparison as the app shows them: the difference map's cells, the scroll
/// bands and the hotspots, with each test's Benjamini–Hochberg q-value. Computed once on the
/// query thread when the comparison arrives (`background::Compared`), by the calls `sessionlens
/// heatmap --compare --json` makes (cells of [`CELL_PX`], scroll bands of [`REACH_BAND_PX`] on
/// scroll maps only, hotspots, all at [`DEFAULT_FDR`]); the difference map's render runs the same
/// pure test on the same two results, so what is drawn and what is read out agree.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareTests {
    /// One test per cell with a point in A or B.
    pub cells: CellTests,
    /// The q-value of each of `cells.cells`, same order.
    pub cell_q: Vec<f64>,
    /// Scroll reach per band (the scroll-reach map only, as the command line).
    pub bands: Option<PlaceTests>,
    /// The q-value of each band, same order.
    pub band_q: Vec<f64>,
    /// One test per hotspot of A and of B.
    pub hotspots: PlaceTests,
    /// The q-value of each hotspot, same order.
    pub hotspot_q: Vec<f64>,
}

impl CompareTests {
    /// Tests `a` against `b` (results of the same page, kind and layout).
    #[must_use]
    pub fn new(a: &HeatmapResult, b: &HeatmapResult) -> Self {
        let cells = test_cells(a, b, CELL_PX, DEFAULT_FDR);
        let bands = (a.query.kind == HeatmapKind::Scroll)
            .then(|| test_scroll_reach(a, b, REACH_BAND_PX, DEFAULT_FDR));
        let hotspots = test_hotspots(a, b, DEFAULT_FDR);
        let places_q = |t: &PlaceTests| {
            benjamini_hochberg_q(&t.places.iter().map(|p| p.test.p_value).collect::<Vec<_>>())
        };
        Self {
            cell_q: benjamini_hochberg_q(
                &cells.cells.iter().map(|c| c.p_value).collect::<Vec<_>>(),
            ),
            band_q: bands.as_ref().map(places_q).unwrap_or_default(),
            hotspot_q: places_q(&hotspots),
            cells,
            bands,
            hotspots,
        }
    }

    /// The test of the cell holding `pos_in_page` and its q-value, if the cell was tested.
    #[must_use]
    pub fn cell_at(&self, pos_in_page: PagePos) -> Option<(&CellTest, f64)> {
        let i = self.cells.index_at(pos_in_page.x, pos_in_page.y)?;
        Some((self.cells.cells.get(i)?, self.cell_q.get(i).copied()?))
    }
}

/// The page position under a point of the map shown, and the left edge (image px) of the map
/// it is on. `pos_in_image` is in image px of the rendered map (the pointer's offset from the
/// map's top-left corner on screen divided by the view's zoom scale); the screenshot's
/// [`ImageFromPage`] turns it into page CSS px. Side by side, B's map starts a screenshot width
/// plus [`crate::render::compare::SIDE_BY_SIDE_GAP_PX`] to the right, so both halves give the
/// same page position. None left of or above the map, in the gap and right of the map.
#[must_use]
pub fn page_pos_in_map(
    pos_in_image: ImagePos,
    shot_width_px: u32,
    layout_width_css_px: u32,
    layout: Option<CompareLayout>,
) -> Option<(PagePos, f32)> {
    let width = shot_width_px as f32;
    let map_left_px = if layout == Some(CompareLayout::SideBySide) && pos_in_image.x >= width {
        width + crate::render::compare::SIDE_BY_SIDE_GAP_PX as f32
    } else {
        0.0
    };
    let x = pos_in_image.x - map_left_px;
    if !(x >= 0.0 && x < width && pos_in_image.y >= 0.0) {
        return None;
    }
    let pos_in_page = ImageFromPage::new(shot_width_px, layout_width_css_px).inverse(ImagePos {
        x,
        y: pos_in_image.y,
    });
    Some((pos_in_page, map_left_px))
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// A difference of shares in percentage points with its 95 % interval.
fn points_with_interval(difference: f64, interval95: (f64, f64)) -> String {
    format!(
        "{:+.1} [{:+.1}, {:+.1}]",
        difference * 100.0,
        interval95.0 * 100.0,
        interval95.1 * 100.0
    )
}

/// A p- or q-value: three decimals, or two significant digits below 0.001.
fn p_text(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

fn test_name(exact: bool) -> &'static str {
    if exact {
        "Fisher exact"
    } else {
        "two-proportion z-test"
    }
}

/// What hovering a cell of a comparison says: the cell, both rates per page view, the
/// difference and its interval, p and q, and whether it differs at the level.
#[must_use]
pub fn cell_readout(
    tests: &CompareTests,
    (label_a, label_b): (&str, &str),
    pos_in_page: PagePos,
    layout: CompareLayout,
) -> String {
    let cell_px = tests.cells.cell_px.max(1);
    let (x0, y0) = (
        pos_in_page.x.max(0.0) as u32 / cell_px * cell_px,
        pos_in_page.y.max(0.0) as u32 / cell_px * cell_px,
    );
    let head = format!("Cell {x0}–{} × {y0}–{} px", x0 + cell_px, y0 + cell_px);
    let Some((c, q)) = tests.cell_at(pos_in_page) else {
        return format!("{head}\nNo point of A or B here: not tested");
    };
    let level = format!("FDR {:.0} %", tests.cells.fdr * 100.0);
    let outcome = match (c.significant, layout) {
        (true, CompareLayout::Difference) => format!(
            "Differs at {level}: drawn {}",
            if c.difference() > 0.0 {
                "red (A more)"
            } else {
                "blue (B more)"
            }
        ),
        (true, CompareLayout::SideBySide) => format!("Differs at {level}"),
        (false, CompareLayout::Difference) => {
            format!("No difference at {level} (could be chance): drawn neutral")
        }
        (false, CompareLayout::SideBySide) => {
            format!("No difference at {level} (could be chance)")
        }
    };
    format!(
        "{head}\nA ({label_a}): {} of page views ({} of {})\nB ({label_b}): {} of page views ({} of {})\nA − B: {:+.1} points, 95 % interval [{:+.1}, {:+.1}]\np = {} ({}), q = {} (Benjamini–Hochberg over {} cells)\n{outcome}",
        percent(c.share_a),
        c.views_a,
        tests.cells.page_views_a,
        percent(c.share_b),
        c.views_b,
        tests.cells.page_views_b,
        c.difference() * 100.0,
        c.interval95.0 * 100.0,
        c.interval95.1 * 100.0,
        p_text(c.p_value),
        test_name(c.exact),
        p_text(q),
        tests.cells.cells.len(),
    )
}

/// What hovering a comparison says about one place of the page, and that place.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// The text.
    pub text: String,
    /// Top-left corner of the place read out, page CSS px.
    pub top_left: PagePos,
    /// Bottom-right corner, page CSS px (`f32::MAX` wide for a band across the page).
    pub bottom_right: PagePos,
}

/// What hovering a comparison of `kind` at `pos_in_page` reads out: the test of the cell there
/// on point maps, the test of the scroll band there on scroll-reach maps, nothing on
/// attention maps (they are not tested).
#[must_use]
pub fn hover_readout(
    tests: &CompareTests,
    labels: (&str, &str),
    kind: HeatmapKind,
    pos_in_page: PagePos,
    layout: CompareLayout,
) -> Option<Readout> {
    if kind.is_density() {
        let cell_px = tests.cells.cell_px.max(1) as f32;
        let top_left = PagePos {
            x: (pos_in_page.x.max(0.0) / cell_px).floor() * cell_px,
            y: (pos_in_page.y.max(0.0) / cell_px).floor() * cell_px,
        };
        return Some(Readout {
            text: cell_readout(tests, labels, pos_in_page, layout),
            top_left,
            bottom_right: PagePos {
                x: top_left.x + cell_px,
                y: top_left.y + cell_px,
            },
        });
    }
    if kind != HeatmapKind::Scroll {
        return None;
    }
    let bands = tests.bands.as_ref()?;
    let i = bands
        .places
        .iter()
        .position(|p| p.place.1 >= pos_in_page.y)?;
    let (band, q) = (bands.places.get(i)?, *tests.band_q.get(i)?);
    let (top, bottom) = ((band.place.1 - REACH_BAND_PX as f32).max(0.0), band.place.1);
    let level = format!("FDR {:.0} %", bands.fdr * 100.0);
    let (label_a, label_b) = labels;
    let t = &band.test;
    let text = format!(
        "Band {top:.0}–{bottom:.0} px: page views whose deepest viewport bottom reached {bottom:.0} px\nA ({label_a}): {} ({} of {})\nB ({label_b}): {} ({} of {})\nA − B: {:+.1} points, 95 % interval [{:+.1}, {:+.1}]\np = {} ({}), q = {} (Benjamini–Hochberg over {} bands)\n{}",
        percent(t.share_a),
        band.views_a,
        bands.page_views_a,
        percent(t.share_b),
        band.views_b,
        bands.page_views_b,
        (t.share_a - t.share_b) * 100.0,
        t.interval95.0 * 100.0,
        t.interval95.1 * 100.0,
        p_text(t.p_value),
        test_name(t.exact),
        p_text(q),
        bands.places.len(),
        if band.significant {
            format!("Differs at {level}")
        } else {
            format!("No difference at {level} (could be chance)")
        }
    );
    Some(Readout {
        text,
        top_left: PagePos { x: 0.0, y: top },
        bottom_right: PagePos {
            x: f32::MAX,
            y: bottom,
        },
    })
}

/// The legend of the cell tests, as the exported difference map's caption says it.
#[must_use]
pub fn cells_legend(cells: &CellTests) -> String {
    let mut line = cells.describe();
    if cells.overlap > 0 {
        line.push_str(&format!(
            "; A against the other {} page views of B",
            cells.page_views_b
        ));
    }
    line
}

/// The rows of the scroll-band table: band, reach A, reach B, A − B with its interval, q,
/// whether it differs. Every band with `all`, else those that differ.
#[must_use]
pub fn band_rows(tests: &CompareTests, all: bool) -> Vec<[String; 6]> {
    let Some(bands) = &tests.bands else {
        return Vec::new();
    };
    bands
        .places
        .iter()
        .zip(&tests.band_q)
        .filter(|(p, _)| all || p.significant)
        .map(|(p, q)| {
            let bottom = p.place.1;
            place_row(
                format!(
                    "{:.0}–{bottom:.0} px",
                    (bottom - REACH_BAND_PX as f32).max(0.0)
                ),
                p,
                *q,
            )
        })
        .collect()
}

/// One row of a place table: the place, rate A, rate B, A − B with its interval, q, whether
/// it differs.
fn place_row(place: String, p: &crate::analysis::significance::PlaceTest, q: f64) -> [String; 6] {
    [
        place,
        percent(p.test.share_a),
        percent(p.test.share_b),
        points_with_interval(p.test.share_a - p.test.share_b, p.test.interval95),
        p_text(q),
        if p.significant { "yes" } else { "no" }.to_owned(),
    ]
}

/// The rows of the hotspot table: hotspot, rate A, rate B, A − B with its interval, q,
/// whether it differs.
#[must_use]
pub fn hotspot_rows(tests: &CompareTests) -> Vec<[String; 6]> {
    tests
        .hotspots
        .places
        .iter()
        .zip(&tests.hotspot_q)
        .map(|(p, q)| {
            place_row(
                format!(
                    "{}'s spot at {:.0}, {:.0}",
                    p.from.to_uppercase(),
                    p.place.0,
                    p.place.1
                ),
                p,
                *q,
            )
        })
        .collect()
}

/// How a list of places was tested, for the line above its table.
fn places_legend(tests: &PlaceTests, what: &str) -> String {
    format!(
        "share of page views, Fisher exact / two-proportion z-test, Benjamini–Hochberg FDR {:.0} % \
         over the {what}",
        tests.fdr * 100.0
    )
}

/// What each tested hotspot is (its element, when the recordings tell), from the map it
/// belongs to, for the rows' hover text.
fn hotspot_targets(tests: &PlaceTests, (a, b): (&HeatmapResult, &HeatmapResult)) -> Vec<String> {
    tests
        .places
        .iter()
        .map(|p| {
            let map = if p.from == "b" { b } else { a };
            let target = map
                .hotspots
                .iter()
                .find(|h| (h.pos_in_page.x, h.pos_in_page.y) == p.place)
                .and_then(|h| h.target.clone())
                .unwrap_or_else(|| "no element recorded".to_owned());
            format!(
                "{target}\npage views with a point in its window: A {} of {}, B {} of {}\np = {} ({})",
                p.views_a,
                tests.page_views_a,
                p.views_b,
                tests.page_views_b,
                p_text(p.test.p_value),
                test_name(p.test.exact)
            )
        })
        .collect()
}

/// A table of test rows (in the side panel's own scrolling); rows that differ in bold; the
/// first cell of a row shows `hovers[row]` when hovered.
fn tests_grid(id: &str, first: &str, rows: &[[String; 6]], hovers: &[String], ui: &mut egui::Ui) {
    egui::Grid::new(id)
        .num_columns(6)
        .striped(true)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for h in [first, "A", "B", "A − B, points (95 %)", "q", "Differs"] {
                ui.label(RichText::new(h).color(theme::MUTED));
            }
            ui.end_row();
            for (i, row) in rows.iter().enumerate() {
                let differs = row[5] == "yes";
                for (j, cell) in row.iter().enumerate() {
                    let text = RichText::new(cell);
                    let label = ui.label(if differs { text.strong() } else { text });
                    if j == 0
                        && let Some(hover) = hovers.get(i)
                    {
                        label.on_hover_text(hover);
                    }
                }
                ui.end_row();
            }
        });
}

/// Under a comparison's figures: the cell tests' legend, the scroll-band tests and the hotspot
/// tests (the numbers of `sessionlens heatmap --compare --json`).
fn compare_tests_ui(
    tests: &CompareTests,
    (a, b): (&HeatmapResult, &HeatmapResult),
    all_bands: bool,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let muted = |ui: &mut egui::Ui, text: &str| {
        ui.label(RichText::new(text).color(theme::MUTED));
    };
    let kind = a.query.kind;
    ui.strong("Tests of A against B");
    if kind.is_density() {
        ui.label(cells_legend(&tests.cells));
        muted(
            ui,
            "Hover a cell of the map: both rates per page view, the difference with its 95 % \
             interval (Newcombe), p and the Benjamini–Hochberg q.",
        );
    } else if kind == HeatmapKind::Scroll {
        muted(
            ui,
            "Hover the map for the test of the band there: both reach rates, the difference \
             with its 95 % interval (Newcombe), p and the Benjamini–Hochberg q.",
        );
    } else {
        muted(
            ui,
            "Attention is not tested; cells are tested on point maps, bands on the \
             scroll-reach map.",
        );
    }
    ui.add_space(4.0);
    ui.strong("Scroll-reach band tests");
    match &tests.bands {
        None => muted(
            ui,
            "Scroll reach is tested per band on the scroll-reach map (Kind: Scroll reach).",
        ),
        Some(bands) => {
            ui.label(format!(
                "{} of {} bands ({REACH_BAND_PX} px) differ in the share of page views that \
                 reached their bottom: {}",
                bands.significant(),
                bands.places.len(),
                places_legend(bands, "bands")
            ));
            let mut all = all_bands;
            if ui
                .checkbox(&mut all, "Every band")
                .on_hover_text("List every band, not only those that differ")
                .changed()
            {
                out.push(Command::ShowAllBandTests(all));
            }
            let rows = band_rows(tests, all_bands);
            if rows.is_empty() {
                muted(ui, "No band differs.");
            } else {
                tests_grid("heatmap_band_tests", "Band", &rows, &[], ui);
            }
        }
    }
    ui.add_space(4.0);
    ui.strong("Hotspot tests");
    let rows = hotspot_rows(tests);
    if rows.is_empty() {
        muted(ui, "No hotspot in A or B.");
    } else {
        ui.label(format!(
            "{} of {} hotspots differ in the share of page views with a point in their {} px \
             window: {}",
            tests.hotspots.significant(),
            rows.len(),
            3 * CELL_PX,
            places_legend(&tests.hotspots, "hotspots")
        ));
        let targets = hotspot_targets(&tests.hotspots, (a, b));
        tests_grid("heatmap_hotspot_tests", "Hotspot", &rows, &targets, ui);
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::analysis::heatmap::Hotspot;

    pub(in crate::ui) use crate::analysis::significance::tests::result_of;

    /// A: 80 of 200 page views click at (100, 100), B: 20 of 200; both 60 at (400, 400). A's
    /// page views all reach 800 px, half of B's stop at 300 px.
    pub(in crate::ui) fn known_difference(kind: HeatmapKind) -> (HeatmapResult, HeatmapResult) {
        let mut pa: Vec<(u32, f32, f32)> = (0..80).map(|v| (v, 100.0, 100.0)).collect();
        let mut pb: Vec<(u32, f32, f32)> = (0..20).map(|v| (v, 102.0, 98.0)).collect();
        for v in 100..160 {
            pa.push((v, 400.0, 400.0));
            pb.push((v, 401.0, 400.0));
        }
        let mut a = result_of(kind, 0, 200, |_| 800.0, &pa);
        let mut b = result_of(
            kind,
            1_000,
            200,
            |v| if v % 2 == 0 { 300.0 } else { 800.0 },
            &pb,
        );
        let spot = |x: f32, y: f32| Hotspot {
            pos_in_page: PagePos { x, y },
            count: 1.0,
            target: None,
        };
        a.hotspots = vec![spot(100.0, 100.0), spot(400.0, 400.0)];
        b.hotspots = vec![spot(400.0, 400.0)];
        (a, b)
    }

    #[test]
    fn the_readout_comes_from_the_tests_the_map_is_drawn_from() {
        let (a, b) = known_difference(HeatmapKind::Click);
        let tests = CompareTests::new(&a, &b);
        // The difference map's render calls exactly this on the same two results.
        assert_eq!(tests.cells, test_cells(&a, &b, CELL_PX, DEFAULT_FDR));
        assert_eq!(tests.cells.cells.len(), 2);
        assert_eq!(tests.cell_q.len(), 2);

        let (cell, q) = tests.cell_at(PagePos { x: 97.0, y: 110.0 }).unwrap();
        assert_eq!((cell.cell_x, cell.cell_y), (6, 6));
        assert!(cell.significant && q <= DEFAULT_FDR && q >= cell.p_value);
        let text = cell_readout(
            &tests,
            ("converted", "not converted"),
            PagePos { x: 97.0, y: 110.0 },
            CompareLayout::Difference,
        );
        for part in [
            "Cell 96–112 × 96–112 px",
            "A (converted): 40.0 % of page views (80 of 200)",
            "B (not converted): 10.0 % of page views (20 of 200)",
            "A − B: +30.0 points, 95 % interval [+",
            &format!("q = {} (Benjamini–Hochberg over 2 cells)", p_text(q)),
            "Differs at FDR 5 %: drawn red (A more)",
        ] {
            assert!(text.contains(part), "{part:?} not in {text}");
        }

        // The cell both sets click alike: tested, not different, drawn neutral.
        let text = cell_readout(
            &tests,
            ("converted", "not converted"),
            PagePos { x: 401.0, y: 401.0 },
            CompareLayout::Difference,
        );
        assert!(text.contains("30.0 % of page views (60 of 200)"), "{text}");
        assert!(text.contains("No difference at FDR 5 % (could be chance): drawn neutral"));
        let text = cell_readout(
            &tests,
            ("converted", "not converted"),
            PagePos { x: 401.0, y: 401.0 },
            CompareLayout::SideBySide,
        );
        assert!(!text.contains("drawn"), "{text}");
        // A cell without points was not tested.
        let text = cell_readout(
            &tests,
            ("a", "b"),
            PagePos { x: 10.0, y: 700.0 },
            CompareLayout::Difference,
        );
        assert_eq!(
            text,
            "Cell 0–16 × 688–704 px\nNo point of A or B here: not tested"
        );
        assert!(cells_legend(&tests.cells).starts_with("1 of 2 cells (16 px) differ"));
        assert!(cells_legend(&tests.cells).contains("Benjamini–Hochberg FDR 5 %"));
    }

    #[test]
    fn bands_are_tested_on_scroll_maps_and_hotspots_on_every_map() {
        let (a, b) = known_difference(HeatmapKind::Click);
        let tests = CompareTests::new(&a, &b);
        assert!(tests.bands.is_none() && tests.band_q.is_empty());
        assert!(band_rows(&tests, true).is_empty());
        let rows = hotspot_rows(&tests);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0][..3],
            [
                "A's spot at 100, 100".to_owned(),
                "40.0 %".to_owned(),
                "10.0 %".to_owned()
            ]
        );
        assert_eq!(rows[0][5], "yes");
        assert_eq!(rows[1][5], "no");
        assert_eq!(rows[2][0], "B's spot at 400, 400");
        assert_eq!(tests.hotspots, test_hotspots(&a, &b, DEFAULT_FDR));
        // A row's hover names its hotspot's element, from the map the hotspot belongs to.
        let mut a = a;
        a.hotspots[1].target = Some("#buy \"Buy\"".to_owned());
        let targets = hotspot_targets(&tests.hotspots, (&a, &b));
        assert_eq!(targets.len(), 3);
        assert!(targets[0].starts_with("no element recorded\n"));
        assert!(targets[1].starts_with("#buy \"Buy\"\n"), "{}", targets[1]);
        assert!(
            targets[2].starts_with("no element recorded\n"),
            "B's own spot"
        );
        assert!(
            targets[0].contains("A 80 of 200, B 20 of 200"),
            "{}",
            targets[0]
        );

        let (a, b) = known_difference(HeatmapKind::Scroll);
        let tests = CompareTests::new(&a, &b);
        let bands = tests.bands.clone().unwrap();
        assert_eq!(bands, test_scroll_reach(&a, &b, REACH_BAND_PX, DEFAULT_FDR));
        assert_eq!(bands.places.len(), 8);
        assert_eq!(tests.band_q.len(), 8);
        // Every view of both reached 100–300 px; from 400 px half of B's are missing.
        let every = band_rows(&tests, true);
        assert_eq!(every.len(), 8);
        assert_eq!(every[0][0], "0–100 px");
        assert_eq!(every[0][5], "no");
        let differing = band_rows(&tests, false);
        assert_eq!(differing.len(), 5);
        assert_eq!(
            differing[0],
            [
                "300–400 px".to_owned(),
                "100.0 %".to_owned(),
                "50.0 %".to_owned(),
                differing[0][3].clone(),
                differing[0][4].clone(),
                "yes".to_owned()
            ]
        );
        assert!(differing[0][3].starts_with("+50.0 ["));
    }

    #[test]
    fn hovering_reads_out_a_cell_on_point_maps_and_a_band_on_scroll_maps() {
        let labels = ("converted", "not converted");
        let at = PagePos { x: 97.0, y: 350.0 };
        let (a, b) = known_difference(HeatmapKind::Click);
        let tests = CompareTests::new(&a, &b);
        let cell = hover_readout(
            &tests,
            labels,
            HeatmapKind::Click,
            at,
            CompareLayout::Difference,
        )
        .unwrap();
        assert_eq!(
            (cell.top_left, cell.bottom_right),
            (
                PagePos { x: 96.0, y: 336.0 },
                PagePos { x: 112.0, y: 352.0 }
            )
        );
        assert_eq!(
            cell.text,
            cell_readout(&tests, labels, at, CompareLayout::Difference)
        );

        let (a, b) = known_difference(HeatmapKind::Scroll);
        let tests = CompareTests::new(&a, &b);
        let band = hover_readout(
            &tests,
            labels,
            HeatmapKind::Scroll,
            at,
            CompareLayout::Difference,
        )
        .unwrap();
        assert_eq!((band.top_left.y, band.bottom_right.y), (300.0, 400.0));
        for part in [
            "Band 300–400 px: page views whose deepest viewport bottom reached 400 px",
            "A (converted): 100.0 % (200 of 200)",
            "B (not converted): 50.0 % (100 of 200)",
            "A − B: +50.0 points, 95 % interval [+",
            "(Benjamini–Hochberg over 8 bands)",
            "Differs at FDR 5 %",
        ] {
            assert!(band.text.contains(part), "{part:?} not in {}", band.text);
        }
        let top = hover_readout(
            &tests,
            labels,
            HeatmapKind::Scroll,
            PagePos { x: 5.0, y: 0.0 },
            CompareLayout::SideBySide,
        )
        .unwrap();
        assert!(top.text.starts_with("Band 0–100 px"), "{}", top.text);
        assert!(
            top.text
                .ends_with("No difference at FDR 5 % (could be chance)")
        );
        // Below the deepest band, and on attention maps, there is nothing to read out.
        let below = PagePos { x: 5.0, y: 801.0 };
        assert!(
            hover_readout(
                &tests,
                labels,
                HeatmapKind::Scroll,
                below,
                CompareLayout::Difference
            )
            .is_none()
        );
        assert!(
            hover_readout(
                &tests,
                labels,
                HeatmapKind::Attention,
                at,
                CompareLayout::Difference
            )
            .is_none()
        );
    }

    #[test]
    fn the_pointer_is_placed_on_the_page_through_the_screenshot_scale() {
        // A retina screenshot: 2 image px per CSS px.
        let at = |x: f32, y: f32, layout| page_pos_in_map(ImagePos { x, y }, 2880, 1440, layout);
        assert_eq!(
            at(200.0, 400.0, Some(CompareLayout::Difference)),
            Some((PagePos { x: 100.0, y: 200.0 }, 0.0))
        );
        assert_eq!(
            at(200.0, 400.0, None),
            Some((PagePos { x: 100.0, y: 200.0 }, 0.0))
        );
        assert_eq!(at(2880.0, 10.0, Some(CompareLayout::Difference)), None);
        assert_eq!(at(-1.0, 10.0, Some(CompareLayout::Difference)), None);
        assert_eq!(at(10.0, -1.0, None), None);
        // Side by side: B's map starts after A's and the gap, same page positions.
        let gap = crate::render::compare::SIDE_BY_SIDE_GAP_PX as f32;
        assert_eq!(
            at(2880.0 + gap + 200.0, 400.0, Some(CompareLayout::SideBySide)),
            Some((PagePos { x: 100.0, y: 200.0 }, 2880.0 + gap))
        );
        assert_eq!(
            at(200.0, 400.0, Some(CompareLayout::SideBySide)),
            Some((PagePos { x: 100.0, y: 200.0 }, 0.0))
        );
        assert_eq!(
            at(2880.0 + 1.0, 400.0, Some(CompareLayout::SideBySide)),
            None
        );
        assert_eq!(
            at(2.0 * 2880.0 + gap, 400.0, Some(CompareLayout::SideBySide)),
            None
        );
    }
}
