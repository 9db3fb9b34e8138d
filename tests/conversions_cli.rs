//! KPIs and funnels from the built binary, checked against an independent count straight from
//! the session files (not from the library), and retroactive element definitions checked
//! against the clicks recorded in the rrweb fixtures' ground truth.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
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

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sessionlens"))
            .args(args)
            .env(
                "SESSIONLENS_LIBRARY",
                self.dir.path().join("library.sqlite"),
            )
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

/// One session file read on its own: device and the custom events in time order.
struct Raw {
    device: String,
    customs: Vec<(i64, String, Option<f64>)>,
}

fn read_raw(dir: &Path) -> Vec<Raw> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let v: Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let mut customs: Vec<(i64, String, Option<f64>)> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e[1] == "x")
            .map(|e| {
                (
                    e[0].as_i64().unwrap(),
                    e[2].as_str().unwrap().to_owned(),
                    e[3].as_f64(),
                )
            })
            .collect();
        customs.sort_by_key(|c| c.0);
        out.push(Raw {
            device: v["device"].as_str().unwrap().to_owned(),
            customs,
        });
    }
    out
}

fn did(r: &Raw, name: &str) -> bool {
    r.customs.iter().any(|c| c.1 == name)
}

/// Sessions reaching each step in order, counted from the raw custom events.
fn raw_funnel(raws: &[&Raw], steps: &[&str]) -> Vec<usize> {
    let mut reached = vec![0; steps.len()];
    for r in raws {
        let mut after = i64::MIN;
        for (k, step) in steps.iter().enumerate() {
            match r.customs.iter().find(|c| c.1 == *step && c.0 >= after) {
                Some(c) => {
                    reached[k] += 1;
                    after = c.0;
                }
                None => break,
            }
        }
    }
    reached
}

