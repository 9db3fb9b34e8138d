//! PostHog file exports and capture batches, and the errors for unknown wrappers.

use super::*;

/// A Meta, a FullSnapshot and a click at (10, 20) on `url`, at `t`…`t + 2`, with `extra` fields
/// in every event (e.g. `"windowId":"w1",`).
fn page(url: &str, t: i64, extra: &str) -> String {
    format!(
        r#"{{{extra}"type":4,"data":{{"href":"{url}","width":1280,"height":800}},"timestamp":{t}}},
{{{extra}"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{}}},
{{{extra}"type":3,"data":{{"source":2,"type":2,"id":1,"x":10,"y":20}},"timestamp":{}}}"#,
        t + 1,
        t + 2
    )
}

fn read(json: &str) -> Result<(Vec<Session>, Warnings), FormatError> {
    read_rrweb(json.as_bytes(), "export.json", &Limits::default())
}

fn urls(s: &Session) -> Vec<(u32, &str)> {
    s.pages.iter().map(|p| (p.tab, p.url.as_str())).collect()
}

fn clicks(s: &Session) -> usize {
    s.events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Click { .. }))
        .count()
}

#[test]
fn posthog_export_2023_04_28_gives_the_session_id_and_tabs() {
    let json = format!(
        r#"{{"version":"2023-04-28","data":{{"id":"0192-abc","person":{{"distinct_ids":["u1"],"properties":{{"email":"x"}}}},
        "snapshots":[{},{}]}}}}"#,
        page("https://shop.test/", 1_000, r#""windowId":"w1","#),
        page("https://shop.test/help", 1_500, r#""windowId":"w2","#),
    );
    let (sessions, warnings) = read(&json).unwrap();
    assert_eq!(sessions.len(), 1, "{warnings:?}");
    let s = &sessions[0];
    assert_eq!(s.session_id, "0192-abc");
    assert_eq!(
        urls(s),
        vec![(0, "https://shop.test/"), (1, "https://shop.test/help")]
    );
    assert_eq!(clicks(s), 2);
    assert!(warnings.lines().is_empty(), "{warnings:?}");
    // Keys in another order: `data` before `version`, `id` after `snapshots`.
    let json = format!(
        r#"{{"data":{{"snapshots":[{}],"id":"s2"}},"version":"2023-04-28"}}"#,
        page("https://shop.test/", 1_000, r#""windowId":"w1","#)
    );
    assert_eq!(read(&json).unwrap().0[0].session_id, "s2");
}

#[test]
fn posthog_export_2022_12_02_reads_windows_as_tabs() {
    let json = format!(
        r#"{{"version":"2022-12-02","data":{{"person":null,"snapshotsByWindowId":{{"wA":[{}],"wB":[{}]}}}}}}"#,
        page("https://shop.test/", 1_000, ""),
        page("https://shop.test/cart", 1_200, ""),
    );
    let (sessions, warnings) = read(&json).unwrap();
    assert_eq!(sessions.len(), 1, "{warnings:?}");
    assert_eq!(
        urls(&sessions[0]),
        vec![(0, "https://shop.test/"), (1, "https://shop.test/cart")]
    );
    // Without `data.id`, the first window id names the session.
    assert_eq!(sessions[0].session_id, "wA");
}

#[test]
fn other_posthog_export_versions_are_refused_naming_them() {
    let json = format!(
        r#"{{"version":"2031-01-01","data":{{"id":"x","snapshots":[{}]}}}}"#,
        page("https://shop.test/", 1_000, "")
    );
    let err = read(&json).unwrap_err().to_string();
    assert!(err.contains("\"2031-01-01\""), "{err}");
    assert!(err.contains("2023-04-28 and 2022-12-02"), "{err}");
}

#[test]
fn capture_batches_split_sessions_and_skip_analytics_events() {
    let snap = |session: &str, window: &str, url: &str, t: i64| {
        format!(
            r#"{{"event":"$snapshot","properties":{{"$snapshot_bytes":10,"$session_id":"{session}","$window_id":"{window}","$snapshot_data":[{}]}}}}"#,
            page(url, t, "")
        )
    };
    let batch = format!(
        r#"[{},{{"event":"$pageview","properties":{{"$session_id":"s1","$current_url":"https://shop.test/"}}}},
        {{"event":"$autocapture","properties":{{"$session_id":"s1"}}}},{},{}]"#,
        snap("s1", "w1", "https://shop.test/", 1_000),
        snap("s2", "w9", "https://shop.test/b", 5_000),
        snap("s1", "w1", "https://shop.test/p", 2_000),
    );
    for json in [
        batch.clone(),
        format!(r#"{{"api_key":"phc_x","batch":{batch}}}"#),
    ] {
        let (sessions, warnings) = read(&json).unwrap();
        let ids: Vec<&str> = sessions.iter().map(|s| s.session_id.as_str()).collect();
        assert_eq!(ids, vec!["s1", "s2"]);
        assert_eq!(
            urls(&sessions[0]),
            vec![(0, "https://shop.test/"), (0, "https://shop.test/p")]
        );
        assert_eq!(clicks(&sessions[0]), 2);
        let lines = warnings.lines().join("\n");
        assert!(
            lines.contains(&format!("{}: 2", warn::CAPTURE_EVENT)),
            "{lines}"
        );
        assert!(lines.contains("$pageview, $autocapture"), "{lines}");
    }
    // JSON Lines, and a single event as `$snapshot_data`.
    let line = |t: i64| {
        format!(
            r#"{{"event":"$snapshot","properties":{{"$session_id":"s","$window_id":"w","$snapshot_data":{{"type":3,"data":{{"source":2,"type":2,"id":1,"x":1,"y":2}},"timestamp":{t}}}}}}}"#
        )
    };
    let jsonl = format!(
        "{}\n{}\n{}\n",
        format!(
            r#"{{"event":"$snapshot","properties":{{"$session_id":"s","$window_id":"w","$snapshot_data":[{}]}}}}"#,
            page("https://shop.test/", 1_000, "")
        )
        .replace('\n', ""),
        line(1_100),
        line(1_200)
    );
    let (sessions, _) = read(&jsonl).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(clicks(&sessions[0]), 3);
}

#[test]
fn unknown_wrappers_name_what_was_found_and_what_is_accepted() {
    let err = read(r#"{"foo":[1],"bar":{"x":1}}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(r#"JSON object with keys {"foo", "bar"}: neither"#),
        "{err}"
    );
    assert!(err.contains(ACCEPTED), "{err}");
    assert!(err.contains("PostHog export (version 2023-04-28 or 2022-12-02)"));
    let err = read(r#"[1,2,3]"#).unwrap_err().to_string();
    assert!(
        err.contains("JSON array of 3 items that are not rrweb events")
            && err.contains("first item: a JSON number"),
        "{err}"
    );
    let err = read("{\"a\":1}\n{\"b\":2}\n").unwrap_err().to_string();
    assert!(
        err.contains(r#"JSON Lines whose first line is a JSON object with keys {"a"}"#),
        "{err}"
    );
}

#[test]
fn sentry_api_download_arrays_of_segments_are_one_session() {
    let json = format!(
        r#"[[{}],[{}]]"#,
        page("https://shop.test/", 1_000, ""),
        page("https://shop.test/b", 2_000, "")
    );
    let (sessions, _) = read(&json).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(clicks(&sessions[0]), 2);
    let paged = format!(r#"{{"data":{json}}}"#);
    assert_eq!(clicks(&read(&paged).unwrap().0[0]), 2);
}
