//! The SQLite session library: schema and migrations, import, and the queries the UI and CLI
//! use. One file holds sessions, page views, events (one compact blob per session plus columnar
//! per-page point blobs for aggregation), screenshots (deduplicated by content hash), signals
//! and notes.
//!
//! Every reader and writer goes through the [`Store`] trait (with [`SessionQueries`]), which
//! speaks model types only; [`open_store`] picks the backend once: this SQLite library, or a
//! team library on ClickHouse ([`clickhouse`]).

mod aggregate;
mod backend;
mod body;
pub mod clickhouse;
mod conversions;
mod copy;
mod elements;
mod error;
mod forms;
mod heatmap;
mod import;
mod index;
mod journeys;
mod library;
mod manifest;
mod notes;
mod points;
mod query;
mod recover;
mod schema;
mod sections;
mod signals;
pub mod variants;

pub use crate::model::points::{HeatmapPageView, PageSignal, PointColumns};
pub use aggregate::{HeatmapError, aggregate_heatmap, compose as aggregate_heatmap_from};
pub use backend::{Interrupt, Store, is_server_location, open_store};
pub use conversions::{Defined, GOAL_KEY, GoalStatus, WorkStep};
pub use copy::{CopySummary, copy_library};
pub use elements::compose_input as compose_element_input;
pub use error::StoreError;
pub use heatmap::url_matches;
pub use import::{FileOutcome, FileStatus, ImportProgress, ImportSummary, collect_inputs};
pub use index::glob_match;
pub use library::{Library, ScreenshotInfo, default_library_path, now_ms};
pub use notes::MAX_NOTE_CHARS;
pub use points::{PagePoints, PointKind};
pub use query::{PageGroup, SessionFilter, SessionQueries, SessionRow, SessionSort};
pub use recover::{RebuildReport, rebuild_library, set_library_aside};
pub use schema::SCHEMA_VERSION;
pub use sections::{Section, SectionReach};
pub use signals::{RecomputeSummary, SIGNAL_SETTINGS_KEY, SignalQuery, StoredSignal};
