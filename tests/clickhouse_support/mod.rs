//! A real `clickhouse-server` for the integration tests: started as a normal process on
//! 127.0.0.1 with a configuration, data folder and free ports of its own, ready once `GET /ping`
//! answers, and stopped (and its folder removed) when dropped.
//!
//! When the server binary is absent the tests that need one say so loudly on stderr and pass,
//! unless `SESSIONLENS_REQUIRE_CLICKHOUSE=1` (CI sets it), then they fail.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// The server binary: `SESSIONLENS_CLICKHOUSE_SERVER` (absent when that is not a file), else
/// Debian's path, else `PATH`.
fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SESSIONLENS_CLICKHOUSE_SERVER") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let debian = Path::new("/usr/sbin/clickhouse-server");
    if debian.is_file() {
        return Some(debian.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("clickhouse-server"))
            .find(|candidate| candidate.is_file())
    })
}

/// True when a missing server must fail the test instead of skipping it.
fn required() -> bool {
    std::env::var("SESSIONLENS_REQUIRE_CLICKHOUSE").is_ok_and(|v| v == "1")
}

/// Ports handed out so far by this process.
static PORTS_GIVEN: AtomicU16 = AtomicU16::new(0);
/// Ports each test process may hand out (three per server).
const PORTS_PER_PROCESS: u16 = 500;

/// A TCP port on 127.0.0.1 that is free when asked (the server binds it a moment later) and
/// that this process never handed out before: tests start servers on parallel threads, and
/// asking the system for any free port can give two of them the same one before either binds
/// it. Each process takes its ports from a range of its own (by process id), checking each.
fn free_port() -> u16 {
    let range = u16::try_from(std::process::id() % 90).unwrap_or(0);
    let base = 15_000 + range * PORTS_PER_PROCESS;
    loop {
        let n = PORTS_GIVEN.fetch_add(1, Ordering::Relaxed);
        assert!(
            n < PORTS_PER_PROCESS,
            "more than {PORTS_PER_PROCESS} ports asked for by one test process"
        );
        let port = base + n;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Makes, in `dir`, a test certificate authority (`ca.pem`) and a server certificate for
/// `127.0.0.1` signed by it (`server.pem`, `server.key`), with `openssl`.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (apt-get install openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("certificate extensions");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "3650",
        "-subj",
        "/CN=SessionLens test authority",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "3650",
        "-extfile",
        "server.ext",
    ]);
}

/// One shard of a cluster the server knows (`remote_servers`), by TCP port on 127.0.0.1.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// TCP (native protocol) port of each shard's one replica; 0 stands for the server being
    /// started itself.
    pub shard_tcp_ports: Vec<u16>,
}

/// A running server.
pub struct ClickHouseServer {
    child: Child,
    dir: tempfile::TempDir,
    /// HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// Native protocol port on 127.0.0.1.
    pub tcp_port: u16,
    /// HTTPS port on 127.0.0.1 (a server started with TLS), its certificate for `127.0.0.1`
    /// signed by the authority in `ca.pem` of its folder ([`Self::ca_file`]).
    pub https_port: Option<u16>,
}

/// Users of every test server: `default` (no password, may write), `analyst` (password
/// `secret`, may write) and `viewer` (password `viewer`, read-only).
const USERS_XML: &str = r#"<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <analyst>
            <password>secret</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </analyst>
        <viewer>
            <password>viewer</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>readonly</profile>
            <quota>default</quota>
        </viewer>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
"#;

impl ClickHouseServer {
    /// Starts a server, or returns `None` (after saying so on stderr) when the binary is absent
    /// and not required. `test` names the caller in that message.
    pub fn start_or_skip(test: &str) -> Option<Self> {
        Self::start_with_clusters_or_skip(test, &[])
    }

    /// Like [`Self::start_or_skip`], with clusters in `remote_servers` (for `Distributed`
    /// tables).
    pub fn start_with_clusters_or_skip(test: &str, clusters: &[Cluster]) -> Option<Self> {
        let binary = Self::binary_or_skip(test)?;
        Some(Self::start(&binary, clusters))
    }

    /// The server binary, or `None` (after saying so on stderr) when it is absent and not
    /// required.
    fn binary_or_skip(test: &str) -> Option<PathBuf> {
        let Some(binary) = server_binary() else {
            assert!(
                !required(),
                "{test}: clickhouse-server is not installed, and SESSIONLENS_REQUIRE_CLICKHOUSE=1 \
                 requires it (apt-get install clickhouse-server clickhouse-client)"
            );
            eprintln!(
                "\n!!!!! {test}: SKIPPED: clickhouse-server is not installed \
                 (apt-get install clickhouse-server clickhouse-client; set \
                 SESSIONLENS_REQUIRE_CLICKHOUSE=1 to make this a failure) !!!!!\n"
            );
            return None;
        };
        Some(binary)
    }

    /// Like [`Self::start_or_skip`], also serving HTTPS with a certificate of a test authority
    /// made here (with `openssl`).
    pub fn start_with_tls_or_skip(test: &str) -> Option<Self> {
        let binary = Self::binary_or_skip(test)?;
        Some(Self::start_with(&binary, &[], true))
    }

