//! Form analytics: per form and per field in order, how many sessions reached and used each
//! field, the time spent in it (median, p90), refills, errors shown next to it, the field where
//! visitors who gave up left the form, and the submit rate; split by device and by source.
//!
//! Pure, in two steps, so that a store can keep the first one's output: [`session_forms`] turns
//! one [`Session`] into its [`SessionForms`] facts (lengths and timings only: typed values are
//! never read), and [`forms`] aggregates the facts of many sessions into a [`FormsReport`].
//! The events used are the model's `Focus`, `Blur`, `Input`, `Click`, `Custom` and the form
//! events the rrweb reader records (`FormField`, `FieldError`, `FieldErrorCleared`,
//! `FormSubmit`). Forms with more than [`MAX_FIELDS`] fields fold the rest into one row, more
//! than [`MAX_FORMS`] forms fold into a count; both are reported, never dropped silently.
//!
//! Definitions and their sources are in docs/FORMS.md.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::{Channel, DeviceClass, ElementDescriptor, EventKind, Session, UrlPattern};

/// Most fields shown per form; later fields (in form order) fold into one row.
pub const MAX_FIELDS: usize = 60;
/// Most forms in a report (most started first); the rest are counted in `folded_forms`.
pub const MAX_FORMS: usize = 50;
/// Longest focus span counted as time spent in a field, ms (a visitor who walks away from a
/// focused field does not add an hour to it).
pub const MAX_FOCUS_SPAN_MS: i64 = 300_000;
/// Sessions kept per field and kind as examples to open in the replay.
pub const MAX_EXAMPLES: usize = 20;
/// Page label of page views without a URL.
pub const NO_URL_LABEL: &str = "(no URL)";
/// Form label of the fields of a page that sit outside any `<form>`.
pub const NO_FORM_LABEL: &str = "(fields outside a form)";
/// After a submit click, how long the page may take to show or clear its errors, ms.
pub const SUBMIT_SETTLE_MS: i64 = 1_000;
/// Custom event names that mark a successful submit of the form last used (any case).
pub const SUBMIT_EVENT_NAMES: [&str; 3] = ["form_submit", "form_submitted", "submit_form"];

/// One field's facts in one session's use of a form (over all its page views of that form).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldVisit {
    /// The field's identity in the form: `name`, else `#id`, else its CSS selector.
    pub key: String,
    /// Tag and type, e.g. `input[email]`, `select`.
    pub kind: String,
    /// Place among the form's fields in document order (from the reader), when known.
    pub position: Option<u32>,
    /// First focus, click, input or error on it, epoch ms (where the replay opens).
    pub first_at_ms: i64,
    /// Last focus, click or input on it, epoch ms.
    pub last_at_ms: i64,
    /// Focused, clicked or changed.
    pub interacted: bool,
    /// Its value changed (an `Input`).
    pub changed: bool,
    /// Time focused, ms (focus to blur, each span capped at [`MAX_FOCUS_SPAN_MS`]).
    pub focus_ms: i64,
    /// Times the value was emptied and typed again (or cut to one character from several and
    /// typed on: select-all and type).
    pub refills: u32,
    /// Times an error indicator appeared next to it.
    pub errors: u32,
    /// When the first of them appeared, epoch ms.
    pub first_error_at_ms: Option<i64>,
}

/// One session's use of one form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormVisit {
    /// The page: URL path without query and fragment, or [`NO_URL_LABEL`].
    pub page: String,
    /// The form's identity on the page: `#id`, `form[name=…]`, its selector, or
    /// [`NO_FORM_LABEL`].
    pub form: String,
    /// How many fields the form had (the reader's count; 0 when unknown).
    pub form_fields: u32,
    /// Fields the session met, in the order first met.
    pub fields: Vec<FieldVisit>,
    /// Submit attempts (clicks on a submit control, custom submit events).
    pub submit_attempts: u32,
    /// At least one attempt succeeded (see docs/FORMS.md).
    pub submitted: bool,
    /// When the first page view with this form began, epoch ms.
    pub entered_at_ms: i64,
}

impl FormVisit {
    /// True when the session used at least one field.
    #[must_use]
    pub fn started(&self) -> bool {
        self.fields.iter().any(|f| f.interacted)
    }

    /// The field used last (by time), for a session that started and did not submit.
    #[must_use]
    pub fn abandoned_at(&self) -> Option<&FieldVisit> {
        if self.submitted {
            return None;
        }
        self.fields
            .iter()
            .filter(|f| f.interacted)
            .max_by_key(|f| f.last_at_ms)
    }
}

/// The form facts of one session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionForms {
    /// The session id.
    pub session_id: String,
    /// Device class.
    pub device: DeviceClass,
    /// Traffic channel.
    pub channel: Channel,
    /// Distinct pages viewed (labels as [`FormVisit::page`]), for "viewed the form's page".
    pub pages: Vec<String>,
    /// Forms used or seen (a form appears once its reader facts name it).
    pub forms: Vec<FormVisit>,
}

