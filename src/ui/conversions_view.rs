//! The conversions view: KPIs with their formulas and sample sizes, an ordered funnel with its
//! droppers (each opens the replay at the moment the session reached its last step), the lift
//! of behaviours on the purchase rate, and the event definitions they all read. Every figure is
//! computed on the query worker (`background::conversion_report`).

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::app::{ListFilter, ViewContext};
use super::command::Command;
use super::theme;
use crate::analysis::conversions::{
    ConversionGoal, DEFAULT_GOAL, DefinitionKind, EventDefinition, Funnel, Kpis, Lift,
    STANDARD_EVENTS, SegmentBy, Stage,
};
use crate::model::{Channel, DeviceClass, time};

/// The standard funnel (used where its events are defined), ending at the conversion goal
/// `goal_name` instead of always at `purchase`
/// ([`crate::analysis::conversions::default_funnel`]).
#[must_use]
pub fn default_steps(goal_name: &str) -> Vec<String> {
    crate::analysis::conversions::default_funnel(goal_name)
}

/// Droppers resolved to session ids per step (the rest are counted only).
pub const DROPPERS_SHOWN: usize = 100;

/// What the conversions view analyses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConversionsChoice {
    /// Sessions in scope (device, source and dates are offered).
    pub filter: ListFilter,
    /// Side-by-side segments (None: all sessions only).
    pub segment_by: Option<SegmentBy>,
    /// Funnel steps, event definition names in order; `None` until the worker has chosen the
    /// standard ones that are defined.
    pub steps: Option<Vec<String>>,
    /// Every step within this many minutes of the first.
    pub window_minutes: Option<u32>,
}

/// A session that stopped after a step, resolved for opening its replay.
#[derive(Clone, Debug, PartialEq)]
pub struct DropperRow {
    /// Session id.
    pub session_id: String,
    /// When it reached its last step, epoch ms.
    pub at_ms: i64,
}

/// Everything the view shows, computed on the query worker.
#[derive(Clone, Debug, Default)]
pub struct ConversionReport {
    /// Sessions in the filter.
    pub sessions: usize,
    /// KPIs of all sessions first, then of each segment (largest first).
    pub kpis: Vec<(String, Kpis)>,
    /// The funnel's steps (the defaults when none were chosen).
    pub steps: Vec<String>,
    /// The funnel of all sessions first, then of each segment (without droppers).
    pub funnels: Vec<(String, Funnel)>,
    /// Per step: sessions of all sessions' funnel that stopped there, first
    /// [`DROPPERS_SHOWN`] resolved.
    pub droppers: Vec<Vec<DropperRow>>,
    /// Lift of each non-purchase event and each signal kind.
    pub lift: Vec<Lift>,
    /// Intent score and velocity, converting against not.
    pub intent: crate::analysis::conversions::IntentReport,
    /// Every definition with the sessions it occurs in.
    pub definitions: Vec<(EventDefinition, u64)>,
    /// The conversion goal every figure counted.
    pub goal: ConversionGoal,
}

/// A definition being written in the form.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionDraft {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: DefinitionKind,
    /// Pattern.
    pub pattern: String,
    /// Stage.
    pub stage: Option<Stage>,
    /// Weight 1–10.
    pub weight: Option<u8>,
}

impl Default for DefinitionDraft {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: DefinitionKind::Selector,
            pattern: String::new(),
            stage: None,
            weight: None,
        }
    }
}

/// State of the conversions view.
#[derive(Default)]
pub struct ConversionsView {
    /// The choice.
    pub choice: ConversionsChoice,
    /// Newest query generation.
    pub generation: u64,
    /// A query is out.
    pub loading: bool,
    /// The report has been asked for.
    pub requested: bool,
    /// The latest report.
    pub report: Option<ConversionReport>,
    /// Why the last query failed.
    pub error: Option<String>,
    /// The step whose droppers are listed.
    pub dropper_step: usize,
    /// The definition form.
    pub draft: DefinitionDraft,
    /// A definition is being stored and matched.
    pub defining: bool,
    /// What the last define or delete did.
    pub message: Option<String>,
    /// A report export is running.
    pub exporting: bool,
    /// What the last report export did.
    pub export_message: Option<String>,
    /// The conversion goal in force (the query worker sends it on opening and after changes).
    pub goal: Option<ConversionGoal>,
    /// A new goal is being applied: every session's conversion recomputed, (done, total).
    pub goal_progress: Option<(u64, u64)>,
    /// What the last goal change did.
    pub goal_message: Option<String>,
}

