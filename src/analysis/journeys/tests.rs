use super::*;

fn path(id: &str, converted: bool, urls: &[&str]) -> SessionPath {
    SessionPath {
        session_id: id.to_owned(),
        converted,
        steps: urls
            .iter()
            .enumerate()
            .map(|(i, u)| PathStep {
                url: format!("https://shop.test{u}"),
                entered_at_ms: 1_000 * i as i64,
                signal_kinds: Vec::new(),
            })
            .collect(),
    }
}

fn labels(j: &Journeys, step: usize) -> Vec<(&str, u64)> {
    j.steps[step]
        .iter()
        .map(|n| (n.label.as_str(), n.sessions))
        .collect()
}

fn flow(j: &Journeys, step: usize, from: &str, to: &str) -> u64 {
    j.flows
        .iter()
        .filter(|f| {
            f.step == step
                && j.steps[step][f.from].label == from
                && j.steps[step + 1][f.to].label == to
        })
        .map(|f| f.sessions)
        .sum()
}

fn query(anchor: Anchor, steps: usize) -> JourneyQuery {
    JourneyQuery {
        anchor,
        steps,
        min_share: 0.0,
        ..JourneyQuery::default()
    }
}

#[test]
fn counts_nodes_flows_exits_and_conversion_per_step() {
    let paths = [
        path("a", true, &["/", "/cart", "/checkout", "/thank-you"]),
        path("b", false, &["/", "/cart", "/checkout", "/cart"]),
        path("c", false, &["/", "/about"]),
        path("d", false, &["/cart"]),
    ];
    let j = journeys(&paths, &query(Anchor::Start, 5));
    assert_eq!(j.sessions, 4);
    assert_eq!(j.left_out, 0);
    assert_eq!(labels(&j, 0), [("/", 3), ("/cart", 1)]);
    assert_eq!(labels(&j, 1), [("/cart", 2), ("/about", 1)]);
    assert_eq!(labels(&j, 2), [("/checkout", 2)]);
    // The loop back to the cart is a node of its own column, not hidden.
    assert_eq!(labels(&j, 3), [("/cart", 1), ("/thank-you", 1)]);
    assert_eq!(flow(&j, 0, "/", "/cart"), 2);
    assert_eq!(flow(&j, 2, "/checkout", "/cart"), 1);
    let home = &j.steps[0][0];
    assert_eq!((home.exits, home.converted), (0, 1));
    assert!((home.conversion() - 1.0 / 3.0).abs() < 1e-9);
    let lone_cart = &j.steps[0][1];
    assert_eq!(lone_cart.exits, 1);
    assert!((lone_cart.exit_share() - 1.0).abs() < 1e-9);
    // Every session is counted once per step it reaches.
    for (s, nodes) in j.steps.iter().enumerate() {
        let in_flows: u64 = j
            .flows
            .iter()
            .filter(|f| f.step + 1 == s)
            .map(|f| f.sessions)
            .sum();
        let here: u64 = nodes.iter().map(|n| n.sessions).sum();
        let starts = if s == 0 { here } else { in_flows };
        assert_eq!(here, starts, "step {s}");
        let out: u64 = j
            .flows
            .iter()
            .filter(|f| f.step == s)
            .map(|f| f.sessions)
            .sum();
        let exits: u64 = nodes.iter().map(|n| n.exits).sum();
        assert_eq!(here, out + exits, "step {s}");
    }
}

#[test]
fn journeys_past_the_last_step_continue_and_reloads_are_one_step() {
    let paths = [path("a", false, &["/", "/", "/a", "/b", "/c"])];
    let j = journeys(&paths, &query(Anchor::Start, 2));
    assert_eq!(labels(&j, 0), [("/", 1)]);
    assert_eq!(labels(&j, 1), [("/a", 1)]);
    assert_eq!(j.continues, 1);
    assert_eq!(j.steps[1][0].exits, 0);
}

#[test]
fn anchors_from_to_and_between() {
    let paths = [
        path("a", true, &["/", "/p/1", "/cart", "/checkout"]),
        path("b", false, &["/blog", "/", "/cart"]),
        path("c", false, &["/blog"]),
    ];
    let cart = UrlPattern::new("/cart");
    let j = journeys(&paths, &query(Anchor::FromPage(cart.clone()), 3));
    assert_eq!(j.left_out, 1);
    assert_eq!(labels(&j, 0), [("/cart", 2)]);
    assert_eq!(labels(&j, 1), [("/checkout", 1)]);
    assert_eq!(j.steps[0][0].exits, 1);

    // Ending at the cart: the last column is the cart, earlier steps count back from it.
    let j = journeys(&paths, &query(Anchor::ToPage(cart.clone()), 2));
    assert!(j.ends_at_anchor);
    assert_eq!(labels(&j, 0), [("/", 1), ("/p/*", 1)]);
    assert_eq!(labels(&j, 1), [("/cart", 2)]);
    assert_eq!(j.continues, 1, "a goes on to the checkout");

    let j = journeys(
        &paths,
        &query(
            Anchor::Between(UrlPattern::new("/"), UrlPattern::new("/checkout")),
            5,
        ),
    );
    assert_eq!(
        j.sessions, 1,
        "only a goes from the home page to the checkout"
    );
    assert_eq!(labels(&j, 3), [("/checkout", 1)]);
    assert_eq!(j.steps[3][0].exits, 1);
}

