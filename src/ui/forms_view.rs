//! The forms view: per form, its fields in order as a table (reached, used, time, refills,
//! errors, abandoned here) and a field-by-field drop-off bar chart (egui_plot); clicking a cell
//! lists the sessions behind it, each opening the replay at that field's moment. The figures
//! are `analysis::forms` over `Store::forms`, the same as `sessionlens forms`.

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::app::ViewContext;
use super::command::Command;
use super::theme;
use crate::analysis::forms::{FieldMoment, FieldRow, FormTable, FormsReport};
use crate::analysis::journeys::percent;
use crate::model::{DeviceClass, SessionFilter, UrlPattern, time};

/// What the view shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormsChoice {
    /// Only forms on pages matching this (URL or pattern; empty: all pages).
    pub page: String,
    /// Device (None: any).
    pub device: Option<DeviceClass>,
}

impl FormsChoice {
    /// The sessions in scope.
    #[must_use]
    pub fn filter(&self) -> SessionFilter {
        SessionFilter {
            device: self.device,
            ..SessionFilter::default()
        }
    }

    /// The page pattern, when one is given.
    #[must_use]
    pub fn page(&self) -> Option<UrlPattern> {
        let page = self.page.trim();
        (!page.is_empty()).then(|| UrlPattern::new(page))
    }
}

/// Which sessions of a field a cell stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Sessions that used the field.
    Used,
    /// Sessions that saw an error on it.
    Errors,
    /// Sessions that left the form at it.
    Abandoned,
    /// Sessions that submitted the form.
    Submitted,
}

/// A picked cell: form index in the report, field index in the form (ignored for
/// `Submitted`), and which sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormPick {
    /// Index into `FormsReport::forms`.
    pub form: usize,
    /// Index into `FormTable::fields`.
    pub field: usize,
    /// Which sessions.
    pub kind: CellKind,
}

/// A change of a form's name: `name` `None` removes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormNameChange {
    /// The form's page label.
    pub page: String,
    /// The form's identity on the page.
    pub form: String,
    /// The new name.
    pub name: Option<String>,
}

/// The changes that merge form `from` into form `into` of a report: `from` takes `into`'s
/// name, or both take `into`'s label (`form on page`) when it has none.
#[must_use]
pub fn merge_changes(into: &FormTable, from: &FormTable) -> Vec<FormNameChange> {
    let name = into
        .name
        .clone()
        .unwrap_or_else(|| format!("{} on {}", into.form, into.page));
    let mut changes = Vec::new();
    if into.name.is_none() {
        changes.push(FormNameChange {
            page: into.page.clone(),
            form: into.form.clone(),
            name: Some(name.clone()),
        });
    }
    // Every member of `from` (a merged form brings its members along).
    let members = member_forms(from);
    for (page, form) in members {
        changes.push(FormNameChange {
            page,
            form,
            name: Some(name.clone()),
        });
    }
    changes
}

/// The (page, form) of every form a table gathers: its members when named, else itself.
#[must_use]
pub fn member_forms(t: &FormTable) -> Vec<(String, String)> {
    if t.members.is_empty() {
        return vec![(t.page.clone(), t.form.clone())];
    }
    t.members
        .iter()
        .map(|m| (m.page.clone(), m.form.clone()))
        .collect()
}

/// How a form is titled: its name and members, or `form on page`.
#[must_use]
pub fn form_title(t: &FormTable) -> String {
    match &t.name {
        Some(name) => {
            let members: Vec<String> = t.members.iter().map(ToString::to_string).collect();
            format!("{name} ({})", members.join(" + "))
        }
        None => format!("{} on {}", t.form, t.page),
    }
}

