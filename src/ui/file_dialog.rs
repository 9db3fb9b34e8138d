//! File dialogs that always work: the system dialog (rfd: the desktop portal, else zenity) when
//! it can open, else SessionLens's own in-app browser, with the reason shown in the status bar.
//!
//! Owns: what a dialog is for ([`DialogPurpose`]), the check whether the system dialog can
//! open ([`system_dialog_problem`]), and the in-app browser's state ([`FileBrowser`], pure and
//! unit-tested) and window ([`file_browser_ui`]). May use: std, egui (the window only).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::RichText;

use super::command::Command;
use super::theme;
use crate::render::RgbaImage;
use crate::store::SessionFilter;

/// File extensions offered when opening recordings.
pub const SESSION_EXTENSIONS: [&str; 6] = ["json", "gz", "jsonl", "slbundle", "zip", "js"];

/// What a file dialog is asked for, and what happens with the answer.
#[derive(Clone, Debug)]
pub enum DialogPurpose {
    /// Recordings to import and open.
    OpenFiles,
    /// A folder to import.
    ImportFolder,
    /// A folder to write a report into.
    ExportReport {
        /// Sessions in the report.
        filter: SessionFilter,
        /// Funnel steps (empty: the standard ones).
        steps: Vec<String>,
    },
    /// Where to save a rendered heatmap as PNG.
    ExportHeatmap {
        /// The pixels.
        image: Arc<RgbaImage>,
        /// The suggested file name.
        file_name: String,
    },
    /// Where to save a replay clip (GIF, WebM or MP4 by the name's extension).
    ExportClip {
        /// The session.
        session_id: String,
        /// The range and how to draw it.
        options: crate::clip::ClipOptions,
    },
    /// Where to save a session's notes (CSV, or Markdown for a `.md` name).
    ExportNotes {
        /// The session.
        session_id: String,
        /// Its notes.
        notes: Vec<crate::model::Note>,
    },
}

/// What kind of answer a dialog wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickKind {
    /// One or more existing files.
    Files,
    /// One existing folder.
    Folder,
    /// A file name to write (existing or new).
    Save,
}

impl DialogPurpose {
    /// The window title.
    #[must_use]
    pub fn title(&self) -> &'static str {
        match self {
            Self::OpenFiles => "Open sessions",
            Self::ImportFolder => "Import folder",
            Self::ExportReport { .. } => "Export report to folder",
            Self::ExportHeatmap { .. } => "Export heatmap",
            Self::ExportNotes { .. } => "Export notes",
            Self::ExportClip { .. } => "Export clip",
        }
    }

    /// The kind of answer.
    #[must_use]
    pub fn kind(&self) -> PickKind {
        match self {
            Self::OpenFiles => PickKind::Files,
            Self::ImportFolder | Self::ExportReport { .. } => PickKind::Folder,
            Self::ExportHeatmap { .. } | Self::ExportNotes { .. } | Self::ExportClip { .. } => {
                PickKind::Save
            }
        }
    }

    /// Extensions of the files listed (empty: every file).
    #[must_use]
    pub fn extensions(&self) -> &'static [&'static str] {
        match self {
            Self::OpenFiles => &SESSION_EXTENSIONS,
            Self::ExportHeatmap { .. } => &["png"],
            Self::ExportNotes { .. } => &["csv", "md"],
            Self::ExportClip { .. } => &["gif", "webm", "mp4"],
            Self::ImportFolder | Self::ExportReport { .. } => &[],
        }
    }

    /// The file name suggested by a save dialog.
    #[must_use]
    pub fn suggested_name(&self) -> String {
        match self {
            Self::ExportHeatmap { file_name, .. } => file_name.clone(),
            Self::ExportNotes { session_id, .. } => format!("{session_id}-notes.csv"),
            Self::ExportClip {
                session_id,
                options,
            } => {
                let s = options.from_ms.max(0) / 1000;
                format!("{session_id}-{:02}m{:02}s.gif", s / 60, s % 60)
            }
            _ => String::new(),
        }
    }

    /// The label of the button that accepts.
    #[must_use]
    pub fn accept_label(&self) -> &'static str {
        match self {
            Self::OpenFiles => "Open",
            Self::ImportFolder => "Import this folder",
            Self::ExportReport { .. } => "Export here",
            Self::ExportHeatmap { .. } | Self::ExportNotes { .. } | Self::ExportClip { .. } => {
                "Save"
            }
        }
    }
}

