//! The built `sessionlens` binary with `--library clickhouse://…` against a real
//! `clickhouse-server` (tests/clickhouse_support), side by side with a SQLite library fed the
//! same commands: import, list, heatmap PNGs byte for byte, KPIs, funnels, signals,
//! `library copy`, the sessions `snapshot` draws pages from, and a read-only user's clear
//! refusal. Without the server binary these tests
//! say so on stderr and pass, unless `SESSIONLENS_REQUIRE_CLICKHOUSE=1`.
#![expect(clippy::unwrap_used, reason = "test code")]

mod clickhouse_support;
mod common;

use std::path::Path;
use std::process::Output;

use clickhouse_support::ClickHouseServer;
use serde_json::Value;

fn run_on(library: &str, args: &[&str], password: Option<&str>) -> Output {
    let mut command = common::sessionlens();
    command.arg("--library").arg(library).args(args);
    command
        .env_remove("SESSIONLENS_CLICKHOUSE_PASSWORD")
        .env_remove("SESSIONLENS_CLICKHOUSE_PASSWORD_FILE");
    if let Some(p) = password {
        command.env("SESSIONLENS_CLICKHOUSE_PASSWORD", p);
    }
    command.output().unwrap()
}

fn ok_on(library: &str, args: &[&str]) -> String {
    let out = run_on(library, args, None);
    assert!(
        out.status.success(),
        "{library} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_on(library: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok_on(library, args)).unwrap()
}

/// The same commands on both libraries: the sample sessions, 150 simulated visitors and the
/// demo shop's screenshots.
fn fill(library: &str) {
    let samples = common::repo().join("sample_sessions");
    ok_on(library, &["import", samples.to_str().unwrap()]);
    ok_on(
        library,
        &["demo", "generate", "--sessions", "150", "--into-library"],
    );
    let pages: Value = serde_json::from_slice(
        &std::fs::read(common::repo().join("assets/demo-shop/pages.json")).unwrap(),
    )
    .unwrap();
    for page in pages["pages"].as_array().unwrap() {
        let png = common::repo()
            .join("assets/demo-shop")
            .join(page["screenshot"].as_str().unwrap());
        ok_on(
            library,
            &[
                "screenshot",
                "add",
                "--url",
                page["url"].as_str().unwrap(),
                "--width",
                &page["layout_width"].to_string(),
                png.to_str().unwrap(),
            ],
        );
    }
}

/// `list --json` rows, by session id.
fn listed(library: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = json_on(library, &["list", "--json", "--limit", "100000"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    rows.sort_by(|a, b| a["session_id"].as_str().cmp(&b["session_id"].as_str()));
    rows
}

/// Figures as JSON with floats rounded to 9 significant digits (the two libraries add revenue
/// in different orders).
fn rounded(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            Value::String(format!("{f:.9e}"))
        }
        Value::Array(a) => Value::Array(a.iter().map(rounded).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), rounded(v))).collect()),
        other => other.clone(),
    }
}

/// A funnel's droppers by session id: each library lists them in its own session order
/// (SQLite by import, ClickHouse by id).
fn sorted_droppers(mut value: Value) -> Value {
    if let Some(droppers) = value.get_mut("droppers").and_then(Value::as_array_mut) {
        droppers.sort_by(|a, b| a["session_id"].as_str().cmp(&b["session_id"].as_str()));
    }
    value
}

