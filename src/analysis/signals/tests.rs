use proptest::prelude::*;

use super::hotspots::{HotspotPlace, HotspotSort, PageVisits, SignalRow, hotspots};
use super::*;
use crate::model::{
    ClickKind, ElementDescriptor, Event, EventKind, PageView, PointerType, ScrollOffset, SizePx,
    ViewportPos,
};

const T0: i64 = 1_700_000_000_000;

fn page(url: &str, entered: i64, left: i64) -> PageView {
    PageView {
        url: url.to_owned(),
        entered_at_ms: entered,
        left_at_ms: left,
        viewport: SizePx {
            width: 1440,
            height: 900,
        },
        ..PageView::default()
    }
}

fn element(tag: &str, selector: &str) -> ElementDescriptor {
    ElementDescriptor {
        tag: tag.to_owned(),
        selector: selector.to_owned(),
        ..ElementDescriptor::default()
    }
}

fn ev(t: i64, page: u32, kind: EventKind) -> Event {
    Event {
        timestamp_ms: T0 + t,
        page,
        kind,
    }
}

fn click_at(t: i64, page: u32, x: f32, y: f32, target: Option<u32>, pointer: PointerType) -> Event {
    ev(
        t,
        page,
        EventKind::Click {
            pos_in_page: PagePos { x, y },
            pos_in_viewport: ViewportPos { x, y },
            kind: ClickKind::Click,
            pointer,
            target,
        },
    )
}

fn click(t: i64, x: f32, y: f32) -> Event {
    click_at(t, 0, x, y, Some(0), PointerType::Mouse)
}

fn session(
    pages: Vec<PageView>,
    targets: Vec<ElementDescriptor>,
    mut events: Vec<Event>,
) -> Session {
    events.sort_by_key(|e| e.timestamp_ms);
    let end = pages.last().map_or(T0 + 60_000, |p| p.left_at_ms);
    Session {
        session_id: "t".to_owned(),
        started_at_ms: T0,
        duration_ms: end - T0,
        pages,
        targets,
        events,
        ..Session::default()
    }
}

fn one_page(events: Vec<Event>) -> Session {
    session(
        vec![page("https://shop.test/", T0, T0 + 60_000)],
        vec![element("div", "#promo")],
        events,
    )
}

fn kinds(s: &Session) -> Vec<SignalKind> {
    detect(s, &SignalSettings::default())
        .signals
        .iter()
        .map(|s| s.kind)
        .collect()
}

