//! The rrweb importer: turns rrweb recordings into [`Session`]s.
//!
//! Accepted inputs (detected from the content): a JSON array of events; an object wrapping one
//! (`{"events": […]}`, `{"data": […]}`, `{"snapshots": […]}`); JSON Lines as PostHog exports
//! them (`{"window_id": …, "data": [events]}` lines or `["<window_id>", {event}]` lines);
//! PostHog "Export to file" documents (`{"version": "2023-04-28" | "2022-12-02", "data": …}`);
//! posthog-js capture batches (`[{"event": "$snapshot", "properties": {"$snapshot_data", …}}]`,
//! optionally in `{"batch": […]}`); PostHog-compressed events (`"cv": "2024-10"`, gzip in
//! latin-1 strings); Sentry replay segments ([`sentry`]; the API's `[[segment 0], …]` too); and
//! a JS wrapper (`const events = […]`). gzip-compressed files are inflated by
//! [`super::load_bytes`].
//!
//! The mapping from rrweb types to the model is described in docs/RRWEB.md.

mod forms;
mod hollow;
pub mod html;
pub mod lines;
mod mirror;
mod raw;
mod recorders;
pub mod sentry;
pub mod stream;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod wrapper_tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read as _;

use serde::Deserialize as _;
use serde::de::DeserializeSeed as _;

use self::mirror::{Mirror, MirrorIssues};
use self::raw::{Data, EventData, ItemSeed, Num, Packable, RawEvent, Sink};
use self::recorders::{FailedRequest, Meaning};
use super::{FormatError, Warnings};
use crate::model::{
    ClickKind, DeviceClass, ElementDescriptor, Event, EventKind, Limits, PagePos, PageView,
    PointerType, ScrollOffset, Session, SizePx, TrafficSource, ViewportPos,
};

pub use self::raw::{MAX_DOM_DEPTH, MAX_ITEM_DEPTH};

/// Stack size of the thread that parses and converts a recording: the DOM tree is parsed
/// recursively (up to [`MAX_DOM_DEPTH`] levels), which needs more than a default thread has.
const PARSE_STACK_BYTES: usize = 256 << 20;

/// After an SPA route change, how long the app may take to set the new route's scroll (a
/// router scrolls to the top when the new content is rendered: 200–400 ms in the recorded
/// shops) before the scroll carried over from the previous route counts as the route's own, ms.
const ROUTE_SCROLL_SETTLE_MS: i64 = 1000;
/// Largest |timeOffset| of a mouse position accepted, ms.
const MAX_TIME_OFFSET_MS: f64 = 3_600_000.0;
/// Latest timestamp accepted (year 5138), epoch ms.
const MAX_TIMESTAMP_MS: f64 = 1.0e14;

/// Warning kinds (the keys of [`Warnings`]).
mod warn {
    pub const NOT_EVENT: &str = "rrweb: item without a numeric `type` skipped";
    pub const BAD_TIME: &str = "rrweb: event without a valid timestamp skipped";
    pub const UNKNOWN_TYPE: &str = "rrweb: event of unknown type skipped";
    pub const UNKNOWN_SOURCE: &str = "rrweb: incremental snapshot of unknown source skipped";
    pub const UNKNOWN_INTERACTION: &str = "rrweb: mouse interaction of unknown type skipped";
    pub const BAD_COORDINATE: &str =
        "rrweb: event with a missing, non-finite or absurd coordinate dropped";
    pub const BAD_SIZE: &str = "rrweb: viewport size missing or out of range";
    pub const UNKNOWN_NODE: &str = "rrweb: mutation names a node not in the mirror";
    pub const BAD_ID: &str = "rrweb: node without a usable id";
    pub const UNKNOWN_TARGET: &str = "rrweb: event target not in the mirror";
    pub const NO_META: &str = "rrweb: events before the first Meta event (page URL unknown)";
    pub const NO_SNAPSHOT: &str = "rrweb: FullSnapshot without a node tree";
    pub const BAD_PACKED: &str = "rrweb: undecodable compressed data skipped";
    pub const TOO_DEEP: &str = "rrweb: wrapper nested too deeply skipped";
    pub const NO_TAG: &str = "rrweb: custom event without a tag skipped";
    pub const TRUNCATED: &str = "rrweb: over-long text truncated";
    pub const CAPTURE_EVENT: &str =
        "PostHog: capture events other than $snapshot skipped (analytics, not recording)";
}

/// True when `bytes` look like a JS file assigning an array (`const events = [...]`), the
/// form of rrweb's demo recordings.
#[must_use]
pub fn looks_like_js_wrapper(bytes: &[u8]) -> bool {
    js_array_slice(bytes).is_some()
}

/// The `[...]` of a JS wrapper: from the first `[` that follows an `=` to the last `]`.
fn js_array_slice(bytes: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    let start = loop {
        let eq = i + bytes.get(i..)?.iter().position(|b| *b == b'=')?;
        let after = bytes.get(eq + 1..)?;
        let skip = after.iter().position(|b| !b.is_ascii_whitespace())?;
        if after.get(skip) == Some(&b'[') {
            break eq + 1 + skip;
        }
        i = eq + 1;
    };
    let end = bytes.iter().rposition(|b| *b == b']')?;
    (end > start).then(|| bytes.get(start..=end)).flatten()
}

/// The formats the importer accepts, for error messages.
pub const ACCEPTED: &str = "Accepted: SessionLens session, rrweb events (array, {\"events\"}), \
PostHog export (version 2023-04-28 or 2022-12-02), PostHog capture batch, Sentry replay segment(s)";

/// The PostHog file export versions read (`{"version": …, "data": …}`).
pub const POSTHOG_EXPORT_VERSIONS: [&str; 2] = ["2023-04-28", "2022-12-02"];

/// Reads an rrweb recording (any of the accepted forms, uncompressed) into sessions: one per
/// recording id in the file (usually one). `file_name` names the file in errors and gives the
/// session id when the recording has none.
pub fn read_rrweb(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    on_parse_thread(file_name, || {
        // Events' `data` read as they are converted; on any error, read again the way that
        // gives every error its place in the file (see `Sink::defer_data`).
        read_rrweb_on_this_thread(bytes, file_name, limits, true)
            .or_else(|_| read_rrweb_on_this_thread(bytes, file_name, limits, false))
    })
}

/// Reads a JSON Lines recording from `file` one group of sessions at a time (see [`lines`]),
/// handing each group's sessions and warnings to `on_group` (false: stop). Returns the file's
/// SHA-256, or `None` when the file is not JSON Lines (it is to be read whole); an error names
/// the file, line and column as [`read_rrweb`] does.
pub fn read_json_lines_in_groups(
    file: &mut std::fs::File,
    file_name: &str,
    limits: &Limits,
    on_group: &mut (dyn FnMut(Vec<Session>, Warnings) -> bool + Send),
) -> Result<Option<String>, FormatError> {
    let io = |error| FormatError::Io {
        file: file_name.to_owned(),
        error,
    };
    let several_lines =
        lines::has_second_line(std::io::BufReader::with_capacity(1 << 20, &mut *file));
    if !several_lines.map_err(io)? {
        return Ok(None);
    }
    std::io::Seek::rewind(file).map_err(io)?;
    on_parse_thread(file_name, || {
        raw::set_dom_depth_limit(limits.max_dom_depth);
        let reader = std::io::BufReader::with_capacity(1 << 20, &mut *file);
        let Some(lines) = lines::index_json_lines(reader, file_name, limits)? else {
            return Ok(None);
        };
        if !lines::read_groups(file, &lines, file_name, limits, on_group)? {
            return Err(FormatError::Unsupported {
                file: file_name.to_owned(),
                message: format!("JSON Lines without rrweb events. {ACCEPTED}"),
            });
        }
        Ok(Some(lines.sha256))
    })
}

/// [`read_rrweb`] the way it read before events were converted as they are read: every
/// event's `data` read whole before any is converted. The reference the default reader is
/// checked against (tests, the `rrweb_importer` fuzz target): both give the same sessions,
/// warnings and errors.
pub fn read_rrweb_eager(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    on_parse_thread(file_name, || {
        read_rrweb_on_this_thread(bytes, file_name, limits, false)
    })
}

/// One part of a recording split over several documents (a Sentry replay segment): its
/// label for errors (file and segment) and its JSON text (an array of events).
#[derive(Clone, Copy, Debug)]
pub struct Part<'b> {
    /// Names the part in errors, e.g. `replay/3.bin (segment 3)`.
    pub label: &'b str,
    /// The part's JSON.
    pub json: &'b [u8],
}

