//! Encoding a sequence of RGBA frames as a clip: animated GIF with the `gif` crate (one global
//! palette learnt by NeuQuant from sample frames, plus the overlay's exact colours; each frame
//! after the first only stores the rectangle that changed, unchanged pixels transparent), or
//! WebM / MP4 by piping raw RGBA frames into the system `ffmpeg`.
//!
//! Owns: clip containers and encoders. May use: `render` (images).

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::RgbaImage;
use super::replay::{
    ACCENT_RGB, CLICK_RGB, DEAD_RGB, ERROR_RGB, GRID_RGB, MUTED_RGB, NO_SHOT_RGB, RAGE_RGB,
    STAGE_BG_RGB, TOUCH_RGB, TRAIL_RGB,
};

/// What to install when `ffmpeg` is missing.
pub const FFMPEG_INSTALL_HINT: &str = "install ffmpeg (Debian/Ubuntu: `sudo apt-get install ffmpeg`, \
     Fedora: `sudo dnf install ffmpeg`, macOS: `brew install ffmpeg`), set SESSIONLENS_FFMPEG to \
     its path, or write a .gif instead (GIF needs nothing else)";
/// Environment variable naming the ffmpeg program (default `ffmpeg` on the `PATH`).
pub const FFMPEG_ENV: &str = "SESSIONLENS_FFMPEG";

/// The palette index left transparent in GIF frames (unchanged pixels).
const TRANSPARENT: u8 = 255;
/// Colours learnt from the frames; the rest of the 255 are the overlay's exact colours.
const LEARNT_COLOURS: usize = 255 - FIXED_COLOURS.len();
/// Colours drawn by the overlay and the clip's chrome, kept exact in every GIF palette.
const FIXED_COLOURS: [[u8; 3]; 17] = [
    [0, 0, 0],
    [255, 255, 255],
    TRAIL_RGB,
    CLICK_RGB,
    TOUCH_RGB,
    RAGE_RGB,
    DEAD_RGB,
    ERROR_RGB,
    ACCENT_RGB,
    STAGE_BG_RGB,
    NO_SHOT_RGB,
    GRID_RGB,
    MUTED_RGB,
    [0x11, 0x13, 0x18],
    [0xe5, 0xe7, 0xeb],
    [0xf8, 0xfa, 0xfc],
    [0x37, 0x41, 0x51],
];

/// Clip containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClipFormat {
    /// Animated GIF (built in).
    Gif,
    /// WebM, VP9 (through ffmpeg).
    WebM,
    /// MP4, H.264 (through ffmpeg).
    Mp4,
}

impl ClipFormat {
    /// The format a file name asks for, by its extension.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "gif" => Some(Self::Gif),
            "webm" => Some(Self::WebM),
            "mp4" => Some(Self::Mp4),
            _ => None,
        }
    }

    /// Name for messages.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gif => "GIF",
            Self::WebM => "WebM",
            Self::Mp4 => "MP4",
        }
    }
}

