//! Events recorded during a session.

use serde::{Deserialize, Serialize};

use super::geom::{PagePos, ScrollOffset, SizePx, ViewportPos};

/// One thing that happened, at `timestamp_ms` (epoch ms), on page view `page` of its session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Epoch milliseconds, as recorded.
    pub timestamp_ms: i64,
    /// Index into [`super::Session::pages`].
    pub page: u32,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of event SessionLens understands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EventKind {
    /// The pointer moved to `pos_in_page` (mouse sample, or a touch-move sample).
    PointerMove {
        /// Where the pointer is, page coordinates.
        pos_in_page: PagePos,
        /// Mouse, touch or pen.
        pointer: PointerType,
    },
    /// A click, tap, double click or context-menu click.
    Click {
        /// Where, in page coordinates.
        pos_in_page: PagePos,
        /// Where, in viewport coordinates (as `clientX/clientY`).
        pos_in_viewport: ViewportPos,
        /// Click, double click, context menu, touch start or touch end.
        kind: ClickKind,
        /// Mouse, touch or pen.
        pointer: PointerType,
        /// Index into [`super::Session::targets`], when the target element is known.
        target: Option<u32>,
    },
    /// The document scrolled; the new scroll offset.
    Scroll {
        /// The viewport's top-left corner in the page.
        offset: ScrollOffset,
    },
    /// A scrollable element (not the document) scrolled.
    ElementScroll {
        /// The element, when known.
        target: Option<u32>,
        /// The element's `scrollLeft/scrollTop`.
        offset: ScrollOffset,
    },
    /// The viewport changed size.
    Resize {
        /// The new viewport size, CSS px.
        viewport: SizePx,
    },
    /// A form field's value changed.
    Input {
        /// The field, when known.
        target: Option<u32>,
        /// Length of the value in characters (kept even when the value is masked).
        value_len: u32,
        /// The typed value, only when the recording carried it unmasked and the user opted in.
        value: Option<String>,
        /// For checkboxes and radio buttons.
        checked: Option<bool>,
    },
    /// A field or element gained focus.
    Focus {
        /// The element, when known.
        target: Option<u32>,
    },
    /// A field or element lost focus.
    Blur {
        /// The element, when known.
        target: Option<u32>,
    },
    /// The page visibly reacted (DOM mutation, style change): needed to tell dead clicks.
    DomChange,
    /// A JavaScript error (uncaught, or logged at error level).
    Error {
        /// The error message.
        message: String,
    },
    /// A custom event sent by the site, e.g. `add_to_cart` or `purchase`.
    Custom {
        /// Event name (rrweb custom event `tag`).
        name: String,
        /// Optional value, e.g. order revenue.
        value: Option<f64>,
        /// ISO 4217 currency of `value`.
        currency: Option<String>,
    },
    /// A request that failed: HTTP status 400 or more, or no response (network error, blocked,
    /// aborted). From the recorder's network capture (rrweb `rrweb/network@1`, Sentry spans).
    NetworkError {
        /// The request URL.
        url: String,
        /// HTTP method, when recorded.
        method: Option<String>,
        /// HTTP status; `None` when no response came.
        status: Option<u16>,
    },
    /// A form field and the form it belongs to, recorded once per page view and field before
    /// the field's first event there (see docs/FORMS.md). Fields outside any `<form>` have none.
    FormField {
        /// The field: index into [`super::Session::targets`].
        field: u32,
        /// The `<form>` element around it: index into [`super::Session::targets`].
        form: u32,
        /// The field's place among the form's fields in document order, from 0.
        position: u32,
        /// How many fields the form had then.
        form_fields: u32,
    },
    /// An error indicator appeared next to a form field: `aria-invalid="true"` set on it, an
    /// error/invalid class added to it or its wrapper, or an error message (role `alert` or an
    /// error class, with text) inserted or revealed beside it. The message text is not kept.
    FieldError {
        /// The field, when known.
        field: Option<u32>,
    },
    /// The error indicators next to a form field went away (the reverse of
    /// [`EventKind::FieldError`]: none of its rules holds any more).
    FieldErrorCleared {
        /// The field, when known.
        field: Option<u32>,
    },
    /// A submit attempt: a click on a form's submit control (`button` of type submit,
    /// `input[type=submit|image]`). Whether it succeeded is decided by `analysis::forms`.
    FormSubmit {
        /// The `<form>` element, when the control is inside one.
        form: Option<u32>,
        /// The control clicked, when known.
        control: Option<u32>,
    },
    /// The structure of the page's DOM when the recorder took a full snapshot of it: a
    /// signature of element tags, stable classes and visibility, blind to text, ids and how
    /// many times a repeated element occurs (see docs/VARIANTS.md). Page views of one URL
    /// with different signatures show different page variants.
    PageStructure {
        /// The signature (a stable 64-bit hash).
        signature: u64,
    },
    /// The site said which variant of an experiment the visitor sees: a custom event whose
    /// payload names a `variant` (and optionally its `experiment`), e.g. rrweb
    /// `addCustomEvent('experiment', {experiment: 'pdp-layout', variant: 'B'})`. The custom
    /// event itself is kept too.
    Experiment {
        /// The custom event's name (rrweb custom event `tag`).
        event: String,
        /// The experiment or flag named in the payload, when it names one.
        experiment: Option<String>,
        /// The variant.
        variant: String,
    },
}

