//! The panels: menu bar, status bar, session list with filters, session details.

use egui::{Align, Layout, RichText};
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::app::{ListFilter, LoadedSession, SortChoice, ViewContext};
use super::command::{Command, MainView};
use super::theme;
use crate::analysis;
use crate::model::{Channel, DeviceClass, time};

/// Signal kinds a session can be filtered by (see the signals issue for their definitions).
pub(super) const SIGNAL_KINDS: &[&str] = &[
    "rage_click",
    "dead_click",
    "error_click",
    "thrashed_cursor",
    "excessive_scroll",
    "quick_back",
    "form_abandonment",
    "field_hesitation",
    "mis_tap",
];

/// Lays out the whole window: side and bottom panels first, the central panel last.
pub fn show(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    damaged_library_ui(app, ui);
    if let Some(browser) = &mut app.state.file_browser {
        let outcome = super::file_dialog::file_browser_ui(browser, ui.ctx());
        app.state
            .commands
            .extend(super::file_dialog::browser_command(outcome));
    }
    error_list_ui(app, ui.ctx());
    let mut out = Vec::new();
    super::replay::element_definition_ui(app, ui.ctx(), &mut out);
    app.state.commands.extend(out);
    egui::Panel::top("menu_bar").show(ui, |ui| menu_bar_ui(app, ui));
    egui::Panel::bottom("status_bar").show(ui, |ui| status_bar_ui(app, ui));
    match app.state.prefs.view {
        MainView::Heatmaps => return super::heatmap_view::heatmap_ui(app, ui),
        MainView::Signals => return super::signals_view::signals_ui(app, ui),
        MainView::Conversions => return super::conversions_view::conversions_ui(app, ui),
        MainView::Journeys => return super::journeys_view::journeys_ui(app, ui),
        MainView::Forms => return super::forms_view::forms_ui(app, ui),
        MainView::Sessions => {}
    }
    egui::Panel::left("session_list")
        .resizable(true)
        .default_size(theme::LIST_WIDTH)
        .min_size(300.0)
        .show(ui, |ui| session_list_ui(app, ui));
    if app.state.session.is_some() {
        super::replay::keyboard(app, ui);
        egui::Panel::right("replay_side")
            .resizable(true)
            .default_size(theme::SIDE_WIDTH)
            .min_size(280.0)
            .show(ui, |ui| super::replay::side_ui(app, ui));
        egui::Panel::bottom("replay_controls").show(ui, |ui| super::replay::controls_ui(app, ui));
    }
    egui::CentralPanel::default_margins().show(ui, |ui| {
        errors_ui(app, ui);
        match (&app.state.selected, &app.state.session) {
            (_, Some(_)) => super::replay::stage_ui(app, ui),
            (Some(id), None) => {
                ui.spinner();
                ui.label(format!("Loading session {id}…"));
            }
            (None, None) => empty_state_ui(app, ui),
        }
    });
    let ctx = ui.ctx().clone();
    super::replay::help_ui(app, &ctx);
    let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
    if hovering {
        let rect = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop-overlay"),
        ));
        painter.rect_filled(rect, 0.0, theme::ACCENT.gamma_multiply(0.25));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop recordings to import them",
            egui::FontId::proportional(28.0),
            egui::Color32::WHITE,
        );
    }
}

fn menu_bar_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…").clicked() {
                app.state.commands.push(Command::OpenFilesDialog);
            }
            if ui.button("Import folder…").clicked() {
                app.state.commands.push(Command::ImportFolderDialog);
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                app.state.commands.push(Command::Quit);
            }
        });
        ui.menu_button("View", |ui| {
            if ui.button("Refresh session list").clicked() {
                app.state.commands.push(Command::RefreshList);
            }
        });
        ui.separator();
        for (view, label) in [
            (MainView::Sessions, "Sessions"),
            (MainView::Heatmaps, "Heatmaps"),
            (MainView::Signals, "Signals"),
            (MainView::Conversions, "Conversions"),
            (MainView::Journeys, "Journeys"),
            (MainView::Forms, "Forms"),
        ] {
            if ui
                .selectable_label(app.state.prefs.view == view, label)
                .clicked()
                && app.state.prefs.view != view
            {
                app.state.commands.push(Command::SetView(view));
            }
        }
    });
}

