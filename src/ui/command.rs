//! Commands: the only way panels change the app.

use std::path::PathBuf;

use super::app::ListFilter;
use super::conversions_view::ConversionsChoice;
use super::heatmap_view::HeatmapChoice;
use super::replay::SideTab;
use super::signals_view::HotspotChoice;
use crate::model::PagePos;
use crate::playback::PlaybackCommand;
use crate::render::heatmap::RenderSettings;

/// Something a panel asks the app to do; applied in one place per frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Ask for files to import and open (file dialog on a background thread).
    OpenFilesDialog,
    /// Ask for a folder to import (file dialog on a background thread).
    ImportFolderDialog,
    /// The in-app file dialog's answer (`None`: cancelled); carried out for the purpose it
    /// was opened for.
    FileDialogAnswer(Option<Vec<PathBuf>>),
    /// Show the full list of errors (the status bar's error count was clicked), or hide it.
    ShowErrorList(bool),
    /// Import these files or folders; open the first imported session when `open_first`.
    Import {
        /// Paths.
        paths: Vec<PathBuf>,
        /// Open the first session imported.
        open_first: bool,
    },
    /// Change the session list filter (re-queries).
    SetFilter(ListFilter),
    /// Load more rows of the session list.
    LoadMore,
    /// Re-run the session list query.
    RefreshList,
    /// Select and load a session.
    SelectSession(String),
    /// Hide the error banner.
    DismissError,
    /// Close the window.
    Quit,
    /// Change the replay clock (play, pause, seek, speed, loop, skip).
    Playback(PlaybackCommand),
    /// Switch the stage between the visitor's view and the whole page.
    ToggleStageMode,
    /// Show or hide the cursor trail, and its length.
    SetTrail {
        /// Draw it.
        show: bool,
        /// Length, ms.
        trail_ms: i64,
    },
    /// Show or hide the keyboard shortcut list.
    ToggleHelp,
    /// Seek to the previous frustration signal.
    PreviousSignal,
    /// Seek to the next frustration signal.
    NextSignal,
    /// Switch the replay side panel's tab.
    SetSideTab(SideTab),
    /// Keep the damaged library file aside and rebuild the library from the original
    /// recordings, or (`fresh`) start an empty one.
    RebuildLibrary {
        /// Start empty instead of re-importing.
        fresh: bool,
    },
    /// Close the damaged-library dialog after its outcome was shown.
    CloseLibraryDialog,
    /// Store a named section of the heatmap's page (then reload the sections).
    DefineSection(crate::store::Section),
    /// Remove a section (then reload the sections).
    DeleteSection(String),
    /// Open the "Define event from this element" window for a clicked element.
    DefineFromElement(crate::model::ElementDescriptor),
    /// Set (or, with `None`, close) the "Define event from this element" window.
    SetElementDefinition(Option<crate::ui::replay::ElementDefinition>),
    /// A drag on the heatmap draws a section band.
    SetBandMode(bool),
    /// Set the section form (name and band, page CSS px).
    SetSectionDraft(crate::ui::heatmap_view::SectionDraft),
    /// Ask for a folder and write a report there for the conversions view's sessions and
    /// funnel, with heatmaps of the most viewed pages.
    ExportReport,
    /// Show typed values where the library kept them (off at every start; sensitive fields
    /// are never shown).
    SetRevealTypedValues(bool),
    /// Event families hidden from the event list.
    SetHiddenFamilies(Vec<String>),
    /// Save a note at a moment of a session.
    AddNote {
        /// The session.
        session_id: String,
        /// The moment, epoch ms.
        timestamp_ms: i64,
        /// The text.
        text: String,
    },
    /// Delete a note.
    DeleteNote {
        /// The session (its notes are reloaded).
        session_id: String,
        /// The note.
        note_id: i64,
    },
    /// Export the open session's notes (save dialog on a background thread).
    ExportNotes,
    /// Export a clip of the open replay (GIF, WebM or MP4): the timeline selection (Shift+drag),
    /// else the moment ± a few seconds; a save dialog, then a `clip-export` thread.
    ExportClip,
    /// Switch the main view.
    SetView(MainView),
    /// Open a session in the replay at a moment (epoch ms).
    OpenSessionAt {
        /// The session.
        session_id: String,
        /// The moment, epoch ms.
        timestamp_ms: i64,
    },
    /// Draw a comparison side by side or as a difference map (re-renders only).
    SetCompareLayout(crate::render::compare::CompareLayout),
    /// List every scroll band's test under a comparison, or only the bands that differ.
    ShowAllBandTests(bool),
    /// Ask for the pages and screenshots the heatmap view offers.
    LoadHeatmapPages,
    /// Change what the heatmap aggregates (re-aggregates).
    SetHeatmapChoice(Box<HeatmapChoice>),
    /// Render each listed page variant's screenshot with Chromium and keep it in the library
    /// (then draw the map again).
    RenderVariantScreenshots,
    /// Change how the heatmap is drawn (re-renders only).
    SetHeatmapSettings(Box<RenderSettings>),
    /// List the moments behind a spot of the heatmap (page CSS px).
    HeatmapSpot(PagePos),
    /// Save the rendered heatmap as PNG (save dialog on a background thread).
    ExportHeatmap,
    /// Switch to the heatmap view with this choice.
    ShowHeatmap(Box<HeatmapChoice>),
    /// Show the heatmap view's element mode (true) or its map (false).
    SetElementMode(bool),
    /// Rank and colour the elements by this measure (re-queries).
    SetElementMeasure(crate::analysis::elements::ElementMeasure),
    /// Pick an element of the element mode (by selector), or none.
    SelectElement(Option<String>),
    /// Save the element mode's picture as PNG (save dialog on a background thread).
    ExportElements,
    /// Change what the hotspot table shows (re-queries).
    SetHotspotChoice(Box<HotspotChoice>),
    /// Select a row of the hotspot table (loads its signals).
    SelectHotspot(usize),
    /// Read the signal thresholds stored in the library.
    LoadSignalSettings,
    /// Store new thresholds and recompute every session's signals (in the background).
    RecomputeSignals(Box<crate::analysis::signals::SignalSettings>),
    /// Stop the running signal recompute (its transaction is rolled back: the old signals stay).
    CancelRecompute,
    /// Stop aggregating the heatmap asked for last.
    CancelHeatmap,
    /// Change what the conversions view analyses (re-queries).
    SetConversionsChoice(Box<ConversionsChoice>),
    /// Compute the conversions view again with the same choice.
    RefreshConversions,
    /// Ask for the journey map of this choice.
    SetJourneysChoice(Box<super::journeys_view::JourneysChoice>),
    /// Ask for the journey map again.
    RefreshJourneys,
    /// Select a node, flow or whole journey of one of the journey maps (or nothing).
    PickJourney(
        Option<(
            super::journeys_view::Segment,
            super::journeys_view::JourneyPick,
        )>,
    ),
    /// Ask for the form tables of this choice.
    SetFormsChoice(Box<super::forms_view::FormsChoice>),
    /// Show this form of the report (index into its forms).
    ShowForm(usize),
    /// Select a cell of the form table (or nothing): its sessions are listed.
    PickFormCell(Option<super::forms_view::FormPick>),
    /// Start, edit or stop editing the shown form's name (`None`: not editing).
    SetFormNameDraft(Option<String>),
    /// Give forms names or remove them (same name: merged), then show the tables again.
    NameForms(Vec<super::forms_view::FormNameChange>),
    /// List the droppers of this funnel step (0-based).
    SetDropperStep(usize),
    /// Store an event definition and find it in every session (in the background).
    DefineEvent(Box<crate::analysis::conversions::EventDefinition>),
    /// Delete an event definition and its occurrences.
    DeleteEventDefinition(String),
    /// Make this defined event the conversion goal (recomputed in the background).
    SetConversionGoal(String),
    /// Rebuild the open session's page as it is at the replay's moment from the recording and
    /// render it with Chromium (in the background); shown as the stage backdrop of that page
    /// view. `fetch`: Chromium may load the page's files from the recorded site (contacts it).
    RenderMoment {
        /// Let Chromium load images, fonts and stylesheets from the site.
        fetch: bool,
    },
    /// Show the page's stored screenshot again instead of a moment's render.
    ClearMomentRender,
    /// Whether "Render this moment" loads the page's files from the site (off at every start).
    SetRenderFetch(bool),
}

/// The main views.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MainView {
    /// Session list and replay.
    #[default]
    Sessions,
    /// Heatmaps.
    Heatmaps,
    /// Frustration hotspots.
    Signals,
    /// KPIs, funnels, lift and event definitions.
    Conversions,
    /// Journeys between pages.
    Journeys,
    /// Form analytics.
    Forms,
}
