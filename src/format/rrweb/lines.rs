//! JSON Lines recordings read in pieces: a file holding many sessions (a month of PostHog
//! capture batches, an export of `{"$session_id", "window_id", "data"}` lines) is read twice
//! from disk instead of once into memory. The first pass reads it line by line through a fixed
//! buffer, reading each line's items without their `data` (the deferred reading of
//! [`Sink::defer_data`]), and groups the lines so that every session's events fall in one
//! group. The second pass reads one group's lines back, converts them with the reader of whole
//! files and hands its sessions on before the next group is read. Peak memory is then one
//! group's text and sessions, not the file's.
//!
//! The groups give the sessions the whole-file reader gives: events without a session id belong
//! to the session of the event before them (see `Converter::convert`), so a line is grouped with
//! the session its first events continue, a line naming several sessions joins their groups,
//! and the lines before the first session id join the first session's group. Errors name the
//! same file, line and column; only an example event's index inside warnings may differ.

use std::collections::HashMap;
use std::io::{BufRead, Read, Seek, SeekFrom};

use sha2::{Digest as _, Sha256};

use super::raw::Sink;
use super::{FormatError, Warnings, convert_sink, json_error, parse_value};
use crate::model::{Limits, Session};

/// A run of consecutive lines of one group: where its bytes are and the number of its first
/// line (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    offset: u64,
    len: u64,
    first_line: usize,
    group: usize,
}

/// The lines of a JSON Lines file grouped by session (the first pass).
#[derive(Debug)]
pub struct LineGroups {
    /// Each group's runs, in file order; groups in the order of their first line.
    groups: Vec<Vec<Run>>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

impl LineGroups {
    /// Number of groups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when there is no group.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// Union-find over the groups made while lines are read.
#[derive(Default)]
struct Groups {
    parent: Vec<usize>,
}

impl Groups {
    fn new_group(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }

    fn find(&mut self, mut g: usize) -> usize {
        while let Some(&p) = self.parent.get(g) {
            if p == g {
                break;
            }
            // Path halving.
            let grand = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(g) {
                *slot = grand;
            }
            g = grand;
        }
        g
    }

