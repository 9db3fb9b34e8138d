//! Importing every recording container a reviewer holds, through the binary: PostHog file
//! exports (2023-04-28 and 2022-12-02), raw posthog-js capture batches, Sentry replay segments
//! (plain, zlib, a folder of them, the API's download) — each checked against the ground truth
//! of the recording it wraps: pages in order, clicks and their page coordinates.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::{ok, repo, run};
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<Value> {
    let path = repo().join("tests/fixtures/rrweb").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn truth(name: &str) -> Value {
    let path = repo()
        .join("tests/fixtures/rrweb")
        .join(name.replace(".json", ".truth.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::write(path, bytes).unwrap();
    path.to_owned()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `import --json PATHS…`: the outcome lines (every input must import).
fn import(library: &Path, paths: &[&Path]) -> Vec<Value> {
    import_expecting(library, paths, 0)
}

/// `import --json PATHS…` with the exit code expected: the outcome lines.
fn import_expecting(library: &Path, paths: &[&Path], code: i32) -> Vec<Value> {
    let mut args = vec!["import", "--json"];
    args.extend(paths.iter().map(|p| str(p)));
    let out = run(library, &args);
    assert!(
        out.status.code() == Some(code),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn session_ids(outcomes: &[Value]) -> Vec<String> {
    outcomes
        .iter()
        .flat_map(|o| o["session_ids"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The session's page URLs equal the truth's page loads, its clicks the truth's clicks, each
/// within 1 px of the truth's page coordinates.
fn matches_truth(library: &Path, session_id: &str, recording: &str) {
    let truth = truth(recording);
    let show: Value = serde_json::from_str(&ok(library, &["show", session_id, "--json"])).unwrap();
    let urls: Vec<&str> = show["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    let truth_urls: Vec<&str> = truth["page_loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, truth_urls, "{session_id}: pages");
    let clicks: Vec<Value> = ok(
        library,
        &["events", session_id, "--json", "--kind", "click"],
    )
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).unwrap())
    .filter(|e| e["kind"] == "click")
    .collect();
    let truth_clicks = truth["clicks"].as_array().unwrap();
    assert_eq!(clicks.len(), truth_clicks.len(), "{session_id}: clicks");
    for (got, want) in clicks.iter().zip(truth_clicks) {
        for (a, b) in [("x", "page_x"), ("y", "page_y")] {
            let (a, b) = (got[a].as_f64().unwrap(), want[b].as_f64().unwrap());
            assert!((a - b).abs() <= 1.0, "{session_id}: click {got} vs {want}");
        }
    }
}

const RECORDING: &str = "convert-desktop.json";

#[test]
fn posthog_exports_of_both_versions_import_with_their_ids_and_truth() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let events = fixture(RECORDING);
    let with_window: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e["windowId"] = json!("0192-window");
            e
        })
        .collect();
    let v2 = json!({"version": "2023-04-28", "data": {
        "id": "0192-posthog-v2", "person": {"distinct_ids": ["u1"], "properties": {}},
        "snapshots": with_window}});
    let v2 = write(
        &dir.path().join("export-v2.json"),
        &serde_json::to_vec(&v2).unwrap(),
    );
    let v1 = json!({"version": "2022-12-02", "data": {"person": null,
        "snapshotsByWindowId": {"0192-legacy-window": events}}});
    let v1 = write(
        &dir.path().join("export-v1.json.gz"),
        &gzip(&serde_json::to_vec(&v1).unwrap()),
    );
    let outcomes = import(&library, &[&v2, &v1]);
    // Outcomes are reported as files finish (the files are read in parallel).
    let mut ids = session_ids(&outcomes);
    ids.sort();
    assert_eq!(ids, vec!["0192-legacy-window", "0192-posthog-v2"]);
    for o in &outcomes {
        assert!(o.get("warnings").is_none(), "{o}");
    }
    matches_truth(&library, "0192-posthog-v2", RECORDING);
    matches_truth(&library, "0192-legacy-window", RECORDING);
    // Importing again: duplicates.
    let again = import(&library, &[&v2]);
    assert_eq!(again[0]["status"], "duplicate");
}

#[test]
fn capture_batches_split_by_session_and_skip_analytics_events() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let mut batch = Vec::new();
    for (session, name) in [
        ("s-convert", RECORDING),
        ("s-back", "quick-back-desktop.json"),
    ] {
        batch.push(json!({"event": "$pageview", "properties": {"$session_id": session}}));
        // posthog-js sends a few events per request.
        for chunk in fixture(name).chunks(7) {
            batch.push(json!({"event": "$snapshot", "properties": {
                "$snapshot_bytes": 1234, "$session_id": session, "$window_id": "w",
                "$snapshot_data": chunk}}));
        }
        batch.push(json!({"event": "$autocapture", "properties": {"$session_id": session}}));
    }
    let plain = write(
        &dir.path().join("capture.json"),
        &serde_json::to_vec(&json!({"api_key": "phc_test", "batch": batch})).unwrap(),
    );
    let outcomes = import(&library, &[&plain]);
    assert_eq!(session_ids(&outcomes), vec!["s-convert", "s-back"]);
    let warnings = outcomes[0]["warnings"].to_string();
    assert!(
        warnings.contains("capture events other than $snapshot skipped")
            && warnings.contains(": 4 "),
        "{warnings}"
    );
    matches_truth(&library, "s-convert", RECORDING);
    matches_truth(&library, "s-back", "quick-back-desktop.json");
    // JSON Lines, gzip-compressed: the same sessions, duplicates now.
    let lines: Vec<String> = batch.iter().map(Value::to_string).collect();
    let jsonl = write(
        &dir.path().join("capture.jsonl.gz"),
        &gzip(lines.join("\n").as_bytes()),
    );
    let again = import(&library, &[&jsonl]);
    assert_eq!(again[0]["status"], "duplicate", "{}", again[0]);
}

/// The fixture split into `n` Sentry segments: `{"segment_id":i}\n` + zlib (or plain) JSON.
fn segments(name: &str, n: usize, compress: bool) -> Vec<Vec<u8>> {
    let events = fixture(name);
    let size = events.len().div_ceil(n);
    events
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let body = serde_json::to_vec(chunk).unwrap();
            let mut out = format!("{{\"segment_id\":{i}}}\n").into_bytes();
            out.extend(if compress { zlib(&body) } else { body });
            out
        })
        .collect()
}

#[test]
fn a_folder_of_sentry_segments_is_one_session_whatever_the_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let replay = dir.path().join("replay-7f3a");
    std::fs::create_dir(&replay).unwrap();
    // No extensions, compressed; one segment plain; names sorting out of segment order.
    let segs = segments(RECORDING, 4, true);
    let plain = segments(RECORDING, 4, false);
    let names = ["d", "c", "b", "a"];
    for (i, seg) in segs.iter().enumerate() {
        let bytes = if i == 2 { &plain[i] } else { seg };
        write(&replay.join(names[i]), bytes);
    }
    let outcomes = import(&library, &[dir.path()]);
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert_eq!(session_ids(&outcomes), vec!["replay-7f3a"]);
    assert!(outcomes[0].get("warnings").is_none(), "{}", outcomes[0]);
    matches_truth(&library, "replay-7f3a", RECORDING);
    // The same files on the command line, in another order: one unit, a duplicate.
    let files: Vec<PathBuf> = names.iter().rev().map(|n| replay.join(n)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let again = import(&library, &refs);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["status"], "duplicate", "{}", again[0]);
}