#[test]
fn templates_fold_ids_many_products_and_user_rules() {
    let mut paths: Vec<SessionPath> = (0..30)
        .map(|i| {
            path(
                &format!("s{i}"),
                false,
                &[
                    "/",
                    &format!("/product/shoe-{}", char::from(b'a' + (i % 26) as u8)),
                    &format!("/order/{}", 1000 + i),
                ],
            )
        })
        .collect();
    paths.push(path("x", false, &["/category/shoes", "/category/bags"]));
    let j = journeys(&paths, &query(Anchor::Start, 3));
    assert_eq!(labels(&j, 1), [("/product/*", 30), ("/category/bags", 1)]);
    assert_eq!(labels(&j, 2), [("/order/*", 30)]);
    assert!(j.templates.contains(&("/product/*".to_owned(), 26)));
    assert!(j.templates.contains(&("/order/*".to_owned(), 30)));

    // By path nothing folds.
    let by_path = journeys(
        &paths,
        &JourneyQuery {
            group_by: GroupBy::Path,
            max_nodes_per_step: 100,
            ..query(Anchor::Start, 3)
        },
    );
    assert_eq!(by_path.steps[1].len(), 27);
    assert!(by_path.templates.is_empty());

    // A user's rule wins over the automatic folding.
    let mut q = query(Anchor::Start, 3);
    q.templates.rules = vec![UrlPattern::new("/category/*")];
    let j = journeys(&paths, &q);
    assert_eq!(labels(&j, 0)[1], ("/category/*", 1));
    assert!(looks_like_id("123"));
    assert!(looks_like_id("3f2a9c1e-77aa-4bcd-9e0f-0123456789ab"));
    assert!(!looks_like_id("trail-runner"));
    assert!(!looks_like_id("checkout"));
}

#[test]
fn rare_pages_fold_into_other_and_signals_count_sessions() {
    let mut paths: Vec<SessionPath> = (0..20)
        .map(|i| path(&format!("h{i}"), false, &["/", "/cart"]))
        .collect();
    paths.push(path("r", false, &["/rare"]));
    paths[0].steps[1].signal_kinds = vec!["rage_click".into(), "rage_click".into()];
    paths[1].steps[1].signal_kinds = vec!["rage_click".into(), "dead_click".into()];
    let j = journeys(
        &paths,
        &JourneyQuery {
            min_share: 0.10,
            ..JourneyQuery::default()
        },
    );
    assert_eq!(labels(&j, 0), [("/", 20), (OTHER_LABEL, 1)]);
    assert_eq!(j.steps[0][1].folded, ["/rare"]);
    let cart = &j.steps[1][0];
    assert_eq!(cart.signals.get("rage_click"), Some(&2));
    assert_eq!(cart.signals.get("dead_click"), Some(&1));
    // The flow into the cart carries the same shares: the signals of the page it leads to.
    let into_cart = j.flows.iter().find(|f| f.step == 0 && f.from == 0).unwrap();
    assert_eq!(into_cart.signals.get("rage_click"), Some(&2));
    assert_eq!(into_cart.signals.get("dead_click"), Some(&1));
    assert_eq!(cart.examples.len(), MAX_EXAMPLES);
    assert_eq!(cart.examples[0].entered_at_ms, 1_000);
}

#[test]
fn odd_inputs_give_a_sensible_map() {
    // No sessions, sessions without page views, URLs without a host or path, a huge visit.
    assert_eq!(journeys(&[], &JourneyQuery::default()).sessions, 0);
    let empty = SessionPath {
        session_id: "e".into(),
        converted: false,
        steps: Vec::new(),
    };
    let mut odd = path("o", false, &[]);
    odd.steps.push(PathStep {
        url: String::new(),
        entered_at_ms: 0,
        signal_kinds: Vec::new(),
    });
    let long: Vec<String> = (0..5_000).map(|i| format!("/p{i}")).collect();
    let long_refs: Vec<&str> = long.iter().map(String::as_str).collect();
    let big = path("big", false, &long_refs);
    let j = journeys(&[empty, odd, big], &query(Anchor::Start, 50));
    assert_eq!(j.left_out, 1);
    assert_eq!(j.sessions, 2);
    assert_eq!(j.steps.len(), MAX_STEPS);
    assert_eq!(labels(&j, 0)[0].1, 1);
}

