//! The journey map as a Sankey diagram: pages as nodes in step columns, flows as bands whose
//! width is sessions. [`layout`] places everything in plain pixel boxes; the app paints that
//! layout with egui's painter and [`render_journeys`] rasterises the same layout on the CPU for
//! PNG exports, so the screen and the file show one drawing.

use super::RgbaImage;
use super::heatmap::{draw_text, fill_rect, text_width};
use crate::analysis::journeys::{JourneyComparison, Journeys, OTHER_LABEL};

/// Width of a node bar, px.
pub const NODE_W_PX: f32 = 14.0;
/// Vertical gap between the nodes of a column, px.
pub const NODE_GAP_PX: f32 = 12.0;
/// Margin around the diagram, px.
pub const MARGIN_PX: f32 = 16.0;
/// Height of the title strip above the diagram in exported images, px.
pub const TITLE_PX: u32 = 48;

/// A box in diagram pixels (origin top left).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxPx {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl BoxPx {
    /// True when the point lies inside.
    #[must_use]
    pub fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x && x <= self.x + self.w && y >= self.y && y <= self.y + self.h
    }
}

/// A placed node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    /// Its step (column).
    pub step: usize,
    /// Its index in `Journeys::steps[step]`.
    pub index: usize,
    /// The bar.
    pub rect: BoxPx,
    /// The text beside it: label and sessions.
    pub text: String,
    /// Where the text starts (left edge, vertical centre), and whether it is drawn to the left of
    /// the bar (last column).
    pub text_at: (f32, f32, bool),
    /// Fill colour (sRGB).
    pub rgb: [u8; 3],
}

/// A placed flow: a band from the right edge of one node to the left edge of another.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Index into `Journeys::flows`.
    pub flow: usize,
    /// Left x and right x.
    pub x: (f32, f32),
    /// Top and bottom at the left end.
    pub from_y: (f32, f32),
    /// Top and bottom at the right end.
    pub to_y: (f32, f32),
    /// Colour (sRGB) of its source node.
    pub rgb: [u8; 3],
}

impl Band {
    /// Top and bottom of the band at `x` (a smoothstep between its ends).
    #[must_use]
    pub fn span_at(&self, x: f32) -> (f32, f32) {
        let t = ((x - self.x.0) / (self.x.1 - self.x.0).max(1.0)).clamp(0.0, 1.0);
        let s = t * t * (3.0 - 2.0 * t);
        (
            self.from_y.0 + (self.to_y.0 - self.from_y.0) * s,
            self.from_y.1 + (self.to_y.1 - self.from_y.1) * s,
        )
    }

    /// True when the point lies on the band.
    #[must_use]
    pub fn contains(&self, x: f32, y: f32) -> bool {
        if x < self.x.0 || x > self.x.1 {
            return false;
        }
        let (top, bottom) = self.span_at(x);
        y >= top && y <= bottom.max(top + 1.0)
    }
}

/// The whole diagram.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SankeyLayout {
    /// Size, px.
    pub size: (f32, f32),
    /// Nodes.
    pub nodes: Vec<NodeBox>,
    /// Bands, largest first (drawn last to first so large bands sit underneath).
    pub bands: Vec<Band>,
}

impl SankeyLayout {
    /// The node under a point.
    #[must_use]
    pub fn node_at(&self, x: f32, y: f32) -> Option<&NodeBox> {
        self.nodes.iter().find(|n| n.rect.contains(x, y))
    }

    /// The band under a point (the thinnest one when several overlap).
    #[must_use]
    pub fn band_at(&self, x: f32, y: f32) -> Option<&Band> {
        self.bands
            .iter()
            .filter(|b| b.contains(x, y))
            .min_by(|a, b| {
                let wa = a.from_y.1 - a.from_y.0;
                let wb = b.from_y.1 - b.from_y.0;
                wa.total_cmp(&wb)
            })
    }
}

