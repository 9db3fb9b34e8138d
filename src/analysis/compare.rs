//! Compare mode: one filter set split into two (A and B) that differ in one respect.

use crate::model::time;
use crate::model::{DeviceClass, SessionFilter, VariantFilter, VariantSource};

/// What A and B differ in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComparePreset {
    /// A: converted sessions; B: the others.
    Converted,
    /// A: sessions started before the day (epoch ms of its midnight, UTC); B: from it on
    /// (before and after a redesign).
    BeforeAfter(i64),
    /// A: sessions with a signal of this kind; B: all sessions of the base filter.
    Signal(String),
    /// A: sessions with a custom event of this name (a micro-conversion); B: all sessions.
    Event(String),
    /// A: sessions on the first device class; B: on the second.
    Device(DeviceClass, DeviceClass),
    /// A: sessions from the first traffic source (a channel such as `paid_social`, or a
    /// `utm_source`); B: from the second, or all sessions when none is named.
    Source(String, Option<String>),
    /// A: page views of one variant; B: of another (docs/VARIANTS.md). Splits page views, not
    /// sessions: [`ComparePreset::variants`].
    Variant(VariantSource, String, String),
}

impl ComparePreset {
    /// Parses `converted`, `before:YYYY-MM-DD`, `signal:KIND`, `event:NAME`,
    /// `device:A,B` (e.g. `device:mobile,desktop`), `source:A[,B]` or `variant:SOURCE=A,B`
    /// (e.g. `variant:param:exp=A,B`, `variant:dom=dom-1a2b3c4d,dom-5e6f7a8b`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "converted" {
            return Ok(Self::Converted);
        }
        if let Some(rest) = text.strip_prefix("variant:") {
            let bad = || {
                format!(
                    "{text:?}: expected variant:SOURCE=A,B with SOURCE dom, event:NAME or \
                     param:NAME and two different variants"
                )
            };
            let (source, pair) = rest.rsplit_once('=').ok_or_else(bad)?;
            let source = VariantSource::parse(source).map_err(|e| format!("{text:?}: {e}"))?;
            let parts: Vec<&str> = pair.split(',').map(str::trim).collect();
            return match parts.as_slice() {
                [a, b] if !a.is_empty() && !b.is_empty() && a != b => {
                    Ok(Self::Variant(source, (*a).to_owned(), (*b).to_owned()))
                }
                _ => Err(bad()),
            };
        }
        match text.split_once(':') {
            Some(("before", day)) => crate::model::filter::day_start_ms(day)
                .ok()
                .filter(|_| day.contains('-'))
                .map(Self::BeforeAfter)
                .ok_or_else(|| format!("{text:?}: expected before:YYYY-MM-DD (a real day)")),
            Some(("signal", kind)) if !kind.trim().is_empty() => {
                Ok(Self::Signal(kind.trim().to_owned()))
            }
            Some(("event", name)) if !name.trim().is_empty() => {
                Ok(Self::Event(name.trim().to_owned()))
            }
            Some(("device", pair)) => {
                let mut parts = pair.split(',').map(str::trim);
                match (
                    parts.next().and_then(DeviceClass::parse),
                    parts.next().and_then(DeviceClass::parse),
                    parts.next(),
                ) {
                    (Some(a), Some(b), None) if a != b => Ok(Self::Device(a, b)),
                    _ => Err(format!(
                        "{text:?}: expected device:A,B with two of desktop, tablet, mobile"
                    )),
                }
            }
            Some(("source", pair)) => {
                let parts: Vec<&str> = pair.split(',').map(str::trim).collect();
                match parts.as_slice() {
                    [a] if !a.is_empty() => Ok(Self::Source((*a).to_owned(), None)),
                    [a, b] if !a.is_empty() && !b.is_empty() && a != b => {
                        Ok(Self::Source((*a).to_owned(), Some((*b).to_owned())))
                    }
                    _ => Err(format!(
                        "{text:?}: expected source:A or source:A,B (channels or utm_source values)"
                    )),
                }
            }
            _ => Err(format!(
                "{text:?}: expected converted, before:YYYY-MM-DD, signal:KIND, event:NAME, \
                 device:A,B, source:A[,B] or variant:SOURCE=A,B"
            )),
        }
    }

    /// The two filters, each with its label, from `base`.
    #[must_use]
    pub fn split(
        &self,
        base: &SessionFilter,
    ) -> ((String, SessionFilter), (String, SessionFilter)) {
        let mut a = base.clone();
        let mut b = base.clone();
        let labels = match self {
            Self::Converted => {
                a.converted = Some(true);
                b.converted = Some(false);
                ("converted".to_owned(), "not converted".to_owned())
            }
            Self::BeforeAfter(day_ms) => {
                a.started_before_ms =
                    Some(base.started_before_ms.map_or(*day_ms, |t| t.min(*day_ms)));
                b.started_from_ms = Some(base.started_from_ms.map_or(*day_ms, |t| t.max(*day_ms)));
                let day: String = time::format_utc(*day_ms).chars().take(10).collect();
                (format!("before {day}"), format!("from {day}"))
            }
            Self::Signal(kind) => {
                a.has_signal = Some(kind.clone());
                (format!("with {kind}"), "all sessions".to_owned())
            }
            Self::Event(name) => {
                a.has_event = Some(name.clone());
                (format!("did {name}"), "all sessions".to_owned())
            }
            Self::Device(da, db) => {
                a.device = Some(*da);
                b.device = Some(*db);
                (da.as_str().to_owned(), db.as_str().to_owned())
            }
            Self::Source(sa, sb) => {
                a.source = Some(sa.clone());
                b.source.clone_from(sb);
                if sb.is_none() {
                    b.source.clone_from(&base.source);
                }
                (
                    format!("from {sa}"),
                    sb.as_ref()
                        .map_or_else(|| "all sessions".to_owned(), |s| format!("from {s}")),
                )
            }
            Self::Variant(_, va, vb) => (format!("variant {va}"), format!("variant {vb}")),
        };
        ((labels.0, a), (labels.1, b))
    }

    /// A and B of a query whose page views may be narrowed to a variant, each with its label:
    /// `make` builds a side's query from its session filter and variant (for
    /// [`ComparePreset::Variant`] the two variants, otherwise `variant` on both sides).
    pub fn split_with<Q>(
        &self,
        base: &SessionFilter,
        variant: Option<&VariantFilter>,
        make: impl Fn(SessionFilter, Option<VariantFilter>) -> Q,
    ) -> ((String, Q), (String, Q)) {
        let ((label_a, a), (label_b, b)) = self.split(base);
        let (va, vb) = match self.variants() {
            Some((va, vb)) => (Some(va), Some(vb)),
            None => (variant.cloned(), variant.cloned()),
        };
        ((label_a, make(a, va)), (label_b, make(b, vb)))
    }

    /// The page-view filters of A and B for [`ComparePreset::Variant`] (the session filters
    /// of [`ComparePreset::split`] are then the base filter for both).
    #[must_use]
    pub fn variants(&self) -> Option<(VariantFilter, VariantFilter)> {
        match self {
            Self::Variant(source, a, b) => Some((
                VariantFilter {
                    source: source.clone(),
                    variant: a.clone(),
                },
                VariantFilter {
                    source: source.clone(),
                    variant: b.clone(),
                },
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_split() {
        let base = SessionFilter {
            device: Some(crate::model::DeviceClass::Mobile),
            ..SessionFilter::default()
        };
        let ((la, a), (lb, b)) = ComparePreset::parse("converted").unwrap().split(&base);
        assert_eq!((la.as_str(), lb.as_str()), ("converted", "not converted"));
        assert_eq!((a.converted, b.converted), (Some(true), Some(false)));
        assert_eq!(a.device, base.device);

        let day = ComparePreset::parse("before:2026-11-15").unwrap();
        let ((la, a), (lb, b)) = day.split(&base);
        assert_eq!(la, "before 2026-11-15");
        assert_eq!(lb, "from 2026-11-15");
        assert_eq!(a.started_before_ms, b.started_from_ms);
        assert!(a.started_from_ms.is_none() && b.started_before_ms.is_none());

        let ((_, a), (_, b)) = ComparePreset::parse("event:add_to_cart")
            .unwrap()
            .split(&base);
        assert_eq!(a.has_event.as_deref(), Some("add_to_cart"));
        assert_eq!(b, base);
        assert!(ComparePreset::parse("before:soon").is_err());
        assert!(ComparePreset::parse("device").is_err());

        let ((la, a), (lb, b)) = ComparePreset::parse("device:mobile, desktop")
            .unwrap()
            .split(&SessionFilter::default());
        assert_eq!((la.as_str(), lb.as_str()), ("mobile", "desktop"));
        assert_eq!(
            (a.device, b.device),
            (Some(DeviceClass::Mobile), Some(DeviceClass::Desktop))
        );
        for bad in [
            "device:mobile",
            "device:mobile,mobile",
            "device:phone,desktop",
        ] {
            assert!(ComparePreset::parse(bad).is_err(), "{bad}");
        }
        let ((la, a), (lb, b)) = ComparePreset::parse("source:paid_social,email")
            .unwrap()
            .split(&base);
        assert_eq!(
            (la.as_str(), lb.as_str()),
            ("from paid_social", "from email")
        );
        assert_eq!(
            (a.source.as_deref(), b.source.as_deref()),
            (Some("paid_social"), Some("email"))
        );
        assert_eq!((a.device, b.device), (base.device, base.device));
        let ((_, a), (lb, b)) = ComparePreset::parse("source:instagram")
            .unwrap()
            .split(&base);
        assert_eq!(
            (a.source.as_deref(), lb.as_str()),
            (Some("instagram"), "all sessions")
        );
        assert_eq!(b, base);
        assert!(ComparePreset::parse("source:").is_err());
    }
}
