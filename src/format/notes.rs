//! Writers for reviewer notes: CSV (for spreadsheets) and Markdown (for reports).

use std::io::{self, Write};

use crate::model::{Note, time};

/// Quotes a CSV field when it holds a separator, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    super::csv::field(text)
}

/// Writes `session_id,timestamp_ms,time_utc,text` rows with a header.
pub fn write_csv(w: &mut impl Write, notes: &[Note]) -> io::Result<()> {
    writeln!(w, "session_id,timestamp_ms,time_utc,text")?;
    for note in notes {
        writeln!(
            w,
            "{},{},{},{}",
            csv_field(&note.session_id),
            note.timestamp_ms,
            time::format_utc(note.timestamp_ms),
            csv_field(&note.text)
        )?;
    }
    Ok(())
}

/// Writes one Markdown list item per note, grouped under a heading per session.
pub fn write_markdown(w: &mut impl Write, notes: &[Note]) -> io::Result<()> {
    let mut session: Option<&str> = None;
    for note in notes {
        if session != Some(note.session_id.as_str()) {
            if session.is_some() {
                writeln!(w)?;
            }
            writeln!(w, "## Session {}\n", note.session_id)?;
            session = Some(&note.session_id);
        }
        let text = note.text.replace('\n', " ");
        writeln!(w, "- {} UTC: {text}", time::format_utc(note.timestamp_ms))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(session: &str, t: i64, text: &str) -> Note {
        Note {
            note_id: 1,
            session_id: session.to_owned(),
            timestamp_ms: t,
            text: text.to_owned(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        write_csv(
            &mut out,
            &[
                note("s1", 1_000, "plain"),
                note("s1", 2_000, "says \"no\", twice\nthen leaves"),
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "session_id,timestamp_ms,time_utc,text\n\
             s1,1000,1970-01-01 00:00:01,plain\n\
             s1,2000,1970-01-01 00:00:02,\"says \"\"no\"\", twice\nthen leaves\"\n"
        );
    }

    #[test]
    fn markdown_groups_by_session() {
        let mut out = Vec::new();
        write_markdown(
            &mut out,
            &[
                note("a", 0, "one"),
                note("a", 1_000, "two"),
                note("b", 0, "three"),
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "## Session a\n\n- 1970-01-01 00:00:00 UTC: one\n- 1970-01-01 00:00:01 UTC: two\n\n## Session b\n\n- 1970-01-01 00:00:00 UTC: three\n"
        );
    }
}
