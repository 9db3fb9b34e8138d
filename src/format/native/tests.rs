use proptest::prelude::*;

use super::*;

const MINIMAL: &str = r##"{"format":"sessionlens-session","version":"1.0","session_id":"s1",
  "started_at_ms":1700000000000,"duration_ms":5000,
  "pages":[{"url":"https://shop.test/","entered_ms":0,"left_ms":3000,"doc_width":1440,"doc_height":4000,"viewport_width":1440,"viewport_height":900},
           {"url":"https://shop.test/cart","entered_ms":3000,"left_ms":5000,"viewport_width":1440,"viewport_height":900}],
  "targets":[{"tag":"button","id":"buy","selector":"#buy","text":"Buy"}],
  "events":[[100,"m",10.5,20],[200,"s",0,700],[300,"c",12,722,12,22,0],
            [3000,"p",1],[3100,"x","purchase",59.9,"EUR"],[3200,"zz",1,2,3],[3300,"d"]]}"##;

fn read(text: &str) -> Result<(Session, Warnings), FormatError> {
    read_session_slice(text.as_bytes(), "t.session.json", &Limits::default())
}

#[test]
fn reads_minimal_file() {
    let (s, warnings) = read(MINIMAL).unwrap();
    assert_eq!(s.session_id, "s1");
    assert_eq!(s.pages.len(), 2);
    assert_eq!(s.pages[1].entered_at_ms, 1_700_000_003_000);
    assert_eq!(s.events.len(), 5);
    assert_eq!(s.events[0].timestamp_ms, 1_700_000_000_100);
    assert_eq!(s.events[3].page, 1);
    assert!(s.converted());
    assert_eq!(s.device, DeviceClass::Desktop);
    assert_eq!(s.targets[0].selector, "#buy");
    assert_eq!(warnings.total(), 1, "{:?}", warnings.lines());
    assert!(warnings.lines()[0].contains("\"zz\""));
}

#[test]
fn truncated_json_names_line_and_column() {
    let cut = &MINIMAL[..MINIMAL.len() - 40];
    let err = read(cut).unwrap_err();
    let FormatError::Json { line, column, .. } = &err else {
        panic!("{err}")
    };
    assert!(*line >= 5 && *column > 0, "{err}");
    assert!(err.to_string().starts_with("t.session.json: "), "{err}");
}

