//! The native session format (`*.session.json`, optionally gzip-compressed): a JSON object with
//! the session's metadata, its page views, the elements events point at, and a compact event
//! list where each event is one array `[t, "kind", …fields]`. See docs/FORMAT.md.

use std::fmt;
use std::io::{Read, Write};

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::ser::SerializeSeq as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FormatError, Warnings, read_limited, sniff::InputKind, sniff_bytes};
use crate::model::{
    ClickKind, DeviceClass, ElementDescriptor, Event, EventKind, Limits, PagePos, PageView,
    PointerType, ScrollOffset, Session, SizePx, TrafficSource, ViewportPos,
};

/// The `format` value of a native session file.
pub const FORMAT_TAG: &str = "sessionlens-session";
/// Major version this build reads and writes.
pub const MAJOR_VERSION: u32 = 1;
/// Full version this build writes.
pub const VERSION: &str = "1.0";

/// Reads one session from `reader` (plain or gzip-compressed JSON). `file_name` is used in errors.
pub fn read_session(
    reader: impl Read,
    file_name: &str,
) -> Result<(Session, Warnings), FormatError> {
    let limits = Limits::default();
    let bytes = read_limited(reader, limits.max_inflated_bytes, file_name)?;
    let bytes = if sniff_bytes(&bytes) == InputKind::Gzip {
        read_limited(
            flate2::read::MultiGzDecoder::new(&bytes[..]),
            limits.max_inflated_bytes,
            file_name,
        )?
    } else {
        bytes
    };
    read_session_slice(&bytes, file_name, &limits)
}

/// Reads one session from uncompressed JSON bytes, validating it against `limits`.
///
/// Plain, well-formed files are read in one pass by a hand-written reader; anything else by
/// serde, which also explains errors (see [`read_session_slice_with_serde`]).
pub fn read_session_slice(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<(Session, Warnings), FormatError> {
    read_slice(bytes, file_name, limits, true)
}

/// [`read_session_slice`] with serde alone, never the one-pass reader: the reference the
/// one-pass reader is tested and fuzzed against.
pub fn read_session_slice_with_serde(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
) -> Result<(Session, Warnings), FormatError> {
    read_slice(bytes, file_name, limits, false)
}

fn read_slice(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    one_pass: bool,
) -> Result<(Session, Warnings), FormatError> {
    if sniff_bytes(bytes) == InputKind::Empty {
        return Err(FormatError::Empty {
            file: file_name.to_owned(),
        });
    }
    let file = match one_pass.then(|| fast::read(bytes)).flatten() {
        Some(file) => file,
        None => match serde_json::from_slice::<SessionFile>(bytes) {
            Ok(file) => file,
            Err(fast_error) => return Err(explain_parse_error(bytes, file_name, &fast_error)),
        },
    };
    check_version(file.format.as_deref(), &file.version, file_name)?;
    let (session, warnings) = file.into_session();
    if let Err(crate::model::ModelError::Invalid { path, message }) = session.validate(limits) {
        return Err(FormatError::Invalid {
            file: file_name.to_owned(),
            path,
            message,
        });
    }
    Ok((session, warnings))
}

fn check_version(format: Option<&str>, version: &str, file_name: &str) -> Result<(), FormatError> {
    if let Some(format) = format
        && format != FORMAT_TAG
    {
        return Err(FormatError::Invalid {
            file: file_name.to_owned(),
            path: "format".to_owned(),
            message: format!("expected \"{FORMAT_TAG}\", found {format:?}"),
        });
    }
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(MAJOR_VERSION) => Ok(()),
        Some(m) if m > MAJOR_VERSION => Err(FormatError::NewerVersion {
            file: file_name.to_owned(),
            found: version.to_owned(),
            supported: MAJOR_VERSION,
        }),
        _ => Err(FormatError::Invalid {
            file: file_name.to_owned(),
            path: "version".to_owned(),
            message: format!("expected a version like \"{VERSION}\", found {version:?}"),
        }),
    }
}

