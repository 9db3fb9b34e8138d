//! Named page sections and their reach in a ClickHouse library. Definitions are versioned rows
//! read with `argMax` (as notes are); reach is one aggregation over the page views of the
//! section's page, in the server.

use super::rowbinary::{RowReader, RowWriter};
use super::{ClickHouseError, ClickHouseLibrary};
use crate::analysis::conversions::risk_ratio;
use crate::model::SessionFilter;
use crate::store::{Section, SectionReach, StoreError};

/// Versions a definition change gets above the current one: later writes win.
fn next_version() -> u64 {
    u64::try_from(crate::store::now_ms()).unwrap_or(0)
}

impl ClickHouseLibrary {
    /// The latest version of every section (deleted ones included), with its version.
    fn latest_sections(&self) -> Result<Vec<(Section, u64, bool)>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT name, max(version), argMax(page, version) AS p, argMax(top_px, version) AS t,
                    argMax(bottom_px, version), argMax(deleted, version)
             FROM {} GROUP BY name ORDER BY p, t, name FORMAT RowBinary",
            self.table("sections")
        ))?;
        let mut reader = RowReader::new(&answer);
        let mut out = Vec::new();
        while !reader.is_empty() {
            let row = (|| {
                let name = reader.string()?;
                let version = reader.u64()?;
                let page = reader.string()?;
                let top_px = reader.f64()? as f32;
                let bottom_px = reader.f64()? as f32;
                let deleted = reader.u8()? != 0;
                Some((
                    Section {
                        name,
                        page,
                        top_px,
                        bottom_px,
                    },
                    version,
                    deleted,
                ))
            })()
            .ok_or_else(|| self.client.decode_error("sections"))?;
            out.push(row);
        }
        Ok(out)
    }

    fn write_section(
        &self,
        section: &Section,
        version: u64,
        deleted: bool,
    ) -> Result<(), ClickHouseError> {
        let mut w = RowWriter::default();
        w.str(&section.name)
            .u64(version)
            .str(&section.page)
            .f64(f64::from(section.top_px))
            .f64(f64::from(section.bottom_px))
            .i64(crate::store::now_ms())
            .u8(u8::from(deleted));
        self.client.insert_rowbinary(
            &format!(
                "{} (name, version, page, top_px, bottom_px, created_at_ms, deleted)",
                self.table("sections")
            ),
            &w.bytes,
        )
    }

    /// Defines (or redefines) a section, with the SQLite library's checks.
    pub fn define_section(&self, section: &Section) -> Result<(), ClickHouseError> {
        if section.name.trim().is_empty() || section.page.trim().is_empty() {
            return Err(StoreError::Invalid("a section needs a name and a page".to_owned()).into());
        }
        let finite = section.top_px.is_finite() && section.bottom_px.is_finite();
        if !finite || section.top_px < 0.0 || section.bottom_px <= section.top_px {
            return Err(StoreError::Invalid(format!(
                "section {}: the top ({} px) must be 0 px or more and above the bottom ({} px)",
                section.name, section.top_px, section.bottom_px
            ))
            .into());
        }
        let current = self
            .latest_sections()?
            .into_iter()
            .find(|(s, _, _)| s.name == section.name)
            .map_or(0, |(_, v, _)| v);
        self.write_section(section, next_version().max(current + 1), false)
    }

    /// Deletes a section; false when there was none.
    pub fn delete_section(&self, name: &str) -> Result<bool, ClickHouseError> {
        let Some((section, version, _)) = self
            .latest_sections()?
            .into_iter()
            .find(|(s, _, deleted)| s.name == name && !deleted)
        else {
            return Ok(false);
        };
        self.write_section(&section, next_version().max(version + 1), true)?;
        Ok(true)
    }

    /// The defined sections, by page, top and name.
    pub fn sections(&self) -> Result<Vec<Section>, ClickHouseError> {
        Ok(self
            .latest_sections()?
            .into_iter()
            .filter(|(_, _, deleted)| !deleted)
            .map(|(s, _, _)| s)
            .collect())
    }

    /// How many page views of the section's page (within `viewport_widths`, of the sessions
    /// matching `filter`) reached its top, and the conversion of the sessions behind those
    /// and the other page views: one aggregation in the server.
    pub fn section_reach(
        &self,
        filter: &SessionFilter,
        section: &Section,
        viewport_widths: Option<(u32, u32)>,
    ) -> Result<SectionReach, ClickHouseError> {
        let widths = viewport_widths.map_or_else(String::new, |(lo, hi)| {
            format!(" AND viewport_width BETWEEN {lo} AND {hi}")
        });
        let converted = SessionFilter {
            converted: Some(true),
            ..filter.clone()
        };
        // The top as the f32 it is, compared with depths stored from f32: the SQLite
        // library's comparison exactly.
        let top = f64::from(section.top_px);
        let answer = self.client.query(&format!(
            "SELECT count(), countIf(max_depth_px > {top:?}),
                    countIf(max_depth_px > {top:?} AND bought), countIf(max_depth_px <= {top:?} AND bought)
             FROM (SELECT max_depth_px, (session_id, batch_id) IN ({}) AS bought
                   FROM {} WHERE {}{widths} AND (session_id, batch_id) IN ({}))
             FORMAT RowBinary",
            self.visible_sessions(&converted)?,
            self.table("page_views"),
            super::read::url_condition("url", &section.page),
            self.visible_sessions(filter)?,
        ))?;
        let mut reader = RowReader::new(&answer);
        let (Some(views), Some(reached), Some(reached_conv), Some(other_conv)) =
            (reader.u64(), reader.u64(), reader.u64(), reader.u64())
        else {
            return Err(self.client.decode_error("section reach"));
        };
        let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let (views, reached, reached_conv, other_conv) =
            (n(views), n(reached), n(reached_conv), n(other_conv));
        let other = views - reached;
        let rate = |a: usize, n: usize| (n > 0).then(|| a as f64 / n as f64);
        let (ratio, ratio_ci95) = risk_ratio(reached_conv, reached, other_conv, other);
        Ok(SectionReach {
            section: section.clone(),
            page_views: views,
            reached,
            reach_rate: rate(reached, views),
            conversion_reached: rate(reached_conv, reached),
            conversion_not_reached: rate(other_conv, other),
            ratio,
            ratio_ci95,
        })
    }
}
