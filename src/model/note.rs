//! Reviewer notes.

use serde::Serialize;

/// A note at a moment of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Row id in the library.
    pub note_id: i64,
    /// The session.
    pub session_id: String,
    /// The moment, epoch ms.
    pub timestamp_ms: i64,
    /// The text.
    pub text: String,
    /// When it was written, epoch ms.
    pub created_at_ms: i64,
    /// When it was last edited, epoch ms.
    pub updated_at_ms: i64,
}
