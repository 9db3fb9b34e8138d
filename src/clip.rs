//! Replay clips: a range of a session's replay written as an animated GIF, WebM or MP4, for
//! `sessionlens clip`, the replay's "Export clip…" and report folders (a clip per hotspot).
//!
//! The clip plays as the replay does: the replay clock ([`PlaybackClock`]) advances by one
//! frame's time at the chosen speed and jumps inactive spans the same way; each frame is
//! playback's [`FrameIndex::frame_at`] drawn by `render::replay` over the page's screenshot
//! (picked as the replay picks its backdrop), and encoded by `render::video`.
//!
//! Owns: clip requests, frame times, loading a session's clip inputs from a store, the
//! representative signal of a hotspot. May use: `model`, `format`, `analysis`, `playback`,
//! `render`, `store`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::signals::SignalKind;
use crate::analysis::signals::hotspots::{CELL_PX, Hotspot, HotspotPlace};
use crate::model::Session;
use crate::playback::{
    ClickAnnotation, ClickMarkKind, DEFAULT_INACTIVITY_THRESHOLD_MS, DEFAULT_TRAIL_MS, FrameIndex,
    MAX_DT_SECS, PlaybackClock, PlaybackCommand,
};
use crate::render::RgbaImage;
use crate::render::replay::{Background, Chrome, compose_frame, footer_height};
use crate::render::video::{ClipFormat, FfmpegWriter, FrameSink, GifWriter, VideoError};
use crate::store::{SignalQuery, Store, StoreError, StoredSignal};

/// Frames a second by default.
pub const DEFAULT_FPS: f32 = 15.0;
/// Widest default clip, px (a wider viewport is scaled down to it).
pub const DEFAULT_MAX_WIDTH_PX: u32 = 1280;
/// Most frames one clip may have (20 minutes at 15 fps).
pub const MAX_FRAMES: usize = 18_000;
/// The replay's "Export clip…" range without a selection: this long before and after the moment.
pub const DEFAULT_AROUND_MS: i64 = 4_000;

/// What to export.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipOptions {
    /// Start, ms from the session start.
    pub from_ms: i64,
    /// End, ms from the session start.
    pub to_ms: i64,
    /// Width of the clip, px (None: the viewport's, at most [`DEFAULT_MAX_WIDTH_PX`]).
    pub width_px: Option<u32>,
    /// Frames a second.
    pub fps: f32,
    /// Playback speed (0.5–16, as the replay's).
    pub speed: f32,
    /// Caption text (None: no caption strip; empty: session, page and time only).
    pub caption: Option<String>,
    /// Jump inactive spans as the replay does.
    pub skip_inactivity: bool,
    /// Cursor trail length, ms (0: none).
    pub trail_ms: i64,
}

impl Default for ClipOptions {
    fn default() -> Self {
        Self {
            from_ms: 0,
            to_ms: 10_000,
            width_px: None,
            fps: DEFAULT_FPS,
            speed: 1.0,
            caption: None,
            skip_inactivity: true,
            trail_ms: DEFAULT_TRAIL_MS,
        }
    }
}

/// Why a clip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// Reading the library.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encoding or writing the file.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// A request that cannot be met (range, size, rate, format).
    #[error("{0}")]
    Invalid(String),
    /// Creating the output file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSummary {
    /// The file.
    pub path: PathBuf,
    /// GIF, WebM or MP4.
    pub format: ClipFormat,
    /// Frames written.
    pub frames: usize,
    /// Clip size, px.
    pub width: u32,
    /// Clip height, px.
    pub height: u32,
    /// Recording time covered, ms (the range, less the inactive spans jumped).
    pub played_ms: i64,
    /// Inactive time jumped over, ms.
    pub skipped_ms: i64,
}

/// A decoded page screenshot with the layout width it was taken at.
#[derive(Debug)]
pub struct PageShot {
    /// The pixels.
    pub image: RgbaImage,
    /// Layout width, CSS px.
    pub layout_width: u32,
}

/// A session ready to be drawn: its replay index and, per page view, its screenshot (when the
/// library has one that could be decoded).
pub struct ClipSource {
    /// The session.
    pub session: Session,
    /// The replay's index, with clicks marked by their signals.
    pub frames: FrameIndex,
    /// Per page view.
    pub shots: Vec<Option<Arc<PageShot>>>,
}

