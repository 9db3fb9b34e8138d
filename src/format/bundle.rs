//! `.slbundle` bundles: many sessions plus the page screenshots they reference, as a zip file or
//! a folder with the same layout:
//!
//! ```text
//! manifest.json                  {"format":"sessionlens-bundle","version":"1.0",
//!                                 "sessions":["sessions/<id>.session.json", …],
//!                                 "screenshots":[{"hash":…,"url":…,"layout_width":1440}]}
//! sessions/<id>.session.json     native session files (may be .session.json.gz)
//! screenshots/<sha256>.png       PNGs named by the SHA-256 of their bytes
//! ```
//!
//! Entries are only ever looked up by the names the manifest lists, after checking that they are
//! plain relative paths; nothing is extracted to disk.

use std::io::{Read, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{
    FormatError, Loaded, ReadOptions, ScreenshotBlob, hash, load_bundle_entry, read_limited,
};
use crate::model::Session;

/// The `format` value of a bundle manifest.
pub const FORMAT_TAG: &str = "sessionlens-bundle";
const MANIFEST: &str = "manifest.json";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: String,
    #[serde(default)]
    sessions: Vec<String>,
    #[serde(default)]
    screenshots: Vec<ManifestScreenshot>,
}

#[derive(Serialize, Deserialize)]
struct ManifestScreenshot {
    hash: String,
    url: String,
    layout_width: u32,
}

fn bundle_error(file: &str, entry: &str, message: impl Into<String>) -> FormatError {
    FormatError::Bundle {
        file: file.to_owned(),
        entry: entry.to_owned(),
        message: message.into(),
    }
}

/// Accepts only plain relative paths: no `..`, no absolute paths, no backslashes, no drive letters.
fn check_entry_name(file: &str, name: &str) -> Result<(), FormatError> {
    let unsafe_name = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains(':')
        || name.contains('\0')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if unsafe_name {
        return Err(bundle_error(
            file,
            name,
            "unsafe entry path (absolute, `..` or empty parts): refused",
        ));
    }
    Ok(())
}

fn parse_manifest(file: &str, bytes: &[u8]) -> Result<Manifest, FormatError> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| FormatError::Json {
        file: format!("{file}/{MANIFEST}"),
        path: ".".to_owned(),
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    if manifest.format != FORMAT_TAG {
        return Err(bundle_error(
            file,
            MANIFEST,
            format!(
                "expected format \"{FORMAT_TAG}\", found {:?}",
                manifest.format
            ),
        ));
    }
    if manifest.version.split('.').next() != Some("1") {
        return Err(FormatError::NewerVersion {
            file: file.to_owned(),
            found: manifest.version,
            supported: 1,
        });
    }
    for name in &manifest.sessions {
        check_entry_name(file, name)?;
    }
    for shot in &manifest.screenshots {
        if !hash::is_sha256_hex(&shot.hash) {
            return Err(bundle_error(
                file,
                MANIFEST,
                format!(
                    "screenshot hash {:?} is not a SHA-256 hex string",
                    shot.hash
                ),
            ));
        }
    }
    Ok(manifest)
}

/// Reads every session and screenshot of a bundle through `fetch(entry_name)`.
fn read_entries(
    file: &str,
    options: &ReadOptions,
    mut fetch: impl FnMut(&str) -> Result<Vec<u8>, FormatError>,
) -> Result<Loaded, FormatError> {
    let manifest = parse_manifest(file, &fetch(MANIFEST)?)?;
    let mut loaded = Loaded::default();
    for name in &manifest.sessions {
        let bytes = fetch(name)?;
        let inner = load_bundle_entry(bytes, &format!("{file}/{name}"), options)?;
        loaded.sessions.extend(inner.sessions);
        loaded.warnings.merge(inner.warnings);
    }
    for shot in manifest.screenshots {
        let name = format!("screenshots/{}.png", shot.hash);
        let png = fetch(&name)?;
        if hash::sha256_hex(&png) != shot.hash {
            return Err(bundle_error(
                file,
                &name,
                "content does not match its SHA-256 name",
            ));
        }
        // Refuse a PNG bomb here, naming the bundle and the entry, before anything is stored.
        super::png_dimensions_within(
            &png,
            &format!("{file}/{name}"),
            options.limits.max_image_pixels,
        )?;
        loaded.screenshots.push(ScreenshotBlob {
            hash: shot.hash,
            url: shot.url,
            layout_width: shot.layout_width,
            png,
        });
    }
    Ok(loaded)
}

