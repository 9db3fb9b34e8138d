//! Detecting what an input is from its first bytes, and reading with a size cap.

use std::io::Read;

use super::FormatError;

/// What an input looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// No bytes (or only white space).
    Empty,
    /// gzip magic `1f 8b`.
    Gzip,
    /// zip magic `PK\x03\x04`: a bundle.
    Zip,
    /// A JSON object declaring `"format": "sessionlens-session"`.
    NativeSession,
    /// Some other JSON document (array or object), e.g. an rrweb recording.
    OtherJson,
    /// Anything else.
    Unknown,
}

/// Detects the kind of `bytes` without parsing all of it.
#[must_use]
pub fn sniff_bytes(bytes: &[u8]) -> InputKind {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return InputKind::Gzip;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return InputKind::Zip;
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let Some(first) = text.iter().position(|b| !b.is_ascii_whitespace()) else {
        return InputKind::Empty;
    };
    match text.get(first) {
        Some(b'{') => {
            if declares_native_format(text) {
                InputKind::NativeSession
            } else {
                InputKind::OtherJson
            }
        }
        Some(b'[') => InputKind::OtherJson,
        _ => InputKind::Unknown,
    }
}

/// True when `bytes` start with a Sentry replay segment's header line (`{"segment_id": N}` and a
/// newline), or with a one-line JSON object followed by compressed data (a segment whose header
/// is wrong, refused with a clear error by the segment reader). The body may be binary.
#[must_use]
pub fn is_sentry_segment(bytes: &[u8]) -> bool {
    super::rrweb::sentry::split_segment(bytes).is_some()
}

/// True when `head` (the first bytes of an inflated file) looks like a request body posthog-js
/// sends to capture: a JSON array or `{"api_key", "batch"}` object of PostHog events. A folder of
/// such bodies is one dump, read together (`load_unit`).
#[must_use]
pub fn is_posthog_capture(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut tokens = text.iter().filter(|b| !b.is_ascii_whitespace());
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    match (tokens.next(), tokens.next()) {
        // `[{"uuid": …, "event": "$snapshot", "properties": {…}}, …]`
        (Some(b'['), Some(b'{')) => has(b"\"event\"") && has(b"\"properties\""),
        // `{"api_key": …, "batch": […], "sent_at": …}`: the first key says it.
        (Some(b'{'), Some(b'"')) => {
            let after = text
                .iter()
                .position(|b| *b == b'"')
                .and_then(|i| text.get(i..))
                .unwrap_or_default();
            after.starts_with(b"\"api_key\"") || after.starts_with(b"\"batch\"")
        }
        _ => false,
    }
}

/// True when the top-level object has `"format": "sessionlens-session"`. Looks at the head first
/// (our writer puts `format` first) and only scans the whole document when that fails.
fn declares_native_format(text: &[u8]) -> bool {
    const TAG: &[u8] = b"\"sessionlens-session\"";
    let head = &text[..text.len().min(512)];
    if head.windows(TAG.len()).any(|w| w == TAG) {
        return true;
    }
    #[derive(serde::Deserialize)]
    struct Header {
        format: Option<String>,
    }
    serde_json::from_slice::<Header>(text)
        .is_ok_and(|h| h.format.as_deref() == Some("sessionlens-session"))
}

/// Reads all of `reader`, failing with [`FormatError::TooLarge`] past `max_bytes`.
pub fn read_limited(reader: impl Read, max_bytes: u64, file: &str) -> Result<Vec<u8>, FormatError> {
    read_limited_sized(reader, max_bytes, file, 0)
}

/// [`read_limited`] into a buffer of `expected_bytes` (a file's size): one allocation of the
/// right size instead of a buffer doubled (and copied) until it fits.
pub(crate) fn read_limited_sized(
    reader: impl Read,
    max_bytes: u64,
    file: &str,
    expected_bytes: u64,
) -> Result<Vec<u8>, FormatError> {
    let capacity = usize::try_from(expected_bytes.min(max_bytes).saturating_add(1)).unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|error| FormatError::Io {
            file: file.to_owned(),
            error,
        })?;
    if out.len() as u64 > max_bytes {
        return Err(FormatError::TooLarge {
            file: file.to_owned(),
            what: "the (decompressed) input".to_owned(),
            limit: format!("{max_bytes} bytes"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_kinds() {
        assert_eq!(sniff_bytes(b""), InputKind::Empty);
        assert_eq!(sniff_bytes(b"  \n"), InputKind::Empty);
        assert_eq!(sniff_bytes(&[0x1f, 0x8b, 8]), InputKind::Gzip);
        assert_eq!(sniff_bytes(b"PK\x03\x04rest"), InputKind::Zip);
        assert_eq!(
            sniff_bytes(br#"{"format":"sessionlens-session"}"#),
            InputKind::NativeSession
        );
        assert_eq!(sniff_bytes(br#"[{"type":4}]"#), InputKind::OtherJson);
        assert_eq!(sniff_bytes(br#"{"events":[]}"#), InputKind::OtherJson);
        assert_eq!(sniff_bytes(b"\x89PNG"), InputKind::Unknown);
    }

    #[test]
    fn sniffs_sentry_segments_with_binary_bodies() {
        assert!(is_sentry_segment(b"{\"segment_id\":0}\nx\x9c\xff\x00"));
        assert!(is_sentry_segment(b"{\"segment_id\": 12}\n[{\"type\":4}]"));
        assert!(is_sentry_segment(b"{\"segment\":0}\nx\xda\x01"));
        assert!(!is_sentry_segment(b"{\"window_id\":\"w\"}\n{\"data\":[]}"));
        assert!(!is_sentry_segment(br#"[{"type":4}]"#));
    }

    #[test]
    fn caps_reads() {
        assert_eq!(read_limited(&b"12345"[..], 5, "f").unwrap().len(), 5);
        let err = read_limited(&b"123456"[..], 5, "f").unwrap_err();
        assert!(
            err.to_string().contains("exceeds the limit of 5 bytes"),
            "{err}"
        );
    }
}
