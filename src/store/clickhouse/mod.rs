//! A session library in ClickHouse: the team library of issue 20, next to the SQLite one.
//!
//! Opened from a URL `clickhouse://USER@HOST:PORT/DATABASE` ([`LibraryUrl`]) with the password
//! from `SESSIONLENS_CLICKHOUSE_PASSWORD` or a file ([`Password`]), spoken to over the HTTP
//! interface ([`http`]), with the tables of [`schema`] (docs/CLICKHOUSE.md). Imports write
//! batches in RowBinary and publish each batch at its end ([`import`]); reads answer the same
//! questions as the SQLite library with the aggregation done by the server ([`read`]).
//!
//! Owns: the ClickHouse tables and their SQL. May use: `model`, `analysis`, and the body
//! encoding and point blobs of `store`.

mod conversions;
mod error;
mod forms;
mod heatmap;
mod http;
mod import;
mod moments;
mod notes;
mod pushdown;
mod read;
mod rowbinary;
mod schema;
mod screenshots;
mod sections;
mod signals;
mod state;
mod store;
mod url;

pub use error::ClickHouseError;
pub use import::ImportOutcome;
pub use read::HeatmapBin;
pub use schema::{BIN_PX, SCHEMA_VERSION};
pub use url::{DEFAULT_HTTP_PORT, LibraryUrl, PASSWORD_ENV, PASSWORD_FILE_ENV, Password};

use http::Client;

/// How long one query may run on the server before it is stopped, s.
pub const DEFAULT_QUERY_TIMEOUT_S: u64 = 120;

/// A session library in one ClickHouse database.
pub struct ClickHouseLibrary {
    client: Client,
    url: LibraryUrl,
    /// The database name, checked to be an identifier ([`LibraryUrl::parse`]).
    db: String,
    /// Number of shards when the database is a sharded library's router (its tables are
    /// `Distributed` over a cluster), else `None`.
    shards: Option<u32>,
    /// The user may only read (its profile sets `readonly`): changes are refused up front.
    read_only: bool,
    /// The URL as text, for messages ([`crate::store::Store::location`]).
    location: String,
}

impl std::fmt::Debug for ClickHouseLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseLibrary")
            .field("url", &self.url.to_string())
            .finish_non_exhaustive()
    }
}

impl ClickHouseLibrary {
    /// Opens the library at `url` (text), with the password from the environment
    /// ([`Password::from_env`]). Creates the database and tables when missing.
    pub fn open_url(url: &str) -> Result<Self, ClickHouseError> {
        Self::open(
            &LibraryUrl::parse(url)?.with_ca_file_from_env(),
            Password::from_env()?,
        )
    }

    /// Opens the library at `url` as its user with `password`, creating the database and its
    /// tables when missing (which needs write access); a library of a newer schema is refused.
    /// A read-only user can open an existing library.
    pub fn open(url: &LibraryUrl, password: Option<Password>) -> Result<Self, ClickHouseError> {
        Self::open_with_timeout(url, password, DEFAULT_QUERY_TIMEOUT_S)
    }

    /// [`Self::open`] with a query time limit, s.
    pub fn open_with_timeout(
        url: &LibraryUrl,
        password: Option<Password>,
        query_timeout_s: u64,
    ) -> Result<Self, ClickHouseError> {
        let mut client = Client::new(url, password, query_timeout_s)?;
        client.probe_settings()?;
        let read_only = client.read_only()?;
        let found = schema::check(&client, &url.database)?;
        if found < SCHEMA_VERSION {
            if read_only {
                return Err(if found == 0 {
                    // Creating the library's tables needs write access.
                    ClickHouseError::ReadOnly {
                        server: url.server(),
                        user: url.user.clone(),
                    }
                } else {
                    ClickHouseError::Server {
                        server: url.server(),
                        code: None,
                        message: format!(
                            "the library in database {} has schema version {found} and needs an upgrade, which user {:?} may not make (read-only); open it once as a user with write access",
                            url.database, url.user
                        ),
                    }
                });
            }
            schema::ensure(&client, &url.database)?;
        }
        let shards = schema::shards(&client, &url.database)?;
        if shards.is_some() {
            client.set_distributed();
        }
        Ok(Self {
            client,
            url: url.clone(),
            db: url.database.clone(),
            shards,
            read_only,
            location: url.to_string(),
        })
    }

    /// Makes the database of `router` a sharded library: `Distributed` tables over `cluster`
    /// (a cluster of the router's `remote_servers`) for the tables that every shard holds in
    /// its database `shard_database`, each shard's library made first by opening
    /// `clickhouse://…@SHARD/shard_database`. Rows are spread by session id; see
    /// docs/CLICKHOUSE.md, "Sharding".
    pub fn create_sharded(
        router: &LibraryUrl,
        password: Option<Password>,
        cluster: &str,
        shard_database: &str,
    ) -> Result<Self, ClickHouseError> {
        for (what, name) in [("cluster", cluster), ("shard database", shard_database)] {
            if !url::is_identifier(name) {
                return Err(ClickHouseError::Url {
                    url: router.to_string(),
                    reason: format!("the {what} must be a name of letters, digits and _"),
                });
            }
        }
        let mut client = Client::new(router, password.clone(), DEFAULT_QUERY_TIMEOUT_S)?;
        client.probe_settings()?;
        schema::create_router(&client, &router.database, cluster, shard_database)?;
        Self::open(router, password)
    }

    /// True when the library's user may only read.
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Number of shards when the library is sharded.
    #[must_use]
    pub fn shards(&self) -> Option<u32> {
        self.shards
    }

    /// The library's URL (no password in it).
    #[must_use]
    pub fn url(&self) -> &LibraryUrl {
        &self.url
    }

    /// `db.name` of a table.
    fn table(&self, name: &str) -> String {
        format!("{}.{name}", self.db)
    }
}
