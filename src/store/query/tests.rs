use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::format::{self, Loaded, ReadOptions};
use crate::model::{
    ClickKind, Event, EventKind, PagePos, PageView, PointerType, Session, SizePx, TrafficSource,
    ViewportPos,
};
use crate::store::{FileStatus, Library};

fn session(
    id: &str,
    started_at_ms: i64,
    device: DeviceClass,
    width: u32,
    urls: &[&str],
    clicks: usize,
    purchase: bool,
) -> Session {
    let pages: Vec<PageView> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| PageView {
            url: (*url).to_owned(),
            entered_at_ms: started_at_ms + i as i64 * 1000,
            left_at_ms: started_at_ms + (i as i64 + 1) * 1000,
            doc_size: SizePx {
                width,
                height: 3000,
            },
            viewport: SizePx { width, height: 800 },
            ..PageView::default()
        })
        .collect();
    let mut events: Vec<Event> = (0..clicks)
        .map(|i| Event {
            timestamp_ms: started_at_ms + i as i64,
            page: 0,
            kind: EventKind::Click {
                pos_in_page: PagePos {
                    x: 10.0 * i as f32,
                    y: 20.0,
                },
                pos_in_viewport: ViewportPos {
                    x: 10.0 * i as f32,
                    y: 20.0,
                },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target: None,
            },
        })
        .collect();
    if purchase {
        events.push(Event {
            timestamp_ms: started_at_ms + urls.len() as i64 * 1000 - 1,
            page: u32::try_from(urls.len() - 1).unwrap(),
            kind: EventKind::Custom {
                name: "purchase".to_owned(),
                value: Some(80.0),
                currency: Some("EUR".to_owned()),
            },
        });
    }
    Session {
        session_id: id.to_owned(),
        started_at_ms,
        duration_ms: urls.len() as i64 * 1000,
        device,
        source: TrafficSource {
            utm_source: Some("instagram".to_owned()),
            utm_medium: Some("paid_social".to_owned()),
            ..TrafficSource::default()
        },
        pages,
        events,
        ..Session::default()
    }
}

fn library() -> Library {
    let mut lib = Library::open_in_memory().unwrap();
    let loaded = Loaded {
        sessions: vec![
            session(
                "a",
                1_000_000,
                DeviceClass::Desktop,
                1440,
                &["https://shop.test/", "https://shop.test/product/x.html"],
                3,
                false,
            ),
            session(
                "b",
                2_000_000,
                DeviceClass::Mobile,
                390,
                &[
                    "https://shop.test/product/y.html",
                    "https://shop.test/cart.html",
                ],
                1,
                true,
            ),
            session(
                "c",
                3_000_000,
                DeviceClass::Mobile,
                412,
                &["https://shop.test/#top"],
                0,
                false,
            ),
        ],
        ..Loaded::default()
    };
    let outcome = lib.insert_loaded("mem", &loaded).unwrap();
    assert_eq!(outcome.session_ids.len(), 3);
    lib
}

fn ids(lib: &Library, filter: &SessionFilter) -> Vec<String> {
    lib.list_sessions(filter, SessionSort::OldestFirst, 0, 100)
        .unwrap()
        .into_iter()
        .map(|r| r.session_id)
        .collect()
}

#[test]
fn filters_sessions() {
    let lib = library();
    assert_eq!(ids(&lib, &SessionFilter::default()), ["a", "b", "c"]);
    let f = |f: SessionFilter| ids(&lib, &f);
    assert_eq!(
        f(SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..Default::default()
        }),
        ["b", "c"]
    );
    assert_eq!(
        f(SessionFilter {
            url: Some("/product/*".to_owned()),
            ..Default::default()
        }),
        ["a", "b"]
    );
    assert_eq!(
        f(SessionFilter {
            url: Some("https://shop.test/".to_owned()),
            ..Default::default()
        }),
        ["a", "c"]
    );
    assert_eq!(
        f(SessionFilter {
            min_viewport_width: Some(400),
            max_viewport_width: Some(1000),
            ..Default::default()
        }),
        ["c"]
    );
    assert_eq!(
        f(SessionFilter {
            converted: Some(true),
            ..Default::default()
        }),
        ["b"]
    );
    assert_eq!(
        f(SessionFilter {
            source: Some("paid_social".to_owned()),
            ..Default::default()
        }),
        ["a", "b", "c"]
    );
    assert_eq!(
        f(SessionFilter {
            source: Some("email".to_owned()),
            ..Default::default()
        }),
        Vec::<String>::new()
    );
    assert_eq!(
        f(SessionFilter {
            started_from_ms: Some(1_500_000),
            started_before_ms: Some(3_000_000),
            ..Default::default()
        }),
        ["b"]
    );
    assert_eq!(
        lib.count_sessions(&SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..Default::default()
        })
        .unwrap(),
        2
    );
    // Sorting and paging.
    let newest = lib
        .list_sessions(&SessionFilter::default(), SessionSort::NewestFirst, 1, 1)
        .unwrap();
    assert_eq!(newest[0].session_id, "b");
    let most = lib
        .list_sessions(
            &SessionFilter::default(),
            SessionSort::MostClicksFirst,
            0,
            1,
        )
        .unwrap();
    assert_eq!(most[0].session_id, "a");
}

