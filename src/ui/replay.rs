//! The replay view: the stage (page screenshot with the visitor's viewport, cursor, trail and
//! clicks), the controls and timeline, and the side panel with the event list and notes.
//!
//! Everything drawn comes from [`FrameIndex::frame_at`] at the clock's time, so a frame costs
//! a few binary searches whatever the session's length. Panels only push [`Command`]s.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Align2, Color32, FontId, Key, Modifiers, Pos2, Rect, RichText, Sense, Stroke, Vec2};
use serde::{Deserialize, Serialize};

use super::app::{LoadedSession, ViewContext};
use super::command::Command;
use super::theme;
use crate::model::{EventKind, PagePos, time};
use crate::playback::{Frame, LoopMode, PlayState, PlaybackClock, PlaybackCommand, SPEEDS};
use crate::render::RgbaImage;

/// Event families listed in the event list, with their labels.
pub const EVENT_FAMILIES: [(&str, &str); 8] = [
    ("click", "Clicks"),
    ("input", "Input"),
    ("scroll", "Scrolls"),
    ("custom", "Custom"),
    ("error", "Errors"),
    ("resize", "Resizes"),
    ("move", "Moves"),
    ("dom", "DOM changes"),
];
/// Height of one row of the event list, points.
const EVENT_ROW_HEIGHT: f32 = 20.0;
/// Largest texture tile side, px (every GPU and software renderer takes 2048).
const TILE_PX: u32 = 2048;

/// A page screenshot decoded on the query thread.
#[derive(Debug)]
pub struct PageImage {
    /// Content hash (the texture cache key).
    pub hash: String,
    /// The layout width it was taken at, CSS px.
    pub layout_width: u32,
    /// The pixels.
    pub image: RgbaImage,
}

impl PageImage {
    /// Image pixels per CSS pixel.
    #[must_use]
    pub fn px_per_css(&self) -> f32 {
        self.image.width as f32 / self.layout_width.max(1) as f32
    }
}

/// What a page view is drawn over.
#[derive(Clone, Debug)]
pub enum Backdrop {
    /// The page's screenshot.
    Screenshot(Arc<PageImage>),
    /// The library has no screenshot of this page.
    Missing,
    /// The stored screenshot could not be decoded.
    Broken(String),
}

/// A render of a moment ("Render this moment"): the page view's DOM at that moment, drawn by
/// Chromium, shown instead of the page's stored screenshot until the reviewer goes back.
#[derive(Clone, Debug)]
pub struct MomentShot {
    /// The page view it shows.
    pub page_index: usize,
    /// The moment, ms from the session start.
    pub offset_ms: i64,
    /// DOM changes applied after the page's snapshot.
    pub changes_applied: usize,
    /// The picture.
    pub image: Arc<PageImage>,
}

/// How the stage shows the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageMode {
    /// Viewport-sized, following the recorded scroll ("what the visitor saw").
    #[default]
    Visitor,
    /// The whole page, zoomable and pannable, with the viewport drawn as a moving frame.
    WholePage,
}

/// Replay preferences kept between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplayPrefs {
    /// Stage mode.
    pub mode: StageMode,
    /// Draw the cursor trail.
    pub show_trail: bool,
    /// Trail length, ms.
    pub trail_ms: i64,
    /// Jump over inactive spans.
    pub skip_inactivity: bool,
    /// Playback speed.
    pub speed: f32,
    /// Event families hidden from the event list.
    pub hidden_families: Vec<String>,
}

impl Default for ReplayPrefs {
    fn default() -> Self {
        Self {
            mode: StageMode::Visitor,
            show_trail: true,
            trail_ms: crate::playback::DEFAULT_TRAIL_MS,
            skip_inactivity: true,
            speed: 1.0,
            hidden_families: vec!["move".to_owned(), "dom".to_owned()],
        }
    }
}

/// The replay of the open session.
pub struct ReplayState {
    /// The clock; changed only through [`Command::Playback`].
    pub clock: PlaybackClock,
    /// The `?` overlay is open.
    pub show_help: bool,
    /// The note being written.
    pub note_draft: String,
    /// Where a timeline drag started, epoch ms.
    drag_from_ms: Option<i64>,
    /// Event indices shown in the event list, for `rows_for`.
    event_rows: Vec<usize>,
    rows_for: Vec<String>,
    /// Whole-page zoom (1 = page width fits the stage).
    pub zoom: f32,
    /// Elements of the recorded clicks under the stage's last right-click, nearest first.
    stage_elements: Vec<crate::model::ElementDescriptor>,
    /// The render of a moment shown as its page view's backdrop.
    pub moment: Option<MomentShot>,
    /// A moment being rendered, ms from the session start.
    pub moment_pending: Option<i64>,
    /// "Render this moment" lets Chromium load the page's files from the site (off at start).
    pub render_fetch: bool,
}

impl ReplayState {
    /// A paused replay at the start of `session`.
    #[must_use]
    pub fn new(session: &LoadedSession, prefs: &ReplayPrefs) -> Self {
        let mut clock =
            PlaybackClock::new(session, crate::playback::DEFAULT_INACTIVITY_THRESHOLD_MS);
        clock.apply(PlaybackCommand::SetSkipInactivity(prefs.skip_inactivity));
        clock.apply(PlaybackCommand::SetSpeed(prefs.speed));
        Self {
            clock,
            show_help: false,
            note_draft: String::new(),
            drag_from_ms: None,
            event_rows: Vec::new(),
            rows_for: vec!["-".to_owned()],
            zoom: 1.0,
            stage_elements: Vec::new(),
            moment: None,
            moment_pending: None,
            render_fetch: false,
        }
    }

    /// Event indices the list shows under `hidden` families (recomputed only when they change).
    pub fn event_rows(&mut self, session: &LoadedSession, hidden: &[String]) -> &[usize] {
        if self.rows_for != hidden {
            self.event_rows = session
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| !hidden.iter().any(|h| h == e.kind.family()))
                .map(|(i, _)| i)
                .collect();
            self.rows_for = hidden.to_vec();
        }
        &self.event_rows
    }
}

/// Screenshot textures, uploaded once per screenshot and kept for the app's lifetime.
#[derive(Default)]
pub struct TextureCache {
    tiles: HashMap<String, Vec<Tile>>,
}

/// One uploaded piece of an image.
pub(super) struct Tile {
    /// The texture.
    pub(super) texture: egui::TextureHandle,
    /// First image column of the tile.
    pub(super) x0_px: u32,
    /// First image row of the tile.
    pub(super) y0_px: u32,
    /// Columns in the tile.
    pub(super) width_px: u32,
    /// Rows in the tile.
    pub(super) height_px: u32,
}

impl Tile {
    /// The tile's rectangle on screen, for an image whose top-left pixel is at `origin` and
    /// whose pixels are `scale` points wide.
    pub(super) fn rect(&self, origin: Pos2, scale: f32) -> Rect {
        Rect::from_min_size(
            origin + Vec2::new(self.x0_px as f32, self.y0_px as f32) * scale,
            Vec2::new(self.width_px as f32, self.height_px as f32) * scale,
        )
    }
}

/// Paints the tiles of an image whose top-left pixel is at `origin` and whose pixels are
/// `scale` points wide, skipping tiles outside the painter's clip.
pub(super) fn paint_tiles(painter: &egui::Painter, tiles: &[Tile], origin: Pos2, scale: f32) {
    for tile in tiles {
        let r = tile.rect(origin, scale);
        if painter.clip_rect().intersects(r) {
            painter.image(
                tile.texture.id(),
                r,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                egui::Color32::WHITE,
            );
        }
    }
}