/// A colour per page label, stable across steps (the same page is the same colour everywhere).
#[must_use]
pub fn label_colour(label: &str) -> [u8; 3] {
    if label == OTHER_LABEL {
        return [150, 150, 150];
    }
    // Tableau 10, picked by a hash of the label.
    const PALETTE: [[u8; 3]; 10] = [
        [78, 121, 167],
        [242, 142, 43],
        [225, 87, 89],
        [118, 183, 178],
        [89, 161, 79],
        [237, 201, 72],
        [176, 122, 161],
        [255, 157, 167],
        [156, 117, 95],
        [186, 176, 172],
    ];
    let hash = label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// Places the nodes and bands of `map` in a `width` × `height` px area.
#[must_use]
pub fn layout(map: &Journeys, width: f32, height: f32) -> SankeyLayout {
    let columns = map.steps.len();
    if columns == 0 || map.sessions == 0 {
        return SankeyLayout {
            size: (width, height),
            ..SankeyLayout::default()
        };
    }
    let inner_w = (width - 2.0 * MARGIN_PX - NODE_W_PX).max(1.0);
    let column_x = |step: usize| {
        if columns == 1 {
            MARGIN_PX
        } else {
            MARGIN_PX + inner_w * step as f32 / (columns - 1) as f32
        }
    };
    // One scale for every column, so band widths compare across the map.
    let scale = map
        .steps
        .iter()
        .map(|nodes| {
            let total: u64 = nodes.iter().map(|n| n.sessions).sum();
            let gaps = NODE_GAP_PX * nodes.len().saturating_sub(1) as f32;
            let room = (height - 2.0 * MARGIN_PX - gaps).max(nodes.len() as f32 * 2.0);
            room / total.max(1) as f32
        })
        .fold(f32::INFINITY, f32::min);
    let mut nodes = Vec::new();
    let mut rects: Vec<Vec<BoxPx>> = Vec::with_capacity(columns);
    for (step, column) in map.steps.iter().enumerate() {
        let mut y = MARGIN_PX;
        let mut placed = Vec::with_capacity(column.len());
        for (index, node) in column.iter().enumerate() {
            let h = (node.sessions as f32 * scale).max(2.0);
            let rect = BoxPx {
                x: column_x(step),
                y,
                w: NODE_W_PX,
                h,
            };
            let last = step + 1 == columns && columns > 1;
            let text_x = if last {
                rect.x - 6.0
            } else {
                rect.x + NODE_W_PX + 6.0
            };
            nodes.push(NodeBox {
                step,
                index,
                rect,
                text: format!("{} ({})", node.label, node.sessions),
                text_at: (text_x, y + h / 2.0, last),
                rgb: label_colour(&node.label),
            });
            placed.push(rect);
            y += h + NODE_GAP_PX;
        }
        rects.push(placed);
    }
    // Bands stack in each node's outgoing side by target order, incoming side by source order.
    let mut out_offset: Vec<Vec<f32>> = rects.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut in_offset: Vec<Vec<f32>> = rects.iter().map(|c| vec![0.0; c.len()]).collect();
    let mut order: Vec<usize> = (0..map.flows.len()).collect();
    order.sort_by_key(|&i| {
        let f = &map.flows[i];
        (f.step, f.from, f.to)
    });
    let mut bands = Vec::with_capacity(map.flows.len());
    let mut placed_of_flow: Vec<Option<Band>> = vec![None; map.flows.len()];
    for &i in &order {
        let f = &map.flows[i];
        let (Some(src), Some(dst)) = (
            rects.get(f.step).and_then(|c| c.get(f.from)),
            rects.get(f.step + 1).and_then(|c| c.get(f.to)),
        ) else {
            continue;
        };
        let thickness = f.sessions as f32 * scale;
        let out_at = &mut out_offset[f.step][f.from];
        let from_y = (src.y + *out_at, src.y + *out_at + thickness);
        *out_at += thickness;
        placed_of_flow[i] = Some(Band {
            flow: i,
            x: (src.x + src.w, dst.x),
            from_y,
            to_y: (0.0, 0.0),
            rgb: label_colour(&map.steps[f.step][f.from].label),
        });
    }
    let mut by_target: Vec<usize> = (0..map.flows.len()).collect();
    by_target.sort_by_key(|&i| {
        let f = &map.flows[i];
        (f.step, f.to, f.from)
    });
    for &i in &by_target {
        let f = &map.flows[i];
        let Some(band) = placed_of_flow[i].as_mut() else {
            continue;
        };
        let Some(dst) = rects.get(f.step + 1).and_then(|c| c.get(f.to)) else {
            continue;
        };
        let thickness = band.from_y.1 - band.from_y.0;
        let in_at = &mut in_offset[f.step + 1][f.to];
        band.to_y = (dst.y + *in_at, dst.y + *in_at + thickness);
        *in_at += thickness;
    }
    for band in placed_of_flow.into_iter().flatten() {
        bands.push(band);
    }
    bands.sort_by(|a, b| {
        let wa = a.from_y.1 - a.from_y.0;
        let wb = b.from_y.1 - b.from_y.0;
        wb.total_cmp(&wa)
    });
    SankeyLayout {
        size: (width, height),
        nodes,
        bands,
    }
}

fn blend(pixels: &mut [u8], rgb: [u8; 3], alpha: f32) {
    for (p, c) in pixels.iter_mut().zip(rgb) {
        *p = (f32::from(*p) + (f32::from(c) - f32::from(*p)) * alpha).round() as u8;
    }
}

/// The journey map as an image `width` px wide: a title strip, then the diagram.
#[must_use]
pub fn render_journeys(map: &Journeys, title: &str, width: u32, height: u32) -> RgbaImage {
    let (width, height) = (width.max(200), height.max(120));
    let body_h = height.saturating_sub(TITLE_PX);
    let placed = layout(map, width as f32, body_h as f32);
    let mut image = RgbaImage {
        width,
        height,
        pixels: [255u8, 255, 255, 255].repeat((width * height) as usize),
    };
    draw_text(&mut image, 16, 30, title, 18.0, [30, 30, 30]);
    let top = TITLE_PX as f32;
    // Bands: largest first, so smaller ones blend on top and stay visible.
    for band in &placed.bands {
        let (x0, x1) = (band.x.0.floor() as u32, band.x.1.ceil() as u32);
        for x in x0..x1.min(width) {
            let (t, b) = band.span_at(x as f32 + 0.5);
            let (y0, y1) = (
                (top + t).round() as u32,
                (top + b).round().max(top + t + 1.0) as u32,
            );
            for y in y0..y1.min(height) {
                let i = (y as usize * width as usize + x as usize) * 4;
                if let Some(px) = image.pixels.get_mut(i..i + 3) {
                    blend(px, band.rgb, 0.35);
                }
            }
        }
    }
    for node in &placed.nodes {
        let r = node.rect;
        fill_rect(
            &mut image,
            r.x.round() as u32,
            (top + r.y).round() as u32,
            r.w.round() as u32,
            r.h.round().max(2.0) as u32,
            node.rgb,
        );
    }
    for node in &placed.nodes {
        let (x, y, left) = node.text_at;
        let size = 13.0;
        let x = if left {
            (x - text_width(&node.text, size)).max(0.0)
        } else {
            x
        };
        draw_text(
            &mut image,
            x.round() as u32,
            (top + y + 4.0).round() as u32,
            &node.text,
            size,
            [30, 30, 30],
        );
    }
    image
}

/// Two segments' journey maps side by side (`compare.a` left, `compare.b` right), each half of
/// `width` with its own title strip naming the segment and `title`.
#[must_use]
pub fn render_comparison(
    compare: &JourneyComparison,
    title: &str,
    width: u32,
    height: u32,
) -> RgbaImage {
    let (width, height) = (width.max(400), height.max(120));
    let half = width / 2;
    let left = render_journeys(
        &compare.a,
        &format!(
            "A: {} · {} sessions · {title}",
            compare.label_a, compare.a.sessions
        ),
        half,
        height,
    );
    let right = render_journeys(
        &compare.b,
        &format!(
            "B: {} · {} sessions · {title}",
            compare.label_b, compare.b.sessions
        ),
        width - half,
        height,
    );
    let mut image = RgbaImage {
        width,
        height,
        pixels: vec![255; (width * height * 4) as usize],
    };
    for (panel, x0) in [(&left, 0u32), (&right, half)] {
        let row_bytes = panel.width as usize * 4;
        for y in 0..panel.height.min(height) as usize {
            let src = panel.pixels.get(y * row_bytes..(y + 1) * row_bytes);
            let start = (y * width as usize + x0 as usize) * 4;
            let dst = image.pixels.get_mut(start..start + row_bytes);
            if let (Some(src), Some(dst)) = (src, dst) {
                dst.copy_from_slice(src);
            }
        }
    }
    // A rule between the panels.
    fill_rect(
        &mut image,
        half.saturating_sub(1),
        0,
        1,
        height,
        [190, 190, 190],
    );
    image
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::journeys::{JourneyQuery, PathStep, SessionPath, journeys};

    fn map() -> Journeys {
        let path = |id: &str, urls: &[&str]| SessionPath {
            session_id: id.to_owned(),
            converted: false,
            steps: urls
                .iter()
                .map(|u| PathStep {
                    url: format!("https://shop.test{u}"),
                    entered_at_ms: 0,
                    signal_kinds: Vec::new(),
                })
                .collect(),
        };
        let mut paths = Vec::new();
        for i in 0..30 {
            paths.push(path(&format!("a{i}"), &["/", "/cart", "/checkout"]));
        }
        for i in 0..10 {
            paths.push(path(&format!("b{i}"), &["/", "/help"]));
        }
        journeys(&paths, &JourneyQuery::default())
    }

    #[test]
    fn bands_are_as_thick_as_their_sessions_and_meet_their_nodes() {
        let m = map();
        let placed = layout(&m, 900.0, 400.0);
        assert_eq!(placed.nodes.len(), 4);
        assert_eq!(placed.bands.len(), 3);
        let home = &placed.nodes[0];
        // The home node's outgoing bands fill it exactly: 30 + 10 of 40 sessions.
        let out: f32 = placed
            .bands
            .iter()
            .filter(|b| (b.x.0 - (home.rect.x + home.rect.w)).abs() < 0.01)
            .map(|b| b.from_y.1 - b.from_y.0)
            .sum();
        assert!((out - home.rect.h).abs() < 0.01);
        let big = &placed.bands[0];
        assert_eq!(m.flows[big.flow].sessions, 30);
        let small = placed
            .bands
            .iter()
            .find(|b| m.flows[b.flow].sessions == 10)
            .unwrap();
        let ratio = (big.from_y.1 - big.from_y.0) / (small.from_y.1 - small.from_y.0);
        assert!((ratio - 3.0).abs() < 1e-3);
        // Hit testing.
        let (cx, cy) = (home.rect.x + 2.0, home.rect.y + 2.0);
        assert_eq!(placed.node_at(cx, cy).map(|n| n.index), Some(0));
        let mid = (big.x.0 + big.x.1) / 2.0;
        let (t, b) = big.span_at(mid);
        assert_eq!(
            placed.band_at(mid, (t + b) / 2.0).map(|b| b.flow),
            Some(big.flow)
        );
        // Every band's ends lie inside their nodes.
        for band in &placed.bands {
            let f = &m.flows[band.flow];
            let dst = placed
                .nodes
                .iter()
                .find(|n| n.step == f.step + 1 && n.index == f.to)
                .unwrap();
            assert!(
                band.to_y.0 >= dst.rect.y - 0.01 && band.to_y.1 <= dst.rect.y + dst.rect.h + 0.01
            );
        }
    }

    #[test]
    fn the_image_draws_nodes_bands_and_labels() {
        let m = map();
        let image = render_journeys(&m, "Journeys", 900, 448);
        assert_eq!((image.width, image.height), (900, 448));
        let placed = layout(&m, 900.0, 400.0);
        let home = &placed.nodes[0];
        let px = image
            .pixel(
                (home.rect.x + 3.0) as u32,
                (TITLE_PX as f32 + home.rect.y + 3.0) as u32,
            )
            .unwrap();
        assert_eq!(&px[..3], &home.rgb);
        let big = &placed.bands[0];
        let mid = (big.x.0 + big.x.1) / 2.0;
        let (t, b) = big.span_at(mid);
        let on_band = image
            .pixel(mid as u32, (TITLE_PX as f32 + (t + b) / 2.0) as u32)
            .unwrap();
        assert_ne!(on_band, [255, 255, 255, 255]);
        // Two segments side by side: each panel is its own map at half the width.
        let c = crate::analysis::journeys::JourneyComparison {
            label_a: "A".into(),
            label_b: "B".into(),
            a: m.clone(),
            b: Journeys::default(),
        };
        let both = render_comparison(&c, "t", 900, 448);
        assert_eq!((both.width, both.height), (900, 448));
        let left = render_journeys(&m, "A: A · 40 sessions · t", 450, 448);
        assert_eq!(both.pixel(40, 200), left.pixel(40, 200));
        assert_eq!(both.pixel(449, 200).map(|p| p[0]), Some(190));
        // An empty map is a blank diagram with its title, not a panic.
        let empty = render_journeys(&Journeys::default(), "none", 10, 10);
        assert_eq!((empty.width, empty.height), (200, 120));
    }
}
