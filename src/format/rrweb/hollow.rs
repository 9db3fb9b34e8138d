//! Large JSON documents other than plain arrays (a PostHog export, an `{"events": […]}`
//! wrapper, capture batches one a line) read as they stream, through a hollow copy.
//!
//! The whole reader keeps every event's `data` object as its text ([`Sink::defer_data`]) and
//! reads it only when the event is converted. So the rest of the document is all the first
//! pass needs: the first pass copies the document as it streams from the file, except that
//! each `data` object below the top level is replaced by a stand-in (`{}` and the newlines the
//! object held, so lines keep their numbers) and only its place in the file is kept. The copy
//! (about 50 bytes an event: `type`, `timestamp`, ids) is then read by the whole reader's own
//! parser, and each stand-in it deferred becomes `Data::InFile`, read back when converted.
//!
//! Nothing is guessed about the wrapper: the stand-ins must be exactly the `data` objects the
//! whole reader defers. If one of them was read some other way (the `data` of a single event
//! at the top level, read eagerly; a `data` key under `person`, skipped), or the reader
//! deferred a text that is not a stand-in, the copy is dropped and the caller reads the file
//! whole. Each replaced object is checked to be valid JSON as it is cut out (a deferred `data`
//! must be, and an event never converted would not check it later).

use serde::Deserialize as _;

use super::raw::Sink;

/// A hollowed `data` object: where its stand-in starts in the copy, and where the object is in
/// the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    at: usize,
    offset: u64,
    len: usize,
}

/// What the scanner is in, outside a hollowed object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Outside {
    /// Between tokens.
    #[default]
    Between,
    /// In a string: how many bytes of `data` it matched so far (`None`: it is not `data`), and
    /// whether the last byte was a backslash.
    Str { matched: Option<u8>, escape: bool },
    /// After the string `data` (white space may follow).
    AfterData,
    /// After `"data":`.
    AfterColon,
}

/// A `data` object being cut out.
#[derive(Debug)]
struct Region {
    /// Its first byte's offset in the file.
    offset: u64,
    /// Open brackets and braces in it.
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Its text so far when a chunk's end cut it.
    cut: String,
}

/// Builds the hollow copy of a document given chunk by chunk.
#[derive(Debug, Default)]
pub(super) struct Hollower {
    text: String,
    places: Vec<Place>,
    /// Open brackets and braces outside hollowed objects.
    depth: u32,
    outside: Outside,
    region: Option<Region>,
}

/// The hollow copy of a whole document.
#[derive(Debug)]
pub(super) struct Hollow {
    /// The document with its `data` objects below the top level replaced by stand-ins.
    pub text: String,
    places: Vec<Place>,
}

