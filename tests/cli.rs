//! Integration tests: the built `sessionlens` binary on fixtures, in temporary directories.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn library(&self) -> PathBuf {
        self.dir.path().join("lib").join("library.sqlite")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sessionlens"))
            .args(args)
            .env("SESSIONLENS_LIBRARY", self.library())
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn generate(&self, n: usize, seed: u64) -> PathBuf {
        let out = self.path(&format!("gen-{seed}"));
        self.ok(&[
            "demo",
            "generate",
            "--sessions",
            &n.to_string(),
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        out
    }

    fn count(&self) -> usize {
        self.json(&["list", "--json"]).as_array().unwrap().len()
    }
}

fn str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn import_list_show_events_round_trip() {
    let env = Env::new();
    let dir = env.generate(40, 3);
    let out = env.ok(&["import", str(&dir), "--json"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    assert!(
        lines
            .iter()
            .all(|l| l["status"] == "imported" && l["session_ids"].as_array().unwrap().len() == 1)
    );

    // Filters.
    let all = env.json(&["list", "--json"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 40);
    let mobile = env.json(&["list", "--json", "--device", "mobile"]);
    let mobile = mobile.as_array().unwrap();
    assert!(!mobile.is_empty() && mobile.len() < 40);
    assert!(
        mobile
            .iter()
            .all(|r| r["device"] == "mobile" && r["viewport_width"] == 390)
    );
    let product = env.json(&["list", "--json", "--page", "/product/*"]);
    assert!(product.as_array().unwrap().iter().all(|r| {
        r["pages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("/product/"))
    }));
    let limited = env.json(&["list", "--json", "--limit", "5", "--sort", "oldest"]);
    let limited = limited.as_array().unwrap();
    assert_eq!(limited.len(), 5);
    assert!(
        limited
            .windows(2)
            .all(|w| w[0]["started_at_ms"].as_i64() <= w[1]["started_at_ms"].as_i64())
    );
    for key in [
        "session_id",
        "started_at_ms",
        "duration_ms",
        "device",
        "viewport_width",
        "viewport_height",
        "source",
        "pages",
        "num_clicks",
        "converted",
        "signals",
    ] {
        assert!(all[0].get(key).is_some(), "list row lacks {key}");
    }

    // Show.
    let id = all[0]["session_id"].as_str().unwrap();
    let show = env.json(&["show", id, "--json"]);
    let page = &show["pages"][0];
    for key in [
        "url",
        "entered_at_ms",
        "left_at_ms",
        "doc_width",
        "doc_height",
        "viewport_width",
        "viewport_height",
        "max_scroll_y",
        "max_depth_px",
    ] {
        assert!(page.get(key).is_some(), "page lacks {key}");
    }
    assert_eq!(
        page["max_depth_px"].as_f64().unwrap(),
        page["max_scroll_y"].as_f64().unwrap() + page["viewport_height"].as_f64().unwrap()
    );

    // Events: JSON lines with page and viewport coordinates.
    let events = env.ok(&["events", id, "--json", "--kind", "click"]);
    for line in events.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        assert_eq!(e["kind"], "click");
        assert!(e["x"].is_number() && e["viewport_x"].is_number());
    }
    let nav = env.ok(&["events", id, "--json", "--kind", "navigation"]);
    assert_eq!(nav.lines().count(), show["pages"].as_array().unwrap().len());
    assert!(env.ok(&["show", id]).contains("converted"));
}

#[test]
fn reimport_is_detected_and_failed_files_change_nothing() {
    let env = Env::new();
    let dir = env.generate(5, 4);
    env.ok(&["import", str(&dir)]);
    let again = env.run(&["import", str(&dir), "--json"]);
    assert_eq!(again.status.code(), Some(0));
    let text = String::from_utf8(again.stdout).unwrap();
    assert!(
        text.lines().all(|l| l.contains("\"status\":\"duplicate\"")),
        "{text}"
    );
    assert_eq!(env.count(), 5);

    let bad_dir = env.path("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let good = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(
        bad_dir.join("truncated.session.json"),
        &bytes[..bytes.len() - 10],
    )
    .unwrap();
    std::fs::write(bad_dir.join("empty.json"), b"").unwrap();
    let nan = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("\"session_id\":\"", "\"session_id\":\"nan-", 1)
        .replacen(",\"m\",", ",\"m\",1e12,0,", 1);
    std::fs::write(bad_dir.join("absurd.session.json"), nan).unwrap();
    let out = env.run(&["import", str(&bad_dir), "--json"]);
    assert_eq!(out.status.code(), Some(1), "some inputs failed");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l["status"], "failed", "{l}");
        let error = l["error"].as_str().unwrap();
        assert!(
            error.contains(l["file"].as_str().unwrap()),
            "error names the file: {error}"
        );
    }
    let errors: Vec<&str> = lines.iter().map(|l| l["error"].as_str().unwrap()).collect();
    assert!(
        errors.iter().any(|e| e.contains("line 1, column")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("empty")), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("events[") && e.contains("x")),
        "{errors:?}"
    );
    assert_eq!(env.count(), 5, "failed files leave the library unchanged");

    // Text mode: each failure is a diagnostic on standard error; standard output keeps the result.
    let text = env.run(&["import", str(&bad_dir)]);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8(text.stdout).unwrap();
    let stderr = String::from_utf8(text.stderr).unwrap();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("failed: ")).count(),
        3,
        "{stderr}"
    );
    assert!(!stdout.contains("failed: "), "{stdout}");
    assert!(stdout.contains("3 files failed"), "{stdout}");
}