#[test]
fn kpis_and_funnel_agree_with_an_independent_count_over_the_files() {
    let env = Env::new();
    let files = env.dir.path().join("sessions");
    env.ok(&[
        "demo",
        "generate",
        "--sessions",
        "600",
        "--seed",
        "11",
        "--out",
        files.to_str().unwrap(),
    ]);
    env.ok(&["import", files.to_str().unwrap()]);
    let raws = read_raw(&files);
    let all: Vec<&Raw> = raws.iter().collect();

    let k = env.json(&["kpis", "--by", "device", "--json"]);
    let purchases = raws.iter().filter(|r| did(r, "purchase")).count();
    let checkouts: Vec<&Raw> = raws.iter().filter(|r| did(r, "begin_checkout")).collect();
    let completed = checkouts.iter().filter(|r| did(r, "purchase")).count();
    let revenue: f64 = raws
        .iter()
        .flat_map(|r| &r.customs)
        .filter(|c| c.1 == "purchase")
        .filter_map(|c| c.2)
        .sum();
    assert_eq!(k["all"]["sessions"], 600);
    assert_eq!(k["all"]["purchases"].as_u64().unwrap() as usize, purchases);
    assert_eq!(
        k["all"]["add_to_cart"].as_u64().unwrap() as usize,
        raws.iter().filter(|r| did(r, "add_to_cart")).count()
    );
    assert_eq!(
        k["all"]["checkouts_started"].as_u64().unwrap() as usize,
        checkouts.len()
    );
    assert_eq!(
        k["all"]["checkouts_completed"].as_u64().unwrap() as usize,
        completed
    );
    assert!((k["all"]["revenue"].as_f64().unwrap() - revenue).abs() < 1e-6);
    let rate = k["all"]["cart_abandonment_rate"].as_f64().unwrap();
    let expected = (checkouts.len() - completed) as f64 / checkouts.len() as f64;
    assert!((rate - expected).abs() < 1e-12);
    let mut by_device: BTreeMap<String, usize> = BTreeMap::new();
    for r in &raws {
        *by_device.entry(r.device.clone()).or_default() += 1;
    }
    for (device, n) in &by_device {
        assert_eq!(
            k["segments"][device]["sessions"].as_u64().unwrap() as usize,
            *n
        );
    }

    let steps = ["view_item", "add_to_cart", "begin_checkout", "purchase"];
    let mut args = vec!["funnel"];
    for s in &steps {
        args.extend(["--step", s]);
    }
    args.extend(["--by", "device", "--json"]);
    let f = env.json(&args);
    let counts: Vec<usize> = f["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessions"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(counts, raw_funnel(&all, &steps));
    let first = f["steps"][1]["conversion_from_previous"].as_f64().unwrap();
    assert!((first - counts[1] as f64 / counts[0] as f64).abs() < 1e-12);
    let mobile: Vec<&Raw> = raws.iter().filter(|r| r.device == "mobile").collect();
    let mobile_counts: Vec<usize> = f["segments"]["mobile"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessions"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(mobile_counts, raw_funnel(&mobile, &steps));
    // Droppers name their session and the step they stopped after.
    let d = &f["droppers"][0];
    assert!(d["session_id"].as_str().unwrap().starts_with("sim-"));
    assert!(steps.contains(&d["stopped_after"].as_str().unwrap()));

    let lift = env.json(&["lift", "--json"]);
    let newsletter = lift
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "newsletter_signup")
        .unwrap();
    let with = raws.iter().filter(|r| did(r, "newsletter_signup")).count();
    assert_eq!(newsletter["with"].as_u64().unwrap() as usize, with);
    assert_eq!(newsletter["without"].as_u64().unwrap() as usize, 600 - with);

    // A report folder: heatmaps of a page with a screenshot, a warning for one without.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let home = root.join("assets/demo-shop/screenshots/home-1440.png");
    env.ok(&[
        "screenshot",
        "add",
        "--url",
        "http://shop.test/",
        home.to_str().unwrap(),
    ]);
    let out = env.dir.path().join("report");
    let run = env.run(&[
        "report",
        "--page",
        "http://shop.test/",
        "--page",
        "/nowhere/*",
        "--device",
        "desktop",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "a page was left out");
    assert!(String::from_utf8_lossy(&run.stderr).contains("/nowhere/*: no screenshot"));
    for file in [
        "summary.md",
        "summary.html",
        "kpis.json",
        "funnel.png",
        "hotspots.csv",
        "heatmap-shop-test-1440-click.png",
        "heatmap-shop-test-1440-scroll.png",
        "heatmap-shop-test-1440-attention.png",
        "heatmap-shop-test-1440-rage.png",
        "heatmap-shop-test-1440-dead.png",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("Sessions: device desktop."),
        "the filter is stated"
    );
    let desktop = by_device["desktop"];
    assert!(
        md.contains(&format!("| all | Sessions | {desktop} |")),
        "{md}"
    );
    assert!(md.contains("![click map of http://shop.test/](heatmap-shop-test-1440-click.png)"));
    let html = std::fs::read_to_string(out.join("summary.html")).unwrap();
    assert!(html.contains("<img src=\"funnel.png\""));
    let kpis: Value =
        serde_json::from_slice(&std::fs::read(out.join("kpis.json")).unwrap()).unwrap();
    assert_eq!(kpis["all"]["sessions"].as_u64().unwrap() as usize, desktop);

    let unknown = env.run(&["funnel", "--step", "view_item", "--step", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no event named \"nope\""));
}

#[test]
fn element_definitions_match_the_clicks_recorded_in_the_rrweb_fixtures() {
    let env = Env::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    env.ok(&[
        "import",
        root.join("sample_sessions/rrweb").to_str().unwrap(),
    ]);
    // Ground truth: every click the recorder logged, with the element's id.
    let mut truth_promo = 0;
    let mut truth_add = 0;
    for entry in std::fs::read_dir(root.join("tests/fixtures/rrweb")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".truth.json") {
            continue;
        }
        let truth: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let text = truth.to_string();
        let clicks = truth["clicks"].as_array().cloned().unwrap_or_default();
        truth_promo += clicks
            .iter()
            .filter(|c| c.to_string().contains("promo-bar"))
            .count();
        truth_add += clicks
            .iter()
            .filter(|c| c.to_string().contains("add-to-cart"))
            .count();
        assert!(!text.is_empty());
    }
    assert!(
        truth_promo > 0 && truth_add > 0,
        "{truth_promo} {truth_add}"
    );
    let promo = env.ok(&["define-event", "promo_click", "--selector", "#promo-bar"]);
    assert!(
        promo.contains(&format!("{truth_promo} occurrences")),
        "{promo} vs {truth_promo}"
    );
    let add = env.ok(&["define-event", "add_click", "--selector", "#add-to-cart"]);
    assert!(
        add.contains(&format!("{truth_add} occurrences")),
        "{add} vs {truth_add}"
    );
    let by_text = env.ok(&["define-event", "add_text", "--text", "add to cart"]);
    assert!(
        by_text.contains(&format!("{truth_add} occurrences")),
        "{by_text}"
    );
    let defs = env.json(&["events-defs", "--json"]);
    assert!(
        defs.as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "promo_click")
    );
}