/// Why the system file dialog cannot open here, or `None` when it can (as far as can be known
/// before trying). On Linux and the BSDs rfd asks the desktop portal over the D-Bus session bus,
/// then falls back to `zenity`: with neither, nothing opens.
#[must_use]
pub fn system_dialog_problem() -> Option<String> {
    if std::env::var("SESSIONLENS_FILE_DIALOG").is_ok_and(|v| v == "builtin") {
        return Some("SESSIONLENS_FILE_DIALOG=builtin".to_owned());
    }
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return None;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| Path::new(&dir).join("bus").exists());
    if bus || zenity_installed() {
        None
    } else {
        Some("no desktop portal, no zenity".to_owned())
    }
}

/// Whether `zenity`, rfd's second choice on Linux, is on `PATH`.
#[must_use]
pub fn zenity_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file()))
}

/// An answer from the system dialog that came back this fast with nothing chosen, while
/// zenity is missing, was no dialog at all: the portal refused (nobody cancels in 0.4 s).
pub const NO_DIALOG_WITHIN_MS: u128 = 400;

/// A row of the in-app browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserEntry {
    /// Full path.
    pub path: PathBuf,
    /// Name shown.
    pub name: String,
    /// A folder.
    pub is_dir: bool,
}

/// The state of the in-app file browser (no egui types: unit-tested).
#[derive(Clone, Debug)]
pub struct FileBrowser {
    /// What it is for.
    pub purpose: DialogPurpose,
    /// Why the system dialog was not used.
    pub reason: String,
    /// The folder shown.
    pub dir: PathBuf,
    /// The location field as typed.
    pub location: String,
    /// The folder's listing, or why it could not be read.
    pub entries: Result<Vec<BrowserEntry>, String>,
    /// Files selected (open dialogs).
    pub selected: Vec<PathBuf>,
    /// File name typed (save dialogs).
    pub file_name: String,
}

impl FileBrowser {
    /// Opens the browser on `start_dir`.
    #[must_use]
    pub fn new(purpose: DialogPurpose, reason: String, start_dir: PathBuf) -> Self {
        let file_name = purpose.suggested_name();
        let mut browser = Self {
            purpose,
            reason,
            dir: PathBuf::new(),
            location: String::new(),
            entries: Ok(Vec::new()),
            selected: Vec::new(),
            file_name,
        };
        browser.open_dir(start_dir);
        browser
    }

    /// The folder to start in: the home folder, else the working directory.
    #[must_use]
    pub fn default_start_dir() -> PathBuf {
        directories::UserDirs::new()
            .map(|d| d.home_dir().to_path_buf())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    /// Shows `dir` (selection cleared). Folders first, then files with the purpose's
    /// extensions, each by name; hidden entries are left out.
    pub fn open_dir(&mut self, dir: PathBuf) {
        self.selected.clear();
        self.location = dir.display().to_string();
        self.entries = list_dir(&dir, self.purpose.extensions());
        self.dir = dir;
    }

    /// Shows the parent folder.
    pub fn up(&mut self) {
        if let Some(parent) = self.dir.parent().map(Path::to_path_buf) {
            self.open_dir(parent);
        }
    }

    /// A click on a file: selects it (several for an open dialog), or for a save dialog
    /// takes its name.
    pub fn click_file(&mut self, path: &Path) {
        match self.purpose.kind() {
            PickKind::Files => {
                if let Some(i) = self.selected.iter().position(|p| p == path) {
                    self.selected.remove(i);
                } else {
                    self.selected.push(path.to_path_buf());
                }
            }
            PickKind::Save => {
                if let Some(name) = path.file_name() {
                    self.file_name = name.to_string_lossy().into_owned();
                }
            }
            PickKind::Folder => {}
        }
    }

    /// The answer the accept button gives now, or why it cannot accept yet.
    pub fn answer(&self) -> Result<Vec<PathBuf>, &'static str> {
        match self.purpose.kind() {
            PickKind::Files if self.selected.is_empty() => Err("Select one or more files"),
            PickKind::Files => Ok(self.selected.clone()),
            PickKind::Folder => Ok(vec![self.dir.clone()]),
            PickKind::Save => {
                let name = self.file_name.trim();
                if name.is_empty() || name.contains(std::path::MAIN_SEPARATOR) {
                    Err("Type a file name")
                } else {
                    Ok(vec![self.dir.join(name)])
                }
            }
        }
    }
}