fn status_bar_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        // Right to left: the error and the library first, so the lines on the left are cut
        // short (hover shows them whole) instead of running under them.
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            // Every view shows the errors here, not only the session view's banner.
            if let Some(last) = app.state.errors.last() {
                let words = match app.state.errors.len() {
                    1 => format!("⚠ {last}"),
                    n => format!("⚠ {n} errors: {last}"),
                };
                let shown: String = words.chars().take(70).collect();
                if ui
                    .add(
                        egui::Button::new(RichText::new(shown).color(theme::ERROR_ON_PANEL))
                            .frame(false),
                    )
                    .on_hover_text("Show every error")
                    .clicked()
                {
                    app.state.commands.push(Command::ShowErrorList(true));
                }
                ui.separator();
            }
            let sessions = app.state.library_sessions.map_or_else(
                || "opening…".to_owned(),
                |n| format!("{n} session{}", if n == 1 { "" } else { "s" }),
            );
            // A server library shows its whole URL (it names no file, and has no password).
            let name = if crate::store::is_server_location(&app.state.library_path) {
                app.state.library_path.display().to_string()
            } else {
                app.state.library_path.file_name().map_or_else(
                    || app.state.library_path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            };
            ui.label(RichText::new(format!("Library: {name} · {sessions}")).color(theme::MUTED))
                .on_hover_text(app.state.library_path.display().to_string());
            if let Some(why) = &app.state.library_read_only {
                ui.label(RichText::new("read-only").color(theme::MUTED))
                    .on_hover_text(why.as_str());
            }
            ui.separator();
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                left_status_ui(app, ui);
            });
        });
    });
}

/// The left of the status bar: import progress or summary, the replay's message, and why the
/// file dialog is the built-in one.
fn left_status_ui(app: &ViewContext<'_>, ui: &mut egui::Ui) {
    let line = |ui: &mut egui::Ui, text: RichText| {
        let full = text.text().to_owned();
        ui.add(egui::Label::new(text).truncate())
            .on_hover_text(full);
    };
    // The words go beside the bar, not on it: they are longer than a status-bar-sized bar.
    let progress = |ui: &mut egui::Ui, fraction: f32, words: String| {
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(160.0)
                .show_percentage(),
        );
        line(ui, RichText::new(words));
    };
    if let Some((done, total)) = app.state.import.as_ref().and_then(|i| i.simulated) {
        progress(
            ui,
            done as f32 / total.max(1) as f32,
            format!("Generating simulated visitors {done}/{total}"),
        );
    } else if let Some(import) = &app.state.import {
        let p = import.progress;
        let fraction = if p.files_total == 0 {
            0.0
        } else {
            p.files_done as f32 / p.files_total as f32
        };
        progress(
            ui,
            fraction,
            if p.sessions_in_file > 0 {
                format!(
                    "Importing {}/{} files · {} sessions · {} read from the current file",
                    p.files_done, p.files_total, p.sessions_imported, p.sessions_in_file
                )
            } else {
                format!(
                    "Importing {}/{} files · {} sessions",
                    p.files_done, p.files_total, p.sessions_imported
                )
            },
        );
    } else if let Some(text) = &app.state.last_import {
        line(ui, RichText::new(text));
    }
    if let Some(text) = &app.state.replay_message {
        ui.separator();
        line(ui, RichText::new(text).color(theme::ACCENT));
    }
    if let Some(reason) = &app.state.dialog_notice {
        ui.separator();
        line(
            ui,
            RichText::new(format!("Built-in file dialog: {reason}")).color(theme::MUTED),
        );
    }
}

/// The damaged-library dialog: what happened, and the choice to rebuild from the original
/// recordings or start a new library; either way the damaged file is kept.
fn damaged_library_ui(app: &mut ViewContext<'_>, ui: &egui::Ui) {
    let Some(damaged) = &app.state.damaged_library else {
        return;
    };
    egui::Modal::new(egui::Id::unique("damaged_library")).show(ui.ctx(), |ui| {
        ui.set_max_width(560.0);
        ui.heading("The library needs attention");
        ui.add_space(6.0);
        ui.label(RichText::new(&damaged.problem).color(theme::ERROR_TEXT));
        ui.add_space(6.0);
        if let Some(outcome) = &damaged.outcome {
            ui.label(outcome);
            ui.add_space(6.0);
            if ui.button("Continue").clicked() {
                app.state.commands.push(Command::CloseLibraryDialog);
            }
        } else if damaged.busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Working… the damaged file is being kept and the library rebuilt.");
            });
        } else {
            ui.label(
                "SessionLens keeps the damaged file beside the library (named .damaged-<time>) \
                 and never deletes it.",
            );
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Rebuild from the original recordings")
                    .on_hover_text(
                        "Import every recording the library was built from again, and keep the \
                         notes, event definitions and screenshots that can still be read",
                    )
                    .clicked()
                {
                    app.state
                        .commands
                        .push(Command::RebuildLibrary { fresh: false });
                }
                if ui.button("Start a new library").clicked() {
                    app.state
                        .commands
                        .push(Command::RebuildLibrary { fresh: true });
                }
                if ui.button("Quit").clicked() {
                    app.state.commands.push(Command::Quit);
                }
            });
        }
    });
}