impl TextureCache {
    /// Textures of `page`, uploading them in tiles on first use.
    fn tiles(&mut self, ctx: &egui::Context, page: &PageImage) -> &[Tile] {
        if !self.tiles.contains_key(&page.hash) {
            let tiles = upload_tiles(ctx, &format!("shot-{}", page.hash), &page.image);
            self.tiles.insert(page.hash.clone(), tiles);
        }
        self.tiles.get(&page.hash).map_or(&[], Vec::as_slice)
    }
}

/// Uploads `image` as textures of at most [`TILE_PX`] × [`TILE_PX`] px, so images of any size
/// draw (GPUs cap the side of a texture; a side-by-side comparison is wider than one).
pub(super) fn upload_tiles(ctx: &egui::Context, name: &str, image: &RgbaImage) -> Vec<Tile> {
    let row_bytes = image.width as usize * 4;
    let mut tiles = Vec::new();
    for y0 in (0..image.height).step_by(TILE_PX as usize) {
        let height = TILE_PX.min(image.height - y0);
        for x0 in (0..image.width).step_by(TILE_PX as usize) {
            let width = TILE_PX.min(image.width - x0);
            let mut bytes = Vec::with_capacity(width as usize * height as usize * 4);
            for y in y0..y0 + height {
                let start = y as usize * row_bytes + x0 as usize * 4;
                if let Some(row) = image.pixels.get(start..start + width as usize * 4) {
                    bytes.extend_from_slice(row);
                }
            }
            if bytes.len() != width as usize * height as usize * 4 {
                continue;
            }
            let color =
                egui::ColorImage::from_rgba_unmultiplied([width as usize, height as usize], &bytes);
            tiles.push(Tile {
                texture: ctx.load_texture(
                    format!("{name}-{x0}-{y0}"),
                    color,
                    // No mipmaps: with them llvmpipe played slower, not faster.
                    egui::TextureOptions::LINEAR,
                ),
                x0_px: x0,
                y0_px: y0,
                width_px: width,
                height_px: height,
            });
        }
    }
    tiles
}

/// Maps page CSS px to screen points.
#[derive(Clone, Copy, Debug)]
struct ScreenFromPage {
    /// Screen position of the page's origin.
    origin: Pos2,
    /// Points per CSS px.
    scale: f32,
}

impl ScreenFromPage {
    fn pos(self, p: PagePos) -> Pos2 {
        self.origin + Vec2::new(p.x, p.y) * self.scale
    }

    fn rect(self, x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect::from_min_size(self.pos(PagePos { x, y }), Vec2::new(w, h) * self.scale)
    }

    /// The same map for `render::replay` (view px = screen points).
    fn view(self) -> crate::render::replay::ViewFromPage {
        crate::render::replay::ViewFromPage {
            origin: crate::render::replay::ViewPx {
                x: self.origin.x,
                y: self.origin.y,
            },
            scale: self.scale,
        }
    }

    /// The page position under screen point `p`.
    fn page_pos(self, p: Pos2) -> PagePos {
        let v = (p - self.origin) / self.scale.max(1e-6);
        PagePos { x: v.x, y: v.y }
    }
}

/// Page CSS px around a right-click within which a recorded click counts as "here".
pub const ELEMENT_PICK_RADIUS_PX: f32 = 30.0;

