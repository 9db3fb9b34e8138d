//! The figures the simulated traffic is tuned to, measured on generated sessions: conversion by
//! device and channel, micro-conversion rates, scroll-depth fall-off, where clicks land and how
//! many sessions carry each frustration signal. `sessionlens demo calibrate` prints them.
//!
//! Targets (from the CRO literature the issue cites): overall conversion about 2–4 %, mobile
//! about half of desktop, email best and paid social worst; reach that falls off down the page;
//! clicks mostly on clickable elements, the traps sometimes.

use serde::Serialize;

use super::site;
use crate::analysis::signals::{SignalKind, SignalSettings, detect};
use crate::model::{DeviceClass, EventKind, Session};

/// A conversion or event rate in one segment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateRow {
    /// Segment (`all`, `desktop`, `mobile`, a channel) or event name.
    pub name: String,
    /// Sessions in the segment.
    pub sessions: usize,
    /// Sessions that converted (or did the event).
    pub hits: usize,
    /// `hits / sessions`.
    pub rate: f64,
}

/// Share of page views of one page kind whose deepest viewport bottom reached each depth.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReachRow {
    /// Page kind: `home`, `category`, `product`, `cart`, `checkout`, `confirmation`, `help`.
    pub page: String,
    /// Page views counted.
    pub page_views: usize,
    /// Shares reaching 25 %, 50 %, 75 % and 100 % of the document height.
    pub reached: [f64; 4],
}

/// Where clicks landed, by the demo shop's element boxes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClickShare {
    /// Clicks (taps count once).
    pub clicks: usize,
    /// On an interactive element that works.
    pub on_clickable: usize,
    /// On one of the shop's traps (looks clickable, is not, or fails).
    pub on_trap: usize,
    /// On nothing interactive.
    pub elsewhere: usize,
}

/// Aggregate figures of a set of sessions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    /// Sessions measured.
    pub sessions: usize,
    /// Share of mobile sessions.
    pub mobile_share: f64,
    /// Share of sessions with a single page view.
    pub bounce_rate: f64,
    /// Mean page views per session.
    pub pages_per_session: f64,
    /// Median session duration, seconds.
    pub median_duration_s: f64,
    /// Conversion (a purchase) overall, by device and by channel.
    pub conversion: Vec<RateRow>,
    /// Share of sessions with each micro-conversion event.
    pub micro_conversions: Vec<RateRow>,
    /// Scroll-depth fall-off by page kind.
    pub scroll_reach: Vec<ReachRow>,
    /// Where clicks landed.
    pub clicks: ClickShare,
    /// Share of sessions with each frustration signal (default thresholds).
    pub signals: Vec<RateRow>,
}

/// The micro-conversion events the simulator sends, in funnel order.
const MICRO_EVENTS: [&str; 6] = [
    "view_item",
    "add_to_cart",
    "begin_checkout",
    "add_payment_info",
    "purchase",
    "newsletter_signup",
];

fn rate(name: &str, sessions: usize, hits: usize) -> RateRow {
    RateRow {
        name: name.to_owned(),
        sessions,
        hits,
        rate: if sessions == 0 {
            0.0
        } else {
            hits as f64 / sessions as f64
        },
    }
}

/// The page kind of a demo shop page key (`product-trail-runner` → `product`).
fn page_kind(key: &str) -> &str {
    key.split('-').next().unwrap_or(key)
}

