//! CSV fields (RFC 4180 quoting), shared by the CLI and reports. Tables of analysis results
//! build their rows where the results are defined (`analysis::signals::hotspots::csv_row`).

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

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
