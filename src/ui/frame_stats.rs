//! Frame-time figures while a replay plays, for docs/BENCHMARKS.md.
//!
//! Enabled by `SESSIONLENS_FRAME_STATS=1`: every 5 s of playback the app prints to stderr the
//! frames drawn per second and the CPU time eframe reports for our update (layout, replay
//! drawing, tessellation input), as median, 95th percentile and maximum.

use std::time::{Duration, Instant};

/// Collects per-frame CPU times while playing.
pub struct FrameStats {
    window_start: Instant,
    cpu_ms: Vec<f32>,
}

/// How often a summary is printed.
const WINDOW: Duration = Duration::from_secs(5);

impl FrameStats {
    /// Enabled when `SESSIONLENS_FRAME_STATS` is set.
    #[must_use]
    pub fn from_env() -> Option<Self> {
        std::env::var_os("SESSIONLENS_FRAME_STATS").map(|_| Self {
            window_start: Instant::now(),
            cpu_ms: Vec::new(),
        })
    }

    /// Records one frame drawn while playing; prints a summary every 5 s.
    pub fn record(&mut self, playing: bool, cpu_secs: Option<f32>) {
        if !playing {
            self.window_start = Instant::now();
            self.cpu_ms.clear();
            return;
        }
        if let Some(secs) = cpu_secs {
            self.cpu_ms.push(secs * 1000.0);
        }
        let elapsed = self.window_start.elapsed();
        if elapsed >= WINDOW && !self.cpu_ms.is_empty() {
            let mut sorted = self.cpu_ms.clone();
            sorted.sort_by(f32::total_cmp);
            let at = |q: f32| sorted[((sorted.len() - 1) as f32 * q).round() as usize];
            eprintln!(
                "frame stats: {:.1} frames/s over {:.1} s; CPU per frame median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
                sorted.len() as f32 / elapsed.as_secs_f32(),
                elapsed.as_secs_f32(),
                at(0.5),
                at(0.95),
                at(1.0)
            );
            self.window_start = Instant::now();
            self.cpu_ms.clear();
        }
    }
}
