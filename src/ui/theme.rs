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
/// Secondary text.
pub const MUTED: Color32 = Color32::from_rgb(0x9c, 0xa3, 0xaf);
/// Row height of the session list, points.
pub const ROW_HEIGHT: f32 = 44.0;
/// Width of the session list panel, points.
pub const LIST_WIDTH: f32 = 420.0;
