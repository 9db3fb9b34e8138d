//! Replay benchmarks: `cargo bench --bench playback`. Figures go to docs/BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::demo::long_session;
use sessionlens::playback::{DEFAULT_TRAIL_MS, FrameIndex};

const HOUR_MS: i64 = 3_600_000;

/// Seeking anywhere in a one-hour session of 500,000 events: build the indexes once, then each
/// seek is one `frame_at` at a pseudo-random instant (target: ≤ 5 ms).
fn seek(c: &mut Criterion) {
    let session = long_session(7, 500_000, HOUR_MS);
    assert!(session.events.len() >= 500_000);
    let index = FrameIndex::new(&session, &[]);
    let mut group = c.benchmark_group("playback");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    group.bench_function("seek_1h_500k", |b| {
        b.iter(|| {
            // xorshift: a different instant every iteration.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let t = session.started_at_ms + (state % HOUR_MS as u64) as i64;
            black_box(index.frame_at(t, DEFAULT_TRAIL_MS).fields.len())
        });
    });
    group.bench_function("index_1h_500k", |b| {
        b.iter(|| black_box(FrameIndex::new(&session, &[])));
    });
    group.finish();
}

criterion_group!(benches, seek);
criterion_main!(benches);
