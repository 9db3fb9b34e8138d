//! Which sessions a question covers ([`SessionFilter`]), the one URL-pattern rule
//! ([`UrlPattern`]), and the one parser from the filter as a person types it ([`FilterText`]:
//! CLI flags and the app's fields alike) to a [`SessionFilter`].
//!
//! Owns: filter values and their parsing. May use: `model` only (dates through `jiff`).

use super::DeviceClass;

/// Which sessions a query covers. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionFilter {
    /// A visited page URL: exact, or a glob with `*` and `?`. A pattern starting with `/` matches
    /// the path of any origin (`/product/*`). Matched by [`UrlPattern`].
    pub url: Option<String>,
    /// Device class.
    pub device: Option<DeviceClass>,
    /// Smallest initial viewport width, CSS px.
    pub min_viewport_width: Option<u32>,
    /// Largest initial viewport width, CSS px.
    pub max_viewport_width: Option<u32>,
    /// Traffic source: a channel name (`paid_social`) or a `utm_source` value (`instagram`).
    pub source: Option<String>,
    /// Sessions started at or after this epoch ms.
    pub started_from_ms: Option<i64>,
    /// Sessions started before this epoch ms.
    pub started_before_ms: Option<i64>,
    /// Converted for the library's conversion goal (`store::conversions`) or not.
    pub converted: Option<bool>,
    /// Sessions with at least one signal of this kind (e.g. `rage_click`).
    pub has_signal: Option<String>,
    /// Sessions with at least one custom event of this name (a micro-conversion such as
    /// `add_to_cart`), compared without regard to ASCII case.
    pub has_event: Option<String>,
}

/// A page URL pattern, with one meaning everywhere: session filters, heatmaps, signals,
/// hotspots, reports and the app's page pickers.
///
/// - The pattern's fragment (`#…`) is dropped, and URLs are compared without theirs.
/// - A pattern with `*` (any run of characters, `/` included) or `?` (one character) is a glob;
///   every other character, `[` and `]` included, stands for itself.
/// - A pattern starting with `/` is a path on any origin: `/product/*` is `*://*/product/*`.
/// - Anything else is an exact URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlPattern {
    /// The pattern as given (trimmed).
    text: String,
    /// The full-URL form: an exact URL, or a glob over the whole URL.
    full: String,
    /// True when `full` is a glob.
    is_glob: bool,
}

impl UrlPattern {
    /// The pattern `text` means (see the type's rules).
    #[must_use]
    pub fn new(text: &str) -> Self {
        let text = text.trim();
        let body = text.split_once('#').map_or(text, |(u, _)| u);
        let full = if body.starts_with('/') {
            format!("*://*{body}")
        } else {
            body.to_owned()
        };
        let is_glob = full.contains(['*', '?']);
        Self {
            text: text.to_owned(),
            full,
            is_glob,
        }
    }

    /// The pattern as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern can match more than one URL.
    #[must_use]
    pub fn is_glob(&self) -> bool {
        self.is_glob
    }

    /// True when `url` (its fragment ignored) matches.
    #[must_use]
    pub fn matches(&self, url: &str) -> bool {
        let url = url.split_once('#').map_or(url, |(u, _)| u);
        if self.is_glob {
            glob_match(&self.full, url)
        } else {
            self.full == url
        }
    }

    /// The SQL comparison operator (`GLOB` or `=`) and its operand, for a column holding URLs
    /// without fragments: the same matches as [`Self::matches`] (SQLite's `[` classes are
    /// escaped, so `[` stays literal).
    #[must_use]
    pub fn sql_operand(&self) -> (&'static str, String) {
        if self.is_glob {
            ("GLOB", self.full.replace('[', "[[]"))
        } else {
            ("=", self.full.clone())
        }
    }
}

/// Matches `text` against a glob where `*` is any run of characters (`/` included), `?` one
/// character, and every other character itself.
#[must_use]
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&tc) = t.get(ti) {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == tc => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_none_or(|rest| rest.iter().all(|&c| c == '*'))
}