#[test]
fn kind_names_round_trip() {
    for kind in SignalKind::ALL {
        assert_eq!(SignalKind::parse(kind.as_str()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
    assert_eq!(SignalKind::parse("rage"), None);
    let colours: std::collections::HashSet<[u8; 3]> =
        SignalKind::ALL.iter().map(|k| k.color_rgb()).collect();
    assert_eq!(colours.len(), SignalKind::ALL.len());
}

#[test]
fn settings_serialise_and_every_field_has_a_source() {
    let settings = SignalSettings::default();
    let json = serde_json::to_value(&settings).unwrap();
    let fields: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), SETTING_SOURCES.len());
    for source in SETTING_SOURCES {
        assert!(json.get(source.field).is_some(), "{}", source.field);
    }
    let back: SignalSettings = serde_json::from_value(json).unwrap();
    assert_eq!(back, settings);
    // Missing fields take their defaults.
    let partial: SignalSettings = serde_json::from_str(r#"{"rage_min_clicks":4}"#).unwrap();
    assert_eq!(partial.rage_min_clicks, 4);
    assert_eq!(partial.dead_mutation_ms, 2500);
}

#[test]
fn rage_burst_is_one_signal_with_its_clicks() {
    let s = one_page(vec![
        click(1000, 100.0, 100.0),
        click(1300, 110.0, 105.0),
        click(1600, 100.0, 100.0),
        click(1900, 104.0, 98.0),
        click(5000, 100.0, 100.0),
    ]);
    let rage = rage_clicks(&s, &SignalSettings::default());
    assert_eq!(rage.len(), 1);
    assert_eq!(rage[0].num_clicks, 4);
    assert_eq!(rage[0].start_ms, T0 + 1000);
    assert_eq!(rage[0].end_ms, T0 + 1900);
    let pos = rage[0].pos_in_page.unwrap();
    assert!((pos.x - 103.5).abs() < 0.01 && (pos.y - 100.75).abs() < 0.01);
    assert_eq!(rage[0].target.as_deref(), Some("#promo"));
}

#[test]
fn rage_needs_each_gap_and_distance_strictly_below_the_threshold() {
    // 1000 ms gaps: not rage (PostHog compares with `<`).
    let s = one_page((0..5).map(|i| click(1000 + i * 1000, 10.0, 10.0)).collect());
    assert!(rage_clicks(&s, &SignalSettings::default()).is_empty());
    // 30 px Manhattan apart: not rage.
    let s = one_page(
        (0..5)
            .map(|i| click(1000 + i * 100, 10.0 + (i % 2) as f32 * 30.0, 10.0))
            .collect(),
    );
    assert!(rage_clicks(&s, &SignalSettings::default()).is_empty());
    // 29 px: rage.
    let s = one_page(
        (0..5)
            .map(|i| click(1000 + i * 100, 10.0 + (i % 2) as f32 * 29.0, 10.0))
            .collect(),
    );
    assert_eq!(rage_clicks(&s, &SignalSettings::default()).len(), 1);
}

#[test]
fn rage_ignores_pagers_and_strict_preset_needs_five_on_one_element() {
    let mut next = element("button", "#next");
    next.text = Some("Next".to_owned());
    let s = session(
        vec![page("https://shop.test/", T0, T0 + 60_000)],
        vec![next],
        (0..4).map(|i| click(1000 + i * 200, 10.0, 10.0)).collect(),
    );
    assert!(rage_clicks(&s, &SignalSettings::default()).is_empty());

    let four = one_page((0..4).map(|i| click(1000 + i * 200, 10.0, 10.0)).collect());
    assert_eq!(rage_clicks(&four, &SignalSettings::default()).len(), 1);
    assert!(rage_clicks(&four, &SignalSettings::strict_rage()).is_empty());
    // Five clicks 1.5 s apart on one element within 7 s: Sentry rage, not PostHog rage.
    let slow = one_page(
        (0..5)
            .map(|i| click(1000 + i * 1500, 10.0, 10.0 + i as f32 * 50.0))
            .collect(),
    );
    assert!(rage_clicks(&slow, &SignalSettings::default()).is_empty());
    let strict = rage_clicks(&slow, &SignalSettings::strict_rage());
    assert_eq!(strict.len(), 1);
    assert_eq!(strict[0].num_clicks, 5);
}

proptest! {
    #[test]
    fn clicks_at_least_a_second_apart_are_never_rage(
        n in 3usize..30,
        gaps in proptest::collection::vec(1000i64..5000, 30),
        jitter in proptest::collection::vec(-3.0f32..3.0, 30),
    ) {
        let mut t = 0;
        let events: Vec<Event> = (0..n).map(|i| {
            t += gaps[i];
            click(t, 200.0 + jitter[i], 300.0 - jitter[i])
        }).collect();
        let s = one_page(events);
        prop_assert!(rage_clicks(&s, &SignalSettings::default()).is_empty());
    }

    #[test]
    fn a_burst_of_n_clicks_gives_one_signal_with_n_clicks(
        n in 3usize..40,
        gaps in proptest::collection::vec(1i64..1000, 40),
        jitter in proptest::collection::vec(-7.0f32..7.0, 40),
    ) {
        let mut t = 0;
        let events: Vec<Event> = (0..n).map(|i| {
            t += gaps[i];
            click(t, 500.0 + jitter[i], 500.0 + jitter[(i + 7) % 40])
        }).collect();
        let s = one_page(events);
        let rage = rage_clicks(&s, &SignalSettings::default());
        prop_assert_eq!(rage.len(), 1);
        prop_assert_eq!(rage[0].num_clicks as usize, n);
    }

    #[test]
    fn detect_never_panics_and_signals_lie_in_the_session(
        raw in proptest::collection::vec((0i64..20_000, 0u8..8, 0.0f32..2000.0, 0.0f32..2000.0), 0..200),
    ) {
        let events: Vec<Event> = raw.iter().map(|&(t, k, x, y)| {
            let kind = match k {
                0 => EventKind::PointerMove { pos_in_page: PagePos { x, y }, pointer: PointerType::Mouse },
                1 => EventKind::Scroll { offset: ScrollOffset { x: 0.0, y } },
                2 => EventKind::DomChange,
                3 => EventKind::Error { message: "boom".to_owned() },
                4 => EventKind::Focus { target: Some(1) },
                5 => EventKind::Input { target: Some(1), value_len: 3, value: None, checked: None },
                6 => EventKind::Blur { target: Some(1) },
                _ => EventKind::Click { pos_in_page: PagePos { x, y }, pos_in_viewport: ViewportPos { x, y },
                        kind: ClickKind::Click, pointer: PointerType::Touch, target: Some(0) },
            };
            ev(t, 0, kind)
        }).collect();
        let s = session(
            vec![page("https://shop.test/", T0, T0 + 20_000)],
            vec![element("div", "#a"), element("input", "#email")],
            events,
        );
        for signal in detect(&s, &SignalSettings::default()).signals {
            prop_assert!(signal.start_ms <= signal.end_ms);
            prop_assert!(signal.start_ms >= T0 && signal.end_ms <= T0 + 20_000);
            prop_assert!((signal.page_index as usize) < s.pages.len());
        }
    }
}

#[test]
fn dead_click_needs_silence_and_is_unknown_without_dom_information() {
    let dom = |t| ev(t, 0, EventKind::DomChange);
    let scroll = |t, y| {
        ev(
            t,
            0,
            EventKind::Scroll {
                offset: ScrollOffset { x: 0.0, y },
            },
        )
    };
    // Click at 1000 with no reaction; click at 10000 answered by a DOM change at 12400; click at
    // 20000 answered only by a DOM change at 22600 (too late: dead); click at 30000 answered by a
    // scroll 80 ms later; a click 1 s before the end is not judged.
    let s = one_page(vec![
        dom(500),
        click(1000, 10.0, 10.0),
        click(10_000, 400.0, 10.0),
        dom(12_400),
        click(20_000, 800.0, 10.0),
        dom(22_600),
        click(30_000, 10.0, 400.0),
        scroll(30_080, 300.0),
        click(59_000, 10.0, 800.0),
    ]);
    let (dead, coverage) = dead_clicks(&s, &SignalSettings::default());
    assert_eq!(coverage, Coverage::Known);
    let times: Vec<i64> = dead.iter().map(|d| d.start_ms - T0).collect();
    assert_eq!(times, [1000, 20_000]);

    let no_dom = one_page(vec![click(1000, 10.0, 10.0)]);
    let detection = detect(&no_dom, &SignalSettings::default());
    assert_eq!(detection.dead_clicks, Coverage::Unknown);
    assert!(detection.signals.is_empty());
}

#[test]
fn navigating_links_fields_and_navigations_are_not_dead() {
    let mut link = element("a", "#cta");
    link.href = Some("/sale".to_owned());
    let mut hash_link = element("a", "#top");
    hash_link.href = Some("#".to_owned());
    let mut email = element("input", "#email");
    email.input_type = Some("email".to_owned());
    let s = session(
        vec![
            page("https://shop.test/", T0, T0 + 20_000),
            page("https://shop.test/b", T0 + 20_000, T0 + 60_000),
        ],
        vec![link, hash_link, email, element("img", "#img")],
        vec![
            ev(100, 0, EventKind::DomChange),
            click_at(1000, 0, 1.0, 1.0, Some(0), PointerType::Mouse),
            click_at(5000, 0, 1.0, 1.0, Some(1), PointerType::Mouse),
            click_at(9000, 0, 1.0, 1.0, Some(2), PointerType::Mouse),
            click_at(19_000, 0, 1.0, 1.0, Some(3), PointerType::Mouse),
        ],
    );
    let (dead, _) = dead_clicks(&s, &SignalSettings::default());
    let targets: Vec<&str> = dead.iter().filter_map(|d| d.target.as_deref()).collect();
    assert_eq!(
        targets,
        ["#top"],
        "the image click at 19 s led to the next page"
    );
}

#[test]
fn rage_bursts_are_not_also_dead_clicks() {
    let mut events: Vec<Event> = (0..5).map(|i| click(1000 + i * 150, 10.0, 10.0)).collect();
    events.push(ev(100, 0, EventKind::DomChange));
    let s = one_page(events);
    assert_eq!(kinds(&s), [SignalKind::RageClick]);
    let settings = SignalSettings {
        dead_skip_rage_bursts: false,
        ..SignalSettings::default()
    };
    let all: Vec<SignalKind> = detect(&s, &settings)
        .signals
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(all, [SignalKind::RageClick, SignalKind::DeadClick]);
}

#[test]
fn error_click_takes_the_latest_click_within_a_second() {
    let error = |t| {
        ev(
            t,
            0,
            EventKind::Error {
                message: "TypeError: x".to_owned(),
            },
        )
    };
    let s = one_page(vec![
        ev(10, 0, EventKind::DomChange),
        click(1000, 10.0, 10.0),
        error(1020),
        error(1500),
        click(5000, 50.0, 10.0),
        error(6100),
        click(9000, 90.0, 10.0),
        error(8950),
    ]);
    let errors = error_clicks(&s, &SignalSettings::default());
    let got: Vec<(i64, f32)> = errors
        .iter()
        .map(|e| (e.start_ms - T0, e.severity))
        .collect();
    assert_eq!(got, [(1000, 2.0), (9000, 1.0)]);
}

fn moves(points: &[(i64, f32, f32)]) -> Vec<Event> {
    points
        .iter()
        .map(|&(t, x, y)| {
            ev(
                t,
                0,
                EventKind::PointerMove {
                    pos_in_page: PagePos { x, y },
                    pointer: PointerType::Mouse,
                },
            )
        })
        .collect()
}

#[test]
fn thrashing_is_fast_back_and_forth_with_little_net_progress() {
    // Left-right shaking, 150 px every 50 ms, for 1.5 s.
    let shake: Vec<(i64, f32, f32)> = (0..30)
        .map(|i| (1000 + i * 50, if i % 2 == 0 { 500.0 } else { 650.0 }, 300.0))
        .collect();
    let s = one_page(moves(&shake));
    let thrash = thrashed_cursors(&s, &SignalSettings::default());
    assert_eq!(thrash.len(), 1);
    assert_eq!(thrash[0].start_ms, T0 + 1000);
    assert_eq!(thrash[0].end_ms, T0 + 1000 + 29 * 50);
    assert_eq!(thrash[0].pos_in_page, Some(PagePos { x: 500.0, y: 300.0 }));

    // A straight sweep and a slow wobble are not thrashing.
    let sweep: Vec<(i64, f32, f32)> = (0..30)
        .map(|i| (1000 + i * 50, 100.0 + i as f32 * 40.0, 300.0))
        .collect();
    assert!(thrashed_cursors(&one_page(moves(&sweep)), &SignalSettings::default()).is_empty());
    let slow: Vec<(i64, f32, f32)> = (0..30)
        .map(|i| (1000 + i * 50, if i % 2 == 0 { 500.0 } else { 540.0 }, 300.0))
        .collect();
    assert!(thrashed_cursors(&one_page(moves(&slow)), &SignalSettings::default()).is_empty());
}

#[test]
fn excessive_scroll_counts_direction_changes_of_enough_travel() {
    let scroll = |t, y| {
        ev(
            t,
            0,
            EventKind::Scroll {
                offset: ScrollOffset { x: 0.0, y },
            },
        )
    };
    let mut events = vec![];
    // Down to 1000, up to 0, down, up, down: 4 direction changes within 10 s.
    let mut t = 1000;
    for target in [1000.0, 0.0, 1000.0, 0.0, 1000.0] {
        for step in 1..=5 {
            t += 100;
            let from = if target == 0.0 { 1000.0 } else { 0.0 };
            events.push(scroll(t, from + (target - from) * step as f32 / 5.0));
        }
        t += 1000;
    }
    events.push(moves(&[(900, 300.0, 400.0)]).remove(0));
    let s = one_page(events.clone());
    let found = excessive_scrolls(&s, &SignalSettings::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].start_ms, T0 + 1100);
    assert_eq!(found[0].pos_in_page, Some(PagePos { x: 300.0, y: 400.0 }));
    // With 200 px legs nothing counts.
    let small: Vec<Event> = events
        .into_iter()
        .map(|mut e| {
            if let EventKind::Scroll { offset } = &mut e.kind {
                offset.y *= 0.2;
            }
            e
        })
        .collect();
    assert!(excessive_scrolls(&one_page(small), &SignalSettings::default()).is_empty());
}

#[test]
fn quick_back_sits_on_the_link_that_disappointed() {
    let mut link = element("a", "#card");
    link.href = Some("/p".to_owned());
    let pages = |dwell: i64| {
        vec![
            page("https://shop.test/", T0, T0 + 10_000),
            page("https://shop.test/p", T0 + 10_000, T0 + 10_000 + dwell),
            page("https://shop.test/#top", T0 + 10_000 + dwell, T0 + 60_000),
        ]
    };
    let events = vec![click_at(9800, 0, 50.0, 60.0, Some(0), PointerType::Mouse)];
    let s = session(pages(3000), vec![link.clone()], events.clone());
    let back = quick_backs(&s, &SignalSettings::default());
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].page_index, 0);
    assert_eq!(back[0].start_ms, T0 + 9800);
    assert_eq!(back[0].end_ms, T0 + 13_000);
    assert_eq!(back[0].target.as_deref(), Some("#card"));
    let s = session(pages(5001), vec![link], events);
    assert!(quick_backs(&s, &SignalSettings::default()).is_empty());
}

