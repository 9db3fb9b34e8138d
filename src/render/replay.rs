//! The replay's drawing as data: [`overlay`] turns playback's [`Frame`] (cursor, trail, clicks
//! with their signal kind) into a list of [`Shape`]s in view pixels; the app paints that list with
//! egui's painter and [`rasterise`] paints the same list on the CPU, so a clip's frames and the
//! replay on screen come from one drawing. [`compose_frame`] builds a whole clip frame: the page
//! screenshot scrolled as the visitor scrolled, the overlay, an optional caption and a progress
//! bar.
//!
//! Owns: the overlay's shapes and colours, their CPU rasterising, clip frame composition.
//! May use: `model`, `playback` (its frame state), `render` (text, images).

use crate::model::{PagePos, PointerType};
use crate::playback::frame::CLICK_VISIBLE_MS;
use crate::playback::{ClickMark, ClickMarkKind, Frame};

use super::RgbaImage;
use super::heatmap::{draw_text_alpha, text_width};

/// Clicks are drawn as ripples growing by up to this radius, view px (Clarity's `ClickRadius`).
pub const CLICK_RADIUS_PX: f32 = 22.0;
/// A touch point stays visible this long after its last sample, ms.
pub const TOUCH_VISIBLE_MS: i64 = 600;

/// Ordinary clicks (Clarity's click blue).
pub const CLICK_RGB: [u8; 3] = [0x00, 0x5a, 0x9e];
/// Touch taps (Clarity draws touches orange).
pub const TOUCH_RGB: [u8; 3] = [0xf9, 0x73, 0x16];
/// Rage clicks.
pub const RAGE_RGB: [u8; 3] = [0xdc, 0x26, 0x26];
/// Dead clicks.
pub const DEAD_RGB: [u8; 3] = [0x8b, 0x5c, 0xf6];
/// Error clicks.
pub const ERROR_RGB: [u8; 3] = [0xef, 0x44, 0x44];
/// The cursor trail (Clarity's trail starts at rgb(242, 97, 12)).
pub const TRAIL_RGB: [u8; 3] = [0xf2, 0x61, 0x0c];
/// Behind the page on the stage.
pub const STAGE_BG_RGB: [u8; 3] = [0x20, 0x22, 0x26];
/// Where no screenshot covers the page.
pub const NO_SHOT_RGB: [u8; 3] = [0x2c, 0x2f, 0x36];
/// Grid lines over a page without a screenshot.
pub const GRID_RGB: [u8; 3] = [0x3a, 0x3e, 0x47];
/// Accent (the progress bar).
pub const ACCENT_RGB: [u8; 3] = [0x3b, 0x82, 0xf6];
/// Secondary text.
pub const MUTED_RGB: [u8; 3] = [0x9c, 0xa3, 0xaf];

/// Height of a clip's caption strip, px.
pub const CAPTION_PX: u32 = 28;
/// Height of a clip's progress bar, px.
pub const PROGRESS_PX: u32 = 6;

/// A point in view pixels (screen points in the app, image pixels in a clip).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewPx {
    /// Right.
    pub x: f32,
    /// Down.
    pub y: f32,
}

/// Maps page CSS px to view px: `view = origin + page * scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewFromPage {
    /// View position of the page's origin (already moved by the scroll).
    pub origin: ViewPx,
    /// View px per CSS px.
    pub scale: f32,
}

impl ViewFromPage {
    /// The view position of a page position.
    #[must_use]
    pub fn apply(self, p: PagePos) -> ViewPx {
        ViewPx {
            x: self.origin.x + p.x * self.scale,
            y: self.origin.y + p.y * self.scale,
        }
    }

    /// The page position under a view position.
    #[must_use]
    pub fn inverse(self, p: ViewPx) -> PagePos {
        let s = self.scale.max(1e-6);
        PagePos {
            x: (p.x - self.origin.x) / s,
            y: (p.y - self.origin.y) / s,
        }
    }
}