/// The full list of errors, opened from the status bar.
fn error_list_ui(app: &mut ViewContext<'_>, ctx: &egui::Context) {
    if !app.state.show_error_list {
        return;
    }
    let mut open = true;
    egui::Window::new(format!("Errors ({})", app.state.errors.len()))
        .open(&mut open)
        .default_width(620.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .max_height(400.0)
                .show(ui, |ui| {
                    for e in app.state.errors.iter().rev() {
                        ui.label(RichText::new(e).color(theme::ERROR_ON_PANEL));
                        ui.separator();
                    }
                });
            if ui.button("Clear").clicked() {
                app.state.commands.push(Command::DismissError);
            }
        });
    if !open || app.state.errors.is_empty() {
        app.state.commands.push(Command::ShowErrorList(false));
    }
}

fn errors_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    if app.state.errors.is_empty() {
        return;
    }
    egui::Frame::new()
        .fill(theme::ERROR_BG)
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    for e in app.state.errors.iter().rev().take(5) {
                        ui.label(RichText::new(e).color(theme::ERROR_TEXT));
                    }
                    if app.state.errors.len() > 5 {
                        ui.label(
                            RichText::new(format!("…and {} more", app.state.errors.len() - 5))
                                .color(theme::ERROR_TEXT),
                        );
                    }
                });
                if ui.button("Dismiss").clicked() {
                    app.state.commands.push(Command::DismissError);
                }
            });
        });
    ui.add_space(8.0);
}

fn filters_ui(
    filter: &mut ListFilter,
    events: &[(String, u64)],
    goal_name: &str,
    ui: &mut egui::Ui,
) {
    egui::Grid::new("filters")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            ui.label("Page");
            ui.add(
                egui::TextEdit::singleline(&mut filter.page)
                    .hint_text("URL or glob, e.g. /product/*")
                    .desired_width(f32::INFINITY),
            );
            ui.end_row();

            let label = ui.label("Device");
            egui::ComboBox::from_id_salt("device")
                .selected_text(filter.device.map_or("Any device", DeviceClass::as_str))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.device, None, "Any device");
                    for d in DeviceClass::ALL {
                        ui.selectable_value(&mut filter.device, Some(d), d.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Source");
            let source_label = if filter.source.is_empty() {
                "Any source".to_owned()
            } else {
                filter.source.clone()
            };
            egui::ComboBox::from_id_salt("source")
                .selected_text(source_label)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.source, String::new(), "Any source");
                    for c in Channel::ALL {
                        ui.selectable_value(&mut filter.source, c.as_str().to_owned(), c.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();

            // Converted for the library's conversion goal (chosen in the Conversions view).
            let label = ui.label("Converted").on_hover_text(format!(
                "Converted for the conversion goal {goal_name:?} (choose it in the Conversions view)"
            ));
            let converted_label = match filter.converted {
                None => "Any".to_owned(),
                Some(true) => format!("Converted · {goal_name}"),
                Some(false) => format!("Not converted · {goal_name}"),
            };
            egui::ComboBox::from_id_salt("converted")
                .selected_text(converted_label)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.converted, None, "Any");
                    ui.selectable_value(&mut filter.converted, Some(true), "Converted");
                    ui.selectable_value(&mut filter.converted, Some(false), "Not converted");
                })
                .response
                .labelled_by(label.id);
            ui.end_row();

            ui.label("Viewport");
            ui.horizontal(|ui| {
                let mut width_range = |value: &mut Option<u32>, hint: &str| {
                    let mut on = value.is_some();
                    if ui.checkbox(&mut on, hint).changed() {
                        *value = on.then_some(if hint == "min" { 768 } else { 1024 });
                    }
                    if let Some(v) = value {
                        ui.add(egui::DragValue::new(v).range(0..=10_000).suffix(" px"));
                    }
                };
                width_range(&mut filter.min_width, "min");
                width_range(&mut filter.max_width, "max");
            });
            ui.end_row();

            ui.label("Dates");
            ui.horizontal(|ui| {
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
            });
            ui.end_row();

            let label = ui.label("Signals");
            let signal_label = if filter.has_signal.is_empty() {
                "Any".to_owned()
            } else {
                filter.has_signal.replace('_', " ")
            };
            egui::ComboBox::from_id_salt("signal")
                .selected_text(signal_label)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.has_signal, String::new(), "Any");
                    for kind in SIGNAL_KINDS {
                        ui.selectable_value(
                            &mut filter.has_signal,
                            (*kind).to_owned(),
                            kind.replace('_', " "),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Event").on_hover_text(
                "Sessions that sent this custom event, e.g. a micro-conversion such as add_to_cart",
            );
            egui::ComboBox::from_id_salt("event")
                .selected_text(if filter.has_event.is_empty() {
                    "Any"
                } else {
                    filter.has_event.as_str()
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.has_event, String::new(), "Any");
                    for (name, sessions) in events {
                        ui.selectable_value(
                            &mut filter.has_event,
                            name.clone(),
                            format!("{name} ({sessions})"),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Sort");
            egui::ComboBox::from_id_salt("sort")
                .selected_text(filter.sort.label())
                .show_ui(ui, |ui| {
                    for s in SortChoice::ALL {
                        ui.selectable_value(&mut filter.sort, s, s.label());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
        });
}

fn session_list_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    ui.add_space(4.0);
    ui.heading("Sessions");
    let mut filter = app.state.prefs.filter.clone();
    if !app.state.heatmap.pages_requested {
        // The event names for the filter come with the heatmap view's page list.
        app.state.commands.push(Command::LoadHeatmapPages);
    }
    filters_ui(
        &mut filter,
        &app.state.heatmap.events,
        app.state.conversions.goal_name(),
        ui,
    );
    if filter != app.state.prefs.filter {
        app.state.commands.push(Command::SetFilter(filter));
    }
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "{} of {} sessions shown",
                app.state.rows.len(),
                app.state.total
            ))
            .color(theme::MUTED),
        );
        if app.state.list_loading {
            ui.spinner();
        }
    });
    ui.separator();
    let num_rows = app.state.rows.len();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, theme::ROW_HEIGHT, num_rows, |ui, range| {
            if range.end + 20 >= num_rows && (num_rows as u64) < app.state.total {
                app.state.commands.push(Command::LoadMore);
            }
            for row in app.state.rows.get(range).unwrap_or_default() {
                let selected = app.state.selected.as_deref() == Some(row.session_id.as_str());
                if session_row_ui(ui, row, selected).clicked() {
                    app.state
                        .commands
                        .push(Command::SelectSession(row.session_id.clone()));
                }
            }
        });
}