#[test]
fn form_abandonment_and_submission() {
    let mut email = element("input", "#email");
    email.input_type = Some("email".to_owned());
    let submit = element("button", "#place-order");
    let mut logo = element("a", "#logo");
    logo.href = Some("/".to_owned());
    let pages = vec![
        page("https://shop.test/checkout", T0, T0 + 20_000),
        page("https://shop.test/", T0 + 20_000, T0 + 60_000),
    ];
    let typing = vec![
        click_at(1000, 0, 100.0, 200.0, Some(0), PointerType::Mouse),
        ev(1001, 0, EventKind::Focus { target: Some(0) }),
        ev(
            2000,
            0,
            EventKind::Input {
                target: Some(0),
                value_len: 5,
                value: None,
                checked: None,
            },
        ),
    ];
    let mut left = typing.clone();
    left.push(click_at(19_700, 0, 10.0, 10.0, Some(2), PointerType::Mouse));
    let s = session(
        pages.clone(),
        vec![email.clone(), submit.clone(), logo.clone()],
        left,
    );
    let found = form_abandonments(&s, &SignalSettings::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].start_ms, T0 + 1000);
    assert_eq!(found[0].end_ms, T0 + 19_700);
    assert_eq!(found[0].pos_in_page, Some(PagePos { x: 100.0, y: 200.0 }));

    let mut submitted = typing;
    submitted.push(click_at(19_700, 0, 10.0, 10.0, Some(1), PointerType::Mouse));
    let s = session(pages, vec![email, submit, logo], submitted);
    assert!(form_abandonments(&s, &SignalSettings::default()).is_empty());
}