/// Why a clip could not be written.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    /// Reading or writing a file or pipe.
    #[error("{path}: {source}")]
    Io {
        /// The file (or program).
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The GIF encoder refused.
    #[error("{path}: GIF encoding: {message}")]
    Gif {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// ffmpeg is not installed.
    #[error("writing {format} needs the `{program}` program, which was not found: {hint}")]
    FfmpegMissing {
        /// WebM or MP4.
        format: &'static str,
        /// The program looked for.
        program: String,
        /// What to install.
        hint: &'static str,
    },
    /// ffmpeg ran and failed.
    #[error("{path}: ffmpeg failed ({status}): {stderr}")]
    FfmpegFailed {
        /// The output file.
        path: PathBuf,
        /// Its exit status.
        status: String,
        /// The end of what it printed.
        stderr: String,
    },
    /// A frame of another size than the clip's.
    #[error("frame of {got_w} x {got_h} px in a clip of {want_w} x {want_h} px")]
    FrameSize {
        /// Frame width.
        got_w: u32,
        /// Frame height.
        got_h: u32,
        /// Clip width.
        want_w: u32,
        /// Clip height.
        want_h: u32,
    },
}

/// Where clip frames go.
pub trait FrameSink {
    /// Adds the next frame (same size as the clip).
    fn push(&mut self, frame: &RgbaImage) -> Result<(), VideoError>;
    /// Ends the clip and closes the file.
    fn finish(self: Box<Self>) -> Result<(), VideoError>;
}

/// A 255-colour palette with a memoised nearest-colour lookup on 6 bits per channel.
struct Palette {
    rgb: Vec<[u8; 3]>,
    lut: Vec<u8>,
    known: Vec<bool>,
}

impl Palette {
    /// Learns `LEARNT_COLOURS` colours from the samples (NeuQuant), adds the fixed colours.
    fn learn(samples: &[&RgbaImage]) -> Self {
        let mut pixels: Vec<u8> = Vec::new();
        for s in samples {
            pixels.extend_from_slice(&s.pixels);
        }
        let mut rgb: Vec<[u8; 3]> = Vec::with_capacity(255);
        if pixels.len() >= 4 {
            // Sampling factor 10 (NeuQuant's speed/quality middle); big frames have plenty.
            let quant = color_quant::NeuQuant::new(10, LEARNT_COLOURS, &pixels);
            for c in quant.color_map_rgb().chunks_exact(3) {
                rgb.push([c[0], c[1], c[2]]);
            }
        }
        rgb.truncate(LEARNT_COLOURS);
        rgb.extend_from_slice(&FIXED_COLOURS);
        Self {
            rgb,
            lut: vec![0; 1 << 18],
            known: vec![false; 1 << 18],
        }
    }

    /// The palette as GIF wants it (256 RGB triples; the last is the transparent slot).
    fn gif_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.rgb.iter().flatten().copied().collect();
        out.resize(256 * 3, 0);
        out
    }

    #[inline]
    fn index(&mut self, r: u8, g: u8, b: u8) -> u8 {
        let key = (usize::from(r >> 2) << 12) | (usize::from(g >> 2) << 6) | usize::from(b >> 2);
        if self.known[key] {
            return self.lut[key];
        }
        // The bucket's centre against every colour.
        let (cr, cg, cb) = (
            i32::from(r & 0xfc) + 2,
            i32::from(g & 0xfc) + 2,
            i32::from(b & 0xfc) + 2,
        );
        let mut best = (i32::MAX, 0u8);
        for (i, c) in self.rgb.iter().enumerate() {
            let d = (i32::from(c[0]) - cr).pow(2) * 3
                + (i32::from(c[1]) - cg).pow(2) * 4
                + (i32::from(c[2]) - cb).pow(2) * 2;
            if d < best.0 {
                best = (d, u8::try_from(i).unwrap_or(0));
            }
        }
        self.lut[key] = best.1;
        self.known[key] = true;
        best.1
    }
}

/// Writes an animated GIF, looping forever.
pub struct GifWriter<W: Write> {
    encoder: gif::Encoder<W>,
    path: PathBuf,
    palette: Palette,
    width: u32,
    height: u32,
    fps: f32,
    frames: u64,
    previous: Vec<u8>,
    current: Vec<u8>,
}

