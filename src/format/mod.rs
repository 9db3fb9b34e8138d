//! Readers and writers over `Read`/`Write`: the native `.session.json` format and `.slbundle`
//! bundles, and the rrweb importer ([`rrweb`]). Every reader error names the file and the place
//! (JSON path, line and column).
//!
//! The format is specified in docs/FORMAT.md.
//!
//! Owns: bytes ⇄ model (reading, sniffing, writing, redaction). May use: `model` only.

pub mod bundle;
pub mod csv;
mod error;
pub mod hash;
pub mod native;
pub mod notes;
pub mod redact;
pub mod rrweb;
mod sniff;

pub use error::{FormatError, Warnings};
pub use sniff::{InputKind, is_posthog_capture, is_sentry_segment, read_limited, sniff_bytes};

use std::io::Read;
use std::path::Path;

use crate::model::{Limits, Session};

/// A page screenshot carried by a bundle or attached by the user: PNG bytes, content-addressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenshotBlob {
    /// Lower-case hex SHA-256 of `png`.
    pub hash: String,
    /// The page URL it shows (without fragment).
    pub url: String,
    /// The layout (viewport) width in CSS px the page was rendered at.
    pub layout_width: u32,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// Everything read from one input path.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The sessions, each validated against the limits.
    pub sessions: Vec<Session>,
    /// Screenshots that came with them (bundles).
    pub screenshots: Vec<ScreenshotBlob>,
    /// Recoverable problems: skipped unknown events and the like.
    pub warnings: Warnings,
}

/// Files at least this large are hashed on a thread of their own while they are parsed
/// ([`load_path_hashed`]); smaller ones are hashed first (a few microseconds, less than starting
/// a thread).
const HASH_ON_A_THREAD_ABOVE_BYTES: usize = 1 << 20;

/// JSON Lines files larger than this are read one group of sessions at a time
/// ([`load_path_in_pieces`]), JSON arrays as they stream ([`rrweb::stream`]); smaller files are
/// read whole.
pub const READ_IN_PIECES_ABOVE_BYTES: u64 = 64 << 20;

/// Options for reading inputs.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Files larger than this are read by [`load_path_in_pieces`] when they are JSON Lines, and
    /// as they stream ([`rrweb::stream`]) when they are a JSON array of objects (`None`:
    /// [`READ_IN_PIECES_ABOVE_BYTES`]).
    pub read_in_pieces_above_bytes: Option<u64>,
    /// Size, count and coordinate limits.
    pub limits: Limits,
    /// Keep typed values that a recording carried unmasked (off by default: only their length
    /// is kept). Values of sensitive fields (passwords, card numbers) are never kept.
    pub keep_typed_values: bool,
}

/// Drops typed input values unless the user opted in; always drops them for sensitive fields.
fn mask_typed_values(loaded: &mut Loaded, keep_typed_values: bool) {
    for session in &mut loaded.sessions {
        let sensitive: Vec<bool> = session
            .targets
            .iter()
            .map(crate::model::ElementDescriptor::is_sensitive_field)
            .collect();
        for event in &mut session.events {
            if let crate::model::EventKind::Input { target, value, .. } = &mut event.kind {
                let is_sensitive = target
                    .and_then(|t| sensitive.get(t as usize).copied())
                    .unwrap_or(false);
                if !keep_typed_values || is_sensitive {
                    *value = None;
                }
            }
        }
    }
}

/// Reads any supported input: a native session file (optionally gzip-compressed), or a bundle
/// (zip file or folder). The kind is detected from the content, not the file name.
pub fn load_path(path: &Path, options: &ReadOptions) -> Result<Loaded, FormatError> {
    load_path_hashed(path, options).map(|(loaded, _)| loaded)
}