/// The elements of the recorded clicks on page view `page_index` within `radius_px` of
/// `pos_in_page`, nearest click first, each element once, at most five.
#[must_use]
pub fn clicked_elements_near(
    session: &crate::model::Session,
    page_index: usize,
    pos_in_page: PagePos,
    radius_px: f32,
) -> Vec<crate::model::ElementDescriptor> {
    let mut near: Vec<(f32, u32)> = session
        .events
        .iter()
        .filter(|e| e.page as usize == page_index)
        .filter_map(|e| match &e.kind {
            EventKind::Click {
                pos_in_page: at,
                target: Some(t),
                ..
            } => {
                let d = (at.x - pos_in_page.x).hypot(at.y - pos_in_page.y);
                (d <= radius_px).then_some((d, *t))
            }
            _ => None,
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (_, t) in near {
        if seen.contains(&t) {
            continue;
        }
        seen.push(t);
        if let Some(element) = session.target(Some(t)) {
            out.push(element.clone());
        }
        if out.len() == 5 {
            break;
        }
    }
    out
}

/// The stage's right-click menu: define an event from the element of a recorded click there.
fn stage_element_menu(
    response: &egui::Response,
    map: ScreenFromPage,
    session: &crate::model::Session,
    page_index: usize,
    elements: &mut Vec<crate::model::ElementDescriptor>,
    render_fetch: bool,
    commands: &mut Vec<Command>,
) {
    if response.secondary_clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        *elements = clicked_elements_near(
            session,
            page_index,
            map.page_pos(p),
            ELEMENT_PICK_RADIUS_PX / map.scale.clamp(0.25, 1.0),
        );
    }
    response.context_menu(|ui| {
        if ui
            .button("Render this moment")
            .on_hover_text(RENDER_MOMENT_HINT)
            .clicked()
        {
            commands.push(Command::RenderMoment {
                fetch: render_fetch,
            });
            ui.close();
        }
        ui.separator();
        if elements.is_empty() {
            ui.label("No recorded click on a known element here.");
            return;
        }
        for element in elements.iter() {
            let text = if elements.len() == 1 {
                "Define event from this element…".to_owned()
            } else {
                format!("Define event from {}…", element.label())
            };
            if ui.button(text).clicked() {
                commands.push(Command::DefineFromElement(element.clone()));
                ui.close();
            }
        }
    });
}

/// `MM:SS.t` or `H:MM:SS` of elapsed ms.
#[must_use]
pub fn format_elapsed(ms: i64) -> String {
    let ms = ms.max(0);
    if ms >= 3_600_000 {
        time::format_duration(ms)
    } else {
        format!(
            "{:02}:{:02}.{}",
            ms / 60_000,
            ms % 60_000 / 1000,
            ms % 1000 / 100
        )
    }
}

/// Keyboard shortcuts, turned into commands (only when no text field has focus).
pub fn keyboard(app: &mut ViewContext<'_>, ui: &egui::Ui) {
    if ui.ctx().egui_wants_keyboard_input() || app.state.replay.is_none() {
        return;
    }
    let (Some(session), Some(replay)) = (&app.state.session, &app.state.replay) else {
        return;
    };
    let now = replay.clock.current_ms();
    let mut out = Vec::new();
    ui.ctx().input_mut(|i| {
        let mut pressed = |mods: Modifiers, key: Key| i.consume_key(mods, key);
        if pressed(Modifiers::NONE, Key::Space) {
            out.push(Command::Playback(PlaybackCommand::TogglePlay));
        }
        if pressed(Modifiers::SHIFT, Key::ArrowLeft) {
            if let Some(t) = session.frames.previous_notable(now) {
                out.push(Command::Playback(PlaybackCommand::Seek(t)));
            }
        } else if pressed(Modifiers::NONE, Key::ArrowLeft) {
            out.push(Command::Playback(PlaybackCommand::SeekBy(-5_000)));
        }
        if pressed(Modifiers::SHIFT, Key::ArrowRight) {
            if let Some(t) = session.frames.next_notable(now) {
                out.push(Command::Playback(PlaybackCommand::Seek(t)));
            }
        } else if pressed(Modifiers::NONE, Key::ArrowRight) {
            out.push(Command::Playback(PlaybackCommand::SeekBy(5_000)));
        }
        if pressed(Modifiers::NONE, Key::OpenBracket) {
            out.push(Command::Playback(PlaybackCommand::Slower));
        }
        if pressed(Modifiers::NONE, Key::CloseBracket) {
            out.push(Command::Playback(PlaybackCommand::Faster));
        }
        if pressed(Modifiers::NONE, Key::Home) {
            out.push(Command::Playback(PlaybackCommand::JumpToStart));
        }
        if pressed(Modifiers::NONE, Key::End) {
            out.push(Command::Playback(PlaybackCommand::JumpToEnd));
        }
        if pressed(Modifiers::NONE, Key::F) {
            out.push(Command::ToggleStageMode);
        }
        if pressed(Modifiers::NONE, Key::J) {
            out.push(Command::PreviousSignal);
        }
        if pressed(Modifiers::NONE, Key::K) {
            out.push(Command::NextSignal);
        }
        if pressed(Modifiers::SHIFT, Key::Questionmark)
            || pressed(Modifiers::NONE, Key::Questionmark)
        {
            out.push(Command::ToggleHelp);
        }
    });
    app.state.commands.extend(out);
}

/// The controls row and the timeline (bottom of the replay).
pub fn controls_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let (Some(session), Some(replay)) = (&app.state.session, &mut app.state.replay) else {
        return;
    };
    let clock = &replay.clock;
    let now = clock.current_ms();
    let mut out = Vec::new();
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        let playing = clock.state() == PlayState::Playing;
        if ui
            .add_sized(
                [64.0, 22.0],
                egui::Button::new(if playing { "Pause" } else { "Play" }),
            )
            .on_hover_text("Space")
            .clicked()
        {
            out.push(Command::Playback(PlaybackCommand::TogglePlay));
        }
        if ui
            .button("< Event")
            .on_hover_text("Previous click, page, input, error or custom event (Shift+Left)")
            .clicked()
            && let Some(t) = session.frames.previous_notable(now)
        {
            out.push(Command::Playback(PlaybackCommand::Seek(t)));
        }
        if ui
            .button("Event >")
            .on_hover_text("Next click, page, input, error or custom event (Shift+Right)")
            .clicked()
            && let Some(t) = session.frames.next_notable(now)
        {
            out.push(Command::Playback(PlaybackCommand::Seek(t)));
        }
        if ui
            .button("< Signal")
            .on_hover_text("Previous frustration signal (J)")
            .clicked()
        {
            out.push(Command::PreviousSignal);
        }
        if ui
            .button("Signal >")
            .on_hover_text("Next frustration signal (K)")
            .clicked()
        {
            out.push(Command::NextSignal);
        }
        ui.separator();
        ui.label(
            RichText::new(format!(
                "{} / {}",
                format_elapsed(clock.elapsed_ms()),
                format_elapsed(session.duration_ms)
            ))
            .monospace()
            .strong(),
        );
        let wall = time::format_utc(now);
        ui.label(
            RichText::new(format!(
                "{} UTC",
                wall.split_once(' ').map_or(wall.as_str(), |(_, t)| t)
            ))
            .monospace()
            .color(theme::MUTED),
        )
        .on_hover_text(format!("{wall} UTC, wall clock of the recording"));
        ui.separator();
        let speed = clock.speed();
        egui::ComboBox::from_id_salt("speed")
            .selected_text(format!("{speed}x"))
            .width(56.0)
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    if ui.selectable_label(s == speed, format!("{s}x")).clicked() {
                        out.push(Command::Playback(PlaybackCommand::SetSpeed(s)));
                    }
                }
            })
            .response
            .on_hover_text("Speed ([ and ])");
        let mut skip = clock.skip_inactivity();
        if ui
            .checkbox(&mut skip, "Skip inactivity")
            .on_hover_text(
                "Jump over gaps of more than 10 s without activity (grey on the timeline)",
            )
            .changed()
        {
            out.push(Command::Playback(PlaybackCommand::SetSkipInactivity(skip)));
        }
        let mut looping = clock.loop_mode() == LoopMode::Selection;
        if ui
            .checkbox(&mut looping, "Loop")
            .on_hover_text(
                "Loop over the selection (Shift+drag on the timeline), or the whole session",
            )
            .changed()
        {
            out.push(Command::Playback(PlaybackCommand::SetLoop(if looping {
                LoopMode::Selection
            } else {
                LoopMode::Off
            })));
        }
        if clock.selection().is_some() && ui.button("Clear selection").clicked() {
            out.push(Command::Playback(PlaybackCommand::SetSelection(None)));
        }
        let exporting = app.state.clip_export.is_some();
        if ui
            .add_enabled(!exporting, egui::Button::new("Export clip…"))
            .on_hover_text(
                "Save the selection (Shift+drag on the timeline), or the 4 s before and after \
                 this moment, as an animated GIF, WebM or MP4 (WebM and MP4 need ffmpeg); it is \
                 drawn in the background",
            )
            .clicked()
        {
            out.push(Command::ExportClip);
        }
        ui.separator();
        let mode = app.state.prefs.replay.mode;
        if ui
            .selectable_label(mode == StageMode::Visitor, "Visitor's view")
            .on_hover_text("What the visitor saw: the viewport, following the recorded scroll (F)")
            .clicked()
            && mode != StageMode::Visitor
        {
            out.push(Command::ToggleStageMode);
        }
        if ui
            .selectable_label(mode == StageMode::WholePage, "Whole page")
            .on_hover_text(
                "The whole page with the viewport as a moving frame; Ctrl+wheel zooms (F)",
            )
            .clicked()
            && mode != StageMode::WholePage
        {
            out.push(Command::ToggleStageMode);
        }
        let mut trail = app.state.prefs.replay.show_trail;
        let mut trail_ms = app.state.prefs.replay.trail_ms;
        ui.checkbox(&mut trail, "Trail");
        if trail {
            ui.spacing_mut().slider_width = 90.0;
            ui.add(
                egui::Slider::new(&mut trail_ms, 100..=3_000)
                    .suffix(" ms")
                    .logarithmic(true),
            )
            .on_hover_text("Trail length (rrweb draws 500 ms, Clarity 3000 ms)");
        }
        if trail != app.state.prefs.replay.show_trail || trail_ms != app.state.prefs.replay.trail_ms
        {
            out.push(Command::SetTrail {
                show: trail,
                trail_ms,
            });
        }
        if ui.button("?").on_hover_text("Keyboard shortcuts").clicked() {
            out.push(Command::ToggleHelp);
        }
        ui.separator();
        if replay.moment_pending.is_some() {
            ui.add(egui::Spinner::new());
        }
        if ui
            .add_enabled(
                replay.moment_pending.is_none(),
                egui::Button::new("Render this moment"),
            )
            .on_hover_text(RENDER_MOMENT_HINT)
            .clicked()
        {
            out.push(Command::RenderMoment {
                fetch: replay.render_fetch,
            });
        }
        let mut fetch = replay.render_fetch;
        if ui
            .checkbox(&mut fetch, "Load site files")
            .on_hover_text(RENDER_FETCH_HINT)
            .changed()
        {
            out.push(Command::SetRenderFetch(fetch));
        }
    });
    ui.add_space(2.0);
    timeline_ui(session, replay, &session.signals, ui, &mut out);
    ui.add_space(4.0);
    app.state.commands.extend(out);
}