impl<W: Write> GifWriter<W> {
    /// A GIF of `width × height` px at `fps` frames a second, its palette learnt from `samples`
    /// (frames that show every page the clip shows). `path` names the file in errors.
    pub fn new(
        out: W,
        path: &Path,
        width: u32,
        height: u32,
        fps: f32,
        samples: &[&RgbaImage],
    ) -> Result<Self, VideoError> {
        let gif_err = |message: String| VideoError::Gif {
            path: path.to_owned(),
            message,
        };
        let (w16, h16) = (
            u16::try_from(width).map_err(|_| gif_err(format!("{width} px is too wide for GIF")))?,
            u16::try_from(height)
                .map_err(|_| gif_err(format!("{height} px is too tall for GIF")))?,
        );
        let palette = Palette::learn(samples);
        let mut encoder = gif::Encoder::new(out, w16, h16, &palette.gif_bytes())
            .map_err(|e| gif_err(e.to_string()))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| gif_err(e.to_string()))?;
        Ok(Self {
            encoder,
            path: path.to_owned(),
            palette,
            width,
            height,
            fps: fps.max(0.1),
            frames: 0,
            previous: Vec::new(),
            current: Vec::new(),
        })
    }

    /// Delay of frame `n`, centiseconds: rounded on the running total so the clip keeps time.
    fn delay(&self, n: u64) -> u16 {
        let at = |k: u64| (k as f64 * 100.0 / f64::from(self.fps)).round() as u64;
        u16::try_from(at(n + 1) - at(n)).unwrap_or(u16::MAX).max(1)
    }

    fn gif_err(&self, e: &gif::EncodingError) -> VideoError {
        VideoError::Gif {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Ends the GIF and hands back the writer.
    pub fn into_inner(self) -> Result<W, VideoError> {
        let path = self.path.clone();
        self.encoder.into_inner().map_err(|e| VideoError::Gif {
            path,
            message: e.to_string(),
        })
    }
}

impl<W: Write> FrameSink for GifWriter<W> {
    fn push(&mut self, frame: &RgbaImage) -> Result<(), VideoError> {
        if frame.width != self.width || frame.height != self.height {
            return Err(VideoError::FrameSize {
                got_w: frame.width,
                got_h: frame.height,
                want_w: self.width,
                want_h: self.height,
            });
        }
        let mut current = std::mem::take(&mut self.current);
        current.clear();
        current.extend(
            frame
                .pixels
                .chunks_exact(4)
                .map(|p| self.palette.index(p[0], p[1], p[2])),
        );
        let w = self.width as usize;
        let delay = self.delay(self.frames);
        let mut out = gif::Frame {
            delay,
            dispose: gif::DisposalMethod::Keep,
            ..gif::Frame::default()
        };
        if self.previous.len() == current.len() {
            // The box of changed pixels; unchanged pixels inside it are transparent.
            let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
            for (y, (a, b)) in self
                .previous
                .chunks_exact(w)
                .zip(current.chunks_exact(w))
                .enumerate()
            {
                if a == b {
                    continue;
                }
                let first = a.iter().zip(b).position(|(p, q)| p != q).unwrap_or(0);
                let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(0);
                x0 = x0.min(first);
                x1 = x1.max(last + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
            if x0 == usize::MAX {
                (x0, y0, x1, y1) = (0, 0, 1, 1);
            }
            let mut buffer = Vec::with_capacity((x1 - x0) * (y1 - y0));
            for y in y0..y1 {
                let row = y * w;
                for x in x0..x1 {
                    let (p, q) = (self.previous[row + x], current[row + x]);
                    buffer.push(if p == q { TRANSPARENT } else { q });
                }
            }
            out.left = u16::try_from(x0).unwrap_or(0);
            out.top = u16::try_from(y0).unwrap_or(0);
            out.width = u16::try_from(x1 - x0).unwrap_or(1);
            out.height = u16::try_from(y1 - y0).unwrap_or(1);
            out.transparent = Some(TRANSPARENT);
            out.buffer = buffer.into();
        } else {
            out.width = u16::try_from(self.width).unwrap_or(0);
            out.height = u16::try_from(self.height).unwrap_or(0);
            out.buffer = std::borrow::Cow::Borrowed(&current);
        }
        let written = self.encoder.write_frame(&out);
        drop(out);
        if let Err(e) = written {
            return Err(self.gif_err(&e));
        }
        self.frames += 1;
        self.current = std::mem::replace(&mut self.previous, current);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), VideoError> {
        let path = self.path.clone();
        let mut inner = self.into_inner()?;
        inner
            .flush()
            .map_err(|source| VideoError::Io { path, source })
    }
}

/// Pipes raw RGBA frames into `ffmpeg`, which writes WebM (VP9) or MP4 (H.264).
pub struct FfmpegWriter {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Option<std::thread::JoinHandle<String>>,
    path: PathBuf,
    width: u32,
    height: u32,
}

/// The ffmpeg program: `$SESSIONLENS_FFMPEG` or `ffmpeg`.
#[must_use]
pub fn ffmpeg_program() -> String {
    std::env::var(FFMPEG_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "ffmpeg".to_owned())
}

impl FfmpegWriter {
    /// Starts `ffmpeg` writing `path` (`width` and `height` even) at `fps` frames a second.
    pub fn new(
        path: &Path,
        format: ClipFormat,
        width: u32,
        height: u32,
        fps: f32,
    ) -> Result<Self, VideoError> {
        let program = ffmpeg_program();
        let codec: &[&str] = match format {
            ClipFormat::Mp4 => &[
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-movflags",
                "+faststart",
            ],
            // VP9 in constant quality, at the encoder's fast real-time settings.
            ClipFormat::WebM | ClipFormat::Gif => &[
                "-c:v",
                "libvpx-vp9",
                "-b:v",
                "0",
                "-crf",
                "33",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-row-mt",
                "1",
            ],
        };
        let mut command = Command::new(&program);
        command
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args(["-f", "rawvideo", "-pix_fmt", "rgba"])
            .args(["-s", &format!("{width}x{height}")])
            .args(["-framerate", &format!("{fps}")])
            .args(["-i", "pipe:0", "-an"])
            .args(codec)
            .args(["-pix_fmt", "yuv420p"])
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                VideoError::FfmpegMissing {
                    format: format.as_str(),
                    program: program.clone(),
                    hint: FFMPEG_INSTALL_HINT,
                }
            } else {
                VideoError::Io {
                    path: PathBuf::from(&program),
                    source,
                }
            }
        })?;
        let stdin = child.stdin.take();
        // Drained on its own thread, so a chatty ffmpeg never blocks on a full pipe.
        let stderr = child.stderr.take().and_then(|mut pipe| {
            std::thread::Builder::new()
                .name("clip-ffmpeg-stderr".to_owned())
                .spawn(move || {
                    let mut text = String::new();
                    let _ = pipe.read_to_string(&mut text);
                    text
                })
                .ok()
        });
        Ok(Self {
            child,
            stdin,
            stderr,
            path: path.to_owned(),
            width,
            height,
        })
    }

    fn failure(&mut self) -> VideoError {
        self.stdin = None;
        let status = match self.child.wait() {
            Ok(s) => s.to_string(),
            Err(e) => e.to_string(),
        };
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        VideoError::FfmpegFailed {
            path: self.path.clone(),
            status,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
        }
    }
}

