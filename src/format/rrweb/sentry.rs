//! Sentry Session Replay recording segments, as the SDK sends them: a header line
//! `{"segment_id": N}`, a newline, then the segment's rrweb events as a JSON array, plain or
//! compressed (a zlib stream, `78 9c` / `78 01` / `78 da`, or gzip). The segments of one replay
//! are joined in segment order into one session.

use std::borrow::Cow;

use super::{Part, read_rrweb_parts};
use crate::format::{FormatError, Warnings};
use crate::model::{Limits, Session};

/// Longest header line looked for, bytes.
const MAX_HEADER_BYTES: usize = 1_024;

/// Warning kinds.
const DUPLICATE: &str = "Sentry: duplicate segment skipped (same events twice)";
const MISSING: &str = "Sentry: segment missing (the replay has a gap)";

/// The segment id and body of a segment file: `None` when `bytes` do not start with a header
/// line (a one-line JSON object followed by more); `Some(Err)` when the header line is a JSON
/// object that is not `{"segment_id": N}` but is followed by compressed data or names a
/// `segment_id`.
pub fn split_segment(bytes: &[u8]) -> Option<Result<(u64, &[u8]), String>> {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if text.first() != Some(&b'{') {
        return None;
    }
    let newline = text
        .get(..text.len().min(MAX_HEADER_BYTES))?
        .iter()
        .position(|b| *b == b'\n')?;
    let line = text.get(..newline)?;
    let body = text.get(newline + 1..)?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line).ok()?;
    let shown = String::from_utf8_lossy(line.trim_ascii());
    match header.get("segment_id") {
        Some(id) => Some(id.as_u64().map(|id| (id, body)).ok_or_else(|| {
            format!("the header line {shown} is not {{\"segment_id\": N}} (N a whole number ≥ 0)")
        })),
        None if compression(body).is_some() => Some(Err(format!(
            "the header line {shown} before compressed data is not {{\"segment_id\": N}}"
        ))),
        None => None,
    }
}

/// How a segment body is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    Zlib,
    Gzip,
}

fn compression(body: &[u8]) -> Option<Compression> {
    match body {
        [0x1f, 0x8b, ..] => Some(Compression::Gzip),
        // A zlib header: deflate with a 32 KiB window (0x78), and a check value making the
        // 16-bit header a multiple of 31 (78 01, 78 5e, 78 9c, 78 da).
        [0x78, flags, ..] if (0x7800u16 | u16::from(*flags)).is_multiple_of(31) => {
            Some(Compression::Zlib)
        }
        _ => None,
    }
}

/// Inflates a zlib stream into one buffer of at most `max_bytes`.
fn inflate_zlib(body: &[u8], max_bytes: u64) -> Result<Vec<u8>, InflateError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let max = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut inflater = Decompress::new(true);
    let mut out: Vec<u8> = Vec::with_capacity(body.len().saturating_mul(4).clamp(64, max.max(64)));
    loop {
        if out.len() == out.capacity() {
            if out.len() >= max {
                return Err(InflateError::TooLarge);
            }
            out.reserve(out.len().max(64).min(max - out.len()));
        }
        let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
        let before = (inflater.total_in(), inflater.total_out());
        let input = body.get(consumed..).unwrap_or_default();
        let status = inflater
            .decompress_vec(input, &mut out, FlushDecompress::None)
            .map_err(|e| InflateError::Corrupt(e.to_string()))?;
        if status == Status::StreamEnd {
            return if out.len() > max {
                Err(InflateError::TooLarge)
            } else {
                Ok(out)
            };
        }
        if (inflater.total_in(), inflater.total_out()) == before && out.len() < out.capacity() {
            // Room to write and nothing happened: the input ended before the stream did.
            return Err(InflateError::Truncated);
        }
    }
}

enum InflateError {
    TooLarge,
    Truncated,
    Corrupt(String),
}

