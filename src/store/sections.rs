//! Named sections of a page (a horizontal band, such as the reviews block) and their reach:
//! the share of page views whose viewport bottom passed the section's top, and the purchase
//! rate of the sessions behind those page views against the others.

use rusqlite::params;
use serde::Serialize;

use super::{Library, SessionFilter, StoreError};
use crate::analysis::conversions::risk_ratio;

/// A named band of a page, in page CSS px.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    /// Name, e.g. `reviews`.
    pub name: String,
    /// The page: an exact URL or a pattern such as `/product/*`.
    pub page: String,
    /// Top of the band, page CSS px.
    pub top_px: f32,
    /// Bottom of the band, page CSS px.
    pub bottom_px: f32,
}

/// How many page views reached a section, and how their sessions converted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SectionReach {
    /// The section.
    pub section: Section,
    /// Page views of the page in the filter.
    pub page_views: usize,
    /// Page views whose deepest viewport bottom passed the section's top.
    pub reached: usize,
    /// `reached / page_views`.
    pub reach_rate: Option<f64>,
    /// Purchase rate of the sessions of the page views that reached it.
    pub conversion_reached: Option<f64>,
    /// Purchase rate of those that did not.
    pub conversion_not_reached: Option<f64>,
    /// Risk ratio of the two (correlation, not causation).
    pub ratio: Option<f64>,
    /// Its 95 % interval.
    pub ratio_ci95: Option<(f64, f64)>,
}

impl Library {
    /// Stores (or replaces) a section.
    pub fn define_section(&self, section: &Section) -> Result<(), StoreError> {
        if section.name.trim().is_empty() || section.page.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a section needs a name and a page".to_owned(),
            ));
        }
        let finite = section.top_px.is_finite() && section.bottom_px.is_finite();
        if !finite || section.top_px < 0.0 || section.bottom_px <= section.top_px {
            return Err(StoreError::Invalid(format!(
                "section {}: the top ({} px) must be 0 px or more and above the bottom ({} px)",
                section.name, section.top_px, section.bottom_px
            )));
        }
        self.conn.execute(
            "INSERT INTO sections (name, page, top_px, bottom_px, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET page = excluded.page, top_px = excluded.top_px,
                 bottom_px = excluded.bottom_px",
            params![
                section.name,
                section.page,
                f64::from(section.top_px),
                f64::from(section.bottom_px),
                super::now_ms()
            ],
        )?;
        Ok(())
    }

    /// Removes a section; false when there was none.
    pub fn delete_section(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM sections WHERE name = ?1", [name])?
            > 0)
    }

    /// Every section, by page then top.
    pub fn sections(&self) -> Result<Vec<Section>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, page, top_px, bottom_px FROM sections ORDER BY page, top_px, name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Section {
                name: r.get(0)?,
                page: r.get(1)?,
                top_px: r.get::<_, f64>(2)? as f32,
                bottom_px: r.get::<_, f64>(3)? as f32,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The reach of `section` over the page views of the sessions in `filter` whose viewport
    /// width lies in `viewport_widths`.
    pub fn section_reach(
        &self,
        filter: &SessionFilter,
        section: &Section,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<SectionReach, StoreError> {
        let views = self.heatmap_page_views(filter, &section.page, viewport_widths)?;
        let index = self.session_index()?;
        let converted: std::collections::HashSet<i64> = index
            .matching(&SessionFilter {
                converted: Some(true),
                ..filter.clone()
            })
            .into_iter()
            .map(|p| index.rowid(p))
            .collect();
        let (mut reached, mut reached_conv, mut other, mut other_conv) = (0, 0, 0, 0);
        for view in &views {
            let bought = converted.contains(&view.session_rowid);
            if view.max_depth_px > section.top_px {
                reached += 1;
                reached_conv += usize::from(bought);
            } else {
                other += 1;
                other_conv += usize::from(bought);
            }
        }
        let rate = |a: usize, n: usize| (n > 0).then(|| a as f64 / n as f64);
        let (ratio, ratio_ci95) = risk_ratio(reached_conv, reached, other_conv, other);
        Ok(SectionReach {
            section: section.clone(),
            page_views: views.len(),
            reached,
            reach_rate: rate(reached, views.len()),
            conversion_reached: rate(reached_conv, reached),
            conversion_not_reached: rate(other_conv, other),
            ratio,
            ratio_ci95,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn reach_counts_page_views_past_the_top_and_splits_conversion() {
        let mut library = Library::open_in_memory().expect("library");
        library
            .import_paths(
                &[std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/sample_sessions/rrweb"
                ))],
                &crate::format::ReadOptions::default(),
                &AtomicBool::new(false),
                &mut |_, _| {},
            )
            .expect("import");
        let section = Section {
            name: "below the fold".to_owned(),
            page: "/product/*".to_owned(),
            top_px: 1200.0,
            bottom_px: 1800.0,
        };
        library.define_section(&section).expect("define");
        assert_eq!(library.sections().expect("list"), vec![section.clone()]);
        let reach = library
            .section_reach(&SessionFilter::default(), &section, None)
            .expect("reach");
        let views = library
            .heatmap_page_views(&SessionFilter::default(), "/product/*", None)
            .expect("views");
        let deep = views.iter().filter(|v| v.max_depth_px > 1200.0).count();
        assert_eq!((reach.page_views, reach.reached), (views.len(), deep));
        assert!(
            reach.page_views > reach.reached && reach.reached > 0,
            "{reach:?}"
        );
        let top = Section {
            top_px: 0.0,
            ..section.clone()
        };
        let all = library
            .section_reach(&SessionFilter::default(), &top, None)
            .expect("reach");
        assert_eq!(
            all.reached, all.page_views,
            "the top of the page is always seen"
        );
        assert!(
            library
                .define_section(&Section {
                    bottom_px: 10.0,
                    ..section.clone()
                })
                .is_err()
        );
        assert!(library.delete_section("below the fold").expect("delete"));
        assert!(library.sections().expect("list").is_empty());
    }
}