impl FrameSink for FfmpegWriter {
    fn push(&mut self, frame: &RgbaImage) -> Result<(), VideoError> {
        if frame.width != self.width || frame.height != self.height {
            return Err(VideoError::FrameSize {
                got_w: frame.width,
                got_h: frame.height,
                want_w: self.width,
                want_h: self.height,
            });
        }
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(&frame.pixels),
            None => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
        };
        match written {
            Ok(()) => Ok(()),
            Err(_) => Err(self.failure()),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<(), VideoError> {
        if let Some(mut stdin) = self.stdin.take()
            && stdin.flush().is_err()
        {
            return Err(self.failure());
        }
        let status = self.child.wait().map_err(|source| VideoError::Io {
            path: self.path.clone(),
            source,
        })?;
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
            Err(VideoError::FfmpegFailed {
                path: self.path.clone(),
                status: status.to_string(),
                stderr: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
            })
        }
    }
}

impl Drop for FfmpegWriter {
    fn drop(&mut self) {
        // An abandoned clip (an error elsewhere): close the pipe and reap the process.
        self.stdin = None;
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: u32, h: u32, rgb: [u8; 3]) -> RgbaImage {
        let mut image = RgbaImage::new(w, h).unwrap();
        for px in image.pixels.chunks_exact_mut(4) {
            px.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
        image
    }

    #[test]
    fn gif_frames_store_only_what_changed_and_keep_time() {
        let a = solid(20, 10, [250, 250, 250]);
        let mut b = a.clone();
        b.pixels[(3 * 20 + 5) * 4..(3 * 20 + 5) * 4 + 3].copy_from_slice(&RAGE_RGB);
        let mut bytes = Vec::new();
        let mut writer =
            GifWriter::new(&mut bytes, Path::new("t.gif"), 20, 10, 15.0, &[&a]).unwrap();
        writer.push(&a).unwrap();
        writer.push(&b).unwrap();
        writer.push(&b).unwrap();
        assert!(writer.push(&solid(5, 5, [0, 0, 0])).is_err());
        writer.into_inner().unwrap();
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = options.read_info(bytes.as_slice()).unwrap();
        let palette = decoder.global_palette().unwrap().to_vec();
        let mut frames = Vec::new();
        while let Some(f) = decoder.read_next_frame().unwrap() {
            frames.push((f.left, f.top, f.width, f.height, f.delay, f.buffer.to_vec()));
        }
        assert_eq!(frames.len(), 3);
        assert_eq!((frames[0].2, frames[0].3), (20, 10));
        // 15 fps: 7, 6, 7 centiseconds (the running total stays on time).
        assert_eq!(
            frames.iter().map(|f| f.4).collect::<Vec<_>>(),
            vec![7, 6, 7]
        );
        // The second frame is the one changed pixel, in the exact rage colour.
        assert_eq!(frames[1].0..frames[1].0 + frames[1].2, 5..6);
        assert_eq!((frames[1].1, frames[1].3), (3, 1));
        let i = usize::from(frames[1].5[0]) * 3;
        assert_eq!(&palette[i..i + 3], &RAGE_RGB);
        // The third is unchanged: one transparent pixel.
        assert_eq!(frames[2].5, vec![TRANSPARENT]);
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(
            ClipFormat::from_path(Path::new("a/b.GIF")),
            Some(ClipFormat::Gif)
        );
        assert_eq!(
            ClipFormat::from_path(Path::new("b.webm")),
            Some(ClipFormat::WebM)
        );
        assert_eq!(
            ClipFormat::from_path(Path::new("b.mp4")),
            Some(ClipFormat::Mp4)
        );
        assert_eq!(ClipFormat::from_path(Path::new("b.avi")), None);
    }
}