    fn union(&mut self, a: usize, b: usize) -> usize {
        let (a, b) = (self.find(a), self.find(b));
        // The older group stays the root: groups keep the order of their first line.
        let (root, child) = if a <= b { (a, b) } else { (b, a) };
        if let Some(slot) = self.parent.get_mut(child) {
            *slot = root;
        }
        root
    }
}

/// A file whose first line is longer than this is not taken for JSON Lines (it is read whole):
/// the test stops there instead of scanning a one-line document of any size to its end.
pub const MAX_FIRST_LINE_BYTES: u64 = 16 << 20;

/// True when `reader` holds a line break within its first [`MAX_FIRST_LINE_BYTES`], followed by
/// more than white space: the cheap test that tells JSON Lines from a one-line document.
pub fn has_second_line(mut reader: impl BufRead) -> std::io::Result<bool> {
    let mut seen_break = false;
    let mut scanned = 0_u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() || (!seen_break && scanned > MAX_FIRST_LINE_BYTES) {
            return Ok(false);
        }
        let len = chunk.len();
        scanned += len as u64;
        let mut rest = chunk;
        if !seen_break {
            match memchr::memchr(b'\n', rest) {
                Some(at) => {
                    seen_break = true;
                    rest = rest.get(at + 1..).unwrap_or_default();
                }
                None => rest = &[],
            }
        }
        if seen_break && rest.iter().any(|b| !b.is_ascii_whitespace()) {
            return Ok(true);
        }
        reader.consume(len);
    }
}

/// Reads `reader` line by line and groups its lines by session. `Ok(None)` when the input is not
/// JSON Lines of objects or arrays (its first line is not a whole JSON value, or it has one line):
/// such input is read whole. A line longer than `limits.max_inflated_bytes` is an error.
pub fn index_json_lines(
    mut reader: impl BufRead,
    file_name: &str,
    limits: &Limits,
) -> Result<Option<LineGroups>, FormatError> {
    let mut hasher = Sha256::new();
    let mut line = Vec::new();
    let mut offset = 0_u64;
    let mut number = 0_usize;
    let mut lines_with_values = 0_usize;
    let mut groups = Groups::default();
    let mut group_of_session: HashMap<String, usize> = HashMap::new();
    // The group of the session that events without an id continue, and the group of the lines
    // read before any session id.
    let mut current: Option<usize> = None;
    let mut leading: Option<usize> = None;
    let mut runs: Vec<Run> = Vec::new();
    loop {
        line.clear();
        let read = reader
            .by_ref()
            .take(limits.max_inflated_bytes.saturating_add(1))
            .read_until(b'\n', &mut line)
            .map_err(|error| FormatError::Io {
                file: file_name.to_owned(),
                error,
            })?;
        if read == 0 {
            break;
        }
        if read as u64 > limits.max_inflated_bytes {
            return Err(FormatError::TooLarge {
                file: file_name.to_owned(),
                what: format!("line {}", number + 1),
                limit: format!("{} bytes", limits.max_inflated_bytes),
            });
        }
        hasher.update(&line);
        number += 1;
        let start = offset;
        offset += read as u64;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = if number == 1 {
            text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text)
        } else {
            text
        };
        let Some(first) = text.iter().find(|b| !b.is_ascii_whitespace()) else {
            // A blank line goes with the run before it.
            if let Some(run) = runs.last_mut() {
                run.len += read as u64;
            }
            continue;
        };
        let first_value = lines_with_values == 0;
        if first_value && !matches!(first, b'[' | b'{') {
            return Ok(None);
        }
        lines_with_values += 1;
        let mut sink = Sink::new(true);
        sink.line = number;
        if let Err(e) = parse_value(text, &mut sink) {
            if first_value {
                // Not a value per line: a pretty-printed document, read whole.
                return Ok(None);
            }
            return Err(json_error(file_name, &sink, &e, number));
        }
        // The line's group: the session its first events continue, joined with every session
        // it names.
        let starts_unnamed = sink
            .events
            .first()
            .is_some_and(|e| session_key(e.session.as_deref()).is_none());
        let mut group = None;
        if starts_unnamed || sink.events.is_empty() {
            group = Some(match current {
                Some(g) => g,
                None => *leading.get_or_insert_with(|| groups.new_group()),
            });
        }
        for event in &sink.events {
            let Some(key) = session_key(event.session.as_deref()) else {
                continue;
            };
            let g = match group_of_session.get(key) {
                Some(&g) => g,
                None => {
                    let g = groups.new_group();
                    group_of_session.insert(key.to_owned(), g);
                    if group_of_session.len() == 1
                        && let Some(lead) = leading
                    {
                        groups.union(lead, g);
                    }
                    g
                }
            };
            group = Some(match group {
                Some(other) => groups.union(other, g),
                None => g,
            });
            current = Some(g);
        }
        let Some(group) = group else { continue };
        let group = groups.find(group);
        match runs.last_mut() {
            Some(run) if run.offset + run.len == start && groups.find(run.group) == group => {
                run.len += read as u64;
            }
            _ => runs.push(Run {
                offset: start,
                len: read as u64,
                first_line: number,
                group,
            }),
        }
    }
    if lines_with_values < 2 {
        return Ok(None);
    }
    let mut order: HashMap<usize, usize> = HashMap::new();
    let mut grouped: Vec<Vec<Run>> = Vec::new();
    for mut run in runs {
        let root = groups.find(run.group);
        run.group = root;
        let slot = *order.entry(root).or_insert_with(|| {
            grouped.push(Vec::new());
            grouped.len() - 1
        });
        if let Some(list) = grouped.get_mut(slot) {
            match list.last_mut() {
                Some(last) if last.offset + last.len == run.offset => last.len += run.len,
                _ => list.push(run),
            }
        }
    }
    Ok(Some(LineGroups {
        groups: grouped,
        sha256: super::super::hash::hex_of(&hasher.finalize()),
    }))
}

/// A session id that names a session (the converter ignores blank ones).
fn session_key(session: Option<&str>) -> Option<&str> {
    session.filter(|s| !s.trim().is_empty())
}

/// Reads the groups of `lines` from `file` one at a time and hands each group's sessions and
/// warnings to `on_group`. Returns whether any group held rrweb events; when `on_group` returns
/// false (stop), [`FormatError::Stopped`].
pub fn read_groups<F: Read + Seek>(
    file: &mut F,
    lines: &LineGroups,
    file_name: &str,
    limits: &Limits,
    on_group: &mut dyn FnMut(Vec<Session>, Warnings) -> bool,
) -> Result<bool, FormatError> {
    let mut any_events = false;
    let mut text = Vec::new();
    for runs in &lines.groups {
        let bytes: u64 = runs.iter().map(|r| r.len).sum();
        if bytes > limits.max_inflated_bytes {
            return Err(FormatError::TooLarge {
                file: file_name.to_owned(),
                what: format!(
                    "the lines of one session ({bytes} bytes, from line {})",
                    runs.first().map_or(0, |r| r.first_line)
                ),
                limit: format!("{} bytes", limits.max_inflated_bytes),
            });
        }
        text.clear();
        let mut starts = Vec::with_capacity(runs.len());
        for run in runs {
            file.seek(SeekFrom::Start(run.offset))
                .map_err(|error| FormatError::Io {
                    file: file_name.to_owned(),
                    error,
                })?;
            starts.push((text.len(), run.first_line));
            let at = text.len();
            text.resize(at + usize::try_from(run.len).unwrap_or(usize::MAX), 0);
            file.read_exact(text.get_mut(at..).unwrap_or_default())
                .map_err(|error| FormatError::Io {
                    file: file_name.to_owned(),
                    error,
                })?;
        }
        let read = |defer| read_group(&text, &starts, file_name, limits, defer);
        let Some((sessions, warnings)) = read(true).or_else(|_| read(false))? else {
            continue;
        };
        any_events = true;
        if !on_group(sessions, warnings) {
            return Err(FormatError::Stopped {
                file: file_name.to_owned(),
            });
        }
    }
    Ok(any_events)
}

