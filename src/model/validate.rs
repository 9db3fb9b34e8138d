//! Checks that a session obeys the model's invariants, with errors that say where.

use super::event::EventKind;
use super::session::Session;

/// Bounds that every imported session must respect. Defaults are documented in docs/FORMAT.md.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Largest absolute coordinate accepted, CSS px.
    pub max_coordinate_px: f32,
    /// Largest viewport or document dimension, CSS px.
    pub max_dimension_px: u32,
    /// Most events in one session.
    pub max_events: usize,
    /// Longest session, ms (default 7 days).
    pub max_duration_ms: i64,
    /// Largest decompressed input, bytes.
    pub max_inflated_bytes: u64,
    /// Longest string (URL, message, text), bytes.
    pub max_string_bytes: usize,
    /// Deepest DOM tree in an rrweb snapshot, levels (at most 1,000, which the parse thread's
    /// stack is sized for).
    pub max_dom_depth: u32,
    /// Largest screenshot, pixels (width × height, checked from the PNG header).
    pub max_image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_coordinate_px: 1_000_000.0,
            max_dimension_px: 1_000_000,
            max_events: 20_000_000,
            max_duration_ms: 7 * 24 * 3600 * 1000,
            max_inflated_bytes: 1 << 30,
            max_string_bytes: 1 << 20,
            max_dom_depth: 1_000,
            max_image_pixels: 1 << 28,
        }
    }
}

