//! Library body encoding: how `session_bodies.body` holds a whole session.
//!
//! A body is [postcard](https://postcard.jamesmunns.com/wire-format) of a *frozen* mirror of the
//! model, never of the model itself, and the column `session_bodies.encoding` says which mirror:
//!
//! | encoding | body |
//! | --- | --- |
//! | 1 | postcard of [`v1::Session`] |
//!
//! Postcard is not self-describing: a struct is its fields in declaration order, an enum is a
//! varint variant index and then the variant's fields, an `Option` a 0/1 byte. A body can
//! therefore only be read by exactly the types it was written with. [`v1`] mirrors
//! `model::Session`, `PageView`, `Event`, `EventKind`, `ElementDescriptor` and the small types
//! inside them as they were when the library format was frozen (schema 8), field for field and
//! variant for variant, so every body written before this module existed (postcard of the model
//! of that time, encoding 1) *is* a `v1::Session` body; `tests::old_direct_postcard_bodies_are_v1`
//! holds that byte for byte. The model may now change freely: [`v1::Session::from_model`] and
//! [`v1::Session::into_model`] are the only places that know both.
//!
//! The rules for changing what a body holds:
//! - A new `EventKind` variant: append it at the END of [`v1::EventKind`] (and its two arms in
//!   `from_model`/`into_model`, which the compiler asks for). Older bodies never hold it, so they
//!   read as before; an older SessionLens reading a body that holds it fails with "unknown
//!   variant" for that session, not with a misread.
//! - Anything else (a new field, a field removed or changed, variants reordered, a variant's
//!   fields changed): a new module `v2` with its own frozen types, a new encoding number written
//!   from then on, and `v1` kept, with its conversion into the model, for the bodies already
//!   stored. Never edit the existing types of a `vN` module in place.
//! - Migrations that read bodies decode them with the version of their time (schema 4's
//!   backfill uses [`v1`] directly), so they keep meaning what they meant when written.
//!
//! A body must be consumed exactly: bytes left over after the session are an error, which turns
//! most misreads into a clear error naming the session instead of a wrong session.

use serde::Deserialize;

use super::StoreError;
use crate::model;

/// `session_bodies.encoding` of bodies that are postcard of [`v1::Session`].
pub(crate) const ENCODING_V1: i64 = 1;

/// The encoding new bodies are written with.
pub(crate) const ENCODING_CURRENT: i64 = ENCODING_V1;

/// Encodes a session's body in the current encoding; returns `(encoding, bytes)`.
pub(crate) fn encode(session: &model::Session) -> Result<(i64, Vec<u8>), StoreError> {
    let bytes =
        postcard::to_stdvec(&v1::Session::from_model(session)).map_err(|e| StoreError::Decode {
            session_id: session.session_id.clone(),
            detail: format!("encoding the body: {e}"),
        })?;
    Ok((ENCODING_CURRENT, bytes))
}

/// Decodes a stored body of any encoding this build knows into today's model.
pub(crate) fn decode(
    encoding: i64,
    bytes: &[u8],
    session_id: &str,
) -> Result<model::Session, StoreError> {
    match encoding {
        ENCODING_V1 => Ok(v1::decode(bytes, session_id)?.into_model()),
        other => Err(unknown_encoding(other, session_id)),
    }
}

/// The error for a body whose encoding this build does not know.
pub(crate) fn unknown_encoding(encoding: i64, session_id: &str) -> StoreError {
    StoreError::Decode {
        session_id: session_id.to_owned(),
        detail: format!(
            "unknown body encoding {encoding} (this build reads encoding {ENCODING_V1}); \
             the library was written by a newer SessionLens or the row is damaged"
        ),
    }
}

/// Reads exactly one `T` from `bytes`: trailing bytes are an error.
fn from_exact_bytes<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    session_id: &str,
    encoding: i64,
) -> Result<T, StoreError> {
    let fail = |detail: String| StoreError::Decode {
        session_id: session_id.to_owned(),
        detail: format!(
            "body (encoding {encoding}, {} bytes): {detail}",
            bytes.len()
        ),
    };
    let (value, rest) = postcard::take_from_bytes(bytes).map_err(|e| fail(e.to_string()))?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(fail(format!(
            "{} bytes left over after the session",
            rest.len()
        )))
    }
}

