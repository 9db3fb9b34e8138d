//! Hand-computed checks of the KPIs, funnels and lift.

use super::*;

/// Six sessions: (device, converted, revenue, events in time order, signals).
fn facts() -> Facts {
    #[allow(clippy::type_complexity)]
    let table: [(DeviceClass, bool, f64, &[(&str, i64)], &[&str]); 6] = [
        // Buys: view, cart, checkout, purchase.
        (
            DeviceClass::Desktop,
            true,
            100.0,
            &[("view_item", 1), ("add_to_cart", 2), ("begin_checkout", 3)],
            &[],
        ),
        // Buys twice as much, on mobile.
        (
            DeviceClass::Mobile,
            true,
            200.0,
            &[("view_item", 1), ("add_to_cart", 2), ("begin_checkout", 3)],
            &["rage_click"],
        ),
        // Checkout started, abandoned.
        (
            DeviceClass::Mobile,
            false,
            0.0,
            &[("view_item", 1), ("add_to_cart", 2), ("begin_checkout", 3)],
            &["rage_click"],
        ),
        // Cart only.
        (
            DeviceClass::Desktop,
            false,
            0.0,
            &[("view_item", 1), ("add_to_cart", 5)],
            &[],
        ),
        // Cart before viewing (out of order for a view → cart funnel).
        (
            DeviceClass::Mobile,
            false,
            0.0,
            &[("add_to_cart", 1), ("view_item", 9)],
            &["rage_click"],
        ),
        // Bounce.
        (DeviceClass::Mobile, false, 0.0, &[], &[]),
    ];
    let mut facts = Facts::default();
    for (i, (device, converted, revenue, events, signals)) in table.into_iter().enumerate() {
        facts.sessions.push(SessionFacts {
            session_rowid: i as i64 + 1,
            device,
            channel: Channel::Direct,
            converted,
            revenue,
            signals: signals.iter().map(|s| (*s).to_owned()).collect(),
            duration_ms: 120_000,
        });
        for (name, t) in events {
            facts
                .hits
                .entry((*name).to_owned())
                .or_default()
                .entry(i)
                .or_default()
                .push(*t);
        }
    }
    facts
}

#[test]
fn kpis_by_hand() {
    let k = kpis(&facts());
    assert_eq!(k.sessions, 6);
    assert_eq!(k.purchases, 2);
    assert_eq!(k.conversion_rate, Some(2.0 / 6.0));
    assert_eq!(k.add_to_cart, 5);
    assert_eq!(k.checkouts_started, 3);
    assert_eq!(k.checkouts_completed, 2);
    assert_eq!(k.cart_abandonment_rate, Some(1.0 / 3.0));
    assert_eq!(k.checkout_completion_rate, Some(2.0 / 3.0));
    assert_eq!(k.revenue, 300.0);
    assert_eq!(k.average_order_value, Some(150.0));
    assert_eq!(k.revenue_per_visitor, Some(50.0));
    let empty = kpis(&Facts::default());
    assert_eq!((empty.sessions, empty.conversion_rate), (0, None));
}

#[test]
fn funnel_by_hand_with_order_and_window() {
    let names: Vec<String> = ["view_item", "add_to_cart", "begin_checkout"]
        .map(str::to_owned)
        .to_vec();
    let f = funnel(&facts(), &names, None);
    let counts: Vec<usize> = f.steps.iter().map(|s| s.sessions).collect();
    // Session 5 viewed after its cart: it reaches step 1 only.
    assert_eq!(counts, [5, 4, 3]);
    assert_eq!(f.steps[1].conversion_from_previous, Some(4.0 / 5.0));
    assert_eq!(f.steps[2].conversion_from_start, Some(3.0 / 5.0));
    assert_eq!(f.steps[1].dropped, 1);
    assert_eq!(f.steps[2].dropped, 1);
    // Droppers: session 5 at step 0 (t 9), session 4 at step 1 (t 5).
    let mut d: Vec<(i64, usize, i64)> = f
        .droppers
        .iter()
        .map(|d| (d.session_rowid, d.reached, d.at_ms))
        .collect();
    d.sort_unstable();
    assert_eq!(d, [(4, 1, 5), (5, 0, 9)]);
    // A 2 ms window: session 4's cart came 4 ms after its view.
    let w = funnel(&facts(), &names, Some(2));
    assert_eq!(
        w.steps.iter().map(|s| s.sessions).collect::<Vec<_>>(),
        [5, 3, 3]
    );
}