/// One row of the session list: id and badge on the first line, details on the second.
fn session_row_ui(
    ui: &mut egui::Ui,
    row: &crate::store::SessionRow,
    selected: bool,
) -> egui::Response {
    let size = egui::vec2(ui.available_width(), theme::ROW_HEIGHT - 2.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, selected, &row.session_id)
    });
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, selected);
        if selected || response.hovered() {
            ui.painter().rect_filled(rect, 4.0, visuals.weak_bg_fill);
        }
        let text_color = visuals.text_color();
        let left = rect.left() + 8.0;
        let mut badge_left = rect.right() - 8.0;
        if row.converted {
            let r = ui.painter().text(
                egui::pos2(badge_left, rect.top() + 5.0),
                egui::Align2::RIGHT_TOP,
                row.revenue
                    .map_or_else(|| "converted".to_owned(), |r| format!("converted · {r:.0}")),
                egui::FontId::proportional(12.0),
                theme::CONVERTED,
            );
            badge_left = r.left() - 10.0;
        }
        let signals: u64 = row.signals.values().sum();
        if signals > 0 {
            let r = ui.painter().text(
                egui::pos2(badge_left, rect.top() + 5.0),
                egui::Align2::RIGHT_TOP,
                format!("{signals} signal{}", if signals == 1 { "" } else { "s" }),
                egui::FontId::proportional(12.0),
                theme::RAGE,
            );
            badge_left = r.left() - 10.0;
        }
        // A long id (a UUID from PostHog) is cut where the badges begin, not drawn under them.
        let id_clip =
            egui::Rect::from_min_max(rect.min, egui::pos2(badge_left.max(left), rect.max.y));
        ui.painter()
            .with_clip_rect(id_clip.intersect(ui.clip_rect()))
            .text(
                egui::pos2(left, rect.top() + 5.0),
                egui::Align2::LEFT_TOP,
                &row.session_id,
                egui::FontId::proportional(14.0),
                text_color,
            );
        let details = format!(
            "{}  ·  {}  ·  {}  ·  {} clicks  ·  {} pages  ·  {}",
            time::format_utc(row.started_at_ms),
            row.device,
            time::format_duration(row.duration_ms),
            row.num_clicks,
            row.pages.len(),
            row.source
        );

        ui.painter().text(
            egui::pos2(left, rect.top() + 23.0),
            egui::Align2::LEFT_TOP,
            details,
            egui::FontId::proportional(12.0),
            theme::MUTED,
        );
    }
    let mut hover = row.pages.first().cloned().unwrap_or_default();
    for (kind, n) in &row.signals {
        hover.push_str(&format!("\n{n} x {kind}"));
    }
    response.on_hover_text(hover)
}