/// One drawing primitive, in view px; colours are sRGB with straight alpha.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A filled circle.
    Disc {
        /// Centre.
        center: ViewPx,
        /// Radius, px.
        radius_px: f32,
        /// Fill.
        rgba: [u8; 4],
    },
    /// A circle outline (a click's ripple).
    Ring {
        /// Centre.
        center: ViewPx,
        /// Radius of the stroke's middle, px.
        radius_px: f32,
        /// Stroke width, px.
        width_px: f32,
        /// Stroke colour.
        rgba: [u8; 4],
    },
    /// An open polyline of segments (a piece of the trail).
    Polyline {
        /// The points, in order.
        points: Vec<ViewPx>,
        /// Stroke width, px.
        width_px: f32,
        /// Stroke colour.
        rgba: [u8; 4],
    },
    /// A closed outline.
    ClosedLine {
        /// The corners, in order.
        points: Vec<ViewPx>,
        /// Stroke width, px.
        width_px: f32,
        /// Stroke colour.
        rgba: [u8; 4],
    },
    /// A filled convex polygon.
    ConvexPolygon {
        /// The corners, in order.
        points: Vec<ViewPx>,
        /// Fill.
        rgba: [u8; 4],
    },
    /// A filled axis-aligned rectangle.
    Rect {
        /// Top left.
        min: ViewPx,
        /// Bottom right.
        max: ViewPx,
        /// Fill.
        rgba: [u8; 4],
    },
    /// A line of text whose left-bottom corner is at `pos`, in egui's default font.
    Text {
        /// Left-bottom corner.
        pos: ViewPx,
        /// The text.
        text: String,
        /// Font size, px.
        size_px: f32,
        /// Colour.
        rgba: [u8; 4],
    },
}

fn with_alpha(rgb: [u8; 3], alpha: f32) -> [u8; 4] {
    [
        rgb[0],
        rgb[1],
        rgb[2],
        (alpha.clamp(0.0, 1.0) * 255.0).round() as u8,
    ]
}

/// The colour a click is drawn in: its signal's, or the ordinary click (touch) colour.
#[must_use]
pub fn click_rgb(click: &ClickMark) -> [u8; 3] {
    match click.mark {
        ClickMarkKind::Rage => RAGE_RGB,
        ClickMarkKind::Dead => DEAD_RGB,
        ClickMarkKind::Error => ERROR_RGB,
        ClickMarkKind::Normal if click.pointer == PointerType::Touch => TOUCH_RGB,
        ClickMarkKind::Normal => CLICK_RGB,
    }
}

/// The replay's overlay at one frame: the trail (fading with age, ending at the cursor), the
/// clicks of the last 1.5 s as ripples growing and fading (labelled when they belong to a rage,
/// dead or error signal), then the cursor (an arrow, or a fading disc for touch). `trail_ms` 0
/// draws no trail. Sizes are in view px whatever the scale, as on screen.
#[must_use]
pub fn overlay(frame: &Frame<'_>, map: ViewFromPage, trail_ms: i64) -> Vec<Shape> {
    let mut shapes = Vec::new();
    if trail_ms > 0
        && let Some(cursor) = frame.cursor
    {
        let mut points: Vec<(ViewPx, i64)> = frame
            .trail
            .iter()
            .filter(|s| s.pointer == cursor.pointer)
            .map(|s| {
                (
                    map.apply(s.pos_in_page),
                    frame.timestamp_ms - s.timestamp_ms,
                )
            })
            .collect();
        points.push((map.apply(cursor.pos_in_page), 0));
        for pair in points.windows(2) {
            let age = pair[0].1 as f32 / trail_ms as f32;
            shapes.push(Shape::Polyline {
                points: vec![pair[0].0, pair[1].0],
                width_px: 3.0,
                rgba: with_alpha(TRAIL_RGB, 1.0 - age),
            });
        }
    }
    for click in frame.clicks {
        let age = (frame.timestamp_ms - click.timestamp_ms) as f32 / CLICK_VISIBLE_MS as f32;
        let rgb = click_rgb(click);
        let center = map.apply(click.pos_in_page);
        let fade = (1.0 - age).clamp(0.0, 1.0);
        shapes.push(Shape::Disc {
            center,
            radius_px: 5.0,
            rgba: with_alpha(rgb, fade),
        });
        shapes.push(Shape::Ring {
            center,
            radius_px: 6.0 + CLICK_RADIUS_PX * age,
            width_px: 3.0,
            rgba: with_alpha(rgb, fade * 0.8),
        });
        let label = match click.mark {
            ClickMarkKind::Rage => "rage",
            ClickMarkKind::Dead => "dead",
            ClickMarkKind::Error => "error",
            ClickMarkKind::Normal => "",
        };
        if !label.is_empty() && age < 0.9 {
            shapes.push(Shape::Text {
                pos: ViewPx {
                    x: center.x + 10.0,
                    y: center.y - 14.0,
                },
                text: label.to_owned(),
                size_px: 12.0,
                rgba: with_alpha(rgb, fade),
            });
        }
    }
    if let Some(cursor) = frame.cursor {
        let tip = map.apply(cursor.pos_in_page);
        match cursor.pointer {
            PointerType::Touch => {
                if cursor.since_sample_ms < TOUCH_VISIBLE_MS {
                    let fade = 1.0 - cursor.since_sample_ms as f32 / TOUCH_VISIBLE_MS as f32;
                    shapes.push(Shape::Disc {
                        center: tip,
                        radius_px: 12.0,
                        rgba: with_alpha(TOUCH_RGB, 0.45 * fade),
                    });
                    shapes.push(Shape::Ring {
                        center: tip,
                        radius_px: 12.0,
                        width_px: 1.5,
                        rgba: with_alpha([255, 255, 255], fade),
                    });
                }
            }
            PointerType::Mouse | PointerType::Pen => {
                let arrow = [
                    (0.0, 0.0),
                    (0.0, 17.0),
                    (4.5, 13.0),
                    (7.5, 19.5),
                    (10.0, 18.5),
                    (7.0, 12.0),
                    (12.5, 12.0),
                ]
                .map(|(x, y)| ViewPx {
                    x: tip.x + x,
                    y: tip.y + y,
                });
                shapes.push(Shape::ClosedLine {
                    points: arrow.to_vec(),
                    width_px: 1.5,
                    rgba: [255, 255, 255, 255],
                });
                // The arrow is concave: filled as two convex parts.
                shapes.push(Shape::ConvexPolygon {
                    points: vec![arrow[0], arrow[1], arrow[2], arrow[5], arrow[6]],
                    rgba: [0, 0, 0, 255],
                });
                shapes.push(Shape::ConvexPolygon {
                    points: vec![arrow[2], arrow[3], arrow[4], arrow[5]],
                    rgba: [0, 0, 0, 255],
                });
            }
        }
    }
    shapes
}