#[test]
fn field_hesitation_long_focus_and_refocus() {
    let mut email = element("input", "#email");
    email.input_type = Some("email".to_owned());
    let focus = |t| ev(t, 0, EventKind::Focus { target: Some(0) });
    let blur = |t| ev(t, 0, EventKind::Blur { target: Some(0) });
    let s = session(
        vec![page("https://shop.test/", T0, T0 + 60_000)],
        vec![email],
        vec![
            focus(1000),
            blur(10_000),
            focus(12_000),
            blur(13_000),
            focus(14_000),
            ev(
                15_000,
                0,
                EventKind::Input {
                    target: Some(0),
                    value_len: 1,
                    value: None,
                    checked: None,
                },
            ),
        ],
    );
    let found = field_hesitations(&s, &SignalSettings::default());
    let details: Vec<&str> = found.iter().map(|s| s.detail.as_str()).collect();
    assert_eq!(
        details,
        ["focused 9000 ms without typing", "focused 3 times"]
    );
}

#[test]
fn mis_tap_needs_a_near_tap_on_an_interactive_element() {
    let button = element("button", "#size-m");
    let label = element("span", "span.size-label");
    let tap = |t, x, target| click_at(t, 0, x, 500.0, Some(target), PointerType::Touch);
    let s = session(
        vec![page("https://shop.test/", T0, T0 + 60_000)],
        vec![button.clone(), label.clone()],
        vec![
            tap(1000, 100.0, 1),
            tap(1800, 120.0, 0),
            tap(10_000, 100.0, 1),
            tap(12_500, 110.0, 0),
        ],
    );
    let (found, coverage) = mis_taps(&s, &SignalSettings::default());
    assert_eq!(coverage, Coverage::Known);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].start_ms, T0 + 1000);
    assert_eq!(found[0].target.as_deref(), Some("#size-m"));

    let untargeted = session(
        vec![page("https://shop.test/", T0, T0 + 60_000)],
        vec![],
        vec![click_at(1000, 0, 1.0, 1.0, None, PointerType::Touch)],
    );
    assert_eq!(
        mis_taps(&untargeted, &SignalSettings::default()).1,
        Coverage::Unknown
    );
    assert_eq!(
        mis_taps(&one_page(vec![]), &SignalSettings::default()).1,
        Coverage::NotApplicable
    );
}