/// The slow path after a failed parse: a newer major version explains everything; otherwise
/// parse again while tracking the JSON path, and name the event field by its position.
fn explain_parse_error(
    bytes: &[u8],
    file_name: &str,
    fast_error: &serde_json::Error,
) -> FormatError {
    #[derive(Deserialize)]
    struct Header {
        format: Option<String>,
        version: Option<String>,
    }
    if let Ok(Header {
        format,
        version: Some(version),
    }) = serde_json::from_slice::<Header>(bytes)
        && let Err(e @ FormatError::NewerVersion { .. }) =
            check_version(format.as_deref(), &version, file_name)
    {
        return e;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, error) = match serde_path_to_error::deserialize::<_, SessionFile>(&mut de) {
        Ok(_) => (".".to_owned(), None),
        Err(e) => (e.path().to_string(), Some(e.into_inner())),
    };
    let path = if path == "?" { ".".to_owned() } else { path };
    let error = error.as_ref().unwrap_or(fast_error);
    let path = name_event_field(bytes, &path);
    FormatError::Json {
        file: file_name.to_owned(),
        path,
        message: strip_position(&error.to_string()),
        line: error.line(),
        column: error.column(),
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Turns `events[12][3]` into `events[12].x` by looking up the kind of event 12.
fn name_event_field(bytes: &[u8], path: &str) -> String {
    let Some(rest) = path.strip_prefix("events[") else {
        return path.to_owned();
    };
    let Some((index, rest)) = rest.split_once(']') else {
        return path.to_owned();
    };
    let Some(field) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return path.to_owned();
    };
    let (Ok(event_index), Ok(field_index)) = (index.parse::<usize>(), field.parse::<usize>())
    else {
        return path.to_owned();
    };
    let name = match field_index {
        0 => Some("t"),
        1 => Some("kind"),
        _ => serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|doc| {
                let kind = doc
                    .get("events")?
                    .get(event_index)?
                    .get(1)?
                    .as_str()?
                    .to_owned();
                field_names(&kind)?.get(field_index - 2).copied()
            }),
    };
    match name {
        Some(name) => format!("events[{event_index}].{name}"),
        None => path.to_owned(),
    }
}

/// Names of the fields after `t` and `kind`, per event kind code.
#[must_use]
pub fn field_names(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "p" => &["page"],
        "m" => &["x", "y", "pointer"],
        "c" | "dc" | "cm" | "ts" | "te" => &["x", "y", "vx", "vy", "target", "pointer"],
        "s" => &["x", "y"],
        "es" => &["target", "x", "y"],
        "r" => &["width", "height"],
        "i" => &["target", "len", "value", "checked"],
        "f" | "b" => &["target"],
        "d" => &[],
        "e" => &["message"],
        "x" => &["name", "value", "currency"],
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// File structure

#[derive(Deserialize)]
struct SessionFile {
    format: Option<String>,
    version: String,
    session_id: String,
    started_at_ms: i64,
    duration_ms: i64,
    #[serde(default)]
    device: Option<DeviceClass>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    source: TrafficSource,
    #[serde(default)]
    country: Option<String>,
    pages: Vec<PageFile>,
    #[serde(default)]
    targets: Vec<ElementDescriptor>,
    events: EventsFile,
}

#[derive(Serialize, Deserialize)]
struct PageFile {
    url: String,
    entered_ms: i64,
    left_ms: i64,
    #[serde(default)]
    doc_width: u32,
    #[serde(default)]
    doc_height: u32,
    #[serde(default)]
    viewport_width: u32,
    #[serde(default)]
    viewport_height: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    screenshot: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    tab: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

impl SessionFile {
    fn into_session(self) -> (Session, Warnings) {
        let Self {
            format: _,
            version: _,
            session_id,
            started_at_ms,
            duration_ms,
            device,
            user_agent,
            source,
            country,
            pages,
            targets,
            events,
        } = self;
        let pages: Vec<PageView> = pages
            .into_iter()
            .map(|p| PageView {
                url: p.url,
                entered_at_ms: started_at_ms.saturating_add(p.entered_ms),
                left_at_ms: started_at_ms.saturating_add(p.left_ms),
                doc_size: SizePx {
                    width: p.doc_width,
                    height: p.doc_height,
                },
                viewport: SizePx {
                    width: p.viewport_width,
                    height: p.viewport_height,
                },
                screenshot: p.screenshot,
                tab: p.tab,
            })
            .collect();
        let EventsFile {
            events,
            unknown_kinds,
        } = events;
        let mut events = events;
        for e in &mut events {
            e.timestamp_ms = started_at_ms.saturating_add(e.timestamp_ms);
        }
        let mut session = Session {
            session_id,
            started_at_ms,
            duration_ms,
            device: DeviceClass::Desktop,
            user_agent,
            source,
            country,
            pages,
            targets,
            events,
        };
        session.device = device.unwrap_or_else(|| {
            DeviceClass::from_viewport(session.initial_viewport().width, session.used_touch())
        });
        (session, events_warnings(unknown_kinds))
    }
}

fn events_warnings(unknown: Vec<(usize, String)>) -> Warnings {
    let mut warnings = Warnings::default();
    for (index, kind) in unknown {
        warnings.add("unknown event kinds skipped", || {
            format!("events[{index}] kind {kind:?}")
        });
    }
    warnings
}

/// The event list; times are relative to the session start until `into_session`.
struct EventsFile {
    events: Vec<Event>,
    unknown_kinds: Vec<(usize, String)>,
}

impl<'de> Deserialize<'de> for EventsFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EventsVisitor)
    }
}

