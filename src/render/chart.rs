//! The funnel chart of reports, drawn on the CPU like every exported image: one horizontal bar
//! per step, its length the share of the first step's sessions, labelled with the counts and
//! both conversion rates.

use super::RgbaImage;
use super::heatmap::{draw_text, fill_rect};
use crate::analysis::conversions::FunnelStep;

const WIDTH_PX: u32 = 960;
const ROW_PX: u32 = 64;
const TOP_PX: u32 = 56;
const LABEL_PX: u32 = 200;

/// A chart of `steps` titled `title`.
#[must_use]
pub fn funnel_chart(title: &str, steps: &[FunnelStep]) -> RgbaImage {
    let height = TOP_PX + ROW_PX * steps.len().max(1) as u32 + 24;
    let mut image = RgbaImage {
        width: WIDTH_PX,
        height,
        pixels: [255u8, 255, 255, 255].repeat((WIDTH_PX * height) as usize),
    };
    draw_text(&mut image, 16, 32, title, 18.0, [30, 30, 30]);
    let first = steps.first().map_or(0, |s| s.sessions).max(1);
    let bar_max = WIDTH_PX - LABEL_PX - 32;
    for (i, step) in steps.iter().enumerate() {
        let y = TOP_PX + ROW_PX * i as u32;
        draw_text(&mut image, 16, y + 26, &step.name, 15.0, [30, 30, 30]);
        fill_rect(&mut image, LABEL_PX, y + 8, bar_max, 28, [236, 238, 242]);
        let len = ((step.sessions as f64 / first as f64) * f64::from(bar_max)).round() as u32;
        fill_rect(
            &mut image,
            LABEL_PX,
            y + 8,
            len.min(bar_max),
            28,
            [44, 110, 200],
        );
        let pct =
            |x: Option<f64>| x.map_or_else(|| "–".to_owned(), |v| format!("{:.1} %", v * 100.0));
        let text = format!(
            "{} sessions · {} of the first step · {} from the previous · {} dropped",
            step.sessions,
            pct(step.conversion_from_start),
            pct(step.conversion_from_previous),
            step.dropped
        );
        draw_text(&mut image, LABEL_PX, y + 54, &text, 13.0, [70, 70, 70]);
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_to_the_first_step() {
        let step = |name: &str, sessions: usize| FunnelStep {
            name: name.to_owned(),
            sessions,
            conversion_from_previous: None,
            conversion_from_start: None,
            dropped: 0,
        };
        let image = funnel_chart("Funnel", &[step("view", 100), step("buy", 25)]);
        assert_eq!(image.width, WIDTH_PX);
        let blue = |row: u32| {
            (LABEL_PX..WIDTH_PX)
                .filter(|&x| {
                    image.pixel(x, TOP_PX + ROW_PX * row + 20) == Some([44, 110, 200, 255])
                })
                .count()
        };
        let (full, quarter) = (blue(0), blue(1));
        assert_eq!(full, (WIDTH_PX - LABEL_PX - 32) as usize);
        assert!(
            (quarter as f64 / full as f64 - 0.25).abs() < 0.01,
            "{quarter} / {full}"
        );
    }
}
