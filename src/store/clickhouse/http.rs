//! The HTTP interface of ClickHouse, spoken with a blocking client: one request per statement,
//! user and password in the `X-ClickHouse-User`/`X-ClickHouse-Key` headers (never in the URL,
//! so never in a server's or proxy's access log).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::ClickHouseError;
use super::url::{LibraryUrl, Password};

/// Server exception codes this client tells apart (ClickHouse's `ErrorCodes`).
mod code {
    pub const TIMEOUT_EXCEEDED: u32 = 159;
    pub const READONLY: u32 = 164;
    pub const UNKNOWN_USER: u32 = 192;
    pub const WRONG_PASSWORD: u32 = 193;
    pub const REQUIRED_PASSWORD: u32 = 194;
    pub const IP_ADDRESS_NOT_ALLOWED: u32 = 195;
    pub const AUTHENTICATION_FAILED: u32 = 516;
}

/// A connection to one server as one user.
pub(crate) struct Client {
    agent: ureq::Agent,
    endpoint: String,
    server: String,
    user: String,
    password: Option<Password>,
    /// `max_execution_time` of every query, s.
    query_timeout_s: u64,
    /// False for a user whose profile has `readonly = 1`, which may not set even
    /// `max_execution_time` (the server's own limit applies then).
    send_settings: bool,
    /// Talking to a sharded library's router: subqueries run on each shard over its own
    /// tables, and inserts reach the shards before they return.
    distributed: bool,
    /// Every query's `query_id` is this, a dash and a counter, so [`QueryKiller`] can stop
    /// this client's queries and no one else's.
    query_tag: String,
    queries_sent: AtomicU64,
}

