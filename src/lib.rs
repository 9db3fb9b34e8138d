//! SessionLens: review recorded web sessions.
//!
//! The crate is layered; each module only depends on the ones above it in this list:
//!
//! - [`model`]: sessions, page views, events and the named coordinate spaces.
//! - [`format`]: readers and writers over `Read`/`Write` (native `.session.json`, bundles).
//! - [`analysis`]: pure computations over sessions and plain data (heatmaps from point columns,
//!   signals, conversions); it never reads the library.
//! - [`playback`]: the replay clock as a pure state machine.
//! - [`render`]: CPU rasterising to RGBA and PNG.
//! - [`store`]: the session library (schema, migrations, import, queries; heatmap aggregation
//!   composed from its reads and `analysis`).
//! - [`report`], [`demo`]: orchestration over the store.
//! - [`snapshot`]: pages as the visitor saw them, rebuilt from recordings and rendered.
//! - [`clip`]: a range of a replay as an animated GIF, WebM or MP4.
//! - [`cli`]: the `sessionlens` command line.
//! - `ui` (feature `gui`): the egui desktop app, the only module that touches egui.
//!
//! Reading a session file and summarising it:
//!
//! ```
//! use sessionlens::format::native;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let json = br#"{"format":"sessionlens-session","version":"1.0","session_id":"s1",
//!   "started_at_ms":1700000000000,"duration_ms":2000,
//!   "pages":[{"url":"https://shop.test/","entered_ms":0,"left_ms":2000,
//!             "doc_width":1440,"doc_height":3000,"viewport_width":1440,"viewport_height":900}],
//!   "events":[[100,"m",10,20],[500,"c",12,22,12,22,-1]]}"#;
//! let (session, _warnings) = native::read_session(&json[..], "example.session.json")?;
//! assert_eq!(session.num_clicks(), 1);
//! # Ok(()) }
//! ```

pub mod analysis;
pub mod cli;
pub mod clip;
pub mod demo;
pub mod format;
pub mod model;
pub mod playback;
pub mod render;
pub mod report;
pub mod snapshot;
pub mod store;
#[cfg(feature = "gui")]
pub mod ui;
