//! A mirror of the recorded page's DOM (id → tag, kept attributes, parent, children, text),
//! built from the FullSnapshot and kept up to date by mutations, and the element descriptors
//! derived from it for click, input and scroll targets.

mod forms;
mod signature;

pub use self::forms::ErrorChanges;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::raw::{Add, AttrChange, AttrValue, Node, Remove, TextChange};
use crate::model::ElementDescriptor;

/// Longest visible text kept in a descriptor, in characters.
pub const MAX_TEXT_CHARS: usize = 80;
/// Most ancestors walked when building a selector or looking for a link.
const MAX_ANCESTORS: usize = 256;
/// Most nodes visited when collecting an element's text.
const MAX_TEXT_NODES: usize = 10_000;

/// What a mirrored node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Document,
    Element,
    Text,
    Other,
}

/// One mirrored node.
#[derive(Clone, Debug)]
struct MNode {
    kind: Kind,
    /// Lower-case tag name (elements).
    tag: String,
    /// Kept attributes (see `raw::KEPT_ATTRIBUTES`).
    attrs: Vec<(&'static str, String)>,
    parent: Option<i64>,
    children: Vec<i64>,
    /// Text of text nodes.
    text: String,
}

impl MNode {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    fn set_attr(&mut self, name: &'static str, value: &AttrValue<'_>) {
        match value {
            AttrValue::Text(text) => match self.attrs.iter_mut().find(|(k, _)| *k == name) {
                Some((_, v)) => text.as_ref().clone_into(v),
                None => self.attrs.push((name, text.as_ref().to_owned())),
            },
            AttrValue::Removed => self.attrs.retain(|(k, _)| *k != name),
            AttrValue::StyleDiff(diff) if name == "style" => {
                let mut style = self.attr("style").unwrap_or("").to_owned();
                for (property, value) in diff {
                    style = set_style_property(&style, property, value.as_deref());
                }
                self.set_attr("style", &AttrValue::Text(style.into()));
            }
            AttrValue::StyleDiff(_) | AttrValue::Ignored => {}
        }
    }
}

/// Sets (or with `None` removes) one property in an inline style string.
pub(super) fn set_style_property(style: &str, property: &str, value: Option<&str>) -> String {
    let mut out: Vec<String> = style
        .split(';')
        .filter(|decl| {
            let name = decl.split(':').next().unwrap_or("").trim();
            !name.is_empty() && !name.eq_ignore_ascii_case(property)
        })
        .map(|decl| decl.trim().to_owned())
        .collect();
    if let Some(value) = value {
        out.push(format!("{property}: {value}"));
    }
    out.join("; ")
}

/// Problems met while updating the mirror, for the caller's warnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MirrorIssues {
    /// Mutations naming nodes the mirror does not know.
    pub unknown_nodes: u64,
    /// Nodes without a usable id.
    pub bad_ids: u64,
}

/// A fast hasher for node ids (small integers chosen by the recorder, so no HashDoS concern
/// beyond slower lookups): one multiply per id, as in rustc's FxHasher.
#[derive(Clone, Copy, Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i.cast_unsigned());
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// The DOM of one page view.
#[derive(Clone, Debug, Default)]
pub struct Mirror {
    nodes: HashMap<i64, MNode, BuildHasherDefault<IdHasher>>,
    /// The Document node's id, once a FullSnapshot was seen.
    document: Option<i64>,
}

impl Mirror {
    /// A mirror loaded from a FullSnapshot node tree written as JSON (tests of the mirror's
    /// parts).
    #[cfg(test)]
    pub(crate) fn from_snapshot_json(json: &str) -> Self {
        let node: Node<'_> = serde_json::from_str(json).expect("a node tree");
        let mut m = Self::default();
        m.load_snapshot(&node, &mut MirrorIssues::default());
        m
    }

    /// True when the mirror has a node with this id.
    pub fn contains(&self, id: i64) -> bool {
        self.nodes.contains_key(&id)
    }