/// Reads a recording split into parts, joined in the given order into one event stream (Sentry
/// replay segments). `name` names the whole in errors and gives the session id (its stem);
/// `warnings` are added to the reader's own.
pub fn read_rrweb_parts(
    parts: &[Part<'_>],
    name: &str,
    limits: &Limits,
    warnings: Warnings,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    on_parse_thread(name, || {
        // As in `read_rrweb`: deferred first, again without deferring on any error.
        read_parts_on_this_thread(parts, name, limits, warnings.clone(), true)
            .or_else(|_| read_parts_on_this_thread(parts, name, limits, warnings, false))
    })
}

/// [`read_rrweb_parts`] without the big-stack thread.
fn read_parts_on_this_thread(
    parts: &[Part<'_>],
    name: &str,
    limits: &Limits,
    warnings: Warnings,
    defer_data: bool,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    raw::set_dom_depth_limit(limits.max_dom_depth);
    let mut sink = Sink::new(defer_data);
    for part in parts {
        parse_value(part.json, &mut sink).map_err(|e| json_error(part.label, &sink, &e, 0))?;
    }
    if !sink.events.iter().any(|e| e.kind.as_id().is_some()) {
        return Err(FormatError::Unsupported {
            file: name.to_owned(),
            message: format!("Sentry replay segments without rrweb events. {ACCEPTED}"),
        });
    }
    convert_sink(&sink, name, limits, warnings)
}

/// Runs `read` on a named thread with a stack big enough for [`MAX_DOM_DEPTH`] levels.
fn on_parse_thread<T: Send>(
    file_name: &str,
    read: impl FnOnce() -> Result<T, FormatError> + Send,
) -> Result<T, FormatError> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("rrweb-import".to_owned())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, read);
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(FormatError::Unsupported {
                    file: file_name.to_owned(),
                    message: "the rrweb importer failed unexpectedly".to_owned(),
                })
            }),
            Err(e) => Err(FormatError::Io {
                file: file_name.to_owned(),
                error: e,
            }),
        }
    })
}

/// [`read_rrweb`] without the big-stack thread.
fn read_rrweb_on_this_thread(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    defer_data: bool,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    raw::set_dom_depth_limit(limits.max_dom_depth);
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let Some(first) = text.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(FormatError::Empty {
            file: file_name.to_owned(),
        });
    };
    let doc = match text.get(first) {
        Some(b'[' | b'{') => text,
        _ => match js_array_slice(text) {
            Some(slice) => slice,
            None => {
                return Err(FormatError::Unsupported {
                    file: file_name.to_owned(),
                    message: format!(
                        "not JSON, JSON Lines or a JS `events = [...]` wrapper. {ACCEPTED}"
                    ),
                });
            }
        },
    };
    let sink = parse_document(doc, file_name, defer_data)?;
    if let Some(version) = &sink.export_version
        && sink.export_data
        && !POSTHOG_EXPORT_VERSIONS.contains(&version.as_ref())
    {
        return Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: format!(
                "PostHog export of version {version:?}: this build reads versions {}",
                POSTHOG_EXPORT_VERSIONS.join(" and ")
            ),
        });
    }
    if !sink.events.iter().any(|e| e.kind.as_id().is_some()) {
        let message = if text.get(first) == Some(&b'{') || text.get(first) == Some(&b'[') {
            describe_shape(doc, &sink)
        } else {
            "JS file whose array items are not rrweb events (no numeric `type`)".to_owned()
        };
        return Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: format!("{message}. {ACCEPTED}"),
        });
    }
    convert_sink(&sink, file_name, limits, Warnings::default())
}

/// Converts the events collected in `sink` into sessions.
fn convert_sink(
    sink: &Sink<'_>,
    file_name: &str,
    limits: &Limits,
    warnings: Warnings,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    convert_sink_from(sink, file_name, limits, warnings, None)
}

/// [`convert_sink`], reading `data` kept by its place ([`Data::InFile`]) from `source`.
fn convert_sink_from(
    sink: &Sink<'_>,
    file_name: &str,
    limits: &Limits,
    mut warnings: Warnings,
    source: Option<&stream::DataFile>,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    if sink.too_deep > 0 {
        warnings.add_count(warn::TOO_DEEP, sink.too_deep, || {
            format!("more than {MAX_ITEM_DEPTH} levels of wrappers")
        });
    }
    if sink.skipped_capture > 0 {
        warnings.add_count(warn::CAPTURE_EVENT, sink.skipped_capture, || {
            sink.skipped_capture_names.join(", ")
        });
    }
    let mut converter = Converter {
        limits,
        file: file_name,
        warnings,
        inflated: 0,
        converted_events: 0,
        source,
    };
    let mut sessions = converter.convert(&sink.events, file_name)?;
    for session in &mut sessions {
        // rrweb does not record the document's size: the deepest viewport bottom seen is a
        // lower bound (`sessionlens snapshot` measures the real height when it renders).
        let stats = session.page_stats();
        for (page, stats) in session.pages.iter_mut().zip(stats) {
            page.doc_size = SizePx {
                width: page.viewport.width,
                height: (stats.max_depth_px.ceil() as u32).max(page.viewport.height),
            };
        }
    }
    Ok((sessions, converter.warnings))
}

/// What a document holding no rrweb events is, for the error: the top-level keys of an object,
/// or the length of an array and the shape of its first item (of the first line for JSON Lines).
fn describe_shape(doc: &[u8], sink: &Sink<'_>) -> String {
    let mut de = serde_json::Deserializer::from_slice(doc);
    // Past serde_json's recursion limit (deeply nested arrays), only the outer kind is named.
    let shape = Shape::deserialize(&mut de).unwrap_or(match doc.trim_ascii_start().first() {
        Some(b'[') => Shape::Other(
            "JSON array whose items are not rrweb events (nested too deeply to describe)",
        ),
        Some(b'{') => Shape::Other("JSON object nested too deeply to describe"),
        _ => Shape::Other("JSON"),
    });
    let lines = if sink.events.iter().any(|e| e.line > 0) {
        "JSON Lines whose first line is a "
    } else {
        ""
    };
    match shape {
        Shape::Object(keys) => format!(
            "{lines}JSON object with keys {}: neither a SessionLens session nor an rrweb recording",
            key_list(&keys)
        ),
        Shape::Array(len, first) => format!(
            "{lines}JSON array of {len} item{} that {} not rrweb events (no numeric \"type\"{})",
            if len == 1 { "" } else { "s" },
            if len == 1 { "is" } else { "are" },
            first.map_or_else(String::new, |f| format!("; first item: {f}"))
        ),
        Shape::Other(what) if what.starts_with("JSON array") => format!("{lines}{what}"),
        Shape::Other(what) => format!("{lines}{what}: not a recording"),
    }
}

/// `{"a", "b"}`, at most 8 keys.
fn key_list(keys: &[String]) -> String {
    let mut shown: Vec<String> = keys.iter().take(8).map(|k| format!("{k:?}")).collect();
    if keys.len() > 8 {
        shown.push(format!("… {} more", keys.len() - 8));
    }
    format!("{{{}}}", shown.join(", "))
}

/// The outline of a JSON value, read without building it.
enum Shape {
    /// An object's keys, in file order.
    Object(Vec<String>),
    /// An array's length and the outline of its first item.
    Array(usize, Option<String>),
    /// Anything else.
    Other(&'static str),
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                Ok(Shape::Object(keys))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                let first = seq.next_element::<Item>()?;
                let mut len = usize::from(first.is_some());
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    len += 1;
                }
                Ok(Shape::Array(len, first.map(|i| i.0)))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Other("a JSON boolean"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Other("a JSON number"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Other("a JSON number"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Other("a JSON number"))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::Other("a JSON string"))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Shape, E> {
                Ok(Shape::Other("JSON null"))
            }
        }
        /// The outline of an array's first item, as text.
        struct Item(String);
        impl<'de> serde::Deserialize<'de> for Item {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self(match d.deserialize_any(V)? {
                    Shape::Object(keys) => format!("object with keys {}", key_list(&keys)),
                    Shape::Array(len, _) => format!("array of {len}"),
                    Shape::Other(what) => what.to_owned(),
                }))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Parses a whole document, or JSON Lines when the first value is followed by more values.
fn parse_document<'a>(
    doc: &'a [u8],
    file_name: &str,
    defer_data: bool,
) -> Result<Sink<'a>, FormatError> {
    let mut sink = Sink::new(defer_data);
    let whole = parse_value(doc, &mut sink);
    let trailing = match &whole {
        Ok(()) => false,
        Err(e) => e.to_string().starts_with("trailing characters"),
    };
    if !trailing {
        return match whole {
            Ok(()) => Ok(sink),
            Err(e) => Err(json_error(file_name, &sink, &e, 0)),
        };
    }
    let mut sink = Sink::new(defer_data);
    for (n, line) in doc.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        sink.line = n + 1;
        if let Err(e) = parse_value(line, &mut sink) {
            return Err(json_error(file_name, &sink, &e, n + 1));
        }
    }
    Ok(sink)
}

/// Parses one JSON value into `sink`, then checks that only white space follows.
fn parse_value<'a>(doc: &'a [u8], sink: &mut Sink<'a>) -> Result<(), serde_json::Error> {
    // Deferring, valid UTF-8 (checked once, fast) is read as text: serde_json then checks no
    // string again, and the deferred `data` slices need no check of their own. Anything else
    // is read as bytes, as the eager reader does (it accepts invalid UTF-8 in skipped strings).
    if sink.defer_data
        && let Ok(text) = std::str::from_utf8(doc)
    {
        return parse_with(serde_json::Deserializer::from_str(text), sink);
    }
    parse_with(serde_json::Deserializer::from_slice(doc), sink)
}

/// Reads one JSON value from `de` into `sink`, then checks that only white space follows.
fn parse_with<'a, R: serde_json::de::Read<'a>>(
    mut de: serde_json::Deserializer<R>,
    sink: &mut Sink<'a>,
) -> Result<(), serde_json::Error> {
    // Safe: every recursive structure is depth-capped by the seeds and types in `raw`, and
    // everything else is skipped with serde_json's non-recursive `IgnoredAny`.
    de.disable_recursion_limit();
    ItemSeed { sink, depth: 0 }.deserialize(&mut de)?;
    de.end()
}

