//! What several benches share: a library of simulated visitors (the demo shop's generator,
//! seed 1), built once into target/bench-data and reused while it is complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use sessionlens::demo::{GenerateOptions, fill_library};
use sessionlens::store::Library;

/// `target/bench-data/NAME`.
pub fn bench_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(name)
}

/// The library `target/bench-data/NAME` of `sessions` simulated sessions; built again when
/// `complete` says the stored one is not (another size, an older build's rows).
pub fn simulated_library(
    name: &str,
    sessions: usize,
    complete: impl Fn(&Library, &Path) -> bool,
) -> Library {
    let path = bench_data(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("bench dir");
    }
    if let Ok(library) = Library::open(&path)
        && library.num_sessions().unwrap_or(0) == sessions as u64
        && complete(&library, &path)
    {
        return library;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let mut library = Library::open(&path).expect("open");
    let options = GenerateOptions {
        sessions,
        seed: 1,
        ..GenerateOptions::default()
    };
    fill_library(
        &mut library,
        &options,
        &AtomicBool::new(false),
        &mut |_, _| {},
    )
    .expect("fill");
    library
}