#[test]
fn segments_split_by_device() {
    let by = segments(&facts(), SegmentBy::Device);
    assert_eq!(by[0].0, "mobile");
    assert_eq!(by[0].1.sessions.len(), 4);
    assert_eq!(kpis(&by[0].1).purchases, 1);
    assert_eq!(kpis(&by[1].1).purchases, 1);
    assert_eq!(kpis(&by[1].1).add_to_cart, 2);
}

#[test]
fn lift_and_its_interval_by_hand() {
    let rows = lift(&facts(), &["add_to_cart".to_owned()], &["rage_click"]);
    let cart = &rows[0];
    // With a cart: 5 sessions, 2 purchases; without: 1 session, no purchase → no ratio.
    assert_eq!((cart.with, cart.without), (5, 1));
    assert_eq!(cart.conversion_with, Some(0.4));
    assert_eq!(cart.ratio, None);
    let rage = &rows[1];
    assert_eq!(rage.what, "signal");
    // Rage: 3 sessions, 1 purchase; without: 3 sessions, 1 purchase → ratio 1.
    assert_eq!((rage.with, rage.without), (3, 3));
    assert_eq!(rage.ratio, Some(1.0));
    let (lo, hi) = rage.ratio_ci95.unwrap();
    assert!(lo < 1.0 && hi > 1.0);
    // Textbook case: 20/100 against 10/100 → RR 2, interval 0.99–4.05.
    let (rr, ci) = risk_ratio(20, 100, 10, 100);
    assert_eq!(rr, Some(2.0));
    let (lo, hi) = ci.unwrap();
    assert!(
        (lo - 0.988).abs() < 0.01 && (hi - 4.05).abs() < 0.02,
        "{lo} {hi}"
    );
}

#[test]
fn selectors_and_texts_match_recorded_elements() {
    let d = ElementDescriptor {
        tag: "button".to_owned(),
        id: Some("add-to-cart".to_owned()),
        classes: vec!["btn".to_owned(), "btn-primary".to_owned()],
        text: Some("Add to cart".to_owned()),
        selector: "#product > div.buy > button#add-to-cart".to_owned(),
        ..ElementDescriptor::default()
    };
    for yes in [
        "#add-to-cart",
        "button#add-to-cart",
        "button.btn-primary",
        ".btn.btn-primary",
        "div.buy > button#add-to-cart",
        "#product > div.buy > button#add-to-cart",
        "form button.btn",
        "#product",
        "div.buy",
        ".buy",
    ] {
        assert!(selector_matches(yes, &d), "{yes}");
    }
    for no in [
        "#cart",
        "a#add-to-cart",
        ".btn-secondary",
        "",
        "button[type=submit]",
        "span.buy",
    ] {
        assert!(!selector_matches(no, &d), "{no}");
    }
}