/// A serde_json error as a [`FormatError::Json`], naming the event being read.
fn json_error(
    file: &str,
    sink: &Sink<'_>,
    error: &serde_json::Error,
    jsonl_line: usize,
) -> FormatError {
    let message = error.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |i| &message[..i])
        .to_owned();
    let message = if error.is_eof() {
        format!("{message}: the file ends early (truncated?)")
    } else {
        message
    };
    let path = if jsonl_line > 0 {
        format!("line {jsonl_line}")
    } else {
        format!("events[{}]", sink.events.len())
    };
    FormatError::Json {
        file: file.to_owned(),
        path,
        message,
        line: if jsonl_line > 0 {
            jsonl_line
        } else {
            error.line()
        },
        column: error.column(),
    }
}

/// The session id derived from a file name: its stem without recording extensions.
fn stem_of(file_name: &str) -> String {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .to_owned();
    let mut stem = base.as_str();
    for ext in [
        ".gz", ".jsonl", ".ndjson", ".json", ".js", ".txt", ".events", ".rrweb",
    ] {
        if let Some(s) = stem.strip_suffix(ext)
            && !s.is_empty()
        {
            stem = s;
        }
    }
    // A second pass for names like `x.events.json.gz`.
    for ext in [".jsonl", ".json", ".js", ".events", ".rrweb"] {
        if let Some(s) = stem.strip_suffix(ext)
            && !s.is_empty()
        {
            stem = s;
        }
    }
    if stem.trim().is_empty() {
        return "rrweb-recording".to_owned();
    }
    // A download saved under a generic name (Sentry's recording download) is named by its
    // folder, as that replay's segment files are: importing both gives one session.
    if GENERIC_STEMS.contains(&stem.to_ascii_lowercase().as_str())
        && let Some(folder) = file_name
            .rsplit(['/', '\\'])
            .nth(1)
            .filter(|f| !f.is_empty() && *f != "." && *f != "..")
    {
        return folder.to_owned();
    }
    stem.to_owned()
}

/// File stems that say what a file is, not which recording: such a file takes its folder's name.
const GENERIC_STEMS: [&str; 4] = [
    "recording-segments",
    "recording_segments",
    "segments",
    "recording",
];

/// An epoch-ms timestamp, if it is a sane number.
fn timestamp_ms(n: Num) -> Option<i64> {
    let v = n.0?;
    (v.is_finite() && (0.0..=MAX_TIMESTAMP_MS).contains(&v)).then(|| v.round() as i64)
}

/// Conversion state shared by the sessions of one file.
struct Converter<'l> {
    limits: &'l Limits,
    file: &'l str,
    warnings: Warnings,
    /// Bytes inflated from compressed strings so far.
    inflated: u64,
    /// Model events produced so far (checked against `limits.max_events`).
    converted_events: usize,
    /// Where `data` kept by its place ([`Data::InFile`]) is read back from.
    source: Option<&'l stream::DataFile>,
}

/// Per-session state: targets and the time span.
#[derive(Default)]
struct SessionState {
    targets: Vec<ElementDescriptor>,
    target_index: HashMap<String, u32>,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    /// (tab, page view, field target) pairs whose form was recorded (`forms::form_field`).
    form_fields_seen: std::collections::HashSet<(u32, u32, u32)>,
}

impl SessionState {
    fn saw(&mut self, t: i64) {
        self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
        self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
    }

    /// The index of `descriptor` in the session's targets, adding it when new.
    fn intern(&mut self, descriptor: ElementDescriptor) -> u32 {
        let key = descriptor_key(&descriptor);
        if let Some(i) = self.target_index.get(&key) {
            return *i;
        }
        let i = u32::try_from(self.targets.len()).unwrap_or(u32::MAX);
        self.targets.push(descriptor);
        self.target_index.insert(key, i);
        i
    }
}

/// A key that is equal exactly when two descriptors are equal.
fn descriptor_key(d: &ElementDescriptor) -> String {
    let o = |s: &Option<String>| s.as_deref().map_or("\u{1}".to_owned(), str::to_owned);
    [
        d.tag.clone(),
        o(&d.id),
        d.classes.join(" "),
        o(&d.role),
        o(&d.href),
        o(&d.text),
        d.selector.clone(),
        o(&d.name),
        o(&d.input_type),
        d.fixed.to_string(),
    ]
    .join("\u{0}")
}

/// Per-tab (window) state.
struct Tab {
    index: u32,
    pages: Vec<PageView>,
    /// Per page view: true when a route change (not a page load) started it, so the page view
    /// before it is the same document.
    by_route: Vec<bool>,
    current: Option<usize>,
    mirror: Mirror,
    /// The viewport now (from the last Meta or resize).
    viewport: SizePx,
    /// The document scroll a route change carried over, not yet given to the route's page
    /// view: (entry time, offset). See `Converter::settle_carry`.
    pending_carry: Option<(i64, ScrollOffset)>,
    scroll: ScrollOffset,
    /// Document scroll changes on the current page, in time order.
    scroll_history: Vec<(i64, ScrollOffset)>,
    /// A DomContentLoaded or Load event was seen since the last Meta (a real page load).
    load_since_meta: bool,
    events: Vec<Event>,
    /// Page and time of the last DomChange, to coalesce duplicates.
    last_dom: Option<(u32, i64)>,
    issues: MirrorIssues,
}

impl Tab {
    fn new(index: u32) -> Self {
        Self {
            index,
            pages: Vec::new(),
            by_route: Vec::new(),
            current: None,
            mirror: Mirror::default(),
            viewport: SizePx::default(),
            pending_carry: None,
            scroll: ScrollOffset::default(),
            scroll_history: Vec::new(),
            load_since_meta: false,
            events: Vec::new(),
            last_dom: None,
            issues: MirrorIssues::default(),
        }
    }

    /// Starts a page view at `t`.
    fn start_page(&mut self, url: String, t: i64, viewport: SizePx) {
        self.pages.push(PageView {
            url,
            entered_at_ms: t,
            left_at_ms: t,
            viewport,
            tab: self.index,
            ..PageView::default()
        });
        self.by_route.push(false);
        self.current = Some(self.pages.len() - 1);
        self.mirror = Mirror::default();
        self.viewport = viewport;
        self.scroll = ScrollOffset::default();
        self.scroll_history.clear();
        self.last_dom = None;
    }

    /// Starts a page view at `t` for an SPA route change: the same document, so the DOM
    /// mirror, the scroll and the viewport carry over.
    fn start_route(&mut self, url: String, t: i64) {
        self.pages.push(PageView {
            url,
            entered_at_ms: t,
            left_at_ms: t,
            viewport: self.viewport,
            tab: self.index,
            ..PageView::default()
        });
        self.by_route.push(true);
        self.current = Some(self.pages.len() - 1);
        self.last_dom = None;
    }

    /// The page view of an event at `t`: the current one, or, for a sample dated before the
    /// current page view began (mouse samples are flushed late), the earlier page view of the
    /// same document it happened on.
    fn page_at(&self, t: i64) -> Option<usize> {
        let mut i = self.current?;
        while i > 0
            && self.by_route.get(i).copied().unwrap_or(false)
            && self.pages.get(i).is_some_and(|p| p.entered_at_ms > t)
        {
            i -= 1;
        }
        Some(i)
    }

    /// The document scroll in effect at `t` on the current page.
    fn scroll_at(&self, t: i64) -> ScrollOffset {
        let after = self.scroll_history.partition_point(|(at, _)| *at <= t);
        after
            .checked_sub(1)
            .and_then(|i| self.scroll_history.get(i))
            .map_or_else(ScrollOffset::default, |(_, offset)| *offset)
    }

    fn set_scroll(&mut self, t: i64, offset: ScrollOffset) {
        self.scroll = offset;
        self.scroll_history.push((t, offset));
    }
}