impl ConversionsView {
    /// The goal's name, for labels ("purchase" until the worker said).
    #[must_use]
    pub fn goal_name(&self) -> &str {
        self.goal
            .as_ref()
            .map_or(crate::analysis::conversions::DEFAULT_GOAL, |g| {
                g.name.as_str()
            })
    }
}

/// Percentage with one decimal, or a dash.
fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

/// Money with two decimals, or a dash.
fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// One KPI row: label, formula, and per column its value and sample.
struct KpiRow {
    label: &'static str,
    formula: &'static str,
    cell: fn(&Kpis) -> (String, String),
}

const KPI_ROWS: [KpiRow; 6] = [
    KpiRow {
        label: "Conversion rate",
        formula: "purchases / sessions",
        cell: |k| {
            (
                pct(k.conversion_rate),
                format!("{} / {}", k.purchases, k.sessions),
            )
        },
    },
    KpiRow {
        label: "Add-to-cart rate",
        formula: "sessions with add_to_cart / sessions",
        cell: |k| {
            (
                pct(k.add_to_cart_rate),
                format!("{} / {}", k.add_to_cart, k.sessions),
            )
        },
    },
    KpiRow {
        label: "Cart abandonment",
        formula: "(checkouts started − purchases) / checkouts started",
        cell: |k| {
            (
                pct(k.cart_abandonment_rate),
                format!(
                    "({} − {}) / {}",
                    k.checkouts_started, k.checkouts_completed, k.checkouts_started
                ),
            )
        },
    },
    KpiRow {
        label: "Checkout completion",
        formula: "purchases / checkouts started",
        cell: |k| {
            (
                pct(k.checkout_completion_rate),
                format!("{} / {}", k.checkouts_completed, k.checkouts_started),
            )
        },
    },
    KpiRow {
        label: "Average order value",
        formula: "revenue / purchases",
        cell: |k| {
            (
                money(k.average_order_value),
                format!("{:.2} / {}", k.revenue, k.purchases),
            )
        },
    },
    KpiRow {
        label: "Revenue per visitor",
        formula: "revenue / sessions",
        cell: |k| {
            (
                money(k.revenue_per_visitor),
                format!("{:.2} / {}", k.revenue, k.sessions),
            )
        },
    },
];

/// Colours of the funnel's bar groups.
const SERIES: [egui::Color32; 7] = [
    theme::ACCENT,
    theme::CONVERTED,
    theme::TOUCH,
    theme::DEAD,
    theme::NOTE,
    theme::RAGE,
    egui::Color32::from_rgb(0x14, 0xb8, 0xa6),
];

/// The conversions view.
pub fn conversions_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let view = &mut app.state.conversions;
    let mut out = Vec::new();
    if !view.requested {
        out.push(Command::SetConversionsChoice(Box::new(view.choice.clone())));
    }
    egui::Panel::right("conversions_side")
        .resizable(true)
        .default_size(430.0)
        .min_size(320.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("conversions_side_scroll")
                .show(ui, |ui| definitions_ui(view, ui, &mut out));
        });
    egui::CentralPanel::default_margins().show(ui, |ui| {
        controls_ui(view, ui, &mut out);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("conversions_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let Some(report) = &view.report else {
                    if view.loading {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Computing conversions…");
                        });
                    }
                    return;
                };
                kpis_ui(report, ui);
                ui.add_space(12.0);
                funnel_ui(view, report, ui, &mut out);
                ui.add_space(12.0);
                lift_ui(report, ui);
                ui.add_space(12.0);
                intent_ui(&report.intent, ui);
            });
    });
    app.state.commands.extend(out);
}

