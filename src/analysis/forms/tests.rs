use super::*;
use crate::model::{ClickKind, Event, PagePos, PageView, PointerType, TrafficSource, ViewportPos};

const T0: i64 = 1_700_000_000_000;

/// Targets: 0 the form, 1 email, 2 postcode, 3 city, 4 submit button, 5 a search box outside.
fn targets() -> Vec<ElementDescriptor> {
    let field = |name: &str| ElementDescriptor {
        tag: "input".to_owned(),
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        input_type: Some("text".to_owned()),
        selector: format!("#{name}"),
        ..ElementDescriptor::default()
    };
    vec![
        ElementDescriptor {
            tag: "form".to_owned(),
            id: Some("checkout-form".to_owned()),
            selector: "#checkout-form".to_owned(),
            ..ElementDescriptor::default()
        },
        field("email"),
        field("postcode"),
        field("city"),
        ElementDescriptor {
            tag: "button".to_owned(),
            id: Some("place-order".to_owned()),
            selector: "#place-order".to_owned(),
            ..ElementDescriptor::default()
        },
        field("q"),
    ]
}

/// A builder of one checkout session's events (all on page view 0 unless `page` says).
struct B {
    events: Vec<Event>,
    t: i64,
    page: u32,
}

impl B {
    fn new() -> Self {
        let mut b = Self {
            events: Vec::new(),
            t: T0,
            page: 0,
        };
        for (field, position) in [(1, 0), (2, 1), (3, 2)] {
            b.push(
                0,
                EventKind::FormField {
                    field,
                    form: 0,
                    position,
                    form_fields: 3,
                },
            );
        }
        b
    }
    fn push(&mut self, dt: i64, kind: EventKind) -> &mut Self {
        self.t += dt;
        self.events.push(Event {
            timestamp_ms: self.t,
            page: self.page,
            kind,
        });
        self
    }
    fn focus(&mut self, dt: i64, f: u32) -> &mut Self {
        self.push(dt, EventKind::Focus { target: Some(f) })
    }
    fn blur(&mut self, dt: i64, f: u32) -> &mut Self {
        self.push(dt, EventKind::Blur { target: Some(f) })
    }
    fn input(&mut self, dt: i64, f: u32, len: u32) -> &mut Self {
        self.push(
            dt,
            EventKind::Input {
                target: Some(f),
                value_len: len,
                value: None,
                checked: None,
            },
        )
    }
    fn type_into(&mut self, f: u32, len: u32) -> &mut Self {
        self.focus(100, f);
        for l in 1..=len {
            self.input(100, f, l);
        }
        self.blur(100, f)
    }
    fn submit(&mut self, dt: i64) -> &mut Self {
        self.push(
            dt,
            EventKind::Click {
                pos_in_page: PagePos { x: 1.0, y: 1.0 },
                pos_in_viewport: ViewportPos { x: 1.0, y: 1.0 },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target: Some(4),
            },
        );
        self.push(
            0,
            EventKind::FormSubmit {
                form: Some(0),
                control: Some(4),
            },
        )
    }
    fn error(&mut self, dt: i64, f: u32) -> &mut Self {
        self.push(dt, EventKind::FieldError { field: Some(f) })
    }
    fn cleared(&mut self, dt: i64, f: u32) -> &mut Self {
        self.push(dt, EventKind::FieldErrorCleared { field: Some(f) })
    }
    fn session(&self, id: &str, device: DeviceClass, medium: Option<&str>) -> Session {
        let end = self.t + 1_000;
        let mut pages = vec![PageView {
            url: "https://shop.test/checkout.html?step=1".to_owned(),
            entered_at_ms: T0,
            left_at_ms: end,
            ..PageView::default()
        }];
        if self.page > 0 {
            pages[0].left_at_ms = T0 + 1;
            pages.push(PageView {
                url: "https://shop.test/checkout.html".to_owned(),
                entered_at_ms: T0 + 1,
                left_at_ms: end,
                ..PageView::default()
            });
        }
        Session {
            session_id: id.to_owned(),
            started_at_ms: T0,
            duration_ms: end - T0,
            device,
            source: TrafficSource {
                utm_medium: medium.map(str::to_owned),
                utm_source: medium.map(|_| "newsletter".to_owned()),
                ..TrafficSource::default()
            },
            pages,
            targets: targets(),
            events: self.events.clone(),
            ..Session::default()
        }
    }
}

fn row<'a>(t: &'a FormTable, key: &str) -> &'a FieldRow {
    t.fields.iter().find(|r| r.key == key).unwrap()
}