struct EventsVisitor;

impl<'de> Visitor<'de> for EventsVisitor {
    type Value = EventsFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventsFile, A::Error> {
        let mut out = EventsFile {
            events: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20)),
            unknown_kinds: Vec::new(),
        };
        let mut state = ReadState {
            page: 0,
            index: 0,
            unknown: None,
        };
        while let Some(event) = seq.next_element_seed(EventSeed { state: &mut state })? {
            if let Some(event) = event {
                out.events.push(event);
            }
            if let Some(kind) = state.unknown.take() {
                out.unknown_kinds.push((state.index, kind));
            }
            state.index += 1;
        }
        Ok(out)
    }
}

struct ReadState {
    page: u32,
    index: usize,
    unknown: Option<String>,
}

struct EventSeed<'s> {
    state: &'s mut ReadState,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = Option<Event>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

fn req<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    seq: &mut A,
    field: &'static str,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format_args!("missing field `{field}`")))
}

fn opt<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(seq: &mut A) -> Result<Option<T>, A::Error> {
    Ok(seq.next_element::<Option<T>>()?.flatten())
}

fn target<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<u32>, A::Error> {
    let raw: i64 = req(seq, "target")?;
    match raw {
        -1 => Ok(None),
        t => u32::try_from(t).map(Some).map_err(|_| {
            de::Error::custom(format_args!(
                "target must be -1 or a target index, found {t}"
            ))
        }),
    }
}

fn pointer<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<PointerType, A::Error> {
    match opt::<A, u64>(seq)? {
        None => Ok(PointerType::Mouse),
        Some(code) => PointerType::from_code(code).ok_or_else(|| {
            de::Error::custom(format_args!(
                "pointer must be 0 (mouse), 1 (pen) or 2 (touch), found {code}"
            ))
        }),
    }
}

/// The event kind code, read without allocating.
enum KindCode {
    Page,
    Move,
    Click(ClickKind),
    Scroll,
    ElementScroll,
    Resize,
    Input,
    Focus,
    Blur,
    Dom,
    Error,
    Custom,
    Network,
    FormField,
    FieldError,
    FieldErrorCleared,
    FormSubmit,
    PageStructure,
    Experiment,
    Unknown(String),
}