/// Reads a zip bundle.
pub fn read_bundle_zip(
    reader: impl Read + Seek,
    file: &str,
    options: &ReadOptions,
) -> Result<Loaded, FormatError> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| bundle_error(file, "(zip)", e.to_string()))?;
    let max = options.limits.max_inflated_bytes;
    read_entries(file, options, |name| {
        let entry = archive
            .by_name(name)
            .map_err(|e| bundle_error(file, name, format!("cannot open entry: {e}")))?;
        read_limited(entry, max, &format!("{file}/{name}"))
    })
}

/// Reads a bundle folder. Symbolic links inside it are refused.
pub fn read_bundle_dir(dir: &Path, options: &ReadOptions) -> Result<Loaded, FormatError> {
    let file = dir.display().to_string();
    if !dir.join(MANIFEST).exists() {
        return Err(FormatError::Unsupported {
            file,
            message:
                "a folder without manifest.json is not a bundle (import it as a folder instead)"
                    .to_owned(),
        });
    }
    let max = options.limits.max_inflated_bytes;
    read_entries(&file, options, |name| {
        check_entry_name(&file, name)?;
        let path = dir.join(name);
        let meta = std::fs::symlink_metadata(&path).map_err(|error| FormatError::Io {
            file: format!("{file}/{name}"),
            error,
        })?;
        if meta.file_type().is_symlink() || !meta.is_file() {
            return Err(bundle_error(
                &file,
                name,
                "not a regular file (symbolic links are refused)",
            ));
        }
        let f = std::fs::File::open(&path).map_err(|error| FormatError::Io {
            file: format!("{file}/{name}"),
            error,
        })?;
        read_limited(f, max, &format!("{file}/{name}"))
    })
}