/// The segment's JSON: the body itself, or inflated within `budget` bytes (reduced by the
/// bytes inflated).
pub(super) fn segment_json<'b>(
    body: &'b [u8],
    file: &str,
    segment_id: u64,
    budget: &mut u64,
) -> Result<Cow<'b, [u8]>, FormatError> {
    let inflated = match compression(body) {
        None => return Ok(Cow::Borrowed(body)),
        Some(Compression::Zlib) => inflate_zlib(body, *budget),
        Some(Compression::Gzip) => {
            let mut out = Vec::new();
            let mut reader = std::io::Read::take(
                flate2::read::MultiGzDecoder::new(body),
                budget.saturating_add(1),
            );
            match std::io::Read::read_to_end(&mut reader, &mut out) {
                Ok(_) if out.len() as u64 > *budget => Err(InflateError::TooLarge),
                Ok(_) => Ok(out),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Err(InflateError::Truncated)
                }
                Err(e) => Err(InflateError::Corrupt(e.to_string())),
            }
        }
    };
    match inflated {
        Ok(json) => {
            *budget = budget.saturating_sub(json.len() as u64);
            Ok(Cow::Owned(json))
        }
        Err(InflateError::TooLarge) => Err(FormatError::TooLarge {
            file: file.to_owned(),
            what: format!("segment {segment_id}, inflated,"),
            limit: format!("{} bytes in all", budget),
        }),
        Err(InflateError::Truncated) => Err(FormatError::Unsupported {
            file: file.to_owned(),
            message: format!("segment {segment_id}: the compressed data ends early (truncated)"),
        }),
        Err(InflateError::Corrupt(e)) => Err(FormatError::Unsupported {
            file: file.to_owned(),
            message: format!("segment {segment_id}: the compressed data is corrupt ({e})"),
        }),
    }
}

/// Reads the segment files of one replay (`(file name, bytes)`, in any order) into one
/// session: segments sorted by id, identical duplicates skipped (counted), differing duplicates
/// refused, gaps counted. `name` names the replay in errors and gives the session id.
pub fn read_segments(
    files: &[(String, Vec<u8>)],
    name: &str,
    limits: &Limits,
) -> Result<(Vec<Session>, Warnings), FormatError> {
    let mut budget = limits.max_inflated_bytes;
    let mut segments: Vec<(u64, &str, Cow<'_, [u8]>)> = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        let (id, body) = match split_segment(bytes) {
            Some(Ok(segment)) => segment,
            Some(Err(message)) => {
                return Err(FormatError::Unsupported {
                    file: file.clone(),
                    message,
                });
            }
            None => {
                return Err(FormatError::Unsupported {
                    file: file.clone(),
                    message: "not a Sentry replay segment (no {\"segment_id\": N} header line)"
                        .to_owned(),
                });
            }
        };
        let json = segment_json(body, file, id, &mut budget)?;
        if json.iter().all(u8::is_ascii_whitespace) {
            return Err(FormatError::Empty {
                file: format!("{file} (segment {id})"),
            });
        }
        segments.push((id, file.as_str(), json));
    }
    segments.sort_by_key(|(id, _, _)| *id);
    let mut warnings = Warnings::default();
    let mut kept: Vec<(u64, &str, &[u8])> = Vec::with_capacity(segments.len());
    let mut expected = 0u64;
    for (id, file, json) in &segments {
        if let Some((last_id, last_file, last_json)) = kept.last()
            && last_id == id
        {
            if last_json.trim_ascii() == json.trim_ascii() {
                warnings.add(DUPLICATE, || {
                    format!("segment {id} in {file} repeats {last_file}")
                });
                continue;
            }
            return Err(FormatError::Unsupported {
                file: (*file).to_owned(),
                message: format!(
                    "segment {id} differs from segment {id} in {last_file}: two replays in one group?"
                ),
            });
        }
        if *id > expected {
            let (from, to) = (expected, *id - 1);
            warnings.add_count(MISSING, *id - expected, || {
                if from == to {
                    format!("segment {from} (before {file})")
                } else {
                    format!("segments {from}-{to} (before {file})")
                }
            });
        }
        expected = *id + 1;
        kept.push((*id, *file, json.as_ref()));
    }
    let labels: Vec<String> = kept
        .iter()
        .map(|(id, file, _)| format!("{file} (segment {id})"))
        .collect();
    let parts: Vec<Part<'_>> = kept
        .iter()
        .zip(&labels)
        .map(|((_, _, json), label)| Part { label, json })
        .collect();
    read_rrweb_parts(&parts, name, limits, warnings)
}

