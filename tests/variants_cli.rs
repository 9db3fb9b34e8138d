//! Page variants from the built binary, on a real A/B test recorded on the demo shop with rrweb
//! (`tests/fixtures/abtest/`: 12 visits of the product page `trail-runner.html`, 6 per variant,
//! assigned by `?exp=A|B`, announced by an `experiment` custom event, with per-visit random ids,
//! counters and list lengths). Every source splits the page views as the recorded truth says;
//! maps, element maps and comparisons narrowed to a variant agree with it.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{ok, repo, run};

const PAGE: &str = "http://shop.test/product/trail-runner.html*";

fn fixtures_dir() -> PathBuf {
    repo().join("tests/fixtures/abtest")
}

/// The recorded truth: per visit its variant, conversion, clicks on the product page and
/// whether it added to cart.
struct Truth {
    visits: Vec<Value>,
}

impl Truth {
    fn load() -> Self {
        let truth: Value =
            serde_json::from_slice(&std::fs::read(fixtures_dir().join("truth.json")).unwrap())
                .unwrap();
        let visits = truth["recordings"].as_array().unwrap().clone();
        assert_eq!(visits.len(), 12);
        Self { visits }
    }

    fn of(&self, variant: &str) -> impl Iterator<Item = &Value> {
        self.visits
            .iter()
            .filter(move |v| v["variant"].as_str() == Some(variant))
    }

    fn count(&self, variant: &str, field: &str) -> u64 {
        self.of(variant)
            .filter(|v| v[field].as_bool() == Some(true))
            .count() as u64
    }

    fn clicks(&self, variant: &str) -> u64 {
        self.of(variant)
            .map(|v| v["product_page_clicks"].as_u64().unwrap())
            .sum()
    }
}

