//! `sessionlens journeys` from the built binary, checked against an independent recount of the
//! page paths straight from the rrweb files (their Meta events, not the importer), and against
//! the routes the SDK fixtures' ground truth recorded for a single-page app.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn run(library: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .args(args)
        .env("SESSIONLENS_LIBRARY", library)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(library: &Path, args: &[&str]) -> String {
    let out = run(library, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// The recordings of tests/fixtures/rrweb (not their truth files).
fn recordings() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures("rrweb"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && !name.ends_with(".truth.json")
        })
        .collect();
    out.sort();
    out
}

/// The URL path of `href`, without host, query or fragment.
fn url_path(href: &str) -> String {
    let href = href.split(['#', '?']).next().unwrap();
    let rest = href.split_once("://").map_or(href, |(_, r)| r);
    rest.find('/')
        .map_or("/".to_owned(), |i| rest[i..].to_owned())
}

/// Each file's page paths from its Meta events (type 4), reloads of the same URL folded.
fn recount(files: &[PathBuf]) -> Vec<Vec<String>> {
    files
        .iter()
        .map(|f| {
            let events: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            let mut urls: Vec<String> = Vec::new();
            let mut last_href = String::new();
            for e in events.as_array().unwrap() {
                if e["type"] == 4 {
                    let href = e["data"]["href"].as_str().unwrap().to_owned();
                    if href != last_href {
                        urls.push(url_path(&href));
                    }
                    last_href = href;
                }
            }
            urls
        })
        .collect()
}

/// (step, label) → sessions, and (step, from, to) → sessions, from the JSON output.
type Counts = (
    BTreeMap<(usize, String), u64>,
    BTreeMap<(usize, String, String), u64>,
);

fn counts_of(json: &Value) -> Counts {
    let steps = json["steps"].as_array().unwrap();
    let label = |s: usize, i: u64| steps[s][i as usize]["label"].as_str().unwrap().to_owned();
    let mut nodes = BTreeMap::new();
    for (s, step) in steps.iter().enumerate() {
        for n in step.as_array().unwrap() {
            nodes.insert(
                (s, n["label"].as_str().unwrap().to_owned()),
                n["sessions"].as_u64().unwrap(),
            );
        }
    }
    let mut flows = BTreeMap::new();
    for f in json["flows"].as_array().unwrap() {
        let s = f["step"].as_u64().unwrap() as usize;
        flows.insert(
            (
                s,
                label(s, f["from"].as_u64().unwrap()),
                label(s + 1, f["to"].as_u64().unwrap()),
            ),
            f["sessions"].as_u64().unwrap(),
        );
    }
    (nodes, flows)
}

fn expected(paths: &[Vec<String>], steps: usize) -> Counts {
    let mut nodes = BTreeMap::new();
    let mut flows = BTreeMap::new();
    for p in paths {
        for (s, url) in p.iter().take(steps).enumerate() {
            *nodes.entry((s, url.clone())).or_insert(0) += 1;
            if s > 0 {
                *flows
                    .entry((s - 1, p[s - 1].clone(), url.clone()))
                    .or_insert(0) += 1;
            }
        }
    }
    (nodes, flows)
}