impl Converter<'_> {
    /// Converts all events of the file, grouped into sessions by recording id.
    fn convert(
        &mut self,
        events: &[RawEvent<'_>],
        file_name: &str,
    ) -> Result<Vec<Session>, FormatError> {
        // Group by session id; events without one belong to the session of the event before.
        let mut ids: Vec<&str> = Vec::new();
        for e in events {
            if let Some(s) = e.session.as_deref()
                && !s.trim().is_empty()
                && !ids.contains(&s)
            {
                ids.push(s);
            }
        }
        let mut groups: Vec<Vec<&RawEvent<'_>>> = vec![Vec::new(); ids.len().max(1)];
        let mut current = 0usize;
        for e in events {
            if let Some(s) = e.session.as_deref()
                && let Some(i) = ids.iter().position(|id| *id == s)
            {
                current = i;
            }
            if let Some(group) = groups.get_mut(current) {
                group.push(e);
            }
        }
        let mut sessions = Vec::with_capacity(groups.len());
        for (i, group) in groups.into_iter().enumerate() {
            let explicit = ids.get(i).map(|s| (*s).to_owned());
            let session = self.convert_session(&group, explicit, file_name)?;
            if let Some(session) = session {
                if let Err(crate::model::ModelError::Invalid { path, message }) =
                    session.validate(self.limits)
                {
                    let path = if ids.len() > 1 {
                        format!("session {}: {path}", session.session_id)
                    } else {
                        path
                    };
                    return Err(FormatError::Invalid {
                        file: self.file.to_owned(),
                        path,
                        message,
                    });
                }
                sessions.push(session);
            }
        }
        Ok(sessions)
    }

    /// Converts the events of one session; `None` when none of them had a valid timestamp.
    fn convert_session(
        &mut self,
        events: &[&RawEvent<'_>],
        explicit_id: Option<String>,
        file_name: &str,
    ) -> Result<Option<Session>, FormatError> {
        // Split into tabs by window id, in order of first appearance.
        let mut windows: Vec<Option<&str>> = Vec::new();
        let mut by_tab: Vec<Vec<(i64, &RawEvent<'_>)>> = Vec::new();
        let mut state = SessionState::default();
        for e in events {
            if e.kind.as_id().is_none() {
                self.check_deferred(e, &Prepared::NotRead)?;
                self.warnings.add(warn::NOT_EVENT, || place(e));
                continue;
            }
            let Some(t) =
                event_time_ms(e, self.source).map_err(|err| deferred_error(file_name, e, &err))?
            else {
                self.check_deferred(e, &Prepared::NotRead)?;
                self.warnings.add(warn::BAD_TIME, || place(e));
                continue;
            };
            let window = e.window.as_deref();
            let tab = match windows.iter().position(|w| *w == window) {
                Some(i) => i,
                None => {
                    windows.push(window);
                    by_tab.push(Vec::new());
                    windows.len() - 1
                }
            };
            if let Some(list) = by_tab.get_mut(tab) {
                list.push((t, *e));
            }
        }
        let mut tabs = Vec::with_capacity(by_tab.len());
        for (i, mut list) in by_tab.into_iter().enumerate() {
            list.sort_by_key(|(t, _)| *t);
            let mut tab = Tab::new(u32::try_from(i).unwrap_or(u32::MAX));
            self.process_tab(&mut tab, &mut state, &list)?;
            if tab.issues.unknown_nodes > 0 {
                self.warnings
                    .add_count(warn::UNKNOWN_NODE, tab.issues.unknown_nodes, || {
                        format!("tab {i}")
                    });
            }
            if tab.issues.bad_ids > 0 {
                self.warnings
                    .add_count(warn::BAD_ID, tab.issues.bad_ids, || format!("tab {i}"));
            }
            self.settle_carry(&mut tab, None)?;
            tabs.push(tab);
        }
        let (Some(start), Some(end)) = (state.first_ms, state.last_ms) else {
            return Ok(None);
        };

        // Close page views, then order them by entry time across tabs.
        let mut all_pages: Vec<(usize, usize, PageView)> = Vec::new();
        for (ti, tab) in tabs.iter_mut().enumerate() {
            let entries: Vec<i64> = tab.pages.iter().map(|p| p.entered_at_ms).collect();
            for (pi, page) in tab.pages.iter_mut().enumerate() {
                page.left_at_ms = entries
                    .get(pi + 1)
                    .copied()
                    .unwrap_or(end)
                    .max(page.entered_at_ms);
                all_pages.push((ti, pi, page.clone()));
            }
        }
        all_pages.sort_by_key(|(ti, pi, p)| (p.entered_at_ms, *ti, *pi));
        let mut remap: Vec<Vec<u32>> = tabs.iter().map(|t| vec![0; t.pages.len()]).collect();
        for (global, (ti, pi, _)) in all_pages.iter().enumerate() {
            if let Some(slot) = remap.get_mut(*ti).and_then(|r| r.get_mut(*pi)) {
                *slot = u32::try_from(global).unwrap_or(u32::MAX);
            }
        }
        // The first tab's list becomes the session's (no second copy of the events).
        let mut events_out: Vec<Event> = Vec::new();
        for (ti, tab) in tabs.into_iter().enumerate() {
            let mut events = tab.events;
            for e in &mut events {
                e.page = remap
                    .get(ti)
                    .and_then(|r| r.get(e.page as usize))
                    .copied()
                    .unwrap_or(0);
            }
            if events_out.is_empty() {
                events_out = events;
            } else {
                events_out.append(&mut events);
            }
        }
        events_out.sort_by_key(|e| e.timestamp_ms);
        let pages: Vec<PageView> = all_pages.into_iter().map(|(_, _, p)| p).collect();

        let session_id = explicit_id
            .or_else(|| {
                events
                    .iter()
                    .find_map(|e| e.window.as_deref())
                    .filter(|w| !w.trim().is_empty())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| stem_of(file_name));
        let landing = pages
            .iter()
            .find(|p| !p.url.is_empty())
            .map(|p| p.url.clone());
        let mut session = Session {
            session_id,
            started_at_ms: start,
            duration_ms: end - start,
            pages,
            targets: state.targets,
            events: events_out,
            ..Session::default()
        };
        session.device =
            DeviceClass::from_viewport(session.initial_viewport().width, session.used_touch());
        if let Some(url) = landing {
            session.source = TrafficSource::from_landing_url(&url, None);
        }
        Ok(Some(session))
    }

    /// Converts the events of one tab, in time order. The deferred `data` of a long list is
    /// read a batch ahead of the conversion ([`prepare_batch`]) on a second thread, and on
    /// this one whenever it would otherwise wait.
    fn process_tab(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        list: &[(i64, &RawEvent<'_>)],
    ) -> Result<(), FormatError> {
        let deferred_bytes: usize = list
            .iter()
            .map(|(_, e)| match &e.data {
                Data::Deferred(text) => text.len(),
                Data::InFile { len, .. } => *len,
                _ => 0,
            })
            .sum();
        if deferred_bytes < READ_AHEAD_MIN_BYTES {
            for &(t, e) in list {
                state.saw(t);
                self.process(tab, state, e, t, &Prepared::NotRead)?;
            }
            return Ok(());
        }
        let limit = self.limits.max_dom_depth;
        let source = self.source;
        let ranges = batch_ranges(list);
        // The next batch nobody reads yet: the read-ahead thread takes them in order, and so
        // does the conversion whenever it would otherwise wait.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let claim = || next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(READ_AHEAD_BATCHES);
            // Converted batches go back to the read-ahead thread, which frees them: memory is
            // then freed by the thread that allocated it (glibc's arenas lock when another
            // thread frees into them), and what it frees it reuses for the next batches.
            let (spent_sender, spent) = std::sync::mpsc::channel::<Batch<'_>>();
            let (ranges, claim) = (&ranges, &claim);
            let reader = std::thread::Builder::new()
                .name("rrweb-read-ahead".to_owned())
                .stack_size(PARSE_STACK_BYTES)
                .spawn_scoped(scope, move || {
                    raw::set_dom_depth_limit(limit);
                    while let Some(range) = ranges.get(claim()) {
                        let batch =
                            prepare_batch(list.get(range.clone()).unwrap_or_default(), source);
                        while let Ok(converted) = spent.try_recv() {
                            drop(converted);
                        }
                        if sender.send((range.start, batch)).is_err() {
                            break;
                        }
                    }
                    drop(sender);
                    // Frees the rest as the conversion hands it back.
                    for converted in spent.iter() {
                        drop(converted);
                    }
                });
            let mut reader_gone = reader.is_err();
            // Batches read and not converted yet, by first event, and whether read here.
            let mut ready: HashMap<usize, (Batch<'_>, bool)> = HashMap::new();
            for range in ranges {
                let (batch, read_here) = loop {
                    if let Some(found) = ready.remove(&range.start) {
                        break found;
                    }
                    if !reader_gone {
                        match receiver.try_recv() {
                            Ok((start, batch)) => {
                                ready.insert(start, (batch, false));
                                continue;
                            }
                            Err(std::sync::mpsc::TryRecvError::Empty) => {}
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => reader_gone = true,
                        }
                    }
                    // Nothing to convert: read the next batch here rather than wait.
                    if (reader_gone || ready.len() < READ_AHEAD_BATCHES)
                        && let Some(other) = ranges.get(claim())
                    {
                        let batch =
                            prepare_batch(list.get(other.clone()).unwrap_or_default(), source);
                        ready.insert(other.start, (batch, true));
                        continue;
                    }
                    if reader_gone {
                        // Not sent by a reader that stopped: read here.
                        let batch =
                            prepare_batch(list.get(range.clone()).unwrap_or_default(), source);
                        break (batch, true);
                    }
                    match receiver.recv() {
                        Ok((start, batch)) => {
                            ready.insert(start, (batch, false));
                        }
                        Err(_) => reader_gone = true,
                    }
                };
                let mut events = list.get(range.clone()).unwrap_or_default().iter();
                batch.for_each(|prepared| {
                    let Some(&(t, e)) = events.next() else {
                        return Ok(false);
                    };
                    state.saw(t);
                    self.process(tab, state, e, t, prepared)?;
                    Ok(true)
                })?;
                if !read_here {
                    // Dropped here if the read-ahead thread is gone.
                    let _ = spent_sender.send(batch);
                }
            }
            Ok(())
        })
    }

    /// Reads the deferred `data` of an event that is not converted, so that a file whose
    /// eager read fails fails here too (see [`raw::Sink::defer_data`]).
    fn check_deferred(&self, e: &RawEvent<'_>, prepared: &Prepared<'_>) -> Result<(), FormatError> {
        match (prepared, &e.data) {
            (Prepared::Failed(err), _) => Err(deferred_error(self.file, e, err)),
            (Prepared::NotRead, Data::Deferred(text)) => parse_deferred(text)
                .map(drop)
                .map_err(|err| deferred_error(self.file, e, &err)),
            (Prepared::NotRead, Data::InFile { offset, len }) => {
                read_back(self.source, *offset, *len)
                    .and_then(|text| parse_deferred(&text).map(drop))
                    .map_err(|err| deferred_error(self.file, e, &err))
            }
            _ => Ok(()),
        }
    }

    /// Converts one event of a tab.
    fn process(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        e: &RawEvent<'_>,
        t: i64,
        prepared: &Prepared<'_>,
    ) -> Result<(), FormatError> {
        let Some(kind) = e.kind.as_id() else {
            return Ok(());
        };
        self.settle_carry(tab, Some(t))?;
        if matches!(kind, 0 | 1) {
            self.check_deferred(e, prepared)?;
            tab.load_since_meta = true;
            return Ok(());
        }
        if !matches!(kind, 2..=7) {
            self.check_deferred(e, prepared)?;
            self.warnings.add(warn::UNKNOWN_TYPE, || {
                format!("type {kind} at {}", place(e))
            });
            return Ok(());
        }
        let empty = EventData::default();
        let inflated;
        let unpacked;
        let read_back_text;
        let deferred;
        let data: &EventData<'_> = match &e.data {
            Data::Plain(d) => d,
            Data::Missing => &empty,
            Data::Deferred(text) => match prepared {
                Prepared::Read(data) => data,
                Prepared::Failed(err) => return Err(deferred_error(self.file, e, err)),
                Prepared::NotRead => {
                    deferred =
                        parse_deferred(text).map_err(|err| deferred_error(self.file, e, &err))?;
                    &deferred
                }
            },
            Data::InFile { offset, len } => match prepared {
                Prepared::Read(data) => data,
                Prepared::Failed(err) => return Err(deferred_error(self.file, e, err)),
                Prepared::NotRead => {
                    read_back_text = read_back(self.source, *offset, *len)
                        .map_err(|err| deferred_error(self.file, e, &err))?;
                    deferred = parse_deferred(&read_back_text)
                        .map_err(|err| deferred_error(self.file, e, &err))?;
                    &deferred
                }
            },
            Data::Packed(s) => {
                let Some(bytes) = self.inflate(s, e, "data")? else {
                    return Ok(());
                };
                inflated = bytes;
                match parse_event_data(&inflated) {
                    Ok(d) => {
                        unpacked = d;
                        &unpacked
                    }
                    Err(err) => {
                        self.warnings
                            .add(warn::BAD_PACKED, || format!("{}: data: {err}", place(e)));
                        return Ok(());
                    }
                }
            }
        };
        if matches!(kind, 2 | 3 | 6) {
            // Before any state change, so an implicit page view does not reset it. (A custom
            // event may name the page itself: `custom` opens one when needed.)
            self.page(tab, t);
        }
        match kind {
            4 => self.meta(tab, data, t)?,
            2 => self.full_snapshot(tab, data, e, t)?,
            3 => self.incremental(tab, state, data, e, t)?,
            5 => self.custom(tab, data, e, t)?,
            6 => self.plugin(tab, state, data, t)?,
            _ => {} // 7: Asset
        }
        Ok(())
    }

    /// Meta: a page load starts a page view. A Meta repeating the current URL without a page
    /// load (DomContentLoaded/Load) since the last Meta is a checkout (a periodic re-snapshot)
    /// and keeps the page view.
    fn meta(&mut self, tab: &mut Tab, data: &EventData<'_>, t: i64) -> Result<(), FormatError> {
        self.settle_carry(tab, None)?;
        let href = data.href.get().unwrap_or("").to_owned();
        let viewport = self.size(data.width, data.height, t).unwrap_or_default();
        // A route's URL may come from a recorder that leaves out the fragment: compared as a
        // route change would be.
        let checkout = tab.current.is_some_and(|c| {
            tab.pages.get(c).is_some_and(|p| {
                p.url == href
                    || (tab.by_route.get(c).copied().unwrap_or(false)
                        && !recorders::is_new_route(&p.url, &href))
            })
        }) && !tab.load_since_meta;
        tab.load_since_meta = false;
        if checkout {
            // A page view a route event opened before any Meta learns its viewport here.
            if let Some(page) = tab.current.and_then(|c| tab.pages.get_mut(c))
                && page.viewport == SizePx::default()
            {
                page.viewport = viewport;
            }
            if viewport != SizePx::default() {
                tab.viewport = viewport;
            }
            return Ok(());
        }
        tab.start_page(href, t, viewport);
        Ok(())
    }

    /// An SPA route change (history.pushState and the like, reported by the recorder) to
    /// `url` (absolute, or relative to the current page): a new page view of the same
    /// document, unless it names the page view's own URL (see `recorders::is_new_route`).
    /// The scroll carries over (see `settle_carry`).
    fn route_change(&mut self, tab: &mut Tab, url: &str, t: i64) -> Result<(), FormatError> {
        let Some(current) = tab.current.and_then(|c| tab.pages.get(c)) else {
            // No page view yet (the route event came before the first Meta): it names one.
            tab.start_page(url.to_owned(), t, SizePx::default());
            return Ok(());
        };
        let resolved = recorders::resolve_url(&current.url, url);
        if !recorders::is_new_route(&current.url, &resolved) {
            return Ok(());
        }
        self.settle_carry(tab, None)?;
        tab.start_route(resolved, t);
        if tab.scroll != ScrollOffset::default() {
            tab.pending_carry = Some((t, tab.scroll));
        }
        Ok(())
    }

    /// The scroll a route change carried over becomes the route's own (a `Scroll` at the
    /// route's entry, so replay, heatmaps and `page_stats` start there) unless the app sets the
    /// route's scroll itself within [`ROUTE_SCROLL_SETTLE_MS`] (a document scroll then drops
    /// it: the offset belonged to the old content). Called with the time of each event (`None`:
    /// settle now, as at a click, a page load, another route change or the end of the tab).
    fn settle_carry(&mut self, tab: &mut Tab, now: Option<i64>) -> Result<(), FormatError> {
        let Some((entry, offset)) = tab.pending_carry else {
            return Ok(());
        };
        if now.is_some_and(|t| t <= entry + ROUTE_SCROLL_SETTLE_MS) {
            return Ok(());
        }
        tab.pending_carry = None;
        self.push(tab, entry, EventKind::Scroll { offset })
    }

    /// The current page of `tab`, starting an unnamed one when events come before any Meta.
    fn page(&mut self, tab: &mut Tab, t: i64) -> u32 {
        let current = match tab.current {
            Some(c) => c,
            None => {
                self.warnings.add(warn::NO_META, || format!("t = {t}"));
                tab.start_page(String::new(), t, SizePx::default());
                tab.pages.len() - 1
            }
        };
        u32::try_from(current).unwrap_or(u32::MAX)
    }

    fn push(&mut self, tab: &mut Tab, t: i64, kind: EventKind) -> Result<(), FormatError> {
        self.converted_events += 1;
        if self.converted_events > self.limits.max_events {
            return Err(FormatError::TooLarge {
                file: self.file.to_owned(),
                what: "the number of events".to_owned(),
                limit: format!("{} events", self.limits.max_events),
            });
        }
        let current = self.page(tab, t);
        let page = tab
            .page_at(t)
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(current);
        tab.events.push(Event {
            timestamp_ms: t,
            page,
            kind,
        });
        Ok(())
    }

    fn full_snapshot(
        &mut self,
        tab: &mut Tab,
        data: &EventData<'_>,
        e: &RawEvent<'_>,
        t: i64,
    ) -> Result<(), FormatError> {
        self.page(tab, t);
        match &data.node.0 {
            Some(node) => {
                tab.mirror.load_snapshot(node, &mut tab.issues);
                if let Some(signature) = tab.mirror.structure_signature() {
                    self.push(tab, t, EventKind::PageStructure { signature })?;
                }
            }
            None => {
                self.warnings.add(warn::NO_SNAPSHOT, || place(e));
                tab.mirror = Mirror::default();
            }
        }
        if let Some(offset) = data.initial_offset.0 {
            let x = offset.left.0.unwrap_or(0.0);
            let y = offset.top.0.unwrap_or(0.0);
            match self.offset(x, y) {
                Some(offset) if offset != tab.scroll => {
                    tab.set_scroll(t, offset);
                    self.push(tab, t, EventKind::Scroll { offset })?;
                }
                Some(_) => {}
                None => self.warnings.add(warn::BAD_COORDINATE, || {
                    format!("{}: initialOffset", place(e))
                }),
            }
        }
        Ok(())
    }

    fn incremental(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        data: &EventData<'_>,
        e: &RawEvent<'_>,
        t: i64,
    ) -> Result<(), FormatError> {
        let Some(source) = data.source.as_id() else {
            self.warnings.add(warn::UNKNOWN_SOURCE, || {
                format!("no source at {}", place(e))
            });
            return Ok(());
        };
        match source {
            0 => {
                let errors = self.mutation(tab, data, e)?;
                self.dom_change(tab, t)?;
                self.field_errors(tab, state, &errors, t)?;
            }
            1 | 6 | 12 => {
                let pointer = if source == 6 {
                    PointerType::Touch
                } else {
                    PointerType::Mouse
                };
                for p in &data.positions.items {
                    let offset = p.time_offset.0.unwrap_or(0.0);
                    if !offset.is_finite() || offset.abs() > MAX_TIME_OFFSET_MS {
                        self.warnings.add(warn::BAD_TIME, || {
                            format!("{}: positions[].timeOffset", place(e))
                        });
                        continue;
                    }
                    let at = t.saturating_add(offset.round() as i64);
                    let Some(pos) = self.viewport_pos(p.x, p.y) else {
                        self.warnings.add(warn::BAD_COORDINATE, || {
                            format!("{}: positions[].x/y", place(e))
                        });
                        continue;
                    };
                    let Some(pos_in_page) = self.page_pos(tab.scroll_at(at), pos) else {
                        self.warnings.add(warn::BAD_COORDINATE, || {
                            format!("{}: positions[] + scroll", place(e))
                        });
                        continue;
                    };
                    state.saw(at);
                    self.push(
                        tab,
                        at,
                        EventKind::PointerMove {
                            pos_in_page,
                            pointer,
                        },
                    )?;
                }
            }
            2 => self.interaction(tab, state, data, e, t)?,
            3 => {
                let Some(offset) =
                    self.offset(data.x.0.unwrap_or(f64::NAN), data.y.0.unwrap_or(f64::NAN))
                else {
                    self.warnings
                        .add(warn::BAD_COORDINATE, || format!("{}: scroll x/y", place(e)));
                    return Ok(());
                };
                let id = data.id.as_id();
                if id.is_none_or(|id| tab.mirror.is_document_scroller(id)) {
                    // The app set the new route's scroll: the carried one was never its own.
                    tab.pending_carry = None;
                    tab.set_scroll(t, offset);
                    self.push(tab, t, EventKind::Scroll { offset })?;
                } else {
                    let target = self.target(tab, state, data.id);
                    self.push(tab, t, EventKind::ElementScroll { target, offset })?;
                }
            }
            4 => {
                if let Some(viewport) = self.size(data.width, data.height, t) {
                    tab.viewport = viewport;
                    self.push(tab, t, EventKind::Resize { viewport })?;
                }
            }
            5 => {
                let target = self.target(tab, state, data.id);
                self.form_field(tab, state, data.id.as_id(), target, t)?;
                let value_len = data
                    .text
                    .get()
                    .map_or(0, |s| u32::try_from(s.chars().count()).unwrap_or(u32::MAX));
                let checked = data
                    .id
                    .as_id()
                    .and_then(|id| tab.mirror.input_type(id))
                    .filter(|ty| matches!(ty.as_str(), "checkbox" | "radio"))
                    .and(data.is_checked.0);
                // The typed text travels to the import, which drops it unless the user opted
                // in (`--keep-typed-values`) and always for sensitive fields
                // (ElementDescriptor::is_sensitive_field). Text rrweb masked (`***`) is no value.
                let value = data
                    .text
                    .get()
                    .filter(|s| !s.is_empty() && !s.chars().all(|c| c == '*'))
                    .map(|s| s.to_owned());
                self.push(
                    tab,
                    t,
                    EventKind::Input {
                        target,
                        value_len,
                        value,
                        checked,
                    },
                )?;
            }
            7 | 8 | 9 | 13 | 15 => self.dom_change(tab, t)?,
            10 | 11 | 14 | 16 => {} // Font, Log, Selection, CustomElement: not modelled
            other => self.warnings.add(warn::UNKNOWN_SOURCE, || {
                format!("source {other} at {}", place(e))
            }),
        }
        Ok(())
    }

    fn interaction(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        data: &EventData<'_>,
        e: &RawEvent<'_>,
        t: i64,
    ) -> Result<(), FormatError> {
        let kind = match data.kind.as_id() {
            Some(2) => ClickKind::Click,
            Some(3) => ClickKind::ContextMenu,
            Some(4) => ClickKind::DoubleClick,
            Some(7) => ClickKind::TouchStart,
            Some(9) => ClickKind::TouchEnd,
            Some(5) => {
                let target = self.target(tab, state, data.id);
                self.form_field(tab, state, data.id.as_id(), target, t)?;
                return self.push(tab, t, EventKind::Focus { target });
            }
            Some(6) => {
                let target = self.target(tab, state, data.id);
                self.form_field(tab, state, data.id.as_id(), target, t)?;
                return self.push(tab, t, EventKind::Blur { target });
            }
            Some(0 | 1 | 8 | 10) => return Ok(()), // MouseUp/Down, TouchMove_Departed, TouchCancel
            other => {
                self.warnings.add(warn::UNKNOWN_INTERACTION, || {
                    format!("type {other:?} at {}", place(e))
                });
                return Ok(());
            }
        };
        // The visitor clicks on the route at the scroll it was entered with.
        self.settle_carry(tab, None)?;
        let pointer = data
            .pointer_type
            .as_id()
            .and_then(|c| u64::try_from(c).ok())
            .and_then(PointerType::from_code)
            .unwrap_or(
                if matches!(kind, ClickKind::TouchStart | ClickKind::TouchEnd) {
                    PointerType::Touch
                } else {
                    PointerType::Mouse
                },
            );
        let Some(pos_in_viewport) = self.viewport_pos(data.x, data.y) else {
            self.warnings
                .add(warn::BAD_COORDINATE, || format!("{}: click x/y", place(e)));
            return Ok(());
        };
        let Some(pos_in_page) = self.page_pos(tab.scroll, pos_in_viewport) else {
            self.warnings.add(warn::BAD_COORDINATE, || {
                format!("{}: click x/y + scroll", place(e))
            });
            return Ok(());
        };
        let target = self.target(tab, state, data.id);
        self.push(
            tab,
            t,
            EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                kind,
                pointer,
                target,
            },
        )?;
        if kind == ClickKind::Click {
            self.form_submit(tab, state, data.id.as_id(), t)?;
        }
        Ok(())
    }

    /// One DomChange marker per page and timestamp.
    fn dom_change(&mut self, tab: &mut Tab, t: i64) -> Result<(), FormatError> {
        let page = self.page(tab, t);
        if tab.last_dom == Some((page, t)) {
            return Ok(());
        }
        tab.last_dom = Some((page, t));
        self.push(tab, t, EventKind::DomChange)
    }

    /// Applies a mutation to the mirror; returns the fields whose error indicators changed.
    fn mutation(
        &mut self,
        tab: &mut Tab,
        data: &EventData<'_>,
        e: &RawEvent<'_>,
    ) -> Result<mirror::ErrorChanges, FormatError> {
        let removes = match &data.removes {
            Packable::Plain(list) => Some(Cow::Borrowed(&list.items[..])),
            packed => self.unpack(packed, e, "removes")?.map(Cow::Owned),
        };
        let adds = self.unpack_bytes(&data.adds, e, "adds")?;
        let texts = self.unpack_bytes(&data.texts, e, "texts")?;
        let attributes = self.unpack_bytes(&data.attributes, e, "attributes")?;
        let adds = self.parse_list(&data.adds, adds.as_deref(), e, "adds");
        let texts = self.parse_list(&data.texts, texts.as_deref(), e, "texts");
        let attributes = self.parse_list(&data.attributes, attributes.as_deref(), e, "attributes");
        Ok(tab.mirror.apply_mutation_noting_errors(
            removes.as_deref().unwrap_or(&[]),
            adds.as_deref().unwrap_or(&[]),
            texts.as_deref().unwrap_or(&[]),
            attributes.as_deref().unwrap_or(&[]),
            &mut tab.issues,
        ))
    }

    /// A packable list of owned items (no borrowing), inflated and parsed when packed.
    fn unpack<T: for<'de> serde::Deserialize<'de> + Clone>(
        &mut self,
        field: &Packable<'_, T>,
        e: &RawEvent<'_>,
        name: &str,
    ) -> Result<Option<Vec<T>>, FormatError> {
        match field {
            Packable::Missing => Ok(None),
            Packable::Plain(list) => Ok(Some(list.items.clone())),
            Packable::Packed(s) => {
                let Some(bytes) = self.inflate(s, e, name)? else {
                    return Ok(None);
                };
                match parse_slice::<raw::List<T>>(&bytes) {
                    Ok(list) => Ok(Some(list.items)),
                    Err(err) => {
                        self.warnings
                            .add(warn::BAD_PACKED, || format!("{}: {name}: {err}", place(e)));
                        Ok(None)
                    }
                }
            }
        }
    }

    /// The inflated bytes of a packed list (so its items can borrow from them).
    fn unpack_bytes<T>(
        &mut self,
        field: &Packable<'_, T>,
        e: &RawEvent<'_>,
        name: &str,
    ) -> Result<Option<Vec<u8>>, FormatError> {
        match field {
            Packable::Packed(s) => self.inflate(s, e, name),
            _ => Ok(None),
        }
    }

    /// The items of a packable list: borrowed from the plain list, or parsed from `bytes`.
    fn parse_list<'b, T: serde::Deserialize<'b> + Clone>(
        &mut self,
        field: &'b Packable<'b, T>,
        bytes: Option<&'b [u8]>,
        e: &RawEvent<'_>,
        name: &str,
    ) -> Option<Cow<'b, [T]>> {
        match (field, bytes) {
            (Packable::Plain(list), _) => Some(Cow::Borrowed(&list.items[..])),
            (Packable::Packed(_), Some(bytes)) => match parse_slice::<raw::List<T>>(bytes) {
                Ok(list) => Some(Cow::Owned(list.items)),
                Err(err) => {
                    self.warnings
                        .add(warn::BAD_PACKED, || format!("{}: {name}: {err}", place(e)));
                    None
                }
            },
            _ => None,
        }
    }

    /// Inflates a PostHog latin-1 gzip string, within the file's decompression budget.
    /// `Ok(None)` (with a warning) when it is not valid gzip.
    fn inflate(
        &mut self,
        packed: &str,
        e: &RawEvent<'_>,
        field: &str,
    ) -> Result<Option<Vec<u8>>, FormatError> {
        let mut bytes = Vec::with_capacity(packed.len());
        for c in packed.chars() {
            match u8::try_from(u32::from(c)) {
                Ok(b) => bytes.push(b),
                Err(_) => {
                    self.warnings.add(warn::BAD_PACKED, || {
                        format!("{}: {field}: not a latin-1 gzip string", place(e))
                    });
                    return Ok(None);
                }
            }
        }
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            self.warnings.add(warn::BAD_PACKED, || {
                format!("{}: {field}: a string that is not gzip data", place(e))
            });
            return Ok(None);
        }
        let budget = self.limits.max_inflated_bytes.saturating_sub(self.inflated);
        let mut out = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(&bytes[..])
            .take(budget.saturating_add(1))
            .read_to_end(&mut out);
        if out.len() as u64 > budget {
            return Err(FormatError::TooLarge {
                file: self.file.to_owned(),
                what: format!(
                    "{}: the decompressed `{field}` (with the file's other compressed data)",
                    place(e)
                ),
                limit: format!("{} bytes", self.limits.max_inflated_bytes),
            });
        }
        if let Err(err) = read {
            self.warnings
                .add(warn::BAD_PACKED, || format!("{}: {field}: {err}", place(e)));
            return Ok(None);
        }
        self.inflated += out.len() as u64;
        Ok(Some(out))
    }

    fn custom(
        &mut self,
        tab: &mut Tab,
        data: &EventData<'_>,
        e: &RawEvent<'_>,
        t: i64,
    ) -> Result<(), FormatError> {
        let Some(tag) = data.tag.get().filter(|s| !s.trim().is_empty()) else {
            self.warnings.add(warn::NO_TAG, || place(e));
            return Ok(());
        };
        let payload = data.payload.0.as_ref();
        match recorders::custom_meaning(tag, payload) {
            Meaning::Site => {}
            Meaning::Nothing => return Ok(()),
            Meaning::Route(url) => return self.route_change(tab, &url, t),
            Meaning::Error(message) => {
                let message = self.limit_text(&message);
                return self.push(tab, t, EventKind::Error { message });
            }
            Meaning::Network(request) => return self.network_error(tab, request, t),
            Meaning::SiteBreadcrumb {
                name,
                value,
                currency,
            } => {
                let name = self.limit_text(&name);
                let currency = currency.map(|c| self.limit_text(&c));
                return self.push(
                    tab,
                    t,
                    EventKind::Custom {
                        name,
                        value,
                        currency,
                    },
                );
            }
        }
        let name = self.limit_text(tag);
        if let Some(variant) = payload
            .and_then(|p| p.variant.get())
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            let variant = self.limit_text(variant);
            let experiment = payload
                .and_then(|p| p.experiment.get())
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| self.limit_text(x));
            self.push(
                tab,
                t,
                EventKind::Experiment {
                    event: name.clone(),
                    experiment,
                    variant,
                },
            )?;
        }
        let value = payload.and_then(|p| p.value.0).filter(|v| v.is_finite());
        let currency = payload
            .and_then(|p| p.currency.get())
            .filter(|c| !c.trim().is_empty())
            .map(|c| self.limit_text(c));
        self.push(
            tab,
            t,
            EventKind::Custom {
                name,
                value,
                currency,
            },
        )
    }

    /// A failed request, at `t`.
    fn network_error(
        &mut self,
        tab: &mut Tab,
        request: FailedRequest,
        t: i64,
    ) -> Result<(), FormatError> {
        let url = self.limit_text(&request.url);
        let method = request.method.map(|m| self.limit_text(&m));
        self.push(
            tab,
            t,
            EventKind::NetworkError {
                url,
                method,
                status: request.status,
            },
        )
    }

    fn plugin(
        &mut self,
        tab: &mut Tab,
        state: &mut SessionState,
        data: &EventData<'_>,
        t: i64,
    ) -> Result<(), FormatError> {
        let Some(payload) = data.payload.0.as_ref() else {
            return Ok(());
        };
        match data.plugin.get() {
            Some("rrweb/console@1") => {}
            Some("rrweb/network@1") => {
                for request in &payload.requests.items {
                    let Some(failed) = recorders::failed_request(request) else {
                        continue;
                    };
                    // At the request's own time when the recorder gives one (the plugin
                    // batches requests), else at the event's.
                    let at = timestamp_ms(request.timestamp)
                        .filter(|at| (t - MAX_TIME_OFFSET_MS as i64..=t).contains(at))
                        .unwrap_or(t);
                    state.saw(at);
                    self.network_error(tab, failed, at)?;
                }
                return Ok(());
            }
            _ => return Ok(()),
        }
        let message = payload
            .payload
            .0
            .iter()
            .map(|arg| unquote(arg))
            .collect::<Vec<_>>()
            .join(" ");
        let is_error = payload
            .level
            .get()
            .is_some_and(|l| l.eq_ignore_ascii_case("error"))
            || message.starts_with("Uncaught ");
        if !is_error {
            return Ok(());
        }
        let message = self.limit_text(&message);
        self.push(tab, t, EventKind::Error { message })
    }

    /// Cuts text to the string limit (at a character boundary), with a warning.
    fn limit_text(&mut self, text: &str) -> String {
        let max = self.limits.max_string_bytes;
        if text.len() <= max {
            return text.to_owned();
        }
        self.warnings
            .add(warn::TRUNCATED, || format!("{} bytes", text.len()));
        let mut end = max;
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        text.get(..end).unwrap_or("").to_owned()
    }

    /// The session target index of node `id`, when the mirror knows it.
    fn target(&mut self, tab: &Tab, state: &mut SessionState, id: Num) -> Option<u32> {
        let id = id.as_id()?;
        match tab.mirror.describe(id) {
            Some(descriptor) => Some(state.intern(descriptor)),
            None => {
                if !tab.mirror.contains(id) {
                    self.warnings
                        .add(warn::UNKNOWN_TARGET, || format!("node {id}"));
                }
                None
            }
        }
    }

    fn coordinate_ok(&self, v: f64) -> bool {
        v.is_finite() && v.abs() <= f64::from(self.limits.max_coordinate_px)
    }

    fn viewport_pos(&self, x: Num, y: Num) -> Option<ViewportPos> {
        let (x, y) = (x.0?, y.0?);
        (self.coordinate_ok(x) && self.coordinate_ok(y)).then_some(ViewportPos {
            x: x as f32,
            y: y as f32,
        })
    }

    fn page_pos(&self, scroll: ScrollOffset, pos: ViewportPos) -> Option<PagePos> {
        let page = scroll.page_from_viewport(pos);
        (self.coordinate_ok(f64::from(page.x)) && self.coordinate_ok(f64::from(page.y)))
            .then_some(page)
    }

    fn offset(&self, x: f64, y: f64) -> Option<ScrollOffset> {
        (self.coordinate_ok(x) && self.coordinate_ok(y)).then_some(ScrollOffset {
            x: x as f32,
            y: y as f32,
        })
    }

    fn size(&mut self, width: Num, height: Num, t: i64) -> Option<SizePx> {
        let max = f64::from(self.limits.max_dimension_px);
        let ok = |v: Option<f64>| v.filter(|v| v.is_finite() && (0.0..=max).contains(v));
        match (ok(width.0), ok(height.0)) {
            (Some(w), Some(h)) => Some(SizePx {
                width: w.round() as u32,
                height: h.round() as u32,
            }),
            _ => {
                self.warnings.add(warn::BAD_SIZE, || {
                    format!("t = {t}: {:?} x {:?}", width.0, height.0)
                });
                None
            }
        }
    }
}

