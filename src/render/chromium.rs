//! Full-page screenshots of rebuilt recorded pages with headless Chromium, an optional runtime
//! dependency (`sessionlens snapshot`). Chromium runs with a fresh profile, without network
//! (every host name resolves to nothing, so a page's images and fonts from the shop's servers
//! are not fetched: no request leaves the machine), and is killed if it takes too long.
//!
//! Two opt-ins change that, per render ([`Access`]): a folder of the site's files served by
//! path from a server on 127.0.0.1 that lives only for the render (the page's host is mapped to
//! it, so `https://shop.test/img/x.png` is read from `DIR/img/x.png`), and letting Chromium load
//! from the page's own origin and named hosts (`--fetch-assets`, which contacts the site).

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How to install Chromium, for messages.
pub const INSTALL_HINT: &str = "install Chromium (Debian/Ubuntu: `apt-get install chromium`; \
     macOS: `brew install --cask chromium`) or point SESSIONLENS_CHROMIUM at a Chrome or \
     Chromium binary";
/// Tallest screenshot taken, CSS px (Chromium's compositor limit); taller pages are cut there.
pub const MAX_HEIGHT_PX: u32 = 16_384;
/// Longest one Chromium run may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChromiumError {
    /// No Chromium binary was found.
    #[error("Chromium not found: {INSTALL_HINT}")]
    NotFound,
    /// Chromium could not be started, failed, or timed out.
    #[error("Chromium ({binary}) {what}")]
    Failed {
        /// The binary.
        binary: String,
        /// What went wrong.
        what: String,
    },
    /// A temporary file could not be written or read.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        error: std::io::Error,
    },
}

/// What a render may load besides the page itself (nothing by default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// A folder of the site's files, served by path for the page's host from 127.0.0.1.
    pub assets_dir: Option<PathBuf>,
    /// Let Chromium load from the page's own origin (and [`Access::hosts`]) over the network.
    pub fetch: bool,
    /// More hosts Chromium may load from when [`Access::fetch`] is set.
    pub hosts: Vec<String>,
}

/// A rendered page.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The PNG.
    pub png: Vec<u8>,
    /// The page height measured, CSS px.
    pub height_px: u32,
    /// Files served from [`Access::assets_dir`] (requests answered with a file).
    pub assets_served: usize,
}

/// `scheme`, `authority` (host and port) and `host` of an absolute http(s) URL.
fn origin_of(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| &authority[..=h.len()])?
    } else {
        authority.split(':').next()?
    };
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']')
            })
    };
    (safe(authority) && safe(host)).then_some((scheme, authority, host))
}

/// A host name safe to put in Chromium's resolver rules.
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*'))
}

/// A Chromium binary.
#[derive(Clone, Debug)]
pub struct Chromium {
    binary: PathBuf,
}

/// Script added to the page to report its height in the dumped DOM.
const HEIGHT_PROBE: &str = "<script>addEventListener('load',function(){var d=document.documentElement,b=document.body;\
d.setAttribute('data-sessionlens-height',String(Math.ceil(Math.max(d.scrollHeight,b?b.scrollHeight:0))));});</script>";

impl Chromium {
    /// `$SESSIONLENS_CHROMIUM`, else the first of `chromium`, `chromium-browser`,
    /// `google-chrome`, `google-chrome-stable` on `PATH`.
    pub fn find() -> Result<Self, ChromiumError> {
        if let Some(path) = std::env::var_os("SESSIONLENS_CHROMIUM") {
            let binary = PathBuf::from(path);
            return if binary.is_file() {
                Ok(Self { binary })
            } else {
                Err(ChromiumError::NotFound)
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path) {
            for name in [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ] {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Ok(Self { binary: candidate });
                }
            }
        }
        Err(ChromiumError::NotFound)
    }

    /// The binary used.
    #[must_use]
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Renders `html` at `width_px` CSS px, the whole page height (up to [`MAX_HEIGHT_PX`]),
    /// without network; returns the PNG and the page height measured, CSS px.
    pub fn screenshot(&self, html: &str, width_px: u32) -> Result<(Vec<u8>, u32), ChromiumError> {
        self.render(html, width_px, "", &Access::default())
            .map(|r| (r.png, r.height_px))
    }

