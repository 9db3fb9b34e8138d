//! The replay clock as a pure state machine, in the style of rerun's `TimeControl`.
//!
//! Owns: the clock and the per-frame index of what is on screen. May use: `model`, `format`.
//!
//! Time is integer epoch milliseconds, like the recording. [`PlaybackCommand`] is the only way
//! to change the clock; [`PlaybackClock::update`] advances it by a frame's `dt`, clamped, and
//! says whether the app must repaint. Inactive spans (gaps between user-activity events longer
//! than a threshold, 10 s by default as in rrweb) are *jumped* when skipping is on, to 1 s before
//! the next activity, instead of being fast-forwarded with a speed cap.

use crate::model::Session;

pub mod frame;

pub use frame::{
    ClickAnnotation, ClickMark, ClickMarkKind, Cursor, DEFAULT_TRAIL_MS, FieldState, Frame,
    FrameIndex,
};

/// Playback speeds offered (PostHog offers 0.5–16×, rrweb-player 1–8×).
pub const SPEEDS: [f32; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];
/// Gap between user-activity events above which a span is inactive (rrweb's
/// `inactivePeriodThreshold`, 10 s).
pub const DEFAULT_INACTIVITY_THRESHOLD_MS: i64 = 10_000;
/// Skipping lands this long before the next activity.
pub const SKIP_LEAD_MS: i64 = 1_000;
/// Largest frame step, seconds (rerun clamps to 0.1 s): a stalled frame does not jump ahead.
pub const MAX_DT_SECS: f32 = 0.1;

/// Playing or paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayState {
    /// Time stands still.
    Paused,
    /// Time advances with `update`.
    Playing,
}

/// What happens at the end of the session or selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopMode {
    /// Stop at the end.
    Off,
    /// Loop over the selection (or the whole session when there is none).
    Selection,
}

/// The only way to change a [`PlaybackClock`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PlaybackCommand {
    /// Play if paused, pause if playing (at the end, playing restarts from the start).
    TogglePlay,
    /// Start playing.
    Play,
    /// Pause.
    Pause,
    /// Jump to an epoch-ms time (clamped to the session).
    Seek(i64),
    /// Jump by a signed number of ms (←/→ keys).
    SeekBy(i64),
    /// Jump to the session start.
    JumpToStart,
    /// Jump to the session end.
    JumpToEnd,
    /// Set the speed (clamped to 0.5–16).
    SetSpeed(f32),
    /// Next faster speed of [`SPEEDS`].
    Faster,
    /// Next slower speed of [`SPEEDS`].
    Slower,
    /// Loop mode.
    SetLoop(LoopMode),
    /// Set or clear the loop selection, epoch ms.
    SetSelection(Option<(i64, i64)>),
    /// Jump over inactive spans or not.
    SetSkipInactivity(bool),
}

/// What an `update` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct UpdateResponse {
    /// The app must draw another frame (time moved or is moving).
    pub needs_repaint: bool,
    /// An inactive span `(from_ms, to_ms)` that was jumped over in this update.
    pub skipped: Option<(i64, i64)>,
    /// Playback stopped at the end in this update.
    pub reached_end: bool,
}

/// The replay clock of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaybackClock {
    start_ms: i64,
    end_ms: i64,
    current_ms: i64,
    /// Sub-millisecond progress carried between frames.
    remainder_ms: f64,
    state: PlayState,
    speed: f32,
    loop_mode: LoopMode,
    selection: Option<(i64, i64)>,
    skip_inactivity: bool,
    inactive: Vec<(i64, i64)>,
}

/// Spans between user-activity events (moves, clicks, scrolls, resizes, input; rrweb's
/// `isUserInteraction`) longer than `threshold_ms`, as `(last activity, next activity)`.
#[must_use]
pub fn inactive_periods(session: &Session, threshold_ms: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut last = session.started_at_ms;
    for event in session.events.iter().filter(|e| e.kind.is_user_activity()) {
        if event.timestamp_ms - last > threshold_ms {
            out.push((last, event.timestamp_ms));
        }
        last = last.max(event.timestamp_ms);
    }
    let end = session.ended_at_ms();
    if end - last > threshold_ms {
        out.push((last, end));
    }
    out
}

impl PlaybackClock {
    /// A paused clock at the start of `session`, speed 1, skipping inactivity.
    #[must_use]
    pub fn new(session: &Session, inactivity_threshold_ms: i64) -> Self {
        Self {
            start_ms: session.started_at_ms,
            end_ms: session.ended_at_ms(),
            current_ms: session.started_at_ms,
            remainder_ms: 0.0,
            state: PlayState::Paused,
            speed: 1.0,
            loop_mode: LoopMode::Off,
            selection: None,
            skip_inactivity: true,
            inactive: inactive_periods(session, inactivity_threshold_ms),
        }
    }

    /// Current time, epoch ms.
    #[must_use]
    pub fn current_ms(&self) -> i64 {
        self.current_ms
    }

