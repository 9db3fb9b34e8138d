//! The rrweb benchmarks' input, shared by `core` and `json_walk`.

use std::path::PathBuf;

/// One JSON array of the real recordings' events (tests/fixtures/rrweb), repeated to about
/// `target_bytes`: what tools/bench/rrweb-vs-node.sh builds, smaller.
pub fn rrweb_array(target_bytes: usize) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rrweb");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".json") && !name.ends_with(".truth.json")
        })
        .collect();
    names.sort();
    let recordings: Vec<(i64, String)> = names
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture");
            let events: Vec<serde_json::Value> = serde_json::from_str(&text).expect("events");
            let start = events
                .iter()
                .filter_map(|e| e["timestamp"].as_i64())
                .min()
                .expect("timestamps");
            let text = text.trim();
            (start, text[1..text.len() - 1].to_owned())
        })
        .collect();
    // One session may span at most 7 days: the recordings made within 6 days of the earliest
    // (the first recording run; later ones were made days after), as
    // tools/bench/rrweb-vs-node.sh takes them.
    let earliest = recordings
        .iter()
        .map(|(t, _)| *t)
        .min()
        .expect("recordings");
    let bodies: Vec<String> = recordings
        .into_iter()
        .filter(|(t, _)| t - earliest < 6 * 86_400_000)
        .map(|(_, body)| body)
        .collect();
    let mut out = b"[".to_vec();
    'fill: loop {
        for body in &bodies {
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend_from_slice(body.as_bytes());
            if out.len() >= target_bytes {
                break 'fill;
            }
        }
    }
    out.push(b']');
    out
}