    /// Renders `html`, the page recorded at `page_url`, at `width_px` CSS px, the whole page
    /// height (up to [`MAX_HEIGHT_PX`]), loading only what `access` allows.
    pub fn render(
        &self,
        html: &str,
        width_px: u32,
        page_url: &str,
        access: &Access,
    ) -> Result<Rendered, ChromiumError> {
        let origin = origin_of(page_url);
        let server = match (&access.assets_dir, origin) {
            (Some(dir), Some(_)) => Some(AssetServer::start(dir)?),
            _ => None,
        };
        // Resolver rules: the page's host to the asset server, then nothing resolves, except
        // (with fetch) the page's host and the hosts named.
        let mut rules = Vec::new();
        let mut html = html.to_owned();
        if let (Some(server), Some((scheme, authority, host))) = (&server, origin) {
            rules.push(format!("MAP {host} 127.0.0.1:{}", server.port));
            if scheme.eq_ignore_ascii_case("https") {
                // The server speaks plain HTTP.
                html = html
                    .replace(
                        &format!("https://{authority}/"),
                        &format!("http://{authority}/"),
                    )
                    .replace(
                        &format!("https://{authority}\""),
                        &format!("http://{authority}\""),
                    );
            }
        }
        rules.push("MAP * ~NOTFOUND".to_owned());
        if access.fetch {
            let own = origin.map(|(_, _, host)| host.to_owned());
            for host in own.iter().chain(&access.hosts) {
                if is_host(host) {
                    rules.push(format!("EXCLUDE {host}"));
                }
            }
        }
        if origin.is_some() && (server.is_some() || access.fetch) {
            // Relative URLs resolve against the recorded page, not the temporary file.
            let base_url = match (&server, origin) {
                (Some(_), Some((scheme, _, _))) if scheme.eq_ignore_ascii_case("https") => {
                    format!("http{}", &page_url[scheme.len()..])
                }
                _ => page_url.to_owned(),
            };
            let mut base = String::from("<base href=\"");
            for c in base_url.chars() {
                match c {
                    '"' => base.push_str("%22"),
                    '<' => base.push_str("%3C"),
                    '>' => base.push_str("%3E"),
                    '&' => base.push_str("&amp;"),
                    c => base.push(c),
                }
            }
            base.push_str("\">");
            let at = html
                .find("<head")
                .and_then(|i| html[i..].find('>').map(|j| i + j + 1))
                .unwrap_or(0);
            html.insert_str(at, &base);
        }
        let rules = format!("--host-resolver-rules={}", rules.join(", "));
        let (png, height_px) = self.screenshot_with_rules(&html, width_px, &rules)?;
        Ok(Rendered {
            png,
            height_px,
            assets_served: server.map_or(0, |s| s.served.load(Ordering::Relaxed)),
        })
    }