    /// Time since the session start, ms.
    #[must_use]
    pub fn elapsed_ms(&self) -> i64 {
        self.current_ms - self.start_ms
    }

    /// Playing or paused.
    #[must_use]
    pub fn state(&self) -> PlayState {
        self.state
    }

    /// Speed factor.
    #[must_use]
    pub fn speed(&self) -> f32 {
        self.speed
    }

    /// Loop mode.
    #[must_use]
    pub fn loop_mode(&self) -> LoopMode {
        self.loop_mode
    }

    /// The loop selection, epoch ms.
    #[must_use]
    pub fn selection(&self) -> Option<(i64, i64)> {
        self.selection
    }

    /// Whether inactive spans are jumped.
    #[must_use]
    pub fn skip_inactivity(&self) -> bool {
        self.skip_inactivity
    }

    /// The inactive spans, epoch ms.
    #[must_use]
    pub fn inactive_periods(&self) -> &[(i64, i64)] {
        &self.inactive
    }

    /// The span playback runs over: the selection when looping over one, else the session.
    fn range(&self) -> (i64, i64) {
        match (self.loop_mode, self.selection) {
            (LoopMode::Selection, Some(range)) => range,
            _ => (self.start_ms, self.end_ms),
        }
    }

    fn seek(&mut self, t: i64) {
        self.current_ms = t.clamp(self.start_ms, self.end_ms);
        self.remainder_ms = 0.0;
    }

    /// Applies one command.
    pub fn apply(&mut self, command: PlaybackCommand) {
        match command {
            PlaybackCommand::TogglePlay => match self.state {
                PlayState::Playing => self.state = PlayState::Paused,
                PlayState::Paused => self.apply(PlaybackCommand::Play),
            },
            PlaybackCommand::Play => {
                let (from, to) = self.range();
                if self.current_ms >= to || self.current_ms < from {
                    self.seek(from);
                }
                self.state = PlayState::Playing;
            }
            PlaybackCommand::Pause => self.state = PlayState::Paused,
            PlaybackCommand::Seek(t) => self.seek(t),
            PlaybackCommand::SeekBy(dt) => self.seek(self.current_ms.saturating_add(dt)),
            PlaybackCommand::JumpToStart => self.seek(self.start_ms),
            PlaybackCommand::JumpToEnd => self.seek(self.end_ms),
            PlaybackCommand::SetSpeed(speed) => {
                if speed.is_finite() {
                    self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
                }
            }
            PlaybackCommand::Faster => {
                if let Some(&s) = SPEEDS.iter().find(|&&s| s > self.speed) {
                    self.speed = s;
                }
            }
            PlaybackCommand::Slower => {
                if let Some(&s) = SPEEDS.iter().rev().find(|&&s| s < self.speed) {
                    self.speed = s;
                }
            }
            PlaybackCommand::SetLoop(mode) => self.loop_mode = mode,
            PlaybackCommand::SetSelection(selection) => {
                self.selection = selection
                    .map(|(a, b)| {
                        (
                            a.min(b).clamp(self.start_ms, self.end_ms),
                            a.max(b).clamp(self.start_ms, self.end_ms),
                        )
                    })
                    .filter(|(a, b)| b > a);
            }
            PlaybackCommand::SetSkipInactivity(on) => self.skip_inactivity = on,
        }
    }

    /// Advances by a frame of `dt_secs` (clamped to [`MAX_DT_SECS`]) times the speed, jumps
    /// inactive spans when skipping, and stops or loops at the end.
    pub fn update(&mut self, dt_secs: f32) -> UpdateResponse {
        if self.state != PlayState::Playing {
            return UpdateResponse::default();
        }
        let dt = f64::from(dt_secs.clamp(0.0, MAX_DT_SECS)) * 1000.0 * f64::from(self.speed)
            + self.remainder_ms;
        let whole = dt.floor();
        self.remainder_ms = dt - whole;
        let mut response = UpdateResponse {
            needs_repaint: true,
            ..UpdateResponse::default()
        };
        self.current_ms = self.current_ms.saturating_add(whole as i64);
        if self.skip_inactivity
            && let Some(&(from, to)) = self
                .inactive
                .iter()
                .find(|(from, to)| *from <= self.current_ms && self.current_ms < to - SKIP_LEAD_MS)
        {
            let landing = (to - SKIP_LEAD_MS).max(self.current_ms);
            response.skipped = Some((from, to));
            self.current_ms = landing;
            self.remainder_ms = 0.0;
        }
        let (range_start, range_end) = self.range();
        if self.current_ms >= range_end {
            match self.loop_mode {
                LoopMode::Selection => self.seek(range_start),
                LoopMode::Off => {
                    self.seek(range_end);
                    self.state = PlayState::Paused;
                    response.reached_end = true;
                }
            }
        }
        response
    }
}

#[cfg(test)]
mod tests;
