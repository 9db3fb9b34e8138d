//! Large JSON arrays of rrweb events read as they stream from the file, without holding the
//! file in memory.
//!
//! A plain recording (`[{"type": …, "data": {…}, "timestamp": …}, …]`) cannot be converted
//! while it is read: the events of a tab are converted in time order, and the file need not be
//! in that order (recordings appended to one another, a merged export). So the file is read
//! twice, as the JSON Lines reader in pieces does ([`super::lines`]):
//!
//! - First pass: a reader thread reads the file in chunks through a few reused buffers, hashes
//!   them and checks that they are UTF-8; this thread walks each chunk as it arrives, reading each item with its `data`
//!   deferred ([`Sink::defer_data`]) and keeping of a deferred `data` only its place in the file
//!   ([`Data::InFile`]). An item cut by a chunk's end is finished on a copy of its start
//!   joined with the next chunk's first bytes. What stays in memory is a few words per event.
//! - Second pass: the conversion reads each event's `data` back from the file where it is
//!   converted, or ahead of it on a second thread (`Converter::process_tab`).
//!
//! Peak memory is then the events' list, the model being built and the read-ahead, not the
//! file. Anything that is not a plain array of event objects (a wrapper, a PostHog export or
//! capture batch, invalid UTF-8, a syntax error, a file that changes while it is read) makes
//! the caller read the file whole instead, so results and errors are the whole reader's.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::{Deserialize, Deserializer};
use sha2::{Digest as _, Sha256};

use super::raw::{ItemSeed, Sink};
use super::{FormatError, Warnings, convert_sink_from};
use crate::model::{Limits, Session};

/// Bytes the reader thread reads at a time.
pub const CHUNK_BYTES: usize = 8 << 20;
/// Chunks the reader thread may be ahead of the walk.
const CHUNKS_AHEAD: usize = 2;
/// First length of the next chunk joined to an item cut by a chunk's end (doubled until the
/// item is whole).
const JOIN_FIRST_BYTES: usize = 64 << 10;

/// A file whose deferred `data` objects are read back by their place ([`Data::InFile`]).
#[derive(Debug)]
pub struct DataFile {
    file: std::fs::File,
}

impl DataFile {
    /// Reads `len` bytes at `offset` onto the end of `out`.
    pub fn read_onto(&self, offset: u64, len: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        let start = out.len();
        out.resize(start + len, 0);
        let buf = out.get_mut(start..).unwrap_or_default();
        read_exact_at(&self.file, buf, offset)
    }

    /// The JSON text of a `data` object kept by its place: read and checked to be UTF-8.
    pub fn text(&self, offset: u64, len: usize) -> Result<String, serde_json::Error> {
        let mut bytes = Vec::with_capacity(len);
        self.read_onto(offset, len, &mut bytes)
            .map_err(|e| read_back_error(&e))?;
        String::from_utf8(bytes).map_err(|_| not_text_error())
    }
}

/// An I/O error reading a `data` object back, as the parse error it stands in for (the caller
/// then reads the file again whole).
pub fn read_back_error(error: &std::io::Error) -> serde_json::Error {
    serde::de::Error::custom(format!("reading data back from the file: {error}"))
}

