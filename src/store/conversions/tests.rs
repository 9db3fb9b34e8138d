//! Definitions are retroactive and follow imports; facts come back filtered.

use super::*;
use crate::analysis::conversions::{funnel, kpis};
use crate::demo::{GenerateOptions, generate};
use crate::format::Loaded;

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
    let defined = lib.define_event(&cart_page, &mut |_, _| {}).unwrap();
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
    let clicked = lib.define_event(&button, &mut |_, _| {}).unwrap();
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
    assert!(lib.define_event(&bad, &mut |_, _| {}).is_err());
}