// ---------------------------------------------------------------------------------------------
// CPU rasterising.

/// Blends `rgb` at `alpha` (0..1) over an opaque pixel.
#[inline]
fn blend_px(px: &mut [u8], rgb: [u8; 3], alpha: f32) {
    if alpha <= 0.0 {
        return;
    }
    let a = alpha.min(1.0);
    for c in 0..3 {
        let v = f32::from(px[c]) * (1.0 - a) + f32::from(rgb[c]) * a;
        px[c] = v.round() as u8;
    }
    px[3] = 255;
}

/// A pixel rectangle `[x0, x1) × [y0, y1)` that drawing stays inside.
type ClipRect = (u32, u32, u32, u32);

/// Calls `coverage(x + 0.5, y + 0.5)` for every pixel inside the box `[x0, x1) × [y0, y1)`
/// (view px) and `clip`, and blends `rgba` by the returned coverage.
fn fill_by(
    out: &mut RgbaImage,
    clip: ClipRect,
    bounds: (f32, f32, f32, f32),
    rgba: [u8; 4],
    coverage: impl Fn(f32, f32) -> f32,
) {
    let alpha = f32::from(rgba[3]) / 255.0;
    if alpha <= 0.0 {
        return;
    }
    let rgb = [rgba[0], rgba[1], rgba[2]];
    let (x0, y0, x1, y1) = bounds;
    let x0 = (x0.floor().max(0.0) as u32).max(clip.0);
    let y0 = (y0.floor().max(0.0) as u32).max(clip.1);
    let x1 = (x1.ceil().max(0.0) as u32).min(out.width).min(clip.2);
    let y1 = (y1.ceil().max(0.0) as u32).min(out.height).min(clip.3);
    let width = out.width as usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let c = coverage(x as f32 + 0.5, y as f32 + 0.5);
            if c <= 0.0 {
                continue;
            }
            let i = (y as usize * width + x as usize) * 4;
            if let Some(px) = out.pixels.get_mut(i..i + 4) {
                blend_px(px, rgb, alpha * c.min(1.0));
            }
        }
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: (f32, f32), a: ViewPx, b: ViewPx) -> f32 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.x) * dx + (p.1 - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a.x + t * dx - p.0, a.y + t * dy - p.1);
    (qx * qx + qy * qy).sqrt()
}