/// A `data` object read back that is no longer UTF-8 (the file changed).
pub fn not_text_error() -> serde_json::Error {
    serde::de::Error::custom("data read back from the file is not UTF-8 (did the file change?)")
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// True when `head` (a file's first bytes) opens a JSON array whose first item is an object:
/// the shape [`read_array_streamed`] reads.
#[must_use]
pub fn opens_array_of_objects(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut tokens = text.iter().filter(|b| !b.is_ascii_whitespace());
    tokens.next() == Some(&b'[') && tokens.next() == Some(&b'{')
}

/// Reads the file at `path`, a JSON array of rrweb events, as it streams (see the module's
/// documentation), in chunks of `chunk_bytes`. `Ok(None)`: not a plain array of events, or it
/// does not read or convert: the caller reads the file whole, which gives the result or the
/// error as it always was. `Ok(Some)` has the sessions, the warnings and the file's SHA-256.
pub fn read_array_streamed(
    path: &std::path::Path,
    file_name: &str,
    limits: &Limits,
    chunk_bytes: usize,
) -> Result<Option<(Vec<Session>, Warnings, String)>, FormatError> {
    let io = |error| FormatError::Io {
        file: file_name.to_owned(),
        error,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let data = DataFile {
        file: std::fs::File::open(path).map_err(io)?,
    };
    super::on_parse_thread(file_name, || {
        super::raw::set_dom_depth_limit(limits.max_dom_depth);
        let Some((sink, sha256)) = walk_file(file, file_name, limits, chunk_bytes.max(1))? else {
            return Ok(None);
        };
        if !sink.events.iter().any(|e| e.kind.as_id().is_some()) {
            return Ok(None);
        }
        Ok(
            convert_sink_from(&sink, file_name, limits, Warnings::default(), Some(&data))
                .ok()
                .map(|(sessions, warnings)| (sessions, warnings, sha256)),
        )
    })
}

/// The first pass: the file's events with their `data` kept by place, and its SHA-256; `None`
/// when the file is not a plain array of event objects or does not read as JSON.
fn walk_file(
    file: std::fs::File,
    file_name: &str,
    limits: &Limits,
    chunk_bytes: usize,
) -> Result<Option<(Sink<'static>, String)>, FormatError> {
    std::thread::scope(|scope| {
        let (full_sender, full) = sync_channel(CHUNKS_AHEAD);
        let (empty_sender, empty) = sync_channel(CHUNKS_AHEAD + 2);
        let max_bytes = limits.max_inflated_bytes;
        let reader = std::thread::Builder::new()
            .name("rrweb-read".to_owned())
            .spawn_scoped(scope, move || {
                read_chunks(file, chunk_bytes, max_bytes, &full_sender, &empty)
            });
        // No thread to be had: the file is read whole instead.
        let Ok(reader) = reader else {
            return Ok(None);
        };
        let walked = walk_chunks(&full, &empty_sender);
        // Unblocks a reader still sending (the walk stopped early).
        drop(full);
        let read = reader.join().unwrap_or_else(|_| {
            Err(std::io::Error::other(
                "the reader thread failed unexpectedly",
            ))
        });
        match (read, walked) {
            (Err(error), _) => Err(FormatError::Io {
                file: file_name.to_owned(),
                error,
            }),
            (Ok(Some(sha256)), Some(sink)) => Ok(Some((sink, sha256))),
            // Over the size limit, or the walk stopped: read whole.
            (Ok(_), _) => Ok(None),
        }
    })
}

/// The reader thread: sends the file's chunks as text with their offsets, reusing the buffers
/// the walk hands back, and gives the file's SHA-256; `None` when the walk stopped listening,
/// the file grew past `max_bytes` or is not UTF-8. (Checking UTF-8 here takes it off the walk,
/// which is the slower of the two.)
fn read_chunks(
    mut file: std::fs::File,
    chunk_bytes: usize,
    max_bytes: u64,
    full: &SyncSender<(u64, String)>,
    empty: &Receiver<Vec<u8>>,
) -> std::io::Result<Option<String>> {
    let mut hasher = Sha256::new();
    let mut offset = 0u64;
    // The start of a character cut by the previous chunk's end.
    let mut cut: Vec<u8> = Vec::new();
    loop {
        let mut buf = empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(chunk_bytes + 4));
        buf.clear();
        buf.extend_from_slice(&cut);
        let read = Read::by_ref(&mut file)
            .take(chunk_bytes as u64)
            .read_to_end(&mut buf)?;
        if read == 0 {
            let sha256 = crate::format::hash::hex_of(&hasher.finalize());
            return Ok(cut.is_empty().then_some(sha256));
        }
        hasher.update(buf.get(cut.len()..).unwrap_or_default());
        let chunk_offset = offset - cut.len() as u64;
        offset += read as u64;
        cut.clear();
        let text = match String::from_utf8(buf) {
            Ok(text) => text,
            Err(e) if e.utf8_error().error_len().is_none() => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                cut = bytes.split_off(valid);
                match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => return Ok(None),
                }
            }
            Err(_) => return Ok(None),
        };
        if offset > max_bytes || full.send((chunk_offset, text)).is_err() {
            return Ok(None);
        }
    }
}

