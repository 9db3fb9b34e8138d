//! Redaction of recordings before they are shared: typed input values, personal query-string
//! values, e-mail addresses and IP-like strings are replaced, in native session files, rrweb
//! recordings (JSON array, JSON Lines, PostHog export) and bundles, gzip-compressed or not.
//!
//! Redaction works on the JSON itself, not on the parsed model, so everything else in the
//! recording (its DOM snapshots, unknown fields, event order) survives unchanged and the output
//! is read exactly like the input.

use std::io::{Read, Seek, Write};

use serde_json::Value;

use super::{FormatError, InputKind, Limits, read_limited, sniff_bytes};

/// Query-string keys whose values are personal by default (matched case-insensitively, also as
/// a suffix such as `customer_email`).
pub const DEFAULT_QUERY_KEYS: &[&str] = &[
    "email", "mail", "token", "auth", "key", "password", "pass", "pwd", "secret", "session", "sid",
    "phone", "tel", "name", "address", "zip", "postcode", "user", "uid", "customer", "ssn", "card",
    "iban",
];

/// What to redact.
#[derive(Clone, Debug)]
pub struct RedactOptions {
    /// Query-string keys whose values are replaced (lower case).
    pub query_keys: Vec<String>,
    /// Input limits for reading.
    pub limits: Limits,
}

impl Default for RedactOptions {
    fn default() -> Self {
        Self {
            query_keys: DEFAULT_QUERY_KEYS.iter().map(|k| (*k).to_owned()).collect(),
            limits: Limits::default(),
        }
    }
}

/// Counts of what was replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RedactStats {
    /// Typed input values (native `i` events, rrweb input events, `value` attributes).
    pub input_values: u64,
    /// Query-string values under a personal key.
    pub query_values: u64,
    /// E-mail addresses in any other string.
    pub emails: u64,
    /// IPv4 and IPv6 addresses in any string.
    pub ip_addresses: u64,
}

impl RedactStats {
    fn add(&mut self, other: Self) {
        self.input_values += other.input_values;
        self.query_values += other.query_values;
        self.emails += other.emails;
        self.ip_addresses += other.ip_addresses;
    }
}

const QUERY_MASK: &str = "REDACTED";
const EMAIL_MASK: &str = "redacted@example.invalid";
const IP_MASK: &str = "0.0.0.0";

/// Replaces every character of a typed value with `*`, keeping its length.
fn mask(text: &str) -> String {
    "*".repeat(text.chars().count())
}

/// Redacts one input (any format [`super::load_bytes`] reads but the JavaScript wrapper) and
/// returns the redacted bytes in the same container (gzip stays gzip, a bundle stays a bundle).
pub fn redact_bytes(
    bytes: &[u8],
    file_name: &str,
    options: &RedactOptions,
) -> Result<(Vec<u8>, RedactStats), FormatError> {
    match sniff_bytes(bytes) {
        InputKind::Empty => Err(FormatError::Empty {
            file: file_name.to_owned(),
        }),
        InputKind::Gzip => {
            let inflated = read_limited(
                flate2::read::MultiGzDecoder::new(bytes),
                options.limits.max_inflated_bytes,
                file_name,
            )?;
            let (plain, stats) = redact_bytes(&inflated, file_name, options)?;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder
                .write_all(&plain)
                .and_then(|()| encoder.finish())
                .map(|out| (out, stats))
                .map_err(|error| FormatError::Io {
                    file: file_name.to_owned(),
                    error,
                })
        }
        InputKind::Zip => redact_zip(std::io::Cursor::new(bytes), file_name, options),
        InputKind::NativeSession | InputKind::OtherJson => redact_json(bytes, file_name, options),
        InputKind::Unknown => Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: "redact reads SessionLens sessions, bundles, gzip files and rrweb JSON"
                .to_owned(),
        }),
    }
}

fn json_error(file_name: &str, e: &serde_json::Error, line_offset: usize) -> FormatError {
    FormatError::Json {
        file: file_name.to_owned(),
        path: ".".to_owned(),
        message: e.to_string(),
        line: e.line() + line_offset,
        column: e.column(),
    }
}