/// [`load_path`], and the SHA-256 of the file's bytes as read (`None` for a folder): hashed on a
/// second thread while they are parsed, so an import records a file's hash without reading it
/// twice.
pub fn load_path_hashed(
    path: &Path,
    options: &ReadOptions,
) -> Result<(Loaded, Option<String>), FormatError> {
    let file_name = path.display().to_string();
    let metadata = std::fs::symlink_metadata(path).map_err(|error| FormatError::Io {
        file: file_name.clone(),
        error,
    })?;
    if metadata.is_dir() {
        let mut loaded = bundle::read_bundle_dir(path, options)?;
        mask_typed_values(&mut loaded, options.keep_typed_values);
        return Ok((loaded, None));
    }
    // A file larger than the limit is refused before a byte of it is read.
    if metadata.len() > options.limits.max_inflated_bytes {
        return Err(FormatError::TooLarge {
            file: file_name,
            what: format!("a file of {} bytes", metadata.len()),
            limit: format!("{} bytes", options.limits.max_inflated_bytes),
        });
    }
    let threshold = options
        .read_in_pieces_above_bytes
        .unwrap_or(READ_IN_PIECES_ABOVE_BYTES);
    if let Some(streamed) = load_streamed(path, &file_name, metadata.len(), threshold, options)? {
        return Ok(streamed);
    }
    let file = std::fs::File::open(path).map_err(|error| FormatError::Io {
        file: file_name.clone(),
        error,
    })?;
    let bytes = sniff::read_limited_sized(
        file,
        options.limits.max_inflated_bytes,
        &file_name,
        metadata.len(),
    )?;
    if bytes.len() < HASH_ON_A_THREAD_ABOVE_BYTES {
        let sha256 = hash::sha256_hex(&bytes);
        return load_slice(&bytes, &file_name, options).map(|loaded| (loaded, Some(sha256)));
    }
    std::thread::scope(|scope| {
        let hashing = std::thread::Builder::new()
            .name("import-hash".to_owned())
            .spawn_scoped(scope, || hash::sha256_hex(&bytes));
        let loaded = load_slice(&bytes, &file_name, options);
        // Without a thread (none could be started), the hash is taken here.
        let sha256 = match hashing {
            Ok(handle) => handle.join().ok(),
            Err(_) => Some(hash::sha256_hex(&bytes)),
        };
        loaded.map(|loaded| (loaded, sha256))
    })
}

/// A large rrweb recording read as it streams from the file ([`rrweb::stream`]): the file is
/// not held in memory. A gzip file is inflated into an unnamed temporary file as it is read
/// (the second pass takes the events' `data` back by their place: [`read_gzip_streamed`]).
/// `None` when the file is small, something else, or does not read that way: the caller reads
/// it whole.
fn load_streamed(
    path: &Path,
    file_name: &str,
    size: u64,
    threshold: u64,
    options: &ReadOptions,
) -> Result<Option<(Loaded, Option<String>)>, FormatError> {
    let io = |error| FormatError::Io {
        file: file_name.to_owned(),
        error,
    };
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .map_err(io)?
        .take(4096)
        .read_to_end(&mut head)
        .map_err(io)?;
    let streamed = if sniff_bytes(&head) == InputKind::Gzip {
        if size < GZIP_STREAMED_FROM_BYTES.min(threshold) {
            return Ok(None);
        }
        read_gzip_streamed(path, file_name, options)?
    } else if size > threshold {
        rrweb::stream::read_streamed(path, file_name, &options.limits, rrweb::stream::CHUNK_BYTES)?
    } else {
        None
    };
    Ok(streamed.map(|(sessions, warnings, sha256)| {
        let mut loaded = Loaded {
            sessions,
            screenshots: Vec::new(),
            warnings,
        };
        mask_typed_values(&mut loaded, options.keep_typed_values);
        (loaded, Some(sha256))
    }))
}

/// Gzip files at least this large (compressed) are read as they stream
/// ([`read_gzip_streamed`]); smaller ones are read whole (at rrweb JSON's usual compression of
/// 5 to 20 times, 4 MiB inflate to 20 to 80 MiB).
const GZIP_STREAMED_FROM_BYTES: u64 = 4 << 20;

