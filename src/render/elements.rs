//! Element maps drawn over the page screenshot: one box per clicked element (the bounding box of
//! its clicks in the layout drawn on, `analysis::elements`), filled and outlined in the colour of
//! the chosen measure, the best-ranked on top with its rank; and compare mode's boxes, coloured
//! by the difference of A and B where the test finds one, grey where it does not. The app shows
//! these very pixels, and `sessionlens elements --png` writes them.

use super::RgbaImage;
use super::compare::diverging;
use super::heatmap::{
    CAPTION_LINE_PX, Colormap, blend, draw_text, fill_rect, legend_height, text_width, wrap_parts,
};
use crate::analysis::elements::{ElementBox, ElementComparison, ElementMap, ElementMeasure};
use crate::model::ImageFromPage;

/// Fill opacity of a box.
const FILL_ALPHA: f32 = 0.32;
/// Outline width, image px.
const OUTLINE_PX: u32 = 2;
/// Height of a rank tag, image px.
const TAG_PX: u32 = 17;
/// Boxes labelled with their rank.
const RANKS_LABELLED: usize = 20;
/// Outline of an element whose measure is 0 (or whose difference is not significant).
const NEUTRAL: [u8; 3] = [120, 120, 120];

/// How an element map is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementRenderSettings {
    /// Width of the layout the screenshot shows, CSS px.
    pub layout_width_px: u32,
    /// Draw the legend and caption strip below the page.
    pub legend: bool,
    /// Extra caption text (filters), after the page and measure.
    pub caption: String,
}

/// The colour of a value `v` in 0–1 of the measure's maximum: heatmap.js's gradient from its
/// first stop (blue, low) to red (high), the heatmaps' colours.
#[must_use]
pub fn measure_colour(v: f32) -> [u8; 3] {
    Colormap::HeatmapJs.rgb(0.25 + 0.75 * v.clamp(0.0, 1.0))
}

/// The measure's value as shown (conversion as a percentage).
#[must_use]
pub fn format_value(measure: ElementMeasure, v: f64) -> String {
    match measure {
        ElementMeasure::Conversion => format!("{:.1} %", v * 100.0),
        _ => format!("{v:.0}"),
    }
}

/// A box in image px: `(x, y, w, h)`, clipped to `width × height`; `None` when outside.
fn image_rect(b: &ElementBox, s: f32, width: u32, height: u32) -> Option<(u32, u32, u32, u32)> {
    let x0 = (b.left_px * s).floor().max(0.0);
    let y0 = (b.top_px * s).floor().max(0.0);
    let x1 = (b.right_px * s).ceil().min(width as f32);
    let y1 = (b.bottom_px * s).ceil().min(height as f32);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    Some((x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32))
}

fn blend_rect(out: &mut RgbaImage, (x, y, w, h): (u32, u32, u32, u32), rgb: [u8; 3], a: f32) {
    let width = out.width as usize;
    for yy in y..(y + h).min(out.height) {
        for xx in x..(x + w).min(out.width) {
            let i = (yy as usize * width + xx as usize) * 4;
            if let Some(px) = out.pixels.get_mut(i..i + 4) {
                blend(px, rgb, a);
            }
        }
    }
}

fn outline(out: &mut RgbaImage, (x, y, w, h): (u32, u32, u32, u32), rgb: [u8; 3]) {
    let t = OUTLINE_PX.min(w).min(h);
    fill_rect(out, x, y, w, t, rgb);
    fill_rect(out, x, (y + h).saturating_sub(t), w, t, rgb);
    fill_rect(out, x, y, t, h, rgb);
    fill_rect(out, (x + w).saturating_sub(t), y, t, h, rgb);
}

fn rank_tag(out: &mut RgbaImage, x: u32, y: u32, rank: usize, rgb: [u8; 3]) {
    let text = rank.to_string();
    let size = 13.0;
    let w = text_width(&text, size).ceil() as u32 + 8;
    fill_rect(out, x, y, w, TAG_PX, rgb);
    let ink = if u32::from(rgb[0]) * 3 + u32::from(rgb[1]) * 6 + u32::from(rgb[2]) > 1_200 {
        [0, 0, 0]
    } else {
        [255, 255, 255]
    };
    draw_text(out, x + 4, y + 13, &text, size, ink);
}

