//! The fast path of the native reader: one pass over the bytes, converting the numbers of the
//! event array (nearly all of a file) straight from the input; serde reads the few header values
//! in place.
//!
//! It accepts only plain, well-formed input. Anything else (an escaped or unknown top-level key,
//! an unknown event kind, extra event fields, a number it cannot convert exactly as serde_json
//! would, malformed JSON) makes it give up with `None`; the serde reader then reads the file from
//! the start and explains any error with its JSON path, line and column. So for every input it
//! accepts, it returns exactly what the serde reader returns: `fast_path_reads_what_serde_reads`
//! and the property tests check that, and so does the `native_reader` fuzz target.

use super::{EventsFile, PageFile, SessionFile};
use crate::model::{
    ClickKind, DeviceClass, ElementDescriptor, Event, EventKind, PagePos, PointerType,
    ScrollOffset, SizePx, TrafficSource, ViewportPos,
};

/// Reads a whole native session file, or `None` when the input is not plain enough (see the
/// module docs).
pub(super) fn read(bytes: &[u8]) -> Option<SessionFile> {
    let mut c = Cursor { b: bytes, i: 0 };
    c.expect(b'{')?;
    let mut h = Header::default();
    if c.peek_after_ws()? == b'}' {
        return None; // no `events`: let serde say so
    }
    loop {
        c.ws();
        let (key, escaped) = c.string_raw()?;
        if escaped {
            return None;
        }
        c.expect(b':')?;
        // A repeated field is an error, and an unknown one is skipped: serde does both.
        match key {
            b"events" => set(&mut h.events, c.events()?)?,
            b"format" => set(&mut h.format, c.value()?)?,
            b"version" => set(&mut h.version, c.value()?)?,
            b"session_id" => set(&mut h.session_id, c.value()?)?,
            b"started_at_ms" => set(&mut h.started_at_ms, c.value()?)?,
            b"duration_ms" => set(&mut h.duration_ms, c.value()?)?,
            b"device" => set(&mut h.device, c.value()?)?,
            b"user_agent" => set(&mut h.user_agent, c.value()?)?,
            b"source" => set(&mut h.source, c.value()?)?,
            b"country" => set(&mut h.country, c.value()?)?,
            b"pages" => set(&mut h.pages, c.value()?)?,
            b"targets" => set(&mut h.targets, c.value()?)?,
            _ => return None,
        }
        c.ws();
        match c.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    c.ws();
    if c.i != bytes.len() {
        return None;
    }
    Some(SessionFile {
        format: h.format.flatten(),
        version: h.version?,
        session_id: h.session_id?,
        started_at_ms: h.started_at_ms?,
        duration_ms: h.duration_ms?,
        device: h.device.flatten(),
        user_agent: h.user_agent.flatten(),
        source: h.source.unwrap_or_default(),
        country: h.country.flatten(),
        pages: h.pages?,
        targets: h.targets.unwrap_or_default(),
        events: EventsFile {
            events: h.events?,
            unknown_kinds: Vec::new(),
        },
    })
}

/// The top-level fields read so far.
#[derive(Default)]
struct Header {
    format: Option<Option<String>>,
    version: Option<String>,
    session_id: Option<String>,
    started_at_ms: Option<i64>,
    duration_ms: Option<i64>,
    device: Option<Option<DeviceClass>>,
    user_agent: Option<Option<String>>,
    source: Option<TrafficSource>,
    country: Option<Option<String>>,
    pages: Option<Vec<PageFile>>,
    targets: Option<Vec<ElementDescriptor>>,
    events: Option<Vec<Event>>,
}

/// Stores a field's value; `None` when it was already there.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// A number as written: its text and sign, whether it is a plain integer, and for literals
/// without exponent the decimal digits read as one integer (`mantissa`, exact when `digits` ≤ 19)
/// and how many of them follow the point.
struct Number<'a> {
    text: &'a [u8],
    negative: bool,
    integer: bool,
    exponent: bool,
    mantissa: u64,
    digits: usize,
    fraction_digits: usize,
}

