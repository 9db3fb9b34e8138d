//! The library URL `clickhouse://USER@HOST:PORT/DATABASE` (`clickhouses://` over TLS) and the
//! password, which never comes from the URL or the command line.

use std::fmt;

use super::ClickHouseError;

/// The environment variable holding the password.
pub const PASSWORD_ENV: &str = "SESSIONLENS_CLICKHOUSE_PASSWORD";
/// The environment variable naming a file whose first line is the password.
pub const PASSWORD_FILE_ENV: &str = "SESSIONLENS_CLICKHOUSE_PASSWORD_FILE";
/// The environment variable naming a PEM file of the certificate authorities a
/// `clickhouses://` server's certificate must chain to (a team's own CA); without it, the
/// public web's (Mozilla's list, built in).
pub const CA_FILE_ENV: &str = "SESSIONLENS_CLICKHOUSE_CA_FILE";
/// The HTTP port when the URL names none.
pub const DEFAULT_HTTP_PORT: u16 = 8123;
/// The HTTPS port when a `clickhouses://` URL names none (ClickHouse's `https_port`).
pub const DEFAULT_HTTPS_PORT: u16 = 8443;

/// A parsed library URL (no password in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryUrl {
    /// ClickHouse user (`default` when the URL names none).
    pub user: String,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// HTTP (or HTTPS) port.
    pub http_port: u16,
    /// Database holding the library's tables.
    pub database: String,
    /// HTTPS (`clickhouses://`): the server's certificate is checked against `ca_file`, or
    /// the public web's authorities.
    pub secure: bool,
    /// A PEM file of the authorities to trust instead of the public web's (from
    /// [`CA_FILE_ENV`] when opened by URL text; not part of the URL).
    pub ca_file: Option<std::path::PathBuf>,
}

/// True for a database, table or cluster name SQL can hold unquoted: letters, digits and `_`,
/// not starting with a digit.
pub(crate) fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !text.as_bytes()[0].is_ascii_digit()
}

/// True when the authority of `text` holds `user:password@`.
fn has_password(text: &str) -> bool {
    text.split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .and_then(|authority| authority.rsplit_once('@'))
        .is_some_and(|(user, _)| user.contains(':'))
}

impl LibraryUrl {
    /// The scheme's length and whether it is the TLS one, when `text` starts with
    /// `clickhouse://` or `clickhouses://`.
    fn scheme(text: &str) -> Option<(usize, bool)> {
        let starts = |scheme: &str| {
            text.get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        };
        if starts("clickhouse://") {
            Some((13, false))
        } else if starts("clickhouses://") {
            Some((14, true))
        } else {
            None
        }
    }

    /// True when `text` is meant as a ClickHouse library (starts with `clickhouse://`, or
    /// `clickhouses://` for HTTPS).
    #[must_use]
    pub fn is_clickhouse(text: &str) -> bool {
        Self::scheme(text).is_some()
    }

    /// Parses `clickhouse://[USER@]HOST[:PORT]/DATABASE` (port 8123 by default) or
    /// `clickhouses://…` (HTTPS, port 8443 by default). A password in the URL is refused.
    pub fn parse(text: &str) -> Result<Self, ClickHouseError> {
        let err = |reason: &str| ClickHouseError::Url {
            // The URL is only echoed when it holds no password.
            url: if has_password(text) {
                "clickhouse://…".to_owned()
            } else {
                text.to_owned()
            },
            reason: reason.to_owned(),
        };
        let Some((scheme_len, secure)) = Self::scheme(text) else {
            return Err(err(
                "it does not start with clickhouse:// (or clickhouses:// for HTTPS)",
            ));
        };
        let rest = &text[scheme_len..];
        let (authority, database) = rest
            .split_once('/')
            .ok_or_else(|| err("it names no database"))?;
        let database = database.trim_end_matches('/');
        if !is_identifier(database) {
            return Err(err(
                "the database must be a name of letters, digits and _ (not starting with a digit)",
            ));
        }
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host_port)) => {
                if user.contains(':') {
                    return Err(err(
                        "a password in the URL would show in process lists and logs; put it in SESSIONLENS_CLICKHOUSE_PASSWORD or a file named by SESSIONLENS_CLICKHOUSE_PASSWORD_FILE",
                    ));
                }
                if user.is_empty() {
                    return Err(err("the user before @ is empty"));
                }
                (user.to_owned(), host_port)
            }
            None => ("default".to_owned(), authority),
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| err("an IPv6 address lacks its closing ]"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(err("text after the IPv6 address")),
            };
            (host.to_owned(), port)
        } else {
            match host_port.split_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (host_port.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err(err("it names no host"));
        }
        let http_port = match port {
            None if secure => DEFAULT_HTTPS_PORT,
            None => DEFAULT_HTTP_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| err("the port is not a number from 1 to 65535"))?,
        };
        Ok(Self {
            user,
            host,
            http_port,
            database: database.to_owned(),
            secure,
            ca_file: None,
        })
    }

    /// The URL with the authorities of [`CA_FILE_ENV`] when that is set (and not empty).
    #[must_use]
    pub fn with_ca_file_from_env(mut self) -> Self {
        self.ca_file = std::env::var_os(CA_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from);
        self
    }

    /// `host:port`, as error messages name the server.
    #[must_use]
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.http_port)
        } else {
            format!("{}:{}", self.host, self.http_port)
        }
    }
}

