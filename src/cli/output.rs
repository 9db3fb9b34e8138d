//! Text and JSON renderings of sessions and events for the command line.

use std::io::Write;

use serde_json::{Value, json};

use crate::analysis::signals::hotspots::{Hotspot, HotspotPlace};
use crate::model::{EventKind, ScrollOffset, Session, time};
use crate::store::{SessionRow, StoredSignal};

/// The session summary printed by `show --json`.
#[must_use]
pub fn session_json(session: &Session) -> Value {
    let pages: Vec<Value> = session
        .pages
        .iter()
        .zip(session.page_stats())
        .map(|(p, stats)| {
            json!({
                "url": p.url,
                "entered_at_ms": p.entered_at_ms,
                "left_at_ms": p.left_at_ms,
                "doc_width": p.doc_size.width,
                "doc_height": p.doc_size.height,
                "viewport_width": p.viewport.width,
                "viewport_height": p.viewport.height,
                "max_scroll_y": stats.max_scroll_y,
                "max_depth_px": stats.max_depth_px,
                "num_clicks": stats.num_clicks,
            })
        })
        .collect();
    let viewport = session.initial_viewport();
    json!({
        "session_id": session.session_id,
        "started_at_ms": session.started_at_ms,
        "duration_ms": session.duration_ms,
        "device": session.device,
        "viewport_width": viewport.width,
        "viewport_height": viewport.height,
        "user_agent": session.user_agent,
        "source": session.source.channel(),
        "utm_source": session.source.utm_source,
        "utm_medium": session.source.utm_medium,
        "utm_campaign": session.source.utm_campaign,
        "referrer": session.source.referrer,
        "country": session.country,
        "num_events": session.events.len(),
        "num_clicks": session.num_clicks(),
        "converted": session.converted(),
        "revenue": session.revenue(),
        "pages": pages,
    })
}