/// State of the forms view.
#[derive(Default)]
pub struct FormsView {
    /// The choice in force.
    pub choice: FormsChoice,
    /// The choice being edited (applied with "Show").
    pub draft: Option<FormsChoice>,
    /// Newest query generation.
    pub generation: u64,
    /// A query is out.
    pub loading: bool,
    /// The tables.
    pub report: Option<FormsReport>,
    /// Why the last query failed.
    pub error: Option<String>,
    /// The form shown (index into the report's forms).
    pub form: usize,
    /// The picked cell.
    pub picked: Option<FormPick>,
    /// The tables have been asked for.
    pub requested: bool,
    /// The shown form's name being edited.
    pub name_draft: Option<String>,
    /// A name is being written.
    pub naming: bool,
    /// What the last naming did.
    pub message: Option<String>,
}

/// The sessions behind a pick.
#[must_use]
pub fn moments_of(report: &FormsReport, pick: FormPick) -> &[FieldMoment] {
    let Some(form) = report.forms.get(pick.form) else {
        return &[];
    };
    if pick.kind == CellKind::Submitted {
        return &form.submitted_examples;
    }
    form.fields
        .get(pick.field)
        .map_or(&[], |f| match pick.kind {
            CellKind::Used => &f.interacted_examples,
            CellKind::Errors => &f.error_examples,
            CellKind::Abandoned | CellKind::Submitted => &f.abandoned_examples,
        })
}

/// The forms view.
pub fn forms_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let view = &mut app.state.forms;
    let mut out = Vec::new();
    if !view.requested {
        out.push(Command::SetFormsChoice(Box::new(view.choice.clone())));
    }
    egui::Panel::right("forms_side")
        .resizable(true)
        .default_size(theme::SIDE_WIDTH)
        .min_size(280.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("forms_side_scroll")
                .show(ui, |ui| side_ui(view, ui, &mut out));
        });
    egui::CentralPanel::default_margins().show(ui, |ui| {
        controls_ui(view, ui, &mut out);
        ui.separator();
        if let Some(e) = &view.error {
            ui.colored_label(theme::ERROR_ON_PANEL, e);
        }
        let Some(report) = &view.report else {
            if view.loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the form use of the sessions…");
                });
            }
            return;
        };
        if report.forms.is_empty() {
            ui.label(format!(
                "No form use in these {} sessions. Forms come from the rrweb reader \
                 (see docs/FORMS.md); recordings imported before it knew forms need a re-import.",
                report.sessions
            ));
            return;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} sessions · {} forms{}",
                report.sessions,
                report.forms.len(),
                if report.folded_forms > 0 {
                    format!(" ({} more left out)", report.folded_forms)
                } else {
                    String::new()
                }
            ));
            let current = view.form.min(report.forms.len() - 1);
            egui::ComboBox::from_id_salt("forms_pick")
                .selected_text(
                    report
                        .forms
                        .get(current)
                        .map(form_title)
                        .unwrap_or_default(),
                )
                .show_ui(ui, |ui| {
                    for (i, t) in report.forms.iter().enumerate() {
                        if ui.selectable_label(i == current, form_title(t)).clicked() {
                            out.push(Command::ShowForm(i));
                        }
                    }
                });
            if view.loading {
                ui.weak("updating…");
            }
        });
        let index = view.form.min(report.forms.len() - 1);
        let Some(table) = report.forms.get(index) else {
            return;
        };
        summary_ui(table, index, view.picked, ui, &mut out);
        naming_ui(
            report,
            index,
            view.name_draft.as_ref(),
            view.naming,
            ui,
            &mut out,
        );
        if let Some(message) = &view.message {
            ui.weak(message);
        }
        egui::ScrollArea::vertical()
            .id_salt("forms_main_scroll")
            .show(ui, |ui| {
                if !table.fields.is_empty() {
                    chart_ui(table, ui);
                    table_ui(table, index, view.picked, ui, &mut out);
                }
                segments_ui(table, ui);
            });
    });
    app.state.commands.extend(out);
}

