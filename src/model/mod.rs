//! The session model: sessions, page views, events, element descriptors and coordinate spaces.
//!
//! Owns: the data types every layer speaks, their invariants (`validate`, `Limits`), the session
//! filter and URL patterns ([`filter`]). May use: nothing else of the crate (the bottom layer).
//!
//! Coordinate spaces are never mixed silently:
//! - *page*: document CSS pixels, scroll included ([`PagePos`]).
//! - *viewport*: what the browser window showed, CSS pixels ([`ViewportPos`]).
//! - *image*: screenshot pixels ([`ImagePos`]).
//! - *ui*: egui points, only in the `ui` module.
//!
//! Times are epoch milliseconds (`timestamp_ms`) unless a name says otherwise.

mod device;
mod event;
pub mod filter;
mod geom;
mod note;
pub mod points;
mod session;
mod source;
pub mod time;
mod validate;
pub mod variant;

pub use device::DeviceClass;
pub use event::{ClickKind, ElementDescriptor, Event, EventKind, MouseButton, PointerType};
pub use filter::{FilterError, FilterText, SessionFilter, UrlPattern, date_is_valid, glob_match};
pub use geom::{ImageFromPage, ImagePos, PagePos, ScrollOffset, SizePx, ViewportPos};
pub use note::Note;
pub use session::{CONVERSION_EVENT_NAMES, PageStats, PageView, Session};
pub use source::{Channel, TrafficSource};
pub use validate::{Limits, ModelError};
pub use variant::{VariantFilter, VariantSource};
