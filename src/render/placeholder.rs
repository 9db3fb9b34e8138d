//! The stand-in for a page nobody has a screenshot of: a neutral page-sized canvas with a grid
//! every 100 CSS px and the URL, so replays and heatmaps still have something to the right scale.

use super::RgbaImage;
use super::heatmap::{draw_text, fill_rect};

/// A `width_px` × `height_px` canvas naming `url` and why it stands in for the page.
#[must_use]
pub fn page_canvas(width_px: u32, height_px: u32, url: &str, note: &str) -> RgbaImage {
    let (w, h) = (width_px.clamp(1, 16_384), height_px.clamp(1, 65_536));
    let mut image = RgbaImage {
        width: w,
        height: h,
        pixels: [246u8, 246, 244, 255].repeat(w as usize * h as usize),
    };
    for x in (0..w).step_by(100) {
        fill_rect(&mut image, x, 0, 1, h, [222, 222, 218]);
    }
    for y in (0..h).step_by(100) {
        fill_rect(&mut image, 0, y, w, 1, [222, 222, 218]);
        if y > 0 {
            draw_text(
                &mut image,
                4,
                y + 14,
                &format!("{y} px"),
                12.0,
                [150, 150, 146],
            );
        }
    }
    fill_rect(&mut image, 0, 0, w, 64.min(h), [232, 232, 228]);
    draw_text(&mut image, 12, 26, url, 16.0, [40, 40, 40]);
    draw_text(&mut image, 12, 50, note, 13.0, [110, 110, 106]);
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_has_the_size_a_grid_and_text() {
        let image = page_canvas(390, 1000, "http://shop.test/cart.html", "no screenshot");
        assert_eq!((image.width, image.height), (390, 1000));
        assert_eq!(
            image.pixel(100, 500),
            Some([222, 222, 218, 255]),
            "grid line"
        );
        assert_eq!(
            image.pixel(150, 550),
            Some([246, 246, 244, 255]),
            "background"
        );
        let dark = (0..390)
            .flat_map(|x| (10..30).map(move |y| (x, y)))
            .filter(|&(x, y)| image.pixel(x, y).is_some_and(|p| p[0] < 120))
            .count();
        assert!(dark > 50, "the URL is written: {dark} dark pixels");
    }
}
