//! Render tests. Golden images live in `tests/golden/`; regenerate them after an intended change
//! with `UPDATE_GOLDEN=1 cargo test --lib render::heatmap` and look at every changed PNG.

use std::path::PathBuf;

use super::*;
use crate::analysis::heatmap::{
    DensityGrid, HeatmapQuery, HeatmapResult, WeightUnit, scroll_reach,
};
use crate::model::PagePos;
use crate::render::{decode_png, encode_png};

/// A 320 × 240 stand-in screenshot: light stripes with a dark "button".
fn screenshot(width: u32, height: u32) -> RgbaImage {
    let mut img = blank(width, height, [250, 250, 250, 255]);
    for y in 0..height {
        for x in 0..width {
            let i = ((y * width + x) * 4) as usize;
            if (y / 40) % 2 == 1 {
                img.pixels[i..i + 3].copy_from_slice(&[235, 238, 245]);
            }
            if (120..200).contains(&x) && (100..130).contains(&y) {
                img.pixels[i..i + 3].copy_from_slice(&[40, 70, 160]);
            }
        }
    }
    img
}

fn result(kind: HeatmapKind, width: u32, height: u32, points: &[(f32, f32, f32)]) -> HeatmapResult {
    let mut query = HeatmapQuery::new("https://shop.test/", kind, width);
    query.page_height_px = Some(height);
    let mut density = DensityGrid::new(width, height);
    for &(x, y, w) in points {
        assert!(density.add(PagePos { x, y }, w));
    }
    let depths = [240.0, 200.0, 180.0, 120.0, 100.0, 100.0, 90.0, 60.0];
    HeatmapResult {
        query,
        sessions: 8,
        page_views: 8,
        points: points.len() as u64,
        points_outside_page: 0,
        density: if kind.is_density() {
            density
        } else {
            DensityGrid::default()
        },
        unit: if kind == HeatmapKind::Move {
            WeightUnit::Seconds
        } else {
            WeightUnit::Clicks
        },
        hotspots: Vec::new(),
        scroll_reach: scroll_reach(&depths, height),
        average_fold_px: 90.0,
        attention_secs: if kind == HeatmapKind::Attention {
            (0..height / BAND_PX)
                .map(|b| 20.0 / (1.0 + b as f32 / 4.0))
                .collect()
        } else {
            Vec::new()
        },
        page_height_px: height,
        date_range_ms: Some((1_790_000_000_000, 1_790_500_000_000)),
        views: Vec::new(),
        point_refs: Vec::new(),
    }
}

fn sample_points() -> Vec<(f32, f32, f32)> {
    let mut p = Vec::new();
    for i in 0..40 {
        p.push((
            150.0 + (i % 7) as f32 * 3.0,
            112.0 + (i % 5) as f32 * 2.0,
            1.0,
        ));
    }
    for i in 0..12 {
        p.push((40.0 + i as f32 * 2.0, 30.0, 1.0));
    }
    p.push((280.0, 200.0, 1.0));
    p
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares with the golden (a channel may differ by 2 on 0.5 % of pixels: thread splits change
/// float summation order); with `UPDATE_GOLDEN=1`, writes it instead.
fn check_golden(name: &str, image: &RgbaImage) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, encode_png(image).unwrap()).unwrap();
        return;
    }
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with UPDATE_GOLDEN=1", path.display()));
    let golden = decode_png(&bytes, name).unwrap();
    assert_eq!(
        (golden.width, golden.height),
        (image.width, image.height),
        "{name}: size"
    );
    let mut off = 0;
    for (a, b) in golden
        .pixels
        .chunks_exact(4)
        .zip(image.pixels.chunks_exact(4))
    {
        let d = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y))
            .max()
            .unwrap_or(0);
        assert!(d <= 24, "{name}: a pixel differs by {d}");
        if d > 2 {
            off += 1;
        }
    }
    assert!(
        off * 200 <= golden.pixels.len() / 4,
        "{name}: {off} pixels differ"
    );
}

#[test]
fn golden_each_kind() {
    let shot = screenshot(320, 240);
    for kind in HeatmapKind::ALL {
        let r = result(kind, 320, 240, &sample_points());
        let image = render_heatmap(&r, &shot, &RenderSettings::for_kind(kind));
        assert_eq!(image.width, 320);
        assert!(image.height >= 240 + LEGEND_HEIGHT_PX);
        check_golden(&format!("kind-{}", kind.as_str()), &image);
    }
}

#[test]
fn rendering_into_a_used_buffer_gives_the_same_pixels() {
    let shot = screenshot(320, 240);
    for kind in HeatmapKind::ALL {
        let r = result(kind, 320, 240, &sample_points());
        let settings = RenderSettings::for_kind(kind);
        let fresh = render_heatmap(&r, &shot, &settings);
        // A buffer of another size full of junk, and one of the same size.
        for mut used in [
            blank(100, 700, [1, 2, 3, 4]),
            blank(fresh.width, fresh.height, [9; 4]),
        ] {
            render_heatmap_into(&r, &shot, &settings, &mut used);
            assert_eq!((used.width, used.height), (fresh.width, fresh.height));
            assert!(used.pixels == fresh.pixels, "{kind:?}: a pixel differs");
        }
    }
}