impl<'de> Deserialize<'de> for KindCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KindCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event kind code string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KindCode, E> {
                Ok(match v {
                    "p" => KindCode::Page,
                    "m" => KindCode::Move,
                    "c" => KindCode::Click(ClickKind::Click),
                    "dc" => KindCode::Click(ClickKind::DoubleClick),
                    "cm" => KindCode::Click(ClickKind::ContextMenu),
                    "ts" => KindCode::Click(ClickKind::TouchStart),
                    "te" => KindCode::Click(ClickKind::TouchEnd),
                    "s" => KindCode::Scroll,
                    "es" => KindCode::ElementScroll,
                    "r" => KindCode::Resize,
                    "i" => KindCode::Input,
                    "f" => KindCode::Focus,
                    "b" => KindCode::Blur,
                    "d" => KindCode::Dom,
                    "e" => KindCode::Error,
                    "x" => KindCode::Custom,
                    "n" => KindCode::Network,
                    "ff" => KindCode::FormField,
                    "fe" => KindCode::FieldError,
                    "fc" => KindCode::FieldErrorCleared,
                    "fs" => KindCode::FormSubmit,
                    "v" => KindCode::PageStructure,
                    "xv" => KindCode::Experiment,
                    other => KindCode::Unknown(other.chars().take(40).collect()),
                })
            }
        }
        deserializer.deserialize_str(V)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = Option<Event>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event array [t, \"kind\", …fields]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Event>, A::Error> {
        let t: i64 = req(&mut seq, "t")?;
        let code: KindCode = req(&mut seq, "kind")?;
        let kind = match code {
            KindCode::Page => {
                self.state.page = req(&mut seq, "page")?;
                None
            }
            KindCode::Move => {
                let (x, y) = (req(&mut seq, "x")?, req(&mut seq, "y")?);
                Some(EventKind::PointerMove {
                    pos_in_page: PagePos { x, y },
                    pointer: pointer(&mut seq)?,
                })
            }
            KindCode::Click(kind) => {
                let (x, y, vx, vy) = (
                    req(&mut seq, "x")?,
                    req(&mut seq, "y")?,
                    req(&mut seq, "vx")?,
                    req(&mut seq, "vy")?,
                );
                let target = target(&mut seq)?;
                Some(EventKind::Click {
                    pos_in_page: PagePos { x, y },
                    pos_in_viewport: ViewportPos { x: vx, y: vy },
                    kind,
                    pointer: pointer(&mut seq)?,
                    target,
                })
            }
            KindCode::Scroll => Some(EventKind::Scroll {
                offset: ScrollOffset {
                    x: req(&mut seq, "x")?,
                    y: req(&mut seq, "y")?,
                },
            }),
            KindCode::ElementScroll => {
                let target = target(&mut seq)?;
                Some(EventKind::ElementScroll {
                    target,
                    offset: ScrollOffset {
                        x: req(&mut seq, "x")?,
                        y: req(&mut seq, "y")?,
                    },
                })
            }
            KindCode::Resize => Some(EventKind::Resize {
                viewport: SizePx {
                    width: req(&mut seq, "width")?,
                    height: req(&mut seq, "height")?,
                },
            }),
            KindCode::Input => {
                let target = target(&mut seq)?;
                let value_len = req(&mut seq, "len")?;
                Some(EventKind::Input {
                    target,
                    value_len,
                    value: opt(&mut seq)?,
                    checked: opt(&mut seq)?,
                })
            }
            KindCode::Focus => Some(EventKind::Focus {
                target: target(&mut seq)?,
            }),
            KindCode::Blur => Some(EventKind::Blur {
                target: target(&mut seq)?,
            }),
            KindCode::Dom => Some(EventKind::DomChange),
            KindCode::Error => Some(EventKind::Error {
                message: req(&mut seq, "message")?,
            }),
            KindCode::Custom => Some(EventKind::Custom {
                name: req(&mut seq, "name")?,
                value: opt(&mut seq)?,
                currency: opt(&mut seq)?,
            }),
            KindCode::Network => Some(EventKind::NetworkError {
                url: req(&mut seq, "url")?,
                method: opt(&mut seq)?,
                status: opt(&mut seq)?,
            }),
            KindCode::FormField => Some(EventKind::FormField {
                field: req(&mut seq, "field")?,
                form: req(&mut seq, "form")?,
                position: req(&mut seq, "position")?,
                form_fields: req(&mut seq, "form_fields")?,
            }),
            KindCode::FieldError => Some(EventKind::FieldError {
                field: target(&mut seq)?,
            }),
            KindCode::FieldErrorCleared => Some(EventKind::FieldErrorCleared {
                field: target(&mut seq)?,
            }),
            KindCode::FormSubmit => Some(EventKind::FormSubmit {
                form: target(&mut seq)?,
                control: target(&mut seq)?,
            }),
            KindCode::PageStructure => {
                let hex: String = req(&mut seq, "signature")?;
                let signature = u64::from_str_radix(&hex, 16).map_err(|_| {
                    de::Error::custom(format!(
                        "signature {hex:?}: expected up to 16 hexadecimal digits"
                    ))
                })?;
                Some(EventKind::PageStructure { signature })
            }
            KindCode::Experiment => Some(EventKind::Experiment {
                event: req(&mut seq, "name")?,
                experiment: opt(&mut seq)?,
                variant: req(&mut seq, "variant")?,
            }),
            KindCode::Unknown(kind) => {
                self.state.unknown = Some(kind);
                None
            }
        };
        // Later minor versions may append fields: skip them.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(kind.map(|kind| Event {
            timestamp_ms: t,
            page: self.state.page,
            kind,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes `session` as native JSON (compact, one line).
pub fn write_session(writer: impl Write, session: &Session) -> Result<(), serde_json::Error> {
    serde_json::to_writer(writer, &SessionOut(session))
}

/// Writes `session` as gzip-compressed native JSON (`.session.json.gz`).
pub fn write_session_gz(writer: impl Write, session: &Session) -> std::io::Result<()> {
    let mut encoder = flate2::write::GzEncoder::new(writer, flate2::Compression::default());
    write_session(&mut encoder, session).map_err(std::io::Error::other)?;
    encoder.finish()?.flush()
}

struct SessionOut<'a>(&'a Session);

