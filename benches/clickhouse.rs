//! The team library on ClickHouse at scale (issue 20): a filtered full-page click, move and
//! attention heatmap of one page, end to end (query plus render), the KPIs, lift and a 5-step
//! funnel over 100,000 and 1,000,000 simulated sessions in one local server.
//!
//! Needs `clickhouse-server` (Debian's package, or `SESSIONLENS_CLICKHOUSE_SERVER`). The bench
//! starts its own server on 127.0.0.1 with its data in `target/bench-data/clickhouse/` (kept
//! between runs: building the 1 M library takes a while) and stops it at the end.
//!
//! `SESSIONLENS_BENCH_CLICKHOUSE_PORT` uses a server already running on 127.0.0.1 at that HTTP
//! port (user `default`, no password) instead. `SESSIONLENS_BENCH_SESSIONS` (default 100000)
//! picks the library size; each size is a
//! database of its own (`bench_100000`, …), filled once from the visitor simulator (seed 1)
//! through the library's own import, with the standard event definitions.
//!
//! ```sh
//! cargo bench --bench clickhouse
//! SESSIONLENS_BENCH_SESSIONS=1000000 cargo bench --bench clickhouse
//! ```
use std::hint::black_box;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sessionlens::analysis::heatmap::{HeatmapKind, HeatmapQuery};
use sessionlens::demo::{GenerateOptions, generate_session};
use sessionlens::format::Loaded;
use sessionlens::model::{DeviceClass, SessionFilter};
use sessionlens::render::heatmap::{RenderSettings, render_heatmap};
use sessionlens::render::{RgbaImage, decode_png};
use sessionlens::store::{Store, open_store};

/// The page of the heatmap: the demo shop's home page, as a desktop layout.
const PAGE: &str = "http://shop.test/";
/// Sessions generated and imported at once.
const CHUNK: usize = 20_000;

/// A `clickhouse-server` on its own folder, killed when dropped (`child`), or one already
/// running.
struct Server {
    child: Option<Child>,
    http_port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn server_binary() -> PathBuf {
    std::env::var_os("SESSIONLENS_CLICKHOUSE_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/clickhouse-server"))
}