/// A mark on the timeline from a frustration signal.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalMark {
    /// Start, epoch ms.
    pub start_ms: i64,
    /// End, epoch ms.
    pub end_ms: i64,
    /// Short label, e.g. "Rage click (5)".
    pub label: String,
    /// Colour, sRGB.
    pub color_rgb: [u8; 3],
}

fn timeline_ui(
    session: &LoadedSession,
    replay: &mut ReplayState,
    signals: &[SignalMark],
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let clock = &replay.clock;
    let height = 74.0;
    let (rect, response) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), height),
        Sense::click_and_drag(),
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Timeline"));
    let start = session.started_at_ms;
    let duration = session.duration_ms.max(1);
    let x_of = |t: i64| rect.left() + (t - start) as f32 / duration as f32 * rect.width();
    let t_of = |x: f32| {
        start + (((x - rect.left()) / rect.width()).clamp(0.0, 1.0) * duration as f32) as i64
    };
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);

    // Rows: pages (top), activity, markers (bottom).
    let pages_row = Rect::from_min_max(rect.min, Pos2::new(rect.right(), rect.top() + 16.0));
    let activity_row = Rect::from_min_max(
        Pos2::new(rect.left(), pages_row.bottom() + 2.0),
        Pos2::new(rect.right(), rect.bottom() - 22.0),
    );
    let marks_row = Rect::from_min_max(Pos2::new(rect.left(), rect.bottom() - 20.0), rect.max);

    for (i, &(from, to, page)) in session.page_spans.iter().enumerate() {
        let r = Rect::from_min_max(
            Pos2::new(x_of(from), pages_row.top()),
            Pos2::new(x_of(to).max(x_of(from) + 1.0), pages_row.bottom()),
        );
        let fill = if i % 2 == 0 {
            theme::PAGE_A
        } else {
            theme::PAGE_B
        };
        painter.rect_filled(r.shrink2(Vec2::new(0.5, 0.0)), 2.0, fill);
        if let Some(p) = session.pages.get(page) {
            let path = p.url.split_once("://").map_or(p.url.as_str(), |(_, rest)| {
                rest.find('/').map_or(rest, |i| &rest[i..])
            });
            painter.with_clip_rect(r.shrink(2.0)).text(
                r.left_center() + Vec2::new(4.0, 0.0),
                Align2::LEFT_CENTER,
                path,
                FontId::proportional(11.0),
                Color32::WHITE,
            );
        }
    }

    // Activity density.
    let max = session
        .activity
        .iter()
        .map(|b| b.moves + b.clicks + b.scrolls + b.inputs)
        .max()
        .unwrap_or(0)
        .max(1);
    for (i, b) in session.activity.iter().enumerate() {
        let total = b.moves + b.clicks + b.scrolls + b.inputs;
        if total == 0 {
            continue;
        }
        let t0 = start + i as i64 * session.bucket_ms;
        let h = (total as f32 / max as f32).sqrt() * activity_row.height();
        painter.rect_filled(
            Rect::from_min_max(
                Pos2::new(x_of(t0), activity_row.bottom() - h),
                Pos2::new(
                    x_of(t0 + session.bucket_ms).max(x_of(t0) + 1.0),
                    activity_row.bottom(),
                ),
            ),
            0.0,
            theme::ACTIVITY,
        );
    }

    // Inactive spans, greyed across the whole height (rrweb-player's #D4D4D4).
    for &(from, to) in clock.inactive_periods() {
        painter.rect_filled(
            Rect::from_min_max(
                Pos2::new(x_of(from), rect.top()),
                Pos2::new(x_of(to), rect.bottom()),
            ),
            0.0,
            theme::INACTIVE,
        );
    }

    // Selection.
    if let Some((a, b)) = clock.selection() {
        painter.rect_filled(
            Rect::from_min_max(
                Pos2::new(x_of(a), rect.top()),
                Pos2::new(x_of(b), rect.bottom()),
            ),
            0.0,
            theme::ACCENT.gamma_multiply(0.25),
        );
    }

    // Markers: clicks, errors, conversions, signals, notes.
    // Labels are borrowed: only the hovered ones are copied into the tooltip.
    let mut hover_items: Vec<(f32, std::borrow::Cow<'_, str>)> = Vec::new();
    let mid = marks_row.center().y;
    for &(t, kind, ref label) in &session.markers {
        let x = x_of(t);
        let color = match kind {
            MarkerKind::Click => theme::CLICK,
            MarkerKind::Error => theme::ERROR_MARK,
            MarkerKind::Conversion => theme::CONVERTED,
        };
        match kind {
            MarkerKind::Click => {
                painter.line_segment(
                    [Pos2::new(x, mid - 4.0), Pos2::new(x, mid + 4.0)],
                    Stroke::new(1.5, color),
                );
            }
            MarkerKind::Error => {
                painter.add(egui::Shape::convex_polygon(
                    vec![
                        Pos2::new(x, mid - 6.0),
                        Pos2::new(x + 5.0, mid + 4.0),
                        Pos2::new(x - 5.0, mid + 4.0),
                    ],
                    color,
                    Stroke::NONE,
                ));
            }
            MarkerKind::Conversion => {
                painter.add(egui::Shape::convex_polygon(
                    vec![
                        Pos2::new(x, mid - 6.0),
                        Pos2::new(x + 5.0, mid),
                        Pos2::new(x, mid + 6.0),
                        Pos2::new(x - 5.0, mid),
                    ],
                    color,
                    Stroke::NONE,
                ));
            }
        }
        hover_items.push((x, label.as_str().into()));
    }
    for s in signals {
        let r = Rect::from_min_max(
            Pos2::new(x_of(s.start_ms) - 2.0, activity_row.top()),
            Pos2::new(
                x_of(s.end_ms).max(x_of(s.start_ms)) + 2.0,
                activity_row.top() + 8.0,
            ),
        );
        let [red, green, blue] = s.color_rgb;
        painter.rect_filled(r, 2.0, Color32::from_rgb(red, green, blue));
        hover_items.push((r.center().x, s.label.as_str().into()));
    }
    for note in &session.notes {
        let x = x_of(note.timestamp_ms);
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            Stroke::new(1.0, theme::NOTE),
        );
        painter.add(egui::Shape::convex_polygon(
            vec![
                Pos2::new(x, rect.top()),
                Pos2::new(x + 9.0, rect.top() + 4.0),
                Pos2::new(x, rect.top() + 8.0),
            ],
            theme::NOTE,
            Stroke::NONE,
        ));
        hover_items.push((x, format!("Note: {}", note.text).into()));
    }

    // Playhead.
    let x = x_of(clock.current_ms());
    painter.line_segment(
        [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
        Stroke::new(2.0, theme::PLAYHEAD),
    );
    painter.circle_filled(Pos2::new(x, rect.top() + 3.0), 4.0, theme::PLAYHEAD);

    // Seek by click or drag; Shift+drag selects a range to loop.
    let shift = ui.input(|i| i.modifiers.shift);
    if let Some(pos) = response.interact_pointer_pos() {
        let t = t_of(pos.x);
        if response.drag_started() || (response.clicked() && replay.drag_from_ms.is_none()) {
            replay.drag_from_ms = Some(t);
        }
        if shift {
            if let Some(from) = replay.drag_from_ms
                && (response.dragged() || response.drag_stopped())
            {
                out.push(Command::Playback(PlaybackCommand::SetSelection(Some((
                    from, t,
                )))));
            }
        } else if response.clicked() || response.dragged() {
            out.push(Command::Playback(PlaybackCommand::Seek(t)));
        }
    }
    if response.drag_stopped() || response.clicked() {
        replay.drag_from_ms = None;
    }
    if let Some(pos) = response.hover_pos() {
        let t = t_of(pos.x);
        painter.line_segment(
            [
                Pos2::new(pos.x, rect.top()),
                Pos2::new(pos.x, rect.bottom()),
            ],
            Stroke::new(1.0, theme::MUTED),
        );
        let mut text = format!(
            "{}  ·  {} UTC",
            format_elapsed(t - start),
            time::format_utc(t)
        );
        if let Some(page) = session.frames.page_at(t).and_then(|p| session.pages.get(p)) {
            text.push('\n');
            text.push_str(&page.url);
        }
        let mut near: Vec<&(f32, std::borrow::Cow<'_, str>)> = hover_items
            .iter()
            .filter(|(x, _)| (x - pos.x).abs() <= 4.0)
            .collect();
        near.truncate(6);
        for (_, label) in near {
            text.push('\n');
            text.push_str(label);
        }
        response.on_hover_text_at_pointer(text);
    }
}

/// Timeline marker kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// A click or tap.
    Click,
    /// A JavaScript error.
    Error,
    /// A custom (conversion) event.
    Conversion,
}