fn summary_ui(
    t: &FormTable,
    form: usize,
    picked: Option<FormPick>,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(form_title(t)).strong());
        if t.form_fields > 0 {
            ui.label(format!("({} fields in the form)", t.form_fields));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "viewed {} · started {} · abandoned {} · attempts {} by {} sessions · submitted",
            t.viewed, t.started, t.abandoned, t.attempts, t.attempted
        ));
        let pick = FormPick {
            form,
            field: 0,
            kind: CellKind::Submitted,
        };
        if ui
            .selectable_label(
                picked == Some(pick),
                format!(
                    "{} ({} of started)",
                    t.submitted,
                    percent(t.submitted, t.started)
                ),
            )
            .on_hover_text("List the sessions that submitted")
            .clicked()
        {
            out.push(Command::PickFormCell(Some(pick)));
        }
    });
    if t.folded_fields > 0 {
        ui.colored_label(
            theme::WARN,
            format!(
                "This form has more fields than the table shows: the last row gathers {} fields.",
                t.folded_fields
            ),
        );
    }
}

/// Name the shown form, remove its name, or merge another form into it.
fn naming_ui(
    report: &FormsReport,
    index: usize,
    draft: Option<&String>,
    naming: bool,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let Some(t) = report.forms.get(index) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        if let Some(draft) = draft {
            let mut text = draft.clone();
            let edit = ui.add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("a name, e.g. Checkout")
                    .desired_width(220.0),
            );
            if text != *draft {
                out.push(Command::SetFormNameDraft(Some(text.clone())));
            }
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let valid = crate::analysis::forms::valid_form_name(&text);
            let save = ui.add_enabled(valid.is_ok() && !naming, egui::Button::new("Save name"));
            if (save.clicked() || (enter && valid.is_ok())) && !naming {
                out.push(Command::NameForms(
                    member_forms(t)
                        .into_iter()
                        .map(|(page, form)| FormNameChange {
                            page,
                            form,
                            name: Some(text.trim().to_owned()),
                        })
                        .collect(),
                ));
            }
            if ui.button("Cancel").clicked() {
                out.push(Command::SetFormNameDraft(None));
            }
            if let Err(e) = valid
                && !text.is_empty()
            {
                ui.colored_label(theme::ERROR_ON_PANEL, e);
            }
        } else {
            let label = if t.name.is_some() {
                "Rename…"
            } else {
                "Name this form…"
            };
            if ui
                .add_enabled(!naming, egui::Button::new(label))
                .on_hover_text("Forms given the same name are merged into one table")
                .clicked()
            {
                out.push(Command::SetFormNameDraft(Some(
                    t.name.clone().unwrap_or_default(),
                )));
            }
            if t.name.is_some()
                && ui
                    .add_enabled(!naming, egui::Button::new("Remove name"))
                    .on_hover_text("Show its members as separate forms again")
                    .clicked()
            {
                out.push(Command::NameForms(
                    member_forms(t)
                        .into_iter()
                        .map(|(page, form)| FormNameChange {
                            page,
                            form,
                            name: None,
                        })
                        .collect(),
                ));
            }
            if report.forms.len() > 1 {
                egui::ComboBox::from_id_salt("forms_merge")
                    .selected_text("Merge another form into this one…")
                    .show_ui(ui, |ui| {
                        for (i, other) in report.forms.iter().enumerate() {
                            if i != index && ui.selectable_label(false, form_title(other)).clicked()
                            {
                                out.push(Command::NameForms(merge_changes(t, other)));
                            }
                        }
                    });
            }
            if naming {
                ui.spinner();
            }
        }
    });
}

/// Short name of a field for the chart's axis (ten characters fit a bar's slot of a 15-field
/// form at the default window width).
fn short(r: &FieldRow) -> String {
    let s: String = r.key.chars().take(9).collect();
    if r.key.chars().count() > 10 {
        format!("{s}…")
    } else {
        s
    }
}

fn chart_ui(t: &FormTable, ui: &mut egui::Ui) {
    let names: Vec<String> = t.fields.iter().map(short).collect();
    let bars = |value: fn(&FieldRow) -> u64, offset: f64| -> Vec<Bar> {
        t.fields
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Bar::new(i as f64 + offset, value(r) as f64)
                    .width(0.38)
                    .name(r.key.clone())
            })
            .collect()
    };
    Plot::new("forms_dropoff")
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
            plot.bar_chart(
                BarChart::new("Reached", bars(|r| r.reached, -0.2)).color(theme::ACCENT),
            );
            plot.bar_chart(
                BarChart::new("Abandoned here", bars(|r| r.abandoned_here, 0.2)).color(theme::RAGE),
            );
        });
}