/// Timestamps below this are seconds, not ms (1e11 ms is March 1973; 1e11 s is year 5138).
const SECONDS_BELOW: f64 = 1.0e11;

/// An event's epoch-ms time. Sentry's performance spans (custom events tagged
/// `performanceSpan`) carry their time in seconds (a float): converted to ms.
fn event_time_ms(
    e: &RawEvent<'_>,
    source: Option<&stream::DataFile>,
) -> Result<Option<i64>, serde_json::Error> {
    let mut timestamp = e.timestamp;
    if e.kind.as_id() == Some(5)
        && let Some(v) = timestamp.0
        && v < SECONDS_BELOW
    {
        let span = match &e.data {
            Data::Plain(data) => data.tag.get() == Some("performanceSpan"),
            Data::Deferred(text) => parse_deferred(text)?.tag.get() == Some("performanceSpan"),
            Data::InFile { offset, len } => {
                let text = read_back(source, *offset, *len)?;
                parse_deferred(&text)?.tag.get() == Some("performanceSpan")
            }
            Data::Missing | Data::Packed(_) => false,
        };
        if span {
            timestamp = Num(Some(v * 1000.0));
        }
    }
    Ok(timestamp_ms(timestamp))
}

/// Deferred `data` (in bytes) in one tab below which it is read where it is converted; above
/// it, a second thread reads it ahead ([`prepare_batch`]).
/// (Unit tests use 1 KiB and batches of 16 events, so the recordings they read, all small, go
/// through the read-ahead and its batch boundaries, and the smallest through the other way.)
const READ_AHEAD_MIN_BYTES: usize = if cfg!(test) { 1 << 10 } else { 4 << 20 };
/// Most events in a batch the read-ahead thread hands over.
const READ_AHEAD_BATCH: usize = if cfg!(test) { 16 } else { 256 };
/// Most deferred JSON text in a batch, bytes (its parsed trees are several times larger).
const READ_AHEAD_BATCH_BYTES: usize = 1 << 20;
/// Batches the read-ahead thread may be ahead of the conversion.
const READ_AHEAD_BATCHES: usize = 4;

