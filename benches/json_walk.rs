//! JSON parsers side by side on the rrweb importer's first pass: `cargo bench --bench json_walk`.
//! Figures go to docs/BENCHMARKS.md ("Reader alone and JSON parsers side by side").
//!
//! The walk is what the rrweb reader's first pass does: go through the top-level array and,
//! for every event, read `type` and `timestamp` and take the raw text of `data` without
//! building its tree. Each parser walks the same 20 MB array of the real recordings
//! (`format/read_rrweb_20mb`'s input); before measuring, every walk is checked to find the
//! same events, the same sum of `type` and `timestamp` values and the same `data` bytes as
//! serde_json's, and each parser's error on three broken copies of the input is printed
//! beside serde_json's line and column. The full-tree parses (what Node's `JSON.parse` does)
//! are there for reference.

use std::hint::black_box;

mod rrweb_input;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;
use simd_json::prelude::ValueAsScalar as _;
use sonic_rs::JsonValueTrait as _;

/// What a walk found: compared across parsers before measuring.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Tally {
    /// Items of the top-level array.
    events: u64,
    /// Sum of the events' integer `type`.
    type_sum: u64,
    /// Sum of the events' `timestamp`, truncated to integers (wrapping).
    timestamp_sum: i64,
    /// Events with a `data` member.
    with_data: u64,
    /// Bytes of the `data` members' raw text (`None` when the parser cannot give that text).
    data_bytes: Option<u64>,
}

impl Tally {
    fn add(&mut self, kind: Option<u64>, timestamp: Option<f64>, data: Option<Option<usize>>) {
        self.events += 1;
        self.type_sum += kind.unwrap_or(0);
        self.timestamp_sum = self
            .timestamp_sum
            .wrapping_add(timestamp.map_or(0, |t| t as i64));
        if let Some(len) = data {
            self.with_data += 1;
            self.data_bytes = match (self.data_bytes, len) {
                (Some(sum), Some(len)) => Some(sum + len as u64),
                _ => None,
            };
        }
    }

    fn new(raw_text: bool) -> Self {
        Self {
            data_bytes: raw_text.then_some(0),
            ..Self::default()
        }
    }
}

/// An event as the reader's first pass sees it with serde_json: `data` kept as raw text.
#[derive(Deserialize)]
struct JsonEvent<'a> {
    #[serde(rename = "type")]
    kind: Option<u64>,
    timestamp: Option<f64>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The same event through sonic-rs's serde deserializer: `data` kept as a `LazyValue`.
#[derive(Deserialize)]
struct SonicEvent<'a> {
    #[serde(rename = "type")]
    kind: Option<u64>,
    timestamp: Option<f64>,
    #[serde(borrow)]
    data: Option<sonic_rs::LazyValue<'a>>,
}

/// The fields of an event type, for the one walk over the top-level array.
trait Fields {
    fn fields(&self) -> (Option<u64>, Option<f64>, Option<Option<usize>>);
}

impl Fields for JsonEvent<'_> {
    fn fields(&self) -> (Option<u64>, Option<f64>, Option<Option<usize>>) {
        let data = self.data.map(|d| Some(d.get().len()));
        (self.kind, self.timestamp, data)
    }
}

impl Fields for SonicEvent<'_> {
    fn fields(&self) -> (Option<u64>, Option<f64>, Option<Option<usize>>) {
        let data = self.data.as_ref().map(|d| Some(d.as_raw_str().len()));
        (self.kind, self.timestamp, data)
    }
}

/// Walks the top-level array event by event, keeping no event (as the reader's `ItemSeed`).
struct Walk<E>(std::marker::PhantomData<E>);

