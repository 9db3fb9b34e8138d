//! Heatmap benchmarks: `cargo bench --bench heatmap`. Figures go to docs/BENCHMARKS.md and
//! docs/HEATMAPS.md.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::heatmap::{
    DensityGrid, HeatmapKind, HeatmapQuery, HeatmapResult, WeightUnit, scroll_reach,
};
use sessionlens::demo::Rng;
use sessionlens::format::Loaded;
use sessionlens::model::{
    ClickKind, DeviceClass, Event, EventKind, PagePos, PageView, PointerType, ScrollOffset,
    Session, SizePx, ViewportPos,
};
use sessionlens::render::heatmap::{RenderSettings, render_heatmap, render_heatmap_into};
use sessionlens::render::{RgbaImage, decode_png, encode_png};
use sessionlens::store::{Library, SessionFilter, aggregate_heatmap as aggregate};

const HOME: &str = "http://shop.test/";

/// 1 M clicks on a 1440 × 6000 page: 30 calls to action with Gaussian-ish spread, plus 20 % noise.
fn one_million_clicks() -> HeatmapResult {
    let (w, h) = (1440u32, 6000u32);
    let mut rng = Rng::new(42);
    let ctas: Vec<(f32, f32)> = (0..30)
        .map(|_| (rng.unit() * 1300.0 + 70.0, rng.unit() * 5800.0 + 100.0))
        .collect();
    let mut density = DensityGrid::new(w, h);
    for i in 0..1_000_000u32 {
        let (x, y) = if i % 5 == 0 {
            (rng.unit() * w as f32, rng.unit() * h as f32)
        } else {
            let (cx, cy) = ctas[(i as usize * 7) % ctas.len()];
            let spread = |r: &mut Rng| (r.unit() + r.unit() + r.unit() - 1.5) * 40.0;
            (cx + spread(&mut rng), cy + spread(&mut rng) * 0.5)
        };
        density.add(PagePos { x, y }, 1.0);
    }
    let mut query = HeatmapQuery::new(HOME, HeatmapKind::Click, w);
    query.page_height_px = Some(h);
    HeatmapResult {
        query,
        sessions: 100_000,
        page_views: 100_000,
        points: 1_000_000,
        points_outside_page: 0,
        density,
        unit: WeightUnit::Clicks,
        hotspots: Vec::new(),
        scroll_reach: scroll_reach(&[900.0, 3000.0], h),
        average_fold_px: 900.0,
        attention_secs: Vec::new(),
        page_height_px: h,
        date_range_ms: None,
        views: Vec::new(),
        point_refs: Vec::new(),
    }
}

/// The demo home page screenshot (1440 × 2986) stacked to 1440 × 6000.
fn screenshot_1440x6000() -> RgbaImage {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo-shop/screenshots/home-1440.png");
    let png = std::fs::read(&path).expect("home screenshot");
    let home = decode_png(&png, "home-1440.png").expect("decode");
    let mut out = RgbaImage::new(1440, 6000).expect("image");
    let row = 1440 * 4;
    for y in 0..6000usize {
        let src = (y % home.height as usize) * row;
        out.pixels[y * row..(y + 1) * row].copy_from_slice(&home.pixels[src..src + row]);
    }
    out
}

fn render(c: &mut Criterion) {
    let result = one_million_clicks();
    let shot = screenshot_1440x6000();
    let settings = RenderSettings::for_kind(HeatmapKind::Click);
    let mut group = c.benchmark_group("heatmap");
    group.sample_size(20);
    // Re-rendering into the previous image's buffer: what the app does when a slider moves.
    let mut out = render_heatmap(&result, &shot, &settings);
    group.bench_function("render_1m_1440x6000", |b| {
        b.iter(|| render_heatmap_into(black_box(&result), &shot, &settings, &mut out));
    });
    // A new 35 MB image each time: the first render of a page, and the CLI.
    group.bench_function("render_1m_1440x6000_new_image", |b| {
        b.iter(|| render_heatmap(black_box(&result), &shot, &settings));
    });
    let image = render_heatmap(&result, &shot, &settings);
    group.sample_size(10);
    group.bench_function("png_export_1440x6000", |b| {
        b.iter(|| encode_png(black_box(&image)).expect("png"));
    });
    group.finish();
}

