//! Privacy by default: typed text is masked in every output unless revealed on purpose, where
//! the library kept it; sensitive fields are never kept; `redact` strips personal data from a
//! recording; exports carry no typed text; and rendering a recorded page makes no network
//! request.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod common;

use std::io::Read as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{ok, repo, run};
use serde_json::Value;

const ADDRESS: &str = "Bergstraße 12";
const EMAIL: &str = "maria.jensen@example.com";
/// A login form: an e-mail field, a password and a card number, all typed unmasked.
const LOGIN: &str = r##"{"format":"sessionlens-session","version":"1.0","session_id":"pw","started_at_ms":1700000000000,"duration_ms":5000,
    "pages":[{"url":"https://shop.test/login","entered_ms":0,"left_ms":5000,"viewport_width":1280,"viewport_height":800}],
    "targets":[{"tag":"input","selector":"#email","name":"email"},{"tag":"input","selector":"#pw","input_type":"password"},{"tag":"input","selector":"#cc","name":"cc-number"}],
    "events":[[100,"i",0,13,"ann@mail.test"],[200,"i",1,9,"hunter2!!"],[300,"i",2,16,"4111111111111111"]]}"##;

fn recordings() -> [String; 2] {
    let dir = repo().join("tests/fixtures/rrweb");
    [
        dir.join("form-abandon-desktop.json").display().to_string(),
        dir.join("newsletter-desktop.json").display().to_string(),
    ]
}

/// Every file under `dir`, read whole.
fn all_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn typed_values_are_masked_unless_kept_and_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let [form, newsletter] = recordings();

    // Default import: the values are not kept at all.
    let plain = dir.path().join("plain.sqlite");
    ok(&plain, &["import", &form, &newsletter]);
    let revealed = ok(
        &plain,
        &[
            "events",
            "form-abandon-desktop",
            "--json",
            "--reveal-typed-values",
        ],
    );
    assert!(!revealed.contains(ADDRESS) && revealed.contains("\"masked\":true"));
    assert!(!contains(&std::fs::read(&plain).unwrap(), ADDRESS));

    // Kept on import: still masked in every output unless revealed on purpose.
    let kept = dir.path().join("kept.sqlite");
    ok(
        &kept,
        &["import", "--keep-typed-values", &form, &newsletter],
    );
    for args in [
        vec!["events", "form-abandon-desktop", "--json"],
        vec!["events", "newsletter-desktop"],
        vec!["show", "form-abandon-desktop"],
        vec!["list", "--json"],
        vec!["signals", "--json"],
        vec!["hotspots", "--csv"],
    ] {
        let out = ok(&kept, &args);
        assert!(
            !out.contains(ADDRESS) && !out.contains(EMAIL),
            "{args:?} shows typed text"
        );
    }
    let shown = ok(
        &kept,
        &[
            "events",
            "form-abandon-desktop",
            "--json",
            "--reveal-typed-values",
        ],
    );
    assert!(
        shown.contains(ADDRESS),
        "the opt-in reveal shows the kept value"
    );

    // Exports: heatmaps and the report carry no typed text.
    ok(&kept, &["snapshot", "--all", "--no-chromium"]);
    let out = dir.path().join("report");
    // (It exits 1 here because two sessions define no funnel; the files are written.)
    run(
        &kept,
        &[
            "report",
            "--page",
            "http://shop.test/checkout.html",
            "--page",
            "http://shop.test/",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let files = all_bytes(&out);
    assert!(files.iter().any(|(name, _)| name.ends_with(".png")));
    for (name, bytes) in &files {
        assert!(
            !contains(bytes, ADDRESS) && !contains(bytes, EMAIL),
            "{name} carries typed text"
        );
    }
}

#[test]
fn sensitive_fields_are_never_kept() {
    let dir = tempfile::tempdir().unwrap();
    let session = LOGIN;
    let file = dir.path().join("login.session.json");
    std::fs::write(&file, session).unwrap();
    let library = dir.path().join("library.sqlite");
    ok(
        &library,
        &["import", "--keep-typed-values", file.to_str().unwrap()],
    );
    let shown = ok(
        &library,
        &["events", "pw", "--json", "--reveal-typed-values"],
    );
    assert!(shown.contains("ann@mail.test"));
    assert!(
        !shown.contains("hunter2") && !shown.contains("4111"),
        "{shown}"
    );
    let bytes = std::fs::read(&library).unwrap();
    assert!(!contains(&bytes, "hunter2") && !contains(&bytes, "4111111111111111"));
}

#[test]
fn redact_removes_typed_values_personal_queries_emails_and_ips() {
    let dir = tempfile::tempdir().unwrap();
    let [_, newsletter] = recordings();
    // Add a personal query string and an IP to a real recording.
    let mut events: Value = serde_json::from_slice(&std::fs::read(&newsletter).unwrap()).unwrap();
    let meta = events
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["type"] == 4)
        .unwrap();
    meta["data"]["href"] = Value::String(
        "http://shop.test/?utm_source=mail&email=maria.jensen%40example.com&token=s3cr3t".into(),
    );
    events.as_array_mut().unwrap().push(serde_json::json!({
        "type": 5, "timestamp": 1_795_317_999_000_i64,
        "data": {"tag": "log", "payload": {"client": "203.0.113.77", "note": "from 2001:db8:85a3:0:0:8a2e:370:7334"}}
    }));
    let input = dir.path().join("newsletter.json");
    std::fs::write(&input, serde_json::to_vec(&events).unwrap()).unwrap();
    let output = dir.path().join("newsletter.redacted.json");
    let library = dir.path().join("library.sqlite");
    let stats: Value = serde_json::from_str(&ok(
        &library,
        &[
            "redact",
            input.to_str().unwrap(),
            "--out",
            output.to_str().unwrap(),
            "--json",
        ],
    ))
    .unwrap();
    assert!(stats["input_values"].as_u64().unwrap() > 10, "{stats}");
    assert!(stats["query_values"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["ip_addresses"], 2, "{stats}");
    let redacted = std::fs::read(&output).unwrap();
    for secret in [
        EMAIL,
        "maria.jensen%40example.com",
        "s3cr3t",
        "203.0.113.77",
        "8a2e:370",
    ] {
        assert!(!contains(&redacted, secret), "{secret} survived");
    }
    assert!(
        contains(&redacted, "utm_source=mail"),
        "other query values stay"
    );
    // The redacted copy still imports, with its clicks and pages.
    ok(
        &library,
        &["import", "--keep-typed-values", output.to_str().unwrap()],
    );
    let shown = ok(
        &library,
        &[
            "events",
            "newsletter.redacted",
            "--json",
            "--reveal-typed-values",
        ],
    );
    assert!(!shown.contains("maria.jensen") && shown.contains("\"kind\":\"click\""));

    // A bundle stays a bundle, redacted inside, and still imports.
    let bundle = dir.path().join("login.slbundle");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&bundle).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("manifest.json", options).unwrap();
        std::io::Write::write_all(
            &mut zip,
            br#"{"format":"sessionlens-bundle","version":"1.0","sessions":["sessions/pw.session.json"]}"#,
        )
        .unwrap();
        zip.start_file("sessions/pw.session.json", options).unwrap();
        std::io::Write::write_all(&mut zip, LOGIN.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let clean = dir.path().join("login.redacted.slbundle");
    ok(
        &library,
        &[
            "redact",
            bundle.to_str().unwrap(),
            "--out",
            clean.to_str().unwrap(),
        ],
    );
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&clean).unwrap()).unwrap();
    for i in 0..archive.len() {
        let mut text = Vec::new();
        archive.by_index(i).unwrap().read_to_end(&mut text).unwrap();
        assert!(!contains(&text, "ann@mail.test") && !contains(&text, "hunter2"));
    }
    ok(
        &library,
        &["import", "--keep-typed-values", clean.to_str().unwrap()],
    );
    let shown = ok(
        &library,
        &["events", "pw", "--json", "--reveal-typed-values"],
    );
    assert!(!shown.contains("ann@mail.test") && shown.contains("\"value_len\":13"));
}

