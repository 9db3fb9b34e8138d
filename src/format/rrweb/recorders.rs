//! What the recorders' own rrweb events mean: posthog-js and Sentry custom events (rrweb type 5)
//! and the `rrweb/network@1` plugin (type 6). See docs/RRWEB.md "Event mapping".
//!
//! Route changes of single-page apps (history.pushState: no new Meta event) are only visible
//! through these events, so they start page views; recorder bookkeeping (settings, Sentry's
//! copies of clicks and inputs) is dropped; console errors and failed requests are kept.

use serde::Deserialize;

use super::raw::{Num, Payload, Str};

/// `data` of a Sentry breadcrumb (`{from, to}` of a navigation) or performance span (`{method,
/// statusCode, …}` of a request).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SpanData<'a> {
    /// Navigation breadcrumb: the previous path.
    #[serde(borrow)]
    pub from: Str<'a>,
    /// Navigation breadcrumb: the new path (relative to the page's origin) or URL.
    #[serde(borrow)]
    pub to: Str<'a>,
    /// Request span: the HTTP status (absent when no response came).
    pub status_code: Num,
    /// Request span: the HTTP method.
    #[serde(borrow)]
    pub method: Str<'a>,
    /// A site's breadcrumb: its value (e.g. revenue).
    pub value: Num,
    /// A site's breadcrumb: the currency of `value`.
    #[serde(borrow)]
    pub currency: Str<'a>,
}

/// One request of an `rrweb/network@1` plugin event (rrweb's network plugin, or posthog-js's
/// version of it, which names the URL `name` and may add the resource timing `responseStatus`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Request<'a> {
    /// The request URL.
    #[serde(borrow)]
    pub url: Str<'a>,
    /// The request URL (performance-entry name).
    #[serde(borrow)]
    pub name: Str<'a>,
    /// HTTP method.
    #[serde(borrow)]
    pub method: Str<'a>,
    /// HTTP status from the fetch/XHR wrapper (0 or absent: no response).
    pub status: Num,
    /// HTTP status from resource timing (0 also for opaque cross-origin responses).
    pub response_status: Num,
    /// `fetch`, `xmlhttprequest`, `img`, `script`, …
    #[serde(borrow)]
    pub initiator_type: Str<'a>,
    /// Epoch ms of the request, when the recorder gives one.
    pub timestamp: Num,
}

/// A request that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedRequest {
    /// The request URL.
    pub url: String,
    /// HTTP method, when recorded.
    pub method: Option<String>,
    /// HTTP status; `None` when no response came.
    pub status: Option<u16>,
}

/// What a custom event (rrweb type 5) means.
#[derive(Clone, Debug, PartialEq)]
pub enum Meaning {
    /// The page's URL changed without a page load (SPA route change): absolute, or relative
    /// to the current page.
    Route(String),
    /// A JavaScript error (Sentry console breadcrumb at level error).
    Error(String),
    /// A request that failed (Sentry `resource.fetch` / `resource.xhr` span).
    Network(FailedRequest),
    /// An event the site sent: a `Custom` event (micro-conversion) named by the tag.
    Site,
    /// An event the site sent through Sentry (a breadcrumb of its own category): a `Custom`
    /// event named by the breadcrumb's message.
    SiteBreadcrumb {
        /// The breadcrumb's `message`.
        name: String,
        /// `data.value`, when a finite number.
        value: Option<f64>,
        /// `data.currency`.
        currency: Option<String>,
    },
    /// Recorder bookkeeping: no event.
    Nothing,
}

/// The meaning of a custom event with this `tag` and `payload`.
pub fn custom_meaning(tag: &str, payload: Option<&Payload<'_>>) -> Meaning {
    let non_empty = |s: &Str<'_>| {
        s.get()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match tag {
        // posthog-js: the URL after a page load or a route change.
        "$pageview" | "$url_changed" => payload
            .and_then(|p| non_empty(&p.href))
            .map_or(Meaning::Nothing, Meaning::Route),
        // posthog-js bookkeeping ($remote_config_received, $session_options, $posthog_config,
        // $recording_started, $session_id_change, …).
        t if t.starts_with('$') => Meaning::Nothing,
        "breadcrumb" => {
            let Some(p) = payload else {
                return Meaning::Nothing;
            };
            match p.category.get().unwrap_or("") {
                "navigation" => p
                    .data
                    .0
                    .as_ref()
                    .and_then(|d| non_empty(&d.to))
                    .map_or(Meaning::Nothing, Meaning::Route),
                "console"
                    if p.level
                        .get()
                        .is_some_and(|l| l.eq_ignore_ascii_case("error")) =>
                {
                    let message = non_empty(&p.message).unwrap_or_else(|| {
                        p.payload
                            .0
                            .iter()
                            .map(|a| &**a)
                            .collect::<Vec<_>>()
                            .join(" ")
                    });
                    Meaning::Error(message)
                }
                // ui.click / ui.tap / ui.input / ui.keyDown repeat rrweb's own events;
                // ui.slowClickDetected / ui.multiClick are Sentry's verdicts (our detectors
                // decide); console at other levels, replay.*, sentry.* and requests: nothing.
                category if is_sentry_category(category) => Meaning::Nothing,
                // `Sentry.addBreadcrumb({category: "shop", message: "purchase", data})`: the
                // only way a site's own events reach a Sentry replay.
                _ => match non_empty(&p.message) {
                    Some(name) => {
                        let data = p.data.0.as_ref();
                        Meaning::SiteBreadcrumb {
                            name,
                            value: data.and_then(|d| d.value.0).filter(|v| v.is_finite()),
                            currency: data.and_then(|d| non_empty(&d.currency)),
                        }
                    }
                    None => Meaning::Nothing,
                },
            }
        }
        "performanceSpan" => {
            let Some(p) = payload else {
                return Meaning::Nothing;
            };
            match p.op.get().unwrap_or("") {
                // history.pushState / replaceState / popstate. The other navigation.* spans
                // (navigate, reload, back_forward) time a page load, which its Meta marks.
                "navigation.push" => {
                    non_empty(&p.description).map_or(Meaning::Nothing, Meaning::Route)
                }
                "resource.fetch" | "resource.xhr" => {
                    let data = p.data.0.as_ref();
                    let status = data.and_then(|d| status_code(d.status_code));
                    if status.is_some_and(|s| s < 400) {
                        return Meaning::Nothing;
                    }
                    Meaning::Network(FailedRequest {
                        url: non_empty(&p.description).unwrap_or_default(),
                        method: data.and_then(|d| non_empty(&d.method)),
                        status,
                    })
                }
                _ => Meaning::Nothing,
            }
        }
        // Sentry's session settings.
        "options" => Meaning::Nothing,
        _ => Meaning::Site,
    }
}