fn table_ui(
    t: &FormTable,
    form: usize,
    picked: Option<FormPick>,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    egui::Grid::new("forms_table")
        .striped(true)
        .num_columns(11)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "#",
                "Field",
                "Kind",
                "Reached",
                "Used",
                "Time median",
                "p90",
                "Refills",
                "Errors",
                "Error sessions",
                "Abandoned here",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            let seconds = |ms: Option<i64>| {
                ms.map_or_else(
                    || "–".to_owned(),
                    |ms| format!("{:.1} s", ms as f64 / 1000.0),
                )
            };
            for (i, r) in t.fields.iter().enumerate() {
                ui.label(format!("{}", i + 1));
                ui.label(&r.key);
                ui.weak(&r.kind);
                ui.label(format!("{} ({})", r.reached, percent(r.reached, t.started)));
                let mut cell = |ui: &mut egui::Ui, text: String, kind: CellKind, hint: &str| {
                    let pick = FormPick {
                        form,
                        field: i,
                        kind,
                    };
                    if ui
                        .selectable_label(picked == Some(pick), text)
                        .on_hover_text(hint)
                        .clicked()
                    {
                        out.push(Command::PickFormCell(Some(pick)));
                    }
                };
                cell(
                    ui,
                    r.interacted.to_string(),
                    CellKind::Used,
                    "List the sessions that used this field",
                );
                ui.label(seconds(r.time_median_ms));
                ui.label(seconds(r.time_p90_ms));
                ui.label(r.refills.to_string());
                ui.label(r.errors.to_string());
                cell(
                    ui,
                    r.error_sessions.to_string(),
                    CellKind::Errors,
                    "List the sessions that saw an error here",
                );
                cell(
                    ui,
                    r.abandoned_here.to_string(),
                    CellKind::Abandoned,
                    "List the sessions that left the form here",
                );
                ui.end_row();
            }
        });
}

fn segments_ui(t: &FormTable, ui: &mut egui::Ui) {
    if t.segments.is_empty() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("By device and source").strong());
    egui::Grid::new("forms_segments")
        .striped(true)
        .num_columns(6)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "",
                "Viewed",
                "Started",
                "Submitted",
                "Submit rate",
                "Most left at",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for g in &t.segments {
                ui.label(format!("{}: {}", g.dimension, g.label));
                ui.label(g.viewed.to_string());
                ui.label(g.started.to_string());
                ui.label(g.submitted.to_string());
                ui.label(percent(g.submitted, g.started));
                let worst = t
                    .fields
                    .iter()
                    .zip(&g.fields)
                    .filter(|(_, c)| c.abandoned_here > 0)
                    .max_by_key(|(_, c)| c.abandoned_here)
                    .map_or_else(
                        || "–".to_owned(),
                        |(r, c)| format!("{} ({})", r.key, c.abandoned_here),
                    );
                ui.label(worst);
                ui.end_row();
            }
        });
}

fn controls_ui(view: &mut FormsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let draft = view.draft.get_or_insert_with(|| view.choice.clone());
    ui.horizontal_wrapped(|ui| {
        ui.label("Page");
        ui.add(
            egui::TextEdit::singleline(&mut draft.page)
                .hint_text("all pages, or /checkout*")
                .desired_width(200.0),
        );
        egui::ComboBox::from_id_salt("forms_device")
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
        if ui.button("Show").clicked() {
            out.push(Command::SetFormsChoice(Box::new(draft.clone())));
        }
    });
}