/// A large gzip file read as it streams: inflated on the reader thread, which writes what it
/// inflates into an unnamed temporary file (in the system's temporary folder) as the first
/// pass walks it; the second pass reads the `data` objects back from that file. The SHA-256 is
/// of the compressed file. `None` when it is something else, gzip inside gzip, or does not
/// inflate or read: a whole read then gives the result or the error as it always did.
fn read_gzip_streamed(
    path: &Path,
    file_name: &str,
    options: &ReadOptions,
) -> Result<Option<(Vec<Session>, Warnings, String)>, FormatError> {
    let io = |error| FormatError::Io {
        file: file_name.to_owned(),
        error,
    };
    let open = || std::fs::File::open(path).map_err(io);
    let mut head = Vec::with_capacity(4096);
    if flate2::read::MultiGzDecoder::new(open()?)
        .take(4096)
        .read_to_end(&mut head)
        .is_err()
        || sniff_bytes(&head) == InputKind::Gzip
    {
        return Ok(None);
    }
    let Some(first_pass) = rrweb::stream::FirstPass::for_head(&head) else {
        return Ok(None);
    };
    // No temporary file to be had (a read-only or full temporary folder): read whole.
    let Some((temporary, data)) = tempfile::tempfile()
        .and_then(|t| t.try_clone().map(|data| (t, data)))
        .ok()
    else {
        return Ok(None);
    };
    let compressed_sha256 = std::sync::Arc::new(std::sync::OnceLock::new());
    let spill = Spill {
        decoder: flate2::read::MultiGzDecoder::new(hash::HashingReader::new(
            std::io::BufReader::with_capacity(1 << 20, open()?),
        )),
        out: temporary,
        sha256: std::sync::Arc::clone(&compressed_sha256),
    };
    // An error inflating or writing the temporary file: the whole read reports it, or reads
    // the file in memory after all.
    let Ok(streamed) = rrweb::stream::read_streamed_file(
        spill,
        data,
        first_pass,
        file_name,
        &options.limits,
        rrweb::stream::CHUNK_BYTES,
    ) else {
        return Ok(None);
    };
    Ok(streamed.and_then(|(sessions, warnings, _inflated_sha256)| {
        Some((sessions, warnings, compressed_sha256.get()?.clone()))
    }))
}

/// Inflates a gzip file, writing what it yields into `out` too; at the end, the compressed
/// bytes' SHA-256 goes to `sha256`.
struct Spill<R> {
    decoder: flate2::read::MultiGzDecoder<hash::HashingReader<R>>,
    out: std::fs::File,
    sha256: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl<R: Read> Read for Spill<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.decoder.read(buf)?;
        if n == 0 {
            let hashing = self.decoder.get_mut();
            // Whatever follows the last member (nothing, in a well-formed file) is hashed too.
            std::io::copy(hashing, &mut std::io::sink())?;
            let _ = self.sha256.set(hashing.hex_so_far());
        }
        std::io::Write::write_all(&mut self.out, buf.get(..n).unwrap_or_default())?;
        Ok(n)
    }
}

/// True when an import unit is one regular file large enough to be read by
/// [`load_path_in_pieces`].
#[must_use]
pub fn reads_in_pieces(paths: &[std::path::PathBuf], options: &ReadOptions) -> bool {
    let [path] = paths else { return false };
    let threshold = options
        .read_in_pieces_above_bytes
        .unwrap_or(READ_IN_PIECES_ABOVE_BYTES);
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > threshold)
}