/// Tooltip of "Render this moment".
const RENDER_MOMENT_HINT: &str = "Rebuild this page as it is at this moment (the recorded DOM \
     after every change up to now) and render it with Chromium in the background, without \
     network; it replaces the stage's screenshot for this page view until you go back";
/// Tooltip of the "Load site files" box.
const RENDER_FETCH_HINT: &str = "Let Chromium download the page's images, fonts and \
     stylesheets from the recorded site when rendering a moment. This CONTACTS THE SITE over \
     the network; off by default (and at every start), when no request leaves the machine";

/// The stage: screenshot, viewport, cursor, trail and clicks at the clock's time.
pub fn stage_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let (Some(session), Some(replay)) = (&app.state.session, &mut app.state.replay) else {
        return;
    };
    let prefs = &app.state.prefs.replay;
    let now = replay.clock.current_ms();
    let trail_ms = if prefs.show_trail { prefs.trail_ms } else { 0 };
    let frame = session.frames.frame_at(now, trail_ms);
    let Some(page_index) = frame.page else {
        ui.centered_and_justified(|ui| ui.label("This session has no page views to replay."));
        return;
    };
    let page = &session.pages[page_index];
    // A render of a moment of this page view stands in for its stored screenshot.
    let moment = replay
        .moment
        .as_ref()
        .filter(|m| m.page_index == page_index)
        .cloned();
    let backdrop = match &moment {
        Some(m) => Backdrop::Screenshot(Arc::clone(&m.image)),
        None => session
            .backdrops
            .get(page_index)
            .cloned()
            .unwrap_or(Backdrop::Missing),
    };
    let page_width = match &backdrop {
        Backdrop::Screenshot(img) => img.layout_width as f32,
        _ => frame.viewport.width.max(page.doc_size.width).max(320) as f32,
    };
    let page_height = session
        .page_heights
        .get(page_index)
        .copied()
        .unwrap_or(1000.0)
        .max(
            moment
                .as_ref()
                .map_or(0.0, |m| m.image.image.height as f32 / m.image.px_per_css()),
        );

    // Caption line.
    ui.horizontal(|ui| {
        ui.label(RichText::new(&page.url).strong());
        ui.label(
            RichText::new(format!(
                "page {} of {}  ·  viewport {} x {}  ·  scrolled {:.0} px",
                page_index + 1,
                session.pages.len(),
                frame.viewport.width,
                frame.viewport.height,
                frame.scroll.y
            ))
            .color(theme::MUTED),
        );
        if let Backdrop::Screenshot(img) = &backdrop
            && img.layout_width.abs_diff(frame.viewport.width) > frame.viewport.width / 10
        {
            ui.label(
                RichText::new(format!("screenshot taken at {} px", img.layout_width))
                    .color(theme::WARN),
            );
        }
    });
    if let Some(m) = &moment {
        // On its own line, so a long URL never pushes the way back out of sight.
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(
                    "render of {} ({} DOM changes after the snapshot)",
                    format_elapsed(m.offset_ms),
                    m.changes_applied
                ))
                .color(theme::ACCENT),
            )
            .on_hover_text("This page view's DOM at that moment, rendered with Chromium");
            if ui.small_button("Show stored screenshot").clicked() {
                app.state.commands.push(Command::ClearMomentRender);
            }
        });
    }
    let zoom_delta = ui.input(|i| i.zoom_delta());
    let stage_rect = ui.available_rect_before_wrap();
    let visitor_mode = app.state.prefs.replay.mode == StageMode::Visitor;
    // Right-click a recorded click to define an event from its element.
    let stage_response = ui.allocate_rect(
        stage_rect,
        if visitor_mode {
            Sense::click()
        } else {
            Sense::hover()
        },
    );
    let vw = frame.viewport.width.max(1) as f32;
    let vh = frame.viewport.height.max(1) as f32;
    match app.state.prefs.replay.mode {
        StageMode::Visitor => {
            let scale = (stage_rect.width() / vw)
                .min(stage_rect.height() / vh)
                .max(0.05);
            let view = Rect::from_center_size(stage_rect.center(), Vec2::new(vw, vh) * scale);
            let map = ScreenFromPage {
                origin: view.min - Vec2::new(frame.scroll.x, frame.scroll.y) * scale,
                scale,
            };
            let painter = ui.painter_at(view);
            // The page covers the stage unless the visitor scrolled past its edges; every pixel
            // drawn twice costs frame rate under software rendering.
            if !map
                .rect(0.0, 0.0, page_width, page_height)
                .contains_rect(view)
            {
                painter.rect_filled(view, 0.0, theme::STAGE_BG);
            }
            draw_page(
                ui.ctx(),
                &painter,
                app.textures,
                &backdrop,
                page,
                map,
                page_width,
                page_height,
            );
            draw_overlays(&painter, &frame, map, trail_ms);
            stage_element_menu(
                &stage_response,
                map,
                session,
                page_index,
                &mut replay.stage_elements,
                replay.render_fetch,
                &mut app.state.commands,
            );
            ui.painter().rect_stroke(
                view,
                0.0,
                Stroke::new(1.0, theme::MUTED),
                egui::StrokeKind::Outside,
            );
        }
        StageMode::WholePage => {
            if stage_rect.contains(ui.input(|i| i.pointer.hover_pos().unwrap_or_default()))
                && zoom_delta != 1.0
            {
                replay.zoom = (replay.zoom * zoom_delta).clamp(0.1, 8.0);
            }
            let fit = (stage_rect.width() - 16.0).max(50.0) / page_width;
            let scale = fit * replay.zoom;
            let content = Vec2::new(page_width, page_height) * scale;
            let playing = replay.clock.state() == PlayState::Playing;
            let mut child = ui.new_child(egui::UiBuilder::new().max_rect(stage_rect));
            egui::ScrollArea::both()
                .id_salt("whole_page")
                .auto_shrink([false, false])
                .show_viewport(&mut child, |ui, visible| {
                    let (rect, response) = ui.allocate_exact_size(content, Sense::click());
                    let map = ScreenFromPage {
                        origin: rect.min,
                        scale,
                    };
                    stage_element_menu(
                        &response,
                        map,
                        session,
                        page_index,
                        &mut replay.stage_elements,
                        replay.render_fetch,
                        &mut app.state.commands,
                    );
                    let painter = ui.painter_at(ui.clip_rect());
                    draw_page(
                        ui.ctx(),
                        &painter,
                        app.textures,
                        &backdrop,
                        page,
                        map,
                        page_width,
                        page_height,
                    );
                    let view = map.rect(frame.scroll.x, frame.scroll.y, vw, vh);
                    // Dim what the visitor did not see.
                    let dim = Color32::from_black_alpha(90);
                    let page_rect = map.rect(0.0, 0.0, page_width, page_height);
                    painter.rect_filled(
                        Rect::from_min_max(page_rect.min, Pos2::new(page_rect.right(), view.top())),
                        0.0,
                        dim,
                    );
                    painter.rect_filled(
                        Rect::from_min_max(
                            Pos2::new(page_rect.left(), view.bottom()),
                            page_rect.max,
                        ),
                        0.0,
                        dim,
                    );
                    painter.rect_stroke(
                        view,
                        2.0,
                        Stroke::new(2.0, theme::ACCENT),
                        egui::StrokeKind::Outside,
                    );
                    draw_overlays(&painter, &frame, map, trail_ms);
                    // While playing, keep the visitor's viewport in sight.
                    let visible_on_screen = visible.translate(rect.min.to_vec2());
                    if playing && !visible_on_screen.intersects(view) {
                        ui.scroll_to_rect(view, Some(egui::Align::Center));
                    }
                });
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one drawing step with its inputs"
)]
fn draw_page(
    ctx: &egui::Context,
    painter: &egui::Painter,
    textures: &mut TextureCache,
    backdrop: &Backdrop,
    page: &crate::model::PageView,
    map: ScreenFromPage,
    page_width: f32,
    page_height: f32,
) {
    let page_rect = map.rect(0.0, 0.0, page_width, page_height);
    match backdrop {
        Backdrop::Screenshot(img) => {
            let per_css = img.px_per_css();
            for tile in textures.tiles(ctx, img) {
                let r = tile.rect(map.pos(PagePos { x: 0.0, y: 0.0 }), map.scale / per_css);
                if painter.clip_rect().intersects(r) {
                    painter.image(
                        tile.texture.id(),
                        r,
                        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
            }
            let shot_bottom = map.pos(PagePos {
                x: 0.0,
                y: img.image.height as f32 / per_css,
            });
            if shot_bottom.y < page_rect.bottom() {
                let below =
                    Rect::from_min_max(Pos2::new(page_rect.left(), shot_bottom.y), page_rect.max);
                painter.rect_filled(below, 0.0, theme::NO_SHOT);
            }
        }
        Backdrop::Missing | Backdrop::Broken(_) => {
            painter.rect_filled(page_rect, 0.0, theme::NO_SHOT);
            let step = 100.0;
            let mut y = 0.0;
            while y < page_height {
                let a = map.pos(PagePos { x: 0.0, y });
                painter.line_segment(
                    [a, Pos2::new(page_rect.right(), a.y)],
                    Stroke::new(1.0, theme::GRID),
                );
                y += step;
            }
            let message = match backdrop {
                Backdrop::Broken(e) => {
                    format!("The screenshot of this page could not be read:\n{e}")
                }
                _ => format!(
                    "No screenshot of {}\nat {} px in the library.\nAdd one: sessionlens screenshot add URL FILE.png",
                    page.url, page.viewport.width
                ),
            };
            let clip = painter.clip_rect();
            painter.text(
                clip.center(),
                Align2::CENTER_CENTER,
                message,
                FontId::proportional(15.0),
                theme::MUTED,
            );
        }
    }
}

/// The cursor, trail and click ripples: the shapes of `render::replay::overlay` (the same list
/// a clip rasterises on the CPU), painted with egui.
fn draw_overlays(painter: &egui::Painter, frame: &Frame<'_>, map: ScreenFromPage, trail_ms: i64) {
    let shapes = crate::render::replay::overlay(frame, map.view(), trail_ms);
    paint_shapes(painter, &shapes);
}

/// Paints render shapes (view px = screen points) with egui's painter.
fn paint_shapes(painter: &egui::Painter, shapes: &[crate::render::replay::Shape]) {
    use crate::render::replay::{Shape, ViewPx};
    let pos = |p: ViewPx| Pos2::new(p.x, p.y);
    let color = |c: [u8; 4]| Color32::from_rgba_unmultiplied(c[0], c[1], c[2], c[3]);
    for shape in shapes {
        match shape {
            Shape::Disc {
                center,
                radius_px,
                rgba,
            } => {
                painter.circle_filled(pos(*center), *radius_px, color(*rgba));
            }
            Shape::Ring {
                center,
                radius_px,
                width_px,
                rgba,
            } => {
                painter.circle_stroke(
                    pos(*center),
                    *radius_px,
                    Stroke::new(*width_px, color(*rgba)),
                );
            }
            Shape::Polyline {
                points,
                width_px,
                rgba,
            } => {
                let stroke = Stroke::new(*width_px, color(*rgba));
                if let [a, b] = points.as_slice() {
                    painter.line_segment([pos(*a), pos(*b)], stroke);
                } else {
                    painter.add(egui::Shape::line(
                        points.iter().map(|p| pos(*p)).collect(),
                        stroke,
                    ));
                }
            }
            Shape::ClosedLine {
                points,
                width_px,
                rgba,
            } => {
                painter.add(egui::Shape::closed_line(
                    points.iter().map(|p| pos(*p)).collect(),
                    Stroke::new(*width_px, color(*rgba)),
                ));
            }
            Shape::ConvexPolygon { points, rgba } => {
                painter.add(egui::Shape::convex_polygon(
                    points.iter().map(|p| pos(*p)).collect(),
                    color(*rgba),
                    Stroke::NONE,
                ));
            }
            Shape::Rect { min, max, rgba } => {
                painter.rect_filled(Rect::from_min_max(pos(*min), pos(*max)), 0.0, color(*rgba));
            }
            Shape::Text {
                pos: at,
                text,
                size_px,
                rgba,
            } => {
                painter.text(
                    pos(*at),
                    Align2::LEFT_BOTTOM,
                    text,
                    FontId::proportional(*size_px),
                    color(*rgba),
                );
            }
        }
    }
}

/// The side panel: session facts, then the event list or the notes.
pub fn side_ui(app: &mut ViewContext<'_>, ui: &mut egui::Ui) {
    let (Some(session), Some(replay)) = (&app.state.session, &mut app.state.replay) else {
        return;
    };
    let mut out = Vec::new();
    ui.add_space(4.0);
    ui.heading(&session.session_id);
    let viewport = session.initial_viewport();
    egui::Grid::new("replay_meta")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            let row = |ui: &mut egui::Ui, k: &str, v: String| {
                ui.label(RichText::new(k).color(theme::MUTED));
                ui.label(v);
                ui.end_row();
            };
            row(
                ui,
                "Started",
                format!("{} UTC", time::format_utc(session.started_at_ms)),
            );
            row(ui, "Duration", time::format_duration(session.duration_ms));
            row(
                ui,
                "Device",
                format!(
                    "{} · {} x {}",
                    session.device, viewport.width, viewport.height
                ),
            );
            row(ui, "Source", session.source.channel().to_string());
            row(ui, "Pages", session.pages.len().to_string());
            let converted = match (session.converted, session.revenue) {
                (true, Some(r)) => format!("yes · {r:.2}"),
                (true, None) => "yes".to_owned(),
                (false, _) => "no".to_owned(),
            };
            row(ui, "Converted", converted);
        });
    let now = replay.clock.current_ms();
    let frame = session.frames.frame_at(now, 0);
    if !frame.fields.is_empty() {
        ui.add_space(4.0);
        let kept = frame
            .fields
            .iter()
            .any(|f| session.typed_value_at(f.target, f.changed_at_ms).is_some());
        let reveal = app.state.reveal_typed_values && kept;
        ui.horizontal(|ui| {
            let title = if reveal {
                "Form fields (typed values shown)"
            } else {
                "Form fields (values masked)"
            };
            ui.label(RichText::new(title).color(theme::MUTED));
            if kept {
                let mut on = app.state.reveal_typed_values;
                if ui
                    .checkbox(&mut on, "Reveal")
                    .on_hover_text(
                        "Show what the visitor typed, where the recording carried it and the \
                         library kept it (import --keep-typed-values). Passwords and card \
                         numbers are never kept.",
                    )
                    .changed()
                {
                    out.push(Command::SetRevealTypedValues(on));
                }
            }
        });
        for field in &frame.fields {
            let name = session
                .target(field.target)
                .map_or_else(|| "field".to_owned(), |t| t.label());
            let focus = if frame.focused.is_some() && frame.focused == field.target {
                "  (focused)"
            } else {
                ""
            };
            let value = match field.checked {
                Some(true) => "checked".to_owned(),
                Some(false) => "unchecked".to_owned(),
                None => match session
                    .typed_value_at(field.target, field.changed_at_ms)
                    .filter(|_| reveal)
                {
                    Some(text) => format!("\u{201c}{text}\u{201d}"),
                    None => "*".repeat(field.value_len.min(24) as usize),
                },
            };
            ui.label(format!("{name}: {value}{focus}"));
        }
    }
    ui.separator();
    let tab = app.state.side_tab;
    ui.horizontal(|ui| {
        for (t, label) in [
            (SideTab::Events, "Events"),
            (SideTab::Notes, "Notes"),
            (SideTab::Overview, "Overview"),
        ] {
            let text = if t == SideTab::Notes && !session.notes.is_empty() {
                format!("{label} ({})", session.notes.len())
            } else {
                label.to_owned()
            };
            if ui.selectable_label(tab == t, text).clicked() {
                out.push(Command::SetSideTab(t));
            }
        }
    });
    ui.separator();
    match tab {
        SideTab::Events => {
            let mut hidden = app.state.prefs.replay.hidden_families.clone();
            ui.horizontal_wrapped(|ui| {
                for (family, label) in EVENT_FAMILIES {
                    let mut shown = !hidden.iter().any(|h| h == family);
                    if ui.checkbox(&mut shown, label).changed() {
                        if shown {
                            hidden.retain(|h| h != family);
                        } else {
                            hidden.push(family.to_owned());
                        }
                    }
                }
            });
            if hidden != app.state.prefs.replay.hidden_families {
                out.push(Command::SetHiddenFamilies(hidden.clone()));
            }
            let playing = replay.clock.state() == PlayState::Playing;
            let rows = replay.event_rows(session, &app.state.prefs.replay.hidden_families);
            let current_event = session.frames.event_at(now);
            let current_row = current_event
                .map(|e| rows.partition_point(|&r| r <= e))
                .and_then(|n| n.checked_sub(1));
            let mut area = egui::ScrollArea::vertical()
                .id_salt("events")
                .auto_shrink([false, false]);
            if playing && let Some(r) = current_row {
                area = area.vertical_scroll_offset(
                    (r as f32 * (EVENT_ROW_HEIGHT + ui.spacing().item_spacing.y)
                        - ui.available_height() / 2.0)
                        .max(0.0),
                );
            }
            area.show_rows(ui, EVENT_ROW_HEIGHT, rows.len(), |ui, range| {
                for row in range {
                    let Some(event) = rows.get(row).and_then(|&i| session.events.get(i)) else {
                        continue;
                    };
                    let text = format!(
                        "{}  {}",
                        format_elapsed(event.timestamp_ms - session.started_at_ms),
                        event.kind.describe(&session.targets)
                    );
                    let color = match event.kind {
                        EventKind::Error { .. } => theme::ERROR_MARK,
                        EventKind::Custom { .. } => theme::CONVERTED,
                        _ => ui.visuals().text_color(),
                    };
                    let selected = Some(row) == current_row;
                    let response = ui.add(
                        egui::Button::selectable(
                            selected,
                            RichText::new(text).color(color).size(12.5),
                        )
                        .min_size(Vec2::new(ui.available_width(), EVENT_ROW_HEIGHT))
                        .truncate(),
                    );
                    if response.clicked() {
                        out.push(Command::Playback(PlaybackCommand::Seek(event.timestamp_ms)));
                    }
                    let clicked_element = match &event.kind {
                        EventKind::Click { target, .. } => session.target(*target),
                        _ => None,
                    };
                    if let Some(element) = clicked_element {
                        response.context_menu(|ui| {
                            if ui.button("Define event from this element…").clicked() {
                                out.push(Command::DefineFromElement(element.clone()));
                                ui.close();
                            }
                        });
                    }
                }
            });
        }
        SideTab::Notes => {
            let at = format_elapsed(now - session.started_at_ms);
            ui.add(
                egui::TextEdit::multiline(&mut replay.note_draft)
                    .hint_text(format!("A note at {at}, e.g. confused by shipping cost"))
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            );
            ui.horizontal(|ui| {
                let enabled = !replay.note_draft.trim().is_empty();
                if ui
                    .add_enabled(enabled, egui::Button::new(format!("Add note at {at}")))
                    .clicked()
                {
                    out.push(Command::AddNote {
                        session_id: session.session_id.clone(),
                        timestamp_ms: now,
                        text: replay.note_draft.trim().to_owned(),
                    });
                    replay.note_draft.clear();
                }
                if ui
                    .add_enabled(
                        !session.notes.is_empty(),
                        egui::Button::new("Export notes..."),
                    )
                    .clicked()
                {
                    out.push(Command::ExportNotes);
                }
            });
            ui.separator();
            if session.notes.is_empty() {
                ui.label(
                    RichText::new(
                        "No notes yet. Pause at a moment that matters and write what you see.",
                    )
                    .color(theme::MUTED),
                );
            }
            egui::ScrollArea::vertical()
                .id_salt("notes")
                .show(ui, |ui| {
                    for note in &session.notes {
                        ui.horizontal(|ui| {
                            if ui
                                .link(format_elapsed(note.timestamp_ms - session.started_at_ms))
                                .on_hover_text("Go to this moment")
                                .clicked()
                            {
                                out.push(Command::Playback(PlaybackCommand::Seek(
                                    note.timestamp_ms,
                                )));
                            }
                            ui.add(egui::Label::new(&note.text).wrap());
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    if ui.small_button("Delete").clicked() {
                                        out.push(Command::DeleteNote {
                                            session_id: note.session_id.clone(),
                                            note_id: note.note_id,
                                        });
                                    }
                                },
                            );
                        });
                    }
                });
        }
        SideTab::Overview => {
            egui::ScrollArea::both()
                .id_salt("overview")
                .show(ui, |ui| super::panels::session_overview_ui(session, ui));
        }
    }
    app.state.commands.extend(out);
}