fn stroke_segments(
    out: &mut RgbaImage,
    clip: ClipRect,
    points: &[ViewPx],
    closed: bool,
    width: f32,
    rgba: [u8; 4],
) {
    let n = points.len();
    if n < 2 {
        return;
    }
    let pairs = if closed { n } else { n - 1 };
    let half = width / 2.0;
    // One pass over the union's box, each pixel covered once (no doubled alpha at joints).
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let pad = half + 1.0;
    fill_by(
        out,
        clip,
        (x0 - pad, y0 - pad, x1 + pad, y1 + pad),
        rgba,
        |x, y| {
            let d = (0..pairs)
                .map(|i| segment_distance((x, y), points[i], points[(i + 1) % n]))
                .fold(f32::MAX, f32::min);
            (half + 0.5 - d).clamp(0.0, 1.0)
        },
    );
}

/// Paints `shapes` over `out` (opaque RGBA), anti-aliased, in order.
pub fn rasterise(out: &mut RgbaImage, shapes: &[Shape]) {
    let clip = (0, 0, out.width, out.height);
    rasterise_in(out, clip, shapes);
}

/// [`rasterise`] inside `clip` only (as the stage's painter clips to the viewport; text is
/// not clipped).
pub fn rasterise_in(out: &mut RgbaImage, clip: ClipRect, shapes: &[Shape]) {
    for shape in shapes {
        match shape {
            Shape::Disc {
                center,
                radius_px,
                rgba,
            } => {
                let (c, r) = (*center, *radius_px);
                fill_by(
                    out,
                    clip,
                    (c.x - r - 1.0, c.y - r - 1.0, c.x + r + 1.0, c.y + r + 1.0),
                    *rgba,
                    |x, y| {
                        let d = ((x - c.x).powi(2) + (y - c.y).powi(2)).sqrt();
                        (r + 0.5 - d).clamp(0.0, 1.0)
                    },
                );
            }
            Shape::Ring {
                center,
                radius_px,
                width_px,
                rgba,
            } => {
                let (c, r, half) = (*center, *radius_px, width_px / 2.0);
                let e = r + half + 1.0;
                fill_by(
                    out,
                    clip,
                    (c.x - e, c.y - e, c.x + e, c.y + e),
                    *rgba,
                    |x, y| {
                        let d = ((x - c.x).powi(2) + (y - c.y).powi(2)).sqrt();
                        (half + 0.5 - (d - r).abs()).clamp(0.0, 1.0)
                    },
                );
            }
            Shape::Polyline {
                points,
                width_px,
                rgba,
            } => stroke_segments(out, clip, points, false, *width_px, *rgba),
            Shape::ClosedLine {
                points,
                width_px,
                rgba,
            } => stroke_segments(out, clip, points, true, *width_px, *rgba),
            Shape::ConvexPolygon { points, rgba } => fill_convex(out, clip, points, *rgba),
            Shape::Rect { min, max, rgba } => {
                fill_by(out, clip, (min.x, min.y, max.x, max.y), *rgba, |_, _| 1.0);
            }
            Shape::Text {
                pos,
                text,
                size_px,
                rgba,
            } => {
                // egui places a line's bottom at `pos`; the baseline sits a descent above it.
                let baseline = pos.y - size_px * 0.25;
                draw_text_alpha(
                    out,
                    pos.x,
                    baseline,
                    text,
                    *size_px,
                    [rgba[0], rgba[1], rgba[2]],
                    f32::from(rgba[3]) / 255.0,
                );
            }
        }
    }
}

fn fill_convex(out: &mut RgbaImage, clip: ClipRect, points: &[ViewPx], rgba: [u8; 4]) {
    let n = points.len();
    if n < 3 {
        return;
    }
    // Orientation from the signed area, so inside is on the same side of every edge.
    let area: f32 = (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum();
    let sign = if area >= 0.0 { 1.0 } else { -1.0 };
    let edges: Vec<(ViewPx, f32, f32)> = (0..n)
        .filter_map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len = (dx * dx + dy * dy).sqrt();
            (len > 0.0).then_some((a, dx / len, dy / len))
        })
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    fill_by(
        out,
        clip,
        (x0 - 1.0, y0 - 1.0, x1 + 1.0, y1 + 1.0),
        rgba,
        |x, y| {
            let inside = edges
                .iter()
                .map(|(a, ux, uy)| sign * (ux * (y - a.y) - uy * (x - a.x)))
                .fold(f32::MAX, f32::min);
            (inside + 0.5).clamp(0.0, 1.0)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Clip frames.

/// The page a clip frame is drawn over.
#[derive(Clone, Copy, Debug)]
pub enum Background<'a> {
    /// The page's screenshot, taken at `layout_width` CSS px.
    Screenshot {
        /// The pixels.
        image: &'a RgbaImage,
        /// Layout width it was taken at, CSS px.
        layout_width: u32,
    },
    /// No screenshot: a grid and the URL.
    Missing {
        /// The page's URL, named on the canvas.
        url: &'a str,
    },
}

/// The caption and progress of a clip frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chrome {
    /// The caption line (None: no caption strip).
    pub caption: Option<String>,
    /// The time shown at the caption's right end (`01:23.4`).
    pub time_label: String,
    /// Share of the clip played, 0..1.
    pub progress: f32,
}

