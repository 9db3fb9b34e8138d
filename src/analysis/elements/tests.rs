use super::*;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn view(rowid: i64, converted: bool, in_layout: bool) -> ElementView {
    ElementView {
        session_rowid: rowid,
        session_id: format!("s{rowid}"),
        page_index: 0,
        converted,
        in_layout,
    }
}

fn click(view: usize, selector: &str, t: i64, x: f32, y: f32) -> ElementClick {
    ElementClick {
        view,
        selector: selector.to_owned(),
        label: format!("label of {selector}"),
        timestamp_ms: t,
        pos: PagePos { x, y },
        fixed: false,
    }
}

fn signal(view: usize, kind: SignalKind, target: &str) -> ElementSignal {
    ElementSignal {
        view,
        kind,
        target: Some(target.to_owned()),
        start_ms: 0,
    }
}

fn sample() -> ElementInput {
    ElementInput {
        page: "http://shop.test/".to_owned(),
        // Sessions 1 (converted, two page views), 2 (not), 3 (converted, another layout).
        views: vec![
            view(1, true, true),
            ElementView {
                page_index: 2,
                ..view(1, true, true)
            },
            view(2, false, true),
            view(3, true, false),
        ],
        clicks: vec![
            click(0, "#buy", 10, 100.0, 200.0),
            click(0, "#buy", 11, 110.0, 205.0),
            click(1, "#buy", 50, 104.0, 198.0),
            click(2, "#buy", 20, 120.0, 210.0),
            click(2, "nav > a", 21, 20.0, 10.0),
            click(2, "nav > a", 22, 22.0, 12.0),
            click(2, "nav > a", 23, 24.0, 14.0),
            // Another layout: counted, but not in the box.
            click(3, "#buy", 5, 900.0, 900.0),
        ],
        clicks_without_element: 2,
        signals: vec![
            signal(2, SignalKind::RageClick, "nav > a"),
            signal(0, SignalKind::DeadClick, "#buy"),
            signal(2, SignalKind::ErrorClick, "#buy"),
            signal(3, SignalKind::ErrorClick, "#buy"),
            // Not an element signal kind, and one without a target: ignored.
            signal(2, SignalKind::QuickBack, "#buy"),
            ElementSignal {
                target: None,
                ..signal(2, SignalKind::RageClick, "")
            },
        ],
    }
}

#[test]
fn elements_are_grouped_by_selector_and_counted() {
    let map = element_map(&sample(), ElementMeasure::Clicks);
    assert_eq!(map.page_views, 4);
    assert_eq!(map.sessions, 3);
    assert_eq!(map.converted_sessions, 2);
    assert_eq!(map.clicks, 8);
    assert_eq!(map.clicks_without_element, 2);
    assert_eq!(map.elements.len(), 2);
    let buy = &map.elements[0];
    assert_eq!(buy.selector, "#buy");
    assert_eq!(buy.label, "label of #buy");
    assert_eq!((buy.clicks, buy.rage, buy.dead, buy.error), (5, 0, 1, 2));
    assert_eq!(
        (buy.sessions, buy.page_views, buy.converted_sessions),
        (3, 4, 2)
    );
    assert!((buy.conversion_rate - 2.0 / 3.0).abs() < 1e-12);
    // The box holds the clicks of the layout drawn on only, padded.
    let b = buy.bbox.unwrap();
    assert_eq!(b.clicks, 4);
    assert_eq!(
        (b.left_px, b.top_px, b.right_px, b.bottom_px),
        (96.0, 194.0, 124.0, 214.0)
    );
    // One moment per session, at its first click, in time order.
    let moments: Vec<(&str, i64)> = buy
        .moments
        .iter()
        .map(|m| (m.session_id.as_str(), m.timestamp_ms))
        .collect();
    assert_eq!(moments, vec![("s3", 5), ("s1", 10), ("s2", 20)]);
    let nav = &map.elements[1];
    assert_eq!((nav.clicks, nav.rage, nav.sessions), (3, 1, 1));
    assert_eq!(nav.conversion_rate, 0.0);
    assert!(
        map.element_at(PagePos { x: 22.0, y: 12.0 })
            .is_some_and(|e| e.selector == "nav > a")
    );
    assert!(map.element_at(PagePos { x: 500.0, y: 500.0 }).is_none());
}

#[test]
fn every_measure_ranks_its_way() {
    let input = sample();
    let first = |m| element_map(&input, m).elements[0].selector.clone();
    assert_eq!(first(ElementMeasure::Clicks), "#buy");
    assert_eq!(first(ElementMeasure::Rage), "nav > a");
    assert_eq!(first(ElementMeasure::Dead), "#buy");
    assert_eq!(first(ElementMeasure::Error), "#buy");
    assert_eq!(first(ElementMeasure::Sessions), "#buy");
    assert_eq!(first(ElementMeasure::Conversion), "#buy");
    let map = element_map(&input, ElementMeasure::Rage);
    assert_eq!(map.max_value(), 1.0);
    for m in ElementMeasure::ALL {
        assert_eq!(ElementMeasure::parse(m.as_str()), Some(m));
    }
    assert_eq!(ElementMeasure::parse("hover"), None);
}

