//! Form facts read from the DOM mirror: which `<form>` a field belongs to (and its place among
//! the form's fields), whether a click hit a submit control, and which fields began to show an
//! error indicator with a mutation. Used by the rrweb converter (`rrweb::forms`); the rules are
//! described in docs/FORMS.md.

use std::collections::HashSet;

use super::super::raw::{Add, AttrChange, Remove, TextChange};
use super::{Kind, MNode, Mirror, MirrorIssues};

/// Most levels walked up from a changed node to find the fields it may sit beside.
const NEAR_LEVELS: usize = 4;
/// Most levels a field's wrapper may reach above it.
const WRAPPER_LEVELS: usize = 3;
/// Most nodes visited in one subtree walk looking for fields or messages.
const MAX_ZONE_NODES: usize = 600;
/// Most nodes visited when numbering the fields of one form.
const MAX_FORM_NODES: usize = 50_000;
/// Most changed nodes of one mutation looked at.
const MAX_TOUCHED: usize = 2_000;
/// Most fields whose error state one mutation checks.
const MAX_CANDIDATES: usize = 400;

/// Where a field sits: its form and its place among the form's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPlace {
    /// The `<form>` element's node id.
    pub form: i64,
    /// The field's place among the form's fields in document order, from 0.
    pub position: u32,
    /// How many fields the form has.
    pub form_fields: u32,
}

/// The fields whose error indicators appeared or went away with one mutation (node ids).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorChanges {
    /// Fields that began to show an error.
    pub appeared: Vec<i64>,
    /// Fields that stopped showing one.
    pub cleared: Vec<i64>,
}

/// A click on a submit control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmitClick {
    /// The control (`button` or `input`) node id.
    pub control: i64,
    /// The `<form>` around it, if any.
    pub form: Option<i64>,
}

impl MNode {
    /// True for a form field: `input` (not hidden, submit, button, image or reset), `select`,
    /// `textarea`.
    fn is_field(&self) -> bool {
        if self.kind != Kind::Element {
            return false;
        }
        match self.tag.as_str() {
            "select" | "textarea" => true,
            "input" => !matches!(
                self.attr("type")
                    .unwrap_or("text")
                    .trim()
                    .to_ascii_lowercase()
                    .as_str(),
                "hidden" | "submit" | "button" | "image" | "reset"
            ),
            _ => false,
        }
    }

    /// True when a class token contains `error` or `invalid` (any case).
    fn has_error_class(&self) -> bool {
        self.attr("class").is_some_and(|c| {
            c.split_ascii_whitespace().any(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("error") || t.contains("invalid")
            })
        })
    }

    /// True when `aria-invalid` is set to anything but `false`.
    fn aria_invalid(&self) -> bool {
        self.attr("aria-invalid").is_some_and(|v| {
            let v = v.trim();
            !v.is_empty() && !v.eq_ignore_ascii_case("false")
        })
    }

    /// True when the element itself is hidden: the `hidden` attribute, an inline
    /// `display: none` / `visibility: hidden`, or a hiding class.
    fn hides_itself(&self) -> bool {
        if self.kind != Kind::Element {
            return false;
        }
        if self.attr("hidden").is_some() {
            return true;
        }
        let style_hides = self.attr("style").is_some_and(|s| {
            let compact: String = s
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            compact.contains("display:none") || compact.contains("visibility:hidden")
        });
        style_hides
            || self.attr("class").is_some_and(|c| {
                c.split_ascii_whitespace().any(|t| {
                    matches!(
                        t.to_ascii_lowercase().as_str(),
                        "hidden" | "d-none" | "is-hidden" | "sr-only" | "visually-hidden"
                    )
                })
            })
    }

    /// True for a message element: role `alert` or an error class.
    fn is_message(&self) -> bool {
        self.kind == Kind::Element
            && !self.is_field()
            && (self
                .attr("role")
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("alert"))
                || self.has_error_class())
    }
}

impl Mirror {
    /// True when `id` is a form field.
    pub fn is_form_field(&self, id: i64) -> bool {
        self.nodes.get(&id).is_some_and(MNode::is_field)
    }

