use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::*;
use crate::format::{ReadOptions, load_bytes, load_path};

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/public/rrweb-player-demo.events.js"
);
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rrweb");

fn read(json: &str) -> (Vec<Session>, Warnings) {
    read_rrweb(json.as_bytes(), "test.json", &Limits::default()).unwrap()
}

fn read_one(json: &str) -> (Session, Warnings) {
    let (mut sessions, warnings) = read(json);
    assert_eq!(sessions.len(), 1);
    (sessions.remove(0), warnings)
}

fn read_err(json: &str) -> String {
    read_rrweb(json.as_bytes(), "bad.json", &Limits::default())
        .unwrap_err()
        .to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// PostHog's `strFromU8(gzipSync(...), true)`: each byte becomes one latin-1 character.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// The `Click` events (not double clicks, context menus or touch start/end).
fn clicks(s: &Session) -> Vec<&Event> {
    s.events
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                EventKind::Click {
                    kind: ClickKind::Click,
                    ..
                }
            )
        })
        .collect()
}

fn count(s: &Session, family: &str) -> usize {
    s.events
        .iter()
        .filter(|e| e.kind.family() == family)
        .count()
}

/// A small page: document 1 > html 2 > body 3 > (div#promo 4 > a.cta 5 > "Shop" 6),
/// (ul 7 > li 8 > "a" 9, li 10 > button.add 11 > "Add" 12), input#email 13.
const SNAPSHOT: &str = r#"{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[
  {"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[
   {"type":2,"tagName":"body","id":3,"attributes":{},"childNodes":[
    {"type":2,"tagName":"div","id":4,"attributes":{"id":"promo","style":"position: fixed; top: 0"},"childNodes":[
      {"type":2,"tagName":"a","id":5,"attributes":{"class":"cta big","href":"https://shop.test/sale"},"childNodes":[
        {"type":3,"id":6,"textContent":"  Shop \n  now  "}]}]},
    {"type":2,"tagName":"ul","id":7,"attributes":{},"childNodes":[
      {"type":2,"tagName":"li","id":8,"attributes":{},"childNodes":[{"type":3,"id":9,"textContent":"a"}]},
      {"type":2,"tagName":"li","id":10,"attributes":{},"childNodes":[
        {"type":2,"tagName":"button","id":11,"attributes":{"class":"add"},"childNodes":[{"type":3,"id":12,"textContent":"Add"}]}]}]},
    {"type":2,"tagName":"input","id":13,"attributes":{"id":"email","type":"email","name":"email","placeholder":"you@x"},"childNodes":[]}
   ]}]}]},"initialOffset":{"left":0,"top":0}},"timestamp":1000}"#;

fn small_recording(extra: &str) -> String {
    format!(
        r#"[{{"type":4,"data":{{"href":"https://shop.test/?utm_source=google&utm_medium=cpc","width":1440,"height":900}},"timestamp":1000}},
{SNAPSHOT}{extra}]"#
    )
}

#[test]
fn imports_the_public_rrweb_player_demo() {
    let path = Path::new(DEMO);
    assert!(
        path.exists(),
        "missing public fixture {DEMO}: it must sit beside the repository"
    );
    let loaded = load_path(path, &ReadOptions::default()).unwrap();
    assert_eq!(loaded.sessions.len(), 1);
    let s = &loaded.sessions[0];
    assert_eq!(s.session_id, "8dda0c07-b950-47ec-a5ea-3d25746042bf");
    assert_eq!(s.pages.len(), 1);
    assert_eq!(s.pages[0].url, "https://demoit.app/e/react#ReactHooks.js");
    assert_eq!(
        s.pages[0].viewport,
        SizePx {
            width: 1166,
            height: 705
        }
    );
    // 14 MouseInteraction events: 3 mouse-down, 3 mouse-up (not modelled), 3 clicks, 2 focus
    // and 3 blur; all of the modelled ones resolve to an element.
    assert_eq!(s.num_clicks(), 3);
    let interactions: Vec<&Event> = s
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Click { .. } | EventKind::Focus { .. } | EventKind::Blur { .. }
            )
        })
        .collect();
    assert_eq!(interactions.len(), 8);
    for e in &interactions {
        let target = match &e.kind {
            EventKind::Click { target, .. }
            | EventKind::Focus { target }
            | EventKind::Blur { target } => *target,
            _ => None,
        };
        let d = s.target(target).expect("target resolved");
        assert!(!d.tag.is_empty() && !d.selector.is_empty(), "{d:?}");
    }
    // 12 scrolls, all of scrollable panes (not the document).
    assert_eq!(count(s, "scroll"), 12);
    assert_eq!(
        count(s, "move"),
        s.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::PointerMove { .. }))
            .count()
    );
    assert!(
        count(s, "move") > 18,
        "every mouse-move batch holds several positions"
    );
    assert!(count(s, "dom") > 0);
    // Page coordinates = viewport + document scroll (here always 0).
    for e in &s.events {
        if let EventKind::Click {
            pos_in_page,
            pos_in_viewport,
            ..
        } = e.kind
        {
            let scroll = s.scroll_at(e.page, e.timestamp_ms);
            assert_eq!(pos_in_page, scroll.page_from_viewport(pos_in_viewport));
        }
    }
    assert_eq!(s.started_at_ms, 1_544_756_766_750);
    assert_eq!(s.device, DeviceClass::Desktop);
    assert!(
        s.events
            .windows(2)
            .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms)
    );
}

#[derive(serde::Deserialize)]
struct Truth {
    recording: String,
    page_loads: Vec<TruthPage>,
    clicks: Vec<TruthClick>,
    errors: Vec<TruthError>,
    custom_events: Vec<TruthCustom>,
    converted: bool,
}

#[derive(serde::Deserialize)]
struct TruthPage {
    url: String,
    max_depth_px: f32,
}

#[derive(serde::Deserialize)]
struct TruthClick {
    page_x: f32,
    page_y: f32,
    client_x: f32,
    client_y: f32,
    target_tag: String,
    target_selector: String,
}

#[derive(serde::Deserialize)]
struct TruthError {
    t_ms: i64,
    message: String,
}

#[derive(serde::Deserialize)]
struct TruthCustom {
    name: String,
}

fn truth_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("cannot list {FIXTURES}: {e}"))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn real_recordings_match_their_ground_truth() {
    let files = truth_files();
    assert!(!files.is_empty(), "no *.truth.json in {FIXTURES}");
    for truth_path in files {
        let truth: Truth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
        let name = truth.recording.clone();
        let recording = Path::new(FIXTURES).join(&truth.recording);
        let loaded = load_path(&recording, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.sessions.len(), 1, "{name}");
        let s = &loaded.sessions[0];

        assert_eq!(s.pages.len(), truth.page_loads.len(), "{name}: page views");
        let stats = s.page_stats();
        for (i, (page, want)) in s.pages.iter().zip(&truth.page_loads).enumerate() {
            assert_eq!(page.url, want.url, "{name}: page {i} url");
            assert_eq!(
                stats[i].max_depth_px, want.max_depth_px,
                "{name}: page {i} max scroll depth"
            );
        }

        let got = clicks(s);
        assert_eq!(got.len(), truth.clicks.len(), "{name}: click count");
        // Each press counts once: the double-click event that follows two clicks adds nothing.
        assert_eq!(s.num_clicks(), truth.clicks.len(), "{name}: num_clicks");
        for (i, (e, want)) in got.iter().zip(&truth.clicks).enumerate() {
            let EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                target,
                ..
            } = &e.kind
            else {
                unreachable!()
            };
            assert!(
                (pos_in_page.x - want.page_x).abs() <= 1.0
                    && (pos_in_page.y - want.page_y).abs() <= 1.0,
                "{name}: click {i} at page {pos_in_page:?}, truth ({}, {})",
                want.page_x,
                want.page_y
            );
            assert!(
                (pos_in_viewport.x - want.client_x).abs() <= 1.0
                    && (pos_in_viewport.y - want.client_y).abs() <= 1.0,
                "{name}: click {i} at viewport {pos_in_viewport:?}"
            );
            let d = s
                .target(*target)
                .unwrap_or_else(|| panic!("{name}: click {i} target"));
            assert_eq!(d.tag, want.target_tag, "{name}: click {i} tag");
            assert_eq!(
                d.selector, want.target_selector,
                "{name}: click {i} selector"
            );
        }

        for want in &truth.errors {
            assert!(
                s.events
                    .iter()
                    .any(|e| matches!(&e.kind, EventKind::Error { message }
                    if *message == want.message && (e.timestamp_ms - want.t_ms).abs() <= 1000)),
                "{name}: error {:?} not captured",
                want.message
            );
        }
        for want in &truth.custom_events {
            assert!(
                s.events.iter().any(
                    |e| matches!(&e.kind, EventKind::Custom { name, .. } if *name == want.name)
                ),
                "{name}: custom event {:?} missing",
                want.name
            );
        }
        assert_eq!(s.converted(), truth.converted, "{name}: converted");
        assert_eq!(
            s.session_id,
            name.trim_end_matches(".json"),
            "{name}: session id"
        );
    }
}