#[test]
fn exit_codes_and_messages() {
    let env = Env::new();
    let usage = env.run(&["list", "--device", "phone"]);
    assert_eq!(usage.status.code(), Some(2));
    let missing = env.run(&["show", "no-such-session"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no session with id \"no-such-session\"")
    );
    let not_db = env.path("not-a-db.sqlite");
    std::fs::write(&not_db, vec![7u8; 4096]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .args(["--library", str(&not_db), "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a SessionLens library"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&not_db).unwrap(), vec![7u8; 4096]);
}

#[test]
fn generator_is_deterministic_byte_for_byte() {
    let env = Env::new();
    let a = env.generate(20, 9);
    let b_dir = env.path("again");
    env.ok(&[
        "demo",
        "generate",
        "--sessions",
        "20",
        "--seed",
        "9",
        "--out",
        str(&b_dir),
    ]);
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 20);
    for name in names {
        assert_eq!(
            std::fs::read(a.join(&name)).unwrap(),
            std::fs::read(b_dir.join(&name)).unwrap()
        );
    }
}

#[test]
fn simulated_visitors_go_into_the_library_once_and_calibration_prints() {
    let env = Env::new();
    let args = [
        "demo",
        "generate",
        "--sessions",
        "120",
        "--into-library",
        "--until",
        "2026-10-01",
    ];
    let out = env.ok(&args);
    assert!(out.contains("added 120 simulated sessions"), "{out}");
    let again = env.ok(&args);
    assert!(again.contains("added 0 simulated sessions"), "{again}");
    // Every start falls in the 30 days before the --until date.
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["list", "--json", "--limit", "1000"])).unwrap();
    let starts: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["started_at_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(starts.len(), 120);
    let until = 1_790_812_800_000; // 2026-10-01T00:00Z
    assert!(
        starts
            .iter()
            .all(|t| (until - 30 * 86_400_000..until).contains(t))
    );

    let figures: serde_json::Value =
        serde_json::from_str(&env.ok(&["demo", "calibrate", "--sessions", "400", "--json"]))
            .unwrap();
    assert_eq!(figures["sessions"], 400);
    assert_eq!(figures["conversion"][0]["name"], "all");
    assert!(figures["scroll_reach"].as_array().unwrap().len() >= 5);
    assert!(figures["clicks"]["clicks"].as_u64().unwrap() > 400);
    let text = env.ok(&["demo", "calibrate", "--sessions", "200"]);
    assert!(
        text.contains("conversion (purchase)") && text.contains("scroll reach"),
        "{text}"
    );
}

/// True when the snapshot test must render with Chromium (CI installs it), or may because it
/// is installed here.
fn chromium_wanted() -> bool {
    std::env::var_os("SESSIONLENS_REQUIRE_CHROMIUM").is_some()
        || sessionlens::render::chromium::Chromium::find().is_ok()
}