    /// True once a FullSnapshot has been loaded.
    pub fn has_snapshot(&self) -> bool {
        self.document.is_some() || !self.nodes.is_empty()
    }

    /// Replaces the mirror with the tree of a FullSnapshot.
    pub fn load_snapshot(&mut self, root: &Node<'_>, issues: &mut MirrorIssues) {
        self.nodes.clear();
        self.document = None;
        if let Some(id) = self.insert_subtree(root, None, issues)
            && self
                .nodes
                .get(&id)
                .is_some_and(|n| n.kind == Kind::Document)
        {
            self.document = Some(id);
        }
    }

    /// Inserts `root` and its subtree (iteratively), returning the root's id. Nodes whose id
    /// already exists replace the old node (its old subtree is dropped).
    fn insert_subtree(
        &mut self,
        root: &Node<'_>,
        parent: Option<i64>,
        issues: &mut MirrorIssues,
    ) -> Option<i64> {
        let mut root_id = None;
        let mut stack: Vec<(&Node<'_>, Option<i64>)> = vec![(root, parent)];
        while let Some((node, parent)) = stack.pop() {
            let Some(id) = node.id.as_id() else {
                issues.bad_ids += 1;
                continue;
            };
            if root_id.is_none() {
                root_id = Some(id);
            }
            if self.nodes.contains_key(&id) {
                self.remove_subtree(id);
            }
            let kind = match node.kind.as_id() {
                Some(0) => Kind::Document,
                Some(2) => Kind::Element,
                Some(3) => Kind::Text,
                _ => Kind::Other,
            };
            let mut m = MNode {
                kind,
                tag: node
                    .tag_name
                    .get()
                    .map(str::to_ascii_lowercase)
                    .unwrap_or_default(),
                attrs: Vec::new(),
                parent,
                children: Vec::with_capacity(node.child_nodes.0.len()),
                text: if kind == Kind::Text {
                    self.kept_text(parent, node.text_content.get().unwrap_or(""))
                } else {
                    String::new()
                },
            };
            for (name, value) in &node.attributes.0 {
                m.set_attr(name, value);
            }
            for child in &node.child_nodes.0 {
                if let Some(child_id) = child.id.as_id() {
                    m.children.push(child_id);
                }
            }
            self.nodes.insert(id, m);
            // Children are pushed in reverse so they are inserted in document order (which
            // only matters for replacing duplicates consistently).
            for child in node.child_nodes.0.iter().rev() {
                stack.push((child, Some(id)));
            }
        }
        root_id
    }

    /// Removes a node and its subtree from the map (not from its parent's child list).
    fn remove_subtree(&mut self, id: i64) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            if let Some(node) = self.nodes.remove(&id) {
                stack.extend(node.children);
            }
        }
    }

    /// Applies one Mutation: removes, then adds, then text and attribute changes.
    pub fn apply_mutation(
        &mut self,
        removes: &[Remove],
        adds: &[Add<'_>],
        texts: &[TextChange<'_>],
        attributes: &[AttrChange<'_>],
        issues: &mut MirrorIssues,
    ) {
        for remove in removes {
            let Some(id) = remove.id.as_id() else {
                issues.bad_ids += 1;
                continue;
            };
            let Some(node) = self.nodes.get(&id) else {
                issues.unknown_nodes += 1;
                continue;
            };
            if let Some(parent) = node.parent.and_then(|p| self.nodes.get_mut(&p)) {
                parent.children.retain(|c| *c != id);
            }
            self.remove_subtree(id);
        }
        // Insert every added subtree first, then link: an add may name a parent that a later
        // add creates.
        let mut links = Vec::with_capacity(adds.len());
        for add in adds {
            let Some(node) = &add.node.0 else {
                continue;
            };
            if let Some(old) = node.id.as_id()
                && let Some(old_parent) = self.nodes.get(&old).and_then(|n| n.parent)
                && let Some(parent) = self.nodes.get_mut(&old_parent)
            {
                parent.children.retain(|c| *c != old);
            }
            if let Some(id) = self.insert_subtree(node, None, issues) {
                links.push((id, add));
            }
        }
        for (id, add) in links {
            let Some(parent_id) = add.parent_id.as_id() else {
                issues.bad_ids += 1;
                continue;
            };
            if parent_id == id {
                issues.bad_ids += 1;
                continue;
            }
            let Some(parent) = self.nodes.get_mut(&parent_id) else {
                issues.unknown_nodes += 1;
                continue;
            };
            let position = add
                .next_id
                .as_id()
                .and_then(|next| parent.children.iter().position(|c| *c == next))
                .or_else(|| {
                    add.previous_id.as_id().and_then(|prev| {
                        parent
                            .children
                            .iter()
                            .position(|c| *c == prev)
                            .map(|p| p + 1)
                    })
                });
            match position {
                Some(p) => parent.children.insert(p, id),
                None => parent.children.push(id),
            }
            if let Some(node) = self.nodes.get_mut(&id) {
                node.parent = Some(parent_id);
            }
        }
        for change in texts {
            let Some(id) = change.id.as_id().filter(|id| self.nodes.contains_key(id)) else {
                issues.unknown_nodes += 1;
                continue;
            };
            let parent = self.nodes.get(&id).and_then(|n| n.parent);
            let text = self.kept_text(parent, change.value.get().unwrap_or(""));
            if let Some(node) = self.nodes.get_mut(&id) {
                node.text = text;
            }
        }
        for change in attributes {
            match change.id.as_id().and_then(|id| self.nodes.get_mut(&id)) {
                Some(node) => {
                    for (name, value) in &change.attributes.0 {
                        node.set_attr(name, value);
                    }
                }
                None => issues.unknown_nodes += 1,
            }
        }
    }

    /// True when `id` is the document, or its `<html>` or `<body>` element (scrolls of those
    /// move the page). Without a snapshot, rrweb's document id 1 is assumed.
    pub fn is_document_scroller(&self, id: i64) -> bool {
        if self.document == Some(id) {
            return true;
        }
        match self.nodes.get(&id) {
            Some(node) => {
                node.kind == Kind::Document
                    || (node.kind == Kind::Element && matches!(node.tag.as_str(), "html" | "body"))
            }
            None => !self.has_snapshot() && id == 1,
        }
    }

    /// The input `type` of an element, lower-case, if it is an `<input>`.
    pub fn input_type(&self, id: i64) -> Option<String> {
        let node = self.nodes.get(&id)?;
        (node.tag == "input").then(|| {
            node.attr("type")
                .unwrap_or("text")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Describes the element `id` (a text node is described by its parent element).
    pub fn describe(&self, id: i64) -> Option<ElementDescriptor> {
        let mut id = id;
        let mut node = self.nodes.get(&id)?;
        if node.kind != Kind::Element {
            id = node.parent?;
            node = self.nodes.get(&id)?;
            if node.kind != Kind::Element {
                return None;
            }
        }
        let non_empty = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let text = self
            .visible_text(id)
            .or_else(|| non_empty(node.attr("aria-label")).map(|t| truncate_text(&t)))
            .or_else(|| non_empty(node.attr("alt")).map(|t| truncate_text(&t)))
            .or_else(|| {
                matches!(node.tag.as_str(), "input" | "textarea")
                    .then(|| non_empty(node.attr("placeholder")).map(|t| truncate_text(&t)))
                    .flatten()
            })
            .or_else(|| non_empty(node.attr("title")).map(|t| truncate_text(&t)));
        Some(ElementDescriptor {
            tag: node.tag.clone(),
            id: non_empty(node.attr("id")),
            classes: node
                .attr("class")
                .unwrap_or("")
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            role: non_empty(node.attr("role")),
            href: self.link(id),
            text,
            selector: self.selector(id),
            name: non_empty(node.attr("name")),
            input_type: (node.tag == "input").then(|| {
                node.attr("type")
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "text".to_owned())
            }),
            fixed: self.fixed(id),
        })
    }

    /// The element's own `href`, or that of the nearest enclosing `<a>`.
    fn link(&self, id: i64) -> Option<String> {
        let own = self.nodes.get(&id)?.attr("href");
        if let Some(href) = own.filter(|h| !h.trim().is_empty()) {
            return Some(href.trim().to_owned());
        }
        self.ancestors(id)
            .find(|(_, n)| n.tag == "a" && n.attr("href").is_some_and(|h| !h.trim().is_empty()))
            .and_then(|(_, n)| n.attr("href").map(|h| h.trim().to_owned()))
    }

    /// True when the element or an ancestor has an inline `position: fixed` or `sticky`.
    fn fixed(&self, id: i64) -> bool {
        self.ancestors(id).any(|(_, n)| {
            n.attr("style").is_some_and(|style| {
                let compact: String = style
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                compact.contains("position:fixed") || compact.contains("position:sticky")
            })
        })
    }

    /// The node and its ancestors, nearest first (bounded, so cycles in hostile input end).
    fn ancestors(&self, id: i64) -> impl Iterator<Item = (i64, &MNode)> + '_ {
        let mut next = Some(id);
        std::iter::from_fn(move || {
            let id = next?;
            let node = self.nodes.get(&id)?;
            next = node.parent;
            Some((id, node))
        })
        .take(MAX_ANCESTORS)
    }

    /// What the mirror keeps of a text node's text: nothing under the elements
    /// [`Mirror::visible_text`] skips (inline stylesheets and scripts), else the text up to its
    /// `MAX_TEXT_CHARS + 1`-th character that is not white space: all that `visible_text` can
    /// read of it, as it stops at [`MAX_TEXT_CHARS`]. Long texts are not copied whole.
    fn kept_text(&self, parent: Option<i64>, text: &str) -> String {
        let hidden = parent
            .and_then(|p| self.nodes.get(&p))
            .is_some_and(|p| p.kind == Kind::Element && never_visible(&p.tag));
        if hidden {
            return String::new();
        }
        let mut seen = 0usize;
        for (at, c) in text.char_indices() {
            if c.is_whitespace() {
                continue;
            }
            seen += 1;
            if seen > MAX_TEXT_CHARS {
                return text.get(..at + c.len_utf8()).unwrap_or(text).to_owned();
            }
        }
        text.to_owned()
    }

    /// Visible text of the element: its descendant text (not of script/style), whitespace
    /// collapsed, trimmed, at most [`MAX_TEXT_CHARS`] characters.
    fn visible_text(&self, id: i64) -> Option<String> {
        let mut out = String::new();
        let mut chars = 0usize;
        let mut pending_space = false;
        let mut stack = vec![id];
        let mut visited = 0usize;
        'walk: while let Some(id) = stack.pop() {
            visited += 1;
            if visited > MAX_TEXT_NODES {
                break;
            }
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            match node.kind {
                Kind::Text => {
                    for c in node.text.chars() {
                        if c.is_whitespace() {
                            pending_space = true;
                            continue;
                        }
                        if pending_space && chars > 0 {
                            out.push(' ');
                            chars += 1;
                        }
                        pending_space = false;
                        if chars >= MAX_TEXT_CHARS {
                            break 'walk;
                        }
                        out.push(c);
                        chars += 1;
                    }
                }
                Kind::Element if never_visible(&node.tag) => {}
                _ => stack.extend(node.children.iter().rev()),
            }
        }
        let out = out.trim_end().to_owned();
        (!out.is_empty()).then_some(out)
    }

    /// A CSS selector path: `#id` when the element has one; otherwise
    /// `tag.class:nth-of-type(n)` steps (`:nth-of-type` only when siblings share the tag) up to
    /// an ancestor with an id, or to `body`.
    fn selector(&self, id: i64) -> String {
        let mut steps: Vec<String> = Vec::new();
        for (id, node) in self.ancestors(id) {
            if node.kind != Kind::Element {
                break;
            }
            if let Some(element_id) = node.attr("id").map(str::trim).filter(|s| !s.is_empty()) {
                steps.push(format!("#{}", css_escape(element_id)));
                break;
            }
            if matches!(node.tag.as_str(), "body" | "html") {
                steps.push(node.tag.clone());
                break;
            }
            let mut step = css_escape(&node.tag);
            for class in node.attr("class").unwrap_or("").split_ascii_whitespace() {
                step.push('.');
                step.push_str(&css_escape(class));
            }
            if let Some(parent) = node.parent.and_then(|p| self.nodes.get(&p)) {
                let same_tag: Vec<i64> = parent
                    .children
                    .iter()
                    .copied()
                    .filter(|c| {
                        self.nodes
                            .get(c)
                            .is_some_and(|n| n.kind == Kind::Element && n.tag == node.tag)
                    })
                    .collect();
                if same_tag.len() > 1
                    && let Some(position) = same_tag.iter().position(|c| *c == id)
                {
                    step.push_str(&format!(":nth-of-type({})", position + 1));
                }
            }
            steps.push(step);
        }
        steps.reverse();
        steps.join(" > ")
    }
}

/// Elements whose descendant text is never visible text.
fn never_visible(tag: &str) -> bool {
    matches!(tag, "script" | "style" | "noscript" | "template")
}

/// Truncates text to [`MAX_TEXT_CHARS`] characters, collapsing white space.
fn truncate_text(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_TEXT_CHARS).collect()
}

/// Escapes a CSS identifier (class, id or tag) for use in a selector.
fn css_escape(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len());
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() {
            if i == 0 && c.is_ascii_digit() {
                out.push_str(&format!("\\{:x} ", u32::from(c)));
            } else {
                out.push(c);
            }
        } else if c.is_ascii_control() {
            out.push_str(&format!("\\{:x} ", u32::from(c)));
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long texts are kept only as far as the visible text can read them, and the text of
    /// inline stylesheets not at all; the visible text is the same as from the whole texts.
    #[test]
    fn texts_are_kept_as_far_as_the_visible_text_reads_them() {
        let long = "word ".repeat(10_000);
        let css = "body { color: red; } ".repeat(1_000);
        let json = format!(
            r#"{{"type":0,"id":1,"childNodes":[
                {{"type":2,"id":2,"tagName":"div","attributes":{{}},"childNodes":[
                    {{"type":2,"id":3,"tagName":"style","attributes":{{}},"childNodes":[{{"type":3,"id":4,"textContent":"{css}"}}]}},
                    {{"type":3,"id":5,"textContent":"  Buy   now "}},
                    {{"type":2,"id":6,"tagName":"p","attributes":{{}},"childNodes":[{{"type":3,"id":7,"textContent":"{long}"}}]}}
                ]}}
            ]}}"#
        );
        let mirror = Mirror::from_snapshot_json(&json);
        let kept = |id| mirror.nodes.get(&id).map(|n| n.text.len()).unwrap();
        assert_eq!(kept(4), 0);
        assert_eq!(kept(5), "  Buy   now ".len());
        assert!(kept(7) < 500, "{}", kept(7));
        let expected: String = format!("Buy now {long}")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_TEXT_CHARS)
            .collect();
        assert_eq!(mirror.visible_text(2).as_deref(), Some(expected.trim_end()));
        assert_eq!(
            mirror.visible_text(6).as_deref(),
            Some(
                long.trim()
                    .chars()
                    .take(MAX_TEXT_CHARS)
                    .collect::<String>()
                    .trim_end()
            )
        );
    }
}