fn controls_ui(view: &ConversionsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let mut choice = view.choice.clone();
    ui.horizontal(|ui| {
        ui.heading("Conversions");
        if view.loading {
            ui.spinner();
        }
        if let Some(report) = &view.report {
            ui.label(
                RichText::new(format!("{} sessions in the filter", report.sessions))
                    .color(theme::MUTED),
            );
        }
        let export = ui
            .add_enabled(!view.exporting, egui::Button::new("Export report…"))
            .on_hover_text(
                "Write a report folder for these sessions: heatmaps of the five most viewed \
                 pages, the KPIs, this funnel, lift, hotspots, and a summary in Markdown and HTML",
            );
        if export.clicked() {
            out.push(Command::ExportReport);
        }
        if view.exporting {
            ui.spinner();
            ui.label("Writing the report…");
        } else if let Some(message) = &view.export_message {
            ui.label(RichText::new(message).color(theme::MUTED));
        }
    });
    ui.horizontal_wrapped(|ui| {
        let filter = &mut choice.filter;
        let label = ui.label("Device");
        egui::ComboBox::from_id_salt("conv_device")
            .selected_text(filter.device.map_or("Any device", DeviceClass::as_str))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.device, None, "Any device");
                for d in DeviceClass::ALL {
                    ui.selectable_value(&mut filter.device, Some(d), d.as_str());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Source");
        egui::ComboBox::from_id_salt("conv_source")
            .selected_text(if filter.source.is_empty() {
                "Any source"
            } else {
                filter.source.as_str()
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.source, String::new(), "Any source");
                for c in Channel::ALL {
                    ui.selectable_value(&mut filter.source, c.as_str().to_owned(), c.as_str());
                }
            })
            .response
            .labelled_by(label.id);
        ui.label("Dates");
        for (value, hint) in [
            (&mut filter.from_date, "from YYYY-MM-DD"),
            (&mut filter.to_date, "to YYYY-MM-DD"),
        ] {
            let valid = crate::model::date_is_valid(value);
            let edit = egui::TextEdit::singleline(value)
                .hint_text(hint)
                .desired_width(110.0);
            let edit = if valid {
                edit
            } else {
                edit.text_color(theme::ERROR_TEXT)
                    .background_color(theme::ERROR_BG)
            };
            ui.add(edit);
        }
        ui.separator();
        ui.label("Segment by");
        ui.selectable_value(&mut choice.segment_by, None, "none");
        ui.selectable_value(&mut choice.segment_by, Some(SegmentBy::Device), "device");
        ui.selectable_value(&mut choice.segment_by, Some(SegmentBy::Source), "source");
    });
    goal_ui(view, ui, out);
    // Half-typed dates are not queried.
    let dates_valid = [&choice.filter.from_date, &choice.filter.to_date]
        .iter()
        .all(|d| crate::model::date_is_valid(d));
    if choice != view.choice && dates_valid {
        out.push(Command::SetConversionsChoice(Box::new(choice)));
    }
    if let Some(e) = &view.error {
        ui.label(
            RichText::new(format!("Could not compute conversions: {e}")).color(theme::ERROR_MARK),
        );
    }
}

/// The conversion goal in force, and a combo box to choose another defined event (the worker
/// then recomputes every session's conversion, with progress, and the views refresh).
fn goal_ui(view: &ConversionsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Conversion goal");
        let current = view.goal_name().to_owned();
        let mut names: Vec<String> = view
            .report
            .as_ref()
            .map(|r| r.definitions.iter().map(|(d, _)| d.name.clone()).collect())
            .unwrap_or_default();
        if !names.iter().any(|n| n == DEFAULT_GOAL) {
            names.insert(0, DEFAULT_GOAL.to_owned());
        }
        let mut chosen = current.clone();
        ui.add_enabled_ui(view.goal_progress.is_none(), |ui| {
            egui::ComboBox::from_id_salt("conv_goal")
                .selected_text(current.as_str())
                .show_ui(ui, |ui| {
                    for name in &names {
                        ui.selectable_value(&mut chosen, name.clone(), name.as_str());
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    "The defined event whose sessions count as converted everywhere: KPIs, the \
                     session list's and heatmaps' converted filter, hotspots' conversions lost, \
                     lift, sections and reports",
                );
        });
        if let Some(goal) = &view.goal {
            ui.label(RichText::new(goal.rule()).color(theme::MUTED));
        }
        if let Some((done, total)) = view.goal_progress {
            ui.spinner();
            ui.label(format!(
                "Recomputing conversions: {done} / {total} sessions"
            ));
        } else if let Some(message) = &view.goal_message {
            ui.label(RichText::new(message).color(theme::MUTED));
        }
        if chosen != current {
            out.push(Command::SetConversionGoal(chosen));
        }
    });
}

fn segment_label(by: Option<SegmentBy>) -> &'static str {
    match by {
        None => "",
        Some(SegmentBy::Device) => "device",
        Some(SegmentBy::Source) => "source",
    }
}