/// Tabs of the replay's side panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SideTab {
    /// The event list.
    #[default]
    Events,
    /// Reviewer notes.
    Notes,
    /// Pages, activity and event counts.
    Overview,
}

/// The `?` overlay listing keyboard shortcuts.
pub fn help_ui(app: &mut ViewContext<'_>, ctx: &egui::Context) {
    let Some(replay) = &app.state.replay else {
        return;
    };
    if !replay.show_help {
        return;
    }
    let mut open = true;
    egui::Window::new("Keyboard shortcuts")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("keys")
                .num_columns(2)
                .spacing([24.0, 4.0])
                .show(ui, |ui| {
                    for (keys, what) in [
                        ("Space", "Play / pause"),
                        ("Left / Right", "Back / forward 5 s"),
                        ("Shift+Left / Shift+Right", "Previous / next event"),
                        ("J / K", "Previous / next frustration signal"),
                        ("[ / ]", "Slower / faster"),
                        ("Home / End", "Start / end of the session"),
                        ("F", "Visitor's view / whole page"),
                        ("Shift+drag on the timeline", "Select a range to loop"),
                        ("Ctrl+wheel", "Zoom the whole page"),
                        ("?", "Show / hide this list"),
                    ] {
                        ui.strong(keys);
                        ui.label(what);
                        ui.end_row();
                    }
                });
        });
    if !open {
        app.state.commands.push(Command::ToggleHelp);
    }
}