/// True for the breadcrumb categories Sentry's SDK writes itself (empty included).
fn is_sentry_category(category: &str) -> bool {
    let category = category.trim();
    category.is_empty()
        || matches!(
            category,
            "navigation" | "console" | "fetch" | "xhr" | "http" | "history" | "ui"
        )
        || ["ui.", "replay.", "sentry.", "navigation."]
            .iter()
            .any(|p| category.starts_with(p))
}

/// An HTTP status from a number: `None` for 0, absent or out-of-range values (no response).
fn status_code(n: Num) -> Option<u16> {
    let v = n.as_id()?;
    u16::try_from(v).ok().filter(|s| *s > 0)
}

/// The request when it failed: a status of 400 or more, or no response (status 0 or none) of a
/// fetch or XHR. A resource-timing entry of an image, script or style without a status, or with
/// `responseStatus` 0 (an opaque cross-origin response), is not a failure.
pub fn failed_request(r: &Request<'_>) -> Option<FailedRequest> {
    let url = r
        .url
        .get()
        .or(r.name.get())
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    let method = r
        .method
        .get()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let status = status_code(r.status).or_else(|| status_code(r.response_status));
    let failed = match status {
        Some(s) => s >= 400,
        None => {
            let initiator = r.initiator_type.get().unwrap_or("");
            let fetch_like = matches!(initiator, "fetch" | "xmlhttprequest" | "xhr")
                || (initiator.is_empty() && method.is_some());
            // An explicit `status: 0`, or a fetch/XHR without any status.
            fetch_like && (r.status.0.is_some() || r.response_status.0.is_none())
        }
    };
    failed.then_some(FailedRequest {
        url,
        method,
        status,
    })
}

/// `url` resolved against `base` (the current page's URL): absolute URLs as they are,
/// `//host/…`, `/path`, `?query`, `#fragment` and relative paths as a browser would (without
/// `.`/`..` normalisation). When `base` has no scheme and host, `url` is returned unchanged.
pub fn resolve_url(base: &str, url: &str) -> String {
    let url = url.trim();
    if has_scheme(url) {
        return url.to_owned();
    }
    let Some((scheme, rest)) = base.split_once("://").filter(|(s, _)| has_scheme_name(s)) else {
        return url.to_owned();
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", rest.get(..host_end).unwrap_or(rest));
    let without_fragment = base.split('#').next().unwrap_or(base);
    if let Some(after) = url.strip_prefix("//") {
        format!("{scheme}://{after}")
    } else if url.starts_with('/') {
        format!("{origin}{url}")
    } else if url.starts_with('?') {
        let without_query = without_fragment
            .split('?')
            .next()
            .unwrap_or(without_fragment);
        format!("{without_query}{url}")
    } else if url.starts_with('#') {
        format!("{without_fragment}{url}")
    } else if url.is_empty() {
        base.to_owned()
    } else {
        let path_part = without_fragment
            .split('?')
            .next()
            .unwrap_or(without_fragment);
        let dir = if path_part.len() > origin.len() {
            path_part
                .rfind('/')
                .and_then(|i| path_part.get(..=i))
                .unwrap_or(path_part)
        } else {
            return format!("{origin}/{url}");
        };
        format!("{dir}{url}")
    }
}

fn has_scheme_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(s, rest)| {
        has_scheme_name(s) && (rest.starts_with("//") || matches!(s, "about" | "data" | "blob"))
    })
}

/// True when `new` names a different page than `current`: URLs differ, other than by a
/// fragment. A fragment change counts when the new fragment is a hash-router route (`#/cart`,
/// `#!/cart`); an in-page anchor (`#reviews`) does not start a page view (a multi-page site's
/// anchor link does not either), and neither does a URL without a fragment (posthog-js reports
/// URLs without their fragment).
pub fn is_new_route(current: &str, new: &str) -> bool {
    if current == new {
        return false;
    }
    let split = |u: &str| -> (String, String) {
        match u.split_once('#') {
            Some((a, f)) => (a.to_owned(), f.to_owned()),
            None => (u.to_owned(), String::new()),
        }
    };
    let (cur_doc, cur_frag) = split(current);
    let (new_doc, new_frag) = split(new);
    if normalize(&cur_doc) != normalize(&new_doc) {
        return true;
    }
    let route = |f: &str| f.starts_with('/') || f.starts_with("!/");
    route(&new_frag) && cur_frag != new_frag
}

/// A document URL compared loosely: `https://shop.test` equals `https://shop.test/`.
fn normalize(doc: &str) -> String {
    match doc.split_once("://") {
        Some((scheme, rest)) if !rest.contains('/') && !rest.contains('?') => {
            format!("{scheme}://{rest}/")
        }
        _ => doc.to_owned(),
    }
}