fn kpis_ui(report: &ConversionReport, ui: &mut egui::Ui) {
    ui.heading("KPIs");
    ui.label(
        RichText::new("Each value with its formula and sample (numerator / denominator).")
            .color(theme::MUTED),
    );
    egui::ScrollArea::horizontal()
        .id_salt("kpi_scroll")
        .show(ui, |ui| {
            egui::Grid::new("kpi_table")
                .striped(true)
                .num_columns(2 + report.kpis.len())
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    ui.label(RichText::new("KPI").color(theme::MUTED));
                    ui.label(RichText::new("Formula").color(theme::MUTED));
                    for (name, k) in &report.kpis {
                        ui.label(RichText::new(format!("{name} (n = {})", k.sessions)).strong());
                    }
                    ui.end_row();
                    for row in &KPI_ROWS {
                        ui.label(row.label);
                        ui.label(RichText::new(row.formula).color(theme::MUTED).small());
                        for (_, k) in &report.kpis {
                            let (value, sample) = (row.cell)(k);
                            ui.horizontal(|ui| {
                                ui.label(RichText::new(value).strong());
                                ui.label(RichText::new(sample).color(theme::MUTED).small());
                            });
                        }
                        ui.end_row();
                    }
                });
        });
}

/// The funnel step editor; returns the edited steps.
fn steps_editor(
    steps: &[String],
    definitions: &[(EventDefinition, u64)],
    ui: &mut egui::Ui,
) -> Vec<String> {
    let mut steps = steps.to_vec();
    let mut action: Option<(usize, i8)> = None;
    ui.horizontal_wrapped(|ui| {
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                ui.label("→");
            }
            ui.group(|ui| {
                ui.label(RichText::new(format!("{}. {step}", i + 1)).strong());
                if i > 0
                    && ui
                        .small_button("◀")
                        .on_hover_text(format!("Move {step} earlier"))
                        .clicked()
                {
                    action = Some((i, -1));
                }
                if i + 1 < steps.len()
                    && ui
                        .small_button("▶")
                        .on_hover_text(format!("Move {step} later"))
                        .clicked()
                {
                    action = Some((i, 1));
                }
                if ui
                    .small_button("✖")
                    .on_hover_text(format!("Remove {step}"))
                    .clicked()
                {
                    action = Some((i, 0));
                }
            });
        }
    });
    match action {
        Some((i, 0)) => {
            steps.remove(i);
        }
        Some((i, -1)) => steps.swap(i, i - 1),
        Some((i, _)) => steps.swap(i, i + 1),
        None => {}
    }
    ui.horizontal(|ui| {
        let mut add: Option<String> = None;
        let label = ui.label("Add step");
        egui::ComboBox::from_id_salt("conv_add_step")
            .selected_text("choose an event…")
            .show_ui(ui, |ui| {
                for (def, sessions) in definitions {
                    if ui
                        .selectable_label(false, format!("{} ({sessions})", def.name))
                        .clicked()
                    {
                        add = Some(def.name.clone());
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if let Some(name) = add {
            steps.push(name);
        }
    });
    steps
}

fn funnel_ui(
    view: &ConversionsView,
    report: &ConversionReport,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    ui.heading("Funnel");
    let current = view.choice.steps.clone().unwrap_or_default();
    let edited = steps_editor(&current, &report.definitions, ui);
    let mut choice = view.choice.clone();
    ui.horizontal(|ui| {
        let mut on = choice.window_minutes.is_some();
        if ui
            .checkbox(&mut on, "Every step within")
            .on_hover_text("Count a step only when reached within this time of the first step")
            .changed()
        {
            choice.window_minutes = on.then_some(30);
        }
        if let Some(m) = &mut choice.window_minutes {
            ui.add(egui::DragValue::new(m).range(1..=100_000).suffix(" min"));
        }
    });
    if edited != current {
        choice.steps = Some(edited);
    }
    if choice != view.choice {
        out.push(Command::SetConversionsChoice(Box::new(choice)));
    }
    if report.steps.len() < 2 {
        ui.label(RichText::new("Add at least two steps to see a funnel.").color(theme::MUTED));
        return;
    }
    let segmented = report.funnels.len() > 1;
    let groups: Vec<&(String, Funnel)> = if segmented {
        report.funnels.iter().skip(1).collect()
    } else {
        report.funnels.iter().collect()
    };
    let names = report.steps.clone();
    let m = groups.len().max(1) as f64;
    let width = 0.8 / m;
    Plot::new("funnel_chart")
        .height(220.0)
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .include_y(0.0)
        .y_axis_label("sessions")
        .x_axis_formatter(move |mark, _| {
            let k = mark.value.round();
            if (mark.value - k).abs() < 1e-6 && k >= 0.0 {
                names.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot| {
            for (j, (name, f)) in groups.iter().enumerate() {
                let offset = (j as f64 - (m - 1.0) / 2.0) * width;
                let bars = f
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(k, s)| {
                        Bar::new(k as f64 + offset, s.sessions as f64)
                            .width(width * 0.95)
                            .name(format!("{name}: {}", s.name))
                    })
                    .collect();
                plot.bar_chart(BarChart::new(name.clone(), bars).color(SERIES[j % SERIES.len()]));
            }
        });
    if let Some((label, all)) = report.funnels.first() {
        ui.label(RichText::new(label).strong());
        egui::Grid::new("funnel_table")
            .striped(true)
            .num_columns(6)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for title in [
                    "Step",
                    "Sessions",
                    "From previous",
                    "From start",
                    "Dropped",
                    "Stopped here",
                ] {
                    ui.label(RichText::new(title).color(theme::MUTED));
                }
                ui.end_row();
                for (k, s) in all.steps.iter().enumerate() {
                    ui.label(format!("{}. {}", k + 1, s.name));
                    ui.label(s.sessions.to_string());
                    ui.label(pct(s.conversion_from_previous));
                    ui.label(pct(s.conversion_from_start));
                    ui.label(s.dropped.to_string());
                    let stopped = all.droppers.iter().filter(|d| d.reached == k).count();
                    ui.label(if k + 1 < all.steps.len() {
                        stopped.to_string()
                    } else {
                        "–".to_owned()
                    });
                    ui.end_row();
                }
            });
    }
    if segmented {
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!(
                "By {}: sessions (from start)",
                segment_label(view.choice.segment_by)
            ))
            .strong(),
        );
        egui::ScrollArea::horizontal()
            .id_salt("funnel_segments_scroll")
            .show(ui, |ui| {
                egui::Grid::new("funnel_segments")
                    .striped(true)
                    .num_columns(1 + groups.len())
                    .spacing([16.0, 4.0])
                    .show(ui, |ui| {
                        ui.label(RichText::new("Step").color(theme::MUTED));
                        for (name, _) in &groups {
                            ui.label(RichText::new(name).color(theme::MUTED));
                        }
                        ui.end_row();
                        for (k, step) in report.steps.iter().enumerate() {
                            ui.label(step);
                            for (_, f) in &groups {
                                let cell = f.steps.get(k).map_or_else(String::new, |s| {
                                    format!("{} ({})", s.sessions, pct(s.conversion_from_start))
                                });
                                ui.label(cell);
                            }
                            ui.end_row();
                        }
                    });
            });
    }
    droppers_ui(view, report, ui, out);
}