/// A filter field that could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    /// A date that is not `YYYY-MM-DD` (a real day) nor epoch milliseconds.
    #[error("{field} {value:?}: {reason} (expected YYYY-MM-DD or epoch milliseconds)")]
    Date {
        /// `from` or `to`.
        field: &'static str,
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A time zone name the system's time zone database does not know.
    #[error("time zone {0:?} is unknown (expected an IANA name such as Europe/Berlin, or UTC)")]
    Zone(String),
    /// A range whose start lies after its end.
    #[error("the range is empty: from {from} is after to {to}")]
    EmptyRange {
        /// The start as given.
        from: String,
        /// The end as given.
        to: String,
    },
    /// A width range whose smallest width is larger than its largest.
    #[error("the width range is empty: min {min} px is larger than max {max} px")]
    EmptyWidths {
        /// Smallest width.
        min: u32,
        /// Largest width.
        max: u32,
    },
}

/// The filter as a person types it: the CLI's flags and the app's fields both fill this, and
/// [`FilterText::parse`] is the one place that turns it into a [`SessionFilter`]. Blank text
/// counts as not given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterText {
    /// URL or pattern of a visited page ([`UrlPattern`]).
    pub page: Option<String>,
    /// Device class.
    pub device: Option<DeviceClass>,
    /// Smallest initial viewport width, CSS px.
    pub min_viewport_width: Option<u32>,
    /// Largest initial viewport width, CSS px.
    pub max_viewport_width: Option<u32>,
    /// Channel or `utm_source`.
    pub source: Option<String>,
    /// First day (`YYYY-MM-DD`, from its start) or epoch ms (inclusive).
    pub from: Option<String>,
    /// Last day (`YYYY-MM-DD`, to its end: inclusive) or epoch ms (exclusive).
    pub to: Option<String>,
    /// The time zone days are counted in (IANA name); UTC when not given.
    pub zone: Option<String>,
    /// Converted or not.
    pub converted: Option<bool>,
    /// Signal kind.
    pub has_signal: Option<String>,
    /// Custom event name.
    pub has_event: Option<String>,
}

/// `Some(trimmed)` unless blank.
fn given(text: Option<&String>) -> Option<String> {
    text.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl FilterText {
    /// The session filter, or the first field that cannot be read.
    pub fn parse(&self) -> Result<SessionFilter, FilterError> {
        let (started_from_ms, started_before_ms) = day_range_ms(
            self.from.as_deref(),
            self.to.as_deref(),
            self.zone.as_deref(),
        )?;
        if let (Some(min), Some(max)) = (self.min_viewport_width, self.max_viewport_width)
            && min > max
        {
            return Err(FilterError::EmptyWidths { min, max });
        }
        Ok(SessionFilter {
            url: given(self.page.as_ref()).map(|p| UrlPattern::new(&p).as_str().to_owned()),
            device: self.device,
            min_viewport_width: self.min_viewport_width,
            max_viewport_width: self.max_viewport_width,
            source: given(self.source.as_ref()),
            started_from_ms,
            started_before_ms,
            converted: self.converted,
            has_signal: given(self.has_signal.as_ref()),
            has_event: given(self.has_event.as_ref()),
        })
    }
}

impl FilterText {
    /// The filter with every field that can be read: the app's fields show a field they cannot
    /// read as an error (see [`date_is_valid`]) and the rest of the filter still applies.
    #[must_use]
    pub fn parse_lenient(&self) -> SessionFilter {
        let mut text = self.clone();
        if time_zone(text.zone.as_deref()).is_err() {
            text.zone = None;
        }
        let zone = text.zone.clone();
        if day_range_ms(text.from.as_deref(), None, zone.as_deref()).is_err() {
            text.from = None;
        }
        if day_range_ms(None, text.to.as_deref(), zone.as_deref()).is_err() {
            text.to = None;
        }
        if let Err(FilterError::EmptyRange { .. }) =
            day_range_ms(text.from.as_deref(), text.to.as_deref(), zone.as_deref())
        {
            text.to = None;
        }
        if let (Some(min), Some(max)) = (text.min_viewport_width, text.max_viewport_width)
            && min > max
        {
            text.max_viewport_width = None;
        }
        text.parse().unwrap_or_default()
    }
}

/// True when `text` is blank or a date the filters accept (a real `YYYY-MM-DD` day, or epoch
/// ms): what the app's date fields check as they are typed.
#[must_use]
pub fn date_is_valid(text: &str) -> bool {
    text.trim().is_empty() || day_start_ms(text).is_ok()
}

/// The time zone days are counted in: `zone` (an IANA name, or `UTC`), UTC when not given.
fn time_zone(zone: Option<&str>) -> Result<jiff::tz::TimeZone, FilterError> {
    match zone.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(z) if z.eq_ignore_ascii_case("utc") => Ok(jiff::tz::TimeZone::UTC),
        Some(z) => jiff::tz::TimeZone::get(z).map_err(|_| FilterError::Zone(z.to_owned())),
    }
}