impl EventKind {
    /// Short stable name of the kind, as used by `sessionlens events --kind`.
    #[must_use]
    pub fn family(&self) -> &'static str {
        match self {
            Self::PointerMove { .. } => "move",
            Self::Click { .. } => "click",
            Self::Scroll { .. } | Self::ElementScroll { .. } => "scroll",
            Self::Resize { .. } => "resize",
            Self::Input { .. } | Self::Focus { .. } | Self::Blur { .. } => "input",
            Self::DomChange => "dom",
            Self::Error { .. } | Self::NetworkError { .. } => "error",
            Self::Custom { .. } => "custom",
            Self::FormField { .. }
            | Self::FieldError { .. }
            | Self::FieldErrorCleared { .. }
            | Self::FormSubmit { .. } => "form",
            Self::PageStructure { .. } | Self::Experiment { .. } => "variant",
        }
    }

    /// One line for an event list: what happened, where, and to which element.
    #[must_use]
    pub fn describe(&self, targets: &[ElementDescriptor]) -> String {
        let target = |i: &Option<u32>| {
            i.and_then(|i| targets.get(i as usize))
                .map(|t| format!(" on {}", t.label()))
                .unwrap_or_default()
        };
        match self {
            Self::PointerMove { pos_in_page, .. } => {
                format!("move to {:.0}, {:.0}", pos_in_page.x, pos_in_page.y)
            }
            Self::Click {
                pos_in_page,
                kind,
                pointer,
                target: t,
                ..
            } => {
                let what = match (kind, pointer) {
                    (ClickKind::Click, PointerType::Touch) => "tap",
                    (ClickKind::Click, _) => "click",
                    (ClickKind::DoubleClick, _) => "double click",
                    (ClickKind::ContextMenu, _) => "right click",
                    (ClickKind::TouchStart, _) => "touch start",
                    (ClickKind::TouchEnd, _) => "touch end",
                };
                format!(
                    "{what} at {:.0}, {:.0}{}",
                    pos_in_page.x,
                    pos_in_page.y,
                    target(t)
                )
            }
            Self::Scroll { offset } => format!("scroll to {:.0} px", offset.y),
            Self::ElementScroll { target: t, offset } => {
                format!("element scroll to {:.0} px{}", offset.y, target(t))
            }
            Self::Resize { viewport } => {
                format!("viewport {} x {}", viewport.width, viewport.height)
            }
            Self::Input {
                target: t,
                value_len,
                checked,
                ..
            } => match checked {
                Some(c) => format!("{}{}", if *c { "checked" } else { "unchecked" }, target(t)),
                None => format!("typed {value_len} chars{}", target(t)),
            },
            Self::Focus { target: t } => format!("focus{}", target(t)),
            Self::Blur { target: t } => format!("blur{}", target(t)),
            Self::DomChange => "page changed".to_owned(),
            Self::Error { message } => {
                let short: String = message.chars().take(120).collect();
                format!("error: {short}")
            }
            Self::Custom {
                name,
                value,
                currency,
            } => match value {
                Some(v) => format!("{name} {v:.2} {}", currency.as_deref().unwrap_or("")),
                None => name.clone(),
            }
            .trim_end()
            .to_owned(),
            Self::NetworkError {
                url,
                method,
                status,
            } => {
                let short: String = url.chars().take(120).collect();
                let status = status.map_or_else(|| "no response".to_owned(), |s| s.to_string());
                match method {
                    Some(m) => format!("request failed: {m} {short} ({status})"),
                    None => format!("request failed: {short} ({status})"),
                }
            }
            Self::FormField {
                field,
                form,
                position,
                form_fields,
            } => format!(
                "field{} is field {} of {form_fields} in form{}",
                target(&Some(*field)),
                position.saturating_add(1),
                target(&Some(*form))
            ),
            Self::FieldError { field } => format!("error shown{}", target(field)),
            Self::FieldErrorCleared { field } => format!("error cleared{}", target(field)),
            Self::FormSubmit { form, control } => match form {
                Some(_) => format!("submit{}{}", target(control), target(form)),
                None => format!("submit{}", target(control)),
            },
            Self::PageStructure { signature } => {
                format!("page structure {}", super::variant::dom_label(*signature))
            }
            Self::Experiment {
                event,
                experiment,
                variant,
            } => match experiment {
                Some(x) => format!("{event}: {x} variant {variant}"),
                None => format!("{event}: variant {variant}"),
            },
        }
    }

    /// True for the events rrweb counts as user activity (moves, clicks, scrolls, resizes, input).
    #[must_use]
    pub fn is_user_activity(&self) -> bool {
        !matches!(
            self,
            Self::DomChange
                | Self::Error { .. }
                | Self::Custom { .. }
                | Self::NetworkError { .. }
                | Self::FormField { .. }
                | Self::FieldError { .. }
                | Self::FieldErrorCleared { .. }
                | Self::FormSubmit { .. }
                | Self::PageStructure { .. }
                | Self::Experiment { .. }
        )
    }
}

