//! Large rrweb recordings (JSON arrays of events, and JSON objects wrapping them) read as they
//! stream from the file, without holding the file in memory.
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
//! file. A file that opens an object (a wrapper, a PostHog export, capture batches one a line)
//! takes a different first pass, through a hollow copy of the document ([`super::hollow`]);
//! the second pass is the same. Anything else (a JS wrapper, a native session), and anything
//! that does not read this way (invalid UTF-8, a syntax error, a `data` the whole reader would
//! not defer, a failed conversion, a file that changes while it is read) makes the caller read
//! the file whole instead, so results and errors are the whole reader's.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde::{Deserialize, Deserializer};
use sha2::{Digest as _, Sha256};

use super::hollow::{Hollow, Hollower};
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
/// the shape the first pass walks item by item.
#[must_use]
pub fn opens_array_of_objects(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut tokens = text.iter().filter(|b| !b.is_ascii_whitespace());
    tokens.next() == Some(&b'[') && tokens.next() == Some(&b'{')
}

/// How the first pass reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstPass {
    /// A JSON array of event objects, item by item.
    Items,
    /// A document that opens an object (a wrapper, a PostHog export, capture batches one a
    /// line): through a hollow copy ([`super::hollow`]).
    Hollow,
}

impl FirstPass {
    /// The first pass for a file whose first bytes are `head`; `None` for files read whole
    /// (a JS wrapper, a native session, a Sentry segment, anything not JSON).
    #[must_use]
    pub fn for_head(head: &[u8]) -> Option<Self> {
        if opens_array_of_objects(head) {
            return Some(Self::Items);
        }
        let opens_object = head
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or(head)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            == Some(&b'{');
        (opens_object
            && crate::format::sniff_bytes(head) == crate::format::InputKind::OtherJson
            && !crate::format::is_sentry_segment(head))
        .then_some(Self::Hollow)
    }
}

/// Reads the file at `path` as it streams (see the module's documentation), in chunks of
/// `chunk_bytes`. `Ok(None)`: the file is not of a shape read this way, or it does not read or
/// convert: the caller reads the file whole, which gives the result or the error as it always
/// was. `Ok(Some)` has the sessions, the warnings and the file's SHA-256.
pub fn read_streamed(
    path: &std::path::Path,
    file_name: &str,
    limits: &Limits,
    chunk_bytes: usize,
) -> Result<Option<(Vec<Session>, Warnings, String)>, FormatError> {
    let io = |error| FormatError::Io {
        file: file_name.to_owned(),
        error,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::with_capacity(4096);
    Read::by_ref(&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(io)?;
    let Some(first_pass) = FirstPass::for_head(&head) else {
        return Ok(None);
    };
    std::io::Seek::rewind(&mut file).map_err(io)?;
    let data = std::fs::File::open(path).map_err(io)?;
    read_streamed_file(file, data, first_pass, file_name, limits, chunk_bytes)
}

/// [`read_streamed`] of the bytes `file` yields, their `data` objects read back through `data`
/// (a handle on a file holding the same bytes, written by the time `file` ends: see
/// `format::read_gzip_streamed` for gzip files). The SHA-256 is of the bytes `file` yields.
pub fn read_streamed_file(
    file: impl Read + Send,
    data: std::fs::File,
    first_pass: FirstPass,
    file_name: &str,
    limits: &Limits,
    chunk_bytes: usize,
) -> Result<Option<(Vec<Session>, Warnings, String)>, FormatError> {
    let data = DataFile { file: data };
    super::on_parse_thread(file_name, || {
        super::raw::set_dom_depth_limit(limits.max_dom_depth);
        let walked = match first_pass {
            FirstPass::Items => {
                walk_file(file, file_name, limits, chunk_bytes.max(1), walk_chunks)?
            }
            FirstPass::Hollow => {
                walk_file(file, file_name, limits, chunk_bytes.max(1), hollow_chunks)?
                    .and_then(|(hollow, sha256)| Some((read_hollow(&hollow, file_name)?, sha256)))
            }
        };
        let Some((sink, sha256)) = walked else {
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

/// A first pass over the chunks the reader thread sends (text and offset), handing each
/// buffer back when done with it; `None` when it gives up.
type FirstPassFn<T> = fn(&Receiver<(u64, String)>, &SyncSender<Vec<u8>>) -> Option<T>;

/// The first pass: what `walk` makes of the file's chunks, and the file's SHA-256; `None`
/// when the walk gave up (the file is not of its shape or does not read as JSON).
fn walk_file<T: Send>(
    file: impl Read + Send,
    file_name: &str,
    limits: &Limits,
    chunk_bytes: usize,
    walk: FirstPassFn<T>,
) -> Result<Option<(T, String)>, FormatError> {
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
        let walked = walk(&full, &empty_sender);
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
            (Ok(Some(sha256)), Some(walked)) => Ok(Some((walked, sha256))),
            // Over the size limit, or the walk stopped: read whole.
            (Ok(_), _) => Ok(None),
        }
    })
}

/// The hollow copy of the file made of its chunks as they come ([`super::hollow`]); `None`
/// when a `data` object in it is not valid JSON or the file ends inside one.
fn hollow_chunks(full: &Receiver<(u64, String)>, empty: &SyncSender<Vec<u8>>) -> Option<Hollow> {
    let mut hollower = Hollower::default();
    for (offset, chunk) in full {
        hollower.step(&chunk, offset)?;
        let _ = empty.try_send(chunk.into_bytes());
    }
    hollower.finish()
}

/// The events of a hollow copy, read by the whole reader's parser, their `data` kept by place;
/// `None` when the copy does not read, is a PostHog export of a version the whole reader
/// refuses, or its `data` objects were not all deferred as stand-ins.
fn read_hollow(hollow: &Hollow, file_name: &str) -> Option<Sink<'static>> {
    let text = hollow.text.as_bytes();
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let sink = super::parse_document(text, file_name, true).ok()?;
    if let Some(version) = &sink.export_version
        && sink.export_data
        && !super::POSTHOG_EXPORT_VERSIONS.contains(&version.as_ref())
    {
        return None;
    }
    hollow.detach(sink)
}

/// The reader thread: sends the file's chunks as text with their offsets, reusing the buffers
/// the walk hands back, and gives the file's SHA-256; `None` when the walk stopped listening,
/// the file grew past `max_bytes` or is not UTF-8. (Checking UTF-8 here takes it off the walk,
/// which is the slower of the two.)
fn read_chunks(
    mut file: impl Read,
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
