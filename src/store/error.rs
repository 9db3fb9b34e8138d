//! Store errors.

/// Why a library operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file exists but is not a SQLite database.
    #[error(
        "{path}: not a SessionLens library (the file is not a SQLite database); move it away or choose another library with --library"
    )]
    NotALibrary {
        /// The library file.
        path: String,
    },
    /// The library is damaged.
    #[error(
        "{path}: the library is damaged ({detail}); keep the file, then rebuild it by importing the original files into a new library"
    )]
    Corrupt {
        /// The library file.
        path: String,
        /// What SQLite reported.
        detail: String,
    },
    /// The library was written by a newer SessionLens.
    #[error(
        "{path}: library schema version {found} was made by a newer SessionLens (this build knows up to {supported}); update SessionLens"
    )]
    NewerSchema {
        /// The library file.
        path: String,
        /// `PRAGMA user_version` found.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// A session that was asked for does not exist.
    #[error("no session with id {0:?} in the library")]
    NoSuchSession(String),
    /// A stored blob could not be decoded.
    #[error("stored data of session {session_id:?} could not be decoded: {detail}")]
    Decode {
        /// The session.
        session_id: String,
        /// What went wrong.
        detail: String,
    },
    /// An invalid argument (filter, glob, screenshot).
    #[error("{0}")]
    Invalid(String),
    /// Any other SQLite error.
    #[error("library: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error (part of the message, so it is not repeated as a cause).
        error: std::io::Error,
    },
}