/// The page label of a URL: its path without query or fragment (or [`NO_URL_LABEL`]).
#[must_use]
pub fn page_label(url: &str) -> String {
    let url = url.trim();
    let url = url.split(['#', '?']).next().unwrap_or("");
    if url.is_empty() {
        return NO_URL_LABEL.to_owned();
    }
    let path = match url.find("://") {
        Some(i) => {
            let rest = url.get(i + 3..).unwrap_or("");
            rest.find('/').map_or("/", |p| rest.get(p..).unwrap_or("/"))
        }
        None => url,
    };
    if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    }
}

/// True for a descriptor of a form field (`input` but hidden/submit/button/image/reset,
/// `select`, `textarea`).
#[must_use]
pub fn is_field(d: &ElementDescriptor) -> bool {
    match d.tag.as_str() {
        "select" | "textarea" => true,
        "input" => !matches!(
            d.input_type.as_deref().unwrap_or("text"),
            "hidden" | "submit" | "button" | "image" | "reset"
        ),
        _ => false,
    }
}

/// A field's identity: `name`, else `#id`, else its selector.
fn field_key(d: &ElementDescriptor) -> String {
    if let Some(name) = d.name.as_deref().filter(|s| !s.is_empty()) {
        return name.to_owned();
    }
    if let Some(id) = d.id.as_deref().filter(|s| !s.is_empty()) {
        return format!("#{id}");
    }
    d.selector.clone()
}

/// A form's identity: `#id`, else `form[name=…]`, else its selector.
fn form_key(d: &ElementDescriptor) -> String {
    if let Some(id) = d.id.as_deref().filter(|s| !s.is_empty()) {
        return format!("#{id}");
    }
    if let Some(name) = d.name.as_deref().filter(|s| !s.is_empty()) {
        return format!("form[name={name}]");
    }
    if d.selector.is_empty() {
        "form".to_owned()
    } else {
        d.selector.clone()
    }
}

fn field_kind(d: &ElementDescriptor) -> String {
    match d.input_type.as_deref() {
        Some(t) => format!("{}[{t}]", d.tag),
        None => d.tag.clone(),
    }
}

/// Per-field state while walking one page view.
#[derive(Default)]
struct FieldState {
    visit: FieldVisit,
    last_len: Option<u32>,
    /// The value went from something to empty.
    emptied: bool,
    /// The value dropped to one character from several.
    replacing: bool,
}

/// Per-form state while walking one page view.
#[derive(Default)]
struct FormState {
    form_fields: u32,
    attempts: Vec<i64>,
    /// An attempt succeeded.
    submitted: bool,
}

/// The forms used or seen on one page view (unmerged): what a store keeps per session, so that
/// [`assemble_session_forms`] can answer any page pattern without the session's body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageViewForms {
    /// The page view's URL (as recorded).
    pub url: String,
    /// Its forms, in the order first met.
    pub forms: Vec<FormVisit>,
}

/// The forms of every page view of `session` that has any (page views in order).
#[must_use]
pub fn page_view_forms_of(session: &Session) -> Vec<PageViewForms> {
    // Events by page view (they are in time order within the session).
    let mut by_page: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, e) in session.events.iter().enumerate() {
        by_page.entry(e.page).or_default().push(i);
    }
    let mut out = Vec::new();
    for (page_index, events) in by_page {
        let Some(view) = session.pages.get(page_index as usize) else {
            continue;
        };
        let label = page_label(&view.url);
        let forms = page_view_forms(
            session,
            &events,
            view.left_at_ms,
            &label,
            view.entered_at_ms,
        );
        if !forms.is_empty() {
            out.push(PageViewForms {
                url: view.url.clone(),
                forms,
            });
        }
    }
    out
}

/// A session's [`SessionForms`] from its page URLs (any order, repeats allowed) and its
/// [`page_view_forms_of`]; with `page`, only page views whose URL matches it count. The page
/// views' forms are merged per page and form as [`session_forms`] does.
#[must_use]
pub fn assemble_session_forms<'a>(
    session_id: &str,
    device: DeviceClass,
    channel: Channel,
    page_urls: impl IntoIterator<Item = &'a str>,
    views: &[PageViewForms],
    page: Option<&UrlPattern>,
) -> SessionForms {
    let keep = |url: &str| page.is_none_or(|pat| pat.matches(url));
    let mut out = SessionForms {
        session_id: session_id.to_owned(),
        device,
        channel,
        pages: Vec::new(),
        forms: Vec::new(),
    };
    for url in page_urls {
        if keep(url) {
            let label = page_label(url);
            if !out.pages.contains(&label) {
                out.pages.push(label);
            }
        }
    }
    let mut merged: Vec<FormVisit> = Vec::new();
    for view in views.iter().filter(|v| keep(&v.url)) {
        for visit in &view.forms {
            match merged
                .iter_mut()
                .find(|m| m.page == visit.page && m.form == visit.form)
            {
                Some(m) => merge_visit(m, visit.clone()),
                None => merged.push(visit.clone()),
            }
        }
    }
    out.forms = merged;
    out
}