/// Writes a zip bundle holding `sessions` and `screenshots`.
pub fn write_bundle_zip(
    writer: impl Write + Seek,
    sessions: &[Session],
    screenshots: &[ScreenshotBlob],
) -> Result<(), std::io::Error> {
    let mut zip = zip::ZipWriter::new(writer);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut manifest = Manifest {
        format: FORMAT_TAG.to_owned(),
        version: "1.0".to_owned(),
        sessions: Vec::new(),
        screenshots: Vec::new(),
    };
    for (i, session) in sessions.iter().enumerate() {
        let safe_id: String = session
            .session_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        let name = format!("sessions/{i:05}-{safe_id}.session.json");
        zip.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        super::native::write_session(&mut zip, session).map_err(std::io::Error::other)?;
        manifest.sessions.push(name);
    }
    let mut written = std::collections::BTreeSet::new();
    for shot in screenshots {
        if written.insert(shot.hash.clone()) {
            zip.start_file(format!("screenshots/{}.png", shot.hash), stored)
                .map_err(std::io::Error::other)?;
            zip.write_all(&shot.png)?;
        }
        manifest.screenshots.push(ManifestScreenshot {
            hash: shot.hash.clone(),
            url: shot.url.clone(),
            layout_width: shot.layout_width,
        });
    }
    zip.start_file(MANIFEST, options)
        .map_err(std::io::Error::other)?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(std::io::Error::other)?;
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::native;

    fn sample_session(id: &str) -> Session {
        let text = format!(
            r#"{{"format":"sessionlens-session","version":"1.0","session_id":"{id}","started_at_ms":1000,"duration_ms":10,
            "pages":[{{"url":"https://a.test/","entered_ms":0,"left_ms":10,"viewport_width":390,"viewport_height":800}}],
            "events":[[5,"c",1,2,1,2,-1,2]]}}"#
        );
        native::read_session_slice(text.as_bytes(), "x", &crate::model::Limits::default())
            .unwrap()
            .0
    }

    /// A real `width` x 2 px PNG (bundles check each screenshot's header).
    fn tiny_png(width: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbaImage::new(width, 2)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn zip_round_trip_with_screenshots() {
        let png = tiny_png(3);
        let shot = ScreenshotBlob {
            hash: hash::sha256_hex(&png),
            url: "https://a.test/".to_owned(),
            layout_width: 390,
            png,
        };
        let sessions = vec![sample_session("a"), sample_session("b/../c")];
        let mut bytes = std::io::Cursor::new(Vec::new());
        write_bundle_zip(&mut bytes, &sessions, std::slice::from_ref(&shot)).unwrap();
        let loaded =
            crate::format::load_bytes(bytes.into_inner(), "t.slbundle", &ReadOptions::default())
                .unwrap();
        assert_eq!(loaded.sessions, sessions);
        assert_eq!(loaded.screenshots, vec![shot]);
        assert_eq!(loaded.sessions[0].device, crate::model::DeviceClass::Mobile);
    }

    #[test]
    fn refuses_unsafe_entry_names() {
        for bad in [
            "../x.session.json",
            "/etc/passwd",
            "a/../../b",
            "C:\\x",
            "a//b",
            "",
        ] {
            assert!(check_entry_name("b", bad).is_err(), "{bad}");
        }
        assert!(check_entry_name("b", "sessions/0001-a.session.json").is_ok());
    }

    #[test]
    fn folder_bundle_reads_and_refuses_symlinks() {
        let png = tiny_png(5);
        let hash = hash::sha256_hex(&png);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("shop.slbundle");
        std::fs::create_dir_all(root.join("sessions")).unwrap();
        std::fs::create_dir_all(root.join("screenshots")).unwrap();
        let mut bytes = Vec::new();
        native::write_session(&mut bytes, &sample_session("f")).unwrap();
        std::fs::write(root.join("sessions/f.session.json"), &bytes).unwrap();
        std::fs::write(root.join(format!("screenshots/{hash}.png")), &png).unwrap();
        let manifest = format!(
            r#"{{"format":"sessionlens-bundle","version":"1.0","sessions":["sessions/f.session.json"],
               "screenshots":[{{"hash":"{hash}","url":"https://a.test/","layout_width":390}}]}}"#
        );
        std::fs::write(root.join("manifest.json"), manifest).unwrap();
        let loaded = crate::format::load_path(&root, &ReadOptions::default()).unwrap();
        assert_eq!(loaded.sessions.len(), 1);
        assert_eq!(loaded.screenshots[0].png, png);

        // A session entry that is a symbolic link (here to a file outside the bundle) is refused.
        let outside = dir.path().join("outside.session.json");
        std::fs::write(&outside, &bytes).unwrap();
        std::fs::remove_file(root.join("sessions/f.session.json")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("sessions/f.session.json")).unwrap();
        let err = crate::format::load_path(&root, &ReadOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("symbolic links are refused"),
            "{err}"
        );

        // A tampered screenshot does not match its name.
        std::fs::remove_file(root.join("sessions/f.session.json")).unwrap();
        std::fs::write(root.join("sessions/f.session.json"), &bytes).unwrap();
        std::fs::write(
            root.join(format!("screenshots/{hash}.png")),
            b"\x89PNG other",
        )
        .unwrap();
        let err = crate::format::load_path(&root, &ReadOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("does not match its SHA-256 name"),
            "{err}"
        );
    }

    #[test]
    fn bundle_inside_a_bundle_is_refused() {
        // A zip quine lists itself as its own session; one level of nesting is enough to show
        // that the reader stops instead of recursing (plain and gzip-compressed).
        let mut inner = std::io::Cursor::new(Vec::new());
        write_bundle_zip(&mut inner, &[sample_session("in")], &[]).unwrap();
        let inner = inner.into_inner();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&inner).unwrap();
        for entry in [inner.clone(), gz.finish().unwrap()] {
            let mut bytes = std::io::Cursor::new(Vec::new());
            {
                let mut zip = zip::ZipWriter::new(&mut bytes);
                let o = zip::write::SimpleFileOptions::default();
                zip.start_file("sessions/a.session.json", o).unwrap();
                zip.write_all(&entry).unwrap();
                zip.start_file("manifest.json", o).unwrap();
                zip.write_all(br#"{"format":"sessionlens-bundle","version":"1.0","sessions":["sessions/a.session.json"]}"#).unwrap();
                zip.finish().unwrap();
            }
            let err = crate::format::load_bytes(
                bytes.into_inner(),
                "outer.slbundle",
                &ReadOptions::default(),
            )
            .unwrap_err();
            assert_eq!(
                err.to_string(),
                "outer.slbundle/sessions/a.session.json: a bundle inside a bundle is not supported"
            );
        }
        // The inner bundle alone still reads.
        let loaded =
            crate::format::load_bytes(inner, "in.slbundle", &ReadOptions::default()).unwrap();
        assert_eq!(loaded.sessions.len(), 1);
    }

    #[test]
    fn manifest_with_traversal_is_refused() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut bytes);
            let o = zip::write::SimpleFileOptions::default();
            zip.start_file("manifest.json", o).unwrap();
            zip.write_all(br#"{"format":"sessionlens-bundle","version":"1.0","sessions":["../../etc/passwd"]}"#).unwrap();
            zip.finish().unwrap();
        }
        let err =
            crate::format::load_bytes(bytes.into_inner(), "evil.slbundle", &ReadOptions::default())
                .unwrap_err();
        assert!(err.to_string().contains("unsafe entry path"), "{err}");
    }
}
