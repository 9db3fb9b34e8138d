//! Definitions are retroactive and follow imports; facts come back filtered.

use super::*;
use crate::analysis::conversions::{funnel, hits, kpis};
use crate::demo::{GenerateOptions, generate};
use crate::format::Loaded;
use crate::model::Session;

fn library(n: usize) -> (Library, Vec<Session>) {
    let mut lib = Library::open_in_memory().unwrap();
    let sessions = generate(&GenerateOptions {
        sessions: n,
        seed: 5,
        ..GenerateOptions::default()
    });
    lib.insert_loaded(
        "gen",
        &Loaded {
            sessions: sessions.clone(),
            ..Loaded::default()
        },
    )
    .unwrap();
    (lib, sessions)
}

fn has_custom(s: &Session, name: &str) -> bool {
    s.events
        .iter()
        .any(|e| matches!(&e.kind, crate::model::EventKind::Custom { name: n, .. } if n == name))
}

#[test]
fn standard_definitions_are_retroactive_and_kpis_match_a_recount() {
    let (mut lib, sessions) = library(400);
    let added = lib.ensure_standard_definitions().unwrap();
    assert!(added.contains(&"purchase".to_owned()) && added.contains(&"add_to_cart".to_owned()));
    assert!(
        lib.ensure_standard_definitions().unwrap().is_empty(),
        "once"
    );
    let facts = lib
        .conversion_facts(&SessionFilter::default(), &[])
        .unwrap();
    let k = kpis(&facts);
    assert_eq!(k.sessions, 400);
    assert_eq!(
        k.purchases,
        sessions.iter().filter(|s| s.converted()).count()
    );
    assert_eq!(
        k.add_to_cart,
        sessions
            .iter()
            .filter(|s| has_custom(s, "add_to_cart"))
            .count()
    );
    let revenue: f64 = sessions.iter().filter_map(Session::revenue).sum();
    assert!((k.revenue - revenue).abs() < 1e-6);
    // Filtered: mobile only.
    let mobile = lib
        .conversion_facts(
            &SessionFilter {
                device: Some(crate::model::DeviceClass::Mobile),
                ..SessionFilter::default()
            },
            &[],
        )
        .unwrap();
    assert_eq!(
        mobile.sessions.len(),
        sessions
            .iter()
            .filter(|s| s.device == crate::model::DeviceClass::Mobile)
            .count()
    );
}

#[test]
fn url_and_selector_definitions_find_past_and_future_sessions() {
    let (mut lib, sessions) = library(200);
    let cart_page = EventDefinition {
        name: "saw_cart".to_owned(),
        kind: DefinitionKind::Url,
        pattern: "/cart.html".to_owned(),
        value_from_event: false,
        stage: Some(Stage::Mofu),
        weight: Some(4),
    };
    let defined = lib.define_event(&cart_page, &mut |_, _, _| {}).unwrap();
    let expected = sessions
        .iter()
        .filter(|s| s.pages.iter().any(|p| p.url.ends_with("/cart.html")))
        .count();
    assert_eq!(defined.sessions, expected as u64);
    let button = EventDefinition {
        name: "clicked_add".to_owned(),
        kind: DefinitionKind::Selector,
        pattern: "#add-to-cart".to_owned(),
        value_from_event: false,
        stage: None,
        weight: None,
    };
    let clicked = lib.define_event(&button, &mut |_, _, _| {}).unwrap();
    // The simulator sends add_to_cart right after each click on the button.
    let adds = sessions
        .iter()
        .filter(|s| has_custom(s, "add_to_cart"))
        .count();
    assert_eq!(clicked.sessions, adds as u64);
    // Sessions imported later get the hits too.
    let more = generate(&GenerateOptions {
        sessions: 50,
        seed: 6,
        ..GenerateOptions::default()
    });
    let later = more
        .iter()
        .filter(|s| s.pages.iter().any(|p| p.url.ends_with("/cart.html")))
        .count();
    lib.insert_loaded(
        "more",
        &Loaded {
            sessions: more,
            ..Loaded::default()
        },
    )
    .unwrap();
    let counts = lib.event_session_counts().unwrap();
    assert_eq!(counts["saw_cart"], (expected + later) as u64);
    // A funnel over them: every cart click comes before its cart page.
    let facts = lib
        .conversion_facts(
            &SessionFilter::default(),
            &["clicked_add".to_owned(), "saw_cart".to_owned()],
        )
        .unwrap();
    let f = funnel(
        &facts,
        &["clicked_add".to_owned(), "saw_cart".to_owned()],
        None,
    );
    assert!(f.steps[1].sessions <= f.steps[0].sessions);
    assert!(lib.delete_event_definition("saw_cart").unwrap());
    assert!(!lib.event_session_counts().unwrap().contains_key("saw_cart"));
    let bad = EventDefinition {
        weight: Some(11),
        ..button
    };
    assert!(lib.define_event(&bad, &mut |_, _, _| {}).is_err());
}

