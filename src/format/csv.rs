//! CSV fields and the hotspot table's rows (RFC 4180 quoting), shared by the CLI and reports.

use crate::analysis::signals::hotspots::{Hotspot, HotspotPlace};

/// `text` as one CSV field: quoted (with doubled quotes) when it holds a comma, quote or line
/// break.
#[must_use]
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The header of the hotspot table (`sessionlens hotspots --csv`, reports' `hotspots.csv`).
pub const HOTSPOT_HEADER: &str = "kind,page_url,element,cell_x,cell_y,occurrences,sessions_affected,page_sessions,share_affected,affected_converted,affected_conversion_rate,unaffected_sessions,baseline_conversion_rate,estimated_lost_conversions,significant";

/// One hotspot table line (without newline).
#[must_use]
pub fn hotspot_row(h: &Hotspot) -> String {
    let (element, cell_x, cell_y) = match &h.place {
        HotspotPlace::Element(selector) => (selector.clone(), String::new(), String::new()),
        HotspotPlace::Cell { x, y } => (String::new(), x.to_string(), y.to_string()),
        HotspotPlace::Page => (String::new(), String::new(), String::new()),
    };
    [
        h.kind.as_str().to_owned(),
        field(&h.page_url),
        field(&element),
        cell_x,
        cell_y,
        h.occurrences.to_string(),
        h.sessions_affected.to_string(),
        h.page_sessions.to_string(),
        format!("{:.4}", h.share_affected),
        h.affected_converted.to_string(),
        format!("{:.4}", h.affected_conversion_rate),
        h.unaffected_sessions.to_string(),
        format!("{:.4}", h.baseline_conversion_rate),
        format!("{:.1}", h.estimated_lost_conversions),
        h.significant.to_string(),
    ]
    .join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
