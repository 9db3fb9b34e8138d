//! The import manifest: the list of imported recordings, kept beside the library file and
//! outside it (`<library>.manifest.jsonl`), so that a library whose SQLite pages are damaged,
//! wherever the damage falls, can still be rebuilt from its original recordings.
//!
//! One JSON object per line, appended, never rewritten:
//!
//! ```text
//! {"kind":"import","file":"/abs/path/a.json","given":"a.json","size":1234,"sha256":"…","session_ids":["s1"],"imported_at_ms":1700000000000}
//! {"kind":"delete","session_id":"s1","at_ms":1700000000000}
//! ```
//!
//! - `import`: one line per input file that added at least one session, written after the
//!   file's transaction committed (a file whose sessions were all duplicates adds no line).
//!   `file` is absolute, `given` as named to the import, `sha256` the file's bytes (absent for
//!   a bundle folder).
//! - `delete`: a tombstone for a session taken out of the library. No command deletes sessions
//!   yet; one that does must append this line, and a rebuild then leaves out the files whose
//!   every session is deleted.
//!
//! Each line is written with one `write` on a file opened for appending, so lines of
//! concurrent imports do not interleave. The file is synced (`fsync`) every few thousand
//! sessions and at the end of an import, the points where an import also makes SQLite's WAL
//! durable; a line is in the operating system's cache right after its file's commit, so it
//! survives the importing process being killed, as the commit does with `synchronous =
//! NORMAL`. A reader ignores (and counts) a torn last line and any line it cannot parse.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StoreError;

/// `<library>.manifest.jsonl`.
#[must_use]
pub(crate) fn manifest_path(library: &Path) -> PathBuf {
    let mut name = library.as_os_str().to_owned();
    name.push(MANIFEST_SUFFIX);
    PathBuf::from(name)
}

/// What is appended to the library's file name.
pub(crate) const MANIFEST_SUFFIX: &str = ".manifest.jsonl";

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Line {
    /// A recording whose sessions were imported.
    Import {
        /// Absolute path.
        file: String,
        /// The path as given to the import.
        given: String,
        /// Size in bytes (0 for a bundle folder).
        size: u64,
        /// SHA-256 of the file's bytes, lower-case hex; absent for a folder.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
        /// The sessions it added.
        session_ids: Vec<String>,
        /// When, epoch ms.
        imported_at_ms: i64,
    },
    /// A session taken out of the library.
    Delete {
        /// The session.
        session_id: String,
        /// When, epoch ms.
        at_ms: i64,
    },
}

/// Appends lines to a library's manifest.
pub(crate) struct ManifestWriter {
    path: PathBuf,
    file: Option<std::fs::File>,
    unsynced: bool,
}

impl ManifestWriter {
    /// The writer for the library at `library` (`None` for an in-memory library). The file is
    /// opened at the first line.
    pub(crate) fn for_library(library: &str) -> Option<Self> {
        (library != ":memory:" && !library.is_empty()).then(|| Self {
            path: manifest_path(Path::new(library)),
            file: None,
            unsynced: false,
        })
    }

    fn io(&self, error: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.display().to_string(),
            error,
        }
    }

    /// Appends the line of one imported file. `sha256` is the hash of the file's bytes as the
    /// import read them, when it has it; a file without one is hashed here, piece by piece.
    pub(crate) fn record_import(
        &mut self,
        given: &Path,
        absolute: &str,
        session_ids: &[String],
        sha256: Option<String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let meta = std::fs::metadata(given).map_err(|e| self.io(e))?;
        let (size, sha256) = match sha256 {
            _ if !meta.is_file() => (0, None),
            Some(sha256) => (meta.len(), Some(sha256)),
            None => {
                let io = |error| StoreError::Io {
                    path: given.display().to_string(),
                    error,
                };
                let file = std::fs::File::open(given).map_err(io)?;
                let sha256 = crate::format::hash::sha256_hex_of_reader(file).map_err(io)?;
                (meta.len(), Some(sha256))
            }
        };
        self.append(&Line::Import {
            file: absolute.to_owned(),
            given: given.display().to_string(),
            size,
            sha256,
            session_ids: session_ids.to_vec(),
            imported_at_ms: now_ms,
        })
    }

    /// Appends one line with one write.
    pub(crate) fn append(&mut self, line: &Line) -> Result<(), StoreError> {
        let mut text = serde_json::to_vec(line).map_err(|e| StoreError::Invalid(e.to_string()))?;
        text.push(b'\n');
        if self.file.is_none() {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.path)
                .map_err(|e| self.io(e))?;
            self.file = Some(file);
        }
        if let Some(file) = self.file.as_mut() {
            let written = file.write_all(&text);
            written.map_err(|e| self.io(e))?;
            self.unsynced = true;
        }
        Ok(())
    }

    /// Makes the lines written so far durable.
    pub(crate) fn sync(&mut self) -> Result<(), StoreError> {
        if let (true, Some(file)) = (self.unsynced, self.file.as_ref()) {
            file.sync_data().map_err(|e| self.io(e))?;
            self.unsynced = false;
        }
        Ok(())
    }
}

