//! Background work on named threads: a library query worker, imports, and file dialogs.
//! Results come back over a channel; each sender asks egui for a repaint.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use crate::format::ReadOptions;
use crate::store::{
    ImportProgress, ImportSummary, Library, SessionFilter, SessionQueries as _, SessionRow,
    SessionSort,
};

/// A question for the query worker.
#[derive(Clone, Debug)]
pub enum Query {
    /// A page of the session list.
    List {
        /// Answers to older generations are dropped.
        generation: u64,
        /// Filter.
        filter: SessionFilter,
        /// Order.
        sort: SessionSort,
        /// First row.
        offset: u64,
        /// Rows.
        limit: u64,
    },
    /// One whole session.
    Load(String),
}

/// What background work reports.
#[derive(Debug)]
pub enum JobResult {
    /// The query worker opened the library; the number of sessions in it.
    Opened {
        /// Sessions stored.
        num_sessions: u64,
    },
    /// A page of the session list.
    List {
        /// The generation asked for.
        generation: u64,
        /// First row.
        offset: u64,
        /// Rows.
        rows: Vec<SessionRow>,
        /// Matching sessions in all.
        total: u64,
    },
    /// A loaded session (or why it could not be loaded).
    Session(String, Result<Box<super::app::LoadedSession>, String>),
    /// Import progress.
    ImportProgress(ImportProgress),
    /// Import finished.
    ImportDone {
        /// Totals.
        summary: ImportSummary,
        /// Open the first imported session.
        open_first: bool,
        /// Screenshots attached from the demo shop's assets.
        screenshots_attached: usize,
    },
    /// Paths chosen in a file dialog (empty when cancelled).
    Picked {
        /// The paths.
        paths: Vec<PathBuf>,
        /// Open the first imported session.
        open_first: bool,
    },
    /// A failure to show.
    Error(String),
}

/// The background side of the app.
pub struct Background {
    ctx: egui::Context,
    library_path: PathBuf,
    results_tx: Sender<JobResult>,
    results_rx: Receiver<JobResult>,
    query_tx: Option<SyncSender<Query>>,
    import_running: bool,
}

impl Background {
    /// Starts the query worker on `library_path`.
    pub fn start(ctx: &egui::Context, library_path: PathBuf) -> Self {
        let (results_tx, results_rx) = std::sync::mpsc::channel();
        let mut background = Self {
            ctx: ctx.clone(),
            library_path,
            results_tx,
            results_rx,
            query_tx: None,
            import_running: false,
        };
        background.start_query_worker();
        background
    }

    fn send_from(ctx: &egui::Context, tx: &Sender<JobResult>, result: JobResult) {
        // The receiver only disappears when the app is closing.
        let _ = tx.send(result);
        ctx.request_repaint();
    }

