//! The dependency direction of the crate's modules, checked over the source: every
//! `crate::MODULE` a file names must be a module its layer may use (docs/ARCHITECTURE.md).
//!
//! `model` ← `format` ← `analysis`, `playback` ← `render`, `store` ← orchestration (`report`,
//! `demo`, `snapshot`, `clip`, which do not use each other but for `report` → `clip`) ← `cli`, `ui`. There are no known breaks. Test code (`tests.rs` files and everything after a `#[cfg(test)]`) may
//! use anything.
#![expect(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The modules each top-level module may name. Orchestration modules (`report`, `demo`,
/// `snapshot`, `clip`) build on the layers below them, not on each other, but for `report`
/// writing a clip per hotspot with `clip`.
fn allowed(module: &str) -> &'static [&'static str] {
    match module {
        "model" => &[],
        "format" => &["model"],
        "analysis" => &["model", "format"],
        "playback" => &["model"],
        "render" => &["model", "format", "analysis", "playback"],
        "store" => &["model", "format", "analysis"],
        "demo" | "snapshot" | "clip" => {
            &["model", "format", "analysis", "playback", "render", "store"]
        }
        // A report folder may hold a clip per hotspot.
        "report" => &[
            "model", "format", "analysis", "playback", "render", "store", "clip",
        ],
        "cli" => &[
            "model", "format", "analysis", "playback", "render", "store", "report", "demo",
            "snapshot", "clip",
            // `sessionlens` without a command starts the app when it is built in.
            "ui",
        ],
        _ => &[
            "model", "format", "analysis", "playback", "render", "store", "report", "demo",
            "snapshot", "clip", "cli",
        ],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::NAME` module names in `code`, before any `#[cfg(test)]`.
fn named_modules(code: &str) -> BTreeSet<String> {
    named_after(code, "crate::")
}

/// The names following `prefix` (`crate::`, or `use ` for outside crates) in the code of `code`
/// before any `#[cfg(test)]`, comments left out.
fn named_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let production = code.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for line in production.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every source file but `tests.rs` ones: its path from the crate root, its top-level module
/// (`lib` and `main` for those files) and its text, in path order.
fn production_files() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|file| {
            let relative = file
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if relative.ends_with("/tests.rs") {
                return None;
            }
            let module = relative
                .strip_prefix("src/")
                .and_then(|r| r.split(['/', '.']).next())
                .unwrap_or("")
                .to_owned();
            Some((relative, module, std::fs::read_to_string(file).unwrap()))
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let mut breaks = BTreeSet::new();
    for (relative, module, code) in production_files() {
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let module = module.as_str();
        for named in named_modules(&code) {
            if named != module && !allowed(module).contains(&named.as_str()) {
                breaks.insert((relative.clone(), named));
            }
        }
    }
    assert!(
        breaks.is_empty(),
        "modules used against the layer order (docs/ARCHITECTURE.md): {breaks:?}"
    );
}

/// Outside crates only one layer may name: SQLite belongs to `store` (the backend trait keeps it
/// there), the GUI toolkit to `ui`.
#[test]
fn sqlite_stays_in_the_store_and_egui_in_the_ui() {
    let owner = |krate: &str| match krate {
        "rusqlite" => Some("store"),
        "egui" | "eframe" | "egui_plot" | "egui_extras" | "rfd" => Some("ui"),
        _ => None,
    };
    let mut breaks = BTreeSet::new();
    for (relative, module, code) in production_files() {
        let mut named = named_after(&code, "use ");
        for krate in [
            "rusqlite",
            "egui",
            "eframe",
            "egui_plot",
            "egui_extras",
            "rfd",
        ] {
            named.extend(
                named_after(&code, &format!("{krate}::"))
                    .into_iter()
                    .map(|_| krate.to_owned()),
            );
        }
        for krate in named {
            if let Some(owner) = owner(&krate)
                && owner != module
            {
                breaks.insert((relative.clone(), krate));
            }
        }
    }
    assert!(
        breaks.is_empty(),
        "outside crates used outside their layer: {breaks:?}"
    );
}

#[test]
fn the_check_sees_a_break() {
    let code =
        "use crate::store::Library;\n// crate::ui in a comment\n#[cfg(test)]\nuse crate::demo;";
    let named = named_modules(code);
    assert!(named.contains("store"));
    assert!(!named.contains("ui"));
    assert!(!named.contains("demo"));
    assert!(!allowed("analysis").contains(&"store"));
    assert!(!allowed("format").contains(&"analysis"));
    assert!(!allowed("report").contains(&"demo"));
    let sql = "use rusqlite::params;\nlet n = rusqlite::Connection::open(p);";
    assert!(named_after(sql, "use ").contains("rusqlite"));
    assert!(!named_after(sql, "rusqlite::").is_empty());
}
