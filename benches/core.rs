//! Core benchmarks: `cargo bench --bench core`. Figures go to docs/BENCHMARKS.md.

use std::hint::black_box;
use std::path::PathBuf;

mod rrweb_input;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sessionlens::analysis::signals::hotspots::HotspotSort;
use sessionlens::analysis::signals::{SignalSettings, detect};
use sessionlens::demo::{GenerateOptions, generate, generate_session};
use sessionlens::format::{Loaded, native};
use sessionlens::model::{DeviceClass, Limits, Session};
use sessionlens::store::{Library, SessionFilter, SessionQueries as _, SessionSort};

/// One long session (about 200,000 events) written in the native format.
fn long_session_json() -> Vec<u8> {
    let options = GenerateOptions {
        sessions: 1,
        seed: 99,
        ..GenerateOptions::default()
    };
    let mut session = generate_session(&options, 0);
    let mut index = 1;
    while session.events.len() < 200_000 {
        let mut more = generate_session(&options, index);
        index += 1;
        let shift = session.ended_at_ms() - more.started_at_ms + 1000;
        more.started_at_ms += shift;
        let page_shift = u32::try_from(session.pages.len()).unwrap_or(0);
        for page in &mut more.pages {
            page.entered_at_ms += shift;
            page.left_at_ms += shift;
        }
        let target_shift = u32::try_from(session.targets.len()).unwrap_or(0);
        for event in &mut more.events {
            event.timestamp_ms += shift;
            event.page += page_shift;
            if let sessionlens::model::EventKind::Click {
                target: Some(t), ..
            } = &mut event.kind
            {
                *t += target_shift;
            }
        }
        session.duration_ms = more.ended_at_ms() - session.started_at_ms;
        session.pages.extend(more.pages);
        session.targets.extend(more.targets);
        session.events.extend(more.events);
    }
    let mut bytes = Vec::new();
    native::write_session(&mut bytes, &session).expect("write");
    bytes
}

fn read_native(c: &mut Criterion) {
    let bytes = long_session_json();
    let mut group = c.benchmark_group("format");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("read_native_200k_events", |b| {
        b.iter(|| {
            native::read_session_slice(black_box(&bytes), "bench.session.json", &Limits::default())
                .expect("read")
        });
    });
    // The floor: serde_json only skipping the same bytes (no values kept).
    group.bench_function("skip_json_200k_events", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).expect("json")
        });
    });
    group.finish();
}

/// The rrweb reader alone (bytes in memory to sessions), the reader that reads every event
/// whole first (the one before issue 21), and serde_json only skipping the same bytes.
fn read_rrweb(c: &mut Criterion) {
    use sessionlens::format::rrweb;
    let bytes = rrweb_input::rrweb_array(20_000_000);
    let limits = Limits::default();
    let mut group = c.benchmark_group("format");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("read_rrweb_20mb", |b| {
        b.iter(|| rrweb::read_rrweb(black_box(&bytes), "bench.json", &limits).expect("read"));
    });
    group.bench_function("read_rrweb_eager_20mb", |b| {
        b.iter(|| rrweb::read_rrweb_eager(black_box(&bytes), "bench.json", &limits).expect("read"));
    });
    group.bench_function("skip_json_rrweb_20mb", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&bytes)).expect("json")
        });
    });
    group.finish();
}