/// The "Define event from this element" window's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementDefinition {
    /// The element clicked.
    pub element: crate::model::ElementDescriptor,
    /// The event's name.
    pub name: String,
    /// Match by the element's text instead of its CSS selector.
    pub by_text: bool,
    /// Funnel stage.
    pub stage: Option<crate::analysis::conversions::Stage>,
    /// Waiting for the library to match it over every session.
    pub defining: bool,
    /// What the definition found ("… defined: N sessions, M occurrences") or why it failed.
    pub outcome: Option<String>,
}

impl ElementDefinition {
    /// A fresh form for `element`, named after its id or text.
    #[must_use]
    pub fn new(element: crate::model::ElementDescriptor) -> Self {
        let base = element
            .id
            .clone()
            .or_else(|| element.text.clone())
            .unwrap_or_else(|| element.tag.clone());
        let name: String = base
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .split('_')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        Self {
            element,
            name: format!("click_{name}"),
            by_text: false,
            stage: None,
            defining: false,
            outcome: None,
        }
    }

    /// The definition the form describes.
    #[must_use]
    pub fn definition(&self) -> crate::analysis::conversions::EventDefinition {
        use crate::analysis::conversions::{DefinitionKind, EventDefinition};
        let text = self.element.text.clone().unwrap_or_default();
        EventDefinition {
            name: self.name.trim().to_owned(),
            kind: if self.by_text {
                DefinitionKind::Text
            } else {
                DefinitionKind::Selector
            },
            pattern: if self.by_text {
                text
            } else {
                self.element.selector.clone()
            },
            value_from_event: false,
            stage: self.stage,
            weight: None,
        }
    }
}