    /// [`Chromium::render`] with the resolver rules made.
    fn screenshot_with_rules(
        &self,
        html: &str,
        width_px: u32,
        rules: &str,
    ) -> Result<(Vec<u8>, u32), ChromiumError> {
        let dir = tempfile::Builder::new()
            .prefix("sessionlens-chromium-")
            .tempdir()
            .map_err(|error| ChromiumError::Io {
                path: "a temporary folder".to_owned(),
                error,
            })?;
        let page = dir.path().join("page.html");
        let with_probe = match html.rfind("</body>") {
            Some(i) => format!("{}{HEIGHT_PROBE}{}", &html[..i], &html[i..]),
            None => format!("{html}{HEIGHT_PROBE}"),
        };
        std::fs::write(&page, with_probe).map_err(|error| ChromiumError::Io {
            path: page.display().to_string(),
            error,
        })?;
        let url = format!("file://{}", page.display());
        let window = |h: u32| format!("--window-size={},{h}", width_px.max(1));
        let dom = self.run(dir.path(), &[rules, &window(800), "--dump-dom", &url])?;
        let height = dom
            .split("data-sessionlens-height=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|h| h.parse::<u32>().ok())
            .unwrap_or(800)
            .clamp(1, MAX_HEIGHT_PX);
        let shot = dir.path().join("shot.png");
        let arg = format!("--screenshot={}", shot.display());
        self.run(dir.path(), &[rules, &window(height), &arg, &url])?;
        let png = std::fs::read(&shot).map_err(|error| ChromiumError::Io {
            path: shot.display().to_string(),
            error,
        })?;
        Ok((png, height))
    }

    /// Runs Chromium headless with `args` (which must hold the `--host-resolver-rules`);
    /// returns its standard output.
    fn run(&self, dir: &Path, args: &[&str]) -> Result<String, ChromiumError> {
        let profile = dir.join("profile");
        let failed = |what: String| ChromiumError::Failed {
            binary: self.binary.display().to_string(),
            what,
        };
        let mut child = Command::new(&self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--mute-audio",
                "--force-device-scale-factor=1",
                "--virtual-time-budget=3000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("could not start: {e}")))?;
        let mut stdout = child.stdout.take();
        let reader = std::thread::Builder::new()
            .name("chromium-stdout".to_owned())
            .spawn(move || {
                let mut out = String::new();
                if let Some(s) = stdout.as_mut() {
                    let _ = s.read_to_string(&mut out);
                }
                out
            })
            .map_err(|e| failed(format!("could not read its output: {e}")))?;
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(failed(format!(
                        "took over {} s and was stopped",
                        TIMEOUT.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(failed(format!("could not be waited for: {e}"))),
            }
        };
        let out = reader.join().unwrap_or_default();
        if status.success() {
            Ok(out)
        } else {
            Err(failed(format!("exited with {status}")))
        }
    }
}

/// Longest request head the asset server reads, bytes.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long the asset server waits for a request or a write, per connection.
const ASSET_IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A folder served over HTTP on 127.0.0.1 (a port the system picks) for one render: GET and
/// HEAD of files by path, nothing outside the folder, `Connection: close`. Stops when dropped.
struct AssetServer {
    port: u16,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AssetServer {
    fn start(root: &Path) -> Result<Self, ChromiumError> {
        let io = |what: &str, error| ChromiumError::Io {
            path: what.to_owned(),
            error,
        };
        let root = root
            .canonicalize()
            .map_err(|e| io(&root.display().to_string(), e))?;
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| io("a port on 127.0.0.1", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| io("a port on 127.0.0.1", e))?
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let (stop_flag, count) = (Arc::clone(&stop), Arc::clone(&served));
        let thread = std::thread::Builder::new()
            .name("asset-server".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop_flag.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(stream) = stream
                        && serve_one(stream, &root)
                    {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .map_err(|e| io("the asset-server thread", e))?;
        Ok(Self {
            port,
            stop,
            served,
            thread: Some(thread),
        })
    }
}

impl Drop for AssetServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request; true when a file was sent.
fn serve_one(mut stream: TcpStream, root: &Path) -> bool {
    let _ = stream.set_read_timeout(Some(ASSET_IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(ASSET_IO_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_BYTES {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file = if matches!(method, "GET" | "HEAD") {
        asset_path(root, target)
    } else {
        None
    };
    let body = file.as_ref().and_then(|f| std::fs::read(f).ok());
    let (status, kind, body) = match (&file, body) {
        (Some(f), Some(body)) => ("200 OK", content_type(f), body),
        _ => ("404 Not Found", "text/plain", b"not found".to_vec()),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sent = stream.write_all(header.as_bytes()).is_ok()
        && (method == "HEAD" || stream.write_all(&body).is_ok());
    sent && status.starts_with("200")
}

/// The file under `root` a request target names: percent-decoded path, query and fragment
/// dropped, `index.html` for a folder; `None` for anything that would leave `root`.
fn asset_path(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let path = path
        .strip_prefix("http://")
        .map_or(path, |rest| rest.find('/').map_or("/", |i| &rest[i..]));
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16)
        {
            decoded.push(v);
            i += 3;
        } else {
            decoded.push(b);
            i += 1;
        }
    }
    let decoded = String::from_utf8(decoded).ok()?;
    let mut out = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', ':', '\0']) => return None,
            s => out.push(s),
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    let real = out.canonicalize().ok()?;
    real.starts_with(root).then_some(real)
}

/// The Content-Type for a file, by extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    #[test]
    fn origins_hosts_and_asset_paths() {
        assert_eq!(
            origin_of("https://shop.test:8443/cart?x=1"),
            Some(("https", "shop.test:8443", "shop.test"))
        );
        assert_eq!(origin_of("file:///etc/passwd"), None);
        assert_eq!(origin_of("http://a b/"), None);
        assert!(is_host("cdn.shop.test") && !is_host("a,b") && !is_host("x y"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("img")).unwrap();
        std::fs::write(dir.path().join("img/a b.png"), b"png").unwrap();
        std::fs::write(dir.path().join("index.html"), b"<p>").unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(
            asset_path(&root, "/img/a%20b.png?v=2"),
            Some(root.join("img/a b.png"))
        );
        assert_eq!(asset_path(&root, "/"), Some(root.join("index.html")));
        assert_eq!(asset_path(&root, "/../etc/passwd"), None);
        assert_eq!(asset_path(&root, "/img/%2e%2e/%2e%2e/x"), None);
        assert_eq!(asset_path(&root, "/missing.png"), None);
        assert_eq!(content_type(Path::new("x.WOFF2")), "font/woff2");
    }

    #[test]
    fn the_asset_server_serves_the_folder_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.css"), b"p{}").unwrap();
        let server = AssetServer::start(dir.path()).unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: shop.test\r\n\r\n").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let ok = get("/x.css");
        assert!(
            ok.starts_with("HTTP/1.1 200 OK") && ok.ends_with("p{}"),
            "{ok}"
        );
        assert!(ok.contains("Content-Type: text/css"));
        assert!(get("/../x.css").starts_with("HTTP/1.1 404"));
        assert_eq!(server.served.load(Ordering::Relaxed), 1);
        let port = server.port;
        drop(server);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped");
    }
}
