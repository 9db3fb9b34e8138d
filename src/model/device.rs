//! Device classes.

use serde::{Deserialize, Serialize};

/// The kind of device a session was recorded on.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DeviceClass {
    /// Laptop or desktop with a mouse.
    #[default]
    Desktop,
    /// Tablet-sized touch device.
    Tablet,
    /// Phone.
    Mobile,
}

impl DeviceClass {
    /// All classes, in display order.
    pub const ALL: [Self; 3] = [Self::Desktop, Self::Tablet, Self::Mobile];

    /// Derives the class from the viewport width (CSS px) and whether touch was used.
    ///
    /// Rules (documented in docs/FORMAT.md): narrower than 768 px is mobile; with touch, up to
    /// 1366 px (iPad Pro landscape) is tablet; without touch, 768–1023 px is tablet-sized; the
    /// rest is desktop.
    #[must_use]
    pub fn from_viewport(viewport_width: u32, touch: bool) -> Self {
        match (viewport_width, touch) {
            (0..768, _) => Self::Mobile,
            (768..=1366, true) | (768..1024, false) => Self::Tablet,
            _ => Self::Desktop,
        }
    }

    /// Lower-case name used in files, the CLI and the store.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Tablet => "tablet",
            Self::Mobile => "mobile",
        }
    }

    /// Parses a lower-case name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

impl std::fmt::Display for DeviceClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_from_viewport() {
        assert_eq!(DeviceClass::from_viewport(390, true), DeviceClass::Mobile);
        assert_eq!(DeviceClass::from_viewport(600, false), DeviceClass::Mobile);
        assert_eq!(DeviceClass::from_viewport(820, true), DeviceClass::Tablet);
        assert_eq!(DeviceClass::from_viewport(1180, true), DeviceClass::Tablet);
        assert_eq!(
            DeviceClass::from_viewport(1180, false),
            DeviceClass::Desktop
        );
        assert_eq!(
            DeviceClass::from_viewport(1440, false),
            DeviceClass::Desktop
        );
        assert_eq!(DeviceClass::parse("tablet"), Some(DeviceClass::Tablet));
        assert_eq!(DeviceClass::parse("phone"), None);
    }
}