fn droppers_ui(
    view: &ConversionsView,
    report: &ConversionReport,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    ui.add_space(8.0);
    ui.label(RichText::new("Droppers").strong());
    ui.label(
        RichText::new(
            "Sessions that reached a step and went no further: open the replay at that moment.",
        )
        .color(theme::MUTED),
    );
    let Some((_, all)) = report.funnels.first() else {
        return;
    };
    let last = report.steps.len().saturating_sub(1);
    let chosen = view.dropper_step.min(last.saturating_sub(1));
    ui.horizontal_wrapped(|ui| {
        for (k, step) in report.steps.iter().enumerate().take(last) {
            let n = all.droppers.iter().filter(|d| d.reached == k).count();
            if ui
                .selectable_label(chosen == k, format!("Stopped after {step} ({n})"))
                .clicked()
            {
                out.push(Command::SetDropperStep(k));
            }
        }
    });
    let Some(rows) = report.droppers.get(chosen) else {
        return;
    };
    let total = all.droppers.iter().filter(|d| d.reached == chosen).count();
    if rows.is_empty() {
        ui.label(RichText::new("No session stopped after this step.").color(theme::MUTED));
        return;
    }
    if total > rows.len() {
        ui.label(RichText::new(format!("The first {} of {total}", rows.len())).color(theme::MUTED));
    }
    egui::ScrollArea::vertical()
        .id_salt("droppers")
        .max_height(220.0)
        .show(ui, |ui| {
            for d in rows {
                let label = format!("{}  {}", d.session_id, time::format_utc(d.at_ms));
                if ui
                    .link(label)
                    .on_hover_text("Open the replay at the moment it reached this step")
                    .clicked()
                {
                    out.push(Command::OpenSessionAt {
                        session_id: d.session_id.clone(),
                        timestamp_ms: d.at_ms,
                    });
                }
            }
        });
}