    /// The PEM file of the authority behind the HTTPS certificate.
    #[must_use]
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Starts a server; a port taken by another process between the check and the server's
    /// bind makes the server exit at once, and it is started again on new ports (3 tries).
    fn start(binary: &Path, clusters: &[Cluster]) -> Self {
        Self::start_with(binary, clusters, false)
    }

    fn start_with(binary: &Path, clusters: &[Cluster], tls: bool) -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(binary, clusters, tls) {
                Ok(server) => return server,
                Err(logs) if logs.contains("Address already in use") => last = logs,
                Err(logs) => panic!("clickhouse-server did not start:\n{logs}"),
            }
        }
        panic!("clickhouse-server found its ports taken three times:\n{last}");
    }

    fn try_start(binary: &Path, clusters: &[Cluster], tls: bool) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("sessionlens-clickhouse-")
            .tempdir()
            .expect("a temporary folder");
        let root = dir.path();
        for sub in ["data", "tmp", "user_files", "format_schemas"] {
            std::fs::create_dir_all(root.join(sub)).expect("server folders");
        }
        let (http_port, tcp_port, interserver_port) = (free_port(), free_port(), free_port());
        let mut remote_servers = String::new();
        for cluster in clusters {
            let _ = write!(remote_servers, "<{}>", cluster.name);
            for &port in &cluster.shard_tcp_ports {
                let port = if port == 0 { tcp_port } else { port };
                let _ = write!(
                    remote_servers,
                    "<shard><replica><host>127.0.0.1</host><port>{port}</port></replica></shard>"
                );
            }
            let _ = write!(remote_servers, "</{}>", cluster.name);
        }
        let root_text = root.display();
        let https_port = tls.then(free_port);
        let https = match https_port {
            Some(port) => {
                make_certificates(root);
                format!(
                    "<https_port>{port}</https_port>
    <openSSL><server>
        <certificateFile>{root_text}/server.pem</certificateFile>
        <privateKeyFile>{root_text}/server.key</privateKeyFile>
        <verificationMode>none</verificationMode>
        <loadDefaultCAFile>false</loadDefaultCAFile>
        <cacheSessions>true</cacheSessions>
        <disableProtocols>sslv2,sslv3</disableProtocols>
        <preferServerCiphers>true</preferServerCiphers>
    </server></openSSL>"
                )
            }
            None => String::new(),
        };
        let config = format!(
            r#"<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{root_text}/server.log</log>
        <errorlog>{root_text}/server.err.log</errorlog>
        <console>0</console>
    </logger>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <interserver_http_port>{interserver_port}</interserver_http_port>
    <listen_host>127.0.0.1</listen_host>
    <path>{root_text}/data/</path>
    <tmp_path>{root_text}/tmp/</tmp_path>
    <user_files_path>{root_text}/user_files/</user_files_path>
    <format_schema_path>{root_text}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <remote_servers>{remote_servers}</remote_servers>
    {https}
</yandex>
"#
        );
        std::fs::write(root.join("config.xml"), config).expect("server config");
        std::fs::write(root.join("users.xml"), USERS_XML).expect("server users");
        let stdout = std::fs::File::create(root.join("stdout.log")).expect("server stdout file");
        let stderr = std::fs::File::create(root.join("stderr.log")).expect("server stderr file");
        let child = Command::new(binary)
            .arg(format!(
                "--config-file={}",
                root.join("config.xml").display()
            ))
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut server = Self {
            child,
            dir,
            http_port,
            tcp_port,
            https_port,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Waits until `GET /ping` answers `Ok.`; the server's error log when the process exits or
    /// 60 s pass.
    fn wait_ready(&mut self) -> Result<(), String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}/ping", self.http_port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut response) = agent.get(&url).call()
                && response
                    .body_mut()
                    .read_to_string()
                    .is_ok_and(|b| b.starts_with("Ok."))
            {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "clickhouse-server exited ({status}) before it was ready:\n{}",
                    self.logs()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "clickhouse-server not ready after 60 s:\n{}",
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The tail of the server's error log and stderr (for failure messages).
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["server.err.log", "stderr.log"] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            let _ = writeln!(out, "--- {name}:");
            for line in tail.into_iter().rev() {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }

    /// `clickhouse://USER@127.0.0.1:PORT/DATABASE` of this server.
    pub fn library_url(&self, user: &str, database: &str) -> String {
        format!(
            "clickhouse://{user}@127.0.0.1:{}/{database}",
            self.http_port
        )
    }

    /// Runs one statement as `default` over HTTP; returns the response body, failing the test
    /// on an error.
    pub fn sql(&self, statement: &str) -> String {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut response = agent
            .post(&format!("http://127.0.0.1:{}/", self.http_port))
            .send(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        let status = response.status();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        assert!(status.is_success(), "{statement}: HTTP {status}: {body}");
        body
    }

    /// Stops the server now (as dropping it does).
    pub fn stop(self) {}
}

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        // The data folder is thrown away with the server: no clean shutdown is needed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