impl Hollower {
    /// Takes the next chunk, which starts at byte `offset` of the file. `None` when a
    /// replaced object is not valid JSON (the caller reads the file whole).
    pub fn step(&mut self, chunk: &str, offset: u64) -> Option<()> {
        let bytes = chunk.as_bytes();
        let mut i = 0;
        // Start of the bytes not yet copied.
        let mut copy_from = 0;
        while i < bytes.len() {
            if let Some(mut region) = self.region.take() {
                let start = i;
                let Some(end) = scan_region(&mut region, bytes, &mut i) else {
                    region.cut.push_str(chunk.get(start..)?);
                    self.region = Some(region);
                    return Some(());
                };
                let piece = chunk.get(start..end)?;
                let object = if region.cut.is_empty() {
                    piece
                } else {
                    region.cut.push_str(piece);
                    region.cut.as_str()
                };
                is_json(object)?;
                self.stand_in(region.offset, object);
                copy_from = end;
                continue;
            }
            let b = bytes.get(i).copied()?;
            match self.outside {
                Outside::Str { matched, escape } => {
                    if escape {
                        self.outside = Outside::Str {
                            matched: None,
                            escape: false,
                        };
                        i += 1;
                        continue;
                    }
                    // The string's bytes up to its next quote or backslash.
                    let rest = bytes.get(i..)?;
                    let stop = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
                    let run = rest.get(..stop)?;
                    let matched = matched.and_then(|m| {
                        let m = usize::from(m);
                        let want = b"data".get(m..)?;
                        (run.len() <= want.len() && want.starts_with(run))
                            .then(|| u8::try_from(m + run.len()).ok())
                            .flatten()
                    });
                    i += stop;
                    match rest.get(stop) {
                        Some(b'"') => {
                            i += 1;
                            self.outside = if matched == Some(4) {
                                Outside::AfterData
                            } else {
                                Outside::Between
                            };
                        }
                        Some(_) => {
                            i += 1;
                            self.outside = Outside::Str {
                                matched: None,
                                escape: true,
                            };
                        }
                        None => self.outside = Outside::Str { matched, escape },
                    }
                }
                _ if b.is_ascii_whitespace() => i += 1,
                Outside::AfterData if b == b':' => {
                    self.outside = Outside::AfterColon;
                    i += 1;
                }
                Outside::AfterColon if b == b'{' && self.depth >= 2 => {
                    self.text.push_str(chunk.get(copy_from..i)?);
                    self.outside = Outside::Between;
                    // Mostly the object ends in this chunk: serde_json finds its end as it
                    // checks it.
                    let rest = chunk.get(i..)?;
                    let mut de = serde_json::Deserializer::from_str(rest);
                    de.disable_recursion_limit();
                    let mut values = de.into_iter::<serde::de::IgnoredAny>();
                    // Otherwise cut by the chunk's end (a number cut short is not an
                    // end-of-file error) or broken: the scan below decides, and checks it whole.
                    if let Some(Ok(_)) = values.next() {
                        let end = i + values.byte_offset();
                        let object = chunk.get(i..end)?;
                        self.stand_in(offset + i as u64, object);
                        i = end;
                        copy_from = end;
                        continue;
                    }
                    // The brace is the region's first byte: `scan_region` opens it.
                    self.region = Some(Region {
                        offset: offset + i as u64,
                        depth: 0,
                        in_string: false,
                        escape: false,
                        cut: String::new(),
                    });
                }
                _ => {
                    self.outside = match b {
                        b'"' => Outside::Str {
                            matched: Some(0),
                            escape: false,
                        },
                        _ => Outside::Between,
                    };
                    match b {
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                        _ => {}
                    }
                    i += 1;
                }
            }
        }
        self.text.push_str(chunk.get(copy_from..)?);
        Some(())
    }

    /// Puts the stand-in of `object`, at `offset` in the file, at the end of the copy.
    fn stand_in(&mut self, offset: u64, object: &str) {
        self.places.push(Place {
            at: self.text.len(),
            offset,
            len: object.len(),
        });
        let newlines = memchr::memchr_iter(b'\n', object.as_bytes()).count();
        self.text.push('{');
        self.text.extend(std::iter::repeat_n('\n', newlines));
        self.text.push('}');
    }

    /// The copy, once the last chunk was taken; `None` when it ended inside a replaced object.
    pub fn finish(self) -> Option<Hollow> {
        self.region.is_none().then_some(Hollow {
            text: self.text,
            places: self.places,
        })
    }
}

/// Scans a region from `*i` to the byte after its closing brace (returned), or to the end of
/// `bytes` (`None`: the region goes on in the next chunk).
fn scan_region(region: &mut Region, bytes: &[u8], i: &mut usize) -> Option<usize> {
    while let Some(rest) = bytes.get(*i..).filter(|r| !r.is_empty()) {
        if region.in_string {
            if region.escape {
                region.escape = false;
                *i += 1;
                continue;
            }
            let stop = memchr::memchr2(b'"', b'\\', rest)?;
            *i += stop + 1;
            match rest.get(stop) {
                Some(b'"') => region.in_string = false,
                _ => region.escape = true,
            }
            continue;
        }
        // Outside strings: the next quote or bracket.
        let Some(stop) = rest
            .iter()
            .position(|b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']'))
        else {
            *i = bytes.len();
            return None;
        };
        *i += stop + 1;
        match rest.get(stop) {
            Some(b'"') => region.in_string = true,
            Some(b'{' | b'[') => region.depth += 1,
            _ => {
                region.depth = region.depth.saturating_sub(1);
                if region.depth == 0 {
                    return Some(*i);
                }
            }
        }
    }
    None
}

