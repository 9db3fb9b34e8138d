//! Full-page screenshots of rebuilt recorded pages with headless Chromium, an optional runtime
//! dependency (`sessionlens snapshot`). Chromium runs with a fresh profile, without network
//! (every host name resolves to nothing, so a page's images and fonts from the shop's servers
//! are not fetched: no request leaves the machine), and is killed if it takes too long.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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

    /// Renders `html` at `width_px` CSS px, the whole page height (up to [`MAX_HEIGHT_PX`]);
    /// returns the PNG and the page height measured, CSS px.
    pub fn screenshot(&self, html: &str, width_px: u32) -> Result<(Vec<u8>, u32), ChromiumError> {
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
        let dom = self.run(dir.path(), &[&window(800), "--dump-dom", &url])?;
        let height = dom
            .split("data-sessionlens-height=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|h| h.parse::<u32>().ok())
            .unwrap_or(800)
            .clamp(1, MAX_HEIGHT_PX);
        let shot = dir.path().join("shot.png");
        let arg = format!("--screenshot={}", shot.display());
        self.run(dir.path(), &[&window(height), &arg, &url])?;
        let png = std::fs::read(&shot).map_err(|error| ChromiumError::Io {
            path: shot.display().to_string(),
            error,
        })?;
        Ok((png, height))
    }

    /// Runs Chromium headless with `args`; returns its standard output.
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
                "--host-resolver-rules=MAP * ~NOTFOUND",
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