#[test]
fn converts_clicks_scrolls_moves_and_targets() {
    let (s, warnings) = read_one(&small_recording(
        r#",
{"type":3,"data":{"source":3,"id":1,"x":0,"y":500},"timestamp":2000},
{"type":3,"data":{"source":1,"positions":[{"x":10,"y":20,"id":6,"timeOffset":-1200},{"x":11,"y":21,"id":6,"timeOffset":-100}]},"timestamp":2100},
{"type":3,"data":{"source":2,"type":2,"id":6,"x":100,"y":40,"pointerType":0},"timestamp":2200},
{"type":3,"data":{"source":2,"type":4,"id":11,"x":100,"y":40},"timestamp":2300},
{"type":3,"data":{"source":2,"type":3,"id":11,"x":100,"y":40},"timestamp":2400},
{"type":3,"data":{"source":2,"type":7,"id":11,"x":5,"y":6,"pointerType":2},"timestamp":2500},
{"type":3,"data":{"source":2,"type":9,"id":11,"x":5,"y":6,"pointerType":2},"timestamp":2501},
{"type":3,"data":{"source":2,"type":1,"id":11,"x":5,"y":6},"timestamp":2502},
{"type":3,"data":{"source":2,"type":5,"id":13},"timestamp":2600},
{"type":3,"data":{"source":5,"text":"a@b.c","isChecked":false,"id":13},"timestamp":2700},
{"type":3,"data":{"source":2,"type":6,"id":13},"timestamp":2800},
{"type":3,"data":{"source":3,"id":7,"x":0,"y":30},"timestamp":2900},
{"type":3,"data":{"source":4,"width":1200,"height":700},"timestamp":3000},
{"type":3,"data":{"source":6,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":3100}"#,
    ));
    assert!(warnings.is_empty(), "{:?}", warnings.lines());
    assert_eq!(s.session_id, "test");
    assert_eq!(
        s.started_at_ms, 900,
        "the first mouse position precedes its batch"
    );
    assert_eq!(s.duration_ms, 2200);
    assert_eq!(s.device, DeviceClass::Desktop, "touch, but 1440 px wide");
    assert_eq!(s.source.utm_source.as_deref(), Some("google"));
    assert_eq!(s.pages.len(), 1);
    assert_eq!(s.pages[0].left_at_ms, 3100);

    let moves: Vec<PagePos> = s
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::PointerMove { pos_in_page, .. } => Some(pos_in_page),
            _ => None,
        })
        .collect();
    // The first sample (t = 900) precedes the scroll at 2000, the second (t = 2000) follows it.
    assert_eq!(moves[0], PagePos { x: 10.0, y: 20.0 });
    assert_eq!(moves[1], PagePos { x: 11.0, y: 521.0 });
    assert_eq!(moves[2], PagePos { x: 1.0, y: 502.0 });

    let kinds: Vec<ClickKind> = s
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Click { kind, .. } => Some(kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ClickKind::Click,
            ClickKind::DoubleClick,
            ClickKind::ContextMenu,
            ClickKind::TouchStart,
            ClickKind::TouchEnd
        ]
    );
    let first = s
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Click { .. }))
        .unwrap();
    let EventKind::Click {
        pos_in_page,
        pos_in_viewport,
        target,
        pointer,
        ..
    } = first.kind
    else {
        unreachable!()
    };
    assert_eq!(pos_in_viewport, ViewportPos { x: 100.0, y: 40.0 });
    assert_eq!(pos_in_page, PagePos { x: 100.0, y: 540.0 });
    assert_eq!(pointer, PointerType::Mouse);
    // The click hit the text node: the descriptor is its element.
    let link = s.target(target).unwrap();
    assert_eq!(link.tag, "a");
    assert_eq!(link.classes, ["cta", "big"]);
    assert_eq!(link.href.as_deref(), Some("https://shop.test/sale"));
    assert_eq!(link.text.as_deref(), Some("Shop now"));
    assert_eq!(link.selector, "#promo > a.cta.big");
    assert!(link.fixed);

    let button_clicks: Vec<Option<u32>> = s
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Click { target, .. } => Some(target),
            _ => None,
        })
        .skip(1)
        .collect();
    assert!(
        button_clicks.iter().all(|t| *t == button_clicks[0]),
        "deduplicated"
    );
    let button = s.target(button_clicks[0]).unwrap();
    assert_eq!(
        button.selector,
        "body > ul > li:nth-of-type(2) > button.add"
    );
    assert_eq!(button.text.as_deref(), Some("Add"));
    assert!(!button.fixed);
    assert_eq!(s.targets.len(), 4, "a, button, input, ul");

    let input = s
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Input {
                target,
                value_len,
                value,
                checked,
            } => Some((*target, *value_len, value.clone(), *checked)),
            _ => None,
        })
        .unwrap();
    assert_eq!(input.1, 5);
    // The reader carries the typed text; the import drops it unless the user opted in
    // (see `format::load_bytes`).
    assert_eq!(input.2.as_deref(), Some("a@b.c"));
    assert_eq!(input.3, None);
    let field = s.target(input.0).unwrap();
    assert_eq!(field.selector, "#email");
    assert_eq!(field.input_type.as_deref(), Some("email"));
    assert_eq!(field.text.as_deref(), Some("you@x"));
    assert_eq!(count(&s, "input"), 3, "focus, input, blur");

    assert!(s.events.iter().any(|e| matches!(
        e.kind,
        EventKind::ElementScroll {
            target: Some(_),
            offset: ScrollOffset { y: 30.0, .. }
        }
    )));
    assert!(s.events.iter().any(|e| matches!(
        e.kind,
        EventKind::Resize {
            viewport: SizePx {
                width: 1200,
                height: 700
            }
        }
    )));
    assert_eq!(s.page_stats()[0].max_depth_px, 1400.0);
}

#[test]
fn mutations_update_the_mirror_and_mark_dom_changes() {
    let (s, warnings) = read_one(&small_recording(
        r#",
{"type":3,"data":{"source":0,"adds":[{"parentId":3,"nextId":7,"node":{"type":2,"tagName":"section","id":20,"attributes":{"class":"toast"},"childNodes":[]}},
  {"parentId":20,"nextId":null,"node":{"type":2,"tagName":"a","id":21,"attributes":{"href":"/cart"},"childNodes":[{"type":3,"id":22,"textContent":"View cart"}]}}],
  "removes":[{"parentId":8,"id":9}],"texts":[{"id":12,"value":"Added"}],"attributes":[{"id":11,"attributes":{"id":"add-1","style":{"position":"sticky"}}}]},"timestamp":1500},
{"type":3,"data":{"source":8,"adds":[{"rule":"a{}","index":0}]},"timestamp":1500},
{"type":3,"data":{"source":13,"id":3},"timestamp":1600},
{"type":3,"data":{"source":2,"type":2,"id":22,"x":1,"y":1},"timestamp":1700},
{"type":3,"data":{"source":2,"type":2,"id":11,"x":1,"y":1},"timestamp":1800},
{"type":3,"data":{"source":0,"adds":[{"parentId":999,"node":{"type":2,"tagName":"p","id":30,"childNodes":[]}}],"removes":[{"parentId":1,"id":998}],"texts":[{"id":997,"value":"x"}],"attributes":[{"id":996,"attributes":{"class":"y"}}]},"timestamp":1900}"#,
    ));
    assert_eq!(count(&s, "dom"), 3, "two at 1500 coalesced, 1600, 1900");
    let targets: Vec<&ElementDescriptor> = s
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Click { target, .. } => s.target(target),
            _ => None,
        })
        .collect();
    assert_eq!(targets[0].selector, "body > section.toast > a");
    assert_eq!(targets[0].href.as_deref(), Some("/cart"));
    assert_eq!(targets[0].text.as_deref(), Some("View cart"));
    assert_eq!(targets[1].selector, "#add-1");
    assert_eq!(targets[1].text.as_deref(), Some("Added"));
    assert!(targets[1].fixed, "style diff set position: sticky");
    let unknown = warnings
        .lines()
        .into_iter()
        .find(|l| l.starts_with(warn::UNKNOWN_NODE))
        .unwrap();
    assert!(unknown.contains(": 4 "), "{unknown}");
}

#[test]
fn errors_and_custom_events() {
    let (s, _) = read_one(&small_recording(
        r#",
{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","trace":["f (x.js:1:2)"],"payload":["\"Uncaught TypeError: x is undefined\""]}},"timestamp":2000},
{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":["\"hello\"","3"]}},"timestamp":2001},
{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","payload":["\"failed:\"","42"]}},"timestamp":2002},
{"type":5,"data":{"tag":"purchase","payload":{"value":59.5,"currency":"EUR","items":2}},"timestamp":3000},
{"type":5,"data":{"tag":"newsletter","payload":"yes"},"timestamp":3001}"#,
    ));
    let errors: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Error { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(errors, ["Uncaught TypeError: x is undefined", "failed: 42"]);
    assert!(s.converted());
    assert_eq!(s.revenue(), Some(59.5));
    assert!(s.events.iter().any(|e| matches!(&e.kind,
        EventKind::Custom { name, value: None, currency: None } if name == "newsletter")));
}

#[test]
fn page_loads_start_page_views_and_checkouts_do_not() {
    let meta = |href: &str, t: i64| {
        format!(
            r#"{{"type":4,"data":{{"href":"{href}","width":390,"height":800}},"timestamp":{t}}}"#
        )
    };
    let snap = |t: i64| {
        format!(
            r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{t}}}"#
        )
    };
    let json = format!(
        r#"[{{"type":0,"data":{{}},"timestamp":900}},{},{},
{{"type":3,"data":{{"source":3,"id":1,"x":0,"y":300}},"timestamp":1500}},
{},{},
{{"type":0,"data":{{}},"timestamp":2900}},{{"type":1,"data":{{}},"timestamp":2950}},{},
{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[]}},"initialOffset":{{"top":120,"left":0}}}},"timestamp":3000}},
{{"type":0,"data":{{}},"timestamp":4000}},{},{}]"#,
        meta("https://a.test/", 1000),
        snap(1000),
        meta("https://a.test/", 2000), // checkout: same URL, no load
        snap(2000),
        meta("https://a.test/p", 3000),
        meta("https://a.test/", 4000), // back: a new load of the first URL
        snap(4000),
    );
    let (s, _) = read_one(&json);
    let urls: Vec<&str> = s.pages.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        urls,
        ["https://a.test/", "https://a.test/p", "https://a.test/"]
    );
    assert_eq!(s.pages[0].left_at_ms, 3000);
    assert_eq!(s.pages[2].left_at_ms, 4000);
    assert_eq!(s.started_at_ms, 900);
    assert_eq!(s.device, DeviceClass::Mobile);
    let stats = s.page_stats();
    assert_eq!(stats[0].max_depth_px, 1100.0);
    assert_eq!(stats[1].max_depth_px, 920.0, "initialOffset is a scroll");
    assert_eq!(stats[2].max_depth_px, 800.0);
}