#[test]
fn intent_scores_weigh_distinct_micro_conversions_and_velocity_counts_them_per_minute() {
    let facts = facts();
    let weights = [
        ("add_to_cart".to_owned(), 5_u8),
        ("view_item".to_owned(), 2),
    ];
    let report = intent(&facts, &weights, DEFAULT_GOAL);
    // Converters: every one viewed an item and added to cart (2 + 5).
    assert_eq!(
        report.converted.n,
        facts.sessions.iter().filter(|s| s.converted).count()
    );
    assert_eq!(report.converted.intent_median, Some(7.0));
    // Velocity: hits of the weighted events per minute of a 2-minute session.
    let first = facts.sessions.iter().position(|s| s.converted).unwrap();
    let hits: usize = weights
        .iter()
        .filter_map(|(n, _)| facts.hits.get(n).and_then(|per| per.get(&first)))
        .map(Vec::len)
        .sum();
    assert!(report.converted.velocity_max.unwrap() >= hits as f64 / 2.0 - 1e-9);
    assert!(report.not_converted.intent_mean.unwrap() < report.converted.intent_mean.unwrap());
    assert_eq!(report.histogram.len(), 8, "0..=7 points");
}

#[test]
fn the_default_funnel_ends_at_the_goal() {
    assert_eq!(
        default_funnel("purchase"),
        ["view_item", "add_to_cart", "begin_checkout", "purchase"]
    );
    assert_eq!(default_funnel("add_to_cart"), ["view_item", "add_to_cart"]);
    assert_eq!(
        default_funnel("placed"),
        ["view_item", "add_to_cart", "begin_checkout", "placed"]
    );
}

#[test]
fn goal_outcomes_follow_the_standard_rule_or_the_definition_with_the_revenue_rule() {
    let sessions = crate::demo::generate(&crate::demo::GenerateOptions {
        sessions: 200,
        seed: 3,
        ..crate::demo::GenerateOptions::default()
    });
    let standard = ConversionGoal::standard();
    let custom_purchase = ConversionGoal {
        name: "purchase".to_owned(),
        definition: Some(EventDefinition {
            name: "purchase".to_owned(),
            kind: DefinitionKind::Custom,
            pattern: "Purchase".to_owned(),
            value_from_event: true,
            stage: None,
            weight: None,
        }),
    };
    assert!(standard.is_standard() && custom_purchase.is_standard());
    let button = EventDefinition {
        name: "placed".to_owned(),
        kind: DefinitionKind::Selector,
        pattern: "#place-order".to_owned(),
        value_from_event: false,
        stage: None,
        weight: None,
    };
    let placed = ConversionGoal {
        name: "placed".to_owned(),
        definition: Some(button.clone()),
    };
    let cart = ConversionGoal {
        name: "add_to_cart".to_owned(),
        definition: Some(EventDefinition {
            name: "add_to_cart".to_owned(),
            kind: DefinitionKind::Custom,
            pattern: "add_to_cart".to_owned(),
            value_from_event: true,
            stage: None,
            weight: None,
        }),
    };
    assert!(!placed.is_standard() && !placed.takes_own_value() && cart.takes_own_value());
    let (mut converters, mut carts) = (0, 0);
    for s in &sessions {
        let recorded = (s.converted(), s.revenue());
        assert_eq!(standard.outcome(s), recorded);
        assert_eq!(custom_purchase.outcome(s), recorded);
        // The simulator sends purchase right after the order button: the same outcome.
        let clicked = !hits(&button, s).is_empty();
        assert_eq!(clicked, s.converted(), "{}", s.session_id);
        assert_eq!(placed.outcome(s), recorded);
        // add_to_cart carries no value: a converted session without revenue.
        let (converted, revenue) = cart.outcome(s);
        assert_eq!(
            converted,
            s.events.iter().any(
                |e| matches!(&e.kind, EventKind::Custom { name, .. } if name == "add_to_cart")
            )
        );
        assert_eq!(revenue, None);
        converters += usize::from(recorded.0);
        carts += usize::from(converted);
    }
    assert!(converters > 0 && carts > converters, "{converters} {carts}");
    assert!(
        standard.measures_conversion("order_completed") && placed.measures_conversion("placed")
    );
    assert!(!placed.measures_conversion("add_to_cart"));
    assert_eq!(placed.rule(), "selector \"#place-order\"");
}