/// Sessions per generated batch, and batches.
const BATCH: usize = 1000;
const BATCHES: usize = 100;
/// Clicks per session: 100,000 sessions hold 10 M clicks.
const CLICKS_PER_SESSION: usize = 100;

fn bench_session(n: usize, rng: &mut Rng) -> Session {
    let mobile = rng.chance(0.6);
    let (device, viewport) = if mobile {
        (
            DeviceClass::Mobile,
            SizePx {
                width: 390,
                height: 744,
            },
        )
    } else {
        (
            DeviceClass::Desktop,
            SizePx {
                width: 1440,
                height: 820,
            },
        )
    };
    let started_at_ms = 1_790_000_000_000 + i64::try_from(n).unwrap_or(0) * 25_000;
    let product = ["trail-runner", "summit-hiker", "alpine-shell"][n % 3];
    let pages: Vec<PageView> = [
        HOME.to_owned(),
        format!("http://shop.test/product/{product}.html"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, url)| PageView {
        url,
        entered_at_ms: started_at_ms + i as i64 * 10_000,
        left_at_ms: started_at_ms + (i as i64 + 1) * 10_000,
        doc_size: SizePx {
            width: viewport.width,
            height: 3000,
        },
        viewport,
        ..PageView::default()
    })
    .collect();
    let mut events = Vec::with_capacity(CLICKS_PER_SESSION + 2);
    for page in 0..2u32 {
        let entered = pages[page as usize].entered_at_ms;
        events.push(Event {
            timestamp_ms: entered + 10,
            page,
            kind: EventKind::Scroll {
                offset: ScrollOffset {
                    x: 0.0,
                    y: (rng.unit() * 2000.0).round(),
                },
            },
        });
        for k in 0..CLICKS_PER_SESSION / 2 {
            let x = (rng.unit() * viewport.width as f32).round();
            let y = (rng.unit() * rng.unit() * 3000.0).round();
            events.push(Event {
                timestamp_ms: entered + 20 + k as i64 * 150,
                page,
                kind: EventKind::Click {
                    pos_in_page: PagePos { x, y },
                    pos_in_viewport: ViewportPos { x, y: y.min(700.0) },
                    kind: ClickKind::Click,
                    pointer: if mobile {
                        PointerType::Touch
                    } else {
                        PointerType::Mouse
                    },
                    target: None,
                },
            });
        }
    }
    Session {
        session_id: format!("hm-{n:06}"),
        started_at_ms,
        duration_ms: 20_000,
        device,
        pages,
        events,
        ..Session::default()
    }
}