#[test]
fn fixed_elements_keep_their_viewport_box_and_empty_input_is_empty() {
    let mut input = sample();
    input.clicks.push(ElementClick {
        fixed: true,
        ..click(2, "header .cart", 30, 700.0, 20.0)
    });
    let map = element_map(&input, ElementMeasure::Clicks);
    let cart = map
        .elements
        .iter()
        .find(|e| e.selector == "header .cart")
        .unwrap();
    assert!(cart.fixed);
    let empty = element_map(&ElementInput::default(), ElementMeasure::Conversion);
    assert!(empty.elements.is_empty());
    assert_eq!(empty.conversion_rate, 0.0);
    assert_eq!(empty.max_value(), 0.0);
}

/// `views` page views of sessions from `first`, each clicking each `(selector, probability)`
/// at random.
fn random_input(rng: &mut Rng, first: i64, views: usize, elements: &[(&str, f64)]) -> ElementInput {
    let mut input = ElementInput {
        page: "p".to_owned(),
        ..ElementInput::default()
    };
    for i in 0..views {
        input.views.push(view(first + i as i64, false, true));
        for &(selector, p) in elements {
            if rng.chance(p) {
                input.clicks.push(click(i, selector, 0, 10.0, 10.0));
                // A second click of the same page view must not count twice.
                input.clicks.push(click(i, selector, 1, 12.0, 10.0));
            }
        }
    }
    input
}

#[test]
fn a_known_difference_is_found_and_equal_elements_are_not() {
    let mut rng = Rng::new(7);
    let a = random_input(&mut rng, 0, 400, &[("#buy", 0.5), ("#same", 0.3)]);
    let b = random_input(&mut rng, 10_000, 400, &[("#buy", 0.1), ("#same", 0.3)]);
    let cmp = compare_elements(("A", &a), ("B", &b), 0.05);
    assert_eq!(
        (cmp.page_views_a, cmp.page_views_b, cmp.overlap),
        (400, 400, 0)
    );
    assert_eq!(cmp.elements.len(), 2);
    let buy = &cmp.elements[0];
    assert_eq!(buy.selector, "#buy");
    assert!(buy.significant, "{buy:?}");
    assert!(buy.difference > 0.3 && buy.difference < 0.5, "{buy:?}");
    assert!(buy.interval95.0 < buy.difference && buy.difference < buy.interval95.1);
    assert_eq!(buy.clicks_a, 2 * buy.views_a);
    let same = &cmp.elements[1];
    assert_eq!(same.selector, "#same");
    assert!(!same.significant, "{same:?}");
    assert!(cmp.describe().starts_with("1 of 2 elements differ"));
}

#[test]
fn without_differences_at_most_the_expected_share_is_flagged() {
    // 30 maps of 60 elements, A and B drawn from the same shares. Under the null, BH at 5 %
    // flags anything in a map with probability at most 5 %.
    let shares: Vec<(String, f64)> = (0..60)
        .map(|i| (format!("#e{i}"), 0.02 + 0.01 * f64::from(i % 30)))
        .collect();
    let elements: Vec<(&str, f64)> = shares.iter().map(|(s, p)| (s.as_str(), *p)).collect();
    let (mut maps_with_any, mut flagged, mut tested) = (0, 0, 0);
    for seed in 0..30 {
        let mut rng = Rng::new(100 + seed);
        let a = random_input(&mut rng, 0, 300, &elements);
        let b = random_input(&mut rng, 10_000, 300, &elements);
        let cmp = compare_elements(("A", &a), ("B", &b), 0.05);
        tested += cmp.elements.len();
        flagged += cmp.significant();
        if cmp.significant() > 0 {
            maps_with_any += 1;
        }
    }
    assert!(tested > 1_500);
    assert!(
        maps_with_any <= 4,
        "{maps_with_any} of 30 maps flagged something"
    );
    assert!(flagged * 100 <= tested * 5, "{flagged} of {tested}");
}

#[test]
fn page_views_of_b_that_are_also_a_are_left_out() {
    let mut rng = Rng::new(3);
    // A: sessions 0..100 (all click #x); B: all sessions 0..300, of which 100..300 never do.
    let a = random_input(&mut rng, 0, 100, &[("#x", 1.0)]);
    let mut b = random_input(&mut rng, 0, 100, &[("#x", 1.0)]);
    let rest = random_input(&mut rng, 100, 200, &[("#x", 0.0)]);
    b.views.extend(rest.views);
    let cmp = compare_elements(("with", &a), ("all", &b), 0.05);
    assert_eq!(
        (cmp.page_views_a, cmp.page_views_b, cmp.overlap),
        (100, 200, 100)
    );
    let x = &cmp.elements[0];
    assert_eq!((x.views_a, x.views_b), (100, 0));
    assert_eq!((x.share_a, x.share_b), (1.0, 0.0));
    assert!(x.significant);
}

#[test]
fn csv_rows_match_their_headers() {
    let map = element_map(&sample(), ElementMeasure::Clicks);
    let row = csv_row(1, &map.elements[0]);
    assert_eq!(
        row.split(',').count(),
        CSV_HEADER.split(',').count(),
        "{row}"
    );
    let mut rng = Rng::new(1);
    let a = random_input(&mut rng, 0, 10, &[("#a", 0.5)]);
    let cmp = compare_elements(("A", &a), ("B", &a.clone()), 0.05);
    let row = compare_csv_row(&cmp.elements[0]);
    assert_eq!(
        row.split(',').count(),
        COMPARE_CSV_HEADER.split(',').count()
    );
}
