use super::*;
use crate::analysis::heatmap::{
    CountMode, FixedMode, HeatmapKind, HeatmapQuery, WeightUnit, width_range,
};
use crate::format::Loaded;
use crate::model::{
    ClickKind, DeviceClass, ElementDescriptor, Event, PageView, PointerType, ScrollOffset, SizePx,
    ViewportPos,
};
use crate::model::{EventKind, PagePos, Session};
use crate::store::Library;

const HOME: &str = "https://shop.test/";

/// A builder of one-page (or more) test sessions.
struct S {
    session: Session,
}

impl S {
    fn new(id: &str, started_at_ms: i64, device: DeviceClass, width: u32) -> Self {
        Self {
            session: Session {
                session_id: id.to_owned(),
                started_at_ms,
                duration_ms: 60_000,
                device,
                pages: vec![PageView {
                    url: HOME.to_owned(),
                    entered_at_ms: started_at_ms,
                    left_at_ms: started_at_ms + 60_000,
                    doc_size: SizePx {
                        width,
                        height: 3000,
                    },
                    viewport: SizePx { width, height: 800 },
                    ..PageView::default()
                }],
                ..Session::default()
            },
        }
    }

    fn page(mut self, url: &str) -> Self {
        let last = self.session.pages.last().cloned().unwrap_or_default();
        let start = self.session.started_at_ms + 30_000;
        if let Some(p) = self.session.pages.last_mut() {
            p.left_at_ms = start;
        }
        self.session.pages.push(PageView {
            url: url.to_owned(),
            entered_at_ms: start,
            left_at_ms: self.session.started_at_ms + 60_000,
            ..last
        });
        self
    }

    fn at(&self, dt_ms: i64) -> i64 {
        self.session.started_at_ms + dt_ms
    }

    fn click(
        mut self,
        dt_ms: i64,
        page: u32,
        x: f32,
        y: f32,
        target: Option<ElementDescriptor>,
    ) -> Self {
        let scroll_y = self.scroll_at(page, dt_ms);
        let target = target.map(|t| {
            self.session.targets.push(t);
            u32::try_from(self.session.targets.len() - 1).unwrap()
        });
        let timestamp_ms = self.at(dt_ms);
        self.session.events.push(Event {
            timestamp_ms,
            page,
            kind: EventKind::Click {
                pos_in_page: PagePos { x, y },
                pos_in_viewport: ViewportPos { x, y: y - scroll_y },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target,
            },
        });
        self
    }

    fn scroll_at(&self, page: u32, dt_ms: i64) -> f32 {
        self.session.scroll_at(page, self.at(dt_ms)).y
    }

    fn scroll(mut self, dt_ms: i64, page: u32, y: f32) -> Self {
        let timestamp_ms = self.at(dt_ms);
        self.session.events.push(Event {
            timestamp_ms,
            page,
            kind: EventKind::Scroll {
                offset: ScrollOffset { x: 0.0, y },
            },
        });
        self
    }

    fn moved(mut self, dt_ms: i64, x: f32, y: f32) -> Self {
        let timestamp_ms = self.at(dt_ms);
        self.session.events.push(Event {
            timestamp_ms,
            page: 0,
            kind: EventKind::PointerMove {
                pos_in_page: PagePos { x, y },
                pointer: PointerType::Mouse,
            },
        });
        self
    }

    fn done(mut self) -> Session {
        self.session.events.sort_by_key(|e| e.timestamp_ms);
        self.session
    }
}

fn button(selector: &str, text: &str, fixed: bool) -> ElementDescriptor {
    ElementDescriptor {
        tag: "button".to_owned(),
        selector: selector.to_owned(),
        text: Some(text.to_owned()),
        fixed,
        ..ElementDescriptor::default()
    }
}

fn library(sessions: Vec<Session>) -> Library {
    let mut lib = Library::open_in_memory().unwrap();
    lib.insert_loaded(
        "test",
        &Loaded {
            sessions,
            ..Loaded::default()
        },
    )
    .unwrap();
    lib
}

fn query(kind: HeatmapKind) -> HeatmapQuery {
    let mut q = HeatmapQuery::new(HOME, kind, 1440);
    q.page_height_px = Some(3000);
    q
}