/// Walks the chunks as they come; `None` as soon as the file shows it is not a plain array of
/// event objects, and at the end unless the array closed with only white space after it.
fn walk_chunks(
    full: &Receiver<(u64, String)>,
    empty: &SyncSender<Vec<u8>>,
) -> Option<Sink<'static>> {
    let mut walk = Walk::default();
    // The unread text before the current chunk (an item cut by the chunk's end) and the
    // offset of its first byte.
    let mut carry = String::new();
    let mut carry_offset = 0u64;
    for (offset, chunk) in full {
        let mut start = 0;
        if !carry.is_empty() {
            // Joining less than the carry holds would read it again too many times.
            let mut take = JOIN_FIRST_BYTES.max(carry.len()).min(chunk.len());
            loop {
                take = (take..=chunk.len())
                    .find(|&i| chunk.is_char_boundary(i))
                    .unwrap_or(chunk.len());
                let mut joined = String::with_capacity(carry.len() + take);
                joined.push_str(&carry);
                joined.push_str(chunk.get(..take)?);
                let used = walk.step(&joined, carry_offset)?;
                if used > carry.len() {
                    start = used - carry.len();
                    carry.clear();
                    break;
                }
                if take == chunk.len() {
                    // The whole chunk did not finish the item: all of it is carried.
                    carry = joined.split_off(used);
                    carry_offset += used as u64;
                    start = chunk.len();
                    break;
                }
                take = (take * 2).min(chunk.len());
            }
        }
        if start < chunk.len() {
            let rest = chunk.get(start..)?;
            let used = walk.step(rest, offset + start as u64)?;
            carry = rest.get(used..)?.to_owned();
            carry_offset = offset + (start + used) as u64;
        }
        // The reader makes a new buffer when none comes back.
        let _ = empty.try_send(chunk.into_bytes());
    }
    let closed = walk.expect == Expect::Nothing && carry.trim_ascii().is_empty();
    closed.then_some(walk.sink)
}

/// What comes next in the array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Expect {
    /// `[`.
    #[default]
    Open,
    /// An item: an object.
    Item,
    /// `,` or `]`.
    CommaOrClose,
    /// Nothing but white space.
    Nothing,
}

#[derive(Default)]
struct Walk {
    sink: Sink<'static>,
    expect: Expect,
}

impl Walk {
    /// Walks `text`, which starts at byte `offset` of the file, as far as it holds whole
    /// items; the bytes used (the rest begin an item cut by the end). `None` when they are not
    /// part of a plain array of event objects.
    fn step(&mut self, text: &str, offset: u64) -> Option<usize> {
        let mut pos = 0;
        if offset == 0 && self.expect == Expect::Open && text.starts_with('\u{feff}') {
            // A byte order mark, which the whole reader skips too.
            pos = '\u{feff}'.len_utf8();
        }
        loop {
            let rest = text.get(pos..)?;
            let skipped = rest.len() - rest.trim_ascii_start().len();
            pos += skipped;
            let Some(&next) = text.as_bytes().get(pos) else {
                return Some(pos);
            };
            match (self.expect, next) {
                (Expect::Open, b'[') => {
                    pos += 1;
                    self.expect = Expect::Item;
                }
                (Expect::Item, b'{') => {
                    let rest = text.get(pos..)?;
                    let mut de = serde_json::Deserializer::from_str(rest);
                    de.disable_recursion_limit();
                    let mut items = de.into_iter::<OneItem<'_>>();
                    match items.next()? {
                        Ok(OneItem(sink)) => {
                            if !sink.only_events() {
                                return None;
                            }
                            for mut event in sink.events {
                                event.index = self.sink.events.len();
                                self.sink
                                    .events
                                    .push(event.detach(rest, offset + pos as u64)?);
                            }
                            pos += items.byte_offset();
                            self.expect = Expect::CommaOrClose;
                        }
                        // Cut by the end: the rest waits for more bytes.
                        Err(e) if e.is_eof() => return Some(pos),
                        Err(_) => return None,
                    }
                }
                (Expect::CommaOrClose, b',') => {
                    pos += 1;
                    self.expect = Expect::Item;
                }
                (Expect::CommaOrClose, b']') => {
                    pos += 1;
                    self.expect = Expect::Nothing;
                }
                _ => return None,
            }
        }
    }
}

/// The events of one item of the array, read as the whole reader reads the items of the
/// top-level array (with their `data` deferred).
struct OneItem<'a>(Sink<'a>);

impl<'de> Deserialize<'de> for OneItem<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::DeserializeSeed as _;
        let mut sink = Sink::new(true);
        ItemSeed {
            sink: &mut sink,
            depth: 1,
        }
        .deserialize(deserializer)?;
        Ok(Self(sink))
    }
}
