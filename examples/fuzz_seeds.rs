//! Writes the seed inputs of the fuzz targets (fuzz/seeds/<target>/) from the real rrweb
//! recordings in tests/fixtures/rrweb/: native sessions converted from them, zip bundles made by
//! the bundle writer, trimmed copies of the recordings and the other rrweb forms (wrapper object,
//! PostHog JSON Lines, PostHog-compressed events, JS wrapper), and gzip copies for the front door.
//!
//! Run through tools/fuzz_seeds.sh (see docs/FUZZING.md):
//! `cargo run --no-default-features --example fuzz_seeds -- tests/fixtures/rrweb fuzz/seeds`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;
use sessionlens::format::{ReadOptions, ScreenshotBlob, bundle, hash, load_path, native};
use sessionlens::model::Session;

/// Events kept in a native seed (the recordings have thousands: mostly mouse moves).
const NATIVE_EVENTS: usize = 300;
/// Recordings copied whole into the rrweb seeds (the smallest ones; the others are trimmed).
const WHOLE_RECORDINGS: usize = 2;
/// Events of one kind (type, source, interaction) kept in a trimmed recording.
const EVENTS_PER_KIND: usize = 3;
/// DOM levels and children per node kept in a trimmed recording's snapshots.
const DOM_DEPTH: usize = 12;
const DOM_CHILDREN: usize = 6;

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(fixtures), Some(out), None) = (args.next(), args.next(), args.next()) else {
        bail!("usage: fuzz_seeds FIXTURES_DIR OUT_DIR (e.g. tests/fixtures/rrweb fuzz/seeds)");
    };
    let (fixtures, out) = (PathBuf::from(fixtures), PathBuf::from(out));
    let mut recordings: Vec<(PathBuf, u64)> = Vec::new();
    for entry in std::fs::read_dir(&fixtures).with_context(|| fixtures.display().to_string())? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") && !name.ends_with(".truth.json") {
            recordings.push((path.clone(), std::fs::metadata(&path)?.len()));
        }
    }
    if recordings.is_empty() {
        bail!("no rrweb recordings (*.json) in {}", fixtures.display());
    }
    recordings.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));

    let dirs = [
        "native_reader",
        "rrweb_importer",
        "bundle_reader",
        "load_bytes",
    ];
    for dir in dirs {
        let dir = out.join(dir);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
    }
    let write = |dir: &str, name: &str, bytes: &[u8]| -> Result<()> {
        let path = out.join(dir).join(name);
        std::fs::write(&path, bytes).with_context(|| path.display().to_string())
    };

    let options = ReadOptions {
        keep_typed_values: true,
        ..ReadOptions::default()
    };
    let mut sessions = Vec::new();
    for (i, (path, _)) in recordings.iter().enumerate() {
        let stem = stem(path);
        let bytes = std::fs::read(path)?;
        let events: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not JSON", path.display()))?;
        let Value::Array(events) = events else {
            bail!("{}: not a JSON array of rrweb events", path.display());
        };

        // rrweb: the smallest recordings whole, every recording trimmed.
        if i < WHOLE_RECORDINGS {
            write("rrweb_importer", &format!("{stem}.json"), &bytes)?;
        }
        let trimmed = trim_recording(&events);
        let trimmed_json = serde_json::to_vec(&Value::Array(trimmed.clone()))?;
        write(
            "rrweb_importer",
            &format!("{stem}.trimmed.json"),
            &trimmed_json,
        )?;

        // Native: the recording converted, then cut to its first events.
        let loaded = load_path(path, &options)
            .with_context(|| format!("{}: the importer refused it", path.display()))?;
        for mut session in loaded.sessions {
            session.events.truncate(NATIVE_EVENTS);
            let mut json = Vec::new();
            native::write_session(&mut json, &session)?;
            write("native_reader", &format!("{stem}.session.json"), &json)?;
            sessions.push((stem.clone(), session, trimmed.clone()));
        }
    }

    // The other rrweb forms, from the first trimmed recording.
    let (stem0, _, events0) = sessions.first().context("no session converted")?.clone();
    let array = serde_json::to_string(&events0)?;
    write(
        "rrweb_importer",
        &format!("{stem0}.wrapped.json"),
        format!("{{\"events\":{array}}}").as_bytes(),
    )?;
    write(
        "rrweb_importer",
        &format!("{stem0}.js"),
        format!("// rrweb demo recording\nconst events = {array};\n").as_bytes(),
    )?;
    let mut jsonl = String::new();
    for chunk in events0.chunks(10) {
        let line = serde_json::json!({ "window_id": "w1", "data": chunk });
        jsonl.push_str(&serde_json::to_string(&line)?);
        jsonl.push('\n');
    }
    write(
        "rrweb_importer",
        &format!("{stem0}.posthog.jsonl"),
        jsonl.as_bytes(),
    )?;
    let mut packed = String::new();
    for event in &events0 {
        let line = serde_json::json!(["w1", posthog_compress(event)?]);
        packed.push_str(&serde_json::to_string(&line)?);
        packed.push('\n');
    }
    write(
        "rrweb_importer",
        &format!("{stem0}.posthog-compressed.jsonl"),
        packed.as_bytes(),
    )?;

    // Bundles made by the bundle writer: one session with a screenshot, and three sessions.
    let shot = tiny_screenshot()?;
    let few: Vec<Session> = sessions
        .iter()
        .take(3)
        .map(|(_, s, _)| short(s, 40))
        .collect();
    let one = few.first().context("no session")?.clone();
    let mut zip = std::io::Cursor::new(Vec::new());
    bundle::write_bundle_zip(&mut zip, std::slice::from_ref(&one), &[shot])?;
    let one_bundle = zip.into_inner();
    write(
        "bundle_reader",
        "one-session-screenshot.slbundle",
        &one_bundle,
    )?;
    let mut zip = std::io::Cursor::new(Vec::new());
    bundle::write_bundle_zip(&mut zip, &few, &[])?;
    write(
        "bundle_reader",
        "three-sessions.slbundle",
        &zip.into_inner(),
    )?;

    // The front door: one input of each kind it sniffs.
    let mut native_short = Vec::new();
    native::write_session(&mut native_short, &one)?;
    write("load_bytes", "native.session.json", &native_short)?;
    let mut native_gz = Vec::new();
    native::write_session_gz(&mut native_gz, &one)?;
    write("load_bytes", "native.session.json.gz", &native_gz)?;
    write("load_bytes", "bundle.slbundle", &one_bundle)?;
    let small_rrweb =
        serde_json::to_vec(&Value::Array(events0.iter().take(30).cloned().collect()))?;
    write("load_bytes", "rrweb.json", &small_rrweb)?;
    write("load_bytes", "rrweb.json.gz", &gzip(&small_rrweb)?)?;
    write(
        "load_bytes",
        "posthog.jsonl",
        jsonl
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )?;

    for dir in dirs {
        let dir = out.join(dir);
        let (mut files, mut bytes) = (0, 0);
        for entry in std::fs::read_dir(&dir)? {
            files += 1;
            bytes += entry?.metadata()?.len();
        }
        println!("{}: {files} files, {bytes} bytes", dir.display());
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("recording")
        .to_owned()
}