/// The sessions whose form facts a form table over `page` reads: `filter`, narrowed to the
/// sessions that visited `page` when the filter names no URL of its own.
#[must_use]
pub fn sessions_for_page(
    filter: &crate::model::SessionFilter,
    page: Option<&UrlPattern>,
) -> crate::model::SessionFilter {
    let mut narrowed = filter.clone();
    if let Some(page) = page
        && narrowed.url.is_none()
    {
        narrowed.url = Some(page.as_str().to_owned());
    }
    narrowed
}

/// The form facts of `session`; with `page`, only page views whose URL matches it count.
#[must_use]
pub fn session_forms(session: &Session, page: Option<&UrlPattern>) -> SessionForms {
    assemble_session_forms(
        &session.session_id,
        session.device,
        session.source.channel(),
        session.pages.iter().map(|p| p.url.as_str()),
        &page_view_forms_of(session),
        page,
    )
}

fn merge_visit(into: &mut FormVisit, visit: FormVisit) {
    into.form_fields = into.form_fields.max(visit.form_fields);
    into.submit_attempts += visit.submit_attempts;
    into.submitted |= visit.submitted;
    into.entered_at_ms = into.entered_at_ms.min(visit.entered_at_ms);
    for f in visit.fields {
        match into.fields.iter_mut().find(|g| g.key == f.key) {
            Some(g) => {
                g.position = g.position.or(f.position);
                g.first_at_ms = g.first_at_ms.min(f.first_at_ms);
                g.last_at_ms = g.last_at_ms.max(f.last_at_ms);
                g.interacted |= f.interacted;
                g.changed |= f.changed;
                g.focus_ms += f.focus_ms;
                g.refills += f.refills;
                g.errors += f.errors;
                g.first_error_at_ms = match (g.first_error_at_ms, f.first_error_at_ms) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => into.fields.push(f),
        }
    }
}

/// The forms of one page view, from its events (indices into `session.events`).
fn page_view_forms(
    session: &Session,
    events: &[usize],
    left_at_ms: i64,
    page: &str,
    entered_at_ms: i64,
) -> Vec<FormVisit> {
    let desc = |t: Option<u32>| t.and_then(|t| session.targets.get(t as usize));
    // Pass 1: which form each field target belongs to.
    let mut form_of: HashMap<u32, (String, u32, u32)> = HashMap::new();
    for &i in events {
        if let Some(EventKind::FormField {
            field,
            form,
            position,
            form_fields,
        }) = session.events.get(i).map(|e| &e.kind)
            && let Some(d) = desc(Some(*form))
        {
            form_of
                .entry(*field)
                .or_insert((form_key(d), *position, *form_fields));
        }
    }
    let mut fields: Vec<FieldState> = Vec::new();
    let mut field_index: HashMap<String, usize> = HashMap::new();
    let mut forms: Vec<(String, FormState)> = Vec::new();
    // Per field index: the form it belongs to (index into `forms`).
    let mut field_form: Vec<usize> = Vec::new();
    // (time, field, showing): error indicators appearing and going away.
    let mut error_changes: Vec<(i64, usize, bool)> = Vec::new();
    let mut used_at: Vec<(i64, usize)> = Vec::new();
    let mut focused: Option<(usize, i64)> = None;
    let mut last_form_used: Option<usize> = None;
    let mut last_t = entered_at_ms;

    let form_slot = |forms: &mut Vec<(String, FormState)>, key: &str| -> usize {
        if let Some(i) = forms.iter().position(|(k, _)| k == key) {
            return i;
        }
        forms.push((key.to_owned(), FormState::default()));
        forms.len() - 1
    };
    let mut slot = |target: u32,
                    t: i64,
                    fields: &mut Vec<FieldState>,
                    forms: &mut Vec<(String, FormState)>,
                    field_form: &mut Vec<usize>|
     -> Option<usize> {
        let d = desc(Some(target)).filter(|d| is_field(d))?;
        let key = field_key(d);
        let membership = form_of.get(&target);
        let form_name = membership.map_or(NO_FORM_LABEL, |(f, _, _)| f.as_str());
        let full = format!("{form_name}\u{0}{key}");
        if let Some(&i) = field_index.get(&full) {
            return Some(i);
        }
        let form = form_slot(forms, form_name);
        if let Some((_, state)) = forms.get_mut(form)
            && let Some((_, _, n)) = membership
        {
            state.form_fields = state.form_fields.max(*n);
        }
        fields.push(FieldState {
            visit: FieldVisit {
                key,
                kind: field_kind(d),
                position: membership.map(|(_, p, _)| *p),
                first_at_ms: t,
                last_at_ms: t,
                ..FieldVisit::default()
            },
            ..FieldState::default()
        });
        field_form.push(form);
        field_index.insert(full, fields.len() - 1);
        Some(fields.len() - 1)
    };
    let close_focus = |focused: &mut Option<(usize, i64)>, fields: &mut Vec<FieldState>, t: i64| {
        if let Some((f, since)) = focused.take()
            && let Some(state) = fields.get_mut(f)
        {
            state.visit.focus_ms += (t - since).clamp(0, MAX_FOCUS_SPAN_MS);
        }
    };

    for &i in events {
        let Some(event) = session.events.get(i) else {
            continue;
        };
        let t = event.timestamp_ms;
        last_t = last_t.max(t);
        match &event.kind {
            EventKind::Focus { target } => {
                close_focus(&mut focused, &mut fields, t);
                if let Some(f) =
                    target.and_then(|x| slot(x, t, &mut fields, &mut forms, &mut field_form))
                {
                    touch(&mut fields, f, t);
                    focused = Some((f, t));
                    used_at.push((t, f));
                    last_form_used = field_form.get(f).copied();
                }
            }
            EventKind::Blur { .. } => close_focus(&mut focused, &mut fields, t),
            EventKind::Click { kind, target, .. } if kind.counts_as_click() => {
                if let Some(f) =
                    target.and_then(|x| slot(x, t, &mut fields, &mut forms, &mut field_form))
                {
                    touch(&mut fields, f, t);
                    used_at.push((t, f));
                    last_form_used = field_form.get(f).copied();
                }
            }
            EventKind::Input {
                target,
                value_len,
                checked,
                ..
            } => {
                if let Some(f) =
                    target.and_then(|x| slot(x, t, &mut fields, &mut forms, &mut field_form))
                    && let Some(state) = fields.get_mut(f)
                {
                    state.visit.changed = true;
                    if checked.is_none() {
                        let len = *value_len;
                        let before = state.last_len.unwrap_or(0);
                        if len == 0 {
                            state.emptied |= before > 0;
                            state.replacing = false;
                        } else if state.emptied {
                            state.visit.refills += 1;
                            state.emptied = false;
                        } else if state.replacing {
                            // One character where several were, then more: replaced by
                            // select-and-type (deleting one by one goes on to 0 instead).
                            state.visit.refills += u32::from(len > 1);
                            state.replacing = false;
                        } else if before >= 2 && len == 1 {
                            state.replacing = true;
                        }
                        state.last_len = Some(len);
                    }
                    touch(&mut fields, f, t);
                    used_at.push((t, f));
                    last_form_used = field_form.get(f).copied();
                }
            }
            EventKind::FieldError { field } => {
                if let Some(f) =
                    field.and_then(|x| slot(x, t, &mut fields, &mut forms, &mut field_form))
                    && let Some(state) = fields.get_mut(f)
                {
                    state.visit.errors += 1;
                    state.visit.first_error_at_ms.get_or_insert(t);
                    error_changes.push((t, f, true));
                }
            }
            EventKind::FieldErrorCleared { field } => {
                if let Some(f) =
                    field.and_then(|x| slot(x, t, &mut fields, &mut forms, &mut field_form))
                {
                    error_changes.push((t, f, false));
                }
            }
            EventKind::FormSubmit { form, .. } => {
                let key = match desc(*form) {
                    Some(d) => form_key(d),
                    None => NO_FORM_LABEL.to_owned(),
                };
                let index = form_slot(&mut forms, &key);
                if let Some((_, state)) = forms.get_mut(index) {
                    state.attempts.push(t);
                }
            }
            EventKind::Custom { name, .. }
                if SUBMIT_EVENT_NAMES
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name)) =>
            {
                if let Some((_, state)) = last_form_used.and_then(|f| forms.get_mut(f)) {
                    state.submitted = true;
                    state.attempts.push(i64::MIN);
                }
            }
            _ => {}
        }
    }
    close_focus(&mut focused, &mut fields, left_at_ms.max(last_t));

    let mut out = Vec::with_capacity(forms.len());
    for (index, (key, mut state)) in forms.into_iter().enumerate() {
        // An attempt succeeded when, once the page reacted (SUBMIT_SETTLE_MS), no field of the
        // form showed an error, none appeared later, and the form's fields were not used again.
        let mine = |f: &usize| field_form.get(*f) == Some(&index);
        let succeeded = state.attempts.iter().any(|&a| {
            if a == i64::MIN {
                return false;
            }
            let mut showing = vec![false; fields.len()];
            for (t, f, on) in &error_changes {
                if *t <= a.saturating_add(SUBMIT_SETTLE_MS)
                    && let Some(s) = showing.get_mut(*f)
                {
                    *s = *on;
                }
            }
            let blocked = showing.iter().enumerate().any(|(f, on)| *on && mine(&f));
            let later_error = error_changes
                .iter()
                .any(|(t, f, on)| *on && *t >= a && mine(f));
            let used_again = used_at.iter().any(|(t, f)| *t > a && mine(f));
            !blocked && !later_error && !used_again
        });
        state.submitted |= succeeded;
        let visits: Vec<FieldVisit> = fields
            .iter()
            .zip(&field_form)
            .filter(|(_, f)| **f == index)
            .map(|(s, _)| s.visit.clone())
            .collect();
        out.push(FormVisit {
            page: page.to_owned(),
            form: key,
            form_fields: state.form_fields,
            fields: visits,
            submit_attempts: u32::try_from(state.attempts.len()).unwrap_or(u32::MAX),
            submitted: state.submitted,
            entered_at_ms,
        });
    }
    out
}

