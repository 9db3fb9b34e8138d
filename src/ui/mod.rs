//! The egui desktop app. The only module that uses egui.
//!
//! Structure: [`AppState`] holds the state and applies [`Command`]s and background results,
//! returning [`Effect`]s; [`App`] carries the effects out on named background threads (a read
//! pool and a write queue for the library, imports, renders, file dialogs) and draws the views,
//! which read a `ViewContext` and push commands. The UI thread never touches SQLite.

mod app;
mod background;
mod command;
mod conversions_view;
mod elements_view;
mod file_dialog;
mod forms_view;
mod frame_stats;
mod heatmap_view;
mod journeys_view;
mod lanes;
mod panels;
mod replay;
mod signals_view;
mod state;
mod theme;
mod variants_view;

pub use app::LoadedSession;
pub use app::{App, Prefs};
pub use command::{Command, MainView};
pub use conversions_view::{ConversionReport, ConversionsChoice, ConversionsView, DropperRow};
pub use elements_view::{ElementsAnswer, ElementsPane, ElementsResult, short_selector};
pub use file_dialog::{DialogPurpose, FileBrowser};
pub use forms_view::{CellKind, FormPick, FormsChoice, FormsView};
pub use heatmap_view::{
    CompareTests, HeatmapChoice, HeatmapView, Readout, band_rows, cell_readout, cells_legend,
    hotspot_rows, hover_readout,
};
pub use journeys_view::{
    AnchorChoice, CompareChoice, JourneyPick, JourneysAnswer, JourneysChoice, JourneysView,
    Segment, sankey_ui,
};
pub use replay::{Backdrop, ReplayPrefs, ReplayState, SideTab, StageMode, format_elapsed};
pub use signals_view::{HotspotChoice, SignalsView};
pub use state::{AppState, Effect};

use std::path::PathBuf;

/// How the app starts.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// The library: a SQLite file, or a `clickhouse://` URL of a team library.
    pub library_path: PathBuf,
    /// Files to import and open.
    pub files: Vec<PathBuf>,
    /// A session to open.
    pub open_session: Option<String>,
    /// Where to start the replay of `open_session`, ms from the session start.
    pub open_at_ms: Option<i64>,
    /// Simulated visitors generated into an empty library on first start, besides the
    /// recordings in `sample_sessions/` (the app uses [`crate::demo::SAMPLE_LIBRARY_SESSIONS`]).
    pub simulated_sessions: usize,
}

/// Opens the main window and runs until it is closed.
pub fn run(options: StartOptions) -> anyhow::Result<()> {
    let renderer = renderer_from_env()?;
    log::info!("renderer: {renderer}");
    let native_options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("SessionLens")
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        persist_window: true,
        renderer,
        // Dithering adds noise to every fragment to hide banding in gradients; we draw no
        // gradients, and under software rendering it cost a third of the frame rate.
        dithering: false,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "SessionLens",
        native_options,
        Box::new(move |cc| {
            let mut app = App::new(&cc.egui_ctx, cc.storage, options);
            app.clear_with_panel_fill(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| {
        let hint = if e.to_string().contains("DISPLAY") {
            " (no display: run it in a desktop session, or use the command-line subcommands, see `sessionlens --help`)"
        } else {
            ""
        };
        anyhow::anyhow!("could not open the window: {e}{hint}")
    })
}

/// The renderer: `$SESSIONLENS_RENDERER` (`glow` or `wgpu`), else glow.
///
/// Glow is the default because it is the one that keeps up under software rendering: on Mesa
/// llvmpipe (Xvfb, machines without a GPU driver) wgpu can only use its OpenGL backend, and the
/// same build played a replay at 6-8 frames/s with wgpu against 28-34 with glow
/// (docs/BENCHMARKS.md). wgpu stays built in as a fallback.
fn renderer_from_env() -> anyhow::Result<eframe::Renderer> {
    match std::env::var("SESSIONLENS_RENDERER") {
        Ok(name) if !name.is_empty() => name
            .parse()
            .map_err(|e: String| anyhow::anyhow!("SESSIONLENS_RENDERER: {e}")),
        _ => Ok(eframe::Renderer::Glow),
    }
}

/// Where the bundled sample sessions are: `$SESSIONLENS_SAMPLES`, else `sample_sessions/` in the
/// working directory, else the one beside the source tree this binary was built from.
#[must_use]
pub fn sample_sessions_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("SESSIONLENS_SAMPLES").map(PathBuf::from),
        Some(PathBuf::from("sample_sessions")),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample_sessions"
        ))),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}
