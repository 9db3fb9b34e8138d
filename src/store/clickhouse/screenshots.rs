//! Page screenshots in a ClickHouse library: PNG bytes once per content hash
//! (`screenshot_pngs`), and which one each `(url, layout width)` shows (`page_screenshots`, a
//! `ReplacingMergeTree` by version read `FINAL`), with the SQLite library's rule that a
//! screenshot of higher origin priority (manual > bundle > sample > snapshot) is never replaced
//! by a lower one.

use super::rowbinary::{RowReader, RowWriter, quote};
use super::state::next_version;
use super::{ClickHouseError, ClickHouseLibrary};
use crate::format::{ScreenshotBlob, hash};
use crate::store::library::origin_priority;
use crate::store::{ScreenshotInfo, StoreError};

impl ClickHouseLibrary {
    /// Stores `shot` (bytes deduplicated by hash) and attaches it to its page unless a
    /// screenshot of higher priority is attached already.
    pub(crate) fn store_screenshot(
        &self,
        shot: &ScreenshotBlob,
        origin: &str,
    ) -> Result<(), ClickHouseError> {
        self.writable()?;
        let (width, height) = crate::format::png_dimensions(&shot.png, &shot.url)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let current = self
            .screenshots()?
            .into_iter()
            .find(|s| s.url == shot.url && s.layout_width == shot.layout_width);
        if current
            .as_ref()
            .is_some_and(|c| origin_priority(origin) < origin_priority(&c.origin))
        {
            return Ok(());
        }
        let known = self.client.query(&format!(
            "SELECT count() FROM {} WHERE hash = {} FORMAT RowBinary",
            self.table("screenshot_pngs"),
            quote(&shot.hash)
        ))?;
        if RowReader::new(&known).u64().unwrap_or(0) == 0 {
            let mut w = RowWriter::default();
            w.str(&shot.hash).bytes(&shot.png);
            self.client.insert_rowbinary(
                &format!("{} (hash, png)", self.table("screenshot_pngs")),
                &w.bytes,
            )?;
        }
        let answer = self.client.query(&format!(
            "SELECT toUInt64(max(version)) FROM {} FORMAT RowBinary",
            self.table("page_screenshots")
        ))?;
        let version = next_version(RowReader::new(&answer).u64().unwrap_or(0));
        let mut w = RowWriter::default();
        w.str(&shot.url)
            .u32(shot.layout_width)
            .u64(version)
            .str(&shot.hash)
            .u32(width)
            .u32(height)
            .str(origin);
        self.client.insert_rowbinary(
            &format!(
                "{} (url, layout_width, version, hash, width, height, origin)",
                self.table("page_screenshots")
            ),
            &w.bytes,
        )
    }

    /// Attaches a PNG screenshot to a page URL (fragment dropped) at a layout width.
    pub fn add_screenshot(
        &self,
        url: &str,
        layout_width: u32,
        png: Vec<u8>,
        origin: &str,
    ) -> Result<ScreenshotInfo, ClickHouseError> {
        let url = url.split_once('#').map_or(url, |(u, _)| u).to_owned();
        let shot = ScreenshotBlob {
            hash: hash::sha256_hex(&png),
            url: url.clone(),
            layout_width,
            png,
        };
        self.store_screenshot(&shot, origin)?;
        self.screenshots()?
            .into_iter()
            .find(|s| s.url == url && s.layout_width == layout_width)
            .ok_or_else(|| {
                StoreError::Invalid(format!("screenshot for {url} was not stored")).into()
            })
    }

    /// Every attached screenshot, by URL then width.
    pub fn screenshots(&self) -> Result<Vec<ScreenshotInfo>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT url, layout_width, hash, width, height, origin FROM {} FINAL
             ORDER BY url, layout_width FORMAT RowBinary",
            self.table("page_screenshots")
        ))?;
        RowReader::new(&answer)
            .rows(|r| {
                Some(ScreenshotInfo {
                    url: r.string()?,
                    layout_width: r.u32()?,
                    hash: r.string()?,
                    width: r.u32()?,
                    height: r.u32()?,
                    origin: r.string()?,
                })
            })
            .ok_or_else(|| self.client.decode_error("screenshots"))
    }

    /// The screenshot of a page at the layout width closest to `layout_width`.
    pub fn screenshot_for(
        &self,
        url: &str,
        layout_width: u32,
    ) -> Result<Option<ScreenshotInfo>, ClickHouseError> {
        let url = url.split_once('#').map_or(url, |(u, _)| u);
        Ok(self
            .screenshots()?
            .into_iter()
            .filter(|s| s.url == url)
            .min_by_key(|s| s.layout_width.abs_diff(layout_width)))
    }

    /// The PNG bytes of a stored screenshot.
    pub fn screenshot_png(&self, hash: &str) -> Result<Option<Vec<u8>>, ClickHouseError> {
        let answer = self.client.query(&format!(
            "SELECT png FROM {} WHERE hash = {} LIMIT 1 FORMAT RowBinary",
            self.table("screenshot_pngs"),
            quote(hash)
        ))?;
        if answer.is_empty() {
            return Ok(None);
        }
        RowReader::new(&answer)
            .bytes()
            .map(|b| Some(b.to_vec()))
            .ok_or_else(|| self.client.decode_error("screenshot"))
    }
}