/// The page body: the screenshot, opaque, above a white strip of `legend_h` px.
fn base(screenshot: &RgbaImage, legend_h: u32) -> RgbaImage {
    let width = screenshot.width.max(1);
    let body_h = screenshot.height.max(1);
    let mut pixels = vec![255u8; width as usize * (body_h + legend_h) as usize * 4];
    let n = (screenshot.width as usize * screenshot.height as usize * 4).min(pixels.len());
    if let (Some(dst), Some(src)) = (pixels.get_mut(..n), screenshot.pixels.get(..n)) {
        dst.copy_from_slice(src);
        dst.chunks_exact_mut(4).for_each(|p| p[3] = 255);
    }
    RgbaImage {
        width,
        height: body_h + legend_h,
        pixels,
    }
}

fn caption_block(out: &mut RgbaImage, top: u32, lines: &[String]) {
    fill_rect(out, 0, top, out.width, 1, [200, 200, 200]);
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + 44 + CAPTION_LINE_PX * i as u32;
        draw_text(out, 8, baseline, line, 14.0, [30, 30, 30]);
    }
}

/// Draws `map` over `screenshot` (any device pixel ratio): each element with a box, filled and
/// outlined in the colour of its value of the map's measure against the largest (grey outline
/// only at 0), the best-ranked on top, the first twenty with their rank. The legend strip says
/// the measure, its scale, where boxes come from, and the page's figures.
#[must_use]
pub fn render_element_map(
    map: &ElementMap,
    screenshot: &RgbaImage,
    settings: &ElementRenderSettings,
) -> RgbaImage {
    let s = ImageFromPage::new(screenshot.width, settings.layout_width_px).image_px_per_css_px;
    let width = screenshot.width.max(1);
    let max = map.max_value();
    let caption = if settings.legend {
        let max_px = width.saturating_sub(16) as f32;
        let mut first = vec![
            map.page.clone(),
            format!("element map by {}", map.measure.as_str()),
            format!("layout {} px", settings.layout_width_px),
            "boxes: the clicks' bounding box".to_owned(),
        ];
        first.retain(|p| !p.is_empty());
        let mut second = vec![
            format!("{} sessions", map.sessions),
            format!("{} page views", map.page_views),
            format!("{} clicks on {} elements", map.clicks, map.elements.len()),
        ];
        second.extend(
            settings
                .caption
                .split(" · ")
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        let mut lines = wrap_parts(&first, max_px);
        lines.extend(wrap_parts(&second, max_px));
        lines
    } else {
        Vec::new()
    };
    let legend_h = if settings.legend {
        legend_height(caption.len())
    } else {
        0
    };
    let mut out = base(screenshot, legend_h);
    let body_h = out.height - legend_h;
    // Lowest-ranked first, so the best-ranked boxes lie on top.
    for (rank, e) in map.elements.iter().enumerate().rev() {
        let Some(rect) = e.bbox.and_then(|b| image_rect(&b, s, width, body_h)) else {
            continue;
        };
        let v = e.value(map.measure);
        if v > 0.0 && max > 0.0 {
            let rgb = measure_colour((v / max) as f32);
            blend_rect(&mut out, rect, rgb, FILL_ALPHA);
            outline(&mut out, rect, rgb);
            if rank < RANKS_LABELLED {
                // Above the box where there is room, so the element's own text stays legible.
                let tag_y = rect.1.checked_sub(TAG_PX).unwrap_or(rect.1);
                rank_tag(&mut out, rect.0, tag_y, rank + 1, rgb);
            }
        } else {
            outline(&mut out, rect, NEUTRAL);
        }
    }
    if settings.legend {
        let bar_w = 200.min(width.saturating_sub(16) / 2);
        for i in 0..bar_w {
            let rgb = measure_colour(i as f32 / bar_w.max(1) as f32);
            fill_rect(&mut out, 8 + i, body_h + 10, 1, 14, rgb);
        }
        let scale = format!(
            "{} – {} {} per element",
            format_value(map.measure, 0.0),
            format_value(map.measure, max),
            map.measure.as_str()
        );
        draw_text(
            &mut out,
            8 + bar_w + 8,
            body_h + 22,
            &scale,
            14.0,
            [30, 30, 30],
        );
        caption_block(&mut out, body_h, &caption);
    }
    out
}

/// Draws a comparison over `screenshot`: each element whose difference is significant filled
/// red (A's share of page views higher) or blue (B's), its strength against the largest
/// significant difference; the others outlined grey. The legend names the test.
#[must_use]
pub fn render_element_comparison(
    cmp: &ElementComparison,
    screenshot: &RgbaImage,
    settings: &ElementRenderSettings,
) -> RgbaImage {
    let s = ImageFromPage::new(screenshot.width, settings.layout_width_px).image_px_per_css_px;
    let width = screenshot.width.max(1);
    let max_px = width.saturating_sub(16) as f32;
    let mut lines = wrap_parts(
        &[
            format!("A {} ({} page views)", cmp.label_a, cmp.page_views_a),
            format!("B {} ({} page views)", cmp.label_b, cmp.page_views_b),
            format!("layout {} px", settings.layout_width_px),
        ],
        max_px,
    );
    lines.extend(wrap_parts(&[cmp.describe()], max_px));
    if !settings.caption.is_empty() {
        lines.extend(wrap_parts(
            &settings
                .caption
                .split(" · ")
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            max_px,
        ));
    }
    let legend_h = if settings.legend {
        legend_height(lines.len())
    } else {
        0
    };
    let mut out = base(screenshot, legend_h);
    let body_h = out.height - legend_h;
    let scale = cmp
        .elements
        .iter()
        .filter(|e| e.significant)
        .map(|e| e.difference.abs())
        .fold(0.0, f64::max);
    for e in cmp.elements.iter().rev() {
        let Some(rect) = e.bbox.and_then(|b| image_rect(&b, s, width, body_h)) else {
            continue;
        };
        if e.significant && scale > 0.0 {
            let (rgb, _) = diverging((e.difference / scale) as f32, 1.0);
            blend_rect(&mut out, rect, rgb, FILL_ALPHA + 0.1);
            outline(&mut out, rect, rgb);
        } else {
            outline(&mut out, rect, NEUTRAL);
        }
    }
    if settings.legend {
        let bar_w = 200.min(width.saturating_sub(16) / 2);
        for i in 0..bar_w {
            let v = 1.0 - 2.0 * i as f32 / bar_w.max(1) as f32;
            let (rgb, _) = diverging(v, 1.0);
            fill_rect(&mut out, 8 + i, body_h + 10, 1, 14, rgb);
        }
        draw_text(
            &mut out,
            8 + bar_w + 8,
            body_h + 22,
            "A more · B more (grey: no significant difference)",
            14.0,
            [30, 30, 30],
        );
        caption_block(&mut out, body_h, &lines);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::elements::{ElementStats, element_map};

    fn stats(selector: &str, clicks: u64, bbox: ElementBox) -> ElementStats {
        ElementStats {
            selector: selector.to_owned(),
            label: selector.to_owned(),
            clicks,
            rage: 0,
            dead: 0,
            error: 0,
            sessions: clicks,
            page_views: clicks,
            converted_sessions: 0,
            conversion_rate: 0.0,
            fixed: false,
            bbox: Some(bbox),
            moments: Vec::new(),
        }
    }

    fn bx(l: f32, t: f32, r: f32, b: f32) -> ElementBox {
        ElementBox {
            left_px: l,
            top_px: t,
            right_px: r,
            bottom_px: b,
            clicks: 1,
        }
    }

    #[test]
    fn boxes_are_coloured_by_their_measure_at_the_screenshot_scale() {
        let mut map = element_map(&Default::default(), ElementMeasure::Clicks);
        map.elements = vec![
            stats("#hot", 10, bx(10.0, 10.0, 60.0, 40.0)),
            stats("#cold", 1, bx(100.0, 100.0, 150.0, 140.0)),
        ];
        // A 2× screenshot of a 200 px layout, plain white.
        let shot = RgbaImage {
            width: 400,
            height: 400,
            pixels: vec![255; 400 * 400 * 4],
        };
        let settings = ElementRenderSettings {
            layout_width_px: 200,
            legend: true,
            caption: "desktop".to_owned(),
        };
        let img = render_element_map(&map, &shot, &settings);
        assert_eq!(img.width, 400);
        assert!(img.height > 400);
        // Outline of the hot box at its 2× position is red, of the cold one blue.
        let hot = img.pixel(21, 60).unwrap();
        assert_eq!(&hot[..3], &measure_colour(1.0));
        let cold = img.pixel(201, 240).unwrap();
        assert_eq!(&cold[..3], &measure_colour(0.1));
        // Inside the hot box the white page is tinted, outside it is not.
        let inside = img.pixel(60, 60).unwrap();
        assert!(inside[1] < 255 && inside[0] == 255, "{inside:?}");
        assert_eq!(img.pixel(300, 30).unwrap(), [255, 255, 255, 255]);
        // Without legend: exactly the screenshot's size.
        let bare = render_element_map(
            &map,
            &shot,
            &ElementRenderSettings {
                legend: false,
                ..settings
            },
        );
        assert_eq!((bare.width, bare.height), (400, 400));
    }
}