/// Encoding 1: the model as it was at schema 8, FROZEN. Do not edit these types except to
/// append a variant at the end of [`EventKind`] (see the module's opening comment).
///
/// Strings are `Cow` so that encoding borrows from the model instead of copying it; postcard
/// writes a `Cow<str>` exactly as a `String`.
pub(crate) mod v1 {
    use std::borrow::Cow;

    use serde::{Deserialize, Serialize};

    use super::StoreError;
    use crate::model;

    /// Decodes an encoding-1 body.
    pub(crate) fn decode(bytes: &[u8], session_id: &str) -> Result<Session<'static>, StoreError> {
        super::from_exact_bytes(bytes, session_id, super::ENCODING_V1)
    }

    fn owned(s: Cow<'_, str>) -> String {
        s.into_owned()
    }

    fn owned_opt(s: Option<Cow<'_, str>>) -> Option<String> {
        s.map(Cow::into_owned)
    }

    fn borrowed(s: &str) -> Cow<'_, str> {
        Cow::Borrowed(s)
    }

    fn borrowed_opt(s: &Option<String>) -> Option<Cow<'_, str>> {
        s.as_deref().map(Cow::Borrowed)
    }

    /// `model::Session`.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) struct Session<'a> {
        pub(crate) session_id: Cow<'a, str>,
        pub(crate) started_at_ms: i64,
        pub(crate) duration_ms: i64,
        pub(crate) device: DeviceClass,
        pub(crate) user_agent: Option<Cow<'a, str>>,
        pub(crate) source: TrafficSource<'a>,
        pub(crate) country: Option<Cow<'a, str>>,
        pub(crate) pages: Vec<PageView<'a>>,
        pub(crate) targets: Vec<ElementDescriptor<'a>>,
        pub(crate) events: Vec<Event<'a>>,
    }

    /// `model::DeviceClass`.
    #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
    pub(crate) enum DeviceClass {
        Desktop,
        Tablet,
        Mobile,
    }

    /// `model::TrafficSource`.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) struct TrafficSource<'a> {
        pub(crate) utm_source: Option<Cow<'a, str>>,
        pub(crate) utm_medium: Option<Cow<'a, str>>,
        pub(crate) utm_campaign: Option<Cow<'a, str>>,
        pub(crate) referrer: Option<Cow<'a, str>>,
    }

    /// `model::PageView`.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) struct PageView<'a> {
        pub(crate) url: Cow<'a, str>,
        pub(crate) entered_at_ms: i64,
        pub(crate) left_at_ms: i64,
        pub(crate) doc_size: SizePx,
        pub(crate) viewport: SizePx,
        pub(crate) screenshot: Option<Cow<'a, str>>,
        pub(crate) tab: u32,
    }

    /// `model::SizePx`.
    #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
    pub(crate) struct SizePx {
        pub(crate) width: u32,
        pub(crate) height: u32,
    }

    /// `model::PagePos`, `ViewportPos` and `ScrollOffset`: two `f32`.
    #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
    pub(crate) struct Xy {
        pub(crate) x: f32,
        pub(crate) y: f32,
    }

    /// `model::ElementDescriptor`.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) struct ElementDescriptor<'a> {
        pub(crate) tag: Cow<'a, str>,
        pub(crate) id: Option<Cow<'a, str>>,
        pub(crate) classes: Vec<Cow<'a, str>>,
        pub(crate) role: Option<Cow<'a, str>>,
        pub(crate) href: Option<Cow<'a, str>>,
        pub(crate) text: Option<Cow<'a, str>>,
        pub(crate) selector: Cow<'a, str>,
        pub(crate) name: Option<Cow<'a, str>>,
        pub(crate) input_type: Option<Cow<'a, str>>,
        pub(crate) fixed: bool,
    }

    /// `model::Event`.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) struct Event<'a> {
        pub(crate) timestamp_ms: i64,
        pub(crate) page: u32,
        pub(crate) kind: EventKind<'a>,
    }

    /// `model::PointerType`.
    #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
    pub(crate) enum PointerType {
        Mouse,
        Pen,
        Touch,
    }

    /// `model::ClickKind`.
    #[derive(Clone, Copy, Debug, Serialize, Deserialize)]
    pub(crate) enum ClickKind {
        Click,
        DoubleClick,
        ContextMenu,
        TouchStart,
        TouchEnd,
    }

    /// `model::EventKind`. New variants are APPENDED here, at the end, only.
    #[derive(Debug, Serialize, Deserialize)]
    pub(crate) enum EventKind<'a> {
        PointerMove {
            pos_in_page: Xy,
            pointer: PointerType,
        },
        Click {
            pos_in_page: Xy,
            pos_in_viewport: Xy,
            kind: ClickKind,
            pointer: PointerType,
            target: Option<u32>,
        },
        Scroll {
            offset: Xy,
        },
        ElementScroll {
            target: Option<u32>,
            offset: Xy,
        },
        Resize {
            viewport: SizePx,
        },
        Input {
            target: Option<u32>,
            value_len: u32,
            value: Option<Cow<'a, str>>,
            checked: Option<bool>,
        },
        Focus {
            target: Option<u32>,
        },
        Blur {
            target: Option<u32>,
        },
        DomChange,
        Error {
            message: Cow<'a, str>,
        },
        Custom {
            name: Cow<'a, str>,
            value: Option<f64>,
            currency: Option<Cow<'a, str>>,
        },
        NetworkError {
            url: Cow<'a, str>,
            method: Option<Cow<'a, str>>,
            status: Option<u16>,
        },
        // Appended after the freeze (forms, docs/FORMS.md): bodies without them read as before.
        FormField {
            field: u32,
            form: u32,
            position: u32,
            form_fields: u32,
        },
        FieldError {
            field: Option<u32>,
        },
        FieldErrorCleared {
            field: Option<u32>,
        },
        FormSubmit {
            form: Option<u32>,
            control: Option<u32>,
        },
        // Appended for page variants (docs/VARIANTS.md).
        PageStructure {
            signature: u64,
        },
        Experiment {
            event: Cow<'a, str>,
            experiment: Option<Cow<'a, str>>,
            variant: Cow<'a, str>,
        },
        // Append new variants here (and in `from_model`/`into_model` below).
    }

    impl<'a> Session<'a> {
        /// The frozen mirror of `s`, borrowing its strings.
        pub(crate) fn from_model(s: &'a model::Session) -> Self {
            Self {
                session_id: borrowed(&s.session_id),
                started_at_ms: s.started_at_ms,
                duration_ms: s.duration_ms,
                device: match s.device {
                    model::DeviceClass::Desktop => DeviceClass::Desktop,
                    model::DeviceClass::Tablet => DeviceClass::Tablet,
                    model::DeviceClass::Mobile => DeviceClass::Mobile,
                },
                user_agent: borrowed_opt(&s.user_agent),
                source: TrafficSource {
                    utm_source: borrowed_opt(&s.source.utm_source),
                    utm_medium: borrowed_opt(&s.source.utm_medium),
                    utm_campaign: borrowed_opt(&s.source.utm_campaign),
                    referrer: borrowed_opt(&s.source.referrer),
                },
                country: borrowed_opt(&s.country),
                pages: s.pages.iter().map(PageView::from_model).collect(),
                targets: s
                    .targets
                    .iter()
                    .map(ElementDescriptor::from_model)
                    .collect(),
                events: s.events.iter().map(Event::from_model).collect(),
            }
        }

        /// Today's model of this body.
        pub(crate) fn into_model(self) -> model::Session {
            model::Session {
                session_id: owned(self.session_id),
                started_at_ms: self.started_at_ms,
                duration_ms: self.duration_ms,
                device: match self.device {
                    DeviceClass::Desktop => model::DeviceClass::Desktop,
                    DeviceClass::Tablet => model::DeviceClass::Tablet,
                    DeviceClass::Mobile => model::DeviceClass::Mobile,
                },
                user_agent: owned_opt(self.user_agent),
                source: model::TrafficSource {
                    utm_source: owned_opt(self.source.utm_source),
                    utm_medium: owned_opt(self.source.utm_medium),
                    utm_campaign: owned_opt(self.source.utm_campaign),
                    referrer: owned_opt(self.source.referrer),
                },
                country: owned_opt(self.country),
                pages: self.pages.into_iter().map(PageView::into_model).collect(),
                targets: self
                    .targets
                    .into_iter()
                    .map(ElementDescriptor::into_model)
                    .collect(),
                events: self.events.into_iter().map(Event::into_model).collect(),
            }
        }
    }

    impl SizePx {
        fn from_model(s: model::SizePx) -> Self {
            Self {
                width: s.width,
                height: s.height,
            }
        }

        fn into_model(self) -> model::SizePx {
            model::SizePx {
                width: self.width,
                height: self.height,
            }
        }
    }

    impl<'a> PageView<'a> {
        fn from_model(p: &'a model::PageView) -> Self {
            Self {
                url: borrowed(&p.url),
                entered_at_ms: p.entered_at_ms,
                left_at_ms: p.left_at_ms,
                doc_size: SizePx::from_model(p.doc_size),
                viewport: SizePx::from_model(p.viewport),
                screenshot: borrowed_opt(&p.screenshot),
                tab: p.tab,
            }
        }

        fn into_model(self) -> model::PageView {
            model::PageView {
                url: owned(self.url),
                entered_at_ms: self.entered_at_ms,
                left_at_ms: self.left_at_ms,
                doc_size: self.doc_size.into_model(),
                viewport: self.viewport.into_model(),
                screenshot: owned_opt(self.screenshot),
                tab: self.tab,
            }
        }
    }

    impl<'a> ElementDescriptor<'a> {
        fn from_model(e: &'a model::ElementDescriptor) -> Self {
            Self {
                tag: borrowed(&e.tag),
                id: borrowed_opt(&e.id),
                classes: e.classes.iter().map(|c| borrowed(c)).collect(),
                role: borrowed_opt(&e.role),
                href: borrowed_opt(&e.href),
                text: borrowed_opt(&e.text),
                selector: borrowed(&e.selector),
                name: borrowed_opt(&e.name),
                input_type: borrowed_opt(&e.input_type),
                fixed: e.fixed,
            }
        }

        fn into_model(self) -> model::ElementDescriptor {
            model::ElementDescriptor {
                tag: owned(self.tag),
                id: owned_opt(self.id),
                classes: self.classes.into_iter().map(owned).collect(),
                role: owned_opt(self.role),
                href: owned_opt(self.href),
                text: owned_opt(self.text),
                selector: owned(self.selector),
                name: owned_opt(self.name),
                input_type: owned_opt(self.input_type),
                fixed: self.fixed,
            }
        }
    }

    impl PointerType {
        fn from_model(p: model::PointerType) -> Self {
            match p {
                model::PointerType::Mouse => Self::Mouse,
                model::PointerType::Pen => Self::Pen,
                model::PointerType::Touch => Self::Touch,
            }
        }

        fn into_model(self) -> model::PointerType {
            match self {
                Self::Mouse => model::PointerType::Mouse,
                Self::Pen => model::PointerType::Pen,
                Self::Touch => model::PointerType::Touch,
            }
        }
    }

    impl ClickKind {
        fn from_model(k: model::ClickKind) -> Self {
            match k {
                model::ClickKind::Click => Self::Click,
                model::ClickKind::DoubleClick => Self::DoubleClick,
                model::ClickKind::ContextMenu => Self::ContextMenu,
                model::ClickKind::TouchStart => Self::TouchStart,
                model::ClickKind::TouchEnd => Self::TouchEnd,
            }
        }

        fn into_model(self) -> model::ClickKind {
            match self {
                Self::Click => model::ClickKind::Click,
                Self::DoubleClick => model::ClickKind::DoubleClick,
                Self::ContextMenu => model::ClickKind::ContextMenu,
                Self::TouchStart => model::ClickKind::TouchStart,
                Self::TouchEnd => model::ClickKind::TouchEnd,
            }
        }
    }

    impl<'a> Event<'a> {
        fn from_model(e: &'a model::Event) -> Self {
            let xy = |x: f32, y: f32| Xy { x, y };
            use model::EventKind as M;
            let kind = match &e.kind {
                M::PointerMove {
                    pos_in_page,
                    pointer,
                } => EventKind::PointerMove {
                    pos_in_page: xy(pos_in_page.x, pos_in_page.y),
                    pointer: PointerType::from_model(*pointer),
                },
                M::Click {
                    pos_in_page,
                    pos_in_viewport,
                    kind,
                    pointer,
                    target,
                } => EventKind::Click {
                    pos_in_page: xy(pos_in_page.x, pos_in_page.y),
                    pos_in_viewport: xy(pos_in_viewport.x, pos_in_viewport.y),
                    kind: ClickKind::from_model(*kind),
                    pointer: PointerType::from_model(*pointer),
                    target: *target,
                },
                M::Scroll { offset } => EventKind::Scroll {
                    offset: xy(offset.x, offset.y),
                },
                M::ElementScroll { target, offset } => EventKind::ElementScroll {
                    target: *target,
                    offset: xy(offset.x, offset.y),
                },
                M::Resize { viewport } => EventKind::Resize {
                    viewport: SizePx::from_model(*viewport),
                },
                M::Input {
                    target,
                    value_len,
                    value,
                    checked,
                } => EventKind::Input {
                    target: *target,
                    value_len: *value_len,
                    value: borrowed_opt(value),
                    checked: *checked,
                },
                M::Focus { target } => EventKind::Focus { target: *target },
                M::Blur { target } => EventKind::Blur { target: *target },
                M::DomChange => EventKind::DomChange,
                M::Error { message } => EventKind::Error {
                    message: borrowed(message),
                },
                M::Custom {
                    name,
                    value,
                    currency,
                } => EventKind::Custom {
                    name: borrowed(name),
                    value: *value,
                    currency: borrowed_opt(currency),
                },
                M::NetworkError {
                    url,
                    method,
                    status,
                } => EventKind::NetworkError {
                    url: borrowed(url),
                    method: borrowed_opt(method),
                    status: *status,
                },
                M::FormField {
                    field,
                    form,
                    position,
                    form_fields,
                } => EventKind::FormField {
                    field: *field,
                    form: *form,
                    position: *position,
                    form_fields: *form_fields,
                },
                M::FieldError { field } => EventKind::FieldError { field: *field },
                M::FieldErrorCleared { field } => EventKind::FieldErrorCleared { field: *field },
                M::FormSubmit { form, control } => EventKind::FormSubmit {
                    form: *form,
                    control: *control,
                },
                M::PageStructure { signature } => EventKind::PageStructure {
                    signature: *signature,
                },
                M::Experiment {
                    event,
                    experiment,
                    variant,
                } => EventKind::Experiment {
                    event: borrowed(event),
                    experiment: borrowed_opt(experiment),
                    variant: borrowed(variant),
                },
            };
            Self {
                timestamp_ms: e.timestamp_ms,
                page: e.page,
                kind,
            }
        }

        fn into_model(self) -> model::Event {
            use model::EventKind as M;
            let kind = match self.kind {
                EventKind::PointerMove {
                    pos_in_page,
                    pointer,
                } => M::PointerMove {
                    pos_in_page: model::PagePos {
                        x: pos_in_page.x,
                        y: pos_in_page.y,
                    },
                    pointer: pointer.into_model(),
                },
                EventKind::Click {
                    pos_in_page,
                    pos_in_viewport,
                    kind,
                    pointer,
                    target,
                } => M::Click {
                    pos_in_page: model::PagePos {
                        x: pos_in_page.x,
                        y: pos_in_page.y,
                    },
                    pos_in_viewport: model::ViewportPos {
                        x: pos_in_viewport.x,
                        y: pos_in_viewport.y,
                    },
                    kind: kind.into_model(),
                    pointer: pointer.into_model(),
                    target,
                },
                EventKind::Scroll { offset } => M::Scroll {
                    offset: model::ScrollOffset {
                        x: offset.x,
                        y: offset.y,
                    },
                },
                EventKind::ElementScroll { target, offset } => M::ElementScroll {
                    target,
                    offset: model::ScrollOffset {
                        x: offset.x,
                        y: offset.y,
                    },
                },
                EventKind::Resize { viewport } => M::Resize {
                    viewport: viewport.into_model(),
                },
                EventKind::Input {
                    target,
                    value_len,
                    value,
                    checked,
                } => M::Input {
                    target,
                    value_len,
                    value: owned_opt(value),
                    checked,
                },
                EventKind::Focus { target } => M::Focus { target },
                EventKind::Blur { target } => M::Blur { target },
                EventKind::DomChange => M::DomChange,
                EventKind::Error { message } => M::Error {
                    message: owned(message),
                },
                EventKind::Custom {
                    name,
                    value,
                    currency,
                } => M::Custom {
                    name: owned(name),
                    value,
                    currency: owned_opt(currency),
                },
                EventKind::NetworkError {
                    url,
                    method,
                    status,
                } => M::NetworkError {
                    url: owned(url),
                    method: owned_opt(method),
                    status,
                },
                EventKind::FormField {
                    field,
                    form,
                    position,
                    form_fields,
                } => M::FormField {
                    field,
                    form,
                    position,
                    form_fields,
                },
                EventKind::FieldError { field } => M::FieldError { field },
                EventKind::FieldErrorCleared { field } => M::FieldErrorCleared { field },
                EventKind::FormSubmit { form, control } => M::FormSubmit { form, control },
                EventKind::PageStructure { signature } => M::PageStructure { signature },
                EventKind::Experiment {
                    event,
                    experiment,
                    variant,
                } => M::Experiment {
                    event: owned(event),
                    experiment: owned_opt(experiment),
                    variant: owned(variant),
                },
            };
            model::Event {
                timestamp_ms: self.timestamp_ms,
                page: self.page,
                kind,
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{
        ClickKind, DeviceClass, ElementDescriptor, Event, EventKind, PagePos, PageView,
        PointerType, ScrollOffset, Session, SizePx, TrafficSource, ViewportPos,
    };

    /// A session with every event kind and every optional field both set and unset.
    pub(crate) fn every_kind() -> Session {
        let t0 = 1_700_000_000_000;
        let event = |dt: i64, page: u32, kind: EventKind| Event {
            timestamp_ms: t0 + dt,
            page,
            kind,
        };
        let mut events = Vec::new();
        for (i, pointer) in [PointerType::Mouse, PointerType::Pen, PointerType::Touch]
            .into_iter()
            .enumerate()
        {
            events.push(event(
                1,
                0,
                EventKind::PointerMove {
                    pos_in_page: PagePos {
                        x: 1.5 + i as f32,
                        y: -2.25,
                    },
                    pointer,
                },
            ));
        }
        for (i, kind) in [
            ClickKind::Click,
            ClickKind::DoubleClick,
            ClickKind::ContextMenu,
            ClickKind::TouchStart,
            ClickKind::TouchEnd,
        ]
        .into_iter()
        .enumerate()
        {
            events.push(event(
                2,
                0,
                EventKind::Click {
                    pos_in_page: PagePos { x: 10.0, y: 900.5 },
                    pos_in_viewport: ViewportPos { x: 10.0, y: 0.5 },
                    kind,
                    pointer: PointerType::Touch,
                    target: (i % 2 == 0).then_some(u32::try_from(i % 2).unwrap()),
                },
            ));
        }
        events.extend([
            event(
                3,
                0,
                EventKind::Scroll {
                    offset: ScrollOffset { x: 0.0, y: 900.0 },
                },
            ),
            event(
                4,
                0,
                EventKind::ElementScroll {
                    target: Some(1),
                    offset: ScrollOffset { x: 3.0, y: 4.0 },
                },
            ),
            event(
                5,
                0,
                EventKind::ElementScroll {
                    target: None,
                    offset: ScrollOffset { x: 0.0, y: 1.0 },
                },
            ),
            event(
                6,
                0,
                EventKind::Resize {
                    viewport: SizePx {
                        width: 390,
                        height: 844,
                    },
                },
            ),
            event(
                7,
                1,
                EventKind::Input {
                    target: Some(1),
                    value_len: 5,
                    value: Some("héllo".to_owned()),
                    checked: None,
                },
            ),
            event(
                8,
                1,
                EventKind::Input {
                    target: None,
                    value_len: 0,
                    value: None,
                    checked: Some(true),
                },
            ),
            event(9, 1, EventKind::Focus { target: Some(0) }),
            event(10, 1, EventKind::Blur { target: None }),
            event(11, 1, EventKind::DomChange),
            event(
                12,
                1,
                EventKind::Error {
                    message: "TypeError: x is undefined".to_owned(),
                },
            ),
            event(
                13,
                1,
                EventKind::Custom {
                    name: "purchase".to_owned(),
                    value: Some(129.9),
                    currency: Some("EUR".to_owned()),
                },
            ),
            event(
                14,
                1,
                EventKind::Custom {
                    name: "add_to_cart".to_owned(),
                    value: None,
                    currency: None,
                },
            ),
            event(
                15,
                1,
                EventKind::NetworkError {
                    url: "https://shop.test/api/cart".to_owned(),
                    method: Some("POST".to_owned()),
                    status: Some(500),
                },
            ),
            event(
                16,
                1,
                EventKind::FormField {
                    field: 1,
                    form: 0,
                    position: 3,
                    form_fields: 9,
                },
            ),
            event(17, 1, EventKind::FieldError { field: Some(1) }),
            event(17, 1, EventKind::FieldError { field: None }),
            event(17, 1, EventKind::FieldErrorCleared { field: Some(1) }),
            event(
                18,
                1,
                EventKind::FormSubmit {
                    form: Some(0),
                    control: None,
                },
            ),
        ]);
        Session {
            session_id: "every-kind".to_owned(),
            started_at_ms: t0,
            duration_ms: 20,
            device: DeviceClass::Tablet,
            user_agent: Some("Mozilla/5.0".to_owned()),
            source: TrafficSource {
                utm_source: Some("google".to_owned()),
                utm_medium: None,
                utm_campaign: Some("spring".to_owned()),
                referrer: None,
            },
            country: None,
            pages: vec![
                PageView {
                    url: "https://shop.test/#top".to_owned(),
                    entered_at_ms: t0,
                    left_at_ms: t0 + 7,
                    doc_size: SizePx {
                        width: 1440,
                        height: 5000,
                    },
                    viewport: SizePx {
                        width: 1440,
                        height: 900,
                    },
                    screenshot: Some("ab".repeat(32)),
                    tab: 0,
                },
                PageView {
                    url: "https://shop.test/cart".to_owned(),
                    entered_at_ms: t0 + 7,
                    left_at_ms: t0 + 20,
                    doc_size: SizePx::default(),
                    viewport: SizePx {
                        width: 390,
                        height: 844,
                    },
                    screenshot: None,
                    tab: 2,
                },
            ],
            targets: vec![
                ElementDescriptor {
                    tag: "button".to_owned(),
                    id: Some("buy".to_owned()),
                    classes: vec!["btn".to_owned(), "primary".to_owned()],
                    role: Some("button".to_owned()),
                    href: None,
                    text: Some("Buy now".to_owned()),
                    selector: "#buy".to_owned(),
                    name: None,
                    input_type: None,
                    fixed: true,
                },
                ElementDescriptor {
                    tag: "input".to_owned(),
                    selector: "form > input".to_owned(),
                    name: Some("email".to_owned()),
                    input_type: Some("email".to_owned()),
                    ..ElementDescriptor::default()
                },
            ],
            events,
        }
    }

    #[test]
    fn old_direct_postcard_bodies_are_v1() {
        // Every body stored before this module was `postcard::to_stdvec(&model::Session)`,
        // encoding 1. The frozen v1 types write exactly those bytes and read them back whole.
        let session = every_kind();
        let old = postcard::to_stdvec(&session).unwrap();
        let (encoding, new) = encode(&session).unwrap();
        assert_eq!(encoding, ENCODING_V1);
        assert_eq!(old, new, "v1 no longer mirrors the model's postcard layout");
        assert_eq!(decode(ENCODING_V1, &old, "every-kind").unwrap(), session);
        let default = Session::default();
        assert_eq!(
            postcard::to_stdvec(&default).unwrap(),
            encode(&default).unwrap().1
        );
    }

    #[test]
    fn v1_bytes_are_frozen() {
        // A hand-checked body: if this changes, v1 changed, and every library on disk would be
        // misread. Make a v2 instead (see the module's opening comment).
        let session = Session {
            session_id: "s".to_owned(),
            started_at_ms: 1,
            duration_ms: 2,
            device: DeviceClass::Mobile,
            pages: vec![PageView {
                url: "u".to_owned(),
                tab: 3,
                ..PageView::default()
            }],
            events: vec![Event {
                timestamp_ms: 1,
                page: 0,
                kind: EventKind::Custom {
                    name: "n".to_owned(),
                    value: None,
                    currency: None,
                },
            }],
            ..Session::default()
        };
        let (_, bytes) = encode(&session).unwrap();
        assert_eq!(
            bytes,
            [
                1, b's', // session_id
                2, 4, // started_at_ms 1, duration_ms 2 (zigzag varints)
                2, // device: Mobile
                0, // user_agent None
                0, 0, 0, 0, // source: four None
                0, // country None
                1, 1, b'u', 0, 0, 0, 0, 0, 0, 0,
                3, // one page: url, times, sizes, no shot, tab 3
                0, // no targets
                1, 2, 0, 10, 1, b'n', 0, 0, // one event: t 1, page 0, Custom (variant 10)
            ]
        );
    }

    #[test]
    fn the_form_variants_are_appended_after_network_error() {
        // Variants 12 to 15 of v1::EventKind: appended, so every older body reads as before.
        let event = |kind: EventKind| {
            let session = Session {
                events: vec![Event {
                    timestamp_ms: 1,
                    page: 0,
                    kind,
                }],
                ..Session::default()
            };
            let (_, bytes) = encode(&session).unwrap();
            let (_, empty) = encode(&Session::default()).unwrap();
            // The body ends with the event list; its first bytes are count, t, page, variant.
            bytes[empty.len() - 1..].to_vec()
        };
        assert_eq!(
            event(EventKind::FormField {
                field: 1,
                form: 2,
                position: 3,
                form_fields: 4
            }),
            [1, 2, 0, 12, 1, 2, 3, 4]
        );
        assert_eq!(
            event(EventKind::FieldError { field: Some(5) }),
            [1, 2, 0, 13, 1, 5]
        );
        assert_eq!(
            event(EventKind::FormSubmit {
                form: None,
                control: Some(6)
            }),
            [1, 2, 0, 15, 0, 1, 6]
        );
        assert_eq!(
            event(EventKind::FieldErrorCleared { field: None }),
            [1, 2, 0, 14, 0]
        );
    }

    /// Decode time of a large session, old direct path against the v1 types (run with
    /// `cargo test --lib body_decode_timing -- --ignored --nocapture`).
    #[test]
    #[ignore = "a timing, not a check"]
    fn body_decode_timing() {
        let mut session = every_kind();
        let one = session.events.clone();
        while session.events.len() < 1_000_000 {
            session.events.extend(one.iter().cloned());
        }
        let bytes = postcard::to_stdvec(&session).unwrap();
        let time = |f: &dyn Fn() -> Session| {
            (0..5)
                .map(|_| {
                    let start = std::time::Instant::now();
                    assert_eq!(f().events.len(), session.events.len());
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .fold(f64::INFINITY, f64::min)
        };
        let direct = time(&|| postcard::from_bytes::<Session>(&bytes).unwrap());
        let v1 = time(&|| decode(ENCODING_V1, &bytes, "big").unwrap());
        let enc_direct = {
            let start = std::time::Instant::now();
            postcard::to_stdvec(&session).unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        };
        let enc_v1 = {
            let start = std::time::Instant::now();
            encode(&session).unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        };
        println!(
            "{} events, {} bytes: decode direct {direct:.1} ms, v1 {v1:.1} ms; encode direct {enc_direct:.1} ms, v1 {enc_v1:.1} ms",
            session.events.len(),
            bytes.len()
        );
    }

    #[test]
    fn unknown_encodings_and_leftover_bytes_are_clear_errors_naming_the_session() {
        let (_, bytes) = encode(&every_kind()).unwrap();
        let err = decode(2, &bytes, "sess-42").unwrap_err().to_string();
        assert!(
            err.contains("sess-42") && err.contains("unknown body encoding 2"),
            "{err}"
        );
        let mut longer = bytes.clone();
        longer.push(0);
        let err = decode(ENCODING_V1, &longer, "sess-42")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sess-42") && err.contains("1 bytes left over"),
            "{err}"
        );
        let err = decode(ENCODING_V1, &bytes[..bytes.len() / 2], "sess-42")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sess-42"), "{err}");
    }
}
