//! The demo shop's pages and their clickable elements, with boxes measured from the DOM by
//! headless Chromium at capture time (`assets/demo-shop/pages.json`, made by tools/demo-shop).

use std::sync::OnceLock;

use serde::Deserialize;

/// Origin of the demo shop's URLs.
pub const SITE_ORIGIN: &str = "http://shop.test";

/// The layout file, embedded so the generator works anywhere.
pub const PAGES_JSON: &str = include_str!("../../assets/demo-shop/pages.json");

#[derive(Deserialize)]
struct PagesFile {
    pages: Vec<Page>,
}

/// One page of the shop at one layout width.
#[derive(Clone, Debug, Deserialize)]
pub struct Page {
    /// Short key, e.g. `product-trail-runner`.
    pub key: String,
    /// Full URL.
    pub url: String,
    /// Layout width, CSS px (1440 desktop, 390 mobile).
    pub layout_width: u32,
    /// Document height at that width, CSS px.
    pub doc_height: f32,
    /// Screenshot path relative to `assets/demo-shop/`.
    pub screenshot: String,
    /// Links, buttons, fields and traps with their boxes.
    pub clickables: Vec<Target>,
}

/// A clickable element and its box in page CSS px.
#[derive(Clone, Debug, Deserialize)]
pub struct Target {
    /// CSS selector.
    pub selector: String,
    /// Tag name.
    pub tag: String,
    /// Visible text or label.
    #[serde(default)]
    pub text: Option<String>,
    /// `button`, `link`, `input`, `select` or `trap`.
    pub kind: String,
    /// For traps: which friction it is (`dead_promo`, `no_zoom_image`, `coupon_error`, …).
    #[serde(default)]
    pub trap: Option<String>,
    /// Link target.
    #[serde(default)]
    pub href: Option<String>,
    /// Left, page CSS px.
    pub x: f32,
    /// Top, page CSS px.
    pub y: f32,
    /// Width, CSS px.
    pub width: f32,
    /// Height, CSS px.
    pub height: f32,
}

impl Target {
    /// True when `pos_in_page` lies inside the element's box.
    #[must_use]
    pub fn contains(&self, pos_in_page: crate::model::PagePos) -> bool {
        (self.x..=self.x + self.width).contains(&pos_in_page.x)
            && (self.y..=self.y + self.height).contains(&pos_in_page.y)
    }
}

/// All pages at all widths (empty if the embedded file were unreadable; a unit test guards it).
#[must_use]
pub fn pages() -> &'static [Page] {
    static PAGES: OnceLock<Vec<Page>> = OnceLock::new();
    PAGES.get_or_init(|| match serde_json::from_str::<PagesFile>(PAGES_JSON) {
        Ok(file) => file.pages,
        Err(e) => {
            log::error!("embedded demo-shop pages.json is unreadable: {e}");
            Vec::new()
        }
    })
}

/// The page with `key` at `layout_width`.
#[must_use]
pub fn page(key: &str, layout_width: u32) -> Option<&'static Page> {
    pages()
        .iter()
        .find(|p| p.key == key && p.layout_width == layout_width)
}

impl Page {
    /// The element matching `selector` exactly.
    #[must_use]
    pub fn target(&self, selector: &str) -> Option<&Target> {
        self.clickables.iter().find(|c| c.selector == selector)
    }

    /// Every link to `url` (ignoring fragments), in page order.
    pub fn links_to<'a>(&'a self, url: &'a str) -> impl Iterator<Item = &'a Target> + 'a {
        self.clickables.iter().filter(move |c| {
            c.href
                .as_deref()
                .is_some_and(|h| h.split('#').next() == Some(url) && !h.contains('#'))
        })
    }

    /// The first link to `url` (ignoring fragments), preferring elements with an id.
    #[must_use]
    pub fn link_to(&self, url: &str) -> Option<&Target> {
        let matches = |c: &&Target| {
            c.href
                .as_deref()
                .is_some_and(|h| h.split('#').next() == Some(url) && !h.contains('#'))
        };
        self.clickables
            .iter()
            .filter(matches)
            .find(|c| c.selector.starts_with('#') && !c.selector.contains(' '))
            .or_else(|| self.clickables.iter().find(matches))
    }

    /// The clickable element under `pos_in_page`, if any (the smallest box, as the innermost).
    #[must_use]
    pub fn clickable_at(&self, pos_in_page: crate::model::PagePos) -> Option<&Target> {
        self.clickables
            .iter()
            .filter(|c| c.contains(pos_in_page))
            .min_by(|a, b| (a.width * a.height).total_cmp(&(b.width * b.height)))
    }

    /// The elements that are traps of kind `trap`.
    pub fn traps<'a>(&'a self, trap: &'a str) -> impl Iterator<Item = &'a Target> + 'a {
        self.clickables
            .iter()
            .filter(move |c| c.trap.as_deref() == Some(trap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_layout_has_every_page_at_both_widths() {
        for key in [
            "home",
            "category-footwear",
            "product-trail-runner",
            "cart",
            "checkout",
            "confirmation",
        ] {
            for width in [1440, 390] {
                let p = page(key, width).unwrap_or_else(|| panic!("{key} at {width}"));
                assert!(p.doc_height > 500.0);
                assert!(!p.clickables.is_empty());
            }
        }
        let home = page("home", 1440).unwrap();
        assert!(
            home.link_to("http://shop.test/category/footwear.html")
                .is_some()
        );
        assert_eq!(home.traps("dead_promo").count(), 1);
    }
}