#[test]
fn single_sentry_segments_and_the_api_download_import() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    // The whole recording as segment 0, compressed: the file is a JSON line, then binary.
    let one = segments(RECORDING, 1, true).remove(0);
    assert!(one.contains(&0x9c));
    let one = write(&dir.path().join("abc-segment-0.bin"), &one);
    let outcomes = import(&library, &[&one]);
    assert_eq!(session_ids(&outcomes), vec!["abc"]);
    matches_truth(&library, "abc", RECORDING);
    // The API's download: an array of segments, each an array of events.
    let events = fixture("quick-back-desktop.json");
    let download: Vec<&[Value]> = events.chunks(10).collect();
    let download = write(
        &dir.path().join("recording-segments.json"),
        &serde_json::to_vec(&download).unwrap(),
    );
    // Saved under the download's generic name, it is named by its folder, as that replay's
    // segment files are, so importing both forms of one replay gives one session.
    let folder = dir.path().file_name().unwrap().to_str().unwrap().to_owned();
    let outcomes = import(&library, &[&download]);
    assert_eq!(session_ids(&outcomes), vec![folder.clone()]);
    matches_truth(&library, &folder, "quick-back-desktop.json");
}

#[test]
fn unknown_wrappers_say_what_they_are_and_what_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let file = write(
        &dir.path().join("odd.json"),
        br#"{"foo": [1], "bar": {"events": 3}}"#,
    );
    let out = run(&library, &["import", "--json", str(&file)]);
    assert!(!out.status.success());
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = outcome["error"].as_str().unwrap();
    assert!(error.contains("odd.json"), "{error}");
    assert!(
        error.contains(r#"JSON object with keys {"foo", "bar"}"#),
        "{error}"
    );
    assert!(
        error.contains("Accepted: SessionLens session, rrweb events (array, {\"events\"}), PostHog export (version 2023-04-28 or 2022-12-02), PostHog capture batch, Sentry replay segment(s)"),
        "{error}"
    );
}