/// The click marks of a session's signals (rage, dead and error clicks), as the replay draws them.
#[must_use]
pub fn click_annotations(signals: &[StoredSignal]) -> Vec<ClickAnnotation> {
    signals
        .iter()
        .filter_map(|s| {
            let kind = match s.kind {
                SignalKind::RageClick => ClickMarkKind::Rage,
                SignalKind::DeadClick => ClickMarkKind::Dead,
                SignalKind::ErrorClick => ClickMarkKind::Error,
                _ => return None,
            };
            Some(ClickAnnotation {
                page: s.page_index,
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                kind,
            })
        })
        .collect()
}

impl ClipSource {
    /// Loads `session_id` with its signals, and decodes the screenshots of the page views shown
    /// between `from_ms` and `to_ms` (ms from the start). The screenshot of a page view is the one
    /// the replay shows: the one it names, else the page's at the layout width nearest its
    /// viewport. One that cannot be decoded is drawn as missing, with a warning on stderr.
    pub fn load(
        store: &dyn Store,
        session_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Self, ClipError> {
        let session = store.load_session(session_id)?;
        Self::from_session(store, session, from_ms, to_ms)
    }

    /// [`ClipSource::load`] for a session already loaded.
    pub fn from_session(
        store: &dyn Store,
        session: Session,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Self, ClipError> {
        let signals = store.signals(&SignalQuery {
            session_id: Some(session.session_id.clone()),
            ..SignalQuery::default()
        })?;
        let frames = FrameIndex::new(&session, &click_annotations(&signals));
        let start = session.started_at_ms;
        let shown: Vec<usize> = frames
            .page_spans(session.ended_at_ms())
            .into_iter()
            .filter(|(a, b, _)| *b >= start + from_ms && *a <= start + to_ms)
            .map(|(_, _, p)| p)
            .collect();
        let infos = store.screenshots()?;
        let mut decoded: HashMap<String, Option<Arc<PageShot>>> = HashMap::new();
        let mut shots = vec![None; session.pages.len()];
        for (i, page) in session.pages.iter().enumerate() {
            if !shown.contains(&i) {
                continue;
            }
            let url = page
                .url
                .split_once('#')
                .map_or(page.url.as_str(), |(u, _)| u);
            let named = page
                .screenshot
                .as_deref()
                .and_then(|hash| infos.iter().find(|s| s.hash == hash));
            let info = named.or_else(|| {
                infos
                    .iter()
                    .filter(|s| s.url == url)
                    .min_by_key(|s| s.layout_width.abs_diff(page.viewport.width))
            });
            let Some(info) = info else { continue };
            if let Some(shot) = decoded.get(&info.hash) {
                shots[i].clone_from(shot);
                continue;
            }
            let shot = match store.screenshot_png(&info.hash)? {
                Some(png) => match crate::render::decode_png(&png, &info.url) {
                    Ok(image) => Some(Arc::new(PageShot {
                        image,
                        layout_width: info.layout_width,
                    })),
                    Err(e) => {
                        log::warn!("screenshot of {}: {e}", info.url);
                        None
                    }
                },
                None => None,
            };
            decoded.insert(info.hash.clone(), shot.clone());
            shots[i] = shot;
        }
        Ok(Self {
            session,
            frames,
            shots,
        })
    }
}

/// The replay times of a clip's frames, epoch ms: the replay clock started at `from_ms`,
/// playing at `speed`, advanced by `1 / fps` s a frame (skipping inactive spans as the replay
/// does when asked), until `to_ms` or the session's end. Also the inactive time jumped, ms.
#[must_use]
pub fn frame_times(session: &Session, options: &ClipOptions) -> (Vec<i64>, i64) {
    let start = session.started_at_ms;
    let to = start + options.to_ms.min(session.duration_ms);
    let mut clock = PlaybackClock::new(session, DEFAULT_INACTIVITY_THRESHOLD_MS);
    clock.apply(PlaybackCommand::SetSkipInactivity(options.skip_inactivity));
    clock.apply(PlaybackCommand::SetSpeed(options.speed));
    clock.apply(PlaybackCommand::Seek(start + options.from_ms));
    clock.apply(PlaybackCommand::Play);
    let step_secs = 1.0 / options.fps.max(0.1);
    let mut times = vec![clock.current_ms()];
    let mut skipped_ms = 0;
    'frames: while times.len() < MAX_FRAMES + 1 {
        let mut left = step_secs;
        while left > 1e-6 {
            let dt = left.min(MAX_DT_SECS);
            left -= dt;
            let before = clock.current_ms();
            let response = clock.update(dt);
            if response.skipped.is_some() {
                // What the jump covered, beyond the frame's own step.
                let step_ms = (f64::from(dt) * 1000.0 * f64::from(clock.speed())).round() as i64;
                // Counted up to the end of the range only.
                skipped_ms += (clock.current_ms().min(to) - before - step_ms).max(0);
            }
            if response.reached_end {
                break 'frames;
            }
        }
        if clock.current_ms() >= to {
            break;
        }
        times.push(clock.current_ms());
    }
    (times, skipped_ms)
}

/// `MM:SS.d` of ms from the session start.
#[must_use]
pub fn format_time(ms: i64) -> String {
    let ms = ms.max(0);
    format!(
        "{:02}:{:02}.{}",
        ms / 60_000,
        ms % 60_000 / 1000,
        ms % 1000 / 100
    )
}

/// Checks a request against the session, with messages that say what to change.
fn validate(session: &Session, options: &ClipOptions) -> Result<(), ClipError> {
    let bad = |m: String| Err(ClipError::Invalid(m));
    if !(options.fps.is_finite() && (1.0..=60.0).contains(&options.fps)) {
        return bad(format!(
            "--fps {}: give 1 to 60 frames a second",
            options.fps
        ));
    }
    if !(options.speed.is_finite() && (0.5..=16.0).contains(&options.speed)) {
        return bad(format!(
            "--speed {}: give 0.5 to 16 (the replay's speeds)",
            options.speed
        ));
    }
    if let Some(w) = options.width_px
        && !(64..=3840).contains(&w)
    {
        return bad(format!("--width {w}: give 64 to 3840 px"));
    }
    if options.from_ms < 0 || options.to_ms <= options.from_ms {
        return bad(format!(
            "the range {} to {} is empty: --to must come after --from",
            format_time(options.from_ms),
            format_time(options.to_ms)
        ));
    }
    if options.from_ms >= session.duration_ms {
        return bad(format!(
            "--from {} is past the end of session {} ({} long)",
            format_time(options.from_ms),
            session.session_id,
            format_time(session.duration_ms)
        ));
    }
    if session.pages.is_empty() {
        return bad(format!(
            "session {} has no page views to replay",
            session.session_id
        ));
    }
    Ok(())
}

/// Draws a clip's frames, in order, for `sink`-like consumers: frame size, then each frame.
pub struct FrameRenderer<'a> {
    source: &'a ClipSource,
    options: &'a ClipOptions,
    /// Clip width, px.
    pub width: u32,
    /// Clip height (view and footer), px.
    pub height: u32,
    canvas: RgbaImage,
}