/// Reads one file in pieces: JSON Lines (PostHog capture batches, exports of many sessions) one
/// group of sessions at a time, so memory holds one group, not the file, and the limit on input
/// size applies to each group's lines, not to the file; anything else whole, as one piece (see
/// [`load_path_hashed`]). Each piece goes to `on_piece` (false: stop, [`FormatError::Stopped`]).
/// The pieces are final only when this returns `Ok`, with the SHA-256 of the file; on an error a
/// file within the size limit is read again whole, for the error as [`load_path`] gives it.
pub fn load_path_in_pieces(
    path: &Path,
    options: &ReadOptions,
    on_piece: &mut (dyn FnMut(Loaded) -> bool + Send),
) -> Result<Option<String>, FormatError> {
    let file_name = path.display().to_string();
    let io = |error| FormatError::Io {
        file: file_name.clone(),
        error,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(4096);
    std::io::Read::by_ref(&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(io)?;
    std::io::Seek::rewind(&mut file).map_err(io)?;
    let by_lines = !is_sentry_segment(&head) && sniff_bytes(&head) == InputKind::OtherJson;
    let read = if by_lines {
        rrweb::read_json_lines_in_groups(
            &mut file,
            &file_name,
            &options.limits,
            &mut |sessions, warnings| {
                let mut loaded = Loaded {
                    sessions,
                    screenshots: Vec::new(),
                    warnings,
                };
                mask_typed_values(&mut loaded, options.keep_typed_values);
                on_piece(loaded)
            },
        )
    } else {
        Ok(None)
    };
    match read {
        Ok(Some(sha256)) => Ok(Some(sha256)),
        Ok(None) => {
            drop(file);
            let (loaded, sha256) = load_path_hashed(path, options)?;
            if on_piece(loaded) {
                Ok(sha256)
            } else {
                Err(FormatError::Stopped { file: file_name })
            }
        }
        Err(FormatError::Stopped { file }) => Err(FormatError::Stopped { file }),
        Err(e) if size <= options.limits.max_inflated_bytes => {
            drop(file);
            load_path_hashed(path, options).and(Err(e))
        }
        Err(e) => Err(e),
    }
}

/// Reads an import unit (see `store::collect_inputs`): one file or bundle folder, or the segment
/// files of one Sentry replay, joined in segment order into one session.
pub fn load_unit(
    paths: &[std::path::PathBuf],
    options: &ReadOptions,
) -> Result<Loaded, FormatError> {
    load_unit_hashed(paths, options).map(|(loaded, _)| loaded)
}

/// [`load_unit`], and the SHA-256 of a single file's bytes as read (see [`load_path_hashed`]);
/// `None` for a folder or a group of files.
pub fn load_unit_hashed(
    paths: &[std::path::PathBuf],
    options: &ReadOptions,
) -> Result<(Loaded, Option<String>), FormatError> {
    let [first, rest @ ..] = paths else {
        return Err(FormatError::Empty {
            file: "(no files)".to_owned(),
        });
    };
    if rest.is_empty() {
        return load_path_hashed(first, options);
    }
    let mut files = Vec::with_capacity(paths.len());
    let mut budget = options.limits.max_inflated_bytes;
    for path in paths {
        let file_name = path.display().to_string();
        let bytes = read_inflated(
            path,
            &crate::model::Limits {
                max_inflated_bytes: budget,
                ..options.limits
            },
        )?;
        budget = budget.saturating_sub(bytes.len() as u64);
        files.push((file_name, bytes));
    }
    // A dump of posthog-js capture bodies: read as one JSON Lines document, one body a line,
    // so the `$snapshot` events of one `$session_id` become one session whichever body they
    // came in.
    if files.iter().all(|(_, bytes)| !is_sentry_segment(bytes)) {
        let folder = first
            .parent()
            .map_or_else(|| first.display().to_string(), |f| f.display().to_string());
        let mut joined = Vec::with_capacity(files.iter().map(|(_, b)| b.len() + 1).sum());
        for (_, bytes) in &files {
            joined.extend_from_slice(bytes);
            joined.push(b'\n');
        }
        return load_bytes(joined, &folder, options).map(|loaded| (loaded, None));
    }
    let refs: Vec<&Path> = paths.iter().map(std::path::PathBuf::as_path).collect();
    let name = rrweb::sentry::replay_name(&refs);
    let (sessions, warnings) = rrweb::sentry::read_segments(&files, &name, &options.limits)?;
    let mut loaded = Loaded {
        sessions,
        screenshots: Vec::new(),
        warnings,
    };
    mask_typed_values(&mut loaded, options.keep_typed_values);
    Ok((loaded, None))
}

/// Reads a file whole, inflating it if it is gzip-compressed, within `limits` (for re-reading
/// an imported recording, as `sessionlens snapshot` does).
pub fn read_inflated(path: &Path, limits: &crate::model::Limits) -> Result<Vec<u8>, FormatError> {
    let file_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| FormatError::Io {
        file: file_name.clone(),
        error,
    })?;
    let bytes = read_limited(file, limits.max_inflated_bytes, &file_name)?;
    if sniff_bytes(&bytes) == InputKind::Gzip {
        return read_limited(
            flate2::read::MultiGzDecoder::new(&bytes[..]),
            limits.max_inflated_bytes,
            &file_name,
        );
    }
    Ok(bytes)
}

/// Reads an in-memory input of any supported kind (see [`load_path`]). Typed values are masked
/// unless `options.keep_typed_values`.
pub fn load_bytes(
    bytes: Vec<u8>,
    file_name: &str,
    options: &ReadOptions,
) -> Result<Loaded, FormatError> {
    load_slice(&bytes, file_name, options)
}

/// [`load_bytes`] over borrowed bytes.
fn load_slice(bytes: &[u8], file_name: &str, options: &ReadOptions) -> Result<Loaded, FormatError> {
    let mut loaded = load_bytes_unmasked(bytes, file_name, options, Nesting::TopLevel)?;
    mask_typed_values(&mut loaded, options.keep_typed_values);
    Ok(loaded)
}

/// Reads a session entry of a bundle: like [`load_bytes`], but a bundle inside the bundle is
/// refused (else a zip that lists itself as its own session, a zip quine, would recurse until
/// the stack overflows).
pub(crate) fn load_bundle_entry(
    bytes: Vec<u8>,
    file_name: &str,
    options: &ReadOptions,
) -> Result<Loaded, FormatError> {
    let mut loaded = load_bytes_unmasked(&bytes, file_name, options, Nesting::InBundle)?;
    mask_typed_values(&mut loaded, options.keep_typed_values);
    Ok(loaded)
}

/// Where an input is read: a top-level file, or a session entry of a bundle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nesting {
    TopLevel,
    InBundle,
}

