//! Static HTML of a recorded page at a moment: the DOM a page view showed, rebuilt from rrweb's
//! FullSnapshot and every Mutation (and Input, and inserted stylesheet rule) up to that moment,
//! as a self-contained document for `sessionlens snapshot` to render with Chromium.
//!
//! Scripts, `<noscript>`, event-handler attributes and rrweb's own `rr_*` attributes are left
//! out; stylesheets rrweb inlined (`_cssText`) become `<style>` elements; the values of text
//! fields are masked (`*` per character) whether or not rrweb masked them. Data URLs in the
//! recording are written as they are, and the URLs of rrweb Asset events (type 7, `{url,
//! payload}`) are replaced by the asset's data as a data URL, so such images and fonts render
//! without any network.

use std::collections::HashMap;
use std::io::Read as _;

use serde_json::{Map, Value};

use super::js_array_slice;
use super::mirror::set_style_property;
use crate::format::FormatError;
use crate::model::Limits;

/// How long after a page view's entry its picture is taken, ms (or just before the next page
/// view, when that comes sooner). A page load's FullSnapshot arrives a few ms after its Meta
/// event, and the mutations of the first moments (a consent banner injected, lazy content
/// filled in, an SPA route's new content replacing the old) within a few hundred ms; rrweb
/// batches mutations per animation frame and records them as they happen, so half a second
/// shows the page as it settled when the visitor first saw it, not a half-built one, and is
/// short enough not to include what the visitor did next (the first click comes later: people
/// take over a second to act on a new page).
pub const SETTLE_MS: i64 = 500;

/// One page load's rebuilt document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageSnapshot {
    /// The page URL (from the Meta event before the snapshot), fragment removed.
    pub url: String,
    /// Viewport width at load, CSS px (the layout width to render at).
    pub viewport_width: u32,
    /// Viewport height at load, CSS px.
    pub viewport_height: u32,
    /// The HTML document.
    pub html: String,
}

/// The rebuilt document of one tab at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageAt {
    /// The URL of the last page load (Meta event) at or before the moment, fragment removed.
    pub url: String,
    /// Viewport width of that page load, CSS px.
    pub viewport_width: u32,
    /// Viewport height of that page load, CSS px.
    pub viewport_height: u32,
    /// When the FullSnapshot the document starts from was taken, epoch ms.
    pub snapshot_ms: i64,
    /// The moment the document shows, epoch ms (after the snapshot).
    pub at_ms: i64,
    /// DOM changes (mutations, inputs, stylesheet rules) applied after the snapshot.
    pub changes_applied: usize,
    /// The HTML document.
    pub html: String,
}

/// Elements whose content is never rendered into the static page.
const DROPPED_ELEMENTS: [&str; 2] = ["script", "noscript"];
/// Elements without a closing tag.
const VOID_ELEMENTS: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// How deeply wrappers (`{"data": [...]}`, JSON Lines items) may nest around the events.
const MAX_WRAPPER_DEPTH: usize = 6;
/// Deepest element nesting written; deeper content (or a cycle that hostile mutations made) is
/// left out.
const MAX_WRITE_DEPTH: usize = 1_000;
/// Latest timestamp accepted (year 5138), epoch ms, as the importer.
const MAX_TIMESTAMP_MS: f64 = 1.0e14;

/// An rrweb event as read for rebuilding pages.
#[derive(Debug)]
struct RecEvent {
    /// Epoch ms.
    t: i64,
    /// Index of the session (recording id) in the file, as the importer groups them.
    session: usize,
    /// Index of the tab (window id) in its session, as the importer numbers them.
    tab: u32,
    /// rrweb event type.
    kind: u64,
    /// The event's `data`, compressed payloads inflated.
    data: Value,
}

/// A recording read for rebuilding its pages at any moment.
#[derive(Debug, Default)]
pub struct Recording {
    /// Events that can change a page (Meta, FullSnapshot, IncrementalSnapshot), in time order
    /// (file order among equal times).
    events: Vec<RecEvent>,
    /// Explicit session (recording) ids, in order of first appearance.
    session_ids: Vec<String>,
    /// Asset URL → data URL, longest URL first.
    assets: Vec<(String, String)>,
}

/// An event found while walking the document, before grouping.
struct Found {
    window: Option<String>,
    session: Option<String>,
    t: i64,
    kind: u64,
    data: Value,
}