#[test]
fn a_session_that_fixes_an_error_and_submits() {
    let mut b = B::new();
    b.type_into(1, 5)
        .type_into(2, 4)
        .type_into(3, 3)
        .submit(500);
    b.error(20, 2);
    // Clears the postcode (4 backspaces) and types 5 characters: one refill.
    b.focus(300, 2);
    for l in (0..4).rev() {
        b.input(80, 2, l);
    }
    for l in 1..=5 {
        b.input(80, 2, l);
    }
    b.cleared(10, 2).blur(100, 2).submit(400);
    let s = session_forms(&b.session("a", DeviceClass::Desktop, None), None);
    assert_eq!(s.pages, vec!["/checkout.html".to_owned()]);
    assert_eq!(s.forms.len(), 1);
    let v = &s.forms[0];
    assert_eq!(v.form, "#checkout-form");
    assert_eq!(v.form_fields, 3);
    assert_eq!(v.submit_attempts, 2);
    assert!(v.submitted);
    assert_eq!(v.abandoned_at(), None);
    let postcode = v.fields.iter().find(|f| f.key == "postcode").unwrap();
    assert_eq!(postcode.errors, 1);
    assert_eq!(postcode.refills, 1);
    assert_eq!(postcode.position, Some(1));
    // Focus spans: 4×100 ms typing + 100 to the blur, then 9×80 + 10 + 100.
    assert_eq!(postcode.focus_ms, 500 + 830);
    let email = v.fields.iter().find(|f| f.key == "email").unwrap();
    assert_eq!((email.refills, email.errors, email.focus_ms), (0, 0, 600));
}

#[test]
fn an_attempt_while_an_error_shows_or_followed_by_an_error_does_not_submit() {
    let mut b = B::new();
    b.type_into(1, 5).type_into(2, 2);
    b.error(50, 2); // a blur validation
    b.submit(400); // blocked: the error still shows
    let v = &session_forms(&b.session("b", DeviceClass::Mobile, None), None).forms[0];
    assert_eq!(v.submit_attempts, 1);
    assert!(!v.submitted);
    assert_eq!(v.abandoned_at().map(|f| f.key.as_str()), Some("postcode"));

    let mut b = B::new();
    b.type_into(1, 5).submit(300).error(5, 2).error(0, 3);
    let v = &session_forms(&b.session("c", DeviceClass::Desktop, None), None).forms[0];
    assert!(!v.submitted, "errors followed the attempt");
    assert_eq!(v.abandoned_at().map(|f| f.key.as_str()), Some("email"));
    assert_eq!(
        v.fields.iter().filter(|f| f.errors > 0).count(),
        2,
        "errors on fields never used count too"
    );

    let mut b = B::new();
    b.type_into(1, 5).submit(300).type_into(2, 5);
    let v = &session_forms(&b.session("d", DeviceClass::Desktop, None), None).forms[0];
    assert!(
        !v.submitted,
        "the visitor kept filling the form after the click"
    );
}