/// 100,000 sessions with 10 M clicks, built once into target/bench-data.
fn library_10m_clicks() -> Library {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join("heatmap-100k-10m.sqlite");
    if let Ok(library) = Library::open(&path)
        && library.num_sessions().unwrap_or(0) == (BATCH * BATCHES) as u64
    {
        return library;
    }
    let _ = std::fs::remove_file(&path);
    let mut library = Library::open(&path).expect("open");
    let mut rng = Rng::new(7);
    for batch in 0..BATCHES {
        let sessions = (0..BATCH)
            .map(|i| bench_session(batch * BATCH + i, &mut rng))
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

fn aggregation(c: &mut Criterion) {
    // Built (or opened) only when an aggregation benchmark is selected.
    let library: std::cell::OnceCell<Library> = std::cell::OnceCell::new();
    let desktop = SessionFilter {
        device: Some(DeviceClass::Desktop),
        ..SessionFilter::default()
    };
    let mut home = HeatmapQuery::new(HOME, HeatmapKind::Click, 1440);
    home.filter = desktop.clone();
    home.page_height_px = Some(3000);
    let mut every_page = HeatmapQuery::new("*", HeatmapKind::Click, 1440);
    every_page.filter = desktop;
    every_page.page_height_px = Some(3000);
    let open = || {
        library.get_or_init(|| {
            let library = library_10m_clicks();
            for (q, name) in [(&home, "home"), (&every_page, "every page")] {
                let r = aggregate(&library, q).expect("aggregate");
                eprintln!(
                    "{name}: {} sessions, {} page views, {} clicks aggregated",
                    r.sessions, r.page_views, r.points
                );
            }
            library
        })
    };
    let mut group = c.benchmark_group("heatmap");
    group.sample_size(10);
    group.bench_function("aggregate_100k_10m_desktop_home", |b| {
        let library = open();
        b.iter(|| aggregate(library, black_box(&home)).expect("aggregate"));
    });
    group.bench_function("aggregate_100k_10m_desktop_every_page", |b| {
        let library = open();
        b.iter(|| aggregate(library, black_box(&every_page)).expect("aggregate"));
    });
    group.finish();
}

/// Two sets of 1 M clicks over 100,000 page views each (the clicks of `one_million_clicks`'
/// kind, with their page views), B with one call to action moved: what a tested difference
/// map adds to a comparison.
fn clicks_with_views(seed: u64, first_rowid: i64, moved: bool) -> HeatmapResult {
    use sessionlens::analysis::heatmap::PointRef;
    use sessionlens::model::points::HeatmapPageView;
    let (w, h) = (1440u32, 6000u32);
    let views_n = 100_000u32;
    let mut rng = Rng::new(seed);
    let mut ctas: Vec<(f32, f32)> = {
        let mut fixed = Rng::new(42);
        (0..30)
            .map(|_| (fixed.unit() * 1300.0 + 70.0, fixed.unit() * 5800.0 + 100.0))
            .collect()
    };
    if moved {
        // CTA 1 (CTA 0 gets no clicks: its clicks would fall on the noise fifth).
        ctas[1].1 += 400.0;
    }
    let mut result = one_million_clicks();
    result.density = DensityGrid::new(w, h);
    let url: std::sync::Arc<str> = std::sync::Arc::from(HOME);
    result.views = (0..views_n)
        .map(|i| HeatmapPageView {
            url: std::sync::Arc::clone(&url),
            session_rowid: first_rowid + i64::from(i),
            page_index: 0,
            viewport: SizePx {
                width: 1440,
                height: 900,
            },
            max_depth_px: 3000.0,
            duration_ms: 30_000,
            doc_height_px: h,
            entered_at_ms: 0,
            num_clicks: 10,
        })
        .collect();
    result.point_refs = (0..1_000_000u32)
        .map(|i| {
            let (x, y) = if i % 5 == 0 {
                (rng.unit() * w as f32, rng.unit() * h as f32)
            } else {
                let (cx, cy) = ctas[(i as usize * 7) % ctas.len()];
                let spread = |r: &mut Rng| (r.unit() + r.unit() + r.unit() - 1.5) * 40.0;
                (cx + spread(&mut rng), cy + spread(&mut rng) * 0.5)
            };
            let pos = PagePos { x, y };
            result.density.add(pos, 1.0);
            PointRef {
                pos_in_page: pos,
                view: i % views_n,
                t_ms: i / views_n * 1000,
            }
        })
        .collect();
    result
}

fn significance(c: &mut Criterion) {
    use sessionlens::analysis::significance::{DEFAULT_FDR, test_cells};
    use sessionlens::render::compare::{CompareLayout, render_comparison};
    let a = clicks_with_views(1, 0, false);
    let b = clicks_with_views(2, 1_000_000, true);
    let tests = test_cells(&a, &b, 16, DEFAULT_FDR);
    eprintln!("{}", tests.describe());
    let shot = screenshot_1440x6000();
    let settings = RenderSettings::for_kind(HeatmapKind::Click);
    let mut group = c.benchmark_group("heatmap");
    group.sample_size(10);
    group.bench_function("cell_tests_2x1m", |bench| {
        bench.iter(|| test_cells(black_box(&a), black_box(&b), 16, DEFAULT_FDR));
    });
    group.bench_function("compare_difference_2x1m", |bench| {
        bench.iter(|| {
            render_comparison(
                black_box(&a),
                &b,
                &shot,
                &settings,
                ("A", "B"),
                CompareLayout::Difference,
            )
        });
    });
    group.finish();
}

criterion_group!(benches, render, aggregation, significance);
criterion_main!(benches);
