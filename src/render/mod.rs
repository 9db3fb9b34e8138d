//! CPU rasterising to RGBA and PNG. The screen and exported files use the same pixels: the UI
//! uploads an [`RgbaImage`] made here as a texture, exports encode the same image with
//! [`encode_png`].
//!
//! Owns: pixels (heatmaps, compare maps, charts, Chromium page renders). May use: `model`,
//! `format`, `analysis` (it draws analysis results), `playback`.

pub mod chart;
pub mod chromium;
pub mod compare;
pub mod elements;
pub mod heatmap;
pub mod journeys;
pub mod placeholder;
pub mod replay;
pub mod video;

use crate::format::{FormatError, png_dimensions};

/// An 8-bit RGBA image, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
}

impl RgbaImage {
    /// A blank (transparent) image; `None` when the size overflows memory limits.
    #[must_use]
    pub fn new(width: u32, height: u32) -> Option<Self> {
        let len = usize::try_from(u64::from(width) * u64::from(height) * 4).ok()?;
        Some(Self {
            width,
            height,
            pixels: vec![0; len],
        })
    }

    /// The pixel at `(x, y)`, if inside.
    #[must_use]
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        self.pixels.get(i..i + 4).and_then(|p| p.try_into().ok())
    }
}

/// Decodes a screenshot PNG to RGBA, after checking its declared size against the screenshot
/// limits (so a PNG declaring 100,000 × 100,000 px is refused before any allocation).
pub fn decode_png(png: &[u8], name: &str) -> Result<RgbaImage, FormatError> {
    let (width, height) = png_dimensions(png, name)?;
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(png), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(u64::from(width) * u64::from(height) * 8 + (1 << 20));
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| FormatError::Unsupported {
        file: name.to_owned(),
        message: format!("unreadable PNG: {e}"),
    })?;
    let rgba = decoded.into_rgba8();
    Ok(RgbaImage {
        width: rgba.width(),
        height: rgba.height(),
        pixels: rgba.into_raw(),
    })
}

/// Encodes an RGBA image as PNG (fast compression, deterministic bytes).
pub fn encode_png(image: &RgbaImage) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder as _;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    )
    .write_image(
        &image.pixels,
        image.width,
        image.height,
        image::ExtendedColorType::Rgba8,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip() {
        let mut image = RgbaImage::new(3, 2).unwrap();
        image.pixels[4..8].copy_from_slice(&[10, 20, 30, 255]);
        let png = encode_png(&image).unwrap();
        assert_eq!(encode_png(&image).unwrap(), png, "deterministic");
        let back = decode_png(&png, "t.png").unwrap();
        assert_eq!(back, image);
        assert_eq!(back.pixel(1, 0), Some([10, 20, 30, 255]));
        assert_eq!(back.pixel(3, 0), None);
    }

    #[test]
    fn decodes_a_real_screenshot() {
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/demo-shop/screenshots/cart-390.png"
        ))
        .unwrap();
        let image = decode_png(&png, "cart-390.png").unwrap();
        assert_eq!(image.width, 390);
        assert!(image.height > 1000);
    }

    #[test]
    fn refuses_a_png_bomb_before_decoding() {
        // A valid PNG header declaring 100,000 x 100,000 px, with no pixel data.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
            png.extend_from_slice(&0u32.to_be_bytes());
            png.extend_from_slice(chunk);
            png.extend_from_slice(&crc32(chunk).to_be_bytes());
        }
        let err = decode_png(&png, "bomb.png").unwrap_err().to_string();
        assert!(err.contains("exceeds the limit"), "{err}");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