/// One end of a day range in epoch ms: a date's first moment (`next_day`: the next date's) in
/// `zone`, or epoch ms as given.
fn day_bound_ms(
    field: &'static str,
    text: &str,
    zone: &jiff::tz::TimeZone,
    next_day: bool,
) -> Result<i64, FilterError> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().map_err(|e| FilterError::Date {
            field,
            value: text.to_owned(),
            reason: e.to_string(),
        });
    }
    let invalid = |reason: String| FilterError::Date {
        field,
        value: text.to_owned(),
        reason,
    };
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|e: jiff::Error| invalid(e.to_string()))?;
    let date = if next_day {
        date.tomorrow().map_err(|e| invalid(e.to_string()))?
    } else {
        date
    };
    let zoned = date
        .to_zoned(zone.clone())
        .map_err(|e| invalid(e.to_string()))?;
    Ok(zoned.timestamp().as_millisecond())
}

/// A range of days in epoch ms, `[from's first moment, the moment after to's last day)`, counted
/// in `zone` (UTC when not given). Dates must be real days (`2026-02-31` is an error, not March);
/// plain integers are epoch ms and are taken as given (`to` then exclusive).
pub fn day_range_ms(
    from: Option<&str>,
    to: Option<&str>,
    zone: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), FilterError> {
    let from = from.map(str::trim).filter(|s| !s.is_empty());
    let to = to.map(str::trim).filter(|s| !s.is_empty());
    if from.is_none() && to.is_none() {
        return Ok((None, None));
    }
    let zone = time_zone(zone)?;
    let start = from
        .map(|t| day_bound_ms("from", t, &zone, false))
        .transpose()?;
    let end = to.map(|t| day_bound_ms("to", t, &zone, true)).transpose()?;
    if let (Some(a), Some(b), Some(from), Some(to)) = (start, end, from, to)
        && a >= b
    {
        return Err(FilterError::EmptyRange {
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }
    Ok((start, end))
}

/// The first moment of a day (`YYYY-MM-DD`, a real day, in UTC) or plain epoch ms.
pub fn day_start_ms(text: &str) -> Result<i64, FilterError> {
    day_bound_ms("date", text, &jiff::tz::TimeZone::UTC, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_pattern_rule() {
        let exact = UrlPattern::new("https://shop.test/cart.html#top");
        assert!(!exact.is_glob());
        assert!(exact.matches("https://shop.test/cart.html"));
        assert!(exact.matches("https://shop.test/cart.html#other"));
        assert!(!exact.matches("https://shop.test/cart.html?x=1"));
        assert_eq!(
            exact.sql_operand(),
            ("=", "https://shop.test/cart.html".to_owned())
        );

        let path = UrlPattern::new(" /product/* ");
        assert_eq!(path.as_str(), "/product/*");
        assert!(path.matches("http://shop.test/product/trail-runner.html"));
        assert!(path.matches("https://other.example/product/x?y=1#z"));
        assert!(!path.matches("http://shop.test/cart.html"));

        // `[` is literal in every matcher, SQL included.
        let bracket = UrlPattern::new("/search?q=[shoes]*");
        assert!(bracket.matches("http://shop.test/search?q=[shoes]&page=2"));
        assert!(!bracket.matches("http://shop.test/search?q=s&page=2"));
        assert_eq!(
            bracket.sql_operand(),
            ("GLOB", "*://*/search?q=[[]shoes]*".to_owned())
        );
        let one = UrlPattern::new("http://shop.test/?");
        assert!(one.matches("http://shop.test/x"));
        assert!(!one.matches("http://shop.test/xy"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*cart*", "http://shop.test/cart.html"));
        assert!(glob_match("[x]", "[x]"));
        assert!(!glob_match("[x]", "x"));
    }

    #[test]
    fn days_are_real_and_ranges_include_the_last_day() {
        assert_eq!(
            day_range_ms(Some("2023-11-14"), Some("2023-11-14"), None),
            Ok((Some(1_699_920_000_000), Some(1_700_006_400_000)))
        );
        assert_eq!(day_start_ms("1700000000000"), Ok(1_700_000_000_000));
        let err = day_range_ms(Some("2026-02-31"), None, None).unwrap_err();
        assert!(
            matches!(err, FilterError::Date { field: "from", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2026-02-31"), "{err}");
        assert!(day_range_ms(None, Some("yesterday"), None).is_err());
        assert!(day_range_ms(None, Some("2023-13-01"), None).is_err());
        assert!(matches!(
            day_range_ms(Some("2023-11-15"), Some("2023-11-14"), None),
            Err(FilterError::EmptyRange { .. })
        ));
        assert_eq!(
            day_range_ms(Some("2023-11-14"), None, Some("Mars/Olympus")),
            Err(FilterError::Zone("Mars/Olympus".to_owned()))
        );
    }

    #[test]
    fn days_count_in_the_stated_zone() {
        // Berlin is UTC+1 in November: its 14th starts at 23:00 UTC on the 13th.
        if jiff::tz::TimeZone::get("Europe/Berlin").is_err() {
            return; // no time zone database on this machine
        }
        assert_eq!(
            day_range_ms(
                Some("2023-11-14"),
                Some("2023-11-14"),
                Some("Europe/Berlin")
            ),
            Ok((
                Some(1_699_920_000_000 - 3_600_000),
                Some(1_700_006_400_000 - 3_600_000)
            ))
        );
    }

    #[test]
    fn the_text_form_parses_once_for_cli_and_app() {
        let text = FilterText {
            page: Some("  ".to_owned()),
            source: Some(" instagram ".to_owned()),
            from: Some("2023-11-14".to_owned()),
            to: Some("".to_owned()),
            converted: Some(true),
            ..FilterText::default()
        };
        let filter = text.parse().unwrap();
        assert_eq!(filter.url, None);
        assert_eq!(filter.source.as_deref(), Some("instagram"));
        assert_eq!(filter.started_from_ms, Some(1_699_920_000_000));
        assert_eq!(filter.started_before_ms, None);
        assert_eq!(filter.converted, Some(true));
        let widths = FilterText {
            min_viewport_width: Some(800),
            max_viewport_width: Some(400),
            ..FilterText::default()
        };
        assert!(matches!(
            widths.parse(),
            Err(FilterError::EmptyWidths { .. })
        ));
        // The app keeps what it can read: a bad date drops out, the rest applies.
        let typing = FilterText {
            from: Some("2026-02-31".to_owned()),
            has_event: Some("add_to_cart".to_owned()),
            ..FilterText::default()
        };
        let lenient = typing.parse_lenient();
        assert_eq!(lenient.started_from_ms, None);
        assert_eq!(lenient.has_event.as_deref(), Some("add_to_cart"));
        assert!(!date_is_valid("2026-02-31"));
        assert!(date_is_valid(" "));
        assert!(date_is_valid("2026-02-28"));
    }
}