impl Serialize for SessionOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let s = self.0;
        let pages: Vec<PageFile> = s
            .pages
            .iter()
            .map(|p| PageFile {
                url: p.url.clone(),
                entered_ms: p.entered_at_ms - s.started_at_ms,
                left_ms: p.left_at_ms - s.started_at_ms,
                doc_width: p.doc_size.width,
                doc_height: p.doc_size.height,
                viewport_width: p.viewport.width,
                viewport_height: p.viewport.height,
                screenshot: p.screenshot.clone(),
                tab: p.tab,
            })
            .collect();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("format", FORMAT_TAG)?;
        map.serialize_entry("version", VERSION)?;
        map.serialize_entry("session_id", &s.session_id)?;
        map.serialize_entry("started_at_ms", &s.started_at_ms)?;
        map.serialize_entry("duration_ms", &s.duration_ms)?;
        map.serialize_entry("device", &s.device)?;
        if let Some(ua) = &s.user_agent {
            map.serialize_entry("user_agent", ua)?;
        }
        if s.source != TrafficSource::default() {
            map.serialize_entry("source", &without_nulls(&s.source))?;
        }
        if let Some(country) = &s.country {
            map.serialize_entry("country", country)?;
        }
        map.serialize_entry("pages", &pages)?;
        let targets: Vec<serde_json::Value> = s.targets.iter().map(without_nulls).collect();
        map.serialize_entry("targets", &targets)?;
        map.serialize_entry("events", &EventsOut(s))?;
        map.end()
    }
}