/// Intent score and velocity of converting against non-converting sessions, with the score
/// distribution as a bar chart.
fn intent_ui(intent: &crate::analysis::conversions::IntentReport, ui: &mut egui::Ui) {
    ui.heading("Intent and velocity");
    let weights: Vec<String> = intent
        .weights
        .iter()
        .map(|(n, w)| format!("{} {w}", n.replace('_', " ")))
        .collect();
    ui.label(
        RichText::new(format!(
            "Intent score: the sum of the weights of the distinct events a session did ({}); \
             velocity: their occurrences per minute. Purchases are left out.",
            if weights.is_empty() {
                "no event has a weight yet".to_owned()
            } else {
                weights.join(", ")
            }
        ))
        .color(theme::MUTED),
    );
    let num = |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"));
    egui::Grid::new("intent_table")
        .striped(true)
        .num_columns(6)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "Sessions",
                "n",
                "Intent mean",
                "Intent median",
                "Velocity mean",
                "Velocity median",
            ] {
                ui.label(RichText::new(title).color(theme::MUTED));
            }
            ui.end_row();
            for (label, g) in [
                ("Converting", &intent.converted),
                ("Not converting", &intent.not_converted),
            ] {
                ui.label(label);
                ui.label(g.n.to_string());
                ui.label(num(g.intent_mean));
                ui.label(num(g.intent_median));
                ui.label(num(g.velocity_mean));
                ui.label(num(g.velocity_median));
                ui.end_row();
            }
        });
    let share = |count: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * count as f64 / n as f64
        }
    };
    let bars = |converted: bool| -> Vec<egui_plot::Bar> {
        intent
            .histogram
            .iter()
            .filter(|(_, c, n)| c + n > 0)
            .map(|&(score, c, n)| {
                let (count, total, offset) = if converted {
                    (c, intent.converted.n, -0.2)
                } else {
                    (n, intent.not_converted.n, 0.2)
                };
                egui_plot::Bar::new(f64::from(score) + offset, share(count, total))
                    .width(0.4)
                    .name(format!("score {score}: {count} of {total}"))
            })
            .collect()
    };
    egui_plot::Plot::new("intent_histogram")
        .height(160.0)
        .legend(egui_plot::Legend::default())
        .y_axis_label("% of the group")
        .x_axis_label("intent score")
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(egui_plot::BarChart::new("Converting", bars(true)).color(theme::ACCENT));
            plot.bar_chart(
                egui_plot::BarChart::new("Not converting", bars(false)).color(theme::MUTED),
            );
        });
}

fn lift_ui(report: &ConversionReport, ui: &mut egui::Ui) {
    ui.heading("Lift");
    ui.label(
        RichText::new(
            "Correlation, not causation: purchase rate of sessions with a behaviour against \
             those without it (risk ratio, 95 % interval by the log method).",
        )
        .color(theme::WARN),
    );
    egui::Grid::new("lift_table")
        .striped(true)
        .num_columns(8)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "Behaviour",
                "Event/signal",
                "With",
                "Rate",
                "Conv. with",
                "Conv. without",
                "Ratio",
                "95 % interval",
            ] {
                ui.label(RichText::new(title).color(theme::MUTED));
            }
            ui.end_row();
            for r in &report.lift {
                ui.label(r.name.replace('_', " "));
                ui.label(r.what);
                ui.label(r.with.to_string());
                ui.label(pct(r.rate));
                ui.label(pct(r.conversion_with));
                ui.label(pct(r.conversion_without));
                let ratio = r
                    .ratio
                    .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}"));
                // Intervals that exclude 1 stand out.
                let clear = r.ratio_ci95.is_some_and(|(lo, hi)| lo > 1.0 || hi < 1.0);
                ui.label(if clear {
                    RichText::new(ratio).strong()
                } else {
                    RichText::new(ratio)
                });
                ui.label(
                    r.ratio_ci95
                        .map_or_else(|| "–".to_owned(), |(lo, hi)| format!("{lo:.2}–{hi:.2}")),
                );
                ui.end_row();
            }
        });
}