/// An event's `data` as the read-ahead thread hands it over.
enum Prepared<'a> {
    /// Not read (not deferred, or no read-ahead): read where it is converted.
    NotRead,
    /// The deferred `data`, read.
    Read(Box<EventData<'a>>),
    /// The deferred `data` does not read.
    Failed(serde_json::Error),
}

/// A batch of events' `data` as the read-ahead thread hands it over.
enum Batch<'a> {
    /// Read from the input in memory.
    InMemory(Vec<Prepared<'a>>),
    /// Read back from the file ([`Data::InFile`]).
    FromFile(ReadBack),
}

self_cell::self_cell!(
    /// `data` objects read back from the file, one after another, and what they read as.
    struct ReadBack {
        owner: Vec<u8>,
        #[not_covariant]
        dependent: PreparedList,
    }
);

type PreparedList<'a> = Vec<Prepared<'a>>;

impl Batch<'_> {
    /// Hands each event's `data` to `each` in order until it answers `false`; `false` then.
    fn for_each(
        &self,
        mut each: impl FnMut(&Prepared<'_>) -> Result<bool, FormatError>,
    ) -> Result<bool, FormatError> {
        let mut all = |list: &[Prepared<'_>]| {
            for prepared in list {
                if !each(prepared)? {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        match self {
            Batch::InMemory(list) => all(list),
            Batch::FromFile(read) => read.with_dependent(|_, list| all(list)),
        }
    }
}

/// The text of a `data` object kept by its place, read back from `source`.
fn read_back(
    source: Option<&stream::DataFile>,
    offset: u64,
    len: usize,
) -> Result<String, serde_json::Error> {
    match source {
        Some(source) => source.text(offset, len),
        None => Err(serde::de::Error::custom(
            "data kept by its place in a file that is not open",
        )),
    }
}

/// The batches a tab's events are read ahead in: runs of up to [`READ_AHEAD_BATCH`] events
/// holding up to [`READ_AHEAD_BATCH_BYTES`] of deferred `data`.
fn batch_ranges(list: &[(i64, &RawEvent<'_>)]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, e)) in list.iter().enumerate() {
        bytes += match &e.data {
            Data::Deferred(text) => text.len(),
            Data::InFile { len, .. } => *len,
            _ => 0,
        };
        if i + 1 - start >= READ_AHEAD_BATCH || bytes >= READ_AHEAD_BATCH_BYTES {
            ranges.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < list.len() {
        ranges.push(start..list.len());
    }
    ranges
}

/// A deferred `data` object read, or why it does not read.
fn read_deferred(text: &str) -> Prepared<'_> {
    match parse_deferred(text) {
        Ok(data) => Prepared::Read(Box::new(data)),
        Err(err) => Prepared::Failed(err),
    }
}

/// Reads the deferred `data` of one batch of events: from the input in memory, or back from
/// `source` for `data` kept by its place (one buffer for the batch).
fn prepare_batch<'a>(
    batch: &[(i64, &RawEvent<'a>)],
    source: Option<&stream::DataFile>,
) -> Batch<'a> {
    let Some(source) = source else {
        return Batch::InMemory(
            batch
                .iter()
                .map(|(_, e)| match &e.data {
                    Data::Deferred(text) => read_deferred(text),
                    _ => Prepared::NotRead,
                })
                .collect(),
        );
    };
    let bytes = batch
        .iter()
        .map(|(_, e)| match e.data {
            Data::InFile { len, .. } => len,
            _ => 0,
        })
        .sum();
    let (owner, spans) = read_back_batch(batch, source, bytes);
    Batch::FromFile(ReadBack::new(owner, |owner| {
        spans
            .iter()
            .map(|span| match span {
                None => Prepared::NotRead,
                Some(Err(error)) => Prepared::Failed(stream::read_back_error(error)),
                Some(Ok((start, end))) => match owner.get(*start..*end).map(std::str::from_utf8) {
                    Some(Ok(text)) => read_deferred(text),
                    _ => Prepared::Failed(stream::not_text_error()),
                },
            })
            .collect()
    }))
}

/// Most bytes between two `data` objects read back with one call (the bytes between are read
/// and not used).
const READ_BACK_GAP_BYTES: u64 = 16 << 10;

/// Where an object read back is in its batch's buffer (start and end), or why it is not.
type ReadSpan = Result<(usize, usize), std::io::Error>;

/// Reads back the `data` kept by place of `batch`'s events into one buffer: the buffer, and
/// where each event's object is in it (`None` for an event with nothing to read). Objects
/// close to each other in the file are read with one call, in file order.
fn read_back_batch(
    batch: &[(i64, &RawEvent<'_>)],
    source: &stream::DataFile,
    bytes: usize,
) -> (Vec<u8>, Vec<Option<ReadSpan>>) {
    let place = |i: usize| match batch.get(i).map(|(_, e)| &e.data) {
        Some(Data::InFile { offset, len }) => Some((*offset, *len as u64)),
        _ => None,
    };
    let mut order: Vec<(u64, u64, usize)> = (0..batch.len())
        .filter_map(|i| place(i).map(|(offset, len)| (offset, len, i)))
        .collect();
    order.sort_unstable();
    let mut owner = Vec::with_capacity(bytes);
    let mut spans: Vec<Option<ReadSpan>> = (0..batch.len()).map(|_| None).collect();
    let mut rest = order.as_slice();
    while let Some(&(first, first_len, _)) = rest.first() {
        // A run of objects each starting at most READ_BACK_GAP_BYTES after the run's end.
        let mut end = first + first_len;
        let mut count = 1;
        for &(offset, len, _) in rest.iter().skip(1) {
            if offset > end + READ_BACK_GAP_BYTES {
                break;
            }
            end = end.max(offset + len);
            count += 1;
        }
        let (run, after) = rest.split_at(count);
        rest = after;
        let base = owner.len();
        let read = usize::try_from(end - first)
            .map_err(std::io::Error::other)
            .and_then(|len| source.read_onto(first, len, &mut owner));
        for &(offset, len, i) in run {
            let span = match &read {
                Ok(()) => {
                    let start = base + (offset - first) as usize;
                    Ok((start, start + len as usize))
                }
                Err(error) => Err(std::io::Error::new(error.kind(), error.to_string())),
            };
            if let Some(slot) = spans.get_mut(i) {
                *slot = Some(span);
            }
        }
        if read.is_err() {
            owner.truncate(base);
        }
    }
    (owner, spans)
}

/// A deferred `data` object that does not read (see [`raw::Sink::defer_data`]): the caller
/// reads the input again without deferring, which gives the error with its place in the file.
fn deferred_error(file: &str, e: &RawEvent<'_>, err: &serde_json::Error) -> FormatError {
    FormatError::Unsupported {
        file: file.to_owned(),
        message: format!("{}: data: {err}", place(e)),
    }
}

/// Where an event is, for messages: `event 12` or `event 12 (line 3)`.
fn place(e: &RawEvent<'_>) -> String {
    if e.line > 0 {
        format!("event {} (line {})", e.index, e.line)
    } else {
        format!("event {}", e.index)
    }
}

/// Console arguments are JSON-stringified by the rrweb console plugin (`"\"Uncaught …\""`):
/// decode those, keep the others as they are.
fn unquote(arg: &str) -> Cow<'_, str> {
    if arg.len() >= 2
        && arg.starts_with('"')
        && arg.ends_with('"')
        && let Ok(s) = serde_json::from_str::<String>(arg)
    {
        return Cow::Owned(s);
    }
    Cow::Borrowed(arg)
}

/// Parses inflated event data.
fn parse_event_data(bytes: &[u8]) -> Result<EventData<'_>, serde_json::Error> {
    parse_slice::<raw::Obj<EventData<'_>>>(bytes).map(|d| d.0.unwrap_or_default())
}

/// Reads a deferred `data` object ([`Data::Deferred`]), text known to be UTF-8.
fn parse_deferred(text: &str) -> Result<EventData<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let data = raw::Obj::<EventData<'_>>::deserialize(&mut de)?;
    de.end()?;
    Ok(data.0.unwrap_or_default())
}

/// Parses a slice with the recursion limit off (the types in `raw` cap their own depth).
fn parse_slice<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}
