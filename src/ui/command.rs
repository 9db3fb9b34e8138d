//! Commands: the only way panels change the app.

use std::path::PathBuf;

use super::app::ListFilter;

/// Something a panel asks the app to do; applied in one place per frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Ask for files to import and open (file dialog on a background thread).
    OpenFilesDialog,
    /// Ask for a folder to import (file dialog on a background thread).
    ImportFolderDialog,
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
}