/// A JSON document, or JSON Lines (one document per line).
fn redact_json(
    bytes: &[u8],
    file_name: &str,
    options: &RedactOptions,
) -> Result<(Vec<u8>, RedactStats), FormatError> {
    let mut stats = RedactStats::default();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            redact_value(&mut value, options, &mut stats);
            let out = serde_json::to_vec(&value).map_err(|e| json_error(file_name, &e, 0))?;
            Ok((out, stats))
        }
        Err(whole) => {
            // JSON Lines: every non-empty line a document.
            let text = std::str::from_utf8(bytes).map_err(|_| json_error(file_name, &whole, 0))?;
            if text.lines().filter(|l| !l.trim().is_empty()).count() < 2 {
                return Err(json_error(file_name, &whole, 0));
            }
            let mut out = Vec::with_capacity(bytes.len());
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let mut value: Value =
                    serde_json::from_str(line).map_err(|e| json_error(file_name, &e, index))?;
                redact_value(&mut value, options, &mut stats);
                serde_json::to_writer(&mut out, &value)
                    .map_err(|e| json_error(file_name, &e, index))?;
                out.push(b'\n');
            }
            Ok((out, stats))
        }
    }
}

/// Redacts every session entry of a zip bundle; other entries are copied unchanged.
fn redact_zip(
    reader: impl Read + Seek,
    file_name: &str,
    options: &RedactOptions,
) -> Result<(Vec<u8>, RedactStats), FormatError> {
    let bundle_error = |entry: &str, message: String| FormatError::Bundle {
        file: file_name.to_owned(),
        entry: entry.to_owned(),
        message,
    };
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| bundle_error("(zip)", e.to_string()))?;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut stats = RedactStats::default();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| bundle_error("(zip)", format!("entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| bundle_error("(zip)", format!("entry {index}: {e}")))?
            .into_owned();
        if entry.is_dir() {
            continue;
        }
        let data = read_limited(
            &mut entry,
            options.limits.max_inflated_bytes,
            &format!("{file_name}/{name}"),
        )?;
        let data = if name.starts_with("sessions/") {
            let (redacted, entry_stats) =
                redact_bytes(&data, &format!("{file_name}/{name}"), options)?;
            stats.add(entry_stats);
            redacted
        } else {
            data
        };
        let file_options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        writer
            .start_file(name.as_str(), file_options)
            .and_then(|()| writer.write_all(&data).map_err(zip::result::ZipError::from))
            .map_err(|e| bundle_error(&name, e.to_string()))?;
    }
    let cursor = writer
        .finish()
        .map_err(|e| bundle_error("(zip)", e.to_string()))?;
    Ok((cursor.into_inner(), stats))
}

/// Tags whose `value` attribute is typed text.
fn is_field_tag(tag: &str) -> bool {
    tag.eq_ignore_ascii_case("input") || tag.eq_ignore_ascii_case("textarea")
}

