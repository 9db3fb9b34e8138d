//! Reviewer notes in a ClickHouse library: every change is a new row of the note's id with a
//! higher `version` (an edit carries the new text, a delete `deleted = 1`), read back as the
//! row of the highest version (`argMax`, which gives the same answer before and after the
//! `ReplacingMergeTree` merges them). Each row records the ClickHouse user who wrote it.

use std::hash::{BuildHasher as _, Hasher as _};

use super::rowbinary::{RowReader, RowWriter, quote};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::model::Note;
use crate::store::{MAX_NOTE_CHARS, StoreError};

const NOTE_COLUMNS: &str = "(note_id, version, session_id, timestamp_ms, text, author, created_at_ms, updated_at_ms, deleted)";

/// The text of a note, trimmed, or why it cannot be one (the SQLite library's rule).
fn checked_text(text: &str) -> Result<&str, ClickHouseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid("a note needs some text".to_owned()).into());
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(StoreError::Invalid(format!(
            "a note holds at most {MAX_NOTE_CHARS} characters"
        ))
        .into());
    }
    Ok(text)
}

/// A fresh note id: positive, later notes larger (wall clock ms shifted 20 bits, plus 20 random
/// bits), so that ids made by several clients at once do not collide.
fn new_note_id() -> i64 {
    let now_ms = crate::store::now_ms().max(0);
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    ((now_ms & 0x7FF_FFFF_FFFF) << 20) | i64::try_from(random & 0xF_FFFF).unwrap_or(0)
}

/// A note's latest row.
struct NoteRow {
    note: Note,
    version: u64,
    author: String,
    deleted: bool,
}

impl ClickHouseLibrary {
    fn write_note(&self, row: &NoteRow) -> Result<(), ClickHouseError> {
        let mut w = RowWriter::default();
        w.i64(row.note.note_id)
            .u64(row.version)
            .str(&row.note.session_id)
            .i64(row.note.timestamp_ms)
            .str(&row.note.text)
            .str(&row.author)
            .i64(row.note.created_at_ms)
            .i64(row.note.updated_at_ms)
            .u8(u8::from(row.deleted));
        self.client
            .insert_rowbinary(&format!("{} {NOTE_COLUMNS}", self.table("notes")), &w.bytes)
    }

    /// The latest rows of the notes `condition` selects (on the latest row's columns).
    fn latest_notes(&self, condition: &str) -> Result<Vec<NoteRow>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT note_id, max(version), argMax(session_id, version) AS sid, argMax(timestamp_ms, version) AS ts,
                    argMax(text, version), argMax(author, version), argMax(created_at_ms, version),
                    argMax(updated_at_ms, version), argMax(deleted, version) AS gone
             FROM {} GROUP BY note_id HAVING {condition}
             ORDER BY sid, ts, note_id FORMAT RowBinary",
            self.table("notes")
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut out = Vec::new();
        while !reader.is_empty() {
            let row = (|| {
                let note_id = reader.i64()?;
                let version = reader.u64()?;
                let session_id = reader.string()?;
                let timestamp_ms = reader.i64()?;
                let text = reader.string()?;
                let author = reader.string()?;
                let created_at_ms = reader.i64()?;
                let updated_at_ms = reader.i64()?;
                let deleted = reader.u8()? != 0;
                Some(NoteRow {
                    note: Note {
                        note_id,
                        session_id,
                        timestamp_ms,
                        text,
                        created_at_ms,
                        updated_at_ms,
                    },
                    version,
                    author,
                    deleted,
                })
            })()
            .ok_or_else(|| self.client.decode_error("notes"))?;
            out.push(row);
        }
        Ok(out)
    }

    fn live_note(&self, note_id: i64) -> Result<Option<NoteRow>, ClickHouseError> {
        Ok(self
            .latest_notes(&format!("note_id = {note_id} AND gone = 0"))?
            .into_iter()
            .next())
    }

    /// Adds a note at `timestamp_ms` (epoch ms) of session `session_id`, written by this
    /// library's ClickHouse user.
    pub fn add_note(
        &self,
        session_id: &str,
        timestamp_ms: i64,
        text: &str,
    ) -> Result<Note, ClickHouseError> {
        let text = checked_text(text)?;
        let now = crate::store::now_ms();
        let row = NoteRow {
            note: Note {
                note_id: new_note_id(),
                session_id: session_id.to_owned(),
                timestamp_ms,
                text: text.to_owned(),
                created_at_ms: now,
                updated_at_ms: now,
            },
            version: 1,
            author: self.client.user().to_owned(),
            deleted: false,
        };
        self.write_note(&row)?;
        Ok(row.note)
    }

    /// Replaces a note's text; false when there is no such note.
    pub fn update_note(&self, note_id: i64, text: &str) -> Result<bool, ClickHouseError> {
        let text = checked_text(text)?;
        let Some(mut row) = self.live_note(note_id)? else {
            return Ok(false);
        };
        row.note.text = text.to_owned();
        row.note.updated_at_ms = crate::store::now_ms();
        row.version += 1;
        row.author = self.client.user().to_owned();
        self.write_note(&row)?;
        Ok(true)
    }

    /// Deletes a note; false when there is no such note.
    pub fn delete_note(&self, note_id: i64) -> Result<bool, ClickHouseError> {
        let Some(mut row) = self.live_note(note_id)? else {
            return Ok(false);
        };
        row.version += 1;
        row.deleted = true;
        row.author = self.client.user().to_owned();
        self.write_note(&row)?;
        Ok(true)
    }

    /// One note by id.
    pub fn note(&self, note_id: i64) -> Result<Option<Note>, ClickHouseError> {
        Ok(self.live_note(note_id)?.map(|r| r.note))
    }

    /// Who last wrote a note (its ClickHouse user), when the note exists.
    pub fn note_author(&self, note_id: i64) -> Result<Option<String>, ClickHouseError> {
        Ok(self.live_note(note_id)?.map(|r| r.author))
    }

    /// The notes of one session (or of all when `session_id` is `None`), in time order.
    pub fn notes(&self, session_id: Option<&str>) -> Result<Vec<Note>, ClickHouseError> {
        let condition = match session_id {
            Some(id) => format!("gone = 0 AND sid = {}", quote(id)),
            None => "gone = 0".to_owned(),
        };
        Ok(self
            .latest_notes(&condition)?
            .into_iter()
            .map(|r| r.note)
            .collect())
    }
}