/// A library with the 12 recordings imported.
fn library(dir: &Path) -> PathBuf {
    let library = dir.join("library.sqlite");
    let truth = Truth::load();
    let files: Vec<String> = truth
        .visits
        .iter()
        .map(|v| {
            fixtures_dir()
                .join(v["file"].as_str().unwrap())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    ok(&library, &args);
    library
}

fn json(library: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(library, args)).unwrap()
}

/// The rows of `variants --json`, by variant.
fn rows(library: &Path, source: &str) -> BTreeMap<String, Value> {
    let table = json(
        library,
        &[
            "variants",
            "--page",
            PAGE,
            "--variant-from",
            source,
            "--json",
        ],
    );
    table["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["variant"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn every_source_splits_the_recorded_ab_test_as_the_truth_says() {
    let dir = tempfile::tempdir().unwrap();
    let library = library(dir.path());
    let truth = Truth::load();
    // The parameter and the experiment event (by its event name or its experiment) name the
    // variants A and B.
    for source in ["param:exp", "event:experiment", "event:pdp-layout"] {
        let rows = rows(&library, source);
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            ["A", "B"],
            "{source}: {rows:?}"
        );
        for variant in ["A", "B"] {
            let row = &rows[variant];
            let visits = truth.of(variant).count() as u64;
            assert_eq!(row["page_views"], visits, "{source} {variant}");
            assert_eq!(row["sessions"], visits, "{source} {variant}");
            assert_eq!(
                row["converted_sessions"],
                truth.count(variant, "converted"),
                "{source} {variant}"
            );
            let clicks = row["clicks_per_view"].as_f64().unwrap() * visits as f64;
            assert!(
                (clicks - truth.clicks(variant) as f64).abs() < 1e-6,
                "{source} {variant}: {clicks} clicks, truth {}",
                truth.clicks(variant)
            );
        }
        // A is the control; B is tested against it.
        assert!(rows["A"]["versus_control"].is_null());
        let test = &rows["B"]["versus_control"];
        let expected =
            (truth.count("B", "converted") as f64 - truth.count("A", "converted") as f64) / 6.0;
        assert!((test["difference"].as_f64().unwrap() - expected).abs() < 1e-9);
        let p = test["p_value"].as_f64().unwrap();
        assert!(p > 0.0 && p <= 1.0);
    }
    // The DOM signature finds the same two groups without being told: per-visit random ids,
    // counters and lists of 2 to 4 items do not split a variant.
    let dom = rows(&library, "dom");
    assert_eq!(dom.len(), 2, "{dom:?}");
    let mut by_conversion: Vec<(u64, u64, f64)> = dom
        .values()
        .map(|r| {
            (
                r["converted_sessions"].as_u64().unwrap(),
                r["page_views"].as_u64().unwrap(),
                r["clicks_per_view"].as_f64().unwrap(),
            )
        })
        .collect();
    by_conversion.sort_by_key(|r| r.0);
    let arms: Vec<(u64, u64)> = ["A", "B"]
        .into_iter()
        .map(|v| (truth.count(v, "converted"), truth.of(v).count() as u64))
        .collect();
    let mut expected = arms.clone();
    expected.sort_unstable();
    assert_eq!(
        by_conversion.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        expected
    );
    assert!(dom.keys().all(|k| k.starts_with("dom-") && k.len() == 12));
    // Pages outside the experiment are one structure each (the cart's item count, the
    // checkout's hidden error messages do not split them).
    for page in [
        "http://shop.test/",
        "http://shop.test/cart.html",
        "http://shop.test/checkout.html",
    ] {
        let table = json(&library, &["variants", "--page", page, "--json"]);
        assert_eq!(table["variants"].as_array().unwrap().len(), 1, "{page}");
    }
    // CSV: a header and one line per variant.
    let csv = ok(
        &library,
        &[
            "variants",
            "--page",
            PAGE,
            "--variant-from",
            "param:exp",
            "--csv",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("variant,page_views,"));
    assert_eq!(lines.len(), 3);
}

#[test]
fn one_variant_narrows_maps_and_element_maps_and_two_compare() {
    let dir = tempfile::tempdir().unwrap();
    let library = library(dir.path());
    let truth = Truth::load();
    let shot = fixtures_dir().join("screenshots/product-trail-runner-A-1440.png");
    ok(
        &library,
        &[
            "screenshot",
            "add",
            "--url",
            "http://shop.test/product/trail-runner.html?exp=A",
            "--width",
            "1440",
            shot.to_str().unwrap(),
        ],
    );
    let out = dir.path().join("map.png");
    let map = |variant: &str| {
        json(
            &library,
            &[
                "heatmap",
                "--page",
                PAGE,
                "--variant-from",
                "event:experiment",
                "--variant",
                variant,
                "--out",
                out.to_str().unwrap(),
                "--json",
            ],
        )
    };
    let (a, b) = (map("A"), map("B"));
    for (variant, m) in [("A", &a), ("B", &b)] {
        assert_eq!(m["page_views"], 6, "{variant}");
        assert_eq!(m["points"], truth.clicks(variant), "{variant}");
        assert_eq!(m["variant"]["variant"], variant);
    }
    // "Add to cart" moved from the right column (A) into the panel above the gallery (B).
    let add_to_cart_y = |m: &Value| {
        m["hotspots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["target"].as_str().unwrap_or("").contains("#add-to-cart"))
            .map(|h| h["y"].as_f64().unwrap())
            .unwrap()
    };
    assert!(add_to_cart_y(&a) > 600.0, "{a}");
    assert!(add_to_cart_y(&b) < 400.0, "{b}");
    // Element maps per variant: the sessions that clicked "Add to cart" are those the truth
    // says added to cart, under the same selector in both layouts.
    for variant in ["A", "B"] {
        let elements = json(
            &library,
            &[
                "elements",
                "--page",
                PAGE,
                "--variant-from",
                "param:exp",
                "--variant",
                variant,
                "--json",
            ],
        );
        assert_eq!(elements["map"]["page_views"], 6);
        let add = elements["map"]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["selector"] == "#add-to-cart")
            .unwrap()
            .clone();
        assert_eq!(
            add["sessions"],
            truth.count(variant, "added_to_cart"),
            "{variant}"
        );
    }
    // Two variants compared: the page views are split, not the sessions.
    let cmp = json(
        &library,
        &[
            "heatmap",
            "--page",
            PAGE,
            "--compare",
            "variant:param:exp=A,B",
            "--compare-layout",
            "difference",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(cmp["a"]["map"]["page_views"], 6);
    assert_eq!(cmp["b"]["map"]["page_views"], 6);
    assert_eq!(cmp["a"]["label"], "variant A");
    assert_eq!(cmp["cell_tests"]["overlap"], 0);
    let elements = json(
        &library,
        &[
            "elements",
            "--page",
            PAGE,
            "--compare",
            "variant:event:experiment=A,B",
            "--json",
        ],
    );
    assert_eq!(elements["comparison"]["page_views_a"], 6);
    assert_eq!(elements["comparison"]["page_views_b"], 6);
    // A variant nobody saw is an empty map, not an error; bad sources are clear errors.
    assert_eq!(map("C")["page_views"], 0);
    for (args, expected) in [
        (
            vec!["variants", "--page", PAGE, "--variant-from", "cookie:x"],
            "expected dom, event:NAME",
        ),
        (
            vec!["variants", "--variant-from", "dom"],
            "--page is required",
        ),
        (
            vec![
                "heatmap",
                "--page",
                PAGE,
                "--compare",
                "variant:dom=A",
                "--out",
                out.to_str().unwrap(),
            ],
            "variant:SOURCE=A,B",
        ),
        (
            vec!["variants", "--page", "http://shop.test/nowhere.html"],
            "no page view of http://shop.test/nowhere.html",
        ),
    ] {
        let output = run(&library, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// True when the screenshot test must render with Chromium (CI installs it), or may because
/// it is installed here.
fn chromium_wanted() -> bool {
    std::env::var_os("SESSIONLENS_REQUIRE_CHROMIUM").is_some()
        || sessionlens::render::chromium::Chromium::find().is_ok()
}

#[test]
fn each_variant_gets_its_own_screenshot_and_is_drawn_over_it() {
    if !chromium_wanted() {
        eprintln!("skipped: no Chromium here (CI sets SESSIONLENS_REQUIRE_CHROMIUM)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let library = library(dir.path());
    let shots = dir.path().join("shots");
    let site = repo().join("tools/demo-shop/site");
    let table = json(
        &library,
        &[
            "variants",
            "--page",
            PAGE,
            "--variant-from",
            "param:exp",
            "--screenshots",
            "--screenshots-dir",
            shots.to_str().unwrap(),
            "--assets",
            site.to_str().unwrap(),
            "--json",
        ],
    );
    let mut sizes = Vec::new();
    for row in table["variants"].as_array().unwrap() {
        let variant = row["variant"].as_str().unwrap();
        assert_eq!(row["screenshot"]["layout_width"], 1440);
        let png = std::fs::read(shots.join(format!("{variant}.png"))).unwrap();
        let image = image::load_from_memory(&png).unwrap();
        assert_eq!(image.width(), 1440);
        sizes.push(image.height());
    }
    assert_eq!(sizes.len(), 2);
    let out = dir.path().join("b.png");
    let map = json(
        &library,
        &[
            "heatmap",
            "--page",
            PAGE,
            "--variant-from",
            "param:exp",
            "--variant",
            "B",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        map["screenshot_url"],
        format!("variant:param:exp=B@{}", PAGE.trim_end_matches('#'))
    );
    // Compared side by side, each variant is drawn over its own page.
    let cmp = json(
        &library,
        &[
            "heatmap",
            "--page",
            PAGE,
            "--compare",
            "variant:param:exp=A,B",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(
        cmp["a"]["map"]["screenshot_url"],
        format!("variant:param:exp=A@{PAGE}")
    );
    assert_eq!(
        cmp["b"]["map"]["screenshot_url"],
        format!("variant:param:exp=B@{PAGE}")
    );
}
