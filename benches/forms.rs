//! Form analytics: the form table of one page over 100,000 sessions (the target:
//! ≤ 300 ms). `forms_table_100k_analysis_only` aggregates form facts already derived
//! (`analysis::forms::forms`); the facts are those of 2,000 simulated sessions (seed 1, the
//! checkout page only) repeated under new ids to 100,000 sessions.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::forms::{SessionForms, forms, session_forms};
use sessionlens::demo::{GenerateOptions, generate};
use sessionlens::model::UrlPattern;

const SESSIONS: usize = 100_000;

fn facts_100k() -> Vec<SessionForms> {
    let page = UrlPattern::new("/checkout.html");
    let base: Vec<SessionForms> = generate(&GenerateOptions {
        sessions: 2_000,
        seed: 1,
        ..GenerateOptions::default()
    })
    .iter()
    .map(|s| session_forms(s, Some(&page)))
    .collect();
    (0..SESSIONS)
        .map(|i| {
            let mut f = base[i % base.len()].clone();
            f.session_id = format!("{}-{i}", f.session_id);
            f
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let facts = facts_100k();
    let started = forms(&facts).forms.first().map_or(0, |t| t.started);
    eprintln!("forms bench: {SESSIONS} sessions, {started} started the first form");
    let mut group = c.benchmark_group("forms");
    group.sample_size(10);
    group.bench_function("forms_table_100k_analysis_only", |b| {
        b.iter(|| forms(black_box(&facts)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