/// `Some` when `text` is one JSON value, checked as the whole reader's deferral checks a
/// `data` object (serde_json's skipping, no depth limit).
fn is_json(text: &str) -> Option<()> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    serde::de::IgnoredAny::deserialize(&mut de).ok()?;
    de.end().ok()
}

impl Hollow {
    /// The events `sink` (read from [`Hollow::text`]) without borrows, each stand-in's `data`
    /// as its place in the file; `None` unless the sink deferred exactly the stand-ins, each
    /// once, and nothing else.
    pub fn detach(&self, sink: Sink<'_>) -> Option<Sink<'static>> {
        let base = self.text.as_ptr() as usize;
        let mut used = vec![false; self.places.len()];
        let detached = sink.detach_with(|slice| {
            let at = (slice.as_ptr() as usize).checked_sub(base)?;
            let n = self.places.binary_search_by_key(&at, |p| p.at).ok()?;
            let place = self.places.get(n)?;
            let seen = used.get_mut(n)?;
            // The stand-in whole, once.
            let end = self.text.get(at..)?.find('}')? + 1;
            if *seen || slice.len() != end {
                return None;
            }
            *seen = true;
            Some((place.offset, place.len))
        })?;
        used.iter().all(|u| *u).then_some(detached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hollow(doc: &str, chunk: usize) -> Option<Hollow> {
        let mut h = Hollower::default();
        let mut offset = 0;
        while offset < doc.len() {
            let mut end = (offset + chunk).min(doc.len());
            while !doc.is_char_boundary(end) {
                end += 1;
            }
            h.step(doc.get(offset..end)?, offset as u64)?;
            offset = end;
        }
        h.finish()
    }

    #[test]
    fn data_objects_below_the_top_are_replaced_and_placed() {
        let doc = "{\"data\":{\"snapshots\":[{\"type\":2,\"data\":{\"a\":\"}\\\"{\",\n\"b\":[1,{}]},\"timestamp\":5},{\"d\\u0061ta\":{\"x\":1},\"data\":[1]}]}}";
        for chunk in [1, 2, 3, 7, 1000] {
            let h = hollow(doc, chunk).unwrap();
            assert_eq!(
                h.text,
                "{\"data\":{\"snapshots\":[{\"type\":2,\"data\":{\n},\"timestamp\":5},{\"d\\u0061ta\":{\"x\":1},\"data\":[1]}]}}",
                "chunks of {chunk}"
            );
            assert_eq!(h.places.len(), 1);
            let p = h.places[0];
            assert_eq!(
                &doc[p.offset as usize..p.offset as usize + p.len],
                "{\"a\":\"}\\\"{\",\n\"b\":[1,{}]}"
            );
        }
    }

    #[test]
    fn a_broken_data_object_gives_up() {
        assert!(hollow("{\"x\":[{\"data\":{\"a\":1,}}]}", 4).is_none());
        assert!(hollow("{\"x\":[{\"data\":{\"a\":1", 4).is_none());
    }

    #[test]
    fn the_top_level_data_is_kept() {
        let doc = "{\"type\":2,\"data\":{\"node\":{\"data\":{\"x\":1}}}}\n{\"data\":{}}";
        let h = hollow(doc, 5).unwrap();
        // Only the object two levels down is replaced.
        assert_eq!(
            h.text,
            "{\"type\":2,\"data\":{\"node\":{\"data\":{}}}}\n{\"data\":{}}"
        );
        assert_eq!(h.places.len(), 1);
    }
}