fn touch(fields: &mut [FieldState], f: usize, t: i64) {
    if let Some(state) = fields.get_mut(f) {
        state.visit.interacted = true;
        state.visit.first_at_ms = state.visit.first_at_ms.min(t);
        state.visit.last_at_ms = state.visit.last_at_ms.max(t);
    }
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/// A session at a field, and when (where its replay opens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldMoment {
    /// The session id.
    pub session_id: String,
    /// Epoch ms.
    pub at_ms: i64,
}

/// One field's row of a form table.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FieldRow {
    /// The field's identity (see [`FieldVisit::key`]); for the folded row, a description.
    pub key: String,
    /// Tag and type.
    pub kind: String,
    /// Place in the form (document order from the reader), when known.
    pub position: Option<u32>,
    /// Sessions that started the form and got at least this far (they used this field or a
    /// later one).
    pub reached: u64,
    /// Sessions that focused, clicked or changed it.
    pub interacted: u64,
    /// Sessions that changed its value.
    pub changed: u64,
    /// Median time focused per session that focused it, ms.
    pub time_median_ms: Option<i64>,
    /// 90th percentile of the same, ms.
    pub time_p90_ms: Option<i64>,
    /// Refills over all sessions.
    pub refills: u64,
    /// Sessions with at least one refill.
    pub refill_sessions: u64,
    /// Error indicators that appeared, over all sessions.
    pub errors: u64,
    /// Sessions that saw at least one.
    pub error_sessions: u64,
    /// Sessions that started the form, did not submit it, and used this field last.
    pub abandoned_here: u64,
    /// Some sessions that used it, at their first use.
    pub interacted_examples: Vec<FieldMoment>,
    /// Some sessions that saw an error on it.
    pub error_examples: Vec<FieldMoment>,
    /// Some sessions that left the form here.
    pub abandoned_examples: Vec<FieldMoment>,
    /// For the folded row: how many fields it holds (0 for a real field).
    pub folded: usize,
}

