//! The structure signature of a mirrored DOM: what tells one page variant from another
//! (docs/VARIANTS.md).
//!
//! Each element is hashed from its tag, its `type` and `role`, its class tokens without digits
//! (sorted) and the *distinct* hashes of its visible element children in order of first
//! appearance. Left out on purpose, so that the signature stays the same across visits of one
//! variant:
//! - text and every other attribute (ids, `href`, `alt`, …): names, prices, counters and
//!   generated ids change per visit;
//! - class tokens with a digit (`css-1x2y3z`, `item-17`): generated per build or per item;
//! - how many times a child structure repeats (a list of 2 or of 4 identical cards);
//! - hidden elements (the `hidden` attribute, inline `display: none` or `visibility: hidden`)
//!   with their subtree: a banner closed is the same page as one never shown;
//! - the inside of `head`, scripts, styles, templates, SVG drawings and iframes: none of it
//!   changes what a visitor sees where.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use super::{IdHasher, Kind, Mirror};

/// Elements left out with their subtree.
const SKIPPED: [&str; 8] = [
    "head", "script", "style", "noscript", "template", "meta", "link", "base",
];
/// Elements kept, but not their subtree.
const LEAVES: [&str; 4] = ["svg", "iframe", "canvas", "video"];

/// FNV-1a, 64-bit: stable across builds and platforms (std's hashers are not promised to be).
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Mixes one 64-bit value into `h` (SplitMix64's finaliser after an xor).
fn mix(h: u64, v: u64) -> u64 {
    let mut z = (h ^ v).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One element being hashed: its id, the next child to visit, and where its children's
/// distinct hashes start in the walk's shared list.
struct Frame {
    id: i64,
    next_child: usize,
    children_from: usize,
}

impl Mirror {
    /// The structure signature of the whole document (see the module docs); `None` before a
    /// snapshot.
    pub fn structure_signature(&self) -> Option<u64> {
        let root = self.document?;
        let mut visited: HashSet<i64, BuildHasherDefault<IdHasher>> =
            HashSet::with_capacity_and_hasher(self.nodes.len(), BuildHasherDefault::default());
        let mut stack: Vec<Frame> = Vec::with_capacity(64);
        // The distinct child hashes of every element on the stack, each element's after its
        // parent's.
        let mut child_hashes: Vec<u64> = Vec::with_capacity(256);
        visited.insert(root);
        stack.push(Frame {
            id: root,
            next_child: 0,
            children_from: 0,
        });
        let mut signature = None;
        while let Some(frame) = stack.last_mut() {
            let node = self.nodes.get(&frame.id);
            let descend = node.is_some_and(|n| match n.kind {
                Kind::Document => true,
                Kind::Element => !LEAVES.contains(&n.tag.as_str()),
                Kind::Text | Kind::Other => false,
            });
            let next = descend
                .then(|| node.and_then(|n| n.children.get(frame.next_child)).copied())
                .flatten();
            if let Some(child_id) = next {
                frame.next_child += 1;
                let Some(child) = self.nodes.get(&child_id) else {
                    continue;
                };
                if child.kind != Kind::Element
                    || SKIPPED.contains(&child.tag.as_str())
                    || hidden(child)
                    || !visited.insert(child_id)
                {
                    continue;
                }
                stack.push(Frame {
                    id: child_id,
                    next_child: 0,
                    children_from: child_hashes.len(),
                });
                continue;
            }
            // All children done: hash this node and hand it to its parent.
            let Some(done) = stack.pop() else { break };
            let children = child_hashes.get(done.children_from..).unwrap_or(&[]);
            let hash = self
                .nodes
                .get(&done.id)
                .map_or(0, |n| element_hash(n, children));
            child_hashes.truncate(done.children_from);
            match stack.last() {
                Some(parent) => {
                    let siblings = child_hashes.get(parent.children_from..).unwrap_or(&[]);
                    if !siblings.contains(&hash) {
                        child_hashes.push(hash);
                    }
                }
                None => signature = Some(hash),
            }
        }
        signature
    }
}

/// True for an element hidden by its own attributes.
fn hidden(node: &super::MNode) -> bool {
    node.attr("hidden").is_some()
        || node.attr("style").is_some_and(|style| {
            contains_compact(style, b"display:none")
                || contains_compact(style, b"visibility:hidden")
        })
}

/// True when `text`, with its white space left out and ASCII lower-cased, contains `pattern`
/// (lower case, no white space), without allocating.
fn contains_compact(text: &str, pattern: &[u8]) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|start| {
        let mut rest = bytes[start..]
            .iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase);
        pattern.iter().all(|p| rest.next() == Some(*p))
    })
}

