//! Static HTML of a recorded page: each page load's FullSnapshot (rrweb's serialized DOM)
//! rebuilt as a self-contained document, for `sessionlens snapshot` to render with Chromium.
//!
//! Scripts, `<noscript>`, event-handler attributes and rrweb's own `rr_*` attributes are left
//! out; stylesheets rrweb inlined (`_cssText`) become `<style>` elements; the values of text
//! fields are masked (`*` per character) whether or not rrweb masked them. The mutations after the snapshot are not applied: the
//! picture is the page as it loaded.

use serde_json::Value;

use super::js_array_slice;
use crate::format::FormatError;

/// One page load's rebuilt document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageSnapshot {
    /// The page URL (from the Meta event before the snapshot), fragment removed.
    pub url: String,
    /// Viewport width at load, CSS px (the layout width to render at).
    pub viewport_width: u32,
    /// Viewport height at load, CSS px.
    pub viewport_height: u32,
    /// The HTML document.
    pub html: String,
}

/// Elements whose content is never rendered into the static page.
const DROPPED_ELEMENTS: [&str; 2] = ["script", "noscript"];
/// Elements without a closing tag.
const VOID_ELEMENTS: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// How deeply wrappers (`{"data": [...]}`, JSON Lines items) may nest around the events.
const MAX_WRAPPER_DEPTH: usize = 6;