/// A manifest as read.
#[derive(Clone, Debug, Default)]
pub(crate) struct Manifest {
    /// Import lines, in file order.
    pub(crate) imports: Vec<Line>,
    /// Sessions with a tombstone.
    pub(crate) deleted: HashSet<String>,
    /// Lines that could not be read (a torn last line, damage).
    pub(crate) lines_ignored: usize,
}

impl Manifest {
    /// The absolute paths of the imported files, in first-import order, without repeats,
    /// leaving out files whose every session was deleted.
    pub(crate) fn files(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for line in &self.imports {
            if let Line::Import {
                file, session_ids, ..
            } = line
            {
                let all_deleted = !session_ids.is_empty()
                    && session_ids.iter().all(|id| self.deleted.contains(id));
                if !all_deleted && seen.insert(file.clone()) {
                    out.push(file.clone());
                }
            }
        }
        out
    }
}

/// Reads the manifest at `path`; `Ok(None)` when there is none.
pub(crate) fn read(path: &Path) -> Result<Option<Manifest>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(StoreError::Io {
                path: path.display().to_string(),
                error,
            });
        }
    };
    let mut manifest = Manifest::default();
    let complete = bytes.ends_with(b"\n");
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // `split` yields an empty piece after a final newline, and the torn tail otherwise.
    if let Some(last) = lines.pop()
        && !complete
        && !last.is_empty()
    {
        manifest.lines_ignored += 1;
    }
    for line in lines {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Line>(line) {
            Ok(Line::Delete { session_id, .. }) => {
                manifest.deleted.insert(session_id);
            }
            Ok(import) => manifest.imports.push(import),
            Err(_) => manifest.lines_ignored += 1,
        }
    }
    Ok(Some(manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_a_torn_tail_and_garbage_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("lib.sqlite");
        let recording = dir.path().join("a.json");
        std::fs::write(&recording, b"[1,2,3]").unwrap();
        let mut writer = ManifestWriter::for_library(library.to_str().unwrap()).unwrap();
        writer
            .record_import(&recording, "/abs/a.json", &["s1".to_owned()], None, 7)
            .unwrap();
        writer
            .record_import(dir.path(), "/abs/folder", &["s2".to_owned()], None, 8)
            .unwrap();
        writer
            .record_import(
                &recording,
                "/abs/a.json",
                &["s3".to_owned()],
                Some("given".to_owned()),
                9,
            )
            .unwrap();
        writer
            .append(&Line::Delete {
                session_id: "s2".to_owned(),
                at_ms: 10,
            })
            .unwrap();
        writer.sync().unwrap();
        let path = manifest_path(&library);
        assert!(
            path.to_string_lossy()
                .ends_with("lib.sqlite.manifest.jsonl")
        );
        let clean = read(&path).unwrap().unwrap();
        assert_eq!(clean.lines_ignored, 0);
        assert_eq!(clean.imports.len(), 3);
        assert_eq!(
            clean.imports[0],
            Line::Import {
                file: "/abs/a.json".to_owned(),
                given: recording.display().to_string(),
                size: 7,
                sha256: Some(crate::format::hash::sha256_hex(b"[1,2,3]")),
                session_ids: vec!["s1".to_owned()],
                imported_at_ms: 7,
            }
        );
        // A hash the import took is kept as given; a folder has none.
        assert!(matches!(
            &clean.imports[1],
            Line::Import { sha256: None, .. }
        ));
        assert!(matches!(&clean.imports[2], Line::Import { sha256: Some(h), .. } if h == "given"));
        // The folder's only session is deleted; the file imported twice is listed once.
        assert_eq!(clean.files(), vec!["/abs/a.json".to_owned()]);

        let mut text = std::fs::read(&path).unwrap();
        text.extend_from_slice(b"not json\n{\"kind\":\"import\",\"file\":\"/abs/b.js");
        std::fs::write(&path, &text).unwrap();
        let torn = read(&path).unwrap().unwrap();
        assert_eq!(torn.lines_ignored, 2);
        assert_eq!(torn.imports, clean.imports);
        assert!(read(&dir.path().join("none.jsonl")).unwrap().is_none());
        assert!(ManifestWriter::for_library(":memory:").is_none());
    }
}
