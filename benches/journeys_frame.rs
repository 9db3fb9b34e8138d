//! One frame of the app's journeys Sankey on the CPU (issue 22's target: ≤ 4 ms with 200
//! bands): the layout, the shapes painted by `ui::sankey_ui` and egui's tessellation into
//! triangles, as the app does each frame. The map has 5 steps of 8 pages and 192 flows.
//!
//! ```sh
//! cargo bench --bench journeys_frame
//! ```
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::journeys::{JourneyQuery, PathStep, SessionPath, journeys};

/// 20,000 journeys of 5 steps over 8 pages; each step goes from page i to one of the 7 pages
/// i, i+1, …, i+6 (mod 8); staying on page i is a reload, one step, so 8 × 6 flows per step
/// pair, 192 in all.
fn map() -> sessionlens::analysis::journeys::Journeys {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let paths: Vec<SessionPath> = (0..20_000)
        .map(|i| {
            let mut page = next() % 8;
            let steps = (0..5)
                .map(|s| {
                    if s > 0 {
                        page = (page + next() % 7) % 8;
                    }
                    PathStep {
                        url: format!("https://shop.test/section-{page}/"),
                        entered_at_ms: s * 1_000,
                        signal_kinds: Vec::new(),
                    }
                })
                .collect();
            SessionPath {
                session_id: format!("s{i}"),
                converted: i % 7 == 0,
                steps,
            }
        })
        .collect();
    journeys(
        &paths,
        &JourneyQuery {
            min_share: 0.0,
            ..JourneyQuery::default()
        },
    )
}

fn frame(c: &mut Criterion) {
    let map = map();
    eprintln!(
        "journey map: {} nodes, {} bands",
        map.steps.iter().map(Vec::len).sum::<usize>(),
        map.flows.len()
    );
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1400.0, 900.0),
        )),
        ..egui::RawInput::default()
    };
    let mut run = || {
        let out = ctx.run_ui(input(), |ui| {
            sessionlens::ui::sankey_ui(ui, black_box(&map), None, None, egui::vec2(1380.0, 860.0));
        });
        ctx.tessellate(out.shapes, out.pixels_per_point)
    };
    // The first frames load the fonts.
    for _ in 0..3 {
        run();
    }
    c.bench_function("journeys_sankey_frame_192_bands", |b| b.iter(&mut run));
}

criterion_group!(benches, frame);
criterion_main!(benches);