/// Generated sessions with their conversion custom events (`purchase`, …) renamed to `order`,
/// which no standard rule counts: a shop that never sends a purchase event.
fn without_purchase_events(sessions: &mut [Session]) {
    for s in sessions {
        for e in &mut s.events {
            if let crate::model::EventKind::Custom { name, .. } = &mut e.kind
                && crate::model::CONVERSION_EVENT_NAMES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(name))
            {
                *name = "order".to_owned();
            }
        }
    }
}

fn library_of(sessions: &[Session]) -> Library {
    let mut lib = Library::open_in_memory().unwrap();
    lib.insert_loaded(
        "gen",
        &Loaded {
            sessions: sessions.to_vec(),
            ..Loaded::default()
        },
    )
    .unwrap();
    lib
}

fn place_order() -> EventDefinition {
    EventDefinition {
        name: "purchase".to_owned(),
        kind: DefinitionKind::Selector,
        pattern: "#place-order".to_owned(),
        value_from_event: false,
        stage: Some(Stage::Bofu),
        weight: None,
    }
}

/// Stored (converted, revenue) of every session, by session id.
fn stored(lib: &Library, sessions: &[Session]) -> Vec<(bool, Option<f64>)> {
    sessions
        .iter()
        .map(|s| lib.session_conversion(&s.session_id).unwrap().unwrap())
        .collect()
}

#[test]
fn a_selector_purchase_converts_sessions_that_never_sent_a_purchase_event() {
    use crate::store::SessionQueries as _;
    let mut sessions = generate(&GenerateOptions {
        sessions: 300,
        seed: 8,
        ..GenerateOptions::default()
    });
    without_purchase_events(&mut sessions);
    let mut lib = library_of(&sessions);
    let all = SessionFilter::default();
    let converted_only = SessionFilter {
        converted: Some(true),
        ..SessionFilter::default()
    };
    assert_eq!(lib.conversion_goal().unwrap(), ConversionGoal::standard());
    assert_eq!(kpis(&lib.conversion_facts(&all, &[]).unwrap()).purchases, 0);
    assert_eq!(lib.count_sessions(&converted_only).unwrap(), 0);

    // `define-event purchase --selector '#place-order'`: the default goal's event redefined.
    let def = place_order();
    let expected = sessions
        .iter()
        .filter(|s| !hits(&def, s).is_empty())
        .count();
    assert!(expected > 0, "the simulator places orders");
    let defined = lib.define_event(&def, &mut |_, _, _| {}).unwrap();
    assert_eq!(defined.goal_converted, Some(expected as u64));
    let k = kpis(&lib.conversion_facts(&all, &[]).unwrap());
    assert_eq!(k.purchases, expected);
    assert!(k.conversion_rate.unwrap() > 0.0);
    // Revenue: the sessions' conversion custom events carry none here (renamed).
    assert!(k.revenue.abs() < f64::EPSILON);
    assert_eq!(
        lib.count_sessions(&converted_only).unwrap(),
        expected as u64
    );
    let status = lib.goal_status().unwrap();
    assert_eq!((status.converted, status.sessions), (expected as u64, 300));
    assert!(!status.goal.is_standard());

    // Sessions imported later are converted for the goal in force, at import.
    let mut more = generate(&GenerateOptions {
        sessions: 40,
        seed: 9,
        ..GenerateOptions::default()
    });
    without_purchase_events(&mut more);
    lib.insert_loaded(
        "more",
        &Loaded {
            sessions: more.clone(),
            ..Loaded::default()
        },
    )
    .unwrap();
    for (s, (converted, _)) in more.iter().zip(stored(&lib, &more)) {
        assert_eq!(converted, !hits(&def, s).is_empty(), "{}", s.session_id);
    }

    // Deleting the goal's event brings the standard rule back: nothing converts again.
    assert!(lib.delete_event_definition("purchase").unwrap());
    assert_eq!(lib.count_sessions(&converted_only).unwrap(), 0);
}

#[test]
fn a_user_defined_purchase_gives_the_same_kpis_as_the_recorded_custom_event() {
    let (mut lib, sessions) = library(400);
    lib.ensure_standard_definitions().unwrap();
    let all = SessionFilter::default();
    let recorded = lib.conversion_facts(&all, &[]).unwrap();
    let before = stored(&lib, &sessions);
    assert!(kpis(&recorded).purchases > 0);
    lib.define_event(
        &EventDefinition {
            name: "placed".to_owned(),
            ..place_order()
        },
        &mut |_, _, _| {},
    )
    .unwrap();
    let mut steps = Vec::new();
    let status = lib
        .set_conversion_goal("placed", &mut |step, done, total| {
            steps.push((step, done, total));
        })
        .unwrap();
    assert_eq!(steps.last(), Some(&(WorkStep::Recomputing, 400, 400)));
    assert_eq!(status.goal.name, "placed");
    let clicked = lib.conversion_facts(&all, &[]).unwrap();
    // Same sessions converted, same revenue (from the purchase events' values), same KPIs.
    assert_eq!(kpis(&clicked), kpis(&recorded));
    assert_eq!(stored(&lib, &sessions), before);
    for by in [
        crate::analysis::conversions::SegmentBy::Device,
        crate::analysis::conversions::SegmentBy::Source,
    ] {
        let a: Vec<_> = crate::analysis::conversions::segments(&recorded, by)
            .iter()
            .map(|(n, f)| (n.clone(), kpis(f)))
            .collect();
        let b: Vec<_> = crate::analysis::conversions::segments(&clicked, by)
            .iter()
            .map(|(n, f)| (n.clone(), kpis(f)))
            .collect();
        assert_eq!(a, b);
    }
    // Back to the default: the recorded events again.
    lib.set_conversion_goal("purchase", &mut |_, _, _| {})
        .unwrap();
    assert_eq!(lib.conversion_goal().unwrap().name, "purchase");
    assert_eq!(stored(&lib, &sessions), before);
}