/// The first snapshot of every page URL and viewport width in a recording's (already inflated)
/// bytes: a JSON array of events, an object wrapping one, JSON Lines as PostHog exports them,
/// or a `const events = [...]` script. Compressed PostHog payloads are skipped.
pub fn page_snapshots(bytes: &[u8], file_name: &str) -> Result<Vec<PageSnapshot>, FormatError> {
    let starts_json = bytes
        .trim_ascii_start()
        .first()
        .is_some_and(|b| matches!(b, b'[' | b'{'));
    let body = if starts_json {
        bytes
    } else {
        js_array_slice(bytes).unwrap_or(bytes)
    };
    let documents: Vec<Value> = match serde_json::from_slice::<Value>(body) {
        Ok(value) => vec![value],
        Err(whole) => {
            // JSON Lines: one value per non-empty line.
            let mut values = Vec::new();
            for (index, line) in body.split(|&b| b == b'\n').enumerate() {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Value>(line) {
                    Ok(v) => values.push(v),
                    Err(e) if index == 0 => {
                        return Err(FormatError::Json {
                            file: file_name.to_owned(),
                            path: ".".to_owned(),
                            line: whole.line(),
                            column: whole.column(),
                            message: format!("{whole} (as JSON Lines: {e})"),
                        });
                    }
                    Err(e) => {
                        return Err(FormatError::Json {
                            file: file_name.to_owned(),
                            path: format!("line {}", index + 1),
                            line: index + 1,
                            column: e.column(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            values
        }
    };
    let mut events = Vec::new();
    for document in &documents {
        collect_events(document, 0, &mut events);
    }
    events.sort_by_key(|e| e.get("timestamp").and_then(Value::as_f64).map(|t| t as i64));
    let mut out: Vec<PageSnapshot> = Vec::new();
    let (mut url, mut width, mut height) = (None::<String>, 0u32, 0u32);
    for event in events {
        let data = event.get("data");
        match event.get("type").and_then(Value::as_u64) {
            Some(4) => {
                url = data
                    .and_then(|d| d.get("href"))
                    .and_then(Value::as_str)
                    .map(|h| h.split_once('#').map_or(h, |(u, _)| u).to_owned());
                let dim = |key| {
                    data.and_then(|d| d.get(key))
                        .and_then(Value::as_f64)
                        .filter(|v| (1.0..=100_000.0).contains(v))
                        .map_or(0, |v| v as u32)
                };
                (width, height) = (dim("width"), dim("height"));
            }
            Some(2) => {
                let (Some(page), Some(node)) = (&url, data.and_then(|d| d.get("node"))) else {
                    continue;
                };
                if width == 0
                    || out
                        .iter()
                        .any(|s| s.url == *page && s.viewport_width == width)
                {
                    continue;
                }
                let mut html = String::new();
                write_node(node, false, &mut html);
                out.push(PageSnapshot {
                    url: page.clone(),
                    viewport_width: width,
                    viewport_height: height,
                    html,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Pushes every rrweb event (an object with a numeric `type` and a `timestamp`) found in `v`.
fn collect_events<'a>(v: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_WRAPPER_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                collect_events(item, depth + 1, out);
            }
        }
        Value::Object(map) => {
            if map.get("type").is_some_and(Value::is_u64) && map.contains_key("timestamp") {
                out.push(v);
                return;
            }
            for key in ["events", "data", "snapshots"] {
                if let Some(inner) = map.get(key) {
                    collect_events(inner, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

fn escape_attr(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
}

/// A tag or attribute name safe to write as is.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// Writes rrweb serialized node `node` (types: 0 document, 1 doctype, 2 element, 3 text,
/// 4 CDATA, 5 comment) as HTML. `raw_text`: inside `<style>`, where text is not escaped.
fn write_node(node: &Value, raw_text: bool, out: &mut String) {
    let children = || {
        node.get("childNodes")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    match node.get("type").and_then(Value::as_u64) {
        Some(0) => {
            for child in children() {
                write_node(child, false, out);
            }
        }
        Some(1) => out.push_str("<!DOCTYPE html>\n"),
        Some(2) => write_element(node, children(), out),
        Some(3) => {
            let text = node
                .get("textContent")
                .and_then(Value::as_str)
                .unwrap_or("");
            let is_style = node.get("isStyle").and_then(Value::as_bool) == Some(true);
            if raw_text || is_style {
                // Never let style text close its element early.
                out.push_str(&text.replace("</", "<\\/"));
            } else {
                escape_text(text, out);
            }
        }
        _ => {}
    }
}

fn write_element(node: &Value, children: &[Value], out: &mut String) {
    let tag = node
        .get("tagName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    if !is_name(&tag) || DROPPED_ELEMENTS.contains(&tag.as_str()) {
        return;
    }
    let attributes = node.get("attributes").and_then(Value::as_object);
    let css_text = attributes
        .and_then(|a| a.get("_cssText"))
        .and_then(Value::as_str);
    if tag == "link" && css_text.is_some() {
        // An inlined stylesheet.
        out.push_str("<style>");
        out.push_str(&css_text.unwrap_or("").replace("</", "<\\/"));
        out.push_str("</style>");
        return;
    }
    // What a visitor typed never reaches a screenshot: the value of a text field is masked
    // (`*` per character, as rrweb masks), whatever the recording carried.
    let input_type = attributes
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("text")
        .to_ascii_lowercase();
    let typed_field = tag == "textarea"
        || (tag == "input"
            && !matches!(
                input_type.as_str(),
                "button"
                    | "submit"
                    | "reset"
                    | "checkbox"
                    | "radio"
                    | "hidden"
                    | "image"
                    | "file"
                    | "color"
                    | "range"
            ));
    out.push('<');
    out.push_str(&tag);
    for (name, value) in attributes.into_iter().flatten() {
        let lower = name.to_ascii_lowercase();
        if !is_name(name)
            || lower.starts_with("on")
            || lower.starts_with("rr_")
            || name == "_cssText"
        {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(true) => String::new(),
            _ => continue,
        };
        let text = if typed_field && lower == "value" {
            "*".repeat(text.chars().count())
        } else {
            text
        };
        out.push(' ');
        out.push_str(name);
        if !text.is_empty() {
            out.push_str("=\"");
            escape_attr(&text, out);
            out.push('"');
        }
    }
    out.push('>');
    if VOID_ELEMENTS.contains(&tag.as_str()) {
        return;
    }
    let style = tag == "style";
    if style && let Some(css) = css_text {
        out.push_str(&css.replace("</", "<\\/"));
    } else {
        for child in children {
            write_node(child, style, out);
        }
    }
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDING: &str = r#"[
      {"type":4,"timestamp":1000,"data":{"href":"http://shop.test/#top","width":1440,"height":900}},
      {"type":2,"timestamp":1001,"data":{"initialOffset":{"left":0,"top":0},"node":{"type":0,"id":1,"childNodes":[
        {"type":1,"id":2,"name":"html"},
        {"type":2,"id":3,"tagName":"html","attributes":{"lang":"en"},"childNodes":[
          {"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[
            {"type":2,"id":5,"tagName":"link","attributes":{"rel":"stylesheet","_cssText":"body { color: red; }"},"childNodes":[]},
            {"type":2,"id":6,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":7,"textContent":"p > a { x: 1 }","isStyle":true}]},
            {"type":2,"id":8,"tagName":"script","attributes":{},"childNodes":[{"type":3,"id":9,"textContent":"alert(1)"}]}
          ]},
          {"type":2,"id":10,"tagName":"body","attributes":{"onload":"evil()","class":"page"},"childNodes":[
            {"type":2,"id":11,"tagName":"p","attributes":{"title":"a \"quote\""},"childNodes":[{"type":3,"id":12,"textContent":"1 < 2 & <b>"}]},
            {"type":2,"id":13,"tagName":"input","attributes":{"value":"***","disabled":true,"rr_width":"10px"},"childNodes":[]},
            {"type":2,"id":14,"tagName":"input","attributes":{"type":"email","value":"ann@x.io"},"childNodes":[]},
            {"type":2,"id":15,"tagName":"input","attributes":{"type":"submit","value":"Pay"},"childNodes":[]}
          ]}
        ]}
      ]}}},
      {"type":2,"timestamp":5000,"data":{"node":{"type":0,"childNodes":[]}}}
    ]"#;

    #[test]
    fn rebuilds_the_first_snapshot_of_each_page_as_static_html() {
        let pages = page_snapshots(RECORDING.as_bytes(), "r.json").unwrap();
        assert_eq!(
            pages.len(),
            1,
            "the checkout snapshot of the same page is not repeated"
        );
        let page = &pages[0];
        assert_eq!(page.url, "http://shop.test/");
        assert_eq!((page.viewport_width, page.viewport_height), (1440, 900));
        assert_eq!(
            page.html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><style>body { color: red; }</style>\
             <style>p > a { x: 1 }</style></head><body class=\"page\">\
             <p title=\"a &quot;quote&quot;\">1 &lt; 2 &amp; &lt;b&gt;</p>\
             <input disabled value=\"***\"><input type=\"email\" value=\"********\">\
             <input type=\"submit\" value=\"Pay\"></body></html>"
        );
    }

    #[test]
    fn json_lines_and_js_wrappers_are_read_and_bad_json_is_located() {
        let lines = format!(
            "{{\"window_id\":\"w\",\"data\":{}}}\n",
            RECORDING.replace('\n', " ")
        );
        assert_eq!(
            page_snapshots(lines.as_bytes(), "p.jsonl").unwrap().len(),
            1
        );
        let js = format!("const events = {RECORDING};");
        assert_eq!(page_snapshots(js.as_bytes(), "d.js").unwrap().len(), 1);
        let err = page_snapshots(b"[{\"type\":4,", "bad.json").unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
    }
}