impl<'de, E: Deserialize<'de> + Fields> DeserializeSeed<'de> for Walk<E> {
    type Value = Tally;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tally, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, E: Deserialize<'de> + Fields> Visitor<'de> for Walk<E> {
    type Value = Tally;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of rrweb events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tally, A::Error> {
        let mut tally = Tally::new(true);
        while let Some(event) = seq.next_element::<E>()? {
            let (kind, timestamp, data) = event.fields();
            tally.add(kind, timestamp, data);
        }
        Ok(tally)
    }
}

fn walk_serde_json(text: &str) -> Result<Tally, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let tally = Walk::<JsonEvent<'_>>(std::marker::PhantomData).deserialize(&mut de)?;
    de.end()?;
    Ok(tally)
}

fn walk_sonic_serde(text: &str) -> Result<Tally, sonic_rs::Error> {
    let mut de = sonic_rs::Deserializer::from_str(text);
    let tally = Walk::<SonicEvent<'_>>(std::marker::PhantomData).deserialize(&mut de)?;
    de.end()?;
    Ok(tally)
}

/// sonic-rs's lazy iterators: each event is skipped as one `LazyValue`, then its members
/// are iterated lazily (only `type` and `timestamp` parsed, `data` kept as raw text).
fn walk_sonic_lazy(text: &str) -> Result<Tally, sonic_rs::Error> {
    let mut tally = Tally::new(true);
    for event in sonic_rs::to_array_iter(text) {
        let event = event?;
        let (mut kind, mut timestamp, mut data) = (None, None, None);
        for member in sonic_rs::to_object_iter(event.as_raw_str()) {
            let (key, value) = member?;
            match &*key {
                "type" => kind = value.as_u64(),
                "timestamp" => timestamp = value.as_f64(),
                "data" => data = Some(Some(value.as_raw_str().len())),
                _ => {}
            }
        }
        tally.add(kind, timestamp, data);
    }
    Ok(tally)
}

/// simd-json's tape (the whole document parsed in place into a flat node list), then the
/// array walked on the tape. `data` has no raw text there: in-place parsing rewrites escaped
/// strings and the tape keeps no offsets, so only its presence is counted.
fn walk_simd_tape(bytes: &mut [u8]) -> Result<Tally, simd_json::Error> {
    let tape = simd_json::to_tape(bytes)?;
    let mut tally = Tally::new(false);
    let root = tape.as_value();
    let array = root
        .as_array()
        .ok_or_else(|| simd_json::Error::generic(simd_json::ErrorType::ExpectedArray))?;
    for event in array.iter() {
        let kind = event.get("type").and_then(|v| v.as_u64());
        let timestamp = event.get("timestamp").and_then(|v| v.cast_f64());
        let data = event.get("data").map(|_| None);
        tally.add(kind, timestamp, data);
    }
    Ok(tally)
}

/// The input with one change at the `n`-th `pattern` past the middle: what each parser
/// says about it (and where) is printed beside serde_json's line and column.
fn broken(text: &str, pattern: &str, replace: &str) -> String {
    let mid = text.len() / 2;
    let at = mid + text[mid..].find(pattern).expect("pattern in the input");
    format!("{}{replace}{}", &text[..at], &text[at + pattern.len()..])
}

/// Line and column (1-based, in bytes) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
    (line, column + 1)
}