fn empty_state_ui(app: &ViewContext<'_>, ui: &mut egui::Ui) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.heading("No session selected");
        if app.state.library_sessions == Some(0) && app.state.import.is_none() {
            ui.label("The library is empty. Use File > Open… or Import folder…, or drop rrweb or SessionLens files here.");
        } else {
            ui.label("Pick a session from the list, or drop recordings here to import them.");
        }
    });
}

/// Pages, activity and event counts of a session (the replay side panel's Overview tab).
pub(super) fn session_overview_ui(session: &LoadedSession, ui: &mut egui::Ui) {
    ui.heading("Page views");
    egui::Grid::new("pages")
        .striped(true)
        .num_columns(5)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for title in ["Entered", "Time on page", "Clicks", "Deepest px", "URL"] {
                ui.label(RichText::new(title).color(theme::MUTED));
            }
            ui.end_row();
            for (page, stats) in session.pages.iter().zip(&session.page_stats) {
                ui.label(time::format_duration(
                    page.entered_at_ms - session.started_at_ms,
                ));
                ui.label(time::format_duration(page.duration_ms()));
                ui.label(stats.num_clicks.to_string());
                let depth_share = if page.doc_size.height > 0 {
                    format!(
                        " ({:.0} %)",
                        100.0 * stats.max_depth_px / page.doc_size.height as f32
                    )
                } else {
                    String::new()
                };
                ui.label(format!("{:.0}{depth_share}", stats.max_depth_px));
                ui.label(&page.url);
                ui.end_row();
            }
        });
    ui.add_space(12.0);
    ui.heading("Activity");
    let bucket_ms = session.bucket_ms;
    let buckets = &session.activity;
    let bars = |name: &str, value: fn(&analysis::ActivityBucket) -> u32, color: egui::Color32| {
        let bars: Vec<Bar> = buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Bar::new(
                    (i as f64 + 0.5) * bucket_ms as f64 / 1000.0,
                    f64::from(value(b)),
                )
                .width(bucket_ms as f64 / 1000.0 * 0.9)
            })
            .collect();
        BarChart::new(name, bars).color(color)
    };
    let moves = bars(
        "Pointer moves",
        |b| b.moves,
        egui::Color32::from_rgb(0x60, 0xa5, 0xfa),
    );
    let scrolls = bars(
        "Scrolls",
        |b| b.scrolls,
        egui::Color32::from_rgb(0xa7, 0x8b, 0xfa),
    )
    .stack_on(&[&moves]);
    let clicks = bars(
        "Clicks",
        |b| b.clicks,
        egui::Color32::from_rgb(0xf9, 0x73, 0x16),
    )
    .stack_on(&[&moves, &scrolls]);
    let inputs = bars(
        "Inputs",
        |b| b.inputs,
        egui::Color32::from_rgb(0x22, 0xc5, 0x5e),
    )
    .stack_on(&[&moves, &scrolls, &clicks]);
    Plot::new("activity")
        .height(160.0)
        .legend(Legend::default())
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_label("seconds from start")
        .y_axis_label(format!("events per {} s", bucket_ms / 1000))
        .show(ui, |plot| {
            plot.bar_chart(moves);
            plot.bar_chart(scrolls);
            plot.bar_chart(clicks);
            plot.bar_chart(inputs);
        });
    ui.add_space(12.0);
    ui.columns(2, |columns| {
        columns[0].heading("Events by kind");
        egui::Grid::new("event_counts")
            .striped(true)
            .show(&mut columns[0], |ui| {
                for (kind, count) in &session.event_counts {
                    ui.label(*kind);
                    ui.label(count.to_string());
                    ui.end_row();
                }
            });
        columns[1].heading("Conversion events");
        let customs = &session.customs;
        if customs.is_empty() {
            columns[1].label(RichText::new("none recorded").color(theme::MUTED));
        }
        egui::Grid::new("customs")
            .striped(true)
            .show(&mut columns[1], |ui| {
                for (at_ms, name, value) in customs {
                    ui.label(time::format_duration(*at_ms));
                    ui.label(name);
                    ui.label(value.map(|v| format!("{v:.2}")).unwrap_or_default());
                    ui.end_row();
                }
            });
    });
}