#[test]
fn rendering_a_recorded_page_makes_no_network_request() {
    if std::env::var_os("SESSIONLENS_REQUIRE_CHROMIUM").is_none()
        && sessionlens::render::chromium::Chromium::find().is_err()
    {
        eprintln!("Chromium is not installed: skipped (CI installs it and requires it)");
        return;
    }
    // A listener on loopback that counts connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let connections = AtomicUsize::new(0);
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("leaky.json");
    let mut events: Value = serde_json::from_slice(
        &std::fs::read(repo().join("sample_sessions/rrweb/quick-back-desktop.json")).unwrap(),
    )
    .unwrap();
    let target = |path: &str| format!("http://127.0.0.1:{port}/{path}");
    let resources = serde_json::json!([
        {"type": 2, "tagName": "img", "attributes": {"src": target("pixel.png")}, "childNodes": [], "id": 990_001},
        {"type": 2, "tagName": "link", "attributes": {"rel": "stylesheet", "href": target("style.css")}, "childNodes": [], "id": 990_002},
        {"type": 2, "tagName": "div", "attributes": {"style": format!("background:url({})", target("bg.png"))}, "childNodes": [], "id": 990_003},
        {"type": 2, "tagName": "iframe", "attributes": {"src": target("frame.html")}, "childNodes": [], "id": 990_004},
        {"type": 2, "tagName": "img", "attributes": {"src": format!("http://localhost:{port}/named.png")}, "childNodes": [], "id": 990_005}
    ]);
    // Append them to the <body> of every FullSnapshot.
    fn add_to_body(node: &mut Value, extra: &Value) -> bool {
        if node["tagName"] == "body" {
            let children = node["childNodes"].as_array_mut().unwrap();
            children.extend(extra.as_array().unwrap().iter().cloned());
            return true;
        }
        node["childNodes"]
            .as_array_mut()
            .is_some_and(|c| c.iter_mut().any(|n| add_to_body(n, extra)))
    }
    let mut added = 0;
    for event in events.as_array_mut().unwrap() {
        if event["type"] == 2 && add_to_body(&mut event["data"]["node"], &resources) {
            added += 1;
        }
    }
    assert!(added > 0);
    std::fs::write(&recording, serde_json::to_vec(&events).unwrap()).unwrap();
    let library = dir.path().join("library.sqlite");
    ok(&library, &["import", recording.to_str().unwrap()]);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let counter = scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                if listener.accept().is_ok() {
                    connections.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let out = ok(&library, &["snapshot", "--all"]);
        done.store(true, Ordering::Relaxed);
        counter.join().unwrap();
        assert!(out.contains("rendered with Chromium"), "{out}");
    });
    assert_eq!(
        connections.load(Ordering::Relaxed),
        0,
        "the recorded page reached the network"
    );
}