    /// The form around field `id` and the field's place in it; `None` for a node that is not a
    /// field or sits outside any `<form>`.
    pub fn field_place(&self, id: i64) -> Option<FieldPlace> {
        if !self.is_form_field(id) {
            return None;
        }
        let (form, _) = self
            .ancestors(id)
            .skip(1)
            .find(|(_, n)| n.kind == Kind::Element && n.tag == "form")?;
        let mut position = None;
        let mut count = 0u32;
        let mut stack = vec![form];
        let mut visited = 0usize;
        while let Some(next) = stack.pop() {
            visited += 1;
            if visited > MAX_FORM_NODES {
                break;
            }
            let Some(node) = self.nodes.get(&next) else {
                continue;
            };
            if node.is_field() {
                if next == id {
                    position = Some(count);
                }
                count = count.saturating_add(1);
            }
            stack.extend(node.children.iter().rev());
        }
        Some(FieldPlace {
            form,
            position: position.unwrap_or(count),
            form_fields: count.max(position.map_or(0, |p| p.saturating_add(1))),
        })
    }

    /// When a click on `id` hits a submit control (a `button` without a type or of type
    /// submit inside a form, a `button[type=submit]` anywhere, `input[type=submit|image]`),
    /// the control and its form.
    pub fn submit_click(&self, id: i64) -> Option<SubmitClick> {
        let (control, node) = self.ancestors(id).take(NEAR_LEVELS).find(|(_, n)| {
            n.kind == Kind::Element && matches!(n.tag.as_str(), "button" | "input")
        })?;
        let ty = node
            .attr("type")
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty());
        let form = self
            .ancestors(control)
            .skip(1)
            .find(|(_, n)| n.kind == Kind::Element && n.tag == "form")
            .map(|(f, _)| f);
        let submits = match (node.tag.as_str(), ty.as_deref()) {
            ("button", None) => form.is_some(),
            ("button", Some("submit")) | ("input", Some("submit" | "image")) => true,
            _ => false,
        };
        submits.then_some(SubmitClick { control, form })
    }

    /// Applies a mutation like [`Mirror::apply_mutation`] and returns the fields that began to
    /// show an error indicator with it (see [`Mirror::shows_error`]) and those that stopped, in
    /// order of discovery. Fields the mutation created or removed are not reported (a form
    /// rendered with an error already showing is not an error appearing).
    pub fn apply_mutation_noting_errors(
        &mut self,
        removes: &[Remove],
        adds: &[Add<'_>],
        texts: &[TextChange<'_>],
        attributes: &[AttrChange<'_>],
        issues: &mut MirrorIssues,
    ) -> ErrorChanges {
        let touched: Vec<i64> = attributes
            .iter()
            .filter_map(|a| a.id.as_id())
            .chain(texts.iter().filter_map(|t| t.id.as_id()))
            .chain(adds.iter().filter_map(|a| a.parent_id.as_id()))
            .take(MAX_TOUCHED)
            .collect();
        let candidates = self.fields_near(&touched);
        let before: Vec<bool> = candidates.iter().map(|f| self.shows_error(*f)).collect();
        self.apply_mutation(removes, adds, texts, attributes, issues);
        let mut changes = ErrorChanges::default();
        for (field, was) in candidates.into_iter().zip(before) {
            if !self.nodes.contains_key(&field) {
                continue;
            }
            match (was, self.shows_error(field)) {
                (false, true) => changes.appeared.push(field),
                (true, false) => changes.cleared.push(field),
                _ => {}
            }
        }
        changes
    }

    /// The fields within [`NEAR_LEVELS`] levels of the `touched` nodes (in the subtrees of
    /// their nearest ancestors), at most [`MAX_CANDIDATES`].
    fn fields_near(&self, touched: &[i64]) -> Vec<i64> {
        let mut seen_roots: HashSet<i64> = HashSet::new();
        let mut seen_fields: HashSet<i64> = HashSet::new();
        let mut out = Vec::new();
        for &id in touched {
            for (root, node) in self.ancestors(id).take(NEAR_LEVELS) {
                if node.kind != Kind::Element || matches!(node.tag.as_str(), "body" | "html") {
                    break;
                }
                if !seen_roots.insert(root) {
                    // Its subtree (and so every higher one's share below it) was collected.
                    continue;
                }
                for field in self.fields_in(root, MAX_ZONE_NODES) {
                    if seen_fields.insert(field) {
                        out.push(field);
                        if out.len() >= MAX_CANDIDATES {
                            return out;
                        }
                    }
                }
            }
        }
        out
    }

    /// The fields in the subtree of `root` (the root included), in document order, visiting at
    /// most `budget` nodes.
    fn fields_in(&self, root: i64, budget: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        let mut visited = 0usize;
        while let Some(id) = stack.pop() {
            visited += 1;
            if visited > budget {
                break;
            }
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            if node.is_field() {
                out.push(id);
            }
            stack.extend(node.children.iter().rev());
        }
        out
    }

    /// True when the subtree of `root` holds a field other than `except` (or is too large to
    /// tell, which counts as holding one).
    fn holds_other_field(&self, root: i64, except: i64) -> bool {
        let mut stack = vec![root];
        let mut visited = 0usize;
        while let Some(id) = stack.pop() {
            visited += 1;
            if visited > MAX_ZONE_NODES {
                return true;
            }
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            if id != except && node.is_field() {
                return true;
            }
            stack.extend(node.children.iter());
        }
        false
    }

    /// True when field `field` shows an error indicator now:
    /// - `aria-invalid` set (anything but `false`) on the field;
    /// - an error/invalid class on the field or on its wrapper (the ancestors, up to
    ///   [`WRAPPER_LEVELS`] levels and never a `form`, `fieldset` or `body`, that hold no other
    ///   field);
    /// - a visible message (role `alert` or an error class, with text, not hidden) inside the
    ///   wrapper or, for a field without a wrapper, among the siblings right after it up to the
    ///   next sibling holding a field.
    pub fn shows_error(&self, field: i64) -> bool {
        let Some(node) = self.nodes.get(&field) else {
            return false;
        };
        if node.aria_invalid() || node.has_error_class() {
            return true;
        }
        let mut wrapper = field;
        for _ in 0..WRAPPER_LEVELS {
            let Some(parent) = self.nodes.get(&wrapper).and_then(|n| n.parent) else {
                break;
            };
            let Some(p) = self.nodes.get(&parent) else {
                break;
            };
            if p.kind != Kind::Element
                || matches!(p.tag.as_str(), "form" | "fieldset" | "body" | "html")
                || self.holds_other_field(parent, field)
            {
                break;
            }
            if p.has_error_class() {
                return true;
            }
            wrapper = parent;
        }
        if wrapper != field {
            return self.visible_message_in(wrapper, field);
        }
        let Some(parent) = node.parent.and_then(|p| self.nodes.get(&p)) else {
            return false;
        };
        let after = parent
            .children
            .iter()
            .skip_while(|c| **c != field)
            .skip(1)
            .take_while(|c| !self.holds_other_field(**c, field));
        for sibling in after {
            if self.visible_message_in(*sibling, field) {
                return true;
            }
        }
        false
    }

    /// True when the subtree of `root` holds a visible message element with text (not inside
    /// `field`).
    fn visible_message_in(&self, root: i64, field: i64) -> bool {
        let mut stack = vec![root];
        let mut visited = 0usize;
        while let Some(id) = stack.pop() {
            visited += 1;
            if visited > MAX_ZONE_NODES {
                return false;
            }
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            if id == field || node.hides_itself() {
                continue;
            }
            if node.is_message() && self.visible_text(id).is_some() {
                return true;
            }
            stack.extend(node.children.iter());
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(json: &str) -> Mirror {
        Mirror::from_snapshot_json(json)
    }

    fn el(id: i64, tag: &str, attrs: &str, children: &str) -> String {
        format!(
            r#"{{"type":2,"id":{id},"tagName":"{tag}","attributes":{{{attrs}}},"childNodes":[{children}]}}"#
        )
    }

    fn text(id: i64, s: &str) -> String {
        format!(r#"{{"type":3,"id":{id},"textContent":"{s}"}}"#)
    }

    /// A form: email in a `.field` wrapper, postcode in a wrapper with a hidden message, a bare
    /// city input followed by a span, and a submit button with a span inside.
    fn page() -> Mirror {
        let form = el(
            10,
            "form",
            r#""id":"f""#,
            &[
                el(
                    11,
                    "div",
                    r#""class":"field""#,
                    &el(12, "input", r#""id":"email","type":"email""#, ""),
                ),
                el(
                    13,
                    "div",
                    r#""class":"field""#,
                    &[
                        el(14, "input", r#""id":"postcode""#, ""),
                        el(
                            15,
                            "p",
                            r#""class":"field-error","hidden":"""#,
                            &text(16, "Enter a 5-digit postcode"),
                        ),
                    ]
                    .join(","),
                ),
                el(17, "input", r#""id":"city""#, ""),
                el(18, "span", r#""class":"hint""#, ""),
                el(19, "input", r#""type":"hidden","name":"token""#, ""),
                el(
                    20,
                    "button",
                    r#""id":"go""#,
                    &el(21, "span", "", &text(22, "Place order")),
                ),
            ]
            .join(","),
        );
        let outside = el(30, "button", r#""type":"button""#, "");
        let body = el(2, "body", "", &[form, outside].join(","));
        mirror(&format!(r#"{{"type":0,"id":1,"childNodes":[{body}]}}"#))
    }

    fn attr_change(id: i64, attrs: &str) -> AttrChange<'static> {
        let json: &'static str =
            Box::leak(format!(r#"{{"id":{id},"attributes":{{{attrs}}}}}"#).into_boxed_str());
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fields_know_their_form_and_place() {
        let m = page();
        assert_eq!(
            m.field_place(14),
            Some(FieldPlace {
                form: 10,
                position: 1,
                form_fields: 3
            })
        );
        assert_eq!(m.field_place(19), None, "hidden inputs are not fields");
        assert_eq!(m.field_place(15), None);
    }

    #[test]
    fn submit_controls_are_found_from_a_click_inside_them() {
        let m = page();
        assert_eq!(
            m.submit_click(22),
            Some(SubmitClick {
                control: 20,
                form: Some(10)
            })
        );
        assert_eq!(m.submit_click(30), None, "a type=button outside a form");
        assert_eq!(m.submit_click(12), None);
    }

    #[test]
    fn an_error_appears_by_aria_invalid_class_or_revealed_message() {
        let mut m = page();
        let mut issues = MirrorIssues::default();
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(12, r#""aria-invalid":"true""#)],
            &mut issues,
        );
        assert_eq!(shown.appeared, vec![12]);
        // Set again: no new appearance.
        let again = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(12, r#""aria-invalid":"true""#)],
            &mut issues,
        );
        assert_eq!(again, ErrorChanges::default());
        // The postcode's hidden message is revealed.
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(15, r#""hidden":null"#)],
            &mut issues,
        );
        assert_eq!(shown.appeared, vec![14]);
        // An error class on the city's (missing) wrapper does not exist; on the field itself it
        // counts.
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(17, r#""class":"is-invalid""#)],
            &mut issues,
        );
        assert_eq!(shown.appeared, vec![17]);
        // The email's wrapper gets `has-error`... already shown by aria-invalid: not reported.
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(11, r#""class":"field has-error""#)],
            &mut issues,
        );
        assert_eq!(shown, ErrorChanges::default());
        // aria-invalid goes back to false, but the wrapper's class still shows the error.
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(12, r#""aria-invalid":"false""#)],
            &mut issues,
        );
        assert_eq!(shown, ErrorChanges::default());
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(11, r#""class":"field""#)],
            &mut issues,
        );
        assert_eq!(shown.cleared, vec![12]);
    }

    #[test]
    fn a_message_with_text_next_to_a_bare_field_counts_and_an_empty_one_does_not() {
        let mut m = page();
        let mut issues = MirrorIssues::default();
        let shown = m.apply_mutation_noting_errors(
            &[],
            &[],
            &[],
            &[attr_change(18, r#""class":"hint error""#)],
            &mut issues,
        );
        assert_eq!(shown, ErrorChanges::default(), "no text yet");
        let add: Add<'static> = serde_json::from_str(
            r#"{"parentId":18,"nextId":null,"node":{"type":3,"id":40,"textContent":"Required"}}"#,
        )
        .unwrap();
        let shown = m.apply_mutation_noting_errors(&[], &[add], &[], &[], &mut issues);
        assert_eq!(shown.appeared, vec![17]);
    }
}
