//! Errors of the ClickHouse library: each names the server and says what to do.

use crate::store::StoreError;

/// Why a ClickHouse library operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClickHouseError {
    /// The library URL could not be read.
    #[error(
        "library URL {url:?}: {reason} (expected clickhouse://USER@HOST:PORT/DATABASE; the password comes from SESSIONLENS_CLICKHOUSE_PASSWORD or the file named by SESSIONLENS_CLICKHOUSE_PASSWORD_FILE)"
    )]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The password file could not be read.
    #[error("password file {path}: {error}")]
    PasswordFile {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file of certificate authorities could not be read or holds none.
    #[error("certificate authorities file {path} (SESSIONLENS_CLICKHOUSE_CA_FILE): {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS connection failed: the server's certificate is not trusted, or the port does
    /// not speak TLS.
    #[error(
        "ClickHouse at {server}: no secure connection ({detail}); if the server's certificate comes from the team's own certificate authority, name the authority's PEM file in SESSIONLENS_CLICKHOUSE_CA_FILE, and check that the port is the server's HTTPS port (clickhouses://, 8443 by default)"
    )]
    Tls {
        /// `host:port`.
        server: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// No connection could be made, or it broke.
    #[error(
        "ClickHouse at {server}: no connection ({detail}); check that the server runs and the address is right, then retry"
    )]
    Unreachable {
        /// `host:port`.
        server: String,
        /// What the connection reported.
        detail: String,
    },
    /// The server refused the user or password.
    #[error(
        "ClickHouse at {server}: user {user:?} was refused (wrong password or unknown user); set SESSIONLENS_CLICKHOUSE_PASSWORD or SESSIONLENS_CLICKHOUSE_PASSWORD_FILE"
    )]
    Auth {
        /// `host:port`.
        server: String,
        /// The user.
        user: String,
    },
    /// The user may only read.
    #[error(
        "ClickHouse at {server}: user {user:?} may only read this library; importing, defining and deleting need a user with write access"
    )]
    ReadOnly {
        /// `host:port`.
        server: String,
        /// The user.
        user: String,
    },
    /// A query ran out of time.
    #[error(
        "ClickHouse at {server}: the query ran longer than {seconds} s and was stopped; narrow the filter or retry when the server is less busy"
    )]
    Timeout {
        /// `host:port`.
        server: String,
        /// The limit.
        seconds: u64,
    },
    /// The library's schema was made by a newer SessionLens.
    #[error(
        "ClickHouse at {server}, database {database}: library schema version {found} was made by a newer SessionLens (this build knows up to {supported}); update SessionLens"
    )]
    NewerSchema {
        /// `host:port`.
        server: String,
        /// The database.
        database: String,
        /// Version found.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// Any other error the server reported.
    #[error("ClickHouse at {server}: {message}")]
    Server {
        /// `host:port`.
        server: String,
        /// The server's exception code, when it gave one.
        code: Option<u32>,
        /// The server's message.
        message: String,
    },
    /// An answer that could not be read.
    #[error("ClickHouse at {server}: unexpected answer ({detail})")]
    Decode {
        /// `host:port`.
        server: String,
        /// What was wrong.
        detail: String,
    },
    /// A session that was asked for does not exist.
    #[error("no session with id {0:?} in the library")]
    NoSuchSession(String),
    /// Encoding or decoding a session body.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ClickHouseError> for StoreError {
    /// For the store traits: a missing session and a body that cannot be decoded keep their
    /// kind; every other fault (which names the server and what to do) travels as its message.
    fn from(e: ClickHouseError) -> Self {
        match e {
            ClickHouseError::NoSuchSession(id) => Self::NoSuchSession(id),
            ClickHouseError::Store(e) => e,
            ClickHouseError::ReadOnly { server, user } => Self::ReadOnly { user, server },
            bad @ (ClickHouseError::Url { .. }
            | ClickHouseError::PasswordFile { .. }
            | ClickHouseError::CaFile { .. }) => Self::Invalid(bad.to_string()),
            other => Self::Server(other.to_string()),
        }
    }
}
