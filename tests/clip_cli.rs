//! `sessionlens clip` end to end: a constructed session over the demo shop's home page (a mouse
//! crossing the page, a scroll, a burst of clicks, 14 s of inactivity), written as a GIF and
//! decoded frame by frame; WebM and MP4 through ffmpeg when it is installed.
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Env {
    dir: tempfile::TempDir,
}

/// Rage-click colour of the replay (`render::replay::RAGE_RGB`).
const RAGE: [u8; 3] = [0xdc, 0x26, 0x26];
/// Dead-click colour (`render::replay::DEAD_RGB`).
const DEAD: [u8; 3] = [0x8b, 0x5c, 0xf6];
/// The progress bar (`render::replay::ACCENT_RGB`).
const ACCENT: [u8; 3] = [0x3b, 0x82, 0xf6];

/// One page view of the shop's home page at 1440 × 900 for 30 s: the mouse crosses from x 200
/// to x 1000 at y 300 in the first 4 s, the page scrolls to 600 between 4 and 4.5 s, four clicks
/// at page (700, 900) from 5 s to 5.45 s, moves until 6 s, nothing until 20 s (an inactive span
/// the replay jumps to 19 s), then moves until 22 s.
fn session_json() -> String {
    let mut events = Vec::new();
    for i in 0..=80 {
        let t = i * 50;
        events.push(format!("[{t},\"m\",{},300]", 200 + i * 10));
    }
    for i in 1..=6 {
        events.push(format!("[{},\"s\",0,{}]", 4000 + i * 100 - 100, i * 100));
    }
    for t in [5000, 5150, 5300, 5450] {
        events.push(format!("[{t},\"c\",700,900,700,300,-1]"));
    }
    for i in 0..10 {
        events.push(format!("[{},\"m\",{},{}]", 5500 + i * 50, 700 + i * 5, 900));
    }
    for i in 0..=40 {
        events.push(format!(
            "[{},\"m\",{},{}]",
            20_000 + i * 50,
            300 + i * 10,
            1000
        ));
    }
    format!(
        r#"{{"format":"sessionlens-session","version":"1.0","session_id":"clip-test",
        "started_at_ms":1793303558000,"duration_ms":30000,"device":"desktop",
        "pages":[{{"url":"http://shop.test/","entered_ms":0,"left_ms":30000,"doc_width":1440,
        "doc_height":2986,"viewport_width":1440,"viewport_height":900}}],
        "events":[{}]}}"#,
        events.join(",")
    )
}

impl Env {
    fn new() -> Self {
        let env = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let file = env.path("clip-test.session.json");
        std::fs::write(&file, session_json()).unwrap();
        env.ok(&["import", file.to_str().unwrap()]);
        let png = root().join("assets/demo-shop/screenshots/home-1440.png");
        env.ok(&[
            "screenshot",
            "add",
            "--url",
            "http://shop.test/",
            "--width",
            "1440",
            png.to_str().unwrap(),
        ]);
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sessionlens"));
        command
            .args(args)
            .env("SESSIONLENS_LIBRARY", self.path("library.sqlite"))
            .env_remove("RUST_LOG")
            .env_remove("SESSIONLENS_FFMPEG");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run_with(args, &[]);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A decoded GIF: its size and every frame composited over the ones before (RGBA).
struct Decoded {
    width: usize,
    height: usize,
    frames: Vec<Vec<u8>>,
    delays_cs: Vec<u16>,
}

fn decode_gif(path: &Path) -> Decoded {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(std::fs::File::open(path).unwrap())
        .unwrap();
    let (width, height) = (usize::from(decoder.width()), usize::from(decoder.height()));
    let mut canvas = vec![0u8; width * height * 4];
    let mut frames = Vec::new();
    let mut delays_cs = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        let (left, top) = (usize::from(frame.left), usize::from(frame.top));
        let fw = usize::from(frame.width);
        for (i, px) in frame.buffer.chunks_exact(4).enumerate() {
            if px[3] == 0 {
                continue;
            }
            let (x, y) = (left + i % fw, top + i / fw);
            let j = (y * width + x) * 4;
            canvas[j..j + 4].copy_from_slice(px);
        }
        frames.push(canvas.clone());
        delays_cs.push(frame.delay);
    }
    Decoded {
        width,
        height,
        frames,
        delays_cs,
    }
}

impl Decoded {
    fn rgb(&self, frame: usize, x: usize, y: usize) -> [u8; 3] {
        let j = (y * self.width + x) * 4;
        let p = &self.frames[frame][j..j + 3];
        [p[0], p[1], p[2]]
    }