#[test]
fn the_table_orders_fields_counts_reach_abandonment_and_splits() {
    let mut sessions = Vec::new();
    // 1: submits after an error on postcode (desktop, direct).
    let mut b = B::new();
    b.type_into(1, 5)
        .type_into(2, 4)
        .type_into(3, 3)
        .submit(500);
    b.error(20, 2)
        .focus(100, 2)
        .input(100, 2, 0)
        .input(100, 2, 5)
        .cleared(10, 2);
    b.blur(100, 2).submit(300);
    sessions.push(session_forms(
        &b.session("s1", DeviceClass::Desktop, None),
        None,
    ));
    // 2: abandons at postcode (mobile, email).
    let mut b = B::new();
    b.type_into(1, 5).type_into(2, 2).error(10, 2);
    sessions.push(session_forms(
        &b.session("s2", DeviceClass::Mobile, Some("email")),
        None,
    ));
    // 3: abandons at email (mobile, direct).
    let mut b = B::new();
    b.type_into(1, 3);
    sessions.push(session_forms(
        &b.session("s3", DeviceClass::Mobile, None),
        None,
    ));
    // 4: views the page, never touches the form; types in the search box outside it.
    let mut b = B {
        events: Vec::new(),
        t: T0,
        page: 0,
    };
    b.type_into(5, 4);
    sessions.push(session_forms(
        &b.session("s4", DeviceClass::Desktop, None),
        None,
    ));

    let report = forms(&sessions);
    assert_eq!(report.sessions, 4);
    let t = report
        .forms
        .iter()
        .find(|t| t.form == "#checkout-form")
        .unwrap();
    assert_eq!(t.page, "/checkout.html");
    assert_eq!(
        (t.viewed, t.started, t.submitted, t.abandoned, t.attempts),
        (4, 3, 1, 2, 2)
    );
    assert!((t.submit_rate() - 1.0 / 3.0).abs() < 1e-9);
    let keys: Vec<&str> = t.fields.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["email", "postcode", "city"]);
    assert_eq!(
        t.fields.iter().map(|r| r.reached).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    let p = row(t, "postcode");
    assert_eq!((p.interacted, p.errors, p.error_sessions), (2, 2, 2));
    assert_eq!((p.refills, p.refill_sessions, p.abandoned_here), (1, 1, 1));
    assert_eq!(row(t, "email").abandoned_here, 1);
    assert_eq!(p.error_examples.len(), 2);
    // Error examples open where the error appeared, not where the field was first used.
    let s2_error = sessions[1].forms[0]
        .fields
        .iter()
        .find(|f| f.key == "postcode")
        .and_then(|f| f.first_error_at_ms);
    let s2_moment = p
        .error_examples
        .iter()
        .find(|m| m.session_id == "s2")
        .map(|m| m.at_ms);
    assert_eq!(s2_moment, s2_error);
    assert!(s2_error > sessions[1].forms[0].fields[1].first_at_ms.into());
    assert_eq!(p.abandoned_examples[0].session_id, "s2");
    // Email focus times: 600, 600, 400 ms → median 600, p90 600.
    let e = row(t, "email");
    assert_eq!((e.time_median_ms, e.time_p90_ms), (Some(600), Some(600)));
    // Splits.
    let seg = |dim: &str, label: &str| {
        t.segments
            .iter()
            .find(|g| g.dimension == dim && g.label == label)
            .unwrap()
    };
    let mobile = seg("device", "mobile");
    assert_eq!((mobile.viewed, mobile.started, mobile.submitted), (2, 2, 0));
    assert_eq!(mobile.fields[1].abandoned_here, 1);
    let desktop = seg("device", "desktop");
    assert_eq!(
        (desktop.viewed, desktop.started, desktop.submitted),
        (2, 1, 1)
    );
    let email = seg("source", Channel::Email.as_str());
    assert_eq!((email.viewed, email.started), (1, 1));
    // The search box is a formless field group on the same page.
    let outside = report
        .forms
        .iter()
        .find(|t| t.form == NO_FORM_LABEL)
        .unwrap();
    assert_eq!((outside.started, outside.fields[0].key.as_str()), (1, "q"));
}

#[test]
fn page_filter_pages_without_url_and_repeat_visits() {
    // Two page views of the checkout: the facts merge into one use of the form.
    let mut b = B::new();
    b.type_into(1, 5);
    b.page = 1;
    b.push(
        0,
        EventKind::FormField {
            field: 2,
            form: 0,
            position: 1,
            form_fields: 3,
        },
    );
    b.type_into(2, 5).submit(200);
    let s = b.session("r", DeviceClass::Desktop, None);
    let f = session_forms(&s, None);
    assert_eq!(f.forms.len(), 1);
    assert_eq!(f.forms[0].fields.len(), 2);
    assert!(f.forms[0].submitted);
    let only = session_forms(&s, Some(&UrlPattern::new("/checkout.html?step=1")));
    assert_eq!(only.forms[0].fields.len(), 1);
    assert!(
        session_forms(&s, Some(&UrlPattern::new("/cart.html")))
            .forms
            .is_empty()
    );

    let mut s = B::new()
        .type_into(1, 2)
        .session("n", DeviceClass::Desktop, None);
    s.pages[0].url = String::new();
    let f = session_forms(&s, None);
    assert_eq!(f.forms[0].page, NO_URL_LABEL);
    assert_eq!(page_label("https://shop.test"), "/");
    assert_eq!(page_label("/a/b?x#y"), "/a/b");
}

