//! The ClickHouse library against a real `clickhouse-server` (tests/clickhouse_support):
//! import, reading every session back, reads compared with the SQLite library on the same
//! files, and faults. Without the server binary these tests say so on stderr and pass, unless
//! `SESSIONLENS_REQUIRE_CLICKHOUSE=1`.
#![expect(clippy::unwrap_used, reason = "test code")]

mod clickhouse_support;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clickhouse_support::ClickHouseServer;
use sessionlens::analysis::conversions::{
    DefinitionKind, EventDefinition, Kpis, default_funnel, kpis,
};
use sessionlens::analysis::heatmap::{CountMode, FixedMode, HeatmapKind, HeatmapQuery};
use sessionlens::analysis::signals::hotspots::HotspotSort;
use sessionlens::model::{DeviceClass, PagePos, Session, SessionFilter};
use sessionlens::store::clickhouse::{
    BIN_PX, ClickHouseError, ClickHouseLibrary, HeatmapBin, LibraryUrl, Password, SCHEMA_VERSION,
};
use sessionlens::store::{
    Library, PagePoints, PointKind, SessionQueries, SessionSort, SignalQuery, Store, open_store,
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample sessions and the rrweb fixtures in a SQLite library, and every session of it.
fn sqlite_library(dir: &std::path::Path) -> (Library, Vec<Session>) {
    let mut library = Library::open(&dir.join("library.sqlite")).unwrap();
    library
        .import_paths(
            &[
                repo().join("sample_sessions/rrweb"),
                repo().join("tests/fixtures/rrweb"),
            ],
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    let n = library.count_sessions(&SessionFilter::default()).unwrap();
    let rows = library
        .list_sessions(&SessionFilter::default(), SessionSort::OldestFirst, 0, n)
        .unwrap();
    let sessions: Vec<Session> = rows
        .iter()
        .map(|r| library.load_session(&r.session_id).unwrap())
        .collect();
    assert!(sessions.len() >= 15, "only {} sessions", sessions.len());
    (library, sessions)
}

fn open(
    server: &ClickHouseServer,
    user: &str,
    password: Option<&str>,
    db: &str,
) -> ClickHouseLibrary {
    ClickHouseLibrary::open(
        &LibraryUrl::parse(&server.library_url(user, db)).unwrap(),
        password.map(Password::new),
    )
    .unwrap()
}

/// Runs of a `PagePoints` as (x, y, t) lists, sorted, with the counts: equal whatever order
/// the runs came in.
/// Runs of points as bit patterns, then page views and sessions.
type Runs = (Vec<Vec<(u32, u32, u32)>>, u64, u64);

fn runs(points: &PagePoints) -> Runs {
    let mut out = Vec::new();
    for (i, &start) in points.run_starts.iter().enumerate() {
        let end = points
            .run_starts
            .get(i + 1)
            .copied()
            .unwrap_or(points.xs.len());
        out.push(
            (start..end)
                .map(|j| {
                    (
                        points.xs[j].to_bits(),
                        points.ys[j].to_bits(),
                        points.ts_ms[j],
                    )
                })
                .collect(),
        );
    }
    out.sort();
    (out, points.num_page_views, points.num_sessions)
}

/// Bins the points the way the server does.
fn bins_of(points: &PagePoints) -> Vec<HeatmapBin> {
    let mut counts = std::collections::BTreeMap::new();
    let side = BIN_PX as f32;
    for (x, y) in points.xs.iter().zip(&points.ys) {
        let cell = ((x / side).floor() as i32, (y / side).floor() as i32);
        *counts.entry(cell).or_insert(0u64) += 1;
    }
    counts
        .into_iter()
        .map(|((cell_x, cell_y), count)| HeatmapBin {
            cell_x,
            cell_y,
            count,
        })
        .collect()
}

#[test]
fn the_harness_starts_and_stops_a_real_server() {
    let Some(server) =
        ClickHouseServer::start_or_skip("the_harness_starts_and_stops_a_real_server")
    else {
        return;
    };
    let version = server.sql("SELECT version()");
    assert!(!version.trim().is_empty());
    let port = server.http_port;
    server.stop();
    // Stopped: nothing answers on its port any more.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn import_reads_every_session_back_and_is_idempotent() {
    let Some(server) =
        ClickHouseServer::start_or_skip("import_reads_every_session_back_and_is_idempotent")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    let outcome = library.import_sessions(&sessions, "sample").unwrap();
    assert_eq!(outcome.imported, sessions.len());
    assert_eq!(outcome.duplicates, 0);
    for session in &sessions {
        assert_eq!(
            &library.load_session(&session.session_id).unwrap(),
            session,
            "{}",
            session.session_id
        );
    }
    assert!(matches!(
        library.load_session("no-such-session"),
        Err(ClickHouseError::NoSuchSession(_))
    ));
    // A re-run writes nothing: every session is a duplicate.
    let again = library.import_sessions(&sessions, "sample").unwrap();
    assert_eq!((again.imported, again.duplicates), (0, sessions.len()));
    let all = SessionFilter::default();
    assert_eq!(library.count_sessions(&all).unwrap(), sessions.len() as u64);
    assert_eq!(
        server.sql("SELECT count() FROM team.batches").trim(),
        "1",
        "the re-run published nothing"
    );
    // Reopening finds the schema in place.
    let reopened = open(&server, "default", None, "team");
    assert_eq!(
        reopened.count_sessions(&all).unwrap(),
        sessions.len() as u64
    );
    assert_eq!(
        server
            .sql("SELECT max(version) FROM team.schema_version")
            .trim(),
        SCHEMA_VERSION.to_string()
    );
}

#[test]
fn an_unpublished_batch_is_invisible_and_a_rerun_completes_it() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "an_unpublished_batch_is_invisible_and_a_rerun_completes_it",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    let (first, rest) = sessions.split_at(10);
    library.import_sessions(first, "sample").unwrap();
    // An import killed before it published: all its rows are written, its batch row is not.
    library.import_sessions(rest, "sample").unwrap();
    server.sql(
        "ALTER TABLE team.batches DELETE WHERE batch_id = (SELECT max(batch_id) FROM team.batches)",
    );
    // Mutations run in the background; wait until the batch row is gone.
    for _ in 0..100 {
        if server.sql("SELECT count() FROM team.batches").trim() == "1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(server.sql("SELECT count() FROM team.batches").trim(), "1");
    let all = SessionFilter::default();
    assert_eq!(library.count_sessions(&all).unwrap(), first.len() as u64);
    assert!(matches!(
        library.load_session(&rest[0].session_id),
        Err(ClickHouseError::NoSuchSession(_))
    ));
    let page = &rest[0].pages[0].url;
    let bins = library
        .heatmap_bins(&all, page, None, PointKind::Click)
        .unwrap();
    let points = library
        .page_points(&all, page, None, PointKind::Click)
        .unwrap();
    assert_eq!(bins, bins_of(&points), "unpublished points are not binned");
    // The re-run imports the unpublished sessions again and publishes them once.
    let rerun = library.import_sessions(&sessions, "sample").unwrap();
    assert_eq!(
        (rerun.imported, rerun.duplicates),
        (rest.len(), first.len())
    );
    assert_eq!(library.count_sessions(&all).unwrap(), sessions.len() as u64);
    for session in rest {
        assert_eq!(&library.load_session(&session.session_id).unwrap(), session);
    }
    let points = library
        .page_points(&all, page, None, PointKind::Click)
        .unwrap();
    assert_eq!(
        library
            .heatmap_bins(&all, page, None, PointKind::Click)
            .unwrap(),
        bins_of(&points)
    );
}

/// Waits until `sql` answers `want` (mutations run in the background).
fn wait_for(server: &ClickHouseServer, sql: &str, want: &str) {
    for _ in 0..100 {
        if server.sql(sql).trim() == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(server.sql(sql).trim(), want, "{sql}");
}

/// Two published batches holding the same sessions, as two imports racing each other leave
/// them when the second is killed between its publish and its check: the sessions show twice
/// until they are settled, by the next import of files or by the upgrade from schema version
/// 2 (whose readers took `sessions FINAL`); then each shows once, from the later batch.
#[test]
fn a_session_published_by_two_batches_shows_once_from_the_later_one() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "a_session_published_by_two_batches_shows_once_from_the_later_one",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let (first, rest) = sessions.split_at(10);
    let all = SessionFilter::default();
    let n = sessions.len() as u64;
    let count = |library: &ClickHouseLibrary| library.count_sessions(&all).unwrap();
    // `rest` written by an import whose publish row is taken back, then again by a re-run,
    // then the first one published late: both batches of `rest` are published.
    let twice = |db: &str| -> (ClickHouseLibrary, String) {
        let library = open(&server, "default", None, db);
        library.import_sessions(first, "sample").unwrap();
        library.import_sessions(rest, "sample").unwrap();
        let late = server.sql(&format!("SELECT max(batch_id) FROM {db}.batches"));
        let late = late.trim().to_owned();
        server.sql(&format!(
            "ALTER TABLE {db}.batches DELETE WHERE batch_id = {late}"
        ));
        wait_for(&server, &format!("SELECT count() FROM {db}.batches"), "1");
        let rerun = library.import_sessions(rest, "sample").unwrap();
        assert_eq!(rerun.imported, rest.len());
        server.sql(&format!(
            "INSERT INTO {db}.batches (batch_id, published_at_ms, num_sessions, written_by, shard)
             VALUES ({late}, 0, {}, 'late', 0)",
            rest.len()
        ));
        assert_eq!(count(&library), n + rest.len() as u64, "shown twice before");
        (library, late)
    };
    let page = &rest[0].pages[0].url;
    let check = |library: &ClickHouseLibrary, db: &str, late: &str| {
        assert_eq!(count(library), n);
        assert_eq!(
            server.sql(&format!(
                "SELECT count() FROM {db}.superseded WHERE batch_id = {late}"
            )),
            format!("{}\n", rest.len())
        );
        for session in rest {
            assert_eq!(&library.load_session(&session.session_id).unwrap(), session);
        }
        let points = library
            .page_points(&all, page, None, PointKind::Click)
            .unwrap();
        let want =
            SessionQueries::page_points(&sqlite, &all, page, None, PointKind::Click).unwrap();
        assert_eq!(runs(&points), runs(&want), "points of {page}");
        let ids: std::collections::HashSet<_> = library
            .list_sessions(&all, SessionSort::OldestFirst, 0, 1000)
            .unwrap()
            .into_iter()
            .map(|r| r.session_id)
            .collect();
        assert_eq!(ids.len() as u64, n);
    };

    // The next import of files settles the library before it writes.
    let (library, late) = twice("settled_by_import");
    let summary = library
        .import_paths(
            &[repo().join("sample_sessions/rrweb")],
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(
        summary.sessions_imported, 0,
        "all of them are in the library"
    );
    check(&library, "settled_by_import", &late);
    let kpis = library.kpis(&all).unwrap();
    assert_eq!(kpis.sessions as u64, n);

    // A library of schema version 2 with the same two batches is settled by its upgrade.
    let (library, late) = twice("upgraded");
    drop(library);
    server.sql("DROP TABLE upgraded.superseded");
    server.sql("INSERT INTO upgraded.schema_version (version, applied_at_ms) VALUES (2, 0)");
    server.sql(&format!(
        "ALTER TABLE upgraded.schema_version DELETE WHERE version = {SCHEMA_VERSION}"
    ));
    wait_for(
        &server,
        "SELECT max(version) FROM upgraded.schema_version",
        "2",
    );
    let library = open(&server, "default", None, "upgraded");
    check(&library, "upgraded", &late);
    assert_eq!(
        server
            .sql("SELECT max(version) FROM upgraded.schema_version")
            .trim(),
        SCHEMA_VERSION.to_string()
    );
}

#[test]
fn reads_equal_the_sqlite_library_on_the_same_files() {
    let Some(server) =
        ClickHouseServer::start_or_skip("reads_equal_the_sqlite_library_on_the_same_files")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut sqlite, sessions) = sqlite_library(dir.path());
    sqlite.ensure_standard_definitions().unwrap();
    let library = open(&server, "default", None, "team");
    library.import_sessions(&sessions, "sample").unwrap();
    // KPIs count the sessions with hits of the add_to_cart and begin_checkout definitions.
    library.ensure_standard_definitions().unwrap();

    let first = &sessions[0];
    let mut filters = vec![
        SessionFilter::default(),
        SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..SessionFilter::default()
        },
        SessionFilter {
            device: Some(DeviceClass::Desktop),
            min_viewport_width: Some(1000),
            ..SessionFilter::default()
        },
        SessionFilter {
            converted: Some(true),
            ..SessionFilter::default()
        },
        SessionFilter {
            has_event: Some("ADD_TO_CART".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            has_signal: Some("rage_click".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            source: Some("google".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            source: Some("direct".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            started_from_ms: Some(first.started_at_ms),
            started_before_ms: Some(first.started_at_ms + 86_400_000),
            ..SessionFilter::default()
        },
        SessionFilter {
            url: Some("/product/*".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            url: Some(first.pages[0].url_without_fragment().to_owned()),
            ..SessionFilter::default()
        },
    ];
    filters.push(SessionFilter {
        url: Some("*checkout*".to_owned()),
        max_viewport_width: Some(800),
        ..SessionFilter::default()
    });
    let mut nonempty = 0;
    for filter in &filters {
        let n = sqlite.count_sessions(filter).unwrap();
        assert_eq!(library.count_sessions(filter).unwrap(), n, "{filter:?}");
        if n > 0 && n < sessions.len() as u64 {
            nonempty += 1;
        }
        let mut expected = sqlite
            .list_sessions(filter, SessionSort::NewestFirst, 0, 1000)
            .unwrap();
        let mut got = library
            .list_sessions(filter, SessionSort::NewestFirst, 0, 1000)
            .unwrap();
        expected.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        got.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        assert_eq!(got, expected, "{filter:?}");
        assert_eq!(
            library.kpis(filter).unwrap(),
            kpis(&sqlite.conversion_facts(filter, &[]).unwrap()),
            "{filter:?}"
        );
        // The same answers through the store's query trait.
        let queries: &dyn SessionQueries = &library;
        assert_eq!(
            queries.page_groups(filter).unwrap(),
            sqlite.page_groups(filter).unwrap(),
            "{filter:?}"
        );
        assert_eq!(queries.count_sessions(filter).unwrap(), n);
    }
    assert!(
        nonempty >= 6,
        "the filters must select something: {nonempty}"
    );
    // Paging and order: ties aside (none in these samples), the same pages.
    for sort in [
        SessionSort::NewestFirst,
        SessionSort::OldestFirst,
        SessionSort::LongestFirst,
    ] {
        let ids = |rows: Vec<sessionlens::store::SessionRow>| {
            rows.into_iter().map(|r| r.session_id).collect::<Vec<_>>()
        };
        let all = SessionFilter::default();
        assert_eq!(
            ids(library.list_sessions(&all, sort, 5, 7).unwrap()),
            ids(sqlite.list_sessions(&all, sort, 5, 7).unwrap()),
            "{sort:?}"
        );
    }
    // Points and heatmap bins of every page, kind and a width range, with and without filters.
    let groups = sqlite.page_groups(&SessionFilter::default()).unwrap();
    assert!(groups.len() > 5);
    let mut binned = 0;
    for group in &groups {
        for kind in PointKind::ALL {
            for widths in [None, Some((0, 800)), Some((801, 5000))] {
                for filter in [&filters[0], &filters[1], &filters[3]] {
                    let expected = sqlite
                        .page_points(filter, &group.url, widths, kind)
                        .unwrap();
                    let got = library
                        .page_points(filter, &group.url, widths, kind)
                        .unwrap();
                    assert_eq!(
                        runs(&got),
                        runs(&expected),
                        "{} {kind:?} {widths:?}",
                        group.url
                    );
                    let bins = library
                        .heatmap_bins(filter, &group.url, widths, kind)
                        .unwrap();
                    assert_eq!(
                        bins,
                        bins_of(&expected),
                        "{} {kind:?} {widths:?}",
                        group.url
                    );
                    binned += usize::from(!bins.is_empty());
                }
            }
        }
    }
    assert!(binned > 20, "{binned}");
    // A glob page pattern over several pages.
    let expected = sqlite
        .page_points(&filters[0], "/*", None, PointKind::Click)
        .unwrap();
    let got = library
        .page_points(&filters[0], "/*", None, PointKind::Click)
        .unwrap();
    assert!(!expected.is_empty());
    assert_eq!(runs(&got), runs(&expected));
}

#[test]
fn faults_name_the_server_and_what_to_do() {
    let Some(server) = ClickHouseServer::start_or_skip("faults_name_the_server_and_what_to_do")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_sqlite, sessions) = sqlite_library(dir.path());
    let url = |user: &str| LibraryUrl::parse(&server.library_url(user, "team")).unwrap();
    let server_name = format!("127.0.0.1:{}", server.http_port);

    // Wrong password, unknown user.
    for (user, password) in [
        ("analyst", Some("hunter2")),
        ("analyst", None),
        ("nobody", None),
    ] {
        let e = ClickHouseLibrary::open(&url(user), password.map(Password::new)).unwrap_err();
        assert!(matches!(e, ClickHouseError::Auth { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains(&server_name) && text.contains("SESSIONLENS_CLICKHOUSE_PASSWORD"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }
    // The right password writes.
    let writer = ClickHouseLibrary::open(&url("analyst"), Some(Password::new("secret"))).unwrap();
    writer.import_sessions(&sessions[..5], "sample").unwrap();

    // A read-only user reads, and is told it cannot import.
    let viewer = ClickHouseLibrary::open(&url("viewer"), Some(Password::new("viewer"))).unwrap();
    assert_eq!(viewer.count_sessions(&SessionFilter::default()).unwrap(), 5);
    assert_eq!(
        &viewer.load_session(&sessions[0].session_id).unwrap(),
        &sessions[0]
    );
    let e = viewer
        .import_sessions(&sessions[5..8], "sample")
        .unwrap_err();
    assert!(matches!(e, ClickHouseError::ReadOnly { .. }), "{e:?}");
    assert!(e.to_string().contains("write access"), "{e}");
    assert_eq!(writer.count_sessions(&SessionFilter::default()).unwrap(), 5);
    // A read-only user cannot create a library.
    let e = ClickHouseLibrary::open(
        &LibraryUrl::parse(&server.library_url("viewer", "other")).unwrap(),
        Some(Password::new("viewer")),
    )
    .unwrap_err();
    assert!(matches!(e, ClickHouseError::ReadOnly { .. }), "{e:?}");

    // A schema of a newer SessionLens.
    server.sql(&format!(
        "INSERT INTO team.schema_version (version, applied_at_ms) VALUES ({}, 0)",
        SCHEMA_VERSION + 1
    ));
    let e = ClickHouseLibrary::open(&url("default"), None).unwrap_err();
    assert!(matches!(e, ClickHouseError::NewerSchema { .. }), "{e:?}");
    assert!(e.to_string().contains("update SessionLens"), "{e}");

    // The server gone.
    let gone = url("default");
    drop(server);
    let e = ClickHouseLibrary::open(&gone, None).unwrap_err();
    assert!(matches!(e, ClickHouseError::Unreachable { .. }), "{e:?}");
    assert!(e.to_string().contains(&server_name), "{e}");
}

/// The sample sessions in database `db` of `server`, opened with a query time limit of
/// `timeout_s`, with the scroll map of the most viewed page and its figures.
fn sample_library_with_timeout(
    server: &ClickHouseServer,
    db: &str,
    timeout_s: u64,
) -> (
    ClickHouseLibrary,
    HeatmapQuery,
    sessionlens::analysis::heatmap::HeatmapResult,
) {
    let dir = tempfile::tempdir().unwrap();
    let (_sqlite, sessions) = sqlite_library(dir.path());
    let url = LibraryUrl::parse(&server.library_url("default", db)).unwrap();
    let library = ClickHouseLibrary::open_with_timeout(&url, None, timeout_s).unwrap();
    library.import_sessions(&sessions, "sample").unwrap();
    let page = library
        .page_groups(&SessionFilter::default())
        .unwrap()
        .first()
        .unwrap()
        .url
        .clone();
    let query = HeatmapQuery::new(&page, HeatmapKind::Scroll, 1440);
    let figures = library.scroll_heatmap_figures(&query).unwrap();
    (library, query, figures)
}

/// Turns `db.page_views` into a view that reads billions of rows (the table kept aside).
fn make_page_views_slow(server: &ClickHouseServer, db: &str) {
    server.sql(&format!(
        "RENAME TABLE {db}.page_views TO {db}.page_views_kept"
    ));
    server.sql(&format!(
        "CREATE VIEW {db}.page_views AS SELECT * FROM numbers(100000000000) AS n CROSS JOIN {db}.page_views_kept AS kept"
    ));
}

/// Undoes [`make_page_views_slow`].
fn restore_page_views(server: &ClickHouseServer, db: &str) {
    server.sql(&format!("DROP TABLE {db}.page_views"));
    server.sql(&format!(
        "RENAME TABLE {db}.page_views_kept TO {db}.page_views"
    ));
}

#[test]
fn a_query_out_of_time_names_the_server_and_a_retry_answers() {
    let Some(server) =
        ClickHouseServer::start_or_skip("a_query_out_of_time_names_the_server_and_a_retry_answers")
    else {
        return;
    };
    let (library, query, before) = sample_library_with_timeout(&server, "slow", 1);
    assert!(before.page_views > 0);

    // The server turns slow: the page views become a view that reads billions of rows.
    make_page_views_slow(&server, "slow");
    let started = std::time::Instant::now();
    let e = library.scroll_heatmap_figures(&query).unwrap_err();
    assert!(
        matches!(e, ClickHouseError::Timeout { seconds: 1, .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{}", server.http_port))
            && text.contains("longer than 1 s"),
        "{text}"
    );
    // Stopped by the server's limit, not left to hang.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    // The server recovers; asked again, the same library answers as before.
    restore_page_views(&server, "slow");
    let after = library.scroll_heatmap_figures(&query).unwrap();
    assert!(before == after);
}

/// The app stops a superseded question through the library's interrupt: the server stops the
/// library's running query at once (`KILL QUERY` of its query ids), long before its time
/// limit, and the library answers the next question.
#[test]
fn the_interrupt_stops_the_running_query_and_the_library_answers_on() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "the_interrupt_stops_the_running_query_and_the_library_answers_on",
    ) else {
        return;
    };
    let (library, query, before) = sample_library_with_timeout(&server, "stopped", 300);
    make_page_views_slow(&server, "stopped");
    let interrupt = Store::interrupter(&library).expect("a ClickHouse library can be interrupted");
    let started = std::time::Instant::now();
    let answer = std::thread::scope(|scope| {
        let running = scope.spawn(|| library.scroll_heatmap_figures(&query));
        std::thread::sleep(std::time::Duration::from_millis(700));
        assert!(!running.is_finished(), "the slow query ended by itself");
        interrupt.interrupt();
        running.join().unwrap()
    });
    let e = answer.unwrap_err();
    assert!(e.to_string().contains("cancelled"), "{e}");
    // Stopped by the interrupt, not by the 300 s limit.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    restore_page_views(&server, "stopped");
    assert!(library.scroll_heatmap_figures(&query).unwrap() == before);
}

/// A team server reached over HTTPS (`clickhouses://`): the certificate is checked against
/// the team's authority (`SESSIONLENS_CLICKHOUSE_CA_FILE`), the library works as over HTTP,
/// and without the authority the connection is refused with a message that says what to do.
#[test]
fn a_library_over_https_trusts_the_named_authority_only() {
    let Some(server) = ClickHouseServer::start_with_tls_or_skip(
        "a_library_over_https_trusts_the_named_authority_only",
    ) else {
        return;
    };
    let https = server.https_port.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let text = format!("clickhouses://default@127.0.0.1:{https}/secure");
    let mut url = LibraryUrl::parse(&text).unwrap();
    url.ca_file = Some(server.ca_file());
    let library = ClickHouseLibrary::open(&url, None).unwrap();
    library.import_sessions(&sessions, "sample").unwrap();
    assert_eq!(
        Store::num_sessions(&library).unwrap(),
        sqlite.num_sessions().unwrap()
    );
    let plain = open(&server, "default", None, "secure");
    let all = SessionFilter::default();
    assert_eq!(library.kpis(&all).unwrap(), plain.kpis(&all).unwrap());

    // The public web's authorities do not vouch for the team's certificate.
    let e = ClickHouseLibrary::open(&LibraryUrl::parse(&text).unwrap(), None).unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, ClickHouseError::Tls { .. }), "{e:?}");
    assert!(
        message.contains(&format!("127.0.0.1:{https}"))
            && message.contains("SESSIONLENS_CLICKHOUSE_CA_FILE"),
        "{message}"
    );
    // A file that holds no certificate is named.
    let junk = dir.path().join("not-a-ca.pem");
    std::fs::write(&junk, "hello").unwrap();
    url.ca_file = Some(junk);
    let e = ClickHouseLibrary::open(&url, None).unwrap_err();
    assert!(
        matches!(e, ClickHouseError::CaFile { .. }) && e.to_string().contains("not-a-ca.pem"),
        "{e}"
    );
    // The CLI takes the authority from the environment.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .args(["--library", &text, "list"])
        .env("SESSIONLENS_CLICKHOUSE_CA_FILE", server.ca_file())
        .env_remove("SESSIONLENS_LIBRARY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains(&sessions[0].session_id), "{listed}");
}

#[test]
fn two_shards_behind_distributed_tables_answer_as_one_server() {
    let Some(shard_b) = ClickHouseServer::start_or_skip(
        "two_shards_behind_distributed_tables_answer_as_one_server",
    ) else {
        return;
    };
    // Server A is shard 1 and the router; B is shard 2 (and holds the single-server library).
    let Some(shard_a) = ClickHouseServer::start_with_clusters_or_skip(
        "two_shards_behind_distributed_tables_answer_as_one_server",
        &[clickhouse_support::Cluster {
            name: "two".to_owned(),
            shard_tcp_ports: vec![0, shard_b.tcp_port],
        }],
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_sqlite, sessions) = sqlite_library(dir.path());
    let shard_libraries = [
        open(&shard_a, "default", None, "team_shard"),
        open(&shard_b, "default", None, "team_shard"),
    ];
    let router = ClickHouseLibrary::create_sharded(
        &LibraryUrl::parse(&shard_a.library_url("default", "team")).unwrap(),
        None,
        "two",
        "team_shard",
    )
    .unwrap();
    assert_eq!(router.shards(), Some(2));
    let single = open(&shard_b, "default", None, "single");
    assert_eq!(single.shards(), None);
    let outcome = router.import_sessions(&sessions, "sample").unwrap();
    assert_eq!(outcome.imported, sessions.len());
    single.import_sessions(&sessions, "sample").unwrap();

    // Every session on exactly one shard, and both shards used.
    let all = SessionFilter::default();
    let per_shard: Vec<u64> = shard_libraries
        .iter()
        .map(|l| l.count_sessions(&all).unwrap())
        .collect();
    assert!(per_shard.iter().all(|&n| n > 0), "{per_shard:?}");
    assert_eq!(per_shard.iter().sum::<u64>(), sessions.len() as u64);

    // A re-run through the router is idempotent too.
    let again = router.import_sessions(&sessions, "sample").unwrap();
    assert_eq!((again.imported, again.duplicates), (0, sessions.len()));

    let filters = [
        all.clone(),
        SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..SessionFilter::default()
        },
        SessionFilter {
            converted: Some(true),
            ..SessionFilter::default()
        },
        SessionFilter {
            has_event: Some("add_to_cart".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            url: Some("/product/*".to_owned()),
            ..SessionFilter::default()
        },
    ];
    for filter in &filters {
        assert_eq!(
            router.count_sessions(filter).unwrap(),
            single.count_sessions(filter).unwrap(),
            "{filter:?}"
        );
        for sort in [SessionSort::NewestFirst, SessionSort::LongestFirst] {
            assert_eq!(
                router.list_sessions(filter, sort, 0, 1000).unwrap(),
                single.list_sessions(filter, sort, 0, 1000).unwrap(),
                "{filter:?} {sort:?}"
            );
        }
        assert_eq!(router.kpis(filter).unwrap(), single.kpis(filter).unwrap());
        // Hotspots grouped on the shards and added up by the router.
        let hotspots = router
            .hotspots(filter, &[], None, HotspotSort::SessionsAffected)
            .unwrap();
        assert_eq!(
            hotspots,
            single
                .hotspots(filter, &[], None, HotspotSort::SessionsAffected)
                .unwrap()
        );
    }
    for session in &sessions {
        assert_eq!(&router.load_session(&session.session_id).unwrap(), session);
    }
    let pages: std::collections::BTreeSet<String> = sessions
        .iter()
        .flat_map(|s| s.pages.iter().map(|p| p.url_without_fragment().to_owned()))
        .collect();
    let mut binned = 0;
    for page in &pages {
        for kind in PointKind::ALL {
            for filter in [&filters[0], &filters[1]] {
                assert_eq!(
                    router.page_points(filter, page, None, kind).unwrap(),
                    single.page_points(filter, page, None, kind).unwrap(),
                    "{page} {kind:?}"
                );
                let bins = router.heatmap_bins(filter, page, None, kind).unwrap();
                assert_eq!(bins, single.heatmap_bins(filter, page, None, kind).unwrap());
                binned += usize::from(!bins.is_empty());
            }
        }
    }
    assert!(binned > 10, "{binned}");
    // Maps binned by the shards and added up by the router: clicks, moves (both count
    // modes) and attention.
    for page in &pages {
        for filter in [&filters[0], &filters[1]] {
            for (kind, count_mode) in [
                (HeatmapKind::Click, CountMode::Total),
                (HeatmapKind::Click, CountMode::UniqueSessions),
                (HeatmapKind::Move, CountMode::Total),
                (HeatmapKind::Move, CountMode::UniqueSessions),
                (HeatmapKind::Attention, CountMode::Total),
                (HeatmapKind::Rage, CountMode::Total),
                (HeatmapKind::Dead, CountMode::UniqueSessions),
            ] {
                let mut query = HeatmapQuery::new(page, kind, 1440);
                query.filter = filter.clone();
                query.viewport_widths = None;
                query.count_mode = count_mode;
                let a = Store::heatmap_figures(&router, &query).unwrap();
                assert!(
                    a == Store::heatmap_figures(&single, &query).unwrap(),
                    "{page} {filter:?} {kind:?} {count_mode:?}"
                );
                // The whole map, composed from the points of its page views (their keys sent
                // as a table along with the query, to every shard).
                if kind == HeatmapKind::Click && count_mode == CountMode::Total {
                    let whole = Store::heatmap(&router, &query).unwrap();
                    assert!(whole == Store::heatmap(&single, &query).unwrap(), "{page}");
                    assert_eq!(whole.point_refs.len() as u64, whole.points);
                }
            }
        }
    }
}

/// What `for_each_point_blob` calls for each page view with points.
type PointSink<'a> = dyn FnMut(usize, sessionlens::store::PointColumns<'_>) + 'a;

/// A page view with its session named by id (row ids differ between libraries).
type NamedView = (String, u32, String, (u32, u32), u32, i64, u32, i64, u32);

fn named_views(
    views: &[sessionlens::store::HeatmapPageView],
    id_of: &dyn Fn(i64) -> String,
) -> Vec<NamedView> {
    let mut out: Vec<NamedView> = views
        .iter()
        .map(|v| {
            (
                id_of(v.session_rowid),
                v.page_index,
                v.url.to_string(),
                (v.viewport.width, v.viewport.height),
                v.max_depth_px.to_bits(),
                v.duration_ms,
                v.doc_height_px,
                v.entered_at_ms,
                v.num_clicks,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn heatmap_reads_equal_the_sqlite_library() {
    let Some(server) = ClickHouseServer::start_or_skip("heatmap_reads_equal_the_sqlite_library")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    library.import_sessions(&sessions, "sample").unwrap();
    let sqlite_id = |rowid: i64| sqlite.session_id_of_rowid(rowid).unwrap().unwrap();
    let ch_id = |rowid: i64| library.session_id_of_rowid(rowid).unwrap().unwrap();
    let filters = [
        SessionFilter::default(),
        SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..SessionFilter::default()
        },
        SessionFilter {
            has_signal: Some("rage_click".to_owned()),
            ..SessionFilter::default()
        },
    ];
    let mut pages: Vec<String> = sqlite
        .page_groups(&SessionFilter::default())
        .unwrap()
        .into_iter()
        .map(|g| g.url)
        .collect();
    pages.push("/*".to_owned());
    let (mut with_points, mut with_signals) = (0, 0);
    for filter in &filters {
        for page in &pages {
            for widths in [None, Some((0, 800))] {
                let expected = sqlite.heatmap_page_views(filter, page, widths).unwrap();
                let got = library.heatmap_page_views(filter, page, widths).unwrap();
                assert_eq!(
                    named_views(&got, &ch_id),
                    named_views(&expected, &sqlite_id),
                    "{page} {filter:?}"
                );
                assert!(got.windows(2).all(|w| (w[0].session_rowid, w[0].page_index)
                    < (w[1].session_rowid, w[1].page_index)));
                for kind in PointKind::ALL {
                    let collect =
                        |views: &[sessionlens::store::HeatmapPageView],
                         id_of: &dyn Fn(i64) -> String,
                         each: &dyn Fn(&mut PointSink<'_>)| {
                            let mut out = Vec::new();
                            each(&mut |i, cols| {
                                let v = &views[i];
                                let points: Vec<(u32, u32, u32)> = cols
                                    .iter()
                                    .map(|(x, y, t)| (x.to_bits(), y.to_bits(), t))
                                    .collect();
                                out.push((id_of(v.session_rowid), v.page_index, points));
                            });
                            out.sort();
                            out
                        };
                    let expected_points = collect(&expected, &sqlite_id, &|f| {
                        sqlite.for_each_point_blob(&expected, kind, f).unwrap();
                    });
                    let got_points = collect(&got, &ch_id, &|f| {
                        library.for_each_point_blob(&got, kind, f).unwrap();
                    });
                    assert_eq!(got_points, expected_points, "{page} {kind:?}");
                    with_points += usize::from(!got_points.is_empty());
                }
                for kind in ["rage_click", "dead_click"] {
                    let named = |signals: Vec<sessionlens::store::PageSignal>,
                                 views: &[sessionlens::store::HeatmapPageView],
                                 id_of: &dyn Fn(i64) -> String| {
                        let mut out: Vec<_> = signals
                            .into_iter()
                            .map(|s| {
                                let v = &views[s.view];
                                (
                                    id_of(v.session_rowid),
                                    v.page_index,
                                    s.pos_in_page.x.to_bits(),
                                    s.pos_in_page.y.to_bits(),
                                    s.start_ms,
                                    s.target,
                                )
                            })
                            .collect();
                        out.sort();
                        out
                    };
                    let expected_signals = named(
                        sqlite.page_signals(&expected, kind).unwrap(),
                        &expected,
                        &sqlite_id,
                    );
                    let got_signals =
                        named(library.page_signals(&got, kind).unwrap(), &got, &ch_id);
                    assert_eq!(got_signals, expected_signals, "{page} {kind}");
                    with_signals += usize::from(!got_signals.is_empty());
                }
            }
        }
    }
    assert!(
        with_points > 20 && with_signals > 2,
        "{with_points} {with_signals}"
    );
    for session in &sessions {
        let rowid = library
            .heatmap_page_views(&SessionFilter::default(), &session.pages[0].url, None)
            .unwrap()
            .into_iter()
            .map(|v| v.session_rowid)
            .find(|&r| ch_id(r) == session.session_id)
            .unwrap();
        assert_eq!(&library.load_session_by_rowid(rowid).unwrap(), session);
    }
    assert_eq!(library.session_id_of_rowid(-1).unwrap(), None);
    assert!(matches!(
        library.load_session_by_rowid(-1),
        Err(ClickHouseError::NoSuchSession(_))
    ));
}

#[test]
fn files_import_as_in_the_sqlite_library() {
    let Some(server) = ClickHouseServer::start_or_skip("files_import_as_in_the_sqlite_library")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    // One unreadable file among the recordings fails alone.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let library = open(&server, "default", None, "team");
    let paths = [
        repo().join("sample_sessions/rrweb"),
        repo().join("tests/fixtures/rrweb"),
        broken.clone(),
    ];
    let mut reported = 0;
    let summary = library
        .import_paths(
            &paths,
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |progress, _| reported = progress.files_done,
        )
        .unwrap();
    assert_eq!(reported, summary.files.len());
    // File by file the same outcome as an import of the same paths into a new SQLite library.
    let mut fresh = Library::open(&dir.path().join("fresh.sqlite")).unwrap();
    let expected = fresh
        .import_paths(
            &paths,
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    let essentials = |s: &sessionlens::store::ImportSummary| {
        s.files
            .iter()
            .map(|f| {
                (
                    f.file.clone(),
                    f.status,
                    f.session_ids.clone(),
                    f.duplicate_ids.clone(),
                    f.error.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(essentials(&summary), essentials(&expected));
    assert_eq!(
        (
            summary.sessions_imported,
            summary.sessions_duplicate,
            summary.files_failed
        ),
        (
            expected.sessions_imported,
            expected.sessions_duplicate,
            expected.files_failed
        )
    );
    assert_eq!(summary.sessions_imported, sessions.len());
    assert!(
        summary
            .files
            .iter()
            .any(|f| f.file == broken.display().to_string() && f.error.is_some())
    );
    let imported: usize = summary.files.iter().map(|f| f.session_ids.len()).sum();
    assert_eq!(imported, sessions.len());
    for session in &sessions {
        assert_eq!(&library.load_session(&session.session_id).unwrap(), session);
        // The recording each came from, as the SQLite library records it.
        assert_eq!(
            library.source_file(&session.session_id).unwrap(),
            sqlite.source_file(&session.session_id).unwrap(),
            "{}",
            session.session_id
        );
    }
    assert_eq!(
        library.custom_event_names().unwrap(),
        sqlite.custom_event_names().unwrap()
    );
    assert!(!library.custom_event_names().unwrap().is_empty());
    // Again: every file a duplicate, nothing written.
    let again = library
        .import_paths(
            &paths[..2],
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(again.sessions_imported, 0);
    assert_eq!(
        again.sessions_duplicate,
        expected.sessions_imported + expected.sessions_duplicate
    );
    assert!(
        again
            .files
            .iter()
            .all(|f| f.status != sessionlens::store::FileStatus::Imported)
    );
    assert_eq!(
        library.count_sessions(&SessionFilter::default()).unwrap(),
        sessions.len() as u64
    );
}

/// Two files with the same session: the first file's is kept, even when the second is parsed
/// long before it (a large first file, several parsers), run after run, as in the SQLite
/// library.
#[test]
fn the_first_input_holding_a_session_is_kept_whichever_is_parsed_first() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "the_first_input_holding_a_session_is_kept_whichever_is_parsed_first",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let options = sessionlens::demo::GenerateOptions {
        sessions: 1,
        seed: 3,
        ..sessionlens::demo::GenerateOptions::default()
    };
    let small = sessionlens::demo::generate_session(&options, 0);
    let large = sessionlens::demo::with_pointer_tail(&small, 150_000);
    let write = |name: &str, session: &Session| {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        sessionlens::format::native::write_session(std::io::BufWriter::new(file), session).unwrap();
        path
    };
    let first = write("a-large.session.json", &large);
    let second = write("b-small.session.json", &small);
    for run in 0..3 {
        let library = open(&server, "default", None, &format!("order{run}"));
        let summary = library
            .import_paths(
                &[first.clone(), second.clone()],
                &sessionlens::format::ReadOptions::default(),
                &AtomicBool::new(false),
                &mut |_, _| {},
            )
            .unwrap();
        assert_eq!(
            (summary.sessions_imported, summary.sessions_duplicate),
            (1, 1),
            "{summary:?}"
        );
        assert_eq!(
            summary.files[0].session_ids,
            std::slice::from_ref(&small.session_id)
        );
        assert_eq!(
            summary.files[1].duplicate_ids,
            std::slice::from_ref(&small.session_id)
        );
        let kept = library.load_session(&small.session_id).unwrap();
        assert_eq!(kept.events.len(), large.events.len(), "run {run}");
    }
}

/// An import cancelled before its first file is written writes nothing and says it was
/// cancelled; the same import run again completes.
#[test]
fn a_cancelled_import_says_so_and_writes_nothing() {
    let Some(server) =
        ClickHouseServer::start_or_skip("a_cancelled_import_says_so_and_writes_nothing")
    else {
        return;
    };
    let library = open(&server, "default", None, "cancelled");
    let paths = [
        repo().join("sample_sessions/rrweb"),
        repo().join("tests/fixtures/rrweb"),
    ];
    let cancel = AtomicBool::new(false);
    let summary = library
        .import_paths(
            &paths,
            &sessionlens::format::ReadOptions::default(),
            &cancel,
            // The import's first report: cancel at once.
            &mut |_, _| cancel.store(true, std::sync::atomic::Ordering::Relaxed),
        )
        .unwrap();
    assert!(summary.cancelled, "{summary:?}");
    assert_eq!(summary.sessions_imported, 0);
    assert!(summary.files.is_empty(), "{summary:?}");
    assert_eq!(
        library.count_sessions(&SessionFilter::default()).unwrap(),
        0
    );
    let again = library
        .import_paths(
            &paths,
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(!again.cancelled);
    assert!(again.sessions_imported >= 15, "{again:?}");
    assert_eq!(
        library.count_sessions(&SessionFilter::default()).unwrap(),
        again.sessions_imported as u64
    );
}

#[test]
fn notes_behave_as_in_the_sqlite_library_and_record_their_author() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "notes_behave_as_in_the_sqlite_library_and_record_their_author",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Library::open(&dir.path().join("notes.sqlite")).unwrap();
    let analyst = open(&server, "analyst", Some("secret"), "team");
    let viewer = open(&server, "viewer", Some("viewer"), "team");
    let essentials = |notes: Vec<sessionlens::model::Note>| {
        notes
            .into_iter()
            .map(|n| (n.session_id, n.timestamp_ms, n.text))
            .collect::<Vec<_>>()
    };
    let mut ids = Vec::new();
    for (session, t, text) in [
        ("b", 500, "second"),
        ("a", 900, " late "),
        ("a", 100, "early"),
    ] {
        let expected = sqlite.add_note(session, t, text).unwrap();
        let got = analyst.add_note(session, t, text).unwrap();
        assert_eq!(
            (&got.session_id, got.timestamp_ms, &got.text),
            (&expected.session_id, expected.timestamp_ms, &expected.text)
        );
        assert_eq!(analyst.note(got.note_id).unwrap(), Some(got.clone()));
        ids.push((expected.note_id, got.note_id));
    }
    assert_eq!(
        essentials(analyst.notes(None).unwrap()),
        essentials(sqlite.notes(None).unwrap())
    );
    assert_eq!(
        essentials(analyst.notes(Some("a")).unwrap()),
        essentials(sqlite.notes(Some("a")).unwrap())
    );
    assert_eq!(
        analyst.note_author(ids[0].1).unwrap().as_deref(),
        Some("analyst")
    );
    // Edit, delete, and the same refusals.
    assert!(sqlite.update_note(ids[1].0, "edited").unwrap());
    assert!(analyst.update_note(ids[1].1, "edited").unwrap());
    assert!(sqlite.delete_note(ids[2].0).unwrap());
    assert!(analyst.delete_note(ids[2].1).unwrap());
    assert!(!analyst.delete_note(ids[2].1).unwrap());
    assert!(!analyst.update_note(ids[2].1, "again").unwrap());
    assert_eq!(analyst.note(ids[2].1).unwrap(), None);
    assert!(!analyst.update_note(12345, "nobody").unwrap());
    assert!(analyst.add_note("a", 0, "   ").is_err());
    assert!(analyst.add_note("a", 0, &"x".repeat(10_001)).is_err());
    assert_eq!(
        essentials(analyst.notes(None).unwrap()),
        essentials(sqlite.notes(None).unwrap())
    );
    // Merged or not, the latest version wins.
    server.sql("OPTIMIZE TABLE team.notes FINAL");
    assert_eq!(
        essentials(analyst.notes(None).unwrap()),
        essentials(sqlite.notes(None).unwrap())
    );
    // A read-only user reads the notes and is told it cannot write one.
    assert_eq!(viewer.notes(None).unwrap().len(), 2);
    assert!(matches!(
        viewer.add_note("a", 1, "hello"),
        Err(ClickHouseError::ReadOnly { .. })
    ));
}

#[test]
fn sections_and_their_reach_equal_the_sqlite_library() {
    let Some(server) =
        ClickHouseServer::start_or_skip("sections_and_their_reach_equal_the_sqlite_library")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    library.import_sessions(&sessions, "sample").unwrap();
    let section = |name: &str, page: &str, top_px: f32| sessionlens::store::Section {
        name: name.to_owned(),
        page: page.to_owned(),
        top_px,
        bottom_px: top_px + 300.0,
    };
    let defined = [
        section("reviews", "/product/*", 1200.0),
        section("hero", "/product/*", 0.0),
        section("mid", "/product/*", 600.5),
        section("footer", "/*", 2000.0),
    ];
    for s in &defined {
        sqlite.define_section(s).unwrap();
        library.define_section(s).unwrap();
    }
    // Redefined and deleted as in SQLite.
    let moved = section("mid", "/product/*", 700.0);
    sqlite.define_section(&moved).unwrap();
    library.define_section(&moved).unwrap();
    assert!(sqlite.delete_section("footer").unwrap());
    assert!(library.delete_section("footer").unwrap());
    assert!(!library.delete_section("footer").unwrap());
    assert!(library.define_section(&section("", "/x", 0.0)).is_err());
    assert!(library.define_section(&section("bad", "/x", -1.0)).is_err());
    assert_eq!(library.sections().unwrap(), sqlite.sections().unwrap());
    assert_eq!(library.sections().unwrap().len(), 3);
    let mut reached_some = 0;
    for s in library.sections().unwrap().iter().chain([&defined[3]]) {
        for filter in [
            SessionFilter::default(),
            SessionFilter {
                device: Some(DeviceClass::Desktop),
                ..SessionFilter::default()
            },
        ] {
            for widths in [None, Some((0, 800))] {
                let expected = sqlite.section_reach(&filter, s, widths).unwrap();
                assert_eq!(
                    library.section_reach(&filter, s, widths).unwrap(),
                    expected,
                    "{} {filter:?} {widths:?}",
                    s.name
                );
                reached_some +=
                    usize::from(expected.reached > 0 && expected.reached < expected.page_views);
            }
        }
    }
    assert!(reached_some > 2, "{reached_some}");
}

#[test]
fn signals_equal_the_sqlite_library() {
    use sessionlens::analysis::signals::SignalKind;
    let Some(server) = ClickHouseServer::start_or_skip("signals_equal_the_sqlite_library") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    library.import_sessions(&sessions, "sample").unwrap();
    // Grouped by session: SQLite orders sessions by import, ClickHouse by id.
    let by_session = |mut signals: Vec<sessionlens::store::StoredSignal>| {
        signals.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        signals
    };
    let queries = [
        SignalQuery::default(),
        SignalQuery {
            kinds: vec![SignalKind::RageClick, SignalKind::DeadClick],
            ..SignalQuery::default()
        },
        SignalQuery {
            page: Some("/product/*".to_owned()),
            ..SignalQuery::default()
        },
        SignalQuery {
            filter: SessionFilter {
                device: Some(DeviceClass::Mobile),
                ..SessionFilter::default()
            },
            ..SignalQuery::default()
        },
    ];
    let mut nonempty = 0;
    for query in &queries {
        let expected = by_session(sqlite.signals(query).unwrap());
        nonempty += usize::from(!expected.is_empty());
        assert_eq!(
            by_session(library.signals(query).unwrap()),
            expected,
            "{query:?}"
        );
    }
    assert_eq!(nonempty, queries.len());
    for session in &sessions {
        assert_eq!(
            library.session_signals(&session.session_id).unwrap(),
            sqlite.session_signals(&session.session_id).unwrap()
        );
    }
    assert!(matches!(
        library.session_signals("nope"),
        Err(ClickHouseError::NoSuchSession(_))
    ));
}

#[test]
fn hotspots_equal_the_sqlite_library() {
    use sessionlens::analysis::signals::SignalKind;
    use sessionlens::analysis::signals::hotspots::HotspotPlace;
    let Some(server) = ClickHouseServer::start_or_skip("hotspots_equal_the_sqlite_library") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, sessions) = sqlite_library(dir.path());
    let library = open(&server, "default", None, "team");
    library.import_sessions(&sessions, "sample").unwrap();
    let mut nonempty = 0;
    // Hotspots grouped by the server at elements and at 16 px cells (and at pages).
    let mut places = [0usize; 3];
    for filter in [
        SessionFilter::default(),
        SessionFilter {
            device: Some(DeviceClass::Desktop),
            ..SessionFilter::default()
        },
    ] {
        for kinds in [vec![], vec![SignalKind::RageClick, SignalKind::DeadClick]] {
            for page in [None, Some("/product/*")] {
                for sort in [HotspotSort::SessionsAffected, HotspotSort::EstimatedLoss] {
                    let expected = sqlite.hotspots(&filter, &kinds, page, sort).unwrap();
                    nonempty += usize::from(!expected.is_empty());
                    for h in &expected {
                        places[match h.place {
                            HotspotPlace::Element(_) => 0,
                            HotspotPlace::Cell { .. } => 1,
                            HotspotPlace::Page => 2,
                        }] += 1;
                    }
                    assert_eq!(
                        library.hotspots(&filter, &kinds, page, sort).unwrap(),
                        expected,
                        "{filter:?} {kinds:?} {page:?} {sort:?}"
                    );
                }
            }
        }
    }
    assert!(nonempty >= 8, "{nonempty}");
    // (The recordings have no signal without a position, so none at the page as a whole.)
    assert!(places[0] > 0 && places[1] > 0, "{places:?}");
}

// ---- The backend trait: the same answers from both libraries (issue 20) ----

/// KPIs equal, revenue sums compared to 1e-9 relative: the libraries add the same values in
/// different orders (SQLite by row id, ClickHouse by session id).
fn assert_kpis_eq(a: &Kpis, b: &Kpis, what: &str) {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    let opt_close = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => close(x, y),
        (None, None) => true,
        _ => false,
    };
    assert_eq!(
        (
            a.sessions,
            a.purchases,
            a.add_to_cart,
            a.checkouts_started,
            a.checkouts_completed
        ),
        (
            b.sessions,
            b.purchases,
            b.add_to_cart,
            b.checkouts_started,
            b.checkouts_completed
        ),
        "{what}"
    );
    assert!(close(a.revenue, b.revenue), "{what}: {a:?} {b:?}");
    for (x, y) in [
        (a.conversion_rate, b.conversion_rate),
        (a.add_to_cart_rate, b.add_to_cart_rate),
        (a.cart_abandonment_rate, b.cart_abandonment_rate),
        (a.checkout_completion_rate, b.checkout_completion_rate),
        (a.average_order_value, b.average_order_value),
        (a.revenue_per_visitor, b.revenue_per_visitor),
    ] {
        assert!(opt_close(x, y), "{what}: {a:?} {b:?}");
    }
}

/// Both libraries' answers to every read the app and CLI make, compared.
fn assert_same_answers(sqlite: &dyn Store, ch: &dyn Store, what: &str) {
    let started = std::time::Instant::now();
    let step = |name: &str| eprintln!("{what}: {name} at {:?}", started.elapsed());
    let all = SessionFilter::default();
    let n = sqlite.num_sessions().unwrap();
    assert_eq!(ch.num_sessions().unwrap(), n, "{what}");
    let by_id = |store: &dyn Store, filter: &SessionFilter| {
        let mut rows = store
            .list_sessions(filter, SessionSort::NewestFirst, 0, n + 1)
            .unwrap();
        rows.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        rows
    };
    let filters = [
        all.clone(),
        SessionFilter {
            converted: Some(true),
            ..SessionFilter::default()
        },
        SessionFilter {
            converted: Some(false),
            ..SessionFilter::default()
        },
        SessionFilter {
            has_signal: Some("rage_click".to_owned()),
            ..SessionFilter::default()
        },
        SessionFilter {
            device: Some(DeviceClass::Mobile),
            ..SessionFilter::default()
        },
    ];
    for filter in &filters {
        assert_eq!(
            by_id(sqlite, filter),
            by_id(ch, filter),
            "{what} {filter:?}"
        );
        assert_kpis_eq(
            &sqlite.kpis(filter).unwrap(),
            &ch.kpis(filter).unwrap(),
            &format!("{what} {filter:?}"),
        );
    }
    step("for row in by_id(sqlite, &all)");
    for row in by_id(sqlite, &all) {
        let (a, b) = (
            sqlite.session_conversion(&row.session_id).unwrap(),
            ch.session_conversion(&row.session_id).unwrap(),
        );
        assert_eq!(a, b, "{what} {}", row.session_id);
    }
    step("assert_eq!(");
    assert_eq!(
        sqlite.event_definitions().unwrap(),
        ch.event_definitions().unwrap(),
        "{what}"
    );
    assert_eq!(
        sqlite.event_session_counts().unwrap(),
        ch.event_session_counts().unwrap(),
        "{what}"
    );
    assert_eq!(
        sqlite.goal_status().unwrap(),
        ch.goal_status().unwrap(),
        "{what}"
    );
    assert_eq!(
        sqlite.signal_settings().unwrap(),
        ch.signal_settings().unwrap(),
        "{what}"
    );
    step("let goal = sqlite.conversion_g");
    let goal = sqlite.conversion_goal().unwrap();
    let steps = default_funnel(&goal.name);
    let (fa, fb) = (
        sqlite.funnel(&all, &steps, None).unwrap(),
        ch.funnel(&all, &steps, None).unwrap(),
    );
    assert_eq!(fa.steps, fb.steps, "{what}");
    let droppers = |store: &dyn Store, f: &sessionlens::analysis::conversions::Funnel| {
        let mut d: Vec<(String, usize, i64)> = f
            .droppers
            .iter()
            .map(|d| {
                (
                    store.session_id_of_rowid(d.session_rowid).unwrap().unwrap(),
                    d.reached,
                    d.at_ms,
                )
            })
            .collect();
        d.sort();
        d
    };
    assert_eq!(droppers(sqlite, &fa), droppers(ch, &fb), "{what}");
    // The funnel the server walks, under filters, windows and an undefined step.
    let mut with_undefined = steps.clone();
    with_undefined.insert(1, "never_defined".to_owned());
    for filter in &filters {
        for window_ms in [None, Some(60_000), Some(0), Some(-1)] {
            for steps in [&steps, &with_undefined, &steps[1..].to_vec()] {
                let (fa, fb) = (
                    sqlite.funnel(filter, steps, window_ms).unwrap(),
                    ch.funnel(filter, steps, window_ms).unwrap(),
                );
                let at = format!("{what}: funnel {steps:?} {filter:?} {window_ms:?}");
                assert_eq!(fa.steps, fb.steps, "{at}");
                assert_eq!(droppers(sqlite, &fa), droppers(ch, &fb), "{at}");
            }
        }
    }
    step("funnels done");
    // Lift of events (one never defined) and signal kinds (one never seen), counted by the
    // server under each filter.
    let kinds = ["rage_click", "dead_click", "error_click", "no_such_signal"];
    for filter in &filters {
        let (la, lb) = (
            sqlite.lift(filter, &with_undefined, &kinds).unwrap(),
            ch.lift(filter, &with_undefined, &kinds).unwrap(),
        );
        assert_eq!(la, lb, "{what}: lift {filter:?}");
        assert_eq!(la.len(), with_undefined.len() + kinds.len());
    }
    step("let signals = |store: &dyn Sto");
    let signals = |store: &dyn Store| {
        let mut s = store.signals(&SignalQuery::default()).unwrap();
        s.sort_by(|a, b| {
            (&a.session_id, a.start_ms, a.kind, a.page_index).cmp(&(
                &b.session_id,
                b.start_ms,
                b.kind,
                b.page_index,
            ))
        });
        s
    };
    let sqlite_signals = signals(sqlite);
    assert!(!sqlite_signals.is_empty(), "{what}");
    assert_eq!(sqlite_signals, signals(ch), "{what}");
    for sort in [HotspotSort::SessionsAffected, HotspotSort::EstimatedLoss] {
        assert_eq!(
            sqlite.hotspots(&all, &[], None, sort).unwrap(),
            ch.hotspots(&all, &[], None, sort).unwrap(),
            "{what}"
        );
    }
    step("let journey_sessions = |store:");
    let journey_sessions = |store: &dyn Store| {
        let mut paths = store.journey_paths(&all).unwrap();
        paths.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        paths
    };
    assert_eq!(journey_sessions(sqlite), journey_sessions(ch), "{what}");
    // Heatmaps of every kind on the most viewed pages, rendered by the shared renderer.
    step("let groups = sqlite.page_group");
    let groups = sqlite.page_groups(&all).unwrap();
    assert_eq!(groups, ch.page_groups(&all).unwrap(), "{what}");
    // The maps' figures and grids are compared for every kind and layout on the most viewed
    // pages; equal grids make equal pictures, and one picture per kind is rendered by the
    // shared renderer and compared byte for byte (rendering is slow in a debug build).
    let blank = sessionlens::render::RgbaImage {
        width: 1440,
        height: 900,
        pixels: vec![255; 1440 * 900 * 4],
    };
    let mut drawn = 0;
    for (page_rank, group) in groups.iter().take(3).enumerate() {
        for kind in [
            HeatmapKind::Click,
            HeatmapKind::Move,
            HeatmapKind::Scroll,
            HeatmapKind::Attention,
            HeatmapKind::Rage,
            HeatmapKind::Dead,
        ] {
            for width in [1440, 390] {
                let query = HeatmapQuery::new(&group.url, kind, width);
                let (a, b) = (sqlite.heatmap(&query).unwrap(), ch.heatmap(&query).unwrap());
                let at = format!("{what}: the {kind:?} map of {} at {width} px", group.url);
                assert_eq!(
                    (a.sessions, a.page_views, a.points, a.points_outside_page),
                    (b.sessions, b.page_views, b.points, b.points_outside_page),
                    "{at}"
                );
                assert!(a.density == b.density, "{at}: grids differ");
                assert_eq!(a.hotspots, b.hotspots, "{at}");
                assert_eq!(a.scroll_reach, b.scroll_reach, "{at}");
                assert_eq!(a.attention_secs, b.attention_secs, "{at}");
                assert_eq!(
                    (a.average_fold_px, a.page_height_px, a.date_range_ms),
                    (b.average_fold_px, b.page_height_px, b.date_range_ms),
                    "{at}"
                );
                // The figures alone (a click map binned by the server) equal the SQLite ones.
                let (fa, fb) = (
                    sqlite.heatmap_figures(&query).unwrap(),
                    ch.heatmap_figures(&query).unwrap(),
                );
                assert!(fa == fb, "{at}: the figures differ");
                assert_eq!(
                    (fa.sessions, fa.points, &fa.hotspots),
                    (a.sessions, a.points, &a.hotspots),
                    "{at}"
                );
                if page_rank == 0 && width == 1440 {
                    let settings = sessionlens::render::heatmap::RenderSettings::for_kind(kind);
                    let png = |r| {
                        sessionlens::render::encode_png(
                            &sessionlens::render::heatmap::render_heatmap(r, &blank, &settings),
                        )
                        .unwrap()
                    };
                    assert!(png(&a) == png(&b), "{at}: the PNGs differ");
                    assert!(png(&a) == png(&fb), "{at}: the server-binned PNG differs");
                }
                drawn += usize::from(a.points > 0);
            }
        }
    }
    step("heatmaps done");
    // Filtered click maps of the most viewed page, every fixed-click mode and count mode.
    if let Some(group) = groups.first() {
        for filter in &filters {
            for fixed_mode in [
                FixedMode::ShowFixed,
                FixedMode::ShowScrolled,
                FixedMode::Hide,
            ] {
                for count_mode in [CountMode::Total, CountMode::UniqueSessions] {
                    for (width, widths) in [(1440, None), (390, Some((300, 500)))] {
                        let mut query = HeatmapQuery::new(&group.url, HeatmapKind::Click, width);
                        query.filter = filter.clone();
                        query.fixed_mode = fixed_mode;
                        query.count_mode = count_mode;
                        if widths.is_some() {
                            query.viewport_widths = widths;
                            query.page_height_px = Some(1200);
                        }
                        let (a, b) = (
                            sqlite.heatmap_figures(&query).unwrap(),
                            ch.heatmap_figures(&query).unwrap(),
                        );
                        assert!(a == b, "{what}: {query:?}: the figures differ");
                    }
                }
            }
            // Scroll, attention and move maps, answered by the server too (moves in both
            // count modes, and with a shorter dwell cap; attention with a shorter idle cap).
            for (kind, count_mode, cap_ms) in [
                (HeatmapKind::Scroll, CountMode::Total, None),
                (HeatmapKind::Attention, CountMode::Total, None),
                (HeatmapKind::Attention, CountMode::Total, Some(2_000)),
                (HeatmapKind::Move, CountMode::Total, None),
                (HeatmapKind::Move, CountMode::Total, Some(250)),
                (HeatmapKind::Move, CountMode::UniqueSessions, None),
                (HeatmapKind::Rage, CountMode::Total, None),
                (HeatmapKind::Rage, CountMode::UniqueSessions, None),
                (HeatmapKind::Dead, CountMode::Total, None),
                (HeatmapKind::Dead, CountMode::UniqueSessions, None),
            ] {
                for (width, widths) in [(1440, None), (390, Some((300, 500)))] {
                    let mut query = HeatmapQuery::new(&group.url, kind, width);
                    query.filter = filter.clone();
                    query.viewport_widths = widths;
                    query.count_mode = count_mode;
                    if let Some(cap_ms) = cap_ms {
                        query.move_dwell_cap_ms = cap_ms;
                        query.attention_idle_cap_ms = cap_ms;
                    }
                    if widths.is_some() {
                        query.page_height_px = Some(1200);
                    }
                    let (a, b) = (
                        sqlite.heatmap_figures(&query).unwrap(),
                        ch.heatmap_figures(&query).unwrap(),
                    );
                    assert!(a == b, "{what}: {query:?}: the figures differ");
                }
            }
        }
    }
    // Dates: a filter on the start time keeps some sessions out.
    if let Some(group) = groups.first() {
        let mut starts: Vec<i64> = by_id(sqlite, &all)
            .iter()
            .map(|r| r.started_at_ms)
            .collect();
        starts.sort_unstable();
        let mut query = HeatmapQuery::new(&group.url, HeatmapKind::Click, 1440);
        query.filter.started_from_ms = starts.get(starts.len() / 2).copied();
        let (a, b) = (
            sqlite.heatmap_figures(&query).unwrap(),
            ch.heatmap_figures(&query).unwrap(),
        );
        assert!(a == b, "{what}: {query:?}: the figures differ");
    }
    step("filtered heatmaps done");
    assert!(drawn > 5, "{what}: only {drawn} maps had points");
}

fn sample_inputs() -> Vec<PathBuf> {
    vec![
        repo().join("sample_sessions"),
        repo().join("tests/fixtures/rrweb"),
    ]
}

fn import_into(store: &mut dyn Store, inputs: &[PathBuf]) {
    let summary = store
        .import_paths(
            inputs,
            &sessionlens::format::ReadOptions::default(),
            &AtomicBool::new(false),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(summary.sessions_imported > 0);
}

#[test]
fn the_store_trait_answers_as_the_sqlite_library() {
    let Some(server) =
        ClickHouseServer::start_or_skip("the_store_trait_answers_as_the_sqlite_library")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = open_store(&dir.path().join("library.sqlite")).unwrap();
    let mut ch = open_store(std::path::Path::new(
        &server.library_url("default", "equivalence"),
    ))
    .unwrap();
    assert!(ch.location().starts_with("clickhouse://default@127.0.0.1:"));
    for store in [&mut sqlite, &mut ch] {
        import_into(store.as_mut(), &sample_inputs());
        store.ensure_standard_definitions().unwrap();
    }
    assert!(!ch.event_definitions().unwrap().is_empty());
    assert_same_answers(sqlite.as_ref(), ch.as_ref(), "imported");

    // Definitions of every kind, then a goal that is not the standard one.
    let defs = [
        EventDefinition {
            name: "viewed_checkout".to_owned(),
            kind: DefinitionKind::Url,
            pattern: "*/checkout*".to_owned(),
            value_from_event: false,
            stage: None,
            weight: Some(3),
        },
        EventDefinition {
            name: "clicked_button".to_owned(),
            kind: DefinitionKind::Selector,
            pattern: "button".to_owned(),
            value_from_event: false,
            stage: None,
            weight: None,
        },
    ];
    for store in [&mut sqlite, &mut ch] {
        for def in &defs {
            let defined = store.define_event(def, &mut |_, _, _| {}).unwrap();
            assert!(defined.sessions > 0, "{def:?}");
        }
        store
            .set_conversion_goal("viewed_checkout", &mut |_, _, _| {})
            .unwrap();
    }
    assert_same_answers(sqlite.as_ref(), ch.as_ref(), "goal viewed_checkout");

    // Sessions imported under that goal get their conversion at import.
    let later = [repo().join("tests/fixtures/rrweb")];
    let dir2 = tempfile::tempdir().unwrap();
    let mut sqlite2 = open_store(&dir2.path().join("library.sqlite")).unwrap();
    let mut ch2 = open_store(std::path::Path::new(
        &server.library_url("default", "later"),
    ))
    .unwrap();
    for store in [&mut sqlite2, &mut ch2] {
        store.define_event(&defs[0], &mut |_, _, _| {}).unwrap();
        store
            .set_conversion_goal("viewed_checkout", &mut |_, _, _| {})
            .unwrap();
        import_into(store.as_mut(), &later);
    }
    assert_eq!(
        sqlite2.goal_status().unwrap(),
        ch2.goal_status().unwrap(),
        "goal before import"
    );

    // New thresholds: every session's signals detected again.
    let mut settings = sqlite.signal_settings().unwrap();
    settings.rage_min_clicks = 2;
    settings.dead_mutation_ms = 1000;
    for store in [&mut sqlite, &mut ch] {
        let summary = store.recompute_signals(&settings).unwrap();
        assert_eq!(summary.sessions, store.num_sessions().unwrap());
    }
    assert_same_answers(sqlite.as_ref(), ch.as_ref(), "recomputed signals");

    // Deleting the goal's event puts the standard goal back.
    for store in [&mut sqlite, &mut ch] {
        assert!(store.delete_event_definition("viewed_checkout").unwrap());
        assert!(!store.delete_event_definition("viewed_checkout").unwrap());
        assert_eq!(store.conversion_goal().unwrap().name, "purchase");
    }
    assert_same_answers(sqlite.as_ref(), ch.as_ref(), "goal deleted");
}

#[test]
fn a_read_only_user_browses_and_is_told_before_any_change() {
    let Some(server) =
        ClickHouseServer::start_or_skip("a_read_only_user_browses_and_is_told_before_any_change")
    else {
        return;
    };
    let mut writer =
        open_store(std::path::Path::new(&server.library_url("default", "team"))).unwrap();
    import_into(writer.as_mut(), &[repo().join("sample_sessions")]);
    writer.ensure_standard_definitions().unwrap();
    let note = writer
        .add_note(
            &writer
                .list_sessions(&SessionFilter::default(), SessionSort::OldestFirst, 0, 1)
                .unwrap()[0]
                .session_id,
            1,
            "by the writer",
        )
        .unwrap();
    assert!(writer.read_only().is_none());

    let viewer_url = LibraryUrl::parse(&server.library_url("viewer", "team")).unwrap();
    let mut viewer: Box<dyn Store> =
        Box::new(ClickHouseLibrary::open(&viewer_url, Some(Password::new("viewer"))).unwrap());
    let why = viewer.read_only().expect("read-only");
    assert!(why.contains("read-only for viewer on 127.0.0.1:"), "{why}");
    // Browsing, replay and export work.
    let all = SessionFilter::default();
    let rows = viewer
        .list_sessions(&all, SessionSort::NewestFirst, 0, 100)
        .unwrap();
    assert_eq!(rows.len() as u64, writer.num_sessions().unwrap());
    let session = viewer.load_session(&rows[0].session_id).unwrap();
    assert_eq!(session, writer.load_session(&rows[0].session_id).unwrap());
    viewer.kpis(&all).unwrap();
    viewer.notes(None).unwrap();
    let page = &viewer.page_groups(&all).unwrap()[0].url;
    viewer
        .heatmap(&HeatmapQuery::new(page, HeatmapKind::Click, 1440))
        .unwrap();
    // Every change is refused up front, naming the user and server.
    let refused = |e: sessionlens::store::StoreError| {
        assert!(
            matches!(e, sessionlens::store::StoreError::ReadOnly { .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("read-only for viewer on"), "{e}");
    };
    refused(
        viewer
            .import_paths(
                &[repo().join("tests/fixtures/rrweb")],
                &sessionlens::format::ReadOptions::default(),
                &AtomicBool::new(false),
                &mut |_, _| panic!("nothing may be read for a read-only library"),
            )
            .unwrap_err(),
    );
    refused(viewer.add_note(&rows[0].session_id, 5, "no").unwrap_err());
    refused(viewer.delete_note(note.note_id).unwrap_err());
    refused(viewer.delete_event_definition("purchase").unwrap_err());
    refused(
        viewer
            .define_event(
                &EventDefinition {
                    name: "x".to_owned(),
                    kind: DefinitionKind::Url,
                    pattern: "*".to_owned(),
                    value_from_event: false,
                    stage: None,
                    weight: None,
                },
                &mut |_, _, _| {},
            )
            .unwrap_err(),
    );
    refused(
        viewer
            .set_conversion_goal("add_to_cart", &mut |_, _, _| {})
            .unwrap_err(),
    );
    refused(viewer.recompute_signals(&Default::default()).unwrap_err());
    // Nothing changed.
    assert_eq!(viewer.notes(None).unwrap().len(), 1);
    assert_eq!(
        viewer.num_sessions().unwrap(),
        writer.num_sessions().unwrap()
    );
    // A read-only user cannot create a library.
    let e = ClickHouseLibrary::open(
        &LibraryUrl::parse(&server.library_url("viewer", "empty")).unwrap(),
        Some(Password::new("viewer")),
    )
    .unwrap_err();
    assert!(e.to_string().contains("write access"), "{e}");
}

#[test]
fn library_copy_to_clickhouse_and_back_keeps_everything() {
    let Some(server) =
        ClickHouseServer::start_or_skip("library_copy_to_clickhouse_and_back_keeps_everything")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut original = open_store(&dir.path().join("original.sqlite")).unwrap();
    import_into(original.as_mut(), &sample_inputs());
    original.ensure_standard_definitions().unwrap();
    original
        .define_event(
            &EventDefinition {
                name: "viewed_checkout".to_owned(),
                kind: DefinitionKind::Url,
                pattern: "*/checkout*".to_owned(),
                value_from_event: false,
                stage: None,
                weight: Some(4),
            },
            &mut |_, _, _| {},
        )
        .unwrap();
    original
        .set_conversion_goal("viewed_checkout", &mut |_, _, _| {})
        .unwrap();
    let mut settings = original.signal_settings().unwrap();
    settings.rage_min_clicks = 4;
    original.recompute_signals(&settings).unwrap();
    let first = original
        .list_sessions(&SessionFilter::default(), SessionSort::OldestFirst, 0, 2)
        .unwrap();
    original
        .add_note(
            &first[0].session_id,
            first[0].started_at_ms + 10,
            "checkout button hidden",
        )
        .unwrap();
    original
        .add_note(&first[1].session_id, first[1].started_at_ms, "second")
        .unwrap();
    original
        .define_section(&sessionlens::store::Section {
            name: "reviews".to_owned(),
            page: "http://shop.test/product/*".to_owned(),
            top_px: 900.0,
            bottom_px: 1400.0,
        })
        .unwrap();
    let shot_file = std::fs::read_dir(repo().join("assets/demo-shop/screenshots"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .min()
        .unwrap();
    let png = std::fs::read(shot_file).unwrap();
    original
        .add_screenshot("http://shop.test/", 1440, png, "manual")
        .unwrap();

    let url = server.library_url("default", "pushed");
    let mut pushed = open_store(std::path::Path::new(&url)).unwrap();
    let summary =
        sessionlens::store::copy_library(original.as_ref(), pushed.as_mut(), &mut |_, _| {})
            .unwrap();
    assert_eq!(
        summary.sessions_copied as u64,
        original.num_sessions().unwrap()
    );
    assert_eq!(
        (summary.notes, summary.sections, summary.screenshots),
        (2, 1, 1)
    );
    let mut back = open_store(&dir.path().join("back.sqlite")).unwrap();
    sessionlens::store::copy_library(pushed.as_ref(), back.as_mut(), &mut |_, _| {}).unwrap();
    // Run again: nothing more is copied.
    let again =
        sessionlens::store::copy_library(original.as_ref(), pushed.as_mut(), &mut |_, _| {})
            .unwrap();
    assert_eq!(
        (
            again.sessions_copied,
            again.notes,
            again.definitions,
            again.screenshots
        ),
        (0, 0, 0, 0),
        "{again:?}"
    );

    for (copy, what) in [(&pushed, "on ClickHouse"), (&back, "back in SQLite")] {
        let all = SessionFilter::default();
        let n = original.num_sessions().unwrap();
        assert_eq!(copy.num_sessions().unwrap(), n, "{what}");
        for row in original
            .list_sessions(&all, SessionSort::OldestFirst, 0, n)
            .unwrap()
        {
            assert_eq!(
                copy.load_session(&row.session_id).unwrap(),
                original.load_session(&row.session_id).unwrap(),
                "{what}"
            );
            assert_eq!(
                copy.source_file(&row.session_id).unwrap(),
                original.source_file(&row.session_id).unwrap(),
                "{what}"
            );
        }
        let notes = |s: &dyn Store| -> Vec<(String, i64, String)> {
            s.notes(None)
                .unwrap()
                .into_iter()
                .map(|n| (n.session_id, n.timestamp_ms, n.text))
                .collect()
        };
        assert_eq!(notes(copy.as_ref()), notes(original.as_ref()), "{what}");
        assert_eq!(
            copy.sections().unwrap(),
            original.sections().unwrap(),
            "{what}"
        );
        let shots = copy.screenshots().unwrap();
        assert_eq!(shots, original.screenshots().unwrap(), "{what}");
        assert_eq!(
            copy.screenshot_png(&shots[0].hash).unwrap(),
            original.screenshot_png(&shots[0].hash).unwrap()
        );
        assert_same_answers(original.as_ref(), copy.as_ref(), what);
    }
}

/// The moments behind a few spots of `query`'s map (its first hotspots and a corner), as a
/// library finds them (`Store::heatmap_moments`, which ClickHouse composes over the sessions
/// near the spot alone), equal those of its whole map in order, and as a set SQLite's; returns
/// how many were found.
fn assert_same_moments(sqlite: &dyn Store, ch: &dyn Store, query: &HeatmapQuery) -> usize {
    let whole = Store::heatmap(ch, query).unwrap();
    let whole_sqlite = Store::heatmap(sqlite, query).unwrap();
    let mut spots: Vec<PagePos> = whole
        .hotspots
        .iter()
        .take(3)
        .map(|h| h.pos_in_page)
        .collect();
    spots.push(PagePos { x: 4.0, y: 4.0 });
    let named = |store: &dyn Store, moments: Vec<sessionlens::analysis::heatmap::Moment>| {
        let mut out: Vec<(String, u32, i64)> = moments
            .into_iter()
            .map(|m| {
                let id = store.session_id_of_rowid(m.session_rowid).unwrap().unwrap();
                (id, m.page_index, m.timestamp_ms)
            })
            .collect();
        out.sort();
        out
    };
    let mut found = 0;
    for spot in spots {
        for limit in [3, 200] {
            let moments = ch.heatmap_moments(query, spot, 15.0, limit).unwrap();
            assert_eq!(
                moments,
                whole.moments_near(spot, 15.0, limit),
                "{query:?} at {spot:?}, {limit}"
            );
            found += moments.len();
        }
        assert_eq!(
            named(
                ch,
                ch.heatmap_moments(query, spot, 15.0, usize::MAX).unwrap()
            ),
            named(sqlite, whole_sqlite.moments_near(spot, 15.0, usize::MAX)),
            "{query:?} at {spot:?}"
        );
    }
    found
}

/// Adds a click on no fixed element at the page position where `session`'s first click on a
/// fixed element is drawn (its viewport position) in the same page view, 1 ms `after` it or
/// with the event before it: a unique-sessions map counts the session once there, at the
/// earlier of the two.
fn second_click_where_a_fixed_one_is_drawn(session: &mut Session, after: bool) {
    use sessionlens::model::{Event, EventKind};
    let fixed = |e: &Event| {
        matches!(&e.kind, EventKind::Click { target: Some(t), .. }
            if session.targets.get(*t as usize).is_some_and(|t| t.fixed))
    };
    let Some(at) = session.events.iter().position(fixed) else {
        return;
    };
    let click = session.events[at].clone();
    let EventKind::Click {
        pos_in_viewport,
        kind,
        pointer,
        ..
    } = click.kind
    else {
        return;
    };
    let (index, timestamp_ms) = if after {
        let t = click.timestamp_ms + 1;
        match session.events.get(at + 1) {
            Some(next) if next.timestamp_ms < t => return,
            _ => (at + 1, t),
        }
    } else {
        match at.checked_sub(1).map(|i| &session.events[i]) {
            Some(prev) if prev.page == click.page && prev.timestamp_ms < click.timestamp_ms => {
                (at, prev.timestamp_ms)
            }
            _ => return,
        }
    };
    session.events.insert(
        index,
        Event {
            timestamp_ms,
            page: click.page,
            kind: EventKind::Click {
                pos_in_page: PagePos {
                    x: pos_in_viewport.x,
                    y: pos_in_viewport.y,
                },
                pos_in_viewport,
                kind,
                pointer,
                target: None,
            },
        },
    );
}

#[test]
fn server_binned_click_maps_with_fixed_clicks_equal_the_sqlite_library() {
    let Some(server) = ClickHouseServer::start_or_skip(
        "server_binned_click_maps_with_fixed_clicks_equal_the_sqlite_library",
    ) else {
        return;
    };
    // Simulated sessions with every third element `position: fixed`, so that clicks on them
    // are also stored at their viewport position.
    let options = sessionlens::demo::GenerateOptions {
        sessions: 300,
        seed: 5,
        ..sessionlens::demo::GenerateOptions::default()
    };
    let sessions: Vec<Session> = (0..options.sessions)
        .map(|i| {
            let mut s = sessionlens::demo::generate_session(&options, i);
            for (k, t) in s.targets.iter_mut().enumerate() {
                t.fixed = k % 3 == 0;
            }
            second_click_where_a_fixed_one_is_drawn(&mut s, i % 2 == 0);
            s
        })
        .collect();
    let loaded = sessionlens::format::Loaded {
        sessions,
        ..sessionlens::format::Loaded::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = open_store(&dir.path().join("library.sqlite")).unwrap();
    let mut ch = open_store(std::path::Path::new(
        &server.library_url("default", "fixed"),
    ))
    .unwrap();
    for store in [&mut sqlite, &mut ch] {
        store.insert_loaded("simulated", &loaded).unwrap();
        store.ensure_standard_definitions().unwrap();
    }
    let all = SessionFilter::default();
    let groups = sqlite.page_groups(&all).unwrap();
    let filters = [
        all.clone(),
        SessionFilter {
            device: Some(DeviceClass::Desktop),
            ..SessionFilter::default()
        },
        SessionFilter {
            converted: Some(false),
            ..SessionFilter::default()
        },
        SessionFilter {
            source: Some("google".to_owned()),
            ..SessionFilter::default()
        },
    ];
    let mut moved = 0;
    let mut moments = 0;
    for group in groups.iter().take(3) {
        for filter in &filters {
            let mut by_mode = Vec::new();
            for fixed_mode in [
                FixedMode::ShowFixed,
                FixedMode::ShowScrolled,
                FixedMode::Hide,
            ] {
                let mut query = HeatmapQuery::new(&group.url, HeatmapKind::Click, 1440);
                query.filter = filter.clone();
                query.fixed_mode = fixed_mode;
                let (a, b) = (
                    sqlite.heatmap_figures(&query).unwrap(),
                    ch.heatmap_figures(&query).unwrap(),
                );
                assert!(a == b, "{query:?}: the figures differ");
                by_mode.push(b);
            }
            // Fixed clicks were there to move (or hide).
            moved += usize::from(by_mode[0].density != by_mode[1].density);
            assert!(by_mode[2].points <= by_mode[1].points);
            // Each session once per cell, at its first click there: moved fixed clicks take
            // part, before or after the session's other clicks in their cell.
            for fixed_mode in [
                FixedMode::ShowFixed,
                FixedMode::ShowScrolled,
                FixedMode::Hide,
            ] {
                let mut query = HeatmapQuery::new(&group.url, HeatmapKind::Click, 1440);
                query.filter = filter.clone();
                query.fixed_mode = fixed_mode;
                query.count_mode = CountMode::UniqueSessions;
                let (a, b) = (
                    sqlite.heatmap_figures(&query).unwrap(),
                    ch.heatmap_figures(&query).unwrap(),
                );
                assert!(a == b, "{query:?}: the figures differ");
                assert!(b.points > 0 && b.points <= by_mode[0].points);
                if std::ptr::eq(group, &groups[0]) && std::ptr::eq(filter, &filters[0]) {
                    moments += assert_same_moments(sqlite.as_ref(), ch.as_ref(), &query);
                }
            }
            // Move, attention, rage and dead click maps of many sessions: dwell sums, first
            // samples per session and cell, signals, binned by the server.
            for (kind, count_mode) in [
                (HeatmapKind::Move, CountMode::Total),
                (HeatmapKind::Move, CountMode::UniqueSessions),
                (HeatmapKind::Attention, CountMode::Total),
                (HeatmapKind::Rage, CountMode::Total),
                (HeatmapKind::Rage, CountMode::UniqueSessions),
                (HeatmapKind::Dead, CountMode::Total),
                (HeatmapKind::Dead, CountMode::UniqueSessions),
            ] {
                let mut query = HeatmapQuery::new(&group.url, kind, 1440);
                query.filter = filter.clone();
                query.count_mode = count_mode;
                let (a, b) = (
                    sqlite.heatmap_figures(&query).unwrap(),
                    ch.heatmap_figures(&query).unwrap(),
                );
                assert!(a == b, "{query:?}: the figures differ");
                if kind == HeatmapKind::Move {
                    assert!(b.points > 100, "{query:?}: {} moves", b.points);
                }
                if std::ptr::eq(group, &groups[0]) && std::ptr::eq(filter, &filters[0]) {
                    moments += assert_same_moments(sqlite.as_ref(), ch.as_ref(), &query);
                }
            }
        }
        // The funnel under each filter, walked by the server.
        let steps = default_funnel(&sqlite.conversion_goal().unwrap().name);
        for filter in &filters {
            assert_eq!(
                sqlite.funnel(filter, &steps, None).unwrap().steps,
                ch.funnel(filter, &steps, None).unwrap().steps,
                "{filter:?}"
            );
        }
    }
    assert!(moved > 3, "only {moved} maps had fixed clicks");
    assert!(moments > 100, "only {moments} moments behind the spots");
}