/// The counts of one segment (a device class or a channel) for one form.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FormSegment {
    /// `device` or `source`.
    pub dimension: String,
    /// The device class or channel.
    pub label: String,
    /// Sessions that viewed the form's page.
    pub viewed: u64,
    /// Sessions that used a field.
    pub started: u64,
    /// Sessions that submitted.
    pub submitted: u64,
    /// Per field, in the form table's order: reached, interacted, error sessions, abandoned here.
    pub fields: Vec<SegmentField>,
}

/// A field's counts within a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SegmentField {
    /// As [`FieldRow::reached`].
    pub reached: u64,
    /// As [`FieldRow::interacted`].
    pub interacted: u64,
    /// As [`FieldRow::error_sessions`].
    pub error_sessions: u64,
    /// As [`FieldRow::abandoned_here`].
    pub abandoned_here: u64,
}

/// One form's table.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FormTable {
    /// The page label.
    pub page: String,
    /// The form's identity on the page.
    pub form: String,
    /// The name the user gave it ([`FormName`]), if any.
    pub name: Option<String>,
    /// The forms merged into this one under its name, this one first (empty when it has no
    /// name).
    pub members: Vec<FormRef>,
    /// The most fields the reader counted in the form (0 when unknown).
    pub form_fields: u32,
    /// Sessions that viewed the page.
    pub viewed: u64,
    /// Sessions that used at least one field.
    pub started: u64,
    /// Sessions that submitted (see docs/FORMS.md).
    pub submitted: u64,
    /// Sessions that tried to submit at least once.
    pub attempted: u64,
    /// Submit attempts over all sessions.
    pub attempts: u64,
    /// Sessions that started and did not submit.
    pub abandoned: u64,
    /// Fields in form order (at most [`MAX_FIELDS`] plus one folded row).
    pub fields: Vec<FieldRow>,
    /// Fields folded into the last row (0: none).
    pub folded_fields: usize,
    /// Per device class, then per channel.
    pub segments: Vec<FormSegment>,
    /// Some sessions that submitted, at the form's page view.
    pub submitted_examples: Vec<FieldMoment>,
}

impl FormTable {
    /// Submitted over started (0 to 1); 0 when none started.
    #[must_use]
    pub fn submit_rate(&self) -> f64 {
        if self.started == 0 {
            0.0
        } else {
            self.submitted as f64 / self.started as f64
        }
    }
}