impl<'a> FrameRenderer<'a> {
    /// The renderer of a clip whose first frame is at `first_ms`: its size comes from the
    /// viewport then (even sizes, as video encoders want).
    pub fn new(
        source: &'a ClipSource,
        options: &'a ClipOptions,
        first_ms: i64,
    ) -> Result<Self, ClipError> {
        let first = source.frames.frame_at(first_ms, 0);
        let vw = first.viewport.width.max(1);
        let vh = first.viewport.height.max(1);
        let width = options
            .width_px
            .unwrap_or_else(|| vw.min(DEFAULT_MAX_WIDTH_PX))
            & !1;
        let view_h = ((u64::from(width) * u64::from(vh) / u64::from(vw)) as u32).max(2) & !1;
        let height = view_h + footer_height(options.caption.is_some());
        let canvas = RgbaImage::new(width, height).ok_or_else(|| {
            ClipError::Invalid(format!("a {width} x {height} px frame is too large"))
        })?;
        Ok(Self {
            source,
            options,
            width,
            height,
            canvas,
        })
    }

    /// Draws the frame at `t_ms` (epoch), `progress` (0..1) of the way through.
    pub fn draw(&mut self, t_ms: i64, progress: f32) -> &RgbaImage {
        let session = &self.source.session;
        let frame = self.source.frames.frame_at(t_ms, self.options.trail_ms);
        let page = frame.page.and_then(|p| session.pages.get(p));
        let url = page.map_or("", |p| p.url.as_str());
        let shot = frame
            .page
            .and_then(|p| self.source.shots.get(p))
            .and_then(Option::as_ref);
        let background = match shot {
            Some(s) => Background::Screenshot {
                image: &s.image,
                layout_width: s.layout_width,
            },
            None => Background::Missing { url },
        };
        let caption = self.options.caption.as_ref().map(|text| {
            let info = format!("session {}  ·  {url}", session.session_id);
            if text.trim().is_empty() {
                info
            } else {
                format!("{}  —  {info}", text.trim())
            }
        });
        let chrome = Chrome {
            caption,
            time_label: format_time(t_ms - session.started_at_ms),
            progress,
        };
        compose_frame(
            &mut self.canvas,
            &frame,
            background,
            self.options.trail_ms,
            &chrome,
        );
        &self.canvas
    }
}

