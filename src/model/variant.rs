//! Page variants: which version of a page a page view showed. One URL often shows several
//! pages (an A/B test's variants, a logged-in header, a consent banner open); heatmaps, element
//! maps and KPIs can be split by variant. Where the variant comes from is a [`VariantSource`]:
//! the structure of the recorded DOM, an experiment event the site sent, or a URL parameter.
//! See docs/VARIANTS.md.

use super::{EventKind, Session};

/// The variant of page views that have none under a source (no snapshot, no experiment event,
/// no such URL parameter).
pub const NO_VARIANT: &str = "(none)";

/// Where a page view's variant comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VariantSource {
    /// The signature of the DOM's structure at the page view's first full snapshot
    /// ([`EventKind::PageStructure`]).
    Dom,
    /// The variant named by the session's first experiment event whose event name or
    /// experiment name is this (case-insensitive); it applies to every page view of the session.
    Event(String),
    /// The value of this query parameter in the page view's URL.
    Param(String),
}

impl VariantSource {
    /// Parses `dom`, `event:NAME` or `param:NAME`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("dom") {
            return Ok(Self::Dom);
        }
        match text.split_once(':') {
            Some(("event", name)) if !name.trim().is_empty() => {
                Ok(Self::Event(name.trim().to_owned()))
            }
            Some(("param", name)) if !name.trim().is_empty() => {
                Ok(Self::Param(name.trim().to_owned()))
            }
            _ => Err(format!(
                "{text:?}: expected dom, event:NAME (an experiment event) or param:NAME (a URL \
                 parameter)"
            )),
        }
    }

    /// The text [`VariantSource::parse`] reads back.
    #[must_use]
    pub fn as_text(&self) -> String {
        match self {
            Self::Dom => "dom".to_owned(),
            Self::Event(name) => format!("event:{name}"),
            Self::Param(name) => format!("param:{name}"),
        }
    }

    /// The variant of each of `session`'s page views (`None`: it has none under this source).
    #[must_use]
    pub fn of_pages(&self, session: &Session) -> Vec<Option<String>> {
        match self {
            Self::Dom => {
                let mut out = vec![None; session.pages.len()];
                for event in &session.events {
                    if let EventKind::PageStructure { signature } = event.kind
                        && let Some(slot) = out.get_mut(event.page as usize)
                        && slot.is_none()
                    {
                        *slot = Some(dom_label(signature));
                    }
                }
                out
            }
            Self::Event(name) => {
                let variant = session.events.iter().find_map(|e| match &e.kind {
                    EventKind::Experiment {
                        event,
                        experiment,
                        variant,
                    } if event.eq_ignore_ascii_case(name)
                        || experiment
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case(name)) =>
                    {
                        Some(variant.clone())
                    }
                    _ => None,
                });
                vec![variant; session.pages.len()]
            }
            Self::Param(name) => session
                .pages
                .iter()
                .map(|p| query_param(&p.url, name))
                .collect(),
        }
    }
}

/// A page-view filter: the page views whose variant under `source` is `variant`
/// ([`NO_VARIANT`] selects those without one).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantFilter {
    /// Where variants come from.
    pub source: VariantSource,
    /// The variant kept.
    pub variant: String,
}

impl VariantFilter {
    /// True when a page view whose variant is `variant` passes.
    #[must_use]
    pub fn accepts(&self, variant: Option<&str>) -> bool {
        variant.unwrap_or(NO_VARIANT) == self.variant
    }
}

/// The key a variant's screenshot is kept under in a library's screenshots, in place of a
/// page URL: `variant:SOURCE=NAME@PAGE` (no page URL looks like it).
#[must_use]
pub fn screenshot_key(page: &str, filter: &VariantFilter) -> String {
    let page = page.split_once('#').map_or(page, |(p, _)| p);
    format!(
        "variant:{}={}@{page}",
        filter.source.as_text(),
        filter.variant
    )
}

/// True for a key of [`screenshot_key`] (a variant's screenshot, not a page's).
#[must_use]
pub fn is_screenshot_key(url: &str) -> bool {
    url.starts_with("variant:")
}