/// What kind of pointer produced an event (rrweb `PointerTypes`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointerType {
    /// A mouse or trackpad.
    #[default]
    Mouse,
    /// A pen or stylus.
    Pen,
    /// A finger on a touch screen.
    Touch,
}

impl PointerType {
    /// Lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mouse => "mouse",
            Self::Pen => "pen",
            Self::Touch => "touch",
        }
    }

    /// The rrweb `PointerTypes` number (Mouse 0, Pen 1, Touch 2).
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Mouse => 0,
            Self::Pen => 1,
            Self::Touch => 2,
        }
    }

    /// From the rrweb `PointerTypes` number.
    #[must_use]
    pub fn from_code(code: u64) -> Option<Self> {
        match code {
            0 => Some(Self::Mouse),
            1 => Some(Self::Pen),
            2 => Some(Self::Touch),
            _ => None,
        }
    }
}

/// The kind of a click event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClickKind {
    /// A primary-button click (or a tap that the browser turned into a click).
    #[default]
    Click,
    /// A double click.
    DoubleClick,
    /// A secondary-button click that opened the context menu.
    ContextMenu,
    /// A finger touched the screen.
    TouchStart,
    /// A finger left the screen.
    TouchEnd,
}

impl ClickKind {
    /// Stable code used by the native format (`c`, `dc`, `cm`, `ts`, `te`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Click => "c",
            Self::DoubleClick => "dc",
            Self::ContextMenu => "cm",
            Self::TouchStart => "ts",
            Self::TouchEnd => "te",
        }
    }

    /// Snake-case name for JSON output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::DoubleClick => "double_click",
            Self::ContextMenu => "context_menu",
            Self::TouchStart => "touch_start",
            Self::TouchEnd => "touch_end",
        }
    }

    /// Which mouse button the click implies.
    #[must_use]
    pub fn button(self) -> MouseButton {
        match self {
            Self::ContextMenu => MouseButton::Secondary,
            _ => MouseButton::Primary,
        }
    }

    /// True for the kinds that count as a click in heatmaps and click counts: plain clicks only.
    /// Browsers (and rrweb) report a double click as two clicks followed by a double-click
    /// event, and a tap as touch start, touch end and a click, so counting only `Click` counts
    /// each press once.
    #[must_use]
    pub fn counts_as_click(self) -> bool {
        matches!(self, Self::Click)
    }
}