/// Writes the clip of `source` described by `options` to `path` (GIF, WebM or MP4 by its
/// extension). `progress(done, total)` is called after each frame; returning false stops and
/// removes the partial file.
pub fn write_clip(
    source: &ClipSource,
    options: &ClipOptions,
    path: &Path,
    progress: &mut dyn FnMut(usize, usize) -> bool,
) -> Result<ClipSummary, ClipError> {
    let format = ClipFormat::from_path(path).ok_or_else(|| {
        ClipError::Invalid(format!(
            "{}: write a .gif, .webm or .mp4 file",
            path.display()
        ))
    })?;
    let session = &source.session;
    validate(session, options)?;
    let (times, skipped_ms) = frame_times(session, options);
    if times.len() > MAX_FRAMES {
        return Err(ClipError::Invalid(format!(
            "the clip would have more than {MAX_FRAMES} frames: choose a shorter range, a lower \
             --fps or a higher --speed"
        )));
    }
    let from = session.started_at_ms + options.from_ms;
    let to = session.started_at_ms + options.to_ms.min(session.duration_ms);
    let span = (to - from).max(1) as f32;
    let first = times.first().copied().unwrap_or(from);
    let mut renderer = FrameRenderer::new(source, options, first)?;
    let (width, height) = (renderer.width, renderer.height);
    let progress_at = |t: i64| ((t - from) as f32 / span).clamp(0.0, 1.0);
    let mut sink: Box<dyn FrameSink> = match format {
        ClipFormat::Gif => {
            // The palette is learnt from the first frame of each page view in the clip.
            let mut samples = Vec::new();
            let mut seen = Vec::new();
            for &t in &times {
                let page = source.frames.frame_at(t, 0).page;
                if !seen.contains(&page) && seen.len() < 4 {
                    seen.push(page);
                    samples.push(renderer.draw(t, progress_at(t)).clone());
                }
            }
            let refs: Vec<&RgbaImage> = samples.iter().collect();
            let file = std::fs::File::create(path).map_err(|source| ClipError::Io {
                path: path.to_owned(),
                source,
            })?;
            Box::new(GifWriter::new(
                std::io::BufWriter::new(file),
                path,
                width,
                height,
                options.fps,
                &refs,
            )?)
        }
        ClipFormat::WebM | ClipFormat::Mp4 => {
            Box::new(FfmpegWriter::new(path, format, width, height, options.fps)?)
        }
    };
    let total = times.len();
    for (i, &t) in times.iter().enumerate() {
        let frame = renderer.draw(t, progress_at(t));
        if let Err(e) = sink.push(frame) {
            drop(sink);
            let _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        if !progress(i + 1, total) {
            drop(sink);
            let _ = std::fs::remove_file(path);
            return Err(ClipError::Invalid("cancelled".to_owned()));
        }
    }
    if let Err(e) = sink.finish() {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(ClipSummary {
        path: path.to_owned(),
        format,
        frames: total,
        width,
        height,
        played_ms: (to - from - skipped_ms).max(0),
        skipped_ms,
    })
}

/// True when `signal` belongs to `hotspot` (same kind, page and place: element, grid cell, or
/// the page as a whole).
#[must_use]
pub fn in_hotspot(signal: &StoredSignal, hotspot: &Hotspot) -> bool {
    signal.kind == hotspot.kind
        && signal.page_url == hotspot.page_url
        && match &hotspot.place {
            HotspotPlace::Element(selector) => signal.target.as_deref() == Some(selector.as_str()),
            HotspotPlace::Cell { x, y } => {
                signal.target.as_deref().is_none_or(str::is_empty)
                    && signal.pos_in_page().is_some_and(|p| {
                        ((p.x / CELL_PX).floor() * CELL_PX) as i32 == *x
                            && ((p.y / CELL_PX).floor() * CELL_PX) as i32 == *y
                    })
            }
            HotspotPlace::Page => {
                signal.target.as_deref().is_none_or(str::is_empty) && signal.pos_in_page().is_none()
            }
        }
}

/// The signal a hotspot's clip shows: its most severe one (the earliest of equals).
#[must_use]
pub fn representative_signal<'a>(
    signals: &'a [StoredSignal],
    hotspot: &Hotspot,
) -> Option<&'a StoredSignal> {
    signals
        .iter()
        .filter(|s| in_hotspot(s, hotspot))
        .max_by(|a, b| {
            a.severity
                .total_cmp(&b.severity)
                .then(b.start_ms.cmp(&a.start_ms))
        })
}