#[test]
fn reads_every_input_form() {
    let events = r#"[{"type":4,"data":{"href":"https://a.test/","width":1440,"height":900},"timestamp":1000},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1100}]"#;
    let check = |s: &Session| {
        assert_eq!(s.pages.len(), 1);
        assert_eq!(s.num_clicks(), 1);
    };
    // Plain array, wrappers.
    check(&read_one(events).0);
    for key in ["events", "data", "snapshots"] {
        let (s, _) = read_one(&format!(r#"{{"{key}":{events},"$session_id":"abc"}}"#));
        check(&s);
        assert_eq!(s.session_id, "abc");
    }
    // JS wrappers.
    for js in [
        format!("/* x */\nconst events = {events};\n"),
        format!("var events = {events}"),
    ] {
        let loaded =
            load_bytes(js.into_bytes(), "demo.events.js", &ReadOptions::default()).unwrap();
        check(&loaded.sessions[0]);
        assert_eq!(loaded.sessions[0].session_id, "demo");
    }
    // gzip-compressed JSON, through load_bytes.
    let loaded = load_bytes(
        gzip(events.as_bytes()),
        "r.json.gz",
        &ReadOptions::default(),
    )
    .unwrap();
    check(&loaded.sessions[0]);
    assert_eq!(loaded.sessions[0].session_id, "r");
}

#[test]
fn reads_posthog_json_lines_with_windows() {
    let w1 = r#"{"window_id":"w1","data":[{"type":4,"data":{"href":"https://a.test/","width":1440,"height":900},"timestamp":1000},{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1100}]}"#;
    let w2 = r#"{"window_id":"w2","data":[{"type":4,"data":{"href":"https://a.test/b","width":1440,"height":900},"timestamp":1050},{"type":3,"data":{"source":2,"type":2,"id":5,"x":3,"y":4},"timestamp":1200}]}"#;
    let jsonl = format!("{w1}\n{w2}\n");
    let loaded = load_bytes(jsonl.into_bytes(), "ph.jsonl", &ReadOptions::default()).unwrap();
    let s = &loaded.sessions[0];
    assert_eq!(s.session_id, "w1");
    assert_eq!(s.pages.len(), 2);
    assert_eq!((s.pages[0].tab, s.pages[1].tab), (0, 1));
    assert_eq!(
        s.pages[0].left_at_ms, 1200,
        "each tab's last page lasts to the end"
    );
    assert_eq!(s.num_clicks(), 2);
    assert_eq!(s.events[1].page, 1);

    // `["window", event]` lines, gzip-compressed as a whole.
    let pairs = r#"["w1", {"type":4,"data":{"href":"https://a.test/","width":800,"height":600},"timestamp":1000}]
["w2", {"type":4,"data":{"href":"https://a.test/x","width":800,"height":600},"timestamp":1001}]
["w1", {"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1100}]
"#;
    let loaded = load_bytes(
        gzip(pairs.as_bytes()),
        "p.jsonl.gz",
        &ReadOptions::default(),
    )
    .unwrap();
    let s = &loaded.sessions[0];
    assert_eq!(s.pages.len(), 2);
    assert_eq!(s.pages[1].tab, 1);
    assert_eq!(s.num_clicks(), 1);
    assert_eq!(s.events[0].page, 0);
}

#[test]
fn reads_posthog_compressed_events() {
    let snapshot_data = r#"{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[{"type":2,"tagName":"body","id":3,"attributes":{},"childNodes":[]}]}]},"initialOffset":{"top":200,"left":0}}"#;
    let adds = r#"[{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"button","id":4,"attributes":{"id":"buy"},"childNodes":[]}}]"#;
    let packed = |json: &str| serde_json::to_string(&latin1(&gzip(json.as_bytes()))).unwrap();
    let lines = format!(
        r#"["w", {{"type":4,"data":{{"href":"https://a.test/","width":1440,"height":900}},"timestamp":1000}}]
["w", {{"type":2,"data":{},"timestamp":1001,"cv":"2024-10"}}]
["w", {{"type":3,"data":{{"source":0,"adds":{},"removes":{},"texts":{},"attributes":{}}},"timestamp":1100,"cv":"2024-10"}}]
["w", {{"type":3,"data":{{"source":2,"type":2,"id":4,"x":10,"y":10}},"timestamp":1200,"cv":"2024-10"}}]
"#,
        packed(snapshot_data),
        packed(adds),
        packed("[]"),
        packed("[]"),
        packed("[]"),
    );
    let (s, warnings) = read_one(&lines);
    assert!(warnings.is_empty(), "{:?}", warnings.lines());
    let click = clicks(&s)[0];
    let EventKind::Click {
        pos_in_page,
        target,
        ..
    } = click.kind
    else {
        unreachable!()
    };
    assert_eq!(pos_in_page, PagePos { x: 10.0, y: 210.0 });
    assert_eq!(s.target(target).unwrap().selector, "#buy");
}

#[test]
fn posthog_gzip_bomb_is_refused_past_the_cap() {
    let big = format!("[{}]", vec!["0"; 200_000].join(","));
    let packed = serde_json::to_string(&latin1(&gzip(big.as_bytes()))).unwrap();
    let json = format!(
        r#"[{{"type":4,"data":{{"href":"https://a.test/","width":1440,"height":900}},"timestamp":1000}},
{{"type":3,"data":{{"source":0,"adds":{packed}}},"timestamp":1100,"cv":"2024-10"}}]"#
    );
    let limits = Limits {
        max_inflated_bytes: 100_000,
        ..Limits::default()
    };
    let err = read_rrweb(json.as_bytes(), "bomb.json", &limits)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("bomb.json: event 1: the decompressed `adds`"),
        "{err}"
    );
    assert!(err.contains("exceeds the limit of 100000 bytes"), "{err}");
    // Within the cap it reads (the list holds no objects).
    assert!(read_rrweb(json.as_bytes(), "bomb.json", &Limits::default()).is_ok());
}

#[test]
fn hostile_inputs_fail_clearly_or_warn() {
    // Truncated.
    let full = small_recording("");
    let err = read_err(&full[..full.len() / 2]);
    assert!(err.starts_with("bad.json: events["), "{err}");
    assert!(err.contains("truncated"), "{err}");

    // Not rrweb.
    let err = read_err(r#"[{"a":1},{"b":2}]"#);
    assert!(
        err.starts_with(
            "bad.json: JSON array of 2 items that are not rrweb events (no numeric \"type\"; first item: object with keys {\"a\"}). Accepted: "
        ),
        "{err}"
    );
    assert!(read_err(r#"{"hello":"world"}"#).contains("nor an rrweb recording"));
    assert!(read_err("").contains("empty"));

    // Events without type, with bad timestamps, unknown types and sources: warnings.
    let (s, warnings) = read_one(&small_recording(
        r#",{"data":{}},{"type":"x","timestamp":5},{"type":3,"data":{"source":1,"positions":[]}},
{"type":99,"data":{},"timestamp":1200},{"type":3,"data":{"source":77},"timestamp":1200},
{"type":3,"data":{"source":2,"type":42,"id":5,"x":1,"y":1},"timestamp":1200}, 17, null"#,
    ));
    assert_eq!(s.pages.len(), 1);
    let lines = warnings.lines().join("\n");
    assert!(
        lines.contains(&format!("{}: 4", warn::NOT_EVENT)),
        "{lines}"
    );
    assert!(lines.contains(&format!("{}: 1", warn::BAD_TIME)), "{lines}");
    assert!(
        lines.contains(&format!("{}: 1", warn::UNKNOWN_TYPE)),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("{}: 1", warn::UNKNOWN_SOURCE)),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("{}: 1", warn::UNKNOWN_INTERACTION)),
        "{lines}"
    );

    // NaN (null / string) and absurd coordinates: the event is dropped and counted.
    let (s, warnings) = read_one(&small_recording(
        r#",
{"type":3,"data":{"source":2,"type":2,"id":5,"x":null,"y":1},"timestamp":1100},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":"NaN","y":1},"timestamp":1101},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1e12,"y":1},"timestamp":1102},
{"type":3,"data":{"source":1,"positions":[{"x":1e300,"y":1,"timeOffset":0},{"x":1,"y":1,"timeOffset":1e300}]},"timestamp":1103},
{"type":3,"data":{"source":3,"id":1,"x":0,"y":-1e12},"timestamp":1104},
{"type":3,"data":{"source":4,"width":-5,"height":1e12},"timestamp":1105}"#,
    ));
    assert_eq!(s.num_clicks(), 0);
    assert_eq!(
        count(&s, "move") + count(&s, "scroll") + count(&s, "resize"),
        0
    );
    let lines = warnings.lines().join("\n");
    assert!(
        lines.contains(&format!("{}: 5", warn::BAD_COORDINATE)),
        "{lines}"
    );
    assert!(lines.contains(&format!("{}: 1", warn::BAD_SIZE)), "{lines}");

    // Literal NaN is not JSON: a clear parse error with the place.
    let err =
        read_err(r#"[{"type":3,"data":{"source":2,"type":2,"id":5,"x":NaN,"y":1},"timestamp":1}]"#);
    assert!(err.starts_with("bad.json: events[0]: "), "{err}");
    assert!(err.contains("line 1, column"), "{err}");

    // No FullSnapshot, no Meta: targets unknown (warned), document scroll assumed for id 1.
    let (s, warnings) = read_one(
        r#"[{"type":3,"data":{"source":3,"id":1,"x":0,"y":100},"timestamp":1000},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1100}]"#,
    );
    assert_eq!(s.pages.len(), 1);
    assert_eq!(s.pages[0].url, "");
    let EventKind::Click {
        pos_in_page,
        target,
        ..
    } = clicks(&s)[0].kind
    else {
        unreachable!()
    };
    assert_eq!(pos_in_page, PagePos { x: 1.0, y: 102.0 });
    assert_eq!(target, None);
    let lines = warnings.lines().join("\n");
    assert!(lines.contains(warn::NO_META), "{lines}");
    assert!(lines.contains(warn::UNKNOWN_TARGET), "{lines}");
}

#[test]
fn deep_nesting_is_refused_or_skipped_without_crashing() {
    // 100,000 nested arrays: skipped as non-events (no recursion), so "not rrweb".
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = read_err(&deep);
    assert!(err.contains("not rrweb events"), "{err}");

    // 100,000 nested objects in an unused field: skipped.
    let deep_obj = format!(
        r#"[{{"type":4,"data":{{"href":"h","width":1,"height":1,"junk":{}1{}}},"timestamp":1}}]"#,
        r#"{"a":"#.repeat(100_000),
        "}".repeat(100_000)
    );
    assert_eq!(read_one(&deep_obj).0.pages.len(), 1);

    // A DOM 100,000 levels deep: a clear error naming the file and the event.
    let node = r#"{"type":2,"tagName":"div","id":1,"childNodes":["#;
    let deep_dom = format!(
        r#"[{{"type":2,"data":{{"node":{}{}}},"timestamp":1}}]"#,
        node.repeat(100_000),
        "]}".repeat(100_000)
    );
    let err = read_err(&deep_dom);
    assert!(
        err.starts_with("bad.json: events[0]: DOM tree nested deeper than 1000 levels"),
        "{err}"
    );

    // A DOM just under the cap is fine.
    let ok_dom = format!(
        r#"[{{"type":2,"data":{{"node":{}{}}},"timestamp":1}}]"#,
        node.repeat(900),
        "]}".repeat(900)
    );
    assert!(read_rrweb(ok_dom.as_bytes(), "ok.json", &Limits::default()).is_ok());
}

#[test]
fn out_of_order_events_are_sorted() {
    let (s, _) = read_one(
        r#"[{"type":4,"data":{"href":"https://a.test/","width":1440,"height":900},"timestamp":1000},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1300},
{"type":3,"data":{"source":3,"id":1,"x":0,"y":100},"timestamp":1200},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1100}]"#,
    );
    let ys: Vec<f32> = clicks(&s)
        .iter()
        .map(|e| match e.kind {
            EventKind::Click { pos_in_page, .. } => pos_in_page.y,
            _ => 0.0,
        })
        .collect();
    assert_eq!(ys, [2.0, 102.0]);
}

#[test]
fn several_recording_ids_make_several_sessions() {
    let (sessions, _) = read(
        r#"[{"type":4,"data":{"href":"https://a.test/","width":1440,"height":900},"timestamp":1000,"sessionId":"a"},
{"type":4,"data":{"href":"https://b.test/","width":1440,"height":900},"timestamp":5000,"sessionId":"b"},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":5100}]"#,
    );
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].session_id, "a");
    assert_eq!(sessions[1].session_id, "b");
    assert_eq!(sessions[1].num_clicks(), 1);
    assert_eq!(sessions[0].duration_ms, 0);
}