/// A library of 100,000 small sessions, built once and kept in target/bench-data.
fn library_100k() -> Library {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join("list-100k.sqlite");
    if let Ok(library) = Library::open(&path)
        && library.num_sessions().unwrap_or(0) == 100_000
    {
        return library;
    }
    let _ = std::fs::remove_file(&path);
    let mut library = Library::open(&path).expect("open");
    let templates: Vec<Session> = generate(&GenerateOptions {
        sessions: 500,
        seed: 5,
        days: 90,
        ..GenerateOptions::default()
    });
    for chunk in 0..100 {
        let sessions = (0..1000)
            .map(|i| {
                let n = chunk * 1000 + i;
                let mut s = templates[n % templates.len()].clone();
                s.session_id = format!("bench-{n:06}");
                let shift = i64::try_from(n).unwrap_or(0) * 7_919;
                s.started_at_ms += shift;
                for p in &mut s.pages {
                    p.entered_at_ms += shift;
                    p.left_at_ms += shift;
                }
                for e in &mut s.events {
                    e.timestamp_ms += shift;
                }
                s
            })
            .collect();
        library
            .insert_loaded(
                "bench",
                &Loaded {
                    sessions,
                    ..Loaded::default()
                },
            )
            .expect("insert");
    }
    library.fold_recent_points().expect("fold");
    library
}

fn list_sessions(c: &mut Criterion) {
    let library = library_100k();
    let mobile_product = SessionFilter {
        device: Some(DeviceClass::Mobile),
        url: Some("/product/*".to_owned()),
        ..SessionFilter::default()
    };
    let mut group = c.benchmark_group("store");
    group.bench_function("list_100k_filtered_first_page", |b| {
        b.iter(|| {
            let rows = library
                .list_sessions(black_box(&mobile_product), SessionSort::NewestFirst, 0, 200)
                .expect("list");
            let total = library.count_sessions(&mobile_product).expect("count");
            (rows, total)
        });
    });
    let converted = SessionFilter {
        converted: Some(true),
        ..SessionFilter::default()
    };
    group.bench_function("list_100k_converted_all_rows", |b| {
        b.iter(|| {
            library
                .list_sessions(
                    black_box(&converted),
                    SessionSort::NewestFirst,
                    0,
                    u64::MAX >> 1,
                )
                .expect("list")
        });
    });
    group.finish();
}

fn import_sessions(c: &mut Criterion) {
    let sessions = generate(&GenerateOptions {
        sessions: 1000,
        seed: 11,
        ..GenerateOptions::default()
    });
    let events: usize = sessions.iter().map(|s| s.events.len()).sum();
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("insert_1000_sessions", |b| {
        b.iter_batched(
            || Library::open_in_memory().expect("open"),
            |mut library| {
                for s in &sessions {
                    library
                        .insert_loaded(
                            "bench",
                            &Loaded {
                                sessions: vec![s.clone()],
                                ..Loaded::default()
                            },
                        )
                        .expect("insert");
                }
                library.fold_recent_points().expect("fold");
                library
            },
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// Signal detection over generated sessions; throughput in events.
fn detect_signals(c: &mut Criterion) {
    let sessions = generate(&GenerateOptions {
        sessions: 2000,
        seed: 21,
        ..GenerateOptions::default()
    });
    let events: usize = sessions.iter().map(|s| s.events.len()).sum();
    let settings = SignalSettings::default();
    let mut group = c.benchmark_group("signals");
    group.throughput(Throughput::Elements(events as u64));
    group.bench_function("detect", |b| {
        b.iter(|| {
            sessions
                .iter()
                .map(|s| detect(black_box(s), &settings).signals.len())
                .sum::<usize>()
        });
    });
    group.finish();
}

/// The hotspot table of the 100,000-session library (signals computed once if missing).
fn hotspot_table(c: &mut Criterion) {
    let mut library = library_100k();
    let all = SessionFilter::default();
    let empty = library
        .hotspots(&all, &[], None, HotspotSort::SessionsAffected)
        .expect("hotspots")
        .is_empty();
    if empty {
        library
            .recompute_signals(&SignalSettings::default())
            .expect("recompute");
    }
    let mut group = c.benchmark_group("signals");
    group.sample_size(10);
    group.bench_function("hotspots_100k", |b| {
        b.iter(|| {
            library
                .hotspots(black_box(&all), &[], None, HotspotSort::EstimatedLoss)
                .expect("hotspots")
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    read_native,
    read_rrweb,
    list_sessions,
    import_sessions,
    detect_signals,
    hotspot_table
);
criterion_main!(benches);