#[test]
fn total_weight_equals_number_of_clicks() {
    let mut sessions = Vec::new();
    let mut clicks = 0;
    for i in 0..20u32 {
        let mut s = S::new(
            &format!("s{i}"),
            1_000_000 + i64::from(i) * 100_000,
            DeviceClass::Desktop,
            1440,
        );
        for k in 0..(i % 5 + 1) {
            s = s.click(
                100 + i64::from(k) * 10,
                0,
                (i * 37 % 1400) as f32 + 0.5,
                (k * 311 % 2900) as f32 + 0.25,
                None,
            );
            clicks += 1;
        }
        sessions.push(s.done());
    }
    let lib = library(sessions);
    let r = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!(r.points, clicks);
    assert_eq!(r.density.total(), clicks as f64);
    assert_eq!(r.sessions, 20);
    assert_eq!(r.page_views, 20);
    assert_eq!(r.unit, WeightUnit::Clicks);
    assert_eq!(r.point_refs.len() as u64, clicks);
}

#[test]
fn a_single_click_lands_at_its_page_coordinate() {
    let s = S::new("one", 1_000_000, DeviceClass::Desktop, 1440)
        .scroll(50, 0, 1200.0)
        .click(100, 0, 321.7, 1555.2, None)
        .done();
    let lib = library(vec![s]);
    let r = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!(r.points, 1);
    assert_eq!(
        r.density.at(PagePos {
            x: 321.0,
            y: 1555.0
        }),
        1.0
    );
    assert_eq!(r.density.total(), 1.0);
    assert_eq!(r.hotspots.len(), 1);
    let h = &r.hotspots[0];
    assert!((h.pos_in_page.x - 321.5).abs() < 0.01 && (h.pos_in_page.y - 1555.5).abs() < 0.01);
    assert_eq!(h.count, 1.0);
    let near = r.moments_near(
        PagePos {
            x: 320.0,
            y: 1556.0,
        },
        15.0,
        10,
    );
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].timestamp_ms, 1_000_100);
    assert!(
        r.moments_near(PagePos { x: 100.0, y: 100.0 }, 15.0, 10)
            .is_empty()
    );
}

#[test]
fn layout_width_tolerance_and_device_filter() {
    let lib = library(vec![
        S::new("d1440", 1_000_000, DeviceClass::Desktop, 1440)
            .click(10, 0, 5.0, 5.0, None)
            .done(),
        S::new("d1300", 2_000_000, DeviceClass::Desktop, 1300)
            .click(10, 0, 5.0, 5.0, None)
            .done(),
        S::new("d1200", 3_000_000, DeviceClass::Desktop, 1200)
            .click(10, 0, 5.0, 5.0, None)
            .done(),
        S::new("m390", 4_000_000, DeviceClass::Mobile, 390)
            .click(10, 0, 5.0, 5.0, None)
            .done(),
    ]);
    // ±10 % of 1440 is 1296..=1584.
    assert_eq!(width_range(1440, 0.1), (1296, 1584));
    let r = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!((r.sessions, r.points), (2, 2));
    let mut by_device = query(HeatmapKind::Click);
    by_device.viewport_widths = None;
    by_device.filter.device = Some(DeviceClass::Desktop);
    assert_eq!(aggregate_heatmap(&lib, &by_device).unwrap().points, 3);
    let mut mobile = HeatmapQuery::new(HOME, HeatmapKind::Click, 390);
    mobile.filter.device = Some(DeviceClass::Mobile);
    let r = aggregate_heatmap(&lib, &mobile).unwrap();
    assert_eq!((r.sessions, r.points), (1, 1));
    let mut dated = query(HeatmapKind::Click);
    dated.filter.started_from_ms = Some(1_500_000);
    assert_eq!(aggregate_heatmap(&lib, &dated).unwrap().points, 1);
}

#[test]
fn url_patterns_group_pages() {
    let lib = library(vec![
        S::new("a", 1_000_000, DeviceClass::Desktop, 1440)
            .page("https://shop.test/product/a.html")
            .click(31_000, 1, 50.0, 60.0, None)
            .done(),
        S::new("b", 2_000_000, DeviceClass::Desktop, 1440)
            .page("https://shop.test/product/b.html#reviews")
            .click(31_000, 1, 52.0, 60.0, None)
            .click(10, 0, 500.0, 500.0, None)
            .done(),
    ]);
    let mut q = HeatmapQuery::new("/product/*", HeatmapKind::Click, 1440);
    q.page_height_px = Some(1000);
    let r = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!((r.sessions, r.page_views, r.points), (2, 2, 2));
    assert_eq!(r.hotspots.len(), 1, "two clicks 2 px apart make one spot");
    assert_eq!(r.hotspots[0].count, 2.0);
    let exact = HeatmapQuery::new("https://shop.test/product/b.html", HeatmapKind::Click, 1440);
    assert_eq!(aggregate_heatmap(&lib, &exact).unwrap().points, 1);
}