/// Real SDK recordings (tests/fixtures/posthog/, tests/fixtures/sentry/, made with posthog-js
/// and @sentry/browser): the truth's page loads appear in order among the session's pages (route
/// changes may add page views between them), and the session's clicks are the truth's, minus
/// `missing` that the SDK did not record, each within 1 px of the truth's page coordinates.
fn matches_sdk_truth(library: &Path, session_id: &str, truth_path: &Path, missing: usize) {
    let truth: Value = serde_json::from_slice(&std::fs::read(truth_path).unwrap()).unwrap();
    let show: Value = serde_json::from_str(&ok(library, &["show", session_id, "--json"])).unwrap();
    let urls: Vec<&str> = show["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    let mut rest = urls.iter();
    for load in truth["page_loads"].as_array().unwrap() {
        let url = load["url"].as_str().unwrap();
        assert!(
            rest.any(|u| *u == url),
            "{session_id}: page load {url} missing or out of order in {urls:?}"
        );
    }
    let clicks: Vec<Value> = ok(
        library,
        &["events", session_id, "--json", "--kind", "click"],
    )
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).unwrap())
    .filter(|e| e["kind"] == "click")
    .collect();
    let truth_clicks = truth["clicks"].as_array().unwrap();
    assert_eq!(
        clicks.len() + missing,
        truth_clicks.len(),
        "{session_id}: clicks"
    );
    // Each click matches the next truth click at its position (a few truth clicks may be absent).
    let mut want = truth_clicks.iter();
    for got in &clicks {
        let (x, y) = (got["x"].as_f64().unwrap(), got["y"].as_f64().unwrap());
        assert!(
            want.any(|w| {
                (w["page_x"].as_f64().unwrap() - x).abs() <= 1.0
                    && (w["page_y"].as_f64().unwrap() - y).abs() <= 1.0
            }),
            "{session_id}: click {got} matches no truth click in order"
        );
    }
}

fn sdk(path: &str) -> PathBuf {
    repo().join("tests/fixtures").join(path)
}