fn definitions_ui(view: &mut ConversionsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.add_space(4.0);
    ui.heading("Event definitions");
    ui.label(
        RichText::new("Defined after the fact over every recorded session.").color(theme::MUTED),
    );
    if let Some(report) = &view.report {
        egui::Grid::new("definitions")
            .striped(true)
            .num_columns(7)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for title in ["Name", "Kind", "Pattern", "Stage", "Weight", "Sessions", ""] {
                    ui.label(RichText::new(title).color(theme::MUTED));
                }
                ui.end_row();
                for (def, sessions) in &report.definitions {
                    ui.label(&def.name);
                    ui.label(def.kind.as_str());
                    let short: String = def.pattern.chars().take(24).collect();
                    ui.label(short).on_hover_text(&def.pattern);
                    ui.label(def.stage.map_or("–", Stage::as_str));
                    ui.label(def.weight.map_or_else(|| "–".to_owned(), |w| w.to_string()));
                    ui.label(sessions.to_string());
                    if ui
                        .add_enabled(!view.defining, egui::Button::new("Delete").small())
                        .on_hover_text(format!("Delete {} and its occurrences", def.name))
                        .clicked()
                    {
                        out.push(Command::DeleteEventDefinition(def.name.clone()));
                    }
                    ui.end_row();
                }
            });
    } else if view.loading {
        ui.spinner();
    }
    ui.separator();
    ui.label(RichText::new("Define an event").strong());
    let draft = &mut view.draft;
    egui::Grid::new("define_form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let label = ui.label("Name");
            ui.add(
                egui::TextEdit::singleline(&mut draft.name)
                    .hint_text("e.g. size_guide_open")
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Kind");
            egui::ComboBox::from_id_salt("define_kind")
                .selected_text(draft.kind.as_str())
                .show_ui(ui, |ui| {
                    for k in [
                        DefinitionKind::Custom,
                        DefinitionKind::Url,
                        DefinitionKind::Selector,
                        DefinitionKind::Text,
                    ] {
                        ui.selectable_value(&mut draft.kind, k, k.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Pattern");
            let hint = match draft.kind {
                DefinitionKind::Custom => "custom event name",
                DefinitionKind::Url => "URL or glob, e.g. /checkout*",
                DefinitionKind::Selector => "CSS selector, e.g. button.add-to-cart",
                DefinitionKind::Text => "text on the clicked element",
            };
            ui.add(
                egui::TextEdit::singleline(&mut draft.pattern)
                    .hint_text(hint)
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Stage");
            egui::ComboBox::from_id_salt("define_stage")
                .selected_text(draft.stage.map_or("none", Stage::as_str))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut draft.stage, None, "none");
                    for s in [Stage::Tofu, Stage::Mofu, Stage::Bofu] {
                        ui.selectable_value(&mut draft.stage, Some(s), s.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            ui.label("Weight");
            ui.horizontal(|ui| {
                let mut on = draft.weight.is_some();
                if ui.checkbox(&mut on, "set").changed() {
                    draft.weight = on.then_some(5);
                }
                if let Some(w) = &mut draft.weight {
                    ui.add(egui::DragValue::new(w).range(1..=10));
                }
            });
            ui.end_row();
        });
    let name = draft.name.trim();
    let valid = !name.is_empty() && !draft.pattern.trim().is_empty();
    let standard = STANDARD_EVENTS.iter().any(|(n, ..)| *n == name);
    let exists = view
        .report
        .as_ref()
        .is_some_and(|r| r.definitions.iter().any(|(d, _)| d.name == name));
    ui.horizontal(|ui| {
        let text = if exists {
            "Redefine event"
        } else {
            "Define event"
        };
        if ui
            .add_enabled(valid && !view.defining, egui::Button::new(text))
            .on_hover_text("Store it and find it in every session (in the background)")
            .clicked()
        {
            out.push(Command::DefineEvent(Box::new(EventDefinition {
                name: name.to_owned(),
                kind: draft.kind,
                pattern: draft.pattern.trim().to_owned(),
                value_from_event: draft.kind == DefinitionKind::Custom && name == "purchase",
                stage: draft.stage,
                weight: draft.weight,
            })));
        }
        if view.defining {
            ui.spinner();
            ui.label("Matching sessions…");
        }
    });
    if exists && standard {
        ui.label(
            RichText::new("This replaces a standard definition the KPIs read.").color(theme::WARN),
        );
    }
    if let Some(message) = &view.message {
        ui.label(message);
    }
}