/// Height of the strip below the page: caption (when wanted) and progress bar, px.
#[must_use]
pub fn footer_height(caption: bool) -> u32 {
    PROGRESS_PX + if caption { CAPTION_PX } else { 0 }
}

/// The view of a visitor's viewport fitted into a `width × height` px area: as on the replay's
/// stage, the viewport is scaled to fit and centred, and the page moves with the scroll.
#[must_use]
pub fn fit_view(frame: &Frame<'_>, width: u32, height: u32) -> (ViewFromPage, [f32; 4]) {
    let vw = frame.viewport.width.max(1) as f32;
    let vh = frame.viewport.height.max(1) as f32;
    let scale = (width as f32 / vw).min(height as f32 / vh).max(0.01);
    let (w, h) = (vw * scale, vh * scale);
    let left = ((width as f32 - w) / 2.0).round();
    let top = ((height as f32 - h) / 2.0).round();
    let map = ViewFromPage {
        origin: ViewPx {
            x: left - frame.scroll.x * scale,
            y: top - frame.scroll.y * scale,
        },
        scale,
    };
    (map, [left, top, left + w, top + h])
}

/// Draws one clip frame into `out` (whose height is the view's plus [`footer_height`]): the
/// background scrolled and scaled like the replay's stage in visitor mode, the replay overlay,
/// the caption and the progress bar.
pub fn compose_frame(
    out: &mut RgbaImage,
    frame: &Frame<'_>,
    background: Background<'_>,
    trail_ms: i64,
    chrome: &Chrome,
) {
    let footer = footer_height(chrome.caption.is_some());
    let view_h = out.height.saturating_sub(footer);
    let (map, [left, top, right, bottom]) = fit_view(frame, out.width, view_h);
    for px in out.pixels.chunks_exact_mut(4) {
        px.copy_from_slice(&[STAGE_BG_RGB[0], STAGE_BG_RGB[1], STAGE_BG_RGB[2], 255]);
    }
    let view = (
        left.max(0.0) as u32,
        top.max(0.0) as u32,
        (right.max(0.0) as u32).min(out.width),
        (bottom.max(0.0) as u32).min(view_h),
    );
    match background {
        Background::Screenshot {
            image,
            layout_width,
        } => draw_screenshot(out, view, map, image, layout_width),
        Background::Missing { url } => {
            let rect = Shape::Rect {
                min: ViewPx {
                    x: view.0 as f32,
                    y: view.1 as f32,
                },
                max: ViewPx {
                    x: view.2 as f32,
                    y: view.3 as f32,
                },
                rgba: with_alpha(NO_SHOT_RGB, 1.0),
            };
            let mut shapes = vec![rect];
            let first = (map.inverse(ViewPx { x: 0.0, y: top }).y / 100.0).floor() * 100.0;
            let mut y = first.max(0.0);
            loop {
                let vy = map.apply(PagePos { x: 0.0, y }).y;
                if vy > bottom {
                    break;
                }
                if vy >= top {
                    shapes.push(Shape::Rect {
                        min: ViewPx { x: left, y: vy },
                        max: ViewPx {
                            x: right,
                            y: vy + 1.0,
                        },
                        rgba: with_alpha(GRID_RGB, 1.0),
                    });
                }
                y += 100.0;
            }
            let message = format!("No screenshot of {url}");
            let size = 15.0;
            let w = text_width(&message, size);
            shapes.push(Shape::Text {
                pos: ViewPx {
                    x: ((left + right - w) / 2.0).max(left + 4.0),
                    y: (top + bottom) / 2.0,
                },
                text: message,
                size_px: size,
                rgba: with_alpha(MUTED_RGB, 1.0),
            });
            rasterise(out, &shapes);
        }
    }
    // The overlay stays inside the viewport, as on the stage (its painter clips to the view).
    let shapes = overlay(frame, map, trail_ms);
    rasterise_in(out, view, &shapes);
    draw_chrome(out, view_h, chrome);
}