/// Copies the rrweb fixtures (recordings only) into `dir`; with `strip_purchases`, the custom
/// events that mark a purchase (`purchase`, `order_completed`, …) are removed first, so that
/// no recording sends one. Returns, per recording, whether its ground truth logged a click on
/// `#place-order`.
fn copy_fixtures(dir: &Path, strip_purchases: bool) -> BTreeMap<String, bool> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rrweb");
    std::fs::create_dir_all(dir).unwrap();
    let mut placed = BTreeMap::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".truth.json") {
            continue;
        }
        let mut events: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if strip_purchases {
            events.as_array_mut().unwrap().retain(|e| {
                !(e["type"] == 5
                    && [
                        "purchase",
                        "order_completed",
                        "checkout_completed",
                        "conversion",
                    ]
                    .contains(&e["data"]["tag"].as_str().unwrap_or("")))
            });
            assert!(
                !events.to_string().contains("\"tag\":\"purchase\""),
                "{name}"
            );
        }
        std::fs::write(dir.join(&name), events.to_string()).unwrap();
        let truth: Value = serde_json::from_slice(
            &std::fs::read(root.join(name.replace(".json", ".truth.json"))).unwrap(),
        )
        .unwrap();
        let clicked = truth["clicks"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c.to_string().contains("place-order")));
        placed.insert(name, clicked);
    }
    placed
}

fn lost_conversions(env: &Env) -> f64 {
    env.ok(&["hotspots", "--sort", "loss", "--json"])
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["estimated_lost_conversions"]
                .as_f64()
                .unwrap()
        })
        .sum()
}