    /// Pixels of the bottom row close to the progress bar's colour.
    fn progress_px(&self, frame: usize) -> usize {
        (0..self.width)
            .filter(|&x| near(self.rgb(frame, x, self.height - 2), ACCENT, 24))
            .count()
    }
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

fn dark(p: [u8; 3]) -> bool {
    p.iter().map(|c| u32::from(*c)).sum::<u32>() < 90
}

#[test]
fn a_gif_clip_plays_like_the_replay() {
    let env = Env::new();
    let out = env.path("clip.gif");
    let printed = env.ok(&[
        "clip",
        "clip-test",
        "--from",
        "00:00",
        "--to",
        "00:25",
        "--out",
        out.to_str().unwrap(),
        "--width",
        "720",
        "--fps",
        "10",
    ]);
    assert!(printed.contains("120 frames"), "{printed}");
    let gif = decode_gif(&out);
    // 720 px wide, the viewport's shape (450 px) and the 6 px progress bar.
    assert_eq!((gif.width, gif.height), (720, 456));
    // 25 s at 10 fps less the inactive span jumped (6 s to 19 s, landing 1 s before the next
    // move, as the replay does): 6 s + 6 s = 120 frames of 10 cs.
    assert_eq!(gif.frames.len(), 120);
    assert!(gif.delays_cs.iter().all(|d| *d == 10));

    // The cursor (black arrow, its body 3 px right and 9 px below its tip) follows the mouse:
    // page (200 + 200 t, 300) at scale 0.5.
    let body = |t_s: f32| ((100.0 + 100.0 * t_s) as usize + 3, 150 + 9);
    let (a, b) = (body(0.5), body(2.5));
    assert!(dark(gif.rgb(5, a.0, a.1)), "{:?}", gif.rgb(5, a.0, a.1));
    assert!(dark(gif.rgb(25, b.0, b.1)), "{:?}", gif.rgb(25, b.0, b.1));
    assert_ne!(
        gif.rgb(5, a.0, a.1),
        gif.rgb(25, a.0, a.1),
        "the cursor moved on"
    );
    assert_ne!(gif.rgb(5, b.0, b.1), gif.rgb(25, b.0, b.1));

    // The page scrolled by 600 px between 4 and 4.5 s: the view shows other pixels.
    let changed = (0..450)
        .flat_map(|y| (0..gif.width).map(move |x| (x, y)))
        .filter(|&(x, y)| gif.rgb(38, x, y) != gif.rgb(48, x, y))
        .count();
    assert!(
        changed > 720 * 450 / 3,
        "{changed} pixels of the view changed with the scroll"
    );

    // The burst of clicks at page (700, 900), view (350, 150) after the scroll, is drawn in the
    // colour of its signal (frame 55 = 5.5 s, 50 ms after the last click).
    // 4 px left of the centre: the click's disc, clear of the cursor's arrow.
    let ripple = gif.rgb(55, 346, 150);
    assert!(
        near(ripple, RAGE, 40) || near(ripple, DEAD, 40),
        "ripple pixel {ripple:?}"
    );

    // The progress bar grows.
    let progress: Vec<usize> = [0, 30, 60, 90, 119]
        .iter()
        .map(|&f| gif.progress_px(f))
        .collect();
    assert!(progress.windows(2).all(|w| w[0] < w[1]), "{progress:?}");
    assert!(progress[0] < 10 && progress[4] > 690, "{progress:?}");

    // Without skipping, the inactive span plays: 250 frames; a caption adds its strip.
    let out = env.path("all.gif");
    env.ok(&[
        "clip",
        "clip-test",
        "--from",
        "0",
        "--to",
        "25",
        "--out",
        out.to_str().unwrap(),
        "--width",
        "360",
        "--fps",
        "10",
        "--no-skip-inactivity",
        "--caption",
        "Rage on the hero",
    ]);
    let gif = decode_gif(&out);
    assert_eq!(gif.frames.len(), 250);
    assert_eq!((gif.width, gif.height), (360, 224 + 28 + 6));
}

#[test]
fn bad_requests_and_missing_ffmpeg_are_clear_errors() {
    let env = Env::new();
    let gif = env.path("x.gif");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--from", "00:10", "--to", "00:05"],
            "--to must come after --from",
        ),
        (&["--from", "01:00", "--to", "01:05"], "past the end"),
        (&["--from", "0", "--to", "5", "--fps", "0"], "--fps"),
        (&["--from", "0", "--to", "5", "--speed", "40"], "--speed"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["clip", "clip-test", "--out", gif.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = env.run_with(&args, &[]);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let out = env.run_with(
        &[
            "clip",
            "clip-test",
            "--from",
            "0",
            "--to",
            "2",
            "--out",
            "x.avi",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(".gif, .webm or .mp4"));
    let out = env.run_with(
        &[
            "clip",
            "nope",
            "--from",
            "0",
            "--to",
            "2",
            "--out",
            gif.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    // Without ffmpeg, WebM and MP4 say what to install; GIF still works.
    let mp4 = env.path("x.mp4");
    let out = env.run_with(
        &[
            "clip",
            "clip-test",
            "--from",
            "0",
            "--to",
            "2",
            "--out",
            mp4.to_str().unwrap(),
        ],
        &[("SESSIONLENS_FFMPEG", "/nonexistent/ffmpeg")],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("was not found") && stderr.contains("apt-get install ffmpeg"),
        "{stderr}"
    );
    assert!(!mp4.exists());
    let out = env.run_with(
        &[
            "clip",
            "clip-test",
            "--from",
            "0",
            "--to",
            "2",
            "--out",
            gif.to_str().unwrap(),
        ],
        &[("SESSIONLENS_FFMPEG", "/nonexistent/ffmpeg")],
    );
    assert!(out.status.success());
    assert_eq!(decode_gif(&gif).frames.len(), 30);
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn webm_and_mp4_clips_through_ffmpeg() {
    if !(have("ffmpeg") && have("ffprobe")) {
        assert!(
            std::env::var_os("SESSIONLENS_REQUIRE_FFMPEG").is_none(),
            "SESSIONLENS_REQUIRE_FFMPEG is set but ffmpeg or ffprobe is missing"
        );
        eprintln!("skipped: ffmpeg and ffprobe are not installed (apt-get install ffmpeg)");
        return;
    }
    let env = Env::new();
    for (name, codec) in [("clip.webm", "vp9"), ("clip.mp4", "h264")] {
        let out = env.path(name);
        env.ok(&[
            "clip",
            "clip-test",
            "--from",
            "00:00",
            "--to",
            "00:04",
            "--out",
            out.to_str().unwrap(),
            "--width",
            "640",
            "--fps",
            "15",
            "--caption",
            "",
        ]);
        let probe = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-count_frames",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=codec_name,width,height,nb_read_frames",
                "-of",
                "csv=p=0",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(probe.status.success(), "{name}");
        let text = String::from_utf8(probe.stdout).unwrap();
        // 640 x (400 view + 28 caption + 6 progress), 4 s at 15 fps.
        assert_eq!(text.trim(), format!("{codec},640,434,60"), "{name}");
    }
}