/// Copies the screenshot into the view box, scaled by `map` (bilinear; a plain row copy at 1:1),
/// and the no-screenshot colour below its end.
fn draw_screenshot(
    out: &mut RgbaImage,
    view: (u32, u32, u32, u32),
    map: ViewFromPage,
    image: &RgbaImage,
    layout_width: u32,
) {
    let (x0, y0, x1, y1) = view;
    if x1 <= x0 || y1 <= y0 || image.width == 0 || image.height == 0 {
        return;
    }
    let per_css = image.width as f32 / layout_width.max(1) as f32;
    // Image px per view px, and the image position of view px (0, 0).
    let step = per_css / map.scale.max(1e-6);
    let ox = -map.origin.x * step;
    let oy = -map.origin.y * step;
    let out_w = out.width as usize;
    let img_w = image.width as usize;
    let no_shot = [NO_SHOT_RGB[0], NO_SHOT_RGB[1], NO_SHOT_RGB[2], 255];
    let exact = (step - 1.0).abs() < 1e-4
        && (ox - ox.round()).abs() < 1e-3
        && (oy - oy.round()).abs() < 1e-3;
    for y in y0..y1 {
        let row = &mut out.pixels
            [(y as usize * out_w + x0 as usize) * 4..(y as usize * out_w + x1 as usize) * 4];
        // Sample at pixel centres.
        let iy = oy + (y as f32 + 0.5) * step - 0.5;
        if iy < -0.5 || iy > image.height as f32 - 0.5 {
            for px in row.chunks_exact_mut(4) {
                px.copy_from_slice(&no_shot);
            }
            continue;
        }
        if exact {
            let sy = (iy.round() as usize).min(image.height as usize - 1);
            let sx0 = (ox + x0 as f32).round() as i64;
            for (i, px) in row.chunks_exact_mut(4).enumerate() {
                let sx = sx0 + i as i64;
                if sx < 0 || sx >= img_w as i64 {
                    px.copy_from_slice(&no_shot);
                } else {
                    let s = (sy * img_w + sx as usize) * 4;
                    px.copy_from_slice(&image.pixels[s..s + 4]);
                    px[3] = 255;
                }
            }
            continue;
        }
        let fy = iy.max(0.0);
        let ya = (fy.floor() as usize).min(image.height as usize - 1);
        let yb = (ya + 1).min(image.height as usize - 1);
        let wy = fy - ya as f32;
        for (i, px) in row.chunks_exact_mut(4).enumerate() {
            let ix = ox + ((x0 as usize + i) as f32 + 0.5) * step - 0.5;
            if ix < -0.5 || ix > image.width as f32 - 0.5 {
                px.copy_from_slice(&no_shot);
                continue;
            }
            let fx = ix.max(0.0);
            let xa = (fx.floor() as usize).min(img_w - 1);
            let xb = (xa + 1).min(img_w - 1);
            let wx = fx - xa as f32;
            let p = |x: usize, y: usize| {
                let s = (y * img_w + x) * 4;
                &image.pixels[s..s + 3]
            };
            let (a, b, c, d) = (p(xa, ya), p(xb, ya), p(xa, yb), p(xb, yb));
            for ch in 0..3 {
                let top = f32::from(a[ch]) * (1.0 - wx) + f32::from(b[ch]) * wx;
                let bot = f32::from(c[ch]) * (1.0 - wx) + f32::from(d[ch]) * wx;
                px[ch] = (top * (1.0 - wy) + bot * wy).round() as u8;
            }
            px[3] = 255;
        }
    }
}

/// The caption strip and the progress bar below the view.
fn draw_chrome(out: &mut RgbaImage, view_h: u32, chrome: &Chrome) {
    let w = out.width as f32;
    let mut shapes = Vec::new();
    let mut y = view_h as f32;
    if let Some(caption) = &chrome.caption {
        let strip = CAPTION_PX as f32;
        shapes.push(Shape::Rect {
            min: ViewPx { x: 0.0, y },
            max: ViewPx { x: w, y: y + strip },
            rgba: [0x11, 0x13, 0x18, 255],
        });
        let size = 15.0;
        let time_w = text_width(&chrome.time_label, size);
        shapes.push(Shape::Text {
            pos: ViewPx {
                x: w - time_w - 8.0,
                y: y + strip - 6.0,
            },
            text: chrome.time_label.clone(),
            size_px: size,
            rgba: [0xe5, 0xe7, 0xeb, 255],
        });
        shapes.push(Shape::Text {
            pos: ViewPx {
                x: 8.0,
                y: y + strip - 6.0,
            },
            text: ellipsize(caption, size, w - time_w - 28.0),
            size_px: size,
            rgba: [0xf8, 0xfa, 0xfc, 255],
        });
        y += strip;
    }
    let bar = PROGRESS_PX as f32;
    shapes.push(Shape::Rect {
        min: ViewPx { x: 0.0, y },
        max: ViewPx { x: w, y: y + bar },
        rgba: [0x37, 0x41, 0x51, 255],
    });
    let done = (chrome.progress.clamp(0.0, 1.0) * w).round();
    if done > 0.0 {
        shapes.push(Shape::Rect {
            min: ViewPx { x: 0.0, y },
            max: ViewPx {
                x: done,
                y: y + bar,
            },
            rgba: with_alpha(ACCENT_RGB, 1.0),
        });
    }
    rasterise(out, &shapes);
}

