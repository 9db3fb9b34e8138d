//! `sessionlens elements` from the built binary: the element map agrees with the hotspot list
//! on the real rrweb recordings (tests/fixtures/rrweb), and with the click heatmap's hottest
//! spots on the sample library; PNG, CSV and compare mode.
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
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
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

    /// Every recording of tests/fixtures/rrweb (not the truth files).
    fn with_fixtures() -> Self {
        let env = Self::new();
        let dir = root().join("tests/fixtures/rrweb");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.ends_with(".json") && !name.ends_with(".truth.json")
            })
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut args = vec!["import"];
        args.extend(files.iter().map(String::as_str));
        env.ok(&args);
        env
    }

    /// `sample_sessions/`, 150 simulated visitors and every demo shop screenshot.
    fn with_samples() -> Self {
        let env = Self::new();
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
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}

#[test]
fn element_map_agrees_with_the_hotspot_list_on_real_recordings() {
    let env = Env::with_fixtures();
    let hotspots = json_lines(&env.ok(&[
        "hotspots",
        "--json",
        "--kind",
        "rage_click",
        "--kind",
        "dead_click",
        "--kind",
        "error_click",
    ]));
    let on_elements: Vec<&Value> = hotspots
        .iter()
        .filter(|h| h["element"].as_str().is_some_and(|e| !e.is_empty()))
        .collect();
    assert!(
        on_elements.len() >= 3,
        "rage, dead and error hotspots on elements: {hotspots:?}"
    );
    let mut pages: Vec<&str> = on_elements
        .iter()
        .map(|h| h["page_url"].as_str().unwrap())
        .collect();
    pages.sort_unstable();
    pages.dedup();
    for page in pages {
        let out = env.json(&["elements", "--page", page, "--json"]);
        let map = &out["map"];
        let elements = map["elements"].as_array().unwrap();
        assert!(!elements.is_empty(), "{page}");
        for h in on_elements.iter().filter(|h| h["page_url"] == page) {
            let selector = h["element"].as_str().unwrap();
            let e = elements
                .iter()
                .find(|e| e["selector"] == selector)
                .unwrap_or_else(|| panic!("{selector} of {page} is not in the element map"));
            let field = match h["kind"].as_str().unwrap() {
                "rage_click" => "rage",
                "dead_click" => "dead",
                _ => "error",
            };
            assert_eq!(
                e[field], h["occurrences"],
                "{field} of {selector} on {page}: element map {e}, hotspot {h}"
            );
            // Every session with a signal on it clicked it.
            assert!(
                e["sessions"].as_u64().unwrap() >= h["sessions_affected"].as_u64().unwrap(),
                "{e} {h}"
            );
        }
        // Ranked by clicks; counts add up.
        let clicks: Vec<u64> = elements
            .iter()
            .map(|e| e["clicks"].as_u64().unwrap())
            .collect();
        assert!(clicks.windows(2).all(|w| w[0] >= w[1]), "{clicks:?}");
        assert_eq!(clicks.iter().sum::<u64>(), map["clicks"].as_u64().unwrap());
    }
    // The planted ground truth: three dead clicks on the product image (two desktop, one
    // mobile), the promo bar's rage click, the coupon's error clicks.
    let product = env.json(&[
        "elements",
        "--page",
        "http://shop.test/product/trail-runner.html",
        "--by",
        "dead",
        "--json",
    ]);
    let first = &product["map"]["elements"][0];
    assert_eq!(first["selector"], "#main-image");
    assert_eq!(first["dead"], 3);
    assert_eq!(first["sessions"], 2);
    let home = env.json(&[
        "elements",
        "--page",
        "http://shop.test/",
        "--by",
        "rage",
        "--json",
    ]);
    assert_eq!(
        home["map"]["elements"][0]["selector"],
        "#promo-bar > span.promo-text > u"
    );
    assert_eq!(home["map"]["measure"], "rage");
    // Conversion: the page's sessions that converted (convert-desktop and convert-mobile).
    let conv = env.json(&[
        "elements",
        "--page",
        "http://shop.test/",
        "--by",
        "conversion",
        "--json",
    ]);
    let rate = |e: &Value| e["conversion_rate"].as_f64().unwrap();
    let rates: Vec<f64> = conv["map"]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(rate)
        .collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");
    assert!(conv["map"]["converted_sessions"].as_u64().unwrap() >= 1);
}