/// Measures `sessions` (any sessions over the demo shop; pages it does not know are skipped in
/// the reach and click figures).
#[must_use]
pub fn calibrate(sessions: &[Session]) -> Calibration {
    let n = sessions.len();
    let count = |f: &dyn Fn(&Session) -> bool| sessions.iter().filter(|s| f(s)).count();
    let mobile = count(&|s| s.device == DeviceClass::Mobile);

    let mut conversion = vec![rate("all", n, count(&|s| s.converted()))];
    for device in [DeviceClass::Desktop, DeviceClass::Mobile] {
        let in_segment = count(&|s| s.device == device);
        let hits = count(&|s| s.device == device && s.converted());
        conversion.push(rate(device.as_str(), in_segment, hits));
    }
    for channel in crate::model::Channel::ALL {
        let in_segment = count(&|s| s.source.channel() == channel);
        if in_segment > 0 {
            let hits = count(&|s| s.source.channel() == channel && s.converted());
            conversion.push(rate(channel.as_str(), in_segment, hits));
        }
    }

    let has_event = |s: &Session, event: &str| {
        s.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Custom { name, .. } if name == event))
    };
    let micro_conversions = MICRO_EVENTS
        .iter()
        .map(|event| rate(event, n, count(&|s| has_event(s, event))))
        .collect();

    // Reach and clicks need the shop's layout of each page view.
    let mut reach: Vec<(String, usize, [usize; 4])> = Vec::new();
    let mut clicks = ClickShare::default();
    for session in sessions {
        for (index, view) in session.pages.iter().enumerate() {
            let Some(page) = site::pages().iter().find(|p| {
                p.url == view.url_without_fragment() && p.layout_width == view.viewport.width
            }) else {
                continue;
            };
            let page_no = u32::try_from(index).unwrap_or(u32::MAX);
            let events = session.events.iter().filter(|e| e.page == page_no);
            let mut deepest_scroll = 0.0f32;
            for event in events {
                match &event.kind {
                    EventKind::Scroll { offset } => deepest_scroll = deepest_scroll.max(offset.y),
                    EventKind::Click {
                        kind, pos_in_page, ..
                    } if kind.counts_as_click() => {
                        clicks.clicks += 1;
                        match page.clickable_at(*pos_in_page) {
                            Some(t) if t.trap.is_some() => clicks.on_trap += 1,
                            Some(_) => clicks.on_clickable += 1,
                            None => clicks.elsewhere += 1,
                        }
                    }
                    _ => {}
                }
            }
            let bottom = deepest_scroll + view.viewport.height as f32;
            let kind = page_kind(&page.key);
            let row = match reach.iter().position(|r| r.0 == kind) {
                Some(i) => &mut reach[i],
                None => {
                    reach.push((kind.to_owned(), 0, [0; 4]));
                    let last = reach.len() - 1;
                    &mut reach[last]
                }
            };
            row.1 += 1;
            for (quarter, hits) in row.2.iter_mut().enumerate() {
                let depth = page.doc_height * (quarter + 1) as f32 / 4.0;
                if bottom + 0.5 >= depth {
                    *hits += 1;
                }
            }
        }
    }
    let scroll_reach = reach
        .into_iter()
        .map(|(page, views, hits)| ReachRow {
            page,
            page_views: views,
            reached: hits.map(|h| h as f64 / views.max(1) as f64),
        })
        .collect();

    let settings = SignalSettings::default();
    let detected: Vec<Vec<SignalKind>> = sessions
        .iter()
        .map(|s| {
            detect(s, &settings)
                .signals
                .iter()
                .map(|x| x.kind)
                .collect()
        })
        .collect();
    let signals = SignalKind::ALL
        .into_iter()
        .map(|kind| {
            let hits = detected.iter().filter(|k| k.contains(&kind)).count();
            rate(kind.as_str(), n, hits)
        })
        .collect();

    let mut durations: Vec<i64> = sessions.iter().map(|s| s.duration_ms).collect();
    durations.sort_unstable();
    let median_duration_s = durations.get(n / 2).map_or(0.0, |d| *d as f64 / 1000.0);
    let page_views: usize = sessions.iter().map(|s| s.pages.len()).sum();
    Calibration {
        sessions: n,
        mobile_share: mobile as f64 / n.max(1) as f64,
        bounce_rate: count(&|s| s.pages.len() <= 1) as f64 / n.max(1) as f64,
        pages_per_session: page_views as f64 / n.max(1) as f64,
        median_duration_s,
        conversion,
        micro_conversions,
        scroll_reach,
        clicks,
        signals,
    }
}

impl Calibration {
    /// The conversion row named `name` (`all`, `desktop`, `mobile`, a channel).
    #[must_use]
    pub fn conversion_of(&self, name: &str) -> Option<&RateRow> {
        self.conversion.iter().find(|r| r.name == name)
    }

