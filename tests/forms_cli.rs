//! `sessionlens forms` from the built binary over the real rrweb recordings of the demo shop's
//! checkout (tests/fixtures/rrweb/form-*.json), checked field by field against the ground truth
//! the page logged while recording (`form_events` in the truth files) and against a recount
//! straight from the raw rrweb JSON that shares no code with the reader: its own node map from
//! the FullSnapshot and mutations, focus and blur interactions, input lengths, and the shop's
//! error indicators (`aria-invalid="true"` on a field, class `invalid` on its wrapper).
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const RECORDINGS: [&str; 3] = [
    "form-error-refill-desktop",
    "form-abandon-postcode-mobile",
    "form-empty-submit-desktop",
];

fn run(library: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionlens"))
        .args(args)
        .env("SESSIONLENS_LIBRARY", library)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(library: &Path, args: &[&str]) -> String {
    let out = run(library, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Imports the three form recordings into `library`.
fn import_recordings(library: &Path) {
    let mut args = vec!["import".to_owned()];
    args.extend(
        RECORDINGS
            .iter()
            .map(|n| fixture(&format!("{n}.json")).to_str().unwrap().to_owned()),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(library, &args);
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rrweb")
        .join(name)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// One field's figures for one session.
#[derive(Clone, Debug, Default, PartialEq)]
struct Field {
    focus_ms: i64,
    refills: u32,
    errors: u32,
    used: bool,
}

/// One session's use of the checkout form.
#[derive(Clone, Debug, Default, PartialEq)]
struct Use {
    fields: BTreeMap<String, Field>,
    attempts: u32,
    submitted: bool,
    last_field: Option<String>,
}

/// Refills from a sequence of value lengths: emptied and typed again.
struct Lengths {
    last: u32,
    emptied: bool,
}

impl Lengths {
    fn new() -> Self {
        Self {
            last: 0,
            emptied: false,
        }
    }
    fn push(&mut self, len: u32, refills: &mut u32) {
        if len == 0 {
            self.emptied |= self.last > 0;
        } else if self.emptied {
            *refills += 1;
            self.emptied = false;
        }
        self.last = len;
    }
}

/// The truth the page logged.
fn from_truth(name: &str) -> Use {
    let truth = read_json(&fixture(&format!("{name}.truth.json")));
    let mut u = Use::default();
    let mut open: Option<(String, i64)> = None;
    let mut lengths: HashMap<String, Lengths> = HashMap::new();
    let mut last_use = 0;
    for e in truth["form_events"].as_array().unwrap() {
        let t = e["t_ms"].as_i64().unwrap();
        let field = e["field"].as_str().map(str::to_owned);
        match e["type"].as_str().unwrap() {
            "focus" => {
                let f = field.unwrap();
                let entry = u.fields.entry(f.clone()).or_default();
                entry.used = true;
                open = Some((f.clone(), t));
                if t >= last_use {
                    last_use = t;
                    u.last_field = Some(f);
                }
            }
            "blur" => {
                if let Some((f, since)) = open.take() {
                    u.fields.entry(f).or_default().focus_ms += t - since;
                }
            }
            "input" => {
                let f = field.unwrap();
                let entry = u.fields.entry(f.clone()).or_default();
                entry.used = true;
                if let Some(len) = e["len"].as_u64() {
                    lengths
                        .entry(f.clone())
                        .or_insert_with(Lengths::new)
                        .push(u32::try_from(len).unwrap(), &mut entry.refills);
                }
                if t >= last_use {
                    last_use = t;
                    u.last_field = Some(f);
                }
            }
            "error" => u.fields.entry(field.unwrap()).or_default().errors += 1,
            "submit" => u.attempts += 1,
            _ => {}
        }
    }
    u.submitted = truth["custom_events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "purchase");
    if u.submitted {
        u.last_field = None;
    }
    u
}

/// A node of the recount's own DOM map.
struct Node {
    tag: String,
    attrs: HashMap<String, String>,
    parent: Option<i64>,
}

fn add_tree(nodes: &mut HashMap<i64, Node>, node: &Value, parent: Option<i64>) {
    let id = node["id"].as_i64().unwrap();
    let attrs = node["attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    nodes.insert(
        id,
        Node {
            tag: node["tagName"].as_str().unwrap_or("").to_ascii_lowercase(),
            attrs,
            parent,
        },
    );
    for child in node["childNodes"].as_array().into_iter().flatten() {
        add_tree(nodes, child, Some(id));
    }
}

/// The shop's rule: an error shows when the field has `aria-invalid="true"` or its wrapper the
/// class `invalid`.
fn shows_error(nodes: &HashMap<i64, Node>, id: i64) -> bool {
    let Some(n) = nodes.get(&id) else {
        return false;
    };
    n.attrs.get("aria-invalid").is_some_and(|v| v == "true")
        || n.parent.and_then(|p| nodes.get(&p)).is_some_and(|p| {
            p.attrs
                .get("class")
                .is_some_and(|c| c.split_whitespace().any(|t| t == "invalid"))
        })
}

/// A recount from the raw rrweb events of the checkout page views.
fn recount(name: &str) -> Use {
    let events = read_json(&fixture(&format!("{name}.json")));
    let mut u = Use::default();
    let mut nodes: HashMap<i64, Node> = HashMap::new();
    let mut on_checkout = false;
    let mut open: Option<(String, i64)> = None;
    let mut lengths: HashMap<String, Lengths> = HashMap::new();
    let mut showing: HashMap<i64, bool> = HashMap::new();
    let mut last_use = 0;
    let field_of = |nodes: &HashMap<i64, Node>, id: i64| -> Option<String> {
        let n = nodes.get(&id)?;
        matches!(n.tag.as_str(), "input" | "select" | "textarea")
            .then(|| n.attrs.get("name").cloned())
            .flatten()
    };
    for e in events.as_array().unwrap() {
        let t = e["timestamp"].as_i64().unwrap();
        let data = &e["data"];
        match e["type"].as_i64().unwrap() {
            4 => {
                if let Some((f, since)) = open.take() {
                    u.fields.entry(f).or_default().focus_ms += t - since;
                }
                on_checkout = data["href"].as_str().unwrap().contains("/checkout.html");
            }
            2 => {
                nodes.clear();
                showing.clear();
                add_tree(&mut nodes, &data["node"], None);
            }
            5 if data["tag"] == "purchase" => u.submitted = true,
            3 if on_checkout => match data["source"].as_i64().unwrap() {
                0 => {
                    for add in data["adds"].as_array().into_iter().flatten() {
                        add_tree(&mut nodes, &add["node"], add["parentId"].as_i64());
                    }
                    for change in data["attributes"].as_array().into_iter().flatten() {
                        let id = change["id"].as_i64().unwrap();
                        if let Some(n) = nodes.get_mut(&id) {
                            for (k, v) in change["attributes"].as_object().unwrap() {
                                match v.as_str() {
                                    Some(v) => {
                                        n.attrs.insert(k.clone(), v.to_owned());
                                    }
                                    None => {
                                        n.attrs.remove(k);
                                    }
                                }
                            }
                        }
                    }
                    let ids: Vec<i64> = nodes
                        .keys()
                        .copied()
                        .filter(|id| field_of(&nodes, *id).is_some())
                        .collect();
                    for id in ids {
                        let now = shows_error(&nodes, id);
                        let before = showing.insert(id, now).unwrap_or(false);
                        if now && !before {
                            let f = field_of(&nodes, id).unwrap();
                            u.fields.entry(f).or_default().errors += 1;
                        }
                    }
                }
                2 => {
                    let id = data["id"].as_i64().unwrap_or(-1);
                    match data["type"].as_i64().unwrap() {
                        5 => {
                            if let Some(f) = field_of(&nodes, id) {
                                u.fields.entry(f.clone()).or_default().used = true;
                                open = Some((f.clone(), t));
                                if t >= last_use {
                                    last_use = t;
                                    u.last_field = Some(f);
                                }
                            }
                        }
                        6 => {
                            if let Some((f, since)) = open.take() {
                                u.fields.entry(f).or_default().focus_ms += t - since;
                            }
                        }
                        2 => {
                            // A click on the submit button or inside it.
                            let mut at = Some(id);
                            for _ in 0..4 {
                                let Some(n) = at.and_then(|i| nodes.get(&i)) else {
                                    break;
                                };
                                if n.attrs.get("id").is_some_and(|v| v == "place-order") {
                                    u.attempts += 1;
                                    break;
                                }
                                at = n.parent;
                            }
                        }
                        _ => {}
                    }
                }
                5 => {
                    let id = data["id"].as_i64().unwrap_or(-1);
                    if let Some(f) = field_of(&nodes, id) {
                        let entry = u.fields.entry(f.clone()).or_default();
                        entry.used = true;
                        if data["isChecked"].is_boolean() && data["text"].as_str() == Some("on") {
                            // A check box or radio button: no length.
                        } else {
                            let len = data["text"].as_str().unwrap_or("").chars().count();
                            lengths
                                .entry(f.clone())
                                .or_insert_with(Lengths::new)
                                .push(u32::try_from(len).unwrap(), &mut entry.refills);
                        }
                        if t >= last_use {
                            last_use = t;
                            u.last_field = Some(f);
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    if u.submitted {
        u.last_field = None;
    }
    u
}

/// What `sessionlens forms --json` says of the checkout form of a library holding one session.
fn from_cli(name: &str, dir: &Path) -> (Use, Value) {
    let library = dir.join(format!("{name}.sqlite"));
    ok(
        &library,
        &["import", fixture(&format!("{name}.json")).to_str().unwrap()],
    );
    let json: Value = serde_json::from_str(&ok(
        &library,
        &["forms", "--page", "/checkout.html", "--json"],
    ))
    .unwrap();
    let forms = json["report"]["forms"].as_array().unwrap();
    let form = forms
        .iter()
        .find(|f| f["form"] == "#checkout-form")
        .unwrap_or_else(|| panic!("{name}: no checkout form in {json:#}"));
    let mut u = Use {
        attempts: u32::try_from(form["attempts"].as_u64().unwrap()).unwrap(),
        submitted: form["submitted"] == 1,
        ..Use::default()
    };
    for r in form["fields"].as_array().unwrap() {
        let key = r["key"].as_str().unwrap().to_owned();
        if r["abandoned_here"] == 1 {
            u.last_field = Some(key.clone());
        }
        let field = Field {
            focus_ms: r["time_median_ms"].as_i64().unwrap_or(0),
            refills: u32::try_from(r["refills"].as_u64().unwrap()).unwrap(),
            errors: u32::try_from(r["errors"].as_u64().unwrap()).unwrap(),
            used: r["interacted"] == 1,
        };
        u.fields.insert(key, field);
    }
    (u, form.clone())
}

/// Fields with any figure, for comparing (fields only the CLI lists with all zeros are dropped).
fn figures(u: &Use) -> BTreeMap<String, (bool, u32, u32)> {
    u.fields
        .iter()
        .filter(|(_, f)| f.used || f.errors > 0 || f.refills > 0)
        .map(|(k, f)| (k.clone(), (f.used, f.refills, f.errors)))
        .collect()
}

#[test]
fn field_metrics_match_the_truth_and_a_recount_of_the_raw_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in RECORDINGS {
        let truth = from_truth(name);
        let raw = recount(name);
        let (cli, form) = from_cli(name, dir.path());
        // Used, refills and errors per field: exactly.
        assert_eq!(figures(&cli), figures(&truth), "{name}: against the truth");
        assert_eq!(figures(&cli), figures(&raw), "{name}: against the recount");
        assert_eq!(cli.submitted, truth.submitted, "{name}: submitted");
        assert_eq!(cli.attempts, truth.attempts, "{name}: submit attempts");
        assert_eq!(
            cli.attempts, raw.attempts,
            "{name}: submit attempts (recount)"
        );
        assert_eq!(cli.last_field, truth.last_field, "{name}: abandoned at");
        assert_eq!(
            cli.last_field, raw.last_field,
            "{name}: abandoned at (recount)"
        );
        // Time in each field: the recount uses the same timestamps (equal up to the end of
        // the page view); the truth's clock reads differ from rrweb's by a few ms per event.
        for (key, f) in &cli.fields {
            let r = raw.fields.get(key).map_or(0, |f| f.focus_ms);
            let t = truth.fields.get(key).map_or(0, |f| f.focus_ms);
            assert!(
                (f.focus_ms - r).abs() <= 5,
                "{name} {key}: {} ms, recount {r} ms",
                f.focus_ms
            );
            assert!(
                (f.focus_ms - t).abs() <= 60,
                "{name} {key}: {} ms, truth {t} ms",
                f.focus_ms
            );
        }
        // The figures this fixture was recorded for.
        let postcode = &cli.fields["postcode"];
        match name {
            "form-error-refill-desktop" => {
                assert_eq!((postcode.errors, postcode.refills), (1, 1));
                assert!(cli.submitted);
            }
            "form-abandon-postcode-mobile" => {
                assert_eq!(postcode.errors, 1);
                assert_eq!(cli.last_field.as_deref(), Some("postcode"));
                assert!(!cli.submitted);
                assert_eq!(form["abandoned"], 1);
            }
            _ => {
                assert!(cli.fields.values().filter(|f| f.errors == 1).count() >= 10);
                assert!(cli.submitted);
                assert_eq!(cli.attempts, 2);
            }
        }
        // Typed values never reach the output.
        let text = form.to_string();
        for typed in ["80331", "8033", "jonas", "Lindenweg", "mia.k", "4242"] {
            assert!(!text.contains(typed), "{name}: {typed} in the output");
        }
    }
}

#[test]
fn text_and_csv_outputs_and_segments() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("all.sqlite");
    import_recordings(&library);
    let text = ok(&library, &["forms", "--page", "/checkout*"]);
    assert!(
        text.contains("Form #checkout-form on /checkout.html"),
        "{text}"
    );
    assert!(
        text.contains("started 3  submitted 2 (66.7 % of started)"),
        "{text}"
    );
    assert!(text.contains("by device: "), "{text}");
    assert!(
        text.contains("mobile viewed 1 started 1 submitted 0"),
        "{text}"
    );
    let csv = ok(&library, &["forms", "--csv"]);
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("row,page,form,segment,field_index,field"));
    let columns = header.split(',').count();
    for line in csv.lines() {
        assert_eq!(line.split(',').count(), columns, "{line}");
    }
    assert!(
        csv.lines().any(
            |l| l.starts_with("field,/checkout.html,#checkout-form,device=mobile,")
                && l.contains(",postcode,")
        ),
        "{csv}"
    );
    // A page without forms: an explained empty answer, not an error.
    let none = ok(&library, &["forms", "--page", "/help.html"]);
    assert!(none.contains("No form use"), "{none}");
}

#[test]
fn forms_are_named_merged_and_unnamed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("names.sqlite");
    import_recordings(&library);
    let before: Value = serde_json::from_str(&ok(&library, &["forms", "--json"])).unwrap();
    let tables = before["report"]["forms"].as_array().unwrap().clone();
    let checkout = tables
        .iter()
        .find(|t| t["form"] == "#checkout-form")
        .unwrap()
        .clone();
    assert!(checkout["name"].is_null());

    // Naming one form labels it and keeps its figures.
    let said = ok(
        &library,
        &[
            "forms",
            "name",
            "--page",
            "/checkout.html",
            "--form",
            "#checkout-form",
            "Checkout",
        ],
    );
    assert!(said.contains("now named \"Checkout\""), "{said}");
    let names = ok(&library, &["forms", "names"]);
    assert_eq!(names.trim(), "/checkout.html\t#checkout-form\tCheckout");
    let named: Value = serde_json::from_str(&ok(&library, &["forms", "--json"])).unwrap();
    let table = named["report"]["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Checkout")
        .unwrap()
        .clone();
    for key in ["viewed", "started", "submitted", "abandoned"] {
        assert_eq!(table[key], checkout[key], "{key}");
    }
    let text = ok(&library, &["forms"]);
    assert!(
        text.contains("Form \"Checkout\": #checkout-form on /checkout.html"),
        "{text}"
    );
    let csv = ok(&library, &["forms", "--csv"]);
    assert!(csv.lines().next().unwrap().ends_with(",form_name"));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("form,/checkout.html,#checkout-form,all,")
                && l.ends_with(",Checkout")),
        "{csv}"
    );

    // A second form of the library given the same name merges into one table.
    if let Some(other) = tables.iter().find(|t| t["form"] != "#checkout-form") {
        let (page, form) = (
            other["page"].as_str().unwrap(),
            other["form"].as_str().unwrap(),
        );
        let said = ok(
            &library,
            &["forms", "name", "--page", page, "--form", form, "Checkout"],
        );
        assert!(
            said.contains("merged with #checkout-form on /checkout.html"),
            "{said}"
        );
        let merged: Value = serde_json::from_str(&ok(&library, &["forms", "--json"])).unwrap();
        let forms = merged["report"]["forms"].as_array().unwrap();
        assert_eq!(forms.len(), tables.len() - 1);
        let table = forms.iter().find(|t| t["name"] == "Checkout").unwrap();
        assert_eq!(table["members"].as_array().unwrap().len(), 2);
        let started = |t: &Value| t["started"].as_u64().unwrap();
        assert!(started(table) >= started(&checkout));
        assert!(started(table) <= started(&checkout) + started(other));
        ok(
            &library,
            &["forms", "unname", "--page", page, "--form", form],
        );
    }

    // Bad names and unknown names are refused with a message, nothing written.
    for bad in ["", "   "] {
        let out = run(
            &library,
            &[
                "forms",
                "name",
                "--page",
                "/checkout.html",
                "--form",
                "#checkout-form",
                bad,
            ],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cannot be empty"), "{err}");
    }
    let out = run(
        &library,
        &["forms", "unname", "--page", "/nowhere", "--form", "#x"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no name"));
    ok(
        &library,
        &[
            "forms",
            "unname",
            "--page",
            "/checkout.html",
            "--form",
            "#checkout-form",
        ],
    );
    let after: Value = serde_json::from_str(&ok(&library, &["forms", "--json"])).unwrap();
    assert_eq!(after["report"], before["report"]);
}
