//! Colours and spacing in one place.

use egui::Color32;

/// Accent for selection and progress.
pub const ACCENT: Color32 = Color32::from_rgb(0x3b, 0x82, 0xf6);
/// Converted sessions.
pub const CONVERTED: Color32 = Color32::from_rgb(0x16, 0xa3, 0x4a);
/// Error banner background.
pub const ERROR_BG: Color32 = Color32::from_rgb(0x7f, 0x1d, 0x1d);
/// Error banner text.
pub const ERROR_TEXT: Color32 = Color32::from_rgb(0xfe, 0xe2, 0xe2);
/// Error words on the normal background (the status bar's error count).
pub const ERROR_ON_PANEL: Color32 = Color32::from_rgb(0xf8, 0x71, 0x71);
/// Secondary text.
pub const MUTED: Color32 = Color32::from_rgb(0x9c, 0xa3, 0xaf);
/// Row height of the session list, points.
pub const ROW_HEIGHT: f32 = 44.0;
/// Width of the session list panel, points.
pub const LIST_WIDTH: f32 = 360.0;
/// Width of the replay side panel, points.
pub const SIDE_WIDTH: f32 = 360.0;
/// Warnings (a screenshot at another layout width).
pub const WARN: Color32 = Color32::from_rgb(0xf5, 0x9e, 0x0b);
/// Ordinary clicks in the replay and on the timeline (Clarity's click blue).
pub const CLICK: Color32 = Color32::from_rgb(0x00, 0x5a, 0x9e);
/// Touch taps (Clarity draws touches orange).
pub const TOUCH: Color32 = Color32::from_rgb(0xf9, 0x73, 0x16);
/// Rage clicks.
pub const RAGE: Color32 = Color32::from_rgb(0xdc, 0x26, 0x26);
/// Dead clicks.
pub const DEAD: Color32 = Color32::from_rgb(0x8b, 0x5c, 0xf6);
/// JavaScript errors and error clicks.
pub const ERROR_MARK: Color32 = Color32::from_rgb(0xef, 0x44, 0x44);
/// Reviewer notes.
pub const NOTE: Color32 = Color32::from_rgb(0xfa, 0xcc, 0x15);
/// The cursor trail (Clarity's trail starts at rgb(242, 97, 12)).
pub const TRAIL: Color32 = Color32::from_rgb(0xf2, 0x61, 0x0c);
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
pub const STAGE_BG: Color32 = Color32::from_rgb(0x20, 0x22, 0x26);
/// Where no screenshot covers the page.
pub const NO_SHOT: Color32 = Color32::from_rgb(0x2c, 0x2f, 0x36);
/// Grid lines over a page without a screenshot.
pub const GRID: Color32 = Color32::from_rgb(0x3a, 0x3e, 0x47);