/// A mouse button.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MouseButton {
    /// Usually the left button.
    Primary,
    /// Usually the right button.
    Secondary,
}

/// What is known about the element an event targeted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ElementDescriptor {
    /// Lower-case tag name, e.g. `button`.
    pub tag: String,
    /// The `id` attribute.
    pub id: Option<String>,
    /// The `class` attribute, split.
    pub classes: Vec<String>,
    /// The `role` attribute.
    pub role: Option<String>,
    /// The link target of an `<a>` (or of the nearest enclosing link).
    pub href: Option<String>,
    /// Visible text, trimmed, at most 80 characters.
    pub text: Option<String>,
    /// A CSS selector path that identifies the element, e.g. `#promo-bar > a.shop-now`.
    pub selector: String,
    /// For form fields: the `name` attribute.
    pub name: Option<String>,
    /// For `<input>`: the `type` attribute.
    pub input_type: Option<String>,
    /// True when the element (or an ancestor) is `position: fixed` or `sticky`.
    pub fixed: bool,
}

impl ElementDescriptor {
    /// True for fields whose value must never be revealed (passwords, card numbers, CVCs).
    #[must_use]
    pub fn is_sensitive_field(&self) -> bool {
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_ascii_lowercase();
        let input_type = lower(&self.input_type);
        let name = lower(&self.name);
        let id = lower(&self.id);
        input_type == "password"
            || ["card", "cc-", "cvc", "cvv", "iban", "password", "ssn"]
                .iter()
                .any(|k| name.contains(k) || id.contains(k))
    }

    /// A short human label: the tag with its id or first class, and its text or field name,
    /// e.g. `button#add-to-cart "Add to cart"`.
    #[must_use]
    pub fn label(&self) -> String {
        let mut out = self.tag.clone();
        if let Some(id) = self.id.as_deref().filter(|s| !s.is_empty()) {
            out.push('#');
            out.push_str(id);
        } else if let Some(class) = self.classes.first() {
            out.push('.');
            out.push_str(class);
        }
        if let Some(text) = self
            .text
            .as_deref()
            .or(self.name.as_deref())
            .filter(|s| !s.is_empty())
        {
            let short: String = text.chars().take(40).collect();
            out.push_str(&format!(" \"{short}\""));
        }
        out
    }

    /// True for elements that are interactive by nature (links, buttons, form fields).
    #[must_use]
    pub fn is_interactive(&self) -> bool {
        matches!(
            self.tag.as_str(),
            "a" | "button" | "input" | "select" | "textarea" | "label" | "summary" | "option"
        ) || self.href.is_some()
            || matches!(
                self.role.as_deref(),
                Some("button" | "link" | "checkbox" | "tab" | "menuitem")
            )
    }
}