#[test]
fn invalid_sessions_become_format_errors() {
    // Eight days between two events exceed the 7-day session limit.
    let err = read_err(
        r#"[{"type":4,"data":{"href":"https://a.test/","width":1440,"height":900},"timestamp":1000},
{"type":3,"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":691201000}]"#,
    );
    assert!(err.starts_with("bad.json: duration_ms: "), "{err}");
}

#[test]
fn stems_of_file_names() {
    assert_eq!(
        stem_of("a/b/rrweb-player-demo.events.js"),
        "rrweb-player-demo"
    );
    assert_eq!(stem_of("x.json.gz"), "x");
    assert_eq!(stem_of("C:\\r\\s1.jsonl"), "s1");
    assert_eq!(stem_of(".json"), ".json");
}

// ---------------------------------------------------------------------------------------------
// Single-page apps and the recorders' own events (posthog-js, Sentry, rrweb plugins).

mod spa {
    use super::*;
    use crate::analysis::signals::{SignalKind, SignalSettings, detect};

    /// Epoch ms of the recordings below.
    const T0: i64 = 1_700_000_000_000;

    fn meta(href: &str, dt: i64, w: u32, h: u32) -> String {
        format!(
            r#"{{"type":4,"data":{{"href":"{href}","width":{w},"height":{h}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    /// document 1 > html 2 > body 3 > a#next 4 > "Next" 5.
    fn snap(dt: i64, top: f64) -> String {
        format!(
            r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"html","id":2,"attributes":{{}},"childNodes":[{{"type":2,"tagName":"body","id":3,"attributes":{{}},"childNodes":[{{"type":2,"tagName":"a","id":4,"attributes":{{"id":"next","href":"/b"}},"childNodes":[{{"type":3,"id":5,"textContent":"Next"}}]}},{{"type":2,"tagName":"div","id":6,"attributes":{{"class":"promo"}},"childNodes":[]}}]}}]}}]}},"initialOffset":{{"left":0,"top":{top}}}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    fn load(dt: i64) -> String {
        format!(
            r#"{{"type":0,"data":{{}},"timestamp":{}}},{{"type":1,"data":{{}},"timestamp":{}}}"#,
            T0 + dt - 2,
            T0 + dt - 1
        )
    }

    fn scroll(y: f64, dt: i64) -> String {
        format!(
            r#"{{"type":3,"data":{{"source":3,"id":1,"x":0,"y":{y}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    fn click(x: f64, y: f64, dt: i64) -> String {
        format!(
            r#"{{"type":3,"data":{{"source":2,"type":2,"id":4,"x":{x},"y":{y}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    /// A click on the empty promo box (not on the "Next" link, whose text rage detection
    /// ignores).
    fn promo_click(x: f64, y: f64, dt: i64) -> String {
        format!(
            r#"{{"type":3,"data":{{"source":2,"type":2,"id":6,"x":{x},"y":{y}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    fn resize(w: u32, h: u32, dt: i64) -> String {
        format!(
            r#"{{"type":3,"data":{{"source":4,"width":{w},"height":{h}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    fn custom(tag: &str, payload: &str, dt: i64) -> String {
        format!(
            r#"{{"type":5,"data":{{"tag":"{tag}","payload":{payload}}},"timestamp":{}}}"#,
            T0 + dt
        )
    }

    /// A Sentry performance span: its wrapper timestamp is in seconds.
    fn span(op: &str, description: &str, data: &str, dt: i64) -> String {
        let seconds = (T0 + dt) as f64 / 1000.0;
        format!(
            r#"{{"type":5,"timestamp":{seconds},"data":{{"tag":"performanceSpan","payload":{{"op":"{op}","description":"{description}","startTimestamp":{seconds},"endTimestamp":{seconds},"data":{data}}}}}}}"#
        )
    }

    fn breadcrumb(category: &str, rest: &str, dt: i64) -> String {
        custom(
            "breadcrumb",
            &format!(
                r#"{{"timestamp":{},"type":"default","category":"{category}"{rest}}}"#,
                (T0 + dt) as f64 / 1000.0
            ),
            dt,
        )
    }

    fn recording(events: &[String]) -> String {
        format!("[{}]", events.join(",\n"))
    }

    fn urls(s: &Session) -> Vec<&str> {
        s.pages.iter().map(|p| p.url.as_str()).collect()
    }

    /// (page, page x, page y) of each plain click.
    fn clicks_per_page(s: &Session) -> Vec<(u32, f32, f32)> {
        clicks(s)
            .iter()
            .map(|e| match &e.kind {
                EventKind::Click { pos_in_page, .. } => (e.page, pos_in_page.x, pos_in_page.y),
                _ => unreachable!(),
            })
            .collect()
    }

    /// An SPA visit recorded by posthog-js and Sentry together: every kind of route event.
    fn spa_visit() -> String {
        recording(&[
            load(0),
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            // posthog-js repeats the loaded page's URL: no new page view.
            custom("$pageview", r#"{"href":"https://shop.test/"}"#, 20),
            scroll(600.0, 1000),
            click(100.0, 100.0, 1500),
            custom("$url_changed", r#"{"href":"https://shop.test/b"}"#, 2000),
            custom("$pageview", r#"{"href":"https://shop.test/b"}"#, 2010),
            click(50.0, 50.0, 2500),
            resize(1024, 700, 3000),
            // Sentry: a breadcrumb with paths, and a span with the URL, for the same push.
            breadcrumb(
                "navigation",
                r#","data":{"from":"/b","to":"/cart?x=1"}"#,
                4000,
            ),
            span(
                "navigation.push",
                "https://shop.test/cart?x=1",
                r#"{"previous":"/b"}"#,
                4001,
            ),
            scroll(0.0, 4500),
            // A span alone.
            span("navigation.push", "https://shop.test/done", "{}", 5000),
            // Mouse samples flushed after the route change, one dated before it.
            format!(
                r#"{{"type":3,"data":{{"source":1,"positions":[{{"x":1,"y":2,"id":4,"timeOffset":-300}},{{"x":3,"y":4,"id":4,"timeOffset":0}}]}},"timestamp":{}}}"#,
                T0 + 5200
            ),
            click(10.0, 20.0, 6000),
        ])
    }

    #[test]
    fn route_changes_from_each_recorder_start_page_views() {
        let (s, warnings) = read_one(&spa_visit());
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        assert_eq!(
            urls(&s),
            [
                "https://shop.test/",
                "https://shop.test/b",
                "https://shop.test/cart?x=1",
                "https://shop.test/done"
            ]
        );
        let entered: Vec<i64> = s.pages.iter().map(|p| p.entered_at_ms - T0).collect();
        assert_eq!(entered, [0, 2000, 4000, 5000]);
        let left: Vec<i64> = s.pages.iter().map(|p| p.left_at_ms - T0).collect();
        assert_eq!(left, [2000, 4000, 5000, 6000]);
        let viewports: Vec<(u32, u32)> = s
            .pages
            .iter()
            .map(|p| (p.viewport.width, p.viewport.height))
            .collect();
        assert_eq!(
            viewports,
            [(1280, 800), (1280, 800), (1024, 700), (1024, 700)],
            "a route's viewport is the viewport at the change"
        );
        assert!(s.pages.iter().all(|p| p.tab == 0));
        // Seconds timestamps of Sentry spans are converted: the session starts at the load.
        assert_eq!(s.started_at_ms, T0 - 2);
        assert_eq!(s.duration_ms, 6002);
        // Recorder events are not custom events.
        assert_eq!(count(&s, "custom"), 0);
    }

    #[test]
    fn scroll_carries_over_a_route_change_and_clicks_land_on_their_route() {
        let (s, _) = read_one(&spa_visit());
        assert_eq!(
            clicks_per_page(&s),
            [(0, 100.0, 700.0), (1, 50.0, 650.0), (3, 10.0, 20.0)]
        );
        // The route entered at scroll 600 records it at its entry.
        assert!(s.events.iter().any(|e| e.page == 1
            && e.timestamp_ms == T0 + 2000
            && matches!(e.kind, EventKind::Scroll { offset } if offset.y == 600.0)));
        // The cart route was entered at 600 too, but the app scrolled it to the top 500 ms
        // later: that offset belonged to the old content.
        assert!(
            !s.events.iter().any(|e| e.page == 2
                && matches!(e.kind, EventKind::Scroll { offset } if offset.y == 600.0))
        );
        let depth: Vec<f32> = s.page_stats().iter().map(|p| p.max_depth_px).collect();
        assert_eq!(depth, [1400.0, 1400.0, 700.0, 700.0]);
        let heights: Vec<u32> = s.pages.iter().map(|p| p.doc_size.height).collect();
        assert_eq!(heights, [1400, 1400, 700, 700], "doc_size lower bound");
        // A mouse sample dated before the route change belongs to the route it happened on.
        let moves: Vec<(u32, f32)> = s
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::PointerMove { pos_in_page, .. } => Some((e.page, pos_in_page.y)),
                _ => None,
            })
            .collect();
        assert_eq!(moves, [(2, 2.0), (3, 4.0)]);
    }

    #[test]
    fn spa_route_changes_give_no_false_signals() {
        let (s, _) = read_one(&spa_visit());
        let found = detect(&s, &SignalSettings::default());
        for signal in &found.signals {
            assert!(
                !matches!(
                    signal.kind,
                    SignalKind::QuickBack | SignalKind::ExcessiveScroll
                ),
                "{signal:?}"
            );
        }
        // A real back to the previous route is a quick back, on the route left.
        let back = recording(&[
            load(0),
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            custom("$url_changed", r#"{"href":"https://shop.test/b"}"#, 2000),
            breadcrumb("navigation", r#","data":{"from":"/b","to":"/"}"#, 3000),
            click(5.0, 5.0, 9000),
        ]);
        let (s, _) = read_one(&back);
        assert_eq!(s.pages.len(), 3);
        let quick: Vec<u32> = detect(&s, &SignalSettings::default())
            .signals
            .iter()
            .filter(|x| x.kind == SignalKind::QuickBack)
            .map(|x| x.page_index)
            .collect();
        assert_eq!(quick, [0]);
    }

    #[test]
    fn spa_visit_and_its_multi_page_twin_give_the_same_page_views_clicks_signals_and_heatmaps() {
        // The multi-page site: each page a load, a Meta and a snapshot at scroll 0.
        let mpa = recording(&[
            load(0),
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            scroll(600.0, 1000),
            click(100.0, 100.0, 1500),
            load(2000),
            meta("https://shop.test/b", 2000, 1280, 800),
            snap(2000, 0.0),
            click(50.0, 50.0, 2500),
            scroll(300.0, 2800),
            click(60.0, 60.0, 3000),
            promo_click(200.0, 60.0, 3100),
            promo_click(201.0, 60.0, 3250),
            promo_click(200.0, 61.0, 3400),
            load(4000),
            meta("https://shop.test/cart", 4000, 1280, 800),
            snap(4000, 0.0),
            click(70.0, 70.0, 4500),
        ]);
        // Its SPA twin: route events, and the router scrolls to the top after each push.
        let spa = recording(&[
            load(0),
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            custom("$pageview", r#"{"href":"https://shop.test/"}"#, 30),
            scroll(600.0, 1000),
            click(100.0, 100.0, 1500),
            custom("$url_changed", r#"{"href":"https://shop.test/b"}"#, 2000),
            scroll(0.0, 2001),
            click(50.0, 50.0, 2500),
            scroll(300.0, 2800),
            click(60.0, 60.0, 3000),
            promo_click(200.0, 60.0, 3100),
            promo_click(201.0, 60.0, 3250),
            promo_click(200.0, 61.0, 3400),
            breadcrumb("navigation", r#","data":{"from":"/b","to":"/cart"}"#, 4000),
            span("navigation.push", "https://shop.test/cart", "{}", 4000),
            scroll(0.0, 4001),
            click(70.0, 70.0, 4500),
        ]);
        let (m, _) = read_one(&mpa);
        let (s, warnings) = read_one(&spa);
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        assert_eq!(urls(&s), urls(&m));
        let entered =
            |x: &Session| -> Vec<i64> { x.pages.iter().map(|p| p.entered_at_ms).collect() };
        assert_eq!(entered(&s), entered(&m));
        assert_eq!(clicks_per_page(&s), clicks_per_page(&m));
        let num_clicks =
            |x: &Session| -> Vec<u32> { x.page_stats().iter().map(|p| p.num_clicks).collect() };
        assert_eq!(num_clicks(&s), num_clicks(&m));
        // The router scrolls each route to the top: the carried scroll is not the route's.
        let depth =
            |x: &Session| -> Vec<f32> { x.page_stats().iter().map(|p| p.max_depth_px).collect() };
        assert_eq!(depth(&m), [1400.0, 1100.0, 800.0]);
        assert_eq!(depth(&s), depth(&m));
        // The same signals (the three quick clicks on /b are a rage click) ...
        let signals = |x: &Session| {
            detect(x, &SignalSettings::default())
                .signals
                .iter()
                .map(|g| (g.kind, g.page_index, g.num_clicks, g.pos_in_page))
                .collect::<Vec<_>>()
        };
        assert!(
            signals(&m)
                .iter()
                .any(|g| g.0 == SignalKind::RageClick && g.1 == 1),
            "{:?} {:?} {:?}",
            signals(&m),
            clicks_per_page(&m),
            m.pages.iter().map(|p| p.url.as_str()).collect::<Vec<_>>()
        );
        assert_eq!(signals(&s), signals(&m));
        // ... and the same heatmaps of every page, each twin in a library of its own.
        let library = |x: &Session| {
            let mut lib = crate::store::Library::open_in_memory().unwrap();
            let loaded = crate::format::Loaded {
                sessions: vec![x.clone()],
                screenshots: Vec::new(),
                warnings: Warnings::default(),
            };
            lib.insert_loaded("twin.json", &loaded).unwrap();
            lib
        };
        let (lm, ls) = (library(&m), library(&s));
        use crate::analysis::heatmap::{HeatmapKind, HeatmapQuery};
        use crate::store::aggregate_heatmap as aggregate;
        for url in urls(&m) {
            for kind in [HeatmapKind::Click, HeatmapKind::Rage, HeatmapKind::Scroll] {
                let q = HeatmapQuery::new(url, kind, 1280);
                let (a, b) = (aggregate(&lm, &q).unwrap(), aggregate(&ls, &q).unwrap());
                assert_eq!(
                    (a.page_views, a.points),
                    (b.page_views, b.points),
                    "{url} {kind:?}"
                );
                assert_eq!(a.density.cells, b.density.cells, "{url} {kind:?}");
                assert_eq!(a.scroll_reach, b.scroll_reach, "{url} {kind:?}");
            }
        }
    }

    #[test]
    fn a_route_event_before_the_first_meta_names_the_page() {
        let json = recording(&[
            custom("$pageview", r#"{"href":"https://shop.test/x"}"#, 0),
            meta("https://shop.test/x", 5, 390, 800),
            snap(5, 0.0),
            // A re-snapshot after a route change is a checkout of the route.
            custom("$url_changed", r#"{"href":"https://shop.test/y"}"#, 1000),
            meta("https://shop.test/y", 1010, 390, 800),
            snap(1010, 0.0),
            click(1.0, 1.0, 1500),
        ]);
        let (s, warnings) = read_one(&json);
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        assert_eq!(urls(&s), ["https://shop.test/x", "https://shop.test/y"]);
        assert_eq!(s.pages[0].viewport.width, 390);
        assert_eq!(clicks_per_page(&s), [(1, 1.0, 1.0)]);
    }

    #[test]
    fn urls_resolve_against_the_page_and_fragments_are_not_routes() {
        use super::super::recorders::{is_new_route, resolve_url};
        let base = "https://shop.test:8080/a/b?q=1#top";
        assert_eq!(resolve_url(base, "/cart"), "https://shop.test:8080/cart");
        assert_eq!(resolve_url(base, "c?d=2"), "https://shop.test:8080/a/c?d=2");
        assert_eq!(resolve_url(base, "?q=2"), "https://shop.test:8080/a/b?q=2");
        assert_eq!(resolve_url(base, "#x"), "https://shop.test:8080/a/b?q=1#x");
        assert_eq!(resolve_url(base, "//cdn.test/x"), "https://cdn.test/x");
        assert_eq!(
            resolve_url(base, "http://other.test/"),
            "http://other.test/"
        );
        assert_eq!(resolve_url("https://shop.test", "p"), "https://shop.test/p");
        assert_eq!(resolve_url("", "/cart"), "/cart");
        assert!(!is_new_route("https://a.test", "https://a.test/"));
        assert!(!is_new_route(
            "https://a.test/p",
            "https://a.test/p#reviews"
        ));
        assert!(is_new_route(
            "https://a.test/#/home",
            "https://a.test/#/cart"
        ));
        assert!(!is_new_route("https://a.test/#/home", "https://a.test/"));
        assert!(is_new_route("https://a.test/p", "https://a.test/p?page=2"));

        let json = recording(&[
            meta("https://shop.test/p", 0, 1280, 800),
            snap(0, 0.0),
            breadcrumb(
                "navigation",
                r#","data":{"from":"/p","to":"/p#reviews"}"#,
                100,
            ),
            breadcrumb("navigation", r#","data":{"from":"/p","to":"q"}"#, 200),
        ]);
        let (s, _) = read_one(&json);
        assert_eq!(urls(&s), ["https://shop.test/p", "https://shop.test/q"]);
    }

    #[test]
    fn recorder_bookkeeping_is_not_custom_events_and_console_errors_are_errors() {
        let json = recording(&[
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            custom(
                "options",
                r#"{"sessionSampleRate":1,"useCompression":false}"#,
                1,
            ),
            custom("$remote_config_received", r#"{"sessionRecording":{}}"#, 2),
            custom("$session_options", r#"{"sampleRate":null}"#, 3),
            custom("$posthog_config", r#"{"config":{}}"#, 4),
            custom("$recording_started", "{}", 5),
            custom("$session_id_change", r#"{"sessionId":"x"}"#, 6),
            breadcrumb(
                "ui.click",
                r#","message":"a#next","data":{"nodeId":4}"#,
                100,
            ),
            breadcrumb("ui.input", r#","message":"input","data":{"nodeId":4}"#, 110),
            breadcrumb(
                "ui.slowClickDetected",
                r#","data":{"timeAfterClickMs":7000,"endReason":"timeout"}"#,
                120,
            ),
            breadcrumb("ui.multiClick", r#","data":{"clickCount":4}"#, 130),
            breadcrumb("console", r#","level":"log","message":"hello""#, 140),
            breadcrumb(
                "console",
                r#","level":"error","message":"TypeError: x is undefined","data":{"arguments":["TypeError"],"logger":"console"}"#,
                150,
            ),
            span("largest-contentful-paint", "", r#"{"value":1200}"#, 160),
            span("resource.script", "https://shop.test/app.js", "{}", 170),
            span(
                "navigation.navigate",
                "https://shop.test/",
                r#"{"size":100}"#,
                -50,
            ),
            custom("add_to_cart", r#"{"value":20}"#, 200),
            // A site's own breadcrumb: its event, the only way one reaches a Sentry replay.
            breadcrumb(
                "shop",
                r#","level":"info","message":"purchase","data":{"value":135.95,"currency":"EUR"}"#,
                210,
            ),
            breadcrumb("sentry.event", r#","message":"abc""#, 220),
        ]);
        let (s, warnings) = read_one(&json);
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        assert_eq!(urls(&s), ["https://shop.test/"]);
        let customs: Vec<&str> = s
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Custom { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(customs, ["add_to_cart", "purchase"]);
        assert_eq!(s.revenue(), Some(135.95));
        let errors: Vec<(i64, &str)> = s
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Error { message } => Some((e.timestamp_ms - T0, message.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(errors, [(150, "TypeError: x is undefined")]);
        assert_eq!(count(&s, "click"), 0, "Sentry's ui.click repeats rrweb's");
        // The navigation timing span (seconds) is within the session, not in 1970.
        assert_eq!(s.started_at_ms, T0 - 50);
    }

    #[test]
    fn failed_requests_become_network_errors_on_their_route() {
        let json = recording(&[
            meta("https://shop.test/", 0, 1280, 800),
            snap(0, 0.0),
            format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/network@1","payload":{{"requests":[
                {{"url":"https://shop.test/api/ok","method":"GET","status":200,"initiatorType":"fetch","startTime":10,"endTime":20}},
                {{"url":"https://shop.test/api/cart","method":"POST","status":500,"initiatorType":"fetch","startTime":30,"endTime":40}},
                {{"name":"https://shop.test/api/down","method":"GET","status":0,"initiatorType":"xmlhttprequest"}},
                {{"name":"https://cdn.test/pic.png","initiatorType":"img","responseStatus":0}},
                {{"name":"https://cdn.test/app.css","initiatorType":"link"}},
                {{"name":"https://shop.test/gone.png","initiatorType":"img","responseStatus":404}},
                {{"url":"https://shop.test/api/hang","method":"GET","initiatorType":"fetch"}}
                ]}}}},"timestamp":{}}}"#,
                T0 + 500
            ),
            custom("$url_changed", r#"{"href":"https://shop.test/b"}"#, 1000),
            span(
                "resource.fetch",
                "https://shop.test/api/stock",
                r#"{"method":"GET","statusCode":404,"request":{"size":0},"response":{"size":12}}"#,
                1500,
            ),
            span(
                "resource.xhr",
                "https://shop.test/api/pay",
                r#"{"method":"POST","request":{"size":10}}"#,
                1600,
            ),
            span(
                "resource.fetch",
                "https://shop.test/api/fine",
                r#"{"method":"GET","statusCode":204}"#,
                1700,
            ),
        ]);
        let (s, warnings) = read_one(&json);
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        let failures: Vec<(u32, &str, Option<&str>, Option<u16>)> = s
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::NetworkError {
                    url,
                    method,
                    status,
                } => Some((e.page, url.as_str(), method.as_deref(), *status)),
                _ => None,
            })
            .collect();
        assert_eq!(
            failures,
            [
                (0, "https://shop.test/api/cart", Some("POST"), Some(500)),
                (0, "https://shop.test/api/down", Some("GET"), None),
                (0, "https://shop.test/gone.png", None, Some(404)),
                (0, "https://shop.test/api/hang", Some("GET"), None),
                (1, "https://shop.test/api/stock", Some("GET"), Some(404)),
                (1, "https://shop.test/api/pay", Some("POST"), None),
            ]
        );
        let e = s
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::NetworkError { .. }))
            .unwrap();
        assert_eq!(e.kind.family(), "error");
        assert!(!e.kind.is_user_activity());
        assert_eq!(
            e.kind.describe(&s.targets),
            "request failed: POST https://shop.test/api/cart (500)"
        );
    }

    #[test]
    fn rrweb_2_sources_pointer_types_and_assets_import_without_warnings() {
        let t = |dt: i64| T0 + dt;
        let json = recording(&[
            meta("https://shop.test/", 0, 390, 800),
            snap(0, 0.0),
            format!(
                r#"{{"type":3,"data":{{"source":14,"ranges":[{{"start":5,"startOffset":0,"end":5,"endOffset":2}}]}},"timestamp":{}}}"#,
                t(10)
            ),
            format!(
                r#"{{"type":3,"data":{{"source":15,"id":1,"styleIds":[1],"styles":[{{"styleId":1,"rules":[{{"rule":"a{{color:red}}"}}]}}]}},"timestamp":{}}}"#,
                t(20)
            ),
            format!(
                r#"{{"type":3,"data":{{"source":16,"define":{{"name":"x-card"}}}},"timestamp":{}}}"#,
                t(30)
            ),
            format!(
                r#"{{"type":3,"data":{{"source":2,"type":2,"id":4,"x":5,"y":6,"pointerType":2}},"timestamp":{}}}"#,
                t(40)
            ),
            format!(
                r#"{{"type":7,"data":{{"url":"https://shop.test/a.png","payload":{{"rr_type":"Blob","type":"image/png","data":[]}}}},"timestamp":{}}}"#,
                t(50)
            ),
        ]);
        let (s, warnings) = read_one(&json);
        assert_eq!(warnings.total(), 0, "{:?}", warnings.lines());
        assert!(matches!(
            clicks(&s)[0].kind,
            EventKind::Click {
                pointer: PointerType::Touch,
                ..
            }
        ));
        assert_eq!(count(&s, "dom"), 1, "AdoptedStyleSheet changes the page");
    }
}

/// The real posthog-js and @sentry/browser recordings (tools/record-sdk), as plain rrweb event
/// arrays (`tests/fixtures/spa/extract.py`): page views, clicks and depth per route against
/// their truth files.
mod real_sdk {
    use super::*;

    const SPA_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/spa");

    #[derive(serde::Deserialize)]
    struct Route {
        url: String,
        entered_at_ms: i64,
        max_depth_px: f32,
    }

    #[derive(serde::Deserialize)]
    struct TruthClick {
        t_ms: i64,
        page_x: f32,
        page_y: f32,
        url: String,
    }

    #[derive(serde::Deserialize)]
    struct SdkCustom {
        name: String,
        in_recording: bool,
    }

    #[derive(serde::Deserialize)]
    struct SdkTruth {
        routes: Vec<Route>,
        clicks: Vec<TruthClick>,
        custom_events: Vec<SdkCustom>,
        converted: bool,
    }

    /// (name, session, truth) of every fixture.
    fn fixtures() -> Vec<(String, Session, SdkTruth)> {
        let mut names: Vec<String> = std::fs::read_dir(SPA_FIXTURES)
            .unwrap_or_else(|e| panic!("cannot list {SPA_FIXTURES}: {e}"))
            .filter_map(|entry| entry.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".truth.json"))
                    .map(str::to_owned)
            })
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let dir = Path::new(SPA_FIXTURES);
                let truth: SdkTruth = serde_json::from_slice(
                    &std::fs::read(dir.join(format!("{name}.truth.json"))).unwrap(),
                )
                .unwrap();
                let bytes = std::fs::read(dir.join(format!("{name}.events.json"))).unwrap();
                let (mut sessions, warnings) =
                    read_rrweb(&bytes, &format!("{name}.events.json"), &Limits::default())
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(sessions.len(), 1, "{name}");
                assert_eq!(warnings.total(), 0, "{name}: {:?}", warnings.lines());
                (name, sessions.remove(0), truth)
            })
            .collect()
    }

    /// Truth clicks a recorder did not record (README-sentry.md): Sentry blocks media, so clicks
    /// on images are lost, and it loses clicks on links that unload the page before a flush.
    fn clicks_not_recorded(name: &str) -> usize {
        match name {
            "sentry-spa-purchase" | "sentry-mpa-browse" => 3,
            _ => 0,
        }
    }

    #[test]
    fn real_sdk_recordings_give_the_routes_clicks_and_depths_of_their_truth() {
        let all = fixtures();
        assert!(all.len() >= 5, "fixtures missing in {SPA_FIXTURES}");
        for (name, s, truth) in &all {
            let got: Vec<&str> = s.pages.iter().map(|p| p.url.as_str()).collect();
            let want: Vec<&str> = truth.routes.iter().map(|r| r.url.as_str()).collect();
            assert_eq!(got, want, "{name}: page views");
            let stats = s.page_stats();
            for (i, (page, route)) in s.pages.iter().zip(&truth.routes).enumerate() {
                // The recorder's event and the page's own clock differ by a few ms (at most
                // 102 ms measured: posthog's Meta precedes the truth's load mark).
                assert!(
                    (page.entered_at_ms - route.entered_at_ms).abs() <= 150,
                    "{name}: page {i} entered {} ms from the truth",
                    page.entered_at_ms - route.entered_at_ms
                );
                assert_eq!(
                    stats[i].max_depth_px, route.max_depth_px,
                    "{name}: page {i} ({}) depth",
                    page.url
                );
            }
            let got = clicks(s);
            assert_eq!(
                got.len() + clicks_not_recorded(name),
                truth.clicks.len(),
                "{name}: clicks"
            );
            for (i, e) in got.iter().enumerate() {
                let EventKind::Click { pos_in_page, .. } = &e.kind else {
                    unreachable!()
                };
                let Some(want) = truth
                    .clicks
                    .iter()
                    .min_by_key(|c| (c.t_ms - e.timestamp_ms).abs())
                else {
                    panic!("{name}: no truth clicks");
                };
                assert!(
                    (want.t_ms - e.timestamp_ms).abs() <= 100,
                    "{name}: click {i} has no truth click"
                );
                assert_eq!(
                    s.pages[e.page as usize].url, want.url,
                    "{name}: click {i} on the wrong route"
                );
                assert!(
                    (pos_in_page.x - want.page_x).abs() <= 1.0
                        && (pos_in_page.y - want.page_y).abs() <= 1.0,
                    "{name}: click {i} at {pos_in_page:?}, truth ({}, {})",
                    want.page_x,
                    want.page_y
                );
            }
            // The site's own events (posthog custom events, Sentry breadcrumbs of the site's
            // category) are the custom events, in order; the recorders' own are none.
            let customs: Vec<&str> = s
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Custom { name, .. } => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            let want: Vec<&str> = truth
                .custom_events
                .iter()
                .filter(|c| c.in_recording)
                .map(|c| c.name.as_str())
                .collect();
            assert_eq!(customs, want, "{name}: custom events");
            assert_eq!(s.converted(), truth.converted, "{name}: converted");
            // Nothing was planted: route changes give no quick backs or scroll signals.
            let settings = crate::analysis::signals::SignalSettings::default();
            for x in crate::analysis::signals::detect(s, &settings).signals {
                assert!(
                    !matches!(
                        x.kind,
                        crate::analysis::signals::SignalKind::QuickBack
                            | crate::analysis::signals::SignalKind::ExcessiveScroll
                    ),
                    "{name}: {x:?}"
                );
            }
            assert!(
                !s.events.iter().any(|e| matches!(&e.kind,
                    EventKind::Custom { name, .. } if name.starts_with('$')
                        || matches!(name.as_str(), "breadcrumb" | "performanceSpan" | "options"))),
                "{name}: recorder events as custom events"
            );
        }
    }
}

/// Every file under `dir`, recursively, sorted.
/// Every file the repository ships as input: the fixtures, the sample sessions and the hostile
/// corpus, in path order.
fn shipped_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "sample_sessions", "tests/hostile"] {
        files_under(&root.join(dir), &mut files);
    }
    files
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The reader that defers each event's `data` until it is converted gives exactly what the
/// eager reader gives (sessions, warnings, or the error) on every recording the repository
/// ships: the fixtures, the sample sessions and the hostile corpus.
#[test]
fn deferred_reader_matches_eager_reader_on_every_fixture() {
    let files = shipped_files();
    let limits = Limits::default();
    let mut compared = 0;
    let mut sessions_seen = 0;
    let mut errors_seen = 0;
    for path in &files {
        let Ok(bytes) = crate::format::read_inflated(path, &limits) else {
            continue;
        };
        // What `load_bytes` hands to the rrweb reader: JSON that is not a native session, or a
        // JS wrapper (bundles, Sentry segments and native sessions have readers of their own).
        let kind = crate::format::sniff_bytes(&bytes);
        let rrweb_input = match kind {
            crate::format::InputKind::OtherJson => true,
            crate::format::InputKind::Unknown => looks_like_js_wrapper(&bytes),
            _ => false,
        };
        if !rrweb_input || crate::format::is_sentry_segment(&bytes) {
            continue;
        }
        let name = path.display().to_string();
        let deferred = read_rrweb(&bytes, &name, &limits);
        let eager = read_rrweb_eager(&bytes, &name, &limits);
        match (&deferred, &eager) {
            (Ok(a), Ok(b)) => {
                assert!(a == b, "{name}: the deferred and the eager reader differ");
                sessions_seen += a.0.len();
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{name}");
                errors_seen += 1;
            }
            _ => panic!("{name}: one reader failed, the other did not"),
        }
        compared += 1;
    }
    assert!(compared >= 60, "only {compared} recordings compared");
    assert!(
        sessions_seen >= 60,
        "only {sessions_seen} sessions compared"
    );
    assert!(errors_seen >= 1, "no failing recording compared");
}

/// Sentry replay segments (read by `read_rrweb_parts`) give the same with and without deferring.
#[test]
fn deferred_segments_match_eager_segments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("tests/fixtures/sentry"), &mut files);
    let limits = Limits::default();
    let mut compared = 0;
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        if !crate::format::is_sentry_segment(&bytes) {
            continue;
        }
        let name = path.display().to_string();
        let Some(Ok((id, body))) = sentry::split_segment(&bytes) else {
            continue;
        };
        let mut budget = limits.max_inflated_bytes;
        let Ok(json) = sentry::segment_json(body, &name, id, &mut budget) else {
            continue;
        };
        let parts = [Part {
            label: &name,
            json: &json,
        }];
        let run = |defer| {
            on_parse_thread(&name, || {
                read_parts_on_this_thread(&parts, &name, &limits, Warnings::default(), defer)
            })
        };
        match (run(true), run(false)) {
            (Ok(a), Ok(b)) => assert!(a == b, "{name}: deferred and eager differ"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
            (a, b) => panic!("{name}: {a:?} / {b:?}"),
        }
        compared += 1;
    }
    assert!(compared >= 3, "only {compared} segments compared");
}

/// JSON Lines of the three recorded posthog-js capture dumps (three sessions), their lines
/// dealt round-robin: every session's lines interleaved with the others'.
pub(crate) fn interleaved_capture_lines() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/posthog");
    let files: Vec<String> = [
        "ph-spa-purchase.capture.jsonl",
        "ph-mpa-purchase.capture.jsonl",
        // The longest session last (the import test fails it on the event limit).
        "ph-spa-browse-no-purchase.capture.jsonl",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
    .collect();
    let lines: Vec<Vec<&str>> = files.iter().map(|f| f.lines().collect()).collect();
    let mut out = String::new();
    for i in 0..lines.iter().map(Vec::len).max().unwrap_or(0) {
        for file in &lines {
            if let Some(line) = file.get(i) {
                out.push_str(line);
                out.push('\n');
            }
        }
        // A blank line now and then, as hand-joined files have.
        if i % 7 == 3 {
            out.push('\n');
        }
    }
    out
}

/// Reading a file in pieces (JSON Lines one group of sessions at a time, anything else whole)
/// gives what reading it whole gives: the same sessions, the same warnings (kinds and counts),
/// or the same error,
/// on every file the repository ships and on JSON Lines of three recorded sessions whose lines
/// are interleaved.
#[test]
fn reading_in_pieces_matches_reading_whole() {
    let mut files = shipped_files();
    let dir = tempfile::tempdir().unwrap();
    let interleaved = dir.path().join("three-sessions.capture.jsonl");
    std::fs::write(&interleaved, interleaved_capture_lines()).unwrap();
    // The same with a broken line near the end: an error with its line, whichever way.
    let broken = dir.path().join("broken.capture.jsonl");
    let mut text = interleaved_capture_lines();
    text.push_str("{\"batch\": [}\n");
    std::fs::write(&broken, text).unwrap();
    files.push(interleaved.clone());
    files.push(broken);
    let whole_options = ReadOptions::default();
    let piece_options = ReadOptions {
        read_in_pieces_above_bytes: Some(0),
        ..ReadOptions::default()
    };
    let (mut compared, mut grouped, mut errors) = (0, 0, 0);
    for path in &files {
        let name = path.display().to_string();
        let whole = load_path(path, &whole_options);
        let mut pieces = Vec::new();
        let read = crate::format::load_path_in_pieces(path, &piece_options, &mut |piece| {
            pieces.push(piece);
            true
        });
        match (whole, read) {
            (Ok(whole), Ok(sha256)) => {
                let mut sessions: Vec<_> = pieces.iter().flat_map(|p| p.sessions.clone()).collect();
                let mut expected = whole.sessions.clone();
                sessions.sort_by(|a, b| a.session_id.cmp(&b.session_id));
                expected.sort_by(|a, b| a.session_id.cmp(&b.session_id));
                assert!(sessions == expected, "{name}: the sessions differ");
                let mut warnings = crate::format::Warnings::default();
                for piece in &pieces {
                    warnings.merge(piece.warnings.clone());
                }
                // The same kinds and counts; the examples of a kind may be other ones.
                assert_eq!(warnings.counts(), whole.warnings.counts(), "{name}");
                assert_eq!(
                    sha256,
                    Some(crate::format::hash::sha256_hex(
                        &std::fs::read(path).unwrap()
                    )),
                    "{name}"
                );
                if pieces.len() > 1 {
                    grouped += 1;
                }
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{name}");
                errors += 1;
            }
            (whole, pieces) => panic!(
                "{name}: whole {:?}, in pieces {:?}",
                whole.err(),
                pieces.err()
            ),
        }
        compared += 1;
    }
    assert!(compared >= 80, "only {compared} files compared");
    // The interleaved file came in three groups, one per session.
    let mut groups = 0;
    crate::format::load_path_in_pieces(&interleaved, &piece_options, &mut |_| {
        groups += 1;
        true
    })
    .unwrap();
    assert_eq!(groups, 3);
    assert!(grouped >= 1, "no file was read in more than one piece");
    assert!(errors >= 5, "only {errors} failing files compared");
}

/// A JSON document read as it streams ([`stream::read_streamed`]: an array item by item, an
/// object through a hollow copy) gives what reading it whole
/// gives: the same sessions and warnings and the file's SHA-256, with chunks small enough to
/// cut items and characters of several bytes; anything it does not read that way
/// (not an array of objects, or broken) is left to the whole reader. Runs on every file the
/// repository ships and on arrays built from the recordings: several recordings one after the
/// other (so out of time order), with a byte order mark and CRLF line ends, pretty-printed.
#[test]
fn reading_an_array_as_it_streams_matches_reading_it_whole() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = shipped_files();
    let dir = tempfile::tempdir().unwrap();
    let recordings: Vec<serde_json::Value> = [
        "convert-desktop.json",
        "calm-help-desktop.json",
        "mobile-browse-taps.json",
    ]
    .iter()
    .map(|f| {
        let text = std::fs::read_to_string(root.join("tests/fixtures/rrweb").join(f)).unwrap();
        serde_json::from_str(&text).unwrap()
    })
    .collect();
    let mut joined: Vec<serde_json::Value> = Vec::new();
    for recording in recordings.iter().rev() {
        joined.extend(recording.as_array().unwrap().iter().cloned());
    }
    // Text of several bytes a character, for chunks to cut characters.
    let mut multibyte = recordings[1].as_array().unwrap().clone();
    let last = multibyte
        .last()
        .and_then(|e| e["timestamp"].as_i64())
        .unwrap();
    for i in 0..40_i64 {
        let text = "Größe wählen · 日本語のテキスト ✓ 🛒".repeat((i % 7 + 1) as usize);
        multibyte.push(serde_json::json!({
            "type": 5,
            "data": {"tag": "note", "payload": {"text": text}},
            "timestamp": last + i,
        }));
    }
    let compact = serde_json::to_string(&joined).unwrap();
    let made = [
        ("appended.json", compact.clone()),
        (
            "bom-crlf.json",
            format!(
                "\u{feff}\r\n{}\r\n",
                compact.replace("},{\"type\"", "},\r\n{\"type\"")
            ),
        ),
        (
            "pretty.json",
            serde_json::to_string_pretty(&joined).unwrap(),
        ),
        ("multibyte.json", serde_json::to_string(&multibyte).unwrap()),
        // Broken: the whole reader's error, whichever way.
        ("truncated.json", compact[..compact.len() / 2].to_owned()),
        ("two-lines.json", format!("{compact}\n{compact}\n")),
        // Objects, read through a hollow copy.
        (
            "made-wrapped.json",
            serde_json::json!({"sessionId": "s-1", "events": joined}).to_string(),
        ),
        (
            "made-wrapped-pretty.json",
            serde_json::to_string_pretty(&serde_json::json!({"events": joined})).unwrap(),
        ),
        (
            "made-export-v2.json",
            serde_json::json!({"version": "2023-04-28", "data": {
                "id": "0193-export", "person": {"name": "a"},
                "snapshots": recordings[0].as_array().unwrap().iter().map(|e| {
                    let mut e = e.clone();
                    e["windowId"] = serde_json::json!("w-1");
                    e
                }).collect::<Vec<_>>()}})
            .to_string(),
        ),
        (
            "made-export-v1.json",
            serde_json::json!({"version": "2022-12-02", "data": {"snapshotsByWindowId": {
                "w-1": recordings[0], "w-2": recordings[2]}}})
            .to_string(),
        ),
        (
            "made-capture-lines.json",
            recordings[1]
                .as_array()
                .unwrap()
                .chunks(20)
                .map(|events| {
                    serde_json::json!({"event": "$snapshot", "properties": {
                        "$session_id": "s-2", "$window_id": "w-1", "$snapshot_data": events}})
                    .to_string()
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        // Left to the whole reader: a `data` below the top read eagerly (a single event at the
        // top level) or skipped (under `person`), a broken `data`, an unknown export version.
        (
            "made-top-event.json",
            r#"{"type":5,"data":{"tag":"t","payload":{"list":[{"data":{"x":1}}]}},"timestamp":1700000000000}"#
                .to_owned(),
        ),
        (
            "made-person-data.json",
            serde_json::json!({"version": "2023-04-28", "data": {"id": "p",
                "person": {"properties": [{"data": {"x": 1}}]},
                "snapshots": recordings[2]}})
            .to_string(),
        ),
        (
            "made-broken-data.json",
            serde_json::json!({"events": joined})
                .to_string()
                .replacen("\"data\":{", "\"data\":{\"x\":1,,", 3),
        ),
        (
            "made-export-v9.json",
            serde_json::json!({"version": "2099-01-01", "data": {"id": "p",
                "snapshots": recordings[2]}})
            .to_string(),
        ),
    ];
    for (name, text) in &made {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    let limits = crate::model::Limits::default();
    let (mut streamed, mut left) = (0, 0);
    for path in &files {
        let name = path.display().to_string();
        let size = std::fs::metadata(path).unwrap().len();
        let bytes = std::fs::read(path).unwrap();
        let whole = read_rrweb(&bytes, &name, &limits);
        for chunk in [4093, 65_536, stream::CHUNK_BYTES] {
            if size > 400_000 && chunk < 65_536 {
                continue;
            }
            match stream::read_streamed(path, &name, &limits, chunk).unwrap() {
                Some((sessions, warnings, sha256)) => {
                    let (whole_sessions, whole_warnings) = whole.as_ref().unwrap_or_else(|e| {
                        panic!("{name}: streamed in chunks of {chunk}, but whole: {e}")
                    });
                    assert!(
                        sessions == *whole_sessions,
                        "{name}, chunks of {chunk}: sessions differ"
                    );
                    assert_eq!(warnings, *whole_warnings, "{name}, chunks of {chunk}");
                    assert_eq!(sha256, crate::format::hash::sha256_hex(&bytes), "{name}");
                    streamed += 1;
                    for left in [
                        "truncated.json",
                        "two-lines.json",
                        "made-top-event.json",
                        "made-person-data.json",
                        "made-broken-data.json",
                        "made-export-v9.json",
                    ] {
                        assert!(!name.ends_with(left), "{name} was streamed");
                    }
                }
                None => {
                    left += 1;
                    for made in [
                        "appended.json",
                        "bom-crlf.json",
                        "pretty.json",
                        "multibyte.json",
                        "made-wrapped.json",
                        "made-wrapped-pretty.json",
                        "made-export-v2.json",
                        "made-export-v1.json",
                        "made-capture-lines.json",
                    ] {
                        assert!(!name.ends_with(made), "{name} was not streamed");
                    }
                }
            }
        }
    }
    eprintln!("{streamed} reads streamed, {left} left to the whole reader");
    // Every rrweb array the repository ships and the three made ones read as they stream.
    assert!(
        streamed >= 3 * 25,
        "{streamed} streamed, {left} left to the whole reader"
    );
    assert!(left > 0);
}

/// A gzip file that inflates to more than the threshold is inflated into a temporary file and
/// read as it streams: the same sessions and warnings as the whole read, and the hash of the
/// compressed file. A broken one gives the whole read's error.
#[test]
fn a_large_gzip_file_streams_from_a_temporary_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let recording = std::fs::read(root.join("tests/fixtures/rrweb/convert-desktop.json")).unwrap();
    let mut wrapped = b"{\"events\":".to_vec();
    wrapped.extend_from_slice(&recording);
    wrapped.push(b'}');
    let gzip = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let whole = ReadOptions::default();
    let streamed = ReadOptions {
        read_in_pieces_above_bytes: Some(1000),
        ..ReadOptions::default()
    };
    for (name, plain) in [("array.json.gz", &recording), ("wrapped.json.gz", &wrapped)] {
        let path = dir.path().join(name);
        let compressed = gzip(plain);
        std::fs::write(&path, &compressed).unwrap();
        let (a, hash_a) = crate::format::load_path_hashed(&path, &whole).unwrap();
        let (b, hash_b) = crate::format::load_path_hashed(&path, &streamed).unwrap();
        assert!(a.sessions == b.sessions, "{name}: sessions differ");
        assert_eq!(a.warnings, b.warnings, "{name}");
        assert_eq!(hash_a, hash_b, "{name}");
        assert_eq!(
            hash_b.as_deref(),
            Some(crate::format::hash::sha256_hex(&compressed).as_str())
        );
        // It did stream (no whole read behind the equal results).
        let file_name = path.display().to_string();
        let (sessions, _, sha256) = crate::format::read_gzip_streamed(&path, &file_name, &streamed)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} was not streamed"));
        let mut loaded = crate::format::Loaded {
            sessions,
            ..Default::default()
        };
        crate::format::mask_typed_values(&mut loaded, false);
        assert!(
            loaded.sessions == b.sessions && Some(sha256) == hash_b,
            "{name}"
        );
    }
    // Cut short: the whole read's error, from either.
    let path = dir.path().join("cut.json.gz");
    let compressed = gzip(&recording);
    std::fs::write(&path, &compressed[..compressed.len() / 2]).unwrap();
    let a = crate::format::load_path_hashed(&path, &whole).unwrap_err();
    let b = crate::format::load_path_hashed(&path, &streamed).unwrap_err();
    assert_eq!(a.to_string(), b.to_string());
}