/// The "Define event from this element" window: name the click, match by selector or text,
/// and see at once how many sessions did it.
pub fn element_definition_ui(app: &ViewContext<'_>, ctx: &egui::Context, out: &mut Vec<Command>) {
    let Some(form) = &app.state.element_definition else {
        return;
    };
    let mut form = form.clone();
    let mut open = true;
    egui::Window::new("Define event from this element")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(
                RichText::new(form.element.label())
                    .color(theme::MUTED)
                    .monospace(),
            );
            ui.horizontal(|ui| {
                let label = ui.label("Name");
                ui.text_edit_singleline(&mut form.name)
                    .labelled_by(label.id);
            });
            let has_text = form
                .element
                .text
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty());
            ui.radio_value(
                &mut form.by_text,
                false,
                format!("Clicks on elements matching {}", form.element.selector),
            );
            if has_text {
                ui.radio_value(
                    &mut form.by_text,
                    true,
                    format!(
                        "Clicks on elements whose text is \u{201c}{}\u{201d}",
                        form.element.text.as_deref().unwrap_or("")
                    ),
                );
            }
            ui.horizontal(|ui| {
                let label = ui.label("Stage");
                egui::ComboBox::from_id_salt("element_stage")
                    .selected_text(form.stage.map_or("none", |s| s.as_str()))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.stage, None, "none");
                        for s in crate::analysis::conversions::Stage::ALL {
                            ui.selectable_value(&mut form.stage, Some(s), s.as_str());
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.horizontal(|ui| {
                let ready = !form.name.trim().is_empty() && !form.defining;
                if ui.add_enabled(ready, egui::Button::new("Define")).clicked() {
                    form.defining = true;
                    form.outcome = None;
                    out.push(Command::DefineEvent(Box::new(form.definition())));
                }
                if form.defining {
                    ui.spinner();
                    ui.label("Matching every stored session…");
                }
            });
            if let Some(outcome) = &form.outcome {
                ui.label(outcome);
            }
        });
    if !open {
        out.push(Command::SetElementDefinition(None));
    } else if Some(&form) != app.state.element_definition.as_ref() {
        out.push(Command::SetElementDefinition(Some(form)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClickKind, ElementDescriptor, Event, PointerType, Session, ViewportPos};

    fn click(page: u32, x: f32, y: f32, target: Option<u32>) -> Event {
        Event {
            timestamp_ms: 1_000,
            page,
            kind: EventKind::Click {
                pos_in_page: PagePos { x, y },
                pos_in_viewport: ViewportPos { x, y },
                kind: ClickKind::Click,
                pointer: PointerType::Mouse,
                target,
            },
        }
    }

    fn element(id: &str) -> ElementDescriptor {
        ElementDescriptor {
            tag: "button".to_owned(),
            id: Some(id.to_owned()),
            selector: format!("#{id}"),
            ..ElementDescriptor::default()
        }
    }

    #[test]
    fn a_right_click_finds_the_elements_of_recorded_clicks_nearby_nearest_first() {
        let session = Session {
            targets: vec![element("add-to-cart"), element("wishlist"), element("far")],
            events: vec![
                click(0, 100.0, 100.0, Some(0)),
                click(0, 104.0, 98.0, Some(0)),
                click(0, 120.0, 100.0, Some(1)),
                click(0, 400.0, 400.0, Some(2)),
                // Same spot, another page view: not this page.
                click(1, 118.0, 100.0, Some(2)),
                // No known element.
                click(0, 117.0, 100.0, None),
            ],
            ..Session::default()
        };
        let near = clicked_elements_near(&session, 0, PagePos { x: 116.0, y: 100.0 }, 30.0);
        let ids: Vec<_> = near.iter().map(|e| e.id.as_deref().unwrap_or("")).collect();
        assert_eq!(ids, ["wishlist", "add-to-cart"]);
        assert!(
            clicked_elements_near(&session, 0, PagePos { x: 250.0, y: 250.0 }, 30.0).is_empty()
        );
    }
}