/// Walks a JSON value, applying the structural rules (typed values) and the string rules
/// (query strings, e-mails, IPs).
fn redact_value(value: &mut Value, options: &RedactOptions, stats: &mut RedactStats) {
    match value {
        Value::String(text) => {
            if let Some(clean) = redact_string(text, options, stats) {
                *text = clean;
            }
        }
        Value::Array(items) => {
            // Native input event: [t, "i", target, len, value?, checked?].
            if items.get(1).and_then(Value::as_str) == Some("i")
                && items.first().is_some_and(Value::is_number)
                && let Some(typed) = items.get_mut(4)
                && !typed.is_null()
            {
                *typed = Value::Null;
                stats.input_values += 1;
            }
            for item in items {
                redact_value(item, options, stats);
            }
        }
        Value::Object(map) => {
            // rrweb input event: {"type": 3, "data": {"source": 5, "text": …}}.
            let is_rrweb_input = map.get("type").and_then(Value::as_i64) == Some(3)
                && map
                    .get("data")
                    .and_then(|d| d.get("source"))
                    .and_then(Value::as_i64)
                    == Some(5);
            if is_rrweb_input
                && let Some(Value::String(text)) =
                    map.get_mut("data").and_then(|d| d.get_mut("text"))
                && !text.chars().all(|c| c == '*')
            {
                *text = mask(text);
                stats.input_values += 1;
            }
            // A serialised input or textarea node: its `value` attribute is what was typed.
            let field_node = map
                .get("tagName")
                .and_then(Value::as_str)
                .is_some_and(is_field_tag);
            if field_node
                && let Some(Value::String(text)) =
                    map.get_mut("attributes").and_then(|a| a.get_mut("value"))
                && !text.chars().all(|c| c == '*')
            {
                *text = mask(text);
                stats.input_values += 1;
            }
            // A mutation's attribute change: `{"id": N, "attributes": {"value": …}}`.
            if !field_node
                && map.contains_key("id")
                && let Some(Value::String(text)) =
                    map.get_mut("attributes").and_then(|a| a.get_mut("value"))
                && !text.chars().all(|c| c == '*')
            {
                *text = mask(text);
                stats.input_values += 1;
            }
            for item in map.values_mut() {
                redact_value(item, options, stats);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn is_personal_key(key: &str, options: &RedactOptions) -> bool {
    let key = key.to_ascii_lowercase();
    let key = key.trim_end_matches("[]");
    options.query_keys.iter().any(|k| {
        key == k
            || key.ends_with(&format!("_{k}"))
            || key.ends_with(&format!("-{k}"))
            || key.starts_with(&format!("{k}_"))
    })
}

/// Applies the string rules; `None` when nothing changed.
fn redact_string(text: &str, options: &RedactOptions, stats: &mut RedactStats) -> Option<String> {
    let mut out = text.to_owned();
    let mut changed = false;
    if let Some(q) = out.find('?').filter(|_| out.contains('=')) {
        let (head, query) = out.split_at(q + 1);
        let (query, fragment) = match query.find('#') {
            Some(h) => query.split_at(h),
            None => (query, ""),
        };
        let mut parts = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some((key, value)) if !value.is_empty() && is_personal_key(key, options) => {
                    parts.push(format!("{key}={QUERY_MASK}"));
                    stats.query_values += 1;
                    changed = true;
                }
                _ => parts.push(pair.to_owned()),
            }
        }
        out = format!("{head}{}{fragment}", parts.join("&"));
    }
    let (emailed, emails) = replace_emails(&out);
    if emails > 0 {
        stats.emails += emails;
        out = emailed;
        changed = true;
    }
    let (ipped, ips) = replace_ips(&out);
    if ips > 0 {
        stats.ip_addresses += ips;
        out = ipped;
        changed = true;
    }
    changed.then_some(out)
}

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// Replaces `local@domain.tld` addresses.
fn replace_emails(text: &str) -> (String, u64) {
    if !text.contains('@') {
        return (text.to_owned(), 0);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = out.len();
            let local: usize = out
                .chars()
                .rev()
                .take_while(|c| is_email_char(*c))
                .map(char::len_utf8)
                .sum();
            start -= local;
            let mut end = i + 1;
            while end < chars.len()
                && (chars[end].is_ascii_alphanumeric() || "-.".contains(chars[end]))
            {
                end += 1;
            }
            let domain: String = chars[i + 1..end].iter().collect();
            let domain = domain.trim_end_matches('.');
            let good_domain = domain.contains('.')
                && domain.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                });
            if local > 0 && good_domain {
                out.truncate(start);
                out.push_str(EMAIL_MASK);
                count += 1;
                i += 1 + domain.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    (out, count)
}

/// Replaces dotted-quad IPv4 addresses (each part 0–255) and IPv6 addresses of at least four
/// hexadecimal groups.
fn replace_ips(text: &str) -> (String, u64) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut i = 0;
    let boundary = |j: usize| {
        j >= bytes.len()
            || !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'.' || bytes[j] == b':')
    };
    while i < bytes.len() {
        let at_start = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'.'
                || bytes[i - 1] == b':');
        if at_start {
            if let Some(len) = ipv4_len(&bytes[i..]).filter(|len| boundary(i + len)) {
                out.push_str(IP_MASK);
                count += 1;
                i += len;
                continue;
            }
            if let Some(len) = ipv6_len(&bytes[i..]).filter(|len| boundary(i + len)) {
                out.push_str("::");
                count += 1;
                i += len;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    (out, count)
}

fn ipv4_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0;
    for part in 0..4 {
        let digits = bytes[pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let number: u32 = std::str::from_utf8(&bytes[pos..pos + digits])
            .ok()?
            .parse()
            .ok()?;
        if number > 255 {
            return None;
        }
        pos += digits;
        if part < 3 {
            if bytes.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
    }
    Some(pos)
}

fn ipv6_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0;
    let mut groups = 0;
    let mut colons = 0;
    while pos < bytes.len() {
        let hex = bytes[pos..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if hex > 4 {
            return None;
        }
        if hex > 0 {
            groups += 1;
            pos += hex;
        }
        if bytes.get(pos) == Some(&b':') {
            colons += 1;
            pos += 1;
        } else {
            break;
        }
    }
    (groups >= 4 && colons >= 3).then_some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> (String, RedactStats) {
        let mut stats = RedactStats::default();
        let out = redact_string(text, &RedactOptions::default(), &mut stats)
            .unwrap_or_else(|| text.to_owned());
        (out, stats)
    }

    #[test]
    fn query_values_under_personal_keys_are_replaced() {
        let (out, stats) =
            redact("https://shop.test/cart?utm_source=mail&customer_email=ann%40x.test&id=7#top");
        assert_eq!(
            out,
            "https://shop.test/cart?utm_source=mail&customer_email=REDACTED&id=7#top"
        );
        assert_eq!(stats.query_values, 1);
        let (out, _) = redact("https://shop.test/?token=abc&page=2");
        assert_eq!(out, "https://shop.test/?token=REDACTED&page=2");
    }

    #[test]
    fn emails_and_ips_are_replaced_and_versions_are_not() {
        let (out, stats) = redact("from 192.168.1.20 by ann.lee@mail.example.com, v1.2.3.4567");
        assert_eq!(out, "from 0.0.0.0 by redacted@example.invalid, v1.2.3.4567");
        assert_eq!((stats.ip_addresses, stats.emails), (1, 1));
        let (out, stats) = redact("client 2001:db8:85a3:0:0:8a2e:370:7334 at 12:30:45");
        assert_eq!(out, "client :: at 12:30:45");
        assert_eq!(stats.ip_addresses, 1);
        let (out, stats) = redact("999.1.1.1 and @handle and 10.0.0");
        assert_eq!(out, "999.1.1.1 and @handle and 10.0.0");
        assert_eq!(stats, RedactStats::default());
    }

    #[test]
    fn native_input_values_are_dropped_and_lengths_kept() {
        let input = br##"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":10,"pages":[{"url":"https://a.test/?email=a@b.test","entered_ms":0,"left_ms":10}],"targets":[{"tag":"input","selector":"#q"}],"events":[[1,"i",0,5,"hello"],[2,"c",1,1,1,1,0]]}"##;
        let (out, stats) = redact_bytes(input, "s.json", &RedactOptions::default()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#"[1,"i",0,5,null]"#), "{text}");
        assert!(
            !text.contains("hello") && !text.contains("a@b.test"),
            "{text}"
        );
        assert_eq!((stats.input_values, stats.query_values), (1, 1));
    }

    #[test]
    fn rrweb_input_events_and_value_attributes_are_masked() {
        let input = br#"[{"type":2,"data":{"node":{"type":2,"tagName":"input","attributes":{"value":"ann"},"id":5}},"timestamp":1},
            {"type":3,"data":{"source":5,"text":"secret","isChecked":false,"id":5},"timestamp":2},
            {"type":3,"data":{"source":0,"attributes":[{"id":5,"attributes":{"value":"typed"}}]},"timestamp":3}]"#;
        let (out, stats) = redact_bytes(input, "r.json", &RedactOptions::default()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("ann\"") && !text.contains("secret") && !text.contains("typed"));
        assert!(text.contains(r#""text":"******""#), "{text}");
        assert_eq!(stats.input_values, 3);
    }
}
