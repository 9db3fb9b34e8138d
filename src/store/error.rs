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
        "{path}: the library is damaged ({detail}); `sessionlens rebuild-library` rebuilds it from the original recordings, keeping the damaged file beside it"
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
    /// The library's user may only read: a change was refused before anything was written.
    #[error(
        "this library is read-only for {user} on {server}: browsing, replay and export work; importing, defining, deleting and notes need a ClickHouse user with write access"
    )]
    ReadOnly {
        /// The user the library was opened as.
        user: String,
        /// The server, `host:port`.
        server: String,
    },
    /// A library server failed (unreachable, refused, timed out, or reported an error); the
    /// message names the server and what to do.
    #[error("{0}")]
    Server(String),
    /// Any other SQLite error.
    #[error("library: {0}")]
    Sqlite(rusqlite::Error),
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error (part of the message, so it is not repeated as a cause).
        error: std::io::Error,
    },
}

impl StoreError {
    /// True when the library file itself failed (damaged, not a library, unwritable, disk full),
    /// as opposed to one input or query: an import stops at the first such error.
    #[must_use]
    pub fn is_library_fault(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            Self::NotALibrary { .. }
            | Self::Corrupt { .. }
            | Self::NewerSchema { .. }
            | Self::ReadOnly { .. }
            | Self::Server(_) => true,
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(
                    ErrorCode::DatabaseCorrupt
                        | ErrorCode::NotADatabase
                        | ErrorCode::DiskFull
                        | ErrorCode::SystemIoFailure
                        | ErrorCode::ReadOnly
                        | ErrorCode::CannotOpen
                )
            ),
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    /// SQLite errors, with damage and "not a database" told apart (the library's path is not
    /// known here; [`super::library::classify`] names it where it is).
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseCorrupt) => Self::Corrupt {
                path: "the library file".to_owned(),
                detail: "database disk image is malformed".to_owned(),
            },
            _ => Self::Sqlite(e),
        }
    }
}
