//! Form facts in the rrweb converter: the model's `FormField`, `FieldError` and `FormSubmit`
//! events, from the DOM mirror's answers (`mirror::forms`). What is recorded and why is in
//! docs/FORMS.md; typed values are never looked at here.

use super::mirror::ErrorChanges;
use super::{Converter, SessionState, Tab};
use crate::format::FormatError;
use crate::model::EventKind;

impl Converter<'_> {
    /// Before a field's focus, blur or input: the first time field `node` is met on the current
    /// page view, records the form it belongs to (nothing for fields outside a `<form>`).
    pub(super) fn form_field(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        node: Option<i64>,
        target: Option<u32>,
        t: i64,
    ) -> Result<(), FormatError> {
        let (Some(node), Some(field)) = (node, target) else {
            return Ok(());
        };
        let page = self.page(tab, t);
        if !state.form_fields_seen.insert((tab.index, page, field)) {
            return Ok(());
        }
        let Some(place) = tab.mirror.field_place(node) else {
            return Ok(());
        };
        let Some(form) = tab.mirror.describe(place.form).map(|d| state.intern(d)) else {
            return Ok(());
        };
        self.push(
            tab,
            t,
            EventKind::FormField {
                field,
                form,
                position: place.position,
                form_fields: place.form_fields,
            },
        )
    }

    /// After a click on node `node`: a submit attempt when it hit a submit control.
    pub(super) fn form_submit(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        node: Option<i64>,
        t: i64,
    ) -> Result<(), FormatError> {
        let Some(click) = node.and_then(|id| tab.mirror.submit_click(id)) else {
            return Ok(());
        };
        let control = tab.mirror.describe(click.control).map(|d| state.intern(d));
        let form = click
            .form
            .and_then(|f| tab.mirror.describe(f))
            .map(|d| state.intern(d));
        self.push(tab, t, EventKind::FormSubmit { form, control })
    }

    /// After a mutation: error indicators appeared next to, or went away from, these fields.
    pub(super) fn field_errors(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        changes: &ErrorChanges,
        t: i64,
    ) -> Result<(), FormatError> {
        for (&node, appeared) in changes
            .appeared
            .iter()
            .map(|f| (f, true))
            .chain(changes.cleared.iter().map(|f| (f, false)))
        {
            let field = tab.mirror.describe(node).map(|d| state.intern(d));
            self.form_field(tab, state, Some(node), field, t)?;
            let kind = if appeared {
                EventKind::FieldError { field }
            } else {
                EventKind::FieldErrorCleared { field }
            };
            self.push(tab, t, kind)?;
        }
        Ok(())
    }
}