#[test]
fn real_posthog_exports_and_capture_dumps_match_their_truth() {
    for name in [
        "ph-mpa-purchase",
        "ph-spa-purchase",
        "ph-spa-browse-no-purchase",
    ] {
        let truth = sdk(&format!("posthog/{name}.truth.json"));
        let mut forms = vec![
            format!("posthog/{name}.export-v2.json"),
            format!("posthog/{name}.capture.jsonl"),
        ];
        if name == "ph-mpa-purchase" {
            forms.push(format!("posthog/{name}.export-v1.json"));
            // A self-hoster's dump: one gzip request body a file (and the dump's own index).
            forms.push(format!("posthog/{name}.capture"));
        }
        for form in forms {
            // Each form in its own library: they hold the same session.
            let dir = tempfile::tempdir().unwrap();
            let library = dir.path().join("library.sqlite");
            // The dump folder also holds the recorder's own index of requests, refused.
            let code = i32::from(form.ends_with(".capture"));
            let outcomes = import_expecting(&library, &[&sdk(&form)], code);
            let ids = session_ids(&outcomes);
            assert_eq!(ids.len(), 1, "{form}: {outcomes:?}");
            let warnings = outcomes[0]["warnings"].to_string();
            assert!(
                !warnings.contains("without a numeric `type`"),
                "{form}: {warnings}"
            );
            if !form.ends_with("export-v1.json") {
                // The legacy export has no recording id; it is named by its first window.
                let truth: Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
                assert_eq!(ids[0], truth["session_id"].as_str().unwrap(), "{form}");
            }
            matches_sdk_truth(&library, &ids[0], &truth, 0);
        }
    }
}

#[test]
fn real_sentry_segments_and_downloads_match_their_truth() {
    // Truth clicks Sentry does not record: blocked media (img/svg) and clicks lost at unload.
    for (name, missing) in [("sentry-spa-purchase", 3), ("sentry-mpa-browse", 3)] {
        let truth = sdk(&format!("sentry/{name}.truth.json"));
        let folder = sdk(&format!("sentry/{name}"));
        let mut segments: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
            .collect();
        segments.sort();
        segments.reverse();
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.sqlite");
        let refs: Vec<&Path> = segments.iter().map(PathBuf::as_path).collect();
        let outcomes = import(&library, &refs);
        assert_eq!(
            session_ids(&outcomes),
            vec![name.to_owned()],
            "{outcomes:?}"
        );
        assert!(outcomes[0].get("warnings").is_none(), "{}", outcomes[0]);
        matches_sdk_truth(&library, name, &truth, missing);
        // The API's download form of the same replay.
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.sqlite");
        let outcomes = import(&library, &[&folder.join("recording-segments.json")]);
        let ids = session_ids(&outcomes);
        assert_eq!(ids, vec![name.to_owned()], "{outcomes:?}");
        matches_sdk_truth(&library, &ids[0], &truth, missing);
        // The whole folder as a user holds it (segments, download, metadata): one session;
        // the metadata file is refused as not a recording.
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.sqlite");
        let outcomes = import_expecting(&library, &[&folder], 1);
        assert_eq!(
            session_ids(&outcomes),
            vec![name.to_owned()],
            "{outcomes:?}"
        );
        // The segment files and the download hold the same replay: one imports, the other is
        // a duplicate (whichever is read first).
        let duplicates = outcomes
            .iter()
            .filter(|o| o["status"] == "duplicate")
            .count();
        assert_eq!(duplicates, 1, "{outcomes:?}");
    }
}

#[test]
fn snapshot_reads_pages_back_from_sentry_segments() {
    // `snapshot` rebuilds pages from the recording a session came from: for a Sentry replay,
    // its folder of segment files.
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("library.sqlite");
    let folder = sdk("sentry/sentry-spa-purchase");
    import_expecting(&library, &[&folder], 1);
    let out = ok(&library, &["snapshot", "--all", "--no-chromium"]);
    assert!(out.contains("0 unreadable recordings"), "{out}");
    assert!(!out.contains("no DOM snapshot"), "{out}");
    assert!(
        out.contains("http://app.shop.test/cart at 1440 px"),
        "{out}"
    );
}