/// The events of a replay's segment files (`(file name, bytes)`, in any order) as one JSON array,
/// in segment order, an identical duplicate once: what `sessionlens snapshot` rebuilds pages
/// from. Errors as [`read_segments`] gives them.
pub fn joined_events(files: &[(String, Vec<u8>)], limits: &Limits) -> Result<Vec<u8>, FormatError> {
    let mut budget = limits.max_inflated_bytes;
    let mut segments: Vec<(u64, Cow<'_, [u8]>)> = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        let (id, body) = match split_segment(bytes) {
            Some(Ok(segment)) => segment,
            Some(Err(message)) => {
                return Err(FormatError::Unsupported {
                    file: file.clone(),
                    message,
                });
            }
            None => continue,
        };
        segments.push((id, segment_json(body, file, id, &mut budget)?));
    }
    segments.sort_by_key(|(id, _)| *id);
    segments
        .dedup_by(|(a, a_json), (b, b_json)| a == b && a_json.trim_ascii() == b_json.trim_ascii());
    let mut out = Vec::with_capacity(segments.iter().map(|(_, j)| j.len()).sum::<usize>() + 2);
    out.push(b'[');
    let mut first = true;
    for (_, json) in &segments {
        let inner = json
            .trim_ascii()
            .strip_prefix(b"[")
            .and_then(|j| j.strip_suffix(b"]"))
            .unwrap_or_default();
        if inner.trim_ascii().is_empty() {
            continue;
        }
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(inner);
        first = false;
    }
    out.push(b']');
    Ok(out)
}