#[test]
fn recomputed_conversions_equal_the_import_time_outcome_for_every_kind_of_goal() {
    let mut sessions = generate(&GenerateOptions {
        sessions: 250,
        seed: 12,
        ..GenerateOptions::default()
    });
    // Half the shop sends `order` (with its value) instead of `purchase`.
    let (renamed, kept) = sessions.split_at_mut(125);
    without_purchase_events(renamed);
    let _ = kept;
    let mut lib = library_of(&sessions);
    let goals = [
        EventDefinition {
            name: "order_value".to_owned(),
            kind: DefinitionKind::Custom,
            pattern: "order".to_owned(),
            value_from_event: true,
            stage: None,
            weight: None,
        },
        EventDefinition {
            name: "paid_card".to_owned(),
            kind: DefinitionKind::Custom,
            pattern: "add_payment_info".to_owned(),
            value_from_event: false,
            stage: None,
            weight: None,
        },
        EventDefinition {
            name: "reached_checkout".to_owned(),
            kind: DefinitionKind::Url,
            pattern: "/checkout*".to_owned(),
            value_from_event: false,
            stage: None,
            weight: None,
        },
        EventDefinition {
            name: "placed".to_owned(),
            ..place_order()
        },
        EventDefinition {
            name: "said_place_order".to_owned(),
            kind: DefinitionKind::Text,
            pattern: "place order".to_owned(),
            value_from_event: false,
            stage: None,
            weight: None,
        },
    ];
    for def in &goals {
        lib.define_event(def, &mut |_, _, _| {}).unwrap();
        lib.set_conversion_goal(&def.name, &mut |_, _, _| {})
            .unwrap();
        let goal = lib.conversion_goal().unwrap();
        assert_eq!(goal.definition.as_ref(), Some(def));
        let recomputed = stored(&lib, &sessions);
        let mut converted = 0;
        for (s, got) in sessions.iter().zip(&recomputed) {
            let want = goal.outcome(s);
            assert_eq!(got.0, want.0, "{}: {} converted", def.name, s.session_id);
            match (got.1, want.1) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{}: {a} vs {b}", def.name),
                (a, b) => assert_eq!(a, b, "{}: {} revenue", def.name, s.session_id),
            }
            converted += usize::from(got.0);
        }
        assert!(converted > 0, "{} converts some sessions", def.name);
        // Imported under this goal: the same values as recomputed.
        let mut fresh = Library::open_in_memory().unwrap();
        fresh.define_event(def, &mut |_, _, _| {}).unwrap();
        fresh
            .set_conversion_goal(&def.name, &mut |_, _, _| {})
            .unwrap();
        fresh
            .insert_loaded(
                "gen",
                &Loaded {
                    sessions: sessions.clone(),
                    ..Loaded::default()
                },
            )
            .unwrap();
        let imported = stored(&fresh, &sessions);
        for (a, b) in imported.iter().zip(&recomputed) {
            assert_eq!(a.0, b.0, "{}", def.name);
            assert!(
                a.1.zip(b.1).is_none_or(|(x, y)| (x - y).abs() < 1e-9)
                    && a.1.is_some() == b.1.is_some(),
                "{}: {a:?} vs {b:?}",
                def.name
            );
        }
    }
    // The own values of `order` are the revenue when the goal takes them.
    lib.set_conversion_goal("order_value", &mut |_, _, _| {})
        .unwrap();
    let k = kpis(
        &lib.conversion_facts(&SessionFilter::default(), &[])
            .unwrap(),
    );
    assert!(k.revenue > 0.0 && k.purchases > 0);
}

#[test]
fn the_goal_must_be_a_defined_event() {
    let (mut lib, _) = library(30);
    lib.ensure_standard_definitions().unwrap();
    let e = lib
        .set_conversion_goal("signup", &mut |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"signup\"") && e.contains("add_to_cart"), "{e}");
    assert_eq!(lib.conversion_goal().unwrap(), {
        let mut g = ConversionGoal::standard();
        g.definition = lib
            .event_definitions()
            .unwrap()
            .into_iter()
            .find(|d| d.name == "purchase");
        g
    });
    assert!(lib.conversion_goal().unwrap().is_standard());
}