fn list_dir(dir: &Path, extensions: &[&str]) -> Result<Vec<BrowserEntry>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<BrowserEntry> = read
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let path = entry.path();
            // Follows links, so a link to a folder is browsed as one.
            let is_dir = path.is_dir();
            let wanted = is_dir
                || extensions.is_empty()
                || path.extension().is_some_and(|e| {
                    extensions
                        .iter()
                        .any(|x| e.to_string_lossy().eq_ignore_ascii_case(x))
                });
            wanted.then_some(BrowserEntry { path, name, is_dir })
        })
        .collect();
    entries.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(entries)
}

/// What the in-app browser's window asks for this frame.
#[derive(Debug, PartialEq)]
pub enum BrowserOutcome {
    /// Still open.
    Open,
    /// Accepted with these paths.
    Chosen(Vec<PathBuf>),
    /// Cancelled.
    Cancelled,
}

/// Draws the in-app file browser; returns what the user did.
pub fn file_browser_ui(browser: &mut FileBrowser, ctx: &egui::Context) -> BrowserOutcome {
    let mut outcome = BrowserOutcome::Open;
    let mut go_to: Option<PathBuf> = None;
    egui::Modal::new(egui::Id::unique("in_app_file_dialog")).show(ctx, |ui| {
        ui.set_width(640.0);
        ui.heading(browser.purpose.title());
        ui.label(
            RichText::new(format!(
                "The system file dialog could not open ({}); this is SessionLens's own.",
                browser.reason
            ))
            .color(theme::MUTED),
        );
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(browser.dir.parent().is_some(), egui::Button::new("⬆ Up"))
                .clicked()
            {
                browser.up();
            }
            let field = ui.add(
                egui::TextEdit::singleline(&mut browser.location)
                    .desired_width(460.0)
                    .hint_text("Folder"),
            );
            if (field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
                || ui.button("Go").clicked()
            {
                go_to = Some(PathBuf::from(browser.location.trim()));
            }
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .auto_shrink([false, false])
            .show(ui, |ui| match &browser.entries {
                Err(e) => {
                    ui.label(RichText::new(e).color(theme::ERROR_TEXT));
                }
                Ok(entries) if entries.is_empty() => {
                    ui.label(RichText::new("Nothing to show in this folder").color(theme::MUTED));
                }
                Ok(entries) => {
                    let mut clicked_file = None;
                    for entry in entries {
                        if entry.is_dir {
                            if ui
                                .selectable_label(false, format!("{}/", entry.name))
                                .clicked()
                            {
                                go_to = Some(entry.path.clone());
                            }
                        } else {
                            let on = browser.selected.contains(&entry.path)
                                || (browser.purpose.kind() == PickKind::Save
                                    && browser.file_name == entry.name);
                            if ui.selectable_label(on, entry.name.as_str()).clicked() {
                                clicked_file = Some(entry.path.clone());
                            }
                        }
                    }
                    if let Some(path) = clicked_file {
                        browser.click_file(&path);
                    }
                }
            });
        ui.separator();
        if browser.purpose.kind() == PickKind::Save {
            ui.horizontal(|ui| {
                ui.label("File name");
                ui.add(egui::TextEdit::singleline(&mut browser.file_name).desired_width(420.0));
            });
        }
        ui.horizontal(|ui| {
            let answer = browser.answer();
            let accept = ui.add_enabled(
                answer.is_ok(),
                egui::Button::new(browser.purpose.accept_label()),
            );
            if let Ok(paths) = answer {
                if accept.clicked() {
                    outcome = BrowserOutcome::Chosen(paths);
                }
            } else if let Err(hint) = answer {
                accept.on_disabled_hover_text(hint);
            }
            if ui.button("Cancel").clicked() {
                outcome = BrowserOutcome::Cancelled;
            }
            if browser.purpose.kind() == PickKind::Files && !browser.selected.is_empty() {
                ui.label(format!("{} selected", browser.selected.len()));
            }
        });
    });
    if let Some(dir) = go_to {
        browser.open_dir(dir);
    }
    outcome
}

/// The command a cancelled or accepted browser leads to.
#[must_use]
pub fn browser_command(outcome: BrowserOutcome) -> Option<Command> {
    match outcome {
        BrowserOutcome::Open => None,
        BrowserOutcome::Chosen(paths) => Some(Command::FileDialogAnswer(Some(paths))),
        BrowserOutcome::Cancelled => Some(Command::FileDialogAnswer(None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["b.json", "A.jsonl.gz", "notes.txt", ".hidden.json"] {
            std::fs::write(dir.path().join(name), b"{}").expect("write");
        }
        std::fs::create_dir(dir.path().join("zsub")).expect("mkdir");
        dir
    }

    #[test]
    fn the_browser_lists_folders_first_then_matching_files_by_name() {
        let dir = folder();
        let browser = FileBrowser::new(
            DialogPurpose::OpenFiles,
            "test".to_owned(),
            dir.path().to_path_buf(),
        );
        let names: Vec<_> = browser
            .entries
            .expect("listed")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["zsub", "A.jsonl.gz", "b.json"]);
    }

    #[test]
    fn open_selects_several_files_and_folder_mode_answers_the_folder() {
        let dir = folder();
        let mut browser = FileBrowser::new(
            DialogPurpose::OpenFiles,
            "test".to_owned(),
            dir.path().to_path_buf(),
        );
        assert!(browser.answer().is_err(), "nothing selected yet");
        let (a, b) = (dir.path().join("A.jsonl.gz"), dir.path().join("b.json"));
        browser.click_file(&a);
        browser.click_file(&b);
        browser.click_file(&a);
        assert_eq!(browser.answer(), Ok(vec![b]));
        browser.open_dir(dir.path().join("zsub"));
        assert!(browser.selected.is_empty());
        browser.up();
        assert_eq!(browser.dir, dir.path());

        let folder_pick = FileBrowser::new(
            DialogPurpose::ImportFolder,
            "test".to_owned(),
            dir.path().join("zsub"),
        );
        assert_eq!(folder_pick.answer(), Ok(vec![dir.path().join("zsub")]));
    }

    #[test]
    fn save_answers_the_typed_name_in_the_folder_shown() {
        let dir = folder();
        let mut browser = FileBrowser::new(
            DialogPurpose::ExportNotes {
                session_id: "s1".to_owned(),
                notes: Vec::new(),
            },
            "test".to_owned(),
            dir.path().to_path_buf(),
        );
        assert_eq!(browser.answer(), Ok(vec![dir.path().join("s1-notes.csv")]));
        browser.file_name = "  ".to_owned();
        assert!(browser.answer().is_err());
        browser.click_file(&dir.path().join("b.json"));
        assert_eq!(browser.file_name, "b.json");
    }

    #[test]
    fn an_unreadable_folder_is_shown_as_an_error() {
        let dir = folder();
        let browser = FileBrowser::new(
            DialogPurpose::OpenFiles,
            "test".to_owned(),
            dir.path().join("missing"),
        );
        assert!(browser.entries.is_err());
    }
}