#[test]
fn has_signal_filter_and_counts() {
    let lib = library();
    // Import detected signals of its own (clicks 1 ms apart are rage clicks); start from none.
    lib.conn
        .execute_batch(
            "DELETE FROM signals;
             INSERT INTO signals (session_rowid, kind, page_index, start_ms, end_ms, severity)
             SELECT session_rowid, 'rage_click', 0, 0, 0, 1 FROM sessions WHERE session_id = 'b';
             INSERT INTO signals (session_rowid, kind, page_index, start_ms, end_ms, severity)
             SELECT session_rowid, 'rage_click', 0, 0, 0, 1 FROM sessions WHERE session_id = 'b';",
        )
        .unwrap();
    let rows = lib
        .list_sessions(
            &SessionFilter {
                has_signal: Some("rage_click".to_owned()),
                ..Default::default()
            },
            SessionSort::NewestFirst,
            0,
            10,
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].signals.get("rage_click"), Some(&2));
    assert_eq!(
        rows[0].pages,
        [
            "https://shop.test/product/y.html",
            "https://shop.test/cart.html"
        ]
    );
    assert!(rows[0].converted);
    assert_eq!(rows[0].revenue, Some(80.0));
}

#[test]
fn has_event_filter_and_event_names() {
    let lib = library();
    let f = |name: &str| {
        ids(
            &lib,
            &SessionFilter {
                has_event: Some(name.to_owned()),
                ..Default::default()
            },
        )
    };
    assert_eq!(f("purchase"), ["b"]);
    assert_eq!(f("Purchase"), ["b"]);
    assert!(f("add_to_cart").is_empty());
    assert_eq!(
        lib.custom_event_names().unwrap(),
        vec![("purchase".to_owned(), 1)]
    );
}

#[test]
fn schema_4_backfills_custom_events_of_older_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let mut lib = Library::open(&path).unwrap();
        let loaded = Loaded {
            sessions: vec![session(
                "b",
                2_000_000,
                DeviceClass::Mobile,
                390,
                &["https://shop.test/cart.html"],
                1,
                true,
            )],
            ..Loaded::default()
        };
        lib.insert_loaded("mem", &loaded).unwrap();
        lib.fold_recent_points().unwrap();
    }
    // Make it look like a version-3 library: no custom_events table (nor the later ones).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE page_points_recent; DROP TABLE sections; DROP TABLE event_hits;
             DROP TABLE event_defs; DROP TABLE custom_events; DROP TABLE form_facts;
             DROP TABLE form_names;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let lib = Library::open(&path).unwrap();
    assert_eq!(
        lib.custom_event_names().unwrap(),
        vec![("purchase".to_owned(), 1)]
    );
    assert_eq!(
        ids(
            &lib,
            &SessionFilter {
                has_event: Some("purchase".to_owned()),
                ..Default::default()
            }
        ),
        ["b"]
    );
}