#[test]
fn golden_each_colormap() {
    let shot = screenshot(320, 240);
    let r = result(HeatmapKind::Click, 320, 240, &sample_points());
    for colormap in Colormap::ALL {
        let settings = RenderSettings {
            colormap,
            legend: false,
            ..RenderSettings::for_kind(HeatmapKind::Click)
        };
        let image = render_heatmap(&r, &shot, &settings);
        check_golden(&format!("colormap-{}", colormap.as_str()), &image);
    }
}

#[test]
fn a_single_click_peaks_at_its_position() {
    let shot = blank(400, 400, [255, 255, 255, 255]);
    let r = result(HeatmapKind::Click, 400, 400, &[(123.0, 234.0, 1.0)]);
    let settings = RenderSettings {
        legend: false,
        colormap: Colormap::Red,
        opacity: 1.0,
        ..RenderSettings::for_kind(HeatmapKind::Click)
    };
    let image = render_heatmap(&r, &shot, &settings);
    // Mono red over white: the strongest spot is where green is lowest.
    let (mut best, mut at) = (255u8, (0, 0));
    for y in 0..400 {
        for x in 0..400 {
            let g = image.pixel(x, y).unwrap()[1];
            if g < best {
                best = g;
                at = (x, y);
            }
        }
    }
    assert!(best < 10, "peak is saturated: {best}");
    assert!(
        at.0.abs_diff(123) <= 2 && at.1.abs_diff(234) <= 2,
        "peak at {at:?}"
    );
    // Radius 20: nothing beyond 2.5 radii.
    assert_eq!(image.pixel(123, 234 + 60).unwrap(), [255, 255, 255, 255]);
    assert_eq!(image.pixel(0, 0).unwrap(), [255, 255, 255, 255]);
}

#[test]
fn a_retina_screenshot_scales_points_and_radius() {
    let shot = blank(800, 800, [255, 255, 255, 255]);
    let r = result(HeatmapKind::Click, 400, 400, &[(100.0, 50.0, 1.0)]);
    let settings = RenderSettings {
        legend: false,
        colormap: Colormap::Red,
        ..RenderSettings::for_kind(HeatmapKind::Click)
    };
    let image = render_heatmap(&r, &shot, &settings);
    assert_eq!((image.width, image.height), (800, 800));
    assert!(image.pixel(201, 101).unwrap()[1] < 100);
    assert_eq!(image.pixel(100, 50).unwrap(), [255, 255, 255, 255]);
}

#[test]
fn blur_keeps_the_total_and_approximates_a_gaussian() {
    let mut density = DensityGrid::new(300, 300);
    density.add(PagePos { x: 150.0, y: 150.0 }, 10.0);
    density.add(PagePos { x: 100.0, y: 160.0 }, 5.0);
    for radius in [4.0, 20.0, 40.0] {
        let (v, w, h, cell) = blurred_density(&density, 1.0, (300, 300), radius);
        assert_eq!((w, h), (300usize.div_ceil(cell), 300usize.div_ceil(cell)));
        let total: f32 = v.iter().sum();
        assert!((total - 15.0).abs() < 1e-3, "radius {radius}: {total}");
    }
    for sigma in [2.0f32, 5.0, 10.0, 20.0] {
        let radii = box_radii(sigma);
        // The variance of a box of radius r is ((2r+1)² − 1) / 12.
        let var: f32 = radii
            .iter()
            .map(|&r| (((2 * r + 1) * (2 * r + 1)) as f32 - 1.0) / 12.0)
            .sum();
        assert!(
            (var.sqrt() - sigma).abs() / sigma < 0.1,
            "sigma {sigma}: {radii:?}"
        );
    }
}

#[test]
fn colormaps_follow_their_sources() {
    let c = Colormap::HeatmapJs;
    assert_eq!(c.rgb(0.0), [0, 0, 255]);
    assert_eq!(c.rgb(0.25), [0, 0, 255]);
    assert_eq!(c.rgb(0.55), [0, 255, 0]);
    assert_eq!(c.rgb(0.85), [255, 255, 0]);
    assert_eq!(c.rgb(1.0), [255, 0, 0]);
    assert_eq!(Colormap::Clarity.rgb(0.4), [0, 255, 255]);
    // Halfway between lime (0.6) and yellow (0.8); 127.5 rounds either way in f32.
    let [r, g, b] = Colormap::Clarity.rgb(0.7);
    assert!(r.abs_diff(128) <= 1 && g == 255 && b == 0, "{r} {g} {b}");
    assert_eq!(hue_rgb(1.0), [255, 0, 0]);
    assert_eq!(hue_rgb(0.0), [0, 0, 255]);
    assert_eq!(hue_rgb(0.5), [0, 255, 0]);
    assert_ne!(Colormap::Viridis.rgb(0.0), Colormap::Viridis.rgb(1.0));
    for c in Colormap::ALL {
        assert_eq!(Colormap::parse(c.as_str()), Some(c));
    }
    assert_eq!(Colormap::parse("default"), Some(Colormap::HeatmapJs));
}