impl fmt::Display for LibraryUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}@{}/{}",
            if self.secure {
                "clickhouses"
            } else {
                "clickhouse"
            },
            self.user,
            self.server(),
            self.database
        )
    }
}

/// A password: never printed (its `Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// A password given directly (tests, a UI prompt).
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The password from [`PASSWORD_ENV`], else from the file named by [`PASSWORD_FILE_ENV`]
    /// (its first line), else none.
    pub fn from_env() -> Result<Option<Self>, ClickHouseError> {
        Self::from_sources(
            std::env::var(PASSWORD_ENV).ok(),
            std::env::var_os(PASSWORD_FILE_ENV).map(std::path::PathBuf::from),
        )
    }

    /// [`Self::from_env`] over given values.
    pub fn from_sources(
        value: Option<String>,
        file: Option<std::path::PathBuf>,
    ) -> Result<Option<Self>, ClickHouseError> {
        if let Some(value) = value {
            return Ok(Some(Self(value)));
        }
        let Some(path) = file else {
            return Ok(None);
        };
        let text =
            std::fs::read_to_string(&path).map_err(|error| ClickHouseError::PasswordFile {
                path: path.display().to_string(),
                error,
            })?;
        Ok(Some(Self(text.lines().next().unwrap_or("").to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = LibraryUrl::parse("clickhouse://analyst@db.example:9123/team").expect("parse");
        assert_eq!(
            url,
            LibraryUrl {
                user: "analyst".to_owned(),
                host: "db.example".to_owned(),
                http_port: 9123,
                database: "team".to_owned(),
                secure: false,
                ca_file: None,
            }
        );
        assert_eq!(url.to_string(), "clickhouse://analyst@db.example:9123/team");
        // HTTPS: its own scheme and default port.
        let url = LibraryUrl::parse("clickhouses://analyst@db.example/team").expect("parse");
        assert!(url.secure);
        assert_eq!(url.http_port, 8443);
        assert_eq!(
            url.to_string(),
            "clickhouses://analyst@db.example:8443/team"
        );
        assert!(LibraryUrl::is_clickhouse("CLICKHOUSES://h/db"));
        assert!(
            !LibraryUrl::parse("clickhouse://h/db")
                .expect("parse")
                .secure
        );
        let url = LibraryUrl::parse("ClickHouse://[::1]/lib_2").expect("parse");
        assert_eq!(
            (url.user.as_str(), url.host.as_str(), url.http_port),
            ("default", "::1", 8123)
        );
        assert_eq!(url.server(), "[::1]:8123");
        for bad in [
            "clickhouse://host:8123",
            "clickhouse://host:8123/",
            "clickhouse://host:99999/db",
            "clickhouse://host:0/db",
            "clickhouse://:8123/db",
            "clickhouse://host/db-name",
            "clickhouse://host/1db",
            "clickhouse://@host/db",
            "sqlite://x/db",
        ] {
            assert!(LibraryUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_password_never_shows() {
        let e = LibraryUrl::parse("clickhouse://bob:hunter2@host/db").expect_err("refused");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(
            e.to_string().contains("SESSIONLENS_CLICKHOUSE_PASSWORD"),
            "{e}"
        );
        let p = Password::new("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn password_sources() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").expect("write");
        assert_eq!(
            Password::from_sources(Some("env".to_owned()), Some(file.clone())).expect("ok"),
            Some(Password::new("env"))
        );
        assert_eq!(
            Password::from_sources(None, Some(file)).expect("ok"),
            Some(Password::new("from-file"))
        );
        assert_eq!(Password::from_sources(None, None).expect("ok"), None);
        assert!(Password::from_sources(None, Some(dir.path().join("missing"))).is_err());
    }
}
