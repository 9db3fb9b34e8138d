//! Form analytics: the form table of one page over 100,000 sessions (the target:
//! ≤ 300 ms).
//!
//! - `forms_table_100k`: `Store::forms` on a 100,000-session library built once into
//!   target/bench-data from the visitor simulator (seed 1): the stored form facts of the
//!   sessions that visited the checkout read and decoded, and the table computed (end to end,
//!   as `sessionlens forms --page /checkout.html` does after opening the library).
//! - `forms_table_100k_analysis_only`: the aggregation alone on facts already read.

use std::hint::black_box;
use std::path::Path;

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::forms::forms;
use sessionlens::model::UrlPattern;
use sessionlens::store::{Library, SessionFilter, Store};

const SESSIONS: usize = 100_000;

/// Stored form-facts rows of a library (every session imported by this build has one).
fn form_fact_rows(path: &Path) -> u64 {
    rusqlite::Connection::open(path)
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM form_facts", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .map_or(0, |n| u64::try_from(n).unwrap_or(0))
}

fn library_100k() -> Library {
    support::simulated_library("forms-100k.sqlite", SESSIONS, |_, path| {
        form_fact_rows(path) == SESSIONS as u64
    })
}

fn bench(c: &mut Criterion) {
    let library = library_100k();
    let page = UrlPattern::new("/checkout.html");
    let filter = SessionFilter::default();
    let report = library.forms(&filter, Some(&page)).expect("forms");
    let first = report.forms.first();
    eprintln!(
        "forms bench: {} sessions visited {}; first form {:?}: viewed {}, started {}, {} fields",
        report.sessions,
        page.as_str(),
        first.map(|t| t.form.as_str()),
        first.map_or(0, |t| t.viewed),
        first.map_or(0, |t| t.started),
        first.map_or(0, |t| t.fields.len())
    );
    let facts = library.form_facts(&filter, Some(&page)).expect("facts");
    let mut group = c.benchmark_group("forms");
    group.sample_size(10);
    group.bench_function("forms_table_100k", |b| {
        b.iter(|| {
            library
                .forms(black_box(&filter), Some(&page))
                .expect("forms")
        });
    });
    group.bench_function("forms_table_100k_analysis_only", |b| {
        b.iter(|| forms(black_box(&facts)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