/// The certificates of the PEM file `path`: the authorities a server's certificate must chain
/// to.
fn authorities(
    path: &std::path::Path,
) -> Result<Vec<ureq::tls::Certificate<'static>>, ClickHouseError> {
    let fail = |reason: String| ClickHouseError::CaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certificates.push(c),
            Ok(_) => {}
            Err(e) => return Err(fail(format!("not PEM ({e})"))),
        }
    }
    if certificates.is_empty() {
        return Err(fail("it holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}

/// What a request carries besides its query.
enum Body<'a> {
    /// The query alone, as the body.
    Statement,
    /// The query in the URL, rows to insert as the body.
    Rows(&'a [u8]),
    /// The query in the URL, a temporary table for it as the body (`multipart/form-data`).
    Table {
        name: &'a str,
        structure: &'a str,
        rows: &'a [u8],
    },
}

/// Clients made by this process, for their query tags.
static CLIENTS_MADE: AtomicU64 = AtomicU64::new(0);

/// Stops the queries a [`Client`] is running (`KILL QUERY` of its query tag), from any thread,
/// without waiting: the statement is sent by a thread of its own. A read-only user may not
/// kill queries; its queries then run on to the server's time limit.
#[derive(Clone)]
pub(crate) struct QueryKiller {
    agent: ureq::Agent,
    endpoint: String,
    user: String,
    password: Option<Password>,
    query_tag: String,
}

impl QueryKiller {
    /// Asks the server to stop every query of the client; returns at once. The thread that
    /// asks ends with its request.
    pub(crate) fn kill(&self) {
        let killer = self.clone();
        // A thread that cannot start leaves the queries to their time limit.
        let _ = std::thread::Builder::new()
            .name("clickhouse-kill-query".to_owned())
            .spawn(move || {
                let _ = killer.kill_now();
            });
    }

    /// Sends the `KILL QUERY` and waits for the server's answer.
    pub(crate) fn kill_now(&self) -> Result<(), ureq::Error> {
        let statement = format!(
            "KILL QUERY WHERE query_id LIKE '{}-%' ASYNC FORMAT TabSeparated",
            self.query_tag
        );
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("X-ClickHouse-User", &self.user);
        if let Some(password) = &self.password {
            request = request.header("X-ClickHouse-Key", password.expose());
        }
        request.send(statement.as_bytes()).map(drop)
    }
}

impl crate::store::Interrupt for QueryKiller {
    fn interrupt(&self) {
        self.kill();
    }
}

/// Percent-encodes a URL query value.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The exception code at the start of a server error body (`Code: 60, e.displayText() = …`
/// in old releases, `Code: 60. DB::Exception: …` in new ones).
fn exception_code(body: &str) -> Option<u32> {
    let rest = body.trim_start().strip_prefix("Code: ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Client {
    pub(crate) fn new(
        url: &LibraryUrl,
        password: Option<Password>,
        query_timeout_s: u64,
    ) -> Result<Self, ClickHouseError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = url.ca_file.as_deref().filter(|_| url.secure) {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&authorities(path)?));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls.build())
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            // The server stops a query at max_execution_time; the socket waits a little longer
            // so the server's own message arrives.
            .timeout_global(Some(Duration::from_secs(
                query_timeout_s.saturating_add(30),
            )))
            .build()
            .into();
        let scheme = if url.secure { "https" } else { "http" };
        let endpoint = if url.host.contains(':') {
            format!("{scheme}://[{}]:{}/", url.host, url.http_port)
        } else {
            format!("{scheme}://{}:{}/", url.host, url.http_port)
        };
        Ok(Self {
            agent,
            endpoint,
            server: url.server(),
            user: url.user.clone(),
            password,
            query_timeout_s,
            send_settings: true,
            distributed: false,
            query_tag: format!(
                "sessionlens-{}-{}-{}",
                std::process::id(),
                CLIENTS_MADE.fetch_add(1, Ordering::Relaxed),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos())
            ),
            queries_sent: AtomicU64::new(0),
        })
    }

    /// The way to stop this client's queries from another thread.
    pub(crate) fn killer(&self) -> QueryKiller {
        QueryKiller {
            agent: self.agent.clone(),
            endpoint: self.endpoint.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            query_tag: self.query_tag.clone(),
        }
    }

    /// Sends the settings of a sharded library's router from now on.
    pub(crate) fn set_distributed(&mut self) {
        self.distributed = true;
    }

    /// Asks the server whether this user may set `max_execution_time`; a `readonly = 1` user
    /// may not, and its queries are then sent without it.
    pub(crate) fn probe_settings(&mut self) -> Result<(), ClickHouseError> {
        match self.query("SELECT 1 FORMAT RowBinary") {
            Err(ClickHouseError::ReadOnly { .. }) => {
                self.send_settings = false;
                self.query("SELECT 1 FORMAT RowBinary").map(drop)
            }
            other => other.map(drop),
        }
    }

    /// True when this user's profile makes it read-only (`readonly` 1 or 2: no writes).
    pub(crate) fn read_only(&self) -> Result<bool, ClickHouseError> {
        let answer = self
            .query("SELECT value FROM system.settings WHERE name = 'readonly' FORMAT RowBinary")?;
        let value = super::rowbinary::RowReader::new(&answer)
            .string()
            .ok_or_else(|| self.decode_error("the readonly setting"))?;
        Ok(value.trim() != "0")
    }

    /// `host:port`.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// The user.
    pub(crate) fn user(&self) -> &str {
        &self.user
    }

    /// Sends `query` (in the URL when `data` follows it in the body, else as the body) and
    /// returns the response body.
    fn request(&self, query: &str, data: Option<&[u8]>) -> Result<Vec<u8>, ClickHouseError> {
        self.send(query, data.map_or(Body::Statement, Body::Rows))
    }

    /// Sends `query` with its body (see [`Body`]) and returns the response body.
    fn send(&self, query: &str, body: Body<'_>) -> Result<Vec<u8>, ClickHouseError> {
        let n = self.queries_sent.fetch_add(1, Ordering::Relaxed);
        let mut url = format!("{}?query_id={}-{n}&", self.endpoint, self.query_tag);
        if self.send_settings {
            url.push_str(&format!("max_execution_time={}&", self.query_timeout_s));
            if self.distributed {
                url.push_str("distributed_product_mode=local&insert_distributed_sync=1&");
            }
        }
        let multipart;
        let mut content_type = None;
        let boundary = format!("sessionlens-table-{}", self.query_tag);
        let body: &[u8] = match body {
            Body::Rows(data) => {
                url.push_str("query=");
                url.push_str(&encode_component(query));
                data
            }
            Body::Statement => query.as_bytes(),
            Body::Table {
                name,
                structure,
                rows,
            } => {
                url.push_str(&format!(
                    "query={}&{name}_structure={}&{name}_format=RowBinary",
                    encode_component(query),
                    encode_component(structure)
                ));
                let mut out = Vec::with_capacity(rows.len() + 256);
                out.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(rows);
                out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                multipart = out;
                content_type = Some(format!("multipart/form-data; boundary={boundary}"));
                &multipart
            }
        };
        let mut request = self
            .agent
            .post(&url)
            .header("X-ClickHouse-User", &self.user);
        if let Some(content_type) = &content_type {
            request = request.header("Content-Type", content_type);
        }
        if let Some(password) = &self.password {
            request = request.header("X-ClickHouse-Key", password.expose());
        }
        let mut response = request.send(body).map_err(|e| self.transport(&e))?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| self.transport(&e))?;
        if status.is_success() {
            return Ok(bytes);
        }
        let message = String::from_utf8_lossy(&bytes).trim().to_owned();
        Err(self.server_error(status.as_u16(), message))
    }

    fn transport(&self, e: &ureq::Error) -> ClickHouseError {
        let detail = e.to_string();
        let tls = matches!(e, ureq::Error::Tls(_) | ureq::Error::Rustls(_))
            || (self.endpoint.starts_with("https:")
                && [
                    "certificate",
                    "corrupt message",
                    "tls",
                    "TLS",
                    "handshake",
                    "alert",
                ]
                .iter()
                .any(|w| detail.contains(w)));
        if tls {
            return ClickHouseError::Tls {
                server: self.server.clone(),
                detail,
            };
        }
        ClickHouseError::Unreachable {
            server: self.server.clone(),
            detail: e.to_string(),
        }
    }

    fn server_error(&self, status: u16, message: String) -> ClickHouseError {
        let code = exception_code(&message);
        match code {
            Some(
                code::UNKNOWN_USER
                | code::WRONG_PASSWORD
                | code::REQUIRED_PASSWORD
                | code::IP_ADDRESS_NOT_ALLOWED
                | code::AUTHENTICATION_FAILED,
            ) => ClickHouseError::Auth {
                server: self.server.clone(),
                user: self.user.clone(),
            },
            Some(code::READONLY) => ClickHouseError::ReadOnly {
                server: self.server.clone(),
                user: self.user.clone(),
            },
            Some(code::TIMEOUT_EXCEEDED) => ClickHouseError::Timeout {
                server: self.server.clone(),
                seconds: self.query_timeout_s,
            },
            _ => ClickHouseError::Server {
                server: self.server.clone(),
                code,
                message: if message.is_empty() {
                    format!("HTTP status {status}")
                } else {
                    message
                },
            },
        }
    }

    /// Runs a statement that returns nothing of interest.
    pub(crate) fn execute(&self, statement: &str) -> Result<(), ClickHouseError> {
        self.request(statement, None).map(drop)
    }

    /// Runs a query and returns its raw answer (the query names its `FORMAT`).
    pub(crate) fn query(&self, query: &str) -> Result<Vec<u8>, ClickHouseError> {
        self.request(query, None)
    }

    /// Runs a query that reads `rows` (RowBinary of `structure`, e.g. `k Int64, n UInt32`) as a
    /// temporary table `name` sent along with it (ClickHouse's external data): any number of
    /// keys, where a list in the query's text stops at the server's 256 KiB.
    pub(crate) fn query_with_table(
        &self,
        query: &str,
        name: &str,
        structure: &str,
        rows: &[u8],
    ) -> Result<Vec<u8>, ClickHouseError> {
        self.send(
            query,
            Body::Table {
                name,
                structure,
                rows,
            },
        )
    }

    /// Runs `INSERT INTO {table_and_columns} FORMAT RowBinary` with `rows` as the data.
    pub(crate) fn insert_rowbinary(
        &self,
        table_and_columns: &str,
        rows: &[u8],
    ) -> Result<(), ClickHouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.request(
            &format!("INSERT INTO {table_and_columns} FORMAT RowBinary"),
            Some(rows),
        )
        .map(drop)
    }

    /// A decode error naming this server.
    pub(crate) fn decode_error(&self, detail: impl Into<String>) -> ClickHouseError {
        ClickHouseError::Decode {
            server: self.server.clone(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_old_and_new_servers() {
        assert_eq!(
            exception_code("Code: 193, e.displayText() = DB::Exception: Wrong password"),
            Some(193)
        );
        assert_eq!(
            exception_code("Code: 516. DB::Exception: default: Authentication failed"),
            Some(516)
        );
        assert_eq!(exception_code("Bad request"), None);
        assert_eq!(encode_component("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }
}