#[test]
fn hundreds_of_fields_fold_and_forms_without_fields_still_show() {
    let mut targets = vec![ElementDescriptor {
        tag: "form".to_owned(),
        id: Some("big".to_owned()),
        ..ElementDescriptor::default()
    }];
    let mut events = Vec::new();
    for i in 0..300u32 {
        targets.push(ElementDescriptor {
            tag: "input".to_owned(),
            name: Some(format!("f{i:03}")),
            input_type: Some("text".to_owned()),
            ..ElementDescriptor::default()
        });
        let t = T0 + i64::from(i) * 10;
        events.push(Event {
            timestamp_ms: t,
            page: 0,
            kind: EventKind::FormField {
                field: i + 1,
                form: 0,
                position: i,
                form_fields: 300,
            },
        });
        events.push(Event {
            timestamp_ms: t + 1,
            page: 0,
            kind: EventKind::Focus {
                target: Some(i + 1),
            },
        });
    }
    // A second form that only ever sees a submit click: no fields.
    targets.push(ElementDescriptor {
        tag: "form".to_owned(),
        id: Some("newsletter".to_owned()),
        ..ElementDescriptor::default()
    });
    events.push(Event {
        timestamp_ms: T0 + 10_000,
        page: 0,
        kind: EventKind::FormSubmit {
            form: Some(301),
            control: None,
        },
    });
    let session = Session {
        session_id: "big".to_owned(),
        pages: vec![PageView {
            url: "https://x.test/big".to_owned(),
            entered_at_ms: T0,
            left_at_ms: T0 + 20_000,
            ..PageView::default()
        }],
        targets,
        events,
        ..Session::default()
    };
    let report = forms(&[session_forms(&session, None)]);
    let big = report.forms.iter().find(|t| t.form == "#big").unwrap();
    assert_eq!(big.fields.len(), MAX_FIELDS + 1);
    assert_eq!(big.folded_fields, 300 - MAX_FIELDS);
    assert_eq!(big.fields[MAX_FIELDS].folded, 300 - MAX_FIELDS);
    assert_eq!(big.fields[MAX_FIELDS].interacted, 1);
    assert_eq!(big.fields[0].key, "f000");
    assert_eq!(big.abandoned, 1);
    assert_eq!(big.fields[MAX_FIELDS].abandoned_here, 1);
    let empty = report
        .forms
        .iter()
        .find(|t| t.form == "#newsletter")
        .unwrap();
    assert!(empty.fields.is_empty());
    assert_eq!((empty.started, empty.attempts, empty.submitted), (0, 1, 1));
    assert!(forms(&[]).forms.is_empty());
}

#[test]
fn typed_values_never_reach_the_facts() {
    let mut b = B::new();
    b.push(
        10,
        EventKind::Input {
            target: Some(1),
            value_len: 6,
            value: Some("secret".to_owned()),
            checked: None,
        },
    );
    let facts = session_forms(&b.session("v", DeviceClass::Desktop, None), None);
    let json = serde_json::to_string(&facts).unwrap();
    assert!(!json.contains("secret"));
    let json = serde_json::to_string(&forms(&[facts])).unwrap();
    assert!(!json.contains("secret"));
}

#[test]
fn forms_given_one_name_merge_into_one_table() {
    let desktop = B::new()
        .type_into(1, 5)
        .submit(200)
        .session("d", DeviceClass::Desktop, None);
    let mut mobile = B::new()
        .type_into(1, 3)
        .session("m", DeviceClass::Mobile, None);
    mobile.pages[0].url = "https://m.shop.test/m/checkout".to_owned();
    // Viewed the mobile checkout without using it.
    let mut viewer = B::new().session("v", DeviceClass::Mobile, None);
    viewer.pages[0].url = "https://m.shop.test/m/checkout".to_owned();
    let facts: Vec<SessionForms> = [&desktop, &mobile, &viewer]
        .iter()
        .map(|s| session_forms(s, None))
        .collect();
    let plain = forms(&facts);
    assert_eq!(plain.forms.len(), 2);
    assert!(
        plain
            .forms
            .iter()
            .all(|t| t.name.is_none() && t.members.is_empty())
    );
    let form = plain.forms[0].form.clone();
    let names = [
        FormName {
            page: "/m/checkout".to_owned(),
            form: form.clone(),
            name: "Checkout".to_owned(),
        },
        FormName {
            page: "/checkout.html".to_owned(),
            form: form.clone(),
            name: "Checkout".to_owned(),
        },
    ];
    let named = forms_named(&facts, &names);
    assert_eq!(named.forms.len(), 1);
    let t = &named.forms[0];
    assert_eq!(t.name.as_deref(), Some("Checkout"));
    // Listed under the first member by page, then form.
    assert_eq!(
        (t.page.as_str(), t.form.as_str()),
        ("/checkout.html", form.as_str())
    );
    let members: Vec<String> = t.members.iter().map(ToString::to_string).collect();
    assert_eq!(
        members,
        [
            format!("{form} on /checkout.html"),
            format!("{form} on /m/checkout")
        ]
    );
    assert_eq!(
        (t.viewed, t.started, t.submitted, t.abandoned),
        (3, 2, 1, 1)
    );
    let mobile_segment = t
        .segments
        .iter()
        .find(|g| g.dimension == "device" && g.label == "mobile")
        .unwrap();
    assert_eq!((mobile_segment.viewed, mobile_segment.started), (2, 1));
    // One name alone only labels its form.
    let one = forms_named(&facts, &names[..1]);
    assert_eq!(one.forms.len(), 2);
    let labelled = one.forms.iter().find(|t| t.page == "/m/checkout").unwrap();
    assert_eq!(labelled.name.as_deref(), Some("Checkout"));
    assert_eq!(labelled.viewed, 2);
    assert!(valid_form_name(" ok ").is_ok_and(|n| n == "ok"));
    assert!(valid_form_name("\t").is_err());
}
