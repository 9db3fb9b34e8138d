use super::*;
use std::sync::Arc;

use crate::model::SizePx;

fn view(session_rowid: i64, page_index: u32, entered_at_ms: i64) -> HeatmapPageView {
    HeatmapPageView {
        url: Arc::from("https://shop.test/"),
        session_rowid,
        page_index,
        viewport: SizePx {
            width: 1440,
            height: 800,
        },
        max_depth_px: 1200.0,
        duration_ms: 10_000,
        doc_height_px: 2000,
        entered_at_ms,
        num_clicks: 2,
    }
}

/// Columns as a store keeps them: all x, then all y (f32), then all t (u32), little-endian.
fn blob(points: &[(f32, f32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in points {
        out.extend_from_slice(&p.0.to_le_bytes());
    }
    for p in points {
        out.extend_from_slice(&p.1.to_le_bytes());
    }
    for p in points {
        out.extend_from_slice(&p.2.to_le_bytes());
    }
    out
}

#[test]
fn a_click_map_from_plain_columns_without_a_library() {
    let views = vec![view(1, 0, 1_000), view(1, 1, 5_000), view(2, 0, 9_000)];
    let query = HeatmapQuery::new("https://shop.test/", HeatmapKind::Click, 1440);
    let mut result = begin(&query, &views).unwrap();
    assert_eq!((result.sessions, result.page_views), (2, 3));
    assert_eq!(result.page_height_px, 2000);
    assert_eq!(result.average_fold_px, 800.0);
    assert_eq!(result.date_range_ms, Some((1_000, 9_000)));
    let mut points = PointAccumulator::new(&query, result.page_height_px);
    let mut fixed = FixedClicks::default();
    // The click at t = 40 of view 2 was on a fixed header, at viewport (700, 20).
    let fixed_blob = blob(&[(700.0, 20.0, 40)]);
    fixed.insert(2, PointColumns::from_blob(&fixed_blob).unwrap());
    let clicks = [
        blob(&[(100.5, 200.5, 10), (100.5, 201.5, 20)]),
        blob(&[(5_000.0, 10.0, 30)]), // outside the 1440 px layout
        blob(&[(700.0, 1520.0, 40)]),
    ];
    for (i, c) in clicks.iter().enumerate() {
        points.add_clicks(&views, i, PointColumns::from_blob(c).unwrap(), &mut fixed);
    }
    points.finish(&mut result);
    assert_eq!(result.points, 3);
    assert_eq!(result.points_outside_page, 1);
    assert_eq!(result.density.total(), 3.0);
    assert_eq!(
        result.density.at(PagePos { x: 700.0, y: 20.0 }),
        1.0,
        "shown fixed"
    );
    assert_eq!(
        result.density.at(PagePos {
            x: 700.0,
            y: 1520.0
        }),
        0.0
    );
    assert_eq!(result.hotspots[0].count, 2.0);
    // Hotspots are named from sessions the caller loads; none readable names nothing.
    let mut asked = Vec::new();
    label_hotspots(&mut result, &views, &[], |rowid| {
        asked.push(rowid);
        Ok::<_, std::convert::Infallible>(None)
    })
    .unwrap();
    assert_eq!(result.hotspots[0].target, None);
    assert!(asked.contains(&1) && asked.contains(&2));
    assert_eq!(
        check(&HeatmapQuery::new("/", HeatmapKind::Click, 0)),
        Err(HeatmapQueryError::BadLayoutWidth(0))
    );
}

#[test]
fn attention_from_plain_columns_counts_views_without_scrolls_at_the_top() {
    let views = vec![view(1, 0, 0), view(2, 0, 0)];
    let mut query = HeatmapQuery::new("https://shop.test/", HeatmapKind::Attention, 1440);
    query.page_height_px = Some(2000);
    let mut attention = Attention::new(&query, 2000, views.len());
    // View 1 scrolls to 800 px after 5 s; view 0 never scrolls.
    let scrolls = blob(&[(0.0, 800.0, 5_000)]);
    attention.add_scrolls(&views, 1, PointColumns::from_blob(&scrolls).unwrap());
    let secs = attention.finish(&views);
    assert_eq!(secs.len(), 200);
    assert_eq!(secs[0], 7.5, "(10 s + 5 s) over two page views");
    assert_eq!(secs[100], 2.5, "only view 1 saw 1000 px, for 5 s");
    assert_eq!(secs[199], 0.0);
}

#[test]
fn dwell_weights_are_capped_time_to_next_sample() {
    assert_eq!(
        dwell_weights_ms(&[0, 50, 100, 4000], 4500, 3000),
        vec![50, 50, 3000, 500]
    );
    assert_eq!(dwell_weights_ms(&[200], 100, 3000), vec![0]);
    assert!(dwell_weights_ms(&[], 100, 3000).is_empty());
}

#[test]
fn scroll_reach_by_hand() {
    // Deepest viewport bottoms of four page views.
    let reach = scroll_reach(&[900.0, 1500.0, 2000.0, 350.0], 2000);
    assert_eq!(reach.len(), 200);
    let share = |d: u32| reach[(d / BAND_PX) as usize].share;
    assert_eq!(reach[35].depth_px, 350);
    assert_eq!(share(0), 1.0);
    assert_eq!(share(350), 1.0);
    assert_eq!(share(360), 0.75);
    assert_eq!(share(900), 0.75);
    assert_eq!(share(910), 0.5);
    assert_eq!(share(1500), 0.5);
    assert_eq!(share(1510), 0.25);
    assert_eq!(share(1990), 0.25);
    assert_eq!(depth_reached_by(&reach, 0.75), Some(900));
    assert_eq!(depth_reached_by(&reach, 0.5), Some(1500));
    assert_eq!(depth_reached_by(&reach, 0.25), Some(1990));
    assert_eq!(depth_reached_by(&reach, 1.0), Some(350));
}

#[test]
fn attention_by_hand() {
    let mut bands = vec![0.0; 20];
    // Viewport 100 px: 0–1 s at the top, then 1–3 s scrolled to 50 px.
    add_attention(&[(1000, 50.0)], 100, 3000, 30_000, &mut bands);
    assert_eq!(&bands[0..5], &[1000.0; 5]);
    assert_eq!(&bands[5..10], &[3000.0; 5]);
    assert_eq!(&bands[10..15], &[2000.0; 5]);
    assert_eq!(&bands[15..20], &[0.0; 5]);
    // A 100 s hold counts at most the idle cap.
    let mut capped = vec![0.0; 20];
    add_attention(&[], 100, 100_000, 30_000, &mut capped);
    assert_eq!(capped[0], 30_000.0);
}