#[test]
fn journeys_match_a_recount_of_the_raw_recordings() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("l.sqlite");
    let files = recordings();
    let mut args: Vec<&str> = vec!["import"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    ok(&library, &args);
    let paths = recount(&files);
    assert!(paths.iter().any(|p| p.len() >= 4), "{paths:?}");

    for steps in [3usize, 20] {
        let json: Value = serde_json::from_str(&ok(
            &library,
            &[
                "journeys",
                "--group-by",
                "path",
                "--min-share",
                "0",
                "--steps",
                &steps.to_string(),
                "--json",
            ],
        ))
        .unwrap();
        assert_eq!(json["sessions"], paths.len());
        assert_eq!(counts_of(&json), expected(&paths, steps), "{steps} steps");
        // Exits: the sessions whose visit ends at that step.
        let exits_first: u64 = json["steps"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["exits"].as_u64().unwrap())
            .sum();
        assert_eq!(
            exits_first,
            paths.iter().filter(|p| p.len() == 1).count() as u64
        );
        // Whole journeys: each listed path is as many sessions as the recount has of it.
        let mut whole: BTreeMap<String, u64> = BTreeMap::new();
        for p in &paths {
            let shown: Vec<&str> = p.iter().take(steps).map(String::as_str).collect();
            *whole.entry(shown.join(" → ")).or_insert(0) += 1;
        }
        let listed = json["paths"].as_array().unwrap();
        assert_eq!(listed.len(), whole.len().min(25));
        for entry in listed {
            let text = entry["path"].as_str().unwrap();
            assert_eq!(
                entry["sessions"].as_u64(),
                whole.get(text).copied(),
                "{text}"
            );
        }
        assert!(
            listed
                .windows(2)
                .all(|w| w[0]["sessions"].as_u64() >= w[1]["sessions"].as_u64())
        );
    }

    // Ending at the cart: every journey's last column is the cart; the recount agrees.
    let json: Value = serde_json::from_str(&ok(
        &library,
        &[
            "journeys",
            "--to-page",
            "/cart.html",
            "--steps",
            "3",
            "--min-share",
            "0",
            "--json",
        ],
    ))
    .unwrap();
    let reaching = paths
        .iter()
        .filter(|p| p.iter().any(|u| u == "/cart.html"))
        .count();
    assert!(reaching > 0);
    assert_eq!(json["sessions"], reaching);
    assert_eq!(json["left_out"], paths.len() - reaching);
    let last = json["steps"][2].as_array().unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["label"], "/cart.html");
    assert_eq!(last[0]["sessions"], reaching);

    // Each node names sessions to open at that step, at the page view's start.
    let first = &json["steps"][2][0]["examples"][0];
    assert!(first["session_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(first["entered_at_ms"].as_i64().unwrap() > 1_000_000_000_000);

    // Text and CSV name the same nodes.
    let text = ok(&library, &["journeys", "--steps", "2"]);
    assert!(
        text.contains("Step 1") && text.contains("Largest flows"),
        "{text}"
    );
    let csv = ok(&library, &["journeys", "--steps", "2", "--csv"]);
    assert!(csv.starts_with("row,step,from,to,sessions,converted,exits\n"));
    assert!(csv.lines().any(|l| l.starts_with("flow,1,")), "{csv}");
}

#[test]
fn two_segments_share_one_node_layout_and_add_up_to_the_whole_map() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("l.sqlite");
    let files = recordings();
    let mut args: Vec<&str> = vec!["import"];
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    ok(&library, &args);
    let base = [
        "journeys",
        "--group-by",
        "path",
        "--min-share",
        "0",
        "--steps",
        "4",
    ];
    let whole: Value =
        serde_json::from_str(&ok(&library, &[&base[..], &["--json"]].concat())).unwrap();
    let png = dir.path().join("compare.png");
    for preset in ["converted", "device:desktop,mobile"] {
        let json: Value = serde_json::from_str(&ok(
            &library,
            &[
                &base[..],
                &[
                    "--compare",
                    preset,
                    "--json",
                    "--png",
                    png.to_str().unwrap(),
                ],
            ]
            .concat(),
        ))
        .unwrap();
        let (a, b) = (&json["compare"]["a"], &json["compare"]["b"]);
        assert!(a["sessions"].as_u64().unwrap() > 0, "{preset}");
        assert!(b["sessions"].as_u64().unwrap() > 0, "{preset}");
        assert_eq!(
            a["sessions"].as_u64().unwrap() + b["sessions"].as_u64().unwrap(),
            whole["sessions"].as_u64().unwrap(),
            "{preset}"
        );
        // The same nodes in the same order on both sides, and A + B is the whole map's count.
        let (ca, cb, cw) = (counts_of(a), counts_of(b), counts_of(&whole));
        let steps_a = a["steps"].as_array().unwrap();
        for (s, step) in steps_a.iter().enumerate() {
            let la: Vec<&Value> = step
                .as_array()
                .unwrap()
                .iter()
                .map(|n| &n["label"])
                .collect();
            let lb: Vec<&Value> = b["steps"][s]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| &n["label"])
                .collect();
            assert_eq!(la, lb, "{preset} step {s}");
        }
        for (key, n) in &cw.0 {
            assert_eq!(
                ca.0.get(key).copied().unwrap_or(0) + cb.0.get(key).copied().unwrap_or(0),
                *n,
                "{preset} {key:?}"
            );
        }
        for (key, n) in &cw.1 {
            assert_eq!(
                ca.1.get(key).copied().unwrap_or(0) + cb.1.get(key).copied().unwrap_or(0),
                *n,
                "{preset} {key:?}"
            );
        }
        let image = image::open(&png).unwrap();
        assert_eq!(image.width(), 1400);
    }
    // Converted: A's sessions all converted, B's none.
    let json: Value = serde_json::from_str(&ok(
        &library,
        &[&base[..], &["--compare", "converted", "--json"]].concat(),
    ))
    .unwrap();
    for node in json["compare"]["a"]["steps"][0].as_array().unwrap() {
        assert_eq!(node["converted"], node["sessions"]);
    }
    for node in json["compare"]["b"]["steps"][0].as_array().unwrap() {
        assert_eq!(node["converted"], 0);
    }
    assert_eq!(json["compare"]["a"]["label"], "converted");
    // Text puts A and B on one line per node; CSV names the segment on each row.
    let text = ok(&library, &[&base[..], &["--compare", "converted"]].concat());
    assert!(
        text.contains("A: converted") && text.contains("share of B"),
        "{text}"
    );
    let csv = ok(
        &library,
        &[&base[..], &["--compare", "converted", "--csv"]].concat(),
    );
    assert!(csv.starts_with("segment,row,step,from,to,sessions,converted,exits\n"));
    assert!(
        csv.lines().any(|l| l.starts_with("not converted,node,1,")),
        "{csv}"
    );
    // A preset that is not one is a usage error naming the flag.
    let out = run(
        &library,
        &[&base[..], &["--compare", "device:phone,desktop"]].concat(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--compare"));
}

#[test]
fn a_single_page_app_visit_follows_its_recorded_routes() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("l.sqlite");
    let export = fixtures("posthog").join("ph-spa-purchase.export-v2.json");
    ok(&library, &["import", export.to_str().unwrap()]);
    let truth: Value = serde_json::from_slice(
        &std::fs::read(fixtures("posthog").join("ph-spa-purchase.truth.json")).unwrap(),
    )
    .unwrap();
    let mut routes: Vec<String> = Vec::new();
    for r in truth["routes"].as_array().unwrap() {
        let p = url_path(r["url"].as_str().unwrap());
        if routes.last() != Some(&p) {
            routes.push(p);
        }
    }
    assert!(routes.len() >= 5, "{routes:?}");
    let json: Value = serde_json::from_str(&ok(
        &library,
        &["journeys", "--group-by", "path", "--steps", "20", "--json"],
    ))
    .unwrap();
    let labels: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s[0]["label"].as_str())
        .collect();
    assert_eq!(labels, routes);
    // The visit converted: every node says so.
    assert_eq!(json["steps"][0][0]["converted"], 1);
}

#[test]
fn bad_journey_arguments_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("l.sqlite");
    for (args, needle) in [
        (vec!["journeys", "--steps", "0"], "--steps"),
        (vec!["journeys", "--min-share", "250"], "--min-share"),
        (vec!["journeys", "--between", "/cart"], "--between"),
        (
            vec!["journeys", "--from-page", "/", "--to-page", "/cart"],
            "cannot be used with",
        ),
        (vec!["journeys", "--group-by", "url"], "--group-by"),
    ] {
        let out = run(&library, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // An empty library gives an empty map, not an error.
    let json: Value = serde_json::from_str(&ok(&library, &["journeys", "--json"])).unwrap();
    assert_eq!(json["sessions"], 0);
}