/// The name of a replay given as segment files: the folder when every file is in one folder
/// and the file names share no stem (`0.bin`, `1.bin`); else the shared stem without a trailing
/// segment number (`abc-segment-0.json`, `abc-segment-1.json` → `abc`).
#[must_use]
pub fn replay_name(files: &[&std::path::Path]) -> String {
    let stems: Vec<String> = files
        .iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            name.split('.').next().unwrap_or_default().to_owned()
        })
        .collect();
    let mut prefix: &str = stems.first().map_or("", String::as_str);
    for stem in &stems {
        let common = prefix
            .char_indices()
            .zip(stem.chars())
            .find(|((_, a), b)| a != b)
            .map_or(prefix.len().min(stem.len()), |((i, _), _)| i);
        prefix = prefix.get(..common).unwrap_or_default();
    }
    let trimmed = prefix
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches(['-', '_', ' ', '.'])
        .trim_end_matches("segment")
        .trim_end_matches("seg")
        .trim_end_matches(['-', '_', ' ', '.']);
    if !trimmed.is_empty() {
        return trimmed.to_owned();
    }
    files
        .first()
        .and_then(|p| p.parent())
        .and_then(|d| d.file_name())
        .map_or_else(
            || "sentry-replay".to_owned(),
            |d| d.to_string_lossy().into_owned(),
        )
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const SEG0: &str = r#"[{"type":4,"data":{"href":"https://shop.test/","width":1280,"height":800},"timestamp":1700000000000},{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"top":0,"left":0}},"timestamp":1700000000001}]"#;
    const SEG1: &str = r#"[{"type":3,"data":{"source":2,"type":2,"id":1,"x":10,"y":20},"timestamp":1700000001000}]"#;

    fn zlib(json: &str) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(json.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn segment(id: u64, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{{\"segment_id\":{id}}}\n").into_bytes();
        out.extend_from_slice(body);
        out
    }

    fn read(files: &[(&str, Vec<u8>)]) -> Result<(Vec<Session>, Warnings), FormatError> {
        let files: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(n, b)| ((*n).to_owned(), b.clone()))
            .collect();
        read_segments(&files, "replay", &Limits::default())
    }

    fn clicks(session: &Session) -> usize {
        session
            .events
            .iter()
            .filter(|e| matches!(e.kind, crate::model::EventKind::Click { .. }))
            .count()
    }

    #[test]
    fn headers_are_recognised() {
        assert_eq!(
            split_segment(b"{\"segment_id\":3}\n[]").unwrap().unwrap(),
            (3, &b"[]"[..])
        );
        assert!(
            split_segment(b"{\"segment_id\":\"x\"}\n[]")
                .unwrap()
                .is_err()
        );
        assert!(
            split_segment(b"{\"segment\":1}\nx\x9c\x01")
                .unwrap()
                .is_err()
        );
        assert!(split_segment(b"{\"window_id\":1}\n{\"a\":2}").is_none());
        assert!(split_segment(b"[{\"type\":4}]").is_none());
        assert!(split_segment(b"{\n\"events\":[]}").is_none());
    }

    #[test]
    fn plain_and_compressed_segments_join_in_order() {
        let (sessions, warnings) = read(&[
            ("b", segment(1, &zlib(SEG1))),
            ("a", segment(0, SEG0.as_bytes())),
        ])
        .unwrap();
        assert_eq!(sessions.len(), 1, "{warnings:?}");
        assert_eq!(sessions[0].session_id, "replay");
        assert_eq!(sessions[0].pages[0].url, "https://shop.test/");
        assert_eq!(clicks(&sessions[0]), 1);
    }

    #[test]
    fn gaps_and_identical_duplicates_are_counted_different_ones_refused() {
        let (_, warnings) = read(&[
            ("a", segment(0, SEG0.as_bytes())),
            ("a2", segment(0, &zlib(SEG0))),
            ("c", segment(3, SEG1.as_bytes())),
        ])
        .unwrap();
        let lines = warnings.lines().join("\n");
        assert!(lines.contains(&format!("{DUPLICATE}: 1")), "{lines}");
        assert!(lines.contains(&format!("{MISSING}: 2")), "{lines}");
        let err = read(&[
            ("a", segment(0, SEG0.as_bytes())),
            ("b", segment(0, SEG1.as_bytes())),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("segment 0 differs"), "{err}");
    }

    #[test]
    fn truncated_and_oversized_streams_are_refused_naming_the_segment() {
        let full = zlib(SEG1);
        let cut = segment(1, &full[..full.len() / 2]);
        let err = read(&[("a", segment(0, SEG0.as_bytes())), ("cut.bin", cut)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cut.bin") && err.contains("segment 1"),
            "{err}"
        );
        assert!(err.contains("truncated"), "{err}");
        let limits = Limits {
            max_inflated_bytes: 50,
            ..Limits::default()
        };
        let files = vec![("big".to_owned(), segment(0, &zlib(SEG0)))];
        let err = read_segments(&files, "r", &limits).unwrap_err().to_string();
        assert!(err.contains("exceeds the limit"), "{err}");
    }

    #[test]
    fn replay_names_come_from_shared_stems_or_the_folder() {
        use std::path::Path;
        let a = Path::new("d/abc-segment-0.json");
        let b = Path::new("d/abc-segment-1.json");
        assert_eq!(replay_name(&[a, b]), "abc");
        assert_eq!(
            replay_name(&[Path::new("replay-9/0.bin"), Path::new("replay-9/1.bin")]),
            "replay-9"
        );
    }
}