#[test]
fn elements_draw_list_and_compare_on_the_sample_library() {
    let env = Env::with_samples();
    let page = "http://shop.test/";
    let png = env.path("home-elements.png");
    let out = env.json(&[
        "elements",
        "--page",
        page,
        "--width",
        "1440",
        "--json",
        "--png",
        png.to_str().unwrap(),
    ]);
    assert_eq!(out["layout_width"], 1440);
    let elements = out["map"]["elements"].as_array().unwrap();
    assert!(elements.len() >= 5, "{out}");
    let (w, h) = png_size(&std::fs::read(&png).unwrap());
    assert!(w >= 1440 && h > 900, "{w} x {h}");

    // The click heatmap's hottest spots sit on elements of the map, inside their boxes.
    let heat = env.json(&[
        "heatmap",
        "--page",
        page,
        "--width",
        "1440",
        "--json",
        "--out",
        env.path("heat.png").to_str().unwrap(),
    ]);
    let mut checked = 0;
    for spot in heat["hotspots"].as_array().unwrap().iter().take(3) {
        let Some(target) = spot["target"].as_str() else {
            continue;
        };
        let selector = target.split(" \"").next().unwrap();
        let e = elements
            .iter()
            .find(|e| e["selector"] == selector)
            .unwrap_or_else(|| panic!("hotspot element {selector} is not in the map"));
        let b = &e["box"];
        let (x, y) = (spot["x"].as_f64().unwrap(), spot["y"].as_f64().unwrap());
        let near = 24.0;
        assert!(
            b["left_px"].as_f64().unwrap() - near <= x
                && x <= b["right_px"].as_f64().unwrap() + near
                && b["top_px"].as_f64().unwrap() - near <= y
                && y <= b["bottom_px"].as_f64().unwrap() + near,
            "hotspot {spot} outside the box of {e}"
        );
        checked += 1;
    }
    assert!(checked >= 1, "{heat}");

    // CSV: the header and one row per element.
    let csv = env.ok(&["elements", "--page", page, "--csv"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("rank,selector,label,clicks")
    );
    assert!(lines.count() >= elements.len());
    // Text.
    assert!(
        env.ok(&["elements", "--page", page, "--limit", "5"])
            .contains("rank")
    );

    // Compare: converted against not, per element, tested.
    let cmp_png = env.path("home-compare.png");
    let cmp = env.json(&[
        "elements",
        "--page",
        page,
        "--compare",
        "converted",
        "--json",
        "--png",
        cmp_png.to_str().unwrap(),
    ]);
    let c = &cmp["comparison"];
    assert_eq!(c["label_a"], "converted");
    assert!(c["page_views_a"].as_u64().unwrap() > 0 && c["page_views_b"].as_u64().unwrap() > 0);
    let rows = c["elements"].as_array().unwrap();
    assert!(!rows.is_empty());
    let significant = rows.iter().filter(|r| r["significant"] == true).count();
    assert_eq!(cmp["significant"].as_u64().unwrap() as usize, significant);
    for r in rows {
        let p = r["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r}");
        let d = r["difference"].as_f64().unwrap();
        let lo = r["interval95"][0].as_f64().unwrap();
        let hi = r["interval95"][1].as_f64().unwrap();
        assert!(lo <= d + 1e-9 && d <= hi + 1e-9, "{r}");
    }
    assert!(png_size(&std::fs::read(&cmp_png).unwrap()).0 >= 1440);
    let text = env.ok(&["elements", "--page", page, "--compare", "converted"]);
    assert!(text.contains("Benjamini"), "{text}");

    // The same test for the heatmap comparison's hotspots and scroll bands.
    let heat_cmp = env.json(&[
        "heatmap",
        "--page",
        page,
        "--compare",
        "converted",
        "--json",
        "--out",
        env.path("heat-compare.png").to_str().unwrap(),
    ]);
    let spots = heat_cmp["hotspot_tests"]["places"].as_array().unwrap();
    let listed = heat_cmp["a"]["map"]["hotspots"].as_array().unwrap().len()
        + heat_cmp["b"]["map"]["hotspots"].as_array().unwrap().len();
    assert_eq!(spots.len(), listed);
    assert!(heat_cmp["scroll_band_tests"].is_null());
    let reach_cmp = env.json(&[
        "heatmap",
        "--page",
        page,
        "--kind",
        "scroll",
        "--compare",
        "converted",
        "--json",
        "--out",
        env.path("reach-compare.png").to_str().unwrap(),
    ]);
    let bands = reach_cmp["scroll_band_tests"]["places"].as_array().unwrap();
    assert!(bands.len() >= 9, "{}", reach_cmp["scroll_band_tests"]);
    assert_eq!(bands[0]["depth_px"], 100.0);
    // Every page view reaches the first 100 px.
    assert_eq!(bands[0]["share_a"], 1.0);
    assert_eq!(bands[0]["significant"], false);
    let depths: Vec<f64> = bands
        .iter()
        .map(|b| b["depth_px"].as_f64().unwrap())
        .collect();
    assert!(depths.windows(2).all(|w| w[1] - w[0] == 100.0));

    // Errors: no page, a bad preset.
    let out = env.run(&["elements", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--page"));
    let out = env.run(&["elements", "--page", page, "--compare", "sideways"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--compare"));
}