fn side_ui(view: &FormsView, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    ui.heading("Forms");
    let (Some(report), Some(pick)) = (&view.report, view.picked) else {
        ui.weak("Click a count in the table (used, error sessions, abandoned here, submitted) to list its sessions.");
        return;
    };
    let field = report
        .forms
        .get(pick.form)
        .and_then(|f| f.fields.get(pick.field))
        .map_or(String::new(), |f| f.key.clone());
    ui.label(match pick.kind {
        CellKind::Used => format!("Sessions that used {field}"),
        CellKind::Errors => format!("Sessions that saw an error on {field}"),
        CellKind::Abandoned => format!("Sessions that left the form at {field}"),
        CellKind::Submitted => "Sessions that submitted the form".to_owned(),
    });
    let moments = moments_of(report, pick);
    ui.weak(format!(
        "{} shown (at most {}); each opens at that moment",
        moments.len(),
        crate::analysis::forms::MAX_EXAMPLES
    ));
    for m in moments {
        if ui
            .button(format!("{}  {}", m.session_id, time::format_utc(m.at_ms)))
            .on_hover_text("Open the replay at this field's moment")
            .clicked()
        {
            out.push(Command::OpenSessionAt {
                session_id: m.session_id.clone(),
                timestamp_ms: m.at_ms,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::forms::FormTable;

    #[test]
    fn merging_names_both_forms_or_joins_the_named_one() {
        use crate::analysis::forms::FormRef;
        let table = |page: &str, form: &str| FormTable {
            page: page.to_owned(),
            form: form.to_owned(),
            ..FormTable::default()
        };
        let (a, b) = (table("/a", "#x"), table("/b", "#y"));
        let changes = merge_changes(&a, &b);
        let names: Vec<_> = changes
            .iter()
            .map(|c| (c.page.as_str(), c.form.as_str(), c.name.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("/a", "#x", Some("#x on /a")),
                ("/b", "#y", Some("#x on /a"))
            ]
        );
        // Into a named form: only the other form changes; a merged form brings its members.
        let mut named = a.clone();
        named.name = Some("Checkout".to_owned());
        named.members = vec![FormRef {
            page: "/a".to_owned(),
            form: "#x".to_owned(),
        }];
        let mut merged = b.clone();
        merged.name = Some("Old".to_owned());
        merged.members = vec![
            FormRef {
                page: "/b".to_owned(),
                form: "#y".to_owned(),
            },
            FormRef {
                page: "/c".to_owned(),
                form: "#z".to_owned(),
            },
        ];
        let changes = merge_changes(&named, &merged);
        assert_eq!(changes.len(), 2);
        assert!(
            changes
                .iter()
                .all(|c| c.name.as_deref() == Some("Checkout"))
        );
        assert_eq!(form_title(&named), "Checkout (#x on /a)");
        assert_eq!(form_title(&b), "#y on /b");
    }

    #[test]
    fn the_choice_gives_the_filter_and_page_and_picks_find_their_sessions() {
        let c = FormsChoice {
            page: " /checkout* ".into(),
            device: Some(DeviceClass::Mobile),
        };
        assert_eq!(c.filter().device, Some(DeviceClass::Mobile));
        assert_eq!(c.page(), Some(UrlPattern::new("/checkout*")));
        assert_eq!(FormsChoice::default().page(), None);
        let moment = |id: &str| FieldMoment {
            session_id: id.to_owned(),
            at_ms: 5,
        };
        let report = FormsReport {
            sessions: 2,
            forms: vec![FormTable {
                fields: vec![FieldRow {
                    interacted_examples: vec![moment("a"), moment("b")],
                    error_examples: vec![moment("b")],
                    ..FieldRow::default()
                }],
                submitted_examples: vec![moment("a")],
                ..FormTable::default()
            }],
            folded_forms: 0,
        };
        let pick = |field, kind| FormPick {
            form: 0,
            field,
            kind,
        };
        assert_eq!(moments_of(&report, pick(0, CellKind::Used)).len(), 2);
        assert_eq!(
            moments_of(&report, pick(0, CellKind::Errors))[0].session_id,
            "b"
        );
        assert!(moments_of(&report, pick(0, CellKind::Abandoned)).is_empty());
        assert_eq!(moments_of(&report, pick(9, CellKind::Submitted)).len(), 1);
        assert!(moments_of(&report, pick(3, CellKind::Used)).is_empty());
    }
}