#[test]
fn hotspots_group_by_element_or_cell_and_rank() {
    let row = |session: i64, converted: bool, target: Option<&str>, x: f32| SignalRow {
        session,
        converted,
        kind: SignalKind::RageClick,
        page_url: "https://shop.test/".to_owned(),
        target: target.map(str::to_owned),
        pos_in_page: Some(PagePos { x, y: 20.0 }),
    };
    let signals = vec![
        row(1, false, Some("#promo"), 1.0),
        row(1, false, Some("#promo"), 1.0),
        row(2, false, Some("#promo"), 1.0),
        row(3, true, None, 33.0),
        row(4, false, None, 47.0),
    ];
    let pages = [PageVisits {
        url: "https://shop.test/".to_owned(),
        sessions: 10,
        converted_sessions: 5,
    }];
    let table = hotspots(&signals, &pages, HotspotSort::SessionsAffected);
    assert_eq!(table.len(), 2);
    assert_eq!(table[0].place, HotspotPlace::Element("#promo".to_owned()));
    assert_eq!((table[0].occurrences, table[0].sessions_affected), (3, 2));
    assert!((table[0].share_affected - 0.2).abs() < 1e-9);
    assert!((table[0].baseline_conversion_rate - 5.0 / 8.0).abs() < 1e-9);
    assert!((table[0].estimated_lost_conversions - 1.3).abs() < 1e-9);
    assert_eq!(table[1].place, HotspotPlace::Cell { x: 32, y: 16 });
    assert!(!table[0].significant, "2 sessions are no evidence");
    let by_loss = hotspots(&signals, &pages, HotspotSort::EstimatedLoss);
    assert_eq!(by_loss[0].place, HotspotPlace::Element("#promo".to_owned()));
}