#[test]
fn page_groups_and_points() {
    let lib = library();
    let groups = lib.page_groups(&SessionFilter::default()).unwrap();
    assert_eq!(
        groups[0],
        PageGroup {
            url: "https://shop.test/".to_owned(),
            page_views: 2,
            sessions: 2
        }
    );
    let points = lib
        .page_points(
            &SessionFilter::default(),
            "https://shop.test/",
            None,
            PointKind::Click,
        )
        .unwrap();
    assert_eq!(points.len(), 3);
    assert_eq!(points.num_page_views, 2);
    assert_eq!(points.num_sessions, 2);
    assert_eq!(points.xs, vec![0.0, 10.0, 20.0]);
    let narrow = lib
        .page_points(
            &SessionFilter::default(),
            "https://shop.test/",
            Some((300, 500)),
            PointKind::Click,
        )
        .unwrap();
    assert_eq!((narrow.len(), narrow.num_page_views), (0, 1));
    let mobile = SessionFilter {
        device: Some(DeviceClass::Mobile),
        ..Default::default()
    };
    assert_eq!(
        lib.page_points(&mobile, "/product/*", None, PointKind::Click)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn loads_sessions_back_and_detects_duplicates() {
    let mut lib = library();
    let back = lib.load_session("b").unwrap();
    assert_eq!(
        back,
        session(
            "b",
            2_000_000,
            DeviceClass::Mobile,
            390,
            &[
                "https://shop.test/product/y.html",
                "https://shop.test/cart.html"
            ],
            1,
            true
        )
    );
    assert!(matches!(
        lib.load_session("zz"),
        Err(StoreError::NoSuchSession(_))
    ));
    let again = Loaded {
        sessions: vec![back.clone()],
        ..Loaded::default()
    };
    let outcome = lib.insert_loaded("again", &again).unwrap();
    assert_eq!(outcome.status, FileStatus::Duplicate);
    // Same content under another id is a duplicate too.
    let mut renamed = back;
    renamed.session_id = "b2".to_owned();
    assert_eq!(
        lib.insert_loaded(
            "renamed",
            &Loaded {
                sessions: vec![renamed],
                ..Loaded::default()
            }
        )
        .unwrap()
        .status,
        FileStatus::Imported
    );
    assert_eq!(lib.num_sessions().unwrap(), 4);
}

#[test]
fn failed_file_leaves_library_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.session.json");
    let mut bytes = Vec::new();
    format::native::write_session(
        &mut bytes,
        &session(
            "g",
            5_000_000,
            DeviceClass::Desktop,
            1440,
            &["https://shop.test/"],
            2,
            false,
        ),
    )
    .unwrap();
    std::fs::write(&good, &bytes).unwrap();
    let bad = dir.path().join("bad.session.json");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.path().join("empty.json"), b"").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"ignored").unwrap();
    let path = dir.path().join("lib.sqlite");
    let mut lib = Library::open(&path).unwrap();
    let mut seen = 0;
    let summary = lib
        .import_paths(
            &[dir.path().to_path_buf()],
            &ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |p, _| seen = p.files_done,
        )
        .unwrap();
    assert_eq!(seen, 3);
    assert_eq!(summary.sessions_imported, 1);
    assert_eq!(summary.files_failed, 2);
    let statuses: Vec<_> = summary
        .files
        .iter()
        .map(|f| {
            (
                PathBuf::from(&f.file).file_name().unwrap().to_owned(),
                f.status,
            )
        })
        .collect();
    assert_eq!(statuses[0].1, FileStatus::Failed);
    assert!(
        summary.files[0]
            .error
            .as_deref()
            .unwrap()
            .contains("bad.session.json")
    );
    assert_eq!(lib.num_sessions().unwrap(), 1);
    lib.check_integrity().unwrap();
    // The import moved its point blobs into the page-clustered table before it returned.
    let (clustered, waiting) = point_blob_counts(&lib);
    assert!(clustered > 0);
    assert_eq!(waiting, 0);
    // Blobs an interrupted import left unfolded (inserted here without the fold)...
    lib.insert_loaded(
        "interrupted",
        &Loaded {
            sessions: vec![session(
                "left-unfolded",
                3_000_000,
                DeviceClass::Desktop,
                1440,
                &["https://shop.test/"],
                2,
                false,
            )],
            ..Loaded::default()
        },
    )
    .unwrap();
    // ...are folded by the next import, even one that only finds a duplicate.
    let again = lib
        .import_paths(
            &[good],
            &ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(again.sessions_duplicate, 1);
    assert_eq!(lib.num_sessions().unwrap(), 2);
    let (clustered_after, waiting) = point_blob_counts(&lib);
    assert!(clustered_after > clustered);
    assert_eq!(waiting, 0);
}

/// Point blobs in the page-clustered table and blobs waiting to be folded into it.
fn point_blob_counts(lib: &Library) -> (i64, i64) {
    lib.conn
        .query_row(
            "SELECT (SELECT count(*) FROM page_points), (SELECT count(*) FROM page_points_recent)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn not_a_database_is_reported_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.sqlite");
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let err = Library::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::NotALibrary { .. }), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        vec![b'x'; 8192],
        "the file must be left as it was"
    );
}