/// How a DOM signature is shown: `dom-` and its first 8 hex digits.
#[must_use]
pub fn dom_label(signature: u64) -> String {
    format!("dom-{:08x}", signature >> 32)
}

/// The first value of query parameter `name` in `url` (before any fragment), percent-decoded
/// (`+` as a space); `None` when absent or empty.
#[must_use]
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let without_fragment = url.split_once('#').map_or(url, |(u, _)| u);
    let (_, query) = without_fragment.split_once('?')?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name)
            .then(|| percent_decode(value))
            .filter(|v| !v.is_empty())
    })
}

/// Decodes `%XX` escapes and `+` (invalid escapes are kept as they are; invalid UTF-8 is
/// replaced).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, PageView};

    fn session(urls: &[&str], events: Vec<Event>) -> Session {
        Session {
            session_id: "s".to_owned(),
            started_at_ms: 0,
            duration_ms: 10,
            device: crate::model::DeviceClass::Desktop,
            user_agent: None,
            source: crate::model::TrafficSource::default(),
            country: None,
            pages: urls
                .iter()
                .map(|u| PageView {
                    url: (*u).to_owned(),
                    ..PageView::default()
                })
                .collect(),
            targets: Vec::new(),
            events,
        }
    }

    #[test]
    fn sources_parse_and_print_back() {
        for text in ["dom", "event:experiment", "param:exp"] {
            assert_eq!(VariantSource::parse(text).unwrap().as_text(), text);
        }
        assert!(VariantSource::parse("event:").is_err());
        assert!(VariantSource::parse("cookie:x").is_err());
    }

    #[test]
    fn url_parameters_are_decoded_and_the_fragment_ignored() {
        assert_eq!(
            query_param("http://s.test/p?a=1&exp=B%20two#exp=C", "exp").as_deref(),
            Some("B two")
        );
        assert_eq!(
            query_param("http://s.test/p?exp=a+b", "exp").as_deref(),
            Some("a b")
        );
        assert_eq!(query_param("http://s.test/p?exp=", "exp"), None);
        assert_eq!(query_param("http://s.test/p#x?exp=B", "exp"), None);
        assert_eq!(
            query_param("http://s.test/p?e=%zz", "e").as_deref(),
            Some("%zz")
        );
        assert_eq!(
            query_param("http://s.test/p?e=%4", "e").as_deref(),
            Some("%4")
        );
    }

    #[test]
    fn each_source_names_the_variant_of_each_page_view() {
        let at = |page: u32, kind: EventKind| Event {
            timestamp_ms: 1,
            page,
            kind,
        };
        let s = session(
            &[
                "http://s.test/?exp=A",
                "http://s.test/p?exp=B",
                "http://s.test/q",
            ],
            vec![
                at(0, EventKind::PageStructure { signature: 7 << 32 }),
                at(0, EventKind::PageStructure { signature: 9 << 32 }),
                at(
                    1,
                    EventKind::Experiment {
                        event: "experiment".to_owned(),
                        experiment: Some("pdp-layout".to_owned()),
                        variant: "B".to_owned(),
                    },
                ),
                at(2, EventKind::PageStructure { signature: 1 << 32 }),
            ],
        );
        assert_eq!(
            VariantSource::Dom.of_pages(&s),
            vec![
                Some("dom-00000007".to_owned()),
                None,
                Some("dom-00000001".to_owned())
            ]
        );
        let b = Some("B".to_owned());
        for name in ["experiment", "PDP-layout"] {
            assert_eq!(
                VariantSource::Event(name.to_owned()).of_pages(&s),
                vec![b.clone(), b.clone(), b.clone()]
            );
        }
        assert_eq!(
            VariantSource::Event("other".to_owned()).of_pages(&s),
            vec![None; 3]
        );
        assert_eq!(
            VariantSource::Param("exp".to_owned()).of_pages(&s),
            vec![Some("A".to_owned()), b, None]
        );
        let none = VariantFilter {
            source: VariantSource::Dom,
            variant: NO_VARIANT.to_owned(),
        };
        assert!(none.accepts(None) && !none.accepts(Some("A")));
    }
}
