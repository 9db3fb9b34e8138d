//! `sessionlens heatmap` end to end: the built binary on the sample sessions, with the demo
//! shop's screenshots attached, in a temporary library.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// A library holding `sample_sessions/`, 150 simulated visitors and every demo shop
    /// screenshot.
    fn with_samples() -> Self {
        let env = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let samples = root().join("sample_sessions");
        env.ok(&["import", samples.to_str().unwrap()]);
        env.ok(&["demo", "generate", "--sessions", "150", "--into-library"]);
        let pages: Value = serde_json::from_slice(
            &std::fs::read(root().join("assets/demo-shop/pages.json")).unwrap(),
        )
        .unwrap();
        for page in pages["pages"].as_array().unwrap() {
            let png = root()
                .join("assets/demo-shop")
                .join(page["screenshot"].as_str().unwrap());
            env.ok(&[
                "screenshot",
                "add",
                "--url",
                page["url"].as_str().unwrap(),
                "--width",
                &page["layout_width"].to_string(),
                png.to_str().unwrap(),
            ]);
        }
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sessionlens"))
            .args(args)
            .env("SESSIONLENS_LIBRARY", self.path("library.sqlite"))
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
}

/// Width and height of a PNG, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn click_maps_of_the_sample_pages() {
    let env = Env::with_samples();
    let out = env.path("home.png");
    let j = env.json(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--kind",
        "click",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(j["page"], "http://shop.test/");
    assert_eq!(j["kind"], "click");
    assert_eq!(j["width"], 1440);
    assert_eq!(j["viewport_widths"], serde_json::json!([1296, 1584]));
    let sessions = j["sessions"].as_u64().unwrap();
    let points = j["points"].as_u64().unwrap();
    assert!(sessions >= 10 && points >= 10, "{j}");
    assert!(j["page_views"].as_u64().unwrap() >= sessions);
    let hotspots = j["hotspots"].as_array().unwrap();
    assert!(!hotspots.is_empty());
    let counts: Vec<f64> = hotspots
        .iter()
        .map(|h| h["count"].as_f64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "hottest first: {counts:?}"
    );
    assert!(hotspots[0]["target"].is_string(), "{}", hotspots[0]);
    let x = hotspots[0]["x"].as_f64().unwrap();
    assert!((0.0..1440.0).contains(&x));
    // The 1440 px screenshot is 2986 px tall; the legend strip adds 72 px.
    assert_eq!(png_size(&out), (1440, 2986 + 72));

    // Only the sessions that added something to the cart (a micro-conversion).
    let carts = env.json(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--kind",
        "click",
        "--has-event",
        "add_to_cart",
        "--out",
        env.path("home-cart.png").to_str().unwrap(),
        "--json",
    ]);
    let with_cart = carts["sessions"].as_u64().unwrap();
    assert!(
        with_cart > 0 && with_cart < sessions,
        "{with_cart} of {sessions}"
    );
    // Compare mode: converted against not converted, side by side and as a difference.
    let side = env.path("home-compare.png");
    let c = env.json(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--compare",
        "converted",
        "--out",
        side.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(c["layout"], "side-by-side");
    assert_eq!(c["a"]["label"], "converted");
    assert_eq!(c["b"]["label"], "not converted");
    let (a, b) = (
        c["a"]["map"]["sessions"].as_u64().unwrap(),
        c["b"]["map"]["sessions"].as_u64().unwrap(),
    );
    assert_eq!(a + b, sessions, "converted and not add up to all");
    // Each cell is tested; the cells said to differ carry both shares and an interval.
    let tests = &c["cell_tests"];
    assert_eq!(tests["correction"], "Benjamini-Hochberg");
    assert!(tests["tested"].as_u64().unwrap() > 0);
    for cell in tests["cells"].as_array().unwrap() {
        let (lo, hi) = (
            cell["interval95"][0].as_f64().unwrap(),
            cell["interval95"][1].as_f64().unwrap(),
        );
        let d = cell["difference"].as_f64().unwrap();
        assert!(lo <= d && d <= hi, "{cell}");
        assert!(cell["p_value"].as_f64().unwrap() <= 0.05, "{cell}");
    }
    assert_eq!(png_size(&side), (2 * 1440 + 16, 2986 + 72));
    let diff = env.path("home-difference.png");
    env.ok(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--compare",
        "before:2026-11-10",
        "--compare-layout",
        "difference",
        "--out",
        diff.to_str().unwrap(),
    ]);
    // The legend has one more line than a single map's: the cell test and how many differ.
    assert_eq!(png_size(&diff), (1440, 2986 + 91));
    let bad = env.run(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--compare",
        "mobile",
        "--out",
        env.path("x.png").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected converted, before:YYYY-MM-DD"));

    let listed = env.ok(&[
        "list",
        "--has-event",
        "add_to_cart",
        "--json",
        "--limit",
        "5000",
    ]);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert!(listed.as_array().unwrap().len() as u64 >= with_cart);

    // Mobile sessions over the 390 px screenshot, unique count, another colormap.
    let mobile = env.path("home-mobile.png");
    let m = env.json(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--device",
        "mobile",
        "--count",
        "unique",
        "--colormap",
        "viridis",
        "--radius",
        "15",
        "--opacity",
        "0.6",
        "--out",
        mobile.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(m["width"], 390);
    assert!(m["viewport_widths"].is_null());
    assert_eq!(m["unit"], "sessions");
    assert!(m["sessions"].as_u64().unwrap() >= 5, "{m}");
    assert_eq!(png_size(&mobile).0, 390);

    // A template map over every product page.
    let product = env.path("product.png");
    let p = env.json(&[
        "heatmap",
        "--page",
        "/product/*",
        "--width",
        "1440",
        "--out",
        product.to_str().unwrap(),
        "--json",
    ]);
    assert!(p["screenshot_url"].as_str().unwrap().contains("/product/"));
    assert!(p["points"].as_u64().unwrap() > 0);
}

#[test]
fn every_kind_exports_and_scroll_reach_falls_with_depth() {
    let env = Env::with_samples();
    for kind in ["click", "move", "rage", "dead", "scroll", "attention"] {
        let out = env.path(&format!("{kind}.png"));
        let j = env.json(&[
            "heatmap",
            "--page",
            "http://shop.test/",
            "--kind",
            kind,
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(j["kind"], kind);
        assert!(out.exists(), "{kind}");
        let reach = j["scroll_reach"].as_array().unwrap();
        assert_eq!(reach[0]["share"], 1.0);
        assert_eq!(reach[1]["depth_px"], 10);
        let shares: Vec<f64> = reach.iter().map(|b| b["share"].as_f64().unwrap()).collect();
        assert!(
            shares.windows(2).all(|w| w[0] >= w[1]),
            "{kind}: reach never rises"
        );
        let fold = j["average_fold_px"].as_f64().unwrap();
        assert!((600.0..1000.0).contains(&fold), "{kind}: fold {fold}");
        if kind == "move" {
            assert_eq!(j["unit"], "seconds");
            assert!(j["points"].as_u64().unwrap() > 100);
        }
        if kind == "attention" {
            let secs = j["attention_secs"].as_array().unwrap();
            assert!(secs[0].as_f64().unwrap() > 0.0);
        }
    }
}

#[test]
fn missing_screenshots_and_bad_arguments_are_clear_errors() {
    let env = Env::with_samples();
    let out = env.path("x.png");
    let no_page = env.run(&[
        "heatmap",
        "--page",
        "http://shop.test/nowhere.html",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(no_page.status.code(), Some(2));
    let err = String::from_utf8_lossy(&no_page.stderr);
    assert!(
        err.contains("no screenshot for http://shop.test/nowhere.html"),
        "{err}"
    );
    assert!(err.contains("sessionlens screenshot add"), "{err}");

    let no_width = env.run(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--width",
        "800",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(no_width.status.code(), Some(2));
    let err = String::from_utf8_lossy(&no_width.stderr);
    assert!(err.contains("at width 800 px"), "{err}");
    assert!(err.contains("http://shop.test/ at 390 px"), "{err}");
    assert!(err.contains("--width 800"), "{err}");

    let opacity = env.run(&[
        "heatmap",
        "--page",
        "http://shop.test/",
        "--opacity",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(opacity.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&opacity.stderr).contains("--opacity"));
    assert!(!out.exists());
}

#[test]
fn all_pages_batch_export() {
    let env = Env::with_samples();
    let dir = env.path("maps");
    let out = env.ok(&[
        "heatmap",
        "--all-pages",
        "--device",
        "desktop",
        "--out",
        dir.to_str().unwrap(),
        "--json",
    ]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 5, "{out}");
    assert!(lines.iter().all(|l| l["width"] == 1440));
    let home = dir.join("home-1440-click.png");
    assert_eq!(png_size(&home).0, 1440);
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, lines.len());
}
