//! Reviewer notes: a line of text at a moment of a session, kept in the library.
//!
//! Notes are keyed by session id (not by row id), so they survive deleting and re-importing a
//! session or rebuilding the library from the original files. Every change is one statement in
//! its own transaction: a crash loses at most the edit in progress.

use rusqlite::{OptionalExtension as _, params};

use super::{Library, StoreError};
use crate::model::Note;
use crate::store::library::now_ms;

/// Longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

fn checked_text(text: &str) -> Result<&str, StoreError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid("a note needs some text".to_owned()));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(StoreError::Invalid(format!(
            "a note holds at most {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(text)
}

fn note_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        note_id: r.get(0)?,
        session_id: r.get(1)?,
        timestamp_ms: r.get(2)?,
        text: r.get(3)?,
        created_at_ms: r.get(4)?,
        updated_at_ms: r.get(5)?,
    })
}

const NOTE_COLUMNS: &str =
    "note_rowid, session_id, timestamp_ms, text, created_at_ms, updated_at_ms";

impl Library {
    /// Adds a note at `timestamp_ms` (epoch ms) of session `session_id`.
    pub fn add_note(
        &self,
        session_id: &str,
        timestamp_ms: i64,
        text: &str,
    ) -> Result<Note, StoreError> {
        let text = checked_text(text)?;
        let now = now_ms();
        self.conn.execute(
            "INSERT INTO notes (session_id, timestamp_ms, text, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![session_id, timestamp_ms, text, now],
        )?;
        Ok(Note {
            note_id: self.conn.last_insert_rowid(),
            session_id: session_id.to_owned(),
            timestamp_ms,
            text: text.to_owned(),
            created_at_ms: now,
            updated_at_ms: now,
        })
    }

    /// Replaces a note's text; false when there is no such note.
    pub fn update_note(&self, note_id: i64, text: &str) -> Result<bool, StoreError> {
        let text = checked_text(text)?;
        let changed = self.conn.execute(
            "UPDATE notes SET text = ?2, updated_at_ms = ?3 WHERE note_rowid = ?1",
            params![note_id, text, now_ms()],
        )?;
        Ok(changed > 0)
    }

    /// Deletes a note; false when there is no such note.
    pub fn delete_note(&self, note_id: i64) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute("DELETE FROM notes WHERE note_rowid = ?1", [note_id])?;
        Ok(changed > 0)
    }

    /// One note by id.
    pub fn note(&self, note_id: i64) -> Result<Option<Note>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {NOTE_COLUMNS} FROM notes WHERE note_rowid = ?1"),
                [note_id],
                note_from_row,
            )
            .optional()?)
    }

    /// The notes of one session (or of all sessions when `session_id` is `None`), in time order.
    pub fn notes(&self, session_id: Option<&str>) -> Result<Vec<Note>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {NOTE_COLUMNS} FROM notes WHERE ?1 IS NULL OR session_id = ?1
             ORDER BY session_id, timestamp_ms, note_rowid"
        ))?;
        let rows = stmt.query_map([session_id], note_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_in_time_order() {
        let lib = Library::open_in_memory().unwrap();
        let b = lib
            .add_note("s1", 2_000, "  confused by shipping cost ")
            .unwrap();
        let a = lib.add_note("s1", 1_000, "rage on promo bar").unwrap();
        lib.add_note("s2", 500, "other session").unwrap();
        assert_eq!(b.text, "confused by shipping cost");
        let notes = lib.notes(Some("s1")).unwrap();
        assert_eq!(
            notes.iter().map(|n| n.note_id).collect::<Vec<_>>(),
            [a.note_id, b.note_id]
        );
        assert_eq!(lib.notes(None).unwrap().len(), 3);
        assert!(
            lib.update_note(a.note_id, "rage clicks on the promo bar")
                .unwrap()
        );
        assert_eq!(
            lib.note(a.note_id).unwrap().unwrap().text,
            "rage clicks on the promo bar"
        );
        assert!(lib.delete_note(a.note_id).unwrap());
        assert!(!lib.delete_note(a.note_id).unwrap());
        assert_eq!(lib.notes(Some("s1")).unwrap(), vec![b]);
    }

    #[test]
    fn empty_and_huge_notes_are_refused() {
        let lib = Library::open_in_memory().unwrap();
        assert!(lib.add_note("s", 0, "   ").is_err());
        assert!(
            lib.add_note("s", 0, &"x".repeat(MAX_NOTE_CHARS + 1))
                .is_err()
        );
        assert!(lib.notes(None).unwrap().is_empty());
    }

    #[test]
    fn notes_survive_reopening_the_library() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lib.sqlite");
        {
            let lib = Library::open(&path).unwrap();
            lib.add_note("s", 42_000, "kept").unwrap();
        }
        let lib = Library::open(&path).unwrap();
        assert_eq!(lib.notes(Some("s")).unwrap()[0].text, "kept");
    }
}
