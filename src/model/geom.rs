//! Points and sizes in named coordinate spaces, and the transforms between them.

use serde::{Deserialize, Serialize};

/// A position in the page (document) in CSS pixels, scroll included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PagePos {
    /// Horizontal CSS px from the document's left edge.
    pub x: f32,
    /// Vertical CSS px from the document's top edge.
    pub y: f32,
}

/// A position in the browser viewport in CSS pixels (what `clientX/clientY` report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ViewportPos {
    /// Horizontal CSS px from the viewport's left edge.
    pub x: f32,
    /// Vertical CSS px from the viewport's top edge.
    pub y: f32,
}

/// A position in a screenshot image, in image pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ImagePos {
    /// Pixel column.
    pub x: f32,
    /// Pixel row.
    pub y: f32,
}

/// The document scroll offset: where the viewport's top-left corner sits in the page, CSS px.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScrollOffset {
    /// `scrollX`.
    pub x: f32,
    /// `scrollY`.
    pub y: f32,
}

impl ScrollOffset {
    /// Converts a viewport position into a page position under this scroll offset.
    #[must_use]
    pub fn page_from_viewport(self, pos_in_viewport: ViewportPos) -> PagePos {
        PagePos {
            x: pos_in_viewport.x + self.x,
            y: pos_in_viewport.y + self.y,
        }
    }

    /// Converts a page position into a viewport position under this scroll offset.
    #[must_use]
    pub fn viewport_from_page(self, pos_in_page: PagePos) -> ViewportPos {
        ViewportPos {
            x: pos_in_page.x - self.x,
            y: pos_in_page.y - self.y,
        }
    }
}

/// A size in CSS pixels (viewport or document).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizePx {
    /// Width in CSS px.
    pub width: u32,
    /// Height in CSS px.
    pub height: u32,
}

/// Maps page CSS pixels onto the pixels of a screenshot taken at some layout width.
///
/// A screenshot taken at device pixel ratio 2 has `image_px_per_css_px == 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageFromPage {
    /// Image pixels per CSS pixel.
    pub image_px_per_css_px: f32,
}

impl ImageFromPage {
    /// The transform for a screenshot `image_width_px` wide of a layout `layout_width_css_px` wide.
    #[must_use]
    pub fn new(image_width_px: u32, layout_width_css_px: u32) -> Self {
        let image_px_per_css_px = if layout_width_css_px == 0 {
            1.0
        } else {
            image_width_px as f32 / layout_width_css_px as f32
        };
        Self {
            image_px_per_css_px,
        }
    }

    /// Page position to image position.
    #[must_use]
    pub fn apply(self, pos_in_page: PagePos) -> ImagePos {
        ImagePos {
            x: pos_in_page.x * self.image_px_per_css_px,
            y: pos_in_page.y * self.image_px_per_css_px,
        }
    }

    /// Image position back to page position.
    #[must_use]
    pub fn inverse(self, pos_in_image: ImagePos) -> PagePos {
        PagePos {
            x: pos_in_image.x / self.image_px_per_css_px,
            y: pos_in_image.y / self.image_px_per_css_px,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewport_page_round_trip() {
        let scroll = ScrollOffset { x: 0.0, y: 1200.0 };
        let pos_in_viewport = ViewportPos { x: 300.0, y: 40.5 };
        let pos_in_page = scroll.page_from_viewport(pos_in_viewport);
        assert_eq!(
            pos_in_page,
            PagePos {
                x: 300.0,
                y: 1240.5
            }
        );
        assert_eq!(scroll.viewport_from_page(pos_in_page), pos_in_viewport);
    }

    #[test]
    fn image_from_page_scales_by_device_pixel_ratio() {
        let image_from_page = ImageFromPage::new(2880, 1440);
        let pos_in_image = image_from_page.apply(PagePos { x: 10.0, y: 20.0 });
        assert_eq!(pos_in_image, ImagePos { x: 20.0, y: 40.0 });
        assert_eq!(
            image_from_page.inverse(pos_in_image),
            PagePos { x: 10.0, y: 20.0 }
        );
        assert_eq!(ImageFromPage::new(100, 0).image_px_per_css_px, 1.0);
    }
}