/// `text` cut with an ellipsis to fit `max_px` at `size_px`.
fn ellipsize(text: &str, size_px: f32, max_px: f32) -> String {
    if text_width(text, size_px) <= max_px {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width(&candidate, size_px) <= max_px {
            return candidate;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClickKind, ScrollOffset, SizePx, ViewportPos};
    use crate::playback::Cursor;
    use crate::playback::frame::PointerSample;

    fn frame<'a>(trail: &'a [PointerSample], clicks: &'a [ClickMark]) -> Frame<'a> {
        Frame {
            timestamp_ms: 10_000,
            page: Some(0),
            scroll: ScrollOffset { x: 0.0, y: 100.0 },
            viewport: SizePx {
                width: 400,
                height: 300,
            },
            cursor: Some(Cursor {
                pos_in_page: PagePos { x: 200.0, y: 250.0 },
                pointer: PointerType::Mouse,
                since_sample_ms: 0,
            }),
            trail,
            clicks,
            fields: Vec::new(),
            focused: None,
        }
    }

    fn click(t: i64, mark: ClickMarkKind) -> ClickMark {
        ClickMark {
            timestamp_ms: t,
            pos_in_page: PagePos { x: 100.0, y: 150.0 },
            pos_in_viewport: ViewportPos { x: 100.0, y: 50.0 },
            click: ClickKind::Click,
            pointer: PointerType::Mouse,
            mark,
            target: None,
            event_index: 0,
        }
    }

    const MAP: ViewFromPage = ViewFromPage {
        origin: ViewPx { x: 0.0, y: -100.0 },
        scale: 1.0,
    };

    #[test]
    fn overlay_places_trail_ripples_labels_and_cursor_in_view_px() {
        let trail = [
            PointerSample {
                timestamp_ms: 9_600,
                pos_in_page: PagePos { x: 150.0, y: 250.0 },
                pointer: PointerType::Mouse,
            },
            PointerSample {
                timestamp_ms: 9_800,
                pos_in_page: PagePos { x: 180.0, y: 250.0 },
                pointer: PointerType::Mouse,
            },
        ];
        let clicks = [click(9_250, ClickMarkKind::Rage)];
        let shapes = overlay(&frame(&trail, &clicks), MAP, 500);
        // Two trail pieces, older fainter, ending at the cursor (page y 250 → view y 150).
        let Shape::Polyline { points, rgba, .. } = &shapes[0] else {
            panic!("{shapes:?}")
        };
        assert_eq!(points[0], ViewPx { x: 150.0, y: 150.0 });
        assert_eq!(&rgba[..3], &TRAIL_RGB);
        let Shape::Polyline {
            points: last,
            rgba: newer,
            ..
        } = &shapes[1]
        else {
            panic!()
        };
        assert_eq!(last[1], ViewPx { x: 200.0, y: 150.0 });
        assert!(newer[3] > rgba[3], "newer trail is more opaque");
        // The rage click half-way through its life: a disc, a ring grown by half the radius, a
        // label, all in the rage colour at half opacity.
        let Shape::Disc { center, rgba, .. } = &shapes[2] else {
            panic!()
        };
        assert_eq!(*center, ViewPx { x: 100.0, y: 50.0 });
        assert_eq!(*rgba, [RAGE_RGB[0], RAGE_RGB[1], RAGE_RGB[2], 128]);
        let Shape::Ring { radius_px, .. } = &shapes[3] else {
            panic!()
        };
        assert!((radius_px - (6.0 + CLICK_RADIUS_PX * 0.5)).abs() < 1e-4);
        assert!(matches!(&shapes[4], Shape::Text { text, .. } if text == "rage"));
        // The cursor: outline then two black parts, its tip at the cursor.
        assert!(
            matches!(&shapes[5], Shape::ClosedLine { points, .. } if points[0] == ViewPx { x: 200.0, y: 150.0 })
        );
        assert_eq!(shapes.len(), 8);
        // Without a trail, and with an ordinary click, no label.
        let clicks = [click(9_900, ClickMarkKind::Normal)];
        let shapes = overlay(&frame(&trail, &clicks), MAP, 0);
        assert!(!shapes.iter().any(|s| matches!(s, Shape::Polyline { .. })));
        assert!(!shapes.iter().any(|s| matches!(s, Shape::Text { .. })));
        assert!(matches!(shapes[0], Shape::Disc { rgba, .. } if rgba[..3] == CLICK_RGB));
    }

    #[test]
    fn rasteriser_paints_the_shapes_where_they_are() {
        let mut image = RgbaImage::new(60, 40).unwrap();
        for px in image.pixels.chunks_exact_mut(4) {
            px.copy_from_slice(&[255, 255, 255, 255]);
        }
        rasterise(
            &mut image,
            &[
                Shape::Disc {
                    center: ViewPx { x: 10.0, y: 10.0 },
                    radius_px: 5.0,
                    rgba: [255, 0, 0, 255],
                },
                Shape::Ring {
                    center: ViewPx { x: 40.0, y: 20.0 },
                    radius_px: 10.0,
                    width_px: 2.0,
                    rgba: [0, 0, 255, 255],
                },
                Shape::ConvexPolygon {
                    points: vec![
                        ViewPx { x: 2.0, y: 25.0 },
                        ViewPx { x: 12.0, y: 25.0 },
                        ViewPx { x: 12.0, y: 35.0 },
                    ],
                    rgba: [0, 0, 0, 255],
                },
            ],
        );
        assert_eq!(image.pixel(10, 10), Some([255, 0, 0, 255]));
        assert_eq!(image.pixel(20, 10), Some([255, 255, 255, 255]));
        assert_eq!(image.pixel(49, 20), Some([0, 0, 255, 255]), "on the ring");
        assert_eq!(
            image.pixel(40, 20),
            Some([255, 255, 255, 255]),
            "inside the ring"
        );
        assert_eq!(
            image.pixel(10, 30),
            Some([0, 0, 0, 255]),
            "inside the triangle"
        );
        assert_eq!(image.pixel(4, 33), Some([255, 255, 255, 255]), "outside it");
        // Anti-aliased edges: partly covered pixels are in between.
        let edge = image.pixel(14, 10).unwrap();
        assert!(edge[1] > 0 && edge[1] < 255, "{edge:?}");
    }

    #[test]
    fn a_clip_frame_shows_the_scrolled_screenshot_overlay_and_progress() {
        // A screenshot 350 px tall whose rows encode their y: row y has red = y / 2.
        let mut shot = RgbaImage::new(400, 350).unwrap();
        for (i, px) in shot.pixels.chunks_exact_mut(4).enumerate() {
            let y = i / 400;
            px.copy_from_slice(&[(y / 2) as u8, 200, 200, 255]);
        }
        let f = frame(&[], &[]);
        let mut out = RgbaImage::new(400, 300 + footer_height(false)).unwrap();
        let chrome = Chrome {
            caption: None,
            time_label: String::new(),
            progress: 0.5,
        };
        compose_frame(
            &mut out,
            &f,
            Background::Screenshot {
                image: &shot,
                layout_width: 400,
            },
            0,
            &chrome,
        );
        // Scrolled by 100: view row 0 shows screenshot row 100.
        assert_eq!(out.pixel(5, 0), Some([50, 200, 200, 255]));
        // Past the screenshot's end (page y 350+): the no-screenshot colour.
        assert_eq!(
            out.pixel(5, 299),
            Some([NO_SHOT_RGB[0], NO_SHOT_RGB[1], NO_SHOT_RGB[2], 255])
        );
        // The cursor's black body just below its tip (page 200,250 → view 200,150).
        assert_eq!(out.pixel(202, 158), Some([0, 0, 0, 255]));
        // The progress bar: accent on the left half, track on the right.
        let y = out.height - 2;
        assert_eq!(
            out.pixel(100, y).map(|p| [p[0], p[1], p[2]]),
            Some(ACCENT_RGB)
        );
        assert_ne!(
            out.pixel(300, y).map(|p| [p[0], p[1], p[2]]),
            Some(ACCENT_RGB)
        );
    }
}