/// FNV-1a of the ASCII lower case of `bytes`.
fn fnv_lower(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn element_hash(node: &super::MNode, children: &[u64]) -> u64 {
    let mut h = fnv(node.tag.as_bytes(), FNV_OFFSET);
    for name in ["type", "role"] {
        if let Some(value) = node.attr(name) {
            h = fnv(b"\x01", h);
            h = fnv(name.as_bytes(), h);
            h = fnv_lower(value.trim().as_bytes(), h);
        }
    }
    // Class tokens as hashes, sorted: the order they are written in does not matter.
    let mut classes: Vec<u64> = node
        .attr("class")
        .unwrap_or("")
        .split_ascii_whitespace()
        .filter(|c| !c.bytes().any(|b| b.is_ascii_digit()))
        .map(|c| fnv_lower(c.as_bytes(), FNV_OFFSET))
        .collect();
    classes.sort_unstable();
    classes.dedup();
    for class in classes {
        h = mix(fnv(b"\x02", h), class);
    }
    let mut h = mix(h, children.len() as u64);
    for child in children {
        h = mix(h, *child);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(json: &str) -> Mirror {
        Mirror::from_snapshot_json(json)
    }

    /// A document: `html > (head > script, body > BODY)`, node ids from 1.
    fn page(body: &str) -> String {
        format!(
            r#"{{"type":0,"id":1,"childNodes":[{{"type":2,"id":2,"tagName":"html","attributes":{{}},"childNodes":[
            {{"type":2,"id":3,"tagName":"head","attributes":{{}},"childNodes":[{{"type":2,"id":4,"tagName":"script","attributes":{{}},"childNodes":[]}}]}},
            {{"type":2,"id":5,"tagName":"body","attributes":{{}},"childNodes":[{body}]}}]}}]}}"#
        )
    }

    /// An element with `id`, tag, class and children.
    fn el(id: i64, tag: &str, class: &str, children: &[String]) -> String {
        format!(
            r#"{{"type":2,"id":{id},"tagName":"{tag}","attributes":{{"class":"{class}","id":"x{id}"}},"childNodes":[{}]}}"#,
            children.join(",")
        )
    }

    fn text(id: i64, t: &str) -> String {
        format!(r#"{{"type":3,"id":{id},"textContent":"{t}"}}"#)
    }

    fn sig(body: &[String]) -> u64 {
        mirror(&page(&body.join(",")))
            .structure_signature()
            .unwrap()
    }

    fn card(id: i64, name: &str) -> String {
        el(
            id,
            "li",
            "card",
            &[el(id + 1, "h3", "title", &[text(id + 2, name)])],
        )
    }

    #[test]
    fn text_ids_generated_classes_and_repeats_do_not_change_the_signature() {
        let a = sig(&[
            el(10, "header", "top", &[text(11, "Hi Ann")]),
            el(20, "ul", "list", &[card(21, "Mug"), card(24, "Cup")]),
        ]);
        let b = sig(&[
            el(
                110,
                "header",
                "top css-4f2a",
                &[text(111, "Hi Bob, 7 people here")],
            ),
            el(
                120,
                "ul",
                "list",
                &[
                    card(121, "Tea"),
                    card(124, "Pot"),
                    card(127, "Jar"),
                    card(130, "Lid"),
                ],
            ),
        ]);
        assert_eq!(a, b);
    }

    #[test]
    fn a_moved_block_a_new_block_or_an_open_banner_changes_it() {
        let buy = || el(30, "div", "buy", &[el(31, "button", "add", &[])]);
        let gallery = || el(40, "div", "gallery", &[el(41, "img", "", &[])]);
        let a = sig(&[gallery(), buy()]);
        let moved = sig(&[buy(), gallery()]);
        let added = sig(&[gallery(), buy(), el(50, "aside", "trust", &[])]);
        assert_ne!(a, moved);
        assert_ne!(a, added);
        let banner = |style: &str| {
            format!(
                r#"{{"type":2,"id":60,"tagName":"div","attributes":{{"class":"consent","style":"{style}"}},"childNodes":[]}}"#
            )
        };
        let closed = sig(&[gallery(), buy(), banner("display: none")]);
        let open = sig(&[gallery(), buy(), banner("display: block")]);
        assert_ne!(closed, open);
        // A hidden element, and so what is inside it, does not count.
        assert_eq!(closed, a);
        let hidden_with_child = format!(
            r#"{{"type":2,"id":60,"tagName":"div","attributes":{{"class":"consent","style":"display:none"}},"childNodes":[{}]}}"#,
            el(61, "p", "", &[])
        );
        assert_eq!(closed, sig(&[gallery(), buy(), hidden_with_child]));
    }

    #[test]
    fn no_snapshot_no_signature_and_cycles_end() {
        assert_eq!(Mirror::default().structure_signature(), None);
        // A child listed twice (hostile input) is hashed once and the walk ends.
        let m = mirror(
            r#"{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[]},{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[]}]}"#,
        );
        assert!(m.structure_signature().is_some());
    }
}