/// A broken invariant, with the JSON-style path of the offending value.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ModelError {
    /// A value is outside what the model accepts.
    #[error("{path}: {message}")]
    Invalid {
        /// Where, e.g. `events[12].x`.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

impl Session {
    /// Checks the invariants: ids present, timestamps within the session and non-decreasing,
    /// coordinates finite and within `limits`, page and target indices valid.
    pub fn validate(&self, limits: &Limits) -> Result<(), ModelError> {
        if self.session_id.trim().is_empty() {
            return Err(invalid("session_id", "must not be empty"));
        }
        if self.started_at_ms < 0 {
            return Err(invalid(
                "started_at_ms",
                format!("must not be negative, got {}", self.started_at_ms),
            ));
        }
        if !(0..=limits.max_duration_ms).contains(&self.duration_ms) {
            return Err(invalid(
                "duration_ms",
                format!(
                    "must be between 0 and {} ms, got {}",
                    limits.max_duration_ms, self.duration_ms
                ),
            ));
        }
        if self.events.len() > limits.max_events {
            return Err(invalid(
                "events",
                format!(
                    "{} events exceed the limit of {}",
                    self.events.len(),
                    limits.max_events
                ),
            ));
        }
        let end = self.ended_at_ms();
        for (i, page) in self.pages.iter().enumerate() {
            if page.url.len() > limits.max_string_bytes {
                return Err(invalid(
                    format!("pages[{i}].url"),
                    "longer than the string limit",
                ));
            }
            if page.entered_at_ms < self.started_at_ms || page.entered_at_ms > end {
                return Err(invalid(
                    format!("pages[{i}].entered_ms"),
                    "outside the session",
                ));
            }
            if page.left_at_ms < page.entered_at_ms || page.left_at_ms > end {
                return Err(invalid(
                    format!("pages[{i}].left_ms"),
                    "must lie between the page's entry and the session end",
                ));
            }
            for (name, v) in [
                ("doc_width", page.doc_size.width),
                ("doc_height", page.doc_size.height),
                ("viewport_width", page.viewport.width),
                ("viewport_height", page.viewport.height),
            ] {
                if v > limits.max_dimension_px {
                    return Err(invalid(
                        format!("pages[{i}].{name}"),
                        format!("{v} px exceeds the limit of {} px", limits.max_dimension_px),
                    ));
                }
            }
        }
        let num_targets = self.targets.len();
        let check_target = |i: usize, target: Option<u32>| match target {
            Some(t) if t as usize >= num_targets => Err(invalid(
                format!("events[{i}].target"),
                format!("refers to target {t}, but the session has {num_targets} targets"),
            )),
            _ => Ok(()),
        };
        let check_pos = |i: usize, x: f32, y: f32| {
            for (axis, v) in [("x", x), ("y", y)] {
                if !v.is_finite() || v.abs() > limits.max_coordinate_px {
                    return Err(invalid(
                        format!("events[{i}].{axis}"),
                        format!(
                            "coordinate {v} is not a finite number within ±{} px",
                            limits.max_coordinate_px
                        ),
                    ));
                }
            }
            Ok(())
        };
        let mut previous = self.started_at_ms;
        for (i, event) in self.events.iter().enumerate() {
            if event.timestamp_ms < self.started_at_ms {
                return Err(invalid(
                    format!("events[{i}].t"),
                    format!(
                        "{} ms before the session start",
                        self.started_at_ms - event.timestamp_ms
                    ),
                ));
            }
            if event.timestamp_ms < previous {
                return Err(invalid(
                    format!("events[{i}].t"),
                    format!(
                        "timestamps must not decrease ({} ms after {} ms)",
                        event.timestamp_ms - self.started_at_ms,
                        previous - self.started_at_ms
                    ),
                ));
            }
            if event.timestamp_ms > end {
                return Err(invalid(
                    format!("events[{i}].t"),
                    "after the session end (started_at_ms + duration_ms)",
                ));
            }
            previous = event.timestamp_ms;
            if event.page as usize >= self.pages.len() {
                return Err(invalid(
                    format!("events[{i}]"),
                    format!(
                        "belongs to page {}, but the session has {} pages",
                        event.page,
                        self.pages.len()
                    ),
                ));
            }
            match &event.kind {
                EventKind::PointerMove { pos_in_page, .. } => {
                    check_pos(i, pos_in_page.x, pos_in_page.y)?
                }
                EventKind::Click {
                    pos_in_page,
                    pos_in_viewport,
                    target,
                    ..
                } => {
                    check_pos(i, pos_in_page.x, pos_in_page.y)?;
                    check_pos(i, pos_in_viewport.x, pos_in_viewport.y)?;
                    check_target(i, *target)?;
                }
                EventKind::Scroll { offset } => check_pos(i, offset.x, offset.y)?,
                EventKind::ElementScroll { target, offset } => {
                    check_pos(i, offset.x, offset.y)?;
                    check_target(i, *target)?;
                }
                EventKind::Resize { viewport }
                    if viewport.width > limits.max_dimension_px
                        || viewport.height > limits.max_dimension_px =>
                {
                    return Err(invalid(
                        format!("events[{i}]"),
                        "viewport size exceeds the dimension limit",
                    ));
                }
                EventKind::Input {
                    value: Some(value), ..
                } if value.len() > limits.max_string_bytes => {
                    return Err(invalid(
                        format!("events[{i}].value"),
                        "longer than the string limit",
                    ));
                }
                EventKind::Input { target, .. }
                | EventKind::Focus { target }
                | EventKind::Blur { target }
                | EventKind::FieldError { field: target }
                | EventKind::FieldErrorCleared { field: target } => {
                    check_target(i, *target)?;
                }
                EventKind::FormField { field, form, .. } => {
                    check_target(i, Some(*field))?;
                    check_target(i, Some(*form))?;
                }
                EventKind::FormSubmit { form, control } => {
                    check_target(i, *form)?;
                    check_target(i, *control)?;
                }
                EventKind::Error { message } if message.len() > limits.max_string_bytes => {
                    return Err(invalid(
                        format!("events[{i}].message"),
                        "longer than the string limit",
                    ));
                }
                EventKind::NetworkError { url, method, .. }
                    if url.len() > limits.max_string_bytes
                        || method
                            .as_ref()
                            .is_some_and(|m| m.len() > limits.max_string_bytes) =>
                {
                    return Err(invalid(
                        format!("events[{i}].url"),
                        "longer than the string limit",
                    ));
                }
                EventKind::Experiment {
                    event,
                    experiment,
                    variant,
                } if [Some(event), experiment.as_ref(), Some(variant)]
                    .into_iter()
                    .flatten()
                    .any(|t| t.len() > limits.max_string_bytes) =>
                {
                    return Err(invalid(
                        format!("events[{i}].variant"),
                        "longer than the string limit",
                    ));
                }
                EventKind::Custom { value: Some(v), .. } if !v.is_finite() => {
                    return Err(invalid(
                        format!("events[{i}].value"),
                        "must be a finite number",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, PagePos, PageView, PointerType, SizePx};

    fn session() -> Session {
        Session {
            session_id: "s".to_owned(),
            started_at_ms: 1000,
            duration_ms: 1000,
            pages: vec![PageView {
                url: "https://a.test/".to_owned(),
                entered_at_ms: 1000,
                left_at_ms: 2000,
                viewport: SizePx {
                    width: 800,
                    height: 600,
                },
                ..PageView::default()
            }],
            ..Session::default()
        }
    }

    fn mv(t: i64, x: f32) -> Event {
        Event {
            timestamp_ms: t,
            page: 0,
            kind: EventKind::PointerMove {
                pos_in_page: PagePos { x, y: 0.0 },
                pointer: PointerType::Mouse,
            },
        }
    }

    #[test]
    fn accepts_valid_session() {
        let mut s = session();
        s.events = vec![mv(1000, 1.0), mv(1500, 2.0), mv(2000, 3.0)];
        assert_eq!(s.validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn rejects_bad_values_with_their_path() {
        let limits = Limits::default();
        let mut s = session();
        s.events = vec![mv(1500, 1.0), mv(1400, 2.0)];
        let err = s.validate(&limits).unwrap_err().to_string();
        assert!(
            err.starts_with("events[1].t: timestamps must not decrease"),
            "{err}"
        );

        s.events = vec![mv(900, 1.0)];
        assert!(
            s.validate(&limits)
                .unwrap_err()
                .to_string()
                .contains("before the session start")
        );

        s.events = vec![mv(1500, f32::NAN)];
        assert!(
            s.validate(&limits)
                .unwrap_err()
                .to_string()
                .starts_with("events[0].x")
        );

        s.events = vec![mv(1500, 1e12)];
        assert!(
            s.validate(&limits)
                .unwrap_err()
                .to_string()
                .contains("within ±")
        );

        s.events = vec![mv(2500, 1.0)];
        assert!(
            s.validate(&limits)
                .unwrap_err()
                .to_string()
                .contains("after the session end")
        );
    }
}