/// `session` cut to its first `events` events.
fn short(session: &Session, events: usize) -> Session {
    let mut session = session.clone();
    session.events.truncate(events);
    session
}

/// The first few events of each kind, with every snapshot's DOM pruned (a trimmed recording
/// keeps the shape of the real one at a size the fuzzer can mutate quickly).
fn trim_recording(events: &[Value]) -> Vec<Value> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for event in events {
        let data = event.get("data");
        let field = |name: &str| data.and_then(|d| d.get(name)).map(Value::to_string);
        let kind = format!(
            "{}/{}/{}",
            event.get("type").map(Value::to_string).unwrap_or_default(),
            field("source").unwrap_or_default(),
            field("type").unwrap_or_default(),
        );
        let count = seen.entry(kind).or_default();
        *count += 1;
        let is_meta_or_snapshot = matches!(event.get("type").and_then(Value::as_i64), Some(2 | 4));
        if *count <= EVENTS_PER_KIND || is_meta_or_snapshot {
            let mut event = event.clone();
            prune(&mut event, 0);
            kept.push(event);
        }
    }
    kept
}

/// Cuts DOM trees (`childNodes`) and mutation lists (`adds`, `removes`, `texts`, `attributes`)
/// to a few levels and items.
fn prune(value: &mut Value, depth: usize) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let list = matches!(
                    key.as_str(),
                    "childNodes" | "adds" | "removes" | "texts" | "attributes" | "positions"
                );
                if list && let Value::Array(items) = child {
                    if depth >= DOM_DEPTH {
                        items.clear();
                    }
                    items.truncate(DOM_CHILDREN);
                }
                if let Value::String(text) = child
                    && text.len() > 200
                {
                    let mut end = 200;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.truncate(end);
                }
                prune(child, depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                prune(item, depth + 1);
            }
        }
        _ => {}
    }
}

/// An event as PostHog stores it compressed (`"cv": "2024-10"`): snapshot data and mutation
/// lists replaced by gzip bytes written as latin-1 strings.
fn posthog_compress(event: &Value) -> Result<Value> {
    let mut event = event.clone();
    let kind = event.get("type").and_then(Value::as_i64);
    let source = event
        .get("data")
        .and_then(|d| d.get("source"))
        .and_then(Value::as_i64);
    let latin1 = |value: &Value| -> Result<Value> {
        let packed = gzip(serde_json::to_string(value)?.as_bytes())?;
        Ok(Value::String(
            packed.iter().map(|b| char::from(*b)).collect(),
        ))
    };
    match (kind, source) {
        (Some(2), _) => {
            let data = event.get("data").cloned().unwrap_or(Value::Null);
            event["data"] = latin1(&data)?;
            event["cv"] = Value::from("2024-10");
        }
        (Some(3), Some(0)) => {
            for key in ["adds", "removes", "texts", "attributes"] {
                let list = event["data"]
                    .get(key)
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                event["data"][key] = latin1(&list)?;
            }
            event["cv"] = Value::from("2024-10");
        }
        _ => {}
    }
    Ok(event)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// A 4 x 3 px PNG made with the image crate, named by its SHA-256 as bundles require.
fn tiny_screenshot() -> Result<ScreenshotBlob> {
    let image = image::RgbaImage::from_fn(4, 3, |x, y| {
        image::Rgba([(x * 60) as u8, (y * 80) as u8, 128, 255])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(image).write_to(&mut png, image::ImageFormat::Png)?;
    let png = png.into_inner();
    Ok(ScreenshotBlob {
        hash: hash::sha256_hex(&png),
        url: "https://shop.test/".to_owned(),
        layout_width: 1440,
        png,
    })
}