    fn start_query_worker(&mut self) {
        let (query_tx, query_rx) = std::sync::mpsc::sync_channel::<Query>(64);
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("library-query".to_owned())
            .spawn(move || {
                let library = match Library::open(&path) {
                    Ok(library) => library,
                    Err(e) => return Self::send_from(&ctx, &tx, JobResult::Error(format!("{e}"))),
                };
                let num_sessions = library.num_sessions().unwrap_or(0);
                Self::send_from(&ctx, &tx, JobResult::Opened { num_sessions });
                while let Ok(query) = query_rx.recv() {
                    // Only the newest list query matters: skip superseded ones.
                    let result = match query {
                        Query::List {
                            generation,
                            filter,
                            sort,
                            offset,
                            limit,
                        } => {
                            match (
                                library.list_sessions(&filter, sort, offset, limit),
                                library.count_sessions(&filter),
                            ) {
                                (Ok(rows), Ok(total)) => JobResult::List {
                                    generation,
                                    offset,
                                    rows,
                                    total,
                                },
                                (Err(e), _) | (_, Err(e)) => {
                                    JobResult::Error(format!("listing sessions: {e}"))
                                }
                            }
                        }
                        Query::Load(id) => {
                            let loaded = library
                                .load_session(&id)
                                .map(|session| Box::new(super::app::LoadedSession::new(session)))
                                .map_err(|e| e.to_string());
                            JobResult::Session(id, loaded)
                        }
                    };
                    Self::send_from(&ctx, &tx, result);
                }
            });
        match spawned {
            Ok(_) => self.query_tx = Some(query_tx),
            Err(e) => Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot start the query thread: {e}")),
            ),
        }
    }

    /// Sends a query to the worker.
    pub fn query(&self, query: Query) {
        if let Some(tx) = &self.query_tx
            && tx.try_send(query).is_err()
        {
            log::warn!("query queue full; query dropped");
        }
    }

    /// True while an import runs.
    pub fn import_running(&self) -> bool {
        self.import_running
    }

    /// Starts importing `paths` on a background thread. With `attach_demo`, the demo shop's
    /// page screenshots are attached too (first start on the sample library).
    pub fn import(&mut self, paths: Vec<PathBuf>, open_first: bool, attach_demo: Option<PathBuf>) {
        if self.import_running {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(
                    "an import is already running; try again when it has finished".to_owned(),
                ),
            );
            return;
        }
        self.import_running = true;
        let (ctx, tx, path) = (
            self.ctx.clone(),
            self.results_tx.clone(),
            self.library_path.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("import".to_owned())
            .spawn(move || {
                let mut library = match Library::open(&path) {
                    Ok(library) => library,
                    Err(e) => {
                        Self::send_from(&ctx, &tx, JobResult::Error(format!("{e}")));
                        return Self::send_from(
                            &ctx,
                            &tx,
                            JobResult::ImportDone {
                                summary: ImportSummary::default(),
                                open_first: false,
                                screenshots_attached: 0,
                            },
                        );
                    }
                };
                let screenshots_attached = match attach_demo
                    .map(|assets| crate::demo::attach_screenshots(&mut library, &assets))
                {
                    Some(Ok(n)) => n,
                    Some(Err(e)) => {
                        Self::send_from(
                            &ctx,
                            &tx,
                            JobResult::Error(format!("attaching demo screenshots: {e:#}")),
                        );
                        0
                    }
                    None => 0,
                };
                let cancel = AtomicBool::new(false);
                let result = library.import_paths(
                    &paths,
                    &ReadOptions::default(),
                    &cancel,
                    &mut |progress, _| {
                        Self::send_from(&ctx, &tx, JobResult::ImportProgress(*progress));
                    },
                );
                let summary = result.unwrap_or_else(|e| {
                    Self::send_from(&ctx, &tx, JobResult::Error(format!("import: {e}")));
                    ImportSummary::default()
                });
                Self::send_from(
                    &ctx,
                    &tx,
                    JobResult::ImportDone {
                        summary,
                        open_first,
                        screenshots_attached,
                    },
                );
            });
        if let Err(e) = spawned {
            self.import_running = false;
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot start the import thread: {e}")),
            );
        }
    }

    /// Shows a native file dialog on a background thread (it may block until closed).
    pub fn pick(&self, folder: bool) {
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        let spawned = std::thread::Builder::new()
            .name("file-dialog".to_owned())
            .spawn(move || {
                let dialog = rfd::FileDialog::new().set_title(if folder {
                    "Import folder"
                } else {
                    "Open sessions"
                });
                let paths = if folder {
                    dialog.pick_folder().map(|p| vec![p]).unwrap_or_default()
                } else {
                    dialog
                        .add_filter(
                            "Sessions",
                            &["json", "gz", "jsonl", "slbundle", "zip", "js"],
                        )
                        .pick_files()
                        .unwrap_or_default()
                };
                Self::send_from(
                    &ctx,
                    &tx,
                    JobResult::Picked {
                        paths,
                        open_first: !folder,
                    },
                );
            });
        if let Err(e) = spawned {
            Self::send_from(
                &self.ctx,
                &self.results_tx,
                JobResult::Error(format!("cannot open a file dialog: {e}")),
            );
        }
    }

    /// Takes every result that has arrived.
    pub fn drain(&mut self) -> Vec<JobResult> {
        let mut out = Vec::new();
        while let Ok(result) = self.results_rx.try_recv() {
            if matches!(result, JobResult::ImportDone { .. }) {
                self.import_running = false;
            }
            out.push(result);
        }
        out
    }
}