/// Parses and converts one group's text (`starts`: where each run begins in `text`, and the
/// number of its first line). `None` when the group holds no rrweb event.
fn read_group(
    text: &[u8],
    starts: &[(usize, usize)],
    file_name: &str,
    limits: &Limits,
    defer_data: bool,
) -> Result<Option<(Vec<Session>, Warnings)>, FormatError> {
    let mut sink = Sink::new(defer_data);
    for (i, &(start, first_line)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |&(next, _)| next);
        let run = text.get(start..end).unwrap_or_default();
        for (k, line) in run.split(|b| *b == b'\n').enumerate() {
            let number = first_line + k;
            let line = if number == 1 {
                line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
            } else {
                line
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            sink.line = number;
            parse_value(line, &mut sink).map_err(|e| json_error(file_name, &sink, &e, number))?;
        }
    }
    if let Some(version) = &sink.export_version
        && sink.export_data
        && !super::POSTHOG_EXPORT_VERSIONS.contains(&version.as_ref())
    {
        return Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: format!(
                "PostHog export of version {version:?}: this build reads versions {}",
                super::POSTHOG_EXPORT_VERSIONS.join(" and ")
            ),
        });
    }
    if !sink.events.iter().any(|e| e.kind.as_id().is_some()) {
        return Ok(None);
    }
    convert_sink(&sink, file_name, limits, Warnings::default()).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups_of(text: &str) -> Option<Vec<Vec<usize>>> {
        let lines = index_json_lines(text.as_bytes(), "t.jsonl", &Limits::default()).unwrap()?;
        // Each group as the numbers of its first lines of runs.
        Some(
            lines
                .groups
                .iter()
                .map(|runs| runs.iter().map(|r| r.first_line).collect())
                .collect(),
        )
    }

    #[test]
    fn lines_are_grouped_by_the_session_their_events_continue() {
        let text = concat!(
            "{\"$session_id\":\"a\",\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
            "{\"$session_id\":\"b\",\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
            "\n",
            "{\"data\":[{\"type\":3,\"timestamp\":2}]}\n",
            "{\"$session_id\":\"a\",\"data\":[{\"type\":3,\"timestamp\":3}]}\n",
            "{\"$session_id\":\"c\",\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
        );
        // Line 4 has no id: it continues b (lines 2-4 one run, blank line included).
        assert_eq!(groups_of(text).unwrap(), vec![vec![1, 5], vec![2], vec![6]]);
    }

    #[test]
    fn leading_lines_and_lines_naming_two_sessions_join_groups() {
        let text = concat!(
            "{\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
            "{\"$session_id\":\"a\",\"data\":[{\"type\":3,\"timestamp\":2}]}\n",
            "{\"$session_id\":\"b\",\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
            "{\"$session_id\":\"c\",\"data\":[{\"type\":4,\"timestamp\":1}]}\n",
            "[{\"$session_id\":\"b\",\"type\":3,\"timestamp\":2},{\"$session_id\":\"c\",\"type\":3,\"timestamp\":2}]\n",
        );
        assert_eq!(groups_of(text).unwrap(), vec![vec![1], vec![3]]);
    }

    #[test]
    fn a_second_line_is_found_past_buffer_ends() {
        let second = |text: &[u8], capacity| {
            has_second_line(std::io::BufReader::with_capacity(capacity, text)).unwrap()
        };
        assert!(!second(b"[1,2,3]", 2));
        assert!(!second(b"[1,2,3]\n \n\t", 2));
        assert!(second(b"[1,2,3]\n \n\t]", 2));
        assert!(second(b"{}\n{}\n", 1));
        assert!(!second(b"", 4));
    }

    #[test]
    fn documents_that_are_not_json_lines_are_read_whole() {
        assert!(groups_of("[{\"type\":4,\"timestamp\":1}]\n").is_none());
        assert!(groups_of("[\n{\"type\":4,\"timestamp\":1}\n]\n").is_none());
        assert!(groups_of("const events = [];\n[]\n").is_none());
    }

    #[test]
    fn a_broken_line_is_an_error_with_its_place() {
        let text = "{\"data\":[]}\n{\"data\":[}\n";
        let err = index_json_lines(text.as_bytes(), "t.jsonl", &Limits::default()).unwrap_err();
        assert!(matches!(err, FormatError::Json { line: 2, .. }), "{err}");
    }
}