#[test]
fn unique_mode_counts_each_session_once_per_cell() {
    let lib = library(vec![
        S::new("a", 1_000_000, DeviceClass::Desktop, 1440)
            .click(10, 0, 100.0, 100.0, None)
            .click(20, 0, 101.0, 102.0, None)
            .click(30, 0, 103.0, 100.0, None)
            .click(40, 0, 400.0, 100.0, None)
            .done(),
        S::new("b", 2_000_000, DeviceClass::Desktop, 1440)
            .click(10, 0, 100.0, 100.0, None)
            .done(),
    ]);
    let total = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!(total.density.total(), 5.0);
    let mut q = query(HeatmapKind::Click);
    q.count_mode = CountMode::UniqueSessions;
    let unique = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!(unique.density.total(), 3.0);
    assert_eq!(unique.unit, WeightUnit::Sessions);
    assert_eq!(unique.hotspots[0].count, 2.0);
}

#[test]
fn fixed_element_clicks_show_fixed_scrolled_or_hidden() {
    let s = S::new("f", 1_000_000, DeviceClass::Desktop, 1440)
        .scroll(100, 0, 1000.0)
        .click(
            200,
            0,
            700.0,
            1030.0,
            Some(button("#header .cart", "Cart", true)),
        )
        .click(300, 0, 200.0, 1500.0, Some(button("#buy", "Buy", false)))
        .done();
    let lib = library(vec![s]);
    let shown = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!(
        shown.density.at(PagePos { x: 700.0, y: 30.0 }),
        1.0,
        "at its viewport position"
    );
    assert_eq!(
        shown.density.at(PagePos {
            x: 700.0,
            y: 1030.0
        }),
        0.0
    );
    assert_eq!(shown.points, 2);
    let mut q = query(HeatmapKind::Click);
    q.fixed_mode = FixedMode::ShowScrolled;
    let scrolled = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!(
        scrolled.density.at(PagePos {
            x: 700.0,
            y: 1030.0
        }),
        1.0
    );
    q.fixed_mode = FixedMode::Hide;
    let hidden = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!(hidden.points, 1);
    assert_eq!(
        hidden.density.at(PagePos {
            x: 200.0,
            y: 1500.0
        }),
        1.0
    );
}

#[test]
fn hotspots_name_their_element() {
    let mut sessions = Vec::new();
    for i in 0..5 {
        sessions.push(
            S::new(
                &format!("h{i}"),
                1_000_000 + i * 100_000,
                DeviceClass::Desktop,
                1440,
            )
            .click(
                100,
                0,
                600.0 + i as f32,
                400.0,
                Some(button("#hero a.cta", "Shop now", false)),
            )
            .click(
                200,
                0,
                80.0,
                2000.0,
                Some(button("footer a", "Imprint", false)),
            )
            .done(),
        );
    }
    sessions.push(
        S::new("x", 9_000_000, DeviceClass::Desktop, 1440)
            .click(
                100,
                0,
                80.0,
                2001.0,
                Some(button("footer a", "Imprint", false)),
            )
            .click(
                200,
                0,
                82.0,
                2001.0,
                Some(button("footer a", "Imprint", false)),
            )
            .done(),
    );
    let r = aggregate_heatmap(&library(sessions), &query(HeatmapKind::Click)).unwrap();
    assert_eq!(r.hotspots.len(), 2);
    assert_eq!(r.hotspots[0].count, 7.0);
    assert_eq!(
        r.hotspots[0].target.as_deref(),
        Some("footer a \"Imprint\"")
    );
    assert_eq!(r.hotspots[1].count, 5.0);
    assert_eq!(
        r.hotspots[1].target.as_deref(),
        Some("#hero a.cta \"Shop now\"")
    );
}