fn load_bytes_unmasked(
    bytes: &[u8],
    file_name: &str,
    options: &ReadOptions,
    nesting: Nesting,
) -> Result<Loaded, FormatError> {
    if sniff::is_sentry_segment(bytes) {
        let name = rrweb::sentry::replay_name(&[Path::new(file_name)]);
        let files = [(file_name.to_owned(), bytes.to_vec())];
        let (sessions, warnings) = rrweb::sentry::read_segments(&files, &name, &options.limits)?;
        return Ok(Loaded {
            sessions,
            screenshots: Vec::new(),
            warnings,
        });
    }
    match sniff_bytes(bytes) {
        InputKind::Empty => Err(FormatError::Empty {
            file: file_name.to_owned(),
        }),
        InputKind::Gzip => {
            let inflated = read_limited(
                flate2::read::MultiGzDecoder::new(bytes),
                options.limits.max_inflated_bytes,
                file_name,
            )?;
            if sniff_bytes(&inflated) == InputKind::Gzip {
                return Err(FormatError::Unsupported {
                    file: file_name.to_owned(),
                    message: "gzip inside gzip is not supported".to_owned(),
                });
            }
            load_bytes_unmasked(&inflated, file_name, options, nesting)
        }
        InputKind::Zip if nesting == Nesting::InBundle => Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: "a bundle inside a bundle is not supported".to_owned(),
        }),
        InputKind::Zip => bundle::read_bundle_zip(std::io::Cursor::new(bytes), file_name, options),
        InputKind::NativeSession => {
            let (session, warnings) =
                native::read_session_slice(bytes, file_name, &options.limits)?;
            Ok(Loaded {
                sessions: vec![session],
                screenshots: Vec::new(),
                warnings,
            })
        }
        InputKind::OtherJson => read_rrweb_loaded(bytes, file_name, options),
        InputKind::Unknown if rrweb::looks_like_js_wrapper(bytes) => {
            read_rrweb_loaded(bytes, file_name, options)
        }
        InputKind::Unknown => Err(FormatError::Unsupported {
            file: file_name.to_owned(),
            message: "not a SessionLens session, bundle, gzip file or rrweb recording".to_owned(),
        }),
    }
}