/// JSON of `value` without null, `false` or empty-array fields (optional fields left out).
fn without_nulls(value: &impl Serialize) -> serde_json::Value {
    let mut json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut json {
        map.retain(|_, v| {
            !(v.is_null()
                || *v == serde_json::Value::Bool(false)
                || v.as_array().is_some_and(Vec::is_empty))
        });
    }
    json
}

struct EventsOut<'a>(&'a Session);

impl Serialize for EventsOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = self.0;
        let mut seq = serializer.serialize_seq(None)?;
        let mut page = 0;
        for e in &s.events {
            let t = e.timestamp_ms - s.started_at_ms;
            if e.page != page {
                page = e.page;
                seq.serialize_element(&(t, "p", page))?;
            }
            seq.serialize_element(&EventOut { t, kind: &e.kind })?;
        }
        seq.end()
    }
}

struct EventOut<'a> {
    t: i64,
    kind: &'a EventKind,
}

fn target_code(target: Option<u32>) -> i64 {
    target.map_or(-1, i64::from)
}

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.t;
        match self.kind {
            EventKind::PointerMove {
                pos_in_page: p,
                pointer,
            } => match pointer {
                PointerType::Mouse => (t, "m", p.x, p.y).serialize(serializer),
                other => (t, "m", p.x, p.y, other.code()).serialize(serializer),
            },
            EventKind::Click {
                pos_in_page: p,
                pos_in_viewport: v,
                kind,
                pointer,
                target,
            } => match pointer {
                PointerType::Mouse => {
                    (t, kind.code(), p.x, p.y, v.x, v.y, target_code(*target)).serialize(serializer)
                }
                other => (
                    t,
                    kind.code(),
                    p.x,
                    p.y,
                    v.x,
                    v.y,
                    target_code(*target),
                    other.code(),
                )
                    .serialize(serializer),
            },
            EventKind::Scroll { offset } => (t, "s", offset.x, offset.y).serialize(serializer),
            EventKind::ElementScroll { target, offset } => {
                (t, "es", target_code(*target), offset.x, offset.y).serialize(serializer)
            }
            EventKind::Resize { viewport } => {
                (t, "r", viewport.width, viewport.height).serialize(serializer)
            }
            EventKind::Input {
                target,
                value_len,
                value,
                checked,
            } => match (value, checked) {
                (None, None) => (t, "i", target_code(*target), value_len).serialize(serializer),
                _ => {
                    (t, "i", target_code(*target), value_len, value, checked).serialize(serializer)
                }
            },
            EventKind::Focus { target } => (t, "f", target_code(*target)).serialize(serializer),
            EventKind::Blur { target } => (t, "b", target_code(*target)).serialize(serializer),
            EventKind::DomChange => (t, "d").serialize(serializer),
            EventKind::Error { message } => (t, "e", message).serialize(serializer),
            EventKind::Custom {
                name,
                value,
                currency,
            } => match (value, currency) {
                (None, None) => (t, "x", name).serialize(serializer),
                _ => (t, "x", name, value, currency).serialize(serializer),
            },
            EventKind::NetworkError {
                url,
                method,
                status,
            } => (t, "n", url, method, status).serialize(serializer),
            EventKind::FormField {
                field,
                form,
                position,
                form_fields,
            } => (t, "ff", field, form, position, form_fields).serialize(serializer),
            EventKind::FieldError { field } => (t, "fe", target_code(*field)).serialize(serializer),
            EventKind::FieldErrorCleared { field } => {
                (t, "fc", target_code(*field)).serialize(serializer)
            }
            EventKind::FormSubmit { form, control } => {
                (t, "fs", target_code(*form), target_code(*control)).serialize(serializer)
            }
            EventKind::PageStructure { signature } => {
                (t, "v", format!("{signature:016x}")).serialize(serializer)
            }
            EventKind::Experiment {
                event,
                experiment,
                variant,
            } => (t, "xv", event, experiment, variant).serialize(serializer),
        }
    }
}

mod fast;
#[cfg(test)]
mod tests;