#[test]
fn whole_journeys_count_sessions_and_signals_on_any_of_their_steps() {
    let mut looping = path("a", false, &["/cart", "/checkout", "/cart"]);
    looping.steps[2].signal_kinds = vec!["rage_click".to_owned()];
    let mut twice = path("b", false, &["/cart", "/checkout", "/cart"]);
    twice.steps[0].signal_kinds = vec!["rage_click".to_owned(), "dead_click".to_owned()];
    twice.steps[2].signal_kinds = vec!["rage_click".to_owned()];
    let paths = [
        looping,
        twice,
        path("c", true, &["/cart", "/checkout", "/cart"]),
        path("d", true, &["/cart", "/checkout", "/thank-you"]),
        path("e", false, &["/cart", "/checkout", "/cart", "/"]),
    ];
    let j = journeys(&paths, &query(Anchor::Start, 3));
    let top = &j.paths[0];
    assert_eq!(j.path_text(top), "/cart → /checkout → /cart");
    // a, b, c and e (cut at 3 steps) made it; e goes on, the others end there.
    assert_eq!((top.sessions, top.converted, top.exits), (4, 1, 3));
    // Rage on a's third step and on two of b's steps: each session once.
    assert_eq!(top.signals.get("rage_click"), Some(&2));
    assert_eq!(top.signals.get("dead_click"), Some(&1));
    assert_eq!(top.examples.len(), 4);
    let second = &j.paths[1];
    assert_eq!(j.path_text(second), "/cart → /checkout → /thank-you");
    assert_eq!((second.sessions, second.converted), (1, 1));
    assert!(second.signals.is_empty());
    assert_eq!(j.paths.len(), 2);
}

#[test]
fn a_comparison_puts_both_segments_on_one_node_layout() {
    let a = [
        path("a1", true, &["/", "/cart", "/checkout"]),
        path("a2", true, &["/", "/cart", "/checkout"]),
        path("a3", true, &["/", "/help"]),
    ];
    let b = [
        path("b1", false, &["/", "/about"]),
        path("b2", false, &["/", "/about"]),
        path("b3", false, &["/", "/cart"]),
        path("b4", false, &["/sale"]),
    ];
    let c = compare_journeys(
        ("converted", &a),
        ("not converted", &b),
        &query(Anchor::Start, 3),
    );
    assert_eq!(
        (c.label_a.as_str(), c.label_b.as_str()),
        ("converted", "not converted")
    );
    assert_eq!((c.a.sessions, c.b.sessions), (3, 4));
    for step in 0..3 {
        let la: Vec<&str> = c.a.steps[step].iter().map(|n| n.label.as_str()).collect();
        let lb: Vec<&str> = c.b.steps[step].iter().map(|n| n.label.as_str()).collect();
        assert_eq!(la, lb, "step {step}");
    }
    // Step 2's nodes are ordered by both segments together: /cart (3), /about (2), /help (1).
    assert_eq!(labels(&c.a, 1), [("/cart", 2), ("/about", 0), ("/help", 1)]);
    assert_eq!(labels(&c.b, 1), [("/cart", 1), ("/about", 2), ("/help", 0)]);
    assert_eq!(labels(&c.b, 0), [("/", 3), ("/sale", 1)]);
    assert_eq!(labels(&c.a, 0), [("/", 3), ("/sale", 0)]);
    // Flows point at the same node indices in both.
    assert_eq!(flow(&c.a, 0, "/", "/cart"), 2);
    assert_eq!(flow(&c.b, 0, "/", "/cart"), 1);
    assert_eq!(flow(&c.b, 0, "/", "/about"), 2);
    // Alone, segment B's map would order step 2 differently.
    let alone = journeys(&b, &query(Anchor::Start, 3));
    assert_eq!(labels(&alone, 1), [("/about", 2), ("/cart", 1)]);
}

#[test]
fn a_comparison_folds_rare_pages_into_the_same_other() {
    let mut q = query(Anchor::Start, 2);
    q.max_nodes_per_step = 1;
    let a = [
        path("a1", true, &["/", "/cart"]),
        path("a2", true, &["/", "/cart"]),
    ];
    let b = [
        path("b1", false, &["/", "/help"]),
        path("b2", false, &["/", "/about"]),
    ];
    let c = compare_journeys(("A", &a), ("B", &b), &q);
    assert_eq!(labels(&c.a, 1), [("/cart", 2), (OTHER_LABEL, 0)]);
    assert_eq!(labels(&c.b, 1), [("/cart", 0), (OTHER_LABEL, 2)]);
    assert_eq!(c.b.steps[1][1].folded, c.a.steps[1][1].folded);
}