#[test]
fn the_cli_on_a_clickhouse_library_answers_as_on_sqlite() {
    let Some(server) =
        ClickHouseServer::start_or_skip("the_cli_on_a_clickhouse_library_answers_as_on_sqlite")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("library.sqlite");
    let sqlite = sqlite.to_str().unwrap();
    let ch = server.library_url("default", "shop");
    fill(sqlite);
    fill(&ch);

    assert_eq!(listed(sqlite), listed(&ch));
    assert!(listed(&ch).len() >= 150);

    for kind in ["click", "move", "scroll", "attention", "rage", "dead"] {
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        let mut answers = Vec::new();
        for (library, out) in [(sqlite, &a), (ch.as_str(), &b)] {
            let mut answer = json_on(
                library,
                &[
                    "heatmap",
                    "--page",
                    "http://shop.test/",
                    "--kind",
                    kind,
                    "--out",
                    out.to_str().unwrap(),
                    "--json",
                ],
            );
            // The file written is named differently on purpose.
            answer.as_object_mut().unwrap().remove("out");
            answers.push(answer);
        }
        assert_eq!(answers[0], answers[1], "{kind}");
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "the {kind} heatmap PNGs differ"
        );
    }
    // A filtered map, and a comparison.
    for extra in [
        &["--device", "mobile", "--converted", "no"][..],
        &["--compare", "converted"][..],
    ] {
        let (a, b) = (dir.path().join("fa.png"), dir.path().join("fb.png"));
        for (library, out) in [(sqlite, &a), (ch.as_str(), &b)] {
            let mut args = vec![
                "heatmap",
                "--page",
                "http://shop.test/",
                "--out",
                out.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            ok_on(library, &args);
        }
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{extra:?}: the PNGs differ"
        );
    }
    for args in [
        &["kpis", "--json"][..],
        &["kpis", "--json", "--by", "device"][..],
        &[
            "funnel",
            "--step",
            "view_item",
            "--step",
            "add_to_cart",
            "--step",
            "begin_checkout",
            "--step",
            "purchase",
            "--json",
        ][..],
        &["events-defs", "--json"][..],
    ] {
        assert_eq!(
            sorted_droppers(rounded(&json_on(sqlite, args))),
            sorted_droppers(rounded(&json_on(&ch, args))),
            "{args:?}"
        );
    }
    let hotspots = |library: &str| -> Vec<Value> {
        ok_on(library, &["hotspots", "--json"])
            .lines()
            .map(|l| rounded(&serde_json::from_str(l).unwrap()))
            .collect()
    };
    assert_eq!(hotspots(sqlite), hotspots(&ch));
    let signals = |library: &str| {
        let mut out: Vec<String> = ok_on(library, &["signals", "--csv"])
            .lines()
            .map(str::to_owned)
            .collect();
        out.sort();
        out
    };
    assert_eq!(signals(sqlite), signals(&ch));

    // The team library copied home is the same library.
    let home = dir.path().join("home.sqlite");
    let copied = ok_on(
        sqlite,
        &[
            "library",
            "copy",
            "--from",
            &ch,
            "--to",
            home.to_str().unwrap(),
        ],
    );
    assert!(copied.contains("sessions copied"), "{copied}");
    assert_eq!(listed(home.to_str().unwrap()), listed(sqlite));

    // A read-only user is told before anything is read.
    let viewer = server.library_url("viewer", "shop");
    let out = run_on(
        &viewer,
        &[
            "import",
            common::repo().join("sample_sessions").to_str().unwrap(),
        ],
        Some("viewer"),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("read-only for viewer on 127.0.0.1:"),
        "{stderr}"
    );
    let out = run_on(&viewer, &["list", "--json"], Some("viewer"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A wrong password names the server and the environment variable.
    let out = run_on(&viewer, &["list"], Some("hunter2-not-it"));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("127.0.0.1:") && stderr.contains("SESSIONLENS_CLICKHOUSE_PASSWORD"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2-not-it"),
        "the password must not show: {stderr}"
    );
    let _ = Path::new(sqlite);
}

/// Listing more sessions than one query may name: the page URLs, signal counts and
/// conversions of the rows are read a bounded number of sessions at a time (the keys are in the
/// query's text, which the server caps at 256 KiB: about 6,500 sessions).
#[test]
fn listing_thousands_of_sessions_reads_their_pages_in_pieces() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "listing_thousands_of_sessions_reads_their_pages_in_pieces",
    ) else {
        return;
    };
    let ch = server.library_url("default", "many");
    ok_on(
        &ch,
        &["demo", "generate", "--sessions", "7000", "--into-library"],
    );
    let rows = listed(&ch);
    assert_eq!(rows.len(), 7000);
    let without_pages = rows
        .iter()
        .filter(|r| r["pages"].as_array().is_none_or(Vec::is_empty))
        .count();
    assert_eq!(without_pages, 0, "every simulated session has a page");
    // A goal other than the standard one: conversions come from the conversions table, in
    // the same pieces.
    ok_on(&ch, &["kpis"]);
    ok_on(&ch, &["goal", "set", "add_to_cart"]);
    let rows = listed(&ch);
    let converted = rows.iter().filter(|r| r["converted"] == true).count();
    assert!(
        converted > 0 && converted < 7000,
        "{converted} of 7000 converted"
    );
}

/// `snapshot` draws each page from the same session's DOM on both libraries, whatever order the
/// recordings were imported in: sessions are taken by recording file, start time and id, not in
/// each library's own row order (SQLite's by import, ClickHouse's by a hash of the id).
#[test]
fn snapshots_take_each_page_from_the_same_session_on_both_libraries() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "snapshots_take_each_page_from_the_same_session_on_both_libraries",
    ) else {
        return;
    };
    let mut recordings: Vec<String> =
        std::fs::read_dir(common::repo().join("tests/fixtures/rrweb"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(".json") && !name.ends_with(".truth.json")
            })
            .map(|p| p.to_str().unwrap().to_owned())
            .collect();
    recordings.sort();
    assert!(recordings.len() >= 10);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("library.sqlite");
    let sqlite = sqlite.to_str().unwrap();
    let ch = server.library_url("default", "snapshots");
    // SQLite is given the files last to first, ClickHouse first to last.
    let mut import: Vec<&str> = vec!["import"];
    import.extend(recordings.iter().rev().map(String::as_str));
    ok_on(sqlite, &import);
    let mut import: Vec<&str> = vec!["import"];
    import.extend(recordings.iter().map(String::as_str));
    ok_on(&ch, &import);

    let drawn = |library: &str| ok_on(library, &["snapshot", "--all", "--no-chromium"]);
    let (on_sqlite, on_ch) = (drawn(sqlite), drawn(&ch));
    assert_eq!(on_sqlite, on_ch);
    let from_dom = on_sqlite
        .lines()
        .filter(|l| l.contains("would be drawn"))
        .count();
    assert!(from_dom >= 3, "pages with a recorded DOM: {on_sqlite}");
}