/// The form tables of a set of sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FormsReport {
    /// Sessions looked at.
    pub sessions: u64,
    /// Forms, most started first (at most [`MAX_FORMS`]).
    pub forms: Vec<FormTable>,
    /// Forms left out beyond [`MAX_FORMS`].
    pub folded_forms: usize,
}

/// A form: its page label and its identity on the page.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FormRef {
    /// The page label ([`FormVisit::page`]).
    pub page: String,
    /// The form ([`FormVisit::form`]).
    pub form: String,
}

impl std::fmt::Display for FormRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.form, self.page)
    }
}

/// A name the user gave a form. Forms given the same name are merged: their sessions, fields
/// and counts form one table, listed under the first of them (by page, then form).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FormName {
    /// The form's page label ([`FormVisit::page`]).
    pub page: String,
    /// The form's identity on the page ([`FormVisit::form`]).
    pub form: String,
    /// The name shown for it.
    pub name: String,
}

/// Longest form name, characters.
pub const MAX_FORM_NAME_CHARS: usize = 80;

/// Checks a name for a form: not empty once trimmed, at most [`MAX_FORM_NAME_CHARS`], no
/// control characters. Returns the trimmed name.
///
/// # Errors
/// A message saying what is wrong with it.
pub fn valid_form_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a form name cannot be empty".to_owned());
    }
    if name.chars().count() > MAX_FORM_NAME_CHARS {
        return Err(format!(
            "a form name has at most {MAX_FORM_NAME_CHARS} characters ({} given)",
            name.chars().count()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("a form name cannot contain control characters".to_owned());
    }
    Ok(name)
}

/// The form tables of `sessions` with `names` applied: each named form carries its name, and
/// forms sharing a name are merged into the first of them (by page, then form): a session's
/// uses of them become one use, and a session that viewed any of their pages viewed it.
#[must_use]
pub fn forms_named(sessions: &[SessionForms], names: &[FormName]) -> FormsReport {
    if names.is_empty() {
        return aggregate(sessions, &HashMap::new());
    }
    // Members of each name, sorted; the first is where the others go.
    let mut groups: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for n in names {
        groups
            .entry(n.name.as_str())
            .or_default()
            .push((n.page.as_str(), n.form.as_str()));
    }
    let mut target: HashMap<(&str, &str), (&str, &str)> = HashMap::new();
    let mut named: HashMap<(&str, &str), Named<'_>> = HashMap::new();
    for (name, members) in &mut groups {
        members.sort_unstable();
        members.dedup();
        let first = members[0];
        for &m in members.iter() {
            target.insert(m, first);
        }
        named.insert(
            first,
            Named {
                name,
                members: members.clone(),
            },
        );
    }
    let renamed: Vec<SessionForms> = sessions
        .iter()
        .map(|s| {
            let mut out = SessionForms {
                session_id: s.session_id.clone(),
                device: s.device,
                channel: s.channel,
                pages: s.pages.clone(),
                forms: Vec::with_capacity(s.forms.len()),
            };
            for visit in &s.forms {
                let mut visit = visit.clone();
                if let Some(&(page, form)) = target.get(&(visit.page.as_str(), visit.form.as_str()))
                {
                    page.clone_into(&mut visit.page);
                    form.clone_into(&mut visit.form);
                }
                match out
                    .forms
                    .iter_mut()
                    .find(|m| m.page == visit.page && m.form == visit.form)
                {
                    Some(m) => merge_visit(m, visit),
                    None => out.forms.push(visit),
                }
            }
            out
        })
        .collect();
    aggregate(&renamed, &named)
}

/// One session's use of one form, with its segment.
struct Use<'a> {
    session: &'a SessionForms,
    visit: &'a FormVisit,
}

/// A named form (the first of the forms given that name) and every form merged into it.
struct Named<'a> {
    name: &'a str,
    /// (page, form) of each member, this one first.
    members: Vec<(&'a str, &'a str)>,
}

/// Aggregates the facts of `sessions` into form tables.
#[must_use]
pub fn forms(sessions: &[SessionForms]) -> FormsReport {
    aggregate(sessions, &HashMap::new())
}

/// [`forms`], with the forms in `named` carrying their name and counting as viewed by the
/// sessions that viewed any of their members' pages.
fn aggregate(sessions: &[SessionForms], named: &HashMap<(&str, &str), Named<'_>>) -> FormsReport {
    let mut groups: BTreeMap<(&str, &str), Vec<Use<'_>>> = BTreeMap::new();
    for s in sessions {
        for v in &s.forms {
            groups
                .entry((v.page.as_str(), v.form.as_str()))
                .or_default()
                .push(Use {
                    session: s,
                    visit: v,
                });
        }
    }
    let mut tables: Vec<FormTable> = groups
        .into_iter()
        .map(|((page, form), uses)| {
            let named = named.get(&(page, form));
            let mut viewer_pages: Vec<&str> = named.map_or_else(
                || vec![page],
                |n| n.members.iter().map(|&(p, _)| p).collect(),
            );
            viewer_pages.sort_unstable();
            viewer_pages.dedup();
            let mut t = table(page, form, &uses, &viewer_pages, sessions);
            if let Some(n) = named {
                t.name = Some(n.name.to_owned());
                t.members = n
                    .members
                    .iter()
                    .map(|&(page, form)| FormRef {
                        page: page.to_owned(),
                        form: form.to_owned(),
                    })
                    .collect();
            }
            t
        })
        .collect();
    tables.sort_by(|a, b| {
        b.started
            .cmp(&a.started)
            .then_with(|| a.page.cmp(&b.page))
            .then_with(|| a.form.cmp(&b.form))
    });
    let folded_forms = tables.len().saturating_sub(MAX_FORMS);
    tables.truncate(MAX_FORMS);
    FormsReport {
        sessions: sessions.len() as u64,
        forms: tables,
        folded_forms,
    }
}