#[test]
fn wrong_type_names_the_event_field() {
    let bad = MINIMAL.replace(r#"[300,"c",12,722"#, r#"[300,"c","twelve",722"#);
    let err = read(&bad).unwrap_err().to_string();
    assert!(err.contains("events[2].x"), "{err}");
    assert!(err.contains("expected f32"), "{err}");
    assert!(err.contains("line 6"), "{err}");
}

#[test]
fn missing_field_names_the_field() {
    let bad = MINIMAL.replace(r#"[200,"s",0,700]"#, r#"[200,"s",0]"#);
    let err = read(&bad).unwrap_err().to_string();
    assert!(err.contains("missing field `y`"), "{err}");
}

#[test]
fn newer_major_version_is_reported_as_such() {
    let newer = MINIMAL
        .replace(r#""version":"1.0""#, r#""version":"2.3""#)
        .replace("\"events\":[", "\"events_v2\":[");
    let err = read(&newer).unwrap_err();
    assert!(matches!(err, FormatError::NewerVersion { .. }), "{err}");
    assert!(err.to_string().contains("made by a newer SessionLens"));
}

#[test]
fn semantic_errors_name_the_path() {
    let decreasing = MINIMAL
        .replace("[300,\"c\"", "[150,\"c\"")
        .replace("[200,\"s\"", "[250,\"s\"");
    let err = read(&decreasing).unwrap_err().to_string();
    assert!(
        err.contains("events[2].t: timestamps must not decrease"),
        "{err}"
    );
    let absurd = MINIMAL.replace("[100,\"m\",10.5,20]", "[100,\"m\",1e12,20]");
    let err = read(&absurd).unwrap_err().to_string();
    assert!(err.contains("events[0].x"), "{err}");
    let negative = MINIMAL.replace("[100,\"m\"", "[-100,\"m\"");
    let err = read(&negative).unwrap_err().to_string();
    assert!(err.contains("before the session start"), "{err}");
    let bad_target = MINIMAL.replace("12,22,0]", "12,22,7]");
    assert!(
        read(&bad_target)
            .unwrap_err()
            .to_string()
            .contains("events[2].target")
    );
}

#[test]
fn empty_input_is_an_error() {
    assert!(matches!(
        read("   ").unwrap_err(),
        FormatError::Empty { .. }
    ));
}

#[test]
fn unknown_top_level_fields_are_ignored() {
    let extra = MINIMAL.replace(
        "\"session_id\":\"s1\",",
        "\"session_id\":\"s1\",\"future\":{\"a\":[1,2]},",
    );
    assert!(read(&extra).is_ok());
}

#[test]
fn gzip_round_trip() {
    let (s, _) = read(MINIMAL).unwrap();
    let mut gz = Vec::new();
    write_session_gz(&mut gz, &s).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    let (back, _) = read_session(&gz[..], "t.session.json.gz").unwrap();
    assert_eq!(back, s);
}

#[test]
fn long_float_values_survive_write_and_read() {
    // Found by fuzzing (tests/hostile/fuzz/native_reader/): without serde_json's
    // `float_roundtrip` feature, 1.2966666666666668e35 (the shortest form the writer prints)
    // read back one unit in the last place off, so a re-read session differed from the first.
    let text = MINIMAL.replace(
        "\"events\":[",
        "\"events\":[[1,\"x\",\"view_item\",129666666666666666666666666666666666.8,\"EUR\"],",
    );
    assert_ne!(text, MINIMAL);
    let (s, _) = read(&text).unwrap();
    let mut bytes = Vec::new();
    write_session(&mut bytes, &s).unwrap();
    let (back, _) = read_session_slice(&bytes, "t.session.json", &Limits::default()).unwrap();
    assert_eq!(back, s);
    for value in [
        "1.2966666666666668e35",
        "0.30000000000000004",
        "9007199254740993.5",
    ] {
        let parsed: f64 = value.parse().unwrap();
        let via_json: f64 = serde_json::from_str(value).unwrap();
        assert_eq!(via_json.to_bits(), parsed.to_bits(), "{value}");
    }
}

fn arb_session() -> impl Strategy<Value = Session> {
    let kind = prop_oneof![
        (0f32..5000.0, 0f32..20000.0, 0u8..3).prop_map(|(x, y, p)| EventKind::PointerMove {
            pos_in_page: PagePos { x, y },
            pointer: PointerType::from_code(u64::from(p)).unwrap_or_default(),
        }),
        (
            0f32..5000.0,
            0f32..20000.0,
            prop::option::of(0u32..2),
            0usize..5
        )
            .prop_map(|(x, y, target, k)| {
                EventKind::Click {
                    pos_in_page: PagePos { x, y },
                    pos_in_viewport: ViewportPos { x, y: y / 2.0 },
                    kind: [
                        ClickKind::Click,
                        ClickKind::DoubleClick,
                        ClickKind::ContextMenu,
                        ClickKind::TouchStart,
                        ClickKind::TouchEnd,
                    ][k],
                    pointer: PointerType::Touch,
                    target,
                }
            }),
        (0f32..20000.0).prop_map(|y| EventKind::Scroll {
            offset: ScrollOffset { x: 0.0, y }
        }),
        (0u32..4000, 0u32..4000).prop_map(|(width, height)| EventKind::Resize {
            viewport: SizePx { width, height }
        }),
        (
            prop::option::of(0u32..2),
            0u32..100,
            prop::option::of("[a-z ]{0,8}"),
            prop::option::of(any::<bool>())
        )
            .prop_map(|(target, value_len, value, checked)| EventKind::Input {
                target,
                value_len,
                value,
                checked
            }),
        Just(EventKind::DomChange),
        "[ -~]{0,30}".prop_map(|message| EventKind::Error { message }),
        (
            "[a-z_]{1,12}",
            // Amounts of money: whole cents.
            prop::option::of(0u64..100_000_000),
            prop::option::of("[A-Z]{3}")
        )
            .prop_map(|(name, cents, currency)| EventKind::Custom {
                name,
                value: cents.map(|c| c as f64 / 100.0),
                currency
            }),
        (
            "[ -~]{0,30}",
            prop::option::of("[A-Z]{3,6}"),
            prop::option::of(1u16..1000)
        )
            .prop_map(|(url, method, status)| EventKind::NetworkError {
                url,
                method,
                status
            }),
    ];
    (
        prop::collection::vec((0i64..500, 0u32..2, kind), 0..60),
        "[a-z0-9-]{1,20}",
        0i64..2_000_000_000_000,
    )
        .prop_map(|(raw, session_id, started_at_ms)| {
            let mut t = started_at_ms;
            let mut page = 0;
            let events: Vec<Event> = raw
                .into_iter()
                .map(|(dt, next_page, kind)| {
                    t += dt;
                    page = page.max(next_page);
                    Event {
                        timestamp_ms: t,
                        page,
                        kind,
                    }
                })
                .collect();
            let duration_ms = t - started_at_ms;
            let page_view = |url: &str| PageView {
                url: url.to_owned(),
                entered_at_ms: started_at_ms,
                left_at_ms: t,
                doc_size: SizePx {
                    width: 1440,
                    height: 5000,
                },
                viewport: SizePx {
                    width: 1440,
                    height: 900,
                },
                screenshot: None,
                tab: 0,
            };
            Session {
                session_id,
                started_at_ms,
                duration_ms,
                device: DeviceClass::Mobile,
                user_agent: Some("UA".to_owned()),
                source: TrafficSource {
                    utm_source: Some("google".to_owned()),
                    ..TrafficSource::default()
                },
                country: None,
                pages: vec![page_view("https://a.test/"), page_view("https://a.test/b")],
                targets: vec![
                    ElementDescriptor {
                        tag: "a".to_owned(),
                        selector: "a.x".to_owned(),
                        ..ElementDescriptor::default()
                    },
                    ElementDescriptor {
                        tag: "button".to_owned(),
                        selector: "#b".to_owned(),
                        fixed: true,
                        ..ElementDescriptor::default()
                    },
                ],
                events,
            }
        })
}

proptest! {
    #[test]
    fn short_decimals_convert_like_a_correctly_rounding_parser(m in 0u64..1_000_000_000_000_000, k in 0usize..16, negative: bool) {
        let digits = format!("{m:0>width$}", width = k + 1);
        let (int, frac) = digits.split_at(digits.len() - k);
        let text = format!("{}{int}{}{frac}", if negative { "-" } else { "" }, if k > 0 { "." } else { "" });
        let json = with_events(&format!("[1,\"x\",\"v\",{text}]"));
        let session = same_as_serde(&json).unwrap();
        let EventKind::Custom { value: Some(v), .. } = session.events[0].kind else { panic!() };
        prop_assert_eq!(v.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
    }

    #[test]
    fn write_then_read_gives_back_the_session(session in arb_session()) {
        let mut bytes = Vec::new();
        write_session(&mut bytes, &session).unwrap();
        let (back, warnings) = read_session_slice(&bytes, "p.session.json", &Limits::default()).unwrap();
        prop_assert!(warnings.is_empty());
        prop_assert_eq!(&back, &session);
        prop_assert!(fast::read(&bytes).is_some(), "the one-pass reader gave up on a written file");
        let (reference, _) = read_session_slice_with_serde(&bytes, "p.session.json", &Limits::default()).unwrap();
        prop_assert_eq!(back, reference);
    }
}

/// Both readers on `text`: the same session and warnings, or both an error (the same one, since
/// the one-pass reader hands anything it does not accept to serde).
fn same_as_serde(text: &str) -> Option<Session> {
    let limits = Limits::default();
    let one_pass = read_session_slice(text.as_bytes(), "t.session.json", &limits);
    let serde = read_session_slice_with_serde(text.as_bytes(), "t.session.json", &limits);
    match (one_pass, serde) {
        (Ok((a, wa)), Ok((b, wb))) => {
            assert_eq!(a, b, "{text}");
            assert_eq!(wa.lines(), wb.lines(), "{text}");
            Some(a)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{text}");
            None
        }
        (a, b) => panic!("readers disagree on {text}: {a:?} / {b:?}"),
    }
}

fn with_events(events: &str) -> String {
    format!(
        r#"{{"format":"sessionlens-session","version":"1.0","session_id":"s1","started_at_ms":0,"duration_ms":5000,"pages":[{{"url":"https://shop.test/","entered_ms":0,"left_ms":5000}}],"events":[{events}]}}"#
    )
}

#[test]
fn fast_path_reads_what_serde_reads() {
    same_as_serde(MINIMAL);
    let cases = [
        // Numbers at the edges of what the one-pass reader converts itself.
        r#"[1,"m",-0,0.0],[2,"m",-0.0,1e2],[3,"m",1E-2,123456789012345678],[4,"m",1234567890123456789,0]"#,
        r#"[5,"m",0.1000000000000000055511151231257827,3.4028235e38],[6,"m",1e39,0],[7,"m",1e-400,0]"#,
        r#"[8,"m",01,2]"#,
        // Rounded to f64 first, this lands on the midpoint between two f32s (1 + 2^-24) and
        // then rounds down to 1; rounded once, straight to f32, it rounds up.
        r#"[1,"m",1.0000000596046448,0],[2,"m",16777217.5,16777217.0],[3,"m",0.1,1e-50]"#,
        // Finite as an f64, too large for an f32 (found by fuzzing).
        r#"[1,"m",1247777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777777770.0,0]"#,
        r#"[1,"m",3.4028236e38,0],[2,"m",-3.4028235e38,1.5e-45]"#,
        r#"[1,"m",0.1,0.3],[2,"m",123456789.12345,-99999.99999],[3,"m",1234567890.123456,0.000000000000001],[4,"m",-0.5,2.675]"#,
        r#"[9,"m",1.,2]"#,
        r#"[10,"m",.5,2]"#,
        r#"[11,"m",-,2]"#,
        r#"[-0,"m",1,2]"#,
        r#"[1.5,"m",1,2]"#,
        r#"[1e3,"m",1,2]"#,
        // Fields: optional, null, extra, missing, wrong type.
        r#"[1,"m",1,2,null],[2,"m",1,2,2],[3,"m",1,2,3]"#,
        r#"[1,"m",1,2,0,"later field"]"#,
        r#"[1,"m",1]"#,
        r#"[1,"m","1",2]"#,
        r#"[1,"c",1,2,3,4,-1],[2,"c",1,2,3,4,-2],[3,"dc",1,2,3,4,0,2]"#,
        r#"[1,"i",-1,3],[2,"i",-1,3,null,true],[3,"i",-1,3,"a"bé",false],[4,"i",-1,3,"x",1]"#,
        r#"[1,"x","purchase"],[2,"x","purchase",12,"EUR"],[3,"x","p\q",null,null],[4,"x","p",-0,"EUR"]"#,
        r#"[1,"e","TypeError: x is "undefined""],[2,"e",""],[3,"e","tab	inside"]"#,
        r#"[1,"r",1440,900],[2,"r",-1,900],[3,"r",4294967296,900],[4,"r",1.0,900]"#,
        r#"[1,"s",0,700],[2,"es",0,1,2],[3,"f",0],[4,"b",-1],[5,"d"],[6,"p",0]"#,
        r#"[1,"zz",1,2,3],[2,"d"]"#,
        r#"[1,"d"]"#,
        r#" [ 1 , "m" , 1 , 2 ] , [ 2 , "d" ] "#,
        r#"[1,"m",1,2],"#,
        r#"[1,"m",1,2]]"#,
        r#"[1,"m",nul,2]"#,
    ];
    for events in cases {
        same_as_serde(&with_events(events));
    }
    // The document around the events.
    let documents = [
        r#"{"events":[],"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"events":[],"events":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","session_id":"t","started_at_ms":0,"duration_ms":1,"pages":[],"events":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"extra":{"a":[1,{"b":"]}"}]},"events":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"events":[]} x"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"events":[]}"#,
        r#"{"format":"sessionlens-session","version":"2.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"events":[]}"#,
        r#"{"format":"sessionlens-session","version":"1.0","session_id":"s","started_at_ms":0,"duration_ms":1,"pages":[],"targets":[{"tag":"a","fixed":true}],"events":[[1,"c",1,2,3,4,0]]}"#,
    ];
    for document in documents {
        same_as_serde(document);
    }
    // Invalid UTF-8 inside a string.
    let mut bytes = with_events(r#"[1,"e","ab"]"#).into_bytes();
    let at = bytes.windows(2).position(|w| w == b"ab").unwrap();
    bytes[at] = 0xff;
    assert!(fast::read(&bytes).is_none());
    assert!(read_session_slice(&bytes, "t", &Limits::default()).is_err());
}

#[test]
fn fast_path_reads_the_seed_sessions_and_agrees_on_hostile_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut read_fast = 0;
    for dir in ["fuzz/seeds/native_reader", "tests/hostile"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = entry.path();
            if !path.to_string_lossy().ends_with(".json") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let Ok(text) = String::from_utf8(bytes.clone()) else {
                assert!(fast::read(&bytes).is_none());
                continue;
            };
            if same_as_serde(&text).is_some() && fast::read(&bytes).is_some() {
                read_fast += 1;
            }
        }
    }
    assert!(read_fast >= 10, "only {read_fast} files read in one pass");
}
