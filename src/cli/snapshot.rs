//! `sessionlens snapshot`: page screenshots from the recordings themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::SnapshotArgs;
use crate::format::rrweb::html::Recording;
use crate::model::Limits;
use crate::render::chromium::{Access, Chromium, ChromiumError, INSTALL_HINT};
use crate::render::{encode_png, placeholder};
use crate::snapshot::{
    PageMoment, entry_moment, format_offset, page_at_moment, read_recording, render_moment,
};
use crate::store::{Store, open_store};

/// Height of a placeholder when nothing says how long the page is, CSS px.
const DEFAULT_PLACEHOLDER_HEIGHT_PX: u32 = 2000;

/// A page to draw: URL and layout width, with what is known of it.
#[derive(Default)]
struct Wanted {
    /// Deepest viewport bottom any page view reached, CSS px.
    depth_px: f32,
    /// The page view's DOM at its entry, once a recording was read.
    moment: Option<PageMoment>,
}

/// What the render may load, from the command line.
fn access(args: &SnapshotArgs) -> Access {
    Access {
        assets_dir: args.assets.clone(),
        fetch: args.fetch_assets,
        hosts: args.asset_hosts.clone(),
    }
}

pub fn run(library_path: &Path, args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let mut library = open_store(library_path)
        .with_context(|| format!("opening the library {}", library_path.display()))?;
    if let Some(dir) = &args.assets
        && !dir.is_dir()
    {
        anyhow::bail!("--assets {}: not a folder", dir.display());
    }
    if args.fetch_assets {
        eprintln!(
            "note: --fetch-assets: Chromium may contact the recorded site{} over the network",
            if args.asset_hosts.is_empty() {
                String::new()
            } else {
                format!(" and {}", args.asset_hosts.join(", "))
            }
        );
    }
    if let (Some(offset_ms), Some(session_id)) = (args.at, args.session.as_deref()) {
        return run_at(&*library, session_id, offset_ms, args);
    }
    let sources = library.snapshot_sources(args.session.as_deref())?;
    // Pages that already have a screenshot of their own (attached, bundled, sample) keep it;
    // without --force, pages with a snapshot or placeholder are skipped too.
    let have: BTreeMap<(String, u32), String> = library
        .screenshots()?
        .into_iter()
        .map(|s| ((s.url, s.layout_width), s.origin))
        .collect();
    let mut wanted: BTreeMap<(String, u32), Wanted> = BTreeMap::new();
    for (_, _, views) in &sources {
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
            let entry = wanted.entry(key).or_default();
            entry.depth_px = entry.depth_px.max(*depth);
        }
    }
    if wanted.is_empty() {
        outln!("every page already has a screenshot (use --force to render snapshots again)");
        return Ok(ExitCode::SUCCESS);
    }
    // Sessions by recording file, then start time, then id (`Store::snapshot_sources`, the same
    // on every backend and whatever order the files were imported in): the first page view of
    // each page and width is the one drawn, from its DOM at its entry (the snapshot and the
    // mutations up to then). Each recording is read once while its sessions follow each other.
    let limits = Limits::default();
    let mut unreadable = 0;
    let mut last_file: Option<(String, Option<Recording>)> = None;
    for (session_id, source_file, views) in &sources {
        let Some(file) = source_file else {
            continue;
        };
        let needed = views.iter().any(|(url, width, _)| {
            wanted
                .get(&(url.clone(), *width))
                .is_some_and(|w| w.moment.is_none())
        });
        if !needed {
            continue;
        }
        if last_file.as_ref().is_none_or(|(f, _)| f != file) {
            let recording = match read_recording(file, &limits) {
                Ok(r) => Some(r),
                Err(e) => {
                    unreadable += 1;
                    eprintln!("warning: {e:#}");
                    None
                }
            };
            last_file = Some((file.clone(), recording));
        }
        let Some((_, Some(recording))) = &last_file else {
            continue;
        };
        let session = match library.load_session(session_id) {
            Ok(s) => s,
            Err(e) => {
                unreadable += 1;
                eprintln!("warning: session {session_id}: {e:#}");
                continue;
            }
        };
        for (page_index, page) in session.pages.iter().enumerate() {
            let key = (page.url_without_fragment().to_owned(), page.viewport.width);
            let Some(w) = wanted.get_mut(&key).filter(|w| w.moment.is_none()) else {
                continue;
            };
            let Some((at_ms, until_ms)) = entry_moment(&session, page_index) else {
                continue;
            };
            if let Some(dom) = recording.page_at(session_id, page.tab, at_ms, until_ms) {
                w.moment = Some(PageMoment {
                    session_id: session_id.clone(),
                    page_index,
                    page_url: page.url.clone(),
                    layout_width: page.viewport.width,
                    offset_ms: at_ms - session.started_at_ms,
                    session_started_ms: session.started_at_ms,
                    page: dom,
                });
            }
        }
    }
    drop(last_file);
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
    let access = access(args);
    let (mut rendered, mut placeholders, mut failed) = (0, 0, 0);
    for ((url, width), page) in &wanted {
        let drawn = match (&chromium, &page.moment) {
            (Ok(chromium), Some(moment)) => match render_moment(chromium, moment, &access) {
                Ok(r) => Some((
                    r.png,
                    format!(
                        "Chromium, {width} x {} px, DOM of {} at {} ({} changes after its snapshot){}",
                        r.height_px,
                        moment.session_id,
                        format_offset(moment.offset_ms),
                        moment.page.changes_applied,
                        served(r.assets_served, &access)
                    ),
                )),
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
                let why = match (&chromium, &page.moment) {
                    (_, None) => "the recording has no DOM snapshot of this page".to_owned(),
                    (Err(_), Some(moment)) if args.no_chromium => format!(
                        "--no-chromium; the DOM of {} at {} would be drawn",
                        moment.session_id,
                        format_offset(moment.offset_ms)
                    ),
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

/// ", N files from DIR" when an assets folder was given.
fn served(count: usize, access: &Access) -> String {
    access.assets_dir.as_ref().map_or_else(String::new, |dir| {
        format!(", {count} files from {}", dir.display())
    })
}

/// The default file of `snapshot SESSION --at`: `<session>-<mm>m<ss>s.png` (hours added for
/// long sessions), the session id's characters that are unsafe in file names replaced by `_`.
#[must_use]
pub fn default_moment_file(session_id: &str, offset_ms: i64) -> PathBuf {
    let safe: String = session_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    let s = offset_ms.max(0) / 1000;
    let time = if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}m{:02}s", s / 60, s % 60)
    };
    PathBuf::from(format!(
        "{}-{time}.png",
        if safe.is_empty() { "session" } else { safe }
    ))
}

/// `snapshot SESSION --at TIME [--out FILE.png]`.
fn run_at(
    library: &dyn Store,
    session_id: &str,
    offset_ms: i64,
    args: &SnapshotArgs,
) -> anyhow::Result<ExitCode> {
    let moment = page_at_moment(library, session_id, offset_ms)
        .with_context(|| format!("rebuilding {session_id} at {}", format_offset(offset_ms)))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_moment_file(session_id, offset_ms));
    let chromium = if args.no_chromium {
        Err(ChromiumError::NotFound)
    } else {
        Chromium::find()
    };
    let width = moment.layout_width;
    let (png, what) = match &chromium {
        Ok(chromium) => {
            let access = access(args);
            let r = render_moment(chromium, &moment, &access)
                .with_context(|| format!("rendering {} at {width} px", moment.page_url))?;
            (
                r.png,
                format!(
                    "Chromium, {width} x {} px{}",
                    r.height_px,
                    served(r.assets_served, &access)
                ),
            )
        }
        Err(e) => {
            if !args.no_chromium {
                eprintln!("warning: {e}; drawing a placeholder instead");
            }
            let height = DEFAULT_PLACEHOLDER_HEIGHT_PX;
            let canvas = placeholder::page_canvas(
                width,
                height,
                &moment.page_url,
                "Not rendered (no Chromium): a grid every 100 px stands in for the page",
            );
            (
                encode_png(&canvas).context("encoding the placeholder")?,
                format!("placeholder, {width} x {height} px"),
            )
        }
    };
    std::fs::write(&out, png).with_context(|| format!("writing {}", out.display()))?;
    outln!(
        "{}: {} at {} (page view {}, DOM from the snapshot at {} + {} changes), {what}",
        out.display(),
        moment.page_url,
        format_offset(moment.offset_ms),
        moment.page_index + 1,
        format_offset(moment.page.snapshot_ms - moment.session_started_ms),
        moment.page.changes_applied,
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_moment_file_names_the_session_and_time() {
        assert_eq!(
            default_moment_file("convert-mobile", 65_400),
            PathBuf::from("convert-mobile-01m05s.png")
        );
        assert_eq!(
            default_moment_file("../a b/c", 3_723_000),
            PathBuf::from("_a_b_c-1h02m03s.png")
        );
        assert_eq!(
            default_moment_file("", 0),
            PathBuf::from("session-00m00s.png")
        );
    }
}
