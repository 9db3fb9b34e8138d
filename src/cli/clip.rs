//! `sessionlens clip`: a range of a session's replay as an animated GIF, WebM or MP4.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::clip::{ClipOptions, ClipSource, format_time, write_clip};
use crate::store::open_store;

/// `clip`.
#[derive(Debug, clap::Args)]
pub struct ClipArgs {
    /// The session.
    pub session: String,
    /// Start: `MM:SS`, `H:MM:SS` or seconds from the session start.
    #[arg(long, value_name = "TIME", value_parser = super::parse_at)]
    pub from: i64,
    /// End: `MM:SS`, `H:MM:SS` or seconds from the session start.
    #[arg(long, value_name = "TIME", value_parser = super::parse_at)]
    pub to: i64,
    /// The file to write: `.gif` (built in), `.webm` or `.mp4` (with the system ffmpeg).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Width of the clip, px (default: the viewport's, at most 1280; the height follows the
    /// viewport's shape).
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    /// Frames a second (1–60).
    #[arg(long, value_name = "N", default_value_t = crate::clip::DEFAULT_FPS)]
    pub fps: f32,
    /// Playback speed (0.5–16, as the replay's).
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub speed: f32,
    /// A caption strip under the page: this text, the session, the page and the time (an
    /// empty text shows only those).
    #[arg(long, value_name = "TEXT")]
    pub caption: Option<String>,
    /// Play inactive spans (over 10 s without input) instead of jumping them as the replay does.
    #[arg(long)]
    pub no_skip_inactivity: bool,
    /// Cursor trail length, ms (0: none).
    #[arg(long, value_name = "MS", default_value_t = crate::playback::DEFAULT_TRAIL_MS)]
    pub trail_ms: i64,
}

pub fn run(library_path: &Path, args: &ClipArgs) -> anyhow::Result<ExitCode> {
    let library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let options = ClipOptions {
        from_ms: args.from,
        to_ms: args.to,
        width_px: args.width,
        fps: args.fps,
        speed: args.speed,
        caption: args.caption.clone(),
        skip_inactivity: !args.no_skip_inactivity,
        trail_ms: args.trail_ms.max(0),
    };
    let source = ClipSource::load(&*library, &args.session, args.from, args.to)
        .with_context(|| format!("loading session {}", args.session))?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} frames")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("clip of {}", args.session));
    let summary = write_clip(&source, &options, &args.out, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        true
    });
    bar.finish_and_clear();
    let summary = summary.with_context(|| {
        format!(
            "writing the clip {} to {} of {} to {}",
            format_time(args.from),
            format_time(args.to),
            args.session,
            args.out.display()
        )
    })?;
    let skipped = if summary.skipped_ms > 0 {
        format!(
            ", {} of inactivity skipped",
            format_time(summary.skipped_ms)
        )
    } else {
        String::new()
    };
    outln!(
        "wrote {} ({}, {} x {} px, {} frames at {} fps, {} of the recording{skipped})",
        summary.path.display(),
        summary.format.as_str(),
        summary.width,
        summary.height,
        summary.frames,
        args.fps,
        format_time(summary.played_ms)
    );
    Ok(ExitCode::SUCCESS)
}
