//! Colours and spacing in one place.

use egui::Color32;

use crate::render::replay as drawn;

/// An sRGB triple as an egui colour.
const fn rgb(c: [u8; 3]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

/// Accent for selection and progress.
pub const ACCENT: Color32 = rgb(drawn::ACCENT_RGB);
/// Converted sessions.
pub const CONVERTED: Color32 = Color32::from_rgb(0x16, 0xa3, 0x4a);
/// Error banner background.
pub const ERROR_BG: Color32 = Color32::from_rgb(0x7f, 0x1d, 0x1d);
/// Error banner text.
pub const ERROR_TEXT: Color32 = Color32::from_rgb(0xfe, 0xe2, 0xe2);
/// Error words on the normal background (the status bar's error count).
pub const ERROR_ON_PANEL: Color32 = Color32::from_rgb(0xf8, 0x71, 0x71);
/// Secondary text.
pub const MUTED: Color32 = rgb(drawn::MUTED_RGB);
/// Row height of the session list, points.
pub const ROW_HEIGHT: f32 = 44.0;
/// Width of the session list panel, points.
pub const LIST_WIDTH: f32 = 360.0;
/// Width of the replay side panel, points.
pub const SIDE_WIDTH: f32 = 360.0;
/// Warnings (a screenshot at another layout width).
pub const WARN: Color32 = Color32::from_rgb(0xf5, 0x9e, 0x0b);
/// Ordinary clicks in the replay and on the timeline (Clarity's click blue).
pub const CLICK: Color32 = rgb(drawn::CLICK_RGB);
/// Touch taps (Clarity draws touches orange).
pub const TOUCH: Color32 = rgb(drawn::TOUCH_RGB);
/// Rage clicks.
pub const RAGE: Color32 = rgb(drawn::RAGE_RGB);
/// Dead clicks.
pub const DEAD: Color32 = rgb(drawn::DEAD_RGB);
/// JavaScript errors and error clicks.
pub const ERROR_MARK: Color32 = rgb(drawn::ERROR_RGB);
/// Reviewer notes.
pub const NOTE: Color32 = Color32::from_rgb(0xfa, 0xcc, 0x15);
/// The playhead.
pub const PLAYHEAD: Color32 = Color32::from_rgb(0xf8, 0xfa, 0xfc);
/// Inactive spans on the timeline (rrweb-player's #D4D4D4, translucent over the dark theme).
pub const INACTIVE: Color32 = Color32::from_rgba_premultiplied(0x6a, 0x6a, 0x6a, 0x80);
/// Activity density on the timeline.
pub const ACTIVITY: Color32 = Color32::from_rgb(0x3b, 0x6e, 0xa8);
/// Alternating page segments on the timeline.
pub const PAGE_A: Color32 = Color32::from_rgb(0x33, 0x41, 0x55);
/// Alternating page segments on the timeline.
pub const PAGE_B: Color32 = Color32::from_rgb(0x1e, 0x3a, 0x5f);
/// Behind the page on the stage.
pub const STAGE_BG: Color32 = rgb(drawn::STAGE_BG_RGB);
/// Where no screenshot covers the page.
pub const NO_SHOT: Color32 = rgb(drawn::NO_SHOT_RGB);
/// Grid lines over a page without a screenshot.
pub const GRID: Color32 = rgb(drawn::GRID_RGB);