fn start_server(root: &Path) -> Server {
    for sub in ["data", "tmp", "user_files", "format_schemas"] {
        std::fs::create_dir_all(root.join(sub)).expect("server folders");
    }
    let (http_port, tcp_port, interserver_port) = (free_port(), free_port(), free_port());
    let r = root.display();
    let config = format!(
        r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{r}/server.log</log><errorlog>{r}/server.err.log</errorlog><console>0</console></logger>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <interserver_http_port>{interserver_port}</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{r}/data/</path>
    <tmp_path>{r}/tmp/</tmp_path>
    <user_files_path>{r}/user_files/</user_files_path>
    <format_schema_path>{r}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mark_cache_size>1073741824</mark_cache_size>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
</yandex>
"#
    );
    std::fs::write(root.join("config.xml"), config).expect("server config");
    std::fs::write(
        root.join("users.xml"),
        r#"<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
    </interval></default></quotas>
</yandex>
"#,
    )
    .expect("server users");
    let log = std::fs::File::create(root.join("stderr.log")).expect("server log");
    let child = Command::new(server_binary())
        .arg(format!(
            "--config-file={}",
            root.join("config.xml").display()
        ))
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting clickhouse-server (apt-get install clickhouse-server)");
    let server = Server {
        child: Some(child),
        http_port,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let deadline = Instant::now() + Duration::from_secs(120);
    let ping = format!("http://127.0.0.1:{http_port}/ping");
    while agent.get(&ping).call().is_err() {
        assert!(Instant::now() < deadline, "clickhouse-server not ready");
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

/// The library of `sessions` simulated sessions, filled on first use.
fn library(server: &Server, sessions: usize) -> Box<dyn Store> {
    let url = format!(
        "clickhouse://default@127.0.0.1:{}/bench_{sessions}",
        server.http_port
    );
    let mut library = open_store(Path::new(&url)).expect("open the bench library");
    let have = library.num_sessions().expect("count") as usize;
    if have >= sessions {
        // Filled before (or by `sessionlens import` of `demo generate --seed 1` files).
        library
            .ensure_standard_definitions()
            .expect("standard definitions");
        return library;
    }
    let options = GenerateOptions {
        sessions,
        seed: 1,
        ..GenerateOptions::default()
    };
    eprintln!("building {url}: {have} of {sessions} sessions there");
    let started = Instant::now();
    let mut imported = 0usize;
    let mut generating = Duration::ZERO;
    // Chunks start at a multiple of CHUNK, so an interrupted build resumes (the import skips
    // the sessions it already holds).
    let mut start = have / CHUNK * CHUNK;
    while start < sessions {
        let end = (start + CHUNK).min(sessions);
        let t = Instant::now();
        let half = start + (end - start) / 2;
        let (mut a, b) = std::thread::scope(|scope| {
            let first = scope.spawn(|| {
                (start..half)
                    .map(|i| generate_session(&options, i))
                    .collect()
            });
            let second: Vec<_> = (half..end).map(|i| generate_session(&options, i)).collect();
            (first.join().expect("generator thread"), second)
        });
        let mut all: Vec<_> = std::mem::take(&mut a);
        all.extend(b);
        generating += t.elapsed();
        let loaded = Loaded {
            sessions: all,
            ..Loaded::default()
        };
        let label = format!("simulated sessions {start}..{end} (seed 1)");
        imported += library
            .insert_loaded(&label, &loaded)
            .expect("import")
            .session_ids
            .len();
        start = end;
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "  {end}/{sessions} sessions, {:.0} s ({:.0} s generating), {:.0} sessions/s imported",
            secs,
            generating.as_secs_f64(),
            imported as f64 / (secs - generating.as_secs_f64()).max(0.001)
        );
    }
    library
        .ensure_standard_definitions()
        .expect("standard definitions");
    library
}

/// The home page screenshot at 1440 px, as the app and `sessionlens heatmap` draw on.
fn screenshot() -> RgbaImage {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo-shop/screenshots/home-1440.png");
    let png = std::fs::read(&path).expect("home screenshot");
    decode_png(&png, "home-1440.png").expect("decode")
}

fn clickhouse(c: &mut Criterion) {
    let sessions: usize = std::env::var("SESSIONLENS_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // A server already running (its HTTP port; user `default` without a password), or one of
    // the bench's own.
    let server = match std::env::var("SESSIONLENS_BENCH_CLICKHOUSE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        Some(http_port) => Server {
            child: None,
            http_port,
        },
        None => start_server(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/clickhouse"),
        ),
    };
    let library = library(&server, sessions);
    let n = library.num_sessions().expect("count");
    eprintln!("library: {n} sessions");

    let desktop = SessionFilter {
        device: Some(DeviceClass::Desktop),
        ..SessionFilter::default()
    };
    let mut query = HeatmapQuery::new(PAGE, HeatmapKind::Click, 1440);
    query.filter = desktop;
    let shot = screenshot();
    let settings = RenderSettings::for_kind(HeatmapKind::Click);
    // One run of each answer, timed, before the repeated runs.
    let t = Instant::now();
    let result = library.heatmap_figures(&query).expect("heatmap");
    let png = render_heatmap(&result, &shot, &settings);
    eprintln!(
        "heatmap of {PAGE} (desktop sessions), server-binned: {} sessions, {} page views, {} clicks, {} hotspots, {:.0} ms with render ({}x{})",
        result.sessions,
        result.page_views,
        result.points,
        result.hotspots.len(),
        t.elapsed().as_secs_f64() * 1000.0,
        png.width,
        png.height
    );
    let t = Instant::now();
    let portable = library.heatmap(&query).expect("heatmap");
    eprintln!(
        "the same map composed on the client from every click (Store::heatmap): {:.0} ms, figures equal: {}",
        t.elapsed().as_secs_f64() * 1000.0,
        portable.density == result.density
            && portable.hotspots == result.hotspots
            && portable.points == result.points
    );
    drop(portable);
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
    let t = Instant::now();
    let kpis = library.kpis(&all).expect("kpis");
    eprintln!(
        "kpis: {:.0} ms: {kpis:?}",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let funnel = library.funnel(&all, &steps, None).expect("funnel");
    eprintln!(
        "funnel: {:.0} ms: {:?}, {} droppers",
        t.elapsed().as_secs_f64() * 1000.0,
        funnel.steps,
        funnel.droppers.len()
    );
    let t = Instant::now();
    let facts = library.conversion_facts(&all, &steps).expect("facts");
    let portable = sessionlens::analysis::conversions::funnel(&facts, &steps, None);
    eprintln!(
        "the same funnel from every session's facts on the client: {:.0} ms, steps equal: {}",
        t.elapsed().as_secs_f64() * 1000.0,
        portable.steps == funnel.steps
    );
    drop((facts, portable));

    let mut group = c.benchmark_group(format!("clickhouse_{sessions}"));
    group.sample_size(10);
    group.bench_function("heatmap_click_one_page_desktop_query_and_render", |b| {
        b.iter(|| {
            let result = library.heatmap_figures(black_box(&query)).expect("heatmap");
            render_heatmap(&result, &shot, &settings)
        });
    });
    // Move and attention maps of the same page and filter, binned by the server.
    for kind in [HeatmapKind::Move, HeatmapKind::Attention] {
        let mut query = query.clone();
        query.kind = kind;
        let settings = RenderSettings::for_kind(kind);
        let name = format!("heatmap_{kind:?}_one_page_desktop_query_and_render").to_lowercase();
        group.bench_function(name, |b| {
            b.iter(|| {
                let result = library.heatmap_figures(black_box(&query)).expect("heatmap");
                render_heatmap(&result, &shot, &settings)
            });
        });
    }
    group.bench_function("lift_5_events_2_signals", |b| {
        b.iter(|| {
            library
                .lift(black_box(&all), &steps, &["rage_click", "dead_click"])
                .expect("lift")
        });
    });
    group.bench_function("kpis", |b| {
        b.iter(|| library.kpis(black_box(&all)).expect("kpis"));
    });
    group.bench_function("funnel_5_steps", |b| {
        b.iter(|| {
            library
                .funnel(black_box(&all), &steps, None)
                .expect("funnel")
        });
    });
    group.finish();
    drop(server);
}

criterion_group!(benches, clickhouse);
criterion_main!(benches);