#[test]
fn move_maps_weight_by_dwell_time() {
    // Samples at 0, 50 and 100 ms, then the pointer rests 10 s (capped at 3 s), page ends at 60 s.
    let s = S::new("m", 1_000_000, DeviceClass::Desktop, 1440)
        .moved(0, 10.0, 10.0)
        .moved(50, 20.0, 10.0)
        .moved(100, 30.0, 10.0)
        .moved(10_100, 40.0, 10.0)
        .done();
    let r = aggregate_heatmap(&library(vec![s]), &query(HeatmapKind::Move)).unwrap();
    assert_eq!(r.points, 4);
    assert_eq!(r.unit, WeightUnit::Seconds);
    assert!((r.density.at(PagePos { x: 10.0, y: 10.0 }) - 0.05).abs() < 1e-6);
    assert!((r.density.at(PagePos { x: 30.0, y: 10.0 }) - 3.0).abs() < 1e-6);
    assert!((r.density.at(PagePos { x: 40.0, y: 10.0 }) - 3.0).abs() < 1e-6);
    assert!(r.hotspots[0].target.is_none());
}

#[test]
fn rage_and_dead_maps_read_signals() {
    let lib = library(vec![
        S::new("r", 1_000_000, DeviceClass::Desktop, 1440)
            .page("https://shop.test/cart.html")
            .done(),
    ]);
    for (kind, page, x, y, target) in [
        ("rage_click", 0, 100.0, 200.0, Some("#promo-bar")),
        ("rage_click", 0, 102.0, 201.0, Some("#promo-bar")),
        ("rage_click", 1, 5.0, 5.0, None),
        ("dead_click", 0, 700.0, 900.0, Some("img.hero")),
    ] {
        lib.conn
            .execute(
                "INSERT INTO signals (session_rowid, kind, page_index, start_ms, end_ms, x, y, target, severity)
                 VALUES ((SELECT session_rowid FROM sessions), ?1, ?2, 1000100, 1000900, ?3, ?4, ?5, 1.0)",
                rusqlite::params![kind, page, x, y, target],
            )
            .unwrap();
    }
    let rage = aggregate_heatmap(&lib, &query(HeatmapKind::Rage)).unwrap();
    assert_eq!(
        rage.points, 2,
        "the cart page's signal is not on the home page"
    );
    assert_eq!(rage.density.at(PagePos { x: 100.0, y: 200.0 }), 1.0);
    assert_eq!(rage.hotspots[0].target.as_deref(), Some("#promo-bar"));
    assert_eq!(rage.hotspots[0].count, 2.0);
    let dead = aggregate_heatmap(&lib, &query(HeatmapKind::Dead)).unwrap();
    assert_eq!(dead.points, 1);
    assert_eq!(dead.hotspots[0].target.as_deref(), Some("img.hero"));
    let mut only = query(HeatmapKind::Click);
    only.filter.has_signal = Some("dead_click".to_owned());
    assert_eq!(aggregate_heatmap(&lib, &only).unwrap().sessions, 1);
    only.filter.has_signal = Some("error_click".to_owned());
    assert_eq!(aggregate_heatmap(&lib, &only).unwrap().sessions, 0);
}

#[test]
fn scroll_maps_from_the_library() {
    let lib = library(vec![
        S::new("a", 1_000_000, DeviceClass::Desktop, 1440).done(),
        S::new("b", 2_000_000, DeviceClass::Desktop, 1440)
            .scroll(100, 0, 400.0)
            .scroll(200, 0, 100.0)
            .done(),
    ]);
    let r = aggregate_heatmap(&lib, &query(HeatmapKind::Scroll)).unwrap();
    assert_eq!(r.average_fold_px, 800.0);
    assert_eq!(r.scroll_reach.len(), 300);
    assert_eq!(r.scroll_reach[80].share, 1.0, "both saw 800 px");
    assert_eq!(r.scroll_reach[81].share, 0.5, "one reached 400 + 800 px");
    assert_eq!(r.scroll_reach[120].share, 0.5);
    assert_eq!(r.scroll_reach[121].share, 0.0);
    assert_eq!(r.points, 0);
    assert!(r.density.cells.is_empty());
}

#[test]
fn attention_from_the_library_is_averaged_over_page_views() {
    let lib = library(vec![
        S::new("a", 1_000_000, DeviceClass::Desktop, 1440)
            .scroll(10_000, 0, 1000.0)
            .done(),
        S::new("b", 2_000_000, DeviceClass::Desktop, 1440).done(),
    ]);
    let mut q = query(HeatmapKind::Attention);
    q.attention_idle_cap_ms = 60_000;
    let r = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!(r.attention_secs.len(), 300);
    // Band 0: a saw it 10 s, b 60 s: mean 35 s. Band 150 (1500 px): a 50 s, b never: 25 s.
    assert!(
        (r.attention_secs[0] - 35.0).abs() < 1e-4,
        "{}",
        r.attention_secs[0]
    );
    assert!((r.attention_secs[150] - 25.0).abs() < 1e-4);
    assert_eq!(r.attention_secs[190], 0.0);
}