#[test]
fn snapshot_renders_recorded_pages_or_draws_placeholders() {
    let env = Env::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recording = root.join("sample_sessions/rrweb/quick-back-desktop.json");
    env.ok(&["import", str(&recording)]);
    // An attached screenshot wins over snapshots and placeholders.
    let home = root.join("assets/demo-shop/screenshots/home-1440.png");
    env.ok(&[
        "screenshot",
        "add",
        "--url",
        "http://shop.test/",
        str(&home),
    ]);
    let out = env.ok(&["snapshot", "quick-back-desktop", "--no-chromium"]);
    assert!(
        out.contains("http://shop.test/product/summit-hiker.html at 1440 px: placeholder"),
        "{out}"
    );
    assert!(
        !out.contains("http://shop.test/ at"),
        "the attached one is kept: {out}"
    );
    let shots = env.json(&["screenshot", "list", "--json"]);
    let origin_of = |shots: &Value, url: &str| {
        shots
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["url"] == url)
            .map(|s| {
                (
                    s["origin"].as_str().unwrap().to_owned(),
                    s["height"].as_u64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(origin_of(&shots, "http://shop.test/").0, "manual");
    // The placeholder is as tall as the deepest viewport bottom seen (900 px here).
    assert_eq!(
        origin_of(&shots, "http://shop.test/product/summit-hiker.html"),
        ("placeholder".to_owned(), 900)
    );
    // Nothing left to do without --force.
    let again = env.ok(&["snapshot", "--all", "--no-chromium"]);
    assert!(
        again.contains("every page already has a screenshot"),
        "{again}"
    );
    let unknown = env.run(&["snapshot", "no-such-session"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-session"));

    if !chromium_wanted() {
        eprintln!("Chromium not installed: the rendering half of this test is skipped");
        return;
    }
    // The recorded DOM rendered full-page by Chromium replaces the placeholder.
    let out = env.ok(&["snapshot", "--all", "--force"]);
    assert!(
        out.contains("http://shop.test/product/summit-hiker.html at 1440 px: Chromium, 1440 x "),
        "{out}"
    );
    let shots = env.json(&["screenshot", "list", "--json"]);
    let (origin, height) = origin_of(&shots, "http://shop.test/product/summit-hiker.html");
    assert_eq!(origin, "snapshot");
    assert!(
        (3500..6000).contains(&height),
        "the whole product page, about 4,200 px: {height}"
    );
    assert_eq!(origin_of(&shots, "http://shop.test/").0, "manual");
}

#[test]
fn screenshots_attach_and_list() {
    let env = Env::new();
    let png =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-shop/screenshots/home-1440.png");
    let out = env.ok(&[
        "screenshot",
        "add",
        "--url",
        "http://shop.test/#hero",
        str(&png),
    ]);
    assert!(out.contains("http://shop.test/ at width 1440"), "{out}");
    let list = env.json(&["screenshot", "list", "--json"]);
    assert_eq!(list[0]["url"], "http://shop.test/");
    assert_eq!(list[0]["origin"], "manual");
    let not_png = env.path("x.png");
    std::fs::write(&not_png, b"GIF89a").unwrap();
    let bad = env.run(&[
        "screenshot",
        "add",
        "--url",
        "http://shop.test/",
        str(&not_png),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a PNG"));
}

#[test]
fn many_files_in_one_folder() {
    let env = Env::new();
    let dir = env.path("many");
    std::fs::create_dir_all(dir.join("nested/deeper")).unwrap();
    for i in 0..1500 {
        let sub = if i % 3 == 0 {
            dir.join("nested/deeper")
        } else {
            dir.clone()
        };
        std::fs::write(
            sub.join(format!("junk-{i}.json")),
            format!("{{\"not\": {i}}}"),
        )
        .unwrap();
    }
    let out = env.run(&["import", str(&dir)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1500 files: 0 sessions imported"), "{text}");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(errors.contains("neither a SessionLens session"), "{errors}");
}

#[test]
fn convert_rrweb_to_native_and_import_it() {
    let env = Env::new();
    let recording =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rrweb/convert-desktop.json");
    let out = env.path("visit.session.json.gz");
    let text = env.ok(&["convert", str(&recording), "--out", str(&out)]);
    assert!(text.contains("session convert-desktop"), "{text}");
    assert_eq!(&std::fs::read(&out).unwrap()[..2], &[0x1f, 0x8b]);
    let imported = env.ok(&["import", str(&out), "--json"]);
    assert!(imported.contains("\"status\":\"imported\""), "{imported}");
    let show = env.json(&["show", "convert-desktop", "--json"]);
    assert_eq!(show["converted"], true);
    assert_eq!(show["num_clicks"], 20);
    // Importing the original recording now is a duplicate of the converted one.
    let again = env.ok(&["import", str(&recording), "--json"]);
    assert!(again.contains("\"status\":\"duplicate\""), "{again}");
}

#[test]
fn notes_export_as_text_json_csv_and_markdown() {
    let env = Env::new();
    // The replay writes notes through the library; do the same here.
    {
        let library = sessionlens::store::Library::open(&env.library()).unwrap();
        library
            .add_note("visit-1", 1_795_000_000_000, "confused by shipping cost")
            .unwrap();
        library
            .add_note(
                "visit-2",
                1_795_000_005_000,
                "rage, then \"help\", then left",
            )
            .unwrap();
    }
    let text = env.ok(&["notes"]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("visit-1  2026-11-18 "), "{text}");
    let json: Vec<Value> = env
        .ok(&["notes", "--session", "visit-2", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["text"], "rage, then \"help\", then left");
    assert_eq!(json[0]["timestamp_ms"], 1_795_000_005_000_i64);
    let csv = env.ok(&["notes", "--csv"]);
    assert_eq!(
        csv.lines().nth(2).unwrap(),
        "visit-2,1795000005000,2026-11-18 11:06:45,\"rage, then \"\"help\"\", then left\""
    );
    let md = env.ok(&["notes", "--markdown"]);
    assert!(md.starts_with("## Session visit-1\n"), "{md}");
    // Usage errors exit with 2.
    assert_eq!(
        env.run(&["notes", "--csv", "--json"]).status.code(),
        Some(2)
    );
}

fn rrweb_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rrweb")
        .join(name)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn signals_are_detected_at_import_and_listed() {
    let env = Env::new();
    let files = [
        "rage-click-promo-desktop.json",
        "rage-click-image-mobile.json",
        "dead-click-image-desktop.json",
        "calm-help-desktop.json",
    ];
    for name in files {
        env.ok(&["import", str(&rrweb_fixture(name))]);
    }
    let all = json_lines(&env.ok(&["signals", "--json"]));
    let keys = [
        "session_id",
        "kind",
        "page_url",
        "start_ms",
        "end_ms",
        "x",
        "y",
        "num_clicks",
        "target",
        "severity",
    ];
    for signal in &all {
        for key in keys {
            assert!(signal.get(key).is_some(), "{key} missing in {signal}");
        }
        assert_ne!(signal["session_id"], "calm-help-desktop");
    }
    let rage: Vec<&Value> = all.iter().filter(|s| s["kind"] == "rage_click").collect();
    assert_eq!(rage.len(), 2, "{all:?}");
    let promo = rage
        .iter()
        .find(|s| s["session_id"] == "rage-click-promo-desktop")
        .unwrap();
    assert_eq!(promo["num_clicks"], 5);
    assert_eq!(promo["page_url"], "http://shop.test/");
    assert_eq!(promo["target"], "#promo-bar > span.promo-text > u");

    // Filters: session, kinds, page.
    let dead = json_lines(&env.ok(&[
        "signals",
        "--json",
        "--session",
        "dead-click-image-desktop",
        "--kind",
        "dead_click",
    ]));
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|s| s["target"] == "#main-image"));
    let product = json_lines(&env.ok(&["signals", "--json", "--page", "/product/*"]));
    assert!(!product.is_empty());
    assert!(
        product
            .iter()
            .all(|s| s["page_url"].as_str().unwrap().contains("/product/"))
    );
    let csv = env.ok(&["signals", "--csv", "--kind", "rage_click"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "session_id,kind,page_url,start_ms,end_ms,x,y,num_clicks,target,severity"
    );
    assert_eq!(lines.count(), 2);
    let table = env.ok(&["signals"]);
    assert!(table.contains("rage_click") && table.contains("signals"));

    // The session list counts them and filters by them.
    let with_rage = env.json(&["list", "--json", "--has-signal", "rage_click"]);
    let with_rage = with_rage.as_array().unwrap();
    assert_eq!(with_rage.len(), 2);
    assert!(with_rage.iter().all(|r| r["signals"]["rage_click"] == 1));

    // Errors: unknown kind is a usage error, unknown session a fatal one.
    let out = env.run(&["signals", "--kind", "rage"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rage_click"));
    let out = env.run(&["signals", "--session", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn hotspots_rank_and_recompute_with_the_strict_preset() {
    let env = Env::new();
    for name in [
        "rage-click-promo-desktop.json",
        "rage-click-image-mobile.json",
        "dead-click-image-desktop.json",
        "convert-desktop.json",
    ] {
        env.ok(&["import", str(&rrweb_fixture(name))]);
    }
    let table = json_lines(&env.ok(&["hotspots", "--json"]));
    assert!(!table.is_empty());
    let image = table
        .iter()
        .find(|h| h["kind"] == "dead_click" && h["element"] == "#main-image")
        .unwrap();
    assert_eq!(
        image["page_url"],
        "http://shop.test/product/trail-runner.html"
    );
    assert_eq!(image["occurrences"], 3, "two on desktop, one on mobile");
    assert_eq!(image["sessions_affected"], 2);
    // Three sessions saw the product page; the converting one was not affected.
    assert_eq!(image["page_sessions"], 3);
    assert_eq!(image["baseline_conversion_rate"], 1.0);
    assert_eq!(image["estimated_lost_conversions"], 2.0);
    assert_eq!(image["significant"], false);
    let affected: Vec<u64> = table
        .iter()
        .map(|h| h["sessions_affected"].as_u64().unwrap())
        .collect();
    assert!(affected.windows(2).all(|w| w[0] >= w[1]), "{affected:?}");
    let csv = env.ok(&[
        "hotspots",
        "--csv",
        "--kind",
        "rage_click",
        "--sort",
        "loss",
    ]);
    assert_eq!(
        csv.lines().count(),
        3,
        "header and two rage hotspots:\n{csv}"
    );
    let only_home = json_lines(&env.ok(&["hotspots", "--json", "--page", "http://shop.test/"]));
    assert!(
        only_home
            .iter()
            .all(|h| h["page_url"] == "http://shop.test/")
    );
    assert!(env.ok(&["hotspots"]).contains("hotspots"));

    // Sentry's strict preset: the mobile burst now includes the first tap (5 on one element).
    let mobile = |env: &Env| {
        json_lines(&env.ok(&[
            "signals",
            "--json",
            "--kind",
            "rage_click",
            "--session",
            "rage-click-image-mobile",
        ]))
    };
    assert_eq!(mobile(&env)[0]["num_clicks"], 4);
    assert!(
        env.ok(&["recompute-signals", "--strict-rage"])
            .contains("recomputed")
    );
    assert_eq!(mobile(&env)[0]["num_clicks"], 5);
    env.ok(&["recompute-signals", "--defaults"]);
    assert_eq!(mobile(&env)[0]["num_clicks"], 4);
}

/// Width and height of a PNG, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

#[test]
fn snapshot_at_a_moment_writes_the_page_as_it_was() {
    let env = Env::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    env.ok(&[
        "import",
        str(&root.join("tests/fixtures/rrweb/convert-desktop.json")),
    ]);
    let chromium = chromium_wanted();
    let at = |time: &str, file: &Path, extra: &[&str]| {
        let mut args = vec![
            "snapshot",
            "convert-desktop",
            "--at",
            time,
            "--out",
            str(file),
        ];
        if !chromium {
            args.push("--no-chromium");
        }
        args.extend(extra);
        env.ok(&args)
    };
    // Before the add to cart (00:13): the product page's snapshot and two changes (thumbnail,
    // size); after it (00:15), one more: the cart count and the "added" toast.
    let (before, after) = (env.path("before.png"), env.path("after.png"));
    let out = at("00:13", &before, &[]);
    assert!(
        out.contains(
            "http://shop.test/product/trail-runner.html at 00:13 (page view 2, DOM from the snapshot at 00:07 + 2 changes)"
        ),
        "{out}"
    );
    let out = at("00:15", &after, &[]);
    assert!(
        out.contains("at 00:15 (page view 2, DOM from the snapshot at 00:07 + 3 changes)"),
        "{out}"
    );
    let (a, b) = (
        std::fs::read(&before).unwrap(),
        std::fs::read(&after).unwrap(),
    );
    assert_eq!(png_size(&a).0, 1440);
    assert_eq!(png_size(&b).0, 1440);
    if chromium {
        assert!(out.contains("Chromium, 1440 x "), "{out}");
        assert_ne!(a, b, "the toast and cart count show after the add to cart");
    } else {
        assert!(out.contains("placeholder"), "{out}");
    }
    // Nothing is attached to the library.
    assert_eq!(
        env.json(&["screenshot", "list", "--json"]),
        serde_json::json!([])
    );
    // Without --out: `<session>-<mm>m<ss>s.png` in the current folder.
    let cwd = env.path("here");
    std::fs::create_dir_all(&cwd).unwrap();
    let default = Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .args(["snapshot", "convert-desktop", "--at", "62", "--no-chromium"])
        .env("SESSIONLENS_LIBRARY", env.library())
        .current_dir(&cwd)
        .output()
        .unwrap();
    assert!(default.status.success(), "{default:?}");
    let written = std::fs::read(cwd.join("convert-desktop-01m02s.png")).unwrap();
    assert_eq!(png_size(&written).0, 1440);
    // Bad moments and combinations are usage errors naming the problem.
    let late = env.run(&["snapshot", "convert-desktop", "--at", "99:00"]);
    assert_eq!(late.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&late.stderr).contains("after the end"));
    let both = env.run(&["snapshot", "--all", "--at", "00:10"]);
    assert_eq!(both.status.code(), Some(2));
    // The help says plainly that fetching contacts the site.
    let help = env.ok(&["snapshot", "--help"]);
    assert!(help.contains("CONTACTS THE SITE"), "{help}");

    if !chromium {
        eprintln!("Chromium not installed: the rendering half of this test is skipped");
        return;
    }
    // --assets: the shop's own files served by path from a local folder: its images render.
    let with_assets = env.path("assets.png");
    let out = at(
        "00:13",
        &with_assets,
        &["--assets", str(&root.join("tools/demo-shop/site"))],
    );
    let served: usize = out
        .split(" files from ")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        served >= 3,
        "the product images and styles were served: {out}"
    );
    assert_ne!(std::fs::read(&with_assets).unwrap(), a, "images now show");
}

#[test]
fn snapshot_fetches_from_the_site_only_when_asked() {
    if !chromium_wanted() {
        eprintln!("Chromium not installed: skipped");
        return;
    }
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let env = Env::new();
    // A page whose own origin is a loopback listener that counts connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let origin = format!("http://127.0.0.1:{port}");
    let recording = serde_json::json!([
        {"type": 4, "timestamp": 1_000, "data": {"href": format!("{origin}/"), "width": 800, "height": 600}},
        {"type": 2, "timestamp": 1_001, "data": {"node": {"type": 0, "id": 1, "childNodes": [
            {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 4, "tagName": "img", "attributes": {"src": format!("{origin}/pixel.png")}, "childNodes": []}
                ]}
            ]}
        ]}}},
        {"type": 3, "timestamp": 3_000, "data": {"source": 1, "positions": [{"x": 5, "y": 5, "id": 3, "timeOffset": 0}]}}
    ]);
    let file = env.path("own-origin.json");
    std::fs::write(&file, serde_json::to_vec(&recording).unwrap()).unwrap();
    env.ok(&["import", str(&file)]);
    let connections = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let count_during = |args: &[&str]| {
        connections.store(0, Ordering::Relaxed);
        done.store(false, Ordering::Relaxed);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    if let Ok((mut stream, _)) = listener.accept() {
                        connections.fetch_add(1, Ordering::Relaxed);
                        use std::io::Write as _;
                        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            });
            env.ok(args);
            done.store(true, Ordering::Relaxed);
        });
        connections.load(Ordering::Relaxed)
    };
    let out = env.path("x.png");
    let base = [
        "snapshot",
        "own-origin",
        "--at",
        "00:01",
        "--out",
        str(&out),
    ];
    assert_eq!(count_during(&base), 0, "no request without --fetch-assets");
    let mut fetch = base.to_vec();
    fetch.push("--fetch-assets");
    assert!(
        count_during(&fetch) > 0,
        "--fetch-assets loads from the page's origin"
    );
}