impl Recording {
    /// Reads a recording's (already inflated) bytes: a JSON array of events, an object wrapping
    /// one, JSON Lines as PostHog exports them (compressed `cv` payloads inflated, within
    /// `limits.max_inflated_bytes`), or a `const events = [...]` script. Errors name the file
    /// and the line.
    pub fn parse(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Self, FormatError> {
        let documents = parse_documents(bytes, file_name)?;
        let mut found = Vec::new();
        for document in documents {
            collect_events(document, 0, None, None, &mut found);
        }
        let mut inflated = 0u64;
        let mut recording = Self::default();
        let mut tabs: Vec<Vec<Option<String>>> = Vec::new();
        let mut current_session = 0usize;
        for mut f in found {
            if let Some(id) = f.session.as_deref().filter(|s| !s.trim().is_empty()) {
                current_session = match recording.session_ids.iter().position(|s| s == id) {
                    Some(i) => i,
                    None => {
                        recording.session_ids.push(id.to_owned());
                        recording.session_ids.len() - 1
                    }
                };
            }
            if tabs.len() <= current_session {
                tabs.resize(current_session + 1, Vec::new());
            }
            let windows = tabs.get_mut(current_session);
            let tab = windows.map_or(0, |windows| {
                match windows.iter().position(|w| *w == f.window) {
                    Some(i) => i,
                    None => {
                        windows.push(f.window.take());
                        windows.len() - 1
                    }
                }
            });
            unpack(&mut f.data, f.kind, limits, &mut inflated, file_name)?;
            if f.kind == 7 {
                if let Some(asset) = asset_data_url(&f.data) {
                    recording.assets.push(asset);
                }
                continue;
            }
            if !matches!(f.kind, 2..=4) {
                continue;
            }
            recording.events.push(RecEvent {
                t: f.t,
                session: current_session,
                tab: u32::try_from(tab).unwrap_or(u32::MAX),
                kind: f.kind,
                data: f.data,
            });
        }
        recording.events.sort_by_key(|e| e.t);
        recording
            .assets
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        recording.assets.dedup_by(|a, b| a.0 == b.0);
        Ok(recording)
    }

    /// The index of the session `session_id` among the file's recordings (the first when the
    /// file names none, or not this one).
    fn session_index(&self, session_id: &str) -> usize {
        self.session_ids
            .iter()
            .position(|s| s == session_id)
            .unwrap_or(0)
    }

    /// Asset URLs the recording carries the data of.
    #[must_use]
    pub fn asset_urls(&self) -> Vec<&str> {
        self.assets.iter().map(|(u, _)| u.as_str()).collect()
    }

    /// The page of tab `tab` of session `session_id` at `at_ms` (epoch ms): the last
    /// FullSnapshot at or before it with every later DOM change up to it applied. When the last
    /// page load before `at_ms` has no snapshot yet, the first snapshot after it up to
    /// `until_ms` is taken (a snapshot that came late). `None` when the tab has no snapshot then.
    #[must_use]
    pub fn page_at(&self, session_id: &str, tab: u32, at_ms: i64, until_ms: i64) -> Option<PageAt> {
        let session = self.session_index(session_id);
        let in_tab = |e: &&RecEvent| e.session == session && e.tab == tab;
        let end = self.events.partition_point(|e| e.t <= at_ms);
        let head = self.events.get(..end)?;
        // The last page load and the last snapshot at or before the moment.
        let last_meta = head.iter().rposition(|e| in_tab(&e) && e.kind == 4);
        let last_snapshot = head.iter().rposition(|e| in_tab(&e) && e.kind == 2);
        let (start, stop) = match (last_meta, last_snapshot) {
            (Some(m), Some(s)) if s > m => (s, end),
            (None, Some(s)) => (s, end),
            _ => {
                // No snapshot since the page loaded: the first one to come, up to `until_ms`.
                let late = self.events.get(end..)?.iter().position(|e| {
                    in_tab(&e) && e.t <= until_ms && e.kind == 2 && e.data.get("node").is_some()
                })?;
                let s = end + late;
                let t = self.events.get(s)?.t;
                (s, s + self.events.get(s..)?.partition_point(|e| e.t <= t))
            }
        };
        let snapshot = self.events.get(start)?;
        let meta = self
            .events
            .get(..start)?
            .iter()
            .rev()
            .find(|e| in_tab(e) && e.kind == 4);
        let (url, width, height) = meta.map_or((String::new(), 0, 0), |m| meta_fields(&m.data));
        let mut dom = Dom::default();
        dom.load(snapshot.data.get("node")?);
        let mut changes_applied = 0;
        for e in self.events.get(start + 1..stop)?.iter().filter(in_tab) {
            if e.kind == 3 && dom.apply_incremental(&e.data) {
                changes_applied += 1;
            }
        }
        Some(PageAt {
            url,
            viewport_width: width,
            viewport_height: height,
            snapshot_ms: snapshot.t,
            at_ms: at_ms.max(snapshot.t),
            changes_applied,
            html: self.with_assets(dom.to_html()),
        })
    }

    /// `html` with every asset URL replaced by its data URL.
    fn with_assets(&self, html: String) -> String {
        let mut html = html;
        for (url, data) in &self.assets {
            if html.contains(url.as_str()) {
                html = html.replace(url.as_str(), data);
            }
            // The same URL as it is written in an attribute (`&` escaped).
            let escaped = url.replace('&', "&amp;");
            if escaped != *url && html.contains(&escaped) {
                html = html.replace(&escaped, data);
            }
        }
        html
    }

    /// The first snapshot of every page URL and viewport width, as the page loaded (no
    /// mutation applied).
    #[must_use]
    pub fn first_snapshots(&self) -> Vec<PageSnapshot> {
        let mut out: Vec<PageSnapshot> = Vec::new();
        let mut meta: HashMap<(usize, u32), (String, u32, u32)> = HashMap::new();
        for e in &self.events {
            match e.kind {
                4 => {
                    meta.insert((e.session, e.tab), meta_fields(&e.data));
                }
                2 => {
                    let Some((url, width, height)) = meta.get(&(e.session, e.tab)) else {
                        continue;
                    };
                    let Some(node) = e.data.get("node") else {
                        continue;
                    };
                    if *width == 0
                        || out
                            .iter()
                            .any(|s| s.url == *url && s.viewport_width == *width)
                    {
                        continue;
                    }
                    let mut dom = Dom::default();
                    dom.load(node);
                    out.push(PageSnapshot {
                        url: url.clone(),
                        viewport_width: *width,
                        viewport_height: *height,
                        html: self.with_assets(dom.to_html()),
                    });
                }
                _ => {}
            }
        }
        out
    }
}

/// URL (fragment removed), width and height of a Meta event's data.
fn meta_fields(data: &Value) -> (String, u32, u32) {
    let url = data
        .get("href")
        .and_then(Value::as_str)
        .map(|h| h.split_once('#').map_or(h, |(u, _)| u).to_owned())
        .unwrap_or_default();
    let dim = |key| {
        data.get(key)
            .and_then(Value::as_f64)
            .filter(|v| (1.0..=100_000.0).contains(v))
            .map_or(0, |v| v as u32)
    };
    (url, dim("width"), dim("height"))
}

/// The first snapshot of every page URL and viewport width in a recording's (already inflated)
/// bytes: a JSON array of events, an object wrapping one, JSON Lines as PostHog exports them,
/// or a `const events = [...]` script.
pub fn page_snapshots(bytes: &[u8], file_name: &str) -> Result<Vec<PageSnapshot>, FormatError> {
    Ok(Recording::parse(bytes, file_name, &Limits::default())?.first_snapshots())
}

/// The JSON values of a document: one value, or one per line (JSON Lines).
fn parse_documents(bytes: &[u8], file_name: &str) -> Result<Vec<Value>, FormatError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let starts_json = bytes
        .trim_ascii_start()
        .first()
        .is_some_and(|b| matches!(b, b'[' | b'{'));
    let body = if starts_json {
        bytes
    } else {
        js_array_slice(bytes).unwrap_or(bytes)
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Ok(vec![value]),
        Err(whole) => {
            // JSON Lines: one value per non-empty line.
            let mut values = Vec::new();
            for (index, line) in body.split(|&b| b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Value>(line) {
                    Ok(v) => values.push(v),
                    Err(e) if index == 0 => {
                        return Err(FormatError::Json {
                            file: file_name.to_owned(),
                            path: ".".to_owned(),
                            line: whole.line(),
                            column: whole.column(),
                            message: format!("{whole} (as JSON Lines: {e})"),
                        });
                    }
                    Err(e) => {
                        return Err(FormatError::Json {
                            file: file_name.to_owned(),
                            path: format!("line {}", index + 1),
                            line: index + 1,
                            column: e.column(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            Ok(values)
        }
    }
}

/// The first string value among `keys` of an object.
/// (PostHog's v2 export writes window ids as numbers: those are read as their text.)
fn string_key(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match map.get(*k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

const WINDOW_KEYS: [&str; 3] = ["windowId", "window_id", "$window_id"];
const SESSION_KEYS: [&str; 3] = ["sessionId", "session_id", "$session_id"];

/// Moves every rrweb event (an object with a numeric `type` and a valid `timestamp`) out of
/// `v`, in file order, with the window and session ids its wrappers give it.
fn collect_events(
    v: Value,
    depth: usize,
    window: Option<&str>,
    session: Option<&str>,
    out: &mut Vec<Found>,
) {
    if depth > MAX_WRAPPER_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => {
            // PostHog's `["<window_id>", {event}, ...]` pairs.
            let mut items = items.into_iter().peekable();
            let pair_window = match items.peek() {
                Some(Value::String(w)) => Some(w.clone()),
                _ => None,
            };
            if pair_window.is_some() {
                items.next();
            }
            let window = pair_window.as_deref().or(window);
            for item in items {
                collect_events(item, depth + 1, window, session, out);
            }
        }
        Value::Object(mut map) => {
            let own_window = string_key(&map, &WINDOW_KEYS);
            let own_session = string_key(&map, &SESSION_KEYS);
            let window = own_window.as_deref().or(window);
            let session = own_session.as_deref().or(session);
            if let Some(kind) = map.get("type").and_then(Value::as_u64)
                && map.contains_key("timestamp")
            {
                let t = map
                    .get("timestamp")
                    .and_then(Value::as_f64)
                    .filter(|t| t.is_finite() && (0.0..=MAX_TIMESTAMP_MS).contains(t));
                if let Some(t) = t {
                    out.push(Found {
                        window: window.map(str::to_owned),
                        session: session.map(str::to_owned),
                        t: t.round() as i64,
                        kind,
                        data: map.remove("data").unwrap_or(Value::Null),
                    });
                }
                return;
            }
            for key in ["events", "data", "snapshots"] {
                if let Some(inner) = map.remove(key) {
                    collect_events(inner, depth + 1, window, session, out);
                }
            }
        }
        _ => {}
    }
}

/// Inflates PostHog's compressed payloads (gzip in latin-1 strings): a whole `data`, or the
/// `adds`, `removes`, `texts` and `attributes` of a mutation. Undecodable ones become null
/// (the importer warns about them); past `limits.max_inflated_bytes` the file is refused.
fn unpack(
    data: &mut Value,
    kind: u64,
    limits: &Limits,
    inflated: &mut u64,
    file_name: &str,
) -> Result<(), FormatError> {
    if let Value::String(packed) = data {
        *data = inflate_json(packed, limits, inflated, file_name)?.unwrap_or(Value::Null);
    }
    if kind == 3
        && let Value::Object(map) = data
    {
        for key in ["adds", "removes", "texts", "attributes"] {
            if let Some(Value::String(packed)) = map.get(key) {
                let value = inflate_json(packed, limits, inflated, file_name)?;
                map.insert(key.to_owned(), value.unwrap_or(Value::Null));
            }
        }
    }
    Ok(())
}

/// The JSON in a gzip latin-1 string; `None` when it is not one.
fn inflate_json(
    packed: &str,
    limits: &Limits,
    inflated: &mut u64,
    file_name: &str,
) -> Result<Option<Value>, FormatError> {
    let bytes: Option<Vec<u8>> = packed
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    let Some(bytes) = bytes.filter(|b| b.starts_with(&[0x1f, 0x8b])) else {
        return Ok(None);
    };
    let budget = limits.max_inflated_bytes.saturating_sub(*inflated);
    let mut out = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(&bytes[..])
        .take(budget.saturating_add(1))
        .read_to_end(&mut out);
    if out.len() as u64 > budget {
        return Err(FormatError::TooLarge {
            file: file_name.to_owned(),
            what: "the decompressed data of the recording".to_owned(),
            limit: format!("{} bytes", limits.max_inflated_bytes),
        });
    }
    *inflated += out.len() as u64;
    if read.is_err() {
        return Ok(None);
    }
    Ok(serde_json::from_slice(&out).ok())
}

/// An Asset event's URL and its data as a data URL. rrweb writes the payload as a serialized
/// Blob (`{"rr_type": "Blob", "type": "image/png", "data": [{"rr_type": "ArrayBuffer",
/// "base64": "..."}]}`); a payload that is already a data URL, or `{base64, type}`, is taken too.
fn asset_data_url(data: &Value) -> Option<(String, String)> {
    let url = data.get("url").and_then(Value::as_str)?.trim();
    if url.is_empty() || url.starts_with("data:") {
        return None;
    }
    let payload = data.get("payload")?;
    let data_url = match payload {
        Value::String(s) if s.starts_with("data:") => s.clone(),
        Value::Object(p) => {
            let mime = p
                .get("type")
                .and_then(Value::as_str)
                .filter(|m| {
                    !m.is_empty()
                        && m.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "/+-.;=".contains(c))
                })
                .unwrap_or("application/octet-stream");
            let base64 = match p.get("data") {
                Some(Value::Array(parts)) if parts.len() == 1 => parts
                    .first()
                    .and_then(|part| part.get("base64"))
                    .and_then(Value::as_str)?
                    .trim()
                    .to_owned(),
                Some(Value::Array(parts)) => {
                    // Several ArrayBuffers: decode and join them.
                    let mut bytes = Vec::new();
                    for part in parts {
                        let b64 = part.get("base64").and_then(Value::as_str)?;
                        bytes.extend(base64_decode(b64)?);
                    }
                    base64_encode(&bytes)
                }
                _ => p.get("base64").and_then(Value::as_str)?.trim().to_owned(),
            };
            if !base64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                return None;
            }
            format!("data:{mime};base64,{base64}")
        }
        _ => return None,
    };
    Some((url.to_owned(), data_url))
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(
                    BASE64_ALPHABET.get(index).copied().unwrap_or(b'A'),
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 (padding optional, white space ignored); `None` when it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        let v = BASE64_ALPHABET.iter().position(|a| *a == c)?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// One node of the rebuilt DOM.
#[derive(Clone, Debug, Default)]
struct DNode {
    /// rrweb node type: 0 document, 1 doctype, 2 element, 3 text, 4 CDATA, 5 comment.
    kind: u64,
    /// Lower-case tag name (elements).
    tag: String,
    /// Attributes in recorded order (values as text; boolean attributes empty).
    attrs: Vec<(String, String)>,
    /// Text of text nodes.
    text: String,
    /// A text node holding CSS (rrweb's `isStyle`).
    is_style: bool,
    parent: Option<i64>,
    children: Vec<i64>,
    /// Stylesheet rules inserted after the snapshot (rrweb StyleSheetRule).
    extra_css: Vec<String>,
}

impl DNode {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn set_attr(&mut self, name: &str, value: Option<String>) {
        match value {
            Some(value) => match self.attrs.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) => *v = value,
                None => self.attrs.push((name.to_owned(), value)),
            },
            None => self.attrs.retain(|(k, _)| k != name),
        }
    }
}

/// An attribute value as text: strings and numbers as written, `true` as a boolean attribute;
/// `None` for false, null and anything else (the attribute is absent).
fn attr_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some(String::new()),
        _ => None,
    }
}

/// A node id.
fn id_of(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// The recorded DOM of one tab, with every node rrweb serialized.
#[derive(Debug, Default)]
struct Dom {
    nodes: HashMap<i64, DNode>,
    root: Option<i64>,
}

impl Dom {
    /// Replaces the DOM with a FullSnapshot's tree.
    fn load(&mut self, root: &Value) {
        self.nodes.clear();
        self.root = self.insert_subtree(root, None);
    }

    /// Inserts `root` and its subtree (iteratively); returns the root's id. A node whose id
    /// exists already replaces the old one (whose subtree is dropped).
    fn insert_subtree(&mut self, root: &Value, parent: Option<i64>) -> Option<i64> {
        let mut root_id = None;
        let mut stack: Vec<(&Value, Option<i64>)> = vec![(root, parent)];
        while let Some((node, parent)) = stack.pop() {
            let Some(id) = id_of(node.get("id")) else {
                continue;
            };
            if root_id.is_none() {
                root_id = Some(id);
            }
            if self.nodes.contains_key(&id) {
                self.remove_subtree(id);
            }
            let kind = node.get("type").and_then(Value::as_u64).unwrap_or(99);
            let children: &[Value] = node
                .get("childNodes")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut n = DNode {
                kind,
                tag: node
                    .get("tagName")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase(),
                text: node
                    .get("textContent")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                is_style: node.get("isStyle").and_then(Value::as_bool) == Some(true),
                parent,
                children: children.iter().filter_map(|c| id_of(c.get("id"))).collect(),
                ..DNode::default()
            };
            if let Some(attributes) = node.get("attributes").and_then(Value::as_object) {
                for (name, value) in attributes {
                    if let Some(text) = attr_text(value) {
                        n.attrs.push((name.clone(), text));
                    }
                }
            }
            self.nodes.insert(id, n);
            for child in children.iter().rev() {
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

    /// Detaches `id` from its parent's child list.
    fn detach(&mut self, id: i64) {
        if let Some(parent) = self.nodes.get(&id).and_then(|n| n.parent)
            && let Some(parent) = self.nodes.get_mut(&parent)
        {
            parent.children.retain(|c| *c != id);
        }
    }

    /// Applies an IncrementalSnapshot's data; true when it changed the DOM's kind of data
    /// (Mutation, Input, StyleSheetRule).
    fn apply_incremental(&mut self, data: &Value) -> bool {
        match data.get("source").and_then(Value::as_u64) {
            Some(0) => {
                self.apply_mutation(data);
                true
            }
            Some(5) => self.apply_input(data),
            Some(8) => self.apply_style_rule(data),
            _ => false,
        }
    }

    /// A Mutation: removes, then adds, then text and attribute changes (rrweb's order).
    fn apply_mutation(&mut self, data: &Value) {
        let list = |key: &str| {
            data.get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        for remove in list("removes") {
            if let Some(id) = id_of(remove.get("id"))
                && self.nodes.contains_key(&id)
            {
                self.detach(id);
                self.remove_subtree(id);
            }
        }
        // Insert every added subtree first, then link: an add may name a parent, or a next
        // sibling, that a later add creates.
        let mut pending: Vec<(i64, i64, Option<i64>, Option<i64>)> = Vec::new();
        for add in list("adds") {
            let Some(node) = add.get("node") else {
                continue;
            };
            if let Some(old) = id_of(node.get("id")) {
                self.detach(old);
            }
            let Some(id) = self.insert_subtree(node, None) else {
                continue;
            };
            let Some(parent) = id_of(add.get("parentId")).filter(|p| *p != id) else {
                continue;
            };
            pending.push((
                id,
                parent,
                id_of(add.get("nextId")),
                id_of(add.get("previousId")),
            ));
        }
        // Link those whose sibling is in place first, in rounds, then the rest where they can.
        loop {
            let before = pending.len();
            pending.retain(|&(id, parent, next, previous)| {
                !self.link(id, parent, next, previous, true)
            });
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        for (id, parent, next, previous) in pending {
            self.link(id, parent, next, previous, false);
        }
        for change in list("texts") {
            if let Some(node) = id_of(change.get("id")).and_then(|id| self.nodes.get_mut(&id)) {
                change
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .clone_into(&mut node.text);
            }
        }
        for change in list("attributes") {
            let Some(node) = id_of(change.get("id")).and_then(|id| self.nodes.get_mut(&id)) else {
                continue;
            };
            let Some(attributes) = change.get("attributes").and_then(Value::as_object) else {
                continue;
            };
            for (name, value) in attributes {
                match value {
                    Value::Object(diff) if name == "style" => {
                        let mut style = node.attr("style").unwrap_or("").to_owned();
                        for (property, value) in diff {
                            let value = match value {
                                Value::String(s) => Some(s.clone()),
                                Value::Array(parts) => {
                                    let v = parts.first().and_then(Value::as_str).unwrap_or("");
                                    Some(match parts.get(1).and_then(Value::as_str) {
                                        Some(p) if !p.is_empty() => format!("{v} !{p}"),
                                        _ => v.to_owned(),
                                    })
                                }
                                _ => None,
                            };
                            style = set_style_property(&style, property, value.as_deref());
                        }
                        node.set_attr("style", Some(style));
                    }
                    Value::Object(_) => {}
                    value => node.set_attr(name, attr_text(value)),
                }
            }
        }
    }

    /// Links the added node `id` under `parent`: before `next`, else after `previous`, else at
    /// the end. `strict`: only when the named sibling is in place (false: nothing linked).
    fn link(
        &mut self,
        id: i64,
        parent: i64,
        next: Option<i64>,
        previous: Option<i64>,
        strict: bool,
    ) -> bool {
        if !self.nodes.contains_key(&id) {
            return true;
        }
        let Some(p) = self.nodes.get_mut(&parent) else {
            return !strict;
        };
        let position = match (next, previous) {
            (Some(next), _) => p.children.iter().position(|c| *c == next),
            (None, Some(previous)) => p
                .children
                .iter()
                .position(|c| *c == previous)
                .map(|i| i + 1),
            (None, None) => Some(p.children.len()),
        };
        if strict && position.is_none() {
            return false;
        }
        p.children.retain(|c| *c != id);
        let position = position.map_or(p.children.len(), |i| i.min(p.children.len()));
        p.children.insert(position, id);
        if let Some(node) = self.nodes.get_mut(&id) {
            node.parent = Some(parent);
        }
        true
    }

    /// An Input: the value (masked when written) or checked state of a field.
    fn apply_input(&mut self, data: &Value) -> bool {
        let Some(id) = id_of(data.get("id")) else {
            return false;
        };
        let Some(node) = self.nodes.get(&id) else {
            return false;
        };
        let input_type = node.attr("type").unwrap_or("text").to_ascii_lowercase();
        let tag = node.tag.clone();
        if matches!(input_type.as_str(), "checkbox" | "radio") && tag == "input" {
            let checked = data.get("isChecked").and_then(Value::as_bool) == Some(true);
            if let Some(node) = self.nodes.get_mut(&id) {
                node.set_attr("checked", checked.then(String::new));
            }
            return true;
        }
        let Some(text) = data.get("text").and_then(Value::as_str) else {
            return false;
        };
        if tag == "select" {
            let options = self.nodes.get(&id).map(|n| n.children.clone());
            for option in options.unwrap_or_default() {
                if let Some(o) = self.nodes.get_mut(&option)
                    && o.tag == "option"
                {
                    let selected = o.attr("value") == Some(text);
                    o.set_attr("selected", selected.then(String::new));
                }
            }
        } else if let Some(node) = self.nodes.get_mut(&id) {
            node.set_attr("value", Some(text.to_owned()));
        }
        true
    }

    /// A StyleSheetRule: inserted rules are added to their `<style>` (at the end: rrweb's rule
    /// indexes count rules the static page cannot see); removed rules are not taken out.
    fn apply_style_rule(&mut self, data: &Value) -> bool {
        let Some(node) = id_of(data.get("id")).and_then(|id| self.nodes.get_mut(&id)) else {
            return false;
        };
        let mut changed = false;
        for add in data
            .get("adds")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let Some(rule) = add.get("rule").and_then(Value::as_str) {
                node.extra_css.push(rule.to_owned());
                changed = true;
            }
        }
        changed
    }

    /// The document as HTML.
    fn to_html(&self) -> String {
        let mut out = String::new();
        let Some(root) = self.root else {
            return out;
        };
        // Iterative, depth- and size-bounded: mutations may have made any shape.
        enum Step {
            /// A node, whether it is inside `<style>`, and its depth.
            Node(i64, bool, usize),
            /// Text written as is.
            Text(String),
            /// A closing tag.
            Close(String),
        }
        let mut stack = vec![Step::Node(root, false, 0)];
        let mut budget = self.nodes.len().saturating_mul(2).saturating_add(16);
        while let Some(step) = stack.pop() {
            let (id, raw_text, depth) = match step {
                Step::Close(tag) => {
                    out.push_str("</");
                    out.push_str(&tag);
                    out.push('>');
                    continue;
                }
                Step::Text(text) => {
                    out.push_str(&text);
                    continue;
                }
                Step::Node(id, raw_text, depth) => (id, raw_text, depth),
            };
            if depth > MAX_WRITE_DEPTH || budget == 0 {
                continue;
            }
            budget -= 1;
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            match node.kind {
                0 => {
                    for child in node.children.iter().rev() {
                        stack.push(Step::Node(*child, false, depth + 1));
                    }
                }
                1 => out.push_str("<!DOCTYPE html>\n"),
                2 => match write_open_tag(node, &mut out) {
                    Content::Done => {}
                    Content::Close => stack.push(Step::Close(node.tag.clone())),
                    Content::Children(suffix) => {
                        stack.push(Step::Close(node.tag.clone()));
                        if !suffix.is_empty() {
                            stack.push(Step::Text(suffix));
                        }
                        let style = node.tag == "style";
                        for child in node.children.iter().rev() {
                            stack.push(Step::Node(*child, style, depth + 1));
                        }
                    }
                },
                3 => {
                    if raw_text || node.is_style {
                        // Never let style text close its element early.
                        out.push_str(&node.text.replace("</", "<\\/"));
                    } else {
                        escape_text(&node.text, &mut out);
                    }
                }
                _ => {}
            }
        }
        out
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

fn escape_attr(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
}

/// A tag or attribute name safe to write as is.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// What follows an element's opening tag.
enum Content {
    /// Nothing: the element was left out, or is void, or was written whole.
    Done,
    /// Its children, then this text (inserted stylesheet rules), then the closing tag.
    Children(String),
    /// Only the closing tag.
    Close,
}

/// Writes an element's opening tag, and the content of elements whose content is written
/// here (inlined stylesheets, masked text areas).
fn write_open_tag(node: &DNode, out: &mut String) -> Content {
    let tag = node.tag.as_str();
    if !is_name(tag) || DROPPED_ELEMENTS.contains(&tag) {
        return Content::Done;
    }
    let css_text = node.attr("_cssText");
    let extra_css = node.extra_css.join("\n").replace("</", "<\\/");
    if tag == "link" && css_text.is_some() {
        // An inlined stylesheet.
        out.push_str("<style>");
        out.push_str(&css_text.unwrap_or("").replace("</", "<\\/"));
        out.push_str(&extra_css);
        out.push_str("</style>");
        return Content::Done;
    }
    // What a visitor typed never reaches a screenshot: the value of a text field is masked
    // (`*` per character, as rrweb masks), whatever the recording carried.
    let input_type = node.attr("type").unwrap_or("text").to_ascii_lowercase();
    let typed_field = tag == "textarea"
        || (tag == "input"
            && !matches!(
                input_type.as_str(),
                "button"
                    | "submit"
                    | "reset"
                    | "checkbox"
                    | "radio"
                    | "hidden"
                    | "image"
                    | "file"
                    | "color"
                    | "range"
            ));
    let mut masked_value = None;
    out.push('<');
    out.push_str(tag);
    for (name, value) in &node.attrs {
        let lower = name.to_ascii_lowercase();
        if !is_name(name)
            || lower.starts_with("on")
            || lower.starts_with("rr_")
            || name == "_cssText"
        {
            continue;
        }
        let masked;
        let text = if typed_field && lower == "value" {
            masked = "*".repeat(value.chars().count());
            masked_value = Some(masked.clone());
            &masked
        } else {
            value
        };
        out.push(' ');
        out.push_str(name);
        if !text.is_empty() {
            out.push_str("=\"");
            escape_attr(text, out);
            out.push('"');
        }
    }
    out.push('>');
    if VOID_ELEMENTS.contains(&tag) {
        return Content::Done;
    }
    if tag == "style" {
        if let Some(css) = css_text {
            out.push_str(&css.replace("</", "<\\/"));
            out.push_str(&extra_css);
            return Content::Close;
        }
        return Content::Children(extra_css);
    }
    if tag == "textarea"
        && let Some(masked) = masked_value
    {
        // A text area shows its value, not its initial text.
        out.push_str(&masked);
        return Content::Close;
    }
    Content::Children(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDING: &str = r#"[
      {"type":4,"timestamp":1000,"data":{"href":"http://shop.test/#top","width":1440,"height":900}},
      {"type":2,"timestamp":1001,"data":{"initialOffset":{"left":0,"top":0},"node":{"type":0,"id":1,"childNodes":[
        {"type":1,"id":2,"name":"html"},
        {"type":2,"id":3,"tagName":"html","attributes":{"lang":"en"},"childNodes":[
          {"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[
            {"type":2,"id":5,"tagName":"link","attributes":{"rel":"stylesheet","_cssText":"body { color: red; }"},"childNodes":[]},
            {"type":2,"id":6,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":7,"textContent":"p > a { x: 1 }","isStyle":true}]},
            {"type":2,"id":8,"tagName":"script","attributes":{},"childNodes":[{"type":3,"id":9,"textContent":"alert(1)"}]}
          ]},
          {"type":2,"id":10,"tagName":"body","attributes":{"onload":"evil()","class":"page"},"childNodes":[
            {"type":2,"id":11,"tagName":"p","attributes":{"title":"a \"quote\""},"childNodes":[{"type":3,"id":12,"textContent":"1 < 2 & <b>"}]},
            {"type":2,"id":13,"tagName":"input","attributes":{"value":"***","disabled":true,"rr_width":"10px"},"childNodes":[]},
            {"type":2,"id":14,"tagName":"input","attributes":{"type":"email","value":"ann@x.io"},"childNodes":[]},
            {"type":2,"id":15,"tagName":"input","attributes":{"type":"submit","value":"Pay"},"childNodes":[]}
          ]}
        ]}
      ]}}},
      {"type":2,"timestamp":5000,"data":{"node":{"type":0,"childNodes":[]}}}
    ]"#;

    #[test]
    fn rebuilds_the_first_snapshot_of_each_page_as_static_html() {
        let pages = page_snapshots(RECORDING.as_bytes(), "r.json").unwrap();
        assert_eq!(
            pages.len(),
            1,
            "the checkout snapshot of the same page is not repeated"
        );
        let page = &pages[0];
        assert_eq!(page.url, "http://shop.test/");
        assert_eq!((page.viewport_width, page.viewport_height), (1440, 900));
        assert_eq!(
            page.html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><style>body { color: red; }</style>\
             <style>p > a { x: 1 }</style></head><body class=\"page\">\
             <p title=\"a &quot;quote&quot;\">1 &lt; 2 &amp; &lt;b&gt;</p>\
             <input disabled value=\"***\"><input type=\"email\" value=\"********\">\
             <input type=\"submit\" value=\"Pay\"></body></html>"
        );
    }

    #[test]
    fn json_lines_and_js_wrappers_are_read_and_bad_json_is_located() {
        let lines = format!(
            "{{\"window_id\":\"w\",\"data\":{}}}\n",
            RECORDING.replace('\n', " ")
        );
        assert_eq!(
            page_snapshots(lines.as_bytes(), "p.jsonl").unwrap().len(),
            1
        );
        let js = format!("const events = {RECORDING};");
        assert_eq!(page_snapshots(js.as_bytes(), "d.js").unwrap().len(), 1);
        let err = page_snapshots(b"[{\"type\":4,", "bad.json").unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
    }

    /// A shop page: a consent banner at load, a cart drawer added at 3 s, the banner removed
    /// at 5 s, the cart count changed at 6 s, and the drawer hidden by a style change at 8 s.
    const SHOP: &str = r##"[
      {"type":4,"timestamp":1000,"data":{"href":"https://shop.test/cart","width":390,"height":844}},
      {"type":2,"timestamp":1003,"data":{"node":{"type":0,"id":1,"childNodes":[
        {"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
          {"type":2,"id":3,"tagName":"head","attributes":{},"childNodes":[
            {"type":2,"id":4,"tagName":"style","attributes":{"_cssText":".hero { background: url(\"data:image/png;base64,iVBORw0KGgo=\"); }"},"childNodes":[]}
          ]},
          {"type":2,"id":5,"tagName":"body","attributes":{},"childNodes":[
            {"type":2,"id":6,"tagName":"div","attributes":{"id":"consent"},"childNodes":[{"type":3,"id":7,"textContent":"We use cookies"}]},
            {"type":2,"id":8,"tagName":"span","attributes":{"id":"count"},"childNodes":[{"type":3,"id":9,"textContent":"0"}]},
            {"type":2,"id":10,"tagName":"img","attributes":{"src":"https://cdn.shop.test/logo.png?v=1&w=2"},"childNodes":[]},
            {"type":2,"id":11,"tagName":"img","attributes":{"src":"data:image/gif;base64,R0lGODlhAQABAAAAACw="},"childNodes":[]},
            {"type":2,"id":12,"tagName":"input","attributes":{"type":"checkbox","id":"gift"},"childNodes":[]},
            {"type":2,"id":13,"tagName":"input","attributes":{"type":"text","id":"coupon"},"childNodes":[]}
          ]}
        ]}
      ]}}},
      {"type":7,"timestamp":1500,"data":{"url":"https://cdn.shop.test/logo.png?v=1&w=2","payload":{"rr_type":"Blob","type":"image/png","data":[{"rr_type":"ArrayBuffer","base64":"iVBORw0KGgoAAAANSUhEUg=="}]}}},
      {"type":3,"timestamp":3000,"data":{"source":0,"removes":[],"texts":[],"attributes":[],"adds":[
        {"parentId":5,"nextId":null,"node":{"type":2,"id":20,"tagName":"aside","attributes":{"id":"drawer","style":"position: fixed"},"childNodes":[]}},
        {"parentId":20,"nextId":null,"node":{"type":3,"id":21,"textContent":"Your cart: Summit Hiker"}}
      ]}},
      {"type":3,"timestamp":3200,"data":{"source":5,"id":12,"isChecked":true}},
      {"type":3,"timestamp":3300,"data":{"source":5,"id":13,"text":"SAVE10","isChecked":false}},
      {"type":3,"timestamp":5000,"data":{"source":0,"adds":[],"texts":[],"attributes":[],"removes":[{"parentId":5,"id":6}]}},
      {"type":3,"timestamp":6000,"data":{"source":0,"adds":[],"removes":[],"attributes":[],"texts":[{"id":9,"value":"1"}]}},
      {"type":3,"timestamp":8000,"data":{"source":0,"adds":[],"removes":[],"texts":[],"attributes":[{"id":20,"attributes":{"style":{"display":"none"}}}]}}
    ]"##;

    fn shop_at(t: i64) -> PageAt {
        Recording::parse(SHOP.as_bytes(), "shop.json", &Limits::default())
            .unwrap()
            .page_at("shop", 0, t, t)
            .unwrap()
    }

    #[test]
    fn the_dom_at_a_moment_has_every_change_up_to_it_and_none_after() {
        let before = shop_at(2_000);
        assert_eq!(before.url, "https://shop.test/cart");
        assert_eq!((before.viewport_width, before.viewport_height), (390, 844));
        assert_eq!((before.snapshot_ms, before.changes_applied), (1_003, 0));
        assert!(before.html.contains("We use cookies"), "{}", before.html);
        assert!(!before.html.contains("drawer"), "{}", before.html);
        assert!(before.html.contains("<span id=\"count\">0</span>"));
        assert!(!before.html.contains("checked"));

        let open = shop_at(4_000);
        assert_eq!(open.changes_applied, 3);
        assert!(
            open.html.contains(
                "<aside id=\"drawer\" style=\"position: fixed\">Your cart: Summit Hiker</aside></body>"
            ),
            "the drawer is appended to the body: {}",
            open.html
        );
        assert!(
            open.html.contains("We use cookies"),
            "the banner is still up"
        );
        assert!(
            open.html
                .contains("<input id=\"gift\" type=\"checkbox\" checked>")
        );
        assert!(
            open.html
                .contains("<input id=\"coupon\" type=\"text\" value=\"******\">"),
            "typed text is masked: {}",
            open.html
        );
        assert!(!open.html.contains("SAVE10"));

        let closed = shop_at(7_000);
        assert!(
            !closed.html.contains("We use cookies"),
            "the banner is gone"
        );
        assert!(closed.html.contains("<span id=\"count\">1</span>"));
        assert!(closed.html.contains("Your cart"));
        let hidden = shop_at(9_000);
        assert!(
            hidden
                .html
                .contains("style=\"position: fixed; display: none\""),
            "{}",
            hidden.html
        );
    }

    #[test]
    fn assets_replace_their_urls_and_data_urls_are_kept() {
        let page = shop_at(2_000);
        assert!(
            page.html
                .contains("<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\">"),
            "the asset's data replaces its URL (written with &amp;): {}",
            page.html
        );
        assert!(!page.html.contains("cdn.shop.test"));
        assert!(
            page.html
                .contains("<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">")
        );
        assert!(
            page.html
                .contains("url(\"data:image/png;base64,iVBORw0KGgo=\")")
        );
        let recording = Recording::parse(SHOP.as_bytes(), "shop.json", &Limits::default()).unwrap();
        assert_eq!(
            recording.asset_urls(),
            vec!["https://cdn.shop.test/logo.png?v=1&w=2"]
        );
        // A payload in several parts is joined.
        let joined = asset_data_url(
            &serde_json::json!({"url": "u", "payload": {"rr_type": "Blob",
            "type": "image/png", "data": [{"base64": "aGVs"}, {"base64": "bG8="}]}}),
        );
        assert_eq!(
            joined,
            Some(("u".to_owned(), "data:image/png;base64,aGVsbG8=".to_owned()))
        );
        assert_eq!(
            base64_decode(&base64_encode(b"hello world")).unwrap(),
            b"hello world"
        );
    }

    #[test]
    fn a_late_snapshot_is_taken_up_to_the_limit_and_windows_are_separate_tabs() {
        let events = r#"[
          {"type":4,"timestamp":1000,"data":{"href":"http://a.test/","width":800,"height":600},"windowId":"w1"},
          {"type":2,"timestamp":1900,"windowId":"w1","data":{"node":{"type":0,"id":1,"childNodes":[
            {"type":2,"id":2,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":3,"textContent":"first tab"}]}]}}},
          {"type":4,"timestamp":1100,"data":{"href":"http://b.test/","width":700,"height":600},"windowId":"w2"},
          {"type":2,"timestamp":1101,"windowId":"w2","data":{"node":{"type":0,"id":1,"childNodes":[
            {"type":2,"id":2,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":3,"textContent":"second tab"}]}]}}}
        ]"#;
        let recording =
            Recording::parse(events.as_bytes(), "tabs.json", &Limits::default()).unwrap();
        assert!(
            recording.page_at("x", 0, 1_500, 1_800).is_none(),
            "no snapshot by then"
        );
        let late = recording.page_at("x", 0, 1_500, 2_000).unwrap();
        assert!(late.html.contains("first tab"));
        assert_eq!(
            (late.url.as_str(), late.snapshot_ms),
            ("http://a.test/", 1_900)
        );
        let second = recording.page_at("x", 1, 1_500, 1_500).unwrap();
        assert!(second.html.contains("second tab"));
        assert_eq!(second.viewport_width, 700);
    }

    #[test]
    fn packed_posthog_mutations_are_inflated() {
        use std::io::Write as _;
        let pack = |json: &str| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(json.as_bytes()).unwrap();
            gz.finish()
                .unwrap()
                .into_iter()
                .map(char::from)
                .collect::<String>()
        };
        let adds = pack(
            r#"[{"parentId":5,"nextId":null,"node":{"type":3,"id":30,"textContent":"packed text"}}]"#,
        );
        let line = serde_json::json!({"window_id": "w", "data": [
            {"type": 3, "timestamp": 3_500, "cv": "2024-10",
             "data": {"source": 0, "adds": adds, "removes": [], "texts": [], "attributes": []}}
        ]});
        let file = format!("{}\n{}\n", SHOP.replace('\n', " "), line);
        // The first line is the plain recording (no window), the second PostHog's: so wrap the
        // plain one too.
        let file = file
            .replacen('[', "{\"window_id\":\"w\",\"data\":[", 1)
            .replacen("]\n", "]}\n", 1);
        let recording = Recording::parse(file.as_bytes(), "ph.jsonl", &Limits::default()).unwrap();
        let page = recording.page_at("ph", 0, 4_000, 4_000).unwrap();
        assert!(page.html.contains("packed text"), "{}", page.html);
    }

    #[test]
    fn hostile_mutations_end_and_stay_bounded() {
        // A node made its own grandparent: writing stops instead of looping.
        let events = r#"[
          {"type":4,"timestamp":1,"data":{"href":"http://x.test/","width":800,"height":600}},
          {"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[
            {"type":2,"id":2,"tagName":"div","attributes":{},"childNodes":[
              {"type":2,"id":3,"tagName":"div","attributes":{},"childNodes":[]}]}]}}},
          {"type":3,"timestamp":3,"data":{"source":0,"removes":[],"texts":[],"attributes":[],
            "adds":[{"parentId":3,"nextId":null,"node":{"type":2,"id":4,"tagName":"b","attributes":{},"childNodes":[]}}]}},
          {"type":3,"timestamp":4,"data":{"source":0,"removes":[{"parentId":9,"id":99}],"texts":[{"id":98,"value":"x"}],
            "attributes":[{"id":97,"attributes":{"a":"b"}}],
            "adds":[{"parentId":4,"nextId":77,"node":{"type":2,"id":2,"tagName":"i","attributes":{},"childNodes":[]}},
                    {"parentId":5,"node":{"type":2,"id":6,"tagName":"u","attributes":{},"childNodes":[]}}]}}
        ]"#;
        let recording = Recording::parse(events.as_bytes(), "h.json", &Limits::default()).unwrap();
        let page = recording.page_at("h", 0, 10, 10).unwrap();
        assert!(page.html.len() < 10_000, "{}", page.html);
    }
}