/// The order of a form's fields: by reader position, then by the median order in which
/// sessions first met them.
fn field_order(uses: &[Use<'_>]) -> Vec<(String, String, Option<u32>)> {
    let mut seen: BTreeMap<&str, (String, Option<u32>, Vec<usize>)> = BTreeMap::new();
    for u in uses {
        let mut met: Vec<&FieldVisit> = u.visit.fields.iter().collect();
        met.sort_by_key(|f| f.first_at_ms);
        for (rank, f) in met.into_iter().enumerate() {
            let entry = seen
                .entry(f.key.as_str())
                .or_insert_with(|| (f.kind.clone(), f.position, Vec::new()));
            entry.1 = match (entry.1, f.position) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            entry.2.push(rank);
        }
    }
    let mut order: Vec<(String, String, Option<u32>, usize)> = seen
        .into_iter()
        .map(|(key, (kind, position, mut ranks))| {
            ranks.sort_unstable();
            let median = ranks.get(ranks.len() / 2).copied().unwrap_or(0);
            (key.to_owned(), kind, position, median)
        })
        .collect();
    order.sort_by(|a, b| {
        let pa = a.2.map_or(u64::MAX, u64::from);
        let pb = b.2.map_or(u64::MAX, u64::from);
        pa.cmp(&pb).then(a.3.cmp(&b.3)).then_with(|| a.0.cmp(&b.0))
    });
    order
        .into_iter()
        .map(|(k, kind, p, _)| (k, kind, p))
        .collect()
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}

fn push_example(list: &mut Vec<FieldMoment>, session_id: &str, at_ms: i64) {
    if list.len() < MAX_EXAMPLES {
        list.push(FieldMoment {
            session_id: session_id.to_owned(),
            at_ms,
        });
    }
}

fn table(
    page: &str,
    form: &str,
    uses: &[Use<'_>],
    viewer_pages: &[&str],
    sessions: &[SessionForms],
) -> FormTable {
    let viewed_page = |s: &SessionForms| s.pages.iter().any(|p| viewer_pages.contains(&p.as_str()));
    let viewed = sessions.iter().filter(|s| viewed_page(s)).count() as u64;
    let order = field_order(uses);
    // Row of each field key: the first MAX_FIELDS fields have their own, the rest share one.
    let folded_fields = order.len().saturating_sub(MAX_FIELDS);
    let rows_len = order.len().min(MAX_FIELDS) + usize::from(folded_fields > 0);
    let row_of: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, (k, _, _))| (k.as_str(), i.min(MAX_FIELDS)))
        .collect();
    let mut rows: Vec<FieldRow> = order
        .iter()
        .take(MAX_FIELDS)
        .map(|(key, kind, position)| FieldRow {
            key: key.clone(),
            kind: kind.clone(),
            position: *position,
            ..FieldRow::default()
        })
        .collect();
    if folded_fields > 0 {
        rows.push(FieldRow {
            key: format!("{folded_fields} more fields (folded)"),
            kind: String::new(),
            folded: folded_fields,
            ..FieldRow::default()
        });
    }
    let mut times: Vec<Vec<i64>> = vec![Vec::new(); rows_len];
    let mut t = FormTable {
        page: page.to_owned(),
        form: form.to_owned(),
        viewed,
        ..FormTable::default()
    };
    // Segments: device classes and channels present among the page's viewers.
    let mut segments: Vec<FormSegment> = Vec::new();
    let segment_keys = |s: &SessionForms| {
        [
            ("device", s.device.as_str().to_owned()),
            ("source", s.channel.as_str().to_owned()),
        ]
    };
    for s in sessions.iter().filter(|s| viewed_page(s)) {
        for (dimension, label) in segment_keys(s) {
            let i = match segments
                .iter()
                .position(|g| g.dimension == dimension && g.label == label)
            {
                Some(i) => i,
                None => {
                    segments.push(FormSegment {
                        dimension: dimension.to_owned(),
                        label,
                        fields: vec![SegmentField::default(); rows_len],
                        ..FormSegment::default()
                    });
                    segments.len() - 1
                }
            };
            if let Some(g) = segments.get_mut(i) {
                g.viewed += 1;
            }
        }
    }
    for u in uses {
        let v = u.visit;
        let sid = u.session.session_id.as_str();
        t.form_fields = t.form_fields.max(v.form_fields);
        t.attempts += u64::from(v.submit_attempts);
        t.attempted += u64::from(v.submit_attempts > 0);
        if v.submitted {
            t.submitted += 1;
            push_example(&mut t.submitted_examples, sid, v.entered_at_ms);
        }
        let started = v.started();
        let abandoned_row = v
            .abandoned_at()
            .and_then(|f| row_of.get(f.key.as_str()).copied());
        let furthest = v
            .fields
            .iter()
            .filter(|f| f.interacted)
            .filter_map(|f| row_of.get(f.key.as_str()).copied())
            .max();
        if started {
            t.started += 1;
            if !v.submitted {
                t.abandoned += 1;
            }
        }
        let mut seg_ids: Vec<usize> = Vec::with_capacity(2);
        for (dimension, label) in segment_keys(u.session) {
            if let Some(i) = segments
                .iter()
                .position(|g| g.dimension == dimension && g.label == label)
            {
                seg_ids.push(i);
                if let Some(g) = segments.get_mut(i) {
                    g.started += u64::from(started);
                    g.submitted += u64::from(v.submitted);
                }
            }
        }
        // Per row: this session's contribution (a folded row merges several fields).
        let mut interacted = vec![false; rows_len];
        let mut changed = vec![false; rows_len];
        let mut errors = vec![0u64; rows_len];
        let mut refills = vec![0u64; rows_len];
        let mut focus = vec![0i64; rows_len];
        let mut first = vec![i64::MAX; rows_len];
        let mut first_error = vec![i64::MAX; rows_len];
        for f in &v.fields {
            let Some(&r) = row_of.get(f.key.as_str()) else {
                continue;
            };
            if let Some(x) = interacted.get_mut(r) {
                *x |= f.interacted;
            }
            if let Some(x) = changed.get_mut(r) {
                *x |= f.changed;
            }
            if let Some(x) = errors.get_mut(r) {
                *x += u64::from(f.errors);
            }
            if let Some(x) = refills.get_mut(r) {
                *x += u64::from(f.refills);
            }
            if let Some(x) = focus.get_mut(r) {
                *x += f.focus_ms;
            }
            if f.interacted
                && let Some(x) = first.get_mut(r)
            {
                *x = (*x).min(f.first_at_ms);
            }
            if let Some(at) = f.first_error_at_ms
                && let Some(x) = first_error.get_mut(r)
            {
                *x = (*x).min(at);
            }
        }
        for (r, row) in rows.iter_mut().enumerate() {
            let reached = started && furthest.is_some_and(|m| m >= r);
            let used = interacted.get(r).copied().unwrap_or(false);
            let errs = errors.get(r).copied().unwrap_or(0);
            let abandoned = abandoned_row == Some(r);
            row.reached += u64::from(reached);
            row.interacted += u64::from(used);
            row.changed += u64::from(changed.get(r).copied().unwrap_or(false));
            let refill = refills.get(r).copied().unwrap_or(0);
            row.refills += refill;
            row.refill_sessions += u64::from(refill > 0);
            row.errors += errs;
            row.error_sessions += u64::from(errs > 0);
            row.abandoned_here += u64::from(abandoned);
            let focus_ms = focus.get(r).copied().unwrap_or(0);
            if focus_ms > 0
                && let Some(list) = times.get_mut(r)
            {
                list.push(focus_ms);
            }
            if used {
                push_example(
                    &mut row.interacted_examples,
                    sid,
                    first.get(r).copied().unwrap_or(v.entered_at_ms),
                );
            }
            if errs > 0 {
                push_example(
                    &mut row.error_examples,
                    sid,
                    first_error.get(r).copied().unwrap_or(v.entered_at_ms),
                );
            }
            if abandoned && let Some(f) = v.abandoned_at() {
                push_example(&mut row.abandoned_examples, sid, f.last_at_ms);
            }
            for &g in &seg_ids {
                if let Some(cell) = segments.get_mut(g).and_then(|g| g.fields.get_mut(r)) {
                    cell.reached += u64::from(reached);
                    cell.interacted += u64::from(used);
                    cell.error_sessions += u64::from(errs > 0);
                    cell.abandoned_here += u64::from(abandoned);
                }
            }
        }
    }
    for (row, mut list) in rows.iter_mut().zip(times) {
        list.sort_unstable();
        row.time_median_ms = quantile(&list, 0.5);
        row.time_p90_ms = quantile(&list, 0.9);
    }
    segments.sort_by(|a, b| {
        a.dimension
            .cmp(&b.dimension)
            .then(b.viewed.cmp(&a.viewed))
            .then_with(|| a.label.cmp(&b.label))
    });
    t.fields = rows;
    t.folded_fields = folded_fields;
    t.segments = segments;
    t
}

#[cfg(test)]
mod tests;