    /// A plain-text report, as `sessionlens demo calibrate` prints it.
    #[must_use]
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} sessions · {} mobile · bounce rate {} · {:.2} pages per session · median duration {:.0} s",
            self.sessions,
            pct(self.mobile_share),
            pct(self.bounce_rate),
            self.pages_per_session,
            self.median_duration_s
        );
        let _ = writeln!(out, "\nconversion (purchase)");
        for row in &self.conversion {
            let _ = writeln!(
                out,
                "  {:<16} {:>6} sessions {:>5} converted {:>8}",
                row.name,
                row.sessions,
                row.hits,
                pct(row.rate)
            );
        }
        let _ = writeln!(out, "\nmicro-conversions (share of sessions)");
        for row in &self.micro_conversions {
            let _ = writeln!(
                out,
                "  {:<18} {:>6} {:>8}",
                row.name,
                row.hits,
                pct(row.rate)
            );
        }
        let _ = writeln!(
            out,
            "\nscroll reach (share of page views whose viewport bottom reached the depth)"
        );
        let _ = writeln!(
            out,
            "  {:<14} {:>6} {:>8} {:>8} {:>8} {:>8}",
            "page", "views", "25 %", "50 %", "75 %", "100 %"
        );
        for row in &self.scroll_reach {
            let [a, b, c, d] = row.reached.map(pct);
            let _ = writeln!(
                out,
                "  {:<14} {:>6} {a:>8} {b:>8} {c:>8} {d:>8}",
                row.page, row.page_views
            );
        }
        let c = &self.clicks;
        let share = |x: usize| pct(x as f64 / c.clicks.max(1) as f64);
        let _ = writeln!(
            out,
            "\nclicks: {} · on clickable elements {} · on traps {} · elsewhere {}",
            c.clicks,
            share(c.on_clickable),
            share(c.on_trap),
            share(c.elsewhere)
        );
        let _ = writeln!(out, "\nsessions with each signal (default thresholds)");
        for row in &self.signals {
            let _ = writeln!(
                out,
                "  {:<18} {:>6} {:>8}",
                row.name,
                row.hits,
                pct(row.rate)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{GenerateOptions, generate};

    /// The simulator's figures stay where the CRO literature puts real shops.
    #[test]
    fn generated_traffic_matches_the_calibration_targets() {
        let sessions = generate(&GenerateOptions {
            sessions: 3000,
            seed: 1,
            ..GenerateOptions::default()
        });
        let c = calibrate(&sessions);
        let conv = |name: &str| c.conversion_of(name).map_or(f64::NAN, |r| r.rate);
        assert!((0.02..=0.04).contains(&conv("all")), "{}", c.to_text());
        let ratio = conv("mobile") / conv("desktop");
        assert!((0.35..=0.7).contains(&ratio), "mobile/desktop {ratio}");
        assert!(conv("email") > conv("paid_social"), "{}", c.to_text());
        assert!((0.55..=0.65).contains(&c.mobile_share));
        assert!((0.3..=0.55).contains(&c.bounce_rate), "{}", c.to_text());
        // Reach falls off down every long page.
        for row in c.scroll_reach.iter().filter(|r| r.page_views > 100) {
            assert!(
                row.reached.windows(2).all(|w| w[0] >= w[1]),
                "{}: {:?}",
                row.page,
                row.reached
            );
        }
        let product = c.scroll_reach.iter().find(|r| r.page == "product");
        assert!(product.is_some_and(|p| p.reached[3] < 0.35 && p.reached[0] > 0.6));
        // Mostly on clickable elements; the traps and blank spots sometimes.
        let share = c.clicks.on_clickable as f64 / c.clicks.clicks as f64;
        assert!((0.75..0.97).contains(&share), "{}", c.to_text());
        assert!(c.clicks.on_trap > 0 && c.clicks.elsewhere > 0);
        // Every planted kind of frustration shows up, none in most sessions.
        for kind in ["rage_click", "dead_click", "error_click", "quick_back"] {
            let row = c.signals.iter().find(|r| r.name == kind);
            assert!(
                row.is_some_and(|r| r.rate > 0.005 && r.rate < 0.3),
                "{kind}: {}",
                c.to_text()
            );
        }
        for kind in ["thrashed_cursor", "excessive_scroll"] {
            let row = c.signals.iter().find(|r| r.name == kind);
            assert!(row.is_some_and(|r| r.hits > 0), "{kind}: {}", c.to_text());
        }
    }
}