#[test]
fn bad_layout_width_is_an_error() {
    let lib = library(Vec::new());
    let q = HeatmapQuery::new(HOME, HeatmapKind::Click, 0);
    assert!(matches!(
        aggregate_heatmap(&lib, &q),
        Err(HeatmapError::Query(HeatmapQueryError::BadLayoutWidth(0)))
    ));
    let r = aggregate_heatmap(&lib, &query(HeatmapKind::Click)).unwrap();
    assert_eq!((r.sessions, r.points, r.hotspots.len()), (0, 0, 0));
}

#[test]
fn unique_mode_counts_a_session_once_per_cell_across_the_pages_of_a_pattern() {
    // Session "a" clicks the same spot on two product pages; "b" on one. The blobs of a pattern
    // are read URL by URL, so a's two clicks arrive apart, with b's in between.
    let lib = library(vec![
        S::new("a", 1_000_000, DeviceClass::Desktop, 1440)
            .page("https://shop.test/product/a.html")
            .click(31_000, 1, 100.0, 100.0, None)
            .page("https://shop.test/product/b.html")
            .click(61_000, 2, 100.0, 100.0, None)
            .done(),
        S::new("b", 2_000_000, DeviceClass::Desktop, 1440)
            .page("https://shop.test/product/a.html")
            .click(31_000, 1, 101.0, 101.0, None)
            .done(),
    ]);
    let mut q = HeatmapQuery::new("/product/*", HeatmapKind::Click, 1440);
    assert_eq!(aggregate_heatmap(&lib, &q).unwrap().density.total(), 3.0);
    q.count_mode = CountMode::UniqueSessions;
    let unique = aggregate_heatmap(&lib, &q).unwrap();
    assert_eq!(unique.density.total(), 2.0, "a once, b once");
    assert_eq!(unique.page_views, 3);
    assert_eq!(unique.sessions, 2);
}

#[test]
fn folding_imported_points_into_the_page_clustered_table_changes_no_heatmap() {
    let mut sessions = Vec::new();
    for i in 0..12u32 {
        let mut s = S::new(
            &format!("f{i}"),
            1_000_000 + i64::from(i) * 100_000,
            DeviceClass::Desktop,
            1440,
        )
        .scroll(50, 0, (i * 90) as f32)
        .moved(60, 10.0 + i as f32, 20.0)
        .click(100, 0, (i * 37 % 1400) as f32 + 0.5, 40.0 * i as f32, None);
        if i % 3 == 0 {
            s = s.page("https://shop.test/product/a.html").click(
                31_000,
                1,
                100.0,
                100.0 + i as f32,
                None,
            );
        }
        sessions.push(s.done());
    }
    // Half the sessions folded, half still waiting: the state during a long import.
    let mut lib = library(sessions[..6].to_vec());
    assert!(lib.fold_recent_points().unwrap() > 0);
    lib.insert_loaded(
        "test",
        &Loaded {
            sessions: sessions[6..].to_vec(),
            ..Loaded::default()
        },
    )
    .unwrap();
    let kinds = [
        HeatmapKind::Click,
        HeatmapKind::Move,
        HeatmapKind::Attention,
    ];
    let mut queries: Vec<HeatmapQuery> = kinds.iter().map(|&k| query(k)).collect();
    queries.push(HeatmapQuery::new("*", HeatmapKind::Click, 1440));
    let before: Vec<_> = queries
        .iter()
        .map(|q| aggregate_heatmap(&lib, q).unwrap())
        .collect();
    assert_eq!(before[0].sessions, 12);
    assert_eq!(before[3].points, 16, "12 home clicks and 4 product clicks");
    let moved = lib.fold_recent_points().unwrap();
    assert!(moved > 0);
    assert_eq!(lib.fold_recent_points().unwrap(), 0, "nothing left to fold");
    let after: Vec<_> = queries
        .iter()
        .map(|q| aggregate_heatmap(&lib, q).unwrap())
        .collect();
    assert_eq!(before, after);
}