#[test]
fn scroll_map_marks_reach_and_fold() {
    let shot = blank(320, 240, [255, 255, 255, 255]);
    let r = result(HeatmapKind::Scroll, 320, 240, &[]);
    // 50 % of the 8 page views reached 100 px (depths 240, 200, 180, 120, 100, 100).
    assert_eq!(depth_reached_by(&r.scroll_reach, 0.5), Some(120));
    let image = render_heatmap(&r, &shot, &RenderSettings::for_kind(HeatmapKind::Scroll));
    // The 50 % line is black across the page (right of its label).
    assert_eq!(image.pixel(310, 120).unwrap(), [0, 0, 0, 255]);
    // The top band (everyone) is red-tinted, the last band (one in eight) blue-tinted.
    let top = image.pixel(300, 2).unwrap();
    assert!(top[0] > 200 && top[2] < 150, "{top:?}");
    let bottom = image.pixel(300, 236).unwrap();
    assert!(bottom[2] > 200 && bottom[0] < 150, "{bottom:?}");
}

#[test]
fn pages_of_any_height() {
    let shot = screenshot(390, 2000);
    let mut points = Vec::new();
    for i in 0..500 {
        points.push((195.0, 19_000.0 + (i % 50) as f32, 1.0));
    }
    let r = result(HeatmapKind::Click, 390, 20_000, &points);
    let image = render_heatmap(&r, &shot, &RenderSettings::for_kind(HeatmapKind::Click));
    let caption = caption_lines(&r, &RenderSettings::for_kind(HeatmapKind::Click), 390);
    assert_eq!(image.height, 20_000 + legend_height(caption.len()));
    // Below the screenshot: grey page, with the spot drawn at 19,025 px.
    assert_eq!(image.pixel(10, 5000).unwrap(), [235, 235, 235, 255]);
    let spot = image.pixel(195, 19_025).unwrap();
    assert!(spot[0] > 200 && spot[2] < 100, "{spot:?}");
}

#[test]
fn narrow_captions_wrap_instead_of_being_cut() {
    let mut settings = RenderSettings::for_kind(HeatmapKind::Click);
    settings.caption = "mobile · source paid_social · converted no · with rage_click".to_owned();
    let mut r = result(HeatmapKind::Click, 390, 800, &[(10.0, 10.0, 1.0)]);
    r.query.page = "http://shop.test/product/trail-runner.html".to_owned();
    r.date_range_ms = Some((1_790_000_000_000, 1_792_000_000_000));
    let lines = caption_lines(&r, &settings, 390);
    assert!(lines.len() > 2, "{lines:?}");
    for line in &lines {
        assert!(text_width(line, 14.0) <= 390.0 - 16.0, "{line:?} is cut");
    }
    let text: String = lines.join(" · ");
    for part in [
        "trail-runner.html",
        "click map",
        "paid_social",
        "with rage_click",
        "points",
    ] {
        assert!(text.contains(part), "{part} missing from {lines:?}");
    }
    let image = render_heatmap(&r, &screenshot(390, 800), &settings);
    assert_eq!(image.height, 800 + legend_height(lines.len()));
    // At 1440 px everything fits on the two usual lines.
    let mut wide = result(HeatmapKind::Click, 1440, 800, &[(10.0, 10.0, 1.0)]);
    wide.query.page = r.query.page.clone();
    assert_eq!(caption_lines(&wide, &settings, 1440).len(), 2);
    assert_eq!(legend_height(2), LEGEND_HEIGHT_PX);
    // A part wider than the map is broken inside.
    assert!(wrap_parts(&["x".repeat(200)], 100.0).len() > 1);
}

#[test]
fn legend_has_text() {
    let shot = blank(320, 100, [255, 255, 255, 255]);
    let r = result(HeatmapKind::Click, 320, 100, &[(10.0, 10.0, 1.0)]);
    let image = render_heatmap(&r, &shot, &RenderSettings::for_kind(HeatmapKind::Click));
    let dark = (100..100 + LEGEND_HEIGHT_PX)
        .flat_map(|y| (0..320).map(move |x| (x, y)))
        .filter(|&(x, y)| image.pixel(x, y).unwrap()[0] < 100)
        .count();
    assert!(dark > 200, "caption text drawn: {dark} dark pixels");
    assert!(font().is_some());
    assert!(text_width("1,234 clicks", 14.0) > 40.0);
    assert_eq!(format_count(1234.4), "1,234");
    assert_eq!(format_count(2.25), "2.2");
}