impl Number<'_> {
    /// The integer value, when the literal is a plain integer serde_json reads as one (not
    /// `-0`, which it reads as a float) and small enough to convert without overflow.
    fn int(&self) -> Option<i64> {
        if !self.integer || self.digits > 18 {
            return None;
        }
        let v = i64::try_from(self.mantissa).ok()?;
        match (self.negative, v) {
            (true, 0) => None,
            (true, v) => Some(-v),
            (false, v) => Some(v),
        }
    }

    fn unsigned<T: TryFrom<i64>>(&self) -> Option<T> {
        if self.negative {
            return None;
        }
        T::try_from(self.int()?).ok()
    }

    /// The value as serde_json (with `float_roundtrip`) gives it to an `f64` field: integers
    /// converted, other literals correctly rounded.
    fn f64(&self) -> Option<f64> {
        if self.integer {
            return self.int().map(|v| v as f64);
        }
        if let Some(v) = self.short_decimal() {
            return Some(v);
        }
        self.parsed::<f64>().filter(|v| v.is_finite())
    }

    /// A decimal without exponent and with at most 15 digits, `m / 10^k` with both exact in an
    /// `f64`: one division, which IEEE 754 rounds correctly (Clinger's fast path), so the result
    /// is what a correctly rounding parser gives.
    fn short_decimal(&self) -> Option<f64> {
        const POW10: [f64; 16] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        if self.exponent || self.digits > 15 {
            return None;
        }
        let v = self.mantissa as f64 / *POW10.get(self.fraction_digits)?;
        Some(if self.negative { -v } else { v })
    }

    /// The value as serde_json (with `float_roundtrip`) gives it to an `f32` field: integers
    /// cast, other literals rounded once, straight to `f32` (rounding to `f64` first and then to
    /// `f32` can differ when the `f64` lands on the midpoint of two `f32`s).
    fn f32(&self) -> Option<f32> {
        const POW10: [f32; 11] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
        if self.integer {
            return self.int().map(|v| v as f32);
        }
        // Clinger's fast path in single precision: m ≤ 2^24 and 10^k ≤ 10^10 are exact.
        if !self.exponent
            && self.digits <= 19
            && self.mantissa <= 1 << 24
            && let Some(&p) = POW10.get(self.fraction_digits)
        {
            let v = self.mantissa as f32 / p;
            return Some(if self.negative { -v } else { v });
        }
        self.parsed::<f32>().filter(|v| v.is_finite())
    }

    /// The literal through the standard library's correctly rounding parser; `None` for very
    /// long literals and for an underflow to zero, where parsers may differ.
    fn parsed<F: std::str::FromStr + PartialEq + Default>(&self) -> Option<F> {
        if self.text.len() > 64 {
            return None;
        }
        let v: F = std::str::from_utf8(self.text).ok()?.parse().ok()?;
        if v == F::default() && self.text.iter().any(|d| (b'1'..=b'9').contains(d)) {
            return None;
        }
        Some(v)
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek_after_ws(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.b.get(self.i).copied()?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek_after_ws()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.b.get(self.i..self.i + word.len()) == Some(word);
        if found {
            self.i += word.len();
        }
        found
    }

    /// A string at the cursor: its bytes between the quotes, and whether it has escapes.
    fn string_raw(&mut self) -> Option<(&'a [u8], bool)> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
        let raw = self.b.get(start..self.i)?;
        self.i += 1;
        Some((raw, escaped))
    }

    fn string(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        let (raw, escaped) = self.string_raw()?;
        if escaped {
            serde_json::from_slice(self.b.get(start..self.i)?).ok()
        } else {
            std::str::from_utf8(raw).ok().map(str::to_owned)
        }
    }

    fn number(&mut self) -> Option<Number<'a>> {
        self.ws();
        let start = self.i;
        let negative = self.b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let mut mantissa: u64 = 0;
        let mut digits = 0;
        let mut push = |d: u8| {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            digits += 1;
        };
        match *self.b.get(self.i)? {
            b'0' => {
                push(b'0');
                self.i += 1;
            }
            b'1'..=b'9' => {
                while let Some(&d) = self.b.get(self.i)
                    && d.is_ascii_digit()
                {
                    push(d);
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let mut fraction_digits = 0;
        let mut integer = true;
        if self.b.get(self.i) == Some(&b'.') {
            integer = false;
            self.i += 1;
            while let Some(&d) = self.b.get(self.i)
                && d.is_ascii_digit()
            {
                push(d);
                fraction_digits += 1;
                self.i += 1;
            }
            if fraction_digits == 0 {
                return None;
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            integer = false;
            exponent = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            self.digits_required()?;
        }
        Some(Number {
            text: self.b.get(start..self.i)?,
            negative,
            integer,
            exponent,
            mantissa,
            digits,
            fraction_digits,
        })
    }

    fn digits_required(&mut self) -> Option<()> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// One header value, read by serde in place.
    fn value<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        self.ws();
        let mut stream = serde_json::Deserializer::from_slice(self.b.get(self.i..)?).into_iter();
        let value = stream.next()?.ok()?;
        self.i += stream.byte_offset();
        Some(value)
    }

    /// `,` before a further field of the current event: `Some(true)`; the event's `]` (not
    /// consumed): `Some(false)`.
    fn more(&mut self) -> Option<bool> {
        match self.peek_after_ws()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b']' => Some(false),
            _ => None,
        }
    }

    /// The next required field's value starts here.
    fn field(&mut self) -> Option<()> {
        self.more()?.then_some(())
    }

    /// An optional trailing field: missing or `null` is `None`.
    fn optional<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if !self.more()? {
            return Some(None);
        }
        self.ws();
        if self.literal(b"null") {
            return Some(None);
        }
        read(self).map(Some)
    }

    fn f32_field(&mut self) -> Option<f32> {
        self.field()?;
        self.number()?.f32()
    }

    fn u32_field(&mut self) -> Option<u32> {
        self.field()?;
        self.number()?.unsigned()
    }

    fn target_field(&mut self) -> Option<Option<u32>> {
        self.field()?;
        match self.number()?.int()? {
            -1 => Some(None),
            t => u32::try_from(t).ok().map(Some),
        }
    }

    fn pointer_field(&mut self) -> Option<PointerType> {
        let code = self.optional(|c| c.number()?.unsigned::<u64>())?;
        match code {
            None => Some(PointerType::Mouse),
            Some(code) => PointerType::from_code(code),
        }
    }

    /// The event array.
    fn events(&mut self) -> Option<Vec<Event>> {
        self.expect(b'[')?;
        let mut events = Vec::with_capacity((self.b.len() / 32).min(1 << 20));
        let mut page = 0u32;
        if self.peek_after_ws()? == b']' {
            self.i += 1;
            return Some(events);
        }
        loop {
            self.expect(b'[')?;
            let t = self.number()?.int()?;
            self.field()?;
            self.ws();
            let (code, escaped) = self.string_raw()?;
            if escaped {
                return None;
            }
            let kind = match code {
                b"p" => {
                    page = self.u32_field()?;
                    None
                }
                b"m" => {
                    let (x, y) = (self.f32_field()?, self.f32_field()?);
                    Some(EventKind::PointerMove {
                        pos_in_page: PagePos { x, y },
                        pointer: self.pointer_field()?,
                    })
                }
                b"c" | b"dc" | b"cm" | b"ts" | b"te" => {
                    let kind = match code {
                        b"c" => ClickKind::Click,
                        b"dc" => ClickKind::DoubleClick,
                        b"cm" => ClickKind::ContextMenu,
                        b"ts" => ClickKind::TouchStart,
                        _ => ClickKind::TouchEnd,
                    };
                    let (x, y) = (self.f32_field()?, self.f32_field()?);
                    let (vx, vy) = (self.f32_field()?, self.f32_field()?);
                    let target = self.target_field()?;
                    Some(EventKind::Click {
                        pos_in_page: PagePos { x, y },
                        pos_in_viewport: ViewportPos { x: vx, y: vy },
                        kind,
                        pointer: self.pointer_field()?,
                        target,
                    })
                }
                b"s" => Some(EventKind::Scroll {
                    offset: ScrollOffset {
                        x: self.f32_field()?,
                        y: self.f32_field()?,
                    },
                }),
                b"es" => {
                    let target = self.target_field()?;
                    Some(EventKind::ElementScroll {
                        target,
                        offset: ScrollOffset {
                            x: self.f32_field()?,
                            y: self.f32_field()?,
                        },
                    })
                }
                b"r" => Some(EventKind::Resize {
                    viewport: SizePx {
                        width: self.u32_field()?,
                        height: self.u32_field()?,
                    },
                }),
                b"i" => {
                    let target = self.target_field()?;
                    let value_len = self.u32_field()?;
                    let value = self.optional(Self::string)?;
                    let checked = self.optional(|c| {
                        if c.literal(b"true") {
                            Some(true)
                        } else if c.literal(b"false") {
                            Some(false)
                        } else {
                            None
                        }
                    })?;
                    Some(EventKind::Input {
                        target,
                        value_len,
                        value,
                        checked,
                    })
                }
                b"f" => Some(EventKind::Focus {
                    target: self.target_field()?,
                }),
                b"b" => Some(EventKind::Blur {
                    target: self.target_field()?,
                }),
                b"d" => Some(EventKind::DomChange),
                b"e" => {
                    self.field()?;
                    Some(EventKind::Error {
                        message: self.string()?,
                    })
                }
                b"x" => {
                    self.field()?;
                    let name = self.string()?;
                    let value = self.optional(|c| c.number()?.f64())?;
                    let currency = self.optional(Self::string)?;
                    Some(EventKind::Custom {
                        name,
                        value,
                        currency,
                    })
                }
                b"n" => {
                    self.field()?;
                    let url = self.string()?;
                    let method = self.optional(Self::string)?;
                    let status = self.optional(|c| c.number()?.unsigned::<u16>())?;
                    Some(EventKind::NetworkError {
                        url,
                        method,
                        status,
                    })
                }
                // Unknown kinds are skipped with a warning: the serde reader does that.
                _ => return None,
            };
            // Extra fields of a later minor version: the serde reader skips them.
            self.expect(b']')?;
            if let Some(kind) = kind {
                events.push(Event {
                    timestamp_ms: t,
                    page,
                    kind,
                });
            }
            match self.peek_after_ws()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(events);
                }
                _ => return None,
            }
        }
    }
}