/// Every event (and a `navigation` entry per page view) as JSON objects, in time order, with
/// page and viewport coordinates. Typed values are masked (one `•` per character) unless
/// `reveal_typed_values` and the library kept the value; sensitive fields are never revealed.
#[must_use]
pub fn event_json(session: &Session, reveal_typed_values: bool) -> Vec<Value> {
    let mut scroll: Vec<ScrollOffset> = vec![ScrollOffset::default(); session.pages.len()];
    let mut out = Vec::with_capacity(session.events.len() + session.pages.len());
    let mut next_page = 0;
    let base = |timestamp_ms: i64, page: u32, kind: &str| {
        json!({
            "session_id": session.session_id,
            "timestamp_ms": timestamp_ms,
            "elapsed_ms": timestamp_ms - session.started_at_ms,
            "page": page,
            "url": session.pages.get(page as usize).map_or("", |p| p.url.as_str()),
            "kind": kind,
        })
    };
    let target_json = |t: Option<u32>| {
        session.target(t).map_or(Value::Null, |d| {
            serde_json::to_value(d).unwrap_or(Value::Null)
        })
    };
    for event in &session.events {
        while next_page < session.pages.len()
            && session.pages[next_page].entered_at_ms <= event.timestamp_ms
        {
            let page = &session.pages[next_page];
            out.push(base(
                page.entered_at_ms,
                u32::try_from(next_page).unwrap_or(0),
                "navigation",
            ));
            next_page += 1;
        }
        let offset = scroll.get(event.page as usize).copied().unwrap_or_default();
        let mut value = base(event.timestamp_ms, event.page, "");
        let fields = match &event.kind {
            EventKind::PointerMove {
                pos_in_page,
                pointer,
            } => {
                let v = offset.viewport_from_page(*pos_in_page);
                json!({"kind": "move", "x": pos_in_page.x, "y": pos_in_page.y, "viewport_x": v.x, "viewport_y": v.y, "pointer": pointer})
            }
            EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                kind,
                pointer,
                target,
            } => json!({
                "kind": "click", "click_kind": kind.as_str(), "button": kind.button(), "pointer": pointer,
                "x": pos_in_page.x, "y": pos_in_page.y, "viewport_x": pos_in_viewport.x, "viewport_y": pos_in_viewport.y,
                "target": target_json(*target),
            }),
            EventKind::Scroll { offset: o } => {
                if let Some(s) = scroll.get_mut(event.page as usize) {
                    *s = *o;
                }
                json!({"kind": "scroll", "scroll_x": o.x, "scroll_y": o.y})
            }
            EventKind::ElementScroll { target, offset: o } => {
                json!({"kind": "element_scroll", "scroll_x": o.x, "scroll_y": o.y, "target": target_json(*target)})
            }
            EventKind::Resize { viewport } => {
                json!({"kind": "resize", "width": viewport.width, "height": viewport.height})
            }
            EventKind::Input {
                target,
                value_len,
                value,
                checked,
            } => {
                let revealed = value
                    .as_deref()
                    .filter(|_| reveal_typed_values && !session.is_sensitive_target(*target));
                match revealed {
                    Some(text) => {
                        json!({"kind": "input", "value_len": value_len, "value": text, "masked": false, "checked": checked, "target": target_json(*target)})
                    }
                    None => {
                        json!({"kind": "input", "value_len": value_len, "value": "•".repeat((*value_len).min(256) as usize), "masked": true, "checked": checked, "target": target_json(*target)})
                    }
                }
            }
            EventKind::Focus { target } => json!({"kind": "focus", "target": target_json(*target)}),
            EventKind::Blur { target } => json!({"kind": "blur", "target": target_json(*target)}),
            EventKind::DomChange => json!({"kind": "dom"}),
            EventKind::Error { message } => json!({"kind": "error", "message": message}),
            EventKind::Custom {
                name,
                value: v,
                currency,
            } => json!({"kind": "custom", "name": name, "value": v, "currency": currency}),
            EventKind::NetworkError {
                url,
                method,
                status,
            } => json!({"kind": "network_error", "url": url, "method": method, "status": status}),
            EventKind::FormField {
                field,
                form,
                position,
                form_fields,
            } => {
                json!({"kind": "form_field", "target": target_json(Some(*field)), "form": target_json(Some(*form)),
                "position": position, "form_fields": form_fields})
            }
            EventKind::FieldError { field } => {
                json!({"kind": "field_error", "target": target_json(*field)})
            }
            EventKind::FieldErrorCleared { field } => {
                json!({"kind": "field_error_cleared", "target": target_json(*field)})
            }
            EventKind::FormSubmit { form, control } => {
                json!({"kind": "form_submit", "target": target_json(*control), "form": target_json(*form)})
            }
            EventKind::PageStructure { signature } => {
                json!({"kind": "page_structure", "signature": format!("{signature:016x}"),
                "variant": crate::model::variant::dom_label(*signature)})
            }
            EventKind::Experiment {
                event,
                experiment,
                variant,
            } => {
                json!({"kind": "experiment", "name": event, "experiment": experiment, "variant": variant})
            }
        };
        if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), fields) {
            map.extend(extra);
        }
        out.push(value);
    }
    for (index, page) in session.pages.iter().enumerate().skip(next_page) {
        out.push(base(
            page.entered_at_ms,
            u32::try_from(index).unwrap_or(0),
            "navigation",
        ));
    }
    out
}

/// The `list` table.
pub fn print_session_table(
    out: &mut impl Write,
    rows: &[SessionRow],
    total: u64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<26} {:<19} {:>8} {:<7} {:>9} {:<14} {:>5} {:>6} {:<4} pages",
        "session",
        "started (UTC)",
        "duration",
        "device",
        "viewport",
        "source",
        "pages",
        "clicks",
        "conv"
    )?;
    for r in rows {
        let first = r.pages.first().map_or("", String::as_str);
        let path = first.split_once("://").map_or(first, |(_, rest)| {
            rest.find('/').map_or(rest, |i| &rest[i..])
        });
        writeln!(
            out,
            "{:<26} {:<19} {:>8} {:<7} {:>9} {:<14} {:>5} {:>6} {:<4} {}{}",
            r.session_id,
            time::format_utc(r.started_at_ms),
            time::format_duration(r.duration_ms),
            r.device.as_str(),
            format!("{}x{}", r.viewport_width, r.viewport_height),
            r.source.as_str(),
            r.pages.len(),
            r.num_clicks,
            if r.converted { "yes" } else { "no" },
            path,
            if r.pages.len() > 1 { " …" } else { "" }
        )?;
    }
    writeln!(out, "{} of {total} sessions", rows.len())
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(text: &str) -> String {
    crate::format::csv::field(text)
}

