//! Reader errors and warnings.

/// Why an input could not be read. Every variant names the file; parse errors also name the
/// JSON path and the line and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file could not be read.
    #[error("{file}: {error}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error (part of the message, so it is not repeated as a cause).
        error: std::io::Error,
    },
    /// The file is empty.
    #[error("{file}: the file is empty")]
    Empty {
        /// The file.
        file: String,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("{file}: {path}: {message} (line {line}, column {column})")]
    Json {
        /// The file.
        file: String,
        /// JSON path of the offending value, e.g. `events[1532].x` (`.` for the document).
        path: String,
        /// What was found and what was expected.
        message: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
    },
    /// Well-formed but breaks a rule of the model (timestamps, coordinates, indices).
    #[error("{file}: {path}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// JSON path of the offending value.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer SessionLens with an incompatible major version.
    #[error(
        "{file}: made by a newer SessionLens (format version {found}; this build reads {supported}.x): update SessionLens to open it"
    )]
    NewerVersion {
        /// The file.
        file: String,
        /// The version in the file.
        found: String,
        /// The major version this build reads.
        supported: u32,
    },
    /// Bigger than a configured limit (size after decompression, image dimensions, …).
    #[error("{file}: {what} exceeds the limit of {limit}")]
    TooLarge {
        /// The file.
        file: String,
        /// What was too large.
        what: String,
        /// The limit, with its unit.
        limit: String,
    },
    /// A kind of input SessionLens does not read.
    #[error("{file}: {message}")]
    Unsupported {
        /// The file.
        file: String,
        /// What the file is, and what was expected.
        message: String,
    },
    /// Reading a file in pieces stopped before its end because the consumer of the pieces
    /// stopped taking them (the import was cancelled or failed).
    #[error("{file}: reading stopped before the end of the file")]
    Stopped {
        /// The file.
        file: String,
    },
    /// A bundle whose structure is broken (missing manifest, unsafe paths, hash mismatch).
    #[error("{file}: {entry}: {message}")]
    Bundle {
        /// The bundle.
        file: String,
        /// The entry inside the bundle.
        entry: String,
        /// What is wrong.
        message: String,
    },
}

/// Recoverable problems met while reading, counted by kind, with the first few examples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    counts: std::collections::BTreeMap<String, (u64, Vec<String>)>,
}

const EXAMPLES_PER_KIND: usize = 3;

impl Warnings {
    /// Records one occurrence of `kind`, keeping `detail` among the first examples.
    pub fn add(&mut self, kind: &str, detail: impl FnOnce() -> String) {
        let entry = self.counts.entry(kind.to_owned()).or_default();
        entry.0 += 1;
        if entry.1.len() < EXAMPLES_PER_KIND {
            entry.1.push(detail());
        }
    }

    /// Records `count` occurrences of `kind` at once, keeping `detail` as an example.
    pub fn add_count(&mut self, kind: &str, count: u64, detail: impl FnOnce() -> String) {
        if count == 0 {
            return;
        }
        let entry = self.counts.entry(kind.to_owned()).or_default();
        entry.0 += count;
        if entry.1.len() < EXAMPLES_PER_KIND {
            entry.1.push(detail());
        }
    }

    /// Adds all warnings of `other`.
    pub fn merge(&mut self, other: Self) {
        for (kind, (count, examples)) in other.counts {
            let entry = self.counts.entry(kind).or_default();
            entry.0 += count;
            for e in examples {
                if entry.1.len() < EXAMPLES_PER_KIND {
                    entry.1.push(e);
                }
            }
        }
    }

    /// True when nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Each kind with its number of occurrences, without the examples.
    #[must_use]
    pub fn counts(&self) -> Vec<(&str, u64)> {
        self.counts
            .iter()
            .map(|(kind, (count, _))| (kind.as_str(), *count))
            .collect()
    }

    /// Total number of occurrences.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.values().map(|(c, _)| c).sum()
    }

    /// One line per kind: `kind: count (e.g. example; example)`.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.counts
            .iter()
            .map(|(kind, (count, examples))| {
                if examples.is_empty() {
                    format!("{kind}: {count}")
                } else {
                    format!("{kind}: {count} (e.g. {})", examples.join("; "))
                }
            })
            .collect()
    }
}