/// Reads an rrweb recording (JSON, JSON Lines, PostHog export or JS wrapper) as [`Loaded`].
fn read_rrweb_loaded(
    bytes: &[u8],
    file_name: &str,
    options: &ReadOptions,
) -> Result<Loaded, FormatError> {
    let (sessions, warnings) = rrweb::read_rrweb(bytes, file_name, &options.limits)?;
    Ok(Loaded {
        sessions,
        screenshots: Vec::new(),
        warnings,
    })
}

/// Largest screenshot width accepted, px.
pub const MAX_SCREENSHOT_WIDTH_PX: u32 = 16_384;
/// Largest screenshot height accepted, px (pages of 20,000 px and more at DPR 2 fit).
pub const MAX_SCREENSHOT_HEIGHT_PX: u32 = 262_144;
/// Largest screenshot area accepted, px (1 GiB as RGBA).
pub const MAX_SCREENSHOT_PIXELS: u64 = 1 << 28;

/// Reads a PNG's dimensions from its header, refusing non-PNG data and images whose declared
/// size exceeds the screenshot limits (a "PNG bomb" is refused before any pixel is decoded).
pub fn png_dimensions(png: &[u8], file: &str) -> Result<(u32, u32), FormatError> {
    png_dimensions_within(png, file, MAX_SCREENSHOT_PIXELS)
}

/// [`png_dimensions`] with another pixel limit (`Limits::max_image_pixels`; never above
/// [`MAX_SCREENSHOT_PIXELS`]).
pub fn png_dimensions_within(
    png: &[u8],
    file: &str,
    max_pixels: u64,
) -> Result<(u32, u32), FormatError> {
    let max_pixels = max_pixels.min(MAX_SCREENSHOT_PIXELS);
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(FormatError::Unsupported {
            file: file.to_owned(),
            message: "not a PNG image".to_owned(),
        });
    }
    let (width, height) =
        image::ImageReader::with_format(std::io::Cursor::new(png), image::ImageFormat::Png)
            .into_dimensions()
            .map_err(|e| FormatError::Unsupported {
                file: file.to_owned(),
                message: format!("unreadable PNG: {e}"),
            })?;
    if width == 0 || height == 0 {
        return Err(FormatError::Unsupported {
            file: file.to_owned(),
            message: "PNG with zero width or height".to_owned(),
        });
    }
    if width > MAX_SCREENSHOT_WIDTH_PX
        || height > MAX_SCREENSHOT_HEIGHT_PX
        || u64::from(width) * u64::from(height) > max_pixels
    {
        return Err(FormatError::TooLarge {
            file: file.to_owned(),
            what: format!("a {width} x {height} px image"),
            limit: format!(
                "{MAX_SCREENSHOT_WIDTH_PX} x {MAX_SCREENSHOT_HEIGHT_PX} px and {max_pixels} pixels"
            ),
        });
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_VALUES: &str = r##"{"format":"sessionlens-session","version":"1.0","session_id":"v","started_at_ms":0,"duration_ms":10,
        "pages":[{"url":"https://a.test/","entered_ms":0,"left_ms":10}],
        "targets":[{"tag":"input","selector":"#email","name":"email"},{"tag":"input","selector":"#pw","input_type":"password"}],
        "events":[[1,"i",0,13,"ann@mail.test"],[2,"i",1,6,"secret"]]}"##;

    fn values(options: &ReadOptions) -> Vec<Option<String>> {
        let loaded =
            load_bytes(WITH_VALUES.as_bytes().to_vec(), "v.session.json", options).unwrap();
        loaded.sessions[0]
            .events
            .iter()
            .map(|e| match &e.kind {
                crate::model::EventKind::Input {
                    value, value_len, ..
                } => {
                    assert!(*value_len > 0);
                    value.clone()
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn typed_values_are_masked_unless_opted_in_and_never_for_passwords() {
        assert_eq!(values(&ReadOptions::default()), vec![None, None]);
        let keep = ReadOptions {
            keep_typed_values: true,
            ..ReadOptions::default()
        };
        assert_eq!(values(&keep), vec![Some("ann@mail.test".to_owned()), None]);
    }
}