#[test]
fn missing_screenshot_is_a_named_warning() {
    let mut lib = Library::open_in_memory().unwrap();
    let mut s = session(
        "m",
        1_000,
        DeviceClass::Desktop,
        1440,
        &["https://shop.test/"],
        1,
        false,
    );
    s.pages[0].screenshot = Some("ab".repeat(32));
    let outcome = lib
        .insert_loaded(
            "m.session.json",
            &Loaded {
                sessions: vec![s],
                ..Loaded::default()
            },
        )
        .unwrap();
    assert_eq!(outcome.status, FileStatus::Imported);
    assert_eq!(outcome.warnings.len(), 1);
    assert!(
        outcome.warnings[0].contains("pages[0].screenshot"),
        "{:?}",
        outcome.warnings
    );
}

#[test]
fn index_sees_writes_of_other_connections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.sqlite");
    let reader = Library::open(&path).unwrap();
    let mut writer = Library::open(&path).unwrap();
    assert_eq!(reader.count_sessions(&SessionFilter::default()).unwrap(), 0);
    let s = session(
        "w",
        1_000,
        DeviceClass::Tablet,
        820,
        &["https://shop.test/"],
        1,
        false,
    );
    writer
        .insert_loaded(
            "w",
            &Loaded {
                sessions: vec![s],
                ..Loaded::default()
            },
        )
        .unwrap();
    assert_eq!(reader.count_sessions(&SessionFilter::default()).unwrap(), 1);
    assert_eq!(
        writer
            .count_sessions(&SessionFilter {
                device: Some(DeviceClass::Tablet),
                ..Default::default()
            })
            .unwrap(),
        1
    );
}

#[test]
fn sql_filter_and_index_filter_agree() {
    let mut lib = library();
    let generated = crate::demo::generate(&crate::demo::GenerateOptions {
        sessions: 300,
        seed: 21,
        ..Default::default()
    });
    lib.insert_loaded(
        "gen",
        &Loaded {
            sessions: generated,
            ..Loaded::default()
        },
    )
    .unwrap();
    lib.conn
        .execute_batch(
            "INSERT INTO signals (session_rowid, kind, page_index, start_ms, end_ms, severity)
             SELECT session_rowid, 'rage_click', 0, 0, 0, 1 FROM sessions WHERE session_rowid % 7 = 0;",
        )
        .unwrap();
    lib.invalidate_index();
    let filters = [
        SessionFilter::default(),
        SessionFilter {
            url: Some("/product/*".to_owned()),
            ..Default::default()
        },
        SessionFilter {
            url: Some("http://shop.test/cart.html".to_owned()),
            ..Default::default()
        },
        SessionFilter {
            device: Some(DeviceClass::Mobile),
            converted: Some(false),
            ..Default::default()
        },
        SessionFilter {
            min_viewport_width: Some(400),
            max_viewport_width: Some(1500),
            ..Default::default()
        },
        SessionFilter {
            source: Some("paid_social".to_owned()),
            ..Default::default()
        },
        SessionFilter {
            source: Some("newsletter".to_owned()),
            ..Default::default()
        },
        SessionFilter {
            started_from_ms: Some(1_792_000_000_000),
            started_before_ms: Some(1_793_000_000_000),
            ..Default::default()
        },
        SessionFilter {
            has_signal: Some("rage_click".to_owned()),
            device: Some(DeviceClass::Desktop),
            ..Default::default()
        },
        SessionFilter {
            has_event: Some("ADD_TO_CART".to_owned()),
            ..Default::default()
        },
        SessionFilter {
            has_event: Some("newsletter_signup".to_owned()),
            device: Some(DeviceClass::Mobile),
            ..Default::default()
        },
        SessionFilter {
            has_event: Some("no_such_event".to_owned()),
            ..Default::default()
        },
    ];
    for filter in filters {
        let (clause, params) = where_clause(&filter);
        let by_sql: i64 = lib
            .conn
            .query_row(
                &format!("SELECT count(*) FROM sessions s {clause}"),
                rusqlite::params_from_iter(params),
                |r| r.get(0),
            )
            .unwrap();
        let by_index = lib.count_sessions(&filter).unwrap();
        assert_eq!(by_index, u64::try_from(by_sql).unwrap(), "{filter:?}");
    }
}
