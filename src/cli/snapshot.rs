//! `sessionlens snapshot`: page screenshots from the recordings themselves.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use super::SnapshotArgs;
use crate::format::rrweb::html::{PageSnapshot, page_snapshots};
use crate::model::Limits;
use crate::render::chromium::{Chromium, ChromiumError, INSTALL_HINT};
use crate::render::{encode_png, placeholder};
use crate::store::Library;

/// Height of a placeholder when nothing says how long the page is, CSS px.
const DEFAULT_PLACEHOLDER_HEIGHT_PX: u32 = 2000;

/// A page to draw: URL and layout width, with what is known of it.
#[derive(Default)]
struct Wanted {
    /// Deepest viewport bottom any page view reached, CSS px.
    depth_px: f32,
    /// The rebuilt document, once a recording with its snapshot was read.
    snapshot: Option<PageSnapshot>,
}

pub fn run(library_path: &Path, args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let mut library = Library::open(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    let sources = library.snapshot_sources(args.session.as_deref())?;
    // Pages that already have a screenshot of their own (attached, bundled, sample) keep it;
    // without --force, pages with a snapshot or placeholder are skipped too.
    let have: BTreeMap<(String, u32), String> = library
        .screenshots()?
        .into_iter()
        .map(|s| ((s.url, s.layout_width), s.origin))
        .collect();
    let mut wanted: BTreeMap<(String, u32), Wanted> = BTreeMap::new();
    let mut files: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
    for (_, source_file, views) in &sources {
        for (url, width, depth) in views {
            if args.width.is_some_and(|w| w != *width) {
                continue;
            }
            let key = (url.clone(), *width);
            let keep = match have.get(&key).map(String::as_str) {
                None => true,
                Some("snapshot" | "placeholder") => args.force,
                Some(_) => false,
            };
            if !keep {
                continue;
            }
            let entry = wanted.entry(key.clone()).or_default();
            entry.depth_px = entry.depth_px.max(*depth);
            if let Some(file) = source_file {
                files.entry(file.clone()).or_default().push(key);
            }
        }
    }
    if wanted.is_empty() {
        outln!("every page already has a screenshot (use --force to render snapshots again)");
        return Ok(ExitCode::SUCCESS);
    }
    // Read each recording once, taking the first snapshot of every page still needed.
    let limits = Limits::default();
    let mut unreadable = 0;
    for (file, keys) in &files {
        if keys
            .iter()
            .all(|k| wanted.get(k).is_some_and(|w| w.snapshot.is_some()))
        {
            continue;
        }
        let snapshots = crate::format::read_inflated(Path::new(file), &limits)
            .and_then(|bytes| page_snapshots(&bytes, file));
        match snapshots {
            Ok(list) => {
                for snap in list {
                    if let Some(w) = wanted.get_mut(&(snap.url.clone(), snap.viewport_width))
                        && w.snapshot.is_none()
                    {
                        w.snapshot = Some(snap);
                    }
                }
            }
            Err(e) => {
                unreadable += 1;
                eprintln!("warning: {e:#}");
            }
        }
    }
    let chromium = if args.no_chromium {
        Err(ChromiumError::NotFound)
    } else {
        Chromium::find()
    };
    if let Err(e) = &chromium
        && !args.no_chromium
    {
        eprintln!("warning: {e}; drawing placeholders instead");
    }
    let (mut rendered, mut placeholders, mut failed) = (0, 0, 0);
    for ((url, width), page) in &wanted {
        let drawn = match (&chromium, &page.snapshot) {
            (Ok(chromium), Some(snap)) => match chromium.screenshot(&snap.html, *width) {
                Ok((png, height)) => Some((png, format!("Chromium, {width} x {height} px"))),
                Err(e) => {
                    failed += 1;
                    eprintln!("warning: {url} at {width} px: {e}");
                    None
                }
            },
            _ => None,
        };
        let (png, origin, what) = match drawn {
            Some((png, what)) => {
                rendered += 1;
                (png, "snapshot", what)
            }
            None => {
                let why = match (&chromium, &page.snapshot) {
                    (_, None) => "the recording has no DOM snapshot of this page".to_owned(),
                    (Err(_), _) if args.no_chromium => "--no-chromium".to_owned(),
                    (Err(_), _) => format!("Chromium not found: {INSTALL_HINT}"),
                    (Ok(_), Some(_)) => "Chromium failed on this page".to_owned(),
                };
                let height = if page.depth_px > 0.0 {
                    page.depth_px.ceil() as u32
                } else {
                    DEFAULT_PLACEHOLDER_HEIGHT_PX
                };
                let canvas = placeholder::page_canvas(
                    *width,
                    height,
                    url,
                    "No screenshot of this page: a grid every 100 px stands in for it",
                );
                placeholders += 1;
                (
                    encode_png(&canvas).context("encoding the placeholder")?,
                    "placeholder",
                    format!("placeholder, {width} x {height} px ({why})"),
                )
            }
        };
        library
            .add_screenshot(url, *width, png, origin)
            .with_context(|| format!("storing the screenshot of {url} at {width} px"))?;
        outln!("{url} at {width} px: {what}");
    }
    outln!(
        "{rendered} pages rendered with Chromium, {placeholders} placeholders, {failed} Chromium failures, {unreadable} unreadable recordings"
    );
    Ok(if failed > 0 || unreadable > 0 {
        ExitCode::from(super::exit_code::SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
