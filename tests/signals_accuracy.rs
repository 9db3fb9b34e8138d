//! Accuracy of the signal detectors on real rrweb recordings with planted ground truth
//! (`tests/fixtures/rrweb/*.truth.json`). Prints recall and precision per kind:
//! `cargo test --test signals_accuracy -- --nocapture`.
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sessionlens::analysis::signals::{Coverage, Signal, SignalKind, SignalSettings, detect};
use sessionlens::format::{ReadOptions, load_path};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rrweb");
/// A planted signal is found by a detected one of its kind starting within this many ms...
const TIME_TOLERANCE_MS: i64 = 200;
/// ...placed within this many CSS px of it on each axis.
const PLACE_TOLERANCE_PX: f32 = 5.0;

#[derive(serde::Deserialize)]
struct Truth {
    recording: String,
    planted: Vec<Planted>,
}

#[derive(serde::Deserialize)]
struct Planted {
    kind: String,
    start_ms: i64,
    end_ms: i64,
    x: f32,
    y: f32,
}

#[derive(Default)]
struct Tally {
    planted: usize,
    found: usize,
    detected: usize,
    correct: usize,
}

fn matches(signal: &Signal, planted: &Planted) -> bool {
    signal.kind.as_str() == planted.kind
        && (signal.start_ms - planted.start_ms).abs() <= TIME_TOLERANCE_MS
        && signal.start_ms <= planted.end_ms + TIME_TOLERANCE_MS
        && signal.pos_in_page.is_some_and(|p| {
            (p.x - planted.x).abs() <= PLACE_TOLERANCE_PX
                && (p.y - planted.y).abs() <= PLACE_TOLERANCE_PX
        })
}

fn truth_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn detectors_find_every_planted_signal_and_nothing_in_controls() {
    let files = truth_files();
    assert!(files.len() >= 19, "fixtures missing in {FIXTURES}");
    let settings = SignalSettings::default();
    let mut tally: BTreeMap<SignalKind, Tally> = SignalKind::ALL
        .iter()
        .map(|&k| (k, Tally::default()))
        .collect();
    let mut misses = Vec::new();
    let mut extras = Vec::new();
    let mut control_hits = Vec::new();
    let mut unknown_dead = Vec::new();
    for path in files {
        let truth: Truth = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let recording = Path::new(FIXTURES).join(&truth.recording);
        let loaded = load_path(&recording, &ReadOptions::default()).unwrap();
        let session = &loaded.sessions[0];
        let detection = detect(session, &settings);
        // A recording in which nothing ever mutated the DOM cannot tell dead clicks.
        if detection.dead_clicks == Coverage::Unknown {
            unknown_dead.push(truth.recording.clone());
        }
        for planted in &truth.planted {
            let kind = SignalKind::parse(&planted.kind)
                .unwrap_or_else(|| panic!("unknown planted kind {}", planted.kind));
            let t = tally.get_mut(&kind).unwrap();
            t.planted += 1;
            if detection.signals.iter().any(|s| matches(s, planted)) {
                t.found += 1;
            } else {
                misses.push(format!(
                    "{}: planted {} at {} ({}, {}) not found; detected {:?}",
                    truth.recording,
                    planted.kind,
                    planted.start_ms,
                    planted.x,
                    planted.y,
                    detection
                        .signals
                        .iter()
                        .filter(|s| s.kind == kind)
                        .map(|s| (s.start_ms, s.pos_in_page))
                        .collect::<Vec<_>>()
                ));
            }
        }
        for signal in &detection.signals {
            let t = tally.get_mut(&signal.kind).unwrap();
            t.detected += 1;
            if truth.planted.iter().any(|p| matches(signal, p)) {
                t.correct += 1;
            } else {
                let line = format!(
                    "{}: {} at {} {:?} on {:?} ({})",
                    truth.recording,
                    signal.kind,
                    signal.start_ms,
                    signal.pos_in_page,
                    signal.target,
                    signal.detail
                );
                if truth.planted.is_empty() {
                    control_hits.push(line);
                } else {
                    extras.push(line);
                }
            }
        }
    }
    println!("\nkind              planted  found  recall  detected  correct  precision");
    for (kind, t) in &tally {
        let ratio = |a: usize, b: usize| {
            if b == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}", a as f64 / b as f64)
            }
        };
        println!(
            "{:<17} {:>7} {:>6} {:>7} {:>9} {:>8} {:>10}",
            kind.as_str(),
            t.planted,
            t.found,
            ratio(t.found, t.planted),
            t.detected,
            t.correct,
            ratio(t.correct, t.detected)
        );
    }
    println!("dead clicks unknown (no DOM change recorded): {unknown_dead:?}");
    for line in &extras {
        println!("not planted: {line}");
    }
    for line in &control_hits {
        println!("in a control: {line}");
    }
    assert!(misses.is_empty(), "missed:\n{}", misses.join("\n"));
    assert!(
        control_hits.is_empty(),
        "signals in recordings without planted signals:\n{}",
        control_hits.join("\n")
    );
}