#[test]
fn a_defined_purchase_converts_recordings_without_a_purchase_event() {
    let env = Env::new();
    let files = env.dir.path().join("recordings");
    let placed = copy_fixtures(&files, true);
    let expected = placed.values().filter(|p| **p).count();
    assert!(expected >= 2, "{placed:?}");
    env.ok(&["import", files.to_str().unwrap()]);
    // No purchase event anywhere: nothing converts.
    let k = env.json(&["kpis", "--json"]);
    assert_eq!(k["goal"], "purchase");
    assert_eq!(k["all"]["purchases"], 0);
    assert_eq!(k["all"]["sessions"], placed.len());
    assert!(
        env.json(&["list", "--converted", "yes", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(lost_conversions(&env).abs() < f64::EPSILON);

    let out = env.run(&["define-event", "purchase", "--selector", "#place-order"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{expected} sessions converted (recomputed)")),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recomputed the conversion of"),
        "progress on stderr"
    );

    // KPIs, the converted filter, hotspots' loss and lift all count the defined purchase.
    let k = env.json(&["kpis", "--json"]);
    assert_eq!(k["goal"], "purchase");
    assert_eq!(k["all"]["purchases"], expected);
    assert!(k["all"]["conversion_rate"].as_f64().unwrap() > 0.0);
    let text = env.ok(&["kpis"]);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("conversion goal: purchase (selector \"#place-order\")"),
        "{text}"
    );
    let rows = env.json(&["list", "--converted", "yes", "--json"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), expected);
    assert!(rows.iter().all(|r| r["conversion_goal"] == "purchase"));
    let listed = env.ok(&["list", "--converted", "yes"]);
    assert!(listed.starts_with("conversion goal: purchase"), "{listed}");
    assert!(lost_conversions(&env) > 0.0);
    let lift = env.json(&["lift", "--json"]);
    assert!(
        lift.as_array()
            .unwrap()
            .iter()
            .any(|r| r["conversion_with"].as_f64().unwrap_or(0.0) > 0.0),
        "{lift}"
    );
    assert!(
        lift.as_array()
            .unwrap()
            .iter()
            .all(|r| r["name"] != "purchase"),
        "the goal is not its own behaviour"
    );
    let goal = env.json(&["goal", "--json"]);
    assert_eq!(goal["converted"], expected);
    assert_eq!(goal["standard"], false);
    // `show` says what the library stores for the goal, not what the recording sent.
    let show = env.json(&["show", "convert-desktop", "--json"]);
    assert_eq!(show["converted"], true);
    assert!(
        env.ok(&["show", "convert-desktop"])
            .contains("converted yes")
    );
}

#[test]
fn a_selector_goal_gives_the_same_kpis_as_the_recorded_purchase_event() {
    let env = Env::new();
    let files = env.dir.path().join("recordings");
    copy_fixtures(&files, false);
    env.ok(&["import", files.to_str().unwrap()]);
    let recorded = env.json(&["kpis", "--by", "device", "--json"]);
    assert!(recorded["all"]["purchases"].as_u64().unwrap() > 0);
    assert!(recorded["all"]["revenue"].as_f64().unwrap() > 0.0);
    env.ok(&["define-event", "placed", "--selector", "#place-order"]);
    env.ok(&["goal", "set", "placed"]);
    let clicked = env.json(&["kpis", "--by", "device", "--json"]);
    assert_eq!(clicked["goal"], "placed");
    assert_eq!(clicked["all"], recorded["all"]);
    assert_eq!(clicked["segments"], recorded["segments"]);
}

#[test]
fn goal_set_shows_and_refuses_undefined_events() {
    let env = Env::new();
    let files = env.dir.path().join("recordings");
    copy_fixtures(&files, false);
    env.ok(&["import", files.to_str().unwrap()]);
    let text = env.ok(&["goal"]);
    assert!(
        text.starts_with("conversion goal: purchase (custom events purchase, order_completed"),
        "{text}"
    );
    let goal = env.json(&["goal", "--json"]);
    assert_eq!(goal["goal"], "purchase");
    assert_eq!(goal["standard"], true);
    assert_eq!(goal["definition"]["kind"], "custom");
    let converted = goal["converted"].as_u64().unwrap();
    assert!(converted > 0);
    assert_eq!(
        env.json(&["kpis", "--json"])["all"]["purchases"].as_u64(),
        Some(converted)
    );

    // Not a defined event: refused, naming the defined ones; nothing changes.
    let out = env.run(&["goal", "set", "signup"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"signup\"") && err.contains("add_to_cart") && err.contains("purchase"),
        "{err}"
    );
    assert_eq!(env.json(&["goal", "--json"])["goal"], "purchase");

    // A URL goal: the checkout page.
    env.ok(&["define-event", "checkout_page", "--url", "/checkout*"]);
    let set = env.json(&["goal", "set", "checkout_page", "--json"]);
    assert_eq!(set["goal"], "checkout_page");
    assert_eq!(set["rule"], "url \"/checkout*\"");
    let reached = set["converted"].as_u64().unwrap();
    assert!(reached > converted, "{set}");
    assert_eq!(
        env.json(&["goal", "--json"])["converted"].as_u64(),
        Some(reached)
    );
    let text = env.ok(&["goal", "set", "purchase"]);
    assert!(
        text.contains(&format!("converted: {converted} of")),
        "{text}"
    );
}