fn opt_num(v: Option<f32>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// The `signals` header of `--csv`.
pub const SIGNAL_CSV_HEADER: &str =
    "session_id,kind,page_url,start_ms,end_ms,x,y,num_clicks,target,severity";

/// One `signals --csv` line (without newline).
#[must_use]
pub fn signal_csv(s: &StoredSignal) -> String {
    [
        csv_field(&s.session_id),
        s.kind.as_str().to_owned(),
        csv_field(&s.page_url),
        s.start_ms.to_string(),
        s.end_ms.to_string(),
        opt_num(s.x),
        opt_num(s.y),
        s.num_clicks.to_string(),
        csv_field(s.target.as_deref().unwrap_or("")),
        format!("{}", s.severity),
    ]
    .join(",")
}

/// The `signals` table.
pub fn print_signal_table(out: &mut impl Write, signals: &[StoredSignal]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<26} {:<16} {:<23} {:>8} {:>6} {:>11}  target · page",
        "session", "kind", "start (UTC)", "duration", "clicks", "x,y"
    )?;
    for s in signals {
        let pos = match (s.x, s.y) {
            (Some(x), Some(y)) => format!("{x:.0},{y:.0}"),
            _ => "-".to_owned(),
        };
        writeln!(
            out,
            "{:<26} {:<16} {:<19}.{:03} {:>8} {:>6} {:>11}  {} · {}",
            s.session_id,
            s.kind.as_str(),
            time::format_utc(s.start_ms),
            s.start_ms.rem_euclid(1000),
            format!("{} ms", s.end_ms - s.start_ms),
            s.num_clicks,
            pos,
            s.target.as_deref().unwrap_or("-"),
            s.page_url
        )?;
    }
    writeln!(out, "{} signals", signals.len())
}

/// One hotspot as a flat JSON object (`hotspots --json`).
#[must_use]
pub fn hotspot_json(h: &Hotspot) -> Value {
    let (element, cell_x, cell_y) = match &h.place {
        HotspotPlace::Element(selector) => (Some(selector.as_str()), None, None),
        HotspotPlace::Cell { x, y } => (None, Some(*x), Some(*y)),
        HotspotPlace::Page => (None, None, None),
    };
    json!({
        "kind": h.kind,
        "page_url": h.page_url,
        "element": element,
        "cell_x": cell_x,
        "cell_y": cell_y,
        "occurrences": h.occurrences,
        "sessions_affected": h.sessions_affected,
        "page_sessions": h.page_sessions,
        "share_affected": h.share_affected,
        "affected_converted": h.affected_converted,
        "affected_conversion_rate": h.affected_conversion_rate,
        "unaffected_sessions": h.unaffected_sessions,
        "baseline_conversion_rate": h.baseline_conversion_rate,
        "estimated_lost_conversions": h.estimated_lost_conversions,
        "significant": h.significant,
    })
}

/// The `hotspots --csv` header.
pub use crate::analysis::signals::hotspots::CSV_HEADER as HOTSPOT_CSV_HEADER;

/// One `hotspots --csv` line (without newline).
#[must_use]
pub fn hotspot_csv(h: &Hotspot) -> String {
    crate::analysis::signals::hotspots::csv_row(h)
}

/// The `hotspots` table. Rates are whole percentages with their sample sizes: no false precision.
pub fn print_hotspot_table(out: &mut impl Write, hotspots: &[Hotspot]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<16} {:>8} {:>6} {:>13} {:>13} {:>6}  place · page",
        "kind", "sessions", "share", "conv affected", "conv others", "lost"
    )?;
    for h in hotspots {
        let pct = |r: f64| format!("{:.0}%", r * 100.0);
        writeln!(
            out,
            "{:<16} {:>8} {:>6} {:>13} {:>13} {:>6}  {} · {}",
            h.kind.as_str(),
            h.sessions_affected,
            pct(h.share_affected),
            format!(
                "{} of {}",
                pct(h.affected_conversion_rate),
                h.sessions_affected
            ),
            format!(
                "{} of {}",
                pct(h.baseline_conversion_rate),
                h.unaffected_sessions
            ),
            format!(
                "{:.1}{}",
                h.estimated_lost_conversions,
                if h.significant { "" } else { "?" }
            ),
            h.place,
            h.page_url
        )?;
    }
    writeln!(
        out,
        "{} hotspots (lost: estimated conversions lost; ? = not significant at 95 %)",
        hotspots.len()
    )
}