/// Checks that every walk agrees with serde_json, and prints each parser's errors.
fn check(text: &str) {
    let json = walk_serde_json(text).expect("serde_json walk");
    assert!(json.events > 10_000, "the recordings' events: {json:?}");
    assert_eq!(walk_sonic_serde(text).expect("sonic serde walk"), json);
    assert_eq!(walk_sonic_lazy(text).expect("sonic lazy walk"), json);
    let mut copy = text.as_bytes().to_vec();
    let tape = walk_simd_tape(&mut copy).expect("simd-json tape walk");
    assert_eq!(
        tape,
        Tally {
            data_bytes: None,
            ..json
        }
    );
    serde_json::from_str::<IgnoredAny>(text).expect("serde_json skip");
    eprintln!(
        "json_walk: {} bytes, {} events, type sum {}, {} with data ({} bytes): \
         every walk agrees",
        text.len(),
        json.events,
        json.type_sum,
        json.with_data,
        json.data_bytes.unwrap_or(0)
    );
    for (what, pattern, replace) in [
        (
            "a letter for a timestamp",
            "\"timestamp\":",
            "\"timestamp\":x",
        ),
        (
            "a bad escape inside data",
            "\"data\":{\"",
            "\"data\":{\"\\q",
        ),
        (
            "a control character inside data",
            "\"data\":{\"",
            "\"data\":{\"\u{1}",
        ),
    ] {
        let bad = broken(text, pattern, replace);
        let serde = match walk_serde_json(&bad) {
            Ok(_) => "accepted".to_owned(),
            Err(e) => e.to_string(),
        };
        let sonic_serde = match walk_sonic_serde(&bad) {
            Ok(_) => "accepted".to_owned(),
            Err(e) => format!("line {} column {}", e.line(), e.column()),
        };
        let sonic_lazy = match walk_sonic_lazy(&bad) {
            Ok(_) => "accepted".to_owned(),
            Err(e) => format!("line {} column {}", e.line(), e.column()),
        };
        let mut copy = bad.as_bytes().to_vec();
        let simd = match walk_simd_tape(&mut copy) {
            Ok(_) => "accepted".to_owned(),
            Err(e) => {
                let (line, column) = line_column(&bad, e.index());
                format!("{e} = line {line} column {column}")
            }
        };
        eprintln!(
            "json_walk: {what}: serde_json: {serde}; sonic-rs serde: {sonic_serde}; \
             sonic-rs lazy: {sonic_lazy}; simd-json: {simd}"
        );
    }
}

fn json_walk(c: &mut Criterion) {
    let bytes = rrweb_input::rrweb_array(20_000_000);
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    check(text);
    let mut group = c.benchmark_group("json_walk");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    // The walk (the reader's first pass).
    group.bench_function("serde_json_walk", |b| {
        b.iter(|| walk_serde_json(black_box(text)).expect("walk"));
    });
    group.bench_function("serde_json_skip", |b| {
        b.iter(|| serde_json::from_str::<IgnoredAny>(black_box(text)).expect("skip"));
    });
    // As `format/skip_json_rrweb_20mb`: the bytes, not the text.
    group.bench_function("serde_json_skip_bytes", |b| {
        b.iter(|| serde_json::from_slice::<IgnoredAny>(black_box(&bytes)).expect("skip"));
    });
    group.bench_function("sonic_rs_lazy_walk", |b| {
        b.iter(|| walk_sonic_lazy(black_box(text)).expect("walk"));
    });
    group.bench_function("sonic_rs_serde_walk", |b| {
        b.iter(|| walk_sonic_serde(black_box(text)).expect("walk"));
    });
    // simd-json parses in place: each iteration copies the input first (`copy_input` alone).
    group.bench_function("copy_input", |b| {
        b.iter(|| black_box(&bytes).clone());
    });
    group.bench_function("simd_json_tape_walk_with_copy", |b| {
        b.iter(|| {
            let mut copy = black_box(&bytes).clone();
            walk_simd_tape(&mut copy).expect("walk")
        });
    });
    // The whole tree, for reference (what Node's JSON.parse builds).
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(text)).expect("parse"));
    });
    group.bench_function("sonic_rs_value", |b| {
        b.iter(|| sonic_rs::from_str::<sonic_rs::Value>(black_box(text)).expect("parse"));
    });
    group.bench_function("simd_json_borrowed_value_with_copy", |b| {
        b.iter(|| {
            let mut copy = black_box(&bytes).clone();
            let value = simd_json::to_borrowed_value(&mut copy).expect("parse");
            black_box(&value);
        });
    });
    group.finish();
}

criterion_group!(benches, json_walk);
criterion_main!(benches);
