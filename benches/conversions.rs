//! Conversions over 100,000 sessions: KPIs, a 5-step funnel and the lift table (the issue's
//! target: each ≤ 300 ms), and journeys of 5 steps (target ≤ 300 ms). The library is built once into target/bench-data from the visitor
//! simulator (seed 1), with the standard event definitions.

use std::hint::black_box;

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::conversions::{Kpis, funnel, kpis, lift};
use sessionlens::analysis::journeys::{JourneyQuery, journeys};
use sessionlens::analysis::signals::SignalKind;
use sessionlens::store::{Library, SessionFilter};

const SESSIONS: usize = 100_000;
const LIBRARY: &str = "conversions-100k.sqlite";

fn library_100k() -> Library {
    let mut library = support::simulated_library(LIBRARY, SESSIONS, |l, _| {
        !l.event_definitions().unwrap_or_default().is_empty()
    });
    library.ensure_standard_definitions().expect("definitions");
    library
}

/// The KPIs over `filter`, facts loaded from the library (the two events the KPIs need).
fn kpis_of(library: &Library, filter: &SessionFilter) -> Kpis {
    let facts = library
        .conversion_facts(
            black_box(filter),
            &["add_to_cart".to_owned(), "begin_checkout".to_owned()],
        )
        .expect("facts");
    kpis(&facts)
}

fn conversions(c: &mut Criterion) {
    let library = library_100k();
    let all = SessionFilter::default();
    let steps: Vec<String> = [
        "view_item",
        "add_to_cart",
        "begin_checkout",
        "add_payment_info",
        "purchase",
    ]
    .map(str::to_owned)
    .to_vec();
    let events: Vec<String> = [
        "view_item",
        "add_to_cart",
        "begin_checkout",
        "newsletter_signup",
    ]
    .map(str::to_owned)
    .to_vec();
    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut group = c.benchmark_group("conversions");
    group.sample_size(10);
    group.bench_function("kpis_100k", |b| {
        b.iter(|| kpis_of(&library, &all));
    });
    group.bench_function("funnel_5_steps_100k", |b| {
        b.iter(|| {
            let facts = library
                .conversion_facts(black_box(&all), &steps)
                .expect("facts");
            funnel(&facts, &steps, None)
        });
    });
    group.bench_function("lift_100k", |b| {
        b.iter(|| {
            let facts = library
                .conversion_facts(black_box(&all), &events)
                .expect("facts");
            lift(&facts, &events, &kinds)
        });
    });
    let journey_query = JourneyQuery::default();
    group.bench_function("journeys_5_steps_100k", |b| {
        b.iter(|| {
            let paths = library.journey_paths(black_box(&all)).expect("paths");
            journeys(&paths, &journey_query)
        });
    });
    let paths = library.journey_paths(&all).expect("paths");
    group.bench_function("journeys_5_steps_100k_analysis_only", |b| {
        b.iter(|| journeys(black_box(&paths), &journey_query));
    });
    // The first query after opening the library also builds the session index and reads each
    // definition's hits; the app pays this once per open library (and after each change).
    group.bench_function("kpis_100k_first_after_open", |b| {
        b.iter_batched(
            || Library::open(&support::bench_data(LIBRARY)).expect("open"),
            |library| kpis_of(&library, &all),
            criterion::BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, conversions);
criterion_main!(benches);
